"""Decision timelines stated by a company, as the last calendar day they allow.

POLICY.md: a stated timeline ("we hope to decide by the end of the month",
"you'll hear from us next week", "within two weeks", "by Friday", "by
December 18") sets the round's *deadline*, and the first follow-up is due a
week after that deadline has passed. So each statement is reduced to one
date: the **last day the statement allows**, read in the time zone the words
name ("by Friday 5pm PT") or else the user's.

Why hand-written rules and not ``dateparser``: dateparser reads "next week"
as today + 7 days, returns nothing for "by the end of the month",
"mid-December" or "after the holidays", and turns ordinary words ("We",
"may", "Sun") into dates. Relative phrases therefore have explicit rules
below, and explicit dates ("December 18", "Dec. 18th", "18 December",
"12/18", "2026-12-18") small regexes of their own, which are stricter than
dateparser about what counts as a date. Nothing here reads the clock:
everything is relative to the message's ``sent_at``.

**The direction of patience.** Where English leaves the day open, the later
plausible day is chosen: a follow-up that comes a little late is polite, one
that comes early is pushy, and the policy adds a week of grace on top anyway.
The readings:

* Weeks are business weeks: "the end of the week" and "next week" end on the
  Friday of the (ISO, Monday-first) week meant; "first thing next week" is its
  Monday, "early next week" / "the beginning of next week" its Tuesday, "mid
  next week" its Thursday. Said on a Saturday or Sunday, "this week" / "the end
  of the week" mean the coming week. "The weekend" is its Sunday.
* A bare weekday ("by Friday") is the next such day strictly after the sent
  date, so "by Friday" written on a Friday means a week later; "this Friday"
  and "today (Friday)" allow the same day. "Next Friday" is the Friday of the
  next ISO week (on a Monday that is 11 days away, not 4). Two days ("Thursday
  or Friday", "Monday or Tuesday of next week") allow the later one.
* "Few" is 3, "a couple" is 2, "several" is 5, "a fortnight" 14 days; a range
  ("2-3 weeks", "a week or two", "7-10 business days") takes its upper end;
  "and a half" adds half the unit, rounded up (a week and a half is 11 days);
  "about", "around" and "or so" are read at face value (the policy's week of
  grace already covers them). "N hours" counts from the sending time;
  "business"/"working days" skip Saturdays and Sundays only (the company's
  holidays are unknown here). "The coming weeks" without a number is a few.
* Month parts: "early <month>" / "the beginning of <month>" → the 10th, "the
  first week" → the 7th (second week the 14th, third the 21st, fourth the
  28th), "the first half" → the 15th, "mid-<month>" → the 20th, "late", "end
  of" or just "by/in <month>" → the last day; "mid-to-late" takes the later.
* A date without a year is this year's if it has not passed, else next year's
  when that is at most about six months ahead ("by January 5" in December);
  otherwise it is a past reference and yields nothing. "By the 15th" is this
  month's 15th, or next month's once it has passed; "14/12" is read day first
  only because 14 cannot be a month (otherwise US order, month first). "The
  week of December 14" ends on that week's Friday.
* Quarters and years by thirds: "early Q1" ends with the quarter's first month,
  "mid-Q1" with its second; "early next year" ends on April 30, "the first half
  of next year" on June 30, "mid next year" on August 31, "next year" on
  December 31.
* Holidays (the year-end ones: December 24 to January 1): "before" or "by" a
  holiday is the day before it starts (the holidays December 23, Christmas
  December 24, the new year December 31, Thanksgiving the Wednesday before US
  Thanksgiving). "Over the holidays" allows their last day, January 1. "In the
  new year" (early, at the start of, sometime in it) is read as all of January:
  the 31st. Once passed, none of them is read again until its next season.
* "After X" (also "following X", "once X", "post-X", "when we're back from X")
  allows **two weeks after X's last day**: "after the holidays" and "after the
  new year" → January 15, "after Christmas" → January 8, "after Thanksgiving"
  → two weeks after that Thursday, "after our final interviews wrap up next
  week" → two weeks after next week's Friday. "Shortly/right/just after X"
  allows one week; "the week after X" that week's Friday. An "after" the
  company puts before its own decision words ("once we decide next week, we'll
  let you know") does not shift the day: the decision itself is what is dated.
* "Soon", "shortly", "in due course", "as soon as we can" alone yield nothing:
  they are courtesy, not a commitment (nearly every recruiter note ends with
  one), no number is stated to read, and any number chosen here would start a
  follow-up clock the company never set. Without a stated timeline the
  policy's own default applies instead.

Which phrases count (the heuristic that keeps "We may reach out", "2 rounds",
"at 3pm", phone numbers, years and "we met on Monday" out):

* *Strong* phrases carry a deadline preposition — "by", "before", "no later
  than", "within", "in the next/coming", "over the next", "allow", "up to" —
  or end with "at the latest", and are accepted in any sentence, except a
  sentence that asks the candidate to do something ("please send your
  availability by Friday", "are you free on Tuesday", "the assignment is due
  Monday") without also speaking of the company's decision. "Until" is weak:
  "the hiring manager is out until Monday" is no decision date.
* *Weak* phrases ("next week", "on Thursday", "in two weeks", "early January",
  "tomorrow", "after the holidays", and any unnumbered or vague stretch such as
  "the coming weeks" or "a few days") are accepted only in a sentence with
  decision vocabulary ("decide", "hear back", "let you know", "next steps",
  "get back to you", ...), when not directly after a past-tense verb ("we met
  on Monday") and not inside a thank-you clause ("thanks for coming in
  today"). So "in the coming weeks we will post more roles" is no timeline:
  it names no decision, only the company's plans.
* A bare weekday counts only right after words of contact or decision ("you'll
  hear from us Monday", "we'll get back to you Thursday or Friday").
* Past references ("last week", "two weeks ago", "earlier this week", "after
  the holidays last year", "we received 300 applications within 48 hours")
  yield nothing, and dates that have passed yield nothing.

Cost: every pattern is a sequence of bounded alternatives (no nested
repetition), sentence boundaries are found once per text and looked up by
bisection, and every look-back around a phrase is a window of fixed size, so
a 200 KB body is read in one pass.
"""

from __future__ import annotations

import calendar
import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from agent.facts import Deadline
from agent.lazy_pattern import AnyPattern, LazyPattern, lazy
from agent.model import utc

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
_ZONE_RE = lazy(ZONE, re.I)


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
_RANGE = r"(?:-|–|or|to|and|through|thru)"

_BY = r"no\s+later\s+than|on\s+or\s+before|prior\s+to|ahead\s+of|by|before|until|till"
_SOMETIME = r"(?:sometime|some\s+time|at\s+some\s+point)"
PREP_BY = rf"(?P<prep>{_BY})"
PREP_ON = rf"(?P<prep>{_BY}|(?:{_SOMETIME}\s+)?on|around|{_SOMETIME})"
PREP_IN = rf"(?P<prep>{_BY}|within|(?:{_SOMETIME}\s+)?(?:in|during)|around|at|towards?|{_SOMETIME})"
_STRONG = {
    "by", "before", "no later than", "on or before", "prior to", "ahead of",
    "within", "within the next", "within the coming", "in the next", "in the coming",
    "in the following", "over the next", "over the coming", "over the following",
    "during the next", "during the coming", "up to", "allow", "allow up to",
}  # fmt: skip

