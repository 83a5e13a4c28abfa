"""SQLite state: backend cursors, parsed-message cache, draft ledger, user controls, caches.

The one typed API over the state: everything goes in and comes out as frozen
dataclasses (or plain typed values); no caller sees a row or decodes a
column. What lives where: the schema and its migrations in
:mod:`agent.store_schema`, the caches a poll keeps for the next in
:mod:`agent.store_caches` (reached as :attr:`Store.caches`), the process lock
and the private files in :mod:`agent.store_lock`.

Why these choices
    * **Private file.** The state holds mail headers and text, so the file is
      created with ``os.open(..., 0o600)`` before SQLite touches it (SQLite
      then gives its journal the same mode), an existing file that is looser
      is tightened, and a state folder we create is ``0700``.
    * **Rollback journal, not WAL.** A dry run and ``status --cached`` must be
      able to read the database without writing anything; a WAL database
      cannot be opened, even read-only, without creating ``-wal``/``-shm``
      files. Only one agent process writes at a time (the :class:`StateLock`),
      so WAL's concurrent readers would buy nothing, and one file is one file
      to keep private.
    * **Explicit transactions.** The connection runs in autocommit mode and
      every write goes through :meth:`Store.transaction` (``BEGIN IMMEDIATE``
      … ``COMMIT``, ``ROLLBACK`` on any exception; nested use becomes a
      savepoint). The single-row helpers open their own short transaction
      when called outside one, so nothing is ever written implicitly.
    * **Schema versions** live in ``PRAGMA user_version``; :data:`MIGRATIONS`
      is an append-only list, each step run in its own transaction together
      with the version bump. A database from a newer agent is refused.
    * **Parsed bodies carry the parser's format** (the ``messages`` cache key
      against :data:`agent.model.MESSAGE_FORMAT`): when the parser learns to
      fill a new field, bodies stored before are marked to be read again
      (see :meth:`Store._reread_stale_bodies`), so no signal trusts a field
      an older parser left empty.
    * **Dry runs write nothing**, by construction rather than by discipline:
      ``Store.open(path, readonly_dry_run=True)`` copies an existing database
      into a private in-memory database with SQLite's backup API (the file is
      opened ``mode=ro``; a rollback-journal read creates no file), or starts
      an empty in-memory database with the same schema when there is none.
      The engine then runs exactly as in a real poll — writes, commits and
      all — and everything vanishes at :meth:`Store.close`
      (:meth:`Store.rollback_all` is the explicit name for that). No parent
      folder is created, no mode is changed, no lock file is made.

All times are stored as ISO-8601 strings in UTC.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from agent.errors import AgentError
from agent.model import MESSAGE_FORMAT, Message, RawMessage, utc
from agent.records import ControlRow, LedgerRow
from agent.store_caches import (
    CachedConversation,
    CachedFacts,
    Caches,
    DescribedDrafts,
    DraftDescription,
    ServerAliases,
    cache_key,
    set_cache_key,
)
from agent.store_lock import LockProbe, StateLock, make_private_dir, make_private_file
from agent.store_schema import MIGRATIONS, SCHEMA_VERSION, compact_json

__all__ = [
    "CONTROL_KINDS", "LEDGER_STATUSES", "MIGRATIONS", "SCHEMA_VERSION", "CachedConversation", "CachedFacts",
    "Caches", "ControlRow", "DescribedDrafts", "DraftDescription", "HeaderRow", "LedgerRow", "LockProbe",
    "ServerAliases", "Snapshot", "StateHealth", "StateLock", "Store",
]

LEDGER_STATUSES = frozenset({"intended", "created", "withdrawn", "user_deleted", "sent", "edited"})
CONTROL_KINDS = frozenset({"pause", "snooze", "close", "mark", "note"})
_CHUNK = 500  # ids per IN (...) query, far below SQLite's variable limit


def now_iso(at: datetime | None = None) -> str:
    """``at`` (default: the real current time) as an ISO-8601 UTC string."""
    return utc(at if at is not None else datetime.now(UTC)).isoformat()


def parse_iso(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


# --- rows -----------------------------------------------------------------------------


@dataclass(frozen=True)
class HeaderRow:
    """The cheap columns of a cached message (no JSON decoding)."""

    id: str
    folder: str
    message_id: str
    has_body: bool
    date: datetime | None


@dataclass(frozen=True)
class Snapshot:
    """The last completed poll's view for ``status --cached``: when, and the ``status --json``
    objects of the tracked conversations and of the possible ones (the review queue)."""

    at: datetime
    tracked: tuple[dict[str, Any], ...]
    possible: tuple[dict[str, Any], ...]


@dataclass(frozen=True)
class QuickRecord:
    """What the last poll that had nothing to do saw (agent/quick_poll.py): its ``now``, the
    moment its answer holds until (None: no moment known), the config's key, the mailbox's
    fingerprint, and how many conversations it tracked. Any write to the state deletes it."""

    at: datetime
    until: datetime | None
    config: str
    fingerprint: str
    tracked: int


@dataclass(frozen=True)
class StateHealth:
    """What ``doctor`` learns from reading the database file (read-only, nothing migrated)."""

    schema_version: int
    integrity: str  # "ok", or SQLite's first complaint

    @property
    def too_new(self) -> bool:
        """Written by a newer agent: this one refuses to open it."""
        return self.schema_version > SCHEMA_VERSION


# --- the store ------------------------------------------------------------------------


class Store:
    """The agent's state. Open with :meth:`Store.open`; one per poll, one thread at a time."""

    def __init__(self, db: sqlite3.Connection, path: Path, *, dry_run: bool) -> None:
        self._db = db
        self.path = path
        self.dry_run = dry_run
        self._depth = 0
        # Read caches of the two small tables a poll asks about once per conversation, several
        # times over (hundreds of queries on a warm poll). Loaded whole on first use; any write
        # to the table, and any rollback, drops them.
        self._ledger_cache: dict[str, list[LedgerRow]] | None = None
        self._controls_cache: list[ControlRow] | None = None

    @property
    def caches(self) -> Caches:
        """The candidates, drafts described, facts, labels set and server aliases (agent.store_caches),
        read on this connection and written in this store's transactions."""
        return Caches(self._db, self.transaction)

    # --- opening ------------------------------------------------------------------

    @classmethod
    def open(cls, path: Path, *, readonly_dry_run: bool = False) -> Store:
        """Open (creating and migrating) the state database at ``path``.

        ``readonly_dry_run=True``: work on a private in-memory copy; nothing on
        disk is created, changed or migrated (see the module docstring).
        """
        path = Path(path)
        try:
            if readonly_dry_run:
                db = cls._open_dry(path)
            else:
                make_private_dir(path.parent)
                make_private_file(path)
                db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
                db.execute("PRAGMA journal_mode=DELETE")
                db.execute("PRAGMA synchronous=FULL")
        except (sqlite3.Error, OSError) as err:
            raise AgentError(f"Cannot open the state database {path}: {err}.") from err
        store = cls(db, path, dry_run=readonly_dry_run)
        try:
            store._migrate()
        except sqlite3.Error as err:
            db.close()
            raise AgentError(f"Cannot use the state database {path}: {err}.") from err
        except BaseException:
            db.close()
            raise
        return store

    @classmethod
    def in_memory(cls) -> Store:
        """A new, empty state that lives in memory only and is gone at :meth:`close`.

        For tests of the engine that need no disk (with an in-memory mailbox);
        unlike a dry run it is an ordinary store, only without a file.
        """
        db = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
        store = cls(db, Path(":memory:"), dry_run=False)
        store._migrate()
        return store

    @staticmethod
    def _open_dry(path: Path) -> sqlite3.Connection:
        mem = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
        if path.exists():
            uri = path.absolute().as_uri() + "?mode=ro"
            src = sqlite3.connect(uri, uri=True, isolation_level=None)
            try:
                src.backup(mem)
            finally:
                src.close()
        return mem

    @staticmethod
    def lock(path: Path, *, create: bool = True) -> StateLock:
        """The process lock for the database at ``path`` (use as a context manager)."""
        return StateLock(path, create=create)

    @staticmethod
    def health(path: Path) -> StateHealth:
        """Read the file's schema version and SQLite's integrity check, changing nothing.

        For ``doctor``: the file is opened ``mode=ro`` and nothing is migrated
        (a rollback-journal read creates no file). Raises :class:`AgentError`
        when the file cannot be read as a database at all.
        """
        try:
            con = sqlite3.connect(Path(path).absolute().as_uri() + "?mode=ro", uri=True)
            try:
                version = int(con.execute("PRAGMA user_version").fetchone()[0])
                integrity = str(con.execute("PRAGMA quick_check").fetchone()[0])
            finally:
                con.close()
        except sqlite3.Error as err:
            raise AgentError(f"{path} cannot be read as a database: {err}") from err
        return StateHealth(version, integrity)

    def _migrate(self) -> None:
        version = int(self._db.execute("PRAGMA user_version").fetchone()[0])
        if version > SCHEMA_VERSION:
            raise AgentError(
                f"The state database {self.path} has schema version {version}, newer than this "
                f"agent understands ({SCHEMA_VERSION}). Upgrade followup-agent or use another state.path."
            )
        for n in range(version, SCHEMA_VERSION):
            with self.transaction() as db:
                MIGRATIONS[n](db)
                db.execute(f"PRAGMA user_version = {n + 1}")
        self._reread_stale_bodies()

    def _reread_stale_bodies(self) -> None:
        """Mark bodies stored by an older parser as header-only, so the next poll reads them again.

        Why: a stored body is the parser's output, not the mail; a field the
        parser fills since (``Message.signature``, format 2) is empty in rows
        written before, and a signal reading it would see nothing. A row
        marked header-only keeps everything else (its text too, so it stays
        a candidate for the reason it was one), and the engine fetches and
        parses the bodies of candidate conversations again, as on a cold poll.
        """
        if self.message_format() == MESSAGE_FORMAT:
            return
        with self.transaction() as db:
            rows = db.execute("SELECT id, json FROM messages WHERE raw IS NULL AND has_body = 1").fetchall()
            db.executemany("UPDATE messages SET has_body = 0, json = ? WHERE id = ?",
                           [(_without_body_mark(doc), mid) for mid, doc in rows])
            self.set_message_format(MESSAGE_FORMAT)

    def message_format(self) -> int | None:
        """The parser format the stored bodies were written with (None: unknown, an old agent's)."""
        key = cache_key(self._db, "messages")
        return int(key) if key is not None and key.isdigit() else None

    def set_message_format(self, version: int | None) -> None:
        """Record the stored bodies' parser format; ``None`` has them read again on the next open."""
        with self.transaction() as db:
            set_cache_key(db, "messages", None if version is None else str(version))

    @property
    def schema_version(self) -> int:
        return int(self._db.execute("PRAGMA user_version").fetchone()[0])

    def close(self) -> None:
        """Close the connection; for a dry run this discards every change."""
        self._db.close()

    def rollback_all(self) -> None:
        """End a dry run: every change made through this store is dropped.

        A dry-run store never had a file behind it, so closing is the whole
        rollback; on a real store this is refused rather than silently
        throwing committed state away.
        """
        if not self.dry_run:
            raise RuntimeError("rollback_all() is only meaningful on a dry-run store")
        self.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # --- transactions ---------------------------------------------------------------

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """``BEGIN IMMEDIATE`` … ``COMMIT``; rolled back if the block raises.

        Nested use is a savepoint: an inner block that fails is undone alone
        and its exception still propagates to the outer block.
        """
        db = self._db
        self._drop_caches()  # every write goes through here
        if self._depth == 0:
            db.execute("BEGIN IMMEDIATE")
            self._depth = 1
            try:
                yield db
            except BaseException:
                self._depth = 0
                self._drop_caches()
                db.execute("ROLLBACK")
                raise
            self._depth = 0
            try:
                db.execute("COMMIT")
            except BaseException:
                self._drop_caches()
                with contextlib.suppress(sqlite3.Error):
                    db.execute("ROLLBACK")
                raise
            return
        name = f"sp{self._depth}"
        db.execute(f"SAVEPOINT {name}")
        self._depth += 1
        try:
            yield db
        except BaseException:
            self._depth -= 1
            self._drop_caches()
            db.execute(f"ROLLBACK TO {name}")
            db.execute(f"RELEASE {name}")
            raise
        self._depth -= 1
        db.execute(f"RELEASE {name}")

    @property
    def in_transaction(self) -> bool:
        return self._depth > 0

    # --- cursors -------------------------------------------------------------------

    def get_cursor(self, backend: str) -> str | None:
        """Where the last poll left off in the mailbox of ``backend`` (None: read it all)."""
        row = self._db.execute("SELECT cursor FROM cursors WHERE backend = ?", (backend,)).fetchone()
        return None if row is None else str(row[0])

    def set_cursor(self, backend: str, cursor: str | None) -> None:
        """Set (or with ``None`` forget, for a full resync) the cursor of ``backend``."""
        with self.transaction() as db:
            if cursor is None:
                db.execute("DELETE FROM cursors WHERE backend = ?", (backend,))
            else:
                db.execute("INSERT OR REPLACE INTO cursors(backend, cursor) VALUES (?, ?)", (backend, cursor))

    # --- messages ---------------------------------------------------------------------

    def put_messages(self, messages: Iterable[Message], raws: Mapping[str, RawMessage] | None = None) -> None:
        """Insert or replace parsed messages (keyed by backend id).

        ``raws``: what the messages were parsed from. A header-only message
        whose raw form is given is kept as that (see ``_v3``): compact, and
        read back by parsing it again.
        """
        rows = [_message_row(m, raws) for m in messages]
        if not rows:
            return
        with self.transaction() as db:
            db.executemany(_INSERT_MESSAGE, rows)

    def get_messages(self, ids: Iterable[str] | None = None) -> list[Message]:
        """Cached messages (all of them, or these ids; unknown ids are left out), by id."""
        sql = "SELECT id, folder, json, raw FROM messages"
        if ids is None:
            rows = self._db.execute(sql + " ORDER BY id").fetchall()
        else:
            rows = []
            for chunk in _chunks(sorted(set(ids))):
                q = f"{sql} WHERE id IN ({','.join('?' * len(chunk))})"
                rows.extend(self._db.execute(q, chunk).fetchall())
        out = [_message_of(*r) for r in rows]
        out.sort(key=lambda m: m.id)
        return out

    def remove_messages(self, ids: Iterable[str]) -> int:
        """Forget these messages; returns how many were cached."""
        todo = sorted(set(ids))
        if not todo:
            return 0
        n = 0
        with self.transaction() as db:
            for chunk in _chunks(todo):
                marks = ",".join("?" * len(chunk))
                cur = db.execute(f"DELETE FROM messages WHERE id IN ({marks})", chunk)
                db.execute(f"DELETE FROM links WHERE id IN ({marks})", chunk)
                n += cur.rowcount
        return n

    # --- thread links -------------------------------------------------------------------

    def set_links(self, links: Mapping[str, Iterable[str]], *, replace_all: bool = False,
                  own: Mapping[str, str] | None = None) -> None:
        """Record each message's thread keys (replacing what those messages had).

        ``own``: each message's Message-ID, when known. A message's key for its own
        Message-ID (``m:<id>``) is then not written: the messages table already answers
        it (see :meth:`linked_closure`), and it is half of all the rows.
        """
        rows = _link_rows(links, own or {})
        with self.transaction() as db:
            if replace_all:
                # a whole mailbox at once: the indexes are built once after the rows are in,
                # not row by row (a quarter less time for 40,000 rows)
                db.execute("DROP INDEX IF EXISTS links_key")
                db.execute("DROP INDEX IF EXISTS links_id")
                db.execute("DELETE FROM links")
                db.executemany("INSERT INTO links(key, id) VALUES (?, ?)", rows)
                db.execute("CREATE INDEX links_key ON links(key)")
                db.execute("CREATE INDEX links_id ON links(id)")
                return
            for chunk in _chunks(sorted(links)):
                db.execute(f"DELETE FROM links WHERE id IN ({','.join('?' * len(chunk))})", chunk)
            db.executemany("INSERT INTO links(key, id) VALUES (?, ?)", rows)

    def links_of(self, ids: Iterable[str]) -> set[str]:
        """The thread keys of these messages (their own Message-ID's included)."""
        out: set[str] = set()
        for chunk in _chunks(sorted(set(ids))):
            marks = ",".join("?" * len(chunk))
            out.update(r[0] for r in self._db.execute(f"SELECT key FROM links WHERE id IN ({marks})", chunk))
            out.update("m:" + r[0] for r in self._db.execute(
                f"SELECT message_id FROM messages WHERE id IN ({marks})", chunk))
        return out

    def linked_closure(self, keys: Iterable[str]) -> set[str]:
        """Every message id reachable from ``keys`` through shared thread keys."""
        seen_keys: set[str] = set()
        ids: set[str] = set()
        frontier = set(keys)
        while frontier:
            seen_keys |= frontier
            new_ids: set[str] = set()
            for chunk in _chunks(sorted(frontier)):
                q = f"SELECT id FROM links WHERE key IN ({','.join('?' * len(chunk))})"
                new_ids.update(r[0] for r in self._db.execute(q, chunk))
            # a message's own Message-ID is answered by the messages table (see set_links)
            for chunk in _chunks(sorted(k[2:] for k in frontier if k.startswith("m:"))):
                q = f"SELECT id FROM messages WHERE message_id IN ({','.join('?' * len(chunk))})"
                new_ids.update(r[0] for r in self._db.execute(q, chunk))
            new_ids -= ids
            ids |= new_ids
            frontier = self.links_of(new_ids) - seen_keys if new_ids else set()
        return ids

    def replace_all(self, messages: Iterable[Message], raws: Mapping[str, RawMessage] | None = None) -> None:
        """Full resync: the cache becomes exactly ``messages``, in one transaction."""
        rows = sorted(_message_row(m, raws) for m in messages)  # in key order: appends to the table's tree
        with self.transaction() as db:
            db.execute("DROP INDEX IF EXISTS messages_message_id")  # built once, after (see set_links)
            db.execute("DELETE FROM messages")
            db.execute("DELETE FROM links")
            db.executemany(_INSERT_MESSAGE, rows)
            db.execute("CREATE INDEX messages_message_id ON messages(message_id)")

    def begin_replace(self, backend: str) -> None:
        """A full resync that arrives in batches starts (agent/syncing.py): the messages, their
        links and ``backend``'s cursor are forgotten in one transaction, so a sync that dies
        between batches leaves no cursor and the next poll lists everything again. The
        Message-ID index waits for :meth:`end_replace` (built once, not row by row)."""
        with self.transaction() as db:
            db.execute("DELETE FROM cursors WHERE backend = ?", (backend,))
            for index in ("messages_message_id", "links_key", "links_id"):
                db.execute(f"DROP INDEX IF EXISTS {index}")
            db.execute("DELETE FROM messages")
            db.execute("DELETE FROM links")

    def add_batch(self, messages: Iterable[Message], raws: Mapping[str, RawMessage] | None = None,
                  links: Mapping[str, Iterable[str]] | None = None) -> None:
        """One batch of a full resync begun by :meth:`begin_replace`, with its thread keys
        (``links``, as :meth:`set_links` takes them), in one transaction: nothing of the batch
        needs to be held until the end."""
        messages = list(messages)
        rows = sorted(_message_row(m, raws) for m in messages)  # in key order: appends to the table's tree
        link_rows = _link_rows(links or {}, {m.id: m.message_id for m in messages})
        if rows or link_rows:
            with self.transaction() as db:
                db.executemany(_INSERT_MESSAGE, rows)
                db.executemany("INSERT INTO links(key, id) VALUES (?, ?)", link_rows)

    def end_replace(self) -> None:
        """The last batch is in: the indexes are built, once (the cursor is the caller's)."""
        with self.transaction() as db:
            db.execute("CREATE INDEX IF NOT EXISTS messages_message_id ON messages(message_id)")
            db.execute("CREATE INDEX IF NOT EXISTS links_key ON links(key)")
            db.execute("CREATE INDEX IF NOT EXISTS links_id ON links(id)")

    def held_message_ids(self, message_ids: Iterable[str]) -> set[str]:
        """Which of these RFC Message-IDs the store holds (agent/window.py: which referenced
        messages a straddling conversation still lacks), by the Message-ID index."""
        out: set[str] = set()
        for chunk in _chunks(sorted(set(message_ids))):
            q = f"SELECT message_id FROM messages WHERE message_id IN ({','.join('?' * len(chunk))})"
            out.update(r[0] for r in self._db.execute(q, chunk))
        return out

    def message_ids(self) -> set[str]:
        return {r[0] for r in self._db.execute("SELECT id FROM messages")}

    def count_messages(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM messages").fetchone()[0])

    def header_rows(self) -> list[HeaderRow]:
        """id, folder, Message-ID, has_body and date of every cached message, without JSON."""
        return [
            HeaderRow(r[0], r[1], r[2], bool(r[3]), parse_iso(r[4]))
            for r in self._db.execute(
                "SELECT id, folder, message_id, has_body, date FROM messages ORDER BY id"
            )
        ]

    # --- ledger -----------------------------------------------------------------------

    def record_intent(
        self,
        key: str,
        *,
        conversation: str,
        round: str,
        step: str,
        message_id: str,
        content_hash: str | None = None,
        at: datetime | None = None,
    ) -> LedgerRow:
        """Write down a draft about to be created (before the mailbox write).

        Idempotent: an existing row for ``key`` keeps its status (an
        ``intended`` row only gets the new hash), so a retried poll never
        resurrects a draft the user deleted.
        """
        ts = now_iso(at)
        with self.transaction() as db:
            db.execute(
                "INSERT INTO ledger(key, conversation, round, step, message_id, draft_id, "
                "content_hash, status, created_at, updated_at, reason) "
                "VALUES (?, ?, ?, ?, ?, NULL, ?, 'intended', ?, ?, '') "
                "ON CONFLICT(key) DO UPDATE SET content_hash = excluded.content_hash, "
                "updated_at = excluded.updated_at WHERE ledger.status = 'intended'",
                (key, conversation, round, step, message_id, content_hash, ts, ts),
            )
            row = self.ledger_row(key)
        assert row is not None
        return row

    def record_created(
        self,
        key: str,
        draft_id: str,
        *,
        content_hash: str | None = None,
        at: datetime | None = None,
    ) -> None:
        """The draft exists in the mailbox now, under ``draft_id``."""
        with self.transaction() as db:
            cur = db.execute(
                "UPDATE ledger SET draft_id = ?, content_hash = coalesce(?, content_hash), "
                "status = 'created', updated_at = ? WHERE key = ?",
                (draft_id, content_hash, now_iso(at), key),
            )
            if cur.rowcount == 0:
                raise KeyError(f"no ledger row {key!r}: record_intent first")

    def set_status(self, key: str, status: str, *, reason: str = "", at: datetime | None = None) -> None:
        """Move a ledger row to ``status`` (withdrawn, user_deleted, sent, edited, ...)."""
        if status not in LEDGER_STATUSES:
            raise ValueError(f"unknown ledger status {status!r}")
        with self.transaction() as db:
            cur = db.execute(
                "UPDATE ledger SET status = ?, reason = ?, updated_at = ? WHERE key = ?",
                (status, reason, now_iso(at), key),
            )
            if cur.rowcount == 0:
                raise KeyError(f"no ledger row {key!r}")

    def ledger_row(self, key: str) -> LedgerRow | None:
        row = self._db.execute(f"SELECT {_LEDGER_COLS} FROM ledger WHERE key = ?", (key,)).fetchone()
        return None if row is None else _ledger_row(row)

    def ledger_for(self, conversation: str) -> list[LedgerRow]:
        """Every ledger row of one conversation, oldest first."""
        if self._ledger_cache is None:
            cache: dict[str, list[LedgerRow]] = {}
            rows = self._db.execute(
                f"SELECT {_LEDGER_COLS} FROM ledger ORDER BY conversation, round, created_at, key")
            for r in rows:
                row = _ledger_row(r)
                cache.setdefault(row.conversation, []).append(row)
            self._ledger_cache = cache
        return list(self._ledger_cache.get(conversation, ()))

    def _drop_caches(self) -> None:
        self._ledger_cache = None
        self._controls_cache = None

    def ledger_rows(self, statuses: Iterable[str] | None = None) -> list[LedgerRow]:
        """All ledger rows, or those in ``statuses`` (e.g. ``{"created"}``: drafts to watch)."""
        sql = f"SELECT {_LEDGER_COLS} FROM ledger"
        params: list[str] = []
        if statuses is not None:
            params = sorted(set(statuses))
            sql += f" WHERE status IN ({','.join('?' * len(params))})"
        rows = self._db.execute(sql + " ORDER BY conversation, round, created_at, key", params)
        return [_ledger_row(r) for r in rows]

    # --- snapshot -----------------------------------------------------------------------

    def save_snapshot(self, tracked: Sequence[dict[str, Any]], possible: Sequence[dict[str, Any]], *,
                      at: datetime | None = None) -> None:
        """Keep the last poll's status view (``status --json`` objects) for ``status --cached``.

        Its time is the last completed poll's: no separate record of it is kept.
        """
        with self.transaction() as db:
            db.execute(
                "INSERT OR REPLACE INTO snapshot(id, at, tracked, possible) VALUES (1, ?, ?, ?)",
                (now_iso(at), compact_json(list(tracked)), compact_json(list(possible))),
            )

    def load_snapshot(self) -> Snapshot | None:
        row = self._db.execute("SELECT at, tracked, possible FROM snapshot WHERE id = 1").fetchone()
        if row is None:
            return None
        return Snapshot(datetime.fromisoformat(row[0]), tuple(json.loads(row[1])), tuple(json.loads(row[2])))

    def save_quick(self, rec: QuickRecord) -> None:
        """Keep the quick record; written last, after the poll's own writes (which delete the
        previous one by trigger, agent/store_schema.py)."""
        with self.transaction() as db:
            db.execute("INSERT OR REPLACE INTO quick_check(id, at, until, config, fingerprint, tracked) "
                       "VALUES (1, ?, ?, ?, ?, ?)",
                       (now_iso(rec.at), now_iso(rec.until) if rec.until else None, rec.config,
                        rec.fingerprint, rec.tracked))

    def load_quick(self) -> QuickRecord | None:
        """The quick record, or None when none stands (no poll yet, or the state changed since)."""
        row = self._db.execute("SELECT at, until, config, fingerprint, tracked FROM quick_check WHERE id = 1"
                               ).fetchone()
        if row is None:
            return None
        return QuickRecord(datetime.fromisoformat(row[0]), datetime.fromisoformat(row[1]) if row[1] else None,
                           row[2], row[3], int(row[4]))

    def save_pipeline(self, records: Sequence[dict[str, Any]]) -> None:
        """Keep the last poll's pipeline records (agent/pipeline.py), one per tracked conversation:
        the whole set is replaced, as the snapshot is, so a conversation no longer tracked leaves."""
        with self.transaction() as db:
            db.execute("DELETE FROM pipeline")
            db.executemany("INSERT INTO pipeline(conversation, record) VALUES (?, ?)",
                           [(r["conversation"], compact_json(r)) for r in records])

    def load_pipeline(self) -> list[dict[str, Any]]:
        """The records the last poll kept, by conversation id."""
        return [json.loads(r[0]) for r in self._db.execute("SELECT record FROM pipeline ORDER BY conversation")]

    # --- controls (user corrections) ----------------------------------------------------

    def put_control(
        self,
        conversation: str,
        kind: str,
        value: str = "",
        *,
        at: datetime | None = None,
        replace: bool = True,
    ) -> None:
        """Record a user correction. ``replace=True`` drops earlier ones of the same kind
        (pause, snooze, close); ``replace=False`` appends (marks, notes)."""
        if kind not in CONTROL_KINDS:
            raise ValueError(f"unknown control kind {kind!r}")
        with self.transaction() as db:
            if replace:
                db.execute("DELETE FROM controls WHERE conversation = ? AND kind = ?", (conversation, kind))
            db.execute(
                "INSERT INTO controls(conversation, kind, value, at) VALUES (?, ?, ?, ?)",
                (conversation, kind, value, now_iso(at)),
            )

    def get_controls(self, conversation: str | None = None, kind: str | None = None) -> list[ControlRow]:
        if self._controls_cache is None:
            rows = self._db.execute("SELECT seq, conversation, kind, value, at FROM controls ORDER BY seq")
            self._controls_cache = [ControlRow(r[0], r[1], r[2], r[3], datetime.fromisoformat(r[4]))
                                    for r in rows]
        return [r for r in self._controls_cache
                if (conversation is None or r.conversation == conversation) and (kind is None or r.kind == kind)]

    def clear_controls(self, conversation: str, kind: str | None = None) -> int:
        with self.transaction() as db:
            if kind is None:
                cur = db.execute("DELETE FROM controls WHERE conversation = ?", (conversation,))
            else:
                cur = db.execute(
                    "DELETE FROM controls WHERE conversation = ? AND kind = ?", (conversation, kind)
                )
            return cur.rowcount


# --- helpers ----------------------------------------------------------------------------

_LEDGER_COLS = (
    "key, conversation, round, step, message_id, draft_id, content_hash, status, "
    "created_at, updated_at, reason"
)


def _ledger_row(r: Sequence[Any]) -> LedgerRow:
    return LedgerRow(
        key=r[0],
        conversation=r[1],
        round=str(r[2]),
        step=r[3],
        message_id=r[4],
        draft_id=r[5],
        content_hash=r[6],
        status=r[7],
        created_at=datetime.fromisoformat(r[8]),
        updated_at=datetime.fromisoformat(r[9]),
        reason=r[10],
    )


_INSERT_MESSAGE = (
    "INSERT OR REPLACE INTO messages(id, folder, message_id, has_body, date, json, raw) "
    "VALUES (?, ?, ?, ?, ?, ?, ?)"
)


def _message_row(
    m: Message, raws: Mapping[str, RawMessage] | None
) -> tuple[str, str, str, int, str | None, str, bytes | None]:
    date = now_iso(m.date) if m.date is not None else None
    raw = raws.get(m.id) if raws is not None and not m.has_body else None
    if raw is not None and raw.headers_only:
        meta = "{}"
        if raw.thread_hint is not None or raw.labels:
            meta = json.dumps({"thread_hint": raw.thread_hint, "labels": sorted(raw.labels)})
        return (m.id, m.folder, m.message_id, 0, date, meta, raw.data)
    return (m.id, m.folder, m.message_id, int(m.has_body), date,
            json.dumps(m.to_json(), separators=(",", ":"), ensure_ascii=False), None)


def _without_body_mark(doc: str) -> str:
    """A stored message's JSON with ``has_body`` false (the engine fetches such bodies)."""
    data = json.loads(doc)
    data["has_body"] = False
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False)


def _message_of(mid: str, folder: str, doc: str, raw: bytes | None) -> Message:
    if raw is None:
        return Message.from_json(json.loads(doc))
    from agent.mail.parse import parse_message

    meta = json.loads(doc)
    return parse_message(RawMessage(id=mid, folder=folder, data=raw, headers_only=True,
                                    thread_hint=meta.get("thread_hint"),
                                    labels=frozenset(meta.get("labels", ()))))


def _link_rows(links: Mapping[str, Iterable[str]], own: Mapping[str, str]) -> list[tuple[str, str]]:
    """(key, id) rows of these thread keys, without a message's key for its own Message-ID
    (``m:<id>``, given in ``own``): the messages table answers that one (see set_links)."""
    rows: list[tuple[str, str]] = []
    for mid, keys in links.items():
        mine = own.get(mid)
        rows.extend((k, mid) for k in keys if mine is None or k != "m:" + mine)
    return rows


def _chunks(items: Sequence[str]) -> Iterator[Sequence[str]]:
    for i in range(0, len(items), _CHUNK):
        yield items[i : i + _CHUNK]
