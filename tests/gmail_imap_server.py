"""A small IMAP4rev1 server that behaves like Gmail's (``X-GM-EXT-1``), for the tests.

Why a server and not a mock of imapclient: the IMAP backend's Gmail paths run
the real imapclient and imaplib over a real socket, so command syntax,
quoting, literals, response parsing and the order of round trips are all
exercised. Only the mail store is fake (kept in memory). Plain text, on
127.0.0.1 only, one thread per connection.

The mail model is Gmail's: one store of messages, each with an
``X-GM-MSGID``, an ``X-GM-THRID``, flags and *labels*; IMAP folders are views
of that store, each with its own UIDVALIDITY and UIDs:

======================  ============  =========================================
folder                  attribute     messages
======================  ============  =========================================
``INBOX``                             labelled ``\\Inbox``
``[Gmail]/All Mail``    ``\\All``      everything but spam and trash
``[Gmail]/Drafts``      ``\\Drafts``   labelled ``\\Draft`` (and flagged ``\\Draft``)
``[Gmail]/Sent Mail``   ``\\Sent``     labelled ``\\Sent``
``[Gmail]/Starred``     ``\\Flagged``  labelled ``\\Starred``
``[Gmail]/Important``   ``\\Important`` labelled ``\\Important``
``[Gmail]/Spam``        ``\\Junk``     labelled ``\\Spam``
``[Gmail]/Trash``       ``\\Trash``    labelled ``\\Trash``
a user label            (none)        labelled with it (``Recruiting``)
======================  ============  =========================================

So a draft is in All Mail too, with the ``\\Draft`` flag and label, as on
Gmail. A message joins the thread of a message it references
(``In-Reply-To``/``References``) or that references it, else of one with
the same base subject and a shared correspondent, else starts one whose id
is its own ``X-GM-MSGID`` (see :meth:`GmailImapServer._thread_of`). Expunging from Drafts discards the draft; from All Mail moves
the message to Trash; from any other label folder removes that label.

Speaks: CAPABILITY, NOOP, LOGOUT, ID, LOGIN, AUTHENTICATE ``XOAUTH2`` (the
SASL string must be exactly ``user=<u>\\x01auth=Bearer <token>\\x01\\x01``)
and ``PLAIN``, NAMESPACE, ENABLE, LIST (with the ``(SPECIAL-USE)`` selection
option), STATUS, SELECT, EXAMINE, UNSELECT, CLOSE, SEARCH, FETCH, STORE
(``FLAGS`` and ``X-GM-LABELS``, ``+``/``-``, ``.SILENT``), EXPUNGE, APPEND
(``APPENDUID``), IDLE/DONE, each of SEARCH/FETCH/STORE/EXPUNGE with ``UID``.
Anything else is ``BAD``, so the backend cannot rely on something untested.

FETCH items: UID, FLAGS, INTERNALDATE, RFC822.SIZE, BODY[...] and
BODY.PEEK[...] with sections ``""``, HEADER, TEXT, HEADER.FIELDS (...),
HEADER.FIELDS.NOT (...), part numbers, ``n.MIME``, partials ``<o.n>``;
BODYSTRUCTURE (a basic one: no extension data, ``message/rfc822`` parts
described as leaves); MODSEQ; X-GM-MSGID, X-GM-THRID, X-GM-LABELS (labels in
modified UTF-7, as Gmail sends them). BODY[] without PEEK in a folder opened
read-write sets ``\\Seen``, as a real server does.

SEARCH keys: ALL, sequence sets, UID, the flag keys (SEEN, UNSEEN, DELETED,
UNDELETED, DRAFT, UNDRAFT, FLAGGED, UNFLAGGED, ANSWERED, UNANSWERED),
KEYWORD, HEADER, SUBJECT, FROM, TO, SINCE, BEFORE, ON, LARGER, SMALLER, NOT,
OR, parentheses, ``CHARSET x``, MODSEQ (answered with ``(MODSEQ n)``),
X-GM-MSGID, X-GM-THRID, X-GM-LABELS and X-GM-RAW with this subset of Gmail's
search language (terms ANDed, ``-`` negates): ``newer_than:N[dmy]`` and
``older_than:N[dmy]`` against INTERNALDATE and the server's clock
(:meth:`GmailImapServer.set_clock`), ``label:X``, ``in:inbox|sent|drafts|
anywhere``, ``category:X`` (set at :meth:`~GmailImapServer.deliver`;
``primary`` by default), ``rfc822msgid:<id>``. Any other term is ``BAD``.

CONDSTORE: Gmail offers CONDSTORE (not QRESYNC), so this server does by
default: HIGHESTMODSEQ in SELECT/EXAMINE and STATUS, MODSEQ in FETCH and
SEARCH. Every change to a message (flags, labels) gives it a new modseq; a
message leaving a folder raises that folder's HIGHESTMODSEQ. ``condstore=False``
takes it away, for the backend's path without it. (Reading never changes a
modseq.)

Not modelled: TLS, COMPRESS, MOVE, ESEARCH, LITERAL+, QRESYNC, UTF8=ACCEPT,
untagged EXPUNGE/EXISTS to sessions other than the one that caused them,
except EXISTS during IDLE and NOOP; sequence numbers are computed from the
folder as it is now.

Test helpers: :meth:`deliver`, :meth:`delete`, :meth:`add_label`,
:meth:`remove_label`, :meth:`set_clock`, :meth:`user_edit_draft`,
:meth:`user_delete_draft`, :meth:`reset_uidvalidity`, :meth:`snapshot`, and
what the clients did: :attr:`commands` (a Counter of command names, ``UID``
included), :attr:`log` (every command line, literals elided), :attr:`selects`,
:attr:`stores`, :attr:`fetched`, :attr:`auth`.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import itertools
import re
import select
import socket
import socketserver
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from email.parser import BytesHeaderParser
from email.policy import compat32
from typing import Any

from imapclient.imap_utf7 import decode as utf7_decode
from imapclient.imap_utf7 import encode as utf7_encode

from tests.gmail_threads import ThreadHeaders, linked, same_subject

USER = "jordan.lee@gmail.com"
PASSWORD = "app-password-test"
TOKEN = "ya29.test-access-token"

ALL_MAIL = "[Gmail]/All Mail"
DRAFTS = "[Gmail]/Drafts"
SENT_MAIL = "[Gmail]/Sent Mail"
TRASH = "[Gmail]/Trash"
SPAM = "[Gmail]/Spam"

CAPS_PREAUTH = (
    "IMAP4rev1 UNSELECT IDLE NAMESPACE ID CHILDREN X-GM-EXT-1 SASL-IR "
    "AUTH=XOAUTH2 AUTH=PLAIN"
)
CAPS = "IMAP4rev1 UNSELECT IDLE NAMESPACE ID CHILDREN X-GM-EXT-1 UIDPLUS ENABLE SPECIAL-USE"
FLAG_LIST = "(\\Answered \\Flagged \\Draft \\Deleted \\Seen $NotPhishing $Phishing)"

_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_GONE = frozenset({"\\Trash", "\\Spam"})


class Bad(Exception):
    """A command the server does not understand: tagged BAD."""


class No(Exception):
    """A command the server refuses: tagged NO."""


# --- the store ----------------------------------------------------------------------------


@dataclass
class GmMessage(ThreadHeaders):
    msgid: int
    thrid: int
    data: bytes
    internaldate: datetime
    flags: set[str]
    labels: set[str]
    category: str = "primary"
    modseq: int = 0

    @functools.cached_property
    def _parsed(self) -> Any:  # the bytes never change: a new version is a new message
        return BytesHeaderParser(policy=compat32).parsebytes(self.data)

    def header(self, name: str) -> str:
        return str(self._parsed.get(name, "") or "")


@dataclass
class View:
    """One IMAP folder: a view of the store with its own UIDs."""

    name: str
    attrs: tuple[str, ...]
    member: Callable[[GmMessage], bool]
    uidvalidity: int
    uidnext: int = 1
    uids: dict[int, int] = field(default_factory=dict)  # msgid -> uid
    gone_modseq: int = 0
    #: the label a message gets when APPENDed here, None for All Mail
    label: str | None = None

    def sorted(self) -> list[tuple[int, int]]:
        """(uid, msgid) in UID order: sequence number = index + 1."""
        return sorted((u, m) for m, u in self.uids.items())


def _user_label_member(label: str) -> Callable[[GmMessage], bool]:
    return lambda m: label in m.labels and not (m.labels & _GONE)


class GmailImapServer:
    """The server (see the module docstring). Use as a context manager or start()/stop()."""

    def __init__(
        self,
        *,
        user: str = USER,
        password: str = PASSWORD,
        token: str = TOKEN,
        condstore: bool = True,
        clock: datetime | None = None,
    ) -> None:
        self.user, self.password, self.token = user, password, token
        self.condstore = condstore
        self.clock = clock or datetime.now(UTC).replace(microsecond=0)
        self.lock = threading.RLock()
        self.changed = threading.Condition(self.lock)
        self.messages: dict[int, GmMessage] = {}
        self._msgids = itertools.count(1780000000000000000, 1_000_003)
        self._uidvalidities = itertools.count(11)
        self._modseq = 1000
        self.views: dict[str, View] = {}
        for name, attrs, member, label in (
            ("INBOX", (), lambda m: "\\Inbox" in m.labels and not (m.labels & _GONE), "\\Inbox"),
            (ALL_MAIL, ("\\All",), lambda m: not (m.labels & _GONE), None),
            (DRAFTS, ("\\Drafts",), lambda m: "\\Draft" in m.labels and not (m.labels & _GONE), "\\Draft"),
            ("[Gmail]/Important", ("\\Important",),
             lambda m: "\\Important" in m.labels and not (m.labels & _GONE), "\\Important"),
            (SENT_MAIL, ("\\Sent",), lambda m: "\\Sent" in m.labels and not (m.labels & _GONE), "\\Sent"),
            (SPAM, ("\\Junk",), lambda m: "\\Spam" in m.labels, "\\Spam"),
            ("[Gmail]/Starred", ("\\Flagged",),
             lambda m: "\\Starred" in m.labels and not (m.labels & _GONE), "\\Starred"),
            (TRASH, ("\\Trash",), lambda m: "\\Trash" in m.labels, "\\Trash"),
        ):
            self.views[name] = View(name, attrs, member, next(self._uidvalidities), label=label)
        # what clients did
        self.commands: Counter[str] = Counter()
        self.log: list[str] = []
        self.selects: list[tuple[str, str]] = []  # (SELECT|EXAMINE, folder)
        self.stores: list[tuple[str, str]] = []  # (folder, "UID STORE ..." arguments)
        self.fetched: list[tuple[str, int, str]] = []  # (folder, uid, items) per message answered
        self.auth: list[tuple[str, bool]] = []  # (LOGIN|XOAUTH2|PLAIN, accepted)
        self.sessions = 0
        self._tcp: socketserver.ThreadingTCPServer | None = None
        self._thread: threading.Thread | None = None
        self._conns: set[socket.socket] = set()

    # --- lifecycle ------------------------------------------------------------------------

    @property
    def host(self) -> str:
        return "127.0.0.1"

    @property
    def port(self) -> int:
        assert self._tcp is not None, "not started"
        return int(self._tcp.server_address[1])

    def start(self) -> GmailImapServer:
        server = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                # one small write per response line: without this, Nagle + delayed ACK stall
                self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                _Session(server, self.request, self.rfile, self.wfile).run()

        class TCP(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True

        self._tcp = TCP(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._tcp.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._tcp is not None:
            self._tcp.shutdown()
            self._tcp.server_close()
            self._tcp = None
        self.drop_connections()

    def drop_connections(self) -> None:
        """Cut every client connection (a network failure, a server restart)."""
        with self.lock:
            conns, self._conns = list(self._conns), set()
        for s in conns:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                s.close()

    def __enter__(self) -> GmailImapServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- the store, as Gmail changes it ------------------------------------------------

    def _bump(self) -> int:
        self._modseq += 1
        return self._modseq

    def _thread_of(self, new: GmMessage) -> int:
        """Gmail-like threading (tests/gmail_threads.py), as tests/gmail_server.py does it: a
        message joins the thread of a message it references or that references it, else of a
        message with the same subject (Re:/Fwd:/Automatic reply: aside) that shares a
        correspondent other than the account; else it starts a thread. (The reverse references and the merge of threads a
        message links stand in for delivery in date order: the scenario runner delivers all
        of INBOX before Sent. Gmail itself never merges threads; a merge here gives the
        messages a new modseq, so a CONDSTORE client sees the new X-GM-THRID.)"""
        ordered = sorted(self.messages.values(), key=lambda m: m.msgid)
        threads = list(dict.fromkeys(m.thrid for m in linked(new, ordered)))
        if threads:
            for m in ordered:
                if m.thrid in threads[1:]:
                    m.thrid = threads[0]
                    m.modseq = self._bump()
            return threads[0]
        match = same_subject(new, ordered, self.user.lower())
        return match.thrid if match is not None else new.msgid

    def _add(
        self, data: bytes, labels: Iterable[str], flags: Iterable[str] = (),
        when: datetime | None = None, category: str = "primary",
    ) -> GmMessage:
        if b"\r\n" not in data:
            data = data.replace(b"\n", b"\r\n")
        msgid = next(self._msgids)
        m = GmMessage(
            msgid=msgid,
            thrid=msgid,
            data=data,
            internaldate=(when or self.clock).astimezone(UTC).replace(microsecond=0),
            flags=set(flags),
            labels=set(labels),
            category=category,
            modseq=self._bump(),
        )
        if "\\Draft" in m.labels:
            m.flags.add("\\Draft")
        m.thrid = self._thread_of(m)
        self.messages[msgid] = m
        return m

    def _refresh(self) -> None:
        """Bring every folder's UIDs up to date with the store; wake IDLE sessions."""
        for label in sorted({lb for m in self.messages.values() for lb in m.labels if not lb.startswith("\\")}):
            if label not in self.views:
                self.views[label] = View(
                    label, (), _user_label_member(label), next(self._uidvalidities), label=label
                )
        for view in self.views.values():
            members = {mid for mid, m in self.messages.items() if view.member(m)}
            for mid in [mid for mid in view.uids if mid not in members]:
                del view.uids[mid]
                view.gone_modseq = self._bump()
            for mid in sorted(members - set(view.uids)):
                view.uids[mid] = view.uidnext
                view.uidnext += 1
        self.changed.notify_all()

    def deliver(
        self, data: bytes, labels: Iterable[str] = ("\\Inbox",), *, flags: Iterable[str] = (),
        when: datetime | None = None, category: str = "primary",
    ) -> int:
        """A message arrives (or the user sends one: ``labels=("\\\\Sent",)``); its X-GM-MSGID."""
        with self.lock:
            m = self._add(data, labels, flags, when, category)
            self._refresh()
            return m.msgid

    def delete(self, msgid: int) -> None:
        """The user deletes a message in Gmail's web client: it moves to Trash."""
        with self.lock:
            m = self.messages[msgid]
            m.labels = {"\\Trash"}
            m.modseq = self._bump()
            self._refresh()

    def add_label(self, msgid: int, label: str) -> None:
        with self.lock:
            m = self.messages[msgid]
            m.labels.add(label)
            m.modseq = self._bump()
            self._refresh()

    def remove_label(self, msgid: int, label: str) -> None:
        with self.lock:
            m = self.messages[msgid]
            m.labels.discard(label)
            m.modseq = self._bump()
            self._refresh()

    def set_clock(self, now: datetime) -> None:
        """The server's "now" (INTERNALDATE of new mail, ``newer_than:``)."""
        with self.lock:
            self.clock = now.astimezone(UTC).replace(microsecond=0)

    def user_edit_draft(self, msgid: int, data: bytes) -> int:
        """The user edits a draft in Gmail: a new message (new X-GM-MSGID) replaces it."""
        with self.lock:
            old = self.messages.pop(msgid)
            assert "\\Draft" in old.labels, f"{msgid} is not a draft"
            new = self._add(data, old.labels, old.flags)
            new.thrid = old.thrid
            self._refresh()
            return new.msgid

    def user_delete_draft(self, msgid: int) -> None:
        """The user discards a draft: it is gone, from every folder."""
        with self.lock:
            assert "\\Draft" in self.messages[msgid].labels, f"{msgid} is not a draft"
            del self.messages[msgid]
            self._refresh()

    def reset_uidvalidity(self, folder: str) -> None:
        """The folder's UIDs are renumbered under a new UIDVALIDITY (Gmail does this rarely,
        e.g. after a label rename); the messages come back in reverse order, so an old UID,
        if it exists again, names another message."""
        with self.lock:
            view = self.views[folder]
            view.uidvalidity = next(self._uidvalidities) + 1000
            mids = sorted(view.uids, reverse=True)
            view.uids = {mid: i for i, mid in enumerate(mids, 1)}
            view.uidnext = len(mids) + 1
            self._refresh()

    # --- looking things up --------------------------------------------------------------

    def find(self, message_id: str, *, drafts: bool = False) -> GmMessage:
        """The message (or draft) with this Message-ID header."""
        with self.lock:
            for m in self.messages.values():
                if m.message_id == message_id and ("\\Draft" in m.labels) == drafts:
                    return m
        raise AssertionError(f"no {'draft' if drafts else 'message'} {message_id}")

    def msgid_at(self, folder: str, uid: int) -> int:
        with self.lock:
            for mid, u in self.views[folder].uids.items():
                if u == uid:
                    return mid
        raise AssertionError(f"no UID {uid} in {folder}")

    def uid_of(self, folder: str, msgid: int) -> int:
        with self.lock:
            return self.views[folder].uids[msgid]

    def drafts(self) -> list[GmMessage]:
        with self.lock:
            view = self.views[DRAFTS]
            return [self.messages[mid] for _uid, mid in view.sorted()]

    def highestmodseq(self, view: View) -> int:
        mods = [self.messages[mid].modseq for mid in view.uids]
        return max([view.gone_modseq, *mods, 1])

    def snapshot(self) -> Any:
        """Everything a client could change: messages, flags, labels, modseqs, UIDs."""
        with self.lock:
            msgs = sorted(
                (m.msgid, m.thrid, m.data, tuple(sorted(m.flags)), tuple(sorted(m.labels)), m.modseq)
                for m in self.messages.values()
            )
            views = sorted(
                (v.name, v.uidvalidity, v.uidnext, tuple(sorted(v.uids.items())), v.gone_modseq)
                for v in self.views.values()
            )
            return msgs, views, self._modseq

    def count(self, command: str) -> int:
        return self.commands[command.upper()]


