"""The poll's later stages, once the candidates are known: read, decide, plan, apply.

Kept apart from agent/engine.py, and imported only when a poll reaches them:
they bring the readers, the policy, the planner and the holiday tables, which a
poll whose new mail reaches no candidate conversation never needs
(agent/quick_poll.py ``Near``).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from string import Template
from typing import Any, Protocol

from agent import facts_cache
from agent.actions import Create
from agent.applying import apply_labels, apply_plan, plan_labels, waiting_drafts
from agent.backends.base import Labeller, Mailbox
from agent.config import Config
from agent.errors import AgentError
from agent.existing_drafts import describe_drafts
from agent.holiday_cache import HolidayCache
from agent.model import Conversation
from agent.notify import notices_for
from agent.pipeline import record_of
from agent.planner import Drafts, make_plan
from agent.policy import Decision
from agent.poll_result import PollResult
from agent.reading import decide_all, read
from agent.records import ControlRow, LedgerRow
from agent.status_json import possible_object, status_object
from agent.store import Store

__all__ = ["Laps", "decide_plan_apply"]


class Laps(Protocol):
    """The engine's stage clock (agent/engine.py ``_Laps``): ``lap(name)`` ends a phase."""

    phases: dict[str, float]

    def __call__(self, name: str) -> None: ...

    def total(self) -> float: ...


def decide_plan_apply(config: Config, mailbox: Mailbox, store: Store, now: datetime, candidates: list[Conversation],
                      cursor: str | None, stats: dict[str, Any], lap: Laps, *, dry_run: bool) -> PollResult:
    """Stages 2 to 5 of a poll (agent/engine.py) over ``candidates``; the mailbox's new
    ``cursor`` is kept with the poll's closing records."""
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
            store.set_cursor(mailbox.name, cursor)
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
