"""agent.mail.parse and agent.mail.quotes: bytes in, plain data out."""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import re
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from types import FrameType
from typing import Any

import pytest

from agent.mail import quotes
from agent.mail.parse import (
    MAX_PART_TEXT,
    MAX_REFERENCES,
    MAX_TEXT,
    html_to_text,
    parse_message,
)
from agent.mail.quotes import MAX_SIGNATURE, split_reply, strip_quoted
from agent.model import Address, Message, RawMessage


def raw(data: str | bytes, **kw: Any) -> RawMessage:
    if isinstance(data, str):
        data = data.replace("\n", "\r\n").encode("utf-8")
    return RawMessage(id=kw.pop("id", "m1"), folder=kw.pop("folder", "inbox"), data=data, **kw)


def parse(data: str | bytes, **kw: Any) -> Message:
    return parse_message(raw(data, **kw))


SIMPLE = """\
From: Jane Doe <Jane.Doe@Acme.com>
To: Ana Lima <ana@example.com>, bob@example.org
Cc: "Hiring Team" <hiring@acme.com>
Reply-To: recruiting@acme.com
Subject: Interview next week
Date: Mon, 03 Jun 2024 10:00:00 +0200
Message-ID: <abc123@mail.acme.com>
In-Reply-To: <prev@example.com>
References: <root@example.com> <prev@example.com>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8

Hi Ana,

We hope to decide by the end of the month.
"""


# --- headers ---------------------------------------------------------------------


def test_simple_message_fields() -> None:
    m = parse(SIMPLE, id="42", folder="inbox", thread_hint="t-1", labels=frozenset({"Recruiting"}))
    assert m.id == "42" and m.folder == "inbox"
    assert m.thread_hint == "t-1" and m.labels == frozenset({"Recruiting"})
    assert m.message_id == "<abc123@mail.acme.com>"
    assert m.subject == "Interview next week"
    assert m.from_ == Address("jane.doe@acme.com", "Jane Doe")
    assert m.to == (Address("ana@example.com", "Ana Lima"), Address("bob@example.org"))
    assert m.cc == (Address("hiring@acme.com", "Hiring Team"),)
    assert m.reply_to == (Address("recruiting@acme.com"),)
    assert m.date == datetime(2024, 6, 3, 8, 0, tzinfo=UTC)
    assert m.in_reply_to == ("<prev@example.com>",)
    assert m.references == ("<root@example.com>", "<prev@example.com>")
    assert m.text == "Hi Ana,\n\nWe hope to decide by the end of the month."
    assert m.content_type == "text/plain"
    assert m.has_body is True
    assert m.marker is None
    assert m.defects == ()
    assert Message.from_json(m.to_json()) == m


def test_headers_only() -> None:
    header_block = SIMPLE.split("\n\n")[0] + "\n\n"
    m = parse(header_block, headers_only=True)
    assert m.has_body is False
    assert m.text == ""
    assert m.subject == "Interview next week"
    assert m.message_id == "<abc123@mail.acme.com>"


def test_headers_only_ignores_body_even_if_present() -> None:
    m = parse(SIMPLE, headers_only=True)
    assert m.has_body is False and m.text == ""


def test_message_id_without_brackets_is_normalised() -> None:
    m = parse(SIMPLE.replace("<abc123@mail.acme.com>", "  abc123@mail.acme.com "))
    assert m.message_id == "<abc123@mail.acme.com>"
    assert any("angle brackets" in d for d in m.defects)


def test_missing_message_id_is_synthesised_deterministically() -> None:
    data = SIMPLE.replace("Message-ID: <abc123@mail.acme.com>\n", "")
    a, b = parse(data), parse(data)
    block = data.replace("\n", "\r\n").encode().split(b"\r\n\r\n")[0]
    digest = hashlib.sha256(block).hexdigest()[:24]
    assert a.message_id == b.message_id == f"<synthetic.{digest}@followup-agent.invalid>"
    assert any("missing Message-ID" in d for d in a.defects)
    other = parse(data.replace("Interview next week", "Other"))
    assert other.message_id != a.message_id


def test_garbage_message_id_is_synthesised() -> None:
    m = parse(SIMPLE.replace("<abc123@mail.acme.com>", "not an id at all"))
    assert m.message_id.startswith("<synthetic.")


def test_references_dedupe_and_bare_ids() -> None:
    data = SIMPLE.replace(
        "References: <root@example.com> <prev@example.com>",
        "References: <a@x> <b@x>\n <a@x>\t<c@x>",
    ).replace("In-Reply-To: <prev@example.com>", "In-Reply-To: c@x (from Ana)")
    m = parse(data)
    assert m.references == ("<a@x>", "<b@x>", "<c@x>")
    assert m.in_reply_to == ("<c@x>",)


