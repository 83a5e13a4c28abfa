"""Outcomes and instructions in a message's own words, read by structure.

The issue this answers: a company asked candidates not to follow up "in words
the phrase list did not have", and the agent wrote a thank-you anyway. A list
of phrases always misses the next wording, so each sentence is read as a small
structure instead: a prohibitive frame ("please do not", "kindly refrain
from", "we ask that you not", "there is no need to") followed by a contact
verb (contact, reach out, follow up, reply, check in, chase ...) and what it
is aimed at (us, the hiring team, the interviewers, this mailbox); a promise
that the company will make contact, with what restricts it ("directly", "only
if"); an unmonitored mailbox; the portal as the only channel. Rejections,
offers and the user's withdrawal are read the same way: a negated progress
verb and its object, a closed position, an offer made to *you* of a *role*.

Hedges and invitations are what make a phrase list wrong in both directions,
so they are part of the structure: "please don't hesitate to reach out" is
an invitation, "if we decide not to move forward" a condition, "we are not
able to offer remote work" an offer of something else, "do not contact your
references yet" aimed at someone outside the company.

Everything here is pure string work on one message's new text (the parser has
already removed quoted text and sign-offs). Sentence splitting is written
here rather than taken from an NLP library: email text needs its own rules
(hard-wrapped lines, greetings, dashes as clause breaks) and the project keeps
its dependencies to maintained mail and calendar libraries; the rules below
are small and tested on their own.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from agent.facts import NoFollowUp, Offer, Rejection, Said, Withdrawn
from agent.lazy_pattern import lazy


@dataclass(frozen=True)
class Finding:
    """One outcome or instruction, with the sentence it came from."""

    fact: type[Said]  # what it becomes: Rejection | Offer | NoFollowUp | Withdrawn
    sentence: str  # as written (whitespace collapsed): the evidence
    rule: str  # which structure matched, for ``explain``


@dataclass(frozen=True)
class Clause:
    """A clause of a sentence, normalised for reading, with its sentence kept as evidence."""

    text: str  # lower case, contractions expanded, punctuation reduced to , ; .
    sentence: str
    question: bool  # the sentence asks rather than states


# --- sentences and clauses ----------------------------------------------------------

_ABBREVIATIONS = frozenset({"e.g", "i.e", "mr", "mrs", "ms", "dr", "st", "jr", "sr", "inc", "ltd", "co", "corp",
                            "vs", "etc", "a.m", "p.m", "u.s", "u.k", "approx", "dept"})
_BULLET = lazy(r"^\s*(?:[-*•·]|\d{1,2}[.)])\s+")
_SENTENCE_END = lazy(r"[.!?]+(?=[\"'”’)\]]*(?:\s|$))")


def sentences(text: str) -> list[str]:
    """``text`` as sentences: paragraphs, list items and short lines stand alone.

    A wrapped line (long, or followed by a line that goes on in lower case) is
    joined to the next one; a short line without punctuation before a capital
    ("Next steps", "Hi Jordan") is a unit of its own, so a heading never runs
    into the instruction under it.
    """
    out: list[str] = []
    for unit in _line_units(text):
        out.extend(_split_unit(unit))
    return out


def _line_units(text: str) -> Iterator[str]:
    current: list[str] = []
    lines = text.replace("\r", "").split("\n")
    for i, raw in enumerate(lines):
        line = raw.strip()
        if not line or _BULLET.match(raw):
            if current:
                yield " ".join(current)
            current = [_BULLET.sub("", raw).strip()] if line else []
            continue
        current.append(line)
        following = lines[i + 1].strip() if i + 1 < len(lines) else ""
        if line.endswith((".", "!", "?", ";", ":")) or (len(line) < 50 and not following[:1].islower()):
            yield " ".join(current)
            current = []
    if current:
        yield " ".join(current)


def _split_unit(unit: str) -> Iterator[str]:
    start = 0
    for m in _SENTENCE_END.finditer(unit):
        before = unit[start:m.start()].rsplit(None, 1)
        word = before[-1].lower().strip("(\"'") if before else ""
        if m.group() == "." and (word in _ABBREVIATIONS or len(word) == 1):
            continue  # "e.g.", "Dr.", "J." do not end a sentence
        piece = unit[start:m.end()].strip()
        if piece:
            yield piece
        start = m.end()
    rest = unit[start:].strip()
    if rest:
        yield rest


#: Whole words that a contraction rule below would get wrong.
_WORDS = {"can't": "can not", "cannot": "can not", "won't": "will not", "shan't": "shall not",
          "let's": "let us", "i'm": "i am"}
_SUFFIXES = {"n't": " not", "'ll": " will", "'re": " are", "'ve": " have", "'d": " would"}
_IS = frozenset({"it", "that", "there", "here", "what", "who", "he", "she"})
_CONTRACTION = lazy(r"\b\w+'(?:t|ll|re|ve|d|s|m)\b|\bcannot\b")


def _expand(m: re.Match[str]) -> str:
    word = m.group()
    if word in _WORDS:
        return _WORDS[word]
    for suffix, full in _SUFFIXES.items():
        if word.endswith(suffix):
            return word[: -len(suffix)] + full
    stem = word[:-2]
    return f"{stem} is" if word.endswith("'s") and stem in _IS else word  # "acme's" stays


_JOINED = {"replyall": "replyall", "no-reply": "noreply", "do-not-reply": "noreply"}
_COMPOUND = lazy(
    r"\breply[- ]?(?:to[- ])?all\b|\bno-reply\b|\bdo-not-reply\b|\bfollow[- ]?ups?\b|\bcheck-in\b|"
    r"\be-mail|\bthank-you\b|\bon-?site\b"
)


def _join(m: re.Match[str]) -> str:
    """One spelling per compound; "no-reply" the address, not the instruction "do not reply"."""
    w = m.group()
    if w.startswith("reply"):
        return "replyall"
    if w in _JOINED:
        return _JOINED[w]
    if w.startswith("follow"):
        return "follow ups" if w.endswith("s") else "follow up"
    return {"check-in": "check in", "e-mail": "email", "thank-you": "thank you"}.get(w, "onsite")


_BREAK = lazy(r"\s+[-–—]+\s+|--+|[–—]|[;:]")
_MARKS = lazy(r"[^\w@.,;' ]+|[.](?=\s|$)")


def normalise(sentence: str) -> str:
    """Lower case, contractions expanded, dashes and semicolons as ``;``, other marks dropped."""
    s = sentence.lower().replace("‘", "'").replace("’", "'")
    s = _COMPOUND.sub(_join, _CONTRACTION.sub(_expand, s))
    s = _MARKS.sub(" ", _BREAK.sub(" ; ", s))
    return " ".join(s.replace(",", " , ").split())


def clauses(text: str) -> list[Clause]:
    """Every clause of every sentence of ``text`` (split at ``;``, dashes and colons)."""
    out: list[Clause] = []
    for sent in sentences(text):
        flat = " ".join(sent.split())
        question = flat.rstrip("\"'”’) ").endswith("?")
        for part in normalise(flat).split(";"):
            part = part.strip(" ,")
            if part:
                out.append(Clause(part, flat, question))
    return out


# --- shared vocabulary ---------------------------------------------------------------

#: Contact verbs, base form and gerund. "write", "ask" and "send" count only with what
#: makes them contact ("write to", "ask for an update", "send a follow-up").
CONTACT = (
    r"(?:contact(?:ing)?|reach(?:ing)? out|reach(?:ing)?(?= (?:us|me|the|our|any)\b)|"
    r"follow(?:ing)? up|call(?:ing)?|phon(?:e|ing)|ring(?:ing)?(?= (?:us|me|the|our)\b)|"
    r"email(?:ing)?|messag(?:e|ing)|text(?:ing)?(?= (?:us|me|the|our|any)\b)|"
    r"writ(?:e|ing)(?= (?:to|back|in)\b)|repl(?:y|ying)|respond(?:ing)?|check(?:ing)? in|"
    r"chas(?:e|ing)|inquir(?:e|ing)|enquir(?:e|ing)|ask(?:ing)?(?= (?:\w+ )?(?:for|about|after)\b)|"
    r"ping(?:ing)?|nudg(?:e|ing)|get(?:ting)? in touch|touch(?:ing)? base|get(?:ting)? back|"
    r"send(?:ing)?(?= (?:(?:a|an|any|us|me|them|further|additional|more|your|separate|individual) )*"
    r"(?:follow ups?|thank you|notes?|emails?|messages?|inquir|enquir|reminders?|status requests?)))"
)
_CONDITION = lazy(r"\b(?:if|whether|unless|in case|even if|in the event|should (?:we|you|i|they))\b")
_NEGATION = lazy(r"\b(?:not|never|no longer|unable|without|nor)\b")
_HEDGE_WORDS = lazy(
    r"\b(?:hope|hoping|expect|expecting|plan|planning|aim|aiming|might|may|could|potential|"
    r"potentially|possibly|likely|considering|consider|thinking about|think about|wondering|"
    r"debating|whether|before|once|after)\b"
)


_CLAUSE_JOINT = lazy(r",| and | but | so | because | as | since ")


def _tail(prefix: str) -> str:
    """The part of ``prefix`` after its last comma or conjunction: where a negation still governs."""
    return _CLAUSE_JOINT.split(prefix)[-1]


def _conditional(c: Clause, start: int) -> bool:
    """A question, or a condition before position ``start``: a hypothesis, not a statement."""
    return c.question or bool(_CONDITION.search(c.text[:start]))


# --- no follow-ups wanted --------------------------------------------------------------

_LEAD_IN = (
    r"(?:(?:and|so|also|but|again|just|meanwhile|in the meantime|for now|at this stage|at this point|"
    r"going forward|as a reminder|just a reminder|reminder|note|please note|after the interview|"
    r"after your interview|thereafter|otherwise) ,? )*"
)
_PROHIBITIONS = lazy(
    r"(?:\b(?:please|kindly) (?:do not|never|not)"
    r"|(?:^|, )" + _LEAD_IN + r"(?:do not|never)"
    r"|(?:\bplease |\bkindly |^|, |\byou (?:should|must|may|are asked to|are requested to) "
    r"|\bwe (?:\w+ )?(?:ask|request) (?:that )?(?:you|candidates|applicants|all candidates) (?:to )?"
    r"|\b(?:candidates|applicants) (?:should|must|are asked to|are requested to) )(?:refrain from|avoid|"
    r"hold off(?: on)?)"
    r"|\bwe (?:would |kindly |politely |respectfully )?(?:ask|request|prefer|appreciate it if) (?:that )?"
    r"(?:you|candidates|applicants|all candidates) (?:do not|did not|not to|to not|not|never)"
    r"|\b(?:you|candidates|applicants) (?:should|must|may|need) not"
    r"|\b(?:you|candidates|applicants) (?:are|will be) (?:kindly )?(?:asked|requested|reminded) (?:not to|to not)"
    r"|\b(?:there is )?no need (?:for you )?to"
    r"|\byou (?:do not|will not|would not) need to|\byou need not"
    r"|\bit is not necessary (?:for you )?to"
    r"|\byou (?:are|will be) not (?:required|expected|obligated|obliged) to)"
    r" (?P<filler>(?:(?:try(?:ing)? to|attempt(?:ing)? to|directly|personally|individually|further|"
    r"again|separately|yourself|also|feel (?:the need|obliged|obligated|compelled) to|worry about|"
    r"bother(?: to| with)?|need to|have to) )*)(?P<verb>" + CONTACT + r")\b(?P<rest>.*)"
)
#: Until a date or an event of the user's: temporary. Until *they* decide or write: that is the
#: instruction itself ("refrain from contacting us until you hear from us").
_THEIR_MOVE = (r"(?! (?:you (?:hear|have heard|are contacted|receive|get)|we (?:contact|reach|get back|are in "
               r"touch|have made|make|decide|have decided|complete|have completed|finish|have finished)|"
               r"a (?:final )?decision|the (?:final )?(?:decision|outcome|process|search)|our (?:decision|process)))")
_TEMPORARY = lazy(
    r"\b(?:until|till|before|prior to)\b" + _THEIR_MOVE + r"|\bunless you (?:have not|do not) hear\b"
    r"|\bafter (?:\d|noon|midnight|(?:business |office |work |working )?hours)"
    r"|\bon (?:weekends|the weekend|saturdays?|sundays?|holidays)\b|\bat night\b|\bin the evenings?\b"
)
#: A side channel ("on my personal phone", "the main office line"): not the email a draft would be.
_SIDE_CHANNEL = lazy(
    r"\b(?:by|via|over|through|on|at) (?:the |my |our |your )?(?:\w+ )?(?:phone|telephone|cell|mobile|text|sms|"
    r"linkedin|social media|whatsapp|number|line|extension|voicemail)\b"
    r"|^(?:the|our|my) (?:\w+ ){0,2}(?:line|number|phone|cell|mobile|extension|voicemail)\b"
)
_LIMITED = lazy(r"\bmore than (?:once|twice|one|two|\w+ times)\b|\brepeatedly\b|\bmultiple times\b|"
                      r"\bwith (?:your|any) (?!(?:questions|inquiries|enquiries|follow|updates?|status|recruiter|"
                      r"interviewers?|hiring|team|application|candidacy)\b)\w+")
_WHOLE = lazy(
    r"^(?:back |out |in |again |further |directly |personally )*(?:to |with )?"
    r"(?:us|me|anyone|anybody|any of us|recruiting|hr|human resources|your recruiter|the recruiters?|"
    r"our recruiters?|(?:our|the) (?:\w+ ){0,2}(?:team|company|office|offices|department|firm|organization)|"
    r"by email|via email|over email)\b"
)
#: "this email", "this automated message": the channel of this message only.
_THIS_CHANNEL = lazy(
    r"^(?:back |directly )?(?:to |on )?(?:this|the) (?:\w+ ){0,2}(?:email|message|notification|address|inbox|"
    r"mailbox|thread|account)\b"
)
_PART = lazy(
    r"^(?:back |out |in |again |further )*(?:to |with )?(?:(?:the|our|your|any|individual|specific|other) "
    r"(?:\w+ )?(?:interviewers?|panel|panelists?|hiring managers?|managers?|team members?|employees|"
    r"staff members?|engineers|client|clients|members of (?:our|the) team)"
    r"|(?:\w+ )?(?:by|via|over|through|on) (?:phone|telephone|text|sms|linkedin|social media|whatsapp))\b"
)
_FOREIGN = lazy(r"^(?:to |with )?(?:your|the|a|an|my|his|their|these|those|that|this|"
                      r"other|some|another)\b")
_ADVERBIAL = lazy(
    r"^(?:$|,|directly|again|further|anymore|any further|about|regarding|concerning|on |for |at this|"
    r"as |after|during|in the meantime|while|individually|personally|please|at all|to check|to ask|"
    r"to inquire|unnecessarily)"
)


_SENT_THING = lazy(
    r"^ (?:(?:a|an|any|us|me|them|further|additional|more|your|separate|individual) )*"
    r"(?:follow ups?|thank you(?: notes?| emails?| messages?| cards?)?|notes?|emails?|messages?|inquiries|"
    r"enquiries|reminders?|status requests?)\b"
)


def _prohibition_scope(rest: str) -> str | None:
    """What a prohibited contact is aimed at: "all", "part" (some people or a side channel), or None.

    None means it is not an instruction about following up: a temporary one
    ("before 9am"), one about a single thing ("with your availability"), or
    one aimed at someone outside the company ("your references").
    """
    s = re.sub(r"^(?:(?:or|and|nor) " + CONTACT + r" )+", "", rest.strip(" ,"))
    if _TEMPORARY.search(s) or _LIMITED.search(s) or re.search(r"\b(?:if|in case)\b", s):
        return None
    if _SIDE_CHANNEL.search(s) and not re.search(r"\bemail", s):
        return "part"
    if _THIS_CHANNEL.match(s):
        return "part"
    if _WHOLE.match(s) or _ADVERBIAL.match(s):
        return "all"
    if _PART.match(s):
        return "part"
    if _FOREIGN.match(s):
        return None
    return "part"  # a named person ("do not contact ann directly")


#: Every prohibitive frame holds one of these: a cheap test that skips most clauses.
_PROHIBITION_CUE = lazy(r"\b(?:not|never|refrain|avoid|hold off|no need)\b")


def _prohibited_contact(c: Clause) -> tuple[str, str] | None:
    if c.question or not _PROHIBITION_CUE.search(c.text):
        return None
    if re.search(r"\b(?:hesitate|feel free)\b", c.text):
        return None  # "please don't hesitate to reach out": an invitation
    for m in _PROHIBITIONS.finditer(c.text):
        rest = m.group("rest")
        if m.group("verb").startswith("send"):
            rest = _SENT_THING.sub("", rest, count=1)  # "send a thank-you note (to us)"
        scope = _prohibition_scope(rest)
        if scope and m.group("verb").startswith(("repl", "respond")):
            scope = "part"  # "please do not reply": to this message; a person it names may be written to
        if scope:
            return scope, f"asked not to be contacted (\u201c{m.group('verb')}\u201d)"
    return None


_PROMISE = lazy(
    r"\b(?:we|i|our (?:\w+ )?team|the (?:\w+ )?team|someone|somebody|recruiting|they|the recruiter|"
    r"the hiring manager|a (?:member|recruiter|coordinator)(?: of (?:our|the) (?:\w+ )?team)?|"
    r"one of (?:us|our \w+)) (?:will|shall|would|are going to|is going to|am going to) (?:only )?(?:be )?"
    r"(?:directly )?(?:contact(?:ing)?|reach(?:ing)? out|reach|in (?:touch|contact)|get (?:in touch|back)|"
    r"follow(?:ing)? up|let you know|notify|update|email|call|write)(?P<rest>.*)"
    r"|\byou (?:will|shall|would) (?:only )?(?:hear(?: back)?|be (?:contacted|notified|called|emailed|"
    r"informed|updated)|receive (?:an? )?(?:update|notification|email|call|news))(?P<rest2>.*)"
)
_PROMISE_MARK = lazy(
    r"\b(?:directly|only|ourselves|if|should (?:we|you|your|there|the)|in the event|provided|"
    r"(?:via|through|in|on) (?:the|our|your) (?:\w+ )?portal)\b"
)
_PROMISE_ROUTINE = lazy(
    r"\b(?:call|ring|phone|dial) you (?:at|on) (?:the|this|that|your|my|\d)"
    r"|\b(?:call|ring|phone) you (?:tomorrow|today|tonight|this|next|on|at|from|in)\b|"
    r"\bif (?:we|i|they|the team) (?:have|need|require) (?:any )?(?:further |more |additional |other )?"
    r"(?:questions|information|info|details|documents|anything)"
    r"|\bif (?:anything|something) (?:changes|comes up)|\bif there (?:is|are) (?:any )?(?:changes|questions|"
    r"issues|problems|delays)"
    r"|\bto (?:schedule|set up|arrange|book|coordinate|confirm|find a time|line up|organi[sz]e|discuss|talk|"
    r"chat|go over|walk you through|share)"
    r"|\b(?:tomorrow|today|tonight|this (?:morning|afternoon|evening|week)|later today|next week|"
    r"on (?:mon|tues|wednes|thurs|fri)day)\b"
    r"|\bwith (?:the )?(?:times|availability|details|logistics|invite|invitation|calendar|dates|options|a time)"
)


def _contact_promise(c: Clause) -> str | None:
    """"We will contact you directly", "you'll hear from us only if ...": a promise that restricts."""
    m = _PROMISE.search(c.text)
    if m is None:
        m2 = re.search(r"\bonly (?:\w+ ){0,2}(?:candidates|applicants|those|people|individuals)"
                       r"(?: \w+){0,6} (?:will|would|shall) be (?:contacted|notified|called|invited)", c.text)
        return "only some candidates will be contacted" if m2 else None
    rest = m.group("rest") if m.group("rest") is not None else m.group("rest2")
    if c.question or _NEGATION.search(_tail(c.text[:m.start()])):
        return None
    if m.group("rest") is not None and not re.match(
            r"^(?:with |to )?(?:you\b|directly|only|if|should|in the event|via|through|once|,|$|"
            r"(?:\w+ ){0,2}(?:candidates|applicants|those)\b)", rest.strip()):
        return None  # "we will contact your references": not a promise to you
    marks = _PROMISE_MARK.findall(c.text)  # "should you be selected, we will ...": also before it
    if re.search(r"\b(?:let you know|notify|update)\b", m.group()):
        marks = [k for k in marks if not k.startswith(("if", "should", "in the event", "provided"))]
    if _PROMISE_ROUTINE.search(c.text) or not marks:
        return None
    return "they will contact you themselves"


_MAILBOX = r"(?:inbox|mailbox|mail box|email address|address|email account|account|email)"
_UNMONITORED = lazy(
    r"\b(?:this|the|our|that) (?:\w+ )?" + _MAILBOX + r" (?:is|are) (?:not (?:monitored|checked|read|"
    r"attended|staffed|reviewed)|unmonitored|unattended|send only|outgoing only|not able to (?:accept|receive))"
    r"|\b(?:unmonitored|unattended|send only|outgoing only|noreply|automated) " + _MAILBOX + r"\b"
    r"|\b(?:replies|responses|emails|messages|mail) (?:sent )?(?:to (?:this|the) (?:\w+ )?(?:address|email|"
    r"inbox|mailbox|message) )?(?:are|is|will) not (?:be )?(?:monitored|read|seen|answered|received|"
    r"reviewed|delivered|checked)"
    r"|\b(?:this|the) (?:\w+ )?(?:address|inbox|mailbox) (?:does not|can not|will not) (?:accept|receive) "
    r"(?:replies|responses|incoming)"
)


def _unmonitored(c: Clause) -> str | None:
    m = _UNMONITORED.search(c.text)
    return "replies to this mailbox are not read" if m and not _conditional(c, m.start()) else None


_PORTAL = (r"(?:the|our|your) (?:(?:candidate|applicant|careers?|application|recruiting|recruitment|hiring|"
           r"jobs?|talent|workday|greenhouse|lever|taleo|icims|successfactors) )*"
           r"(?:portal|dashboard|hub|home|account|profile|site|website|page|centre|center)")
_PORTAL_CUE = lazy(r"portal|dashboard|hub\b|home\b|account|profile|site\b|page\b|centre|center")
_PORTAL_ONLY = lazy(
    r"(?:^|, |\bplease |\bkindly )(?:use|go through|visit|log ?in to|sign in to|refer to) " + _PORTAL +
    r"(?:$| ,| (?:for|to) (?:any |all |your |further )?(?:questions|inquiries|enquiries|communication|"
    r"correspondence|messages|follow ups|updates|status|contact|check your status|follow up|reach us))"
    r"|\b(?:all|any) (?:further )?(?:communication|correspondence|updates|questions|inquiries|messages|contact)"
    r"(?: \w+){0,4} (?:will|should|must|is|are|goes|go|happens?|takes? place)(?: \w+){0,3} "
    r"(?:through|via|in|on) " + _PORTAL +
    r"|\bonly (?:through|via|in|on) " + _PORTAL + r"|\b" + _PORTAL + r" only(?=\s*(?:$|[,.;:)]|for\b|to\b))"
    r"|\b(?:direct|submit|send|address|raise) (?:any |all |your )?(?:questions|inquiries|enquiries|messages|"
    r"follow ups) (?:through|via|in|on|using) " + _PORTAL +
    r"|\byou will (?:only )?(?:hear|receive|be (?:notified|contacted|updated))(?: \w+){0,4} (?:through|via|"
    r"in|on) " + _PORTAL
)


def _portal_only(c: Clause) -> str | None:
    m = _PORTAL_ONLY.search(c.text) if _PORTAL_CUE.search(c.text) else None
    if m is None or _conditional(c, m.start()) or _NEGATION.search(_tail(c.text[:m.start()])):
        return None
    return "the candidate portal is the only channel"


_CANNOT_RESPOND = lazy(
    r"\b(?:we|i|our (?:\w+ )?team|the (?:\w+ )?team|recruiters?) (?:are |am |is |will be |would be )?"
    r"(?:unable|not able|can not|do not|will not be able|would not be able|will not|are not able|are not going)"
    r" (?:to )?(?:respond|reply|answer|accept|return|"
    r"take|provide|acknowledge)(?: individually| personally)?(?: to)? "
    r"(?P<obj>(?:individual |each |every |any |all |personal |phone |telephone |unsolicited |status |further )*"
    r"(?:inquiries|enquiries|emails|messages|calls|follow ups|requests|applicants?|candidates?|applications?|"
    r"updates|correspondence|questions(?= about (?:your |the )?(?:application|status|candidacy|process)| ?$))"
    r"|individually|personally)"
    r"|\b(?:inquiries|enquiries|calls|phone calls|emails|follow ups|status requests|messages) (?:\w+ ){0,5}"
    r"(?:will not|can not|are not|will never) (?:be )?(?:answered|returned|responded to|accepted|acknowledged|"
    r"replied to)"
    r"|\bno (?:further )?(?:follow ups?|follow up emails?|response|reply|replies|thank you(?: notes?| emails?)?|"
    r"calls|phone calls|inquiries|status (?:requests|inquiries|checks)|further (?:correspondence|contact|"
    r"communication)) (?:, )?(?:is |are )?(?:necessary|needed|required|expected|please)"
    r"|\b(?:direct |individual |personal )?(?:contact|communication|outreach) (?:(?!your|other)\w+ ){0,4}"
    r"(?:is|are|will be) (?:strictly )?(?:not (?:permitted|allowed|accepted|encouraged|appropriate)|prohibited|"
    r"discouraged)"
    r"|\b(?:follow ups?|follow up emails|thank you (?:notes|emails)|calls|phone calls|status inquiries) "
    r"(?:are|is|will) not (?:be )?(?:necessary|needed|required|expected|accepted|answered|returned)"
)


def _cannot_respond(c: Clause) -> str | None:
    m = _CANNOT_RESPOND.search(c.text)
    if m is None or _conditional(c, m.start()):
        return None
    rest = c.text[m.end():]
    if _SIDE_CHANNEL.search(rest) and "email" not in rest:
        return None  # "we do not provide updates by phone": email is not what they refuse
    return "they will not answer follow-ups"


_INVITATION = lazy(
    r"\b(?:feel free|do not hesitate|never hesitate|you are (?:always )?welcome|you can always|you may always)"
    r"\b.*\b" + CONTACT +
    r"|\b(?:direct|send|forward|address) (?:any |all |your )?(?:other |further )?(?:questions|inquiries|"
    r"enquiries|follow ups|notes|thank you notes) (?:\w+ ){0,2}to (?:me|us|your recruiter|\S+@\S+|[a-z]+)\b"
    r"|\b(?:reach|contact|email|call|text) me (?:at|on|directly|anytime|any time)\b"
    r"|\bmy (?:door|inbox) is (?:always )?open\b|\blet me know if you have (?:any )?(?:other |further )?questions"
    r"|\buse my (?:cell|mobile|phone|email|number|personal \w+|direct \w+)\b"
    r"|\b(?:all|any) (?:further )?(?:communication|correspondence|questions|follow ups|contact) (?:\w+ ){0,2}"
    r"(?:should|must|can|will|may) (?:go|come|be directed|be sent|be addressed|run) (?:through|to|via) "
    r"(?:me|us|your recruiter|[a-z]+)\b(?! portal)"
    r"|(?:^|, |\bplease |\binstead ,? )(?:contact|reach out to|email|write to|call|ping|message|"
    r"get in touch with) (?:me|us|your recruiter|\S+@\S+|[a-z]+ (?:directly|at|instead))\b"
)


def _invites_contact(c: Clause) -> bool:
    """An open channel to a person: it turns a narrow prohibition into a redirection."""
    if "portal" in c.text or c.question:
        return False
    m = _INVITATION.search(c.text)
    if m is None:
        return False
    # "please do not send thank-you notes to the interviewers" names a person, and forbids it
    return "hesitate" in m.group() or not _NEGATION.search(_tail(c.text[:m.start()]))


# --- rejection ------------------------------------------------------------------------

_NOT = r"\b(?:not|no longer|unable)(?: to)?(?: be)?(?: able to)?(?: be)?"
_NEGATED_PROGRESS = lazy(
    _NOT + r" (?:(?:mov(?:e|ing)|go(?:ing)?) (?:forward|ahead)|proceed(?:ing)?|progress(?:ing)?|"
    r"advanc(?:e|ing)|continu(?:e|ing)|pursu(?:e|ing)|tak(?:e|ing)(?= (?:\w+ ){0,3}(?:any )?further)|"
    r"invit(?:e|ing) you|consider(?:ing)? (?:you|your)\b|"
    r"(?:mov(?:e|ing)|push(?:ing)?|tak(?:e|ing)) (?:you|your (?:\w+ )?(?:application|candidacy|profile)) "
    r"(?:forward|ahead|further|on)\b)(?P<rest>.*)"
)
_CANDIDACY = (r"(?:you|your|the (?:\w+ )?(?:application|candidacy|process|position|role|opportunity|next)|"
              r"this (?:position|role|opportunity|process|application|search)|next steps|us|an offer)\b")


_NEXT_STAGE = lazy(
    r"^(?:forward |ahead )?(?:to|into|in|with|on to) (?:the |an? |your )?(?:(?:next|final|onsite|later|further|"
    r"second|third) (?:\w+ )?(?:rounds?|stages?|steps?|interviews?)|onsite|panel|final round)\b"
)


def _decline_object_ok(rest: str) -> bool:
    """The negated progress is about the candidacy, not about a vendor or a meeting."""
    s = rest.strip(" ,")
    if _NEXT_STAGE.match(s):
        return True
    if re.match(r"^(?:forward |ahead )?(?:without|unless|until|before|if|once)\b", s):
        return False  # "we can't proceed without your signed NDA": a condition, not a decision
    if re.match(r"^(?:forward |ahead |further )?(?:with|on) ", s):
        return bool(re.match(r"^(?:forward |ahead |further )?(?:with|on) " + _CANDIDACY, s))
    if _FOREIGN.match(s) and not re.match(r"^" + _CANDIDACY, s):
        return False
    return not re.search(r"\buntil\b", s)


_OTHER_CANDIDATES = lazy(
    r"\b(?:mov(?:e|ed|ing) forward|go(?:ing)? forward|proceed(?:ed|ing)?|continu(?:e|ed|ing)|"
    r"pursu(?:e|ed|ing)|progress(?:ed|ing)?|advanc(?:e|ed|ing)|go(?:ne|ing)?|went|chose|chosen|choos(?:e|ing)|"
    r"select(?:ed|ing)?|hir(?:e|ed|ing)|fill(?:ed)? the (?:\w+ )?(?:role|position) with|focus(?:ing)? on|"
    r"prioriti[sz](?:e|ed|ing)|"
    r"decided on)(?: with)? (?:(?:an?|the|some|several|a few|a small number of|one|two) )?"
    r"(?:(?:other|another|different|stronger|internal|alternative|more \w+) (?:\w+ )?"
    r"(?:candidates?|applicants?|individuals?|finalists?|profiles?|person|people|hire)|"
    r"(?:someone|somebody) (?:else|whose|with|who))\b"
    r"|\bwhose (?:\w+ ){1,3}(?:more|better|most|closer|closely)\b"
    r"|\b(?:offer(?:ed|ing)?|giv(?:e|en|ing)|gave) the (?:\w+ )?(?:role|position|job) to (?!you\b)"
    r"|\bextend(?:ed|ing)? (?:an|the|our) (?:\w+ )?offer to (?!you\b)"
    r"|\bpass(?:ing)? on (?:you|your (?:\w+ )?(?:application|candidacy|profile))\b"
    r"|\bgo (?:in )?(?:a )?different direction\b"
    r"|\b(?:hire|hired|hiring|fill(?:ed)?(?: the \w+)?) (?:internally|from within)\b"
)
_POSITION_CLOSED = lazy(
    r"\b(?:the|this|that|our) (?:(?!other\b|second\b|another\b)\w+ ){0,2}(?:position|role|opening|job|vacancy|"
    r"req|requisition|search|opportunity|posting)(?: (?:you|for which you) (?:\w+ ){0,3}?(?:for|to))?"
    r" (?:has|have|had|was|were|is|will be)(?: now)?(?: been)?(?: now)? (?:filled|closed|cancell?ed|"
    r"withdrawn|eliminated|frozen|rescinded|removed|no longer available|(?:put|placed)? ?on (?:indefinite )?"
    r"hold (?:indefinitely|for the foreseeable future)|(?:put|placed) on indefinite hold|"
    r"paused indefinitely)\b"
    r"|\b(?:we (?:have |had )?(?:now )?(?:filled|closed|cancell?ed|eliminated)|(?:decided|decision|chosen) to "
    r"(?:close|cancel|eliminate|withdraw)) (?:the|this|that|our) (?:\w+ )?"
    r"(?:position|role|opening|search|req|requisition)"
    r"|\bwe are no longer (?:hiring|recruiting) for (?:the|this|that) (?:\w+ )?(?:position|role|opening)"
    r"|\bno longer (?:accepting|considering|reviewing) (?:any )?(?:external |outside |new |further )?"
    r"(?:candidates|applicants|applications)\b"
    # the search ends for everyone: "we won't be moving forward with any candidates", "closing the search"
    r"|\b(?:not|no longer) (?:be )?(?:mov(?:e|ing) forward|proceed(?:ing)?|continu(?:e|ing)|hir(?:e|ing)) "
    r"(?:with )?(?:any|anyone|anybody)(?: of the)?(?: \w+)? ?(?:candidates|applicants|finalists|one|body)?\b"
    r"|\b(?:we are|we're|we have|we've|we will be|we'll be|are|is|be) (?:now )?clos(?:ing|ed) (?:the|this|our) "
    r"(?:\w+ )?(?:search|req|requisition|hiring process|recruitment|recruiting process)\b"
    r"|\b(?:put|placed|putting|placing) (?:the|this|our) (?:\w+ ){0,4}(?:position|role|opening|search|req|"
    r"requisition|hiring) on hold (?:indefinitely|until (?:further notice|at least|next year|the (?:first|second) "
    r"half|(?:early |mid-?|late )?20\d\d))"
)
_NO_OFFER = lazy(
    r"\b(?:unable|not able|not be able|can not|will not|would not|are not|not|no longer)(?: be)?"
    r"(?: able| in a position)?(?: to)? (?:offer(?:ing)? you (?:(?:an?|the|this) )?(?:\w+ )?(?:position|role|job|"
    r"employment|offer)\b|offer(?:ing)? you ?(?:$|,|at this time|on this occasion|this time)|"
    r"(?:extend(?:ing)?|mak(?:e|ing)) (?:you )?(?:an?|the) (?:\w+ )?offer\b)"
)
_NOT_SELECTED = lazy(
    r"\b(?:you|your (?:application|candidacy|profile|submission|candidature|resume|cv))"
    r"(?: (?:has|have|were|was|is|are|will))?(?: not| never)(?: be)?(?: been)? (?:selected|chosen|"
    r"successful|shortlisted|progressed|advanced|invited)\b"
    r"|\b(?:you|your (?:application|candidacy)) (?:were|was|have been|has been|is|are) unsuccessful\b"
    r"|\bnot (?:been )?(?:selected|shortlisted|successful) (?:for|to|on this occasion|this time|at this time)"
    r"|\bunsuccessful (?:on this occasion|this time|at this time|in (?:your|this) application)"
)
_REGRET = lazy(r"\bregret(?:fully)? (?:to )?(?:inform|tell|advise|let you know|notify|share)")
_SCHEDULING = lazy(
    r"\b(?:reschedul|postpon|delay|cancel(?:l?ed)? (?:the|your|our|tomorrow)|mov(?:e|ed|ing) (?:the|your) "
    r"(?:interview|call|meeting)|(?:is|are|will be) (?:out|unavailable|sick|travel)|running late|"
    r"need to change|time change|a conflict)"
)
_NOT_A_FIT = lazy(
    r"\b(?:not|no longer) (?:quite |really |exactly )?(?:the |a |an )?(?:right |good |strong |great |best |"
    r"ideal |close |perfect |suitable )?(?:fit|match)\b"
    r"|\bdo not (?:think|believe|feel) (?:that )?(?:it is|this is|you are|you would be|there is|the role is|"
    r"this role is|we have) (?:a |the |an )?(?:right |good |strong |great |best |ideal |close |perfect )?"
    r"(?:fit|match)\b"
    r"|\b(?:your|the) (?:\w+ ){0,2}(?:experience|background|profile|skills|skill set|skillset|"
    r"qualifications) (?:does|do|did|is|are|was|were) not (?:quite |fully |closely )?(?:align|match|meet|"
    r"fit|what we)"
)
_ABOUT_CANDIDACY = lazy(r"\b(?:you|your|role|position|team|company|opportunity|at this time|this time)\b")
_APPLICATION_CLOSED = lazy(
    r"\byour (?:application|candidacy|candidature)(?: \w+){0,4}? (?:has been|was|is|have been|will be|"
    r"is being) (?:declined|rejected|closed|archived|unsuccessful|not successful)"
    r"|\b(?:decline|declined|reject|rejected|close|closing|archive|archiving) your (?:application|candidacy)"
    r"|\boffer (?:has been|was|is being|is|will be) (?:rescinded|withdrawn|retracted|revoked|pulled)"
    r"|\b(?:rescind|retract|revoke|withdraw|pull)(?:ing)? (?:the|your|our) (?:\w+ )?offer\b"
)


#: Every rejection rule holds one of these (a cheap test that skips most clauses).
_REJECTION_CUE = lazy(
    r"\b(?:not|never|no longer|unable|other|another|different|stronger|internal|alternative|more|someone|"
    r"somebody|whose|direction|within|offer|gave|give|given|giving|pass|filled|clos|cancel|withdr|eliminat|"
    r"frozen|rescind|removed|hold|paused|hiring|recruiting|unsuccessful|declin|reject|archiv|retract|revok|"
    r"pull|regret)"
)


def _rejection(c: Clause) -> str | None:
    t = c.text
    if not _REJECTION_CUE.search(t):
        return None
    m = _NEGATED_PROGRESS.search(t)
    if m and not _conditional(c, m.start()) and _decline_object_ok(m.group("rest")):
        return "they decided not to go on with your candidacy"
    for rx, why in ((_OTHER_CANDIDATES, "they chose another candidate"),
                    (_POSITION_CLOSED, "the position is no longer open"),
                    (_NO_OFFER, "they cannot make you an offer"),
                    (_NOT_SELECTED, "you were not selected"),
                    (_APPLICATION_CLOSED, "your application was closed")):
        m = rx.search(t)
        if m and not _conditional(c, m.start()) and not (
                rx in _STATED_POSITIVELY and _NEGATION.search(_tail(t[:m.start()]))):
            return why
    m = _REGRET.search(t)
    if m and not _SCHEDULING.search(t) and not _conditional(c, m.start()):
        return "they regret to inform you"
    m = _NOT_A_FIT.search(t)
    if m and _ABOUT_CANDIDACY.search(t) and not _conditional(c, m.start()):
        return "they found it is not a fit"
    return None


#: Rules stated without a negation of their own: "we have not chosen another candidate" reverses them.
_STATED_POSITIVELY = (_OTHER_CANDIDATES, _APPLICATION_CLOSED)


# --- offer -------------------------------------------------------------------------------

_ROLE = r"(?:position|role|job|post|opening|employment|contract|offer)"
_OFFER_TO_YOU = lazy(
    r"\boffer(?:ing)? you (?:(?:a|an|the|this|our) )?"
    r"(?:(?!(?:chance|opportunity|slot|interview|call|to|for|of|in|at|on|with)\b)\w+ ){0,4}?" + _ROLE + r"\b"
    r"|\boffer(?:ing)? you (?:the|an|this) (?:opportunity|chance) to join\b"
    r"|\b(?:extend|extending|extended|make|making|present|presenting) (?:you )?(?:an?|the|our|this) "
    r"(?:formal |official |verbal |written |conditional |final |job |employment )*offer\b"
    r"(?! to (?:a|an|another|the|other|someone|somebody|one|two|them|him|her)\b)"
    r"|\b(?:we are|i am) offering you\b"
    r"|\b(?:like|love|want|thrilled|excited|delighted|pleased|happy) to (?:have you join (?:the|our) (?:\w+ )?team"
    r"|have you join us as|have you on board|welcome you (?:aboard|to the team|as our))\b"
    r"(?! (?:for|at|during|on|in|to meet)\b)"
    r"|\byou got the (?:job|role|position)\b"
    r"|\bcongratulations (?:on|for) (?:your|the) (?:(?!other|competing|another)\w+ )?offer\b"
)
_OFFER_PAPERS = lazy(
    r"\b(?:offer (?:letter|package|paperwork|documents?|details|agreement)|written offer|formal offer|"
    r"offer of employment|employment (?:agreement|contract))\b"
)
_YOUR_PAPERS = lazy(r"\byour (?:\w+ )?offer (?:letter|package|paperwork|documents?)")
_PAPERS_HERE = lazy(
    r"\b(?:attached|enclosed|attaching|enclosing|find|below|here is|here are|sent (?:you|over|it)|docusign|"
    r"for your (?:review|signature)|to (?:sign|review)|countersign|in your inbox)\b"
)


def _offer(c: Clause) -> str | None:
    t = c.text
    m = _OFFER_TO_YOU.search(t)
    if m and not _hedged_offer(c, m.start()):
        return "they offered you the position"
    m = _OFFER_PAPERS.search(t)
    if m is None or c.question or _NEGATION.search(_tail(t[:m.start()])):
        return None
    present = _PAPERS_HERE.search(t) or _YOUR_PAPERS.search(t)
    if present and not re.search(r"\b(?:not|never) (?:\w+ )?(?:attached|sent|ready|enclosed)\b", t):
        return "your offer letter"
    return None


def _hedged_offer(c: Clause, start: int) -> bool:
    before = _tail(c.text[:start])
    return (_conditional(c, start) or bool(_NEGATION.search(before)) or bool(_HEDGE_WORDS.search(before))
            or " can " in f" {before} ")


# --- the user's withdrawal ---------------------------------------------------------------

_WITHDRAW_VERB = lazy(
    r"\b(?:withdraw(?:ing|n)?|withdrew|(?<=my )(?:\w+ )?withdrawal|pull(?:ing|ed)? out|pull(?:ing|ed)?(?= my)|"
    r"retract(?:ing)?|"
    r"step(?:ping)? (?:back|away|down|aside)|bow(?:ing)? out|drop(?:ping)? out|back(?:ing)? out)\b(?P<rest>.*)"
)
_WITHDRAW_OBJECT = lazy(
    r"^(?:myself )?(?:$|,|my (?:\w+ )?(?:application|candidacy|candidature|name)\b"
    r"(?! (?:at|with|to) | from (?!consideration|the|your|this|further)\b)|"
    r"(?:myself )?(?:from|of) (?:the |your |this |further |any further |my )?(?:\w+ ){0,2}?(?:process|"
    r"consideration|running|search|recruitment|role|position|opportunity|candidate pool|pool|interviews?|"
    r"pipeline|candidacy|application)\b|at this (?:time|point|stage)|now|for now|effective|as of|"
    r"immediately|as a candidate|respectfully|please|formally|officially)"
)
#: "withdrawing from my other interviews", "stepping back from my current role": not this candidacy.
_ELSEWHERE = lazy(r"^(?:\w+ ){0,3}?(?:other|another|different|current|present|existing|previous|old)\b")
_REMOVE_ME = lazy(
    r"\b(?:(?:remove|take) (?:me|my (?:name|application|candidacy|profile))|(?:be|being|get) (?:removed|taken))"
    r" (?:out )?(?:of|from) (?:the |your |"
    r"any |further |any further )?(?:consideration|process|running|candidate pool|pool|candidate list|"
    r"shortlist|search|pipeline|interview process|hiring process|recruitment process|list of candidates)"
)
_ACCEPTED_ELSEWHERE = lazy(
    r"\b(?:i|we) (?:have |had |would )?(?:just |recently |since |already |now )?(?:accepted|signed|taken|"
    r"decided to accept|chose to accept|chosen to accept|will be accepting|am accepting|am taking)"
    r" (?:an?|another|a different|a new) (?:\w+ ){0,3}?(?:offer|position|role|job)\b"
)
_USER_DECLINES = lazy(
    r"\b(?:i|we) (?:have |had )?(?:decided|chosen|elected|opted|made the (?:difficult )?decision) "
    r"(?:not to (?:move forward|proceed|pursue|continue|go forward)|to (?:decline|pass on|turn down))"
    r"(?P<rest>.*)"
    r"|\b(?:i|we) (?:must|will|will have to|have to|need to|would like to|am going to|am writing to) "
    r"(?:respectfully |regretfully |politely )?(?:decline|pass on|turn down)(?P<rest2>.*)"
    r"|\b(?:i|we) (?:am|are) no longer (?:interested|pursuing|looking|seeking|considering|on the market|"
    r"in the market|job (?:hunting|searching))(?P<rest3>.*)"
)
_DECLINED_THING = lazy(
    r"^(?:with |on )?(?:$|,|(?:the|this|your|my) (?:\w+ ){0,2}?(?:offer|position|role|opportunity|"
    r"application|candidacy|process|job)\b|(?:further|any further|the next|the final) (?:\w+ )?"
    r"(?:interviews?|rounds?|steps?)|it\b|at this (?:time|point))"
)
_NO_LONGER_THING = lazy(
    r"^(?:$|,|in (?:the|this|your) (?:\w+ )?(?:role|position|opportunity|job|process|company)\b|"
    r"in (?:pursuing|moving forward|continuing)|for (?:a|new) (?:\w+ )?(?:role|job|position)|"
    r"(?:the|this) (?:\w+ )?(?:role|position|opportunity)|at this time)"
)
_UNSURE = lazy(r"\b(?:considering|consider (?:whether|if)|considered|thinking|think about|thought about|"
                     r"wondering|debating|not sure|unsure|might|may|hesitant|should i|do i|would it)\b")


#: Every withdrawal rule holds one of these (a cheap test that skips most clauses).
_WITHDRAWAL_CUE = lazy(
    r"\b(?:withdr|pull|retract|step|bow|drop|back|remove|tak|accept|signed|decline|decided|"
    r"chosen|chose|elected|opted|decision|pass|turn|no longer)"
)


def _withdrawal(c: Clause) -> str | None:
    """The user withdrawing in their own words; never a condition, a question or a doubt."""
    t = c.text
    if c.question or not _WITHDRAWAL_CUE.search(t):
        return None
    m = _WITHDRAW_VERB.search(t)
    if m and _first_person_decided(t[:m.start()]):
        rest = m.group("rest").strip(" ")
        if _WITHDRAW_OBJECT.match(rest) and not _ELSEWHERE.match(rest):
            return "you withdrew your candidacy"
    for rx, why in ((_REMOVE_ME, "you asked to be removed from consideration"),
                    (_ACCEPTED_ELSEWHERE, "you accepted another offer")):
        m = rx.search(t)
        if m and _first_person_decided(t[:m.start()], need_subject=False):
            return why
    m = _USER_DECLINES.search(t)
    if m and _first_person_decided(t[:m.start()], need_subject=False):
        rest = next(g for g in (m.group("rest"), m.group("rest2"), m.group("rest3")) if g is not None).strip()
        ok = _NO_LONGER_THING if m.group("rest3") is not None else _DECLINED_THING
        if ok.match(rest):
            return "you declined to go on"
    return None


def _first_person_decided(prefix: str, *, need_subject: bool = True) -> bool:
    """I (or an imperative "please") before the verb, with no negation, condition or doubt."""
    tail = _tail(prefix)
    if _NEGATION.search(tail) or _CONDITION.search(prefix) or _UNSURE.search(tail):
        return False
    if not need_subject:
        return True
    return bool(re.search(r"\b(?:i|we|my)\b", prefix) or re.search(r"(?:^|\bplease |\bkindly )$", tail))


_CONFIRMED_WITHDRAWAL = lazy(
    r"\byour (?:application|candidacy)(?: \w+){0,4}? (?:has been|was|is now) withdrawn\b"
    r"|\b(?:we|i) (?:have )?withdrawn your (?:application|candidacy)\b"
    r"|\b(?:respect|understand|received|confirm|acknowledge|sorry to (?:hear|see)) (?:your |that you )?"
    r"(?:decision to withdraw|request to withdraw|withdrawal|have withdrawn|are withdrawing|withdraw)\b"
)


def _confirmed_withdrawal(c: Clause) -> str | None:
    """The company confirming that you withdrew (an ATS portal withdrawal leaves only this)."""
    m = _CONFIRMED_WITHDRAWAL.search(c.text)
    if m is None or _conditional(c, m.start()) or _NEGATION.search(_tail(c.text[:m.start()])):
        return None
    return "the company confirmed your withdrawal"


# --- reading a message --------------------------------------------------------------------

_Reader = Callable[[Clause], str | None]
_COMPANY_READERS: tuple[tuple[type[Said], _Reader], ...] = (
    (Rejection, _rejection),
    (Offer, _offer),
    (Withdrawn, _confirmed_withdrawal),
    (NoFollowUp, _unmonitored),
    (NoFollowUp, _portal_only),
    (NoFollowUp, _cannot_respond),
    (NoFollowUp, _contact_promise),
)
_REPLY_PREFIX = lazy(r"^\s*(?:(?:re|fw|fwd|aw|wg|tr|sv|vs)\s*(?:\[\d+\])?\s*:\s*)+", re.I)
_SUBJECT_OFFER = lazy(
    r"\b(?:offer letter|offer of employment|your offer|employment offer|formal offer|written offer|"
    r"verbal offer|offer package)\b"
)


def read_company(subject: str, text: str) -> tuple[Finding, ...]:
    """Rejection, offer, "no follow-ups wanted" (and a confirmed withdrawal) in a company message.

    ``text`` must be the message's own new text; ``subject`` is read only when
    the company wrote it (not a "Re:" of someone else's subject). One finding
    per kind, the first in reading order. A narrow prohibition ("do not
    contact the interviewers", "this is an automated message, please do not
    reply") does not count when the same message opens a channel to a person
    ("reach out to me with any questions", "please contact your recruiter");
    alone, it counts. A mailbox said to be unread always counts: the agent
    could otherwise pick that very address to write to.
    """
    units = clauses(text)
    fresh = subject.strip() and not _REPLY_PREFIX.match(subject)
    if fresh:
        units = clauses(subject.strip()) + units
    found: dict[type[Said], Finding] = {}
    narrow: Finding | None = None
    for c in units:
        for fact, reader in _COMPANY_READERS:
            if fact not in found and (why := reader(c)):
                found[fact] = Finding(fact, c.sentence, why)
        if NoFollowUp not in found and (hit := _prohibited_contact(c)):
            scope, why = hit
            if scope == "all":
                found[NoFollowUp] = Finding(NoFollowUp, c.sentence, why)
            elif narrow is None:
                narrow = Finding(NoFollowUp, c.sentence, why)
    if NoFollowUp not in found and narrow is not None and not any(_invites_contact(c) for c in units):
        found[NoFollowUp] = narrow
    if fresh and Offer not in found and _subject_offer(subject):
        found[Offer] = Finding(Offer, " ".join(subject.split()), "the subject names your offer")
    return tuple(found.values())


def _subject_offer(subject: str) -> bool:
    s = normalise(subject)
    return (bool(_SUBJECT_OFFER.search(s)) and "?" not in subject
            and not re.search(r"\b(?:other|competing|no|not|declin\w*|question\w*|about)\b", s))


def read_user(text: str) -> tuple[Finding, ...]:
    """The user's withdrawal in their own new text (the one kind read from the user's words)."""
    for c in clauses(text):
        why = _withdrawal(c)
        if why:
            return (Finding(Withdrawn, c.sentence, why),)
    return ()
