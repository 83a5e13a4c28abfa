"""The IMAP backend's Gmail paths (``X-GM-EXT-1``) against a Gmail-like IMAP server.

The server (tests/gmail_imap_server.py) is a real IMAP server on loopback, so
the real ImapMailbox, imapclient and imaplib run unchanged: nothing here mocks
the client. What is proven: All Mail is the only folder read (no INBOX/Sent
duplicates), ``X-GM-THRID`` is the thread hint and so the engine's
conversation, ``X-GM-MSGID`` gives ids that survive a UIDVALIDITY change,
``X-GM-RAW`` narrows what is fetched on the server, ``X-GM-LABELS`` arrive as
labels (and ``Recruiting`` forces tracking through the engine), drafts go to
``[Gmail]/Drafts`` threaded and are never reported as mail, XOAUTH2 logs in,
a bounce without threading headers loses its meaningless thread, and reading
changes nothing. The protocol behaviour shared with every backend runs on
this server too ("gmail-imap" in test_mailbox_conformance.py), and so does
the whole scenario suite (at the end of this file).
"""

from __future__ import annotations

import email
import imaplib
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

import pytest

from agent import engine
from agent.backends import imap as imap_mod
from agent.backends.imap import ImapMailbox, credential_provider
from agent.config import Config
from agent.errors import MailboxError
from agent.model import ALL, DRAFTS, INBOX, SENT
from agent.samples import ics
from agent.samples import message as sample_message
from agent.store import Store
from tests.gmail_imap_server import (
    ALL_MAIL,
    GmailImapServer,
    _labels_value,
    gmail_imap_server,
    imap_config,
    make_mailbox,
)
from tests.gmail_imap_server import DRAFTS as DRAFTS_FOLDER
from tests.helpers import Recorder, by_mid, make_config, mid_of, t

ME = "Jordan Lee <jordan.lee@gmail.com>"
ANN = "Ann Park <ann.park@acme.com>"
CLOCK = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)

# --- helpers ------------------------------------------------------------------------------


def message(
    subject: str, *, sender: str = "Sam <sam@acme.example>", to: str = "jordan.lee@gmail.com",
    body: str = "Thanks for your time today.\n", extra: str = "", mid: str | None = None,
) -> tuple[str, bytes]:
    mid = mid or f"<gm-{uuid.uuid4().hex}@acme.example>"
    data = (
        f"From: {sender}\r\nTo: {to}\r\nSubject: {subject}\r\n"
        f"Date: Tue, 01 Dec 2026 10:00:00 +0000\r\nMessage-ID: {mid}\r\n{extra}"
        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        + body.replace("\n", "\r\n")
    ).encode()
    return mid, data


def reply_to(parent: str, subject: str = "Re: Interview", **kw: Any) -> tuple[str, bytes]:
    return message(subject, extra=f"In-Reply-To: {parent}\r\nReferences: {parent}\r\n", **kw)


def draft(parent: str | None = None, subject: str = "Re: Interview") -> tuple[str, bytes]:
    mid = f"<draft-{uuid.uuid4().hex}@followup-agent>"
    threading_headers = f"In-Reply-To: {parent}\nReferences: {parent}\n" if parent else ""
    data = (
        f"From: jordan.lee@gmail.com\nTo: sam@acme.example\nSubject: {subject}\nMessage-ID: {mid}\n"
        f"{threading_headers}X-Followup-Agent: test\nMIME-Version: 1.0\n"
        "Content-Type: text/plain; charset=utf-8\n\nThank you!\n"
    ).encode()
    return mid, data


@pytest.fixture
def server() -> Iterator[GmailImapServer]:
    with gmail_imap_server(clock=CLOCK) as srv:
        yield srv


@pytest.fixture
def mb(server: GmailImapServer) -> Iterator[ImapMailbox]:
    box = make_mailbox(server)
    try:
        yield box
    finally:
        box.close()


# --- the server is what the backend takes for Gmail --------------------------------------------


