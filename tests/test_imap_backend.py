"""IMAP backend specifics against a real Dovecot (tests/dovecot.py), and the secret sources.

The protocol behaviour shared with every backend is in
test_mailbox_conformance.py (which runs on Dovecot too); this file covers what
only IMAP has: TLS and STARTTLS with a private CA, SPECIAL-USE discovery,
CONDSTORE/QRESYNC/plain incremental sync, UIDVALIDITY changes, UID batching,
big-message fetches, draft UIDs, reconnects, timeouts, IDLE and login errors.
"""

from __future__ import annotations

import email
import json
import socket
import threading
import uuid
from collections.abc import Iterator
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

import pytest

from agent.backends import imap as imap_mod
from agent.backends.base import Mailbox
from agent.backends.imap import ImapMailbox, _compress_uids, _expand_uids
from agent.config import ImapConfig, parse_config
from agent.errors import MailboxError
from agent.model import DRAFTS, INBOX, SENT
from agent.secrets import get_secret
from tests.dovecot import PASSWORD, DovecotServer, DovecotUser, dovecot_version
from tests.helpers import Recorder, by_mid, mid_of

# --- helpers ------------------------------------------------------------------------------


def message(subject: str, *, body: str = "Thanks for your time today.\n", extra: str = "") -> tuple[str, bytes]:
    mid = f"<imap-{uuid.uuid4().hex}@acme.example>"
    data = (
        f"From: Sam <sam@acme.example>\r\nTo: jordan@example.org\r\nSubject: {subject}\r\n"
        f"Date: Mon, 02 Nov 2026 10:00:00 +0000\r\nMessage-ID: {mid}\r\n{extra}"
        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        + body.replace("\n", "\r\n")
    ).encode()
    return mid, data


def draft(subject: str = "Re: Interview") -> tuple[str, bytes]:
    mid = f"<draft-{uuid.uuid4().hex}@followup-agent>"
    data = (
        f"From: jordan@example.org\nTo: sam@acme.example\nSubject: {subject}\nMessage-ID: {mid}\n"
        "X-Followup-Agent: test\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\n"
        "Thank you!\n"
    ).encode()
    return mid, data


def without_caps(user: DovecotUser, *drop: str, **kw: Any) -> ImapMailbox:
    """A mailbox that behaves as if the server lacked some capabilities."""
    return ImapMailbox(
        user.imap_config(**kw), lambda: user.password, sleep=lambda _s: None, ignore_capabilities=drop
    )


@pytest.fixture
def user(dovecot_user: DovecotUser) -> DovecotUser:
    return dovecot_user


@pytest.fixture
def mb(user: DovecotUser) -> Iterator[ImapMailbox]:
    box = user.mailbox()
    try:
        yield box
    finally:
        box.close()


# --- the server and the connection ------------------------------------------------------


def test_dovecot_offers_what_the_backend_uses(mb: ImapMailbox) -> None:
    assert dovecot_version().startswith("2.")
    assert isinstance(mb, Mailbox) and mb.name == "imap"
    caps = mb.capabilities
    for cap in (b"CONDSTORE", b"QRESYNC", b"UIDPLUS", b"SPECIAL-USE", b"IDLE", b"UNSELECT"):
        assert cap in caps
    assert not mb.is_gmail


def test_tls_with_the_test_ca(user: DovecotUser, dovecot: DovecotServer) -> None:
    mid, data = message("Interview")
    user.deliver("INBOX", data)
    box = user.mailbox(security="tls", port=dovecot.tls_port, ca_file=dovecot.ca_file)
    with box:
        cs = box.changes(None)
        assert list(by_mid(cs.added)) == [mid]
        assert box._client is not None and box._client.socket().version() in ("TLSv1.2", "TLSv1.3")


def test_starttls_with_the_test_ca(user: DovecotUser, dovecot: DovecotServer) -> None:
    box = user.mailbox(security="starttls", port=dovecot.port, ca_file=dovecot.ca_file)
    with box:
        assert box.changes(None).full
        assert box._client is not None and box._client.socket().version() is not None


@pytest.mark.parametrize("security", ["tls", "starttls"])
@pytest.mark.parametrize("ca", ["wrong", "system"])
def test_unverifiable_certificate_is_refused_at_once(
    user: DovecotUser, dovecot: DovecotServer, security: str, ca: str
) -> None:
    sleeps = Recorder()
    port = dovecot.tls_port if security == "tls" else dovecot.port
    cfg = user.imap_config(
        security=security, port=port, ca_file=dovecot.wrong_ca_file if ca == "wrong" else None
    )
    asked: list[int] = []

    def credential() -> str:
        asked.append(1)
        return user.password

    box = ImapMailbox(cfg, credential, sleep=sleeps)
    with pytest.raises(MailboxError, match="certificate .* could not be verified"):
        box.changes(None)
    assert sleeps.delays == []  # not retried
    assert asked == []  # the password was never even looked up, let alone sent


def test_plaintext_to_a_remote_host_is_refused_here_too() -> None:
    cfg = ImapConfig(host="imap.example.com", port=143, security="none", username="x")
    with pytest.raises(MailboxError, match="loopback"):
        ImapMailbox(cfg, lambda: "pw")


