"""What the signals read in a conversation: one frozen type per kind of event.

Kept apart from agent/model.py (the messages and conversations): a poll that
reads nothing new never needs these types, and creating some twenty frozen
dataclasses is a noticeable part of a fresh process's start-up (issue 15).
Every type here is frozen, holds only plain values and aware datetimes, and
round-trips through JSON (agent/facts_cache.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import ClassVar


@dataclass(frozen=True)
class Evidence:
    """Where a fact came from, for ``explain``: which message, what it said."""

    message_id: str
    quote: str  # a short excerpt (never a whole body)
    date: datetime | None = None


@dataclass(frozen=True)
class Deadline:
    """A decision timeline stated by the company, as the last day it allows."""

    last_day: date
    phrase: str  # the words it came from
    tz: str | None = None  # the zone the words were in, when stated


# --- facts -------------------------------------------------------------------------
#
# One frozen type per kind of event, so that the policy reads ``interview.end`` rather than
# ``data["end"]`` and matches facts with ``isinstance``/``match``: a misspelt key or kind is
# then a type error, not a fact silently ignored. ``kind`` is the name people and the state
# see (``explain``'s list of events, the facts cache's JSON), never something to branch on.


@dataclass(frozen=True)
class Fact:
    """What every fact has: when it happened (``at``: a message's date, an interview's end;
    None when the message had no date) and where it was read."""

    kind: ClassVar[str]
    at: datetime | None
    evidence: Evidence


@dataclass(frozen=True, kw_only=True)
class Scheduled(Fact):
    """An interview's time, from an invitation, an acceptance, words, or the user's mark.

    ``source`` says which ("calendar", "accepted invitation", "stated", "after
    the fact", "mark"); ``arranged`` is when it was first arranged, when known
    (an invitation's first message, the message that agreed the time).
    """

    start: datetime
    end: datetime
    source: str
    summary: str = ""
    tzid: str | None = None  # the zone the invitation was written in
    arranged: datetime | None = None


@dataclass(frozen=True, kw_only=True)
class Interview(Scheduled):
    """An interview that stands (held once ``end`` has passed)."""

    kind: ClassVar[str] = "interview"


@dataclass(frozen=True, kw_only=True)
class InterviewCancelled(Scheduled):
    """An invitation that was called off: it opens no round, but its time is still known."""

    kind: ClassVar[str] = "interview_cancelled"


@dataclass(frozen=True, kw_only=True)
class DeadlineStated(Fact):
    """The company stated when it expects to decide (or the user marked it)."""

    kind: ClassVar[str] = "deadline"
    deadline: Deadline


@dataclass(frozen=True, kw_only=True)
class HumanReply(Fact):
    """A person at the company wrote (``sender``: their address)."""

    kind: ClassVar[str] = "human_reply"
    sender: str


@dataclass(frozen=True, kw_only=True)
class AutoReply(Fact):
    """An automatic answer (out of office, a system's notice); ``return_date`` when it names one."""

    kind: ClassVar[str] = "auto_reply"
    return_date: date | None
    sender: str


@dataclass(frozen=True, kw_only=True)
class Bounce(Fact):
    """A delivery failure: these addresses cannot be written to."""

    kind: ClassVar[str] = "bounce"
    addresses: tuple[str, ...]  # failed for good: never written to again
    delayed: tuple[str, ...] = ()  # not delivered yet, the server retries: only noted


@dataclass(frozen=True, kw_only=True)
class Said(Fact):
    """An outcome or instruction read from someone's own words; ``rule`` says which reading
    matched (agent.signals.instructions), for ``explain``."""

    rule: str


@dataclass(frozen=True, kw_only=True)
class Closing(Said):
    """What ends the conversation (an offer, a rejection, the user's withdrawal), unless an
    interview comes after it."""


@dataclass(frozen=True, kw_only=True)
class Rejection(Closing):
    kind: ClassVar[str] = "rejection"


@dataclass(frozen=True, kw_only=True)
class Offer(Closing):
    kind: ClassVar[str] = "offer"


@dataclass(frozen=True, kw_only=True)
class Withdrawn(Closing):
    """The user withdrew their candidacy (in their words, or the company confirming it)."""

    kind: ClassVar[str] = "withdrawn"


@dataclass(frozen=True, kw_only=True)
class NoFollowUp(Said):
    """The company asked not to be followed up with (or said the mailbox is unread)."""

    kind: ClassVar[str] = "no_follow_up"


@dataclass(frozen=True)
class References(Fact):
    """The company asked for the user's references."""

    kind: ClassVar[str] = "references"


@dataclass(frozen=True, kw_only=True)
class UserWrote(Fact):
    """A message of the user's (``to``: everyone it went to, To and Cc)."""

    kind: ClassVar[str] = "user_wrote"
    to: tuple[str, ...]


@dataclass(frozen=True)
class Ack(Fact):
    """An automatic acknowledgement of an application: no person's answer."""

    kind: ClassVar[str] = "acknowledgement"


#: Every kind of fact there is (what the facts cache can store and read back).
FACT_TYPES: tuple[type[Fact], ...] = (
    Interview, InterviewCancelled, DeadlineStated, HumanReply, AutoReply, Bounce,
    Rejection, Offer, Withdrawn, NoFollowUp, References, UserWrote, Ack,
)
