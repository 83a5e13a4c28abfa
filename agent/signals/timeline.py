"""Decision timelines stated by a company, as the last calendar day they allow.

POLICY.md: a stated timeline ("we hope to decide by the end of the month",
"you'll hear from us next week", "within two weeks", "by Friday", "by
December 18") sets the round's *deadline*, and the first follow-up is due a
week after that deadline has passed. So each statement is reduced to one
date: the **last day the statement allows**, read in the time zone the words
name ("by Friday 5pm PT") or else the user's.

Why hand-written rules and not ``dateparser``: dateparser reads "next week"
as today + 7 days, returns nothing for "by the end of the month" or
"mid-December", and turns ordinary words ("We", "may", "Sun") into dates.
Relative phrases therefore have explicit rules below, and explicit dates
("December 18", "Dec. 18th", "18 December", "12/18", "2026-12-18") small
regexes of their own, which are stricter than dateparser about what counts as
a date. Nothing here reads the clock: everything is relative to the message's
``sent_at``.

Readings chosen where English is ambiguous (all in the direction of patience:
a follow-up that comes a little late is polite, one that comes early is not):

* Weeks are business weeks: "the end of the week" and "next week" end on the
  Friday of the (ISO, Monday-first) week meant; "early next week" is its
  Tuesday, "mid next week" its Thursday. Said on a Saturday or Sunday, "this
  week" / "the end of the week" mean the coming week.
* A bare weekday ("by Friday") is the next such day strictly after the sent
  date, so "by Friday" written on a Friday means a week later; "this Friday"
  and "today (Friday)" allow the same day. "Next Friday" is the Friday of the
  next ISO week (on a Monday that is 11 days away, not 4).
* "Few" is 3, "a couple" is 2, "several" is 5; a range ("2-3 weeks", "a week
  or two") takes its upper end; "N hours" counts from the sending time;
  "business"/"working days" skip Saturdays and Sundays only (the company's
  holidays are unknown here).
* Month parts: "early <month>" → the 10th, "mid-<month>" → the 20th, "late",
  "end of" or just "by/in <month>" → the last day.
* A date without a year is this year's if it has not passed, else next year's
  when that is at most about six months ahead ("by January 5" in December);
  otherwise it is a past reference and yields nothing. "By the 15th" is this
  month's 15th, or next month's once it has passed.
* "Before the holidays" is December 23, "before Christmas" December 24,
  "before the new year" December 31, "before Thanksgiving" the day before
  US Thanksgiving; none of them once passed.

Which phrases count (the heuristic that keeps "We may reach out", "2 rounds",
"at 3pm", phone numbers, years and "we met on Monday" out):

* *Strong* phrases carry a deadline preposition — "by", "before", "until",
  "no later than", "within", "in the next/coming", "over the next" — and are
  accepted in any sentence, except a sentence that asks the candidate to do
  something ("please send your availability by Friday", "the assignment is due
  Monday") without also speaking of the company's decision.
* *Weak* phrases ("next week", "on Thursday", "in two weeks", "early
  January", "tomorrow") are accepted only in a sentence with decision
  vocabulary ("decide", "hear back", "let you know", "next steps", "get back
  to you", ...), when not directly after a past-tense verb ("we met on
  Monday") and not inside a thank-you clause ("thanks for coming in today").
* Past references ("last week", "two weeks ago", "earlier this week") have no
  rule at all, and dates that have passed yield nothing.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from agent.model import Deadline, utc

__all__ = ["find_deadlines", "parse_deadline"]

# --- time zones named in the text ------------------------------------------------------

ZONE_ABBR = {
    "PT": "America/Los_Angeles", "PST": "America/Los_Angeles", "PDT": "America/Los_Angeles",
    "MT": "America/Denver", "MST": "America/Denver", "MDT": "America/Denver",
    "CT": "America/Chicago", "CST": "America/Chicago", "CDT": "America/Chicago",
    "ET": "America/New_York", "EST": "America/New_York", "EDT": "America/New_York",
    "GMT": "UTC", "UTC": "UTC", "BST": "Europe/London",
    "CET": "Europe/Berlin", "CEST": "Europe/Berlin",
    "IST": "Asia/Kolkata", "JST": "Asia/Tokyo", "SGT": "Asia/Singapore",
    "AEST": "Australia/Sydney", "AEDT": "Australia/Sydney",
}  # fmt: skip
_ZONE_NAMES = {
    "uk": "Europe/London", "london": "Europe/London", "british": "Europe/London",
    "pacific": "America/Los_Angeles", "mountain": "America/Denver",
    "central european": "Europe/Berlin", "central": "America/Chicago",
    "eastern": "America/New_York", "new york": "America/New_York",
    "berlin": "Europe/Berlin", "paris": "Europe/Paris", "india": "Asia/Kolkata",
    "singapore": "Asia/Singapore", "tokyo": "Asia/Tokyo", "sydney": "Australia/Sydney",
}  # fmt: skip
# Abbreviations are matched case-sensitively (so "et", "pt" or "mt" in running
# text are not zones); zone names need the word "time" after them.
_ABBR_ALT = "|".join(sorted(ZONE_ABBR, key=len, reverse=True))
_NAME_ALT = "|".join(n.replace(" ", r"\s+") for n in sorted(_ZONE_NAMES, key=len, reverse=True))
ZONE = rf"(?:(?-i:\b(?:{_ABBR_ALT})\b)|\b(?:{_NAME_ALT})\s+time\b)"
_ZONE_RE = re.compile(ZONE, re.I)


def _zone_name(text: str) -> str | None:
    m = _ZONE_RE.search(text)
    if not m:
        return None
    word = m.group(0)
    if word in ZONE_ABBR:
        return ZONE_ABBR[word]
    key = " ".join(word.lower().split()[:-1])  # drop "time"
    return _ZONE_NAMES.get(key)


# --- shared pieces of the patterns ------------------------------------------------------

_MONTHS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
    "jul": 7, "aug": 8, "sep": 9, "oct": 10, "nov": 11, "dec": 12,
}  # fmt: skip
_MONTH_ALT = (
    r"January|February|March|April|May|June|July|August|September|October|November|December|"
    r"Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec"
)
MONTH = rf"(?P<mon>{_MONTH_ALT})\b(?:\.(?=\s*\d))?"  # "Dec. 18", never a sentence's full stop
_WEEKDAYS = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}
# Full names in any case; the short forms only capitalised, and never "Sat" or
# "Sun", which are ordinary words.
_WEEKDAY_ALT = (
    r"Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|"
    r"(?-i:Mon|Tues|Tue|Wed|Thurs|Thur|Thu|Fri)"
)
WEEKDAY = rf"(?P<wd>{_WEEKDAY_ALT})\b"
_WEEKDAY_NC = rf"(?:{_WEEKDAY_ALT})\b"

_BY = r"no\s+later\s+than|on\s+or\s+before|prior\s+to|ahead\s+of|by|before|until|till"
PREP_BY = rf"(?P<prep>{_BY})"
PREP_ON = rf"(?P<prep>{_BY}|on|around)"
PREP_IN = rf"(?P<prep>{_BY}|within|sometime\s+in|in|during|around|at|towards?)"
_STRONG = {
    "by", "before", "until", "till", "no later than", "on or before", "prior to", "ahead of",
    "within", "within the next", "within the coming", "in the next", "in the coming",
    "in the following", "over the next", "over the coming", "over the following",
    "during the next", "during the coming",
}  # fmt: skip

_TOD = r"(?:\d{1,2}(?::\d{2})?\s*[ap]\.?m\b\.?|noon|midday|midnight)"
_EOD = (
    r"(?:(?-i:EOD|COB|EOB)|(?:the\s+)?end\s+of\s+(?:the\s+)?(?:business\s+|work(?:ing)?\s+)?day|"
    r"(?:the\s+)?close\s+of\s+(?:the\s+)?business(?:\s+day)?)"
)
# "by EOD", "by 5pm PT on", "by close of business," before a day word.
_DAYPART = rf"(?:(?:{_EOD}|{_TOD})(?:\s+{ZONE})?\s*,?\s*(?:on\s+)?)"

_NUMBERS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
    "fourteen": 14, "fifteen": 15, "twenty": 20, "thirty": 30,
    "couple": 2, "few": 3, "several": 5,
}  # fmt: skip
_NUM = (
    r"(?:\d{1,3}|(?:a\s+)?couple(?:\s+of)?|(?:a\s+)?few|several|an?|one|two|three|four|five|"
    r"six|seven|eight|nine|ten|eleven|twelve|fourteen|fifteen|twenty|thirty)"
)


def _number(word: str | None) -> int | None:
    if not word:
        return None
    w = word.lower().split()
    w = [x for x in w if x not in ("a", "of")] or w
    if w[0].isdigit():
        return int(w[0])
    return _NUMBERS.get(w[0])


# --- date arithmetic ----------------------------------------------------------------------


def _last_of_month(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def _add_months(d: date, n: int) -> date:
    y, m = divmod(d.month - 1 + n, 12)
    year, month = d.year + y, m + 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def _monday(d: date) -> date:
    return d - timedelta(days=d.weekday())


def _this_week_monday(ref: date) -> date:
    """The week "this week" means: the current one, or the coming one at the weekend."""
    monday = _monday(ref)
    return monday + timedelta(days=7) if ref.weekday() >= 5 else monday


def _add_weekdays(d: date, n: int) -> date:
    while n > 0:
        d += timedelta(days=1)
        if d.weekday() < 5:
            n -= 1
    return d


def _next_weekday(ref: date, wd: int, *, same_day: bool) -> date:
    ahead = (wd - ref.weekday()) % 7
    if ahead == 0 and not same_day:
        ahead = 7
    return ref + timedelta(days=ahead)


_ROLL_WINDOW = timedelta(days=183)


def _roll_year(ref: date, month: int, day: int | None) -> int | None:
    """The year of a yearless "<month> <day>" (or a whole month when ``day`` is None).

    This year's when it has not passed; next year's when that is within about
    six months ("by January 5" written in December); else the words speak of
    the past and there is no deadline.
    """
    if day is None:
        if _last_of_month(ref.year, month) >= ref:
            return ref.year
        nxt: date | None = date(ref.year + 1, month, 1)
    else:
        this = _safe_date(ref.year, month, day)
        if this is not None and this >= ref:
            return ref.year
        nxt = _safe_date(ref.year + 1, month, day)
    return ref.year + 1 if nxt is not None and nxt - ref <= _ROLL_WINDOW else None


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _month_number(word: str) -> int | None:
    if word == "may":  # lower-case "may" is the verb
        return None
    return _MONTHS.get(word[:3].lower())


def _year(text: str | None) -> int | None:
    if not text:
        return None
    y = int(text.strip("'’"))
    return y + 2000 if y < 100 else y


def _norm(text: str | None) -> str:
    return " ".join((text or "").lower().split())


# --- rules ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Ref:
    """The reference point: the message's sending time in the zone that applies."""

    dt: datetime  # aware, in the zone
    sent_at: datetime  # aware, UTC

    @property
    def day(self) -> date:
        return self.dt.date()


