"""Which company a conversation is with, named as the company writes it.

Users see "Corvid Labs", not "Corvidlabs": the name is read from where the
company writes it, never made up from a domain when the mail says it.

Where names are read (only from the company side: never from the user's own
messages or signature): the subject ("Senior Data Engineer at Corvid Labs",
"Corvid Labs - Interview"), the signature ("Technical Recruiter | Corvid
Labs"), an invitation's organizer name and summary ("Interview: Jordan Lee <>
Corvid Labs"), an applicant-tracking system's display name ("Holloway Health
Recruiting via Greenhouse") and tenant (``corvidlabs@myworkday.com``), the
sender's display name ("Maya at Corvid Labs"), and plain sentences ("here at
Holloway Health", and the company's own spelling of its domain anywhere in
its text). A person's name, a job title, a team ("Talent Team"), a brand of
web-mail, meeting tool or applicant-tracking system ("Greenhouse") and the
user's own employer are never a company name.

Which one wins:

1. a name whose letters agree with the company side's domain or ATS tenant
   ("Corvid Labs" ~ corvidlabs.com, "Bluefin" ~ bluefin-robotics.io): the
   closest agreement, then the most often named;
2. else the name an applicant-tracking system sends as;
3. else the name given most often;
4. only then the domain itself ("Bluefin Robotics", "Corvid Labs": hyphens, and
   a trailing word companies put after their names, are the only word breaks read
   in a domain; "Sprocketry" stays whole).

Agencies: a recruiter at an agency writes for a client. The company is the
agency, unless the client is named plainly (the subject, an invitation, "my
client, Corvid Labs", the client's own people or ATS writing): then the
client. Why: the client is the employer the user applies to, the name they
know the job by and the one the drafts should thank; but when the agency
keeps its client anonymous ("a Series B fintech in New York"), the agency is
the only party the user deals with, and guessing a client from vague words
would put a wrong name in front of the user.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from agent.config import Config
from agent.lazy_pattern import lazy
from agent.mail.subject import base_subject
from agent.model import Address, Conversation, Message
from agent.signals.autoreply import _domain_in
from agent.signals.bounces import bounce
from agent.signals.company_domain import (
    agreement,
    ats_tenants,
    domain_label,
    name_from_domain,
    name_from_label,
    spelled_in,
    squash,
    squash_forms,
)
from agent.signals.company_text import (
    Phrase,
    body_phrases,
    display_phrases,
    has_generic,
    leading_name,
    looks_like_org,
    signature_lines,
    signature_phrases,
    subject_phrases,
)

__all__ = ["CompanyName", "company_name"]


@dataclass(frozen=True)
class CompanyName:
    """The company's name and the evidence for it (for ``explain``)."""

    name: str
    source: str  # subject | invitation | ats | text | signature | display name | domain
    quote: str  # the words it was read from
    message_id: str | None
    reason: str  # why this name and not another

    def describe(self) -> str:
        """One line for ``explain``: the name, where it was read, why it won."""
        return f"{self.name} (from the {self.source} \u201c{self.quote}\u201d; {self.reason})"


@dataclass(frozen=True)
class _Candidate:
    name: str
    whole: str  # the name with team words kept, when it differs ("Apex Recruiting")
    source: str
    quote: str
    message_id: str
    ats: bool = False  # an applicant-tracking system's display name
    client: bool = False  # named as an agency's client
    marked: bool = False  # team words were cut off it: an organisation's name
    agency: bool = False  # written by a recruiter who writes for clients
    segment: bool = False  # a subject's part named by its place between separators
    written: str = ""  # as written, legal form and all ("Bluth Company")


@dataclass(frozen=True)
class _Context:
    """What the whole conversation says about domains and people."""

    labels: Mapping[str, str]  # registrable label or ATS tenant -> where it was seen
    agency_labels: frozenset[str]
    agents: frozenset[str]  # addresses of recruiters who write for clients (an agency)
    persons: frozenset[str]  # lower-case words of people's names
    user_names: tuple[str, ...]
    user_orgs: frozenset[str]  # squashed names the user's own messages give (their employer)
    own_labels: frozenset[str]  # the user's own domains (their employer)
    brands: frozenset[str]  # squashed names of web-mail, ATS, job-board and meeting brands


