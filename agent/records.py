"""The state's records as the pure core reads them: the drafts ledger and the user's corrections.

The store (agent/store.py) reads and writes these rows; the planner, the policy's
controls and the status are handed them as plain frozen values, so none of
them needs the store, SQLite or a file to be tested.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class LedgerRow:
    """One draft the agent intended or made, and what became of it."""

    key: str
    conversation: str
    round: str
    step: str
    message_id: str
    draft_id: str | None
    content_hash: str | None
    status: str
    created_at: datetime
    updated_at: datetime
    reason: str


@dataclass(frozen=True)
class ControlRow:
    """One standing correction of the user's (pause, snooze, close, mark, note)."""

    seq: int
    conversation: str
    kind: str
    value: str
    at: datetime
