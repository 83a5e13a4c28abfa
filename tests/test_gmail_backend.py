"""The Gmail API backend against the fake Gmail server (tests/gmail_server.py).

The client under test is the real google-api-python-client built from its
bundled discovery document, with google-auth refreshing tokens against the
fake server's token endpoint. Nothing here sleeps for real: the backend's
``sleep`` and ``clock`` are a :class:`FakeClock`.
"""

from __future__ import annotations

import base64
import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest

from agent.backends.gmail import (
    HEADER_FIELDS,
    GmailMailbox,
    GuardedTransport,
    SendRefused,
    check_request,
    forbidden,
)
from agent.config import GmailConfig
from agent.errors import AgentError, MailboxError
from agent.model import ALL, INBOX, SENT
from tests.gmail_server import (
    ACCOUNT,
    CLIENT_ID,
    CLIENT_SECRET,
    REFRESH_TOKEN,
    FakeClock,
    FakeGmail,
    GmailHarness,
    fake_gmail,
    make_mailbox,
)


@pytest.fixture
def gmail() -> Iterator[FakeGmail]:
    with fake_gmail() as server:
        yield server


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def mb(gmail: FakeGmail, clock: FakeClock) -> Iterator[GmailMailbox]:
    box = make_mailbox(gmail, clock)
    try:
        yield box
    finally:
        box.close()


_n = 0


def msg(subject: str = "Interview at Acme", *, sender: str = "Sam <sam@acme.example>", to: str = ACCOUNT,
        reply_to: str | None = None, extra: str = "") -> tuple[str, bytes]:
    global _n
    _n += 1
    mid = f"<m{_n}.{os.getpid()}@acme.example>"
    refs = f"In-Reply-To: {reply_to}\r\nReferences: {reply_to}\r\n" if reply_to else ""
    data = (
        f"From: {sender}\r\nTo: {to}\r\nSubject: {subject}\r\nDate: Mon, 02 Nov 2026 10:00:00 +0000\r\n"
        f"Message-ID: {mid}\r\n{refs}{extra}MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n"
        "X-Not-Asked-For: 1\r\n\r\nThanks for your time today. We decide by the end of the month.\r\n"
    ).encode()
    return mid, data


def draft_bytes(subject: str = "Re: Interview at Acme", reply_to: str = "<root@acme.example>") -> tuple[str, bytes]:
    global _n
    _n += 1
    mid = f"<draft{_n}@followup-agent>"
    data = (
        f"From: {ACCOUNT}\r\nTo: sam@acme.example\r\nSubject: {subject}\r\nMessage-ID: {mid}\r\n"
        f"In-Reply-To: {reply_to}\r\nReferences: {reply_to}\r\nX-Followup-Agent: step=thank_you\r\n"
        "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nThank you!\r\n"
    ).encode()
    return mid, data


def apis(server: FakeGmail) -> list[str]:
    return [r.api for r in server.calls()]


# --- full sync --------------------------------------------------------------------------------


def test_full_sync_reports_header_blocks_with_threads_labels_and_folders(gmail: FakeGmail, mb: GmailMailbox) -> None:
    root, data = msg()
    inbox_id = gmail.deliver(data)
    gmail.add_label(inbox_id, "Recruiting")
    _reply, data = msg("Re: Interview at Acme", sender=ACCOUNT, to="sam@acme.example", reply_to=root)
    sent_id = gmail.deliver(data, labels=["SENT"])
    _arch, data = msg("Archived newsletter")
    arch_id = gmail.deliver(data, labels=["CATEGORY_UPDATES"])
    _spam, data = msg("Cheap pills")
    gmail.deliver(data, labels=["SPAM"])
    gmail.user_create_draft(draft_bytes(reply_to=root)[1])
    gmail.reset_counts()

    cs = mb.changes(None)

    assert cs.full and cs.removed == ()
    got = {r.id: r for r in cs.added}
    assert set(got) == {f"gm/{inbox_id}", f"gm/{sent_id}", f"gm/{arch_id}"}  # no draft, no spam
    inbox, sent, arch = got[f"gm/{inbox_id}"], got[f"gm/{sent_id}"], got[f"gm/{arch_id}"]
    assert (inbox.folder, sent.folder, arch.folder) == (INBOX, SENT, ALL)
    assert inbox.thread_hint == sent.thread_hint == gmail.messages[inbox_id].thread_id
    assert arch.thread_hint != inbox.thread_hint
    assert inbox.labels == {"INBOX", "Recruiting"}  # user label by name; UNREAD is noise
    assert arch.labels == frozenset()  # categories are noise too
    assert all(r.headers_only for r in cs.added)
    assert inbox.data.endswith(b"\r\n\r\n") and b"Thanks for your time" not in inbox.data
    assert f"Message-ID: {root}".encode() in inbox.data and b"X-Not-Asked-For" not in inbox.data
    # the calls: profile first (the history id to continue from), labels, the query, metadata in a batch
    # (the draft is in the interview's thread; spam is not listed)
    assert apis(gmail) == ["getProfile", "labels.list", "threads.list", "threads.get", "threads.get",
                           "drafts.list", "drafts.get"]
    assert gmail.queries == ["newer_than:180d"]
    tget = gmail.calls("threads.get")
    assert all(r.in_batch for r in tget)
    assert all(r.query["format"] == ["metadata"] and r.query["metadataHeaders"] == list(HEADER_FIELDS)
               for r in tget)


