"""Real replies with quoted history: how many the agent reads right.

Prints the kind, the number of messages, how many have their new text read
right (no new text lost, no quoted text kept), the share, and each miss with
its reason. Asserts nothing (tests/test_real_quotes.py asserts per file).

    python bench/real_quotes.py
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.real_quotes import measure


def main() -> int:
    m = measure()
    print(f"kind: {m.kind}")
    print(f"messages: {m.total}")
    print(f"read right: {m.right}")
    print(f"share: {m.share:.1%}")
    print(f"misses: {len(m.misses)}")
    for miss in m.misses:
        print(f"  {miss.name}: {miss.reason}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