_EXACT, _EXTENDS = 4, 3  # agreement with a domain: letter for letter; the label then more words
_SOURCE_RANK = {"subject": 0, "invitation": 1, "ats": 2, "signature": 3, "display name": 4, "text": 5}
_OWN_WORDS = frozenset({"signature", "display name", "text"})  # where a writer names their own firm
_TOOL_DOMAINS = ("zoom.us", "zoom.com", "webex.com", "docusign.net", "docusign.com",
                 "hellosign.com", "dropboxsign.com", "calendar.google.com", "teams.microsoft.com")
_TOOL_BRANDS = ("zoom.us", "webex.com", "docusign.net", "hellosign.com", "dropboxsign.com")
_TOOL_LOCALS = lazy(r"^(?:calendar-notification|calendar-server|noreply-calendar|mailer-daemon"
                          r"|postmaster)$", re.I)
_BRANDS = ("workday", "ashby", "greenhouse", "lever", "smartrecruiters", "icims", "jobvite", "taleo",
           "successfactors", "googlecalendar", "googlemeet", "googleworkspace", "zoom", "microsoftteams",
           "msteams", "teams", "webex", "skype", "outlook", "gmail", "linkedin", "indeed", "calendly",
           "goodtime", "docusign", "organizer", "organiser")
_AGENCY = lazy(
    r"\b(?:my client|our client(?:'s|s)?\b|a client of (?:mine|ours)|on behalf of (?:my|our|a) client"
    r"|(?:recruitment|recruiting|staffing|search|talent) (?:agency|firm|consultancy)"
    r"|executive search|headhunt\w*|retained search|staffing(?! up)|resourcing|I represent\b"
    r"|representing (?:a|an|my|our) (?:client|company))", re.I)


def company_name(conv: Conversation, config: Config) -> CompanyName | None:
    """The company ``conv`` is with, and why; ``None`` when nothing names it."""
    msgs = _company_messages(conv, config)
    ctx = _context(conv, msgs, config)
    candidates = [c for m in msgs for c in _candidates(m, ctx, config)]
    chosen = _choose([c for c in candidates if _acceptable(c, ctx)], ctx)
    return chosen or _from_domain(msgs, ctx, config)


# --- the company side -------------------------------------------------------------------


def _is_user(addr: Address | str | None, config: Config) -> bool:
    return config.identity.is_user(addr)


def _company_messages(conv: Conversation, config: Config) -> list[Message]:
    """Messages the company side wrote: not the user's, not a delivery report."""
    return [m for m in conv.messages
            if m.from_ is not None and not _is_user(m.from_, config) and bounce(m) is None]


def _is_ats(domain: str, config: Config) -> bool:
    return _domain_in(domain, config.recruiting.ats_domains)


def _business(addr: Address, config: Config) -> bool:
    """An address at the company's own domain (not web-mail, an ATS, a job board, a tool, the user's)."""
    rc = config.recruiting
    domain = addr.domain
    if not domain or _is_user(addr, config) or _TOOL_LOCALS.match(addr.local):
        return False
    if _domain_in(domain, _own_domains(config)):
        return False
    return not any(_domain_in(domain, group) for group in
                   (rc.personal_domains, rc.ats_domains, rc.job_alert_domains, _TOOL_DOMAINS))


def _own_domains(config: Config) -> tuple[str, ...]:
    """The user's employer (Config.employer_domains)."""
    return config.employer_domains


def _organizers(m: Message, config: Config) -> list[Address]:
    return [Address(ev.organizer, ev.organizer_name or "") for ev in m.calendar
            if ev.organizer and not _is_user(ev.organizer, config)]


def _labels(msgs: list[Message], config: Config) -> dict[str, str]:
    """Registrable labels of the company side's domains, and ATS tenants, with where they were seen."""
    out: dict[str, str] = {}
    ats_senders: list[tuple[str, str]] = []
    for m in msgs:
        for a in (m.from_, *m.reply_to, *_organizers(m, config)):
            if a is None:
                continue
            if _business(a, config):
                out.setdefault(domain_label(a.domain), f"the domain {a.domain}")
            elif _is_ats(a.domain, config):
                ats_senders.append((a.local, a.domain))
    text = "\n".join(f"{m.text}\n{m.signature}" for m in msgs)
    for tenant in sorted(ats_tenants(ats_senders, text, lambda h: _is_ats(h, config))):
        out.setdefault(tenant, f"the recruiting system's tenant \u201c{tenant}\u201d")
    out.pop("", None)
    return out