_Handler = Callable[[re.Match[str], _Ref], date | None]


@dataclass(frozen=True)
class _Rule:
    name: str
    regex: re.Pattern[str]
    handler: _Handler


def _g(m: re.Match[str], name: str) -> str | None:
    return m.groupdict().get(name)


# Month relative to the message: end of (this|next) month, this month, next month,
# early next month, month-end, EOM, within the month.
_MPART = (
    r"(?P<part>early|mid|middle\s+of|late|later|(?:the\s+)?(?:start|beginning|middle|end|close|"
    r"first\s+half|second\s+half|first\s+week|last\s+week)\s+of)"
)
_R_REL_MONTH = re.compile(
    rf"\b(?:{PREP_IN}\s+)?(?:the\s+)?(?:"
    rf"(?:{_MPART}[\s-]*)?(?:the\s+)?(?P<which>this|next|the\s+current|current|the\s+following|"
    rf"following|the\s+coming|coming)?\s*month(?P<end>[-\s]end)?(?P<out>\s+is\s+out)?"
    rf"|(?-i:EOM))\b",
    re.I,
)


def _part_day(part: str, year: int, month: int) -> date:
    """The last day a part of a month allows (see the module docstring)."""
    p = _norm(part).removeprefix("the ").removesuffix(" of")
    last = _last_of_month(year, month)
    if p in ("early", "start", "beginning"):
        return date(year, month, 10)
    if p == "first week":
        return date(year, month, 7)
    if p == "first half":
        return date(year, month, 15)
    if p in ("mid", "middle"):
        return date(year, month, 20)
    return last  # late, later, end, close, second half, last week, or none


