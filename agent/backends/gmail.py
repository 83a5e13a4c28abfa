"""Gmail API backend: the mailbox protocol over the Gmail v1 REST API.

The client is the real google-api-python-client, built from its bundled
discovery document (``static_discovery=True``) with ``client_options``
pointing at ``gmail.api_endpoint``, over an HTTP layer this module controls.

Identity
    A message is ``"gm/<message id>"`` (Gmail message ids are stable across
    label changes); a draft is ``"draft/<draft id>"``. ``RawMessage.thread_hint``
    and ``DraftInfo.thread_hint`` are Gmail ``threadId``\\ s, which the
    threading code takes as the truth for what the user sees.

Folders and labels
    A message labelled ``SENT`` has the role ``sent``, else ``INBOX`` makes it
    ``inbox``, else (archived) ``all``. ``RawMessage.labels`` holds label
    *names* (user labels are mapped from their ids with ``labels.list``),
    without the ones that change all the time and mean nothing to the
    pipeline (``UNREAD``, ``STARRED``, ``IMPORTANT``, ``CATEGORY_*``).
    Messages labelled ``DRAFT`` are never reported by ``changes``; ``SPAM``
    and ``TRASH`` count as gone. A delivery report without threading headers (a remote
    server's bounce) gets no ``thread_hint``: its Gmail thread is one of its
    own, and the returned Message-ID in its body is what ties it to the
    conversation it belongs to.

First sync (no usable cursor)
    ``getProfile`` (for the history id to continue from, taken *before*
    listing so nothing that happens meanwhile is missed), ``labels.list``,
    ``threads.list`` with ``q = gmail.query`` (500 a page), then
    ``threads.get(format="metadata")`` for every thread, in batch requests of
    :data:`BATCH_SIZE`, asking only for the header fields the parser reads
    (:data:`HEADER_FIELDS`). Messages come back as header blocks
    (``headers_only=True``); ``fetch`` gets full bodies (``format="raw"``)
    only for candidate conversations.

Later syncs
    ``history.list`` from the stored history id. An idle poll costs exactly
    that one request (2 quota units): the cursor also carries the label map
    and a snapshot of the drafts as of that history id, and the drafts are
    listed again only when the history shows a draft changing. Label changes
    that mean nothing to the pipeline (read/unread, stars, categories) fetch
    nothing. A history id Gmail no longer honours (404) means a full resync
    (``ChangeSet.full``). A cursor made for another query or another
    authorisation is not used either. Note that ``gmail.query`` narrows the
    first sync only: new mail arriving later is read (headers first) whatever
    the query says, except spam and trash.

The first-sync window
    ``mailbox.lookback_days`` reaches this backend through ``gmail.query``:
    left unset, the query is ``newer_than:<lookback_days>d`` (nothing with no
    window); set, the user's query is the window as it stands (it is theirs to
    narrow or widen), and the ``window`` handed to ``changes`` is not added to
    it. The cursor records the query, so another window means a full resync.
    A thread listed is read whole (``threads.get`` returns its earlier
    messages too); a conversation Gmail split into another thread is joined by
    :meth:`GmailMailbox.fetch_by_message_id` (``messages.list`` with
    ``q=rfc822msgid:``, then the metadata of what it finds).

Quota
    Every request goes through a pacer (a token bucket at :data:`QUOTA_RATE`
    units per second, Gmail's per-user limit, with a small burst) and is
    retried with exponential backoff and jitter on 429, 403
    ``rateLimitExceeded``/``userRateLimitExceeded``, 5xx and lost
    connections, honouring ``Retry-After``; inside a batch only the parts that
    failed are sent again. After ``attempts`` tries a :class:`MailboxError`
    says what kept failing. ``sleep``, ``clock`` and ``jitter`` are
    injectable so tests never wait.

Never send, in depth
    :func:`check_request` refuses any request whose path ends in ``/send``
    (``messages.send``, ``drafts.send``), ``messages.import`` and
    ``messages.insert`` (``POST .../messages``), including requests inside a
    batch body. It runs in the outermost HTTP object the client is given
    (before token refresh or anything else) and again in the innermost
    ``httplib2.Http`` (just before the socket), so nothing leaves the process.

Drafts
    ``drafts.create`` with the JSON ``message.raw`` form (media upload would
    ignore ``api_endpoint``) and ``message.threadId`` so Gmail files the draft
    in the conversation (the draft itself carries In-Reply-To, References and
    a matching Subject). A create that fails ambiguously (5xx, lost
    connection) looks for the draft's Message-ID (``rfc822msgid:``) before
    trying again, so it is never duplicated. ``drafts.delete`` of a draft
    that is already gone is fine.

Labels (``gmail.labels = true`` only)
    ``set_label`` finds the user label by name or creates it
    (``labels.create``), then ``messages.modify`` per message (batched; the
    guard refuses ``batchModify``). Needs ``gmail.modify`` (see
    :mod:`agent.gmail_auth`).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import functools
import hashlib
import json
import random
import re
import time
import urllib.parse
import zlib
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import httplib2

from agent.backends.base import HEADER_FIELDS, Fingerprint, message_id_of
from agent.backends.gmail_history import CHAT, DRAFT, GONE, HistoryReader, meaningful
from agent.backends.retry import Backoff, GaveUp, TryAgain, retry_after_seconds
from agent.errors import MailboxError
from agent.model import ALL, INBOX, SENT, ChangeSet, DraftInfo, RawMessage

if TYPE_CHECKING:
    from agent.config import Config, GmailConfig
    from agent.window import Window

T = TypeVar("T")

HISTORY_TYPES = ("messageAdded", "messageDeleted", "labelAdded", "labelRemoved")

#: Gmail's published quota units per method (developers.google.com/gmail/api/reference/quota)
QUOTA_UNITS: dict[str, int] = {
    "getProfile": 1, "labels.list": 1, "history.list": 2, "threads.list": 10, "threads.get": 10,
    "messages.list": 5, "messages.get": 5, "drafts.list": 5, "drafts.get": 5, "drafts.create": 10,
    "drafts.delete": 10, "drafts.update": 15, "drafts.send": 100, "messages.send": 100,
    "messages.import": 25, "messages.insert": 25, "messages.modify": 5, "labels.create": 5,
    "settings.sendAs.list": 1,
}
#: Gmail's per-user limit: 15,000 units a minute (250 a second, moving average)
QUOTA_RATE = 250.0
#: requests per batch (Gmail rate-limits bigger batches)
BATCH_SIZE = 50
#: a Retry-After longer than this is not waited for (a poll must not hang for an hour)
MAX_RETRY_AFTER = 300.0

_CURSOR_PREFIX = "gm1:"
#: drafts bigger than this in total are not kept in the cursor (they are listed every poll)
_SNAPSHOT_CAP = 512 * 1024
_RATE_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded", "RATE_LIMIT_EXCEEDED"})
_SCOPE_REASONS = frozenset({"insufficientPermissions", "ACCESS_TOKEN_SCOPE_INSUFFICIENT"})


# --- the send guard -------------------------------------------------------------------------


class SendRefused(MailboxError):
    """A request that could send or inject mail was stopped before it left the process."""


_REQUEST_LINE = re.compile(
    r"^(GET|POST|PUT|PATCH|DELETE|HEAD)[ \t]+(\S+)[ \t]+HTTP/\d", re.MULTILINE | re.IGNORECASE
)


def forbidden(method: str, uri: str) -> str | None:
    """Why this request must never be made (None: it may)."""
    path = urllib.parse.unquote(urllib.parse.urlsplit(uri).path).rstrip("/").lower()
    method = method.upper()
    if path.endswith("/send"):
        return "it would send mail"
    if path.endswith("/messages/import"):
        return "it would import a message into the mailbox"
    if path.endswith("/messages") and method == "POST":
        return "it would insert a message into the mailbox"
    if path.endswith("/messages/batchdelete") or path.endswith("/messages/batchmodify"):
        return "it would change mail in bulk"
    return None


def check_request(method: str, uri: str, body: Any = None) -> None:
    """Raise :class:`SendRefused` for a request (or a batch part) that could send mail."""
    why = forbidden(method or "GET", uri)
    if why is None and body:
        text = body.decode("utf-8", "replace") if isinstance(body, bytes | bytearray) else str(body)
        if "HTTP/" in text:
            for m in _REQUEST_LINE.finditer(text):
                why = forbidden(m[1], m[2])
                if why is not None:
                    uri = m[2]
                    break
    if why is not None:
        path = urllib.parse.urlsplit(uri).path
        raise SendRefused(
            f"Refused a request to {path}: {why}, and followup-agent never sends mail "
            "(it only writes drafts for you to review and send)."
        )


class GuardedTransport(httplib2.Http):
    """``httplib2.Http`` that refuses send/import/insert requests just before the socket."""

    def request(self, uri: str, method: str = "GET", body: Any = None, headers: Any = None,
                redirections: int = httplib2.DEFAULT_MAX_REDIRECTS, connection_type: Any = None) -> Any:
        check_request(method, uri, body)
        return super().request(uri, method, body, headers, redirections, connection_type)


class GuardedHttp:
    """What the API client is given: the guard first, then an authorised transport.

    ``httplib2.Http``-compatible (``request`` and ``credentials``), so the
    client's batch support finds the credentials to sign each part with.
    """

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    @property
    def credentials(self) -> Any:
        return getattr(self._inner, "credentials", None)

    def request(self, uri: str, method: str = "GET", body: Any = None, headers: Any = None,
                *args: Any, **kwargs: Any) -> Any:
        check_request(method, uri, body)
        return self._inner.request(uri, method, body, headers, *args, **kwargs)

    def close(self) -> None:
        close = getattr(self._inner, "close", None)
        if close is not None:
            close()


# --- cursor ---------------------------------------------------------------------------------


@dataclass
class _Cursor:
    history_id: str
    account: str
    query: str
    identity: str
    labels: dict[str, str]
    #: [draft id, message id, thread id, raw bytes] as of history_id; None: unknown
    drafts: list[tuple[str, str, str | None, bytes]] | None

    def encode(self) -> str:
        doc: dict[str, Any] = {
            "v": 1,
            "historyId": self.history_id,
            "account": self.account,
            "q": self.query,
            "id": self.identity,
            "labels": self.labels,
            "drafts": None if self.drafts is None else [
                [d, m, t, base64.b64encode(raw).decode("ascii")] for d, m, t, raw in self.drafts
            ],
        }
        packed = zlib.compress(json.dumps(doc, separators=(",", ":")).encode(), 6)
        return _CURSOR_PREFIX + base64.urlsafe_b64encode(packed).decode("ascii")

    @classmethod
    def decode(cls, cursor: str | None) -> _Cursor | None:
        if not cursor or not cursor.startswith(_CURSOR_PREFIX):
            return None
        try:
            doc = json.loads(zlib.decompress(base64.urlsafe_b64decode(cursor[len(_CURSOR_PREFIX) :])))
            if not isinstance(doc, dict) or doc.get("v") != 1 or not str(doc["historyId"]).isdigit():
                return None
            drafts = doc.get("drafts")
            return cls(
                history_id=str(doc["historyId"]),
                account=str(doc.get("account", "")),
                query=str(doc.get("q", "")),
                identity=str(doc.get("id", "")),
                labels={str(k): str(v) for k, v in dict(doc.get("labels") or {}).items()},
                drafts=None if drafts is None else [
                    (str(d), str(m), None if t is None else str(t), base64.b64decode(raw))
                    for d, m, t, raw in drafts
                ],
            )
        except (ValueError, KeyError, TypeError, zlib.error, binascii.Error, UnicodeDecodeError):
            return None


class _HistoryExpired(Exception):
    """history.list answered 404: the stored history id is too old."""


# --- the backend ------------------------------------------------------------------------------


class GmailMailbox:
    """The :class:`~agent.backends.base.Mailbox` protocol over the Gmail API (module docstring).

    ``credentials`` are refreshable google-auth credentials (see
    :mod:`agent.gmail_auth`). ``sleep``, ``clock`` and ``jitter`` are
    injectable for tests; ``quota_rate = 0`` turns pacing off.
    """

    name = "gmail"

    def __init__(
        self,
        cfg: GmailConfig,
        credentials: Any,
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        jitter: Callable[[], float] = random.random,
        attempts: int = 7,
        backoff: float = 1.0,
        max_backoff: float = 64.0,
        quota_rate: float = QUOTA_RATE,
        batch_size: int = BATCH_SIZE,
        timeout: float = 60.0,
    ) -> None:
        from agent.config import is_loopback

        split = urllib.parse.urlsplit(cfg.api_endpoint)
        if split.scheme != "https" and not is_loopback(split.hostname or ""):
            # the access token would cross the network in clear text
            raise MailboxError(
                f"gmail.api_endpoint = {cfg.api_endpoint!r}: plain http is only allowed to loopback."
            )
        self.cfg = cfg
        self._creds = credentials
        self._sleep = sleep
        self._clock = clock
        self._attempts = max(1, attempts)
        self._backoff = Backoff(self._attempts, backoff, max_backoff, sleep, jitter)
        self._rate = quota_rate
        self._burst = 2 * quota_rate
        self._allowance = self._burst
        self._last = clock()
        self._batch_size = max(1, min(batch_size, 100))
        self._timeout = timeout
        self._service: Any = None
        self._http: GuardedHttp | None = None
        self._transport: GuardedTransport | None = None
        self._labels: dict[str, str] = {}
        self._drafts: list[tuple[str, str, str | None, bytes]] | None = None
        #: units spent by this instance, per method (for logs and the benchmark)
        self.units: dict[str, int] = {}

    @classmethod
    def from_config(cls, config: Config) -> GmailMailbox:
        """Build from the validated config, with the token from :mod:`agent.gmail_auth`."""
        from agent.gmail_auth import load_credentials

        if config.gmail is None:
            raise MailboxError("mailbox.backend = \"gmail\" but the [gmail] section is missing.")
        return cls(config.gmail, load_credentials(config))

    # --- the client -------------------------------------------------------------------

    @property
    def endpoint(self) -> str:
        return self.cfg.api_endpoint.rstrip("/")

    @property
    def service(self) -> Any:
        """The googleapiclient Gmail service (built on first use, no network)."""
        if self._service is None:
            import google_auth_httplib2
            from googleapiclient.discovery import build

            self._transport = GuardedTransport(timeout=self._timeout)
            self._http = GuardedHttp(google_auth_httplib2.AuthorizedHttp(self._creds, http=self._transport))
            self._service = build(
                "gmail", "v1", http=self._http, static_discovery=True, cache_discovery=False,
                client_options={"api_endpoint": self.endpoint},
            )
        return self._service

    @property
    def users(self) -> Any:
        return self.service.users()

    def _get_message(self, message_id: str, fmt: str) -> Any:
        if fmt == "metadata":
            return self.users.messages().get(userId="me", id=message_id, format="metadata",
                                             metadataHeaders=list(HEADER_FIELDS))
        return self.users.messages().get(userId="me", id=message_id, format=fmt)

    def _identity(self) -> str:
        token = getattr(self._creds, "refresh_token", None) or ""
        client = getattr(self._creds, "client_id", None) or ""
        return hashlib.sha256(f"{client}\0{token}".encode()).hexdigest()[:16]

    # --- protocol ---------------------------------------------------------------------

    def changes(self, cursor: str | None, window: Window | None = None) -> ChangeSet:
        """New, relabelled and removed messages since ``cursor`` (header blocks only).

        ``window`` is already in ``gmail.query`` (see the module docstring): a query of
        ``newer_than:`` days, unlike a start date, does not change from poll to poll, so the
        cursor made with it stays good."""
        state = _Cursor.decode(cursor)
        if state is not None and state.query == self.cfg.query and state.identity == self._identity():
            try:
                return self._incremental(state)
            except _HistoryExpired:
                pass
        return self._full()

    def fingerprint(self) -> Fingerprint:
        """The mailbox's history id (one ``getProfile``): Gmail moves it with every message,
        draft and label change, and the query and account the sync reads with. It cannot
        tell a draft's change from a message's, so it stands for the drafts too."""
        profile = self._ok("checking for changes", lambda: self.users.getProfile(userId="me"), "getProfile")
        whole = json.dumps([self._identity(), self.cfg.query, str(profile["historyId"])])
        return Fingerprint(whole, whole)

    def fetch_by_message_id(self, message_ids: Collection[str]) -> list[RawMessage]:
        """Header blocks of the messages with these Message-IDs: one ``messages.list`` with
        ``q=rfc822msgid:`` each (in batches), then the metadata of what they found."""
        bare = {m: m.strip().strip("<>") for m in dict.fromkeys(message_ids) if m.strip().strip("<>")}
        found = self._batch("finding earlier messages", [
            (m, functools.partial(self.users.messages().list, userId="me", q=f"rfc822msgid:{b}", maxResults=5,
                                  includeSpamTrash=False), "messages.list") for m, b in bare.items()])
        ids = list(dict.fromkeys(str(x["id"]) for v in found.values() if isinstance(v, dict)
                                 for x in v.get("messages", ()) or ()))
        got = self._batch("reading earlier messages", [
            (i, functools.partial(self._get_message, i, "metadata"), "messages.get") for i in ids])
        metas = [v for v in got.values() if isinstance(v, dict)]
        self._learn_labels(metas)
        out = [raw for meta in metas if (raw := self._raw(meta)) is not None]
        return [raw for raw in out if message_id_of(raw.data) in bare]

    def fetch(self, ids: Iterable[str]) -> Mapping[str, bytes]:
        """Full bytes (``format="raw"``) of these ids; gone or foreign ids are left out."""
        wanted = [i for i in dict.fromkeys(ids) if i.startswith("gm/") and len(i) > 3]
        got = self._batch(
            "fetching messages",
            [(i, functools.partial(self._get_message, i[3:], "raw"), "messages.get") for i in wanted],
        )
        out: dict[str, bytes] = {}
        for mid, value in got.items():
            if isinstance(value, Exception):
                continue  # 404: deleted meanwhile
            raw = _b64decode(value.get("raw", ""))
            if raw is not None:
                out[mid] = raw
        return out

    def drafts(self, seen: Collection[str] = ()) -> list[DraftInfo]:
        """Every draft now (from the snapshot the history proved current, else listed).

        ``seen`` is ignored: a Gmail draft keeps its id when the user edits it.
        """
        if self._drafts is None:
            self._drafts = self._load_drafts()
        return [DraftInfo(id=f"draft/{d}", data=raw, thread_hint=t) for d, _m, t, raw in self._drafts]

    def create_draft(self, data: bytes, thread_hint: str | None = None) -> str:
        """``drafts.create`` with ``message.raw`` and ``message.threadId``; return ``draft/<id>``."""
        message_id = message_id_of(data)
        raw = base64.urlsafe_b64encode(data).decode("ascii")

        def find_existing() -> str | None:
            return self._find_draft(message_id) if message_id else None

        def attempt(thread: str | None) -> Any:
            message: dict[str, Any] = {"raw": raw}
            if thread:
                message["threadId"] = thread
            return self._execute(
                "saving a draft", lambda: self.users.drafts().create(userId="me", body={"message": message}),
                "drafts.create", before_retry=find_existing,
            )

        try:
            result = attempt(thread_hint)
        except _NotOk as err:
            if thread_hint and err.status in (400, 404):
                # the thread is gone (deleted, or the id is not Gmail's): save it unthreaded
                try:
                    result = attempt(None)
                except _NotOk as err2:
                    raise self._error("saving a draft", err2.http) from None
            else:
                raise self._error("saving a draft", err.http) from None
        self._drafts = None  # list again on the next drafts()
        if isinstance(result, str):
            return result
        return f"draft/{result['id']}"

    def delete_draft(self, draft_id: str) -> None:
        """``drafts.delete``; a draft that is already gone is not an error."""
        kind, _, gid = draft_id.partition("/")
        if kind != "draft" or not gid or "/" in gid:
            raise MailboxError(f"Refusing to delete {draft_id!r}: it is not a Gmail draft id.")
        try:
            self._execute("deleting a draft", lambda: self.users.drafts().delete(userId="me", id=gid),
                          "drafts.delete")
        except _NotOk as err:
            if err.status not in (404, 410):
                raise self._error("deleting a draft", err.http) from None
        self._drafts = None

    def set_label(self, ids: Sequence[str], label: str, present: bool) -> None:
        """Add (``present``) or remove the user label ``label`` on these messages.

        The label is found by name (``labels.list``) or created, shown in the
        label list and on messages; then ``messages.modify`` per message, in
        batches (never ``batchModify``: the send guard refuses bulk changes).
        Gone messages (404) are skipped; removing a label that does not exist
        is nothing to do. Needs the ``gmail.modify`` scope (``gmail.labels = true``).
        """
        wanted = [i[3:] for i in dict.fromkeys(ids) if i.startswith("gm/") and len(i) > 3 and "/" not in i[3:]]
        if not wanted:
            return
        label_id = self._label_id(label, create=present)
        if label_id is None:
            return
        body = {"addLabelIds": [label_id]} if present else {"removeLabelIds": [label_id]}
        self._batch(
            "labelling messages",
            [(m, functools.partial(self.users.messages().modify, userId="me", id=m, body=body), "messages.modify")
             for m in wanted],
        )

    def close(self) -> None:
        """Close the HTTP connections (and log the quota this instance spent)."""
        if self.units:
            from agent.logs import get_logger

            get_logger().debug("gmail quota", units=sum(self.units.values()), by_method=dict(self.units))
        if self._transport is not None:
            for conn in list(self._transport.connections.values()):
                with contextlib.suppress(OSError):
                    conn.close()
            self._transport.connections.clear()

    # --- sync -------------------------------------------------------------------------

    def _full(self) -> ChangeSet:
        profile = self._ok("reading the Gmail profile", lambda: self.users.getProfile(userId="me"), "getProfile")
        history_id = str(profile["historyId"])
        self._load_labels()
        thread_ids: list[str] = []
        page: str | None = None
        while True:
            resp = self._ok(
                "listing threads",
                functools.partial(
                    self.users.threads().list,
                    userId="me", q=self.cfg.query or None, maxResults=500, pageToken=page,
                    includeSpamTrash=False,
                ),
                "threads.list",
            )
            thread_ids.extend(str(t["id"]) for t in resp.get("threads", ()))
            page = resp.get("nextPageToken")
            if not page:
                break
        thread_ids = list(dict.fromkeys(thread_ids))
        got = self._batch(
            "reading message headers",
            [(t, functools.partial(self.users.threads().get, userId="me", id=t, format="metadata",
                                   metadataHeaders=list(HEADER_FIELDS)), "threads.get")
             for t in thread_ids],
        )
        metas = [m for t in thread_ids if isinstance(got.get(t), dict) for m in got[t].get("messages", ())]
        self._learn_labels(metas)
        added: dict[str, RawMessage] = {}
        for meta in metas:
            raw = self._raw(meta)
            if raw is not None:
                added[raw.id] = raw
        self._drafts = self._load_drafts()
        cursor = self._cursor(history_id, str(profile.get("emailAddress", "")))
        return ChangeSet(added=tuple(added.values()), removed=(), cursor=cursor, full=True)

    def _incremental(self, state: _Cursor) -> ChangeSet:
        """What the history since the cursor's id says changed (:mod:`agent.backends.gmail_history`)."""
        self._labels = dict(state.labels)
        history = HistoryReader({m for _d, m, _t, _r in state.drafts or ()}, state.drafts is None)
        history_id = self._read_history(state.history_id, history)
        added, gone, drafts_seen = self._read_changed(history.ids("changed"))
        removed = [f"gm/{m}" for m in history.ids("removed")] + gone
        self._drafts = self._load_drafts() if history.drafts_dirty or drafts_seen else state.drafts
        cursor = self._cursor(history_id, state.account)
        return ChangeSet(added=tuple(added), removed=tuple(dict.fromkeys(removed)), cursor=cursor, full=False)

    def _read_history(self, start: str, history: HistoryReader) -> str:
        """Every page of ``history.list`` since ``start`` into ``history``; the newest history id."""
        history_id = start
        page: str | None = None
        while True:
            try:
                resp = self._execute(
                    "reading the mailbox history",
                    functools.partial(
                        self.users.history().list,
                        userId="me", startHistoryId=start, historyTypes=list(HISTORY_TYPES),
                        maxResults=500, pageToken=page,
                    ),
                    "history.list",
                )
            except _NotOk as err:
                if err.status == 404:
                    raise _HistoryExpired from None
                raise self._error("reading the mailbox history", err.http) from None
            for record in resp.get("history", ()):
                history.read(record)
            history_id = str(resp.get("historyId") or history_id)
            page = resp.get("nextPageToken")
            if not page:
                return history_id

    def _read_changed(self, wanted: list[str]) -> tuple[list[RawMessage], list[str], bool]:
        """The headers of messages the history says changed: (mail, ids now gone, a draft among them)."""
        got = self._batch(
            "reading message headers",
            [(m, functools.partial(self._get_message, m, "metadata"), "messages.get") for m in wanted],
        )
        self._learn_labels([v for v in got.values() if isinstance(v, dict)])
        added: list[RawMessage] = []
        removed: list[str] = []
        drafts = False
        for m in wanted:
            meta = got.get(m)
            labels = set(meta.get("labelIds", ())) if isinstance(meta, dict) else set()
            if not isinstance(meta, dict):
                removed.append(f"gm/{m}")  # 404: deleted since
            elif DRAFT in labels:
                drafts = True  # a draft (even one in the trash) is the drafts' business
            elif labels & GONE:
                removed.append(f"gm/{m}")
            elif (raw := self._raw(meta)) is not None:
                added.append(raw)
        return added, removed, drafts

    def _cursor(self, history_id: str, account: str) -> str:
        snapshot = self._drafts
        if snapshot is not None and sum(len(r) for *_x, r in snapshot) > _SNAPSHOT_CAP:
            snapshot = None
        return _Cursor(history_id, account, self.cfg.query, self._identity(), dict(self._labels),
                       snapshot).encode()

    def _raw(self, meta: Mapping[str, Any]) -> RawMessage | None:
        """A metadata-format message as a header-block RawMessage (None: not reported)."""
        label_ids = set(meta.get("labelIds", ()))
        if label_ids & (GONE | {DRAFT, CHAT}):
            return None
        headers = meta.get("payload", {}).get("headers", ())
        block = "".join(
            f"{h.get('name', '')}: {_one_line(str(h.get('value', '')))}\r\n"
            for h in headers if h.get("name")
        )
        folder = SENT if "SENT" in label_ids else INBOX if "INBOX" in label_ids else ALL
        names = frozenset(self._labels.get(i, i) for i in label_ids if meaningful(i))
        return RawMessage(
            id=f"gm/{meta['id']}",
            folder=folder,
            data=(block + "\r\n").encode("utf-8", "surrogateescape"),
            headers_only=True,
            thread_hint=None if not meta.get("threadId") or _unthreaded_report(headers) else str(meta["threadId"]),
            labels=names,
        )

    def aliases(self) -> tuple[str, ...]:
        """The addresses Gmail lets the user send as (``sendAs``): they are the user's too.

        One call (``users.settings.sendAs.list``, covered by the read-only scope);
        the engine asks at most once a day.
        """
        resp = self._ok("listing send-as aliases",
                        lambda: self.users.settings().sendAs().list(userId="me"), "settings.sendAs.list")
        return tuple(sorted({str(a["sendAsEmail"]).lower() for a in resp.get("sendAs", ())
                             if a.get("sendAsEmail")}))

    # --- labels and drafts --------------------------------------------------------------

    def _load_labels(self) -> None:
        resp = self._ok("listing labels", lambda: self.users.labels().list(userId="me"), "labels.list")
        self._labels = {str(lb["id"]): str(lb.get("name", lb["id"])) for lb in resp.get("labels", ())}

    def _find_label(self, name: str) -> str | None:
        for lid, lname in self._labels.items():
            if lname == name:
                return lid
        folded = name.casefold()  # Gmail's label names are case-insensitive
        return next((lid for lid, lname in self._labels.items() if lname.casefold() == folded), None)

    def _label_id(self, name: str, *, create: bool) -> str | None:
        """The id of the user label ``name`` (listed again if unknown; created when ``create``)."""
        found = self._find_label(name)
        if found is None:
            self._load_labels()
            found = self._find_label(name)
        if found is not None or not create:
            return found
        body = {"name": name, "labelListVisibility": "labelShow", "messageListVisibility": "show"}
        try:
            made = self._execute("creating a label", lambda: self.users.labels().create(userId="me", body=body),
                                 "labels.create")
        except _NotOk as err:
            if err.status != 409:  # 409: it exists after all (made meanwhile, or by a lost first try)
                raise self._error("creating a label", err.http) from None
            self._load_labels()
            found = self._find_label(name)
            if found is None:
                raise self._error("creating a label", err.http) from None
            return found
        self._labels[str(made["id"])] = str(made.get("name", name))
        return str(made["id"])

    def _learn_labels(self, metas: Iterable[Mapping[str, Any]]) -> None:
        """List labels again when a message carries a user label the map does not know."""
        unknown = {i for m in metas for i in m.get("labelIds", ())
                   if i not in self._labels and i.startswith("Label_")}
        if unknown:
            self._load_labels()

    def _load_drafts(self) -> list[tuple[str, str, str | None, bytes]]:
        ids: list[str] = []
        page: str | None = None
        while True:
            resp = self._ok("listing drafts", functools.partial(
                self.users.drafts().list, userId="me", maxResults=500, pageToken=page), "drafts.list")
            ids.extend(str(d["id"]) for d in resp.get("drafts", ()))
            page = resp.get("nextPageToken")
            if not page:
                break
        ids = list(dict.fromkeys(ids))
        got = self._batch(
            "reading drafts",
            [(d, functools.partial(self.users.drafts().get, userId="me", id=d, format="raw"), "drafts.get")
             for d in ids],
        )
        out: list[tuple[str, str, str | None, bytes]] = []
        for d in ids:
            value = got.get(d)
            if not isinstance(value, dict):
                continue  # deleted between list and get
            msg = value.get("message", {})
            raw = _b64decode(msg.get("raw", ""))
            if raw is None:
                continue
            out.append((d, str(msg.get("id", "")), msg.get("threadId"), raw))
        return out

    def _find_draft(self, message_id: str) -> str | None:
        """The id of a draft with this Message-ID (after an ambiguous create failure)."""
        bare = message_id.strip("<>")
        try:
            resp = self._execute("looking for a saved draft", lambda: self.users.drafts().list(
                userId="me", q=f"rfc822msgid:{bare}", maxResults=10), "drafts.list")
        except _NotOk:
            return None
        found = resp.get("drafts", ())
        return f"draft/{found[0]['id']}" if found else None

    # --- requests: retries, batches, pacing ----------------------------------------------------

    def _count(self, method: str) -> int:
        units = QUOTA_UNITS.get(method, 5)
        self.units[method] = self.units.get(method, 0) + units
        return units

    def _pace(self, units: float) -> None:
        """Wait until ``units`` fit under the per-user rate (token bucket)."""
        if self._rate <= 0:
            return
        now = self._clock()
        self._allowance = min(self._burst, self._allowance + max(0.0, now - self._last) * self._rate)
        self._last = now
        if self._allowance >= units:
            self._allowance -= units
            return
        self._sleep((units - self._allowance) / self._rate)
        self._allowance = 0.0
        self._last = max(self._clock(), now)

    def _ensure_token(self) -> None:
        """Refresh the access token through the guarded transport (before a batch)."""
        creds = self._creds
        if getattr(creds, "valid", True):
            return
        import google_auth_httplib2
        from google.auth.exceptions import RefreshError

        _ = self.service  # builds the transport
        try:
            creds.refresh(google_auth_httplib2.Request(self._transport))
        except RefreshError as err:
            from agent.gmail_auth import describe_refresh_error

            raise describe_refresh_error(err) from None

    def _execute(self, what: str, make: Callable[[], Any], method: str, *,
                 before_retry: Callable[[], Any] | None = None) -> Any:
        """One request with pacing and retries; a non-retryable HTTP error raises :class:`_NotOk`.

        ``before_retry`` runs before each try but the first; what it returns
        (unless None) is the answer: a create that failed ambiguously finds
        what it may have made before it makes it again.
        """

        def attempt(n: int) -> Any:
            if n and before_retry is not None:
                found = before_retry()
                if found is not None:
                    return found
            return self._request(what, make, method)

        try:
            return self._backoff.run(attempt)
        except GaveUp as err:
            raise self._gave_up(what, err.reason) from None

    def _request(self, what: str, make: Callable[[], Any], method: str) -> Any:
        """One try of one request; what a later try may cure raises :class:`TryAgain`."""
        from google.auth.exceptions import RefreshError, TransportError
        from googleapiclient.errors import HttpError

        self._pace(self._count(method))
        try:
            return make().execute(num_retries=0)
        except HttpError as err:
            retry_after = _retryable(err)
            if retry_after is None:
                raise _NotOk(err) from None
            raise self._try_again(what, _describe(err), retry_after) from None
        except RefreshError as err:
            from agent.gmail_auth import describe_refresh_error

            raise describe_refresh_error(err) from None
        except SendRefused:
            raise
        except (OSError, httplib2.HttpLib2Error, TransportError) as err:
            raise TryAgain(f"{type(err).__name__}: {str(err)[:200]}") from None

    def _try_again(self, what: str, reason: str, retry_after: float) -> TryAgain:
        """A retryable failure; refused (a MailboxError) when the server asks for too long a wait."""
        if retry_after > MAX_RETRY_AFTER:
            raise MailboxError(
                f"Gmail asked to wait {retry_after:.0f} s before {what} (quota exhausted?); "
                "the next poll will try again."
            ) from None
        return TryAgain(reason, retry_after)

    def _gave_up(self, what: str, last: str) -> MailboxError:
        return MailboxError(
            f"Gmail kept failing while {what} ({self._attempts} tries, last: {last}); "
            "the next poll will try again."
        )

    def _ok(self, what: str, make: Callable[[], Any], method: str) -> Any:
        try:
            return self._execute(what, make, method)
        except _NotOk as err:
            raise self._error(what, err.http) from None

    def _batch(self, what: str, items: Sequence[tuple[str, Callable[[], Any], str]]) -> dict[str, Any]:
        """Run requests in batches; key -> response dict, or the HttpError of a 404/410.

        Parts that fail with a retryable status are sent again (only them),
        after a backoff that honours their Retry-After; any other failure of
        a part raises a :class:`MailboxError`.
        """
        out: dict[str, Any] = {}
        makers = {key: (make, method) for key, make, method in items}
        keys = list(makers)
        for start in range(0, len(keys), self._batch_size):
            todo = keys[start : start + self._batch_size]
            try:
                self._backoff.run(functools.partial(self._send_batch, what, todo, makers, out))
            except GaveUp as err:
                raise self._gave_up(what, err.reason) from None
        return out

    def _send_batch(self, what: str, todo: list[str], makers: Mapping[str, tuple[Callable[[], Any], str]],
                    out: dict[str, Any], _attempt: int) -> None:
        """One try of one batch: answers go to ``out``; ``todo`` keeps the parts to send again,
        and while any are left this raises :class:`TryAgain` (with the longest wait they asked for)."""
        from google.auth.exceptions import RefreshError, TransportError
        from googleapiclient.errors import HttpError

        self._ensure_token()
        self._pace(sum(self._count(makers[k][1]) for k in todo))
        retry: list[str] = []
        waits: list[float] = []
        try:
            self._batch_request(what, list(todo), makers, out, retry, waits).execute(http=self._http)
        except HttpError as err:  # the batch request itself failed
            after = _retryable(err)
            if after is None:
                raise self._error(what, err) from None
            retry, waits = list(todo), [after]
            last = _describe(err)
        except RefreshError as err:
            from agent.gmail_auth import describe_refresh_error

            raise describe_refresh_error(err) from None
        except SendRefused:
            raise
        except (OSError, httplib2.HttpLib2Error, TransportError) as err:
            retry, waits = [k for k in todo if k not in out], [0.0]
            last = f"{type(err).__name__}: {str(err)[:200]}"
        else:
            last = f"{len(retry)} of {len(todo)} requests answered with a rate limit or server error"
        todo[:] = retry
        if todo:
            raise self._try_again(what, last, max(waits, default=0.0))

    def _batch_request(self, what: str, sent: list[str], makers: Mapping[str, tuple[Callable[[], Any], str]],
                       out: dict[str, Any], retry: list[str], waits: list[float]) -> Any:
        """A BatchHttpRequest of the parts ``sent``, whose answers fill ``out``, ``retry`` and ``waits``."""
        from googleapiclient.errors import HttpError
        from googleapiclient.http import BatchHttpRequest

        def done(request_id: str, response: Any, exception: Any) -> None:
            key = sent[int(request_id)]
            if exception is None:
                out[key] = response
                return
            if not isinstance(exception, HttpError):
                raise exception
            after = _retryable(exception)
            if after is not None:
                retry.append(key)
                waits.append(after)
            elif exception.resp.status in (404, 410):
                out[key] = exception
            else:
                raise self._error(what, exception)

        batch = BatchHttpRequest(callback=done, batch_uri=self.endpoint + "/batch/gmail/v1")
        for i, key in enumerate(sent):
            batch.add(makers[key][0](), request_id=str(i))
        return batch

    def _error(self, what: str, err: Any) -> MailboxError:
        """A non-retryable HTTP error as a message for a person."""
        from agent.gmail_auth import AUTH_HINT

        status = int(getattr(err.resp, "status", 0))
        reasons, message = _error_details(err)
        if status == 401:
            return MailboxError(f"Gmail did not accept the authorisation while {what}: {AUTH_HINT}.")
        if status == 403 and reasons & _SCOPE_REASONS:
            return MailboxError(
                f"The stored Gmail authorisation lacks a permission needed for {what}: {AUTH_HINT}."
            )
        return MailboxError(f"Gmail answered {status} while {what}: {message or 'no details'}.")


