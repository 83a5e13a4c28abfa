"""``followup-agent calendar`` and ``[calendar] ics_path``: the known job search of
tests/pipeline_mail.py polled, the .ics parsed back with ``icalendar``; UIDs and SEQUENCE across
exports; CANCELLED for a closed conversation; the poll's own refresh; no body text in the file."""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from icalendar import Calendar
from structlog.testing import capture_logs

from agent.app import run_poll
from agent.calendar_export import calendar_bytes, planned_events
from agent.config import ConfigError, load_config
from agent.doctor import Report, diagnose
from agent.store import Store
from tests.pipeline_mail import NOW, deliver_all
from tests.scenario_runner import MaildirHarness, run_cli_in_process, write_config

#: A week before Initech's second interview: its first follow-up is still owed.
EARLY = datetime(2026, 11, 26, 9, 0, tzinfo=NOW.tzinfo)


def z(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=UTC)


#: (summary, start, end, status) at EARLY, worked out from the mail (14:00 New York = 18:00/19:00 UTC).
EXPECTED_EARLY = [
    ("Interview: Soylent \u2014 QA Engineer", z("2026-09-09 18:00"), z("2026-09-09 19:00"), "CONFIRMED"),
    ("Interview: Initech \u2014 Staff Engineer", z("2026-10-28 18:00"), z("2026-10-28 19:00"), "CONFIRMED"),
    ("Follow up: Initech (first follow-up)", z("2026-11-05 14:00"), z("2026-11-05 14:15"), "CONFIRMED"),
    ("Interview: Hooli \u2014 Site Reliability Engineer", z("2026-11-05 19:00"), z("2026-11-05 20:00"),
     "CONFIRMED"),
    ("Interview: Umbrella \u2014 Platform Engineer", z("2026-11-10 19:00"), z("2026-11-10 20:00"), "CONFIRMED"),
    ("Interview: Initech \u2014 Staff Engineer", z("2026-12-03 19:00"), z("2026-12-03 20:00"), "CONFIRMED"),
]


def events(path: Path) -> list[Any]:
    return list(Calendar.from_ical(path.read_bytes()).walk("VEVENT"))


def facts(path: Path) -> list[tuple[str, datetime, datetime, str]]:
    return [(str(e["summary"]), e.decoded("dtstart"), e.decoded("dtend"), str(e["status"])) for e in events(path)]


def seqs(path: Path) -> dict[str, int]:
    return {str(e["uid"]): int(e["sequence"]) for e in events(path)}


@pytest.fixture
def search(tmp_path: Path) -> Path:
    """The search delivered to a Maildir and polled at EARLY; the config's path."""
    harness = MaildirHarness(tmp_path)
    deliver_all(harness)
    cfg = write_config(tmp_path / "config.toml", harness, tmp_path / "state.db", {})
    run_cli_in_process(cfg, "poll", "--once", "--now", EARLY.isoformat())
    return cfg


def test_every_interview_and_the_due_follow_up_exactly(search: Path, tmp_path: Path) -> None:
    ics = tmp_path / "out" / "search.ics"
    said = run_cli_in_process(search, "calendar", "--ics", str(ics), "--now", EARLY.isoformat())
    assert said.startswith(f"Wrote {ics}: 5 interviews, 1 follow-ups due, 0 cancelled.")
    cal = Calendar.from_ical(ics.read_bytes())
    assert (str(cal["method"]), str(cal["version"]), str(cal["x-wr-calname"])) == ("PUBLISH", "2.0", "Job search")
    assert "followup-agent" in str(cal["prodid"])
    assert facts(ics) == EXPECTED_EARLY
    for e in events(ics):
        assert int(e["sequence"]) == 0 and e.decoded("dtstamp") == EARLY.astimezone(UTC)
        assert str(e["uid"]).endswith("@followup-agent")
        assert "Conversation id: c-" in str(e["description"])
    follow = next(e for e in events(ics) if str(e["summary"]).startswith("Follow up"))
    assert "Drafts" in str(follow["description"]) and "never sends" in str(follow["description"])
    assert len({str(e["uid"]) for e in events(ics)}) == len(EXPECTED_EARLY)
    assert ics.stat().st_mode & 0o777 == 0o600 and not list(ics.parent.glob(".*.tmp"))


