"""What a Message-ID names: copies of one message collapse, strangers reusing it stay apart.

Pure: no I/O, no clock, no dependence on input order.

A Message-ID is meant to name one message, and most of the time it does: the
same message shows up once per folder that holds it (the INBOX and the Sent
copy of a note to oneself, Gmail's All Mail beside INBOX), and those copies
must count once. But nothing enforces uniqueness: a broken mailer stamps every
message with one id, a hostile sender copies the id of a message it wants to
bury. Collapsing every pair that shares an id into the "richest" copy let an
unrelated message replace an invitation, and the conversation vanished.

Rules (:func:`identify`):

1. **Copies.** Messages sharing a Message-ID are one message only when that is
   plausible: same sender address, same base subject, same top-level content
   type, the same server thread (when the server names one), and dates within
   :data:`COPY_SLACK` of the first copy (copies carry the same ``Date:``
   header; the slack forgives a relay that re-stamped it). Copies collapse
   into the richest one (a body beats headers only, then calendar parts, then
   longer text), keeping the union of labels and the server thread id.
2. **Strangers.** Messages that share an id but are not copies stay distinct.
   One of them, the *holder*, keeps the id as its node key (the key the
   threading joins on, and the root its conversation id is hashed from);
   each of the others gets a derived key ``<id>#<digest of sender, subject,
   thread, date>``, which no real Message-ID can equal (those end in ``>``).
   The holder is, in order: one that a message referencing the id answers
   (rule 3); one whose sender's organisation issued the id (the domain
   right of ``@``, never a web-mail user); the earliest dated. So a stranger
   that arrives later with no replies of its own never moves the id of the
   conversation it imitates, nor does a backdated one when the original was
   answered or issued by its sender's domain. (Limit: a backdated stranger
   beside an unanswered original whose id a mail provider issued,
   ``…@mail.gmail.com``, takes the id, since nothing in the two tells them
   apart; the original keeps its messages and its conversation, under a new
   id.)
3. **References.** A message that references a shared id (In-Reply-To,
   References) answers one of its holders: of those sharing evidence with it
   (a counterparty company key, a non-generic subject), one not dated after
   it (beyond :data:`REPLY_SKEW` of clock error) first, then the most
   evidence, then the latest; with no evidence, the latest not dated after it
   (a reply follows what it answers, so a backdated stranger loses). It never
   joins two.
4. **The absent original.** When a message references an id, shares no
   evidence with any message holding it, and all of them are dated after it,
   it meant a message that is not in the mailbox (deleted, or older than what
   a Gmail query returns). The id then stays the absent original's, as it was
   before any holder came: the holders get derived keys, so a stranger reusing
   the id of a missing root neither joins its replies nor moves their
   conversation id. This is looked for on every id (a dictionary look-up per
   reference), since one holder is enough. (Limit: a stranger dated before
   the replies is joined, as a bounce is to the message it returns; nothing
   tells the two apart.)

Cost: grouping is a dictionary pass; only ids held by several messages (or
by one dated after a reference to it) go further, and those are sorted once:
a flood of n messages reusing one id costs O(n log n), plus, per message
referencing the id, the holders sharing a company key or subject with it and
a binary search by date.
"""

from __future__ import annotations

import dataclasses
import hashlib
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta

from agent.model import ALL, DRAFTS, INBOX, SENT, Message, utc

#: copies of one message carry one Date header; this forgives a relay that re-stamped it
COPY_SLACK = timedelta(minutes=5)
#: a reply is not older than what it answers, give or take a sender's wrong clock or zone
REPLY_SKEW = timedelta(days=1)


@dataclass(frozen=True)
class Judge:
    """The threading's own notions, handed in (this module must not import agent.mail.thread).

    ``counterparties``: a message's company keys, the user left out;
    ``subject_key``: the comparison key of a subject, "" when generic;
    ``base_subject``: the subject without prefixes and tags, for comparing copies;
    ``organisation``: the registrable name of a domain (``mail.acme.com`` -> ``acme``);
    ``personal``: web-mail domains, whose users are not the organisation issuing their ids.
    """

    counterparties: Callable[[Message], frozenset[str]]
    subject_key: Callable[[str], str]
    base_subject: Callable[[str], str]
    organisation: Callable[[str], str]
    personal: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Identities:
    """The distinct messages, and the node key each message and each reference stands for."""

    messages: tuple[Message, ...]
    #: backend id -> derived node key, for the messages that share an id without holding it
    nodes: Mapping[str, str] = field(default_factory=dict)
    #: (backend id, referenced id) -> node key, for references to ids that were settled
    refs: Mapping[tuple[str, str], str] = field(default_factory=dict)

    def node(self, m: Message) -> str:
        """The key ``m`` is known by: its Message-ID, unless a stranger's derived key."""
        return self.nodes.get(m.id, m.message_id) if self.nodes else m.message_id

    def ref(self, m: Message, ref: str) -> str:
        """The node key that ``m``'s reference ``ref`` names."""
        return self.refs.get((m.id, ref), ref) if self.refs else ref


