"""Real calendar invitations from other projects' test suites, and how the agent reads them.

The corpus is ``tests/corpus/invitations/`` (sources and licences in its
SOURCES.md); ``expectations.toml`` there says, per event, what must be read:
the method, the UID, start and end in UTC, whether it cancels, whether it is
an invitation at all (an attendee's REPLY or COUNTER is not), or that the
event is unreadable (a broken DTSTART) and must yield nothing.

Files that are whole messages (``.eml``) go to the parser as they are. A bare
``.ics`` is wrapped by :func:`wrap` in the message a calendar server would
send: one ``text/calendar`` part with the calendar's METHOD, the calendar's
bytes carried base64 so they reach the parser unchanged. The harness adds no
threading headers to the invitation itself; :func:`conversation` places it
after the user's message by the conversation's order (the scenario the issue
describes: the user writes, the company invites).

:func:`measure` is shared by tests/test_real_invitations.py and
bench/real_invitations.py: an event is *read right* when every field its
expectation names matches what the agent reads on arrival.
"""

from __future__ import annotations

import base64
import dataclasses
import re
import tomllib
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

from agent.mail.parse import parse_message
from agent.model import Address, CalendarEvent, Conversation, Message, RawMessage
from agent.signals import events as E
from tests.helpers import ME, make_config

CORPUS = Path(__file__).resolve().parent / "corpus" / "invitations"
CONFIG = make_config()
SENDER = "recruiter@hiring.example.com"
#: when the invitation arrives in the conversation (the user wrote a day before)
ARRIVED = datetime(2026, 11, 3, 15, 0, tzinfo=UTC)
_METHOD = re.compile(rb"^METHOD:\s*([A-Za-z-]+)", re.M)


@dataclass(frozen=True)
class Expected:
    """What one event of one corpus file must be read as."""

    file: str
    uid: str
    method: str | None
    readable: bool
    start: datetime | None
    end: datetime | None
    cancelled: bool
    invitation: bool
    note: str

    @property
    def key(self) -> str:
        return f"{self.file}#{self.uid}@{self.start.isoformat() if self.start else 'unreadable'}"


@dataclass(frozen=True)
class Miss:
    key: str
    reason: str


@dataclass(frozen=True)
class Measured:
    """The figures: events in the corpus, events read right, and each miss with why."""

    total: int
    right: int
    misses: tuple[Miss, ...]
    files: int

    @property
    def share(self) -> float:
        return self.right / self.total if self.total else 0.0


def _utc(value: object) -> datetime | None:
    if value is None or value == "":
        return None
    assert isinstance(value, str), value
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


@cache
def expectations() -> tuple[Expected, ...]:
    data = tomllib.loads((CORPUS / "expectations.toml").read_text(encoding="utf-8"))
    return tuple(
        Expected(
            file=e["file"], uid=e.get("uid", ""), method=e.get("method"),
            readable=e.get("readable", True), start=_utc(e.get("start")), end=_utc(e.get("end")),
            cancelled=e.get("cancelled", False), invitation=e.get("invitation", True), note=e.get("note", ""),
        )
        for e in data["event"]
    )


def corpus_files() -> tuple[str, ...]:
    return tuple(sorted(p.name for p in CORPUS.iterdir() if p.suffix in (".ics", ".eml")))


def wrap(ics: bytes, name: str) -> bytes:
    """A bare calendar as the message that carries it (base64, so its bytes arrive unchanged)."""
    found = _METHOD.search(ics)
    method = f"; method={found.group(1).decode().upper()}" if found else ""
    body = base64.encodebytes(ics).decode("ascii")
    return (
        f"From: Hiring Team <{SENDER}>\r\nTo: {ME}\r\nSubject: Invitation: interview\r\n"
        f"Date: {ARRIVED.strftime('%a, %d %b %Y %H:%M:%S +0000')}\r\n"
        f"Message-ID: <{name}@corpus.example.com>\r\nMIME-Version: 1.0\r\n"
        f"Content-Type: text/calendar; charset=utf-8{method}\r\nContent-Transfer-Encoding: base64\r\n"
        f"\r\n{body}"
    ).encode("ascii")


@cache
def message(name: str) -> Message:
    """The corpus file ``name`` as the agent's parser reads it."""
    data = (CORPUS / name).read_bytes()
    if name.endswith(".ics"):
        data = wrap(data, name)
    return parse_message(RawMessage(f"corpus-{name}", "inbox", data), default_tz=CONFIG.account.tz.key)


def conversation(name: str) -> Conversation:
    """The user's message first, then the real invitation, dated a day later (whatever its own Date)."""
    invite = message(name)
    invite = dataclasses.replace(invite, date=ARRIVED, from_=invite.from_ or Address(SENDER))
    user = Message(
        id="user-1", folder="sent", message_id="<user-1@corpus.example.com>", subject="Application",
        from_=Address(ME), to=(invite.from_,), date=ARRIVED.replace(day=2), text="I applied for the role.",
    )
    return Conversation(f"c-{name}", (user, invite))


def _found(exp: Expected, events: tuple[CalendarEvent, ...]) -> CalendarEvent | None:
    same = [ev for ev in events if (ev.uid or "") == exp.uid and exp.method in (None, ev.method)]
    return next((ev for ev in same if ev.start == exp.start), same[0] if len(same) == 1 else None)


def judge(exp: Expected) -> str | None:
    """None when the agent reads ``exp`` right; else what it read wrong."""
    events = message(exp.file).calendar
    if not exp.readable:
        good = {e.start for e in expectations() if e.file == exp.file and e.uid == exp.uid and e.readable}
        bad = [ev for ev in events if (ev.uid or "") == exp.uid and ev.start not in good]
        return f"read an unreadable event as starting {bad[0].start.isoformat()}" if bad else None
    if exp.start is None:  # a cancellation naming only the UID
        hit = any(ev.uid == exp.uid and E.cancels(ev) for ev in events)
        return None if hit else "cancellation without DTSTART not read"
    ev = _found(exp, events)
    if ev is None:
        return f"event not read (read: {[(e.uid, e.start.isoformat()) for e in events]})"
    return _compare(exp, ev)


def _compare(exp: Expected, ev: CalendarEvent) -> str | None:
    wrong = []
    if ev.start != exp.start:
        wrong.append(f"start {ev.start.isoformat()} != {exp.start}")
    if ev.end != exp.end:
        wrong.append(f"end {ev.end.isoformat() if ev.end else None} != {exp.end}")
    if E.cancels(ev) != exp.cancelled:
        wrong.append(f"cancelled {E.cancels(ev)} != {exp.cancelled}")
    if E.schedules(ev) != exp.invitation:
        wrong.append(f"invitation {E.schedules(ev)} != {exp.invitation}")
    return "; ".join(wrong) or None


def measure() -> Measured:
    """Every expected event judged; the misses with what was read wrong."""
    exps = expectations()
    misses = tuple(Miss(e.key, r) for e in exps if (r := judge(e)) is not None)
    return Measured(total=len(exps), right=len(exps) - len(misses), misses=misses,
                    files=len({e.file for e in exps}))


def facts(name: str) -> list[object]:
    """The facts the agent takes from the conversation built around ``name``."""
    return list(E.extract_facts(conversation(name), CONFIG))
