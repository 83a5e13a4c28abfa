"""The whole scenario suite (tests/scenarios/) against a real Courier-IMAP, unchanged.

The agent's config names no folder: it must find INBOX.Sent and INBOX.Drafts
by their well-known names (agent/backends/folder_names.toml), on a server
without SPECIAL-USE, CONDSTORE or UNSELECT that refuses to APPEND into an
EXAMINEd folder (tests/courier.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.courier import CourierUser, courier, courier_user  # noqa: F401  (fixtures)
from tests.scenario_runner import load_scenario, run_cli_in_process, run_scenario
from tests.test_scenarios_imap import ImapHarness, scenario_params

SENT, DRAFTS = "INBOX.Sent", "INBOX.Drafts"


class CourierHarness(ImapHarness):
    """A Courier user's INBOX, INBOX.Sent and INBOX.Drafts, set by the test as mail clients would."""

    SENT, DRAFTS = SENT, DRAFTS

    def _leave(self, c: Any) -> None:
        c.close_folder()  # Courier offers no UNSELECT


@pytest.mark.parametrize("name", scenario_params())
def test_scenario_on_courier(name: str, courier_user: CourierUser, tmp_path: Path) -> None:  # noqa: F811
    run_scenario(load_scenario(name), CourierHarness(courier_user), tmp_path, cli=run_cli_in_process)


# --- the server really is Courier, and the agent meets its quirks ----------------------------
# If the fixture ever fell back to something Dovecot-like, the suite above would prove
# nothing about Courier: these pin the dialogue facts the agent must cope with.


def test_the_dialogue_is_couriers(courier_user: CourierUser) -> None:  # noqa: F811
    c = courier_user.admin
    caps = set(c.capabilities())
    assert {b"IMAP4REV1", b"UIDPLUS", b"NAMESPACE", b"IDLE"} <= caps
    assert not caps & {b"SPECIAL-USE", b"CONDSTORE", b"QRESYNC", b"UNSELECT", b"MOVE", b"XLIST"}
    assert c.namespace().personal == (("INBOX.", "."),)
    rows = c.list_folders()
    assert {name for _f, _d, name in rows} == {"INBOX", "INBOX.Sent", "INBOX.Drafts", "INBOX.Trash"}
    assert not any(flag in flags for flags, _d, _n in rows for flag in (b"\\Sent", b"\\Drafts"))
    c.select_folder(DRAFTS, readonly=True)
    with pytest.raises(Exception, match="READ-ONLY"):  # Courier's refusal (issue 14)
        c.append(DRAFTS, b"Subject: x\r\n\r\nx\r\n")
    c.close_folder()


def test_the_agent_finds_sent_and_drafts_by_name(courier_user: CourierUser) -> None:  # noqa: F811
    mailbox = courier_user.mailbox()
    try:
        mailbox.changes(None)
        assert mailbox.folder_sources == {"sent": "well-known name", "drafts": "well-known name"}
    finally:
        mailbox.close()


def test_a_draft_is_saved_after_drafts_was_examined(courier_user: CourierUser) -> None:  # noqa: F811
    """The issue-14 failure: listing drafts EXAMINEs Drafts, then the APPEND must still succeed."""
    mailbox = courier_user.mailbox()
    try:
        assert mailbox.drafts() == []
        draft_id = mailbox.create_draft(
            b"From: me@example.org\r\nTo: sam@acme.example\r\nSubject: Following up\r\n"
            b"Message-ID: <courier-draft@example.org>\r\n\r\nHello Sam,\r\n"
        )
        assert [d.id for d in mailbox.drafts()] == [draft_id]
    finally:
        mailbox.close()
    c = courier_user.admin
    c.select_folder(DRAFTS, readonly=True)
    (item,) = c.fetch(c.search("ALL"), ["FLAGS", "BODY.PEEK[]"]).values()
    c.close_folder()
    assert {b"\\Draft", b"\\Seen"} <= set(item[b"FLAGS"])
    assert b"Message-ID: <courier-draft@example.org>" in item[b"BODY[]"]


def test_a_wrong_password_is_refused(courier_user: CourierUser) -> None:  # noqa: F811
    from agent.errors import MailboxError

    mailbox = courier_user.mailbox(password="not-the-password")
    try:
        with pytest.raises(MailboxError, match="refused the login"):
            mailbox.changes(None)
    finally:
        mailbox.close()


def test_an_empty_sent_folder_does_not_make_every_poll_a_full_resync(
        courier_user: CourierUser) -> None:  # noqa: F811
    """Courier makes up a new UIDVALIDITY for a folder that never held a message at every
    SELECT/STATUS: an empty Sent must not make each poll start over (and re-read INBOX)."""
    courier_user.deliver("INBOX", b"From: sam@acme.example\r\nTo: me@example.org\r\nSubject: Hi\r\n"
                                  b"Message-ID: <empty-sent-1@acme.example>\r\n\r\nHello\r\n")
    mailbox = courier_user.mailbox()
    try:
        first = mailbox.changes(None)
        assert first.full and len(first.added) == 1
        second = mailbox.changes(first.cursor)
        third = mailbox.changes(second.cursor)
    finally:
        mailbox.close()
    assert not second.full and not second.added and not second.removed
    assert not third.full and not third.added and not third.removed


def test_an_empty_drafts_folder_leaves_the_fingerprint_alone_while_its_uidvalidity_wanders(
        courier_user: CourierUser) -> None:  # noqa: F811
    """The quick poll's fingerprint (agent/quick_poll.py) must not change with the UIDVALIDITY
    Courier invents from the clock for a folder that never held a message; the test waits for
    that value to move (an event, not a duration) and compares."""
    import time

    courier_user.deliver("INBOX", b"From: sam@acme.example\r\nTo: me@example.org\r\nSubject: Hi\r\n"
                                  b"Message-ID: <fp-1@acme.example>\r\n\r\nHello\r\n")
    mailbox = courier_user.mailbox()
    admin = courier_user.connect()
    try:
        mailbox.changes(None)
        mailbox.drafts()
        before = mailbox.fingerprint()
        first = admin.folder_status("INBOX.Drafts", [b"UIDVALIDITY"])[b"UIDVALIDITY"]
        for _ in range(200):  # Courier's clock moves it within a second or two
            if admin.folder_status("INBOX.Drafts", [b"UIDVALIDITY"])[b"UIDVALIDITY"] != first:
                break
            time.sleep(0.05)
        else:
            pytest.fail("Courier's invented UIDVALIDITY never moved")
        assert mailbox.fingerprint() == before
    finally:
        admin.logout()
        mailbox.close()
