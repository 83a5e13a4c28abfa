"""The poll's reading and deciding stages: which candidates are the job search, what happened in
each, and what is owed.

:func:`read` weighs each candidate (agent/signals/tracking.py), lets the
user's own mark overrule the verdict, and extracts the facts of the tracked
ones (agent/signals/events.py); both are remembered between polls
(agent/facts_cache.py), so only conversations whose mail changed are read
again. :func:`decide_all` hands each tracked conversation to the policy.
Both are pure over their inputs (the cache is an in-memory memo that the
engine loads before and saves after).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from agent.businesstime import BusinessCalendar
from agent.config import Config
from agent.facts import Fact
from agent.facts_cache import FactsCache
from agent.model import Conversation
from agent.policy import Controls, Decision, decide
from agent.records import ControlRow, LedgerRow
from agent.signals.verdict import Tracking
from agent.user_controls import controls_from

__all__ = ["Read", "Tracked", "decide_all", "read"]


@dataclass(frozen=True)
class Tracked:
    """One conversation of the job search, read: its verdict, its facts (the user's marks among
    them, in order) and the user's controls."""

    conversation: Conversation
    tracking: Tracking
    facts: tuple[Fact, ...]
    controls: Controls


@dataclass(frozen=True)
class Read:
    """Every candidate, read: the tracked ones, and the others with the verdict that left them out."""

    tracked: tuple[Tracked, ...]
    untracked: tuple[tuple[Conversation, Tracking], ...]
    verdicts: Mapping[str, Tracking]  # every candidate's, by conversation (for ``explain``)


def read(candidates: Sequence[Conversation], controls: Mapping[str, Sequence[ControlRow]], known: FactsCache,
         now: datetime, config: Config) -> Read:
    """Stage 4: each candidate weighed, and the facts of the tracked ones extracted (or remembered)."""
    tracked: list[Tracked] = []
    untracked: list[tuple[Conversation, Tracking]] = []
    verdicts: dict[str, Tracking] = {}
    for conv in candidates:
        ctl = controls_from(controls.get(conv.id, ()), conv, config)
        tracking = _verdict(conv, known.tracking(conv, functools.partial(_classify, conv, config)), ctl, config)
        verdicts[conv.id] = tracking
        if not tracking.tracked:
            untracked.append((conv, tracking))
            continue
        found = known.facts(conv, functools.partial(_extract_facts, conv, config))
        facts = sorted([*found, *ctl.marks], key=lambda f: (f.at or now, f.kind))
        tracked.append(Tracked(conv, tracking, tuple(facts), ctl))
    return Read(tuple(tracked), tuple(untracked), verdicts)


# The signal readers are imported on first use, not with this module: on a warm poll with nothing
# new every verdict and every fact comes from the cache, and importing the readers (every rule of
# agent/signals/*, the parsers of agent/mail/*) was most of such a poll's start-up (issue 15, item 3).


def _classify(conv: Conversation, config: Config) -> Tracking:
    """The rules' verdict on ``conv`` (agent/signals/tracking.py), for a conversation not yet weighed."""
    from agent.signals.tracking import classify

    return classify(conv, config)


def _extract_facts(conv: Conversation, config: Config) -> list[Fact]:
    """The facts of ``conv`` (agent/signals/events.py), for a conversation whose mail changed."""
    from agent.signals.events import extract_facts

    return extract_facts(conv, config)


def _verdict(conv: Conversation, tracking: Tracking, controls: Controls, config: Config) -> Tracking:
    """The rules' verdict, unless the user marked the conversation otherwise (or settled a
    "possible" one): the user always wins."""
    said = controls.recruiting
    if said is None or (said == tracking.tracked and not tracking.possible):
        return tracking
    from agent.signals.recruiting import guess_company  # only when the user overrules a verdict

    what = "a recruiting conversation" if said else "not a recruiting conversation"
    return Tracking(said, f"you marked it as {what}", tracking.company or guess_company(conv, config),
                    cues=tracking.cues)


def decide_all(read: Read, ledger: Mapping[str, Sequence[LedgerRow]], now: datetime, config: Config,
               calendar: BusinessCalendar) -> list[tuple[Conversation, Decision]]:
    """Stage 5: the policy's decision for each tracked conversation at ``now`` (a step the user
    deleted a draft of is never owed again in its round)."""
    out = []
    for t in read.tracked:
        skipped = {(r.round, r.step): r.updated_at for r in ledger.get(t.conversation.id, ())
                   if r.status == "user_deleted"}
        out.append((t.conversation, decide(t.conversation, t.tracking, list(t.facts), now, config, calendar,
                                           t.controls, skipped)))
    return out
