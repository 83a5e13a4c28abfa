"""Every POLICY rule, with positive and negative cases, on hand-made facts."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from agent.businesstime import BusinessCalendar
from agent.facts import (
    AutoReply,
    Bounce,
    Deadline,
    DeadlineStated,
    Evidence,
    Fact,
    HumanReply,
    Interview,
    NoFollowUp,
    Offer,
    References,
    Rejection,
    UserWrote,
)
from agent.policy import (
    CLOSED,
    FOLLOW_UP_1,
    FOLLOW_UP_2,
    MOVED_ON,
    OPEN,
    PAUSED,
    THANK_YOU,
    Controls,
    decide,
)
from agent.rounds import FOLLOW_UPS
from agent.signals.tracking import Tracking
from tests.helpers import ME, conv, make_config, msg, t

CFG = make_config()
CAL = BusinessCalendar.from_config(CFG)
TRACK = Tracking(True, "test", "Acme")
RECRUITER = "ann@acme.com"
CONV = conv(msg(RECRUITER, "Interview", "see you", t(11, 20, 9), name="Ann Park"))


def fact(kind: type[Fact], at: datetime | None, mid: str = "<e@x>", **fields: object) -> Fact:
    return kind(at, Evidence(mid, f"{kind.kind} quote", at), **fields)


def interview(start: datetime, minutes: int = 60) -> Interview:
    end = start + timedelta(minutes=minutes)
    return Interview(end, Evidence("<e@x>", "interview quote", end), start=start, end=end, source="calendar",
                     summary="Interview")


def user(at: datetime) -> Fact:
    return fact(UserWrote, at, to=(RECRUITER,))


def human(at: datetime) -> Fact:
    return fact(HumanReply, at, sender=RECRUITER)


def deadline(at: datetime, last_day: date, phrase: str = "by the end of the month") -> Fact:
    return fact(DeadlineStated, at, deadline=Deadline(last_day, phrase))


NO_CONTROLS = Controls()


def run(facts: list[Fact], now: datetime, c=CONV, controls: Controls = NO_CONTROLS, skipped=None):  # type: ignore[no-untyped-def]
    return decide(c, TRACK, sorted(facts, key=lambda f: f.at), now, CFG, CAL, controls, skipped)


# --- thank-you -----------------------------------------------------------------------


def test_thank_you_due_two_hours_after_interview_end() -> None:
    d = run([interview(t(12, 1, 13))], now=t(12, 1, 15))  # Tue, ends 14:00
    assert d.state == OPEN and d.next is not None
    assert d.next.kind == THANK_YOU
    assert d.next.due == t(12, 1, 16)
    assert d.next.to == RECRUITER


def test_thank_you_after_hours_snaps_to_next_morning() -> None:
    d = run([interview(t(12, 1, 15))], now=t(12, 1, 17))  # ends 16:00 → 18:00 → Wed 09:00
    assert d.next is not None and d.next.due == t(12, 2, 9)


def test_thank_you_never_later_than_24h_after_interview() -> None:
    # Friday 16:00 end: snapping would give Monday 09:00, beyond the 24 h cap
    d = run([interview(t(12, 4, 15))], now=t(12, 4, 17))
    assert d.next is not None and d.next.due == t(12, 5, 16)
    assert any("capped" in a for a in d.next.arithmetic)


def test_thank_you_not_owed_when_user_already_wrote() -> None:
    d = run([interview(t(12, 1, 13)), user(t(12, 1, 15))], now=t(12, 1, 16))
    assert d.next is not None and d.next.kind == FOLLOW_UP_1


def test_user_message_before_interview_does_not_count_as_thank_you() -> None:
    d = run([user(t(11, 30, 10)), interview(t(12, 1, 13))], now=t(12, 1, 16))
    assert d.next is not None and d.next.kind == THANK_YOU


def test_upcoming_interview_shows_future_thank_you() -> None:
    d = run([interview(t(12, 3, 10))], now=t(12, 1, 9))
    assert d.state == OPEN and d.next is not None
    assert d.next.kind == THANK_YOU and d.next.due == t(12, 3, 13)
    assert "scheduled" in d.reason


def test_no_interview_nothing_owed() -> None:
    d = run([human(t(11, 20, 9))], now=t(12, 1, 9))
    assert d.state == OPEN and d.next is None


def test_no_follow_ups_wanted_means_not_even_a_thank_you() -> None:
    d = run([interview(t(12, 1, 13)), fact(NoFollowUp, t(12, 1, 9), rule="test")], now=t(12, 1, 16))
    assert d.next is None and "no follow-ups" in d.reason


# --- first follow-up -----------------------------------------------------------------


def test_follow_up_after_deadline_plus_a_week() -> None:
    facts = [interview(t(11, 16, 10)), user(t(11, 16, 15)), deadline(t(11, 17, 10), date(2026, 11, 30)),
             human(t(11, 17, 10)), user(t(11, 17, 12))]
    d = run(facts, now=t(12, 7, 12))
    assert d.next is not None and d.next.kind == FOLLOW_UP_1
    assert d.next.due == t(12, 8, 9)  # "exceeded by more than a week": Tue Dec 8, 09:00
    assert d.next.deadline_phrase == "by the end of the month"
    assert "end of the month" in d.reason


def test_human_reply_after_user_message_means_nothing_owed() -> None:
    facts = [interview(t(11, 16, 10)), user(t(11, 16, 15)), human(t(11, 17, 10))]
    d = run(facts, now=t(12, 20, 12))
    assert d.state == OPEN and d.next is None
    assert "answered" in d.reason


def test_follow_up_without_deadline_a_week_after_last_message() -> None:
    d = run([interview(t(12, 1, 10)), user(t(12, 1, 14))], now=t(12, 2, 9))
    assert d.next is not None and d.next.kind == FOLLOW_UP_1
    assert d.next.due == t(12, 8, 14)


def test_follow_up_due_on_weekend_snaps_to_monday() -> None:
    d = run([interview(t(12, 4, 9)), user(t(12, 5, 11))], now=t(12, 6, 9))  # Sat + 7 = Sat
    assert d.next is not None and d.next.due == t(12, 14, 9)


def test_follow_up_skips_christmas() -> None:
    facts = [interview(t(12, 1, 10)), user(t(12, 1, 14)), deadline(t(12, 1, 10), date(2026, 12, 17))]
    d = run(facts, now=t(12, 2, 9))
    # Dec 17 + 7 days → from Dec 25 00:00; Christmas is a holiday → Sat, Sun → Mon Dec 28
    assert d.next is not None and d.next.due == t(12, 28, 9)


def test_out_of_office_return_pushes_follow_up() -> None:
    facts = [interview(t(12, 1, 10)), user(t(12, 1, 14)),
             fact(AutoReply, t(12, 1, 14, 1), return_date=date(2026, 12, 10), sender=RECRUITER)]
    d = run(facts, now=t(12, 2, 9))
    assert d.next is not None and d.next.due == t(12, 11, 9)
    assert any("out-of-office" in a for a in d.next.arithmetic)


def test_out_of_office_is_not_a_reply() -> None:
    facts = [interview(t(12, 1, 10)), user(t(12, 1, 14)),
             fact(AutoReply, t(12, 1, 14, 1), return_date=None, sender=RECRUITER)]
    d = run(facts, now=t(12, 2, 9))
    assert d.next is not None and d.next.kind == FOLLOW_UP_1 and d.next.due == t(12, 8, 14)


def test_out_of_office_before_return_earlier_than_due_changes_nothing() -> None:
    facts = [interview(t(12, 1, 10)), user(t(12, 1, 14)),
             fact(AutoReply, t(12, 1, 14, 1), return_date=date(2026, 12, 2), sender=RECRUITER)]
    d = run(facts, now=t(12, 2, 9))
    assert d.next is not None and d.next.due == t(12, 8, 14)


def test_new_timeline_in_reply_replaces_old() -> None:
    facts = [interview(t(11, 2, 10)), user(t(11, 2, 15)), deadline(t(11, 3, 9), date(2026, 11, 13)),
             human(t(11, 3, 9)), user(t(11, 20, 9)), deadline(t(11, 21, 9), date(2026, 12, 4), "by Friday"),
             human(t(11, 21, 9)), user(t(11, 21, 10))]
    d = run(facts, now=t(11, 22, 9))
    # the message of Nov 20 was a check-in after their first timeline (issue 10): it was the first
    # follow-up, so the one the new timeline calls for is the second
    assert d.next is not None and d.next.kind == FOLLOW_UP_2
    assert d.next.due == t(12, 14, 9)  # Dec 4 + 7 → from Sat Dec 12 → Mon Dec 14


# --- second follow-up and moving on --------------------------------------------------


def _two_silences() -> list[Fact]:
    return [interview(t(11, 2, 10)), user(t(11, 2, 15)), user(t(11, 9, 15))]


def test_second_follow_up_a_week_after_first() -> None:
    d = run(_two_silences(), now=t(11, 10, 9))
    assert d.next is not None and d.next.kind == FOLLOW_UP_2 and d.next.due == t(11, 16, 15)


def test_after_two_follow_ups_nothing_more_then_moved_on() -> None:
    facts = [*_two_silences(), user(t(11, 16, 15))]
    d = run(facts, now=t(11, 20, 9))
    assert d.state == OPEN and d.next is None and "moving on" in d.reason
    d = run(facts, now=t(11, 23, 16))
    assert d.state == MOVED_ON and d.next is None


def test_company_message_reopens_moved_on_conversation() -> None:
    facts = [*_two_silences(), user(t(11, 16, 15)), human(t(12, 1, 10))]
    d = run(facts, now=t(12, 2, 9))
    assert d.state == OPEN and d.next is None and "answered" in d.reason


def test_new_interview_round_resets_the_count() -> None:
    facts = [*_two_silences(), user(t(11, 16, 15)), human(t(11, 24, 9)), interview(t(12, 1, 10))]
    d = run(facts, now=t(12, 1, 12))
    assert d.next is not None and d.next.kind == THANK_YOU
    assert d.round is not None and d.round.startswith("20261201")


def test_max_follow_ups_one() -> None:
    cfg = make_config(policy={"max_follow_ups": 1})
    d = decide(CONV, TRACK, [interview(t(11, 2, 10)), user(t(11, 2, 15)), user(t(11, 9, 15))],
               t(11, 17, 9), cfg, CAL)
    assert d.state == MOVED_ON


# --- closing -------------------------------------------------------------------------


@pytest.mark.parametrize("kind", [Rejection, Offer])
def test_rejection_and_offer_close(kind: type[Fact]) -> None:
    d = run([interview(t(11, 2, 10)), user(t(11, 2, 15)), fact(kind, t(11, 5, 9), rule="test")], now=t(11, 20, 9))
    assert d.state == CLOSED and d.next is None


def test_rejection_before_a_later_interview_does_not_close() -> None:
    d = run([fact(Rejection, t(10, 5, 9), rule="test"), interview(t(11, 2, 10))], now=t(11, 2, 12))
    assert d.state == OPEN and d.next is not None


def test_references_request_keeps_cadence() -> None:
    facts = [interview(t(12, 1, 10)), user(t(12, 1, 14)), fact(References, t(12, 2, 9)),
             human(t(12, 2, 9)), user(t(12, 2, 12))]
    d = run(facts, now=t(12, 3, 9))
    assert d.state == OPEN and d.next is not None and d.next.kind == FOLLOW_UP_1


# --- the user's controls and deleted drafts ------------------------------------------


def test_paused_and_closed_controls() -> None:
    d = run([interview(t(12, 1, 13))], now=t(12, 1, 16), controls=Controls(paused=True))
    assert d.state == PAUSED and d.next is None
    d = run([interview(t(12, 1, 13))], now=t(12, 1, 16), controls=Controls(closed="withdrew"))
    assert d.state == CLOSED


def test_snooze_moves_due() -> None:
    d = run([interview(t(12, 1, 13))], now=t(12, 1, 16), controls=Controls(snoozed_until=t(12, 3, 9)))
    assert d.next is not None and d.next.due == t(12, 3, 9)


def test_deleted_thank_you_moves_on_to_follow_up() -> None:
    iv = interview(t(12, 1, 10))
    d0 = run([iv], now=t(12, 1, 13))
    assert d0.round is not None
    d = run([iv], now=t(12, 2, 9), skipped={(d0.round, THANK_YOU): t(12, 1, 13)})
    assert d.next is not None and d.next.kind == FOLLOW_UP_1 and d.next.due == t(12, 8, 13)


def test_no_usable_recipient_is_explained() -> None:
    c = conv(msg("no-reply@acme.com", "Interview", "x", t(11, 20, 9)))
    d = run([interview(t(12, 1, 13))], now=t(12, 1, 16), c=c)
    assert d.next is not None and d.next.to is None
    assert d.no_recipient and "no-reply" in d.no_recipient


def test_bounced_address_is_unusable() -> None:
    c = conv(msg(RECRUITER, "Interview", "x", t(11, 20, 9)))
    facts = [interview(t(12, 1, 13)), fact(Bounce, t(12, 1, 9), addresses=(RECRUITER,))]
    d = run(facts, now=t(12, 1, 16), c=c)
    assert d.unusable == (RECRUITER,)
    assert d.next is not None and d.next.to is None


def test_user_address_never_recipient() -> None:
    c = conv(msg(ME, "Interview", "x", t(11, 20, 9), to=RECRUITER))
    d = run([interview(t(12, 1, 13))], now=t(12, 1, 16), c=c)
    assert d.next is not None and d.next.to == RECRUITER


def test_deadline_in_the_companys_zone() -> None:
    dl = fact(DeadlineStated, t(11, 17, 10), deadline=Deadline(date(2026, 12, 4), "by Friday 5pm PT",
                                                         "America/Los_Angeles"))
    facts = [interview(t(11, 16, 10)), user(t(11, 16, 15)), dl]
    d = run(facts, now=t(11, 20, 9))
    # Dec 11 ends at midnight Pacific = 03:00 Eastern on Sat Dec 12 → Monday 09:00
    assert d.next is not None and d.next.due == t(12, 14, 9)
    cfg = make_config(account={"timezone": "Asia/Tokyo"})
    dl = fact(DeadlineStated, t(11, 17, 10), deadline=Deadline(date(2026, 12, 7), "by Monday PT",
                                                         "America/Los_Angeles"))
    facts = [interview(t(11, 16, 10)), user(t(11, 16, 15)), dl]
    d = decide(CONV, TRACK, facts, t(11, 20, 9), cfg, BusinessCalendar.from_config(cfg))
    # Dec 14 ends at Pacific midnight = 17:00 Tue Dec 15 in Tokyo (after hours) → Wed 09:00;
    # read in Tokyo's own midnight it would have been Tue 09:00
    assert d.next is not None and d.next.due.isoformat() == "2026-12-16T09:00:00+09:00"


def test_company_writing_after_the_interview_means_no_thank_you_draft() -> None:
    d = run([interview(t(12, 1, 13)), human(t(12, 1, 14, 30))], now=t(12, 1, 16, 5))
    assert d.state == OPEN and d.next is None and "answered" in d.reason
    # once the user answers, a new silence starts: the first follow-up comes after it
    d = run([interview(t(12, 1, 13)), human(t(12, 1, 14, 30)), user(t(12, 1, 17))], now=t(12, 2, 9))
    assert d.next is not None and d.next.kind == FOLLOW_UP_1 and d.next.due == t(12, 9, 9)  # 17:00 is closing time


# --- the user's own messages use up what was owed, in order (issue 10) -----------------
#
# The reported case: Tue Dec 1 interview, thank-you the same day, and on Thu Dec 3 the company
# answers "we'll get back to you within two weeks" (Dec 17). Their date + a week is Christmas
# Day, so the check-in that answer calls for is due Mon Dec 28 09:00.


def said(at: datetime) -> Fact:
    """A message of the user's, with a Message-ID of its own."""
    return fact(UserWrote, at, f"<jordan-{at:%m%d%H%M}@gmail.com>", to=(RECRUITER,))


