"""One poll, stage by stage: load, decide and plan (pure), apply.

The engine is the only place where the pure core (parse, thread, signals,
policy, planner, drafts) meets the two stateful edges (the mailbox and the
state store). :func:`poll` runs the stages in order and hands each the typed
result of the one before:

1. load (agent/syncing.py): the mailbox's changes into the store, the
   candidate conversations, their bodies;
2. read (agent/reading.py): which candidates are the job search, and their
   facts;
3. decide (agent/reading.py, agent/policy.py): what is owed, and when;
4. plan (agent/planner.py, pure): the actions that bring the drafts and the
   ledger in line, given the drafts that exist (agent/existing_drafts.py),
   the ledger, the user's notes and the templates, loaded beforehand;
5. apply (agent/applying.py): the writes, bracketed by the ledger, and the
   "queued" label; then the status snapshot.

The caller logs the plan; the engine applies it unless it is a dry run.

Writes are idempotent. A draft's Message-ID is derived from (conversation,
round, step); before creating one the engine looks for it among the drafts
that exist, and it records intent before writing and the outcome after. A
crash between any two steps, or a second poll, therefore never duplicates or
loses a draft.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import time as _time
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from string import Template
from typing import Any

from agent import facts_cache
from agent.actions import Create
from agent.applying import apply_labels, apply_plan, plan_labels, waiting_drafts
from agent.backends.base import AliasSource, Labeller, Mailbox
from agent.config import Config
from agent.errors import AgentError, MailboxError
from agent.existing_drafts import describe_drafts
from agent.holiday_cache import HolidayCache
from agent.model import Conversation
from agent.notify import Notifier, notices_for, send_notices
from agent.pipeline import record_of
from agent.planner import Drafts, make_plan
from agent.policy import Decision
from agent.poll_result import PollResult
from agent.reading import decide_all, read
from agent.records import ControlRow, LedgerRow
from agent.status_json import possible_object, status_object
from agent.store import ServerAliases, Store
from agent.syncing import select, sync, with_bodies


def poll(
    config: Config,
    mailbox: Mailbox,
    store: Store,
    now: datetime,
    *,
    dry_run: bool = False,
    notifiers: Sequence[Notifier] = (),
) -> PollResult:
    """Run one cycle at ``now``. In a dry run nothing is written anywhere and nobody is notified.

    ``notifiers``: told of each draft this poll writes, once the state holds it
    (agent/notify.py); a failed notice is logged and never fails the poll.
    """
    config = with_server_aliases(config, mailbox, store, now, dry_run=dry_run)
    with _collector_paused(), contextlib.ExitStack() as cleanup:
        result = _poll(config, mailbox, store, now, dry_run=dry_run, cleanup=cleanup)
    result.steady_until = _steady_until(result.steady_until, mailbox, store, now)
    if result.applied and result.notices:
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
          cleanup: contextlib.ExitStack) -> PollResult:
    lap = _Laps()
    stats: dict[str, Any] = {}
    synced = sync(mailbox, store, config, cleanup, stats, lap, now)
    candidates = select(synced, store, config, stats, lap)
    candidates = with_bodies(candidates, mailbox, store, config, stats, lap, synced.prefetch)

    known_facts = facts_cache.load(store, config)
    controls = _by_conversation(store.get_controls())
    seen = read(candidates, controls, known_facts, now, config)
    ledger = {t.conversation.id: store.ledger_for(t.conversation.id) for t in seen.tracked}
    holidays = HolidayCache()  # this year's holidays without importing the package (agent/holiday_cache.py)
    calendar = holidays.calendar(config)
    decisions = decide_all(seen, ledger, now, config, calendar)
    holidays.keep(calendar, config)
    lap("decide")

    drafts = Drafts.of(describe_drafts(mailbox, store))
    notes = {cid: ctl.note for t in seen.tracked if (ctl := t.controls).note for cid in [t.conversation.id]}
    plan = make_plan(decisions, drafts, ledger, notes, _Templates(config), now, config)
    stats["plan"] = len(plan)
    lap("plan")

    written = [(a, "") for a in plan if isinstance(a, Create)]
    if not dry_run:
        written = apply_plan(plan, mailbox, store, now)
    history = {conv.id: store.ledger_for(conv.id) for conv, _ in decisions}
    if not dry_run:
        _label(decisions, history, mailbox, store, config, stats)
    status = [status_object(d, config, history[d.conversation], plan, store.get_controls(d.conversation))
              for _, d in decisions]
    possible = [possible_object(conv, t, config) for conv, t in seen.untracked if t.possible]
    if not dry_run:
        with store.transaction():  # one commit (one disk sync) for the poll's closing records
            facts_cache.save(store, known_facts)
            store.set_cursor(mailbox.name, synced.changes.cursor)
            store.save_snapshot(status, possible, at=now)
            store.save_pipeline([record_of(conv, d, config) for conv, d in decisions])
    lap("apply")
    stats.update(seconds=lap.total(), phases=lap.phases)
    return PollResult(now, [d for _, d in decisions], plan, not dry_run, stats, list(seen.untracked),
                      {c.id: c for c in candidates}, status, history, config, possible, dict(seen.verdicts),
                      notices_for(written, [d for _, d in decisions]),
                      min((d.changes_at for _, d in decisions if d.changes_at is not None), default=None))


class _Templates(Mapping[str, Template]):
    """The drafts' templates (agent.drafts.load_templates), read when the first draft is composed.

    Why not read up front: a poll that writes no draft (most polls) would read every template
    file and import agent.drafts with the languages and signal readers it needs, for nothing.
    """

    def __init__(self, config: Config) -> None:
        self._config = config

    @functools.cached_property
    def _loaded(self) -> Mapping[str, Template]:
        from agent.drafts import load_templates

        return load_templates(self._config)

    def __getitem__(self, key: str) -> Template:
        return self._loaded[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._loaded)

    def __len__(self) -> int:
        return len(self._loaded)


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


def _by_conversation(rows: Sequence[ControlRow]) -> Mapping[str, list[ControlRow]]:
    out: dict[str, list[ControlRow]] = {}
    for r in rows:
        out.setdefault(r.conversation, []).append(r)
    return out


def _label(decisions: Sequence[tuple[Conversation, Decision]], history: Mapping[str, Sequence[LedgerRow]],
           mailbox: Mailbox, store: Store, config: Config, stats: dict[str, Any]) -> None:
    """Keep the "queued" label on exactly the conversations that have a draft of ours waiting."""
    if not config.write_labels or not isinstance(mailbox, Labeller):
        return
    waiting = waiting_drafts([(conv.id, frozenset(m.id for m in conv.messages)) for conv, _ in decisions], history)
    try:
        apply_labels(plan_labels(waiting, store.caches.labelled(), config.labels.queued), mailbox, store)
    except AgentError as err:  # a label is a courtesy: the drafts and the state still count
        stats["label_error"] = str(err)
