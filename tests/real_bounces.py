"""Real bounces from other projects' test suites, read as the agent reads them on arrival.

Shared by tests/test_real_bounces.py (which asserts every file) and
bench/real_bounces.py (which prints the figures). The corpus is
tests/corpus/bounces/: the files byte for byte as their projects ship them,
``expectations.json`` saying per file what must be read (final or delayed,
the failed or delayed recipients, the returned message's Message-ID when the
report carries it), ``SOURCES.md`` where each comes from.

Each report is placed in a conversation written by this harness: a recruiter
(the report's first recipient) invites the user to an interview, held two
days before the report; the user thanks them after it (writing to every
recipient of the report, with the Message-ID the report returns when it
returns one; otherwise a Message-ID of our own, so the report can only be
joined by its recipient and recency); then the real report arrives,
unchanged. A follow-up is owed thirty days later, when the policy is asked. The poll is followed as the engine runs it: header-only mail first
(is the report's conversation even a candidate?), then the candidates' bodies,
threading again with what the bodies say, then the company's other threads
joined (agent/syncing.py), then tracking, facts and the policy at a moment a
follow-up would be due.

Read right means:

* final report: it is joined to the conversation, it is no human or
  automatic reply, every failed recipient is unusable, and no draft is
  addressed to any of them;
* delayed report: joined, no human or automatic reply, noted as a delay for
  its recipients, and no address made unusable by it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from agent.businesstime import BusinessCalendar
from agent.candidates import is_candidate, related_threads, thread_messages
from agent.config import Config
from agent.facts import AutoReply, Bounce, Fact, HumanReply
from agent.mail.parse import parse_message
from agent.model import Conversation, Message, RawMessage
from agent.policy import Decision, decide
from agent.samples import ics, message
from agent.signals.events import extract_facts
from agent.signals.tracking import classify
from tests.helpers import ME, NY, make_config

CORPUS = Path(__file__).parent / "corpus" / "bounces"
#: a report without a readable Date is placed at this moment
FALLBACK_DATE = datetime(2020, 3, 2, 15, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Expected:
    """What must be read from one file (see ``expectations.json``)."""

    file: str
    mta: str
    kind: str  # "final" | "delayed"
    recipients: tuple[str, ...]
    original_message_id: str | None


@dataclass(frozen=True)
class Reading:
    """What the agent made of one report, placed after the user's message."""

    expected: Expected
    candidate: bool  # the report's conversation was fetched with its body
    joined: bool  # the report ended up in the user's conversation
    answered: bool  # read as a human or automatic reply
    failed: tuple[str, ...]  # addresses the Bounce facts name as failed
    delayed: tuple[str, ...]  # addresses the Bounce facts name as delayed
    unusable: tuple[str, ...]
    draft_to: str | None
    no_recipient: str | None

    @property
    def why_wrong(self) -> str | None:
        """None when read right, else the first thing read wrong."""
        e = self.expected
        if not self.candidate:
            return "never fetched: its headers did not look like a bounce"
        if not self.joined:
            return "not joined to the conversation it reports on"
        if self.answered:
            return "read as somebody's reply"
        if e.kind == "delayed":
            if set(self.unusable) & set(e.recipients):
                return f"a delay made {', '.join(self.unusable)} unusable"
            missing = sorted(set(e.recipients) - set(self.delayed))
            return f"delay not noted for {', '.join(missing)}" if missing else None
        missing = sorted(set(e.recipients) - set(self.unusable))
        if missing:
            return f"not marked unusable: {', '.join(missing)} (read: {', '.join(self.failed) or 'none'})"
        if self.draft_to in e.recipients:
            return f"a follow-up drafted to the dead address {self.draft_to}"
        return None


@dataclass(frozen=True)
class Measured:
    """The figures over the whole corpus, and every miss with its reason."""

    total: int
    right: int
    misses: tuple[tuple[str, str], ...]  # (file, why)

    @property
    def share(self) -> float:
        return self.right / self.total if self.total else 1.0


def expectations() -> list[Expected]:
    rows = json.loads((CORPUS / "expectations.json").read_text())
    return [Expected(r["file"], r["mta"], r["kind"], tuple(r["recipients"]), r["original_message_id"])
            for r in rows]


def measure() -> Measured:
    """Every report of the corpus read on arrival (module docstring)."""
    config = make_config()
    misses = []
    expected = expectations()
    for e in expected:
        why = read_on_arrival(e, config).why_wrong
        if why is not None:
            misses.append((e.file, why))
    return Measured(len(expected), len(expected) - len(misses), tuple(misses))


