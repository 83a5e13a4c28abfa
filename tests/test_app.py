"""The use cases in agent/app.py, in process: the lock a poll runs under, and the cached status.

The command-line tests run them through the CLI; these pin the rules the
service and ``status`` rely on: a real poll is refused while another holder
has the state lock, a dry run reads on without it and writes nothing, and a
lock the caller holds is used rather than taken twice.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.app import all_conversations, cached_status, drafts_created, run_poll
from agent.config import Config, load_config
from agent.demo import DEMO_TIMES, build_sample
from agent.errors import AgentError, StateLockedError
from agent.store import StateLock, Store

NOW = DEMO_TIMES[0]  # the sample owes Acme a thank-you then


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return load_config(build_sample(tmp_path))


def _drafts(config: Config) -> list[Path]:
    assert config.maildir is not None
    return sorted((config.maildir.drafts / "cur").iterdir())


def test_a_poll_takes_the_lock_writes_and_releases_it(config: Config) -> None:
    result = run_poll(config, NOW, dry_run=False)
    assert result.applied and drafts_created(result) == 1
    assert len(_drafts(config)) == 1
    with StateLock(config.state.path):  # released: another process may take it now
        pass


def test_a_poll_is_refused_while_another_holder_has_the_lock(config: Config) -> None:
    run_poll(config, NOW, dry_run=True)  # nothing to lock yet: a dry run creates no state
    assert not config.state.path.exists()
    with StateLock(config.state.path), pytest.raises(StateLockedError):
        run_poll(config, NOW, dry_run=False)
    assert _drafts(config) == []


def test_a_dry_run_reads_on_while_another_holder_has_the_lock(config: Config) -> None:
    run_poll(config, DEMO_TIMES[0], dry_run=False)
    with StateLock(config.state.path):
        result = run_poll(config, DEMO_TIMES[1], dry_run=True)
    assert not result.applied and drafts_created(result) == 1  # Globex's follow-up, not written
    assert len(_drafts(config)) == 1


def test_the_callers_lock_is_used_not_taken_again(config: Config) -> None:
    """The service holds the lock for its lifetime and passes it in (flock would refuse a second one)."""
    lock = StateLock(config.state.path).acquire()
    try:
        result = run_poll(config, NOW, dry_run=False, lock=lock)
        assert result.applied and lock.held
    finally:
        lock.release()
    assert len(_drafts(config)) == 1


def test_all_conversations_holds_those_no_poll_reads(config: Config) -> None:
    run_poll(config, NOW, dry_run=False)
    polled = run_poll(config, NOW, dry_run=True).conversations
    everything = all_conversations(config, NOW)
    assert set(polled) < set(everything)
    assert "Dinner on Sunday?" in {c.subject for c in everything.values()} - {c.subject for c in polled.values()}


def test_cached_status_is_the_last_polls_view(config: Config) -> None:
    with pytest.raises(AgentError, match="No state at"):
        cached_status(config)
    result = run_poll(config, NOW, dry_run=False)
    cached = cached_status(config)
    assert cached.tracked == result.status and cached.possible == result.possible


def test_cached_status_reads_a_snapshot_from_before_the_review_queue(config: Config) -> None:
    import json
    import sqlite3

    from agent.store_schema import MIGRATIONS

    config.state.path.parent.mkdir(parents=True, exist_ok=True)
    Store.open(config.state.path).close()
    with pytest.raises(AgentError, match="No poll has completed yet"):
        cached_status(config)
    config.state.path.unlink()
    con = sqlite3.connect(config.state.path, isolation_level=None)  # a v3 state, as that agent left it
    for step in MIGRATIONS[:3]:
        step(con)
    con.execute("PRAGMA user_version = 3")
    con.execute("INSERT INTO snapshot(id, at, json) VALUES (1, ?, ?)",
                (NOW.isoformat(), json.dumps([{"thread": "c-1"}])))  # the bare list it used to be
    con.close()
    cached = cached_status(config)
    assert cached.tracked == [{"thread": "c-1"}] and cached.possible == []
