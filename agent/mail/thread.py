"""Messages → conversations. Pure: no I/O, no clock, no dependence on input order.

Three rules, strongest first:

1. **Server thread ids are the truth.** A message with ``thread_hint``
   (Gmail's ``threadId`` / ``X-GM-THRID``) belongs to conversation
   ``"gm-" + hint``; that is what the user sees in Gmail, so nothing merges
   two hinted threads or splits one. A message *without* a hint that chains
   (In-Reply-To/References) to hinted messages joins their conversation.
2. **Header chains.** Union-find over Message-ID, In-Reply-To and every
   References entry. Referenced ids that are not in the mailbox are nodes
   too, so two replies to a root we never saw still meet.
3. **Subject fallback.** Applicant-tracking systems often start a new chain
   per message. Messages with the same non-generic base subject that share a
   counterparty *company key* and are within ``window`` of each other (single
   linkage over date order) join one conversation. Generic subjects ("Hi",
   "Question", "Following up", …) never join by subject alone, and messages
   without a date never join by this rule (there is no window to check).

Company keys (documented choice)
    For a normal business address: the registrable domain's name label
    (``recruiter@mail.acme.com`` → ``acme``; the public suffix comes from the
    Public Suffix List, see :func:`agent.identity.registrable_name`). For a
    personal web-mail address: the whole
    address (two strangers at gmail.com are not one company). For an ATS
    sender (``greenhouse.io``, ``lever.co``, …, and their subdomains) the
    *tenant*, tried in order: a business Reply-To domain; the local part
    unless it is a role word (``acme@myworkday.com`` → ``acme``); the label
    left of the ATS domain unless it is a role or region word
    (``acme.bamboohr.com`` → ``acme``); the display name with ATS/role words
    removed (``"Acme Hiring Team via Greenhouse"`` → ``acme``). An ATS
    message with no tenant gives no key and joins only by headers.
    Tenant and domain keys share one space, so ``Acme via Greenhouse`` and a
    recruiter at ``acme.com`` can meet under the same subject.

Conversation ids survive full resyncs
    ``"c-" + sha256(root)[:16]`` where *root* is the thread root as the
    earliest message knows it: the first References entry (or In-Reply-To)
    of the earliest-dated message, else its own Message-ID (ties: smallest
    Message-ID). Using the referenced root rather than the earliest present
    message keeps the id unchanged when a missing parent shows up later.

Shared Message-IDs (agent/mail/message_ids.py)
    Copies of one message (an INBOX and a Sent copy, Gmail's All Mail) share a
    Message-ID and collapse into the richest copy. Messages that share one
    without being copies (a broken or hostile sender) stay distinct: one keeps
    the id, the others join the threading under derived keys, and a reference
    to the id joins the one it plausibly answers. The rules above run on those
    keys, and the root a conversation id is hashed from is the key the earliest
    message's root reference resolves to.
"""

from __future__ import annotations

import functools
import hashlib
import operator
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from itertools import pairwise

from agent.config import DEFAULT_PERSONAL_DOMAINS
from agent.identity import Identity, registrable_name
from agent.lazy_pattern import lazy
from agent.mail.message_ids import Identities, Judge, date_key, identify
from agent.mail.subject import base_subject
from agent.model import Address, Conversation, Message, utc

# --- subjects (the base subject: agent/mail/subject.py) ----------------------------------

_GENERIC = frozenset(
    {
        "",
        "hi",
        "hello",
        "hey",
        "hi there",
        "hello there",
        "greetings",
        "question",
        "questions",
        "quick question",
        "a quick question",
        "following up",
        "follow up",
        "followup",
        "follow-up",
        "checking in",
        "just checking in",
        "check in",
        "update",
        "an update",
        "quick update",
        "thanks",
        "thank you",
        "thank you so much",
        "thanks so much",
        "no subject",
        "untitled",
        "fyi",
        "important",
        "urgent",
        "reminder",
        "meeting",
        "call",
        "chat",
        "quick chat",
        "catch up",
        "intro",
        "introduction",
        "hello from",
        "re",
        "test",
    }
)
_PUNCT = lazy(r"[\W_]+", re.UNICODE)


def subject_key(subject: str) -> str:
    """Comparison key for the subject fallback: base subject, casefolded, punctuation-free.

    Empty when the subject is generic, i.e. must not join conversations alone.
    """
    key = _PUNCT.sub(" ", base_subject(subject).casefold()).strip()
    if len(key) < 3 or key in _GENERIC or key.replace(" ", "-") in _GENERIC:
        return ""
    return key


