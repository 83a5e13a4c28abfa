"""Outcomes and instructions read by structure: the phrase table, and where they may come from.

The table holds realistic recruiter and candidate sentences, each with the
kinds it must yield, and nothing else: a sentence that must yield nothing is
as much a test as one that must yield a rejection. After it: quoted text and
the user's own words never count as the company's instruction (through
``extract_facts``, and through the parser on real message bytes), and a whole
poll on a Maildir where the company asked candidates not to contact the
hiring team leaves no thank-you draft.
"""

from __future__ import annotations

from datetime import datetime
from email import message_from_bytes
from pathlib import Path

import pytest

from agent import engine
from agent.backends.maildir import MaildirMailbox
from agent.businesstime import BusinessCalendar
from agent.config import load_config
from agent.facts import Fact, HumanReply, NoFollowUp, Offer, Rejection, Said, UserWrote, Withdrawn
from agent.mail.parse import parse_message
from agent.model import CalendarEvent, RawMessage
from agent.policy import CLOSED, OPEN, THANK_YOU, decide
from agent.samples import deliver, ics, make_maildir, message
from agent.signals import events as E
from agent.signals import instructions as I
from agent.signals.tracking import Tracking
from agent.store import Store
from tests.helpers import ME, conv, make_config, msg, t

CFG = make_config()
CAL = BusinessCalendar.from_config(CFG)
NONE: frozenset[type[Said]] = frozenset()
NFU = frozenset({NoFollowUp})
REJ = frozenset({Rejection})
OFF = frozenset({Offer})
WD = frozenset({Withdrawn})

# --- the phrase table: what the company writes -----------------------------------------

NO_FOLLOW_UP_SAID = [
    "Please do not follow up on this email.",
    "Please don't follow up with the team; we will be in touch either way.",
    "Kindly refrain from contacting the hiring team.",
    "Kindly refrain from contacting the hiring team regarding the status of your application.",
    "We ask that you not contact the interviewers directly.",
    "We kindly ask candidates not to reach out to individual interviewers.",
    "There is no need to reply to this message.",
    "No need to reply.",
    "You don't need to send a thank-you note after the interview.",
    "It is not necessary to follow up after your interview.",
    "Please refrain from calling or emailing our office about your application.",
    "We will contact you directly.",
    "We'll reach out to you if there's a match.",
    "If your profile is a fit, a member of our team will contact you directly.",
    "You will hear from us via the portal only.",
    "Only shortlisted candidates will be contacted.",
    "This mailbox is not monitored; please use the candidate portal.",
    "This inbox is not monitored.",
    "Replies to this address are not read.",
    "This email was sent from an unmonitored mailbox.",
    "Please do not reply to this email.",
    "Please use the candidate portal for any questions about your application.",
    "All communication regarding your application will take place through the candidate portal.",
    "Due to the high volume of applications, we are unable to respond to individual inquiries.",
    "Phone calls and emails to the hiring team will not be returned.",
    "No phone calls, please.",
    "Please avoid chasing the recruiters for updates.",
    "Candidates are asked not to contact panel members.",
    "Do not contact the hiring manager directly.",
    "We would appreciate it if you did not reach out to the team for status updates.",
    "Please don't check in with us — we'll let you know the outcome by December 11.",
    "We are unable to provide status updates over email.",
    "Please do not email me for updates; I will reach out as soon as I hear from the team.",
    "There's really no need to follow up — we'll contact you directly with next steps.",
    "You will only hear from us if you have been selected for an interview.",
    "Please do not reach out to your interviewers on LinkedIn.",
    "We do not accept phone calls or follow-up emails regarding applications.",
    "Follow-up emails are not necessary.",
    "As a reminder, do not contact the interview panel directly.",
    "Please don't respond to this automated message.",
    "After the interview, please do not follow up by email: our recruiting team contacts every "
    "candidate by December 11 either way.",
    "We ask that applicants refrain from following up on their application.",
    "We kindly request that you do not contact our staff regarding your application.",
    "Please refrain from following up with our interviewers.",
    "We'd ask that you hold off on contacting the team while we finish interviews.",
    "Please note that we are unable to reply to every applicant personally.",
    "Please note: this is a send-only address and replies will not be received.",
    "Our team will get in touch only if your qualifications match our needs.",
    "Should your application be successful, we will contact you directly.",
    "In the event that we wish to proceed, a recruiter will reach out to you.",
    "Please don't reach out to us for updates — we'll email you as soon as there's news.",
    "You are not required to send a thank-you email to the panel.",
    "Please do not contact anyone at Acme about the status of your application.",
    "Direct contact with interviewers is not permitted.",
    "Please do not send follow-up emails to the hiring manager.",
    "Status inquiries will not be answered.",
    "We won't be able to respond to individual emails about this role.",
    "Any questions should be submitted through the candidate portal.",
    "Please log in to the applicant portal to check your status; this mailbox is unattended.",
    "Do NOT reply to this message.",
    "PLEASE DO NOT FOLLOW UP.",
    "Please do not contact us by phone or email.",
    "Please do not send thank-you notes to the interviewers; they will not be read.",
    "Out of respect for our interviewers' time, we ask candidates not to reach out to them after the interview.",
    "Please refrain from reaching out to employees on LinkedIn about this opening.",
    "Please refrain from contacting the team until a decision has been made.",
    "Kindly don't reach out to the interviewers before we get back to you.",
]

