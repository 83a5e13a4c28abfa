"""policy.current_round on its own: which interview opened the round, and what carries into it."""

from __future__ import annotations

from datetime import date

from agent.facts import Fact, NoFollowUp
from agent.policy import THANK_YOU, current_round
from tests.helpers import t
from tests.test_policy import CAL, CFG, deadline, fact, human, interview, user


def _round(facts: list[Fact], now):  # type: ignore[no-untyped-def]
    return current_round(sorted(facts, key=lambda f: f.at), now, CFG, CAL, {})


def test_no_round_before_an_interview_is_held() -> None:
    assert _round([], t(12, 1, 9)) is None
    assert _round([human(t(11, 20, 9)), interview(t(12, 2, 10))], t(12, 1, 9)) is None  # still ahead


def test_the_last_interview_held_opens_the_round_with_what_came_after_it() -> None:
    first, second, later = interview(t(11, 10, 10)), interview(t(11, 20, 10)), interview(t(12, 10, 10))
    thanks, answer = user(t(11, 20, 15)), human(t(11, 21, 9))
    cur = _round([first, user(t(11, 10, 15)), second, thanks, answer, later], t(11, 25, 9))
    assert cur is not None
    assert cur.interview == second and cur.key == "20261120T1500Z"
    assert cur.facts == (second, thanks, answer)  # from its own end; the later interview not yet
    assert [u.step for u in cur.accounting.used] == [THANK_YOU]
    assert cur.accounting.answer == answer


def test_what_the_company_said_since_the_previous_round_carries_into_this_one() -> None:
    stated = deadline(t(11, 12, 9), date(2026, 11, 30))
    before_both = fact(NoFollowUp, t(11, 2, 9), rule="test")
    between = fact(NoFollowUp, t(11, 12, 10), "<between@x>", rule="test")
    cur = _round([before_both, interview(t(11, 10, 10)), stated, interview(t(11, 20, 10))], t(11, 25, 9))
    assert cur is not None and cur.no_follow_up is None  # said before the previous round: superseded
    assert cur.accounting.deadline == stated  # a timeline stated between the two interviews governs
    cur = _round([interview(t(11, 10, 10)), between, interview(t(11, 20, 10))], t(11, 25, 9))
    assert cur is not None and cur.no_follow_up == between


def test_a_single_round_reads_everything_said_before_it() -> None:
    stated, only = deadline(t(11, 1, 9), date(2026, 11, 30)), interview(t(11, 10, 10))
    cur = _round([stated, only], t(11, 25, 9))
    assert cur is not None and cur.accounting.deadline == stated and cur.facts == (only,)