def _rel_month(m: re.Match[str], ref: _Ref) -> date | None:
    which, part, prep = _norm(_g(m, "which")), _g(m, "part"), _norm(_g(m, "prep"))
    text = _norm(m.group(0))
    if "eom" in text or _g(m, "end"):
        part = part or "end of"
    elif not which and not part and not (prep == "within" or (prep in ("before", "by") and _g(m, "out"))):
        return None  # "the month" alone only in "within the month" / "before the month is out"
    offset = 1 if which.removeprefix("the ") in ("next", "following", "coming") else 0
    first = _add_months(ref.day.replace(day=1), offset)
    day = _part_day(part or "", first.year, first.month)
    return max(day, ref.day)


# Week relative to the message: this week, end of the week, next week, early next
# week, the week after next, within the week.
_WPART = (
    r"(?P<part>early|mid|middle\s+of|late|later|(?:the\s+)?(?:start|beginning|middle|end|close)"
    r"\s+of)"
)
_R_REL_WEEK = re.compile(
    rf"\b(?:{PREP_IN}\s+)?(?:(?:{_WPART}[\s-]*)?(?:(?P<which>this\s+coming|this|next|the\s+following|"
    rf"the\s+current|the\s+coming|the)\s+)?(?:(?:work|business)\s*)?week(?P<after>\s+after(?:\s+next)?)?"
    rf"(?!['’]s|\s+of\b)|(?:the\s+)?week['’]s\s+end|(?-i:EOW))\b",
    re.I,
)