def test_metadata_parses_like_the_message(gmail: FakeGmail, mb: GmailMailbox) -> None:
    from agent.mail.parse import parse_message

    _mid, data = msg(extra="Auto-Submitted: auto-replied\r\nList-Id: <jobs.acme.example>\r\n")
    gmail.deliver(data)
    (raw,) = mb.changes(None).added
    parsed = parse_message(raw)
    assert parsed.subject == "Interview at Acme" and parsed.from_ and parsed.from_.email == "sam@acme.example"
    assert parsed.auto.auto_submitted == "auto-replied" and parsed.auto.list_id
    assert parsed.thread_hint == raw.thread_hint and not parsed.has_body


def test_a_remote_bounce_without_threading_headers_carries_no_thread_hint(gmail: FakeGmail, mb: GmailMailbox) -> None:
    gmail.deliver(b"From: MAILER-DAEMON@mx1.acme.example\r\nTo: jordan.lee@gmail.com\r\n"
                  b"Subject: Undelivered Mail Returned to Sender\r\nMessage-ID: <dsn1@mx1.acme.example>\r\n"
                  b"Content-Type: multipart/report; report-type=delivery-status; boundary=b\r\n\r\n--b--\r\n")
    gmail.deliver(msg()[1])
    hints = sorted((r.data.startswith(b"From: MAILER"), r.thread_hint is None) for r in mb.changes(None).added)
    assert hints == [(False, False), (True, True)]


def test_many_threads_are_read_in_batches(gmail: FakeGmail, clock: FakeClock) -> None:
    for i in range(23):
        gmail.deliver(msg(f"Role {i}")[1])
    box = make_mailbox(gmail, clock, batch_size=10)
    gmail.reset_counts()
    cs = box.changes(None)
    assert len(cs.added) == 23
    assert len(gmail.calls("threads.get")) == 23 and all(r.in_batch for r in gmail.calls("threads.get"))
    # three batch POSTs (10 + 10 + 3): the server saw 23 threads.get parts and no direct ones
    assert box.units["threads.get"] == 230


def test_cold_sync_is_paced_under_the_per_user_rate(gmail: FakeGmail, clock: FakeClock) -> None:
    for i in range(120):
        gmail.deliver(msg(f"Role {i}")[1])
    box = make_mailbox(gmail, clock)
    box.changes(None)
    spent = sum(box.units.values())
    assert spent == 1 + 1 + 10 + 120 * 10 + 5
    # 250 units/s with a 500-unit burst: the rest is waited for, and only that
    assert sum(clock.sleeps) == pytest.approx((spent - 500) / 250, abs=0.1)


# --- incremental sync ---------------------------------------------------------------------------


def test_idle_poll_is_one_history_list(gmail: FakeGmail, mb: GmailMailbox, clock: FakeClock) -> None:
    gmail.deliver(msg()[1])
    gmail.user_create_draft(draft_bytes()[1])
    first = mb.changes(None)
    # a later process: a new mailbox object with only the stored cursor
    later = make_mailbox(gmail, clock)
    gmail.reset_counts()
    cs = later.changes(first.cursor)
    drafts = later.drafts()
    assert cs.added == () and cs.removed == () and not cs.full
    assert apis(gmail) == ["history.list"]
    assert gmail.units() == 2
    assert len(drafts) == 1 and drafts[0].thread_hint  # from the snapshot the history proved current


