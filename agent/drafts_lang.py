"""The pieces of a draft in a language other than English, read from ``agent/lang/data/<lang>/drafts.toml``.

One generic reader for every language: the register the company used (formal or informal,
from cue patterns in its own words), the greeting that mirrors its form of address, the
sign-off, the reason for writing (the company's own timeline, quoted, with its day written
the local way by babel), the topic and "when we spoke". A new language is a new data file
and templates (``agent/templates/<lang>/<step>.<register>.txt``); no code here names one.

Pure functions over the conversation and the decision: ``now`` is passed in, nothing is read
but the packaged data (parsed once, cached).
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import date, datetime
from string import Template
from typing import Any
from zoneinfo import ZoneInfo

from agent.lang import tables
from agent.model import Conversation
from agent.policy import FOLLOW_UP_1, FOLLOW_UP_2, Decision, NextStep

FORMAL = "formal"
INFORMAL = "informal"
REGISTERS = (FORMAL, INFORMAL)
# the English reader's words that are no person's name; each language adds its own in data
_NOT_NAMES = frozenset({"the", "team", "recruiting", "talent", "hiring", "careers", "hr", "no", "noreply"})


@dataclass(frozen=True)
class DraftWords:
    """A language's drafts.toml, with its patterns compiled once."""

    lang: str
    data: dict[str, Any]
    formal: tuple[re.Pattern[str], ...]
    informal: tuple[re.Pattern[str], ...]
    titled_opener: re.Pattern[str] | None
    role: re.Pattern[str] | None

    def text(self, section: str, key: str) -> str:
        return str(self.data.get(section, {}).get(key, ""))


@functools.cache
def draft_words(lang: str) -> DraftWords | None:
    """The compiled drafts data of ``lang``; None when the language has none."""
    data = tables.load(lang, "drafts")
    if not data:
        return None
    reg = data.get("register", {})
    greet = data.get("greeting", {})
    role = data.get("topic", {}).get("role_pattern")

    def compile_all(patterns: list[str]) -> tuple[re.Pattern[str], ...]:
        return tuple(re.compile(p, re.M) for p in patterns)

    return DraftWords(lang, data, compile_all(reg.get("formal", [])), compile_all(reg.get("informal", [])),
                      re.compile(greet["titled_opener"], re.M) if greet.get("titled_opener") else None,
                      re.compile(role) if role else None)


def complaints(lang: str) -> tuple[str, ...]:
    """The phrases a draft in ``lang`` must never hold (a complaint about silence)."""
    words = draft_words(lang)
    return tuple(words.data.get("complaints", ())) if words else ()


def company_texts(conv: Conversation, users: frozenset[str]) -> list[str]:
    """The new text of each message the company side wrote, the latest first."""
    return [m.text for m in reversed(conv.messages)
            if m.from_ is not None and m.from_.email.lower() not in users and m.text]


def register(words: DraftWords, texts: list[str]) -> str:
    """The register the company writes in: informal only when its informal cues outnumber the
    formal ones (a tie, or no cue at all, stays with the language's default, formal: the
    politer mistake)."""
    formal = sum(len(p.findall(t)) for t in texts for p in words.formal)
    informal = sum(len(p.findall(t)) for t in texts for p in words.informal)
    if informal > formal:
        return INFORMAL
    if formal > informal:
        return FORMAL
    return str(words.data.get("register", {}).get("default", FORMAL))


def person_name(conv: Conversation, to: str, words: DraftWords) -> tuple[str, str, str] | None:
    """(full name, first name, surname) of the recipient as their own messages' From shows it
    ("Weber, Anna" too); None for a team address or no name."""
    not_names = _NOT_NAMES | {w.lower() for w in words.data.get("not_names", ())}
    for m in reversed(conv.messages):
        for a in (m.from_, *m.reply_to):
            if a is None or a.email != to or not a.name:
                continue
            raw = a.name.replace('"', "").strip()
            if "," in raw:
                last, _, first = raw.partition(",")
                raw = f"{first.strip()} {last.strip()}"
            parts = raw.split()
            if parts and all(p.replace("-", "").replace(".", "").isalpha() for p in parts) \
                    and not any(p.lower() in not_names for p in parts):
                return " ".join(parts), parts[0], parts[-1]
    return None


