"""What a company says in German, French and Spanish: rejections, offers, "please do not follow
up", reference requests, acknowledgements, out-of-office replies with their return dates, and the
user's withdrawal; then, per language, whole conversations through extract_facts and decide.

Every phrase here was written for these tests; each table is (language, text[, expected]).
"""

from __future__ import annotations

from datetime import date

import pytest

from agent.businesstime import BusinessCalendar
from agent.facts import AutoReply, NoFollowUp, Offer, References, Rejection, Withdrawn
from agent.model import AutoMarkers, CalendarEvent
from agent.policy import CLOSED, decide
from agent.signals import autoreply, instructions_lang
from agent.signals.events import extract_facts
from agent.signals.tracking import Tracking
from tests.helpers import ME, NY, conv, make_config, msg, t

CFG = make_config()
CAL = BusinessCalendar.from_config(CFG)


def kinds(lang: str, text: str, subject: str = "") -> set[type]:
    return {f.fact for f in instructions_lang.read_company(lang, subject, text)}


def table(rows: dict[str, list[str]]) -> list[tuple[str, str]]:
    return [(lang, text) for lang, texts in rows.items() for text in texts]


# --- rejections ------------------------------------------------------------------------

REJECTIONS = {
    "de": [
        "Leider müssen wir Ihnen mitteilen, dass wir uns für einen anderen Kandidaten entschieden haben.",
        "Leider können wir Ihre Bewerbung nicht weiter berücksichtigen.",
        "Nach reiflicher Überlegung haben wir uns leider für eine andere Bewerberin entschieden.",
        "Wir haben uns nach intensiver Prüfung für einen anderen Kandidaten entschieden.",
        "Leider können wir Ihnen keine positive Rückmeldung geben.",
        "Die Stelle ist inzwischen besetzt.",
        "Leider haben wir uns gegen Ihre Bewerbung entschieden.",
        "Wir müssen Ihnen leider eine Absage erteilen.",
        "Leider werden wir den Prozess mit Ihnen nicht fortsetzen.",
        "Wir bedauern, Ihnen mitteilen zu müssen, dass wir uns leider für andere Bewerber entschieden haben.",
        "Leider sind Sie nicht in die engere Wahl gekommen.",
    ],
    "fr": [
        "Malheureusement, nous ne pouvons pas donner suite à votre candidature.",
        "Nous avons le regret de vous informer que votre candidature n'a pas été retenue.",
        "Nous avons décidé de poursuivre avec un autre candidat.",
        "Votre profil, bien qu'intéressant, n'a pas été retenu pour ce poste.",
        "Nous sommes au regret de vous annoncer une réponse négative.",
        "Le poste a été pourvu entre-temps.",
        "Malheureusement, nous avons retenu un profil plus en adéquation avec nos besoins.",
        "Nous regrettons de ne pas pouvoir donner une suite favorable à votre candidature : "
        "nous avons choisi un autre candidat.",
        "Après étude attentive, votre candidature ne sera pas retenue.",
        "Malheureusement, nous avons décidé de ne pas poursuivre le processus avec vous.",
        "Nous avons privilégié d'autres candidatures.",
    ],
    "es": [
        "Lamentablemente, hemos decidido continuar con otro candidato.",
        "Lamentamos informarle que su candidatura no ha sido seleccionada.",
        "Hemos optado por otro perfil que se ajusta mejor al puesto.",
        "Desafortunadamente, no seguiremos adelante con su candidatura.",
        "Su solicitud no ha resultado seleccionada en esta ocasión.",
        "La vacante ya ha sido cubierta.",
        "Lo sentimos, pero hemos decidido no avanzar con su candidatura.",
        "Lamentablemente el puesto fue cerrado.",
        "Por desgracia, su perfil no encaja con lo que buscamos.",
        "Tras valorar todas las candidaturas, lamentamos comunicarle que hemos elegido a otros candidatos.",
        "Sentimos comunicarte que no continuaremos con tu proceso.",
    ],
}


@pytest.mark.parametrize(("lang", "text"), table(REJECTIONS))
def test_rejection(lang: str, text: str) -> None:
    found = kinds(lang, text)
    assert Rejection in found and Offer not in found


