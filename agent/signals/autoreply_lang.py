"""Out-of-office wording and return dates in other languages than English, read from data.

Each language's ``agent/lang/data/<code>/autoreply.toml`` (and ``_other/`` for responder
words of languages the agent does not otherwise read) lists the subject words and wording of
an out-of-office, and where it says the writer is back. All languages are tried on every
message rather than the one detected: responders are often bilingual ("Ich bin nicht im Büro
/ I am out of the office") and a subject line is too short to tell a language by. English
keeps its tuned rules in :mod:`agent.signals.autoreply`; this module only adds to them.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator

from agent.lang import DEFAULT, supported
from agent.lang.tables import alternation, load, words

__all__ = ["ReturnPattern", "return_dates", "return_patterns", "subject_re", "text_re"]

#: languages read here: every data folder but English (whose rules are code), and the
#: responder words of languages without a folder of their own
_EXTRA = ("_other",)

_FIELDS = {"{d}": r"(?P<d>\d{1,2})", "{m}": r"(?P<m>\d{1,2})", "{y}": r"(?P<y>\d{4}|\d{2})"}


def _languages() -> tuple[str, ...]:
    return (*(c for c in supported() if c != DEFAULT), *_EXTRA)


@functools.cache
def subject_re() -> re.Pattern[str]:
    """Any language's out-of-office subject words, as one pattern (never matching when none)."""
    parts = [p for lang in _languages() for p in load(lang, "autoreply").get("subject", [])]
    return re.compile("|".join(f"(?:{p})" for p in parts) or r"(?!x)x", re.I)


@functools.cache
def text_re() -> re.Pattern[str]:
    """Any language's out-of-office wording, as one pattern (never matching when none)."""
    parts = [p for lang in _languages() for p in load(lang, "autoreply").get("text", [])]
    return re.compile("|".join(f"(?:{p})" for p in parts) or r"(?!x)x", re.I)


class ReturnPattern:
    """A return cue combined with one date form of a language, and how to read its match: the day
    named is the return (``after`` 0), or the last day away (``after`` 1: "bis einschließlich")."""

    def __init__(self, rx: re.Pattern[str], months: dict[str, int], after: int = 0) -> None:
        self.rx = rx
        self.months = months
        self.after = after

    def dates(self, text: str) -> Iterator[tuple[int, int, str | None, int]]:
        """(month, day, year or None, days after it the writer is back) of every match in ``text``."""
        for m in self.rx.finditer(text):
            groups = m.groupdict()
            month = self.months.get(groups["month"].lower()) if groups.get("month") else groups.get("m")
            if month is not None:
                yield int(month), int(groups["d"]), groups.get("y"), self.after


@functools.cache
def return_patterns() -> tuple[ReturnPattern, ...]:
    """Every language's return cues (``returns``: the day back; ``away_through``: the last day away),
    each joined to each of its date forms, compiled once."""
    out: list[ReturnPattern] = []
    for lang in _languages():
        data = load(lang, "autoreply")
        w = words(lang)
        names = {"{month}": rf"(?P<month>{alternation(w.months)})", "{weekday}": f"(?:{alternation(w.weekdays)})"}
        for form in data.get("dates", []):
            for key, rx in {**_FIELDS, **names}.items():
                form = form.replace(key, rx)
            for after, cues in enumerate((data.get("returns", []), data.get("away_through", []))):
                for cue in cues:
                    cue = cue.replace("{weekday}", names["{weekday}"])
                    out.append(ReturnPattern(re.compile(cue.replace("{date}", form), re.I), w.months, after))
    return tuple(out)


def return_dates(text: str) -> Iterator[tuple[int, int, str | None, int]]:
    """(month, day, year, days after it the writer is back) of every return date any language's
    patterns find in ``text``, read with its line breaks as spaces (plain-text mail is wrapped:
    "ab" at the end of one line, "Donnerstag, 10. Dezember" on the next)."""
    flat = " ".join(text.split())
    for p in return_patterns():
        yield from p.dates(flat)
