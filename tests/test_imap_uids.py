"""The IMAP cursor's UID runs (agent/backends/imap_uids.py) and the incremental sync that works on
them without expanding the UID set (issue 15, item 2). Nothing here is timed: the tests check
the results against plain sets, and that a small change never walks or searches the whole set."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from agent.backends.imap import ImapMailbox, _compress_uids, _FolderState
from agent.backends.imap_uids import UidRuns
from tests.dovecot import DovecotUser
from tests.helpers import by_mid

uid_sets = st.sets(st.integers(min_value=1, max_value=300), max_size=120)


@given(uid_sets)
def test_runs_hold_exactly_the_uids_given(uids: set[int]) -> None:
    runs = UidRuns.of(uids)
    assert list(runs) == sorted(uids) and len(runs) == len(uids)
    assert all((u in runs) == (u in uids) for u in range(0, 302))
    assert runs.text() == _compress_uids(uids)  # the cursor's text is unchanged
    assert UidRuns.parse(runs.text()) == runs
    assert runs.max == max(uids, default=0)


@given(uid_sets, uid_sets, uid_sets)
def test_union_and_without_are_set_operations(base: set[int], added: set[int], gone: set[int]) -> None:
    runs = UidRuns.of(base)
    assert runs.union(added) == UidRuns.of(base | added)
    assert runs.without(gone) == UidRuns.of(base - gone)
    assert len(runs.without(gone)) == len(base - gone)


def test_runs_parse_old_and_odd_text() -> None:
    assert list(UidRuns.parse("5:3,9,1:2,2")) == [1, 2, 3, 4, 5, 9]  # reversed, unsorted, overlapping
    assert UidRuns.parse("") == UidRuns() and UidRuns().max == 0
    assert "7" not in UidRuns.parse("7")  # only ints are held
    big = UidRuns.parse("1:100000")
    assert len(big) == 100000 and big.lows == (1,) and big.highs == (100000,)
    split = big.without([50000])
    assert split.text() == "1:49999,50001:100000" and len(split) == 99999
    assert split.union([50000]) == big
    assert big.union([100001, 100002]).text() == "1:100002"


def test_a_folder_state_from_runs_round_trips_without_expanding() -> None:
    st_ = _FolderState("INBOX", 7, 100006, 9, None, {}, runs=UidRuns.parse("1:99999,100001:100005"))
    doc = st_.to_json()
    assert doc["uids"] == "1:99999,100001:100005" and doc["n"] == 100004 and st_._uids is None
    back = _FolderState.from_json(doc)
    assert back.count == 100004 and back.runs == st_.runs and back._uids is None
    assert 100000 not in back.runs and 100003 in back.runs


# --- against Dovecot --------------------------------------------------------------------------


def _message(subject: str) -> tuple[str, bytes]:
    mid = f"<{uuid.uuid4().hex}@example.com>"
    return mid, (f"From: Rec <rec@example.com>\r\nTo: me@example.com\r\nSubject: {subject}\r\n"
                 f"Message-ID: {mid}\r\nDate: Mon, 2 Nov 2026 10:00:00 +0000\r\n\r\nHello\r\n").encode()


class _Spy:
    """Records every UID SEARCH and every expansion of a cursor's whole UID set."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.searches: list[list[Any]] = []
        self.expanded = 0
        search = ImapMailbox._search
        uids = _FolderState.uids

        def spy_search(mb: ImapMailbox, c: Any, criteria: list[Any]) -> list[int]:
            self.searches.append(list(criteria))
            return search(mb, c, criteria)

        def spy_uids(state: _FolderState) -> set[int]:
            self.expanded += 1
            return uids.fget(state)  # type: ignore[attr-defined, no-any-return]

        monkeypatch.setattr(ImapMailbox, "_search", spy_search)
        monkeypatch.setattr(_FolderState, "uids", property(spy_uids))


@pytest.mark.parametrize("drop", [(), ("QRESYNC",), ("QRESYNC", "CONDSTORE")])
def test_new_and_vanished_mail_never_expands_or_searches_the_whole_set(
        dovecot_user: DovecotUser, monkeypatch: pytest.MonkeyPatch, drop: tuple[str, ...]) -> None:
    """New messages (and, with QRESYNC, removed ones) are found by EXISTS arithmetic on the runs:
    no ``UID SEARCH ALL``, no expansion of the stored UID set; the result is what a full
    comparison gives."""
    user = dovecot_user
    uids = [user.deliver("INBOX", _message(f"Old {i}")[1]) for i in range(6)]
    with ImapMailbox(user.imap_config(), lambda: user.password, ignore_capabilities=drop) as mb:
        first = mb.changes(None)
        ids = {r.id.rsplit("/", 1)[1]: r.id for r in first.added}
        spy = _Spy(monkeypatch)
        new_mid, data = _message("New")
        user.deliver("INBOX", data)
        if "QRESYNC" not in drop:
            user.expunge("INBOX", [uids[2]])
        cs = mb.changes(first.cursor)
        assert list(by_mid(cs.added)) == [new_mid] and not cs.full
        assert list(cs.removed) == ([] if "QRESYNC" in drop else [ids[str(uids[2])]])
        assert ["ALL"] not in spy.searches and spy.expanded == 0
        assert mb.changes(cs.cursor).added == ()
        if "QRESYNC" in drop:  # without QRESYNC a removal shows only in the count: then compare
            user.expunge("INBOX", [uids[2]])
            gone = mb.changes(cs.cursor)
            assert list(gone.removed) == [ids[str(uids[2])]] and ["ALL"] in spy.searches
