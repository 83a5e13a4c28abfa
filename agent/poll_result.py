"""What one poll found and did: :class:`PollResult`, shared by the engine, the quick poll
(agent/quick_poll.py), the command line and the service.

Kept apart from agent/engine.py so that a poll which finds nothing new can
answer without importing the engine and the pipeline behind it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from agent.actions import Action
    from agent.config import Config
    from agent.model import Conversation
    from agent.notify import DraftNotice
    from agent.policy import Decision
    from agent.records import LedgerRow
    from agent.signals.verdict import Tracking

__all__ = ["PollResult"]


@dataclass
class PollResult:
    now: datetime
    decisions: list[Decision]
    plan: list[Action]  # agent/actions.py
    applied: bool
    stats: dict[str, Any] = field(default_factory=dict)
    untracked: list[tuple[Conversation, Tracking]] = field(default_factory=list)
    conversations: dict[str, Conversation] = field(default_factory=dict)
    status: list[dict[str, Any]] = field(default_factory=list)  # status --json, one per decision
    history: dict[str, list[LedgerRow]] = field(default_factory=dict)  # drafts per conversation
    #: the config the poll ran with: the given one plus the server's aliases of the user
    config: Config | None = None
    #: status --possible: conversations that might be the job search but are not tracked
    possible: list[dict[str, Any]] = field(default_factory=list)
    #: every candidate's tracking verdict with its evidence (for ``explain``)
    tracking: dict[str, Tracking] = field(default_factory=dict)
    #: the drafts the user was told about (a dry run: would be told about; agent/notify.py)
    notices: list[DraftNotice] = field(default_factory=list)
    #: the earliest moment after ``now`` at which the same mail and state could be decided
    #: otherwise (the decisions' ``changes_at``, the server's aliases asked again); None: none
    #: is known. Only what new mail or the user does can change the result before it.
    steady_until: datetime | None = None
