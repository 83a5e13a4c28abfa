"""Decision timelines → the last day they allow.

All sending times are fixed; the calendar used (2026): Wed 12-02, Fri 12-04,
Sat 12-05, Fri 12-11, Fri 12-18, Thu 12-31; Thanksgiving Thu 11-26.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from agent.facts import Deadline
from agent.signals.timeline import find_deadlines, parse_deadline

NY = ZoneInfo("America/New_York")
LONDON = ZoneInfo("Europe/London")

WED = datetime(2026, 12, 2, 15, 0, tzinfo=NY)  # Wednesday afternoon
FRI = datetime(2026, 12, 4, 10, 0, tzinfo=NY)
SAT = datetime(2026, 12, 5, 10, 0, tzinfo=NY)
SUN = datetime(2026, 12, 6, 10, 0, tzinfo=NY)
MON = datetime(2026, 11, 30, 10, 0, tzinfo=NY)
JAN = datetime(2026, 1, 14, 10, 0, tzinfo=NY)  # Wednesday
DEC20 = datetime(2026, 12, 20, 10, 0, tzinfo=NY)  # Sunday
NOV = datetime(2026, 11, 10, 10, 0, tzinfo=NY)  # Tuesday


def one(text: str, sent: datetime = WED, tz: ZoneInfo = NY) -> Deadline:
    found = find_deadlines(text, sent, tz)
    assert len(found) == 1, found
    return found[0]


def none(text: str, sent: datetime = WED, tz: ZoneInfo = NY) -> None:
    assert find_deadlines(text, sent, tz) == [], text
    assert parse_deadline(text, sent, tz) is None


CASES = [
    # --- the month ---------------------------------------------------------------------
    ("We hope to decide by the end of the month.", WED, date(2026, 12, 31), "by the end of the month"),
    ("We'll decide by the end of this month.", WED, date(2026, 12, 31), "by the end of this month"),
    ("We expect to wrap up by month end.", WED, date(2026, 12, 31), "by month end"),
    ("We expect to wrap up by month-end.", NOV, date(2026, 11, 30), "by month-end"),
    ("Decision at the end of this month.", NOV, date(2026, 11, 30), "at the end of this month"),
    ("We'll decide by the end of next month.", WED, date(2027, 1, 31), "by the end of next month"),
    ("We'll decide by the end of next month.", JAN, date(2026, 2, 28), "by the end of next month"),
    ("We'll decide within the month.", NOV, date(2026, 11, 30), "within the month"),
    ("We'll decide before the month is out.", NOV, date(2026, 11, 30), "before the month is out"),
    ("We hope to make a decision this month.", NOV, date(2026, 11, 30), "this month"),
    ("We expect to decide next month.", NOV, date(2026, 12, 31), "next month"),
    ("We expect to decide early next month.", NOV, date(2026, 12, 10), "early next month"),
    # --- the week ----------------------------------------------------------------------
    ("We'll decide by the end of the week.", WED, date(2026, 12, 4), "by the end of the week"),
    ("We will have a decision this week.", WED, date(2026, 12, 4), "this week"),
    ("We will have a decision this week.", SAT, date(2026, 12, 11), "this week"),  # weekend → coming week
    ("We'll decide by end of week.", MON, date(2026, 12, 4), "by end of week"),
    ("We'll decide by the end of next week.", WED, date(2026, 12, 11), "by the end of next week"),
    ("We'll make a decision next week.", WED, date(2026, 12, 11), "next week"),
    ("You'll hear from us next week.", WED, date(2026, 12, 11), "next week"),
    ("You'll hear from us next week.", SUN, date(2026, 12, 11), "next week"),  # ISO: Mon 7 – Sun 13
    ("You'll hear from us next week.", SAT, date(2026, 12, 11), "next week"),
    ("You'll hear from us next week.", MON, date(2026, 12, 11), "next week"),
    ("We'll have an answer by next week.", WED, date(2026, 12, 11), "by next week"),
    ("We'll decide early next week.", WED, date(2026, 12, 8), "early next week"),
    ("We hope to decide mid next week.", WED, date(2026, 12, 10), "mid next week"),
    ("We'll decide within the week.", WED, date(2026, 12, 4), "within the week"),
    ("We'll have news the week after next.", WED, date(2026, 12, 18), "the week after next"),
    ("We'll have news the week after next.", SAT, date(2026, 12, 18), "the week after next"),
    ("We'll decide by the end of the week.", SAT, date(2026, 12, 11), "by the end of the week"),
    ("We should be in touch the following week.", WED, date(2026, 12, 11), "the following week"),
    # --- durations ---------------------------------------------------------------------
    ("We'll get back to you within two weeks.", WED, date(2026, 12, 16), "within two weeks"),
    ("We'll get back to you within 2 weeks.", WED, date(2026, 12, 16), "within 2 weeks"),
    ("You will hear back in the next two weeks.", WED, date(2026, 12, 16), "in the next two weeks"),
    ("We'll get back to you in a couple of weeks.", WED, date(2026, 12, 16), "in a couple of weeks"),
    ("We'll be in touch in a few weeks.", WED, date(2026, 12, 23), "in a few weeks"),
    ("We'll decide in 2-3 weeks.", WED, date(2026, 12, 23), "in 2-3 weeks"),
    ("We'll decide in a week or two.", WED, date(2026, 12, 16), "in a week or two"),
    ("We'll decide in two weeks' time.", WED, date(2026, 12, 16), "in two weeks' time"),
    ("We'll decide over the next week.", WED, date(2026, 12, 9), "over the next week"),
    ("We'll decide in the coming weeks.", WED, date(2026, 12, 23), "in the coming weeks"),
    ("We'll respond within 10 business days.", WED, date(2026, 12, 16), "within 10 business days"),
    ("Expect a response within 5 working days.", WED, date(2026, 12, 9), "within 5 working days"),
    ("Expect a response within 5 working days.", SAT, date(2026, 12, 11), "within 5 working days"),
    ("We'll reply within 48 hours.", WED, date(2026, 12, 4), "within 48 hours"),
    ("We'll let you know in the next few days.", WED, date(2026, 12, 5), "in the next few days"),
    ("We'll get back to you in a couple of days.", WED, date(2026, 12, 4), "in a couple of days"),
    ("We'll decide in the coming days.", WED, date(2026, 12, 5), "in the coming days"),
    ("We'll decide within a month.", JAN, date(2026, 2, 14), "within a month"),
    # --- weekdays ------------------------------------------------------------------------
    ("We'll decide by Friday.", WED, date(2026, 12, 4), "by Friday"),
    ("We'll decide by Friday.", FRI, date(2026, 12, 11), "by Friday"),  # strictly after
    ("We'll decide by Friday.", SAT, date(2026, 12, 11), "by Friday"),
    ("We'll decide by Monday.", WED, date(2026, 12, 7), "by Monday"),
    ("We'll decide by Wednesday.", WED, date(2026, 12, 9), "by Wednesday"),
    ("We'll let you know on Thursday.", WED, date(2026, 12, 3), "on Thursday"),
    ("We'll decide this Friday.", FRI, date(2026, 12, 4), "this Friday"),
    ("We'll decide this Friday.", WED, date(2026, 12, 4), "this Friday"),
    ("We'll decide by next Friday.", WED, date(2026, 12, 11), "by next Friday"),
    ("We'll decide by next Monday.", FRI, date(2026, 12, 7), "by next Monday"),
    ("We'll decide by Friday next week.", WED, date(2026, 12, 11), "by Friday next week"),
    ("We'll decide by today (Friday).", FRI, date(2026, 12, 4), "by today (Friday)"),
    ("We'll decide by EOD Friday.", WED, date(2026, 12, 4), "by EOD Friday"),
    ("We'll decide by end of day on Monday.", WED, date(2026, 12, 7), "by end of day on Monday"),
    ("We'll decide by Fri.", WED, date(2026, 12, 4), "by Fri"),
    # --- today / tomorrow ------------------------------------------------------------------
    ("We'll decide by tomorrow.", WED, date(2026, 12, 3), "by tomorrow"),
    ("You'll have an answer by EOD tomorrow.", WED, date(2026, 12, 3), "by EOD tomorrow"),
    ("We'll get back to you tomorrow.", WED, date(2026, 12, 3), "tomorrow"),
    ("We'll decide by the end of the day.", WED, date(2026, 12, 2), "by the end of the day"),
    ("We'll let you know later today.", WED, date(2026, 12, 2), "later today"),
    # --- explicit dates ---------------------------------------------------------------------
    ("We'll decide by December 18.", WED, date(2026, 12, 18), "by December 18"),
    ("We'll decide by December 18th.", WED, date(2026, 12, 18), "by December 18th"),
    ("We'll decide by Dec. 18.", WED, date(2026, 12, 18), "by Dec. 18"),
    ("We'll decide by Dec 18, 2026.", WED, date(2026, 12, 18), "by Dec 18, 2026"),
    ("We'll decide by 18 December.", WED, date(2026, 12, 18), "by 18 December"),
    ("We'll decide by the 18th of December.", WED, date(2026, 12, 18), "by the 18th of December"),
    ("We'll decide by 12/18.", WED, date(2026, 12, 18), "by 12/18"),
    ("We'll decide by 12/18/2026.", WED, date(2026, 12, 18), "by 12/18/2026"),
    ("Feedback is expected by 2026-12-20.", WED, date(2026, 12, 20), "by 2026-12-20"),
    ("We'll decide on Friday, December 18.", WED, date(2026, 12, 18), "on Friday, December 18"),
    ("We will decide by May 5.", WED, date(2027, 5, 5), "by May 5"),
    # year rollover
    ("We'll decide by December 18.", JAN, date(2026, 12, 18), "by December 18"),  # said in January
    ("We'll decide by January 5.", WED, date(2027, 1, 5), "by January 5"),  # said in December
    ("We'll decide by 1/5.", DEC20, date(2027, 1, 5), "by 1/5"),
    ("We'll decide by December 18.", datetime(2026, 12, 18, 9, tzinfo=NY), date(2026, 12, 18), "by December 18"),
    # month parts
    ("We hope to decide in early January.", WED, date(2027, 1, 10), "in early January"),
    ("We hope to decide by mid-December.", WED, date(2026, 12, 20), "by mid-December"),
    ("We hope to decide by mid-Dec.", WED, date(2026, 12, 20), "by mid-Dec"),
    ("We hope to decide by late January.", WED, date(2027, 1, 31), "by late January"),
    ("We'll decide by the end of January.", WED, date(2027, 1, 31), "by the end of January"),
    ("We'll decide by the end of February.", JAN, date(2026, 2, 28), "by the end of February"),
    ("We will make a decision in March.", JAN, date(2026, 3, 31), "in March"),
    ("We'll decide in mid-December.", DEC20, date(2026, 12, 20), "in mid-December"),
    ("We'll decide by the 15th.", WED, date(2026, 12, 15), "by the 15th"),
    ("We'll decide by the 15th.", DEC20, date(2027, 1, 15), "by the 15th"),  # passed → next month
    ("We'll decide by the 31st.", NOV, date(2026, 11, 30), "by the 31st"),  # clamped
    ("We'll decide on the 10th.", WED, date(2026, 12, 10), "on the 10th"),
    # quarters, year, holidays
    ("We'll decide by the end of Q1.", WED, date(2027, 3, 31), "by the end of Q1"),
    ("We'll decide by the end of Q1.", JAN, date(2026, 3, 31), "by the end of Q1"),
    ("We'll decide by the end of the quarter.", WED, date(2026, 12, 31), "by the end of the quarter"),
    ("We'll decide by the end of the quarter.", JAN, date(2026, 3, 31), "by the end of the quarter"),
    ("We'll decide by the end of the first quarter.", NOV, date(2027, 3, 31), "by the end of the first quarter"),
    ("We'll decide next quarter.", WED, date(2027, 3, 31), "next quarter"),
    ("We'll decide by Q2 2027.", WED, date(2027, 6, 30), "by Q2 2027"),
    ("We'll decide by the end of the year.", NOV, date(2026, 12, 31), "by the end of the year"),
    ("We'll decide before the holidays.", WED, date(2026, 12, 23), "before the holidays"),
    ("We'll decide before the holidays.", JAN, date(2026, 12, 23), "before the holidays"),
    ("We'll decide before the holiday break.", NOV, date(2026, 12, 23), "before the holiday break"),
    ("We'll decide before Christmas.", WED, date(2026, 12, 24), "before Christmas"),
    ("We'll decide by the new year.", WED, date(2026, 12, 31), "by the new year"),
    ("We'll decide before Thanksgiving.", NOV, date(2026, 11, 25), "before Thanksgiving"),
]


@pytest.mark.parametrize(("text", "sent", "expected", "phrase"), CASES)
def test_phrases(text: str, sent: datetime, expected: date, phrase: str) -> None:
    d = one(text, sent)
    assert (d.last_day, d.phrase, d.tz) == (expected, phrase, None)
    assert parse_deadline(text, sent, NY) == d


NEGATIVES = [
    # words that dateparser turns into dates
    "We may reach out.",
    "We",
    "may",
    "Sun",
    "We will review it. Sun and sand.",
    "May I ask how the interview went?",
    "Sat down with the team to review.",
    # numbers that are not dates
    "There will be 2 rounds.",
    "The 2 rounds are at 3pm.",
    "We'll decide at 3pm.",
    "Call me at 555-123-4567 or (212) 555-0199 to discuss the decision.",
    "Our decision was made in 2026.",
    "Two thirds, 2/3 of the team, will decide.",
    "See https://example.com/jobs/12/18 for the decision process.",
    "Please call 415.555.0199 about the decision.",
    # past references
    "We met last week.",
    "We met on Monday.",
    "Thanks for meeting with us last Friday; we decided to move quickly.",
    "We interviewed two weeks ago and still plan to decide soon.",
    "Earlier this week we decided to pause.",
    "We spoke on Tuesday about the decision.",
    "In the last two weeks we reviewed many candidates.",
    "We'll decide by December 1.",  # passed two days ago
    "We'll decide by Nov 30.",
    "We'll decide by December 18, 2025.",
    "We'll decide before Thanksgiving.",  # already passed on Dec 2
    # not about a decision
    "Your interview is on Thursday at 3pm.",
    "Your onsite is scheduled for December 18.",
    "Please send your availability by Friday.",
    "Please complete the assessment by Friday.",
    "The take-home assignment is due Monday.",
    "We hope to hear from you by Friday.",
    "Could you send two references by Friday?",
    "Thanks for coming in today.",
    "The office is on the 2nd floor.",
    "Our team grew this month.",
    "Next week is busy for me.",
    "We'll be in touch soon.",
    "We'd like to set up a call for Friday.",
    "Friday works for me.",
    "We look forward to next week's interviews.",
    "We will decide soon.",
    "We'll decide in days.",
    "",
]


@pytest.mark.parametrize("text", NEGATIVES)
def test_negatives(text: str) -> None:
    none(text)


# --- time zones ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "zone", "phrase"),
    [
        ("We'll decide by Friday 5pm PT.", "America/Los_Angeles", "by Friday 5pm PT"),
        ("We will get back to you by Friday, 5pm ET.", "America/New_York", "by Friday, 5pm ET"),
        ("We'll decide by EOD Friday (UK time).", "Europe/London", "by EOD Friday (UK time)"),
        ("We'll decide by 5pm EST on Friday.", "America/New_York", "by 5pm EST on Friday"),
        ("We'll decide by Friday at noon CET.", "Europe/Berlin", "by Friday at noon CET"),
        ("We'll decide by Friday GMT.", "UTC", "by Friday GMT"),
        ("Our team is on Pacific time and we'll decide by Friday.", "America/Los_Angeles", "by Friday"),
    ],
)
def test_stated_zone(text: str, zone: str, phrase: str) -> None:
    d = one(text)
    assert (d.last_day, d.tz, d.phrase) == (date(2026, 12, 4), zone, phrase)


def test_lowercase_abbreviations_are_not_zones() -> None:
    assert one("We'll decide by Friday et al.").tz is None


def test_reference_day_is_sent_at_in_the_users_zone() -> None:
    # Friday 23:30 in Los Angeles is already Saturday in London and in UTC.
    sent = datetime(2026, 12, 5, 7, 30, tzinfo=UTC)
    assert one("We'll decide by tomorrow.", sent, LONDON).last_day == date(2026, 12, 6)
    assert one("We'll decide by tomorrow.", sent, ZoneInfo("America/Los_Angeles")).last_day == date(2026, 12, 5)
    # A zone stated in the text wins over the user's.
    d = one("We'll decide by tomorrow PT.", sent, LONDON)
    assert (d.last_day, d.tz) == (date(2026, 12, 5), "America/Los_Angeles")
    # Saturday 01:00 in London is still Friday evening in New York.
    fri_night = datetime(2026, 12, 5, 1, 0, tzinfo=LONDON)
    assert one("We'll decide by Friday.", fri_night, LONDON).last_day == date(2026, 12, 11)
    assert one("We'll decide by Friday.", fri_night, NY).last_day == date(2026, 12, 11)
    assert one("We'll decide by Saturday.", fri_night, NY).last_day == date(2026, 12, 5)
    assert one("We'll decide by Saturday.", fri_night, LONDON).last_day == date(2026, 12, 12)


def test_hours_count_from_the_sending_time() -> None:
    late = datetime(2026, 12, 2, 22, 0, tzinfo=NY)
    assert one("We'll reply within 24 hours.", late).last_day == date(2026, 12, 3)
    assert one("We'll reply within 2 hours.", late).last_day == date(2026, 12, 3)
    assert one("We'll reply within 1 hour.", WED).last_day == date(2026, 12, 2)


def test_naive_sent_at_is_utc() -> None:
    naive = datetime(2026, 12, 5, 3, 0)  # 22:00 Friday in New York
    assert one("We'll decide by tomorrow.", naive, NY).last_day == date(2026, 12, 5)


# --- several phrases ------------------------------------------------------------------------


def test_overlaps_keep_the_longest_phrase() -> None:
    found = find_deadlines("We'll decide by the end of next week.", WED, NY)
    assert [d.phrase for d in found] == ["by the end of next week"]


def test_multiple_phrases_in_text_order_and_parse_picks_the_latest_day() -> None:
    text = (
        "Thanks again for coming in! We're wrapping up interviews this week and hope to "
        "decide by the end of the month. Either way, you'll hear from us next week."
    )
    found = find_deadlines(text, WED, NY)
    assert [(d.phrase, d.last_day) for d in found] == [
        ("this week", date(2026, 12, 4)),
        ("by the end of the month", date(2026, 12, 31)),
        ("next week", date(2026, 12, 11)),
    ]
    best = parse_deadline(text, WED, NY)
    assert best is not None and best.phrase == "by the end of the month"


def test_parse_ties_go_to_the_last_written() -> None:
    text = "We'll decide by Friday. Expect an update by Dec 4."
    best = parse_deadline(text, WED, NY)
    assert best == Deadline(date(2026, 12, 4), "by Dec 4")


def test_request_next_to_a_decision_keeps_only_the_decision() -> None:
    text = "Please complete the assessment by Friday; we'll decide by the end of next week."
    assert [d.phrase for d in find_deadlines(text, WED, NY)] == ["by the end of next week"]
    # A request sentence that also speaks of the decision keeps its date.
    assert one("Please expect to hear back from us by Friday.").last_day == date(2026, 12, 4)


def test_past_verb_guard_and_thanks_guard() -> None:
    assert [d.phrase for d in find_deadlines("We met on Monday and will decide next week.", WED, NY)] == [
        "next week"
    ]
    assert [
        d.phrase for d in find_deadlines("Thanks for coming in today, we'll be in touch next week.", WED, NY)
    ] == ["next week"]
    # A thank-you that speaks of the decision is not dismissed.
    assert one("Thanks for your patience as we decide next week.").last_day == date(2026, 12, 11)


def test_time_of_day_after_a_phrase_is_not_a_second_deadline() -> None:
    assert [d.phrase for d in find_deadlines("We'll decide on Friday by EOD.", WED, NY)] == [
        "on Friday by EOD"
    ]


def test_phrase_spanning_lines_is_collapsed() -> None:
    d = one("We hope to make a decision by the end\nof the month.")
    assert d.phrase == "by the end of the month"


def test_sentence_abbreviations_do_not_split_the_decision_context() -> None:
    assert one("Decision approx. next week.").last_day == date(2026, 12, 11)


def test_far_future_is_ignored() -> None:
    none("We'll decide within 30 months.")
    none("We'll decide by December 18, 2031.")