_TOD = r"(?:\d{1,2}(?::\d{2})?\s*[ap]\.?m\b\.?|noon|midday|midnight)"
_EOD = (
    r"(?:(?-i:EOD|COB|EOB)|(?:the\s+)?end\s+of\s+(?:the\s+)?(?:business\s+|work(?:ing)?\s+)?day|"
    r"(?:the\s+)?(?:close|end)\s+of\s+(?:the\s+)?(?:business(?:\s+day)?|play))"
)
# "by EOD", "by 5pm PT on", "by close of business," "first thing" before a day word.
_DAYPART = rf"(?:(?:{_EOD}|{_TOD}|first\s+thing)(?:\s+{ZONE})?\s*,?\s*(?:on\s+)?)"
_DAYTIME = r"(?:morning|afternoon|evening|night)"

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
_VAGUE_COUNTS = ("couple", "few", "several")


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


def _latest(*days: date | None) -> date | None:
    """The latest of the days that are known: a range allows its upper end."""
    known = [d for d in days if d is not None]
    return max(known) if known else None


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
    """A pattern, its reading, and its *anchor*: words every match of the pattern contains.

    The anchor is what makes reading cheap: a pattern that opens with optional
    prepositions is tried by ``re`` at every word of the text, so each rule runs
    only in windows around its anchor's occurrences (see ``_windows``).
    """

    name: str
    regex: AnyPattern
    handler: _Handler
    anchor: AnyPattern


def _g(m: re.Match[str], name: str) -> str | None:
    return m.groupdict().get(name)


def _part_key(part: str | None) -> str:
    """"the middle of" → "middle"; "mid-to-late" → "late" (a range takes its later end)."""
    p = _norm(part).replace("-", " ").removeprefix("the ").removesuffix(" of")
    words = p.split()
    if "to" in words or "or" in words:
        return words[-1]
    return p


# Month relative to the message: end of (this|next) month, this month, next month,
# early next month, month-end, EOM, within the month, this month or early next.
_MPART = (
    r"(?P<part>(?:early|mid)[\s-]+(?:to|or)[\s-]+(?:mid|late)|early|mid|middle\s+of|late|later|"
    r"(?:the\s+)?(?:start|beginning|middle|end|close|first\s+half|second\s+half|"
    r"(?:first|second|third|fourth|last)\s+week)\s+of)"
)
_PART2 = r"(?P<part2>early|mid|late|the\s+(?:start|beginning|middle|end)\s+of)"
_R_REL_MONTH = lazy(
    rf"\b(?:{PREP_IN}\s+)?(?:the\s+)?(?:"
    rf"(?:{_MPART}[\s-]*)?(?:the\s+)?(?P<which>this|next|the\s+current|current|the\s+following|"
    rf"following|the\s+coming|coming)?\s*month(?P<end>[-\s]end)?(?P<out>\s+is\s+out)?"
    rf"(?P<ornext>\s+(?:or|and)\s+(?:{_PART2}[\s-]+)?(?:the\s+)?(?:next|following)(?:\s+month)?\b"
    r"(?!\s+(?:week|quarter|year)\b))?"
    rf"|(?-i:EOM))\b",
    re.I,
)
_PART_DAY = {"early": 10, "start": 10, "beginning": 10, "first week": 7, "second week": 14,
             "third week": 21, "fourth week": 28, "first half": 15, "mid": 20, "middle": 20}  # fmt: skip


def _part_day(part: str | None, year: int, month: int) -> date:
    """The last day a part of a month allows (see the module docstring)."""
    day = _PART_DAY.get(_part_key(part))
    return date(year, month, day) if day else _last_of_month(year, month)


def _rel_month(m: re.Match[str], ref: _Ref) -> date | None:
    which, part, prep = _norm(_g(m, "which")), _g(m, "part"), _norm(_g(m, "prep"))
    which = which.removeprefix("the ")
    if "eom" in _norm(m.group(0)) or _g(m, "end"):
        part = part or "end of"
    elif not which and not part and not (prep == "within" or (prep in ("before", "by") and _g(m, "out"))):
        return None  # "the month" alone only in "within the month" / "before the month is out"
    if prep == "within" and which in ("next", "coming") and not part:
        return _add_months(ref.day, 1)  # "within the next month" is a month's time
    offset = 1 if which in ("next", "following", "coming") else 0
    first = _add_months(ref.day.replace(day=1), offset)
    day = _part_day(part, first.year, first.month)
    if _g(m, "ornext"):  # "this month or early next": the later of the two
        nxt = _add_months(first, 1)
        day = max(day, _part_day(_g(m, "part2"), nxt.year, nxt.month))
    return max(day, ref.day)


# Week relative to the message: this week, end of the week, next week, early next
# week, first thing next week, the week after next, within the week, this week or next.
_WPART = (
    r"(?P<part>early|mid|middle\s+of|late|later|first\s+thing|"
    r"(?:the\s+)?(?:start|beginning|middle|end|close)\s+of)"
)
_R_REL_WEEK = lazy(
    rf"\b(?:{PREP_IN}\s+)?(?:(?:{_WPART}[\s-]*)?(?:(?P<which>this\s+coming|this|next|the\s+following|"
    rf"the\s+current|the\s+coming|the)\s+)?(?:(?:work|business)\s*)?week"
    r"(?P<after>\s+after(?:\s+next\b|(?!\s+[\w'’])))?(?!['’]s|\s+of\b)"
    rf"(?P<ornext>\s+(?:or|and)\s+(?:{_PART2}[\s-]+)?(?:the\s+)?(?:next|following)(?:\s+week)?\b"
    rf"(?!\s+(?:month|quarter|year|{_WEEKDAY_ALT})\b))?"
    rf"|(?:the\s+)?week['’]s\s+end|(?-i:EOW))\b",
    re.I,
)
_WEEK_PART_DAY = {"first thing": 0, "early": 1, "start": 1, "beginning": 1, "mid": 3, "middle": 3}


def _week_day(monday: date, part: str | None) -> date:
    return monday + timedelta(days=_WEEK_PART_DAY.get(_part_key(part), 4))


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
    day = _week_day(monday, part)
    if _g(m, "ornext"):  # "this week or early next": the later of the two
        day = max(day, _week_day(monday + timedelta(days=7), _g(m, "part2")))
    return max(day, ref.day)


# The weekend: by the weekend, over the weekend, this weekend, next weekend.
_R_WEEKEND = lazy(
    rf"\b(?:(?P<prep>{_BY}|(?:{_SOMETIME}\s+)?(?:over|during)|on|at)\s+)?"
    r"(?:(?P<which>this\s+coming|this|next|the\s+coming|the)\s+)?weekend\b(?!['’]s)",
    re.I,
)


def _weekend(m: re.Match[str], ref: _Ref) -> date | None:
    which = _norm(_g(m, "which"))
    if not _g(m, "prep") and which in ("", "the"):
        return None  # "weekend" alone says nothing
    if which == "next":
        return _monday(ref.day) + timedelta(days=13)
    return _next_weekday(ref.day, 6, same_day=True)


