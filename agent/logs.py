"""structlog set up once at start: JSON lines off a terminal, readable lines on one.

One pipeline for everything
    structlog's own events and the standard library's loggers (imapclient,
    APScheduler, googleapiclient, urllib3, ...) go through the same
    processors: time stamp, level, exception formatting, **redaction**,
    renderer. Off a terminal (systemd, a pipe) each event is one JSON object
    per line, which journald keeps as the message; on a terminal the lines are
    readable and coloured.

Never a secret
    :func:`redact` runs after exceptions have been formatted, on every string
    of the event, nested ones included, so nothing that reaches the renderer
    escapes it:

    * values under secret-looking keys (``password``, ``token``,
      ``authorization``, ...) are replaced whole;
    * every secret the agent looked up (:func:`register_secret`, called by
      :mod:`agent.secrets`) is cut out of any string it appears in;
    * patterns cover what no lookup registered: ``LOGIN user pass``,
      ``AUTHENTICATE XOAUTH2 <base64>``, ``Bearer <token>``,
      ``Authorization: ...`` headers, ``password=...``/``"token": "..."``.

Tracebacks never show local variables (a password in a local would land in
the log): JSON events carry structlog's dict traceback with
``show_locals=False``, terminal lines the plain text traceback.

Never a message body
    Callers log ids, subjects and reasons only. imapclient's protocol trace
    (``imapclient.imaplib`` at DEBUG) would show mail content, so it stays off
    even with ``--debug``; ``configure(imap_trace=True)`` turns it on for a
    support session (still redacted).
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import logging
import re
import sys
import threading
from collections.abc import MutableMapping
from types import ModuleType
from typing import Any

from agent.lazy_pattern import AnyPattern, lazy

_SECRET_KEY = lazy(
    r"pass(word|wd|phrase)?$|^pwd$|secret|token|authori[sz]ation|credential|cookie|api_?key|^auth$", re.I
)
REDACTED = "[redacted]"

# (pattern, replacement) applied to every string of every event
_PATTERNS: list[tuple[AnyPattern, str]] = [
    # IMAP (commands are upper case on the wire; "the login of 'jordan'" in prose is left alone):
    # `LOGIN user password` (quoted or bare), `AUTHENTICATE MECH <initial response>`
    (lazy(r"(\bLOGIN\s+(?:\"(?:[^\"\\]|\\.)*\"|\S+)\s+)(?:\"(?:[^\"\\]|\\.)*\"|\S+)"),
     r"\1" + REDACTED),
    (lazy(r"(\bAUTHENTICATE\s+[A-Z0-9_-]+\s+)\S+"), r"\1" + REDACTED),
    # HTTP: Authorization headers (any scheme), bearer tokens anywhere (XOAUTH2's auth=Bearer too)
    (lazy(r"((?:Proxy-)?Authorization[\"']?\s*[:=]\s*[\"']?)[^\r\n\"',}]+", re.I), r"\1" + REDACTED),
    (lazy(r"\b(Bearer|Basic)(\s+|%20)[A-Za-z0-9._~+/=-]{8,}", re.I), r"\1\2" + REDACTED),
    # key=value and "key": "value" for secret-looking keys (URLs, JSON, reprs); not "imap-password:"
    (lazy(
        r"((?<![\w/-])(?:pass(?:word|wd)?|secret|client_secret|(?:access_|refresh_|id_)?token|api_?key)"
        r"[\"']?\s*[:=]\s*[\"']?)(?![\"'\s]|\[redacted\])[^\s\"',&}]+", re.I),
     r"\1" + REDACTED),
]

_secrets: set[str] = set()
_secrets_lock = threading.Lock()
#: secrets shorter than this are not cut out of text (a 2-letter "secret" would shred every line)
MIN_SECRET = 4


def register_secret(value: str | None) -> None:
    """Remember a secret so any log line that contains it has it cut out."""
    if value and len(value) >= MIN_SECRET:
        with _secrets_lock:
            _secrets.add(value)


def forget_secrets() -> None:
    """For tests: drop every registered secret."""
    with _secrets_lock:
        _secrets.clear()


def scrub(text: str) -> str:
    """``text`` with every registered secret and every secret-looking pattern replaced."""
    with _secrets_lock:
        known = sorted(_secrets, key=len, reverse=True)
    for secret in known:
        if secret in text:
            text = text.replace(secret, REDACTED)
    for pattern, repl in _PATTERNS:
        text = pattern.sub(repl, text)
    return text


def _scrub_value(value: Any, depth: int = 0) -> Any:
    if depth > 20:
        return REDACTED  # a pathological structure: say nothing rather than something
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, bytes):
        return scrub(value.decode("utf-8", errors="replace"))
    if isinstance(value, dict):
        return {
            k: (REDACTED if isinstance(k, str) and _SECRET_KEY.search(k) and v not in (None, "")
                else _scrub_value(v, depth + 1))
            for k, v in value.items()
        }
    if isinstance(value, list | tuple | set | frozenset):
        return [_scrub_value(v, depth + 1) for v in value]
    if isinstance(value, int | float | bool) or value is None:
        return value
    return scrub(str(value))


def redact(_logger: Any, _name: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """structlog processor: secret-looking keys, registered secrets and patterns (see module doc)."""
    for key in list(event):
        if key.startswith("_"):  # _record, _from_structlog: ProcessorFormatter's own
            continue
        if _SECRET_KEY.search(key) and key not in ("event",):
            event[key] = REDACTED
        else:
            event[key] = _scrub_value(event[key])
    return event


_configured = False


class _Held(logging.Handler):
    """The standard library's records, kept until :func:`configure` (see :func:`hold`)."""

    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


