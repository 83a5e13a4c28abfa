"""Faults between the agent and a real Dovecot: the next poll always ends with exactly the right drafts.

The agent talks to Dovecot through :class:`tests.tcp_proxy.TcpProxy`, which
cuts the connection at a chosen point of the IMAP conversation: in the middle
of the header FETCH of ``changes()``, in the middle of a body FETCH, in the
middle of an APPEND literal (the server stores nothing), right after the
server stored an APPEND but before the client heard the OK (the server has
the draft, the client cannot know). Dovecot is also restarted in the middle
of a poll, and folders are rebuilt under a new UIDVALIDITY between polls.

Every test runs the real engine and Store on two interview conversations
(calendar invitations from :mod:`agent.samples`, both thank-you notes due)
among list mail and personal mail, and ends with :meth:`Env.assert_right_drafts`:
the Drafts folder holds exactly the drafts a fault-free run writes (same
Message-IDs, recipients and text), one per owed step, none twice, none
missing, and the ledger points at them. The backend's reconnect backoff uses
a no-op sleep (ImapMailbox's ``sleep``), so nothing here waits.
"""

from __future__ import annotations

import email
from collections.abc import Iterator
from datetime import datetime, timedelta
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

import pytest

from agent import engine
from agent.backends.imap import ImapMailbox
from agent.config import Config
from agent.errors import MailboxError
from agent.samples import ics, message
from agent.store import Store
from tests.dovecot import DovecotServer, DovecotUser
from tests.helpers import make_config, t
from tests.tcp_proxy import Fault, TcpProxy

ME = "Jordan Lee <jordan.lee@gmail.com>"
NOW = t(12, 1, 16, 5)  # Acme's interview ended at 14:00, Globex's at 11:00: both thank-yous due

# client lines (tagged commands) the faults key on
HEADER_FETCH = rb"^\S+ UID FETCH .*HEADER\.FIELDS"
BODY_FETCH = rb"^\S+ UID FETCH .*BODY\.PEEK\[\]"
APPEND = rb"^\S+ APPEND "
APPENDED = rb"\S+ OK \[APPENDUID"


def mail() -> list[tuple[str, bytes]]:
    """(folder, bytes): two interviews among everyday mail."""
    out: list[tuple[str, bytes]] = []
    acme = ics("Interview: Jordan Lee / Acme", t(12, 1, 13), t(12, 1, 14), organizer="ann.park@acme.com",
               attendee="jordan.lee@gmail.com")
    out.append(("INBOX", message("Ann Park <ann.park@acme.com>", ME, "Interview for the Platform Engineer role",
                                 "Hi Jordan, the invitation is attached. We hope to decide by the end of the "
                                 "month.\n\nAnn", t(11, 24, 9), "acme-1@acme.com", calendar=acme)))
    out.append(("Sent", message(ME, "raj@globex.com", "Staff engineer opening",
                                "Hi Raj, I'd love to talk about the opening.", t(11, 20, 10), "me-1@gmail.com")))
    globex = ics("Interview: Jordan Lee / Globex", t(12, 1, 10), t(12, 1, 11), organizer="raj@globex.com",
                 attendee="jordan.lee@gmail.com")
    out.append(("INBOX", message("Raj Patel <raj@globex.com>", ME, "Re: Staff engineer opening",
                                 "Great, here is an invitation for Tuesday.\n\nRaj", t(11, 21, 9), "globex-1@globex.com",
                                 in_reply_to="me-1@gmail.com", calendar=globex)))
    base = t(11, 1, 8)
    for i in range(15):
        when = base + timedelta(hours=7 * i)
        if i % 3:
            out.append(("INBOX", message(f"News {i} <news@list{i % 4}.example>", ME, f"Weekly digest #{i}",
                                         "Lorem ipsum dolor sit amet. " * 20, when, f"n{i}@list.example",
                                         headers={"List-Id": f"<list{i % 4}.example>",
                                                  "List-Unsubscribe": "<https://list.example/u>"})))
        else:
            out.append(("INBOX", message(f"Sam <sam{i}@yahoo.com>", ME, f"Dinner {i}?", "Are you coming?", when,
                                         f"p{i}@yahoo.com")))
    return out


