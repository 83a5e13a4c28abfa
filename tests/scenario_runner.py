"""The scenario suite's engine: real mail files, the real command line, simulated times.

A scenario is a folder under ``tests/scenarios/`` holding RFC 5322 files
(``inbox/*.eml``, ``sent/*.eml``, and ``later/inbox|sent/*.eml`` that arrive
between polls) and a ``scenario.toml``:

.. code-block:: toml

    description = "one line"

    [config.account]            # optional overrides, merged into the generated config
    timezone = "Europe/Berlin"

    [[check]]
    now = "2026-12-02T15:00:00-05:00"
    deliver = ["later/inbox/reply.eml"]     # arrives just before this poll
    delete_draft = "follow_up_1"            # user actions on the agent's drafts, before the poll
    edit_draft = "thank_you"                # edit_style = "client" (headers kept) | "webmail"
    send_draft = "thank_you"                # send_at = ISO time (default: now); send_style =
                                            # "client" (new Message-ID, our header dropped) | "mutt"
                                            # (every header kept, Message-ID included)
    expect_state = "open"
    expect_next_kind = "follow_up_1"        # or "none"
    expect_due = "2026-12-08T09:00:00-05:00"
    expect_to = "person@company.com"        # "" means null
    expect_drafts = ["thank_you"]           # steps in Drafts ("user" = a draft without our marker)
    expect_draft_contains = ["end of the month"]
    expect_tracked = false                  # noise: the conversation must not appear at all

Everything mailbox-specific sits behind :class:`Harness`, so the same
scenarios can run against a Maildir (here) or an IMAP server: a harness only
delivers bytes into INBOX/Sent, lists, adds and deletes drafts, and says what
the ``[mailbox]`` part of the config is.
"""

from __future__ import annotations

import email
import email.policy
import json
import os
import re
import subprocess
import sys
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses
from pathlib import Path
from typing import Any, Protocol

SCENARIOS = Path(__file__).parent / "scenarios"
REPO = Path(__file__).resolve().parent.parent

USER_NAME = "Jordan Lee"
USER = "jordan.lee@gmail.com"
STEPS = ("thank_you", "follow_up_1", "follow_up_2")
MAX_WORDS = 130
# A follow-up gives the company's timeline as its reason; it never complains about silence.
FORBIDDEN = (
    "haven't heard", "have not heard", "no response", "no reply", "not heard back",
    "still waiting", "didn't hear", "did not hear", "never heard", "ignored", "chasing",
)
MARKER = "X-Followup-Agent"

_CHECK_KEYS = {
    "now", "deliver", "delete_draft", "edit_draft", "edit_style", "send_draft", "send_at", "send_style",
    "expect_tracked", "expect_state", "expect_next_kind", "expect_due", "expect_to",
    "expect_drafts", "expect_draft_contains", "expect_draft_not_contains", "expect_unusable", "expect_reason_contains",
    "expect_company", "expect_in_reply_to", "note",
}


# --- the scenario file -------------------------------------------------------------------


@dataclass(frozen=True)
class Check:
    now: str
    deliver: tuple[str, ...] = ()
    delete_draft: str | None = None
    edit_draft: str | None = None
    edit_style: str = "client"
    send_draft: str | None = None
    send_at: str | None = None
    send_style: str = "client"
    expect: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Scenario:
    name: str
    path: Path
    description: str
    config: Mapping[str, Mapping[str, Any]]
    checks: tuple[Check, ...]

    @property
    def tracked(self) -> bool:
        return all(c.expect.get("expect_tracked", True) for c in self.checks)


def scenario_names() -> list[str]:
    return sorted(p.name for p in SCENARIOS.iterdir() if (p / "scenario.toml").is_file())