NOT_REJECTIONS = {
    "de": [
        "Leider kann ich am Dienstag nicht, wie wäre Mittwoch um 10 Uhr?",
        "Leider ist Frau Weber diese Woche krank, wir melden uns nächste Woche.",
        "Falls wir uns für einen anderen Kandidaten entscheiden, sagen wir Ihnen Bescheid.",
        "Ist die Stelle schon besetzt?",
    ],
    "fr": [
        "Malheureusement, je ne pourrai pas être disponible mardi, pouvons-nous décaler ?",
        "Si votre candidature n'est pas retenue, nous vous préviendrons.",
        "Malheureusement, notre responsable est absente cette semaine.",
        "Le poste a-t-il été pourvu ?",
    ],
    "es": [
        "Lamentablemente no puedo el martes, ¿le va bien el miércoles?",
        "Si su candidatura no ha sido seleccionada, le avisaremos igualmente.",
        "Lamentablemente la entrevista se retrasa una semana.",
        "¿La vacante ya ha sido cubierta?",
    ],
}


@pytest.mark.parametrize(("lang", "text"), table(NOT_REJECTIONS))
def test_not_a_rejection(lang: str, text: str) -> None:
    assert Rejection not in kinds(lang, text)


# --- offers ----------------------------------------------------------------------------

OFFERS = {
    "de": [
        "Wir freuen uns, Ihnen die Stelle als Softwareentwicklerin anbieten zu können.",
        "Es freut uns sehr, Ihnen ein Vertragsangebot machen zu dürfen.",
        "Ihr Vertragsangebot finden Sie im Anhang.",
        "Willkommen im Team!",
        "Gerne möchten wir Ihnen die Position im Bereich Data Engineering anbieten.",
        "Den Arbeitsvertrag schicken wir Ihnen morgen per Post; Ihr Arbeitsvertrag geht Ihnen diese Woche zu.",
    ],
    "fr": [
        "Nous avons le plaisir de vous proposer le poste de cheffe de projet.",
        "Nous sommes ravis de vous faire une offre pour rejoindre l'équipe.",
        "Vous trouverez ci-joint votre proposition d'embauche.",
        "Bienvenue dans l'équipe !",
        "C'est avec plaisir que nous vous proposons un contrat à durée indéterminée.",
        "Nous vous envoyons votre contrat de travail dès demain.",
    ],
    "es": [
        "Nos complace ofrecerle el puesto de analista de datos.",
        "Tenemos el placer de hacerle una oferta para unirse a nuestro equipo.",
        "Adjuntamos su oferta de empleo con las condiciones acordadas.",
        "¡Bienvenida al equipo!",
        "Nos gustaría ofrecerte la posición de diseñador sénior.",
        "Le enviamos el contrato de trabajo para su firma; su contrato laboral está adjunto.",
    ],
}


@pytest.mark.parametrize(("lang", "text"), table(OFFERS))
def test_offer(lang: str, text: str) -> None:
    found = kinds(lang, text)
    assert Offer in found and Rejection not in found


NOT_OFFERS = {
    "de": ["Leider können wir Ihnen kein Angebot machen.", "Wir können Ihnen kein Homeoffice anbieten."],
    "fr": ["Nous ne pouvons malheureusement pas vous proposer le poste.",
           "Nous avons le plaisir de vous proposer un entretien jeudi."],
    "es": ["Lamentablemente no podemos ofrecerle el puesto.", "Nos complace ofrecerle una entrevista el jueves."],
}


@pytest.mark.parametrize(("lang", "text"), table(NOT_OFFERS))
def test_not_an_offer(lang: str, text: str) -> None:
    assert Offer not in kinds(lang, text)


# --- please do not follow up -----------------------------------------------------------

NO_FOLLOW_UP = {
    "de": [
        "Wir bitten Sie, von telefonischen Nachfragen abzusehen.",
        "Bitte sehen Sie von Rückfragen zum Stand Ihrer Bewerbung ab.",
        "Bitte keine Nachfragen per E-Mail oder Telefon.",
        "Nachfragen sind daher nicht nötig.",
        "Sie müssen sich nicht bei uns melden, wir kommen auf Sie zu.",
        "Wir melden uns nur bei Kandidaten, die in die nächste Runde kommen.",
        "Bitte verzichten Sie auf Erinnerungen oder Statusanfragen.",
    ],
    "fr": [
        "Merci de ne pas nous relancer, nous reviendrons vers vous.",
        "Nous vous prions de ne pas contacter l'équipe de recrutement.",
        "Il est inutile de nous relancer.",
        "Veuillez vous abstenir de toute relance.",
        "Nous ne contacterons que les candidats présélectionnés.",
        "Pas besoin de nous recontacter : nous vous écrirons.",
    ],
    "es": [
        "Le rogamos que no haga seguimiento de su candidatura.",
        "Por favor, no nos contacte para preguntar por el estado del proceso.",
        "No es necesario que nos escriba; nosotros le avisaremos.",
        "Rogamos se abstenga de llamar a la oficina.",
        "Solo nos pondremos en contacto con los candidatos seleccionados.",
        "Te pedimos que no llames a los entrevistadores.",
    ],
}


