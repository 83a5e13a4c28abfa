"""The job search's figures: the funnel, the rates, the medians, week by week. Pure.

Computed from :class:`agent.pipeline.Row` values (so from the state alone); the
text (agent/report_text.py) and the HTML page (agent/report_html.py) only
render a :class:`Report`. Definitions, as the report states them:

* response rate: of the conversations the user opened (an application), the
  share in which a person at the company answered (automatic answers do not count);
* interview rate: of all conversations, the share with an interview held;
* days to first reply: from the user's first message to the first answer of a person;
* between stages: first contact to the first interview, one interview to the
  next, the last interview to the offer or rejection.
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from agent.pipeline import Row

__all__ = ["Report", "Week", "make_report"]


@dataclass(frozen=True)
class Week:
    """One week (Monday to Sunday, in the user's zone) of activity."""

    monday: date
    new: int  # conversations whose first message fell in it
    sent: int  # the user's messages
    received: int  # the company's messages
    interviews: int  # interviews held


@dataclass(frozen=True)
class Report:
    conversations: int
    stages: dict[str, int]  # every stage of agent.pipeline.STAGES reached now, with its count
    applications: int  # conversations the user opened
    responded: int  # of those, how many a person at the company answered
    interviewed: int  # conversations with an interview held
    interviews: int  # interviews held in all
    offers: int
    rejections: int
    rejected_after: dict[int, int]  # interviews held before the rejection → how many
    withdrew: int
    moved_on: int
    response_rate: float | None
    interview_rate: float | None
    median_days_to_reply: float | None
    median_days_to_first_interview: float | None
    median_days_between_interviews: float | None
    median_days_to_outcome: float | None
    weeks: tuple[Week, ...]
    rows: tuple[Row, ...]


def _days(a: datetime, b: datetime) -> float:
    return (b - a).total_seconds() / 86400


def _median(values: Sequence[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 3) if whole else None


def make_report(rows: Sequence[Row]) -> Report:
    """The figures of these rows."""
    stages = Counter(r.stage for r in rows)
    apps = [r for r in rows if r.user_started]
    rejected = [r for r in rows if r.stage == "rejected"]
    interviewed = [r for r in rows if r.interviews]
    return Report(
        conversations=len(rows), stages=dict(stages), applications=len(apps),
        responded=sum(1 for r in apps if r.first_reply is not None),
        interviewed=len(interviewed), interviews=sum(len(r.interviews) for r in rows),
        offers=stages["offer"], rejections=len(rejected),
        rejected_after=dict(sorted(Counter(r.rejected_after_round or 0 for r in rejected).items())),
        withdrew=stages["withdrew"], moved_on=stages["moved on"],
        response_rate=_rate(sum(1 for r in apps if r.first_reply is not None), len(apps)),
        interview_rate=_rate(len(interviewed), len(rows)),
        median_days_to_reply=_median([r.days_to_first_reply for r in rows if r.days_to_first_reply is not None]),
        median_days_to_first_interview=_median([_days(r.first_contact, r.interviews[0]) for r in interviewed
                                                if r.first_contact is not None]),
        median_days_between_interviews=_median([_days(a, b) for r in rows
                                                for a, b in zip(r.interviews, r.interviews[1:], strict=False)]),
        median_days_to_outcome=_median([_days(r.interviews[-1], r.outcome_at) for r in interviewed
                                        if r.outcome_at is not None and r.stage in ("offer", "rejected")]),
        weeks=_weeks(rows), rows=tuple(rows),
    )


def _weeks(rows: Sequence[Row]) -> tuple[Week, ...]:
    """Every week from the first activity to the last, empty weeks included (a gap is news too)."""
    def monday(d: datetime) -> date:
        return d.date() - timedelta(days=d.weekday())

    new = Counter(monday(r.first_contact) for r in rows if r.first_contact is not None)
    sent = Counter(monday(d) for r in rows for d in r.sent)
    received = Counter(monday(d) for r in rows for d in r.received)
    held = Counter(monday(d) for r in rows for d in r.interviews)
    days = [*new, *sent, *received, *held]
    if not days:
        return ()
    first, last = min(days), max(days)
    weeks = [first + timedelta(weeks=i) for i in range((last - first).days // 7 + 1)]
    return tuple(Week(w, new[w], sent[w], received[w], held[w]) for w in weeks)
