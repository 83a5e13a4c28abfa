"""IMAP backend: Gmail (app password or XOAUTH2) and any standards-compliant server.

Folders
    Found by their SPECIAL-USE attributes (``\\Sent``, ``\\Drafts``, ``\\All``,
    RFC 6154), else by XLIST's where offered, else (servers that mark nothing:
    Courier, older Cyrus) by well-known names in many languages
    (:mod:`agent.backends.folder_names`), with the personal NAMESPACE prefix
    ("INBOX.") and the hierarchy separator the server reports.
    ``imap.sent_folder``/``drafts_folder``/``all_folder`` win over all of it;
    :attr:`ImapMailbox.folder_sources` says how each folder was found. On Gmail
    (``X-GM-EXT-1``) the agent reads All Mail only (both directions in one
    folder); elsewhere INBOX and Sent. A Gmail message's role comes from its
    ``X-GM-LABELS`` as in the Gmail API backend (``\\Sent``: sent, else
    ``\\Inbox``: inbox, else all); drafts, which All Mail holds too, are left
    out of every search (``UNDRAFT``); label names are decoded from modified
    UTF-7; a bounce without threading headers gets no thread hint.

Identity
    ``"<role>/<uidvalidity>/<uid>"`` (a UID is only meaningful together with
    its folder's UIDVALIDITY), ``"gm/<X-GM-MSGID>"`` on Gmail (stable across
    labels and folders). Drafts are always ``"drafts/<uidvalidity>/<uid>"``.

Incremental sync
    The cursor is compressed JSON with, per folder: its name, UIDVALIDITY,
    UIDNEXT, message count, HIGHESTMODSEQ and the UID set seen (as ranges, so
    20,000 mostly contiguous UIDs take a few bytes). A warm poll with nothing
    new costs one ``STATUS`` per folder and no ``SELECT``. When something
    changed: new UIDs by ``UID SEARCH UID <uidnext>:*``; flag changes by
    CONDSTORE (``CHANGEDSINCE``); removals by QRESYNC ``VANISHED (EARLIER)``
    where enabled, else by comparing ``UID SEARCH ALL`` against the stored set
    (only when the message count says something went). A changed UIDVALIDITY,
    another account or another folder set makes the whole answer a full
    resync (``ChangeSet.full``): the engine then replaces what it knows, and
    drafts are matched by Message-ID, never by UID, so none is duplicated.

    Without CONDSTORE a flag change is not noticed (no cheap way to see it);
    new and removed messages still are.

The first-sync window
    A full sync lists a folder with ``UID SEARCH SINCE <date>`` (the window's
    start less a day, agent/window.py) instead of ``ALL``; on Gmail
    ``imap.gmail_query`` (by default the same window as ``newer_than:<n>d``)
    is ANDed to it through ``X-GM-RAW`` and, as before, narrows every later
    search too. The cursor records the window's length (another one: a full
    resync) and, per folder, how many messages the window left out, so the
    message count still tells an incremental sync whether anything went.
    Incremental syncs take every UID above the last seen, whatever its date.
    :meth:`ImapMailbox.fetch_by_message_id` finds older messages by ``UID
    SEARCH HEADER Message-ID`` (ORed, a batch at a time) in INBOX and Sent
    (Gmail: All Mail, without ``X-GM-RAW``, which would hide them again).

Reading changes nothing
    Folders are opened with EXAMINE (read-only), bodies with ``BODY.PEEK``:
    no ``\\Seen``, no ``\\Recent`` consumed, no expunge. The only writes are
    ``APPEND`` to Drafts and ``UID STORE +FLAGS \\Deleted`` + ``UID EXPUNGE``
    of one draft UID (never a plain ``EXPUNGE`` that would also remove the
    user's other deleted drafts, and never ``CLOSE``, which expunges), and,
    only with ``imap.labels = true``, ``set_label``: ``UID STORE
    +X-GM-LABELS``/``-X-GM-LABELS`` in All Mail on Gmail, else ``UID STORE
    +FLAGS``/``-FLAGS`` of that one keyword in the message's folder (skipped
    where ``PERMANENTFLAGS`` says the folder cannot keep keywords).

Sizes
    ``changes`` fetches only the header fields the pipeline reads, in UID
    batches of 2,000 (imapclient 4 refuses ``1:*``; Dovecot refuses very long
    UID lists), read straight off the connection (``imap_wire``: imaplib's
    and imapclient's general readers cost several times what the server
    does). ``fetch`` takes whole
    messages up to :data:`BIG_MESSAGE` bytes; for bigger ones it reads
    ``BODYSTRUCTURE`` and fetches the header and the text parts only, rebuilt
    into a small multipart message.

Connections
    Implicit TLS or STARTTLS with certificate and host name verification
    (``imap.ca_file`` for a private CA); plaintext only to loopback. A socket
    timeout on every operation. A lost connection (reset, timeout, server
    restart, ``BYE``) is retried with exponential backoff and jitter; a
    refused login or an unverifiable certificate is not (retrying cannot fix
    them and may lock the account).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import imaplib
import json
import os
import random
import re
import ssl
import threading
import time
import zlib
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar, cast

from imapclient import IMAPClient, SocketTimeout, imap_utf7
from imapclient.exceptions import IMAPClientError, LoginError
from imapclient.response_parser import parse_fetch_response

from agent.backends.base import HEADER_FIELDS, BatchSink, Fingerprint, keywords, message_id_of
from agent.backends.folder_names import match_role
from agent.backends.imap_uids import UidRuns
from agent.backends.imapclient_privates import (
    allow_long_lines,
    changed_since_raw,
    forget_selection,
    is_selected,
    list_special_use,
    uid_fetch_read,
    uid_fetch_send,
)
from agent.backends.retry import Backoff, GaveUp, TryAgain
from agent.errors import AuthError, MailboxError
from agent.model import ALL, DRAFTS, INBOX, SENT, ChangeSet, DraftInfo, RawMessage, build_raw
from agent.window import NO_WINDOW, Window, imap_since

if TYPE_CHECKING:
    from agent.config import Config, ImapConfig

T = TypeVar("T")
#: one message of a header FETCH reply: (uid, header block, flags, the FETCH items)
_HeaderRow = tuple[int, bytes, frozenset[str], Mapping[bytes, Any]]

HEADER_ITEM = "BODY.PEEK[HEADER.FIELDS (" + " ".join(h.upper() for h in HEADER_FIELDS) + ")]"
GMAIL_ITEMS = ("X-GM-MSGID", "X-GM-THRID", "X-GM-LABELS")

#: UIDs per header FETCH (see the module docstring)
HEADER_BATCH = 2000
#: Message-IDs per ``UID SEARCH OR HEADER Message-ID ...`` (fetch_by_message_id)
MSGID_BATCH = 25
#: UIDs per full-body FETCH (bodies are bigger; keep one response to a few MB)
BODY_BATCH = 50
#: messages bigger than this are fetched as header + text parts only
BIG_MESSAGE = 4 * 1024 * 1024
#: text parts bigger than this are left out of a big message
TEXT_PART_CAP = 1024 * 1024

# one header FETCH response as imaplib hands it over: the items, the header section last, a literal
_HEADER_RESPONSE = re.compile(
    rb"\d+ \((.*?)BODY\[HEADER\.FIELDS \([^)\]]*\)\] \{\d+\}", re.DOTALL | re.IGNORECASE
)
_HEADER_RESPONSE_EXACT = re.compile(
    rb"\d+ \(UID (\d+) FLAGS \(([^)]*)\) BODY\[HEADER\.FIELDS \([^)\]]*\)\] \{\d+\}", re.IGNORECASE
)
_UID_ITEM = re.compile(rb"(?:^|[ (])UID (\d+)", re.IGNORECASE)
_FLAGS_ITEM = re.compile(rb"(?:^|[ (])FLAGS \(([^)]*)\)", re.IGNORECASE)
_CURSOR_PREFIX = "imap2:"
#: the cursor before each folder was its own piece (one zlib stream for all): still read
_CURSOR_PREFIX_1 = "imap1:"
_DRAFT = "\\Draft"
_DRAFT_FLAGS = (b"\\Draft", b"\\Seen")
_APPENDUID = re.compile(rb"\[APPENDUID (\d+) ([\d:,]+)\]", re.IGNORECASE)
_SPECIAL = {SENT: b"\\sent", DRAFTS: b"\\drafts", ALL: b"\\all"}
# XLIST's names for the same roles (Gmail before RFC 6154; a few servers still offer only this)
_XLIST = {SENT: b"\\sent", DRAFTS: b"\\drafts", ALL: b"\\allmail"}
_OVERRIDE_KEY = {SENT: "imap.sent_folder", DRAFTS: "imap.drafts_folder", ALL: "imap.all_folder"}

# failures that a new connection may cure (reset, timeout, server restart, BYE)
_TRANSIENT: tuple[type[BaseException], ...] = (OSError, EOFError, imaplib.IMAP4.abort)


def _uid_list(uid_set: str) -> list[int]:
    """The UIDs of an APPENDUID set ("7", "7:9", "4,7:9"), in its order (RFC 4315: the order
    of the appended messages; a range runs upwards, as "9:7" is "7:9" in RFC 3501); [] when
    it cannot be read."""
    out: list[int] = []
    for part in uid_set.split(","):
        first, sep, last = part.partition(":")
        if not first.isdigit() or (sep and not last.isdigit()):
            return []
        lo, hi = sorted((int(first), int(last if sep else first)))
        out.extend(range(lo, hi + 1))
    return out


class _Fatal(Exception):
    """Raised inside an operation for a failure that retrying cannot fix."""


class _Resync(Exception):
    """A folder's UIDVALIDITY changed under an incremental sync: start over, full."""


# --- cursor ---------------------------------------------------------------------------


