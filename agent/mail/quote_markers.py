"""The lines that start quoted history, in the forms real mail clients write them.

Why our own patterns and not only the library's (mail-parser-reply): its
languages are matched only when named, its header patterns need the exact
spacing of each client, and it knows no date-led attributions
("30.09.2017, 18.30, "Jane" <jane@example.com>:") nor Outlook headers in
Chinese or Russian. Every form here was seen in real test mail
(tests/corpus/quotes); each pattern is anchored and bounded so that matching
stays linear in the input.

Three kinds of marker:

* an attribution: "On <date>, <name> wrote:" and its siblings in many
  languages, wrapped over up to three lines by many clients;
* a separator line: "-----Original Message-----" and its translations,
  "Begin forwarded message:", Zoho's "---- On ... wrote ----";
* an Outlook header block: a From line (in many languages) followed closely
  by a Sent / Subject / Date line (see :func:`agent.mail.quotes`).
"""

from __future__ import annotations

import re

__all__ = [
    "ATTRIBUTION",
    "ATTRIBUTION_START",
    "DATE_LINE",
    "FROM_LINE",
    "PLAUSIBLE_HEADER",
    "SENT_LINE",
    "SEPARATOR",
    "UNDERSCORES",
]

# The verbs of attribution lines, in the languages of the corpus: English, German, Danish,
# Norwegian, Swedish, Dutch, French, Spanish, Catalan, Portuguese, Italian, Polish,
# Russian, Ukrainian, Finnish, Hungarian, Turkish, Czech.
_VERB = (
    r"(?:wrote|schrieb|skrev|schreef|a\s+[ée]crit|escribi[óo]|ha\s+escrit|escreveu"
    r"|(?:ha\s+)?scritto|napisa[łl](?:\s*\(a\)|a)?|написал[аи]?|написав|пишет|kirjoitti"
    r"|[íi]rta|yazd[ıi]|napsal[a]?)"
)

# An attribution that names a verb: "On <date>, <name> wrote:", "Den 24. nov. 2025 kl. 10.00
# skrev Peter <peter@example.com>:", "Le 29 avr. 2025 à 11:11, Chris <c@x> a écrit :". It
# must hold a digit or an address (a date or a sender), so that "as John wrote:" in a
# sentence is not taken. Zimbra writes a leading "- ", Apple Mail a trailing space.
_VERB_ATTRIBUTION = re.compile(
    rf"^-?\s*(?=.{{0,400}}?(?:\d|@)).{{0,400}}?\b{_VERB}\b[^\n]{{0,200}}?\s?:?\s*$",
    re.IGNORECASE | re.DOTALL,
)

# An attribution that names no verb: a date or time, then the sender's address, then a
# colon: '30.09.2017, 18.30, "John" <john@example.com>:', 'ср, 30 апр. 2025 г. в 15:19,
# John <doe@example.com>:', 'Wednesday, 17 November 2021, 3:32 PM +0300 from a@b <a@b>:'.
_DATED_ATTRIBUTION = re.compile(
    r"^(?=.{0,300}?\d{1,2}[:.]\d{2}).{0,400}?<?[^\s<>@\"]{1,100}@[^\s<>\"]{1,200}>?\s*\)?\s*:\s*$",
    re.IGNORECASE | re.DOTALL,
)

# Japanese clients: "2023年3月1日(水) 12:00 織田 <oda@example.com>:" is covered by the dated
# form; "… のメッセージ:" / "…さんは書きました:" are not.
_JAPANESE = re.compile(r"^.{0,400}?(?:のメッセージ|書きました|より)\s*[:：]\s*$", re.DOTALL)


class _Attribution:
    """Matches any of the attribution forms (one ``match`` like a compiled pattern)."""

    _forms = (_VERB_ATTRIBUTION, _DATED_ATTRIBUTION, _JAPANESE)

    def match(self, window: str) -> bool:
        if window.rstrip().endswith(("wrote", "Wrote")) or window.rstrip().endswith(":"):
            return any(form.match(window) for form in self._forms)
        return False


