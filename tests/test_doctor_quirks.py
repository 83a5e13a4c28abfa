"""``doctor``'s folder line ("how found") and the server quirks it can see, on real Dovecots that
lack the extensions (tests/dovecot.py ``dovecot_minimal``) and from the capability list alone."""

from __future__ import annotations

from pathlib import Path

from agent.config import ImapConfig
from agent.doctor import _imap_quirks, _login_fix
from tests.dovecot import DovecotServer
from tests.test_doctor import config, creds_env, doctor


def test_a_minimal_server_says_how_folders_were_found_and_what_it_lacks(
        dovecot_minimal: DovecotServer, tmp_path: Path) -> None:
    user = dovecot_minimal.add_user()
    try:
        env = creds_env(tmp_path, user.password)
        rc, checks, text = doctor(config(tmp_path, user), env)
        assert rc == 0, text
        assert "sent = 'Sent' (well-known name)" in checks["folders"]["detail"]
        assert "drafts = 'Drafts' (well-known name)" in checks["folders"]["detail"]
        quirks = checks["server quirks"]
        assert quirks["status"] == "warn"
        assert "no UIDPLUS: a saved draft is found again by its Message-ID" in quirks["detail"]
        assert "no CONDSTORE" in quirks["detail"] and "not noticed" in quirks["detail"]
        assert "no IDLE: `watch` notices new mail by polling STATUS" in quirks["detail"]
        rc, checks, _text = doctor(config(tmp_path, user, drafts_folder="Sent"), env)
        assert "drafts = 'Sent' (configured)" in checks["folders"]["detail"]
    finally:
        user.close()


def test_quirks_from_capabilities() -> None:
    assert _imap_quirks(frozenset({b"UIDPLUS", b"CONDSTORE", b"IDLE"}), False) == []
    assert _imap_quirks(frozenset({b"UIDPLUS", b"QRESYNC", b"IDLE"}), False) == []
    gmail = _imap_quirks(frozenset({b"UIDPLUS", b"CONDSTORE", b"IDLE", b"X-GM-EXT-1"}), True)
    assert [s for s, _ in gmail] == ["warn"]
    assert "aliases cannot be read" in gmail[0][1] and 'mailbox.backend = "gmail"' in gmail[0][1]


def test_a_refused_microsoft_password_login_points_at_auth_microsoft() -> None:
    ms = ImapConfig(host="outlook.office365.com", port=993, security="tls", username="jordan@example.org")
    assert "`followup-agent auth microsoft`" in _login_fix(ms)
    assert 'imap.auth = "xoauth2"' in _login_fix(ms)
    other = ImapConfig(host="imap.fastmail.com", port=993, security="tls", username="jordan@example.org")
    assert "auth microsoft" not in _login_fix(other) and "app password" in _login_fix(other)
