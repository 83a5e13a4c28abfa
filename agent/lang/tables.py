"""The data files of each language (``agent/lang/data/<code>/<name>.toml``), loaded once and cached.

A reading asks :func:`load` for its own file (``timeline``, ``instructions``, …) and turns it
into its own frozen tables; :func:`words` is the file every reading shares (months, weekdays,
numbers). A language without a given file simply has no such reading yet.
"""

from __future__ import annotations

import functools
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from typing import Any

__all__ = ["Words", "alternation", "load", "words"]


@functools.cache
def load(lang: str, name: str) -> dict[str, Any]:
    """The parsed data file ``<name>.toml`` of ``lang``, or ``{}`` when the language has none."""
    path = resources.files("agent.lang").joinpath("data", lang, f"{name}.toml")
    if not path.is_file():
        return {}
    return tomllib.loads(path.read_text(encoding="utf-8"))


@dataclass(frozen=True)
class Words:
    """The words every reading of a language shares: month and weekday names (each with its
    abbreviations and inflected forms), and number words, all lower-case."""

    months: dict[str, int]  # "dezember", "dez", "déc." … -> 12
    weekdays: dict[str, int]  # "dienstag", "di" … -> 1 (Monday 0, as datetime.weekday())
    numbers: dict[str, int]  # "zwei", "deux", "dos" … -> 2


@functools.cache
def words(lang: str) -> Words:
    """The shared words of ``lang`` (empty tables for a language without ``words.toml``)."""
    data = load(lang, "words")

    def index(groups: list[list[str]], base: int) -> dict[str, int]:
        return {w.lower(): i + base for i, names in enumerate(groups) for w in names}

    return Words(months=index(data.get("months", []), 1), weekdays=index(data.get("weekdays", []), 0),
                 numbers={k.lower(): int(v) for k, v in data.get("numbers", {}).items()})


def alternation(forms: Iterable[str]) -> str:
    """A regex alternation of word forms, each escaped, longest first (so "dezember" is tried before
    "dez"); one that never matches when there are none."""
    return "|".join(re.escape(f) for f in sorted(forms, key=len, reverse=True)) or r"(?!x)x"
