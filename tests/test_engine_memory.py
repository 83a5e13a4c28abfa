"""The engine over the in-memory mailbox and an in-memory state: no disk, no server.

The crash and idempotency cases of tests/test_engine.py (there on Maildir and a
state file), here on :mod:`agent.backends.memory`, which behaves like an IMAP
server (header blocks first, bodies on ``fetch``, an edited draft under a new
id, flags and labels, UIDVALIDITY) so the same promises are checked where
the draft ids move. Plus what only a server can do: labels the agent sets,
keywords the user sets, a UIDVALIDITY change, a history too short for the
cursor, aliases.

The state is SQLite in memory (``agent.store.Store.in_memory``: an empty
database with the full schema, nothing on disk). A "crash"
is an exception out of ``engine.poll``: every transaction it was in is rolled
back, as a killed process's would be, and the next poll uses the same
connection, where a restarted process would open the file again.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from email import message_from_bytes
from email.utils import format_datetime
from typing import Any

import pytest

from agent import engine, syncing
from agent.backends.memory import MemoryMailbox, MemoryServer, StoredMessage
from agent.config import Config
from agent.model import ALL, DRAFTS, INBOX, SENT, Message, RawMessage
from agent.samples import ics, message
from agent.store import Store
from tests.helpers import make_config, mid_of, t

ME = "Jordan Lee <jordan.lee@gmail.com>"
ANN = "Ann Park <ann.park@acme.com>"
SUBJECT = "Interview for the Platform Engineer role"


def memory_state() -> Store:
    """An empty state database in memory (see the module docstring)."""
    return Store.in_memory()


class Env:
    """One interview conversation on a memory server, a state in memory, and the user's hands."""

    def __init__(self, config: Config | None = None, server: MemoryServer | None = None) -> None:
        self.config = config or make_config()
        self.server = server or MemoryServer()
        self.state = memory_state()
        inv = ics("Interview: Jordan Lee / Acme", t(12, 1, 13), t(12, 1, 14), organizer="ann.park@acme.com",
                  attendee="jordan.lee@gmail.com")
        self.invitation = self.server.deliver(INBOX, message(
            ANN, ME, SUBJECT, "Hi Jordan, the invitation is attached. We hope to decide by the end of "
            "the month.\n\nAnn", t(11, 24, 9), "acme-1@acme.com", calendar=inv))

    def poll(self, now: datetime, *, mailbox: MemoryMailbox | None = None) -> engine.PollResult:
        return engine.poll(self.config, mailbox or MemoryMailbox(self.server), self.state, now)

    def drafts(self) -> list[StoredMessage]:
        return self.server.messages(DRAFTS)

    def draft_steps(self) -> list[str]:
        out = []
        for d in self.drafts():
            marker = message_from_bytes(d.data).get("X-Followup-Agent", "")
            out.append(next((x.split("=")[1] for x in marker.split("; ") if x.startswith("step=")), "user"))
        return out

    def reply(self, when: datetime, text: str = "Thanks Jordan, we'll be in touch.", n: int = 2) -> str:
        return self.server.deliver(INBOX, message(ANN, ME, "Re: " + SUBJECT, text, when, f"acme-{n}@acme.com",
                                                  in_reply_to="acme-1@acme.com"))

    def user_sends_draft(self, when: datetime) -> None:
        """The user sends the one draft: it leaves Drafts and a copy lands in Sent."""
        [draft] = self.drafts()
        sent = message_from_bytes(draft.data)
        del sent["Date"]
        sent["Date"] = format_datetime(when)
        self.server.deliver(SENT, sent.as_bytes())
        self.server.delete(draft.id)


@pytest.fixture
def env() -> Iterator[Env]:
    e = Env()
    try:
        yield e
    finally:
        e.state.close()


def kinds(result: engine.PollResult) -> list[tuple[str, str | None]]:
    return [(a.kind, a.step) for a in result.plan]


# --- idempotency: one draft, whatever happens around it ------------------------------------


def test_thank_you_created_once(env: Env) -> None:
    assert env.poll(t(12, 1, 15)).plan == []  # due 16:00
    assert kinds(env.poll(t(12, 1, 16, 5))) == [("create", "thank_you")]
    for _ in range(2):
        assert env.poll(t(12, 1, 17)).plan == []
    [draft] = env.drafts()
    headers = message_from_bytes(draft.data)
    assert headers["In-Reply-To"] == "<acme-1@acme.com>" and headers["To"] == "ann.park@acme.com"
    assert headers["Subject"] == "Re: " + SUBJECT
    assert "\\Draft" in draft.flags