class _FolderState:
    """What the cursor remembers about one folder.

    The UID set and Gmail's msgid map are kept in their stored (compressed)
    form until something asks for them: a warm poll that finds a folder
    unchanged neither expands nor re-encodes them, so its cost does not grow
    with the mailbox.
    """

    def __init__(self, name: str, uidvalidity: int, uidnext: int, modseq: int | None,
                 uids: set[int] | None = None, msgids: dict[int, int] | None = None, *,
                 stored: Mapping[str, Any] | None = None, outside: int = 0, runs: UidRuns | None = None,
                 piece: str | None = None) -> None:
        self.name = name
        self._piece = piece if stored is not None else None  # the encoded form it was read from
        self.outside = outside  # messages the first-sync window left out (not in ``uids``)
        self.uidvalidity = uidvalidity
        self.uidnext = uidnext
        self.modseq = modseq
        self._runs = runs  # the UID set as runs (imap_uids.py): what an incremental sync works on
        empty = uids is None and stored is None and runs is None
        self._uids = set() if empty else uids
        self._msgids = msgids if msgids is not None or stored is not None else {}
        self._stored = stored  # the JSON this state was read from, while still true

    @property
    def uids(self) -> set[int]:
        """Every UID, expanded: only a full comparison against the server (or a test) needs it."""
        if self._uids is None:
            self._uids = set(self.runs)
        return self._uids

    @property
    def runs(self) -> UidRuns:
        """The UID set as runs, without expanding it (the cost follows the runs, not the UIDs)."""
        if self._runs is None:
            if self._uids is not None:
                self._runs = UidRuns.of(self._uids)
            else:
                assert self._stored is not None
                self._runs = UidRuns.parse(str(self._stored["uids"]))
        return self._runs

    @property
    def msgids(self) -> dict[int, int]:
        """Gmail only: uid -> X-GM-MSGID, so a vanished UID can be reported by its stable id."""
        if self._msgids is None:
            assert self._stored is not None
            gm = self._stored.get("gm")
            self._msgids = dict(zip(_undeltas(gm[0]), _undeltas(gm[1]), strict=True)) if gm else {}
        return self._msgids

    @property
    def count(self) -> int:
        if self._runs is not None:
            return len(self._runs)
        if self._uids is None and self._stored is not None and "n" in self._stored:
            return int(self._stored["n"])
        return len(self.uids)

    def to_json(self) -> dict[str, Any]:
        if self._stored is not None:
            return dict(self._stored)
        out: dict[str, Any] = {
            "name": self.name,
            "uv": self.uidvalidity,
            "next": self.uidnext,
            "ms": self.modseq,
            "uids": self.runs.text(),
            "n": self.count,
        }
        if self.outside:
            out["out"] = self.outside
        if self.msgids:
            pairs = sorted(self.msgids.items())
            out["gm"] = [_deltas([u for u, _ in pairs]), _deltas([m for _, m in pairs])]
        return out

    def piece(self) -> str:
        """This folder's part of the cursor, compressed on its own. An unchanged folder's is the
        piece it was read from, as it was: a change in INBOX re-encodes neither Sent nor a
        Gmail All Mail's msgid map (whose compression was most of a poll's cursor cost)."""
        if self._piece is None:
            text = json.dumps(self.to_json(), separators=(",", ":")).encode()
            self._piece = base64.urlsafe_b64encode(zlib.compress(text, 6)).decode("ascii")
        return self._piece

    @classmethod
    def from_json(cls, d: Mapping[str, Any], piece: str | None = None) -> _FolderState:
        ms = d.get("ms")
        if not isinstance(d["uids"], str) or ("gm" in d and len(d["gm"]) != 2):
            raise ValueError("not a folder state")
        return cls(str(d["name"]), int(d["uv"]), int(d["next"]), int(ms) if ms is not None else None,
                   None, None, stored=dict(d), outside=int(d.get("out", 0)), piece=piece)


def _unpiece(piece: Any) -> dict[str, Any]:
    """A folder's piece of the cursor (:meth:`_FolderState.piece`) as its JSON object."""
    doc = json.loads(zlib.decompress(base64.urlsafe_b64decode(str(piece))))
    if not isinstance(doc, dict):
        raise ValueError("not a folder state")
    return doc


def _deltas(values: list[int]) -> list[int]:
    """Sorted-ish integers as differences (they compress far better)."""
    return [v - p for v, p in zip(values, [0, *values[:-1]], strict=True)]


def _undeltas(deltas: Iterable[Any]) -> list[int]:
    out: list[int] = []
    total = 0
    for d in deltas:
        total += int(d)
        out.append(total)
    return out


def _compress_uids(uids: Iterable[int]) -> str:
    """``[1,2,3,7,9,10]`` → ``"1:3,7,9:10"`` (IMAP sequence-set syntax)."""
    out: list[str] = []
    run_start = prev = None
    for uid in sorted(uids):
        if prev is not None and uid == prev + 1:
            prev = uid
            continue
        if run_start is not None:
            out.append(f"{run_start}:{prev}" if prev != run_start else str(run_start))
        run_start = prev = uid
    if run_start is not None:
        out.append(f"{run_start}:{prev}" if prev != run_start else str(run_start))
    return ",".join(out)


def _expand_uids(text: str) -> Iterator[int]:
    """The inverse of :func:`_compress_uids` (also reads VANISHED replies); ``*`` is not allowed."""
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        lo, _, hi = part.partition(":")
        a, b = int(lo), int(hi or lo)
        if a > b:
            a, b = b, a
        yield from range(a, b + 1)


def _uid_ranges(uids: Sequence[int], size: int) -> Iterator[list[int]]:
    """Sorted UIDs in batches of ``size`` (a FETCH per batch)."""
    ordered = sorted(uids)
    for i in range(0, len(ordered), size):
        yield ordered[i : i + size]


# --- the backend --------------------------------------------------------------------


