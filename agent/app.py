"""The use cases the command line, the service, the steering commands and the demo share.

Each one opens what it needs (the state lock, the store, the mailbox), hands
them to the engine, closes them, and logs what happened; the callers only
parse, schedule and print. Nothing here reads the clock: ``now`` is passed in.

The engine is imported when a poll runs, not when this module is: it brings
the whole pipeline (0.3 s), and ``status --cached``, ``auth`` and ``doctor``
never poll.
"""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agent.backends.open import HeadStart, open_mailbox
from agent.config import Config
from agent.errors import AgentError, StateLockedError
from agent.logs import get_logger
from agent.poll_result import PollResult
from agent.store import StateLock, Store

if TYPE_CHECKING:
    from agent.backends.base import Mailbox
    from agent.calendar_export import Export
    from agent.model import Conversation
    from agent.pipeline import Row
    from agent.quick_poll import Near


def run_poll(config: Config, now: datetime, *, dry_run: bool, lock: StateLock | None = None,
             notify: bool = True, quick: bool = False, leave_record: bool | None = None,
             ahead: HeadStart | None = None) -> PollResult:
    """Lock, open state and mailbox, poll once, log the plan.

    ``lock``: a :class:`~agent.store.StateLock` the caller already holds (the
    service holds it for its lifetime; taking a second one in the same process
    would be refused by ``flock``). Without it a real poll takes the lock and
    is refused while another process holds it. A dry run writes nothing and
    reads the database through SQLite's consistent backup, so when the
    service holds the lock it goes on without it: ``status`` and ``explain``
    keep working while the service runs.

    ``notify``: tell the user of each draft written, by the channels of
    ``[notify]`` (agent/notify.py); a dry run never does.

    ``quick``: when nothing can have changed since the last poll, answer with its
    status without running the engine (agent/quick_poll.py; never in a dry run).
    ``leave_record`` (default: ``quick``): after a whole poll, leave the record
    that lets the next one be quick (``poll --full`` leaves it, without asking for
    a quick answer). The service asks for neither: it needs its decisions to
    schedule the next due step, and the state lock keeps other polls out while
    it runs.

    ``ahead``: the mailbox already opened, with its fingerprint taken, by a
    :class:`~agent.backends.open.HeadStart` (a poll that is not a dry run); the
    command line's poll starts one before it loads this module.
    """
    from agent.quick_poll import Near, answer, fingerprint_of, remember

    warmed = None
    if ahead is not None:
        lock = ahead.lock if lock is None else lock
        warmed = _meanwhile(ahead, config)
    with _state_lock(config, dry_run=dry_run, held=lock), \
            Store.open(config.state.path, readonly_dry_run=dry_run) as store, \
            open_mailbox(config, ahead) as mailbox:
        leave = quick if leave_record is None else leave_record
        fingerprint = None
        if (quick or leave) and not dry_run:
            fingerprint = ahead.fingerprint if ahead is not None else fingerprint_of(mailbox)
        quick_answer = answer(config, now, store, fingerprint) if quick and fingerprint is not None else None
        if isinstance(quick_answer, PollResult):
            result = quick_answer
        else:
            result = _full_poll(config, now, store, mailbox, dry_run=dry_run, notify=notify,
                                near=quick_answer if isinstance(quick_answer, Near) else None)
            if leave and not dry_run:
                remember(config, store, result, fingerprint)
        if not dry_run:
            refresh_calendar(config, now, store)
    if warmed is not None:
        result.stats["warm_steps_at_login"] = warmed
    _log_poll(result, dry_run=dry_run)
    return result


def _meanwhile(ahead: HeadStart, config: Config) -> int:
    """While the head start logs in and takes the fingerprint, load what a poll after new mail
    needs next (agent/warm_readers.py): the steps taken (``warm_steps_at_login`` in the stats).
    0 when the server answered first, as it does when nothing changed; the steps taken
    otherwise were taken in a wait, so a poll with nothing new loses nothing by them."""
    from agent.warm_readers import warm_sync

    return ahead.wait(lambda done: warm_sync(done, config))


def _full_poll(config: Config, now: datetime, store: Store, mailbox: Mailbox, *, dry_run: bool,
               notify: bool, near: Near | None) -> PollResult:
    from agent import engine
    from agent.notify import notifiers_from_config

    return engine.poll(config, mailbox, store, now, dry_run=dry_run, near=near,
                       notifiers=notifiers_from_config(config.notify) if notify else ())