def answer(at: datetime, last_day: date | None = None, phrase: str = "within two weeks") -> list[Fact]:
    """A human reply from the company, stating a timeline when ``last_day`` is given."""
    mid = f"<ann-{at:%m%d%H%M}@acme.com>"
    out = [fact(HumanReply, at, mid, sender=RECRUITER)]
    if last_day is not None:
        out.append(fact(DeadlineStated, at, mid, deadline=Deadline(last_day, phrase)))
    return out


def _answered_with_timeline() -> list[Fact]:
    return [interview(t(12, 1, 10)), said(t(12, 1, 14)), *answer(t(12, 3, 10), date(2026, 12, 17))]


def test_answer_with_timeline_owes_the_first_follow_up_after_their_date() -> None:
    d = run(_answered_with_timeline(), now=t(12, 29, 9))
    assert d.next is not None and d.next.kind == FOLLOW_UP_1 and d.next.due == t(12, 28, 9)


def test_check_in_after_its_due_moment_is_the_first_follow_up_the_second_is_a_week_later() -> None:
    """The reported bug: the agent still owed the first follow-up, due in the past."""
    check_in = said(t(1, 4, 10, year=2027))
    d = run([*_answered_with_timeline(), check_in], now=t(1, 5, 9, year=2027))
    assert d.next is not None and d.next.kind == FOLLOW_UP_2
    assert d.next.due == t(1, 11, 10, year=2027)
    assert [u.step for u in d.used] == [THANK_YOU, FOLLOW_UP_1]
    assert d.used[-1].message_id == check_in.evidence.message_id and d.used[-1].at == check_in.at
    assert any("first follow-up is done: your check-in of Jan 4" in r for r in d.rules)


