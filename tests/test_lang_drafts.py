"""Drafts in the conversation's language (de, fr, es) and in the register the company used.

Each case is a company message as a recruiter might write it (invented here), with what the
drafts must hold: the greeting, the register's words, the sign-off, the day written the local
way, the company's timeline quoted as the reason; every draft stays within the word budget,
weaves in the user's note, and never holds a complaint about silence in any language.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, replace
from datetime import date, timedelta
from pathlib import Path

import pytest

from agent import drafts_lang
from agent.businesstime import BusinessCalendar
from agent.config import Config
from agent.drafts import Draft, compose, load_templates, template_key, word_count
from agent.explain import _events, _reading
from agent.facts import Deadline, DeadlineStated, Evidence, Interview
from agent.lang import supported
from agent.model import AutoMarkers
from agent.policy import FOLLOW_UP_1, FOLLOW_UP_2, STEPS, THANK_YOU, decide
from agent.signals.tracking import Tracking
from tests.helpers import ME, conv, make_config, msg, t

CFG = make_config()
CAL = BusinessCalendar.from_config(CFG)
ENGLISH_COMPLAINTS = ("haven't heard", "have not heard", "no response", "still waiting", "didn't reply", "ignored")
ALL_COMPLAINTS = tuple(c for lang in supported() for c in drafts_lang.complaints(lang)) + ENGLISH_COMPLAINTS
DEADLINE_DAY = date(2026, 12, 18)


@dataclass(frozen=True)
class Case:
    lang: str
    register: str
    subject: str
    sender: str  # the recruiter's display name
    text: str  # the company's message
    user_text: str  # the user's earlier reply (where a title may show)
    greeting: str  # how every draft opens
    signoff: str
    words: tuple[str, ...]  # the register's own words, found in the follow-ups
    phrase: str  # the company's timeline, as it wrote it
    local_day: str  # DEADLINE_DAY written the local way
    note: str


CASES = [
    Case("de", "formal", "Vorstellungsgespräch – Senior Platform Engineer (m/w/d)", "Anna Weber",
         "Sehr geehrter Herr Lee,\n\nvielen Dank für Ihre Bewerbung. Gern laden wir Sie zu einem "
         "Vorstellungsgespräch ein. Passt Ihnen Dienstag um 14 Uhr?\n\nMit freundlichen Grüßen\nAnna Weber",
         "Sehr geehrte Frau Weber,\n\nDienstag passt mir gut.", "Sehr geehrte Frau Weber,",
         "Mit freundlichen Grüßen", ("Ihnen",), "bis Ende nächster Woche", "18. Dezember",
         "Die Arbeitsprobe schicke ich gern mit."),
    Case("de", "formal", "Ihre Bewerbung bei der Nordlicht GmbH", "Jonas Braun",
         "Guten Tag Herr Lee,\n\nwir würden Sie gern kennenlernen. Können Sie am Donnerstag?\n\nBeste Grüße\n"
         "Jonas Braun", "Guten Tag,\n\nDonnerstag geht.", "Guten Tag Jonas Braun,",
         "Mit freundlichen Grüßen", ("Ihnen",), "in den nächsten zwei Wochen", "18. Dezember",
         "Mein Zeugnis liegt jetzt vor."),
    Case("de", "informal", "Vorstellungsgespräch – Backend Entwickler", "Anna Weber",
         "Hallo Jordan,\n\ndanke für deine Bewerbung! Hast du Dienstag Zeit? Wir freuen uns auf dich.\n\n"
         "Viele Grüße\nAnna", "Hallo Anna, Dienstag passt.", "Hallo Anna,", "Viele Grüße", ("dir",),
         "bis Ende nächster Woche", "18. Dezember", "Das Projekt auf GitHub ist jetzt online."),
    Case("fr", "formal", "Entretien pour le poste de Développeur Backend", "Claire Martin",
         "Bonjour Monsieur Lee,\n\nNous vous remercions pour votre candidature et souhaitons vous rencontrer "
         "mardi à 14 h.\n\nCordialement,\nClaire Martin", "Bonjour Madame Martin, mardi me convient.",
         "Bonjour Madame Martin,", "Bien cordialement,", ("vous",), "d'ici la fin du mois", "18 décembre",
         "Je joins volontiers mon portfolio."),
    Case("fr", "formal", "Votre candidature", "Camille Roux",
         "Madame, Monsieur,\n\nNous avons bien reçu votre candidature et souhaitons vous proposer un "
         "entretien.\n\nCordialement,\nCamille Roux", "Bonjour, avec plaisir.", "Bonjour Camille Roux,",
         "Bien cordialement,", ("vous",), "sous deux semaines", "18 décembre", "Mon préavis est d'un mois."),
    Case("fr", "informal", "Entretien – Ingénieur Data", "Léa Petit",
         "Salut Jordan,\n\nMerci pour ta candidature ! Tu es dispo mardi pour en parler ? Je te propose "
         "14 h.\n\nÀ plus,\nLéa", "Salut Léa, mardi ça marche.", "Salut Léa,", "À bientôt,", ("toi",),
         "d'ici la fin du mois", "18 décembre", "J'ai mis mon portfolio à jour."),
    Case("es", "formal", "Entrevista para el puesto de Desarrollador Backend", "Lucía Fernández",
         "Estimado Sr. Lee:\n\nLe agradecemos su candidatura y le invitamos a una entrevista el martes "
         "a las 14:00. ¿Podría usted confirmar?\n\nAtentamente,\nLucía Fernández",
         "Estimada Sra. Fernández: confirmo el martes.", "Estimada Sra. Fernández:", "Atentamente,",
         ("usted",), "dentro de dos semanas", "18 de diciembre", "Con gusto le envío referencias."),
    Case("es", "formal", "Su candidatura en Soluciones Andinas", "Carlos Ruiz",
         "Buenos días:\n\nLe escribimos para invitarle a una entrevista. ¿Tiene usted disponibilidad el "
         "jueves?\n\nSaludos cordiales,\nCarlos Ruiz", "Buenos días, el jueves me va bien.",
         "Buenos días, Carlos Ruiz:", "Atentamente,", ("usted",), "a finales de mes", "18 de diciembre",
         "Ya terminé la certificación."),
    Case("es", "informal", "Entrevista – Ingeniera de Datos", "Ana García",
         "Hola Jordan:\n\n¡Gracias por tu candidatura! ¿Tienes tiempo el martes para hablar? Te "
         "esperamos.\n\nUn saludo,\nAna", "Hola Ana, el martes me va bien.", "Hola, Ana:", "Un saludo,",
         ("te",), "dentro de dos semanas", "18 de diciembre", "Ya tengo el portfolio actualizado."),
]
IDS = [f"{c.lang}-{c.register}-{i}" for i, c in enumerate(CASES)]


def _iv(start):  # type: ignore[no-untyped-def]
    end = start + timedelta(hours=1)
    return Interview(end, Evidence("<i@x>", "invite", start), start=start, end=end, source="calendar",
                     summary="Interview")


def _conversation(case: Case):  # type: ignore[no-untyped-def]
    first = msg("recruiter@firma.example", case.subject, case.text, t(11, 20, 9), mid="a1", name=case.sender)
    reply = msg(ME, f"Re: {case.subject}", case.user_text, t(11, 20, 12), to="recruiter@firma.example",
                mid="a2", in_reply_to=("<a1@x>",), references=("<a1@x>",))
    return conv(first, reply)


def _drafts(case: Case, config: Config = CFG, note: str | None = None) -> dict[str, Draft]:
    """The thank-you, the first follow-up (citing the company's timeline) and the second."""
    c = _conversation(case)
    deadline = DeadlineStated(t(11, 20, 9), Evidence("<a1@x>", case.phrase, t(11, 20, 9)),
                              deadline=Deadline(DEADLINE_DAY, case.phrase))
    d = decide(c, Tracking(True, "t", "Acme"), [_iv(t(12, 1, 13)), deadline], t(12, 1, 16), config, CAL)
    assert d.next is not None
    templates = load_templates(config)
    out = {}
    for kind in STEPS:
        step = replace(d.next, kind=kind, deadline_phrase=case.phrase if kind == FOLLOW_UP_1 else None,
                       deadline_day=DEADLINE_DAY if kind == FOLLOW_UP_1 else None)
        out[kind] = compose(c, d, step, t(12, 21, 10), config, note=note, templates=templates)
    return out


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_register_is_read_from_the_company_words(case: Case) -> None:
    words = drafts_lang.draft_words(case.lang)
    assert words is not None
    assert drafts_lang.register(words, [case.text]) == case.register


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_every_draft_greets_signs_off_and_stays_polite(case: Case) -> None:
    for kind, d in _drafts(case, note=case.note).items():
        assert d.body.startswith(case.greeting + "\n\n"), (kind, d.body)
        assert f"\n{case.signoff}\nJordan Lee\n" in d.body, (kind, d.body)
        assert case.note in d.body, kind  # the user's note woven in
        assert word_count(d.body) <= CFG.drafts.max_words, kind
        assert not any(p in d.body.lower() for p in ALL_COMPLAINTS), (kind, d.body)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_first_follow_up_quotes_the_company_timeline_with_the_local_date(case: Case) -> None:
    body = _drafts(case)[FOLLOW_UP_1].body
    left, right = drafts_lang.draft_words(case.lang).data["quotes"]  # type: ignore[union-attr]
    assert f"{left}{case.phrase}{right}" in body
    assert case.local_day in body
    assert any(re.search(rf"\b{w}\b", body) for w in case.words), body


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_thank_you_says_when_in_the_language_and_asks_no_timeline_it_was_given(case: Case) -> None:
    words = drafts_lang.draft_words(case.lang)
    assert words is not None
    body = _drafts(case)[THANK_YOU].body
    # the interview was on Dec 1 and the draft is written on Dec 21: the date, the local way
    assert drafts_lang.local_date(date(2026, 12, 1), words) in body
    question = words.data[case.register]["timeline_question"]
    assert question not in body  # the company stated its timeline


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_second_follow_up_is_gentle_and_in_the_register(case: Case) -> None:
    words = drafts_lang.draft_words(case.lang)
    assert words is not None
    body = _drafts(case)[FOLLOW_UP_2].body
    assert words.data[case.register]["follow_up_2"] in body


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_a_long_note_is_cut_to_the_budget(case: Case) -> None:
    long_note = f"{case.note} " + " ".join(["wort"] * 200) + "."
    for d in _drafts(case, note=long_note).values():
        assert word_count(d.body) <= CFG.drafts.max_words
        assert case.note in d.body and "wort wort" not in d.body


def test_greeting_never_guesses_a_gender_and_falls_back_to_the_full_name() -> None:
    case = replace(CASES[0], user_text="Guten Tag, Dienstag passt.")  # nobody wrote "Frau Weber"
    body = _drafts(case)[THANK_YOU].body
    assert body.startswith("Guten Tag Anna Weber,\n")


def test_a_title_without_the_company_opening_so_is_used_in_the_neutral_greeting() -> None:
    case = replace(CASES[0], text="Guten Tag Herr Lee, passt Ihnen Dienstag? Viele Grüße, Anna Weber")
    assert _drafts(case)[THANK_YOU].body.startswith("Guten Tag Frau Weber,\n")


def test_a_team_address_gets_the_nameless_greeting() -> None:
    case = replace(CASES[3], sender="Équipe Recrutement")
    assert _drafts(case)[FOLLOW_UP_2].body.startswith("Bonjour,\n")


def test_a_surname_first_display_name() -> None:
    case = replace(CASES[6], sender="Fernández, Lucía")
    assert _drafts(case)[THANK_YOU].body.startswith("Estimada Sra. Fernández:\n")


def test_every_language_has_every_step_in_both_registers() -> None:
    templates = load_templates(CFG)
    for lang in supported()[1:]:
        assert drafts_lang.complaints(lang), lang
        for kind in STEPS:
            for reg in drafts_lang.REGISTERS:
                assert template_key(lang, kind, reg) in templates, (lang, kind, reg)


def test_user_templates_override_a_language(tmp_path: Path) -> None:
    (tmp_path / "de").mkdir()
    (tmp_path / "de" / "thank_you.txt").write_text("$greeting_line\n\nDanke $when!\n\n$signoff\n$name\n")
    (tmp_path / "de" / "follow_up_2.informal.txt").write_text("$greeting_line\n\nNa, was gibt's?\n\n$name\n")
    cfg = make_config(drafts={"templates_dir": str(tmp_path)})
    formal = _drafts(CASES[0], config=cfg)
    assert formal[THANK_YOU].body == "Sehr geehrte Frau Weber,\n\nDanke am 1. Dezember!\n\n" \
                                     "Mit freundlichen Grüßen\nJordan Lee\n"
    assert formal[FOLLOW_UP_2].body.startswith("Sehr geehrte Frau Weber,\n\nich wollte mich")  # ours
    informal = _drafts(CASES[2], config=cfg)
    assert informal[FOLLOW_UP_2].body == "Hallo Anna,\n\nNa, was gibt's?\n\nJordan Lee\n"
    assert informal[THANK_YOU].body.startswith("Hallo Anna,\n\nDanke am 1. Dezember!")


# The bytes an English conversation's drafts had before drafts learnt other languages
# (worked out with the code on main before this change): English drafts must not move.
ENGLISH_BYTES = {
    THANK_YOU: "63f081fd7d0591ad7910e40de169ac60435345db9daecfa1d5adc58ce2d3ce7c",
    FOLLOW_UP_1: "e84c3beb7d678b8f11960996a0be81cea52c56c8a2c099734af7fbf2cc3449cd",
    FOLLOW_UP_2: "882499148cbd5c33f296dd0d77754b4e350e4ecddba49d2fd31e0e1ca8da60c5",
}


def test_an_english_conversation_drafts_byte_for_byte_as_before() -> None:
    a = msg("ann@acme.com", "Interview for the Senior Platform Engineer role",
            "Thanks for applying, we would love to talk with you on Tuesday about the role.", t(11, 20, 9),
            mid="a1", name="Ann Park")
    c = conv(a)
    d = decide(c, Tracking(True, "t", "Acme"), [_iv(t(12, 1, 13))], t(12, 1, 16), CFG, CAL)
    assert d.next is not None
    for kind, phrase in ((THANK_YOU, None), (FOLLOW_UP_1, "by the end of next week"), (FOLLOW_UP_2, None)):
        step = replace(d.next, kind=kind, deadline_phrase=phrase, deadline_day=DEADLINE_DAY if phrase else None)
        dr = compose(c, d, step, t(12, 8, 10), CFG, note="I enjoyed the demo.", templates=load_templates(CFG))
        assert hashlib.sha256(dr.data).hexdigest() == ENGLISH_BYTES[kind], dr.body


def test_explain_gives_the_language_and_the_reading_in_english() -> None:
    case = CASES[0]
    c = _conversation(case)
    fact = DeadlineStated(t(11, 20, 9), Evidence("<a1@x>", "bis Ende nächster Woche", t(11, 20, 9)),
                          deadline=Deadline(DEADLINE_DAY, "bis Ende nächster Woche"))
    d = decide(c, Tracking(True, "t", "Acme"), [fact], t(11, 21, 10), CFG, CAL)
    lines = _events(d, CFG, c)
    assert "    (German) \u201cbis Ende nächster Woche\u201d \u2192 by Fri Dec 18" in lines
    assert _reading(fact, CFG) == "by Fri Dec 18"


def test_explain_adds_no_reading_for_english() -> None:
    a = msg("ann@acme.com", "Interview", "We will decide by the end of next week, thanks again.", t(11, 20, 9),
            mid="a1", name="Ann Park")
    c = conv(a)
    fact = DeadlineStated(t(11, 20, 9), Evidence("<a1@x>", "by the end of next week", t(11, 20, 9)),
                          deadline=Deadline(DEADLINE_DAY, "by the end of next week"))
    d = decide(c, Tracking(True, "t", "Acme"), [fact], t(11, 21, 10), CFG, CAL)
    assert not any("\u2192" in line for line in _events(d, CFG, c))


@pytest.mark.parametrize("lang,subject,company,expected", [
    ("de", "Vorstellungsgespräch – Senior Platform Engineer (m/w/d)", "Acme",
     "die Position als Senior Platform Engineer"),
    ("de", "Ihre Bewerbung für die Stelle als Backend Entwickler", None, "die Position als Backend Entwickler"),
    ("de", "Ihre Bewerbung", "Nordlicht GmbH", "die Position bei Nordlicht GmbH"),
    ("de", "Ihre Bewerbung", None, "die Position"),
    ("fr", "Entretien pour le poste de Développeur Backend", "Acme", "le poste de Développeur Backend"),
    ("fr", "Entretien – Ingénieure Data (H/F)", None, "le poste d'Ingénieure Data"),
    ("fr", "Votre candidature", "Acme", "le poste chez Acme"),
    ("es", "Entrevista para el puesto de Desarrollador Backend", None, "el puesto de Desarrollador Backend"),
    ("es", "Entrevista – Ingeniera de Datos", None, "el puesto de Ingeniera de Datos"),
    ("es", "Su candidatura", "Soluciones Andinas", "el puesto en Soluciones Andinas"),
])
def test_topic_names_the_role_from_the_subject(lang: str, subject: str, company: str | None,
                                               expected: str) -> None:
    words = drafts_lang.draft_words(lang)
    assert words is not None
    assert drafts_lang.topic(subject, company, words) == expected


def test_a_german_out_of_office_in_an_english_thread_keeps_the_draft_english() -> None:
    a = msg("ann@acme.com", "Interview for the Senior Platform Engineer role",
            "Thanks for applying, we would love to talk with you on Tuesday about the role.", t(11, 20, 9),
            mid="a1", name="Ann Park")
    away = msg("ann@acme.com", "Abwesenheitsnotiz: Interview", "Vielen Dank für Ihre Nachricht. Ich bin bis "
               "einschließlich 14.12. nicht im Büro und habe keinen Zugriff auf meine E-Mails.", t(11, 21, 9),
               mid="a2", name="Ann Park", auto=AutoMarkers(auto_submitted="auto-replied"))
    c = conv(a, away)
    d = decide(c, Tracking(True, "t", "Acme"), [_iv(t(12, 1, 13))], t(12, 1, 16), CFG, CAL)
    assert d.next is not None
    step = replace(d.next, kind=THANK_YOU)
    body = compose(c, d, step, t(12, 1, 16), CFG, templates=load_templates(CFG)).body
    assert body.startswith("Hi Ann,")
