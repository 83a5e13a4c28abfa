"""A folder's UID set as runs of consecutive UIDs, the form the IMAP cursor keeps.

A mailbox's UIDs are mostly consecutive (the server hands them out in order;
only deletions leave gaps), so 100,000 of them are a handful of runs. An
incremental sync works on the runs directly: it asks whether a UID is held
(a binary search), drops the few UIDs that went and adds the few that came,
and writes the runs back as text. Nothing in it walks the whole UID set, so
the cost of a poll follows the change, not the mailbox (issue 15, item 2).

Hand-written rather than a general interval library: the operations needed
are these four, over integers, and the stored text must stay the IMAP
sequence-set syntax that cursors written by earlier versions hold.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

__all__ = ["UidRuns"]


@dataclass(frozen=True)
class UidRuns:
    """Sorted, disjoint, non-adjacent inclusive runs ``lows[i]..highs[i]``, and their UID count."""

    lows: tuple[int, ...] = ()
    highs: tuple[int, ...] = ()
    size: int = 0

    @classmethod
    def parse(cls, text: str) -> UidRuns:
        """From sequence-set text (``"1:3,7,9:11"``, as the cursor stores it); the cost follows
        the number of runs, not of UIDs. Overlapping or unsorted parts are merged."""
        pairs = []
        for part in text.split(","):
            part = part.strip()
            if part:
                lo, _, hi = part.partition(":")
                a, b = int(lo), int(hi or lo)
                pairs.append((min(a, b), max(a, b)))
        return cls._of_pairs(sorted(pairs))

    @classmethod
    def of(cls, uids: Iterable[int]) -> UidRuns:
        """From single UIDs, in any order."""
        pairs: list[tuple[int, int]] = []
        for u in sorted(set(uids)):
            if pairs and pairs[-1][1] == u - 1:
                pairs[-1] = (pairs[-1][0], u)
            else:
                pairs.append((u, u))
        return cls._of_pairs(pairs)

    @classmethod
    def _of_pairs(cls, pairs: list[tuple[int, int]]) -> UidRuns:
        """Sorted (low, high) pairs, merged where they touch or overlap."""
        merged: list[list[int]] = []
        for lo, hi in pairs:
            if merged and lo <= merged[-1][1] + 1:
                merged[-1][1] = max(merged[-1][1], hi)
            else:
                merged.append([lo, hi])
        return cls(tuple(p[0] for p in merged), tuple(p[1] for p in merged),
                   sum(hi - lo + 1 for lo, hi in merged))

    def __contains__(self, uid: object) -> bool:
        if not isinstance(uid, int):
            return False
        i = bisect_right(self.lows, uid) - 1
        return i >= 0 and uid <= self.highs[i]

    def __len__(self) -> int:
        return self.size

    def __iter__(self) -> Iterator[int]:
        """Every UID, in order: only the full comparison against the server needs this."""
        for lo, hi in zip(self.lows, self.highs, strict=True):
            yield from range(lo, hi + 1)

    @property
    def max(self) -> int:
        """The highest UID held (0 when empty)."""
        return self.highs[-1] if self.highs else 0

    def union(self, uids: Iterable[int]) -> UidRuns:
        """These runs with ``uids`` added (usually a few new UIDs above :attr:`max`)."""
        extra = UidRuns.of(uids)
        if not extra.size:
            return self
        pairs = sorted([*zip(self.lows, self.highs, strict=True), *zip(extra.lows, extra.highs, strict=True)])
        return UidRuns._of_pairs(pairs)

    def without(self, uids: Iterable[int]) -> UidRuns:
        """These runs less ``uids`` (usually the few that vanished); a run is split where one goes."""
        gone = sorted({u for u in uids if u in self})
        if not gone:
            return self
        lows, highs = list(self.lows), list(self.highs)
        for u in reversed(gone):  # from the top, so earlier indexes stay valid
            i = bisect_right(lows, u) - 1
            lo, hi = lows[i], highs[i]
            pieces = [(a, b) for a, b in ((lo, u - 1), (u + 1, hi)) if a <= b]
            lows[i : i + 1] = [a for a, _ in pieces]
            highs[i : i + 1] = [b for _, b in pieces]
        return UidRuns(tuple(lows), tuple(highs), self.size - len(gone))

    def text(self) -> str:
        """Sequence-set text (``"1:3,7,9:11"``), what :meth:`parse` reads."""
        return ",".join(str(lo) if lo == hi else f"{lo}:{hi}" for lo, hi in zip(self.lows, self.highs, strict=True))