NO_FOLLOW_UP_NOT_SAID = [
    "I will call you at the number on your resume, please let me know if there is a better number to use.",
    "Heads up: the portal only shows a couple of weeks of my calendar, so if none of those work let me know.",
    "Please don't hesitate to reach out if you have any questions.",
    "Feel free to contact me anytime.",
    "No need to wait for us to reach out — ping me anytime.",
    "Please do not reply-all to this thread.",
    "Please do not share this link with anyone.",
    "Please don't forget to bring a photo ID.",
    "Please do not contact your references yet; we will ask for them after the onsite.",
    "If you don't hear from us by Friday, feel free to follow up.",
    "We'll be in touch next week with an update.",
    "I'll reach out directly to schedule your onsite.",
    "We'll reach out if we have any questions about your portfolio.",
    "We'll let you know if you move on to the next round.",
    "You don't need to prepare anything for the call.",
    "There's no need to dress up; the office is casual.",
    "No need to reply if the time works for you.",
    "Please don't call before 9am ET, I'm in meetings all morning.",
    "We do not usually reach out to candidates on weekends.",
    "Don't worry if you haven't heard back within a week; just send me a note.",
    "You can check your application status in the candidate portal at any time.",
    "Please use the portal to upload your transcripts.",
    "We are unable to respond to your question about equity until the offer stage.",
    "Please do not reply to this thread with your availability; use the scheduling link instead.",
    "Don't be shy about reaching out to me with questions.",
    "Please don't contact the interviewers directly; send any questions to me instead.",
    "We ask that you not contact the interviewers directly; reach out to me with any questions.",
    "We will contact your references directly.",
    "Please don't reply to the calendar invite itself; just accept it.",
    "We don't expect you to follow up, but you're very welcome to.",
    "Please do not bring any printed materials to the onsite.",
    "Please don't follow up until after December 11; we'll share an update then.",
    "Please do not contact us before your interview; the coordinator will send the details.",
    "Should candidates avoid contacting the interviewers?",
    "Please don't hesitate to get in touch if anything comes up.",
    "Please do not contact me on my personal phone after 6pm.",
    "If you have any questions before then, please reach out.",
    "Please let me know if you need anything else.",
    "We'll follow up with next steps after the debrief on Thursday.",
    "Please reply with your availability for next week.",
    "You don't need to reply to the calendar invite, it's already on your calendar.",
    "No need to bring anything except your laptop.",
    "I'll contact you directly tomorrow to discuss next steps.",
    "Our hiring manager will reach out directly to set up the final interview.",
    "We'll reach out either way once we've made a decision.",
    "Please do not call the main office line; use my cell instead: 555-0100.",
    "We do not provide updates by phone.",
    "Please avoid following up more than once.",
    "There's no need to send a thank-you, but if you want to, send it to me.",
    "Please don't send anything else until you hear from us.",
    "We'll keep your resume on file and reach out if a suitable position opens up.",
    "Please don't contact the office until Monday, we're closed for the holiday.",
]

# --- rejections and offers ------------------------------------------------------------------

