"""Facts + ``now`` + config → where a conversation stands and what is owed next.

This is POLICY.md as code. It is pure: the caller passes the facts that the
signals found, the user's own controls, which agent drafts the user threw
away (a deleted draft means "not this one"), and the current time.

A *round* starts with each interview. In a round the user owes one thank-you
(due shortly after the interview, snapped to business time, never later than
24 h after it ends), then, while the company stays silent, at most two
follow-ups: the first a week after the stated decision date has passed (or a
week after the user's last message when no date was stated), the second a
week after the first. A week after that the conversation is *moved on*.

Which of those steps the user's own messages have already used up, and when
the current silence started, is ``agent.rounds``' accounting; this module turns
it into a state, a due moment and the reasons for both.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from agent.businesstime import BusinessCalendar, wall_time
from agent.config import Config
from agent.model import (
    AutoReply,
    Bounce,
    Closing,
    Conversation,
    DeadlineStated,
    Fact,
    Interview,
    NoFollowUp,
    Offer,
    Rejection,
    Withdrawn,
)
from agent.recipients import choose_recipient
from agent.rounds import FOLLOW_UP_1, FOLLOW_UP_2, STEPS, THANK_YOU, Phase, Round, UsedStep, account
from agent.signals.tracking import Tracking

__all__ = ["CLOSED", "FOLLOW_UP_1", "FOLLOW_UP_2", "MOVED_ON", "OPEN", "PAUSED", "STEPS", "THANK_YOU",
           "Controls", "Decision", "NextStep", "decide"]

OPEN, MOVED_ON, CLOSED, PAUSED = "open", "moved_on", "closed", "paused"


@dataclass(frozen=True)
class Controls:
    """What the user said about one conversation (CLI or labels)."""

    paused: bool = False
    paused_by: str = "you paused it"  # or "the label 'Follow-up/Pause'"
    closed: str | None = None  # reason, when the user closed it
    closed_by: str = "you closed it"
    snoozed_until: datetime | None = None
    note: str | None = None
    recruiting: bool | None = None  # the user's correction of detection, if any
    marks: tuple[Fact, ...] = ()  # interviews and timelines the user stated


@dataclass(frozen=True)
class NextStep:
    kind: str
    due: datetime  # aware, in the user's zone
    to: str | None
    round: str
    deadline_phrase: str | None = None
    deadline_day: date | None = None
    arithmetic: tuple[str, ...] = ()


@dataclass(frozen=True)
class Decision:
    conversation: str
    subject: str
    company: str | None
    state: str
    next: NextStep | None
    reason: str
    rules: tuple[str, ...] = ()
    round: str | None = None
    interview: Interview | None = None  # the interview of the round (or the one scheduled)
    unusable: tuple[str, ...] = ()  # bounced addresses
    no_recipient: str | None = None  # why a due draft cannot be written
    tracked_because: str = ""
    facts: tuple[Fact, ...] = field(default=(), repr=False)
    used: tuple[UsedStep, ...] = field(default=(), repr=False)  # the round's steps done, in order


def _fmt(dt: datetime, cfg: Config) -> str:
    return dt.astimezone(cfg.account.tz).strftime("%a %b %-d %Y %H:%M %Z")


def decide(
    conv: Conversation,
    tracking: Tracking,
    facts: list[Fact],
    now: datetime,
    config: Config,
    cal: BusinessCalendar,
    controls: Controls = Controls(),
    skipped: dict[tuple[str, str], datetime] | None = None,
) -> Decision:
    """Decide one conversation at ``now``. ``skipped`` maps (round, step) to when the user
    deleted the agent's draft for it."""
    skipped = skipped or {}
    pc = config.policy
    rules: list[str] = []
    base: dict[str, Any] = {"conversation": conv.id, "subject": conv.subject,
                            "company": tracking.company, "tracked_because": tracking.reason}
    unusable = tuple(sorted({a for f in facts if isinstance(f, Bounce) for a in f.addresses}))

    def out(state: str, reason: str, nxt: NextStep | None = None, **kw: Any) -> Decision:
        return Decision(**base, state=state, next=nxt, reason=reason, rules=tuple(rules),
                        unusable=unusable, facts=tuple(facts), **kw)

    past = [f for f in facts if (f.at is None or f.at <= now)]
    if controls.closed:
        return out(CLOSED, f"Closed: {controls.closed_by} ({controls.closed}).")
    ended = _closing_fact(past)
    if ended is not None:
        rules.append(f"{ended.kind}: {ended.evidence.quote!r}")
        return out(CLOSED, f"{_CLOSED_BY[type(ended)].capitalize()} on {_day(ended.at, cfg=config)}: "
                           f"\u201c{ended.evidence.quote.rstrip('.')}\u201d.")
    if controls.paused:
        return out(PAUSED, f"Paused: {controls.paused_by}; nothing is drafted until it is resumed.")

    interviews = sorted((f for f in facts if isinstance(f, Interview)), key=lambda f: f.start)
    held = [i for i in interviews if i.end <= now]
    upcoming = [i for i in interviews if i.end > now]
    if not held:
        if upcoming:
            i = upcoming[0]
            rules.append(f"interview scheduled {_fmt(i.start, config)}")
            ty_due, arith = _thank_you_due(i.end, config, cal)
            to, why = choose_recipient(conv, config, unusable)
            nxt = NextStep(THANK_YOU, ty_due, to, _round_key(i), arithmetic=tuple(arith))
            return out(OPEN, f"Interview scheduled for {_fmt(i.start, config)}; "
                             f"a thank-you will be due after it.", nxt, interview=i,
                       round=_round_key(i))
        return out(OPEN, "No interview yet: nothing is owed until one is held.")

    rnd = held[-1]
    rkey = _round_key(rnd)
    end = rnd.end
    rules.append(f"round opened by the interview of {_fmt(rnd.start, config)} "
                 f"({rnd.source}: {rnd.evidence.quote})")
    prev_end = held[-2].end if len(held) > 1 else None
    in_round = [f for f in past if f.at is not None and f.at >= end]

    no_fu = [f for f in past if isinstance(f, NoFollowUp) and (prev_end is None or (f.at and f.at > prev_end))]
    if no_fu:
        rules.append(f"no follow-ups wanted: {no_fu[-1].evidence.quote!r}")
        return out(OPEN, f"They asked for no follow-ups (\u201c{no_fu[-1].evidence.quote}\u201d); "
                         "nothing will be drafted.", round=rkey, interview=rnd)

    deadlines = [f for f in past if isinstance(f, DeadlineStated) and (prev_end is None or (f.at and f.at > prev_end))]
    state = account(in_round, base_key=rkey, end=end, deadlines=deadlines, skipped=skipped,
                    max_follow_ups=pc.max_follow_ups, cal=cal)
    rules.extend(state.notes)
    at_round: dict[str, Any] = {"round": state.key, "interview": rnd, "used": state.used}
    step = state.next_step
    if step == THANK_YOU:
        to, why = choose_recipient(conv, config, unusable)
        due, arith = _thank_you_due(end, config, cal)
        rules.append("thank-you owed once per round; you have not written since the interview")
        nxt = NextStep(THANK_YOU, _snooze(due, controls, arith, cal), to, state.key, arithmetic=tuple(arith))
        return out(OPEN, f"Interview held {_fmt(end, config)}; a thank-you is owed.", nxt,
                   no_recipient=None if to else why, **at_round)
    if state.phase is Phase.ANSWERED:
        # POLICY: a human reply means nothing is owed until a new silence starts -- this
        # includes a thank-you not yet sent: their message wants your own answer, and an
        # untouched draft of ours is withdrawn
        answered = state.answer
        assert answered is not None
        rules.append("nothing is owed until you write again")
        return out(OPEN, f"{answered.sender} answered on "
                         f"{_day(answered.at, cfg=config)}; nothing is owed until you write again.", **at_round)
    if step is None:
        return _moving_on(state, now, config, out, rules, at_round)
    return _follow_up(conv, state, step, in_round, unusable, controls, config, cal, out, rules, at_round)