# --- one connection -------------------------------------------------------------------------


class _Session:
    def __init__(self, server: GmailImapServer, sock: socket.socket, rfile: Any, wfile: Any) -> None:
        self.server = server
        self.sock = sock
        self.rfile = rfile
        self.wfile = wfile
        self.state = "NONAUTH"
        self.view: View | None = None
        self.readonly = False
        self.known_exists = 0
        self.current = ""  # the command being run ("UID FETCH", "EXAMINE", ...)

    # --- I/O ------------------------------------------------------------------------------

    def send(self, data: bytes) -> None:
        self.wfile.write(data)
        self.wfile.flush()

    def line(self, text: str | bytes) -> None:
        self.send((text.encode() if isinstance(text, str) else text) + b"\r\n")

    def read_command(self) -> tuple[bytes, list[bytes]] | None:
        """One command: its text with each literal replaced by ``\\x00<n>\\x00``, and the literals."""
        text = b""
        literals: list[bytes] = []
        while True:
            raw = self.rfile.readline(1 << 20)
            if not raw:
                return None
            if not raw.endswith(b"\n"):
                raise Bad("line too long")
            raw = raw.rstrip(b"\r\n")
            m = re.search(rb"\{(\d+)(\+?)\}$", raw)
            if m is None:
                return text + raw, literals
            if not m[2]:
                self.line("+ go ahead")
            literals.append(self.rfile.read(int(m[1])))
            text += raw[: m.start()] + b"\x00" + str(len(literals) - 1).encode() + b"\x00"

    def run(self) -> None:
        srv = self.server
        with srv.lock:
            srv._conns.add(self.sock)
            srv.sessions += 1
        try:
            self.line(f"* OK [CAPABILITY {CAPS_PREAUTH}] Gimap ready for requests from 127.0.0.1")
            while True:
                try:
                    got = self.read_command()
                except Bad as err:
                    self.line(f"* BAD {err}")
                    return
                if got is None:
                    return
                text, literals = got
                if not text.strip():
                    continue
                if not self.dispatch(text, literals):
                    return
        except (OSError, ValueError):
            return
        finally:
            with srv.lock:
                srv._conns.discard(self.sock)

    def dispatch(self, text: bytes, literals: list[bytes]) -> bool:
        """Run one command; False when the connection should end."""
        tag = "*"
        try:
            tokens = tokenize(text, literals)
            if len(tokens) < 2 or not isinstance(tokens[0], str) or not isinstance(tokens[1], str):
                raise Bad("Could not parse command")
            tag, name, args = tokens[0], tokens[1].upper(), tokens[2:]
            if name == "UID":
                if not args or not isinstance(args[0], str):
                    raise Bad("UID needs a command")
                name, args = "UID " + args[0].upper(), args[1:]
            srv = self.server
            with srv.lock:
                srv.commands[name] += 1
                logged = re.sub(rb"\x00\d+\x00", b"{literal}", text).decode("utf-8", "replace")
                if name == "LOGIN":
                    logged = " ".join([*logged.split()[:3], "<password>"])
                srv.log.append(logged)
            self.current = name
            handler = _COMMANDS.get(name)
            if handler is None:
                raise Bad(f"Unknown command {name}")
            allowed = _STATES.get(name, ("AUTH", "SELECTED"))
            if self.state not in allowed:
                raise Bad(f"{name} not allowed now")
            result = handler(self, tag, args)
            if result is False:
                return False
            self.line(f"{tag} OK {result or 'Success'}")
        except Bad as err:
            self.line(f"{tag} BAD {err}")
        except No as err:
            self.line(f"{tag} NO {err}")
        return True

    # --- helpers --------------------------------------------------------------------------

    def folder(self, token: Any) -> View:
        name = utf7_decode(as_bytes(token))
        if name.upper() == "INBOX":
            name = "INBOX"
        view = self.server.views.get(name)
        if view is None:
            raise No("[NONEXISTENT] Unknown Mailbox: " + name)
        return view

    def selected(self) -> View:
        if self.view is None:
            raise Bad("No mailbox selected")
        return self.view

    def resolve(self, view: View, spec: str, uid: bool) -> list[tuple[int, int, int]]:
        """(seq, uid, msgid) of the messages a sequence set names (UID or sequence numbers)."""
        rows = view.sorted()
        if not rows:
            return []
        top = rows[-1][0] if uid else len(rows)
        wanted = seq_set(spec, top)
        out = []
        for i, (u, mid) in enumerate(rows, 1):
            if (u if uid else i) in wanted:
                out.append((i, u, mid))
        return out

    def notify_exists(self) -> None:
        view = self.view
        if view is None:
            return
        with self.server.lock:
            n = len(view.uids)
        if n > self.known_exists:
            self.line(f"* {n} EXISTS")
        self.known_exists = n


