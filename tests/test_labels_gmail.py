"""``gmail.labels = true`` over the Gmail API stand-in: ``Follow-up/Queued`` while a draft waits.

The label is created once (shown in the label list and on messages), put on
the thread's messages with ``messages.modify`` (never ``batchModify``) while
the agent's draft waits, and taken off once the user sent it. The send guard
still refuses every send, and a grant without ``gmail.modify`` says to run
``auth gmail`` again.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from agent.backends.gmail import SendRefused
from agent.config import AccountConfig, Config, GmailConfig, StateConfig
from agent.errors import MailboxError
from agent.gmail_auth import (
    SCOPE_COMPOSE,
    SCOPE_LABELS,
    SCOPE_MODIFY,
    SCOPE_READONLY,
    run_auth,
    scopes,
)
from agent.samples import ics, message
from tests.gmail_server import (
    CLIENT_ID,
    CLIENT_SECRET,
    REFRESH_TOKEN,
    FakeGmail,
    GmailHarness,
    fake_gmail,
    make_mailbox,
)
from tests.helpers import t
from tests.scenario_runner import run_cli_in_process as cli
from tests.scenario_runner import write_config

ME = "Jordan Lee <jordan.lee@gmail.com>"
ANN = "Ann Park <ann.park@acme.com>"
QUEUED = "Follow-up/Queued"
NOW = "2026-12-01T16:05:00-05:00"


@pytest.fixture
def gmail() -> Iterator[FakeGmail]:
    with fake_gmail() as server:
        yield server


def _setup(gmail: FakeGmail, tmp_path: Path, labels: bool = True) -> tuple[Path, str, str, str]:
    harness = GmailHarness(gmail, tmp_path)
    inv = ics("Interview: Jordan Lee / Acme", t(12, 1, 13), t(12, 1, 14), organizer="ann.park@acme.com",
              attendee="jordan.lee@gmail.com")
    harness.deliver("inbox", message(ANN, ME, "Interview for the Platform Engineer role",
                                     "Hi Jordan, the invitation is attached.", t(11, 24, 9), "acme-1@acme.com",
                                     calendar=inv))
    harness.deliver("sent", message(ME, ANN, "Re: Interview for the Platform Engineer role",
                                    "Thanks Ann, see you then.", t(11, 24, 11), "me-1@gmail.com",
                                    in_reply_to="acme-1@acme.com"))
    harness.deliver("inbox", message("Sam <sam.friend@yahoo.com>", ME, "Dinner on Sunday?", "Are you coming?",
                                     t(11, 24, 9), "sam-1@yahoo.com"))
    overrides = {"gmail": {"labels": True}} if labels else {}
    cfg = write_config(tmp_path / "config.toml", harness, tmp_path / "state" / "state.db", overrides)
    return cfg, gmail.find("<acme-1@acme.com>"), gmail.find("<me-1@gmail.com>"), gmail.find("<sam-1@yahoo.com>")


def _queued_id(gmail: FakeGmail) -> str:
    [lid] = [i for i, n in gmail.labels.items() if n == QUEUED]
    return lid


def test_label_follows_the_waiting_draft(gmail: FakeGmail, tmp_path: Path) -> None:
    cfg, interview, reply, personal = _setup(gmail, tmp_path)
    cli(cfg, "poll", "--once", "--now", NOW)
    [(draft_id, draft_mid)] = gmail.drafts.items()
    lid = _queued_id(gmail)
    assert gmail.label_settings[lid] == {"labelListVisibility": "labelShow", "messageListVisibility": "show"}
    assert lid in gmail.messages[interview].labels and lid in gmail.messages[reply].labels
    assert lid not in gmail.messages[personal].labels and lid not in gmail.messages[draft_mid].labels
    assert len(gmail.calls("labels.create")) == 1
    assert sorted(r.path.rsplit("/", 2)[1] for r in gmail.calls("messages.modify")) == sorted([interview, reply])
    assert all("batch" not in r.path.lower() for r in gmail.requests)
    assert gmail.messages[interview].labels == {"INBOX", lid} and gmail.messages[reply].labels == {"SENT", lid}
    # the history shows the change, as Gmail's does
    added = [r for r in gmail.history if "labelsAdded" in r and r["labelsAdded"][0]["labelIds"] == [lid]]
    assert sorted(r["labelsAdded"][0]["message"]["id"] for r in added) == sorted([interview, reply])

    # already labelled: the next poll neither creates nor modifies
    gmail.reset_counts()
    cli(cfg, "poll", "--once", "--now", "2026-12-01T16:10:00-05:00")
    assert gmail.calls("labels.create") == [] and gmail.calls("messages.modify") == []

    # the user sends the draft from Gmail
    sent = gmail.user_send_draft(draft_id)
    cli(cfg, "poll", "--once", "--now", "2026-12-01T17:00:00-05:00")
    assert all(lid not in gmail.messages[m].labels for m in (interview, reply, sent, personal))
    assert gmail.calls("labels.create") == []
    assert sorted(r.path.rsplit("/", 2)[1] for r in gmail.calls("messages.modify")) == sorted([interview, reply])
    removed = [r for r in gmail.history if "labelsRemoved" in r and r["labelsRemoved"][0]["labelIds"] == [lid]]
    assert sorted(r["labelsRemoved"][0]["message"]["id"] for r in removed) == sorted([interview, reply])
    assert gmail.labels[lid] == QUEUED  # the label itself stays (the user may have used it too)

    gmail.reset_counts()
    cli(cfg, "poll", "--once", "--now", "2026-12-01T18:00:00-05:00")
    assert gmail.calls("messages.modify") == [] and gmail.calls("labels.create") == []
    assert gmail.forbidden == []


def test_labels_off_writes_no_label(gmail: FakeGmail, tmp_path: Path) -> None:
    cfg, *_ = _setup(gmail, tmp_path, labels=False)
    cli(cfg, "poll", "--once", "--now", NOW)
    assert len(gmail.drafts) == 1
    assert gmail.calls("labels.create") == [] and gmail.calls("messages.modify") == []
    assert QUEUED not in gmail.labels.values()


def test_existing_label_is_reused_and_user_labels_kept(gmail: FakeGmail) -> None:
    mid = gmail.deliver(message(ANN, ME, "Hello", "Hi", t(11, 24, 9), "a-1@acme.com"))
    lid = gmail.add_label(mid, "follow-up/queued")  # made by the user, another case: the same label on Gmail
    gmail.add_label(mid, "Recruiting")
    other = gmail.deliver(message(ANN, ME, "Other", "Hi", t(11, 24, 9), "a-2@acme.com"))
    mb = make_mailbox(gmail)
    try:
        mb.set_label([f"gm/{other}", "gm/gone-id", "draft/r-1", "junk"], QUEUED, True)
        assert gmail.calls("labels.create") == []
        assert lid in gmail.messages[other].labels
        mb.set_label([f"gm/{other}"], QUEUED, False)
        assert gmail.messages[other].labels == {"INBOX", "UNREAD"}
        assert {gmail.labels[x] for x in gmail.messages[mid].labels} >= {"follow-up/queued", "Recruiting"}
        mb.set_label([], QUEUED, True)
    finally:
        mb.close()


def test_removing_a_label_that_does_not_exist_does_nothing(gmail: FakeGmail) -> None:
    mid = gmail.deliver(message(ANN, ME, "Hello", "Hi", t(11, 24, 9), "a-1@acme.com"))
    mb = make_mailbox(gmail)
    try:
        mb.set_label([f"gm/{mid}"], QUEUED, False)
    finally:
        mb.close()
    assert gmail.calls("labels.create") == [] and gmail.calls("messages.modify") == []


def test_a_grant_without_gmail_modify_asks_for_auth_again(gmail: FakeGmail) -> None:
    from google.oauth2.credentials import Credentials

    mid = gmail.deliver(message(ANN, ME, "Hello", "Hi", t(11, 24, 9), "a-1@acme.com"))
    # a token granted before gmail.labels was turned on, or with gmail.labels only
    creds = Credentials(token=None, refresh_token=REFRESH_TOKEN, client_id=CLIENT_ID, client_secret=CLIENT_SECRET,
                        token_uri=gmail.token_uri, scopes=[SCOPE_READONLY, SCOPE_COMPOSE, SCOPE_LABELS])
    mb = make_mailbox(gmail, credentials=creds)
    try:
        with pytest.raises(MailboxError, match="lacks a permission needed for labelling messages.*auth gmail"):
            mb.set_label([f"gm/{mid}"], QUEUED, True)
    finally:
        mb.close()
    assert QUEUED in gmail.labels.values()  # gmail.labels covers the definition...
    assert gmail.messages[mid].labels == {"INBOX", "UNREAD"}  # ...but not the message


def test_the_send_guard_still_refuses(gmail: FakeGmail) -> None:
    mb = make_mailbox(gmail, cfg=GmailConfig(api_endpoint=gmail.url, labels=True))
    users = mb.users
    try:
        for req in (users.messages().send(userId="me", body={"raw": "eA"}),
                    users.drafts().send(userId="me", body={"id": "r-1"}),
                    users.messages().batchModify(userId="me", body={"ids": ["x"], "addLabelIds": ["INBOX"]})):
            with pytest.raises(SendRefused):
                req.execute()
    finally:
        mb.close()
    assert gmail.forbidden == []


def test_auth_asks_for_gmail_modify_with_labels(tmp_path: Path) -> None:
    assert scopes(GmailConfig(labels=True))[-1] == SCOPE_MODIFY
    secrets = tmp_path / "client.json"
    secrets.write_text("{}")
    wanted: list[list[str]] = []

    class Flow:
        def run_local_server(self, **_kw: Any) -> Any:
            from google.oauth2.credentials import Credentials

            return Credentials(token="ya29.x", refresh_token="1//r", client_id=CLIENT_ID,
                               client_secret=CLIENT_SECRET, scopes=wanted[0])

    def factory(_path: Path, scopes_: list[str]) -> Any:
        wanted.append(scopes_)
        return Flow()

    config = Config(account=AccountConfig("Jordan Lee", ("jordan.lee@gmail.com",), "America/New_York"),
                    backend="gmail", state=StateConfig(tmp_path / "state.db"),
                    gmail=GmailConfig(labels=True, token_file=tmp_path / "token.json"))
    out = io.StringIO()
    run_auth(config, secrets, out=out, flow_factory=factory)
    assert SCOPE_MODIFY in wanted[0] and "gmail.modify" in out.getvalue()
    assert SCOPE_MODIFY in json.loads((tmp_path / "token.json").read_text())["scopes"]
