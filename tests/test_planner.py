"""The planner on plain data: no store, no SQLite, no file, no mailbox.

Each test hands ``make_plan`` the decisions, the drafts found, the ledger rows,
the user's notes and the templates as values, and checks the typed actions it
returns. The ``no_io`` fixture makes any SQLite connection or file open fail,
so a planner that reached for the store or a template file would fail here.
"""

from __future__ import annotations

import builtins
import io
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from string import Template
from typing import Any

import pytest

from agent.actions import Adopt, Create, Label, Record, Withdraw, action_json
from agent.applying import plan_labels, waiting_drafts
from agent.drafts import Templates, draft_key, draft_message_id
from agent.existing_drafts import ExistingDraft
from agent.facts import Evidence, HumanReply, UserWrote
from agent.model import DraftInfo
from agent.planner import Drafts, make_plan
from agent.policy import CLOSED, FOLLOW_UP_1, OPEN, THANK_YOU, Decision, NextStep
from agent.records import LedgerRow
from tests.helpers import ME, conv, make_config, msg, t

CFG = make_config()
ROUND = "20261201T1800Z"
TEMPLATES: Templates = {
    THANK_YOU: Template("$greeting\n\nThank you for today's conversation about $topic.\n$note_paragraph\n"
                        "Best,\n$name\n"),
    FOLLOW_UP_1: Template("$greeting\n\nI wanted to follow up on $topic.\n$timeline_question\nBest,\n$name\n"),
}


