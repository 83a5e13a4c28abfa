"""Folder discovery on servers no Debian package imitates (issue 14 scope 1 and 5).

XLIST without SPECIAL-USE (old Gmail, old Zimbra), NIL hierarchy separators,
no NAMESPACE or a refused one: served by :class:`tests.imap_stub.ScriptedImapServer`
on loopback, plus unit tests of the pure :func:`_personal_namespace`. The
doctor tests check that a folder the server lacks is named with the exact
config key that fixes it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from types import SimpleNamespace

import pytest

from agent.backends.imap import ImapMailbox, _personal_namespace
from agent.config import ImapConfig
from agent.errors import AgentError
from agent.model import ALL, DRAFTS, SENT
from tests.imap_stub import ScriptedImapServer
from tests.test_doctor import config, creds_env, doctor

#: verbs discovery may send; anything else (SELECT, APPEND, STORE …) would change or open a folder
READ_ONLY_VERBS = {"CAPABILITY", "LOGIN", "LIST", "XLIST", "NAMESPACE", "LOGOUT", "NOOP"}

# old Gmail / old Zimbra style: XLIST marks the folders, LIST marks nothing, no SPECIAL-USE
XLIST_LINES = [
    r'* XLIST (\HasNoChildren \Inbox) "/" "Inbox"',
    r'* XLIST (\HasNoChildren \Sent) "/" "Sent Mail"',
    r'* XLIST (\HasNoChildren \Drafts) "/" "Brouillons perso"',
    r'* XLIST (\HasNoChildren \AllMail) "/" "Tout"',
]
LIST_LINES = [
    r'* LIST (\HasNoChildren) "/" "INBOX"',
    r'* LIST (\HasNoChildren) "/" "Sent Mail"',
    r'* LIST (\HasNoChildren) "/" "Brouillons perso"',
    r'* LIST (\HasNoChildren) "/" "Tout"',
]


def _serve(caps: str, replies: Mapping[str, Sequence[str]]) -> ScriptedImapServer:
    return ScriptedImapServer(caps, replies)  # started and stopped by `with`


def _mailbox(server: ScriptedImapServer, **folders: str) -> ImapMailbox:
    cfg = ImapConfig(host=server.host, port=server.port, security="none", username="jordan",
                     timeout=5, **folders)
    return ImapMailbox(cfg, lambda: "secret", attempts=1)


def _discover(server: ScriptedImapServer, roles: Sequence[str] = (SENT, DRAFTS),
              **folders: str) -> tuple[dict[str, str], dict[str, str]]:
    """(role → folder, role → how found), through the backend's own discovery as doctor runs it."""
    mb = _mailbox(server, **folders)
    try:
        names = mb._run("finding folders", lambda c, _a: {r: mb._folder(c, r) for r in roles})
        return names, dict(mb.folder_sources)
    finally:
        mb.close()


# --- XLIST ----------------------------------------------------------------------------


def test_xlist_finds_sent_and_drafts_when_list_marks_nothing() -> None:
    with _serve("IMAP4rev1 XLIST", {"LIST": LIST_LINES, "XLIST": XLIST_LINES}) as server:
        names, how = _discover(server, (SENT, DRAFTS, ALL))
        verbs = server.verbs()
    # "Brouillons perso" and "Tout" are in no table: only XLIST can have found them
    assert names == {SENT: "Sent Mail", DRAFTS: "Brouillons perso", ALL: "Tout"}
    assert how == {SENT: "xlist", DRAFTS: "xlist", ALL: "xlist"}
    assert "XLIST" in verbs and set(verbs) <= READ_ONLY_VERBS
    assert "NAMESPACE" not in verbs  # not advertised, so not asked


def test_special_use_wins_over_xlist_and_xlist_is_not_asked_when_nothing_is_missing() -> None:
    marked = [r'* LIST (\HasNoChildren) "/" "INBOX"', r'* LIST (\Sent) "/" "Sent Mail"',
              r'* LIST (\Drafts) "/" "Brouillons perso"', r'* LIST (\All) "/" "Tout"']
    with _serve("IMAP4rev1 XLIST SPECIAL-USE", {"LIST": marked, "XLIST": XLIST_LINES}) as server:
        names, how = _discover(server, (SENT, DRAFTS, ALL))
        verbs = server.verbs()
    assert names == {SENT: "Sent Mail", DRAFTS: "Brouillons perso", ALL: "Tout"}
    assert set(how.values()) == {"special-use"}
    assert "XLIST" not in verbs


def test_a_refused_xlist_falls_back_to_well_known_names() -> None:
    lines = [r'* LIST () "/" "INBOX"', r'* LIST () "/" "Sent"', r'* LIST () "/" "Drafts"']
    with _serve("IMAP4rev1 XLIST", {"LIST": lines}) as server:  # XLIST advertised, answered BAD
        names, how = _discover(server)
        verbs = server.verbs()
    assert names == {SENT: "Sent", DRAFTS: "Drafts"}
    assert how == {SENT: "well-known name", DRAFTS: "well-known name"}
    assert "XLIST" in verbs


def test_overrides_win_over_xlist() -> None:
    with _serve("IMAP4rev1 XLIST", {"LIST": LIST_LINES, "XLIST": XLIST_LINES}) as server:
        names, how = _discover(server, drafts_folder="Tout")
    assert names == {SENT: "Sent Mail", DRAFTS: "Tout"}
    assert (how[SENT], how[DRAFTS]) == ("xlist", "configured")


# --- NAMESPACE and separators ----------------------------------------------------------


