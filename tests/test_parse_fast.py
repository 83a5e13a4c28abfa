"""The headers-only fast route of parse_message gives exactly what the stdlib route gives.

``parse_message`` splits an ordinary header block itself
(``agent.mail.headers.split_header_block``) instead of running the stdlib
feed parser; anything unusual goes the stdlib route. Every test here parses
the same bytes both ways (``_parse_message(..., fast=True/False)``) and
requires equal ``Message`` objects, defects included, and equal JSON (which
also compares the dates' UTC offsets). The corpora: every scenario mail,
every message of test_parse.py and test_hostile_mail.py, a corpus of odd
headers written for this file, seeded random blocks, and Hypothesis.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agent.mail import parse
from agent.mail.headers import split_header_block
from agent.model import Message, RawMessage
from tests import test_hostile_mail as hostile
from tests import test_parse as parse_tests

SCENARIOS = Path(__file__).parent / "scenarios"


def both(data: bytes, **kw: Any) -> tuple[Message, Message]:
    raw = RawMessage(id=kw.pop("id", "m1"), folder=kw.pop("folder", "INBOX"), data=data,
                     headers_only=True, **kw)
    return parse._parse_message(raw, None, fast=True), parse._parse_message(raw, None, fast=False)


def assert_same(data: bytes, **kw: Any) -> Message:
    fast, slow = both(data, **kw)
    assert fast == slow, data[:400]
    assert fast.to_json() == slow.to_json()
    return fast


def header_block(data: bytes) -> bytes:
    """What the Maildir backend hands over: up to and including the empty line."""
    ends = [i + n for i, n in ((data.find(b"\n\n"), 2), (data.find(b"\n\r\n"), 3)) if i >= 0]
    return data[: min(ends)] if ends else data


def crlf(text: str) -> bytes:
    return text.replace("\n", "\r\n").encode("utf-8", "surrogateescape")


def lf(text: str) -> bytes:
    return text.encode("utf-8", "surrogateescape")


def shapes(data: bytes) -> list[bytes]:
    """The block alone, the block with its empty line, the whole message."""
    block = header_block(data)
    return list(dict.fromkeys([block.rstrip(b"\r\n") + b"\r\n", block, data]))


# --- the corpora -------------------------------------------------------------------

EML = sorted(SCENARIOS.rglob("*.eml"))

PARSE_TEXTS = {
    "SIMPLE": parse_tests.SIMPLE,
    "OOO": parse_tests.OOO,
    "LIST_MAIL": parse_tests.LIST_MAIL,
    "DSN": parse_tests.DSN,
    "GMAIL_REPLY": parse_tests.GMAIL_REPLY,
    "OUTLOOK_REPLY": parse_tests.OUTLOOK_REPLY,
    "HTML_ONLY": parse_tests.HTML_ONLY,
    "google_invitation": parse_tests.google_invitation(),
    "outlook invitation head": (
        'From: "Doe, Jane" <jane@acme.com>\nTo: Ana <ana@example.com>\nSubject: Second interview\n'
        "Date: Mon, 3 Jun 2024 09:00:00 +0000\nMessage-ID: <outlook-invite@acme.com>\n"
        "Content-Class: urn:content-classes:calendarmessage\nMIME-Version: 1.0\n"
        'Content-Type: multipart/alternative; boundary="_000_"\n\n--_000_\n'
    ),
    "calendar hint head": parse_tests.google_invitation()
    .split("\n\n")[0]
    .replace('multipart/mixed; boundary="MIXED"', 'text/calendar; method=REQUEST; charset="UTF-8"')
    + "\n\n",
    "calendar hint multipart": parse_tests.google_invitation()
    .split("\n\n")[0]
    .replace('multipart/mixed; boundary="MIXED"', "multipart/alternative; boundary=x; method=REQUEST")
    + "\n\n",
}
# calendar text, not mail: the stdlib route (a line without a field name), compared all the same
NOT_MAIL = {"OUTLOOK_ICS": parse_tests.OUTLOOK_ICS, "GOOGLE_ICS": parse_tests.GOOGLE_ICS}

S = parse_tests.SIMPLE
# the messages test_parse.py builds inside its tests, from SIMPLE
SIMPLE_VARIANTS = {
    "id without brackets": S.replace("<abc123@mail.acme.com>", "  abc123@mail.acme.com "),
    "missing id": S.replace("Message-ID: <abc123@mail.acme.com>\n", ""),
    "garbage id": S.replace("<abc123@mail.acme.com>", "not an id at all"),
    "id with whitespace": S.replace("<abc123@mail.acme.com>", "<abc123@\n mail.acme.com>"),
    "references folded": S.replace(
        "References: <root@example.com> <prev@example.com>", "References: <a@x> <b@x>\n <a@x>\t<c@x>"
    ).replace("In-Reply-To: <prev@example.com>", "In-Reply-To: c@x (from Ana)"),
    "500 references": S.replace(
        "References: <root@example.com> <prev@example.com>",
        "References: " + " ".join(f"<id{i}@x>" for i in range(500)),
    ),
    "500 in-reply-to": S.replace(
        "In-Reply-To: <prev@example.com>",
        "In-Reply-To: " + "\n ".join(f"<irt{i}@x>" for i in range(500)),
    ),
    "encoded words": S.replace(
        "Subject: Interview next week",
        "Subject: =?UTF-8?B?w5xiZXJwcsO8ZnVuZw==?=\n =?UTF-8?Q?_n=C3=A4chste_Woche?=",
    ).replace("From: Jane Doe <Jane.Doe@Acme.com>", "From: =?iso-8859-1?q?J=F6rg_M=FCller?= <joerg@acme.de>"),
    "split multibyte": S.replace("Interview next week", "=?utf-8?Q?caf=C3?= =?utf-8?Q?=A9?="),
    **{
        f"broken word {i}": S.replace("Interview next week", w)
        for i, w in enumerate(
            [
                "=?utf-8?B?!!!notbase64?=",
                "=?x-unknown?Q?hello?=",
                "=?utf-7?Q?+AGkAbQ-?=",
                "=?base64?Q?hello?=",
                "=?utf-8?Q?unterminated",
                "=?utf-8?B?YQ?=",
            ]
        )
    },
    "garbage addresses": S.replace(
        "To: Ana Lima <ana@example.com>, bob@example.org",
        'To: "Ana" <ANA@example.com>, ana@example.com, not-an-address, <@>, "x" <a b@c.d>, '
        "undisclosed-recipients:;",
    ),
    "missing from": S.replace("From: Jane Doe <Jane.Doe@Acme.com>\n", ""),
    "received dates": S.replace("Date: Mon, 03 Jun 2024 10:00:00 +0200\n", "").replace(
        "From: ",
        "Received: from b by c; Tue, 04 Jun 2024 12:00:00 +0000\n"
        "Received: from a by b; Tue, 04 Jun 2024 11:59:00 +0000\nFrom: ",
    ),
    "unparsable date": S.replace("Mon, 03 Jun 2024 10:00:00 +0200", "the day after tomorrow"),
    "date -0000": S.replace("Mon, 03 Jun 2024 10:00:00 +0200", "Mon, 03 Jun 2024 10:00:00 -0000"),
    "marker": S.replace("MIME-Version", "X-Followup-Agent: conv=abc; step=thanks\nMIME-Version"),
    **{
        f"header {h}": S.replace("MIME-Version", f"{h}\nMIME-Version")
        for h in [
            "X-Autorespond: yes",
            "X-Autoresponder: 1",
            "X-AutoReply: true",
            "Auto-Submitted: no\nX-Autoreply: no",
            "X-SG-EID: abc",
            "X-Campaign-Id: 7",
            "X-Mailchimp-Foo: 1",
            "Feedback-ID: a:b",
            "X-Failed-Recipients: jane@acme.com, bad address",
            "Content-Class: urn:content-classes:calendarmessage",
        ]
    },
}

# odd headers written for this file: each must give the same either way
ODD = {
    "empty": b"",
    "only CRLF": b"\r\n",
    "blank first line": b"\r\nSubject: x\r\n",
    "no colon line": crlf("Subject: a\nnot a header\nTo: b@c.de\n"),
    "space before colon": crlf("Subject : a\nTo: b@c.de\n"),
    "colon first": crlf(":x\nSubject: a\n"),
    "envelope From line": crlf("From jane@acme.com Mon Jun  3 10:00:00 2024\nSubject: a\n"),
    "envelope From line later": crlf("Subject: a\nFrom jane@acme.com Mon Jun  3 2024\nTo: b@c.de\n"),
    "first line continuation": crlf(" folded\nSubject: a\n"),
    "bare CR": b"Subject: a\rb\r\nTo: b@c.de\r\n\r\n",
    "bare CR at end": b"Subject: a\r",
    "bare LF in CRLF block": b"Subject: a\nTo: b@c.de\r\n\r\n",
    "bare LF continuation in CRLF block": b"Subject: a\n b\r\nTo: x@y.z\r\n\r\n",
    "balanced bare CR and LF": b"A: x\n y\r\nB: p\rq\r\n\r\n",
    "NUL in header": b"Subject: a\x00b\r\nMessage-ID: <x@y>\r\n\r\n",
    "NUL in body": b"Subject: ab\r\nMessage-ID: <x@y>\r\n\r\nbody\x00\r\n",
    "unterminated": b"Subject: hello\r\nMessage-ID: <u@x>",
    "unterminated LF": b"Subject: hello\nMessage-ID: <u@x>",
    "unterminated folded": b"Subject: hello\r\n world",
    "LF only": lf(parse_tests.SIMPLE),
    "empty values": crlf("From:\nTo:\nSubject:\nDate:\nMessage-ID:\nReferences:\nIn-Reply-To:\n\n"),
    "blank values": crlf("Subject:   \nTo: \t \nDate:\t\n\n"),
    "empty first line then folds": crlf("Subject:\n  folded\n\tagain\nMessage-ID:\n <f@x>\n\n"),
    "whitespace-only continuation": crlf("Subject: a\n \n\t\nTo: b@c.de\n\n"),
    # unfolded, the zone is within the 200 characters read; with the breaks left in, it is not
    "many folds in a date": crlf("Date: Mon, 03 Jun 2024 10:00:00" + "\n " * 60 + "+0200\n\n"),
    "tabs after colon": crlf("Subject:\t\t tabbed\nTo:b@c.de\n\n"),
    "duplicate headers": crlf(
        "Subject: one\nSubject: two\nFrom: a@b.cd\nFROM: c@d.ef\nto: x@y.zz\nTo: x@y.zz\n"
        "Message-ID: <1@x>\nMessage-Id: <2@x>\nDate: Mon, 03 Jun 2024 10:00:00 +0000\n"
        "DATE: Tue, 04 Jun 2024 10:00:00 +0000\n\n"
    ),
    "missing date and id": crlf("From: a@b.cd\nSubject: hi\n\n"),
    "huge references": crlf(
        "Subject: r\nReferences: " + "\n ".join(f"<r{i}@x.example>" for i in range(20_000)) + "\n\n"
    ),
    "huge unfolded references": crlf(
        "Subject: r\nReferences: " + " ".join(f"<r{i}@x>" for i in range(20_000)) + "\n\n"
    ),
    "utf-8 raw": crlf("From: Jörg Müller <joerg@acme.de>\nSubject: Grüße – 面接\nTo: ana@example.com\n\n"),
    "latin-1 raw": "From: José <jose@acme.es>\r\nSubject: Año\r\n\r\n".encode("latin-1"),
    "latin-1 folded": "Subject: Año\r\n nuevo\r\nTo: x@y.zz\r\n\r\n".encode("latin-1"),
    "8-bit in unread header": "X-Note: caf\xe9\r\nSubject: plain\r\n\r\n".encode("latin-1"),
    "8-bit content type": "Content-Type: text/plain; name=\"caf\xe9\"\r\n\r\n".encode("latin-1"),
    "8-bit content type with method": "Content-Type: text/calendar; method=REQ\xe9\r\n\r\n".encode(
        "latin-1"
    ),
    "cp1252 undecodable": b"Subject: \x81\x8d\x8f\x90\x9d\xff\r\n\r\n",
    "calendar type": crlf("Content-Type: text/calendar; method=REQUEST; charset=utf-8\n\n"),
    "calendar method param": crlf('Content-Type: multipart/mixed; boundary="b"; method="REQUEST"\n\n'),
    "method empty": crlf("Content-Type: multipart/mixed; method=\n\n"),
    "method quoted empty": crlf('Content-Type: multipart/mixed; method=""\n\n'),
    "method bare attribute": crlf("Content-Type: multipart/mixed; METHOD\n\n"),
    "method rfc2231": crlf("Content-Type: multipart/mixed; method*=utf-8''REQUEST\n\n"),
    "method rfc2231 parts": crlf("Content-Type: multipart/mixed; method*0=REQ; method*1=UEST\n\n"),
    "method in another param": crlf('Content-Type: text/plain; name="method=x"\n\n'),
    "method uppercase": crlf("Content-Type: Multipart/Mixed; Method=Cancel\n\n"),
    "folded content type": crlf("Content-Type: text/\n plain;\n\tmethod=REQUEST\n\n"),
    "folded content type value": crlf("Content-Type:\n multipart/report;\n report-type=delivery-status\n\n"),
    "content type no slash": crlf("Content-Type: texthtml\n\n"),
    "content type two slashes": crlf("Content-Type: a/b/c\n\n"),
    "content type garbage": crlf('Content-Type: ;;;==="\n\n'),
    "content type empty": crlf("Content-Type:\n\n"),
    "multiple content types": crlf("Content-Type: text/html\nContent-Type: text/plain\n\n"),
    "report type": crlf("Content-Type: multipart/report; report-type=delivery-status\n\n"),
    "control characters": crlf("Subject: a\x01b\x7fc\x1bd\nList-Id: x\x0bq\n\n"),
    "form feed and friends": crlf("Subject: a\x0cb\x1cc\x85d\u2028e\nTo: x@y.zz\n\n"),
    "double spaces": crlf("Subject:   spaced    out   \nList-Id:  a  b \n\n"),
    "long subject": crlf("Subject: " + "x" * 5000 + "\n\n"),
    "long spaced subject": crlf("Subject: " + "ab " * 2000 + "\n\n"),
    "odd names": crlf("X-Weird!#$%&'*+-.^_`|~: v\nA: b\nx-campaign-id: 1\nX-FOLLOWUP-AGENT: m\n\n"),
    "header named like a prefix": crlf("X-Campaign: 1\nX-Mailgun-Campaign-Id: 2\nX-HubSpot: 3\n\n"),
    "dsn headers": crlf("Content-Type: multipart/report\nX-Failed-Recipients: a@b.cd, a@b.cd\n\n"),
    "precedence and auto-submitted": crlf(
        "Auto-Submitted: =?utf-8?q?auto-replied?=; x\nPrecedence: =?x-bad?q?bulk?=\nX-Autoreply: No\n"
        "X-Autorespond: =?utf-8?B?!!?=\nList-Id: =?utf-8?Q?list_=C3=A9?=\n\n"
    ),
}

DATES = [
    "Mon, 03 Jun 2024 10:00:00 +0200",
    "Mon, 3 Jun 2024 10:00:00 +0200",
    "3 Jun 2024 10:00:00 +0200",
    "Mon, 03 Jun 2024 10:00:00 -0000",
    "Mon, 03 Jun 2024 10:00:00 +0000",
    "Mon, 03 Jun 2024 10:00:00 -0030",
    "Mon, 03 Jun 2024 10:00:00 +2359",
    "Mon, 03 Jun 2024 10:00:00 +2400",
    "Mon, 03 Jun 2024 10:00:00 +9999",
    "Mon, 03 Jun 2024 10:00:00 +0060",
    "Mon, 03 Jun 2024 10:00:00 +0099",
    "Mon, 03 Jun 2024 10:00:00 +0200 (CEST)",
    "Mon, 03 Jun 2024 10:00:00 +0200\t(CEST) extra words",
    "Mon, 03 Jun 2024 10:00:00 +0200(CEST)",
    "  Mon, 03 Jun 2024 10:00:00 +0200  ",
    "Mon,  03 Jun 2024 10:00:00 +0200",
    "Mon,03 Jun 2024 10:00:00 +0200",
    "Monday, 03 Jun 2024 10:00:00 +0200",
    "Xyz, 03 Jun 2024 10:00:00 +0200",
    "Mon, 03 JUN 2024 10:00:00 +0200",
    "Mon, 03 jun 2024 10:00:00 +0200",
    "Mon, 03 June 2024 10:00:00 +0200",
    "Mon, 03 Jux 2024 10:00:00 +0200",
    "Mon, 31 Feb 2024 10:00:00 +0200",
    "Mon, 00 Jun 2024 10:00:00 +0200",
    "Mon, 29 Feb 2023 10:00:00 +0000",
    "Mon, 29 Feb 2024 10:00:00 +0000",
    "Mon, 03 Jun 2024 24:00:00 +0200",
    "Mon, 03 Jun 2024 23:60:00 +0200",
    "Mon, 03 Jun 2024 23:59:60 +0200",
    "Mon, 03 Jun 0099 10:00:00 +0200",
    "Mon, 03 Jun 1000 10:00:00 +0200",
    "Mon, 01 Jan 1000 00:00:00 +2359",
    "Fri, 31 Dec 9999 23:59:59 -2359",
    "Fri, 31 Dec 9999 23:59:59 +0000",
    "Mon, 1 Jan 0001 00:00:00 +1400",
    "Mon, 03 Jun 24 10:00:00 +0200",
    "Mon, 03 Jun 2024 10:00 +0200",
    "Mon, 03 Jun 2024 10:00:00",
    "Mon, 03 Jun 2024 10:00:00 GMT",
    "Mon, 03 Jun 2024 10:00:00 EST",
    "Mon, 03 Jun 2024 10.00.00 +0200",
    "2024-06-03T10:00:00+02:00",
    "Mon, 03 Jun 2024 10:00:00 +02:00",
    "Mon, 03 Jun 2024 10:00:00 ++0200",
    "Mon, 03 Jun 2024 ١٠:00:00 +0200",
    "Mon, ٠٣ Jun 2024 10:00:00 +0200",
    "Mon, 123 Jun 2024 10:00:00 +0200",
    "",
    "   ",
    "garbage",
]


# --- tests -------------------------------------------------------------------------


@pytest.mark.parametrize("path", EML, ids=[str(p.relative_to(SCENARIOS)) for p in EML])
def test_scenario_mail(path: Path) -> None:
    data = path.read_bytes()
    for shape in shapes(data):
        assert_same(shape)
    assert split_header_block(header_block(data)) is not None  # ordinary mail: the fast route


def test_scenario_mail_is_there() -> None:
    assert len(EML) >= 50


@pytest.mark.parametrize("name", sorted(PARSE_TEXTS))
def test_parse_module_messages(name: str) -> None:
    text = PARSE_TEXTS[name]
    for data in (crlf(text), lf(text)):
        for shape in shapes(data):
            assert_same(shape, thread_hint="t-1", labels=frozenset({"Recruiting"}))
    assert split_header_block(header_block(crlf(text))) is not None


@pytest.mark.parametrize("name", sorted(NOT_MAIL))
def test_parse_module_calendar_text(name: str) -> None:
    for data in (crlf(NOT_MAIL[name]), lf(NOT_MAIL[name])):
        for shape in shapes(data):
            assert_same(shape)


@pytest.mark.parametrize("name", sorted(SIMPLE_VARIANTS))
def test_parse_module_variants(name: str) -> None:
    text = SIMPLE_VARIANTS[name]
    for data in (crlf(text), lf(text), text.replace("\n", "\r\n").encode("latin-1", "replace")):
        for shape in shapes(data):
            assert_same(shape)


def test_eight_bit_variants_of_simple() -> None:
    text = S.replace("Interview next week", "Entrevista mañana")
    for data in (text.encode("utf-8"), text.replace("\n", "\r\n").encode("latin-1")):
        for shape in shapes(data):
            m = assert_same(shape)
            assert m.subject == "Entrevista mañana"


@pytest.mark.parametrize("name", sorted(hostile.CORPUS))
def test_hostile_corpus(name: str) -> None:
    for shape in shapes(hostile.CORPUS[name]):
        assert_same(shape)


def test_hostile_builders() -> None:
    for data in (hostile.b(hostile.HEAD), hostile.deep_mime(5), hostile.deep_mime(30)):
        for shape in shapes(data):
            assert_same(shape)
    refs = " ".join(f"<r{i}@x>" for i in range(20_000))
    assert_same(hostile.b(hostile.HEAD + f"References: {refs}\n\nhi\n"))
    assert_same(hostile.b(hostile.HEAD).replace(b"Subject", b"Subject: a\x00\r\nX"))


@pytest.mark.parametrize("name", sorted(ODD))
def test_odd_headers(name: str) -> None:
    for shape in shapes(ODD[name]):
        assert_same(shape)


def test_fast_route_taken_for_ordinary_blocks_only() -> None:
    assert split_header_block(crlf(S)) is not None
    assert split_header_block(lf(S)) is not None
    assert split_header_block(ODD["utf-8 raw"]) is not None
    assert split_header_block(ODD["huge references"]) is not None
    assert split_header_block(ODD["folded content type"]) is not None
    assert split_header_block(ODD["latin-1 folded"]) is not None
    for name in (
        "empty",
        "blank first line",
        "no colon line",
        "space before colon",
        "colon first",
        "envelope From line",
        "first line continuation",
        "bare CR",
        "bare LF in CRLF block",
        "balanced bare CR and LF",
        "NUL in header",
        "NUL in body",
    ):
        assert split_header_block(ODD[name]) is None, name


def test_public_entry_takes_the_fast_route(monkeypatch: pytest.MonkeyPatch) -> None:
    raw = RawMessage(id="m1", folder="INBOX", data=crlf(S), headers_only=True)
    calls: list[int] = []
    real = parse._fields_from_split

    def counting(*args: Any) -> Any:
        calls.append(1)
        return real(*args)

    monkeypatch.setattr(parse, "_fields_from_split", counting)
    assert parse.parse_message(raw) == parse._parse_message(raw, None, fast=False)
    assert calls == [1]
    full = RawMessage(id="m1", folder="INBOX", data=crlf(S))
    assert parse.parse_message(full).text  # bodies never take it
    assert calls == [1]


def test_both_routes_and_full_messages_apply_the_rules_in_one_place(monkeypatch: pytest.MonkeyPatch) -> None:
    """The caps, defaults and decoding live in ``_build`` only: every route ends there."""
    built: list[bool] = []
    real = parse._build

    def recording(raw: RawMessage, original: bytes, fields: Any, defects: list[str], body: Any) -> Message:
        built.append(body is not None)
        return real(raw, original, fields, defects, body)

    monkeypatch.setattr(parse, "_build", recording)
    both(crlf(S))  # the fast route, then the stdlib route
    parse.parse_message(RawMessage(id="m1", folder="INBOX", data=crlf(S)))  # a full message
    assert built == [False, False, True]


def test_the_references_cap_is_one_rule_for_every_route(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(parse, "MAX_REFERENCES", 3)
    refs = " ".join(f"<r{i}@x>" for i in range(6))
    data = crlf(f"Message-ID: <m@x>\nReferences: {refs}\nIn-Reply-To: {refs}\n\nbody\n")
    fast = assert_same(header_block(data))
    full = parse.parse_message(RawMessage(id="m1", folder="INBOX", data=data))
    for message in (fast, full):
        assert message.references == ("<r0@x>", "<r4@x>", "<r5@x>")
        assert message.in_reply_to == ("<r3@x>", "<r4@x>", "<r5@x>")
        assert message.defects[:2] == ("In-Reply-To capped", "References capped from 6 ids")


@pytest.mark.parametrize("target", ["_fields_from_split", "split_header_block"])
def test_a_failing_fast_route_falls_back(monkeypatch: pytest.MonkeyPatch, target: str) -> None:
    def boom(*args: Any) -> Any:
        raise RuntimeError("bug")

    expected = both(crlf(S.replace("Interview next week", "=?x-unknown?Q?hello?=")))[1]
    monkeypatch.setattr(parse, target, boom)
    fast, slow = both(crlf(S.replace("Interview next week", "=?x-unknown?Q?hello?=")))
    assert fast == slow == expected and not any("parse failed" in d for d in fast.defects)


@pytest.mark.parametrize("value", DATES)
def test_dates(value: str) -> None:
    assert parse._parse_date_fast(value) == parse._parse_date(value)
    fast, slow = parse._parse_date_fast(value), parse._parse_date(value)
    assert (fast and fast.isoformat()) == (slow and slow.isoformat())
    assert_same(crlf(f"Date: {value}\nMessage-ID: <d@x>\n\n"))
    assert_same(crlf(f"Received: from a by b; {value}\nMessage-ID: <d@x>\n\n"))


def test_dates_exhaustive_offsets_and_days() -> None:
    for zone in ("+0000", "-0000", "+0130", "-0959", "+1400", "-2359", "+2400", "+0075"):
        for day, month, year in ((1, "Jan", 1000), (29, "Feb", 2024), (31, "Dec", 9999), (31, "Apr", 2024)):
            value = f"Tue, {day} {month} {year} 23:59:59 {zone}"
            fast, slow = parse._parse_date_fast(value), parse._parse_date(value)
            assert fast == slow and (fast and fast.isoformat()) == (slow and slow.isoformat()), value
    assert parse._parse_date_fast("Mon, 03 Jun 2024 10:00:00 +0200") == datetime(2024, 6, 3, 8, tzinfo=UTC)


# --- random blocks -----------------------------------------------------------------

NAMES = ["From", "To", "Cc", "Reply-To", "Subject", "Date", "Message-ID", "In-Reply-To", "References",
         "Content-Type", "Content-Class", "Received", "Auto-Submitted", "X-Autoreply", "Precedence",
         "List-Id", "List-Unsubscribe", "X-Failed-Recipients", "Feedback-ID", "X-Campaign-Id",
         "X-Followup-Agent", "MIME-Version", "X-Other", "from", "SUBJECT", "content-type"]
VALUES = ["Jane <jane@acme.com>", "a@b.cd, Bob <bob@x.example>", "<m1@x> <m2@x>", "m3@x", "",
          " ", "Mon, 03 Jun 2024 10:00:00 +0200", "Tue, 4 Jun 2024 25:00:00 -0700", "junk; 3 Jun 2024 10:00:00 +0000",
          "text/plain; charset=utf-8", "text/calendar; method=REQUEST", "multipart/report", "method=x",
          "=?utf-8?B?w5xiZXI=?= =?utf-8?Q?_x?=", "=?bad?Q?x?=", "auto-replied", "bulk", "no", "<l.example>",
          "café", "日本", "\udce9t\udce9", "\udcff\udcfe", "a\x01b", "x\x00y", "urn:content-classes:calendarmessage",
          "  lead and trail  ", "(comment) <c@x.example>", "a\rb", "=?utf-8?q?caf=C3?= =?utf-8?q?=A9?="]
SEPARATORS = ["\r\n", "\n", "\r\n ", "\r\n\t", "\n ", "\r", " ", "\r\n\r\n"]


def random_block(rnd: random.Random) -> bytes:
    newline = rnd.choice(["\r\n", "\n", "\r\n", "\r\n"])
    lines: list[str] = []
    for _ in range(rnd.randint(0, 12)):
        value = rnd.choice(VALUES)
        if rnd.random() < 0.3:  # fold it
            value = value.replace(" ", rnd.choice([newline + " ", newline + "\t", " "]), 1)
        if rnd.random() < 0.05:  # an odd separator somewhere
            value += rnd.choice(SEPARATORS) + rnd.choice(VALUES)
        colon = rnd.choice([": ", ":", ":\t", ": ", ": ", " : "])
        lines.append(rnd.choice(NAMES) + colon + value)
    text = newline.join(lines) + rnd.choice([newline, newline + newline, "", newline + newline + "body"])
    encoding = rnd.choice(["utf-8", "utf-8", "latin-1"])
    return text.encode(encoding, "surrogateescape") if encoding == "utf-8" else text.encode(encoding, "replace")


def test_seeded_random_blocks() -> None:
    rnd = random.Random(20240603)
    fast_route = 0
    for _ in range(3000):
        data = random_block(rnd)
        fast_route += split_header_block(data) is not None
        assert_same(data)
    assert fast_route > 500  # the fast route really was compared


def test_seeded_random_bytes() -> None:
    rnd = random.Random(99)
    alphabet = b"ab: \t\r\n\r\n<>@.=?;\x00\xe9\xc3\xa9-"
    for _ in range(2000):
        data = bytes(rnd.choice(alphabet) for _ in range(rnd.randint(0, 80)))
        assert_same(b"Subject: x\r\n" + data)
        assert_same(data)


header_text = st.text(
    alphabet=st.sampled_from(list("aZ09 :;<>@.,=?-_\"'()\t\r\n\x00\x01\x7féü日\udce9")), max_size=60
)

@st.composite
def blocks(draw: st.DrawFn) -> bytes:
    newline = draw(st.sampled_from(["\r\n", "\n"]))
    fields = draw(
        st.lists(
            st.tuples(
                st.sampled_from(NAMES) | st.text(alphabet="abXY-_!~:", min_size=1, max_size=8),
                st.sampled_from(VALUES) | header_text,
                st.lists(st.sampled_from([" ", "\t", "  "]), max_size=2),
            ),
            max_size=10,
        )
    )
    lines = []
    for name, value, folds in fields:
        lines.append(f"{name}: {value}" + "".join(newline + f + "folded" for f in folds))
    end = draw(st.sampled_from([newline, newline * 2, "", newline * 2 + "body"]))
    text = newline.join(lines) + end
    encoding = draw(st.sampled_from(["utf-8", "latin-1"]))
    return text.encode(encoding, "surrogateescape" if encoding == "utf-8" else "replace")

@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(blocks())
def test_hypothesis_blocks(data: bytes) -> None:
    assert_same(data)

@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_hypothesis_bytes(data: bytes) -> None:
    assert_same(data)
    assert_same(b"Message-ID: <h@x>\r\n" + data)

@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(["", "Mon, ", "Sun, ", "Xyz, "]),
    st.integers(0, 40),
    st.sampled_from(["Jan", "Feb", "Jun", "Dec", "JUN", "Foo"]),
    st.integers(0, 10000),
    st.integers(0, 61),
    st.integers(0, 61),
    st.integers(0, 61),
    st.sampled_from(["+", "-"]),
    st.integers(0, 9999),
    st.sampled_from(["", " (UTC)", "(x)", "  ", "\tEST"]),
)
def test_hypothesis_dates(
    dayname: str, day: int, month: str, year: int, h: int, m: int, s: int, sign: str, zone: int, tail: str
) -> None:
    value = f"{dayname}{day} {month} {year:04d} {h:02d}:{m:02d}:{s:02d} {sign}{zone:04d}{tail}"
    fast, slow = parse._parse_date_fast(value), parse._parse_date(value)
    assert fast == slow and (fast and fast.isoformat()) == (slow and slow.isoformat()), value


# --- the fast route's shortcuts ------------------------------------------------------


def test_a_field_in_two_spellings_in_a_plain_block() -> None:
    # an ASCII block without folds whose names repeat only when lower-cased
    for data in (
        crlf("From: a@b.cd\nfrom: c@d.ef\nTO: x@y.zz\nTo: q@r.st\nSubject: s\nMessage-ID: <m@x>\n"
             "Date: Mon, 03 Jun 2024 10:00:00 +0200\nContent-Type: text/plain\ncontent-type: text/html\n"
             "In-Reply-To: <a@x>\nin-reply-to: <b@x>\nREFERENCES: <c@x>\nReferences: <d@x>\n\n"),
        crlf("Message-ID: <m@x>\nX-Failed-Recipients: a@b.cd\nx-failed-recipients: c@d.ef\n"
             "Received: x; Mon, 03 Jun 2024 10:00:00 +0200\nRECEIVED: y; junk\n\n"),
    ):
        assert split_header_block(data) is not None
        assert_same(data)


def test_received_stamps_cleaned_where_they_are_read() -> None:
    # no Date: the stamp comes from a folded (and an 8-bit) Received value
    for newline in ("\r\n", "\n"):
        for fold in (" ", "\t"):
            text = (f"Received: from caf\udce9 by b;{newline}{fold}Tue, 04 Jun 2024 12:00:00 +0000{newline}"
                    f"Received: from a{newline}{fold}by b; Tue, 04 Jun 2024{newline}{fold}11:59:00 +0000{newline}"
                    f"Message-ID: <r@x>{newline}{newline}")
            data = text.encode("utf-8", "surrogateescape")
            assert split_header_block(data) is not None
            message = assert_same(data)
            assert message.date == datetime(2024, 6, 4, 11, 59, tzinfo=UTC)


def test_date_caches_give_what_the_stdlib_gives() -> None:
    # the same days and clocks in other combinations, before and after a cold start
    days = ["3 Jun 2024", "03 Jun 2024", "31 Dec 9999", "29 Feb 2023", "1 Jan 1000"]
    clocks = ["00:00:00", "10:00:00", "23:59:59", "24:00:00", "12:60:00", "12:00:60"]
    zones = ["+0000", "-0000", "+0200", "-2359", "+2400", "+0075"]
    for _ in range(2):
        parse._day_start.cache_clear()
        parse._clock.cache_clear()
        for _ in range(2):
            for day in days:
                for clock in clocks:
                    for zone in zones:
                        value = f"Mon, {day} {clock} {zone}"
                        fast, slow = parse._parse_date_fast(value), parse._parse_date(value)
                        assert fast == slow and (fast and fast.isoformat()) == (slow and slow.isoformat()), value


def test_the_fast_path_builds_messages_without_the_constructor(monkeypatch: pytest.MonkeyPatch) -> None:
    """build_message fills a Message at once when given every field (the parser's fast path
    gives them all), and is the plain constructor otherwise; the objects are the same."""
    from agent.model import build_message

    raw = RawMessage(id="inbox/1/1", folder="inbox", headers_only=True, data=(
        b"From: Ann <ann@acme.com>\r\nTo: me@example.com\r\nSubject: Interview\r\n"
        b"Date: Tue, 24 Nov 2026 10:00:00 -0500\r\nMessage-ID: <x1@acme.com>\r\n\r\n"))
    expected = parse._parse_message(raw, None, fast=False)

    def refuse(self: object, *a: object, **k: object) -> None:
        raise AssertionError("the constructor was called")

    original_init = Message.__init__
    monkeypatch.setattr(Message, "__init__", refuse)
    got = parse.parse_message(raw)
    monkeypatch.setattr(Message, "__init__", original_init)
    assert got == expected and hash(got) == hash(expected)
    fields = {k: getattr(got, k) for k in Message.__dataclass_fields__}
    assert build_message(**fields) == got
    partial = dict(fields)
    del partial["defects"]
    assert build_message(**partial) == got  # the constructor fills the default
    with pytest.raises(TypeError):
        build_message(**fields, unknown=1)


def test_build_raw_is_the_constructor_given_every_field() -> None:
    from agent.model import build_raw

    fields = dict(id="inbox/1/2", folder="inbox", data=b"From: a\r\n\r\n", headers_only=True, thread_hint=None,
                  labels=frozenset(), flags=frozenset({"\\Seen"}))
    assert build_raw(**fields) == RawMessage(**fields)  # type: ignore[arg-type]
    assert hash(build_raw(**fields)) == hash(RawMessage(**fields))  # type: ignore[arg-type]
    del fields["flags"]
    assert build_raw(**fields).flags == frozenset()  # the constructor's default
