"""Maildir backend specifics: ids, cursors, header-only reads, drafts, and reading changes nothing."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from agent.backends.base import Mailbox
from agent.backends.maildir import HEADER_CAP, MaildirMailbox, split_name
from agent.config import MaildirConfig
from agent.errors import MailboxError


def make_maildir(path: Path) -> Path:
    for sub in ("cur", "new", "tmp"):
        (path / sub).mkdir(parents=True, exist_ok=True)
    return path


def message(n: int, body: str = "Hello there.\n", extra: str = "") -> bytes:
    return (
        f"From: Sam <sam@acme.com>\nTo: jordan.lee@gmail.com\nSubject: Interview {n}\n"
        f"Message-ID: <m{n}@acme.com>\nDate: Mon, 02 Nov 2026 10:00:00 +0000\n{extra}\n{body}"
    ).encode()


@pytest.fixture
def box(tmp_path: Path) -> Iterator[tuple[MaildirMailbox, Path]]:
    root = tmp_path / "mail"
    for name in ("INBOX", "Sent", "Drafts"):
        make_maildir(root / name)
    mb = MaildirMailbox(root / "INBOX", root / "Sent", root / "Drafts")
    yield mb, root
    mb.close()


def put(root: Path, folder: str, sub: str, name: str, data: bytes) -> Path:
    p = root / folder / sub / name
    p.write_bytes(data)
    return p


def picture(root: Path) -> list[tuple[str, int, int, int]]:
    out = []
    for dirpath, _dirs, files in os.walk(root):
        for f in files:
            p = Path(dirpath) / f
            st = p.stat()
            out.append((str(p.relative_to(root)), st.st_size, st.st_mtime_ns, stat.S_IMODE(st.st_mode)))
    return sorted(out)


def test_is_a_mailbox(box: tuple[MaildirMailbox, Path]) -> None:
    mb, _ = box
    assert isinstance(mb, Mailbox)
    assert mb.name == "maildir"


def test_from_config(tmp_path: Path) -> None:
    cfg = MaildirConfig(make_maildir(tmp_path / "i"), make_maildir(tmp_path / "s"), make_maildir(tmp_path / "d"))
    mb = MaildirMailbox.from_config(cfg)
    assert mb.changes(None).full


@pytest.mark.parametrize(
    ("name", "unique", "flags"),
    [
        ("1700.M1P2.host", "1700.M1P2.host", ""),
        ("1700.M1P2.host:2,SR", "1700.M1P2.host", "RS"),
        ("1700.M1P2.host,U=12:2,S", "1700.M1P2.host,U=12", "S"),
        ("1700.M1P2.host!2,DS", "1700.M1P2.host", "DS"),
        ("1700.M1P2.host:2,", "1700.M1P2.host", ""),
    ],
)
def test_split_name(name: str, unique: str, flags: str) -> None:
    assert split_name(name) == (unique, flags)


def test_ids_flags_and_headers_only(box: tuple[MaildirMailbox, Path]) -> None:
    mb, root = box
    put(root, "INBOX", "cur", "111.A.host:2,S", message(1))
    put(root, "INBOX", "new", "222.B.host", message(2))
    put(root, "Sent", "cur", "333.C.host:2,S", message(3))
    put(root, "INBOX", "cur", ".hidden", message(9))
    put(root, "INBOX", "tmp", "444.D.host", message(4))  # being delivered: not a message yet
    cs = mb.changes(None)
    assert cs.full and cs.removed == ()
    by_id = {r.id: r for r in cs.added}
    assert set(by_id) == {"inbox/111.A.host", "inbox/222.B.host", "sent/333.C.host"}
    assert by_id["inbox/111.A.host"].flags == frozenset("S")
    assert by_id["inbox/222.B.host"].flags == frozenset()
    assert by_id["sent/333.C.host"].folder == "sent"
    raw = by_id["inbox/111.A.host"]
    assert raw.headers_only
    assert raw.data.endswith(b"\n\n") and b"Hello there" not in raw.data
    assert b"Message-ID: <m1@acme.com>" in raw.data


def test_crlf_headers_and_no_body(box: tuple[MaildirMailbox, Path]) -> None:
    mb, root = box
    crlf = message(1).replace(b"\n", b"\r\n")
    put(root, "INBOX", "cur", "1.a:2,", crlf)
    put(root, "INBOX", "cur", "2.b:2,", b"Subject: headers only\nMessage-ID: <x@y>\n")
    by_id = {r.id: r for r in mb.changes(None).added}
    assert by_id["inbox/1.a"].data.endswith(b"\r\n\r\n") and b"Hello" not in by_id["inbox/1.a"].data
    whole = by_id["inbox/2.b"]
    assert not whole.headers_only and whole.data == b"Subject: headers only\nMessage-ID: <x@y>\n"


def test_header_block_is_capped(box: tuple[MaildirMailbox, Path]) -> None:
    mb, root = box
    huge = b"Subject: big\n" + b"X-Junk: " + b"a" * (HEADER_CAP * 2) + b"\n\nbody\n"
    put(root, "INBOX", "cur", "1.big:2,", huge)
    (raw,) = mb.changes(None).added
    assert len(raw.data) == HEADER_CAP and raw.headers_only
    assert mb.fetch([raw.id])[raw.id] == huge


def test_fetch_full_bytes_and_follows_renames(box: tuple[MaildirMailbox, Path]) -> None:
    mb, root = box
    p = put(root, "INBOX", "new", "5.e", message(5))
    assert mb.fetch(["inbox/5.e"]) == {"inbox/5.e": message(5)}
    p.rename(root / "INBOX" / "cur" / "5.e:2,S")  # the user's client moved and flagged it
    assert mb.fetch(["inbox/5.e", "inbox/nope", "bogus", "other/5.e"]) == {"inbox/5.e": message(5)}


def test_flag_change_is_a_change_and_move_is_not(box: tuple[MaildirMailbox, Path]) -> None:
    mb, root = box
    p = put(root, "INBOX", "new", "7.g", message(7))
    c1 = mb.changes(None).cursor
    moved = p.rename(root / "INBOX" / "cur" / "7.g:2,")  # new -> cur, no flags: not a change
    cs = mb.changes(c1)
    assert not cs.full and cs.added == () and cs.removed == ()
    moved.rename(root / "INBOX" / "cur" / "7.g:2,S")  # seen: a change, same id
    cs2 = mb.changes(cs.cursor)
    assert [(r.id, r.flags) for r in cs2.added] == [("inbox/7.g", frozenset("S"))]
    assert cs2.removed == ()
    assert mb.changes(cs2.cursor).added == ()


def test_removed_and_added(box: tuple[MaildirMailbox, Path]) -> None:
    mb, root = box
    a = put(root, "INBOX", "cur", "1.a:2,S", message(1))
    c1 = mb.changes(None).cursor
    a.unlink()
    put(root, "Sent", "cur", "2.b:2,S", message(2))
    cs = mb.changes(c1)
    assert cs.removed == ("inbox/1.a",)
    assert [r.id for r in cs.added] == ["sent/2.b"]


def test_warm_poll_reads_no_files(box: tuple[MaildirMailbox, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    mb, root = box
    for i in range(2000):
        put(root, "INBOX" if i % 3 else "Sent", "cur", f"{i}.M{i}P1.host,U={i}:2,S", message(i))
    cold = mb.changes(None)
    assert len(cold.added) == 2000
    raw_names = sum(len(r.id) for r in cold.added)
    assert len(cold.cursor) < raw_names / 2  # compact: compressed, a few bytes per message

    real_stat, real_open = os.stat, os.open

    def is_message(path: object) -> bool:
        return Path(str(path)).parent.name in ("cur", "new")

    def no_stat(path: Any, *a: Any, **k: Any) -> Any:
        assert not is_message(path), f"a warm poll must not stat {path}"
        return real_stat(path, *a, **k)

    def no_open(path: Any, *a: Any, **k: Any) -> int:
        assert not is_message(path), f"a warm poll must not open {path}"
        return real_open(path, *a, **k)

    monkeypatch.setattr(os, "stat", no_stat)
    monkeypatch.setattr(os, "open", no_open)
    warm = mb.changes(cold.cursor)
    monkeypatch.undo()
    assert warm.added == () and warm.removed == () and not warm.full
    assert warm.cursor is cold.cursor  # nothing changed: the cursor is handed back, not re-encoded
    put(root, "INBOX", "cur", "new1.M1P1.host:2,S", message(9999))
    after = mb.changes(warm.cursor)
    assert [r.id for r in after.added] == ["inbox/new1.M1P1.host"] and after.cursor != warm.cursor


@pytest.mark.parametrize("cursor", ["", "garbage", "md1:!!!", "md1:eJwDAAAAAAE=", '{"inbox": {}}'])
def test_unreadable_cursor_is_full(box: tuple[MaildirMailbox, Path], cursor: str) -> None:
    mb, root = box
    put(root, "INBOX", "cur", "1.a:2,S", message(1))
    cs = mb.changes(cursor)
    assert cs.full and [r.id for r in cs.added] == ["inbox/1.a"]


def test_cursor_for_other_folders_is_full(tmp_path: Path, box: tuple[MaildirMailbox, Path]) -> None:
    mb, root = box
    put(root, "INBOX", "cur", "1.a:2,S", message(1))
    cursor = mb.changes(None).cursor
    other = MaildirMailbox(make_maildir(tmp_path / "o1"), root / "Sent", root / "Drafts")
    assert other.changes(cursor).full


def test_missing_folder_raises_mailbox_error(tmp_path: Path) -> None:
    make_maildir(tmp_path / "Sent")
    make_maildir(tmp_path / "Drafts")
    mb = MaildirMailbox(tmp_path / "INBOX", tmp_path / "Sent", tmp_path / "Drafts")
    with pytest.raises(MailboxError, match="INBOX"):
        mb.changes(None)
    with pytest.raises(MailboxError):
        mb.fetch(["inbox/x"])


def test_create_draft_is_atomic_in_cur_with_d_flag(box: tuple[MaildirMailbox, Path]) -> None:
    mb, root = box
    data = message(42).replace(b"sam@acme.com", b"jordan.lee@gmail.com")
    did = mb.create_draft(data, thread_hint="ignored")
    assert did.startswith("drafts/")
    files = list((root / "Drafts" / "cur").iterdir())
    assert [f.name for f in files] == [did.split("/", 1)[1] + ":2,D"]
    assert stat.S_IMODE(files[0].stat().st_mode) == 0o600
    assert list((root / "Drafts" / "tmp").iterdir()) == []
    (d,) = mb.drafts()
    assert d.id == did and d.data == data
    did2 = mb.create_draft(data)
    assert did2 != did and len(mb.drafts()) == 2


def test_delete_draft(box: tuple[MaildirMailbox, Path]) -> None:
    mb, root = box
    did = mb.create_draft(message(1))
    mb.delete_draft(did)
    mb.delete_draft(did)  # already gone: fine
    assert mb.drafts() == []
    put(root, "Drafts", "cur", "9.z:2,DS", message(9))  # flagged by the user's client
    mb.delete_draft("drafts/9.z")
    assert mb.drafts() == []


@pytest.mark.parametrize("bad", ["inbox/1.a", "sent/1.a", "drafts/", "drafts/../INBOX/cur/1.a", "1.a"])
def test_delete_refuses_anything_but_drafts(box: tuple[MaildirMailbox, Path], bad: str) -> None:
    mb, root = box
    put(root, "INBOX", "cur", "1.a:2,S", message(1))
    with pytest.raises(MailboxError):
        mb.delete_draft(bad)
    assert (root / "INBOX" / "cur" / "1.a:2,S").exists()


def test_drafts_not_reported_by_changes(box: tuple[MaildirMailbox, Path]) -> None:
    mb, _root = box
    c = mb.changes(None)
    mb.create_draft(message(1))
    assert mb.changes(None).added == ()
    assert mb.changes(c.cursor).added == ()


def test_reading_changes_nothing(box: tuple[MaildirMailbox, Path]) -> None:
    mb, root = box
    put(root, "INBOX", "new", "1.new", message(1))  # unread, still in new/
    put(root, "INBOX", "cur", "2.cur:2,", message(2))  # no flags
    put(root, "INBOX", "cur", "3.flagged:2,FS", message(3))
    put(root, "Sent", "cur", "4.sent:2,S", message(4))
    put(root, "Drafts", "new", "5.draft", message(5))
    put(root, "Drafts", "cur", "6.draft:2,D", message(6))
    for p in root.rglob("*"):
        if p.is_file():
            os.utime(p, ns=(1_000_000_000, 2_000_000_000))
    before = picture(root)
    atimes = {p: p.stat().st_atime_ns for p in root.rglob("*") if p.is_file()}
    cs = mb.changes(None)
    mb.changes(cs.cursor)
    mb.fetch([r.id for r in cs.added])
    mb.drafts()
    assert picture(root) == before
    # with O_NOATIME (our own files) even access times stay put
    after_atimes = {p: p.stat().st_atime_ns for p in root.rglob("*") if p.is_file()}
    if os.geteuid() == 0 or all(p.stat().st_uid == os.geteuid() for p in atimes):
        assert after_atimes == atimes
