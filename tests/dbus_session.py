"""A private D-Bus session bus and a small notification server on it, for the notice tests.

``dbus-daemon`` runs with a config of our own (one socket in the test's
folder, no service activation, everything allowed), so nothing on the
machine's real session is touched and no real notification daemon answers.
:class:`NotificationServer` owns ``org.freedesktop.Notifications`` on that bus
(with ``jeepney``, as the agent talks to it) and records every call it gets;
the tests wait on its event, never on a clock.
"""

from __future__ import annotations

import shutil
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jeepney import HeaderFields, MessageType, new_error, new_method_return
from jeepney.bus_messages import message_bus
from jeepney.io.blocking import DBusConnection, open_dbus_connection

BUS_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path={socket}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"""


def have_dbus_daemon() -> bool:
    return shutil.which("dbus-daemon") is not None


@contextmanager
def private_session_bus(folder: Path) -> Iterator[str]:
    """Start a ``dbus-daemon`` for this test only; yield its address; stop it."""
    config = folder / "session.conf"
    config.write_text(BUS_CONFIG.format(socket=folder / "bus"))
    proc = subprocess.Popen(["dbus-daemon", f"--config-file={config}", "--nofork", "--nopidfile",
                             "--print-address=1"], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        address = proc.stdout.readline().strip()  # printed once the socket listens
        assert address.startswith("unix:"), address
        yield address
    finally:
        proc.terminate()
        proc.wait()


@dataclass
class NotificationServer:
    """Owns org.freedesktop.Notifications on ``address`` and records each Notify call."""

    address: str
    capabilities: tuple[str, ...] = ("body",)
    calls: list[dict[str, Any]] = field(default_factory=list)
    received: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._conn: DBusConnection = open_dbus_connection(self.address)
        reply = self._conn.send_and_get_reply(message_bus.RequestName("org.freedesktop.Notifications"))
        assert reply.body == (1,), reply.body  # DBUS_REQUEST_NAME_REPLY_PRIMARY_OWNER
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                msg = self._conn.receive(timeout=0.05)
            except TimeoutError:
                continue
            if msg.header.message_type != MessageType.method_call:
                continue
            self._conn.send(self._answer(msg))

    def _answer(self, msg: Any) -> Any:
        member = msg.header.fields[HeaderFields.member]
        if member == "Notify":
            app, _replaces, icon, summary, body, _actions, hints, timeout = msg.body
            self.calls.append({"app": app, "icon": icon, "summary": summary, "body": body,
                               "hints": hints, "timeout": timeout})
            self.received.set()
            return new_method_return(msg, "u", (len(self.calls),))
        if member == "GetCapabilities":
            return new_method_return(msg, "as", (list(self.capabilities),))
        if member == "GetServerInformation":
            return new_method_return(msg, "ssss", ("test-notifyd", "followup tests", "1.0", "1.2"))
        return new_error(msg, "org.freedesktop.DBus.Error.UnknownMethod")

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self._conn.close()


@contextmanager
def notification_server(address: str, **kw: Any) -> Iterator[NotificationServer]:
    server = NotificationServer(address, **kw)
    try:
        yield server
    finally:
        server.close()