class ImapMailbox:
    """The :class:`~agent.backends.base.Mailbox` protocol over IMAP (see module docstring).

    ``credential`` returns the password (``auth = "password"``) or a current
    OAuth2 access token (``auth = "xoauth2"``); it is called at each login so
    a token provider can refresh. ``sleep`` and ``jitter`` are injectable so
    tests of the reconnect logic run without waiting. ``ignore_capabilities``
    (e.g. ``["QRESYNC"]``) makes the backend act as if the server lacked an
    extension: a way around a server's broken one, and how the tests prove
    every fallback against a server that has them all.
    """

    name = "imap"

    def __init__(
        self,
        cfg: ImapConfig,
        credential: Callable[[], str],
        *,
        sleep: Callable[[float], None] = time.sleep,
        jitter: Callable[[], float] = random.random,
        attempts: int = 5,
        backoff: float = 0.5,
        max_backoff: float = 30.0,
        ignore_capabilities: Iterable[str] = (),
    ) -> None:
        from agent.config import is_loopback

        if cfg.security not in ("tls", "starttls", "none"):
            raise MailboxError(f"imap.security = {cfg.security!r} is not one of tls, starttls, none.")
        if cfg.security == "none" and not is_loopback(cfg.host):
            # config refuses this already; a second check costs nothing
            raise MailboxError(
                f"imap.security = \"none\" to {cfg.host!r}: plaintext IMAP is only allowed to loopback."
            )
        self.cfg = cfg
        self._credential = credential
        self._sleep = sleep
        self._attempts = max(1, attempts)
        self._backoff = Backoff(self._attempts, backoff, max_backoff, sleep, jitter)
        self._ignored = frozenset(c.upper().encode() for c in ignore_capabilities)
        self._client: IMAPClient | None = None
        self._caps: frozenset[bytes] = frozenset()
        self._folders: dict[str, str] | None = None
        self._gm_uids: dict[str, tuple[int, int]] = {}  # gm msgid -> (uidvalidity, uid)
        self._kept: list[_FolderState] = []  # the cursor's folders, whose msgids fill _gm_uids on demand
        self._names: list[str] = []  # folder names seen at discovery (for error messages)
        self._sources: dict[str, str] = {}  # role -> how discovery found its folder (for doctor)
        self._lock = threading.RLock()
        self._window = NO_WINDOW  # the window of the current ``changes`` (recorded in the cursor)
        #: the STATUS the fingerprint just asked of each folder, for the sync that follows it (_changes)
        self._fresh_status: dict[str, dict[bytes, int]] = {}
        #: INBOX's EXAMINE reply while INBOX stays selected on that connection (_inbox_status_first)
        self._examined: tuple[IMAPClient, dict[bytes, Any]] | None = None

    @classmethod
    def from_config(cls, config: Config) -> ImapMailbox:
        """Build from the validated config, with secrets from :mod:`agent.secrets`."""
        cfg = config.imap
        if cfg is None:
            raise MailboxError("mailbox.backend = \"imap\" but the [imap] section is missing.")
        return cls(cfg, credential_provider(cfg))

    # --- properties -----------------------------------------------------------------

    @property
    def is_gmail(self) -> bool:
        return b"X-GM-EXT-1" in self._caps

    @property
    def capabilities(self) -> frozenset[bytes]:
        """The server's capabilities after login (connects if needed)."""
        return self._run("reading capabilities", lambda _c, _a: self._caps)

    @property
    def folder_sources(self) -> Mapping[str, str]:
        """role → how its folder was found: special-use, xlist, well-known name or configured."""
        return dict(self._sources)

    @property
    def where(self) -> str:
        return f"{self.cfg.host}:{self.cfg.port}"

    # --- protocol -------------------------------------------------------------------

    def changes(self, cursor: str | None, window: Window | None = None) -> ChangeSet:
        """New, re-flagged and removed messages since ``cursor`` (headers only); a full sync
        lists only ``window``."""
        previous = self._decode_cursor(cursor)
        self._window = window or NO_WINDOW

        def op(c: IMAPClient, _attempt: int) -> ChangeSet:
            try:
                return self._changes(c, previous)
            except _Resync:
                return self._changes(c, None)

        return self._run("reading new mail", op)

    def stream_changes(self, cursor: str | None, window: Window | None, sink: BatchSink) -> ChangeSet:
        """:meth:`changes`, a full sync's messages handed to ``sink`` per header FETCH batch
        (``StreamingMailbox``): a cold sync holds one batch of header blocks, not the mailbox.
        A lost connection starts the listing again (``sink.begin`` once more)."""
        previous = self._decode_cursor(cursor)
        self._window = window or NO_WINDOW

        def op(c: IMAPClient, _attempt: int) -> ChangeSet:
            try:
                return self._changes(c, previous, sink)
            except _Resync:
                return self._changes(c, None, sink)

        return self._run("reading new mail", op)

    def fingerprint(self) -> Fingerprint:
        """One STATUS per folder read and of Drafts, as a warm sync asks (with CONDSTORE,
        HIGHESTMODSEQ moves with every flag and keyword too); INBOX's figures from its EXAMINE,
        before the folders are listed, and INBOX left selected for the sync
        (:meth:`_inbox_status_first`). Without CONDSTORE also the
        undeleted drafts' UIDs: a draft flagged ``\\Deleted`` and left unexpunged changes no
        STATUS figure, yet ``drafts()`` no longer lists it. The drafts' part is Drafts' own
        figures (on Gmail a draft is in All Mail too, so it moves the whole as well)."""
        return self._run("checking for changes", self._fingerprint)

    def _fingerprint(self, c: IMAPClient, _attempt: int) -> Fingerprint:
        self._fresh_status = {}
        self._inbox_status_first(c)
        drafts = self._folder(c, DRAFTS)
        roles = [*self._read_roles(c), (DRAFTS, drafts)]
        self._leave_unless_examined(c)
        parts: list[Any] = [self._account(), self.is_gmail, self._window.days]
        for role, name in roles:
            st = dict(self._fresh_status.get(name) or self._status(c, name, self._condstore))
            self._fresh_status[name] = dict(st)
            if st.get(b"MESSAGES") == 0:
                # nothing to read in it whatever its UIDVALIDITY, which Courier invents anew, from
                # the clock, at each STATUS of a folder that never held a message
                st.pop(b"UIDVALIDITY", None)
            parts.append([role, name, sorted((k.decode(), v) for k, v in st.items())])
        own = [self._account(), parts[-1]]
        if not self._condstore:
            self._select(c, drafts, readonly=True)
            own.append(sorted(int(u) for u in c.search(["NOT", "DELETED"])))
            self._leave(c)
        return Fingerprint(json.dumps([*parts, *own[2:]]), json.dumps(own))

    def fetch_by_message_id(self, message_ids: Collection[str]) -> list[RawMessage]:
        """Header blocks of the INBOX and Sent (Gmail: All Mail) messages with these Message-IDs."""
        wanted = [m for m in dict.fromkeys(message_ids) if m.isascii() and m.isprintable()]
        if not wanted:
            return []
        return self._run("finding earlier messages", lambda c, _a: self._by_message_id(c, wanted))

    def fetch(self, ids: Iterable[str]) -> Mapping[str, bytes]:
        """Full bytes of these ids (big messages: header + text parts); gone ids are left out."""
        wanted = list(dict.fromkeys(ids))
        return self._run("fetching messages", lambda c, _a: self._fetch(c, wanted))

    def drafts(self, seen: Collection[str] = ()) -> list[DraftInfo]:
        """Every draft in the Drafts folder (not flagged ``\\Deleted``).

        Full bytes, except for drafts named in ``seen``: a UID (with its folder's
        UIDVALIDITY) always names the same bytes (an edited draft is stored anew
        under a new UID), so those are listed but not fetched again. Not on Gmail,
        whose drafts also carry their thread id in the same FETCH.
        """
        return self._run("listing drafts", lambda c, _a: self._drafts(c, frozenset(seen)))

    def create_draft(self, data: bytes, thread_hint: str | None = None) -> str:
        """APPEND ``data`` to Drafts with ``\\Draft \\Seen``; return its id.

        A retry after a connection lost mid-APPEND first looks for the
        draft's Message-ID: the server may have stored it before the cut, and
        a second APPEND would duplicate it. ``thread_hint`` cannot be set over
        IMAP (Gmail threads an appended draft by its headers).
        """
        del thread_hint
        data = _crlf(data)
        message_id = message_id_of(data)
        return self._run(
            "saving a draft", lambda c, attempt: self._create_draft(c, data, message_id, attempt)
        )

    def create_drafts(self, drafts: Sequence[tuple[bytes, str | None]]) -> list[str] | None:
        """Several drafts saved by one MULTIAPPEND (RFC 3502: all are saved, or none), where the
        server offers it and UIDPLUS, whose reply names each new UID in order; their ids, in
        order. None (nothing sent) where it does not: then each is saved on its own.

        A retry after a lost connection first looks for each draft's Message-ID, as
        :meth:`create_draft` does, and saves only those not found.
        """
        if not self._run("saving drafts", lambda c, _a: self._multiappends(c)):
            return None
        datas = [_crlf(data) for data, _hint in drafts]
        ids = [message_id_of(data) for data in datas]
        return self._run("saving drafts", lambda c, attempt: self._create_drafts(c, datas, ids, attempt))

    def _multiappends(self, c: IMAPClient) -> bool:
        del c  # connected: the capabilities are known
        return b"MULTIAPPEND" in self._caps and b"UIDPLUS" in self._caps

    def _create_drafts(self, c: IMAPClient, datas: list[bytes], ids: list[str | None], attempt: int) -> list[str]:
        name = self._folder(c, DRAFTS)
        saved: dict[int, str] = {}
        if attempt:  # the server may have stored them before the cut
            for i, mid in enumerate(ids):
                if mid and (existing := self._find_draft(c, name, mid)) is not None:
                    saved[i] = existing
        todo = [i for i in range(len(datas)) if i not in saved]
        if todo:
            self._leave(c)  # Courier refuses an APPEND to a folder selected read-only
            typ, data = c.multiappend(name, [{"msg": datas[i], "flags": _DRAFT_FLAGS} for i in todo])
            text = b" ".join(d if isinstance(d, bytes) else str(d).encode() for d in data)
            if str(typ).upper() != "OK":
                raise _Fatal(f"The IMAP server {self.where} refused to save the drafts in {name!r}: "
                             f"{text.decode(errors='replace')[:200]}")
            m = _APPENDUID.search(text)
            uids = _uid_list(m[2].decode()) if m else []
            if m is None or len(uids) != len(todo):  # no usable APPENDUID: each found by its Message-ID
                return [saved.get(i) or self._found_again(c, name, datas[i], ids[i]) for i in range(len(datas))]
            uv = int(m[1])
            saved.update((i, self._id(DRAFTS, uv, uid)) for i, uid in zip(todo, uids, strict=True))
        return [saved[i] for i in range(len(datas))]

    def _found_again(self, c: IMAPClient, name: str, data: bytes, message_id: str | None) -> str:
        found = (self._find_draft(c, name, message_id) if message_id else None) or \
            self._find_appended(c, name, data, 1)
        if found is None:
            raise _Fatal(f"The draft saved in {name!r} on {self.where} could not be found again.")
        return found

    def delete_draft(self, draft_id: str) -> None:
        """Remove one draft by id: UID STORE ``\\Deleted`` + UID EXPUNGE of that UID only."""
        role, uv, uid = _parse_id(draft_id)
        if role != DRAFTS or uv is None or uid is None:
            raise MailboxError(f"Refusing to delete {draft_id!r}: it is not a draft id.")
        self._run("deleting a draft", lambda c, _a: self._delete_draft(c, uv, uid))

    def set_label(self, ids: Sequence[str], label: str, present: bool) -> None:
        """Add (``present``) or remove ``label`` on these messages; gone ids are skipped.

        Gmail: ``UID STORE +X-GM-LABELS``/``-X-GM-LABELS`` in All Mail. Elsewhere the
        IMAP keyword ``label`` (``+FLAGS``/``-FLAGS``) in the message's folder, unless
        the folder cannot keep keywords (``PERMANENTFLAGS`` without ``\\*`` or the
        keyword). The folder is opened read-write for this one command and left
        at once; no other flag is touched. (A read-write SELECT takes the
        session-local ``\\Recent`` of new mail, as any mail client does.)
        """
        wanted = list(dict.fromkeys(ids))
        if wanted:
            self._run("labelling messages", lambda c, _a: self._set_label(c, wanted, label, present))

    def idle_wait(self, timeout: float) -> bool:
        """Wait up to ``timeout`` s on INBOX; True when new mail arrived (or may have).

        Uses IDLE (RFC 2177) where offered, else polls ``STATUS`` every few
        seconds. A lost connection returns True: the caller's poll will find
        out what happened (and reconnect with backoff).
        """
        with self._lock:
            try:
                c = self._connection()
                if b"IDLE" not in self._caps:
                    return self._poll_status(c, timeout)
                self._select(c, "INBOX", readonly=True)
                c.idle()
                closed = False
                try:
                    deadline = time.monotonic() + timeout
                    while (left := deadline - time.monotonic()) > 0:
                        # RFC 2177: re-issue IDLE at least every 29 minutes
                        wait = min(left, 29 * 60)
                        started = time.monotonic()
                        responses = c.idle_check(timeout=wait)
                        for resp in responses:
                            if resp and resp[0] == b"BYE":  # the server is going away
                                closed = True
                                return True
                            if len(resp) >= 2 and resp[1] in (b"EXISTS", b"RECENT"):
                                return True
                        if not responses and time.monotonic() - started < wait / 2:
                            # imapclient answers [] at once on end-of-file: the
                            # connection is gone, not quiet
                            closed = True
                            return True
                    return False
                finally:
                    if closed:
                        self._drop()
                    else:
                        c.idle_done()
            except (*_TRANSIENT, IMAPClientError):
                self._drop()
                return True

    def close(self) -> None:
        """Log out (best effort) and forget the connection."""
        with self._lock:
            client, self._client = self._client, None
            self._folders = None
            if client is not None:
                try:
                    client.logout()
                except Exception:
                    with contextlib.suppress(Exception):
                        client.shutdown()

    def __enter__(self) -> ImapMailbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- connection and retry -------------------------------------------------------

    def _run(self, what: str, op: Callable[[IMAPClient, int], T]) -> T:
        """Run ``op`` on a live connection, reconnecting with backoff on transient failures."""
        with self._lock:
            try:
                return self._backoff.run(lambda attempt: self._attempt(what, op, attempt))
            except GaveUp as err:
                raise MailboxError(
                    f"Lost the connection to the IMAP server {self.where} while {what} "
                    f"({self._attempts} attempts): {err.reason}."
                ) from None

    def _attempt(self, what: str, op: Callable[[IMAPClient, int], T], attempt: int) -> T:
        """One try of ``op``: a lost connection asks for another; every other failure is final."""
        try:
            return op(self._connection(), attempt)
        except MailboxError:
            raise
        except _Fatal as err:
            self._drop()
            raise MailboxError(str(err)) from None
        except ssl.SSLCertVerificationError as err:
            self._drop()
            raise MailboxError(
                f"The certificate of {self.where} could not be verified "
                f"({err.verify_message or err.reason}). If the server uses a private CA, "
                "set imap.ca_file to its certificate."
            ) from None
        except LoginError as err:
            self._drop()
            raise AuthError(
                f"The IMAP server {self.where} refused the login of {self.cfg.username!r} "
                f"({_server_text(err)}). Check the password or token and where it comes from "
                "(README: secrets)."
            ) from None
        except _TRANSIENT as err:
            self._drop()
            raise TryAgain(_describe(err)) from None
        except IMAPClientError as err:
            # a NO/BAD for this command: the connection itself is fine
            raise MailboxError(
                f"The IMAP server {self.where} refused an operation while {what}: "
                f"{_server_text(err)}."
            ) from None

    def _connection(self) -> IMAPClient:
        if self._client is None:
            self._client = self._connect()
        return self._client

    def _drop(self) -> None:
        client, self._client = self._client, None
        self._folders = None
        if client is not None:
            with contextlib.suppress(Exception):
                client.shutdown()

    def _tls_context(self) -> ssl.SSLContext:
        ca = str(self.cfg.ca_file) if self.cfg.ca_file else None
        ctx = ssl.create_default_context(cafile=ca)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        return ctx

    def _connect(self) -> IMAPClient:
        cfg = self.cfg
        timeout = SocketTimeout(connect=cfg.timeout, read=cfg.timeout)
        allow_long_lines()  # a large folder's UID SEARCH ALL is one line of megabytes
        if cfg.security == "tls":
            client = IMAPClient(cfg.host, cfg.port, ssl=True, ssl_context=self._tls_context(), timeout=timeout)
        else:
            client = IMAPClient(cfg.host, cfg.port, ssl=False, timeout=timeout)
        try:
            if cfg.security == "starttls":
                if not client.has_capability("STARTTLS"):
                    raise _Fatal(
                        f"The IMAP server {self.where} does not offer STARTTLS; refusing to log in "
                        "without encryption. Use imap.security = \"tls\" with the server's TLS port."
                    )
                client.starttls(self._tls_context())
            secret = self._credential()
            if cfg.auth == "xoauth2":
                self._oauth2_login(client, secret)
            elif not secret.isascii() and client.has_capability("AUTH=PLAIN"):
                client.plain_login(cfg.username, secret)  # LOGIN cannot carry non-ASCII
            else:
                client.login(cfg.username, secret)
            del secret
            self._caps = _usable(frozenset(c.upper() for c in client.capabilities()) - self._ignored)
            if b"QRESYNC" in self._caps:
                client.enable("QRESYNC")  # VANISHED replies; implies CONDSTORE
            self._folders = None
            self._examined = None
        except BaseException:
            with contextlib.suppress(Exception):
                client.shutdown()
            raise
        return client

    def _oauth2_login(self, client: IMAPClient, token: str) -> None:
        """XOAUTH2, and once more with a fresh token when the server refuses one the provider
        still thought valid (revoked or expired early at the server: a clock skew, a password
        change). A second refusal is the user's to settle (LoginError → AuthError)."""
        try:
            client.oauth2_login(self.cfg.username, token)
        except LoginError:
            invalidate = getattr(self._credential, "invalidate", None)
            if invalidate is None:
                raise
            invalidate()
            client.oauth2_login(self.cfg.username, self._credential())

    # --- folders ----------------------------------------------------------------------

    def _folder(self, c: IMAPClient, role: str) -> str:
        if role == INBOX:
            return "INBOX"
        if self._folders is None:
            self._folders = self._discover(c)
        name = self._folders.get(role)
        if name is None:
            flag = {SENT: "\\Sent", DRAFTS: "\\Drafts", ALL: "\\All"}[role]
            raise _Fatal(
                f"The IMAP server {self.where} marks no folder as {flag} "
                f"(SPECIAL-USE or XLIST) and has none of the well-known {role} folder names, so the "
                f"{role} folder is unknown. Set {_OVERRIDE_KEY[role]} to "
                f"its name. Folders on the server: {', '.join(sorted(self._names)) or 'none'}."
            )
        return name

    def _discover(self, c: IMAPClient) -> dict[str, str]:
        """role → folder name: overrides, then SPECIAL-USE, XLIST, well-known names.

        Each found role's way is kept in :attr:`folder_sources` for ``doctor``.
        Servers without SPECIAL-USE (Courier, older Cyrus) mark nothing, so the
        names are the only clue there; the personal namespace prefix
        ("INBOX." on Courier) and the hierarchy separator come from the server.
        """
        rows = self._listing(c)
        self._names = [name for _flags, _delim, name in rows]
        found, sources = _by_attributes(rows, _SPECIAL, "special-use")
        if b"XLIST" in self._caps and len(found) < len(_SPECIAL):
            self._add_missing(found, sources, *_by_attributes(self._xlist(c), _XLIST, "xlist"))
        prefix, delimiter = self._namespace(c, rows)
        for role in (SENT, DRAFTS):
            name = match_role(role, self._names, prefix, delimiter)
            if role not in found and name is not None:
                found[role], sources[role] = name, "well-known name"
        self._apply_overrides(found, sources)
        self._sources = sources
        return found

    @staticmethod
    def _add_missing(found: dict[str, str], sources: dict[str, str],
                     more: dict[str, str], more_sources: dict[str, str]) -> None:
        for role, name in more.items():
            if role not in found:
                found[role], sources[role] = name, more_sources[role]

    def _listing(self, c: IMAPClient) -> list[tuple[frozenset[bytes], str, str]]:
        """(lower-case attributes, delimiter, name) of every folder; attributes asked for if hidden."""
        rows = _list_folders(c)
        if b"SPECIAL-USE" in self._caps and not any(
            f in _SPECIAL.values() for flags, _d, _n in rows for f in flags
        ):
            # RFC 6154 lets servers show the attributes only when asked for
            with contextlib.suppress(IMAPClientError):
                rows = _list_folders(c, special_use=True) or rows
        return rows

    def _xlist(self, c: IMAPClient) -> list[tuple[frozenset[bytes], str, str]]:
        """XLIST rows (Gmail's and some older servers' pre-standard SPECIAL-USE); [] on failure."""
        try:
            return _rows(c.xlist_folders())
        except IMAPClientError:
            return []

    def _namespace(self, c: IMAPClient, rows: Sequence[tuple[frozenset[bytes], str, str]]) -> tuple[str, str | None]:
        """(personal namespace prefix, hierarchy separator): NAMESPACE where offered, else LIST's."""
        if b"NAMESPACE" not in self._caps:
            return _personal_namespace(None, rows)
        try:
            personal = c.namespace().personal
        except IMAPClientError:
            personal = None  # advertised but refused: behave as if not offered
        return _personal_namespace(personal, rows)

    def _apply_overrides(self, found: dict[str, str], sources: dict[str, str]) -> None:
        """The config's ``imap.*_folder`` win over anything found; a missing one is fatal."""
        overrides = {SENT: self.cfg.sent_folder, DRAFTS: self.cfg.drafts_folder, ALL: self.cfg.all_folder}
        for role, override in overrides.items():
            if override is None:
                continue
            if override not in self._names:
                raise _Fatal(
                    f"{_OVERRIDE_KEY[role]} = {override!r}: no such folder on {self.where}. "
                    f"Folders on the server: {', '.join(sorted(self._names)) or 'none'}."
                )
            found[role], sources[role] = override, "configured"

    def _read_roles(self, c: IMAPClient) -> list[tuple[str, str]]:
        if self.is_gmail:
            return [(ALL, self._folder(c, ALL))]
        return [(INBOX, "INBOX"), (SENT, self._folder(c, SENT))]

    # --- changes ----------------------------------------------------------------------

    def _account(self) -> str:
        return f"{self.cfg.username}@{self.cfg.host}:{self.cfg.port}"

    def _changes(self, c: IMAPClient, previous: dict[str, Any] | None, sink: BatchSink | None = None) -> ChangeSet:
        """What changed in the folders read: one STATUS each, and only a folder whose STATUS
        shows a change is opened (:meth:`_sync_folder`). A full sync with a ``sink`` hands its
        messages there, batch by batch, instead of into ``added``."""
        self._inbox_status_first(c)
        roles = self._read_roles(c)
        self._leave_unless_examined(c)  # STATUS must see other clients' changes (see _leave)
        status = {role: self._status_once(c, name) for role, name in roles}
        old, full = self._cursor_state(previous, roles)
        self._gm_uids = {}  # this poll's sync fills it; the cursor's map comes second (_gm_uid)
        self._kept = list(old.values())  # Gmail: fetch() finds a message by its msgid without a SEARCH
        # a rebuilt folder (UIDVALIDITY) or another folder: start over
        full = full or any(
            old[role].name != name or old[role].uidvalidity != status[role][b"UIDVALIDITY"]
            for role, name in roles
        )
        added: list[RawMessage] = []
        removed: list[str] = []
        new_state: dict[str, _FolderState] = {}
        sink = sink if full else None
        if sink is not None:
            sink.begin()
        for role, name in roles:
            prev = None if full else old[role]
            if prev is not None and self._unchanged(prev, status[role]):
                new_state[role] = prev
                continue
            new_state[role], got, gone = self._sync_folder(c, role, name, prev, sink)
            added.extend(got)
            removed.extend(gone)
        mail = tuple(raw for raw in added if _DRAFT not in raw.flags)  # drafts() lists those
        return ChangeSet(added=mail, removed=tuple(removed), cursor=self._encode_cursor(new_state), full=full)

    def _cursor_state(
        self, previous: dict[str, Any] | None, roles: list[tuple[str, str]]
    ) -> tuple[dict[str, _FolderState], bool]:
        """The cursor's folder states, and whether it asks for a full sync anyway.

        Full: no cursor, another account, Gmail then not (or the reverse), an
        unreadable cursor, another set of folders (whose states are still
        returned: Gmail's msgid map in them spares a SEARCH in ``fetch``).
        """
        if previous is None or previous.get("account") != self._account():
            return {}, True
        if bool(previous.get("gmail")) != self.is_gmail or previous.get("window", 0) != self._window.days:
            return {}, True
        try:
            pieces = previous.get("pieces", {})
            old = {r: _FolderState.from_json(d, pieces.get(r)) for r, d in previous["folders"].items()}
        except (KeyError, TypeError, ValueError, AttributeError):
            return {}, True
        return old, set(old) != {r for r, _ in roles}

    def _status(self, c: IMAPClient, name: str, condstore: bool) -> dict[bytes, int]:
        items = [b"UIDVALIDITY", b"UIDNEXT", b"MESSAGES"] + ([b"HIGHESTMODSEQ"] if condstore else [])
        raw = c.folder_status(name, items)
        return {k.upper(): int(v) for k, v in raw.items()}

    def _inbox_status_first(self, c: IMAPClient) -> None:
        """INBOX examined before the session's first LIST (folder discovery): its figures kept
        for :meth:`_status_once` as STATUS gives them, and INBOX left selected for the sync
        (:meth:`_examined_inbox`). Nothing on Gmail (All Mail is read) or once the folders are
        known; STATUS instead where EXAMINE does not give every figure STATUS would.

        Why: once a session has listed its folders, Dovecot opens a Maildir INBOX far more
        slowly for the rest of it (at 250,000 messages: 4 ms before any LIST, 70-110 ms after
        one, whatever the LIST asked), and right after a delivery each open rescans the folder
        again. Examined first and read in place, INBOX is opened once per poll (at 100,000
        messages, 5 new messages: 0.13 s against 0.24-0.32 s). RFC 3501 names INBOX: it needs
        no discovery."""
        if self.is_gmail or self._folders is not None or "INBOX" in self._fresh_status:
            return
        self._leave(c)
        info = self._select(c, "INBOX", readonly=True)
        wanted = (b"UIDVALIDITY", b"UIDNEXT", b"EXISTS") + ((b"HIGHESTMODSEQ",) if self._condstore else ())
        if any(_int(info.get(k)) is None for k in wanted):
            self._leave(c)
            self._fresh_status["INBOX"] = self._status(c, "INBOX", self._condstore)
            return
        self._fresh_status["INBOX"] = {(b"MESSAGES" if k == b"EXISTS" else k): int(info[k]) for k in wanted}
        self._examined = (c, info)

    def _examined_inbox(self, c: IMAPClient, name: str) -> dict[bytes, Any]:
        """``name`` examined: INBOX's reply kept by :meth:`_inbox_status_first` when it is still
        the folder selected on this connection (taken once), else a new EXAMINE."""
        kept, self._examined = self._examined, None
        if name == "INBOX" and kept is not None and kept[0] is c and is_selected(c):
            return kept[1]
        return self._select(c, name, readonly=True)

    def _leave_unless_examined(self, c: IMAPClient) -> None:
        """:meth:`_leave`, except while INBOX stays selected from :meth:`_inbox_status_first`:
        then STATUS is asked of other folders only (INBOX's figures are kept), which the
        selection does not skew."""
        if self._examined is None or self._examined[0] is not c or "INBOX" not in self._fresh_status:
            self._leave(c)

    def _status_once(self, c: IMAPClient, name: str) -> dict[bytes, int]:
        """The folder's STATUS: the one the fingerprint (or :meth:`_inbox_status_first`) took
        moments before, once, else asked.

        Why not ask again: right after a delivery Dovecot rescans a Maildir folder at each
        open for about a second (it moved the new files itself), 30-50 ms at 100,000 messages,
        and a poll that asked the fingerprint would pay that twice over for the same figures.
        Mail that came in between is missed by this sync only: the fingerprint kept for the
        next poll is the one taken before it, so the next poll reads it."""
        st = self._fresh_status.pop(name, None)
        return st if st is not None else self._status(c, name, self._condstore)

    def _unchanged(self, prev: _FolderState, st: Mapping[bytes, int]) -> bool:
        """STATUS alone shows nothing new, gone or (with CONDSTORE) re-flagged."""
        if self.is_gmail:
            return False if prev.modseq is None else (
                st.get(b"HIGHESTMODSEQ") == prev.modseq and st.get(b"UIDNEXT") == prev.uidnext
            )
        same = st.get(b"UIDNEXT") == prev.uidnext and st.get(b"MESSAGES") == prev.count + prev.outside
        if b"HIGHESTMODSEQ" in st and prev.modseq is not None:
            same = same and st[b"HIGHESTMODSEQ"] == prev.modseq
        return same

    def _search(self, c: IMAPClient, criteria: list[Any]) -> list[int]:
        if self.is_gmail:
            # All Mail holds the drafts too (flagged \Draft): they are not conversation mail
            criteria = [*criteria, b"UNDRAFT"]
            if self.cfg.gmail_query:
                criteria += [b"X-GM-RAW", self.cfg.gmail_query]
                return [int(u) for u in c.search(criteria, charset="UTF-8")]
        return [int(u) for u in c.search(criteria)]

    @property
    def _condstore(self) -> bool:
        return b"CONDSTORE" in self._caps or b"QRESYNC" in self._caps

    def _sync_folder(
        self, c: IMAPClient, role: str, name: str, prev: _FolderState | None, sink: BatchSink | None = None
    ) -> tuple[_FolderState, list[RawMessage], list[str]]:
        """One folder: (new state, new or changed messages, removed ids); a full listing's
        messages go to ``sink`` instead, when there is one."""
        info = self._examined_inbox(c, name)  # EXAMINE: nothing changes
        uv = int(info[b"UIDVALIDITY"])
        modseq = _int(info.get(b"HIGHESTMODSEQ")) if self._condstore else None
        if prev is None:
            since = imap_since(self._window)
            every = self._search(c, ["ALL"] if since is None else ["SINCE", since])
            msgids: dict[int, int] = {}
            got: list[RawMessage] = []
            for pairs in self._header_batches(c, role, uv, every):
                msgids.update(_msgids(pairs))
                if sink is None:
                    got.extend(raw for _uid, raw in pairs)
                else:  # written down by the caller and dropped before the next batch is read
                    sink.add([raw for _uid, raw in pairs if _DRAFT not in raw.flags])
            nxt = max(int(info.get(b"UIDNEXT", 0)), max(every, default=0) + 1)
            # the messages the window left out, so that the count still shows what goes (_sync_since)
            outside = 0 if since is None or self.is_gmail else max(0, int(info.get(b"EXISTS", 0)) - len(every))
            state = _FolderState(name, uv, nxt, modseq, None, msgids, outside=outside, runs=UidRuns.of(every))
            return state, got, []
        if uv != prev.uidvalidity:
            raise _Resync
        return self._sync_since(c, role, prev, info, modseq)

    def _sync_since(
        self, c: IMAPClient, role: str, prev: _FolderState, info: Mapping[bytes, Any], modseq: int | None
    ) -> tuple[_FolderState, list[RawMessage], list[str]]:
        """A folder known from the cursor: what is new, re-flagged and gone since.

        The cursor's UIDs stay runs (:class:`UidRuns`): the new UIDs are added
        and the vanished ones dropped without expanding the set, and when
        EXISTS agrees with that arithmetic no ``UID SEARCH ALL`` is asked. Only
        a count that disagrees (a removal QRESYNC did not report) or Gmail
        (whose query narrows the set) compares the whole set with the server."""
        new = sorted(u for u in self._search(c, ["UID", f"{prev.uidnext}:*"]) if u >= prev.uidnext)
        changed, vanished = self._flag_changes(c, prev, modseq)
        runs = prev.runs.without(vanished)
        if self.is_gmail or int(info.get(b"EXISTS", 0)) != len(runs) + len(new) + prev.outside:
            return self._sync_compared(c, role, prev, info, modseq, (set(new), changed, vanished))
        gone = sorted(u for u in vanished if u in prev.runs)
        pairs = self._fetch_headers(c, role, prev.uidvalidity, sorted({u for u in changed if u in runs} | set(new)))
        nxt = max(int(info.get(b"UIDNEXT", 0)), (new[-1] + 1) if new else 0, prev.uidnext)
        state = _FolderState(prev.name, prev.uidvalidity, nxt, modseq, None, {}, runs=runs.union(new),
                             outside=prev.outside)
        return state, [raw for _u, raw in pairs], [self._id(role, prev.uidvalidity, u) for u in gone]

    def _sync_compared(
        self, c: IMAPClient, role: str, prev: _FolderState, info: Mapping[bytes, Any], modseq: int | None,
        seen: tuple[set[int], set[int], set[int]],
    ) -> tuple[_FolderState, list[RawMessage], list[str]]:
        """:meth:`_sync_since` when the count disagrees, or on Gmail: ``UID SEARCH ALL`` compared
        with the cursor's whole UID set (``seen``: the new, re-flagged and vanished UIDs so far)."""
        uv = prev.uidvalidity
        new, changed, vanished = seen
        everything = set(self._search(c, ["ALL"]))
        vanished = vanished | (prev.uids - everything)
        new |= {u for u in everything - prev.uids if u >= prev.uidnext}
        known = prev.uids & everything - vanished
        outside = 0 if self.is_gmail or not prev.outside else len(everything - known - new)
        pairs = self._fetch_headers(c, role, uv, sorted((changed & known) | new))
        uids = known | new
        nxt = max(int(info.get(b"UIDNEXT", 0)), max(uids, default=0) + 1, prev.uidnext)
        msgids = {u: m for u, m in prev.msgids.items() if u in uids} | _msgids(pairs)
        removed = [
            f"gm/{prev.msgids[u]}" if u in prev.msgids else self._id(role, uv, u)
            for u in sorted(vanished & prev.uids)
        ]
        state = _FolderState(prev.name, uv, nxt, modseq, uids, msgids, outside=outside)
        return state, [raw for _u, raw in pairs], removed

    def _flag_changes(
        self, c: IMAPClient, prev: _FolderState, modseq: int | None
    ) -> tuple[set[int], set[int]]:
        """(UIDs whose flags changed, UIDs expunged) since the cursor, as far as the server says.

        With CONDSTORE the re-flagged UIDs (``MODSEQ`` search); with QRESYNC
        also the expunged ones, in one round trip. Without either: nothing
        (then only the message count shows that something went).
        """
        if prev.modseq is None or modseq is None or modseq == prev.modseq:
            return set(), set()
        if b"QRESYNC" in self._caps and prev.uidnext > 1:
            return self._changed_since(c, prev.uidnext - 1, prev.modseq)
        return set(self._search(c, ["MODSEQ", prev.modseq + 1])), set()

    def _changed_since(self, c: IMAPClient, last: int, modseq: int) -> tuple[set[int], set[int]]:
        """QRESYNC: UIDs with changed flags and UIDs expunged since ``modseq``, one round trip."""
        data, lines = changed_since_raw(c, last, modseq)
        changed = set(parse_fetch_response(data, True, True))
        vanished: set[int] = set()
        for line in lines:
            text = line.decode("ascii", "replace") if isinstance(line, bytes) else str(line)
            text = text.replace("(EARLIER)", "").strip()
            if text:
                vanished.update(_expand_uids(text))
        return {int(u) for u in changed}, vanished

    def _id(self, role: str, uv: int, uid: int) -> str:
        return f"{role}/{uv}/{uid}"

    def _fetch_headers(
        self, c: IMAPClient, role: str, uv: int, uids: Sequence[int]
    ) -> list[tuple[int, RawMessage]]:
        """(uid, header-only message) for these UIDs, in batches."""
        return [pair for pairs in self._header_batches(c, role, uv, uids) for pair in pairs]

    def _header_batches(
        self, c: IMAPClient, role: str, uv: int, uids: Sequence[int]
    ) -> Iterator[list[tuple[int, RawMessage]]]:
        """(uid, header-only message) for these UIDs, one list per FETCH of HEADER_BATCH UIDs."""
        gmail = self.is_gmail
        prefix = f"{role}/{uv}/"
        for rows in self._header_replies(c, list(_uid_ranges(uids, HEADER_BATCH))):
            if not gmail:  # the hot loop of a cold sync: as little as possible per message
                yield [(uid, build_raw(id=prefix + str(uid), folder=role, data=header, headers_only=True,
                                       thread_hint=None, labels=_keywords(flags), flags=flags))
                       for uid, header, flags, _item in rows]
                continue
            out: list[tuple[int, RawMessage]] = []
            for uid, header, flags, item in rows:
                mid, thread, labels = self._gmail_meta(item)
                folder = role
                if mid is not None:
                    self._gm_uids[mid] = (uv, uid)
                    # All Mail: the role by label, as the Gmail API backend does
                    folder = SENT if "\\Sent" in labels else INBOX if "\\Inbox" in labels else ALL
                    if "\\Draft" in labels:
                        flags = flags | {"\\Draft"}  # so nothing downstream takes it for mail
                    if _unthreaded_report(header):
                        thread = None  # as the Gmail API backend: see _unthreaded_report
                raw = RawMessage(
                    id=f"gm/{mid}" if mid is not None else self._id(role, uv, uid),
                    folder=folder,
                    data=header,
                    headers_only=True,
                    thread_hint=thread,
                    labels=labels | _keywords(flags),
                    flags=flags,
                )
                out.append((uid, raw))
            yield out

    def _header_replies(self, c: IMAPClient, batches: list[list[int]]) -> Iterator[list[_HeaderRow]]:
        """The header rows (:meth:`_header_rows`) of each batch, in order, the FETCHes pipelined
        one command ahead: the next batch's FETCH is sent before this one's rows are handed
        over, so the server reads and sends it while the caller parses and stores this one (a
        cold sync's server time and its parsing overlap instead of adding up). One ahead keeps
        at most two replies (a few MB) in the socket buffers.

        A server may run pipelined FETCHes side by side (Dovecot does) and send some of the
        next command's responses before this one's completion; every response names its UID,
        so those rows wait for their own batch. A batch is whole once its command's tagged
        completion is read. A caller that stops early (an error) leaves a reply unread: the
        connection is then dropped, and the next operation logs in afresh."""
        items = f"UID FLAGS{' ' + ' '.join(GMAIL_ITEMS) if self.is_gmail else ''} {HEADER_ITEM}"
        sent = [uid_fetch_send(c, _compress_uids(b), items) for b in batches[:1]]
        early: list[_HeaderRow] = []  # rows of a later batch that came with an earlier reply
        done = False
        try:
            for i in range(len(batches)):
                if i + 1 < len(batches):
                    sent.append(uid_fetch_send(c, _compress_uids(batches[i + 1]), items))
                rows = early + self._header_rows(uid_fetch_read(c, sent.pop(0)))
                later = set().union(*batches[i + 1 : i + 2])  # at most one command runs ahead
                early = [r for r in rows if r[0] in later]
                yield sorted((r for r in rows if r[0] not in later), key=lambda r: r[0])
            done = True
        finally:
            if not done and sent:
                self._drop()

    def _header_rows(self, data: list[Any]) -> list[_HeaderRow]:
        """(uid, header block, flags, FETCH items) of one header FETCH reply, in UID order.

        The hot loop of a cold sync. The reply is read off the connection by
        :mod:`agent.backends.imap_wire` (imaplib's line-by-line reading costs
        several times what the server and the socket take), and the usual
        response shape, ``n (UID u FLAGS (...) BODY[HEADER.FIELDS (...)] {size}``
        + literal + ``)``, is picked apart here directly; anything else (items
        in another order, unsolicited FETCHes, Gmail's quoted labels) goes to
        imapclient's parser.
        """
        fast = None if self.is_gmail else _read_header_fetch(data)
        if fast is not None:
            return [(u, header, _flag_text(flags), {}) for u, (header, flags) in sorted(fast.items())]
        parsed = sorted(parse_fetch_response([d for d in data if d is not None], True, True).items())
        return [(int(u), _section(i, b"BODY[HEADER") or b"", _flags(i.get(b"FLAGS", ())), i) for u, i in parsed]

    def _gmail_meta(self, item: Mapping[bytes, Any]) -> tuple[str | None, str | None, frozenset[str]]:
        if not self.is_gmail:
            return None, None, frozenset()
        mid = item.get(b"X-GM-MSGID")
        thr = item.get(b"X-GM-THRID")
        # label names come in modified UTF-7, like folder names ("Bewerbung/K&APY-ln")
        labels = frozenset(imap_utf7.decode(x) if isinstance(x, bytes) else str(x)
                           for x in item.get(b"X-GM-LABELS", ()) or ())
        return (str(mid) if mid is not None else None, str(thr) if thr is not None else None, labels)

    # --- fetch ------------------------------------------------------------------------

    def _by_message_id(self, c: IMAPClient, wanted: list[str]) -> list[RawMessage]:
        """Search each folder read for the wanted Message-IDs, a batch of ORed ``HEADER`` terms
        per round trip, and fetch the header blocks found. Not through :meth:`_search`: on Gmail
        its ``X-GM-RAW`` window would hide exactly the older messages asked for."""
        out: dict[str, RawMessage] = {}
        todo = set(wanted)
        for role in (ALL,) if self.is_gmail else (INBOX, SENT):
            info = self._select(c, self._folder(c, role), readonly=True)
            uids: set[int] = set()
            for i in range(0, len(wanted), MSGID_BATCH):
                batch = [m for m in wanted[i : i + MSGID_BATCH] if m in todo]
                if batch:
                    uids.update(int(u) for u in c.search(_header_search(batch, self.is_gmail)))
            for _uid, raw in self._fetch_headers(c, role, int(info[b"UIDVALIDITY"]), sorted(uids)):
                mid = message_id_of(raw.data)
                # HEADER matches a substring: keep the exact ones, and never a draft
                if mid in todo and _DRAFT not in raw.flags:
                    out[raw.id] = raw
                    todo.discard(mid)
        return list(out.values())

    def _fetch(self, c: IMAPClient, ids: list[str]) -> dict[str, bytes]:
        groups: dict[tuple[str, int], dict[int, str]] = {}
        gmail: list[str] = []
        for mid in ids:
            role, uv, uid = _parse_id(mid)
            if role == "gm":
                if uid is not None and self.is_gmail:
                    gmail.append(mid)
            elif role in (INBOX, SENT, ALL, DRAFTS) and uv is not None and uid is not None:
                groups.setdefault((role, uv), {})[uid] = mid
        out: dict[str, bytes] = {}
        if gmail:
            out.update(self._fetch_gmail(c, gmail))
        for (role, uv), wanted in groups.items():
            info = self._select(c, self._folder(c, role), readonly=True)
            if int(info[b"UIDVALIDITY"]) != uv:
                continue  # the folder was rebuilt: these ids are gone
            for uid, data in self._fetch_full(c, list(wanted)).items():
                out[wanted[uid]] = data
        return out

    def _gm_uid(self, msgid: str) -> tuple[int, int] | None:
        """(uidvalidity, uid) of a Gmail message known from this poll's sync or the cursor.

        The cursor's map is only read when first needed: a poll that fetches and labels
        nothing never expands it. What this poll's sync saw wins over the cursor.
        """
        for kept in self._kept:
            for u, m in kept.msgids.items():
                self._gm_uids.setdefault(str(m), (kept.uidvalidity, u))
        self._kept = []
        return self._gm_uids.get(msgid)

    def _fetch_gmail(self, c: IMAPClient, ids: list[str]) -> dict[str, bytes]:
        name = self._folder(c, ALL)
        info = self._select(c, name, readonly=True)
        uv = int(info[b"UIDVALIDITY"])
        uid_of: dict[int, str] = {}
        for mid in ids:
            msgid = mid.partition("/")[2]
            known = self._gm_uid(msgid)
            if known is not None and known[0] == uv:
                uid_of[known[1]] = mid
                continue
            found = c.search([b"X-GM-MSGID", msgid.encode()])
            if found:
                uid_of[int(found[0])] = mid
        return {uid_of[u]: data for u, data in self._fetch_full(c, list(uid_of)).items()}

    def _fetch_full(self, c: IMAPClient, uids: list[int]) -> dict[int, bytes]:
        """uid → bytes in the selected folder; big messages as header + text parts."""
        out: dict[int, bytes] = {}
        sizes: dict[int, int] = {}
        for batch in _uid_ranges(uids, HEADER_BATCH):
            for uid, item in c.fetch(batch, ["RFC822.SIZE"]).items():
                sizes[int(uid)] = int(item.get(b"RFC822.SIZE", 0))
        small = [u for u in uids if u in sizes and sizes[u] <= BIG_MESSAGE]
        for batch in _uid_ranges(small, BODY_BATCH):
            for uid, item in c.fetch(batch, ["BODY.PEEK[]"]).items():
                data = _section(item, b"BODY[]")
                if data is not None:
                    out[int(uid)] = data
        for uid in (u for u in uids if sizes.get(u, 0) > BIG_MESSAGE):
            data = self._fetch_text_parts(c, uid)
            if data is not None:
                out[uid] = data
        return out

    def _fetch_text_parts(self, c: IMAPClient, uid: int) -> bytes | None:
        """A big message rebuilt from its header and its text/* parts only."""
        resp = c.fetch([uid], ["BODYSTRUCTURE", "BODY.PEEK[HEADER]"]).get(uid)
        if resp is None:
            return None
        header = _section(resp, b"BODY[HEADER]") or b""
        structure = resp.get(b"BODYSTRUCTURE")
        sections = list(_text_sections(structure, ())) if structure is not None else []
        if not sections:
            # one big single part: its first TEXT_PART_CAP bytes are all the signals could use
            part = c.fetch([uid], [f"BODY.PEEK[TEXT]<0.{TEXT_PART_CAP}>"]).get(uid) or {}
            return header + (_section(part, b"BODY[TEXT]") or b"")
        items = [i for s in sections for i in (f"BODY.PEEK[{s}.MIME]", f"BODY.PEEK[{s}]")]
        parts = c.fetch([uid], items).get(uid) or {}
        boundary = f"followup-agent-text-parts-{uid}"
        body = bytearray()
        for s in sections:
            mime = parts.get(f"BODY[{s}.MIME]".encode()) or b"Content-Type: text/plain\r\n\r\n"
            content = parts.get(f"BODY[{s}]".encode()) or b""
            body += f"--{boundary}\r\n".encode() + mime + content + b"\r\n"
        body += f"--{boundary}--\r\n".encode()
        head = _drop_headers(header, (b"content-type", b"content-transfer-encoding", b"mime-version"))
        head += (
            b"MIME-Version: 1.0\r\n"
            + f'Content-Type: multipart/mixed; boundary="{boundary}"\r\n'.encode()
            + b"X-Followup-Agent-Note: large message, text parts only\r\n\r\n"
        )
        return head + bytes(body)

    # --- drafts -----------------------------------------------------------------------

    def _drafts(self, c: IMAPClient, seen: frozenset[str] = frozenset()) -> list[DraftInfo]:
        name = self._folder(c, DRAFTS)
        info = self._select(c, name, readonly=True)
        uv = int(info[b"UIDVALIDITY"])
        uids = sorted(int(u) for u in c.search(["NOT", "DELETED"]))
        items = ["BODY.PEEK[]"] + (["X-GM-THRID"] if self.is_gmail else [])
        found: dict[int, DraftInfo] = {}
        if seen and not self.is_gmail:
            found = {u: DraftInfo(id=self._id(DRAFTS, uv, u), data=b"", seen=True)
                     for u in uids if self._id(DRAFTS, uv, u) in seen}
        for batch in _uid_ranges([u for u in uids if u not in found], BODY_BATCH):
            for uid, item in c.fetch(batch, items).items():
                data = _section(item, b"BODY[]")
                if data is None:
                    continue
                thr = item.get(b"X-GM-THRID")
                found[int(uid)] = DraftInfo(
                    id=self._id(DRAFTS, uv, int(uid)),
                    data=data,
                    thread_hint=str(thr) if thr is not None else None,
                )
        return [found[u] for u in sorted(found)]

    def _find_draft(self, c: IMAPClient, name: str, message_id: str) -> str | None:
        """The newest undeleted draft whose Message-ID is exactly ``message_id``.

        ``SEARCH HEADER`` matches substrings, case-insensitively: each
        candidate's Message-ID is read back and compared whole, so another
        draft whose id merely contains ours (or differs in case) is never
        taken for ours, and so never deleted as ours.
        """
        info = self._select(c, name, readonly=True)
        uv = int(info[b"UIDVALIDITY"])
        found = sorted(int(u) for u in c.search(["HEADER", "Message-ID", message_id, "NOT", "DELETED"]))
        if not found:
            return None
        items = c.fetch(found, ["BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)]"])
        exact = [u for u in found
                 if message_id_of((_section(items.get(u, {}), b"BODY[HEADER") or b"") + b"\r\n") == message_id]
        return self._id(DRAFTS, uv, exact[-1]) if exact else None

    def _create_draft(self, c: IMAPClient, data: bytes, message_id: str | None, attempt: int) -> str:
        name = self._folder(c, DRAFTS)
        if attempt and message_id:
            existing = self._find_draft(c, name, message_id)
            if existing is not None:
                return existing  # stored before the connection was lost
        # _find_draft (or an earlier read) may have left Drafts EXAMINEd: Courier refuses an
        # APPEND to a folder selected read-only ("Current box is selected READ-ONLY")
        self._leave(c)
        # without UIDPLUS the reply names no UID: what UIDNEXT was before bounds where ours is
        before = None if b"UIDPLUS" in self._caps else int(c.folder_status(name, [b"UIDNEXT"])[b"UIDNEXT"])
        resp = c.append(name, data, flags=_DRAFT_FLAGS)
        m = _APPENDUID.search(resp if isinstance(resp, bytes) else str(resp).encode())
        if b"UIDPLUS" in self._caps and m and m[2].isdigit():
            return self._id(DRAFTS, int(m[1]), int(m[2]))
        if message_id:
            found = self._find_draft(c, name, message_id)
            if found is not None:
                return found
        found = self._find_appended(c, name, data, before or 1)
        if found is None:
            raise _Fatal(f"The draft saved in {name!r} on {self.where} could not be found again.")
        return found

    def _find_appended(self, c: IMAPClient, name: str, data: bytes, since: int) -> str | None:
        """No UIDPLUS and no Message-ID: the draft at or above UID ``since`` with exactly these
        bytes. Never simply "the newest draft": the user may have saved one meanwhile, and an id
        that names the user's draft would later be deleted as ours."""
        info = self._select(c, name, readonly=True)
        uids = sorted(u for u in (int(x) for x in c.search(["UID", f"{since}:*"])) if u >= since)
        bodies = self._fetch_full(c, uids) if uids else {}
        ours = [u for u in uids if _crlf(bodies.get(u, b"")) == data]
        return self._id(DRAFTS, int(info[b"UIDVALIDITY"]), ours[-1]) if ours else None

    def _delete_draft(self, c: IMAPClient, uv: int, uid: int) -> None:
        name = self._folder(c, DRAFTS)
        info = self._select(c, name)  # read-write: the one place the agent changes a flag
        try:
            if int(info[b"UIDVALIDITY"]) != uv:
                return  # the folder was rebuilt: that draft is gone
            if not c.search(["UID", str(uid)]):
                return  # already gone
            c.add_flags([uid], [b"\\Deleted"], silent=True)
            if b"UIDPLUS" in self._caps:
                c.uid_expunge([uid])
            elif set(int(u) for u in c.search(["DELETED"])) == {uid}:
                c.expunge()  # only ours is \Deleted, so a plain EXPUNGE removes only ours
            # else: leave it \Deleted (clients hide it) rather than expunge the user's mail
        finally:
            self._leave(c)

    # --- labels -----------------------------------------------------------------------

    def _set_label(self, c: IMAPClient, ids: list[str], label: str, present: bool) -> None:
        gmail: list[str] = []
        groups: dict[tuple[str, int], list[int]] = {}
        for mid in ids:
            role, uv, uid = _parse_id(mid)
            if role == "gm":
                if uid is not None and self.is_gmail:
                    gmail.append(mid)
            elif role in (INBOX, SENT, ALL) and uv is not None and uid is not None:
                groups.setdefault((role, uv), []).append(uid)
        if gmail:
            self._label_gmail(c, gmail, label, present)
        for (role, uv), uids in groups.items():
            self._label_folder(c, role, uv, sorted(set(uids)), label, present)

    def _label_gmail(self, c: IMAPClient, ids: list[str], label: str, present: bool) -> None:
        """X-GM-LABELS on Gmail messages, found in All Mail by X-GM-MSGID."""
        name = self._folder(c, ALL)
        info = self._select(c, name)  # read-write: only for this STORE
        try:
            uv = int(info[b"UIDVALIDITY"])
            uids: set[int] = set()
            for mid in ids:
                msgid = mid.partition("/")[2]
                known = self._gm_uid(msgid)
                if known is not None and known[0] == uv:
                    uids.add(known[1])
                    continue
                found = c.search([b"X-GM-MSGID", msgid.encode()])
                if found:
                    uids.add(int(found[0]))
                    self._gm_uids[msgid] = (uv, int(found[0]))
            if uids:  # a UID that is gone meanwhile is ignored by the server
                # not .SILENT: Gmail documents X-GM-LABELS for STORE, not the .SILENT form
                store = c.add_gmail_labels if present else c.remove_gmail_labels
                store(sorted(uids), [label])
        finally:
            self._leave(c)

    def _label_folder(self, c: IMAPClient, role: str, uv: int, uids: list[int], label: str,
                      present: bool) -> None:
        """The keyword ``label`` on these UIDs of one folder (X-GM-LABELS on Gmail)."""
        name = self._folder(c, role)
        info = self._select(c, name)  # read-write: only for this STORE
        try:
            if int(info[b"UIDVALIDITY"]) != uv:
                return  # the folder was rebuilt: these ids are gone
            if self.is_gmail:
                gm_store = c.add_gmail_labels if present else c.remove_gmail_labels
                gm_store(uids, [label])
                return
            permanent = {_text(f).lower() for f in info.get(b"PERMANENTFLAGS", ())}
            if "\\*" not in permanent and label.lower() not in permanent:
                from agent.logs import get_logger

                get_logger().info("imap keywords not kept", folder=name, keyword=label, server=self.where)
                return
            store = c.add_flags if present else c.remove_flags
            store(uids, [label], silent=True)
        finally:
            self._leave(c)

    def _select(self, c: IMAPClient, name: str, readonly: bool = False) -> dict[bytes, Any]:
        """SELECT (EXAMINE when ``readonly``) ``name``: every selection goes through here, so
        that INBOX's reply kept by :meth:`_inbox_status_first` is never taken for another's."""
        self._examined = None
        return cast(dict[bytes, Any], c.select_folder(name, readonly=readonly))

    def _leave(self, c: IMAPClient) -> None:
        """Leave the selected folder without CLOSE (which would expunge).

        Also needed before ``STATUS``: for the selected folder a server
        answers from the session's own view, which does not include what
        other clients did since (Dovecot reports a message expunged elsewhere
        as still there). Without UNSELECT, a failed EXAMINE of a folder that
        cannot exist deselects too (RFC 3501, 6.3.1).
        """
        self._examined = None
        if not is_selected(c):
            return
        if b"UNSELECT" in self._caps:
            c.unselect_folder()
            return
        with contextlib.suppress(IMAPClientError):
            self._select(c, "followup-agent/no such folder/" + os.urandom(6).hex(), readonly=True)
        forget_selection(c)

    def _poll_status(self, c: IMAPClient, timeout: float) -> bool:
        self._leave(c)
        first = c.folder_status("INBOX", [b"UIDNEXT"]).get(b"UIDNEXT")
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            self._sleep(min(left, 5.0))
            if c.folder_status("INBOX", [b"UIDNEXT"]).get(b"UIDNEXT") != first:
                return True
        return False

    # --- cursor -----------------------------------------------------------------------

    def _encode_cursor(self, state: Mapping[str, _FolderState]) -> str:
        """The cursor: a little plain JSON around each folder's own compressed piece, so that
        writing it costs what the changed folders cost (see :meth:`_FolderState.piece`)."""
        doc = {
            "account": self._account(),
            "gmail": self.is_gmail,
            "window": self._window.days,
            "folders": {role: s.piece() for role, s in sorted(state.items())},
        }
        return _CURSOR_PREFIX + json.dumps(doc, separators=(",", ":"))

    @staticmethod
    def _decode_cursor(cursor: str | None) -> dict[str, Any] | None:
        """The cursor document, its folders as JSON objects (and, from an ``imap2:`` cursor,
        their pieces as read under ``pieces``), or None when absent or unreadable (a full
        resync). An ``imap1:`` cursor (one zlib stream) is still read: no resync on upgrade."""
        try:
            if cursor and cursor.startswith(_CURSOR_PREFIX):
                doc = json.loads(cursor[len(_CURSOR_PREFIX) :])
                pieces = doc["folders"]
                doc["folders"] = {role: _unpiece(p) for role, p in pieces.items()}
                doc["pieces"] = pieces
            elif cursor and cursor.startswith(_CURSOR_PREFIX_1):
                doc = json.loads(zlib.decompress(base64.urlsafe_b64decode(cursor[len(_CURSOR_PREFIX_1) :])))
            else:
                return None
        except (ValueError, zlib.error, binascii.Error, UnicodeDecodeError, TypeError, KeyError, AttributeError):
            return None
        if not isinstance(doc, dict) or not isinstance(doc.get("folders"), dict):
            return None
        return doc


