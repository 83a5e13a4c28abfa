"""Interview dates and recruiting words in German, French and Spanish.

Tables of invented sentences, per language, with the interview start each states (in UTC) or
none: read through ``slots.find`` (the stated time), through ``extract_facts`` in a recruiting
conversation (confirmed, proposed, cancelled, a deadline, a first working day), and whole
conversations through the tracking verdict (a recruiter writes, the user answers, the interview
is confirmed in words) next to look-alikes in each language (a doctor's appointment, a
newsletter). The user lives in Berlin; 2026-12-01 is a Tuesday; Berlin is UTC+1 in December.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from agent.candidates import is_candidate
from agent.facts import Interview
from agent.lang import tables
from agent.model import CalendarEvent, Message
from agent.signals import events as E
from agent.signals import recruiting_lang, slots, slots_lang, tracking
from agent.signals.recruiting import is_ack
from tests.helpers import ME, conv, make_config, msg

BERLIN = ZoneInfo("Europe/Berlin")
CFG = make_config(account={"timezone": "Europe/Berlin"})
SENT = datetime(2026, 12, 1, 10, 0, tzinfo=BERLIN)


def z(day: int, hour: int, minute: int = 0, month: int = 12) -> datetime:
    """A UTC time in December 2026 (or ``month``)."""
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


# (language, sentence, the meeting start it states in UTC, or None: no meeting time in it)
STATED: list[tuple[str, str, datetime | None]] = [
    # --- German: day before month, 24-hour clock, "Uhr", "um", "ab" -------------------------------
    ("de", "Wir bestätigen Ihren Termin am Dienstag, 8. Dezember um 14 Uhr in unserem Büro.", z(8, 13)),
    ("de", "Ihr Vorstellungsgespräch ist am Di., 08.12. um 14:00 Uhr, wir freuen uns auf Sie.", z(8, 13)),
    ("de", "Könnten wir uns am Donnerstag, den 10.12.2026 um 9:30 Uhr zu einem Gespräch treffen?", z(10, 8, 30)),
    ("de", "Das Gespräch mit der Fachabteilung findet am 9. Dezember um 15.30 Uhr statt.", z(9, 14, 30)),
    ("de", "Passt Ihnen Freitag um 11 Uhr für ein kurzes Telefonat mit unserer Teamleiterin?", z(4, 10)),
    ("de", "Wie wäre es morgen um 16 Uhr für das Interview mit unserem Geschäftsführer?", z(2, 15)),
    ("de", "Das Zweitgespräch ist für Mittwoch, 16. Dez. 2026, 10:00 Uhr angesetzt worden.", z(16, 9)),
    ("de", "Wir erwarten Sie am 14.12. ab 13 Uhr am Empfang in unserem Hauptgebäude.", z(14, 12)),
    ("de", "Das Videointerview beginnt um 17:45 Uhr am Montag, 7. Dezember, der Link folgt.", z(7, 16, 45)),
    ("de", "Ihr Termin beim Fachbereich ist am 11.12.2026 um 8 Uhr MEZ im Raum 204.", z(11, 7)),
    ("de", "Treffen wir uns um 3 Uhr nachmittags am Freitag, 4. Dezember, in der Kantine?", z(4, 14)),
    ("de", "Als Uhrzeit für das Gespräch haben wir 20:15 Uhr am 8.12. vorgesehen, per Video.", z(8, 19, 15)),
    ("de", "Bitte senden Sie uns Ihre vollständigen Unterlagen bis zum 8. Dezember zu.", None),
    ("de", "Wir haben derzeit 14 Bewerber für 3 offene Stellen in der Entwicklung.", None),
    ("de", "Die Ausschreibung läuft noch bis 15.12.2026, 12:00 Uhr, danach sichten wir.", None),
    # --- French: "14 h", "14h30", "9 h 15", "le 8/12", "heure de Montréal" --------------------------
    ("fr", "Je vous confirme notre entretien le mardi 8 décembre à 14 h dans nos locaux.", z(8, 13)),
    ("fr", "Seriez-vous disponible le 8/12 à 14h30 pour un échange avec notre équipe ?", z(8, 13, 30)),
    ("fr", "L'entretien aura lieu jeudi 10 décembre 2026 à 9 h 15 dans nos bureaux parisiens.", z(10, 8, 15)),
    ("fr", "Rendez-vous demain à 16h pour un échange en visio avec la responsable du recrutement.", z(2, 15)),
    ("fr", "Pouvons-nous prévoir un appel vendredi à 11:00 avec le directeur technique ?", z(4, 10)),
    ("fr", "Le second entretien est fixé au mercredi 16 déc. à 10 heures avec l'équipe produit.", z(16, 9)),
    ("fr", "Nous vous attendons le 14/12/2026 à 13h à l'accueil de notre siège social.", z(14, 12)),
    ("fr", "À 17h45, le lundi 7 décembre, vous rencontrerez l'équipe de développement.", z(7, 16, 45)),
    ("fr", "L'entretien téléphonique est prévu le 9 décembre à 15 h 30, heure de Montréal.", z(9, 20, 30)),
    ("fr", "Nous pourrions nous voir à 3 h de l'après-midi le vendredi 4 décembre prochain.", z(4, 14)),
    ("fr", "Le rendez-vous avec la directrice est maintenu le 11.12 à 20:15 comme prévu.", z(11, 19, 15)),
    ("fr", "Merci de nous envoyer votre dossier complet avant le 8 décembre au plus tard.", None),
    ("fr", "Nous avons reçu 14 candidatures pour 2 postes ouverts dans notre équipe.", None),
    ("fr", "La date limite de dépôt est fixée jusqu'au 15/12/2026 à 12 h pour tous les candidats.", None),
    # --- Spanish: "a las 14:00", "de la tarde", "el 8/12", "hora de México" --------------------------
    ("es", "Le confirmo la entrevista el martes 8 de diciembre a las 14:00 en nuestras oficinas.", z(8, 13)),
    ("es", "¿Podrías conectarte el 8/12 a las 14:30 para una llamada con el equipo técnico?", z(8, 13, 30)),
    ("es", "La entrevista será el jueves 10 de diciembre de 2026 a las 9:15 h en la sede central.", z(10, 8, 15)),
    ("es", "Hablamos mañana a las 16 h por videollamada con la responsable de selección.", z(2, 15)),
    ("es", "¿Te viene bien el viernes a las 11 para conversar con nuestro director de tecnología?", z(4, 10)),
    ("es", "La segunda entrevista queda agendada para el miércoles 16 de dic. a las 10 de la mañana.", z(16, 9)),
    ("es", "Te esperamos el 14/12/2026 a las 13 h en la recepción de nuestras oficinas.", z(14, 12)),
    ("es", "A las 17:45, el lunes 7 de diciembre, conocerás al equipo de desarrollo completo.", z(7, 16, 45)),
    ("es", "La llamada con el gerente es el 9 de diciembre a las 9:30 hora de México.", z(9, 15, 30)),
    ("es", "Nos vemos a las 4 de la tarde el viernes 4 de diciembre en la oficina de Madrid.", z(4, 15)),
    ("es", "La entrevista con la directora sigue en pie el 11.12 a las 20:15 como acordamos.", z(11, 19, 15)),
    ("es", "Puedes enviarnos tu currículum actualizado hasta el 8 de diciembre sin falta.", None),
    ("es", "Tenemos 14 candidatos para 2 vacantes abiertas en el área de datos.", None),
    ("es", "El plazo para presentar la prueba técnica vence el 15/12/2026 a las 12:00.", None),
]


def _meeting_times(text: str) -> list[datetime]:
    found = [m.at(BERLIN) for m in slots.find(text, SENT, BERLIN, writer_is_user=False)
             if m.full and not m.limit and not m.window]
    return [at[0].astimezone(UTC) for at in found if at is not None]


@pytest.mark.parametrize(("lang", "text", "start"), STATED, ids=[f"{x[0]}-{i}" for i, x in enumerate(STATED)])
def test_stated_dates_read_in_their_language(lang: str, text: str, start: datetime | None) -> None:
    assert slots_lang.language_of(text) == lang
    assert _meeting_times(text) == ([start] if start else [])


def test_every_language_has_ten_dates_and_three_negatives() -> None:
    for lang in ("de", "fr", "es"):
        rows = [s for code, _t, s in STATED if code == lang]
        assert sum(s is not None for s in rows) >= 10 and sum(s is None for s in rows) >= 3


@pytest.mark.parametrize(("text", "clock"), [
    ("Das Gespräch ist am 8. Dezember um 0:30 Uhr.", (0, 30)),  # midnight exists on a 24-hour clock
    ("Das Gespräch ist am 8. Dezember um 13 Uhr.", (13, 0)),
    ("Das Gespräch ist am 8. Dezember um 9 Uhr.", (9, 0)),
    ("Das Gespräch ist am 8. Dezember um 23:59 Uhr.", (23, 59)),
])
def test_the_24_hour_clock(text: str, clock: tuple[int, int]) -> None:
    found = slots_lang.find(text, SENT, BERLIN, "de")
    assert [(s.start.hour, s.start.minute) for s in found if s.start] == [clock]


def test_an_impossible_hour_is_no_time() -> None:
    assert [s for s in slots_lang.find("Das Gespräch ist am 8. Dezember um 25:10 Uhr.", SENT, BERLIN, "de")
            if s.start] == []


def test_english_is_read_as_before() -> None:
    text = "Thursday at 2pm works for me, talk then."
    assert [m.start for m in slots.find(text, SENT, BERLIN, writer_is_user=True)] == [datetime(2026, 12, 3, 14).time()]


# --- in a conversation: confirmed, proposed, cancelled, a deadline ---------------------------------

OPENERS = {
    "de": msg("anna.weber@nordlicht-software.de", "Ihre Bewerbung als Backend-Entwicklerin",
              "Guten Tag Frau Lee,\n\nvielen Dank für Ihre Bewerbung auf die Stelle als Backend-Entwicklerin. "
              "Wir möchten Sie gerne zu einem Vorstellungsgespräch einladen.\n\nViele Grüße\nAnna Weber\n"
              "Personalabteilung", datetime(2026, 11, 30, 9, tzinfo=BERLIN), name="Anna Weber"),
    "fr": msg("claire.martin@atelier-lumen.fr", "Votre candidature au poste de développeuse",
              "Bonjour Madame Lee,\n\nmerci pour votre candidature au poste de développeuse backend. Nous "
              "souhaitons vous rencontrer pour un entretien.\n\nCordialement,\nClaire Martin\nChargée de recrutement",
              datetime(2026, 11, 30, 9, tzinfo=BERLIN), name="Claire Martin"),
    "es": msg("lucia.romero@brisa-datos.es", "Tu candidatura para el puesto de ingeniera de datos",
              "Hola Jordan:\n\ngracias por tu candidatura para el puesto de ingeniera de datos. Nos gustaría "
              "invitarte a una entrevista con el equipo.\n\nUn saludo,\nLucía Romero\nTalent Acquisition",
              datetime(2026, 11, 30, 9, tzinfo=BERLIN), name="Lucía Romero"),
}

# (language, what the company writes on Dec 1, the interview start it settles in UTC, or None)
IN_CONVERSATION: list[tuple[str, str, datetime | None]] = [
    ("de", "Hiermit bestätigen wir Ihr Vorstellungsgespräch am Dienstag, 8. Dezember um 14 Uhr.", z(8, 13)),
    ("de", "Hätten Sie am Dienstag, 8. Dezember um 14 Uhr oder am Mittwoch um 10 Uhr Zeit?", None),
    ("de", "Leider müssen wir das Gespräch am 8. Dezember um 14 Uhr absagen, wir melden uns.", None),
    ("de", "Ihr erster Arbeitstag wäre der 4. Januar um 9 Uhr, der Vertrag folgt per Post.", None),
    ("de", "Bitte schicken Sie die Probeaufgabe bis Freitag, 11. Dezember um 12 Uhr zurück.", None),
    ("fr", "Je vous confirme notre entretien le mardi 8 décembre à 14 h dans nos locaux.", z(8, 13)),
    ("fr", "Seriez-vous disponible le mardi 8 décembre à 14 h ou le mercredi à 10 h ?", None),
    ("fr", "Malheureusement, nous devons annuler l'entretien du 8 décembre à 14 h.", None),
    ("fr", "Votre premier jour serait le 4 janvier à 9 h, date de prise de poste prévue au contrat.", None),
    ("es", "Le confirmo la entrevista el martes 8 de diciembre a las 14:00 en nuestras oficinas.", z(8, 13)),
    ("es", "¿Te viene bien el martes 8 de diciembre a las 14:00 o el miércoles a las 10:00?", None),
    ("es", "Lamentablemente tenemos que cancelar la entrevista del 8 de diciembre a las 14:00.", None),
    ("es", "Tu primer día sería el 4 de enero a las 9:00, fecha de incorporación según el contrato.", None),
]


def interviews(*messages: Message) -> list[datetime]:
    return [f.start for f in E.extract_facts(conv(*messages), CFG) if isinstance(f, Interview)]


@pytest.mark.parametrize(("lang", "text", "start"), IN_CONVERSATION,
                         ids=[f"{x[0]}-{i}" for i, x in enumerate(IN_CONVERSATION)])
def test_what_the_company_writes_settles_an_interview_or_not(lang: str, text: str, start: datetime | None) -> None:
    opener = OPENERS[lang]
    assert opener.from_ is not None
    said = msg(opener.from_.email, f"Re: {opener.subject}", text, SENT, name=opener.from_.name)
    assert interviews(opener, said) == ([start] if start else [])


# (language, the company's proposal, the user's bare answer)
ACCEPTED = [
    ("de", "Hätten Sie am Dienstag, 8. Dezember um 14 Uhr Zeit für das Vorstellungsgespräch?",
     "Sehr geehrte Frau Weber,\n\nvielen Dank, der Termin passt mir sehr gut.\n\nViele Grüße\nJordan Lee"),
    ("fr", "Seriez-vous disponible le mardi 8 décembre à 14 h pour un entretien ?",
     "Bonjour Madame Martin,\n\nc'est parfait, cela me convient tout à fait.\n\nBien cordialement,\nJordan Lee"),
    ("es", "¿Te viene bien el martes 8 de diciembre a las 14:00 para la entrevista?",
     "Hola Lucía:\n\nperfecto, me viene bien. ¡Nos vemos entonces!\n\nUn saludo,\nJordan Lee"),
]


@pytest.mark.parametrize(("lang", "proposal", "answer"), ACCEPTED, ids=[x[0] for x in ACCEPTED])
def test_a_proposal_the_user_accepts_in_words(lang: str, proposal: str, answer: str) -> None:
    opener = OPENERS[lang]
    assert opener.from_ is not None
    asked = msg(opener.from_.email, f"Re: {opener.subject}", proposal, SENT, name=opener.from_.name)
    yes = msg(ME, f"Re: {opener.subject}", answer, datetime(2026, 12, 1, 15, tzinfo=BERLIN), to=opener.from_.email)
    assert interviews(opener, asked, yes) == [z(8, 13)]


# --- tracking: recruiting conversations and their look-alikes, per language -----------------------

RECRUITING = {
    "de": ("Einladung zum Vorstellungsgespräch",
           "Sehr geehrte Frau Weber,\n\nherzlichen Dank für die Einladung zum Vorstellungsgespräch. "
           "Ich habe großes Interesse an der Stelle und freue mich auf das Gespräch.\n\nMit freundlichen Grüßen\n"
           "Jordan Lee",
           "Sehr geehrte Frau Lee,\n\nhiermit bestätigen wir Ihren Termin für das Vorstellungsgespräch am "
           "Dienstag, 8. Dezember um 14 Uhr. Wir freuen uns auf Sie.\n\nMit freundlichen Grüßen\nAnna Weber"),
    "fr": ("Entretien pour le poste de développeuse backend",
           "Bonjour Madame Martin,\n\nje vous remercie pour votre message. Le poste m'intéresse beaucoup et "
           "je serais ravie d'échanger avec vous.\n\nBien cordialement,\nJordan Lee",
           "Bonjour Madame Lee,\n\nje vous confirme notre entretien le mardi 8 décembre à 14 h dans nos "
           "locaux.\n\nCordialement,\nClaire Martin"),
    "es": ("Entrevista para el puesto de ingeniera de datos",
           "Hola Lucía:\n\nmuchas gracias por tu mensaje. Tengo mucho interés en el puesto y me encantaría "
           "conversar con el equipo.\n\nUn saludo,\nJordan Lee",
           "Hola Jordan:\n\nte confirmo la entrevista el martes 8 de diciembre a las 14:00 en nuestras "
           "oficinas de Madrid.\n\nUn saludo,\nLucía Romero"),
}


@pytest.mark.parametrize("lang", ["de", "fr", "es"])
def test_a_recruiting_conversation_is_tracked_with_its_interview(lang: str) -> None:
    opener = OPENERS[lang]
    assert opener.from_ is not None
    subject, answer, confirmed = RECRUITING[lang]
    c = conv(opener, msg(ME, f"Re: {subject}", answer, datetime(2026, 11, 30, 15, tzinfo=BERLIN),
                         to=opener.from_.email),
             msg(opener.from_.email, f"Re: {subject}", confirmed, SENT, name=opener.from_.name))
    verdict = tracking.classify(c, CFG)
    assert verdict.tracked, verdict.reason
    assert is_candidate(c, CFG)
    assert [f.start for f in E.extract_facts(c, CFG) if isinstance(f, Interview)] == [z(8, 13)]


LOOKALIKES = [
    ("de", "praxis@zahnarzt-mueller.de", "Ihr Termin in unserer Praxis",
     "Sehr geehrte Frau Lee,\n\nhiermit bestätigen wir Ihren Termin zur Vorsorgeuntersuchung am Dienstag, "
     "8. Dezember um 14 Uhr. Bitte bringen Sie Ihre Versichertenkarte mit.\n\nIhr Praxisteam Dr. Müller",
     "Vielen Dank, ich komme gerne zu dem Termin am Dienstag.\n\nViele Grüße\nJordan Lee"),
    ("de", "redaktion@techwoche.de", "Newsletter: Interviews der Woche",
     "Hallo,\n\nin dieser Ausgabe 48 lesen Sie unser Interview mit drei Gründerinnen über ihre Stellen und "
     "Karrieren. Den Newsletter können Sie jederzeit abbestellen.\n\nIhre Redaktion", ""),
    ("fr", "secretariat@cabinet-durand.fr", "Confirmation de votre rendez-vous",
     "Bonjour Madame Lee,\n\nnous vous confirmons votre rendez-vous avec le docteur Durand le mardi 8 "
     "décembre à 14 h. Pensez à apporter votre carte vitale et votre ordonnance.\n\nLe secrétariat médical",
     "Merci beaucoup, je serai bien présente mardi à 14 h.\n\nJordan Lee"),
    ("fr", "lettre@les-echos-du-code.fr", "La newsletter du mardi : entretiens et carrières",
     "Bonjour,\n\ndans ce numéro 112, un entretien avec une développeuse sur sa candidature idéale. Pour "
     "vous désinscrire de cette newsletter, suivez le lien en bas de page.\n\nL'équipe éditoriale", ""),
    ("es", "citas@clinica-sanroque.es", "Confirmación de su cita médica",
     "Estimada Sra. Lee:\n\nle confirmamos su cita con la doctora Pérez el martes 8 de diciembre a las "
     "14:00 en la clínica. Traiga su tarjeta del seguro médico y la receta.\n\nAtentamente,\nRecepción",
     "Muchas gracias, allí estaré el martes a las 14:00.\n\nJordan Lee"),
    ("es", "boletin@mundodev.es", "Boletín semanal: entrevistas y empleo",
     "Hola:\n\nen la edición 37 de nuestro boletín publicamos una entrevista con una ingeniera sobre su "
     "candidatura y las vacantes del sector. Puedes darte de baja cuando quieras.\n\nEl equipo de MundoDev", ""),
]


@pytest.mark.parametrize(("lang", "frm", "subject", "text", "answer"), LOOKALIKES,
                         ids=[f"{x[0]}-{x[1].split('@')[0]}" for x in LOOKALIKES])
def test_a_lookalike_is_not_tracked(lang: str, frm: str, subject: str, text: str, answer: str) -> None:
    assert recruiting_lang.message_language(msg(frm, subject, text)) == lang
    messages = [msg(frm, subject, text, SENT)]
    if answer:
        messages.append(msg(ME, f"Re: {subject}", answer, datetime(2026, 12, 1, 12, tzinfo=BERLIN), to=frm))
    verdict = tracking.classify(conv(*messages), CFG)
    assert not verdict.tracked and not verdict.possible, verdict.reason


# --- the header test, invitation titles, acknowledgements --------------------------------------------


@pytest.mark.parametrize("subject", [
    "Einladung: Vorstellungsgespräch mit Nordlicht Software", "Ihre Bewerbung bei Nordlicht",
    "Invitation : Entretien avec Atelier Lumen", "Votre candidature chez Atelier Lumen",
    "Invitación: Entrevista con Brisa Datos", "Vacante de ingeniera de datos",
])
def test_subjects_that_make_a_candidate(subject: str) -> None:
    their = msg("people@example-firm.com", subject, "", SENT)
    assert recruiting_lang.subject_words(subject)
    assert is_candidate(conv(their), CFG)


@pytest.mark.parametrize("subject", ["Ihre Rechnung für November", "Votre commande est expédiée",
                                     "Su pedido ha sido enviado", "Post from the board"])
def test_subjects_that_do_not(subject: str) -> None:
    assert not recruiting_lang.subject_words(subject)


@pytest.mark.parametrize(("text", "ack"), [
    ("Vielen Dank für Ihre Bewerbung. Wir haben Ihre Bewerbung erhalten und melden uns in Kürze.", True),
    ("Nous avons bien reçu votre candidature et nous reviendrons vers vous prochainement.", True),
    ("Hemos recibido correctamente tu candidatura y la revisaremos en los próximos días.", True),
    ("Vielen Dank für Ihre Bewerbung, wir laden Sie herzlich zum Vorstellungsgespräch am Montag ein.", False),
])
def test_automatic_acknowledgements(text: str, ack: bool) -> None:
    assert is_ack(msg("no-reply@bewerbung.example.com", "Bewerbung / candidature / candidatura", text, SENT), CFG) is ack


# --- the data --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["de", "fr", "es"])
def test_every_language_has_its_tables(lang: str) -> None:
    vocab = recruiting_lang.vocabulary(lang)
    assert vocab is not None and len(vocab.rules) >= 15
    assert slots_lang.grammar(lang) is not None
    assert {r.kind for r in vocab.rules} >= {"candidacy", "interview", "medical", "newsletter"}
    for key in ("interview", "subject", "invitation", "ack"):
        assert isinstance(tables.load(lang, "recruiting")[key], str)
        re.compile(tables.load(lang, "recruiting")[key])


def test_english_has_no_tables_of_these_readings() -> None:
    assert recruiting_lang.vocabulary("en") is None and slots_lang.grammar("en") is None
    assert "en" not in slots_lang.languages() and set(slots_lang.languages()) >= {"de", "fr", "es"}


INVITATIONS = [
    ("Einladung: Vorstellungsgespräch mit Nordlicht Software",
     "Vorstellungsgespräch für die Stelle als Backend-Entwicklerin mit Anna Weber (Personalabteilung)."),
    ("Invitation : Entretien avec Atelier Lumen",
     "Entretien pour le poste de développeuse backend avec Claire Martin, chargée de recrutement."),
    ("Invitación: Entrevista con Brisa Datos",
     "Entrevista para el puesto de ingeniera de datos con Lucía Romero, del equipo de selección."),
]


@pytest.mark.parametrize(("subject", "description"), INVITATIONS, ids=["de", "fr", "es"])
def test_an_interview_invitation_alone_is_tracked(subject: str, description: str) -> None:
    """An invitation nobody answered yet is a hiring process, not outreach: "an interview for a role"."""
    event = CalendarEvent(subject.split(":", 1)[1].strip(), datetime(2026, 12, 8, 14, tzinfo=BERLIN),
                          datetime(2026, 12, 8, 15, tzinfo=BERLIN), organizer="talent@nordlicht-software.de",
                          description=description)
    c = conv(msg("talent@nordlicht-software.de", subject, description, SENT, calendar=(event,)))
    assert is_candidate(c, CFG)
    verdict = tracking.classify(c, CFG)
    assert verdict.tracked, verdict.reason
    assert "an interview for a role" in {cue.name for cue in verdict.cues}
