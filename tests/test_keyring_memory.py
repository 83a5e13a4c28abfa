"""The remembered "no keyring here" (agent/secrets.py): kept while nothing around it changes."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent import secrets


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    return {"HOME": str(tmp_path), "XDG_CACHE_HOME": str(tmp_path / "cache"), **extra}


def test_remembered_for_an_hour_then_asked_again(tmp_path: Path) -> None:
    env = _env(tmp_path)
    assert not secrets.no_keyring_known(env, clock=lambda: 1000.0)
    secrets.remember_no_keyring(env, clock=lambda: 1000.0)
    assert secrets.no_keyring_known(env, clock=lambda: 1000.0 + secrets.NO_KEYRING_TTL - 1)
    assert not secrets.no_keyring_known(env, clock=lambda: 1000.0 + secrets.NO_KEYRING_TTL)
    assert not secrets.no_keyring_known(env, clock=lambda: 999.0)  # a clock set back: ask again


@pytest.mark.parametrize("change", [
    {"DBUS_SESSION_BUS_ADDRESS": "unix:path=/run/user/1000/bus"},  # a desktop session began
    {"PYTHON_KEYRING_BACKEND": "keyrings.alt.file.PlaintextKeyring"},  # a backend was chosen
])
def test_forgotten_when_the_surroundings_change(tmp_path: Path, change: dict[str, str]) -> None:
    secrets.remember_no_keyring(_env(tmp_path), clock=lambda: 0.0)
    assert secrets.no_keyring_known(_env(tmp_path), clock=lambda: 1.0)
    assert not secrets.no_keyring_known(_env(tmp_path, **change), clock=lambda: 1.0)


def test_forgotten_when_keyring_config_appears(tmp_path: Path) -> None:
    env = _env(tmp_path)
    secrets.remember_no_keyring(env, clock=lambda: 0.0)
    rc = tmp_path / ".config" / "python_keyring" / "keyringrc.cfg"
    rc.parent.mkdir(parents=True)
    rc.write_text("[backend]\ndefault-keyring = keyrings.alt.file.PlaintextKeyring\n")
    assert not secrets.no_keyring_known(env, clock=lambda: 1.0)


def test_forget_and_a_broken_file_mean_ask_again(tmp_path: Path) -> None:
    env = _env(tmp_path)
    secrets.remember_no_keyring(env, clock=lambda: 0.0)
    secrets.forget_no_keyring(env)
    assert not secrets.no_keyring_known(env, clock=lambda: 1.0)
    path = tmp_path / "cache" / "followup-agent" / "no-keyring.json"
    path.write_text("{not json")
    assert not secrets.no_keyring_known(env, clock=lambda: 1.0)


def test_the_order_is_kept_the_keyring_only_skipped_when_known_absent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the answer remembered, the keyring is reported as tried and the command still runs."""
    env = _env(tmp_path)
    monkeypatch.setattr(secrets.os, "environ", env)
    monkeypatch.delitem(secrets.sys.modules, "keyring", raising=False)
    secrets.remember_no_keyring(env)
    secret, label = secrets.find_secret("imap-password", service="s", username="u",
                                        command="echo from-command", env=env)
    assert (secret, label) == ("from-command", "password_command")
    assert "keyring" not in secrets.sys.modules
    with pytest.raises(secrets.AuthError, match="no usable keyring backend"):
        secrets.find_secret("imap-password", service="s", username="u", command=None, env=env)
