"""State store: privacy, schema, lock, dry runs that write nothing, transactions, round trips."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import subprocess
import sys
import textwrap
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from agent.errors import AgentError, StateLockedError
from agent.model import INBOX, MESSAGE_FORMAT, Address, AutoMarkers, CalendarEvent, Message
from agent.store import (
    SCHEMA_VERSION,
    CachedConversation,
    CachedFacts,
    DescribedDrafts,
    DraftDescription,
    ServerAliases,
    StateLock,
    Store,
)

T0 = datetime(2026, 12, 1, 14, 0, tzinfo=UTC)


def sample(n: int = 1, *, has_body: bool = True) -> Message:
    return Message(
        id=f"inbox/{n}",
        folder=INBOX,
        message_id=f"<m{n}@acme.com>",
        subject="Interview — Software Engineer",
        from_=Address("sam@acme.com", "Sam Ré"),
        to=(Address("jordan.lee@gmail.com"),),
        date=T0 + timedelta(hours=n),
        in_reply_to=("<root@acme.com>",),
        references=("<root@acme.com>",),
        text="We hope to decide by the end of the month.",
        calendar=(
            CalendarEvent(
                summary="Interview",
                start=T0,
                end=T0 + timedelta(hours=1),
                tzid="America/New_York",
                uid="u1",
            ),
        ),
        auto=AutoMarkers(auto_submitted="no", failed_recipients=("x@y.z",)),
        labels=frozenset({"Recruiting", "INBOX"}),
        has_body=has_body,
        defects=("bad date",),
    )


def files_of(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Every file under ``folder``: bytes and mtime, to prove nothing was written."""
    out = {}
    for p in sorted(folder.rglob("*")):
        if p.is_file():
            out[str(p.relative_to(folder))] = (p.read_bytes(), p.stat().st_mtime_ns)
    return out


# --- files and modes -------------------------------------------------------------------


def test_creates_private_folder_and_file(tmp_path: Path) -> None:
    db = tmp_path / "state" / "sub" / "state.db"
    with Store.open(db) as store:
        assert store.schema_version == SCHEMA_VERSION
    assert stat.S_IMODE(db.stat().st_mode) == 0o600
    assert stat.S_IMODE(db.parent.stat().st_mode) == 0o700


def test_tightens_loose_existing_file(tmp_path: Path) -> None:
    db = tmp_path / "state.db"
    Store.open(db).close()
    os.chmod(db, 0o644)
    Store.open(db).close()
    assert stat.S_IMODE(db.stat().st_mode) == 0o600


def test_existing_parent_folder_is_left_alone(tmp_path: Path) -> None:
    os.chmod(tmp_path, 0o755)
    Store.open(tmp_path / "state.db").close()
    assert stat.S_IMODE(tmp_path.stat().st_mode) == 0o755


def test_schema_version_and_journal_mode(tmp_path: Path) -> None:
    db = tmp_path / "state.db"
    Store.open(db).close()
    con = sqlite3.connect(db)
    assert con.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert tables >= {"messages", "links", "ledger", "snapshot", "controls", "cursors", "cache_keys", "candidates",
                      "labelled", "draft_descriptions", "draft_ids", "facts", "server_aliases"}
    assert not tables & {"meta", "events"}  # v4: every cache has its table; the unread log is gone
    con.close()


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "state.db"
    Store.open(db).close()
    con = sqlite3.connect(db)
    con.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
    con.close()
    with pytest.raises(AgentError, match="newer"):
        Store.open(db)


def test_not_a_database_is_a_clear_error(tmp_path: Path) -> None:
    db = tmp_path / "state.db"
    db.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(AgentError, match="state database"):
        Store.open(db)


# --- lock ------------------------------------------------------------------------------


def test_lock_refuses_second_holder_in_process(tmp_path: Path) -> None:
    db = tmp_path / "state.db"
    with Store.lock(db) as lock:
        assert lock.held
        assert stat.S_IMODE(lock.path.stat().st_mode) == 0o600
        with pytest.raises(StateLockedError, match="Another followup-agent process is running"):
            StateLock(db).acquire()
    with Store.lock(db):  # released: free again
        pass


