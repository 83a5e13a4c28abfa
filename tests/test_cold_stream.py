"""A cold IMAP sync streamed into the store (``StreamingMailbox``, agent/syncing.py): each header
FETCH batch is parsed and written as it arrives, a sync that dies between batches leaves no
cursor (the next poll is full and ends as a clean one), a lost connection starts the listing
again without leaving doubles, and the ``imap2:`` cursor re-encodes only the folders that
changed (an ``imap1:`` cursor is still read). Against a real Dovecot (tests/dovecot.py), with
batches of two UIDs so that a handful of messages makes several batches."""

from __future__ import annotations

import base64
import contextlib
import json
import tomllib
import zlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from agent.backends import imap as imap_mod
from agent.backends.base import StreamingMailbox
from agent.backends.imap import ImapMailbox
from agent.config import parse_config
from agent.model import RawMessage
from agent.store import Store
from agent.syncing import Synced, sync
from tests.dovecot import DovecotUser

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


class Crash(Exception):
    """The process dying between two batches."""


@pytest.fixture(autouse=True)
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(imap_mod, "HEADER_BATCH", 2)


def _config(tmp_path: Path, lookback: int = 0) -> Any:
    """A config for the load stage (its threading rules); the Maildir folders only satisfy it."""
    for sub in ("i", "s", "d"):
        for part in ("cur", "new", "tmp"):
            (tmp_path / sub / part).mkdir(parents=True, exist_ok=True)
    text = ('[account]\nname = "Jordan"\naddresses = ["jordan@example.org"]\ntimezone = "UTC"\n'
            f'[mailbox]\nbackend = "maildir"\nlookback_days = {lookback}\n'
            f'[maildir]\ninbox = "{tmp_path}/i"\nsent = "{tmp_path}/s"\ndrafts = "{tmp_path}/d"\n')
    return parse_config(tomllib.loads(text), tmp_path / "config.toml")


def _mail(n: int, *, sender: str = "Sam <sam@acme.example>", to: str = "jordan@example.org") -> bytes:
    return (f"From: {sender}\r\nTo: {to}\r\nSubject: Platform Engineer role {n}\r\n"
            f"Date: Mon, 02 Nov 2026 10:{n:02d}:00 +0000\r\nMessage-ID: <stream-{n}@acme.example>\r\n"
            "Content-Type: text/plain\r\n\r\nAbout the role.\r\n").encode()


def _fill(user: DovecotUser, inbox: int = 5) -> None:
    for n in range(inbox):
        user.deliver("INBOX", _mail(n))
    user.deliver("Sent", _mail(90, sender="Jordan <jordan@example.org>", to="sam@acme.example"))


def _sync(box: ImapMailbox, store: Store, config: Any) -> tuple[Synced, dict[str, Any]]:
    """One load stage, the cursor stored after it as the engine does (after every batch is in)."""
    stats: dict[str, Any] = {}
    with contextlib.ExitStack() as cleanup:
        synced = sync(box, store, config, cleanup, stats, lambda _p: None, NOW)
    store.set_cursor(box.name, synced.changes.cursor)
    return synced, stats


def _held(store: Store) -> list[tuple[str, str, str]]:
    return [(m.id, m.message_id, m.subject) for m in store.get_messages()]


