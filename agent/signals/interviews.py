"""Every interview a conversation shows, from every kind of evidence, each counted once.

POLICY ("interview happened"): a round opens only once the agent knows an
interview was held. Invitations are read in agent.signals.events; this module
adds what people write instead, best-dated first:

1. **The user's own acceptance** ("Accepted: Interview …", METHOD:REPLY, in
   Sent) of an invitation that is not in the mailbox: its DTSTART is the
   interview's time.
2. **A time agreed in words** (agent.signals.scheduling): "Thursday at 2pm
   works", "tmrw 9:30?" … "Works.", "I booked Friday 11/20 at 1pm ET".
3. **Words after the fact** (agent.signals.held), from either side: "Thank you
   for taking the time to speak with me today", "Great chatting yesterday!",
   "following up on our call on Tuesday".

Never twice: an interview within an hour of one already known is that one; a
time in words never overrides an invitation (agreed before it came, or while
it was still ahead, the invitation is what the words became); words after the
fact count only when no interview already known falls on the day they imply
(an unaccepted proposal that day gives the time instead). Nothing said after
the conversation closed (a rejection, an offer, a withdrawal) opens a round:
a call about an offer is not an interview, a thank-you after a rejection
thanks for the interview before it, and a time agreed in words that was still
ahead when the rejection came did not take place.

**When an after-the-fact interview ended.** The words give a day, rarely an
hour; the end chosen is the latest the words allow that still leaves the
message itself after the interview:

* "today", "earlier", "this afternoon", "tonight", or no day at all: the
  message's own time. The user's thank-you is then the round's first message
  (it uses up the thank-you step) and the first follow-up falls due a week
  after it; a company's "thanks for speaking with us today" is their answer.
* "this morning": noon that day (or the message's time, if earlier).
* "yesterday", "on Tuesday", "last Thursday", a date: 17:00 that day in the
  user's zone (an evening: 21:00), the end of a working day, so that anything
  the user wrote that evening counts as written after it.
* "last week": 17:00 on that week's Friday.
* Words that only point back ("thanks again", "last month", "the other day")
  confirm an interview already known and never make one; with no day, words
  made more than 14 days after the last interview known are a new one.

Pure: no clock, no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, time, timedelta

from agent.config import Config
from agent.facts import Evidence, Interview, Scheduled
from agent.lazy_pattern import lazy
from agent.model import CalendarEvent, Conversation, Message, utc
from agent.signals import held, recruiting, scheduling, slots

SAME = scheduling.SAME
RECENT = timedelta(days=14)  # words with no day thank for an interview at most this old
_END_OF_DAY = time(17, 0)
_END_OF_EVENING = time(21, 0)
_NOON = time(12, 0)

# "Accepted: …" is how every calendar client titles the answer (Google, Outlook, Apple, and
# localised ones); the parser does not keep PARTSTAT, so the subject is the evidence.
_R_ACCEPTED = lazy(
    r"^\s*(?:accepted|akzeptiert|angenommen|accept[ée]e?|aceptad[oa]|geaccepteerd|accettato)\s*:", re.I)


def interview_facts(conv: Conversation, config: Config, calendar: Sequence[Scheduled],
                    closed_at: datetime | None = None) -> list[Interview]:
    """The interviews ``conv`` shows beyond its invitations (``calendar``: their facts, also
    the cancelled ones); ``closed_at`` is when a rejection, offer or withdrawal ended it."""
    invitations = list(calendar)
    replies = _accepted_replies(conv, config, invitations)
    known = [*invitations, *replies]
    schedule = scheduling.read(conv, config, until=closed_at)
    words = [_agreed(a) for a in schedule.agreed
             if not _invitation_covers(a, known) and (closed_at is None or a.start < closed_at)]
    after = _after_the_fact(conv, config, [*known, *words], schedule, closed_at)
    return [*replies, *words, *after]


# --- 1. the user's acceptance of an invitation the mailbox does not hold ---------------------------


def _accepted_replies(conv: Conversation, config: Config, invitations: Sequence[Scheduled]) -> list[Interview]:
    """The last acceptance of each invitation that is not in the conversation."""
    invited = {ev.uid for m in conv.messages for ev in m.calendar if ev.method != "REPLY" and ev.uid}
    latest: dict[str, tuple[Message, CalendarEvent]] = {}
    for m in conv.messages:
        if not (recruiting.is_user(m.from_, config) and _R_ACCEPTED.match(m.subject or "")):
            continue
        for i, ev in enumerate(m.calendar):
            if ev.method == "REPLY" and not config.identity.is_user(ev.organizer) and ev.uid not in invited:
                latest[ev.uid or f"{m.message_id}#{i}"] = (m, ev)
    out: list[Interview] = []
    for m, ev in latest.values():
        if any(abs(ev.start - f.start) < SAME for f in [*invitations, *out]):
            continue  # the invitation is here under another UID
        end = ev.end or ev.start + (timedelta(days=1) if ev.all_day else config.policy.interview_default_length)
        out.append(_fact(m, f"you accepted: {ev.summary}", ev.start, end, "accepted invitation", ev.summary,
                         ev.tzid, arranged=m.date))
    return out


# --- 2. times agreed in words --------------------------------------------------------------------


def _invitation_covers(a: scheduling.Agreed, invitations: Sequence[Scheduled]) -> bool:
    """An invitation within the hour is the same interview; one that came while the agreed time
    was still ahead is what the words became; one still ahead when the words agreed on another
    time stands (words never move an invitation; a cancelled one no longer stands)."""
    settled = a.message.date
    assert settled is not None
    for f in invitations:
        start, arranged = f.start, f.arranged or f.at
        if abs(a.start - start) < SAME:
            return True
        if arranged is None:
            continue
        if settled <= arranged < a.start:
            return True
        if isinstance(f, Interview) and arranged <= settled < start:
            return True
    return False


def _agreed(a: scheduling.Agreed) -> Interview:
    return _fact(a.message, a.quote, a.start, a.end, "stated", a.quote, a.tzid, arranged=a.message.date)


# --- 3. words after the fact ----------------------------------------------------------------------


def _after_the_fact(conv: Conversation, config: Config, known: list[Scheduled], schedule: scheduling.Schedule,
                    closed_at: datetime | None) -> list[Interview]:
    tz = config.account.tz
    held_known: list[Scheduled] = [f for f in known if isinstance(f, Interview)]
    out: list[Interview] = []
    for m in conv.messages:
        if m.date is None or (closed_at is not None and m.date > closed_at) or not scheduling.by_a_person(m, config):
            continue
        for h in held.find(slots.plain(m.text[: scheduling.TEXT_CAP]), m.date.astimezone(tz)):
            fact = _held_fact(h, m, config, [*held_known, *out], schedule)
            if fact is not None:
                out.append(fact)
    return out


def _held_fact(h: held.Held, m: Message, config: Config, known: list[Scheduled],
               schedule: scheduling.Schedule) -> Interview | None:
    """The interview ``h`` speaks of, unless one already known is it."""
    assert m.date is not None
    tz = config.account.tz
    before = [f for f in known if f.start <= m.date]
    if h.vague:
        return None  # words that only point back never make an interview
    if not h.days:
        if any(m.date - RECENT <= f.end <= m.date for f in before):
            return None
        start, end = m.date - config.policy.interview_default_length, m.date
    else:
        if any(f.start.astimezone(tz).date() in h.days for f in before):
            return None
        if _ahead_that_weekday(h, m, known, config):
            return None
        start, end = _proposed_that_day(h, m, schedule, config) or _implied(h, m.date, config)
    return _fact(m, h.quote, start, end, "after the fact", h.quote, None, arranged=None)


def _ahead_that_weekday(h: held.Held, m: Message, known: list[Scheduled], config: Config) -> bool:
    """"Thanks for making time to chat on Thursday", written before Thursday's interview."""
    assert m.date is not None
    if h.weekday is None:
        return False
    tz = config.account.tz
    return any(m.date < f.start < m.date + timedelta(days=7)
               and f.start.astimezone(tz).weekday() == h.weekday for f in known)