# --- helpers ----------------------------------------------------------------------------


def _usable(caps: frozenset[bytes]) -> frozenset[bytes]:
    """The capabilities the backend may rely on: QRESYNC only with ENABLE (RFC 7162 turns it on
    with ENABLE; a server offering one without the other is taken to lack QRESYNC, and
    CONDSTORE, which needs no ENABLE, then serves for flag changes)."""
    return caps if b"ENABLE" in caps else caps - {b"QRESYNC"}


def _header_search(message_ids: Sequence[str], gmail: bool) -> list[Any]:
    """``OR OR HEADER Message-ID a HEADER Message-ID b HEADER Message-ID c`` (IMAP's OR takes
    two keys, so n ids need n-1 ORs in front); Gmail: no drafts."""
    terms: list[Any] = ["OR"] * (len(message_ids) - 1)
    for mid in message_ids:
        terms += ["HEADER", "Message-ID", mid]
    return [*terms, b"UNDRAFT"] if gmail else terms


def _msgids(pairs: Iterable[tuple[int, RawMessage]]) -> dict[int, int]:
    """uid -> X-GM-MSGID for the Gmail messages among ``pairs``."""
    return {uid: int(raw.id[3:]) for uid, raw in pairs if raw.id.startswith("gm/")}


def _flags(values: Iterable[Any]) -> frozenset[str]:
    """FETCH FLAGS as text; ``\\Recent`` is per session (and consumed by whoever looks first)."""
    key = tuple(values)
    got = _FLAG_SETS.get(key)
    if got is None:  # a mailbox has few distinct flag sets: each is decoded once
        got = frozenset(t for t in map(_text, key) if t.lower() != "\\recent")
        if len(_FLAG_SETS) < 1024:
            _FLAG_SETS[key] = got
    return got