# This time next week / next month.
_R_THIS_TIME = lazy(
    r"\b(?:(?P<prep>by|around|about)\s+)?this\s+time\s+next\s+(?P<unit>week|month)\b", re.I
)


def _this_time(m: re.Match[str], ref: _Ref) -> date | None:
    return ref.day + timedelta(days=7) if m["unit"].lower() == "week" else _add_months(ref.day, 1)


# Durations: within two weeks, in the next few days, in a couple of weeks, within 10
# business days, within 48 hours, in a week or two, allow 5-7 business days, takes
# two to three weeks, another week or two, a couple more weeks, two weeks from today.
_DUR_UNIT = (
    r"(?P<unit>hours?|hrs?|days?|weeks?|wks?|months?|fortnights?)\b"
    r"(?P<half>\s+and\s+a\s+half\b)?"
)
_DUR_BIZ = r"(?P<biz>business\s+|working\s+|work\s+)?"
_DUR_RANGE = rf"(?:\s*(?:-|–|to|or)\s*(?P<num2>{_NUM}))?"
_DUR_PREP = (
    r"(?:timeline|turnaround(?:\s+time)?|time\s*frame)\s+(?:is|of|will\s+be|should\s+be)"
    r"(?:\s+(?:usually|typically|generally|normally))?"
    r"|within(?:\s+the\s+(?:next|coming))?|(?:in|over|during)\s+the\s+(?:next|coming|following)"
    r"|(?:takes?|taking|allow|give\s+(?:us|me|them))(?:\s+(?:us|me|them))?(?:\s+up\s+to)?"
    r"|up\s+to|another|an\s+additional|a\s+further|in"
)
_ABOUT = r"(?:about|around|roughly|approximately|another|an\s+additional|a\s+further)"
_R_DURATION = lazy(
    rf"\b(?P<prep>{_DUR_PREP})\s+(?:{_ABOUT}\s+)?(?P<num>{_NUM})?{_DUR_RANGE}\s*"
    rf"(?:(?:more|additional|extra|further)\s+)?{_DUR_BIZ}{_DUR_UNIT}"
    r"(?:['’]s?\s+time\b)?(?:\s+or\s+(?P<orn>two|three|2|3)\b)?",
    re.I,
)
_R_MORE = lazy(
    rf"\b(?P<num>{_NUM})\s+(?:more|additional|extra|further)\s+{_DUR_BIZ}{_DUR_UNIT}"
    r"(?:\s+or\s+(?P<orn>two|three|2|3)\b)?",
    re.I,
)
_R_FROM_NOW = lazy(
    rf"\b(?P<num>{_NUM}){_DUR_RANGE}\s+{_DUR_BIZ}{_DUR_UNIT}\s+from\s+(?:now|today)\b", re.I
)
# Without a count these preps say nothing ("in days", "within weeks", "takes weeks").
_NEEDS_COUNT = frozenset(["in", "within", "up to"])
_NEEDS_COUNT_START = ("tak", "allow", "give", "timeline", "turnaround", "time")


def _count(m: re.Match[str]) -> int | None:
    """How many units: the stated count (a range's upper end), or a few for "the coming weeks"."""
    prep, unit = _norm(_g(m, "prep")), _norm(_g(m, "unit"))
    n = _number(_g(m, "num"))
    if n is None:
        if not prep or prep in _NEEDS_COUNT or prep.startswith(_NEEDS_COUNT_START):
            return None
        n = 3 if unit.endswith("s") else 1
    n = max(n, _number(_g(m, "num2")) or 0, _number(_g(m, "orn")) or 0)
    return n if n > 0 else None


def _duration(m: re.Match[str], ref: _Ref) -> date | None:
    n, unit, half = _count(m), _norm(_g(m, "unit")), bool(_g(m, "half"))
    if n is None:
        return None
    if unit.startswith("h"):
        if _norm(_g(m, "prep")).startswith("tak"):
            return None  # "the onsite takes 4 hours" is its length, not a decision date
        sent = ref.sent_at + timedelta(hours=n + half)
        return sent.astimezone(ref.dt.tzinfo).date()
    if unit.startswith("day"):
        return _add_weekdays(ref.day, n + half) if _g(m, "biz") else ref.day + timedelta(days=n + half)
    if unit.startswith("month"):
        return _add_months(ref.day, n) + timedelta(days=15 if half else 0)
    days = 7 * n + (4 if half else 0)  # half a week, rounded up
    return ref.day + timedelta(days=2 * days if unit.startswith("fortnight") else days)


# Weekdays: by Friday, on Thursday, this Friday, next Monday, by EOD Friday, Friday
# next week, today (Friday), Thursday or Friday, Tuesday at the latest, and a bare
# weekday right after words of contact: "you'll hear from us Monday".
_LEAD = (
    r"(?:hear(?:\s+back)?(?:\s+from\s+(?:us|me|the\s+team|our\s+team))?|get\s+back\s+to\s+you|"
    r"come\s+back\s+to\s+you|circle\s+back|let\s+you\s+know|be\s+in\s+touch|update\s+you|"
    r"reach\s+out|follow\s+up|touch\s+base|decid(?:e|ing)|respond|reply|"
    r"an?\s+(?:answer|decision|update|response|reply))"
    r"(?:\s+(?:to\s+you|with\s+(?:you|an?\s+(?:answer|decision|update)|(?:our\s+)?feedback|news|"
    r"next\s+steps)))?"
)
_R_WEEKDAY = lazy(
    rf"\b(?:(?P<lead>{_LEAD})\s+)?(?P<core>(?:{PREP_ON}\s+)?(?P<daypart>{_DAYPART})?"
    rf"(?:(?P<today1>today)\s*,?\s*\(?\s*)?"
    rf"(?:(?P<rel>this\s+coming|this|next|the\s+coming|coming|the\s+following)\s+)?{WEEKDAY}"
    rf"(?:\s*(?:or|-|–|to|and|/)\s*(?P<wd2>{_WEEKDAY_ALT})\b)?(?:\s+{_DAYTIME}\b)?"
    rf"(?:\s*,?\s*\(?(?P<today2>today)\b\)?)?"
    rf"(?:,?\s+(?P<nw>(?:of\s+)?(?:next|this|the\s+following)\s+week|the\s+week\s+after))?"
    r"(?P<latest>\s*,?\s*at\s+the\s+(?:very\s+)?latest\b)?)",
    re.I,
)


def _one_weekday(m: re.Match[str], ref: _Ref, wd: int) -> date:
    rel, nw = _norm(_g(m, "rel")), _norm(_g(m, "nw"))
    if nw:
        monday = _monday(ref.day)
        if "this" not in nw:
            monday += timedelta(days=7)
        day = monday + timedelta(days=wd)
        return day if day >= ref.day else _next_weekday(ref.day, wd, same_day=False)
    if rel == "next":
        return _monday(ref.day) + timedelta(days=7 + wd)
    return _next_weekday(ref.day, wd, same_day=rel == "this")