def test_references_capped_keeps_root_and_latest() -> None:
    ids = " ".join(f"<id{i}@x>" for i in range(500))
    m = parse(
        SIMPLE.replace("References: <root@example.com> <prev@example.com>", f"References: {ids}")
    )
    assert len(m.references) == MAX_REFERENCES
    assert m.references[0] == "<id0@x>"
    assert m.references[-1] == "<id499@x>"
    assert m.references[1] == f"<id{500 - MAX_REFERENCES + 1}@x>"
    assert any("References capped" in d for d in m.defects)


def test_references_not_capped_below_limit() -> None:
    m = parse(SIMPLE)
    assert not any("capped" in d for d in m.defects)


def test_encoded_words_and_8bit_headers() -> None:
    data = SIMPLE.replace(
        "Subject: Interview next week",
        "Subject: =?UTF-8?B?w5xiZXJwcsO8ZnVuZw==?=\n =?UTF-8?Q?_n=C3=A4chste_Woche?=",
    ).replace(
        "From: Jane Doe <Jane.Doe@Acme.com>",
        "From: =?iso-8859-1?q?J=F6rg_M=FCller?= <joerg@acme.de>",
    )
    m = parse(data)
    assert m.subject == "Überprüfung nächste Woche"
    assert m.from_ == Address("joerg@acme.de", "Jörg Müller")
    # raw UTF-8 and raw latin-1 bytes in headers, no encoding declared
    m8 = parse(SIMPLE.replace("Interview next week", "Entrevista mañana").encode("utf-8"))
    assert m8.subject == "Entrevista mañana"
    ml = parse(
        SIMPLE.replace("Interview next week", "Entrevista mañana")
        .replace("\n", "\r\n")
        .encode("latin-1")
    )
    assert ml.subject == "Entrevista mañana"
    assert any("8-bit" in d for d in ml.defects)


def test_multibyte_char_split_across_encoded_words() -> None:
    # "é" = C3 A9, split between two words
    m = parse(SIMPLE.replace("Interview next week", "=?utf-8?Q?caf=C3?= =?utf-8?Q?=A9?="))
    assert m.subject == "café"


@pytest.mark.parametrize(
    "subject",
    [
        "=?utf-8?B?!!!notbase64?=",
        "=?x-unknown?Q?hello?=",
        "=?utf-7?Q?+AGkAbQ-?=",
        "=?base64?Q?hello?=",
        "=?utf-8?Q?unterminated",
        "=?utf-8?B?YQ?=",
    ],
)
def test_broken_encoded_words_never_raise(subject: str) -> None:
    m = parse(SIMPLE.replace("Interview next week", subject))
    assert isinstance(m.subject, str)
    assert m.message_id == "<abc123@mail.acme.com>"


def test_unknown_charset_in_encoded_word_is_recorded() -> None:
    m = parse(SIMPLE.replace("Interview next week", "=?x-unknown?Q?hello?="))
    assert m.subject == "hello"
    assert any("unknown charset" in d for d in m.defects)


def test_addresses_skip_garbage_and_dedupe() -> None:
    data = SIMPLE.replace(
        "To: Ana Lima <ana@example.com>, bob@example.org",
        'To: "Ana" <ANA@example.com>, ana@example.com, not-an-address, <@>, "x" <a b@c.d>, undisclosed-recipients:;',
    )
    m = parse(data)
    assert m.to == (Address("ana@example.com", "Ana"),)


def test_missing_from_gives_none() -> None:
    m = parse(SIMPLE.replace("From: Jane Doe <Jane.Doe@Acme.com>\n", ""))
    assert m.from_ is None


def test_date_fallback_to_received() -> None:
    data = SIMPLE.replace("Date: Mon, 03 Jun 2024 10:00:00 +0200\n", "").replace(
        "From: ",
        "Received: from b by c; Tue, 04 Jun 2024 12:00:00 +0000\n"
        "Received: from a by b; Tue, 04 Jun 2024 11:59:00 +0000\nFrom: ",
    )
    m = parse(data)
    assert m.date == datetime(2024, 6, 4, 11, 59, tzinfo=UTC)
    assert any("Received" in d for d in m.defects)


def test_unparsable_date_without_received_is_none() -> None:
    m = parse(SIMPLE.replace("Mon, 03 Jun 2024 10:00:00 +0200", "the day after tomorrow"))
    assert m.date is None
    assert any("unparsable Date" in d for d in m.defects)


def test_date_without_zone_is_utc() -> None:
    m = parse(SIMPLE.replace("Mon, 03 Jun 2024 10:00:00 +0200", "Mon, 03 Jun 2024 10:00:00 -0000"))
    assert m.date == datetime(2024, 6, 3, 10, 0, tzinfo=UTC)


def test_marker_header() -> None:
    m = parse(
        SIMPLE.replace("MIME-Version", "X-Followup-Agent: conv=abc; step=thanks\nMIME-Version")
    )
    assert m.marker == "conv=abc; step=thanks"


# --- automatic and bulk markers ----------------------------------------------------