# --- who the people are -----------------------------------------------------------------


def _context(conv: Conversation, msgs: list[Message], config: Config) -> _Context:
    labels = _labels(msgs, config)
    agency_msgs = [m for m in msgs if _is_agency(m)]
    agency_labels = frozenset(domain_label(m.from_.domain) for m in agency_msgs
                              if m.from_ is not None and _business(m.from_, config))
    agents = frozenset(m.from_.email for m in agency_msgs if m.from_ is not None)
    full = config.account.name.strip()
    user_names = tuple(dict.fromkeys(n for n in (full, full.split(" ")[0]) if n))  # "Jordan Lee", "Jordan"
    own = frozenset(domain_label(d) for d in _own_domains(config))
    return _Context(labels, agency_labels, agents, _persons(conv, user_names),
                    user_names, _user_orgs(conv, config), own, _brands(config))


def _is_agency(m: Message) -> bool:
    """Written by a recruiter who works for clients ("my client", "staffing agency")."""
    name = m.from_.name if m.from_ else ""
    return bool(_AGENCY.search(f"{m.text[:5000]}\n{m.signature}\n{name}"))


def _persons(conv: Conversation, user_names: tuple[str, ...]) -> frozenset[str]:
    """Words of people's names in the conversation: the user, signers, senders named in their address."""
    words: set[str] = {w.lower() for n in user_names for w in n.split()}
    for m in conv.messages:
        person, _ = signature_lines(m.signature)
        for name in (person, _signer(m.text)):
            if _name_shaped(name):
                words.update(w.lower() for w in name.split())
        for a in (m.from_, *m.to, *m.cc, *m.reply_to):
            if a is not None and a.name:
                words.update(_named_in_address(a))
    return frozenset(words)


def _name_shaped(text: str) -> bool:
    """One to three capitalised words that are neither generic nor an organisation's."""
    words = text.split()
    return (0 < len(words) <= 3 and leading_name(text) == text and not has_generic(text)
            and not looks_like_org(text) and not any(w.lower() in ("&", "and", "of") for w in words))


def _named_in_address(a: Address) -> set[str]:
    """Words of a display name's parts that the address's local part spells (maya.okafor, mokafor)."""
    local = a.local.lower()
    pieces = set(re.split(r"[._+-]", local))
    out: set[str] = set()
    last_first = re.fullmatch(r"\s*([^,|()]+),\s*([^,|()]+)\s*", a.name)  # Outlook's "Greaves, Philippa"
    display = f"{last_first.group(2)} {last_first.group(1)}" if last_first else a.name
    for part in re.split(r"\s+(?:at|from|via|@)\s+|[|(),/]|\s+[-–—]\s+", display):
        part = part.strip()
        if not _name_shaped(part):
            continue
        words = [w.lower() for w in part.split()]
        first, last = words[0], words[-1]
        joined = {first + last, first[:1] + last, first + last[:1], last + first, last + first[:1]}
        if pieces & {w for w in words if len(w) >= 2} or local.replace(".", "") in joined:
            out.update(words)
    return out


def _signer(text: str) -> str:
    """A name alone on the text's last line ("Maya"): who signed a note without a sign-off."""
    lines = [x.strip() for x in text.strip().split("\n") if x.strip()]
    last = lines[-1] if len(lines) >= 2 else ""
    return last if len(last) <= 40 and not re.search(r"[.!?:,;]", last) else ""


def _user_orgs(conv: Conversation, config: Config) -> frozenset[str]:
    """Names the user's own messages give (their signature's employer): never the company."""
    out: set[str] = set()
    for m in conv.messages:
        if m.from_ is not None and _is_user(m.from_, config):
            for p in (*signature_phrases(m.signature), *display_phrases(m.from_.name)):
                out.add(squash(p.name))
    return frozenset(out)


def _brands(config: Config) -> frozenset[str]:
    rc = config.recruiting
    return _brand_set((*rc.personal_domains, *rc.ats_domains, *rc.job_alert_domains, *_TOOL_BRANDS))


@functools.lru_cache(maxsize=8)
def _brand_set(domains: tuple[str, ...]) -> frozenset[str]:
    """Every label of these domains but the top-level one ("lever" of hire.lever.co), squashed."""
    labels = {squash(x) for d in domains for x in d.lower().split(".")[:-1] if x not in ("hire", "mail", "www")}
    return frozenset(labels | set(_BRANDS))