def _rel_week(m: re.Match[str], ref: _Ref) -> date | None:
    which, part, after = _norm(_g(m, "which")), _norm(_g(m, "part")), _norm(_g(m, "after"))
    text = _norm(m.group(0))
    if "eow" in text or "week's end" in text or "week’s end" in text:
        part = "end of"
    elif not which and not part:
        return None
    if which == "the" and not part and not after and _norm(_g(m, "prep")) != "within":
        return None  # "the week" alone says nothing
    # "Next week", "the week after (next)" count ISO weeks from the sending day's
    # week, even at the weekend; "this week" at the weekend is the coming one.
    if which in ("next", "the following", "the coming", "this coming"):
        monday = _monday(ref.day) + timedelta(days=7)
    elif after:
        monday = _monday(ref.day) + timedelta(days=14 if after == "after next" else 7)
    else:
        monday = _this_week_monday(ref.day)
    p = part.removeprefix("the ").removesuffix(" of")
    weekday = {"early": 1, "start": 1, "beginning": 1, "mid": 3, "middle": 3}.get(p, 4)
    return max(monday + timedelta(days=weekday), ref.day)


# Durations: within two weeks, in the next few days, in a couple of weeks,
# within 10 business days, within 48 hours, in a week or two.
_R_DURATION = re.compile(
    r"\b(?P<prep>within(?:\s+the\s+(?:next|coming))?|(?:in|over|during)\s+the\s+(?:next|coming|following)"
    r"|in)\s+(?:(?:about|around|roughly|approximately|another)\s+)?"
    rf"(?P<num>{_NUM})?(?:\s*(?:-|–|to|or)\s*(?P<num2>{_NUM}))?\s*"
    r"(?P<biz>business\s+|working\s+|work\s+)?(?P<unit>hours?|hrs?|days?|weeks?|months?)\b"
    r"(?:['’]s?\s+time\b)?(?:\s+or\s+(?P<orn>two|three|2|3)\b)?",
    re.I,
)


def _duration(m: re.Match[str], ref: _Ref) -> date | None:
    prep = _norm(_g(m, "prep"))
    n = _number(_g(m, "num"))
    unit = _norm(_g(m, "unit"))
    if n is None:
        if prep in ("in", "within"):
            return None  # "in days", "within weeks": no number, no rule
        # "over the next week" is one; "in the coming days" reads as a few.
        n = 3 if unit.endswith("s") else 1
    n = max(n, _number(_g(m, "num2")) or 0, _number(_g(m, "orn")) or 0)
    if n <= 0:
        return None
    if unit.startswith("h"):
        return (ref.sent_at + timedelta(hours=n)).astimezone(ref.dt.tzinfo).date()
    if unit.startswith("day"):
        return _add_weekdays(ref.day, n) if _g(m, "biz") else ref.day + timedelta(days=n)
    if unit.startswith("week"):
        return ref.day + timedelta(weeks=n)
    return _add_months(ref.day, n)


# Weekdays: by Friday, on Thursday, this Friday, next Monday, by EOD Friday,
# Friday next week, today (Friday).
_R_WEEKDAY = re.compile(
    rf"\b(?:{PREP_ON}\s+)?(?P<daypart>{_DAYPART})?(?:(?P<today1>today)\s*,?\s*\(?\s*)?"
    rf"(?:(?P<rel>this\s+coming|this|next|the\s+coming|coming|the\s+following)\s+)?{WEEKDAY}"
    rf"(?:\s*,?\s*\(?(?P<today2>today)\b\)?)?"
    rf"(?:,?\s+(?P<nw>(?:of\s+)?(?:next|this|the\s+following)\s+week|the\s+week\s+after))?",
    re.I,
)