def _weekday(m: re.Match[str], ref: _Ref) -> date | None:
    if not any(_g(m, k) for k in ("prep", "rel", "nw", "daypart", "lead", "latest")):
        return None  # a bare weekday name is not a timeline
    wd = _WEEKDAYS[_norm(_g(m, "wd"))[:3]]
    if (_g(m, "today1") or _g(m, "today2")) and wd == ref.day.weekday():
        return ref.day
    day = _one_weekday(m, ref, wd)
    wd2 = _g(m, "wd2")
    return max(day, _one_weekday(m, ref, _WEEKDAYS[_norm(wd2)[:3]])) if wd2 else day


# Today, tomorrow, by EOD tomorrow, the day after tomorrow, tomorrow afternoon,
# this afternoon, first thing tomorrow.
_R_DAYWORD = lazy(
    rf"\b(?:{PREP_BY}\s+)?(?:{_DAYPART})?(?P<word>(?:later\s+)?today|tonight|this\s+{_DAYTIME}|"
    rf"(?:the\s+day\s+after\s+)?tomorrow)\b(?:\s+{_DAYTIME}\b)?",
    re.I,
)


def _dayword(m: re.Match[str], ref: _Ref) -> date | None:
    word = _norm(_g(m, "word"))
    if word.startswith("the day after"):
        return ref.day + timedelta(days=2)
    return ref.day + timedelta(days=1 if "tomorrow" in word else 0)


_R_EOD = lazy(rf"\b{PREP_BY}\s+{_EOD}\b(?:\s+{ZONE})?", re.I)


def _eod(m: re.Match[str], ref: _Ref) -> date | None:
    return ref.day


# Explicit dates.
_ORD = r"(?:st|nd|rd|th)"
_R_MONTH_DAY = lazy(
    rf"\b(?:{PREP_ON}\s+)?(?:{_DAYPART})?(?:{_WEEKDAY_NC},?\s+)?(?:the\s+)?{MONTH}\s*(?P<day>\d{{1,2}})"
    rf"{_ORD}?(?![\d:/])\b(?:\s*{_RANGE}\s*(?:(?P<mon2>{_MONTH_ALT})\.?\s*)?(?P<day2>\d{{1,2}}){_ORD}?"
    rf"(?![\d:/])\b)?(?:,?\s+(?P<year>\d{{4}})\b)?",
    re.I,
)
_R_DAY_MONTH = lazy(
    rf"\b(?:{PREP_ON}\s+)?(?:{_DAYPART})?(?:{_WEEKDAY_NC},?\s+)?(?:the\s+)?(?P<day>\d{{1,2}}){_ORD}?"
    rf"\s+(?:of\s+)?{MONTH}(?:,?\s+(?P<year>\d{{4}})\b)?",
    re.I,
)
_R_NUMERIC = lazy(
    rf"(?:\b{PREP_ON}\s+)?(?P<wdp>{_WEEKDAY_NC},?\s+)?(?<![\w/.\-+])(?P<m>\d{{1,2}})/(?P<d>\d{{1,2}})"
    r"(?:/(?P<y>\d{4}|\d{2}))?(?![\w/]|[.\-]\d)",
    re.I,
)
_R_ISO = lazy(
    rf"(?:\b{PREP_ON}\s+)?(?P<wdp>{_WEEKDAY_NC},?\s+)?(?<![\w/.\-+])(?P<y>\d{{4}})-(?P<m>\d{{2}})-(?P<d>\d{{2}})(?![\w\-]|\.\d)",
    re.I,
)
# "the 15th" only after a preposition, a weekday ("Friday the 18th") or "after".
_R_ORDINAL = lazy(
    rf"\b(?:{PREP_ON}\s+(?:{_DAYPART})?(?:{_WEEKDAY_NC},?\s+)?|{_WEEKDAY_NC},?\s+|(?<=after\s)|"
    rf"(?<=following\s))the\s+(?P<day>\d{{1,2}}){_ORD}\b"
    rf"(?:\s*{_RANGE}\s*(?:the\s+)?(?P<day2>\d{{1,2}}){_ORD}\b)?"
    r"(?:\s+of\s+(?P<which>this|next|the\s+following|the\s+coming)\s+month\b)?"
    r"(?!\s+(?:floor|round|interview|call|time|place|attempt|stage|step|candidate|person|row)\b)",
    re.I,
)


def _explicit(today: date, month: int | None, day: int, year: int | None) -> date | None:
    if month is None or not 1 <= month <= 12:
        return None
    if year is not None:
        d = _safe_date(year, month, day)
        return d if d is not None and d >= today else None
    y = _roll_year(today, month, day)
    return None if y is None else _safe_date(y, month, day)


def _month_day(m: re.Match[str], ref: _Ref) -> date | None:
    month, year = _month_number(m["mon"]), _year(_g(m, "year"))
    first = _explicit(ref.day, month, int(m["day"]), year)
    day2 = _g(m, "day2")
    if not day2:
        return first
    mon2 = _g(m, "mon2")
    return _latest(first, _explicit(ref.day, _month_number(mon2) if mon2 else month, int(day2), year))


def _numeric(m: re.Match[str], ref: _Ref) -> date | None:
    # US order (month/day), as the policy's own example "12/18" reads, unless the
    # first number cannot be a month ("14/12"). Only after a preposition or a
    # weekday: bare "2/3" is as often a fraction or a score as a date.
    if not (_g(m, "prep") or _g(m, "wdp")):
        return None
    month, day = int(m["m"]), int(m["d"])
    if month > 12 >= day:
        month, day = day, month
    return _explicit(ref.day, month, day, _year(_g(m, "y")))


def _iso(m: re.Match[str], ref: _Ref) -> date | None:
    return _explicit(ref.day, int(m["m"]), int(m["d"]), int(m["y"]))


def _nth_of_month(first: date, day: int) -> date:
    return first.replace(day=min(day, calendar.monthrange(first.year, first.month)[1]))


def _ordinal_day(ref: date, day: int, which: str) -> date | None:
    """"The 15th": this month's, or next month's once passed; "of next month" says which."""
    if not 1 <= day <= 31:
        return None
    first = ref.replace(day=1)
    if which.removeprefix("the ") in ("next", "following", "coming") or (not which and day < ref.day):
        first = _add_months(first, 1)
    d = _nth_of_month(first, day)
    return d if d >= ref else None


def _ordinal(m: re.Match[str], ref: _Ref) -> date | None:
    which = _norm(_g(m, "which"))
    day2 = _g(m, "day2")
    first = _ordinal_day(ref.day, int(m["day"]), which)
    return _latest(first, _ordinal_day(ref.day, int(day2), which)) if day2 else first


# The week of a date: the week of December 14, during the week of the 14th, w/c 4 January.
_R_WEEK_OF = lazy(
    rf"\b(?:{PREP_IN}\s+)?(?:the\s+)?(?:week\s+(?:of|commencing|beginning|starting)|(?-i:w/c|W/C))\s+"
    rf"(?:{_WEEKDAY_NC},?\s+)?(?:the\s+)?(?:{MONTH}\s*(?P<day>\d{{1,2}})|(?P<nm>\d{{1,2}})/(?P<nd>\d{{1,2}})"
    rf"|(?P<dday>\d{{1,2}}){_ORD}?(?:\s+(?:of\s+)?(?P<mon2>{_MONTH_ALT})\b)?){_ORD}?(?![\d:/])",
    re.I,
)


