"""Decision timelines in the languages other than English, read from each language's data.

Every phrase of a language lives in ``agent/lang/data/<code>/timeline.toml``: a list of
``[[pattern]]`` entries, each a regex mapped to a *reading* (``week``, ``month``, ``within``,
``by_date``, ``weekday``, ``part_of_month``, ``holiday``, ``quarter``, ``year``, ``days``,
``day_of_month``) with fixed parameters or named groups. This module is the one generic
reader over those tables: no branch here knows a language, so a fourth language is a new
``timeline.toml``. The readings are the English ones (see :mod:`agent.signals.timeline`, whose
module docstring defines the "direction of patience"), and the date arithmetic is the English
module's own, imported rather than copied so that "Ende nächster Woche" and "the end of next
week" can never drift apart.

Placeholders in a pattern are filled in by the reader: ``{month}`` / ``{weekday}`` (named
groups ``mon`` / ``wd`` over the names in ``words.toml``), ``{num}`` / ``{num2}`` (digits or
the language's number words), ``{unit}`` (the keys of the file's ``[units]``), ``{part}``
(the keys of ``[parts]``), and any snippet the file defines under ``[snippets]``.

A pattern marked ``weak = true`` ("nächste Woche", "la semaine prochaine") counts only in a
sentence that also has one of the file's ``decision`` words, as in English; the others carry
a deadline preposition ("bis", "d'ici", "antes del") and count anywhere. Words right after a
date that make it past (``past_after``: "le 18 décembre dernier") cancel it, and a day that
has passed yields nothing.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from agent.facts import Deadline
from agent.lang import detect
from agent.lang.tables import alternation, load, words
from agent.lazy_pattern import lazy
from agent.model import utc

# The English module's date arithmetic, shared on purpose (see the module docstring); these
# helpers are private there only because nothing outside needed them before.
from agent.signals.timeline import (
    _MAX_AHEAD,
    _YEAR_PART_MONTH,
    _add_months,
    _add_weekdays,
    _explicit,
    _holiday_span,
    _last_of_month,
    _monday,
    _next_weekday,
    _ordinal_day,
    _part_day,
    _roll_year,
    _this_week_monday,
    _week_day,
)

__all__ = ["Tables", "find_deadlines", "languages", "read", "tables"]


@dataclass(frozen=True)
class _Pattern:
    regex: re.Pattern[str]
    reading: str
    params: Mapping[str, Any]
    weak: bool


@dataclass(frozen=True)
class Tables:
    """A language's timeline table, compiled: its patterns and the words their groups hold."""

    lang: str
    patterns: tuple[_Pattern, ...]
    months: Mapping[str, int]
    weekdays: Mapping[str, int]
    numbers: Mapping[str, int]
    units: Mapping[str, str]  # "wochen" -> "week"
    parts: Mapping[str, str]  # "anfang" -> "early" (the English key of the part)
    decision: re.Pattern[str] | None
    past_after: re.Pattern[str] | None
    request: re.Pattern[str] | None


def _fill(regex: str, fills: Mapping[str, str]) -> str:
    """The pattern with its placeholders replaced (plain replacement: ``{1,2}`` stays a regex)."""
    for key, value in fills.items():
        regex = regex.replace("{" + key + "}", value)
    return regex


def _fills(data: Mapping[str, Any], lang: str) -> dict[str, str]:
    w = words(lang)
    num = rf"(?:\d{{1,3}}|{alternation(w.numbers)})" if w.numbers else r"\d{1,3}"
    fills = {f"{k}": f"(?:{v})" for k, v in data.get("snippets", {}).items()}
    fills |= {
        "month": rf"(?P<mon>{alternation(w.months)})(?!\w)",
        "month_any": rf"(?:{alternation(w.months)})(?!\w)",
        "weekday_any": rf"(?:{alternation(w.weekdays)})(?!\w)",
        "weekday": rf"(?P<wd>{alternation(w.weekdays)})(?!\w)",
        "num": rf"(?P<num>{num})(?!\w)",
        "num2": rf"(?P<num2>{num})(?!\w)",
        "unit": rf"(?P<unit>{alternation(data.get('units', {}))})(?!\w)",
        "part": rf"(?P<part>{alternation(data.get('parts', {}))})(?!\w)",
    }
    return fills


def _optional_re(data: Mapping[str, Any], key: str) -> re.Pattern[str] | None:
    found = data.get(key)
    return re.compile("|".join(found), re.I) if found else None


