"""Real bounces (tests/corpus/bounces/, 248 reports from 59 kinds of mail server), read on arrival.

Each file is asserted on its own (tests/real_bounces.py places it after the user's message
and follows the poll's stages): joined to the conversation, never a reply, every failed
recipient unusable and no draft to it; a delayed report only noted. The few the agent
still misreads are listed in ``MISSES`` with why each is left; they must stay exactly
those (a miss that starts passing fails here, so the list cannot rot). Then the whole
corpus's share, and the same conversations through the real engine on the in-memory
mailbox: no draft to a dead address, and the status says why.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from agent import engine
from agent.backends.memory import MemoryMailbox, MemoryServer
from agent.candidates import related_threads
from agent.mail.parse import parse_message
from agent.model import DRAFTS, INBOX, SENT, AutoMarkers, Conversation, RawMessage
from agent.signals.bounces import bounce
from agent.store import Store
from tests.helpers import ME, conv, make_config, msg, t
from tests.real_bounces import (
    CORPUS,
    Expected,
    _conversation,
    expectations,
    measure,
    read_on_arrival,
)

#: the reports still read wrong, and why each is left
MISSES = {
    "sisimai/lhost-fml-02.eml": "a mailing list's notice to a non-member (fml), not a delivery report: "
                                "its sender, subject and body carry nothing a report does",
    "sisimai/lhost-fml-03.eml": "a mailing list's loop alert (fml), not a delivery report",
    "sisimai/lhost-kddi-02.eml": "au/KDDI report under the subject '猫ちゃん' from a no-reply address: "
                                 "nothing in its headers says report (a no-reply sender alone is every ATS)",
    "sisimai/lhost-kddi-03.eml": "au/KDDI report under the subject 'Mail' from a no-reply address (as above)",
    "sisimai/lhost-x1-02.eml": "its text part's Content-Type is folded without a ';' (the charset read as "
                               "part of the type), so the one line naming the recipient is never decoded; "
                               "joined by the original's Message-ID all the same, but no address marked",
}

CONFIG = make_config()
ALL = expectations()


def _params() -> list:
    return [pytest.param(e, id=e.file.removeprefix("sisimai/"),
                         marks=[pytest.mark.xfail(strict=True, reason=MISSES[e.file])] if e.file in MISSES else [])
            for e in ALL]


@pytest.mark.parametrize("e", _params())
def test_each_report_read_right(e: Expected) -> None:
    r = read_on_arrival(e, CONFIG)
    assert r.candidate, "the report's body was never fetched"
    assert r.joined, "the report was not joined to the conversation it reports on"
    assert not r.answered, "a bounce read as somebody's reply"
    if e.kind == "final":
        assert set(e.recipients) <= set(r.unusable), (r.failed, r.unusable)
        assert r.draft_to not in e.recipients
    else:
        assert set(e.recipients) <= set(r.delayed), r.delayed
        assert not set(r.unusable) & set(e.recipients), "a delay made the address unusable"
    assert r.why_wrong is None


def test_the_share_read_right_and_the_misses_are_the_listed_ones() -> None:
    m = measure()
    assert m.total == len(ALL) >= 150
    assert {f for f, _why in m.misses} == set(MISSES)
    assert m.share >= 0.95


def test_the_corpus_covers_many_servers_and_both_kinds() -> None:
    servers = {e.mta for e in ALL}
    for name in ("Postfix", "Exim", "Sendmail", "qmail", "Office365", "Exchange2007", "Gmail", "Yahoo",
                 "AmazonSES", "SendGrid", "Domino", "Courier"):
        assert name in servers
    assert sum(e.kind == "delayed" for e in ALL) >= 20
    assert all((CORPUS / e.file).is_file() for e in ALL)


@pytest.mark.parametrize("name, shape", [
    ("lhost-exim-01.eml", "plain text, X-Failed-Recipients"),
    ("lhost-qmail-01.eml", "qmail 'failure notice' from the empty sender"),
    ("lhost-exchange2003-01.eml", "multipart/mixed 'Undeliverable:' with the original attached"),
    ("lhost-postfix-01.eml", "multipart/report"),
])
def test_the_parser_reads_each_shape(name: str, shape: str) -> None:
    [e] = [x for x in ALL if x.file.endswith(name)]
    m = parse_message(RawMessage("r", INBOX, (CORPUS / e.file).read_bytes()))
    b = bounce(m)
    assert b is not None, shape
    assert m.auto.is_report
    if e.original_message_id:
        assert m.in_reply_to == (e.original_message_id,), shape


def test_a_report_starting_with_an_mbox_from_line_is_read() -> None:
    with_from = [e for e in ALL if (CORPUS / e.file).read_bytes().startswith(b"From ")]
    assert len(with_from) >= 10
    for e in with_from:
        m = parse_message(RawMessage("r", INBOX, (CORPUS / e.file).read_bytes()))
        assert bounce(m) is not None, e.file


def test_a_person_writing_about_an_undeliverable_message_is_no_bounce() -> None:
    raw = (b"From: Ann Park <ann.park@acme.com>\r\nTo: jordan.lee@gmail.com\r\nSubject: Re: Undeliverable: "
           b"Interview\r\nMessage-ID: <a1@acme.com>\r\nDate: Tue, 01 Dec 2026 10:00:00 -0500\r\n\r\n"
           b"Sorry Jordan, my old address kijitora@example.jp bounced. Write to me here.\r\n")
    assert bounce(parse_message(RawMessage("r", INBOX, raw))) is None


# --- the conversation through the real engine --------------------------------------------


def _engine_poll(e: Expected) -> engine.PollResult:
    server = MemoryServer()
    report = (CORPUS / e.file).read_bytes()
    sent = parse_message(RawMessage("report", INBOX, report)).date
    assert sent is not None
    recruiter, answer = _conversation(e, sent)
    server.deliver(INBOX, recruiter.data)
    server.deliver(SENT, answer.data)
    server.deliver(INBOX, report)
    config = make_config()
    return engine.poll(config, MemoryMailbox(server), Store.in_memory(), sent + timedelta(days=30))


def _by_file(name: str) -> Expected:
    [e] = [x for x in ALL if x.file.endswith(name)]
    return e


@pytest.mark.parametrize("name", [
    "lhost-postfix-04.eml",  # multipart/report, joined by the returned Message-ID
    "lhost-exim-01.eml",  # plain text from Exim
    "lhost-exchange2003-04.eml",  # plain text naming no Message-ID: joined by its recipient
])
def test_no_follow_up_to_the_dead_address_and_status_says_why(name: str) -> None:
    e = _by_file(name)
    result = _engine_poll(e)
    [decision] = result.decisions
    assert set(e.recipients) <= set(decision.unusable)
    assert decision.next is None or decision.next.to not in e.recipients
    [status] = result.status
    assert set(e.recipients) <= set(status["unusable_addresses"])
    assert status["no_recipient"] and "bounced" in status["no_recipient"]
    assert f"No draft can be written: {status['no_recipient']}" in status["reason"]
    server_drafts = [a for a in result.plan if getattr(a, "to", None) in e.recipients]
    assert not server_drafts


def test_a_delayed_report_is_noted_and_the_follow_up_still_goes_to_the_address() -> None:
    e = _by_file("lhost-gmail-08.eml")
    assert e.kind == "delayed"
    result = _engine_poll(e)
    [decision] = result.decisions
    assert decision.unusable == ()
    assert any(getattr(f, "delayed", ()) == e.recipients for f in decision.facts)
    assert decision.next is not None and decision.next.to == e.recipients[0]


def test_nothing_is_drafted_into_the_mailbox_for_a_bounced_conversation() -> None:
    e = _by_file("lhost-qmail-01.eml")
    server = MemoryServer()
    report = (CORPUS / e.file).read_bytes()
    sent = parse_message(RawMessage("report", INBOX, report)).date
    assert sent is not None
    for raw, role in zip(_conversation(e, sent), (INBOX, SENT), strict=True):
        server.deliver(role, raw.data)
    server.deliver(INBOX, report)
    engine.poll(make_config(), MemoryMailbox(server), Store.in_memory(), sent + timedelta(days=30))
    assert server.messages(DRAFTS) == []


# --- joining a report that names no Message-ID ---------------------------------------------


def _user_wrote(to: str, when: datetime, cid: str) -> Conversation:
    return conv(msg(ME, "Thank you", "Thanks for today.", when, to=to, mid=f"u-{cid}"), cid=cid)


def _report_about(address: str, when: datetime) -> Conversation:
    report = msg("mailer-daemon@mx.example.jp", "Undeliverable: Thank you",
                 f"The following recipient could not be reached:\n\n      {address}\n", when,
                 mid="report", auto=AutoMarkers(is_report=True))
    return conv(report, cid="c-report")


def _joined_with_report(convs: list[Conversation]) -> set[str]:
    config = make_config()
    out = related_threads(convs, config)
    [with_report] = [c for c in out if any(m.id == "report" for m in c.messages)]
    return {m.id for m in with_report.messages} - {"report"}


def test_a_report_without_message_id_joins_the_latest_thread_written_to_its_recipient() -> None:
    older = _user_wrote("kijitora@example.jp", t(11, 2), "c-older")
    latest = _user_wrote("kijitora@example.jp", t(11, 20), "c-latest")
    other = _user_wrote("mikeneko@example.jp", t(11, 21), "c-other")
    assert _joined_with_report([older, latest, other, _report_about("kijitora@example.jp", t(11, 21, 15))]) \
        == {"u-c-latest"}


def test_a_report_never_joins_a_message_written_after_it_or_to_someone_else() -> None:
    after = _user_wrote("kijitora@example.jp", t(11, 22), "c-after")
    other = _user_wrote("mikeneko@example.jp", t(11, 20), "c-other")
    assert _joined_with_report([after, other, _report_about("kijitora@example.jp", t(11, 21))]) == set()
