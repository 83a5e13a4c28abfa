"""One interview round's accounting: which steps the user's own messages used up, in order.

POLICY ("the user wrote"): a message from the user counts as the thank-you or
follow-up owed at that moment -- whether or not the agent drafted it, also
when it was written after the step fell due, also after a company reply that
restated the timeline -- and the next step is then the following one, never
the same one twice. A company answer changes what is owed instead of using
anything up.

:func:`account` reads the round's facts in date order as a small state
machine. Its phases:

``THANK_YOU_OWED``
    after the interview, before anyone wrote: the user's first message is the
    thank-you. (When the company wrote first, the thank-you is no longer owed;
    the user's answer to them stands in for it.)
``SILENCE``
    the user wrote last; each further message of theirs is the next follow-up.
``ANSWERED``
    the company answered without a timeline (or after every follow-up was
    used): nothing is owed; the user's next message is their answer to it and
    starts a new silence, it is not a follow-up.
``TIMELINE``
    the company answered with a timeline: their words start a new silence whose
    next follow-up waits for that date. A prompt answer of the user's (by the
    end of the next business day) is a reply; a later message is the check-in
    that silence owes, whether it came before or after the check-in's due
    moment.

A draft of ours that the user deleted ("not this one") counts as its step
done, at the moment the deletion was noticed, in its place among the
messages: a message of the user's soon after it (by the end of the next
business day) is their own version of that step; a later one is the next
step. Every silence that follows a company answer carries its own round key
(the interview's key plus a digest of the answer), so that a draft withdrawn
because of that answer never stands in for a step the new silence owes.

Pure: no clock, no I/O; the business calendar only answers questions about
dates.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from agent.businesstime import BusinessCalendar
from agent.facts import DeadlineStated, Fact, HumanReply, UserWrote

THANK_YOU = "thank_you"
FOLLOW_UP_1 = "follow_up_1"
FOLLOW_UP_2 = "follow_up_2"
FOLLOW_UPS = (FOLLOW_UP_1, FOLLOW_UP_2)
STEPS = (THANK_YOU, *FOLLOW_UPS)

_NAMES = {THANK_YOU: "the thank-you", FOLLOW_UP_1: "the first follow-up", FOLLOW_UP_2: "the second follow-up"}


class Phase(StrEnum):
    THANK_YOU_OWED = "thank_you_owed"
    SILENCE = "silence"
    ANSWERED = "answered"
    TIMELINE = "timeline"


@dataclass(frozen=True)
class UsedStep:
    """One step of the round that is done: by a message of the user's, or by a draft they deleted."""

    step: str
    at: datetime
    message_id: str | None  # None: the user deleted the agent's draft for it
    why: str  # in plain words, for ``explain``


@dataclass(frozen=True)
class Round:
    """Where one interview round stands after its facts so far.

    ``quiet_since`` is the last thing the user's side did (a message, a
    deleted draft, or the interview's end): the policy's waits run from it.
    ``since`` is the start of the current silence (it may be the company's
    answer): an out-of-office reply after it still matters.
    """

    base_key: str
    key: str
    phase: Phase
    max_follow_ups: int
    since: datetime
    quiet_since: datetime
    quiet_what: str = "the interview's end"
    used: tuple[UsedStep, ...] = ()
    follow_ups_done: int = 0
    last_user: datetime | None = None
    answer: HumanReply | None = None
    deadline: DeadlineStated | None = None
    declined: UsedStep | None = None  # the step whose draft the user just deleted, if nothing came since
    notes: tuple[str, ...] = ()

    @property
    def next_step(self) -> str | None:
        """The step owed now, or None (the company answered, or every follow-up is used)."""
        if self.phase is Phase.THANK_YOU_OWED:
            return THANK_YOU
        if self.phase is Phase.ANSWERED or self.follow_ups_done >= self.max_follow_ups:
            return None
        return FOLLOW_UPS[self.follow_ups_done]

    @property
    def used_steps(self) -> tuple[str, ...]:
        return tuple(u.step for u in self.used)


def account(
    round_facts: Sequence[Fact],
    *,
    base_key: str,
    end: datetime,
    deadlines: Sequence[DeadlineStated],
    skipped: Mapping[tuple[str, str], datetime],
    max_follow_ups: int,
    cal: BusinessCalendar,
) -> Round:
    """Walk the round's facts (those at or after the interview's ``end``) in date order.

    ``deadlines`` are the timelines stated since the previous round (also
    before this interview), in date order: the last one governs. ``skipped``
    maps (round key, step) to when the user deleted the agent's draft for it;
    a deletion takes its place among the messages at that moment (any silence
    of this interview's round: a step is done once per round).
    """
    state = Round(base_key=base_key, key=base_key, phase=Phase.THANK_YOU_OWED,
                  max_follow_ups=min(max_follow_ups, len(FOLLOW_UPS)), since=end, quiet_since=end)
    events: list[tuple[datetime, int, UserWrote | HumanReply | str]] = [
        (f.at, 0, f) for f in round_facts if f.at is not None and isinstance(f, UserWrote | HumanReply)]
    events += [(at, 1, step) for (key, step), at in skipped.items()
               if key.split("~")[0] == base_key and at >= end and step in STEPS]
    for at, _order, event in sorted(events, key=lambda e: (e[0], e[1])):
        match event:
            case str():
                state = _deleted_draft(state, event, at, cal)
            case UserWrote():
                state = _user_wrote(state, event, cal)
            case HumanReply():
                state = _company_answered(state, event, _timeline_of(event, deadlines), cal)
    return replace(state, deadline=deadlines[-1] if deadlines else None)