_FLAG_SETS: dict[tuple[Any, ...], frozenset[str]] = {}


def _keywords(flags: frozenset[str]) -> frozenset[str]:
    """:func:`~agent.backends.base.keywords` of a flag set, decoded once per distinct set, like
    :func:`_flags`."""
    got = _KEYWORDS.get(flags)
    if got is None:
        got = keywords(flags)
        if len(_KEYWORDS) < 1024:
            _KEYWORDS[flags] = got
    return got


_KEYWORDS: dict[frozenset[str], frozenset[str]] = {}


def _flag_text(raw: bytes) -> frozenset[str]:
    """:func:`_flags` of a FETCH response's raw ``FLAGS (...)`` contents, decoded once per distinct value."""
    got = _FLAG_TEXT.get(raw)
    if got is None:
        got = _flags(raw.split())
        if len(_FLAG_TEXT) < 1024:
            _FLAG_TEXT[raw] = got
    return got


_FLAG_TEXT: dict[bytes, frozenset[str]] = {}


def _read_header_fetch(data: Sequence[Any]) -> dict[int, tuple[bytes, bytes]] | None:
    """uid -> (header block, raw flags) from raw ``UID FETCH (UID FLAGS BODY.PEEK[HEADER.FIELDS ..])``
    responses; None when any response has another shape (see ``_header_batch``)."""
    out: dict[int, tuple[bytes, bytes]] = {}
    for el in data:
        if el is None or el == b")":
            continue
        if not isinstance(el, tuple) or len(el) != 2:
            return None
        exact = _HEADER_RESPONSE_EXACT.fullmatch(el[0])  # Dovecot's order: one regex, no search
        if exact is not None:
            out[int(exact[1])] = (el[1], exact[2])
            continue
        m = _HEADER_RESPONSE.fullmatch(el[0])
        if m is None:
            return None
        uid, flags = _UID_ITEM.search(m[1]), _FLAGS_ITEM.search(m[1])
        if uid is None or flags is None:
            return None
        out[int(uid[1])] = (bytes(el[1]), flags[1])
    return out


