"""The command line as users run it: poll, status (live and cached), explain, errors."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import pytest

from agent.demo import build_sample


def cli(cfg: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "agent", "--config", str(cfg), *args],
                          capture_output=True, text=True, timeout=120)


@pytest.fixture
def sample(tmp_path: Path) -> Path:
    return build_sample(tmp_path)


def test_status_json_contract(sample: Path) -> None:
    proc = cli(sample, "status", "--json", "--now", "2026-12-01T10:00:00-05:00")
    assert proc.returncode == 0, proc.stderr
    objs = json.loads(proc.stdout)
    assert {o["company"] for o in objs} == {"Acme Robotics", "Globex", "Initech", "Hooli"}
    for o in objs:
        assert set(o) >= {"thread", "subject", "company", "state", "next", "reason"}
        assert o["state"] in ("open", "moved_on", "closed", "paused")
        assert not o["subject"].lower().startswith("re:")
        if o["next"] is not None:
            assert set(o["next"]) >= {"kind", "due", "to"}
            assert o["next"]["kind"] in ("thank_you", "follow_up_1", "follow_up_2")
    by = {o["company"]: o for o in objs}
    assert by["Globex"]["next"] == {"kind": "follow_up_1", "due": "2026-12-08T09:00:00-05:00",
                                    "to": "sam.rivera@globex.com"}
    assert by["Hooli"]["state"] == "closed" and by["Hooli"]["next"] is None
    # status reads the mailbox like a dry run: nothing written
    assert not (sample.parent / "state").exists()
    drafts = sample.parent / "Mail" / "Drafts" / "cur"
    assert list(drafts.iterdir()) == []


def test_poll_dry_run_then_real_then_cached(sample: Path) -> None:
    now = "2026-12-01T10:00:00-05:00"
    dry = cli(sample, "poll", "--once", "--dry-run", "--now", now, "--json")
    assert dry.returncode == 0, dry.stderr
    doc = json.loads(dry.stdout)
    assert doc["dry_run"] is True and [a["step"] for a in doc["actions"]] == ["thank_you"]
    assert list((sample.parent / "Mail" / "Drafts" / "cur").iterdir()) == []
    real = cli(sample, "poll", "--once", "--now", now)
    assert real.returncode == 0 and "did create a thank_you draft" in real.stdout
    assert len(list((sample.parent / "Mail" / "Drafts" / "cur").iterdir())) == 1
    cached = cli(sample, "status", "--cached", "--json")
    assert cached.returncode == 0
    objs = json.loads(cached.stdout)
    acme = next(o for o in objs if o["company"] == "Acme Robotics")
    assert acme["drafts"][0]["status"] == "created"
    assert "waiting in Drafts" in acme["reason"]
    table = cli(sample, "status", "--now", now)
    assert "Globex" in table.stdout and "follow_up_1" in table.stdout


def test_explain(sample: Path) -> None:
    proc = cli(sample, "explain", "Globex", "--now", "2026-12-08T10:00:00-05:00")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "by the end of the month" in out
    assert "last day Mon Nov 30 2026" in out
    assert "follow_up_1 due Tue 2026-12-08 09:00" in out
    assert "human_reply" in out and "user_wrote" in out
    assert "Company: Globex (from the subject \u201cGlobex interview - Data Engineer\u201d; agrees with the " \
           "domain globex.com)" in out


def test_explain_unknown_and_ambiguous(sample: Path) -> None:
    proc = cli(sample, "explain", "no-such-company")
    assert proc.returncode != 0 and "No conversation matches" in proc.stderr
    proc = cli(sample, "explain", "interview")
    assert proc.returncode != 0 and "matches" in proc.stderr and "Traceback" not in proc.stderr


def test_explain_untracked_noise(sample: Path) -> None:
    proc = cli(sample, "explain", "Thank you for applying")
    assert proc.returncode == 0, proc.stderr
    assert "Not tracked" in proc.stdout and "acknowledgement" in proc.stdout


def test_bad_now_is_refused(sample: Path) -> None:
    proc = cli(sample, "status", "--now", "2026-12-01T10:00:00")
    assert proc.returncode != 0 and "offset" in proc.stderr


def test_demo_runs(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "agent", "demo", "--keep", str(tmp_path / "d")],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "drafted thank_you to ann.park@acmerobotics.com" in proc.stdout
    assert "withdraw follow_up_1" in proc.stdout
    assert len(list((tmp_path / "d" / "Mail" / "Drafts" / "cur").iterdir())) == 2


def test_every_command_has_its_handler() -> None:
    """A command the parser offers but the dispatch table lacks would fail only when a user ran it."""
    import argparse

    from agent import cli

    (commands,) = [a.choices for a in cli.build_parser()._actions if isinstance(a, argparse._SubParsersAction)]
    assert set(commands) == set(cli._WITHOUT_CONFIG) | set(cli._WITH_CONFIG)
    assert not set(cli._WITHOUT_CONFIG) & set(cli._WITH_CONFIG)


@pytest.mark.parametrize("argv", [
    ["poll", "--once", "--json", "--full", "--now", "2026-12-01T10:00:00-05:00"],
    ["--config", "c.toml", "--debug", "status", "--cached", "--json"],
    ["--config=c.toml", "explain", "Acme"], ["pipeline", "--csv", "--since", "2026-11-01"],
    ["report", "--html", "r.html"], ["calendar", "--ics", "c.ics"], ["run"], ["doctor", "--test-notify"],
    ["auth", "gmail", "--client-secrets", "c.json", "--port", "8765"], ["auth", "imap", "--stdin"],
    ["snooze", "Acme", "--until", "2026-12-20"], ["mark", "Acme", "recruiting"], ["demo", "--keep", "d"],
])
def test_the_parser_built_for_one_command_reads_it_as_the_whole_parser_does(argv: list[str]) -> None:
    """main() builds only the subcommand about to run; what it parses is what the whole parser
    parses (every command here, the global options before it in each form)."""
    from agent import cli

    name = cli.command_of(argv)
    assert name is not None and name in argv
    assert vars(cli.build_parser(name).parse_args(argv)) == vars(cli.build_parser().parse_args(argv))


def test_help_and_an_unknown_command_get_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    from agent import cli

    assert cli.command_of(["--help"]) is None and cli.command_of(["--config", "c.toml"]) is None
    with pytest.raises(SystemExit):
        cli.main(["frobnicate"])
    err = capsys.readouterr().err
    assert "invalid choice: 'frobnicate'" in err and "'pipeline'" in err and "'snooze'" in err


def test_a_command_runs_without_the_cyclic_collector_and_the_service_with_it(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """``entry()`` turns the collector off for a command's short process (README: Speed), and
    the service, which lives for weeks, turns it back on."""
    import gc

    import agent.service
    from agent import cli as command
    from tests.helpers import make_config

    during: list[bool] = []
    monkeypatch.setattr(command, "main", lambda: during.append(gc.isenabled()) or 0)
    monkeypatch.setattr(agent.service, "run_service", lambda config: 0 if gc.isenabled() else 1)
    try:
        assert command.entry() == 0 and during == [False]
        assert not gc.isenabled()
        assert command._run(argparse.Namespace(), make_config(), sys.stdout) == 0  # on again
        assert gc.isenabled()
    finally:
        gc.unfreeze()  # entry() froze this test process's objects
        gc.enable()
