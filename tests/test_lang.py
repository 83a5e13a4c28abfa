"""Languages: detection per message and per conversation, and the data files each language has."""

from __future__ import annotations

import pytest

from agent import lang
from agent.lang.tables import load, words
from agent.model import Address, Conversation, Message
from tests.helpers import ME, t


@pytest.mark.parametrize(("text", "code"), [
    ("Wir melden uns bis Ende nächster Woche bei Ihnen.", "de"),
    ("Nous reviendrons vers vous d'ici la fin du mois.", "fr"),
    ("Esperamos tomar una decisión dentro de dos semanas.", "es"),
    ("We hope to make a decision by the end of the month.", "en"),
    ("Vielen Dank für das angenehme Gespräch am Dienstag.", "de"),
    ("Merci pour votre candidature au poste d'ingénieur.", "fr"),
    ("Gracias por tu interés en el puesto de ingeniera de datos.", "es"),
])
def test_a_sentence_is_told_apart(text: str, code: str) -> None:
    assert lang.detect(text) == code


@pytest.mark.parametrize("text", ["", "Thanks!", "Anna", "-- \nAnna Weber", "12:00"])
def test_too_little_to_tell_is_none(text: str) -> None:
    assert lang.detect(text) is None


def test_every_supported_language_has_its_shared_words() -> None:
    assert lang.supported()[0] == lang.DEFAULT and {"de", "fr", "es"} <= set(lang.supported())
    for code in lang.supported():
        w = words(code)
        assert sorted(set(w.months.values())) == list(range(1, 13)), code
        assert sorted(set(w.weekdays.values())) == list(range(7)), code
        assert w.numbers, code
    assert words("de").months["dezember"] == 12 and words("fr").weekdays["mardi"] == 1
    assert words("es").numbers["dos"] == 2 and load("xx", "words") == {}


def _m(frm: str, text: str, day: int) -> Message:
    return Message(id=f"{frm}-{day}", folder="sent" if frm == ME else "inbox", message_id=f"<{frm}{day}@x>",
                   subject="Re: Bewerbung", from_=Address(frm), to=(Address(ME),), date=t(12, day), text=text)


def test_a_conversation_speaks_the_language_its_company_side_writes_in() -> None:
    conv = Conversation("c", (
        _m(ME, "Thank you for the interview, I look forward to hearing from you.", 1),
        _m("anna.weber@firma.de", "Vielen Dank, wir melden uns bis Ende nächster Woche bei Ihnen.", 2),
        _m(ME, "Thanks again, have a good weekend and speak soon.", 3),
    ))
    assert lang.conversation_language(conv, [ME]) == "de"
    assert lang.conversation_language(Conversation("e", (_m(ME, "Hello there, how are you?", 1),)), [ME]) == "en"
    assert lang.conversation_language(Conversation("n", (_m("x@y.de", "Ok", 1),)), [ME]) == lang.DEFAULT


@pytest.mark.parametrize("text", ["ok to talk? k 9:30 thu", "Confirmed: 5:30 tues at our office, 22 W 38th St"])
def test_terse_english_is_never_taken_for_another_language(text: str) -> None:
    """A short text is another language only when the detector is sure: English keeps its own rules."""
    assert lang.detect(text) in (None, "en")