@functools.cache
def tables(lang: str) -> Tables | None:
    """The compiled timeline table of ``lang`` (once per language, on first use), or None."""
    data = load(lang, "timeline")
    if not data.get("pattern"):
        return None
    fills = _fills(data, lang)
    patterns = tuple(
        _Pattern(
            re.compile(_fill(p["regex"], fills), re.I),
            p["reading"],
            {k: v for k, v in p.items() if k not in ("regex", "reading", "weak")},
            bool(p.get("weak", False)),
        )
        for p in data["pattern"]
    )
    w = words(lang)
    return Tables(
        lang,
        patterns,
        w.months,
        w.weekdays,
        w.numbers,
        {k.lower(): v for k, v in data.get("units", {}).items()},
        {k.lower(): v for k, v in data.get("parts", {}).items()},
        _optional_re(data, "decision"),
        _optional_re(data, "past_after"),
        _optional_re(data, "request"),
    )


def languages() -> tuple[str, ...]:
    """The languages that have a timeline table (English reads with its own rules)."""
    from agent.lang import supported

    return tuple(c for c in supported() if tables(c) is not None)


# --- readings ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Ask:
    """One match, with the means to read its groups and parameters in its language."""

    m: re.Match[str]
    params: Mapping[str, Any]
    t: Tables
    day: date  # the sending day in the zone that applies
    sent: datetime  # aware

    def get(self, name: str) -> str | None:
        """A group's words (lower-case, spaces collapsed), else the fixed parameter."""
        found = self.m.groupdict().get(name)
        if found is not None:
            return " ".join(found.lower().split())
        value = self.params.get(name)
        return None if value is None else str(value)

    def number(self, name: str) -> int | None:
        raw = self.get(name)
        if raw is None:
            return None
        return int(raw) if raw.isdigit() else self.t.numbers.get(raw)

    def part(self) -> str | None:
        raw = self.get("part")
        return self.t.parts.get(raw, raw) if raw else None

    def offset(self) -> int:
        return int(self.params.get("offset", 0))


def _week(a: _Ask) -> date | None:
    monday = (
        _monday(a.day) + timedelta(days=7 * a.offset()) if a.offset() else _this_week_monday(a.day)
    )
    part = a.part()
    return max(_week_day(monday, None if part == "end" else part), a.day)


def _month(a: _Ask) -> date | None:
    first = _add_months(a.day.replace(day=1), a.offset())
    return _part_day(a.part(), first.year, first.month)


def _within(a: _Ask) -> date | None:
    n = max(a.number("num") or 0, a.number("num2") or 0)
    raw = a.get("unit") or ""
    unit = a.t.units.get(raw, raw)
    if n <= 0 or not unit:
        return None
    if unit == "hour":
        return (a.sent + timedelta(hours=n)).astimezone(ZoneInfo(str(a.params.get("_tz")))).date()
    if unit == "business_day":
        return _add_weekdays(a.day, n)
    if unit == "month":
        return _add_months(a.day, n)
    return a.day + timedelta(days=n * (7 if unit == "week" else 1))


def _month_of(a: _Ask) -> int | None:
    name = a.get("mon")
    return a.t.months.get(name) if name else a.number("month")


def _year_of(a: _Ask) -> int | None:
    y = a.number("year")
    return None if y is None else y + 2000 if y < 100 else y


def _by_date(a: _Ask) -> date | None:
    day = a.number("day")
    return None if day is None else _explicit(a.day, _month_of(a), day, _year_of(a))


def _day_of_month(a: _Ask) -> date | None:
    day = a.number("day")
    return None if day is None else _ordinal_day(a.day, day, "next" if a.offset() else "")


def _weekday(a: _Ask) -> date | None:
    wd = a.t.weekdays.get(a.get("wd") or "")
    if wd is None:
        return None
    if a.offset():  # "nächsten Freitag": that day of the next ISO week
        return _monday(a.day) + timedelta(days=7 + wd)
    return _next_weekday(a.day, wd, same_day=bool(a.params.get("same_day")))


def _part_of_month(a: _Ask) -> date | None:
    month = _month_of(a)
    if month is None:
        return None
    year = _year_of(a) or _roll_year(a.day, month, None)
    return None if year is None else _part_day(a.part(), year, month)