def test_the_backend_takes_it_for_gmail(server: GmailImapServer, mb: ImapMailbox) -> None:
    caps = mb.capabilities
    for cap in (b"X-GM-EXT-1", b"UIDPLUS", b"SPECIAL-USE", b"IDLE", b"UNSELECT", b"CONDSTORE"):
        assert cap in caps
    assert b"QRESYNC" not in caps  # Gmail has none
    assert mb.is_gmail
    mb.changes(None)
    assert mb._folders == {ALL: ALL_MAIL, SENT: "[Gmail]/Sent Mail", DRAFTS: DRAFTS_FOLDER}


# --- All Mail only --------------------------------------------------------------------------------


def test_all_mail_only_each_message_once(server: GmailImapServer, mb: ImapMailbox) -> None:
    m_in, d_in = message("Interview at Acme")
    m_sent, d_sent = reply_to(m_in, sender=ME, to="sam@acme.example")
    m_both, d_both = message("Offer", extra="")
    m_arch, d_arch = message("Archived")
    _m_spam, d_spam = message("You won")
    _m_trash, d_trash = message("Old")
    ids = {
        m_in: server.deliver(d_in, ("\\Inbox",)),
        m_sent: server.deliver(d_sent, ("\\Sent",), flags=("\\Seen",)),
        m_both: server.deliver(d_both, ("\\Inbox", "\\Important", "Recruiting")),
        m_arch: server.deliver(d_arch, ()),
    }
    server.deliver(d_spam, ("\\Spam",))
    server.deliver(d_trash, ("\\Trash",))
    # the same message is in INBOX, Important, Recruiting and All Mail on the server
    assert sum(ids[m_both] in v.uids for v in server.views.values()) == 4
    cs = mb.changes(None)
    got = by_mid(cs.added)
    assert set(got) == {m_in, m_sent, m_both, m_arch}  # once each; no spam, no trash
    for mid, gm in ids.items():
        assert got[mid].id == f"gm/{gm}"
    assert got[m_in].folder == INBOX and got[m_both].folder == INBOX
    assert got[m_sent].folder == SENT and got[m_arch].folder == ALL
    # only All Mail was read: INBOX and Sent Mail were never opened or even asked about
    assert set(server.selects) == {("EXAMINE", ALL_MAIL)}
    assert all('"[Gmail]/All Mail"' in line for line in server.log if " STATUS " in line)
    fetched_from = {folder for folder, _uid, _items in server.fetched}
    assert fetched_from == {ALL_MAIL}
    # bodies come from All Mail too, by X-GM-MSGID
    full = mb.fetch([got[m_sent].id, got[m_arch].id])
    assert {mid_of(v) for v in full.values()} == {m_sent, m_arch}
    assert {folder for folder, _uid, _items in server.fetched} == {ALL_MAIL}


def test_trashed_message_is_removed_by_its_gmail_id(server: GmailImapServer, mb: ImapMailbox) -> None:
    _m1, d1 = message("Interview")
    _m2, d2 = message("Next steps")
    g1 = server.deliver(d1)
    server.deliver(d2)
    first = mb.changes(None)
    server.delete(g1)  # the user deletes it in Gmail: to the Trash, out of All Mail
    cs = mb.changes(first.cursor)
    assert not cs.full and cs.added == ()
    assert cs.removed == (f"gm/{g1}",)
    assert mb.fetch([f"gm/{g1}"]) == {}
    assert mb.changes(cs.cursor).removed == ()


# --- X-GM-THRID ---------------------------------------------------------------------------------------


def test_thread_hint_is_x_gm_thrid(server: GmailImapServer, mb: ImapMailbox) -> None:
    root, d_root = message("Interview")
    rep, d_rep = reply_to(root, sender=ME, to="sam@acme.example")
    other, d_other = message("Something else")
    g_root = server.deliver(d_root)
    g_rep = server.deliver(d_rep, ("\\Sent",))
    g_other = server.deliver(d_other)
    assert server.messages[g_rep].thrid == g_root  # the server threads by header
    got = by_mid(mb.changes(None).added)
    assert got[root].thread_hint == got[rep].thread_hint == str(g_root)
    assert got[other].thread_hint == str(g_other)


