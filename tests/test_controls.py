"""Steering commands through the real command line, on a Maildir: drafts appear or not."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from agent.demo import build_sample

NOW = "2026-12-01T10:00:00-05:00"


def cli(cfg: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "agent", "--config", str(cfg), *args],
                          capture_output=True, text=True, timeout=120)


def ok(cfg: Path, *args: str) -> str:
    proc = cli(cfg, *args)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def status(cfg: Path, now: str = NOW) -> dict[str, dict]:  # type: ignore[type-arg]
    return {o["company"]: o for o in json.loads(ok(cfg, "status", "--json", "--now", now))}


def drafts(cfg: Path) -> int:
    return len(list((cfg.parent / "Mail" / "Drafts" / "cur").iterdir()))


@pytest.fixture
def cfg(tmp_path: Path) -> Path:
    return build_sample(tmp_path)


def test_pause_and_resume(cfg: Path) -> None:
    assert "Paused" in ok(cfg, "pause", "Acme Robotics", "--now", NOW)
    st = status(cfg)["Acme Robotics"]
    assert st["state"] == "paused" and st["next"] is None
    assert st["user_marks"][0]["kind"] == "pause"
    ok(cfg, "poll", "--once", "--now", NOW)
    assert drafts(cfg) == 0
    ok(cfg, "resume", "Acme Robotics", "--now", NOW)
    assert status(cfg)["Acme Robotics"]["state"] == "open"
    ok(cfg, "poll", "--once", "--now", NOW)
    assert drafts(cfg) == 1


def test_snooze(cfg: Path) -> None:
    ok(cfg, "snooze", "Senior Platform", "--until", "2026-12-03", "--now", NOW)
    st = status(cfg)["Acme Robotics"]
    assert st["snoozed_until"] == "2026-12-03T00:00:00-05:00"
    assert st["next"]["due"] == "2026-12-03T09:00:00-05:00"
    ok(cfg, "poll", "--once", "--now", NOW)
    assert drafts(cfg) == 0
    ok(cfg, "poll", "--once", "--now", "2026-12-03T09:30:00-05:00")
    assert drafts(cfg) == 1


def test_snooze_in_the_past_is_refused_and_changes_nothing(cfg: Path) -> None:
    proc = cli(cfg, "snooze", "Acme Robotics", "--until", "2026-11-30", "--now", NOW)
    assert proc.returncode != 0 and "not in the future" in proc.stderr
    assert not (cfg.parent / "state").exists()


def test_close_and_reopen(cfg: Path) -> None:
    ok(cfg, "close", "Acme Robotics", "--reason", "withdrew", "--now", NOW)
    st = status(cfg)["Acme Robotics"]
    assert st["state"] == "closed" and "withdrew" in st["reason"]
    ok(cfg, "reopen", "Acme Robotics", "--now", NOW)
    assert status(cfg)["Acme Robotics"]["state"] == "open"


def test_mark_interviewed_and_timeline(cfg: Path) -> None:
    # Globex: a second (phone) interview the mailbox knows nothing about
    ok(cfg, "mark", "Globex", "interviewed", "--at", "2026-12-02T11:00:00-05:00",
       "--end", "2026-12-02T11:30:00-05:00", "--now", NOW)
    st = status(cfg, "2026-12-02T12:00:00-05:00")["Globex"]
    assert st["next"]["kind"] == "thank_you" and st["next"]["due"] == "2026-12-02T13:30:00-05:00"
    ok(cfg, "mark", "Globex", "timeline", "--by", "2026-12-11", "--now", "2026-12-02T12:00:00-05:00")
    st = status(cfg, "2026-12-02T12:00:00-05:00")["Globex"]
    assert len(st["user_marks"]) == 2


def test_mark_end_before_start_is_refused(cfg: Path) -> None:
    proc = cli(cfg, "mark", "Globex", "interviewed", "--at", "2026-12-02T11:00:00-05:00",
               "--end", "2026-12-02T10:00:00-05:00", "--now", NOW)
    assert proc.returncode != 0 and "is not after" in proc.stderr


def test_mark_not_recruiting_then_recruiting(cfg: Path) -> None:
    ok(cfg, "mark", "Initech", "not-recruiting", "--now", NOW)
    assert "Initech" not in status(cfg)
    ok(cfg, "mark", "Onsite interview at Initech", "recruiting", "--now", NOW)
    assert "Initech" in status(cfg)


def test_note_used_once(cfg: Path) -> None:
    ok(cfg, "note", "Acme Robotics", "Congratulations on the new robotics lab in Austin.", "--now", NOW)
    ok(cfg, "poll", "--once", "--now", NOW)
    [draft] = (cfg.parent / "Mail" / "Drafts" / "cur").iterdir()
    assert b"robotics lab in Austin" in draft.read_bytes().replace(b"=\r\n", b"")
    st = status(cfg)["Acme Robotics"]
    assert not [m for m in st["user_marks"] if m["kind"] == "note"]


def test_unknown_and_ambiguous_thread(cfg: Path) -> None:
    proc = cli(cfg, "pause", "Nonexistent Corp", "--now", NOW)
    assert proc.returncode != 0 and "No conversation matches" in proc.stderr
    proc = cli(cfg, "pause", "interview", "--now", NOW)
    assert proc.returncode != 0 and "matches" in proc.stderr and "c-" in proc.stderr


def test_corrections_survive_a_full_resync(cfg: Path) -> None:
    ok(cfg, "pause", "Acme Robotics", "--now", NOW)
    ok(cfg, "poll", "--once", "--now", NOW)
    # a full resync: the cursor is forgotten, every message is read again
    import sqlite3

    db = sqlite3.connect(cfg.parent / "state" / "state.db")
    db.execute("DELETE FROM cursors")
    db.execute("DELETE FROM messages")
    db.commit()
    db.close()
    ok(cfg, "poll", "--once", "--now", NOW)
    assert status(cfg)["Acme Robotics"]["state"] == "paused"
    assert drafts(cfg) == 0


def test_mark_recruiting_finds_a_conversation_the_agent_passed_over(cfg: Path) -> None:
    """Marking is most useful for the conversation detection missed: it is looked for in the
    whole mailbox, not only among the candidates, and is tracked from the next poll on."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from agent.samples import deliver, message

    deliver(cfg.parent / "Mail" / "INBOX", message(
        "Dana Wu <dana.wu@umbrella-analytics.com>", "Jordan Lee <jordan.lee@gmail.com>", "Coffee next Tuesday?",
        "Hi Jordan, I lead the data team here and would love to talk.\n\nDana",
        datetime(2026, 11, 27, 9, tzinfo=ZoneInfo("America/New_York")), "umbrella-dw-1@umbrella-analytics.com"))
    assert "Umbrella Analytics" not in status(cfg)
    said = ok(cfg, "mark", "Coffee next Tuesday", "recruiting", "--now", NOW)
    assert "Coffee next Tuesday?" in said
    st = status(cfg)
    tracked = [o for o in st.values() if o["subject"] == "Coffee next Tuesday?"]
    assert len(tracked) == 1 and tracked[0]["user_marks"][0]["kind"] == "mark"
    assert cli(cfg, "mark", "No such subject anywhere", "recruiting", "--now", NOW).returncode != 0
