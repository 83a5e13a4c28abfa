"""Composing a draft: wording from templates, threading headers, our marker.

The draft is a plain-text reply in the same conversation: ``In-Reply-To`` the
last message, ``References`` the chain, ``Subject: Re: <original>`` without
piling up prefixes, so Gmail and any RFC 5256 client shows it in the thread.
Its Message-ID is derived from (conversation, round, step), so a crash between
"created" and "recorded" is repaired by finding the draft again, never by
writing a second one. Wording comes from ``agent/templates/*.txt`` unless the
user's ``drafts.templates_dir`` holds a file of the same name; the files are
read once per poll (:func:`load_templates`), and composing reads none.

A conversation whose company side writes another language with templates gets its draft
in that language and in the register the company used (:mod:`agent.drafts_lang`); the
templates are ``agent/templates/<lang>/<step>.<register>.txt``, one whole letter per
register, because the register runs through every sentence (Sie/du, vous/tu, usted/tú
change pronouns and verbs), which pieces spliced into one letter would make unreadable
to whoever translates or overrides it. A user's ``<lang>/<step>.txt`` serves both registers.
"""

from __future__ import annotations

import functools
import hashlib
import quopri
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from email import policy as email_policy
from email.headerregistry import BaseHeader, HeaderRegistry
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import format_datetime
from importlib import resources
from string import Template
from zoneinfo import ZoneInfo

from agent import drafts_lang
from agent.config import Config
from agent.draft_ids import draft_key as draft_key
from agent.draft_ids import draft_message_id as draft_message_id
from agent.facts import DeadlineStated
from agent.lang import DEFAULT, conversation_language, supported
from agent.model import Conversation, Message
from agent.policy import FOLLOW_UP_1, FOLLOW_UP_2, STEPS, Decision, NextStep
from agent.signals.autoreply import auto_reply
from agent.signals.bounces import bounce

MARKER_HEADER = "X-Followup-Agent"
_MAX_REFERENCES = 20


class _HeaderClasses(HeaderRegistry):
    """``HeaderRegistry`` that makes each header class once, not once per header.

    Shortcut: the stock registry builds a fresh class with ``type()`` for every header it
    parses (``type('_' + cls.__name__, (cls, base_class), {})``), which was about half the
    cost of building a draft. Those classes carry no state of their own (parsing and
    folding live in the registry's classes and in the instances), so sharing one per
    header name changes nothing in the bytes; tests/test_drafts.py checks the bytes
    against ``email.policy.SMTP`` itself.
    """

    def __init__(self) -> None:
        super().__init__()
        self._made: dict[str, type[BaseHeader]] = {}

    def __getitem__(self, name: str) -> type[BaseHeader]:
        key = name.lower()
        cls = self._made.get(key)
        if cls is None:
            cls = self._made[key] = super().__getitem__(name)
        return cls


# email.policy.SMTP (RFC 5322, CRLF, 78 columns), only with the header classes shared
_SMTP = email_policy.SMTP.clone(header_factory=_HeaderClasses())
# email.policy.default (what fingerprint() parses with), with the same shared header classes
_DEFAULT = email_policy.default.clone(header_factory=_SMTP.header_factory)


@dataclass(frozen=True)
class Draft:
    """A draft ready to hand to a backend."""

    key: str  # conversation:round:step
    message_id: str
    to: str
    subject: str
    body: str
    data: bytes
    fingerprint: str
    thread_hint: str | None


def reply_subject(subject: str) -> str:
    from agent.mail.subject import base_subject

    base = base_subject(subject)
    return f"Re: {base}" if base else "Re: our conversation"


#: the wording of each step's draft, loaded once per poll (:func:`load_templates`) and handed to
#: :func:`compose`, which reads no file
Templates = Mapping[str, Template]


def load_templates(config: Config) -> Templates:
    """Every step's template: the user's ``drafts.templates_dir`` file where there is one, else ours.

    English ones are keyed by step; another language's by :func:`template_key` (``de/thank_you.formal``)."""
    found: dict[str, Template] = {step: load_template(step, config) for step in STEPS}
    for lang in supported():
        for step in STEPS:
            for reg in drafts_lang.REGISTERS if lang != DEFAULT else ():
                template = _language_template(lang, step, reg, config)
                if template is not None:
                    found[template_key(lang, step, reg)] = template
    return found


def template_key(lang: str, step: str, register: str) -> str:
    """Where :class:`Templates` holds ``step``'s letter in ``lang`` and ``register``."""
    return f"{lang}/{step}.{register}"


