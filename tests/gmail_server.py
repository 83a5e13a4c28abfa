"""A fake Gmail: the Gmail v1 REST subset the agent uses, over a mailbox kept in memory.

Why a server and not a mock: the Gmail backend runs the real
google-api-python-client (built from its bundled discovery document) and the
real google-auth refresh over real HTTP, batch requests included, so the
URLs, the multipart/mixed batch format, the JSON shapes and the OAuth token
exchange are all exercised end to end. Only the mailbox is fake.

What it speaks (``/gmail/v1/users/{me|address}/...``):
``profile``, ``labels`` (list, create), ``threads`` (list, get with
``format=metadata|minimal|full``), ``messages`` (list, get with
``format=raw|metadata|minimal``, modify), ``history`` (list, with ``historyTypes``,
paging, and 404 for an expired ``startHistoryId``), ``drafts`` (list with
``q=rfc822msgid:``, get, create with the JSON ``message.raw`` form, delete),
the batch endpoint ``/batch/gmail/v1`` (multipart/mixed in and out), and an
OAuth token endpoint ``/token`` (refresh grant; ``invalid_grant`` once
revoked). Every request needs a current Bearer token (401 otherwise). An
access token carries the scopes its refresh asked for (at most :attr:`FakeGmail.grant`);
``messages.modify`` needs ``gmail.modify`` and ``labels.create`` ``gmail.labels``
(403 ``insufficientPermissions`` otherwise).

Send, import and insert requests are *recorded* in :attr:`FakeGmail.forbidden`
and answered 200, so a test can prove the agent's guard stopped them before
they got here.

Gmail semantics kept: every change bumps the history id and appends a
history record; reading never does. A message joins the thread of a message
it references (In-Reply-To/References), else starts one. A draft is a
message with the ``DRAFT`` label; editing one (``drafts.update``) gives it a
new message id. ``SPAM``/``TRASH`` threads are not listed.
"""

from __future__ import annotations

import base64
import contextlib
import email
import email.policy
import functools
import itertools
import json
import re
import socket
import threading
import urllib.parse
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.parser import BytesHeaderParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.gmail_threads import ThreadHeaders, linked, same_subject

ACCOUNT = "jordan.lee@gmail.com"
CLIENT_ID = "fake-client.apps.googleusercontent.com"
CLIENT_SECRET = "fake-client-secret"
REFRESH_TOKEN = "1//fake-refresh-token"

SYSTEM_LABELS = (
    "INBOX", "SENT", "DRAFT", "SPAM", "TRASH", "UNREAD", "STARRED", "IMPORTANT", "CHAT",
    "CATEGORY_PERSONAL", "CATEGORY_SOCIAL", "CATEGORY_PROMOTIONS", "CATEGORY_UPDATES", "CATEGORY_FORUMS",
)

#: Gmail's published quota units per method (developers.google.com/gmail/api/reference/quota)
UNITS = {
    "getProfile": 1, "labels.list": 1, "history.list": 2, "threads.list": 10, "threads.get": 10,
    "messages.list": 5, "messages.get": 5, "drafts.list": 5, "drafts.get": 5, "drafts.create": 10,
    "drafts.delete": 10, "drafts.update": 15, "drafts.send": 100, "messages.send": 100,
    "messages.import": 25, "messages.insert": 25, "messages.modify": 5, "labels.create": 5,
    "settings.sendAs.list": 1,
}

SCOPE_PREFIX = "https://www.googleapis.com/auth/"
#: what the refresh token grants unless a test says otherwise
DEFAULT_GRANT = frozenset(SCOPE_PREFIX + s for s in ("gmail.readonly", "gmail.compose", "gmail.labels",
                                                      "gmail.modify"))
#: the calls that need more than reading and drafts: any one of these scopes will do
REQUIRED_SCOPES = {
    "settings.sendAs.list": frozenset(SCOPE_PREFIX + x for x in (
        "gmail.readonly", "gmail.modify", "gmail.metadata", "gmail.settings.basic")) | {"https://mail.google.com/"},
    "messages.modify": frozenset({SCOPE_PREFIX + "gmail.modify", "https://mail.google.com/"}),
    "labels.create": frozenset({SCOPE_PREFIX + "gmail.labels", SCOPE_PREFIX + "gmail.modify",
                                "https://mail.google.com/"}),
}


