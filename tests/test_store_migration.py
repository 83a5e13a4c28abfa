"""Schema v4: a v3 state, as the v3 agent wrote it, migrated without losing a ledger row,
a control or a mark, and with every cache it kept in ``meta`` moved to its own table.

The main fixture, ``tests/data/state_v3.sql``, is a dump of a database the
real v3 agent wrote (``tests/data/make_state_v3.py`` tells the story it played
on the Gmail stand-in: drafts created, deleted, withdrawn and waiting, a
label set, pause/snooze/note and three marks). The others are built here
with the v1–v3 migration steps, as ``tests/test_store.py`` builds a v2 state.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from agent import facts_cache
from agent import store as store_module
from agent.model import MESSAGE_FORMAT, Conversation
from agent.store import (
    SCHEMA_VERSION,
    CachedConversation,
    DescribedDrafts,
    DraftDescription,
    ServerAliases,
    Store,
)
from agent.store_schema import MIGRATIONS

FIXTURE = Path(__file__).parent / "data" / "state_v3.sql"


def _v3_from_fixture(path: Path) -> Path:
    con = sqlite3.connect(path, isolation_level=None)
    con.executescript(FIXTURE.read_text(encoding="utf-8"))
    assert con.execute("PRAGMA user_version").fetchone()[0] == 3
    con.close()
    return path


def _rows(db: Path, sql: str) -> list[tuple[Any, ...]]:
    con = sqlite3.connect(db)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def _meta(db: Path) -> dict[str, str]:
    return dict(_rows(db, "SELECT key, value FROM meta"))  # type: ignore[arg-type]


def _tables(db: Path) -> set[str]:
    return {r[0] for r in _rows(db, "SELECT name FROM sqlite_master WHERE type = 'table'")}


_KEPT = {  # the tables v4 does not touch, read whole
    "ledger": "SELECT * FROM ledger ORDER BY key",
    "controls": "SELECT * FROM controls ORDER BY seq",
    "messages": "SELECT * FROM messages ORDER BY id",
    "links": "SELECT * FROM links ORDER BY key, id",
}


@pytest.fixture
def v3(tmp_path: Path) -> Path:
    return _v3_from_fixture(tmp_path / "state.db")


def test_the_fixture_is_a_v3_state_with_everything_in_it(v3: Path) -> None:
    """What the migration is tested on: a state with each kind of row the v3 agent wrote."""
    assert set(_meta(v3)) == {"cursor:gmail", "message_format", "candidates", "labeled", "drafts-described",
                              "facts", "server-aliases", "last_poll"}
    assert {r[0] for r in _rows(v3, "SELECT status FROM ledger")} == {"withdrawn", "user_deleted", "created"}
    assert sorted(r[0] for r in _rows(v3, "SELECT kind FROM controls")) == [
        "mark", "mark", "mark", "note", "pause", "snooze"]
    assert json.loads(_meta(v3)["labeled"]) and json.loads(_meta(v3)["drafts-described"])["by_hash"]


def test_no_ledger_row_control_mark_or_message_is_lost(v3: Path) -> None:
    before = {name: _rows(v3, sql) for name, sql in _KEPT.items()}
    with Store.open(v3) as store:
        assert store.schema_version == SCHEMA_VERSION == 6
        assert len(store.ledger_rows()) == len(before["ledger"]) == 3
        marks = store.get_controls(kind="mark")
        assert [json.loads(m.value)["what"] for m in marks] == ["interviewed", "timeline", "recruiting"]
        store.put_control("c-new", "pause")  # the sequence goes on after the v3 rows
        assert store.get_controls("c-new")[0].seq == 7
    after = {name: _rows(v3, sql) for name, sql in _KEPT.items()}
    after["controls"] = [r for r in after["controls"] if r[1] != "c-new"]
    # a parser newer than v3's marks the bodies it stored to be read again (agent.model.MESSAGE_FORMAT):
    # that mark aside, every message is as it was
    assert _unmarked(after.pop("messages")) == _unmarked(before.pop("messages"))
    assert after == before
    assert not _tables(v3) & {"meta", "events"}


def _unmarked(rows: list[tuple[object, ...]]) -> list[tuple[object, ...]]:
    """Message rows without their has-body mark (the column and the field in the JSON document)."""
    out = []
    for r in rows:
        doc = json.loads(str(r[5]))
        doc.pop("has_body", None)
        out.append((*r[:3], *r[4:5], doc, *r[6:]))
    return out


def test_every_cache_moves_to_its_table(v3: Path) -> None:
    meta = _meta(v3)
    (snap_at, snap_doc), = _rows(v3, "SELECT at, json FROM snapshot")
    with Store.open(v3) as store:
        assert store.get_cursor("gmail") == meta["cursor:gmail"]
        assert store.message_format() == MESSAGE_FORMAT
        candidates = json.loads(meta["candidates"])
        assert store.caches.candidates(candidates["config"]) == [
            CachedConversation(cid, tuple(ids)) for cid, ids in candidates["conversations"]]
        assert store.caches.labelled() == {cid: frozenset(ids) for cid, ids in json.loads(meta["labeled"]).items()}
        drafts = json.loads(meta["drafts-described"])
        assert store.caches.described_drafts() == DescribedDrafts(
            {h: DraftDescription(mid, marker, frozenset(refs), fp) for h, (mid, marker, refs, fp)
             in drafts["by_hash"].items()}, drafts["by_id"])
        facts = json.loads(meta["facts"])
        rows = store.caches.facts(facts["config"])
        assert {cid: [r.signature, _load(r.facts), _load(r.tracking)] for cid, r in rows.items()} == \
            facts["conversations"]
        aliases = json.loads(meta["server-aliases"])
        assert store.caches.server_aliases() == ServerAliases(datetime.fromisoformat(aliases["at"]),
                                                              tuple(aliases["aliases"]))
        snap = store.load_snapshot()
        doc = json.loads(snap_doc)
        assert snap is not None and snap.at == datetime.fromisoformat(snap_at)
        assert (list(snap.tracked), list(snap.possible)) == (doc["tracked"], doc["possible"])
        assert snap.possible, "the fixture has a conversation in the review queue"
        # v3's last_poll was written with the snapshot, at the same moment: the snapshot keeps it
        assert snap.at == datetime.fromisoformat(meta["last_poll"])


def _load(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def test_a_warm_poll_after_the_upgrade_finds_its_candidates_and_facts(v3: Path, monkeypatch: pytest.MonkeyPatch
                                                                       ) -> None:
    """The caches are usable, not only copied: every candidate's messages are in the store,
    and each conversation they make has the signature its remembered facts were kept under.
    (Measured with the v3 fixture's parser format: a newer parser marks the bodies to be read
    again, which changes the signatures on purpose.)"""
    monkeypatch.setattr(store_module, "MESSAGE_FORMAT", int(_meta(v3)["message_format"]))
    key = json.loads(_meta(v3)["candidates"])["config"]
    facts_key = json.loads(_meta(v3)["facts"])["config"]
    with Store.open(v3) as store:
        groups = store.caches.candidates(key)
        assert groups
        msgs = {m.id: m for m in store.get_messages(i for g in groups for i in g.message_ids)}
        convs = [Conversation(g.id, tuple(msgs[i] for i in g.message_ids)) for g in groups]
        kept = store.caches.facts(facts_key)
        assert {c.id for c in convs} == set(kept)
        assert all(facts_cache.signature(c) == kept[c.id].signature for c in convs)


def test_a_dry_run_of_a_v3_state_migrates_in_memory_only(v3: Path) -> None:
    before = v3.read_bytes()
    with Store.open(v3, readonly_dry_run=True) as store:
        assert store.schema_version == SCHEMA_VERSION
        assert store.get_cursor("gmail") is not None and store.caches.labelled()
    assert v3.read_bytes() == before
    assert sorted(p.name for p in v3.parent.iterdir()) == ["state.db"]


# --- v3 states built here: the shapes the fixture does not hold ----------------------------


def _v3_state(path: Path, meta: dict[str, str], snapshot: Any = None) -> Path:
    con = sqlite3.connect(path, isolation_level=None)
    for step in MIGRATIONS[:3]:
        step(con)
    con.execute("PRAGMA user_version = 3")
    con.executemany("INSERT INTO meta(key, value) VALUES (?, ?)", list(meta.items()))
    con.execute("INSERT INTO ledger VALUES ('c-1:r:thank_you', 'c-1', 'r', 'thank_you', '<d@x>', 'drafts/1', "
                "'h', 'created', '2026-12-01T14:00:00+00:00', '2026-12-01T14:00:00+00:00', '')")
    con.execute("INSERT INTO controls(conversation, kind, value, at) VALUES "
                "('c-1', 'mark', '{\"what\": \"recruiting\", \"value\": true}', '2026-12-01T14:00:00+00:00')")
    con.execute("INSERT INTO events(ts, conversation, kind) VALUES ('2026-12-01T14:00:00+00:00', 'c-1', 'x')")
    if snapshot is not None:
        con.execute("INSERT INTO snapshot(id, at, json) VALUES (1, '2026-12-01T14:00:00+00:00', ?)",
                    (json.dumps(snapshot),))
    con.close()
    return path


def test_a_snapshot_from_before_the_review_queue_is_the_tracked_list(tmp_path: Path) -> None:
    db = _v3_state(tmp_path / "s.db", {}, snapshot=[{"thread": "c-1", "state": "open"}])
    with Store.open(db) as store:
        snap = store.load_snapshot()
        assert snap is not None and snap.tracked == ({"thread": "c-1", "state": "open"},) and snap.possible == ()


def test_caches_v3_could_not_read_are_left_behind_and_the_rest_is_kept(tmp_path: Path) -> None:
    """v3 read each cache under a broad ``except`` and rebuilt what it could not decode; the
    migration does the same, and never at the cost of a ledger row, a control or a cursor."""
    db = _v3_state(tmp_path / "s.db", {
        "cursor:maildir": "md1:abc", "message_format": str(MESSAGE_FORMAT), "candidates": "{not json",
        "labeled": '["not", "a", "map"]', "drafts-described": '{"by_hash": {"h": [1, 2]}, "by_id": {}}',
        "facts": '{"config": "k", "conversations": {"c-1": ["sig", null, null], "c-2": "junk"}}',
        "server-aliases": '{"aliases": ["a@x"]}', "last_poll": "2026-12-01T14:00:00+00:00",
    }, snapshot={"tracked": "not a list"})
    with Store.open(db) as store:
        assert store.get_cursor("maildir") == "md1:abc"
        assert store.caches.candidates("anything") is None
        assert store.caches.labelled() == {}
        assert store.caches.described_drafts() == DescribedDrafts({}, {})
        assert list(store.caches.facts("k")) == ["c-1"]  # the readable entry is kept
        assert store.caches.server_aliases() is None
        assert store.load_snapshot() is None
        assert [r.key for r in store.ledger_rows()] == ["c-1:r:thank_you"]
        assert [c.kind for c in store.get_controls("c-1")] == ["mark"]


def test_a_v3_state_with_no_caches_at_all(tmp_path: Path) -> None:
    db = _v3_state(tmp_path / "s.db", {})
    with Store.open(db) as store:
        assert store.get_cursor("maildir") is None and store.load_snapshot() is None
        assert store.message_format() == MESSAGE_FORMAT
        assert len(store.ledger_rows()) == 1