def test_no_body_text_reaches_the_file(search: Path, tmp_path: Path) -> None:
    """Subjects, names and dates only: sentences of the bodies (the invitation's too) never appear."""
    ics = tmp_path / "search.ics"
    run_cli_in_process(search, "calendar", "--ics", str(ics), "--now", EARLY.isoformat())
    text = Calendar.from_ical(ics.read_bytes()).to_ical().decode()
    unfolded = text.replace("\r\n ", "")
    for sentence in ("I would love to join your team", "Please find the invitation for your interview",
                     "Thank you for the conversation today", "came across your profile"):
        assert sentence not in unfolded
    assert "Application for Staff Engineer at Initech" in unfolded  # the subject is allowed


def test_a_second_export_keeps_uids_sequence_and_bytes(search: Path, tmp_path: Path) -> None:
    ics = tmp_path / "search.ics"
    run_cli_in_process(search, "calendar", "--ics", str(ics), "--now", EARLY.isoformat())
    first, before = ics.read_bytes(), seqs(ics)
    later = EARLY + timedelta(hours=3)
    said = run_cli_in_process(search, "calendar", "--ics", str(ics), "--now", later.isoformat())
    assert said.startswith("Unchanged:") and ics.read_bytes() == first and seqs(ics) == before


def test_new_mail_moves_nothing_it_does_not_touch_and_a_closed_conversation_is_cancelled(
        search: Path, tmp_path: Path) -> None:
    """Polled again on Dec 1 (Initech's follow-up no longer owed), then the user closes Initech:
    its Dec 3 interview comes back CANCELLED with SEQUENCE + 1; what was held stays."""
    ics = tmp_path / "search.ics"
    run_cli_in_process(search, "calendar", "--ics", str(ics), "--now", EARLY.isoformat())
    first = {str(e["uid"]): e for e in events(ics)}
    run_cli_in_process(search, "poll", "--once", "--now", NOW.isoformat())
    run_cli_in_process(search, "calendar", "--ics", str(ics), "--now", NOW.isoformat())
    second = {str(e["uid"]): e for e in events(ics)}
    dec3 = next(u for u, e in second.items() if e.decoded("dtstart") == z("2026-12-03 19:00"))
    assert dec3 in first and str(second[dec3]["status"]) == "CONFIRMED"
    for uid, e in first.items():  # untouched interviews: same UID, same SEQUENCE, same DTSTAMP
        if str(e["summary"]).startswith("Interview"):
            assert (int(second[uid]["sequence"]), second[uid].decoded("dtstamp")) == (0, EARLY.astimezone(UTC))
    follow = next(u for u, e in first.items() if str(e["summary"]).startswith("Follow up"))
    assert str(second[follow]["status"]) == "CONFIRMED"  # past and no longer owed: kept as history

    run_cli_in_process(search, "close", "Initech", "--now", NOW.isoformat())
    run_cli_in_process(search, "poll", "--once", "--now", NOW.isoformat())
    said = run_cli_in_process(search, "calendar", "--ics", str(ics), "--now", NOW.isoformat())
    third = {str(e["uid"]): e for e in events(ics)}
    assert "1 cancelled" in said
    assert str(third[dec3]["status"]) == "CANCELLED" and int(third[dec3]["sequence"]) == 1
    held = next(u for u, e in first.items() if e.decoded("dtstart") == z("2026-10-28 18:00"))
    assert str(third[held]["status"]) == "CONFIRMED"  # held before it closed: history stays


def _records(search: Path) -> tuple[Any, list[dict[str, Any]]]:
    config = load_config(search)
    with Store.open(config.state.path, readonly_dry_run=True) as store:
        return config, store.load_pipeline()