@dataclass
class Msg(ThreadHeaders):
    id: str
    thread_id: str
    labels: set[str]
    raw: bytes
    internal_date: int
    history_id: int

    @functools.cached_property
    def _headers(self) -> list[tuple[str, str]]:
        msg = BytesHeaderParser(policy=email.policy.compat32).parsebytes(self.raw)
        return [(k, re.sub(r"\r?\n(?=[ \t])", "", str(v))) for k, v in msg.items()]

    def headers(self) -> list[tuple[str, str]]:
        """(name, unfolded raw value) in order, as Gmail's metadata format gives them."""
        return self._headers

    def header(self, name: str) -> str:
        for k, v in self.headers():
            if k.lower() == name.lower():
                return v
        return ""

    def brief(self) -> dict[str, Any]:
        return {"id": self.id, "threadId": self.thread_id, "labelIds": sorted(self.labels)}


@dataclass
class Fault:
    """Answer the next ``count`` matching API calls with ``status``."""

    status: int
    count: int
    retry_after: str | None = None
    reason: str | None = None
    match: str | None = None  # substring of the path; None: any call
    where: str = "call"  # "call": API calls (batch parts included); "batch": the batch request itself
    after: bool = False  # do the work first, then answer with the error (a lost response)


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    api: str
    in_batch: bool = False

    @property
    def units(self) -> int:
        return UNITS.get(self.api, 0)


