"""Mail that looks like recruiting and is not: what each kind says, as weighted rules.

Job seekers' mailboxes are full of "interviews", "applications" and
"appointments" that have nothing to do with their own candidacy: a podcast
host books them as a guest, a landlord interviews tenants, a dentist confirms
an appointment, a colleague asks them to sit on a panel. The words a
recruiter uses ("interview", "schedule", "next steps") appear in all of
them, so they decide nothing; what tells the kinds apart is the vocabulary
*around* them, which is what the rules below read.

Each category's rules add up (each rule once per conversation); the strongest
category is weighed against the candidacy evidence in
:func:`agent.signals.recruiting.classify`. The categories are the ones POLICY
names: the user as interviewer at their own employer, press, podcasts,
research studies, user research, admissions, scholarships, visas,
volunteering, clubs and boards, rentals, medical appointments, vendors,
credit, job alerts, newsletters, recruiter mass mail and personal mail. (The
structural cues — the user's own employer's domain, bulk headers,
acknowledgements, personal web-mail — are read in recruiting.py, where the
addresses are.)

Weights: 3 for words that all but name the category ("podcast episode",
"scorecard", "security deposit"), 2 for words typical of it, 1 for words it
shares with other mail.
"""

from __future__ import annotations

from agent.signals.cues import COMPANY, USER, Rule, rule

INTERVIEWER = "interviewer"
PRESS = "press"
PODCAST = "podcast"
RESEARCH_STUDY = "research_study"
USER_RESEARCH = "user_research"
ADMISSIONS = "admissions"
SCHOLARSHIP = "scholarship"
VISA = "visa"
VOLUNTEER = "volunteer"
CLUB_BOARD = "club_board"
RENTAL = "rental"
MEDICAL = "medical"
VENDOR = "vendor"
CREDIT = "credit"
JOB_ALERT = "job_alert"
NEWSLETTER = "newsletter"
MASS_MAIL = "mass_mail"
PERSONAL = "personal"
ACK = "ack"

#: how each category reads in a sentence: "it looks like {…}"
DESCRIBED = {
    INTERVIEWER: "you interviewing a candidate at your own employer",
    PRESS: "a journalist's interview request",
    PODCAST: "a podcast booking",
    RESEARCH_STUDY: "a research study",
    USER_RESEARCH: "a user-research session",
    ADMISSIONS: "an admissions interview",
    SCHOLARSHIP: "a scholarship or fellowship interview",
    VISA: "a visa or consular appointment",
    VOLUNTEER: "a volunteer role",
    CLUB_BOARD: "a club, board or association",
    RENTAL: "a rental",
    MEDICAL: "a medical, dental or vet appointment",
    VENDOR: "a vendor or sales conversation",
    CREDIT: "a credit, loan or insurance application",
    JOB_ALERT: "a job-alert digest",
    NEWSLETTER: "a newsletter",
    MASS_MAIL: "recruiter mass mail you never answered",
    PERSONAL: "personal mail",
    ACK: "an automatic acknowledgement with no person behind it",
}

