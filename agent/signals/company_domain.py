"""Domains and company names: does a name agree with a domain, and a name when only a domain is known.

A company's own domain is the strongest check on a name read from its mail:
"Corvid Labs" is the company behind ``corvidlabs.com`` because their letters
agree, while "Maya Okafor" or "San Francisco" are not. The registrable part
of a domain ("corvidlabs" of ``talent.corvidlabs.co.uk``) is
:func:`agent.identity.registrable_name` (the Public Suffix List), the same
answer the threading's company keys use.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

from agent.identity import registrable_name
from agent.lazy_pattern import lazy


def _wordset(words: str) -> frozenset[str]:
    """A set of words written as a block of text (easier to read and review than a literal)."""
    return frozenset(words.split())


__all__ = [
    "agreement",
    "ats_tenants",
    "domain_label",
    "name_from_domain",
    "name_from_label",
    "spelled_in",
    "squash",
    "squash_forms",
]

#: Hosts in an applicant-tracking system's domain whose first label is no tenant.
_NOT_TENANTS = _wordset("""
www us eu uk ca au app apps api mail email em e m mg boards job-boards jobs careers career apply
hire talent recruiting notifications notification no-reply noreply bounce bounces links link click
track tracking t go wd1 wd2 wd3 wd4 wd5 wd6 wd7 wd8 wd10 wd12 wd103 wd501 embed o j job_app
portal cdn static assets images secure login auth sso calendar scheduling meet
""")
#: Affixes around a company's name in its domain ("getcorvid", "corvidhq", "corvid-careers").
_AFFIX_PREFIX = ("get", "try", "use", "join", "hello", "go", "meet", "with", "team", "the", "my")
_AFFIX_SUFFIX = ("hq", "app", "inc", "co", "corp", "careers", "jobs", "talent", "recruiting",
                 "hiring", "mail", "team", "global", "usa", "us", "uk", "de", "eu", "online", "web", "group")
#: Job-board hosts whose first path segment is the tenant (boards.greenhouse.io/corvidlabs).
_BOARD_HOSTS = frozenset({
    "boards.greenhouse.io", "job-boards.greenhouse.io", "boards.eu.greenhouse.io", "job-boards.eu.greenhouse.io",
    "jobs.lever.co", "jobs.eu.lever.co", "jobs.ashbyhq.com", "apply.workable.com", "jobs.smartrecruiters.com",
    "careers.smartrecruiters.com", "jobs.jobvite.com",
})
_CONNECTOR_WORDS = frozenset({"&", "+", "and", "of", "de", "du", "des", "der", "la", "le", "für", "y", "the"})
_URL = lazy(r"https?://([A-Za-z0-9.-]+)(/[^\s<>\"')\]]*)?")


#: The registrable label of a domain (``corvidlabs`` of ``talent.corvidlabs.co.uk``): the one
#: answer the whole agent uses, kept under its name here for the company-name code.
domain_label = registrable_name


#: Words companies put after their names ("Corvid Labs", "Kiteline Travel", "Harbor Meridian Bank"):
#: the only word breaks read inside a squashed domain label, from its end (see name_from_label).
_TRAILING_WORDS = _wordset("""
labs health healthcare robotics travel legal analytics traders trading bank systems software
technologies technology games energy foods therapeutics pharma insurance financial consulting
digital networks solutions logistics freight security ventures holdings learning education
industries medical dental clinic markets mobility materials payments capital partners group media
studios
""")


def name_from_domain(domain: str) -> str:
    """The last resort: ``bluefin-robotics.io`` → "Bluefin Robotics", ``corvidlabs.com`` → "Corvid Labs".

    Word breaks are taken from hyphens, and from the end of a label that closes on a
    word companies put after their names ("labs", "health", "travel", …); the rest is
    kept as it is: splitting "kiteline" or "sprocketry" into words would need a
    dictionary guess that is wrong as often as not ("sp rocketry", "expertsexchange").
    """
    return name_from_label(domain_label(domain))


def name_from_label(label: str) -> str:
    """A label's words capitalised, split at hyphens and before trailing company words."""
    parts = [w for p in re.split(r"[-_]+", label) if p for w in _split_trailing(p)]
    return " ".join(p[:1].upper() + p[1:] for p in parts)


