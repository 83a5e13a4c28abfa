"""The in-memory backend beyond the conformance suite: what makes it behave like a server.

tests/test_mailbox_conformance.py runs the shared suite on it; here: flag and
label changes, the cursor's limits (another server, UIDVALIDITY, a short
history), header blocks, draft threads, labels and aliases.
"""

from __future__ import annotations

import threading

import pytest

from agent.backends.base import HEADER_FIELDS, AliasSource, Labeller, Mailbox
from agent.backends.memory import MemoryMailbox, MemoryServer, header_block
from agent.errors import MailboxError
from agent.mail.parse import parse_message
from agent.model import ALL, DRAFTS, INBOX, SENT
from agent.samples import message
from tests.helpers import by_mid, mid_of, t

ME = "Jordan Lee <jordan.lee@gmail.com>"
ANN = "Ann Park <ann.park@acme.com>"


def mail(n: int, headers: dict[str, str] | None = None) -> bytes:
    return message(ANN, ME, f"Interview {n}", f"Body {n}.", t(11, 20 + n % 5), f"m{n}@acme.com", headers=headers)


@pytest.fixture
def server() -> MemoryServer:
    return MemoryServer()


def test_it_offers_the_protocol_and_both_options(server: MemoryServer) -> None:
    mb = MemoryMailbox(server)
    assert isinstance(mb, Mailbox) and isinstance(mb, Labeller) and isinstance(mb, AliasSource)
    assert mb.name == "memory" and MemoryMailbox().server is not server


def test_ids_are_role_uidvalidity_uid_and_never_reused(server: MemoryServer) -> None:
    first = server.deliver(INBOX, mail(1))
    assert first == "inbox/1/1"
    server.delete(first)
    assert server.deliver(INBOX, mail(2)) == "inbox/1/2"
    assert server.deliver(SENT, mail(3)) == "sent/1/1"
    with pytest.raises(ValueError, match="unknown folder role"):
        server.deliver("spam", mail(4))


def test_changes_are_header_blocks_of_the_fields_the_pipeline_reads(server: MemoryServer) -> None:
    data = mail(1, headers={"X-Mailer": "Outlook", "List-Id": "<jobs.acme.com>"})
    server.deliver(INBOX, data)
    (raw,) = MemoryMailbox(server).changes(None).added
    assert raw.headers_only and raw.folder == INBOX
    assert raw.data.endswith(b"\r\n\r\n") and b"Body 1." not in raw.data
    names = {line.split(b":")[0].decode().lower() for line in raw.data.split(b"\r\n") if line}
    assert names <= {h.lower() for h in HEADER_FIELDS} and {"list-id", "message-id", "subject"} <= names
    assert parse_message(raw).subject == "Interview 1"
    assert MemoryMailbox(server).fetch([raw.id]) == {raw.id: data}


def test_a_header_block_keeps_folds_and_reads_hostile_input() -> None:
    folded = b"Subject: a long\r\n subject\r\nX-Other: no\r\nReferences: <a@x>\r\n\t<b@x>\r\n\r\nbody\r\n"
    assert header_block(folded) == b"Subject: a long\r\n subject\r\nReferences: <a@x>\r\n\t<b@x>\r\n\r\n"
    assert header_block(b"") == b"\r\n"
    assert header_block(b"\xff\xfe\x00garbage without headers at all") == b"\r\n"
    assert header_block(b"Subject: caf\xc3\xa9\n\nbody") == b"Subject: caf\xc3\xa9\r\n\r\n"


