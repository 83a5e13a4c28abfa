"""Folder discovery without SPECIAL-USE, and no APPEND into a read-only selection (issue 14).

The unit tests cover each kind of table entry in ``agent/backends/folder_names.toml``;
the server tests run on :func:`tests.dovecot.dovecot_courier_like`: a Dovecot laid out
like Courier-IMAP ("INBOX." namespace, "." separator, no folder marked, German names).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from agent.backends.folder_names import candidates, fold, match_role, well_known
from agent.model import DRAFTS, INBOX, SENT
from tests import test_mailbox_conformance as conformance
from tests.dovecot import ImapEnv, courier_like_mailbox_env

# --- the table, entry by entry kind -------------------------------------------------


def test_table_has_the_names_the_issue_lists() -> None:
    names = well_known()
    for name in ("Sent", "Sent Items", "Sent Messages", "Sent Mail", "INBOX/Sent", "[Gmail]/Sent Mail",
                 "Gesendet", "Gesendete Objekte", "Gesendete Elemente", "Envoyés", "Éléments envoyés",
                 "Enviados", "Elementos enviados"):
        assert name in names[SENT]
    for name in ("Drafts", "Entwürfe", "Brouillons", "Borradores"):
        assert name in names[DRAFTS]


def test_plain_english_name() -> None:
    assert match_role(SENT, ["INBOX", "Sent Items", "Trash"]) == "Sent Items"
    assert match_role(DRAFTS, ["INBOX", "Drafts"]) == "Drafts"


def test_case_and_accents_do_not_matter() -> None:
    assert match_role(SENT, ["INBOX", "ÉLÉMENTS ENVOYÉS"]) == "ÉLÉMENTS ENVOYÉS"
    assert match_role(SENT, ["INBOX", "elements envoyes"]) == "elements envoyes"
    assert match_role(DRAFTS, ["INBOX", "ENTWURFE"]) == "ENTWURFE"
    assert fold("Straße") == fold("STRASSE")


def test_hierarchical_entry_takes_the_servers_separator() -> None:
    assert match_role(SENT, ["INBOX", "[Gmail]/Sent Mail"], "", "/") == "[Gmail]/Sent Mail"
    assert match_role(SENT, ["INBOX", "[Gmail].Sent Mail"], "", ".") == "[Gmail].Sent Mail"
    assert match_role(SENT, ["INBOX", "INBOX.Sent"], "", ".") == "INBOX.Sent"  # no NAMESPACE offered


def test_personal_namespace_prefix_is_applied() -> None:
    names = ["INBOX", "INBOX.Gesendete Objekte", "INBOX.Entwürfe", "INBOX.Trash"]
    assert match_role(SENT, names, "INBOX.", ".") == "INBOX.Gesendete Objekte"
    assert match_role(DRAFTS, names, "INBOX.", ".") == "INBOX.Entwürfe"
    assert candidates("Sent", "INBOX.", ".") == ["Sent", "INBOX.Sent"]
    assert candidates("INBOX/Sent", "INBOX.", ".") == ["INBOX.Sent"]  # not INBOX.INBOX.Sent


def test_table_order_decides_and_unknown_names_match_nothing() -> None:
    assert match_role(SENT, ["Gesendet", "Sent"]) == "Sent"
    assert match_role(SENT, ["INBOX", "Outbox", "Sentinel"]) is None
    assert match_role(DRAFTS, []) is None


# --- a Courier-like server -----------------------------------------------------------


@pytest.fixture
def courier_env(request: pytest.FixtureRequest) -> Iterator[ImapEnv]:
    with courier_like_mailbox_env(request) as env:
        try:
            yield env
        finally:
            env.mailbox.close()


def test_the_server_really_marks_nothing(courier_env: ImapEnv) -> None:
    c = courier_env.user.admin
    rows = c.list_folders()
    assert {str(name) for _f, _d, name in rows} >= {"INBOX.Gesendete Objekte", "INBOX.Entwürfe"}
    assert all(b"\\Sent" not in flags and b"\\Drafts" not in flags for flags, _d, _n in rows)
    assert {bytes(d) for _f, d, _n in rows} == {b"."}


def test_folders_are_found_by_name_and_the_mailbox_says_so(courier_env: ImapEnv) -> None:
    mb = courier_env.mailbox
    mb.changes(None)
    assert mb._folders[SENT] == "INBOX.Gesendete Objekte"
    assert mb._folders[DRAFTS] == "INBOX.Entwürfe"
    assert mb.folder_sources == {SENT: "well-known name", DRAFTS: "well-known name"}


def test_overrides_still_win(courier_env: ImapEnv) -> None:
    mb = courier_env.user.mailbox(sent_folder="INBOX.Papierkorb")
    try:
        mb.changes(None)
        assert mb._folders[SENT] == "INBOX.Papierkorb"
        assert mb.folder_sources[SENT] == "configured"
        assert mb.folder_sources[DRAFTS] == "well-known name"
    finally:
        mb.close()


CONFORMANCE: list[Callable[[Any], None]] = [
    conformance.test_first_changes_is_full_and_lists_everything,
    conformance.test_second_changes_lists_nothing,
    conformance.test_fetch_returns_full_bytes,
    conformance.test_created_draft_is_listed_identically,
    conformance.test_delete_draft_twice_is_fine,
    conformance.test_drafts_are_not_reported_by_changes,
    conformance.test_user_edited_draft_is_seen,
    conformance.test_user_deleted_draft_is_gone,
]


@pytest.mark.parametrize("case", CONFORMANCE, ids=lambda f: f.__name__.removeprefix("test_"))
def test_conformance_subset(courier_env: ImapEnv, case: Callable[[Any], None]) -> None:
    """Discovery, reading Sent and writing drafts: the conformance suite's own tests, on this server."""
    case(courier_env)


def test_reads_sent(courier_env: ImapEnv) -> None:
    mid, data = conformance.make_message("Application for the analyst role")
    courier_env.deliver(SENT, data)
    courier_env.deliver(INBOX, conformance.make_message("Thanks for applying")[1])
    (raw,) = [r for r in courier_env.mailbox.changes(None).added if r.folder == SENT]
    assert conformance.mid_of(courier_env.mailbox.fetch([raw.id])[raw.id]) == mid


# --- no APPEND while the target is EXAMINEd -------------------------------------------


def _record_appends(mb: Any) -> list[tuple[str, bool]]:
    """Wrap the connection's ``send``: for each APPEND, (selection state, read-only?) at that moment."""
    imap = mb._connection()._imap
    seen: list[tuple[str, bool]] = []
    send = imap.send

    def recording(data: bytes) -> None:
        if b" APPEND " in data[:40]:
            seen.append((imap.state, bool(getattr(imap, "is_readonly", False))))
        send(data)

    imap.send = recording
    return seen


def test_no_append_while_drafts_is_examined(courier_env: ImapEnv) -> None:
    mb = courier_env.mailbox
    mb.drafts()  # EXAMINEs Drafts
    appends = _record_appends(mb)
    mid, data = conformance.make_draft()
    mb.create_draft(data)
    # a retried write looks for its draft first (an EXAMINE), then APPENDs
    mid2, data2 = conformance.make_draft()
    mb._run("writing a draft", lambda c, _a: mb._create_draft(c, data2, mid2, 1))
    assert len(appends) == 2
    assert all(not (state == "SELECTED" and readonly) for state, readonly in appends), appends
    assert {conformance.mid_of(d.data) for d in mb.drafts()} >= {mid, mid2}