# --- company keys --------------------------------------------------------------------

_ROLE_WORDS = frozenset(
    {
        "no-reply",
        "noreply",
        "donotreply",
        "do-not-reply",
        "no_reply",
        "notifications",
        "notification",
        "notify",
        "jobs",
        "job",
        "careers",
        "career",
        "recruiting",
        "recruitment",
        "talent",
        "hire",
        "hiring",
        "team",
        "support",
        "mailer",
        "info",
        "bounce",
        "bounces",
        "email",
        "mail",
        "em",
        "app",
        "apply",
        "www",
        "us",
        "eu",
        "uk",
        "au",
        "ca",
        "de",
        "apac",
        "emea",
        "candidates",
        "candidate",
        "applications",
        "application",
        "system",
        "messages",
        "messaging",
        "reply",
        "replies",
        "inbound",
        "outbound",
        "scheduling",
        "calendar",
        "admin",
        "hr",
        "people",
        "ats",
    }
)
_NAME_NOISE = frozenset(
    {
        "via",
        "the",
        "team",
        "hiring",
        "recruiting",
        "recruitment",
        "talent",
        "acquisition",
        "careers",
        "career",
        "jobs",
        "hr",
        "people",
        "no",
        "reply",
        "noreply",
        "notifications",
        "inc",
        "llc",
        "ltd",
        "gmbh",
        "corp",
        "co",
        "at",
        "from",
        "and",
        "of",
    }
)


def _under(domain: str, parents: tuple[str, ...]) -> str | None:
    for p in parents:
        if domain == p or domain.endswith("." + p):
            return p
    return None


def _tenant(
    addr: Address,
    ats: str,
    reply_to: tuple[Address, ...],
    personal: frozenset[str],
    brands: frozenset[str],
) -> str | None:
    for r in reply_to:
        if r.domain and r.domain not in personal and _under(r.domain, (ats,)) is None:
            return registrable_name(r.domain)
    local = addr.local.split("+", 1)[0].lower()
    if local and not local.startswith(("no-reply", "noreply")):
        # "careers-corbelindustrial@talent.icims.com": the role words around the tenant go
        named = [w for w in re.split(r"[-_.]+", local) if w and w not in _ROLE_WORDS]
        if named:
            return _PUNCT.sub("", "".join(named)) or None
    sub = addr.domain[: -len(ats)].rstrip(".")
    if sub:
        label = sub.split(".")[-1]
        if label not in _ROLE_WORDS:
            return label
    words = [w for w in _PUNCT.sub(" ", addr.name.casefold()).split() if w not in _NAME_NOISE]
    return "".join(w for w in words if w not in brands) or None


class CompanyKeys:
    """Company keys of one message's counterparties (see the module docstring)."""

    def __init__(
        self, users: Identity, ats: tuple[str, ...], personal: frozenset[str]
    ) -> None:
        self.users = users
        self.ats = ats
        self.personal = personal
        self._ats_cache: dict[str, str | None] = {}
        self._name_cache: dict[str, str] = {}
        self._memo: dict[tuple[str, str], frozenset[str]] = {}
        #: each distinct key set once: most messages share a few (a newsletter's, the user's
        #: contacts'), and a frozenset per message cost about 200 bytes each (50 MB at 250,000)
        self._sets: dict[frozenset[str], frozenset[str]] = {}
        self._subjects: dict[str, str] = {}

    @functools.cached_property
    def brands(self) -> frozenset[str]:
        """"greenhouse", "lever", "workday", ...: never part of a tenant's name.

        Worked out on first need (a message from an ATS), not when the memo is
        made: every poll makes one, and the ATS domains' names may need the
        Public Suffix List, whose parse a warm poll with nothing new must not
        pay (issue 15).
        """
        return frozenset(w for d in self.ats for w in _PUNCT.sub(" ", registrable_name(d)).split()) | {"workday"}

    def is_user(self, a: Address) -> bool:
        return self.users.is_user(a)

    def _ats_of(self, domain: str) -> str | None:
        try:
            return self._ats_cache[domain]
        except KeyError:
            found = self._ats_cache[domain] = _under(domain, self.ats)
            return found

    def of(self, m: Message) -> frozenset[str]:
        """The company keys of ``m``, computed once per message for this object's life.

        One object serves a whole poll: the link index and the threading both
        ask for every message's keys (a backend id and its Message-ID name one
        immutable set of headers).
        """
        memo_key = (m.id, m.message_id)
        got = self._memo.get(memo_key)
        if got is None:
            got = self._compute(m)
            got = self._memo[memo_key] = self._sets.setdefault(got, got)
        return got

    def of_sender(self, m: Message) -> frozenset[str]:
        """The company keys of ``m``'s sender side only (From, Reply-To): who writes, not
        everyone copied (a partner in Cc is no company)."""
        return self._keys(((m.from_,) if m.from_ else ()) + m.reply_to, m.reply_to)

    def subject(self, subject: str) -> str:
        """:func:`subject_key`, computed once per subject for this object's life."""
        got = self._subjects.get(subject)
        if got is None:
            got = self._subjects[subject] = subject_key(subject)
        return got

    def _compute(self, m: Message) -> frozenset[str]:
        return self._keys(((m.from_,) if m.from_ else ()) + m.reply_to + m.to + m.cc, m.reply_to)

    def _keys(self, people: tuple[Address, ...], reply_to: tuple[Address, ...]) -> frozenset[str]:
        keys: set[str] = set()
        for a in people:
            if not a.email or self.is_user(a):
                continue
            dom = a.domain.lower()
            ats = self._ats_of(dom)
            if ats is not None:
                tenant = _tenant(a, ats, reply_to, self.personal, self.brands)
                if tenant:
                    keys.add(tenant)
            elif dom in self.personal:
                keys.add(a.email.lower())
            elif dom:
                name = self._name_cache.get(dom)
                if name is None:
                    name = self._name_cache[dom] = registrable_name(dom)
                keys.add(name)
        return frozenset(keys)