def _poll(config: Config, box: ImapMailbox, now: datetime) -> engine.PollResult:
    with Store.open(config.state.path) as store:
        return engine.poll(config, box, store, now)


def _config(server: GmailImapServer, tmp_path: Path, **imap: Any) -> Config:
    return make_config(tmp_path, imap={"port": server.port, "username": server.user, **imap})


def test_engine_conversations_are_gmails_threads(server: GmailImapServer, tmp_path: Path) -> None:
    """Gmail's threads win over headers: a Gmail thread without header links is one
    conversation; a reply Gmail put into a thread of its own is another."""
    inv = ics("Interview: Jordan Lee / Acme", t(12, 1, 13), t(12, 1, 14), organizer="ann.park@acme.com",
              attendee="jordan.lee@gmail.com")
    d1 = sample_message(ANN, ME, "Interview for the Platform Engineer role",
                        "Hi Jordan, the invitation is attached.\n\nAnn", t(11, 24, 9), "acme-1@acme.com",
                        calendar=inv)
    # Ann writes again with no In-Reply-To (a new compose), and Gmail threads it anyway
    d2 = sample_message(ANN, ME, "Parking at the Acme office", "Park in lot B.\n\nAnn", t(11, 25, 9),
                        "acme-2@acme.com")
    g1 = server.deliver(d1)
    g2 = server.deliver(d2)
    server.messages[g2].thrid = server.messages[g1].thrid  # Gmail's own threading decision
    config = _config(server, tmp_path)
    with make_mailbox(server) as box:
        r = _poll(config, box, t(11, 26, 9))
    convs = [c for c in r.conversations.values() if any(m.id == f"gm/{g1}" for m in c.messages)]
    assert len(convs) == 1
    assert {m.id for m in convs[0].messages} == {f"gm/{g1}", f"gm/{g2}"}
    assert {m.thread_hint for m in convs[0].messages} == {str(g1)}


def _report(mid: str, threading_headers: str = "") -> bytes:
    return (
        "From: Mail Delivery System <MAILER-DAEMON@mx.acme.example>\r\nTo: jordan.lee@gmail.com\r\n"
        f"Subject: Undelivered Mail Returned to Sender\r\nMessage-ID: {mid}\r\n{threading_headers}"
        'MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary="r"\r\n'
        "\r\n--r\r\nContent-Type: text/plain\r\n\r\nGone.\r\n--r--\r\n"
    ).encode()


def test_a_bounce_without_threading_headers_gets_no_thread_hint(server: GmailImapServer, mb: ImapMailbox) -> None:
    """As in the Gmail API backend: Gmail gives such a report a thread of its own, which says
    nothing; the returned Message-ID in its body is what ties it to its conversation."""
    root, d_root = message("Interview")
    server.deliver(d_root)
    bare, threaded = "<bounce-1@mx.acme.example>", "<bounce-2@mx.acme.example>"
    g_bare = server.deliver(_report(bare))
    server.deliver(_report(threaded, f"In-Reply-To: {root}\r\nReferences: {root}\r\n"))
    got = by_mid(mb.changes(None).added)
    assert got[bare].id == f"gm/{g_bare}" and got[bare].thread_hint is None
    assert got[threaded].thread_hint == got[root].thread_hint is not None


# --- X-GM-MSGID: stable ids -------------------------------------------------------------------------


def test_ids_survive_a_uidvalidity_change(server: GmailImapServer, mb: ImapMailbox) -> None:
    mids = {}
    for i in range(4):
        mid, data = message(f"Interview {i}")
        mids[mid] = server.deliver(data)
    first = mb.changes(None)
    ids = {mid_of(r.data): r.id for r in first.added}
    assert ids == {mid: f"gm/{gm}" for mid, gm in mids.items()}
    old_uv = server.views[ALL_MAIL].uidvalidity
    server.reset_uidvalidity(ALL_MAIL)  # every UID now names another message
    assert server.views[ALL_MAIL].uidvalidity != old_uv
    cs = mb.changes(first.cursor)
    assert cs.full  # the engine replaces what it knew...
    assert {mid_of(r.data): r.id for r in cs.added} == ids  # ...with the very same ids
    # a body fetched by an id learnt before the change is the right message, not the one
    # that now has its old UID
    for mid, mid_id in ids.items():
        got = mb.fetch([mid_id])
        assert mid_of(got[mid_id]) == mid
    # and so from a new process that knows only the ids (no UID map yet)
    with make_mailbox(server) as fresh:
        assert {mid_of(v) for v in fresh.fetch(list(ids.values())).values()} == set(ids)
        assert fresh.fetch(["gm/12345"]) == {}
    assert mb.changes(cs.cursor).added == ()


