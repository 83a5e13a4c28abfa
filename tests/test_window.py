"""The first-sync window (agent/window.py, ``mailbox.lookback_days``): the pure parts, the config
key, and on Maildir and the memory backend that a first sync reads nothing older than the window
except the messages a conversation inside it refers to, that a late delivery is taken, and that a
conversation straddling the window gets the same decision with and without it."""

from __future__ import annotations

import contextlib
import dataclasses
import os
from datetime import UTC, date, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest

from agent.backends.maildir import MaildirMailbox
from agent.backends.memory import MemoryMailbox, MemoryServer
from agent.config import parse_config
from agent.errors import ConfigError
from agent.mail.parse import parse_message
from agent.model import INBOX, SENT, RawMessage
from agent.store import Store
from agent.syncing import sync
from agent.window import NO_WINDOW, Window, imap_since, in_window, missing_references, window_of

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def _mail(mid: str, when: datetime, *, frm: str = "Dana <dana@acme.example>", to: str = "me@example.com",
          subject: str = "Platform Engineer role", refs: tuple[str, ...] = (), date_header: bool = True) -> bytes:
    lines = [f"From: {frm}", f"To: {to}", f"Subject: {subject}", f"Message-ID: {mid}"]
    if date_header:
        lines.append(f"Date: {format_datetime(when)}")
    if refs:
        lines += [f"In-Reply-To: {refs[-1]}", f"References: {' '.join(refs)}"]
    return ("\r\n".join(lines) + "\r\n\r\nHello, about the role.\r\n").encode()


# --- pure parts -----------------------------------------------------------------------------


def test_window_of_and_its_edges() -> None:
    assert window_of(NOW, 0) == NO_WINDOW and NO_WINDOW.open
    w = window_of(NOW, 30)
    assert w == Window(30, NOW - timedelta(days=30)) and not w.open
    assert imap_since(w) == date(2026, 5, 1)  # a spare day before 2 May 12:00
    assert imap_since(NO_WINDOW) is None
    assert in_window(NOW - timedelta(days=29), w) and not in_window(NOW - timedelta(days=31), w)
    assert in_window(None, w)  # undated mail is kept
    assert in_window(NOW - timedelta(days=999), NO_WINDOW)


def _msg(mid: str, refs: tuple[str, ...] = (), in_reply_to: tuple[str, ...] = ()) -> Any:
    raw = _mail(mid, NOW, refs=refs)
    m = parse_message(RawMessage(id=mid, folder=INBOX, data=raw))
    return m if not in_reply_to else dataclasses.replace(m, in_reply_to=in_reply_to)


def test_missing_references_names_only_what_the_store_and_the_poll_lack() -> None:
    a = _msg("<a@x>", refs=("<old1@x>", "<old2@x>"))
    b = _msg("<b@x>", refs=("<old2@x>", "<a@x>"))  # a is in this poll: not missing
    held = {"<old1@x>"}
    asked: list[list[str]] = []

    def known(ids: Any) -> set[str]:
        asked.append(sorted(ids))
        return held & set(ids)

    assert missing_references([a, b], known) == ("<old2@x>",)
    assert asked == [["<old1@x>", "<old2@x>"]]  # one question to the store
    # a thread whose first message is in the window asks nothing
    assert missing_references([_msg("<c@x>")], known) == ()
    assert len(asked) == 1
    # bounded, nearest ancestor first
    many = _msg("<d@x>", refs=tuple(f"<r{i}@x>" for i in range(10)))
    assert missing_references([many], lambda ids: set(), limit=3) == ("<r9@x>", "<r8@x>", "<r7@x>")


# --- config -----------------------------------------------------------------------------------


def _config(tmp_path: Path, mailbox: str = "", extra: str = "") -> Any:
    import tomllib

    text = (f'[account]\nname = "Me"\naddresses = ["me@example.com"]\ntimezone = "UTC"\n'
            f'[mailbox]\nbackend = "maildir"\n{mailbox}\n'
            f'[maildir]\ninbox = "{tmp_path}/i"\nsent = "{tmp_path}/s"\ndrafts = "{tmp_path}/d"\n{extra}')
    for sub in ("i", "s", "d"):
        for part in ("cur", "new", "tmp"):
            (tmp_path / sub / part).mkdir(parents=True, exist_ok=True)
    return parse_config(tomllib.loads(text), tmp_path / "config.toml")


