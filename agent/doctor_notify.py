"""``doctor``'s checks of the notices (agent/notify.py): the session bus, the notification
server, the command hook; and ``doctor --test-notify``, which sends one test notice.

Kept apart from agent/doctor.py so that each holds one subject; the checks are
returned as (name, status, detail, fix) rows that doctor adds to its report.
"""

from __future__ import annotations

import os
import shlex
import shutil
from collections.abc import Mapping

from agent.config import NotifyConfig
from agent.notify import (
    DesktopNotifier,
    DraftNotice,
    NoticeError,
    Notifier,
    notifiers_from_config,
    send_notices,
    server_information,
    session_bus_address,
)

__all__ = ["TEST_NOTICE", "check_notices"]

Row = tuple[str, str, str, str]

#: what ``doctor --test-notify`` sends: no conversation of the user's, only its own words
TEST_NOTICE = DraftNotice(conversation="doctor-test", company="followup-agent",
                          subject="Test notice from followup-agent doctor", step="test", due=None,
                          draft_id="doctor-test")

_NO_DESKTOP = ("On a machine without a desktop session set [notify] desktop = false "
               "(and use [notify] command for ntfy or a chat bot).")


def check_notices(config: NotifyConfig, env: Mapping[str, str], *, send_test: bool = False) -> list[Row]:
    """The rows for the channels ``[notify]`` turns on; with ``send_test``, one test notice each."""
    rows: list[Row] = []
    if config.desktop:
        rows.append(_desktop(session_bus_address(env), config.timeout_seconds))
    if config.command:
        rows.append(_command(config.command, env))
    if not config.desktop and not config.command:
        rows.append(("notices", "ok", "off: [notify] desktop = false and no command", ""))
    if send_test:
        rows.extend(_send_test(config, env))
    return rows


def _desktop(address: str | None, timeout: float) -> Row:
    if not address:
        return ("notices: desktop", "warn", "no session bus: DBUS_SESSION_BUS_ADDRESS is not set here and "
                "$XDG_RUNTIME_DIR/bus does not exist (the systemd user unit gets it from your session)",
                _NO_DESKTOP)
    try:
        name, vendor, version, spec = server_information(address, timeout)
    except NoticeError as err:
        return ("notices: desktop", "warn", f"{err}: drafts will be written but not announced",
                "Log in to a desktop session (GNOME, KDE, or a notification daemon such as dunst "
                "or mako). " + _NO_DESKTOP)
    return ("notices: desktop", "ok", f"notification server {name} {version} ({vendor}, spec {spec})", "")


def _command(command: str, env: Mapping[str, str]) -> Row:
    program = shlex.split(command)[0]  # the config checked that it splits and names a program
    found = (program if os.access(program, os.X_OK) and os.path.isfile(program) else None) if "/" in program \
        else shutil.which(program, path=env.get("PATH"))
    if found is None:
        return ("notices: command", "fail", f"notify.command runs {program!r}, which is not an executable "
                "file" + ("" if "/" in program else " on PATH"),
                "Give the program's full path in [notify] command, or install it.")
    return ("notices: command", "ok", f"{found} (run with FOLLOWUP_* variables; README: Notices)", "")


def _send_test(config: NotifyConfig, env: Mapping[str, str]) -> list[Row]:
    notifiers: list[Notifier] = [
        DesktopNotifier(timeout=config.timeout_seconds, summary_above=config.summary_above,
                        bus_address=session_bus_address(env)) if n.name == "desktop" else n
        for n in notifiers_from_config(config)]
    rows: list[Row] = []
    for notifier in notifiers:
        failure = next(iter(send_notices([notifier], [TEST_NOTICE])), "")
        rows.append((f"test notice: {notifier.name}", "fail" if failure else "ok",
                     failure or "sent: check that it arrived", "" if not failure else "See the check above."))
    return rows
