"""``pipeline``'s three outputs: a table for a terminal, CSV for a spreadsheet, JSON for scripts.

All three print the same columns from the same :class:`agent.pipeline.Row` values, so they
can never disagree. Subjects, names and dates only: the rows hold no message text.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any, TextIO

from agent.pipeline import Row

__all__ = ["COLUMNS", "row_object", "write_csv", "write_json", "write_text"]

#: The JSON keys and CSV header, in order (stable: scripts and spreadsheets rely on them).
COLUMNS = ("company", "role", "stage", "round", "first_contact", "last_company_message", "last_user_message",
           "interviews_held", "interview_dates", "days_to_first_reply", "rejected_after_round", "next_step",
           "next_due", "subject", "conversation")


def _iso(dt: datetime | None) -> str | None:
    return None if dt is None else dt.isoformat()


def row_object(r: Row) -> dict[str, Any]:
    """One row as ``pipeline --json`` prints it (ISO 8601 times with their offset)."""
    return {
        "company": r.company, "role": r.role, "stage": r.stage, "round": r.round,
        "first_contact": _iso(r.first_contact), "last_company_message": _iso(r.last_company),
        "last_user_message": _iso(r.last_user), "interviews_held": len(r.interviews),
        "interview_dates": [d.isoformat() for d in r.interviews],
        "days_to_first_reply": r.days_to_first_reply, "rejected_after_round": r.rejected_after_round,
        "next_step": r.next_step, "next_due": _iso(r.next_due), "subject": r.subject,
        "conversation": r.conversation,
    }


def write_json(rows: Sequence[Row], out: TextIO) -> None:
    """One JSON array, one object per conversation."""
    out.write(json.dumps([row_object(r) for r in rows], indent=2, ensure_ascii=False) + "\n")


def write_csv(rows: Sequence[Row], out: TextIO) -> None:
    """RFC 4180 (CRLF line ends, fields quoted where needed) with a header row; the caller
    writes it as UTF-8. Lists are joined with "; " so that each row stays one record."""
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow(COLUMNS)
    for r in rows:
        obj = row_object(r)
        obj["interview_dates"] = "; ".join(obj["interview_dates"])
        w.writerow(["" if obj[c] is None else obj[c] for c in COLUMNS])


def _day(dt: datetime | None) -> str:
    return "-" if dt is None else f"{dt:%Y-%m-%d}"


def _stage(r: Row) -> str:
    if r.stage == "interviewing" and r.round:
        return f"interviewing (round {r.round})"
    if r.stage == "rejected" and r.rejected_after_round is not None:
        return f"rejected (after round {r.rejected_after_round})" if r.rejected_after_round else "rejected"
    return r.stage


def write_text(rows: Sequence[Row], out: TextIO) -> None:
    """A table that fits a terminal: one line per conversation, its subject and id below it."""
    if not rows:
        out.write("No recruiting conversations in the state (run `followup-agent poll --once` first).\n")
        return
    table = [("COMPANY", "ROLE", "STAGE", "FIRST", "LAST THEM", "LAST YOU", "INT", "REPLY", "NEXT")]
    for r in rows:
        nxt = f"{r.next_step} {r.next_due:%Y-%m-%d %H:%M}" if r.next_step and r.next_due else "-"
        reply = "-" if r.days_to_first_reply is None else f"{r.days_to_first_reply:g}d"
        table.append(((r.company or "?")[:22], (r.role or "-")[:28], _stage(r), _day(r.first_contact),
                      _day(r.last_company), _day(r.last_user), str(len(r.interviews)), reply, nxt))
    widths = [max(len(t[i]) for t in table) for i in range(len(table[0]))]
    for i, t in enumerate(table):
        out.write("  ".join(c.ljust(w) for c, w in zip(t, widths, strict=True)).rstrip() + "\n")
        if i:
            out.write(f"    {rows[i - 1].subject[:70]}  [{rows[i - 1].conversation}]\n")
    out.write(f"\n{len(rows)} conversation{'s' if len(rows) != 1 else ''}.\n")
