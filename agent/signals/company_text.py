"""Phrases that may name a company, read from the words of one message.

Pure string functions over a subject, an invitation's summary, a display
name, a signature or a sentence. Each returns :class:`Phrase` objects: the
name as written (cleaned of legal forms like "Inc." and of team words like
"Recruiting") with the words it came from. They find *candidates*; which
one names the company is decided by :mod:`agent.signals.company`, which
also drops people's names and brands, since that needs the whole
conversation. Why patterns and not a general entity tagger: a recruiter's
mail names its company in a handful of fixed places ("Senior Data Engineer
at Corvid Labs", "Technical Recruiter | Corvid Labs", "Maya at Corvid
Labs"), and reading only those places keeps out the towns, products and
people a sentence also names.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from agent.lazy_pattern import lazy


def _wordset(words: str) -> frozenset[str]:
    """A set of words written as a block of text (easier to read and review than a literal)."""
    return frozenset(words.split())


__all__ = [
    "Phrase",
    "body_phrases",
    "clean",
    "display_phrases",
    "has_generic",
    "is_generic",
    "is_role",
    "leading_name",
    "looks_like_org",
    "signature_lines",
    "signature_phrases",
    "subject_phrases",
    "trailing_name",
]


@dataclass(frozen=True)
class Phrase:
    """A name found in some words: ``name`` cleaned, ``quote`` what it was read from."""

    name: str
    quote: str
    whole: str = ""  # the name with its team words kept ("Apex Recruiting"), when they differ
    client: bool = False  # named as someone's client ("my client Corvid Labs", "on behalf of ...")
    marked: bool = False  # team words were cut off it ("Corvid Labs Recruiting"): an organisation
    segment: bool = False  # a subject's part between separators, named by its place, not its words
    written: str = ""  # as written, legal form and all ("Bluth Company"), when it differs from ``whole``


# --- words ----------------------------------------------------------------------------

# Words that say what a mail or a team is, never whose: a phrase made only of these
# ("Talent Team", "Next Steps", "Interview Invitation") names no company, and at the ends
# of a name they are the team, not the company ("Corvid Labs Recruiting").
_GENERIC = _wordset("""
recruiting recruitment recruiter recruiters talent acquisition team teams hiring hire careers
career people hr human resources jobs job interview interviews interviewing invitation invite
invited confirmation confirmed schedule scheduling scheduled reschedule rescheduled next step
steps update updates application applications applicant candidate candidates candidacy phone
screen screening call chat onsite on-site virtual video round final first second third
technical follow-up follow up offer thank thanks you your our my we us i re fwd fw
availability reminder request feedback status decision meeting assessment challenge coding
take-home exercise role position opening opportunity opportunities vacancy notification
notifications no-reply noreply donotreply support admin info organizer organiser calendar event
new hello hi dear welcome congratulations important action required regarding about from at
with to for in on of and the a an is are department office services today tomorrow week
conversation introduction intro quick catch sync discussion time slot slots confirm booking
booked reply response contact details information info question questions agenda panel loop
debrief summary reference references check background hiring-team headhunter headhunting
monday tuesday wednesday thursday friday saturday sunday mon tue wed thu fri sat sun
january february march april may june july august september october november december
jan feb mar apr jun jul aug sep sept oct nov dec am pm et pt ct mt est edt pst pdt cst cdt
mst mdt utc gmt bst cet cest ist
dr mr mrs ms mx prof phd mba mha md rn cpa msc bsc ma ba jd esq phr sphr shrm-cp shrm-scp
corporate headquarters hq support head-office
direct contract contract-to-hire full-time part-time permanent temporary temp remote hybrid w2 c2c
freelance automatic auto out ooo absence vacation away
""")
# Job titles: a phrase holding one of these is a role ("Senior Data Engineer"), not a company.
_TITLES = _wordset("""
engineer developer manager designer scientist analyst director architect specialist consultant
recruiter sourcer coordinator partner lead head vp svp evp president officer associate intern
internship generalist administrator researcher technician representative assistant advisor
strategist programmer owner ceo cto cfo coo cpo cro founder co-founder chair chairman
editor reporter producer writer professor dean teacher attorney counsel accountant nurse physician
librarian supervisor lecturer clerk secretary treasurer
""")
# Departments and fields: "Senior Consultant - Data Engineering" names a team, not an employer.
# Only a phrase made of nothing else is taken for one ("Corvid Data" stays a company).
_DEPARTMENTS = _wordset("""
data engineering analytics platform infrastructure product design marketing sales operations
finance legal security research science machine learning ml ai software technology tech it digital
business intelligence growth customer success strategy cloud devops mobile web frontend backend
quality qa pricing revenue risk compliance payments claims audience insights reliability site
""")
_CONNECTORS = frozenset({"&", "+", "and", "of", "de", "du", "des", "der", "la", "le", "für", "y",
                         "van", "von", "the", "for"})
_PRONOUNS = frozenset({"i", "i'm", "i’m", "i've", "i'll", "i'd", "we", "we're", "we've", "we'll", "you",
                       "you're", "they", "he", "she", "it", "it's", "our", "my", "your", "please"})
_TOKEN = lazy(r"^(?:[A-Z0-9À-ÖØ-Þ][\w'’.&+!-]*|[a-z][A-Z0-9][\w'’.&+-]*|&|\+)$")
_END = ",.;:!?)]}\"”"
_WORD = lazy(r"[\w&+'’-]+")


def _words(name: str) -> list[str]:
    return [w.lower().strip("'’") for w in _WORD.findall(name)]


def is_generic(name: str) -> bool:
    """Made only of words that name no company ("Talent Team", "Interview: Next Steps") or a
    department ("Data & Analytics", "Platform Engineering")."""
    words = [w for w in _words(name) if w not in _CONNECTORS]
    return all(w in _GENERIC or w in _DEPARTMENTS for w in words)


def has_generic(name: str) -> bool:
    """Holds a word that names no company ("Initrode Hiring Team"): so it is no person's name."""
    return any(w in _GENERIC for w in _words(name))


