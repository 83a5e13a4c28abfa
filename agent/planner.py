"""The plan: what is owed, compared with the drafts that exist and the ledger. Pure.

Everything comes in as values (the decisions, the drafts described, each
conversation's ledger rows and the user's note, the templates), so planning
needs no store, no file and no clock of its own: tests/test_planner.py runs
it on plain data.

Two questions per conversation:

1. What became of each draft we made (:func:`_outcomes`): the user sent it,
   edited it, deleted it, or it is no longer owed and is withdrawn.
2. Is a draft due now (:func:`_due`) that is not there yet (:func:`_write`): it is created,
   or adopted when an interrupted poll had written it already. A step made
   once is never made again, whatever became of it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from agent.actions import Action, Adopt, Create, Record, Withdraw
from agent.config import Config
from agent.draft_ids import draft_key, draft_message_id
from agent.existing_drafts import ExistingDraft
from agent.facts import HumanReply, Offer, Rejection, UserWrote
from agent.model import Conversation
from agent.policy import OPEN, Decision, NextStep
from agent.records import LedgerRow

if TYPE_CHECKING:
    from agent.drafts import Templates

__all__ = ["Drafts", "make_plan"]


@dataclass(frozen=True)
class Drafts:
    """The drafts in the mailbox, found by Message-ID and by id."""

    all: tuple[ExistingDraft, ...]
    by_message_id: Mapping[str, ExistingDraft]
    by_id: Mapping[str, ExistingDraft]

    @classmethod
    def of(cls, existing: Iterable[ExistingDraft]) -> Drafts:
        drafts = tuple(existing)
        return cls(drafts, {d.message_id: d for d in drafts}, {d.info.id: d for d in drafts})

    def find(self, message_id: str, draft_id: str | None = None) -> ExistingDraft | None:
        """The draft with ``message_id``, else the one with ``draft_id``."""
        found = self.by_message_id.get(message_id)
        return found or (self.by_id.get(draft_id) if draft_id is not None else None)

    def users_own_in(self, conv: Conversation) -> bool:
        """A draft of the user's own (no marker of ours) answering this conversation."""
        ids, hints = _ids(conv)
        return any(not d.marker and (d.refs & ids or (d.info.thread_hint and d.info.thread_hint in hints))
                   for d in self.all)

    def ours_for(self, conv: Conversation, nxt: NextStep, message_id: str) -> ExistingDraft | None:
        """Our draft for this step and round: by its Message-ID, or by its marker in this thread."""
        ids, hints = _ids(conv)
        return self.find(message_id) or next(
            (d for d in self.all if d.marker.get("step") == nxt.kind and d.marker.get("round") == nxt.round
             and (d.refs & ids or d.info.thread_hint in hints)), None)


def make_plan(
    decisions: Iterable[tuple[Conversation, Decision]],
    drafts: Drafts,
    ledger: Mapping[str, Sequence[LedgerRow]],
    notes: Mapping[str, str],
    templates: Templates,
    now: datetime,
    config: Config,
) -> list[Action]:
    """The actions that bring the mailbox and the ledger in line with what is owed at ``now``."""
    plan: list[Action] = []
    for conv, dec in decisions:
        rows = ledger.get(conv.id, ())
        plan += _outcomes(conv, dec, rows, drafts, config)
        nxt = _due(conv, dec, rows, now)
        if nxt is not None:
            plan += _write(conv, dec, nxt, rows, drafts, notes.get(conv.id), templates, now, config)
    return plan


def _owed_key(conv: Conversation, dec: Decision) -> str | None:
    """The ledger key of the step owed in this round, if the conversation is open and owes one."""
    nxt = dec.next
    return draft_key(conv.id, nxt.round, nxt.kind) if dec.state == OPEN and nxt is not None else None