def test_a_flag_or_label_change_reports_the_message_again(server: MemoryServer) -> None:
    mid = server.deliver(INBOX, mail(1))
    mb = MemoryMailbox(server)
    cursor = mb.changes(None).cursor
    server.set_flags(mid, {"\\Seen", "Follow-up/Pause"})
    cs = mb.changes(cursor)
    assert [(r.id, r.flags) for r in cs.added] == [(mid, {"\\Seen", "Follow-up/Pause"})]
    server.set_labels(mid, {"Jobs"})
    cs = mb.changes(cs.cursor)
    # the keyword is still set: like the IMAP backend, keywords are handed over among the labels
    assert [(r.id, r.labels) for r in cs.added] == [(mid, {"Jobs", "Follow-up/Pause"})]
    server.set_labels(mid, {"Jobs"})  # no change: nothing to report
    again = mb.changes(cs.cursor)
    assert again.added == () and again.removed == () and again.cursor == cs.cursor
    with pytest.raises(KeyError):
        server.set_flags("inbox/1/99", {"\\Seen"})


def test_only_what_the_cursor_knew_is_reported_gone(server: MemoryServer) -> None:
    known = server.deliver(INBOX, mail(1))
    mb = MemoryMailbox(server)
    cursor = mb.changes(None).cursor
    fleeting = server.deliver(INBOX, mail(2))  # arrives and goes between two polls
    server.delete(fleeting)
    server.delete(known)
    cs = mb.changes(cursor)
    assert not cs.full and cs.added == () and cs.removed == (known,)


@pytest.mark.parametrize("cursor", ["mem1:x:1.1.1:0", "mem1:{server}:1.1:0", "mem1:{server}:1.1.1:99",
                                    "mem1:{server}:1.1.1:-", "mem1:{server}:a.b.c:0", "mem1:{server}:1.1.1"])
def test_a_cursor_it_cannot_honour_means_a_full_resync(server: MemoryServer, cursor: str) -> None:
    """Another server, another folder set, a future counter, garbage."""
    server.deliver(INBOX, mail(1))
    cs = MemoryMailbox(server).changes(cursor.format(server=server.token))
    assert cs.full and len(cs.added) == 1


def test_a_changed_uidvalidity_renumbers_and_means_a_full_resync(server: MemoryServer) -> None:
    old = server.deliver(INBOX, mail(1))
    draft = MemoryMailbox(server).create_draft(mail(9))
    mb = MemoryMailbox(server)
    cursor = mb.changes(None).cursor
    server.renumber(INBOX)
    cs = mb.changes(cursor)
    assert cs.full and [r.id for r in cs.added] == ["inbox/2/1"] and server.get(old) is None
    assert [d.id for d in mb.drafts()] == [draft]  # other folders keep their ids
    server.renumber(DRAFTS)
    assert [d.id for d in mb.drafts()] == ["drafts/2/1"]
    assert not mb.changes(cs.cursor).full  # Drafts are not in the cursor


def test_deletions_older_than_the_history_mean_a_full_resync() -> None:
    server = MemoryServer(history=2)
    ids = [server.deliver(INBOX, mail(n)) for n in range(4)]
    mb = MemoryMailbox(server)
    cursor = mb.changes(None).cursor
    server.delete(ids[0])
    server.delete(ids[1])
    cs = mb.changes(cursor)
    assert not cs.full and cs.removed == (ids[0], ids[1])
    server.delete(ids[2])
    assert not mb.changes(cs.cursor).full  # the last two deletions are still remembered
    assert mb.changes(cursor).full  # the first is not
    assert [r.id for r in mb.changes(cursor).added] == [ids[3]]


def test_all_mail_is_read_drafts_are_not(server: MemoryServer) -> None:
    archived = server.deliver(ALL, mail(1))
    server.deliver(DRAFTS, mail(2), flags={"\\Draft"})
    cs = MemoryMailbox(server).changes(None)
    assert [(r.id, r.folder) for r in cs.added] == [(archived, ALL)]


def test_drafts_named_seen_come_without_bytes(server: MemoryServer) -> None:
    mb = MemoryMailbox(server)
    a, b = mb.create_draft(mail(1)), mb.create_draft(mail(2))
    listed = {d.id: d for d in mb.drafts(seen={a, "drafts/1/99"})}
    assert listed[a].seen and listed[a].data == b""
    assert not listed[b].seen and mid_of(listed[b].data) == "<m2@acme.com>"
    assert server.get(a).flags == {"\\Draft", "\\Seen"}  # type: ignore[union-attr]