# --- union-find ------------------------------------------------------------------------


class _UF:
    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, x: str) -> str:
        parent = self.parent
        root = parent.setdefault(x, x)
        if root == x:
            return x
        while parent[root] != root:
            root = parent[root]
        while parent[x] != root:  # path compression
            parent[x], x = root, parent[x]
        return root

    def union(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            # deterministic: the smaller name becomes the representative
            if rb < ra:
                ra, rb = rb, ra
            self.parent[rb] = ra


# --- building ---------------------------------------------------------------------------


def _stamp(d: datetime | None) -> float:
    return utc(d).timestamp() if d is not None else 0.0


_date_key = date_key


def _conversation_id(first: Message, ids: Identities) -> str:
    ref = (first.references[:1] or first.in_reply_to[:1])
    root = ids.ref(first, ref[0]) if ref else ids.node(first)
    return "c-" + hashlib.sha256(root.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def _judge(keys: CompanyKeys) -> Judge:
    """What message_ids needs of the threading's notions (it cannot import this module)."""
    return Judge(counterparties=keys.of, subject_key=keys.subject,
                 base_subject=lambda s: base_subject(s).casefold(), organisation=registrable_name,
                 personal=keys.personal)


def company_keys(
    user_addresses: Iterable[str] | Identity,
    ats_domains: Iterable[str],
    personal_domains: Iterable[str] = DEFAULT_PERSONAL_DOMAINS,
) -> CompanyKeys:
    """One memo of company keys for :func:`link_keys` and :func:`build_conversations` to share."""
    users = user_addresses if isinstance(user_addresses, Identity) else Identity(tuple(user_addresses))
    ats = tuple(sorted({d.lower() for d in ats_domains}, key=len, reverse=True))
    return CompanyKeys(users, ats, frozenset(d.lower() for d in personal_domains))


def link_keys(
    messages: Iterable[Message],
    *,
    user_addresses: frozenset[str],
    ats_domains: tuple[str, ...],
    personal_domains: Iterable[str] = DEFAULT_PERSONAL_DOMAINS,
    keys: CompanyKeys | None = None,
) -> dict[str, frozenset[str]]:
    """Every key by which each message (by backend id) may join others under the three rules.

    Two messages can only end up in one conversation if a chain of shared keys links
    them, so the messages reachable from a new message's keys are all that a re-thread
    after it needs (the subject key ignores the window: a superset is harmless).
    """
    if keys is None:
        keys = company_keys(user_addresses, ats_domains, personal_domains)
    out: dict[str, frozenset[str]] = {}
    for m in messages:
        k = {"m:" + m.message_id}
        k.update("m:" + r for r in m.in_reply_to)
        k.update("m:" + r for r in m.references)
        if m.thread_hint:
            k.add("h:" + m.thread_hint)
        if m.date is not None and not m.thread_hint:
            skey = keys.subject(m.subject)
            if skey:
                k.update(f"s:{skey}|{ckey}" for ckey in keys.of(m))
        out[m.id] = frozenset(k)
    return out


def build_conversations(
    messages: Iterable[Message],
    *,
    user_addresses: frozenset[str],
    ats_domains: tuple[str, ...],
    window: timedelta,
    personal_domains: Iterable[str] = DEFAULT_PERSONAL_DOMAINS,
    keys: CompanyKeys | None = None,
) -> list[Conversation]:
    """Group messages into conversations (see the module docstring for the rules).

    The result is sorted by each conversation's first message (undated last,
    then by id); messages inside are in date order, undated last, ties broken
    by Message-ID, so the output never depends on the input order.
    """
    if keys is None:
        keys = company_keys(user_addresses, ats_domains, personal_domains)
    ids = identify(messages, _judge(keys))

    node = ids.node if ids.nodes else _own_id  # the common case without a call per message
    refs = functools.partial(_refs, ids=ids) if ids.refs else _own_refs
    hinted: dict[str, list[Message]] = defaultdict(list)
    plain: list[Message] = []
    hint_of: dict[str, str] = {}  # node key -> server thread id
    for m in ids.messages:
        if m.thread_hint:
            hinted[m.thread_hint].append(m)
            hint_of[node(m)] = m.thread_hint
        else:
            plain.append(m)

    uf = _UF()
    _chain(plain, node, refs, uf)
    _join_by_subject(plain, node, keys, window, uf)
    groups: dict[str, list[Message]] = defaultdict(list)
    for m in plain:
        groups[uf.find(node(m))].append(m)

    # rule 1 again: an unhinted group that chains into hinted messages joins them
    result: dict[str, list[Message]] = {f"gm-{h}": list(ms) for h, ms in hinted.items()}
    for members in groups.values():
        linked = sorted({hint_of[key] for m in members for key in refs(m) if key in hint_of})
        if linked:
            result[f"gm-{linked[0]}"].extend(members)
            continue
        first = members[0] if len(members) == 1 else min(members, key=_date_key)
        result.setdefault(_conversation_id(first, ids), []).extend(members)

    conversations = [
        Conversation(id=cid, messages=tuple(ms) if len(ms) == 1 else tuple(sorted(ms, key=_date_key)))
        for cid, ms in result.items()
    ]
    conversations.sort(key=_conversation_order)
    return conversations


_own_id = operator.attrgetter("message_id")


def _own_refs(m: Message) -> tuple[str, ...]:
    return (*m.in_reply_to, *m.references)


def _refs(m: Message, ids: Identities) -> list[str]:
    """The node keys ``m`` references (In-Reply-To, then References)."""
    return [ids.ref(m, r) for r in (*m.in_reply_to, *m.references)]


def _chain(plain: list[Message], node: Callable[[Message], str], refs: Callable[[Message], Sequence[str]],
           uf: _UF) -> None:
    """Rule 2: header chains among the unhinted messages, on node keys."""
    if refs is _own_refs and node is _own_id:  # no shared ids: the loop without calls (20,000 messages)
        for m in plain:
            mid = m.message_id
            uf.find(mid)
            for ref in m.in_reply_to:
                uf.union(mid, ref)
            for ref in m.references:
                uf.union(mid, ref)
        return
    for m in plain:
        key = node(m)
        uf.find(key)
        for ref in refs(m):
            uf.union(key, ref)


def _join_by_subject(plain: list[Message], node: Callable[[Message], str], keys: CompanyKeys,
                     window: timedelta, uf: _UF) -> None:
    """Rule 3: subject + company within the window (single linkage in date order)."""
    buckets: dict[tuple[str, str], list[tuple[float, str]]] = defaultdict(list)
    for m in plain:
        if m.date is None:
            continue
        skey = keys.subject(m.subject)
        if not skey:
            continue
        stamp = _stamp(m.date)
        key = node(m)
        for ckey in keys.of(m):
            buckets[(skey, ckey)].append((stamp, key))
    span = window.total_seconds()
    for items in buckets.values():
        if len(items) < 2:
            continue
        items.sort()
        for (ta, a), (tb, b) in pairwise(items):
            if tb - ta <= span:
                uf.union(a, b)


def _conversation_order(c: Conversation) -> tuple[bool, float, str]:
    first = c.messages[0].date
    return (first is None, _stamp(first), c.id)
