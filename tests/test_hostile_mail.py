"""Hostile and broken mail: parse_message returns a Message and never raises.

The shapes follow CPython's own email test corpus (Lib/test/test_email/data:
no body, headers only, bad or missing boundaries, nested message/rfc822,
undeclared 8-bit headers, broken base64 and quoted-printable, duplicate
Content-Type, long header lines, garbage dates), written out small here, plus
the mailbox monsters we must survive: 200-deep MIME, 20,000 References, a 15
MB attachment, junk calendars and NUL bytes.
"""

from __future__ import annotations

import base64
import os

import pytest

from agent.mail.parse import MAX_REFERENCES, MAX_TEXT, parse_message
from agent.model import Message, RawMessage

HEAD = (
    "From: Jane <jane@acme.com>\n"
    "To: ana@example.com\n"
    "Subject: Interview\n"
    "Date: Mon, 03 Jun 2024 10:00:00 +0000\n"
    "Message-ID: <m@acme.com>\n"
)


def b(text: str) -> bytes:
    return text.replace("\n", "\r\n").encode("utf-8", "surrogateescape")


def parse(data: bytes, headers_only: bool = False) -> Message:
    m = parse_message(RawMessage(id="x", folder="inbox", data=data, headers_only=headers_only))
    assert isinstance(m, Message)
    assert m.message_id.startswith("<") and m.message_id.endswith(">")
    assert Message.from_json(m.to_json()) == m  # cacheable whatever came in
    return m