def is_role(name: str) -> bool:
    """A job title ("Senior Data Engineer", "Talent Partner"), not a company."""
    return any(w in _TITLES for w in _words(name))


def leading_name(text: str, limit: int = 6) -> str:
    """The run of capitalised words that starts ``text`` ("Corvid Labs" of "Corvid Labs. We...").

    Connectors ("&", "of", "and") are kept inside a run ("Procter & Gamble", "Bank of
    America"); punctuation after a word ends it; a possessive ends it and is dropped.
    """
    out: list[str] = []
    for raw in text.split()[: limit * 2]:
        tok = raw.lstrip("\"'“‘([{")
        if out and tok != raw and raw[0] in "([{":
            break  # "Acme Robotics (Senior Platform Engineer)": the bracket starts something else
        core = tok.rstrip(_END)
        stop = core != tok
        if core.endswith(("'s", "’s")):
            core, stop = core[:-2], True
        elif core.endswith(("'", "’")):
            core, stop = core[:-1], True
        if not core:
            break
        if core.lower() in _PRONOUNS or (not (out and core.lower() in _CONNECTORS) and not _TOKEN.match(core)):
            break
        out.append(core)
        if stop or len(out) >= limit:
            break
    while out and out[-1].lower() in _CONNECTORS:
        out.pop()
    return " ".join(out)


def trailing_name(text: str, limit: int = 6) -> str:
    """The run of capitalised words that ends ``text`` ("Corvid Labs" of "Interview: Corvid Labs")."""
    out: list[str] = []
    for i, raw in enumerate(reversed(text.split()[-limit * 2 :])):
        core = raw.strip("\"'“”‘’([{")
        if i > 0 and core != core.rstrip(_END):
            break  # punctuation after this word: the run began after it
        core = core.rstrip(_END)
        if not core or (not (out and core.lower() in _CONNECTORS) and not _TOKEN.match(core)):
            break
        out.append(core)
        if len(out) >= limit:
            break
    while out and out[-1].lower() in _CONNECTORS:
        out.pop()
    return " ".join(reversed(out))


