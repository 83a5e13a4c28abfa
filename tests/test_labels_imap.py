"""``imap.labels = true``: the agent's ``Follow-up/Queued`` while a draft waits, over IMAP.

On Dovecot it is an IMAP keyword, stored in the message's own folder; on the
Gmail-flavoured server (``X-GM-EXT-1``) it is an ``X-GM-LABELS`` label set in
All Mail. Either way it is on exactly the conversation's messages while the
agent's draft waits, gone once the user sent it, and nothing else changes:
not ``\\Seen``, not the user's own keywords or labels, not other mail.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from agent import engine
from agent.backends.imap import ImapMailbox
from agent.config import Config
from agent.samples import ics, message
from agent.store import Store
from tests.dovecot import DovecotUser
from tests.gmail_imap_server import ALL_MAIL, gmail_imap_server, make_mailbox
from tests.gmail_imap_server import DRAFTS as GMAIL_DRAFTS
from tests.helpers import make_config, t

ME = "Jordan Lee <jordan.lee@gmail.com>"
ANN = "Ann Park <ann.park@acme.com>"
QUEUED = "Follow-up/Queued"
DUE = t(12, 1, 16, 5)  # the thank-you is due at 16:00


def _interview() -> bytes:
    inv = ics("Interview: Jordan Lee / Acme", t(12, 1, 13), t(12, 1, 14), organizer="ann.park@acme.com",
              attendee="jordan.lee@gmail.com")
    return message(ANN, ME, "Interview for the Platform Engineer role", "Hi Jordan, the invitation is attached.",
                   t(11, 24, 9), "acme-1@acme.com", calendar=inv)


def _my_reply() -> bytes:
    return message(ME, ANN, "Re: Interview for the Platform Engineer role", "Thanks Ann, see you then.",
                   t(11, 24, 11), "me-1@gmail.com", in_reply_to="acme-1@acme.com")


def _personal() -> bytes:
    return message("Sam <sam.friend@yahoo.com>", ME, "Dinner on Sunday?", "Are you coming?", t(11, 24, 9),
                   "sam-1@yahoo.com")


def _run(config: Config, mb: ImapMailbox, state: Path, now: datetime) -> engine.PollResult:
    try:
        with Store.open(state) as store:
            return engine.poll(config, mb, store, now)
    finally:
        mb.close()


def _dovecot_config(user: DovecotUser, **imap: Any) -> Config:
    return make_config(imap={"port": user.server.port, "username": user.username, **imap})


# --- Dovecot: an IMAP keyword --------------------------------------------------------------------


def _mail_flags(user: DovecotUser, drop: str | None = None) -> dict[str, Any]:
    """INBOX and Sent as (uidvalidity, uidnext, uid -> flags), ``drop`` left out of the flags."""
    snap = user.snapshot()
    out: dict[str, Any] = {}
    for name in ("INBOX", "Sent"):
        f = snap[name]
        out[name] = (f["uidvalidity"], f["uidnext"],
                     {u: tuple(x for x in fl if x != (drop or "").encode()) for u, fl in f["flags"].items()})
    return out


def _flags(user: DovecotUser, folder: str, uid: int) -> set[bytes]:
    return set(user.snapshot()[folder]["flags"][uid])


def _dovecot_scene(user: DovecotUser) -> tuple[int, int, int]:
    interview = user.deliver("INBOX", _interview(), flags=(b"\\Seen", b"Recruiting"))
    reply = user.deliver("Sent", _my_reply(), flags=(b"\\Seen",))
    # the user's own Follow-up/Queued on another message: never the agent's to remove
    personal = user.deliver("INBOX", _personal(), flags=(QUEUED.encode(),))
    return interview, reply, personal


def test_queued_keyword_while_the_draft_waits(dovecot_user: DovecotUser, tmp_path: Path) -> None:
    user = dovecot_user
    config = _dovecot_config(user, labels=True)
    assert config.write_labels
    interview, reply, personal = _dovecot_scene(user)
    state = tmp_path / "state.db"
    before = _mail_flags(user)

    r = _run(config, user.mailbox(), state, DUE)
    assert [a.kind for a in r.plan] == ["create"] and len(user.uids("Drafts")) == 1
    assert _flags(user, "INBOX", interview) == {b"\\Seen", b"Recruiting", QUEUED.encode()}
    assert _flags(user, "Sent", reply) == {b"\\Seen", QUEUED.encode()}
    assert _flags(user, "INBOX", personal) == {QUEUED.encode()}
    # apart from the keyword on the conversation's two messages, nothing changed
    after = _mail_flags(user, drop=QUEUED)
    expected = {name: (uv, nxt, {u: tuple(x for x in fl if x != QUEUED.encode()) for u, fl in flags.items()})
                for name, (uv, nxt, flags) in before.items()}
    assert after == expected

    # already there: the next poll writes nothing at all
    snap = user.snapshot()
    _run(config, user.mailbox(), state, t(12, 1, 16, 10))
    assert user.snapshot() == snap

    # the user sends the draft: a copy in Sent, gone from Drafts
    c = user.admin
    [draft_uid] = user.uids("Drafts")
    c.select_folder("Drafts", readonly=True)
    data = c.fetch([draft_uid], ["BODY.PEEK[]"])[draft_uid][b"BODY[]"]
    c.unselect_folder()
    sent = user.deliver("Sent", data, flags=(b"\\Seen",))
    user.expunge("Drafts", [draft_uid])

    _run(config, user.mailbox(), state, t(12, 1, 17))
    assert _flags(user, "INBOX", interview) == {b"\\Seen", b"Recruiting"}
    assert _flags(user, "Sent", reply) == {b"\\Seen"}
    assert _flags(user, "Sent", sent) == {b"\\Seen"}
    assert _flags(user, "INBOX", personal) == {QUEUED.encode()}  # the user's, kept
    assert user.uids("Drafts") == []

    snap = user.snapshot()
    _run(config, user.mailbox(), state, t(12, 1, 18))
    assert user.snapshot() == snap


def test_user_keywords_are_kept(dovecot_user: DovecotUser, tmp_path: Path) -> None:
    user = dovecot_user
    config = _dovecot_config(user, labels=True)
    interview = user.deliver("INBOX", _interview(), flags=(b"$Important", b"\\Flagged"))
    state = tmp_path / "state.db"
    _run(config, user.mailbox(), state, DUE)
    assert _flags(user, "INBOX", interview) == {b"$Important", b"\\Flagged", QUEUED.encode()}
    # the user adds a keyword of their own while the draft waits
    user.set_flags("INBOX", [interview], [b"Follow-up/Track"])
    [draft_uid] = user.uids("Drafts")
    user.expunge("Drafts", [draft_uid])  # and then deletes the draft: nothing waits any more
    _run(config, user.mailbox(), state, t(12, 1, 17))
    assert _flags(user, "INBOX", interview) == {b"$Important", b"\\Flagged", b"Follow-up/Track"}


def test_labels_off_writes_nothing(dovecot_user: DovecotUser, tmp_path: Path) -> None:
    user = dovecot_user
    config = _dovecot_config(user)
    assert not config.write_labels
    _dovecot_scene(user)
    before = user.snapshot()
    r = _run(config, user.mailbox(), tmp_path / "state.db", DUE)
    assert [a.kind for a in r.plan] == ["create"]
    after = user.snapshot()
    assert {k: v for k, v in after.items() if k != "Drafts"} == {k: v for k, v in before.items() if k != "Drafts"}


def test_set_label_skips_gone_ids_and_foreign_ones(dovecot_user: DovecotUser) -> None:
    user = dovecot_user
    uid = user.deliver("INBOX", _personal(), flags=(b"\\Seen",))
    uv = user.uidvalidity("INBOX")
    mb = user.mailbox()
    try:
        mb.set_label([f"inbox/{uv}/{uid}", f"inbox/{uv}/{uid + 50}", f"inbox/{uv + 1}/{uid}", "gm/123", "junk"],
                     QUEUED, True)
        assert _flags(user, "INBOX", uid) == {b"\\Seen", QUEUED.encode()}
        mb.set_label([f"inbox/{uv}/{uid}"], QUEUED, False)
        assert _flags(user, "INBOX", uid) == {b"\\Seen"}
        mb.set_label([], QUEUED, True)
    finally:
        mb.close()


def test_no_keywords_in_permanentflags_skips_quietly(dovecot_user: DovecotUser, monkeypatch: Any) -> None:
    user = dovecot_user
    uid = user.deliver("INBOX", _personal())
    uv = user.uidvalidity("INBOX")
    mb = user.mailbox()
    real = mb._connection().select_folder

    def select_folder(name: str, readonly: bool = False) -> Any:
        info = real(name, readonly)
        info[b"PERMANENTFLAGS"] = (b"\\Seen", b"\\Deleted", b"\\Flagged", b"\\Answered", b"\\Draft")
        return info

    monkeypatch.setattr(mb._connection(), "select_folder", select_folder)
    before = user.snapshot()
    try:
        mb.set_label([f"inbox/{uv}/{uid}"], QUEUED, True)
    finally:
        mb.close()
    assert user.snapshot() == before


# --- Gmail over IMAP: an X-GM-LABELS label ---------------------------------------------------------


CLOCK = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def test_gmail_label_while_the_draft_waits(tmp_path: Path) -> None:
    with gmail_imap_server(clock=CLOCK) as server:
        interview = server.deliver(_interview(), ("\\Inbox", "Recruiting"), flags=("\\Seen",))
        reply = server.deliver(_my_reply(), ("\\Sent",), flags=("\\Seen",))
        personal = server.deliver(_personal(), ("\\Inbox",))
        config = make_config(tmp_path, imap={"port": server.port, "username": server.user, "labels": True})
        state = tmp_path / "state.db"

        def labels(msgid: int) -> set[str]:
            return set(server.messages[msgid].labels)

        def flags(msgid: int) -> set[str]:
            return set(server.messages[msgid].flags)

        r = _run(config, make_mailbox(server), state, DUE)
        assert [a.kind for a in r.plan] == ["create"] and len(server.drafts()) == 1
        assert labels(interview) == {"\\Inbox", "Recruiting", QUEUED}
        assert labels(reply) == {"\\Sent", QUEUED}
        assert labels(personal) == {"\\Inbox"}
        assert flags(interview) == {"\\Seen"} and flags(personal) == set()
        # written in All Mail, read-write for the STORE only; everything else read-only
        assert [s for s in server.selects if s[0] == "SELECT"] == [("SELECT", ALL_MAIL)]
        assert all(folder == ALL_MAIL and "X-GM-LABELS" in args for folder, args in server.stores)
        assert QUEUED in server.views  # the label shows as a folder, as on Gmail

        snap = server.snapshot()
        _run(config, make_mailbox(server), state, t(12, 1, 16, 10))
        assert server.snapshot() == snap  # already labelled: nothing written

        # the user sends the draft from Gmail: it becomes sent mail
        [d] = server.drafts()
        server.user_delete_draft(d.msgid)
        server.deliver(d.data, ("\\Sent",), flags=("\\Seen",))
        _run(config, make_mailbox(server), state, t(12, 1, 17))
        assert labels(interview) == {"\\Inbox", "Recruiting"}
        assert labels(reply) == {"\\Sent"}
        assert flags(interview) == {"\\Seen"}
        assert {folder for _cmd, folder in server.selects if _cmd == "SELECT"} == {ALL_MAIL}
        assert GMAIL_DRAFTS not in {folder for folder, _args in server.stores}


def test_gmail_label_with_non_ascii_name_and_unknown_uid(tmp_path: Path) -> None:
    del tmp_path
    with gmail_imap_server(clock=CLOCK) as server:
        msgid = server.deliver(_personal(), ("\\Inbox",))
        mb = make_mailbox(server)
        try:
            # no changes() first: the backend has no msgid -> uid map and must SEARCH
            mb.set_label([f"gm/{msgid}", "gm/999"], "Nachfassen/Wartet-äö", True)
            assert server.messages[msgid].labels == {"\\Inbox", "Nachfassen/Wartet-äö"}
            mb.set_label([f"gm/{msgid}"], "Nachfassen/Wartet-äö", False)
            assert server.messages[msgid].labels == {"\\Inbox"}
        finally:
            mb.close()


def test_gmail_labels_off_writes_nothing(tmp_path: Path) -> None:
    with gmail_imap_server(clock=CLOCK) as server:
        server.deliver(_interview(), ("\\Inbox",))
        config = make_config(tmp_path, imap={"port": server.port, "username": server.user})
        _run(config, make_mailbox(server), tmp_path / "state.db", DUE)
        assert len(server.drafts()) == 1
        assert all(folder == GMAIL_DRAFTS for folder, _args in server.stores)
        assert all(m.labels <= {"\\Inbox", "\\Draft"} for m in server.messages.values())
