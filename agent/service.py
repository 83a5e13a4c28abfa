"""``followup-agent run``: poll on a schedule until SIGTERM.

APScheduler 3.x runs one poll job every ``schedule.poll_interval`` with
``coalesce=True`` and ``max_instances=1``. ``misfire_grace_time`` is set to
the interval on purpose: the library's 1 s default silently drops a run whose
time passed while the machine slept. A failed poll is logged and retried at
the next run; it never stops the service. SIGTERM/SIGINT stop the scheduler
after the current poll, and the process exits 0.
"""

from __future__ import annotations

import signal
from datetime import UTC, datetime
from types import FrameType

from agent.config import Config
from agent.errors import AgentError
from agent.logs import get_logger


def run_service(config: Config) -> int:
    from apscheduler.schedulers.blocking import BlockingScheduler

    log = get_logger("followup-agent.service")
    sched = BlockingScheduler(timezone=UTC)
    interval = config.schedule.poll_interval.total_seconds()

    def job() -> None:
        from agent.cli import run_poll

        try:
            run_poll(config, datetime.now(UTC), dry_run=False)
        except AgentError as err:
            log.error("poll_failed", error=str(err))
        except Exception as exc:  # a bug or a network fault: log it and keep serving
            log.exception("poll_crashed", error=type(exc).__name__)

    sched.add_job(job, "interval", seconds=interval, next_run_time=datetime.now(UTC), coalesce=True,
                  max_instances=1, misfire_grace_time=int(interval), id="poll")

    def stop(signum: int, _frame: FrameType | None) -> None:
        log.info("stopping", signal=signal.Signals(signum).name)
        sched.shutdown(wait=False)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    log.info("service_started", interval_seconds=interval, backend=config.backend)
    sched.start()
    return 0
