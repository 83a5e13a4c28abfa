"""A real Courier-IMAP for the IMAP tests, beside Dovecot (a pytest plugin, like tests/dovecot.py).

Why Courier: it is the server that broke the agent for real users (issue 14):
its personal namespace is ``INBOX.`` with a ``.`` separator, it marks no
folder with SPECIAL-USE, it has no CONDSTORE/QRESYNC, no UNSELECT, no MOVE,
and it refuses to APPEND into a folder the same session has EXAMINEd. A
Dovecot configured to look like it proves none of that; only Courier's own
``imapd`` does.

How it runs: Debian's ``courier-imap`` conflicts with ``dovecot-imapd``, so
tests/servers/fetch-courier.sh unpacks the packages into a private folder
(:data:`PREFIX`). Courier's own login chain (couriertcpd → imaplogin →
authdaemond) has its paths compiled in and would need a private mount
namespace and a running authdaemond; instead a small loopback listener here
does the pre-login part (greeting, CAPABILITY, NOOP, LOGIN, LOGOUT) and then
hands the socket to Courier's ``imapd`` exactly the way ``imaplogin`` does:
``AUTHENTICATED``, ``MAILDIR``, ``IMAPLOGINTAG`` and Debian's
/etc/courier/imapd settings in the environment, the socket as stdin/stdout.
From the tagged ``OK`` of LOGIN on, every byte of the dialogue is Courier's.

Each user is a Maildir made with Courier's ``maildirmake`` and the folders a
common client creates there (INBOX.Sent, INBOX.Drafts, INBOX.Trash).

Missing packages that cannot be fetched (no root, no network to the
distribution's mirror) FAIL these tests with the reason, as a missing Dovecot
does; .ci/run fetches them first.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import os
import re
import shutil
import socket
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import pytest
from imapclient import IMAPClient

from tests.dovecot import HOST, PASSWORD, DovecotUser, ImapEnv

PREFIX = Path(os.environ.get("COURIER_PREFIX", "/opt/followup-test/courier"))
FETCH_SCRIPT = Path(__file__).parent / "servers" / "fetch-courier.sh"

#: the folders a mail client (Thunderbird, Roundcube, SquirrelMail) creates on a Courier account
USER_FOLDERS = ("Sent", "Drafts", "Trash")

_user_counter = itertools.count(1)

# Pre-login commands: CAPABILITY, NOOP, LOGOUT, LOGIN with atoms or quoted strings
# (what imaplib/IMAPClient send). Literals are not needed by any client in the tests.
_ATOM_OR_QUOTED = r'(?:"((?:[^"\\]|\\.)*)"|([^\s"]+))'
_LOGIN = re.compile(rf"^(\S+) LOGIN {_ATOM_OR_QUOTED} {_ATOM_OR_QUOTED}\r?\n$", re.IGNORECASE)
_SIMPLE = re.compile(r"^(\S+) (CAPABILITY|NOOP|LOGOUT)\r?\n$", re.IGNORECASE)


def _unquote(quoted: str | None, atom: str | None) -> str:
    if quoted is not None:
        return re.sub(r"\\(.)", r"\1", quoted)
    return atom or ""


def ensure_courier() -> None:
    """Fetch and unpack Courier-IMAP when it is not there yet; fail (with why) when that fails, as a missing Dovecot does."""
    if (PREFIX / "usr/bin/imapd").exists() and Path("/usr/libexec/gam_server").exists():
        return
    out = subprocess.run(["bash", str(FETCH_SCRIPT), str(PREFIX)], capture_output=True, text=True, check=False)
    if out.returncode or not (PREFIX / "usr/bin/imapd").exists():
        pytest.fail(
            f"Courier-IMAP packages could not be fetched ({FETCH_SCRIPT.name} exited with "
            f"{out.returncode}: {out.stderr.strip()[-300:]}); .ci/run installs them.",
        )


def courier_settings() -> dict[str, str]:
    """Debian's /etc/courier/imapd, evaluated by a shell the way its init script sources it."""
    conf = PREFIX / "etc/courier/imapd"
    out = subprocess.run(
        ["env", "-i", "bash", "-c", 'set -a; . "$1"; env -0', "sh", str(conf)],
        capture_output=True, check=True,
    )
    pairs = (item.split(b"=", 1) for item in out.stdout.split(b"\0") if b"=" in item)
    keep = ("IMAP_", "MAILDIRPATH", "HEADERFROM")
    return {k.decode(): v.decode() for k, v in pairs if k.decode().startswith(keep)}


