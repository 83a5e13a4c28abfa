"""The likely candidates' bodies fetched while a cold poll waits for its threading child
(agent/prefetch.py, agent/syncing.py): the candidates and their bodies are exactly those of a
poll without it, only the messages whose headers make them candidates are fetched ahead, and a
sync with no child fetches nothing ahead.

A test process runs threads (pytest-xdist, the Dovecot fixture), where the fork helper rightly
refuses to fork (agent/forked.py); so each comparison runs in a fresh single-threaded
interpreter, once with the child (and the prefetch) and once with ``FOLLOWUP_AGENT_NO_FORK``
(today's path), and reports what it saw as JSON.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pytest

from agent.model import Message, RawMessage
from agent.prefetch import Prefetch
from tests.dovecot import DovecotUser
from tests.judgment_corpus import load
from tests.judgment_run import write_mailbox

ROOT = Path(__file__).resolve().parent.parent

#: run in the fresh interpreter: ``make_mailbox()`` and ``config`` are defined before it
_COMPARE = """
import contextlib, json, os
from datetime import datetime
from zoneinfo import ZoneInfo
from agent import syncing
from agent.candidates import header_tests
from agent.store import Store

NOW = datetime(2026, 12, 15, 10, 0, tzinfo=ZoneInfo("America/New_York"))
syncing.FORK_AT = 1  # a small mailbox threads in a child as a large one does


def poll(fork):
    os.environ.pop("FOLLOWUP_AGENT_NO_FORK", None)
    if not fork:
        os.environ["FOLLOWUP_AGENT_NO_FORK"] = "1"
    mailbox, calls, stats, store = make_mailbox(), [], {}, Store.in_memory()
    fetch = mailbox.fetch
    mailbox.fetch = lambda ids: calls.append(list(ids)) or fetch(calls[-1])
    with contextlib.ExitStack() as cleanup:
        synced = syncing.sync(mailbox, store, config, cleanup, stats, lambda _p: None, NOW)
        tests = header_tests(synced.parsed, config)  # made again at once, for the expected prefetch
        likely = sorted(m.id for m in synced.parsed
                        if not m.has_body and (m.id in tests.recruiting or m.auto.is_report))
        candidates = syncing.select(synced, store, config, stats, lambda _p: None)
        candidates = syncing.with_bodies(candidates, mailbox, store, config, stats, lambda _p: None,
                                         synced.prefetch)
    close = getattr(mailbox, "close", None)
    if close is not None:
        close()
    return candidates, calls, stats, likely, store.get_messages()


