"""What a company says in German, French or Spanish (and any language with the data): one reader
over each language's ``agent/lang/data/<code>/instructions.toml``.

English keeps its structural reading in :mod:`agent.signals.instructions`, tuned on the judgment
corpus; other languages are read here from phrase rules, so that a fourth language is a data
change. A rule is a set of patterns that must all hold in one sentence, patterns that must not
(the negations and look-alikes: "leider kann ich am Dienstag nicht" is no rejection), and the
language's markers of a hypothesis ("falls", "si", "si") and of an invitation to write ("no dude
en escribirme"), which the English reader also weighs. Quoted text is already cut by the parser.

Sentences are split here, not with :func:`agent.signals.instructions.sentences`: that splitter
ends a sentence at "14." in "am 14. Dezember", which German writes all the time.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any

from agent.config import Config
from agent.facts import Ack, Fact, NoFollowUp, Offer, References, Rejection, Said, Withdrawn
from agent.lang import DEFAULT, message_language
from agent.lang.tables import load
from agent.model import Message
from agent.signals import recruiting
from agent.signals.instructions import Finding

__all__ = ["acknowledges", "is_ack", "language", "merged", "read_company", "read_user", "references"]

#: The kinds a data file can hold, and the fact each becomes.
_KINDS: dict[str, type[Fact]] = {"rejection": Rejection, "offer": Offer, "no_follow_up": NoFollowUp,
                                 "withdrawal": Withdrawn, "references": References, "ack": Ack}
_COMPANY = (Rejection, Offer, NoFollowUp)
_NEVER = re.compile(r"(?!x)x")


@dataclass(frozen=True)
class Rule:
    """One reading: every ``need`` pattern in a sentence, no ``veto`` pattern."""

    fact: type[Fact]
    why: str
    need: tuple[re.Pattern[str], ...]
    veto: tuple[re.Pattern[str], ...]
    conditional: bool  # a hypothesis before the match does not cancel it
    questions: bool  # a question counts ("Könnten Sie uns zwei Referenzen nennen?")
    anywhere: bool  # a veto in any sentence of the message cancels the rule
    part: bool  # narrow (one channel): counts only when nothing in the message invites contact


@dataclass(frozen=True)
class Tables:
    """A language's rules and markers, compiled."""

    rules: tuple[Rule, ...]
    condition: re.Pattern[str]
    invitation: tuple[re.Pattern[str], ...]
    sentence_end: re.Pattern[str]


def _compile(patterns: list[str]) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(p, re.I) for p in patterns)


def _rule(fact: type[Fact], data: dict[str, Any]) -> Rule:
    return Rule(fact, data["why"], _compile(data.get("all", [])), _compile(data.get("none", [])),
                bool(data.get("conditional")), bool(data.get("questions")), bool(data.get("veto_anywhere")),
                data.get("scope") == "part")


@functools.cache
def tables(lang: str) -> Tables | None:
    """``lang``'s compiled instruction tables, or None when it has no ``instructions.toml``."""
    data = load(lang, "instructions")
    if not data:
        return None
    rules = tuple(_rule(fact, r) for kind, fact in _KINDS.items() for r in data.get(kind, []))
    # a full stop ends a sentence unless it closes a number ("14.") or a known abbreviation
    abbrev = "".join(rf"(?<!\b{re.escape(a)})" for a in data.get("abbreviations", []))
    end = re.compile(rf"(?<!\d){abbrev}[.!?]+(?=\s)|\n\s*\n")
    cond = data.get("condition")
    return Tables(rules, re.compile(cond, re.I) if cond else _NEVER, _compile(data.get("invitation", [])), end)


@dataclass(frozen=True)
class Reading:
    """A rule that held, with the sentence as written (the evidence, in its own language)."""

    fact: type[Fact]
    sentence: str
    why: str


def sentences(text: str, t: Tables) -> list[tuple[str, str]]:
    """``text`` as sentences, each as written (whitespace collapsed) and as read (lower case, "’" as "'")."""
    parts = t.sentence_end.split(text.replace("\r", ""))
    flat = [" ".join(p.split()) for p in parts]
    return [(s, s.lower().replace("’", "'")) for s in flat if s]