@pytest.mark.parametrize(("lang", "text"), table(NO_FOLLOW_UP))
def test_no_follow_up(lang: str, text: str) -> None:
    assert NoFollowUp in kinds(lang, text)


#: invitations to write, conditions and questions: the opposite of an instruction
FOLLOW_UP_WELCOME = {
    "de": [
        "Zögern Sie nicht, mich bei Fragen zu kontaktieren.",
        "Melden Sie sich gerne, wenn Sie Fragen haben.",
        "Bitte antworten Sie nicht auf diese E-Mail. Bei Fragen wenden Sie sich gerne an mich.",
        "Sollen wir auf weitere Nachfragen verzichten?",
    ],
    "fr": [
        "N'hésitez pas à me contacter si vous avez la moindre question.",
        "Merci de ne pas répondre à ce message. N'hésitez pas à écrire à votre recruteuse.",
        "Je reste à votre disposition.",
        "Merci de ne pas contacter vos références avant notre accord.",
    ],
    "es": [
        "No dude en escribirme si tiene cualquier pregunta.",
        "No dudes en contactarme.",
        "Por favor, no responda a este correo. Si tiene alguna duda, escríbame a mi dirección.",
        "¿Prefiere que no le contactemos por teléfono?",
    ],
}


@pytest.mark.parametrize(("lang", "text"), table(FOLLOW_UP_WELCOME))
def test_follow_up_welcome(lang: str, text: str) -> None:
    assert NoFollowUp not in kinds(lang, text)


@pytest.mark.parametrize(("lang", "text"), [
    ("de", "Bitte antworten Sie nicht auf diese E-Mail."),
    ("fr", "Merci de ne pas répondre à ce message."),
    ("es", "Por favor, no responda a este correo."),
])
def test_unread_address_alone_counts(lang: str, text: str) -> None:
    assert NoFollowUp in kinds(lang, text)


# --- references, acknowledgements, withdrawal ------------------------------------------

REFERENCES = {
    "de": [
        "Könnten Sie uns bitte zwei Referenzen nennen?",
        "Bitte senden Sie uns die Kontaktdaten Ihrer Referenzgeber.",
        "Als nächsten Schritt bräuchten wir Ihre Arbeitszeugnisse.",
        "Wir würden gerne mit zwei Referenzpersonen sprechen.",
    ],
    "fr": [
        "Pourriez-vous nous transmettre les coordonnées de deux références ?",
        "Merci de nous fournir vos références professionnelles.",
        "Nous allons procéder à la prise de références.",
        "Pouvez-vous nous communiquer deux personnes de référence ?",
    ],
    "es": [
        "¿Podría enviarnos dos referencias profesionales?",
        "Le agradeceríamos que nos facilitara los datos de contacto de sus referencias.",
        "El siguiente paso es la comprobación de referencias.",
        "Comparta con nosotros dos cartas de recomendación, por favor.",
    ],
}


@pytest.mark.parametrize(("lang", "text"), table(REFERENCES))
def test_reference_request(lang: str, text: str) -> None:
    found = instructions_lang.references(lang, "", text)
    assert found is not None and found.fact is References


ACKS = {
    "de": [
        ("Eingangsbestätigung", "Vielen Dank für Ihre Bewerbung. Wir prüfen Ihre Unterlagen sorgfältig."),
        ("Ihre Bewerbung", "Wir haben Ihre Bewerbung erhalten und melden uns in Kürze."),
        ("Bewerbung Data Analyst", "Ihre Bewerbung ist bei uns eingegangen."),
        ("Danke", "Danke für Ihre Bewerbung als Projektleiterin bei der Nordlicht GmbH."),
    ],
    "fr": [
        ("Accusé de réception", "Nous avons bien reçu votre candidature."),
        ("Votre candidature", "Votre candidature a bien été enregistrée."),
        ("Merci", "Merci pour votre candidature au poste de développeur."),
        ("Candidature", "Merci de votre candidature, notre équipe l'étudie avec attention."),
    ],
    "es": [
        ("Acuse de recibo", "Hemos recibido correctamente su candidatura."),
        ("Su solicitud", "Su solicitud ha sido registrada en nuestro sistema."),
        ("Gracias", "Gracias por su candidatura para el puesto de analista."),
        ("Postulación", "Gracias por tu postulación, revisaremos tu perfil."),
    ],
}


