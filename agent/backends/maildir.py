"""Maildir backend: three local folders (INBOX, Sent, Drafts), e.g. kept in sync by mbsync.

Identity
    A message's stable id is ``"<role>/<unique>"`` where *unique* is the file
    name before the info suffix (``":2,FLAGS"``; ``"!2,"`` and ``";2,"`` are
    accepted too, as some tools write them on file systems that forbid colons).
    The Maildir spec keeps the unique part when a client changes flags (a
    rename) or moves a message from ``new/`` to ``cur/``, so the id survives
    both.

What a cursor records, and why no ``stat``
    Maildir messages are immutable by convention: a client that "edits" a
    message writes a new file under a new unique name and removes the old one;
    a flag change is a rename. Everything that can change is therefore visible
    in the directory listing alone, so the cursor is the set of
    ``unique -> flags`` seen per folder and a warm poll costs two ``scandir``
    calls per folder and no ``stat``, no ``open``: 20,000 messages are compared
    in a few milliseconds. A flag change is reported as a changed message
    (its ``RawMessage.flags`` differ; only that message's headers are re-read);
    a ``new/`` → ``cur/`` move with the same flags is not a change at all.
    The cursor is compressed JSON (unique names share long prefixes, so it
    shrinks about tenfold) and names the folder paths it was made for: a
    cursor made for other folders, or any cursor that does not decode, means a
    full resync.

The first-sync window
    A full sync reads the header block of a message only when it may fall in
    the window: a file delivered (by the time at the start of its Maildir
    name, else its mtime) more than :data:`DELIVERY_SLACK` before the window
    starts is left out unread, since its Date cannot be newer than its
    delivery; any other file's Date decides (lacking a Date, its delivery
    time). The cursor still lists the files left out, marked ``~``, so a later
    poll does not take them for new mail (a file new since the cursor is
    always taken, whatever its Date: a late delivery), and
    :meth:`MaildirMailbox.fetch_by_message_id` reads only their headers, newest
    first, when a conversation inside the window refers to one of them.

Reading never changes mail
    Only ``os.scandir`` and read-only opens (``O_NOATIME`` where the kernel
    allows it, so even access times stay put): no ``new/`` → ``cur/`` moves, no
    ``S`` flag, nothing that depends on access times. The only writes are the
    agent's drafts: created atomically (written in ``tmp/``, fsynced, then
    hard-linked into ``cur/`` with the ``D`` flag, as the spec asks) and
    deleted by id, and the delete refuses any id outside the Drafts folder.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import errno
import hashlib
import json
import os
import re
import secrets
import socket
import time
import zlib
from collections.abc import Collection, Iterable, Mapping
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from agent.backends.base import Fingerprint, message_id_of
from agent.errors import MailboxError
from agent.model import DRAFTS, INBOX, SENT, ChangeSet, DraftInfo, RawMessage
from agent.window import NO_WINDOW, Window, in_window

if TYPE_CHECKING:
    from agent.config import MaildirConfig

#: header blocks longer than this are cut (a pathological message must not
#: make a cold poll read megabytes; real header blocks are a few KiB)
HEADER_CAP = 256 * 1024
_CHUNK = 16 * 1024
_CURSOR_PREFIX = "md1:"
_INFO_SEPARATORS = (":2,", "!2,", ";2,")
_READ_FLAGS = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0)
_NOATIME = getattr(os, "O_NOATIME", 0)
#: a file delivered this long before the window starts is left out without reading it (a Date a
#: little after the delivery is a clock off by some hours; more is not a message in the window)
DELIVERY_SLACK = timedelta(days=2)
_OUTSIDE = "~"  # the cursor's mark on a file the window left out
_DELIVERED = re.compile(r"(\d{9,11})\.")
_DATE = re.compile(rb"^Date:[ \t]*([^\r\n]*(?:\r?\n[ \t][^\r\n]*)*)", re.IGNORECASE | re.MULTILINE)


_FLAG_CACHE: dict[str, str] = {}


def _flags(info: str) -> str:
    try:
        return _FLAG_CACHE[info]
    except KeyError:
        flags = "".join(sorted({c for c in info if c.isalpha()}))
        if len(_FLAG_CACHE) < 4096:
            _FLAG_CACHE[info] = flags
        return flags


def split_name(name: str) -> tuple[str, str]:
    """Split a Maildir file name into (unique, flags); flags are sorted letters.

    Only the experimental ``2,`` info semantics carry flags; a name without an
    info suffix (typical in ``new/``) has no flags.
    """
    for sep in _INFO_SEPARATORS:
        i = name.rfind(sep)
        if i > 0:
            return name[:i], _flags(name[i + 3 :])
    return name, ""


class _Entry(NamedTuple):
    """One message file as seen in a listing (no stat, no open)."""

    role: str
    unique: str
    flags: str
    path: str

    @property
    def id(self) -> str:
        return f"{self.role}/{self.unique}"


class MaildirMailbox:
    """The :class:`~agent.backends.base.Mailbox` protocol over three Maildir folders."""

    name = "maildir"

    def __init__(self, inbox: Path, sent: Path, drafts: Path) -> None:
        self._folders: dict[str, Path] = {
            INBOX: Path(inbox),
            SENT: Path(sent),
            DRAFTS: Path(drafts),
        }
        self._noatime = bool(_NOATIME)
        self._seq = 0
        self._window_days = 0  # the window of the last ``changes``, recorded in the cursor
        self._outside: list[_Entry] = []  # files the window left out (fetch_by_message_id reads these)

    @classmethod
    def from_config(cls, cfg: MaildirConfig) -> MaildirMailbox:
        return cls(cfg.inbox, cfg.sent, cfg.drafts)

    # --- protocol ------------------------------------------------------------------

    def changes(self, cursor: str | None, window: Window | None = None) -> ChangeSet:
        """What is new, re-flagged or gone in INBOX and Sent since ``cursor``.

        Drafts are not mail the agent reads as conversation evidence; they are
        listed by :meth:`drafts` instead.
        """
        window = window or NO_WINDOW
        self._window_days = window.days
        seen = self._decode_cursor(cursor)
        previous = seen or {}
        current: dict[str, dict[str, str]] = {}
        entries: list[_Entry] = []
        for role in (INBOX, SENT):
            listing = self._list(role)
            before = previous.get(role, {})
            # a file the window left out stays out (and marked) while the cursor lasts
            current[role] = {u: _OUTSIDE + e.flags if before.get(u, "").startswith(_OUTSIDE) else e.flags
                             for u, e in listing.items()}
            entries.extend(listing.values())
        self._outside = [e for e in entries if current[e.role][e.unique].startswith(_OUTSIDE)]

        full = seen is None
        if not full and current == previous:
            # nothing new, gone or re-flagged: the cursor stands as it was (not re-encoded)
            assert cursor is not None
            return ChangeSet(added=(), removed=(), cursor=cursor, full=False)
        changed = entries if full else [
            e for e in entries if previous.get(e.role, {}).get(e.unique) != current[e.role][e.unique]
            and not current[e.role][e.unique].startswith(_OUTSIDE)]
        added = self._read_changed(sorted(changed), current, window if full else NO_WINDOW)
        removed: list[str] = []
        if not full:
            for role, uniques in previous.items():
                now = current.get(role, {})
                removed.extend(f"{role}/{u}" for u in sorted(uniques) if u not in now)
        return ChangeSet(
            added=tuple(added),
            removed=tuple(removed),
            cursor=self._encode_cursor(current),
            full=full,
        )

    def _read_changed(self, changed: list[_Entry], current: dict[str, dict[str, str]],
                      window: Window) -> list[RawMessage]:
        """The header blocks of these files, those inside ``window``; ``current`` (the next
        cursor) learns what was read, and marks the files the window left out."""
        added: list[RawMessage] = []
        for entry in changed:
            if not window.open and not self._may_be_inside(entry, window):
                current[entry.role][entry.unique] = _OUTSIDE + entry.flags
                self._outside.append(entry)
                continue
            raw = self._read_entry(entry, headers_only=True)
            if raw is None:  # vanished between listing and reading
                del current[entry.role][entry.unique]
                continue
            if not window.open and not in_window(_date_of(raw.data) or _delivered(entry), window):
                current[entry.role][entry.unique] = _OUTSIDE + entry.flags
                self._outside.append(entry)
                continue
            # a concurrent flag change may have been followed: record what was read
            current[entry.role][entry.unique] = "".join(sorted(raw.flags))
            added.append(raw)
        return added

    @staticmethod
    def _may_be_inside(entry: _Entry, window: Window) -> bool:
        """False when the file was delivered well before the window: its Date cannot be inside."""
        delivered = _delivered(entry)
        return window.start is None or delivered is None or delivered >= window.start - DELIVERY_SLACK

    def fetch_by_message_id(self, message_ids: Collection[str]) -> list[RawMessage]:
        """The header blocks of the files the window left out that have these Message-IDs.

        Only those files are read (a file inside the window is in the store already), newest
        delivery first since a conversation's earlier messages are mostly just before the
        window, and the scan stops once every id is found."""
        wanted = set(message_ids)
        out: list[RawMessage] = []
        for entry in sorted(self._outside, key=lambda e: _delivered(e) or _EPOCH, reverse=True):
            if not wanted:
                break
            raw = self._read_entry(entry, headers_only=True)
            mid = message_id_of(raw.data) if raw is not None else None
            if raw is not None and mid in wanted:
                wanted.discard(mid)
                out.append(raw)
        return out

    def fetch(self, ids: Iterable[str]) -> Mapping[str, bytes]:
        """Full bytes of these ids; unknown or vanished ids are left out."""
        wanted: dict[str, list[str]] = {}
        for mid in ids:
            role, _, unique = mid.partition("/")
            if role in self._folders and unique:
                wanted.setdefault(role, []).append(unique)
        out: dict[str, bytes] = {}
        for role, uniques in wanted.items():
            listing = self._list(role)
            for unique in uniques:
                entry = listing.get(unique)
                if entry is None:
                    continue
                raw = self._read_entry(entry, headers_only=False)
                if raw is not None:
                    out[entry.id] = raw.data
        return out

    def fingerprint(self) -> Fingerprint:
        """The file names of the folders read (a name carries the message and its flags, all a
        sync compares), and of each draft its name, size and modification time too: a Maildir
        client may rewrite a draft in place."""
        whole, own = hashlib.sha256(), hashlib.sha256()
        for role in (INBOX, SENT, DRAFTS):
            digests = (whole, own) if role == DRAFTS else (whole,)
            for d in digests:
                d.update(f"\0{role}={self._folders[role]}".encode())
            for unique, entry in sorted(self._list(role).items()):
                part = f"\0{unique}:{entry.flags}"
                if role == DRAFTS:
                    with contextlib.suppress(OSError):  # gone meanwhile: its absence shows next time
                        st = os.stat(entry.path)
                        part += f":{st.st_size}:{st.st_mtime_ns}"
                for d in digests:
                    d.update(part.encode())
        return Fingerprint(whole.hexdigest(), own.hexdigest())

    def drafts(self, seen: Collection[str] = ()) -> list[DraftInfo]:
        """Every draft in the Drafts folder (``cur/`` and ``new/``), full bytes.

        ``seen`` is ignored: a Maildir client may rewrite a draft's file in place.
        """
        out: list[DraftInfo] = []
        for _unique, entry in sorted(self._list(DRAFTS).items()):
            raw = self._read_entry(entry, headers_only=False)
            if raw is not None:
                out.append(DraftInfo(id=entry.id, data=raw.data))
        return out

    def create_draft(self, data: bytes, thread_hint: str | None = None) -> str:
        """Deliver ``data`` into Drafts/cur with the ``D`` flag; return its id.

        Maildir delivery: write under ``tmp/`` with a fresh unique name, fsync,
        then ``link`` into ``cur/`` (a link never replaces an existing file, a
        rename would) and unlink the tmp name. A reader never sees a partial
        draft. ``thread_hint`` has no meaning in Maildir: threading comes from
        the draft's own In-Reply-To/References headers.
        """
        del thread_hint
        folder = self._folder(DRAFTS)
        unique = self._new_unique()
        tmp = folder / "tmp" / unique
        final = folder / "cur" / f"{unique}:2,D"
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o600)
            try:
                view = memoryview(data)
                while view:
                    n = os.write(fd, view)
                    view = view[n:]
                os.fsync(fd)
            finally:
                os.close(fd)
            try:
                os.link(tmp, final)
                os.unlink(tmp)
            except OSError as err:
                # file systems without hard links (some FUSE/SMB mounts)
                if err.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV, errno.EMLINK):
                    raise
                if final.exists():
                    raise
                os.rename(tmp, final)
            self._fsync_dir(folder / "cur")
        except OSError as err:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise MailboxError(f"Could not write a draft into the Maildir folder {folder}: {err}.") from err
        return f"{DRAFTS}/{unique}"

    def delete_draft(self, draft_id: str) -> None:
        """Remove one draft by id; an id that is already gone is not an error.

        Only ids in the Drafts folder are accepted: the agent must never be
        able to delete received or sent mail, whatever the caller passes.
        """
        role, _, unique = draft_id.partition("/")
        if role != DRAFTS or not unique or "/" in unique:
            raise MailboxError(f"Refusing to delete {draft_id!r}: it is not a draft id.")
        for _attempt in range(3):  # a concurrent flag change may rename it under us
            entry = self._list(DRAFTS).get(unique)
            if entry is None:
                return
            try:
                os.unlink(entry.path)
                return
            except FileNotFoundError:
                continue
            except OSError as err:
                raise MailboxError(f"Could not delete the draft {entry.path}: {err}.") from err

    def close(self) -> None:
        """Nothing to release: every call opens and closes its own files."""

    # --- listing and reading -------------------------------------------------------

    def _folder(self, role: str) -> Path:
        folder = self._folders[role]
        if not all((folder / sub).is_dir() for sub in ("cur", "new", "tmp")):
            raise MailboxError(
                f"The Maildir folder for {role} is missing or incomplete: {folder} "
                "(it must exist and hold cur/, new/ and tmp/)."
            )
        return folder

    def _list(self, role: str) -> dict[str, _Entry]:
        """unique -> entry for one folder; ``cur/`` wins over ``new/`` on a clash."""
        folder = self._folder(role)
        out: dict[str, _Entry] = {}
        for sub in ("new", "cur"):  # cur last, so it wins
            try:
                with os.scandir(folder / sub) as it:
                    for de in it:
                        if de.name.startswith("."):
                            continue
                        try:
                            if not de.is_file():
                                continue
                        except OSError:
                            continue
                        unique, flags = split_name(de.name)
                        out[unique] = _Entry(role, unique, flags, de.path)
            except FileNotFoundError as err:
                raise MailboxError(f"The Maildir folder for {role} disappeared: {folder / sub}.") from err
            except PermissionError as err:
                raise MailboxError(f"Cannot read the Maildir folder {folder / sub}: {err}.") from err
        return out

    def _read_entry(self, entry: _Entry, *, headers_only: bool) -> RawMessage | None:
        """Read one message; follow a concurrent rename once; None when gone."""
        path = entry.path
        for _attempt in range(3):
            try:
                data, complete = self._read(path, headers_only=headers_only)
            except FileNotFoundError:
                moved = self._list(entry.role).get(entry.unique)
                if moved is None:
                    return None
                entry, path = moved, moved.path
                continue
            except OSError as err:
                raise MailboxError(f"Cannot read the message file {path}: {err}.") from err
            return RawMessage(
                id=entry.id,
                folder=entry.role,
                data=data,
                headers_only=not complete,
                flags=frozenset(entry.flags),
            )
        return None

    def _open(self, path: str) -> int:
        if self._noatime:
            try:
                return os.open(path, _READ_FLAGS | _NOATIME)
            except PermissionError:
                # O_NOATIME is only allowed on one's own files; stop trying
                self._noatime = False
        return os.open(path, _READ_FLAGS)

    def _read(self, path: str, *, headers_only: bool) -> tuple[bytes, bool]:
        """(bytes, complete): the header block or the whole file.

        The header block ends at the first empty line (LF or CRLF). A file
        with no empty line is all header and therefore complete.
        """
        fd = self._open(path)
        with os.fdopen(fd, "rb", buffering=0) as f:
            if not headers_only:
                return f.read(), True
            buf = bytearray()
            while len(buf) < HEADER_CAP:
                chunk = f.read(_CHUNK)
                if not chunk:
                    return bytes(buf), True
                start = max(0, len(buf) - 3)
                buf += chunk
                end = _header_end(buf, start)
                if end is not None:
                    return bytes(buf[:end]), False
            return bytes(buf[:HEADER_CAP]), False

    # --- cursor ----------------------------------------------------------------------

    def _roots(self) -> dict[str, str]:
        return {role: os.path.abspath(self._folders[role]) for role in (INBOX, SENT)}

    def _encode_cursor(self, state: Mapping[str, Mapping[str, str]]) -> str:
        # sorted keys: similar names sit together and compress better
        doc = {"roots": self._roots(), "seen": state, "window": self._window_days}
        packed = zlib.compress(json.dumps(doc, separators=(",", ":"), sort_keys=True).encode(), 1)
        return _CURSOR_PREFIX + base64.urlsafe_b64encode(packed).decode("ascii")

    def _decode_cursor(self, cursor: str | None) -> dict[str, dict[str, str]] | None:
        """The seen map, or None when the cursor is absent, unreadable or foreign."""
        if not cursor or not cursor.startswith(_CURSOR_PREFIX):
            return None
        try:
            doc: Any = json.loads(zlib.decompress(base64.urlsafe_b64decode(cursor[len(_CURSOR_PREFIX) :])))
        except (ValueError, zlib.error, binascii.Error, UnicodeDecodeError):
            return None
        if not isinstance(doc, dict) or doc.get("roots") != self._roots():
            return None
        if doc.get("window", 0) != self._window_days:
            return None  # made with another window: a full resync lists what this one holds
        seen = doc.get("seen")
        if not isinstance(seen, dict):
            return None
        out: dict[str, dict[str, str]] = {}
        for role, mapping in seen.items():
            if role not in (INBOX, SENT) or not isinstance(mapping, dict):
                return None
            if not all(isinstance(k, str) and isinstance(v, str) for k, v in mapping.items()):
                return None
            out[role] = mapping
        return out

    # --- writing helpers ------------------------------------------------------------

    def _new_unique(self) -> str:
        """A unique name in the modern Maildir style: time, usec, pid, counter, random, host."""
        now = time.time()
        self._seq += 1
        host = socket.gethostname().replace("/", r"\057").replace(":", r"\072") or "localhost"
        return (
            f"{int(now)}.M{int((now % 1) * 1_000_000)}P{os.getpid()}"
            f"Q{self._seq}R{secrets.token_hex(8)}.{host}"
        )

    @staticmethod
    def _fsync_dir(path: Path) -> None:
        try:
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        except OSError:
            return
        try:
            os.fsync(fd)
        except OSError:
            pass
        finally:
            os.close(fd)


def _header_end(buf: bytearray, start: int) -> int | None:
    """Offset just past the empty line that ends the header block, or None."""
    best: int | None = None
    for sep in (b"\n\n", b"\n\r\n"):
        i = buf.find(sep, start)
        if i != -1 and (best is None or i + len(sep) < best):
            best = i + len(sep)
    if best is None and buf.startswith((b"\n", b"\r\n")):
        return 1 if buf.startswith(b"\n") else 2  # no headers at all
    return best



_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _delivered(entry: _Entry) -> datetime | None:
    """When the file was delivered: the seconds at the start of its Maildir name
    (``1700000000.M12P34.host``), else its mtime; None when neither can be read."""
    found = _DELIVERED.match(entry.unique)
    if found:
        return datetime.fromtimestamp(int(found[1]), UTC)
    try:
        return datetime.fromtimestamp(os.stat(entry.path).st_mtime, UTC)
    except OSError:
        return None


def _date_of(header: bytes) -> datetime | None:
    """The Date field of a header block, aware (UTC when it names no zone); None when absent
    or unreadable. Only this field: the full parse comes later, for the messages kept."""
    found = _DATE.search(header)
    if not found:
        return None
    try:
        when = parsedate_to_datetime(found[1].decode("ascii", "replace").strip())
    except (TypeError, ValueError, IndexError):
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)
