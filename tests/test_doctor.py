"""``followup-agent doctor`` against Dovecot: what passes, what fails, and the fix it prints."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from agent.doctor import run_doctor
from agent.store import StateLock, Store
from tests.dovecot import DovecotServer, DovecotUser

ROOT = Path(__file__).resolve().parents[1]


def config(tmp_path: Path, user: DovecotUser, **imap: Any) -> Path:
    values: dict[str, Any] = {"host": user.server.host, "port": user.server.port, "security": "none",
                              "username": user.username, "timeout": 5}
    values.update(imap)
    lines = "".join(f"{k} = {json.dumps(str(v)) if isinstance(v, str | Path) else v}\n"
                    for k, v in values.items() if v is not None)
    cfg = tmp_path / "config.toml"
    cfg.write_text(
        '[account]\nname = "Jordan Lee"\naddresses = ["jordan.lee@gmail.com"]\n'
        f'timezone = "America/New_York"\n[mailbox]\nbackend = "imap"\n[imap]\n{lines}'
        f'[state]\npath = "{tmp_path}/state/state.db"\n'
    )
    return cfg


def creds_env(tmp_path: Path, password: str) -> dict[str, str]:
    creds = tmp_path / "creds"
    creds.mkdir(exist_ok=True)
    (creds / "imap-password").write_text(password)
    return {"CREDENTIALS_DIRECTORY": str(creds), "HOME": str(tmp_path)}


def doctor(cfg: Path | None, env: dict[str, str]) -> tuple[int, dict[str, dict[str, str]], str]:
    out = io.StringIO()
    rc = run_doctor(cfg, out, as_json=True, env=env)
    checks = {c["name"]: c for c in json.loads(out.getvalue())}
    text = io.StringIO()
    run_doctor(cfg, text, env=env)
    return rc, checks, text.getvalue()


@pytest.fixture
def no_keyring() -> Iterator[None]:
    """No usable keyring, whatever other tests in this process installed."""
    import keyring
    from keyring.backends import fail

    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        yield
    finally:
        keyring.set_keyring(previous)


def test_all_good(dovecot_user: DovecotUser, tmp_path: Path, no_keyring: None) -> None:
    rc, checks, text = doctor(config(tmp_path, dovecot_user), creds_env(tmp_path, dovecot_user.password))
    assert rc == 0, text
    assert {n: c["status"] for n, c in checks.items()} == {
        "config": "ok", "state": "ok", "keyring": "ok", "secret": "ok", "server": "ok", "login": "ok",
        "folders": "ok", "server quirks": "ok",
        "notices: desktop": "warn"}  # no session bus in this environment
    assert "$CREDENTIALS_DIRECTORY/imap-password" in checks["secret"]["detail"]
    assert "not needed" in checks["keyring"]["detail"]
    assert "IDLE" in checks["login"]["detail"]
    assert "'Sent'" in checks["folders"]["detail"] and "'Drafts'" in checks["folders"]["detail"]
    assert "(special-use)" in checks["folders"]["detail"]
    assert "All checks passed." in text
    assert dovecot_user.password not in text
    assert not (tmp_path / "state").exists()  # doctor writes nothing


def test_tls_ok_and_wrong_ca(dovecot: DovecotServer, dovecot_user: DovecotUser, tmp_path: Path) -> None:
    env = creds_env(tmp_path, dovecot_user.password)
    for security, port in (("tls", dovecot.tls_port), ("starttls", dovecot.port)):
        cfg = config(tmp_path, dovecot_user, security=security, port=port, ca_file=dovecot.ca_file)
        rc, checks, text = doctor(cfg, env)
        assert rc == 0, text
        assert "certificate verified" in checks["server"]["detail"] and "TLSv1." in checks["server"]["detail"]
    cfg = config(tmp_path, dovecot_user, security="tls", port=dovecot.tls_port, ca_file=dovecot.wrong_ca_file)
    rc, checks, text = doctor(cfg, env)
    assert rc == 1
    assert checks["server"]["status"] == "fail" and "could not be verified" in checks["server"]["detail"]
    assert "imap.ca_file" in checks["server"]["fix"]
    assert checks["login"]["status"] == "skip"
    assert "fix: " in text and "1 check(s) failed." in text


def test_wrong_password_missing_secret_and_unreachable(
    dovecot_user: DovecotUser, tmp_path: Path, no_keyring: None
) -> None:
    cfg = config(tmp_path, dovecot_user)
    rc, checks, _ = doctor(cfg, creds_env(tmp_path, "not-the-password"))
    assert rc == 1 and checks["login"]["status"] == "fail"
    assert "refused the login" in checks["login"]["detail"]
    assert "followup-agent auth imap" in checks["login"]["fix"]
    env = {"HOME": str(tmp_path), "CREDENTIALS_DIRECTORY": str(tmp_path / "nothing-here")}
    rc, checks, _ = doctor(cfg, env)
    assert rc == 1 and checks["secret"]["status"] == "fail"
    detail = checks["secret"]["detail"]
    assert "$CREDENTIALS_DIRECTORY/imap-password" in detail and "the keyring" in detail
    assert "password_command: not configured" in detail
    assert checks["keyring"]["status"] == "warn" and "Secret Service" not in checks["keyring"]["detail"]
    assert checks["login"]["status"] == "skip"
    closed = config(tmp_path, dovecot_user, port=1)
    rc, checks, _ = doctor(closed, creds_env(tmp_path, dovecot_user.password))
    assert rc == 1 and checks["server"]["status"] == "fail"
    assert "cannot reach" in checks["server"]["detail"] and "imap.port" in checks["server"]["fix"]


def test_state_permissions_and_lock(dovecot_user: DovecotUser, tmp_path: Path) -> None:
    cfg = config(tmp_path, dovecot_user)
    env = creds_env(tmp_path, dovecot_user.password)
    db = tmp_path / "state" / "state.db"
    Store.open(db).close()
    rc, checks, _ = doctor(cfg, env)
    assert rc == 0 and checks["state"]["status"] == "ok" and "0600" in checks["state"]["detail"]
    assert checks["lock"]["status"] == "ok" and "free" in checks["lock"]["detail"]
    with StateLock(db):
        rc, checks, _ = doctor(cfg, env)
        assert rc == 0 and "held by a running agent (by process" in checks["lock"]["detail"]
    db.chmod(0o644)
    rc, checks, _ = doctor(cfg, env)
    assert rc == 1 and checks["state"]["status"] == "fail"
    assert "mode 0644" in checks["state"]["detail"] and f"chmod 600 {db}" in checks["state"]["fix"]
    db.chmod(0o600)
    db.write_bytes(b"this is not sqlite" * 100)
    rc, checks, _ = doctor(cfg, env)
    assert rc == 1 and "Move" in checks["state"]["fix"]


def test_bad_config_via_the_command_line(tmp_path: Path) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text('[account]\nname = "x"\nbogus = 1\n')
    proc = subprocess.run([sys.executable, "-m", "agent", "--config", str(cfg), "doctor"],
                          capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert proc.returncode == 1
    assert "[FAIL] config: Unknown configuration key 'account.bogus'" in proc.stdout
    assert "fix: Edit" in proc.stdout


def test_a_keyring_left_out_of_the_sources_is_not_asked(dovecot_user: DovecotUser, tmp_path: Path) -> None:
    cfg = config(tmp_path, dovecot_user, secret_sources=["credentials", "command"])
    rc, checks, text = doctor(cfg, creds_env(tmp_path, dovecot_user.password))
    assert rc == 0, text
    assert checks["keyring"]["status"] == "ok" and "not asked" in checks["keyring"]["detail"]
    assert checks["login"]["status"] == "ok"


def _maildir_config(tmp_path: Path) -> Path:
    from agent.samples import make_maildir

    folders = {n: make_maildir(tmp_path / "mail" / n) for n in ("INBOX", "Sent", "Drafts")}
    cfg = tmp_path / "config.toml"
    cfg.write_text(
        '[account]\nname = "Jordan Lee"\naddresses = ["jordan.lee@gmail.com"]\n'
        'timezone = "America/New_York"\n[mailbox]\nbackend = "maildir"\n'
        f'[maildir]\ninbox = "{folders["INBOX"]}"\nsent = "{folders["Sent"]}"\ndrafts = "{folders["Drafts"]}"\n'
        f'[state]\npath = "{tmp_path}/state/state.db"\n'
    )
    return cfg


def test_state_checks_ask_the_store_and_the_lock_and_change_nothing(tmp_path: Path) -> None:
    """No state yet, a state from a newer agent, a loose lock file, a lock held in this very
    process: each is said, and doctor neither creates, migrates nor keeps anything."""
    import os
    import sqlite3

    from agent.store import SCHEMA_VERSION

    cfg = _maildir_config(tmp_path)
    db = tmp_path / "state" / "state.db"
    rc, checks, _ = doctor(cfg, {"HOME": str(tmp_path)})
    assert rc == 0 and "does not exist yet" in checks["state"]["detail"] and "lock" not in checks
    assert not db.parent.exists()
    Store.open(db).close()
    with StateLock(db):
        _, checks, _ = doctor(cfg, {"HOME": str(tmp_path)})
        assert checks["lock"]["detail"].startswith(f"held by a running agent (by process {os.getpid()})")
    (db.parent / "state.db.lock").chmod(0o644)
    _, checks, _ = doctor(cfg, {"HOME": str(tmp_path)})
    assert checks["lock"]["status"] == "warn" and "chmod 600" in checks["lock"]["fix"]
    con = sqlite3.connect(db)
    con.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    con.close()
    before = sorted((p.name, p.stat().st_mtime_ns) for p in db.parent.iterdir())
    rc, checks, _ = doctor(cfg, {"HOME": str(tmp_path)})
    assert rc == 1 and f"schema version {SCHEMA_VERSION + 1} is newer" in checks["state"]["detail"]
    assert "upgrade followup-agent" in checks["state"]["fix"]
    assert sorted((p.name, p.stat().st_mtime_ns) for p in db.parent.iterdir()) == before


def test_the_folders_check_counts_the_drafts_that_are_ours(dovecot_user: DovecotUser, tmp_path: Path,
                                                          no_keyring: None) -> None:
    """A draft with our X-Followup-Agent marker is ours; the user's own is not."""
    head = b"From: jordan@example.com\r\nTo: ann@acme.com\r\nSubject: Re: Interview\r\n"
    dovecot_user.deliver("Drafts", head + b"X-Followup-Agent: v=1; step=thank_you; conversation=c-1; "
                         b"round=20261201T1800Z\r\n\r\nThank you!\r\n", flags=("\\Draft",))
    dovecot_user.deliver("Drafts", head + b"\r\nMy own words.\r\n", flags=("\\Draft",))
    _, checks, _ = doctor(config(tmp_path, dovecot_user), creds_env(tmp_path, dovecot_user.password))
    assert "2 draft(s), 1 of them ours" in checks["folders"]["detail"]
