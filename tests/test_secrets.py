"""Secrets: `followup-agent auth imap`, where a secret was found, the keyring backend's nature.

The order of the sources and the one error naming every source are tested in
test_imap_backend.py (next to the backend that uses them); this file covers
the command that stores the password and what the service and ``doctor``
learn about the sources. A file-backed keyring (below) stands in for the
desktop's Secret Service so the command can run as a subprocess.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from keyring.backend import KeyringBackend

from agent import logs
from agent.secrets import find_secret, keyring_backend

ROOT = Path(__file__).resolve().parents[1]


class PlaintextTestKeyring(KeyringBackend):
    """A keyring in the JSON file named by $TEST_KEYRING_FILE ("Plaintext": it is one)."""

    priority = 1

    def _path(self) -> Path:
        return Path(os.environ["TEST_KEYRING_FILE"])

    def _load(self) -> dict[str, str]:
        p = self._path()
        return json.loads(p.read_text()) if p.exists() else {}

    def get_password(self, service: str, username: str) -> str | None:
        return self._load().get(f"{service}\0{username}")

    def set_password(self, service: str, username: str, password: str) -> None:
        data = self._load()
        data[f"{service}\0{username}"] = password
        self._path().write_text(json.dumps(data))

    def delete_password(self, service: str, username: str) -> None:
        data = self._load()
        data.pop(f"{service}\0{username}", None)
        self._path().write_text(json.dumps(data))


def keyring_env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "PYTHON_KEYRING_BACKEND": "tests.test_secrets.PlaintextTestKeyring",
            "TEST_KEYRING_FILE": str(tmp_path / "keyring.json"), "PYTHONPATH": str(ROOT)}


@pytest.fixture
def ring(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[PlaintextTestKeyring]:
    import keyring

    monkeypatch.setenv("TEST_KEYRING_FILE", str(tmp_path / "keyring.json"))
    previous = keyring.get_keyring()
    backend = PlaintextTestKeyring()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(previous)


def write_config(tmp_path: Path, extra: str = "") -> Path:
    cfg = tmp_path / "config.toml"
    cfg.write_text(
        '[account]\nname = "Jordan Lee"\naddresses = ["jordan.lee@gmail.com"]\n'
        'timezone = "America/New_York"\n[mailbox]\nbackend = "imap"\n'
        '[imap]\nhost = "127.0.0.1"\nport = 1\nsecurity = "none"\nusername = "jordan"\n'
        f'{extra}[state]\npath = "{tmp_path}/state.db"\n'
    )
    return cfg


def run(args: list[str], env: dict[str, str], stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "agent", *args], input=stdin, capture_output=True,
                          text=True, timeout=60, env=env, cwd=ROOT)


def test_auth_imap_stores_the_password_from_stdin(tmp_path: Path) -> None:
    env = keyring_env(tmp_path)
    cfg = write_config(tmp_path)
    proc = run(["--config", str(cfg), "auth", "imap", "--stdin"], env, stdin="pa55 with spaces \n")
    assert proc.returncode == 0, proc.stderr
    assert "Stored the IMAP password for jordan" in proc.stdout
    assert "unencrypted" in proc.stdout  # the plaintext backend is named as such
    assert "pa55" not in proc.stdout + proc.stderr
    stored = json.loads((tmp_path / "keyring.json").read_text())
    assert stored == {"followup-agent\0jordan": "pa55 with spaces "}
    # an empty line stores nothing
    proc = run(["--config", str(cfg), "auth", "imap", "--stdin"], env, stdin="\n")
    assert proc.returncode != 0 and "nothing was stored" in proc.stderr


def test_auth_imap_without_a_usable_keyring_says_what_to_do(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}
    proc = run(["--config", str(write_config(tmp_path)), "auth", "imap", "--stdin"], env, stdin="x\n")
    assert proc.returncode != 0
    assert "No usable keyring" in proc.stderr and "password_command" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_auth_imap_needs_an_imap_section(tmp_path: Path) -> None:
    cfg = tmp_path / "config.toml"
    from agent.samples import make_maildir

    dirs = {n: make_maildir(tmp_path / n) for n in ("i", "s", "d")}
    cfg.write_text(
        '[account]\nname = "J"\naddresses = ["j@example.org"]\ntimezone = "UTC"\n'
        f'[mailbox]\nbackend = "maildir"\n[maildir]\ninbox = "{dirs["i"]}"\nsent = "{dirs["s"]}"\n'
        f'drafts = "{dirs["d"]}"\n[state]\npath = "{tmp_path}/s.db"\n'
    )
    proc = run(["--config", str(cfg), "auth", "imap", "--stdin"], keyring_env(tmp_path), stdin="x\n")
    assert proc.returncode != 0 and "no [imap] section" in proc.stderr


def test_find_secret_says_where_and_registers_for_redaction(
    tmp_path: Path, ring: PlaintextTestKeyring
) -> None:
    logs.forget_secrets()
    kw: dict[str, Any] = {"service": "followup-agent", "username": "jordan", "command": "echo from-cmd"}
    ring.set_password("followup-agent", "jordan", "from-the-keyring")
    assert find_secret("imap-password", env={}, **kw) == ("from-the-keyring",
                                                          "the keyring (service 'followup-agent', user 'jordan')")
    creds = tmp_path / "creds"
    creds.mkdir()
    (creds / "imap-password").write_text("from-credentials")
    secret, source = find_secret("imap-password", env={"CREDENTIALS_DIRECTORY": str(creds)}, **kw)
    assert (secret, source) == ("from-credentials", "$CREDENTIALS_DIRECTORY/imap-password")
    ring.delete_password("followup-agent", "jordan")
    assert find_secret("imap-password", env={}, **kw) == ("from-cmd", "password_command")
    assert logs.scrub("a from-the-keyring b from-credentials c from-cmd") == (
        "a [redacted] b [redacted] c [redacted]")
    logs.forget_secrets()


def test_keyring_backend_nature(ring: PlaintextTestKeyring) -> None:
    name, plaintext = keyring_backend()
    assert name.endswith("PlaintextTestKeyring") and plaintext is True


def test_keyring_backend_nature_without_a_keyring(monkeypatch: pytest.MonkeyPatch) -> None:
    import keyring
    from keyring.backends import fail

    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        name, plaintext = keyring_backend()
    finally:
        keyring.set_keyring(previous)
    assert plaintext is None and "stores nothing" in name


# --- imap.secret_sources ------------------------------------------------------------------


def test_secret_sources_choose_where_to_look_and_in_which_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import agent.secrets as secrets_mod

    creds = tmp_path / "creds"
    creds.mkdir()
    (creds / "imap-password").write_text("from-credentials\n")
    env = {"CREDENTIALS_DIRECTORY": str(creds)}

    def no_keyring(*_a: object) -> str:
        raise AssertionError("the keyring was asked")

    monkeypatch.setattr(secrets_mod, "_from_keyring", no_keyring)
    kw: dict[str, Any] = dict(service="followup-agent", username="me", command="echo from-command", env=env)
    assert find_secret("imap-password", sources=("credentials", "command"), **kw) == (
        "from-credentials", "$CREDENTIALS_DIRECTORY/imap-password")
    assert find_secret("imap-password", sources=("command", "credentials"), **kw)[0] == "from-command"
    with pytest.raises(secrets_mod.AuthError) as err:
        find_secret("imap-password", sources=("command",), **{**kw, "command": None})
    text = str(err.value)
    assert "password_command: not configured" in text and "not asked (imap.secret_sources): credentials, keyring" \
        in text


def test_without_the_keyring_in_the_sources_keyring_is_never_loaded(tmp_path: Path) -> None:
    """The point of leaving it out: keyring's backend discovery costs about 0.1 s per start."""
    code = (
        "import sys; from agent.secrets import get_secret; "
        "print(get_secret('x', service='s', username='u', command='echo pw', env={}, "
        "sources=('credentials', 'command')), 'keyring' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.split() == ["pw", "False"]


@pytest.mark.parametrize("value", [[], ["keyring", "keyring"], ["vault"], "command", [1]])
def test_secret_sources_must_be_a_list_of_known_places(value: object) -> None:
    from agent.errors import ConfigError
    from tests.helpers import make_config

    with pytest.raises(ConfigError, match="imap.secret_sources"):
        make_config(imap={"secret_sources": value})
    assert make_config().imap is not None and make_config().imap.secret_sources == (  # type: ignore[union-attr]
        "credentials", "keyring", "command")
    assert make_config(imap={"secret_sources": ["command"]}).imap.secret_sources == ("command",)  # type: ignore[union-attr]