@pytest.mark.parametrize(("lang", "subject", "text"),
                         [(lang, s, x) for lang, rows in ACKS.items() for s, x in rows])
def test_acknowledgement(lang: str, subject: str, text: str) -> None:
    assert instructions_lang.acknowledges(lang, subject, text)


@pytest.mark.parametrize(("lang", "text"), [
    ("de", "Vielen Dank für Ihre Bewerbung. Gerne laden wir Sie zu einem Vorstellungsgespräch ein."),
    ("fr", "Merci pour votre candidature : nous aimerions vous proposer un entretien."),
    ("es", "Gracias por su candidatura. Nos gustaría invitarle a una entrevista."),
])
def test_invitation_is_no_acknowledgement(lang: str, text: str) -> None:
    assert not instructions_lang.acknowledges(lang, "", text)


@pytest.mark.parametrize(("lang", "text", "withdrawn"), [
    ("de", "Ich möchte meine Bewerbung hiermit zurückziehen.", True),
    ("de", "Ich habe ein anderes Angebot angenommen und ziehe meine Bewerbung zurück.", True),
    ("de", "Ich freue mich auf das Gespräch am Dienstag.", False),
    ("fr", "Je souhaite retirer ma candidature.", True),
    ("fr", "J'ai accepté une autre offre entre-temps.", True),
    ("fr", "Je ne retire rien de ce que j'ai dit.", False),
    ("es", "Quisiera retirar mi candidatura del proceso.", True),
    ("es", "He aceptado otra oferta, gracias por todo.", True),
    ("es", "Sigo muy interesada en el puesto.", False),
])
def test_withdrawal(lang: str, text: str, withdrawn: bool) -> None:
    found = instructions_lang.read_user(lang, text)
    assert (found[0].fact is Withdrawn if found else False) is withdrawn


# --- out-of-office replies and return dates --------------------------------------------

SENT = date(2026, 12, 5)
OUT_OF_OFFICE = {
    "de": [
        ("Ich bin bis einschließlich 14.12. nicht im Büro.", SENT, date(2026, 12, 15)),  # away through the 14th
        ("Vielen Dank für Ihre Nachricht. Ich bin im Urlaub und ab dem 4. Januar wieder erreichbar.",
         SENT, date(2027, 1, 4)),
        ("Ich bin derzeit abwesend. Ab Montag, dem 14. Dezember bin ich wieder im Büro.", SENT,
         date(2026, 12, 14)),
        ("Ich bin bis zum 18.12.2026 nicht im Büro und habe keinen Zugriff auf E-Mails.", SENT,
         date(2026, 12, 18)),
        ("Ich bin auf Dienstreise und ab 9. Dez. wieder für Sie da.", SENT, date(2026, 12, 9)),
        ("Ich bin bis 3.1. im Urlaub.", SENT, date(2027, 1, 3)),
        ("Dies ist eine automatische Antwort. Ich bin bis Freitag, 11. Dezember abwesend.", SENT,
         date(2026, 12, 11)),
        ("Ich bin in Elternzeit und wieder zurück am 1. März 2027.", SENT, date(2027, 3, 1)),
    ],
    "fr": [
        ("Je suis absente du bureau, de retour le 14 décembre.", SENT, date(2026, 12, 14)),
        ("Je suis actuellement en congés jusqu'au 4 janvier inclus.", SENT, date(2027, 1, 5)),  # away through the 4th
        ("Je serai de retour le lundi 11 janvier 2027.", SENT, date(2027, 1, 11)),
        ("Ceci est une réponse automatique. Je suis en déplacement jusqu'au 9 déc.", SENT, date(2026, 12, 9)),
        ("Je suis absent jusqu'au 18/12 et je traiterai votre message à mon retour.", SENT, date(2026, 12, 18)),
        ("Je suis en vacances. Retour au bureau le 1er février.", SENT, date(2027, 2, 1)),
        ("Je suis hors du bureau jusqu'au mercredi 16 décembre.", SENT, date(2026, 12, 16)),
        ("Je suis absente ; je serai à nouveau disponible à partir du 21.12.", SENT, date(2026, 12, 21)),
    ],
    "es": [
        ("Estaré fuera de la oficina hasta el 14 de diciembre.", SENT, date(2026, 12, 14)),
        ("Estoy de vacaciones. Vuelvo el lunes 4 de enero.", SENT, date(2027, 1, 4)),
        ("Me encuentro fuera hasta el 18/12 con acceso limitado al correo.", SENT, date(2026, 12, 18)),
        ("Este es un mensaje automático: estaré de regreso el 11 de enero de 2027.", SENT, date(2027, 1, 11)),
        ("Estoy ausente. Me reincorporo el día 9 de diciembre.", SENT, date(2026, 12, 9)),
        ("Estaré de viaje hasta el próximo miércoles 16 de diciembre.", SENT, date(2026, 12, 16)),
        ("Estoy fuera de la oficina, de vuelta el 21.12.", SENT, date(2026, 12, 21)),
        ("Estaré de permiso hasta el 2 de febrero.", SENT, date(2027, 2, 2)),
    ],
}