class _NotOk(Exception):
    """A non-retryable HTTP error; the caller decides (404 may be fine)."""

    def __init__(self, http: Any) -> None:
        super().__init__(str(http))
        self.http = http
        self.status = int(getattr(http.resp, "status", 0))


# --- helpers ----------------------------------------------------------------------------------


def _unthreaded_report(headers: Iterable[Mapping[str, Any]]) -> bool:
    """A delivery report with no threading headers (a remote server's bounce).

    Gmail cannot thread it either, so its threadId is a thread of its own and
    says nothing; without the hint, the Message-ID the parser finds in the
    returned headers ties it to the conversation it belongs to.
    """
    names = {str(h.get("name", "")).lower(): str(h.get("value", "")) for h in headers}
    return (names.get("content-type", "").strip().lower().startswith("multipart/report")
            and not names.get("in-reply-to", "").strip() and not names.get("references", "").strip())


def _error_details(err: Any) -> tuple[set[str], str]:
    """(reasons, message) from a Google JSON error body."""
    try:
        doc = json.loads(err.content.decode("utf-8") if isinstance(err.content, bytes) else err.content)
        e = doc.get("error", {})
        if isinstance(e, str):
            return {e}, str(doc.get("error_description", e))
        reasons = {str(x.get("reason")) for x in e.get("errors", ()) if x.get("reason")}
        reasons |= {str(d.get("reason")) for d in e.get("details", ()) if isinstance(d, dict) and d.get("reason")}
        if e.get("status"):
            reasons.add(str(e["status"]))
        return reasons, str(e.get("message", ""))[:300]
    except (ValueError, AttributeError, TypeError):
        return set(), ""


def _retryable(err: Any) -> float | None:
    """Seconds the server asked to wait (0 when it did not say) for a retryable error, else None."""
    status = int(getattr(err.resp, "status", 0))
    if status == 403:
        reasons, _ = _error_details(err)
        if not reasons & _RATE_REASONS:
            return None
    elif status != 429 and not 500 <= status < 600:
        return None
    return retry_after_seconds(err.resp.get("retry-after") if hasattr(err.resp, "get") else None)


def _describe(err: Any) -> str:
    _reasons, message = _error_details(err)
    return f"HTTP {getattr(err.resp, 'status', '?')}" + (f" {message}" if message else "")


def _b64decode(value: str) -> bytes | None:
    try:
        return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError):
        return None


def _one_line(value: str) -> str:
    return value.replace("\r", " ").replace("\n", " ")