def identify(messages: Iterable[Message], judge: Judge) -> Identities:
    """Collapse copies and tell strangers apart (see the module docstring)."""
    by_mid: dict[str, list[Message]] = defaultdict(list)
    for m in messages:
        by_mid[m.message_id].append(m)
    out: list[Message] = []
    held = by_mid  # Message-ID -> the distinct messages holding it
    unsettled: set[str] = set()
    for mid, copies in by_mid.items():
        if len(copies) > 1:
            copies = held[mid] = [_collapse(group) for group in _copy_groups(copies, judge)]
            if len(copies) > 1:
                unsettled.add(mid)
        out.extend(copies)
    unsettled |= _too_late(out, held)
    if not unsettled:
        return Identities(tuple(out))
    referencers: dict[str, list[Message]] = defaultdict(list)
    for m in out:
        for r in {*m.in_reply_to, *m.references}:
            if r in unsettled and r != m.message_id:
                referencers[r].append(m)
    nodes: dict[str, str] = {}
    refs: dict[tuple[str, str], str] = {}
    for mid in unsettled:
        _settle(mid, held[mid], referencers.get(mid, []), judge, nodes, refs)
    return Identities(tuple(out), nodes, refs)


def _too_late(messages: list[Message], held: dict[str, list[Message]]) -> set[str]:
    """Ids held by one message that something referencing them predates: that message may not
    be what the reference meant (a reply is never older than what it answers), so the id is
    settled as a shared one (rule 4 decides)."""
    when = {mid: h[0].date for mid, h in held.items() if len(h) == 1 and h[0].date is not None}
    return {r for m in messages if m.date is not None for r in (*m.references, *m.in_reply_to)
            if (parent := when.get(r)) is not None and parent > m.date and parent - m.date > REPLY_SKEW}


# --- copies ------------------------------------------------------------------------------


def _copy_groups(copies: list[Message], judge: Judge) -> list[list[Message]]:
    """``copies`` (one Message-ID) split into groups that are plausibly one message each."""
    buckets: dict[tuple[str, str, str], list[Message]] = defaultdict(list)
    for m in copies:
        sender = m.from_.email if m.from_ else ""
        buckets[(sender, judge.base_subject(m.subject), m.content_type)].append(m)
    groups: list[list[Message]] = []
    for bucket in buckets.values():
        for same_thread in _by_thread(bucket):
            groups.extend(_by_date(same_thread))
    return groups


def _by_thread(ms: list[Message]) -> list[list[Message]]:
    """Messages in different server threads are different messages (a copy has its original's
    thread); a copy without a thread id belongs with the first thread named."""
    hints = sorted({m.thread_hint for m in ms if m.thread_hint})
    if len(hints) <= 1:
        return [ms]
    out: dict[str, list[Message]] = defaultdict(list)
    for m in ms:
        out[m.thread_hint or hints[0]].append(m)
    return list(out.values())


def _by_date(ms: list[Message]) -> list[list[Message]]:
    """Groups of messages dated within COPY_SLACK of their group's first (never chained on:
    a flood a minute apart is not one message); undated ones join the first group."""
    groups: list[list[Message]] = []
    anchor = 0.0
    slack = COPY_SLACK.total_seconds()
    for m in sorted(ms, key=date_key):
        if m.date is not None and (not groups or stamp(m) - anchor > slack):
            groups.append([m])
            anchor = stamp(m)
        elif groups:
            groups[0 if m.date is None else -1].append(m)
        else:
            groups.append([m])
    return groups


_FOLDER_RANK = {SENT: 0, INBOX: 1, ALL: 2, DRAFTS: 3}


def _richness(m: Message) -> tuple[int, int, bool, int, int, int, str]:
    # calendar parts before text length: a copy without the invitation is never preferred
    return (
        0 if m.has_body else 1,
        -len(m.calendar),
        not m.has_calendar_part,
        -len(m.text),
        0 if m.date is not None else 1,
        _FOLDER_RANK.get(m.folder, 9),
        m.id,
    )


def _collapse(copies: list[Message]) -> Message:
    """The richest copy, with the labels of all and a server thread id if any has one."""
    if len(copies) == 1:
        return copies[0]
    best = min(copies, key=_richness)
    labels = frozenset().union(*(c.labels for c in copies))
    hint = best.thread_hint or min((c.thread_hint for c in copies if c.thread_hint), default=None)
    if labels != best.labels or hint != best.thread_hint:
        best = dataclasses.replace(best, labels=labels, thread_hint=hint)
    return best


# --- strangers -----------------------------------------------------------------------------


def stamp(m: Message) -> float:
    return utc(m.date).timestamp() if m.date is not None else 0.0


def date_key(m: Message) -> tuple[bool, float, str, str]:
    """Date order, undated last, ties by Message-ID then backend id: input order never matters."""
    return (m.date is None, stamp(m), m.message_id, m.id)


