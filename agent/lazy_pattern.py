"""Regular expressions compiled on first use instead of at import.

The readers of mail (``agent/signals``, ``agent/mail``) hold a few hundred
module-level patterns, many of them long alternations; compiling them all when
the modules are imported cost about 0.4 s of every process's start (issue 15),
while a warm poll with nothing new uses a handful. :func:`lazy` keeps each
pattern where it is written, with the same name and the same calls
(``_X.search(text)``), and compiles it the first time one of those calls runs.

Hand-written because the standard library has no lazy pattern and no
well-kept small package offers one with the ``re.Pattern`` methods typed for
mypy (Django's ``_lazy_re_compile`` is private to Django). Compilation is
idempotent, so two threads racing to compile the same pattern at worst both
compile it; the result is the same object either way once stored.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterator
from typing import Any

Repl = str | Callable[[re.Match[str]], str]


class LazyPattern:
    """A ``re.Pattern[str]`` that is compiled when first used."""

    __slots__ = ("_compiled", "flags", "pattern")

    def __init__(self, pattern: str, flags: int = 0) -> None:
        self.pattern = pattern
        self.flags = flags
        self._compiled: re.Pattern[str] | None = None

    @property
    def compiled(self) -> re.Pattern[str]:
        """The compiled pattern (compiled now if this is its first use)."""
        compiled = self._compiled
        if compiled is None:
            compiled = self._compiled = re.compile(self.pattern, self.flags)
        return compiled

    @property
    def groupindex(self) -> Any:
        return self.compiled.groupindex

    def search(self, string: str, pos: int = 0, endpos: int = sys.maxsize) -> re.Match[str] | None:
        return self.compiled.search(string, pos, endpos)

    def match(self, string: str, pos: int = 0, endpos: int = sys.maxsize) -> re.Match[str] | None:
        return self.compiled.match(string, pos, endpos)

    def fullmatch(self, string: str, pos: int = 0, endpos: int = sys.maxsize) -> re.Match[str] | None:
        return self.compiled.fullmatch(string, pos, endpos)

    def finditer(self, string: str, pos: int = 0, endpos: int = sys.maxsize) -> Iterator[re.Match[str]]:
        return self.compiled.finditer(string, pos, endpos)

    def findall(self, string: str, pos: int = 0, endpos: int = sys.maxsize) -> list[Any]:
        return self.compiled.findall(string, pos, endpos)

    def sub(self, repl: Repl, string: str, count: int = 0) -> str:
        return self.compiled.sub(repl, string, count)

    def subn(self, repl: Repl, string: str, count: int = 0) -> tuple[str, int]:
        return self.compiled.subn(repl, string, count)

    def split(self, string: str, maxsplit: int = 0) -> list[str | Any]:
        return self.compiled.split(string, maxsplit)

    def __repr__(self) -> str:
        return f"lazy({self.pattern!r}, {self.flags!r})"


def lazy(pattern: str, flags: int = 0) -> LazyPattern:
    """``re.compile(pattern, flags)``, deferred to the pattern's first use."""
    return LazyPattern(pattern, flags)


#: a pattern compiled now or on first use, for fields and tables that hold either
AnyPattern = re.Pattern[str] | LazyPattern