def _weekday(m: re.Match[str], ref: _Ref) -> date | None:
    prep, rel, nw = _norm(_g(m, "prep")), _norm(_g(m, "rel")), _norm(_g(m, "nw"))
    if not (prep or rel or nw or _g(m, "daypart")):
        return None  # a bare weekday name is not a timeline
    wd = _WEEKDAYS[_norm(_g(m, "wd"))[:3]]
    if (_g(m, "today1") or _g(m, "today2")) and wd == ref.day.weekday():
        return ref.day
    if nw:
        monday = _monday(ref.day)
        if "this" not in nw:
            monday += timedelta(days=7)
        day = monday + timedelta(days=wd)
        return day if day >= ref.day else _next_weekday(ref.day, wd, same_day=False)
    if rel == "next":
        return _monday(ref.day) + timedelta(days=7 + wd)
    return _next_weekday(ref.day, wd, same_day=rel == "this")


# Today, tomorrow, by EOD tomorrow, the day after tomorrow; "by end of day" alone.
_R_DAYWORD = re.compile(
    rf"\b(?:{PREP_BY}\s+)?(?:{_DAYPART})?(?P<word>(?:later\s+)?today|tonight|"
    r"(?:the\s+day\s+after\s+)?tomorrow)\b",
    re.I,
)


def _dayword(m: re.Match[str], ref: _Ref) -> date | None:
    word = _norm(_g(m, "word"))
    if "after" in word:
        return ref.day + timedelta(days=2)
    return ref.day + timedelta(days=1 if "tomorrow" in word else 0)


_R_EOD = re.compile(rf"\b{PREP_BY}\s+{_EOD}\b(?:\s+{ZONE})?", re.I)


def _eod(m: re.Match[str], ref: _Ref) -> date | None:
    return ref.day


# Explicit dates.
_R_MONTH_DAY = re.compile(
    rf"\b(?:{PREP_ON}\s+)?(?:{_WEEKDAY_NC},?\s+)?(?:the\s+)?{MONTH}\s*(?P<day>\d{{1,2}})"
    rf"(?:st|nd|rd|th)?(?![\d:/])\b(?:,?\s+(?P<year>\d{{4}})\b)?",
    re.I,
)
_R_DAY_MONTH = re.compile(
    rf"\b(?:{PREP_ON}\s+)?(?:{_WEEKDAY_NC},?\s+)?(?:the\s+)?(?P<day>\d{{1,2}})(?:st|nd|rd|th)?"
    rf"\s+(?:of\s+)?{MONTH}(?:,?\s+(?P<year>\d{{4}})\b)?",
    re.I,
)
_R_NUMERIC = re.compile(
    rf"(?:\b{PREP_ON}\s+)?(?P<wdp>{_WEEKDAY_NC},?\s+)?(?<![\w/.\-+])(?P<m>\d{{1,2}})/(?P<d>\d{{1,2}})"
    r"(?:/(?P<y>\d{4}|\d{2}))?(?![\w/]|[.\-]\d)",
    re.I,
)
_R_ISO = re.compile(
    rf"(?:\b{PREP_ON}\s+)?(?P<wdp>{_WEEKDAY_NC},?\s+)?(?<![\w/.\-+])(?P<y>\d{{4}})-(?P<m>\d{{2}})-(?P<d>\d{{2}})(?![\w\-]|\.\d)",
    re.I,
)
_R_ORDINAL = re.compile(
    rf"\b{PREP_ON}\s+the\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)\b"
    r"(?!\s+(?:floor|round|interview|call|time|place|attempt|stage|step|candidate|person|row)\b)",
    re.I,
)


def _explicit(ref: _Ref, month: int | None, day: int, year: int | None) -> date | None:
    if month is None or not 1 <= month <= 12:
        return None
    if year is not None:
        d = _safe_date(year, month, day)
        return d if d is not None and d >= ref.day else None
    y = _roll_year(ref.day, month, day)
    return None if y is None else _safe_date(y, month, day)


def _month_day(m: re.Match[str], ref: _Ref) -> date | None:
    return _explicit(ref, _month_number(m["mon"]), int(m["day"]), _year(_g(m, "year")))


def _numeric(m: re.Match[str], ref: _Ref) -> date | None:
    # US order (month/day), as the policy's own example "12/18" reads. Only
    # after a preposition or a weekday: bare "2/3" is as often a fraction or a
    # score as a date.
    if not (_g(m, "prep") or _g(m, "wdp")):
        return None
    return _explicit(ref, int(m["m"]), int(m["d"]), _year(_g(m, "y")))


def _iso(m: re.Match[str], ref: _Ref) -> date | None:
    return _explicit(ref, int(m["m"]), int(m["d"]), int(m["y"]))


