"""What a clause does with a time, in German, French, Spanish: confirm, propose, refuse, cancel.

The counterpart of agent.signals.scheduling's English patterns (``_R_CONFIRM``, ``_R_PROPOSE``,
…) and of agent.signals.meetings' ``MEETING`` / ``NOT_MEETING``, read from the ``[phrases]``
table of ``agent/lang/data/<code>/interviews.toml``: "wir bestätigen Ihren Termin", "je vous
confirme notre entretien", "le confirmo la entrevista". scheduling asks here only for a message
whose language has such a table; English keeps its own tuned patterns. Pure.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from agent.lang.tables import load

__all__ = ["Phrases", "about_meeting", "accepts", "act", "not_meeting", "phrases"]

PROPOSE, CONFIRM, REFUSE, CANCEL = "propose", "confirm", "refuse", "cancel"
_NEVER = re.compile(r"(?!x)x")


@dataclass(frozen=True)
class Phrases:
    """One language's scheduling words, compiled."""

    meeting: re.Pattern[str]
    not_meeting: re.Pattern[str]
    confirm: re.Pattern[str]
    propose: re.Pattern[str]
    refuse: re.Pattern[str]
    cancel: re.Pattern[str]
    conditional: re.Pattern[str]


@functools.cache
def phrases(lang: str | None) -> Phrases | None:
    """``lang``'s phrases, compiled once; None for a language without them (English among them)."""
    table = load(lang, "interviews").get("phrases", {}) if lang else {}
    if not table.get("meeting"):
        return None

    def c(key: str) -> re.Pattern[str]:
        return re.compile(table[key], re.I) if table.get(key) else _NEVER

    return Phrases(c("meeting"), c("not_meeting"), c("confirm"), c("propose"), c("refuse"), c("cancel"),
                   c("conditional"))


def about_meeting(lang: str | None, text: str) -> bool:
    """``text`` speaks of an interview, a call, a meeting in ``lang`` ("Vorstellungsgespräch", "entretien")."""
    p = phrases(lang)
    return p is not None and bool(p.meeting.search(text))


def not_meeting(lang: str | None, clause: str) -> bool:
    """The time in ``clause`` is something else: a deadline, a start date, a doctor."""
    p = phrases(lang)
    return p is not None and bool(p.not_meeting.search(clause))


def act(lang: str | None, clause: str) -> str | None:
    """The act of ``clause`` by ``lang``'s words, in scheduling's order (refuse > cancel > a question >
    confirm > propose); None when its words say nothing (the caller's defaults apply)."""
    p = phrases(lang)
    if p is None:
        return None
    iffy = bool(p.conditional.search(clause))
    if not iffy and p.refuse.search(clause):
        return REFUSE
    if not iffy and p.cancel.search(clause):
        return CANCEL
    if "?" in clause:
        return PROPOSE
    if p.confirm.search(clause):
        return CONFIRM
    return PROPOSE if p.propose.search(clause) else None


def accepts(lang: str | None, head: str) -> bool:
    """A bare answer that takes the time offered ("Passt mir, bis dann!", "Parfait, c'est noté")."""
    p = phrases(lang)
    if p is None:
        return False
    return bool(p.confirm.search(head)) and not p.refuse.search(head) and not p.cancel.search(head)