def test_crash_after_create_before_record_adopts(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*_a: object, **_k: object) -> None:
        raise RuntimeError("power cut")

    monkeypatch.setattr(Store, "record_created", boom)
    with pytest.raises(RuntimeError):
        env.poll(t(12, 1, 16, 5))
    monkeypatch.undo()
    assert env.draft_steps() == ["thank_you"]
    r = env.poll(t(12, 1, 16, 10))
    assert [a.kind for a in r.plan] == ["adopt"]
    assert env.draft_steps() == ["thank_you"]
    assert env.poll(t(12, 1, 16, 20)).plan == []
    assert r.history[r.decisions[0].conversation][0].status == "created"


def test_crash_before_create_creates_exactly_one(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*_a: object, **_k: object) -> str:
        raise OSError("connection reset")

    monkeypatch.setattr(MemoryMailbox, "create_draft", boom)
    with pytest.raises(OSError):
        env.poll(t(12, 1, 16, 5))
    monkeypatch.undo()
    assert env.draft_steps() == []
    assert [row.status for row in env.state.ledger_rows()] == ["intended"]
    assert kinds(env.poll(t(12, 1, 16, 10))) == [("create", "thank_you")]
    assert env.draft_steps() == ["thank_you"]


def test_a_failed_write_mid_plan_keeps_what_was_done(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    """The draft written before the failure is on record as created, the failed one only as
    intended, and the next poll writes exactly the missing draft."""
    inv = ics("Interview: Jordan Lee / Globex", t(12, 1, 11), t(12, 1, 12), organizer="bo@globex.com",
              attendee="jordan.lee@gmail.com")
    env.server.deliver(INBOX, message("Bo Chen <bo@globex.com>", ME, "Interview for the Data Engineer role",
                                      "Hi Jordan, see the invitation.\n\nBo", t(11, 24, 10), "globex-1@globex.com",
                                      calendar=inv))
    real = MemoryMailbox.create_draft
    calls: list[int] = []

    def second_fails(self: MemoryMailbox, data: bytes, thread_hint: str | None = None) -> str:
        calls.append(1)
        if len(calls) == 2:
            raise OSError("connection reset")
        return real(self, data, thread_hint)

    monkeypatch.setattr(MemoryMailbox, "create_draft", second_fails)
    with pytest.raises(OSError):
        env.poll(t(12, 1, 16, 5))
    monkeypatch.undo()
    assert len(env.drafts()) == 1
    assert sorted(r.status for r in env.state.ledger_rows()) == ["created", "intended"]
    [created] = env.state.ledger_rows({"created"})  # the one draft written, recorded as it was written
    assert message_from_bytes(env.drafts()[0].data)["Message-ID"] == created.message_id
    assert kinds(env.poll(t(12, 1, 16, 10))) == [("create", "thank_you")]
    assert env.draft_steps() == ["thank_you", "thank_you"]
    assert env.poll(t(12, 1, 16, 20)).plan == []


def test_lost_state_does_not_duplicate_drafts(env: Env) -> None:
    env.poll(t(12, 1, 16, 5))
    env.state.close()
    env.state = memory_state()
    assert [a.kind for a in env.poll(t(12, 1, 17)).plan] == ["adopt"]
    assert env.draft_steps() == ["thank_you"]


def test_a_changed_uidvalidity_resyncs_and_keeps_the_draft(env: Env) -> None:
    """Every id changes (a server migration): the next poll is a full resync, the draft is
    recognised by its Message-ID under its new id, and nothing is written twice."""
    env.poll(t(12, 1, 16, 5))
    [before] = env.drafts()
    env.server.renumber()
    [after] = env.drafts()
    assert after.id != before.id and after.data == before.data
    assert MemoryMailbox(env.server).changes(env.state.get_cursor("memory")).full
    r = env.poll(t(12, 1, 16, 10))
    assert [a.kind for a in r.plan if a.kind in ("create", "withdraw")] == []
    assert env.draft_steps() == ["thank_you"]
    assert env.poll(t(12, 1, 16, 20)).plan == []


# --- the user always wins -------------------------------------------------------------------


def test_deleted_draft_is_never_recreated(env: Env) -> None:
    env.poll(t(12, 1, 16, 5))
    [draft] = env.drafts()
    env.server.delete(draft.id)
    assert [(a.kind, a.status) for a in env.poll(t(12, 1, 17)).plan] == [("record", "user_deleted")]
    for now in (t(12, 2, 9), t(12, 3, 9)):
        env.poll(now)
        assert env.draft_steps() == []


def test_edited_draft_is_never_touched(env: Env) -> None:
    """An edit is a new draft id here (as on IMAP): still the agent's draft, now the user's words."""
    env.poll(t(12, 1, 16, 5))
    [draft] = env.drafts()
    edited = env.server.replace_draft(draft.id, draft.data.replace(b"Best regards", b"Warmly"))
    assert b"Warmly" in env.server.messages(DRAFTS)[0].data
    assert [(a.kind, a.status) for a in env.poll(t(12, 1, 17)).plan] == [("record", "edited")]
    env.reply(t(12, 1, 18))
    assert env.poll(t(12, 1, 19)).plan == []
    assert [d.id for d in env.drafts()] == [edited]


def test_human_reply_withdraws_a_waiting_thank_you(env: Env) -> None:
    env.poll(t(12, 1, 16, 5))
    env.reply(t(12, 1, 16, 30), "Thanks for coming in today, Jordan! We'll be in touch.")
    r = env.poll(t(12, 1, 17))
    assert kinds(r) == [("withdraw", "thank_you")]
    assert env.drafts() == [] and r.status[0]["next"] is None
    assert env.poll(t(12, 2, 9)).plan == []  # withdrawn is final: never written again


def test_sent_draft_counts_and_next_step_follows(env: Env) -> None:
    env.poll(t(12, 1, 16, 5))
    env.user_sends_draft(t(12, 1, 16, 30))
    r = env.poll(t(12, 1, 17))
    assert [(a.kind, a.status) for a in r.plan] == [("record", "sent")]
    assert r.status[0]["next"]["kind"] == "follow_up_1"
    assert r.status[0]["next"]["due"] == "2026-12-08T09:00:00-05:00"
    r = env.poll(t(12, 8, 9, 30))
    assert kinds(r) == [("create", "follow_up_1")] and env.draft_steps() == ["follow_up_1"]
    env.reply(t(12, 8, 11))
    r = env.poll(t(12, 8, 12))
    assert kinds(r) == [("withdraw", "follow_up_1")] and "answered" in r.plan[0].reason
    assert env.drafts() == [] and env.poll(t(12, 9, 12)).plan == []


def test_a_pause_keyword_set_by_the_user_holds_the_draft(env: Env) -> None:
    """IMAP keywords are the user's labels on a server without labels."""
    env.poll(t(12, 1, 15))
    env.server.set_flags(env.invitation, {"\\Seen", env.config.labels.pause})
    r = env.poll(t(12, 1, 16, 5))
    assert r.plan == [] and env.drafts() == []
    env.server.set_flags(env.invitation, {"\\Seen"})
    assert kinds(env.poll(t(12, 1, 16, 10))) == [("create", "thank_you")]


# --- reading changes nothing; a dry run writes nothing ------------------------------------------


def test_reading_changes_nothing_in_the_mailbox(env: Env) -> None:
    env.reply(t(11, 25), "see you")
    before = env.server.snapshot()
    env.poll(t(12, 1, 9))
    env.poll(t(12, 1, 10))
    assert env.server.snapshot() == before


def test_dry_run_writes_nothing(env: Env) -> None:
    before = env.server.snapshot()
    with memory_state() as throwaway:  # what the CLI gives a dry run: a copy of the state
        r = engine.poll(env.config, MemoryMailbox(env.server), throwaway, t(12, 1, 16, 5), dry_run=True)
    assert kinds(r) == [("create", "thank_you")]
    assert env.server.snapshot() == before
    assert kinds(env.poll(t(12, 1, 16, 5))) == [("create", "thank_you")]


def test_warm_poll_parses_nothing_already_read(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    env.poll(t(12, 1, 9))
    calls: list[str] = []
    real = syncing.parse_message

    def counting(raw: RawMessage, *a: Any, **k: Any) -> Message:
        if raw.folder != "drafts":
            calls.append(raw.id)
        return real(raw, *a, **k)

    monkeypatch.setattr(syncing, "parse_message", counting)
    env.poll(t(12, 1, 10))
    assert calls == []
    reply = env.reply(t(12, 1, 10, 30))
    r = env.poll(t(12, 1, 11))
    assert calls == [reply, reply]  # the new message's headers, then its body (a candidate conversation)
    assert r.stats["bodies_fetched"] == 1


# --- what only a server does --------------------------------------------------------------------


def test_a_history_too_short_for_the_cursor_means_a_full_resync() -> None:
    """The server remembers two deletions; three happen between polls. The next poll is told
    everything again, and the state forgets exactly the deleted mail."""
    env = Env(server=MemoryServer(history=2))
    try:
        strangers = [env.server.deliver(INBOX, message(f"Shop {i} <news@shop{i}.example>", ME, f"Sale {i}",
                                                       "Everything must go.", t(11, 20 + i), f"sale-{i}@shop.example"))
                     for i in range(3)]
        first = env.poll(t(11, 25, 9))
        assert first.stats["added"] == 4
        assert env.state.message_ids() == {env.invitation, *strangers}
        for mid in strangers:
            env.server.delete(mid)
        cursor = env.state.get_cursor("memory")
        assert MemoryMailbox(env.server).changes(cursor).full
        env.poll(t(11, 25, 10))
        assert env.state.message_ids() == {env.invitation}
        assert kinds(env.poll(t(12, 1, 16, 5))) == [("create", "thank_you")]
    finally:
        env.state.close()


def test_the_queued_label_follows_the_waiting_draft_on_the_server() -> None:
    """With labels on, the conversation's messages carry ``Follow-up/Queued`` exactly while the
    agent's draft waits; the user's own labels stay; the labels coming back in the next sync
    change nothing."""
    env = Env(config=make_config(imap={"labels": True}))
    try:
        assert env.config.write_labels
        queued = env.config.labels.queued
        env.server.set_labels(env.invitation, {"Jobs"})
        env.poll(t(12, 1, 15))
        assert env.server.get(env.invitation).labels == {"Jobs"}  # type: ignore[union-attr]
        assert kinds(env.poll(t(12, 1, 16, 5))) == [("create", "thank_you")]
        assert env.server.get(env.invitation).labels == {"Jobs", queued}  # type: ignore[union-attr]
        assert [d.labels for d in env.drafts()] == [frozenset()]
        assert env.poll(t(12, 1, 16, 10)).plan == []
        env.user_sends_draft(t(12, 1, 16, 30))
        assert [(a.kind, a.status) for a in env.poll(t(12, 1, 17)).plan] == [("record", "sent")]
        assert env.server.get(env.invitation).labels == {"Jobs"}  # type: ignore[union-attr]
        assert [m.labels for m in env.server.messages(SENT)] == [frozenset()]
        assert env.poll(t(12, 1, 18)).plan == []
    finally:
        env.state.close()


def test_the_users_thank_you_from_an_alias_counts_as_theirs() -> None:
    """A thank-you the user wrote from an address the server knows as theirs (Gmail's sendAs)
    is theirs: the thank-you step is done and the first follow-up is next. Unknown, the same
    message reads as someone else answering the company."""
    def status(aliases: tuple[str, ...]) -> dict[str, Any]:
        env = Env(server=MemoryServer(aliases=aliases))
        try:
            env.server.deliver(ALL, message("Jordan Lee <jordan@lee.example>", ANN, "Re: " + SUBJECT,
                                            "Thank you for today, Ann.\n\nJordan", t(12, 1, 15),
                                            "thanks-1@lee.example", in_reply_to="acme-1@acme.com"))
            r = env.poll(t(12, 1, 16, 5))
            assert r.plan == []
            [one] = r.status
            return one
        finally:
            env.state.close()

    known = status(("jordan@lee.example",))
    assert known["next"]["kind"] == "follow_up_1" and known["next"]["due"] == "2026-12-08T09:00:00-05:00"
    unknown = status(())
    assert unknown["next"] is None and "jordan@lee.example answered" in unknown["reason"]


def test_drafts_go_into_the_conversations_server_thread() -> None:
    env = Env(server=MemoryServer())
    try:
        env.server.delete(env.invitation)
        inv = ics("Interview: Jordan Lee / Acme", t(12, 1, 13), t(12, 1, 14), organizer="ann.park@acme.com",
                  attendee="jordan.lee@gmail.com")
        env.server.deliver(INBOX, message(ANN, ME, SUBJECT, "Hi Jordan, the invitation is attached.\n\nAnn",
                                          t(11, 24, 9), "acme-1@acme.com", calendar=inv), thread="T-acme")
        [create] = [a for a in env.poll(t(12, 1, 16, 5)).plan if a.kind == "create"]
        assert create.draft is not None and create.draft.thread_hint == "T-acme"
        [draft] = env.drafts()
        assert draft.thread == "T-acme" and mid_of(draft.data) == create.draft.message_id
    finally:
        env.state.close()
