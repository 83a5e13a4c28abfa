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
import json
import os
import secrets
import socket
import time
import zlib
from collections.abc import Collection, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from agent.errors import MailboxError
from agent.model import DRAFTS, INBOX, SENT, ChangeSet, DraftInfo, RawMessage

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

    @classmethod
    def from_config(cls, cfg: MaildirConfig) -> MaildirMailbox:
        return cls(cfg.inbox, cfg.sent, cfg.drafts)

    # --- protocol ------------------------------------------------------------------

    def changes(self, cursor: str | None) -> ChangeSet:
        """What is new, re-flagged or gone in INBOX and Sent since ``cursor``.

        Drafts are not mail the agent reads as conversation evidence; they are
        listed by :meth:`drafts` instead.
        """
        seen = self._decode_cursor(cursor)
        current: dict[str, dict[str, str]] = {}
        entries: list[_Entry] = []
        for role in (INBOX, SENT):
            listing = self._list(role)
            current[role] = {u: e.flags for u, e in listing.items()}
            entries.extend(listing.values())

        full = seen is None
        previous = seen or {}
        if not full and current == previous:
            # nothing new, gone or re-flagged: the cursor stands as it was (not re-encoded)
            assert cursor is not None
            return ChangeSet(added=(), removed=(), cursor=cursor, full=False)
        changed = entries if full else [
            e for e in entries if previous.get(e.role, {}).get(e.unique) != e.flags]
        added: list[RawMessage] = []
        for entry in sorted(changed):
            raw = self._read_entry(entry, headers_only=True)
            if raw is None:  # vanished between listing and reading
                del current[entry.role][entry.unique]
                continue
            # a concurrent flag change may have been followed: record what was read
            current[entry.role][entry.unique] = "".join(sorted(raw.flags))
            added.append(raw)
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
        doc = {"roots": self._roots(), "seen": state}
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