@functools.lru_cache(maxsize=8192)
def clean(name: str, *, keep_team_words: bool = False) -> str:
    """A name without legal form ("Bluefin Robotics, Inc." → "Bluefin Robotics") or team words.

    Why drop the legal form: it is letterhead, not how the company or the user
    names it in conversation, and the same company appears with and without it
    across a thread (dropping it lets those mentions agree). Team and filler words
    at either end go too ("Corvid Labs Recruiting", "the Corvid Labs") unless
    ``keep_team_words`` (an agency may be called "Apex Recruiting", a company "The
    Trade Desk": the caller keeps that form when the domain spells it so).
    """
    name = " ".join(name.replace("\u00a0", " ").split()).strip(_STRIP)
    words = name.split()
    if not keep_team_words:
        while words and words[-1].lower().strip(".,'’") in _EDGE:
            words.pop()
        while words and words[0].lower().strip(".,'’") in _EDGE and words[0] != "The":
            words.pop(0)  # a capital "The" may be the name's own ("The Aldous Gazette")
    while words and words[-1].lower() in _CONNECTORS:
        words.pop()
    name = " ".join(words)
    if not name:
        return ""
    # cleanco knows the legal forms of many countries ("Inc.", "GmbH", "S.A.", "plc"); imported
    # here so that a poll that names no company never loads it (issue 15)
    from cleanco import basename

    return basename(name).strip(" ,.-")  # "" when it was nothing but a legal form ("Inc.")


def looks_like_org(name: str) -> bool:
    """Holds a word that organisations name themselves with ("Labs", "Health", "Robotics").

    Why: a display name like "Maya Okafor" and one like "Holloway Health" are both
    two capitalised words; without a list of people's names (which the agent does
    not ship) this is the evidence that tells them apart. The list is the common
    endings of company names, written here; it only ever adds weight to a name.
    """
    return any(w in _ORG_WORDS for w in _words(name))


_STRIP = " \"'“”‘’-–—|:,;·•()[]"
_EDGE = _GENERIC | _CONNECTORS
_ORG_WORDS = _wordset("""
labs lab health healthcare robotics technologies technology tech systems software solutions group
holdings partners capital bank bancorp financial finance insurance media studios studio games
networks network analytics security energy motors therapeutics bio biosciences biotech pharma
pharmaceuticals ai data cloud digital ventures industries international global foundation institute
university college hospital clinic clinics company corp corporation inc co llc ltd gmbh ag plc
consulting services logistics airlines foods brands retail works dynamics devices semiconductor
semiconductors materials mobility space aerospace automation markets exchange payments pay fintech
trust hq collective agency search recruitment staffing resourcing associates medical sciences
engineering manufacturing electric power telecom communications labs.io apps app platforms
""")


# --- subjects and invitation summaries ------------------------------------------------

_CALENDAR_PREFIX = lazy(
    r"^(?:(?:updated\s+)?invitation(?:\s+from\s+google\s+calendar)?|updated\s+event|accepted|declined"
    r"|tentatively\s+accepted|canceled(?:\s+event)?|cancelled(?:\s+event)?|new\s+event)"
    r"(?:\s+with\s+note)?\s*:\s*", re.I)
_CALENDAR_WHEN = lazy(r"\s@\s(?:(?:mon|tue|wed|thu|fri|sat|sun)\w*|\d|weekly|daily).*$", re.I)
_PAIR = r"\s*(?:<>|<->|<=>|/|\bx\b|×|\+|\|)\s*"
# "… at X", "… with X", "Application to X", "Offer from X", "Welcome to X", "joining X"
_SUBJECT_AFTER = lazy(
    r"(?:\b(?:at|with)\s|\s@\s|\b(?:appl(?:y|ying|ication|ied)|submission|interest|welcome)\s+"
    r"(?:to|with|at|in)\s+(?:joining\s+)?|\b(?:from|by)\s+(?:the\s+)?|\bjoin(?:ing)?\s+)", re.I)
