"""``followup-agent doctor``: check everything the service needs, and say how to fix what fails.

The checks run in order and later ones are skipped when an earlier one they
depend on failed (no server check without a config, no login without a
secret). Each prints ``ok``, ``warn`` (works, but worth knowing) or ``FAIL``
with the fix. Nothing is written: the state database is opened read-only,
the lock is only tested, and the mailbox is only listed. The exit status is
1 when any check failed, 0 otherwise.
"""

from __future__ import annotations

import json
import os
import socket
import ssl
import stat
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from agent.config import Config, ImapConfig, default_config_path, load_config
from agent.doctor_notify import check_notices
from agent.errors import AgentError
from agent.store import SCHEMA_VERSION, StateHealth, StateLock, Store


@dataclass
class Check:
    name: str
    status: str  # ok | warn | fail | skip
    detail: str
    fix: str = ""


class Report:
    def __init__(self) -> None:
        self.checks: list[Check] = []

    def add(self, name: str, status: str, detail: str, fix: str = "") -> Check:
        check = Check(name, status, detail, fix)
        self.checks.append(check)
        return check

    @property
    def failed(self) -> bool:
        return any(c.status == "fail" for c in self.checks)


def run_doctor(config_path: Path | None, out: TextIO, *, as_json: bool = False,
               env: Mapping[str, str] | None = None, test_notify: bool = False) -> int:
    environ = os.environ if env is None else env
    report = Report()
    diagnose(config_path, report, environ, test_notify=test_notify)
    if as_json:
        out.write(json.dumps([asdict(c) for c in report.checks], indent=2) + "\n")
    else:
        marks = {"ok": "ok  ", "warn": "warn", "fail": "FAIL", "skip": "skip"}
        for c in report.checks:
            out.write(f"[{marks[c.status]}] {c.name}: {c.detail}\n")
            if c.fix:
                out.write(f"       fix: {c.fix}\n")
        bad = sum(c.status == "fail" for c in report.checks)
        out.write("All checks passed.\n" if not bad else f"{bad} check(s) failed.\n")
    return 1 if report.failed else 0


def diagnose(config_path: Path | None, report: Report, env: Mapping[str, str], *,
             test_notify: bool = False) -> None:
    path = config_path or default_config_path(env)
    try:
        config = load_config(config_path, env=env)
    except AgentError as err:
        report.add("config", "fail", str(err),
                   f"Edit {path} (config.example.toml documents every key), or pass --config PATH.")
        return
    report.add("config", "ok", f"{path}: backend {config.backend}, poll every "
               f"{int(config.schedule.poll_interval.total_seconds())} s")
    _check_state(config, report)
    _check_calendar(config, report)
    if config.backend == "imap" and config.imap is not None:
        _check_imap(config.imap, report, env)
    elif config.backend == "maildir" and config.maildir is not None:
        _check_maildir(config, report)
    else:
        _check_generic(config, report)
    for row in check_notices(config.notify, env, send_test=test_notify):  # agent/doctor_notify.py
        report.add(*row)


def _check_calendar(config: Config, report: Report) -> None:
    """``[calendar] ics_path``: the service writes a temporary file beside it and renames it over, so
    the folder must exist (or be creatable) and be writable; checked without writing anything."""
    path = config.calendar.ics_path
    if path is None:
        return
    folder = next((p for p in (path.parent, *path.parent.parents) if p.exists()), path.parent)
    if path.is_dir():
        report.add("calendar", "fail", f"{path} is a folder, not a file.", "Set [calendar] ics_path to a file path.")
    elif not folder.is_dir() or not os.access(folder, os.W_OK | os.X_OK):
        report.add("calendar", "fail", f"{path}: cannot write in {folder}.",
                   f"Make {folder} writable by {_me()}, or point [calendar] ics_path elsewhere.")
    else:
        state = "exists" if path.exists() else "is written after the next poll"
        report.add("calendar", "ok", f"{path} {state}; its folder {folder} is writable")


# --- state -------------------------------------------------------------------------------


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _check_state(config: Config, report: Report) -> None:
    """The state database (mode, owner, schema, integrity), then the lock beside it."""
    db = config.state.path
    if not db.exists():
        _check_no_state_yet(db, report)
        return
    problems = _file_problems(db)
    try:
        health = Store.health(db)
    except AgentError as err:
        report.add("state", "fail", str(err),
                   f"Move {db} away; the next poll rebuilds the state from the mailbox without "
                   "duplicating drafts.")
        return
    problems += _database_problems(db, health)
    if problems:
        report.add("state", "fail", "; ".join(p for p, _ in problems), "; ".join(f for _, f in problems) + ".")
    else:
        report.add("state", "ok", f"{db}: mode {_mode(db):04o}, folder {_mode(db.parent):04o}, "
                   f"schema {health.schema_version}, integrity ok")
    _check_lock(db, report)