def read_on_arrival(e: Expected, config: Config) -> Reading:
    """One report placed after the user's message, read as a poll reads it."""
    report = (CORPUS / e.file).read_bytes()
    parsed = parse_message(RawMessage("report", "inbox", report))
    sent = parsed.date or FALLBACK_DATE
    raws = [*_conversation(e, sent), RawMessage("report", "inbox", report)]
    conv, candidate = _poll(raws, config)
    now = sent + timedelta(days=30)
    tracking = classify(conv, config)
    facts = extract_facts(conv, config)
    decision = decide(conv, tracking, facts, now, config, BusinessCalendar.from_config(config))
    return _reading(e, conv, candidate, [f for f in facts if f.evidence.message_id == parsed.message_id], decision)


def _reading(e: Expected, conv: Conversation, candidate: bool, from_report: list[Fact], decision: Decision
             ) -> Reading:
    bounces = [f for f in from_report if isinstance(f, Bounce)]
    return Reading(
        expected=e,
        candidate=candidate,
        joined=any(m.id == "report" for m in conv.messages),
        answered=any(isinstance(f, HumanReply | AutoReply) for f in from_report),
        failed=tuple(sorted({a for b in bounces for a in b.addresses})),
        delayed=tuple(sorted({a for b in bounces for a in getattr(b, "delayed", ())})),
        unusable=decision.unusable,
        draft_to=decision.next.to if decision.next else None,
        no_recipient=decision.no_recipient,
    )


def _poll(raws: list[RawMessage], config: Config) -> tuple[Conversation, bool]:
    """The user's conversation after the load stages, and whether the report's body was fetched."""
    heads = [parse_message(RawMessage(r.id, r.folder, _header_block(r.data), headers_only=True)) for r in raws]
    full = {r.id: parse_message(r) for r in raws}
    messages: dict[str, Message] = {m.id: m for m in heads}
    candidates = [c for c in thread_messages(list(messages.values()), config) if is_candidate(c, config)]
    for _round in range(3):  # as agent/syncing.py with_bodies: bodies, then threading again
        missing = [m.id for c in candidates for m in c.messages if not m.has_body]
        if not missing:
            break
        messages.update((i, full[i]) for i in missing)
        candidates = [c for c in thread_messages(list(messages.values()), config) if is_candidate(c, config)]
    fetched = messages["report"].has_body
    joined = related_threads(candidates, config)
    mine = next((c for c in joined if any(m.id == "user" for m in c.messages)), None)
    if mine is None:  # the user's conversation was no candidate: only the user's words in it
        mine = Conversation("c-user", tuple(full[i] for i in ("recruiter", "user")))
    return mine, fetched


def _header_block(data: bytes) -> bytes:
    """What a backend hands over for a header-only fetch: everything up to the first blank line."""
    for sep in (b"\r\n\r\n", b"\n\n"):
        at = data.find(sep)
        if at >= 0:
            return data[: at + len(sep)]
    return data


def _conversation(e: Expected, sent: datetime) -> list[RawMessage]:
    """The recruiter's invitation to an interview two days before the report, and the user's
    thank-you after it, which the report returns: a follow-up is owed later, to the recruiter."""
    recruiter = e.recipients[0]
    tag = e.file.replace("/", ".")
    rid = f"recruiter.{tag}@harness.invalid"
    uid = (e.original_message_id or f"<user.{tag}@harness.invalid>").strip("<>")
    day = (sent - timedelta(days=2)).astimezone(NY)
    start = day.replace(hour=10, minute=0, second=0, microsecond=0)
    invitation = ics("Interview: Jordan Lee / Senior Platform Engineer", start, start + timedelta(hours=1),
                     organizer=recruiter, attendee=ME)
    first = message(f"Kiji Tora <{recruiter}>", ME, "Interview: Senior Platform Engineer role",
                    "Hi Jordan,\n\nThanks for applying to the Senior Platform Engineer role. The invitation "
                    "for your interview is attached.\n\nBest,\nKiji Tora\nTalent Acquisition\n",
                    start - timedelta(days=2), rid, calendar=invitation)
    answer = message(f"Jordan Lee <{ME}>", ", ".join(e.recipients), "Re: Interview: Senior Platform Engineer role",
                     "Hi Kiji,\n\nThank you for the interview, I enjoyed meeting the team.\n\nBest,\nJordan\n",
                     sent - timedelta(hours=1), uid, in_reply_to=rid, references=(f"<{rid}>",))
    return [RawMessage("recruiter", "inbox", first), RawMessage("user", "sent", answer)]
