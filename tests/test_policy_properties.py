"""Properties of the round accounting, over generated message sequences (issue 10, scope 3).

One interview, then a few weeks of mail at random moments: the user's own
messages, the company's human replies with or without a timeline, automatic
replies, and the user deleting a draft of ours that had fallen due. decide()
runs at many moments over that span, and each answer is checked against what
can be said from the mail alone, without the policy's arithmetic:

- no step is owed twice in a round: the next step is never one already used
  up, and what is used up only ever grows, in order (thank-you, first and
  second follow-up), at most two follow-ups;
- no thank-you once the user wrote after the interview;
- no first follow-up once the user has followed up: a second message of theirs
  with no company reply in between, or a message long after the company's
  answer with a timeline (long enough that it cannot be their reply to it),
  or a follow-up draft of ours they deleted;
- a follow-up is never due before the user's last message + the wait (when a
  stated timeline governs, the wait counts in whole days: never before the
  start of that day);
- the user sending the step at its due moment always moves the round on to
  the next step, or to moving on (and moved on a week later).

The examples are bounded (at most eight events, about thirty moments each) so
the test runs in a few seconds; nothing here measures time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agent.facts import AutoReply, Deadline, DeadlineStated, Fact, HumanReply, Interview, UserWrote
from agent.policy import (
    FOLLOW_UP_1,
    FOLLOW_UP_2,
    MOVED_ON,
    OPEN,
    STEPS,
    THANK_YOU,
    Decision,
    decide,
)
from tests.helpers import NY, t
from tests.test_policy import CAL, CFG, CONV, RECRUITER, TRACK, fact, interview

WEEK = timedelta(days=7)
# Longer than any "prompt answer" can be: the end of the next business day after their
# answer is at most five days later (Thanksgiving on a Thursday, then the weekend).
SURELY_NOT_A_REPLY = timedelta(days=8)
SPAN = timedelta(weeks=7)


@dataclass(frozen=True)
class Event:
    kind: str  # "user" | "human" | "timeline" | "auto" | "delete"
    at: datetime
    days: int  # the timeline's length, or the out-of-office's

    def facts(self, i: int) -> list[Fact]:
        if self.kind == "user":
            return [fact(UserWrote, self.at, f"<jordan-{i}@gmail.com>", to=(RECRUITER,))]
        if self.kind == "auto":
            back = self.at.astimezone(NY).date() + timedelta(days=self.days % 12) if self.days % 3 else None
            return [fact(AutoReply, self.at, f"<ooo-{i}@acme.com>", return_date=back, sender=RECRUITER)]
        if self.kind in ("human", "timeline"):
            mid = f"<ann-{i}@acme.com>"
            out = [fact(HumanReply, self.at, mid, sender=RECRUITER)]
            if self.kind == "timeline":
                last = self.at.astimezone(NY).date() + timedelta(days=self.days)
                out.append(fact(DeadlineStated, self.at, mid, deadline=Deadline(last, f"within {self.days} days")))
            return out
        return []


@dataclass(frozen=True)
class Story:
    """One round's mail: the facts (with the times the user deleted a draft of ours)."""

    iv: Interview
    prior: Fact | None  # a timeline stated before the interview (in the invitation)
    events: tuple[Event, ...]

    @property
    def end(self) -> datetime:
        return self.iv.end

    def facts_until(self, now: datetime) -> list[Fact]:
        out = [self.iv] + ([self.prior] if self.prior else [])
        for i, e in enumerate(self.events):
            if e.at <= now:
                out.extend(e.facts(i))
        return sorted(out, key=lambda f: (f.at, f.kind))