_SEPARATORS = lazy(r"\s+[-–—|·•]\s+|\s*[|:]\s+|\s+[-–—]\s*$|^\s*\[|\]\s*")
_LEADS = lazy(r"^(.{2,60}?)\s+(?:is\s+hiring|wants\s+to|would\s+like|invites\s+you)\b", re.I)


def subject_phrases(subject: str, user_names: tuple[str, ...] = ()) -> list[Phrase]:
    """Names in a subject or an invitation's summary.

    "Senior Data Engineer at Corvid Labs", "Your application to Holloway Health",
    "Corvid Labs - Interview", "Interview: Jordan Lee <> Corvid Labs" (the side of a
    pair that is not the user), "[Corvid Labs] Next steps", "Holloway Health is hiring".
    Every segment between separators is offered too; titles and generic words are
    dropped here, people and brands by the caller.
    """
    text = _CALENDAR_WHEN.sub("", _CALENDAR_PREFIX.sub("", subject.strip()))
    text = re.sub(r"\s*\([^()]*@[^()]*\)\s*$", "", text)  # Google's "(jordan@…)" trailer
    found = [*_pair_names(text, user_names)]
    for m in _SUBJECT_AFTER.finditer(text):
        found.append(leading_name(text[m.end() :]))
    lead = _LEADS.match(text)
    if lead:
        found.append(lead.group(1))
    segments = [x for x in _SEPARATORS.split(text) if x and x.strip()]
    if len(segments) < 2:  # a subject that is one phrase ("Drinks Friday?") names nothing by its shape
        segments = []
    return _phrases(found, subject) + _phrases([_whole_name(x) for x in segments], subject, segment=True)


def _pair_names(text: str, user_names: tuple[str, ...]) -> list[str]:
    """The other side of "Jordan Lee <> Corvid Labs" / "Corvid Labs / Jordan Lee"."""
    out: list[str] = []
    for user in user_names:
        if not user:
            continue
        who = re.escape(user)
        after = re.search(rf"\b{who}{_PAIR}(.+)$", text, re.I)
        if after:
            out.append(leading_name(after.group(1)))
        before = re.search(rf"^(.+?){_PAIR}{who}\b", text, re.I)
        if before:
            out.append(trailing_name(before.group(1)))
    return out


def _whole_name(segment: str) -> str:
    """A segment that is a name, perhaps followed by generic words ("Corvid Labs",
    "Globex interview"), else ""."""
    segment = segment.strip(" -–—|:[]")
    name = leading_name(segment)
    if not name:
        return ""
    rest = segment[len(name) :] if segment.startswith(name) else segment
    return name if not rest.strip(" .!?,") or is_generic(rest) else ""


def _phrases(names: list[str], quote: str, *, client: bool = False, segment: bool = False) -> list[Phrase]:
    out: list[Phrase] = []
    for raw in names:
        name, whole = clean(raw), clean(raw, keep_team_words=True)
        if not name or is_generic(name) or is_role(name) or is_role(whole):
            continue  # "Senior Recruiter" is a title even once "Recruiter" is cut off
        marked = whole != name and len(whole.split()) > len(name.split())
        written = " ".join(raw.split()).strip(_STRIP)
        out.append(Phrase(name, " ".join(quote.split())[:200], whole if whole != name else "", client,
                          marked, segment, written if written not in (name, whole) else ""))
    return out


# --- display names --------------------------------------------------------------------

_VIA = lazy(r"^(.+?)\s+(?:via|through|on behalf of)\s+(.+)$", re.I)
_DISPLAY_SPLIT = lazy(r"\s+(?:at|from|@)\s+|\s*[|(),]\s*|\s+[-–—]\s+", re.I)


