"""One behaviour, every backend: the Mailbox protocol conformance suite.

Each backend registers an *environment factory* in :data:`BACKENDS` with
``@backend("name")``. A factory is a context manager taking the pytest
``request`` and a fresh ``tmp_path`` and yielding a :class:`MailboxEnv`:

* ``mailbox`` — the backend under test, over an **empty** store;
* ``deliver(role, data)`` — put a message into INBOX/Sent behind the
  backend's back, the way a mail server or another client would;
* ``user_delete(role, message_id)`` — the user deletes a message (by its
  Message-ID header) in their own client;
* ``user_edit_draft(draft_id, data)`` / ``user_delete_draft(draft_id)`` — the
  user edits or deletes a draft in their own client;
* ``snapshot()`` — a comparable picture of the whole store, flags included,
  for the "reading changes nothing" check.

A factory that needs a server (Dovecot, a fake Gmail endpoint) can take its
session fixture with ``request.getfixturevalue(...)`` and should
fail (never skip) when the server cannot run here. Every test below then runs
against it unchanged.

Line endings: servers may store CRLF where the agent wrote LF, so message
bytes are compared after normalising line endings; the Maildir unit tests
check byte-for-byte identity separately.
"""

from __future__ import annotations

import contextlib
import os
import stat
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

import pytest

from agent import engine
from agent.backends.base import Fingerprinted, Mailbox
from agent.backends.maildir import MaildirMailbox, split_name
from agent.backends.memory import MemoryMailbox, MemoryServer
from agent.model import INBOX, SENT
from agent.samples import ics, message
from agent.store import Store
from tests.courier import courier  # noqa: F401  (the session fixture the "courier" environment asks for)
from tests.helpers import by_mid, make_config, mid_of, t

# --- the registry ---------------------------------------------------------------------


class MailboxEnv(Protocol):
    """What every backend's test environment offers (see the module docstring)."""

    @property
    def mailbox(self) -> Mailbox: ...

    def deliver(self, folder_role: str, data: bytes) -> None: ...

    def user_delete(self, folder_role: str, message_id: str) -> None: ...

    def user_edit_draft(self, draft_id: str, new_bytes: bytes) -> None: ...

    def user_delete_draft(self, draft_id: str) -> None: ...

    def snapshot(self) -> Any: ...


EnvFactory = Callable[[pytest.FixtureRequest, Path], contextlib.AbstractContextManager[MailboxEnv]]

#: backend name -> environment factory; the ``mailbox_env`` fixture runs every test on each
BACKENDS: dict[str, EnvFactory] = {}