CORPUS: dict[str, bytes] = {
    "empty": b"",
    "only newline": b"\r\n",
    "no headers, body only": b"\r\njust a body\r\n",
    "not mail at all": os.urandom(0) + bytes(range(256)) * 8,
    "headers, no body": b(HEAD),
    "headers and blank line": b(HEAD + "\n"),
    "header continuation first": b(" folded first line\n" + HEAD + "\nbody"),
    "header without colon": b(HEAD + "This is not a header\n\nbody"),
    "bare LF": (HEAD + "Content-Type: text/plain\n\nhello lf\n").encode(),
    "bare CR": (HEAD + "\nhello cr\n").replace("\n", "\r").encode(),
    "mixed line ends": (HEAD.replace("\n", "\r\n", 2) + "\nhello\r\n").encode(),
    "multipart without boundary param": b(
        HEAD + "Content-Type: multipart/mixed\n\n--x\nContent-Type: text/plain\n\nhi\n--x--\n"
    ),
    "bad boundary (never used)": b(
        HEAD + "Content-Type: multipart/mixed; boundary=NOPE\n\n--x\n\nhi\n--x--\n"
    ),
    "missing closing boundary": b(
        HEAD
        + 'Content-Type: multipart/mixed; boundary="B"\n\n--B\nContent-Type: text/plain\n\nstill here\n'
    ),
    "boundary with junk after": b(
        HEAD
        + "Content-Type: multipart/alternative; boundary=B\n\n--B junk\nContent-Type: text/plain\n\nhi\n--B--junk\n"
    ),
    "empty multipart": b(HEAD + "Content-Type: multipart/mixed; boundary=B\n\n--B--\n"),
    "nested message/rfc822": b(
        HEAD
        + "Content-Type: multipart/mixed; boundary=B\n\n--B\nContent-Type: text/plain\n\nsee below\n"
        + "--B\nContent-Type: message/rfc822\n\nFrom: x@y.z\nSubject: inner\n"
        + "Content-Type: multipart/mixed; boundary=C\n\n--C\n\ninner text\n--C--\n--B--\n"
    ),
    "message/rfc822 top level": b(HEAD + "Content-Type: message/rfc822\n\nFrom: x@y.z\n\ninner\n"),
    "unencoded non-ascii headers": (
        "From: Jörg Müller <joerg@acme.de>\nSubject: Grüße – «entrevista» 面接\nTo: ana@example.com\n\nhi\n"
    ).encode(),
    "latin-1 headers": "From: José <jose@acme.es>\nSubject: Año\n\nhola\n".encode("latin-1"),
    "broken base64": b(
        HEAD
        + "Content-Type: text/plain\nContent-Transfer-Encoding: base64\n\naGVsbG8gd29ybGQ!!!@@@\n====\nxx\n"
    ),
    "base64 bad length": b(
        HEAD
        + "Content-Type: text/plain\nContent-Transfer-Encoding: base64\n\naGVsbG8gd29ybGQa\nY\n"
    ),
    "broken quoted-printable": b(
        HEAD
        + "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n"
        + "caf=C3=A9 =ZZ =\n= =E\n"
    ),
    "unknown transfer encoding": b(
        HEAD + "Content-Type: text/plain\nContent-Transfer-Encoding: x-rot13\n\nuryyb\n"
    ),
    "multiple content-type headers": b(
        HEAD + "Content-Type: text/html\nContent-Type: text/plain\n\n<p>hi</p>\n"
    ),
    "content-type garbage": b(HEAD + 'Content-Type: ;;;==="\n\nhi\n'),
    "content-type with weird params": b(
        HEAD + "Content-Type: text/plain; charset*=''; charset*0*=x'y'z; name=\"\n\nhi\n"
    ),
    "very long header line": b(HEAD.replace("Interview", "x" * 200_000) + "\nhi\n"),
    "very long folded header": b(
        HEAD.replace("Interview", "\n ".join(["y" * 70] * 5000)) + "\nhi\n"
    ),
    "garbage date": b(
        HEAD.replace("Mon, 03 Jun 2024 10:00:00 +0000", "32 Foo 99999 99:99:99 +9999") + "\nhi\n"
    ),
    "date year zero": b(
        HEAD.replace("Mon, 03 Jun 2024 10:00:00 +0000", "Mon, 1 Jan 0001 00:00:00 +1400") + "\nhi\n"
    ),
    "date overflow": b(
        HEAD.replace("Mon, 03 Jun 2024 10:00:00 +0000", "Fri, 31 Dec 9999 23:59:59 -2359")
        + "\nhi\n"
    ),
    "empty headers": b(
        "From:\nTo:\nSubject:\nDate:\nMessage-ID:\nReferences:\nIn-Reply-To:\n\nhi\n"
    ),
    "unknown charset body": b(HEAD + "Content-Type: text/plain; charset=x-unknown\n\nhello\n"),
    "utf-7ish charset body": b(
        HEAD + "Content-Type: text/plain; charset=utf-7\n\n+AGkAbQ- hi +++\n"
    ),
    "non-text charset body": b(HEAD + "Content-Type: text/plain; charset=base64\n\nhello\n"),
    "idna charset body": b(
        HEAD + "Content-Type: text/plain; charset=idna\n\nhello\xff\n".replace("\xff", "\udcff")
    ),
    "broken encoded words": b(
        HEAD.replace("Interview", "=?utf-8?B?####?= =?x-foo?Q?a?= =?utf-8?Q?=ZZ?= =?=?") + "\nhi\n"
    ),
    "encoded word in address": b(
        HEAD.replace(
            "Jane <jane@acme.com>", "=?utf-8?B?SmFuZSA8ZXZpbEBldmlsLmNvbT4=?= <jane@acme.com>"
        )
        + "\nhi\n"
    ),
    "addresses garbage": b(
        HEAD.replace("ana@example.com", '"unterminated <a@b.c>, <<>>, @@@, ;;;, (comment <x@y.z>')
        + "\nhi\n"
    ),
    "html with broken markup": b(
        HEAD
        + "Content-Type: text/html\n\n<html><![CDATA[ <p>hi<<<</p><!--unterminated <script>alert(1)</p>\n"
    ),
    "html declarations": b(
        HEAD
        + "Content-Type: text/html\n\n<!DOCTYPE x [ <!ENTITY a 'b'> ]><![if !mso]>ok<![endif]><?php x ?></ >\n"
    ),
    "garbage text/calendar part": b(
        HEAD
        + "Content-Type: multipart/mixed; boundary=B\n\n--B\nContent-Type: text/plain\n\nhi there\n"
        + "--B\nContent-Type: text/calendar; method=REQUEST\n\nBEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART:nope\n\x00\n"
        + "--B\nContent-Type: application/ics; name=x.ics\nContent-Transfer-Encoding: base64\n\n!!!!\n--B--\n"
    ),
    "delivery-status garbage": b(
        HEAD
        + "Content-Type: multipart/report; boundary=B\n\n--B\nContent-Type: message/delivery-status\n\n"
        + "Final-Recipient\nAction: failed\n\nAction failed\n--B--\n"
    ),
}


