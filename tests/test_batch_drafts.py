"""Several drafts saved in one request (``BatchDrafter``, IMAP MULTIAPPEND): each id names its own
draft, a retry after a lost connection saves none twice, a server without MULTIAPPEND gets one
APPEND each, and the plan's writes keep their order (agent/applying.py)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from agent.actions import Create, Withdraw
from agent.applying import _runs, apply_plan
from agent.backends import imap as imap_mod
from agent.backends.base import BatchDrafter
from agent.backends.imap import ImapMailbox, _uid_list
from agent.backends.memory import MemoryMailbox
from agent.drafts import Draft
from agent.store import Store
from tests.dovecot import DovecotServer, DovecotUser
from tests.tcp_proxy import Fault, TcpProxy

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def _draft(n: int) -> tuple[str, bytes]:
    mid = f"<batch-{n}-{uuid.uuid4().hex}@followup-agent>"
    return mid, (f"From: jordan@example.org\r\nTo: sam@acme.example\r\nSubject: Re: Interview {n}\r\n"
                 f"Message-ID: {mid}\r\nX-Followup-Agent: test\r\n\r\nThank you, {n}!\r\n").encode()


def _mid_of(box: ImapMailbox, draft_id: str) -> str:
    return next(d for d in box.drafts() if d.id == draft_id).data.split(b"Message-ID: ")[1].split(b"\r\n")[0].decode()


@pytest.fixture
def box(dovecot_user: DovecotUser) -> Iterator[ImapMailbox]:
    mailbox = dovecot_user.mailbox()
    try:
        yield mailbox
    finally:
        mailbox.close()


def test_one_multiappend_saves_them_all_and_each_id_names_its_own(dovecot_user: DovecotUser,
                                                                 box: ImapMailbox) -> None:
    drafts = [_draft(n) for n in range(4)]
    assert isinstance(box, BatchDrafter)
    ids = box.create_drafts([(data, None) for _mid, data in drafts])
    assert len(set(ids)) == 4 and len(dovecot_user.uids("Drafts")) == 4
    assert [_mid_of(box, i) for i in ids] == [mid for mid, _data in drafts]


def test_a_retry_saves_only_what_the_cut_lost(dovecot_user: DovecotUser, box: ImapMailbox) -> None:
    drafts = [_draft(n) for n in range(3)]
    first = box.create_draft(drafts[1][1])  # stored before the connection was lost
    datas = [imap_mod._crlf(data) for _mid, data in drafts]
    ids = box._run("retry", lambda c, _a: box._create_drafts(c, datas, [m for m, _d in drafts], 1))
    assert ids[1] == first and len(dovecot_user.uids("Drafts")) == 3
    assert [_mid_of(box, i) for i in ids] == [mid for mid, _data in drafts]


def test_without_multiappend_each_draft_is_its_own_append(dovecot_without: Callable[[str], DovecotServer]) -> None:
    server = dovecot_without("MULTIAPPEND")
    server.start()
    user = server.add_user()
    proxy = TcpProxy(server.host, server.port)
    mailbox = ImapMailbox(user.imap_config(port=proxy.port), lambda: user.password, sleep=lambda _s: None)
    try:
        drafts = [_draft(n) for n in range(3)]
        assert mailbox.create_drafts([(data, None) for _mid, data in drafts]) is None  # nothing sent
        assert not [line for line in proxy.lines if b" APPEND " in line.upper()]
        store = Store.in_memory()
        creates = _creates(3)
        written = apply_plan(creates, mailbox, store, NOW)  # the plan then saves each on its own
        assert [_mid_of(mailbox, i) for _a, i in written] == [a.draft.message_id for a in creates]
        assert len([line for line in proxy.lines if b" APPEND " in line.upper()]) == 3
    finally:
        mailbox.close()
        proxy.close()
        user.close()


def test_an_appenduid_set_reads_in_order() -> None:
    assert _uid_list("7") == [7]
    assert _uid_list("7:9") == [7, 8, 9]
    assert _uid_list("4,7:9") == [4, 7, 8, 9]
    assert _uid_list("9:7") == [7, 8, 9]  # the same range (RFC 3501)
    assert _uid_list("x") == [] and _uid_list("3:") == []


class _Batching(MemoryMailbox):
    """A memory mailbox that can save several drafts at once, and says when it does."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[str] = []

    def create_draft(self, data: bytes, thread_hint: str | None = None) -> str:
        self.calls.append("one")
        return super().create_draft(data, thread_hint)

    def create_drafts(self, drafts: Sequence[tuple[bytes, str | None]]) -> list[str] | None:
        self.calls.append(f"batch of {len(drafts)}")
        return [MemoryMailbox.create_draft(self, data, hint) for data, hint in drafts]

    def delete_draft(self, draft_id: str) -> None:
        self.calls.append("delete")
        super().delete_draft(draft_id)