def _moving_on(state: Round, now: datetime, config: Config, out: Callable[..., Decision], rules: list[str],
               at_round: dict[str, Any]) -> Decision:
    """Every follow-up of the round is used: moved on a week after the user's side last acted."""
    pc = config.policy
    n = state.follow_ups_done
    moved = _plus(state.quiet_since, pc.move_on_after, config)
    rules.append(f"{n} follow-up(s) already sent this round (at most {pc.max_follow_ups})")
    if now >= moved:
        return out(MOVED_ON, f"No answer to {n} follow-up(s); moved on {_fmt(moved, config)}. "
                             "A message from them reopens it.", **at_round)
    return out(OPEN, f"{n} follow-up(s) sent; if nothing comes back, moving on "
                     f"{_fmt(moved, config)}.", **at_round)


def _follow_up(conv: Conversation, state: Round, step: str, in_round: list[Fact], unusable: tuple[str, ...],
               controls: Controls, config: Config, cal: BusinessCalendar, out: Callable[..., Decision], rules: list[str],
               at_round: dict[str, Any]) -> Decision:
    """The next follow-up of the round, with its due moment and the arithmetic behind it."""
    raw, arith, governing = _follow_up_due(state, step, config, cal, rules)
    due, snap_note = cal.describe_snap(raw)
    if due != raw:
        arith.append(f"snapped to the next business moment {_fmt(due, config)}"
                     + (f" ({snap_note})" if snap_note else ""))
    due = _after_out_of_office(due, [f for f in in_round if f.at and f.at >= state.since], arith, rules, config, cal)
    deadline = state.deadline.deadline if state.deadline else None
    to, why_none = choose_recipient(conv, config, unusable)
    nxt = NextStep(step, _snooze(due, controls, arith, cal), to, state.key,
                   deadline_phrase=deadline.phrase if deadline else None,
                   deadline_day=deadline.last_day if deadline else None,
                   arithmetic=tuple(arith))
    label = "first follow-up" if step == FOLLOW_UP_1 else "second follow-up"
    why_text = (f"they expected to decide by {governing.deadline.last_day:%b %-d} "
                f"(\u201c{governing.deadline.phrase}\u201d)" if governing is not None
                else "no answer since your last message")
    return out(OPEN, f"Waiting on the company: {why_text}; {label} due {_fmt(nxt.due, config)}.",
               nxt, no_recipient=None if to else why_none, **at_round)


