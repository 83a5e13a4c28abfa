"""Steering over the Gmail API stand-in: Follow-up/* labels from Gmail, and CLI corrections."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from agent.samples import ics, message
from tests.gmail_server import FakeGmail, GmailHarness, fake_gmail
from tests.helpers import t
from tests.scenario_runner import run_cli_in_process as cli
from tests.scenario_runner import write_config

ME = "Jordan Lee <jordan.lee@gmail.com>"
NOW = "2026-12-01T16:05:00-05:00"


@pytest.fixture
def gmail() -> Iterator[FakeGmail]:
    with fake_gmail() as server:
        yield server


def _setup(gmail: FakeGmail, tmp_path: Path) -> tuple[Path, str]:
    harness = GmailHarness(gmail, tmp_path)
    inv = ics("Interview: Jordan Lee / Acme", t(12, 1, 13), t(12, 1, 14), organizer="ann.park@acme.com",
              attendee="jordan.lee@gmail.com")
    harness.deliver("inbox", message("Ann Park <ann.park@acme.com>", ME, "Interview for the Platform Engineer role",
                                     "Hi Jordan, the invitation is attached.", t(11, 24, 9), "acme-1@acme.com",
                                     calendar=inv))
    cfg = write_config(tmp_path / "config.toml", harness, tmp_path / "state" / "state.db", {})
    return cfg, gmail.find("<acme-1@acme.com>")


def _state(cfg: Path, now: str = NOW) -> dict[str, object]:
    [obj] = json.loads(cli(cfg, "status", "--json", "--now", now))
    return obj


def test_pause_label_from_gmail(gmail: FakeGmail, tmp_path: Path) -> None:
    cfg, mid = _setup(gmail, tmp_path)
    gmail.add_label(mid, "Follow-up/Pause")
    cli(cfg, "poll", "--once", "--now", NOW)
    assert _state(cfg)["state"] == "paused" and gmail.draft_messages() == {}
    gmail.remove_label(mid, "Follow-up/Pause")
    cli(cfg, "poll", "--once", "--now", "2026-12-01T16:10:00-05:00")
    assert len(gmail.draft_messages()) == 1


def test_done_label_from_gmail(gmail: FakeGmail, tmp_path: Path) -> None:
    cfg, mid = _setup(gmail, tmp_path)
    gmail.add_label(mid, "Follow-up/Done")
    cli(cfg, "poll", "--once", "--now", NOW)
    assert _state(cfg)["state"] == "closed" and gmail.draft_messages() == {}


def test_ignore_label_from_gmail(gmail: FakeGmail, tmp_path: Path) -> None:
    cfg, mid = _setup(gmail, tmp_path)
    gmail.add_label(mid, "Follow-up/Ignore")
    assert json.loads(cli(cfg, "status", "--json", "--now", NOW)) == []


def test_cli_corrections_survive_an_expired_history(gmail: FakeGmail, tmp_path: Path) -> None:
    cfg, _mid = _setup(gmail, tmp_path)
    cli(cfg, "snooze", "Platform Engineer", "--until", "2026-12-03", "--now", NOW)
    cli(cfg, "poll", "--once", "--now", NOW)
    gmail.expire_history()  # the next sync is a full one
    cli(cfg, "poll", "--once", "--now", "2026-12-02T10:00:00-05:00")
    assert gmail.draft_messages() == {}
    assert _state(cfg, "2026-12-02T10:00:00-05:00")["snoozed_until"] == "2026-12-03T00:00:00-05:00"
    cli(cfg, "poll", "--once", "--now", "2026-12-03T09:05:00-05:00")
    assert len(gmail.draft_messages()) == 1