def test_nil_separators_everywhere() -> None:
    lines = [r'* LIST (\HasNoChildren) NIL "INBOX"', r'* LIST (\HasNoChildren) NIL "Sent Items"',
             r'* LIST (\HasNoChildren) NIL "Entw&APw-rfe"']  # modified UTF-7 on the wire
    replies = {"LIST": lines, "NAMESPACE": ['* NAMESPACE (("" NIL)) NIL NIL']}
    with _serve("IMAP4rev1 NAMESPACE", replies) as server:
        names, how = _discover(server)
        verbs = server.verbs()
    assert names == {SENT: "Sent Items", DRAFTS: "Entwürfe"}
    assert how == {SENT: "well-known name", DRAFTS: "well-known name"}
    assert "NAMESPACE" in verbs


def test_no_namespace_extension_courier_style_names() -> None:
    lines = [r'* LIST (\HasChildren) "." "INBOX"', r'* LIST (\HasNoChildren) "." "INBOX.Sent"',
             r'* LIST (\HasNoChildren) "." "INBOX.Drafts"']
    with _serve("IMAP4rev1", {"LIST": lines}) as server:
        names, how = _discover(server)
        verbs = server.verbs()
    assert names == {SENT: "INBOX.Sent", DRAFTS: "INBOX.Drafts"}
    assert set(how.values()) == {"well-known name"}
    assert "NAMESPACE" not in verbs


def test_namespace_advertised_but_refused() -> None:
    lines = [r'* LIST () "." "INBOX"', r'* LIST () "." "INBOX.Sent Messages"', r'* LIST () "." "INBOX.Drafts"']
    with _serve("IMAP4rev1 NAMESPACE", {"LIST": lines}) as server:  # NAMESPACE answered BAD
        names, how = _discover(server)
        verbs = server.verbs()
    # no prefix known; the "." from LIST turns the table's "INBOX/Sent Messages" into the server's name
    assert names == {SENT: "INBOX.Sent Messages", DRAFTS: "INBOX.Drafts"}
    assert set(how.values()) == {"well-known name"}
    assert "NAMESPACE" in verbs


def test_personal_namespace_with_nil_separator_and_prefix() -> None:
    lines = [r'* LIST () NIL "INBOX"', r'* LIST () NIL "INBOX.Gesendet"', r'* LIST () NIL "INBOX.Entw&APw-rfe"']
    replies = {"LIST": lines, "NAMESPACE": ['* NAMESPACE (("INBOX." NIL)) NIL NIL']}
    with _serve("IMAP4rev1 NAMESPACE", replies) as server:
        names, how = _discover(server)
    assert names == {SENT: "INBOX.Gesendet", DRAFTS: "INBOX.Entwürfe"}
    assert set(how.values()) == {"well-known name"}


def test_personal_namespace_helper() -> None:
    slash = [(frozenset(), "/", "INBOX")]
    nil = [(frozenset(), "", "INBOX")]
    assert _personal_namespace(None, slash) == ("", "/")
    assert _personal_namespace(None, nil) == ("", None)
    assert _personal_namespace(None, []) == ("", None)
    assert _personal_namespace((), slash) == ("", "/")
    assert _personal_namespace((("INBOX.", "."),), slash) == ("INBOX.", ".")
    assert _personal_namespace(((b"INBOX.", b"."),), nil) == ("INBOX.", ".")
    assert _personal_namespace((("", None),), slash) == ("", "/")  # NIL separator: LIST's
    assert _personal_namespace((("", None),), nil) == ("", None)
    assert _personal_namespace(((None, None),), nil) == ("", None)
    assert _personal_namespace((("Mail/",),), slash) == ("Mail/", "/")  # a short entry does not crash


# --- doctor: a missing folder names the key that fixes it --------------------------------


def _doctor(server: ScriptedImapServer, tmp_path: Path, **imap: str) -> dict[str, dict[str, str]]:
    user = SimpleNamespace(server=server, username="jordan")
    rc, checks, _text = doctor(config(tmp_path, user, **imap), creds_env(tmp_path, "secret"))  # type: ignore[arg-type]
    assert rc != 0
    return checks


def test_doctor_names_imap_drafts_folder_when_drafts_is_missing(tmp_path: Path) -> None:
    lines = [r'* LIST () "/" "INBOX"', r'* LIST () "/" "Sent"', r'* LIST () "/" "Archiv"']
    with _serve("IMAP4rev1 NAMESPACE", {"LIST": lines, "NAMESPACE": ['* NAMESPACE (("" "/")) NIL NIL']}) as server:
        checks = _doctor(server, tmp_path)
    folders = checks["folders"]
    assert folders["status"] == "fail"
    assert "Set imap.drafts_folder to its name" in folders["detail"]
    assert "imap.sent_folder" not in folders["detail"]
    assert "Archiv, INBOX, Sent" in folders["detail"]  # the names to choose from


def test_doctor_names_imap_sent_folder_when_sent_is_missing(tmp_path: Path) -> None:
    lines = [r'* LIST () NIL "INBOX"', r'* LIST () NIL "Drafts"', r'* LIST () NIL "Postausgang"']
    with _serve("IMAP4rev1", {"LIST": lines}) as server:
        checks = _doctor(server, tmp_path)
    assert checks["folders"]["status"] == "fail"
    assert "Set imap.sent_folder to its name" in checks["folders"]["detail"]
    assert "imap.sent_folder" in checks["folders"]["fix"]


def test_a_missing_folder_is_an_agent_error_not_a_crash() -> None:
    with (_serve("IMAP4rev1", {"LIST": [r'* LIST () NIL "INBOX"']}) as server,
          pytest.raises(AgentError, match="imap.sent_folder")):
        _discover(server)
