"""Words about meetings: what names one, what a time is instead, and how long one lasts.

Shared by agent.signals.scheduling (is this time about a meeting? how long
does the meeting agreed on last?). A conversation gives a meeting its length
in passing ("a 30-minute phone screen", "45 min video screen", "30-45
minutes", "half an hour", "a 2-hour virtual onsite"); the thank-you falls due
after its end, so the length is read rather than assumed. A take-home's
"take 3-4 hours" or "72 hours from when you start" is no meeting's length.
Pure.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import timedelta

from agent.lazy_pattern import lazy

# Words that name a meeting: the conversation speaks of one, a length stands next to one.
MEETING = lazy(
    r"\b(?:call|calls|chat|interview\w*|screen(?:ing)?|meet(?:ing)?|talk|speak|conversation|coffee|whiteboard|"
    r"video|zoom|google\s+meet|meet\.google|teams|webex|phone|ring|dial|session|onsite|on-site|round|loop|"
    r"catch\s+up|connect|intro|visit|in\s+person|lunch|panel|invite|invitation|calendar)\b",
    re.I,
)
# … and not something else at that time.
NOT_MEETING = lazy(
    r"\b(?:deadline|due\s+(?:on|by|date)|is\s+due|submit\w*|expires?|closes?|start\s+date|first\s+day|"
    r"orientation|onboarding|report\s+to|office\s+hours|office\s+is\s+open|webinar|info(?:rmation)?\s+session|"
    r"open\s+house|career\s+fair|job\s+fair|conference|meetup|happy\s+hour|party|flight|hotel|"
    r"out\s+of\s+(?:the\s+)?office|vacation|holiday|appointment|dentist|doctor'?s?)\b",
    re.I,
)

_NUMBER_WORDS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6}
# "a 30-minute phone screen", "45 min video screen", "30-45 minutes", "an hour with the team",
# "a 2-hour virtual onsite", "half an hour": the length of the meeting spoken of nearby.
_R_LENGTH = lazy(
    r"\b(?:(?P<half>half\s+an)|(?P<n>\d{1,3}|an?|one|two|three|four|five|six)"
    r"(?:\s*(?:-|–|to|or)\s*(?P<n2>\d{1,3}))?)[\s-]*(?P<unit>min(?:ute)?s?|hours?|hrs?)\b",
    re.I,
)
_MAX_LENGTH = timedelta(hours=8)
_R_NOT_LENGTH_BEFORE = lazy(
    r"\b(?:takes?|taking|spend|spent|more\s+than|less\s+than|up\s+to|within|in\s+the\s+next|for\s+the\s+next|"
    r"late|early)\s+(?:about\s+|around\s+|roughly\s+)?$", re.I)
# "I'd be glad to set up 30 minutes", "Grab any 30 minutes", "Do you have 20 minutes"
_R_BOOK_BEFORE = lazy(r"\b(?:set\s+up|schedule|book|grab|find|block|have|spare)\s+(?:any\s+|a\s+|an\s+)?$", re.I)


def stated_length(texts: Sequence[str]) -> timedelta | None:
    """The length last given to a meeting in ``texts`` (the latest text first; a range's upper end)."""
    for text in reversed(texts):
        found = [d for m in _R_LENGTH.finditer(text) if (d := _length(text, m)) is not None]
        if found:
            return found[-1]
    return None


def _length(text: str, m: re.Match[str]) -> timedelta | None:
    before = text[max(0, m.start() - 30):m.start()]
    if _R_NOT_LENGTH_BEFORE.search(before):
        return None  # "take 3-4 hours", "no more than 4 hours", "within 48 hours": work, not a meeting
    if not (MEETING.search(text[max(0, m.start() - 40):m.end() + 45]) or _R_BOOK_BEFORE.search(before)):
        return None
    if m["half"]:
        n = 0.5
    else:
        word = m["n"].lower()
        n = float(word) if word.isdigit() else float(_NUMBER_WORDS[word])
        n = max(n, float(m["n2"] or 0))
    length = timedelta(hours=n) if m["unit"].lower().startswith("h") else timedelta(minutes=n)
    return length if timedelta(minutes=10) <= length <= _MAX_LENGTH else None