@dataclass
class FakeGmail:
    """The in-memory mailbox and the HTTP server in front of it."""

    account: str = ACCOUNT
    #: other addresses the user may send as (settings.sendAs.list lists them after the account)
    send_as: tuple[str, ...] = ()
    messages: dict[str, Msg] = field(default_factory=dict)
    drafts: dict[str, str] = field(default_factory=dict)  # draft id -> message id
    labels: dict[str, str] = field(default_factory=lambda: {x: x for x in SYSTEM_LABELS})
    label_settings: dict[str, dict[str, str]] = field(default_factory=dict)  # labels.create's visibility
    history: list[dict[str, Any]] = field(default_factory=list)
    history_id: int = 1000
    min_history_id: int = 0
    requests: list[Request] = field(default_factory=list)
    token_requests: list[dict[str, str]] = field(default_factory=list)
    forbidden: list[Request] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    queries: list[str] = field(default_factory=list)
    #: when set (ms since the epoch), threads.list honours ``newer_than:<n>d`` against it (benches)
    query_now_ms: int | None = None
    revoked: bool = False
    http_requests: int = 0  # HTTP requests that reached the API (a batch counts once; tokens not)
    access_tokens: set[str] = field(default_factory=set)
    #: the scopes the refresh token holds; a refresh asking for others is refused (invalid_scope)
    grant: frozenset[str] = DEFAULT_GRANT
    token_scopes: dict[str, frozenset[str]] = field(default_factory=dict)  # access token -> scopes
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    _lock: threading.RLock = field(default_factory=threading.RLock)
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None

    # --- lifecycle -----------------------------------------------------------------------

    def start(self) -> FakeGmail:
        server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        server.daemon_threads = True
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def url(self) -> str:
        assert self._server is not None, "not started"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def token_uri(self) -> str:
        return self.url + "/token"

    def authorized_user(self) -> dict[str, str]:
        """google-auth authorized-user JSON pointing at this server's token endpoint."""
        return {"type": "authorized_user", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
                "refresh_token": REFRESH_TOKEN, "token_uri": self.token_uri}

    def credentials(self) -> Any:
        from google.oauth2.credentials import Credentials

        return Credentials(token=None, refresh_token=REFRESH_TOKEN, client_id=CLIENT_ID,
                           client_secret=CLIENT_SECRET, token_uri=self.token_uri)

    # --- the user's side (and the outside world's) -------------------------------------------

    def _new_id(self) -> str:
        return f"{0x18c0000000000000 + next(self._ids) * 7919:x}"

    def _bump(self, kind: str, msg: Msg, label_ids: list[str] | None = None) -> None:
        self.history_id += 1
        msg.history_id = self.history_id
        record: dict[str, Any] = {"id": str(self.history_id), "messages": [msg.brief()]}
        item: dict[str, Any] = {"message": msg.brief()}
        if label_ids is not None:
            item["labelIds"] = label_ids
        record[kind] = [item]
        self.history.append(record)

    def _thread_for(self, raw: bytes, thread_id: str | None) -> str:
        """Gmail-like threading: a message joins the thread of a message it references or that
        references it, else of a message with the same subject (Re:/Fwd: aside) that shares a
        correspondent other than the account; else it starts a thread. (The reverse references
        and the merge of threads a message links stand in for delivery in date order: the
        scenario runner delivers all of INBOX before Sent. Gmail itself never merges threads.)"""
        if thread_id:
            return thread_id
        new = Msg("", "", set(), raw, 0, 0)
        threads = list(dict.fromkeys(m.thread_id for m in linked(new, self.messages.values())))
        if threads:
            # the message links threads that date-ordered delivery would have made one: merge them
            for m in self.messages.values():
                if m.thread_id in threads[1:]:
                    m.thread_id = threads[0]
            return threads[0]
        match = same_subject(new, self.messages.values(), self.account)
        return match.thread_id if match is not None else self._new_id()

    def deliver(self, raw: bytes, labels: tuple[str, ...] | list[str] = ("INBOX", "UNREAD"),
                thread_id: str | None = None, internal_date: int | None = None) -> str:
        """A message arrives (or the user sends one: ``labels=["SENT"]``); returns its id."""
        with self._lock:
            mid = self._new_id()
            when = internal_date if internal_date is not None else 1_790_000_000_000 + len(self.messages)
            msg = Msg(mid, self._thread_for(raw, thread_id), set(labels), raw, when, 0)
            self.messages[mid] = msg
            self._bump("messagesAdded", msg)
            return mid

    def find(self, message_id: str, label: str | None = None) -> str:
        """The Gmail id of the message with this Message-ID header."""
        with self._lock:
            for m in self.messages.values():
                if m.message_id == message_id and (label is None or label in m.labels):
                    return m.id
        raise KeyError(message_id)

    def delete_message(self, mid: str) -> None:
        """Permanent deletion (emptied from Trash)."""
        with self._lock:
            msg = self.messages.pop(mid)
            self.drafts = {d: m for d, m in self.drafts.items() if m != mid}
            self._bump("messagesDeleted", msg)

    def _label_id(self, name: str) -> str:
        for lid, lname in self.labels.items():
            if lname == name:
                return lid
        lid = f"Label_{len(self.labels) + 1}"
        self.labels[lid] = name
        return lid

    def add_label(self, mid: str, name: str) -> str:
        with self._lock:
            lid = self._label_id(name)
            msg = self.messages[mid]
            msg.labels.add(lid)
            self._bump("labelsAdded", msg, [lid])
            return lid

    def remove_label(self, mid: str, name: str) -> None:
        with self._lock:
            lid = self._label_id(name)
            msg = self.messages[mid]
            msg.labels.discard(lid)
            self._bump("labelsRemoved", msg, [lid])

    def trash(self, mid: str) -> None:
        self.add_label(mid, "TRASH")

    def mark_read(self, mid: str) -> None:
        self.remove_label(mid, "UNREAD")

    def user_create_draft(self, raw: bytes, thread_id: str | None = None) -> str:
        with self._lock:
            return self._create_draft(raw, thread_id)

    def _create_draft(self, raw: bytes, thread_id: str | None) -> str:
        mid = self._new_id()
        msg = Msg(mid, self._thread_for(raw, thread_id), {"DRAFT"}, raw, 1_790_000_000_000, 0)
        self.messages[mid] = msg
        did = f"r-{next(self._ids) * 104729}"
        self.drafts[did] = mid
        self._bump("messagesAdded", msg)
        return did

    def user_edit_draft(self, draft_id: str, raw: bytes) -> None:
        """drafts.update as Gmail does it: same draft id, a new message id, the old one deleted."""
        with self._lock:
            old = self.messages.pop(self.drafts[draft_id])
            self._bump("messagesDeleted", old)
            mid = self._new_id()
            msg = Msg(mid, old.thread_id, {"DRAFT"}, raw, old.internal_date, 0)
            self.messages[mid] = msg
            self.drafts[draft_id] = mid
            self._bump("messagesAdded", msg)

    def user_delete_draft(self, draft_id: str) -> None:
        with self._lock:
            mid = self.drafts.pop(draft_id)
            self._bump("messagesDeleted", self.messages.pop(mid))

    def user_send_draft(self, draft_id: str) -> str:
        """The user presses Send in Gmail: the draft's message loses DRAFT and gains SENT."""
        with self._lock:
            mid = self.drafts.pop(draft_id)
            msg = self.messages[mid]
            msg.labels.discard("DRAFT")
            self._bump("labelsRemoved", msg, ["DRAFT"])
            msg.labels.add("SENT")
            self._bump("labelsAdded", msg, ["SENT"])
            return mid

    def expire_history(self) -> None:
        """History ids older than now are no longer honoured (history.list answers 404)."""
        with self._lock:
            self.min_history_id = self.history_id

    def revoke(self) -> None:
        """The user revoked access: refreshing answers invalid_grant, access tokens stop working."""
        with self._lock:
            self.revoked = True
            self.access_tokens.clear()

    def expire_access_tokens(self) -> None:
        with self._lock:
            self.access_tokens.clear()

    def fail(self, status: int, count: int = 1, *, retry_after: str | int | None = None,
             reason: str | None = None, match: str | None = None, where: str = "call",
             after: bool = False) -> None:
        """Answer the next ``count`` API calls (matching ``match``) with ``status``."""
        with self._lock:
            self.faults.append(Fault(status, count, None if retry_after is None else str(retry_after),
                                     reason, match, where, after))

    # --- views for tests ---------------------------------------------------------------------

    def draft_messages(self) -> dict[str, Msg]:
        with self._lock:
            return {d: self.messages[m] for d, m in self.drafts.items()}

    def snapshot(self) -> Any:
        with self._lock:
            return (
                self.history_id,
                sorted((m.id, m.thread_id, tuple(sorted(m.labels)), m.raw) for m in self.messages.values()),
                sorted(self.drafts.items()),
                sorted(self.labels.items()),
            )

    def calls(self, api: str | None = None) -> list[Request]:
        with self._lock:
            return [r for r in self.requests if api is None or r.api == api]

    def units(self) -> int:
        with self._lock:
            return sum(r.units for r in self.requests)

    def reset_counts(self) -> None:
        with self._lock:
            self.requests.clear()
            self.token_requests.clear()
            self.http_requests = 0

    # --- the API -------------------------------------------------------------------------------

    def _fault(self, path: str, where: str) -> Fault | None:
        for f in self.faults:
            if f.count > 0 and f.where == where and (f.match is None or f.match in path):
                f.count -= 1
                return f
        return None

    def handle(self, method: str, target: str, headers: dict[str, str], body: bytes,
               in_batch: bool = False) -> tuple[int, dict[str, str], bytes]:
        split = urllib.parse.urlsplit(target)
        path = split.path
        query = urllib.parse.parse_qs(split.query, keep_blank_values=True)
        with self._lock:
            if path == "/token" and method == "POST":
                return self._token(body)
            if not in_batch:
                self.http_requests += 1
            if path.rstrip("/") in ("/batch/gmail/v1", "/batch") and method == "POST" and not in_batch:
                return self._batch(headers, body)
            m = re.fullmatch(r"/gmail/v1/users/([^/]+)/(.*)", path)
            if not m:
                return _json(404, {"error": {"code": 404, "message": f"no route {path}", "status": "NOT_FOUND"}})
            rest = m[2].rstrip("/")
            api = _api_name(method, rest)
            req = Request(method, path, query, api, in_batch)
            if api in ("messages.send", "drafts.send", "messages.import", "messages.insert"):
                self.forbidden.append(req)
                self.requests.append(req)
                return _json(200, {"id": "sent-anyway", "labelIds": ["SENT"]})
            auth = headers.get("authorization", "")
            if not auth.startswith("Bearer ") or auth[7:] not in self.access_tokens:
                return _json(401, {"error": {"code": 401, "message": "Request had invalid authentication "
                                             "credentials.", "status": "UNAUTHENTICATED"}})
            self.requests.append(req)
            needs = REQUIRED_SCOPES.get(api)
            if needs and not needs & self.token_scopes.get(auth[7:], DEFAULT_GRANT):
                return _json(403, {"error": {"code": 403, "message": "Request had insufficient authentication "
                                             "scopes.", "errors": [{"reason": "insufficientPermissions"}],
                                             "status": "PERMISSION_DENIED"}})
            fault = self._fault(path, "call")
            if fault is not None and not fault.after:
                return _error(fault)
            if m[1] not in ("me", self.account):
                return _json(403, {"error": {"code": 403, "message": "Delegation denied", "status": "PERMISSION_DENIED"}})
            try:
                answer = self._route(api, rest, query, body)
                return _error(fault) if fault is not None else answer
            except KeyError:
                return _json(404, {"error": {"code": 404, "message": "Requested entity was not found.",
                                             "errors": [{"reason": "notFound"}], "status": "NOT_FOUND"}})

    def _token(self, body: bytes) -> tuple[int, dict[str, str], bytes]:
        form = {k: v[0] for k, v in urllib.parse.parse_qs(body.decode()).items()}
        self.token_requests.append({k: v for k, v in form.items() if k in ("grant_type", "client_id")})
        if (form.get("grant_type") != "refresh_token" or form.get("client_id") != CLIENT_ID
                or form.get("client_secret") != CLIENT_SECRET):
            return _json(401, {"error": "invalid_client", "error_description": "Unauthorized"})
        if self.revoked or form.get("refresh_token") != REFRESH_TOKEN:
            return _json(400, {"error": "invalid_grant", "error_description": "Token has been expired or revoked."})
        requested = frozenset(form.get("scope", "").split()) or self.grant
        if requested - self.grant:
            return _json(400, {"error": "invalid_scope", "error_description": "Bad Request"})
        token = f"ya29.fake-{uuid.uuid4().hex}"
        self.access_tokens.add(token)
        self.token_scopes[token] = requested
        return _json(200, {"access_token": token, "expires_in": 3599, "token_type": "Bearer",
                           "scope": " ".join(sorted(requested))})

    def _route(self, api: str, rest: str, q: dict[str, list[str]], body: bytes) -> tuple[int, dict[str, str], bytes]:
        parts = rest.split("/")
        one = lambda k, d=None: q.get(k, [d])[0]  # noqa: E731
        if api == "getProfile":
            return _json(200, {"emailAddress": self.account, "messagesTotal": len(self.messages),
                               "threadsTotal": len({m.thread_id for m in self.messages.values()}),
                               "historyId": str(self.history_id)})
        if api == "settings.sendAs.list":
            return _json(200, {"sendAs": [{"sendAsEmail": a, "isPrimary": a == self.account,
                                           "displayName": ""} for a in (self.account, *self.send_as)]})
        if api == "labels.list":
            return _json(200, {"labels": [{"id": i, "name": n, "type": "system" if i == n else "user"}
                                          for i, n in self.labels.items()]})
        if api == "threads.list":
            self.queries.append(one("q", "") or "")
            spam_trash = one("includeSpamTrash", "false") == "true"
            threads: dict[str, list[Msg]] = {}
            for m in self.messages.values():
                threads.setdefault(m.thread_id, []).append(m)
            ids = [t for t, ms in threads.items()
                   if spam_trash or any(not ({"SPAM", "TRASH"} & x.labels) for x in ms)]
            newer = re.search(r"newer_than:(\d+)d", one("q", "") or "")
            if newer and self.query_now_ms is not None:  # only where a bench asks for it
                since = self.query_now_ms - int(newer[1]) * 86_400_000
                ids = [t for t in ids if any(x.internal_date >= since for x in threads[t])]
            ids.reverse()  # newest first
            return _json(200, _page(ids, one, lambda t: {"id": t, "snippet": "", "historyId": str(
                max(x.history_id for x in threads[t]))}, "threads"))
        if api == "threads.get":
            ms = sorted((m for m in self.messages.values() if m.thread_id == parts[1]), key=lambda m: m.internal_date)
            if not ms:
                raise KeyError(parts[1])
            fmt = one("format", "full")
            wanted = q.get("metadataHeaders", [])
            return _json(200, {"id": parts[1], "historyId": str(max(m.history_id for m in ms)),
                               "messages": [_message(m, fmt, wanted) for m in ms]})
        if api == "messages.get":
            return _json(200, _message(self.messages[parts[1]], one("format", "full"), q.get("metadataHeaders", [])))
        if api == "messages.list":
            self.queries.append(one("q", "") or "")
            ids = [m.id for m in reversed(self.messages.values()) if "DRAFT" not in m.labels]
            found = re.fullmatch(r"rfc822msgid:\s*<?([^<>\s]+)>?", (one("q", "") or "").strip())
            if found:  # the search the agent makes (fetch_by_message_id); other queries: everything
                ids = [i for i in ids if self.messages[i].message_id == f"<{found[1]}>"]
            return _json(200, _page(ids, one, lambda i: {"id": i, "threadId": self.messages[i].thread_id}, "messages"))
        if api == "history.list":
            start = int(one("startHistoryId", "0") or 0)
            if start < self.min_history_id or start <= 0:
                raise KeyError("history")
            types = set(q.get("historyTypes", [])) or {"messageAdded", "messageDeleted", "labelAdded", "labelRemoved"}
            keys = {"messageAdded": "messagesAdded", "messageDeleted": "messagesDeleted",
                    "labelAdded": "labelsAdded", "labelRemoved": "labelsRemoved"}
            wanted_keys = {keys[t] for t in types if t in keys}
            records = [r for r in self.history if int(r["id"]) > start and wanted_keys & set(r)]
            doc = _page(records, one, lambda r: r, "history", default_size=100)
            doc["historyId"] = str(self.history_id)
            return _json(200, doc)
        if api == "drafts.list":
            query = one("q", "") or ""
            items = list(self.drafts.items())
            m = re.fullmatch(r"rfc822msgid:\s*<?([^<>\s]+)>?", query.strip())
            if m:
                items = [(d, mid) for d, mid in items if self.messages[mid].message_id == f"<{m[1]}>"]
            doc = _page(items, one, lambda x: {"id": x[0], "message": {"id": x[1], "threadId":
                                                                    self.messages[x[1]].thread_id}}, "drafts")
            doc["resultSizeEstimate"] = len(items)
            return _json(200, doc)
        if api == "drafts.get":
            mid = self.drafts[parts[1]]
            return _json(200, {"id": parts[1], "message": _message(self.messages[mid], one("format", "full"), [])})
        if api == "drafts.create":
            doc = json.loads(body or b"{}")
            message = doc.get("message", {})
            raw = base64.urlsafe_b64decode(message["raw"] + "=" * (-len(message["raw"]) % 4))
            thread = message.get("threadId")
            if thread and not any(m.thread_id == thread for m in self.messages.values()):
                raise KeyError(thread)
            did = self._create_draft(raw, thread)
            return _json(200, {"id": did, "message": self.messages[self.drafts[did]].brief()})
        if api == "drafts.delete":
            mid = self.drafts.pop(parts[1])
            self._bump("messagesDeleted", self.messages.pop(mid))
            return 204, {}, b""
        if api == "labels.create":
            doc = json.loads(body or b"{}")
            name = str(doc.get("name", "")).strip()
            if not name or name.upper() in SYSTEM_LABELS:
                return _json(400, {"error": {"code": 400, "message": "Invalid label name"}})
            if any(n.casefold() == name.casefold() for n in self.labels.values()):
                return _json(409, {"error": {"code": 409, "message": "Label name exists or conflicts",
                                             "status": "ALREADY_EXISTS"}})
            lid = self._label_id(name)
            self.label_settings[lid] = {k: doc[k] for k in ("labelListVisibility", "messageListVisibility")
                                        if k in doc}
            return _json(200, {"id": lid, "name": name, "type": "user", **self.label_settings[lid]})
        if api == "messages.modify":
            msg = self.messages[parts[1]]
            doc = json.loads(body or b"{}")
            add, remove = list(doc.get("addLabelIds", [])), list(doc.get("removeLabelIds", []))
            unknown = [x for x in add + remove if x not in self.labels]
            if unknown:
                return _json(400, {"error": {"code": 400, "message": f"Invalid label: {unknown[0]}"}})
            added = [x for x in add if x not in msg.labels]
            msg.labels |= set(added)
            if added:
                self._bump("labelsAdded", msg, added)
            removed = [x for x in remove if x in msg.labels]
            msg.labels -= set(removed)
            if removed:
                self._bump("labelsRemoved", msg, removed)
            return _json(200, msg.brief())
        return _json(400, {"error": {"code": 400, "message": f"not supported by the fake: {api}"}})

    def _batch(self, headers: dict[str, str], body: bytes) -> tuple[int, dict[str, str], bytes]:
        fault = self._fault("/batch", "batch")
        if fault is not None:
            return _error(fault)
        ctype = headers.get("content-type", "")
        msg = email.message_from_bytes(b"Content-Type: " + ctype.encode() + b"\r\n\r\n" + body)
        if not msg.is_multipart():
            return _json(400, {"error": {"code": 400, "message": "batch body is not multipart/mixed"}})
        boundary = f"batch_{uuid.uuid4().hex}"
        out = []
        for part in msg.get_payload():
            cid = str(part.get("Content-ID", "")).strip()
            payload = part.get_payload(decode=False)
            text = payload if isinstance(payload, str) else str(payload)
            head, _, inner_body = text.replace("\r\n", "\n").partition("\n\n")
            lines = head.split("\n")
            method, target, _version = lines[0].split(" ", 2)
            inner_headers = {}
            for line in lines[1:]:
                k, _, v = line.partition(":")
                inner_headers[k.strip().lower()] = v.strip()
            status, rheaders, rbody = self.handle(method, target, inner_headers, inner_body.encode(), in_batch=True)
            rid = "<response-" + cid.strip("<>") + ">"
            extra = "".join(f"{k}: {v}\r\n" for k, v in rheaders.items())
            out.append(
                f"--{boundary}\r\nContent-Type: application/http\r\nContent-ID: {rid}\r\n\r\n"
                f"HTTP/1.1 {status} {_REASONS.get(status, 'Status')}\r\n{extra}\r\n"
                + rbody.decode("utf-8") + "\r\n"
            )
        data = ("".join(out) + f"--{boundary}--\r\n").encode()
        return 200, {"Content-Type": f"multipart/mixed; boundary={boundary}"}, data