ahead, ahead_calls, ahead_stats, likely, ahead_store = poll(fork=True)
today, today_calls, today_stats, _likely, today_store = poll(fork=False)
fetched_today = sorted({i for c in today_calls for i in c})
print(json.dumps({
    "same_candidates": [(c.id, c.messages) for c in ahead] == [(c.id, c.messages) for c in today],
    "same_store": ahead_store == today_store,
    "candidates": len(ahead),
    "bodies": sum(m.has_body for c in ahead for m in c.messages),
    "threaded_alongside": [ahead_stats.get("threaded_alongside"), today_stats.get("threaded_alongside")],
    "prefetched": [ahead_stats.get("bodies_prefetched"), today_stats.get("bodies_prefetched")],
    "unused": ahead_stats.get("bodies_prefetched_unused"),
    "fetched": [ahead_stats["bodies_fetched"], today_stats["bodies_fetched"]],
    "first_call": sorted(ahead_calls[0]) if ahead_calls else [],
    "likely": likely,
    "calls": [len(ahead_calls), len(today_calls)],
    "ahead_fetched": sorted({i for c in ahead_calls for i in c}),
    "today_fetched": fetched_today,
    "reports": sum(m.auto.is_report for m in ahead_store),
}))
"""


def _compare(setup: str) -> dict[str, Any]:
    code = textwrap.dedent(setup) + _COMPARE
    env = {k: v for k, v in os.environ.items() if k != "FOLLOWUP_AGENT_NO_FORK"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env,
                         timeout=300, check=False)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def _check(got: dict[str, Any]) -> None:
    """The same candidates, bodies and store with and without the prefetch; the prefetch asked
    exactly the likely candidates, once, and the bodies stage fetched only what it lacked."""
    assert got["threaded_alongside"] == [True, False]  # a child in the first poll, none in the second
    assert got["same_candidates"] and got["same_store"]
    assert got["candidates"] > 0 and got["bodies"] > 0
    assert got["first_call"] == got["likely"] and got["likely"]  # only the likely candidates ahead
    assert got["prefetched"][0] == len(got["likely"]) and got["prefetched"][1] is None  # none without a child
    assert got["fetched"][0] == got["fetched"][1]  # the bodies stage counts them as its own
    # everything fetched is what today's poll fetches, plus the likely ones threading did not keep
    assert set(got["ahead_fetched"]) == set(got["today_fetched"]) | set(got["likely"])
    assert got["unused"] == len(set(got["likely"]) - set(got["today_fetched"]))


def test_on_the_real_mail_corpus_the_prefetch_changes_no_candidate_and_no_body(tmp_path: Path) -> None:
    """The labeled corpus (tests/corpus/judgment) in a Maildir, handed over in batches as a
    streaming backend does, so that the cold sync makes its header tests and forks."""
    write_mailbox(load(), tmp_path)
    got = _compare(f"""
        import dataclasses
        from pathlib import Path
        from agent.backends.maildir import MaildirMailbox
        from agent.config import load_config
        config = load_config(Path({str(tmp_path / "config.toml")!r}))

        class Streamed(MaildirMailbox):
            def stream_changes(self, cursor, window, sink):
                cs = self.changes(cursor, window)
                if not cs.full:
                    return cs
                sink.begin()
                for start in range(0, len(cs.added), 100):
                    sink.add(cs.added[start:start + 100])
                return dataclasses.replace(cs, added=())

        def make_mailbox():
            return Streamed.from_config(config.maildir)
    """)
    _check(got)
    assert got["reports"] > 0  # the corpus's bounces are among the likely candidates
    assert got["calls"][0] == got["calls"][1] + 1  # one FETCH ahead, then what was still missing


def test_a_streamed_imap_sync_against_dovecot_prefetches_the_same_bodies(dovecot_user: DovecotUser,
                                                                        tmp_path: Path) -> None:
    """Part of the corpus (its recruiting conversations and bounces, and as much other mail)
    delivered to Dovecot: the IMAP backend streams its cold sync and fetches bodies by UID."""
    convs = load()
    recruiting = [c for c in convs if c.recruiting][:40]
    others = [c for c in convs if not c.recruiting][:40]
    for conv in recruiting + others:
        for m in conv.messages:
            dovecot_user.deliver("Sent" if m.folder == "sent" else "INBOX", m.data)
    write_mailbox([], tmp_path)  # the corpus user's config (its Maildir is not read)
    got = _compare(f"""
        from pathlib import Path
        from agent.backends.imap import ImapMailbox
        from agent.config import ImapConfig, load_config
        config = load_config(Path({str(tmp_path / "config.toml")!r}))
        imap = ImapConfig(host={dovecot_user.server.host!r}, port={dovecot_user.server.port}, security="none",
                          username={dovecot_user.username!r}, timeout=10.0)

        def make_mailbox():
            return ImapMailbox(imap, lambda: {dovecot_user.password!r}, sleep=lambda _s: None)
    """)
    _check(got)


class _Mailbox:
    """Only ``fetch``: the bytes of the ids it holds (a gone id is left out)."""

    def __init__(self, held: Mapping[str, bytes]) -> None:
        self.held = held
        self.asked: list[list[str]] = []

    def fetch(self, ids: Iterable[str]) -> dict[str, bytes]:
        self.asked.append(list(ids))
        return {i: self.held[i] for i in self.asked[-1] if i in self.held}


def _header_only(mid: str) -> Message:
    from agent.mail.parse import parse_message

    data = f"From: a@b.example\r\nSubject: Interview {mid}\r\nMessage-ID: <{mid}@b.example>\r\n\r\n".encode()
    return parse_message(RawMessage(id=mid, folder="inbox", data=data, headers_only=True))


def test_each_body_is_handed_out_once_and_the_rest_let_go() -> None:
    box = _Mailbox({i: f"From: a@b.example\r\nMessage-ID: <{i}@b.example>\r\n\r\nBody {i}\r\n".encode()
                    for i in ("1", "2", "3")})
    ahead = Prefetch(box)  # type: ignore[arg-type]
    ahead.run([_header_only(i) for i in ("1", "2", "3", "gone")])
    assert box.asked == [["1", "2", "3", "gone"]] and len(ahead) == 3 and ahead.asked == 4
    taken = ahead.take(["2", "gone", "9"])
    assert list(taken) == ["2"] and "Body 2" in taken["2"].text and taken["2"].has_body
    assert taken["2"].folder == "inbox"
    assert ahead.take(["2"]) == {}  # once only
    assert ahead.drop() == 2 and len(ahead) == 0


def test_nothing_to_prefetch_asks_the_backend_nothing() -> None:
    box = _Mailbox({})
    ahead = Prefetch(box)  # type: ignore[arg-type]
    ahead.run([])
    assert box.asked == [] and ahead.take(["1"]) == {}


@pytest.fixture(autouse=True)
def _no_leftover_switch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FOLLOWUP_AGENT_NO_FORK", raising=False)