def backend(name: str) -> Callable[[EnvFactory], EnvFactory]:
    """Register an environment factory under ``name`` (a pytest param id)."""

    def register(factory: EnvFactory) -> EnvFactory:
        if name in BACKENDS:
            raise ValueError(f"backend {name!r} registered twice")
        BACKENDS[name] = factory
        return factory

    return register


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run every test that uses ``mailbox_env`` once per registered backend.

    Parametrising here (at collection, after the whole module ran) rather than
    in ``@pytest.fixture(params=...)`` lets factories be registered anywhere
    in this module, or imported from elsewhere, in any order.
    """
    if "mailbox_env" in metafunc.fixturenames:
        metafunc.parametrize("mailbox_env", sorted(BACKENDS), indirect=True)


@pytest.fixture
def mailbox_env(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[MailboxEnv]:
    factory = BACKENDS[request.param]
    with factory(request, tmp_path) as env:
        try:
            yield env
        finally:
            env.mailbox.close()


# --- maildir ----------------------------------------------------------------------------


@dataclass
class MaildirEnv:
    """Three Maildir folders; ``deliver`` writes into ``new/`` like an MDA does."""

    root: Path
    mailbox: MaildirMailbox = field(init=False)
    _n: int = 0

    def __post_init__(self) -> None:
        for name in ("INBOX", "Sent", "Drafts"):
            for sub in ("cur", "new", "tmp"):
                (self.root / name / sub).mkdir(parents=True, exist_ok=True)
        self.mailbox = MaildirMailbox(self.root / "INBOX", self.root / "Sent", self.root / "Drafts")

    def _folder(self, role: str) -> Path:
        return self.root / {INBOX: "INBOX", SENT: "Sent", "drafts": "Drafts"}[role]

    def _unique(self) -> str:
        self._n += 1
        return f"1800000000.M{self._n}P{os.getpid()}R{uuid.uuid4().hex[:12]}.testhost"

    def deliver(self, folder_role: str, data: bytes) -> None:
        folder, unique = self._folder(folder_role), self._unique()
        (folder / "tmp" / unique).write_bytes(data)
        os.rename(folder / "tmp" / unique, folder / "new" / unique)

    def user_delete(self, folder_role: str, message_id: str) -> None:
        folder = self._folder(folder_role)
        for sub in ("cur", "new"):
            for p in (folder / sub).iterdir():
                if mid_of(p.read_bytes()) == message_id:
                    p.unlink()
                    return
        raise AssertionError(f"no message {message_id} in {folder_role}")

    def _draft_path(self, draft_id: str) -> Path:
        unique = draft_id.split("/", 1)[1]
        for sub in ("cur", "new"):
            for p in (self._folder("drafts") / sub).iterdir():
                if split_name(p.name)[0] == unique:
                    return p
        raise AssertionError(f"no draft {draft_id}")

    def user_edit_draft(self, draft_id: str, new_bytes: bytes) -> None:
        # a mail client saves an edited draft as a new file and drops the old one
        old = self._draft_path(draft_id)
        unique = self._unique()
        drafts = self._folder("drafts")
        (drafts / "tmp" / unique).write_bytes(new_bytes)
        os.rename(drafts / "tmp" / unique, drafts / "cur" / f"{unique}:2,DS")
        old.unlink()

    def user_delete_draft(self, draft_id: str) -> None:
        self._draft_path(draft_id).unlink()

    def snapshot(self) -> Any:
        out = []
        for dirpath, _dirs, files in os.walk(self.root):
            for f in files:
                p = Path(dirpath) / f
                st = p.stat()
                out.append((str(p.relative_to(self.root)), st.st_size, st.st_mtime_ns, stat.S_IMODE(st.st_mode)))
        return sorted(out)


@backend("maildir")
@contextlib.contextmanager
def maildir_env(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[MailboxEnv]:
    del request
    yield MaildirEnv(tmp_path / "mail")


@backend("imap")
@contextlib.contextmanager
def imap_env(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[MailboxEnv]:
    """A fresh user on the session's real Dovecot (tests/dovecot.py)."""
    from tests.dovecot import imap_mailbox_env

    del tmp_path
    with imap_mailbox_env(request) as env:
        yield env


