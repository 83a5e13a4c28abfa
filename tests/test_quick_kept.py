"""A poll whose new mail reaches no candidate conversation keeps the last poll's answer
(agent/quick_poll.py ``Near``, issue 15 item 2): when it may, when it must not, and that what
it keeps is what a whole poll decides.

The sample mailbox (agent/demo.py) tracks Acme, Globex, Initech and Hooli; at ``NOW`` the
thank-you to Acme is written, and the next poll has nothing to do and leaves the record.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from agent.app import run_poll
from agent.backends.base import Fingerprint
from agent.backends.open import open_mailbox
from agent.config import Config, load_config
from agent.demo import DEMO_TIMES, build_sample
from agent.model import ChangeSet, Conversation, Message, RawMessage
from agent.poll_result import PollResult
from agent.quick_poll import reaches_no_candidate
from agent.samples import deliver, message
from agent.store import CachedConversation, QuickRecord, Store

NOW = DEMO_TIMES[0]
MINUTE = timedelta(minutes=1)
ME = "Jordan Lee <jordan.lee@gmail.com>"


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return load_config(build_sample(tmp_path))


def _poll(config: Config, now: datetime, *, quick: bool = True, dry_run: bool = False) -> PollResult:
    return run_poll(config, now, dry_run=dry_run, quick=quick, leave_record=True)


def _record(config: Config) -> QuickRecord | None:
    with Store.open(config.state.path) as store:
        return store.load_quick()


def _settled(config: Config) -> PollResult:
    """The thank-you written, then a whole poll with nothing to do, which leaves the record."""
    _poll(config, NOW)
    second = _poll(config, NOW + MINUTE)
    assert second.plan == [] and "quick" not in second.stats and _record(config) is not None
    return second


def _inbox(config: Config) -> Path:
    assert config.maildir is not None
    return config.maildir.inbox


def _sent(config: Config) -> Path:
    assert config.maildir is not None
    return config.maildir.sent


#: mail that is not the job search, as most new mail is: it must reach no candidate
UNRELATED: dict[str, Callable[[Path, Path], object]] = {
    "a newsletter": lambda inbox, _sent: deliver(inbox, message(
        "Weekly Dev News <news@devweekly.io>", ME, "This week in databases", "Top stories.", NOW,
        "news-2@devweekly.io", headers={"List-Id": "Dev Weekly <weekly.devweekly.io>"})),
    "a job alert": lambda inbox, _sent: deliver(inbox, message(
        "LinkedIn Job Alerts <jobalerts-noreply@linkedin.com>", ME, "12 new jobs for 'platform engineer'",
        "New jobs match your search.", NOW, "alert-2@linkedin.com",
        headers={"List-Unsubscribe": "<https://www.linkedin.com/unsub>"})),
    "a friend": lambda inbox, _sent: deliver(inbox, message(
        "Mom <mom.lee@yahoo.com>", ME, "Re: Dinner on Sunday?", "See you at six.", NOW, "mom-2@yahoo.com",
        in_reply_to="mom-1@yahoo.com")),
    "the user's own mail to a friend": lambda _inbox, sent: deliver(sent, message(
        ME, "Mom <mom.lee@yahoo.com>", "Re: Dinner on Sunday?", "Yes, I will be there.", NOW,
        "me-mom-1@gmail.com", in_reply_to="mom-1@yahoo.com")),
}


@pytest.mark.parametrize("what", sorted(UNRELATED))
def test_mail_that_reaches_no_candidate_keeps_the_last_answer(config: Config, what: str) -> None:
    whole = _settled(config)
    rec = _record(config)
    UNRELATED[what](_inbox(config), _sent(config))
    kept = _poll(config, NOW + 2 * MINUTE)
    assert kept.stats["quick"] == "kept" and kept.stats["added"] == 1 and kept.plan == [] and kept.applied
    assert kept.status == whole.status and kept.possible == whole.possible and len(kept.status) == 4
    after = _record(config)
    assert rec is not None and after is not None
    assert (after.at, after.until, after.config, after.tracked) == (rec.at, rec.until, rec.config, rec.tracked)
    with open_mailbox(config) as mailbox:  # kept with the mailbox's new fingerprint
        assert Fingerprint.of_text(after.fingerprint) == mailbox.fingerprint() != Fingerprint.of_text(rec.fingerprint)
    again = _poll(config, NOW + 3 * MINUTE)  # nothing new since: a quick answer, the mail read once
    assert again.stats["quick"] is True and again.status == whole.status
    full = _poll(config, NOW + 4 * MINUTE, quick=False)  # and a whole poll decides the same
    assert "quick" not in full.stats and full.status == whole.status and full.possible == whole.possible


def test_what_is_kept_is_what_a_whole_poll_decides_after_each_delivery(config: Config) -> None:
    """Mail arriving one message at a time, each poll keeping the answer: at every step a dry
    run (the whole engine, nothing written) over the same state decides exactly the same."""
    _settled(config)
    for i, what in enumerate(sorted(UNRELATED)):
        UNRELATED[what](_inbox(config), _sent(config))
        now = NOW + (2 + i) * MINUTE
        kept = _poll(config, now)
        whole = _poll(config, now, dry_run=True)
        assert kept.stats["quick"] == "kept" and "quick" not in whole.stats and whole.plan == []
        assert kept.status == whole.status and kept.possible == whole.possible


def _reply_to_globex(inbox: Path, _sent: Path) -> object:
    return deliver(inbox, message("Sam Rivera <sam.rivera@globex.com>", ME, "Re: Globex interview - Data Engineer",
                                  "We will decide by Dec 18.", NOW, "globex-late@globex.com",
                                  in_reply_to="me-globex-4@gmail.com"))


def _user_writes_to_hooli(_inbox: Path, sent: Path) -> object:
    return deliver(sent, message(ME, "Gavin B <talent@hooli.com>", "Re: Your interview with Hooli",
                                 "Thank you for letting me know.", NOW, "me-hooli-3@gmail.com",
                                 in_reply_to="hooli-2@hooli.com"))


def _new_recruiter(inbox: Path, _sent: Path) -> object:
    return deliver(inbox, message("Dana Cole <dana@wayne-enterprises.com>", ME,
                                  "Interview invitation: Backend Engineer",
                                  "Hi Jordan, could we schedule a phone screen next week?", NOW,
                                  "wayne-1@wayne-enterprises.com"))


def _flag_on_acme(inbox: Path, _sent: Path) -> object:
    """The user flags Acme's message (a Maildir client renames its file)."""
    (path,) = [p for p in (inbox / "cur").iterdir() if b"acme-1@acmerobotics.com" in p.read_bytes()]
    return path.rename(path.with_name(path.name.replace(":2,S", ":2,FS")))