OOO = """\
From: Jane Doe <jane@acme.com>
To: ana@example.com
Subject: Automatic reply: Interview follow-up
Date: Mon, 03 Jun 2024 10:00:00 +0000
Message-ID: <ooo@acme.com>
Auto-Submitted: Auto-Replied; owner-email="jane@acme.com"
X-Autoreply: yes
Precedence: auto_reply
Content-Type: text/plain

I am out of the office until June 10.
"""


def test_out_of_office_markers() -> None:
    m = parse(OOO)
    assert m.auto.auto_submitted == "auto-replied"
    assert m.auto.x_autoreply is True
    assert m.auto.precedence == "auto_reply"
    assert m.text == "I am out of the office until June 10."


@pytest.mark.parametrize(
    "header", ["X-Autorespond: yes", "X-Autoresponder: 1", "X-AutoReply: true"]
)
def test_autoreply_header_variants(header: str) -> None:
    m = parse(SIMPLE.replace("MIME-Version", f"{header}\nMIME-Version"))
    assert m.auto.x_autoreply is True


def test_no_auto_markers_on_human_mail() -> None:
    m = parse(SIMPLE)
    assert m.auto.auto_submitted is None
    assert m.auto.x_autoreply is False
    assert m.auto.precedence is None
    assert m.auto.list_id is None and m.auto.list_unsubscribe is False
    assert m.auto.is_report is False and m.auto.failed_recipients == ()
    assert m.auto.feedback_id is False


def test_auto_submitted_no_and_x_autoreply_no() -> None:
    m = parse(SIMPLE.replace("MIME-Version", "Auto-Submitted: no\nX-Autoreply: no\nMIME-Version"))
    assert m.auto.auto_submitted == "no"
    assert m.auto.x_autoreply is False


LIST_MAIL = """\
From: Jobs Digest <alerts@jobboard.example>
To: ana@example.com
Subject: 25 new jobs for you
Date: Mon, 03 Jun 2024 10:00:00 +0000
Message-ID: <digest@jobboard.example>
List-Id: Job alerts <alerts.jobboard.example>
List-Unsubscribe: <https://jobboard.example/unsub>, <mailto:unsub@jobboard.example>
Precedence: bulk
Feedback-ID: 123:campaign:jobboard
X-Mailchimp-Campaign: abc
Content-Type: text/plain

New jobs this week.
"""


def test_list_mail_markers() -> None:
    m = parse(LIST_MAIL)
    assert m.auto.list_id == "Job alerts <alerts.jobboard.example>"
    assert m.auto.list_unsubscribe is True
    assert m.auto.precedence == "bulk"
    assert m.auto.feedback_id is True


@pytest.mark.parametrize(
    "header", ["X-SG-EID: abc", "X-Campaign-Id: 7", "X-Mailchimp-Foo: 1", "Feedback-ID: a:b"]
)
def test_bulk_header_variants(header: str) -> None:
    assert parse(SIMPLE.replace("MIME-Version", f"{header}\nMIME-Version")).auto.feedback_id is True


DSN = """\
From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>
To: ana@example.com
Subject: Delivery Status Notification (Failure)
Date: Mon, 03 Jun 2024 10:00:00 +0000
Message-ID: <bounce@google.com>
X-Failed-Recipients: jane@acme.com
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="RB"

--RB
Content-Type: text/plain; charset=UTF-8

Address not found. Your message wasn't delivered to jane@acme.com.

--RB
Content-Type: message/delivery-status

Reporting-MTA: dns; googlemail.com

Final-Recipient: rfc822; jane@acme.com
Action: failed
Status: 5.1.1

Final-Recipient: rfc822; other@acme.com
Action: failed
Status: 5.1.1

Final-Recipient: rfc822; fine@acme.com
Action: delivered
Status: 2.0.0

--RB
Content-Type: message/rfc822

From: ana@example.com
To: jane@acme.com
Subject: Thank you
Message-ID: <orig@example.com>

We hope to decide by Friday (this quoted original must not become evidence).

--RB--
"""


def test_dsn_bounce() -> None:
    m = parse(DSN)
    assert m.content_type == "multipart/report"
    assert m.auto.is_report is True
    assert m.auto.failed_recipients == ("jane@acme.com", "other@acme.com")
    assert m.auto.auto_submitted == "auto-replied"
    assert "Address not found" in m.text
    assert "decide by Friday" not in m.text
    assert m.from_ is not None and m.from_.email == "mailer-daemon@googlemail.com"


# --- bodies ------------------------------------------------------------------------