# --- X-GM-RAW -----------------------------------------------------------------------------------------


def test_x_gm_raw_narrows_the_scan_on_the_server(server: GmailImapServer, mb: ImapMailbox) -> None:
    old_mid, old = message("Interview last spring")
    new_mid, new = message("Interview")
    promo_mid, promo = message("50% off")
    g_old = server.deliver(old, when=CLOCK - timedelta(days=200))
    g_new = server.deliver(new, when=CLOCK - timedelta(days=3))
    g_promo = server.deliver(promo, category="promotions")
    cs = mb.changes(None)  # default query: newer_than:180d
    assert set(by_mid(cs.added)) == {new_mid, promo_mid}
    # the old message was never fetched at all: the narrowing happened on the server
    old_uid = server.uid_of(ALL_MAIL, g_old)
    assert old_uid not in {uid for _f, uid, _i in server.fetched}
    assert any("X-GM-RAW newer_than:180d" in line for line in server.log if "UID SEARCH" in line)

    server.fetched.clear()
    with make_mailbox(server, gmail_query="newer_than:180d -category:promotions") as narrow:
        got = by_mid(narrow.changes(None).added)
        assert set(got) == {new_mid}
    assert any('X-GM-RAW "newer_than:180d -category:promotions"' in line for line in server.log)
    assert {uid for _f, uid, _i in server.fetched} == {server.uid_of(ALL_MAIL, g_new)}
    assert server.uid_of(ALL_MAIL, g_promo) != server.uid_of(ALL_MAIL, g_new)

    with make_mailbox(server, gmail_query="") as everything:
        assert set(by_mid(everything.changes(None).added)) == {old_mid, new_mid, promo_mid}


def test_x_gm_raw_applies_to_incremental_syncs(server: GmailImapServer, mb: ImapMailbox) -> None:
    _m, d = message("Interview")
    server.deliver(d)
    first = mb.changes(None)
    _old_mid, old = message("Imported from another account")
    new_mid, new = message("Reply")
    server.deliver(old, when=CLOCK - timedelta(days=400))  # e.g. a Takeout import: old date
    server.deliver(new)
    cs = mb.changes(first.cursor)
    assert not cs.full
    assert set(by_mid(cs.added)) == {new_mid}


def test_a_query_the_server_refuses_is_a_clear_error(server: GmailImapServer) -> None:
    with make_mailbox(server, gmail_query="has:nouserlabels") as box, pytest.raises(
        MailboxError, match="refused an operation while reading new mail"
    ):
        box.changes(None)


# --- X-GM-LABELS ------------------------------------------------------------------------------------


def test_labels_arrive_decoded(server: GmailImapServer, mb: ImapMailbox) -> None:
    _mid, data = message("Interview")
    server.deliver(data, ("\\Inbox", "\\Important", "Recruiting", "Bewerbung/Köln", "Two words"))
    (raw,) = mb.changes(None).added
    assert raw.labels == {"\\Inbox", "\\Important", "Recruiting", "Bewerbung/Köln", "Two words"}
    # on the wire they were Gmail's modified UTF-7 (and quoted where needed)
    with server.lock:
        wire = _labels_value(server.messages[next(iter(server.messages))])
    assert b"Bewerbung/K&APY-ln" in wire and b'"Two words"' in wire