def test_new_mail_and_read_marks(gmail: FakeGmail, mb: GmailMailbox) -> None:
    root, data = msg()
    first_id = gmail.deliver(data)
    c1 = mb.changes(None).cursor
    gmail.mark_read(first_id)  # noise: nothing to fetch
    gmail.reset_counts()
    cs = mb.changes(c1)
    assert cs.added == () and apis(gmail) == ["history.list"]
    _r, data = msg("Re: Interview at Acme", reply_to=root)
    new_id = gmail.deliver(data)
    gmail.reset_counts()
    cs2 = mb.changes(cs.cursor)
    assert [r.id for r in cs2.added] == [f"gm/{new_id}"]
    assert cs2.added[0].thread_hint == gmail.messages[first_id].thread_id
    assert apis(gmail) == ["history.list", "messages.get"]
    assert gmail.calls("messages.get")[0].query["format"] == ["metadata"]


def test_label_changes_trash_and_deletion(gmail: FakeGmail, mb: GmailMailbox) -> None:
    a = gmail.deliver(msg("One")[1])
    b = gmail.deliver(msg("Two")[1])
    c = gmail.deliver(msg("Three")[1])
    c1 = mb.changes(None).cursor
    gmail.add_label(a, "Not-Recruiting")
    gmail.trash(b)
    gmail.delete_message(c)
    cs = mb.changes(c1)
    assert [(r.id, r.labels) for r in cs.added] == [(f"gm/{a}", frozenset({"INBOX", "Not-Recruiting"}))]
    assert set(cs.removed) == {f"gm/{b}", f"gm/{c}"}
    assert mb.fetch([f"gm/{c}"]) == {}


def test_history_pages_are_followed(gmail: FakeGmail, mb: GmailMailbox) -> None:
    c1 = mb.changes(None).cursor
    ids = [gmail.deliver(msg(f"Role {i}")[1]) for i in range(520)]
    cs = mb.changes(c1)
    assert len(gmail.calls("history.list")) == 2
    assert {r.id for r in cs.added} == {f"gm/{i}" for i in ids}
    assert mb.changes(cs.cursor).added == ()


def test_expired_history_means_full_resync(gmail: FakeGmail, mb: GmailMailbox) -> None:
    gmail.deliver(msg("One")[1])
    c1 = mb.changes(None).cursor
    gmail.deliver(msg("Two")[1])
    gmail.expire_history()
    gmail.reset_counts()
    cs = mb.changes(c1)
    assert cs.full and len(cs.added) == 2
    assert apis(gmail)[:2] == ["history.list", "getProfile"]
    assert not mb.changes(cs.cursor).full  # the new cursor is honoured


def test_cursor_for_another_query_or_authorisation_means_full(gmail: FakeGmail, clock: FakeClock) -> None:
    gmail.deliver(msg()[1])
    cursor = make_mailbox(gmail, clock).changes(None).cursor
    other_query = make_mailbox(gmail, clock, query="newer_than:30d")
    assert other_query.changes(cursor).full
    from google.oauth2.credentials import Credentials

    other_token = Credentials(token=None, refresh_token="1//another", client_id=CLIENT_ID,
                              client_secret=CLIENT_SECRET, token_uri=gmail.token_uri)
    # a different refresh token: another grant, maybe another account (the fake refuses it at refresh)
    with pytest.raises(MailboxError, match="auth gmail"):
        make_mailbox(gmail, clock, credentials=other_token).changes(cursor)
    assert make_mailbox(gmail, clock).changes(cursor).full is False


def test_user_sending_our_draft_shows_up_as_sent(gmail: FakeGmail, mb: GmailMailbox) -> None:
    root, data = msg()
    gmail.deliver(data)
    first = mb.changes(None)
    did = mb.create_draft(draft_bytes(reply_to=root)[1], first.added[0].thread_hint)
    c2 = mb.changes(first.cursor)
    assert c2.added == ()  # our own draft is not mail
    gmail.user_send_draft(did.removeprefix("draft/"))
    cs = mb.changes(c2.cursor)
    assert [(r.folder, r.thread_hint) for r in cs.added] == [(SENT, first.added[0].thread_hint)]
    assert mb.drafts() == []


# --- fetch ------------------------------------------------------------------------------------


