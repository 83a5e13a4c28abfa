"""In-memory backend: the Mailbox protocol over plain Python data, for tests.

Like vdirsyncer's ``MemoryStorage``, it keeps everything in a dict, yet it
behaves like the servers the agent really meets, so engine tests run on it
without a disk and without a server and still see what IMAP and Gmail do:

Server and client
    :class:`MemoryServer` is the mail store (what Dovecot or Gmail hold); a
    test acts on it "behind the agent's back" the way a mail server, another
    client or the user would: ``deliver``, ``delete``, ``set_flags``,
    ``set_labels``, ``replace_draft``, ``renumber``. :class:`MemoryMailbox`
    is the agent's connection to it: the :class:`~agent.backends.base.Mailbox`
    protocol, plus the optional ``Labeller`` (labels live on the server's
    messages) and ``AliasSource`` (``MemoryServer.aliases``). Several
    mailboxes may share one server, as successive polls share one account.

Identity
    ``"<role>/<uidvalidity>/<uid>"`` as on IMAP: UIDs grow per folder and are
    never reused; :meth:`MemoryServer.renumber` changes a folder's
    UIDVALIDITY and so every id in it (the engine must then resync in full and
    match drafts by Message-ID). A draft is never edited in place: an edit
    stores a new UID (:meth:`MemoryServer.replace_draft`), so a draft id names
    unchanging bytes and ``drafts(seen=...)`` may leave those bytes out.

Changes and the cursor
    Every change on the server (a delivery, a deletion, new flags or labels)
    takes the next number of one counter, like IMAP's MODSEQ or Gmail's
    historyId; a deletion is remembered (the last ``history`` of them, like
    QRESYNC's VANISHED or Gmail's history). The cursor names the server, its
    folders' UIDVALIDITY and the counter's value: ``changes`` reports the
    messages changed since then (as header blocks of
    :data:`~agent.backends.base.HEADER_FIELDS` only, like IMAP and Gmail;
    ``fetch`` gives the bodies) and the ids the cursor knew that are gone
    since. A cursor it cannot honour (unreadable, another server, a changed
    UIDVALIDITY, deletions older than the remembered ones) yields a full
    resync, as a real server's would.

The first-sync window
    As on IMAP: a full sync reports only the messages whose Date falls in the
    window (none lacking a Date is left out); later syncs report every message
    that arrived since, whatever its Date, and leave out a flag or label change
    on a message the window kept out. The cursor names the window's length
    (another one: a full resync). ``fetch_by_message_id`` finds any INBOX,
    Sent or All message by its Message-ID.

Reading never changes mail: ``changes``, ``fetch`` and ``drafts`` only read.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from email.parser import BytesParser
from email.policy import compat32
from email.utils import parsedate_to_datetime
from typing import NamedTuple

from agent.backends.base import HEADER_FIELDS, Fingerprint, keywords, message_id_of
from agent.errors import MailboxError
from agent.model import ALL, DRAFTS, INBOX, SENT, ChangeSet, DraftInfo, RawMessage
from agent.window import NO_WINDOW, Window, in_window

#: the folder roles ``changes`` reports (Drafts are listed by ``drafts`` instead)
READ_ROLES = (INBOX, SENT, ALL)
ROLES = (*READ_ROLES, DRAFTS)
#: deletions remembered for incremental syncs; an older cursor means a full resync
HISTORY = 10_000

_CURSOR_PREFIX = "mem1"
_WANTED = frozenset(h.lower() for h in HEADER_FIELDS)


@dataclass(frozen=True)
class StoredMessage:
    """One message as the server holds it."""

    id: str
    role: str
    data: bytes
    flags: frozenset[str] = frozenset()
    labels: frozenset[str] = frozenset()
    thread: str | None = None  # a server thread id (Gmail's threadId), if the test gives one
    modseq: int = 0  # the change counter's value at this message's last change
    arrived: int = 0  # the change counter's value when it was stored


class _Vanished(NamedTuple):
    """A deletion, remembered so an incremental sync can report it."""

    modseq: int
    id: str
    role: str
    arrived: int


class _Cursor(NamedTuple):
    """What a cursor names: the server it was made by, the UIDVALIDITY of the folders read,
    the change counter's value then and the window's length
    (``mem1:<server>:<v>.<v>.<v>:<counter>:<days>``)."""

    server: str
    validity: tuple[int, ...]  # UIDVALIDITY of READ_ROLES, in that order
    modseq: int
    window: int = 0

    def encode(self) -> str:
        return ":".join((_CURSOR_PREFIX, self.server, ".".join(map(str, self.validity)), str(self.modseq),
                         str(self.window)))

    @classmethod
    def decode(cls, cursor: str | None) -> _Cursor | None:
        parts = (cursor or "").split(":")
        if len(parts) != 5 or parts[0] != _CURSOR_PREFIX:
            return None
        try:
            validity = tuple(int(v) for v in parts[2].split("."))
            modseq, window = int(parts[3]), int(parts[4])
        except ValueError:
            return None
        return cls(parts[1], validity, modseq, window)


def header_block(data: bytes) -> bytes:
    """The :data:`HEADER_FIELDS` of ``data``, CRLF-terminated, ending in an empty line.

    What an IMAP server answers to ``BODY.PEEK[HEADER.FIELDS (...)]``: the
    wanted fields in their order, folds kept, nothing else. The stdlib parser
    (``compat32``, which keeps raw values) splits the block, so hostile
    headers are read the way the agent's own fallback reads them.
    """
    parsed = BytesParser(policy=compat32).parsebytes(data, headersonly=True)
    lines = [
        f"{name}: {value}".replace("\r\n", "\n").replace("\n", "\r\n") + "\r\n"
        for name, value in parsed.raw_items()
        if name.lower() in _WANTED
    ]
    return ("".join(lines) + "\r\n").encode("ascii", "surrogateescape")


class MemoryServer:
    """The mail data: folders of messages with UIDs, a change counter, remembered deletions.

    Thread-safe (one lock): a test may deliver mail while a service thread polls.
    """

    def __init__(self, *, aliases: Iterable[str] = (), history: int = HISTORY) -> None:
        self.token = secrets.token_hex(6)  # names this server in its cursors
        #: the user's other addresses, answered by ``MemoryMailbox.aliases``
        self.aliases: tuple[str, ...] = tuple(sorted({a.lower() for a in aliases}))
        self._history = history
        self._lock = threading.RLock()
        self._validity = dict.fromkeys(ROLES, 1)
        self._next_uid = dict.fromkeys(ROLES, 1)
        self._messages: dict[str, StoredMessage] = {}
        self._vanished: list[_Vanished] = []
        self._forgotten = 0  # the newest deletion no longer remembered
        self._modseq = 0

    # --- what other clients and the user do -----------------------------------------

    def deliver(self, role: str, data: bytes, *, flags: Iterable[str] = (), labels: Iterable[str] = (),
                thread: str | None = None) -> str:
        """Store a message in ``role``'s folder (as an MDA or another client would); return its id."""
        if role not in ROLES:
            raise ValueError(f"unknown folder role {role!r}")
        with self._lock:
            uid = self._next_uid[role]
            self._next_uid[role] = uid + 1
            mid = f"{role}/{self._validity[role]}/{uid}"
            modseq = self._tick()
            self._messages[mid] = StoredMessage(mid, role, bytes(data), frozenset(flags), frozenset(labels),
                                                thread, modseq, modseq)
            return mid

    def delete(self, message_id: str) -> bool:
        """Remove a message (the user deletes it; a draft is sent or discarded); False if absent."""
        with self._lock:
            gone = self._messages.pop(message_id, None)
            if gone is None:
                return False
            self._vanished.append(_Vanished(self._tick(), gone.id, gone.role, gone.arrived))
            if len(self._vanished) > self._history:
                dropped = self._vanished[: -self._history]
                del self._vanished[: -self._history]
                self._forgotten = dropped[-1].modseq
            return True

    def set_flags(self, message_id: str, flags: Iterable[str]) -> None:
        """Replace a message's flags (IMAP keywords such as ``Follow-up/Pause`` included);
        KeyError for a message that is not there."""
        if not self._change(message_id, flags=frozenset(flags)):
            raise KeyError(message_id)

    def set_labels(self, message_id: str, labels: Iterable[str]) -> None:
        """Replace a message's labels (Gmail-style names); KeyError for a message that is not there."""
        if not self._change(message_id, labels=frozenset(labels)):
            raise KeyError(message_id)

    def relabel(self, message_id: str, label: str, present: bool) -> None:
        """Add (``present``) or remove one label, in one step; a message that is gone is skipped."""
        with self._lock:
            old = self._messages.get(message_id)
            if old is not None:
                self.set_labels(message_id, old.labels | {label} if present else old.labels - {label})

    def replace_draft(self, draft_id: str, data: bytes) -> str:
        """The user edits a draft: a mail client stores the new version under a new UID and
        removes the old one (IMAP has no in-place edit); the thread stays. Returns the new id."""
        with self._lock:
            old = self.get(draft_id)
            if old is None or old.role != DRAFTS:
                raise KeyError(draft_id)
            new = self.deliver(DRAFTS, data, flags=old.flags, labels=old.labels, thread=old.thread)
            self.delete(draft_id)
            return new

    def renumber(self, role: str | None = None) -> None:
        """Change UIDVALIDITY (of one folder, or of all): every id in it changes, as after a
        server migration; cursors made before are not honoured any more."""
        with self._lock:
            for r in (role,) if role else ROLES:
                self._validity[r] += 1
                self._next_uid[r] = 1
                for old in sorted((m for m in self._messages.values() if m.role == r), key=_uid):
                    del self._messages[old.id]
                    self.deliver(r, old.data, flags=old.flags, labels=old.labels, thread=old.thread)

    # --- reading ----------------------------------------------------------------------

    def get(self, message_id: str) -> StoredMessage | None:
        """The message with this id, or None."""
        with self._lock:
            return self._messages.get(message_id)

    def messages(self, role: str | None = None) -> list[StoredMessage]:
        """The messages held (of one role), in UID order."""
        with self._lock:
            found = [m for m in self._messages.values() if role is None or m.role == role]
        return sorted(found, key=lambda m: (ROLES.index(m.role), _uid(m)))

    def threads(self) -> set[str]:
        """The server thread ids in use (a draft can only be filed into one of these)."""
        with self._lock:
            return {m.thread for m in self._messages.values() if m.thread}

    def snapshot(self) -> tuple[object, ...]:
        """Everything the server holds, comparable: a read that changed anything shows here."""
        with self._lock:
            return (self._modseq, tuple(sorted(self._validity.items())), tuple(sorted(self._next_uid.items())),
                    tuple(sorted((m.id, m.data, tuple(sorted(m.flags)), tuple(sorted(m.labels)), m.thread)
                                 for m in self._messages.values())))

    # --- for the client ---------------------------------------------------------------

    def sync(self, since: _Cursor | None) -> tuple[bool, list[StoredMessage], list[str], _Cursor]:
        """``(full, changed, gone, cursor)`` since ``since``, told in one step under the lock
        (so nothing that happens meanwhile is missed or told twice).

        ``full``: the cursor was not honoured and ``changed`` is every message read;
        else ``changed`` holds the messages changed after it and ``gone`` the ids it
        knew that were deleted since.
        """
        with self._lock:
            now = _Cursor(self.token, tuple(self._validity[r] for r in READ_ROLES), self._modseq)
            honoured = (since is not None and since.server == now.server and since.validity == now.validity
                        and self._forgotten <= since.modseq <= now.modseq)
            after = since.modseq if honoured and since is not None else 0
            changed = [m for m in self.messages() if m.role in READ_ROLES and m.modseq > after]
            gone = [v.id for v in self._vanished
                    if v.modseq > after and v.arrived <= after and v.role in READ_ROLES]
            return not honoured, changed, gone if honoured else [], now

    def state(self) -> str:
        """Which server, its folders' validity and next UIDs, and its change counter: every
        delivery, deletion or flag and label change moves one of them."""
        with self._lock:
            return repr((self.token, sorted(self._validity.items()), sorted(self._next_uid.items()),
                         self._modseq, self._forgotten))

    def _tick(self) -> int:
        self._modseq += 1
        return self._modseq

    def _change(self, message_id: str, *, flags: frozenset[str] | None = None,
                labels: frozenset[str] | None = None) -> bool:
        """Replace fields of a message (False: no such message); a real change takes the next
        counter value, so the next incremental sync reports the message again, as CONDSTORE
        or Gmail's history do."""
        with self._lock:
            old = self._messages.get(message_id)
            if old is None:
                return False
            new = replace(old, flags=old.flags if flags is None else flags,
                          labels=old.labels if labels is None else labels)
            if new != old:
                self._messages[message_id] = replace(new, modseq=self._tick())
            return True