def test_check_in_before_its_due_moment_counts_too() -> None:
    # after their date (Dec 17), before the check-in fell due (Dec 28)
    d = run([*_answered_with_timeline(), said(t(12, 21, 10))], now=t(12, 21, 11))
    assert d.next is not None and d.next.kind == FOLLOW_UP_2 and d.next.due == t(12, 28, 10)


def test_check_in_before_their_own_date_counts_and_the_next_still_waits_for_it() -> None:
    # Thu Dec 10, a week before their date: the second follow-up is not due a week later, on
    # the very day they named, but once their date has passed by a week, like the first would be
    d = run([*_answered_with_timeline(), said(t(12, 10, 10))], now=t(12, 11, 9))
    assert d.next is not None and d.next.kind == FOLLOW_UP_2 and d.next.due == t(12, 28, 9)
    assert "within two weeks" in d.reason


def test_two_check_ins_use_both_follow_ups_then_moved_on() -> None:
    facts = [*_answered_with_timeline(), said(t(12, 21, 10)), said(t(12, 28, 10))]
    d = run(facts, now=t(12, 30, 9))
    assert d.state == OPEN and d.next is None and "moving on" in d.reason
    assert [u.step for u in d.used] == [THANK_YOU, *FOLLOW_UPS]
    assert run(facts, now=t(1, 4, 10, 30, year=2027)).state == MOVED_ON


