"""One conversation with a company, across the threads a mail client shows apart.

Companies often answer outside the thread: the recruiter writes "Next steps at
Corvid Labs" under a new subject, the hiring manager writes from her own
address, the ATS sends an "Interview availability request", an Outlook
"Automatic reply:" lands in a thread of its own in Gmail (its prefix breaks
Gmail's subject threading), the calendar invitation arrives on its own. For
the policy these are all the same conversation: an answer there withdraws an
untouched draft and restarts the silence; an out-of-office there pushes the
next draft; an invitation there is the interview.

Threads are joined here, after threading and above it (threading stays what the
user's mail client shows, on Gmail the server's own threads), when they share
a counterpart *company key* (agent/mail/thread.py: the registrable domain, the
ATS tenant, a personal sender's whole address) and are near in time — but
never two conversations the user carries on in parallel (both with the user's
messages, overlapping in time: two roles at one agency stay two), never
through the user's own employer (colleagues' threads are many conversations),
and never through a key shared by more than a handful of threads (a company
that mails the user that often is not one conversation).

The joined conversation keeps the id of the first thread the user wrote in
(else the first thread), so its drafts' ledger and the user's controls follow
it; its *own* thread, where drafts go, is the one with the user's latest
message (else the one that gave the id). Pure: no I/O, no clock.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from agent.identity import Identity
from agent.lazy_pattern import lazy
from agent.mail.thread import CompanyKeys, registrable_name
from agent.model import Conversation, Message, utc

#: a key shared by more threads than this joins none of them
MAX_THREADS_PER_KEY = 8


@dataclass(frozen=True)
class _Thread:
    conv: Conversation
    keys: frozenset[str]
    start: datetime
    end: datetime
    first_user: datetime | None
    last_user: datetime | None

    @classmethod
    def of(cls, conv: Conversation, keys: CompanyKeys, users: Identity, skip: Callable[[Message], bool],
           employer: frozenset[str]) -> _Thread | None:
        dated = [m for m in conv.messages if m.date is not None]
        if not dated:
            return None
        mine = [utc(m.date) for m in dated if users.is_user(m.from_)]  # type: ignore[arg-type]
        theirs = [m for m in conv.messages if m.from_ and not users.is_user(m.from_) and not skip(m)]
        found = frozenset(k for m in theirs for k in keys.of_sender(m) if k not in employer)
        stamps = [utc(m.date) for m in dated]  # type: ignore[arg-type]
        return cls(conv, found, min(stamps), max(stamps), min(mine, default=None), max(mine, default=None))


def join_related(
    convs: Sequence[Conversation],
    *,
    keys: CompanyKeys,
    users: Identity,
    window: timedelta,
    skip: Callable[[Message], bool] = lambda m: False,
    employer_domains: Iterable[str] = (),
    reported: Callable[[Message], tuple[str, ...] | None] = lambda m: None,
) -> list[Conversation]:
    """``convs`` with the threads of one conversation with a company joined (module docstring).

    ``skip``: messages that say nothing of the company's side (bulk mail); ``window``: the
    largest gap in time across which two threads still join; ``reported``: the addresses a
    delivery report names (None for any other message), to join a report that names no
    Message-ID of the user's (:func:`_report_links`).
    """
    employer = frozenset(registrable_name(d) for d in employer_domains)
    threads = [t for c in convs if (t := _Thread.of(c, keys, users, skip, employer)) is not None]
    by_key: dict[str, list[int]] = defaultdict(list)
    for i, t in enumerate(threads):
        for k in t.keys:
            by_key[k].append(i)
    parent = list(range(len(threads)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for idxs in by_key.values():
        if 1 < len(idxs) <= MAX_THREADS_PER_KEY:
            for n, i in enumerate(idxs):
                for j in idxs[n + 1:]:
                    if _belong(threads[i], threads[j], window):
                        parent[find(j)] = find(i)
    for i, j in _report_links(threads, users, reported, window):
        parent[find(j)] = find(i)
    groups: dict[int, list[_Thread]] = defaultdict(list)
    for i, t in enumerate(threads):
        groups[find(i)].append(t)
    joined: dict[int, Conversation] = {}
    for g in groups.values():
        if len(g) > 1:
            merged = _merge(g)
            joined.update((id(t.conv), merged) for t in g)
    out: list[Conversation] = []
    seen: set[str] = set()
    for c in convs:
        got = joined.get(id(c), c)
        if got.id not in seen:
            seen.add(got.id)
            out.append(got)
    return out


def _report_links(threads: list[_Thread], users: Identity, reported: Callable[[Message], tuple[str, ...] | None],
                  window: timedelta) -> list[tuple[int, int]]:
    """(the user's thread, a report's thread) for each thread of delivery reports alone: a report
    whose Message-ID link was missing (the server quoted no header of the original) belongs to the
    thread where the user last wrote, before it and within ``window``, to an address it names (in
    its structure, else in its text)."""
    sends = [(utc(m.date), frozenset(a.email for a in (*m.to, *m.cc)), i)
             for i, t in enumerate(threads) for m in t.conv.messages
             if m.date is not None and users.is_user(m.from_)]
    links = []
    for j, t in enumerate(threads):
        if t.first_user is not None:
            continue
        named = [n for m in t.conv.messages if (n := _named(m, reported)) is not None]
        if not named or len(named) < len(t.conv.messages):
            continue
        names = frozenset().union(*named)
        before = [(at, i) for at, to, i in sends if to & names and at <= t.start and t.start - at <= window]
        if before:
            links.append((max(before)[1], j))
    return links


def _named(m: Message, reported: Callable[[Message], tuple[str, ...] | None]) -> frozenset[str] | None:
    """The addresses report ``m`` names (its structure's and every address in its text: the
    quoted original's own To is the best witness of whom the user wrote to); None when ``m``
    is no report."""
    found = reported(m)
    if found is None:
        return None
    return frozenset(found) | frozenset(a.lower() for a in _ADDRESS.findall(f"{m.subject}\n{m.text}"))


_ADDRESS = lazy(r"[\w.+'=-]+@[\w-]+(?:\.[\w-]+)+")


def _belong(a: _Thread, b: _Thread, window: timedelta) -> bool:
    """Near in time, and not two conversations the user carries on in parallel."""
    if b.start - a.end > window or a.start - b.end > window:
        return False
    if a.last_user is None or b.last_user is None:
        return True  # one side is only the company's: their answer, notice or invitation
    # both carry the user's messages: one must begin after the user's last word in the other
    assert a.first_user is not None and b.first_user is not None
    return b.start >= a.last_user or a.start >= b.last_user


def _merge(group: list[_Thread]) -> Conversation:
    group = sorted(group, key=lambda t: (t.start, t.conv.id))
    users = [t for t in group if t.first_user is not None]
    ident = min(users, key=lambda t: (t.first_user, t.conv.id)) if users else group[0]
    own = max(users, key=lambda t: (t.last_user, t.conv.id)) if users else ident
    own_ids = {m.id for m in own.conv.messages}
    messages = sorted((m for t in group for m in t.conv.messages), key=_date_key)
    return Conversation(ident.conv.id, tuple(messages),
                        outside=frozenset(m.id for m in messages if m.id not in own_ids))


def _date_key(m: Message) -> tuple[bool, float, str, str]:
    return (m.date is None, utc(m.date).timestamp() if m.date else 0.0, m.message_id, m.id)