def test_fetch_is_raw_in_batches_and_leaves_out_gone_and_foreign_ids(gmail: FakeGmail, mb: GmailMailbox) -> None:
    _m, data = msg()
    a = gmail.deliver(data)
    b = gmail.deliver(msg("Two")[1])
    mb.changes(None)
    gmail.delete_message(b)
    gmail.reset_counts()
    got = mb.fetch([f"gm/{a}", f"gm/{b}", "inbox/123", f"gm/{a}"])
    assert got == {f"gm/{a}": data}
    assert [(r.api, r.in_batch, r.query["format"]) for r in gmail.calls()] == [
        ("messages.get", True, ["raw"]), ("messages.get", True, ["raw"])]
    assert mb.fetch([]) == {} and gmail.units() == 10


# --- drafts -------------------------------------------------------------------------------------


def test_draft_is_created_in_the_thread_with_the_json_raw_form(gmail: FakeGmail, mb: GmailMailbox) -> None:
    root, data = msg()
    gmail.deliver(data)
    (raw,) = mb.changes(None).added
    mid, draft = draft_bytes(reply_to=root)
    did = mb.create_draft(draft, raw.thread_hint)
    (stored,) = gmail.draft_messages().values()
    assert did == "draft/" + next(iter(gmail.drafts))
    assert stored.raw == draft and stored.thread_id == raw.thread_hint and stored.labels == {"DRAFT"}
    (info,) = mb.drafts()
    assert (info.id, info.data, info.thread_hint) == (did, draft, raw.thread_hint)
    assert mid.encode() in info.data


def test_draft_for_a_vanished_thread_is_saved_unthreaded(gmail: FakeGmail, mb: GmailMailbox) -> None:
    did = mb.create_draft(draft_bytes()[1], "deadbeef00000000")
    assert did.startswith("draft/") and len(gmail.drafts) == 1


def test_draft_create_with_a_lost_response_is_not_duplicated(gmail: FakeGmail, mb: GmailMailbox) -> None:
    gmail.fail(500, 1, match="/drafts", after=True)  # created, then the answer is lost
    did = mb.create_draft(draft_bytes()[1])
    assert len(gmail.drafts) == 1 and did == "draft/" + next(iter(gmail.drafts))


def test_drafts_see_user_edits_and_deletions(gmail: FakeGmail, mb: GmailMailbox, clock: FakeClock) -> None:
    _mid, data = draft_bytes()
    did = mb.create_draft(data)
    c1 = mb.changes(None).cursor
    edited = data.replace(b"Thank you!", b"Thank you so much!")
    gmail.user_edit_draft(did.removeprefix("draft/"), edited)
    later = make_mailbox(gmail, clock)
    c2 = later.changes(c1).cursor
    assert [d.data for d in later.drafts()] == [edited]
    gmail.user_delete_draft(did.removeprefix("draft/"))
    again = make_mailbox(gmail, clock)
    again.changes(c2)
    assert again.drafts() == []
    again.delete_draft(did)  # already gone: fine
    with pytest.raises(MailboxError, match="not a Gmail draft id"):
        again.delete_draft("gm/123")


# --- quota: backoff and retries -------------------------------------------------------------------


def test_429_storm_with_retry_after_then_success(gmail: FakeGmail, mb: GmailMailbox, clock: FakeClock) -> None:
    gmail.deliver(msg()[1])
    c1 = mb.changes(None).cursor
    gmail.deliver(msg("Two")[1])
    gmail.fail(429, 4, retry_after=7, match="/history")
    clock.sleeps.clear()
    cs = mb.changes(c1)
    assert len(cs.added) == 1
    assert len(gmail.calls("history.list")) == 5
    assert len(clock.sleeps) == 4 and all(s >= 7 for s in clock.sleeps)


def test_backoff_grows_exponentially_without_retry_after(gmail: FakeGmail, mb: GmailMailbox,
                                                          clock: FakeClock) -> None:
    gmail.fail(503, 4, match="/profile")
    mb.changes(None)
    assert clock.sleeps[:4] == [0.75, 1.5, 3.0, 6.0]  # backoff 1 s doubling, "equal jitter" at 0.5


