"""Days and clock times stated in German, French, Spanish (any language with an ``interviews.toml``).

"am Dienstag, 8. Dezember um 14 Uhr", "Di., 08.12. um 14:00", "le mardi 8 décembre à 14 h",
"le 8/12 à 14h30", "el martes 8 de diciembre a las 14:00": the day comes before the month,
the clock has 24 hours, and the words between day and time are the language's own. Every
pattern, word and zone name lives in ``agent/lang/data/<code>/interviews.toml`` (the
``[dates]``, ``[times]`` and ``[zones]`` tables) and ``words.toml`` (month and weekday
names); this module is the one reader over them, so a fourth language is a data change.

:func:`find` returns :class:`Stated` readings that agent.signals.slots turns into its own
``Mention`` (this module cannot import slots: slots calls it). Written by hand over regex
tables rather than with ``dateparser``: for the same reasons as slots.py (it reads "14" in
"14 Bewerber" as a date and cannot say which words were a deadline or a window), and
because the tables here are the ones the language's other readings share.

Pure: ``sent`` is the reference, never the clock; a time that names no zone is the user's.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from agent.lang import DEFAULT, language_of, supported
from agent.lang.tables import Words, alternation, load, words

__all__ = ["Stated", "find", "language_of", "languages"]

#: the text before a mention read for "bis", "jusqu'au", "hasta el" (a deadline)
_LOOK_BEFORE = 40


@dataclass(frozen=True)
class Stated:
    """A day and/or time as the words state it; ``day`` and ``start`` are local to ``zone``
    (None: the user's). ``weekday`` is set when the day was a weekday's name alone."""

    span: tuple[int, int]
    day: date | None = None
    start: time | None = None
    zone: ZoneInfo | None = None
    window: bool = False
    limit: bool = False
    weekday: int | None = None


@dataclass(frozen=True)
class _Grammar:
    """One language's ``interviews.toml`` compiled."""

    days: tuple[re.Pattern[str], ...]
    relative: re.Pattern[str] | None
    offsets: dict[str, int]
    clocks: tuple[re.Pattern[str], ...]
    join: re.Pattern[str]
    join_after: re.Pattern[str]
    window_before: re.Pattern[str] | None
    limit_before: re.Pattern[str] | None
    zone_after: re.Pattern[str] | None
    zones: dict[str, str]
    words: Words


@dataclass(frozen=True)
class _Day:
    span: tuple[int, int]
    day: date | None
    weekday: int | None


def languages() -> tuple[str, ...]:
    """The languages other than English whose data states dates (English has agent.signals.slots)."""
    return tuple(code for code in supported() if code != DEFAULT and grammar(code) is not None)


def _compile(pattern: str | None, w: Words) -> re.Pattern[str] | None:
    if not pattern:
        return None
    names = [f for f in w.weekdays if len(f) > 3 and not f.endswith(".")]
    pattern = (pattern.replace("{weekday_name}", rf"(?<!\w)(?:{alternation(names)})")
               .replace("{weekday}", rf"(?<!\w)(?:{alternation(w.weekdays)})").replace("{month}", f"(?:{alternation(w.months)})"))
    return re.compile(pattern, re.I)


@functools.cache
def grammar(lang: str) -> _Grammar | None:
    """``lang``'s date grammar, compiled once; None when the language states no dates."""
    data = load(lang, "interviews")
    dates, times = data.get("dates", {}), data.get("times", {})
    if not dates.get("day") or not times.get("clock"):
        return None
    w = words(lang)

    def c(p: str | None) -> re.Pattern[str] | None:
        return _compile(p, w)

    offsets = {k.lower(): int(v) for k, v in dates.get("relative", {}).items()}
    relative = re.compile(rf"(?<!\w)(?:{alternation(offsets)})(?!\w)", re.I) if offsets else None
    zones = {k.lower(): v for k, v in data.get("zones", {}).items()}
    zone_after = re.compile(rf"[\s,]*\(?\s*(?P<zone>{alternation(zones)})(?!\w)\)?", re.I) if zones else None
    return _Grammar(
        days=tuple(p for p in map(c, dates["day"]) if p), relative=relative, offsets=offsets,
        clocks=tuple(p for p in map(c, times["clock"]) if p),
        join=c(times.get("join")) or re.compile(r"^[\s,]*$"),
        join_after=c(times.get("join_after")) or re.compile(r"^[\s,]*$"),
        window_before=c(times.get("window_before")), limit_before=c(times.get("limit_before")),
        zone_after=zone_after, zones=zones, words=w)


# --- reading ---------------------------------------------------------------------------------------


def find(text: str, sent: datetime, tz: ZoneInfo, lang: str) -> list[Stated]:
    """Every day/time ``text`` states in ``lang``, resolved against ``sent`` in the user's ``tz``."""
    g = grammar(lang)
    if g is None:
        return []
    ref = sent.astimezone(tz)
    times = _times(text, g)
    days = _days(text, g, ref.date(), times)
    times = [t for t in times if not any(_overlap(t.span, d.span) for d in days)]
    return _inherit(_pair(text, g, days, times, ref))


def _overlap(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def _first_fit(found: list[re.Match[str]]) -> list[re.Match[str]]:
    """Matches of several patterns without overlaps: the longest wins ("am Dienstag, 8. Dezember"
    over "am Dienstag"), then the earliest."""
    out: list[re.Match[str]] = []
    for m in sorted(found, key=lambda m: (m.start() - m.end(), m.start())):
        if not any(_overlap(m.span(), o.span()) for o in out):
            out.append(m)
    return sorted(out, key=lambda m: m.start())


def _times(text: str, g: _Grammar) -> list[Stated]:
    out: list[Stated] = []
    for m in _first_fit([m for p in g.clocks for m in p.finditer(text)]):
        clock = _clock(m)
        if clock is None:
            continue
        zone, end = _zone_after(text, m.end(), g)
        before = text[max(0, m.start() - _LOOK_BEFORE):m.start()]
        out.append(Stated((m.start(), end), start=clock, zone=zone,
                          window=bool(g.window_before and g.window_before.search(before))))
    return out


def _clock(m: re.Match[str]) -> time | None:
    """A 24-hour clock; "3 Uhr nachmittags" / "4 de la tarde" are afternoon, and so is a bare
    1-6 ("um 3"): nobody sets an interview at three in the night."""
    hour, minute = int(m["h"]), int(m["mi"] or 0)
    pm = bool(m.groupdict().get("pm"))
    if hour < 12 and (pm or 1 <= hour <= 6):
        hour += 12
    if hour > 23 or minute > 59:
        return None
    return time(hour, minute)


def _zone_after(text: str, at: int, g: _Grammar) -> tuple[ZoneInfo | None, int]:
    """The zone named right after a time ("14 Uhr MEZ", "à 9 h, heure de Montréal"), and where it ends."""
    if g.zone_after is None:
        return None, at
    zm = g.zone_after.match(text, at)
    if zm is None:
        return None, at
    return ZoneInfo(g.zones[" ".join(zm["zone"].lower().split())]), zm.end()


def _days(text: str, g: _Grammar, today: date, times: list[Stated]) -> list[_Day]:
    """Dates and weekdays; a numeric "11.05" that is a clock time ("11.05 h") is no date."""
    out: list[_Day] = []
    for m in _first_fit([m for p in g.days for m in p.finditer(text)]):
        numeric = m.groupdict().get("m") is not None
        if numeric and any(_overlap(m.span(), t.span) for t in times):
            continue
        day = _date(m, g.words, today)
        weekday = g.words.weekdays.get((m["wd"] or "").lower()) if m.groupdict().get("wd") else None
        if day is not None or (weekday is not None and m.groupdict().get("d") is None):
            out.append(_Day(m.span(), day, weekday if day is None else None))
    if g.relative is not None:
        taken = [x.span for x in out] + [t.span for t in times]  # "de la mañana" is a time, not tomorrow
        for m in g.relative.finditer(text):
            if not any(_overlap(m.span(), span) for span in taken):
                ahead = g.offsets[" ".join(m.group(0).lower().split())]
                out.append(_Day(m.span(), today + timedelta(days=ahead), None))
    return sorted(out, key=lambda d: d.span)


def _date(m: re.Match[str], w: Words, today: date) -> date | None:
    """The date a match states, the year rolled to the one nearest ``today``."""
    gd = m.groupdict()
    if gd.get("d") is None:
        return None
    month = w.months.get((gd.get("mon") or "").lower()) if gd.get("mon") else int(gd.get("m") or 0)
    day, year = int(gd["d"]), gd.get("y")
    if not month:
        return None
    if year:
        return _safe(int(year) + (2000 if len(year) == 2 else 0), month, day)
    options = [d for y in (today.year - 1, today.year, today.year + 1) if (d := _safe(y, month, day))]
    return min(options, key=lambda d: abs((d - today).days), default=None)


def _safe(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


# --- pairing ---------------------------------------------------------------------------------------


def _pair(text: str, g: _Grammar, days: list[_Day], times: list[Stated], ref: datetime) -> list[Stated]:
    """Each time joined to the day written next to it ("8. Dezember um 14 Uhr", "14 h le 8/12")."""
    used: set[int] = set()
    out: list[Stated] = []
    for t in times:
        before = [d for d in days if d.span[1] <= t.span[0] and id(d) not in used]
        after = [d for d in days if d.span[0] >= t.span[1] and id(d) not in used]
        day = None
        if before and g.join.match(text[before[-1].span[1]:t.span[0]]):
            day = before[-1]
        elif after and g.join_after.match(text[t.span[1]:after[0].span[0]]):
            day = after[0]
        if day is not None:
            used.add(id(day))
            t = replace(t, span=(min(t.span[0], day.span[0]), max(t.span[1], day.span[1])),
                        day=_resolve(day, t.start, ref), weekday=day.weekday)
        out.append(t)
    out += [Stated(d.span, _resolve(d, None, ref), weekday=d.weekday) for d in days if id(d) not in used]
    return sorted((_limited(text, g, s) for s in out), key=lambda s: s.span)


def _limited(text: str, g: _Grammar, s: Stated) -> Stated:
    """"bis zum 8. Dezember", "jusqu'au 8 décembre", "hasta el 8 de diciembre": a deadline."""
    before = text[max(0, s.span[0] - _LOOK_BEFORE):s.span[0]]
    return replace(s, limit=True) if g.limit_before is not None and g.limit_before.search(before) else s


def _resolve(d: _Day, at: time | None, ref: datetime) -> date:
    """A weekday without a date is the next one; today's is today while its hour is still ahead."""
    if d.day is not None:
        return d.day
    assert d.weekday is not None
    today = ref.date()
    ahead = (d.weekday - today.weekday()) % 7
    if ahead == 0 and at is not None and at <= ref.time():
        ahead = 7
    return today + timedelta(days=ahead)


def _inherit(stated: list[Stated]) -> list[Stated]:
    """A time alone takes the day last written before it ("Am 8.12.: 10 Uhr Team, 11 Uhr HR")."""
    out: list[Stated] = []
    last: date | None = None
    for s in stated:
        if s.day is None and s.start is not None and last is not None:
            s = replace(s, day=last)
        elif s.day is not None:
            last = s.day
        out.append(s)
    return out