def _after_out_of_office(due: datetime, silence: list[Fact], arith: list[str], rules: list[str], config: Config,
                         cal: BusinessCalendar) -> datetime:
    """POLICY: an out-of-office return date in this silence moves the draft past the return."""
    returns = [f.return_date for f in silence if isinstance(f, AutoReply) and f.return_date]
    if not returns:
        return due
    back = max(returns)
    after = cal.next_business_day_start(back)
    if after <= due:
        return due
    arith.append(f"out-of-office until {back:%a %b %-d}: moved to {_fmt(after, config)}")
    rules.append("an out-of-office return date pushes the draft past the return")
    return after


def _follow_up_due(state: Round, step: str, config: Config, cal: BusinessCalendar,
                   rules: list[str]) -> tuple[datetime, list[str], DeadlineStated | None]:
    """When the next follow-up falls due, before snapping: (moment, arithmetic, governing timeline).

    POLICY: a stated timeline + the grace period; with none, a week after the
    user's last message. Never less than that week either (counted in whole
    days when a timeline governs, as the timeline itself is): a follow-up is
    never due right after a message of the user's -- their own check-in, a
    late thank-you, their answer to a reply -- even when an old timeline has
    long passed.
    """
    pc = config.policy
    first = step == FOLLOW_UP_1
    wait = pc.no_deadline_wait if first else pc.second_follow_up_wait
    after_quiet = _plus(state.quiet_since, wait, config)
    quiet_line = (f"{state.quiet_what} {_fmt(state.quiet_since, config)} + {wait.days} days = "
                  f"{_fmt(after_quiet, config)}")
    deadline = state.deadline
    if deadline is None:
        rules.append(f"{'first' if first else 'second'} follow-up: no timeline known, "
                     f"a week after {state.quiet_what}")
        return after_quiet, [f"no timeline stated: {quiet_line}"], None
    stated = deadline.deadline
    last_day = stated.last_day
    # the day ends in the zone the company's words were in (e.g. "by Friday, 5pm PT")
    zone = ZoneInfo(stated.tz) if stated.tz else None
    exceeded = cal.end_of_day(last_day + pc.deadline_grace, tz=zone)
    arith = [f"decision timeline \u201c{stated.phrase}\u201d → last day {last_day:%a %b %-d %Y}",
             f"+ {pc.deadline_grace.days} days grace, exceeded from {_fmt(exceeded, config)}"]
    if exceeded >= _day_start(after_quiet, cal):
        rules.append(f"{'first' if first else 'next'} follow-up: the stated timeline passed "
                     "by more than the grace period")
        return exceeded, arith, deadline
    arith.append(f"later still: {quiet_line}")
    rules.append(f"{'first' if first else 'second'} follow-up: a week after {state.quiet_what}, "
                 "later than the stated timeline + the grace period")
    return after_quiet, arith, None


