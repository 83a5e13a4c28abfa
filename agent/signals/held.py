"""Words that say a call or interview already took place, and when.

Either side writes them after the fact: the user's thank-you ("Thank you for
taking the time to speak with me today", "Great talking yesterday", "thanks
for the chat this morning"), the company's "Great chatting yesterday!",
"Thanks for speaking with us today", "The team enjoyed meeting you",
"following up on our call on Tuesday", an agency's "How did the interview
go?". :func:`find` returns each such statement with the day its words imply,
read backwards from the message's date ("on Tuesday" is the last Tuesday
before it).

What does not count: meeting someone at an event ("great meeting you at the
meetup"), an introduction ("nice to meet you", "great to e-meet"), thanks for
a message or an invitation ("thanks for the call invite"), "thank you for your
time" with no day (it closes every letter), and anything ahead ("thanks for
making time to chat tomorrow", "looking forward to speaking with you").

Pure: the message's own date is the reference, never the clock.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from agent.lazy_pattern import AnyPattern, lazy

_WD = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_WD_ALT = "|".join(_WD)
_PART = r"(?:\s+(?:morning|afternoon|evening|night))?"
_POSS = rf"(?:today's|yesterday's|this\s+(?:morning|afternoon)'s|last\s+night's|tonight's|(?:{_WD_ALT})'s)"
_NOUN = (r"(?:call|chat|conversation|talk|interview|interviews|meeting|discussion|screen|session|loop|panel|"
         r"coffee|visit|lunch|onsite|video\s+call|phone\s+call)")
# Not "connect": "thanks for connecting" is what a LinkedIn invitation gets.
_VERB_ING = r"(?:speaking|talking|chatting|meeting|interviewing|sitting\s+down|catching\s+up)"
_VERB = r"(?:speak|talk|chat|meet|interview|sit\s+down|catch\s+up)"
_VERB_EITHER = r"(?:speak(?:ing)?|talk(?:ing)?|chat(?:ting)?|meet(?:ing)?|catch(?:ing)?\s+up|see(?:ing)?)"

# after "thanks for meeting": whom, or when, or nothing ("thank you for meeting our deadline" is no meeting)
_WHO = (r"(?=\s+(?:with|to|me|us|you|him|her|them|everyone|the\s+team|today|yesterday|this|last|on|earlier|"
        r"again|(?-i:[A-Z]))|\s*[.!,;]|\s*$)")
# "thank you for …" with what was thanked for; "your time" needs a day ("for your time today").
_R_THANKS = lazy(
    r"\b(?:thanks?|thank\s+you|thx|many\s+thanks|appreciated?|grateful)\b[^.!?\n]{0,40}?\bfor\s+"
    rf"(?:(?:taking|making|finding)\s+(?:the\s+)?time\s+(?:out\s+)?to\s+{_VERB}\b|{_VERB_ING}\b{_WHO}"
    rf"|(?:the|our|your|{_POSS})\s+(?:\w+\s+){{0,2}}?(?P<noun>{_NOUN}|time)\b"
    r"(?!\s+(?:invite|invitation|link|details|request|reminder|confirmation|slot|options|opportunity|process|"
    r"prep|preparation|schedule|packet|guide|materials))"
    rf"|coming\s+in|stopping\s+by|visiting|having\s+me|hosting\s+me"
    rf"|(?:arranging|coordinating|organi[sz]ing|setting\s+up)\s+{_POSS}"
    rf"|(?P<bare>today|yesterday|this\s+morning|this\s+afternoon|last\s+night|tonight|(?:{_WD_ALT})){_PART}\b(?!'s))",
    re.I,
)
# "Great chatting yesterday", "It was a pleasure meeting you", "Lovely to speak yesterday".
_R_PLEASURE = lazy(
    r"\b(?P<past>(?:it\s+)?(?:was|'s\s+been|has\s+been)\s+(?:so\s+|really\s+|very\s+)?)?"
    r"(?:great|good|nice|lovely|wonderful|a\s+(?:real\s+)?pleasure|fun|fantastic|awesome|a\s+treat)\s+"
    rf"(?P<inf>to\s+)?{_VERB_EITHER}\b",
    re.I,
)
# "The team enjoyed meeting you", "Marco and Dani loved talking with you", "I enjoyed our conversation".
_R_ENJOYED = lazy(
    r"\b(?:I|we|the\s+team|everyone|everybody|they|he|she|\w+\s+and\s+(?:I|\w+)|the\s+panel|the\s+interviewers)"
    r"\s+(?:really\s+|truly\s+|thoroughly\s+|all\s+|very\s+much\s+|both\s+|so\s+)?(?:enjoyed|loved|appreciated)\s+"
    rf"(?:(?:meeting|speaking|talking|chatting|getting\s+to\s+know)\b"
    rf"|(?:our|the|my|your|{_POSS})\s+(?:\w+\s+){{0,2}}?{_NOUN}\b|(?:the\s+)?time\s+with\b)",
    re.I,
)
_R_FOLLOW_UP = lazy(
    r"\b(?:(?:following\s+up|circling\s+back|(?:wanted|writing|just|want)\s+to\s+follow\s+up)\s+"
    r"(?:on|after|from|regarding|about)|checking\s+in\s+after)"
    rf"\s+(?:our|the|my|your|{_POSS})\s+(?:\w+\s+){{0,2}}?{_NOUN}\b"
    r"(?!\s+(?:invite|invitation|link|details|request|process|scheduling|slot|time))",
    re.I,
)
# "Wes mentioned you two spoke yesterday": needs its day.
_R_SPOKE = lazy(
    r"\b(?:you|we|you\s+two|you\s+both|they|he|she|\w+\s+and\s+I)\s+(?:just\s+)?"
    r"(?:spoke|talked|chatted|met\s+with|interviewed|connected)\b",
    re.I,
)
_R_NOTES = lazy(rf"\b(?:notes|feedback)\s+from\s+(?:your|our|the|{_POSS})\s+(?:\w+\s+)?{_NOUN}\b", re.I)
_R_HOW_DID = lazy(
    rf"\bhow\s+did\s+(?:the|your|it)\s+(?:(?:\w+\s+){{0,2}}?{_NOUN}\s+)?(?:with\s+\w+\s+)?go\b", re.I)
_R_JUST = lazy(
    r"\bjust\s+(?:finished|got\s+off|wrapped\s+up|hung\s+up|came\s+out\s+of|left)\s+"
    rf"(?:(?:the|my|our)\s+(?:\w+\s+)?{_NOUN}|with\s+(?-i:[A-Z])\w+|the\s+phone)",
    re.I,
)
_R_WENT = lazy(
    rf"\b(?:the|my|our|your)\s+(?:\w+\s+){{0,2}}?{_NOUN}\s+(?:with\s+\w+\s+)?(?:went|was)\s+"
    r"(?:really\s+|very\s+|so\s+|super\s+)?(?:well|great|good|fine|ok|okay|amazing|fun|productive|helpful)\b",
    re.I,
)
# (pattern, needs a day, the day it implies when none is written)
_RULES: tuple[tuple[AnyPattern, bool, str], ...] = (
    (_R_THANKS, False, ""), (_R_PLEASURE, False, ""), (_R_ENJOYED, False, ""), (_R_FOLLOW_UP, False, ""),
    (_R_SPOKE, True, ""), (_R_NOTES, False, ""), (_R_HOW_DID, False, ""), (_R_JUST, False, "today"),
    (_R_WENT, False, ""),
)

_R_WHEN = lazy(
    r"\b(?P<when>earlier\s+today|earlier(?!\s+(?:this|last|in))|today|this\s+(?:morning|afternoon|evening)|tonight|"
    rf"yesterday{_PART}|last\s+night|last\s+week|earlier\s+this\s+week|"
    rf"(?:(?P<last>last|this\s+past)\s+|on\s+)?(?P<wd>{_WD_ALT}){_PART}|"
    r"the\s+other\s+day|last\s+month|recently|a\s+while\s+(?:ago|back)|"
    r"(?:a\s+few|a\s+couple\s+of|two|three|several)\s+(?:days|weeks)\s+ago)(?:'s)?\b",
    re.I,
)
_R_AHEAD = lazy(
    r"\b(?:tomorrow|tmrw|later\s+today|next\s+(?:week|month|time|\w+day)|upcoming|in\s+advance|ahead\s+of|"
    r"look(?:ing)?\s+forward\s+to\s+(?:speaking|talking|chatting|meeting|our|the|seeing|connecting)|"
    r"(?:will|'ll|going\s+to|would\s+(?:love|like)\s+to)\s+(?:\w+\s+)?(?:speak|talk|chat|meet))\b",
    re.I,
)
_R_ELSEWHERE = lazy(
    r"\b(?:conference|meetup|meet-up|career\s+fair|job\s+fair|expo|booth|summit|webinar|happy\s+hour|party|"
    r"wedding|reunion|hackathon|networking|virtually|e-?meet(?:ing)?|over\s+email|via\s+email|on\s+linkedin|"
    r"by\s+email)\b",
    re.I,
)
_R_NEGATED = lazy(r"\b(?:not|never|n't|no\s+need\s+to|yet\s+to)\b[^,;]{0,30}$", re.I)
# "thanks for Friday" means the day itself only when nothing stands between the two
_R_THANKS_FOR = lazy(
    r"^(?:thanks?|thank\s+you|thx|many\s+thanks)(?:\s+(?:again|so\s+much|very\s+much|a\s+lot))?,?\s+for\s", re.I)
# Thanks for an invitation or a chance to interview: the meeting is still ahead unless a day says otherwise.
_R_NOT_YET = lazy(r"\b(?:opportunit\w*|chance|invit\w*|request\w*|offer\w*|schedul\w*)\b", re.I)
# "Thanks again for speaking with me" a fortnight later refers back, it says nothing new.
_R_AGAIN = lazy(r"\b(?:again|once\s+more)\b", re.I)
_R_CLAUSE_END = lazy(r"[.!?;]+(?=\s|$)|\n\s*\n|\n(?=\s*(?:[-*•]|\d+[.)])\s)")


@dataclass(frozen=True)
class Held:
    """A statement that a meeting took place: ``days`` it may have been on, or none known.

    ``days`` is empty when the words give no day ("thank you for speaking with
    me"); ``vague`` when they point back without one ("thanks again", "last
    month", "the other day"): such words confirm a known interview and never
    make one. ``part`` is "morning", "evening" or "" when the words say so.
    """

    quote: str
    days: tuple[date, ...] = ()
    vague: bool = False
    part: str = ""
    word: str = ""  # the day as written ("yesterday", "on Tuesday", "")
    weekday: int | None = None  # when the day was written as a weekday (0 = Monday)


def find(text: str, sent: datetime) -> list[Held]:
    """Every after-the-fact statement in ``text``, read against ``sent`` (local to the user)."""
    out: list[Held] = []
    for start, end in _clauses(text):
        clause = text[start:end]
        h = _statement(clause, sent)
        if h is not None:
            out.append(h)
    return out


def is_past(clause: str, sent: datetime) -> bool:
    """Whether ``clause`` speaks of a meeting that already happened (not of one to set up)."""
    return _statement(clause, sent) is not None


def _clauses(text: str) -> list[tuple[int, int]]:
    out, start = [], 0
    for m in _R_CLAUSE_END.finditer(text):
        out.append((start, m.end()))
        start = m.end()
    return [*out, (start, len(text))]


def _statement(clause: str, sent: datetime) -> Held | None:
    if _R_ELSEWHERE.search(clause):
        return None
    for pattern, needs_day, default in _RULES:
        for m in pattern.finditer(clause):
            h = _held(clause, m, sent, needs_day=needs_day, default=default)
            if h is not None:
                return h
    return None


def _held(clause: str, m: re.Match[str], sent: datetime, *, needs_day: bool, default: str) -> Held | None:
    if _R_NEGATED.search(clause, 0, m.start()):
        return None  # "please do not follow up after the interview", "we haven't spoken yet"
    when = _when(clause, m)
    groups = m.groupdict()
    if groups.get("bare") and not _R_THANKS_FOR.search(m.group(0)):
        return None  # "Thanks, all booked for Tuesday": thanks, and a day, but not "thanks for Tuesday"
    if when is None and default:
        return Held(clause.strip(), (sent.date(),), word=default)
    weak = (needs_day or groups.get("noun") == "time" or bool(groups.get("inf") and not groups.get("past"))
            or bool(_R_NOT_YET.search(m.group(0))))
    if when is None and weak:
        return None  # "thank you for your time", "nice to meet you": no day, no meeting
    if when is None:
        if _R_AHEAD.search(clause):
            return None
        return Held(clause.strip(), vague=bool(_R_AGAIN.search(clause)))
    return _dated(clause.strip(), when, sent)


def _when(clause: str, m: re.Match[str]) -> re.Match[str] | None:
    """The day phrase that goes with the statement: written in it, or after it in the clause."""
    bare = m.groupdict().get("bare")
    found = _R_WHEN.search(clause, m.start(), m.end() + 50) or (
        _R_WHEN.search(clause, 0, m.start()) if bare is None else None)
    if found is None:
        return None
    ahead = _R_AHEAD.search(clause, m.start())
    return None if ahead is not None and ahead.start() < found.start() else found


def _dated(quote: str, w: re.Match[str], sent: datetime) -> Held | None:
    word = " ".join(w["when"].lower().split())
    today = sent.date()
    if w["wd"]:
        wd = _WD.index(w["wd"].lower())
        return Held(quote, _weekdays(today, wd, last=bool(w["last"])), part=_part(word), word=word, weekday=wd)
    if word.startswith(("yesterday", "last night")):
        return Held(quote, (today - timedelta(days=1),), part=_part(word) or ("evening" if "night" in word else ""),
                    word=word)
    if word == "last week":  # its Friday first (the latest working day), then the rest of it
        monday = today - timedelta(days=today.weekday() + 7)
        return Held(quote, tuple(monday + timedelta(days=i) for i in (4, 3, 2, 1, 0, 5, 6)), word=word)
    if word == "earlier this week":  # yesterday first, back to Monday
        return Held(quote, tuple(today - timedelta(days=i) for i in range(1, today.weekday() + 1)) or (today,),
                    word=word)
    if word in ("today", "earlier", "earlier today", "this morning", "this afternoon", "this evening", "tonight"):
        return Held(quote, (today,), part=_part(word), word=word)
    return Held(quote, vague=True, word=word)


def _weekdays(today: date, wd: int, *, last: bool) -> tuple[date, ...]:
    """"On Tuesday": the last Tuesday before today; "last Tuesday" said later the same week
    means the week before's. Both readings are kept, most likely first."""
    recent = today - timedelta(days=(today.weekday() - wd - 1) % 7 + 1)
    earlier = recent - timedelta(days=7)
    same_week = recent >= today - timedelta(days=today.weekday())
    return (earlier, recent) if last and same_week else (recent, earlier)


def _part(word: str) -> str:
    for part in ("morning", "afternoon", "evening", "night"):
        if part in word:
            return "evening" if part == "night" else part
    return ""