def load_scenario(name: str) -> Scenario:
    path = SCENARIOS / name
    doc = tomllib.loads((path / "scenario.toml").read_text(encoding="utf-8"))
    unknown = set(doc) - {"description", "config", "check"}
    assert not unknown, f"{name}: unknown top-level keys {unknown}"
    checks = []
    for i, raw in enumerate(doc.get("check", [])):
        bad = set(raw) - _CHECK_KEYS
        assert not bad, f"{name}: check {i} has unknown keys {bad}"
        datetime.fromisoformat(raw["now"])  # must parse, with an offset
        checks.append(Check(
            now=raw["now"],
            deliver=tuple(raw.get("deliver", ())),
            delete_draft=raw.get("delete_draft"),
            edit_draft=raw.get("edit_draft"),
            edit_style=raw.get("edit_style", "client"),
            send_draft=raw.get("send_draft"),
            send_at=raw.get("send_at"),
            send_style=raw.get("send_style", "client"),
            expect={k: v for k, v in raw.items() if k.startswith("expect_")},
        ))
    assert checks, f"{name}: no [[check]]"
    return Scenario(name, path, doc["description"], doc.get("config", {}), tuple(checks))


# --- the mailbox, behind a small interface -----------------------------------------------


class Harness(Protocol):
    """What the runner needs from a mail store."""

    def deliver(self, folder: str, data: bytes) -> None:
        """Put one message into ``"inbox"`` or ``"sent"``, as a delivery agent or client would."""

    def drafts(self) -> list[tuple[str, bytes]]:
        """The drafts that exist now, as (id, bytes)."""

    def add_draft(self, data: bytes) -> None:
        """Save a draft, as a mail client does when the user saves an edit."""

    def delete_draft(self, draft_id: str) -> None:
        """Remove one draft."""

    def config_sections(self) -> dict[str, dict[str, Any]]:
        """The ``[mailbox]`` section and the backend's own section of config.toml."""


class MaildirHarness:
    """A fresh Maildir tree (INBOX, Sent, Drafts with cur/new/tmp) under ``root``."""

    def __init__(self, root: Path) -> None:
        from agent.samples import make_maildir

        self.root = root
        self.folders = {n: make_maildir(root / "Mail" / d)
                        for n, d in (("inbox", "INBOX"), ("sent", "Sent"), ("drafts", "Drafts"))}
        self._n = 0

    def deliver(self, folder: str, data: bytes) -> None:
        from agent.samples import deliver

        self._n += 1
        deliver(self.folders[folder], data, seen=folder == "sent" or self._n % 2 == 0,
                name=f"scenario{self._n:04d}")

    def drafts(self) -> list[tuple[str, bytes]]:
        out = []
        for sub in ("cur", "new"):
            for p in sorted((self.folders["drafts"] / sub).iterdir()):
                if sub == "cur":
                    flags = p.name.rpartition(":2,")[2]
                    assert "D" in flags, f"a draft without the Maildir D flag: {p.name}"
                out.append((str(p), p.read_bytes()))
        return out

    def add_draft(self, data: bytes) -> None:
        self._n += 1
        d = self.folders["drafts"]
        tmp = d / "tmp" / f"user{self._n:04d}.edit"
        tmp.write_bytes(data)
        tmp.rename(d / "cur" / f"user{self._n:04d}.edit:2,DS")

    def delete_draft(self, draft_id: str) -> None:
        Path(draft_id).unlink()

    def config_sections(self) -> dict[str, dict[str, Any]]:
        return {
            "mailbox": {"backend": "maildir"},
            "maildir": {k: str(v) for k, v in self.folders.items()},
        }


# --- config and the command line ---------------------------------------------------------


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, list | tuple):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    raise TypeError(f"cannot write {v!r} as TOML")


