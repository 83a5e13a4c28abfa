"""A poll that finds nothing new and nothing due answers from the last poll's record
(agent/quick_poll.py, issue 15): when it may, when it must not, and that its answer is the
whole poll's.

The sample mailbox (agent/demo.py) owes Acme a thank-you at ``DEMO_TIMES[0]`` and Globex a
follow-up at ``DEMO_TIMES[1]``: a quick answer must never stand in the way of either.
"""

from __future__ import annotations

import dataclasses
import json
import sqlite3
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from agent.app import drafts_created, run_poll
from agent.config import Config, load_config
from agent.demo import DEMO_TIMES, build_sample
from agent.poll_result import PollResult
from agent.quick_poll import HOLDS_AT_MOST, config_key
from agent.samples import deliver, message
from agent.store import QuickRecord, Store
from agent.store_schema import MIGRATIONS, UNWATCHED
from tests.scenario_runner import run_cli_in_process

NOW = DEMO_TIMES[0]
MINUTE = timedelta(minutes=1)


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return load_config(build_sample(tmp_path))


def _poll(config: Config, now: datetime, *, quick: bool = True, dry_run: bool = False) -> PollResult:
    """As ``poll --once`` runs it (``quick=False``: ``poll --full``)."""
    return run_poll(config, now, dry_run=dry_run, quick=quick, leave_record=True)


def _quick(result: PollResult) -> bool:
    return result.stats.get("quick") is True


def _record(config: Config) -> QuickRecord | None:
    with Store.open(config.state.path) as store:
        return store.load_quick()


def _settled(config: Config) -> PollResult:
    """Poll until nothing is left to do at ``NOW``: the thank-you written, then a whole poll
    with nothing to do, which leaves the record."""
    first = _poll(config, NOW)
    assert drafts_created(first) == 1 and _record(config) is None  # it had work: no record
    second = _poll(config, NOW + MINUTE)
    assert not _quick(second) and second.plan == [] and _record(config) is not None
    return second


def test_a_poll_after_one_with_nothing_to_do_answers_as_it_did(config: Config) -> None:
    whole = _settled(config)
    quick = _poll(config, NOW + 2 * MINUTE)
    assert _quick(quick) and quick.plan == [] and quick.applied
    assert quick.status == whole.status and quick.possible == whole.possible
    assert len(quick.status) == len(whole.decisions) == 4
    rec = _record(config)
    assert rec is not None and rec.at == NOW + MINUTE  # a quick answer leaves the record as it was


def test_it_never_holds_past_the_first_change_of_any_decision(config: Config) -> None:
    """Globex's follow-up falls due at DEMO_TIMES[1]: the record holds until then at the latest,
    and the poll at that moment writes the draft."""
    whole = _settled(config)
    rec = _record(config)
    due = min(d.next.due for d in whole.decisions if d.next is not None and d.next.due > NOW)
    assert rec is not None and rec.until is not None and rec.until <= due <= DEMO_TIMES[1]
    just_before = _poll(config, min(rec.until, rec.at + HOLDS_AT_MOST) - timedelta(microseconds=1))
    assert _quick(just_before)
    at_due = _poll(config, DEMO_TIMES[1])
    assert not _quick(at_due) and drafts_created(at_due) == 1


def test_new_mail_in_a_tracked_conversation_makes_it_a_whole_poll(config: Config) -> None:
    _settled(config)
    assert config.maildir is not None
    deliver(config.maildir.inbox, message("Sam Rivera <sam.rivera@globex.com>", "jordan.lee@gmail.com",
                                          "Re: Globex interview - Data Engineer", "We will decide by Dec 18.",
                                          NOW, "globex-late@globex.com", in_reply_to="me-globex-4@gmail.com"))
    after = _poll(config, NOW + 2 * MINUTE)
    assert not _quick(after) and after.stats["added"] == 1


def test_a_draft_the_user_deleted_makes_it_a_whole_poll_that_records_it(config: Config) -> None:
    _settled(config)
    assert config.maildir is not None
    (draft,) = (config.maildir.drafts / "cur").iterdir()
    draft.unlink()
    after = _poll(config, NOW + 2 * MINUTE)
    assert not _quick(after)
    assert any(d["status"] == "user_deleted" for o in after.status for d in o["drafts"])