def as_bytes(token: Any) -> bytes:
    if isinstance(token, bytes):
        return token
    if isinstance(token, str):
        return token.encode()
    raise Bad("expected a string")


def as_text(token: Any) -> str:
    return as_bytes(token).decode("utf-8", "replace")


def seq_set(spec: str, top: int) -> set[int]:
    out: set[int] = set()
    for part in spec.split(","):
        lo, _, hi = part.partition(":")
        try:
            a = top if lo == "*" else int(lo)
            b = a if not hi else top if hi == "*" else int(hi)
        except ValueError:
            raise Bad(f"bad sequence set {spec!r}") from None
        a, b = min(a, b), max(a, b)
        out.update(range(a, min(b, top) + 1))
    return out


# --- the command tokenizer ----------------------------------------------------------------------


def tokenize(text: bytes, literals: list[bytes]) -> list[Any]:
    """Atoms → str; quoted strings and literals → bytes; parenthesised lists → list.

    An atom may contain a ``[...]`` section with spaces and parentheses
    (``BODY.PEEK[HEADER.FIELDS (FROM TO)]<0.100>``): it stays one atom.
    """
    stack: list[list[Any]] = [[]]
    i, n = 0, len(text)
    while i < n:
        c = text[i : i + 1]
        if c == b" ":
            i += 1
        elif c == b"(":
            stack.append([])
            i += 1
        elif c == b")":
            if len(stack) == 1:
                raise Bad("unbalanced )")
            inner = stack.pop()
            stack[-1].append(inner)
            i += 1
        elif c == b'"':
            i += 1
            out = bytearray()
            while True:
                if i >= n:
                    raise Bad("unterminated string")
                ch = text[i]
                if ch == 0x5C:  # backslash
                    out.append(text[i + 1])
                    i += 2
                elif ch == 0x22:
                    i += 1
                    break
                else:
                    out.append(ch)
                    i += 1
            stack[-1].append(bytes(out))
        elif c == b"\x00":
            end = text.index(b"\x00", i + 1)
            stack[-1].append(literals[int(text[i + 1 : end])])
            i = end + 1
        else:
            start, depth = i, 0
            while i < n:
                cur = text[i : i + 1]
                if cur == b"[":
                    depth += 1
                elif cur == b"]":
                    depth -= 1
                elif depth == 0 and cur in (b" ", b"(", b")"):
                    break
                i += 1
            stack[-1].append(text[start:i].decode("utf-8", "replace"))
    if len(stack) != 1:
        raise Bad("unbalanced (")
    return stack[0]


