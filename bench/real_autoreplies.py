"""Real automatic replies: how many the agent reads right on arrival.

Prints the figures (kind, messages, read right, share, misses); asserts
nothing (tests/test_real_autoreplies.py asserts each file).

    python bench/real_autoreplies.py
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.real_autoreplies import measure


def main() -> int:
    m = measure()
    print(f"kind: automatic replies  messages: {m.total}  read right: {m.right}  share: {m.share:.1%}")
    people = m.total - m.automatic
    print(f"  of which automatic: {m.automatic} ({m.automatic_right} right); "
          f"people's replies kept apart: {people} ({m.right - m.automatic_right} right)")
    for name, why in m.misses:
        print(f"  miss: {name}: {why}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
