"""The poll's load stages: the mailbox's changes into the store, the candidate conversations,
and their bodies.

1. :func:`sync` asks the mailbox what changed since the stored cursor (a full
   sync: inside the first-sync window only, agent/window.py), parses only that,
   fetches the earlier messages a conversation inside the window refers to and
   the store lacks, and writes it down with its thread links. A cold sync of a
   large mailbox starts threading it in a child process meanwhile
   (agent/forked.py), and meanwhile the parent fetches the bodies of the
   messages whose headers already make them candidates (agent/prefetch.py).
2. :func:`select` finds the candidate conversations (agent/candidates.py):
   nothing changed, the last poll's stand; a few changes, only the messages
   linked to them are threaded again; else everything.
3. :func:`with_bodies` fetches the bodies of the candidates' messages, once
   (those prefetched during the threading are taken from there). A
   body can add a thread link that the headers lacked (a remote server's bounce
   names the returned message only inside): then the conversations it reaches
   are threaded again and their bodies fetched too. Last, the company's answers
   in other threads are joined to their conversation.

Each stage reports its figures into ``stats`` (``poll --json``, bench/) and
ends its phases with ``lap``, which the engine times.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from agent.backends.base import Mailbox, StreamingMailbox
from agent.candidates import (
    HeaderTests,
    candidates_of,
    is_candidate,
    links,
    new_keys,
    related_threads,
    selection_key,
    thread_messages,
)
from agent.config import Config
from agent.forked import Forked
from agent.mail.thread import CompanyKeys
from agent.marks import forced_recruiting
from agent.model import ChangeSet, Conversation, Message, RawMessage
from agent.prefetch import Prefetch, likely_candidates
from agent.store import CachedConversation, Store
from agent.warm_readers import warm_readers
from agent.window import MAX_REFERENCED, NO_WINDOW, Window, missing_references, window_of


def parse_message(raw: RawMessage) -> Message:
    """:func:`agent.mail.parse.parse_message`, imported at the first message to parse: the
    parser and what it loads (email, html, the quote markers: ~15 ms) are not paid by a
    poll to which nothing arrived (issue 15)."""
    from agent.mail.parse import parse_message as parse

    return parse(raw)

__all__ = ["Synced", "select", "sync", "with_bodies"]

#: a full sync of at least this many messages threads them in a child process (agent/forked.py)
FORK_AT = 2000

Lap = Callable[[str], None]


@dataclass(frozen=True)
class Synced:
    """What :func:`sync` found: the changes, their messages parsed (after a full sync, emptied
    once :func:`select` has threaded them), the thread keys they touch (for re-threading only
    what they reach), and the threading started in a child, if any."""

    changes: ChangeSet
    parsed: list[Message]
    touched: frozenset[str]
    keys: CompanyKeys
    threading: Forked[tuple[list[Conversation], int]] | None
    #: a streamed full sync: the candidate test's one-message parts of all of ``parsed``, made batch by batch
    tests: HeaderTests | None = None
    #: a streamed full sync threaded in a child: the likely candidates' bodies, fetched in the wait
    prefetch: Prefetch | None = None


def sync(mailbox: Mailbox, store: Store, config: Config, cleanup: contextlib.ExitStack, stats: dict[str, Any],
         lap: Lap, now: datetime | None = None) -> Synced:
    """Stage 1: only what changed since the stored cursor is parsed and stored (a full sync: the
    window ``mailbox.lookback_days`` back from ``now``; no ``now``, no window). A backend that
    streams (``StreamingMailbox``) has a full sync's batches parsed and written as they arrive."""
    window = window_of(now, config.lookback_days) if now is not None else NO_WINDOW
    cursor = store.get_cursor(mailbox.name)
    keys = new_keys(config)
    loader = _Loader(store, mailbox.name, stats, functools.partial(links, config=config, keys=keys), config)
    if isinstance(mailbox, StreamingMailbox):
        cs = mailbox.stream_changes(cursor, window, loader)
    else:
        cs = mailbox.changes(cursor, window)
    lap("sync")
    raws = {r.id: r for r in cs.added}
    parsed = [*loader.parsed, *(parse_message(r) for r in raws.values())]
    lap("parse")
    extra = _referenced(mailbox, store, window, cs, parsed, stats)
    raws.update((r.id, r) for r in extra)
    parsed += [parse_message(r) for r in extra]
    tests = loader.tests if loader.begun else None
    if tests is not None:
        tests.add(parsed[len(loader.parsed):], config)  # the referenced messages: all of parsed is tested
    threading = None
    if cs.full and len(parsed) >= FORK_AT:
        # the whole mailbox is threaded in a child process while this one writes it down
        # (agent/forked.py). Streamed, the key memo was filled batch by batch and the child
        # inherits it; else the child builds its own, so neither waits on the other
        threading = cleanup.enter_context(Forked(functools.partial(
            candidates_of, parsed, config, _forced(store), keys if loader.begun else None, tests)))
    found = links([m for m in parsed if m.id in raws], config, keys)  # a streamed sync: its batches' are in
    touched = _store(store, cs, parsed, raws, found, streamed=loader.begun)
    stats.update(added=len(cs.added) + len(loader.parsed), removed=len(cs.removed), full_sync=cs.full)
    lap("store")
    prefetch = Prefetch(mailbox) if threading is not None and threading.forked and tests is not None else None
    return Synced(cs, parsed, touched, keys, threading, tests, prefetch)