RULES: tuple[Rule, ...] = (
    # --- the user as interviewer, panelist or scorecard writer ------------------------------
    rule(INTERVIEWER, "scorecards", r"\bscore ?cards?\b", 3),
    rule(INTERVIEWER, "feedback on a candidate",
         r"\b(?:submit|share|leave|enter|complete|add|fill in|fill out)\w* (?:your |in your )"
         r"(?:interview )?(?:feedback|scorecard|notes|evaluation|ratings?)\b", 3),
    rule(INTERVIEWER, "a debrief", r"\b(?:interview |candidate |hiring )?de-?brief (?:meeting|session|invite|call|"
         r"on (?:the )?candidate)\b|\b(?:the|a) (?:candidate |interview )?debrief\b", 2),
    rule(INTERVIEWER, "a seat on the panel",
         r"\b(?:join|sit on|be on|be part of|added to|part of|serve on|volunteer for) (?:the|our|an|this|a) "
         r"(?:interview(?:ing)? )?(?:panel|loop)\b", 3),
    rule(INTERVIEWER, "interviewer duty",
         r"\b(?:you(?:'re| are)|you'll be|I(?:'m| am)|I'll be) (?:one of )?(?:the )?(?:interviewing|interviewers?|"
         r"on (?:the|her|his|their) (?:interview )?(?:panel|loop))\b", 3),
    rule(INTERVIEWER, "interview kit", r"\binterview (?:kit|guide|plan|rubric|questions? bank)\b", 2),
    rule(INTERVIEWER, "hire / no hire", r"\b(?:strong )?(?:no[- ]hire|hire/no[- ]hire|hire recommendation|"
         r"thumbs (?:up|down))\b", 3),
    rule(INTERVIEWER, "the candidate (in the third person)",
         r"\b(?:the|this|our|each) candidate(?:'s)?\b(?! (?:portal|profile|home|experience|hub|center|centre))", 1,
         COMPANY),
    rule(INTERVIEWER, "the user interviewed someone",
         r"\bI (?:interviewed|met with|spoke with) (?:him|her|them|the candidate)\b", 3, USER),
    rule(INTERVIEWER, "a req to fill", r"\b(?:headcount (?:for|approved|is)|backfill (?:for|the role|the position)|"
         r"req(?:uisition)? is (?:open|approved))\b", 2),
    # --- press ----------------------------------------------------------------------------
    rule(PRESS, "a story being written",
         r"\b(?:story|article|piece|feature|report|profile) (?:I'?m|we'?re|I am|we are) "
         r"(?:writing|working on|reporting|putting together|doing)\b", 3),
    rule(PRESS, "a story in the works",
         r"\b(?:I'?m|we'?re|I am|we are) (?:writing|working on|reporting|putting together|doing|researching) "
         r"(?:a|an) (?:story|article|piece|feature|profile|report|series)\b|\bmy editor\b|\bthe (?:story|piece|"
         r"article) (?:will|should|is going to) (?:run|publish|come out|go live)\b|\b(?:direct )?quotes? (?:from you|"
         r"back)\b|\bread you back\b|\bon background\b", 3),
    rule(PRESS, "journalist", r"\b(?:journalist|reporter|correspondent|staff writer|contributing writer|"
         r"freelance writer|columnist|newsroom|news desk)\b", 2),
    rule(PRESS, "on the record", r"\b(?:on|off) the record\b|\bquote you\b|\bbe quoted\b|\bfor attribution\b", 3),
    rule(PRESS, "journalism", r"\bjournalism\b|\bprofile (?:piece|assignment|story)\b|\bwrite (?:a|an) "
         r"(?:profile|piece|article|story) (?:on|about)\b", 3),
    rule(PRESS, "a publication", r"\b(?:magazine|newspaper|publication|news outlet|editorial|our readers|"
         r"press inquiry|media inquiry)\b", 2),
    rule(PRESS, "a piece about the user's work",
         r"\binterview (?:you|with you)\b[^.\n]{0,40}\b(?:for|about|in) (?:a|an|our|my|the|this) "
         r"(?:story|article|piece|feature|series|column|report)\b", 3),
    # --- podcasts ---------------------------------------------------------------------------
    rule(PODCAST, "podcast", r"\bpod ?casts?\b", 3),
    rule(PODCAST, "an episode", r"\bepisodes?\b", 2),
    rule(PODCAST, "the show", r"\b(?:on|to|for|join) (?:the|our|my) show\b|\bthe show notes\b", 2),
    rule(PODCAST, "listeners", r"\b(?:listeners|audience|subscribers)\b", 1),
    rule(PODCAST, "a guest", r"\b(?:as|be|being) (?:a |our |my )?guests?\b|\bguest (?:spot|appearance|slot)\b", 2),
    rule(PODCAST, "a recording session",
         r"\b(?:recording (?:session|link|studio)|we(?:'ll| will) record|riverside\.fm|zencastr|squadcast)\b", 2),
    # --- research studies ----------------------------------------------------------------------
    rule(RESEARCH_STUDY, "a research study",
         r"\b(?:research (?:study|project|team|participants?)|(?:study|survey) participants?|"
         r"participate in (?:a|our|the|this) (?:short )?(?:study|survey|research))\b", 3),
    rule(RESEARCH_STUDY, "consent", r"\b(?:consent form|informed consent|IRB|institutional review board|"
         r"ethics (?:approval|committee|board)|anonymi[sz]ed|de-identified)\b", 3),
    rule(RESEARCH_STUDY, "a thesis or dissertation",
         r"\b(?:my|our|this) (?:study|dissertation|thesis|survey)\b|\bPh\.?D\.? (?:student|researcher)\b|"
         r"\b(?:principal investigator|research assistant|postdoc\w*)\b", 2),
    rule(RESEARCH_STUDY, "a thank-you gift", r"\b(?:gift card|e-?gift|amazon voucher|honorarium|"
         r"\$\d+ (?:amazon|visa|gift)|compensat\w+ for your time)\b", 2),
    # --- user research -----------------------------------------------------------------------
    rule(USER_RESEARCH, "user research",
         r"\b(?:user|customer|product|usability|UX|design) (?:research|interviews?|testing|study|studies|"
         r"feedback sessions?|sessions?)\b", 3),
    rule(USER_RESEARCH, "a diary study", r"\b(?:diary study|diary entries|study sessions?|exit interview "
         r"(?:for|about) (?:the|this|our) study)\b", 3),
    rule(USER_RESEARCH, "your experience with a product",
         r"\b(?:your experience (?:with|using)|how you use|feedback on (?:our|the) (?:app|product|prototype|"
         r"new feature|beta)|prototype|beta testers?|early access)\b", 2),
    rule(USER_RESEARCH, "an incentive", r"\b(?:incentive|thank-you gift|gift card|\$\d+ (?:amazon|visa|gift))\b", 2),
    # --- admissions, scholarships -------------------------------------------------------------
    rule(ADMISSIONS, "admissions", r"\badmissions?\b", 3),
    rule(ADMISSIONS, "a study programme",
         r"\b(?:MBA|undergraduate|graduate|doctoral|master'?s|Ph\.?D\.?|degree|certificate|executive education)"
         r" (?:program|programme|application|applicants?|admissions?|cohort)\b", 3),
    rule(ADMISSIONS, "students and alumni",
         r"\b(?:alumni interview|alumn(?:us|a|i) interviewer|class of 20\d\d|incoming class|prospective students?|"
         r"enrol(?:l)?ment|matriculat\w*|tuition|financial aid|campus visit|school visit|open day|"
         r"application fee waiver)\b", 2),
    rule(ADMISSIONS, "a child's school", r"\byour (?:son|daughter|child)\b|\bmy (?:son|daughter|kid)'?s?\b", 2),
    rule(SCHOLARSHIP, "a scholarship", r"\b(?:scholarships?|fellowships?|bursar(?:y|ies)|award (?:committee|panel)|"
         r"selection committee|finalists? for the (?:award|scholarship|fellowship))\b", 3),
    rule(SCHOLARSHIP, "a grant", r"\b(?:grant (?:application|committee|recipients?)|stipend)\b", 2),
    # --- visas --------------------------------------------------------------------------------
    rule(VISA, "a visa", r"\b(?:visas?|consulate|consular|embassy|USCIS|biometrics?|DS-?160|green card|"
         r"naturali[sz]ation|immigration (?:officer|interview|appointment)|passport)\b", 3),
    # --- volunteering, clubs, boards --------------------------------------------------------------
    rule(VOLUNTEER, "volunteering", r"\bvolunteer(?:s|ing|ed)?\b", 3),
    rule(VOLUNTEER, "an unpaid role", r"\b(?:volunteer|unpaid|pro[- ]bono)\s+(?:[\w-]+\s+){0,3}(?:role|position|"
         r"opportunit\w*|project|work)\b|\bskills-based volunteering\b", 5),
    rule(VOLUNTEER, "a charity", r"\b(?:non-?profit|charity|food bank|shelter|mentoring program(?:me)?|"
         r"soup kitchen|animal rescue|literacy program(?:me)?)\b", 2),
    rule(CLUB_BOARD, "a board seat", r"\b(?:board of (?:directors|trustees|governors)|board (?:seat|members?|"
         r"candidates?|nomination)|co-?op board|condo board|nominating committee|HOA|homeowners'? association)\b",
         3),
    rule(CLUB_BOARD, "an election", r"\b(?:elections?|ballots?|nominations? committee|nominating|candidate "
         r"statements?|treasurer|(?:board|chapter) officers?|bylaws|annual general meeting|AGM)\b", 2),
    rule(CLUB_BOARD, "a club", r"\b(?:club|membership (?:committee|application|interview|dues)|"
         r"(?:rotary|toastmasters|alumni association|chapter meeting)|new members?)\b", 2),
    # --- rentals ----------------------------------------------------------------------------------
    rule(RENTAL, "a lease", r"\b(?:lease|leasing|landlord|tenant|tenancy|security deposit|rental|sublet|"
         r"move-?in|property manager|letting agent)\b", 3),
    rule(RENTAL, "a viewing", r"\b(?:viewing|showing|open house|tour (?:of )?the (?:unit|apartment|flat|property|"
         r"home))\b", 2),
    rule(RENTAL, "a home", r"\b(?:apartment|flat|unit \d+\w?|studio|condo|townhouse|bedroom|sq ?ft|"
         r"square feet|the property)\b", 1),
    # --- medical, dental, vet ------------------------------------------------------------------------
    rule(MEDICAL, "a patient", r"\b(?:patients?|clinic|dental|dentist(?:ry)?|DDS|DMD|hygienist|teeth cleaning|"
         r"x-?rays?|physician|pediatric\w*|orthodont\w*|optometr\w*|dermatolog\w*|physical therap\w*|"
         r"physio\w*|pharmac\w*|prescription|co-?pay|insurance card|veterinar\w*|vet clinic|your pet|"
         r"vaccin\w*|check-?up|MyChart|patient portal|medical (?:records?|history|center|centre))\b", 3),
    rule(MEDICAL, "therapy", r"\b(?:therap(?:y|ist|ists)|counsel(?:l)?ing (?:practice|collective|center|centre|"
         r"services)|psychiatr\w*|psycholog\w+|Psy\.?D\b|LCSW|LMHC|intake (?:interview|call|forms?|appointment|"
         r"session)|client portal|wait ?list|weekly sessions?)\b", 3),
    rule(MEDICAL, "an appointment", r"\b(?:your|an|the) appointment\b", 1),
    rule(MEDICAL, "a doctor", r"\bDr\.? [A-Z]", 1),
    # --- vendors and sales ------------------------------------------------------------------------------
    rule(VENDOR, "a demo", r"\b(?:product )?demo(?:s|nstration)?\b|\bproduct tour\b|\bfree trial\b", 2),
    rule(VENDOR, "a discovery call", r"\bdiscovery call\b|\bintro(?:ductory)? call to (?:learn|understand)\b", 3),
    rule(VENDOR, "selling", r"\b(?:pricing|quote for|proposal|procurement|ROI|use cases?|our (?:platform|"
         r"solution|software|tool|product)s? (?:can|helps?|will|lets|allows|enables|integrates|is built)|your (?:team'?s|stack|workflow|tooling|current (?:vendor|provider|"
         r"solution))|licen[cs]es?|seats|contract renewal|integrat(?:e|es|ion) with your)\b", 2),
    # the counterpart offers the user candidates: the user is the hiring side
    rule(VENDOR, "your openings", r"\byour (?:open|current) (?:roles|openings|positions|reqs|requisitions)\b|"
         r"\byour (?:open role|opening|req|requisition|hiring needs|vacanc(?:y|ies))\b", 4, COMPANY),
    rule(VENDOR, "candidates offered to you", r"\b(?:candidates|profiles|resumes|engineers) (?:for your|available "
         r"to interview|who match (?:the|your))\b|\bpre-?vetted\b|\bstaff(?:ing)? augmentation\b|"
         r"\bplacement fee\b|\bour (?:bench|talent pool)\b", 4, COMPANY),
    rule(VENDOR, "your hiring team", r"\byour (?:talent acquisition|recruiting|hiring|HR|people) (?:team|lead|"
         r"partner|manager)s?\b", 4, COMPANY),
    rule(VENDOR, "a sales title", r"\b(?:account executive|sales development|business development "
         r"representative|SDR|BDR|solutions? (?:engineer|consultant)|customer success manager)\b", 2),
    # --- credit, loans, insurance ----------------------------------------------------------------------------
    rule(CREDIT, "credit", r"\b(?:loan|mortgage|credit (?:card|limit|check|score|application|union)|"
         r"underwrit\w*|APR|interest rate|pre-?approv\w*|pre-?qualif\w*|refinanc\w*|lender|loan officer|"
         r"insurance (?:application|policy|quote|coverage)|premium|policyholder|bank statements?|pay ?stubs?|"
         r"proof of income|debt-to-income)\b", 3),
    # --- bulk: job alerts and newsletters (headers are read in recruiting.py) ---------------------------------
    rule(JOB_ALERT, "a job alert", r"\b(?:\d+ new (?:\w+ )?jobs?|jobs? (?:for|matching) you|job alerts?|"
         r"recommended (?:jobs|for you)|new jobs? (?:in|near|matching)|jobs you may (?:like|be interested in)|"
         r"easy apply)\b", 3, COMPANY),
    rule(NEWSLETTER, "a newsletter", r"\b(?:newsletter|this week'?s (?:issue|edition)|read (?:it )?online|"
         r"view (?:it )?in (?:your )?browser|issue #?\d+|manage (?:your )?(?:subscriptions?|preferences|alerts)|"
         r"unsubscribe)\b", 3, COMPANY),
    # --- recruiter mass mail (counted only when the user never answered: recruiting.py) ----------------------------
    rule(MASS_MAIL, "unsolicited outreach",
         r"\b(?:came across your (?:profile|background|resume|cv)|(?:are|would) you (?:be )?(?:open|interested)|"
         r"exciting (?:new )?(?:opportunit\w+|roles?)|new opportunit\w+|my client|our client|hot jobs?|"
         r"immediate(?:ly)? (?:need|hire|start)|(?:send|share) (?:me )?(?:your )?(?:updated )?(?:resume|cv)|"
         r"multiple (?:roles|openings|positions)|open to (?:a )?(?:chat|new roles|exploring))\b", 3, COMPANY),
    rule(MASS_MAIL, "a list of roles", r"\b(?:roles?|positions?|openings?) (?:include|below|listed)\b|"
         r"\bcurrent(?:ly)? (?:hiring|openings)\b", 2, COMPANY),
    # --- personal ---------------------------------------------------------------------------------------------
    rule(PERSONAL, "how did it go", r"\bhow did (?:the|your|it) (?:interview )?(?:go|went)\b|\bgood luck\b|"
         r"\bfingers crossed\b|\brooting for you\b|\bproud of you\b|\blove,? (?:mom|dad)\b|\bxo+\b", 3),
)

#: categories whose evidence also comes from a structural reading in recruiting.py
STRUCTURAL = frozenset({INTERVIEWER, PERSONAL, MASS_MAIL, JOB_ALERT, NEWSLETTER, ACK})