def test_lock_refused_from_another_process(tmp_path: Path) -> None:
    db = tmp_path / "state.db"
    root = Path(__file__).resolve().parents[1]
    child = textwrap.dedent(
        f"""
        import sys
        sys.path.insert(0, {str(root)!r})
        from pathlib import Path
        from agent.errors import StateLockedError
        from agent.store import Store
        try:
            with Store.lock(Path({str(db)!r})):
                print("acquired")
        except StateLockedError as e:
            print("locked:", e)
        """
    )
    with Store.lock(db):
        out = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True, timeout=60)
        assert out.stdout.startswith("locked:"), out.stderr
        assert f"lock held on {db}.lock" in out.stdout
        assert f"process {os.getpid()}" in out.stdout
    out = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "acquired", out.stderr


def test_lock_without_create_makes_no_file(tmp_path: Path) -> None:
    db = tmp_path / "nothing" / "state.db"
    with Store.lock(db, create=False) as lock:
        assert not lock.held
    assert not (tmp_path / "nothing").exists()
    with Store.lock(tmp_path / "state.db"), pytest.raises(StateLockedError):
        Store.lock(tmp_path / "state.db", create=False).acquire()


# --- dry runs --------------------------------------------------------------------------


def test_dry_run_without_db_writes_nothing(tmp_path: Path) -> None:
    db = tmp_path / "state" / "state.db"
    with Store.open(db, readonly_dry_run=True) as store:
        assert store.dry_run and store.schema_version == SCHEMA_VERSION
        store.put_messages([sample()])
        store.set_cursor("maildir", "c1")
        store.caches.save_labelled({"c-1": ["inbox/1"]})
        assert store.get_cursor("maildir") == "c1"
        assert store.caches.labelled() == {"c-1": frozenset({"inbox/1"})}
        assert [m.id for m in store.get_messages()] == ["inbox/1"]
    assert list(tmp_path.iterdir()) == []


def test_dry_run_with_db_sees_state_and_writes_nothing(tmp_path: Path) -> None:
    db = tmp_path / "state.db"
    with Store.open(db) as store:
        store.put_messages([sample(1)])
        store.set_cursor("maildir", "real")
        store.record_intent("k", conversation="c-1", round="1", step="thank_you", message_id="<d@x>", at=T0)
    os.chmod(db, 0o640)  # even a loose mode must not be "fixed" by a dry run
    before = files_of(tmp_path)
    mode = stat.S_IMODE(db.stat().st_mode)
    store = Store.open(db, readonly_dry_run=True)
    assert store.get_cursor("maildir") == "real"
    assert [m.id for m in store.get_messages()] == ["inbox/1"]
    with store.transaction():
        store.put_messages([sample(2)])
        store.set_cursor("maildir", "dry")
        store.record_created("k", "drafts/1", at=T0)
        store.save_snapshot([{"thread": "c-1"}], [], at=T0)
        store.caches.save_candidates("k", [CachedConversation("c-1", ("inbox/1",))])
    store.rollback_all()
    assert files_of(tmp_path) == before
    assert stat.S_IMODE(db.stat().st_mode) == mode
    with Store.open(db) as again:
        assert again.get_cursor("maildir") == "real"
        assert again.message_ids() == {"inbox/1"}
        assert again.load_snapshot() is None and again.caches.candidates("k") is None
        row = again.ledger_row("k")
        assert row is not None and row.status == "intended"


def test_rollback_all_refused_on_real_store(tmp_path: Path) -> None:
    with Store.open(tmp_path / "s.db") as store, pytest.raises(RuntimeError):
        store.rollback_all()


# --- transactions ----------------------------------------------------------------------


def test_transaction_rolls_back_on_exception(tmp_path: Path) -> None:
    with Store.open(tmp_path / "s.db") as store:
        store.set_cursor("a", "1")
        with pytest.raises(ZeroDivisionError), store.transaction():
            store.set_cursor("a", "2")
            store.put_messages([sample()])
            _ = 1 / 0
        assert store.get_cursor("a") == "1"
        assert store.message_ids() == set()
        assert not store.in_transaction


