"""The user's standing instructions for a conversation, read into the policy's ``Controls``.

Two sources, and the user wins through either: the corrections given on the
command line (rows of the state: pause, snooze, close, mark, note) and the
labels (or IMAP keywords) the user puts on the mail. Pure: the rows come in as
values, so nothing here opens the store.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from agent.config import Config
from agent.facts import Deadline, DeadlineStated, Evidence, Fact, Interview
from agent.marks import forced_recruiting, mark_fields
from agent.model import Conversation
from agent.policy import Controls
from agent.records import ControlRow

__all__ = ["controls_from", "forced_recruiting", "mark_value"]


def controls_from(rows: Sequence[ControlRow], conv: Conversation, config: Config) -> Controls:
    """The controls of ``conv`` from its rows (oldest first) and the labels on its messages."""
    latest = {r.kind: r for r in rows}
    labels = frozenset().union(*(m.labels for m in conv.messages))
    lc = config.labels
    snooze = latest.get("snooze")
    notes = [r.value for r in rows if r.kind == "note"]
    marks = [r for r in rows if r.kind == "mark"]
    closed = latest["close"].value or "closed" if "close" in latest else None
    closed_by = "you closed it"
    if closed is None and lc.done in labels:
        closed, closed_by = "done", f"the label {lc.done!r}"
    return Controls(
        paused="pause" in latest or lc.pause in labels,
        paused_by="you paused it" if "pause" in latest else f"the label {lc.pause!r}",
        closed=closed,
        closed_by=closed_by,
        snoozed_until=datetime.fromisoformat(snooze.value) if snooze and snooze.value else None,
        note=notes[-1] if notes else None,
        recruiting=_recruiting(marks),
        marks=tuple(f for r in marks if (f := _marked_fact(r, config)) is not None),
    )


def mark_value(r: ControlRow) -> Any:
    """A control's value as ``status --json`` shows it: a mark decoded, anything else as stored."""
    if r.kind == "mark":
        try:
            return json.loads(r.value)
        except ValueError:
            return r.value
    return r.value


def _recruiting(marks: Sequence[ControlRow]) -> bool | None:
    """The user's last word on whether this is a recruiting conversation, if any."""
    said = [bool(m.get("value")) for m in map(mark_fields, marks) if m.get("what") == "recruiting"]
    return said[-1] if said else None


def _marked_fact(r: ControlRow, config: Config) -> Fact | None:
    """The fact a mark states (an interview held, a timeline given), or None for other marks."""
    mark = mark_fields(r)
    evidence = Evidence("(your mark)", f"you marked it on {r.at:%Y-%m-%d}", r.at)
    if mark.get("what") == "interviewed":
        start = datetime.fromisoformat(mark["start"])
        end = datetime.fromisoformat(mark["end"]) if mark.get("end") else \
            start + config.policy.interview_default_length
        return Interview(end, evidence, start=start, end=end, source="mark", summary="marked interview")
    if mark.get("what") == "timeline":
        by = date.fromisoformat(mark["by"])
        return DeadlineStated(r.at, evidence, deadline=Deadline(by, f"by {by:%B} {by.day}"))
    return None
