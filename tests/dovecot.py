"""A real Dovecot for the IMAP tests: a pytest plugin (``pytest_plugins = ["tests.dovecot"]``).

Why a real server and not a mock: the IMAP backend's hard parts (CONDSTORE,
QRESYNC ``VANISHED``, UIDPLUS ``APPENDUID``, SPECIAL-USE, TLS verification,
EXAMINE never touching flags) are only proven against a server that really
implements them. Dovecot is what Debian ships (``dovecot-imapd``).

One Dovecot per pytest session (per xdist worker: each worker has its own
session and its own temporary folder and ports). Each test gets a fresh user
(:func:`dovecot_user`), so tests never see each other's mail; a user's mail
store is created on first login.

Started as root (the usual case in CI containers), Dovecot's login processes
refuse to run as root and the mail must belong to a non-root uid, so the
config names ``dovenull``/``dovecot`` and the mail store is owned by
``dovecot``; the temporary folder is opened up (0755) so the auth process can
read the passwd-file. Started as a normal user, everything runs as that user.

A missing ``dovecot`` binary FAILS the tests (with the install command):
skipping would let a CI box without Dovecot report green.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import datetime as dt
import ipaddress
import itertools
import os
import pwd
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import pytest
from imapclient import IMAPClient

DOVECOT = "/usr/sbin/dovecot"
HOST = "127.0.0.1"
PASSWORD = "s3cret-Pa55word!"  # the test users' password (also used by secret-leak tests)

USER_POOL = 3000  # users written at start (see DovecotServer.add_user)

_user_counter = itertools.count(1)


# --- certificates -------------------------------------------------------------------


def _make_ca(common_name: str) -> tuple[Any, Any]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True, content_commitment=False, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=True,
                crl_sign=True, encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return key, cert


def make_certificates(folder: Path) -> dict[str, Path]:
    """A test CA, a server cert for 127.0.0.1/localhost signed by it, and an unrelated CA."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    ca_key, ca_cert = _make_ca("followup-agent test CA")
    _wrong_key, wrong_cert = _make_ca("some other CA")
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address(HOST))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    paths = {
        "ca": folder / "ca.pem",
        "wrong_ca": folder / "wrong-ca.pem",
        "cert": folder / "server.pem",
        "key": folder / "server.key",
    }
    paths["ca"].write_bytes(ca_cert.public_bytes(pem))
    paths["wrong_ca"].write_bytes(wrong_cert.public_bytes(pem))
    paths["cert"].write_bytes(cert.public_bytes(pem))
    paths["key"].write_bytes(
        key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    paths["key"].chmod(0o600)
    return paths


# --- the server ---------------------------------------------------------------------


def make_self_signed_certificate(folder: Path) -> dict[str, Path]:
    """A self-signed server certificate for 127.0.0.1/localhost, as Proton Mail Bridge makes one.

    No CA issued it: the certificate is its own trust anchor, so ``imap.ca_file``
    points at the certificate itself (``"ca"`` here is the same file as ``"cert"``).
    It is marked CA:TRUE like the Bridge's; ``"wrong_ca"`` is an unrelated CA.
    """
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    _wrong_key, wrong_cert = _make_ca("some other CA")
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, HOST)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName(
            [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address(HOST))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    paths = {"cert": folder / "self-signed.pem", "key": folder / "self-signed.key",
             "wrong_ca": folder / "wrong-ca.pem"}
    paths["cert"].write_bytes(cert.public_bytes(pem))
    paths["wrong_ca"].write_bytes(wrong_cert.public_bytes(pem))
    paths["key"].write_bytes(
        key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    paths["key"].chmod(0o600)
    return {**paths, "ca": paths["cert"]}


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


#: the usual namespace: "/" separator, folders marked with SPECIAL-USE
NAMESPACE_SPECIAL_USE = """\
namespace inbox {
  inbox = yes
  separator = /
  mailbox Sent {
    special_use = \\Sent
    auto = subscribe
  }
  mailbox Drafts {
    special_use = \\Drafts
    auto = subscribe
  }
  mailbox Trash {
    special_use = \\Trash
    auto = subscribe
  }
}
"""

#: a server that marks nothing: plain well-known names, no SPECIAL-USE attributes (what a
#: minimal server offers; with the SPECIAL-USE capability hidden Dovecot would still mark them)
NAMESPACE_PLAIN = """\
namespace inbox {
  inbox = yes
  separator = /
  mailbox Sent {
    auto = subscribe
  }
  mailbox Drafts {
    auto = subscribe
  }
}
"""

#: the least an IMAP server can offer after login (RFC 3501 and LITERAL+): no UIDPLUS,
#: CONDSTORE, QRESYNC, ENABLE, UNSELECT, MOVE, IDLE, NAMESPACE, SPECIAL-USE, XLIST
MINIMAL_CAPABILITIES = ("IMAP4rev1", "LITERAL+", "AUTH=PLAIN")

#: Courier's layout: personal prefix "INBOX.", separator ".", no SPECIAL-USE on any folder,
#: German names (non-ASCII: modified UTF-7 on the wire)
NAMESPACE_COURIER_LIKE = """\
namespace inbox {
  inbox = yes
  prefix = INBOX.
  separator = .
  mailbox "Gesendete Objekte" {
    auto = subscribe
  }
  mailbox Entwürfe {
    auto = subscribe
  }
  mailbox Papierkorb {
    auto = subscribe
  }
}
"""

CONFIG = """\
# generated by tests/dovecot.py for one test session
base_dir = {root}/run
state_dir = {root}/state
instance_name = followup-test-{tag}
log_path = {root}/dovecot.log
info_log_path = {root}/dovecot.log
protocols = imap
listen = {host}
shutdown_clients = yes
default_login_user = {login_user}
default_internal_user = {internal_user}
{mail_owner}
first_valid_uid = 1
first_valid_gid = 1
mail_location = maildir:~/Maildir
mail_privileged_group =
disable_plaintext_auth = no
auth_verbose = yes
auth_mechanisms = plain login
ssl = yes
ssl_cert = <{cert}
ssl_key = <{key}
ssl_dh = <{dh}
ssl_min_protocol = TLSv1.2
mail_max_userip_connections = 200
# CONDSTORE, QRESYNC, UIDPLUS, SPECIAL-USE and IDLE are built into Dovecot 2.3's
# imap (no plugin needed); test_imap_backend checks that they are advertised
{capability}

passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
{oauth2_passdb}
userdb {{
  driver = static
  args = {userdb_ids} home={root}/home/%u
}}

{namespace}
service imap-login {{
  inet_listener imap {{
    address = {host}
    port = {port}
  }}
  inet_listener imaps {{
    address = {host}
    port = {tls_port}
    ssl = yes
  }}
}}
service imap {{
  process_limit = 256
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
}}
"""


@dataclass
class DovecotServer:
    """A running Dovecot with a plain and an implicit-TLS listener on loopback."""

    root: Path
    config: Path
    port: int
    tls_port: int
    ca_file: Path
    wrong_ca_file: Path
    log_path: Path
    host: str = HOST
    process: subprocess.Popen[bytes] | None = None
    _uid: int | None = None
    _gid: int | None = None
    users: list[str] = field(default_factory=list)
    _pool: list[str] = field(default_factory=list)

    # lifecycle --------------------------------------------------------------------

    def start(self, timeout: float = 15.0) -> None:
        if self.process is not None and self.process.poll() is None:
            return
        def spawn() -> subprocess.Popen[bytes]:
            return subprocess.Popen(
                [DOVECOT, "-F", "-c", str(self.config)],
                stdout=subprocess.DEVNULL,
                stderr=open(self.root / "dovecot.stderr", "ab"),
                start_new_session=True,
                preexec_fn=_die_with_parent,
            )

        # PR_SET_PDEATHSIG fires when the *thread* that forked exits: a restart from a
        # short-lived thread (tests/tcp_proxy.py's fault actions) would have Dovecot killed
        # as soon as that thread ends. Such starts fork from one long-lived thread instead.
        if threading.current_thread() is threading.main_thread():
            self.process = spawn()
        else:
            self.process = _spawner().submit(spawn).result()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"Dovecot exited with {self.process.returncode}.\n{self.log_tail()}")
            if all(_accepts(self.host, p) for p in (self.port, self.tls_port)):
                return
            time.sleep(0.05)
        raise RuntimeError(f"Dovecot did not listen within {timeout} s.\n{self.log_tail()}")

    def stop(self) -> None:
        proc, self.process = self.process, None
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)
        # the master's children may linger for a moment on the listeners
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and _accepts(self.host, self.port):
            time.sleep(0.05)

    def restart(self) -> None:
        self.stop()
        self.start()

    def doveadm(self, *args: str) -> str:
        """Run ``doveadm`` against this server's config; its output (fails loudly)."""
        out = subprocess.run(["doveadm", "-c", str(self.config), *args], capture_output=True, text=True,
                             check=False)
        if out.returncode:
            raise RuntimeError(f"doveadm {' '.join(args)} failed ({out.returncode}): {out.stderr.strip()}")
        return out.stdout

    def log_tail(self, lines: int = 30) -> str:
        out = []
        for p in (self.log_path, self.root / "dovecot.stderr"):
            if p.exists():
                text = p.read_text(errors="replace").splitlines()[-lines:]
                out.append(f"--- {p} ---\n" + "\n".join(text))
        return "\n".join(out)

    # users ------------------------------------------------------------------------

    def add_user(self, name: str | None = None, password: str = PASSWORD) -> DovecotUser:
        """A fresh user with an empty mail store (created on first login).

        Dovecot re-reads a passwd-file at most once a second, so a user
        appended now may be "unknown" for up to a second. The file is
        therefore written at start with a pool of users that are handed out
        here; only a custom name or password (or an exhausted pool) appends
        and waits for the re-read.
        """
        if name is None and password == PASSWORD and self._pool:
            name = self._pool.pop(0)
        else:
            name = name or f"user{os.getpid()}x{next(_user_counter)}"
            with open(self.root / "passwd", "a", encoding="utf-8") as f:
                f.write(f"{name}:{{PLAIN}}{password}::::::\n")
            time.sleep(1.1)
        self.users.append(name)
        return DovecotUser(self, name, password)

    def write_user_pool(self, size: int = USER_POOL) -> None:
        names = [f"pool{i}" for i in range(1, size + 1)]
        with open(self.root / "passwd", "w", encoding="utf-8") as f:
            f.writelines(f"{n}:{{PLAIN}}{PASSWORD}::::::\n" for n in names)
        self._pool = names


