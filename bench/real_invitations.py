"""Real calendar invitations: how many events the agent reads right on arrival.

Prints the figures (kind, messages, events, read right, share) and each miss
with what was read wrong; asserts nothing (tests/test_real_invitations.py
asserts each event).

    python bench/real_invitations.py
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.real_invitations import measure


def main() -> int:
    m = measure()
    print(f"kind: invitations  messages: {m.files}  events: {m.total}  read right: {m.right}  share: {m.share:.1%}")
    for miss in m.misses:
        print(f"  miss {miss.key}: {miss.reason}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