def test_check_in_then_another_answer_with_a_timeline_owes_the_second_follow_up() -> None:
    facts = [*_answered_with_timeline(), said(t(12, 21, 10)), *answer(t(12, 22, 9), date(2027, 1, 8), "by January 8")]
    first = run(_answered_with_timeline(), now=t(12, 4, 9))
    d = run(facts, now=t(12, 22, 10))
    assert d.next is not None and d.next.kind == FOLLOW_UP_2
    # Jan 8 + 7 days: exceeded from Sat Jan 16; Mon Jan 18 is Martin Luther King Jr. Day
    assert d.next.due == t(1, 19, 9, year=2027)
    assert d.next.deadline_phrase == "by January 8"
    # a silence of its own: a draft made (or withdrawn) for the earlier one never stands in for it
    assert first.round is not None and d.round is not None and d.round != first.round
    assert d.round.split("~")[0] == first.round.split("~")[0]
    # your prompt thanks for their news is an answer, not another follow-up
    d = run([*facts, said(t(12, 22, 11))], now=t(12, 23, 9))
    assert d.next is not None and d.next.kind == FOLLOW_UP_2 and d.next.due == t(1, 19, 9, year=2027)


def test_check_in_then_an_answer_without_a_timeline_then_your_reply() -> None:
    facts = [*_answered_with_timeline(), said(t(12, 21, 10)), *answer(t(12, 22, 9))]
    d = run(facts, now=t(12, 22, 10))
    assert d.next is None and "nothing is owed until you write again" in d.reason
    d = run([*facts, said(t(12, 23, 10))], now=t(12, 23, 11))
    # your reply starts a new silence; the first follow-up is used already, so never again
    assert d.next is not None and d.next.kind == FOLLOW_UP_2 and d.next.due == t(12, 30, 10)