REJECTION_SAID = [
    "After a lot of discussion, we've decided not to move forward with an offer for the Data Platform Engineer role.",
    "For this hire they're prioritizing someone with more hands-on experience with robotics telemetry.",
    "As a result, we are closing the search for now and won't be moving forward with any candidates.",
    "The company has decided to put the Senior Data Engineer position on hold until at least the second half "
    "of next year.",
    "We've decided to close the search for this role without making a hire.",
    "Unfortunately, we have decided to move forward with other candidates.",
    "We will not be moving forward with your application.",
    "The position has been filled.",
    "After careful consideration, we have decided not to proceed with your candidacy.",
    "We've decided not to progress your application to the next stage.",
    "The team will not be progressing your application at this time.",
    "We have chosen to pursue other applicants whose experience more closely matches the role.",
    "We have selected another candidate for this position.",
    "The hiring manager decided to go with someone else.",
    "We decided to go in a different direction.",
    "The role has been put on hold indefinitely.",
    "The position you applied for has been cancelled.",
    "We are unable to offer you the position.",
    "We will not be extending an offer at this time.",
    "You were not selected for the next round.",
    "Your application was not successful on this occasion.",
    "We regret to inform you that we won't be moving forward.",
    "We regret to inform you that the team has made its decision.",
    "We don't think it's the right fit at this time.",
    "Your experience doesn't quite align with what we need for this role.",
    "We've decided to fill the role internally.",
    "Sadly, the team has offered the position to another candidate.",
    "I'm afraid we won't be taking your application any further.",
    "We have closed the search for this role.",
    "Unfortunately, the offer has been rescinded due to budget changes.",
    "We are no longer hiring for this position.",
    "We will not be inviting you to the final round.",
    "We extended an offer to another candidate, who accepted.",
    "We're not in a position to make you an offer.",
    "The requisition has been closed due to a reorganization.",
    "Thank you for your interest in Acme. Unfortunately, we will not be proceeding with your application.",
    "After much deliberation, the team has decided to pursue candidates whose backgrounds are more aligned.",
    "We've made the difficult decision not to move you forward to the onsite.",
    "I'm sorry to let you know that we've decided to go with another candidate.",
    "Unfortunately we have decided to offer the role to a candidate with more fintech experience.",
    "While your background is impressive, we will not be moving your application forward.",
    "The hiring team has concluded that you are not the right match for this position.",
    "We have decided to close the position.",
    "We won't be moving ahead with your candidacy.",
    "We're going to pass on your application for now.",
    "Unfortunately this time you haven't been successful.",
    "We have filled the position with an internal candidate.",
    "Our client has decided to proceed with other applicants.",
    "Unfortunately, we have decided not to move forward at this time, but we will keep your details on file.",
    "We are no longer considering external candidates for this role.",
    "At this stage we won't be progressing to interview.",
    "I'm afraid the team has gone with someone whose experience is closer to what they need.",
    "We went with someone who has a lot more experience in payments.",
]

REJECTION_NOT_SAID = [
    "We're looking for someone who can own ingestion end to end.",
    "The team needs someone with deep Spark experience, which is why I thought of you.",
    "We're moving forward with your application and would love to schedule an onsite.",
    "We have decided to move forward with you!",
    "Unfortunately I need to reschedule our call.",
    "We decided not to move forward with the other vendor, so the team has more time for interviews.",
    "If we decide not to move forward, we'll let you know right away.",
    "The position has not been filled yet.",
    "The role has been put on hold until January, but we'll keep your application active.",
    "Unfortunately, the interviewer is out sick, so we need to move your interview.",
    "We regret to inform you that the interview must be rescheduled.",
    "We are still speaking with other candidates this week.",
    "We won't be able to proceed with the interview tomorrow.",
    "We won't be able to proceed with the interview tomorrow; does Friday work?",
    "We haven't chosen another candidate; you are still very much in the running.",
    "The Tuesday slot has been filled, so let's do Wednesday.",
    "Your experience is a great fit for this role.",
    "Not only is your background a great match, the team loved meeting you.",
    "We will not move forward until we get your references.",
    "Even if we go with another candidate for this role, we'd like to keep in touch.",
    "Another candidate dropped out, so we have an extra slot for you.",
    "The other role has been filled, but this one is still open.",
    "We're not able to offer you a signing bonus, but the base salary is flexible.",
    "Tuesday is not a good fit for the panel, so we moved it to Thursday.",
    "We are excited to move you forward to the final round!",
    "Good news: the team wants to proceed with an onsite.",
    "We can't proceed without your signed NDA.",
    "I'm not moving forward with scheduling until I hear back from the panel.",
    "We decided to go with the 2pm slot.",
    "We've chosen a date for your onsite: December 8.",
    "We have not made a final decision yet.",
    "The position remains open and we're excited about your candidacy.",
    "We're not going to be able to make the 3pm slot work, sorry.",
    "You have been selected for the next round!",
    "Your application has been shortlisted.",
    "We've decided to move forward with your candidacy and would like to schedule a final round.",
    "Our hiring manager is someone who loves to chat, so expect a relaxed call.",
    "Thanks for your patience! We're not quite ready to make a decision, but I'll update you on Friday.",
]

OFFER_SAID = [
    "We'd like to offer you the position of Senior Engineer.",
    "We are pleased to extend an offer for the Staff Engineer role.",
    "Your offer letter is attached.",
    "Please find your offer letter attached.",
    "I'm delighted to offer you a full-time position on the platform team.",
    "The team is excited to make you an offer!",
    "Attached is your formal offer of employment.",
    "I've sent the offer letter over in DocuSign for your review.",
    "We're thrilled to offer you the role!",
    "Congratulations, you got the job!",
    "We are offering you the position at a base salary of $180,000.",
    "On behalf of the whole team, I'm happy to extend you a verbal offer.",
    "We would love to offer you the opportunity to join our team as a Product Designer.",
    "The offer letter is attached; let's find a time this week to go over it.",
    "I'm excited to share that we'd like to extend you an offer to join Acme as a Senior Analyst.",
    "Following your final interview, we are delighted to offer you the Data Scientist position.",
    "It gives me great pleasure to offer you employment with Acme.",
    "Please review and sign the attached offer letter by Friday.",
    "We want to offer you the job.",
    "I've attached your offer package with the compensation details.",
    "Congratulations! We'd love to have you join the team — the offer details are below.",
]

