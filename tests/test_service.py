"""The service (``followup-agent run``): as a subprocess against Dovecot, and in-process.

The subprocess tests run the service the way systemd does: ``$NOTIFY_SOCKET``
(a datagram socket of the test's own), ``$WATCHDOG_USEC``,
``$CREDENTIALS_DIRECTORY`` (the password) and ``$STATE_DIRECTORY`` (the state,
no ``state.path`` in the config). An injected clock
(``FOLLOWUP_AGENT_FAKE_NOW``) puts the start a few seconds before a thank-you
is due, so the due moment comes within the test.

No test measures time: they wait for what they expect (a log line, a
notification, a poll) on :data:`NEWS`, with a generous timeout that only keeps
a broken service from hanging the suite, and the in-process tests pass the
service a clock they control.
"""

from __future__ import annotations

import io
import json
import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from agent import logs
from agent import service as service_module
from agent.config import Config
from agent.errors import AuthError, ConfigError, MailboxError, StateLockedError
from agent.samples import ics, message
from agent.service import Clock, Service, classify_failure, next_due
from agent.store import StateLock
from tests.dovecot import DovecotServer, DovecotUser
from tests.helpers import make_config, t

ROOT = Path(__file__).resolve().parents[1]
ME = "Jordan Lee <jordan.lee@gmail.com>"
ANN = "Ann Park <ann.park@acme.com>"
DUE = t(12, 1, 16)  # the thank-you: 2 h after the interview ends at 14:00 New York time
#: notified whenever a reader thread below receives something (a log line, a notification)
NEWS = threading.Condition()


def wait_until(what: Callable[[], Any], timeout: float) -> Any:
    """``what()`` once it is true, waiting on :data:`NEWS` (at most ``timeout`` seconds); else None."""
    got: Any = None

    def ready() -> bool:
        nonlocal got
        got = what()
        return bool(got)

    with NEWS:
        NEWS.wait_for(ready, timeout)
    return got or None


# --- helpers ------------------------------------------------------------------------------


class NotifySocket:
    """A datagram socket standing in for systemd's notify socket."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(path))
        self.sock.settimeout(0.2)
        self.messages: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        while not self._stop.is_set():
            try:
                data = self.sock.recv(4096)
            except TimeoutError:
                continue
            except OSError:
                return
            with NEWS:
                self.messages.append(data.decode())
                NEWS.notify_all()

    def states(self) -> list[str]:
        return [line for m in list(self.messages) for line in m.split("\n")]

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self.sock.close()


class Agent:
    """``followup-agent run`` as a subprocess; its JSON log lines collected as they come."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "agent", *args], env=env, cwd=ROOT,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        self.lines: list[str] = []
        self.err: list[str] = []
        self._ended = 0  # readers done: the process exited and all its output is read
        self._readers = [
            threading.Thread(target=self._pump, args=(self.proc.stdout, self.lines), daemon=True),
            threading.Thread(target=self._pump, args=(self.proc.stderr, self.err), daemon=True),
        ]
        for r in self._readers:
            r.start()

    def _pump(self, stream: Any, into: list[str]) -> None:
        for line in stream:
            with NEWS:
                into.append(line.rstrip("\n"))
                NEWS.notify_all()
        self.proc.wait()  # its output ended: it is exiting
        with NEWS:  # waiters look again (see _exited)
            self._ended += 1
            NEWS.notify_all()

    def events(self, name: str | None = None) -> list[dict[str, Any]]:
        out = []
        for line in list(self.lines):
            try:
                ev = json.loads(line)
            except ValueError:
                continue
            if name is None or ev.get("event") == name:
                out.append(ev)
        return out

    def wait_for(self, what: Callable[[], Any], timeout: float, label: str) -> Any:
        """``what()`` once true; an exited service or ``timeout`` seconds fail the test."""
        got = wait_until(lambda: what() or self._exited(), timeout)
        if got is None or got is _EXITED:
            raise AssertionError(f"no {label} (the service {'exited' if got else 'timed out'}); log:\n"
                                 + self.output())
        return got

    def _exited(self) -> object:
        """_EXITED once the process has ended and its output has been read to the end."""
        return _EXITED if self._ended == len(self._readers) else None

    def wait_event(self, name: str, timeout: float, **match: Any) -> dict[str, Any]:
        def find() -> dict[str, Any] | None:
            for ev in self.events(name):
                if all(ev.get(k) == v for k, v in match.items()):
                    return ev
            return None

        return self.wait_for(find, timeout, f"{name} {match}")  # type: ignore[no-any-return,unused-ignore]

    def output(self) -> str:
        return "\n".join([*self.lines, "--- stderr ---", *self.err])

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 10) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        rc = self.proc.wait(timeout)
        for r in self._readers:
            r.join(2)
        return rc