def _language_template(lang: str, step: str, reg: str, config: Config) -> Template | None:
    """The user's ``<lang>/<step>.<reg>.txt`` or ``<lang>/<step>.txt``, else ours; None if none."""
    names = (f"{step}.{reg}.txt", f"{step}.txt")
    if config.drafts.templates_dir is not None:
        for name in names:
            user = config.drafts.templates_dir / lang / name
            if user.is_file():
                return Template(user.read_text(encoding="utf-8"))
    ours = resources.files("agent.templates").joinpath(lang)
    for name in names:
        path = ours.joinpath(name)
        if path.is_file():
            return Template(path.read_text(encoding="utf-8"))
    return None


def load_template(step: str, config: Config) -> Template:
    """One step's template, as :func:`load_templates` finds it."""
    name = f"{step}.txt"
    if config.drafts.templates_dir is not None:
        user = config.drafts.templates_dir / name
        if user.is_file():
            return Template(user.read_text(encoding="utf-8"))
    return Template(resources.files("agent.templates").joinpath(name).read_text(encoding="utf-8"))


def _greeting(conv: Conversation, to: str) -> str:
    for m in reversed(conv.messages):
        for a in (m.from_, *m.reply_to):
            if a is not None and a.email == to and a.name:
                first = a.name.replace('"', "").split(",")[-1].strip().split()
                if first and first[0].isalpha() and first[0].lower() not in (
                    "the", "team", "recruiting", "talent", "hiring", "careers", "hr", "no", "noreply",
                ):
                    return first[0].capitalize() if first[0].islower() else first[0]
    return "there"


def _topic(conv: Conversation, company: str | None) -> str:
    from agent.mail.subject import base_subject

    subj = base_subject(conv.subject)
    m = re.search(r"\b(?:for (?:the )?|–\s*|-\s*|:\s*)([A-Z][\w/&+ .-]{2,60}?(?:Engineer|Developer|Manager|"
                  r"Designer|Scientist|Analyst|Lead|Director|Architect|Specialist|Consultant|"
                  r"Researcher|Administrator|Coordinator|Role|Position))\b", subj)
    if m:
        return f"the {m.group(1).strip()} role"
    return f"the role at {company}" if company else "the role"


def compose(
    conv: Conversation, decision: Decision, step: NextStep, now: datetime, config: Config,
    note: str | None = None, *, templates: Templates,
) -> Draft:
    """The draft for ``step`` in ``conv`` in the wording of ``templates``. ``step.to`` must be set."""
    assert step.to is not None
    tz = config.account.tz
    key = draft_key(conv.id, step.round, step.kind)
    template, values = _wording(conv, decision, step, now, config, templates)
    body = _body(template, values, note, config)
    last = reply_target(conv, tz)
    msg = EmailMessage(policy=_SMTP)
    msg["From"] = _from_header(config.account.name, config.account.primary)
    msg["To"] = step.to
    msg["Subject"] = reply_subject(conv.subject)
    msg["Date"] = format_datetime(now.astimezone(tz))
    message_id = draft_message_id(key, config)
    msg["Message-ID"] = message_id
    if last is not None:
        msg["In-Reply-To"] = last.message_id
        chain = [*last.references, last.message_id]
        if len(chain) > _MAX_REFERENCES:  # keep the root and the most recent ancestors
            chain = [chain[0], *chain[-(_MAX_REFERENCES - 1):]]
        msg["References"] = " ".join(dict.fromkeys(chain))
    msg[MARKER_HEADER] = f"v=1; step={step.kind}; conversation={conv.id}; round={step.round}"
    msg.set_content(body, charset="utf-8", cte="quoted-printable")
    data = msg.as_bytes()
    hint = next((m.thread_hint for m in reversed(conv.own_messages) if m.thread_hint), None)
    return Draft(key=key, message_id=message_id, to=step.to, subject=str(msg["Subject"]), body=body,
                 data=data, fingerprint=_own_fingerprint(data), thread_hint=hint)


def _wording(conv: Conversation, decision: Decision, step: NextStep, now: datetime, config: Config,
             templates: Templates) -> tuple[Template, dict[str, str]]:
    """The template and its values: in the conversation's language and register where we have
    its templates, else in English."""
    assert step.to is not None
    people = _written_by_people(conv, config.account.tz)
    lang = conversation_language(people, config.user_addresses)
    words = drafts_lang.draft_words(lang) if lang != DEFAULT else None
    if words is not None:
        texts = drafts_lang.company_texts(people, frozenset(a.lower() for a in config.user_addresses))
        reg = drafts_lang.register(words, texts)
        template = templates.get(template_key(lang, step.kind, reg))
        if template is not None:
            return template, _language_values(conv, decision, step, now, config, words, reg, texts)
    return templates[step.kind], _english_values(conv, decision, step, now, config)


def _written_by_people(conv: Conversation, tz: ZoneInfo) -> Conversation:
    """The conversation without its automatic replies and bounces: a German out-of-office in an
    English recruiter's thread says nothing of the language (or register) to answer in."""
    from dataclasses import replace

    people = tuple(m for m in conv.messages if auto_reply(m, tz) is None and bounce(m) is None)
    return replace(conv, messages=people) if len(people) < len(conv.messages) else conv


