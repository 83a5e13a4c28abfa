"""A tiny scripted IMAP server on loopback, for folder discovery on servers we cannot run.

Old Gmail and old Zimbra offer XLIST and no SPECIAL-USE; some servers send a
NIL hierarchy separator or no NAMESPACE at all. No Debian package behaves like
that, so this stub answers exactly the replies a test scripts: the greeting and
CAPABILITY from ``caps``, LOGIN always OK, and for LIST, XLIST, NAMESPACE the
untagged lines given in ``replies`` (a verb absent from ``replies`` gets BAD,
as a server without the extension would answer). Everything else gets BAD, so
a test sees at once if discovery sends something unexpected; every command
line is kept in :attr:`ScriptedImapServer.commands`.
"""

from __future__ import annotations

import socketserver
import threading
from collections.abc import Mapping, Sequence
from typing import Any


class ScriptedImapServer:
    """Serve scripted replies on 127.0.0.1 (port chosen by the OS) until :meth:`stop`."""

    def __init__(self, caps: str, replies: Mapping[str, Sequence[str]]) -> None:
        self.caps = caps
        self.replies = {verb.upper(): list(lines) for verb, lines in replies.items()}
        self.commands: list[str] = []
        self._lock = threading.Lock()
        stub = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                stub._session(self.rfile, self.wfile)

        class TCP(socketserver.ThreadingTCPServer):
            allow_reuse_address = True
            daemon_threads = True

        self._tcp = TCP(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._tcp.serve_forever, args=(0.05,), daemon=True)

    @property
    def host(self) -> str:
        return "127.0.0.1"

    @property
    def port(self) -> int:
        return int(self._tcp.server_address[1])

    def __enter__(self) -> ScriptedImapServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        self._tcp.shutdown()
        self._tcp.server_close()
        self._thread.join()

    def verbs(self) -> list[str]:
        """The command verbs received, in order (``UID FETCH`` counts as ``UID``)."""
        with self._lock:
            return [c.split(" ", 2)[1].upper() for c in self.commands if " " in c]

    def _session(self, rfile: Any, wfile: Any) -> None:
        wfile.write(f"* OK [CAPABILITY {self.caps}] scripted stub ready\r\n".encode())
        wfile.flush()
        for raw in rfile:
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            with self._lock:
                self.commands.append(line)
            tag, _, rest = line.partition(" ")
            verb = rest.split(" ", 1)[0].upper()
            for out in self._answer(tag, verb):
                wfile.write(out.encode() + b"\r\n")
            wfile.flush()
            if verb == "LOGOUT":
                return

    def _answer(self, tag: str, verb: str) -> list[str]:
        if verb == "CAPABILITY":
            return [f"* CAPABILITY {self.caps}", f"{tag} OK done"]
        if verb == "LOGIN":
            return [f"{tag} OK [CAPABILITY {self.caps}] logged in"]
        if verb == "LOGOUT":
            return ["* BYE bye", f"{tag} OK done"]
        if verb == "NOOP":
            return [f"{tag} OK done"]
        if verb in self.replies:
            return [*self.replies[verb], f"{tag} OK {verb} done"]
        return [f"{tag} BAD not scripted: {verb}"]