_EXITED = object()


def interview_mail() -> bytes:
    inv = ics("Interview: Jordan Lee / Acme", t(12, 1, 13), t(12, 1, 14), organizer="ann.park@acme.com",
              attendee="jordan.lee@gmail.com")
    return message(ANN, ME, "Interview for the Platform Engineer role",
                   "Hi Jordan, the invitation is attached. We hope to decide by the end of the month.\n\nAnn",
                   t(11, 24, 9), "acme-1@acme.com", calendar=inv)


def reply_mail() -> bytes:
    # unrelated new mail: it wakes IDLE without changing what is owed (a reply from Acme
    # would, by policy, withdraw the waiting thank-you)
    return message("Sam <sam.friend@yahoo.com>", ME, "Lunch tomorrow?", "Are you free at noon?",
                   t(12, 1, 15), "sam-2@yahoo.com")


def write_config(tmp: Path, user: DovecotUser, interval: str) -> Path:
    cfg = tmp / "config.toml"
    cfg.write_text(
        '[account]\nname = "Jordan Lee"\naddresses = ["jordan.lee@gmail.com"]\n'
        'timezone = "America/New_York"\n[mailbox]\nbackend = "imap"\n'
        f'[imap]\nhost = "{user.server.host}"\nport = {user.server.port}\nsecurity = "none"\n'
        f'username = "{user.username}"\ntimeout = 5\n'
        f'[schedule]\npoll_interval = "{interval}"\n'
    )
    return cfg


def service_env(tmp: Path, password: str, notify: Path, fake_now: datetime | None) -> dict[str, str]:
    creds = tmp / "credentials"
    creds.mkdir(exist_ok=True)
    (creds / "imap-password").write_text(password + "\n")
    state = tmp / "state"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NOTIFY_", "WATCHDOG_"))}
    env.update(
        NOTIFY_SOCKET=str(notify),
        WATCHDOG_USEC="400000",
        CREDENTIALS_DIRECTORY=str(creds),
        STATE_DIRECTORY=str(state),
        PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
        PYTHONPATH=str(ROOT),
    )
    if fake_now is not None:
        env["FOLLOWUP_AGENT_FAKE_NOW"] = fake_now.isoformat()
    return env


def drafts_of(user: DovecotUser) -> list[int]:
    return user.uids("Drafts")


# --- the service against Dovecot -------------------------------------------------------