def _day_start(at: datetime, cal: BusinessCalendar) -> datetime:
    """Midnight at the start of ``at``'s day in the user's zone."""
    return wall_time(at.astimezone(cal.tz).date(), time(0, 0), cal.tz)


_CLOSED_BY: dict[type[Closing], str] = {Offer: "closed with an offer", Rejection: "closed: the company declined",
                                        Withdrawn: "closed: you withdrew"}


def _closing_fact(past: list[Fact]) -> Closing | None:
    """The offer, rejection or withdrawal that ends the conversation, if one still stands.

    One followed by a later interview no longer stands (the process went on).
    The latest says why it ended: an offer the user then declined ("I must
    decline the offer") closed by the user's withdrawal, an offer rescinded by
    the rejection that followed it.
    """
    ends = [f for f in past if isinstance(f, Closing)]
    if not ends:
        return None
    last = ends[-1]
    later_interview = any(isinstance(i, Interview) and i.at and last.at and i.at > last.at for i in past)
    return None if later_interview else last


def _plus(at: datetime, delta: timedelta, config: Config) -> datetime:
    """``at`` + ``delta`` on the user's wall clock: "a week later" keeps the hour across DST."""
    return (at.astimezone(config.account.tz) + delta).astimezone(UTC)


def _snooze(due: datetime, controls: Controls, arith: list[str], cal: BusinessCalendar) -> datetime:
    if controls.snoozed_until and controls.snoozed_until > due:
        until = cal.snap(controls.snoozed_until)
        arith.append(f"snoozed until {controls.snoozed_until:%Y-%m-%d}: moved to {until:%a %b %-d %H:%M}")
        return until
    return due


def _thank_you_due(end: datetime, config: Config, cal: BusinessCalendar) -> tuple[datetime, list[str]]:
    pc = config.policy
    raw = end + pc.thank_you_delay
    due, why = cal.describe_snap(raw)
    arith = [f"interview ended {_fmt(end, config)} + {pc.thank_you_delay} = {_fmt(raw, config)}"]
    if due != raw:
        arith.append(f"snapped to {_fmt(due, config)}" + (f" ({why})" if why else ""))
    latest = end + pc.thank_you_latest
    if due > latest:
        due = latest.astimezone(config.account.tz)
        arith.append(f"capped at {pc.thank_you_latest} after the interview: {_fmt(due, config)}")
    return due, arith


def _round_key(interview: Interview) -> str:
    return interview.start.astimezone(UTC).strftime("%Y%m%dT%H%MZ")


def _day(at: datetime | None, cfg: Config) -> str:
    return at.astimezone(cfg.account.tz).strftime("%b %-d") if at else "an unknown date"