def write_config(path: Path, harness: Harness, state: Path,
                 overrides: Mapping[str, Mapping[str, Any]]) -> Path:
    sections: dict[str, dict[str, Any]] = {
        "account": {"name": USER_NAME, "addresses": [USER], "timezone": "America/New_York"},
        **harness.config_sections(),
        "schedule": {"holidays": "US"},
        "state": {"path": str(state)},
    }
    for name, values in overrides.items():
        sections.setdefault(name, {}).update(values)
    lines = []
    for name, values in sections.items():
        lines.append(f"[{name}]")
        lines.extend(f"{k} = {_toml_value(v)}" for k, v in values.items())
        lines.append("")
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def run_cli(config: Path, *args: str) -> str:
    """The real command line in a subprocess; returns stdout, fails on any error.

    ``SCENARIO_AGENT_ROOT`` names another folder holding an ``agent/`` package to
    run instead of this checkout's (an installed build, a snapshot).
    """
    root = os.environ.get("SCENARIO_AGENT_ROOT") or str(REPO)
    env = {**os.environ, "PYTHONPATH": root}
    proc = subprocess.run(
        [sys.executable, "-m", "agent", "--config", str(config), *args],
        capture_output=True, text=True, timeout=60, cwd=root, env=env, check=False,
    )
    assert proc.returncode == 0, f"followup-agent {' '.join(args)} exited {proc.returncode}:\n{proc.stderr}"
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc.stdout


def run_cli_in_process(config: Path, *args: str) -> str:
    """The same command line, parsed and dispatched by ``agent.cli.main`` in this process.

    The Maildir suite runs every scenario through a real subprocess; the suites that
    repeat it on other backends (Dovecot, the Gmail stand-in) use this to spare the
    interpreter start-up of every call, which would otherwise dominate ``make test``.
    """
    import contextlib
    import io

    from agent.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["--config", str(config), *args])
    assert code == 0, f"followup-agent {' '.join(args)} exited {code}:\n{err.getvalue()}"
    assert "Traceback" not in err.getvalue(), err.getvalue()
    return out.getvalue()


# --- drafts --------------------------------------------------------------------------------


def parse(data: bytes) -> EmailMessage:
    msg = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(msg, EmailMessage)
    return msg


def marker(msg: EmailMessage) -> dict[str, str]:
    value = msg.get(MARKER)
    if value is None:
        return {}
    out = {}
    for part in str(value).split(";"):
        k, _, v = part.strip().partition("=")
        if k:
            out[k] = v
    return out


def body_text(msg: EmailMessage) -> str:
    part = msg.get_body(("plain",))
    assert part is not None, "a draft without a text/plain body"
    content = part.get_content()
    assert isinstance(content, str)
    return content


def _ids(value: str | None) -> list[str]:
    return re.findall(r"<[^<>\s]+>", value or "")


def _strip_prefixes(subject: str) -> str:
    return re.sub(r"^(?:\s*(?:re|fwd?|aw)\s*:\s*)+", "", subject, flags=re.I).strip()


@dataclass
class _Run:
    scenario: Scenario
    harness: Harness
    config: Path
    known_ids: set[str] = field(default_factory=set)  # Message-IDs of every delivered message
    edited: set[str] = field(default_factory=set)  # Message-IDs of drafts the user edited
    sent_count: int = 0


def _deliver_file(run: _Run, rel: str) -> None:
    path = run.scenario.path / rel
    parts = Path(rel).parts
    folder = "sent" if "sent" in parts else "inbox"
    assert "sent" in parts or "inbox" in parts, f"{rel}: put it under inbox/ or sent/"
    data = path.read_bytes()
    run.known_ids.update(_ids(parse(data).get("Message-ID")))
    run.harness.deliver(folder, data)


def _agent_draft(run: _Run, step: str) -> tuple[str, bytes]:
    found = [(i, d) for i, d in run.harness.drafts() if marker(parse(d)).get("step") == step]
    assert len(found) == 1, f"expected one agent draft for {step}, found {len(found)}"
    return found[0]


