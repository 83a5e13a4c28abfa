"""The review queue: conversations the agent is unsure about get no draft and are listed, with the fix.

`status` shows them under their own heading, `status --json` keeps its array of
tracked conversations unchanged, `status --possible [--json]` lists them with the
reason and the commands that settle them, `explain` works for them, and the
user's `mark` settles them either way — through the real command line.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from agent.demo import build_sample
from agent.samples import deliver, message
from tests.test_cli import cli

NY = ZoneInfo("America/New_York")
ME = "Jordan Lee <jordan.lee@gmail.com>"
NOW = "2026-12-01T10:00:00-05:00"


@pytest.fixture
def mailbox(tmp_path: Path) -> Path:
    """The demo mailbox plus one conversation that may or may not be the job search, and a podcast."""
    cfg = build_sample(tmp_path)
    inbox, sent = tmp_path / "Mail" / "INBOX", tmp_path / "Mail" / "Sent"
    # "the interview" with a business, nothing saying a job, nothing saying anything else
    deliver(inbox, message("Tomas Brandt <tomas@quillfeather.com>", ME, "Tuesday?",
                           "Hi Jordan,\n\nGreat to connect. Could we do the interview on Tuesday at 2pm?\n\nTomas",
                           datetime(2026, 11, 20, 9, tzinfo=NY), "quill-1@quillfeather.com"))
    deliver(sent, message(ME, "Tomas Brandt <tomas@quillfeather.com>", "Re: Tuesday?",
                          "Tuesday at 2 works. Talk then!\n\nJordan", datetime(2026, 11, 20, 11, tzinfo=NY),
                          "me-quill-2@gmail.com", in_reply_to="quill-1@quillfeather.com"))
    # a podcast booking: plainly not the job search, so not even listed
    deliver(inbox, message("Rae Okonkwo <rae@pipelinepod.fm>", ME, "Interview for the Pipeline Pod",
                           "Hi Jordan,\n\nWe'd love to have you as a guest on the podcast: a 45-minute recorded "
                           "interview about data contracts for an episode in January. Our listeners are mostly "
                           "data engineers.\n\nRae Okonkwo\nHost, The Pipeline Pod",
                           datetime(2026, 11, 18, 9, tzinfo=NY), "pod-1@pipelinepod.fm"))
    deliver(sent, message(ME, "Rae Okonkwo <rae@pipelinepod.fm>", "Re: Interview for the Pipeline Pod",
                          "Hi Rae, I'd be glad to be on the show. Thanks for asking!\n\nJordan",
                          datetime(2026, 11, 18, 12, tzinfo=NY), "me-pod-2@gmail.com",
                          in_reply_to="pod-1@pipelinepod.fm"))
    return cfg


def _possible(cfg: Path, *extra: str) -> list[dict[str, object]]:
    proc = cli(cfg, "status", "--possible", "--json", *extra)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)  # type: ignore[no-any-return]


def test_unsure_conversations_are_listed_not_drafted(mailbox: Path) -> None:
    [unsure] = _possible(mailbox, "--now", NOW)
    assert unsure["subject"] == "Tuesday?" and unsure["company"]
    assert "weak evidence" in str(unsure["reason"])
    thread = unsure["thread"]
    assert unsure["settle"] == [f"followup-agent mark {thread} recruiting",
                                f"followup-agent mark {thread} not-recruiting"]
    assert unsure["evidence"] and unsure["last_message"] == "2026-11-20T11:00:00-05:00"
    # status --json: the contract's array of tracked conversations, unchanged
    tracked = json.loads(cli(mailbox, "status", "--json", "--now", NOW).stdout)
    assert {o["company"] for o in tracked} == {"Acme Robotics", "Globex", "Initech", "Hooli"}
    assert all("possible" not in o and "settle" not in o for o in tracked)
    # the text view has both, the unsure ones under their own heading
    text = cli(mailbox, "status", "--now", NOW).stdout
    assert "Possible, not tracked (1)" in text and f"mark {thread} recruiting" in text
    assert "Pipeline Pod" not in text
    # a real poll drafts nothing for it
    poll = json.loads(cli(mailbox, "poll", "--once", "--json", "--now", "2026-12-08T10:00:00-05:00").stdout)
    assert all(a["thread"] != thread for a in poll["actions"])
    assert [o["thread"] for o in _possible(mailbox, "--cached")] == [thread]


def test_explain_says_why_and_how_to_settle(mailbox: Path) -> None:
    [unsure] = _possible(mailbox, "--now", NOW)
    proc = cli(mailbox, "explain", str(unsure["thread"]), "--now", NOW)
    assert proc.returncode == 0, proc.stderr
    assert "Possible, not tracked" in proc.stdout and "mark" in proc.stdout
    assert "Evidence weighed" in proc.stdout and "an interview with a company" in proc.stdout
    pod = cli(mailbox, "explain", "Pipeline Pod", "--now", NOW)
    assert pod.returncode == 0, pod.stderr
    assert "Not tracked: it looks like a podcast booking" in pod.stdout


@pytest.mark.parametrize(("verdict", "tracked"), [("recruiting", True), ("not-recruiting", False)])
def test_a_mark_settles_it(mailbox: Path, verdict: str, tracked: bool) -> None:
    [unsure] = _possible(mailbox, "--now", NOW)
    proc = cli(mailbox, "mark", str(unsure["thread"]), verdict)
    assert proc.returncode == 0, proc.stderr
    assert _possible(mailbox, "--now", NOW) == []
    objs = json.loads(cli(mailbox, "status", "--json", "--now", NOW).stdout)
    assert (unsure["thread"] in {o["thread"] for o in objs}) is tracked