def _store(store: Store, cs: ChangeSet, parsed: list[Message], raws: dict[str, RawMessage],
           found: dict[str, frozenset[str]], *, streamed: bool) -> frozenset[str]:
    """Write this sync down; returns the thread keys it touches (none after a full sync, which
    threads everything). A streamed full sync has its batches in already: only the referenced
    messages (all of ``raws``), the links and the index remain."""
    if streamed:
        store.add_batch([m for m in parsed if m.id in raws], raws, found)
        store.end_replace()
        return frozenset()
    own = {m.id: m.message_id for m in parsed}
    if cs.full:
        store.replace_all(parsed, raws)
        store.set_links(found, replace_all=True, own=own)
        return frozenset()
    touched = frozenset(store.links_of([*cs.removed, *found]) | {k for ks in found.values() for k in ks})
    store.remove_messages(cs.removed)
    store.put_messages(parsed, raws)
    store.set_links(found, own=own)
    return touched


class _Loader:
    """The :class:`BatchSink` of a streamed full sync: each batch is parsed and written with its
    thread links in its own transaction, and its header blocks and links dropped (the store keeps them; the parsed messages stay
    for threading). ``begin`` forgets the store's messages and the cursor (Store.begin_replace),
    so a sync that dies between batches is simply done again by the next poll."""

    def __init__(self, store: Store, backend: str, stats: dict[str, Any],
                 link: Callable[[list[Message]], dict[str, frozenset[str]]], config: Config) -> None:
        self._store = store
        self._config = config
        self._backend = backend
        self._stats = stats
        self._link = link
        self.begun = False
        self.parsed: list[Message] = []
        self.tests = HeaderTests()

    def begin(self) -> None:
        self._store.begin_replace(self._backend)
        self.begun = True
        self.parsed = []
        self.tests = HeaderTests()
        self._stats["batches"] = 0

    def add(self, batch: Sequence[RawMessage]) -> None:
        """Parse, write and link one batch: while this runs the server prepares the next (the
        IMAP backend pipelines its FETCHes), so the thread keys computed here, memoised in the
        poll's key memo for the threading, and the candidate test's one-message parts
        (HeaderTests) cost no time of their own."""
        parsed = [parse_message(r) for r in batch]
        self._store.add_batch(parsed, {r.id: r for r in batch}, self._link(parsed))
        self.tests.add(parsed, self._config)
        self.parsed.extend(parsed)
        self._stats["batches"] += 1