@pytest.mark.parametrize("condstore", [True, False])
def test_label_changes_and_new_mail_incrementally(condstore: bool) -> None:
    """With CONDSTORE (as Gmail offers) a label the user adds later is seen; without it, new
    mail still is (the documented limit: flag and label changes are not)."""
    with gmail_imap_server(clock=CLOCK, condstore=condstore) as server, make_mailbox(server) as box:
        assert (b"CONDSTORE" in box.capabilities) == condstore
        mid, data = message("Coffee chat")
        g = server.deliver(data)
        first = box.changes(None)
        warm = box.changes(first.cursor)
        assert not warm.full and warm.added == () and warm.removed == ()
        server.add_label(g, "Recruiting")
        new_mid, new = message("Another")
        server.deliver(new)
        cs = box.changes(warm.cursor)
        got = by_mid(cs.added)
        if condstore:
            assert set(got) == {mid, new_mid}
            assert "Recruiting" in got[mid].labels and got[mid].id == f"gm/{g}"
        else:
            assert set(got) == {new_mid}
        assert box.changes(cs.cursor).added == ()


def test_recruiting_label_forces_tracking_through_the_engine(server: GmailImapServer, tmp_path: Path) -> None:
    """A conversation nothing marks as recruiting is tracked because of its Gmail label, and a
    label added later (seen through CONDSTORE) starts tracking an untracked one."""
    sender = "Chris Doe <chris@smallstudio.example>"
    body = "Hi Jordan,\n\nGreat talking yesterday. Let's keep in touch.\n\nChris\n"
    d_labelled = sample_message(sender, ME, "Catching up", body, t(11, 24, 9), "chat-1@smallstudio.example")
    d_plain = sample_message("Robin Roe <robin@otherstudio.example>", ME, "Catching up",
                             body.replace("Chris", "Robin"), t(11, 24, 10), "chat-2@otherstudio.example")
    g_labelled = server.deliver(d_labelled, ("\\Inbox", "Recruiting"))
    g_plain = server.deliver(d_plain, ("\\Inbox",))
    config = _config(server, tmp_path)

    def tracked(r: engine.PollResult) -> dict[str, str]:
        return {m.id: d.tracked_because for d in r.decisions
                for m in r.conversations[d.conversation].messages}

    with make_mailbox(server) as box:
        r = _poll(config, box, t(11, 24, 12))
        got = tracked(r)
        assert f"gm/{g_labelled}" in got and "'Recruiting'" in got[f"gm/{g_labelled}"]
        assert f"gm/{g_plain}" not in got
        server.add_label(g_plain, "Recruiting")  # the user labels it in Gmail
        r = _poll(config, box, t(11, 24, 13))
        assert r.stats["full_sync"] is False and r.stats["added"] == 1
        got = tracked(r)
        assert f"gm/{g_plain}" in got and "'Recruiting'" in got[f"gm/{g_plain}"]


# --- drafts ---------------------------------------------------------------------------------------------


def test_draft_goes_to_gmail_drafts_threaded_and_is_not_mail(server: GmailImapServer, mb: ImapMailbox) -> None:
    root, d_root = message("Interview")
    g_root = server.deliver(d_root)
    first = mb.changes(None)
    dmid, ddata = draft(parent=root)
    did = mb.create_draft(ddata)
    uv = server.views[DRAFTS_FOLDER].uidvalidity
    assert did.startswith(f"drafts/{uv}/")
    stored = server.find(dmid, drafts=True)
    assert stored.thrid == g_root  # Gmail threads the appended draft by its In-Reply-To
    assert stored.labels == {"\\Draft"} and {"\\Draft", "\\Seen"} <= stored.flags
    assert stored.msgid in server.views[ALL_MAIL].uids  # like Gmail: in All Mail too
    (listed,) = mb.drafts()
    assert listed.id == did and mid_of(listed.data) == dmid
    assert listed.thread_hint == str(g_root)
    # never reported as conversation mail: not incrementally, not on a full sync
    cs = mb.changes(first.cursor)
    assert cs.added == () and cs.removed == ()
    assert set(by_mid(mb.changes(None).added)) == {root}
    assert any("UNDRAFT" in line for line in server.log if "UID SEARCH" in line)
    # withdrawing it: STORE \Deleted + UID EXPUNGE of that UID, in Drafts only; Gmail discards it
    mb.delete_draft(did)
    assert mb.drafts() == []
    assert stored.msgid not in server.messages
    assert [(f, s) for f, s in server.stores] == [(DRAFTS_FOLDER, f"{did.rsplit('/', 1)[1]} +FLAGS.SILENT \\Deleted")]
    assert [x for x in server.selects if x[0] == "SELECT"] == [("SELECT", DRAFTS_FOLDER)]
    assert server.count("EXPUNGE") == 0 and server.count("CLOSE") == 0
    assert server.count("UID EXPUNGE") == 1
    # the draft's disappearance is not a mail removal either
    assert mb.changes(cs.cursor).removed == ()