def _check_no_state_yet(db: Path, report: Report) -> None:
    """No database yet: fine if the first poll will be able to create it."""
    probe = db.parent
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    if os.access(probe, os.W_OK | os.X_OK):
        report.add("state", "ok", f"{db} does not exist yet; the first poll creates it (mode 0600)")
    else:
        report.add("state", "fail", f"{db} does not exist and {probe} is not writable",
                   f"Create {db.parent} (mode 0700) owned by {_me()}, or set state.path to a writable place.")


def _file_problems(db: Path) -> list[tuple[str, str]]:
    """(problem, fix) for the file and its folder: modes, owner, access."""
    folder = db.parent
    out: list[tuple[str, str]] = []
    if _mode(db) & 0o077:
        out.append((f"{db} has mode {_mode(db):04o} (others can read your mail headers)", f"chmod 600 {db}"))
    if _mode(folder) & 0o077:
        out.append((f"{folder} has mode {_mode(folder):04o}", f"chmod 700 {folder}"))
    if db.stat().st_uid != os.geteuid():
        out.append((f"{db} belongs to uid {db.stat().st_uid}, not to {_me()}", f"chown {_me()} {db}"))
    if not os.access(db, os.R_OK | os.W_OK) or not os.access(folder, os.W_OK | os.X_OK):
        out.append((f"{db} or its folder is not writable by {_me()}", f"make {folder} and {db} writable by {_me()}"))
    return out


def _database_problems(db: Path, health: StateHealth) -> list[tuple[str, str]]:
    """(problem, fix) for what is inside: SQLite's integrity check, a schema from a newer agent."""
    out: list[tuple[str, str]] = []
    if health.integrity != "ok":
        out.append((f"integrity check: {health.integrity}",
                    f"move {db} away (the next poll rebuilds it without duplicating drafts)"))
    if health.too_new:
        out.append((f"schema version {health.schema_version} is newer than this agent's {SCHEMA_VERSION}",
                    "upgrade followup-agent"))
    return out


def _check_lock(db: Path, report: Report) -> None:
    """Who holds the lock, asked without taking it (nothing is created)."""
    lock = StateLock(db, create=False)
    try:
        probe = lock.probe()
    except OSError as err:
        report.add("lock", "fail", f"cannot open {lock.path}: {err.strerror}",
                   f"make {lock.path} readable and writable by {_me()}.")
        return
    if probe.held:
        holder = f"by process {probe.holder}" if probe.holder else "another process"
        report.add("lock", "ok", f"held by a running agent ({holder}): the service is "
                   "probably running; `poll --once` waits for it to stop, `status` works")
    elif probe.mode is not None and probe.mode & 0o077:
        report.add("lock", "warn", f"{lock.path} has mode {probe.mode:04o}", f"chmod 600 {lock.path}")
    else:
        report.add("lock", "ok", "free (no agent is polling right now)")


def _me() -> str:
    try:
        import pwd

        return pwd.getpwuid(os.geteuid()).pw_name
    except (KeyError, ImportError):  # pragma: no cover
        return str(os.geteuid())


# --- IMAP --------------------------------------------------------------------------------


def _check_imap(cfg: ImapConfig, report: Report, env: Mapping[str, str]) -> None:
    from agent.secrets import find_secret, keyring_backend

    secret: str | None = None
    source = ""
    problem: AgentError | None = None
    try:
        secret, source = find_secret(cfg.credential_name, service=cfg.keyring_service,
                                     username=cfg.username, command=cfg.password_command, env=env,
                                     sources=cfg.secret_sources)
    except AgentError as err:
        problem = err
    asked = "keyring" in cfg.secret_sources
    backend, plaintext = keyring_backend() if asked else ("", False)
    if not asked:
        report.add("keyring", "ok", "not asked: imap.secret_sources leaves it out")
    elif plaintext:
        report.add("keyring", "warn", f"{backend} stores secrets unencrypted on disk",
                   "Prefer a Secret Service keyring (GNOME Keyring, KWallet) or, for a system service, "
                   "LoadCredentialEncrypted= (README: Secrets).")
    elif plaintext is None and secret is None:
        report.add("keyring", "warn", backend,
                   "On a desktop, log in to a session running GNOME Keyring or KWallet; on a server use "
                   "a systemd credential or imap.password_command (README: Secrets).")
    elif plaintext is None:
        report.add("keyring", "ok", f"{backend}; not needed, the secret comes from {source}")
    else:
        report.add("keyring", "ok", backend)
    if problem is None:
        report.add("secret", "ok", f"found in {source}")
    else:
        report.add("secret", "fail", str(problem),
                   "Run `followup-agent auth imap` (keyring), set imap.password_command, or give the "
                   f"system unit LoadCredentialEncrypted={cfg.credential_name}:... (README: Secrets).")
    reachable = _check_server(cfg, report)
    if not reachable or secret is None:
        report.add("login", "skip", "skipped (" + ("server unreachable" if not reachable else "no secret") + ")")
        report.add("folders", "skip", "skipped")
        return
    from agent.backends.imap import ImapMailbox

    found = secret
    mailbox = ImapMailbox(cfg, lambda: found, attempts=1)
    try:
        try:
            caps = mailbox.capabilities
        except AgentError as err:
            report.add("login", "fail", str(err), _login_fix(cfg))
            report.add("folders", "skip", "skipped (no login)")
            return
        idle = "IDLE" if b"IDLE" in caps else "no IDLE (new mail is noticed at the next poll)"
        report.add("login", "ok", f"logged in as {cfg.username}; server offers {idle}")
        _check_imap_folders(mailbox, cfg, report)
        _check_imap_quirks(mailbox, caps, report)
    finally:
        mailbox.close()