def test_batches_are_written_as_they_arrive(dovecot_user: DovecotUser, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    _fill(dovecot_user)
    events: list[tuple[str, int]] = []
    box = dovecot_user.mailbox()
    store = Store.in_memory()
    read, add_batch = imap_mod.uid_fetch_read, store.add_batch

    def fetching(c: Any, tag: bytes) -> Any:
        events.append(("read", 0))
        return read(c, tag)

    def writing(messages: Any, raws: Any = None, links: Any = None) -> None:
        messages = list(messages)
        if messages:
            events.append(("write", len(messages)))
            assert set(links) == {m.id for m in messages}  # each batch's thread keys with it
        add_batch(messages, raws, links)

    monkeypatch.setattr(imap_mod, "uid_fetch_read", fetching)
    store.add_batch = writing  # type: ignore[method-assign]
    try:
        assert isinstance(box, StreamingMailbox)
        synced, stats = _sync(box, store, _config(tmp_path))
    finally:
        box.close()
    # INBOX in batches of 2, 2, 1, then Sent: each written before the next reply is read
    # (the next command is sent ahead: pipelined)
    assert events == [("read", 0), ("write", 2), ("read", 0), ("write", 2), ("read", 0), ("write", 1),
                      ("read", 0), ("write", 1)]
    assert synced.changes.full and synced.changes.added == ()  # nothing held back in the ChangeSet
    assert stats["batches"] == 4 and stats["added"] == 6 and len(synced.parsed) == 6
    assert len(_held(store)) == 6 and store.get_cursor(box.name) is not None
    indexes = {r[0] for r in store._db.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert {"messages_message_id", "links_key", "links_id"} <= indexes  # built once, at the end


def test_a_crash_between_batches_leaves_no_cursor(dovecot_user: DovecotUser, tmp_path: Path) -> None:
    _fill(dovecot_user)
    store = Store.in_memory()
    box = dovecot_user.mailbox()
    try:
        _sync(box, store, _config(tmp_path))
        assert store.get_cursor(box.name) is not None
        # another window asks for a full resync; the process dies after the first batch
        add_batch, calls = store.add_batch, []

        def dying(messages: Any, raws: Any = None, links: Any = None) -> None:
            calls.append(1)
            if len(calls) == 2:
                raise Crash
            add_batch(messages, raws, links)

        store.add_batch = dying  # type: ignore[method-assign]
        with pytest.raises(Crash):
            _sync(box, store, _config(tmp_path, lookback=3650))
        assert store.get_cursor(box.name) is None  # forgotten with the old messages
        assert len(_held(store)) == 2  # the one batch written
        store.add_batch = add_batch  # type: ignore[method-assign]
        _, stats = _sync(box, store, _config(tmp_path, lookback=3650))
    finally:
        box.close()
    assert stats["full_sync"] is True
    clean = Store.in_memory()
    with dovecot_user.mailbox() as fresh:
        _sync(fresh, clean, _config(tmp_path, lookback=3650))
    assert _held(store) == _held(clean) and len(_held(store)) == 6
    assert store.links_of([i for i, _, _ in _held(store)]) == clean.links_of([i for i, _, _ in _held(clean)])


def test_a_lost_connection_mid_stream_starts_the_listing_again(dovecot_user: DovecotUser, tmp_path: Path) -> None:
    _fill(dovecot_user)
    box = dovecot_user.mailbox()
    store = Store.in_memory()
    read_rows, begin, calls = box._header_rows, store.begin_replace, []
    begun: list[str] = []

    def flaky(data: Any) -> Any:
        calls.append(1)
        if len(calls) == 2:  # with the next batch's FETCH already sent (pipelined)
            raise ConnectionResetError("gone")
        return read_rows(data)

    def beginning(backend: str) -> None:
        begun.append(backend)
        begin(backend)

    box._header_rows = flaky  # type: ignore[method-assign]
    store.begin_replace = beginning  # type: ignore[method-assign]
    try:
        synced, stats = _sync(box, store, _config(tmp_path))
    finally:
        box.close()
    assert begun == ["imap", "imap"]
    assert stats["batches"] == 4 and len(synced.parsed) == 6
    assert sorted(m.id for m in synced.parsed) == [i for i, _, _ in _held(store)]


def test_the_cursor_re_encodes_only_the_changed_folder(dovecot_user: DovecotUser,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    _fill(dovecot_user, inbox=3)
    with dovecot_user.mailbox() as box:
        first = box.changes(None).cursor
        dovecot_user.deliver("INBOX", _mail(40))
        compressed: list[int] = []
        real = zlib.compress
        monkeypatch.setattr(imap_mod.zlib, "compress", lambda data, level=-1: compressed.append(1) or real(data, level))
        cs = box.changes(first)
        monkeypatch.undo()
        monkeypatch.setattr(imap_mod, "HEADER_BATCH", 2)
        assert not cs.full and [_subject(r) for r in cs.added] == ["Platform Engineer role 40"]
        assert compressed == [1]  # INBOX alone
        old, new = _pieces(first), _pieces(cs.cursor)
        assert set(old) == set(new) and len(old) == 2
        assert {r for r in old if old[r] == new[r]} == {"Sent"}  # the unchanged piece, as it was
        # a cursor written before the pieces (one zlib stream) is still honoured: no resync
        doc = ImapMailbox._decode_cursor(cs.cursor)
        assert doc is not None
        doc.pop("pieces")
        v1 = "imap1:" + base64.urlsafe_b64encode(zlib.compress(json.dumps(doc).encode())).decode()
        dovecot_user.deliver("INBOX", _mail(41))
        again = box.changes(v1)
        assert not again.full and [_subject(r) for r in again.added] == ["Platform Engineer role 41"]
        assert again.cursor.startswith("imap2:")
        assert box.changes(again.cursor).added == ()


def _pieces(cursor: str) -> dict[str, str]:
    assert cursor.startswith("imap2:")
    folders = json.loads(cursor[len("imap2:"):])["folders"]
    return {ImapMailbox._decode_cursor(cursor)["folders"][r]["name"]: p  # type: ignore[index]
            for r, p in folders.items()}


def _subject(raw: RawMessage) -> str:
    from agent.mail.parse import parse_message

    return parse_message(raw).subject


def test_a_connection_accepts_the_long_search_line_of_a_large_folder(dovecot_user: DovecotUser,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """imaplib refuses lines over 1,000,000 bytes, and ``UID SEARCH ALL`` of a folder of some
    140,000 messages is one such line: the backend raises the cap when it connects."""
    import imaplib

    from agent.backends.imapclient_privates import LONGEST_LINE

    monkeypatch.setattr(imaplib, "_MAXLINE", 1_000_000)
    _fill(dovecot_user, inbox=1)
    with dovecot_user.mailbox() as box:
        assert len(box.changes(None).added) == 2
    assert imaplib._MAXLINE == LONGEST_LINE  # type: ignore[attr-defined]