# --- formatting -------------------------------------------------------------------------------


def quote(value: str | bytes) -> bytes:
    """A quoted string, or a literal when it cannot be quoted."""
    data = value.encode() if isinstance(value, str) else value
    if b"\r" in data or b"\n" in data or not data.isascii():
        return b"{%d}\r\n" % len(data) + data
    return b'"' + data.replace(b"\\", b"\\\\").replace(b'"', b'\\"') + b'"'


def literal(data: bytes) -> bytes:
    return b"{%d}\r\n" % len(data) + data


def imap_date(dt: datetime) -> str:
    dt = dt.astimezone(UTC)
    return f"{dt.day:02d}-{_MONTHS[dt.month - 1]}-{dt.year:04d} {dt:%H:%M:%S} +0000"


def parse_imap_date(text: str) -> date:
    m = re.fullmatch(r"(\d{1,2})-([A-Za-z]{3})-(\d{4})", text)
    if m is None or m[2].title() not in _MONTHS:
        raise Bad(f"bad date {text!r}")
    return date(int(m[3]), _MONTHS.index(m[2].title()) + 1, int(m[1]))


def parse_imap_datetime(text: str) -> datetime:
    try:
        return datetime.strptime(text.strip(), "%d-%b-%Y %H:%M:%S %z")
    except ValueError:
        raise Bad(f"bad date-time {text!r}") from None


def label_atom(label: str) -> bytes:
    enc = utf7_encode(label)
    if label.startswith("\\"):
        return enc  # \Inbox, \Sent, \Draft ... as atoms, like Gmail
    if re.fullmatch(rb"[A-Za-z0-9_.\-/&+,$]+", enc) and not enc.isdigit():
        return enc
    return quote(enc)


# --- MIME structure ---------------------------------------------------------------------------------


@dataclass
class Part:
    header: bytes  # with the blank line that ends it
    body: bytes
    children: list[Part]
    maintype: str
    subtype: str
    params: list[tuple[str, str]]
    encoding: str


def split_header(data: bytes) -> tuple[bytes, bytes]:
    for sep in (b"\r\n\r\n", b"\n\n"):
        k = data.find(sep)
        if k >= 0 and (sep == b"\r\n\r\n" or data.find(b"\r\n\r\n") < 0):
            return data[: k + len(sep)], data[k + len(sep) :]
    if data.startswith((b"\r\n", b"\n")):
        cut = 2 if data.startswith(b"\r\n") else 1
        return data[:cut], data[cut:]
    return data, b""


def parse_part(data: bytes, default: str = "text/plain") -> Part:
    header, body = split_header(data)
    h = BytesHeaderParser(policy=compat32).parsebytes(header)
    ctype = h.get_content_type() if h.get("Content-Type") else default
    maintype, _, subtype = ctype.partition("/")
    params = [(k, v) for k, v in (h.get_params() or [])[1:] if isinstance(v, str)]
    encoding = str(h.get("Content-Transfer-Encoding", "7bit")).strip().lower()
    children: list[Part] = []
    boundary = h.get_boundary()
    if maintype == "multipart" and boundary:
        delim = re.compile(
            rb"(?:^|\r?\n)--" + re.escape(boundary.encode()) + rb"(--)?[ \t]*(?:\r?\n|$)"
        )
        marks = list(delim.finditer(body))
        for a, b in itertools.pairwise(marks):
            if a[1]:
                break
            sub_default = "message/rfc822" if subtype == "digest" else "text/plain"
            children.append(parse_part(body[a.end() : b.start()], sub_default))
    return Part(header, body, children, maintype, subtype, params, encoding)


def body_structure(p: Part) -> bytes:
    if p.maintype == "multipart" and p.children:
        inner = b"".join(body_structure(c) for c in p.children)
        return b"(" + inner + b" " + quote(p.subtype.upper()) + b")"
    params = (
        b"(" + b" ".join(quote(k.upper()) + b" " + quote(v) for k, v in p.params) + b")"
        if p.params else b"NIL"
    )
    fields = [
        quote(p.maintype.upper()), quote(p.subtype.upper()), params, b"NIL", b"NIL",
        quote(p.encoding.upper()), str(len(p.body)).encode(),
    ]
    if p.maintype == "text":
        fields.append(str(p.body.count(b"\n")).encode())
    return b"(" + b" ".join(fields) + b")"