@backend("imap-minimal")
@contextlib.contextmanager
def imap_minimal_env(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[MailboxEnv]:
    """A fresh user on a Dovecot offering only IMAP4rev1, LITERAL+ and AUTH=PLAIN and marking no
    folder (tests/dovecot.py ``dovecot_minimal``): no UIDPLUS, CONDSTORE, QRESYNC, ENABLE,
    UNSELECT, MOVE, IDLE, NAMESPACE or SPECIAL-USE; every fallback at once."""
    from tests.dovecot import minimal_mailbox_env

    del tmp_path
    with minimal_mailbox_env(request) as env:
        yield env


@backend("cyrus")
@contextlib.contextmanager
def cyrus_env(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[MailboxEnv]:
    """A fresh user on the session's real Cyrus IMAP, set up like Fastmail (tests/cyrus.py)."""
    from tests.cyrus import cyrus_mailbox_env

    del tmp_path
    with cyrus_mailbox_env(request) as env:
        yield env


@backend("courier")
@contextlib.contextmanager
def courier_env(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[MailboxEnv]:
    """A fresh user on a real Courier-IMAP (tests/courier.py): "INBOX." namespace, no
    SPECIAL-USE, no CONDSTORE; the agent finds INBOX.Sent and INBOX.Drafts by name alone."""
    from tests.courier import courier_mailbox_env

    del tmp_path
    with courier_mailbox_env(request) as env:
        yield env


@backend("gmail")
@contextlib.contextmanager
def gmail_env(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[MailboxEnv]:
    """A fresh fake Gmail API server (tests/gmail_server.py) and the real API client."""
    from tests.gmail_server import gmail_mailbox_env

    del request, tmp_path
    with gmail_mailbox_env() as env:
        yield env


@backend("gmail-imap")
@contextlib.contextmanager
def gmail_imap_env(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[MailboxEnv]:
    """A fresh Gmail-like IMAP server (tests/gmail_imap_server.py, X-GM-EXT-1) and the real
    ImapMailbox reading All Mail."""
    from tests.gmail_imap_server import gmail_imap_mailbox_env

    del request, tmp_path
    with gmail_imap_mailbox_env() as env:
        yield env


@dataclass
class MemoryEnv:
    """The in-memory server (agent/backends/memory.py); the user acts on it directly."""

    server: MemoryServer = field(default_factory=MemoryServer)
    mailbox: MemoryMailbox = field(init=False)

    def __post_init__(self) -> None:
        self.mailbox = MemoryMailbox(self.server)

    def deliver(self, folder_role: str, data: bytes) -> None:
        self.server.deliver(folder_role, data)

    def user_delete(self, folder_role: str, message_id: str) -> None:
        found = [m.id for m in self.server.messages(folder_role) if mid_of(m.data) == message_id]
        assert found, f"no message {message_id} in {folder_role}"
        self.server.delete(found[0])

    def user_edit_draft(self, draft_id: str, new_bytes: bytes) -> None:
        self.server.replace_draft(draft_id, new_bytes)

    def user_delete_draft(self, draft_id: str) -> None:
        assert self.server.delete(draft_id), f"no draft {draft_id}"

    def snapshot(self) -> Any:
        return self.server.snapshot()


@backend("memory")
@contextlib.contextmanager
def memory_env(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[MailboxEnv]:
    del request, tmp_path
    yield MemoryEnv()


# --- helpers ----------------------------------------------------------------------------


def make_message(subject: str, *, sender: str = "sam@acme.example", to: str = "jordan@example.org") -> tuple[str, bytes]:
    mid = f"<conf-{uuid.uuid4().hex}@acme.example>"
    body = "Thanks for your time today.\nWe hope to decide by the end of the month.\n"
    data = (
        f"From: Sam <{sender}>\r\nTo: {to}\r\nSubject: {subject}\r\n"
        f"Date: Mon, 02 Nov 2026 10:00:00 +0000\r\nMessage-ID: {mid}\r\n"
        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + body.replace("\n", "\r\n")
    ).encode()
    return mid, data


def make_draft(subject: str = "Re: Interview") -> tuple[str, bytes]:
    mid = f"<draft-{uuid.uuid4().hex}@followup-agent>"
    data = (
        f"From: jordan@example.org\r\nTo: sam@acme.example\r\nSubject: {subject}\r\n"
        f"Message-ID: {mid}\r\nIn-Reply-To: <root@acme.example>\r\nX-Followup-Agent: test\r\n"
        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nThank you!\r\n"
    ).encode()
    return mid, data


def norm(data: bytes) -> bytes:
    return data.replace(b"\r\n", b"\n").rstrip(b"\n")


def seed(env: MailboxEnv) -> dict[str, str]:
    """Two INBOX messages and one Sent message: Message-ID -> role."""
    roles = {}
    for role, subject in ((INBOX, "Interview at Acme"), (INBOX, "Next steps"), (SENT, "Re: Interview at Acme")):
        mid, data = make_message(subject)
        env.deliver(role, data)
        roles[mid] = role
    return roles


# --- the suite ----------------------------------------------------------------------------


def test_is_a_mailbox(mailbox_env: MailboxEnv) -> None:
    assert isinstance(mailbox_env.mailbox, Mailbox)
    assert mailbox_env.mailbox.name


def test_first_changes_is_full_and_lists_everything(mailbox_env: MailboxEnv) -> None:
    roles = seed(mailbox_env)
    cs = mailbox_env.mailbox.changes(None)
    assert cs.full
    got = by_mid(cs.added)
    assert set(got) == set(roles)
    for mid, raw in got.items():
        assert raw.folder == roles[mid]
        assert raw.id
    assert len({raw.id for raw in cs.added}) == len(cs.added)


def test_second_changes_lists_nothing(mailbox_env: MailboxEnv) -> None:
    seed(mailbox_env)
    first = mailbox_env.mailbox.changes(None)
    second = mailbox_env.mailbox.changes(first.cursor)
    assert not second.full
    assert second.added == () and second.removed == ()


def test_delivered_message_appears_once(mailbox_env: MailboxEnv) -> None:
    seed(mailbox_env)
    mb = mailbox_env.mailbox
    c1 = mb.changes(None).cursor
    mid, data = make_message("Offer details")
    mailbox_env.deliver(INBOX, data)
    cs = mb.changes(c1)
    assert not cs.full
    assert list(by_mid(cs.added)) == [mid] and cs.removed == ()
    assert mb.changes(cs.cursor).added == ()


def test_user_deletion_is_reported_removed(mailbox_env: MailboxEnv) -> None:
    roles = seed(mailbox_env)
    mb = mailbox_env.mailbox
    first = mb.changes(None)
    ids = {mid: raw.id for mid, raw in by_mid(first.added).items()}
    victim = next(mid for mid, role in roles.items() if role == INBOX)
    mailbox_env.user_delete(INBOX, victim)
    cs = mb.changes(first.cursor)
    assert not cs.full
    assert cs.removed == (ids[victim],) and cs.added == ()
    assert mb.fetch([ids[victim]]) == {}


@pytest.mark.parametrize("cursor", ["", "not-a-cursor", "{}", "md1:AAAA"])
def test_unreadable_cursor_means_full(mailbox_env: MailboxEnv, cursor: str) -> None:
    roles = seed(mailbox_env)
    cs = mailbox_env.mailbox.changes(cursor)
    assert cs.full
    assert set(by_mid(cs.added)) == set(roles)


def test_fetch_returns_full_bytes(mailbox_env: MailboxEnv) -> None:
    mid, data = make_message("Interview at Acme")
    mailbox_env.deliver(INBOX, data)
    (raw,) = mailbox_env.mailbox.changes(None).added
    full = mailbox_env.mailbox.fetch([raw.id, "inbox/does-not-exist"])
    assert set(full) == {raw.id}
    assert mid_of(full[raw.id]) == mid
    assert b"end of the month" in full[raw.id]
    assert norm(full[raw.id]) == norm(data)


def test_created_draft_is_listed_identically(mailbox_env: MailboxEnv) -> None:
    mb = mailbox_env.mailbox
    mid, data = make_draft()
    did = mb.create_draft(data)
    assert did
    drafts = {d.id: d for d in mb.drafts()}
    assert did in drafts
    assert mid_of(drafts[did].data) == mid
    assert norm(drafts[did].data) == norm(data)


def test_delete_draft_twice_is_fine(mailbox_env: MailboxEnv) -> None:
    mb = mailbox_env.mailbox
    _mid, data = make_draft()
    did = mb.create_draft(data)
    mb.delete_draft(did)
    mb.delete_draft(did)
    assert did not in {d.id for d in mb.drafts()}


def test_drafts_are_not_reported_by_changes(mailbox_env: MailboxEnv) -> None:
    seed(mailbox_env)
    mb = mailbox_env.mailbox
    c1 = mb.changes(None).cursor
    mid, data = make_draft()
    mb.create_draft(data)
    assert mid not in by_mid(mb.changes(c1).added)
    assert mid not in by_mid(mb.changes(None).added)


def test_user_edited_draft_is_seen(mailbox_env: MailboxEnv) -> None:
    mb = mailbox_env.mailbox
    _mid, data = make_draft()
    did = mb.create_draft(data)
    edited = data.replace(b"Thank you!", b"Thank you so much, it was great to meet the team.")
    mailbox_env.user_edit_draft(did, edited)
    listed = [norm(d.data) for d in mb.drafts()]
    assert norm(edited) in listed and norm(data) not in listed


def test_drafts_named_as_seen_are_listed_and_an_edit_is_never_hidden(mailbox_env: MailboxEnv) -> None:
    """``drafts(seen=...)`` lists every draft; a backend may leave out the bytes of the ones
    named (marking them ``seen``), never of any other, and an edited draft is never one of
    them (it comes back with its new bytes, under its id if the backend keeps ids)."""
    mb = mailbox_env.mailbox
    cursor = mb.changes(None).cursor
    _m1, first = make_draft()
    _m2, second = make_draft()
    id1, id2 = mb.create_draft(first), mb.create_draft(second)
    listed = {d.id: d for d in mb.drafts(seen={id1})}
    assert set(listed) == {id1, id2}
    assert not listed[id2].seen and norm(listed[id2].data) == norm(second)
    assert listed[id1].seen or norm(listed[id1].data) == norm(first)
    if listed[id1].seen:
        assert listed[id1].data == b""
    edited = first.replace(b"Thank you!", b"Thank you so much, it was great to meet the team.")
    mailbox_env.user_edit_draft(id1, edited)
    mb.changes(cursor)  # the next poll
    again = mb.drafts(seen={id1, id2})
    assert norm(edited) in [norm(d.data) for d in again if not d.seen]


def test_user_deleted_draft_is_gone(mailbox_env: MailboxEnv) -> None:
    mb = mailbox_env.mailbox
    _mid, data = make_draft()
    did = mb.create_draft(data)
    mailbox_env.user_delete_draft(did)
    assert did not in {d.id for d in mb.drafts()}
    mb.delete_draft(did)  # the agent withdrawing it afterwards is fine


def test_the_fingerprint_stays_while_nothing_changes_and_moves_with_every_change(mailbox_env: MailboxEnv) -> None:
    """What lets a poll that finds nothing new skip the engine (agent/quick_poll.py): reading
    leaves the fingerprint as it was; mail coming or going, and any draft added, edited or
    deleted by the user or by us, moves it."""
    roles = seed(mailbox_env)
    mb = mailbox_env.mailbox
    assert isinstance(mb, Fingerprinted)
    cursor = mb.changes(None).cursor
    mb.drafts()
    # after a poll has read every folder once (Courier invents a new UIDVALIDITY, from the
    # clock, for a folder no client ever opened: until then it may differ from second to second)
    before = mb.fingerprint()
    mb.drafts()
    mb.fetch([m.id for m in mb.changes(None).added])
    assert mb.changes(cursor).added == ()
    assert mb.fingerprint() == before == mb.fingerprint()

    def moved(change: Callable[[], object], *, drafts: bool = False) -> None:
        """``change`` moves the whole; the drafts' part moves with a draft's change only (or,
        on a backend that cannot tell them apart, stands for the whole)."""
        nonlocal before
        change()
        after = mb.fingerprint()
        assert after != before and after.whole != before.whole
        if drafts or after.drafts == after.whole:
            assert after.drafts != before.drafts
        else:
            assert after.drafts == before.drafts  # mail came or went: the drafts are as they were
        before = after

    inbox_mid = next(m for m, r in roles.items() if r == INBOX)
    moved(lambda: mailbox_env.deliver(INBOX, make_message("Your application")[1]))
    moved(lambda: mailbox_env.deliver(SENT, make_message("Re: Your application")[1]))
    moved(lambda: mailbox_env.user_delete(INBOX, inbox_mid))
    _mid, data = make_draft()
    did = mb.create_draft(data)
    moved(lambda: None, drafts=True)  # our own draft
    mailbox_env.user_edit_draft(did, data.replace(b"Thank you!", b"Thank you, it was great to meet you."))
    moved(lambda: None, drafts=True)
    drafts = mb.drafts()
    assert len(drafts) == 1
    moved(lambda: mailbox_env.user_delete_draft(drafts[0].id), drafts=True)
    assert mb.fingerprint() == before


def test_reading_changes_nothing(mailbox_env: MailboxEnv) -> None:
    seed(mailbox_env)
    mb = mailbox_env.mailbox
    _mid, draft = make_draft()
    mb.create_draft(draft)
    before = mailbox_env.snapshot()
    first = mb.changes(None)
    mb.changes(first.cursor)
    mb.changes("not-a-cursor")
    mb.fetch([raw.id for raw in first.added])
    mb.drafts()
    assert mailbox_env.snapshot() == before


# --- the engine over every backend: a stranger reusing a Message-ID (issue 10, item 8) ----------
#
# The mail is delivered through each backend (on the Gmail stand-ins it is threaded the way
# Gmail threads it), then polled by the real engine; what status shows must not depend on
# the backend.

ANN = "Ann Park <ann.park@acme.example>"
USER = "Jordan Lee <jordan.lee@gmail.com>"
CFG = make_config()
#: the user's acceptance, the company's answer with a timeline, and a stranger reusing one id
INVITE, ACCEPT, ANSWER = "inv-1@acme.example", "CAaccept1@mail.gmail.com", "ans-1@acme.example"


def _conversation(env: MailboxEnv, *, answered: bool) -> None:
    """Ann invites (Dec 1, 13:00-14:00 in New York), the user accepts; after the interview the
    user thanks her and, if ``answered``, Ann answers with a decision date (Dec 11)."""
    inv = ics("Interview: Jordan Lee / Acme", t(12, 1, 13), t(12, 1, 14), organizer="ann.park@acme.example",
              attendee="jordan.lee@gmail.com")
    subject = "Interview for the Platform Engineer role"
    env.deliver(INBOX, message(ANN, USER, subject, "Hi Jordan, the invitation is attached.\n\nAnn",
                               t(11, 24, 9), INVITE, calendar=inv))
    env.deliver(SENT, message(USER, ANN, "Re: " + subject, "Thank you, I accept.\n\nJordan", t(11, 24, 12),
                              ACCEPT, in_reply_to=INVITE, references=(INVITE,)))
    if answered:
        env.deliver(SENT, message(USER, ANN, "Re: " + subject, "Thank you for today, Ann.\n\nJordan",
                                  t(12, 1, 17), "CAthanks1@mail.gmail.com", in_reply_to=ACCEPT,
                                  references=(INVITE, ACCEPT)))
        env.deliver(INBOX, message(ANN, USER, "Re: " + subject,
                                   "Thanks Jordan! We expect to decide by December 11.\n\nAnn", t(12, 2, 10),
                                   ANSWER, in_reply_to="CAthanks1@mail.gmail.com",
                                   references=(INVITE, ACCEPT, "CAthanks1@mail.gmail.com")))


def _stranger(reused: str) -> bytes:
    """A newsletter with a long text, reusing ``reused`` as its Message-ID."""
    return message("Weekly Digest <news@digest.example>", USER, "Your weekly reading list",
                   "This week's stories, in full. " * 60, t(11, 26, 8), reused,
                   headers={"List-Unsubscribe": "<mailto:leave@digest.example>"})


def _engine_poll(env: MailboxEnv, state: Path, now: datetime) -> engine.PollResult:
    with Store.open(state) as store:
        return engine.poll(CFG, env.mailbox, store, now)


def _ours(result: engine.PollResult) -> dict[str, Any]:
    """The status object of the conversation holding the invitation (there is exactly one)."""
    (cid,) = [c.id for c in result.conversations.values() if any(m.calendar for m in c.messages)]
    (status,) = [s for s in result.status if s["thread"] == cid]
    conv = result.conversations[cid]
    assert {m.message_id for m in conv.messages} >= {f"<{INVITE}>", f"<{ACCEPT}>"}
    assert not any(m.from_ and m.from_.email == "news@digest.example" for m in conv.messages)
    return status


@pytest.mark.parametrize("reused", [INVITE, ACCEPT])
def test_a_stranger_reusing_an_id_leaves_the_thank_you_owed(
    mailbox_env: MailboxEnv, tmp_path: Path, reused: str
) -> None:
    """The stranger reuses the invitation's or the user's acceptance's id, and is delivered
    first (so every backend lists it first). The thank-you is written, in the conversation's
    own thread."""
    mailbox_env.deliver(INBOX, _stranger(reused))
    _conversation(mailbox_env, answered=False)
    raws = mailbox_env.mailbox.changes(None).added
    hints = {b"digest" in raw.data: raw.thread_hint for raw in raws if mid_of(raw.data) == f"<{reused}>"}
    assert len(hints) == 2 and (hints[True] is None or hints[True] != hints[False])  # Gmail: apart
    r = _engine_poll(mailbox_env, tmp_path / "state.db", t(12, 1, 16, 5))
    status = _ours(r)
    assert status["next"]["kind"] == "thank_you" and status["next"]["to"] == "ann.park@acme.example"
    (create,) = [a for a in r.plan if a.kind == "create"]
    assert create.conversation == status["thread"] and create.draft is not None
    if hints[False] is not None:
        assert create.draft.thread_hint == hints[False]  # into the conversation's Gmail thread
    (draft,) = mailbox_env.mailbox.drafts()
    assert mid_of(draft.data) == create.draft.message_id


def test_a_stranger_reusing_the_companys_answer_arrives_later_and_the_timeline_stands(
    mailbox_env: MailboxEnv, tmp_path: Path
) -> None:
    """The company's answer (the human reply the policy reads: decision by Dec 11) is reused by
    a stranger that arrives between two polls: the next step is still the first follow-up
    after that date, and it is drafted once."""
    _conversation(mailbox_env, answered=True)
    state = tmp_path / "state.db"
    first = _ours(_engine_poll(mailbox_env, state, t(12, 3, 9)))
    due = datetime.fromisoformat(first["next"]["due"])
    # read from the answer: without it, a week after the user's thank-you (Dec 8) would be due
    assert first["next"]["kind"] == "follow_up_1" and due >= t(12, 18, 9)
    mailbox_env.deliver(INBOX, _stranger(ANSWER))
    r = _engine_poll(mailbox_env, state, due + timedelta(minutes=5))
    status = _ours(r)
    assert status["thread"] == first["thread"] and status["next"] == first["next"]
    assert [(a.kind, a.step) for a in r.plan] == [("create", "follow_up_1")]
    assert _engine_poll(mailbox_env, state, due + timedelta(hours=1)).plan == []
    assert len(mailbox_env.mailbox.drafts()) == 1


# --- the engine over every backend: answers outside the thread (issue 10, item 6) --------------
#
# On the Gmail stand-ins an Outlook "Automatic reply: Re: …" lands in a thread of its own (as in
# Gmail, whose subject threading does not know that prefix) and a new subject always does; the
# agent must read both as part of the conversation and still draft into the conversation's own
# thread.

TOM = "Tom Reyes <tom.reyes@acme.example>"
THANKS = "CAthanks1@mail.gmail.com"


def _thanked(env: MailboxEnv) -> None:
    """The interview (Dec 1, 13:00) and the user's thank-you that afternoon: nothing more."""
    _conversation(env, answered=False)
    env.deliver(SENT, message(USER, ANN, "Re: Interview for the Platform Engineer role",
                              "Thank you for today, Ann.\n\nJordan", t(12, 1, 17), THANKS,
                              in_reply_to=ACCEPT, references=(INVITE, ACCEPT)))


def _conversation_hint(env: MailboxEnv) -> str | None:
    return next((raw.thread_hint for raw in env.mailbox.changes(None).added if mid_of(raw.data) == f"<{INVITE}>"),
                None)


def test_an_answer_under_a_new_subject_withdraws_the_waiting_draft(mailbox_env: MailboxEnv, tmp_path: Path) -> None:
    """Another person at the company answers in a thread of their own after the user's last
    message: it is the company's answer. The untouched follow-up is withdrawn, and nothing is
    owed until the user writes again."""
    _thanked(mailbox_env)
    state = tmp_path / "state.db"
    first = _engine_poll(mailbox_env, state, t(12, 9, 9, 30))  # due Dec 9 09:00 (a week, snapped)
    assert [(a.kind, a.step) for a in first.plan] == [("create", "follow_up_1")]
    mailbox_env.deliver(INBOX, message(TOM, USER, "Next steps at Acme",
                                       "Hi Jordan, I'm the hiring manager. We'd like you to meet the team for a "
                                       "final round; Ann will send times.\n\nTom", t(12, 9, 10), "tom-1@acme.example"))
    r = _engine_poll(mailbox_env, state, t(12, 9, 11))
    assert [(a.kind, a.step) for a in r.plan] == [("withdraw", "follow_up_1")]
    status = _ours(r)
    assert status["next"] is None and "tom.reyes@acme.example answered" in status["reason"]
    assert f"<{INVITE}>" in {m.message_id for m in r.conversations[status["thread"]].messages}
    assert mailbox_env.mailbox.drafts() == []
    assert _engine_poll(mailbox_env, state, t(12, 21, 10)).plan == []  # the silence is theirs to break


def test_an_automatic_reply_in_its_own_thread_moves_the_draft_and_it_goes_into_the_conversation(
    mailbox_env: MailboxEnv, tmp_path: Path
) -> None:
    """Ann's out-of-office answers the user's thank-you (In-Reply-To it, "Automatic reply:"
    subject): not a reply; her return (Dec 14) pushes the first follow-up (else Dec 9 09:00),
    which then answers the user's thank-you in the conversation's own thread."""
    _thanked(mailbox_env)
    mailbox_env.deliver(INBOX, message(
        ANN, USER, "Automatic reply: Re: Interview for the Platform Engineer role",
        "I am out of the office until Monday, December 14, with limited access to email.", t(12, 1, 17, 1),
        "ooo-1@acme.example", in_reply_to=THANKS, headers={"Auto-Submitted": "auto-replied"}))
    raws = {mid_of(raw.data): raw for raw in mailbox_env.mailbox.changes(None).added}
    own = _conversation_hint(mailbox_env)
    if own is not None:  # Gmail: a thread of its own
        assert raws["<ooo-1@acme.example>"].thread_hint not in (None, own)
    state = tmp_path / "state.db"
    early = _ours(_engine_poll(mailbox_env, state, t(12, 8, 17, 30)))
    assert early["next"]["kind"] == "follow_up_1"
    assert datetime.fromisoformat(early["next"]["due"]) == t(12, 15, 9)
    r = _engine_poll(mailbox_env, state, t(12, 15, 9, 30))
    (create,) = [a for a in r.plan if a.kind == "create"]
    assert create.draft is not None and create.draft.thread_hint == own
    (draft,) = mailbox_env.mailbox.drafts()
    assert f"In-Reply-To: <{THANKS}>".encode() in draft.data


# --- the first-sync window (agent/window.py) ---------------------------------------------------


def test_fetch_by_message_id_finds_earlier_mail_never_a_draft(mailbox_env: MailboxEnv) -> None:
    """A message the window left out (dated 2020) is found by its Message-ID, in INBOX or Sent,
    as a header block like those ``changes`` hands over; a draft's id and an unknown id are not."""
    from agent.window import window_of

    seed(mailbox_env)
    old_mid, old = make_message("Application: Platform Engineer")
    old = old.replace(b"Mon, 02 Nov 2026", b"Mon, 02 Nov 2020")
    mailbox_env.deliver(SENT, old)
    mb = mailbox_env.mailbox
    draft_mid, draft = make_draft()
    mb.create_draft(draft)
    mb.changes(None, window_of(t(11, 10), 30))
    found = mb.fetch_by_message_id([old_mid, draft_mid, "<nowhere@example.org>"])
    assert [mid_of(r.data) for r in found] == [old_mid]
    assert found[0].folder == SENT and found[0].headers_only
    assert mb.fetch_by_message_id([]) == []


def test_a_conversation_straddling_the_window_gets_the_same_decision(mailbox_env: MailboxEnv, tmp_path: Path) -> None:
    """Ann's invitation and the user's acceptance (Nov 24) fall before a 5-day window, the thanks
    and Ann's answer (Dec 1-2) inside it: the status is the same as with no window at all."""
    from dataclasses import replace

    _conversation(mailbox_env, answered=True)
    mailbox_env.deliver(INBOX, _stranger("old-news@digest.example"))
    now = t(12, 3, 9)
    results = []
    for days in (0, 5):
        with Store.open(tmp_path / f"state-{days}.db") as store:
            results.append(engine.poll(replace(CFG, lookback_days=days), mailbox_env.mailbox, store, now))
    whole, windowed = results
    assert whole.status and windowed.status == whole.status
    assert _ours(windowed)["thread"] == _ours(whole)["thread"]
    if isinstance(mailbox_env.mailbox, (MaildirMailbox, MemoryMailbox)):
        # the Date decides here (IMAP's SINCE reads the delivery time; tests/test_window_imap.py
        # sets it): the window kept 2 of 5 and the 2 earlier messages came by their Message-ID
        assert (windowed.stats["added"], windowed.stats["referenced_found"], whole.stats["added"]) == (2, 2, 5)