def _holds(rule: Rule, sentence: str, t: Tables) -> bool:
    """Whether ``rule`` reads ``sentence``: all its patterns, none of its vetoes, no hypothesis."""
    first = None
    for rx in rule.need:
        m = rx.search(sentence)
        if m is None:
            return False
        first = m.start() if first is None else min(first, m.start())
    if not rule.need or any(rx.search(sentence) for rx in rule.veto):
        return False
    if not rule.questions and sentence.rstrip(" \"'»)").endswith("?"):
        return False
    return rule.conditional or not t.condition.search(sentence[: first or 0])


def _vetoed(rule: Rule, sents: list[tuple[str, str]]) -> bool:
    """A rule that looks at the whole message, cancelled by a veto in any of its sentences."""
    return rule.anywhere and any(rx.search(s) for _, s in sents for rx in rule.veto)


def _read(lang: str, text: str, kinds: tuple[type[Fact], ...]) -> tuple[Reading, ...]:
    """The first reading of each of ``kinds`` in ``text``, in reading order."""
    t = tables(lang)
    if t is None:
        return ()
    sents = sentences(text, t)
    found: dict[type[Fact], Reading] = {}
    narrow: Reading | None = None
    for written, s in sents:
        for r in t.rules:
            if r.fact in kinds and r.fact not in found and _holds(r, s, t) and not _vetoed(r, sents):
                if r.part:
                    narrow = narrow or Reading(r.fact, written, r.why)
                else:
                    found[r.fact] = Reading(r.fact, written, r.why)
    invited = any(rx.search(s) for _, s in sents for rx in t.invitation)
    if narrow is not None and narrow.fact not in found and not invited:
        found[narrow.fact] = narrow
    return tuple(found.values())


def _findings(readings: tuple[Reading, ...]) -> tuple[Finding, ...]:
    return tuple(Finding(r.fact, r.sentence, r.why) for r in readings if issubclass(r.fact, Said))


def read_company(lang: str | None, subject: str, text: str) -> tuple[Finding, ...]:
    """Rejection, offer and "no follow-ups wanted" in a company's message written in ``lang``.

    The subject is read first when the company wrote it (not a reply's "Re:"/"AW:"/"RE :").
    """
    if lang is None:
        return ()
    fresh = subject.strip() and not re.match(r"^\s*(?:re|aw|wg|fw|fwd|tr|rv|r)\s*:", subject, re.I)
    return _findings(_read(lang, f"{subject.strip()}\n\n{text}" if fresh else text, _COMPANY))


def read_user(lang: str | None, text: str) -> tuple[Finding, ...]:
    """The user's withdrawal, in their own new text written in ``lang``."""
    return _findings(_read(lang, text, (Withdrawn,))) if lang else ()


def references(lang: str | None, subject: str, text: str) -> Reading | None:
    """The company's request for references (the sentence that asks), or None."""
    found = _read(lang, f"{subject}\n\n{text}", (References,)) if lang else ()
    return found[0] if found else None


def acknowledges(lang: str | None, subject: str, text: str) -> bool:
    """An automatic "we received your application" in ``lang`` (the sender is checked elsewhere)."""
    return bool(lang and _read(lang, f"{subject}\n\n{text[:3000]}", (Ack,)))


def is_ack(m: Message, config: Config, lang: str | None) -> bool:
    """An automatic acknowledgement in ``lang`` from an automated sender (as in English: a
    person's "thank you for your application" is a person's answer)."""
    if m.from_ is None or not (recruiting.is_noreply(m.from_) or recruiting.is_ats(m.from_, config)):
        return False
    return acknowledges(lang, m.subject, m.text)


def language(m: Message) -> str | None:
    """``m``'s language when it is one read here (not English, with an ``instructions.toml``)."""
    lang = message_language(m)
    return lang if lang is not None and lang != DEFAULT and tables(lang) is not None else None


def merged(english: tuple[Finding, ...], other: tuple[Finding, ...]) -> tuple[Finding, ...]:
    """English findings as they are, and the other language's for the kinds English did not find
    (a bilingual message is read in both; English never loses a finding)."""
    kinds = {f.fact for f in english}
    return (*english, *(f for f in other if f.fact not in kinds))