#: hosts whose provider accepts only OAuth2 for IMAP (Microsoft switched password logins off)
_OAUTH_ONLY_HOSTS = ("outlook.office365.com", "outlook.office.com", "imap-mail.outlook.com")


def _login_fix(cfg: ImapConfig) -> str:
    """What to do about a refused login; for Microsoft, password logins no longer exist at all."""
    if cfg.auth == "password" and cfg.host.lower().rstrip(".") in _OAUTH_ONLY_HOSTS:
        return ("Microsoft has switched off password logins for IMAP: no password will work. Run "
                "`followup-agent auth microsoft` and set imap.auth = \"xoauth2\" (README: Provider guide).")
    return ("Store the right password with `followup-agent auth imap` (an app password for "
            "Gmail and other providers with 2-step verification).")


def _imap_quirks(caps: frozenset[bytes], is_gmail: bool) -> list[tuple[str, str]]:
    """(status, sentence) for each server trait that changes what the agent can do.

    Read from the server's CAPABILITY (never its name), so the words match what
    the backend will really do (agent/backends/imap.py's fallbacks).
    """
    out: list[tuple[str, str]] = []
    if b"UIDPLUS" not in caps:
        out.append(("ok", "no UIDPLUS: a saved draft is found again by its Message-ID (fine)"))
    if b"CONDSTORE" not in caps and b"QRESYNC" not in caps:
        out.append(("warn", "no CONDSTORE: a flag or keyword changed in another mail client (a label "
                            "such as Follow-up/Pause) is not noticed by the next polls; new and removed "
                            "mail still are"))
    if b"IDLE" not in caps:
        out.append(("ok", "no IDLE: `watch` notices new mail by polling STATUS every 5 s"))
    if is_gmail:
        out.append(("warn", "Gmail over IMAP: send-as aliases cannot be read, so mail you send from "
                            "an alias may not count as yours; set mailbox.backend = \"gmail\" "
                            "(the Gmail API) to read them"))
    return out


def _check_imap_quirks(mailbox: Any, caps: frozenset[bytes], report: Report) -> None:
    quirks = _imap_quirks(caps, mailbox.is_gmail)
    if not quirks:
        report.add("server quirks", "ok", "none: the server offers every extension the agent uses")
        return
    status = "warn" if any(s == "warn" for s, _ in quirks) else "ok"
    fix = "Consider the Gmail API backend (README: Provider guide)." if mailbox.is_gmail else ""
    report.add("server quirks", status, "; ".join(text for _s, text in quirks), fix)


def _check_imap_folders(mailbox: Any, cfg: ImapConfig, report: Report) -> None:
    from agent.existing_drafts import describe_draft
    from agent.model import ALL, DRAFTS, SENT

    roles = [ALL, DRAFTS] if mailbox.is_gmail else [SENT, DRAFTS]
    names: dict[str, str] = {}
    try:
        # the backend's folder discovery (overrides, SPECIAL-USE, XLIST, names), read-only
        names = mailbox._run("finding folders", lambda c, _a: {r: mailbox._folder(c, r) for r in roles})
        drafts = mailbox.drafts()
    except AgentError as err:
        report.add("folders", "fail", str(err),
                   "Set imap.sent_folder / imap.drafts_folder to the folder names your server uses.")
        return
    ours = sum(1 for d in drafts if describe_draft(d).marker)  # our X-Followup-Agent marker
    how = mailbox.folder_sources  # special-use, xlist, well-known name, configured
    listed = ", ".join(f"{role} = {name!r} ({how.get(role, 'found')})" for role, name in names.items())
    report.add("folders", "ok", f"{listed}; {len(drafts)} draft(s), {ours} of them ours")