@pytest.mark.parametrize(("written", "kind"), [
    (t(12, 4, 17), FOLLOW_UP_1),  # the same evening: an answer to theirs
    (t(12, 7, 20), FOLLOW_UP_1),  # Monday evening, for a Friday answer: still an answer
    (t(12, 8, 9), FOLLOW_UP_2),  # later: a check-in, the first follow-up
])
def test_prompt_answer_to_a_timeline_is_a_reply_a_later_message_a_check_in(written: datetime, kind: str) -> None:
    facts = [interview(t(12, 1, 10)), said(t(12, 1, 14)), *answer(t(12, 4, 16), date(2026, 12, 18)), said(written)]
    d = run(facts, now=t(12, 9, 9))
    assert d.next is not None and d.next.kind == kind
    assert d.next.due == t(12, 28, 9)  # Dec 18 + 7 = Christmas Day → Mon Dec 28


def test_company_writes_first_with_a_timeline_your_answer_stands_in_for_the_thank_you() -> None:
    facts = [interview(t(12, 1, 10)), *answer(t(12, 1, 15), date(2026, 12, 15))]
    d = run([*facts, said(t(12, 1, 18))], now=t(12, 2, 9))
    assert d.next is not None and d.next.kind == FOLLOW_UP_1 and d.next.due == t(12, 23, 9)
    assert [u.step for u in d.used] == [THANK_YOU]
    # written two weeks later, your first message is a check-in: no thank-you, no first follow-up;
    # the next is due when their date + a week (Dec 23 00:00) and the week after it (Dec 23) meet
    d = run([*facts, said(t(12, 16, 10))], now=t(12, 16, 11))
    assert d.next is not None and d.next.kind == FOLLOW_UP_2 and d.next.due == t(12, 23, 9)
    assert [u.step for u in d.used] == [FOLLOW_UP_1]


