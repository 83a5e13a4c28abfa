"""Telling the user that a follow-up draft waits in Drafts: a desktop notification, a command hook.

A draft nobody sees helps nobody, so when a poll writes one the user gets a
notice. The notice is tied to the ledger's move to "created" by *this* poll
(:func:`agent.applying.apply_plan` returns the drafts it wrote): a second
poll, an adopted draft (a crash-and-retry) or a dry run never repeats one.

Two channels, both optional and both I/O edges behind :class:`Notifier`:

- the desktop, through ``org.freedesktop.Notifications.Notify`` on the
  session D-Bus (``jeepney``, a pure-Python D-Bus client that keyring already
  brings);
- ``[notify] command``: run once per notice with the details in
  ``FOLLOWUP_*`` environment variables. Mail-derived text only ever travels
  in the environment, never through a shell's parser: the command line is the
  config's own string, split with :func:`shlex.split`.

Privacy: a notice holds the company, the subject, the step and dates. Never
a message body, never an address. It never goes by mail.

A notice is a courtesy: :func:`send_notices` catches every failure (no bus,
no notification server, a command that fails or hangs past its timeout),
logs one warning without the notice's text, and returns; the poll goes on.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import signal
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from agent.config import NotifyConfig
from agent.logs import get_logger

if TYPE_CHECKING:
    from jeepney import Message
    from jeepney.io.blocking import DBusConnection

    from agent.actions import Create
    from agent.policy import Decision

__all__ = [
    "CommandNotifier", "DesktopNotifier", "DraftNotice", "NoticeError", "Notifier",
    "command_env", "notice_text", "notices_for", "notifiers_from_config", "send_notices", "server_information",
    "session_bus_address",
]

APP_NAME = "followup-agent"
BUS_NAME = "org.freedesktop.Notifications"
OBJECT_PATH = "/org/freedesktop/Notifications"

#: what each step is called in a notice (agent/policy.py's step kinds)
STEP_NAMES = {
    "thank_you": "thank-you note",
    "follow_up_1": "follow-up",
    "follow_up_2": "second follow-up",
}


class NoticeError(Exception):
    """A notice could not be delivered (the message says why, without the notice's text)."""


@dataclass(frozen=True)
class DraftNotice:
    """One draft this poll wrote into Drafts: what a notice may say about it.

    Only the company, the subject, the step and dates: never a body, never an
    address (a notice can end up on a lock screen or a phone).
    """

    conversation: str
    company: str | None
    subject: str
    step: str
    due: datetime | None
    draft_id: str


class Notifier(Protocol):
    """Delivers notices; raises :class:`NoticeError` (or OSError) when it cannot."""

    name: str

    def notify(self, notices: Sequence[DraftNotice]) -> None: ...


def notices_for(written: Sequence[tuple[Create, str]], decisions: Sequence[Decision]) -> list[DraftNotice]:
    """The notice of each draft written (``Create`` and its id in the mailbox; ``""`` for a dry
    run's would-be draft), named by its conversation's decision. Pure."""
    by_id = {d.conversation: d for d in decisions}
    out = []
    for create, draft_id in written:
        dec = by_id.get(create.conversation)
        due = dec.next.due if dec is not None and dec.next is not None else None
        out.append(DraftNotice(conversation=create.conversation, company=dec.company if dec else None,
                               subject=dec.subject if dec else create.draft.subject, step=create.step,
                               due=due, draft_id=draft_id))
    return out


def step_name(step: str) -> str:
    return STEP_NAMES.get(step, step.replace("_", " "))


def notice_text(notices: Sequence[DraftNotice], summary_above: int) -> list[tuple[str, str]]:
    """The (title, message) of each notice to show: one per draft, or one summary for the lot
    when there are more than ``summary_above`` (a first poll can write dozens). Pure."""
    if len(notices) > summary_above:
        names = sorted({n.company or n.subject for n in notices})
        shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
        return [(f"{len(notices)} follow-up drafts wait in Drafts",
                 f"For {shown}. Review them in your Drafts folder; nothing has been sent.")]
    return [(_title(n), _message(n)) for n in notices]


def _title(n: DraftNotice) -> str:
    return f"Follow-up draft for {n.company}" if n.company else "Follow-up draft ready"


def _message(n: DraftNotice) -> str:
    due = f", due {n.due:%a %b %-d %H:%M}" if n.due else ""
    return (f"{step_name(n.step).capitalize()} on \u201c{n.subject}\u201d{due}. "
            "It waits in Drafts for your review; nothing has been sent.")


def send_notices(notifiers: Sequence[Notifier], notices: Sequence[DraftNotice]) -> list[str]:
    """Hand ``notices`` to each notifier; a failure is logged (one warning per channel, no text
    from the mail) and returned, never raised: a notice must not fail the poll."""
    failures: list[str] = []
    if not notices:
        return failures
    for notifier in notifiers:
        try:
            notifier.notify(notices)
        except Exception as err:
            reason = _reason(err)
            get_logger().warning("notice_failed", channel=notifier.name, error=reason, drafts=len(notices))
            failures.append(f"{notifier.name}: {reason}")
    return failures


def _reason(err: BaseException) -> str:
    """The failure's kind and message: errors raised here never hold the notice's text."""
    if isinstance(err, NoticeError):
        return str(err)
    return f"{type(err).__name__}: {err}"[:200]


# --- the desktop -------------------------------------------------------------------


class DesktopNotifier:
    """``org.freedesktop.Notifications.Notify`` on the session bus (``$DBUS_SESSION_BUS_ADDRESS``)."""

    name = "desktop"

    def __init__(self, *, timeout: float, summary_above: int, bus_address: str | None = None) -> None:
        self.timeout = timeout
        self.summary_above = summary_above
        self.bus_address = bus_address

    def notify(self, notices: Sequence[DraftNotice]) -> None:
        from jeepney import DBusAddress, new_method_call

        target = DBusAddress(OBJECT_PATH, bus_name=BUS_NAME, interface=BUS_NAME)
        with _connect(self.bus_address, self.timeout) as conn:
            markup = "body-markup" in _call(conn, new_method_call(target, "GetCapabilities"), self.timeout)[0]
            for title, message in notice_text(notices, self.summary_above):
                body = _escape(message) if markup else message
                hints = {"category": ("s", "email.arrived"), "desktop-entry": ("s", APP_NAME)}
                _call(conn, new_method_call(target, "Notify", "susssasa{sv}i",
                                            (APP_NAME, 0, "mail-message-new", title, body, [], hints, -1)),
                      self.timeout)


def _escape(text: str) -> str:
    """The body is markup on servers that say "body-markup": a subject's ``<`` must stay text."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _connect(address: str | None, timeout: float) -> DBusConnection:
    """A blocking connection to the session bus (or ``address``), or :class:`NoticeError`."""
    from jeepney.io.blocking import open_dbus_connection

    bus = address or session_bus_address(os.environ)
    if bus is None:
        raise NoticeError("no session bus (DBUS_SESSION_BUS_ADDRESS is not set and $XDG_RUNTIME_DIR/bus "
                          "does not exist)")
    try:
        return open_dbus_connection(bus=bus, auth_timeout=timeout)
    except (OSError, KeyError, ValueError) as err:
        raise NoticeError(f"no session bus ({type(err).__name__}: {err})"[:200]) from None
    except Exception as err:
        raise NoticeError(f"session bus refused the connection ({type(err).__name__})") from None


def session_bus_address(env: Mapping[str, str]) -> str | None:
    """``$DBUS_SESSION_BUS_ADDRESS``, else the per-user bus socket that systemd's user session
    provides (``$XDG_RUNTIME_DIR/bus``), as libdbus and sd-bus find it; jeepney reads only the
    variable, and ``poll`` from cron or an ssh shell has the socket without it."""
    if env.get("DBUS_SESSION_BUS_ADDRESS"):
        return env["DBUS_SESSION_BUS_ADDRESS"]
    socket = Path(env.get("XDG_RUNTIME_DIR") or f"/run/user/{os.getuid()}") / "bus"
    return f"unix:path={socket}" if socket.is_socket() else None


def _call(conn: DBusConnection, msg: Message, timeout: float) -> tuple[Any, ...]:
    """Send a method call and return its reply's body, or raise :class:`NoticeError`."""
    from jeepney.wrappers import DBusErrorResponse, unwrap_msg

    try:
        return tuple(unwrap_msg(conn.send_and_get_reply(msg, timeout=timeout)))
    except DBusErrorResponse as err:
        raise NoticeError(f"no notification server ({err.name})") from None
    except TimeoutError:
        raise NoticeError(f"the notification server did not answer within {timeout:g} s") from None


def server_information(bus_address: str | None = None, timeout: float = 5.0) -> tuple[str, str, str, str]:
    """The notification server's (name, vendor, version, spec version), for ``doctor``."""
    from jeepney import DBusAddress, new_method_call

    target = DBusAddress(OBJECT_PATH, bus_name=BUS_NAME, interface=BUS_NAME)
    with _connect(bus_address, timeout) as conn:
        name, vendor, version, spec = _call(conn, new_method_call(target, "GetServerInformation"), timeout)
    return str(name), str(vendor), str(version), str(spec)


# --- the command hook --------------------------------------------------------------


class CommandNotifier:
    """``[notify] command``, run once per notice with the details in ``FOLLOWUP_*`` variables."""

    name = "command"

    def __init__(self, command: str, *, timeout: float, summary_above: int) -> None:
        self.argv = shlex.split(command)
        self.timeout = timeout
        self.summary_above = summary_above

    def notify(self, notices: Sequence[DraftNotice]) -> None:
        runs = ([command_env(notices, title, message)
                 for title, message in notice_text(notices, self.summary_above)]
                if len(notices) > self.summary_above
                else [command_env([n], *notice_text([n], 1)[0]) for n in notices])
        for extra in runs:
            self._run({**os.environ, **extra})

    def _run(self, env: Mapping[str, str]) -> None:
        """Run the command in its own process group, so that a hook which started children
        (``sh -c 'curl …'``) is stopped whole when it overruns the timeout."""
        try:
            proc = subprocess.Popen(self.argv, env=dict(env), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.DEVNULL, start_new_session=True)
        except OSError as err:
            raise NoticeError(f"cannot run {self.argv[0]}: {err.strerror}") from None
        try:
            status = proc.wait(timeout=self.timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            raise NoticeError(f"{self.argv[0]} did not finish within {self.timeout:g} s (stopped)") from None
        if status != 0:
            raise NoticeError(f"{self.argv[0]} exited with status {status}")


def command_env(notices: Sequence[DraftNotice], title: str, message: str) -> dict[str, str]:
    """The variables the command hook gets (README: Notices). One notice: its details; a
    summary of several: the count, and the companies, subjects and threads one per line."""
    first = notices[0]
    many = len(notices) > 1
    return {
        "FOLLOWUP_EVENT": "drafts_queued" if many else "draft_queued",
        "FOLLOWUP_COUNT": str(len(notices)),
        "FOLLOWUP_TITLE": title,
        "FOLLOWUP_MESSAGE": message,
        "FOLLOWUP_COMPANY": "\n".join(n.company or "" for n in notices) if many else first.company or "",
        "FOLLOWUP_SUBJECT": "\n".join(n.subject for n in notices) if many else first.subject,
        "FOLLOWUP_STEP": "\n".join(n.step for n in notices) if many else first.step,
        "FOLLOWUP_DUE": "\n".join(_iso(n.due) for n in notices) if many else _iso(first.due),
        "FOLLOWUP_THREAD": "\n".join(n.conversation for n in notices) if many else first.conversation,
        "FOLLOWUP_DRAFT_ID": "\n".join(n.draft_id for n in notices) if many else first.draft_id,
    }


def _iso(when: datetime | None) -> str:
    return when.isoformat() if when else ""


def notifiers_from_config(config: NotifyConfig) -> list[Notifier]:
    """The channels ``[notify]`` turns on (the desktop by default)."""
    out: list[Notifier] = []
    if config.desktop:
        out.append(DesktopNotifier(timeout=config.timeout_seconds, summary_above=config.summary_above))
    if config.command:
        out.append(CommandNotifier(config.command, timeout=config.timeout_seconds,
                                   summary_above=config.summary_above))
    return out