def _user_wrote(state: Round, f: UserWrote, cal: BusinessCalendar) -> Round:
    """The user's message uses up the step owed at that moment, or answers the company."""
    assert f.at is not None
    day = _day(f.at, cal)
    if state.declined is not None and f.at < _next_business_day_over(state.declined.at, cal):
        state = _own_version(state, state.declined, f, day)
    elif state.phase is Phase.THANK_YOU_OWED:
        state = _use(state, THANK_YOU, f.at, f.evidence.message_id, f"your first message after the interview ({day})")
    elif state.phase is Phase.ANSWERED or (
            state.phase is Phase.TIMELINE and f.at < _next_business_day_over(state.since, cal)):
        first = state.last_user is None and THANK_YOU not in state.used_steps
        state = (_use(state, THANK_YOU, f.at, f.evidence.message_id,
                      f"your first message after the interview ({day}) answered theirs") if first
                 else _note(state, f"your message of {day} answered theirs: a new silence starts, "
                                   "it is not a follow-up"))
    elif state.follow_ups_done < state.max_follow_ups:
        step = FOLLOW_UPS[state.follow_ups_done]
        why = (f"your check-in of {day} after their answer with a timeline" if state.phase is Phase.TIMELINE
               else f"your message of {day}")
        state = _use(state, step, f.at, f.evidence.message_id, why)
    else:
        state = _note(state, f"your message of {day} came after every follow-up was used")
    return replace(state, phase=Phase.SILENCE, last_user=f.at, since=f.at, quiet_since=f.at,
                   quiet_what="your last message", declined=None)


def _own_version(state: Round, declined: UsedStep, f: UserWrote, day: str) -> Round:
    """They threw our draft away and wrote their own soon after: it is that step, not the next one."""
    assert f.at is not None
    mine = replace(declined, at=f.at, message_id=f.evidence.message_id, why=f"your own message of {day}")
    return replace(state, used=(*state.used[:-1], mine),
                   notes=(*state.notes, f"your message of {day} is your own version of "
                                        f"{_NAMES[declined.step]}, whose draft you deleted"))


def _company_answered(state: Round, f: HumanReply, timeline: DeadlineStated | None, cal: BusinessCalendar) -> Round:
    """A human answer uses up nothing: it ends the silence, and a timeline in it starts a new one."""
    assert f.at is not None
    key = f"{state.base_key}~{hashlib.sha256(f.evidence.message_id.encode()).hexdigest()[:10]}"
    waits = timeline is not None and state.follow_ups_done < state.max_follow_ups
    said = f" with a timeline: \u201c{timeline.deadline.phrase}\u201d" if timeline is not None else ""
    return replace(state, key=key, phase=Phase.TIMELINE if waits else Phase.ANSWERED, answer=f,
                   since=f.at, declined=None,
                   notes=(*state.notes, f"the company answered on {_day(f.at, cal)}{said}"))


def _deleted_draft(state: Round, step: str, at: datetime, cal: BusinessCalendar) -> Round:
    """A draft of ours the user deleted counts as its step done ("not this one").

    A thank-you counts only while it is still owed; a follow-up whenever the
    round has not got that far yet (the deletion may be noticed after the
    company's answer, which does not undo it). The user's own message soon
    after (by the end of the next business day) is their version of the same
    step, not the next one.
    """
    day = _day(at, cal)
    if step == THANK_YOU and state.phase is Phase.THANK_YOU_OWED:
        state = _use(state, THANK_YOU, at, None, f"you deleted its draft ({day})")
        state = replace(state, phase=Phase.SILENCE, since=at, quiet_since=at,
                        quiet_what="the thank-you you chose not to send")
    elif step in FOLLOW_UPS and state.follow_ups_done <= FOLLOW_UPS.index(step):
        state = _use(state, step, at, None, f"you deleted its draft ({day})")
        if at > state.quiet_since:
            state = replace(state, quiet_since=at, quiet_what=f"{_NAMES[step]} you chose not to send")
    else:
        return state
    return replace(state, declined=state.used[-1])


def _use(state: Round, step: str, at: datetime, message_id: str | None, why: str) -> Round:
    done = FOLLOW_UPS.index(step) + 1 if step in FOLLOW_UPS else state.follow_ups_done
    return replace(state, used=(*state.used, UsedStep(step, at, message_id, why)),
                   follow_ups_done=max(done, state.follow_ups_done),
                   notes=(*state.notes, f"{_NAMES[step]} is done: {why}"))


def _note(state: Round, text: str) -> Round:
    return replace(state, notes=(*state.notes, text))


def _timeline_of(answer: HumanReply, deadlines: Sequence[DeadlineStated]) -> DeadlineStated | None:
    """The timeline stated in ``answer`` itself (the last one, when the message states several)."""
    return next((d for d in reversed(deadlines)
                 if d.evidence.message_id == answer.evidence.message_id and d.at == answer.at), None)


def _next_business_day_over(at: datetime, cal: BusinessCalendar) -> datetime:
    """The end (midnight) of the next business day after ``at``.

    Until then a message of the user's answers what just happened -- the
    company's answer, or the draft of ours they threw away -- so that a reply
    on Monday to a Friday answer is still an answer. A check-in comes later by
    its nature: nobody asks "where do things stand?" the day after being told.
    """
    return cal.end_of_day(cal.add_business_days(at.astimezone(cal.tz).date(), 1))


def _day(at: datetime, cal: BusinessCalendar) -> str:
    return at.astimezone(cal.tz).strftime("%b %-d")
