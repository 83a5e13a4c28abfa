"""Real automatic replies from other projects' test suites, read as the agent reads them.

Each message of ``tests/corpus/autoreplies/`` (sources in its SOURCES.md) is
placed in a conversation after the user's message: an interview the day
before, the user's thank-you an hour before the real message, then the real
message as it came, untouched. The conversation is built here directly (the
harness adds no threading headers: the scenario needs none, since the facts
are read from a conversation already formed). A message is *read right* when

* an automatic reply gives an ``AutoReply`` fact and no ``HumanReply``, its
  return date is the one the expectations state (or none), and the policy
  still owes the follow-up, moved past the return date when there is one;
* a human reply gives a ``HumanReply`` and no ``AutoReply``, and the policy
  owes nothing (the company answered).

``measure()`` is what both tests/test_real_autoreplies.py and
bench/real_autoreplies.py use.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from agent.businesstime import BusinessCalendar
from agent.facts import AutoReply, Bounce, Evidence, Fact, HumanReply, Interview
from agent.mail.parse import parse_message
from agent.model import Address, Conversation, Message, RawMessage
from agent.policy import decide
from agent.rounds import FOLLOW_UP_1
from agent.signals.events import extract_facts
from agent.signals.tracking import Tracking
from tests.helpers import ME, make_config

CORPUS = Path(__file__).resolve().parent / "corpus" / "autoreplies"
CONFIG = make_config()
CAL = BusinessCalendar.from_config(CONFIG)
TZ = ZoneInfo("America/New_York")


@dataclass(frozen=True)
class Expected:
    name: str
    verdict: str  # "auto" | "human"
    kind: str
    return_date: date | None
    left: str = ""  # why a known miss is left (expectations' ``left``), "" when it must be read right


@dataclass(frozen=True)
class Reading:
    """What the agent made of one real message, and why it is wrong (``miss`` empty when right)."""

    name: str
    auto: bool
    human: bool
    bounce: bool
    return_date: date | None
    owed: bool
    miss: str


@dataclass(frozen=True)
class Measured:
    total: int
    right: int
    misses: tuple[tuple[str, str], ...]  # (file, why)
    automatic: int = 0  # of ``total``, the automatic replies (the rest are people's replies)
    automatic_right: int = 0

    @property
    def share(self) -> float:
        return self.right / self.total if self.total else 0.0


def expectations() -> list[Expected]:
    data = tomllib.loads((CORPUS / "expectations.toml").read_text(encoding="utf-8"))
    return [Expected(name, e["verdict"], e["kind"], e.get("return"), e.get("left", ""))
            for name, e in sorted(data.items())]


def read(exp: Expected) -> Reading:
    """The real message after the user's, its facts and the decision that follows."""
    real = parse_message(RawMessage(exp.name, "INBOX", (CORPUS / exp.name).read_bytes()))
    at = real.date or datetime(2026, 12, 1, 15, tzinfo=TZ)
    sender = real.from_.email if real.from_ else "someone@example.com"
    mine = Message(id="user", folder="SENT", message_id="<user-thanks@example.com>", subject="Thank you",
                   from_=Address(ME), to=(Address(sender),), date=at - timedelta(hours=1),
                   text="Thank you for the interview yesterday. I look forward to hearing from you.")
    conv = Conversation("real-" + exp.name, (mine, real))
    facts: list[Fact] = [*_interview(at - timedelta(days=1)), *extract_facts(conv, CONFIG)]
    facts.sort(key=lambda f: f.at or at)
    mine_facts = [f for f in facts if f.evidence.message_id == real.message_id]
    autos = [f for f in mine_facts if isinstance(f, AutoReply)]
    humans = [f for f in mine_facts if isinstance(f, HumanReply)]
    returned = autos[0].return_date if autos else None
    d = decide(conv, Tracking(True, "real corpus", "Example"), facts, at + timedelta(hours=1), CONFIG, CAL)
    owed = d.next is not None and d.next.kind == FOLLOW_UP_1
    bounced = any(isinstance(f, Bounce) for f in mine_facts)
    r = Reading(exp.name, bool(autos), bool(humans), bounced, returned, owed, "")
    due = d.next.due if owed and d.next else None
    return Reading(r.name, r.auto, r.human, r.bounce, r.return_date, r.owed, _why_wrong(exp, r, due))


def _interview(end: datetime) -> list[Fact]:
    start = end - timedelta(hours=1)
    return [Interview(end, Evidence("<interview@example.com>", "interview", end), start=start, end=end,
                      source="calendar", summary="Interview")]


def _why_wrong(exp: Expected, r: Reading, due: datetime | None) -> str:
    if exp.verdict == "human":
        if r.auto or not r.human:
            return "a human reply taken for an automatic one"
        return "" if not r.owed else "answered, yet a follow-up is owed"
    if r.human or r.bounce or not r.auto:
        return ("taken for the company's answer" if r.human else "taken for a bounce" if r.bounce
                else "not seen at all")
    if r.return_date != exp.return_date:
        return f"return date {r.return_date} instead of {exp.return_date}"
    if not r.owed or due is None:
        return "the follow-up is no longer owed"
    if exp.return_date and due.astimezone(TZ).date() <= exp.return_date:
        return f"the follow-up ({due:%Y-%m-%d}) is not moved past the return ({exp.return_date})"
    return ""


def measure() -> Measured:
    exps = expectations()
    readings = [read(e) for e in exps]
    misses = tuple((r.name, r.miss) for r in readings if r.miss)
    auto = [r for e, r in zip(exps, readings, strict=True) if e.verdict == "auto"]
    return Measured(len(readings), len(readings) - len(misses), misses,
                    len(auto), sum(1 for r in auto if not r.miss))
