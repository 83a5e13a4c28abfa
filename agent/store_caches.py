"""What one poll remembers for the next, each in a table of its own (schema v4).

Why each exists (the engine's side is in :mod:`agent.engine` and
:mod:`agent.facts_cache`):

* **Candidates**: the conversations the last poll found worth reading; a poll
  with nothing new starts from them instead of threading the mailbox again.
  Kept under a key of the settings that select them.
* **Drafts described**: what each draft's bytes say (ours? which step?), by
  their hash, and which bytes each draft id had; a draft is parsed only once.
* **Facts**: each candidate conversation's facts and tracking verdict, by a
  signature of its messages, encoded by :mod:`agent.facts_cache` (the store
  keeps the text; only that module reads it). Kept under a key of the settings
  extraction depends on.
* **Labelled**: the messages the agent put its ``queued`` label on. Not a
  cache: it is how the agent only ever removes a label it set itself.
* **Server aliases**: the user's addresses as the server gave them, and when.

Losing the candidates, descriptions or facts costs one slower poll. Every
reader here is typed; nothing outside this module and the migration reads a
table's JSON columns (except the facts' text, which belongs to facts_cache).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime

from agent.model import utc
from agent.store_schema import compact_json

Transaction = Callable[[], AbstractContextManager[sqlite3.Connection]]


@dataclass(frozen=True)
class CachedConversation:
    """A candidate conversation as the last poll grouped it: its id and its messages' ids, in order."""

    id: str
    message_ids: tuple[str, ...]


@dataclass(frozen=True)
class DraftDescription:
    """What one draft's bytes say: its Message-ID, our marker (empty: the user's), what it answers."""

    message_id: str
    marker: Mapping[str, str]
    refs: frozenset[str]
    fingerprint: str


@dataclass(frozen=True)
class DescribedDrafts:
    """Descriptions by the SHA-256 of the draft's bytes, and the digest each draft id was seen with."""

    by_digest: Mapping[str, DraftDescription]
    by_id: Mapping[str, str]


@dataclass(frozen=True)
class CachedFacts:
    """One conversation's remembered facts and verdict (agent.facts_cache's encoding; None: not yet)."""

    conversation: str
    signature: str
    facts: str | None
    tracking: str | None


@dataclass(frozen=True)
class ServerAliases:
    """The user's aliases as the server reported them at ``asked_at``."""

    asked_at: datetime
    aliases: tuple[str, ...]


def cache_key(db: sqlite3.Connection, cache: str) -> str | None:
    """The key ``cache`` was written under (None: never written, or forgotten)."""
    row = db.execute("SELECT key FROM cache_keys WHERE cache = ?", (cache,)).fetchone()
    return None if row is None else str(row[0])


def set_cache_key(db: sqlite3.Connection, cache: str, key: str | None) -> None:
    if key is None:
        db.execute("DELETE FROM cache_keys WHERE cache = ?", (cache,))
    else:
        db.execute("INSERT OR REPLACE INTO cache_keys(cache, key) VALUES (?, ?)", (cache, key))