@pytest.fixture(autouse=True)
def no_io(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Planning opens no database and reads no file."""

    def refuse(*_a: Any, **_k: Any) -> Any:
        raise AssertionError("the planner touched the disk")

    for target, name in ((sqlite3, "connect"), (builtins, "open"), (io, "open"), (Path, "open"),
                         (Path, "read_text"), (Path, "read_bytes")):
        monkeypatch.setattr(target, name, refuse)
    yield


def _thread() -> Any:
    first = msg("ann@acme.com", "Interview for the Platform Engineer role", "See you Tuesday.", t(11, 24, 9),
                mid="acme-1", name="Ann Park", thread_hint="T1")
    return conv(first, cid="c-acme")


def _decision(step: str = THANK_YOU, due: datetime | None = None, state: str = OPEN,
              reason: str = "Interview held; a thank-you is owed.", facts: Sequence[Any] = ()) -> Decision:
    nxt = NextStep(step, due or t(12, 1, 16), "ann@acme.com", ROUND)
    return Decision("c-acme", "Interview for the Platform Engineer role", "Acme", state,
                    nxt if state == OPEN else None, reason, round=ROUND, facts=tuple(facts))


def _row(step: str = THANK_YOU, status: str = "created", *, content_hash: str | None = "fp-ours",
         created: datetime | None = None, draft_id: str | None = "d-1") -> LedgerRow:
    key = draft_key("c-acme", ROUND, step)
    at = created or t(12, 1, 16, 5)
    return LedgerRow(key, "c-acme", ROUND, step, draft_message_id(key, CFG), draft_id, content_hash, status,
                     at, at, "")


def _ours(step: str = THANK_YOU, fp: str = "fp-ours", draft_id: str = "d-1") -> ExistingDraft:
    key = draft_key("c-acme", ROUND, step)
    return ExistingDraft(DraftInfo(draft_id, b"", "T1"), draft_message_id(key, CFG),
                         {"step": step, "round": ROUND, "conversation": "c-acme"}, frozenset({"<acme-1@x>"}), fp)


def _users_own() -> ExistingDraft:
    return ExistingDraft(DraftInfo("d-9", b"", "T1"), "<mine@x>", {}, frozenset({"<acme-1@x>"}), "fp-mine")


def plan(dec: Decision, *, drafts: Sequence[ExistingDraft] = (), rows: Sequence[LedgerRow] = (),
         note: str | None = None, now: datetime | None = None, thread: Any = None) -> list[Any]:
    return make_plan([(thread or _thread(), dec)], Drafts.of(drafts), {"c-acme": list(rows)},
                     {"c-acme": note} if note else {}, TEMPLATES, now or t(12, 1, 16, 5), CFG)


def test_a_due_step_is_created_in_the_templates_wording() -> None:
    [a] = plan(_decision())
    assert isinstance(a, Create) and (a.kind, a.step, a.to) == ("create", THANK_YOU, "ann@acme.com")
    assert a.key == draft_key("c-acme", ROUND, THANK_YOU) and a.draft.message_id == draft_message_id(a.key, CFG)
    assert "Thank you for today's conversation about the Platform Engineer role." in a.draft.body
    assert b"In-Reply-To: <acme-1@x>" in a.draft.data and a.draft.thread_hint == "T1"
    assert not a.note_used and action_json(a)["message_id"] == a.draft.message_id


def test_the_users_note_goes_into_the_draft_once() -> None:
    [a] = plan(_decision(), note="I also put together the migration plan we discussed.")
    assert isinstance(a, Create) and a.note_used
    assert "I also put together the migration plan we discussed." in a.draft.body


def test_nothing_before_the_step_is_due() -> None:
    assert plan(_decision(due=t(12, 1, 16, 6))) == []


def test_no_address_no_draft() -> None:
    dec = _decision()
    assert dec.next is not None
    assert plan(replace(dec, next=replace(dec.next, to=None))) == []


@pytest.mark.parametrize("status", ["sent", "user_deleted", "edited", "withdrawn"])
def test_a_step_made_once_is_never_made_again(status: str) -> None:
    assert plan(_decision(), rows=[_row(status=status)]) == []


def test_an_intent_without_an_outcome_is_written_again() -> None:
    """A crash after the intent and before the write: the draft is not there, so it is written."""
    assert [a.kind for a in plan(_decision(), rows=[_row(status="intended", draft_id=None)])] == ["create"]


def test_our_draft_from_an_interrupted_poll_is_adopted_not_written_twice() -> None:
    found = _ours()
    [a] = plan(_decision(), drafts=[found], rows=[_row(status="intended", draft_id=None)])
    assert isinstance(a, Adopt) and a.found is found and a.to == "ann@acme.com"


def test_the_users_own_draft_in_the_thread_holds_ours_back() -> None:
    assert plan(_decision(), drafts=[_users_own()]) == []


def test_a_waiting_draft_still_owed_is_left_alone() -> None:
    assert plan(_decision(), drafts=[_ours()], rows=[_row()]) == []


def test_a_draft_the_user_edited_is_theirs() -> None:
    [a] = plan(_decision(), drafts=[_ours(fp="fp-edited")], rows=[_row()])
    assert isinstance(a, Record) and a.status == "edited" and a.to is None


def test_a_draft_gone_after_the_user_wrote_was_sent() -> None:
    sent = msg(ME, "Re: Interview for the Platform Engineer role", "Thank you!", t(12, 1, 17), to="ann@acme.com",
               mid="me-1")
    thread = conv(*_thread().messages, sent, cid="c-acme")
    [a] = plan(_decision(FOLLOW_UP_1, due=t(12, 8, 9)), rows=[_row()], thread=thread, now=t(12, 1, 18))
    assert isinstance(a, Record) and (a.status, a.step) == ("sent", THANK_YOU)


def test_a_draft_gone_without_a_word_was_deleted_and_one_turned_into_the_users_own_was_edited() -> None:
    [deleted] = plan(_decision(), rows=[_row()])
    assert isinstance(deleted, Record) and deleted.status == "user_deleted"
    [edited] = plan(_decision(), rows=[_row()], drafts=[_users_own()])
    assert isinstance(edited, Record) and edited.status == "edited"


def test_a_draft_no_longer_owed_is_withdrawn_with_the_reason() -> None:
    answer = HumanReply(t(12, 1, 17), Evidence("<r@x>", "Thanks for coming in!", t(12, 1, 17)),
                        sender="ann@acme.com")
    dec = _decision(FOLLOW_UP_1, due=t(12, 8, 9), reason="The company answered.", facts=[answer])
    [a] = plan(dec, drafts=[_ours()], rows=[_row()], now=t(12, 1, 18))
    assert isinstance(a, Withdraw) and a.draft_id == "d-1"
    assert a.reason == "the company answered (ann@acme.com): the draft is no longer needed"
    closed = _decision(state=CLOSED, reason="They made an offer.")
    [b] = plan(closed, drafts=[_ours()], rows=[_row()])
    assert isinstance(b, Withdraw) and b.reason == "no longer owed: They made an offer."
    wrote = UserWrote(t(12, 1, 17), Evidence("<me@x>", "Just checking in", t(12, 1, 17)), to=("ann@acme.com",))
    [c] = plan(_decision(FOLLOW_UP_1, due=t(12, 8, 9), facts=[wrote]), drafts=[_ours()], rows=[_row()])
    assert isinstance(c, Withdraw) and c.reason.startswith("you wrote to them yourself")


def test_a_kept_edit_of_ours_holds_the_next_step_back() -> None:
    """The user edited our thank-you and has not sent it: no follow-up is written beside it."""
    edited = _row(status="edited")
    assert plan(_decision(FOLLOW_UP_1, due=t(12, 1, 16)), rows=[edited], drafts=[_ours(fp="fp-edited")]) == []


def test_drafts_are_found_by_message_id_then_by_id() -> None:
    ours = _ours()
    drafts = Drafts.of([ours, _users_own()])
    assert drafts.find(ours.message_id) is ours and drafts.find("<gone@x>", "d-1") is ours
    assert drafts.find("<gone@x>", None) is None and drafts.find("<gone@x>", "d-404") is None


def test_the_planner_takes_every_input_as_a_value() -> None:
    """Same inputs, same plan: nothing read from anywhere else in between."""
    once = plan(_decision(), note="A note.")
    again = plan(_decision(), note="A note.")
    assert once == again and once[0].draft.data == again[0].draft.data


# --- the "queued" label, planned on values too ----------------------------------------------


def test_the_queued_label_goes_on_new_messages_and_comes_off_only_where_the_agent_put_it() -> None:
    waiting = {"c-acme": frozenset({"m1", "m2", "m3"}), "c-new": frozenset({"n1"})}
    labelled = {"c-acme": frozenset({"m1"}), "c-done": frozenset({"d1", "d2"})}
    changes = plan_labels(waiting, labelled, "Follow-up/Queued")
    assert changes == [Label("c-acme", "Follow-up/Queued", ("m2", "m3"), True),
                       Label("c-new", "Follow-up/Queued", ("n1",), True),
                       Label("c-done", "Follow-up/Queued", ("d1", "d2"), False)]
    assert plan_labels({"c-acme": frozenset({"m1"})}, {"c-acme": frozenset({"m1"})}, "Q") == []


def test_a_conversation_waits_while_a_draft_of_ours_is_on_record_as_created() -> None:
    history = {"c-acme": [_row()], "c-sent": [_row(status="sent")]}
    decided = [("c-acme", frozenset({"m1"})), ("c-sent", frozenset({"s1"})), ("c-none", frozenset({"x"}))]
    assert waiting_drafts(decided, history) == {"c-acme": frozenset({"m1"})}
