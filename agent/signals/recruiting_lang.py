"""Recruiting words in German, French, Spanish (any language with a ``recruiting.toml``).

"Vorstellungsgespräch", "Ihre Bewerbung als …", "entretien d'embauche", "votre candidature au
poste de …", "entrevista", "la vacante de …": the words that make a conversation the user's job
search, read from ``agent/lang/data/<code>/recruiting.toml``. The file holds, per language,

- ``[[rules]]``: weighted cues in the form of agent/signals/candidacy.py and lookalike.py (a
  name in English is the reading ``explain`` shows next to the original words), added to the
  tracking verdict's English cues;
- ``interview``, ``subject``, ``invitation``, ``ack``: the words of the header test
  (agent/candidates.py), of an interview with a company and of an automatic acknowledgement
  (agent/signals/recruiting.py).

The weighted rules run only on messages written in their language (agent.lang's detection), so
English conversations are weighed exactly as before: "patient" or "Newsletter" in English mail
never counts twice. The header test reads a subject, often too short to tell its language
("Bewerbung"), so it tries every language's subject words: it only errs towards yes, and the
tracking verdict has the last word. Pure; each table is compiled once.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass

from agent.lang import DEFAULT, language_of, supported
from agent.lang.tables import load
from agent.model import Message
from agent.signals.cues import Cue, Rule, rule, scan

__all__ = ["Vocabulary", "acknowledges", "cues", "interview_words", "languages", "mentions_interview",
           "message_language",
           "subject_words", "vocabulary"]

_NEVER = re.compile(r"(?!x)x")


@dataclass(frozen=True)
class Vocabulary:
    """One language's recruiting words, compiled."""

    rules: tuple[Rule, ...]
    interview: re.Pattern[str]
    subject: re.Pattern[str]
    invitation: re.Pattern[str]
    ack: re.Pattern[str]


@functools.cache
def vocabulary(lang: str) -> Vocabulary | None:
    """``lang``'s recruiting words; None when the language has none (English keeps its own)."""
    data = load(lang, "recruiting") if lang != DEFAULT else {}
    if not data:
        return None

    def c(key: str) -> re.Pattern[str]:
        return re.compile(data[key], re.I | re.M) if data.get(key) else _NEVER

    rules = tuple(rule(r["kind"], r["name"], r["pattern"], int(r["weight"]), r.get("side", "either"))
                  for r in data.get("rules", []))
    return Vocabulary(rules, c("interview"), c("subject"), c("invitation"), c("ack"))


def languages() -> tuple[str, ...]:
    """The languages with recruiting words of their own."""
    return tuple(code for code in supported() if vocabulary(code) is not None)


def message_language(m: Message) -> str | None:
    """A message's language: its new text's, else its subject's (each detected once per text)."""
    return language_of(m.text[:2000]) or language_of(m.subject)


def cues(company: Iterable[Message], user: Iterable[Message]) -> list[Cue]:
    """The cues of every language the company side writes in, read on the messages in it.

    The user's messages whose language cannot be told ("Passt, danke!") are read with each
    language the company writes in.
    """
    theirs = [(m, message_language(m)) for m in company]
    mine = [(m, message_language(m)) for m in user]
    out: list[Cue] = []
    for code in dict.fromkeys(code for _m, code in theirs if code in languages()):
        vocab = vocabulary(code)
        assert vocab is not None and code is not None
        out += scan(vocab.rules, [m for m, c in theirs if c == code], [m for m, c in mine if c in (code, None)])
    return out


def interview_words(text: str, lang: str | None) -> re.Match[str] | None:
    """Where ``text`` (in ``lang``) names an interview with a company, if it does."""
    vocab = vocabulary(lang) if lang else None
    return vocab.interview.search(text) if vocab is not None else None


def mentions_interview(text: str) -> bool:
    """Interview words of any of the languages in ``text``: the header test's last look at a body
    (every language, since detecting each message's language there would cost the whole mailbox)."""
    return any(interview_words(text, code) for code in languages())


def subject_words(subject: str) -> bool:
    """A subject that speaks of a job or an interview in any of the languages (see the module's
    docstring for why every language): "Ihre Bewerbung", "Invitation : Entretien", "Vacante"."""
    for code in languages():
        vocab = vocabulary(code)
        assert vocab is not None
        if vocab.subject.search(subject) or vocab.invitation.search(subject) or vocab.interview.search(subject):
            return True
    return False


def acknowledges(text: str, lang: str | None) -> bool:
    """An automatic "wir haben Ihre Bewerbung erhalten" / "nous avons bien reçu votre candidature"."""
    vocab = vocabulary(lang) if lang else None
    return vocab is not None and bool(vocab.ack.search(text)) and not vocab.interview.search(text)