_REASONS = {200: "OK", 204: "No Content", 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden",
            404: "Not Found", 429: "Too Many Requests", 500: "Internal Server Error", 503: "Service Unavailable"}


def _api_name(method: str, rest: str) -> str:
    parts = rest.split("/")
    head = parts[0]
    if rest.endswith("/send") or rest == "send":
        return f"{head}.send"
    if rest == "messages/import":
        return "messages.import"
    if rest == "messages" and method == "POST":
        return "messages.insert"
    if head == "profile":
        return "getProfile"
    if rest == "settings/sendAs" and method == "GET":
        return "settings.sendAs.list"
    if head in ("messages", "threads") and len(parts) == 3 and parts[2] == "modify" and method == "POST":
        return f"{head}.modify"
    if head in ("threads", "messages", "drafts", "labels", "history"):
        if len(parts) == 1:
            return {"GET": f"{head}.list", "POST": f"{head}.create"}.get(method, f"{head}.?")
        return {"GET": f"{head}.get", "DELETE": f"{head}.delete", "PUT": f"{head}.update"}.get(method, f"{head}.?")
    return "unknown"


def _page(items: list[Any], one: Any, render: Any, key: str, default_size: int = 100) -> dict[str, Any]:
    size = int(one("maxResults", str(default_size)) or default_size)
    start = int(one("pageToken", "0") or 0)
    chunk = items[start : start + size]
    doc: dict[str, Any] = {key: [render(x) for x in chunk]} if chunk else {}
    if start + size < len(items):
        doc["nextPageToken"] = str(start + size)
    return doc