def test_nested_transaction_is_a_savepoint(tmp_path: Path) -> None:
    with Store.open(tmp_path / "s.db") as store:
        with store.transaction():
            store.set_cursor("outer", "1")
            with pytest.raises(KeyError), store.transaction():
                store.set_cursor("inner", "1")
                raise KeyError("x")
            store.set_cursor("after", "1")
        assert store.get_cursor("outer") == "1"
        assert store.get_cursor("inner") is None
        assert store.get_cursor("after") == "1"


def test_committed_writes_survive_reopen(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    with Store.open(db) as store, store.transaction():
        store.set_cursor("imap", "cur")
        store.save_snapshot([], [], at=T0)
    with Store.open(db) as store:
        assert store.get_cursor("imap") == "cur"
        snap = store.load_snapshot()
        assert snap is not None and snap.at == T0  # the last poll's time
        store.set_cursor("imap", None)  # forgotten: the next poll reads everything
        assert store.get_cursor("imap") is None


# --- messages --------------------------------------------------------------------------


def test_message_json_round_trip(tmp_path: Path) -> None:
    m = sample(1)
    with Store.open(tmp_path / "s.db") as store:
        store.put_messages([m, sample(2, has_body=False)])
        assert store.get_messages(["inbox/1"]) == [m]
        assert store.get_messages(["inbox/404"]) == []
        assert [x.id for x in store.get_messages()] == ["inbox/1", "inbox/2"]
        rows = store.header_rows()
        assert [(r.id, r.message_id, r.has_body) for r in rows] == [
            ("inbox/1", "<m1@acme.com>", True),
            ("inbox/2", "<m2@acme.com>", False),
        ]
        assert rows[0].date == m.date


def test_messages_many_ids_remove_and_replace(tmp_path: Path) -> None:
    with Store.open(tmp_path / "s.db") as store:
        store.put_messages(sample(i) for i in range(1500))
        assert store.count_messages() == 1500
        got = store.get_messages(f"inbox/{i}" for i in range(0, 1500, 2))
        assert len(got) == 750
        assert store.remove_messages([f"inbox/{i}" for i in range(1000)] + ["inbox/nope"]) == 1000
        assert store.count_messages() == 500
        store.replace_all([sample(7)])
        assert store.message_ids() == {"inbox/7"}
        store.put_messages([sample(7, has_body=False)])  # replace by id
        (only,) = store.get_messages()
        assert not only.has_body


# --- ledger, events, snapshot, controls --------------------------------------------------


def test_ledger_lifecycle(tmp_path: Path) -> None:
    with Store.open(tmp_path / "s.db") as store:
        row = store.record_intent(
            "c-1/1/thank_you", conversation="c-1", round="1", step="thank_you",
            message_id="<fa-1@agent>", content_hash="h1", at=T0,
        )
        assert row.status == "intended" and row.draft_id is None and row.created_at == T0
        store.record_created("c-1/1/thank_you", "drafts/1", content_hash="h2", at=T0 + timedelta(minutes=1))
        store.set_status("c-1/1/thank_you", "user_deleted", reason="gone, no reply from user", at=T0 + timedelta(days=1))
        # a retried intent never resurrects a row the user decided on
        again = store.record_intent(
            "c-1/1/thank_you", conversation="c-1", round="1", step="thank_you",
            message_id="<fa-1@agent>", content_hash="h3", at=T0 + timedelta(days=2),
        )
        assert again.status == "user_deleted" and again.content_hash == "h2" and again.draft_id == "drafts/1"
        store.record_intent("c-1/1/follow_up_1", conversation="c-1", round="1", step="follow_up_1",
                            message_id="<fa-2@agent>", at=T0 + timedelta(days=3))
        store.record_intent("c-2/1/thank_you", conversation="c-2", round="1", step="thank_you",
                            message_id="<fa-3@agent>", at=T0)
        assert [r.step for r in store.ledger_for("c-1")] == ["thank_you", "follow_up_1"]
        assert [r.key for r in store.ledger_rows({"intended"})] == ["c-1/1/follow_up_1", "c-2/1/thank_you"]
        with pytest.raises(ValueError):
            store.set_status("c-2/1/thank_you", "bogus")
        with pytest.raises(KeyError):
            store.set_status("nope", "sent")
        with pytest.raises(KeyError):
            store.record_created("nope", "drafts/9")


def test_snapshot(tmp_path: Path) -> None:
    with Store.open(tmp_path / "s.db") as store:
        assert store.load_snapshot() is None
        store.save_snapshot([{"thread": "c-1", "next": None}], [], at=T0)
        store.save_snapshot([{"thread": "c-2", "next": None}], [{"thread": "c-3", "reason": "unsure – «x»"}],
                            at=T0 + timedelta(hours=1))
        snap = store.load_snapshot()
        assert snap is not None and snap.at == T0 + timedelta(hours=1)
        assert snap.tracked == ({"thread": "c-2", "next": None},)
        assert snap.possible == ({"thread": "c-3", "reason": "unsure – «x»"},)


def test_controls(tmp_path: Path) -> None:
    with Store.open(tmp_path / "s.db") as store:
        store.put_control("c-1", "pause", "", at=T0)
        store.put_control("c-1", "snooze", "2026-12-10", at=T0)
        store.put_control("c-1", "snooze", "2026-12-20", at=T0)
        store.put_control("c-1", "note", "they raised a round", at=T0, replace=False)
        store.put_control("c-1", "note", "and shipped v2", at=T0, replace=False)
        assert [c.value for c in store.get_controls("c-1", "snooze")] == ["2026-12-20"]
        assert len(store.get_controls("c-1", "note")) == 2
        assert store.clear_controls("c-1", "pause") == 1
        assert {c.kind for c in store.get_controls("c-1")} == {"snooze", "note"}
        with pytest.raises(ValueError):
            store.put_control("c-1", "explode")


def test_times_are_stored_as_utc_iso(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    from zoneinfo import ZoneInfo

    local = datetime(2026, 12, 1, 9, 0, tzinfo=ZoneInfo("America/New_York"))
    with Store.open(db) as store:
        store.record_intent("k", conversation="c-1", round="1", step="thank_you", message_id="<d@x>", at=local)
        store.save_snapshot([], [], at=local)
        store.caches.save_server_aliases(ServerAliases(local, ()))
    con = sqlite3.connect(db)
    stored = {con.execute(q).fetchone()[0] for q in (
        "SELECT created_at FROM ledger", "SELECT at FROM snapshot", "SELECT asked_at FROM server_aliases")}
    con.close()
    assert stored == {"2026-12-01T14:00:00+00:00"}


def test_header_only_messages_are_kept_as_their_header_block(tmp_path: Path) -> None:
    """With its raw form given, a header-only message is stored as bytes and parsed again on
    reading: the same Message comes back, server thread id and labels included."""
    from agent.mail.parse import parse_message
    from agent.model import RawMessage

    header = (b"From: Ana <ana@acme.com>\r\nTo: me@example.com\r\nSubject: Interview\r\n"
              b"Date: Tue, 24 Nov 2026 10:00:00 -0500\r\nMessage-ID: <h1@acme.com>\r\n"
              b"References: <a@x> <b@x>\r\n\r\n")
    raw = RawMessage(id="gm/1", folder="inbox", data=header, headers_only=True, thread_hint="777",
                     labels=frozenset({"Follow-up/Track", "\\Inbox"}))
    full = sample(2)
    header_only = parse_message(raw)
    with Store.open(tmp_path / "s.db") as store:
        store.put_messages([header_only, full], {raw.id: raw, full.id: raw})
        stored = dict(store._db.execute("SELECT id, raw IS NOT NULL FROM messages").fetchall())
        assert stored == {"gm/1": 1, "inbox/2": 0}  # a message with a body keeps its JSON
        assert store.get_messages() == [header_only, full]
        store.replace_all([header_only], {raw.id: raw})
        (back,) = store.get_messages(["gm/1"])
        assert back == header_only and back.thread_hint == "777" and "Follow-up/Track" in back.labels
        assert store.header_rows()[0].message_id == "<h1@acme.com>"


def test_a_version_2_database_keeps_its_messages(tmp_path: Path) -> None:
    """Schema v3 adds the raw column; rows written before it are read as before (a body
    stored by that older agent is only marked to be read again: see the message format)."""
    from agent import store as store_mod

    db = tmp_path / "s.db"
    con = sqlite3.connect(db, isolation_level=None)
    for step in store_mod.MIGRATIONS[:2]:
        step(con)
    m = sample(3)
    con.execute("PRAGMA user_version = 2")
    con.execute("INSERT INTO messages(id, folder, message_id, has_body, date, json) VALUES (?,?,?,?,?,?)",
                (m.id, m.folder, m.message_id, 1, None, json.dumps(m.to_json())))
    con.close()
    with Store.open(db) as store:
        assert store.schema_version == SCHEMA_VERSION >= 3
        assert store.get_messages() == [replace(m, has_body=False)]


def test_ledger_and_controls_reads_follow_every_write(tmp_path: Path) -> None:
    """The read caches of ledger_for/get_controls never serve a row a write has changed,
    whether the write committed or rolled back."""
    with Store.open(tmp_path / "s.db") as store:
        assert store.ledger_for("c1") == [] and store.get_controls("c1") == []
        store.record_intent("k1", conversation="c1", round="r", step="thank_you", message_id="<a@x>", at=T0)
        assert [r.status for r in store.ledger_for("c1")] == ["intended"]
        store.record_created("k1", "drafts/1/1", at=T0)
        assert [r.status for r in store.ledger_for("c1")] == ["created"]
        store.put_control("c1", "pause", at=T0)
        assert [c.kind for c in store.get_controls("c1")] == ["pause"]
        with pytest.raises(RuntimeError), store.transaction():
            store.set_status("k1", "withdrawn", at=T0)
            assert [r.status for r in store.ledger_for("c1")] == ["withdrawn"]
            store.clear_controls("c1")
            assert store.get_controls("c1") == []
            raise RuntimeError("rolled back")
        assert [r.status for r in store.ledger_for("c1")] == ["created"]
        assert [c.kind for c in store.get_controls("c1")] == ["pause"]
        assert [c.kind for c in store.get_controls(kind="pause")] == ["pause"]
        rows = store.ledger_for("c1")
        rows.clear()  # callers get their own list
        assert len(store.ledger_for("c1")) == 1


def test_a_messages_own_message_id_is_answered_by_the_messages_table(tmp_path: Path) -> None:
    """set_links leaves out each message's key for its own Message-ID when told it; the
    closure and links_of still find it (through the messages table), as before."""
    a, b = sample(1), sample(2)  # <m1@acme.com>, <m2@acme.com>
    links = {a.id: frozenset({"m:" + a.message_id, "s:interview|acme"}),
             b.id: frozenset({"m:" + b.message_id, "m:" + a.message_id})}  # b replies to a
    with Store.open(tmp_path / "s.db") as store:
        store.put_messages([a, b])
        store.set_links(links, replace_all=True, own={a.id: a.message_id, b.id: b.message_id})
        rows = sorted(store._db.execute("SELECT key, id FROM links").fetchall())
        assert rows == [("m:<m1@acme.com>", "inbox/2"), ("s:interview|acme", "inbox/1")]
        assert store.links_of([a.id]) == {"m:<m1@acme.com>", "s:interview|acme"}
        assert store.linked_closure({"m:<m2@acme.com>"}) == {a.id, b.id}
        assert store.linked_closure({"s:interview|acme"}) == {a.id, b.id}
        store.set_links(links)  # without own: every key written, the answers unchanged
        assert store.linked_closure({"m:<m1@acme.com>"}) == {a.id, b.id}


# --- the parser's format: bodies stored by an older parser are read again ---------------


def _old_agent_row(db: Path, m: Message) -> None:
    """Write ``m`` as an agent before message format 2 did: no signature key, no format mark."""
    with Store.open(db):
        pass
    doc = m.to_json()
    del doc["signature"]
    con = sqlite3.connect(db, isolation_level=None)
    con.execute("DELETE FROM cache_keys WHERE cache = 'messages'")
    con.execute("INSERT INTO messages(id, folder, message_id, has_body, date, json) VALUES (?,?,?,?,?,?)",
                (m.id, m.folder, m.message_id, int(m.has_body), None, json.dumps(doc)))
    con.close()


def test_a_body_from_an_older_parser_is_marked_to_be_read_again(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    old_body, old_headers = sample(1), sample(2, has_body=False)
    _old_agent_row(db, old_body)
    _old_agent_row(db, old_headers)
    with Store.open(db) as store:
        got = {x.id: x for x in store.get_messages()}
        assert got[old_body.id] == replace(old_body, has_body=False)  # text kept, body fetched again
        assert got[old_headers.id] == old_headers
        assert [r.has_body for r in store.header_rows()] == [False, False]
        assert store.message_format() == MESSAGE_FORMAT


def test_bodies_stored_by_this_parser_are_trusted_on_reopening(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    m = replace(sample(1), signature="Best,\nSam Ré\nTalent Partner | Acme")
    with Store.open(db) as store:
        store.put_messages([m])
    with Store.open(db) as store:
        assert store.get_messages() == [m]


def test_a_dry_run_of_an_old_state_changes_nothing_on_disk(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    _old_agent_row(db, sample(1))
    before = db.read_bytes()
    with Store.open(db, readonly_dry_run=True) as store:
        assert [x.has_body for x in store.get_messages()] == [False]
    assert db.read_bytes() == before


# --- the caches (schema v4: a table each, typed in and out) -------------------------------


def test_candidates_are_kept_in_order_under_their_key(tmp_path: Path) -> None:
    groups = [CachedConversation("c-2", ("inbox/9", "sent/1")), CachedConversation("c-1", ("inbox/3",))]
    with Store.open(tmp_path / "s.db") as store:
        assert store.caches.candidates("k1") is None  # never written: no cache, not an empty one
        store.caches.save_candidates("k1", groups)
        assert store.caches.candidates("k1") == groups
        assert store.caches.candidates("k2") is None  # written under other settings: not used
        store.caches.save_candidates("k2", [])
        assert store.caches.candidates("k2") == [] and store.caches.candidates("k1") is None
        store.caches.forget_candidates()
        assert store.caches.candidates("k2") is None


def test_drafts_described_round_trip(tmp_path: Path) -> None:
    ours = DraftDescription("<followup.1@x>", {"v": "1", "step": "thank_you", "round": "r"},
                            frozenset({"<a@acme.com>", "<b@acme.com>"}), "f1")
    theirs = DraftDescription("<mine@gmail.com>", {}, frozenset(), "f2")
    with Store.open(tmp_path / "s.db") as store:
        assert store.caches.described_drafts() == DescribedDrafts({}, {})
        store.caches.save_described_drafts(DescribedDrafts({"h1": ours, "h2": theirs},
                                                           {"drafts/1": "h1", "drafts/2": "h2", "drafts/3": "h9"}))
        got = store.caches.described_drafts()
        assert got.by_digest == {"h1": ours, "h2": theirs}
        assert got.by_id == {"drafts/1": "h1", "drafts/2": "h2"}  # an id naming no description is left out
        store.caches.save_described_drafts(DescribedDrafts({"h2": theirs}, {"drafts/2": "h2"}))
        assert store.caches.described_drafts() == DescribedDrafts({"h2": theirs}, {"drafts/2": "h2"})


def test_facts_rows_are_written_and_dropped_one_conversation_at_a_time(tmp_path: Path) -> None:
    a = CachedFacts("c-a", "sig-a", '[["deadline"]]', '[true,"why"]')
    b = CachedFacts("c-b", "sig-b", None, '[false,"no"]')
    with Store.open(tmp_path / "s.db") as store:
        assert store.caches.facts("k1") == {}
        store.caches.save_facts("k1", [a, b])
        assert store.caches.facts("k1") == {"c-a": a, "c-b": b}
        a2 = CachedFacts("c-a", "sig-a2", "[]", None)
        store.caches.save_facts("k1", [a2], drop={"c-b"})
        assert store.caches.facts("k1") == {"c-a": a2}
        assert store.caches.facts("k2") == {}  # other settings: nothing remembered
        store.caches.save_facts("k2", [b])  # and writing under them forgets the rest
        assert store.caches.facts("k2") == {"c-b": b} and store.caches.facts("k1") == {}


def test_labels_set_and_server_aliases_round_trip(tmp_path: Path) -> None:
    with Store.open(tmp_path / "s.db") as store:
        assert store.caches.labelled() == {} and store.caches.server_aliases() is None
        store.caches.save_labelled({"c-1": ["gm/2", "gm/1"], "c-2": ("gm/7",), "c-3": []})
        assert store.caches.labelled() == {"c-1": frozenset({"gm/1", "gm/2"}), "c-2": frozenset({"gm/7"})}
        store.caches.save_labelled({})
        assert store.caches.labelled() == {}
        store.caches.save_server_aliases(ServerAliases(T0, ("jl@jordanlee.dev", "j@work.example")))
        store.caches.save_server_aliases(ServerAliases(T0 + timedelta(days=1), ("jl@jordanlee.dev",)))
        assert store.caches.server_aliases() == ServerAliases(T0 + timedelta(days=1), ("jl@jordanlee.dev",))


def test_cache_writes_roll_back_with_their_transaction(tmp_path: Path) -> None:
    with Store.open(tmp_path / "s.db") as store:
        store.caches.save_labelled({"c-1": ["gm/1"]})
        with pytest.raises(RuntimeError), store.transaction():
            store.caches.save_labelled({})
            store.caches.save_candidates("k", [CachedConversation("c-1", ("gm/1",))])
            raise RuntimeError("rolled back")
        assert store.caches.labelled() == {"c-1": frozenset({"gm/1"})}
        assert store.caches.candidates("k") is None


# --- what doctor asks: the file's health and the lock's holder, changing nothing ---------


def test_health_reads_the_file_without_migrating_it(tmp_path: Path) -> None:
    from agent.store_schema import MIGRATIONS

    db = tmp_path / "s.db"
    Store.open(db).close()
    health = Store.health(db)
    assert health.schema_version == SCHEMA_VERSION and health.integrity == "ok" and not health.too_new
    old = tmp_path / "old.db"
    con = sqlite3.connect(old, isolation_level=None)
    for step in MIGRATIONS[:3]:
        step(con)
    con.execute("PRAGMA user_version = 3")
    con.close()
    before = old.read_bytes()
    assert Store.health(old).schema_version == 3  # read, not migrated
    assert old.read_bytes() == before and sorted(p.name for p in tmp_path.iterdir()) == ["old.db", "s.db"]
    con = sqlite3.connect(db)
    con.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    con.close()
    assert Store.health(db).too_new
    db.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(AgentError, match="cannot be read as a database"):
        Store.health(db)


def test_lock_probe_says_who_holds_it_and_takes_nothing(tmp_path: Path) -> None:
    db = tmp_path / "state.db"
    probe = StateLock(db, create=False).probe()
    assert (probe.exists, probe.held, probe.holder) == (False, False, None)
    assert list(tmp_path.iterdir()) == []  # no lock file was made
    root = Path(__file__).resolve().parents[1]
    holder = textwrap.dedent(
        f"""
        import sys
        sys.path.insert(0, {str(root)!r})
        from pathlib import Path
        from agent.store import StateLock
        with StateLock(Path({str(db)!r})):
            print("held", flush=True)
            sys.stdin.readline()
        """
    )
    child = subprocess.Popen([sys.executable, "-c", holder], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             text=True)
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "held"
        probe = StateLock(db, create=False).probe()
        assert probe.exists and probe.held and probe.holder == child.pid and probe.mode == 0o600
    finally:
        assert child.stdin is not None
        child.stdin.close()
        child.wait(timeout=60)
    probe = StateLock(db, create=False).probe()
    assert probe.exists and not probe.held and probe.holder is None
    with StateLock(db):  # the probe let go of it
        pass


def test_a_state_in_memory_is_a_whole_store_without_a_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with Store.in_memory() as store:
        assert store.schema_version == SCHEMA_VERSION and not store.dry_run
        store.put_messages([sample(1)])
        store.record_intent("k", conversation="c-1", round="1", step="thank_you", message_id="<d@x>", at=T0)
        store.set_cursor("memory", "c1")
        assert [m.id for m in store.get_messages()] == ["inbox/1"] and store.get_cursor("memory") == "c1"
        assert [r.key for r in store.ledger_rows()] == ["k"]
    assert list(tmp_path.iterdir()) == []
    with Store.in_memory() as fresh:  # each one is its own
        assert fresh.message_ids() == set() and fresh.get_cursor("memory") is None