@dataclass
class CourierServer:
    """A loopback listener doing Courier's pre-login part, then ``imapd`` per connection."""

    root: Path
    host: str = HOST
    port: int = 0
    passwords: dict[str, str] = field(default_factory=dict)
    _listener: socket.socket | None = None
    _thread: threading.Thread | None = None
    _procs: list[subprocess.Popen[bytes]] = field(default_factory=list)
    _settings: dict[str, str] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def log_path(self) -> Path:
        return self.root / "imapd.log"

    # lifecycle --------------------------------------------------------------------

    def start(self) -> None:
        if self._listener is not None:
            return
        self._settings = courier_settings()
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((self.host, self.port))
        listener.listen(64)
        self.port = listener.getsockname()[1]
        self._listener = listener
        self._thread = threading.Thread(target=self._accept_loop, args=(listener,), daemon=True,
                                        name="courier-accept")
        self._thread.start()

    def stop(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None
        with self._lock:
            procs, self._procs = self._procs, []
        for proc in procs:
            if proc.poll() is None:
                proc.terminate()
        for proc in procs:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(5)

    def log_tail(self, lines: int = 30) -> str:
        if not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    # connections ------------------------------------------------------------------

    def _accept_loop(self, listener: socket.socket) -> None:
        while True:
            try:
                conn, peer = listener.accept()
            except OSError:
                return  # closed by stop()
            threading.Thread(target=self._serve, args=(conn, peer), daemon=True, name="courier-login").start()

    def _capability(self) -> str:
        return self._settings.get("IMAP_CAPABILITY", "IMAP4rev1")

    def _serve(self, conn: socket.socket, peer: tuple[str, int]) -> None:
        """The pre-login dialogue (imaplogin's part), then ``imapd`` on this very socket."""
        with conn:
            conn.sendall(
                f"* OK [CAPABILITY {self._capability()}] Courier-IMAP ready. Copyright 1998-2018 "
                "Double Precision, Inc.  See COPYING for distribution information.\r\n".encode()
            )
            while (line := _read_line(conn)) is not None:
                login = _LOGIN.match(line)
                if login:
                    tag, user = login.group(1), _unquote(login.group(2), login.group(3))
                    if self.passwords.get(user) == _unquote(login.group(4), login.group(5)):
                        self._hand_over(conn, peer, tag, user)
                        return
                    conn.sendall(f"{tag} NO Login failed.\r\n".encode())
                    continue
                conn.sendall(self._pre_login_reply(line).encode())
                if _SIMPLE.match(line) and line.split()[1].upper() == "LOGOUT":
                    return

    def _pre_login_reply(self, line: str) -> str:
        simple = _SIMPLE.match(line)
        if simple is None:
            tag = line.split(" ", 1)[0].strip() or "*"
            return f"{tag} NO Error in IMAP command received by server.\r\n"
        tag, command = simple.group(1), simple.group(2).upper()
        if command == "CAPABILITY":
            return f"* CAPABILITY {self._capability()}\r\n{tag} OK CAPABILITY completed\r\n"
        if command == "LOGOUT":
            return f"* BYE Courier-IMAP server shutting down\r\n{tag} OK LOGOUT completed\r\n"
        return f"{tag} OK NOOP completed\r\n"

    def _hand_over(self, conn: socket.socket, peer: tuple[str, int], tag: str, user: str) -> None:
        """Exec Courier's imapd on the socket, with the environment imaplogin gives it."""
        home = self.root / "home" / user
        env = {
            **self._settings,
            "PATH": "/usr/bin:/bin",
            "LD_LIBRARY_PATH": str(PREFIX / "usr/lib"),
            "HOME": str(home),
            "AUTHENTICATED": user,
            "MAILDIR": "Maildir",
            "IMAPLOGINTAG": tag,
            "TCPREMOTEIP": peer[0],
            "TCPREMOTEPORT": str(peer[1]),
            "TCPLOCALIP": self.host,
            "TCPLOCALPORT": str(self.port),
        }
        with open(self.log_path, "ab") as log:
            proc = subprocess.Popen(
                [str(PREFIX / "usr/bin/imapd"), "Maildir"], cwd=home, env=env,
                stdin=conn.fileno(), stdout=conn.fileno(), stderr=log, close_fds=True,
            )
        with self._lock:
            self._procs = [p for p in self._procs if p.poll() is None] + [proc]

    # users ------------------------------------------------------------------------

    def add_user(self, name: str | None = None, password: str = PASSWORD) -> CourierUser:
        """A fresh user: a Maildir with the folders a mail client creates (maildirmake)."""
        name = name or f"courier{os.getpid()}x{next(_user_counter)}"
        maildir = self.root / "home" / name / "Maildir"
        maildir.parent.mkdir(parents=True)
        self._maildirmake(str(maildir))
        for folder in USER_FOLDERS:
            self._maildirmake("-f", folder, str(maildir))
        self.passwords[name] = password
        return CourierUser(self, name, password)

    def _maildirmake(self, *args: str) -> None:
        subprocess.run([str(PREFIX / "usr/bin/maildirmake.courier"), *args], check=True,
                       env={"LD_LIBRARY_PATH": str(PREFIX / "usr/lib"), "PATH": "/usr/bin:/bin"})


def _read_line(conn: socket.socket) -> str | None:
    """One command line, read a byte at a time so nothing meant for imapd is consumed here."""
    buf = bytearray()
    while not buf.endswith(b"\n"):
        try:
            chunk = conn.recv(1)
        except OSError:
            return None
        if not chunk:
            return None
        buf += chunk
        if len(buf) > 8192:
            return None
    return buf.decode("utf-8", "replace")


@dataclass
class CourierUser(DovecotUser):
    """One user on the test Courier, with an admin connection for setting the scene
    (:class:`DovecotUser`'s connection, folders and UIDVALIDITY; its own folder handling).

    Courier has no UNSELECT: folders are left with CLOSE (which, after a
    read-write SELECT, also expunges what is flagged \\Deleted: only ever done
    here right after such an expunge).
    """

    server: CourierServer  # type: ignore[assignment]

    @property
    def maildir(self) -> Path:
        return self.server.root / "home" / self.username / "Maildir"

    def _leave(self, c: IMAPClient) -> None:
        with contextlib.suppress(Exception):
            c.close_folder()

    def deliver(self, folder: str, data: bytes, flags: tuple[bytes | str, ...] = (),
                when: dt.datetime | None = None) -> int:
        """APPEND ``data`` to ``folder``; its UID from UIDPLUS ``APPENDUID`` (Courier has it)."""
        if b"\r\n" not in data:
            data = data.replace(b"\n", b"\r\n")
        resp = self.admin.append(folder, data, flags=flags, msg_time=when)
        text = resp.decode() if isinstance(resp, bytes) else str(resp)
        return int(text.split("APPENDUID", 1)[1].split("]", 1)[0].split()[1])

    def uids(self, folder: str) -> list[int]:
        c = self.admin
        c.select_folder(folder, readonly=True)
        try:
            return sorted(c.search("ALL"))
        finally:
            self._leave(c)

    def expunge(self, folder: str, uids: list[int]) -> None:
        """Remove messages the way a mail client does: flag \\Deleted, then UID EXPUNGE."""
        c = self.admin
        c.select_folder(folder)
        c.add_flags(uids, [b"\\Deleted"], silent=True)
        c.uid_expunge(uids)
        self._leave(c)

    def snapshot(self) -> dict[str, Any]:
        """Every folder's UIDVALIDITY/UIDNEXT and flags over IMAP, and the Maildir's files.

        Courier has no CONDSTORE, so no HIGHESTMODSEQ reveals a stray write;
        the Maildir itself does: a flag change renames a file (``:2,FLAGS``),
        an APPEND or expunge adds or removes one. Courier moves ``new/`` to
        ``cur/`` on any select (also EXAMINE), so files are keyed by their
        unique name, not their subfolder.
        """
        c = self.admin
        out: dict[str, Any] = {}
        for name in sorted(self.folders()):
            info = c.select_folder(name, readonly=True)
            uids = sorted(c.search("ALL"))
            flags = {uid: tuple(sorted(f for f in item[b"FLAGS"] if f != b"\\Recent"))
                     for uid, item in (c.fetch(uids, ["FLAGS"]) if uids else {}).items()}
            self._leave(c)
            out[name] = {"uidvalidity": self._stored_uidvalidity(name, info), "uidnext": info.get(b"UIDNEXT"),
                         "flags": flags}
        out["maildir files"] = sorted(
            (str(p.parent.parent.relative_to(self.maildir)), p.name)
            for sub in ("cur", "new") for p in self.maildir.glob(f"**/{sub}/*") if p.is_file()
        )
        return out

    def _stored_uidvalidity(self, folder: str, info: dict[bytes, Any]) -> Any:
        """The folder's UIDVALIDITY, or None while Courier has not stored one.

        Courier writes a folder's UIDVALIDITY (in ``courierimapuiddb``) only
        once the folder holds a message; until then every SELECT invents one
        from the clock, so two reads of a never-used empty folder differ with
        nothing written at all.
        """
        sub = "" if folder == "INBOX" else "." + folder.removeprefix("INBOX.")
        stored = (self.maildir / sub / "courierimapuiddb").exists()
        return info.get(b"UIDVALIDITY") if stored else None

    def imap_config(self, **overrides: Any) -> Any:
        from agent.config import ImapConfig

        values: dict[str, Any] = {"host": self.server.host, "port": self.server.port, "security": "none",
                                  "username": self.username, "timeout": 10.0}
        values.update(overrides)
        return ImapConfig(**values)

    def mailbox(self, password: str | None = None, **overrides: Any) -> Any:
        """An :class:`~agent.backends.imap.ImapMailbox` for this user; no folder configured."""
        from agent.backends.imap import ImapMailbox

        secret = self.password if password is None else password
        return ImapMailbox(self.imap_config(**overrides), lambda: secret, sleep=lambda _s: None)


def start_courier(root: Path) -> CourierServer:
    ensure_courier()
    root.chmod(0o755)
    (root / "home").mkdir()
    server = CourierServer(root)
    server.start()
    return server


# --- fixtures -----------------------------------------------------------------------


@pytest.fixture(scope="session")
def courier() -> Iterator[CourierServer]:
    """One Courier listener for the session (per xdist worker); imapd runs per connection."""
    root = Path(tempfile.mkdtemp(prefix="followup-courier-"))
    server = start_courier(root)
    try:
        yield server
    finally:
        server.stop()
        if os.environ.get("KEEP_COURIER"):
            print(f"Courier files kept in {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def courier_user(courier: CourierServer, request: pytest.FixtureRequest) -> Iterator[CourierUser]:
    """A fresh Courier user (empty INBOX, INBOX.Sent, INBOX.Drafts, INBOX.Trash) for one test."""
    courier.start()
    user = courier.add_user()
    try:
        yield user
    finally:
        user.close()
        rep = getattr(request.node, "rep_call", None)
        if rep is not None and rep.failed:
            print(courier.log_tail())


# --- the conformance suite's environment --------------------------------------------


@dataclass
class CourierEnv(ImapEnv):
    """tests/test_mailbox_conformance.py's ``MailboxEnv`` over a fresh Courier user.

    The agent's mailbox gets no folder settings: it must find INBOX.Sent and
    INBOX.Drafts by their well-known names.
    """

    user: CourierUser  # type: ignore[assignment]  # the same methods as DovecotUser's

    _FOLDERS: ClassVar[dict[str, str]] = {"inbox": "INBOX", "sent": "INBOX.Sent", "drafts": "INBOX.Drafts"}

    def _uid_of(self, folder: str, message_id: str) -> int:
        """As on Dovecot, then leave the folder: Courier has no UNSELECT to do it later."""
        c = self.user.admin
        c.select_folder(folder, readonly=True)
        found = c.search(["HEADER", "Message-ID", message_id])
        self.user._leave(c)
        if not found:
            raise AssertionError(f"no message {message_id} in {folder}")
        return int(found[0])


@contextlib.contextmanager
def courier_mailbox_env(request: pytest.FixtureRequest) -> Iterator[CourierEnv]:
    """A conformance environment: a fresh user on the session's Courier."""
    server: CourierServer = request.getfixturevalue("courier")
    server.start()
    user = server.add_user()
    try:
        yield CourierEnv(user, user.mailbox())
    finally:
        user.close()
