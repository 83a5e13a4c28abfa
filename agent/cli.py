"""The ``followup-agent`` command: argument parsing, one error handler, output.

Every user-facing failure is an :class:`~agent.errors.AgentError`; ``main``
turns it into one paragraph on stderr and a non-zero exit status (a traceback
only with ``--debug``). Each command is one small function that calls a use
case (:mod:`agent.app`, the service, the steering commands, the doctor) and
prints its result; nothing else in the agent imports this module. Each imports
what it uses when it runs: ``auth``, ``--help`` and a refused configuration
start without the state store or the engine.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from agent import __version__
from agent.config import Config, load_config
from agent.controls import COMMANDS as CONTROLS
from agent.controls import add_parsers
from agent.errors import AgentError
from agent.status_text import write_possible, write_table

if TYPE_CHECKING:
    from agent.backends.open import HeadStart
    from agent.poll_result import PollResult


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The command line. Given the ``command`` about to run, only its subcommand is added: a
    poll started by a timer need not build the other fifteen (a few milliseconds of argparse,
    of a quick poll's 0.16 s). Help and an unknown command get them all."""
    p = argparse.ArgumentParser(
        prog="followup-agent",
        description="Drafts polite, well-timed follow-ups for job-search conversations. Never sends.",
    )
    p.add_argument("--config", type=Path, help="config file (default: $XDG_CONFIG_HOME/followup-agent/config.toml)")
    p.add_argument("--debug", action="store_true", help="show tracebacks and debug logs")
    p.add_argument("--version", action="version", version=f"followup-agent {__version__}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    if command in CONTROLS:
        add_parsers(sub, _parse_now)
    elif command in _SUBCOMMANDS:
        _SUBCOMMANDS[command](sub)
    else:
        for name, add in _SUBCOMMANDS.items():
            add(sub)
            if name == "auth":
                add_parsers(sub, _parse_now)  # the steering commands, listed where they always were
    return p


def command_of(argv: Sequence[str]) -> str | None:
    """The subcommand ``argv`` names (the first word that is not a global option), or None."""
    args = iter(argv)
    for arg in args:
        if arg == "--config":
            next(args, None)
        elif arg == "--debug" or arg.startswith("--config="):
            continue
        else:
            return None if arg.startswith("-") else arg
    return None


def _add_poll(sub: Any) -> None:
    sp = sub.add_parser("poll", help="one cycle: read, decide, create due drafts, withdraw stale ones")
    sp.add_argument("--once", action="store_true", help="run one cycle and exit (the only mode)")
    sp.add_argument("--dry-run", action="store_true", help="decide and report; write nothing anywhere")
    sp.add_argument("--now", type=_parse_now, help="act as if it were this ISO 8601 time (with offset)")
    sp.add_argument("--json", action="store_true", help="print the plan and the status as JSON")
    sp.add_argument("--full", action="store_true",
                    help="read and decide everything again, even when nothing changed since the last poll")


def _add_status(sub: Any) -> None:
    sp = sub.add_parser("status", help="every tracked conversation, where it stands, what is owed next")
    sp.add_argument("--json", action="store_true")
    sp.add_argument("--now", type=_parse_now)
    sp.add_argument("--cached", action="store_true", help="the last poll's view, without connecting")
    sp.add_argument("--possible", action="store_true",
                    help="conversations that might be your job search but are not tracked, and how to settle each")


def _add_explain(sub: Any) -> None:
    sp = sub.add_parser("explain", help="the evidence and rules behind one conversation")
    sp.add_argument("thread", help="conversation id, or a unique part of its subject or company")
    sp.add_argument("--now", type=_parse_now)


def _add_pipeline(sub: Any) -> None:
    sp = sub.add_parser("pipeline", help="every recruiting conversation (closed ones too): stage, dates, next step",
                        description="Read from the state the last poll kept: no mailbox is opened.")
    fmt = sp.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true", help="one JSON array (ISO 8601 times with offsets)")
    fmt.add_argument("--csv", action="store_true", help="RFC 4180 CSV, UTF-8, with a header row")
    sp.add_argument("--since", type=_parse_day, help="only conversations with a message on or after this day "
                                                     "(YYYY-MM-DD): filters by last activity")
    sp.add_argument("--now", type=_parse_now)


def _add_report(sub: Any) -> None:
    sp = sub.add_parser("report", help="the funnel, response and interview rates, medians, week by week",
                        description="Read from the state the last poll kept: no mailbox is opened.")
    sp.add_argument("--html", type=Path, metavar="FILE",
                    help="also write one self-contained HTML page (inline CSS and SVG, no network)")
    sp.add_argument("--since", type=_parse_day, help="only conversations with a message on or after this day "
                                                     "(YYYY-MM-DD): filters by last activity")
    sp.add_argument("--now", type=_parse_now)


def _add_calendar(sub: Any) -> None:
    sp = sub.add_parser("calendar", help="write the interviews and due follow-ups as an iCalendar (.ics) file",
                        description="Read from the state the last poll kept: no mailbox is opened. Stable "
                                    "UIDs and SEQUENCE: a calendar app subscribed to the file updates its "
                                    "events instead of duplicating them.")
    sp.add_argument("--ics", type=Path, metavar="FILE", help="the file to write (default: [calendar] ics_path)")
    sp.add_argument("--now", type=_parse_now)


def _add_run(sub: Any) -> None:
    sub.add_parser("run", help="the long-running service; stops cleanly on SIGTERM")


def _add_doctor(sub: Any) -> None:
    sp = sub.add_parser("doctor", help="check config, secret, server, folders and state; print fixes")
    sp.add_argument("--json", action="store_true", help="print the checks as a JSON array")
    sp.add_argument("--test-notify", action="store_true", help="also send one test notice by each [notify] channel")


def _add_auth(sub: Any) -> None:
    sp = sub.add_parser("auth", help="store a mailbox secret in the keyring")
    auth_sub = sp.add_subparsers(dest="auth_what", required=True, metavar="WHAT")
    gp = auth_sub.add_parser("gmail", help="Gmail API: OAuth consent; the refresh token goes to the keyring")
    gp.add_argument("--client-secrets", type=Path, required=True,
                    help="OAuth client JSON (type \"Desktop app\") from the Google Cloud console")
    gp.add_argument("--port", type=int, default=0,
                    help="loopback port for Google's redirect (default: any free port; fix it to "
                         "forward it over SSH on a headless machine)")
    auth_sub.add_parser("microsoft", help="Outlook.com / Microsoft 365 over IMAP: device-code sign-in; "
                        "the refresh token goes to the keyring or imap.token_file")
    ap = auth_sub.add_parser("imap", help="store the IMAP password in the keyring (prompts for it)")
    ap.add_argument("--stdin", action="store_true",
                    help="read the password from the first line of standard input (for scripts)")


def _add_demo(sub: Any) -> None:
    sp = sub.add_parser("demo", help="the whole job on a generated sample mailbox")
    sp.add_argument("--keep", type=Path, help="build the sample mailbox in this folder and keep it")


#: each subcommand's parser, in the order ``--help`` lists them (the steering commands after auth)
_SUBCOMMANDS: dict[str, Callable[[Any], None]] = {
    "poll": _add_poll, "status": _add_status, "explain": _add_explain, "pipeline": _add_pipeline,
    "report": _add_report, "calendar": _add_calendar, "run": _add_run, "doctor": _add_doctor,
    "auth": _add_auth, "demo": _add_demo,
}


def _parse_now(value: str) -> datetime:
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{value!r} is not an ISO 8601 time like 2026-12-02T15:00:00-05:00"
        ) from None
    if dt.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{value!r} needs a UTC offset, e.g. 2026-12-02T15:00:00-05:00")
    return dt


