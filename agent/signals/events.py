"""The events of a recruiting conversation, each with its evidence.

``extract_facts`` reads a conversation (quoted text already stripped by the
parser) and returns what happened in it: interviews, stated decision
timelines, human and automatic replies, bounces, rejections, offers, "please
do not follow up", reference requests, the user's own messages and the user's
withdrawal. Outcomes and instructions are read by structure in
:mod:`agent.signals.instructions`: from the company's own new text for the
company's words, from the user's own new text for a withdrawal, never from
quoted text. It does not look at the clock: whether an interview is in the
past is the policy's question, asked with ``now``.
"""

from __future__ import annotations

import re
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from agent.config import Config
from agent.model import CalendarEvent, Conversation, Evidence, Fact, Message, utc
from agent.signals import autoreply, instructions, recruiting, timeline

INTERVIEW = "interview"
INTERVIEW_CANCELLED = "interview_cancelled"
DEADLINE = "deadline"
HUMAN_REPLY = "human_reply"
AUTO_REPLY = "auto_reply"
BOUNCE = "bounce"
REJECTION = instructions.REJECTION
OFFER = instructions.OFFER
NO_FOLLOW_UP = instructions.NO_FOLLOW_UP
WITHDRAWN = instructions.WITHDRAWN  # the user withdrew their candidacy
REFERENCES = "references"
USER_WROTE = "user_wrote"
ACK = "acknowledgement"

REFERENCES_RE = re.compile(
    r"\b(send|provide|share|forward)( us| me)? (your |two |three |2 |3 |a few |some |a list of )?"
    r"(professional )?references\b|\breference (check|contacts?)\b|\bcontact (your|the) references\b",
    re.I,
)

_MONTHS = autoreply._MONTHS
_MONTH_RE = autoreply._MONTH_RE
_WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_TIME = r"(?P<h>\d{1,2})(?::(?P<mi>\d{2}))?\s*(?P<ap>a\.?m\.?|p\.?m\.?)?"
_END = r"(?:\s*(?:-|–|to|until)\s*(?P<eh>\d{1,2})(?::(?P<emi>\d{2}))?\s*(?P<eap>a\.?m\.?|p\.?m\.?)?)?"
_TZ = r"(?:\s*\(?(?P<tz>[A-Z]{2,4}|[A-Z][a-z]+/[A-Za-z_]+)\)?)?"
_STATED = re.compile(
    r"(?:(?P<wd>" + "|".join(_WEEKDAYS) + r"|mon|tues?|wed|thu(?:rs?)?|fri|sat|sun)\.?,?\s+)?"
    r"(?:(?P<month>" + _MONTH_RE + r")\.?\s+(?P<day>\d{1,2})(?:st|nd|rd|th)?|"
    r"(?P<day2>\d{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<month2>" + _MONTH_RE + r")|"
    r"(?P<nmonth>1[0-2]|0?[1-9])/(?P<nday>3[01]|[12]\d|0?[1-9])(?:/(?P<nyear>\d{4}|\d{2}))?)"
    r"(?:,?\s+(?P<year>\d{4}))?,?\s+(?:at|from|@)\s+" + _TIME + _END + _TZ,
    re.I,
)
_CONFIRM_CUE = re.compile(
    r"\b(interview|phone screen|screen(ing)? call|onsite|on-site|call|meeting|chat|conversation)\b",
    re.I,
)


def extract_facts(conv: Conversation, config: Config) -> list[Fact]:
    """Every event in ``conv``, in date order."""
    tz = config.account.tz
    facts: list[Fact] = []
    facts.extend(_calendar_facts(conv, config))
    calendar_starts = {f.data["start"] for f in facts if f.kind == INTERVIEW}
    for m in conv.messages:
        facts.extend(_message_facts(m, config, tz, calendar_starts))
    facts = _without_superseded_instructions(facts)
    facts.sort(key=lambda f: (f.at or datetime.min.replace(tzinfo=tz), f.kind))
    return facts


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
        arranged = f.data.get("arranged") if f.kind == INTERVIEW else None
        if arranged is not None:
            start = f.data["start"]
            same = next((s for s in first if abs((s - start).total_seconds()) < 3600), start)
            first[same] = min(arranged, first.get(same, arranged))
    return [f for f in facts
            if not (f.kind == NO_FOLLOW_UP and f.at is not None and any(a > f.at for a in first.values()))]


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