ATTRIBUTION = _Attribution()

# What the first line of an attribution may start with: a word of the usual openings, a
# digit (a date), a weekday abbreviation, or Zimbra's "- ". A cheap gate before the window
# is joined.
ATTRIBUTION_START = re.compile(
    r"^(?:-\s+)?(?:on|am|le|el|em|il|in\s+data|op|den|dnia|w\s+dniu|\d|[^\W\d_]{1,4}\.?,?\s+\d"
    r"|[^\W\d_]+day\b|[^\W\d_]+tag\b)",
    re.IGNORECASE,
)

# Separators: a line of dashes around the words for "original message" or "forwarded
# message" in many languages, Zoho's "---- On ... wrote ----", and the forwarding lines of
# Apple Mail and Gmail's "Previous replies" in German.
_SEPARATOR_WORDS = (
    r"original\s+message|urspr[üu]ngliche\s+nachricht|message\s+d'origine|mensaje\s+original"
    r"|mensagem\s+original|messaggio\s+originale|oorspronkelijk\s+bericht|origineel\s+bericht"
    r"|oprindelig\s+(?:besked|meddelelse)|opprinnelig\s+melding|ursprungligt\s+meddelande"
    r"|originalmeddelande|wiadomo[śs][ćc]\s+oryginalna|исходное\s+сообщение|原始邮件"
    r"|forwarded\s+message|weitergeleitete\s+nachricht|message\s+transf[ée]r[ée]"
    r"|mensaje\s+reenviado|mensagem\s+encaminhada|messaggio\s+inoltrato"
    r"|doorgestuurd\s+bericht|videresendt\s+(?:besked|meddelelse)|vidarebefordrat\s+meddelande"
    r"|on\s.{1,300}\swrote"
)
SEPARATOR = re.compile(
    rf"^(?:-{{2,}}\s*(?:{_SEPARATOR_WORDS})\s*:?\s*-{{2,}}"
    r"|begin\s+forwarded\s+message\s*:"
    r"|anfang\s+der\s+weitergeleiteten\s+nachricht\s*:"
    r"|d[ée]but\s+du\s+message\s+r[ée]exp[ée]di[ée]\s*:"
    r"|vorherige\s+antworten\s*:?|previous\s+replies\s*:?)\s*$",
    re.IGNORECASE,
)

# Outlook-style header block: a From line followed closely by Sent/Date/Subject. The words
# in English, German, French, Spanish, Portuguese, Italian, Dutch, Danish/Norwegian,
# Swedish, Polish, Russian and Chinese; the French "Message du :" line opens a block too.
FROM_LINE = re.compile(
    r"^\**\s*(?:from|von|de|da|van|fra|från|od|от|发件人|message\s+du)\s*\**\s*[:：]\s*\S",
    re.IGNORECASE,
)
_SENT_WORDS = (
    r"sent|gesendet|envoy[ée](?:\s+le)?|enviado(?:\s+el)?|inviato|verzonden|sendt|skickat"
    r"|wysłano|отправлено|发送时间|subject|betreff|objet|sujet|asunto|assunto|oggetto"
    r"|onderwerp|emne|ämne|temat|тема|主题"
)
SENT_LINE = re.compile(rf"^\**\s*(?:{_SENT_WORDS})\s*\**\s*[:：]", re.IGNORECASE)
DATE_LINE = re.compile(
    r"^\W*(?:date|datum|fecha|data|dato|дата)\s*\**\s*:", re.IGNORECASE | re.MULTILINE
)
PLAUSIBLE_HEADER = re.compile(
    rf"{_VERB}|original\s+message|urspr[üu]ngliche|^\W*(?:{_SENT_WORDS})\s*\**\s*[:：]",
    re.IGNORECASE | re.MULTILINE,
)
UNDERSCORES = re.compile(r"^\s*[_-]{20,}\s*$")
