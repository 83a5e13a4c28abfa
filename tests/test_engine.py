"""The engine end to end on a Maildir: idempotent drafts, crashes, the user always wins."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime
from email import message_from_bytes
from pathlib import Path

import pytest

from agent import candidates, engine, syncing
from agent.backends.maildir import MaildirMailbox
from agent.config import Config, load_config
from agent.errors import StateLockedError
from agent.existing_drafts import describe_drafts
from agent.model import Message
from agent.samples import deliver, ics, make_maildir, message
from agent.store import DescribedDrafts, StateLock, Store
from tests.helpers import t

ME = "Jordan Lee <jordan.lee@gmail.com>"
ANN = "Ann Park <ann.park@acme.com>"


class Env:
    """A Maildir mailbox with one interview conversation, and helpers to act as the user."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.inbox, self.sent, self.drafts = (make_maildir(root / n) for n in ("INBOX", "Sent", "Drafts"))
        cfg = root / "config.toml"
        cfg.write_text(
            '[account]\nname = "Jordan Lee"\naddresses = ["jordan.lee@gmail.com"]\n'
            'timezone = "America/New_York"\n[mailbox]\nbackend = "maildir"\n'
            f'[maildir]\ninbox = "{self.inbox}"\nsent = "{self.sent}"\ndrafts = "{self.drafts}"\n'
            f'[state]\npath = "{root}/state/state.db"\n'
        )
        self.config_path = cfg
        self.config: Config = load_config(cfg)
        inv = ics("Interview: Jordan Lee / Acme", t(12, 1, 13), t(12, 1, 14), organizer="ann.park@acme.com",
                  attendee="jordan.lee@gmail.com")
        deliver(self.inbox, message(ANN, ME, "Interview for the Platform Engineer role",
                                    "Hi Jordan, the invitation is attached. We hope to decide by the end of "
                                    "the month.\n\nAnn", t(11, 24, 9), "acme-1@acme.com", calendar=inv))

    def poll(self, now: datetime, *, dry_run: bool = False, mailbox: MaildirMailbox | None = None
             ) -> engine.PollResult:
        mb = mailbox or MaildirMailbox.from_config(self.config.maildir)  # type: ignore[arg-type]
        with Store.open(self.config.state.path, readonly_dry_run=dry_run) as store:
            return engine.poll(self.config, mb, store, now, dry_run=dry_run)

    def draft_files(self) -> list[Path]:
        return sorted(p for sub in ("cur", "new") for p in (self.drafts / sub).iterdir())

    def draft_steps(self) -> list[str]:
        out = []
        for p in self.draft_files():
            marker = message_from_bytes(p.read_bytes()).get("X-Followup-Agent", "")
            out.append(next((x.split("=")[1] for x in marker.split("; ") if x.startswith("step=")), "user"))
        return out

    def reply(self, when: datetime, text: str = "Thanks Jordan, we'll be in touch.", n: int = 2) -> None:
        deliver(self.inbox, message(ANN, ME, "Re: Interview for the Platform Engineer role", text, when,
                                    f"acme-{n}@acme.com", in_reply_to="acme-1@acme.com"))

    def user_sends_draft(self, when: datetime) -> None:
        [p] = self.draft_files()
        msg = message_from_bytes(p.read_bytes())
        del msg["Date"]
        msg["Date"] = when.strftime("%a, %d %b %Y %H:%M:%S %z")
        deliver(self.sent, msg.as_bytes())
        p.unlink()


@pytest.fixture
def env(tmp_path: Path) -> Iterator[Env]:
    yield Env(tmp_path)


def test_thank_you_created_once(env: Env) -> None:
    assert env.poll(t(12, 1, 15)).plan == []  # due 16:00
    r = env.poll(t(12, 1, 16, 5))
    assert [a.kind for a in r.plan] == ["create"]
    assert env.draft_steps() == ["thank_you"]
    for _ in range(2):
        assert [a.kind for a in env.poll(t(12, 1, 17)).plan] == []
    assert env.draft_steps() == ["thank_you"]
    draft = message_from_bytes(env.draft_files()[0].read_bytes())
    assert draft["In-Reply-To"] == "<acme-1@acme.com>"
    assert draft["Subject"] == "Re: Interview for the Platform Engineer role"
    assert draft["To"] == "ann.park@acme.com"
    assert env.draft_files()[0].name.endswith(":2,D")