def _ordinal(m: re.Match[str], ref: _Ref) -> date | None:
    day = int(m["day"])
    if not 1 <= day <= 31:
        return None
    first = ref.day.replace(day=1)
    if day < ref.day.day:
        first = _add_months(first, 1)
    return first.replace(day=min(day, calendar.monthrange(first.year, first.month)[1]))


# A named month, with or without a part: early January, mid-December, late
# January, the end of January, by December, in March 2027.
_R_MONTH_PART = re.compile(
    rf"\b(?:{PREP_IN}\s+)?(?:the\s+)?(?:{_MPART}[\s-]*)?{MONTH}"
    r"(?:,?\s+(?P<year>\d{4})\b|(?!\s*\d))",
    re.I,
)


def _month_part(m: re.Match[str], ref: _Ref) -> date | None:
    if not (_g(m, "part") or _g(m, "prep")):
        return None  # a month name alone is not a timeline
    month = _month_number(m["mon"])
    if month is None:
        return None
    year = _year(_g(m, "year"))
    if year is None:
        year = _roll_year(ref.day, month, None)
        if year is None:
            return None
    elif _last_of_month(year, month) < ref.day:
        return None
    return max(_part_day(_g(m, "part") or "", year, month), ref.day)


# Quarters: by the end of Q1, end of the quarter, next quarter, Q2 2027.
_R_QUARTER = re.compile(
    rf"\b(?:{PREP_IN}\s+)?(?:(?:the\s+)?(?P<part>end|close|start|beginning|middle|early|mid|late)"
    r"(?:\s+of|-)?\s+)?(?:the\s+)?(?:(?P<q>Q[1-4])|(?P<qn>first|second|third|fourth|1st|2nd|3rd|4th)"
    r"\s+quarter|(?P<which>this|next|the\s+current|current|the\s+next|the\s+following|following|the)"
    r"\s+quarter|quarter[-\s]end)(?:\s+(?:of\s+)?(?P<year>\d{4}))?\b",
    re.I,
)


_QUARTER_WORDS = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4}


def _quarter(m: re.Match[str], ref: _Ref) -> date | None:
    which, part = _norm(_g(m, "which")), _norm(_g(m, "part"))
    year = _year(_g(m, "year"))
    named = _g(m, "q") or _g(m, "qn")
    if named:
        q = int(named[1]) if named[0] in "qQ" else _QUARTER_WORDS[named.lower()]
        if year is None:
            year = ref.day.year if _last_of_month(ref.day.year, q * 3) >= ref.day else ref.day.year + 1
    else:
        if which == "the" and not part:
            return None  # "the quarter" alone
        q, year = (ref.day.month - 1) // 3 + 1, ref.day.year
        if which.removeprefix("the ") in ("next", "following"):
            q, year = (q + 1, year) if q < 4 else (1, year + 1)
    # The last day the part allows: early Q1 → January 31, mid Q1 → February 28/29.
    month = q * 3 - {"start": 2, "beginning": 2, "early": 2, "middle": 1, "mid": 1}.get(part, 0)
    day = _last_of_month(year, month)
    return day if day >= ref.day else None


# The year: by the end of the year, year-end, this year.
_R_YEAR = re.compile(
    rf"\b(?:{PREP_IN}\s+)?(?:the\s+)?(?:(?:end|close)\s+of\s+(?:the\s+|this\s+)?(?:calendar\s+)?year"
    r"|year[-\s]end|this\s+year|(?-i:EOY))\b",
    re.I,
)


def _year_end(m: re.Match[str], ref: _Ref) -> date | None:
    return date(ref.day.year, 12, 31)


# Seasonal holidays: before the holidays, before Christmas, by the new year.
_R_HOLIDAY = re.compile(
    rf"\b{PREP_BY}\s+(?:the\s+)?(?P<h>(?:winter\s+|christmas\s+|end[-\s]of[-\s]year\s+|year[-\s]end\s+)?"
    r"(?:holidays|holiday\s+(?:break|season|period|shutdown))|christmas(?:\s+break)?|xmas|"
    r"new\s+year['’]?s?(?:\s+(?:day|eve))?|thanksgiving(?:\s+break)?|winter\s+break|"
    r"end[-\s]of[-\s]year\s+break)\b",
    re.I,
)