def _referenced(mailbox: Mailbox, store: Store, window: Window, cs: ChangeSet, parsed: list[Message],
                stats: dict[str, Any]) -> list[RawMessage]:
    """The header blocks of the earlier messages that this poll's messages refer to and the
    store lacks, fetched by Message-ID (at most :data:`MAX_REFERENCED`); a message this poll
    already has (by backend id) is not taken twice.

    Only with a window: without one the store holds all the mailbox has, and an id it lacks
    is mail the user never had. After a full sync the store is (being) replaced, so
    only this poll's messages count as held."""
    if window.open or not parsed:
        return []
    missing = missing_references(parsed, (lambda _ids: ()) if cs.full else store.held_message_ids,
                                 MAX_REFERENCED + 1)
    if not missing:
        return []
    asked = missing[:MAX_REFERENCED]
    held = {m.id for m in parsed}  # only here: at 250,000 messages a set of every id is ~15 MB
    found = [r for r in mailbox.fetch_by_message_id(asked) if r.id not in held]
    stats.update(referenced_asked=len(asked), referenced_found=len(found))
    if len(missing) > MAX_REFERENCED:
        from agent.logs import get_logger  # only on this rare path

        get_logger().info("referenced messages capped", asked=len(asked), cap=MAX_REFERENCED)
    return found


def select(synced: Synced, store: Store, config: Config, stats: dict[str, Any], lap: Lap) -> list[Conversation]:
    """Stage 2: the candidate conversations (plain data, no parsing), remembered for the next poll."""
    cs = synced.changes
    cached = None if cs.full else _cached_candidates(store, config)
    if cached is not None and synced.touched:
        affected = store.linked_closure(synced.touched)
        kept = [c for c in cached if not any(m.id in affected or m.id in cs.removed for m in c.messages)]
        candidates = kept + _candidates(store.get_messages(affected), store, config, synced.keys)
        stats.update(rethreaded=len(affected))
    elif cached is not None:
        candidates = cached
    else:
        candidates = _all_candidates(synced, store, config, stats)
    if cached is None or synced.touched:
        _remember(store, candidates, config)
    stats["candidates"] = len(candidates)
    lap("thread")
    return candidates


def _all_candidates(synced: Synced, store: Store, config: Config, stats: dict[str, Any]) -> list[Conversation]:
    """Every conversation threaded afresh: after a full sync the store holds exactly what was
    just parsed (and may be threaded in a child already); else the links may predate this
    config or this schema, and are rebuilt."""
    messages = synced.parsed if synced.changes.full else store.get_messages()
    if not synced.changes.full:
        store.set_links(links(messages, config, synced.keys), replace_all=True,
                        own={m.id: m.message_id for m in messages})
    forked = synced.threading
    if forked is not None:
        stats["threaded_alongside"] = forked.forked
        if forked.forked:  # the wait, put to use (agent/prefetch.py, agent/warm_readers.py)
            _prefetch(synced, stats)
            stats["warm_steps"] = warm_readers(forked.done, config)
        candidates, n_convs = forked.result()
        if forked.child_max_rss_kb is not None:  # bench/: the memory this took too
            stats["threading_child_max_rss_mb"] = round(forked.child_max_rss_kb / 1024)
    else:
        candidates, n_convs = candidates_of(messages, config, _forced(store), synced.keys,
                                            synced.tests if synced.changes.full else None)
    stats.update(rethreaded=len(messages), messages=len(messages), conversations=n_convs)
    if synced.changes.full:
        # threaded: the rest of the poll reads only the candidates (which hold their own
        # messages), so the whole mailbox's parsed messages are let go here rather than at the
        # poll's end; the bodies and the readers then reuse their memory instead of adding to
        # the peak (at 250,000 messages about 1 KB each)
        synced.parsed.clear()
    return candidates


