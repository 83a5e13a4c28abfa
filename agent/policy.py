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
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from agent.businesstime import BusinessCalendar
from agent.config import Config
from agent.model import Conversation, Fact
from agent.recipients import choose_recipient
from agent.signals import events as E
from agent.signals.tracking import Tracking

THANK_YOU = "thank_you"
FOLLOW_UP_1 = "follow_up_1"
FOLLOW_UP_2 = "follow_up_2"
STEPS = (THANK_YOU, FOLLOW_UP_1, FOLLOW_UP_2)

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
    interview: dict[str, Any] | None = None
    unusable: tuple[str, ...] = ()  # bounced addresses
    no_recipient: str | None = None  # why a due draft cannot be written
    tracked_because: str = ""
    facts: tuple[Fact, ...] = field(default=(), repr=False)


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
    unusable = tuple(sorted({a for f in facts if f.kind == E.BOUNCE for a in f.data["addresses"]}))

    def out(state: str, reason: str, nxt: NextStep | None = None, **kw: Any) -> Decision:
        return Decision(**base, state=state, next=nxt, reason=reason, rules=tuple(rules),
                        unusable=unusable, facts=tuple(facts), **kw)

    past = [f for f in facts if (f.at is None or f.at <= now)]
    if controls.closed:
        return out(CLOSED, f"Closed: {controls.closed_by} ({controls.closed}).")
    for kind, state_reason in ((E.OFFER, "closed with an offer"), (E.REJECTION, "closed: the company declined")):
        hits = [f for f in past if f.kind == kind]
        if hits:
            f = hits[-1]
            later_interview = [i for i in past if i.kind == E.INTERVIEW and i.at and f.at and i.at > f.at]
            if not later_interview:
                rules.append(f"{kind}: {f.evidence.quote!r}")
                return out(CLOSED, f"{state_reason.capitalize()} on {_day(f.at, cfg=config)}: "
                                   f"\u201c{f.evidence.quote.rstrip('.')}\u201d.")
    if controls.paused:
        return out(PAUSED, f"Paused: {controls.paused_by}; nothing is drafted until it is resumed.")

    interviews = sorted((f for f in facts if f.kind == E.INTERVIEW), key=lambda f: f.data["start"])
    held = [i for i in interviews if i.data["end"] <= now]
    upcoming = [i for i in interviews if i.data["end"] > now]
    if not held:
        if upcoming:
            i = upcoming[0]
            rules.append(f"interview scheduled {_fmt(i.data['start'], config)}")
            ty_due, arith = _thank_you_due(i.data["end"], config, cal)
            to, why = choose_recipient(conv, config, unusable)
            nxt = NextStep(THANK_YOU, ty_due, to, _round_key(i), arithmetic=tuple(arith))
            return out(OPEN, f"Interview scheduled for {_fmt(i.data['start'], config)}; "
                             f"a thank-you will be due after it.", nxt, interview=_iv(i),
                       round=_round_key(i))
        return out(OPEN, "No interview yet: nothing is owed until one is held.")

    rnd = held[-1]
    rkey = _round_key(rnd)
    end: datetime = rnd.data["end"]
    rules.append(f"round opened by the interview of {_fmt(rnd.data['start'], config)} "
                 f"({rnd.data['source']}: {rnd.evidence.quote})")
    prev_end = held[-2].data["end"] if len(held) > 1 else None
    in_round = [f for f in past if f.at is not None and f.at >= end]

    no_fu = [f for f in past if f.kind == E.NO_FOLLOW_UP and (prev_end is None or (f.at and f.at > prev_end))]
    if no_fu:
        rules.append(f"no follow-ups wanted: {no_fu[-1].evidence.quote!r}")
        return out(OPEN, f"They asked for no follow-ups (\u201c{no_fu[-1].evidence.quote}\u201d); "
                         "nothing will be drafted.", round=rkey, interview=_iv(rnd))

    deadlines = [f for f in past if f.kind == E.DEADLINE and (prev_end is None or (f.at and f.at > prev_end))]
    thank_you_at: datetime | None = None
    follow_ups: list[datetime] = []
    last_user: datetime | None = None
    answered: Fact | None = None
    for f in in_round:
        if f.kind == E.USER_WROTE:
            assert f.at is not None
            if thank_you_at is None:
                thank_you_at = f.at
            elif answered is None:
                follow_ups.append(f.at)
            last_user, answered = f.at, None
        elif f.kind == E.HUMAN_REPLY:
            answered = f  # a new timeline in it replaces the old one: deadlines[-1] below
    skipped_ty = skipped.get((rkey, THANK_YOU))
    if thank_you_at is None and skipped_ty is None and answered is None:
        to, why = choose_recipient(conv, config, unusable)
        due, arith = _thank_you_due(end, config, cal)
        rules.append("thank-you owed once per round; you have not written since the interview")
        nxt = NextStep(THANK_YOU, _snooze(due, controls, arith, cal), to, rkey, arithmetic=tuple(arith))
        return out(OPEN, f"Interview held {_fmt(end, config)}; a thank-you is owed.", nxt,
                   round=rkey, interview=_iv(rnd), no_recipient=None if to else why)

    # a timeline stated in the company's last answer: their own words start a new silence
    answer_timeline = None if answered is None else next(
        (d for d in reversed(deadlines) if d.evidence.message_id == answered.evidence.message_id), None)
    if answered is not None and (answer_timeline is None or len(follow_ups) >= pc.max_follow_ups):
        # POLICY: a human reply means nothing is owed until a new silence starts -- this
        # includes a thank-you not yet sent: their message wants your own answer, and an
        # untouched draft of ours is withdrawn
        rules.append(f"the company answered on {_day(answered.at, cfg=config)} after your last message")
        return out(OPEN, f"{answered.data.get('from', 'The company')} answered on "
                         f"{_day(answered.at, cfg=config)}; nothing is owed until you write again.",
                   round=rkey, interview=_iv(rnd))
    if answered is not None:
        # POLICY ("a new timeline in it replaces the old one"; the seed: when their own timeline
        # passes by more than a week, one check-in is fine): the silence after an answer that
        # stated a timeline is a new one. Its drafts carry their own round key, so that a draft
        # withdrawn because of the answer does not stand in for the check-in the new timeline
        # may call for.
        assert answered.at is not None and answer_timeline is not None
        rules.append(f"the company answered on {_day(answered.at, cfg=config)} with a timeline: "
                     f"\u201c{answer_timeline.data['phrase']}\u201d")
        rkey = f"{rkey}~{hashlib.sha256(answered.evidence.message_id.encode()).hexdigest()[:10]}"
        deadlines = [answer_timeline]

    # silence since the user's last message (or since a thank-you they chose not to send,
    # or since the company's answer that stated a timeline)
    anchor = (answered.at if answered is not None else None) or last_user or skipped_ty or end
    for step in (FOLLOW_UP_1, FOLLOW_UP_2):
        if (rkey, step) in skipped and len(follow_ups) < STEPS.index(step):
            follow_ups.append(skipped[(rkey, step)])  # "not this one": count it as done
    n = len(follow_ups)
    if n >= pc.max_follow_ups:
        last = follow_ups[-1] if follow_ups else anchor
        moved = _plus(last, pc.move_on_after, config)
        rules.append(f"{n} follow-up(s) already sent this round (at most {pc.max_follow_ups})")
        if now >= moved:
            return out(MOVED_ON, f"No answer to {n} follow-up(s); moved on {_fmt(moved, config)}. "
                                 "A message from them reopens it.", round=rkey, interview=_iv(rnd))
        return out(OPEN, f"{n} follow-up(s) sent; if nothing comes back, moving on "
                         f"{_fmt(moved, config)}.", round=rkey, interview=_iv(rnd))

    step = FOLLOW_UP_1 if n == 0 else FOLLOW_UP_2
    arith = []
    deadline = deadlines[-1] if deadlines else None
    if deadline is not None and (step == FOLLOW_UP_1 or answered is not None):
        # the first follow-up waits for the stated timeline; after an answer that stated one,
        # whichever follow-up comes next waits for it too
        last_day: date = deadline.data["last_day"]
        # the day ends in the zone the company's words were in (e.g. "by Friday, 5pm PT")
        zone = ZoneInfo(deadline.data["tz"]) if deadline.data.get("tz") else None
        raw = cal.end_of_day(last_day + pc.deadline_grace, tz=zone)
        arith.append(f"decision timeline \u201c{deadline.data['phrase']}\u201d → last day {last_day:%a %b %-d %Y}")
        arith.append(f"+ {pc.deadline_grace.days} days grace, exceeded from {_fmt(raw, config)}")
        rules.append(f"{'first' if step == FOLLOW_UP_1 else 'next'} follow-up: the stated timeline passed "
                     "by more than the grace period")
    elif step == FOLLOW_UP_1:
        raw = _plus(anchor, pc.no_deadline_wait, config)
        arith.append(f"no timeline stated: your last message {_fmt(anchor, config)} + "
                     f"{pc.no_deadline_wait.days} days = {_fmt(raw, config)}")
        rules.append("first follow-up: no timeline known, a week after your last message")
    else:
        raw = _plus(follow_ups[-1], pc.second_follow_up_wait, config)
        arith.append(f"first follow-up {_fmt(follow_ups[-1], config)} + "
                     f"{pc.second_follow_up_wait.days} days = {_fmt(raw, config)}")
        rules.append("second follow-up: a week after the first with no answer")
    due, snap_note = cal.describe_snap(raw)
    if due != raw:
        arith.append(f"snapped to the next business moment {_fmt(due, config)}"
                     + (f" ({snap_note})" if snap_note else ""))
    deadline_phrase: str | None = deadline.data["phrase"] if deadline else None
    ooo = [f for f in in_round if f.kind == E.AUTO_REPLY and f.at and f.at >= anchor and f.data.get("return_date")]
    if ooo:
        back: date = max(f.data["return_date"] for f in ooo)
        after = cal.next_business_day_start(back)
        if after > due:
            due = after
            arith.append(f"out-of-office until {back:%a %b %-d}: moved to {_fmt(due, config)}")
            rules.append("an out-of-office return date pushes the draft past the return")
    to, why_none = choose_recipient(conv, config, unusable)
    nxt = NextStep(step, _snooze(due, controls, arith, cal), to, rkey,
                   deadline_phrase=deadline_phrase,
                   deadline_day=deadline.data["last_day"] if deadline else None,
                   arithmetic=tuple(arith))
    label = "first follow-up" if step == FOLLOW_UP_1 else "second follow-up"
    why_text = (f"they expected to decide by {deadline.data['last_day']:%b %-d} "
                f"(\u201c{deadline.data['phrase']}\u201d)" if deadline and (step == FOLLOW_UP_1 or answered)
                else "no answer since your last message")
    return out(OPEN, f"Waiting on the company: {why_text}; {label} due {_fmt(nxt.due, config)}.",
               nxt, round=rkey, interview=_iv(rnd), no_recipient=None if to else why_none)


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


def _round_key(interview: Fact) -> str:
    start: datetime = interview.data["start"]
    return start.astimezone(UTC).strftime("%Y%m%dT%H%MZ")


def _iv(f: Fact) -> dict[str, Any]:
    return {"start": f.data["start"], "end": f.data["end"], "source": f.data["source"],
            "summary": f.data.get("summary")}


def _day(at: datetime | None, cfg: Config) -> str:
    return at.astimezone(cfg.account.tz).strftime("%b %-d") if at else "an unknown date"
