"""Steering over a real Dovecot: Follow-up/* keywords set in the mail client, and CLI commands."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

from agent import engine
from agent.samples import ics, message
from agent.store import Store
from tests.dovecot import DovecotUser
from tests.helpers import make_config, t

ME = "Jordan Lee <jordan.lee@gmail.com>"
ANN = "Ann Park <ann.park@acme.com>"
CFG = make_config()


def _interview(user: DovecotUser) -> int:
    inv = ics("Interview: Jordan Lee / Acme", t(12, 1, 13), t(12, 1, 14), organizer="ann.park@acme.com",
              attendee="jordan.lee@gmail.com")
    return user.deliver("INBOX", message(ANN, ME, "Interview for the Platform Engineer role",
                                         "Hi Jordan, the invitation is attached.", t(11, 24, 9),
                                         "acme-1@acme.com", calendar=inv))


def _personal(user: DovecotUser) -> int:
    return user.deliver("INBOX", message("Sam <sam.friend@yahoo.com>", ME, "Dinner on Sunday?",
                                         "Are you coming?", t(11, 24, 9), "sam-1@yahoo.com"))


DUE = t(12, 1, 16, 5)  # the thank-you is due at 16:00


def _poll(user: DovecotUser, state: Path, now: datetime = DUE) -> engine.PollResult:
    mb = user.mailbox()
    try:
        with Store.open(state) as store:
            return engine.poll(CFG, mb, store, now)
    finally:
        mb.close()


def _by_subject(result: engine.PollResult) -> dict[str, str]:
    return {d.subject: d.state for d in result.decisions}


def test_pause_keyword_then_removed(dovecot_user: DovecotUser, tmp_path: Path) -> None:
    uid = _interview(dovecot_user)
    state = tmp_path / "state.db"
    dovecot_user.set_flags("INBOX", [uid], [b"Follow-up/Pause"])
    r = _poll(dovecot_user, state)
    assert _by_subject(r) == {"Interview for the Platform Engineer role": "paused"}
    assert "Follow-up/Pause" in r.decisions[0].reason
    assert dovecot_user.uids("Drafts") == []
    c = dovecot_user.admin
    c.select_folder("INBOX")
    c.remove_flags([uid], [b"Follow-up/Pause"], silent=True)
    c.unselect_folder()
    r = _poll(dovecot_user, state, t(12, 1, 16, 10))
    assert r.decisions[0].state == "open" and [a.kind for a in r.plan] == ["create"]
    assert len(dovecot_user.uids("Drafts")) == 1


def test_done_keyword_closes(dovecot_user: DovecotUser, tmp_path: Path) -> None:
    uid = _interview(dovecot_user)
    dovecot_user.set_flags("INBOX", [uid], [b"Follow-up/Done"])
    r = _poll(dovecot_user, tmp_path / "state.db")
    assert r.decisions[0].state == "closed" and r.plan == []


def test_track_and_ignore_keywords(dovecot_user: DovecotUser, tmp_path: Path) -> None:
    interview, personal = _interview(dovecot_user), _personal(dovecot_user)
    dovecot_user.set_flags("INBOX", [interview], [b"Follow-up/Ignore"])
    dovecot_user.set_flags("INBOX", [personal], [b"Follow-up/Track"])
    r = _poll(dovecot_user, tmp_path / "state.db")
    assert [d.subject for d in r.decisions] == ["Dinner on Sunday?"]
    assert "Follow-up/Track" in r.decisions[0].tracked_because


def test_reading_keywords_changes_nothing(dovecot_user: DovecotUser, tmp_path: Path) -> None:
    uid = _interview(dovecot_user)
    dovecot_user.set_flags("INBOX", [uid], [b"Follow-up/Pause"])
    before = dovecot_user.snapshot()
    _poll(dovecot_user, tmp_path / "state.db")
    assert dovecot_user.snapshot() == before  # the agent never removes a label it did not set


def _config_file(user: DovecotUser, tmp_path: Path) -> Path:
    cfg = tmp_path / "config.toml"
    cfg.write_text(
        '[account]\nname = "Jordan Lee"\naddresses = ["jordan.lee@gmail.com"]\ntimezone = "America/New_York"\n'
        '[mailbox]\nbackend = "imap"\n'
        f'[imap]\nhost = "{user.server.host}"\nport = {user.server.port}\nsecurity = "none"\n'
        f'username = "{user.username}"\npassword_command = "printf %s {user.password}"\n'
        f'[state]\npath = "{tmp_path}/state/state.db"\n'
    )
    return cfg


def _cli(cfg: Path, *args: str) -> str:
    proc = subprocess.run([sys.executable, "-m", "agent", "--config", str(cfg), *args],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


@pytest.mark.parametrize("command,args,state", [
    ("pause", (), "paused"),
    ("close", ("--reason", "offer"), "closed"),
    ("snooze", ("--until", "2026-12-04"), "open"),
])
def test_cli_commands_over_imap_survive_a_full_resync(
    dovecot_user: DovecotUser, tmp_path: Path, command: str, args: tuple[str, ...], state: str
) -> None:
    _interview(dovecot_user)
    cfg = _config_file(dovecot_user, tmp_path)
    now = "2026-12-01T16:05:00-05:00"
    _cli(cfg, command, "Platform Engineer", *args, "--now", now)
    _cli(cfg, "poll", "--once", "--now", now)
    assert dovecot_user.uids("Drafts") == []
    # a full resync: the cursor and every cached message forgotten, all mail read again
    import sqlite3

    db = sqlite3.connect(tmp_path / "state" / "state.db")
    db.execute("DELETE FROM cursors")
    db.execute("DELETE FROM messages")
    db.commit()
    db.close()
    _cli(cfg, "poll", "--once", "--now", "2026-12-01T16:10:00-05:00")
    [obj] = json.loads(_cli(cfg, "status", "--json", "--now", "2026-12-01T16:10:00-05:00"))
    assert obj["state"] == state
    assert dovecot_user.uids("Drafts") == []
    if command == "snooze":
        assert obj["next"]["due"] == "2026-12-04T09:00:00-05:00"
        _cli(cfg, "poll", "--once", "--now", "2026-12-04T09:05:00-05:00")
        assert len(dovecot_user.uids("Drafts")) == 1