def _outcomes(conv: Conversation, dec: Decision, rows: Sequence[LedgerRow], drafts: Drafts,
              config: Config) -> list[Action]:
    """What became of each draft we made and that is still on record as waiting."""
    out: list[Action] = []
    owed_key = _owed_key(conv, dec)
    user_wrote_at = [m.date for m in conv.messages if config.identity.is_user(m.from_) and m.date]
    for row in rows:
        if row.status != "created":
            continue
        here = drafts.find(row.message_id, row.draft_id)
        if here is None:
            out.append(_gone(conv, row, drafts, user_wrote_at))
        elif here.fingerprint != row.content_hash:
            out.append(Record(conv.id, row.key, "you edited it: it is yours now, never touched", row.step, "edited"))
        elif not _still_owed(row, dec, owed_key):
            out.append(Withdraw(conv.id, row.key, _withdraw_reason(dec), row.step, here.info.id))
    return out


def _gone(conv: Conversation, row: LedgerRow, drafts: Drafts, user_wrote_at: list[datetime]) -> Record:
    """A draft of ours that is no longer in Drafts: sent, turned into the user's own, or deleted."""
    if any(t >= row.created_at for t in user_wrote_at):
        return Record(conv.id, row.key, "you sent it (or wrote yourself)", row.step, "sent")
    if drafts.users_own_in(conv):
        return Record(conv.id, row.key, "you edited it into a draft of your own", row.step, "edited")
    return Record(conv.id, row.key, "you deleted it: it will not be written again", row.step, "user_deleted")


def _still_owed(row: LedgerRow, dec: Decision, owed_key: str | None) -> bool:
    nxt = dec.next
    return row.key == owed_key or (
        nxt is not None and dec.state == OPEN and row.round == nxt.round and row.step == nxt.kind)


def _due(conv: Conversation, dec: Decision, rows: Sequence[LedgerRow], now: datetime) -> NextStep | None:
    """The owed step if it is due, never made before in this round, and has an address."""
    nxt = dec.next
    if _owed_key(conv, dec) is None or nxt is None or nxt.due > now:
        return None
    if any(r.round == nxt.round and r.step == nxt.kind for r in rows if r.status != "intended"):
        return None  # made once already: sent, deleted, edited or withdrawn are all final
    return nxt if nxt.to is not None else None  # status explains: no usable address


def _write(conv: Conversation, dec: Decision, nxt: NextStep, rows: Sequence[LedgerRow], drafts: Drafts,
           note: str | None, templates: Templates, now: datetime, config: Config) -> list[Action]:
    """The due step written: adopted when an interrupted poll wrote it already, else created,
    unless the user is writing in this conversation (a draft of their own, or one of ours they
    edited and kept)."""
    assert nxt.to is not None  # _due gives only steps with an address
    key = draft_key(conv.id, nxt.round, nxt.kind)
    ours = drafts.ours_for(conv, nxt, draft_message_id(key, config))
    if ours is not None:
        return [Adopt(conv.id, key, "found our draft from an earlier, interrupted poll", nxt.kind, nxt.to, ours)]
    if drafts.users_own_in(conv):
        return []
    if any(r.status == "edited" and drafts.find(r.message_id, r.draft_id) is not None for r in rows):
        return []
    # imported only when a draft is written: composing loads the languages and the signal readers
    from agent.drafts import compose

    draft = compose(conv, dec, nxt, now, config, note=note, templates=templates)
    return [Create(conv.id, key, dec.reason, nxt.kind, nxt.to, draft, note_used=bool(note))]


def _ids(conv: Conversation) -> tuple[set[str], set[str]]:
    """The conversation's Message-IDs and the backend's thread ids of its messages."""
    return {m.message_id for m in conv.messages}, {m.thread_hint for m in conv.messages if m.thread_hint}


def _withdraw_reason(dec: Decision) -> str:
    facts = [f for f in dec.facts if isinstance(f, HumanReply | UserWrote | Rejection | Offer)]
    if dec.state != OPEN:
        return f"no longer owed: {dec.reason}"
    if facts and isinstance(facts[-1], HumanReply):
        return f"the company answered ({facts[-1].sender}): the draft is no longer needed"
    if facts and isinstance(facts[-1], UserWrote):
        return "you wrote to them yourself: the draft is no longer needed"
    return f"no longer owed: {dec.reason}"