def test_rate_limited_batch_parts_are_retried_alone(gmail: FakeGmail, clock: FakeClock) -> None:
    for i in range(6):
        gmail.deliver(msg(f"Role {i}")[1])
    box = make_mailbox(gmail, clock)
    gmail.fail(429, 2, match="/threads/", retry_after=3)
    gmail.reset_counts()
    cs = box.changes(None)
    assert len(cs.added) == 6
    assert len(gmail.calls("threads.get")) == 8  # 6 + the 2 refused parts again
    assert any(s >= 3 for s in clock.sleeps)


def test_403_rate_limit_is_retried_but_other_403s_are_not(gmail: FakeGmail, mb: GmailMailbox) -> None:
    gmail.fail(403, 2, reason="userRateLimitExceeded", match="/profile")
    assert mb.changes(None).full
    gmail.fail(403, 1, reason="insufficientPermissions", match="/profile")
    with pytest.raises(MailboxError, match="lacks a permission.*auth gmail"):
        mb.changes(None)


def test_whole_batch_5xx_is_retried(gmail: FakeGmail, mb: GmailMailbox) -> None:
    gmail.deliver(msg()[1])
    gmail.fail(502, 2, where="batch")
    assert len(mb.changes(None).added) == 1


def test_persistent_500s_give_up_with_a_clear_message(gmail: FakeGmail, clock: FakeClock) -> None:
    box = make_mailbox(gmail, clock, attempts=4)
    gmail.fail(500, 100, match="/profile")
    with pytest.raises(MailboxError, match=r"kept failing while reading the Gmail profile \(4 tries"):
        box.changes(None)
    # no wait after the last try: giving up is said at once (agent/backends/retry.py)
    assert len(gmail.calls("getProfile")) == 4 and len(clock.sleeps) == 3


def test_a_very_long_retry_after_is_not_waited_for(gmail: FakeGmail, mb: GmailMailbox, clock: FakeClock) -> None:
    gmail.fail(429, 1, retry_after=3600, match="/profile")
    with pytest.raises(MailboxError, match="asked to wait 3600 s"):
        mb.changes(None)
    assert clock.sleeps == []


def test_retry_after_as_an_http_date() -> None:
    from datetime import UTC, datetime, timedelta
    from email.utils import format_datetime

    from agent.backends.retry import retry_after_seconds as _retry_after

    assert _retry_after("12") == 12.0
    assert 25 < _retry_after(format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)) <= 30
    assert _retry_after("soon") == 0.0 and _retry_after(None) == 0.0
    now = datetime(2026, 1, 5, 12, tzinfo=UTC)
    assert _retry_after(format_datetime(now + timedelta(seconds=90), usegmt=True), now) == 90.0


# --- authorisation --------------------------------------------------------------------------------


def test_token_uri_from_the_file_is_honoured(gmail: FakeGmail, tmp_path: Path) -> None:
    from agent.gmail_auth import credentials_from_info, load_authorized_user

    token_file = tmp_path / "token.json"
    token_file.write_text(json.dumps({**gmail.authorized_user(), "token": "stale", "expiry": "2999-01-01T00:00:00Z"}))
    cfg = GmailConfig(api_endpoint=gmail.url, token_file=token_file)
    creds = credentials_from_info(load_authorized_user(cfg, ACCOUNT, env={}), cfg)
    assert creds.token is None  # a stored access token is never trusted
    clock = FakeClock()
    box = GmailMailbox(cfg, creds, sleep=clock.sleep, clock=clock.clock)
    assert box.changes(None).full
    assert gmail.token_requests and gmail.token_requests[0]["grant_type"] == "refresh_token"


def test_token_from_credentials_directory_and_keyring(gmail: FakeGmail, tmp_path: Path) -> None:
    import keyring
    from keyring.backend import KeyringBackend

    from agent.gmail_auth import load_authorized_user

    cfg = GmailConfig(api_endpoint=gmail.url)
    (tmp_path / "gmail-token").write_text(json.dumps(gmail.authorized_user()))
    info = load_authorized_user(cfg, ACCOUNT, env={"CREDENTIALS_DIRECTORY": str(tmp_path)})
    assert info["refresh_token"] == REFRESH_TOKEN

    class Memory(KeyringBackend):
        priority = 1  # type: ignore[assignment]
        store: ClassVar[dict[tuple[str, str], str]] = {}

        def get_password(self, service: str, username: str) -> str | None:
            return self.store.get((service, username))

        def set_password(self, service: str, username: str, password: str) -> None:
            self.store[(service, username)] = password

        def delete_password(self, service: str, username: str) -> None:
            self.store.pop((service, username), None)

    old = keyring.get_keyring()
    keyring.set_keyring(Memory())
    try:
        with pytest.raises(MailboxError, match="auth gmail --client-secrets") as err:
            load_authorized_user(cfg, ACCOUNT, env={})
        assert REFRESH_TOKEN not in str(err.value)
        Memory.store[("followup-agent", ACCOUNT)] = json.dumps(gmail.authorized_user())
        assert load_authorized_user(cfg, ACCOUNT, env={})["client_id"] == CLIENT_ID
    finally:
        # keyring registers every backend class it sees: leave this one empty, or a later
        # keyring lookup in the same process could pick it and find this token
        Memory.store.clear()
        keyring.set_keyring(old)