def _calendar_facts(conv: Conversation, config: Config) -> list[Fact]:
    """Interviews from invitations: the latest SEQUENCE of each UID wins; cancellations remove."""
    latest: dict[str, tuple[int, datetime, Message, CalendarEvent]] = {}
    first_seen: dict[str, datetime] = {}
    for m in conv.messages:
        for i, ev in enumerate(m.calendar):
            if ev.organizer and config.identity.is_user(ev.organizer) and ev.method == "REPLY":
                continue
            if ev.method == "REPLY":  # an attendee's answer, not an invitation
                continue
            key = ev.uid or f"{m.message_id}#{i}"
            stamp = m.date or ev.start
            first_seen[key] = min(stamp, first_seen.get(key, stamp))
            prev = latest.get(key)
            if prev is None or (ev.sequence, stamp) >= (prev[0], prev[1]):
                latest[key] = (ev.sequence, stamp, m, ev)
    facts = []
    for key, (_seq, _stamp, m, ev) in latest.items():
        cancelled = (ev.method == "CANCEL") or (ev.status or "").upper() == "CANCELLED"
        end = ev.end or ev.start + config.policy.interview_default_length
        if ev.all_day:  # an all-day "interview day": treat it as over at the end of the day
            end = ev.end or ev.start + timedelta(days=1)
        data = {"start": ev.start, "end": end, "source": "calendar", "summary": ev.summary,
                "tzid": ev.tzid, "arranged": first_seen[key]}
        kind = INTERVIEW_CANCELLED if cancelled else INTERVIEW
        facts.append(Fact(kind, end, _ev(m, f"invitation: {ev.summary}"), data))
    return facts


def _message_facts(
    m: Message, config: Config, tz: ZoneInfo, calendar_starts: set[datetime]
) -> list[Fact]:
    out: list[Fact] = []
    at = m.date
    text = m.text
    if recruiting.is_user(m.from_, config):
        to = [a.email for a in (*m.to, *m.cc)]
        out.append(Fact(USER_WROTE, at, _ev(m, m.subject or text[:80]), {"to": to}))
        out.extend(_read(m, instructions.read_user(text)))
        out.extend(_stated_interviews(m, config, tz, calendar_starts))
        return out
    b = autoreply.bounce(m)
    if b is not None:
        out.append(Fact(BOUNCE, at, _ev(m, m.subject), {"addresses": list(b.failed)}))
        return out
    if m.from_ is None:
        return out
    if autoreply.is_bulk(m, config.recruiting.job_alert_domains):
        return out
    ar = autoreply.auto_reply(m, tz)
    if ar is not None:
        out.append(Fact(AUTO_REPLY, at, _ev(m, ar.reason),
                        {"return_date": ar.return_date, "from": m.from_.email}))
        if not autoreply.out_of_office(m):
            # a system's notice speaks for the company: "we kindly ask that you refrain from
            # contacting the hiring team", a rejection sent by the ATS (never a person's answer)
            out.extend(_read(m, instructions.read_company(m.subject, text)))
        return out
    if recruiting.is_ack(m, config):
        out.append(Fact(ACK, at, _ev(m, m.subject)))
    else:
        out.append(Fact(HUMAN_REPLY, at, _ev(m, m.subject or text[:80]), {"from": m.from_.email}))
    out.extend(_read(m, instructions.read_company(m.subject, text)))
    body = f"{m.subject}\n{text}" if m.subject else text
    hit = REFERENCES_RE.search(body)
    if hit:
        out.append(Fact(REFERENCES, at, _ev(m, _sentence(body, hit.start(), hit.end()))))
    if at is not None:
        for d in timeline.find_deadlines(text, at, tz):
            out.append(Fact(DEADLINE, at, _ev(m, d.phrase),
                            {"last_day": d.last_day, "phrase": d.phrase, "tz": d.tz}))
    out.extend(_stated_interviews(m, config, tz, calendar_starts))
    return out