# --- candidates ---------------------------------------------------------------------------


def _candidates(m: Message, ctx: _Context, config: Config) -> list[_Candidate]:
    """Every name one company message offers, with its source."""
    out: list[_Candidate] = []
    agency = m.from_ is not None and (
        m.from_.email in ctx.agents or domain_label(m.from_.domain) in ctx.agency_labels)

    def add(phrases: Iterable[Phrase], source: str, *, ats: bool = False) -> None:
        for p in phrases:
            # an agency's own name often ends in a team word ("Pilotfish Talent", "Apex Recruiting")
            name = p.whole if agency and p.whole and source in _OWN_WORDS else p.name
            out.append(_Candidate(name, p.whole, source, p.quote, m.message_id, ats, p.client, p.marked,
                                  agency, p.segment, p.written))

    add(subject_phrases(base_subject(m.subject), ctx.user_names), "subject")
    for a in (m.from_, *m.reply_to):
        if a is not None and a.name and not _is_user(a, config):
            ats = _is_ats(a.domain, config)
            add(display_phrases(a.name), "ats" if ats else "display name", ats=ats)
    add(signature_phrases(_signature_of(m)), "signature")
    add(body_phrases(m.text), "text")
    add((Phrase(run, run) for run in spelled_in(f"{m.subject}\n{m.text}", frozenset(ctx.labels))), "text")
    for ev in m.calendar:
        if ev.organizer and _is_user(ev.organizer, config):
            continue
        ats = bool(ev.organizer) and _is_ats(ev.organizer.rpartition("@")[2], config)  # type: ignore[union-attr]
        if ev.organizer_name:
            add(display_phrases(ev.organizer_name), "invitation", ats=ats)
        add(subject_phrases(ev.summary, ctx.user_names), "invitation")
    return out


def _signature_of(m: Message) -> str:
    """The cut signature; else a last paragraph that starts with the writer's name."""
    if m.signature:
        return m.signature
    tail = m.text.strip().rpartition("\n\n")[2]
    lines = [x for x in tail.split("\n") if x.strip()]
    if 2 <= len(lines) <= 5 and signature_lines(tail)[0]:
        return tail
    return ""


def _best_agreement(name: str, labels: Iterable[str]) -> tuple[int, str]:
    return max(((agreement(name, label), label) for label in labels), default=(0, ""))


def _acceptable(c: _Candidate, ctx: _Context) -> bool:
    """Not a brand, a person, the user's employer; not too long to be a name."""
    name = c.name
    if not 2 <= len(name) <= 60 or len(name.split()) > 6 or not any(ch.isalpha() for ch in name):
        return False
    if _best_agreement(name, ctx.own_labels)[0] >= 2:
        return False
    if _best_agreement(name, ctx.labels)[0] >= _EXTENDS:
        return True  # the company's own domain spells it: no person or brand is called that here
    forms = squash_forms(name)
    written = {squash(x) for x in (c.whole, c.written) if x}  # "Microsoft Teams meeting" cut to "Microsoft"
    if forms & ctx.brands or forms & ctx.user_orgs or written & ctx.brands:
        return False
    return not _is_person(name, ctx)


def _is_person(name: str, ctx: _Context) -> bool:
    words = [w.lower() for w in re.findall(r"[^\W\d_][\w'’-]*", name) if w.lower() not in ("&", "and", "of")]
    return bool(words) and not looks_like_org(name) and all(w in ctx.persons for w in words)


# --- the choice ---------------------------------------------------------------------------


def _choose(candidates: list[_Candidate], ctx: _Context) -> CompanyName | None:
    """Agreement with the domain, then the ATS's name, then the most often named."""
    if not candidates:
        return None
    pool, labels, note = _pool(candidates, ctx)
    groups: dict[str, list[_Candidate]] = {}
    for c in pool:
        groups.setdefault(squash(re.sub(r"^The\s+", "", c.name)), []).append(c)
    scored = [(_agreeing(g, labels), g) for g in groups.values()]
    agreeing = [(a, g) for a, g in scored if a[0] > 0]
    if agreeing:
        (_, label), group = max(agreeing, key=lambda x: (_formal(x[1]), _count(x[1]), x[0][0], -_rank(x[1])))
        return _result(group, labels, note + f"agrees with {labels[label]}")
    ats = [g for g in groups.values() if any(_ats_name(c) for c in g)]
    if ats:
        return _result(max(ats, key=lambda g: (_formal(g), _count(g), -_rank(g))), labels,
                       note + "the name the recruiting system sends as")
    group = max(groups.values(), key=lambda g: (_formal(g), _count(g), not _personlike(g[0].name), -_rank(g)))
    n = _count(group)
    return _result(group, labels, note + (f"named in {n} places" if n > 1 else "the only name given"))