@pytest.mark.parametrize("name", sorted(CORPUS))
def test_corpus_never_raises(name: str) -> None:
    m = parse(CORPUS[name])
    assert len(m.text) <= MAX_TEXT
    hm = parse(CORPUS[name], headers_only=True)
    assert hm.has_body is False and hm.text == ""


def test_corpus_keeps_what_is_readable() -> None:
    assert parse(CORPUS["missing closing boundary"]).text == "still here"
    assert parse(CORPUS["bare LF"]).text == "hello lf"
    assert parse(CORPUS["bad boundary (never used)"]).text == "hi"
    assert parse(CORPUS["multipart without boundary param"]).text == "hi"
    assert parse(CORPUS["base64 bad length"]).text == "hello world"  # no control characters
    assert parse(CORPUS["broken base64"]).text.startswith("hello world")
    assert parse(CORPUS["broken quoted-printable"]).text.startswith("café")
    m = parse(CORPUS["nested message/rfc822"])
    assert m.text == "see below"  # the attached message is not this message's words
    u = parse(CORPUS["unencoded non-ascii headers"])
    assert u.subject == "Grüße – «entrevista» 面接"
    assert u.from_ is not None and u.from_.name == "Jörg Müller"
    assert parse(CORPUS["latin-1 headers"]).subject == "Año"
    assert parse(CORPUS["garbage date"]).date is None
    assert parse(CORPUS["empty headers"]).from_ is None
    assert parse(CORPUS["unknown charset body"]).text == "hello"
    cal = parse(CORPUS["garbage text/calendar part"])
    assert cal.has_calendar_part is True and cal.calendar == () and cal.text == "hi there"
    assert len(parse(CORPUS["very long header line"]).subject) <= 1000


def deep_mime(levels: int) -> bytes:
    inner = "Content-Type: text/plain\n\ninner text\n"
    for i in range(levels):
        inner = (
            f"Content-Type: multipart/mixed; boundary=b{i}\n\n--b{i}\n" + inner + f"\n--b{i}--\n"
        )
    return b(HEAD + inner)


@pytest.mark.parametrize("levels", [200, 1500])
def test_deep_mime_nesting(levels: int) -> None:
    m = parse(deep_mime(levels))
    assert m.subject == "Interview"
    assert m.text == ""  # below the depth cap
    assert any("deep" in d.lower() for d in m.defects)


def test_shallow_nesting_still_read() -> None:
    assert parse(deep_mime(10)).text == "inner text"


def test_many_parts_capped() -> None:
    parts = "".join(f"--B\nContent-Type: text/plain\n\npart {i}\n" for i in range(1000))
    m = parse(b(HEAD + "Content-Type: multipart/mixed; boundary=B\n\n" + parts + "--B--\n"))
    assert m.text.startswith("part 0")
    assert any("MIME parts" in d for d in m.defects)


def test_twenty_thousand_references() -> None:
    refs = "\n ".join(f"<ref{i}.{'z' * 20}@example.com>" for i in range(20_000))
    m = parse(
        b(HEAD + f"References: {refs}\nIn-Reply-To: <ref19999.{'z' * 20}@example.com>\n\nhi\n")
    )
    assert len(m.references) == MAX_REFERENCES
    assert m.references[0] == f"<ref0.{'z' * 20}@example.com>"
    assert m.references[-1] == f"<ref19999.{'z' * 20}@example.com>"
    assert any("References capped" in d for d in m.defects)