def _week_of(m: re.Match[str], ref: _Ref) -> date | None:
    # A week already under way still counts: its first day may be up to six days ago.
    since = ref.day - timedelta(days=6)
    if _g(m, "day"):
        start = _explicit(since, _month_number(m["mon"]), int(m["day"]), None)
    elif _g(m, "nm"):
        start = _explicit(since, int(m["nm"]), int(m["nd"]), None)
    elif _g(m, "mon2"):
        start = _explicit(since, _month_number(m["mon2"]), int(m["dday"]), None)
    else:
        start = _ordinal_day(since, int(m["dday"]), "")
    return None if start is None else _next_weekday(start, 4, same_day=True)


# A named month, with or without a part: early January, mid-December, late
# January, the end of January, by December, in March 2027, early-to-mid January.
_R_MONTH_PART = lazy(
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
    return max(_part_day(_g(m, "part"), year, month), ref.day)


# Quarters: by the end of Q1, end of the quarter, next quarter, Q2 2027, early Q1,
# the first quarter of next year, EOQ.
_R_QUARTER = lazy(
    rf"\b(?:{PREP_IN}\s+)?(?:(?:the\s+)?(?P<part>end|close|start|beginning|middle|early|mid|late)"
    r"(?:\s+of|-)?\s*)?(?:the\s+)?(?:(?P<q>Q[1-4])|(?P<qn>first|second|third|fourth|1st|2nd|3rd|4th)"
    r"\s+quarter|(?P<which>this|next|the\s+current|current|the\s+next|the\s+following|following|the)"
    r"\s+quarter|quarter[-\s]end|(?P<eoq>(?-i:EOQ)))"
    r"(?:,?\s+(?:of\s+)?(?:(?P<year>\d{4})|(?P<ny>next\s+year|the\s+(?:next|following|new)\s+year)))?\b",
    re.I,
)
_QUARTER_WORDS = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4}
# The month a part of a quarter ends with: early Q1 → January, mid Q1 → February.
_QUARTER_PART_BACK = {"start": 2, "beginning": 2, "early": 2, "middle": 1, "mid": 1}


def _quarter(m: re.Match[str], ref: _Ref) -> date | None:
    which, part = _norm(_g(m, "which")), _norm(_g(m, "part"))
    year = _year(_g(m, "year")) or (ref.day.year + 1 if _g(m, "ny") else None)
    named = _g(m, "q") or _g(m, "qn")
    if named:
        if not (_g(m, "prep") or part):
            return None  # "our Q3 results": a named quarter alone is not a timeline
        q = int(named[1]) if named[0] in "qQ" else _QUARTER_WORDS[named.lower()]
        if year is None:
            year = ref.day.year if _last_of_month(ref.day.year, q * 3) >= ref.day else ref.day.year + 1
    else:
        if which == "the" and not part:
            return None  # "the quarter" alone
        part = "end" if _g(m, "eoq") else part
        q, year = (ref.day.month - 1) // 3 + 1, ref.day.year
        if which.removeprefix("the ") in ("next", "following"):
            q, year = (q + 1, year) if q < 4 else (1, year + 1)
    day = _last_of_month(year, q * 3 - _QUARTER_PART_BACK.get(part, 0))
    return day if day >= ref.day else None


# The year: by the end of the year, year-end, this year, early next year, the first
# half of next year, EOY.
_R_YEAR = lazy(
    rf"\b(?:{PREP_IN}\s+)?(?:the\s+)?(?:year[-\s]end|(?P<eoy>(?-i:EOY))|"
    r"(?:(?P<part>early|mid|late|later|(?:the\s+)?(?:start|beginning|middle|end|close|first\s+half|"
    r"second\s+half)\s+of)[\s-]*)?(?:(?:the\s+)?(?P<which>this|next|the\s+coming|the\s+following|the)?"
    r"\s*(?:calendar\s+)?year(?!['’])|(?P<yn>20\d\d)(?![\d/\-]|\.\d)))\b",
    re.I,
)
# The month a part of a year ends with, by thirds: early → April, mid → August.
_YEAR_PART_MONTH = {"early": 4, "start": 4, "beginning": 4, "first half": 6, "mid": 8, "middle": 8}


def _year_part(m: re.Match[str], ref: _Ref) -> date | None:
    which, prep = _norm(_g(m, "which")), _norm(_g(m, "prep"))
    part = _part_key(_g(m, "part"))
    if _g(m, "yn"):
        if not part and prep not in _STRONG:
            return None  # "in 2027" alone is as often the company's plans as a decision
        year = int(m["yn"])
    elif _g(m, "eoy") or re.search(r"year[-\s]end", m.group(0), re.I):
        part, year = "end", ref.day.year
    elif not part and which in ("", "the") and not (prep == "within" and which == "the"):
        return None  # "a year", "the year" alone
    else:
        year = ref.day.year + (1 if which in ("next", "the coming", "the following") else 0)
    day = _last_of_month(year, _YEAR_PART_MONTH.get(part, 12))
    return day if day >= ref.day else None


# Seasonal holidays: before the holidays, by Christmas, after the new year, shortly
# after New Year's, the week after Thanksgiving, in the new year, over the holidays,
# when we're back from the holiday break, once the holidays are over.
_HOLIDAY = (
    r"(?P<h>(?:winter\s+|christmas\s+|end[-\s]of[-\s]year\s+|year[-\s]end\s+)?"
    r"(?:holidays|holiday\s+(?:break|season|period|shutdown))|christmas(?:\s+(?:break|day))?|xmas|"
    r"new\s+year['’]?s?(?:\s+(?:day|eve))?|thanksgiving(?:\s+(?:break|day|weekend|holiday))?|"
    r"winter\s+break|end[-\s]of[-\s]year\s+break)"
)
_AFTER = (
    r"(?P<soon>(?:shortly|soon|right|just|immediately|directly)\s+)?(?:after|following|post[-\s]?)"
    r"|(?:once|when)\s+(?:we['’]re|we\s+are|we\s+get|we\s+return|the\s+team\s+is|everyone\s+is|"
    r"everyone['’]s)\s+(?:back\s+)?from|(?:upon|on|after)\s+(?:our|my|the\s+team['’]s)\s+return\s+from"
)
_DURING = (
    r"(?:sometime\s+|early\s+)?(?:in|during|over|around)|(?:at\s+)?the\s+(?:start|beginning)\s+of"
)
_R_HOLIDAY = lazy(
    rf"\b(?:{PREP_BY}\s+|(?P<week>the\s+week\s+)?(?P<after>{_AFTER})\s*|(?P<during>{_DURING})\s+)"
    rf"(?:the\s+)?{_HOLIDAY}\b",
    re.I,
)
_R_HOLIDAY_OVER = lazy(
    rf"\b(?P<after>once|when)\s+(?:the\s+)?{_HOLIDAY}\s+(?:is|are|has|have)\s+"
    r"(?:over|done|passed|behind\s+us|wrapped\s+up)\b",
    re.I,
)


