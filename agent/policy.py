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

:func:`decide` goes in three steps, each a short function here: what stands
whatever the rounds say (the user closed or paused the conversation, or an
offer, a rejection or a withdrawal ended it); :func:`current_round` (the last
interview held, what the company said since the round before, and the
accounting); then the step that round owes (``_owed``) and its due moment
(``_thank_you_due``, ``_follow_up_due``, then the user's snooze).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo

from agent.businesstime import BusinessCalendar, wall_time
from agent.config import Config
from agent.facts import (
    AutoReply,
    Bounce,
    Closing,
    DeadlineStated,
    Fact,
    Interview,
    NoFollowUp,
    Offer,
    Rejection,
    Withdrawn,
)
from agent.model import Conversation
from agent.rounds import FOLLOW_UP_1, FOLLOW_UP_2, STEPS, THANK_YOU, Phase, Round, UsedStep, account
from agent.signals.verdict import Tracking

__all__ = ["CLOSED", "FOLLOW_UP_1", "FOLLOW_UP_2", "MOVED_ON", "OPEN", "PAUSED", "STEPS", "THANK_YOU",
           "Controls", "CurrentRound", "Decision", "NextStep", "current_round", "decide"]

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
    #: the earliest moment after ``now`` at which this decision can read otherwise with the same
    #: facts, controls and config (a fact's time passing, the step falling due, moving on); None:
    #: only new mail or the user can change it. A poll that finds nothing new before it may skip
    #: deciding again (agent/quick_poll.py).
    changes_at: datetime | None = None


@dataclass(frozen=True)
class CurrentRound:
    """The round the last interview held opened, and what the user's side has used up of it."""

    interview: Interview
    key: str  # the round's key before any company answer (see agent.rounds)
    facts: tuple[Fact, ...]  # dated from the interview's end (itself included) up to now
    no_follow_up: NoFollowUp | None  # the last "please don't follow up" since the previous round
    accounting: Round


@dataclass(frozen=True)
class _Case:
    """One decision's inputs, gathered once: the conversation, its facts, the user's controls, ``now``.

    Each step of :func:`decide` reads what it needs from here and returns a
    whole :class:`Decision` through :meth:`decision`, so no step shares
    mutable state with another (the rules of a decision are built as values).
    """

    conv: Conversation
    tracking: Tracking
    facts: tuple[Fact, ...]
    now: datetime
    config: Config
    cal: BusinessCalendar
    controls: Controls
    skipped: Mapping[tuple[str, str], datetime]

    @cached_property
    def past(self) -> list[Fact]:
        """The facts up to ``now`` (an undated one counts as past)."""
        return [f for f in self.facts if f.at is None or f.at <= self.now]

    @cached_property
    def unusable(self) -> tuple[str, ...]:
        """The addresses that bounced."""
        return tuple(sorted({a for f in self.facts if isinstance(f, Bounce) for a in f.addresses}))

    def recipient(self) -> tuple[str | None, str]:
        """Whom a draft goes to, or None and why nobody."""
        # imported here: it reads the messages' senders with the signal readers, which a poll
        # deciding no draft and no scheduled interview never needs
        from agent.recipients import choose_recipient

        return choose_recipient(self.conv, self.config, self.unusable)

    def decision(self, state: str, reason: str, rules: Iterable[str] = (), nxt: NextStep | None = None, *,
                 round: str | None = None, interview: Interview | None = None, used: tuple[UsedStep, ...] = (),
                 no_recipient: str | None = None, changes_at: datetime | None = None) -> Decision:
        """The decision, with what every decision carries (the conversation, its facts, bounces)."""
        return Decision(conversation=self.conv.id, subject=self.conv.subject, company=self.tracking.company,
                        state=state, next=nxt, reason=reason, rules=tuple(rules), round=round, interview=interview,
                        unusable=self.unusable, no_recipient=no_recipient, tracked_because=self.tracking.reason,
                        facts=self.facts, used=used, changes_at=self.changes_at(nxt, changes_at))

    def in_round(self, cur: CurrentRound, state: str, reason: str, rules: Iterable[str],
                 nxt: NextStep | None = None, no_recipient: str | None = None,
                 changes_at: datetime | None = None) -> Decision:
        """A decision inside the current round: it names the round, its interview and the steps used."""
        acc = cur.accounting
        return self.decision(state, reason, rules, nxt, round=acc.key, interview=cur.interview, used=acc.used,
                             no_recipient=no_recipient, changes_at=changes_at)

    def changes_at(self, nxt: NextStep | None, own: datetime | None) -> datetime | None:
        """The earliest moment after ``now`` that a decision on these inputs compares ``now``
        with: ``own`` (the rule's, e.g. moving on), the step's due moment (the planner drafts
        from it), and every time the facts and the user's deletions carry (a fact or an
        interview's end passing changes the round). Taken over all of them, whichever rule
        decided, so a rule added later that compares ``now`` with a fact's time is covered."""
        moments = [own, nxt.due if nxt is not None else None, *self.skipped.values(),
                   *(at for f in self.facts for at in _times(f))]
        later = [m for m in moments if m is not None and m > self.now]
        return min(later, default=None)


@dataclass(frozen=True)
class _Due:
    """When a step falls due, with the arithmetic shown to the user and the rules that set it."""

    at: datetime
    arithmetic: tuple[str, ...]
    rules: tuple[str, ...] = ()
    governing: DeadlineStated | None = None  # the company's timeline it waits for, when one does

    def then(self, at: datetime, line: str, rule: str | None = None) -> _Due:
        """Moved to ``at``, saying why."""
        return replace(self, at=at, arithmetic=(*self.arithmetic, line),
                       rules=self.rules if rule is None else (*self.rules, rule))


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
    deleted the agent's draft for it.

    Three steps: what stands whatever the rounds say (the user closed or
    paused it; an offer, a rejection or a withdrawal ended it); the current
    round (the last interview held, and what the user's side used up of it);
    the step that round owes, with its due moment.
    """
    case = _Case(conv, tracking, tuple(facts), now, config, cal, controls, skipped or {})
    settled = _settled(case)
    if settled is not None:
        return settled
    cur = current_round(case.facts, now, config, cal, case.skipped)
    if cur is None:
        return _before_first_round(case)
    return _owed(case, cur)


# --- what stands whatever the rounds say -----------------------------------------------------

_CLOSED_BY: dict[type[Closing], str] = {Offer: "closed with an offer", Rejection: "closed: the company declined",
                                        Withdrawn: "closed: you withdrew"}


def _settled(case: _Case) -> Decision | None:
    """Closed by the user or by what happened, or paused: no round is looked at."""
    controls = case.controls
    if controls.closed:
        return case.decision(CLOSED, f"Closed: {controls.closed_by} ({controls.closed}).")
    ended = _closing_fact(case.past)
    if ended is not None:
        quote = ended.evidence.quote
        return case.decision(CLOSED, f"{_CLOSED_BY[type(ended)].capitalize()} on {_day(ended.at, cfg=case.config)}: "
                                     f"\u201c{quote.rstrip('.')}\u201d.", [f"{ended.kind}: {quote!r}"])
    if controls.paused:
        return case.decision(PAUSED, f"Paused: {controls.paused_by}; nothing is drafted until it is resumed.")
    return None


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


# --- the current round -----------------------------------------------------------------------


def _interviews(facts: Iterable[Fact]) -> list[Interview]:
    """Every interview that stands, earliest first."""
    return sorted((f for f in facts if isinstance(f, Interview)), key=lambda f: f.start)


def current_round(facts: Iterable[Fact], now: datetime, config: Config, cal: BusinessCalendar,
                  skipped: Mapping[tuple[str, str], datetime]) -> CurrentRound | None:
    """The round opened by the last interview held by ``now``, or None before the first.

    What the company said since the previous round ended still governs this
    one (a timeline stated before this interview, "please don't follow up");
    the user's side is counted from this interview's end (agent.rounds).
    ``skipped`` maps (round, step) to when the user deleted our draft for it.
    """
    facts = tuple(facts)
    held = [i for i in _interviews(facts) if i.end <= now]
    if not held:
        return None
    last = held[-1]
    key = _round_key(last)
    past = [f for f in facts if f.at is None or f.at <= now]
    since_previous = past if len(held) == 1 else [f for f in past if f.at and f.at > held[-2].end]
    in_round = tuple(f for f in past if f.at is not None and f.at >= last.end)
    no_fu = [f for f in since_previous if isinstance(f, NoFollowUp)]
    deadlines = [f for f in since_previous if isinstance(f, DeadlineStated)]
    accounting = account(in_round, base_key=key, end=last.end, deadlines=deadlines, skipped=skipped,
                         max_follow_ups=config.policy.max_follow_ups, cal=cal)
    return CurrentRound(last, key, in_round, no_fu[-1] if no_fu else None, accounting)


def _before_first_round(case: _Case) -> Decision:
    """No interview held yet: nothing is owed, and the thank-you for one scheduled is announced."""
    config = case.config
    upcoming = [i for i in _interviews(case.facts) if i.end > case.now]
    if not upcoming:
        return case.decision(OPEN, "No interview yet: nothing is owed until one is held.")
    i = upcoming[0]
    key = _round_key(i)
    due = _thank_you_due(i.end, config, case.cal)
    to, _why = case.recipient()
    return case.decision(OPEN, f"Interview scheduled for {_fmt(i.start, config)}; "
                               f"a thank-you will be due after it.", [f"interview scheduled {_fmt(i.start, config)}"],
                         NextStep(THANK_YOU, due.at, to, key, arithmetic=due.arithmetic), interview=i, round=key)


# --- the step the round owes -----------------------------------------------------------------


def _owed(case: _Case, cur: CurrentRound) -> Decision:
    """What the current round owes now: nothing (no follow-ups wanted, the company answered,
    every follow-up used), the thank-you, or the next follow-up."""
    iv = cur.interview
    rules = [f"round opened by the interview of {_fmt(iv.start, case.config)} ({iv.source}: {iv.evidence.quote})"]
    if cur.no_follow_up is not None:
        quote = cur.no_follow_up.evidence.quote
        return case.decision(OPEN, f"They asked for no follow-ups (\u201c{quote}\u201d); nothing will be drafted.",
                             [*rules, f"no follow-ups wanted: {quote!r}"], round=cur.key, interview=iv)
    acc = cur.accounting
    rules.extend(acc.notes)
    step = acc.next_step
    if step == THANK_YOU:
        return _thank_you(case, cur, rules)
    if acc.phase is Phase.ANSWERED:
        # POLICY: a human reply means nothing is owed until a new silence starts -- this
        # includes a thank-you not yet sent: their message wants your own answer, and an
        # untouched draft of ours is withdrawn
        answer = acc.answer
        assert answer is not None
        return case.in_round(cur, OPEN, f"{answer.sender} answered on {_day(answer.at, cfg=case.config)}; "
                                        "nothing is owed until you write again.",
                             [*rules, "nothing is owed until you write again"])
    if step is None:
        return _moving_on(case, cur, rules)
    return _follow_up(case, cur, step, rules)


def _thank_you(case: _Case, cur: CurrentRound, rules: list[str]) -> Decision:
    """The round's thank-you: the user has not written since the interview."""
    to, why = case.recipient()
    end = cur.interview.end
    due = _snooze(_thank_you_due(end, case.config, case.cal), case)
    nxt = NextStep(THANK_YOU, due.at, to, cur.accounting.key, arithmetic=due.arithmetic)
    return case.in_round(cur, OPEN, f"Interview held {_fmt(end, case.config)}; a thank-you is owed.",
                         [*rules, "thank-you owed once per round; you have not written since the interview"],
                         nxt, no_recipient=None if to else why)


def _moving_on(case: _Case, cur: CurrentRound, rules: list[str]) -> Decision:
    """Every follow-up of the round is used: moved on a week after the user's side last acted."""
    config = case.config
    pc = config.policy
    n = cur.accounting.follow_ups_done
    moved = _plus(cur.accounting.quiet_since, pc.move_on_after, config)
    rules = [*rules, f"{n} follow-up(s) already sent this round (at most {pc.max_follow_ups})"]
    if case.now >= moved:
        return case.in_round(cur, MOVED_ON, f"No answer to {n} follow-up(s); moved on {_fmt(moved, config)}. "
                                            "A message from them reopens it.", rules)
    return case.in_round(cur, OPEN, f"{n} follow-up(s) sent; if nothing comes back, moving on "
                                    f"{_fmt(moved, config)}.", rules, changes_at=moved)


def _follow_up(case: _Case, cur: CurrentRound, step: str, rules: list[str]) -> Decision:
    """The next follow-up of the round, with its due moment and the arithmetic behind it."""
    config = case.config
    due = _snooze(_follow_up_due(case, cur, step), case)
    deadline = cur.accounting.deadline.deadline if cur.accounting.deadline else None
    to, why_none = case.recipient()
    nxt = NextStep(step, due.at, to, cur.accounting.key,
                   deadline_phrase=deadline.phrase if deadline else None,
                   deadline_day=deadline.last_day if deadline else None,
                   arithmetic=due.arithmetic)
    label = "first follow-up" if step == FOLLOW_UP_1 else "second follow-up"
    governing = due.governing.deadline if due.governing is not None else None
    why_text = (f"they expected to decide by {governing.last_day:%b %-d} "
                f"(\u201c{governing.phrase}\u201d)" if governing is not None
                else "no answer since your last message")
    return case.in_round(cur, OPEN, f"Waiting on the company: {why_text}; {label} due {_fmt(nxt.due, config)}.",
                         [*rules, *due.rules], nxt, no_recipient=None if to else why_none)


# --- due moments -----------------------------------------------------------------------------


def _thank_you_due(end: datetime, config: Config, cal: BusinessCalendar) -> _Due:
    """POLICY: the thank-you is due shortly after the interview ends, snapped to business
    time, and never later than ``thank_you_latest`` after it."""
    pc = config.policy
    raw = end + pc.thank_you_delay
    snapped, why = cal.describe_snap(raw)  # in the user's zone, also when it did not move
    due = _Due(snapped, (f"interview ended {_fmt(end, config)} + {pc.thank_you_delay} = {_fmt(raw, config)}",))
    if snapped != raw:
        due = due.then(snapped, f"snapped to {_fmt(snapped, config)}" + (f" ({why})" if why else ""))
    latest = end + pc.thank_you_latest
    if due.at > latest:
        capped = latest.astimezone(config.account.tz)
        due = due.then(capped, f"capped at {pc.thank_you_latest} after the interview: {_fmt(capped, config)}")
    return due


def _follow_up_due(case: _Case, cur: CurrentRound, step: str) -> _Due:
    """When the next follow-up falls due: its wait, snapped to business time, past any
    out-of-office return in this silence."""
    wait = _follow_up_wait(cur.accounting, step, case.config, case.cal)
    snapped, note = case.cal.describe_snap(wait.at)
    if snapped != wait.at:
        wait = wait.then(snapped, f"snapped to the next business moment {_fmt(snapped, case.config)}"
                         + (f" ({note})" if note else ""))
    wait = replace(wait, at=snapped)  # in the user's zone, also when it did not move
    since = cur.accounting.since
    return _after_out_of_office(wait, [f for f in cur.facts if f.at and f.at >= since], case.config, case.cal)


def _follow_up_wait(acc: Round, step: str, config: Config, cal: BusinessCalendar) -> _Due:
    """When the next follow-up falls due, before snapping.

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
    after_quiet = _plus(acc.quiet_since, wait, config)
    quiet_line = (f"{acc.quiet_what} {_fmt(acc.quiet_since, config)} + {wait.days} days = "
                  f"{_fmt(after_quiet, config)}")
    if acc.deadline is None:
        return _Due(after_quiet, (f"no timeline stated: {quiet_line}",),
                    (f"{'first' if first else 'second'} follow-up: no timeline known, a week after {acc.quiet_what}",))
    stated = acc.deadline.deadline
    # the day ends in the zone the company's words were in (e.g. "by Friday, 5pm PT")
    exceeded = cal.end_of_day(stated.last_day + pc.deadline_grace, tz=ZoneInfo(stated.tz) if stated.tz else None)
    arith = (f"decision timeline \u201c{stated.phrase}\u201d → last day {stated.last_day:%a %b %-d %Y}",
             f"+ {pc.deadline_grace.days} days grace, exceeded from {_fmt(exceeded, config)}")
    if exceeded >= _day_start(after_quiet, cal):
        return _Due(exceeded, arith, (f"{'first' if first else 'next'} follow-up: the stated timeline passed "
                                      "by more than the grace period",), governing=acc.deadline)
    return _Due(after_quiet, (*arith, f"later still: {quiet_line}"),
                (f"{'first' if first else 'second'} follow-up: a week after {acc.quiet_what}, "
                 "later than the stated timeline + the grace period",))


def _after_out_of_office(due: _Due, silence: list[Fact], config: Config, cal: BusinessCalendar) -> _Due:
    """POLICY: an out-of-office return date in this silence moves the draft past the return."""
    returns = [f.return_date for f in silence if isinstance(f, AutoReply) and f.return_date]
    if not returns:
        return due
    back = max(returns)
    after = cal.next_business_day_start(back)
    if after <= due.at:
        return due
    return due.then(after, f"out-of-office until {back:%a %b %-d}: moved to {_fmt(after, config)}",
                    "an out-of-office return date pushes the draft past the return")


def _snooze(due: _Due, case: _Case) -> _Due:
    """The user's snooze moves a step that falls due before it."""
    until = case.controls.snoozed_until
    if until and until > due.at:
        snapped = case.cal.snap(until)
        return due.then(snapped, f"snoozed until {until:%Y-%m-%d}: moved to {snapped:%a %b %-d %H:%M}")
    return due


def _day_start(at: datetime, cal: BusinessCalendar) -> datetime:
    """Midnight at the start of ``at``'s day in the user's zone."""
    return wall_time(at.astimezone(cal.tz).date(), time(0, 0), cal.tz)


def _plus(at: datetime, delta: timedelta, config: Config) -> datetime:
    """``at`` + ``delta`` on the user's wall clock: "a week later" keeps the hour across DST."""
    return (at.astimezone(config.account.tz) + delta).astimezone(UTC)


def _times(fact: Fact) -> Iterator[datetime]:
    """Every moment a fact carries (its date; an interview's start, end and arrangement)."""
    for f in fields(fact):
        value = getattr(fact, f.name)
        if isinstance(value, datetime):
            yield value


def _round_key(interview: Interview) -> str:
    return interview.start.astimezone(UTC).strftime("%Y%m%dT%H%MZ")


def _day(at: datetime | None, cfg: Config) -> str:
    return at.astimezone(cfg.account.tz).strftime("%b %-d") if at else "an unknown date"