_SPAWNER: list[concurrent.futures.ThreadPoolExecutor] = []


def _spawner() -> concurrent.futures.ThreadPoolExecutor:
    """One worker thread that lives as long as the process (see DovecotServer.start)."""
    if not _SPAWNER:
        _SPAWNER.append(concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="dovecot-spawner"))
    return _SPAWNER[0]


def _die_with_parent() -> None:
    """In the child before exec: SIGTERM Dovecot if pytest dies (a killed run leaks nothing)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except Exception:
        pass


def _accepts(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


@dataclass
class DovecotUser:
    """One user on the test Dovecot, with an admin connection for setting the scene."""

    server: DovecotServer
    username: str
    password: str
    _admin: IMAPClient | None = None

    def connect(self) -> IMAPClient:
        """A new logged-in plain connection (the tests' own, not the agent's)."""
        c = IMAPClient(self.server.host, self.server.port, ssl=False, timeout=10)
        c.login(self.username, self.password)
        if c.has_capability("ENABLE"):
            c.enable("CONDSTORE")  # so EXAMINE reports HIGHESTMODSEQ for snapshots
        return c

    @property
    def admin(self) -> IMAPClient:
        """A lazily opened connection the test uses to deliver mail and inspect the store."""
        if self._admin is not None:
            try:
                self._admin.noop()
            except Exception:
                self._admin = None
        if self._admin is None:
            self._admin = self.connect()
        return self._admin

    def close(self) -> None:
        if self._admin is not None:
            with contextlib.suppress(Exception):
                self._admin.logout()
            self._admin = None

    def deliver(
        self,
        folder: str,
        data: bytes,
        flags: tuple[bytes | str, ...] = (),
        when: dt.datetime | None = None,
    ) -> int:
        """APPEND ``data`` to ``folder`` and return its UID (UIDPLUS ``APPENDUID``)."""
        if b"\r\n" not in data:
            data = data.replace(b"\n", b"\r\n")
        resp = self.admin.append(folder, data, flags=flags, msg_time=when)
        text = resp.decode() if isinstance(resp, bytes) else str(resp)
        # "[APPENDUID <uidvalidity> <uid>] Append completed."
        return int(text.split("APPENDUID", 1)[1].split("]", 1)[0].split()[1])

    def folders(self) -> list[str]:
        return [name for _flags, _sep, name in self.admin.list_folders()]

    def uids(self, folder: str) -> list[int]:
        self.admin.select_folder(folder, readonly=True)
        return sorted(self.admin.search("ALL"))

    def expunge(self, folder: str, uids: list[int]) -> None:
        """Remove messages the way a mail client does: flag \\Deleted, then UID EXPUNGE."""
        c = self.admin
        c.select_folder(folder)
        c.add_flags(uids, [b"\\Deleted"], silent=True)
        if c.has_capability("UIDPLUS"):
            c.uid_expunge(uids)
        else:
            c.expunge()  # what a mail client of a server without UIDPLUS does
        _unselect(c)

    def set_flags(self, folder: str, uids: list[int], flags: list[bytes]) -> None:
        c = self.admin
        c.select_folder(folder)
        c.add_flags(uids, flags, silent=True)
        _unselect(c)

    def recreate(self, folder: str, special_use: str | None = None) -> None:
        """Delete and create ``folder`` again: a new UIDVALIDITY, the old messages gone."""
        c = self.admin
        with contextlib.suppress(Exception):
            _unselect(c)
        c.delete_folder(folder)
        if special_use:
            # CREATE-SPECIAL-USE (RFC 6154): keep the role on the new folder
            c._imap._simple_command("CREATE", c._normalise_folder(folder), f"(USE ({special_use}))")
        else:
            c.create_folder(folder)

    def rebuild(self, folder: str, special_use: str | None = None) -> None:
        """The same messages (bytes, flags, dates) in ``folder`` under a new UIDVALIDITY.

        What a server migration or a restored backup does: every UID the agent
        knew is meaningless. The messages come back in reverse order, so an old
        UID, if it exists again, names another message. INBOX cannot be
        deleted: it is emptied and given a new UIDVALIDITY with ``doveadm
        mailbox update``; any other folder is deleted and created again
        (:meth:`recreate`).
        """
        c = self.admin
        c.select_folder(folder, readonly=True)
        uids = sorted(c.search("ALL"))
        items = c.fetch(uids, ["BODY.PEEK[]", "FLAGS", "INTERNALDATE"]) if uids else {}
        _unselect(c)
        saved = [
            (items[u][b"BODY[]"], tuple(f for f in items[u][b"FLAGS"] if f != b"\\Recent"),
             items[u][b"INTERNALDATE"])
            for u in reversed(uids)
        ]
        if folder.upper() == "INBOX":
            old = self.uidvalidity(folder)
            if uids:
                self.expunge(folder, uids)
            self.server.doveadm("mailbox", "update", "-u", self.username, "--uid-validity",
                                str(max(old + 1, int(time.time()))), folder)
        else:
            self.recreate(folder, special_use)
        for data, flags, when in saved:
            self.admin.append(folder, data, flags=flags, msg_time=when)

    def uidvalidity(self, folder: str) -> int:
        return int(self.admin.folder_status(folder, [b"UIDVALIDITY"])[b"UIDVALIDITY"])

    def snapshot(self) -> dict[str, Any]:
        """Every folder's UIDVALIDITY, HIGHESTMODSEQ and every message's flags.

        Taken with EXAMINE and FETCH FLAGS (neither changes anything), so two
        snapshots around an operation show whether it wrote anything at all:
        a flag change (even one the test did not think of) bumps
        HIGHESTMODSEQ. ``\\Recent`` is per-session and left out.
        """
        c = self.admin
        out: dict[str, Any] = {}
        for name in sorted(self.folders()):
            info = c.select_folder(name, readonly=True)
            uids = sorted(c.search("ALL"))
            flags: dict[int, tuple[bytes, ...]] = {}
            for i in range(0, len(uids), 1000):
                for uid, item in c.fetch(uids[i : i + 1000], ["FLAGS"]).items():
                    flags[uid] = tuple(sorted(f for f in item[b"FLAGS"] if f != b"\\Recent"))
            out[name] = {
                "uidvalidity": info.get(b"UIDVALIDITY"),
                "highestmodseq": info.get(b"HIGHESTMODSEQ"),
                "uidnext": info.get(b"UIDNEXT"),
                "flags": flags,
            }
        _unselect(c)
        return out

    def imap_config(self, **overrides: Any) -> Any:
        """An :class:`~agent.config.ImapConfig` for the plain listener (loopback: allowed)."""
        from agent.config import ImapConfig

        values: dict[str, Any] = {
            "host": self.server.host,
            "port": self.server.port,
            "security": "none",
            "username": self.username,
            "timeout": 10.0,
        }
        values.update(overrides)
        return ImapConfig(**values)

    def mailbox(self, password: str | None = None, **overrides: Any) -> Any:
        """An :class:`~agent.backends.imap.ImapMailbox` for this user, no real sleeps."""
        from agent.backends.imap import ImapMailbox

        secret = self.password if password is None else password
        return ImapMailbox(
            self.imap_config(**overrides), lambda: secret, sleep=lambda _s: None
        )


def _unselect(c: IMAPClient) -> None:
    """Leave the selected folder as a mail client would: UNSELECT where offered, else EXAMINE
    INBOX and CLOSE it (CLOSE expunges nothing in a folder opened read-only)."""
    if c.has_capability("UNSELECT"):
        c.unselect_folder()
        return
    c.select_folder("INBOX", readonly=True)
    c.close_folder()


def _mail_owner() -> tuple[str, str, str, int | None, int | None]:
    """(login user, internal user, mail_uid/gid lines, uid, gid) for the current euid."""
    if os.geteuid() == 0:
        mail = pwd.getpwnam("dovecot")
        return (
            "dovenull",
            "dovecot",
            f"mail_uid = {mail.pw_uid}\nmail_gid = {mail.pw_gid}",
            mail.pw_uid,
            mail.pw_gid,
        )
    me = pwd.getpwuid(os.geteuid()).pw_name
    return me, me, "", None, None


#: a second passdb that checks XOAUTH2/OAUTHBEARER bearer tokens against a local introspection
#: endpoint (tests/oauth_server.py); after passwd-file, which fails them and lets this one try
OAUTH2_PASSDB = """\
passdb {{
  driver = oauth2
  args = {conf}
}}
"""
OAUTH2_CONF = """\
introspection_mode = post
introspection_url = {url}
username_attribute = username
active_attribute = active
active_value = true
"""


def _oauth2(root: Path, introspection_url: str | None) -> str:
    """The passdb block for :data:`OAUTH2_PASSDB` ("" without an introspection URL)."""
    if introspection_url is None:
        return ""
    conf = root / "dovecot-oauth2.conf.ext"
    conf.write_text(OAUTH2_CONF.format(url=introspection_url))
    conf.chmod(0o644)
    return OAUTH2_PASSDB.format(conf=conf)


def start_dovecot(root: Path, namespace: str = NAMESPACE_SPECIAL_USE,
                  capabilities: Sequence[str] | None = None,
                  oauth2_introspection_url: str | None = None, *, self_signed: bool = False) -> DovecotServer:
    """Write a config under ``root`` and start Dovecot; fail clearly when it is missing.

    ``capabilities`` replaces what Dovecot advertises after login
    (``imap_capability``): the server then really does not offer the others,
    so the client's fallbacks are tested against a server's word, not the
    client pretending (``ImapMailbox(ignore_capabilities=...)``).
    With ``oauth2_introspection_url`` it also accepts XOAUTH2/OAUTHBEARER logins
    whose bearer token that endpoint calls active for the user.
    """
    if not Path(DOVECOT).exists():
        pytest.fail(
            f"{DOVECOT} not found: the IMAP tests need a real Dovecot. Install it with "
            "`apt-get install -y dovecot-imapd` (.ci/run does this), then run the tests again.",
            pytrace=False,
        )
    root.chmod(0o755)  # mkdtemp makes 0700; Dovecot's auth process must read the passwd-file
    for sub in ("run", "state", "home"):
        (root / sub).mkdir()
    certs = make_self_signed_certificate(root) if self_signed else make_certificates(root)
    (root / "passwd").write_text("")
    (root / "passwd").chmod(0o644)  # the auth process runs as an unprivileged user
    login_user, internal_user, mail_owner, uid, gid = _mail_owner()
    if uid is not None and gid is not None:
        os.chown(root / "home", uid, gid)
    dh = Path("/usr/share/dovecot/dh.pem")
    last_error: Exception | None = None
    for attempt in range(3):  # a free port can be taken between probing and binding
        port, tls_port = _free_port(), _free_port()
        text = CONFIG.format(
            root=root,
            tag=f"{os.getpid()}-{attempt}",
            host=HOST,
            port=port,
            tls_port=tls_port,
            login_user=login_user,
            internal_user=internal_user,
            mail_owner=mail_owner,
            namespace=namespace,
            capability=f"imap_capability = {' '.join(capabilities)}" if capabilities else "",
            oauth2_passdb=_oauth2(root, oauth2_introspection_url),
            userdb_ids=f"uid={uid} gid={gid}" if uid is not None else "",
            cert=certs["cert"],
            key=certs["key"],
            dh=dh if dh.exists() else certs["key"],
        )
        if oauth2_introspection_url is not None:
            text = text.replace("auth_mechanisms = plain login\n", "auth_mechanisms = plain login xoauth2 oauthbearer\n")
        if not dh.exists():
            text = text.replace(f"ssl_dh = <{certs['key']}\n", "")
        config = root / "dovecot.conf"
        config.write_text(text)
        server = DovecotServer(
            root=root,
            config=config,
            port=port,
            tls_port=tls_port,
            ca_file=certs["ca"],
            wrong_ca_file=certs["wrong_ca"],
            log_path=root / "dovecot.log",
            _uid=uid,
            _gid=gid,
        )
        server.write_user_pool()
        try:
            server.start()
            return server
        except RuntimeError as err:
            last_error = err
            server.stop()
    pytest.fail(f"Dovecot did not start: {last_error}", pytrace=False)


def dovecot_version() -> str:
    out = subprocess.run([DOVECOT, "--version"], capture_output=True, text=True, check=False)
    return out.stdout.strip()


# --- fixtures -----------------------------------------------------------------------


@pytest.fixture(scope="session")
def dovecot() -> Iterator[DovecotServer]:
    """One Dovecot for the session (per xdist worker)."""
    root = Path(tempfile.mkdtemp(prefix="followup-dovecot-"))
    server = start_dovecot(root)
    try:
        yield server
    finally:
        server.stop()
        if os.environ.get("KEEP_DOVECOT"):
            print(f"Dovecot files kept in {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def dovecot_courier_like() -> Iterator[DovecotServer]:
    """A second Dovecot laid out like Courier: "INBOX." namespace, "." separator, no SPECIAL-USE.

    Started only by the tests that ask for it (one more Dovecot costs about a second).
    """
    root = Path(tempfile.mkdtemp(prefix="followup-dovecot-courier-like-"))
    server = start_dovecot(root, NAMESPACE_COURIER_LIKE)
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def dovecot_minimal() -> Iterator[DovecotServer]:
    """A Dovecot that offers only :data:`MINIMAL_CAPABILITIES` and marks no folder.

    The conformance suite runs whole on it (``imap-minimal``): every fallback
    at once, against a server that really does not advertise the extensions.
    """
    root = Path(tempfile.mkdtemp(prefix="followup-dovecot-minimal-"))
    server = start_dovecot(root, NAMESPACE_PLAIN, MINIMAL_CAPABILITIES)
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def dovecot_self_signed() -> Iterator[DovecotServer]:
    """A Dovecot whose certificate is self-signed (no CA), as Proton Mail Bridge's is."""
    root = Path(tempfile.mkdtemp(prefix="followup-dovecot-self-signed-"))
    server = start_dovecot(root, NAMESPACE_PLAIN, self_signed=True)
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def dovecot_without(dovecot: DovecotServer) -> Iterator[Callable[[str], DovecotServer]]:
    """``dovecot_without("UIDPLUS")``: a Dovecot advertising all its capabilities but those named
    (space-separated), each started once per session on first use.

    The full list is read from the session's ordinary Dovecot, so the servers
    differ from it only in what is left out.
    """
    user = dovecot.add_user()
    full = [_text_cap(c) for c in user.connect().capabilities()]
    user.close()
    servers: dict[frozenset[str], DovecotServer] = {}
    roots: list[Path] = []

    def start(drop: str) -> DovecotServer:
        gone = frozenset(drop.upper().split())
        if gone not in servers:
            root = Path(tempfile.mkdtemp(prefix="followup-dovecot-without-"))
            roots.append(root)
            servers[gone] = start_dovecot(root, capabilities=[c for c in full if c.upper() not in gone])
        return servers[gone]

    try:
        yield start
    finally:
        for server in servers.values():
            server.stop()
        for root in roots:
            shutil.rmtree(root, ignore_errors=True)


