"""Real mail from other projects' test suites: how much of each kind the agent reads right.

    python bench/real_mail.py

One line per kind (bounces, automatic replies, invitations, quoted history),
each from the measure its tests use (tests/real_*.py), then every miss with
why. Prints figures; asserts nothing (tests/test_real_*.py assert each file).
The corpora and their sources: tests/corpus/*/SOURCES.md.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests import real_autoreplies, real_bounces, real_invitations, real_quotes

KINDS = (("bounces", real_bounces, "reports"), ("automatic replies", real_autoreplies, "messages"),
         ("invitations", real_invitations, "events"), ("quoted history", real_quotes, "replies"))
TARGET = 0.95


def _miss(m: Any) -> tuple[str, str]:
    """A miss as (what, why), whatever shape the kind's measure gives it."""
    if isinstance(m, tuple):
        return str(m[0]), str(m[1])
    return str(getattr(m, "key", getattr(m, "name", m))), str(getattr(m, "reason", getattr(m, "why", "")))


def main() -> None:
    print(f"{'kind':<18} {'read right':>14} {'share':>7}  (target >= {TARGET:.2f})")
    misses: list[tuple[str, str, str]] = []
    for name, module, unit in KINDS:
        m = module.measure()
        print(f"{name:<18} {m.right:>5} of {m.total:<4} {m.share:>7.3f}  {unit}")
        misses += [(name, *_miss(x)) for x in m.misses]
    if misses:
        print("\nmisses:")
        for kind, what, why in misses:
            print(f"  {kind}: {what}: {why}")


if __name__ == "__main__":
    main()
