"""The first-sync window on a real Dovecot, through the wire recorder (tests/tcp_proxy.py): the
first sync lists ``UID SEARCH SINCE`` and fetches the headers of nothing older than the window
except the messages a conversation inside it refers to (found by ``HEADER Message-ID``); a late
delivery (a new UID with an old date) is taken by the next poll; a conversation straddling the
window gets the same status as without it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from agent import engine
from agent.backends.imap import ImapMailbox
from agent.model import INBOX
from agent.samples import ics, message
from agent.store import Store
from agent.window import window_of
from tests.dovecot import DovecotUser
from tests.helpers import make_config, mid_of, t
from tests.tcp_proxy import TcpProxy

USER, ANN = "Jordan Lee <jordan.lee@gmail.com>", "Ann Park <ann.park@acme.example>"
NOW = t(12, 3, 9)
SUBJECT = "Interview for the Platform Engineer role"


@pytest.fixture
def proxy(dovecot_user: DovecotUser) -> Iterator[TcpProxy]:
    with TcpProxy(dovecot_user.server.host, dovecot_user.server.port) as p:
        yield p


def _mailbox(user: DovecotUser, proxy: TcpProxy) -> ImapMailbox:
    return ImapMailbox(user.imap_config(port=proxy.port), lambda: user.password, sleep=lambda _s: None)


def _seed(user: DovecotUser) -> dict[str, int]:
    """Ann's invitation and the acceptance (Nov 24), the thanks and Ann's answer (Dec 1-2), and
    60 old newsletters (October): Message-ID -> UID. Internal dates are the messages' dates."""
    inv = ics("Interview: Jordan Lee / Acme", t(12, 1, 13), t(12, 1, 14), organizer="ann.park@acme.example",
              attendee="jordan.lee@gmail.com")
    mail = [
        ("INBOX", message(ANN, USER, SUBJECT, "Hi Jordan, the invitation is attached.\n\nAnn", t(11, 24, 9),
                          "inv-1@acme.example", calendar=inv), t(11, 24, 9)),
        ("Sent", message(USER, ANN, "Re: " + SUBJECT, "Thank you, I accept.\n\nJordan", t(11, 24, 12),
                         "acc-1@gmail.com", in_reply_to="inv-1@acme.example", references=("inv-1@acme.example",)),
         t(11, 24, 12)),
        ("Sent", message(USER, ANN, "Re: " + SUBJECT, "Thank you for today, Ann.\n\nJordan", t(12, 1, 17),
                         "thx-1@gmail.com", in_reply_to="acc-1@gmail.com",
                         references=("inv-1@acme.example", "acc-1@gmail.com")), t(12, 1, 17)),
        ("INBOX", message(ANN, USER, "Re: " + SUBJECT, "Thanks Jordan! We expect to decide by December 11.\n\nAnn",
                          t(12, 2, 10), "ans-1@acme.example", in_reply_to="thx-1@gmail.com",
                          references=("inv-1@acme.example", "acc-1@gmail.com", "thx-1@gmail.com")), t(12, 2, 10)),
    ]
    for i in range(60):
        mail.append(("INBOX", message("News <news@digest.example>", USER, f"Digest {i}", "Stories.", t(10, 1 + i % 28),
                                      f"news-{i}@digest.example"), t(10, 1 + i % 28)))
    return {mid_of(data): user.deliver(folder, data, when=when) for folder, data, when in mail}


def _fetched_uids(proxy: TcpProxy) -> set[int]:
    """Every UID the client asked headers or bodies for (``UID FETCH <set> ...``)."""
    out: set[int] = set()
    for line in proxy.commands("UID"):
        m = re.match(rb"\S+ UID FETCH ([\d:,]+) ", line)
        for part in (m[1].decode().split(",") if m else ()):
            lo, _, hi = part.partition(":")
            out.update(range(int(lo), int(hi or lo) + 1))
    return out


def test_first_sync_fetches_nothing_older_than_the_window_but_the_referenced(
        dovecot_user: DovecotUser, proxy: TcpProxy) -> None:
    uids = _seed(dovecot_user)
    mb = _mailbox(dovecot_user, proxy)
    try:
        cs = mb.changes(None, window_of(NOW, 5))
        assert sorted(mid_of(r.data) for r in cs.added) == ["<ans-1@acme.example>", "<thx-1@gmail.com>"]
        searches = [line for line in proxy.commands("UID") if b" SEARCH " in line]
        assert searches and all(b"SINCE 27-Nov-2026" in line for line in searches)  # 5 days + a spare one
        assert _fetched_uids(proxy) <= {uids["<ans-1@acme.example>"], uids["<thx-1@gmail.com>"]}
        proxy.lines.clear()
        found = mb.fetch_by_message_id(["<inv-1@acme.example>", "<acc-1@gmail.com>"])
        assert sorted(mid_of(r.data) for r in found) == ["<acc-1@gmail.com>", "<inv-1@acme.example>"]
        assert len([line for line in proxy.commands("UID") if b"HEADER Message-ID" in line]) == 2  # one per folder
        assert _fetched_uids(proxy) == {uids["<inv-1@acme.example>"], uids["<acc-1@gmail.com>"]}
        # nothing new: one STATUS per folder, no SELECT (the window's left-out count keeps the tally)
        proxy.lines.clear()
        again = mb.changes(cs.cursor, window_of(NOW, 5))
        assert again.added == () and again.removed == () and not again.full
        assert not proxy.commands("SELECT") and not proxy.commands("EXAMINE")
        # a late delivery: dated (and internally dated) long ago, but a new UID: taken
        late = message(ANN, USER, "Re: " + SUBJECT, "Sorry, this was stuck in our outbox.\n\nAnn", t(9, 1, 9),
                       "late-1@acme.example", in_reply_to="inv-1@acme.example")
        dovecot_user.deliver(INBOX, late, when=t(9, 1, 9))
        proxy.lines.clear()
        later = mb.changes(again.cursor, window_of(NOW, 5))
        assert [mid_of(r.data) for r in later.added] == ["<late-1@acme.example>"] and not later.full
        assert not [line for line in proxy.commands("UID") if b"SEARCH ALL" in line.upper()]
        # another window: a full resync
        assert mb.changes(later.cursor, window_of(NOW, 400)).full
    finally:
        mb.close()


def test_a_straddling_conversation_gets_the_same_status_with_and_without_the_window(
        dovecot_user: DovecotUser, proxy: TcpProxy, tmp_path: Path) -> None:
    _seed(dovecot_user)
    config = make_config(tmp_path)
    results = []
    for days in (0, 5):
        mb = _mailbox(dovecot_user, proxy)
        try:
            with Store.open(tmp_path / f"state-{days}.db") as store:
                results.append(engine.poll(replace(config, lookback_days=days), mb, store, NOW))
        finally:
            mb.close()
    whole, windowed = results
    assert whole.status and windowed.status == whole.status
    assert (windowed.stats["added"], windowed.stats["referenced_found"], whole.stats["added"]) == (2, 2, 64)