#: what a reference answers when no present holder is plausible, or when it has no preference
ABSENT, ANY = -1, -2


def _settle(mid: str, holders: list[Message], referencers: list[Message], judge: Judge,
            nodes: dict[str, str], refs: dict[tuple[str, str], str]) -> None:
    """Pick the holder of ``mid``, key the others apart, and resolve every reference to it.

    When a reference answers none of the messages present (all are dated after it), it
    answers the absent original, which keeps ``mid`` as before they arrived: then every
    present message gets a derived key.
    """
    evidence = _Evidence(holders, judge)
    chosen = {r.id: evidence.answered_by(r) for r in referencers}
    answered = {i for i in chosen.values() if i >= 0}
    order = sorted(range(len(holders)), key=lambda i: (
        i not in answered, not _issued_by(mid, holders[i], judge), evidence.content[i]))
    key = {ABSENT: mid}
    for i in order if ABSENT in chosen.values() else order[1:]:
        key[i] = nodes[holders[i].id] = _derived(mid, holders[i], judge)
    key.setdefault(order[0], mid)
    key[ANY] = key[order[0]]
    for r in referencers:
        refs[(r.id, mid)] = key[chosen[r.id]]


class _Evidence:
    """The holders of one id, indexed by company key, subject key and date."""

    def __init__(self, holders: list[Message], judge: Judge) -> None:
        self.holders = holders
        self.judge = judge
        self.content = [_content_key(m, judge) for m in holders]
        self.by_key: dict[str, list[int]] = defaultdict(list)
        for i, m in enumerate(holders):
            for k in self._keys(m):
                self.by_key[k].append(i)
        dated = sorted((stamp(m), self.content[i], i) for i, m in enumerate(holders) if m.date is not None)
        self.stamps = [s for s, _c, _i in dated]
        self.dated = [i for _s, _c, i in dated]
        undated = [i for i, m in enumerate(holders) if m.date is None]
        self.undated = min(undated, key=self.content.__getitem__) if undated else None

    def _keys(self, m: Message) -> set[str]:
        keys = {"c:" + k for k in self.judge.counterparties(m)}
        skey = self.judge.subject_key(m.subject)
        if skey:
            keys.add("s:" + skey)
        return keys

    def answered_by(self, r: Message) -> int:
        """The holder ``r`` plausibly answers (rule 3), ANY when ``r`` has no date to tell by,
        ABSENT when it shares nothing with any and all are dated after it (rule 4)."""
        score: dict[int, int] = defaultdict(int)
        for k in self._keys(r):
            for i in self.by_key.get(k, ()):
                score[i] += 1
        if score:  # not dated after r first (a wrong clock is no reason to split a thread)
            return min(score, key=lambda i: (not _not_after(self.holders[i], r), -score[i], *self._recency(i)))
        if r.date is None:
            return ANY
        before = bisect_right(self.stamps, stamp(r) + REPLY_SKEW.total_seconds())
        if before:
            return self.dated[before - 1]
        return self.undated if self.undated is not None else ABSENT

    def _recency(self, i: int) -> tuple[bool, float, tuple[bool, float, str, str, str, str]]:
        m = self.holders[i]
        return (m.date is None, -stamp(m), self.content[i])


def _not_after(parent: Message, reply: Message) -> bool:
    if parent.date is None or reply.date is None:
        return True
    return stamp(parent) <= stamp(reply) + REPLY_SKEW.total_seconds()


def _issued_by(mid: str, m: Message, judge: Judge) -> bool:
    """Whether the organisation of ``m``'s sender is the one named right of the id's ``@``.

    A web-mail user never is: ``<…@mail.gmail.com>`` names the provider, which issues the
    ids of every one of its users (and of the companies whose mail it carries).
    """
    issuer = mid.rstrip(">").rpartition("@")[2].lower()
    sender = m.from_.domain if m.from_ else ""
    if not issuer or not sender or sender in judge.personal:
        return False
    return judge.organisation(issuer) == judge.organisation(sender)


def _content_key(m: Message, judge: Judge) -> tuple[bool, float, str, str, str, str]:
    """Date order, then what the message says, not the backend id, which a resync renumbers
    (two holders equal in all of these would have been one message's copies, so the id
    at the end only makes the order total)."""
    sender = m.from_.email if m.from_ else ""
    return (m.date is None, stamp(m), sender, judge.base_subject(m.subject), m.thread_hint or "", m.id)


def _derived(mid: str, m: Message, judge: Judge) -> str:
    """A stranger's own key: stable across polls and resyncs, never a real Message-ID."""
    sender = m.from_.email if m.from_ else ""
    when = utc(m.date).isoformat() if m.date is not None else ""
    what = "\0".join((sender, judge.base_subject(m.subject), m.thread_hint or "", when))
    return f"{mid}#{hashlib.sha256(what.encode('utf-8', 'surrogatepass')).hexdigest()[:12]}"