def find_part(root: Part, numbers: list[int]) -> Part | None:
    """The part a section number names (``[1, 2]`` for ``1.2``); None when there is none."""
    part = root
    for k in numbers:
        if part is not root and part.maintype == "message" and part.subtype == "rfc822":
            part = parse_part(part.body)
        if part.children:
            if not 1 <= k <= len(part.children):
                return None
            part = part.children[k - 1]
        elif k != 1:
            return None
    return part


def header_fields(header: bytes, names: set[str], *, exclude: bool) -> bytes:
    out: list[bytes] = []
    keep = False
    for line in header.splitlines(keepends=True):
        if line in (b"\r\n", b"\n"):
            break
        if line[:1] in (b" ", b"\t"):
            if keep:
                out.append(line)
            continue
        name = line.split(b":", 1)[0].strip().decode("ascii", "replace").upper()
        keep = (name in names) != exclude
        if keep:
            out.append(line)
    return b"".join(out) + b"\r\n"


_SECTION = re.compile(r"(BODY(?:\.PEEK)?)\[([^\]]*)\](?:<(\d+)(?:\.(\d+))?>)?", re.IGNORECASE)


def section_bytes(data: bytes, section: str) -> bytes | None:
    spec = section.strip()
    root = parse_part(data)
    m = re.fullmatch(r"((?:\d+\.)*\d+)?\.?(HEADER\.FIELDS\.NOT|HEADER\.FIELDS|HEADER|TEXT|MIME)?(.*)", spec,
                     re.IGNORECASE | re.DOTALL)
    if m is None:
        raise Bad(f"bad section {section!r}")
    nums, kind, rest = m[1], (m[2] or "").upper(), m[3].strip()
    part = root if not nums else find_part(root, [int(x) for x in nums.split(".")])
    if part is None:
        return b""
    if nums and kind in ("HEADER", "TEXT", "HEADER.FIELDS", "HEADER.FIELDS.NOT"):
        if not (part.maintype == "message" and part.subtype == "rfc822"):
            return b""
        part = parse_part(part.body)
    if kind == "":
        return data if not nums else part.body
    if kind == "MIME":
        return part.header
    if kind == "TEXT":
        return part.body
    if kind == "HEADER":
        return part.header
    names = {x.upper() for x in re.findall(r"[^\s()]+", rest)}
    return header_fields(part.header, names, exclude=kind.endswith(".NOT"))


# --- X-GM-RAW -------------------------------------------------------------------------------------


def gm_raw(query: str, m: GmMessage, now: datetime) -> bool:
    """The subset of Gmail's search language the tests use (see the module docstring)."""
    for term in query.split():
        neg = term.startswith("-")
        if neg:
            term = term[1:]
        key, _, value = term.partition(":")
        key, value = key.lower(), value.strip('"')
        if key in ("newer_than", "older_than"):
            mt = re.fullmatch(r"(\d+)([dmy])", value.lower())
            if mt is None:
                raise Bad(f"X-GM-RAW: bad {key} value {value!r}")
            days = int(mt[1]) * {"d": 1, "m": 30, "y": 365}[mt[2]]
            newer = m.internaldate > now - timedelta(days=days)
            hit = newer if key == "newer_than" else not newer
        elif key == "label":
            want = value.lower().replace("-", " ")
            hit = any(lb.lower().replace("-", " ").replace("/", " ") == want.replace("/", " ")
                      for lb in m.labels if not lb.startswith("\\"))
        elif key == "in":
            v = value.lower()
            if v == "anywhere":
                hit = True
            elif v in ("inbox", "sent", "drafts", "trash", "spam"):
                hit = {"inbox": "\\Inbox", "sent": "\\Sent", "drafts": "\\Draft", "trash": "\\Trash",
                       "spam": "\\Spam"}[v] in m.labels
            else:
                raise Bad(f"X-GM-RAW: unsupported in:{value}")
        elif key == "category":
            hit = m.category == value.lower()
        elif key == "rfc822msgid":
            hit = m.message_id.strip("<>") == value.strip("<>")
        else:
            raise Bad(f"X-GM-RAW: unsupported term {term!r} (tests/gmail_imap_server.py)")
        if hit == neg:
            return False
    return True


# --- SEARCH ------------------------------------------------------------------------------------------

_FLAG_KEYS = {
    "SEEN": ("\\Seen", True), "UNSEEN": ("\\Seen", False), "DELETED": ("\\Deleted", True),
    "UNDELETED": ("\\Deleted", False), "DRAFT": ("\\Draft", True), "UNDRAFT": ("\\Draft", False),
    "FLAGGED": ("\\Flagged", True), "UNFLAGGED": ("\\Flagged", False),
    "ANSWERED": ("\\Answered", True), "UNANSWERED": ("\\Answered", False),
}

Pred = Callable[[int, int, GmMessage], bool]  # (seq, uid, message)


def parse_search(tokens: list[Any], s: _Session, view: View) -> tuple[Pred, bool]:
    """A predicate for the search keys, and whether MODSEQ was among them."""
    srv = s.server
    rows = view.sorted()
    top_uid = rows[-1][0] if rows else 0
    used_modseq = False

    def one(toks: list[Any]) -> Pred:
        nonlocal used_modseq
        if not toks:
            raise Bad("missing search key")
        t = toks.pop(0)
        if isinstance(t, list):
            return conj(list(t))
        if not isinstance(t, str):
            raise Bad("search key expected")
        k = t.upper()

        def arg() -> Any:
            if not toks:
                raise Bad(f"{k} needs an argument")
            return toks.pop(0)

        if k == "ALL":
            return lambda q, u, m: True
        if k in _FLAG_KEYS:
            flag, want = _FLAG_KEYS[k]
            return lambda q, u, m: (flag in m.flags) == want
        if k in ("KEYWORD", "UNKEYWORD"):
            kw, want = as_text(arg()), k == "KEYWORD"
            return lambda q, u, m: (kw in m.flags) == want
        if k == "NOT":
            inner = one(toks)
            return lambda q, u, m: not inner(q, u, m)
        if k == "OR":
            a, b = one(toks), one(toks)
            return lambda q, u, m: a(q, u, m) or b(q, u, m)
        if k == "UID":
            wanted = seq_set(as_text(arg()), top_uid) if rows else set()
            return lambda q, u, m: u in wanted
        if re.fullmatch(r"[\d*:,]+", k):
            numbers = seq_set(k, len(rows)) if rows else set()
            return lambda q, u, m: q in numbers
        if k in ("HEADER", "SUBJECT", "FROM", "TO", "CC"):
            name = as_text(arg()) if k == "HEADER" else k.title()
            needle = as_text(arg()).lower()
            return lambda q, u, m: needle in m.header(name).lower()
        if k in ("SINCE", "BEFORE", "ON"):
            day = parse_imap_date(as_text(arg()))
            op = {"SINCE": lambda d: d >= day, "BEFORE": lambda d: d < day, "ON": lambda d: d == day}[k]
            return lambda q, u, m: op(m.internaldate.date())
        if k in ("LARGER", "SMALLER"):
            size = int(as_text(arg()))
            return (lambda q, u, m: len(m.data) > size) if k == "LARGER" else (lambda q, u, m: len(m.data) < size)
        if k == "MODSEQ":
            if not srv.condstore:
                raise Bad("MODSEQ: CONDSTORE is not offered")
            used_modseq = True
            value = as_text(arg())
            if not value.isdigit():  # entry name and type: MODSEQ "/flags/\\draft" all 620162338
                arg()
                value = as_text(arg())
            low = int(value)
            return lambda q, u, m: m.modseq >= low
        if k == "X-GM-MSGID":
            want_id = int(as_text(arg()))
            return lambda q, u, m: m.msgid == want_id
        if k == "X-GM-THRID":
            want_thr = int(as_text(arg()))
            return lambda q, u, m: m.thrid == want_thr
        if k == "X-GM-LABELS":
            label = utf7_decode(as_bytes(arg()))
            return lambda q, u, m: label in m.labels
        if k == "X-GM-RAW":
            query = as_text(arg())
            now = srv.clock
            gm_raw(query, GmMessage(0, 0, b"", now, set(), set()), now)  # BAD now, not per message
            return lambda q, u, m: gm_raw(query, m, now)
        raise Bad(f"Unsupported search key {t}")

    def conj(toks: list[Any]) -> Pred:
        preds = []
        while toks:
            preds.append(one(toks))
        if not preds:
            raise Bad("empty search")
        return lambda q, u, m: all(p(q, u, m) for p in preds)

    toks = list(tokens)
    if toks and isinstance(toks[0], str) and toks[0].upper() == "CHARSET":
        toks = toks[2:]
    return conj(toks), used_modseq