OFFER_NOT_SAID = [
    "We are not able to offer remote work, but relocation is covered.",
    "Before we get to the offer stage, we'll need two references.",
    "What we can offer candidates is flexibility.",
    "If we were to offer you the role, what salary would you expect?",
    "We'd like to offer you a chance to interview with the team.",
    "We'd like to offer you an interview for the role.",
    "We hope to extend an offer by the end of next week.",
    "The role offers great growth opportunities.",
    "Do you have any other offers we should know about?",
    "We have not sent the offer letter yet.",
    "We offer competitive benefits and a 401(k) match.",
    "Once references are back, we plan to make you an offer.",
    "We can offer you a slot on Thursday at 2pm.",
    "Congratulations on your other offer!",
    "We'd like to offer you some flexibility on the start date.",
    "Our offer letters usually go out within a week of the final round.",
    "We are not in a position to extend offers until the budget is approved.",
    "Would you consider an offer below your target?",
    "We offer all candidates a stipend for the onsite.",
    "We'd love to have you join the team for lunch during your onsite.",
]

COMPANY_TABLE = (
    [(s, NFU) for s in NO_FOLLOW_UP_SAID] + [(s, NONE) for s in NO_FOLLOW_UP_NOT_SAID]
    + [(s, REJ) for s in REJECTION_SAID] + [(s, NONE) for s in REJECTION_NOT_SAID]
    + [(s, OFF) for s in OFFER_SAID] + [(s, NONE) for s in OFFER_NOT_SAID]
)

# --- the user's withdrawal --------------------------------------------------------------------

WITHDRAWAL_SAID = [
    "I'd like to withdraw my application.",
    "I've accepted another offer and need to withdraw.",
    "Please remove me from consideration.",
    "After a lot of thought, I have decided to withdraw from the process.",
    "I'm writing to withdraw my candidacy for the Senior Engineer role.",
    "I have accepted a position with another company, so please take me out of the running.",
    "I've decided not to move forward with the process.",
    "I must respectfully decline the offer.",
    "I'm no longer interested in the role.",
    "Please withdraw my application.",
    "I'm going to pull out of the process.",
    "I've recently accepted an offer elsewhere.",
    "I need to step back from the process for personal reasons.",
    "I am no longer looking for a new role.",
    "I would like to formally withdraw my name from consideration.",
    "Unfortunately, I have to withdraw my candidacy due to a family situation.",
    "I wanted to let you know that I've accepted a role at another company.",
    "I have decided to accept another opportunity, so I'd like to withdraw from the process.",
    "I'm writing to let you know I'd like to be removed from consideration for the role.",
    "After careful thought, I've decided the role isn't the right fit for me and would like to withdraw.",
    "I will be withdrawing my application, effective immediately.",
    "Please consider this email my formal withdrawal from the process.",
    "I'm going to bow out of the process.",
    "I'd like to respectfully decline your offer.",
    "I've decided to turn down the offer.",
    "I have chosen to pursue another opportunity and am withdrawing my application.",
]

WITHDRAWAL_NOT_SAID = [
    "I'm withdrawing from my other interviews to focus on Acme.",
    "Should I withdraw my application?",
    "I don't want to withdraw my application.",
    "If I need to withdraw, I'll let you know.",
    "I considered withdrawing, but I'm still very interested.",
    "I'd like to withdraw my earlier question about salary.",
    "Please don't remove me from consideration.",
    "I have another offer but would much prefer Acme.",
    "I'm happy to accept the offer!",
    "I am stepping back from my current role at the end of the month.",
    "I'm no longer available on Tuesday; could we do Wednesday?",
    "I withdrew my application at Globex to focus on this role.",
    "I'll have to decline the Thursday slot, but Friday works.",
    "I'm no longer interested in relocating, so remote would be ideal.",
    "I have received another offer with a deadline of Friday.",
    "I'm not withdrawing; I just need a little more time.",
    "I have decided not to move forward with the other company's offer.",
    "I'd like to withdraw the question I asked yesterday, I found the answer.",
    "I'm still very interested in the role and look forward to hearing from you.",
    "Thanks for the offer! Could I have until Friday to decide?",
    "I'm thinking about withdrawing, but wanted to talk first.",
    "I had to withdraw from a conference, so my schedule is open next week.",
    "I've accepted the invitation for Thursday.",
    "I'm no longer available at 2pm but 3pm works.",
    "Would it be possible to withdraw and reapply for the senior role?",
    "I won't be withdrawing my application.",
    "I declined another company's offer because I'm excited about this role.",
    "I'm pulling together my references now.",
    "I'd like to step back and think about the compensation before we talk numbers.",
    "I might withdraw my application.",
]

USER_TABLE = [(s, WD) for s in WITHDRAWAL_SAID] + [(s, NONE) for s in WITHDRAWAL_NOT_SAID]


