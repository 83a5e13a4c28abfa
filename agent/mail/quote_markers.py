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

The words of each language (attribution verbs, separator words, header field
names) are data, in ``agent/lang/data/<lang>/quotes.toml`` (and ``_other/`` for
languages the agent does not otherwise read): this module holds only the
shapes, and joins every language's words, since a reply may quote in any of
them. :func:`markers` compiles them once, on first use.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from agent.lang import supported
from agent.lang.tables import load

__all__ = ["Markers", "markers"]


def _words(key: str) -> str:
    """Every language's ``key`` entries of quotes.toml, as one alternation."""
    found = [w for lang in (*supported(), "_other") for w in load(lang, "quotes").get(key, [])]
    return "|".join(dict.fromkeys(found)) or "(?!)"


class _Attribution:
    """Matches any of the attribution forms (one ``match`` like a compiled pattern)."""

    def __init__(self, verbs: str, endings: str) -> None:
        # An attribution that names a verb: "On <date>, <name> wrote:", "Den 24. nov. 2025 kl. 10.00
        # skrev Peter <peter@example.com>:", "Le 29 avr. 2025 à 11:11, Chris <c@x> a écrit :". It
        # must hold a digit or an address (a date or a sender), so that "as John wrote:" in a
        # sentence is not taken. Zimbra writes a leading "- ", Apple Mail a trailing space.
        verb = re.compile(rf"^-?\s*(?=.{{0,400}}?(?:\d|@)).{{0,400}}?\b(?:{verbs})\b[^\n]{{0,200}}?\s?:?\s*$",
                          re.IGNORECASE | re.DOTALL)
        # An attribution that names no verb: a date or time, then the sender's address, then a
        # colon: '30.09.2017, 18.30, "John" <john@example.com>:', 'ср, 30 апр. 2025 г. в 15:19,
        # John <doe@example.com>:', 'Wednesday, 17 November 2021, 3:32 PM +0300 from a@b <a@b>:'.
        dated = re.compile(
            r"^(?=.{0,300}?\d{1,2}[:.]\d{2}).{0,400}?<?[^\s<>@\"]{1,100}@[^\s<>\"]{1,200}>?\s*\)?\s*:\s*$",
            re.IGNORECASE | re.DOTALL)
        # Japanese clients: "2023年3月1日(水) 12:00 織田 <oda@example.com>:" is covered by the dated
        # form; "… のメッセージ:" / "…さんは書きました:" by their endings.
        ending = re.compile(rf"^.{{0,400}}?(?:{endings})\s*[:：]\s*$", re.DOTALL)
        self._forms = (verb, dated, ending)

    def match(self, window: str) -> bool:
        if window.rstrip().endswith(("wrote", "Wrote")) or window.rstrip().endswith(":"):
            return any(form.match(window) for form in self._forms)
        return False


@dataclass(frozen=True)
class Markers:
    """The compiled markers: the attribution forms; what an attribution's first line may start
    with (a cheap gate before the window is joined); a separator line; an Outlook header block's
    From, Sent/Subject and Date lines; what makes a header block plausible; a line of underscores."""

    attribution: _Attribution
    attribution_start: re.Pattern[str]
    separator: re.Pattern[str]
    from_line: re.Pattern[str]
    sent_line: re.Pattern[str]
    date_line: re.Pattern[str]
    plausible_header: re.Pattern[str]
    underscores: re.Pattern[str]


@functools.cache
def markers() -> Markers:
    """Every language's markers, compiled once (each pattern anchored and bounded)."""
    verbs, sent = _words("verbs"), _words("sent_words")
    return Markers(
        attribution=_Attribution(verbs, _words("attribution_endings")),
        attribution_start=re.compile(
            rf"^(?:-\s+)?(?:{_words('openings')}|\d|[^\W\d_]{{1,4}}\.?,?\s+\d)", re.IGNORECASE),
        separator=re.compile(
            rf"^(?:-{{2,}}\s*(?:{_words('separator_words')})\s*:?\s*-{{2,}}|{_words('separator_lines')})\s*$",
            re.IGNORECASE),
        from_line=re.compile(rf"^\**\s*(?:{_words('from_words')})\s*\**\s*[:：]\s*\S", re.IGNORECASE),
        sent_line=re.compile(rf"^\**\s*(?:{sent})\s*\**\s*[:：]", re.IGNORECASE),
        date_line=re.compile(rf"^\W*(?:{_words('date_words')})\s*\**\s*:", re.IGNORECASE | re.MULTILINE),
        plausible_header=re.compile(rf"{verbs}|{_words('plausible')}|^\W*(?:{sent})\s*\**\s*[:：]",
                                    re.IGNORECASE | re.MULTILINE),
        underscores=re.compile(r"^\s*[_-]{20,}\s*$"),
    )