def test_service_end_to_end(dovecot: DovecotServer, dovecot_user: DovecotUser, tmp_path: Path) -> None:
    """Due draft at its due moment, lock, Dovecot restart, IDLE, sd_notify, SIGTERM."""
    user = dovecot_user
    user.deliver("INBOX", interview_mail())
    notify = NotifySocket(tmp_path / "notify.sock")
    cfg = write_config(tmp_path, user, interval="30s")  # only the due job and IDLE can poll in time
    env = service_env(tmp_path, user.password, notify.path, fake_now=DUE - timedelta(seconds=4))
    agent = Agent(["--config", str(cfg), "run"], env)
    try:
        # 1. started, ready, and the first poll sees the thank-you due in ~4 s: nothing yet
        agent.wait_for(lambda: "READY=1" in notify.states(), 15, "READY=1")
        first = agent.wait_event("poll", 15, trigger="interval")
        assert first["drafts_created"] == 0 and drafts_of(user) == []
        planned = agent.wait_event("next_due", 5)
        assert planned["step"] == "thank_you"
        assert datetime.fromisoformat(planned["at"]) == DUE
        # planned for the due moment: the clock started 4 s before it and runs at real speed
        assert 0 <= planned["in_seconds"] <= 4

        # 2. the one-shot job (not the 30 s interval) creates the draft, not before the due
        # moment (the fake clock's)
        made = agent.wait_event("poll", 15, trigger="due")
        assert made["drafts_created"] == 1
        assert datetime.fromisoformat(made["now"]) >= DUE
        assert len(drafts_of(user)) == 1

        # 3. the lock: a second service and a manual poll are refused; status still works
        second = subprocess.run([sys.executable, "-m", "agent", "--config", str(cfg), "run"],
                                env=env, capture_output=True, text=True, timeout=60)
        assert second.returncode == StateLockedError.exit_code, second.stderr
        assert "Another followup-agent process is running" in second.stderr
        assert f"by process {agent.proc.pid}" in second.stderr
        once = subprocess.run([sys.executable, "-m", "agent", "--config", str(cfg), "poll", "--once"],
                              env=env, capture_output=True, text=True, timeout=60)
        assert once.returncode == StateLockedError.exit_code, once.stderr
        assert "stop the service" in once.stderr and "Traceback" not in once.stderr
        status = subprocess.run(
            [sys.executable, "-m", "agent", "--config", str(cfg), "status", "--json",
             "--now", (DUE + timedelta(minutes=5)).isoformat()],
            env=env, capture_output=True, text=True, timeout=60)
        assert status.returncode == 0, status.stderr
        assert json.loads(status.stdout)[0]["subject"] == "Interview for the Platform Engineer role"

        # 4. new mail wakes the IDLE watcher (the interval is 30 s: nothing else polls now)
        user.deliver("INBOX", reply_mail())
        woke = agent.wait_event("poll", 10, trigger="new_mail")
        assert woke["added"] == 1

        # 5. Dovecot goes away: a poll fails, is logged, and the service lives on
        dovecot.stop()
        agent.proc.send_signal(signal.SIGHUP)  # "poll now" (systemctl reload)
        failed = agent.wait_event("poll_failed", 30)
        assert failed["kind"] == "mailbox" and "Lost the connection" in failed["error"]
        assert agent.proc.poll() is None
        dovecot.start()
        agent.proc.send_signal(signal.SIGHUP)
        recovered = agent.wait_event("poll_recovered", 30)
        assert recovered["after_failures"] == 1
        assert len(drafts_of(user)) == 1  # nothing duplicated, nothing lost

        # 6. SIGTERM: STOPPING=1, exit 0, without waiting out the stop grace (20 s; stop()
        # gives it 10 s) or leaving by the emergency exit
        assert agent.stop() == 0, agent.output()
        assert not agent.events("stopped_during_poll")
        states = notify.states()
        assert "READY=1" in states and "WATCHDOG=1" in states and "STOPPING=1" in states
        assert states.index("READY=1") < states.index("STOPPING=1")
        assert any(s.startswith("STATUS=Last poll") for s in states)
        assert agent.events("service_stopped")
        assert user.password not in agent.output()
    finally:
        if agent.proc.poll() is None:
            agent.proc.kill()
            agent.proc.wait(5)
        notify.close()
        dovecot.start()


def test_refused_login_is_reported_once_and_not_hammered(
    dovecot_user: DovecotUser, tmp_path: Path
) -> None:
    user = dovecot_user
    notify = NotifySocket(tmp_path / "notify.sock")
    cfg = write_config(tmp_path, user, interval="1s")
    env = service_env(tmp_path, "wrong-password-4711", notify.path, fake_now=None)
    agent = Agent(["--config", str(cfg), "--debug", "run"], env)  # --debug: skipped polls are logged
    try:
        ev = agent.wait_event("auth_failed", 20)
        assert "refused the login" in ev["error"]
        assert ev["retry_in_seconds"] >= 15 * 60
        assert "followup-agent auth imap" in ev["fix"]
        # two more intervals come and are skipped: no other attempt
        agent.wait_for(lambda: len([e for e in agent.events("poll_skipped") if e["trigger"] == "interval"
                                    and e["reason"] == "backing off"]) >= 2, 20, "two skipped polls")
        assert len(agent.events("auth_failed")) == 1
        assert agent.events("poll") == [] and agent.events("auth_still_failing") == []
        assert agent.proc.poll() is None
        assert agent.stop(signal.SIGINT) == 0
        assert "wrong-password-4711" not in agent.output()
        assert any("login refused" in s for s in notify.states())
    finally:
        if agent.proc.poll() is None:
            agent.proc.kill()
        notify.close()