class Caches:
    """The cache tables, read on the store's connection and written in its transactions."""

    def __init__(self, db: sqlite3.Connection, transaction: Transaction) -> None:
        self._db = db
        self._transaction = transaction

    # --- candidates ---------------------------------------------------------------------

    def candidates(self, key: str) -> list[CachedConversation] | None:
        """The last poll's candidates, or None when there are none kept under ``key``."""
        if cache_key(self._db, "candidates") != key:
            return None
        groups: dict[str, list[str]] = {}
        for cid, mid in self._db.execute("SELECT conversation, message FROM candidates ORDER BY seq"):
            groups.setdefault(cid, []).append(mid)
        return [CachedConversation(cid, tuple(ids)) for cid, ids in groups.items()]

    def save_candidates(self, key: str, conversations: Iterable[CachedConversation]) -> None:
        rows = [(c.id, mid) for c in conversations for mid in c.message_ids]
        with self._transaction() as db:
            db.execute("DELETE FROM candidates")
            db.executemany("INSERT INTO candidates(conversation, message) VALUES (?, ?)", rows)
            set_cache_key(db, "candidates", key)

    def forget_candidates(self) -> None:
        """The next poll threads the mailbox again (a user's mark changed what is a candidate)."""
        with self._transaction() as db:
            db.execute("DELETE FROM candidates")
            set_cache_key(db, "candidates", None)

    # --- drafts described -----------------------------------------------------------------

    def described_drafts(self) -> DescribedDrafts:
        by_digest = {
            digest: DraftDescription(mid, json.loads(marker), frozenset(json.loads(refs)), fp)
            for digest, mid, marker, refs, fp in self._db.execute(
                "SELECT digest, message_id, marker, refs, fingerprint FROM draft_descriptions")
        }
        by_id = dict(self._db.execute("SELECT draft_id, digest FROM draft_ids").fetchall())
        return DescribedDrafts(by_digest, by_id)

    def save_described_drafts(self, drafts: DescribedDrafts) -> None:
        """Keep exactly these descriptions (drafts gone are forgotten)."""
        with self._transaction() as db:
            db.execute("DELETE FROM draft_descriptions")
            db.execute("DELETE FROM draft_ids")
            db.executemany(
                "INSERT INTO draft_descriptions(digest, message_id, marker, refs, fingerprint) "
                "VALUES (?, ?, ?, ?, ?)",
                [(digest, d.message_id, compact_json(dict(d.marker)), compact_json(sorted(d.refs)),
                  d.fingerprint) for digest, d in drafts.by_digest.items()])
            db.executemany("INSERT INTO draft_ids(draft_id, digest) VALUES (?, ?)",
                           [(i, h) for i, h in drafts.by_id.items() if h in drafts.by_digest])

    # --- facts ------------------------------------------------------------------------------

    def facts(self, key: str) -> dict[str, CachedFacts]:
        """Every conversation's remembered facts, by id; none when they were kept under another key."""
        if cache_key(self._db, "facts") != key:
            return {}
        rows = self._db.execute("SELECT conversation, signature, facts, tracking FROM facts")
        return {r[0]: CachedFacts(*r) for r in rows}

    def save_facts(self, key: str, put: Iterable[CachedFacts], drop: Iterable[str] = ()) -> None:
        """Write these conversations' rows and forget ``drop``; under a new key, forget all others."""
        with self._transaction() as db:
            if cache_key(db, "facts") != key:
                db.execute("DELETE FROM facts")
                set_cache_key(db, "facts", key)
            db.executemany("DELETE FROM facts WHERE conversation = ?", [(cid,) for cid in drop])
            db.executemany(
                "INSERT OR REPLACE INTO facts(conversation, signature, facts, tracking) VALUES (?, ?, ?, ?)",
                [(f.conversation, f.signature, f.facts, f.tracking) for f in put])

    # --- labels the agent set ---------------------------------------------------------------

    def labelled(self) -> dict[str, frozenset[str]]:
        """The messages carrying the agent's label, by conversation."""
        out: dict[str, set[str]] = {}
        for cid, mid in self._db.execute("SELECT conversation, message FROM labelled ORDER BY conversation"):
            out.setdefault(cid, set()).add(mid)
        return {cid: frozenset(ids) for cid, ids in out.items()}

    def save_labelled(self, labelled: Mapping[str, Iterable[str]]) -> None:
        rows = sorted({(cid, mid) for cid, ids in labelled.items() for mid in ids})
        with self._transaction() as db:
            db.execute("DELETE FROM labelled")
            db.executemany("INSERT INTO labelled(conversation, message) VALUES (?, ?)", rows)

    # --- the server's aliases of the user -------------------------------------------------

    def server_aliases(self) -> ServerAliases | None:
        row = self._db.execute("SELECT asked_at, aliases FROM server_aliases WHERE id = 1").fetchone()
        if row is None:
            return None
        return ServerAliases(datetime.fromisoformat(row[0]), tuple(str(a) for a in json.loads(row[1])))

    def save_server_aliases(self, aliases: ServerAliases) -> None:
        with self._transaction() as db:
            db.execute("INSERT OR REPLACE INTO server_aliases(id, asked_at, aliases) VALUES (1, ?, ?)",
                       (utc(aliases.asked_at).isoformat(), compact_json(list(aliases.aliases))))