def _message(m: Msg, fmt: str, wanted: list[str]) -> dict[str, Any]:
    doc: dict[str, Any] = {**m.brief(), "snippet": "", "historyId": str(m.history_id),
                           "internalDate": str(m.internal_date), "sizeEstimate": len(m.raw)}
    if fmt == "raw":
        doc["raw"] = base64.urlsafe_b64encode(m.raw).decode("ascii")
    elif fmt in ("metadata", "full"):
        want = {w.lower() for w in wanted}
        headers = [{"name": k, "value": v} for k, v in m.headers() if fmt == "full" or not want or k.lower() in want]
        doc["payload"] = {"mimeType": "text/plain", "headers": headers}
    return doc


def _json(status: int, doc: Any) -> tuple[int, dict[str, str], bytes]:
    return status, {"Content-Type": "application/json; charset=UTF-8"}, json.dumps(doc).encode()


def _error(fault: Fault) -> tuple[int, dict[str, str], bytes]:
    reason = fault.reason or {429: "rateLimitExceeded", 403: "userRateLimitExceeded"}.get(fault.status, "backendError")
    status, headers, body = _json(fault.status, {"error": {
        "code": fault.status, "message": f"injected {fault.status} ({reason})",
        "errors": [{"reason": reason, "domain": "usageLimits" if "Rate" in reason else "global"}]}})
    if fault.retry_after is not None:
        headers["Retry-After"] = fault.retry_after
    return status, headers, body