def _unthreaded_report(header: bytes) -> bool:
    """A delivery report with no threading headers (a remote server's bounce).

    Gmail cannot thread it either, so its X-GM-THRID is a thread of its own
    and says nothing; without the hint, the Message-ID the parser finds in the
    returned headers ties it to the conversation it belongs to (the Gmail API
    backend does the same with its threadId).
    """
    if b"multipart/report" not in header.lower():
        return False
    from email.parser import BytesHeaderParser
    from email.policy import compat32

    h = BytesHeaderParser(policy=compat32).parsebytes(header)
    return (str(h.get("Content-Type", "")).strip().lower().startswith("multipart/report")
            and not str(h.get("In-Reply-To", "")).strip() and not str(h.get("References", "")).strip())


def _int(value: Any) -> int | None:
    return int(value) if value is not None else None


def _text(value: Any) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _section(item: Mapping[bytes, Any], prefix: bytes) -> bytes | None:
    """The value of the first FETCH item whose key starts with ``prefix`` (servers vary
    in how they echo ``BODY[HEADER.FIELDS (...)]``)."""
    for key, value in item.items():
        if isinstance(key, bytes) and key.upper().startswith(prefix):
            return bytes(value) if value is not None else None
    return None


def _parse_id(mid: str) -> tuple[str, int | None, int | None]:
    """``"inbox/123/45"`` → ("inbox", 123, 45); ``"gm/99"`` → ("gm", None, 99)."""
    parts = mid.split("/")
    try:
        if len(parts) == 3:
            return parts[0], int(parts[1]), int(parts[2])
        if len(parts) == 2 and parts[0] == "gm":
            return "gm", None, int(parts[1])
    except ValueError:
        pass
    return parts[0], None, None