def _holiday(m: re.Match[str], ref: _Ref) -> date | None:
    h, year = _norm(m["h"]), ref.day.year
    if h.startswith("thanksgiving"):
        nov1 = date(year, 11, 1)
        thursday = nov1 + timedelta(days=(3 - nov1.weekday()) % 7 + 21)
        day = thursday - timedelta(days=1)
    elif h.startswith("new year"):
        day = date(year, 12, 31)
    elif h in ("christmas", "xmas"):
        day = date(year, 12, 24)
    else:
        day = date(year, 12, 23)
    return day if day >= ref.day else None


_RULES: tuple[_Rule, ...] = (
    _Rule("month_day", _R_MONTH_DAY, _month_day),
    _Rule("day_month", _R_DAY_MONTH, _month_day),
    _Rule("numeric", _R_NUMERIC, _numeric),
    _Rule("iso", _R_ISO, _iso),
    _Rule("ordinal", _R_ORDINAL, _ordinal),
    _Rule("month_part", _R_MONTH_PART, _month_part),
    _Rule("quarter", _R_QUARTER, _quarter),
    _Rule("year", _R_YEAR, _year_end),
    _Rule("holiday", _R_HOLIDAY, _holiday),
    _Rule("rel_month", _R_REL_MONTH, _rel_month),
    _Rule("rel_week", _R_REL_WEEK, _rel_week),
    _Rule("duration", _R_DURATION, _duration),
    _Rule("weekday", _R_WEEKDAY, _weekday),
    _Rule("dayword", _R_DAYWORD, _dayword),
    _Rule("eod", _R_EOD, _eod),
)

# --- which sentences speak of a decision ----------------------------------------------