def _handler(fake: FakeGmail) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def setup(self) -> None:
            super().setup()
            # headers and body go out in two writes: without this, Nagle + delayed ACK add 40 ms
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def _any(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {k.lower(): v for k, v in self.headers.items()}
            try:
                status, rheaders, data = fake.handle(self.command, self.path, headers, body)
            except Exception as err:  # a bug in the fake: say so loudly
                status, rheaders, data = _json(500, {"error": {"code": 500, "message": f"fake crashed: {err!r}"}})
            self.send_response(status)
            for k, v in rheaders.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if data and self.command != "HEAD":
                self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _any

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@contextlib.contextmanager
def fake_gmail(account: str = ACCOUNT) -> Iterator[FakeGmail]:
    server = FakeGmail(account=account).start()
    try:
        yield server
    finally:
        server.stop()


# --- helpers for the tests: a clock that never waits, the conformance env, the scenario harness ---


@dataclass
class FakeClock:
    """``sleep`` records and advances ``now``; nothing ever waits."""

    now: float = 1000.0
    sleeps: list[float] = field(default_factory=list)

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def clock(self) -> float:
        return self.now


def make_mailbox(server: FakeGmail, clock: FakeClock | None = None, **kwargs: Any) -> Any:
    """A :class:`~agent.backends.gmail.GmailMailbox` for ``server``, never sleeping for real."""
    from agent.backends.gmail import GmailMailbox
    from agent.config import GmailConfig

    clock = clock or FakeClock()
    cfg = kwargs.pop("cfg", None) or GmailConfig(api_endpoint=server.url, query=kwargs.pop("query", "newer_than:180d"))
    return GmailMailbox(cfg, kwargs.pop("credentials", None) or server.credentials(), sleep=clock.sleep,
                        clock=clock.clock, jitter=kwargs.pop("jitter", lambda: 0.5), **kwargs)


_ROLE_LABEL = {"inbox": "INBOX", "sent": "SENT"}


@dataclass
class GmailEnv:
    """tests/test_mailbox_conformance.py's ``MailboxEnv`` over a fresh fake Gmail."""

    server: FakeGmail
    mailbox: Any

    def deliver(self, folder_role: str, data: bytes) -> None:
        self.server.deliver(data, labels=[_ROLE_LABEL[folder_role]] + (["UNREAD"] if folder_role == "inbox" else []))

    def user_delete(self, folder_role: str, message_id: str) -> None:
        self.server.delete_message(self.server.find(message_id, _ROLE_LABEL[folder_role]))

    def user_edit_draft(self, draft_id: str, new_bytes: bytes) -> None:
        self.server.user_edit_draft(draft_id.removeprefix("draft/"), new_bytes)

    def user_delete_draft(self, draft_id: str) -> None:
        self.server.user_delete_draft(draft_id.removeprefix("draft/"))

    def snapshot(self) -> Any:
        return self.server.snapshot()


@contextlib.contextmanager
def gmail_mailbox_env() -> Iterator[GmailEnv]:
    with fake_gmail() as server:
        yield GmailEnv(server, make_mailbox(server))


class GmailHarness:
    """tests/scenario_runner.py's ``Harness`` over a fake Gmail (the CLI runs in a subprocess
    and reaches the server over loopback; the token file points at its token endpoint)."""

    def __init__(self, server: FakeGmail, root: Any) -> None:
        from pathlib import Path

        self.server = server
        self.token_file = Path(root) / "gmail-token.json"
        self.token_file.write_text(json.dumps(server.authorized_user()))
        self.token_file.chmod(0o600)

    def deliver(self, folder: str, data: bytes) -> None:
        self.server.deliver(data, labels=[_ROLE_LABEL[folder]])

    def drafts(self) -> list[tuple[str, bytes]]:
        return [(d, m.raw) for d, m in sorted(self.server.draft_messages().items())]

    def add_draft(self, data: bytes) -> None:
        self.server.user_create_draft(data)

    def delete_draft(self, draft_id: str) -> None:
        self.server.user_delete_draft(draft_id)

    def config_sections(self) -> dict[str, dict[str, Any]]:
        return {
            "mailbox": {"backend": "gmail"},
            "gmail": {"api_endpoint": self.server.url, "token_file": str(self.token_file),
                      "query": "newer_than:3650d"},
        }
