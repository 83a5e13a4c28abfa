"""Shared test helpers: a config, messages and conversations built in a line."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from email.parser import BytesHeaderParser
from email.policy import default as default_policy
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from agent.config import Config, parse_config
from agent.model import Address, Conversation, Message, RawMessage

NY = ZoneInfo("America/New_York")
ME = "jordan.lee@gmail.com"


def t(month: int, day: int, hour: int = 12, minute: int = 0, year: int = 2026) -> datetime:
    """A time in New York (the test user's zone)."""
    return datetime(year, month, day, hour, minute, tzinfo=NY)


def make_config(tmp: Path | None = None, **sections: dict[str, Any]) -> Config:
    data: dict[str, Any] = {
        "account": {"name": "Jordan Lee", "addresses": [ME], "timezone": "America/New_York"},
        "mailbox": {"backend": "imap"},
        "imap": {"host": "127.0.0.1", "security": "none", "username": ME},
        "state": {"path": str((tmp or Path("/nonexistent")) / "state.db")},
    }
    for k, v in sections.items():
        data[k] = {**data.get(k, {}), **v}
    return parse_config(data)


def msg(
    frm: str, subject: str = "Interview", text: str = "", date: datetime | None = None, *,
    to: str = ME, mid: str | None = None, name: str = "", **kw: Any,
) -> Message:
    return Message(
        id=mid or f"id-{frm}-{date}",
        folder="sent" if frm == ME else "inbox",
        message_id=f"<{mid or abs(hash((frm, subject, text, date)))}@x>",
        subject=subject,
        from_=Address(frm, name),
        to=(Address(to),),
        date=date,
        text=text,
        **kw,
    )


def conv(*messages: Message, cid: str = "c-test") -> Conversation:
    return Conversation(cid, tuple(sorted(messages, key=lambda m: m.date or datetime.min.replace(tzinfo=NY))))


def mid_of(data: bytes) -> str:
    """The Message-ID header of a message's bytes, stripped ("" if it has none)."""
    return str(BytesHeaderParser(policy=default_policy).parsebytes(data).get("Message-ID", "")).strip()


def by_mid(raws: Iterable[RawMessage]) -> dict[str, RawMessage]:
    """A change set's raw messages by Message-ID, asserting that none is reported twice."""
    out: dict[str, RawMessage] = {}
    for raw in raws:
        mid = mid_of(raw.data)
        assert mid not in out, f"{mid} reported twice in one change set"
        out[mid] = raw
    return out


class Recorder:
    """An injectable sleep that records the delays instead of waiting."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)
