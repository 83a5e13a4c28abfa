"""Microsoft accounts over IMAP (XOAUTH2, msal), end to end against local stand-ins.

The authority is tests/oauth_server.py (HTTPS, msal's metadata, device-code
and token endpoints); the IMAP server is a Dovecot whose ``oauth2`` passdb
asks that server's introspection endpoint whether a bearer token is live.
msal trusts the test CA through ``REQUESTS_CA_BUNDLE`` (requests' own
setting, as a user behind a TLS-inspecting proxy would set it).
"""

from __future__ import annotations

import io
import json
import logging
import shutil
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from agent import logs
from agent.backends.imap import ImapMailbox, credential_provider
from agent.cli import main
from agent.config import load_config
from agent.errors import AuthError, ConfigError
from agent.microsoft_auth import token_provider
from tests.dovecot import DovecotServer, DovecotUser, make_certificates, start_dovecot
from tests.oauth_server import OAuthServer
from tests.test_secrets import PlaintextTestKeyring, ring  # noqa: F401 (a fixture)

MESSAGE = (b"From: Ana Ruiz <ana@acme.example>\r\nTo: pool@example.org\r\nSubject: Interview\r\n"
           b"Message-ID: <ms-1@acme.example>\r\nDate: Mon, 2 Nov 2026 10:00:00 +0000\r\n\r\nHello\r\n")


@pytest.fixture(scope="module")
def stand_ins() -> Iterator[tuple[OAuthServer, DovecotServer]]:
    root = Path(tempfile.mkdtemp(prefix="followup-ms-"))
    root.chmod(0o755)  # Dovecot's auth process reads the passwd-file below it
    (root / "oauth-certs").mkdir()
    certs = make_certificates(root / "oauth-certs")
    server = OAuthServer(certs["cert"], certs["key"], username="", ca_file=certs["ca"])
    (root / "dovecot").mkdir()
    dovecot = start_dovecot(root / "dovecot", oauth2_introspection_url=server.introspection_url)
    try:
        yield server, dovecot
    finally:
        dovecot.stop()
        server.close()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def oauth(stand_ins: tuple[OAuthServer, DovecotServer], monkeypatch: pytest.MonkeyPatch,
          tmp_path: Path) -> Iterator[tuple[OAuthServer, DovecotUser]]:
    server, dovecot = stand_ins
    user = dovecot.add_user()
    server.state.username = user.username
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(certs_ca(stand_ins)))
    try:
        yield server, user
    finally:
        user.close()


def certs_ca(stand_ins: tuple[OAuthServer, DovecotServer]) -> Path:
    return stand_ins[0].ca_file


def write_config(tmp_path: Path, server: OAuthServer, user: DovecotUser, extra: str = "") -> Path:
    cfg = tmp_path / "config.toml"
    cfg.write_text(
        '[account]\nname = "Jordan Lee"\naddresses = ["jordan.lee@outlook.com"]\ntimezone = "UTC"\n'
        '[mailbox]\nbackend = "imap"\n'
        f'[imap]\nhost = "127.0.0.1"\nport = {user.server.port}\nsecurity = "none"\n'
        f'username = "{user.username}"\nauth = "xoauth2"\nprovider = "microsoft"\n'
        'client_id = "00000000-0000-0000-0000-0000000000aa"\ntenant = "consumers"\n'
        f'authority_host = "{server.authority_host}"\nsecret_sources = ["credentials", "keyring"]\n'
        f'{extra}[state]\npath = "{tmp_path}/state.db"\n'
    )
    return cfg