def _pool(candidates: list[_Candidate], ctx: _Context) -> tuple[list[_Candidate], Mapping[str, str], str]:
    """For an agency, its client when named plainly; else everything."""
    if ctx.agents:
        clients = [c for c in candidates if _names_client(c) and _best_agreement(c.name, ctx.agency_labels)[0] == 0]
        if clients:
            labels = {k: v for k, v in ctx.labels.items() if k not in ctx.agency_labels}
            return clients, labels, "an agency writes for this company; "
    return candidates, ctx.labels, ""


def _names_client(c: _Candidate) -> bool:
    """Named plainly as the employer: "my client, X", "Data Engineer at X" in a subject or an
    invitation, or by anyone but the agency (the client's own people or ATS)."""
    if c.client or not c.agency:
        return True
    return c.source in ("subject", "invitation") and not c.segment


def _agreeing(group: list[_Candidate], labels: Mapping[str, str]) -> tuple[int, str]:
    return max((_best_agreement(c.name, labels) for c in group), default=(0, ""))


def _count(group: list[_Candidate]) -> int:
    """Independent mentions: the same subject line or signature repeated in a thread counts once."""
    return len({(c.source, c.quote) for c in group})


def _formal(group: list[_Candidate]) -> bool:
    """Named where a company names itself in full (a subject, a signature, a sender's or an
    invitation's name), not only in running text, where "Wrenfield" stands for "Wrenfield
    Insurance"."""
    return any(c.source != "text" for c in group)


def _rank(group: list[_Candidate]) -> int:
    return min(_SOURCE_RANK.get(c.source, 9) for c in group)


def _ats_name(c: _Candidate) -> bool:
    """An ATS display name that is an organisation's ("Holloway Health", "Umbrella"), not a person's."""
    return c.ats and (c.marked or looks_like_org(c.name) or len(c.name.split()) == 1)


def _personlike(name: str) -> bool:
    return _name_shaped(name) and len(name.split()) >= 2


def _result(group: list[_Candidate], labels: Mapping[str, str], reason: str) -> CompanyName:
    """The group's best spelling (with its team word or legal form when the domain spells it
    so: "Apex Recruiting", "Bluth Company") and its evidence."""
    best = min(group, key=lambda c: (_SOURCE_RANK.get(c.source, 9), group.index(c)))
    name = _spelling(group)
    # the domain spells the name with its team word or legal form: so does the company
    spelled = [x for c in group for x in (c.whole, c.written) if x and _best_agreement(x, labels)[0] == _EXACT]
    if spelled and _best_agreement(name, labels)[0] < _EXACT:
        name = spelled[0]
    return CompanyName(name, best.source, best.quote, best.message_id, reason)


def _spelling(group: list[_Candidate]) -> str:
    """As the company writes it: mixed case over ALL CAPS or lower case, then the most used."""
    counts: dict[str, int] = {}
    for c in group:
        counts[c.name] = counts.get(c.name, 0) + 1
    return max(counts, key=lambda n: (not (n.isupper() and len(n) > 4) and not n.islower(), counts[n]))


def _from_domain(msgs: list[Message], ctx: _Context, config: Config) -> CompanyName | None:
    """The last resort: the latest company sender's domain, an organizer's, an ATS tenant."""
    for m in reversed(msgs):
        for a in (m.from_, *m.reply_to, *_organizers(m, config)):
            if a is not None and _business(a, config) and any(ch.isalnum() for ch in name_from_domain(a.domain)):
                return CompanyName(name_from_domain(a.domain), "domain", a.domain, m.message_id,
                                   "no message names the company: read from the sender's domain")
    tenants = sorted(t for t, where in ctx.labels.items() if where.startswith("the recruiting"))
    for tenant in tenants:
        if any(ch.isalnum() for ch in name_from_label(tenant)):
            return CompanyName(name_from_label(tenant), "ats", tenant, None,
                               "no message names the company: read from the recruiting system's tenant")
    return None