def _read(m: Message, findings: tuple[instructions.Finding, ...]) -> list[Fact]:
    """Findings as facts dated by their message, the sentence as evidence."""
    return [Fact(f.kind, m.date, _ev(m, f.sentence), {"rule": f.rule}) for f in findings]


_TZ_ABBR = timeline.ZONE_ABBR


def zone_for(abbr: str | None) -> ZoneInfo | None:
    if not abbr:
        return None
    name = _TZ_ABBR.get(abbr.upper()) if "/" not in abbr else abbr
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except Exception:
        return None


def _hour(h: str, ap: str | None, fallback_ap: str | None = None) -> int | None:
    hour = int(h)
    ap = (ap or fallback_ap or "").replace(".", "").lower()
    if ap == "pm" and hour < 12:
        hour += 12
    elif ap == "am" and hour == 12:
        hour = 0
    elif not ap and 1 <= hour <= 7:  # "at 2" in an interview confirmation is the afternoon
        hour += 12
    return hour if 0 <= hour <= 23 else None


def _stated_interviews(
    m: Message, config: Config, tz: ZoneInfo, calendar_starts: set[datetime]
) -> list[Fact]:
    """Interviews confirmed in words: "your interview on Tuesday, December 1 at 2:00 PM ET"."""
    if m.date is None or not recruiting.INTERVIEW_WORDS.search(f"{m.subject}\n{m.text[:5000]}"):
        return []
    out = []
    ref = m.date.astimezone(tz)
    for hit in _STATED.finditer(m.text[:5000]):
        sentence = _sentence(m.text, hit.start(), hit.end())
        if not _CONFIRM_CUE.search(sentence) and not recruiting.INTERVIEW_WORDS.search(m.subject):
            continue
        if hit["nmonth"]:  # US numeric form, 12/1
            month, day = int(hit["nmonth"]), int(hit["nday"])
        else:
            month = _MONTHS[(hit["month"] or hit["month2"]).lower()]
            day = int(hit["day"] or hit["day2"])
        hour = _hour(hit["h"], hit["ap"], hit["eap"])
        if hour is None or int(hit["mi"] or 0) > 59:
            continue
        zone = zone_for(hit["tz"]) or tz
        year_text = hit["year"] or hit["nyear"]
        year = (int(year_text) + (2000 if len(year_text) == 2 else 0)) if year_text else ref.year
        try:
            start_local = datetime.combine(
                datetime(year, month, day).date(), time(hour, int(hit["mi"] or 0)), zone
            )
        except ValueError:
            continue
        if not year_text and start_local.date() < ref.date() - timedelta(days=31):
            start_local = start_local.replace(year=year + 1)
        start = utc(start_local)
        end = start + config.policy.interview_default_length
        if hit["eh"]:
            eh = _hour(hit["eh"], hit["eap"], hit["ap"])
            if eh is not None:
                end_local = start_local.replace(hour=eh, minute=int(hit["emi"] or 0))
                if end_local > start_local:
                    end = utc(end_local)
        if any(abs((start - s).total_seconds()) < 3600 for s in calendar_starts):
            continue  # the invitation already says it
        out.append(Fact(INTERVIEW, end, _ev(m, sentence),
                        {"start": start, "end": end, "source": "stated", "summary": _clip(sentence, 80),
                         "tzid": getattr(zone, "key", None), "arranged": m.date}))
    return out