def test_the_table_is_as_large_as_promised() -> None:
    rows = COMPANY_TABLE + USER_TABLE
    negatives = [s for s, kinds in rows if not kinds]
    assert len(rows) >= 100 and len(negatives) >= 35
    for kind in (NoFollowUp, Rejection, Offer, Withdrawn):
        assert sum(kind in kinds for _, kinds in rows) >= 10
    assert len({s for s, _ in rows}) == len(rows), "a sentence is listed twice"


@pytest.mark.parametrize("sentence,expected", COMPANY_TABLE)
def test_company_phrase_table(sentence: str, expected: frozenset[type[Said]]) -> None:
    found = I.read_company("", sentence)
    assert {f.fact for f in found} == expected
    for f in found:
        assert f.sentence in " ".join(sentence.split()) and f.rule


@pytest.mark.parametrize("sentence,expected", USER_TABLE)
def test_user_phrase_table(sentence: str, expected: frozenset[type[Said]]) -> None:
    found = I.read_user(sentence)
    assert {f.fact for f in found} == expected
    assert all(f.sentence == " ".join(sentence.split()) for f in found)


# --- reading whole messages ------------------------------------------------------------------


def test_evidence_is_the_sentence_not_the_message() -> None:
    body = ("Hi Jordan,\n\nThank you for meeting the team on Tuesday. We enjoyed the conversation\n"
            "about the billing migration. After careful consideration, we have decided to move\n"
            "forward with other candidates whose experience more closely matches the role.\n\n"
            "We wish you the best in your search.\n")
    [f] = I.read_company("Your application at Acme", body)
    assert f.fact is Rejection
    assert f.sentence == ("After careful consideration, we have decided to move forward with other "
                          "candidates whose experience more closely matches the role.")


def test_a_heading_does_not_run_into_the_instruction_under_it() -> None:
    body = "Next steps\nDo not contact the hiring team directly\nWe will be in touch by Friday"
    assert [f.fact for f in I.read_company("", body)] == [NoFollowUp]


def test_a_short_wrapped_line_goes_on_in_the_next() -> None:
    body = "Thanks again, Jordan.\nPlease do not contact the\nhiring team directly.\nAnn"
    assert I.sentences(body) == ["Thanks again, Jordan.", "Please do not contact the hiring team directly.", "Ann"]
    assert [f.fact for f in I.read_company("", body)] == [NoFollowUp]


def test_sentences_keep_abbreviations_and_split_lists() -> None:
    text = "Bring ID, e.g. a passport. Dr. Lee will join at 2 p.m. sharp.\n- Item one\n- Item two"
    assert I.sentences(text) == ["Bring ID, e.g. a passport.", "Dr. Lee will join at 2 p.m. sharp.",
                                 "Item one", "Item two"]


def test_a_narrow_prohibition_counts_when_nothing_else_is_open() -> None:
    narrow = "Please do not contact the interviewers directly."
    assert [f.fact for f in I.read_company("", narrow)] == [NoFollowUp]
    redirected = narrow + "\n\nIf you have questions, feel free to reach out to me."
    assert I.read_company("", redirected) == ()
    portal = narrow + "\n\nYou can reach us through the candidate portal."
    assert [f.fact for f in I.read_company("", portal)] == [NoFollowUp]


@pytest.mark.parametrize("subject,expected", [
    ("Offer letter - Jordan Lee", OFF),
    ("Your offer from Acme", OFF),
    ("Re: Your offer from Acme", NONE),  # the subject of an earlier message: not their new words
    ("Question about the offer letter?", NONE),
    ("Your application was not successful", REJ),
    ("Interview confirmation", NONE),
])
def test_subject_is_read_when_the_company_wrote_it(subject: str, expected: frozenset[type[Said]]) -> None:
    assert {f.fact for f in I.read_company(subject, "Hi Jordan, see below.")} == expected


def test_one_finding_per_kind_the_first_in_reading_order() -> None:
    body = "Kindly refrain from contacting the hiring team. Please do not follow up by phone either."
    [f] = I.read_company("", body)
    assert f.sentence == "Kindly refrain from contacting the hiring team."


def test_do_not_reply_is_about_this_message_when_it_names_a_person_to_write_to() -> None:
    ats = ("Your interview with Acme has been scheduled for Tuesday, December 1 at 10:00 AM ET.\n\n"
           "If you need to reschedule, please contact your recruiter, Ann Park (ann.park@acme.com).\n\n"
           "This is an automated message, please do not reply.")
    assert I.read_company("Interview scheduled", ats) == ()
    alone = ats.split("\n\nIf you need")[0] + "\n\nThis is an automated message, please do not reply."
    assert [f.fact for f in I.read_company("Interview scheduled", alone)] == [NoFollowUp]
    unread = ats.replace("please do not reply", "replies to this address are not read")
    assert [f.fact for f in I.read_company("Interview scheduled", unread)] == [NoFollowUp]