def test_bad_token_files_are_explained_without_quoting_them(tmp_path: Path) -> None:
    from agent.gmail_auth import load_authorized_user

    token_file = tmp_path / "token.json"
    cfg = GmailConfig(token_file=token_file)
    with pytest.raises(MailboxError, match="does not exist.*auth gmail"):
        load_authorized_user(cfg, ACCOUNT, env={})
    token_file.write_text('{"refresh_token": "SECRET-xyz"}')
    with pytest.raises(MailboxError, match="lacks client_id, client_secret") as err:
        load_authorized_user(cfg, ACCOUNT, env={})
    assert "SECRET" not in str(err.value)


def test_revoked_token_tells_the_user_to_authorise_again(gmail: FakeGmail, mb: GmailMailbox) -> None:
    gmail.deliver(msg()[1])
    cursor = mb.changes(None).cursor
    gmail.revoke()  # mid-session: the access token stops working, the refresh is refused
    with pytest.raises(MailboxError, match="revoked.*run `followup-agent auth gmail") as err:
        mb.changes(cursor)
    assert REFRESH_TOKEN not in str(err.value)
    with pytest.raises(MailboxError, match="auth gmail"):
        make_mailbox(gmail).changes(None)  # and at start
    with pytest.raises(MailboxError, match="auth gmail"):
        make_mailbox(gmail).fetch(["gm/1"])  # through a batch too


def test_expired_access_token_is_refreshed_transparently(gmail: FakeGmail, mb: GmailMailbox) -> None:
    cursor = mb.changes(None).cursor
    gmail.expire_access_tokens()
    gmail.deliver(msg()[1])
    assert len(mb.changes(cursor).added) == 1
    assert len(gmail.token_requests) == 2


def test_plain_http_endpoint_only_to_loopback() -> None:
    with pytest.raises(MailboxError, match="plain http is only allowed to loopback"):
        GmailMailbox(GmailConfig(api_endpoint="http://gmail.example.com"), None)


def test_scopes_follow_the_labels_setting() -> None:
    from agent.gmail_auth import SCOPE_COMPOSE, SCOPE_LABELS, SCOPE_MODIFY, SCOPE_READONLY, scopes

    assert scopes(GmailConfig()) == [SCOPE_READONLY, SCOPE_COMPOSE]
    assert scopes(GmailConfig(labels=True)) == [SCOPE_READONLY, SCOPE_COMPOSE, SCOPE_LABELS, SCOPE_MODIFY]


class _FakeFlow:
    def __init__(self, refresh_token: str | None = "1//new-grant") -> None:
        self.kwargs: dict[str, Any] = {}
        self.refresh_token = refresh_token

    def run_local_server(self, **kwargs: Any) -> Any:
        from google.oauth2.credentials import Credentials

        self.kwargs = kwargs
        return Credentials(token="ya29.x", refresh_token=self.refresh_token, client_id=CLIENT_ID,
                           client_secret=CLIENT_SECRET, token_uri="https://oauth2.googleapis.com/token",
                           scopes=["https://www.googleapis.com/auth/gmail.readonly",
                                   "https://www.googleapis.com/auth/gmail.compose"])


def _config(tmp_path: Path, **gmail: Any) -> Any:
    from agent.config import AccountConfig, Config, StateConfig

    return Config(account=AccountConfig("Jordan Lee", (ACCOUNT,), "America/New_York"), backend="gmail",
                  state=StateConfig(tmp_path / "state.db"), gmail=GmailConfig(**gmail))