def _list_folders(c: IMAPClient, *, special_use: bool = False) -> list[tuple[frozenset[bytes], str, str]]:
    """(lower-case attributes, delimiter, name) for every folder."""
    return _rows(list_special_use(c) if special_use else c.list_folders())


def _rows(rows: Iterable[tuple[Any, Any, Any]]) -> list[tuple[frozenset[bytes], str, str]]:
    """imapclient's (flags, delimiter, name) rows with lower-case flags and text names."""
    return [
        (frozenset(bytes(f).lower() for f in flags), _text(delim) if delim else "", _text(name))
        for flags, delim, name in rows
    ]


def _personal_namespace(
    personal: Sequence[Any] | None, rows: Iterable[tuple[frozenset[bytes], str, str]]
) -> tuple[str, str | None]:
    """(prefix, separator) from NAMESPACE's personal part (None: not offered) and the LIST rows.

    Pure, so the odd replies real servers send are unit-tested without one: no
    personal namespace, a personal namespace whose separator is NIL (flat
    servers), LIST rows whose delimiter is NIL. The separator falls back to the
    first non-NIL LIST delimiter, then to None (names are matched as listed).
    """
    listed = next((d for _f, d, _n in rows if d), None)
    if not personal:
        return "", listed
    first = personal[0]
    prefix, delimiter = (first[0], first[1]) if len(first) >= 2 else (first[0], None)
    return (_text(prefix) if prefix else ""), (_text(delimiter) if delimiter else listed)