def test_lookback_days_key(tmp_path: Path) -> None:
    assert _config(tmp_path).lookback_days == 180
    assert _config(tmp_path, "lookback_days = 30").lookback_days == 30
    assert _config(tmp_path, 'lookback_days = "all"').lookback_days == 0
    assert _config(tmp_path, "lookback_days = 0").lookback_days == 0
    for bad in ("-1", '"forever"', "true", "1.5"):
        with pytest.raises(ConfigError, match="lookback_days"):
            _config(tmp_path, f"lookback_days = {bad}")


def test_gmail_queries_follow_the_window_unless_set(tmp_path: Path) -> None:
    c = _config(tmp_path, "lookback_days = 30", '[gmail]\n[imap]\nhost = "127.0.0.1"\nusername = "u"\n')
    assert c.gmail.query == "newer_than:30d" and c.imap.gmail_query == "newer_than:30d"
    c = _config(tmp_path, 'lookback_days = "all"', "[gmail]\n")
    assert c.gmail.query == ""
    c = _config(tmp_path, "lookback_days = 30", '[gmail]\nquery = "label:jobs"\n')
    assert c.gmail.query == "label:jobs"


# --- Maildir ---------------------------------------------------------------------------------


def _deliver(folder: Path, name: str, data: bytes, delivered: datetime) -> Path:
    path = folder / "cur" / f"{int(delivered.timestamp())}.{name}.host:2,S"
    path.write_bytes(data)
    os.utime(path, (delivered.timestamp(), delivered.timestamp()))
    return path


class _Counting(MaildirMailbox):
    """Counts the files whose header block is read."""

    reads: list[str]

    def _read(self, path: str, *, headers_only: bool) -> tuple[bytes, bool]:
        self.reads.append(os.path.basename(path))
        return super()._read(path, headers_only=headers_only)


def _maildir(tmp_path: Path) -> _Counting:
    for sub in ("i", "s", "d"):
        for part in ("cur", "new", "tmp"):
            (tmp_path / sub / part).mkdir(parents=True, exist_ok=True)
    box = _Counting(tmp_path / "i", tmp_path / "s", tmp_path / "d")
    box.reads = []
    return box


def test_maildir_first_sync_reads_nothing_delivered_before_the_window(tmp_path: Path) -> None:
    box = _maildir(tmp_path)
    w = window_of(NOW, 30)
    old = NOW - timedelta(days=200)
    for i in range(20):
        _deliver(tmp_path / "i", f"old{i}", _mail(f"<old{i}@x>", old), old)
    # imported late (delivered inside the window) but dated before it: read, then left out
    _deliver(tmp_path / "i", "imported", _mail("<imp@x>", old), NOW - timedelta(days=1))
    # no Date: its delivery time decides
    _deliver(tmp_path / "i", "undated", _mail("<undated@x>", NOW, date_header=False), NOW - timedelta(days=2))
    _deliver(tmp_path / "s", "recent", _mail("<recent@x>", NOW - timedelta(days=3)), NOW - timedelta(days=3))
    cs = box.changes(None, w)
    assert cs.full and {r.id.split("/")[0] for r in cs.added} == {INBOX, SENT}
    assert sorted(parse_message(r).message_id for r in cs.added) == ["<recent@x>", "<undated@x>"]
    assert not any("old" in name for name in box.reads)  # 20 old files: not even opened
    assert len(box.reads) == 3
    # the next poll: nothing new, nothing read, the cursor stands
    box.reads.clear()
    again = box.changes(cs.cursor, w)
    assert again.added == () and again.removed == () and again.cursor == cs.cursor and box.reads == []
    # a late delivery dated long ago is new by its file name: taken
    _deliver(tmp_path / "i", "late", _mail("<late@x>", old), NOW)
    later = box.changes(cs.cursor, w)
    assert [parse_message(r).message_id for r in later.added] == ["<late@x>"] and not later.full
    # a flag change on a file the window left out brings nothing in
    for f in (tmp_path / "i" / "cur").iterdir():
        if "old3" in f.name:
            f.rename(f.with_name(f.name.replace(":2,S", ":2,FS")))
    assert box.changes(later.cursor, w).added == ()
    # another window: a full resync
    assert box.changes(later.cursor, window_of(NOW, 400)).full


