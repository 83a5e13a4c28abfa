"""Days and clock times written in a message, as people write them when they set up a call.

"Thursday at 2pm", "Tue 11/10 at 10am", "Mon 11/2 10am w/ their head of eng",
"tmrw 9:30?", "k 9:30 thu", "5:30 tues", "Wednesday 4:15 it is", "Friday,
September 25 at 2:00 PM ET", "Thursday 11/12 at 10am PT / 1pm ET",
"Tuesday, 13.10. at 16:00 o'clock (our time, CEST)", "noon", "2-2:45pm", an
ATS block with the date on one line and "1:00 PM - 1:30 PM Eastern Time" on the
next. :func:`find` returns every such *mention*: a day with a clock time, a
day alone ("Thursday works"), or a clock time alone ("9:30 again?"), each
with its span, so that the caller (agent.signals.scheduling) can read who
proposed, accepted or refused it.

Why not ``dateparser.search.search_dates``: it reads "We" and "9-5" as dates,
drops "tmrw", and takes "5:30 tues" for 5:30 in the morning; and a meeting
time needs what it cannot say: which words were a window ("after 4"), a
deadline ("by Friday at 5pm") or another rendering of the same time ("1pm PT /
4pm ET"). The weekday, month and zone vocabularies are agent.signals.timeline's.

A bare hour counts only after "at"/"@"/"around" or before a zone ("at 2",
"4 ET"): "2 rounds", "(917) 555-0148" and "Req 4471" are not times. An hour
without am/pm is read as a meeting hour: 1-7 in the afternoon, 8-11 in the
morning. Pure: the message's own date is the reference, never the clock.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from agent.lazy_pattern import lazy
from agent.signals import slots_lang, timeline

# --- vocabulary ---------------------------------------------------------------------------

_WEEKDAY_NUM = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}
# Next to a clock time people write "thurs" and "tues" in lower case; "Sat" and "Sun" only
# capitalised (they are words).
_WD = (r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|"
       r"mon|tues?|weds?|thu(?:rs?)?|fri|(?-i:Sat|Sun))")
_MONTH = timeline._MONTH_ALT
_ORD = r"(?:st|nd|rd|th)"
_DATE = (
    rf"(?P<mon>{_MONTH})\b\.?\s*(?P<md>\d{{1,2}}){_ORD}?(?![\d:/.]\d)(?:,?\s+(?P<my>20\d\d)\b)?"
    rf"|(?P<dm>\d{{1,2}}){_ORD}?\s+(?:of\s+)?(?P<mon2>{_MONTH})\b\.?(?:,?\s+(?P<dy>20\d\d)\b)?"
    r"|(?<![\d/.])(?P<nm>\d{1,2})/(?P<nd>\d{1,2})(?:/(?P<ny>20\d\d|\d\d))?(?![\d/])"
    r"|(?P<iy>20\d\d)-(?P<im>\d\d)-(?P<id>\d\d)\b"
)
# A weekday, maybe with its date: "Thursday", "next Tuesday", "Thu 11/5", "Wednesday 11
# November", "Friday the 18th", "Tuesday, 13.10." (day.month, as German writers put it).
_R_WEEKDAY = lazy(
    rf"\b(?:(?P<rel>this\s+coming|this|next|coming)\s+)?(?P<wd>{_WD})\b\.?"
    rf"(?:,?\s+(?:the\s+)?(?:{_DATE}|(?P<ed>\d{{1,2}})\.(?P<em>\d{{1,2}})\.(?P<ey>20\d\d)?"
    rf"|(?P<od>\d{{1,2}}){_ORD}\b))?",
    re.I,
)
_R_DATE = lazy(rf"\b(?:{_DATE})", re.I)
_R_DAYWORD = lazy(
    r"\b(?P<word>today|tonight|tomorrow|tomorow|tmrw|tmr|tmw|this\s+(?:morning|afternoon|evening))\b", re.I)

_AP = r"(?:[ap]\.?\s?m\b\.?)"
# "2pm", "2:30 PM", "14:00", "9 to 11 AM", "2-2:45pm", "noon", "16:00 o'clock", with what
# stands before it ("at", "after", "by", …).
_R_TIME = lazy(
    r"(?:(?P<pre>@|\b(?:at|around|from|between|btwn|betw|after|before|by|until|till|starting(?:\s+at)?|"
    r"no\s+later\s+than|anytime(?:\s+(?:after|before|between|from))?)\b)\s*)?"
    r"(?:\b(?P<noon>(?:12\s*)?(?:noon|midday))\b"
    r"|(?<![\w:/.$€£#+\-])(?P<h>\d{1,2})(?::(?P<mi>[0-5]\d))?(?!\d|[/.]\d)\s*(?P<ap>" + _AP + r")?"
    r"(?:\s*(?:-|–|—|to|until|till|and)\s*(?P<eh>\d{1,2})(?::(?P<emi>[0-5]\d))?(?!\d)\s*(?P<eap>"
    + _AP + r")?)?(?P<oclock>\s*o'?clock\b)?)",
    re.I,
)
_BARE_OK = {"at", "@", "around", "from", "between", "btwn", "betw", "after", "before", "until", "till", "by"}
_WINDOW_PRE = ("after", "before", "between", "btwn", "betw", "anytime")
# "at 22 W 27th", "at 31 E 17th": a street number; "around 3 hours", "at 2 rounds": a count
_R_NOT_AN_HOUR = lazy(
    r"\s*(?:(?-i:[NSEW]\b)|(?:st|nd|rd|th)\b|\w+\s+(?:st|street|ave|avenue|rd|road|blvd|pl|place)\b|"
    r"(?:hours?|hrs?|minutes?|mins?|days?|weeks?|months?|years?|people|persons?|rounds?|interviews?|"
    r"candidates?|times|x|%|percent|k\b))", re.I)
_LIMIT_PRE = ("by", "until", "till", "no later than")

_ZONE_NAMES = {**timeline._ZONE_NAMES, "new york": "America/New_York", "uk": "Europe/London"}
_NAME_ALT = "|".join(n.replace(" ", r"\s+") for n in sorted(_ZONE_NAMES, key=len, reverse=True))
_ABBR_ALT = "|".join(sorted([*timeline.ZONE_ABBR, "UK"], key=len, reverse=True))
# What may follow a clock time to say its zone: "ET", "(EST)", "Eastern Time", "UK time",
# "New York", "my time", "(our time, CEST)", "for me".
_R_ZONE_AFTER = lazy(
    rf"\s*(?:o'?clock\s*)?[(,/]?\s*(?:(?P<rel>(?:my|our|your)\s+time|for\s+(?:me|you)|here|local(?:\s+time)?)"
    rf"\s*,?\s*)?(?:(?P<abbr>(?-i:\b(?:{_ABBR_ALT})\b))|\b(?P<name>{_NAME_ALT})\b)?(?:\s+time\b)?",
    re.I,
)
# "(all Pacific)", "(all times Eastern)", "all ET": the zone of every time in the message.
_R_MESSAGE_ZONE = lazy(
    rf"\(\s*(?:all\s+)?(?:times\s+(?:are\s+)?(?:in\s+)?)?(?:(?P<abbr>(?-i:{_ABBR_ALT}))|(?P<name>{_NAME_ALT}))"
    rf"(?:\s+time)?\s*\)|\ball\s+(?:times\s+)?(?:in\s+)?(?:(?P<abbr2>(?-i:{_ABBR_ALT}))|(?P<name2>{_NAME_ALT}))\b",
    re.I,
)
# Between a day and its time: "Thursday at 2", "Tue 11/10, 10am", "Mon 11/2 10am", the
# ATS block's line break, "Wednesday 11/4, 12:00 - 2:00 PM".
_R_DAY_TIME_GAP = lazy(r"^[ \t,:\-–—]*(?:\n[ \t]*){0,2}(?:(?:at|from|starting)\b)?[ \t]*$", re.I)
_R_TIME_DAY_GAP = lazy(r"^[ \t,]*(?:on\s+)?$", re.I)  # "9:30 thu", "2pm on Thursday"
_R_ALT_GAP = lazy(r"^\s*(?:/|\(|,\s*i\.e\.,?)\s*$")  # "1pm PT / 4pm ET", "4:30 ET (3:30 my time)"
_R_LIMIT_BEFORE = lazy(
    r"\b(?:by|until|till|no\s+later\s+than|before|due(?:\s+(?:on|by))?|deadline(?:\s+is)?|expires?(?:\s+on)?|"
    r"closes?(?:\s+on)?)\s*:?\s*$", re.I)
_R_OPTION_GAP = lazy(r"^\s*(?:,|or|and|,\s*or)\s*$", re.I)  # "11:00 AM or 3:30 PM"


# --- what a mention is ----------------------------------------------------------------------


@dataclass(frozen=True)
class Mention:
    """A day and/or clock time as written; ``day`` and ``start`` are local to ``zone``.

    ``zone`` None means the message named none (the reader's own zone applies);
    ``foreign`` says the writer named a zone of their own that we cannot know
    ("3:30 my time" from the company). A ``window`` is availability ("after 4",
    "between 2 and 5"), a ``limit`` a deadline ("by Friday at 5pm"): neither is
    a meeting time.
    """

    span: tuple[int, int]
    day: date | None = None
    start: time | None = None
    end: time | None = None
    zone: ZoneInfo | None = None
    foreign: bool = False
    window: bool = False
    limit: bool = False
    weekday: int | None = None  # when the day was only a weekday's name ("Tuesday at 2"), 0 = Monday

    @property
    def full(self) -> bool:
        return self.day is not None and self.start is not None

    def at(self, tz: ZoneInfo) -> tuple[datetime, datetime | None] | None:
        """The start and stated end as aware datetimes (in ``zone``, else ``tz``)."""
        if self.day is None or self.start is None:
            return None
        zone = self.zone or tz
        start = datetime.combine(self.day, self.start, zone)
        end = datetime.combine(self.day, self.end, zone) if self.end else None
        return start, (end if end and end > start else None)


@dataclass(frozen=True)
class _Day:
    span: tuple[int, int]
    day: date | None  # None: a weekday to resolve against the time of day
    weekday: int | None
    rel: str


@dataclass(frozen=True)
class _Time:
    span: tuple[int, int]
    start: time
    end: time | None
    zone: ZoneInfo | None
    relative: str  # "mine" | "yours" | "" (a zone named relative to the writer)
    window: bool
    limit: bool


# --- reading ---------------------------------------------------------------------------------


def find(text: str, sent: datetime, tz: ZoneInfo, *, writer_is_user: bool) -> list[Mention]:
    """Every day/time mention in ``text``, resolved against ``sent`` (aware) in order.

    ``tz`` is the user's zone: a time that names none is read in it, as are
    "my time" from the user and "your time" from the company. Spans are
    offsets into ``text`` (and into :func:`plain` of it).
    """
    text = plain(text)
    ref = sent.astimezone(tz)
    days = _days(text, ref.date())
    times = _times(text, tz, writer_is_user)
    default = _message_zone(text)
    mentions = _pair(text, days, times, ref)
    return _with_language([_zoned(m, default, mentions) for m in mentions], text, sent, tz)


def _with_language(mentions: list[Mention], text: str, sent: datetime, tz: ZoneInfo) -> list[Mention]:
    """For German, French or Spanish text, what agent.signals.slots_lang reads in it: each of its
    readings replaces the English ones it overlaps ("14:00" in "Dienstag, 8.12. um 14:00")."""
    code = slots_lang.language_of(text)
    if code not in slots_lang.languages():
        return mentions
    stated = [Mention(s.span, s.day, s.start, None, s.zone, window=s.window, limit=s.limit, weekday=s.weekday)
              for s in slots_lang.find(text, sent, tz, code)]
    kept = [m for m in mentions if not any(a < m.span[1] and m.span[0] < b for a, b in (s.span for s in stated))]
    return sorted([*kept, *stated], key=lambda m: m.span)


def plain(text: str) -> str:
    """``text`` with "a.m."/"p.m." written without dots, keeping every offset.

    Readers that split sentences then never end one inside "11 a.m.".
    """
    return re.sub(r"\b([ap])\.\s?m\.", lambda m: f"{m.group(1)}m" + " " * (len(m.group(0)) - 2), text,
                  flags=re.I)


def _days(text: str, today: date) -> list[_Day]:
    found: list[_Day] = []
    for m in _R_WEEKDAY.finditer(text):
        found.append(_Day(m.span(), _explicit(m, today), _WEEKDAY_NUM[m["wd"][:3].lower()],
                          " ".join((m["rel"] or "").lower().split())))
    for m in _R_DATE.finditer(text):
        if not any(d.span[0] <= m.start() < d.span[1] for d in found) and not _numeric_noise(m):
            day = _explicit(m, today)
            if day is not None:
                found.append(_Day(m.span(), day, None, ""))
    for m in _R_DAYWORD.finditer(text):
        word = " ".join(m["word"].lower().split())
        ahead = 1 if word.startswith("tm") or word.startswith("tomor") else 0
        found.append(_Day(m.span(), today + timedelta(days=ahead), None, ""))
    return sorted(found, key=lambda d: d.span)


def _numeric_noise(m: re.Match[str]) -> bool:
    """"2/3" alone is as often a fraction as a date: only a slash date with a plausible day."""
    return bool(m["nm"]) and (int(m["nm"]) > 12 or int(m["nd"]) > 31 or int(m["nd"]) == 0)


def _explicit(m: re.Match[str], today: date) -> date | None:
    """The date a match states, the year rolled to the one nearest ``today``."""
    g = m.groupdict()
    if g.get("iy"):
        return _safe(int(g["iy"]), int(g["im"]), int(g["id"]))
    month = day = year = None
    if (g.get("mon") or g.get("mon2")) == "may":
        return None  # the verb
    if g.get("mon") or g.get("mon2"):
        month = timeline._MONTHS.get((g.get("mon") or g.get("mon2") or "")[:3].lower())
        day = int(g.get("md") or g.get("dm") or 0)
        year = g.get("my") or g.get("dy")
    elif g.get("nm"):
        month, day, year = int(g["nm"]), int(g["nd"]), g.get("ny")
    elif g.get("ed"):
        month, day, year = int(g["em"]), int(g["ed"]), g.get("ey")
    elif g.get("od"):
        return _day_of_month(today, int(g["od"]))
    if not month or not day:
        return None
    if year:
        return _safe(int(year) + (2000 if len(year) == 2 else 0), month, day)
    options = [d for y in (today.year - 1, today.year, today.year + 1) if (d := _safe(y, month, day))]
    return min(options, key=lambda d: abs((d - today).days), default=None)


def _day_of_month(today: date, dom: int) -> date | None:
    """"Friday the 18th": this month's 18th, or next month's when it has passed."""
    this = _safe(today.year, today.month, dom)
    if this is not None and this >= today - timedelta(days=3):
        return this
    nxt = date(today.year + today.month // 12, today.month % 12 + 1, 1)
    return _safe(nxt.year, nxt.month, dom)


def _safe(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def _times(text: str, tz: ZoneInfo, writer_is_user: bool) -> list[_Time]:
    out: list[_Time] = []
    for m in _R_TIME.finditer(text):
        t = _time(m, text, tz, writer_is_user)
        if t is not None:
            out.append(t)
    return out


def _time(m: re.Match[str], text: str, tz: ZoneInfo, writer_is_user: bool) -> _Time | None:
    pre = " ".join((m["pre"] or "").lower().split())
    zm = _R_ZONE_AFTER.match(text, m.end())
    zone, relative = _zone_of(zm, tz, writer_is_user)
    span = (m.start(), zm.end() if zm and (zone or relative) else m.end())
    if m["noon"]:
        return _Time(span, time(12, 0), None, zone, relative, pre.startswith(_WINDOW_PRE), pre in _LIMIT_PRE)
    if _bare_number(m, text, pre, zoned=bool(zone or relative)):
        return None  # "2 rounds", "Req 4471", "at 22 W 27th": a bare number is no time
    clock = _clock_range(m)
    if clock is None:
        return None
    between = pre.startswith(_WINDOW_PRE) or (pre == "from" and bool(m["eh"]) and _is_anytime(text, m.start()))
    return _Time(span, clock[0], clock[1], zone, relative, between, pre in _LIMIT_PRE)


def _bare_number(m: re.Match[str], text: str, pre: str, *, zoned: bool) -> bool:
    """A number with nothing that makes it a time of day (no am/pm, minutes, "o'clock", zone)."""
    if m["ap"] or m["mi"] or m["oclock"] or m["eap"] or m["emi"]:
        return False
    return (pre.split(" ")[0] not in _BARE_OK and not zoned) or bool(_R_NOT_AN_HOUR.match(text, m.end()))


def _clock_range(m: re.Match[str]) -> tuple[time, time | None] | None:
    """The start and (for "2-2:45pm") the end, the end past noon when "11-1" says so."""
    start = _clock(m["h"], m["mi"], m["ap"] or m["eap"])
    end = _clock(m["eh"], m["emi"], m["eap"] or m["ap"]) if m["eh"] else None
    if start is None or (m["eh"] and end is None):
        return None
    if end is not None and end <= start and not m["eap"] and end.hour + 12 < 24:
        end = end.replace(hour=end.hour + 12)  # "11-1" runs past noon
    return start, end


def _is_anytime(text: str, at: int) -> bool:
    return bool(re.search(r"\b(?:anytime|any\s+time|free|available|open)\s*$", text[max(0, at - 25):at], re.I))


def _clock(h: str, mi: str | None, ap: str | None) -> time | None:
    hour, minute = int(h), int(mi or 0)
    half = (ap or "").replace(".", "").replace(" ", "").lower()[:1]
    if half == "p" and hour < 12:
        hour += 12
    elif half == "a" and hour == 12:
        hour = 0
    elif not half and 1 <= hour <= 7:  # "at 2" for a call is the afternoon
        hour += 12
    if hour > 23 or minute > 59 or (half and int(h) > 12):
        return None
    return time(hour, minute)


def _zone_of(zm: re.Match[str] | None, tz: ZoneInfo, writer_is_user: bool) -> tuple[ZoneInfo | None, str]:
    """The zone named after a time; "my time" is the writer's, "your time" the reader's."""
    if zm is None:
        return None, ""
    if zm["abbr"] or zm["name"]:
        key = zm["abbr"] or ""
        name = timeline.ZONE_ABBR.get(key) or ("Europe/London" if key == "UK" else None)
        name = name or _ZONE_NAMES.get(" ".join((zm["name"] or "").lower().split()))
        return (ZoneInfo(name) if name else None), ""
    rel = " ".join((zm["rel"] or "").lower().split())
    if not rel:
        return None, ""
    mine = rel in ("my time", "our time", "for me", "here", "local", "local time")
    return (tz if mine == writer_is_user else None), ("mine" if mine else "yours")


def _message_zone(text: str) -> ZoneInfo | None:
    m = _R_MESSAGE_ZONE.search(text)
    if m is None:
        return None
    abbr = m["abbr"] or m["abbr2"]
    name = timeline.ZONE_ABBR.get(abbr) if abbr else _ZONE_NAMES.get(" ".join((m["name"] or m["name2"]).lower().split()))
    return ZoneInfo(name) if name else None


# --- pairing days with times ----------------------------------------------------------------------


def _pair(text: str, days: list[_Day], times: list[_Time], ref: datetime) -> list[Mention]:
    """Join each time to the day written next to it; what is left stands alone."""
    used: set[int] = set()
    out: list[Mention] = []
    prev: tuple[_Time, _Day | None] | None = None
    for t in times:
        if any(d.span[0] <= t.span[0] < d.span[1] for d in days):
            continue  # digits inside a date ("Nov 10, 2026")
        if prev is not None and _R_ALT_GAP.match(text[prev[0].span[1]:t.span[0]]):
            out[-1] = _better(out[-1], _mention(t, prev[1], ref, own_day=False))  # the same time again
            continue
        day = _day_before(text, days, t, used) or _shared_day(text, prev, t) or _day_after(text, days, t, used)
        shared = day is not None and id(day) in used
        if day is not None:
            used.add(id(day))
        out.append(_mention(t, day, ref, own_day=not shared))
        prev = (t, day)
    out += [_mention(None, d, ref) for d in days if id(d) not in used]
    return _inherit([_limited(text, m) for m in sorted(out, key=lambda m: m.span)])


def _limited(text: str, m: Mention) -> Mention:
    """"by Friday at 5pm", "until Friday, 23.10.2026, 12:00", "deadline: Monday 9am": no meeting."""
    return replace(m, limit=True) if _R_LIMIT_BEFORE.search(text, max(0, m.span[0] - 40), m.span[0]) else m


def _day_before(text: str, days: list[_Day], t: _Time, used: set[int]) -> _Day | None:
    before = [d for d in days if d.span[1] <= t.span[0] and id(d) not in used]
    if before and _R_DAY_TIME_GAP.match(text[before[-1].span[1]:t.span[0]]):
        return before[-1]
    return None


def _day_after(text: str, days: list[_Day], t: _Time, used: set[int]) -> _Day | None:
    after = [d for d in days if d.span[0] >= t.span[1] and id(d) not in used]
    if after and _R_TIME_DAY_GAP.match(text[t.span[1]:after[0].span[0]]):
        return after[0]
    return None


def _shared_day(text: str, prev: tuple[_Time, _Day | None] | None, t: _Time) -> _Day | None:
    """"Monday, September 14: 11:00 AM or 3:30 PM": the previous time's day."""
    if prev is None or prev[1] is None:
        return None
    return prev[1] if _R_OPTION_GAP.match(text[prev[0].span[1]:t.span[0]]) else None


def _better(a: Mention, b: Mention) -> Mention:
    """Of two renderings of one time, the one whose zone we know ("4:30 PM ET (3:30 my time)")."""
    return a if a.zone is not None or b.zone is None else replace(b, span=(a.span[0], b.span[1]))


def _mention(t: _Time | None, d: _Day | None, ref: datetime, *, own_day: bool = True) -> Mention:
    parts = [x for x in (t, d if own_day or t is None else None) if x is not None]
    span = (min(x.span[0] for x in parts), max(x.span[1] for x in parts))
    day = _resolve(d, t.start if t else None, ref) if d else None
    weekday = d.weekday if d is not None and d.day is None else None
    if t is None:
        return Mention(span, day, weekday=weekday)
    return Mention(span, day, t.start, t.end, t.zone, foreign=t.relative != "" and t.zone is None,
                   window=t.window, limit=t.limit, weekday=weekday)


def _resolve(d: _Day, at: time | None, ref: datetime) -> date:
    """A weekday without a date is the next one ("next Tuesday": the Tuesday of next week).

    Today's weekday is today while its hour is still ahead, else a week on.
    """
    if d.day is not None:
        return d.day
    assert d.weekday is not None
    today = ref.date()
    if d.rel == "next":
        return today - timedelta(days=today.weekday()) + timedelta(days=7 + d.weekday)
    ahead = (d.weekday - today.weekday()) % 7
    if ahead == 0 and at is not None and at <= ref.time():
        ahead = 7
    return today + timedelta(days=ahead)


def _inherit(mentions: list[Mention]) -> list[Mention]:
    """A time alone takes the day last written before it ("On Thursday you will meet: 2:00 PM …")."""
    out: list[Mention] = []
    last_day: date | None = None
    for m in mentions:
        if m.day is None and m.start is not None and last_day is not None:
            m = replace(m, day=last_day)
        elif m.day is not None:
            last_day = m.day
        out.append(m)
    return out


def _zoned(m: Mention, default: ZoneInfo | None, mentions: list[Mention]) -> Mention:
    """A time that names no zone takes the one named for the whole message ("(all Pacific)"),
    else the nearest one named in the same line of times ("12:30 or Friday 10/16 at 4:00 ET")."""
    if m.zone is not None or m.foreign or m.start is None:
        return m
    if default is not None:
        return replace(m, zone=default)
    near = [o for o in mentions if o.zone is not None and abs(o.span[0] - m.span[0]) < 80]
    return replace(m, zone=min(near, key=lambda o: abs(o.span[0] - m.span[0])).zone) if near else m
