"""Interviews the agent knows from what people wrote: agreed times, words after the fact, accepted invitations.

A table of sentences, each in a one-line recruiting conversation, with the
interview it implies (or none); then whole conversations through
``extract_facts`` (proposals accepted or refused, reschedules, cancellations,
quoted text, invitations that win over words) and through ``decide`` (the
round a thank-you opens). The user is in New York; 2026-11-02 is a Monday.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agent.businesstime import BusinessCalendar
from agent.facts import Interview, InterviewCancelled, Scheduled
from agent.mail.parse import parse_message
from agent.model import CalendarEvent, Message, RawMessage
from agent.policy import FOLLOW_UP_1, OPEN, THANK_YOU, decide
from agent.signals import events as E
from agent.signals.tracking import Tracking
from tests.helpers import ME, conv, make_config, msg, t

CFG = make_config()
CAL = BusinessCalendar.from_config(CFG)
TRACK = Tracking(True, "test", "Acme")
ANN = "ann.park@acme.com"
OPENER = msg(ANN, "Data Engineer at Acme", "Thanks for applying to the Data Engineer role at Acme. "
             "I'd love to set up a call to tell you about the team.", t(11, 2, 9), name="Ann Park")
MON = t(11, 2, 15)  # when a scheduling sentence is written
THU = t(11, 5, 16, 30)  # when an after-the-fact sentence is written
USER, COMPANY = ME, ANN


def interviews(*messages: Message) -> list[Interview]:
    return [f for f in E.extract_facts(conv(*messages), CFG) if isinstance(f, Interview)]


def span(f: Interview) -> tuple[datetime, datetime]:
    return f.start, f.end


def hour(start: datetime, minutes: int = 60) -> tuple[datetime, datetime]:
    return start, start + timedelta(minutes=minutes)


def ended(end: datetime) -> tuple[datetime, datetime]:
    """An after-the-fact interview: it ended at ``end`` and is given the default hour."""
    return end - timedelta(hours=1), end


# (who writes, what, when, the interview it implies: (start, end) in New York, or None)
TABLE: list[tuple[str, str, datetime, tuple[datetime, datetime] | None]] = [
    # --- times agreed, in the forms people write -----------------------------------------------
    (USER, "Thursday at 2pm works", MON, hour(t(11, 5, 14))),
    (USER, "Tue 11/10 at 10am works for me.", MON, hour(t(11, 10, 10))),
    (COMPANY, "Client's in. Mon 11/9 10am w/ their head of eng, Abdi. Link coming from their side.", MON,
     hour(t(11, 9, 10))),
    (COMPANY, "ok to talk? k 9:30 thu", MON, hour(t(11, 5, 9, 30))),
    (COMPANY, "Coffee? Thu 8:30, the cafe at 31 E 17th. I'll grab a table.", MON, hour(t(11, 5, 8, 30))),
    (USER, "Great - I booked Friday 11/20 at 1pm ET. Talk then!", MON, hour(t(11, 20, 13))),
    (COMPANY, "Wednesday 4:15 it is.", MON, hour(t(11, 4, 16, 15))),
    (COMPANY, "Great - let's say Thursday 11/5 at 3pm ET. I'll send a Zoom: https://acme.zoom.us/j/8124470319",
     MON, hour(t(11, 5, 15))),
    (COMPANY, "Booked you for Thu 11/5 at 3:30 ET, I'll call your cell. Talk then!", MON, hour(t(11, 5, 15, 30))),
    (COMPANY, "Perfect, you're all set for Tuesday 11/10 at 10:00 AM ET.", MON, hour(t(11, 10, 10))),
    (COMPANY, "Your interview is confirmed for Tuesday, November 10 at 2:00 PM ET.", MON, hour(t(11, 10, 14))),
    (COMPANY, "Confirmed for Wednesday at 14:00 on Teams.", MON, hour(t(11, 4, 14))),
    (COMPANY, "Great, let's do Friday at noon. I'll call you.", MON, hour(t(11, 6, 12))),
    (COMPANY, "Booked: Wed 11/18, 2-2:45pm ET. Invites coming from our coordinator.", MON,
     hour(t(11, 18, 14), 45)),
    (COMPANY, "Let's plan for Friday, November 6 at 9:00 AM. I will call you at the number on your resume.", MON,
     hour(t(11, 6, 9))),
    (USER, "Thanks! Friday at 11 ET works for me.", MON, hour(t(11, 6, 11))),
    (COMPANY, "Perfect, you're on my calendar for Thursday at 1 PT. I'll give you a call.", MON,
     hour(t(11, 5, 16))),
    (COMPANY, "Let's go with Thursday 11/5 at 4:30 PM ET (3:30 my time). I'll call you.", MON,
     hour(t(11, 5, 16, 30))),
    (COMPANY, "Thursday at 2pm UK / 9am ET is perfect. I'll ring you.", MON, hour(t(11, 5, 9))),
    (COMPANY, "I have you down for Friday, November 6 at 10:00 AM Central. I will call you.", MON,
     hour(t(11, 6, 11))),
    (USER, "Tuesday, November 10 at 16:00 CET works well for me.", MON, hour(t(11, 10, 10))),
    (COMPANY, "As a reminder, you'll meet the team on Wednesday 11/4 from 1:00 to 3:30 PM ET.", MON,
     hour(t(11, 4, 13), 150)),
    (COMPANY, "Your interview has been scheduled.\n\nOnsite Interview\nMonday, November 9, 2026\n"
              "10:00 AM - 2:00 PM Eastern Time\nLocation: 600 Lexington Avenue", MON, hour(t(11, 9, 10), 240)),
    (USER, "Thank you, I'll be there Thursday at 2:00.", MON, hour(t(11, 5, 14))),
    (COMPANY, "tmrw 10am works, i'll call", MON, hour(t(11, 3, 10))),
    (COMPANY, "Talk tomorrow at 9:30!", MON, hour(t(11, 3, 9, 30))),
    (COMPANY, "See you Thursday the 5th at 3 for the onsite.", MON, hour(t(11, 5, 15))),
    (COMPANY, "Confirmed: 5:30 tues at our office, 22 W 27th, 6th fl. Buzz Acme.", MON, hour(t(11, 3, 17, 30))),
    (COMPANY, "You're booked for next Tuesday at 11am ET with our VP.", MON, hour(t(11, 10, 11))),
    (COMPANY, "Let's do 10:30am on Friday for the video call.", MON, hour(t(11, 6, 10, 30))),
    (COMPANY, "Great - 3pm Thursday it is.", MON, hour(t(11, 5, 15))),
    (USER, "Wednesday at noon ET works, talk to you then.", MON, hour(t(11, 4, 12))),
    # --- a proposal, a window, a refusal: nothing agreed yet ------------------------------------------
    (COMPANY, "How about Tuesday at 2?", MON, None),
    (COMPANY, "Are you available Monday, November 9 at 10:30 AM ET?", MON, None),
    (COMPANY, "She has Friday 11/6 at 1:00 PM ET or Monday 11/9 at 11:00 AM ET.", MON, None),
    (USER, "I'm free for a call Thursday after 4.", MON, None),
    (USER, "Thurs afternoon works, anytime btwn 2 and 5 ET.", MON, None),
    (USER, "I could do Thursday 11/5 at 9am ET if that works?", MON, None),
    (USER, "Unfortunately Thursday at 2 doesn't work for me.", MON, None),
    (COMPANY, "I'm sorry, we need to cancel Thursday's interview.", MON, None),
    # --- times that are not a meeting ------------------------------------------------------------------
    (COMPANY, "Please submit the exercise by Friday at 5pm.", MON, None),
    (COMPANY, "Our office is open 9-5 if you want to drop off the forms.", MON, None),
    (COMPANY, "Call me at 2.", MON, None),
    (COMPANY, "My cell is (917) 555-0148, call anytime.", MON, None),
    (COMPANY, "The process has 2 rounds after this call.", MON, None),
    (COMPANY, "Your start date would be Monday, January 4 at 9am.", MON, None),
    (COMPANY, "The offer expires Friday at 5pm ET.", MON, None),
    (COMPANY, "Come say hi at the career fair on Thursday at 6pm.", MON, None),
    (COMPANY, "The final round is around 3 hours, all on video.", MON, None),
    (COMPANY, "We're at 600 Lexington Avenue, 21st floor, for the interview.", MON, None),
    (COMPANY, "I sent your profile to the hiring manager Monday at 9am.", t(11, 3, 10), None),
    (COMPANY, "I'm out Thursday at 2 for a dentist appointment, so expect a slow reply.", MON, None),
    (COMPANY, "Following up on our call on Tuesday at 2pm: the team would like a second round.", MON,
     ended(t(10, 27, 17))),  # the Tuesday before: words after the fact, not a new time
    # --- after the fact ---------------------------------------------------------------------------------
    (USER, "Thank you for taking the time to speak with me today.", THU, ended(THU)),
    (USER, "Great talking yesterday!", THU, ended(t(11, 4, 17))),
    (USER, "Thanks for the chat this morning, I enjoyed it.", THU, ended(t(11, 5, 12))),
    (COMPANY, "Great chatting yesterday! Next up is 60 minutes with our Head of Data.", THU, ended(t(11, 4, 17))),
    (COMPANY, "Thanks for speaking with us today.", THU, ended(THU)),
    (COMPANY, "The team enjoyed meeting you.", THU, ended(THU)),
    (USER, "I'm following up on our call on Tuesday.", THU, ended(t(11, 3, 17))),
    (USER, "Thanks for the call last night!", THU, ended(t(11, 4, 21))),
    (COMPANY, "Wes mentioned you two spoke yesterday and he'd like to move you forward.", THU,
     ended(t(11, 4, 17))),
    (USER, "Thank you for coordinating today's panel.", THU, ended(THU)),
    (COMPANY, "Thanks again for your time with Farid last week!", THU, ended(t(10, 30, 17))),
    (COMPANY, "Lovely to speak earlier. As discussed, the client is Copperline.", THU, ended(THU)),
    (COMPANY, "How did the interview go?", THU, ended(THU)),
    (USER, "Just got off the call with Priya - it went well!", THU, ended(THU)),
    (USER, "Thanks for Friday, that was fun.", THU, ended(t(10, 30, 17))),
    (COMPANY, "Marco and Dani loved talking with you!", THU, ended(THU)),
    (USER, "Thanks again for the conversation last Wednesday.", THU, ended(t(10, 28, 17))),
    # --- words that look like it but are not ---------------------------------------------------------
    (USER, "We met on Monday at the conference, I think.", THU, None),
    (COMPANY, "Thanks for the call invite!", THU, None),
    (USER, "Thank you for your time and consideration.", THU, None),
    (COMPANY, "Nice to meet you!", THU, None),
    (COMPANY, "Great to e-meet, Jordan.", THU, None),
    (USER, "Thanks for making time to chat tomorrow.", THU, None),
    (USER, "Looking forward to speaking with you on Monday.", THU, None),
    (USER, "It was great meeting you at the meetup on Tuesday!", THU, None),
    (USER, "Thanks again for speaking with me.", THU, None),  # points back to nothing known
    (USER, "Thank you for the opportunity to interview!", THU, None),
    (COMPANY, "Thanks, all booked for Tuesday.", THU, None),
    (USER, "I really enjoyed our conversation last month.", THU, None),
    (COMPANY, "Thanks for connecting! I'd love to tell you about a role on my team.", THU, None),
    (COMPANY, "Thank you for meeting the deadline for the take-home.", THU, None),
    (USER, "Thank you for the interview opportunity!", THU, None),
    (USER, "Thanks for having me!", THU, ended(THU)),
    (COMPANY, "Please do not follow up after the interview; we contact every candidate.", THU, None),
]


@pytest.mark.parametrize(("who", "text", "sent", "expected"), TABLE,
                         ids=[f"{i:02d}-{row[1][:40]}" for i, row in enumerate(TABLE)])
def test_sentence_implies_interview(who: str, text: str, sent: datetime,
                                    expected: tuple[datetime, datetime] | None) -> None:
    found = interviews(OPENER, msg(who, "Re: Data Engineer at Acme", text, sent, to=ANN if who == ME else ME))
    assert [span(f) for f in found] == ([expected] if expected else [])


def test_the_table_is_large_and_mixed() -> None:
    assert len(TABLE) >= 60
    assert sum(row[3] is None for row in TABLE) >= 20


# --- whole conversations ---------------------------------------------------------------------------


def reply(who: str, text: str, when: datetime) -> Message:
    return msg(who, "Re: Data Engineer at Acme", text, when, to=ANN if who == ME else ME)


def test_a_slot_proposed_by_one_side_and_accepted_by_the_other() -> None:
    found = interviews(OPENER, reply(ANN, "How about Tuesday at 2?", t(11, 2, 10)),
                       reply(ME, "Tuesday at 2 works.", t(11, 2, 11)))
    assert [span(f) for f in found] == [hour(t(11, 3, 14))]
    assert found[0].source == "stated"


def test_a_bare_works_accepts_the_one_time_on_the_table() -> None:
    found = interviews(OPENER, reply(ANN, "tmrw 9:30? i'll call", t(11, 2, 13)), reply(ME, "Works.", t(11, 2, 13, 15)))
    assert [span(f) for f in found] == [hour(t(11, 3, 9, 30))]


def test_a_bare_works_does_not_pick_among_options() -> None:
    found = interviews(OPENER, reply(ANN, "Could you do Monday 11/9 at 1:00 PM or Wednesday 11/11 at 11:00 AM ET?",
                                     t(11, 2, 10)), reply(ME, "Sounds good!", t(11, 2, 11)))
    assert found == []


def test_naming_one_offered_option_takes_it() -> None:
    found = interviews(OPENER, reply(ANN, "He has Tuesday, November 10 at 4:00 PM ET or Thursday, November 12 at "
                                          "9:30 AM ET.", t(11, 2, 10)),
                       reply(ME, "Wonderful, thank you! Tuesday the 10th at 4:00 PM please.", t(11, 2, 11)))
    assert [span(f) for f in found] == [hour(t(11, 10, 16))]


def test_a_time_only_answer_takes_the_day_on_the_table() -> None:
    found = interviews(OPENER, reply(ANN, "they liked you. ok to talk thurs am? have news.", t(11, 2, 20)),
                       reply(ME, "Sure, 9:30 again?", t(11, 2, 21)), reply(ANN, "k 9:30 thu", t(11, 3, 7)))
    assert [span(f) for f in found] == [hour(t(11, 5, 9, 30))]


def test_a_refused_time_is_never_agreed() -> None:
    found = interviews(OPENER, reply(ANN, "How about Tuesday at 2?", t(11, 2, 10)),
                       reply(ME, "Unfortunately Tuesday at 2 doesn't work. Could we do Wednesday at 10 instead?",
                             t(11, 2, 11)),
                       reply(ANN, "Sounds good.", t(11, 2, 12)))
    assert [span(f) for f in found] == [hour(t(11, 4, 10))]


def test_a_later_reschedule_wins() -> None:
    found = interviews(OPENER, reply(ME, "Thursday at 2pm works for me.", t(11, 2, 10)),
                       reply(ANN, "Something came up - could we move to Friday at 10am?", t(11, 3, 9)),
                       reply(ME, "Friday at 10 works.", t(11, 3, 10)))
    assert [span(f) for f in found] == [hour(t(11, 6, 10))]


def test_the_company_moving_the_interview_moves_it() -> None:
    found = interviews(OPENER, reply(ME, "Thursday at 2pm works for me.", t(11, 2, 10)),
                       reply(ANN, "Apologies - we've had to move your interview to Friday at 10am.", t(11, 3, 9)))
    assert [span(f) for f in found] == [hour(t(11, 6, 10))]


def test_an_old_proposal_nobody_took_has_lapsed() -> None:
    found = interviews(OPENER, reply(ANN, "How about Tuesday 11/3 at 2?", t(11, 2, 10)),
                       reply(ME, "Sorry for the slow reply - sounds good, I'm still interested!", t(11, 20, 10)))
    assert found == []


def test_a_cancellation_removes_the_agreed_time() -> None:
    found = interviews(OPENER, reply(ME, "Thursday at 2pm works for me.", t(11, 2, 10)),
                       reply(ANN, "I'm so sorry, I need to cancel our call. I'll be back in touch with new times.",
                             t(11, 4, 9)))
    assert found == []


def test_a_later_round_does_not_replace_a_held_one() -> None:
    found = interviews(OPENER, reply(ME, "Thursday 11/5 at 2pm works for me.", t(11, 2, 10)),
                       reply(ANN, "Great talking yesterday! Next is the team: does Tuesday 11/10 at 11 ET work?",
                             t(11, 6, 9)),
                       reply(ME, "Tuesday at 11 ET works.", t(11, 6, 10)))
    assert [span(f) for f in found] == [hour(t(11, 5, 14)), hour(t(11, 10, 11))]  # the thanks is the first


def test_a_time_in_quoted_text_is_not_read() -> None:
    raw = (b"From: Jordan Lee <jordan.lee@gmail.com>\r\nTo: Ann Park <ann.park@acme.com>\r\n"
           b"Subject: Re: Data Engineer at Acme\r\nDate: Mon, 02 Nov 2026 16:00:00 -0500\r\n"
           b"Message-ID: <q1@gmail.com>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
           b"Thanks Ann, noted.\r\n\r\nOn Mon, Nov 2, 2026 at 3:00 PM Ann Park <ann.park@acme.com> wrote:\r\n"
           b"> Thursday at 2pm works, I'll call you then.\r\n")
    quoting = parse_message(RawMessage("q1", "sent", raw))
    assert "Thursday" not in quoting.text
    assert interviews(OPENER, quoting) == []


def test_an_invitation_is_not_counted_again_in_words() -> None:
    invite = CalendarEvent("Interview: Jordan Lee <> Acme", t(11, 5, 14, 30), t(11, 5, 15), uid="u1",
                           method="REQUEST", organizer=ANN)
    found = interviews(OPENER, reply(ME, "Thursday at 2pm works for me.", t(11, 2, 10)),
                       msg(ANN, "Invitation: Interview", "", t(11, 2, 11), calendar=(invite,)))
    assert [f.source for f in found] == ["calendar"]


def test_words_never_move_an_invitation() -> None:
    invite = CalendarEvent("Interview", t(11, 6, 10), t(11, 6, 11), uid="u1", method="REQUEST", organizer=ANN)
    found = interviews(OPENER, reply(ME, "Thursday at 2pm works for me.", t(11, 2, 10)),  # became Friday's invite
                       msg(ANN, "Invitation: Interview", "", t(11, 2, 11), calendar=(invite,)),
                       reply(ANN, "Let's say Monday 11/9 at 3pm then.", t(11, 3, 9)))  # the invite still stands
    assert [(f.source, f.start) for f in found] == [("calendar", t(11, 6, 10))]


def test_words_do_not_bring_back_a_cancelled_invitation() -> None:
    invite = CalendarEvent("Interview", t(11, 5, 14), t(11, 5, 15), uid="u1", method="REQUEST", organizer=ANN)
    cancel = CalendarEvent("Interview", t(11, 5, 14), t(11, 5, 15), uid="u1", method="CANCEL", sequence=1)
    facts = E.extract_facts(conv(OPENER, reply(ME, "Thursday at 2pm works for me.", t(11, 2, 10)),
                                 msg(ANN, "Invitation: Interview", "", t(11, 2, 11), calendar=(invite,)),
                                 msg(ANN, "Cancelled: Interview", "", t(11, 3, 11), calendar=(cancel,))), CFG)
    assert [type(f) for f in facts if isinstance(f, Scheduled)] == [InterviewCancelled]


def test_the_users_acceptance_of_an_invitation_not_in_the_mailbox() -> None:
    ev = CalendarEvent("Interview: Jordan Lee <> Acme", t(11, 10, 14), t(11, 10, 14, 45), uid="u9",
                       method="REPLY", organizer=ANN)
    accepted = msg(ME, "Accepted: Interview: Jordan Lee <> Acme @ Tue Nov 10, 2026 2pm - 2:45pm (EST)",
                   "Jordan Lee has accepted this invitation.", t(11, 3, 9), to=ANN, calendar=(ev,))
    found = interviews(OPENER, accepted)
    assert [span(f) for f in found] == [hour(t(11, 10, 14), 45)]
    assert found[0].source == "accepted invitation"
    declined = msg(ME, "Declined: Interview", "", t(11, 3, 9), to=ANN, calendar=(ev,))
    assert interviews(OPENER, declined) == []


def test_an_acceptance_beside_its_invitation_counts_once() -> None:
    invite = CalendarEvent("Interview", t(11, 10, 14), t(11, 10, 15), uid="u9", method="REQUEST", organizer=ANN)
    answer = CalendarEvent("Interview", t(11, 10, 14), t(11, 10, 15), uid="u9", method="REPLY", organizer=ANN)
    found = interviews(OPENER, msg(ANN, "Invitation: Interview", "", t(11, 3, 8), calendar=(invite,)),
                       msg(ME, "Accepted: Interview", "", t(11, 3, 9), to=ANN, calendar=(answer,)))
    assert [f.source for f in found] == ["calendar"]


def test_thanks_for_an_agreed_interview_is_that_interview() -> None:
    found = interviews(OPENER, reply(ME, "Thursday at 2pm works for me.", t(11, 2, 10)),
                       reply(ME, "Thank you for speaking with me today!", t(11, 5, 15, 10)))
    assert [span(f) for f in found] == [hour(t(11, 5, 14))]


def test_thanks_on_a_day_with_only_a_proposal_takes_its_time() -> None:
    found = interviews(OPENER, reply(ANN, "Would Thursday at 11 work for a quick call?", t(11, 2, 10)),
                       reply(ME, "Thanks for the call today, Ann.", t(11, 5, 15)))
    assert [span(f) for f in found] == [hour(t(11, 5, 11))]


def test_thanks_before_an_agreed_interview_on_that_weekday_is_not_another() -> None:
    found = interviews(OPENER, reply(ANN, "Let's say Thursday at 2pm.", t(11, 2, 10)),
                       reply(ME, "Thanks for setting this up - and for making time to speak with me on Thursday.",
                             t(11, 3, 10)))
    assert [span(f) for f in found] == [hour(t(11, 5, 14))]


def test_nothing_said_after_the_conversation_closed_opens_a_round() -> None:
    rejection = reply(ANN, "Unfortunately, we have decided to move forward with other candidates.", t(11, 6, 9))
    thanks = reply(ME, "Thank you for letting me know, and thanks for speaking with me yesterday.", t(11, 6, 12))
    offer_call = reply(ANN, "Let's talk it through: Monday 11/9 at 10am works?", t(11, 6, 13))
    assert interviews(OPENER, rejection, thanks, offer_call) == []


def test_a_time_agreed_before_a_rejection_that_came_first_did_not_take_place() -> None:
    found = interviews(OPENER, reply(ME, "Tuesday 11/10 at 2pm works for me.", t(11, 2, 10)),
                       reply(ANN, "I'm sorry to say we have decided to move forward with other candidates.",
                             t(11, 5, 9)))
    assert found == []


# --- through the policy ----------------------------------------------------------------------------------


def decided(now: datetime, *messages: Message):  # type: ignore[no-untyped-def]
    c = conv(*messages)
    return decide(c, TRACK, E.extract_facts(c, CFG), now, CFG, CAL)


def test_agreed_in_words_then_thanked_today_follows_up_a_week_after_the_thanks() -> None:
    messages = (OPENER, reply(ME, "Thursday at 2pm works for me.", t(11, 2, 10)),
                reply(ANN, "Great, I'll call you then.", t(11, 2, 11)))
    before = decided(t(11, 5, 9), *messages)
    assert before.next is not None and before.next.kind == THANK_YOU
    assert before.next.due == t(11, 6, 9)  # 15:00 + 2 h is after hours
    thanks = reply(ME, "Thank you for taking the time to speak with me today.", t(11, 5, 15, 10))
    d = decided(t(11, 6, 9), *messages, thanks)
    assert d.state == OPEN and d.next is not None and d.next.kind == FOLLOW_UP_1
    assert d.next.due == t(11, 12, 15, 10)
    assert [u.step for u in d.used] == [THANK_YOU]


def test_a_thank_you_alone_opens_the_round_and_is_its_thank_you() -> None:
    thanks = reply(ME, "Hi Ann, thank you for taking the time to speak with me today. I'm very interested.",
                   t(11, 5, 15, 10))
    d = decided(t(11, 6, 9), OPENER, thanks)
    assert d.next is not None and d.next.kind == FOLLOW_UP_1 and d.next.due == t(11, 12, 15, 10)
    assert d.interview is not None and d.interview.source == "after the fact"


def test_the_companys_great_chatting_yesterday_is_their_answer() -> None:
    theirs = reply(ANN, "Great chatting yesterday! I've shared my notes with the team.", t(11, 5, 9))
    d = decided(t(11, 5, 12), OPENER, theirs)
    assert d.interview is not None and d.interview.end == t(11, 4, 17)
    assert d.next is None and "answered" in d.reason
    mine = reply(ME, "Thanks Ann, great to hear!", t(11, 5, 13))
    d = decided(t(11, 6, 9), OPENER, theirs, mine)
    assert d.next is not None and d.next.kind == FOLLOW_UP_1 and d.next.due == t(11, 12, 13)


# --- how long it lasts ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("ask", "minutes"), [
    ("Would you have 20 minutes for a quick intro call this week?", 20),
    ("I'd like to set up a 30-minute phone screen.", 30),
    ("Helen would like to do a 45 min video screen.", 45),
    ("Could you do 30-45 minutes for a video call?", 45),
    ("Next is a 2-hour virtual onsite with the team.", 120),
    ("Do you have half an hour for a call?", 30),
    ("We'd like you to spend an hour with the team on a technical interview.", 60),
    ("The take-home should take 3-4 hours; you'll have 72 hours from when you start. Happy to chat after.", 60),
    ("Happy to set up a call.", 60),  # none stated: the configured default
])
def test_the_length_the_conversation_gives_the_meeting(ask: str, minutes: int) -> None:
    found = interviews(OPENER, reply(ANN, ask, t(11, 2, 10)), reply(ME, "Thursday at 2pm works for me.", t(11, 2, 11)))
    assert [span(f) for f in found] == [hour(t(11, 5, 14), minutes)]


def test_each_round_has_its_own_length() -> None:
    found = interviews(OPENER, reply(ANN, "A 30-minute screen on Thursday at 2pm?", t(11, 2, 10)),
                       reply(ME, "Thursday at 2pm works.", t(11, 2, 11)),
                       reply(ANN, "Great talking yesterday! Next is a 90-minute technical round: Tuesday 11/10 at 1pm?",
                             t(11, 6, 9)),
                       reply(ME, "Tuesday at 1pm works.", t(11, 6, 10)))
    assert [span(f) for f in found] == [hour(t(11, 5, 14), 30), hour(t(11, 10, 13), 90)]


def test_a_days_itinerary_is_one_visit() -> None:
    itinerary = ("Here is your itinerary for Thursday, November 12.\n\n8:45 AM   Arrival, Hale Hall 310 (I will meet you)\n"
                 "9:00 AM   Philippa Greaves\n11:30 AM  Presentation and Q&A\n3:30 PM   Closing conversation\n")
    found = interviews(OPENER, reply(ANN, itinerary, t(11, 2, 10)))
    assert [span(f) for f in found] == [(t(11, 12, 8, 45), t(11, 12, 16, 30))]


def test_a_systems_confirmation_is_read_but_not_an_out_of_office() -> None:
    from agent.model import AutoMarkers
    auto = AutoMarkers(auto_submitted="auto-generated")
    ats = msg("no-reply@ashbyhq.com", "Re: Data Engineer at Acme", "Your interview is confirmed. Details below.\n\n"
              "Technical Screen - Data Engineer\nTuesday, November 10, 2026, 2:00 PM - 2:45 PM (EST)\n", t(11, 3, 9),
              auto=auto)
    assert [span(f) for f in interviews(OPENER, ats)] == [hour(t(11, 10, 14), 45)]
    away = msg(ANN, "Automatic reply: Data Engineer at Acme", "I'm out of the office until Monday, November 9. "
               "For the call on Friday at 2pm, please contact Bob.", t(11, 3, 9), auto=auto)
    assert interviews(OPENER, away) == []


def test_a_weekday_in_an_answer_is_the_one_on_the_table() -> None:
    # written on Tuesday Nov 10 before 2pm, answering for Tuesday Nov 17
    found = interviews(OPENER, reply(ANN, "Would Tuesday, November 17 at 2:00 PM ET work?", t(11, 10, 9)),
                       reply(ME, "Tuesday at 2:00 PM ET works well for me.", t(11, 10, 11, 40)),
                       reply(ANN, "Great, you're confirmed for Tuesday, November 17 at 2:00 PM ET.", t(11, 11, 10)))
    assert [span(f) for f in found] == [hour(t(11, 17, 14))]


# --- any text at all --------------------------------------------------------------------------------------

_WORDS = st.sampled_from([
    "Thursday", "thu", "tmrw", "11/5", "Nov 5", "5 November", "13.10.", "at", "2", "2pm", "9:30", "14:00", "noon",
    "-", "–", "to", "ET", "PT", "CEST", "(", ")", "/", "my time", "works", "?", "!", ".", ",", "\n", "Thanks",
    "for", "speaking", "with", "me", "today", "yesterday", "last", "week", "cancel", "not", "call", "interview",
    "by", "after", "between", "and", "or", "99", "0:00", "12:60", "31/31", "2026-02-30", "Feb 30", "o'clock",
])


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(_WORDS, st.text(max_size=12)), max_size=40), st.booleans())
def test_any_words_give_interviews_or_none_never_an_error(words: list[str], mine: bool) -> None:
    text = " ".join(words)
    found = interviews(OPENER, reply(ME if mine else ANN, text, MON), reply(ANN if mine else ME, "Works.", THU))
    for f in found:
        assert f.end > f.start and f.at == f.end