# --- commands ------------------------------------------------------------------------------------------

_STATES: dict[str, tuple[str, ...]] = {
    "CAPABILITY": ("NONAUTH", "AUTH", "SELECTED"),
    "NOOP": ("NONAUTH", "AUTH", "SELECTED"),
    "LOGOUT": ("NONAUTH", "AUTH", "SELECTED"),
    "ID": ("NONAUTH", "AUTH", "SELECTED"),
    "LOGIN": ("NONAUTH",),
    "AUTHENTICATE": ("NONAUTH",),
    "CLOSE": ("SELECTED",), "UNSELECT": ("SELECTED",), "EXPUNGE": ("SELECTED",),
    "SEARCH": ("SELECTED",), "FETCH": ("SELECTED",), "STORE": ("SELECTED",),
    "UID SEARCH": ("SELECTED",), "UID FETCH": ("SELECTED",), "UID STORE": ("SELECTED",),
    "UID EXPUNGE": ("SELECTED",), "IDLE": ("AUTH", "SELECTED"),
}

Handler = Callable[[_Session, str, list[Any]], "str | bool | None"]
_COMMANDS: dict[str, Handler] = {}


def command(*names: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        for n in names:
            _COMMANDS[n] = fn
        return fn

    return register


@command("CAPABILITY")
def _capability(s: _Session, tag: str, args: list[Any]) -> str:
    caps = CAPS_PREAUTH if s.state == "NONAUTH" else CAPS
    if s.state != "NONAUTH" and s.server.condstore:
        caps += " CONDSTORE"
    s.line(f"* CAPABILITY {caps}")
    return "Thats all she wrote!"


@command("NOOP")
def _noop(s: _Session, tag: str, args: list[Any]) -> str:
    s.notify_exists()
    return "Success"


@command("ID")
def _id(s: _Session, tag: str, args: list[Any]) -> str:
    s.line('* ID ("name" "GImap" "vendor" "Google, Inc." "support-url" "https://support.google.com/mail")')
    return "Success"


@command("LOGOUT")
def _logout(s: _Session, tag: str, args: list[Any]) -> bool:
    s.line("* BYE LOGOUT Requested")
    s.line(f"{tag} OK 73 good day (Success)")
    return False


def _logged_in(s: _Session, how: str, ok: bool) -> str:
    with s.server.lock:
        s.server.auth.append((how, ok))
    if not ok:
        raise No("[AUTHENTICATIONFAILED] Invalid credentials (Failure)")
    s.state = "AUTH"
    caps = CAPS + (" CONDSTORE" if s.server.condstore else "")
    return f"[CAPABILITY {caps}] {s.server.user} authenticated (Success)"


@command("LOGIN")
def _login(s: _Session, tag: str, args: list[Any]) -> str:
    if len(args) != 2:
        raise Bad("LOGIN needs a user and a password")
    user, pw = as_text(args[0]), as_text(args[1])
    return _logged_in(s, "LOGIN", user == s.server.user and pw == s.server.password)


@command("AUTHENTICATE")
def _authenticate(s: _Session, tag: str, args: list[Any]) -> str:
    if not args:
        raise Bad("AUTHENTICATE needs a mechanism")
    mech = as_text(args[0]).upper()
    if mech not in ("XOAUTH2", "PLAIN"):
        raise No(f"[CANNOT] Unsupported mechanism {mech}")
    if len(args) > 1:  # SASL-IR
        answer = as_bytes(args[1])
    else:
        s.line("+ ")
        answer = s.rfile.readline(1 << 16).rstrip(b"\r\n")
    if answer == b"*":
        raise Bad("AUTHENTICATE cancelled")
    try:
        decoded = base64.b64decode(answer, validate=True)
    except ValueError:
        raise Bad("Invalid SASL argument") from None
    srv = s.server
    if mech == "PLAIN":
        parts = decoded.split(b"\x00")
        ok = len(parts) == 3 and parts[1].decode() == srv.user and parts[2].decode() == srv.password
        return _logged_in(s, "PLAIN", ok)
    expected = f"user={srv.user}\x01auth=Bearer {srv.token}\x01\x01".encode()
    if decoded != expected:
        # Gmail's failure: a JSON challenge, the client answers (anything), then NO
        err = b'{"status":"400","schemes":"Bearer","scope":"https://mail.google.com/"}'
        s.line(b"+ " + base64.b64encode(err))
        s.rfile.readline(1 << 16)
        return _logged_in(s, "XOAUTH2", False)
    return _logged_in(s, "XOAUTH2", True)


@command("NAMESPACE")
def _namespace(s: _Session, tag: str, args: list[Any]) -> str:
    s.line('* NAMESPACE (("" "/")) NIL NIL')
    return "Success"


@command("ENABLE")
def _enable(s: _Session, tag: str, args: list[Any]) -> str:
    on = [as_text(a).upper() for a in args if as_text(a).upper() == "CONDSTORE" and s.server.condstore]
    s.line("* ENABLED" + "".join(" " + x for x in on))
    return "Success"


def _wildcard(pattern: str) -> re.Pattern[str]:
    out = "".join(".*" if ch == "*" else "[^/]*" if ch == "%" else re.escape(ch) for ch in pattern)
    return re.compile(out, re.IGNORECASE if pattern.upper().startswith("INBOX") else 0)


@command("LIST")
def _list(s: _Session, tag: str, args: list[Any]) -> str:
    special_only = False
    if args and isinstance(args[0], list):
        opts = {as_text(o).upper() for o in args[0]}
        if opts - {"SPECIAL-USE"}:
            raise Bad(f"unsupported LIST options {sorted(opts)}")
        special_only = True
        args = args[1:]
    if len(args) != 2:
        raise Bad("LIST needs a reference and a pattern")
    ref, pattern = utf7_decode(as_bytes(args[0])), utf7_decode(as_bytes(args[1]))
    if pattern == "":
        s.line('* LIST (\\Noselect) "/" ""')
        return "Success"
    rx = _wildcard(ref + pattern)
    with s.server.lock:
        names = {name: view.attrs for name, view in s.server.views.items()}
    rows: list[tuple[str, tuple[str, ...]]] = [("[Gmail]", ("\\Noselect",))]
    rows += list(names.items())
    for name, attrs in sorted(rows, key=lambda r: (r[0] != "INBOX", r[0])):
        if not rx.fullmatch(name) or (special_only and not attrs):
            continue
        children = any(other.startswith(name + "/") for other in names)
        flags = ["\\HasChildren" if children else "\\HasNoChildren", *attrs]
        s.line(f"* LIST ({' '.join(flags)}) \"/\" ".encode() + quote(utf7_encode(name)))
    return "Success"


@command("STATUS")
def _status(s: _Session, tag: str, args: list[Any]) -> str:
    if len(args) != 2 or not isinstance(args[1], list):
        raise Bad("STATUS needs a mailbox and a list")
    view = s.folder(args[0])
    srv = s.server
    out = []
    with srv.lock:
        for item in (as_text(a).upper() for a in args[1]):
            if item == "MESSAGES":
                v = len(view.uids)
            elif item == "UIDNEXT":
                v = view.uidnext
            elif item == "UIDVALIDITY":
                v = view.uidvalidity
            elif item == "UNSEEN":
                v = sum("\\Seen" not in srv.messages[m].flags for m in view.uids)
            elif item == "RECENT":
                v = 0
            elif item == "HIGHESTMODSEQ" and srv.condstore:
                v = srv.highestmodseq(view)
            else:
                raise Bad(f"unsupported STATUS item {item}")
            out.append(f"{item} {v}")
    s.line(b"* STATUS " + quote(utf7_encode(view.name)) + f" ({' '.join(out)})".encode())
    return "Success"


@command("SELECT", "EXAMINE")
def _select(s: _Session, tag: str, args: list[Any]) -> str:
    readonly = s.current == "EXAMINE"
    s.view, s.state = None, "AUTH"
    if not args:
        raise Bad("SELECT needs a mailbox")
    view = s.folder(args[0])
    srv = s.server
    with srv.lock:
        srv.selects.append(("EXAMINE" if readonly else "SELECT", view.name))
        exists = len(view.uids)
        modseq = srv.highestmodseq(view)
    s.line(f"* FLAGS {FLAG_LIST}")
    s.line("* OK [PERMANENTFLAGS ()] Flags permitted." if readonly
           else f"* OK [PERMANENTFLAGS {FLAG_LIST[:-1]} \\*)] Flags permitted.")
    s.line(f"* OK [UIDVALIDITY {view.uidvalidity}] UIDs valid.")
    s.line(f"* {exists} EXISTS")
    s.line("* 0 RECENT")
    s.line(f"* OK [UIDNEXT {view.uidnext}] Predicted next UID.")
    if srv.condstore:
        s.line(f"* OK [HIGHESTMODSEQ {modseq}]")
    s.view, s.state, s.readonly, s.known_exists = view, "SELECTED", readonly, exists
    return f"[{'READ-ONLY' if readonly else 'READ-WRITE'}] {view.name} selected. (Success)"


@command("UNSELECT")
def _unselect(s: _Session, tag: str, args: list[Any]) -> str:
    s.view, s.state = None, "AUTH"
    return "Returned to authenticated state. (Success)"


@command("CLOSE")
def _close(s: _Session, tag: str, args: list[Any]) -> str:
    if not s.readonly:
        with s.server.lock:
            _expunge_in(s.server, s.selected(), None)
    s.view, s.state = None, "AUTH"
    return "Returned to authenticated state. (Success)"


def _expunge_in(srv: GmailImapServer, view: View, uids: set[int] | None) -> list[int]:
    """Expunge the \\Deleted messages (among ``uids``) of ``view``; their sequence numbers."""
    rows = view.sorted()
    gone: list[int] = []
    for seq, (uid, mid) in enumerate(rows, 1):
        m = srv.messages[mid]
        if "\\Deleted" not in m.flags or (uids is not None and uid not in uids):
            continue
        gone.append(seq)
        if view.name == DRAFTS or view.name == TRASH:
            del srv.messages[mid]  # a discarded draft, or deleted for good
            continue
        m.flags.discard("\\Deleted")
        if view.label is None:  # All Mail: to the Trash
            m.labels = {"\\Trash"}
        else:
            m.labels.discard(view.label)
        m.modseq = srv._bump()
    srv._refresh()
    return gone


@command("EXPUNGE", "UID EXPUNGE")
def _expunge(s: _Session, tag: str, args: list[Any]) -> str:
    view = s.selected()
    if s.readonly:
        raise No("EXPUNGE in a read-only mailbox")
    srv = s.server
    with srv.lock:
        rows = view.sorted()
        wanted = None
        if args:
            top = rows[-1][0] if rows else 0
            wanted = seq_set(as_text(args[0]), top) if rows else set()
        gone = _expunge_in(srv, view, wanted)
    for seq in sorted(gone, reverse=True):
        s.line(f"* {seq} EXPUNGE")
    s.known_exists = len(view.uids)
    return "Success"


@command("SEARCH", "UID SEARCH")
def _search(s: _Session, tag: str, args: list[Any]) -> str:
    view = s.selected()
    uid_cmd = s.current.startswith("UID ")
    srv = s.server
    with srv.lock:
        pred, used_modseq = parse_search(args, s, view)
        hits: list[tuple[int, int]] = []
        for seq, (uid, mid) in enumerate(view.sorted(), 1):
            m = srv.messages[mid]
            if pred(seq, uid, m):
                hits.append((uid if uid_cmd else seq, m.modseq))
    text = "* SEARCH" + "".join(f" {n}" for n, _ in hits)
    if used_modseq and hits:
        text += f" (MODSEQ {max(ms for _, ms in hits)})"
    s.line(text)
    return "SEARCH completed (Success)"


def _fetch_items(spec: Any) -> list[str]:
    items = [as_text(x) for x in spec] if isinstance(spec, list) else [as_text(spec)]
    out: list[str] = []
    for it in items:
        up = it.upper()
        if up == "FAST":
            out += ["FLAGS", "INTERNALDATE", "RFC822.SIZE"]
        elif up == "ALL" or up == "FULL":
            raise Bad(f"FETCH {it} is not supported here (ENVELOPE)")
        else:
            out.append(it)
    return out


def _labels_value(m: GmMessage) -> bytes:
    return b"(" + b" ".join(label_atom(lb) for lb in sorted(m.labels)) + b")"


def _fetch_one(s: _Session, seq: int, uid: int, m: GmMessage, items: list[str], uid_cmd: bool) -> bytes:
    srv = s.server
    parts: list[bytes] = []
    if uid_cmd:
        parts.append(b"UID %d" % uid)
    set_seen = False
    for it in items:
        up = it.upper()
        if up == "UID":
            if not uid_cmd:
                parts.append(b"UID %d" % uid)
        elif up == "FLAGS":
            continue  # written last (after a possible \Seen)
        elif up == "INTERNALDATE":
            parts.append(b'INTERNALDATE "' + imap_date(m.internaldate).encode() + b'"')
        elif up == "RFC822.SIZE":
            parts.append(b"RFC822.SIZE %d" % len(m.data))
        elif up == "RFC822":
            parts.append(b"RFC822 " + literal(m.data))
            set_seen = True
        elif up == "RFC822.HEADER":
            parts.append(b"RFC822.HEADER " + literal(split_header(m.data)[0]))
        elif up in ("BODYSTRUCTURE", "BODY"):
            parts.append(up.encode() + b" " + body_structure(parse_part(m.data)))
        elif up == "MODSEQ":
            if not srv.condstore:
                raise Bad("MODSEQ: CONDSTORE is not offered")
            parts.append(b"MODSEQ (%d)" % m.modseq)
        elif up == "X-GM-MSGID":
            parts.append(b"X-GM-MSGID %d" % m.msgid)
        elif up == "X-GM-THRID":
            parts.append(b"X-GM-THRID %d" % m.thrid)
        elif up == "X-GM-LABELS":
            parts.append(b"X-GM-LABELS " + _labels_value(m))
        else:
            sm = _SECTION.fullmatch(it)
            if sm is None:
                raise Bad(f"Unsupported FETCH item {it}")
            data = section_bytes(m.data, sm[2])
            key = f"BODY[{sm[2]}]"
            if sm[3] is not None:
                origin = int(sm[3])
                length = int(sm[4]) if sm[4] is not None else None
                data = (data or b"")[origin : None if length is None else origin + length]
                key += f"<{origin}>"
            parts.append(key.encode() + b" " + (literal(data) if data is not None else b"NIL"))
            if sm[1].upper() == "BODY":
                set_seen = True
    if set_seen and not s.readonly and "\\Seen" not in m.flags:
        m.flags.add("\\Seen")
        m.modseq = srv._bump()
    if any(it.upper() == "FLAGS" for it in items) or (set_seen and not s.readonly):
        parts.append(b"FLAGS (" + " ".join(sorted(m.flags)).encode() + b")")
    return b"* %d FETCH (" % seq + b" ".join(parts) + b")"


@command("FETCH", "UID FETCH")
def _fetch(s: _Session, tag: str, args: list[Any]) -> str:
    view = s.selected()
    uid_cmd = s.current.startswith("UID ")
    if len(args) < 2:
        raise Bad("FETCH needs a set and items")
    if len(args) > 2:
        raise Bad(f"FETCH modifiers are not supported here: {args[2]!r}")
    items = _fetch_items(args[1])
    srv = s.server
    out: list[bytes] = []
    with srv.lock:
        for seq, uid, mid in s.resolve(view, as_text(args[0]), uid_cmd):
            m = srv.messages[mid]
            out.append(_fetch_one(s, seq, uid, m, items, uid_cmd))
            srv.fetched.append((view.name, uid, " ".join(items)))
    for resp in out:
        s.line(resp)
    return "Success"


@command("STORE", "UID STORE")
def _store(s: _Session, tag: str, args: list[Any]) -> str:
    view = s.selected()
    uid_cmd = s.current.startswith("UID ")
    if s.readonly:
        raise No("STORE in a read-only mailbox (EXAMINE)")
    if len(args) != 3:
        raise Bad("STORE needs a set, an item and values")
    op = as_text(args[1]).upper()
    values = args[2] if isinstance(args[2], list) else [args[2]]
    mo = re.fullmatch(r"([+-]?)(FLAGS|X-GM-LABELS)(\.SILENT)?", op)
    if mo is None:
        raise Bad(f"unsupported STORE item {op}")
    sign, what, silent = mo[1], mo[2], bool(mo[3])
    srv = s.server
    out: list[bytes] = []
    with srv.lock:
        srv.stores.append((view.name, " ".join([as_text(args[0]), op, *(as_text(v) for v in values)])))
        for seq, uid, mid in s.resolve(view, as_text(args[0]), uid_cmd):
            m = srv.messages[mid]
            target = m.flags if what == "FLAGS" else m.labels
            vals = {as_text(v) if what == "FLAGS" else utf7_decode(as_bytes(v)) for v in values}
            before = set(target)
            if sign == "+":
                target |= vals
            elif sign == "-":
                target -= vals
            else:
                target.clear()
                target |= vals
            if target != before:
                m.modseq = srv._bump()
            if not silent:
                value = (b"FLAGS (" + " ".join(sorted(m.flags)).encode() + b")" if what == "FLAGS"
                         else b"X-GM-LABELS " + _labels_value(m))
                out.append(b"* %d FETCH (" % seq + (b"UID %d " % uid if uid_cmd else b"") + value + b")")
        srv._refresh()
    for resp in out:
        s.line(resp)
    return "Success"


@command("APPEND")
def _append(s: _Session, tag: str, args: list[Any]) -> str:
    if len(args) < 2:
        raise Bad("APPEND needs a mailbox and a message")
    view = s.folder(args[0])
    rest = args[1:]
    flags: list[str] = []
    when: datetime | None = None
    if rest and isinstance(rest[0], list):
        flags = [as_text(f) for f in rest.pop(0)]
    if len(rest) == 2:
        when = parse_imap_datetime(as_text(rest.pop(0)))
    if len(rest) != 1 or not isinstance(rest[0], bytes):
        raise Bad("APPEND needs the message as a literal")
    data = rest[0]
    srv = s.server
    with srv.lock:
        labels = {view.label} if view.label else set()
        m = srv._add(data, labels, [f for f in flags if f.lower() != "\\recent"], when)
        srv._refresh()
        uid = view.uids.get(m.msgid)
        uv = view.uidvalidity
    if uid is None:
        return "(Success)"
    return f"[APPENDUID {uv} {uid}] (Success)"


@command("IDLE")
def _idle(s: _Session, tag: str, args: list[Any]) -> str:
    s.line("+ idling")
    while True:
        ready, _, _ = select.select([s.sock], [], [], 0.05)
        if ready:
            got = s.rfile.readline(1 << 16)
            if not got:
                raise OSError("connection closed in IDLE")
            if got.strip().upper() != b"DONE":
                raise Bad("Expected DONE")
            break
        s.notify_exists()
    return "IDLE terminated (Success)"


# --- the conformance suite's environment ---------------------------------------------------------


@contextlib.contextmanager
def gmail_imap_server(**kw: Any) -> Iterator[GmailImapServer]:
    server = GmailImapServer(**kw)
    with server:
        yield server


def imap_config(server: GmailImapServer, **overrides: Any) -> Any:
    """An ImapConfig for this server (plain text to loopback, password login by default)."""
    from agent.config import ImapConfig

    values: dict[str, Any] = {
        "host": server.host, "port": server.port, "security": "none", "username": server.user,
        "timeout": 10.0,
    }
    values.update(overrides)
    return ImapConfig(**values)


def make_mailbox(server: GmailImapServer, **overrides: Any) -> Any:
    """The real ImapMailbox, logged in with the password (or the token when auth = xoauth2)."""
    from agent.backends.imap import ImapMailbox

    ignore = overrides.pop("ignore_capabilities", ())
    cfg = imap_config(server, **overrides)
    secret = server.token if cfg.auth == "xoauth2" else server.password
    return ImapMailbox(cfg, lambda: secret, sleep=lambda _s: None, ignore_capabilities=ignore)


@dataclass
class GmailImapEnv:
    """tests/test_mailbox_conformance.py's ``MailboxEnv`` over this server.

    INBOX mail gets the ``\\Inbox`` label, Sent mail ``\\Sent`` (and
    ``\\Seen``); the user's deletions, draft edits and draft deletions are
    done the way Gmail's web client does them (see the server's helpers).
    """

    server: GmailImapServer
    mailbox: Any

    def deliver(self, folder_role: str, data: bytes) -> None:
        if folder_role == "sent":
            self.server.deliver(data, ("\\Sent",), flags=("\\Seen",))
        else:
            assert folder_role == "inbox", folder_role
            self.server.deliver(data, ("\\Inbox",))

    def user_delete(self, folder_role: str, message_id: str) -> None:
        del folder_role
        self.server.delete(self.server.find(message_id).msgid)

    def _draft(self, draft_id: str) -> int:
        role, uv, uid = draft_id.split("/")
        view = self.server.views[DRAFTS]
        assert role == "drafts" and int(uv) == view.uidvalidity, draft_id
        return self.server.msgid_at(DRAFTS, int(uid))

    def user_edit_draft(self, draft_id: str, new_bytes: bytes) -> None:
        self.server.user_edit_draft(self._draft(draft_id), new_bytes)

    def user_delete_draft(self, draft_id: str) -> None:
        self.server.user_delete_draft(self._draft(draft_id))

    def snapshot(self) -> Any:
        return self.server.snapshot()


@contextlib.contextmanager
def gmail_imap_mailbox_env() -> Iterator[GmailImapEnv]:
    with gmail_imap_server() as server:
        yield GmailImapEnv(server, make_mailbox(server))