def _state_lock(config: Config, *, dry_run: bool, held: StateLock | None) -> AbstractContextManager[Any]:
    """The lock a poll runs under: the caller's, a new one, or none for a dry run that waits for nobody."""
    if held is not None and held.held:
        return nullcontext(held)
    lock = StateLock(config.state.path, create=not dry_run)
    if not dry_run:
        return lock  # taken on entry; refused (StateLockedError) while another process holds it
    try:
        lock.acquire()
    except StateLockedError:
        get_logger().debug("state_locked_reading_anyway", lock=str(lock.path))
        return nullcontext(None)
    return lock


def _log_poll(result: PollResult, *, dry_run: bool) -> None:
    """One ``plan`` line per action, then the ``poll`` summary (the service's journal reads these)."""
    log = get_logger()
    for a in result.plan:
        log.info("plan", action=a.kind, conversation=a.conversation, step=a.step, to=a.to,
                 reason=a.reason, dry_run=dry_run)
    log.info("poll", dry_run=dry_run, tracked=len(result.status), drafts_created=drafts_created(result),
             drafts_withdrawn=sum(a.kind == "withdraw" for a in result.plan), **result.stats)
    if "label_error" in result.stats:
        log.warning("labels_not_updated", error=result.stats["label_error"])


def drafts_created(result: PollResult) -> int:
    """How many drafts the poll's plan creates (written, unless it was a dry run). By the
    actions' kind: agent.actions is not imported for a plan that is empty, as most are."""
    return sum(a.kind == "create" for a in result.plan)


def all_conversations(config: Config, now: datetime) -> dict[str, Conversation]:
    """Every conversation in the mailbox by id, not only the candidates a poll reads.

    For ``mark … recruiting``: a conversation the agent passed over is the one
    most worth marking. A dry run on a private copy of the state brings its
    message cache up to date; then every cached message is threaded once
    (slower than a poll, and only here). Nothing is written.
    """
    from agent import engine
    from agent.candidates import thread_messages

    with Store.open(config.state.path, readonly_dry_run=True) as store, open_mailbox(config) as mailbox:
        engine.poll(config, mailbox, store, now, dry_run=True)
        return {c.id: c for c in thread_messages(store.get_messages(), config)}


@dataclass(frozen=True)
class CachedStatus:
    """The last completed poll's view, as ``status --json`` and ``status --possible --json`` print it."""

    tracked: list[dict[str, Any]]
    possible: list[dict[str, Any]]


def cached_status(config: Config) -> CachedStatus:
    """What the last poll saw, read from the state without connecting to the mailbox."""
    if not config.state.path.exists():
        raise AgentError(f"No state at {config.state.path} yet: run `followup-agent poll --once` first.")
    with Store.open(config.state.path, readonly_dry_run=True) as store:
        snap = store.load_snapshot()
    if snap is None:
        raise AgentError("No poll has completed yet: run `followup-agent poll --once` first.")
    return CachedStatus(tracked=list(snap.tracked), possible=list(snap.possible))


def pipeline_rows(config: Config, now: datetime, since: date | None = None) -> list[Row]:
    """``pipeline`` and ``report``'s rows: the records the last poll kept, read without connecting
    to the mailbox (so alike on every backend)."""
    from agent.pipeline import rows

    if not config.state.path.exists():
        raise AgentError(f"No state at {config.state.path} yet: run `followup-agent poll --once` first.")
    with Store.open(config.state.path, readonly_dry_run=True) as store:
        records = store.load_pipeline()
    return rows(records, now, config, since)


def export_calendar(config: Config, path: Path, now: datetime) -> Export:
    """``calendar --ics FILE``: the interview calendar from the records the last poll kept, read
    without connecting to the mailbox or taking the state lock (it runs beside the service)."""
    from agent.calendar_export import export

    if not config.state.path.exists():
        raise AgentError(f"No state at {config.state.path} yet: run `followup-agent poll --once` first.")
    with Store.open(config.state.path, readonly_dry_run=True) as store:
        records = store.load_pipeline()
    return export(records, path, now, config)


def refresh_calendar(config: Config, now: datetime, store: Store) -> Export | None:
    """After a poll, rewrite ``[calendar] ics_path`` when anything in it changed (``poll`` and the
    service alike). A failed write is logged and never fails the poll: the drafts matter more."""
    path = config.calendar.ics_path
    if path is None:
        return None  # before the import: a poll without a calendar never loads icalendar
    from agent.calendar_export import export

    try:
        done = export(store.load_pipeline(), path, now, config)
    except (OSError, ValueError) as err:
        get_logger().warning("calendar_not_written", path=str(path), error=f"{type(err).__name__}: {err}")
        return None
    if done.written:
        get_logger().info("calendar_written", path=str(path), interviews=done.interviews,
                          follow_ups=done.follow_ups, cancelled=done.cancelled)
    return done
