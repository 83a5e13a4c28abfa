"""Notices when a poll writes a draft (agent/notify.py): the desktop over a private D-Bus
session bus, the command hook, the failures that must never fail a poll, and no repeats."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from agent import engine
from agent.backends.memory import MemoryMailbox
from agent.config import parse_config
from agent.errors import ConfigError
from agent.notify import (
    CommandNotifier,
    DesktopNotifier,
    DraftNotice,
    command_env,
    notice_text,
    send_notices,
    server_information,
)
from tests.dbus_session import have_dbus_daemon, notification_server, private_session_bus
from tests.helpers import t
from tests.test_engine_memory import Env

# like a missing Dovecot, a missing dbus-daemon fails the tests that need it (never a silent skip)
NO_DBUS = "dbus-daemon is not installed: `apt-get install dbus-daemon` (.ci/run installs it)."


@pytest.fixture
def dbus_daemon_required() -> None:
    if not have_dbus_daemon():
        pytest.fail(NO_DBUS)


needs_dbus = pytest.mark.usefixtures("dbus_daemon_required")

DUE_POLL = t(12, 1, 17)  # the interview ended at 14:00; the thank-you is due by now


class Recorder:
    """A notifier that keeps what it is given (the protocol the poll hands notices to)."""

    name = "recorder"

    def __init__(self) -> None:
        self.batches: list[list[DraftNotice]] = []

    def notify(self, notices: Any) -> None:
        self.batches.append(list(notices))


class Broken:
    name = "broken"

    def notify(self, notices: Any) -> None:
        raise OSError("the channel is down")


@pytest.fixture
def bus(tmp_path: Path) -> Iterator[str]:
    if not have_dbus_daemon():
        pytest.fail(NO_DBUS)
    with private_session_bus(tmp_path) as address:
        yield address


def notice(company: str | None = "Acme", subject: str = "Interview <Platform> & co", n: int = 1) -> DraftNotice:
    return DraftNotice(conversation=f"c-{n}", company=company, subject=subject, step="thank_you",
                       due=t(12, 1, 16), draft_id=f"d-{n}")


# --- the poll hands exactly the drafts it wrote to the notifiers -------------------------


def test_a_poll_that_writes_a_draft_notifies_once_and_never_again() -> None:
    env, rec = Env(), Recorder()
    first = engine.poll(env.config, MemoryMailbox(env.server), env.state, DUE_POLL, notifiers=[rec])
    [draft] = env.drafts()
    assert [[(n.company, n.subject, n.step, n.conversation) for n in b] for b in rec.batches] == [
        [("Acme", "Interview for the Platform Engineer role", "thank_you", first.decisions[0].conversation)]]
    assert rec.batches[0][0].draft_id == draft.id
    assert rec.batches[0][0].due == first.decisions[0].next.due  # type: ignore[union-attr]
    assert first.stats["notices"] == 1
    engine.poll(env.config, MemoryMailbox(env.server), env.state, t(12, 1, 18), notifiers=[rec])
    assert len(rec.batches) == 1  # the draft waits still: no second notice


def test_a_dry_run_notifies_nobody_but_reports_the_notice() -> None:
    env, rec = Env(), Recorder()
    result = engine.poll(env.config, MemoryMailbox(env.server), env.state, DUE_POLL, dry_run=True, notifiers=[rec])
    assert rec.batches == [] and env.drafts() == []
    assert [(n.company, n.step, n.draft_id) for n in result.notices] == [("Acme", "thank_you", "")]


def test_an_adopted_draft_after_a_crash_is_not_announced_again() -> None:
    """The draft was written, then the poll died before recording it: the retry adopts it."""
    env, rec = Env(), Recorder()

    class DiesAfterWriting(MemoryMailbox):
        def create_draft(self, data: bytes, thread_hint: str | None) -> str:
            super().create_draft(data, thread_hint)
            raise RuntimeError("killed")

    with pytest.raises(RuntimeError):
        engine.poll(env.config, DiesAfterWriting(env.server), env.state, DUE_POLL, notifiers=[rec])
    retry = engine.poll(env.config, MemoryMailbox(env.server), env.state, t(12, 1, 18), notifiers=[rec])
    assert [a.kind for a in retry.plan] == ["adopt"] and len(env.drafts()) == 1
    assert rec.batches == []


def test_a_failing_notifier_is_logged_and_the_poll_completes(capsys: pytest.CaptureFixture[str]) -> None:
    env, rec = Env(), Recorder()
    result = engine.poll(env.config, MemoryMailbox(env.server), env.state, DUE_POLL, notifiers=[Broken(), rec])
    assert len(env.drafts()) == 1 and len(rec.batches) == 1  # the next channel still got it
    assert result.stats["notice_errors"] == ["broken: OSError: the channel is down"]
    assert env.state.ledger_for(result.decisions[0].conversation)[-1].status == "created"


# --- what a notice says --------------------------------------------------------------------


def test_one_notice_per_draft_up_to_the_threshold_then_one_summary() -> None:
    three = [notice(f"Co{i}", n=i) for i in range(3)]
    assert [title for title, _ in notice_text(three, 3)] == [
        "Follow-up draft for Co0", "Follow-up draft for Co1", "Follow-up draft for Co2"]
    [(title, message)] = notice_text([*three, notice("Co3", n=3)], 3)
    assert title == "4 follow-up drafts wait in Drafts"
    assert message == "For Co0, Co1, Co2, Co3. Review them in your Drafts folder; nothing has been sent."


def test_a_single_notice_names_the_conversation_and_says_it_waits_in_drafts() -> None:
    [(title, message)] = notice_text([notice()], 3)
    assert title == "Follow-up draft for Acme"
    assert message == ("Thank-you note on \u201cInterview <Platform> & co\u201d, due Tue Dec 1 16:00. "
                       "It waits in Drafts for your review; nothing has been sent.")
    [(title, _)] = notice_text([notice(company=None)], 3)
    assert title == "Follow-up draft ready"


# --- the desktop, over a private session bus ------------------------------------------------


@needs_dbus
def test_the_desktop_notice_reaches_the_notification_server(bus: str) -> None:
    with notification_server(bus) as server:
        DesktopNotifier(timeout=5, summary_above=3, bus_address=bus).notify([notice()])
        assert server.received.is_set()
        [call] = server.calls
    assert call["app"] == "followup-agent"
    assert call["summary"] == "Follow-up draft for Acme"
    assert call["body"] == ("Thank-you note on \u201cInterview <Platform> & co\u201d, due Tue Dec 1 16:00. "
                            "It waits in Drafts for your review; nothing has been sent.")
    assert call["hints"]["desktop-entry"] == ("s", "followup-agent")


@needs_dbus
def test_a_server_that_reads_markup_gets_the_subject_escaped(bus: str) -> None:
    with notification_server(bus, capabilities=("body", "body-markup")) as server:
        DesktopNotifier(timeout=5, summary_above=3, bus_address=bus).notify([notice()])
        [call] = server.calls
    assert "\u201cInterview &lt;Platform&gt; &amp; co\u201d" in call["body"]


@needs_dbus
def test_a_poll_notifies_the_desktop_through_the_config(bus: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from agent.notify import notifiers_from_config

    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", bus)
    env = Env()
    with notification_server(bus) as server:
        engine.poll(env.config, MemoryMailbox(env.server), env.state, DUE_POLL,
                    notifiers=notifiers_from_config(env.config.notify))
        engine.poll(env.config, MemoryMailbox(env.server), env.state, t(12, 1, 18),
                    notifiers=notifiers_from_config(env.config.notify))
        summaries = [c["summary"] for c in server.calls]
    assert summaries == ["Follow-up draft for Acme"]


@needs_dbus
def test_no_notification_server_on_the_bus_is_one_logged_failure(bus: str) -> None:
    failures = send_notices([DesktopNotifier(timeout=5, summary_above=3, bus_address=bus)], [notice()])
    assert failures == ["desktop: no notification server (org.freedesktop.DBus.Error.ServiceUnknown)"]


def test_no_session_bus_is_one_logged_failure(tmp_path: Path) -> None:
    gone = f"unix:path={tmp_path / 'no-bus'}"
    [failure] = send_notices([DesktopNotifier(timeout=1, summary_above=3, bus_address=gone)], [notice()])
    assert failure.startswith("desktop: no session bus (")


@needs_dbus
def test_doctor_reads_the_server_information(bus: str) -> None:
    with notification_server(bus):
        assert server_information(bus) == ("test-notifyd", "followup tests", "1.0", "1.2")


# --- the command hook ----------------------------------------------------------------------


def script(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "hook.sh"
    path.write_text("#!/bin/sh\n" + body + "\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def test_the_command_gets_the_details_in_its_environment(tmp_path: Path) -> None:
    out = tmp_path / "env.txt"
    hook = script(tmp_path, f'env | grep ^FOLLOWUP_ | sort >> "{out}"; echo --- >> "{out}"')
    evil = notice(subject='$(touch pwned) `touch pwned2`; "x"', n=7)
    CommandNotifier(f"{hook} --flag", timeout=10, summary_above=3).notify([evil])
    got = dict(line.split("=", 1) for line in out.read_text().splitlines() if "=" in line)
    assert got == {
        "FOLLOWUP_EVENT": "draft_queued", "FOLLOWUP_COUNT": "1", "FOLLOWUP_COMPANY": "Acme",
        "FOLLOWUP_SUBJECT": '$(touch pwned) `touch pwned2`; "x"', "FOLLOWUP_STEP": "thank_you",
        "FOLLOWUP_DUE": "2026-12-01T16:00:00-05:00", "FOLLOWUP_THREAD": "c-7", "FOLLOWUP_DRAFT_ID": "d-7",
        "FOLLOWUP_TITLE": "Follow-up draft for Acme",
        "FOLLOWUP_MESSAGE": 'Thank-you note on \u201c$(touch pwned) `touch pwned2`; "x"\u201d, due Tue Dec 1 '
                            "16:00. It waits in Drafts for your review; nothing has been sent.",
    }
    assert not (tmp_path / "pwned").exists() and not Path("pwned").exists()


def test_the_command_runs_once_per_draft_then_once_for_a_summary(tmp_path: Path) -> None:
    out = tmp_path / "runs.txt"
    hook = script(tmp_path, f'echo "$FOLLOWUP_EVENT $FOLLOWUP_COUNT" >> "{out}"')
    CommandNotifier(str(hook), timeout=10, summary_above=2).notify([notice(n=1), notice(n=2)])
    CommandNotifier(str(hook), timeout=10, summary_above=2).notify([notice(f"C{i}", n=i) for i in range(3)])
    assert out.read_text().splitlines() == ["draft_queued 1", "draft_queued 1", "drafts_queued 3"]
    env = command_env([notice("A", n=1), notice("B", n=2)], "T", "M")
    assert env["FOLLOWUP_COMPANY"] == "A\nB" and env["FOLLOWUP_THREAD"] == "c-1\nc-2"


def test_a_command_that_fails_is_one_logged_failure(tmp_path: Path) -> None:
    hook = script(tmp_path, "exit 1")
    assert send_notices([CommandNotifier(str(hook), timeout=10, summary_above=3)], [notice()]) == [
        f"command: {hook} exited with status 1"]
    missing = tmp_path / "nowhere"
    [failure] = send_notices([CommandNotifier(str(missing), timeout=10, summary_above=3)], [notice()])
    assert failure.startswith(f"command: cannot run {missing}")


def test_a_command_that_hangs_is_stopped_and_the_poll_completes(tmp_path: Path) -> None:
    hook = script(tmp_path, "sleep 600 & wait")  # a child of its own: the whole group is stopped
    config = Env().config
    env = Env(parse_config({**_raw(config), "notify": {"desktop": False, "command": str(hook),
                                                       "timeout_seconds": 0.2}}))
    from agent.notify import notifiers_from_config

    result = engine.poll(env.config, MemoryMailbox(env.server), env.state, DUE_POLL,
                         notifiers=notifiers_from_config(env.config.notify))
    assert result.applied and len(env.drafts()) == 1
    assert result.stats["notice_errors"] == [f"command: {hook} did not finish within 0.2 s (stopped)"]
    assert env.state.ledger_for(result.decisions[0].conversation)[-1].status == "created"


def _raw(config: Any) -> dict[str, Any]:
    """The TOML document of tests.helpers.make_config (the notice tests add a [notify] table)."""
    return {
        "account": {"name": config.account.name, "addresses": list(config.account.addresses),
                    "timezone": config.account.timezone},
        "mailbox": {"backend": "imap"},
        "imap": {"host": "127.0.0.1", "security": "none", "username": config.account.primary},
        "state": {"path": str(config.state.path)},
    }


# --- [notify] in the config ------------------------------------------------------------------


def test_notify_config_defaults_and_validation() -> None:
    base = _raw(Env().config)
    cfg = parse_config(base).notify
    assert (cfg.desktop, cfg.command, cfg.timeout_seconds, cfg.summary_above) == (True, None, 10.0, 3)
    cfg = parse_config({**base, "notify": {"desktop": False, "command": "ntfy publish x", "timeout_seconds": 3}}).notify
    assert (cfg.desktop, cfg.command, cfg.timeout_seconds) == (False, "ntfy publish x", 3.0)
    for bad, key in (({"command": "'unclosed"}, "notify.command"), ({"command": "  "}, "notify.command"),
                     ({"timeout_seconds": 0}, "notify.timeout_seconds"), ({"desktop": "yes"}, "notify.desktop"),
                     ({"summary_above": 0}, "notify.summary_above"), ({"sound": True}, "notify.sound")):
        with pytest.raises(ConfigError, match=key):
            parse_config({**base, "notify": bad})
    with pytest.raises(AttributeError):
        cfg.desktop = True  # type: ignore[misc]


def test_no_bus_in_the_environment_is_a_failure_not_a_crash(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    monkeypatch.setitem(os.environ, "XDG_RUNTIME_DIR", "/nonexistent")
    [failure] = send_notices([DesktopNotifier(timeout=1, summary_above=3)], [notice()])
    assert failure.startswith("desktop: no session bus")


# --- doctor ----------------------------------------------------------------------------------


def maildir_config(tmp_path: Path, notify: str) -> Path:
    for box in ("inbox", "sent", "drafts"):
        for sub in ("cur", "new", "tmp"):
            (tmp_path / box / sub).mkdir(parents=True, exist_ok=True)
    cfg = tmp_path / "config.toml"
    cfg.write_text('[account]\nname = "Jordan Lee"\naddresses = ["jordan.lee@gmail.com"]\n'
                   'timezone = "America/New_York"\n[mailbox]\nbackend = "maildir"\n'
                   f'[maildir]\ninbox = "{tmp_path}/inbox"\nsent = "{tmp_path}/sent"\ndrafts = "{tmp_path}/drafts"\n'
                   f'[state]\npath = "{tmp_path}/state/state.db"\n[notify]\n{notify}\n')
    return cfg


def doctor_checks(cfg: Path, env: dict[str, str], **kw: Any) -> dict[str, dict[str, str]]:
    import io
    import json

    from agent.doctor import run_doctor

    out = io.StringIO()
    run_doctor(cfg, out, as_json=True, env=env, **kw)
    return {c["name"]: c for c in json.loads(out.getvalue()) if "notice" in c["name"]}


@needs_dbus
def test_doctor_finds_the_server_and_the_command_and_sends_a_test_notice(bus: str, tmp_path: Path) -> None:
    out = tmp_path / "env.txt"
    hook = script(tmp_path, f'echo "$FOLLOWUP_THREAD $FOLLOWUP_SUBJECT" > "{out}"')
    cfg = maildir_config(tmp_path, f'command = "{hook}"')
    env = {"HOME": str(tmp_path), "DBUS_SESSION_BUS_ADDRESS": bus, "PATH": os.environ["PATH"]}
    with notification_server(bus) as server:
        checks = doctor_checks(cfg, env)
        assert server.calls == []  # checking sends nothing
        assert checks["notices: desktop"]["status"] == "ok"
        assert "test-notifyd 1.0" in checks["notices: desktop"]["detail"]
        assert checks["notices: command"]["status"] == "ok" and str(hook) in checks["notices: command"]["detail"]
        checks = doctor_checks(cfg, env, test_notify=True)
        assert [c["summary"] for c in server.calls] == ["Follow-up draft for followup-agent"]
    assert checks["test notice: desktop"]["status"] == "ok" and checks["test notice: command"]["status"] == "ok"
    assert out.read_text() == "doctor-test Test notice from followup-agent doctor\n"


@needs_dbus
def test_doctor_warns_without_a_notification_server_and_fails_a_missing_command(bus: str, tmp_path: Path) -> None:
    cfg = maildir_config(tmp_path, 'command = "no-such-notifier --topic x"')
    checks = doctor_checks(cfg, {"HOME": str(tmp_path), "DBUS_SESSION_BUS_ADDRESS": bus, "PATH": "/usr/bin:/bin"},
                           test_notify=True)
    assert checks["notices: desktop"]["status"] == "warn"
    assert "ServiceUnknown" in checks["notices: desktop"]["detail"]
    assert checks["notices: command"]["status"] == "fail"
    assert "'no-such-notifier'" in checks["notices: command"]["detail"]
    assert checks["test notice: desktop"]["status"] == "fail"


def test_doctor_with_notices_off_says_so(tmp_path: Path) -> None:
    checks = doctor_checks(maildir_config(tmp_path, "desktop = false"), {"HOME": str(tmp_path)})
    assert {n: c["status"] for n, c in checks.items()} == {"notices": "ok"}


def test_poll_dry_run_on_the_command_line_prints_the_notice_it_would_send(tmp_path: Path) -> None:
    import io

    from agent.cli import _print_poll

    env = Env()
    result = engine.poll(env.config, MemoryMailbox(env.server), env.state, DUE_POLL, dry_run=True)
    out = io.StringIO()
    _print_poll(result, env.config, False, out)
    assert "would notify: Follow-up draft for Acme: Thank-you note on" in out.getvalue()


def test_a_real_poll_through_the_app_runs_the_configured_command_once_per_draft(tmp_path: Path) -> None:
    """agent.app.run_poll (what `poll` and the service call) builds the notifiers from [notify]."""
    from agent.app import run_poll
    from agent.config import load_config
    from agent.demo import DEMO_TIMES, build_sample

    out = tmp_path / "runs.txt"
    hook = script(tmp_path, f'echo "$FOLLOWUP_EVENT|$FOLLOWUP_COMPANY|$FOLLOWUP_STEP|$FOLLOWUP_DRAFT_ID" >> "{out}"')
    cfg = build_sample(tmp_path / "demo")
    cfg.write_text(cfg.read_text() + f'\n[notify]\ndesktop = false\ncommand = "{hook}"\nsummary_above = 10\n')
    config = load_config(cfg)
    first = run_poll(config, DEMO_TIMES[0], dry_run=False)
    again = run_poll(config, DEMO_TIMES[0], dry_run=False)
    created = [a for a in first.plan if a.kind == "create"]
    assert created and not [a for a in again.plan if a.kind == "create"]
    lines = out.read_text().splitlines()
    assert len(lines) == len(created) == first.stats["notices"]
    for line, notice_ in zip(lines, first.notices, strict=True):
        event, company, step, draft_id = line.split("|")
        assert (event, company, step) == ("draft_queued", notice_.company, notice_.step) and company
        [row] = [r for r in first.history[notice_.conversation] if r.status == "created"]
        assert draft_id == row.draft_id  # the id the ledger recorded for the draft in Drafts


def test_the_user_unit_leaves_the_session_bus_reachable() -> None:
    """The user service reaches $DBUS_SESSION_BUS_ADDRESS (unix:path=/run/user/UID/bus, set by the
    user manager): AF_UNIX allowed, /run/user not hidden (ProtectHome=read-only keeps the socket
    connectable; =yes or =tmpfs would hide it), and no inaccessible or emptied path covers it."""
    unit = (Path(__file__).parent.parent / "systemd" / "followup-agent.service").read_text()
    settings = [line.split("=", 1) for line in unit.splitlines() if "=" in line and not line.startswith("#")]
    values = {k: v for k, v in settings}
    assert "AF_UNIX" in values["RestrictAddressFamilies"].split()
    assert values["ProtectHome"] == "read-only"
    hiding = ("InaccessiblePaths", "TemporaryFileSystem", "BindPaths", "UnsetEnvironment")
    assert not [(k, v) for k, v in settings if k in hiding and ("/run/user" in v or "DBUS" in v)]
    assert "PrivateNetwork" not in values and "IPAddressDeny" not in values


@needs_dbus
def test_without_the_variable_the_bus_is_found_in_the_runtime_dir(
        bus: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`poll` from cron has $XDG_RUNTIME_DIR/bus but not DBUS_SESSION_BUS_ADDRESS."""
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))  # private_session_bus listens on tmp_path/bus
    with notification_server(bus) as server:
        assert send_notices([DesktopNotifier(timeout=5, summary_above=3)], [notice()]) == []
        assert [c["summary"] for c in server.calls] == ["Follow-up draft for Acme"]