def _edit(run: _Run, step: str, style: str) -> None:
    draft_id, data = _agent_draft(run, step)
    msg = parse(data)
    text = body_text(msg)
    lines = text.splitlines()
    lines.insert(2, "P.S. I read about the new product launch this week; congratulations to the team!\n")
    new = EmailMessage(policy=email.policy.SMTP)
    for k, v in msg.items():
        if k.lower() in ("content-type", "content-transfer-encoding", "mime-version"):
            continue
        if style == "webmail" and k.lower() in (MARKER.lower(), "message-id"):
            continue  # web mail re-creates the draft: its own Message-ID, no unknown headers
        new[k] = v
    if style == "webmail":
        new["Message-ID"] = f"<webmail.{run.scenario.name}.{step}@mail.gmail.com>"
    new.set_content("\n".join(lines) + "\n")
    run.edited.update(_ids(new.get("Message-ID")))
    run.harness.delete_draft(draft_id)  # an IMAP client saves an edit as a new message
    run.harness.add_draft(new.as_bytes())


def _send(run: _Run, step: str, at: datetime, style: str) -> None:
    draft_id, data = _agent_draft(run, step)
    msg = parse(data)
    sent = EmailMessage(policy=email.policy.SMTP)
    dropped = ["date", "content-type", "content-transfer-encoding", "mime-version"]
    if style == "client":
        dropped += [MARKER.lower(), "message-id"]
    for k, v in msg.items():
        if k.lower() not in dropped:
            sent[k] = v
    run.sent_count += 1
    mid = f"<sent.{run.scenario.name}.{run.sent_count}@mail.gmail.com>"
    if style != "client":
        mid = str(msg["Message-ID"])
        del sent["Message-ID"]
    sent["Date"] = format_datetime(at)
    sent["Message-ID"] = mid
    sent.set_content(body_text(msg))
    run.known_ids.add(mid)
    run.harness.deliver("sent", sent.as_bytes())
    run.harness.delete_draft(draft_id)


def _check_draft(run: _Run, conv: Mapping[str, Any], msg: EmailMessage, check: Check) -> None:
    e = check.expect
    where = f"{run.scenario.name} @ {check.now}: draft {msg.get('Message-ID')}"
    mk = marker(msg)
    assert mk.get("step") in STEPS, where
    assert mk.get("conversation") == conv["thread"], f"{where}: marker {mk} is not for {conv['thread']}"
    # threading
    irt = _ids(msg.get("In-Reply-To"))
    refs = _ids(msg.get("References"))
    assert len(irt) == 1, f"{where}: In-Reply-To {msg.get('In-Reply-To')!r}"
    assert irt[0] in run.known_ids, f"{where}: In-Reply-To {irt[0]} is not a message of the scenario"
    assert refs and refs[-1] == irt[0], f"{where}: References {refs} do not end with {irt[0]}"
    assert len(refs) == len(set(refs)), f"{where}: duplicate References"
    if "expect_in_reply_to" in e:
        assert irt[0] == f"<{e['expect_in_reply_to']}>", f"{where}: replies to {irt[0]}"
    subject = str(msg.get("Subject", ""))
    assert subject.startswith("Re: "), f"{where}: subject {subject!r}"
    assert not re.match(r"^re:\s*(re|fwd?|aw)\s*:", subject, re.I), f"{where}: stacked prefixes {subject!r}"
    assert _strip_prefixes(subject) == conv["subject"], f"{where}: {subject!r} vs {conv['subject']!r}"
    assert msg.get("Date"), f"{where}: no Date"
    # people
    frm = [a for _, a in getaddresses([str(msg.get("From", ""))])]
    assert [a.lower() for a in frm] == [USER], f"{where}: From {frm}"
    to = [a.lower() for _, a in getaddresses([str(msg.get("To", ""))])]
    nxt = conv["next"]
    if nxt is not None and nxt["kind"] == mk["step"]:
        assert to == [nxt["to"]], f"{where}: To {to}, status says {nxt['to']}"
    if e.get("expect_to") and (nxt is None or nxt["kind"] == mk["step"]):
        assert to == [e["expect_to"]], f"{where}: To {to}, expected {e['expect_to']}"
    # words
    text = body_text(msg)
    words = len(re.findall(r"\b\w[\w'’-]*\b", text))
    assert words <= MAX_WORDS, f"{where}: {words} words:\n{text}"
    low = text.lower().replace("’", "'")
    for bad in FORBIDDEN:
        assert bad not in low, f"{where}: says {bad!r}:\n{text}"
    assert "$" not in text, f"{where}: an unfilled template placeholder:\n{text}"
    assert USER_NAME in text, f"{where}: not signed:\n{text}"
    for phrase in e.get("expect_draft_contains", ()):
        assert phrase.lower() in low, f"{where}: {phrase!r} missing:\n{text}"
    for phrase in e.get("expect_draft_not_contains", ()):
        assert phrase.lower() not in low, f"{where}: {phrase!r} should not be there:\n{text}"