@pytest.mark.parametrize(("lang", "text", "sent", "back"),
                         [(lang, x, s, b) for lang, rows in OUT_OF_OFFICE.items() for x, s, b in rows])
def test_out_of_office_return_date(lang: str, text: str, sent: date, back: date) -> None:
    assert autoreply.return_date(text, sent) == back
    m = msg("ann@acme.com", "Re: Bewerbung", text, t(12, 5, 9))
    verdict = autoreply.auto_reply(m, NY)
    assert verdict is not None and verdict.return_date == back and autoreply.out_of_office(m)


@pytest.mark.parametrize("subject", ["Abwesenheitsnotiz: Ihre Nachricht", "Réponse automatique : Candidature",
                                     "Respuesta automática: Entrevista", "Fuera de la oficina"])
def test_out_of_office_subject(subject: str) -> None:
    assert autoreply.auto_reply(msg("ann@acme.com", subject, "", t(12, 5, 9)), NY) is not None


@pytest.mark.parametrize("text", [
    "Wir melden uns bis zum 14.12. mit einer Entscheidung.",
    "Nous reviendrons vers vous avant le 14 décembre.",
    "Le escribiremos antes del 14 de diciembre.",
])
def test_a_person_naming_a_date_is_no_out_of_office(text: str) -> None:
    assert autoreply.auto_reply(msg("ann@acme.com", "Re: Bewerbung", text, t(12, 5, 9)), NY) is None


# --- whole conversations ---------------------------------------------------------------

RECRUITER = "ann@acme.com"
INTERVIEW = CalendarEvent("Interview", t(12, 1, 10), t(12, 1, 11), organizer=RECRUITER, uid="iv-1")

CONVERSATIONS = {
    "de": {
        "thanks": "Vielen Dank für das angenehme Gespräch heute, ich freue mich auf Ihre Rückmeldung.",
        "rejection": "Sehr geehrter Herr Lee,\n\nvielen Dank für Ihr Interesse und die Zeit, die Sie sich "
                     "genommen haben. Leider müssen wir Ihnen mitteilen, dass wir uns für einen anderen "
                     "Kandidaten entschieden haben.\n\nMit freundlichen Grüßen\nAnna Weber",
        "ooo": "Vielen Dank für Ihre Nachricht. Ich bin bis einschließlich 17.12. nicht im Büro und habe "
               "keinen Zugriff auf meine E-Mails. In dringenden Fällen wenden Sie sich an das Sekretariat.",
        "hold": "Sehr geehrter Herr Lee,\n\nvielen Dank für Ihre Zeit. Wir führen noch Gespräche mit weiteren "
                "Kandidaten und bitten Sie, von Nachfragen zum Stand Ihrer Bewerbung abzusehen.\n\n"
                "Mit freundlichen Grüßen\nAnna Weber",
    },
    "fr": {
        "thanks": "Merci beaucoup pour cet entretien très agréable, j'attends votre retour avec intérêt.",
        "rejection": "Bonjour Jordan,\n\nMerci pour le temps que vous nous avez consacré. Malheureusement, "
                     "nous ne pouvons pas donner suite à votre candidature : nous avons retenu un autre "
                     "profil.\n\nBien cordialement,\nClaire Martin",
        "ooo": "Bonjour, je suis actuellement absente du bureau et je serai de retour le 18 décembre. "
               "Pour toute urgence, merci de contacter l'accueil.",
        "hold": "Bonjour Jordan,\n\nMerci pour votre temps. Nous rencontrons encore d'autres candidats ; "
                "merci de ne pas nous relancer, nous reviendrons vers vous.\n\nBien cordialement,\nClaire Martin",
    },
    "es": {
        "thanks": "Muchas gracias por la entrevista de hoy, quedo a la espera de sus noticias.",
        "rejection": "Hola Jordan:\n\nGracias por tu tiempo y por tu interés en la empresa. Lamentablemente, "
                     "hemos decidido continuar con otro candidato cuyo perfil se ajusta más al puesto.\n\n"
                     "Un saludo,\nLucía García",
        "ooo": "Gracias por su mensaje. Estaré fuera de la oficina hasta el 18 de diciembre con acceso "
               "limitado al correo electrónico.",
        "hold": "Estimado Jordan:\n\nGracias por su tiempo. Seguimos entrevistando a otros candidatos y le "
                "rogamos que no haga seguimiento de su candidatura; nosotros le escribiremos.\n\n"
                "Atentamente,\nLucía García",
    },
}


