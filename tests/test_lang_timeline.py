"""Decision timelines in German, French and Spanish, read from each language's timeline.toml.

Every phrase is invented for these tests. All are sent on Wednesday 2 December 2026 at 10:00
UTC (11:00 in Berlin, Paris and Madrid); the expected day is the last one the words allow
under the English readings (agent/signals/timeline.py's docstring).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from agent.businesstime import BusinessCalendar
from agent.facts import DeadlineStated, Evidence, Interview
from agent.policy import FOLLOW_UP_1, decide
from agent.signals import timeline_lang
from agent.signals.events import extract_facts
from agent.signals.tracking import Tracking
from tests.helpers import ME, conv, make_config, msg

SENT = datetime(2026, 12, 2, 10, tzinfo=UTC)  # a Wednesday
BERLIN = ZoneInfo("Europe/Berlin")
D = date.fromisoformat


def read(lang: str, text: str, sent: datetime = SENT) -> list[tuple[date, str]]:
    tables = timeline_lang.tables(lang)
    assert tables is not None
    return [(d.last_day, d.phrase) for d in timeline_lang.read(tables, text, sent, BERLIN)]


def latest(lang: str, text: str) -> date:
    found = read(lang, text)
    assert found, f"no timeline read in {text!r}"
    return max(day for day, _ in found)


DE = [
    ("Wir melden uns bis Ende nächster Woche bei Ihnen.", "2026-12-11"),
    ("Wir entscheiden bis Ende des Monats.", "2026-12-31"),
    ("Sie hören in den nächsten Tagen von uns.", "2026-12-05"),
    ("Wir treffen unsere Entscheidung innerhalb von zwei Wochen.", "2026-12-16"),
    ("Bis zum 18. Dezember erhalten Sie Bescheid.", "2026-12-18"),
    ("Eine Rückmeldung bekommen Sie bis 18.12.", "2026-12-18"),
    ("Wir melden uns Anfang Januar.", "2027-01-10"),
    ("Wir melden uns Mitte Januar mit einer Entscheidung.", "2027-01-20"),
    ("Die Entscheidung fällt Ende Januar.", "2027-01-31"),
    ("Nach den Feiertagen melden wir uns bei Ihnen.", "2027-01-15"),
    ("Wir melden uns nächste Woche.", "2026-12-11"),
    ("Eine Antwort erhalten Sie bis Freitag.", "2026-12-04"),
    ("Sie erhalten in 5 Werktagen eine Antwort.", "2026-12-09"),
    ("Wir geben Ihnen Anfang nächster Woche Bescheid.", "2026-12-08"),
    ("Wir melden uns Mitte der nächsten Woche.", "2026-12-10"),
    ("Bis spätestens Ende dieser Woche erhalten Sie unsere Rückmeldung.", "2026-12-04"),
    ("Wir informieren Sie im Laufe der Woche.", "2026-12-04"),
    ("Wir melden uns übernächste Woche.", "2026-12-18"),
    ("Wir melden uns im Laufe des nächsten Monats.", "2027-01-31"),
    ("Die Entscheidung fällt Anfang des nächsten Monats.", "2027-01-10"),
    ("Wir geben Ihnen bis zum Monatsende Bescheid.", "2026-12-31"),
    ("Sie erhalten innerhalb einer Woche eine Antwort.", "2026-12-09"),
    ("Wir melden uns in zwei bis drei Wochen.", "2026-12-23"),
    ("Wir entscheiden binnen 10 Tagen.", "2026-12-12"),
    ("Wir melden uns innerhalb von 48 Stunden.", "2026-12-04"),
    ("Sie erhalten in ein paar Tagen eine Rückmeldung.", "2026-12-04"),
    ("Die Entscheidung fällt in den kommenden Wochen.", "2026-12-23"),
    ("Wir melden uns in vierzehn Tagen.", "2026-12-16"),
    ("Bis 5. Januar erhalten Sie eine Antwort.", "2027-01-05"),
    ("Wir entscheiden spätestens am Freitag, 11. Dezember um 17 Uhr.", "2026-12-11"),
    ("Wir geben Ihnen bis zum 15. Bescheid.", "2026-12-15"),
    ("Wir melden uns bis zum 1. des nächsten Monats.", "2027-01-01"),
    ("Wir melden uns bis Montag.", "2026-12-07"),
    ("Bis Mittwoch haben Sie eine Antwort.", "2026-12-09"),
    ("Wir melden uns bis nächsten Freitag.", "2026-12-11"),
    ("Wir melden uns am Donnerstag.", "2026-12-03"),
    ("Wir entscheiden im Januar.", "2027-01-31"),
    ("Wir melden uns gleich nach den Feiertagen.", "2027-01-08"),
    ("Nach Weihnachten erhalten Sie unsere Entscheidung.", "2027-01-08"),
    ("Noch vor Weihnachten erhalten Sie Bescheid.", "2026-12-24"),
    ("Wir melden uns im neuen Jahr.", "2027-01-31"),
    ("Bis Ende des Quartals treffen wir die Entscheidung.", "2026-12-31"),
    ("Wir entscheiden im nächsten Quartal.", "2027-03-31"),
    ("Die Entscheidung fällt zum Jahresende.", "2026-12-31"),
    ("Wir melden uns Anfang nächsten Jahres.", "2027-04-30"),
    ("Sie hören morgen von uns.", "2026-12-03"),
    ("Wir melden uns übermorgen.", "2026-12-04"),
    ("Wir melden uns bis zum 18.12.2026 um 12:00 Uhr.", "2026-12-18"),
]

FR = [
    ("Nous reviendrons vers vous d'ici la fin du mois.", "2026-12-31"),
    ("Nous vous donnerons une réponse la semaine prochaine.", "2026-12-11"),
    ("Vous aurez notre réponse d’ici vendredi.", "2026-12-04"),
    ("Nous prendrons une décision sous quinze jours.", "2026-12-17"),
    ("Nous reviendrons vers vous dans les deux semaines.", "2026-12-16"),
    ("Notre décision vous sera communiquée avant le 18 décembre.", "2026-12-18"),
    ("Nous vous recontacterons début janvier.", "2027-01-10"),
    ("Nous vous recontacterons mi-janvier.", "2027-01-20"),
    ("Nous vous recontacterons fin janvier.", "2027-01-31"),
    ("Vous aurez de nos nouvelles dans les prochains jours.", "2026-12-05"),
    ("Nous reviendrons vers vous après les fêtes.", "2027-01-15"),
    ("Nous reviendrons vers vous d'ici la fin de la semaine prochaine.", "2026-12-11"),
    ("Nous vous tiendrons informé en début de semaine prochaine.", "2026-12-08"),
    ("Nous prendrons notre décision en milieu de semaine prochaine.", "2026-12-10"),
    ("Nous vous donnerons une réponse d'ici la fin de la semaine.", "2026-12-04"),
    ("Nous reviendrons vers vous cette semaine.", "2026-12-04"),
    ("Nous reviendrons vers vous dans le courant de la semaine prochaine.", "2026-12-11"),
    ("Nous vous répondrons le mois prochain.", "2027-01-31"),
    ("Nous vous ferons un retour début du mois prochain.", "2027-01-10"),
    ("Nous prendrons une décision avant la fin du mois.", "2026-12-31"),
    ("Vous aurez une réponse sous 10 jours ouvrés.", "2026-12-16"),
    ("Nous reviendrons vers vous d'ici deux à trois semaines.", "2026-12-23"),
    ("Nous vous répondrons dans 48 heures.", "2026-12-04"),
    ("Nous reviendrons vers vous dans une semaine.", "2026-12-09"),
    ("Nous vous donnerons des nouvelles dans les semaines à venir.", "2026-12-23"),
    ("Nous reviendrons vers vous sous quinzaine.", "2026-12-17"),
    ("Nous vous communiquerons notre décision au plus tard le 5 janvier.", "2027-01-05"),
    ("Réponse d'ici le 18/12 à 17h.", "2026-12-18"),
    ("Nous vous contacterons le vendredi 11 décembre.", "2026-12-11"),
    ("Nous reviendrons vers vous avant le 15.", "2026-12-15"),
    ("Vous aurez notre réponse d'ici lundi.", "2026-12-07"),
    ("Nous vous ferons un retour d'ici mercredi.", "2026-12-09"),
    ("Nous vous répondrons vendredi prochain.", "2026-12-11"),
    ("Nous vous recontacterons jeudi.", "2026-12-03"),
    ("Nous prendrons notre décision en janvier.", "2027-01-31"),
    ("Nous reviendrons vers vous juste après les fêtes.", "2027-01-08"),
    ("Nous vous recontacterons après Noël.", "2027-01-08"),
    ("Nous vous donnerons une réponse avant les fêtes.", "2026-12-23"),
    ("Nous reviendrons vers vous après le nouvel an.", "2027-01-15"),
    ("La décision sera prise d'ici la fin du trimestre.", "2026-12-31"),
    ("Nous prendrons notre décision au cours du prochain trimestre.", "2027-03-31"),
    ("Nous vous donnerons une réponse d'ici la fin de l'année.", "2026-12-31"),
    ("Nous reviendrons vers vous début de l'année prochaine.", "2027-04-30"),
    ("Nous vous répondrons demain.", "2026-12-03"),
    ("Nous vous répondrons après-demain.", "2026-12-04"),
    ("Nous vous ferons un retour première quinzaine de janvier.", "2027-01-15"),
]

ES = [
    ("Esperamos tomar una decisión dentro de dos semanas.", "2026-12-16"),
    ("Te daremos una respuesta a finales de mes.", "2026-12-31"),
    ("Te contactaremos la próxima semana.", "2026-12-11"),
    ("Tendrás una respuesta antes del viernes.", "2026-12-04"),
    ("Le comunicaremos nuestra decisión antes del 18 de diciembre.", "2026-12-18"),
    ("Te escribiremos a principios de enero.", "2027-01-10"),
    ("Te escribiremos a mediados de enero.", "2027-01-20"),
    ("Te escribiremos a finales de enero.", "2027-01-31"),
    ("Tendrás noticias en los próximos días.", "2026-12-05"),
    ("Te contactaremos después de las fiestas.", "2027-01-15"),
    ("Te daremos una respuesta a finales de la próxima semana.", "2026-12-11"),
    ("Le informaremos a principios de la semana que viene.", "2026-12-08"),
    ("Tomaremos una decisión a mediados de la próxima semana.", "2026-12-10"),
    ("Te responderemos antes de finales de esta semana.", "2026-12-04"),
    ("Te contactaremos esta semana.", "2026-12-04"),
    ("Le informaremos durante la semana que viene.", "2026-12-11"),
    ("Te daremos una respuesta el próximo mes.", "2027-01-31"),
    ("Le contactaremos a principios del mes que viene.", "2027-01-10"),
    ("Tendrás una respuesta antes de fin de mes.", "2026-12-31"),
    ("Recibirás una respuesta en un plazo de 10 días hábiles.", "2026-12-16"),
    ("Te contactaremos en dos o tres semanas.", "2026-12-23"),
    ("Te responderemos dentro de 48 horas.", "2026-12-04"),
    ("Le daremos una respuesta en una semana.", "2026-12-09"),
    ("Te daremos noticias en las próximas semanas.", "2026-12-23"),
    ("Tendrás una respuesta en un par de días.", "2026-12-04"),
    ("Te daremos una respuesta dentro de una quincena.", "2026-12-17"),
    ("Le comunicaremos la decisión a más tardar el 5 de enero.", "2027-01-05"),
    ("Respuesta antes del 18/12 a las 17:00.", "2026-12-18"),
    ("Te contactaremos el viernes 11 de diciembre.", "2026-12-11"),
    ("Te responderemos antes del día 15.", "2026-12-15"),
    ("Tendrás una respuesta antes del lunes.", "2026-12-07"),
    ("Le daremos una respuesta para el miércoles.", "2026-12-09"),
    ("Te responderemos el próximo viernes.", "2026-12-11"),
    ("Te contactaremos el jueves.", "2026-12-03"),
    ("Tomaremos una decisión en enero.", "2027-01-31"),
    ("Te contactaremos justo después de las fiestas.", "2027-01-08"),
    ("Te daremos una respuesta después de Navidad.", "2027-01-08"),
    ("Tendrás una respuesta antes de las fiestas.", "2026-12-23"),
    ("Te contactaremos después de Año Nuevo.", "2027-01-15"),
    ("La decisión se tomará a finales del trimestre.", "2026-12-31"),
    ("Tomaremos una decisión durante el próximo trimestre.", "2027-03-31"),
    ("Te daremos una respuesta antes de fin de año.", "2026-12-31"),
    ("Le contactaremos a principios del próximo año.", "2027-04-30"),
    ("Te responderemos mañana.", "2026-12-03"),
    ("Te responderemos pasado mañana.", "2026-12-04"),
    ("Te contactaremos a mediados de diciembre con una decisión.", "2026-12-20"),
]


@pytest.mark.parametrize(("lang", "text", "expected"),
                         [("de", *c) for c in DE] + [("fr", *c) for c in FR] + [("es", *c) for c in ES])
def test_phrases(lang: str, text: str, expected: str) -> None:
    assert latest(lang, text) == D(expected)
    for _, phrase in read(lang, text):
        assert phrase in " ".join(text.split())  # the evidence is the original words


def test_each_language_has_at_least_forty_phrases() -> None:
    assert min(len(DE), len(FR), len(ES)) >= 40


@pytest.mark.parametrize(("lang", "text"), [
    ("de", "Wir warten seit dem 3. Dezember auf die Unterlagen."),
    ("de", "Das Gespräch fand letzte Woche statt."),
    ("de", "Bitte senden Sie uns Ihre Zeugnisse bis Freitag."),
    ("de", "In den nächsten Wochen veröffentlichen wir weitere Stellen."),
    ("de", "Wir hatten am 1. Dezember telefoniert."),
    ("fr", "Nous avons parlé le 18 décembre dernier de votre décision."),
    ("fr", "Merci de nous envoyer vos disponibilités d'ici vendredi."),
    ("fr", "Nous publierons d'autres postes la semaine prochaine."),
    ("fr", "Nous vous avons écrit depuis le 3 décembre."),
    ("fr", "La semaine dernière, nous avons rencontré trois candidats."),
    ("es", "El pasado viernes hablamos de la decisión."),
    ("es", "Hablamos el viernes pasado sobre la decisión."),
    ("es", "Por favor, envíanos tus referencias antes del viernes."),
    ("es", "Publicaremos más vacantes la próxima semana."),
    ("es", "Te escribimos desde el 1 de diciembre."),
    ("es", "Nos vemos por la mañana en la oficina."),
])
def test_negatives(lang: str, text: str) -> None:
    assert read(lang, text) == []


def test_passed_dates_yield_nothing() -> None:
    assert read("de", "Wir wollten bis zum 1. Dezember entscheiden.") == []
    assert read("fr", "Nous devions décider avant le 1er décembre.") == []
    assert read("es", "Debíamos decidir antes del 1 de diciembre.") == []


def test_a_time_of_day_keeps_the_day_in_the_users_zone() -> None:
    late = datetime(2026, 12, 2, 23, 30, tzinfo=UTC)  # already Thursday in Berlin
    assert read("de", "Wir entscheiden bis Freitag um 18 Uhr.", late)[0][0] == D("2026-12-04")
    assert read("fr", "Réponse sous 48 heures.", late)[0][0] == D("2026-12-05")


def test_only_the_data_languages_have_tables() -> None:
    assert set(timeline_lang.languages()) >= {"de", "fr", "es"}
    assert "en" not in timeline_lang.languages()
    assert timeline_lang.tables("en") is None


def test_english_falls_back_to_the_english_rules() -> None:
    text = "Thanks again for your time. We expect to make a decision by the end of next week."
    assert timeline_lang.find_deadlines(text, SENT, BERLIN) is None


# --- the conversation: the company states a timeline, the first follow-up a week later ---

CFG = make_config(account={"timezone": "Europe/Berlin"})
CAL = BusinessCalendar.from_config(CFG)
# (language, the company's reply, the day its words allow, the phrase, the first follow-up's day)
STATED = [
    ("de", "Vielen Dank für das angenehme Gespräch gestern. Wir melden uns bis Ende nächster Woche "
           "mit einer Entscheidung bei Ihnen.", "2026-12-11", "bis Ende nächster Woche", "2026-12-21"),
    ("fr", "Merci encore pour cet entretien très agréable. Nous reviendrons vers vous d'ici la fin "
           "du mois avec notre décision.", "2026-12-31", "d'ici la fin du mois", "2027-01-08"),
    ("es", "Muchas gracias por la entrevista de ayer. Esperamos tomar una decisión dentro de dos "
           "semanas y te escribiremos entonces.", "2026-12-16", "dentro de dos semanas", "2026-12-24"),
]


@pytest.mark.parametrize(("lang", "text", "day", "phrase", "due"), STATED)
def test_conversation_first_follow_up_a_week_after_the_stated_day(
    lang: str, text: str, day: str, phrase: str, due: str
) -> None:
    """The policy's week of grace runs from the day after the stated one (day + 8 at 00:00),
    then snaps to the next business moment: Sat 19 Dec -> Mon 21 Dec; Fri 8 Jan; Thu 24 Dec."""
    start = datetime(2026, 12, 1, 9, tzinfo=BERLIN)
    thanks = msg(ME, "Re: Interview", "Thank you for your time today.", datetime(2026, 12, 1, 17, tzinfo=BERLIN),
                 to="hr@firma.example", mid="u1")
    reply = msg("hr@firma.example", "Re: Interview", text, SENT, mid="c1", name="Anna Weber",
                in_reply_to=("<u1@x>",), references=("<u1@x>",))
    c = conv(thanks, reply)
    iv = Interview(start + timedelta(hours=1), Evidence("<i@x>", "invite", start), start=start,
                   end=start + timedelta(hours=1), source="calendar", summary="Interview")
    facts = [iv, *extract_facts(c, CFG)]
    stated = [f for f in facts if isinstance(f, DeadlineStated)]
    assert [(f.deadline.last_day, f.deadline.phrase) for f in stated] == [(D(day), phrase)]
    d = decide(c, Tracking(True, "t", "Firma"), facts, SENT + timedelta(days=1), CFG, CAL)
    assert d.next is not None and d.next.kind == FOLLOW_UP_1
    assert d.next.deadline_day == D(day)
    assert d.next.due.date() == D(due)
    assert d.next.due.date() >= D(day) + timedelta(days=8)
