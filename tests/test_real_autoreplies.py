"""Real automatic replies (tests/corpus/autoreplies): each file read as its expectations say.

Every file is asserted on its own (automatic or human, the return date, the
follow-up still owed and moved past the return); the share is asserted too.
Below them, the signals the corpus has no real sample of yet, on messages
built in the test: a challenge-response request without Auto-Submitted, a
read receipt, subjects and texts in other languages, a person's reply that
carries Exchange's X-Auto-Response-Suppress.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from agent.facts import AutoReply, Bounce, HumanReply
from agent.mail.parse import parse_message
from agent.model import RawMessage
from agent.signals import autoreply
from agent.signals.events import extract_facts
from tests.helpers import ME, conv, make_config, msg
from tests.real_autoreplies import Expected, expectations, measure, read

NY = ZoneInfo("America/New_York")
EXPECTED = expectations()


def _param(e: Expected) -> object:
    # a miss the expectations list with its reason must stay a miss until fixed (strict)
    marks = [pytest.mark.xfail(strict=True, reason=e.left)] if e.left else []
    return pytest.param(e, id=e.name, marks=marks)


@pytest.mark.parametrize("exp", [_param(e) for e in EXPECTED])
def test_each_real_message_is_read_as_expected(exp: Expected) -> None:
    r = read(exp)
    assert r.auto == (exp.verdict == "auto") and r.human == (exp.verdict == "human"), r.miss
    assert r.return_date == exp.return_date
    assert r.owed == (exp.verdict == "auto"), r.miss
    assert r.miss == ""


def test_the_share_read_right_meets_the_target() -> None:
    m = measure()
    assert m.total == len(EXPECTED) >= 33
    assert m.share >= 0.95, m.misses
    assert {name for name, _ in m.misses} == {e.name for e in EXPECTED if e.left}
    assert m.automatic_right == m.automatic


def test_every_kind_and_a_return_date_are_in_the_corpus() -> None:
    kinds = {e.kind for e in EXPECTED}
    assert {"out-of-office", "acknowledgement", "receipt"} <= kinds
    assert sum(e.return_date is not None for e in EXPECTED) >= 6


# --- signals without a real sample yet -------------------------------------------------------


def _raw(headers: str, body: str) -> RawMessage:
    data = (headers.strip("\n") + "\n\n" + body).replace("\n", "\r\n").encode()
    return RawMessage("built", "INBOX", data)


def _facts(headers: str, body: str) -> list[object]:
    m = parse_message(_raw(headers, body))
    mine = msg(ME, "Thank you", "Thanks for the interview.", datetime(2026, 12, 1, 9, tzinfo=NY), to="ann@acme.com")
    return [f for f in extract_facts(conv(mine, m), make_config()) if f.evidence.message_id == m.message_id]


CHALLENGE = """From: Ann Park <ann@acme.com>
To: jordan.lee@gmail.com
Subject: Re: Thank you
Date: Tue, 01 Dec 2026 10:00:00 -0500
Message-ID: <challenge-1@acme.com>
"""


def test_challenge_response_without_auto_submitted_is_not_an_answer() -> None:
    body = ("I use a spam filter. Your message is waiting: sender not pre-approved.\n"
            "To complete this verification, click the link below.\n")
    facts = _facts(CHALLENGE, body)
    assert any(isinstance(f, AutoReply) for f in facts)
    assert not any(isinstance(f, HumanReply) for f in facts)


def test_read_receipt_is_neither_an_answer_nor_a_bounce() -> None:
    headers = """From: Ann Park <ann@acme.com>
To: jordan.lee@gmail.com
Subject: Read: Thank you
Date: Tue, 01 Dec 2026 10:00:00 -0500
Message-ID: <mdn-1@acme.com>
Content-Type: multipart/report; report-type=disposition-notification; boundary="b"
"""
    body = ("--b\nContent-Type: text/plain\n\nYour message was read on Tuesday.\n\n"
            "--b\nContent-Type: message/disposition-notification\n\n"
            "Final-Recipient: rfc822; ann@acme.com\nDisposition: manual-action/MDN-sent-manually; displayed\n\n--b--\n")
    facts = _facts(headers, body)
    assert any(isinstance(f, AutoReply) for f in facts)
    assert not any(isinstance(f, (HumanReply, Bounce)) for f in facts)


@pytest.mark.parametrize("subject", [
    "Automatische Antwort: Thank you", "Abwesenheitsnotiz: Thank you", "Réponse automatique : Thank you",
    "Respuesta automática: Thank you", "Risposta automatica: Thank you", "Automatisch antwoord: Thank you",
    "Resposta automática: Thank you", "Autosvar: Thank you", "AUTO: Ann Park is out of the office",
])
def test_responder_subjects_in_several_languages(subject: str) -> None:
    m = msg("ann@acme.com", subject, "x", datetime(2026, 12, 1, 10, tzinfo=NY))
    assert autoreply.auto_reply(m, NY) is not None


@pytest.mark.parametrize("text", [
    "Ich bin derzeit nicht im Büro und ab dem 14.12.2026 wieder erreichbar.",
    "Je suis absente jusqu'au lundi.", "Estoy fuera de la oficina.", "Ik ben afwezig.",
    "Sono fuori ufficio.", "Estou de férias.",
])
def test_responder_texts_in_several_languages(text: str) -> None:
    m = msg("ann@acme.com", "Re: Thank you", text, datetime(2026, 12, 1, 10, tzinfo=NY))
    assert autoreply.auto_reply(m, NY) is not None


def test_german_dotted_return_date() -> None:
    text = "Ich bin derzeit nicht im Büro und ab dem 14.12.2026 wieder erreichbar."
    assert autoreply.return_date(text, date(2026, 12, 1)) == date(2026, 12, 14)


def test_a_return_just_past_is_not_taken_for_next_year() -> None:
    assert autoreply.return_date("returning on Monday 15th September", date(2014, 9, 16)) == date(2014, 9, 15)
    assert autoreply.return_date("back on January 5", date(2026, 12, 20)) == date(2027, 1, 5)


def test_absence_range_gives_the_last_day_away() -> None:
    text = "I will be traveling for work on July 10-31. I will respond when I can."
    assert autoreply.return_date(text, date(2026, 3, 16)) == date(2026, 7, 31)


def test_person_with_exchange_suppress_header_stays_a_person() -> None:
    headers = """From: Ann Park <ann@acme.com>
To: jordan.lee@gmail.com
Subject: RE: Thank you
Date: Tue, 01 Dec 2026 10:00:00 -0500
Message-ID: <person-1@acme.com>
X-Auto-Response-Suppress: All
X-MS-Has-Attach:
Thread-Topic: Thank you
"""
    facts = _facts(headers, "Thanks Jordan, we will be in touch next week.\n")
    assert any(isinstance(f, HumanReply) for f in facts)
    assert not any(isinstance(f, AutoReply) for f in facts)


def test_precedence_bulk_list_mail_is_still_bulk() -> None:
    headers = """From: Acme News <news@acme.com>
To: jordan.lee@gmail.com
Subject: Out of office ideas for your team
Date: Tue, 01 Dec 2026 10:00:00 -0500
Message-ID: <news-1@acme.com>
Precedence: bulk
List-Id: <news.acme.com>
"""
    assert _facts(headers, "Our newsletter.\n") == []
