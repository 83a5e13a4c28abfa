"""Evidence that a conversation is about the user's own candidacy with an employer.

"Interview" alone proves nothing (podcasts, landlords and admissions offices
interview people too), so the rules here read what only a hiring process
says: an application *for a role*, a recruiter's title, a hiring manager,
the stages of an interview process, an offer's terms; and from the user, the
words of a candidate ("I applied", "my résumé", "interest in the role").
They add up against the look-alike evidence of agent/signals/lookalike.py in
:func:`agent.signals.recruiting.classify`.

Weights: 3 for what only a hiring process says, 2 for what it usually says,
1 for what it shares with other mail.
"""

from __future__ import annotations

import re

from agent.lazy_pattern import lazy
from agent.signals.cues import COMPANY, SUBJECT, USER, Rule, rule

CANDIDACY = "candidacy"
#: evidence of *an* interview or a conversation, not of a job: it decides only where nothing
#: says the conversation is something else (see agent/signals/tracking.py)
INTERVIEW = "interview"

#: a job, as recruiters write it: "the Senior Data Engineer role", "this position"
_TITLE = (
    r"(?:engineer\w*|developer|scientist|analyst|architect|manager|designer|director|lead|specialist|"
    r"consultant|coordinator|administrator|associate|intern(?:ship)?|technician|officer|strategist|"
    r"researcher|\w*writer|editor|producer|accountant|counsel|nurse|teacher|representative|SRE|devops)"
)
_JOB = rf"(?:role|position|opening|job|vacancy|req(?:uisition)?|{_TITLE})"
#: a job title as a subject line names it: "Sr Data Engineer - Media client", "Founding data engineer @ X"
_SENIORITY = r"(?:senior|sr\.?|staff|principal|lead|junior|jr\.?|founding|head of|director of|vp,?|chief)"

_JOB_SUBJECT = (rf"\b(?:{_SENIORITY} )?(?:[A-Za-z][\w/&+-]* ){{0,2}}{_TITLE}\b|\breq(?:uisition)?\.? ?#? ?\d{{3,}}\b|"
                r"\b(?:job|role|position) (?:at|with|for)\b")
#: a subject naming a job: the engine's header-only look at candidates uses it too
JOB_SUBJECT = lazy(_JOB_SUBJECT, re.I)