@pytest.mark.parametrize("command", [["snooze", "Acme", "--until", "2026-12-20"], ["pause", "Acme"],
                                     ["close", "Globex"], ["note", "Acme", "met the CTO"]])
def test_anything_the_user_says_makes_it_a_whole_poll(config: Config, tmp_path: Path, command: list[str]) -> None:
    _settled(config)
    run_cli_in_process(tmp_path / "config.toml", *command)
    assert _record(config) is None  # the store's trigger forgot it
    assert not _quick(_poll(config, NOW + 2 * MINUTE))


def test_another_config_or_version_makes_it_a_whole_poll(config: Config, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    _settled(config)
    changed = dataclasses.replace(config, policy=dataclasses.replace(config.policy, max_follow_ups=1))
    assert config_key(changed) != config_key(config)
    assert not _quick(_poll(changed, NOW + 2 * MINUTE))
    _poll(config, NOW + 3 * MINUTE)  # the old config again: a whole poll, then quick
    assert _quick(_poll(config, NOW + 4 * MINUTE))
    monkeypatch.setattr("agent.quick_poll.__version__", "99.0")
    assert not _quick(_poll(config, NOW + 5 * MINUTE))


def test_a_clock_gone_back_a_day_gone_by_or_full_asked_make_it_a_whole_poll(config: Config) -> None:
    _settled(config)
    assert not _quick(_poll(config, NOW))  # before the record's own moment
    _poll(config, NOW + MINUTE)
    assert not _quick(_poll(config, NOW + 2 * MINUTE, quick=False))  # poll --full
    with Store.open(config.state.path) as store:
        rec = store.load_quick()
        assert rec is not None
        store.save_quick(dataclasses.replace(rec, until=None))  # no moment known: a day at most
    assert _quick(_poll(config, rec.at + HOLDS_AT_MOST - MINUTE))
    assert not _quick(_poll(config, rec.at + HOLDS_AT_MOST))


def test_a_dry_run_never_answers_from_the_record_nor_leaves_one(config: Config) -> None:
    _settled(config)
    dry = _poll(config, NOW + 2 * MINUTE, dry_run=True)
    assert not _quick(dry) and not dry.applied
    config.state.path.unlink()
    _poll(config, NOW, dry_run=True)
    assert not config.state.path.exists()


def test_the_service_neither_answers_quickly_nor_leaves_a_record(config: Config) -> None:
    """It keeps every decision to schedule the next due step (agent/service.py)."""
    _settled(config)
    polled = run_poll(config, NOW + 2 * MINUTE, dry_run=False)
    assert not _quick(polled) and len(polled.decisions) == 4
    assert _record(config) is None  # its writes forgot the record, and it left none


def test_a_snapshot_that_disagrees_with_the_record_makes_it_a_whole_poll(config: Config) -> None:
    _settled(config)
    with Store.open(config.state.path) as store:
        rec = store.load_quick()
        assert rec is not None
        store.save_quick(dataclasses.replace(rec, tracked=rec.tracked + 1))
    assert not _quick(_poll(config, NOW + 2 * MINUTE))


def test_poll_json_of_a_quick_answer_is_the_whole_polls(config: Config, tmp_path: Path) -> None:
    cfg = tmp_path / "config.toml"
    run_cli_in_process(cfg, "poll", "--once", "--now", NOW.isoformat())
    whole = json.loads(run_cli_in_process(cfg, "poll", "--once", "--json", "--now", (NOW + MINUTE).isoformat()))
    quick = json.loads(run_cli_in_process(cfg, "poll", "--once", "--json", "--now",
                                          (NOW + 2 * MINUTE).isoformat()))
    assert quick["stats"]["quick"] is True and "quick" not in whole["stats"]
    assert {k: v for k, v in quick.items() if k not in ("now", "stats")} == \
        {k: v for k, v in whole.items() if k not in ("now", "stats")}
    text = run_cli_in_process(cfg, "poll", "--once", "--now", (NOW + 3 * MINUTE).isoformat())
    assert text.startswith("Nothing to do at ")


# --- the store's part ----------------------------------------------------------------------


def test_every_table_but_the_mailboxs_mirror_forgets_the_record_on_any_write(tmp_path: Path) -> None:
    with Store.open(tmp_path / "state.db") as store:
        db = store._db
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        triggers = {r[0] for r in db.execute("SELECT tbl_name FROM sqlite_master WHERE type = 'trigger'")}
        assert {t for t in tables - triggers if not t.startswith("sqlite_")} == set(UNWATCHED)  # a table
        # added later needs its triggers too
        counts = dict(db.execute("SELECT tbl_name, count(*) FROM sqlite_master WHERE type = 'trigger' "
                                 "GROUP BY tbl_name"))
        assert set(counts.values()) == {3}  # insert, update, delete
        rec = QuickRecord(NOW, None, "c", "f", 0)
        store.save_quick(rec)
        assert store.load_quick() == rec
        with store.transaction() as tx:
            tx.execute("INSERT INTO links(key, id) VALUES ('k', 'i')")  # a sync's write
        assert store.load_quick() == rec
        store.put_control("c-1", "snooze", "2026-12-20")
        assert store.load_quick() is None


def test_a_version_5_state_gains_the_record_and_its_triggers(tmp_path: Path) -> None:
    path = tmp_path / "state.db"
    con = sqlite3.connect(path, isolation_level=None)
    for step in MIGRATIONS[:5]:
        step(con)
    con.execute("PRAGMA user_version = 5")
    con.execute("INSERT INTO controls(conversation, kind, value, at) VALUES ('c-1', 'pause', '', '2026-12-01')")
    con.close()
    with Store.open(path) as store:
        assert store.load_quick() is None
        store.save_quick(QuickRecord(NOW, NOW + MINUTE, "c", "f", 1))
        store.put_control("c-1", "note", "met the CTO")
        assert store.load_quick() is None


def test_the_config_key_is_the_same_in_every_process(config: Config, tmp_path: Path) -> None:
    """Sets are sorted and nothing depends on the hash seed: two processes agree."""
    code = ("import sys; from pathlib import Path; from agent.config import load_config; "
            "from agent.quick_poll import config_key; print(config_key(load_config(Path(sys.argv[1]))))")
    keys = {subprocess.run([sys.executable, "-c", code, str(tmp_path / "config.toml")], check=True,
                              capture_output=True, text=True, env={"PYTHONHASHSEED": seed, "PATH": "/usr/bin"}
                              ).stdout.strip() for seed in ("1", "2", "3")}
    assert keys == {config_key(config)}


# --- on real mail ----------------------------------------------------------------------------


def test_on_real_mail_every_decision_holds_until_the_polls_steady_moment(tmp_path: Path) -> None:
    """The judgment corpus (real recruiting mail and look-alikes, tests/corpus/judgment): after a
    poll with nothing to do, polls at later moments before its ``steady_until`` decide exactly
    the same, which is what a quick answer assumes."""
    from agent import engine
    from agent.backends.maildir import MaildirMailbox
    from tests.judgment_corpus import load
    from tests.judgment_run import DECIDE_AT, write_mailbox

    config = write_mailbox(load(), tmp_path)
    assert config.maildir is not None
    mailbox = MaildirMailbox.from_config(config.maildir)
    with Store.open(config.state.path) as store:
        start, spans = DECIDE_AT, 0
        while spans < 3:  # three spans in a row: each ends where a decision changes
            spans += 1
            engine.poll(config, mailbox, store, start)  # writes the drafts due then
            start += MINUTE
            settled = engine.poll(config, mailbox, store, start)
            assert settled.plan == [] and len(settled.decisions) >= 20
            assert settled.steady_until == min((d.changes_at for d in settled.decisions if d.changes_at is not None),
                                               default=None)
            until = settled.steady_until or start + timedelta(days=400)  # None: nothing changes with time
            assert until > start
            for at in (start + (until - start) / 2, until - timedelta(microseconds=1)):
                again = engine.poll(config, mailbox, store, at, dry_run=True)
                assert again.plan == [] and again.decisions == settled.decisions
                assert again.status == settled.status
            if settled.steady_until is None:
                break
            start = until
    assert spans == 3, "the corpus should hold at least three spans"