@st.composite
def stories(draw: st.DrawFn) -> Story:
    start = t(11, 2, 9) + timedelta(days=draw(st.integers(0, 50)), hours=draw(st.integers(0, 8)))
    iv = interview(start)
    prior = None
    offset = draw(st.none() | st.integers(-14, 21))
    if offset is not None:
        prior = fact(DeadlineStated, start - timedelta(days=5), "<invitation@acme.com>",
                     deadline=Deadline(start.date() + timedelta(days=offset), "by the date we said"))
    kinds = st.sampled_from(["user", "user", "user", "human", "timeline", "timeline", "auto", "delete"])
    raw = draw(st.lists(st.tuples(kinds, st.integers(0, int(SPAN.total_seconds() // 60)), st.integers(1, 30)),
                        max_size=8))
    end = iv.end
    events = sorted({Event(k, end + timedelta(minutes=m), d) for k, m, d in raw}, key=lambda e: (e.at, e.kind))
    return Story(iv, prior, tuple(events))


def _decide(facts: list[Fact], now: datetime, skipped: dict[tuple[str, str], datetime]) -> Decision:
    known = {k: at for k, at in skipped.items() if at <= now}
    return decide(CONV, TRACK, facts, now, CFG, CAL, skipped=known)


def _deletions(story: Story) -> dict[tuple[str, str], datetime]:
    """At each "delete" event the user decides to delete the draft of the step owed then, once it
    is there: at its due moment (or at once, when it is overdue), unless a message in either
    direction comes first (the engine would have called that sent, or withdrawn the draft)."""
    skipped: dict[tuple[str, str], datetime] = {}
    for e in story.events:
        if e.kind != "delete":
            continue
        d = _decide(story.facts_until(e.at), e.at, skipped)
        if d.state != OPEN or d.next is None:
            continue
        at = max(d.next.due, e.at)
        if not any(e.at < x.at <= at for x in story.events if x.kind in ("user", "human", "timeline")):
            skipped.setdefault((d.next.round, d.next.kind), at)
    return skipped


def _moments(story: Story) -> list[datetime]:
    around = [e.at + timedelta(minutes=m) for e in story.events for m in (-1, 1)]
    last = max([story.end, *(e.at for e in story.events)])
    grid = [story.end + timedelta(hours=31 * i) for i in range(int((last - story.end + 3 * WEEK) / timedelta(hours=31)))]
    return sorted({m for m in [*around, *grid] if m > story.end})


def _followed_up(story: Story, now: datetime, skipped: dict[tuple[str, str], datetime]) -> bool:
    """Whether, from the mail alone, the user has certainly sent (or declined) a follow-up by ``now``."""
    if any(step in (FOLLOW_UP_1, FOLLOW_UP_2) and at <= now for (_key, step), at in skipped.items()):
        return True
    previous: Event | None = None
    for e in story.events:
        if e.at > now or e.kind in ("auto", "delete"):
            continue
        after_yours = previous is not None and previous.kind == "user"
        long_after_their_timeline = (previous is not None and previous.kind == "timeline"
                                     and e.at - previous.at > SURELY_NOT_A_REPLY)
        if e.kind == "user" and (after_yours or long_after_their_timeline):
            return True
        previous = e
    return False


def _check_due(d: Decision, story: Story, now: datetime) -> None:
    assert d.next is not None
    mine = [e.at for e in story.events if e.kind == "user" and e.at <= now]
    if not mine:
        return
    after_week = (mine[-1].astimezone(NY) + WEEK).astimezone(NY)
    timeline = story.prior is not None or any(e.kind == "timeline" and e.at <= now for e in story.events)
    floor = datetime.combine(after_week.date(), datetime.min.time(), NY) if timeline else after_week
    assert d.next.due >= floor > mine[-1], (d.next, mine[-1], d.rules)


def _check_sending_moves_on(d: Decision, story: Story, now: datetime, skipped: dict[tuple[str, str], datetime]
                            ) -> None:
    """The user sends the owed step at its due moment (or now, when it is overdue).

    A branch of the story from ``now``: nothing generated after ``now`` happens in it, the
    deletions included."""
    assert d.next is not None
    sent = max(d.next.due, now)
    skipped = {k: at for k, at in skipped.items() if at <= now}
    facts = [*story.facts_until(now), fact(UserWrote, sent, "<jordan-sent@gmail.com>", to=(RECRUITER,))]
    after = _decide(facts, sent + timedelta(minutes=1), skipped)
    assert d.next.kind in [u.step for u in after.used], (d.next, after.rules)
    following = STEPS[STEPS.index(d.next.kind) + 1] if d.next.kind != FOLLOW_UP_2 else None
    assert after.state == OPEN
    assert (after.next.kind if after.next else None) == following, (d.next, after.next, after.rules)
    if after.next is not None:
        assert after.next.due > sent
    else:
        assert _decide(facts, sent + WEEK + timedelta(minutes=1), skipped).state == MOVED_ON


@settings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(stories())
def test_no_step_is_owed_twice_and_each_message_moves_the_round_on(story: Story) -> None:
    skipped = _deletions(story)
    used_before: tuple[str, ...] = ()
    for now in _moments(story):
        d = _decide(story.facts_until(now), now, skipped)
        used = tuple(u.step for u in d.used)
        assert len(set(used)) == len(used) and list(used) == sorted(used, key=STEPS.index), used
        assert used[: len(used_before)] == used_before, (used_before, used)  # what is done stays done
        used_before = used
        if d.state == MOVED_ON:
            assert FOLLOW_UP_2 in used
        if d.next is None:
            continue
        assert d.state == OPEN and d.next.kind not in used
        if any(e.kind == "user" and e.at <= now for e in story.events):
            assert d.next.kind != THANK_YOU
        if _followed_up(story, now, skipped):
            assert d.next.kind not in (THANK_YOU, FOLLOW_UP_1), (d.next, d.rules)
        if d.next.kind != THANK_YOU:
            _check_due(d, story, now)
        _check_sending_moves_on(d, story, now, skipped)


def test_the_generator_reaches_the_reported_case() -> None:
    """A guard on the generator itself: the reported sequence is one it can produce, and the
    properties above hold for it."""
    iv = interview(t(12, 1, 10))
    end = iv.end
    story = Story(iv, None, (Event("user", t(12, 1, 14), 1), Event("timeline", t(12, 3, 10), 14),
                             Event("user", t(1, 4, 10, year=2027), 1)))
    stated = story.events[1].facts(1)[1]
    assert isinstance(stated, DeadlineStated) and stated.deadline.last_day == date(2026, 12, 17)
    assert all(e.at - end < SPAN for e in story.events)
    d = _decide(story.facts_until(t(1, 5, 9, year=2027)), t(1, 5, 9, year=2027), {})
    assert d.next is not None and d.next.kind == FOLLOW_UP_2
    assert _followed_up(story, t(1, 5, 9, year=2027), {})
    test_no_step_is_owed_twice_and_each_message_moves_the_round_on.hypothesis.inner_test(story)  # type: ignore[attr-defined]


# --- changes_at: a decision holds until then (issue 15: a poll with nothing new skips deciding) ---

TINY = timedelta(microseconds=1)


def _holds_until_it_changes(facts: list[Fact], now: datetime, skipped: dict[tuple[str, str], datetime]
                            ) -> Decision:
    """decide() at ``now`` and at moments up to just before its ``changes_at``, on the same
    inputs, gives the same decision (every field, ``changes_at`` included)."""
    d = decide(CONV, TRACK, facts, now, CFG, CAL, skipped=skipped)
    until = d.changes_at
    assert until is None or until > now
    end = until if until is not None else now + timedelta(days=400)
    for later in (now + TINY, now + (end - now) / 3, now + (end - now) / 2, end - TINY):
        again = decide(CONV, TRACK, facts, later, CFG, CAL, skipped=skipped)
        assert again == d, (now, later, d.reason, again.reason)
    return d


@settings(max_examples=120, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(stories())
def test_a_decision_holds_until_its_changes_at(story: Story) -> None:
    skipped = _deletions(story)
    before = [story.iv.start - timedelta(days=3), story.iv.start + timedelta(minutes=5)]
    changes: list[datetime] = []
    for now in [*before, *_moments(story)]:
        known = {k: at for k, at in skipped.items() if at <= now}
        d = _holds_until_it_changes(story.facts_until(now), now, known)
        if d.next is not None and d.next.due > now:
            assert d.changes_at is not None and d.changes_at <= d.next.due
        if d.changes_at is not None:
            changes.append(d.changes_at)
    assert changes  # the interview (at least) was ahead of the first moment


def test_changes_at_names_the_step_falling_due_the_interview_ending_and_moving_on() -> None:
    """The moments the policy compares ``now`` with, each seen as a decision's changes_at."""
    iv = interview(t(12, 1, 10))
    before = decide(CONV, TRACK, [iv], t(11, 30, 9), CFG, CAL)
    assert before.changes_at == iv.start  # the interview's start is its first moment
    during = decide(CONV, TRACK, [iv], iv.start + timedelta(minutes=10), CFG, CAL)
    assert during.changes_at == iv.end
    after = decide(CONV, TRACK, [iv], iv.end + timedelta(minutes=1), CFG, CAL)
    assert after.next is not None and after.changes_at == after.next.due
    sent = [iv, fact(UserWrote, t(12, 1, 15), "<ty@gmail.com>", to=(RECRUITER,)),
            fact(UserWrote, t(12, 9, 10), "<f1@gmail.com>", to=(RECRUITER,)),
            fact(UserWrote, t(12, 16, 10), "<f2@gmail.com>", to=(RECRUITER,))]
    waiting = decide(CONV, TRACK, sent, t(12, 17, 10), CFG, CAL)
    assert waiting.state == OPEN and waiting.next is None and waiting.changes_at is not None
    assert decide(CONV, TRACK, sent, waiting.changes_at, CFG, CAL).state == MOVED_ON
    assert decide(CONV, TRACK, sent, waiting.changes_at - TINY, CFG, CAL).state == OPEN
    moved = decide(CONV, TRACK, sent, waiting.changes_at + timedelta(days=30), CFG, CAL)
    assert moved.state == MOVED_ON and moved.changes_at is None  # only new mail changes it now