def display_phrases(name: str) -> list[Phrase]:
    """Names in a display name: "Maya at Corvid Labs", "Holloway Health Recruiting via Greenhouse",
    "Maya Okafor (Corvid Labs)", "Corvid Labs Talent Team"; each part is offered (the
    caller drops the person's name and the ATS brand)."""
    name = " ".join(name.split()).strip("\"' ")
    if not name or "@" in name.replace(" @ ", ""):
        return []
    via = _VIA.match(name)
    parts = [via.group(1)] if via else [p for p in _DISPLAY_SPLIT.split(name) if p]
    return _phrases([p for p in parts if p.strip()], name)


# --- signatures -----------------------------------------------------------------------

_SIGNOFF = lazy(
    r"^(?:best|best regards|kind regards|warm regards|warmly|regards|many thanks|thanks|thank you"
    r"|cheers|sincerely|yours sincerely|all the best|best wishes|talk soon|mit freundlichen gr\S+"
    r"|viele gr\S+|beste gr\S+|cordialement|saludos|atentamente|--)\W*$", re.I)
_SKIP_LINE = lazy(
    r"@|https?://|www\.|\.(?:com|org|io|net|co)\b|\d{3}[\s.)-]*\d{3}|^\+?\d|\b(?:she|he|they)/|"
    r"^(?:sent from|get outlook|confidential|this (?:e-?mail|message))|^\W*(?:phone|mobile|tel|cell|"
    r"fax|office|direct|linkedin|twitter|pronouns)\b|^\W*(?:microsoft teams|zoom|google meet|webex)\b"
    r"|\b(?:meeting id|passcode|join (?:the )?meeting|dial[- ]in)\b", re.I)
_PLACE = lazy(r"^[A-Z][\w .'-]*,\s*(?:[A-Z]{2}|USA|UK|U\.S\.A?\.?|Germany|Deutschland|France|"
                    r"Canada|Ireland|India|Spain|Netherlands|Australia|Singapore|Japan)\b")
# what follows a name on its line: pronouns, degrees ("Grace Adebayo-Hunt (she/her)", "Philippa Greaves, PhD")
_NAME_EXTRAS = lazy(r"\s*\((?:she|he|they|ze)/[^)]*\)|,\s*(?:Ph\.?D|MBA|MHA|MD|RN|CPA|MSc|MA|MS|JD|Esq)\.?(?=\s*(?:\||$))",
                          re.I)
_SIG_PARTS = lazy(r"\s*[|·•]\s*")
_SIG_SPLIT = lazy(r"\s*,\s*|\s+[-–—]\s+|\s+(?:at|@|with)\s+", re.I)
_ADDRESS = lazy(
    r"\b\d{1,5}\s+(?:[A-Z][\w.'-]*\s+){1,3}(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr"
    r"|Way|Place|Pl|Square|Sq|Court|Ct|Wharf|Parkway|Pkwy|Suite|Floor|Straße|Strasse|Str)\b\.?"
    r"|\b[A-Z]{2}\s+\d{5}\b|\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b|\b\d{5}\s+[A-Z][a-zäöü]+")


def signature_lines(signature: str) -> tuple[str, list[str]]:
    """A signature as (the writer's name line, the other lines that may name things).

    The name line is the first line after the sign-off when it looks like a name
    (one to four capitalised words, nothing else); contact details, places and
    notices are left out.
    """
    lines = [x.strip() for x in signature.split("\n") if x.strip()]
    while lines and _SIGNOFF.match(lines[0]):
        lines = lines[1:]
    person = ""
    if lines:
        first, _, firm = _NAME_EXTRAS.sub("", lines[0]).partition(" | ")  # "Rosa Quintero | Quintero Search"
        if _person_line(first.strip()):
            person, lines = first.strip(), ([firm] if firm.strip() else []) + lines[1:]
    kept = [x for x in lines[:8] if len(x) <= 90 and not _SKIP_LINE.search(x) and not _PLACE.match(x)]
    return person, kept