def _holiday(a: _Ask) -> date | None:
    """The nearest year-end season in which the day has not passed (as in English)."""
    h, mode = str(a.params.get("holiday", "holidays")), a.get("mode") or "during"
    for season in (a.day.year - 1, a.day.year):
        first, last = _holiday_span(h, season)
        if mode == "before":
            day = first - timedelta(days=1)
        elif mode in ("after", "soon_after"):
            day = last + timedelta(days=7 if mode == "soon_after" else 14)
        else:
            day = date(last.year, 1, 31) if h == "new year" else last
        if day >= a.day:
            return day
    return None


def _quarter(a: _Ask) -> date | None:
    q = (a.day.month - 1) // 3 + a.offset()
    year, q = a.day.year + q // 4, q % 4
    return _last_of_month(year, 3 * q + 3)


def _year(a: _Ask) -> date | None:
    part = a.part()
    day = _last_of_month(a.day.year + a.offset(), _YEAR_PART_MONTH.get(part or "", 12))
    return day if day >= a.day else None


def _days(a: _Ask) -> date | None:
    return a.day + timedelta(days=a.number("num") or 0)


_READINGS: dict[str, Callable[[_Ask], date | None]] = {
    "week": _week, "month": _month, "within": _within, "by_date": _by_date,
    "day_of_month": _day_of_month, "weekday": _weekday, "part_of_month": _part_of_month,
    "holiday": _holiday, "quarter": _quarter, "year": _year, "days": _days,
}  # fmt: skip


# --- finding them in a text ------------------------------------------------------------------

# A sentence ends at . ! ? not right after a digit ("18.12.", "18. Dezember" are dates), or at
# a blank line.
_BOUNDARY = lazy(r"(?<!\d)[.!?]+(?=\s|$)|\n[ \t]*\n")


def _sentence(text: str, start: int, end: int) -> str:
    lo = max((m.end() for m in _BOUNDARY.finditer(text, 0, start)), default=0)
    nxt = _BOUNDARY.search(text, end)
    return text[lo : nxt.start() if nxt else len(text)]


def _matches(t: Tables, text: str) -> list[tuple[re.Match[str], _Pattern]]:
    """The longest non-overlapping matches of every pattern, in text order."""
    found = [(m, p) for p in t.patterns for m in p.regex.finditer(text) if m.end() > m.start()]
    found.sort(key=lambda mp: (mp[0].start() - mp[0].end(), mp[0].start()))
    chosen: list[tuple[re.Match[str], _Pattern]] = []
    for m, p in found:
        if all(m.end() <= c.start() or m.start() >= c.end() for c, _ in chosen):
            chosen.append((m, p))
    return sorted(chosen, key=lambda mp: mp[0].start())


def _counts(t: Tables, text: str, m: re.Match[str], p: _Pattern) -> bool:
    """Whether the sentence lets the phrase stand as the company's decision timeline: not a
    past date, not a request to the candidate ("bitte senden Sie … bis Freitag") unless the
    sentence also speaks of the decision, and a weak phrase only beside decision words unless
    its own deadline preposition (group ``by``) makes it strong."""
    if t.past_after is not None and t.past_after.match(text, m.end()):
        return False
    sentence = _sentence(text, m.start(), m.end())
    decided = t.decision is not None and bool(t.decision.search(sentence))
    if t.request is not None and t.request.search(sentence) and not decided:
        return False
    return decided or not p.weak or bool(m.groupdict().get("by"))


def read(t: Tables, text: str, sent_at: datetime, tz: ZoneInfo) -> list[Deadline]:
    """Every timeline ``text`` states in ``t``'s language, as :func:`find_deadlines`."""
    sent = utc(sent_at)
    today = sent.astimezone(tz).date()
    out: list[Deadline] = []
    for m, p in _matches(t, text):
        if not _counts(t, text, m, p):
            continue
        ask = _Ask(m, {**p.params, "_tz": str(tz)}, t, today, sent)
        day = _READINGS[p.reading](ask)
        if day is None or day < today or day - today > _MAX_AHEAD:
            continue
        out.append(Deadline(last_day=day, phrase=" ".join(m.group(0).split())))
    return out


def find_deadlines(text: str, sent_at: datetime, tz: ZoneInfo) -> list[Deadline] | None:
    """The timelines of a text written in a language with a timeline table, or None when its
    language has none (English, or too short to tell): the caller then reads it in English.

    The message's language is enough (a sentence's own is not needed); the phrase kept is the
    original words, so ``explain`` shows the evidence as the company wrote it.
    """
    lang = detect(text) if text else None
    t = tables(lang) if lang else None
    return None if t is None else read(t, text, sent_at, tz)
