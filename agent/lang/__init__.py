"""Languages: which one a message is written in, and the data each language's readings use.

Every language the agent reads has a folder ``agent/lang/data/<code>/`` (ISO 639-1) of
data files: ``words.toml`` (month and weekday names, number words) and one file per
reading that has learnt the language (timelines, instructions, drafts, …), loaded by
:mod:`agent.lang.tables`. A fourth language is a data change: a new folder, no code.

Detection (:func:`detect`) uses **lingua** (``lingua-language-detector``): among the
maintained detectors it is the one that stays accurate on a sentence or two, which is
what a recruiter's reply often is (langdetect and langid need a paragraph, fastText's
model is not shipped in a wheel), and it can be restricted to the languages we have
data for, which both speeds it up and removes confusions with languages we cannot read.
Its trigram models load on first use (0.05 s and 12 MB for four languages), never at import.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from importlib import resources
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lingua import LanguageDetector

    from agent.model import Conversation, Message

__all__ = ["DEFAULT", "conversation_language", "detect", "message_language", "supported"]

#: the language read when nothing says otherwise (and the only one without a register)
DEFAULT = "en"
#: below this many letters a text says too little to tell its language
_MIN_LETTERS = 12
#: lingua's confidence needed to call a text's language
_MIN_CONFIDENCE = 0.6
#: below this many letters, another language than the default needs this confidence
_SHORT = 60
_SURE_WHEN_SHORT = 0.9


@functools.cache
def supported() -> tuple[str, ...]:
    """The languages with a data folder, the default first."""
    data = resources.files("agent.lang").joinpath("data")
    found = sorted(p.name for p in data.iterdir() if p.is_dir() and not p.name.startswith("_"))
    return (DEFAULT, *(c for c in found if c != DEFAULT))


@functools.cache
def _detector() -> LanguageDetector:
    from lingua import IsoCode639_1, Language, LanguageDetectorBuilder

    languages = [Language.from_iso_code_639_1(getattr(IsoCode639_1, code.upper())) for code in supported()]
    # low-accuracy mode: trigram models only. Measured: 12 MB and 0.05 s to load four languages,
    # against 147 MB and 0.7 s for the full models, which more than doubled a poll's peak memory;
    # the sentences of a reply are long enough for trigrams (every test of tests/test_lang*.py and
    # the language scenarios read the same in both modes).
    return LanguageDetectorBuilder.from_languages(*languages).with_low_accuracy_mode().build()


def detect(text: str) -> str | None:
    """The language ``text`` is written in, among :func:`supported`; None when it says too little
    (a signature, "Thanks!") or lingua is unsure."""
    return _detect(text[:2000])


@functools.lru_cache(maxsize=4096)
def _detect(sample: str) -> str | None:
    """:func:`detect` of one sample, remembered: several readings ask about the same message."""
    letters = sum(ch.isalpha() for ch in sample)
    if letters < _MIN_LETTERS:
        return None
    values = _detector().compute_language_confidence_values(sample)
    if not values:
        return None
    code = values[0].language.iso_code_639_1.name.lower()
    # a short text is called another language than the default only when lingua is sure: trigrams
    # misread terse English ("ok to talk? k 9:30 thu" as German at 0.68), and English is read by the
    # agent's own rules
    sure = _MIN_CONFIDENCE if code == DEFAULT or letters >= _SHORT else _SURE_WHEN_SHORT
    return code if values[0].value >= sure else None


@functools.lru_cache(maxsize=512)
def language_of(text: str) -> str | None:
    """The language of a message's text (cached: recruiting, scheduling and slots read the same
    text). Here, not in agent.signals.slots_lang, so that telling a recruiter's mail apart does not
    load the interview-slot grammar."""
    return detect(text) if text.strip() else None


def message_language(m: Message) -> str | None:
    """The language of a message's own words (its new text, else its subject), or None."""
    return detect(m.text) or detect(m.subject)


def conversation_language(conv: Conversation, is_user: Iterable[str] | None = None) -> str:
    """The language the company side writes in: the latest message from someone other than the
    user (``is_user``: the user's addresses) whose language can be told; else the user's own;
    else :data:`DEFAULT`."""
    users = {a.lower() for a in is_user or ()}
    theirs = [m for m in conv.messages if m.from_ is not None and m.from_.email.lower() not in users]
    for m in [*reversed(theirs), *reversed(conv.messages)]:
        found = message_language(m)
        if found is not None:
            return found
    return DEFAULT