def _proposed_that_day(h: held.Held, m: Message, schedule: scheduling.Schedule,
                       config: Config) -> tuple[datetime, datetime] | None:
    """A time put on the table for that day and never confirmed in writing is the best hour we have."""
    assert m.date is not None
    tz = config.account.tz
    days = h.days[:1]
    for p in reversed(schedule.proposed):
        if p.start.astimezone(tz).date() in days and p.start < m.date:
            end = p.end or p.start + config.policy.interview_default_length
            return p.start, min(end, m.date)
    return None


def _implied(h: held.Held, sent: datetime, config: Config) -> tuple[datetime, datetime]:
    """The end the words allow (see the module's docstring), and a start an interview's length before."""
    tz = config.account.tz
    local = sent.astimezone(tz)
    day = h.days[0]
    if day == local.date():
        end = min(local, datetime.combine(day, _NOON, tz)) if h.part == "morning" else local
    else:
        end = datetime.combine(day, _END_OF_EVENING if h.part == "evening" else _END_OF_DAY, tz)
    end_utc = utc(min(end, local))
    return end_utc - config.policy.interview_default_length, end_utc


# --- the fact ---------------------------------------------------------------------------------------


def _fact(m: Message, quote: str, start: datetime, end: datetime, source: str, summary: str,
          tzid: str | None, *, arranged: datetime | None) -> Interview:
    return Interview(utc(end), Evidence(m.message_id, _clip(quote), m.date), start=utc(start), end=utc(end),
                     source=source, summary=_clip(summary, 80), tzid=tzid, arranged=arranged)


def _clip(s: str, n: int = 160) -> str:
    s = " ".join(s.split())
    return s if len(s) <= n else s[: n - 1] + "…"