def test_user_edit_and_discard_of_a_draft(server: GmailImapServer, mb: ImapMailbox) -> None:
    root, d_root = message("Interview")
    g_root = server.deliver(d_root)
    _dmid, ddata = draft(parent=root)
    did = mb.create_draft(ddata)
    old = server.msgid_at(DRAFTS_FOLDER, int(did.rsplit("/", 1)[1]))
    edited = ddata.replace(b"Thank you!", b"Thank you so much!").replace(b"\n", b"\r\n")
    new = server.user_edit_draft(old, edited)
    (listed,) = mb.drafts()
    assert listed.id != did and b"so much" in listed.data
    assert listed.thread_hint == str(g_root)  # still in the conversation's thread
    mb.delete_draft(did)  # the old id is gone: nothing happens, the edit survives
    assert [d.id for d in mb.drafts()] == [listed.id]
    server.user_delete_draft(new)
    assert mb.drafts() == []


def test_the_engine_drafts_into_the_gmail_thread(server: GmailImapServer, tmp_path: Path) -> None:
    inv = ics("Interview: Jordan Lee / Acme", t(12, 1, 13), t(12, 1, 14), organizer="ann.park@acme.com",
              attendee="jordan.lee@gmail.com")
    d = sample_message(ANN, ME, "Interview for the Platform Engineer role",
                       "Hi Jordan, the invitation is attached. We hope to decide by the end of the month.\n\nAnn",
                       t(11, 24, 9), "acme-1@acme.com", calendar=inv)
    g = server.deliver(d)
    config = _config(server, tmp_path)
    with make_mailbox(server) as box:
        assert _poll(config, box, t(12, 1, 15)).plan == []
        r = _poll(config, box, t(12, 1, 16, 5))
        assert [a.kind for a in r.plan] == ["create"]
        (dr,) = server.drafts()
        assert dr.thrid == server.messages[g].thrid  # in the interview's Gmail thread
        assert dr.header("In-Reply-To").strip() == "<acme-1@acme.com>"
        for hour in (17, 18):
            r = _poll(config, box, t(12, 1, hour))
            assert r.plan == [] and r.stats["added"] == 0  # its own draft is not new mail
        assert len(server.drafts()) == 1
        server.user_delete_draft(dr.msgid)
        r = _poll(config, box, t(12, 1, 19))
        assert [(a.kind, a.status) for a in r.plan] == [("record", "user_deleted")]
        _poll(config, box, t(12, 2, 9))
        assert server.drafts() == []
    assert "\\Seen" not in server.messages[g].flags  # the invitation is still unread


# --- XOAUTH2 ------------------------------------------------------------------------------------------


def test_xoauth2_login(server: GmailImapServer) -> None:
    mid, data = message("Interview")
    server.deliver(data)
    with make_mailbox(server, auth="xoauth2") as box:
        assert list(by_mid(box.changes(None).added)) == [mid]
    assert server.auth == [("XOAUTH2", True)]
    assert server.count("LOGIN") == 0 and server.count("AUTHENTICATE") == 1


def test_xoauth2_token_from_the_credentials_directory(server: GmailImapServer, tmp_path: Path) -> None:
    """The configured path: auth = "xoauth2", the access token where secrets are looked up."""
    creds = tmp_path / "credentials"
    creds.mkdir()
    (creds / "imap-password").write_text(server.token + "\n")
    cfg = imap_config(server, auth="xoauth2")
    provider = credential_provider(cfg, env={"PATH": "/usr/bin:/bin", "CREDENTIALS_DIRECTORY": str(creds)})
    with ImapMailbox(cfg, provider, sleep=lambda _s: None) as box:
        assert box.changes(None).full
    assert server.auth == [("XOAUTH2", True)]


