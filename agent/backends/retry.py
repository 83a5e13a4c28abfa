"""Trying a backend's request again: exponential backoff with jitter, honouring Retry-After.

Both network backends retry what a later try may cure (IMAP: a lost
connection; Gmail: a rate limit, a 5xx, a lost connection) and nothing else.
They share this one policy:

* at most ``attempts`` tries, and no wait after the last one (giving up is
  said at once);
* before try ``n + 1`` a wait of ``min(cap, base * 2**n)`` spread by "equal
  jitter" over its upper half (never zero, never in lockstep with other
  clients), or what the server asked for (``Retry-After``) when that is
  longer.

An attempt says "try again" by raising :class:`TryAgain`, with the reason
to report if every try fails and the server's wait if it named one; any
other exception ends the loop at once; when every try failed,
:class:`GaveUp` carries the last reason. ``sleep`` and ``jitter`` are the
backend's own (injected by tests so nothing waits).

Why not tenacity, which does this: importing it costs every poll process
about 15 ms and 14 modules at start-up (a warm poll's own work is about
50 ms), and the loop we need is the dozen lines of :meth:`Backoff.run`.
"""

from __future__ import annotations

import email.utils
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

__all__ = ["Backoff", "GaveUp", "TryAgain", "retry_after_seconds"]

T = TypeVar("T")


class TryAgain(Exception):
    """An attempt failed in a way a later one may not: ``reason`` for the report, ``after`` the
    server's ``Retry-After`` in seconds (``None``: it named none)."""

    def __init__(self, reason: str, after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.after = after


class GaveUp(Exception):
    """Every try failed; ``reason`` is what the last one said."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Backoff:
    """How often and how long to wait before trying again (see the module docstring)."""

    attempts: int
    base: float
    cap: float
    sleep: Callable[[float], None]
    jitter: Callable[[], float]

    def delay(self, failed: int, retry_after: float | None = None) -> float:
        """The wait after the failed try ``failed`` (0 for the first), at least ``retry_after``."""
        step = min(self.cap, self.base * 2**failed)
        return max(step * (0.5 + self.jitter() / 2), retry_after or 0.0)

    def run(self, attempt: Callable[[int], T]) -> T:
        """``attempt(n)`` for n = 0, 1, ... until one returns (see the module docstring)."""
        last = TryAgain("no answer")
        for n in range(max(1, self.attempts)):
            try:
                return attempt(n)
            except TryAgain as failure:
                last = failure
                if n + 1 < self.attempts:
                    self.sleep(self.delay(n, failure.after))
        raise GaveUp(last.reason)


def retry_after_seconds(value: Any, now: datetime | None = None) -> float:
    """``Retry-After`` as seconds: a number, or an HTTP date (from ``now``); 0 when absent or unreadable."""
    if not value:
        return 0.0
    text = str(value).strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return 0.0
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