def test_a_moved_due_time_or_a_rescheduled_interview_keeps_its_uid_and_bumps_sequence(search: Path) -> None:
    config, records = _records(search)
    one = calendar_bytes(planned_events(records, EARLY, config), None, EARLY)
    moved = copy.deepcopy(records)
    initech = next(r for r in moved if r["company"] == "Initech")
    initech["next"]["due"] = "2026-11-27T09:00:00-05:00"
    initech["interviews"][0]["start"] = "2026-10-28T15:00:00-04:00"
    initech["interviews"][0]["end"] = "2026-10-28T15:45:00-04:00"
    later = EARLY + timedelta(hours=1)
    two = calendar_bytes(planned_events(moved, later, config), one, later)
    a = {str(e["uid"]): e for e in Calendar.from_ical(one).walk("VEVENT")}
    b = {str(e["uid"]): e for e in Calendar.from_ical(two).walk("VEVENT")}
    assert set(a) == set(b)
    changed = {u for u in b if int(b[u]["sequence"]) == 1}
    assert {str(b[u]["summary"]) for u in changed} == {"Follow up: Initech (first follow-up)",
                                                       "Interview: Initech \u2014 Staff Engineer"}
    assert all(b[u].decoded("dtstamp") == later.astimezone(UTC) for u in changed)
    assert {b[u].decoded("dtstart") for u in changed} == {z("2026-11-27 14:00"), z("2026-10-28 19:00")}
    assert all(int(b[u]["sequence"]) == 0 for u in set(b) - changed)
    three = calendar_bytes(planned_events(moved, later, config), two, later + timedelta(days=1))
    assert three == two  # nothing changed since: not even DTSTAMP


def test_an_interview_without_an_end_gets_the_policys_default_length(search: Path) -> None:
    config, records = _records(search)
    rec = copy.deepcopy(next(r for r in records if r["company"] == "Hooli"))
    rec["interviews"][0]["end"] = rec["interviews"][0]["start"]
    (p,) = [p for p in planned_events([rec], EARLY, config) if p.kind == "interview"]
    assert p.end - p.start == config.policy.interview_default_length == timedelta(hours=1)


def test_the_poll_keeps_the_configured_file_current(tmp_path: Path) -> None:
    """The function the service calls for each poll (agent.app.run_poll), with its clock passed in:
    the file appears after a poll, a later poll with new mail rewrites it."""
    harness = MaildirHarness(tmp_path)
    deliver_all(harness)
    cfg = write_config(tmp_path / "config.toml", harness, tmp_path / "state.db",
                       {"calendar": {"ics_path": "cal/search.ics", "name": "My search"}})
    config = load_config(cfg)
    assert config.calendar.ics_path == tmp_path / "cal" / "search.ics"
    run_poll(config, EARLY, dry_run=True)
    assert not config.calendar.ics_path.exists()  # a dry run writes nothing
    run_poll(config, EARLY, dry_run=False)
    assert facts(config.calendar.ics_path) == EXPECTED_EARLY
    assert str(Calendar.from_ical(config.calendar.ics_path.read_bytes())["x-wr-calname"]) == "My search"
    run_poll(config, NOW, dry_run=False)
    assert z("2026-12-03 19:00") in {e.decoded("dtstart") for e in events(config.calendar.ics_path)}


def test_a_failed_write_is_logged_and_the_poll_goes_on(tmp_path: Path) -> None:
    harness = MaildirHarness(tmp_path)
    deliver_all(harness)
    (tmp_path / "blocker").write_text("a file where the folder should be")
    cfg = write_config(tmp_path / "config.toml", harness, tmp_path / "state.db",
                       {"calendar": {"ics_path": str(tmp_path / "blocker" / "search.ics")}})
    config = load_config(cfg)
    with capture_logs() as logs:
        result = run_poll(config, EARLY, dry_run=False)
    (failed,) = [e for e in logs if e["event"] == "calendar_not_written"]
    assert result.decisions and result.applied and failed["log_level"] == "warning"
    assert failed["path"] == str(tmp_path / "blocker" / "search.ics")
    report = Report()
    diagnose(cfg, report, {})
    check = next(c for c in report.checks if c.name == "calendar")
    assert check.status == "fail" and "cannot write" in check.detail


def test_config_and_doctor(tmp_path: Path) -> None:
    harness = MaildirHarness(tmp_path)
    cfg = write_config(tmp_path / "config.toml", harness, tmp_path / "state.db",
                       {"calendar": {"ics_path": "~/cal.ics"}})
    assert load_config(cfg, env={}).calendar.ics_path == Path("~/cal.ics").expanduser()
    report = Report()
    diagnose(cfg, report, {})
    assert next(c for c in report.checks if c.name == "calendar").status == "ok"
    for bad in ({"ics_path": ""}, {"name": " "}, {"path": "x.ics"}):
        write_config(tmp_path / "bad.toml", harness, tmp_path / "state.db", {"calendar": bad})
        with pytest.raises(ConfigError):
            load_config(tmp_path / "bad.toml")
