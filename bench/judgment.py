"""Judgment on the labeled corpus: precision and recall of tracking, drafts to look-alikes.

Prints figures beside their targets; asserts nothing (tests/test_judgment.py
asserts each conversation's label).

    python bench/judgment.py [--keep DIR] [--list]

Every conversation of tests/corpus/judgment/ goes into one Maildir, the agent
polls once at 2026-12-15 10:00 America/New_York (drafts written), and each
conversation's outcome is compared with its label:

* precision = recruiting tracked / all tracked; recall = recruiting tracked /
  recruiting. A recruiting conversation left *possible* (for review, no
  draft) counts as missed.
* drafts to look-alikes: drafts created in conversations that are not the
  user's job search (target: none).
* company names: recruiting conversations whose shown company is the name
  the company writes (the manifest's), compared case-insensitively.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections import defaultdict
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.judgment_corpus import Expectation, expectations, load
from tests.judgment_run import POSSIBLE, TRACKED, Outcome, evaluate

TARGET_PRECISION = 0.97
TARGET_RECALL = 0.97


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--keep", type=Path, help="build the mailbox here and keep it")
    ap.add_argument("--list", action="store_true", help="list every conversation, not only the wrong ones")
    args = ap.parse_args()
    convs = load()
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        outcomes = evaluate(convs, args.keep)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            outcomes = evaluate(convs, Path(tmp))
    _summary(outcomes)
    _table(outcomes)
    _companies(outcomes)
    _standing(outcomes, expectations(), everything=args.list)
    _listing(outcomes, everything=args.list)
    return 0


def _summary(outcomes: list[Outcome]) -> None:
    rec = [o for o in outcomes if o.conv.recruiting]
    look = [o for o in outcomes if not o.conv.recruiting]
    tp = sum(o.verdict == TRACKED for o in rec)
    fp = sum(o.verdict == TRACKED for o in look)
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / len(rec) if rec else 1.0
    drafts = sum(len(o.drafts) for o in look)
    drafted = sum(bool(o.drafts) for o in look)
    mixed = sum(bool(o.mixed_with) for o in rec) + sum(
        any(f.startswith("recruiting/") for f in o.mixed_with) for o in look)
    print(f"corpus: {len(rec)} recruiting conversations, {len(look)} look-alikes "
          f"({sum(len(o.conv.messages) for o in outcomes)} messages)")
    print(f"precision of tracking   {precision:6.3f}   (target >= {TARGET_PRECISION})   {tp} right, {fp} look-alikes tracked")
    print(f"recall of tracking      {recall:6.3f}   (target >= {TARGET_RECALL})   "
          f"{len(rec) - tp} missed ({sum(o.verdict == POSSIBLE for o in rec)} left for review)")
    print(f"drafts to look-alikes   {drafts:6d}   (target 0)   in {drafted} conversations")
    print(f"look-alikes for review  {sum(o.verdict == POSSIBLE for o in look):6d}   (possible: no draft, listed)")
    print(f"conversations mixed     {mixed:6d}   (target 0: a recruiting conversation joined with another)")
    print(f"recruiting drafts       {sum(len(o.drafts) for o in rec):6d}")
    print()


def _table(outcomes: list[Outcome]) -> None:
    rows: dict[tuple[str, str], list[Outcome]] = defaultdict(list)
    for o in outcomes:
        rows[(o.conv.label, o.conv.category)].append(o)
    print(f"{'label':10} {'category':16} {'n':>3} {'tracked':>8} {'possible':>9} {'ignored':>8} {'drafts':>7} {'right':>6}")
    for (label, category), os_ in sorted(rows.items()):
        n = len(os_)
        print(f"{label:10} {category:16} {n:3d} {sum(o.verdict == TRACKED for o in os_):8d} "
              f"{sum(o.verdict == POSSIBLE for o in os_):9d} {sum(o.verdict not in (TRACKED, POSSIBLE) for o in os_):8d} "
              f"{sum(len(o.drafts) for o in os_):7d} {sum(o.right for o in os_):6d}")
    print()


def _companies(outcomes: list[Outcome]) -> None:
    rec = [o for o in outcomes if o.conv.recruiting and o.verdict == TRACKED]
    right = [o for o in rec if o.conv.company and any(c.casefold() == o.conv.company.casefold() for c in o.companies)]
    print(f"company names as written: {len(right)} of {len(rec)} tracked recruiting conversations")
    for o in rec:
        if o not in right:
            print(f"  {o.conv.file}: shown {list(o.companies)}, written {o.conv.company!r}")
    print()


def _standing(outcomes: list[Outcome], expected: dict[str, Expectation], *, everything: bool) -> None:
    """Where each annotated recruiting conversation stands, against a person's reading of it."""
    pairs = [(o, expected[o.conv.file]) for o in outcomes if o.conv.file in expected and o.verdict == TRACKED]
    if not pairs:
        return
    n = len(pairs)
    same_step = [(o, e) for o, e in pairs if o.standing and o.standing[:2] == (e.state, e.next)]
    same_due = [(o, e) for o, e in same_step if o.standing and o.standing[2] == e.due]
    near = [(o, e) for o, e in same_step if o.standing and _within(o.standing[2], e.due, 60)]
    held = [(o, e) for o, e in pairs if e.interview]
    seen = [(o, e) for o, e in held if o.standing and _within(o.standing[3], e.interview, 60)]
    print(f"where conversations stand, against a person's reading ({n} annotated, tracked):")
    print(f"  same state and next step   {len(same_step):4d} of {n}")
    print(f"  ... and due the same minute {len(same_due):3d}   (within an hour: {len(near)})")
    print(f"  interview held, found      {len(seen):4d} of {len(held)}   (its start within an hour)")
    for o, e in pairs:
        if everything or (o, e) not in same_due:
            got = o.standing or ("?", "?", None, None)
            print(f"  {'ok ' if (o, e) in same_due else 'DIFF'} {o.conv.file}")
            print(f"        agent:  {got[0]} {got[1]} {got[2] or ''} (interview {got[3] or 'unknown'})")
            print(f"        person: {e.state} {e.next} {e.due or ''} (interview {e.interview or 'none'}; "
                  f"{e.confidence}) {e.why[:150]}")
    print()


def _within(a: str | None, b: str | None, minutes: int) -> bool:
    if a is None or b is None:
        return a == b
    da, db = datetime.fromisoformat(a), datetime.fromisoformat(b)
    return abs((da - db).total_seconds()) <= minutes * 60


def _listing(outcomes: list[Outcome], *, everything: bool) -> None:
    print("conversations judged wrong:" if not everything else "every conversation:")
    for o in outcomes:
        if everything or not o.right or (o.mixed_with and o.conv.recruiting):
            mark = "ok " if o.right else "BAD"
            print(f"  {mark} {o.conv.file} [{o.verdict}] {o.conv.note}")
            for r in o.reasons:
                print(f"        {r[:220]}")
            if o.drafts:
                print(f"        drafts: {', '.join(o.drafts)}")
            if o.mixed_with:
                print(f"        threaded with: {', '.join(o.mixed_with)}")


if __name__ == "__main__":
    raise SystemExit(main())