def test_fifteen_megabyte_attachment() -> None:
    blob = base64.encodebytes(os.urandom(15 * 1024 * 1024)).replace(b"\n", b"\r\n")
    data = (
        b(
            HEAD
            + "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=BB\n\n"
            + "--BB\nContent-Type: application/pdf; name=cv.pdf\nContent-Disposition: attachment\n"
            + "Content-Transfer-Encoding: base64\n\n"
        )
        + blob
        + b(
            "--BB\nContent-Type: text/plain\nContent-Transfer-Encoding: base64\n\n"
            + base64.encodebytes(("We hope to decide by Friday. " * 20_000).encode()).decode()
            + "--BB--\n"
        )
    )
    m = parse(data)
    assert m.text.startswith("We hope to decide by Friday.")
    assert len(m.text) <= MAX_TEXT
    assert m.content_type == "multipart/mixed"


def test_huge_text_part_is_capped() -> None:
    body = "x" * 5_000_000
    m = parse(b(HEAD + "Content-Type: text/plain\n\n" + body + "\n"))
    assert 0 < len(m.text) <= MAX_TEXT


def test_huge_html_part_is_capped_and_fast() -> None:
    html = "<div><span class='a'>word</span></div>" * 200_000
    m = parse(b(HEAD + "Content-Type: text/html\n\n" + html + "\n"))
    assert m.text.startswith("word") and len(m.text) <= MAX_TEXT


def test_nul_bytes_in_headers_and_body() -> None:
    data = b(HEAD.replace("Interview", "Inter\x00view") + "X-Evil: a\x00b\n\nhello\x00 world\n")
    m = parse(data)
    assert "\x00" not in m.subject and "\x00" not in m.text
    assert m.subject == "Interview"
    assert "hello world" in m.text
    assert any("NUL" in d for d in m.defects)


def test_missing_message_id_and_date() -> None:
    m = parse(b("From: jane@acme.com\nSubject: hi\n\nbody\n"))
    assert m.message_id.startswith("<synthetic.") and m.date is None
    assert parse(b("From: jane@acme.com\nSubject: hi\n\nother body\n")).message_id == m.message_id


def test_random_bytes_never_raise() -> None:
    import random

    rng = random.Random(1234)
    pieces = [
        b"Content-Type: multipart/mixed; boundary=B\r\n",
        b"--B\r\n",
        b"--B--\r\n",
        b"Content-Transfer-Encoding: base64\r\n",
        b"Content-Type: text/calendar\r\n",
        b"Content-Type: text/html; charset=utf-7\r\n",
        b"=?utf-8?b?",
        b"\r\n",
        b"\r\n\r\n",
        b"<blockquote>",
        b"BEGIN:VEVENT\r\n",
        b"\x00\xff\x80",
        b"Subject: =?x?Q?a?=\r\n",
    ]
    for _ in range(200):
        data = b"".join(rng.choice(pieces) for _ in range(rng.randint(0, 40)))
        parse(data)
        parse(data, headers_only=True)


@pytest.mark.parametrize(
    "markup",
    [
        "<a " * 100_000,  # quadratic in the stdlib HTMLParser without the defusing pass
        "<" * 300_000,
        "</" * 150_000,
        "<!--" + "x" * 300_000,
        "<a b='" + "x" * 300_000,
        "<![" * 100_000,
        "<b>" * 100_000,
    ],
)
def test_hostile_html_is_fast(markup: str) -> None:
    m = parse(b(HEAD + "Content-Type: text/html\n\n" + markup + "\n<p>tail</p>\n"))
    assert len(m.text) <= MAX_TEXT


def test_html_less_than_sign_in_text() -> None:
    m = parse(b(HEAD + "Content-Type: text/html\n\n<p>a < b and c > d</p>\n"))
    assert m.text == "a < b and c > d"
