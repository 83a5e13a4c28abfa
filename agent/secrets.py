"""Where the agent finds its mail password or token, in one documented order.

1. ``$CREDENTIALS_DIRECTORY/<name>``: systemd's ``LoadCredential=`` /
   ``LoadCredentialEncrypted=`` put the secret there for the system unit,
   readable only by the service; it wins because an administrator who set it
   up meant it for exactly this service.
2. The desktop keyring (``keyring.get_password(service, username)``): where
   the user unit and interactive runs keep it (``followup-agent auth`` stores
   it with :func:`store_secret`).
3. ``password_command`` (e.g. ``pass show mail``): the first line of its
   output. Run without a shell unless the command uses shell syntax, with a
   time limit, so a hanging pinentry cannot hang a poll forever.

A source that fails (no file, no keyring backend, a locked keyring, a
command that exits non-zero) is "not found there" and the next one is
tried; only when none has it is :class:`~agent.errors.MailboxError` raised,
naming every source and what happened, so the user can fix the right one.
The secret itself is never logged and never put into an exception message.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shlex
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path

from agent.errors import AgentError, AuthError

#: seconds a ``password_command`` may take (a pinentry prompt included)
COMMAND_TIMEOUT = 30.0

# characters that only mean something to a shell: a command using them is run
# by /bin/sh, any other is split with shlex and run directly (no quoting traps)
_SHELL_SYNTAX = set("|&;<>()$`*?~{}[]!#\n")


class _NotFound(Exception):
    """One source did not have the secret; the message says why (never the secret)."""


#: the three sources, by the names ``imap.secret_sources`` uses, in the documented order
SOURCES = ("credentials", "keyring", "command")


def get_secret(
    name: str,
    *,
    service: str,
    username: str,
    command: str | None,
    env: Mapping[str, str],
    sources: tuple[str, ...] = SOURCES,
) -> str:
    """Return the secret from the first source that has it (see module docstring).

    ``name`` is the credential file name under ``$CREDENTIALS_DIRECTORY``;
    ``service``/``username`` address the keyring entry; ``command`` is the
    configured ``password_command`` (None: not configured); ``env`` is the
    environment to read ``CREDENTIALS_DIRECTORY`` from and to run the command in;
    ``sources`` the ones to look in, in that order (``imap.secret_sources``).
    """
    return find_secret(name, service=service, username=username, command=command, env=env,
                       sources=sources)[0]


def find_secret(
    name: str,
    *,
    service: str,
    username: str,
    command: str | None,
    env: Mapping[str, str],
    sources: tuple[str, ...] = SOURCES,
) -> tuple[str, str]:
    """Like :func:`get_secret`, but also say which source had it (for ``doctor``).

    Whatever is found is registered with :func:`agent.logs.register_secret`,
    so no log line can carry it, whichever library would print it.
    """
    from agent.logs import register_secret

    tried: list[str] = []
    known = {
        "credentials": (f"$CREDENTIALS_DIRECTORY/{name}", lambda: _from_credentials(name, env)),
        "keyring": (f"the keyring (service {service!r}, user {username!r})",
                    lambda: _from_keyring(service, username)),
        "command": ("password_command", lambda: _from_command(command, env)),
    }
    for label, source in (known[k] for k in sources):
        try:
            secret = source()
        except _NotFound as why:
            tried.append(f"{label}: {why}")
            continue
        register_secret(secret)
        return secret, label
    skipped = [k for k in SOURCES if k not in sources]
    if skipped:
        tried.append("not asked (imap.secret_sources): " + ", ".join(skipped))
    raise AuthError(
        f"No secret found for {username or name!r}. Tried, in order: "
        + "; ".join(tried)
        + ". Store it in one of these (for example `followup-agent auth imap`, which saves it in "
        + f"the keyring as service {service!r}, user {username or name!r}; or set imap.password_command; "
        + f"or, for a system service, LoadCredentialEncrypted={name}:... in the unit)."
    )


def keyring_backend() -> tuple[str, bool | None]:
    """(name of the keyring backend in use, whether it stores secrets unencrypted).

    ``None`` for "cannot tell". The plaintext ones are keyrings.alt's
    ``PlaintextKeyring`` (a file under ``~/.local/share/python_keyring``,
    only base64-encoded) and ``fail.Keyring``/``null.Keyring`` store nothing.
    """
    try:
        import keyring

        backend = keyring.get_keyring()
    except Exception as err:  # pragma: no cover - keyring import problems
        return (_describe(err), None)
    inner = list(getattr(backend, "backends", ())) or [backend]  # the chainer lists its members
    names = [f"{type(b).__module__}.{type(b).__name__}" for b in inner]
    if all(n.startswith(("keyring.backends.fail", "keyring.backends.null")) for n in names):
        return (", ".join(names) + " (no usable keyring: it stores nothing)", None)
    plaintext = any("Plaintext" in type(b).__name__ for b in inner)
    return (", ".join(names), plaintext)


def store_secret(service: str, username: str, secret: str) -> None:
    """Save ``secret`` in the keyring under (service, username), for the ``auth`` command."""
    from agent.logs import register_secret

    register_secret(secret)
    forget_no_keyring(os.environ)
    try:
        import keyring

        keyring.set_password(service, username, secret)
    except Exception as err:  # any backend failure: say which, never the secret
        raise AgentError(
            f"Could not store the secret in the keyring (service {service!r}, user {username!r}): "
            f"{_describe(err)}."
        ) from None


# --- the three sources ---------------------------------------------------------------


def _from_credentials(name: str, env: Mapping[str, str]) -> str:
    folder = env.get("CREDENTIALS_DIRECTORY")
    if not folder:
        raise _NotFound("not set")
    if not name or "/" in name or name in (".", ".."):
        raise _NotFound(f"{name!r} is not a credential name")
    path = Path(folder) / name
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise _NotFound(f"no file {path}") from None
    except OSError as err:
        raise _NotFound(f"cannot read {path}: {err.strerror or type(err).__name__}") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise _NotFound(f"{path} is not UTF-8 text") from None
    # a trailing newline is an artefact of `echo` or an editor, never part of a password
    secret = text[:-1] if text.endswith("\n") else text
    secret = secret[:-1] if secret.endswith("\r") else secret
    if not secret:
        raise _NotFound(f"{path} is empty")
    return secret


def _from_keyring(service: str, username: str) -> str:
    # a process that has loaded keyring already (and perhaps chosen its backend) asks it
    if "keyring" not in sys.modules and no_keyring_known(os.environ):
        raise _NotFound("no usable keyring backend (remembered; `followup-agent doctor` asks again)")
    try:
        import keyring

        secret = keyring.get_password(service, username)
    except Exception as err:  # no backend, locked, D-Bus missing: all "not found here"
        if type(err).__name__ == "NoKeyringError":
            remember_no_keyring(os.environ)
        raise _NotFound(_describe(err)) from None
    if not secret:
        raise _NotFound("no entry")
    return secret


# --- remembering that there is no keyring ----------------------------------------------
#
# keyring finds its backend anew in every process: importing it and scanning the installed
# packages' entry points costs 0.2-0.5 s on a busy 2-core machine, more than a warm poll's own
# work. On a machine with no usable backend (a server, a container) that answer never changes
# until something around it does, so it is kept in a small file, keyed by everything keyring's
# discovery reads: the installed packages (the mtimes of sys.path's folders change when a
# package is installed or removed), keyring's config file, the environment variables that
# choose or reach a backend, and the user. Any change, an hour passing, or `followup-agent
# auth` storing a secret forgets it, and the keyring is asked again: the documented order
# stays the same, only a known "not there" is not re-discovered. keyring has no such cache of
# its own (its ``_keyring_backend`` lives only as long as the process).

#: seconds a remembered "no keyring" holds
NO_KEYRING_TTL = 3600.0
_ENV_KEYS = ("PYTHON_KEYRING_BACKEND", "DBUS_SESSION_BUS_ADDRESS", "XDG_RUNTIME_DIR", "XDG_CONFIG_HOME",
             "XDG_DATA_HOME", "KDE_FULL_SESSION", "DISPLAY", "WAYLAND_DISPLAY", "HOME")


def _cache_file(env: Mapping[str, str]) -> Path:
    base = env.get("XDG_CACHE_HOME") or os.path.join(env.get("HOME") or os.path.expanduser("~"), ".cache")
    return Path(base) / "followup-agent" / "no-keyring.json"


def _mtime(path: str) -> float | None:
    try:
        return os.stat(path).st_mtime
    except OSError:
        return None


def keyring_fingerprint(env: Mapping[str, str]) -> str:
    """A digest of what keyring's backend discovery depends on (see the comment above)."""
    config_home = env.get("XDG_CONFIG_HOME") or os.path.join(env.get("HOME") or "~", ".config")
    parts = {
        "uid": os.getuid(),
        "env": {k: env.get(k) for k in _ENV_KEYS},
        "env_keyring": sorted(k for k in env if k.startswith("KEYRING_PROPERTY_")),
        "paths": [(p, _mtime(p or ".")) for p in sys.path],
        "config": _mtime(os.path.join(config_home, "python_keyring", "keyringrc.cfg")),
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def no_keyring_known(env: Mapping[str, str], clock: Callable[[], float] = time.time) -> bool:
    """Whether this process's surroundings were found, within the hour, to have no keyring."""
    try:
        doc = json.loads(_cache_file(env).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    if not isinstance(doc, dict) or doc.get("fingerprint") != keyring_fingerprint(env):
        return False
    at = doc.get("at")
    return isinstance(at, (int, float)) and 0 <= clock() - at < NO_KEYRING_TTL


def remember_no_keyring(env: Mapping[str, str], clock: Callable[[], float] = time.time) -> None:
    """Note that keyring found no usable backend here (best effort: a failure only costs time)."""
    path = _cache_file(env)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps({"fingerprint": keyring_fingerprint(env), "at": clock()}), encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
        pass


def forget_no_keyring(env: Mapping[str, str]) -> None:
    """Drop the remembered answer (a secret is being stored: the keyring must be asked again)."""
    with contextlib.suppress(OSError):
        _cache_file(env).unlink()


def _from_command(command: str | None, env: Mapping[str, str]) -> str:
    if not command or not command.strip():
        raise _NotFound("not configured")
    argv: list[str]
    if _SHELL_SYNTAX & set(command):
        argv = ["/bin/sh", "-c", command]
    else:
        try:
            argv = shlex.split(command)
        except ValueError as err:
            raise _NotFound(f"cannot be split into words ({err})") from None
    try:
        proc = subprocess.run(
            argv,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=COMMAND_TIMEOUT,
            env=dict(env),
            check=False,
        )
    except FileNotFoundError:
        raise _NotFound(f"{argv[0]!r} was not found") from None
    except subprocess.TimeoutExpired:
        raise _NotFound(f"did not finish within {COMMAND_TIMEOUT:g} s") from None
    except OSError as err:
        raise _NotFound(f"could not be run: {err.strerror or type(err).__name__}") from None
    if proc.returncode != 0:
        first = _first_line(proc.stderr) or "no message"
        raise _NotFound(f"exited with status {proc.returncode} ({first})")
    lines = proc.stdout.decode("utf-8", errors="replace").splitlines()
    secret = lines[0].strip() if lines else ""  # `pass` convention: the first line
    if not secret:
        raise _NotFound("printed nothing on its first line")
    return secret


def _first_line(data: bytes) -> str:
    """The first non-blank line of a command's stderr (its error message)."""
    text = data.decode("utf-8", errors="replace")
    for line in text.splitlines():
        if line.strip():
            return line.strip()
    return ""


def _describe(err: BaseException) -> str:
    """``ClassName: first line`` of a keyring error (those never contain the secret)."""
    first = str(err).strip().splitlines()[0] if str(err).strip() else ""
    return f"{type(err).__name__}: {first}" if first else type(err).__name__


def environment() -> Mapping[str, str]:
    """The process environment (a function so callers and tests can pass their own)."""
    return os.environ