def _tls_context(cfg: ImapConfig) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=str(cfg.ca_file) if cfg.ca_file else None)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    return ctx


def _check_server(cfg: ImapConfig, report: Report) -> bool:
    where = f"{cfg.host}:{cfg.port}"
    timeout = min(cfg.timeout, 15.0)
    try:
        sock = socket.create_connection((cfg.host, cfg.port), timeout=timeout)
    except OSError as err:
        report.add("server", "fail", f"cannot reach {where}: {err.strerror or err}",
                   "Check imap.host and imap.port (993 for TLS, 143 for STARTTLS), the network, "
                   "and any firewall or proxy.")
        return False
    with sock:
        if cfg.security == "none":
            report.add("server", "ok", f"{where} reachable (plaintext: allowed to loopback only)")
            return True
        try:
            if cfg.security == "starttls":
                _starttls_prelude(sock)
            with _tls_context(cfg).wrap_socket(sock, server_hostname=cfg.host) as tls:
                version = tls.version()
                cert = tls.getpeercert() or {}
        except ssl.SSLCertVerificationError as err:
            report.add("server", "fail",
                       f"{where}: the certificate could not be verified ({err.verify_message or err.reason})",
                       "If the server uses a private CA, set imap.ca_file to its certificate; otherwise "
                       "check imap.host is the name on the certificate.")
            return False
        except (ssl.SSLError, OSError, _NoStartTLS) as err:
            report.add("server", "fail", f"{where}: TLS failed ({err})",
                       "Port 993 speaks TLS from the start (imap.security = \"tls\"); port 143 needs "
                       "imap.security = \"starttls\".")
            return False
    detail = f"{where} reachable, {version}, certificate verified"
    expires = cert.get("notAfter")
    if isinstance(expires, str):
        try:
            left = datetime.fromtimestamp(ssl.cert_time_to_seconds(expires), UTC) - datetime.now(UTC)
        except ValueError:
            left = None
        if left is not None:
            detail += f", valid for {left.days} more days"
            if left.days < 14:
                report.add("server", "warn", detail, "The server's certificate expires soon: tell its administrator.")
                return True
    report.add("server", "ok", detail)
    return True


class _NoStartTLS(Exception):
    pass


def _starttls_prelude(sock: socket.socket) -> None:
    """Read the greeting, ask for STARTTLS, wait for OK (the socket is then ready for TLS)."""
    for line in _lines(sock):
        if line.startswith(b"* "):
            break
    sock.sendall(b"d1 STARTTLS\r\n")
    for line in _lines(sock):
        if line.startswith(b"d1 "):
            if not line[3:].upper().startswith(b"OK"):
                raise _NoStartTLS("the server refused STARTTLS: " + line.decode("ascii", "replace").strip())
            return
    raise _NoStartTLS("the server closed the connection")


def _lines(sock: socket.socket) -> Iterator[bytes]:
    buf = b""
    while True:
        data = sock.recv(1)  # byte by byte: nothing after the OK may be consumed before TLS
        if not data:
            return
        buf += data
        if buf.endswith(b"\r\n") or len(buf) > 8192:
            yield buf
            buf = b""


# --- Maildir and others ------------------------------------------------------------------


def _check_maildir(config: Config, report: Report) -> None:
    md = config.maildir
    assert md is not None
    problems = []
    for role, folder in (("inbox", md.inbox), ("sent", md.sent), ("drafts", md.drafts)):
        for sub in ("cur", "new", "tmp"):
            if not (folder / sub).is_dir():
                problems.append(f"maildir.{role}: {folder / sub} is missing")
    for sub in ("tmp", "new", "cur"):
        p = md.drafts / sub
        if p.is_dir() and not os.access(p, os.W_OK | os.X_OK):
            problems.append(f"{p} is not writable by {_me()}")
    if problems:
        report.add("folders", "fail", "; ".join(problems),
                   "Point maildir.inbox/sent/drafts at Maildir folders (with cur/, new/, tmp/) that you "
                   "can write to.")
        return
    report.add("folders", "ok", f"inbox {md.inbox}, sent {md.sent}, drafts {md.drafts} (writable)")


def _check_generic(config: Config, report: Report) -> None:
    from agent.backends.open import open_mailbox

    def attempt() -> Any:
        with open_mailbox(config) as mailbox:
            return mailbox.drafts()

    try:
        drafts = attempt()
    except AgentError as err:
        report.add("mailbox", "fail", str(err), "See README, Configuration.")
        return
    report.add("mailbox", "ok", f"{config.backend}: {len(drafts)} draft(s) listed")