def test_an_agency_keeping_the_client_out_of_it_is_not_a_no_follow_up() -> None:
    body = ("Great news, the client loved you! Please do not contact the client directly; all communication "
            "should go through me so I can keep things moving.")
    assert I.read_company("Re: Acme", body) == ()


def test_the_cheap_cues_never_hide_a_finding() -> None:
    """Each reader first looks for words its rules cannot match without; the table reads the same without."""
    import re
    everything = re.compile("")
    cues = ("_PROHIBITION_CUE", "_PORTAL_CUE", "_REJECTION_CUE", "_WITHDRAWAL_CUE")
    rows = COMPANY_TABLE + USER_TABLE
    before = [(I.read_company("", s), I.read_user(s)) for s, _ in rows]
    saved = {name: getattr(I, name) for name in cues}
    try:
        for name in cues:
            setattr(I, name, everything)
        after = [(I.read_company("", s), I.read_user(s)) for s, _ in rows]
    finally:
        for name, rx in saved.items():
            setattr(I, name, rx)
    assert after == before


@pytest.mark.parametrize("text", [
    "please do not " + "very " * 5000 + "contact us",
    "the hiring team " * 3000,
    "- " * 20000,
    "please , " * 10000,
    "offer you the " * 3000 + "position",
    "i " + "withdraw " * 5000,
    "\u00e9" * 50000,
    "",
])
def test_hostile_text_is_read_without_error(text: str) -> None:
    """Long clauses with no punctuation and repeated frames: the rules stay linear (no nested repeats)."""
    assert isinstance(I.read_company(text[:200], text), tuple)
    assert isinstance(I.read_user(text), tuple)


# --- only the company's new words, only the user's own withdrawal ------------------------------


def kinds(c) -> set[type[Fact]]:  # type: ignore[no-untyped-def]
    return {type(f) for f in E.extract_facts(c, CFG)}


COMPANY_KINDS = {Rejection, Offer, NoFollowUp}


@pytest.mark.parametrize("text", [
    "Kindly refrain from contacting the hiring team.",
    "We will contact you directly.",
    "Unfortunately, we have decided to move forward with other candidates.",
    "We'd like to offer you the position!",
    "This inbox is not monitored; please use the candidate portal.",
])
def test_the_users_own_words_are_never_a_company_instruction(text: str) -> None:
    c = conv(msg("ann@acme.com", "Interview", "Thanks for your time today.", t(12, 1, 15)),
             msg(ME, "Re: Interview", f"Hi Ann, you mentioned: {text} Thanks again!", t(12, 1, 16),
                 to="ann@acme.com"))
    assert not kinds(c) & COMPANY_KINDS


def test_the_company_quoting_a_withdrawal_is_not_the_users_withdrawal() -> None:
    c = conv(msg("ann@acme.com", "Re: Interview", "If you'd like to withdraw your application, just let "
                 "me know. Some candidates say: I'd like to withdraw my application.", t(12, 1, 15)))
    assert Withdrawn not in kinds(c)


def test_the_users_withdrawal_is_a_fact_with_its_sentence() -> None:
    c = conv(msg("ann@acme.com", "Interview", "Thanks for your time today.", t(12, 1, 15)),
             msg(ME, "Re: Interview", "Hi Ann,\n\nThank you for your time. I have accepted another offer "
                 "and would like to withdraw my application.\n\nBest,\nJordan", t(12, 3, 9), to="ann@acme.com"))
    facts = E.extract_facts(c, CFG)
    [w] = [f for f in facts if isinstance(f, Withdrawn)]
    assert w.at == t(12, 3, 9) and "withdraw my application" in w.evidence.quote
    assert UserWrote in {type(f) for f in facts}


def _raw(data: bytes, folder: str = "inbox") -> RawMessage:
    return RawMessage(id=str(hash(data)), folder=folder, data=data)


QUOTING_REPLY = (
    "Hi Jordan,\n\nGreat to hear from you! The team is still finishing interviews; I'll have news\n"
    "for you soon.\n\nAnn\n\n"
    "On Mon, Nov 30, 2026 at 9:00 AM Jordan Lee <jordan.lee@gmail.com> wrote:\n"
    "> Hi Ann, a friend at another company was told: \"Kindly refrain from contacting the hiring\n"
    "> team; we will contact you directly.\" and then \"Unfortunately, we have decided to move\n"
    "> forward with other candidates.\" I hope that's not us! Also, is the offer letter attached\n"
    "> to these emails usually? I'd like to withdraw my application elsewhere.\n"
)


def test_quoted_text_is_never_evidence_through_the_parser() -> None:
    reply = parse_message(_raw(message("Ann Park <ann.park@acme.com>", ME, "Re: Interview", QUOTING_REPLY,
                                       t(12, 1, 10), "r1@acme.com")))
    assert "Kindly refrain" not in reply.text
    found = kinds(conv(reply))
    assert not found & (COMPANY_KINDS | {Withdrawn})
    assert HumanReply in found