def _text_cap(cap: Any) -> str:
    return cap.decode() if isinstance(cap, bytes) else str(cap)


@pytest.fixture
def dovecot_user(dovecot: DovecotServer, request: pytest.FixtureRequest) -> Iterator[DovecotUser]:
    """A fresh user (empty INBOX, Sent, Drafts, Trash) for one test.

    When the test fails, the tail of Dovecot's log is attached to the report.
    """
    dovecot.start()  # a test that stopped the server must not break the next one
    user = dovecot.add_user()
    try:
        yield user
    finally:
        user.close()
        rep = getattr(request.node, "rep_call", None)
        if rep is not None and rep.failed:
            print(dovecot.log_tail())


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    rep = yield
    if rep.when == "call":
        item.rep_call = rep  # type: ignore[attr-defined]
    return rep


def tls_context(ca_file: Path) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(ca_file))


# --- the conformance suite's environment --------------------------------------------


@dataclass
class ImapEnv:
    """tests/test_mailbox_conformance.py's ``MailboxEnv`` over a fresh Dovecot user.

    ``deliver`` APPENDs like an MDA or another client would; the user's own
    deletions and draft edits go through the admin connection the way a mail
    client does them (an edit is APPEND new + expunge old: IMAP has no
    in-place edit).
    """

    user: DovecotUser
    mailbox: Any

    _FOLDERS: ClassVar[dict[str, str]] = {"inbox": "INBOX", "sent": "Sent", "drafts": "Drafts"}

    def deliver(self, folder_role: str, data: bytes) -> None:
        self.user.deliver(self._FOLDERS[folder_role], data)

    def _uid_of(self, folder: str, message_id: str) -> int:
        c = self.user.admin
        c.select_folder(folder, readonly=True)
        found = c.search(["HEADER", "Message-ID", message_id])
        if not found:
            raise AssertionError(f"no message {message_id} in {folder}")
        return int(found[0])

    def user_delete(self, folder_role: str, message_id: str) -> None:
        folder = self._FOLDERS[folder_role]
        self.user.expunge(folder, [self._uid_of(folder, message_id)])

    def _draft_uid(self, draft_id: str) -> int:
        role, uidvalidity, uid = draft_id.split("/")
        assert role == "drafts" and int(uidvalidity) == self.user.uidvalidity(self._FOLDERS["drafts"]), draft_id
        return int(uid)

    def user_edit_draft(self, draft_id: str, new_bytes: bytes) -> None:
        uid = self._draft_uid(draft_id)
        self.user.deliver(self._FOLDERS["drafts"], new_bytes, flags=(b"\\Draft", b"\\Seen"))
        self.user.expunge(self._FOLDERS["drafts"], [uid])

    def user_delete_draft(self, draft_id: str) -> None:
        self.user.expunge(self._FOLDERS["drafts"], [self._draft_uid(draft_id)])

    def snapshot(self) -> Any:
        return self.user.snapshot()