def _prefetch(synced: Synced, stats: dict[str, Any]) -> None:
    """While the child threads: the bodies of the messages whose headers alone make them
    candidates (agent/prefetch.py), before the parsed messages are let go."""
    if synced.prefetch is not None and synced.tests is not None:
        synced.prefetch.run(likely_candidates(synced.parsed, synced.tests))
        stats["bodies_prefetched"] = len(synced.prefetch)


def with_bodies(candidates: list[Conversation], mailbox: Mailbox, store: Store, config: Config,
                stats: dict[str, Any], lap: Lap, prefetched: Prefetch | None = None) -> list[Conversation]:
    """Stage 3: the candidates' bodies, fetched once (``prefetched``: those fetched ahead are
    taken from there, exactly as if fetched now); the conversations a body's links reach
    threaded again (at most three rounds); then the related threads joined."""
    fetched = 0
    for _round in range(3):
        missing = [m.id for c in candidates for m in c.messages if not m.has_body]
        if not missing:
            break
        known = {m.id: m for c in candidates for m in c.messages}
        full = _fetch_bodies(mailbox, missing, known, prefetched)
        fetched += len(missing)
        store.put_messages(full.values())
        candidates = [replace(c, messages=tuple(full.get(m.id, m) for m in c.messages)) for c in candidates]
        relinked = links([m for m in full.values() if _refs(m) != _refs(known[m.id])], config)
        if not relinked:
            break
        store.set_links(relinked, own={m.id: m.message_id for m in full.values()})
        affected = store.linked_closure({k for ks in relinked.values() for k in ks})
        candidates = [c for c in candidates if not any(m.id in affected for m in c.messages)] + \
            _candidates(store.get_messages(affected), store, config, None)
        _remember(store, candidates, config)
    stats["bodies_fetched"] = fetched
    if prefetched is not None:  # what the headers promised and threading did not confirm
        stats["bodies_prefetched_unused"] = prefetched.drop()
    candidates = related_threads(candidates, config)
    lap("bodies")
    return candidates


def _refs(m: Message) -> tuple[object, object]:
    return m.in_reply_to, m.references


def _candidates(messages: list[Message], store: Store, config: Config, keys: CompanyKeys | None
                ) -> list[Conversation]:
    forced = _forced(store)
    return [c for c in thread_messages(messages, config, keys) if c.id in forced or is_candidate(c, config)]


def _forced(store: Store) -> Collection[str]:
    return forced_recruiting(store.get_controls(kind="mark"))


def _fetch_bodies(mailbox: Mailbox, ids: list[str], known: dict[str, Message], prefetched: Prefetch | None
                  ) -> dict[str, Message]:
    """The full messages of ``ids``, in their order: those prefetched, the rest fetched now (a
    gone id is left out)."""
    out = prefetched.take(ids) if prefetched is not None else {}
    rest = [i for i in ids if i not in out]
    for mid, data in (mailbox.fetch(rest) if rest else {}).items():
        old = known[mid]  # parsed as agent.prefetch.parse_body does, through this module's parse_message
        out[mid] = parse_message(
            RawMessage(id=mid, folder=old.folder, data=data, thread_hint=old.thread_hint, labels=old.labels))
    return {i: out[i] for i in ids if i in out}


def _cached_candidates(store: Store, config: Config) -> list[Conversation] | None:
    groups = store.caches.candidates(selection_key(config))
    if groups is None:
        return None
    msgs = {m.id: m for m in store.get_messages([i for g in groups for i in g.message_ids])}
    if any(i not in msgs for g in groups for i in g.message_ids):
        return None  # the store and the cache disagree: rebuild
    return [Conversation(g.id, tuple(msgs[i] for i in g.message_ids)) for g in groups]


def _remember(store: Store, candidates: list[Conversation], config: Config) -> None:
    store.caches.save_candidates(selection_key(config), [
        CachedConversation(c.id, tuple(m.id for m in c.messages)) for c in candidates])