def test_new_text_above_a_quote_is_read() -> None:
    body = "Hi Jordan,\n\nKindly refrain from contacting the hiring team until you hear from us.\n" \
           "We will contact you directly once the panel has met.\n\nAnn\n\n" + QUOTING_REPLY.split("Ann\n\n", 1)[1]
    reply = parse_message(_raw(message("Ann Park <ann.park@acme.com>", ME, "Re: Interview", body,
                                       t(12, 1, 10), "r2@acme.com")))
    facts = [f for f in E.extract_facts(conv(reply), CFG) if isinstance(f, NoFollowUp)]
    assert [f.evidence.quote for f in facts] == [
        "Kindly refrain from contacting the hiring team until you hear from us."]


def test_auto_replies_and_bounces_give_no_instruction() -> None:
    from agent.model import AutoMarkers
    ooo = msg("ann@acme.com", "Out of office: Interview", "I am out of the office and will not be "
              "checking email. Please do not contact me until Monday; we will contact you directly.",
              t(12, 2, 9), auto=AutoMarkers(auto_submitted="auto-replied"))
    assert not kinds(conv(ooo)) & COMPANY_KINDS


# --- the policy: a withdrawal closes the conversation ------------------------------------------

TRACK = Tracking(True, "test", "Acme")


def _interview_conv(*extra):  # type: ignore[no-untyped-def]
    ev = CalendarEvent("Interview: Jordan Lee / Acme", t(12, 1, 10), t(12, 1, 11), uid="u1",
                       organizer="ann@acme.com")
    invite = msg("ann@acme.com", "Interview", "The invitation is attached.", t(11, 24, 9), calendar=(ev,))
    return conv(invite, *extra)


def _decide(c, now: datetime):  # type: ignore[no-untyped-def]
    return decide(c, TRACK, E.extract_facts(c, CFG), now, CFG, CAL)


def test_withdrawal_closes_the_conversation() -> None:
    c = _interview_conv(msg(ME, "Re: Interview", "Hi Ann, I've accepted another offer and need to withdraw "
                            "from the process. Thank you for your time.", t(12, 3, 9), to="ann@acme.com"))
    d = _decide(c, t(12, 20, 9))
    assert d.state == CLOSED and d.next is None
    assert d.reason.startswith("Closed: you withdrew on Dec 3:")
    assert "withdraw from the process" in d.reason


def test_a_later_interview_reopens_after_a_withdrawal() -> None:
    later = CalendarEvent("Interview: Jordan Lee / Acme (final)", t(12, 10, 10), t(12, 10, 11), uid="u2",
                          organizer="ann@acme.com")
    c = _interview_conv(
        msg(ME, "Re: Interview", "Please remove me from consideration.", t(12, 3, 9), to="ann@acme.com"),
        msg("ann@acme.com", "Final round", "Would you reconsider? Invitation attached.", t(12, 4, 9),
            calendar=(later,)))
    d = _decide(c, t(12, 10, 12))
    assert d.state == OPEN and d.next is not None and d.next.kind == THANK_YOU


def test_the_latest_ending_says_why() -> None:
    offer = msg("ann@acme.com", "Offer", "We're thrilled to offer you the role!", t(12, 3, 9))
    declined = msg(ME, "Re: Offer", "Thank you so much. After a lot of thought, I must respectfully decline "
                   "the offer.", t(12, 5, 9), to="ann@acme.com")
    d = _decide(_interview_conv(offer, declined), t(12, 7, 9))
    assert d.state == CLOSED and d.reason.startswith("Closed: you withdrew on Dec 5")
    d = _decide(_interview_conv(offer), t(12, 7, 9))
    assert d.state == CLOSED and d.reason.startswith("Closed with an offer on Dec 3")


# --- an instruction overtaken by a later interview ------------------------------------------------


def test_an_interview_arranged_later_overtakes_a_promise_to_contact_you() -> None:
    second = CalendarEvent("Final round: Jordan Lee / Acme", t(12, 10, 10), t(12, 10, 11), uid="u2",
                           organizer="ann@acme.com")
    c = _interview_conv(
        msg(ME, "Re: Interview", "Thank you for today!", t(12, 1, 15), to="ann@acme.com"),
        msg("ann@acme.com", "Re: Interview", "Thanks Jordan. We'll reach out to you directly if the team "
            "wants to move forward.", t(12, 2, 9)),
        msg("ann@acme.com", "Final round", "Great news: the team would like to meet you again. The "
            "invitation is attached.", t(12, 4, 9), calendar=(second,)))
    assert NoFollowUp not in {type(f) for f in E.extract_facts(c, CFG)}
    d = _decide(c, t(12, 10, 12))
    assert d.state == OPEN and d.next is not None and d.next.kind == THANK_YOU


