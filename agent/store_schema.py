"""The state database's schema: an append-only list of migrations, one per version.

Step *n* (1-based) of :data:`MIGRATIONS` brings the schema from version n-1
to n; :class:`agent.store.Store` runs each step in its own transaction with
the bump of ``PRAGMA user_version``, and refuses a database from a newer agent.
A step is never edited once released: a database in the field went through it.

Version 4 gives every cache the engine kept in the ``meta`` table as
schemaless JSON a table of its own (see :mod:`agent.store_caches`), moves the
backend cursors to ``cursors``, types the snapshot's two lists, and drops the
``events`` log, which nothing ever read (the ledger keeps each draft's story,
the controls each standing correction). Its data move reads the v3 documents
as leniently as the v3 code did: a cache it cannot read is left behind (the
next poll rebuilds it, as v3 would have); ledger rows, controls and marks are
in tables v4 does not touch.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from agent.model import utc


def compact_json(value: Any) -> str:
    """The JSON text a cache column holds (compact, UTF-8 kept as is)."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _v1(db: sqlite3.Connection) -> None:
    db.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    db.execute(
        """CREATE TABLE messages (
            id TEXT PRIMARY KEY,
            folder TEXT NOT NULL,
            message_id TEXT NOT NULL,
            has_body INTEGER NOT NULL,
            date TEXT,
            json TEXT NOT NULL
        )"""
    )
    db.execute("CREATE INDEX messages_message_id ON messages(message_id)")
    db.execute(
        """CREATE TABLE ledger (
            key TEXT PRIMARY KEY,
            conversation TEXT NOT NULL,
            round TEXT NOT NULL,
            step TEXT NOT NULL,
            message_id TEXT NOT NULL,
            draft_id TEXT,
            content_hash TEXT,
            status TEXT NOT NULL CHECK (status IN
                ('intended','created','withdrawn','user_deleted','sent','edited')),
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            reason TEXT NOT NULL DEFAULT ''
        )"""
    )
    db.execute("CREATE INDEX ledger_conversation ON ledger(conversation)")
    db.execute(
        """CREATE TABLE events (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            ts TEXT NOT NULL,
            conversation TEXT,
            kind TEXT NOT NULL,
            detail TEXT NOT NULL DEFAULT ''
        )"""
    )
    db.execute("CREATE INDEX events_conversation ON events(conversation, seq)")
    db.execute(
        """CREATE TABLE snapshot (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            at TEXT NOT NULL,
            json TEXT NOT NULL
        )"""
    )
    db.execute(
        """CREATE TABLE controls (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            conversation TEXT NOT NULL,
            kind TEXT NOT NULL,
            value TEXT NOT NULL DEFAULT '',
            at TEXT NOT NULL
        )"""
    )
    db.execute("CREATE INDEX controls_conversation ON controls(conversation, kind)")


def _v2(db: sqlite3.Connection) -> None:
    # Thread links: every key by which a message may join a conversation (its Message-IDs,
    # its server thread id, its subject+company). A poll with a few new messages re-threads
    # only the messages reachable from theirs, so its cost follows the change, not the mailbox.
    db.execute("CREATE TABLE links (key TEXT NOT NULL, id TEXT NOT NULL)")
    db.execute("CREATE INDEX links_key ON links(key)")
    db.execute("CREATE INDEX links_id ON links(id)")


def _v3(db: sqlite3.Connection) -> None:
    # A header-only message is kept as its header block (``raw``) and parsed again when read:
    # writing 20,000 header blocks costs a tenth of writing their parsed form as JSON, and a
    # newer parser reads old rows its own way. ``json`` then holds what the backend said
    # beside the bytes (server thread id, labels). Messages with bodies keep their JSON.
    db.execute("ALTER TABLE messages ADD COLUMN raw BLOB")


# --- version 4: a table for each cache ---------------------------------------------------