def _draft_view(data: bytes) -> tuple[str, ...]:
    m = email.message_from_bytes(data, policy=default_policy)
    body = m.get_body(("plain",))
    text = body.get_content() if body is not None else ""
    heads = ("Message-ID", "To", "Subject", "In-Reply-To", "X-Followup-Agent")
    return (*(str(m.get(h, "")) for h in heads), text.strip())


class Env:
    """One Dovecot user with the mail above, a state database, and a proxy the agent goes through."""

    def __init__(self, server: DovecotServer, user: DovecotUser, root: Path) -> None:
        self.server = server
        self.user = user
        self.config: Config = make_config(root)
        self.state = self.config.state.path
        self.proxy = TcpProxy(server.host, server.port)
        self.sleeps: list[float] = []
        for folder in ("INBOX", "Sent"):  # one MULTIAPPEND each: a quick set-up
            user.admin.multiappend(folder, [data for f, data in mail() if f == folder])

    def mailbox(self, attempts: int = 5) -> ImapMailbox:
        return ImapMailbox(self.user.imap_config(port=self.proxy.port), lambda: self.user.password,
                           sleep=self.sleeps.append, attempts=attempts)

    def poll(self, now: datetime = NOW, *, attempts: int = 5) -> engine.PollResult:
        mb = self.mailbox(attempts)
        try:
            with Store.open(self.state) as store:
                return engine.poll(self.config, mb, store, now)
        finally:
            mb.close()

    def drafts(self) -> list[bytes]:
        """The Drafts folder as the server has it (the admin connection: not through the proxy)."""
        c = self.user.admin
        c.select_folder("Drafts", readonly=True)
        uids = sorted(c.search(["NOT", "DELETED"]))
        got = c.fetch(uids, ["BODY.PEEK[]"]) if uids else {}
        c.unselect_folder()
        return [got[u][b"BODY[]"] for u in uids]

    def ledger(self) -> list[Any]:
        with Store.open(self.state) as store:
            return store.ledger_rows()

    def assert_right_drafts(self, expected: list[tuple[str, ...]]) -> None:
        drafts = sorted(_draft_view(d) for d in self.drafts())
        assert drafts == expected  # the same drafts as a fault-free run: none twice, none missing
        created = [r for r in self.ledger() if r.status == "created"]
        assert sorted(r.message_id for r in created) == [d[0] for d in drafts]
        ids = {f"drafts/{self.user.uidvalidity('Drafts')}/{u}" for u in self.user.uids("Drafts")}
        assert {r.draft_id for r in created} == ids  # the ledger points at the drafts that exist
        # and a poll now changes nothing
        assert self.poll(NOW + timedelta(minutes=10)).plan == []
        assert sorted(_draft_view(d) for d in self.drafts()) == expected

    def close(self) -> None:
        self.proxy.close()


@pytest.fixture(scope="module")
def expected(dovecot: DovecotServer, tmp_path_factory: pytest.TempPathFactory) -> list[tuple[str, ...]]:
    """The drafts a fault-free poll writes over this mail (through the proxy: it is transparent)."""
    user = dovecot.add_user()
    env = Env(dovecot, user, tmp_path_factory.mktemp("reference"))
    try:
        r = env.poll()
        assert sorted(a.kind for a in r.plan) == ["create", "create"]
        assert env.proxy.connections == 1 and env.sleeps == []
        drafts = sorted(_draft_view(d) for d in env.drafts())
        assert len(drafts) == 2
        assert all("step=thank_you" in d[4] for d in drafts)
        assert {d[1] for d in drafts} == {"ann.park@acme.com", "raj@globex.com"}
        return drafts
    finally:
        env.close()
        user.close()


@pytest.fixture(autouse=True)
def one_append_a_draft(monkeypatch: pytest.MonkeyPatch) -> None:
    """These faults cut one APPEND among the poll's: each draft is saved by its own APPEND here.
    Several saved by one MULTIAPPEND have their own faults in tests/test_batch_drafts.py."""
    monkeypatch.setattr(ImapMailbox, "_multiappends", lambda _self, _c: False)


