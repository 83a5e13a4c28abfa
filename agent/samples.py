"""Building realistic mail files: used by ``demo`` and by the test scenarios.

Plain functions that return RFC 5322 bytes (with calendar invitations where
asked) and a tiny Maildir writer. Nothing here reads the clock.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from email import policy as email_policy
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path


def ics(
    summary: str, start: datetime, end: datetime, *, organizer: str, attendee: str,
    uid: str | None = None, method: str = "REQUEST", sequence: int = 0, status: str = "CONFIRMED",
) -> str:
    """A minimal but valid invitation with a TZID start, as calendar servers send."""
    tzid = getattr(start.tzinfo, "key", "UTC")
    uid = uid or hashlib.sha1(f"{summary}{start}".encode()).hexdigest() + "@calendar.example"
    fmt = "%Y%m%dT%H%M%S"
    return "\r\n".join([
        "BEGIN:VCALENDAR", "PRODID:-//followup-agent samples//EN", "VERSION:2.0", f"METHOD:{method}",
        "BEGIN:VEVENT", f"UID:{uid}", f"SEQUENCE:{sequence}", f"STATUS:{status}",
        "DTSTAMP:20260101T000000Z",
        f"DTSTART;TZID={tzid}:{start.strftime(fmt)}", f"DTEND;TZID={tzid}:{end.strftime(fmt)}",
        f"SUMMARY:{summary}", f"ORGANIZER;CN=Organizer:mailto:{organizer}",
        f"ATTENDEE;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION:mailto:{attendee}",
        "END:VEVENT", "END:VCALENDAR", "",
    ])


def message(
    frm: str, to: str, subject: str, body: str, date: datetime, msgid: str, *,
    in_reply_to: str | None = None, references: tuple[str, ...] = (),
    headers: dict[str, str] | None = None, calendar: str | None = None, html: str | None = None,
) -> bytes:
    """One message; ``msgid`` without angle brackets."""
    m = EmailMessage(policy=email_policy.SMTP)
    m["From"] = frm
    m["To"] = to
    m["Subject"] = subject
    m["Date"] = format_datetime(date)
    m["Message-ID"] = f"<{msgid}>"
    if in_reply_to:
        m["In-Reply-To"] = f"<{in_reply_to}>"
    refs = references or ((in_reply_to,) if in_reply_to else ())
    if refs:
        m["References"] = " ".join(f"<{r}>" for r in refs)
    for k, v in (headers or {}).items():
        m[k] = v
    m.set_content(body)
    if html:
        m.add_alternative(html, subtype="html")
    if calendar:
        if not m.is_multipart():
            m.make_alternative()
        m.add_alternative(calendar, subtype="calendar", params={"method": "REQUEST"})
    return m.as_bytes()


def make_maildir(path: Path) -> Path:
    for sub in ("cur", "new", "tmp"):
        (path / sub).mkdir(parents=True, exist_ok=True)
    return path


def deliver(folder: Path, data: bytes, *, seen: bool = True, name: str | None = None) -> Path:
    """Put a message into a Maildir folder the way a delivery agent would."""
    make_maildir(folder)
    name = name or hashlib.sha1(data).hexdigest()[:20]
    target = folder / ("cur" if seen else "new") / (f"{name}.sample:2,S" if seen else f"{name}.sample")
    tmp = folder / "tmp" / f"{name}.sample"
    tmp.write_bytes(data)
    tmp.rename(target)
    return target


def at(base: datetime, days: float = 0, hours: float = 0) -> datetime:
    return base + timedelta(days=days, hours=hours)
