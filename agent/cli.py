"""The ``followup-agent`` command: argument parsing, one error handler, output.

Every user-facing failure is an :class:`~agent.errors.AgentError`; ``main``
turns it into one paragraph on stderr and a non-zero exit status (a traceback
only with ``--debug``). The commands only call the engine.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from agent import __version__
from agent.backends.base import Mailbox
from agent.config import Config, load_config
from agent.errors import AgentError


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="followup-agent",
        description="Drafts polite, well-timed follow-ups for job-search conversations. Never sends.",
    )
    p.add_argument("--config", type=Path, help="config file (default: $XDG_CONFIG_HOME/followup-agent/config.toml)")
    p.add_argument("--debug", action="store_true", help="show tracebacks and debug logs")
    p.add_argument("--version", action="version", version=f"followup-agent {__version__}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    sp = sub.add_parser("poll", help="one cycle: read, decide, create due drafts, withdraw stale ones")
    sp.add_argument("--once", action="store_true", help="run one cycle and exit (the only mode)")
    sp.add_argument("--dry-run", action="store_true", help="decide and report; write nothing anywhere")
    sp.add_argument("--now", type=_parse_now, help="act as if it were this ISO 8601 time (with offset)")
    sp.add_argument("--json", action="store_true", help="print the plan and the status as JSON")

    sp = sub.add_parser("status", help="every tracked conversation, where it stands, what is owed next")
    sp.add_argument("--json", action="store_true")
    sp.add_argument("--now", type=_parse_now)
    sp.add_argument("--cached", action="store_true", help="the last poll's view, without connecting")
    sp.add_argument("--possible", action="store_true",
                    help="conversations that might be your job search but are not tracked, and how to settle each")

    sp = sub.add_parser("explain", help="the evidence and rules behind one conversation")
    sp.add_argument("thread", help="conversation id, or a unique part of its subject or company")
    sp.add_argument("--now", type=_parse_now)

    sub.add_parser("run", help="the long-running service; stops cleanly on SIGTERM")

    sp = sub.add_parser("doctor", help="check config, secret, server, folders and state; print fixes")
    sp.add_argument("--json", action="store_true", help="print the checks as a JSON array")

    sp = sub.add_parser("auth", help="store a mailbox secret in the keyring")
    auth_sub = sp.add_subparsers(dest="auth_what", required=True, metavar="WHAT")
    gp = auth_sub.add_parser("gmail", help="Gmail API: OAuth consent; the refresh token goes to the keyring")
    gp.add_argument("--client-secrets", type=Path, required=True,
                    help="OAuth client JSON (type \"Desktop app\") from the Google Cloud console")
    gp.add_argument("--port", type=int, default=0,
                    help="loopback port for Google's redirect (default: any free port; fix it to "
                         "forward it over SSH on a headless machine)")
    ap = auth_sub.add_parser("imap", help="store the IMAP password in the keyring (prompts for it)")
    ap.add_argument("--stdin", action="store_true",
                    help="read the password from the first line of standard input (for scripts)")

    from agent.controls import add_parsers

    add_parsers(sub, _parse_now)

    sp = sub.add_parser("demo", help="the whole job on a generated sample mailbox")
    sp.add_argument("--keep", type=Path, help="build the sample mailbox in this folder and keep it")
    return p


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


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    from agent import logs

    # the demo and doctor print their own story: logs only for problems
    quiet = args.command in ("demo", "doctor", "auth")
    # the service's log is its output (stdout: journald keeps it); the other commands print
    # results on stdout, so their logs go to stderr
    logs.configure(level=10 if args.debug else (30 if quiet else 20),
                   stream=sys.stdout if args.command == "run" else sys.stderr)
    try:
        return _dispatch(args, sys.stdout)
    except AgentError as err:
        if args.debug:
            raise
        print(f"followup-agent: {err}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        return 130


def _dispatch(args: argparse.Namespace, out: TextIO) -> int:
    if args.command == "demo":
        from agent.demo import run_demo

        return run_demo(out, keep=args.keep)
    if args.command == "doctor":
        from agent.doctor import run_doctor

        return run_doctor(args.config, out, as_json=args.json)
    config = load_config(args.config)
    if args.command == "auth" and args.auth_what == "gmail":
        from agent.gmail_auth import run_auth

        run_auth(config, args.client_secrets, port=args.port, out=out)
        return 0
    if args.command == "run":
        from agent.service import run_service

        return run_service(config)
    if args.command == "auth":
        return _auth_imap(config, from_stdin=args.stdin, out=out)
    from agent.controls import COMMANDS, run_control

    if args.command in COMMANDS:
        return run_control(args, config, out)
    now = getattr(args, "now", None) or datetime.now(UTC)
    if args.command == "status" and args.cached:
        return _status_cached(config, args.json, out, possible=args.possible)
    dry = args.command in ("status", "explain") or bool(getattr(args, "dry_run", False))
    result = run_poll(config, now, dry_run=dry)
    if args.command == "poll":
        _print_poll(result, config, args.json, out)
    elif args.command == "status" and args.possible:
        _print_possible(result.possible, args.json, out)
    elif args.command == "status":
        _print_status(result.status, args.json, out, possible=result.possible)
    elif args.command == "explain":
        from agent.explain import explain

        out.write(explain(args.thread, result, config))
    return 0


@contextmanager
def open_mailbox(config: Config) -> Iterator[Mailbox]:
    mailbox: Mailbox
    if config.backend == "maildir":
        from agent.backends.maildir import MaildirMailbox

        mailbox = MaildirMailbox.from_config(config.maildir)  # type: ignore[arg-type]
    elif config.backend == "imap":
        from agent.backends.imap import ImapMailbox

        mailbox = ImapMailbox.from_config(config)
    else:
        from agent.backends.gmail import GmailMailbox

        mailbox = GmailMailbox.from_config(config)
    try:
        yield mailbox
    finally:
        mailbox.close()


def run_poll(config: Config, now: datetime, *, dry_run: bool, lock: Any = None) -> Any:
    """Lock, open state and mailbox, poll once, log the plan.

    ``lock``: a :class:`~agent.store.StateLock` the caller already holds (the
    service holds it for its lifetime; taking a second one in the same process
    would be refused by ``flock``). Without it a real poll takes the lock and
    is refused while another process holds it. A dry run writes nothing and
    reads the database through SQLite's consistent backup, so when the
    service holds the lock it goes on without it: ``status`` and ``explain``
    keep working while the service runs.
    """
    from agent import engine
    from agent.errors import StateLockedError
    from agent.logs import get_logger
    from agent.store import StateLock, Store

    log = get_logger()
    held: Any
    if lock is not None and lock.held:
        held = nullcontext(lock)
    else:
        held = StateLock(config.state.path, create=not dry_run)
        if dry_run:
            try:
                held.acquire()
            except StateLockedError:
                log.debug("state_locked_reading_anyway", lock=str(held.path))
                held = nullcontext(None)
    with held, \
            Store.open(config.state.path, readonly_dry_run=dry_run) as store, \
            open_mailbox(config) as mailbox:
        result = engine.poll(config, mailbox, store, now, dry_run=dry_run)
    for a in result.plan:
        log.info("plan", action=a.kind, conversation=a.conversation, step=a.step, to=a.to,
                 reason=a.reason, dry_run=dry_run)
    created = sum(a.kind == "create" for a in result.plan)
    withdrawn = sum(a.kind == "withdraw" for a in result.plan)
    log.info("poll", dry_run=dry_run, tracked=len(result.decisions), drafts_created=created,
             drafts_withdrawn=withdrawn, **result.stats)
    if "label_error" in result.stats:
        log.warning("labels_not_updated", error=result.stats["label_error"])
    return result


def _print_poll(result: Any, config: Config, as_json: bool, out: TextIO) -> None:

    if as_json:
        doc = {
            "now": result.now.isoformat(),
            "dry_run": not result.applied,
            "actions": [
                {"action": a.kind, "thread": a.conversation, "step": a.step, "to": a.to,
                 "reason": a.reason, "message_id": a.draft.message_id if a.draft else None}
                for a in result.plan
            ],
            "status": result.status,
            "stats": result.stats,
        }
        out.write(json.dumps(doc, indent=2, default=str) + "\n")
        return
    verb = "would" if not result.applied else "did"
    if not result.plan:
        out.write(f"Nothing to do at {result.now.astimezone(config.account.tz):%Y-%m-%d %H:%M %Z}.\n")
    for a in result.plan:
        what = {"create": f"create a {a.step} draft to {a.to}", "withdraw": f"withdraw the {a.step} draft",
                "adopt": f"adopt the existing {a.step} draft", "record": f"note that {a.reason}"}[a.kind]
        out.write(f"{verb} {what} [{a.conversation}]: {a.reason}\n")


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


def write_possible(objs: list[dict[str, Any]], out: TextIO) -> None:
    """The review queue: each unsure conversation, why, and the two commands that settle it."""
    out.write(f"Possible, not tracked ({len(objs)}): no drafts until you say which they are.\n")
    for o in objs:
        when = (o.get("last_message") or "")[:10] or "undated"
        out.write(f"  {o['thread']}  {when}  {(o['company'] or '?')[:24]}  {o['subject'][:60]}\n")
        out.write(f"    why: {o['reason']}\n")
        out.write(f"    settle: {o['settle'][0]}   or   {o['settle'][1]}\n")


def write_table(objs: list[dict[str, Any]], out: TextIO) -> None:
    if not objs:
        out.write("No recruiting conversations found.\n")
        return
    rows = [("THREAD", "COMPANY", "STATE", "NEXT", "DUE", "TO")]
    for o in objs:
        n = o["next"] or {}
        state = o["state"] + (f" (snoozed to {o['snoozed_until'][:10]})" if o.get("snoozed_until") else "")
        rows.append((o["thread"], (o["company"] or "?")[:24], state, n.get("kind", "-"),
                     n.get("due", "-")[:16].replace("T", " "), n.get("to") or "-"))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for i, r in enumerate(rows):
        out.write("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() + "\n")
        if i:
            out.write(f"    {objs[i - 1]['subject'][:70]} — {objs[i - 1]['reason']}\n")


def _status_cached(config: Config, as_json: bool, out: TextIO, *, possible: bool = False) -> int:
    from agent.store import Store

    if not config.state.path.exists():
        raise AgentError(f"No state at {config.state.path} yet: run `followup-agent poll --once` first.")
    with Store.open(config.state.path, readonly_dry_run=True) as store:
        snap = store.load_snapshot()
    if snap is None:
        raise AgentError("No poll has completed yet: run `followup-agent poll --once` first.")
    tracked, unsure = list(snap.tracked), list(snap.possible)
    if possible:
        _print_possible(unsure, as_json, out)
    else:
        _print_status(tracked, as_json, out, possible=unsure)
    return 0


def _auth_imap(config: Config, *, from_stdin: bool, out: TextIO) -> int:
    """``auth imap``: ask for the IMAP password (or read it from stdin), store it in the keyring."""
    from agent.secrets import keyring_backend, store_secret

    imap = config.imap
    if imap is None:
        raise AgentError("There is no [imap] section in the configuration: nothing to store a password for.")
    if not imap.username:
        raise AgentError("imap.username is not set: the keyring entry is stored under it. Set it first.")
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