def test_crash_after_create_before_record_adopts(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*_a: object, **_k: object) -> None:
        raise RuntimeError("power cut")

    monkeypatch.setattr(Store, "record_created", boom)
    with pytest.raises(RuntimeError):
        env.poll(t(12, 1, 16, 5))
    monkeypatch.undo()
    assert env.draft_steps() == ["thank_you"]
    r = env.poll(t(12, 1, 16, 10))
    assert [a.kind for a in r.plan] == ["adopt"]
    assert env.draft_steps() == ["thank_you"]
    assert env.poll(t(12, 1, 16, 20)).plan == []
    assert r.history[r.decisions[0].conversation][0].status == "created"


def test_crash_before_create_creates_exactly_one(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*_a: object, **_k: object) -> str:
        raise OSError("disk full")

    monkeypatch.setattr(MaildirMailbox, "create_draft", boom)
    with pytest.raises(OSError):
        env.poll(t(12, 1, 16, 5))
    monkeypatch.undo()
    assert env.draft_steps() == []
    assert [a.kind for a in env.poll(t(12, 1, 16, 10)).plan] == ["create"]
    assert env.draft_steps() == ["thank_you"]


def test_deleted_draft_is_never_recreated(env: Env) -> None:
    env.poll(t(12, 1, 16, 5))
    env.draft_files()[0].unlink()
    r = env.poll(t(12, 1, 17))
    assert [(a.kind, a.status) for a in r.plan] == [("record", "user_deleted")]
    for now in (t(12, 2, 9), t(12, 3, 9)):
        env.poll(now)
        assert env.draft_steps() == []


def test_human_reply_withdraws_untouched_draft(env: Env) -> None:
    env.poll(t(12, 1, 16, 5))
    env.user_sends_draft(t(12, 1, 17))
    env.poll(t(12, 1, 18))
    # first follow-up: deadline Nov 30 has long passed; due a week after the thank-you? No:
    # "end of the month" was stated Nov 24 → Nov 30 → due Dec 8 09:00
    r = env.poll(t(12, 8, 9, 30))
    assert [a.kind for a in r.plan] == ["create"] and env.draft_steps() == ["follow_up_1"]
    env.reply(t(12, 8, 11))
    r = env.poll(t(12, 8, 12))
    assert [a.kind for a in r.plan] == ["withdraw"]
    assert "answered" in r.plan[0].reason
    assert env.draft_steps() == []
    assert env.poll(t(12, 9, 12)).plan == []


def test_edited_draft_is_never_touched(env: Env) -> None:
    env.poll(t(12, 1, 16, 5))
    [p] = env.draft_files()
    p.write_bytes(p.read_bytes().replace(b"Best regards", b"Warmly"))
    r = env.poll(t(12, 1, 17))
    assert [(a.kind, a.status) for a in r.plan] == [("record", "edited")]
    env.reply(t(12, 1, 18))
    assert env.poll(t(12, 1, 19)).plan == []
    assert env.draft_files() == [p]


def test_sent_draft_counts_and_next_step_follows(env: Env) -> None:
    env.poll(t(12, 1, 16, 5))
    env.user_sends_draft(t(12, 1, 16, 30))
    r = env.poll(t(12, 1, 17))
    assert [(a.kind, a.status) for a in r.plan] == [("record", "sent")]
    st = r.status[0]
    assert st["next"]["kind"] == "follow_up_1"
    assert st["next"]["due"] == "2026-12-08T09:00:00-05:00"


def test_dry_run_writes_nothing(env: Env) -> None:
    before = {p: p.read_bytes() for p in env.root.rglob("*") if p.is_file()}
    r = env.poll(t(12, 1, 16, 5), dry_run=True)
    assert [a.kind for a in r.plan] == ["create"]
    after = {p: p.read_bytes() for p in env.root.rglob("*") if p.is_file()}
    assert before == after
    assert not (env.root / "state").exists()