def test_auth_flow_writes_the_token_file_private(tmp_path: Path) -> None:
    import io

    from agent.gmail_auth import run_auth

    secrets = tmp_path / "client.json"
    secrets.write_text("{}")
    flow = _FakeFlow()
    token_file = tmp_path / "sub" / "token.json"
    out = io.StringIO()
    seen: list[Any] = []
    where = run_auth(_config(tmp_path, token_file=token_file), secrets, port=8765, out=out,
                     flow_factory=lambda path, wanted: seen.append((path, wanted)) or flow)
    assert "token.json" in where
    assert flow.kwargs["open_browser"] is False and flow.kwargs["port"] == 8765
    assert seen[0][1] == ["https://www.googleapis.com/auth/gmail.readonly",
                          "https://www.googleapis.com/auth/gmail.compose"]
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    stored = json.loads(token_file.read_text())
    assert stored["refresh_token"] == "1//new-grant" and "token" not in stored
    assert "1//new-grant" not in out.getvalue() and "ssh -L" in out.getvalue()


def test_auth_flow_without_a_refresh_token_is_refused(tmp_path: Path) -> None:
    from agent.gmail_auth import run_auth

    secrets = tmp_path / "client.json"
    secrets.write_text("{}")
    with pytest.raises(AgentError, match="no refresh token"):
        run_auth(_config(tmp_path, token_file=tmp_path / "t.json"), secrets,
                 flow_factory=lambda _p, _w: _FakeFlow(refresh_token=None))
    with pytest.raises(AgentError, match="no such file"):
        run_auth(_config(tmp_path), tmp_path / "missing.json")


def test_cli_has_auth_gmail() -> None:
    from agent.cli import build_parser

    args = build_parser().parse_args(["auth", "gmail", "--client-secrets", "c.json", "--port", "8765"])
    assert (args.command, args.auth_what, args.client_secrets, args.port) == ("auth", "gmail", Path("c.json"), 8765)


# --- never send ---------------------------------------------------------------------------------------


def test_send_import_and_insert_never_leave_the_process(gmail: FakeGmail, mb: GmailMailbox) -> None:
    users = mb.service.users()
    raw = base64.urlsafe_b64encode(draft_bytes()[1]).decode()
    attempts = [
        users.drafts().send(userId="me", body={"id": "r-1"}),
        users.messages().send(userId="me", body={"raw": raw}),
        users.messages().import_(userId="me", body={"raw": raw}),
        users.messages().insert(userId="me", body={"raw": raw}),
    ]
    for request in attempts:
        with pytest.raises(SendRefused, match="never sends mail"):
            request.execute()
    assert gmail.forbidden == [] and gmail.calls() == [] and gmail.token_requests == []


def test_a_send_hidden_in_a_batch_is_refused(gmail: FakeGmail, mb: GmailMailbox) -> None:
    from googleapiclient.http import BatchHttpRequest

    users = mb.service.users()
    batch = BatchHttpRequest(batch_uri=gmail.url + "/batch/gmail/v1")
    batch.add(users.labels().list(userId="me"))
    batch.add(users.drafts().send(userId="me", body={"id": "r-1"}))
    with pytest.raises(SendRefused):
        batch.execute(http=mb._http)
    assert gmail.forbidden == [] and gmail.calls() == []


def test_the_innermost_transport_refuses_too(gmail: FakeGmail) -> None:
    http = GuardedTransport(timeout=5)
    for method, path in (("POST", "/gmail/v1/users/me/messages/send"), ("POST", "/gmail/v1/users/me/drafts/send"),
                         ("POST", "/upload/gmail/v1/users/me/messages/send?uploadType=media"),
                         ("POST", "/gmail/v1/users/me/messages/import"), ("POST", "/gmail/v1/users/me/messages"),
                         ("POST", "/upload/gmail/v1/users/me/messages?uploadType=multipart")):
        with pytest.raises(SendRefused):
            http.request(gmail.url + path, method)
    assert gmail.forbidden == []


@pytest.mark.parametrize(("method", "path", "refused"), [
    ("POST", "/gmail/v1/users/me/drafts/send", True),
    ("POST", "/gmail/v1/users/me/DRAFTS/SEND/", True),
    ("POST", "/gmail/v1/users/me/drafts%2Fsend", True),
    ("POST", "/gmail/v1/users/me/messages/import", True),
    ("POST", "/gmail/v1/users/me/messages", True),
    ("GET", "/gmail/v1/users/me/messages", False),
    ("POST", "/gmail/v1/users/me/drafts", False),
    ("DELETE", "/gmail/v1/users/me/drafts/r-1", False),
    ("GET", "/gmail/v1/users/me/messages/sender", False),
])
def test_forbidden_paths(method: str, path: str, refused: bool) -> None:
    assert (forbidden(method, "https://gmail.googleapis.com" + path) is not None) is refused