GMAIL_REPLY = """\
From: Jane Doe <jane@acme.com>
To: Ana <ana@example.com>
Subject: Re: Thank you
Date: Tue, 04 Jun 2024 09:00:00 -0700
Message-ID: <CAxyz@mail.gmail.com>
In-Reply-To: <thanks@example.com>
References: <invite@acme.com> <thanks@example.com>
MIME-Version: 1.0
Content-Type: multipart/alternative; boundary="000000000000abcdef"

--000000000000abcdef
Content-Type: text/plain; charset="UTF-8"
Content-Transfer-Encoding: quoted-printable

Hi Ana,

Thanks for your note. You'll hear from us next week.

Best,
Jane

On Mon, Jun 3, 2024 at 5:12=E2=80=AFPM Ana Lima <ana@example.com> wrote:

> Hi Jane, thank you for the interview. Could you tell me when you hope to
> decide? We will not be moving forward is not something I want to hear.
>

--000000000000abcdef
Content-Type: text/html; charset="UTF-8"
Content-Transfer-Encoding: quoted-printable

<div dir=3D"ltr">Hi Ana,<div><br></div><div>Thanks for your note. You'll hear f=
rom us next week.</div></div><br><div class=3D"gmail_quote"><div dir=3D"ltr" cl=
ass=3D"gmail_attr">On Mon, Jun 3, 2024 at 5:12=E2=80=AFPM Ana Lima &lt;ana@exam=
ple.com&gt; wrote:<br></div><blockquote class=3D"gmail_quote">Hi Jane</blockquote></div>

--000000000000abcdef--
"""


def test_gmail_reply_quote_stripped() -> None:
    m = parse(GMAIL_REPLY)
    assert m.content_type == "multipart/alternative"
    assert "You'll hear from us next week." in m.text
    assert "wrote:" not in m.text
    assert "moving forward" not in m.text
    assert "Jane" not in m.text.split("next week.")[1]  # sign-off dropped
    assert m.date == datetime(2024, 6, 4, 16, 0, tzinfo=UTC)


OUTLOOK_REPLY = """\
From: "Doe, Jane" <jane@acme.com>
To: Ana <ana@example.com>
Subject: RE: Thank you
Date: Tue, 4 Jun 2024 16:00:00 +0000
Message-ID: <DM6PR@namprd.outlook.com>
Thread-Topic: Thank you
Thread-Index: AQHa
MIME-Version: 1.0
Content-Type: text/plain; charset="us-ascii"
Content-Transfer-Encoding: quoted-printable

Hello Ana,

We expect to make a decision within two weeks.

Regards
Jane

________________________________
From: Ana Lima <ana@example.com>
Sent: Monday, June 3, 2024 5:12 PM
To: Doe, Jane <jane@acme.com>
Subject: Thank you

Dear Jane, thank you. Unfortunately we have decided to move forward with other candidates.
"""


def test_outlook_reply_quote_stripped() -> None:
    m = parse(OUTLOOK_REPLY)
    assert m.from_ == Address("jane@acme.com", "Doe, Jane")
    assert "within two weeks" in m.text
    assert "Sent:" not in m.text
    assert "other candidates" not in m.text


HTML_ONLY = """\
From: Jane <jane@acme.com>
To: ana@example.com
Subject: Re: Interview
Date: Tue, 04 Jun 2024 09:00:00 +0000
Message-ID: <html1@acme.com>
MIME-Version: 1.0
Content-Type: text/html; charset=windows-1252

<html><head><title>Ignore me</title><style>p {{ color: red }}</style>
<script>var x = "script text";</script></head>
<body><p>Hi Ana,</p><p>We hope to decide by <b>December&nbsp;18</b>.</p>
<ul><li>one</li><li>two</li></ul>
<div class="gmail_quote gmail_quote_container"><div class="gmail_attr">On Mon wrote:</div>
<blockquote class="gmail_quote" style="margin:0"><div>We regret to inform you</div>
<blockquote>nested quote</blockquote><div>still quoted</div></blockquote></div>
<p>caf\xe9</p>
</body></html>
"""


def test_html_only_mail_with_gmail_quote() -> None:
    m = parse(HTML_ONLY.replace("\n", "\r\n").encode("cp1252"))
    assert m.content_type == "text/html"
    assert "Hi Ana," in m.text
    assert "We hope to decide by December 18." in m.text
    assert "one\ntwo" in m.text
    assert "café" in m.text
    for hidden in (
        "Ignore me",
        "color",
        "script text",
        "regret",
        "nested quote",
        "still quoted",
        "wrote",
    ):
        assert hidden not in m.text


def test_html_to_text_blocks_and_outlook_separator() -> None:
    html = (
        "<div>Line one<br>Line two</div><p>Para</p><table><tr><td>a</td><td>b</td></tr></table>"
        '<div id="appendonsend"></div><hr><div id="divRplyFwdMsg"><b>From:</b> Ana</div><div>old stuff</div>'
    )
    text = html_to_text(html)
    assert text.split("\n")[:3] == ["Line one", "Line two", ""]
    assert "Para" in text and "a b" in text
    assert "old stuff" not in text and "From:" not in text


def test_html_to_text_unclosed_and_malformed() -> None:
    assert html_to_text("<p>hello <b>world") == "hello world"
    assert html_to_text("<title>unclosed<body><p>visible</p>") == "visible"
    assert isinstance(
        html_to_text("<![if !supportLists]><!--[if gte mso 9]><xml>x</xml><![endif]-->ok"), str
    )
    assert html_to_text("") == ""


def test_plain_preferred_over_html() -> None:
    m = parse(GMAIL_REPLY)
    assert "<div" not in m.text