def _person_line(line: str) -> bool:
    """One to four capitalised words, none of them generic, a title's or an organisation's."""
    words = _words(line)
    return (1 <= len(words) <= 4 and leading_name(line) == line.strip() and not is_role(line)
            and not looks_like_org(line) and not has_generic(line))


def signature_phrases(signature: str) -> list[Phrase]:
    """Names in a signature's lines: "Technical Recruiter | Corvid Labs", "Corvid Labs",
    "Talent Acquisition, Holloway Health", "Recruiter at Bluefin Robotics"; the parts of a
    line that are an address, a place or a number are left out."""
    _, lines = signature_lines(signature)
    out: list[Phrase] = []
    for line in lines:
        for part in _SIG_PARTS.split(line):
            if not part.strip() or _SKIP_LINE.search(part) or _PLACE.match(part.strip()) or _ADDRESS.search(part):
                continue
            pieces = [p for p in _SIG_SPLIT.split(part) if p and p.strip()]
            out.extend(_phrases([_whole_name(p) for p in pieces], line))
    return out


# --- sentences ------------------------------------------------------------------------

_CLIENT = lazy(
    r"\b(?:(?:my|our)\s+client,?\s+|on\s+behalf\s+of\s+(?:(?:my|our)\s+client,?\s+)?"
    r"|(?:representing|partnered\s+with|exclusively\s+with)\s+)", re.I)
_AFTER = lazy(
    r"\b(?:(?:role|position|opening|opportunit(?:y|ies)|job|vacancy|team|career|internship|"
    r"interview|offer|process|everyone|colleagues|future|recruiter|recruiting|recruitment|consultant|"
    r"sourcer|talent\s+partner|hiring)\s+(?:here\s+)?(?:at|with)\s+|\b(?:I|we)\s+work\s+(?:at|for)\s+"
    r"|\b(?:this\s+is|I'm|I\s+am|it's)\s+(?-i:[A-Z][\w'’-]+(?:\s+[A-Z][\w'’-]+)?)\s+(?:from|at|with)\s+"
    r"|here\s+at\s+|we\s+at\s+|(?:interest\s+in|applying\s+(?:to|at)|applied\s+(?:to|at)|"
    r"application\s+(?:to|with|at)|welcome\s+to|joining|to\s+join)\s+(?:the\s+)?)", re.I)
_HERE = lazy(r"^[A-Z][\w'’-]+\s+(?:from|at|with)\s+(.{2,60}?)\s+here\b", re.M)  # "Rachel from X here"
_TEAM_AFTER = lazy(
    r"((?:[A-Z0-9][\w&+'’.-]*\s+){0,4}[A-Z0-9][\w&+'’.-]*?)(?:'s|’s)?\s+"
    r"(?:hiring|recruiting|recruitment|talent(?:\s+acquisition)?|people|engineering)\s+team\b")


def body_phrases(text: str) -> list[Phrase]:
    """Names a company's sentences give plainly: "the role at Corvid Labs", "here at Holloway
    Health", "my client, Corvid Labs,", "on behalf of Bluefin Robotics", "the Corvid Labs
    hiring team". Only these forms: a sentence names many other things."""
    text = text[:6000]
    out: list[Phrase] = []
    for m in _CLIENT.finditer(text):
        out.extend(_phrases([leading_name(text[m.end() :])], _around(text, m.start()), client=True))
    for m in _AFTER.finditer(text):
        out.extend(_phrases([leading_name(text[m.end() :])], _around(text, m.start())))
    for m in _HERE.finditer(text):
        out.extend(_phrases([leading_name(m.group(1))], _around(text, m.start())))
    for m in _TEAM_AFTER.finditer(text):
        out.extend(_phrases([m.group(1)], _around(text, m.start())))
    return out


def _around(text: str, at: int) -> str:
    start = max(text.rfind("\n", 0, at), text.rfind(". ", 0, at) + 1, at - 80, 0)
    end = min(x for x in (text.find("\n", at), text.find(". ", at), at + 120, len(text)) if x >= 0)
    return " ".join(text[start:end].split())