def test_deleted_follow_up_counts_as_done_also_after_a_timeline_answer() -> None:
    facts = [interview(t(11, 2, 10)), said(t(11, 2, 15))]
    d0 = run(facts, now=t(11, 9, 16))
    assert d0.next is not None and d0.next.kind == FOLLOW_UP_1 and d0.round is not None
    skipped = {(d0.round, FOLLOW_UP_1): t(11, 10, 9)}
    d = run([*facts, *answer(t(11, 11, 10), date(2026, 11, 13), "by Friday")], now=t(11, 12, 9), skipped=skipped)
    # not a first follow-up again; their Friday + a week (Nov 21 → Mon Nov 23) is after the
    # week from the deleted draft (Nov 17)
    assert d.next is not None and d.next.kind == FOLLOW_UP_2 and d.next.due == t(11, 23, 9)
    assert [u.message_id for u in d.used] == ["<jordan-11021500@gmail.com>", None]


def test_your_answer_after_an_old_timeline_passed_is_not_followed_up_at_once() -> None:
    # they said "by the end of the month" before the interview; on Dec 8 they write without a
    # new date and you answer at noon: the first follow-up is a week after your answer, not the
    # Dec 8 09:00 the old date gave (which was already past when you wrote)
    facts = [deadline(t(11, 24, 9), date(2026, 11, 30)), interview(t(12, 1, 13)), said(t(12, 1, 17)),
             *answer(t(12, 8, 10)), said(t(12, 8, 12))]
    d = run(facts, now=t(12, 8, 13))
    assert d.next is not None and d.next.kind == FOLLOW_UP_1 and d.next.due == t(12, 15, 12)
    assert any("later still" in a for a in d.next.arithmetic)
    # and its round key is that of the silence after their answer, not the one before it
    before = run(facts[:3], now=t(12, 8, 9, 5))
    assert before.next is not None and before.next.round != d.next.round