def _conversation(lang: str, reply: str, subject: str = "Re: Interview") -> list:  # type: ignore[type-arg]
    words = CONVERSATIONS[lang]
    c = conv(msg(RECRUITER, "Interview", "", t(11, 25), calendar=(INTERVIEW,), mid="inv"),
             msg(ME, "Interview", words["thanks"], t(12, 1, 14), to=RECRUITER, mid="thanks"),
             msg(RECRUITER, subject, words[reply], t(12, 2, 9), mid="reply",
                 auto=AutoMarkers(auto_submitted="auto-replied") if reply == "ooo" else AutoMarkers()))
    return [c, extract_facts(c, CFG)]


def _decide(c, facts, now):  # type: ignore[no-untyped-def]
    return decide(c, Tracking(True, "test", "Acme"), facts, now, CFG, CAL)


@pytest.mark.parametrize("lang", ["de", "fr", "es"])
def test_rejection_closes_the_conversation(lang: str) -> None:
    c, facts = _conversation(lang, "rejection")
    assert any(isinstance(f, Rejection) for f in facts)
    d = _decide(c, facts, t(12, 20, 9))
    assert d.state == CLOSED and d.next is None


@pytest.mark.parametrize("lang", ["de", "fr", "es"])
def test_out_of_office_pushes_the_follow_up_past_the_return(lang: str) -> None:
    c, facts = _conversation(lang, "ooo")
    replies = [f for f in facts if isinstance(f, AutoReply)]
    assert replies and replies[0].return_date == date(2026, 12, 18)
    d = _decide(c, facts, t(12, 3, 9))
    assert d.next is not None and d.next.due.date() > date(2026, 12, 18)
    assert any("out-of-office" in line for line in d.next.arithmetic)
    # without the out-of-office the same follow-up is due earlier: the return date is what moved it
    plain = [f for f in facts if not isinstance(f, AutoReply)]
    before = _decide(c, plain, t(12, 3, 9))
    assert before.next is not None and before.next.due < d.next.due


@pytest.mark.parametrize("lang", ["de", "fr", "es"])
def test_do_not_follow_up_holds_the_follow_ups(lang: str) -> None:
    c, facts = _conversation(lang, "hold")
    assert any(isinstance(f, NoFollowUp) for f in facts)
    d = _decide(c, facts, t(12, 20, 9))
    assert d.next is None and "no follow-ups" in d.reason


@pytest.mark.parametrize(("text", "back"), [
    ("Ich bin bis einschließlich Mittwoch, 9. Dezember nicht im Büro und ab\nDonnerstag, 10. Dezember wieder "
     "erreichbar.", date(2026, 12, 10)),
    ("Ich bin bis 9. Dezember einschließlich im Urlaub.", date(2026, 12, 10)),
    ("Estaré fuera de la oficina hasta el 9 de diciembre inclusive.", date(2026, 12, 10)),
    ("Estaré fuera de la oficina hasta el 9 de diciembre.", date(2026, 12, 9)),
])
def test_the_last_day_away_means_back_the_day_after_even_across_a_line_break(text: str, back: date) -> None:
    """"Bis einschließlich", "inclusive": the day named is the last one away; a wrapped line changes nothing."""
    assert autoreply.return_date(text, date(2026, 11, 30)) == back
