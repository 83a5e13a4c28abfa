"""SQLite state: backend cursors, parsed-message cache, draft ledger, event log.

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
    * **Parsed bodies carry the parser's format** (meta ``message_format``
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
import fcntl
import json
import os
import sqlite3
import stat
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from agent.errors import AgentError, StateLockedError
from agent.model import MESSAGE_FORMAT, Message, RawMessage, utc

LEDGER_STATUSES = frozenset({"intended", "created", "withdrawn", "user_deleted", "sent", "edited"})
CONTROL_KINDS = frozenset({"pause", "snooze", "close", "mark", "note"})
_CHUNK = 500  # ids per IN (...) query, far below SQLite's variable limit
_MESSAGE_FORMAT_KEY = "message_format"


def now_iso(at: datetime | None = None) -> str:
    """``at`` (default: the real current time) as an ISO-8601 UTC string."""
    return utc(at if at is not None else datetime.now(UTC)).isoformat()


def parse_iso(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


# --- schema ---------------------------------------------------------------------------


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


#: Append-only. Step *n* (1-based) brings the schema from version n-1 to n.
MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [_v1, _v2, _v3]
SCHEMA_VERSION = len(MIGRATIONS)


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
class LedgerRow:
    """One draft the agent intended or made, and what became of it."""

    key: str
    conversation: str
    round: str
    step: str
    message_id: str
    draft_id: str | None
    content_hash: str | None
    status: str
    created_at: datetime
    updated_at: datetime
    reason: str


@dataclass(frozen=True)
class EventRow:
    seq: int
    ts: datetime
    conversation: str | None
    kind: str
    detail: str


@dataclass(frozen=True)
class ControlRow:
    seq: int
    conversation: str
    kind: str
    value: str
    at: datetime


@dataclass(frozen=True)
class Snapshot:
    at: datetime
    data: Any


# --- the lock -------------------------------------------------------------------------


class StateLock:
    """An exclusive, non-blocking ``flock`` on ``<db>.lock``.

    ``poll --once`` and the service take it for the whole cycle, so two agents
    never interleave mailbox writes and ledger updates. ``flock`` locks belong
    to the open file, are released by the kernel when the process dies (no
    stale lock after a crash) and are independent of SQLite's own locks.

    With ``create=False`` (dry runs, which must not write anything) a missing
    lock file is not created and the lock is simply not taken: there is then no
    state that a concurrent real poll could be changing under a reader.
    """

    def __init__(self, db_path: Path, *, create: bool = True) -> None:
        self.path = Path(str(db_path) + ".lock")
        self.create = create
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def acquire(self) -> StateLock:
        if self._fd is not None:
            return self
        flags = os.O_CLOEXEC
        try:
            if self.create:
                _make_private_dir(self.path.parent)
                fd = os.open(self.path, flags | os.O_RDWR | os.O_CREAT, 0o600)
            else:
                fd = os.open(self.path, flags | os.O_RDONLY)
        except FileNotFoundError:
            if self.create:
                raise
            return self
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = ""
            with contextlib.suppress(OSError, ValueError):
                pid = int(os.pread(fd, 32, 0).decode().strip() or "0")
                holder = f" by process {pid}" if pid else ""
            os.close(fd)
            raise StateLockedError(
                f"Another followup-agent process is running (lock held on {self.path}{holder}). "
                "Wait for it to finish, or stop the service before polling by hand."
            ) from None
        except BaseException:
            os.close(fd)
            raise
        if self.create:
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 0)
                os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd
        return self

    def release(self) -> None:
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        with contextlib.suppress(OSError):
            fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)

    def __enter__(self) -> StateLock:
        return self.acquire()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()


def _make_private_dir(path: Path) -> None:
    """Create ``path`` (0700) if missing; an existing folder is left as it is."""
    if path.is_dir():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        path.mkdir(mode=0o700)
    except FileExistsError:
        return
    os.chmod(path, 0o700)


def _make_private_file(path: Path) -> None:
    """Create the database file 0600 before SQLite does, or tighten an existing one."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o600)
    except FileExistsError:
        mode = stat.S_IMODE(os.stat(path).st_mode)
        if mode & 0o077:
            os.chmod(path, mode & 0o700)
        return
    os.close(fd)


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
                _make_private_dir(path.parent)
                _make_private_file(path)
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
        if self.get_meta(_MESSAGE_FORMAT_KEY) == str(MESSAGE_FORMAT):
            return
        with self.transaction() as db:
            rows = db.execute("SELECT id, json FROM messages WHERE raw IS NULL AND has_body = 1").fetchall()
            db.executemany("UPDATE messages SET has_body = 0, json = ? WHERE id = ?",
                           [(_without_body_mark(doc), mid) for mid, doc in rows])
            self.set_meta(_MESSAGE_FORMAT_KEY, str(MESSAGE_FORMAT))

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

    # --- meta -----------------------------------------------------------------------

    def get_meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str | None) -> None:
        """Set (or with ``None`` delete) one meta value."""
        with self.transaction() as db:
            if value is None:
                db.execute("DELETE FROM meta WHERE key = ?", (key,))
            else:
                db.execute(
                    "INSERT INTO meta(key, value) VALUES (?, ?) "
                    "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                    (key, value),
                )

    def get_cursor(self, backend: str) -> str | None:
        return self.get_meta(f"cursor:{backend}")

    def set_cursor(self, backend: str, cursor: str | None) -> None:
        self.set_meta(f"cursor:{backend}", cursor)

    def last_poll(self) -> datetime | None:
        return parse_iso(self.get_meta("last_poll"))

    def set_last_poll(self, at: datetime) -> None:
        self.set_meta("last_poll", now_iso(at))

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
        own = own or {}
        rows: list[tuple[str, str]] = []
        for mid, keys in links.items():
            mine = own.get(mid)
            rows.extend((k, mid) for k in keys if mine is None or k != "m:" + mine)
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

    # --- events -----------------------------------------------------------------------

    def add_event(
        self, conversation: str | None, kind: str, detail: str = "", *, at: datetime | None = None
    ) -> None:
        """Append to the log that ``explain`` reads. Nothing ever edits or deletes it."""
        with self.transaction() as db:
            db.execute(
                "INSERT INTO events(ts, conversation, kind, detail) VALUES (?, ?, ?, ?)",
                (now_iso(at), conversation, kind, detail),
            )

    def events(self, conversation: str | None = None, *, limit: int | None = None) -> list[EventRow]:
        """Events in order of writing (all, or one conversation's); ``limit`` keeps the newest."""
        sql = "SELECT seq, ts, conversation, kind, detail FROM events"
        params: list[Any] = []
        if conversation is not None:
            sql += " WHERE conversation = ?"
            params.append(conversation)
        sql += " ORDER BY seq DESC"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        rows = self._db.execute(sql, params).fetchall()
        return [EventRow(r[0], datetime.fromisoformat(r[1]), r[2], r[3], r[4]) for r in reversed(rows)]

    # --- snapshot -----------------------------------------------------------------------

    def save_snapshot(self, data: Any, *, at: datetime | None = None) -> None:
        """Keep the last poll's status view (any JSON value) for ``status --cached``."""
        with self.transaction() as db:
            db.execute(
                "INSERT OR REPLACE INTO snapshot(id, at, json) VALUES (1, ?, ?)",
                (now_iso(at), json.dumps(data, separators=(",", ":"), ensure_ascii=False)),
            )

    def load_snapshot(self) -> Snapshot | None:
        row = self._db.execute("SELECT at, json FROM snapshot WHERE id = 1").fetchone()
        return None if row is None else Snapshot(datetime.fromisoformat(row[0]), json.loads(row[1]))

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


def _chunks(items: Sequence[str]) -> Iterator[Sequence[str]]:
    for i in range(0, len(items), _CHUNK):
        yield items[i : i + _CHUNK]