def _parse_day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a day like 2026-11-01") from None


def entry() -> int:
    """The ``followup-agent`` command (and ``python -m agent``): :func:`main`, in a process that
    ends when it returns.

    Python's cyclic garbage collector is off for the whole command (but for the service, which
    turns it back on: :func:`_run`). A command is one short process whose objects are freed by
    reference counting; the collector would only walk, again and again, the objects every
    import leaves behind (51 passes, 6 ms of a 0.18 s poll after new mail), and the engine
    pauses it during a poll anyway (agent/engine.py).

    Why the freeze: the interpreter's last act is a garbage collection over every object still
    alive (a poll's modules, config and store: 25,000 objects, 8 ms after a poll with nothing
    new; more after a first poll), which a process about to exit does not need. Frozen, they
    are left to the exit as they are; nothing else changes (reference counting still runs
    every finaliser as the modules are cleared). Measured: a poll with nothing new 0.167 s ->
    0.148 s, a cold poll at 20,000 messages about 0.05 s less. Neither in :func:`main`, which
    tests call in their own long-lived process."""
    import gc

    gc.disable()
    code = main()
    gc.freeze()
    return code


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = build_parser(command_of(argv)).parse_args(argv)
    from agent import logs

    # the demo and doctor print their own story: logs only for problems
    quiet = args.command in ("demo", "doctor", "auth")
    try:
        config = None if args.command in _WITHOUT_CONFIG else load_config(args.config)
        with _head_start(args, config) as ahead:
            # the service's log is its output (stdout: journald keeps it); the other commands
            # print results on stdout, so their logs go to stderr
            logs.configure(level=10 if args.debug else (30 if quiet else 20),
                           stream=sys.stdout if args.command == "run" else sys.stderr)
            return _dispatch(args, config, sys.stdout, ahead)
    except AgentError as err:
        if args.debug:
            raise
        print(f"followup-agent: {err}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        return 130


@contextmanager
def _head_start(args: argparse.Namespace, config: Config | None) -> Iterator[HeadStart | None]:
    """For a poll that leaves a record (all but a dry run): the state lock taken, then the
    mailbox opened and its fingerprint taken on a thread while logging and the poll's modules
    load (agent/backends/open.py says why). The lock comes first, as in every poll: a poll
    refused by it has not touched the mailbox. Anything else: nothing."""
    if config is None or args.command != "poll" or args.dry_run:
        yield None
        return
    from agent import logs
    from agent.backends.open import HeadStart
    from agent.store_lock import StateLock

    with StateLock(config.state.path) as lock:
        logs.hold()  # what the thread's libraries log before logging is configured waits for it
        with HeadStart(config, lock) as ahead:
            yield ahead


def _dispatch(args: argparse.Namespace, config: Config | None, out: TextIO, ahead: HeadStart | None) -> int:
    """Run the command ``args`` names; its exit status."""
    if config is None:
        return _WITHOUT_CONFIG[args.command](args, out)
    if args.command == "poll":
        return _poll(args, config, out, ahead)
    return _WITH_CONFIG[args.command](args, config, out)


def _demo(args: argparse.Namespace, out: TextIO) -> int:
    from agent.demo import run_demo

    return run_demo(out, keep=args.keep)


def _doctor(args: argparse.Namespace, out: TextIO) -> int:
    """``doctor`` checks the configuration itself: it must run when loading it fails."""
    from agent.doctor import run_doctor

    return run_doctor(args.config, out, as_json=args.json, test_notify=args.test_notify)


def _run(_args: argparse.Namespace, config: Config, _out: TextIO) -> int:
    import gc

    from agent.service import run_service

    gc.enable()  # a process that lives for weeks collects its cycles (entry() turned it off)
    return run_service(config)


def _auth(args: argparse.Namespace, config: Config, out: TextIO) -> int:
    if args.auth_what == "imap":
        return _auth_imap(config, from_stdin=args.stdin, out=out)
    if args.auth_what == "microsoft":
        from agent.microsoft_auth import run_auth as run_microsoft

        run_microsoft(config, out=out)
        return 0
    from agent.gmail_auth import run_auth

    run_auth(config, args.client_secrets, port=args.port, out=out)
    return 0


def _control(args: argparse.Namespace, config: Config, out: TextIO) -> int:
    """pause, resume, snooze, close, reopen, mark, note (agent/controls.py)."""
    from agent.controls import run_control

    return run_control(args, config, out)


def _now(args: argparse.Namespace) -> datetime:
    """``--now`` when given, else the clock."""
    return args.now or datetime.now(UTC)


def _poll(args: argparse.Namespace, config: Config, out: TextIO, ahead: HeadStart | None = None) -> int:
    from agent.app import run_poll

    result = run_poll(config, _now(args), dry_run=args.dry_run, quick=not args.full, leave_record=True,
                      ahead=ahead)
    _print_poll(result, config, args.json, out)
    return 0


def _status(args: argparse.Namespace, config: Config, out: TextIO) -> int:
    """Where each conversation stands: from a dry-run poll, or ``--cached`` from the last one."""
    from agent.app import cached_status, run_poll

    if args.cached:
        cached = cached_status(config)
        tracked, possible = cached.tracked, cached.possible
    else:
        result = run_poll(config, _now(args), dry_run=True)
        tracked, possible = result.status, result.possible
    if args.possible:
        _print_possible(possible, args.json, out)
    else:
        _print_status(tracked, args.json, out, possible=possible)
    return 0


def _explain(args: argparse.Namespace, config: Config, out: TextIO) -> int:
    from agent.app import run_poll
    from agent.explain import explain

    result = run_poll(config, _now(args), dry_run=True)
    out.write(explain(args.thread, result, config))
    return 0


def _pipeline(args: argparse.Namespace, config: Config, out: TextIO) -> int:
    """``pipeline``: the stored records as rows (agent/pipeline.py), in the format asked for."""
    from agent.app import pipeline_rows
    from agent.report_table import write_csv, write_json, write_text

    rows = pipeline_rows(config, _now(args), args.since)
    (write_json if args.json else write_csv if args.csv else write_text)(rows, out)
    return 0


def _report(args: argparse.Namespace, config: Config, out: TextIO) -> int:
    """``report``: the figures on stdout, and the HTML page when ``--html`` names a file."""
    from agent.app import pipeline_rows
    from agent.report import make_report
    from agent.report_html import render_html
    from agent.report_text import write_report

    now = _now(args)
    rep = make_report(pipeline_rows(config, now, args.since))
    write_report(rep, out)
    if args.html:
        args.html.write_text(render_html(rep, now.astimezone(config.account.tz)), encoding="utf-8")
        out.write(f"\nWrote {args.html}.\n")
    return 0


def _calendar(args: argparse.Namespace, config: Config, out: TextIO) -> int:
    """``calendar``: the .ics file (agent/calendar_export.py), written atomically when it changed."""
    from agent.app import export_calendar

    path = args.ics.expanduser() if args.ics else config.calendar.ics_path
    if path is None:
        raise AgentError("Name the file: `followup-agent calendar --ics FILE`, or set [calendar] ics_path.")
    done = export_calendar(config, path, _now(args))
    state = "Wrote" if done.written else "Unchanged:"
    out.write(f"{state} {done.path}: {done.interviews} interviews, {done.follow_ups} follow-ups due, "
              f"{done.cancelled} cancelled.\n")
    return 0


_WITHOUT_CONFIG: dict[str, Callable[[argparse.Namespace, TextIO], int]] = {
    "demo": _demo, "doctor": _doctor,
}
_WITH_CONFIG: dict[str, Callable[[argparse.Namespace, Config, TextIO], int]] = {
    "run": _run, "auth": _auth, "poll": _poll, "status": _status, "explain": _explain,
    "pipeline": _pipeline, "report": _report, "calendar": _calendar,
    **dict.fromkeys(CONTROLS, _control),
}


def _print_poll(result: PollResult, config: Config, as_json: bool, out: TextIO) -> None:
    if as_json:
        out.write(json.dumps(_poll_json(result), indent=2, default=str) + "\n")
        return
    verb = "would" if not result.applied else "did"
    if not result.plan:
        out.write(f"Nothing to do at {result.now.astimezone(config.account.tz):%Y-%m-%d %H:%M %Z}.\n")
    if result.plan:  # agent.actions only when there is something to say
        from agent.actions import describe_action

        for a in result.plan:
            out.write(f"{verb} {describe_action(a)} [{a.conversation}]: {a.reason}\n")
    _print_notices(result, config, out)


def _print_notices(result: PollResult, config: Config, out: TextIO) -> None:
    """A dry run sends no notice: it says which it would send (README: Notices)."""
    from agent.notify import notice_text

    if result.applied or not result.notices or not (config.notify.desktop or config.notify.command):
        return
    for title, message in notice_text(result.notices, config.notify.summary_above):
        out.write(f"would notify: {title}: {message}\n")


def _poll_json(result: PollResult) -> dict[str, Any]:
    """``poll --json`` (CONTRACT.md): the plan and the status."""
    actions = []
    if result.plan:  # agent.actions only when there is something to say
        from agent.actions import action_json

        actions = [action_json(a) for a in result.plan]
    return {
        "now": result.now.isoformat(),
        "dry_run": not result.applied,
        "actions": actions,
        "notices": [{**dataclasses.asdict(n), "due": n.due.isoformat() if n.due else None}
                    for n in result.notices],
        "status": result.status,
        "stats": result.stats,
    }


def _print_status(objs: list[dict[str, Any]], as_json: bool, out: TextIO,
                  possible: list[dict[str, Any]] | None = None) -> None:
    objs = sorted(objs, key=lambda o: (o["state"] != "open", o["next"]["due"] if o["next"] else "9999", o["subject"]))
    if as_json:  # CONTRACT: the array of tracked conversations, unchanged (--possible lists the others)
        out.write(json.dumps(objs, indent=2) + "\n")
        return
    write_table(objs, out)
    if possible:
        out.write("\n")
        write_possible(possible, out)


def _print_possible(objs: list[dict[str, Any]], as_json: bool, out: TextIO) -> None:
    objs = sorted(objs, key=lambda o: o["last_message"] or "", reverse=True)
    if as_json:
        out.write(json.dumps(objs, indent=2) + "\n")
        return
    if not objs:
        out.write("No conversations are waiting for your review.\n")
        return
    write_possible(objs, out)


def _auth_imap(config: Config, *, from_stdin: bool, out: TextIO) -> int:
    """``auth imap``: ask for the IMAP password (or read it from stdin), store it in the keyring."""
    from agent.secrets import keyring_backend, store_secret

    imap = config.imap
    if imap is None:
        raise AgentError("There is no [imap] section in the configuration: nothing to store a password for.")
    if not imap.username:
        raise AgentError("imap.username is not set: the keyring entry is stored under it. Set it first.")
    if imap.provider == "microsoft":
        raise AgentError("imap.provider = \"microsoft\" signs in with OAuth2, not a password: "
                         "run `followup-agent auth microsoft`.")
    backend, plaintext = keyring_backend()
    if plaintext is None:
        raise AgentError(
            f"No usable keyring on this machine ({backend}). On a desktop, log in to a session with "
            "GNOME Keyring or KWallet running; on a headless machine see README, \"Secrets\" "
            "(systemd credentials, or imap.password_command)."
        )
    if from_stdin:
        line = sys.stdin.readline()
        secret = line[:-1] if line.endswith("\n") else line
        secret = secret[:-1] if secret.endswith("\r") else secret
    else:
        import getpass

        secret = getpass.getpass(f"IMAP password for {imap.username} at {imap.host}: ")
    if not secret:
        raise AgentError("No password given: nothing was stored.")
    store_secret(imap.keyring_service, imap.username, secret)
    del secret
    out.write(f"Stored the IMAP password for {imap.username} in the keyring ({backend}, "
              f"service {imap.keyring_service!r}).\n")
    if plaintext:
        out.write("Note: this keyring backend keeps secrets unencrypted on disk (see README, \"Secrets\").\n")
    out.write("Check it with `followup-agent doctor`.\n")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
