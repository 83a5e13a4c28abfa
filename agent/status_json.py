"""The ``status --json`` objects (CONTRACT.md): one per tracked conversation, and one per
conversation in the review queue (``status --possible``). Pure."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from agent.actions import Action, Create
from agent.config import Config
from agent.model import Conversation
from agent.policy import Decision
from agent.records import ControlRow, LedgerRow
from agent.signals.verdict import SETTLE, Tracking
from agent.user_controls import mark_value

__all__ = ["possible_object", "status_object"]


def status_object(
    dec: Decision, config: Config, history: Sequence[LedgerRow] = (), plan: Sequence[Action] = (),
    controls: Sequence[ControlRow] = (),
) -> dict[str, Any]:
    """One element of ``status --json``, plus what became of our drafts."""
    nxt = None
    if dec.next is not None:
        nxt = {"kind": dec.next.kind, "due": dec.next.due.astimezone(config.account.tz).isoformat(),
               "to": dec.next.to}
    return {
        "thread": dec.conversation,
        "subject": dec.subject,
        "company": dec.company,
        "state": dec.state,
        "next": nxt,
        "reason": _reason(dec, history, plan),
        "snoozed_until": next((r.value for r in reversed(controls) if r.kind == "snooze"), None),
        "user_marks": [{"kind": r.kind, "value": mark_value(r), "at": r.at.isoformat()} for r in controls],
        "round": dec.round,
        "drafts": [{"step": r.step, "round": r.round, "status": r.status, "message_id": r.message_id,
                    "updated": r.updated_at.isoformat()} for r in history],
        "unusable_addresses": list(dec.unusable),
        "no_recipient": dec.no_recipient,
    }


def _reason(dec: Decision, history: Sequence[LedgerRow], plan: Sequence[Action]) -> str:
    """The decision's reason, and where its draft is: waiting in Drafts, written by this poll,
    or impossible for want of an address."""
    reason = dec.reason
    nxt = dec.next
    waiting = nxt is not None and any(r.status == "created" and r.step == nxt.kind and r.round == nxt.round
                                      for r in history)
    if waiting:
        reason += " The draft is waiting in Drafts for you to review and send."
    elif any(isinstance(a, Create) and a.conversation == dec.conversation for a in plan):
        reason += " It is due now: this poll writes the draft."
    if dec.no_recipient and nxt is not None:
        reason += f" No draft can be written: {dec.no_recipient}."
    return reason


def possible_object(conv: Conversation, tracking: Tracking, config: Config) -> dict[str, Any]:
    """One element of ``status --possible --json``: why the agent is unsure, and how to settle it."""
    dates = [m.date for m in conv.messages if m.date is not None]
    return {
        "thread": conv.id,
        "subject": conv.subject,
        "company": tracking.company,
        "reason": tracking.reason,
        "looks_like": tracking.looks_like,
        "messages": len(conv.messages),
        "last_message": max(dates).astimezone(config.account.tz).isoformat() if dates else None,
        "evidence": [{"kind": c.kind, "rule": c.name, "weight": c.weight, "quote": c.quote}
                     for c in sorted(tracking.cues, key=lambda c: -c.weight)[:8]],
        "settle": [cmd.format(thread=conv.id) for cmd in SETTLE],
    }
