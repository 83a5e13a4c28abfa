"""``status`` as text: the table of tracked conversations and the review queue.

Its own module because the command line and the demo both print them. The
objects are the ones ``status --json`` prints (CONTRACT.md), so the text and
the JSON can never say different things.
"""

from __future__ import annotations

from typing import Any, TextIO


def write_table(objs: list[dict[str, Any]], out: TextIO) -> None:
    """One row per tracked conversation (what is owed next, when, to whom), its subject and reason below."""
    if not objs:
        out.write("No recruiting conversations found.\n")
        return
    rows = [("THREAD", "COMPANY", "STATE", "NEXT", "DUE", "TO")]
    for o in objs:
        n = o["next"] or {}
        state = o["state"] + (f" (snoozed to {o['snoozed_until'][:10]})" if o.get("snoozed_until") else "")
        rows.append((o["thread"], (o["company"] or "?")[:24], state, n.get("kind", "-"),
                     n.get("due", "-")[:16].replace("T", " "), n.get("to") or "-"))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for i, r in enumerate(rows):
        out.write("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() + "\n")
        if i:
            out.write(f"    {objs[i - 1]['subject'][:70]} — {objs[i - 1]['reason']}\n")


def write_possible(objs: list[dict[str, Any]], out: TextIO) -> None:
    """The review queue: each unsure conversation, why, and the two commands that settle it."""
    out.write(f"Possible, not tracked ({len(objs)}): no drafts until you say which they are.\n")
    for o in objs:
        when = (o.get("last_message") or "")[:10] or "undated"
        out.write(f"  {o['thread']}  {when}  {(o['company'] or '?')[:24]}  {o['subject'][:60]}\n")
        out.write(f"    why: {o['reason']}\n")
        out.write(f"    settle: {o['settle'][0]}   or   {o['settle'][1]}\n")