def test_warm_poll_parses_nothing_already_read(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    env.poll(t(12, 1, 9))
    calls: list[str] = []
    real = syncing.parse_message

    def counting(raw, *a, **k):  # type: ignore[no-untyped-def]
        if raw.folder != "drafts":
            calls.append(raw.id)
        return real(raw, *a, **k)

    monkeypatch.setattr(syncing, "parse_message", counting)
    env.poll(t(12, 1, 10))
    assert calls == []
    env.reply(t(12, 1, 10, 30))
    env.poll(t(12, 1, 11))
    assert len(calls) == 2  # the new message's headers, then its body (candidate conversation)


def test_bodies_stored_by_an_older_parser_are_read_again(env: Env) -> None:
    """A state written before messages carried their signature is not trusted for it: the
    next poll fetches the candidate conversations' bodies again and the signature appears."""
    env.reply(t(12, 1, 16), "Thanks Jordan, we'll be in touch.\n\nBest,\nAnn Park\nTalent Partner | Acme Robotics")
    env.poll(t(12, 1, 17))
    reply_id = "<acme-2@acme.com>"

    def stored() -> Message:
        with Store.open(env.config.state.path) as store:
            return next(m for m in store.get_messages() if m.message_id == reply_id)

    assert stored().signature == "Best,\nAnn Park\nTalent Partner | Acme Robotics"
    con = sqlite3.connect(env.config.state.path, isolation_level=None)
    for mid, doc in con.execute("SELECT id, json FROM messages WHERE raw IS NULL").fetchall():
        old = json.loads(doc)
        old.pop("signature", None)  # what an older agent wrote
        con.execute("UPDATE messages SET json = ? WHERE id = ?", (json.dumps(old), mid))
    con.execute("DELETE FROM cache_keys WHERE cache = 'messages'")  # no format: an older agent's
    con.close()
    r = env.poll(t(12, 1, 18))
    assert r.stats["bodies_fetched"] == 2  # the invitation and the reply
    assert stored().signature == "Best,\nAnn Park\nTalent Partner | Acme Robotics"
    assert env.poll(t(12, 1, 19)).stats["bodies_fetched"] == 0


def test_reading_changes_nothing_in_the_mailbox(env: Env) -> None:
    deliver(env.inbox, message(ANN, ME, "Re: Interview", "see you", t(11, 25), "acme-9@acme.com",
                               in_reply_to="acme-1@acme.com"), seen=False)
    snap = sorted((str(p.relative_to(env.root)), p.stat().st_mtime_ns)
                  for d in (env.inbox, env.sent) for p in d.rglob("*"))
    env.poll(t(12, 1, 9))
    env.poll(t(12, 1, 10))
    assert sorted((str(p.relative_to(env.root)), p.stat().st_mtime_ns)
                  for d in (env.inbox, env.sent) for p in d.rglob("*")) == snap


def test_lost_state_does_not_duplicate_drafts(env: Env) -> None:
    env.poll(t(12, 1, 16, 5))
    env.config.state.path.unlink()
    r = env.poll(t(12, 1, 17))
    assert [a.kind for a in r.plan] == ["adopt"]
    assert env.draft_steps() == ["thank_you"]


def test_lock_refuses_a_second_poll(env: Env) -> None:
    env.config.state.path.parent.mkdir(parents=True, exist_ok=True)
    with StateLock(env.config.state.path):
        proc = subprocess.run(
            [sys.executable, "-m", "agent", "--config", str(env.config_path), "poll", "--once",
             "--now", "2026-12-01T16:05:00-05:00"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == StateLockedError.exit_code
    assert "Another followup-agent process" in proc.stderr and "Traceback" not in proc.stderr
    assert env.draft_steps() == []


def _hostile_messages() -> list[bytes]:
    deep = b"Content-Type: text/plain\r\n\r\nbottom\r\n"
    for i in range(300):
        deep = (f"Content-Type: multipart/mixed; boundary=\"b{i}\"\r\n\r\n--b{i}\r\n".encode()
                + deep + f"\r\n--b{i}--\r\n".encode())
    refs = " ".join(f"<r{i}@x.example>" for i in range(20000))
    big = os.urandom(15 * 1024 * 1024)  # a 15 MB attachment (about 21 MB once base64-encoded)
    import base64

    att = base64.encodebytes(big)
    return [
        b"From: a@x.example\r\nSubject: deep\r\nMessage-ID: <deep@x>\r\nMIME-Version: 1.0\r\n" + deep,
        f"From: b@x.example\r\nSubject: refs interview\r\nMessage-ID: <refs@x>\r\nReferences: {refs}\r\n\r\nhi\r\n".encode(),
        b"From: c@x.example\r\nSubject: Interview invite\r\nMessage-ID: <cal@x>\r\nContent-Type: text/calendar; method=REQUEST\r\n\r\nBEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART:garbage\r\nSUMMARY:Interview\r\n",
        b"From: d@x.example\r\nSubject: big interview attachment\r\nMessage-ID: <big@x>\r\nContent-Type: multipart/mixed; boundary=zz\r\n\r\n--zz\r\nContent-Type: text/plain\r\n\r\ninterview notes attached\r\n--zz\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n\r\n" + att + b"\r\n--zz--\r\n",
        b"From: e\x00@x.example\r\nSubject: nul\x00 interview\r\nMessage-ID: <nul@x>\r\n\r\nbody \x00 with nul\r\n",
        b"\xff\xfe\x00garbage without headers at all",
        b"",
    ]


def test_hostile_mail_beside_a_good_conversation(env: Env) -> None:
    for i, data in enumerate(_hostile_messages()):
        deliver(env.inbox, data, name=f"hostile{i}-" + hashlib.sha1(data).hexdigest()[:8])
    r = env.poll(t(12, 1, 16, 5))
    assert ("create", "thank_you") in [(a.kind, a.step) for a in r.plan]
    assert env.draft_steps() == ["thank_you"]
    assert env.poll(t(12, 1, 17)).plan == []


def _candidate_sets(result: engine.PollResult) -> set[tuple[str, frozenset[str]]]:
    return {(cid, frozenset(m.id for m in c.messages)) for cid, c in result.conversations.items()}


def _random_mail(env: Env, rnd: object, i: int, sent_ids: list[str], *, collide: float = 0.0) -> Path:
    """One generated message (i-th): a reply, a new thread, or the user's; with ``collide``, at
    that rate it reuses the Message-ID of an earlier one (another sender, subject and date)."""
    import random

    assert isinstance(rnd, random.Random)
    companies = ["acme", "globex", "initech", "umbrella"]
    subjects = ["Interview for the Platform Engineer role", "Your application", "Next steps", "Hello"]
    co = rnd.choice(companies)
    when = t(11, 1 + i % 28, 9 + i % 8)
    subject = rnd.choice(subjects)
    mid = f"gen{i}@{co}.com"
    if collide and rnd.random() < collide:
        mid = rnd.choice(sent_ids)  # a stranger (or a broken mailer) reusing an earlier id
    kind = rnd.random()
    parent = rnd.choice(sent_ids) if kind < 0.4 else None
    frm = f"Rec <rec@{co}.com>" if kind < 0.8 else ME
    folder = env.inbox if frm != ME else env.sent
    path = deliver(folder, message(frm, ME if frm != ME else f"rec@{co}.com",
                                   ("Re: " if parent else "") + subject, "interview next steps", when, mid,
                                   in_reply_to=parent), name=f"gen{i:03d}")
    sent_ids.append(mid)
    return path


def test_incremental_threading_matches_a_full_rebuild(env: Env) -> None:
    """Polls that re-thread only what changed see the same conversations as a cold start."""
    import random

    rnd = random.Random(5)
    sent_ids: list[str] = ["acme-1@acme.com"]
    rethreaded: list[int] = []
    for i in range(40):
        path = _random_mail(env, rnd, i, sent_ids)
        if i % 9 == 8:  # the user deletes an older message now and then
            path.unlink()
        if i % 4 == 3:
            rethreaded.append(env.poll(t(12, 1, 9)).stats["rethreaded"])
    incremental = env.poll(t(12, 1, 9))
    assert "rethreaded" not in incremental.stats  # nothing changed: the cached candidates stand
    # the first poll threads everything (5 messages); later ones only what links to the change
    assert rethreaded[0] == 5
    assert any(n < 5 + 4 * i - i // 2 for i, n in enumerate(rethreaded) if i)
    env.config.state.path.unlink()
    cold = env.poll(t(12, 1, 9), dry_run=True)
    assert _candidate_sets(incremental) == _candidate_sets(cold)
    assert [d.conversation for d in incremental.decisions] and \
        sorted(d.conversation for d in incremental.decisions) == sorted(d.conversation for d in cold.decisions)


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_incremental_threading_matches_a_full_rebuild_with_colliding_ids(env: Env, seed: int) -> None:
    """The same with a quarter of the mail reusing an earlier Message-ID (the invitation's
    too): the strangers arrive between polls, and the conversations, their ids and the
    decisions are those of a cold start over the same mail; the invitation is never lost."""
    import random

    rnd = random.Random(seed)
    sent_ids: list[str] = ["acme-1@acme.com"]
    deliver(env.inbox, _stranger("newsletter"), name="0000-stranger")
    for i in range(32):
        path = _random_mail(env, rnd, i, sent_ids, collide=0.25)
        if i % 11 == 10:
            path.unlink()
        if i % 4 == 3:
            env.poll(t(12, 1, 9))
    incremental = env.poll(t(12, 1, 9))
    assert "rethreaded" not in incremental.stats
    # (its conversation id may move here: some generated mail reuses its id from acme.com, dated
    # earlier, and nothing tells which of two such messages the id first named)
    assert [m.message_id for c in incremental.conversations.values() for m in c.messages if m.calendar] == \
        [f"<{_INVITATION}>"]
    env.config.state.path.unlink()
    cold = env.poll(t(12, 1, 9), dry_run=True)
    assert _candidate_sets(incremental) == _candidate_sets(cold)
    assert sorted((s["thread"], s["state"], s["next"] and s["next"]["kind"]) for s in incremental.status) == \
        sorted((s["thread"], s["state"], s["next"] and s["next"]["kind"]) for s in cold.status)


class LabellingMaildir(MaildirMailbox):
    """A Maildir that records label calls (Maildir itself has no labels)."""

    def __init__(self, *a: object, **k: object) -> None:
        super().__init__(*a, **k)  # type: ignore[arg-type]
        self.calls: list[tuple[tuple[str, ...], str, bool]] = []

    def set_label(self, ids: list[str], label: str, present: bool) -> None:
        self.calls.append((tuple(ids), label, present))


def test_queued_label_follows_the_waiting_draft(tmp_path: Path) -> None:
    env = Env(tmp_path)
    (tmp_path / "config.toml").write_text((tmp_path / "config.toml").read_text().replace(
        '[mailbox]\nbackend = "maildir"\n', '[mailbox]\nbackend = "imap"\n'
        '[imap]\nhost = "127.0.0.1"\nsecurity = "none"\nusername = "u"\nlabels = true\n'))
    env.config = load_config(tmp_path / "config.toml")
    assert env.config.write_labels
    md = env.config.maildir
    assert md is not None
    mb = LabellingMaildir(md.inbox, md.sent, md.drafts)
    env.poll(t(12, 1, 15), mailbox=mb)
    assert mb.calls == []  # nothing waits yet
    env.poll(t(12, 1, 16, 5), mailbox=mb)
    [(ids, label, present)] = mb.calls
    assert label == "Follow-up/Queued" and present and len(ids) == 1
    env.poll(t(12, 1, 16, 10), mailbox=mb)
    assert len(mb.calls) == 1  # already there: not set twice
    env.user_sends_draft(t(12, 1, 16, 30))
    env.poll(t(12, 1, 17), mailbox=mb)
    assert mb.calls[-1] == (ids, "Follow-up/Queued", False)  # only what it set, removed once sent
    env.poll(t(12, 1, 18), mailbox=mb)
    assert len(mb.calls) == 2


def test_labels_are_off_by_default(env: Env) -> None:
    md = env.config.maildir
    assert md is not None and not env.config.write_labels
    mb = LabellingMaildir(md.inbox, md.sent, md.drafts)
    env.poll(t(12, 1, 16, 5), mailbox=mb)
    assert mb.calls == [] and env.draft_steps() == ["thank_you"]


def test_a_label_failure_does_not_fail_the_poll(tmp_path: Path) -> None:
    from agent.errors import MailboxError

    class Refusing(LabellingMaildir):
        def set_label(self, ids: list[str], label: str, present: bool) -> None:
            raise MailboxError("the grant lacks a permission needed for labelling messages")

    env = Env(tmp_path)
    (tmp_path / "config.toml").write_text((tmp_path / "config.toml").read_text().replace(
        '[mailbox]\nbackend = "maildir"\n', '[mailbox]\nbackend = "imap"\n'
        '[imap]\nhost = "127.0.0.1"\nsecurity = "none"\nusername = "u"\nlabels = true\n'))
    env.config = load_config(tmp_path / "config.toml")
    md = env.config.maildir
    assert md is not None
    r = env.poll(t(12, 1, 16, 5), mailbox=Refusing(md.inbox, md.sent, md.drafts))
    assert "lacks a permission" in r.stats["label_error"]
    assert env.draft_steps() == ["thank_you"]
    r = env.poll(t(12, 1, 16, 10), mailbox=Refusing(md.inbox, md.sent, md.drafts))
    assert r.stats["added"] == 0 and r.plan == []  # the cursor and the ledger were saved


def test_human_reply_withdraws_a_waiting_thank_you(env: Env) -> None:
    env.poll(t(12, 1, 16, 5))
    assert env.draft_steps() == ["thank_you"]
    env.reply(t(12, 1, 16, 30), "Thanks for coming in today, Jordan! We'll be in touch.")
    r = env.poll(t(12, 1, 17))
    assert [(a.kind, a.step) for a in r.plan] == [("withdraw", "thank_you")]
    assert env.draft_steps() == [] and r.status[0]["next"] is None
    assert env.poll(t(12, 2, 9)).plan == []  # withdrawn is final: never written again


def test_a_failed_write_mid_plan_keeps_what_was_done(env: Env, monkeypatch: pytest.MonkeyPatch) -> None:
    """Outcomes are committed together after the writes, and also when one write fails: the
    draft written before the failure is on record as created, the failed one only as intended,
    and the next poll writes exactly the missing draft."""
    inv = ics("Interview: Jordan Lee / Globex", t(12, 1, 11), t(12, 1, 12), organizer="bo@globex.com",
              attendee="jordan.lee@gmail.com")
    deliver(env.inbox, message("Bo Chen <bo@globex.com>", ME, "Interview for the Data Engineer role",
                               "Hi Jordan, see the invitation.\n\nBo", t(11, 24, 10), "globex-1@globex.com",
                               calendar=inv))
    real = MaildirMailbox.create_draft
    calls: list[int] = []

    def second_fails(self: MaildirMailbox, data: bytes, thread_hint: str | None = None) -> str:
        calls.append(1)
        if len(calls) == 2:
            raise OSError("disk full")
        return real(self, data, thread_hint)

    monkeypatch.setattr(MaildirMailbox, "create_draft", second_fails)
    with pytest.raises(OSError):
        env.poll(t(12, 1, 16, 5))
    monkeypatch.undo()
    assert len(env.draft_files()) == 1
    with Store.open(env.config.state.path) as store:
        statuses = sorted(r.status for r in store.ledger_rows())
        assert statuses == ["created", "intended"]
        [created] = store.ledger_rows({"created"})  # the one draft written, under the id it was written as
        assert created.draft_id == "drafts/" + env.draft_files()[0].name.split(":")[0]
    r = env.poll(t(12, 1, 16, 10))
    assert [a.kind for a in r.plan] == ["create"]
    assert env.draft_steps() == ["thank_you", "thank_you"]
    assert env.poll(t(12, 1, 16, 20)).plan == []


def test_an_answer_with_a_new_timeline_withdraws_the_waiting_follow_up_and_starts_a_new_silence(
    env: Env,
) -> None:
    """POLICY: the company's answer withdraws our untouched draft; the timeline in it replaces
    the old one, and once it has passed by a week a check-in is due again (the withdrawn draft
    belonged to the old silence and does not stand in for it)."""
    env.poll(t(12, 1, 16, 5))
    env.user_sends_draft(t(12, 1, 17))  # the thank-you
    env.poll(t(12, 1, 18))  # notes that it was sent
    r = env.poll(t(12, 8, 9, 5))  # "end of the month" (Nov 30) + a week: Mon Dec 8 09:00
    assert [(a.kind, a.step) for a in r.plan] == [("create", "follow_up_1")]
    env.reply(t(12, 8, 10), "Thanks Jordan, we now expect to decide by December 18.", n=3)
    r = env.poll(t(12, 8, 11))
    assert [(a.kind, a.step) for a in r.plan] == [("withdraw", "follow_up_1")]
    assert env.draft_steps() == []
    (dec,) = r.decisions
    assert dec.next is not None and dec.next.kind == "follow_up_1"
    assert dec.next.due == t(12, 28, 9)  # Dec 18 + 7 = Christmas Day: the next business morning
    assert env.poll(t(12, 24, 9)).plan == []
    r = env.poll(t(12, 28, 9, 5))
    assert [(a.kind, a.step) for a in r.plan] == [("create", "follow_up_1")]
    draft = env.draft_files()[0].read_text()
    assert "December 18" in draft and env.draft_steps() == ["follow_up_1"]


def test_an_answer_without_a_timeline_and_your_reply_start_a_silence_whose_follow_up_is_drafted(
    env: Env,
) -> None:
    """Issue 10: the follow-up withdrawn because the company answered belonged to the old silence;
    after your reply the new silence owes a first follow-up again, a week after your reply (the
    old "end of the month" + a week is long past), and it is drafted, not blocked by the
    withdrawn one."""
    env.poll(t(12, 1, 16, 5))
    env.user_sends_draft(t(12, 1, 17))  # the thank-you
    env.poll(t(12, 1, 18))
    assert [(a.kind, a.step) for a in env.poll(t(12, 8, 9, 5)).plan] == [("create", "follow_up_1")]
    env.reply(t(12, 8, 10), "Thanks Jordan, we are still talking to a few candidates.", n=3)
    assert [(a.kind, a.step) for a in env.poll(t(12, 8, 11)).plan] == [("withdraw", "follow_up_1")]
    deliver(env.sent, message(ME, ANN, "Re: Interview for the Platform Engineer role", "Thanks Ann, understood.",
                              t(12, 8, 12), "jordan-3@gmail.com", in_reply_to="acme-3@acme.com"))
    (dec,) = env.poll(t(12, 8, 13)).decisions
    assert dec.next is not None and dec.next.kind == "follow_up_1" and dec.next.due == t(12, 15, 12)
    assert env.poll(t(12, 15, 11)).plan == []
    r = env.poll(t(12, 15, 12, 5))
    assert [(a.kind, a.step) for a in r.plan] == [("create", "follow_up_1")]
    assert env.draft_steps() == ["follow_up_1"]


def test_drafts_described_again_when_a_backend_leaves_out_bytes_it_was_not_told_it_had(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``drafts(seen=...)`` may only leave out the bytes of drafts named as seen; a backend that
    leaves out others is asked again for everything, and the drafts are still recognised."""
    from dataclasses import replace as dc_replace

    env.poll(t(12, 1, 16, 5))  # a thank-you draft of ours
    real = MaildirMailbox.drafts

    def careless(self: MaildirMailbox, seen: object = None) -> list[object]:
        listed = real(self)
        if seen is None:  # asked for everything: answers properly
            return listed  # type: ignore[return-value]
        return [dc_replace(d, data=b"", seen=True) for d in listed]  # leaves out bytes it was not told of

    monkeypatch.setattr(MaildirMailbox, "drafts", careless)
    with Store.open(env.config.state.path) as store:
        store.caches.save_described_drafts(DescribedDrafts({}, {}))  # nothing described yet: nothing may be left out
        mb = MaildirMailbox.from_config(env.config.maildir)  # type: ignore[arg-type]
        described = describe_drafts(mb, store)
    assert [d.marker.get("step") for d in described] == ["thank_you"]


def test_a_state_written_by_an_older_parser_is_read_again(env: Env) -> None:
    """Stored parses lack what a newer parser reads (e.g. invitations' attendees): bodies are read again."""
    env.poll(t(11, 25, 10))
    with Store.open(env.config.state.path) as store:
        store.set_message_format(1)
    again = env.poll(t(11, 25, 12))
    assert again.stats["bodies_fetched"] >= 1
    [conv] = again.conversations.values()
    assert conv.messages[0].calendar[0].attendees == ("jordan.lee@gmail.com",)
    assert env.poll(t(11, 25, 13)).stats["bodies_fetched"] == 0

# --- a stranger reusing a Message-ID (issue 10, item 8) ------------------------------------------

#: the invitation's Message-ID (Env delivers it), and the conversation id it is the root of
_INVITATION = "acme-1@acme.com"
_CONVERSATION = "c-" + hashlib.sha256(f"<{_INVITATION}>".encode()).hexdigest()[:16]

_STRANGERS = {
    # a newsletter with a long text, named so that it sorts before the invitation's file
    "newsletter": ("Weekly Digest <news@digest.example>", "Your weekly reading list",
                   "This week's stories, in full. " * 60, t(11, 26, 8)),
    # a person asking for an interview (a candidate conversation of its own), backdated
    "podcast-backdated": ("Pat Host <pat@podcast.example>", "Interview request for our show",
                          "Would you come on the show for an interview?", t(11, 20, 9)),
    # the invitation's own sender and subject, a day later: a broken mailer, not a copy
    "same-sender": (ANN, "Interview for the Platform Engineer role",
                    "Reminder: see you on Tuesday.", t(11, 25, 9)),
}


def _stranger(kind: str) -> bytes:
    frm, subject, text, when = _STRANGERS[kind]
    return message(frm, ME, subject, text, when, _INVITATION)


def _threads(result: engine.PollResult) -> dict[str, list[str]]:
    return {s["thread"]: [s["next"]["kind"] if s["next"] else None] for s in result.status}


@pytest.mark.parametrize("kind", sorted(_STRANGERS))
def test_a_stranger_reusing_the_invitations_id_keeps_the_conversation_and_its_draft(env: Env, kind: str) -> None:
    """The bug: an unrelated message with the invitation's Message-ID replaced it, and the
    conversation left `status` with no draft. Both are kept; the conversation keeps its id."""
    deliver(env.inbox, _stranger(kind), name="0000-stranger")
    r = env.poll(t(12, 1, 16, 5))
    assert ("create", "thank_you") in [(a.kind, a.step) for a in r.plan]
    assert env.draft_steps() == ["thank_you"]
    mine = next(s for s in r.status if s["thread"] == _CONVERSATION)
    assert mine["next"]["kind"] == "thank_you" and mine["company"] == "Acme"
    conv = r.conversations[_CONVERSATION]
    assert any(m.calendar for m in conv.messages), "the invitation is in its conversation"
    assert env.poll(t(12, 1, 17)).plan == []  # and nothing more to do
    draft = message_from_bytes(env.draft_files()[0].read_bytes())
    assert draft["In-Reply-To"] == f"<{_INVITATION}>" and draft["To"] == "ann.park@acme.com"


@pytest.mark.parametrize("kind", sorted(_STRANGERS))
def test_a_stranger_arriving_later_changes_nothing_and_a_cold_poll_agrees(env: Env, kind: str) -> None:
    first = env.poll(t(12, 1, 16, 5))
    assert _threads(first) == {_CONVERSATION: ["thank_you"]} and env.draft_steps() == ["thank_you"]
    deliver(env.inbox, _stranger(kind), name="0000-stranger")
    later = env.poll(t(12, 1, 16, 30))
    assert later.plan == [] and env.draft_steps() == ["thank_you"]
    assert later.stats["rethreaded"] >= 2  # the invitation was threaded again beside the stranger
    mine = next(s for s in later.status if s["thread"] == _CONVERSATION)
    assert mine["next"]["kind"] == "thank_you" and [d["status"] for d in mine["drafts"]] == ["created"]
    with Store.open(env.config.state.path) as store:
        held = [m for m in store.get_messages() if m.message_id == f"<{_INVITATION}>"]
        assert len(held) == 2  # the state keeps both messages
        assert {m.id for m in held} <= store.linked_closure({f"m:<{_INVITATION}>"})
    env.config.state.path.unlink()
    cold = env.poll(t(12, 1, 16, 30), dry_run=True)
    assert _candidate_sets(cold) == _candidate_sets(later)
    assert _threads(cold) == _threads(later)


def test_candidates_cached_under_older_threading_rules_are_threaded_again(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A state written before the rules changed (there: the stranger had replaced the invitation,
    and the candidates cached without it) is not trusted: the next poll threads everything again,
    though no mail changed, and the conversation is back with its draft."""
    deliver(env.inbox, _stranger("newsletter"), name="0000-stranger")
    env.poll(t(12, 1, 9))
    with Store.open(env.config.state.path) as store:
        monkeypatch.setattr(candidates, "THREADING_RULES", candidates.THREADING_RULES - 1)
        store.caches.save_candidates(candidates.selection_key(env.config), [])
        monkeypatch.undo()
    r = env.poll(t(12, 1, 16, 5))
    assert r.stats["rethreaded"] == 2 and r.stats["added"] == 0
    assert _threads(r) == {_CONVERSATION: ["thank_you"]} and env.draft_steps() == ["thank_you"]


def test_a_state_in_memory_polls_like_one_on_disk(env: Env) -> None:
    """``Store.in_memory()``: the engine needs nothing of the state but its API (no file)."""
    mb = MaildirMailbox.from_config(env.config.maildir)  # type: ignore[arg-type]
    with Store.in_memory() as store:
        first = engine.poll(env.config, mb, store, t(12, 1, 16, 5))
        assert [(a.kind, a.step) for a in first.plan] == [("create", "thank_you")]
        again = engine.poll(env.config, mb, store, t(12, 1, 16, 10))
        assert again.plan == [] and again.stats["added"] == 0 and again.stats["bodies_fetched"] == 0
    assert env.draft_steps() == ["thank_you"] and not env.config.state.path.exists()
