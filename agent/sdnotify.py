"""The few lines of the systemd notify protocol the service needs (no libsystemd).

``Type=notify`` services tell systemd where they stand with datagrams like
``READY=1`` on the ``AF_UNIX`` socket named by ``$NOTIFY_SOCKET``; a name
starting with ``@`` is in the abstract namespace (a leading NUL byte).
``WATCHDOG=1`` every ``$WATCHDOG_USEC / 2`` keeps ``WatchdogSec=`` from
killing the service; ``STOPPING=1`` says the stop was asked for. Outside
systemd (no ``$NOTIFY_SOCKET``) every call is a no-op, so the same code runs
by hand, under systemd and under the tests (which read the datagrams from a
socket of their own).
"""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping


def _address(env: Mapping[str, str]) -> str | bytes | None:
    path = env.get("NOTIFY_SOCKET", "")
    if not path:
        return None
    if path.startswith("@"):
        return b"\0" + path[1:].encode()
    if not path.startswith("/"):
        return None  # vsock (vsock:CID:PORT) and relative names are not for us
    return path


def notify(*states: str, env: Mapping[str, str] | None = None) -> bool:
    """Send ``"\\n".join(states)`` to ``$NOTIFY_SOCKET``; True when it was sent.

    Never raises: a notification that cannot be delivered must not stop the
    service (systemd then acts on its own timeouts, which is the right outcome).
    """
    environ = os.environ if env is None else env
    addr = _address(environ)
    if addr is None or not states:
        return False
    data = "\n".join(states).encode("utf-8", errors="replace")
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.connect(addr)
            sock.sendall(data)
        return True
    except OSError:
        return False


def watchdog_interval(env: Mapping[str, str] | None = None) -> float | None:
    """Seconds between ``WATCHDOG=1`` pings (half of ``WatchdogSec=``), or None when off.

    ``$WATCHDOG_PID``, when set, must be this process (systemd sets it so a
    child that inherited the environment does not ping in its parent's name).
    """
    environ = os.environ if env is None else env
    usec = environ.get("WATCHDOG_USEC", "")
    if not usec.isdigit() or int(usec) <= 0:
        return None
    pid = environ.get("WATCHDOG_PID", "")
    if pid and (not pid.isdigit() or int(pid) != os.getpid()):
        return None
    return int(usec) / 1_000_000 / 2