@pytest.fixture
def env(dovecot: DovecotServer, dovecot_user: DovecotUser, tmp_path: Path) -> Iterator[Env]:
    e = Env(dovecot, dovecot_user, tmp_path)
    try:
        yield e
    finally:
        e.close()


def kinds(result: engine.PollResult) -> list[str]:
    return sorted(a.kind for a in result.plan)


# --- cut mid-FETCH ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "cut_at"),
    [(HEADER_FETCH, 3000), (BODY_FETCH, 700)],
    ids=["changes-header-fetch", "fetch-bodies"],
)
def test_cut_mid_fetch_is_retried_within_the_poll(
    env: Env, expected: list[tuple[str, ...]], command: bytes, cut_at: int
) -> None:
    fault = env.proxy.arm(Fault(command=command, reply_bytes=cut_at))
    r = env.poll()
    assert fault.cuts == 1 and env.proxy.connections == 2  # cut once, reconnected once
    assert len(env.sleeps) == 1  # one backoff (a no-op here)
    assert kinds(r) == ["create", "create"]
    env.assert_right_drafts(expected)


@pytest.mark.parametrize(
    ("command", "cut_at"),
    [(HEADER_FETCH, 3000), (BODY_FETCH, 700)],
    ids=["changes-header-fetch", "fetch-bodies"],
)
def test_cut_mid_fetch_that_fails_the_poll_leaves_nothing_half_done(
    env: Env, expected: list[tuple[str, ...]], command: bytes, cut_at: int
) -> None:
    fault = env.proxy.arm(Fault(command=command, reply_bytes=cut_at))
    with pytest.raises(MailboxError, match="Lost the connection"):
        env.poll(attempts=1)  # no retry: the poll itself fails
    assert fault.cuts == 1
    assert env.drafts() == [] and env.ledger() == []
    with Store.open(env.state) as store:
        assert store.get_cursor("imap") is None  # the next poll starts over
    r = env.poll()
    assert kinds(r) == ["create", "create"]
    env.assert_right_drafts(expected)


# --- cut mid-APPEND ------------------------------------------------------------------------


def test_cut_mid_append_literal_stores_nothing_and_the_retry_appends_once(
    env: Env, expected: list[tuple[str, ...]]
) -> None:
    # the second draft's APPEND: its line and 200 bytes of the literal reach Dovecot, then the cut
    fault = env.proxy.arm(Fault(command=APPEND, request_bytes=200, skip=1))
    r = env.poll()
    assert fault.cuts == 1 and kinds(r) == ["create", "create"]
    assert len(env.proxy.commands("APPEND")) == 3  # two drafts + one retry of the cut one
    env.assert_right_drafts(expected)


def test_cut_after_the_server_stored_the_append_does_not_duplicate(
    env: Env, expected: list[tuple[str, ...]]
) -> None:
    # Dovecot stores the draft and answers OK [APPENDUID ..]; the answer never arrives. The retry
    # finds the draft by its Message-ID (SEARCH before APPEND) instead of appending it again.
    fault = env.proxy.arm(Fault(command=APPEND, reply=APPENDED))
    r = env.poll()
    assert fault.cuts == 1 and kinds(r) == ["create", "create"]
    assert len(env.proxy.commands("APPEND")) == 2  # no second APPEND of the cut one
    assert any(b"SEARCH" in line and b"Message-ID" in line for line in env.proxy.commands("SEARCH")
               + env.proxy.commands("UID"))
    env.assert_right_drafts(expected)