_held: _Held | None = None


def hold() -> None:
    """Keep whatever the standard library's loggers say until :func:`configure`, which puts it
    through the same processors (redaction included) as everything after.

    Why: a ``poll --once`` logs in on a thread before it configures logging
    (agent/backends/open.py's HeadStart), and a library on that thread (keyring, for one)
    may warn meanwhile; without a handler Python would print that bare on stderr, unredacted.
    Nothing to do once logging is configured."""
    global _held
    if _configured or _held is not None:
        return
    _held = _Held()
    logging.getLogger().addHandler(_held)


def _replay(handler: logging.Handler) -> None:
    """The records :func:`hold` kept, through ``handler``, at the levels now set."""
    global _held
    held, _held = _held, None
    if held is None:
        return
    with held.lock or contextlib.nullcontext():
        records, held.records = held.records, []
    for record in records:
        if record.levelno >= logging.getLogger(record.name).getEffectiveLevel():
            handler.handle(record)


class _AsyncioOnDemand(ModuleType):
    """A stand-in for :mod:`asyncio` that imports the real one at its first use.

    Why: structlog's package ``__init__`` imports ``structlog.stdlib`` and
    ``structlog._native``, and both import asyncio at their top for their async
    (``a*``) methods only; the agent never calls those, yet asyncio and the
    ssl/selectors it pulls in were half of structlog's start-up (about 15 ms of
    every poll process; issue 15). Why not :class:`importlib.util.LazyLoader`: the
    import statement reads a module's ``__spec__`` when it meets it in
    ``sys.modules``, which makes a LazyLoader module load itself at the next
    ``import asyncio`` anywhere. This stand-in holds a real ``__spec__`` (so a
    later ``import asyncio`` takes it as loaded) and nothing else: reading any
    other name, ``__path__`` included (a submodule import does), swaps the real
    asyncio into ``sys.modules`` and copies its names here, so code holding the
    stand-in sees what it would have seen.
    """

    def __getattr__(self, name: str) -> Any:
        if sys.modules.get("asyncio") is self:
            del sys.modules["asyncio"]
        real = importlib.import_module("asyncio")
        self.__dict__.update(real.__dict__)
        return getattr(real, name)


def _structlog() -> ModuleType:
    """structlog, imported with :class:`_AsyncioOnDemand` standing in for asyncio if need be."""
    if "structlog" not in sys.modules and "asyncio" not in sys.modules:
        spec = importlib.util.find_spec("asyncio")
        if spec is not None:
            stand_in = _AsyncioOnDemand("asyncio")
            stand_in.__spec__ = spec
            sys.modules["asyncio"] = stand_in
    import structlog

    return structlog


def _add_logger_name(_logger: Any, _name: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    record = event.get("_record")
    if record is not None:
        event["logger_name"] = record.name
    return event


def configure(
    *,
    json: bool | None = None,
    level: int = logging.INFO,
    stream: Any = None,
    imap_trace: bool = False,
) -> None:
    """Configure structlog and the standard library's loggers through the same processors.

    ``stream`` defaults to stderr (commands print their results on stdout);
    the service passes stdout. ``json=None`` picks JSON when ``stream`` is not
    a terminal. Calling it again replaces the previous set-up (tests do).
    """
    global _configured
    structlog = _structlog()
    stream = stream or sys.stderr
    tty = bool(getattr(stream, "isatty", lambda: False)())
    if json is None:
        json = not tty
    timestamper = structlog.processors.TimeStamper(fmt="iso", utc=True)
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        timestamper,
    ]
    exceptions: Any
    renderer: Any
    if json:
        exceptions = structlog.processors.ExceptionRenderer(
            structlog.tracebacks.ExceptionDictTransformer(show_locals=False)
        )
        renderer = structlog.processors.JSONRenderer(default=str)
    else:
        exceptions = structlog.processors.format_exc_info  # plain text, no locals
        renderer = structlog.dev.ConsoleRenderer(
            colors=tty, exception_formatter=structlog.dev.plain_traceback
        )
    tail = [structlog.processors.StackInfoRenderer(), exceptions, redact, renderer]
    structlog.configure(
        processors=[*shared, *tail],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.PrintLoggerFactory(file=stream),
        cache_logger_on_first_use=False,
    )
    handler = logging.StreamHandler(stream)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[*shared, _add_logger_name],
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, *tail],
        )
    )
    root = logging.getLogger()
    for old in root.handlers[:]:
        root.removeHandler(old)
    root.addHandler(handler)
    # libraries are chatty at INFO (APScheduler logs every run): warnings and up, or
    # everything with --debug
    root.setLevel(logging.DEBUG if level <= logging.DEBUG else logging.WARNING)
    # imapclient's DEBUG is a protocol trace with mail content in it (see module doc)
    imap_level = logging.DEBUG if imap_trace else max(logging.INFO, root.level)
    for name in ("imapclient", "imapclient.imaplib"):
        logging.getLogger(name).setLevel(imap_level)
    _configured = True
    _replay(handler)


def get_logger(name: str = "followup-agent") -> Any:
    """structlog's lazy logger proxy for ``name`` (configuration is read at its first use)."""
    return _structlog().get_logger(name, logger_name=name)
