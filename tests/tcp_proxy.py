"""A threaded loopback TCP proxy that cuts connections on command: the fault tests' network.

Put it in front of Dovecot's plain port and point the agent at ``proxy.port``.
Bytes pass through unchanged until a :class:`Fault` is armed; the fault then
cuts one connection at a precise point of the IMAP conversation:

* ``Fault(command=rb"UID FETCH .*HEADER\\.FIELDS", reply_bytes=3000)``: once a
  client line matches ``command``, forward 3,000 bytes of the server's answer
  and cut (a cut in the middle of the FETCH response);
* ``Fault(command=rb"APPEND", request_bytes=200)``: forward the APPEND line
  and 200 more bytes from the client (the start of the literal) and cut: the
  server never gets the whole message, so it stores nothing;
* ``Fault(command=rb"APPEND", reply=rb"OK \\[APPENDUID")``: let the APPEND
  complete and cut just before the server's tagged ``OK`` reaches the client:
  the server stored the draft, the client cannot know;
* ``Fault(command=..., action=callback)``: hold the matching line, call
  ``callback()`` (e.g. restart Dovecot), then cut.

``skip`` lets that many matches pass first; ``times`` is how many cuts the
fault makes before it disarms. A cut closes both sides at once, like a
network that drops (the client reads EOF, the server sees its peer go).
Every client line (anything ending in CRLF, the lines of a literal
included) is recorded in :attr:`TcpProxy.lines`, so a test can count what
the client really sent, e.g. how many APPENDs (:meth:`TcpProxy.commands`).
"""

from __future__ import annotations

import contextlib
import re
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

_CHUNK = 65536


@dataclass
class Fault:
    """Where to cut (see the module docstring)."""

    command: bytes | None = None  # regex on a client line that arms the fault (None: armed at once)
    request_bytes: int | None = None  # after the matching line, forward this many client bytes, cut
    reply_bytes: int | None = None  # after the matching line, forward this many server bytes, cut
    reply: bytes | None = None  # after the matching line, cut where the server's bytes match this
    action: Callable[[], None] | None = None  # run while holding the matching line, then cut
    skip: int = 0
    times: int = 1
    #: filled in by the proxy
    cuts: int = 0
    seen: int = 0
    _pattern: re.Pattern[bytes] | None = field(default=None, repr=False)
    _reply_pattern: re.Pattern[bytes] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        ways = [self.request_bytes is not None, self.reply_bytes is not None, self.reply is not None,
                self.action is not None]
        if sum(ways) != 1:
            raise ValueError("a Fault needs exactly one of request_bytes, reply_bytes, reply, action")
        self._pattern = re.compile(self.command, re.IGNORECASE) if self.command is not None else None
        self._reply_pattern = re.compile(self.reply, re.IGNORECASE) if self.reply is not None else None

    @property
    def done(self) -> bool:
        return self.cuts >= self.times