def _english_values(conv: Conversation, decision: Decision, step: NextStep, now: datetime,
                    config: Config) -> dict[str, str]:
    assert step.to is not None
    company = decision.company
    return {
        "greeting": _greeting(conv, step.to),
        "name": config.account.name,
        "company": company or "the company",
        "company_or_team": company or "the team",
        "topic": _topic(conv, company),
        "when": _when(decision, now, config),
        "timeline_question": "" if _has_deadline(decision) else
        "\nWhen you have a moment, could you let me know what the timeline for next steps looks like?\n",
        "reason_sentence": _reason(step, decision),
        "note_paragraph": "",
        "deadline_phrase": step.deadline_phrase or "",
        "signature": config.drafts.signature or config.account.name,
    }


def _language_values(conv: Conversation, decision: Decision, step: NextStep, now: datetime,
                     config: Config, words: drafts_lang.DraftWords, reg: str,
                     texts: list[str]) -> dict[str, str]:
    """The values of a letter in ``words``' language and register ``reg`` (the English ones'
    names, plus ``greeting_line`` and ``signoff``, whole lines as the language writes them)."""
    from agent.mail.subject import base_subject

    assert step.to is not None
    company = decision.company
    r = words.data.get(reg, {})
    question = "" if _has_deadline(decision) else f"\n{r.get('timeline_question', '')}\n"
    return {
        "greeting_line": drafts_lang.greeting_line(conv, step.to, words, reg, texts),
        "greeting": (drafts_lang.person_name(conv, step.to, words) or ("", "", ""))[1],
        "name": config.account.name,
        "company": company or str(r.get("team", "")),
        "company_or_team": company or str(r.get("team", "")),
        "topic": drafts_lang.topic(base_subject(conv.subject), company, words),
        "when": drafts_lang.when(decision, now, config.account.tz, words),
        "timeline_question": question,
        "reason_sentence": drafts_lang.reason(step, words, reg),
        "note_paragraph": "",
        "deadline_phrase": step.deadline_phrase or "",
        "signoff": str(r.get("signoff", "")),
        "signature": config.drafts.signature or config.account.name,
    }


def _body(template: Template, values: dict[str, str], note: str | None, config: Config) -> str:
    """The filled template, the user's note fitted into what it leaves of the word budget."""
    values = {**values, "note_paragraph": f"\n{note.strip()}\n" if note else ""}
    if note:  # the draft stays short: the note gets what the template leaves of the budget
        bare = _tidy(template.safe_substitute({**values, "note_paragraph": ""}))
        fitted = fit_words(note.strip(), config.drafts.max_words - word_count(bare))
        values["note_paragraph"] = f"\n{fitted}\n" if fitted else ""
    body = _tidy(template.safe_substitute(values))
    if config.drafts.signature:
        body = body.rstrip() + "\n" + config.drafts.signature.strip() + "\n"
    return body


@functools.lru_cache(maxsize=8)
def _from_header(name: str, address: str) -> BaseHeader:
    """The parsed From header; the same for every draft of an account, so parsed once
    (header objects are immutable, and ``msg["From"] = header`` stores it as is)."""
    from email.utils import formataddr

    return _SMTP.header_factory("From", formataddr((name, address)))


def reply_target(conv: Conversation, tz: ZoneInfo) -> Message | None:
    """The message the draft answers: the last one a person wrote in the conversation's own
    thread (the draft goes in there). An out-of-office or a bounce is nobody to answer; the
    References chain still runs through the thread."""
    own = conv.own_messages
    real = [m for m in own if not m.message_id.startswith("<synthetic.")] or list(own)
    people = [m for m in real if auto_reply(m, tz) is None and bounce(m) is None]
    return (people or real)[-1] if real else None


def _has_deadline(decision: Decision) -> bool:
    return any(isinstance(f, DeadlineStated) for f in decision.facts)


def _when(decision: Decision, now: datetime, config: Config) -> str:
    iv = decision.interview
    if not iv:
        return "recently"
    start = iv.start.astimezone(config.account.tz)
    days = (now.astimezone(config.account.tz).date() - start.date()).days
    if days <= 0:
        return "today"
    if days == 1:
        return "yesterday"
    if days < 7:
        return f"on {start:%A}"
    return f"on {start:%B} {start.day}"


def _reason(step: NextStep, decision: Decision) -> str:
    if step.kind == FOLLOW_UP_1 and step.deadline_phrase:
        return (f"When we spoke, you mentioned that you hoped to reach a decision "
                f"{_phrase(step.deadline_phrase)}, so I wanted to ask where things stand.")
    if step.kind == FOLLOW_UP_1:
        return "I wanted to ask whether there is any news on next steps."
    if step.kind == FOLLOW_UP_2:
        return "I understand these decisions take time, and I would be glad to hear where things stand."
    return ""


