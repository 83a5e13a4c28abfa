"""The events of a recruiting conversation, each with its evidence.

``extract_facts`` reads a conversation (quoted text already stripped by the
parser) and returns what happened in it: interviews (invitations here; what
people wrote about them in :mod:`agent.signals.interviews`), stated decision
timelines, human and automatic replies, bounces, rejections, offers, "please
do not follow up", reference requests, the user's own messages and the user's
withdrawal, each as its own type of fact (agent.model: :class:`Interview`,
:class:`DeadlineStated`, :class:`HumanReply`, …). Outcomes and instructions are read by structure in
:mod:`agent.signals.instructions`: from the company's own new text for the
company's words, from the user's own new text for a withdrawal, never from
quoted text. It does not look at the clock: whether an interview is in the
past is the policy's question, asked with ``now``.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from agent.config import Config
from agent.facts import (
    Ack,
    AutoReply,
    Bounce,
    Closing,
    DeadlineStated,
    Evidence,
    Fact,
    HumanReply,
    Interview,
    InterviewCancelled,
    NoFollowUp,
    References,
    Scheduled,
    UserWrote,
)
from agent.lazy_pattern import lazy
from agent.model import CalendarEvent, Conversation, Message
from agent.signals import (
    autoreply,
    bounces,
    instructions,
    instructions_lang,
    interviews,
    recruiting,
    timeline,
    timeline_lang,
)

REFERENCES_RE = lazy(
    r"\b(send|provide|share|forward)( us| me)? (your |two |three |2 |3 |a few |some |a list of )?"
    r"(professional )?references\b|\breference (check|contacts?)\b|\bcontact (your|the) references\b",
    re.I,
)

def extract_facts(conv: Conversation, config: Config) -> list[Fact]:
    """Every event in ``conv``, in date order.

    Interviews come from invitations here, and from what people wrote (an
    accepted invitation, a time agreed in words, words after the fact) in
    :mod:`agent.signals.interviews`, which never counts one twice.
    """
    tz = config.account.tz
    calendar = _calendar_facts(conv, config)
    facts: list[Fact] = list(calendar)
    written_to = frozenset(a.email for m in conv.messages if recruiting.is_user(m.from_, config) for a in (*m.to, *m.cc))
    for m in conv.messages:
        facts.extend(_message_facts(m, config, tz, written_to))
    facts.extend(interviews.interview_facts(conv, config, calendar, _closed_at(facts)))
    facts = _without_superseded_instructions(facts)
    # facts of one moment in the order of their names: a stable order the policy's "the last
    # one" readings (the governing timeline, the closing fact) have always relied on
    facts.sort(key=lambda f: (f.at or datetime.min.replace(tzinfo=tz), f.kind))
    return facts


def _closed_at(facts: list[Fact]) -> datetime | None:
    """When the last rejection, offer or withdrawal closed the conversation, unless an invitation
    arranged after it reopened it: nothing written after that opens a round."""
    ends = [f.at for f in facts if isinstance(f, Closing) and f.at is not None]
    if not ends:
        return None
    last = max(ends)
    reopened = any(isinstance(f, Interview) and (f.arranged or last) > last for f in facts)
    return None if reopened else last


def _without_superseded_instructions(facts: list[Fact]) -> list[Fact]:
    """Drop a "no follow-ups wanted" that an interview arranged after it has overtaken.

    "We'll contact you directly if the team wants to meet you", then an
    invitation: they did contact you, and the instruction was about the stage
    before it (the policy treats a rejection followed by a later interview
    the same way). An instruction in the invitation itself, or after it,
    stands. An interview counts from the first message that arranged it (a
    rescheduled invitation keeps its first date; a time restated later is
    the same interview).
    """
    first: dict[datetime, datetime] = {}
    for f in facts:
        if isinstance(f, Interview) and f.arranged is not None:
            same = next((s for s in first if abs((s - f.start).total_seconds()) < 3600), f.start)
            first[same] = min(f.arranged, first.get(same, f.arranged))
    return [f for f in facts
            if not (isinstance(f, NoFollowUp) and f.at is not None and any(a > f.at for a in first.values()))]


def _ev(m: Message, quote: str) -> Evidence:
    return Evidence(message_id=m.message_id, quote=_clip(quote), date=m.date)


def _clip(s: str, n: int = 160) -> str:
    s = " ".join(s.split())
    return s if len(s) <= n else s[: n - 1] + "…"


def _sentence(text: str, start: int, end: int) -> str:
    a = max(text.rfind(".", 0, start), text.rfind("\n", 0, start)) + 1
    b_candidates = [i for i in (text.find(".", end), text.find("\n", end)) if i != -1]
    b = min(b_candidates) + 1 if b_candidates else len(text)
    return text[a:b].strip()


def cancels(ev: CalendarEvent) -> bool:
    """Whether the event calls the meeting off: a CANCEL, or an update with STATUS:CANCELLED."""
    return (ev.method == "CANCEL") or (ev.status or "").upper() == "CANCELLED"


#: iTIP methods an attendee sends (RFC 5546): an answer, a proposed time, a request for
#: the latest copy; and the organiser's refusal of a proposal, which arranges nothing either
_NOT_SCHEDULING = frozenset({"REPLY", "COUNTER", "REFRESH", "DECLINECOUNTER"})


def schedules(ev: CalendarEvent) -> bool:
    """Whether the event arranges, moves or cancels a meeting (an attendee's answer does not)."""
    return ev.method not in _NOT_SCHEDULING


def _calendar_facts(conv: Conversation, config: Config) -> list[Scheduled]:
    """Interviews from invitations: the latest SEQUENCE of each UID wins; cancellations remove."""
    latest: dict[str, tuple[int, datetime, Message, CalendarEvent]] = {}
    first_seen: dict[str, datetime] = {}
    for m in conv.messages:
        for i, ev in enumerate(m.calendar):
            if ev.organizer and config.identity.is_user(ev.organizer) and ev.method == "REPLY":
                continue
            if not schedules(ev):  # an attendee's answer, not an invitation
                continue
            key = ev.uid or f"{m.message_id}#{i}"
            stamp = m.date or ev.start
            first_seen[key] = min(stamp, first_seen.get(key, stamp))
            prev = latest.get(key)
            if prev is None or (ev.sequence, stamp) >= (prev[0], prev[1]):
                latest[key] = (ev.sequence, stamp, m, ev)
    facts: list[Scheduled] = []
    for key, (_seq, _stamp, m, ev) in latest.items():
        if not ev.start_given:  # a cancellation by UID alone calls off the meeting its UID last gave
            known = _with_known_time(ev, key, conv)
            if known is None:
                continue  # nothing known to call off
            ev = known
        cancelled = cancels(ev)
        end = ev.end or ev.start + config.policy.interview_default_length
        if ev.all_day:  # an all-day "interview day": treat it as over at the end of the day
            end = ev.end or ev.start + timedelta(days=1)
        kind = InterviewCancelled if cancelled else Interview
        facts.append(kind(end, _ev(m, f"invitation: {ev.summary}"), start=ev.start, end=end, source="calendar",
                          summary=ev.summary, tzid=ev.tzid, arranged=first_seen[key]))
    return facts


def _with_known_time(cancel: CalendarEvent, key: str, conv: Conversation) -> CalendarEvent | None:
    """``cancel`` with the start and end of the latest invitation in ``conv`` that gave them for its UID."""
    given = [ev for m in conv.messages for ev in m.calendar
             if ev.uid == key and ev.start_given and schedules(ev) and not cancels(ev)]
    if not given:
        return None
    last = max(reversed(given), key=lambda ev: ev.sequence)  # the latest of the highest SEQUENCE
    return dataclasses.replace(cancel, start=last.start, end=last.end, tzid=last.tzid, all_day=last.all_day,
                               summary=cancel.summary or last.summary, start_given=True)


def _message_facts(m: Message, config: Config, tz: ZoneInfo, written_to: frozenset[str] = frozenset()
                   ) -> list[Fact]:
    out: list[Fact] = []
    at = m.date
    text = m.text
    lang = instructions_lang.language(m)  # de, fr, es …: read by the data-driven reader as well
    if recruiting.is_user(m.from_, config):
        to = tuple(a.email for a in (*m.to, *m.cc))
        out.append(UserWrote(at, _ev(m, m.subject or text[:80]), to=to))
        out.extend(_read(m, instructions.read_user(text) or instructions_lang.read_user(lang, text)))
        return out
    b = bounces.bounced_in(m, written_to)  # before everything else: a bounce is nobody's answer
    if b is not None:
        out.append(Bounce(at, _ev(m, m.subject or b.reason), addresses=b.failed, delayed=b.delayed))
        return out
    if m.from_ is None:
        return out
    if autoreply.is_bulk(m, config.recruiting.job_alert_domains) and not autoreply.replied(m):
        return out
    ar = autoreply.auto_reply(m, tz)
    if ar is not None:
        out.append(AutoReply(at, _ev(m, ar.reason), return_date=ar.return_date, sender=m.from_.email))
        if not autoreply.out_of_office(m):
            # a system's notice speaks for the company: "we kindly ask that you refrain from
            # contacting the hiring team", a rejection sent by the ATS (never a person's answer)
            out.extend(_read(m, _company_findings(m, lang)))
        return out
    if recruiting.is_ack(m, config) or instructions_lang.is_ack(m, config, lang):
        out.append(Ack(at, _ev(m, m.subject)))
    else:
        out.append(HumanReply(at, _ev(m, m.subject or text[:80]), sender=m.from_.email))
    out.extend(_read(m, _company_findings(m, lang)))
    body = f"{m.subject}\n{text}" if m.subject else text
    hit = REFERENCES_RE.search(body)
    if hit:
        out.append(References(at, _ev(m, _sentence(body, hit.start(), hit.end()))))
    elif asked := instructions_lang.references(lang, m.subject, text):
        out.append(References(at, _ev(m, asked.sentence)))
    if at is not None:
        # de/fr/es read from their data tables (None: English, read by its own rules)
        stated = timeline_lang.find_deadlines(text, at, tz)
        for d in stated if stated is not None else timeline.find_deadlines(text, at, tz):
            out.append(DeadlineStated(at, _ev(m, d.phrase), deadline=d))
    return out


def _company_findings(m: Message, lang: str | None) -> tuple[instructions.Finding, ...]:
    """The company's outcomes and instructions: English's reading, and ``lang``'s where it has one."""
    return instructions_lang.merged(instructions.read_company(m.subject, m.text),
                                    instructions_lang.read_company(lang, m.subject, m.text))


def _read(m: Message, findings: tuple[instructions.Finding, ...]) -> list[Fact]:
    """Findings as facts dated by their message, the sentence as evidence."""
    return [f.fact(m.date, _ev(m, f.sentence), rule=f.rule) for f in findings]