def _holiday_span(h: str, season: int) -> tuple[date, date]:
    """The first and last day of the holiday named ``h`` in the year-end season of ``season``."""
    if h.startswith("thanksgiving"):
        nov1 = date(season, 11, 1)
        thursday = nov1 + timedelta(days=(3 - nov1.weekday()) % 7 + 21)
        long = "break" in h or "weekend" in h
        return thursday, thursday + timedelta(days=3 if long else 0)
    if h.startswith(("christmas", "xmas")) and "break" not in h:
        return date(season, 12, 25), date(season, 12, 25)
    if h.startswith("new year") and h.endswith("eve"):
        return date(season, 12, 31), date(season, 12, 31)
    if h.startswith("new year"):
        return date(season + 1, 1, 1), date(season + 1, 1, 1)
    return date(season, 12, 24), date(season + 1, 1, 1)  # the holidays, the breaks


def _holiday_day(m: re.Match[str], h: str, first: date, last: date) -> date:
    if _g(m, "prep"):
        return first - timedelta(days=1)  # before / by: the day before it starts
    if _g(m, "week"):
        return _monday(last) + timedelta(days=11)  # the week after: its Friday
    if _g(m, "after"):
        return last + timedelta(days=7 if _g(m, "soon") else 14)
    if h.startswith("new year") and not h.endswith(("day", "eve")):
        return date(last.year, 1, 31)  # in the new year: all of January
    return last  # during / over


def _holiday(m: re.Match[str], ref: _Ref) -> date | None:
    """The nearest season (last year's, whose tail may still be ahead in January, or this
    year's) in which the phrase's day has not passed."""
    h = _norm(m["h"]).replace("’", "'")
    for season in (ref.day.year - 1, ref.day.year):
        day = _holiday_day(m, h, *_holiday_span(h, season))
        if day >= ref.day:
            return day
    return None


def _anchor(words: str) -> LazyPattern:
    return lazy(words, re.I)


_A_MONTH = _anchor(r"jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec")
_A_DAY = _anchor(r"mon|tue|wed|thu|fri|sat|sun")
_A_UNIT = _anchor(r"hour|hrs?\b|day|week|wk|month|fortnight")
_RULES: tuple[_Rule, ...] = (
    _Rule("month_day", _R_MONTH_DAY, _month_day, _A_MONTH),
    _Rule("day_month", _R_DAY_MONTH, _month_day, _A_MONTH),
    _Rule("numeric", _R_NUMERIC, _numeric, _anchor(r"\d/\d")),
    _Rule("iso", _R_ISO, _iso, _anchor(r"\d-\d")),
    _Rule("ordinal", _R_ORDINAL, _ordinal, _anchor(r"\d(?:st|nd|rd|th)")),
    _Rule("week_of", _R_WEEK_OF, _week_of, _anchor(r"week|w/c")),
    _Rule("month_part", _R_MONTH_PART, _month_part, _A_MONTH),
    _Rule("quarter", _R_QUARTER, _quarter, _anchor(r"quarter|q[1-4]|eoq")),
    _Rule("year", _R_YEAR, _year_part, _anchor(r"year|eoy|20\d\d")),
    _Rule("holiday", _R_HOLIDAY, _holiday, _anchor(r"holiday|christmas|xmas|year|thanksgiving|break")),
    _Rule("holiday_over", _R_HOLIDAY_OVER, _holiday, _anchor(r"holiday|christmas|xmas|year|thanksgiving|break")),
    _Rule("rel_month", _R_REL_MONTH, _rel_month, _anchor(r"month|eom")),
    _Rule("rel_week", _R_REL_WEEK, _rel_week, _anchor(r"week|eow")),
    _Rule("weekend", _R_WEEKEND, _weekend, _anchor(r"weekend")),
    _Rule("this_time", _R_THIS_TIME, _this_time, _anchor(r"this\s+time")),
    _Rule("duration", _R_DURATION, _duration, _A_UNIT),
    _Rule("more", _R_MORE, _duration, _A_UNIT),
    _Rule("from_now", _R_FROM_NOW, _duration, _anchor(r"from\s+(?:now|today)")),
    _Rule("weekday", _R_WEEKDAY, _weekday, _A_DAY),
    _Rule("dayword", _R_DAYWORD, _dayword, _anchor(r"today|tonight|tomorrow|morning|afternoon|evening|night")),
    _Rule("eod", _R_EOD, _eod, _anchor(r"eod|cob|eob|end|close")),
)

# --- which sentences speak of a decision ----------------------------------------------

