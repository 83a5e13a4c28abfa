"""A job search of invented people whose stages and dates are known, as real mail, for the
``pipeline`` and ``report`` tests (tests/test_pipeline.py, tests/test_report.py).

Eight conversations, one per stage, written the way mail clients and
calendars write them (the scenario suite's style): each message is built with
the standard library and delivered to INBOX or Sent of any harness.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from zoneinfo import ZoneInfo

from tests.scenario_runner import USER, USER_NAME, Harness

NY = ZoneInfo("America/New_York")
#: The moment the tests poll and ask at.
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=NY)


def _at(month: int, day: int, hour: int = 10) -> datetime:
    return datetime(2026, month, day, hour, 0, tzinfo=NY)


def _mail(cid: str, n: int, frm: str, to: str, subject: str, at: datetime, body: str,
          ics: str | None = None, auto: bool = False) -> tuple[str, bytes]:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = frm, to, subject
    msg["Date"] = format_datetime(at)
    msg["Message-ID"] = f"<{cid}.{n}@mail.example>"
    if n > 1:
        msg["In-Reply-To"] = f"<{cid}.{n - 1}@mail.example>"
        msg["References"] = " ".join(f"<{cid}.{i}@mail.example>" for i in range(1, n))
    if auto:  # what an applicant tracking system's acknowledgement carries (RFC 3834)
        msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(body)
    if ics is not None:
        msg.add_attachment(ics, subtype="calendar", params={"method": "REQUEST"}, filename="invite.ics")
    folder = "sent" if frm.endswith(f"<{USER}>") else "inbox"
    return folder, msg.as_bytes()


def _invite(cid: str, start: datetime, summary: str, organizer: str) -> str:
    z = "%Y%m%dT%H%M%SZ"
    s = start.astimezone(ZoneInfo("UTC"))
    return "\r\n".join((
        "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Example//Calendar//EN", "METHOD:REQUEST", "BEGIN:VEVENT",
        f"UID:{cid}-{s:%Y%m%d}@calendar.example", f"DTSTAMP:{s:{z}}", f"DTSTART:{s:{z}}",
        f"DTEND:{s + timedelta(hours=1):{z}}", f"SUMMARY:{summary}", f"ORGANIZER:mailto:{organizer}",
        f"ATTENDEE;PARTSTAT=NEEDS-ACTION:mailto:{USER}", "STATUS:CONFIRMED", "SEQUENCE:0", "END:VEVENT",
        "END:VCALENDAR", ""))


ME = f"{USER_NAME} <{USER}>"


def _conversation(cid: str, company: str, person: str, subject: str,
                  steps: list[tuple[str, datetime, str] | tuple[str, datetime, str, datetime]]) -> list[tuple[str, bytes]]:
    """Messages of one thread: ("me" | "them" | "auto", when, body[, interview start])."""
    them = f"{person} <{person.split()[0].lower()}@{company.lower().replace(' ', '')}.example>"
    out = []
    for n, step in enumerate(steps, 1):
        who, at, body = step[0], step[1], step[2]
        subj = subject if n == 1 else f"Re: {subject}"
        ics = None
        if len(step) == 4:
            ics = _invite(cid, step[3], f"Interview: {USER_NAME} / {company}", them.split("<")[1].rstrip(">"))
        frm, to = (ME, them) if who == "me" else (them, ME)
        out.append(_mail(cid, n, frm, to, subj, at, body, ics, auto=who == "auto"))
    return out


def job_search() -> list[tuple[str, bytes]]:
    """Every message of the search, (folder, bytes)."""
    apply = "Hello,\n\nPlease find my application attached. I would love to join your team.\n\nBest,\nJordan"
    reply = "Hi Jordan,\n\nThanks for applying! I would like to set up a first conversation with you.\n\nBest"
    invite = "Hi Jordan,\n\nPlease find the invitation for your interview attached.\n\nBest"
    thanks = "Hi,\n\nThank you for the conversation today, I enjoyed it a lot.\n\nBest,\nJordan"
    return [
        *_conversation("northwind", "Northwind", "Nina Berg", "Senior Backend Engineer role at Northwind", [
            ("them", _at(11, 24), "Hi Jordan,\n\nI am a recruiter at Northwind and came across your profile. "
                                  "Would you be open to a chat about our Senior Backend Engineer role?\n\nNina"),
            ("me", _at(11, 25), "Hi Nina,\n\nYes, I am interested in the role and happy to chat this week.\n\n"
                                "Best,\nJordan")]),
        *_conversation("acme", "Acme Analytics", "Carl Stone", "Application for Data Analyst at Acme Analytics", [
            ("me", _at(11, 25), "Hello,\n\nI have applied for the Data Analyst position through your "
                                "careers site and attach my resume.\n\nBest,\nJordan"),
            ("auto", _at(11, 25, 11), "Dear Jordan,\n\nThank you for your application for the Data Analyst "
                                      "position. We have received it and our team will review it.\n\n"
                                      "This is an automated message, please do not reply.")]),
        *_conversation("globex", "Globex", "Gina Holt", "Application for Product Designer", [
            ("me", _at(11, 16), apply), ("them", _at(11, 18), reply)]),
        *_conversation("initech", "Initech", "Ian Moss", "Application for Staff Engineer at Initech", [
            ("me", _at(10, 19), apply), ("them", _at(10, 22), reply),
            ("them", _at(10, 23), invite, _at(10, 28, 14)), ("me", _at(10, 28, 17), thanks),
            ("them", _at(11, 27), invite, _at(12, 3, 14))]),
        *_conversation("umbrella", "Umbrella", "Uma Reyes", "Application for Platform Engineer at Umbrella", [
            ("me", _at(10, 26), apply), ("them", _at(10, 30), reply),
            ("them", _at(11, 2), invite, _at(11, 10, 14)), ("me", _at(11, 10, 17), thanks),
            ("them", _at(11, 18), "Hi Jordan,\n\nWe are delighted to offer you the position of Platform Engineer. "
                                  "The formal offer letter follows.\n\nBest, Uma")]),
        *_conversation("hooli", "Hooli", "Hank Ford", "Application for Site Reliability Engineer at Hooli", [
            ("me", _at(10, 12), apply), ("them", _at(10, 19), reply),
            ("them", _at(10, 27), invite, _at(11, 5, 14)), ("me", _at(11, 5, 17), thanks),
            ("them", _at(11, 12), "Hi Jordan,\n\nThank you for your time. Unfortunately, we have decided not to "
                                  "move forward with your application.\n\nBest, Hank")]),
        *_conversation("vandelay", "Vandelay", "Vera Lind", "Application for Sales Engineer at Vandelay", [
            ("me", _at(11, 2), apply), ("them", _at(11, 5), reply),
            ("me", _at(11, 9), "Hi Vera,\n\nI have accepted another offer, so I would like to withdraw my "
                               "application. Thank you for your time.\n\nJordan")]),
        *_conversation("soylent", "Soylent", "Sam Price", "Application for QA Engineer at Soylent", [
            ("me", _at(9, 1), apply), ("them", _at(9, 3), reply),
            ("them", _at(9, 4), invite, _at(9, 9, 14)), ("me", _at(9, 9, 17), thanks),
            ("me", _at(9, 23), "Hi Sam,\n\nI wanted to follow up on my interview.\n\nBest,\nJordan"),
            ("me", _at(9, 30), "Hi Sam,\n\nJust checking in once more on my application.\n\nBest,\nJordan")]),
    ]


def deliver_all(harness: Harness) -> None:
    """The search into the harness's INBOX and Sent."""
    for folder, data in job_search():
        harness.deliver(folder, data)
