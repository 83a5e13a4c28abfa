"""One poll, stage by stage: load, decide and plan (pure), apply.

The engine is the only place where the pure core (parse, thread, signals,
policy, planner, drafts) meets the two stateful edges (the mailbox and the
state store). :func:`poll` runs the stages in order and hands each the typed
result of the one before:

1. load (agent/syncing.py): the mailbox's changes into the store, the
   candidate conversations, their bodies. A poll near the last one's record
   (agent/quick_poll.py ``Near``) whose new mail reaches no candidate stops
   here and keeps the record's answer;
2. read (agent/reading.py): which candidates are the job search, and their
   facts;
3. decide (agent/reading.py, agent/policy.py): what is owed, and when;
4. plan (agent/planner.py, pure): the actions that bring the drafts and the
   ledger in line, given the drafts that exist (agent/existing_drafts.py),
   the ledger, the user's notes and the templates, loaded beforehand;
5. apply (agent/applying.py): the writes, bracketed by the ledger, and the
   "queued" label; then the status snapshot.

Stages 2 to 5 live in agent/deciding.py, imported only by a poll that reaches
them. The caller logs the plan; the engine applies it unless it is a dry run.

Writes are idempotent. A draft's Message-ID is derived from (conversation,
round, step); before creating one the engine looks for it among the drafts
that exist, and it records intent before writing and the outcome after. A
crash between any two steps, or a second poll, therefore never duplicates or
loses a draft.
"""

from __future__ import annotations

import contextlib
import gc
import time as _time
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from agent.backends.base import AliasSource, Mailbox
from agent.candidates import selection_key
from agent.config import Config
from agent.errors import MailboxError
from agent.poll_result import PollResult
from agent.quick_poll import Near, keep, reaches_no_candidate
from agent.store import ServerAliases, Store
from agent.syncing import select, sync, with_bodies

if TYPE_CHECKING:
    from agent.notify import Notifier


def poll(
    config: Config,
    mailbox: Mailbox,
    store: Store,
    now: datetime,
    *,
    dry_run: bool = False,
    notifiers: Sequence[Notifier] = (),
    near: Near | None = None,
) -> PollResult:
    """Run one cycle at ``now``. In a dry run nothing is written anywhere and nobody is notified.

    ``notifiers``: told of each draft this poll writes, once the state holds it
    (agent/notify.py); a failed notice is logged and never fails the poll.

    ``near``: the last poll's record, which stands but for mail that came or went
    (agent/quick_poll.py). When that mail reaches no candidate conversation the poll
    keeps the record's answer once it has read the changes, and goes no further.
    """
    config = with_server_aliases(config, mailbox, store, now, dry_run=dry_run)
    with _collector_paused(), contextlib.ExitStack() as cleanup:
        result = _poll(config, mailbox, store, now, dry_run=dry_run, cleanup=cleanup,
                       near=None if dry_run else near)
    result.steady_until = _steady_until(result.steady_until, mailbox, store, now)
    if result.applied and result.notices:
        from agent.notify import send_notices

        failures = send_notices(notifiers, result.notices)
        result.stats.update(notices=len(result.notices) if notifiers else 0, **(
            {"notice_errors": failures} if failures else {}))
    return result


#: how long the server's list of the user's aliases is trusted before it is asked again
ALIASES_FOR = timedelta(days=1)


def _steady_until(decided: datetime | None, mailbox: Mailbox, store: Store, now: datetime) -> datetime | None:
    """The decisions' earliest ``changes_at``, or sooner when the server's aliases of the user
    are due to be asked again (a new alias can make a message the user's)."""
    known = store.caches.server_aliases() if isinstance(mailbox, AliasSource) else None
    moments = [decided, known.asked_at + ALIASES_FOR if known is not None else None]
    return min((m for m in moments if m is not None and m > now), default=None)


def with_server_aliases(config: Config, mailbox: Mailbox, store: Store, now: datetime, *,
                        dry_run: bool = False) -> Config:
    """``config`` knowing the aliases the server reports for the user (Gmail's sendAs).

    Asked at most once a day (one quota unit) and remembered in the state; when
    the server cannot say (a network fault, a token without the scope) the last
    known list stands, since an alias never stops having been the user's.
    """
    if not isinstance(mailbox, AliasSource):
        return config
    known = store.caches.server_aliases()
    aliases = list(known.aliases) if known is not None else []
    if known is None or not now - ALIASES_FOR < known.asked_at <= now:
        try:
            aliases = list(mailbox.aliases())
        except MailboxError:
            return config.with_aliases(aliases)
        if not dry_run:
            store.caches.save_server_aliases(ServerAliases(now, tuple(aliases)))
    return config.with_aliases(aliases)


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector for one poll.

    A cold poll builds about a million small objects (20,000 parsed messages,
    their addresses, tuples, thread maps) that hold no reference cycles; the
    collector would walk all of them again on each of its passes (measured on
    20,000 messages: threading 0.80 s with it, 0.35 s without; parsing 1.19
    s, 0.74 s). Plain reference counting still frees everything as usual;
    the collector resumes when the poll ends (the service then finds any
    cycles on its next pass).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _poll(config: Config, mailbox: Mailbox, store: Store, now: datetime, *, dry_run: bool,
          cleanup: contextlib.ExitStack, near: Near | None) -> PollResult:
    lap = _Laps()
    stats: dict[str, Any] = {}
    before = store.caches.candidates(selection_key(config)) if near is not None else None
    synced = sync(mailbox, store, config, cleanup, stats, lap, now)
    candidates = select(synced, store, config, stats, lap)
    if near is not None and reaches_no_candidate(before, synced.changes, candidates):
        kept = keep(near, config, store, mailbox.name, synced.changes.cursor, now, stats)
        if kept is not None:
            kept.stats.update(seconds=lap.total(), phases=lap.phases)
            return kept
    candidates = with_bodies(candidates, mailbox, store, config, stats, lap, synced.prefetch)
    # imported here: a poll that kept the last answer never needs the readers, the policy or the planner
    from agent.deciding import decide_plan_apply

    return decide_plan_apply(config, mailbox, store, now, candidates, synced.changes.cursor, stats, lap,
                             dry_run=dry_run)


class _Laps:
    """Seconds per stage, for ``poll --json`` readers and bench/: ``lap(name)`` ends a phase."""

    def __init__(self) -> None:
        self.started = self._t0 = _time.perf_counter()
        self.phases: dict[str, float] = {}

    def __call__(self, name: str) -> None:
        t = _time.perf_counter()
        self.phases[name] = round(self.phases.get(name, 0.0) + t - self._t0, 4)
        self._t0 = t

    def total(self) -> float:
        return round(_time.perf_counter() - self.started, 3)