def test_empty_plain_alternative_falls_back_to_html() -> None:
    data = """\
From: jane@acme.com
Subject: x
Message-ID: <e@acme.com>
Content-Type: multipart/alternative; boundary=B

--B
Content-Type: text/plain

\x20
--B
Content-Type: text/html

<p>from html</p>
--B--
"""
    assert parse(data).text == "from html"


def test_base64_text_and_charset() -> None:
    import base64

    body = base64.encodebytes("Grüße aus München".encode("iso-8859-1")).decode()
    data = SIMPLE.replace(
        "Content-Type: text/plain; charset=utf-8\n\nHi Ana,\n\nWe hope to decide by the end of the month.\n",
        f"Content-Type: text/plain; charset=iso-8859-1\nContent-Transfer-Encoding: base64\n\n{body}",
    )
    assert parse(data).text == "Grüße aus München"


def test_text_attachment_not_used_as_body() -> None:
    data = """\
From: jane@acme.com
Subject: x
Message-ID: <att@acme.com>
Content-Type: multipart/mixed; boundary=B

--B
Content-Type: text/plain

Please see the attached offer letter.
--B
Content-Type: text/plain; name=notes.txt
Content-Disposition: attachment; filename=notes.txt

Secret attachment text.
--B--
"""
    m = parse(data)
    assert m.text == "Please see the attached offer letter."


def test_text_is_capped() -> None:
    body = ("word " * 20 + "\n") * 20000
    m = parse(SIMPLE.replace("We hope to decide by the end of the month.", body))
    assert len(m.text) <= MAX_PART_TEXT <= MAX_TEXT
    assert any("capped" in d for d in m.defects)


# --- calendar invitations ------------------------------------------------------------

GOOGLE_ICS = """\
BEGIN:VCALENDAR
PRODID:-//Google Inc//Google Calendar 70.9054//EN
VERSION:2.0
CALSCALE:GREGORIAN
METHOD:REQUEST
BEGIN:VTIMEZONE
TZID:America/New_York
END:VTIMEZONE
BEGIN:VEVENT
DTSTART;TZID=America/New_York:20240610T140000
DTEND;TZID=America/New_York:20240610T150000
DTSTAMP:20240601T120000Z
ORGANIZER;CN=Jane Doe:mailto:Jane@Acme.com
UID:abc123@google.com
ATTENDEE;CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=
 TRUE;CN=ana@example.com;X-NUM-GUESTS=0:mailto:ana@example.com
DESCRIPTION:Interview with the team. Join: https://meet.google.com/abc
SEQUENCE:0
STATUS:CONFIRMED
SUMMARY:Interview: Ana Lima / Acme (Backend Engineer)
BEGIN:VALARM
ACTION:DISPLAY
DESCRIPTION:Reminder
TRIGGER:-P0DT0H10M0S
DURATION:PT5M
END:VALARM
END:VEVENT
END:VCALENDAR
"""


def google_invitation() -> str:
    ics_b64 = __import__("base64").encodebytes(GOOGLE_ICS.replace("\n", "\r\n").encode()).decode()
    return f"""\
From: Jane Doe <jane@acme.com>
To: ana@example.com
Subject: Invitation: Interview: Ana Lima / Acme @ Mon Jun 10, 2024 2pm - 3pm (EDT)
Date: Sat, 01 Jun 2024 12:00:00 +0000
Message-ID: <0000000000001@google.com>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="MIXED"

--MIXED
Content-Type: multipart/alternative; boundary="ALT"

--ALT
Content-Type: text/plain; charset="UTF-8"

You have been invited to the following event.
Interview: Ana Lima / Acme (Backend Engineer)

--ALT
Content-Type: text/html; charset="UTF-8"

<p>You have been invited</p>

--ALT
Content-Type: text/calendar; charset="UTF-8"; method=REQUEST
Content-Transfer-Encoding: 7bit

{GOOGLE_ICS}
--ALT--

--MIXED
Content-Type: application/ics; name="invite.ics"
Content-Disposition: attachment; filename="invite.ics"
Content-Transfer-Encoding: base64

{ics_b64}
--MIXED--
"""


def test_google_calendar_invitation() -> None:
    m = parse(google_invitation())
    assert m.content_type == "multipart/mixed"
    assert m.has_calendar_part is True
    assert len(m.calendar) == 1  # the same event in the inline part and invite.ics
    ev = m.calendar[0]
    assert ev.summary == "Interview: Ana Lima / Acme (Backend Engineer)"
    assert ev.start == datetime(2024, 6, 10, 18, 0, tzinfo=UTC)
    assert ev.end == datetime(2024, 6, 10, 19, 0, tzinfo=UTC)
    assert ev.tzid == "America/New_York"
    assert ev.uid == "abc123@google.com"
    assert ev.organizer == "jane@acme.com"
    assert ev.method == "REQUEST" and ev.status == "CONFIRMED" and ev.sequence == 0
    assert "You have been invited to the following event." in m.text
    assert Message.from_json(m.to_json()) == m