@pytest.mark.parametrize("landed", [True, False], ids=["stored", "not-stored"])
def test_append_cut_that_fails_the_poll_is_settled_by_the_next_one(
    env: Env, expected: list[tuple[str, ...]], landed: bool
) -> None:
    """No retry within the poll: the engine's intent record and deterministic Message-ID settle it."""
    fault = env.proxy.arm(Fault(command=APPEND, reply=APPENDED) if landed
                          else Fault(command=APPEND, request_bytes=200))
    with pytest.raises(MailboxError, match="Lost the connection"):
        env.poll(attempts=1)
    assert fault.cuts == 1
    assert len(env.drafts()) == (1 if landed else 0)
    # every intent is on record before the first write (engine.apply_plan); no outcome yet
    assert [r.status for r in env.ledger()] == ["intended", "intended"]
    r = env.poll()
    # stored: the draft is found by its Message-ID and adopted; not stored: it is written now
    assert kinds(r) == (["adopt", "create"] if landed else ["create", "create"])
    assert len(env.proxy.commands("APPEND")) == (2 if landed else 3)
    env.assert_right_drafts(expected)


# --- Dovecot restarted mid-poll ----------------------------------------------------------------


@pytest.mark.parametrize(
    "command", [HEADER_FETCH, BODY_FETCH, APPEND], ids=["during-changes", "during-fetch", "during-append"],
)
def test_dovecot_restarted_mid_poll(env: Env, expected: list[tuple[str, ...]], command: bytes) -> None:
    """The command is held, Dovecot restarts (dropping every session), the backend reconnects."""
    fault = env.proxy.arm(Fault(command=command, action=env.server.restart))
    r = env.poll()
    assert fault.cuts == 1 and env.proxy.connections == 2
    assert kinds(r) == ["create", "create"]
    env.assert_right_drafts(expected)


def test_dovecot_restart_that_fails_the_poll(env: Env, expected: list[tuple[str, ...]]) -> None:
    fault = env.proxy.arm(Fault(command=APPEND, skip=1, action=env.server.restart))
    with pytest.raises(MailboxError):
        env.poll(attempts=1)
    assert fault.cuts == 1 and len(env.drafts()) == 1
    assert sorted(r.status for r in env.ledger()) == ["created", "intended"]
    assert kinds(env.poll()) == ["create"]  # the first was recorded; the second is written now
    env.assert_right_drafts(expected)


# --- UIDVALIDITY changed between polls -----------------------------------------------------------


@pytest.mark.parametrize("drafts_too", [False, True], ids=["inbox-and-sent", "drafts-too"])
def test_uidvalidity_change_between_polls(env: Env, expected: list[tuple[str, ...]], drafts_too: bool) -> None:
    """The folders are rebuilt with the same messages (a server migration); the agent's drafts stay."""
    assert kinds(env.poll()) == ["create", "create"]
    before = env.poll(NOW + timedelta(minutes=1))
    assert before.plan == [] and before.stats["full_sync"] is False
    ledger = env.ledger()
    folders = ["INBOX", "Sent"] + (["Drafts"] if drafts_too else [])
    old = {f: env.user.uidvalidity(f) for f in folders}
    for folder in folders:
        env.user.rebuild(folder, None if folder == "INBOX" else f"\\{folder}")
    assert all(env.user.uidvalidity(f) != old[f] for f in folders)
    after = env.poll(NOW + timedelta(minutes=1))
    assert after.stats["full_sync"] is True and after.stats["added"] == len(mail())
    assert after.plan == []  # nothing created, adopted, withdrawn or recorded
    assert after.status == before.status  # the conversations' state is exactly what it was
    assert {c: [m.message_id for m in v.messages] for c, v in after.conversations.items()} == {
        c: [m.message_id for m in v.messages] for c, v in before.conversations.items()}
    kept = [(r.key, r.status, r.message_id, r.content_hash) for r in env.ledger()]
    assert kept == [(r.key, r.status, r.message_id, r.content_hash) for r in ledger]
    if drafts_too:
        # the ledger's draft ids name UIDs of the old Drafts folder; the drafts are found by
        # Message-ID, and a draft id is refreshed by nothing but a new write, so compare ids loosely
        assert sorted(_draft_view(d) for d in env.drafts()) == expected
        assert env.poll(NOW + timedelta(minutes=10)).plan == []
        return
    env.assert_right_drafts(expected)
