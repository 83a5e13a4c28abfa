"""A streamed cold sync's candidate selection (agent/syncing.py): the candidate test's parts made
batch by batch cover every message, select picks what a selection from the store picks, and the
whole mailbox's parsed messages are let go once threaded."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

from agent.candidates import candidates_of, header_tests
from agent.store import Store
from agent.syncing import select, sync
from tests.dovecot import DovecotUser
from tests.test_cold_stream import NOW, _config, _mail


def test_a_streamed_cold_sync_selects_as_the_store_would_and_lets_the_mail_go(
        dovecot_user: DovecotUser, tmp_path: Path) -> None:
    for n in range(4):
        dovecot_user.deliver("INBOX", _mail(n))
    dovecot_user.deliver("INBOX", _mail(7, sender="News <news@list.example>").replace(
        b"Content-Type", b"List-Id: <news.list.example>\r\nContent-Type"))
    dovecot_user.deliver("Sent", _mail(90, sender="Jordan <jordan@example.org>", to="sam@acme.example"))
    config = _config(tmp_path)
    store = Store.in_memory()
    stats: dict[str, Any] = {}
    box = dovecot_user.mailbox()
    try:
        with contextlib.ExitStack() as cleanup:
            synced = sync(box, store, config, cleanup, stats, lambda _p: None, NOW)
            assert synced.tests is not None and len(synced.parsed) == 6
            made = header_tests(synced.parsed, config)  # what the batches should have made, made at once
            assert (synced.tests.user, synced.tests.recruiting) == (made.user, made.recruiting)
            assert len(synced.tests.user) == 1 and len(synced.tests.recruiting) == 5  # the list mail is bulk
            candidates = select(synced, store, config, stats, lambda _p: None)
    finally:
        box.close()
    expected, _n = candidates_of(store.get_messages(), config, (), None)
    assert candidates and {c.id: [m.id for m in c.messages] for c in candidates} == \
        {c.id: [m.id for m in c.messages] for c in expected}
    assert synced.parsed == []  # let go once threaded: the candidates hold their own messages
