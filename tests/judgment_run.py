"""Run the agent over the judgment corpus and say what it did with each conversation.

Every conversation of ``tests/corpus/judgment/`` goes into one Maildir (INBOX
and Sent, as a mail client would file them), the engine polls once at
:data:`DECIDE_AT`, and each corpus file gets its outcome: tracked, possible
(listed for review, no draft) or ignored, the company shown, and the drafts
written. Shared by ``tests/test_judgment.py`` (each label asserted) and
``bench/judgment.py`` (precision, recall, a table per category).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path

from agent import engine
from agent.backends.maildir import MaildirMailbox
from agent.config import Config, load_config
from agent.samples import deliver, make_maildir
from agent.store import Store
from tests.judgment_corpus import USER_ADDRESSES, CorpusConversation

DECIDE_AT = datetime.fromisoformat("2026-12-15T10:00:00-05:00")
TRACKED, POSSIBLE, IGNORED = "tracked", "possible", "ignored"


@dataclass(frozen=True)
class Outcome:
    conv: CorpusConversation
    verdict: str  # tracked | possible | ignored
    reasons: tuple[str, ...]  # one per agent conversation the file's messages ended in
    companies: tuple[str, ...]  # the company shown for each tracked or possible part
    drafts: tuple[str, ...]  # "step to address" of every draft created
    threads: tuple[str, ...]  # the agent's conversation ids
    mixed_with: tuple[str, ...] = ()  # other corpus files sharing an agent conversation
    #: for a tracked one: (state, next step or "none", due as local "YYYY-MM-DDTHH:MM" or None,
    #: the last interview's start the same way or None)
    standing: tuple[str, str, str | None, str | None] | None = None

    @property
    def right(self) -> bool:
        if self.conv.recruiting:
            return self.verdict == TRACKED
        return self.verdict != TRACKED and not self.drafts


def write_mailbox(convs: list[CorpusConversation], root: Path) -> Config:
    """The corpus as one Maildir, and the config of its user."""
    inbox, sent, drafts = (make_maildir(root / n) for n in ("INBOX", "Sent", "Drafts"))
    for c in convs:
        for i, m in enumerate(c.messages):
            deliver(sent if m.folder == "sent" else inbox, m.data, name=f"{c.slug}-{i}")
    cfg = root / "config.toml"
    addresses = ", ".join(f'"{a}"' for a in USER_ADDRESSES)
    cfg.write_text(
        f'[account]\nname = "Jordan Lee"\naddresses = [{addresses}]\ntimezone = "America/New_York"\n'
        '[mailbox]\nbackend = "maildir"\n'
        f'[maildir]\ninbox = "{inbox}"\nsent = "{sent}"\ndrafts = "{drafts}"\n'
        f'[schedule]\nholidays = "US"\n[state]\npath = "{root}/state.db"\n'
    )
    return load_config(cfg)


def evaluate(convs: list[CorpusConversation], root: Path, now: datetime = DECIDE_AT) -> list[Outcome]:
    """Poll the corpus once at ``now`` (drafts are written: a dry run would write none)."""
    config = write_mailbox(convs, root)
    mailbox = MaildirMailbox.from_config(config.maildir)  # type: ignore[arg-type]
    with Store.open(config.state.path) as store:
        result = engine.poll(config, mailbox, store, now)
    file_of = {m.message_id: c.file for c in convs for m in c.messages}
    verdicts: dict[str, str] = {}
    standing: dict[str, tuple[str, str, str | None, str | None]] = {}
    reasons: dict[str, str] = {}
    companies: dict[str, str | None] = {}
    for d in result.decisions:
        verdicts[d.conversation], reasons[d.conversation] = TRACKED, f"{d.tracked_because} [{d.state}: {d.reason}]"
        companies[d.conversation] = d.company
        standing[d.conversation] = (
            d.state, d.next.kind if d.next else "none", _local(d.next.due, config) if d.next else None,
            _local(d.interview.start, config) if d.interview else None)
    for conv, t in result.untracked:
        verdicts[conv.id] = POSSIBLE if t.possible else IGNORED
        reasons[conv.id] = t.reason
        companies[conv.id] = t.company
    drafts: dict[str, list[str]] = defaultdict(list)
    for a in result.plan:
        if a.kind == "create":
            drafts[a.conversation].append(f"{a.step} to {a.to}")
    parts: dict[str, set[str]] = defaultdict(set)  # corpus file -> agent conversations
    members: dict[str, set[str]] = defaultdict(set)  # agent conversation -> corpus files
    for cid, conv in result.conversations.items():
        for m in conv.messages:
            if m.message_id in file_of:
                parts[file_of[m.message_id]].add(cid)
                members[cid].add(file_of[m.message_id])
    return [replace(_outcome(c, sorted(parts[c.file]), verdicts, reasons, companies, drafts, members),
                    standing=next((standing[cid] for cid in sorted(parts[c.file]) if cid in standing), None))
            for c in convs]


def _local(at: datetime, config: Config) -> str:
    return at.astimezone(config.account.tz).strftime("%Y-%m-%dT%H:%M")


def _outcome(c: CorpusConversation, cids: list[str], verdicts: dict[str, str], reasons: dict[str, str],
             companies: dict[str, str | None], drafts: dict[str, list[str]],
             members: dict[str, set[str]]) -> Outcome:
    got = [verdicts.get(cid, IGNORED) for cid in cids]
    verdict = TRACKED if TRACKED in got else POSSIBLE if POSSIBLE in got else IGNORED
    return Outcome(
        conv=c, verdict=verdict,
        reasons=tuple(reasons.get(cid, "not a candidate (never read further than its headers)") for cid in cids)
        or ("not a candidate (never read further than its headers)",),
        companies=tuple(str(companies[cid]) for cid in cids if verdicts.get(cid) in (TRACKED, POSSIBLE)),
        drafts=tuple(d for cid in cids for d in drafts.get(cid, ())),
        threads=tuple(cids),
        mixed_with=tuple(sorted({f for cid in cids for f in members[cid]} - {c.file})),
    )