def _split_trailing(word: str) -> list[str]:
    """``kitelinetravel`` → ["kiteline", "travel"]; ``harbormeridianbank`` → ["harbormeridian", "bank"]."""
    for tail in sorted(_TRAILING_WORDS, key=len, reverse=True):
        head = word[: -len(tail)]
        if word.endswith(tail) and len(head) >= 4 and head not in _TRAILING_WORDS:
            return [*_split_trailing(head), tail] if head.endswith(tuple(_TRAILING_WORDS)) else [head, tail]
    return [word]


@functools.lru_cache(maxsize=16384)
def squash(text: str) -> str:
    """Letters and digits only, lower-case, accents dropped ("Müller & Söhne" → "mullersohne")."""
    text = unicodedata.normalize("NFKD", text.lower())
    return re.sub(r"[^a-z0-9]", "", "".join(c for c in text if not unicodedata.combining(c)))


@functools.lru_cache(maxsize=8192)
def squash_forms(text: str) -> frozenset[str]:
    """The spellings a domain may use for ``text``: "&" as "and" or nothing, umlauts as "ue"."""
    low = re.sub(r"\.(?:com|io|ai|co|net|org|de|co\.uk)$", "", text.lower())  # "Booking.com"
    forms = {low, low.replace("&", "and"), low.replace("+", "plus")}
    forms |= {f[4:] for f in forms if f.startswith("the ")}  # "The Aldous Gazette" at aldousgazette.com
    forms |= {f.replace("ä", "ae").replace("ö", "oe").replace("ü", "ue").replace("ß", "ss") for f in forms}
    return frozenset(s for s in (squash(f) for f in forms) if s)


@functools.lru_cache(maxsize=4096)
def _label_forms(label: str) -> tuple[frozenset[str], frozenset[str]]:
    """A label's exact forms, and its forms without a usual affix ("getcorvid" → "corvid")."""
    exact = squash_forms(label.replace("-", " ").replace("_", " "))
    loose: set[str] = set()
    for form in exact:
        for p in _AFFIX_PREFIX:
            if form.startswith(p) and len(form) - len(p) >= 3:
                loose.add(form[len(p) :])
        for s in _AFFIX_SUFFIX:
            if form.endswith(s) and len(form) - len(s) >= 3:
                loose.add(form[: -len(s)])
    return exact, frozenset(loose - exact)


def agreement(name: str, label: str) -> int:
    """How well ``name`` agrees with a domain label, from 4 down to 0 (none).

    4 letter for letter ("Corvid Labs" ~ corvidlabs); 3 the label's letters then more
    words ("Vandelay Industries" ~ vandelay); 2 the name starts the label, is it without
    an affix, starts each of its hyphenated parts, or the label spells some of its words
    ("Bluefin" ~ bluefin-robotics, "Corvid" ~ getcorvid, "Quayside Technical Recruitment" ~
    quayside-tech, "Bancroft Technical Staffing" ~ bancroftstaffing); 1 initials
    ("Boston Consulting Group" ~ bcg).
    """
    exact, loose = _label_forms(label)
    if not exact:
        return 0
    forms = squash_forms(name)
    words = name.split()
    if forms & exact:
        return 4
    if any(squash_forms(" ".join(words[:k])) & exact for k in range(1, len(words))):
        return 3
    if forms & loose or any(squash_forms(" ".join(words[:k])) & loose for k in range(1, len(words))):
        return 2
    if any(len(f) >= 4 and any(x.startswith(f) for x in exact) for f in forms) or _parts_start(words, label):
        return 2
    if _some_words(words, exact):
        return 2
    initials = "".join(w[0] for w in words if w.lower() not in _CONNECTOR_WORDS and w[:1].isalnum())
    return 1 if len(words) >= 2 and len(initials) >= 2 and initials.lower() in exact else 0