def test_late_thank_you_after_their_date_waits_a_week() -> None:
    # the date (Nov 30) + a week is Dec 8, the day after the thank-you: not due until a week after it
    facts = [deadline(t(11, 24, 9), date(2026, 11, 30)), interview(t(12, 7, 10)), said(t(12, 7, 14))]
    d = run(facts, now=t(12, 8, 9))
    assert d.next is not None and d.next.kind == FOLLOW_UP_1 and d.next.due == t(12, 14, 14)


def test_thank_you_then_timeline_reached_on_the_day_a_week_after_keeps_their_date() -> None:
    # established: their date + a week (Dec 8 00:00) governs when it falls on the day a week after
    # your message (Dec 1 17:00 + 7 days): due Dec 8 09:00, not 17:00
    facts = [deadline(t(11, 24, 9), date(2026, 11, 30)), interview(t(12, 1, 13)), said(t(12, 1, 17))]
    d = run(facts, now=t(12, 2, 9))
    assert d.next is not None and d.next.kind == FOLLOW_UP_1 and d.next.due == t(12, 8, 9)


def test_deleted_thank_you_then_your_own_soon_after_is_the_thank_you() -> None:
    iv = interview(t(12, 1, 10))
    skipped = {(run([iv], now=t(12, 1, 12)).round, THANK_YOU): t(12, 1, 16, 5)}
    d = run([iv, said(t(12, 1, 18))], now=t(12, 2, 9), skipped=skipped)
    assert [(u.step, u.message_id) for u in d.used] == [(THANK_YOU, "<jordan-12011800@gmail.com>")]
    assert d.next is not None and d.next.kind == FOLLOW_UP_1 and d.next.due == t(12, 9, 9)  # Dec 8 18:00 → Wed


def test_deleted_thank_you_then_the_follow_up_sent_a_week_later_is_the_first_follow_up() -> None:
    # found by the property test: the message used to count as the thank-you, leaving the
    # first follow-up owed again (and never drafted: the engine had made it once)
    iv = interview(t(12, 1, 10))
    skipped = {(run([iv], now=t(12, 1, 12)).round, THANK_YOU): t(12, 1, 16, 5)}
    d = run([iv, said(t(12, 8, 16, 5))], now=t(12, 8, 17), skipped=skipped)
    assert [u.step for u in d.used] == [THANK_YOU, FOLLOW_UP_1]
    assert d.next is not None and d.next.kind == FOLLOW_UP_2 and d.next.due == t(12, 15, 16, 5)
