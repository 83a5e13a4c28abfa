"""English decision timelines, broadly: a table of recruiter sentences → the last day each allows.

Every expected day below was worked out by hand from the readings in the
docstring of ``agent/signals/timeline.py`` (not by running the code), with
these calendars (ISO weeks, Monday first):

    November 2026          December 2026          January 2027
    Mo Tu We Th Fr Sa Su   Mo Tu We Th Fr Sa Su   Mo Tu We Th Fr Sa Su
                       1       1  2  3  4  5  6                1  2  3
     2  3  4  5  6  7  8    7  8  9 10 11 12 13    4  5  6  7  8  9 10
     9 10 11 12 13 14 15   14 15 16 17 18 19 20   11 12 13 14 15 16 17
    16 17 18 19 20 21 22   21 22 23 24 25 26 27   18 19 20 21 22 23 24
    23 24 25 26 27 28 29   28 29 30 31            25 26 27 28 29 30 31
    30

August 31, 2026 is a Monday; February 26, 2027 a Friday (February 2027 has
28 days); US Thanksgiving 2026 is Thursday, November 26.

A row is the sentence, the sending moment, the user's zone, the last day (or
``None`` where the sentence must yield no timeline at all) and, for a
positive row, the words that governing day was read from. The phrase is
checked too, so that a right day reached from the wrong words fails.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path
from typing import NamedTuple
from zoneinfo import ZoneInfo

import pytest

from agent.signals.timeline import find_deadlines, parse_deadline

NY = ZoneInfo("America/New_York")
TOKYO = ZoneInfo("Asia/Tokyo")
LONDON = ZoneInfo("Europe/London")
LA = ZoneInfo("America/Los_Angeles")

# Sending moments: every weekday, a weekend, month ends, the year end, and the new year.
MON = datetime(2026, 11, 30, 10, 0, tzinfo=NY)  # Monday, last day of November
TUE = datetime(2026, 11, 10, 10, 0, tzinfo=NY)  # Tuesday, before Thanksgiving
WED = datetime(2026, 12, 2, 15, 0, tzinfo=NY)  # Wednesday afternoon
THU = datetime(2026, 12, 10, 11, 0, tzinfo=NY)  # Thursday
FRI = datetime(2026, 12, 4, 16, 30, tzinfo=NY)  # Friday, late afternoon
SAT = datetime(2026, 12, 5, 10, 0, tzinfo=NY)  # Saturday
SUN = datetime(2026, 12, 20, 19, 0, tzinfo=NY)  # Sunday evening, just before the holidays
DEC30 = datetime(2026, 12, 30, 9, 0, tzinfo=NY)  # Wednesday, the year's last days
JAN5 = datetime(2027, 1, 5, 10, 0, tzinfo=NY)  # Tuesday, just after New Year
FEB26 = datetime(2027, 2, 26, 14, 0, tzinfo=NY)  # Friday, two days before the month's end
AUG31 = datetime(2026, 8, 31, 9, 0, tzinfo=NY)  # Monday, last day of August and of Q3's second month
# Another zone: Monday 13:30 in Tokyo is still Sunday 23:30 in New York.
TOKYO_MON = datetime(2026, 12, 7, 13, 30, tzinfo=TOKYO)
# Friday 23:30 in Los Angeles is already Saturday 07:30 in London.
LA_FRI_NIGHT = datetime(2026, 12, 4, 23, 30, tzinfo=LA)


class Row(NamedTuple):
    text: str
    sent: datetime
    last_day: date | None
    phrase: str | None = None
    tz: ZoneInfo = NY


def d(y: int, m: int, day: int) -> date:
    return date(y, m, day)


POSITIVES = [
    # the company promising its next move (Wed Dec 2 + a couple of days)
    Row("I'll send over some times in the next couple of days.", WED, d(2026, 12, 4), "in the next couple of days"),
    # --- weeks -------------------------------------------------------------------------------
    Row("Thanks again for your time — we expect to make a decision early next week.", WED, d(2026, 12, 8), "early next week"),
    Row("The panel meets on Monday, so you should hear back from us by the end of next week.", WED, d(2026, 12, 11), "by the end of next week"),
    Row("We'll get back to you sometime next week with an update.", WED, d(2026, 12, 11), "sometime next week"),
    Row("I'll reach out first thing next week with the team's decision.", WED, d(2026, 12, 7), "first thing next week"),
    Row("We're hoping to wrap things up later this week.", WED, d(2026, 12, 4), "later this week"),
    Row("We plan to have an answer for you by mid-next week.", TUE, d(2026, 11, 19), "by mid-next week"),
    Row("Expect to hear from us toward the end of next week.", FRI, d(2026, 12, 11), "toward the end of next week"),
    Row("We should be able to share feedback at the beginning of next week.", SAT, d(2026, 12, 8), "at the beginning of next week"),
    Row("You'll hear from us by the end of this week or early next.", WED, d(2026, 12, 8), "by the end of this week or early next"),
    Row("We'll circle back with next steps the week after next.", SUN, d(2027, 1, 1), "the week after next"),
    Row("We'll make our decision this week.", SUN, d(2026, 12, 25), "this week"),  # weekend → the coming week
    Row("The team will decide by the end of the week.", FRI, d(2026, 12, 4), "by the end of the week"),
    Row("We'll be in touch over the weekend or on Monday.", THU, d(2026, 12, 14), "on Monday"),
    Row("We'll review everything by the weekend.", THU, d(2026, 12, 13), "by the weekend"),
    Row("We'll finish our deliberations this weekend.", SAT, d(2026, 12, 6), "this weekend"),
    Row("We'll get back to you by this time next week.", WED, d(2026, 12, 9), "by this time next week"),
    Row("We hope to make a decision by the end of the week after next.", MON, d(2026, 12, 18), "by the end of the week after next"),
    Row("We'll reach out before the end of next week.", SUN, d(2026, 12, 25), "before the end of next week"),
    Row("We'll let you know within the week.", THU, d(2026, 12, 11), "within the week"),
    Row("We'll be wrapping up interviews this week and next.", WED, d(2026, 12, 11), "this week and next"),
    # --- weekdays ------------------------------------------------------------------------------
    Row("We will get back to you Monday.", FRI, d(2026, 12, 7), "Monday"),
    Row("You'll hear from us Thursday or Friday.", WED, d(2026, 12, 4), "Thursday or Friday"),
    Row("The hiring committee will make a decision by COB Thursday.", WED, d(2026, 12, 3), "by COB Thursday"),
    Row("We'll let you know by end of business Friday.", MON, d(2026, 12, 4), "by end of business Friday"),
    Row("We should have an answer Tuesday at the latest.", WED, d(2026, 12, 8), "Tuesday at the latest"),
    Row("I'll follow up with you first thing Monday morning.", FRI, d(2026, 12, 7), "first thing Monday morning"),
    Row("You'll get our decision by close of play on Wednesday.", THU, d(2026, 12, 16), "by close of play on Wednesday"),
    Row("We'll let you know on Monday or Tuesday of next week.", WED, d(2026, 12, 8), "on Monday or Tuesday of next week"),
    Row("Expect an update this coming Monday.", SAT, d(2026, 12, 7), "this coming Monday"),
    Row("We'll decide by next Tuesday.", SUN, d(2026, 12, 22), "by next Tuesday"),  # next ISO week
    Row("We'll get back to you next Friday.", WED, d(2026, 12, 11), "next Friday"),
    Row("We will have an answer for you by Wednesday.", SAT, d(2026, 12, 9), "by Wednesday"),
    Row("We'll let you know by this Friday.", SAT, d(2026, 12, 11), "by this Friday"),
    Row("We'll have news for you the following Monday.", WED, d(2026, 12, 7), "the following Monday"),
    Row("We'll have news for you by Friday the 18th.", WED, d(2026, 12, 18), "by Friday the 18th"),
    Row("We'll decide on Thursday, December 17.", WED, d(2026, 12, 17), "on Thursday, December 17"),
    # --- days ------------------------------------------------------------------------------------
    Row("We'll let you know tomorrow afternoon.", THU, d(2026, 12, 11), "tomorrow afternoon"),
    Row("We'll reply by EOD today.", FRI, d(2026, 12, 4), "by EOD today"),
    Row("We'll get back to you this afternoon.", MON, d(2026, 11, 30), "this afternoon"),
    Row("We'll make a decision the day after tomorrow.", THU, d(2026, 12, 12), "the day after tomorrow"),
    Row("We should have an update for you tonight.", FRI, d(2026, 12, 4), "tonight"),
    Row("We'll circle back by the end of the day tomorrow.", WED, d(2026, 12, 3), "by the end of the day tomorrow"),
    Row("We will get back to you via email by the end of the business day.", WED, d(2026, 12, 2), "by the end of the business day"),
    # --- durations ------------------------------------------------------------------------------
    Row("We'll get back to you within the next 5 business days.", FRI, d(2026, 12, 11), "within the next 5 business days"),
    Row("You can expect to hear back in 7-10 business days.", SAT, d(2026, 12, 18), "in 7-10 business days"),
    Row("Please allow 5-7 business days for the team to review your application.", WED, d(2026, 12, 11), "allow 5-7 business days"),
    Row("We'll decide in a week or two.", TUE, d(2026, 11, 24), "in a week or two"),
    Row("We hope to get back to you within a fortnight.", WED, d(2026, 12, 16), "within a fortnight"),
    Row("We'll be in touch in a fortnight or so.", FRI, d(2026, 12, 18), "in a fortnight or so"),
    Row("We expect to make a decision in two to three weeks.", MON, d(2026, 12, 21), "in two to three weeks"),
    Row("The process usually takes two to three weeks from here.", THU, d(2026, 12, 31), "takes two to three weeks"),
    Row("It may take up to ten days to hear back.", WED, d(2026, 12, 12), "take up to ten days"),
    Row("We'll get back to you within 48 hours.", FRI, d(2026, 12, 6), "within 48 hours"),
    Row("You'll hear from us within 24-48 hours.", SUN, d(2026, 12, 22), "within 24-48 hours"),
    Row("We'll decide in about ten days.", SAT, d(2026, 12, 15), "in about ten days"),
    Row("Decisions usually go out in a week and a half.", WED, d(2026, 12, 13), "in a week and a half"),
    Row("We'll circle back over the next couple of weeks.", MON, d(2026, 12, 14), "over the next couple of weeks"),
    Row("We'll be reviewing applications over the coming weeks.", WED, d(2026, 12, 23), "over the coming weeks"),
    Row("You should hear from us in the coming days.", FRI, d(2026, 12, 7), "in the coming days"),
    Row("We'll let you know in the next day or two.", THU, d(2026, 12, 12), "in the next day or two"),
    Row("We'll be making a decision in the next few weeks.", SAT, d(2026, 12, 26), "in the next few weeks"),
    Row("We need another week or two to finish the interviews.", WED, d(2026, 12, 16), "another week or two"),
    Row("We'll need a couple more weeks before we can make a decision.", TUE, d(2026, 11, 24), "a couple more weeks"),
    Row("We aim to reach a decision two weeks from today.", WED, d(2026, 12, 16), "two weeks from today"),
    Row("We expect to have an update for you about a month from now.", FEB26, d(2027, 3, 26), "a month from now"),
    Row("We'll get back to you within a month.", AUG31, d(2026, 9, 30), "within a month"),  # clamped
    Row("Expect a response within one business day.", FRI, d(2026, 12, 7), "within one business day"),
    Row("We'll decide in the next month or two.", TUE, d(2027, 1, 10), "in the next month or two"),
    Row("We should be able to share feedback within 3 to 5 working days.", SUN, d(2026, 12, 25), "within 3 to 5 working days"),
    Row("Give us about two weeks to get back to you.", DEC30, d(2027, 1, 13), "Give us about two weeks"),
    Row("We'll get back to you in six to eight weeks.", JAN5, d(2027, 3, 2), "in six to eight weeks"),
    Row("The recruiter will get back to you within 2 wks.", MON, d(2026, 12, 14), "within 2 wks"),
    Row("We'll decide within the next month.", WED, d(2027, 1, 2), "within the next month"),
    Row("We'll get back to you in 3 days' time.", FRI, d(2026, 12, 7), "in 3 days' time"),
    Row("We'll have a decision in a month's time.", TUE, d(2026, 12, 10), "in a month's time"),
    Row("We'll get back to you in two business days.", FRI, d(2026, 12, 8), "in two business days"),
    Row("We'll reply to all candidates within 14 days of the closing date.", WED, d(2026, 12, 16), "within 14 days"),
    Row("We'll make a decision in the next 24 hours.", DEC30, d(2026, 12, 31), "in the next 24 hours"),
    Row("We'll make our selection within six weeks.", JAN5, d(2027, 2, 16), "within six weeks"),
    Row("We'll let you know within several days.", WED, d(2026, 12, 7), "within several days"),
    Row("We'll make the call in the next couple of days.", FRI, d(2026, 12, 6), "in the next couple of days"),
    Row("We'll touch base in three weeks.", TUE, d(2026, 12, 1), "in three weeks"),
    Row("We'll reach out again in the coming months.", TUE, d(2027, 2, 10), "in the coming months"),
    Row("You should hear back within the next couple of weeks.", DEC30, d(2027, 1, 13), "within the next couple of weeks"),
    Row("The hiring manager will get back to you within 2-3 business days.", SAT, d(2026, 12, 9), "within 2-3 business days"),
    Row("We'll get back to you in a day or two.", FRI, d(2026, 12, 6), "in a day or two"),
    Row("Our decision timeline is roughly three weeks.", THU, d(2026, 12, 31), "timeline is roughly three weeks"),
    Row("Our typical turnaround is 3-5 business days.", FRI, d(2026, 12, 11), "turnaround is 3-5 business days"),
    # --- months and dates ------------------------------------------------------------------------
    Row("We hope to decide by mid-December.", TUE, d(2026, 12, 20), "by mid-December"),
    Row("We're aiming for a decision by the end of next month.", AUG31, d(2026, 9, 30), "by the end of next month"),
    Row("We expect to decide end of next month.", FEB26, d(2027, 3, 31), "end of next month"),
    Row("We expect to wrap up by the end of the month.", FEB26, d(2027, 2, 28), "by the end of the month"),
    Row("We'll make a decision by the end of the month.", MON, d(2026, 11, 30), "by the end of the month"),
    Row("Decisions should go out in the first half of next month.", WED, d(2027, 1, 15), "in the first half of next month"),
    Row("We'll be making offers by the first week of January.", WED, d(2027, 1, 7), "by the first week of January"),
    Row("We hope to finalize things in the second week of January.", WED, d(2027, 1, 14), "in the second week of January"),
    Row("We're targeting early-to-mid January for a decision.", WED, d(2027, 1, 20), "early-to-mid January"),
    Row("We'll have an answer for you around mid-January.", DEC30, d(2027, 1, 20), "around mid-January"),
    Row("We'll decide sometime in January.", SUN, d(2027, 1, 31), "sometime in January"),
    Row("We'll get back to you no later than the 15th.", WED, d(2026, 12, 15), "no later than the 15th"),
    Row("We'll decide by the 15th of next month.", WED, d(2027, 1, 15), "by the 15th of next month"),
    Row("We'll let you know the week of December 14.", WED, d(2026, 12, 18), "the week of December 14"),
    Row("A decision is expected during the week of January 11.", DEC30, d(2027, 1, 15), "during the week of January 11"),
    Row("Final decisions will be made the week of the 14th.", THU, d(2026, 12, 18), "the week of the 14th"),
    Row("We'll confirm the outcome w/c 4 January.", DEC30, d(2027, 1, 8), "w/c 4 January"),
    Row("We'll decide by January 5th or 6th.", DEC30, d(2027, 1, 6), "by January 5th or 6th"),
    Row("We should have a decision between December 14 and 18.", WED, d(2026, 12, 18), "December 14 and 18"),
    Row("Feedback will be shared by Tuesday, January 5.", DEC30, d(2027, 1, 5), "by Tuesday, January 5"),
    Row("We'll decide by 14/12.", WED, d(2026, 12, 14), "by 14/12"),  # day first: 14 is no month
    Row("You'll hear from us by 1/8.", DEC30, d(2027, 1, 8), "by 1/8"),  # month first, next year
    Row("We'll get back to you by close of business on the 18th.", WED, d(2026, 12, 18), "by close of business on the 18th"),
    Row("We'll decide on or before December 11.", WED, d(2026, 12, 11), "on or before December 11"),
    Row("We'll let you know by Dec 18 at the latest.", WED, d(2026, 12, 18), "by Dec 18 at the latest"),
    Row("We hope to make a final call by late Jan.", DEC30, d(2027, 1, 31), "by late Jan"),
    Row("We'll decide by the beginning of February.", JAN5, d(2027, 2, 10), "by the beginning of February"),
    Row("We expect to make offers in early March.", FEB26, d(2027, 3, 10), "in early March"),
    Row("We'll get back to you by the end of the month or early next.", AUG31, d(2026, 9, 10), "by the end of the month or early next"),
    Row("The decision should come through before the month is out.", FEB26, d(2027, 2, 28), "before the month is out"),
    Row("We'll get back to you Friday, December 11th.", WED, d(2026, 12, 11), "Friday, December 11th"),
    Row("We'll get back to you on the 4th.", DEC30, d(2027, 1, 4), "on the 4th"),  # passed → next month
    Row("We will reach a decision by the 31st.", FEB26, d(2027, 2, 28), "by the 31st"),  # clamped
    Row("Expect an update from us by Jan. 8.", DEC30, d(2027, 1, 8), "by Jan. 8"),
    Row("We'll decide by 2027-01-15.", JAN5, d(2027, 1, 15), "by 2027-01-15"),
    Row("We'll decide by December 31st.", DEC30, d(2026, 12, 31), "by December 31st"),
    Row("We'll finalize our decision no later than Friday, January 8.", DEC30, d(2027, 1, 8), "no later than Friday, January 8"),
    Row("Expect to hear from us around the 20th.", WED, d(2026, 12, 20), "around the 20th"),
    Row("Our decision will come at the end of the month.", TUE, d(2026, 11, 30), "at the end of the month"),
    Row("You'll hear from us this month.", SUN, d(2026, 12, 31), "this month"),
    Row("We anticipate a decision next month.", DEC30, d(2027, 1, 31), "next month"),
    Row("We'll decide by the middle of next month.", FRI, d(2027, 1, 20), "by the middle of next month"),
    Row("We should have a decision by the end of January at the latest.", WED, d(2027, 1, 31), "by the end of January at the latest"),
    Row("Expect an update in mid-to-late December.", TUE, d(2026, 12, 31), "in mid-to-late December"),
    Row("We'll decide during the last week of February.", JAN5, d(2027, 2, 28), "during the last week of February"),
    Row("We hope to have an answer for you later this month.", WED, d(2026, 12, 31), "later this month"),
    Row("We won't have a decision until the end of the month.", TUE, d(2026, 11, 30), "until the end of the month"),
    # --- quarters and years -----------------------------------------------------------------------
    Row("We'll decide by the end of Q1.", DEC30, d(2027, 3, 31), "by the end of Q1"),
    Row("We'll finalize headcount by the end of the quarter.", AUG31, d(2026, 9, 30), "by the end of the quarter"),
    Row("Hiring decisions are expected by early Q1.", WED, d(2027, 1, 31), "by early Q1"),
    Row("We'll revisit your application in Q1 2027.", WED, d(2027, 3, 31), "in Q1 2027"),
    Row("We'll decide in the first quarter of next year.", AUG31, d(2027, 3, 31), "in the first quarter of next year"),
    Row("We'll make a decision by EOQ.", TUE, d(2026, 12, 31), "by EOQ"),
    Row("We'll have an update by mid-Q1.", JAN5, d(2027, 2, 28), "by mid-Q1"),
    Row("We plan to make the hire before the end of the year.", AUG31, d(2026, 12, 31), "before the end of the year"),
    Row("We hope to decide early next year.", TUE, d(2027, 4, 30), "early next year"),
    Row("We expect to make a decision in the first half of next year.", WED, d(2027, 6, 30), "in the first half of next year"),
    Row("We'll be in touch by year-end.", AUG31, d(2026, 12, 31), "by year-end"),
    Row("We'll reach out in early 2027.", WED, d(2027, 4, 30), "in early 2027"),
    Row("We'll decide by the end of 2026.", AUG31, d(2026, 12, 31), "by the end of 2026"),
    # --- holidays and "after" ------------------------------------------------------------------------
    Row("We'll get back to you after the new year.", WED, d(2027, 1, 15), "after the new year"),
    Row("Please hold off on following up until after the new year.", WED, d(2027, 1, 15), "after the new year"),
    Row("We'll reach out shortly after New Year's.", DEC30, d(2027, 1, 8), "shortly after New Year's"),
    Row("We'll reconnect after the holidays.", SUN, d(2027, 1, 15), "after the holidays"),
    Row("We'll regroup after the holidays.", JAN5, d(2027, 1, 15), "after the holidays"),
    Row("You'll hear from us after Thanksgiving.", TUE, d(2026, 12, 10), "after Thanksgiving"),
    Row("We'll follow up the week after Thanksgiving.", TUE, d(2026, 12, 4), "the week after Thanksgiving"),
    Row("We'll decide before the holidays.", FRI, d(2026, 12, 23), "before the holidays"),
    Row("We hope to make a decision before Christmas.", SUN, d(2026, 12, 24), "before Christmas"),
    Row("We'll decide by Christmas.", WED, d(2026, 12, 24), "by Christmas"),
    Row("We will be in touch before Thanksgiving.", TUE, d(2026, 11, 25), "before Thanksgiving"),
    Row("We'll be in touch in the new year.", FRI, d(2027, 1, 31), "in the new year"),
    Row("Due to the holidays, we will reconnect in the new year.", SUN, d(2027, 1, 31), "in the new year"),
    Row("We'll resume interviews early in the new year.", DEC30, d(2027, 1, 31), "early in the new year"),
    Row("We'll have an answer for you after Christmas.", WED, d(2027, 1, 8), "after Christmas"),
    Row("We'll get back to you once the holidays are over.", SUN, d(2027, 1, 15), "once the holidays are over"),
    Row("We'll circle back when we're back from the holiday break.", DEC30, d(2027, 1, 15), "when we're back from the holiday break"),
    Row("We'll make a decision over the holidays.", WED, d(2027, 1, 1), "over the holidays"),
    Row("We'll get back to you right after Thanksgiving.", TUE, d(2026, 12, 3), "right after Thanksgiving"),
    Row("We'll let you know post-holidays.", SUN, d(2027, 1, 15), "post-holidays"),
    Row("We'll follow up with next steps following the holiday break.", WED, d(2027, 1, 15), "following the holiday break"),
    Row("We'll get back to you after our final interviews wrap up next week.", WED, d(2026, 12, 25), "after our final interviews wrap up next week"),
    Row("We'll get back to you once the panel meets on Thursday.", WED, d(2026, 12, 17), "once the panel meets on Thursday"),
    Row("We'll let you know shortly after the committee meets on December 14.", WED, d(2026, 12, 21), "shortly after the committee meets on December 14"),
    Row("We'll reach out after the 15th.", WED, d(2026, 12, 29), "after the 15th"),
    Row("We'll make a decision after next week.", THU, d(2027, 1, 1), "after next week"),
    Row("We'll be in touch once interviews wrap up in mid-January.", DEC30, d(2027, 2, 3), "once interviews wrap up in mid-January"),
    # --- time zones ------------------------------------------------------------------------------------
    Row("You'll hear back from us by the end of next week.", TOKYO_MON, d(2026, 12, 18), "by the end of next week", TOKYO),
    Row("You'll hear back from us by the end of next week.", TOKYO_MON, d(2026, 12, 11), "by the end of next week", NY),
    Row("We'll decide by tomorrow.", TOKYO_MON, d(2026, 12, 8), "by tomorrow", TOKYO),
    Row("We'll decide by tomorrow.", TOKYO_MON, d(2026, 12, 7), "by tomorrow", NY),
    Row("We'll get back to you by tomorrow.", LA_FRI_NIGHT, d(2026, 12, 6), "by tomorrow", LONDON),
    Row("We'll send our feedback by tomorrow, 5pm PT.", LA_FRI_NIGHT, d(2026, 12, 5), "by tomorrow, 5pm PT", LONDON),
    Row("We'll let you know by noon tomorrow ET.", WED, d(2026, 12, 3), "by noon tomorrow ET", LONDON),
]

# Sentences that must yield no timeline at all.
NEGATIVES = [
    # past references
    Row("We met on Monday to discuss your application.", WED, None),
    Row("Thanks for speaking with us last week about the role.", WED, None),
    Row("I forwarded your resume to the hiring manager a week ago.", WED, None),
    Row("We interviewed you two weeks ago and the panel enjoyed it.", WED, None),
    Row("Earlier this week the team wrapped up the onsite interviews.", THU, None),
    Row("Last Friday we decided to open a second role.", WED, None),
    Row("We received over 300 applications within 48 hours of posting.", WED, None),
    Row("The job was first posted on 12/1.", WED, None),
    Row("We had hoped to make a decision by December 1.", WED, None),
    Row("After the holidays last year we hired three engineers.", SUN, None),
    Row("We spoke on Tuesday about the timeline.", WED, None),
    Row("Version 2.4 shipped on 11/30.", WED, None),
    Row("The offer letter you signed on December 1 is attached.", WED, None),
    Row("We last heard from the hiring manager three days ago.", FRI, None),
    Row("Thanks for taking the time to chat with us this morning.", MON, None),
    # requests to the candidate: their dates are the candidate's, not a decision's
    Row("Please send us your availability for next week.", WED, None),
    Row("Please complete the coding challenge within 48 hours.", WED, None),
    Row("Kindly return the signed forms by Friday.", WED, None),
    Row("Could you let us know your availability by Thursday?", WED, None),
    Row("Let us know by Friday which time slot suits you best.", WED, None),
    Row("Are you free on Tuesday to discuss next steps?", WED, None),
    Row("Do you have time this Friday for a quick call about next steps?", WED, None),
    Row("Could we schedule a call for next Tuesday to go over the offer?", WED, None),
    Row("Please submit your take-home by end of day Monday.", FRI, None),
    Row("Could you complete the assessment within the next 3 days?", WED, None),
    # numbers that are not dates, times without a day
    Row("You can reach me at 555-201-1234 if anything comes up.", WED, None),
    Row("Call me on (415) 555-0132 to talk through the process.", WED, None),
    Row("The process has 2 rounds: a phone screen and an onsite.", WED, None),
    Row("The role requires 5 years of experience with distributed systems.", WED, None),
    Row("Your final interview is at 3:30pm.", WED, None),
    Row("Let's talk at 10am ET about the decision.", WED, None),
    Row("The 2nd round is on the 3rd floor.", WED, None),
    Row("Our Q3 results were strong.", WED, None),
    # vague or courtesy words that state no interval
    Row("We hope to have news for you soon.", WED, None),
    Row("You'll hear from us shortly.", WED, None),
    Row("We'll get back to you as soon as we can.", WED, None),
    Row("We'll be in touch in due course.", WED, None),
    # The coming weeks are the company's plans here, not a decision on this candidacy: an
    # unnumbered stretch of time counts only beside decision words (see the module docstring).
    Row("In the coming weeks we will post more roles on our careers page.", WED, None),
    # dates that are not about the decision
    Row("Our offices will be closed on Thursday.", WED, None),
    Row("Your onsite is scheduled for the week of December 14.", WED, None),
    Row("The hiring manager is out of the office until Monday.", WED, None),
    Row("We've grown a lot this year.", WED, None),
    Row("We plan to hire 50 engineers in 2027.", WED, None),
    Row("Our office is closed between Christmas and New Year's.", WED, None),
    Row("I hope you had a restful Thanksgiving.", WED, None),
    Row("You mentioned you could start in two weeks.", WED, None),
    Row("We'd like to schedule your final round for early next week.", WED, None),
    Row("The hiring manager would like to meet you next week.", WED, None),
    Row("I'll be on vacation next week, so Sam will cover for me.", WED, None),
    Row("Your start date would be January 4 if you accept.", DEC30, None),
    Row("Happy holidays, and thanks for a great conversation!", SUN, None),
]

TABLE = POSITIVES + NEGATIVES


def _id(row: Row) -> str:
    return f"{row.text[:60]}@{row.sent:%a %m-%d}/{row.tz.key}"


@pytest.mark.parametrize("row", TABLE, ids=_id)
def test_phrase_table(row: Row) -> None:
    best = parse_deadline(row.text, row.sent, row.tz)
    if row.last_day is None:
        assert find_deadlines(row.text, row.sent, row.tz) == []
        assert best is None
        return
    assert best is not None, row.text
    assert (best.last_day, best.phrase) == (row.last_day, row.phrase)


def test_table_size_and_spread() -> None:
    """The issue asks for at least 150 distinct phrases, 30 of them negative."""
    assert len({r.text for r in TABLE}) >= 150
    assert len({r.text for r in NEGATIVES}) >= 30
    assert len({r.phrase for r in POSITIVES}) >= 120
    weekdays = {r.sent.astimezone(r.tz).weekday() for r in TABLE}
    assert weekdays == set(range(7))
    assert len({r.tz.key for r in TABLE}) >= 3


def test_stated_zones_are_reported() -> None:
    found = parse_deadline("We'll send our feedback by tomorrow, 5pm PT.", LA_FRI_NIGHT, LONDON)
    assert found is not None and found.tz == "America/Los_Angeles"
    found = parse_deadline("We'll reconnect after the holidays.", SUN, NY)
    assert found is not None and found.tz is None


def test_all_phrases_of_a_message_are_found_in_order() -> None:
    text = (
        "Thanks for coming in today! We're wrapping up the last interviews this week, "
        "and we'll get back to you after the holidays. If anything changes we'll "
        "let you know by Friday."
    )
    found = find_deadlines(text, WED, NY)
    assert [(f.phrase, f.last_day) for f in found] == [
        ("this week", d(2026, 12, 4)),
        ("after the holidays", d(2027, 1, 15)),
        ("by Friday", d(2026, 12, 4)),
    ]
    best = parse_deadline(text, WED, NY)
    assert best is not None and best.phrase == "after the holidays"


def test_a_revised_timeline_keeps_the_new_one() -> None:
    """An old date that was missed is a past reference; the new one governs."""
    text = "We had hoped to decide by December 4, but we now expect to decide in early January."
    found = find_deadlines(text, WED, NY)
    assert [(f.phrase, f.last_day) for f in found] == [("in early January", d(2027, 1, 10))]


# --- the README's table is the module's behaviour ------------------------------------------------

README = Path(__file__).resolve().parent.parent / "README.md"
_README_ROW = re.compile(r'^\|\s*"(?P<phrase>[^"]+)"\s*\|\s*(?P<day>\d{4}-\d{2}-\d{2}|nothing)\s*\|', re.M)


def _readme_rows() -> list[tuple[str, str]]:
    text = README.read_text(encoding="utf-8")
    start = text.index("## How vague timelines are read")
    section = text[start : text.index("\n## ", start + 1)]
    return [(m["phrase"], m["day"]) for m in _README_ROW.finditer(section)]


def test_readme_table_has_rows() -> None:
    assert len(_readme_rows()) >= 10


@pytest.mark.parametrize(("phrase", "day"), _readme_rows())
def test_readme_table_matches_the_module(phrase: str, day: str) -> None:
    """README: 'said on Wednesday, December 2, 2026 (New York)', in a decision sentence."""
    found = parse_deadline(f"We'll get back to you {phrase}.", WED, NY)
    if day == "nothing":
        assert found is None
    else:
        assert found is not None and found.last_day.isoformat() == day


# --- hostile input: every pattern stays linear ------------------------------------------------------

HOSTILE = [
    "We'll decide by Friday. " * 8000,
    "by the end of " * 12000,
    "within the next " * 12000,
    "1 " * 80000,
    "Monday or " * 16000,
    "after " * 30000,
    "the " * 40000,
    "week " * 30000,
    "Dec. " * 30000,
    " \t" * 80000,
    "the 1st the 2nd " * 10000,
    "early-to-mid " * 12000,
    "12/" * 50000,
    "a.m. " * 30000,
    "We'll decide next week, " * 8000,
]


@pytest.mark.parametrize("text", HOSTILE, ids=lambda t: repr(t[:16]))
def test_hostile_input_is_read_in_one_pass(text: str) -> None:
    """About 200 KB each (the parser's cap on a body): a pattern or a per-phrase step that
    were not linear would not finish; the answer itself must still be sane."""
    found = find_deadlines(text, WED, NY)
    assert all(f.last_day >= date(2026, 12, 2) for f in found)


def test_anchored_windows_find_what_a_whole_scan_finds() -> None:
    """Each rule runs only near its anchor words (for speed): over every sentence of the
    table, a long message made of them, and the hostile inputs' openings, the matches are
    exactly those of a scan of the whole text."""
    from agent.signals import timeline as T

    texts = [r.text for r in TABLE]
    texts.append(" ".join(texts))
    texts.extend(t[:3000] for t in HOSTILE)
    for text in texts:
        for rule in T._RULES:
            whole = [m.span() for m in rule.regex.finditer(text)]
            windowed = [m.span() for lo, hi in T._windows(text, rule.anchor) for m in rule.regex.finditer(text, lo, hi)]
            assert windowed == whole, (rule.name, text[:80])