def _acme_deleted(inbox: Path, _sent: Path) -> object:
    (path,) = [p for p in (inbox / "cur").iterdir() if b"acme-1@acmerobotics.com" in p.read_bytes()]
    return path.unlink()


REACHING: dict[str, Callable[[Path, Path], object]] = {
    "a reply in a tracked conversation": _reply_to_globex,
    "the user's reply in a tracked conversation": _user_writes_to_hooli,
    "a new recruiting conversation": _new_recruiter,
    "a flag on a candidate's message": _flag_on_acme,
    "a candidate's message deleted": _acme_deleted,
}


@pytest.mark.parametrize("what", sorted(REACHING))
def test_mail_that_reaches_a_candidate_is_read_by_a_whole_poll(config: Config, what: str) -> None:
    _settled(config)
    REACHING[what](_inbox(config), _sent(config))
    polled = _poll(config, NOW + 2 * MINUTE)
    assert "quick" not in polled.stats and polled.decisions  # the engine ran whole
    again = _poll(config, NOW + 2 * MINUTE, dry_run=True)
    assert polled.status == again.status


def test_a_draft_changed_as_well_as_unrelated_mail_is_a_whole_poll(config: Config) -> None:
    """The drafts are read whole after any change to them, whatever else came."""
    _settled(config)
    UNRELATED["a newsletter"](_inbox(config), _sent(config))
    assert config.maildir is not None
    (draft,) = (config.maildir.drafts / "cur").iterdir()
    draft.unlink()
    after = _poll(config, NOW + 2 * MINUTE)
    assert "quick" not in after.stats
    assert any(d["status"] == "user_deleted" for o in after.status for d in o["drafts"])


def test_without_a_record_or_past_its_moment_new_mail_is_a_whole_poll(config: Config) -> None:
    _settled(config)
    UNRELATED["a newsletter"](_inbox(config), _sent(config))
    assert "quick" not in _poll(config, NOW + 2 * MINUTE, quick=False).stats  # poll --full
    UNRELATED["a friend"](_inbox(config), _sent(config))
    assert "quick" not in _poll(config, NOW + 2 * MINUTE, dry_run=True).stats  # a dry run
    assert "quick" not in _poll(config, NOW - MINUTE).stats  # a clock gone back
    assert "quick" not in run_poll(config, NOW + 3 * MINUTE, dry_run=False).stats  # the service


# --- the rule itself -----------------------------------------------------------------------


def _msg(mid: str) -> Message:
    return Message(id=mid, folder="INBOX", message_id=f"<{mid}@x>")


def _raw(mid: str) -> RawMessage:
    return RawMessage(id=mid, folder="INBOX", data=b"")


BEFORE = [CachedConversation("c1", ("a", "b")), CachedConversation("c2", ("c",))]
AFTER = [Conversation("c2", (_msg("c"),)), Conversation("c1", (_msg("a"), _msg("b")))]


def test_the_rule_keeps_only_when_the_candidates_are_untouched() -> None:
    news = ChangeSet((_raw("n1"),), ("old",), "cursor")
    assert reaches_no_candidate(BEFORE, news, AFTER)  # order aside, the same candidates
    assert not reaches_no_candidate(None, news, AFTER)  # none kept: threaded afresh
    assert not reaches_no_candidate(BEFORE, dataclasses.replace(news, full=True), AFTER)
    assert not reaches_no_candidate(BEFORE, ChangeSet((_raw("b"),), (), "cursor"), AFTER)  # came again
    assert not reaches_no_candidate(BEFORE, ChangeSet((), ("c",), "cursor"), AFTER)  # went
    grown = [AFTER[0], Conversation("c1", (_msg("a"), _msg("b"), _msg("n1")))]
    assert not reaches_no_candidate(BEFORE, news, grown)  # joined a candidate
    assert not reaches_no_candidate(BEFORE, news, [*AFTER, Conversation("c3", (_msg("n1"),))])  # a new one


def test_a_record_kept_in_another_shape_is_no_fingerprint() -> None:
    assert Fingerprint.of_text(Fingerprint("w", "d").text) == Fingerprint("w", "d")
    for text in ("0123abcd", '["a", "b", "c"]', '{"whole": "w"}', "[1, 2]", ""):
        assert Fingerprint.of_text(text) is None
