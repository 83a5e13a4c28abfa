"""A conversation's tracking verdict (is it the user's job search?), apart from the rules that reach it.

Why a module of its own: the policy, the facts cache and the status read a
verdict on every poll, but only a conversation whose mail changed is weighed
again by the rules (agent/signals/tracking.py, which loads every signal
reader). Holding the type here lets a warm poll with nothing new decide every
conversation without importing those readers (issue 15, item 3).
"""

from __future__ import annotations

from dataclasses import dataclass

from agent.signals.cues import Cue

#: settling a possible conversation
SETTLE = ("followup-agent mark {thread} recruiting", "followup-agent mark {thread} not-recruiting")


@dataclass(frozen=True)
class Tracking:
    """The verdict with its reason, for ``status`` and ``explain``."""

    tracked: bool
    reason: str
    company: str | None = None
    message_id: str | None = None  # the message that decided it
    #: unsure: no draft, listed by ``status --possible`` with the command that settles it
    possible: bool = False
    #: the look-alike category that weighed in ("podcast", "interviewer", …), if any
    looks_like: str | None = None
    cues: tuple[Cue, ...] = ()