def _creates(n: int) -> list[Create]:
    """``n`` plan steps that each create a draft in a conversation of its own."""
    out = []
    for i in range(n):
        mid, data = _draft(i)
        key = f"c-{i}:1:thank_you"
        draft = Draft(key=key, message_id=mid, to="sam@acme.example", subject=f"Re: Interview {i}",
                      body="Thank you!", data=data, fingerprint=f"fp-{i}", thread_hint=None)
        out.append(Create(conversation=f"c-{i}", key=key, reason="test", step="thank_you",
                          recipient="sam@acme.example", draft=draft))
    return out


def test_the_plan_keeps_its_order_and_batches_consecutive_creations() -> None:
    creates = _creates(4)
    withdraw = Withdraw(conversation="c-w", key="c-w:1:follow_up", reason="test", step="follow_up",
                        draft_id="drafts/1")
    plan = [creates[0], creates[1], withdraw, creates[2], creates[3]]
    runs = list(_runs(plan, batched=True))
    assert runs == [[creates[0], creates[1]], withdraw, [creates[2], creates[3]]]
    assert list(_runs(plan, batched=False)) == [[creates[0]], [creates[1]], withdraw, [creates[2]], [creates[3]]]


def test_apply_plan_saves_a_run_of_drafts_in_one_call_and_records_each() -> None:
    mailbox, store = _Batching(), Store.in_memory()
    creates = _creates(3)
    written = apply_plan(creates, mailbox, store, NOW)
    assert mailbox.calls == ["batch of 3"]
    assert [a for a, _id in written] == creates
    assert len({draft_id for _a, draft_id in written}) == 3
    for a, draft_id in written:
        row = store.ledger_for(a.conversation)[-1]
        assert (row.status, row.draft_id) == ("created", draft_id)
    single = _creates(1)[0]
    one = apply_plan([replace(single, conversation="c-single", key="c-single:1:thank_you")], mailbox, store, NOW)
    assert mailbox.calls[-1] == "one" and len(one) == 1  # a single draft: the plain call


class _Proxied:
    """A Dovecot user reached through a proxy that can cut the connection (tests/tcp_proxy.py)."""

    def __init__(self, user: DovecotUser) -> None:
        self.user = user
        self.proxy = TcpProxy(user.server.host, user.server.port)
        self.box = ImapMailbox(user.imap_config(port=self.proxy.port), lambda: user.password,
                               sleep=lambda _s: None)

    def close(self) -> None:
        self.box.close()
        self.proxy.close()


@pytest.mark.parametrize("landed", [True, False], ids=["stored-answer-lost", "cut-mid-literal"])
def test_a_cut_multiappend_is_retried_without_a_double(dovecot_user: DovecotUser, landed: bool) -> None:
    """The server stored them all and its answer was lost: the retry finds each by its Message-ID
    and appends nothing. The cut came mid-literal: nothing was stored (RFC 3502: all or none),
    and the retry appends them all once."""
    env = _Proxied(dovecot_user)
    try:
        fault = env.proxy.arm(Fault(command=rb"^\S+ APPEND ", reply=rb"\S+ OK \[APPENDUID") if landed
                              else Fault(command=rb"^\S+ APPEND ", request_bytes=300))
        drafts = [_draft(n) for n in range(3)]
        ids = env.box.create_drafts([(data, None) for _mid, data in drafts])
        assert fault.cuts == 1
        assert len(env.proxy.commands("APPEND")) == (1 if landed else 2)
        assert len(dovecot_user.uids("Drafts")) == 3  # none twice, none missing
        assert [_mid_of(env.box, i) for i in ids] == [mid for mid, _data in drafts]
    finally:
        env.close()