def greeting_line(conv: Conversation, to: str, words: DraftWords, reg: str, texts: list[str]) -> str:
    """The greeting: the company's own form where it shows one (a title written before the
    recipient's surname in the conversation, "Sehr geehrte…" when the company opened so, its own
    gender-free informal opener), else the neutral form with the full name; never a guessed gender."""
    g = words.data.get("greeting", {})
    name = person_name(conv, to, words)
    if name is None:
        return str(g.get(f"nobody_{reg}", ""))
    full, first, surname = name
    if reg == INFORMAL:
        opener = _opener(texts, g.get("informal_openers", ()))
        line = Template(g.get("informal", "")).safe_substitute(first=first)
        return f"{opener} {first}," if opener and line.endswith(",") else line
    title = _title(conv, surname, words)
    if title is not None:
        opened_so = bool(texts and words.titled_opener and words.titled_opener.search(texts[0]))
        if opened_so:
            return Template(title["salutation"]).safe_substitute(surname=surname)
        full = Template(title["address"]).safe_substitute(surname=surname)
    return Template(g.get("formal", "")).safe_substitute(name=full)


def _opener(texts: list[str], openers: list[str]) -> str | None:
    """The company's own informal opener (the first word of its latest message), when it is one
    of the language's gender-free ones."""
    if not texts:
        return None
    first = texts[0].lstrip().split(maxsplit=1)
    word = first[0].rstrip(",!") if first else ""
    return word if word in openers else None


def _title(conv: Conversation, surname: str, words: DraftWords) -> dict[str, str] | None:
    """The title written right before ``surname`` anywhere in the conversation ("Frau Weber"):
    what the people in it call the recipient, so the draft may call them so too."""
    for title in words.data.get("titles", ()):
        pattern = re.compile(rf"\b(?:{title['pattern']})\s+{re.escape(surname)}\b")
        if any(pattern.search(m.text or "") for m in conv.messages):
            return dict(title)
    return None


def _format_date(day: date, form: str, lang: str) -> str:
    """Babel's ``format_date``, imported on the first draft that needs a date written.

    Babel and its locale data are imported here, not at the top, so that a poll
    that writes no draft in another language never loads them (issue 15).
    """
    from babel.dates import format_date

    return format_date(day, form, locale=lang)


def local_date(day: date, words: DraftWords) -> str:
    """``day`` written the language's way ("18. Dezember", "18 décembre", "18 de diciembre")."""
    return _format_date(day, words.data.get("date_format", "long"), words.lang)


def when(decision: Decision, now: datetime, tz: ZoneInfo, words: DraftWords) -> str:
    """When the interview was, in the language's words (the English reader's ``_when``)."""
    w = words.data.get("when", {})
    iv = decision.interview
    if not iv:
        return str(w.get("recently", ""))
    start = iv.start.astimezone(tz)
    days = (now.astimezone(tz).date() - start.date()).days
    if days <= 0:
        return str(w.get("today", ""))
    if days == 1:
        return str(w.get("yesterday", ""))
    if days < 7:
        weekday = _format_date(start.date(), words.data.get("weekday_format", "EEEE"), words.lang)
        return Template(w.get("weekday", "")).safe_substitute(weekday=weekday)
    return Template(w.get("date", "")).safe_substitute(date=local_date(start.date(), words))


def reason(step: NextStep, words: DraftWords, reg: str) -> str:
    """Why the draft is written: the company's own timeline quoted as it wrote it (with its last
    day written the local way) for a first follow-up; the data's gentle sentence otherwise."""
    r = words.data.get(reg, {})
    if step.kind == FOLLOW_UP_1 and step.deadline_phrase:
        left, right = words.data.get("quotes", ['"', '"'])
        quoted = f"{left}{step.deadline_phrase.strip().rstrip('.!')}{right}"
        if step.deadline_day is not None:
            return Template(r.get("follow_up_1_deadline", "")).safe_substitute(
                quoted=quoted, date=local_date(step.deadline_day, words))
        return Template(r.get("follow_up_1_deadline_undated", "")).safe_substitute(quoted=quoted)
    if step.kind in (FOLLOW_UP_1, FOLLOW_UP_2):
        return str(r.get(step.kind, ""))
    return ""


def topic(subject: str, company: str | None, words: DraftWords) -> str:
    """What the conversation is about: the role named in the subject, else the company's position."""
    t = words.data.get("topic", {})
    m = words.role.search(subject) if words.role else None
    if m:
        found = Template(t.get("role", "")).safe_substitute(role=m.group("role").strip())
    elif company:
        found = Template(t.get("company", "")).safe_substitute(company=company)
    else:
        found = str(t.get("plain", ""))
    for pattern, replacement in t.get("elisions", ()):
        found = re.sub(pattern, replacement, found)
    return found