def _by_attributes(
    rows: Iterable[tuple[frozenset[bytes], str, str]], table: Mapping[str, bytes], how: str
) -> tuple[dict[str, str], dict[str, str]]:
    """(role → first folder carrying the role's attribute, role → ``how``)."""
    found: dict[str, str] = {}
    for flags, _delim, name in rows:
        for role, flag in table.items():
            if flag in flags and role not in found:
                found[role] = name
    return found, dict.fromkeys(found, how)


def _text_sections(structure: Any, path: tuple[int, ...]) -> Iterator[str]:
    """Section numbers of the text/* leaves of a BODYSTRUCTURE (small enough to keep)."""
    if structure and isinstance(structure[0], list):  # multipart: (parts..., subtype, ...)
        for i, part in enumerate(structure[0], 1):
            yield from _text_sections(part, (*path, i))
        return
    if not path:
        return  # a single-part message: handled by the caller
    try:
        maintype = _text(structure[0]).lower()
        size = int(structure[6]) if len(structure) > 6 and structure[6] is not None else 0
    except (TypeError, ValueError, IndexError):
        return
    if maintype == "text" and size <= TEXT_PART_CAP:
        yield ".".join(str(p) for p in path)


def _drop_headers(header: bytes, names: tuple[bytes, ...]) -> bytes:
    """``header`` without the named fields (and their folded continuation lines)."""
    out: list[bytes] = []
    skipping = False
    for line in header.splitlines(keepends=True):
        if line in (b"\r\n", b"\n"):
            break
        if line[:1] in (b" ", b"\t"):
            if not skipping:
                out.append(line)
            continue
        skipping = line.split(b":", 1)[0].strip().lower() in names
        if not skipping:
            out.append(line)
    return b"".join(out)


def _crlf(data: bytes) -> bytes:
    """IMAP requires CRLF line ends in APPEND literals."""
    return re.sub(rb"\r?\n", b"\r\n", data)


def _server_text(err: BaseException) -> str:
    text = str(err).strip() or type(err).__name__
    return text.splitlines()[0][:300]


def _describe(err: BaseException | None) -> str:
    if err is None:
        return "no error recorded"
    text = str(err).strip()
    return f"{type(err).__name__}: {text.splitlines()[0][:300]}" if text else type(err).__name__


# --- secrets ----------------------------------------------------------------------------


def credential_provider(cfg: ImapConfig, env: Mapping[str, str] | None = None) -> Callable[[], str]:
    """The password (looked up once, kept in memory) or a fresh XOAUTH2 access token.

    Google's grant (or a bare access token) comes from the secret sources;
    Microsoft's from :mod:`agent.microsoft_auth` (same stores, refreshed by msal).
    """
    from agent.secrets import get_secret

    environ = os.environ if env is None else env

    def lookup() -> str:
        return get_secret(
            cfg.credential_name,
            service=cfg.keyring_service,
            username=cfg.username,
            command=cfg.password_command,
            env=environ,
            sources=cfg.secret_sources,
        )

    if cfg.auth == "xoauth2" and cfg.provider == "microsoft":
        from agent.microsoft_auth import token_provider

        return token_provider(cfg, environ)
    if cfg.auth == "xoauth2":
        return _OAuthToken(lookup)
    cache: list[str] = []

    def password() -> str:
        if not cache:
            cache.append(lookup())
        return cache[0]

    return password


class _OAuthToken:
    """An XOAUTH2 access token from the stored secret.

    The secret is either an access token as is, or google-auth "authorized
    user" JSON (client_id, client_secret, refresh_token, token_uri) from which
    a fresh access token is obtained and reused until shortly before it
    expires. ``Credentials`` is built directly rather than with
    ``from_authorized_user_info``, which ignores a custom ``token_uri``.
    """

    GOOGLE_TOKEN_URI = "https://oauth2.googleapis.com/token"

    def __init__(self, lookup: Callable[[], str]) -> None:
        self._lookup = lookup
        self._creds: Any = None
        self._plain: str | None = None

    def invalidate(self) -> None:
        """Forget the access token (the server refused it): the next call refreshes, when the
        secret is a grant (a bare access token cannot be renewed)."""
        if self._creds is not None:
            self._creds.token = None

    def __call__(self) -> str:
        if self._plain is not None:
            return self._plain
        if self._creds is None:
            secret = self._lookup()
            try:
                info = json.loads(secret)
            except ValueError:
                info = None
            if not isinstance(info, dict) or "refresh_token" not in info:
                self._plain = secret
                return secret
            from google.oauth2.credentials import Credentials

            self._creds = Credentials(
                token=None,
                refresh_token=info["refresh_token"],
                client_id=info.get("client_id"),
                client_secret=info.get("client_secret"),
                token_uri=info.get("token_uri") or self.GOOGLE_TOKEN_URI,
            )
        creds = self._creds
        if not creds.token or not creds.valid:
            try:
                from google.auth.transport.requests import Request

                creds.refresh(Request())
            except Exception as err:
                raise MailboxError(
                    f"Could not refresh the OAuth2 access token for IMAP: {type(err).__name__}."
                ) from None
        return str(creds.token)

