"""``followup-agent run``: the long-running service.

What makes a poll happen
    * **interval**: an APScheduler 3.x ``BlockingScheduler`` runs a poll every
      ``schedule.poll_interval`` (first one at start) with ``coalesce=True``
      (runs missed while the machine slept collapse into one) and
      ``max_instances=1``. Its ``misfire_grace_time`` is the interval: the
      library's 1 s default would silently drop a run that a busy or
      suspended machine started a little late; a run later than one interval
      is reported by the *missed* listener, which asks for a poll at once.
    * **due**: after every poll a one-shot job is planned at the earliest
      future ``next.due`` among the decisions, so a draft appears at its due
      moment, not up to an interval later. Its ``misfire_grace_time`` is
      ``None`` (run however late): a due moment that passed while the machine
      was suspended is still acted on at resume.
    * **new mail**: with the IMAP backend a watcher thread keeps its own
      connection in IDLE (``ImapMailbox.idle_wait``) and asks for a poll when
      the INBOX changes. It connects only after a poll has succeeded (so a
      wrong password is tried by one code path only) and backs off on its own
      when the server goes away.
    * **retry**: a failed poll schedules a one-shot retry with backoff (see
      below); ``SIGHUP`` (``systemctl reload``) clears the backoff and polls
      now.

    All of them run the same function under one mutex: polls never overlap.

Failures
    A failed poll never stops the service. Network and server failures are
    logged (``poll_failed``) and retried after ``min(30 s, interval)``,
    doubling up to the interval; the first success after a failure logs
    ``poll_recovered``. A refused login or a missing secret is reported once
    (``auth_failed``, with the fix) and then retried slowly — every 15
    minutes, doubling up to an hour — so a wrong password never locks the
    account by hammering; regular, due and new-mail polls are skipped while
    that backoff runs. A bug (any other exception) is logged with its
    traceback (never with local variables) and retried like a network failure.

The lock
    The service holds the state lock (:class:`~agent.store.StateLock`) from
    start to exit: a second ``run`` is refused at start, and so is ``poll
    --once`` while the service runs (``status``, ``explain`` and ``poll
    --dry-run`` still work: they only read). Its own polls pass the held lock
    to :func:`agent.app.run_poll`.

systemd
    ``Type=notify``: ``READY=1`` once the scheduler runs, ``STATUS=`` after
    each poll, ``WATCHDOG=1`` every ``WatchdogSec/2`` from a scheduler job
    (proof that the scheduler and its workers are alive) unless a poll has
    been running for longer than :data:`HANG_LIMIT` (then systemd's watchdog
    restarts the service), ``STOPPING=1`` on SIGTERM/SIGINT. Stopping lets
    the poll in progress finish (at most :data:`STOP_GRACE` seconds) and
    exits 0.

Testing aid: the clock
    ``FOLLOWUP_AGENT_FAKE_NOW=<ISO 8601 with offset>`` makes the service
    start at that moment, and ``FOLLOWUP_AGENT_CLOCK_SPEED=<factor>`` (default
    1) makes its time run that much faster than the real one. Only the
    ``now`` handed to the engine and the due-job arithmetic use it; the
    scheduler waits in real time. The tests use it to make a due moment come
    within seconds.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from types import FrameType
from typing import TYPE_CHECKING, Any

from agent import sdnotify
from agent.app import drafts_created, run_poll
from agent.config import Config
from agent.errors import AgentError, AuthError, ConfigError, MailboxError
from agent.logs import get_logger
from agent.store import StateLock

if TYPE_CHECKING:
    from agent.policy import Decision, NextStep
    from agent.poll_result import PollResult

#: seconds a running poll may take before the watchdog stops vouching for the service
HANG_LIMIT = 30 * 60.0
#: seconds SIGTERM waits for the poll in progress before exiting anyway (state is crash-safe)
STOP_GRACE = 20.0
#: first retry after a network/server failure (capped by the interval)
RETRY_BASE = 30.0
#: retries after a refused login: 15 min, 30 min, then hourly
AUTH_RETRY_BASE = 15 * 60.0
AUTH_RETRY_MAX = 60 * 60.0
#: a burst of new mail makes one poll, this long after the first message
WAKE_DEBOUNCE = 0.5
#: seconds the IDLE watcher waits per IDLE command (it is renewed in a loop)
IDLE_TIMEOUT = 5 * 60.0

FAKE_NOW_ENV = "FOLLOWUP_AGENT_FAKE_NOW"
CLOCK_SPEED_ENV = "FOLLOWUP_AGENT_CLOCK_SPEED"


class Clock:
    """The service's idea of now: the real time, or a test's time running at ``speed``."""

    def __init__(self, start: datetime | None = None, speed: float = 1.0) -> None:
        self.start = start
        self.speed = speed
        self._m0 = time.monotonic()

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Clock:
        raw = env.get(FAKE_NOW_ENV, "").strip()
        if not raw:
            return cls()
        try:
            start = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        except ValueError:
            raise ConfigError(f"{FAKE_NOW_ENV} = {raw!r} is not an ISO 8601 time.") from None
        if start.tzinfo is None:
            raise ConfigError(f"{FAKE_NOW_ENV} = {raw!r} needs a UTC offset.")
        speed_raw = env.get(CLOCK_SPEED_ENV, "1").strip() or "1"
        try:
            speed = float(speed_raw)
        except ValueError:
            speed = 0.0
        if not speed > 0:
            raise ConfigError(f"{CLOCK_SPEED_ENV} = {speed_raw!r} is not a positive number.")
        return cls(start, speed)

    @property
    def fake(self) -> bool:
        return self.start is not None

    def now(self) -> datetime:
        if self.start is None:
            return datetime.now(UTC)
        return self.start + timedelta(seconds=(time.monotonic() - self._m0) * self.speed)

    def real_seconds_until(self, moment: datetime) -> float:
        """Real seconds until this clock shows ``moment`` (0 when it has passed)."""
        return max(0.0, (moment - self.now()).total_seconds() / self.speed)


def classify_failure(err: BaseException) -> str:
    """``auth`` (a refused login, no secret), ``mailbox`` (network, server), ``error`` or ``bug``."""
    if isinstance(err, AuthError):
        return "auth"
    if isinstance(err, MailboxError):
        return "mailbox"
    if isinstance(err, AgentError):
        return "error"
    return "bug"


PollFn = Callable[[Config, datetime, StateLock], "PollResult"]


def _default_poll(config: Config, now: datetime, lock: StateLock) -> PollResult:
    return run_poll(config, now, dry_run=False, lock=lock)


class Service:
    """The scheduler, its jobs and the IDLE watcher (see the module docstring)."""

    def __init__(
        self,
        config: Config,
        *,
        clock: Clock | None = None,
        env: Mapping[str, str] | None = None,
        poll: PollFn = _default_poll,
    ) -> None:
        from apscheduler.executors.pool import ThreadPoolExecutor
        from apscheduler.schedulers.blocking import BlockingScheduler

        self.config = config
        self.env = os.environ if env is None else env
        self.clock = clock or Clock.from_env(self.env)
        self.interval = max(1.0, config.schedule.poll_interval.total_seconds())
        self.log = get_logger("followup-agent.service")
        self.lock = StateLock(config.state.path)
        self._poll = poll
        self._poll_mutex = threading.Lock()
        self._stopping = threading.Event()
        self._healthy = threading.Event()  # a poll succeeded since the last auth failure
        self._poll_started: float | None = None
        self._failures = 0
        self._auth_failing = False
        self._not_before = 0.0  # monotonic: no regular poll before this (backoff)
        self._watcher: threading.Thread | None = None
        self._watchdog = sdnotify.watchdog_interval(self.env)
        self.sched = BlockingScheduler(
            timezone=UTC, executors={"default": ThreadPoolExecutor(max_workers=4)}
        )

    # --- lifecycle --------------------------------------------------------------------

    def run(self) -> int:
        from apscheduler.events import (
            EVENT_JOB_ERROR,
            EVENT_JOB_MAX_INSTANCES,
            EVENT_JOB_MISSED,
            EVENT_SCHEDULER_STARTED,
        )

        self.lock.acquire()  # StateLockedError: another service or poll runs (exit status 4)
        try:
            self.sched.add_job(
                self._job, "interval", args=["interval"], id="poll", name="poll",
                seconds=self.interval, next_run_time=datetime.now(UTC), coalesce=True,
                max_instances=1, misfire_grace_time=max(1, int(self.interval)),
            )
            if self._watchdog is not None:
                self.sched.add_job(
                    self._watchdog_ping, "interval", id="watchdog", name="watchdog",
                    seconds=self._watchdog, next_run_time=datetime.now(UTC), coalesce=True,
                    max_instances=1, misfire_grace_time=None,
                )
            self.sched.add_listener(self._on_started, EVENT_SCHEDULER_STARTED)
            self.sched.add_listener(self._on_missed, EVENT_JOB_MISSED)
            self.sched.add_listener(self._on_error, EVENT_JOB_ERROR)
            self.sched.add_listener(self._on_busy, EVENT_JOB_MAX_INSTANCES)
            previous = {
                sig: signal.signal(sig, self._on_signal)
                for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
            }
            try:
                self.log.info(
                    "service_started", pid=os.getpid(), backend=self.config.backend,
                    interval_seconds=self.interval, state=str(self.config.state.path),
                    watchdog_seconds=self._watchdog,
                    fake_clock=self.clock.now().isoformat() if self.clock.fake else None,
                    clock_speed=self.clock.speed if self.clock.fake else None,
                )
                if self.config.backend == "imap":
                    self._watcher = threading.Thread(
                        target=self._watch_idle, name="imap-idle", daemon=True
                    )
                    self._watcher.start()
                self._start_scheduler()  # blocks until shutdown
            finally:
                for sig, handler in previous.items():
                    signal.signal(sig, handler)
            return self._finish()
        finally:
            self.lock.release()

    def _start_scheduler(self) -> None:
        """Run the scheduler until it is shut down.

        APScheduler 3 marks itself stopped before it takes its job-store lock: a stop
        requested from the signal thread just as a pass fires a one-shot job (retry, due,
        wake) leaves that pass removing a job that is gone, and it raises JobLookupError out
        of ``start()``. Once the scheduler is stopped, that is the stop, not a failure.
        """
        from apscheduler.jobstores.base import JobLookupError
        from apscheduler.schedulers.base import STATE_STOPPED

        try:
            self.sched.start()
        except JobLookupError:
            if self.sched.state != STATE_STOPPED:
                raise
            self.log.debug("stopped_while_a_job_fired")

    def _finish(self) -> int:
        self._stopping.set()
        if not self._poll_mutex.acquire(timeout=STOP_GRACE):
            self.log.warning("stopped_during_poll", waited_seconds=STOP_GRACE,
                             note="the next start repairs anything half done")
            self.lock.release()
            os._exit(0)  # the worker thread is not a daemon; the state is crash-safe
        self._poll_mutex.release()
        if self._watcher is not None:
            self._watcher.join(timeout=1.0)  # a daemon: an IDLE in progress dies with us
        self.log.info("service_stopped")
        return 0

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        if signum == signal.SIGHUP:
            self.log.info("reload_requested", signal=name)
            # the backoff ends now (a fixed password is tried at once and a refusal reported
            # again); the failure count stays, so a success still logs poll_recovered
            self._auth_failing, self._not_before = False, 0.0
            self.request_poll("reload", delay=0.0)
            return
        if self._stopping.is_set():
            return
        self._stopping.set()
        sdnotify.notify("STOPPING=1", "STATUS=Stopping", env=self.env)
        self.log.info("stopping", signal=name)
        # shutting the scheduler down takes its locks: not from inside a signal handler
        threading.Thread(target=self._shutdown, name="shutdown", daemon=True).start()

    def _shutdown(self) -> None:
        from apscheduler.schedulers import SchedulerNotRunningError

        with contextlib.suppress(SchedulerNotRunningError):
            self.sched.shutdown(wait=False)

    def stop(self) -> None:
        """Stop as SIGTERM would (for embedding and tests)."""
        self._on_signal(signal.SIGTERM, None)

    # --- listeners --------------------------------------------------------------------

    def _on_started(self, _event: Any) -> None:
        sdnotify.notify(
            "READY=1", f"STATUS=Polling every {_human(self.interval)}", f"MAINPID={os.getpid()}",
            env=self.env,
        )

    def _on_missed(self, event: Any) -> None:
        self.log.warning("job_missed", job=event.job_id,
                         scheduled=event.scheduled_run_time.isoformat())
        if event.job_id != "watchdog":
            self.request_poll("missed")

    def _on_error(self, event: Any) -> None:  # _job catches everything; this is a last resort
        self.log.error("job_crashed", job=event.job_id, error=repr(event.exception))

    def _on_busy(self, event: Any) -> None:
        self.log.debug("job_still_running", job=event.job_id)

    # --- polls ------------------------------------------------------------------------

    def request_poll(self, trigger: str, delay: float = WAKE_DEBOUNCE) -> None:
        """Ask for one poll ``delay`` seconds from now (repeated requests collapse)."""
        if self._stopping.is_set():
            return
        from apscheduler.schedulers import SchedulerNotRunningError

        with contextlib.suppress(SchedulerNotRunningError):
            self.sched.add_job(
                self._job, "date", args=[trigger], id="wake", name="wake",
                run_date=datetime.now(UTC) + timedelta(seconds=delay),
                replace_existing=True, misfire_grace_time=None, coalesce=True,
            )

    def _job(self, trigger: str) -> None:
        if self._stopping.is_set():
            return
        wait = self._not_before - time.monotonic()
        if wait > 0 and trigger not in ("retry", "reload"):
            self.log.debug("poll_skipped", trigger=trigger, reason="backing off",
                           retry_in_seconds=round(wait, 1))
            return
        with self._poll_mutex:
            if self._stopping.is_set():
                return
            import structlog

            now = self.clock.now()
            self._poll_started = time.monotonic()
            try:
                with structlog.contextvars.bound_contextvars(trigger=trigger, now=now.isoformat()):
                    result = self._poll(self.config, now, self.lock)
            except Exception as err:
                self._failed(err, trigger)
                return
            finally:
                self._poll_started = None
            self._succeeded(result, trigger)

    def _succeeded(self, result: PollResult, trigger: str) -> None:
        if self._failures:
            self.log.info("poll_recovered", trigger=trigger, after_failures=self._failures)
        self._failures, self._auth_failing, self._not_before = 0, False, 0.0
        self._healthy.set()
        self._remove("retry")
        due = next_due(result)
        status = (f"Last poll {_short(result.now)}: {len(result.decisions)} conversations, "
                  f"{drafts_created(result)} drafts created")
        if due is None:
            self._remove("due")
            self.log.info("next_due", at=None)
        else:
            decision, step = due
            moment = step.due
            delay = self.clock.real_seconds_until(moment)
            self.sched.add_job(
                self._job, "date", args=["due"], id="due", name="due",
                run_date=datetime.now(UTC) + timedelta(seconds=delay),
                replace_existing=True, misfire_grace_time=None, coalesce=True,
            )
            self.log.info("next_due", at=moment.isoformat(), conversation=decision.conversation,
                          step=step.kind, in_seconds=round(delay, 1))
            status += f"; next draft due {_short(moment)}"
        sdnotify.notify(f"STATUS={status}", env=self.env)

    def _failed(self, err: Exception, trigger: str) -> None:
        self._failures += 1
        kind = classify_failure(err)
        n = self._failures
        if kind == "auth":
            self._healthy.clear()
            delay = min(AUTH_RETRY_MAX, max(self.interval, AUTH_RETRY_BASE * 2 ** (n - 1)))
            if not self._auth_failing:
                self._auth_failing = True
                self.log.error(
                    "auth_failed", error=str(err), retry_in_seconds=delay,
                    fix="Store the right password with `followup-agent auth imap` (or fix "
                        "imap.password_command / the systemd credential), then "
                        "`systemctl --user reload followup-agent` to retry at once.",
                )
            else:
                self.log.info("auth_still_failing", failures=n, retry_in_seconds=delay)
        else:
            base = min(RETRY_BASE, self.interval)
            delay = min(max(self.interval, base), base * 2 ** (n - 1))
            if kind == "bug":
                self.log.error("poll_crashed", trigger=trigger, error=type(err).__name__,
                               failures=n, retry_in_seconds=delay, exc_info=err)
            else:
                self.log.warning("poll_failed", trigger=trigger, kind=kind, error=str(err),
                                 failures=n, retry_in_seconds=delay)
        self._not_before = time.monotonic() + delay
        if not self._stopping.is_set():
            self.sched.add_job(
                self._job, "date", args=["retry"], id="retry", name="retry",
                run_date=datetime.now(UTC) + timedelta(seconds=delay),
                replace_existing=True, misfire_grace_time=None, coalesce=True,
            )
        what = "login refused" if kind == "auth" else "poll failed"
        sdnotify.notify(f"STATUS={what} ({n}x); retrying in {_human(delay)}", env=self.env)

    def _remove(self, job_id: str) -> None:
        from apscheduler.jobstores.base import JobLookupError

        with contextlib.suppress(JobLookupError):
            self.sched.remove_job(job_id)

    def _watchdog_ping(self) -> None:
        started = self._poll_started
        if started is not None and time.monotonic() - started > HANG_LIMIT:
            self.log.error("poll_hung", running_seconds=round(time.monotonic() - started),
                           note="not pinging the watchdog: systemd will restart the service")
            return
        sdnotify.notify("WATCHDOG=1", env=self.env)

    # --- IMAP IDLE --------------------------------------------------------------------

    def _watch_idle(self) -> None:
        """Keep a connection in IDLE on INBOX; new mail asks for a poll (module docstring)."""
        from agent.backends.imap import ImapMailbox

        log = self.log.bind(component="idle")
        failures = 0
        mailbox: ImapMailbox | None = None
        try:
            while not self._stopping.is_set():
                if not self._healthy.wait(timeout=1.0):
                    continue  # no successful poll yet, or the login is being refused
                try:
                    if mailbox is None:
                        mailbox = ImapMailbox.from_config(self.config)
                    _ = mailbox.capabilities  # (re)connect, with the backend's own retries
                except Exception as err:  # MailboxError or a bug: never kill the thread
                    failures += 1
                    delay = min(300.0, 2.0 ** (failures - 1))
                    if classify_failure(err) == "auth":
                        delay = AUTH_RETRY_BASE
                    log.info("idle_unavailable", error=str(err), retry_in_seconds=delay)
                    if mailbox is not None:
                        mailbox.close()
                        mailbox = None
                    self._stopping.wait(delay)
                    continue
                if failures:
                    log.info("idle_reconnected")
                    failures = 0
                    self.request_poll("reconnected")  # mail may have come while we were away
                t0 = time.monotonic()
                woke = mailbox.idle_wait(min(IDLE_TIMEOUT, max(self.interval, 30.0)))
                if woke and not self._stopping.is_set():
                    log.debug("idle_woke")
                    self.request_poll("new_mail")
                    if time.monotonic() - t0 < 1.0:
                        self._stopping.wait(1.0)  # a flapping connection must not spin
        finally:
            if mailbox is not None:
                mailbox.close()


def next_due(result: PollResult) -> tuple[Decision, NextStep] | None:
    """The decision whose ``next.due`` is the earliest after the poll's ``now``, with that step, or None."""
    best: tuple[Decision, NextStep] | None = None
    for d in result.decisions:
        if d.next is None or d.next.due <= result.now:
            continue
        if best is None or d.next.due < best[1].due:
            best = (d, d.next)
    return best


def _human(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:g} s"
    if seconds < 7200:
        return f"{seconds / 60:g} min"
    return f"{seconds / 3600:g} h"


def _short(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def run_service(config: Config, env: Mapping[str, str] | None = None) -> int:
    """The ``run`` command: serve until SIGTERM/SIGINT; 0 on a requested stop."""
    return Service(config, env=env).run()