def test_an_instruction_stands_through_a_rescheduled_invitation() -> None:
    ev = CalendarEvent("Interview", t(12, 1, 10), t(12, 1, 11), uid="u1", organizer="ann@acme.com")
    moved = CalendarEvent("Interview", t(12, 2, 10), t(12, 2, 11), uid="u1", organizer="ann@acme.com",
                          sequence=1)
    c = conv(msg("ann@acme.com", "Interview", "The invitation is attached. Please do not follow up after "
                 "the interview; we contact every candidate by December 11.", t(11, 24, 9), calendar=(ev,)),
             msg("ann@acme.com", "Updated: Interview", "Moved by a day, sorry!", t(11, 27, 9), calendar=(moved,)))
    assert NoFollowUp in {type(f) for f in E.extract_facts(c, CFG)}
    d = _decide(c, t(12, 2, 15))
    assert d.state == OPEN and d.next is None and "no follow-ups" in d.reason


# --- a whole poll: "kindly refrain from contacting the hiring team" ------------------------------

ANN = "Ann Park <ann.park@acme.com>"
USER = "Jordan Lee <jordan.lee@gmail.com>"


def _mailbox(root: Path, body: str):  # type: ignore[no-untyped-def]
    inbox, sent, drafts = (make_maildir(root / n) for n in ("INBOX", "Sent", "Drafts"))
    cfg = root / "config.toml"
    cfg.write_text(
        '[account]\nname = "Jordan Lee"\naddresses = ["jordan.lee@gmail.com"]\n'
        'timezone = "America/New_York"\n[mailbox]\nbackend = "maildir"\n'
        f'[maildir]\ninbox = "{inbox}"\nsent = "{sent}"\ndrafts = "{drafts}"\n'
        f'[state]\npath = "{root}/state/state.db"\n')
    config = load_config(cfg)
    inv = ics("Interview: Jordan Lee / Acme", t(12, 1, 13), t(12, 1, 14), organizer="ann.park@acme.com",
              attendee="jordan.lee@gmail.com")
    deliver(inbox, message(ANN, USER, "Interview for the Platform Engineer role", body, t(11, 24, 9),
                           "acme-1@acme.com", calendar=inv))
    return config, drafts


def _poll_drafts(root: Path, body: str, now: datetime) -> tuple[list[str], engine.PollResult]:
    config, drafts = _mailbox(root, body)
    with Store.open(config.state.path) as store:
        result = engine.poll(config, MaildirMailbox.from_config(config.maildir), store, now)  # type: ignore[arg-type]
    steps = []
    for p in sorted(p for sub in ("cur", "new") for p in (drafts / sub).iterdir()):
        marker = message_from_bytes(p.read_bytes()).get("X-Followup-Agent", "")
        steps.append(next((x.split("=")[1] for x in marker.split("; ") if x.startswith("step=")), "user"))
    return steps, result


REFRAIN = ("Hi Jordan,\n\nThe invitation for Tuesday is attached. The panel will meet the week after\n"
           "the interview. Kindly refrain from contacting the hiring team about the outcome in the\n"
           "meantime: we will be in touch with every candidate.\n\nAnn\n")


def test_poll_writes_no_thank_you_where_the_company_asked_not_to_be_contacted(tmp_path: Path) -> None:
    steps, result = _poll_drafts(tmp_path / "refrain", REFRAIN, t(12, 1, 16, 30))
    assert steps == []
    [d] = result.decisions
    assert d.state == OPEN and d.next is None and "Kindly refrain" in d.reason
    # the same conversation without that sentence gets its thank-you
    plain = REFRAIN.replace("Kindly refrain from contacting the hiring team about the outcome in the\n"
                            "meantime: we", "We")
    steps, _ = _poll_drafts(tmp_path / "plain", plain, t(12, 1, 16, 30))
    assert steps == ["thank_you"]


def test_poll_withdraws_a_waiting_draft_when_the_user_withdraws(tmp_path: Path) -> None:
    config, drafts = _mailbox(tmp_path, "Hi Jordan,\n\nThe invitation for Tuesday is attached.\n\nAnn\n")

    def poll(now: datetime) -> engine.PollResult:
        with Store.open(config.state.path) as store:
            return engine.poll(config, MaildirMailbox.from_config(config.maildir), store, now)  # type: ignore[arg-type]

    first = poll(t(12, 1, 16, 30))
    assert [a.kind for a in first.plan] == ["create"] and first.decisions[0].next.kind == THANK_YOU  # type: ignore[union-attr]
    deliver(config.maildir.sent, message(USER, ANN, "Re: Interview for the Platform Engineer role",  # type: ignore[union-attr]
                                         "Hi Ann,\n\nThank you for your time. I've accepted another offer and "
                                         "would like to withdraw my application.\n\nBest,\nJordan\n",
                                         t(12, 1, 17), "jordan-1@gmail.com", in_reply_to="acme-1@acme.com"))
    second = poll(t(12, 1, 17, 30))
    [d] = second.decisions
    assert d.state == CLOSED and d.reason.startswith("Closed: you withdrew on Dec 1")
    assert [a.kind for a in second.plan] == ["withdraw"]
    assert not [p for sub in ("cur", "new") for p in (drafts / sub).iterdir()]
