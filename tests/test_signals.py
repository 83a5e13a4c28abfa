"""Every signal with positive and negative cases: recruiting, events, auto-replies, bounces."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from agent.facts import (
    AutoReply,
    Bounce,
    DeadlineStated,
    Fact,
    HumanReply,
    Interview,
    InterviewCancelled,
    NoFollowUp,
    Offer,
    References,
    Rejection,
    UserWrote,
)
from agent.model import Address, AutoMarkers, CalendarEvent
from agent.recipients import choose_recipient
from agent.signals import autoreply, bounces
from agent.signals import events as E
from agent.signals.recruiting import company_from_domain, guess_company, is_noreply
from agent.signals.tracking import classify
from tests.helpers import ME, NY, conv, make_config, msg, t

CFG = make_config()


def kinds(c) -> list[type[Fact]]:  # type: ignore[no-untyped-def]
    return [type(f) for f in E.extract_facts(c, CFG)]


# --- recruiting or not ---------------------------------------------------------------


def test_calendar_interview_is_tracked() -> None:
    ev = CalendarEvent("Interview with Acme", t(12, 1, 10), t(12, 1, 11), organizer="ann@acme.com")
    c = conv(msg("ann@acme.com", "Invitation", "", t(11, 25), calendar=(ev,)))
    assert classify(c, CFG).tracked


def test_ats_sender_is_tracked_but_ack_alone_is_not() -> None:
    c = conv(msg("no-reply@greenhouse.io", "Next steps", "We'd like to schedule a call", t(11, 25)))
    assert classify(c, CFG).tracked
    ack = conv(msg("no-reply@greenhouse.io", "Thank you for applying to Umbrella",
                   "We have received your application for the SRE role.", t(11, 25)))
    verdict = classify(ack, CFG)
    assert not verdict.tracked and "acknowledgement" in verdict.reason


def test_interview_vocabulary_from_company_is_tracked() -> None:
    c = conv(msg("ann@acme.com", "Quick chat", "Would you be free for a phone screen on Tuesday?", t(11, 25)))
    assert classify(c, CFG).tracked


def test_recruiter_outreach_needs_the_user_to_answer() -> None:
    body = "I'm a recruiter at Acme; we have a senior role on the platform team, happy to share the salary."
    unanswered = conv(msg("bob@acme.com", "Hello", body, t(11, 20)))
    assert not classify(unanswered, CFG).tracked
    answered = conv(msg("bob@acme.com", "Hello", body, t(11, 20)),
                    msg(ME, "Re: Hello", "Sure, happy to talk", t(11, 21), to="bob@acme.com"))
    assert classify(answered, CFG).tracked


@pytest.mark.parametrize("auto", [
    AutoMarkers(list_id="jobs.example"), AutoMarkers(list_unsubscribe=True),
    AutoMarkers(precedence="bulk"),
])
def test_bulk_mail_is_not_tracked(auto: AutoMarkers) -> None:
    c = conv(msg("news@acme.com", "New interview tips", "interview role position", t(11, 25), auto=auto))
    assert not classify(c, CFG).tracked


def test_job_board_alert_is_not_tracked() -> None:
    c = conv(msg("jobalerts-noreply@linkedin.com", "30 new jobs: interview-ready roles", "x", t(11, 25)))
    assert not classify(c, CFG).tracked


def test_personal_mail_is_not_tracked() -> None:
    c = conv(msg("mom.lee@yahoo.com", "Dinner on Sunday?", "Are you coming?", t(11, 25)),
             msg(ME, "Re: Dinner on Sunday?", "Yes!", t(11, 25, 14), to="mom.lee@yahoo.com"))
    assert not classify(c, CFG).tracked


def test_labels_force_tracking_either_way() -> None:
    personal = msg("mom.lee@yahoo.com", "Dinner", "Are you coming?", t(11, 25), labels=frozenset({"Recruiting"}))
    assert classify(conv(personal), CFG).tracked
    ev = CalendarEvent("Interview with Acme", t(12, 1, 10), t(12, 1, 11))
    ignored = msg("ann@acme.com", "Interview", "", t(11, 25), calendar=(ev,), labels=frozenset({"Not-Recruiting"}))
    assert not classify(conv(ignored), CFG).tracked


def test_company_guess() -> None:
    assert company_from_domain("talent.acme-robotics.com") == "Acme Robotics"
    assert company_from_domain("globex.co.uk") == "Globex"
    c = conv(msg("Umbrella Recruiting <no-reply@greenhouse.io>", "x", "", t(11, 25), name="Umbrella Recruiting"))
    c = conv(msg("no-reply@greenhouse.io", "x", "", t(11, 25), name="Umbrella Recruiting"))
    assert guess_company(c, CFG) == "Umbrella"
    assert guess_company(conv(msg("ann@initech.io", "x", "", t(11, 25))), CFG) == "Initech"


@pytest.mark.parametrize("addr,expected", [
    ("no-reply@acme.com", True), ("noreply@acme.com", True), ("donotreply@acme.com", True),
    ("notifications@acme.com", True), ("ann.park@acme.com", False), ("nora@acme.com", False),
])
def test_noreply(addr: str, expected: bool) -> None:
    assert is_noreply(Address(addr)) is expected


# --- events --------------------------------------------------------------------------


def test_calendar_interview_fact_and_cancellation() -> None:
    ev = CalendarEvent("Interview", t(12, 1, 10), t(12, 1, 11), uid="u1", method="REQUEST")
    c = conv(msg("ann@acme.com", "Invitation", "", t(11, 25), calendar=(ev,)))
    facts = E.extract_facts(c, CFG)
    iv = [f for f in facts if isinstance(f, Interview)]
    assert len(iv) == 1 and iv[0].start == t(12, 1, 10) and iv[0].at == t(12, 1, 11)
    cancel = CalendarEvent("Interview", t(12, 1, 10), t(12, 1, 11), uid="u1", method="CANCEL", sequence=1)
    c2 = conv(msg("ann@acme.com", "Invitation", "", t(11, 25), calendar=(ev,)),
              msg("ann@acme.com", "Cancelled", "", t(11, 26), calendar=(cancel,)))
    assert Interview not in kinds(c2) and InterviewCancelled in kinds(c2)


def test_rescheduled_invitation_latest_sequence_wins() -> None:
    a = CalendarEvent("Interview", t(12, 1, 10), t(12, 1, 11), uid="u1", sequence=0)
    b = CalendarEvent("Interview", t(12, 3, 14), t(12, 3, 15), uid="u1", sequence=1)
    c = conv(msg("ann@acme.com", "Invitation", "", t(11, 25), calendar=(a,)),
             msg("ann@acme.com", "Updated", "", t(11, 26), calendar=(b,)))
    iv = [f for f in E.extract_facts(c, CFG) if isinstance(f, Interview)]
    assert [f.start for f in iv] == [t(12, 3, 14)]


def test_all_day_interview_ends_at_end_of_day() -> None:
    ev = CalendarEvent("Onsite interview day", t(12, 1, 0), None, all_day=True)
    iv = [f for f in E.extract_facts(conv(msg("ann@acme.com", "x", "", t(11, 25), calendar=(ev,))), CFG)
          if isinstance(f, Interview)]
    assert iv[0].end == t(12, 1, 0) + timedelta(days=1)


@pytest.mark.parametrize("text,start,end", [
    ("Your interview is confirmed for Tuesday, December 1 at 2:00 PM ET.", t(12, 1, 14), t(12, 1, 15)),
    ("Confirming your phone screen on December 1 at 10am - 10:30am PT.", t(12, 1, 13), t(12, 1, 13, 30)),
    ("Your onsite interview is confirmed for 3 December at 9:30 AM.", t(12, 3, 9, 30), t(12, 3, 10, 30)),
])
def test_stated_interview(text: str, start, end) -> None:  # type: ignore[no-untyped-def]
    c = conv(msg("ann@acme.com", "Interview confirmation", text, t(11, 25)))
    iv = [f for f in E.extract_facts(c, CFG) if isinstance(f, Interview)]
    assert len(iv) == 1
    assert iv[0].start == start and iv[0].end == end


@pytest.mark.parametrize("text", [
    "Thanks for applying. We will be in touch.",
    "Our office is open December 1 at 9am for the holiday party.",  # no interview word nearby
])
def test_no_stated_interview(text: str) -> None:
    c = conv(msg("ann@acme.com", "Holiday party", text, t(11, 25)))
    assert Interview not in kinds(c)


def test_human_reply_vs_auto_reply() -> None:
    human = conv(msg("ann@acme.com", "Re: Interview", "Thanks Jordan!", t(11, 25)))
    assert HumanReply in kinds(human)
    ooo = conv(msg("ann@acme.com", "Out of Office: Re: Interview", "I am out of the office until December 7.",
                   t(11, 25), auto=AutoMarkers(auto_submitted="auto-replied")))
    facts = E.extract_facts(ooo, CFG)
    assert [type(f) for f in facts] == [AutoReply]
    assert facts[0].return_date == date(2026, 12, 7)


@pytest.mark.parametrize("subject,text,auto", [
    ("Automatic reply: Interview", "Thanks for your message.", AutoMarkers()),
    ("Re: Interview", "I'm currently out of the office with limited access to email.", AutoMarkers()),
    ("Re: Interview", "x", AutoMarkers(x_autoreply=True)),
    ("Re: Interview", "x", AutoMarkers(precedence="auto_reply")),
])
def test_auto_reply_markers(subject: str, text: str, auto: AutoMarkers) -> None:
    assert autoreply.auto_reply(msg("ann@acme.com", subject, text, t(11, 25), auto=auto), NY) is not None


def test_auto_submitted_no_is_human() -> None:
    m = msg("ann@acme.com", "Re: Interview", "Sounds good", t(11, 25), auto=AutoMarkers(auto_submitted="no"))
    assert autoreply.auto_reply(m, NY) is None


@pytest.mark.parametrize("text,sent,expected", [
    ("I will be back on Monday, December 7.", date(2026, 11, 30), date(2026, 12, 7)),
    ("I am out of office and return 7 December 2026.", date(2026, 11, 30), date(2026, 12, 7)),
    ("Back in the office on 1/4.", date(2026, 12, 20), date(2027, 1, 4)),
    ("I'm away with no fixed return.", date(2026, 12, 20), None),
])
def test_return_date(text: str, sent: date, expected: date | None) -> None:
    assert autoreply.return_date(text, sent) == expected


def test_bounce() -> None:
    b = msg("MAILER-DAEMON@mx.acme.com", "Undeliverable: Re: Interview", "", t(11, 25),
            auto=AutoMarkers(is_report=True, failed_recipients=("ann@acme.com",)))
    facts = E.extract_facts(conv(b), CFG)
    assert [type(f) for f in facts] == [Bounce] and facts[0].addresses == ("ann@acme.com",)
    assert bounces.bounce(msg("ann@acme.com", "Re: Interview", "ok", t(11, 25))) is None


@pytest.mark.parametrize("kind,text", [
    (Rejection, "Unfortunately, we have decided to move forward with other candidates."),
    (Rejection, "We will not be moving forward with your application."),
    (Rejection, "The position has been filled."),
    (Offer, "We are pleased to offer you the position of Senior Engineer."),
    (Offer, "Please find your offer letter attached."),
    (NoFollowUp, "Please do not follow up on this email."),
    (NoFollowUp, "This mailbox is not monitored; please use the candidate portal."),
    (NoFollowUp, "No need to reply to this message."),
    (References, "Could you send two references by Friday?"),
    (References, "We'd like to contact your references."),
])
def test_outcome_phrases(kind: type[Fact], text: str) -> None:
    assert kind in kinds(conv(msg("ann@acme.com", "Re: Interview", text, t(11, 25))))


@pytest.mark.parametrize("text", [
    "We are moving forward with next steps and would love to schedule your onsite.",
    "We are not able to offer remote work, but relocation is covered.",
    "Thanks! I'll reply with times shortly.",
    "We checked your references already, all good.",
])
def test_outcome_phrases_negative(text: str) -> None:
    found = set(kinds(conv(msg("ann@acme.com", "Re: Interview", text, t(11, 25)))))
    assert not found & {Rejection, Offer, NoFollowUp, References}


def test_user_wrote_and_deadline() -> None:
    c = conv(msg("ann@acme.com", "Re: Interview", "We hope to decide by the end of the month.", t(11, 17, 10)),
             msg(ME, "Re: Interview", "Thanks!", t(11, 17, 12), to="ann@acme.com"))
    facts = E.extract_facts(c, CFG)
    assert [type(f) for f in facts] == [DeadlineStated, HumanReply, UserWrote]
    assert facts[0].deadline.last_day == date(2026, 11, 30)


def test_user_text_is_not_a_company_deadline() -> None:
    c = conv(msg(ME, "Re: Interview", "I hope to decide by the end of the month", t(11, 17), to="a@acme.com"))
    assert DeadlineStated not in kinds(c)


# --- recipients ----------------------------------------------------------------------


def test_recipient_prefers_reply_to_of_ats_message() -> None:
    m = msg("no-reply@greenhouse.io", "Interview", "x", t(11, 25), reply_to=(Address("ann@acme.com", "Ann"),))
    assert choose_recipient(conv(m), CFG) == ("ann@acme.com", "ann@acme.com wrote last from a business address")


def test_recipient_skips_personal_unless_allowed() -> None:
    c = conv(msg("recruiter.sam@gmail.com", "Interview", "x", t(11, 25)))
    to, why = choose_recipient(c, CFG)
    assert to is None and "personal" in why
    allowed = make_config(recruiting={"allow_personal_recipients": True})
    assert choose_recipient(c, allowed)[0] == "recruiter.sam@gmail.com"


def test_recipient_falls_back_to_who_the_user_wrote_to() -> None:
    c = conv(msg("no-reply@acme.com", "Interview", "x", t(11, 25)),
             msg(ME, "Re: Interview", "Thanks", t(11, 26), to="ann@acme.com"))
    assert choose_recipient(c, CFG)[0] == "ann@acme.com"


def test_bulk_provider_headers_alone_are_not_bulk() -> None:
    m = msg("ann@acme.com", "Interview", "Your interview is confirmed", t(11, 25),
            auto=AutoMarkers(feedback_id=True))
    assert autoreply.is_bulk(m) is None


def test_bounce_without_a_parsable_sender() -> None:
    from agent.model import Message

    b = Message(id="b", folder="inbox", message_id="<b@x>", subject="Undeliverable", from_=None, date=t(11, 25),
                auto=AutoMarkers(is_report=True, failed_recipients=("ann@acme.com",)))
    facts = E.extract_facts(conv(b), CFG)
    assert [type(f) for f in facts] == [Bounce]


def test_an_invitation_that_also_invites_your_colleagues_is_your_work() -> None:
    """Organised by an outside recruiter, but two colleagues at your employer are on it: a panel you sit on."""
    cfg = make_config(account={"employer_domains": ["northwindtraders.com"]})
    ev = CalendarEvent("Interview: Priya Shah", t(12, 1, 10), t(12, 1, 11), organizer="sam@talentbridge.example",
                       attendees=("jordan.lee@gmail.com", "dana@northwindtraders.com", "priya.shah@gmail.com"))
    c = conv(msg("sam@talentbridge.example", "Interview: Priya Shah - Senior Data Engineer", "", t(11, 25),
                 calendar=(ev,)))
    verdict = classify(c, cfg)
    assert not verdict.tracked and verdict.looks_like == "interviewer"
    assert any(cue.name == "your colleagues are invited too" for cue in verdict.cues)