def _some_words(words: list[str], exact: frozenset[str]) -> bool:
    """The label spells the name's first word and some of the others, in order ("Bancroft
    Technical Staffing" ~ bancroftstaffing)."""
    named = [squash(w) for w in words if w.lower() not in _CONNECTOR_WORDS][:6]
    if len(named) < 3:
        return False
    for mask in range(1, 2 ** (len(named) - 1) - 1):  # every proper subset of the later words
        picked = named[0] + "".join(w for i, w in enumerate(named[1:]) if mask >> i & 1)
        if picked in exact:
            return True
    return False


def _parts_start(words: list[str], label: str) -> bool:
    """Each hyphenated part of the label starts the name's word in its place (quayside-tech)."""
    parts = [squash(p) for p in re.split(r"[-_]+", label) if p]
    named = [squash(w) for w in words if w.lower() not in _CONNECTOR_WORDS]
    return (len(parts) >= 2 and len(named) >= len(parts)
            and all(len(p) >= 2 and w.startswith(p) for p, w in zip(parts, named, strict=False)))


def spelled_in(text: str, labels: frozenset[str]) -> list[str]:
    """Runs of one to four words in ``text`` whose letters are exactly a label's, as written.

    "Corvid Labs" in "We at Corvid Labs build..." for ``corvidlabs``: the company's own
    spelling of its domain. A run must start with a capital (or hold one: "eBay").
    """
    wanted = {f for label in labels for f in _label_forms(label)[0]}
    if not wanted:
        return []
    tokens = re.findall(r"[\w&+'’.-]+", text[:4000])
    squashed = [squash(t) for t in tokens]
    found: list[str] = []
    for i, first in enumerate(tokens):
        head = squashed[i]
        if not head or not any(c.isupper() for c in first[:2]) or not any(w.startswith(head) for w in wanted):
            continue
        run = head
        for k in range(1, 5):
            if k > 1:
                if i + k > len(tokens):
                    break
                run += squashed[i + k - 1]
            if run in wanted:
                found.append(" ".join(t.rstrip(".'’") for t in tokens[i : i + k]))
                break
            if not any(w.startswith(run) for w in wanted):
                break
    return found


def ats_tenants(addresses: list[tuple[str, str]], text: str, is_ats: Callable[[str], bool]) -> set[str]:
    """The tenant labels an applicant-tracking system shows: ``corvidlabs`` of
    ``corvidlabs@myworkday.com``, ``corvidlabs.bamboohr.com``, ``boards.greenhouse.io/corvidlabs``,
    ``jobs.lever.co/corvidlabs``. ``addresses``: (local part, domain) of ATS senders;
    ``is_ats``: whether a host belongs to an applicant-tracking system."""
    out: set[str] = set()
    for local, domain in addresses:
        if "workday" in domain and re.fullmatch(r"[a-z0-9-]{3,40}", local) and local not in _NOT_TENANTS:
            out.add(local)
        out |= _host_tenant(domain)
    for m in _URL.finditer(text[:20000]):
        host = m.group(1).lower()
        if not is_ats(host):
            continue
        out |= _host_tenant(host)
        if host in _BOARD_HOSTS:
            out |= _path_tenant(m.group(2) or "")
    return {t for t in out if not any(ch.isdigit() for ch in t[:1]) and "noreply" not in t}


def _host_tenant(host: str) -> set[str]:
    labels = host.lower().split(".")
    if len(labels) < 3:
        return set()
    first = re.sub(r"^(?:careers|jobs)-", "", labels[0])
    return {first} if first not in _NOT_TENANTS and len(first) >= 3 else set()


def _path_tenant(path: str) -> set[str]:
    split = urlsplit(path)
    query = parse_qs(split.query).get("for", [])
    segments = [s for s in split.path.split("/") if s]
    first = (query[0] if query else segments[0] if segments else "").lower()
    if re.fullmatch(r"[a-z0-9][a-z0-9-]{2,40}", first) and first not in _NOT_TENANTS:
        return {first}
    return set()