def test_maildir_fetch_by_message_id_reads_only_the_files_left_out(tmp_path: Path) -> None:
    box = _maildir(tmp_path)
    old = NOW - timedelta(days=200)
    for i in range(5):
        _deliver(tmp_path / "i", f"old{i}", _mail(f"<old{i}@x>", old + timedelta(hours=i)), old + timedelta(hours=i))
    _deliver(tmp_path / "i", "new", _mail("<new@x>", NOW), NOW)
    box.changes(None, window_of(NOW, 30))
    box.reads.clear()
    found = box.fetch_by_message_id(["<old4@x>", "<nowhere@x>"])
    assert [parse_message(r).message_id for r in found] == ["<old4@x>"]
    assert found[0].headers_only and found[0].id.startswith(f"{INBOX}/")
    assert all("new" not in n for n in box.reads)  # the window's own files are never scanned
    assert box.fetch_by_message_id([]) == []


# --- the engine's sync stage: straddling conversations, on Maildir and memory -------------------

_ME = "Me <me@example.com>"


def _straddling() -> list[tuple[str, bytes, datetime]]:
    """A conversation that began 100 days ago (the user applied, the company answered) and goes
    on inside a 30-day window, plus old unrelated mail."""
    t0 = NOW - timedelta(days=100)
    return [
        (SENT, _mail("<apply@me>", t0, frm=_ME, to="jobs@acme.example", subject="Application: Platform Engineer"),
         t0),
        (INBOX, _mail("<ack@acme>", t0 + timedelta(days=2), subject="Re: Application: Platform Engineer",
                      refs=("<apply@me>",)), t0 + timedelta(days=2)),
        (INBOX, _mail("<noise@news>", t0, frm="News <news@paper.example>", subject="Weekly news"), t0),
        (INBOX, _mail("<invite@acme>", NOW - timedelta(days=5), subject="Re: Application: Platform Engineer",
                      refs=("<apply@me>", "<ack@acme>")), NOW - timedelta(days=5)),
    ]


def _sync(box: Any, store: Store, config: Any, now: datetime | None) -> dict[str, Any]:
    stats: dict[str, Any] = {}
    with contextlib.ExitStack() as cleanup:
        synced = sync(box, store, config, cleanup, stats, lambda _p: None, now)
    store.set_cursor(box.name, synced.changes.cursor)
    return stats


@pytest.mark.parametrize("backend", ["maildir", "memory"])
def test_a_straddling_conversation_is_fetched_whole(tmp_path: Path, backend: str) -> None:
    config = _config(tmp_path, "lookback_days = 30")
    if backend == "maildir":
        box: Any = _maildir(tmp_path)
        for role, data, when in _straddling():
            _deliver(tmp_path / ("i" if role == INBOX else "s"), data.split(b"<")[1].split(b">")[0].decode()
                     .replace("@", "-"), data, when)
    else:
        server = MemoryServer()
        for role, data, _when in _straddling():
            server.deliver(role, data)
        box = MemoryMailbox(server)
    store = Store.in_memory()
    stats = _sync(box, store, config, NOW)
    held = {m.message_id for m in store.get_messages()}
    assert held == {"<invite@acme>", "<apply@me>", "<ack@acme>"}  # not the old news
    assert stats["referenced_asked"] == 2 and stats["referenced_found"] == 2
    # the next poll asks nothing (the invitation is not new any more)
    assert "referenced_asked" not in _sync(box, store, config, NOW)