def test_batch_body_is_checked() -> None:
    body = "--b\r\nContent-Type: application/http\r\n\r\nPOST /gmail/v1/users/me/messages/send HTTP/1.1\r\n\r\n{}\r\n--b--"
    with pytest.raises(SendRefused):
        check_request("POST", "https://gmail.googleapis.com/batch/gmail/v1", body.encode())
    check_request("POST", "https://gmail.googleapis.com/batch/gmail/v1",
                  body.replace("messages/send", "messages/123").encode())


def test_agent_code_has_no_send_calls() -> None:
    root = Path(__file__).resolve().parent.parent / "agent"
    for path in root.rglob("*.py"):
        text = path.read_text()
        for needle in ("messages().send(", "drafts().send(", "import_(", "messages().insert("):
            assert needle not in text, f"{path}: {needle}"


# --- the engine, end to end -----------------------------------------------------------------------------


def test_open_mailbox_builds_the_gmail_backend(gmail: FakeGmail, tmp_path: Path) -> None:
    from agent.backends.open import open_mailbox

    token_file = tmp_path / "token.json"
    token_file.write_text(json.dumps(gmail.authorized_user()))
    config = _config(tmp_path, api_endpoint=gmail.url, token_file=token_file)
    with open_mailbox(config) as box:
        assert isinstance(box, GmailMailbox)
        assert box.changes(None).full


def test_a_scenario_through_the_cli(gmail: FakeGmail, tmp_path: Path) -> None:
    """A whole conversation through the real command line (subprocesses) against the fake Gmail."""
    from tests.scenario_runner import Check, Scenario, run_scenario

    folder = tmp_path / "scenario"
    (folder / "inbox").mkdir(parents=True)
    (folder / "inbox" / "01-invite.eml").write_bytes(
        b"From: Sam Rivera <sam@acme-robotics.com>\r\nTo: Jordan Lee <jordan.lee@gmail.com>\r\n"
        b"Subject: Interview for Senior Engineer\r\nDate: Mon, 30 Nov 2026 10:00:00 -0500\r\n"
        b"Message-ID: <invite1@acme-robotics.com>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        b"Hi Jordan,\r\n\r\nThanks for speaking with us today about the Senior Engineer role. "
        b"It was great to learn about your work. We will decide by the end of the month.\r\n\r\nSam\r\n"
    )
    scenario = Scenario(
        name="gmail-smoke", path=folder, description="an interview thank-you through the Gmail API",
        config={},
        checks=(
            Check(now="2026-12-21T10:00:00-05:00", expect={"expect_state": "open"}),
        ),
    )
    work = tmp_path / "work"
    work.mkdir()
    harness = GmailHarness(gmail, work)
    run_scenario(scenario, harness, work)
    assert gmail.calls("getProfile") and gmail.forbidden == []
    statuses = [r.api for r in gmail.calls()]
    assert "threads.list" in statuses and "history.list" in statuses


def _scenario_params() -> list[Any]:
    from tests.scenario_runner import SCENARIOS, scenario_names
    from tests.test_scenarios import KNOWN_BUGS

    assert SCENARIOS.is_dir(), f"the scenario suite is missing: {SCENARIOS}"
    out: list[Any] = []
    for name in scenario_names():
        marks = [pytest.mark.xfail(strict=True, reason=KNOWN_BUGS[name])] if name in KNOWN_BUGS else []
        out.append(pytest.param(name, id=name, marks=marks))
    return out


@pytest.mark.parametrize("name", _scenario_params())
def test_scenario_on_gmail(name: str, gmail: FakeGmail, tmp_path: Path) -> None:
    """The whole scenario suite (tests/scenarios/) against the fake Gmail, through the CLI."""
    from tests.scenario_runner import load_scenario, run_cli_in_process, run_scenario

    run_scenario(load_scenario(name), GmailHarness(gmail, tmp_path), tmp_path, cli=run_cli_in_process)
    assert gmail.forbidden == []