def _phrase(p: str) -> str:
    p = p.strip().rstrip(".")
    p = re.sub(r"^(?:you'?ll hear (?:back )?(?:from us )?|we(?:'ll| will) (?:decide|know|have) )", "", p, flags=re.I)
    if re.match(r"^(by|within|in|before|on|over|during|early|late|mid|next|this|at|around)\b", p, re.I):
        return p[0].lower() + p[1:]
    return f"by {p}"


def _tidy(body: str) -> str:
    body = re.sub(r"[ \t]+\n", "\n", body)
    body = re.sub(r"\n{3,}", "\n\n", body)
    return body.strip() + "\n"


def fingerprint(data: bytes) -> str:
    """What the user would notice changing: recipients, subject and body text."""
    try:
        msg = BytesParser(policy=email_policy.default).parsebytes(data)
        part = msg.get_body(("plain",)) if msg.is_multipart() else msg
        body = part.get_content() if part is not None else ""
        head = f"{msg.get('To', '')}\n{msg.get('Subject', '')}"
    except Exception:  # a draft the user mangled: fingerprint the raw bytes
        return hashlib.sha256(data).hexdigest()
    norm = " ".join(f"{head}\n{body}".split())
    return hashlib.sha256(norm.encode()).hexdigest()


def _own_fingerprint(data: bytes) -> str:
    """``fingerprint(data)`` for the bytes ``compose`` just wrote, without re-parsing all of them.

    Shortcut: the full ``BytesParser`` parse in ``fingerprint`` cost as much as building
    the draft. For our own drafts (one text/plain part, charset utf-8, quoted-printable,
    CRLF, a header block whose values cannot hold line breaks) that parse reduces to the
    steps below, made with the same library calls in the same order (``email.policy.default``
    with the shared header classes of ``_HeaderClasses``):
    - the feed parser ends the header block at the first empty line, cracks it into lines
      on CRLF, groups a header's continuation lines (leading SP/HTAB) with it, and
      ``msg.get(name)`` is ``policy.header_fetch_parse(*policy.header_source_parse(lines))``
      of the first group with that name;
    - ``get_content()`` of a text/plain quoted-printable part is
      ``quopri.decodestring(payload).decode(charset, "replace")``.
    It deliberately does not use the values compose passed in: folding is lossy (in
    Python 3.11 a space between RFC 2047 encoded words of a long non-ASCII subject can
    vanish), and the stored fingerprint must be that of what was written.
    tests/test_drafts.py checks ``_own_fingerprint(d.data) == fingerprint(d.data)`` over
    many drafts (non-ASCII, folded, emoji, notes, signatures, every step kind).
    """
    head, sep, payload = data.partition(b"\r\n\r\n")
    bare = head.replace(b"\r\n", b"")
    if not sep or b"\r" in bare or b"\n" in bare:  # not one of ours: take the general path
        return fingerprint(data)
    try:
        pol = _DEFAULT
        groups: list[list[str]] = []
        for line in head.decode("ascii", "surrogateescape").split("\r\n"):
            if line[:1] in (" ", "\t") and groups:
                groups[-1].append(line + "\r\n")
            else:
                groups.append([line + "\r\n"])
        raw: dict[str, tuple[str, str]] = {}
        for group in groups:
            name, value = pol.header_source_parse(group)
            raw.setdefault(name.lower(), (name, value))
        # the shape compose writes (compared raw: cheaper than parsing, and stricter)
        if (raw.get("content-type", ("", ""))[1] != 'text/plain; charset="utf-8"'
                or raw.get("content-transfer-encoding", ("", ""))[1] != "quoted-printable"):
            return fingerprint(data)
        to, subject = (str(pol.header_fetch_parse(*raw[h])) if h in raw else ""
                       for h in ("to", "subject"))
        body = quopri.decodestring(payload).decode("utf-8", "replace")
        head_text = f"{to}\n{subject}"
    except Exception:  # anything unexpected: the general path decides (raw-bytes hash included)
        return fingerprint(data)
    norm = " ".join(f"{head_text}\n{body}".split())
    return hashlib.sha256(norm.encode()).hexdigest()


def fit_words(text: str, budget: int) -> str:
    """The leading whole sentences of ``text`` within ``budget`` words (else its first words + …)."""
    if budget <= 0:
        return ""
    if word_count(text) <= budget:
        return text
    kept = ""
    for sentence in re.split(r"(?<=[.!?])\s+", text):
        if word_count(f"{kept} {sentence}") > budget:
            break
        kept = f"{kept} {sentence}".strip()
    return kept or " ".join(text.split()[:budget]) + "…"


def word_count(text: str) -> int:
    return len(re.findall(r"\b\w[\w'-]*\b", text))