def test_wrong_password_is_a_clear_error_without_the_password(user: DovecotUser) -> None:
    secret = "Wr0ng-" + uuid.uuid4().hex
    sleeps = Recorder()
    box = ImapMailbox(user.imap_config(), lambda: secret, sleep=sleeps)
    with pytest.raises(MailboxError) as info:
        box.changes(None)
    text = str(info.value)
    assert "refused the login" in text and user.username in text
    assert secret not in text and secret not in repr(info.value)
    assert info.value.__cause__ is None and info.value.__suppress_context__
    assert secret not in str(info.value.__context__)
    assert sleeps.delays == []  # a refused login is never retried (account lockouts)


def test_lost_connection_is_retried_transparently(user: DovecotUser) -> None:
    _mid, data = message("Interview")
    user.deliver("INBOX", data)
    sleeps = Recorder()
    box = ImapMailbox(user.imap_config(), lambda: user.password, sleep=sleeps, jitter=lambda: 1.0)
    with box:
        first = box.changes(None)
        assert box._client is not None
        box._client.socket().shutdown(socket.SHUT_RDWR)  # the network drops
        again = box.changes(None)
        assert [r.id for r in again.added] == [r.id for r in first.added]
        assert sleeps.delays == [0.5]


def test_unreachable_server_backs_off_exponentially_then_fails() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again below: nothing listens there
    sleeps = Recorder()
    cfg = ImapConfig(host="127.0.0.1", port=port, security="none", username="u", timeout=2)
    box = ImapMailbox(cfg, lambda: "pw", sleep=sleeps, jitter=lambda: 1.0, attempts=5, backoff=0.5)
    with pytest.raises(MailboxError, match=r"Lost the connection .* \(5 attempts\)"):
        box.changes(None)
    assert sleeps.delays == [0.5, 1.0, 2.0, 4.0]
    jittered = Recorder()
    box = ImapMailbox(cfg, lambda: "pw", sleep=jittered, jitter=lambda: 0.0, attempts=3, backoff=1.0)
    with pytest.raises(MailboxError):
        box.changes(None)
    assert jittered.delays == [0.5, 1.0]  # jitter spreads each delay over [d/2, d]


def test_a_silent_server_times_out() -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)  # accepts (in the kernel) but never greets
    try:
        cfg = ImapConfig(
            host="127.0.0.1", port=listener.getsockname()[1], security="none", username="u", timeout=0.3
        )
        box = ImapMailbox(cfg, lambda: "pw", sleep=lambda _s: None, attempts=2)
        with pytest.raises(MailboxError, match="Lost the connection"):
            box.changes(None)
    finally:
        listener.close()


def test_from_config_reads_the_password_command(user: DovecotUser, tmp_path: Path) -> None:
    mid, data = message("Interview")
    user.deliver("INBOX", data)
    script = tmp_path / "pw.sh"
    script.write_text(f"#!/bin/sh\nprintf '%s\\n' '{user.password}'\necho second line\n")
    script.chmod(0o755)
    config = parse_config(
        {
            "account": {"name": "Jordan", "addresses": ["jordan@example.org"], "timezone": "UTC"},
            "mailbox": {"backend": "imap"},
            "imap": {
                "host": user.server.host,
                "port": user.server.port,
                "security": "none",
                "username": user.username,
                "password_command": str(script),
                "keyring_service": f"followup-agent-test-{uuid.uuid4().hex}",
            },
            "state": {"path": str(tmp_path / "state.db")},
        }
    )
    with ImapMailbox.from_config(config) as box:
        assert list(by_mid(box.changes(None).added)) == [mid]


# --- folders ------------------------------------------------------------------------------


def test_folders_are_found_by_special_use(user: DovecotUser, mb: ImapMailbox) -> None:
    mb.changes(None)
    assert mb._folders == {SENT: "Sent", DRAFTS: "Drafts"}


