"""Steering the agent from the command line: pause, resume, snooze, close, reopen, mark, note.

Each command names a conversation by id or by a unique part of its subject or
company (as ``status`` shows them), checks its input, and records the
correction in the state store with its time. Corrections are keyed by the
conversation's stable id, so they survive a full resync of the mailbox; the
policy reads them on every poll. Nothing is changed on any refusal.
"""

from __future__ import annotations

import argparse
import json
from datetime import UTC, date, datetime, time
from typing import Any, TextIO

from agent.config import Config
from agent.errors import AgentError

COMMANDS = ("pause", "resume", "snooze", "close", "reopen", "mark", "note")
CLOSE_REASONS = ("offer", "rejected", "withdrew", "other")


def add_parsers(sub: Any, parse_now: Any) -> None:
    """Add the steering subcommands to the CLI's subparsers."""
    def thread(sp: argparse.ArgumentParser) -> argparse.ArgumentParser:
        sp.add_argument("thread", help="conversation id, or a unique part of its subject or company")
        sp.add_argument("--now", type=parse_now, help="act as if it were this ISO 8601 time")
        return sp

    thread(sub.add_parser("pause", help="no drafts for this conversation until you resume it"))
    thread(sub.add_parser("resume", help="undo pause: the policy applies again from the mailbox"))
    sp = thread(sub.add_parser("snooze", help="nothing is drafted before DATE; then the normal policy"))
    sp.add_argument("--until", required=True, type=_date, metavar="DATE", help="YYYY-MM-DD")
    sp = thread(sub.add_parser("close", help="this conversation is over: no more drafts"))
    sp.add_argument("--reason", choices=CLOSE_REASONS, default="other")
    thread(sub.add_parser("reopen", help="undo close"))
    sp = thread(sub.add_parser("mark", help="correct what the agent read: an interview, a timeline, detection"))
    sp.add_argument("what", choices=("interviewed", "timeline", "recruiting", "not-recruiting"))
    sp.add_argument("--at", type=parse_now, help="interviewed: when it started (ISO 8601 with offset)")
    sp.add_argument("--end", type=parse_now, help="interviewed: when it ended (default: an hour later)")
    sp.add_argument("--by", type=_date, metavar="DATE", help="timeline: the decision date said (YYYY-MM-DD)")
    sp = thread(sub.add_parser("note", help="a sentence the next draft weaves in (used once)"))
    sp.add_argument("text")


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date like 2026-12-18") from None


def run_control(args: argparse.Namespace, config: Config, out: TextIO) -> int:
    """Resolve the conversation (reading the mailbox, writing nothing), check, record."""
    # here, not at the top: the CLI imports this module for its parsers on every start
    from agent.app import all_conversations, run_poll
    from agent.explain import find_conversation
    from agent.store import StateLock, Store

    now: datetime = args.now or datetime.now(UTC)
    tz = config.account.tz
    result = run_poll(config, now, dry_run=True)
    try:
        cid = find_conversation(args.thread, result.conversations, result.decisions)
        conv = result.conversations[cid]
    except AgentError:
        if not (args.command == "mark" and args.what == "recruiting"):
            raise
        # a conversation the agent passed over is the one most worth marking: look in the
        # whole mailbox (every cached message threaded once: slower, and only here)
        everything = all_conversations(config, now)
        conv = everything[find_conversation(args.thread, everything)]
        cid = conv.id
    value, kind, replace = _check(args, now, config)
    with StateLock(config.state.path), Store.open(config.state.path) as store:
        if args.command == "resume":
            store.clear_controls(cid, "pause")
        elif args.command == "reopen":
            store.clear_controls(cid, "close")
        else:
            store.put_control(cid, kind, value, at=now, replace=replace)
        if args.command in ("mark",):
            store.caches.forget_candidates()  # detection changed: re-thread on the next poll
    out.write(f"{_said(args, now.astimezone(tz))} for {cid} ({conv.subject!r}).\n")
    return 0


def _check(args: argparse.Namespace, now: datetime, config: Config) -> tuple[str, str, bool]:
    """(value, control kind, replace earlier ones) or a refusal that names the problem."""
    tz = config.account.tz
    cmd = args.command
    if cmd == "snooze":
        until: date = args.until
        if until <= now.astimezone(tz).date():
            raise AgentError(f"--until {until} is not in the future (today is {now.astimezone(tz).date()}).")
        return datetime.combine(until, time(0), tz).isoformat(), "snooze", True
    if cmd == "close":
        return args.reason, "close", True
    if cmd in ("pause", "resume", "reopen"):
        return "", cmd, True
    if cmd == "note":
        text = " ".join(args.text.split())
        if not text:
            raise AgentError("The note is empty.")
        return text, "note", True
    what = args.what
    if what == "interviewed":
        if args.at is None:
            raise AgentError("mark interviewed needs --at TIME (when the interview started).")
        if args.end is not None and args.end <= args.at:
            raise AgentError(f"--end {args.end.isoformat()} is not after --at {args.at.isoformat()}.")
        mark: dict[str, Any] = {"what": what, "start": args.at.isoformat(),
                                "end": args.end.isoformat() if args.end else None}
    elif what == "timeline":
        if args.by is None:
            raise AgentError("mark timeline needs --by DATE (the decision date they gave).")
        mark = {"what": what, "by": args.by.isoformat()}
    else:
        mark = {"what": "recruiting", "value": what == "recruiting"}
    return json.dumps(mark, sort_keys=True), "mark", False


def _said(args: argparse.Namespace, now: datetime) -> str:
    cmd = args.command
    if cmd == "snooze":
        return f"Snoozed until {args.until}"
    if cmd == "close":
        return f"Closed ({args.reason})"
    if cmd == "note":
        return "Noted; the next draft will weave it in"
    if cmd == "mark":
        return {"interviewed": f"Marked an interview at {args.at.isoformat() if args.at else ''}",
                "timeline": f"Marked a decision timeline by {args.by}",
                "recruiting": "Marked as a recruiting conversation",
                "not-recruiting": "Marked as not a recruiting conversation"}[args.what]
    return {"pause": "Paused", "resume": "Resumed", "reopen": "Reopened"}[cmd]
