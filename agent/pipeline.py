"""The job search as a table: one row per recruiting conversation, from the state alone. Pure.

Two halves. :func:`record_of` runs in the poll: it keeps, for each tracked
conversation, the dated events a tracker needs (who wrote when, which message
was automatic, the interviews, the offers, rejections and withdrawals, the
policy's state and next step) as a plain JSON document, which the poll stores
(``Store.save_pipeline``). Never a body: subjects, names, dates and kinds only.
:func:`rows` turns those documents into :class:`Row` values at a ``now`` the
caller passes, so ``pipeline`` and ``report`` read the state and never the
mailbox, on every backend alike. The stage is worked out here, not at the
poll, so that an interview whose time has come counts as held when the
command runs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from agent.config import Config
from agent.facts import Ack, AutoReply, Bounce, Closing, Interview, Offer, Rejection, Withdrawn
from agent.lazy_pattern import lazy
from agent.model import Conversation, Message
from agent.policy import CLOSED, MOVED_ON, Decision

__all__ = ["STAGES", "Row", "record_of", "role_of", "rows"]

#: Every stage a row can be at, in the order of a search.
STAGES = ("contacted", "applied", "screening", "interviewing", "offer", "rejected", "withdrew", "moved on",
          "closed")

_OUTCOME_KIND = {Offer: "offer", Rejection: "rejection", Withdrawn: "withdrawn"}
_OUTCOME_STAGE = {"offer": "offer", "rejection": "rejected", "withdrawn": "withdrew"}


def record_of(conv: Conversation, dec: Decision, config: Config) -> dict[str, Any]:
    """What the state keeps of one tracked conversation for ``pipeline`` and ``report``."""
    automatic = {f.evidence.message_id for f in dec.facts if isinstance(f, AutoReply | Ack | Bounce)}
    messages = [{"at": m.date.isoformat(), "from": "user" if config.identity.is_user(m.from_) else "company",
                 "auto": m.message_id in automatic or _automatic(m)}
                for m in conv.messages if m.date is not None]
    interviews = [{"start": f.start.isoformat(), "end": f.end.isoformat(), "summary": f.summary}
                  for f in dec.facts if isinstance(f, Interview)]
    outcomes = [{"kind": _OUTCOME_KIND[type(f)], "at": f.at.isoformat()}
                for f in dec.facts if isinstance(f, Closing) and f.at is not None and type(f) in _OUTCOME_KIND]
    nxt = dec.next
    return {
        "conversation": conv.id,
        "subject": dec.subject,
        "company": dec.company or "",
        "role": role_of(dec.subject, [i["summary"] for i in interviews]),
        "state": dec.state,
        "messages": sorted(messages, key=lambda m: m["at"]),
        "interviews": sorted(interviews, key=lambda i: i["start"]),
        "outcomes": sorted(outcomes, key=lambda o: o["at"]),
        "next": None if nxt is None else {"kind": nxt.kind, "due": nxt.due.isoformat(), "round": nxt.round},
    }


def _automatic(m: Message) -> bool:
    """Sent by a machine by its headers (RFC 3834 Auto-Submitted, X-Autoreply, a delivery report),
    even where no fact was read from it: no person answered."""
    a = m.auto
    return a.is_report or a.x_autoreply or (a.auto_submitted not in (None, "no")) or a.precedence == "auto_reply"


# --- the role -------------------------------------------------------------------------------

#: Words a job title holds; a phrase without one is not taken for a role. Why hand-written: no
#: library names job titles offline, and a subject's title is nearly always one of these.
_TITLE_WORDS = lazy(
    r"\b(engineer|developer|programmer|manager|designer|analyst|scientist|architect|lead|director|"
    r"intern|consultant|specialist|administrator|researcher|writer|officer|head|associate|sre|devops|"
    r"recruiter|product|marketing|sales|accountant|coordinator|technician|editor|counsel)\b", re.I)
_PREFIX = lazy(r"^\s*((re|fwd?|aw|wg|tr|rv)\s*:\s*)+", re.I)
_ROLE_PATTERNS = (
    # "Application for Senior Backend Engineer (Remote) at Acme", "Applying to the Data Analyst role"
    lazy(r"\b(?:application|applying|applied|candidacy|interest)\s+(?:for|to|in)\s+(?:the\s+|a\s+|an\s+)?"
               r"(?P<role>.+?)(?:\s+(?:role|position|opening|job))?(?:\s+(?:at|@|with)\s+.*)?$", re.I),
    # "Interview: Staff Engineer - Acme", "Phone screen – Product Designer"
    lazy(r"^(?:.*\b(?:interview|screen|chat|call)\b[^:–—|-]*)[:–—|-]\s*(?P<role>[^:–—|]+?)"
               r"(?:\s+(?:at|@|with)\s+.*|\s*[–—|-]\s*.*)?$", re.I),
    # "Senior Engineer at Acme", "Senior Engineer role", "Product Designer – Acme"
    lazy(r"^(?P<role>[^:–—|]+?)(?:\s+(?:role|position|opening))?(?:\s+(?:at|@|with)\s+.*|\s*[–—|]\s*.*)?$",
               re.I),
)


def role_of(subject: str, summaries: Sequence[str] = ()) -> str:
    """The job title the subject (or an invitation's title) names, or "" when none does."""
    for text in (subject, *summaries):
        text = _PREFIX.sub("", text).strip()
        for pat in _ROLE_PATTERNS:
            m = pat.search(text)
            if m and _TITLE_WORDS.search(role := m.group("role").strip(" .,;()")) and len(role) <= 80:
                return role
    return ""


# --- rows -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One conversation of the search at ``now`` (times aware, in the user's zone)."""

    conversation: str
    company: str
    role: str
    subject: str
    stage: str
    round: int | None  # the interview round when interviewing (1 = the first interview)
    first_contact: datetime | None
    last_company: datetime | None  # the company's last message (automatic ones included)
    last_user: datetime | None
    first_reply: datetime | None  # the first message of a person at the company after the user's first
    days_to_first_reply: float | None
    interviews: tuple[datetime, ...]  # the interviews held by ``now`` (their start)
    scheduled: tuple[datetime, ...]  # interviews still to come
    outcome_at: datetime | None  # when the offer, rejection or withdrawal came
    rejected_after_round: int | None  # interviews held before the rejection (0: on the application)
    next_step: str | None
    next_due: datetime | None
    user_started: bool  # the user wrote first (an application), not the company
    sent: tuple[datetime, ...]  # the user's messages
    received: tuple[datetime, ...]  # the company's messages

    @property
    def last_activity(self) -> datetime | None:
        """The latest message either way."""
        dates = [d for d in (self.last_company, self.last_user) if d is not None]
        return max(dates) if dates else None


def rows(records: Iterable[Mapping[str, Any]], now: datetime, config: Config,
         since: date | None = None) -> list[Row]:
    """Every stored conversation at ``now``, latest activity first; ``since``: only those with a
    message on or after that day (in the user's zone)."""
    out = [_row(r, now, config) for r in records]
    if since is not None:
        out = [r for r in out if r.last_activity is not None and r.last_activity.date() >= since]
    return sorted(out, key=lambda r: (r.last_activity is None, -(r.last_activity or now).timestamp(),
                                      r.conversation))


def _row(rec: Mapping[str, Any], now: datetime, config: Config) -> Row:
    tz = config.account.tz

    def at(value: str) -> datetime:
        return datetime.fromisoformat(value).astimezone(tz)

    msgs = [(at(m["at"]), m["from"], bool(m["auto"])) for m in rec["messages"]]
    sent = tuple(d for d, who, _ in msgs if who == "user")
    received = tuple(d for d, who, _ in msgs if who == "company")
    starts = sorted(at(i["start"]) for i in rec["interviews"])
    held = tuple(s for s, i in zip(starts, sorted(rec["interviews"], key=lambda i: i["start"]), strict=True)
                 if at(i["end"]) <= now)
    first_reply = next((d for d, who, auto in msgs if who == "company" and not auto and sent and d > sent[0]),
                       None)
    outcome = _standing_outcome(rec["outcomes"], starts, now, at)
    stage, rnd = _stage(rec["state"], outcome, starts, held, first_reply, received, sent, now)
    nxt = rec.get("next") if stage not in _ENDED else None
    return Row(
        conversation=rec["conversation"], company=rec["company"], role=rec["role"], subject=rec["subject"],
        stage=stage, round=rnd, first_contact=msgs[0][0] if msgs else None,
        last_company=max(received, default=None), last_user=max(sent, default=None), first_reply=first_reply,
        days_to_first_reply=_days_between(sent[0], first_reply) if first_reply else None,
        interviews=held, scheduled=tuple(s for s in starts if s > now),
        outcome_at=outcome[1] if outcome else None,
        rejected_after_round=_rejected_after(outcome, held),
        next_step=nxt["kind"] if nxt else None, next_due=at(nxt["due"]) if nxt else None,
        user_started=bool(msgs) and msgs[0][1] == "user", sent=sent, received=received,
    )


def _days_between(a: datetime, b: datetime) -> float:
    return round((b - a).total_seconds() / 86400, 1)


def _rejected_after(outcome: tuple[str, datetime] | None, held: Sequence[datetime]) -> int | None:
    """How many interviews were held before a rejection (0: it answered the application)."""
    if outcome is None or outcome[0] != "rejection":
        return None
    return sum(1 for h in held if h < outcome[1])


_ENDED = frozenset({"offer", "rejected", "withdrew", "moved on", "closed"})


def _standing_outcome(outcomes: Sequence[Mapping[str, str]], starts: Sequence[datetime], now: datetime,
                      at: Any) -> tuple[str, datetime] | None:
    """The latest offer, rejection or withdrawal by ``now``, unless an interview came after it
    (the process went on: the policy reads it the same way)."""
    past = [(o["kind"], at(o["at"])) for o in outcomes if at(o["at"]) <= now]
    if not past:
        return None
    kind, when = past[-1]
    return None if any(when < s <= now for s in starts) else (kind, when)


def _stage(state: str, outcome: tuple[str, datetime] | None, starts: Sequence[datetime],
           held: Sequence[datetime], first_reply: datetime | None, received: Sequence[datetime],
           sent: Sequence[datetime], now: datetime) -> tuple[str, int | None]:
    """Where the conversation stands, and the interview round when interviewing."""
    if outcome is not None:
        return _OUTCOME_STAGE[outcome[0]], None
    if state == MOVED_ON:
        return "moved on", None
    if state == CLOSED:
        return "closed", None
    if starts:  # the round under way: every interview held, and the next one once arranged
        return "interviewing", len(held) + (1 if any(s > now for s in starts) else 0) or None
    if first_reply is not None:
        return "screening", None
    if sent and (not received or sent[0] < received[0]):
        return "applied", None
    return "contacted", None
