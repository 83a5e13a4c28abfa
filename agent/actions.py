"""What a poll plans to do, one frozen type per kind of action.

The planner (agent/planner.py) returns these; the applier (agent/applying.py)
matches them by type. ``kind`` is only the name the log, ``poll --json`` and
``explain`` print (CONTRACT.md): nothing decides by it.

- :class:`Create`: write the owed draft into Drafts.
- :class:`Adopt`: the owed draft is already there (an earlier poll was cut
  short after writing it): record it instead of writing it again.
- :class:`Withdraw`: a draft of ours, untouched by the user, is no longer owed.
- :class:`Record`: what the user did with a draft of ours (sent, edited,
  deleted): a ledger entry, nothing in the mailbox.
- :class:`Label`: put or take the "queued" label on a conversation's messages.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

if TYPE_CHECKING:  # types only: a plan that writes nothing needs neither module
    from agent.drafts import Draft
    from agent.existing_drafts import ExistingDraft

__all__ = ["Action", "Adopt", "Create", "Label", "Record", "Withdraw", "action_json", "describe_action"]


@dataclass(frozen=True)
class _Step:
    """What every draft action names: the conversation, the ledger key, the step, and why."""

    kind: ClassVar[str]
    conversation: str
    key: str
    reason: str
    step: str

    @property
    def to(self) -> str | None:
        """The recipient, for the actions that have one."""
        return None


@dataclass(frozen=True)
class Create(_Step):
    kind: ClassVar[str] = "create"
    recipient: str
    draft: Draft
    note_used: bool = False  # the user's note went into this draft (used once, then cleared)

    @property
    def to(self) -> str:
        return self.recipient


@dataclass(frozen=True)
class Adopt(_Step):
    kind: ClassVar[str] = "adopt"
    recipient: str
    found: ExistingDraft

    @property
    def to(self) -> str:
        return self.recipient


@dataclass(frozen=True)
class Withdraw(_Step):
    kind: ClassVar[str] = "withdraw"
    draft_id: str


@dataclass(frozen=True)
class Record(_Step):
    kind: ClassVar[str] = "record"
    status: str  # the ledger status to set: sent, edited or user_deleted


Action = Create | Adopt | Withdraw | Record


@dataclass(frozen=True)
class Label:
    """Put (``present``) or take ``label`` on the messages ``ids`` of one conversation."""

    conversation: str
    label: str
    ids: tuple[str, ...]
    present: bool


def describe_action(a: Action) -> str:
    """What ``a`` does, in words, for ``poll``'s text output."""
    match a:
        case Create():
            return f"create a {a.step} draft to {a.to}"
        case Withdraw():
            return f"withdraw the {a.step} draft"
        case Adopt():
            return f"adopt the existing {a.step} draft"
        case Record():
            return f"note that {a.reason}"


def action_json(a: Action) -> dict[str, Any]:
    """One element of ``poll --json``'s ``actions`` (CONTRACT.md)."""
    return {"action": a.kind, "thread": a.conversation, "step": a.step, "to": a.to, "reason": a.reason,
            "message_id": a.draft.message_id if isinstance(a, Create) else None}