RULES: tuple[Rule, ...] = (
    rule(CANDIDACY, "an application for a role",
         rf"\b(?:your|the) (?:application|candidacy|candidate profile)\b[^.\n]{{0,80}}\b{_JOB}\b|"
         rf"\b(?:applied|applying|application) (?:for|to) (?:the|our|a|this)\b[^.\n]{{0,60}}\b{_JOB}\b|"
         rf"\binterest in (?:the|our|this|joining)\b[^.\n]{{0,60}}\b(?:{_JOB}|team)\b", 3, COMPANY),
    rule(CANDIDACY, "a role named",
         rf"\b(?:the|this|our|a|an) (?:[A-Z][\w/&+-]*,? ){{0,4}}{_TITLE}\b[^.\n]{{0,40}}?\b(?:role|position|opening|"
         rf"job|vacancy)\b", 2),
    rule(CANDIDACY, "a job title in the subject", _JOB_SUBJECT, 2, SUBJECT),
    rule(CANDIDACY, "hiring",
         rf"\b(?:we(?:'re| are)|I(?:'m| am)|(?:is|are)) (?:currently |actively |now )?(?:hiring|recruiting)\b|"
         rf"\b(?:looking|searching) for (?:a |an |our (?:first |next )?)(?:[\w-]+ ){{0,3}}{_TITLE}\b|"
         r"\bjob (?:description|posting|req)\b|\b(?:the|a) team you(?:'d| would) (?:join|be joining)\b|"
         r"\bhiring for\b|\b(?:need|hire|hiring|looking for|want) (?:our|a|an) (?:first|next|founding|second) "
         r"(?:[\w-]+ ){0,2}(?:person|hire|engineer|analyst|scientist|developer|designer|lead)\b", 3, COMPANY),
    rule(CANDIDACY, "contract terms", r"\b(?:contract[- ]to[- ]hire|W-?2|C2C|corp[- ]to[- ]corp|1099|"
         r"(?:hourly|bill|pay) rate|\$\d+(?:-\d+)?(?:/| per )h(?:ou)?r)\b", 2, COMPANY),
    rule(CANDIDACY, "a job title's interview",
         rf"\b{_TITLE} (?:interview|screen|phone screen|onsite|opening|vacancy)s?\b|"
         r"\binterview\w* with (?:our|the) (?:\w+ ){0,2}(?:team|hiring manager|manager|lead|founders?|CTO|CEO|VP)\b",
         2, COMPANY),
    rule(CANDIDACY, "an interview for a role",
         r"\binterview\w* (?:for|about) (?:the|a|an|our|this) (?:[\w,/&-]+ ){0,5}(?:role|position|opening|job)\b", 3,
         COMPANY),
    rule(CANDIDACY, "a decision to come",
         r"\b(?:we|the team|I) (?:will|'ll|hope to|expect to|plan to|aim to|should) (?:make (?:a|our) )?decid\w*|"
         r"\bmake (?:a|our|the) (?:final )?decision\b|\b(?:hiring )?decision (?:by|within|on|early|next)\b", 2, COMPANY),
    rule(CANDIDACY, "the hiring process",
         r"\b(?:hiring|recruiting|recruitment|interview|selection) process\b|\bnext (?:round|stage|step)s? "
         r"(?:of|in) (?:the|our) (?:interview|hiring|recruiting|process)\b|\bmove (?:you )?forward (?:to|with) "
         r"(?:the )?(?:next|final|onsite)\b", 3, COMPANY),
    rule(CANDIDACY, "an interview stage",
         r"\b(?:technical|coding|system design|behaviou?ral|final|onsite|on-site|virtual onsite|hiring manager|"
         r"recruiter|team fit) (?:interview|screen|screening|round|assessment|exercise|challenge|call)s?\b|"
         r"\btake-?home (?:assignment|exercise|project|challenge|test)\b|\bcoding (?:challenge|exercise|test)\b", 3,
         COMPANY),
    rule(CANDIDACY, "a phone screen", r"\bphone screen\b", 2, COMPANY),
    rule(INTERVIEW, "a screening call", r"\b(?:phone|video|panel|case|culture|first|second|initial) "
         r"(?:interview|screen|screening|round)s?\b|\bscreening call\b", 1),
    rule(CANDIDACY, "the hiring team",
         r"\b(?:hiring (?:manager|team|committee|lead)|talent (?:acquisition|team|partner)|recruit(?:ing|ment) "
         r"(?:team|coordinator|partner)|people (?:team|ops|operations))\b", 2, COMPANY),
    # a title as signatures write it: at the start of a line, or after "|" or a comma ("Maya Okafor,
    # Technical Recruiter"); "write to the recruiter" in a coach's advice is no title
    rule(CANDIDACY, "a recruiter's title",
         r"(?:^|\||,)[ \t]*(?:[\w&./-]+[ \t]+){0,3}(?:recruiter|talent (?:acquisition|partner|sourcer)|sourcer|"
         r"head of talent|recruiting(?: lead| manager| coordinator| partner)?|HR (?:business )?partner)"
         r"[ \t]*(?:$|\||,|@|\bat\b|-|–|\bfor\b)", 3, COMPANY),
    rule(CANDIDACY, "a recruiter's voice",
         r"\bI(?:'m| am) (?:an? )?(?:[\w-]+ ){0,2}recruiter\b|\brecruit(?:er|ing) (?:at|for|with)\b|"
         r"\bsubmit(?:ted)? (?:you|your (?:profile|resume|cv)) (?:to|for)\b|\bmy client\b[^.\n]{0,60}\b(?:hiring|"
         r"looking for|role|position)\b", 2, COMPANY),
    rule(CANDIDACY, "an offer's terms",
         r"\b(?:offer letter|compensation (?:range|package|band|details)|salary (?:range|expectations|band)|"
         r"base salary|equity|sign-?on bonus|benefits package|notice period|right to work|work "
         r"authori[sz]ation|(?:annual|yearly) (?:salary|compensation))\b", 2),
    rule(INTERVIEW, "onboarding words", r"\b(?:background check|start date|relocation|orientation)\b", 1),
    rule(CANDIDACY, "a decision about candidates",
         r"\b(?:other candidates|another candidate|move forward with your (?:application|candidacy)|"
         r"extend (?:you )?an offer|pleased to offer you|not (?:to )?(?:move|moving) forward)\b", 3, COMPANY),
    rule(INTERVIEW, "your interview", r"\byour (?:\w+ )?interview\b", 1, COMPANY),
    rule(CANDIDACY, "references wanted", r"\b(?:professional )?references\b|\breference check\b", 1, COMPANY),
    rule(CANDIDACY, "your résumé", r"\b(?:your|the attached|updated) (?:resume|résumé|cv|portfolio)\b", 1, COMPANY),
    # --- the user's own words ----------------------------------------------------------------------
    rule(CANDIDACY, "the user applied",
         r"\bI(?:'ve| have)? (?:just )?(?:applied|submitted my application|sent (?:in )?my application)\b|"
         r"\bmy (?:application|candidacy)\b", 3, USER),
    rule(CANDIDACY, "the user's interest in the role",
         rf"\b(?:interest(?:ed)? in|excited about|enthusiasm for|passion for) (?:the|this|joining)\b[^.\n]{{0,60}}"
         rf"\b(?:{_JOB}|team|opportunity|company)\b|\bthank(?:s| you) for (?:considering me|the opportunity)\b", 3, USER),
    rule(CANDIDACY, "the user speaks of the role",
         r"\b(?:the|this|that|your) (?:[\w-]+ ){0,2}(?:role|position|job posting|job description)\b", 2, USER),
    rule(CANDIDACY, "the user's résumé", r"\bmy (?:resume|résumé|cv|portfolio|references|availability for)\b", 2, USER),
    rule(CANDIDACY, "the user's job talk",
         r"\b(?:my (?:current (?:role|employer|company)|notice period|salary expectations|start date)|"
         r"(?:withdraw|remove) (?:my|me from)\b[^.\n]{0,30}\b(?:application|candidacy|consideration|process)|"
         r"accepted (?:another|an(?:other)?) (?:offer|position|role))\b", 3, USER),
)