_V4_TABLES = (
    # the opaque position of each backend in its mailbox (``Mailbox.changes``)
    "CREATE TABLE cursors (backend TEXT PRIMARY KEY, cursor TEXT NOT NULL)",
    # under which settings each cache was written ('candidates', 'facts'), and the parser's
    # format of the stored messages ('messages'): a cache written under another key is not used
    "CREATE TABLE cache_keys (cache TEXT PRIMARY KEY, key TEXT NOT NULL)",
    # the last poll's candidate conversations: one row per message, in conversation order
    """CREATE TABLE candidates (
        seq INTEGER PRIMARY KEY,
        conversation TEXT NOT NULL,
        message TEXT NOT NULL
    )""",
    # the messages the agent itself labelled (``labels.queued``), per conversation
    """CREATE TABLE labelled (
        conversation TEXT NOT NULL,
        message TEXT NOT NULL,
        PRIMARY KEY (conversation, message)
    )""",
    # what each draft's bytes say, by their SHA-256; marker (object) and refs (array) are JSON
    """CREATE TABLE draft_descriptions (
        digest TEXT PRIMARY KEY,
        message_id TEXT NOT NULL,
        marker TEXT NOT NULL,
        refs TEXT NOT NULL,
        fingerprint TEXT NOT NULL
    )""",
    # which bytes each draft id was last seen with (a draft_descriptions digest)
    "CREATE TABLE draft_ids (draft_id TEXT PRIMARY KEY, digest TEXT NOT NULL)",
    # each conversation's facts and tracking verdict, as agent.facts_cache encodes them
    """CREATE TABLE facts (
        conversation TEXT PRIMARY KEY,
        signature TEXT NOT NULL,
        facts TEXT,
        tracking TEXT
    )""",
    # the user's aliases as the server last gave them (a JSON array), and when it was asked
    """CREATE TABLE server_aliases (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        asked_at TEXT NOT NULL,
        aliases TEXT NOT NULL
    )""",
)


def _v4(db: sqlite3.Connection) -> None:
    for ddl in _V4_TABLES:
        db.execute(ddl)
    meta = {str(k): str(v) for k, v in db.execute("SELECT key, value FROM meta")}
    for move in _MOVES:
        move(db, meta)
    _retype_snapshot(db)
    db.execute("DROP TABLE meta")
    db.execute("DROP TABLE events")


def _doc(meta: dict[str, str], key: str) -> Any:
    """One v3 meta document, or None when absent or not JSON."""
    try:
        return json.loads(meta[key])
    except (KeyError, ValueError):
        return None


def _move_cursors(db: sqlite3.Connection, meta: dict[str, str]) -> None:
    db.executemany("INSERT INTO cursors(backend, cursor) VALUES (?, ?)",
                   [(k.removeprefix("cursor:"), v) for k, v in meta.items() if k.startswith("cursor:")])
    if "message_format" in meta:
        db.execute("INSERT INTO cache_keys(cache, key) VALUES ('messages', ?)", (meta["message_format"],))


def _move_candidates(db: sqlite3.Connection, meta: dict[str, str]) -> None:
    doc = _doc(meta, "candidates")
    try:
        key = str(doc["config"])
        rows = [(str(cid), str(mid)) for cid, ids in doc["conversations"] for mid in ids]
    except (KeyError, TypeError, ValueError):
        return
    db.execute("INSERT INTO cache_keys(cache, key) VALUES ('candidates', ?)", (key,))
    db.executemany("INSERT INTO candidates(conversation, message) VALUES (?, ?)", rows)


def _move_labelled(db: sqlite3.Connection, meta: dict[str, str]) -> None:
    doc = _doc(meta, "labeled")
    if not isinstance(doc, dict):
        return
    rows = {(str(cid), str(mid)) for cid, ids in doc.items() if isinstance(ids, list) for mid in ids}
    db.executemany("INSERT INTO labelled(conversation, message) VALUES (?, ?)", sorted(rows))


def _move_drafts(db: sqlite3.Connection, meta: dict[str, str]) -> None:
    doc = _doc(meta, "drafts-described")
    try:
        described = [(str(digest), str(mid), compact_json({str(k): str(v) for k, v in dict(marker).items()}),
                      compact_json(sorted(str(r) for r in refs)), str(fp))
                     for digest, (mid, marker, refs, fp) in dict(doc["by_hash"]).items()]
        ids = [(str(i), str(h)) for i, h in dict(doc["by_id"]).items()]
    except (KeyError, TypeError, ValueError):
        return
    db.executemany("INSERT INTO draft_descriptions(digest, message_id, marker, refs, fingerprint) "
                   "VALUES (?, ?, ?, ?, ?)", described)
    known = {d[0] for d in described}
    db.executemany("INSERT INTO draft_ids(draft_id, digest) VALUES (?, ?)", [r for r in ids if r[1] in known])


def _move_facts(db: sqlite3.Connection, meta: dict[str, str]) -> None:
    doc = _doc(meta, "facts")
    try:
        key = str(doc["config"])
        entries = dict(doc["conversations"])
    except (KeyError, TypeError, ValueError):
        return
    db.execute("INSERT INTO cache_keys(cache, key) VALUES ('facts', ?)", (key,))
    db.executemany("INSERT INTO facts(conversation, signature, facts, tracking) VALUES (?, ?, ?, ?)",
                   list(_facts_rows(entries)))