def test_headers_only_calendar_hint() -> None:
    head = (
        google_invitation()
        .split("\n\n")[0]
        .replace(
            'multipart/mixed; boundary="MIXED"', 'text/calendar; method=REQUEST; charset="UTF-8"'
        )
    )
    m = parse(head + "\n\n", headers_only=True)
    assert m.has_calendar_part is True and m.calendar == ()
    assert parse(SIMPLE, headers_only=True).has_calendar_part is False
    multi = head.replace(
        'text/calendar; method=REQUEST; charset="UTF-8"',
        "multipart/alternative; boundary=x; method=REQUEST",
    )
    assert parse(multi + "\n\n", headers_only=True).has_calendar_part is True


OUTLOOK_ICS = """\
BEGIN:VCALENDAR
METHOD:REQUEST
PRODID:Microsoft Exchange Server 2010
VERSION:2.0
BEGIN:VTIMEZONE
TZID:W. Europe Standard Time
BEGIN:STANDARD
DTSTART:16010101T030000
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=10
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:16010101T020000
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=3
END:DAYLIGHT
END:VTIMEZONE
BEGIN:VEVENT
ORGANIZER;CN="Doe, Jane":MAILTO:jane@acme.com
DESCRIPTION;LANGUAGE=en-US:Second round\\n
UID:040000008200E00074C5B7101A82E00800000000
SUMMARY;LANGUAGE=en-US:Second interview
DTSTART;TZID=W. Europe Standard Time:20240612T100000
DTEND;TZID=W. Europe Standard Time:20240612T110000
STATUS:CONFIRMED
SEQUENCE:1
END:VEVENT
END:VCALENDAR
"""


def test_outlook_invitation() -> None:
    import base64

    ics = base64.encodebytes(OUTLOOK_ICS.replace("\n", "\r\n").encode()).decode()
    data = f"""\
From: "Doe, Jane" <jane@acme.com>
To: Ana <ana@example.com>
Subject: Second interview
Date: Mon, 3 Jun 2024 09:00:00 +0000
Message-ID: <outlook-invite@acme.com>
Content-Class: urn:content-classes:calendarmessage
MIME-Version: 1.0
Content-Type: multipart/alternative; boundary="_000_"

--_000_
Content-Type: text/plain; charset="us-ascii"

Second round

--_000_
Content-Type: text/calendar; charset="utf-8"; method=REQUEST
Content-Transfer-Encoding: base64

{ics}
--_000_--
"""
    m = parse(data)
    assert m.has_calendar_part is True
    (ev,) = m.calendar
    assert ev.summary == "Second interview"
    assert ev.start == datetime(2024, 6, 12, 8, 0, tzinfo=UTC)
    assert ev.tzid == "Europe/Berlin"
    assert ev.organizer == "jane@acme.com" and ev.sequence == 1
    assert parse(data.split("\n\n")[0] + "\n\n", headers_only=True).has_calendar_part is True


def test_calendar_method_from_part_when_vcalendar_lacks_it() -> None:
    ics = GOOGLE_ICS.replace("METHOD:REQUEST\n", "")
    data = f"""\
From: jane@acme.com
Subject: x
Message-ID: <c@acme.com>
Content-Type: text/calendar; method=CANCEL

{ics}"""
    (ev,) = parse(data).calendar
    assert ev.method == "CANCEL"


def test_no_calendar_part() -> None:
    m = parse(SIMPLE)
    assert m.has_calendar_part is False and m.calendar == ()


# --- quotes.strip_quoted ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Sounds good.\n\n> old\n> older", "Sounds good."),
        ("Sounds good.\n-----Original Message-----\nFrom: x\nold", "Sounds good."),
        ("Ok!\n\nOn Mon, Jun 3, 2024 at 10:00 AM Ana Lima <ana@example.com> wrote:\n> hi", "Ok!"),
        ("Ok!\n\nOn Mon, Jun 3, 2024 at 10:00 AM Ana Lima <\nana@example.com> wrote:\n\nhi", "Ok!"),
        ("Ok.\n\nAm 03.06.2024 um 10:00 schrieb Ana Lima <ana@example.com>:\n> hallo", "Ok."),
        ("Ok.\n\nLe lun. 3 juin 2024 à 10:00, Ana <ana@example.com> a écrit :\n> salut", "Ok."),
        ("Ok.\n\nFrom: Ana <ana@example.com>\nSent: Monday\nTo: Jane\nSubject: x\n\nold", "Ok."),
        ("Ok.\n\nVon: Ana <ana@example.com>\nGesendet: Montag\nAn: Jane\n\nalt", "Ok."),
        ("Ok.\n\n---------- Forwarded message ---------\nFrom: x\n", "Ok."),
        (
            "Thanks for coming in.\n\nBest regards,\nJane Doe\nTalent Partner | Acme\n+1 555 0100",
            "Thanks for coming in.",
        ),
        ("Good news.\n\n-- \nJane\nAcme", "Good news."),
    ],
)
def test_strip_quoted_removes(text: str, expected: str) -> None:
    assert strip_quoted(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Thanks, we hope to decide by Friday.\nPlease reach out with questions.",
        "From: 10am to 11am works.\nTo: be confirmed.",
        "Hi Ana,\n\nFrom: 10am\nTo: 11am\n\nWe will decide by Friday.",
        "Our office is open from Monday.\nOn site interviews happen on Tuesdays.",
        "Agenda:\n- intro\n- coding\n- wrap-up",
        "We will decide by the end of the month.",
        "",
    ],
)
def test_strip_quoted_keeps_ordinary_text(text: str) -> None:
    assert strip_quoted(text) == text