# Vocabulary that is about the company's decision or its next message to the
# candidate. _CORE is strong enough to outweigh a request in the same sentence
# ("next steps" is not: "are you free on Tuesday to discuss next steps?").
_CORE = (
    r"decid\w*|decision\w*|hear\s+back|hear\s+from\s+(?:us|me|the\s+team|our\s+team)|"
    r"get\s+back\s+to\s+you|come\s+back\s+to\s+you|circle\s+back|let\s+you\s+know|"
    r"be\s+in\s+touch|feedback|outcome|an?\s+answer|update\s+you|an\s+update|"
    r"notify\s+you|inform\s+you|reach\s+out\s+to\s+you|follow\s+up\s+with\s+you|"
    r"make\s+(?:a|our|the)\s+(?:call|choice|selection)"
)
_CORE_RE = lazy(rf"\b(?:{_CORE})\b", re.I)
_DECISION_RE = lazy(
    rf"\b(?:{_CORE}|next\s+steps?|updates?|respon\w*|repl(?:y|ies)|timeline|time\s*frame|finali[sz]\w*|"
    r"wrap\w*(?:\s+\w+)?\s+up|conclud\w*|finish\w*|complet\w*|review\w*|evaluat\w*|deliberat\w*|"
    r"choos\w*|select\w*|move\s+forward|determin\w*|expect\w*|hop(?:e|es|ed|ing)|aim\w*|"
    r"anticipat\w*|plan(?:s|ning)?\s+to|in\s+touch|reach\s+out|follow(?:ing)?\s+up|touch\s+base|"
    r"reconnect\w*|regroup|revisit\w*|resum\w*\s+(?:the\s+)?(?:interview|process|hiring|conversation)\w*|"
    r"contact\s+you|call\s+you|news|results?|process|offers?|"
    # the company promising its next move: "I'll send over some times in the next couple of days"
    r"(?:I|we)(?:['’]ll|\s+will)\s+(?:send|share|forward|circulate)\s+(?:you\s+)?(?:over\s+)?(?:some\s+|the\s+|a\s+"
    r"few\s+)?(?:times|slots|dates|options|availability|details|invites?|invitations?|feedback))\b",
    re.I,
)
# A sentence asking the candidate to act: its date is the candidate's, not ours.
# "Please allow / please expect / please note" ask for patience, not for an act.
_REQUEST_RE = lazy(
    r"\b(?:please(?!\s+(?:allow|give\s+us|bear\s+with|be\s+patient|expect|note|know|rest\s+assured|"
    r"keep\s+in\s+mind|hold\s+off|wait))|kindly|could\s+you|can\s+you|would\s+you|will\s+you|"
    r"are\s+you\s+(?:free|available)|do\s+you\s+have|let\s+(?:us|me)\s+know|"
    r"could\s+we|can\s+we|shall\s+we|(?:would|does)\s+(?:it|that|this)\s+work|works?\s+for\s+you|"
    r"schedule\s+(?:a|an|the|your)|set\s+up\s+(?:a|an|the)\s+(?:call|time|meeting|chat)|"
    r"(?:you|you['’]ll|you\s+will)\s+(?:need|have)\s+to|you\s+must|(?:we|I)\s+need\s+you\s+to|"
    r"make\s+sure|be\s+sure\s+to|remember\s+to|don['’]t\s+forget|"
    r"hear(?:ing)?\s+(?:back\s+)?from\s+you|due(?!\s+to\b)|"
    r"(?:your|the)\s+(?:availability|assessment|assignment|take[-\s]home|exercise|challenge|"
    r"paperwork|forms?|documents?))\b",
    re.I,
)
_PAST_WORDS = frozenset(
    ["met", "spoke", "saw", "had", "was", "were", "did", "came", "went", "took", "got", "sent", "left", "began", "chatted", "since", "earlier", "last", "previous", "past", "ago"]
)
# A clause told in the past ("we received 300 applications within 48 hours") with
# nothing in it that looks ahead.
_PAST_CLAUSE_RE = lazy(
    r"\b(?:was|were|had|did|received|got|met|spoke|sent|went|came|saw|took|told|said|heard|"
    r"posted|closed|finished|completed|interviewed|hired|decided|reviewed|asked|mentioned|wrote|"
    r"emailed|called|began|started|opened|launched|filled|shipped|signed|agreed|discussed|chatted)\b",
    re.I,
)
_AHEAD_RE = lazy(
    r"\b(?:will|shall|going\s+to|would|should|could|can|may|might|must|expect\w*|hope|hopes|"
    r"hoping|plan|plans|planning|aim\w*|intend\w*|anticipat\w*|is|are|am|be|typically|usually|"
    r"generally|normally|now|still|until|once|after|when)\b|['’](?:ll|re|m)\b",
    re.I,
)
_BE = frozenset(["is", "are", "am", "be", "being", "it's", "it’s", "we're", "we’re"])
_PAST_AFTER_RE = lazy(r"\s*,?\s*(?:last\s+(?:year|week|month|time)|ago)\b", re.I)
_ABBREVIATIONS = frozenset(
    ["jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "mon", "tue", "tues", "wed", "thu", "thur", "thurs", "fri", "approx", "e.g", "i.e", "etc", "mr", "mrs", "ms", "dr", "st", "a.m", "p.m", "am", "pm", "vs"]
)
_BOUNDARY = lazy(r"[.!?;]+(?=\s|$)|\n[ \t]*\n")
_LAST_WORD = lazy(r"(?:^|[^\w.])([\w.]+)$")
_WORD = lazy(r"[\w'’]+")
_CLAUSE_CUT = lazy(r"[,;:—–]")
# Windows of fixed size around a phrase keep every look-back linear in the text.
_WORD_WINDOW = 40
_CLAUSE_WINDOW = 160


@dataclass(frozen=True)
class _Sentences:
    """Where the sentences of a text end, found once ("Dec." or "a.m." do not end one)."""

    text: str
    starts: tuple[int, ...]  # each boundary's first character
    ends: tuple[int, ...]  # and the character after it

    @classmethod
    def of(cls, text: str) -> _Sentences:
        starts: list[int] = []
        ends: list[int] = []
        for b in _BOUNDARY.finditer(text):
            if b.group(0).startswith("."):
                word = _LAST_WORD.search(text, max(0, b.start() - 8), b.start())
                if word and word.group(1).lower() in _ABBREVIATIONS:
                    continue
            starts.append(b.start())
            ends.append(b.end())
        return cls(text, tuple(starts), tuple(ends))

    def around(self, start: int, end: int) -> tuple[int, int]:
        """The sentence holding ``text[start:end]`` (boundaries inside it are ignored)."""
        i = bisect_right(self.ends, start) - 1
        j = bisect_left(self.starts, end)
        return (self.ends[i] if i >= 0 else 0), (self.starts[j] if j < len(self.starts) else len(self.text))


@dataclass(frozen=True)
class _Tone:
    """What a sentence speaks of, read once per sentence."""

    request: bool  # asks the candidate to act, and says nothing of the decision
    decision: bool  # has decision vocabulary
    zone: str | None  # a time zone it names


@dataclass
class _Reader:
    """One text's sentences and their tones (a cache local to one call)."""

    text: str
    sentences: _Sentences
    tones: dict[tuple[int, int], _Tone] = field(default_factory=dict)

    def tone(self, lo: int, hi: int) -> _Tone:
        key = (lo, hi)
        if key not in self.tones:
            s = self.text[lo:hi]
            request = bool(_REQUEST_RE.search(s)) and not _CORE_RE.search(s)
            self.tones[key] = _Tone(request, bool(_DECISION_RE.search(s)), _zone_name(s))
        return self.tones[key]


def _clause_before(text: str, lo: int, start: int) -> str:
    """The words before ``start`` back to a comma, dash or the sentence's start (bounded)."""
    return _CLAUSE_CUT.split(text[max(lo, start - _CLAUSE_WINDOW) : start])[-1]


def _told_in_the_past(text: str, lo: int, start: int, end: int, strong: bool) -> bool:
    """"After the holidays last year", "we received 300 applications within 48 hours",
    and for a weak phrase a past-tense verb right before it ("we met on Monday")."""
    if _PAST_AFTER_RE.match(text, end):
        return True
    clause = _clause_before(text, lo, start)
    if _PAST_CLAUSE_RE.search(clause) and not _AHEAD_RE.search(clause):
        return True
    if strong:
        return False  # "feedback is expected by Friday": a participle before "by" is no past
    words = _WORD.findall(text[max(lo, start - _WORD_WINDOW) : start].lower())
    if not words:
        return False
    prev = words[-1]
    if prev in _PAST_WORDS:
        return True
    if not prev.endswith("ed") or prev.endswith("eed") or prev in ("red", "bed", "shed"):
        return False
    return not (len(words) > 1 and words[-2] in _BE)  # "a decision is expected next week"


def _accepted(reader: _Reader, start: int, end: int, strong: bool) -> bool:
    """Whether the sentence around the phrase states a decision date (module docstring)."""
    text = reader.text
    lo, hi = reader.sentences.around(start, end)
    tone = reader.tone(lo, hi)
    if tone.request or _told_in_the_past(text, lo, start, end, strong):
        return False
    if strong:
        return True
    if not tone.decision:
        return False
    clause = _clause_before(text, lo, start)
    thanks = re.search(r"\bthank", clause, re.I)
    return not (thanks and not _DECISION_RE.search(clause[thanks.end() :]))


def _strong(m: re.Match[str], latest: bool) -> bool:
    """A deadline preposition, or "at the latest"; never a vague count ("the coming weeks")."""
    if latest or _g(m, "latest"):
        return True
    if "unit" in m.re.groupindex:
        num = _norm(_g(m, "num"))
        if not num or any(w in num for w in _VAGUE_COUNTS):
            return False
    prep = _norm(_g(m, "prep"))
    for lead in ("sometime ", "some time ", "at some point "):
        prep = prep.removeprefix(lead)
    return prep in _STRONG or prep.startswith(_STRONG_START) or prep.endswith("up to")


# Preps that are strong by their first word: "allow 5-7 business days", "give us two
# weeks", "our timeline is three weeks".
_STRONG_START = ("allow", "give", "timeline", "turnaround", "time frame", "timeframe")

# "After" before a phrase: "after our final interviews wrap up next week".
_AFTER_BEFORE_RE = lazy(
    r"(?:\b(?P<soon>shortly|soon|right|just|immediately|directly)\s+)?"
    r"(?<!at\s)\b(?:after|once|following)\b(?!\s+(?:up|again|more|all|that|this)\b)"
    r"(?P<gap>[^,;:—–()]*)$",
    re.I,
)
# The gap names the decision itself, or starts a clause of its own: no shift.
_GAP_STOP_RE = lazy(
    r"\b(?:decid\w*|decision\w*|make\s+(?:a|our|the)\s+(?:call|choice|selection)|will|shall|would|"
    r"should|can|could)\b|['’]ll\b",
    re.I,
)
_AFTER_WINDOW = 80


def _after_shift(
    m: re.Match[str], rule: _Rule, text: str, lo: int, start: int
) -> tuple[int, int] | None:
    """Where an "after" that governs the phrase starts, and the days it adds (module docstring)."""
    if rule.name.startswith("holiday") or _strong(m, False):
        return None
    window_start = max(lo, start - _AFTER_WINDOW)
    a = _AFTER_BEFORE_RE.search(text, window_start, start)
    if a is None or _GAP_STOP_RE.search(a["gap"]):
        return None
    return a.start(), 7 if a["soon"] else 14


@dataclass(frozen=True)
class _Hit:
    start: int  # the phrase (after any lead words)
    end: int
    order: int
    rule: _Rule
    match: re.Match[str]


# No match reaches further than this from its anchor (the longest lead, preposition,
# time of day and zone before a weekday are about 110 characters), so a window this
# much wider on each side finds exactly what a scan of the whole text would.
_MARGIN = 160


def _windows(text: str, anchor: AnyPattern) -> list[tuple[int, int]]:
    """Disjoint stretches of ``text`` around the anchor's occurrences, merged when they touch."""
    out: list[tuple[int, int]] = []
    for a in anchor.finditer(text):
        lo, hi = max(0, a.start() - _MARGIN), min(len(text), a.end() + _MARGIN)
        if out and lo <= out[-1][1]:
            out[-1] = (out[-1][0], hi)
        else:
            out.append((lo, hi))
    return out


def _hits(text: str) -> list[_Hit]:
    """Every match of every rule, each found only near its rule's anchor words."""
    hits: list[_Hit] = []
    for order, rule in enumerate(_RULES):
        has_core = "core" in rule.regex.groupindex
        for lo, hi in _windows(text, rule.anchor):
            for m in rule.regex.finditer(text, lo, hi):
                start = m.start("core") if has_core else m.start()
                if m.end() > start:
                    hits.append(_Hit(start, m.end(), order, rule, m))
    return hits


def _choose(hits: list[_Hit]) -> list[_Hit]:
    """The longest hits that do not overlap, in text order.

    Chosen spans are disjoint and kept sorted, so one bisection finds the only
    one a new span could overlap, instead of a comparison with every chosen one
    (which made a long text of many phrases quadratic).
    """
    hits.sort(key=lambda h: (-(h.end - h.start), h.start, h.order))
    starts: list[int] = []
    ends: list[int] = []
    chosen: list[_Hit] = []
    for h in hits:
        i = bisect_left(starts, h.end)
        if i and ends[i - 1] > h.start:
            continue
        starts.insert(i, h.start)
        ends.insert(i, h.end)
        chosen.insert(i, h)
    return chosen


# A time of day, zone, "at the latest" or "or so" right after the phrase belongs to it.
_TAIL = lazy(
    rf"(?:\s*,?\s*(?:at\s+|by\s+)?(?:{_TOD}|{_EOD}))?(?:\s*\(?\s*{ZONE}\s*\)?)?"
    r"(?P<latest>\s*,?\s*at\s+the\s+(?:very\s+)?latest\b)?(?:\s+or\s+so\b)?",
    re.I,
)

# Deadlines further out than this are not a decision timeline worth waiting for.
_MAX_AHEAD = timedelta(days=400)


def _phrase_end(text: str, h: _Hit) -> tuple[int, bool]:
    """Where the phrase ends with its tail, and whether the tail says "at the latest"."""
    end = h.end
    tail = _TAIL.match(text, end)
    if tail and tail.end() > end:
        end = tail.end()
    if text.count("(", h.start, end) > text.count(")", h.start, end) and text[end : end + 1] == ")":
        end += 1  # "today (Friday)"
    return end, bool(tail and tail["latest"])


def _read(
    reader: _Reader, h: _Hit, sent: datetime, tz: ZoneInfo, end: int, latest: bool
) -> Deadline | None:
    """The hit as a deadline: its day in the zone that applies, moved by an "after" that
    governs it, or ``None`` when the day has passed or the sentence does not count it."""
    text = reader.text
    lo, hi = reader.sentences.around(h.start, end)
    zone = _zone_name(text[h.start : end]) or reader.tone(lo, hi).zone
    ref = _Ref(sent.astimezone(ZoneInfo(zone) if zone else tz), sent)
    day = h.rule.handler(h.match, ref)
    if day is None:
        return None
    start = h.start
    shift = _after_shift(h.match, h.rule, text, lo, h.start)
    if shift is not None:
        start, days = shift
        day += timedelta(days=days)
    if day < ref.day or day - ref.day > _MAX_AHEAD:
        return None
    if not _accepted(reader, start, end, _strong(h.match, latest)):
        return None
    return Deadline(last_day=day, phrase=" ".join(text[start:end].split()), tz=zone)


def find_deadlines(text: str, sent_at: datetime, tz: ZoneInfo) -> list[Deadline]:
    """Every decision timeline stated in ``text``, in the order they appear.

    ``sent_at`` is the message's date (aware; naive is taken as UTC) and ``tz``
    the user's zone: the reference day is ``sent_at`` in the zone the phrase
    names, else in ``tz``. Each :class:`~agent.facts.Deadline` holds the last
    day the phrase allows, the phrase itself (the words as written, whitespace
    collapsed) and the IANA zone the text named, if any. Overlapping matches
    keep the longest ("by the end of next week" rather than "next week").
    """
    if not text:
        return []
    sent = utc(sent_at)
    reader = _Reader(text, _Sentences.of(text))
    out: list[Deadline] = []
    covered = 0
    for h in _choose(_hits(text)):
        if h.start < covered:
            continue  # inside the time-of-day tail of the previous phrase ("Friday by EOD")
        end, latest = _phrase_end(text, h)
        covered = end
        found = _read(reader, h, sent, tz, end, latest)
        if found is not None:
            out.append(found)
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