def test_folders_are_found_by_attribute_not_name(
    user: DovecotUser, mb: ImapMailbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A server whose Sent folder is called something else entirely."""
    real = imap_mod._list_folders

    def renamed(c: Any, *, special_use: bool = False) -> list[tuple[frozenset[bytes], str, str]]:
        rows = real(c, special_use=special_use)
        return [(f, d, "Gesendete Objekte" if n == "Sent" else n) for f, d, n in rows] + [
            (frozenset(), "/", "Sent")  # a decoy with the English name but no attribute
        ]

    monkeypatch.setattr(imap_mod, "_list_folders", renamed)
    mb._run("x", lambda c, _a: mb._folder(c, SENT))
    assert mb._folders is not None and mb._folders[SENT] == "Gesendete Objekte"


def test_missing_special_use_folder_names_the_role_and_the_key(
    user: DovecotUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = imap_mod._list_folders

    def unmarked(c: Any, *, special_use: bool = False) -> list[tuple[frozenset[bytes], str, str]]:
        rows = real(c, special_use=special_use)
        return [(frozenset(f - {b"\\sent", b"\\drafts"}), d, n) for f, d, n in rows]

    def unknown(c: Any, *, special_use: bool = False) -> list[tuple[frozenset[bytes], str, str]]:
        odd = {"Sent": "Written", "Drafts": "Unfinished"}  # names no table knows
        return [(f, d, odd.get(n, n)) for f, d, n in unmarked(c, special_use=special_use)]

    monkeypatch.setattr(imap_mod, "_list_folders", unknown)
    with user.mailbox() as box, pytest.raises(MailboxError, match=r"\\Sent .*imap.sent_folder"):
        box.changes(None)
    with user.mailbox() as box, pytest.raises(MailboxError, match=r"\\Drafts .*imap.drafts_folder"):
        box.drafts()
    # unmarked but well-known names are found by name; the override wins over them
    monkeypatch.setattr(imap_mod, "_list_folders", unmarked)
    mid, data = message("Sent by me")
    user.deliver("Sent", data)
    with user.mailbox() as box:
        assert by_mid(box.changes(None).added)[mid].folder == SENT
        assert box.folder_sources == {SENT: "well-known name", DRAFTS: "well-known name"}
    with user.mailbox(sent_folder="Sent", drafts_folder="Drafts") as box:
        cs = box.changes(None)
        assert by_mid(cs.added)[mid].folder == SENT
        assert box.drafts() == []
        assert box.folder_sources == {SENT: "configured", DRAFTS: "configured"}


def test_folder_override_wins_and_must_exist(user: DovecotUser) -> None:
    mid, data = message("In the trash")
    user.deliver("Trash", data)
    with user.mailbox(sent_folder="Trash") as box:
        got = by_mid(box.changes(None).added)
        assert got[mid].folder == SENT and got[mid].id.startswith("sent/")
    with user.mailbox(sent_folder="Nope") as box, pytest.raises(
        MailboxError, match=r"imap.sent_folder = 'Nope': no such folder"
    ):
        box.changes(None)


# --- changes ------------------------------------------------------------------------------


def test_full_changes_lists_inbox_and_sent_headers_only(user: DovecotUser, mb: ImapMailbox) -> None:
    m1, d1 = message("Interview", body="Secret body text.\n", extra="X-Followup-Agent: nope\r\n")
    m2, d2 = message("Re: Interview")
    _m3, d3 = message("Junk")
    u1 = user.deliver("INBOX", d1, flags=(b"\\Seen",))
    u2 = user.deliver("Sent", d2)
    user.deliver("Trash", d3)
    user.deliver("Drafts", draft()[1], flags=(b"\\Draft",))
    cs = mb.changes(None)
    assert cs.full and cs.removed == ()
    got = by_mid(cs.added)
    assert set(got) == {m1, m2}
    inbox_uv, sent_uv = user.uidvalidity("INBOX"), user.uidvalidity("Sent")
    assert got[m1].id == f"inbox/{inbox_uv}/{u1}" and got[m1].folder == INBOX
    assert got[m2].id == f"sent/{sent_uv}/{u2}" and got[m2].folder == SENT
    assert got[m1].headers_only and b"Secret body" not in got[m1].data
    assert b"Subject: Interview" in got[m1].data and b"X-Followup-Agent: nope" in got[m1].data
    assert b"MIME-Version" not in got[m1].data  # only the fields the pipeline reads
    assert "\\Seen" in got[m1].flags and "\\Seen" not in got[m2].flags


def test_changes_hand_over_keywords_as_labels_and_no_drafts(user: DovecotUser, mb: ImapMailbox) -> None:
    """What the protocol says, decoded here: the engine reads labels and never sees a draft."""
    kept, d1 = message("Interview")
    plain, d2 = message("Re: Interview")
    _saved, d3 = message("Unfinished reply")
    user.deliver("INBOX", d1, flags=(b"\\Seen", b"Follow-up/Pause", b"$Label1"))
    user.deliver("Sent", d2)
    user.deliver("Sent", d3, flags=(b"\\Draft",))  # a client that saves drafts where it sends
    with mb:
        got = by_mid(mb.changes(None).added)
    assert set(got) == {kept, plain}
    assert got[kept].labels == {"Follow-up/Pause", "$Label1"} and "\\Seen" in got[kept].flags
    assert got[plain].labels == frozenset()


def test_the_sync_after_the_fingerprint_reuses_its_status_once(
    user: DovecotUser, mb: ImapMailbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Right after a delivery Dovecot rescans a Maildir folder at each open: the sync that
    follows the fingerprint takes the STATUS the fingerprint just asked instead of asking it
    again. Mail that comes in between is read by the next sync, not lost."""
    from imapclient import IMAPClient

    asked: list[str] = []
    real = IMAPClient.folder_status

    def spy(self: IMAPClient, folder: str, *a: Any, **k: Any) -> Any:
        asked.append(folder)
        return real(self, folder, *a, **k)

    monkeypatch.setattr(IMAPClient, "folder_status", spy)
    first, d1 = message("Interview")
    user.deliver("INBOX", d1)
    with mb:
        cursor = mb.changes(None).cursor
        second, d2 = message("Re: Interview")
        user.deliver("INBOX", d2)
        mb.fingerprint()
        asked.clear()
        got = mb.changes(cursor)
        assert asked == [] and set(by_mid(got.added)) == {second}  # the fingerprint's STATUS, once
        late, d3 = message("Re: Re: Interview")
        mb.fingerprint()
        user.deliver("INBOX", d3)  # after the fingerprint: this sync does not see it
        assert mb.changes(got.cursor).added == () and asked == ["INBOX", "Sent", "Drafts"]
        asked.clear()
        later = mb.changes(got.cursor)  # the next one asks again, and reads it
        assert set(by_mid(later.added)) == {late} and asked == ["INBOX", "Sent"]
    assert first not in by_mid(got.added)


@pytest.mark.parametrize("first", ["fingerprint", "changes"])
def test_inbox_is_examined_before_the_sessions_first_list_and_read_in_place(
    user: DovecotUser, monkeypatch: pytest.MonkeyPatch, first: str
) -> None:
    """Once a session has listed its folders, Dovecot opens a Maildir INBOX far more slowly
    (70-110 ms at 250,000 messages against 4 ms), and right after a delivery every open
    rescans it: INBOX, which needs no discovery, is examined first, its figures serve as its
    STATUS, and the sync reads the new mail in place, opening INBOX once."""
    import imaplib

    sent: list[str] = []
    real = imaplib.IMAP4._command

    def spy(self: imaplib.IMAP4, name: str, *args: Any) -> Any:
        sent.append(f"{name} {args[0].decode() if args and isinstance(args[0], bytes) else ''}".strip())
        return real(self, name, *args)

    monkeypatch.setattr(imaplib.IMAP4, "_command", spy)
    mid, data = message("Interview")
    user.deliver("INBOX", data)
    with user.mailbox() as mb:
        cursor = mb.changes(None).cursor
    sent.clear()
    later, more = message("Re: Interview")
    user.deliver("INBOX", more)
    with user.mailbox() as mb:
        if first == "fingerprint":
            mb.fingerprint()
        got = mb.changes(cursor)
    assert set(by_mid(got.added)) == {later}
    lists = [i for i, c in enumerate(sent) if c.startswith(("LIST", "XLIST"))]
    inbox = [i for i, c in enumerate(sent) if c in ('EXAMINE "INBOX"', 'SELECT "INBOX"', 'STATUS "INBOX"')]
    assert lists and inbox and inbox[0] < lists[0]  # examined before the first LIST
    assert [sent[i] for i in inbox] == ['EXAMINE "INBOX"']  # and only then: read in place
    assert mid not in by_mid(got.added)


def test_what_is_examined_first_is_never_read_as_another_folder(user: DovecotUser) -> None:
    """INBOX's kept reply serves only while INBOX stays selected: anything selected between
    the fingerprint and the sync (the drafts listed, a body fetched) and the sync opens
    INBOX again, and a second sync asks INBOX afresh."""
    _m1, d1 = message("Interview")
    user.deliver("INBOX", d1)
    with user.mailbox() as mb:
        cursor = mb.changes(None).cursor
    user.deliver("Drafts", draft()[1], flags=(b"\\Draft",))
    late, d2 = message("Re: Interview")
    user.deliver("INBOX", d2)
    with user.mailbox() as mb:
        mb.fingerprint()
        assert len(mb.drafts()) == 1  # Drafts selected meanwhile
        got = mb.changes(cursor)
        assert set(by_mid(got.added)) == {late}
        last, d3 = message("Re: Re: Interview")
        user.deliver("INBOX", d3)
        assert set(by_mid(mb.changes(got.cursor).added)) == {last}


@pytest.mark.parametrize("mode", ["qresync", "condstore", "plain"])
def test_incremental_new_changed_removed(user: DovecotUser, mode: str) -> None:
    drop = {"qresync": (), "condstore": ("QRESYNC",), "plain": ("QRESYNC", "CONDSTORE")}[mode]
    box = without_caps(user, *drop)
    with box:
        mids = {}
        for i in range(4):
            mid, data = message(f"Interview {i}")
            mids[mid] = user.deliver("INBOX", data)
        s_mid, s_data = message("Re: Interview")
        user.deliver("Sent", s_data)
        first = box.changes(None)
        ids = {mid_of(r.data): r.id for r in first.added}
        warm = box.changes(first.cursor)
        assert not warm.full and warm.added == () and warm.removed == ()

        victim, flagged = list(mids)[:2]
        user.expunge("INBOX", [mids[victim]])
        user.set_flags("INBOX", [mids[flagged]], [b"\\Flagged"])
        new_mid, new_data = message("Offer")
        user.deliver("INBOX", new_data)
        sent_gone = s_mid
        user.expunge("Sent", user.uids("Sent"))
        cs = box.changes(warm.cursor)
        assert not cs.full
        assert sorted(cs.removed) == sorted([ids[victim], ids[sent_gone]])
        got = by_mid(cs.added)
        if mode == "plain":
            assert set(got) == {new_mid}  # without CONDSTORE flag changes are not seen
        else:
            assert set(got) == {new_mid, flagged}
            assert "\\Flagged" in got[flagged].flags and got[flagged].id == ids[flagged]
        again = box.changes(cs.cursor)
        assert again.added == () and again.removed == ()


def test_removal_and_arrival_in_one_interval(user: DovecotUser, mb: ImapMailbox) -> None:
    """Same message count before and after: the UID set still tells."""
    _a, da = message("A")
    ua = user.deliver("INBOX", da)
    first = mb.changes(None)
    user.expunge("INBOX", [ua])
    b, db = message("B")
    user.deliver("INBOX", db)
    cs = mb.changes(first.cursor)
    assert cs.removed == (first.added[0].id,)
    assert list(by_mid(cs.added)) == [b]


def test_uidvalidity_change_means_full(user: DovecotUser, mb: ImapMailbox) -> None:
    i_mid, i_data = message("Interview")
    user.deliver("INBOX", i_data)
    old_mid, old_data = message("Old sent")
    user.deliver("Sent", old_data)
    first = mb.changes(None)
    old_uv = user.uidvalidity("Sent")
    user.recreate("Sent")
    assert user.uidvalidity("Sent") != old_uv
    new_mid, new_data = message("New sent")
    user.deliver("Sent", new_data)
    cs = mb.changes(first.cursor)
    assert cs.full  # the engine replaces what it knew
    got = by_mid(cs.added)
    assert set(got) == {i_mid, new_mid}
    assert got[new_mid].id.startswith(f"sent/{user.uidvalidity('Sent')}/")
    old_id = next(r.id for r in first.added if mid_of(r.data) == old_mid)
    assert mb.fetch([old_id]) == {}  # an id from the old UIDVALIDITY is gone
    assert mb.changes(cs.cursor).added == ()


def test_cursor_of_another_account_means_full(user: DovecotUser, dovecot: DovecotServer) -> None:
    mid, data = message("Interview")
    user.deliver("INBOX", data)
    other = dovecot.add_user()
    with user.mailbox() as mine, other.mailbox() as theirs:
        cursor = theirs.changes(None).cursor
        cs = mine.changes(cursor)
        assert cs.full and list(by_mid(cs.added)) == [mid]


def test_headers_are_fetched_in_batches(user: DovecotUser, mb: ImapMailbox, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(imap_mod, "HEADER_BATCH", 7)
    for i in range(20):
        user.deliver("INBOX", message(f"Bulk {i}")[1])
    seen: list[int] = []
    real = imap_mod.uid_fetch_send

    def counting(c: Any, uid_set: str, items: str) -> Any:
        if "HEADER.FIELDS" in items:
            seen.append(len(list(imap_mod._expand_uids(uid_set))))
        return real(c, uid_set, items)

    monkeypatch.setattr(imap_mod, "uid_fetch_send", counting)
    with mb:
        cs = mb.changes(None)
    assert len(cs.added) == 20 and max(seen) <= 7 and sum(seen) == 20


def test_header_fetch_reader_reads_the_usual_shape_and_refuses_others() -> None:
    """The fast reader of header FETCH responses (``_header_batch``) or, for any other shape, None
    (imapclient's general parser then reads the batch)."""
    item = b"BODY[HEADER.FIELDS (FROM SUBJECT)]"
    usual = [(b"7 (UID 12 FLAGS (\\Seen $Label) " + item + b" {9}", b"From: a\r\n"), b")"]
    assert imap_mod._read_header_fetch(usual) == {12: (b"From: a\r\n", b"\\Seen $Label")}
    assert imap_mod._flag_text(b"\\Seen $Label \\Recent") == frozenset({"\\Seen", "$Label"})
    flags_last = [(b"7 (UID 12 " + item + b" {9}", b"From: a\r\n"), b" FLAGS (\\Seen))"]
    unsolicited = [*usual, b"3 (FLAGS (\\Seen) UID 4)"]
    quoted = [b"7 (UID 12 FLAGS () " + item + b' "")']
    for other in (flags_last, unsolicited, quoted):
        assert imap_mod._read_header_fetch(other) is None


def test_more_than_one_batch_of_messages(user: DovecotUser, mb: ImapMailbox) -> None:
    """2,100 messages: more than one 2,000-UID header batch against the real server."""
    c = user.admin
    msgs = [message(f"Bulk {i}")[1] for i in range(2100)]
    for i in range(0, len(msgs), 500):
        c.multiappend("INBOX", msgs[i : i + 500])
    cs = mb.changes(None)
    assert len(cs.added) == 2100 and len({r.id for r in cs.added}) == 2100
    assert mb.changes(cs.cursor).added == ()
    assert len(cs.cursor) < 2000  # the UID set is stored as ranges


def test_folder_state_round_trips_gmail_msgids() -> None:
    from agent.backends.imap import _FolderState

    st = _FolderState("[Gmail]/All Mail", 7, 12, 99, {3, 5, 11}, {3: 1780000000000000001, 11: 1780000000000000900})
    back = _FolderState.from_json(json.loads(json.dumps(st.to_json())))
    fields = ("name", "uidvalidity", "uidnext", "modseq", "uids", "msgids", "count")
    assert [getattr(back, f) for f in fields] == [getattr(st, f) for f in fields]
    assert _FolderState.from_json(_FolderState("INBOX", 1, 2, None, {1}).to_json()).msgids == {}


def test_an_unchanged_folder_state_is_never_expanded() -> None:
    """A warm poll's cost must not grow with the mailbox: a folder state read from the cursor
    and written back unchanged keeps its stored form; its message count needs no expansion."""
    from agent.backends.imap import _FolderState

    stored = _FolderState("INBOX", 7, 20001, 5, set(range(1, 20001))).to_json()
    back = _FolderState.from_json(stored)
    assert back.count == 20000 and back._uids is None and back._msgids is None
    assert back.to_json() == stored and back._uids is None
    old_style = {k: v for k, v in stored.items() if k != "n"}  # a cursor from before the count
    assert _FolderState.from_json(old_style).count == 20000
    with pytest.raises(ValueError):
        _FolderState.from_json({**stored, "uids": 5})


def test_uid_set_compression_round_trips() -> None:
    uids = [1, 2, 3, 7, 9, 10, 11, 40]
    assert _compress_uids(uids) == "1:3,7,9:11,40"
    assert list(_expand_uids("1:3,7,9:11,40")) == uids
    assert list(_expand_uids("5:3")) == [3, 4, 5]
    assert _compress_uids([]) == ""


# --- fetch ----------------------------------------------------------------------------------


def test_fetch_full_bytes_and_leaves_out_unknown_ids(user: DovecotUser, mb: ImapMailbox) -> None:
    _mid, data = message("Interview", body="We hope to decide by Friday.\n")
    user.deliver("INBOX", data)
    (raw,) = mb.changes(None).added
    uv = user.uidvalidity("INBOX")
    got = mb.fetch([raw.id, f"inbox/{uv}/999", f"inbox/{uv + 1}/1", "nonsense", "sent/x/y"])
    assert list(got) == [raw.id]
    assert got[raw.id] == data  # Dovecot hands back exactly what was delivered (CRLF)


def test_big_message_is_fetched_as_text_parts_only(user: DovecotUser, mb: ImapMailbox) -> None:
    mid = f"<big-{uuid.uuid4().hex}@acme.example>"
    attachment = ("QUJD" * 19 + "\r\n") * 70000  # ~5.3 MB of base64
    data = (
        "From: Sam <sam@acme.example>\r\nTo: jordan@example.org\r\nSubject: Slides\r\n"
        f"Message-ID: {mid}\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/mixed; boundary="b1"\r\n\r\n'
        "--b1\r\nContent-Type: multipart/alternative; boundary=\"b2\"\r\n\r\n"
        "--b2\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nSee the slides; we decide by Friday.\r\n"
        "--b2\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>See the slides</p>\r\n--b2--\r\n"
        "--b1\r\nContent-Type: application/pdf; name=slides.pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        + attachment
        + "--b1--\r\n"
    ).encode()
    assert len(data) > imap_mod.BIG_MESSAGE
    user.deliver("INBOX", data)
    (raw,) = mb.changes(None).added
    got = mb.fetch([raw.id])[raw.id]
    assert len(got) < 10_000
    msg = email.message_from_bytes(got, policy=default_policy)
    assert str(msg["Message-ID"]).strip() == mid and msg["Subject"] == "Slides"
    body = msg.get_body(("plain",))
    assert body is not None and "decide by Friday" in body.get_content()
    assert b"QUJD" not in got


def test_big_single_part_message_is_cut(user: DovecotUser, mb: ImapMailbox) -> None:
    line = "All work and no play makes a very long newsletter indeed.\n"
    _mid, data = message("Newsletter", body="Start here.\n" + line * 90_000)
    assert len(data) > imap_mod.BIG_MESSAGE
    user.deliver("INBOX", data)
    (raw,) = mb.changes(None).added
    got = mb.fetch([raw.id])[raw.id]
    assert got.startswith(data[: data.index(b"\r\n\r\n")])
    assert b"Start here." in got
    assert len(got) <= imap_mod.TEXT_PART_CAP + 2_000


# --- drafts ---------------------------------------------------------------------------------


def test_draft_create_list_delete(user: DovecotUser, mb: ImapMailbox) -> None:
    mid, data = draft()
    did = mb.create_draft(data)
    uv = user.uidvalidity("Drafts")
    assert did.startswith(f"drafts/{uv}/")
    (listed,) = mb.drafts()
    assert listed.id == did and mid_of(listed.data) == mid
    assert listed.data == data.replace(b"\n", b"\r\n")
    flags = user.snapshot()["Drafts"]["flags"]
    assert list(flags.values()) == [(b"\\Draft", b"\\Seen")]
    mb.delete_draft(did)
    assert mb.drafts() == []
    assert user.uids("Drafts") == []  # expunged, not just flagged
    mb.delete_draft(did)  # already gone: fine


def test_delete_draft_touches_only_that_uid(user: DovecotUser, mb: ImapMailbox) -> None:
    """The user's own \\Deleted draft (their client has not expunged yet) must survive."""
    theirs = user.deliver("Drafts", draft("Mine")[1], flags=(b"\\Draft", b"\\Deleted"))
    kept = user.deliver("Drafts", draft("Keep")[1], flags=(b"\\Draft",))
    did = mb.create_draft(draft()[1])
    mb.delete_draft(did)
    assert user.uids("Drafts") == [theirs, kept]
    assert [d.id.rsplit("/", 1)[1] for d in mb.drafts()] == [str(kept)]  # \Deleted is not listed


def test_delete_draft_refuses_other_ids(user: DovecotUser, mb: ImapMailbox) -> None:
    user.deliver("INBOX", message("Interview")[1])
    (raw,) = mb.changes(None).added
    for bad in (raw.id, "drafts/x/1", "drafts/1", "gm/123"):
        with pytest.raises(MailboxError, match="not a draft id"):
            mb.delete_draft(bad)
    assert len(user.uids("INBOX")) == 1


def test_draft_of_a_rebuilt_drafts_folder_is_gone(user: DovecotUser, mb: ImapMailbox) -> None:
    did = mb.create_draft(draft()[1])
    user.recreate("Drafts")
    mb.delete_draft(did)  # no error, nothing touched
    assert mb.drafts() == []


def test_retried_append_adopts_the_draft_already_stored(user: DovecotUser, mb: ImapMailbox) -> None:
    """A retry after a cut mid-APPEND must not store the draft twice."""
    mid, data = draft()
    did = mb.create_draft(data)
    again = mb._run("retry", lambda c, _a: mb._create_draft(c, imap_mod._crlf(data), mid, 1))
    assert again == did
    assert len(user.uids("Drafts")) == 1


def test_drafts_are_not_conversation_mail(user: DovecotUser, mb: ImapMailbox) -> None:
    mid, data = draft()
    mb.create_draft(data)
    assert mid not in by_mid(mb.changes(None).added)


# --- reading changes nothing -----------------------------------------------------------------


def test_reading_changes_no_flag_and_no_modseq(user: DovecotUser, mb: ImapMailbox) -> None:
    for i in range(3):
        user.deliver("INBOX", message(f"Unread {i}")[1])
    user.deliver("Sent", message("Sent")[1], flags=(b"\\Seen",))
    mb.create_draft(draft()[1])
    mb.close()
    before = user.snapshot()
    assert before["INBOX"]["highestmodseq"] is not None
    first = mb.changes(None)
    mb.changes(first.cursor)
    mb.changes(None)
    mb.fetch([r.id for r in first.added])
    mb.drafts()
    mb.idle_wait(0.1)
    mb.close()
    after = user.snapshot()
    assert after == before
    assert all(flags == () for flags in after["INBOX"]["flags"].values())  # still unread


# --- IDLE -----------------------------------------------------------------------------------------


def test_idle_wait_times_out_quietly(mb: ImapMailbox) -> None:
    assert mb.idle_wait(0.3) is False


def test_idle_wait_wakes_on_new_mail(user: DovecotUser, mb: ImapMailbox) -> None:
    mb.changes(None)

    def reply() -> None:
        c = user.connect()
        c.append("INBOX", message("Reply")[1])
        c.logout()

    timer = threading.Timer(0.3, reply)
    timer.start()
    try:
        assert mb.idle_wait(10) is True
    finally:
        timer.join()
    assert len(mb.changes(None).added) == 1  # the connection is usable after IDLE


def test_idle_wait_without_idle_polls_status(user: DovecotUser) -> None:
    box = ImapMailbox(user.imap_config(), lambda: user.password, ignore_capabilities=["IDLE"])
    with box:
        assert box.idle_wait(0.2) is False
        user.deliver("INBOX", message("Reply")[1])
        timer = threading.Timer(0.2, lambda: user.deliver("Sent", message("x")[1]))
        timer.start()
        assert box.idle_wait(0.5) is False  # Sent is not watched
        timer.join()
        box.changes(None)

        def reply() -> None:
            c = user.connect()
            c.append("INBOX", message("Another")[1])
            c.logout()

        timer = threading.Timer(0.2, reply)
        timer.start()
        assert box.idle_wait(1.0) is True
        timer.join()


def test_idle_wait_on_a_lost_connection_says_poll_now(mb: ImapMailbox) -> None:
    mb.changes(None)
    assert mb._client is not None
    mb._client.socket().shutdown(socket.SHUT_RDWR)
    assert mb.idle_wait(5) is True
    assert mb.changes(None).full  # and the next call reconnects


# --- secrets ----------------------------------------------------------------------------------------


class FakeKeyring:
    def __init__(self, value: str | None = None, error: Exception | None = None) -> None:
        self.value, self.error = value, error
        self.asked: list[tuple[str, str]] = []

    def __call__(self, service: str, username: str) -> str | None:
        self.asked.append((service, username))
        if self.error is not None:
            raise self.error
        return self.value


@pytest.fixture
def creds(tmp_path: Path) -> Path:
    d = tmp_path / "credentials"
    d.mkdir()
    return d


def _env(creds: Path | None) -> dict[str, str]:
    env = {"PATH": "/usr/bin:/bin"}
    if creds is not None:
        env["CREDENTIALS_DIRECTORY"] = str(creds)
    return env


def test_secret_order_credentials_then_keyring_then_command(
    creds: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import keyring

    ring = FakeKeyring("from-keyring")
    monkeypatch.setattr(keyring, "get_password", ring)
    (creds / "imap-password").write_text("from-credentials\n")
    kw: dict[str, Any] = {"service": "svc", "username": "me", "command": "echo from-command"}
    assert get_secret("imap-password", env=_env(creds), **kw) == "from-credentials"
    assert ring.asked == []  # not even asked
    (creds / "imap-password").unlink()
    assert get_secret("imap-password", env=_env(creds), **kw) == "from-keyring"
    assert ring.asked == [("svc", "me")]
    ring.value = None
    assert get_secret("imap-password", env=_env(creds), **kw) == "from-command"
    ring.error = RuntimeError("no D-Bus session")  # a broken keyring is "not there"
    assert get_secret("imap-password", env=_env(None), **kw) == "from-command"


def test_no_secret_anywhere_names_every_source(creds: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import keyring

    monkeypatch.setattr(keyring, "get_password", FakeKeyring(error=RuntimeError("locked")))
    with pytest.raises(MailboxError) as info:
        get_secret(
            "imap-password",
            service="svc",
            username="me",
            command="sh -c 'echo denied >&2; echo hunter2; exit 3'",
            env=_env(creds),
        )
    text = str(info.value)
    assert f"$CREDENTIALS_DIRECTORY/imap-password: no file {creds / 'imap-password'}" in text
    assert "the keyring (service 'svc', user 'me'): RuntimeError: locked" in text
    assert "password_command: exited with status 3 (denied)" in text
    assert "hunter2" not in text
    with pytest.raises(MailboxError) as info:
        get_secret("x", service="svc", username="me", command=None, env=_env(None))
    assert "$CREDENTIALS_DIRECTORY/x: not set" in str(info.value)
    assert "password_command: not configured" in str(info.value)


def test_password_command_forms(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import keyring

    monkeypatch.setattr(keyring, "get_password", FakeKeyring(None))
    kw: dict[str, Any] = {"service": "s", "username": "u", "env": _env(None)}
    # no shell: quoting is shlex's, so spaces and $ in arguments stay literal
    assert get_secret("n", command="printf '%s\\n' 'a $b c'", **kw) == "a $b c"
    # shell syntax: run by /bin/sh
    assert get_secret("n", command="echo first | tr a-z A-Z", **kw) == "FIRST"
    # only the first line counts, stripped
    assert get_secret("n", command="printf '  pw  \\nsecond\\n'", **kw) == "pw"
    with pytest.raises(MailboxError, match="'no-such-command-xyz' was not found"):
        get_secret("n", command="no-such-command-xyz", **kw)
    with pytest.raises(MailboxError, match="printed nothing"):
        get_secret("n", command="true", **kw)


def test_password_command_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    import keyring

    from agent import secrets

    monkeypatch.setattr(keyring, "get_password", FakeKeyring(None))
    monkeypatch.setattr(secrets, "COMMAND_TIMEOUT", 0.2)
    with pytest.raises(MailboxError, match="did not finish within 0.2 s"):
        get_secret("n", service="s", username="u", command="sleep 5", env=_env(None))


def test_credentials_file_edge_cases(creds: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import keyring

    monkeypatch.setattr(keyring, "get_password", FakeKeyring(None))
    (creds / "pw").write_bytes(b"with trailing spaces  \r\n")
    kw: dict[str, Any] = {"service": "s", "username": "u", "command": None, "env": _env(creds)}
    assert get_secret("pw", **kw) == "with trailing spaces  "
    (creds / "empty").write_text("")
    with pytest.raises(MailboxError, match="empty is empty"):
        get_secret("empty", **kw)
    with pytest.raises(MailboxError, match="is not a credential name"):
        get_secret("../pw", **kw)


def test_store_secret_uses_the_keyring(monkeypatch: pytest.MonkeyPatch) -> None:
    import keyring

    from agent.errors import AgentError
    from agent.secrets import store_secret

    stored: dict[tuple[str, str], str] = {}
    monkeypatch.setattr(keyring, "set_password", lambda s, u, p: stored.__setitem__((s, u), p))
    store_secret("svc", "me", "pw")
    assert stored == {("svc", "me"): "pw"}

    def broken(s: str, u: str, p: str) -> None:
        raise RuntimeError("no backend")

    monkeypatch.setattr(keyring, "set_password", broken)
    with pytest.raises(AgentError, match="no backend") as info:
        store_secret("svc", "me", "pw-123")
    assert "pw-123" not in str(info.value)


def test_password_from_credentials_directory_logs_in(
    user: DovecotUser, creds: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The systemd path end to end: $CREDENTIALS_DIRECTORY → login on Dovecot."""
    from agent.backends.imap import credential_provider

    (creds / "imap-password").write_text(PASSWORD + "\n")
    provider = credential_provider(user.imap_config(), env=_env(creds))
    with ImapMailbox(user.imap_config(), provider) as box:
        assert box.changes(None).full


def test_cursor_is_compact_json(user: DovecotUser, mb: ImapMailbox) -> None:
    user.deliver("INBOX", message("Interview")[1])
    cursor = mb.changes(None).cursor
    doc = ImapMailbox._decode_cursor(cursor)
    assert doc is not None
    assert set(doc["folders"]) == {INBOX, SENT}
    inbox = doc["folders"][INBOX]
    assert inbox["name"] == "INBOX" and inbox["uids"] == "1" and inbox["ms"] is not None
    assert json.dumps(doc)  # plain JSON inside


def test_idle_wait_returns_when_the_server_goes_away(user: DovecotUser, mb: ImapMailbox) -> None:
    """A server shutdown (BYE, then end-of-file) is news, not a quiet IDLE to wait out."""
    result: list[bool] = []
    waiter = threading.Thread(target=lambda: result.append(mb.idle_wait(20)))
    waiter.start()
    import time as _t

    _t.sleep(0.5)  # let the IDLE begin (a scene-setting pause, not a measurement)
    user.server.restart()
    waiter.join(30)
    assert result == [True]


def test_drafts_already_described_are_not_fetched_again(
    user: DovecotUser, mb: ImapMailbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A warm poll lists the Drafts folder but fetches only drafts it has not seen: a UID
    names unchanging bytes, and an edit arrives as a new UID."""
    from imapclient import IMAPClient

    from agent.existing_drafts import describe_drafts
    from agent.store import Store
    from tests.test_mailbox_conformance import make_draft

    fetched: list[int] = []
    real = IMAPClient.fetch

    def spy(self: IMAPClient, messages: Any, data: Any, *a: Any, **k: Any) -> Any:
        if any(str(d) == "BODY.PEEK[]" for d in data):
            fetched.extend(int(m) for m in messages)
        return real(self, messages, data, *a, **k)

    monkeypatch.setattr(IMAPClient, "fetch", spy)
    (m1, first), (m2, second) = make_draft(), make_draft()
    with mb, Store.open(tmp_path / "state.db") as store:
        mb.create_draft(first)
        mb.create_draft(second)
        described = describe_drafts(mb, store)
        assert sorted(d.message_id for d in described) == sorted([m1, m2]) and len(fetched) == 2
        fetched.clear()
        again = describe_drafts(mb, store)
        assert fetched == [] and [(d.message_id, d.fingerprint, d.marker) for d in again] == \
            [(d.message_id, d.fingerprint, d.marker) for d in described]
        (m3, third) = make_draft()
        user.deliver("Drafts", third, flags=(b"\\Draft",))
        latest = describe_drafts(mb, store)
        assert len(fetched) == 1 and sorted(d.message_id for d in latest) == sorted([m1, m2, m3])