@pytest.mark.parametrize(
    ("text", "body", "signature"),
    [
        (
            "Thanks for coming in.\n\nBest regards,\nJane Doe\nTalent Partner | Acme\n+1 555 0100",
            "Thanks for coming in.",
            "Best regards,\nJane Doe\nTalent Partner | Acme\n+1 555 0100",
        ),
        ("Good news.\n\n-- \nJane\nAcme", "Good news.", "Jane\nAcme"),
        (  # the quote below the sign-off belongs to neither
            "Hi Jordan,\n\nCould you do Tuesday?\n\nThanks,\nMaya Okafor\nTechnical Recruiter | Corvid Labs"
            "\n\nOn Mon, Jun 3, 2024 at 10:00 AM Jordan Lee <jordan.lee@gmail.com> wrote:\n> Hi Maya,\n"
            "> Best,\n> Jordan Lee\n> Staff Engineer | Northwind",
            "Hi Jordan,\n\nCould you do Tuesday?",
            "Thanks,\nMaya Okafor\nTechnical Recruiter | Corvid Labs",
        ),
        (  # an Outlook reply block right under the name
            "We expect to decide within two weeks.\n\nRegards\nJane\nHolloway Health\n"
            "________________________________\nFrom: Ana Lima <ana@example.com>\nSent: Monday\n"
            "To: Jane\nSubject: Thank you\n\nBest,\nAna\nNorthwind",
            "We expect to decide within two weeks.",
            "Regards\nJane\nHolloway Health",
        ),
        ("Thanks, we will decide by Friday.", "Thanks, we will decide by Friday.", ""),
        ("", "", ""),
    ],
)
def test_split_reply_keeps_the_sign_off_block_apart(text: str, body: str, signature: str) -> None:
    assert split_reply(text) == (body, signature)
    assert strip_quoted(text) == body


def test_a_signature_is_capped() -> None:
    text = "See you then.\n\n-- \n" + "Disclaimer: confidential. " * 60
    body, signature = split_reply(text)
    assert body == "See you then."
    assert signature.startswith("Disclaimer: confidential.") and len(signature) <= MAX_SIGNATURE


def test_strip_quoted_windows_line_endings_and_blank_runs() -> None:
    assert strip_quoted("a\r\n\r\n\r\n\r\nb\r\n> q") == "a\n\nb"


# Hostile input: the quote stripper's work is counted in steps, never timed (a clock makes a
# test flaky on a loaded machine). Its own code must be linear in the input (4 times the
# input, about 4 times the steps; quadratic would be 16), and mail-parser-reply, whose
# patterns backtrack quadratically in a line's length, must only ever be handed text inside
# the bounds that keep it fast (quotes._library_safe). What a count cannot see is a
# backtracking inside one regular-expression call: the stripper's own patterns are matched at
# the start of a line only, and the one that can backtrack (the attribution) sees at most 800
# characters.

#: shapes of input that made the stripper (or the library under it) slow, and the size each
#: was first found slow at
HOSTILE: dict[str, tuple[Callable[[int], str], int]] = {
    "blank lines": (lambda n: "hi\n" + "\n" * n + "x", 100_000),
    "one long attribution": (lambda n: "On " + "a b" * n + "\n", 20_000),
    "many long attributions": (lambda n: ("On " + "ab " * 300 + "\n") * n, 60),
    "long lines": (lambda n: ("Warning: mail " * n + "\n") * 5, 2000),
}


@dataclass
class Work:
    """What agent/mail/quotes.py did: lines of its code run, characters given to its regular
    expressions, and the texts it handed to mail-parser-reply."""

    lines: int = 0
    scanned: int = 0
    library: list[str] = field(default_factory=list)


class _CountedPattern:
    """A compiled pattern that adds the length of every string it is given to ``work.scanned``."""

    def __init__(self, pattern: re.Pattern[str], work: Work) -> None:
        self._pattern, self._work = pattern, work

    def __getattr__(self, name: str) -> Callable[..., Any]:
        method = getattr(self._pattern, name)

        def counted(*args: Any, **kwargs: Any) -> Any:
            self._work.scanned += sum(len(a) for a in args if isinstance(a, str))
            return method(*args, **kwargs)

        return counted