# Vocabulary that is about the company's decision or its next message to the
# candidate. _CORE is strong enough to outweigh a request in the same sentence.
_CORE = (
    r"decid\w*|decision\w*|hear\s+back|hear\s+from\s+(?:us|me|the\s+team|our\s+team)|"
    r"get\s+back\s+to\s+you|come\s+back\s+to\s+you|circle\s+back|let\s+you\s+know|"
    r"be\s+in\s+touch|next\s+steps?|feedback|outcome|an?\s+answer|update\s+you|an\s+update|"
    r"notify\s+you|inform\s+you|reach\s+out\s+to\s+you|follow\s+up\s+with\s+you|"
    r"make\s+(?:a|our|the)\s+(?:call|choice|selection)"
)
_CORE_RE = re.compile(rf"\b(?:{_CORE})\b", re.I)
_DECISION_RE = re.compile(
    rf"\b(?:{_CORE}|updates?|respon\w*|repl(?:y|ies)|timeline|time\s*frame|finali[sz]\w*|"
    r"wrap\w*\s+up|conclud\w*|finish\w*|complet\w*|review\w*|evaluat\w*|deliberat\w*|choos\w*|"
    r"select\w*|move\s+forward|determin\w*|expect\w*|hop(?:e|es|ed|ing)|aim\w*|anticipat\w*|"
    r"plan(?:s|ning)?\s+to|in\s+touch|reach\s+out|follow\s+up|news|results?|process|offer)\b",
    re.I,
)
# A sentence asking the candidate to act: its date is the candidate's, not ours.
_REQUEST_RE = re.compile(
    r"\b(?:please|kindly|could\s+you|can\s+you|would\s+you|will\s+you|"
    r"(?:you|you['’]ll|you\s+will)\s+(?:need|have)\s+to|you\s+must|(?:we|I)\s+need\s+you\s+to|"
    r"make\s+sure|be\s+sure\s+to|remember\s+to|don['’]t\s+forget|"
    r"hear(?:ing)?\s+(?:back\s+)?from\s+you|due|"
    r"(?:your|the)\s+(?:availability|assessment|assignment|take[-\s]home|exercise|challenge|"
    r"paperwork|forms?|documents?))\b",
    re.I,
)
_PAST_WORDS = frozenset(
    ["met", "spoke", "saw", "had", "was", "were", "did", "came", "went", "took", "got", "sent", "left", "began", "chatted", "since", "earlier", "last", "previous", "past", "ago"]
)
_ABBREVIATIONS = frozenset(
    ["jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "mon", "tue", "tues", "wed", "thu", "thur", "thurs", "fri", "approx", "e.g", "i.e", "etc", "mr", "mrs", "ms", "dr", "st", "a.m", "p.m", "am", "pm", "vs"]
)
_BOUNDARY = re.compile(r"[.!?;]+(?=\s|$)|\n[ \t]*\n")


def _sentence_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    """The sentence around ``text[start:end]``; "Dec." or "a.m." do not end one."""
    lo, hi = 0, len(text)
    for b in _BOUNDARY.finditer(text):
        if b.group(0).startswith("."):
            word = re.search(r"([\w.]+)$", text[: b.start()])
            if word and word.group(1).lower() in _ABBREVIATIONS:
                continue
        if b.end() <= start:
            lo = b.end()
        elif b.start() >= end:
            hi = b.start()
            break
    return lo, hi


def _accepted(text: str, start: int, end: int, strong: bool) -> bool:
    lo, hi = _sentence_bounds(text, start, end)
    sentence = text[lo:hi]
    if _REQUEST_RE.search(sentence) and not _CORE_RE.search(sentence):
        return False
    if strong:
        return True
    if not _DECISION_RE.search(sentence):
        return False
    before = text[lo:start]
    words = re.findall(r"[\w'’]+", before.lower())
    if words:
        prev = words[-1]
        if prev in _PAST_WORDS or (
            prev.endswith("ed") and not prev.endswith("eed") and prev not in ("red", "bed", "shed")
        ):
            return False
    clause = re.split(r"[,;:—–]", before)[-1]
    thanks = re.search(r"\bthank", clause, re.I)
    return not (thanks and not _DECISION_RE.search(clause[thanks.end():]))


# A time of day or zone right after the phrase belongs to it: "by Friday, 5pm PT".
_TAIL = re.compile(
    rf"(?:\s*,?\s*(?:at\s+|by\s+)?(?:{_TOD}|{_EOD}))?(?:\s*\(?\s*{ZONE}\s*\)?)?",
    re.I,
)

# Deadlines further out than this are not a decision timeline worth waiting for.
_MAX_AHEAD = timedelta(days=400)


@dataclass(frozen=True)
class _Hit:
    start: int
    end: int
    order: int
    rule: _Rule
    match: re.Match[str]


def find_deadlines(text: str, sent_at: datetime, tz: ZoneInfo) -> list[Deadline]:
    """Every decision timeline stated in ``text``, in the order they appear.

    ``sent_at`` is the message's date (aware; naive is taken as UTC) and ``tz``
    the user's zone: the reference day is ``sent_at`` in the zone the phrase
    names, else in ``tz``. Each :class:`~agent.model.Deadline` holds the last
    day the phrase allows, the phrase itself (the words as written, whitespace
    collapsed) and the IANA zone the text named, if any. Overlapping matches
    keep the longest ("by the end of next week" rather than "next week").
    """
    if not text:
        return []
    sent = utc(sent_at)
    hits: list[_Hit] = []
    for order, rule in enumerate(_RULES):
        for m in rule.regex.finditer(text):
            if m.end() > m.start():
                hits.append(_Hit(m.start(), m.end(), order, rule, m))
    hits.sort(key=lambda h: (-(h.end - h.start), h.start, h.order))
    chosen: list[_Hit] = []
    for h in hits:
        if all(h.end <= c.start or h.start >= c.end for c in chosen):
            chosen.append(h)
    chosen.sort(key=lambda h: h.start)

    out: list[Deadline] = []
    covered = 0
    for h in chosen:
        if h.start < covered:
            continue  # inside the time-of-day tail of the previous phrase ("Friday by EOD")
        end = h.end
        tail = _TAIL.match(text, end)
        if tail and tail.end() > end:
            end = tail.end()
        if text.count("(", h.start, end) > text.count(")", h.start, end) and text[end : end + 1] == ")":
            end += 1  # "today (Friday)"
        covered = end
        phrase_text = text[h.start : end]
        lo, hi = _sentence_bounds(text, h.start, end)
        zone = _zone_name(phrase_text) or _zone_name(text[lo:hi])
        ref_tz = ZoneInfo(zone) if zone else tz
        ref = _Ref(sent.astimezone(ref_tz), sent)
        day = h.rule.handler(h.match, ref)
        if day is None or day < ref.day or day - ref.day > _MAX_AHEAD:
            continue
        strong = _norm(_g(h.match, "prep")) in _STRONG
        if not _accepted(text, h.start, h.end, strong):
            continue
        out.append(Deadline(last_day=day, phrase=" ".join(phrase_text.split()), tz=zone))
    return out


def parse_deadline(text: str, sent_at: datetime, tz: ZoneInfo) -> Deadline | None:
    """The one timeline that governs the message, or ``None``.

    When a message states several, the latest day wins (ties: the one written
    last): "we'll decide by Friday, the end of next week at the latest" allows
    until the later day, and a follow-up that waits for the later one is never
    premature.
    """
    found = find_deadlines(text, sent_at, tz)
    if not found:
        return None
    best = found[0]
    for d in found[1:]:
        if d.last_day >= best.last_day:
            best = d
    return best