def test_a_refused_token_is_a_clear_error_never_retried(server: GmailImapServer) -> None:
    secret = "ya29.expired-" + uuid.uuid4().hex
    sleeps = Recorder()
    box = ImapMailbox(imap_config(server, auth="xoauth2"), lambda: secret, sleep=sleeps)
    with pytest.raises(MailboxError, match="refused the login") as info:
        box.changes(None)
    assert secret not in str(info.value)
    assert sleeps.delays == [] and server.auth == [("XOAUTH2", False)]


def test_the_server_checks_the_sasl_string(server: GmailImapServer) -> None:
    """The server is strict about XOAUTH2's format, so the successful logins above prove
    imapclient's string is right: ``user=..\\x01auth=Bearer ..\\x01\\x01``."""
    for wrong in (
        f"user={server.user}\x01auth=Bearer {server.token}\x01",  # one \x01 short
        f"user={server.user}\x01auth={server.token}\x01\x01",  # no "Bearer"
        f"user=someone.else@gmail.com\x01auth=Bearer {server.token}\x01\x01",
    ):
        imap = imaplib.IMAP4(server.host, server.port)
        try:
            with pytest.raises(imaplib.IMAP4.error, match="AUTHENTICATIONFAILED"):
                imap.authenticate("XOAUTH2", lambda _c, w=wrong: w.encode())
        finally:
            imap.shutdown()
    imap = imaplib.IMAP4(server.host, server.port)
    try:
        ok = f"user={server.user}\x01auth=Bearer {server.token}\x01\x01"
        assert imap.authenticate("XOAUTH2", lambda _c: ok.encode())[0] == "OK"
    finally:
        imap.shutdown()
    assert [ok for _how, ok in server.auth] == [False, False, False, True]


# --- reading changes nothing ------------------------------------------------------------------------------


def test_reading_changes_nothing(server: GmailImapServer, mb: ImapMailbox) -> None:
    for i in range(3):
        server.deliver(message(f"Unread {i}")[1], ("\\Inbox", "Recruiting"))
    server.deliver(message("Sent")[1], ("\\Sent",), flags=("\\Seen",))
    mb.create_draft(draft()[1])
    mb.close()
    server.stores.clear()
    server.selects.clear()
    before = server.snapshot()
    first = mb.changes(None)
    mb.changes(first.cursor)
    mb.changes(None)
    assert len(mb.fetch([r.id for r in first.added])) == 4
    mb.drafts()
    mb.idle_wait(0.1)
    mb.close()
    assert server.snapshot() == before  # flags, labels, modseqs, UIDs: all the same
    assert all("\\Seen" not in m.flags for m in server.messages.values() if "\\Inbox" in m.labels)
    assert server.stores == []
    assert {kind for kind, _folder in server.selects} == {"EXAMINE"}
    for line in server.log:
        assert " STORE " not in line and " EXPUNGE" not in line and " CLOSE" not in line
        if " FETCH " in line:
            assert "BODY[" not in line.replace("BODY.PEEK[", "") and "RFC822 " not in line
            assert "RFC822)" not in line


def test_a_plain_body_fetch_would_be_caught(server: GmailImapServer) -> None:
    """The server marks \\Seen on BODY[] in a read-write folder, as Gmail does, so the test
    above would see a backend that forgot PEEK or used SELECT."""
    g = server.deliver(message("Interview")[1])
    imap = imaplib.IMAP4(server.host, server.port)
    try:
        imap.login(server.user, server.password)
        imap.select('"[Gmail]/All Mail"')
        imap.uid("FETCH", str(server.uid_of(ALL_MAIL, g)), "(BODY[])")
    finally:
        imap.logout()
    assert "\\Seen" in server.messages[g].flags


# --- IDLE, reconnects, big messages -------------------------------------------------------------------