class _Link:
    """One proxied connection: a client socket, a server socket, two pump threads."""

    def __init__(self, proxy: TcpProxy, client: socket.socket, server: socket.socket) -> None:
        self.proxy = proxy
        self.client = client
        self.server = server
        self.closed = threading.Event()
        self.not_acting = threading.Event()  # cleared while a fault's action runs
        self.not_acting.set()
        self.partial = b""  # the client's current unfinished line
        # set by the client pump when a fault is triggered on this link
        self.fault: Fault | None = None
        self.request_left: int | None = None
        self.reply_left: int | None = None
        self.reply_tail = b""
        self.lock = threading.Lock()
        self.threads = [
            threading.Thread(target=self._client_to_server, daemon=True, name="proxy-c2s"),
            threading.Thread(target=self._server_to_client, daemon=True, name="proxy-s2c"),
        ]
        for t in self.threads:
            t.start()

    def cut(self) -> None:
        """Drop both sides now (after a running fault action: the client must not see the
        server go away before the action, e.g. a restart, is complete)."""
        if threading.current_thread() is not self.threads[0]:
            self.not_acting.wait(60)
        if self.closed.is_set():
            return
        self.closed.set()
        for s in (self.client, self.server):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                s.close()

    def _count_cut(self) -> None:
        with self.lock:
            if self.fault is not None:
                self.fault.cuts += 1
                self.proxy._retire(self.fault)
            self.fault = None
        self.cut()

    # client -> server ---------------------------------------------------------------

    def _client_to_server(self) -> None:
        try:
            while not self.closed.is_set():
                data = self.client.recv(_CHUNK)
                if not data:
                    break
                if self.request_left is not None:
                    self._send_limited_request(data)
                    continue
                self._client_data(data)
        except OSError:
            pass
        self.cut()

    def _send_limited_request(self, data: bytes) -> None:
        assert self.request_left is not None
        part = data[: self.request_left]
        self.request_left -= len(part)
        if part:
            self.server.sendall(part)
        if self.request_left <= 0:
            self._count_cut()

    def _client_data(self, data: bytes) -> None:
        """Forward whole lines; a line matching an armed fault triggers it.

        Bytes of an unfinished line are held until its CRLF arrives (an IMAP
        client ends everything it sends with CRLF, literals included), so a
        fault sees each line whole and acts before the server gets it.
        """
        buf = self.partial + data
        last = buf.rfind(b"\r\n")
        if last < 0:
            if len(buf) > _CHUNK:  # no line end in sight: pass it on unexamined
                self.server.sendall(buf)
                buf = b""
            self.partial = buf
            return
        complete, self.partial = buf[: last + 2], buf[last + 2 :]
        start = 0
        while start < len(complete):
            end = complete.index(b"\r\n", start) + 2
            line = complete[start:end]
            self.proxy.lines.append(line[:-2])
            fault = self.proxy._trigger(line) if self.fault is None else None
            if fault is not None:
                if start:
                    self.server.sendall(complete[:start])
                after, self.partial = complete[end:] + self.partial, b""
                self._triggered(fault, line, after)
                return
            start = end
        self.server.sendall(complete)

    def _triggered(self, fault: Fault, line: bytes, after: bytes) -> None:
        with self.lock:
            self.fault = fault
            if fault.reply_bytes is not None:
                self.reply_left = fault.reply_bytes
            elif fault.reply is not None:
                self.reply_left = -1  # watch the server's bytes for the pattern
        if fault.action is not None:
            self.not_acting.clear()
            self.proxy._quiet.clear()
            try:
                fault.action()  # the line is held: the server never gets it
            finally:
                self.not_acting.set()
                self.proxy._quiet.set()
            self._count_cut()
            return
        if fault.request_bytes is not None:
            self.server.sendall(line)
            self.request_left = fault.request_bytes
            if after or self.request_left == 0:
                self._send_limited_request(after)
            return
        self.server.sendall(line + after)

    # server -> client ---------------------------------------------------------------

    def _server_to_client(self) -> None:
        try:
            while not self.closed.is_set():
                data = self.server.recv(_CHUNK)
                if not data:
                    break
                with self.lock:
                    left = self.reply_left
                if left is None:
                    self.client.sendall(data)
                elif left >= 0:
                    part = data[:left]
                    if part:
                        self.client.sendall(part)
                    with self.lock:
                        self.reply_left = left - len(part)
                    if left - len(part) <= 0:
                        self._count_cut()
                        return
                else:
                    assert self.fault is not None and self.fault._reply_pattern is not None
                    window = self.reply_tail + data
                    m = self.fault._reply_pattern.search(window)
                    if m is None:
                        self.client.sendall(data)
                        self.reply_tail = window[-256:]
                        continue
                    keep = m.start() - len(self.reply_tail)
                    if keep > 0:
                        self.client.sendall(data[:keep])
                    self._count_cut()
                    return
        except OSError:
            pass
        self.cut()


class TcpProxy:
    """Listen on a free loopback port; forward every connection to ``target``."""

    def __init__(self, target_host: str, target_port: int, host: str = "127.0.0.1") -> None:
        self.target = (target_host, target_port)
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind((host, 0))
        self._listener.listen(64)
        self.host = host
        self.port: int = self._listener.getsockname()[1]
        self._faults: list[Fault] = []
        self._links: list[_Link] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        # cleared while a fault's action runs: a client reconnecting meanwhile (say, after the
        # BYE of a restarting server) waits for the action to finish instead of being refused
        self._quiet = threading.Event()
        self._quiet.set()
        self.lines: list[bytes] = []  # every line a client sent, in order
        self.connections = 0
        self._thread = threading.Thread(target=self._accept, daemon=True, name="proxy-accept")
        self._thread.start()

    # faults -------------------------------------------------------------------------

    def arm(self, fault: Fault) -> Fault:
        """Add a fault; it acts on the next matching line of any connection."""
        with self._lock:
            self._faults.append(fault)
        return fault

    def disarm(self) -> None:
        with self._lock:
            self._faults.clear()

    def _trigger(self, line: bytes) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.done or (fault._pattern is not None and not fault._pattern.search(line)):
                    continue
                fault.seen += 1
                if fault.seen <= fault.skip:
                    continue
                return fault
        return None

    def _retire(self, fault: Fault) -> None:
        with self._lock:
            if fault.done and fault in self._faults:
                self._faults.remove(fault)

    def commands(self, verb: str) -> list[bytes]:
        """The client lines whose command (after the tag) is ``verb`` (e.g. "APPEND", "UID")."""
        out = []
        for line in list(self.lines):
            parts = line.split(b" ", 2)
            if len(parts) >= 2 and parts[1].upper() == verb.upper().encode():
                out.append(line)
        return out

    def cut_all(self) -> None:
        """Drop every open connection (a network outage)."""
        with self._lock:
            links = list(self._links)
        for link in links:
            link.cut()

    # plumbing -----------------------------------------------------------------------

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _addr = self._listener.accept()
            except OSError:
                return
            self._quiet.wait(60)
            try:
                server = socket.create_connection(self.target, timeout=5)
                server.settimeout(None)
            except OSError:
                with contextlib.suppress(OSError):
                    client.close()
                continue
            for s in (client, server):
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self._lock:
                self.connections += 1
                self._links = [link for link in self._links if not link.closed.is_set()]
                self._links.append(_Link(self, client, server))

    def close(self) -> None:
        self._stop.set()
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept() (close does not)
        with contextlib.suppress(OSError):
            self._listener.close()
        self.cut_all()
        self._thread.join(2)

    def __enter__(self) -> TcpProxy:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
