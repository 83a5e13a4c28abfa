"""Real bounces read on arrival: how many of the corpus the agent reads right, and every miss.

    python bench/real_bounces.py

The corpus is tests/corpus/bounces/ (real delivery reports from other projects'
test suites, see its SOURCES.md); each report is placed after the user's message
and read as a poll reads it (tests/real_bounces.py says what "read right" means).
Prints figures; asserts nothing (tests/test_real_bounces.py asserts each file).
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.real_bounces import expectations, measure

TARGET = 0.95


def main() -> int:
    m = measure()
    kinds = Counter(e.kind for e in expectations())
    servers = len({e.mta for e in expectations()})
    print(f"kind          bounces ({kinds['final']} final, {kinds['delayed']} delayed; {servers} kinds of mail server)")
    print(f"messages      {m.total}")
    print(f"read right    {m.right}")
    print(f"share         {m.share:.3f}   (target >= {TARGET})")
    print(f"misses        {len(m.misses)}")
    for file, why in m.misses:
        print(f"  {file}: {why}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