def test_idle_wakes_on_new_mail(server: GmailImapServer, mb: ImapMailbox) -> None:
    mb.changes(None)
    assert mb.idle_wait(0.2) is False
    timer = threading.Timer(0.2, lambda: server.deliver(message("Reply")[1]))
    timer.start()
    try:
        assert mb.idle_wait(10) is True
    finally:
        timer.join()
    assert server.count("IDLE") == 2
    assert len(mb.changes(None).added) == 1  # the connection is usable after IDLE


def test_a_cut_connection_is_retried(server: GmailImapServer) -> None:
    _mid, data = message("Interview")
    server.deliver(data)
    sleeps = Recorder()
    with ImapMailbox(imap_config(server), lambda: server.password, sleep=sleeps, jitter=lambda: 1.0) as box:
        first = box.changes(None)
        server.drop_connections()
        again = box.changes(first.cursor)
        assert again.added == () and not again.full
        assert sleeps.delays == [0.5]
    assert server.sessions == 2


def test_big_message_by_gmail_id_is_text_parts_only(server: GmailImapServer, mb: ImapMailbox) -> None:
    mid = f"<big-{uuid.uuid4().hex}@acme.example>"
    attachment = ("QUJD" * 19 + "\r\n") * 60_000
    data = (
        "From: Sam <sam@acme.example>\r\nTo: jordan.lee@gmail.com\r\nSubject: Slides\r\n"
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
    server.deliver(data)
    (raw,) = mb.changes(None).added
    got = mb.fetch([raw.id])[raw.id]
    assert len(got) < 10_000 and b"QUJD" not in got
    msg = email.message_from_bytes(got, policy=default_policy)
    assert str(msg["Message-ID"]).strip() == mid
    body = msg.get_body(("plain",))
    assert body is not None and "decide by Friday" in body.get_content()
    assert any("BODYSTRUCTURE" in items for _f, _u, items in server.fetched)


# --- the scenario suite ---------------------------------------------------------------------------------


class GmailImapHarness:
    """tests/scenario_runner.py's ``Harness`` over this server: mail as Gmail labels it, drafts
    saved and discarded as Gmail's web client does."""

    def __init__(self, server: GmailImapServer) -> None:
        self.server = server

    def deliver(self, folder: str, data: bytes) -> None:
        if folder == "sent":
            self.server.deliver(data, ("\\Sent",), flags=("\\Seen",))
        else:
            self.server.deliver(data, ("\\Inbox",))

    def drafts(self) -> list[tuple[str, bytes]]:
        out = []
        for m in self.server.drafts():
            assert "\\Draft" in m.flags and m.labels == {"\\Draft"}, m.msgid
            out.append((str(m.msgid), m.data))
        return out

    def add_draft(self, data: bytes) -> None:
        self.server.deliver(data, ("\\Draft",), flags=("\\Seen",))

    def delete_draft(self, draft_id: str) -> None:
        self.server.user_delete_draft(int(draft_id))

    def config_sections(self) -> dict[str, dict[str, Any]]:
        s = self.server
        return {
            "mailbox": {"backend": "imap"},
            "imap": {"host": s.host, "port": s.port, "security": "none", "username": s.user,
                     "password_command": f"printf %s {s.password}"},
        }


def _scenario_params() -> list[Any]:
    from tests.scenario_runner import scenario_names
    from tests.test_scenarios import KNOWN_BUGS

    return [pytest.param(n, id=n, marks=[pytest.mark.xfail(strict=True, reason=KNOWN_BUGS[n])]
                         if n in KNOWN_BUGS else []) for n in scenario_names()]


@pytest.mark.parametrize("name", _scenario_params())
def test_scenario_on_gmail_imap(name: str, server: GmailImapServer, tmp_path: Path) -> None:
    """The whole scenario suite (tests/scenarios/) over IMAP with Gmail's extensions, unchanged."""
    from tests.scenario_runner import load_scenario, run_cli_in_process, run_scenario

    run_scenario(load_scenario(name), GmailImapHarness(server), tmp_path, cli=run_cli_in_process)
    assert {kind for kind, folder in server.selects if folder != DRAFTS_FOLDER} <= {"EXAMINE"}
    assert all(folder == DRAFTS_FOLDER for folder, _ in server.stores)