def imap_mailbox_env(request: pytest.FixtureRequest) -> contextlib.AbstractContextManager[ImapEnv]:
    """A conformance environment: a fresh user on the session's Dovecot."""
    return _fresh_user_env(request, "dovecot", ImapEnv)


@dataclass
class CourierLikeImapEnv(ImapEnv):
    """:class:`ImapEnv` on :func:`dovecot_courier_like`, whose folders only their names identify."""

    _FOLDERS: ClassVar[dict[str, str]] = {
        "inbox": "INBOX",
        "sent": "INBOX.Gesendete Objekte",
        "drafts": "INBOX.Entwürfe",
    }


def minimal_mailbox_env(request: pytest.FixtureRequest) -> contextlib.AbstractContextManager[ImapEnv]:
    """A conformance environment: a fresh user on :func:`dovecot_minimal`."""
    return _fresh_user_env(request, "dovecot_minimal", ImapEnv)


def courier_like_mailbox_env(request: pytest.FixtureRequest) -> contextlib.AbstractContextManager[ImapEnv]:
    """A conformance environment: a fresh user on the Courier-like Dovecot."""
    return _fresh_user_env(request, "dovecot_courier_like", CourierLikeImapEnv)


@contextlib.contextmanager
def _fresh_user_env(request: pytest.FixtureRequest, server_fixture: str, env: type[ImapEnv]) -> Iterator[ImapEnv]:
    """A fresh user on the Dovecot of ``server_fixture``, as an ``env`` (closed afterwards)."""
    server: DovecotServer = request.getfixturevalue(server_fixture)
    server.start()
    user = server.add_user()
    try:
        yield env(user, user.mailbox())
    finally:
        user.close()