def _uid(message: StoredMessage) -> int:
    return int(message.id.rpartition("/")[2])


class MemoryMailbox:
    """The :class:`~agent.backends.base.Mailbox` protocol over a :class:`MemoryServer`."""

    name = "memory"

    def __init__(self, server: MemoryServer | None = None) -> None:
        self.server = server if server is not None else MemoryServer()

    def changes(self, cursor: str | None, window: Window | None = None) -> ChangeSet:
        """Messages new or changed since ``cursor`` (header blocks) and those gone since; a full
        sync only those in ``window``, a later one leaves out changes to those it left out."""
        window = window or NO_WINDOW
        since = _Cursor.decode(cursor)
        if since is not None and since.window != window.days:
            since = None  # made with another window: a full resync
        full, changed, gone, now = self.server.sync(since)
        after = 0 if full or since is None else since.modseq
        kept = [m for m in changed if window.open or (m.arrived > after and not full)
                or in_window(_date(m.data), window)]
        return ChangeSet(added=tuple(map(_raw, kept)), removed=tuple(gone),
                         cursor=now._replace(window=window.days).encode(), full=full)

    def fetch_by_message_id(self, message_ids: Collection[str]) -> list[RawMessage]:
        """Header blocks of the INBOX, Sent and All messages with these Message-IDs."""
        wanted = set(message_ids)
        return [_raw(m) for m in self.server.messages() if m.role in READ_ROLES and message_id_of(m.data) in wanted]

    def fetch(self, ids: Iterable[str]) -> Mapping[str, bytes]:
        """Full bytes of these ids; unknown or deleted ids are left out."""
        found = (self.server.get(i) for i in dict.fromkeys(ids))
        return {m.id: m.data for m in found if m is not None}

    def fingerprint(self) -> Fingerprint:
        """The server's state, and its drafts: each draft's uid, flags and labels (an edit is
        a new uid, as on IMAP)."""
        drafts = [(d.id, sorted(d.flags), sorted(d.labels)) for d in self.server.messages(DRAFTS)]
        return Fingerprint(self.server.state(), repr((self.server.token, drafts)))

    def drafts(self, seen: Collection[str] = ()) -> list[DraftInfo]:
        """Every draft; those named in ``seen`` without their bytes (a draft id names
        unchanging content here, as on IMAP: an edit is a new id)."""
        return [DraftInfo(id=d.id, data=b"", thread_hint=d.thread, seen=True) if d.id in seen
                else DraftInfo(id=d.id, data=d.data, thread_hint=d.thread)
                for d in self.server.messages(DRAFTS)]

    def create_draft(self, data: bytes, thread_hint: str | None = None) -> str:
        """Store a draft, in the server thread ``thread_hint`` if it exists (Gmail files a draft
        naming an unknown thread outside any thread)."""
        thread = thread_hint if thread_hint in self.server.threads() else None
        return self.server.deliver(DRAFTS, data, flags=("\\Draft", "\\Seen"), thread=thread)

    def delete_draft(self, draft_id: str) -> None:
        """Remove one draft; a draft already gone is fine; any other id is refused."""
        if draft_id.partition("/")[0] != DRAFTS:
            raise MailboxError(f"Refusing to delete {draft_id!r}: it is not a draft id.")
        self.server.delete(draft_id)

    def set_label(self, ids: Sequence[str], label: str, present: bool) -> None:
        """Add or remove ``label`` on these messages; gone ids and drafts are skipped."""
        for mid in dict.fromkeys(ids):
            if mid.partition("/")[0] in READ_ROLES:
                self.server.relabel(mid, label, present)

    def aliases(self) -> tuple[str, ...]:
        """The user's other addresses, as the server knows them (Gmail's sendAs)."""
        return self.server.aliases

    def close(self) -> None:
        """Nothing to release: the data belongs to the server, which outlives its clients."""


def _raw(message: StoredMessage) -> RawMessage:
    return RawMessage(id=message.id, folder=message.role, data=header_block(message.data), headers_only=True,
                      thread_hint=message.thread, labels=message.labels | keywords(message.flags),
                      flags=message.flags)


def _date(data: bytes) -> datetime | None:
    """A message's Date, aware (UTC when it names no zone); None when absent or unreadable."""
    value = BytesParser(policy=compat32).parsebytes(data, headersonly=True).get("Date")
    try:
        when = parsedate_to_datetime(str(value)) if value else None
    except (TypeError, ValueError, IndexError):
        return None
    return when.replace(tzinfo=UTC) if when is not None and when.tzinfo is None else when