def sign_in(server: OAuthServer, cfg: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    """Run `auth microsoft` while a thread plays the user typing the code it printed."""
    server.state.device_issued.clear()
    user_thread = threading.Thread(target=lambda: server.approve(server.pending_user_code()))
    user_thread.start()
    code = main(["--config", str(cfg), "auth", "microsoft"])
    user_thread.join(10)
    out = capsys.readouterr()
    return code, out.out + out.err


def test_device_flow_stores_the_refresh_token_in_a_private_file(
        oauth: tuple[OAuthServer, DovecotUser], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    server, user = oauth
    token_file = tmp_path / "ms-token.json"
    code, out = sign_in(server, write_config(tmp_path, server, user, f'token_file = "{token_file}"\n'), capsys)
    assert code == 0, out
    assert "https://microsoft.com/devicelogin" in out and "enter the code" in out
    assert f"imap.token_file {token_file}" in out
    assert token_file.stat().st_mode & 0o777 == 0o600
    stored = json.loads(token_file.read_text())
    assert stored["type"] == "microsoft" and stored["refresh_token"] in server.state.refresh
    assert stored["authority"] == f"{server.authority_host}/consumers"
    polls = [r for r in server.state.requests if r.endswith("device_code")]
    assert polls, server.state.requests
    assert not any(t in out for t in server.issued())


def test_device_flow_stores_in_the_keyring_and_a_poll_reads_mail(
        oauth: tuple[OAuthServer, DovecotUser], tmp_path: Path, capsys: pytest.CaptureFixture[str],
        ring: PlaintextTestKeyring) -> None:  # noqa: F811
    server, user = oauth
    cfg_path = write_config(tmp_path, server, user)
    code, out = sign_in(server, cfg_path, capsys)
    assert code == 0, out
    assert "the keyring (service 'followup-agent'" in out
    grant = json.loads(ring.get_password("followup-agent", user.username) or "{}")
    assert grant["refresh_token"] in server.state.refresh
    user.admin.append("INBOX", MESSAGE)
    config = load_config(cfg_path)
    with ImapMailbox.from_config(config) as mailbox:
        changes = mailbox.changes(None)
    assert [m.data for m in changes.added if b"ms-1@acme.example" in m.data]
    # Microsoft rotates refresh tokens: the newest one went back to the keyring
    newest = json.loads(ring.get_password("followup-agent", user.username) or "{}")["refresh_token"]
    assert newest != grant["refresh_token"] and newest in server.state.refresh


def _grant(server: OAuthServer, user: DovecotUser, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Any:
    token_file = tmp_path / "ms-token.json"
    cfg_path = write_config(tmp_path, server, user, f'token_file = "{token_file}"\n')
    code, out = sign_in(server, cfg_path, capsys)
    assert code == 0, out
    return load_config(cfg_path)


def test_an_expired_access_token_is_refreshed(
        oauth: tuple[OAuthServer, DovecotUser], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    server, user = oauth
    config = _grant(server, user, tmp_path, capsys)
    before = len(server.state.requests)
    now = [1_000_000.0]
    provider = token_provider(config.imap, {}, clock=lambda: now[0])
    mailbox = ImapMailbox(config.imap, provider, sleep=lambda _s: None)
    with mailbox:
        mailbox.changes(None)
    first = provider()
    assert provider() == first  # still valid: no new request
    server.expire(first)  # its hour is over at the server
    now[0] += 3600
    mailbox = ImapMailbox(config.imap, provider, sleep=lambda _s: None)
    with mailbox:
        mailbox.changes(None)  # logs in with a fresh token: the old one would be refused
    assert provider() != first
    refreshes = [r for r in server.state.requests[before:] if r.endswith("refresh_token")]
    assert len(refreshes) == 2  # one at the first login, one after the expiry


def test_an_access_token_refused_before_its_expiry_is_renewed_once(
        oauth: tuple[OAuthServer, DovecotUser], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    server, user = oauth
    config = _grant(server, user, tmp_path, capsys)
    now = [1_000_000.0]
    provider = token_provider(config.imap, {}, clock=lambda: now[0])
    with ImapMailbox(config.imap, provider, sleep=lambda _s: None) as mailbox:
        mailbox.changes(None)
    first = provider()
    server.expire(first)  # the server ends it early; our clock still calls it valid
    user.admin.append("INBOX", MESSAGE)
    with ImapMailbox(config.imap, provider, sleep=lambda _s: None) as mailbox:
        changes = mailbox.changes(None)  # refused once, renewed, logged in
    assert [m for m in changes.added if b"ms-1@acme.example" in m.data]
    assert provider() != first


def test_a_revoked_refresh_token_names_the_command_to_run_again(
        oauth: tuple[OAuthServer, DovecotUser], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    server, user = oauth
    config = _grant(server, user, tmp_path, capsys)
    server.revoke()
    mailbox = ImapMailbox(config.imap, credential_provider(config.imap, {}), sleep=lambda _s: None)
    with pytest.raises(AuthError) as err, mailbox:
        mailbox.changes(None)
    text = str(err.value)
    assert "Microsoft refused the stored authorisation" in text
    assert "run `followup-agent auth microsoft` again" in text
    assert not any(t in text for t in server.issued())


def test_no_token_reaches_a_log_or_the_config(
        oauth: tuple[OAuthServer, DovecotUser], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    server, user = oauth
    config = _grant(server, user, tmp_path, capsys)
    stream = io.StringIO()
    logs.configure(json=True, level=logging.DEBUG, stream=stream, imap_trace=True)
    try:
        with ImapMailbox(config.imap, credential_provider(config.imap, {}), sleep=lambda _s: None) as mb:
            mb.changes(None)
        logging.getLogger("msal").debug("probe")
    finally:
        logs.configure(json=True, level=logging.WARNING, stream=io.StringIO())
    text = stream.getvalue()
    assert "probe" in text  # msal's logger was captured at DEBUG
    issued = list(server.issued())
    assert len(issued) >= 4
    assert not any(t in text for t in issued)
    assert not any(t in (tmp_path / "config.toml").read_text() for t in issued)


def test_config_keys(tmp_path: Path) -> None:
    base = ('[account]\nname = "J"\naddresses = ["j@outlook.com"]\ntimezone = "UTC"\n'
            '[mailbox]\nbackend = "imap"\n[imap]\nusername = "j@outlook.com"\n')
    path = tmp_path / "c.toml"
    path.write_text(base + 'auth = "xoauth2"\nprovider = "microsoft"\nclient_id = "abc"\n')
    imap = load_config(path).imap
    assert imap is not None
    assert (imap.host, imap.port, imap.security, imap.tenant) == ("outlook.office365.com", 993, "tls", "common")
    for extra, words in [
        ('provider = "microsoft"\nclient_id = "abc"\n', "needs imap.auth = \"xoauth2\""),
        ('auth = "xoauth2"\nprovider = "microsoft"\n', "needs imap.client_id"),
        ('auth = "xoauth2"\nprovider = "yahoo"\n', "imap.provider = 'yahoo'"),
        ('auth = "xoauth2"\nprovider = "microsoft"\nclient_id = "a"\ntenant = "x y"\n', "imap.tenant"),
        ('auth = "xoauth2"\nprovider = "microsoft"\nclient_id = "a"\nauthority_host = "http://x"\n',
         "must be an https URL"),
    ]:
        path.write_text(base + extra)
        with pytest.raises(ConfigError, match=".*") as err:
            load_config(path)
        assert words in str(err.value)


def test_auth_imap_points_a_microsoft_account_to_auth_microsoft(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "c.toml"
    path.write_text('[account]\nname = "J"\naddresses = ["j@outlook.com"]\ntimezone = "UTC"\n'
                    '[mailbox]\nbackend = "imap"\n[imap]\nusername = "j@outlook.com"\n'
                    'auth = "xoauth2"\nprovider = "microsoft"\nclient_id = "abc"\n'
                    f'[state]\npath = "{tmp_path}/state.db"\n')
    assert main(["--config", str(path), "auth", "imap", "--stdin"]) != 0
    assert "run `followup-agent auth microsoft`" in capsys.readouterr().err