def _facts_rows(entries: dict[Any, Any]) -> Iterable[tuple[str, str, str | None, str | None]]:
    """v3's ``[signature, facts or None, tracking or None]`` entries; others were never read."""
    for cid, entry in entries.items():
        if isinstance(entry, list) and len(entry) == 3 and isinstance(entry[0], str):
            sig, facts, tracking = entry
            yield (str(cid), sig, None if facts is None else compact_json(facts),
                   None if tracking is None else compact_json(tracking))


def _move_aliases(db: sqlite3.Connection, meta: dict[str, str]) -> None:
    doc = _doc(meta, "server-aliases")
    try:
        asked = utc(datetime.fromisoformat(str(doc["at"]))).isoformat()
        aliases = [str(a) for a in doc["aliases"]]
    except (KeyError, TypeError, ValueError):
        return
    db.execute("INSERT INTO server_aliases(id, asked_at, aliases) VALUES (1, ?, ?)",
               (asked, compact_json(aliases)))


def _retype_snapshot(db: sqlite3.Connection) -> None:
    """The snapshot's two lists in columns of their own; a bare list (before the review
    queue, issue 10) is the tracked list."""
    row = db.execute("SELECT at, json FROM snapshot WHERE id = 1").fetchone()
    db.execute("DROP TABLE snapshot")
    db.execute(
        """CREATE TABLE snapshot (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            at TEXT NOT NULL,
            tracked TEXT NOT NULL,
            possible TEXT NOT NULL
        )"""
    )
    if row is None:
        return
    try:
        data = json.loads(row[1])
    except ValueError:
        return
    tracked, possible = (data.get("tracked"), data.get("possible", [])) if isinstance(data, dict) else (data, [])
    if isinstance(tracked, list) and isinstance(possible, list):
        db.execute("INSERT INTO snapshot(id, at, tracked, possible) VALUES (1, ?, ?, ?)",
                   (row[0], compact_json(tracked), compact_json(possible)))


_MOVES: tuple[Callable[[sqlite3.Connection, dict[str, str]], None], ...] = (
    _move_cursors, _move_candidates, _move_labelled, _move_drafts, _move_facts, _move_aliases)

#: Append-only. Step *n* (1-based) brings the schema from version n-1 to n.
def _v5(db: sqlite3.Connection) -> None:
    """Version 5: what ``pipeline`` and ``report`` read (agent/pipeline.py), one JSON document per
    tracked conversation, replaced by each poll. Empty until the first poll after the upgrade."""
    db.execute("CREATE TABLE pipeline (conversation TEXT PRIMARY KEY, record TEXT NOT NULL)")


#: the tables a write to which leaves the last poll's answer standing: the quick record itself,
#: and the mirror of the mailbox (messages and their thread links), which only a sync writes,
#: after the mailbox changed (the fingerprint tells that)
UNWATCHED = ("quick_check", "messages", "links")


def watch_writes(db: sqlite3.Connection, table: str) -> None:
    """A write to ``table`` forgets the quick record (agent/quick_poll.py): a mark, a snooze,
    a closed conversation or a draft's story changes what a poll would answer."""
    for op in ("INSERT", "UPDATE", "DELETE"):
        db.execute(f"CREATE TRIGGER {table}_{op.lower()}_forgets_quick AFTER {op} ON {table} "
                   "BEGIN DELETE FROM quick_check; END")


def _v6(db: sqlite3.Connection) -> None:
    """Version 6: the quick record (agent/quick_poll.py): what the last poll that had nothing to do
    saw (the mailbox's fingerprint, the config, the moment it holds until). Any write to any
    other table but the mailbox's mirror deletes it, by trigger, so no code path that changes the
    state can forget to. A table added later gets its triggers in its own migration
    (tests/test_quick_poll.py checks that every table has them)."""
    db.execute("""CREATE TABLE quick_check (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        at TEXT NOT NULL,
        until TEXT,
        config TEXT NOT NULL,
        fingerprint TEXT NOT NULL,
        tracked INTEGER NOT NULL
    )""")
    tables = [r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
    for table in tables:
        if table not in UNWATCHED and not table.startswith("sqlite_"):
            watch_writes(db, table)


MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [_v1, _v2, _v3, _v4, _v5, _v6]
SCHEMA_VERSION = len(MIGRATIONS)