def test_a_draft_goes_into_a_thread_only_when_the_thread_exists(server: MemoryServer) -> None:
    server.deliver(INBOX, mail(1), thread="T1")
    mb = MemoryMailbox(server)
    in_thread, unknown = mb.create_draft(mail(2), "T1"), mb.create_draft(mail(3), "T-gone")
    assert {d.id: d.thread_hint for d in mb.drafts()} == {in_thread: "T1", unknown: None}
    assert by_mid(mb.changes(None).added)["<m1@acme.com>"].thread_hint == "T1"


def test_an_edited_draft_is_a_new_id_in_the_same_thread(server: MemoryServer) -> None:
    server.deliver(INBOX, mail(1), thread="T1")
    mb = MemoryMailbox(server)
    old = mb.create_draft(mail(2), "T1")
    new = server.replace_draft(old, mail(3))
    assert new != old and [(d.id, d.thread_hint) for d in mb.drafts()] == [(new, "T1")]
    with pytest.raises(KeyError):
        server.replace_draft(old, mail(4))
    with pytest.raises(KeyError):
        server.replace_draft(server.messages(INBOX)[0].id, mail(4))


def test_only_drafts_can_be_deleted_by_the_agent(server: MemoryServer) -> None:
    mid = server.deliver(INBOX, mail(1))
    with pytest.raises(MailboxError, match="not a draft id"):
        MemoryMailbox(server).delete_draft(mid)
    assert server.get(mid) is not None


def test_labels_are_set_on_messages_and_never_on_drafts_or_gone_ids(server: MemoryServer) -> None:
    mid = server.deliver(INBOX, mail(1), labels={"Jobs"})
    draft = MemoryMailbox(server).create_draft(mail(2))
    mb = MemoryMailbox(server)
    cursor = mb.changes(None).cursor
    mb.set_label([mid, draft, "inbox/1/99"], "Follow-up/Queued", True)
    assert server.get(mid).labels == {"Jobs", "Follow-up/Queued"}  # type: ignore[union-attr]
    assert server.get(draft).labels == frozenset()  # type: ignore[union-attr]
    assert [r.id for r in mb.changes(cursor).added] == [mid]
    mb.set_label([mid], "Follow-up/Queued", False)
    mb.set_label([mid], "Follow-up/Queued", False)  # removing an absent label: nothing to do
    assert server.get(mid).labels == {"Jobs"}  # type: ignore[union-attr]


def test_aliases_come_from_the_server_lower_case() -> None:
    assert MemoryMailbox(MemoryServer(aliases=["Jordan@Lee.example", "jl@work.example"])).aliases() == (
        "jl@work.example", "jordan@lee.example")
    assert MemoryMailbox().aliases() == ()


def test_a_delivery_during_a_sync_is_told_exactly_once(server: MemoryServer) -> None:
    """Deliveries from another thread while the agent syncs: each message is reported by
    exactly one of the change sets, none is lost."""
    mb = MemoryMailbox(server)
    cursor = mb.changes(None).cursor
    seen: list[str] = []
    writer = threading.Thread(target=lambda: [server.deliver(INBOX, mail(n)) for n in range(200)])
    writer.start()
    while writer.is_alive():
        cs = mb.changes(cursor)
        seen.extend(r.id for r in cs.added)
        cursor = cs.cursor
    writer.join()
    seen.extend(r.id for r in mb.changes(cursor).added)
    assert sorted(seen) == sorted(m.id for m in server.messages(INBOX)) and len(seen) == 200


def test_close_keeps_the_data(server: MemoryServer) -> None:
    mb = MemoryMailbox(server)
    mid = server.deliver(INBOX, mail(1))
    mb.close()
    assert MemoryMailbox(server).fetch([mid]) == {mid: mail(1)}