def _verify(run: _Run, check: Check, status: list[dict[str, Any]]) -> None:
    e = check.expect
    where = f"{run.scenario.name} @ {check.now}"
    drafts = [parse(d) for _, d in run.harness.drafts()]
    if not e.get("expect_tracked", True):
        assert status == [], f"{where}: noise is tracked: {json.dumps(status, indent=1)}"
        assert drafts == [], f"{where}: drafts for noise"
        return
    assert len(status) == 1, f"{where}: {len(status)} conversations: {json.dumps(status, indent=1)}"
    conv = status[0]
    info = f"{where}: {json.dumps(conv, indent=1)}"
    if "expect_state" in e:
        assert conv["state"] == e["expect_state"], info
    nxt = conv["next"]
    if "expect_next_kind" in e:
        if e["expect_next_kind"] == "none":
            assert nxt is None, info
        else:
            assert nxt is not None and nxt["kind"] == e["expect_next_kind"], info
    if "expect_due" in e:
        assert nxt is not None and nxt["due"] == e["expect_due"], info
    if "expect_to" in e:
        assert nxt is not None, info
        assert nxt["to"] == (e["expect_to"] or None), info
    if "expect_unusable" in e:
        assert sorted(conv.get("unusable_addresses", [])) == sorted(e["expect_unusable"]), info
    if "expect_company" in e:
        assert conv["company"] == e["expect_company"], info
    for phrase in e.get("expect_reason_contains", ()):
        assert phrase.lower() in conv["reason"].lower(), info
    if "expect_drafts" in e:
        steps = sorted(marker(m).get("step", "user") for m in drafts)
        assert steps == sorted(e["expect_drafts"]), f"{where}: drafts {steps}; {info}"
    for m in drafts:
        mids = set(_ids(m.get("Message-ID")))
        if not marker(m) or mids & run.edited:
            continue  # the user's own words: not ours to judge
        _check_draft(run, conv, m, check)


def run_scenario(scenario: Scenario, harness: Harness, workdir: Path,
                 cli: Callable[..., str] = run_cli) -> None:
    """Deliver the scenario's mail, then poll and check at each simulated time."""
    config = write_config(workdir / "config.toml", harness, workdir / "state" / "state.db",
                          scenario.config)
    run = _Run(scenario, harness, config)
    for folder in ("inbox", "sent"):
        d = scenario.path / folder
        for f in sorted(d.glob("*.eml")) if d.is_dir() else ():
            _deliver_file(run, f"{folder}/{f.name}")
    for check in scenario.checks:
        now = datetime.fromisoformat(check.now)
        if check.delete_draft:
            draft_id, _ = _agent_draft(run, check.delete_draft)
            harness.delete_draft(draft_id)
        if check.edit_draft:
            _edit(run, check.edit_draft, check.edit_style)
        if check.send_draft:
            _send(run, check.send_draft, datetime.fromisoformat(check.send_at or check.now),
                  check.send_style)
        for rel in check.deliver:
            _deliver_file(run, rel)
        cli(config, "poll", "--once", "--now", now.isoformat())
        status = json.loads(cli(config, "status", "--json", "--now", now.isoformat()))
        assert isinstance(status, list)
        _verify(run, check, status)