def test_bad_config_exits_non_zero_at_start(tmp_path: Path) -> None:
    cfg = tmp_path / "config.toml"
    cfg.write_text('[account]\nname = "x"\n')
    proc = subprocess.run([sys.executable, "-m", "agent", "--config", str(cfg), "run"],
                          capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert proc.returncode == 2 and "Missing configuration key" in proc.stderr


# --- in-process: the scheduler's decisions ------------------------------------------------


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    buf = io.StringIO()
    logs.configure(json=True, stream=buf, level=10)
    try:
        yield buf
    finally:
        logs.configure(json=True, stream=sys.stderr)


def _events(buf: io.StringIO, name: str | None = None) -> list[dict[str, Any]]:
    out = [json.loads(line) for line in buf.getvalue().splitlines() if line.startswith("{")]
    return [e for e in out if name is None or e["event"] == name]


class FakeResult:
    def __init__(self, now: datetime, dues: list[datetime]) -> None:
        from agent.policy import Decision, NextStep

        self.now = now
        self.plan: list[Any] = []
        self.decisions = [
            Decision(f"c{i}", "s", None, "open", NextStep("thank_you", d, None, "r1"), "why")
            for i, d in enumerate(dues)
        ]


def _run_until(service: Service, done: threading.Event, timeout: float = 30) -> int:
    """Run the service until ``done`` is set, then stop it as SIGTERM would.

    ``timeout`` only keeps a broken service from hanging the suite; the test then fails.
    These tests stop the service the moment a poll happened, often while a retry is being
    fired: the service ends with 0 all the same
    (test_a_stop_while_the_scheduler_fires_a_one_shot_job_still_ends_run_with_0).
    """
    def stop_when_done() -> None:
        done.wait(timeout)
        service.stop()

    stopper = threading.Thread(target=stop_when_done, name="stopper", daemon=True)
    stopper.start()
    rc = service.run()
    stopper.join()
    assert done.is_set(), f"the service did not get there within {timeout} s"
    return rc


def _trigger() -> str:
    """What started the poll running now (the service binds it to the log context)."""
    import structlog

    return str(structlog.contextvars.get_contextvars().get("trigger", ""))


class SteppingClock(Clock):
    """A clock the test controls: it shows ``start`` until the service waits for a moment,
    and that moment has then come at once (the scheduler is told to wait 0 real seconds)."""

    def __init__(self, start: datetime) -> None:
        super().__init__(start)
        self.shown = start
        self.waits: list[datetime] = []

    def now(self) -> datetime:
        return self.shown

    def real_seconds_until(self, moment: datetime) -> float:
        self.waits.append(moment)
        self.shown = max(self.shown, moment)
        return 0.0


def _config(tmp_path: Path, interval: int = 1) -> Config:
    from agent.samples import make_maildir

    folders = {n: str(make_maildir(tmp_path / n)) for n in ("inbox", "sent", "drafts")}
    return make_config(tmp_path, mailbox={"backend": "maildir"}, maildir=folders,
                       schedule={"poll_interval": interval})


def test_transient_failures_back_off_and_recover(tmp_path: Path, captured: io.StringIO) -> None:
    calls: list[str] = []
    recovered = threading.Event()

    def poll(_config: Config, now: datetime, lock: StateLock) -> Any:
        assert lock.held  # the service's own lock, passed in: no self-deadlock
        calls.append(now.isoformat())
        if len(calls) <= 2:
            raise MailboxError("Lost the connection to the IMAP server x:1 (5 attempts): reset.")
        recovered.set()
        return FakeResult(now, [])

    svc = Service(_config(tmp_path), env={}, poll=poll)
    assert _run_until(svc, recovered) == 0
    failed = _events(captured, "poll_failed")
    assert [e["failures"] for e in failed] == [1, 2]
    assert all(e["retry_in_seconds"] == 1 for e in failed)
    assert _events(captured, "poll_recovered")[0]["after_failures"] == 2
    assert len(calls) >= 3
    assert _events(captured, "service_stopped")


def test_a_stop_while_the_scheduler_fires_a_one_shot_job_still_ends_run_with_0(tmp_path: Path) -> None:
    """SIGTERM coming just as a retry, due or wake job is fired. The stop is made to come at
    exactly that point: the scheduler is shut down right after it hands the job over."""
    def poll(_config: Config, now: datetime, _lock: StateLock) -> Any:
        if _trigger() == "interval":
            svc.request_poll("reload", delay=0.0)  # a one-shot "wake" job, fired at once
        return FakeResult(now, [])

    svc = Service(_config(tmp_path, interval=60), env={}, poll=poll)
    executor = svc.sched._lookup_executor("default")
    submit = executor.submit_job

    def submit_then_stop(job: Any, run_times: Any) -> None:
        submit(job, run_times)
        if job.id == "wake":
            svc.sched.shutdown(wait=False)  # what Service.stop()'s shutdown thread does, now

    executor.submit_job = submit_then_stop
    assert svc.run() == 0


def test_a_bug_in_a_poll_is_logged_without_locals_and_survived(tmp_path: Path, captured: io.StringIO) -> None:
    calls = []
    retried = threading.Event()

    def poll(_config: Config, now: datetime, _lock: StateLock) -> Any:
        calls.append(now)
        if len(calls) == 2:
            retried.set()
        password = "hunter2-in-a-local"  # noqa: F841 - must not reach the log
        raise ZeroDivisionError("boom")

    svc = Service(_config(tmp_path), env={}, poll=poll)
    assert _run_until(svc, retried) == 0
    crashed = _events(captured, "poll_crashed")
    assert crashed and crashed[0]["error"] == "ZeroDivisionError"
    assert "ZeroDivisionError" in json.dumps(crashed[0]["exception"])
    assert "hunter2-in-a-local" not in captured.getvalue()
    assert len(calls) >= 2  # retried


def test_due_job_is_planned_from_the_decisions(tmp_path: Path, captured: io.StringIO) -> None:
    start = datetime(2026, 12, 1, 20, 59, 58, tzinfo=UTC)
    clock = SteppingClock(start)
    seen: list[tuple[datetime, str]] = []
    two = threading.Event()

    def poll(_config: Config, now: datetime, _lock: StateLock) -> Any:
        seen.append((now, _trigger()))
        if len(seen) == 2:
            two.set()
        # one due in 1.5 s, one later, one in the past (ignored)
        return FakeResult(now, [start + timedelta(seconds=3.5), start + timedelta(seconds=1.5),
                                start - timedelta(hours=1)])

    svc = Service(_config(tmp_path, interval=60), env={}, clock=clock, poll=poll)
    assert _run_until(svc, two) == 0
    triggers = [tr for _, tr in seen]
    assert triggers[:2] == ["interval", "due"], seen
    # the service waited for the earliest future due moment, and the due poll ran at it
    assert clock.waits[0] == start + timedelta(seconds=1.5)
    assert seen[1][0] == start + timedelta(seconds=1.5)
    planned = _events(captured, "next_due")
    assert planned[0]["at"] == (start + timedelta(seconds=1.5)).isoformat()


def test_sighup_and_missed_runs_ask_for_a_poll(tmp_path: Path, captured: io.StringIO) -> None:
    seen: list[str] = []
    reloaded = threading.Event()

    def poll(_config: Config, now: datetime, _lock: StateLock) -> Any:
        trigger = _trigger()
        with NEWS:
            seen.append(trigger)
            NEWS.notify_all()
        if trigger == "reload":
            reloaded.set()
        return FakeResult(now, [])

    svc = Service(_config(tmp_path, interval=60), env={}, poll=poll)

    def hang_up_after_the_first_poll() -> None:
        if wait_until(lambda: seen, 30):  # the handlers are installed before the first poll
            os.kill(os.getpid(), signal.SIGHUP)
            # CPython runs a handler in the main thread between bytecodes: a signal that comes
            # just before that thread sleeps in the scheduler's wait (60 s) waits with it
            svc.sched.wakeup()

    threading.Thread(target=hang_up_after_the_first_poll, daemon=True).start()
    assert _run_until(svc, reloaded) == 0
    assert seen == ["interval", "reload"]


def test_helpers(monkeypatch: pytest.MonkeyPatch) -> None:
    assert classify_failure(AuthError("The IMAP server h:1 refused the login of 'u' (x).")) == "auth"
    assert classify_failure(AuthError("No secret found for 'u'. Tried, in order: ...")) == "auth"
    assert classify_failure(MailboxError("Lost the connection")) == "mailbox"
    assert classify_failure(ConfigError("bad key")) == "error"
    assert classify_failure(RuntimeError()) == "bug"
    start = datetime(2026, 1, 1, tzinfo=UTC)
    ticks = iter([100.0, 100.5, 100.5, 101.0])  # the monotonic seconds the clock reads, in turn
    monkeypatch.setattr(service_module, "time", SimpleNamespace(monotonic=lambda: next(ticks)))
    clock = Clock(start, speed=60.0)
    assert clock.now() == start + timedelta(seconds=30)  # half a real second, sixty times as fast
    assert clock.real_seconds_until(start + timedelta(hours=1)) == 59.5
    assert clock.real_seconds_until(start - timedelta(hours=1)) == 0
    monkeypatch.undo()
    assert next_due(FakeResult(start, [])) is None
    env_clock = Clock.from_env({"FOLLOWUP_AGENT_FAKE_NOW": "2026-12-01T15:59:00-05:00",
                                "FOLLOWUP_AGENT_CLOCK_SPEED": "10"})
    assert env_clock.fake and env_clock.speed == 10
    assert not Clock.from_env({}).fake

    with pytest.raises(ConfigError, match="UTC offset"):
        Clock.from_env({"FOLLOWUP_AGENT_FAKE_NOW": "2026-12-01T15:59:00"})
    with pytest.raises(ConfigError, match="positive"):
        Clock.from_env({"FOLLOWUP_AGENT_FAKE_NOW": "2026-12-01T15:59:00Z", "FOLLOWUP_AGENT_CLOCK_SPEED": "0"})


# --- sd_notify ------------------------------------------------------------------------------


def test_sdnotify_paths_and_abstract_sockets(tmp_path: Path) -> None:
    from agent import sdnotify

    assert sdnotify.notify("READY=1", env={}) is False  # not under systemd: a no-op
    sock = NotifySocket(tmp_path / "n.sock")
    try:
        assert sdnotify.notify("READY=1", "STATUS=hi", env={"NOTIFY_SOCKET": str(sock.path)})
        wait_until(lambda: sock.messages, 5)
        assert sock.messages == ["READY=1\nSTATUS=hi"]
    finally:
        sock.close()
    name = f"followup-agent-test-{os.getpid()}"
    abstract = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    abstract.bind(b"\0" + name.encode())
    abstract.settimeout(5)
    try:
        assert sdnotify.notify("WATCHDOG=1", env={"NOTIFY_SOCKET": "@" + name})
        assert abstract.recv(100) == b"WATCHDOG=1"
    finally:
        abstract.close()
    assert sdnotify.notify("READY=1", env={"NOTIFY_SOCKET": str(tmp_path / "gone")}) is False
    assert sdnotify.watchdog_interval({"WATCHDOG_USEC": "2000000"}) == 1.0
    assert sdnotify.watchdog_interval({"WATCHDOG_USEC": "2000000", "WATCHDOG_PID": "1"}) is None
    assert sdnotify.watchdog_interval({"WATCHDOG_USEC": "2000000", "WATCHDOG_PID": str(os.getpid())}) == 1.0
    assert sdnotify.watchdog_interval({}) is None


def test_next_due_is_the_earliest_step_still_ahead() -> None:
    """The due job is planned for the earliest future step; a step already due waits for no job."""
    from agent.policy import Decision, NextStep
    from agent.poll_result import PollResult

    now = datetime(2026, 12, 1, 15, tzinfo=UTC)

    def decision(cid: str, hours: float | None) -> Decision:
        step = None if hours is None else NextStep("follow_up_1", now + timedelta(hours=hours), None, "r1")
        return Decision(cid, "s", None, "open", step, "why")

    decisions = [decision("past", -1), decision("none", None), decision("late", 30), decision("soon", 2),
                 decision("also-soon", 2)]
    found = next_due(PollResult(now, decisions, [], applied=True))
    assert found is not None
    dec, step = found
    assert (dec.conversation, step.due) == ("soon", now + timedelta(hours=2))  # the first of a tie
    assert next_due(PollResult(now, decisions[:2], [], applied=True)) is None
