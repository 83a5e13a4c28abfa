"""What is particular to Cyrus IMAP (Fastmail's server), beyond the conformance and scenario suites.

The fixture must really look like Fastmail (else the suites prove little); the
agent finds the folders there by SPECIAL-USE, and by name when a Cyrus account's
folders carry no role; TLS is verified; Follow-up/* keywords (with a "/", the
hierarchy separator here) steer as on Dovecot; 8-bit headers arrive unchanged.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.errors import MailboxError
from tests import test_controls_imap as controls
from tests.cyrus import CyrusServer, CyrusUser
from tests.helpers import by_mid
from tests.test_mailbox_conformance import make_message


def test_the_fixture_is_laid_out_like_fastmail(cyrus_user: CyrusUser) -> None:
    c = cyrus_user.admin
    assert b"Cyrus IMAP" in c.welcome
    ns = c.namespace()
    assert [tuple(p) for p in ns.personal] == [("", "/")]  # altnamespace: folders at the top level
    roles = {name: flags for flags, _sep, name in c.list_folders()}
    assert set(roles) == {"INBOX", "Sent", "Drafts", "Trash"}
    assert b"\\Sent" in roles["Sent"] and b"\\Drafts" in roles["Drafts"] and b"\\Trash" in roles["Trash"]


def test_folders_are_found_by_special_use(cyrus_user: CyrusUser) -> None:
    mid, data = make_message("Interview")
    cyrus_user.deliver("INBOX", data)
    with cyrus_user.mailbox() as box:
        assert list(by_mid(box.changes(None).added)) == [mid]
        assert box.folder_sources == {"sent": "special-use", "drafts": "special-use"}
        for cap in (b"CONDSTORE", b"QRESYNC", b"UIDPLUS", b"SPECIAL-USE", b"IDLE"):
            assert cap in box.capabilities


def test_unmarked_folders_are_found_by_their_names(cyrus: CyrusServer) -> None:
    """A Cyrus account migrated from elsewhere: "Sent Items" and "Drafts" without any role."""
    user = cyrus.add_user(folders=(("Sent Items", None), ("Drafts", None)))
    try:
        mid, data = make_message("Our call", sender="jordan@example.org", to="sam@acme.example")
        user.deliver("Sent Items", data)
        with user.mailbox() as box:
            added = box.changes(None).added
            assert [m.folder for m in added] == ["sent"] and list(by_mid(added)) == [mid]
            assert box.folder_sources == {"sent": "well-known name", "drafts": "well-known name"}
            draft = box.create_draft(make_message("Re: Our call")[1])
            assert [d.id for d in box.drafts()] == [draft]
        assert len(user.uids("Drafts")) == 1
    finally:
        user.close()


def test_tls_with_the_test_ca(cyrus_user: CyrusUser, cyrus: CyrusServer) -> None:
    mid, data = make_message("Interview")
    cyrus_user.deliver("INBOX", data)
    with cyrus_user.mailbox(security="tls", port=cyrus.tls_port, ca_file=cyrus.ca_file) as box:
        assert list(by_mid(box.changes(None).added)) == [mid]
        assert box._client is not None and box._client.socket().version() in ("TLSv1.2", "TLSv1.3")


def test_a_certificate_from_another_ca_is_refused(cyrus_user: CyrusUser, cyrus: CyrusServer) -> None:
    box = cyrus_user.mailbox(security="tls", port=cyrus.tls_port, ca_file=cyrus.wrong_ca_file)
    with pytest.raises(MailboxError, match="certificate .* could not be verified"):
        box.changes(None)
    box.close()


def test_eight_bit_headers_arrive_unchanged(cyrus_user: CyrusUser) -> None:
    """Cyrus munges 8-bit headers to "X" by default; Fastmail (and the fixture) keep them."""
    data = ("From: Zoë Müller <zoe@acme.example>\r\nTo: jordan@example.org\r\n"
            "Subject: Entretien — prochaine étape\r\nMessage-ID: <utf8-1@acme.example>\r\n"
            "Date: Mon, 23 Nov 2026 09:00:00 +0000\r\nContent-Type: text/plain; charset=utf-8\r\n"
            "\r\nMerci !\r\n").encode()
    cyrus_user.deliver("INBOX", data)
    with cyrus_user.mailbox() as box:
        [msg] = box.changes(None).added
        assert box.fetch([msg.id])[msg.id].replace(b"\r\n", b"\n") == data.replace(b"\r\n", b"\n")


def test_pause_keyword_then_removed(cyrus_user: CyrusUser, tmp_path: Path) -> None:
    controls.test_pause_keyword_then_removed(cyrus_user, tmp_path)


def test_track_and_ignore_keywords(cyrus_user: CyrusUser, tmp_path: Path) -> None:
    controls.test_track_and_ignore_keywords(cyrus_user, tmp_path)


def test_reading_keywords_changes_nothing(cyrus_user: CyrusUser, tmp_path: Path) -> None:
    controls.test_reading_keywords_changes_nothing(cyrus_user, tmp_path)