@contextlib.contextmanager
def counting() -> Iterator[Work]:
    """Count the stripper's steps while the block runs (sys.settrace for its lines)."""
    import mailparser_reply.parser

    work = Work()
    real = mailparser_reply.parser.EmailMessage

    def handed(*args: Any, **kwargs: Any) -> Any:
        work.library.append(kwargs["text"])
        return real(*args, **kwargs)

    def line(frame: FrameType, event: str, arg: Any) -> Any:
        if event == "line":
            work.lines += 1
        return line

    def call(frame: FrameType, event: str, arg: Any) -> Any:
        return line if frame.f_code.co_filename == quotes.__file__ else None

    previous = sys.gettrace()
    with pytest.MonkeyPatch.context() as mp:
        for name, value in list(vars(quotes).items()):
            if isinstance(value, re.Pattern):
                mp.setattr(quotes, name, _CountedPattern(value, work))
        # the quote markers (agent/mail/quote_markers.py, built from each language's data) too
        real_markers = quotes.markers()
        counted = dataclasses.replace(real_markers, **{
            f.name: _CountedPattern(getattr(real_markers, f.name), work)
            for f in dataclasses.fields(real_markers)})
        mp.setattr(quotes, "markers", lambda: counted)
        mp.setattr(mailparser_reply.parser, "EmailMessage", handed)
        sys.settrace(call)
        try:
            yield work
        finally:
            sys.settrace(previous)


def _stripped(text: str) -> tuple[str, Work]:
    with counting() as work:
        out = strip_quoted(text)
    return out, work


@pytest.mark.parametrize("shape", sorted(HOSTILE))
def test_strip_quoted_hostile_input_costs_steps_linear_in_its_size(shape: str) -> None:
    make, size = HOSTILE[shape]
    _, small = _stripped(make(size // 4))
    _, large = _stripped(make(size))
    assert small.lines > 0 and small.scanned > 0
    assert large.lines <= 5 * small.lines, (shape, small, large)
    assert large.scanned <= 5 * small.scanned, (shape, small.scanned, large.scanned)


@pytest.mark.parametrize("shape", sorted(HOSTILE))
def test_strip_quoted_hostile_input_reaches_the_library_only_within_its_bounds(shape: str) -> None:
    make, size = HOSTILE[shape]
    text = make(size)
    out, work = _stripped(text)
    assert len(out) <= len(text)
    for given in work.library:
        lines = given.split("\n")
        assert len(given) <= quotes._LIB_MAX_CHARS and max(map(len, lines)) <= quotes._LIB_MAX_LINE
        trigger_cost = sum(len(x) ** 2 for x in lines if quotes._TRIGGER_LINE.match(x))
        assert trigger_cost <= quotes._LIB_TRIGGER_BUDGET


def test_strip_quoted_collapses_a_run_of_blank_lines() -> None:
    make, size = HOSTILE["blank lines"]
    assert strip_quoted(make(size)) == "hi\n\nx"


# --- Message.signature -------------------------------------------------------------


SIGNED = """\
From: Maya Okafor <maya@corvidlabs.com>
To: Jordan Lee <jordan.lee@gmail.com>
Subject: Re: Senior Data Engineer at Corvid Labs
Date: Tue, 04 Jun 2024 09:00:00 -0700
Message-ID: <signed1@corvidlabs.com>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8

Hi Jordan,

Would Thursday at 2pm work for the onsite?

Best,
Maya Okafor
Technical Recruiter | Corvid Labs

On Mon, Jun 3, 2024 at 5:12 PM Jordan Lee <jordan.lee@gmail.com> wrote:
> Thanks Maya!
> Best,
> Jordan Lee
> Staff Engineer | Northwind Traders
"""


def test_the_parser_keeps_the_cut_signature() -> None:
    m = parse(SIGNED)
    assert m.text == "Hi Jordan,\n\nWould Thursday at 2pm work for the onsite?"
    assert m.signature == "Best,\nMaya Okafor\nTechnical Recruiter | Corvid Labs"
    assert Message.from_json(m.to_json()) == m


def test_a_signature_from_html_and_none_from_headers_or_quotes() -> None:
    html = SIGNED.split("\n\n")[0].replace("text/plain", "text/html") + (
        "\n\n<html><body><p>Hi Jordan,</p><p>See you Thursday.</p><p>Kind regards,<br>Maya Okafor<br>"
        "Technical Recruiter | Corvid Labs</p><blockquote>Best,<br>Jordan<br>Northwind</blockquote>"
        "</body></html>\n")
    assert parse(html).signature == "Kind regards,\nMaya Okafor\nTechnical Recruiter | Corvid Labs"
    assert parse(SIGNED.split("\n\n")[0] + "\n\n", headers_only=True).signature == ""
    assert parse(GMAIL_REPLY).signature == "Best,\nJane"  # never Ana's quoted words
    assert parse(OUTLOOK_REPLY).signature == "Regards\nJane"


def test_stored_json_without_a_signature_still_loads() -> None:
    m = parse(SIGNED)
    doc = m.to_json()
    del doc["signature"]
    assert Message.from_json(doc) == replace(m, signature="")
