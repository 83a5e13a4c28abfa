"""Every IMAP extension the backend uses has a fallback, proven on a Dovecot that really lacks it.

Each server here is configured with ``imap_capability`` (tests/dovecot.py
``dovecot_without``) to advertise everything Dovecot has except the
extensions named, so the backend's choice comes from the server's CAPABILITY
reply, as it would on Courier or an old Cyrus. The agent talks through a
recording proxy (tests/tcp_proxy.py), so a test can check which commands it
really sent: none that the server did not offer.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import pytest

from agent.backends.imap import ImapMailbox
from tests.dovecot import DovecotServer, DovecotUser
from tests.tcp_proxy import TcpProxy

#: what is hidden → the command words that would betray relying on it
HIDDEN = {
    "UIDPLUS": [b"UID EXPUNGE"],
    "CONDSTORE QRESYNC": [b"CHANGEDSINCE", b"MODSEQ", b"HIGHESTMODSEQ"],
    "ENABLE": [b"ENABLE"],
    "UNSELECT": [b"UNSELECT"],
    "MOVE": [b"MOVE"],
    "IDLE": [b"IDLE"],
}


def message(subject: str) -> tuple[str, bytes]:
    mid = f"<{uuid.uuid4().hex}@acme.example>"
    return mid, (
        f"From: Sam <sam@acme.example>\r\nTo: jordan@example.org\r\nSubject: {subject}\r\n"
        f"Date: Mon, 02 Nov 2026 10:00:00 +0000\r\nMessage-ID: {mid}\r\n\r\nHello\r\n"
    ).encode()


def draft(mid: str | None = None) -> bytes:
    head = f"Message-ID: {mid}\r\n" if mid else ""
    return (f"From: jordan@example.org\r\nTo: sam@acme.example\r\nSubject: Re: Interview\r\n{head}"
            f"X-Followup-Agent: test\r\n\r\nThank you! {uuid.uuid4().hex}\r\n").encode()


class Env:
    """A fresh user on a Dovecot without ``hidden``, reached through a recording proxy."""

    def __init__(self, server: DovecotServer, hidden: str) -> None:
        self.server = server
        self.hidden = hidden
        self.user: DovecotUser = server.add_user()
        self.proxy = TcpProxy(server.host, server.port)
        self.mailbox = ImapMailbox(self.user.imap_config(port=self.proxy.port), lambda: self.user.password,
                                   sleep=lambda _s: None)

    def sent(self) -> bytes:
        return b"\n".join(self.proxy.lines).upper()

    def close(self) -> None:
        self.mailbox.close()
        self.proxy.close()
        self.user.close()


@pytest.fixture(params=sorted(HIDDEN))
def env(request: pytest.FixtureRequest, dovecot_without: Callable[[str], DovecotServer]) -> Iterator[Env]:
    server = dovecot_without(request.param)
    server.start()
    e = Env(server, request.param)
    try:
        yield e
    finally:
        e.close()


def test_the_server_really_lacks_it_and_the_agent_sends_none_of_it(env: Env) -> None:
    caps = {c.decode().upper() for c in env.mailbox.capabilities}
    assert not caps & set(env.hidden.split())
    assert "IMAP4REV1" in caps
    # a whole round of work: sync, change, drafts, labels
    inbox = [message(f"m{i}") for i in range(3)]
    for _mid, data in inbox:
        env.user.deliver("INBOX", data)
    first = env.mailbox.changes(None)
    assert len(first.added) == 3
    env.user.deliver("INBOX", message("new")[1])
    env.user.expunge("INBOX", [min(env.user.uids("INBOX"))])
    later = env.mailbox.changes(first.cursor)
    assert [m.data.count(b"Subject: new") for m in later.added] == [1]
    assert len(later.removed) == 1 and not later.full
    a, b = env.mailbox.create_draft(draft(f"<a-{uuid.uuid4().hex}@f>")), env.mailbox.create_draft(draft())
    assert a != b and {d.id for d in env.mailbox.drafts()} == {a, b}
    env.mailbox.delete_draft(a)
    assert [d.id for d in env.mailbox.drafts()] == [b]
    env.mailbox.set_label([m.id for m in later.added], "Follow-up/Pause", True)
    assert env.mailbox.idle_wait(0) is False
    assert env.mailbox.fingerprint() == env.mailbox.fingerprint()
    sent = env.sent()
    for word in HIDDEN[env.hidden]:
        assert word not in sent, f"{word!r} sent to a server without {env.hidden}"


def test_without_uidplus_a_draft_is_never_confused_with_the_users(
        dovecot_without: Callable[[str], DovecotServer]) -> None:
    e = Env(dovecot_without("UIDPLUS"), "UIDPLUS")
    try:
        mid = f"<d-{uuid.uuid4().hex}@followup-agent>"
        ours = e.mailbox.create_draft(draft(mid))
        # the user's own drafts saved after ours: one whose Message-ID contains ours, one that
        # differs in case only (SEARCH HEADER matches both), one without a Message-ID
        e.user.deliver("Drafts", draft(mid.replace("<", "<x")), flags=(b"\\Draft",))
        e.user.deliver("Drafts", draft(mid.upper()), flags=(b"\\Draft",))
        e.user.deliver("Drafts", draft(), flags=(b"\\Draft",))
        found = e.mailbox._run("finding", lambda c, _a: e.mailbox._find_draft(c, "Drafts", mid))
        assert found == ours
        # a draft without a Message-ID is found by its bytes, not as "the newest"
        plain = draft()
        e.user.deliver("Drafts", draft(), flags=(b"\\Draft",))
        mine = e.mailbox.create_draft(plain)
        assert [d.data.replace(b"\r\n", b"\n") for d in e.mailbox.drafts() if d.id == mine] == \
            [plain.replace(b"\r\n", b"\n")]
    finally:
        e.close()


def test_without_uidplus_deleting_a_draft_never_expunges_the_users_deleted_mail(
        dovecot_without: Callable[[str], DovecotServer]) -> None:
    e = Env(dovecot_without("UIDPLUS"), "UIDPLUS")
    try:
        alone = e.mailbox.create_draft(draft())
        e.mailbox.delete_draft(alone)  # only ours is \Deleted: a plain EXPUNGE is safe
        assert e.user.uids("Drafts") == []
        theirs = e.user.deliver("Drafts", draft(), flags=(b"\\Draft", b"\\Deleted"))
        ours = e.mailbox.create_draft(draft())
        e.mailbox.delete_draft(ours)
        # the user's \Deleted draft is still there (their client decides when to expunge);
        # ours is left \Deleted, which every client hides, and no longer listed
        assert theirs in e.user.uids("Drafts")
        assert e.mailbox.drafts() == []
        assert len(e.proxy.commands("EXPUNGE")) == 1  # the first deletion's, when ours was alone
    finally:
        e.close()


def test_without_condstore_flag_changes_are_unseen_but_new_and_removed_are(
        dovecot_without: Callable[[str], DovecotServer]) -> None:
    e = Env(dovecot_without("CONDSTORE QRESYNC"), "CONDSTORE QRESYNC")
    try:
        for i in range(3):
            e.user.deliver("INBOX", message(f"m{i}")[1])
        first = e.mailbox.changes(None)
        uids = e.user.uids("INBOX")
        e.user.set_flags("INBOX", [uids[0]], [b"Follow-up/Pause"])
        flagged = e.mailbox.changes(first.cursor)
        # documented: without CONDSTORE a flag change is not noticed (no cheap way to see it)
        assert (flagged.added, flagged.removed, flagged.full) == ((), (), False)
        e.user.expunge("INBOX", [uids[1]])
        e.user.deliver("INBOX", message("new")[1])
        later = e.mailbox.changes(flagged.cursor)
        assert len(later.added) == 1 and len(later.removed) == 1 and not later.full
    finally:
        e.close()


@pytest.mark.parametrize("hidden", ["CONDSTORE QRESYNC", "MOVE"])
def test_a_draft_flagged_deleted_and_left_there_moves_the_fingerprint(
        hidden: str, dovecot_without: Callable[[str], DovecotServer]) -> None:
    """``drafts()`` no longer lists a draft the user's client flagged ``\\Deleted`` without
    expunging it, and no STATUS figure shows that without CONDSTORE: the fingerprint reads the
    undeleted drafts' UIDs there (with CONDSTORE, HIGHESTMODSEQ moves)."""
    e = Env(dovecot_without(hidden), hidden)
    try:
        ours = e.mailbox.create_draft(draft())
        before = e.mailbox.fingerprint()
        assert e.mailbox.fingerprint() == before
        uid = e.user.uids("Drafts")[0]
        e.user.set_flags("Drafts", [uid], [b"\\Deleted"])
        assert e.mailbox.drafts() == [] and ours
        assert e.mailbox.fingerprint().drafts != before.drafts  # the drafts' part: a whole poll
    finally:
        e.close()


def test_without_idle_new_mail_is_seen_by_status_polling(
        dovecot_without: Callable[[str], DovecotServer]) -> None:
    server = dovecot_without("IDLE")
    user = server.add_user()
    naps: list[float] = []

    def nap(seconds: float) -> None:  # the poll's wait: mail arrives during the first one
        naps.append(seconds)
        if len(naps) == 1:
            user.deliver("INBOX", message("reply")[1])

    proxy = TcpProxy(server.host, server.port)
    box = ImapMailbox(user.imap_config(port=proxy.port), lambda: user.password, sleep=nap)
    try:
        assert box.idle_wait(60) is True
        assert naps == [5.0] and proxy.commands("IDLE") == []
        assert len(proxy.commands("STATUS")) == 2
    finally:
        box.close()
        proxy.close()
        user.close()
