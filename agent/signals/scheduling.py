"""The meeting times both sides settled on in a conversation's own words.

A time is *agreed* when one side states it firmly ("let's say Thursday 10/22 at
3pm ET", "Booked you for Thu 11/5 at 3:30", "I booked Friday 11/20 at 1pm ET",
"your interview is confirmed: Wednesday, October 7 1:00 PM"), when one side
accepts it ("Thursday at 2pm works", "Wednesday 4:15 it is", "k 9:30 thu"), or
when one side proposes it and the other answers "works" / "sounds good" /
"perfect" with nothing else on the table ("How about Tuesday at 2?" … "Works.").
A proposal alone, a window ("anytime after 4"), a deadline ("by Friday at
5pm") or a time the other side refused is not agreed.

Each message's mentions (agent.signals.slots) are read in date order, each
with the *act* of the clause it stands in: refuse > cancel > a question
(propose) > confirm words > propose words > neither. A company's plain
statement of one day's times ("Mon 11/2 10am w/ their head of eng") confirms;
the user's, or a list over several days, proposes. A later agreement made while
an earlier agreed time was still ahead is a reschedule and replaces it; a
cancellation removes what is ahead. A time must be about a meeting
(agent.signals.meetings): the conversation so far names a call, chat,
interview, screen, meeting, coffee, video link…; and the clause is not about a
deadline, a start date or an event.

Pure: no clock, no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from agent.config import Config
from agent.lazy_pattern import lazy
from agent.model import Conversation, Message, utc
from agent.signals import (
    autoreply,
    bounces,
    held,
    meetings,
    recruiting,
    scheduling_lang,
    slots,
    slots_lang,
)

SAME = timedelta(hours=1)  # two times closer than this are the same meeting
TEXT_CAP = 5000

PROPOSE, CONFIRM, REFUSE, CANCEL = "propose", "confirm", "refuse", "cancel"

_IF = r"\b(?:if|in\s+case|unless|should\s+(?:that|it|this|you)|otherwise)\b"
_R_CONDITIONAL = lazy(_IF, re.I)
_R_REFUSE = lazy(
    r"\b(?:doesn'?t|does\s+not|don'?t|do\s+not|won'?t|will\s+not|wouldn'?t|would\s+not|can'?t|cannot|can\s+not|"
    r"couldn'?t|could\s+not|isn'?t|is\s+not)\s+(?:\w+\s+){0,3}?(?:work|make\s+it|make|do|going\s+to\s+work)\b"
    r"|\b(?:not|no\s+longer)\s+(?:be\s+)?(?:available|free|possible|able)\b"
    r"|\b(?:a\s+conflict|conflicts?\s+with|unavailable|tied\s+up|booked\s+up|out\s+of\s+(?:the\s+)?office|"
    r"on\s+vacation|unfortunately)\b",
    re.I,
)
_INTENT = r"\b(?:need|needs|have|has|had|must|'ll\s+have|going|want|would\s+like|'d\s+like)\s+to\s+"
_R_CANCEL = lazy(
    rf"{_INTENT}(?:cancel|call\s+off|postpone)\b"
    r"|\b(?:is|has\s+been|been|was|are|were)\s+(?:cancel(?:l)?ed|called\s+off|postponed)\b"
    r"|\bcancel(?:l)?ing\b|\bcancellation\b",
    re.I,
)
# "I need to move our call": the time it names is the new one (the company's word settles it, the
# user's proposes it); without one, what was set is off.
_R_MOVE = lazy(rf"{_INTENT}(?:reschedule|move|push|shift)\b|\bhas\s+to\s+be\s+rescheduled\b", re.I)
_R_CONFIRM = lazy(
    r"\b(?:works?|work\s+for\s+(?:me|us)|(?:is|'s)\s+(?:perfect|great|good|fine|ideal)|"
    r"sounds\s+(?:good|great|perfect)|it\s+is|it's\s+a\s+date|"
    r"let'?s\s+(?:do|say|go\s+with|plan\s+(?:for|on)|book|lock(?:\s+in)?|make\s+it|meet|talk|chat|speak)|"
    r"confirm(?:ed|ing|ation)?|book(?:ed|ing)?|scheduled|all\s+set|you'?re\s+set|set\s+(?:for|up\s+for)|"
    r"locked|on\s+(?:my|our|the)\s+calendar|(?:have|put)\s+you\s+down|you'?re\s+on\s+for|see\s+you|"
    r"talk\s+(?:to\s+you\s+)?(?:then|soon|on)|speak\s+(?:to\s+you\s+)?then|"
    r"(?:I'?ll|I\s+will|we'?ll|we\s+will)\s+(?:call|ring|phone|see\s+you|be\s+there|give\s+you\s+a\s+(?:call|ring))|"
    r"invit(?:e|ation)\s+(?:sent|is\s+on\s+its\s+way|coming|to\s+follow)|"
    r"sent\s+(?:you\s+)?(?:an?|the)\s+(?:calendar\s+|teams\s+|zoom\s+)?(?:invite|invitation|hold)|"
    r"will\s+take\s+place|(?:you\s+will|you'?ll)\s+(?:meet|speak|talk)|"
    r"your\s+(?:\w+\s+){0,2}(?:interview|call|screen|meeting|session|conversation)\s+(?:is|has\s+been|will)|"
    r"reserved|perfect)\b",
    re.I,
)
_R_PROPOSE = lazy(
    r"\b(?:how\s+about|what\s+about|how'?s|how\s+is|how\s+does|would|could|can\s+(?:you|we)|"
    r"are\s+you\s+(?:free|available|around)|do\s+you\s+have|does|"
    r"(?:I|we|he|she|they)\s+(?:have|has|'ve\s+got)\s+(?:availability|time|an?\s+opening|openings|slots?)|"
    r"(?:I|we)(?:'m|\s+am|'re|\s+are)\s+(?:free|available|around|open)|(?:is|are)\s+(?:also\s+)?(?:open|free)|"
    r"(?:I|we)\s+(?:can|could)\s+(?:do|talk|make|meet|chat|speak)|options?|alternatively|either|"
    r"tentative(?:ly)?|pencil(?:l?ed)?|offered|suggest|propose|prefer|availability|windows?|or)\b",
    re.I,
)
# Told as done ("I sent your profile to the hiring manager Monday at 9am"): no plan, unless the
# words book or confirm something.
_R_DONE = lazy(
    r"\b(?:sent|submitted|forwarded|shared|spoke|talked|chatted|met|had|did|received|reviewed|heard|emailed|"
    r"passed\s+(?:it\s+)?along|called|wrote|presented)\b", re.I)
# A bare "Works." / "2 is perfect." / "Booked, thanks" accepts the one time on the table.
_R_ACCEPT = lazy(
    r"\b(?:works(?:\s+for\s+me)?|that\s+works|sounds\s+(?:good|great|perfect)|(?:is|'s)\s+perfect|perfect|"
    r"booked|confirmed|(?:I'?ve|I\s+have)\s+(?:booked|sent|scheduled)|invite\s+sent|see\s+you\s+(?:then|there)|"
    r"talk\s+(?:to\s+you\s+)?then|all\s+set)\b",
    re.I,
)
# The writer booked their own proposal: "I can do Monday at 10. I've booked it on my end."
_R_SELF_BOOKED = lazy(
    r"\b(?:(?:I'?ve|I\s+have|we'?ve|we\s+have)\s+(?:booked|scheduled|reserved|blocked)|"
    r"you'?ll\s+(?:receive|get)\s+(?:a|an|the)\s+(?:\w+\s+)?(?:confirmation|invite|invitation))\b",
    re.I,
)
_R_OTHER_TIME = lazy(r"\b(?:instead|another\s+time|different\s+time|other\s+times|reschedul\w*)\b", re.I)
_R_CLAUSE_END = lazy(r"[.!?;]+(?=\s|$)|\n\s*\n|\n(?=\s*(?:[-*•]|\d+[.)])\s)")
_REACH = 200  # a "sentence" with no end in sight is read this far around the time


@dataclass(frozen=True)
class Agreed:
    """A meeting time both sides settled on; ``message`` is where it was settled.

    ``end`` is the one the words stated ("2-2:45pm"), else the start plus the
    length the conversation gave the meeting ("a 30-minute phone screen"),
    else plus the configured default length.
    """

    start: datetime  # aware, UTC
    end: datetime
    tzid: str | None
    message: Message
    quote: str


@dataclass(frozen=True)
class Proposed:
    """A full time one side put on the table (agreed or not): it dates "today" evidence."""

    start: datetime
    end: datetime | None
    tzid: str | None
    side: str
    message: Message
    quote: str


@dataclass(frozen=True)
class Schedule:
    agreed: tuple[Agreed, ...] = ()
    proposed: tuple[Proposed, ...] = ()


@dataclass(frozen=True)
class _Said:
    """One mention with its act and where it stands."""

    mention: slots.Mention
    act: str
    clause: str


@dataclass
class _State:
    tz: ZoneInfo
    default: timedelta  # an interview's length when nobody said
    length: timedelta | None = None  # the length stated since the last agreement
    said_since: list[str] = field(default_factory=list)  # texts since the last agreement
    settled_by: Message | None = None  # the message that agreed on a time last
    agreed: list[Agreed] = field(default_factory=list)
    pending: list[Proposed] = field(default_factory=list)  # on the table now
    days: list[tuple[str, datetime]] = field(default_factory=list)  # days proposed without a time
    proposed: list[Proposed] = field(default_factory=list)  # everything ever proposed


def read(conv: Conversation, config: Config, *, until: datetime | None = None) -> Schedule:
    """The times agreed in ``conv``'s words, in date order (messages after ``until`` are not read).

    ``until`` is when the conversation closed (a rejection, an offer, a
    withdrawal): a call set up after that is about the outcome, not an
    interview.
    """
    state = _State(config.account.tz, config.policy.interview_default_length)
    messages = [m for m in conv.messages if m.date is not None and (until is None or m.date <= until)]
    for i, m in enumerate(messages):
        if by_a_person(m, config):
            _message(state, m, messages[:i], config)
    return Schedule(tuple(state.agreed), tuple(state.proposed))


def by_a_person(m: Message, config: Config) -> bool:
    """Messages that speak for someone: no bounce, no out-of-office, no newsletter. A system's
    notice counts ("Your interview is confirmed: Tuesday, November 10, 2:00 PM")."""
    if recruiting.is_user(m.from_, config):
        return True
    if bounces.bounce(m) or autoreply.is_bulk(m, config.recruiting.job_alert_domains):
        return False
    return autoreply.auto_reply(m, config.account.tz) is None or not autoreply.out_of_office(m)


def _message(state: _State, m: Message, before: Sequence[Message], config: Config) -> None:
    assert m.date is not None
    tz = config.account.tz
    side = "user" if recruiting.is_user(m.from_, config) else "company"
    text = slots.plain(m.text[:TEXT_CAP])
    code = slots_lang.language_of(text)  # German, French, Spanish words add to the English ones
    if not _about_meeting(m, before, code):
        return
    if state.settled_by is not None:
        state.said_since.clear()  # a time was agreed since: lengths start afresh
        state.settled_by = None
    state.said_since.append(text)
    state.length = meetings.stated_length(state.said_since)
    said = _acts(text, m.date, tz, side, code)
    said = [_completed(s, state, side, m.date, tz) for s in said]
    if _called_off(text, said):
        _drop(state, m.date, lambda start: True)
    for s in said:
        _apply(state, s, side, m, tz)
    _picked(state, said, side, m)
    if not any(s.act in (PROPOSE, CONFIRM) and s.mention.full for s in said):
        _bare_answer(state, text, side, m, said, code)
    elif _R_SELF_BOOKED.search(text):
        _self_booked(state, side, m)


def _about_meeting(m: Message, before: Sequence[Message], code: str | None = None) -> bool:
    """The conversation so far speaks of a call, a chat, an interview, a meeting… (in English, or
    in the message's own language ``code``)."""
    return any(meetings.MEETING.search(x.subject) or meetings.MEETING.search(x.text[:TEXT_CAP])
               or scheduling_lang.about_meeting(code, f"{x.subject}\n{x.text[:TEXT_CAP]}") for x in (m, *before))


# --- acts ---------------------------------------------------------------------------------------


def _called_off(text: str, said: list[_Said]) -> bool:
    """"Sorry, I have to cancel our call" with no time in that sentence: what was set is off."""
    for start, end in _clauses(text):
        clause = text[start:end]
        if ((_R_CANCEL.search(clause) or _R_MOVE.search(clause)) and not _R_CONDITIONAL.search(clause)
                and not any(s.clause and s.clause in clause for s in said)):
            return True
    return False


def _acts(text: str, sent: datetime, tz: ZoneInfo, side: str, code: str | None = None) -> list[_Said]:
    """Every usable mention of ``text`` with the act of its clause."""
    mentions = [m for m in slots.find(text, sent, tz, writer_is_user=side == "user")
                if not (m.window or m.limit or m.foreign)]
    clauses = _clauses(text)
    usable: dict[str, bool] = {}  # clause -> about a meeting to come (read once per clause)
    said: list[_Said] = []
    for mention in mentions:
        clause = _clause_of(text, clauses, mention)
        if clause not in usable:
            usable[clause] = _about_a_plan(clause, sent.astimezone(tz), code)
        if usable[clause]:
            act = scheduling_lang.act(code, clause) or _act(text, clause, mention, mentions, side)
            said.append(_Said(mention, act, clause.strip()))
    return said


def _clause_of(text: str, clauses: list[tuple[int, int]], mention: slots.Mention) -> str:
    """The sentence ``mention`` stands in, at most ``_REACH`` characters either side of it."""
    start = next((a for a, b in clauses if a <= mention.span[0] < b), 0)
    # through the sentence the mention ends in: "am Dienstag, 8. Dezember" has a full stop inside
    end = next((b for a, b in clauses if a < mention.span[1] <= b), len(text))
    return text[max(start, mention.span[0] - _REACH):min(end, mention.span[1] + _REACH)]


def _about_a_plan(clause: str, sent: datetime, code: str | None = None) -> bool:
    """Not a deadline or an event, not words after the fact, not something told as done."""
    if meetings.NOT_MEETING.search(clause) or scheduling_lang.not_meeting(code, clause) or held.is_past(clause, sent):
        return False
    return not _R_DONE.search(clause) or bool(_R_CONFIRM.search(clause) or _R_MOVE.search(clause) or "?" in clause)


def _clauses(text: str) -> list[tuple[int, int]]:
    out, start = [], 0
    for m in _R_CLAUSE_END.finditer(text):
        out.append((start, m.end()))
        start = m.end()
    return [*out, (start, len(text))]


def _act(text: str, clause: str, mention: slots.Mention, mentions: list[slots.Mention], side: str) -> str:
    iffy = bool(_R_CONDITIONAL.search(clause))
    if _R_REFUSE.search(clause) and not iffy:
        return REFUSE
    if not iffy and (_R_CANCEL.search(clause) or (_R_MOVE.search(clause) and not mention.full)):
        return CANCEL
    if "?" in clause or _options(text, mention, mentions):
        return PROPOSE
    if _R_CONFIRM.search(clause):
        return CONFIRM
    if _R_PROPOSE.search(clause) or side == "user":
        return PROPOSE
    # The company states a day's times plainly (an ATS confirmation, "Mon 11/2 10am w/ Abdi"):
    # settled, unless it lists several days to choose from.
    days = {m.day for m in mentions if m.full}
    return CONFIRM if len(days) <= 1 else PROPOSE


def _options(text: str, mention: slots.Mention, mentions: list[slots.Mention]) -> bool:
    """Full times on other days close by, joined by "or" or listed line by line: a choice
    ("Thu 10/15 at 12:30 or Fri 10/16 at 4:00", "- Monday … - Tuesday …")."""
    if not mention.full:
        return False
    for o in mentions:
        if o.full and o.day != mention.day and abs(o.span[0] - mention.span[0]) < 160:
            a, b = sorted((o.span, mention.span))
            if re.search(r"\bor\b|\n", text[a[1]:b[0]], re.I):
                return True
    return False


def _completed(s: _Said, state: _State, side: str, sent: datetime, tz: ZoneInfo) -> _Said:
    """A time alone takes the day on the table ("Sure, 9:30 again?" after "ok to talk thurs am?");
    a weekday alone is the one on the table ("Tuesday at 2 works" to "Tuesday, November 17 at 2?",
    written on the Tuesday before)."""
    m = s.mention
    if m.weekday is not None and m.day is not None:
        return replace(s, mention=replace(m, day=_offered_weekday(state, m.weekday, sent, tz) or m.day))
    if m.day is not None or m.start is None:
        return s
    days = {p.start.astimezone(tz).date() for p in state.pending}
    days |= {d.astimezone(tz).date() for _side, d in state.days}
    ahead = [a for a in state.agreed if a.start > sent]
    if len(days) == 1:
        return replace(s, mention=replace(m, day=days.pop()))
    if not days and ahead:
        return replace(s, mention=replace(m, day=ahead[-1].start.astimezone(tz).date()))
    return s


def _offered_weekday(state: _State, weekday: int, sent: datetime, tz: ZoneInfo) -> date | None:
    """The nearest day ahead with that weekday among the times and days on the table."""
    days = [p.start.astimezone(tz).date() for p in state.pending if p.start > sent]
    days += [d.astimezone(tz).date() for _side, d in state.days if d > sent - timedelta(days=1)]
    fits = sorted(d for d in days if d.weekday() == weekday and d >= sent.astimezone(tz).date())
    return fits[0] if fits else None


# --- applying what was said -------------------------------------------------------------------------


def _apply(state: _State, s: _Said, side: str, m: Message, tz: ZoneInfo) -> None:
    assert m.date is not None
    at = s.mention.at(tz)
    if s.act in (REFUSE, CANCEL):
        _drop(state, m.date, _hits(s.mention, at, tz), s.mention.day if at is None else None)
    elif at is None:
        _day_only(state, s, side, m, tz)
    elif at[0] <= m.date:
        return  # a time already past is no plan
    elif s.act == CONFIRM:
        _settle(state, _proposal(s, at, side, m), m)
    else:
        p = _proposal(s, at, side, m)
        state.pending.append(p)
        state.proposed.append(p)


def _proposal(s: _Said, at: tuple[datetime, datetime | None], side: str, m: Message) -> Proposed:
    zone = s.mention.zone
    return Proposed(utc(at[0]), utc(at[1]) if at[1] else None, getattr(zone, "key", None), side, m, s.clause)


def _day_only(state: _State, s: _Said, side: str, m: Message, tz: ZoneInfo) -> None:
    """"Thursday works" accepts the one time offered that day; "Thursday?" puts the day on the table."""
    day = s.mention.day
    if day is None:
        return
    if s.act == PROPOSE:
        assert m.date is not None
        state.days.append((side, datetime.combine(day, datetime.min.time(), tz)))
        return
    offered = _distinct([p for p in _ahead(state.pending, m) if p.side != side and p.start.astimezone(tz).date() == day])
    if s.act == CONFIRM and len(offered) == 1:
        _settle(state, offered[0], m)


def _bare_answer(state: _State, text: str, side: str, m: Message, said: list[_Said],
                 code: str | None = None) -> None:
    """"Works." / "2 is perfect." / "Booked, thanks" / "Passt, bis dann!": the one time the other side offered."""
    head = text[:300]
    if not (_R_ACCEPT.search(head) or scheduling_lang.accepts(code, head)) or _R_REFUSE.search(head) or _R_CANCEL.search(head) or _R_OTHER_TIME.search(head):
        return
    if any(s.act in (REFUSE, CANCEL) for s in said):
        return
    offered = _distinct([p for p in _ahead(state.pending, m) if p.side != side])
    if len(offered) == 1:
        _settle(state, offered[0], m)


def _picked(state: _State, said: list[_Said], side: str, m: Message) -> None:
    """"Tuesday the 27th at 4:00 PM please" after "Tuesday 10/27 at 4 or Thursday 10/29 at 9:30":
    naming one of the times the other side offered, without asking, is taking it."""
    mine = _distinct([p for p in state.pending if p.side == side and p.message is m])
    if len(mine) != 1 or any(s.act == PROPOSE and "?" in s.clause for s in said):
        return
    offered = [p for p in _ahead(state.pending, m) if p.side != side and abs(p.start - mine[0].start) < SAME]
    if offered:
        _settle(state, offered[0], m)


def _self_booked(state: _State, side: str, m: Message) -> None:
    mine = _distinct([p for p in state.pending if p.side == side and p.message is m])
    if len(mine) == 1:
        _settle(state, mine[0], m)


def _ahead(ps: list[Proposed], m: Message) -> list[Proposed]:
    """The proposals still in the future when ``m`` was written (an old one nobody took has lapsed)."""
    assert m.date is not None
    sent = m.date
    return [p for p in ps if p.start > sent]


def _distinct(ps: list[Proposed]) -> list[Proposed]:
    out: list[Proposed] = []
    for p in ps:
        if not any(abs(p.start - o.start) < SAME for o in out):
            out.append(p)
    return out


def _settle(state: _State, p: Proposed, m: Message) -> None:
    """Agree on ``p``: the same time again changes nothing; the day's other times in the same
    message make one meeting with it (an itinerary, back-to-back interviews); a time agreed
    while another was still ahead replaces it (a reschedule); what was on the table is off it."""
    assert m.date is not None
    sent = m.date
    end = p.end or p.start + (state.length or state.default)
    day = p.start.astimezone(state.tz).date()
    same_day = next((a for a in state.agreed if a.message is m and a.start.astimezone(state.tz).date() == day), None)
    if same_day is not None:
        merged = replace(same_day, start=min(same_day.start, p.start), end=max(same_day.end, end))
        state.agreed = [merged if a is same_day else a for a in state.agreed]
    elif not any(abs(a.start - p.start) < SAME for a in state.agreed):
        state.agreed = [a for a in state.agreed if not (a.start > sent and a.message is not m)]
        state.agreed.append(Agreed(p.start, end, p.tzid, m, p.quote))
    if p not in state.proposed:
        state.proposed.append(p)
    state.pending.clear()
    state.days.clear()
    state.settled_by = m


def _drop(state: _State, sent: datetime, hit: Callable[[datetime], bool], day: date | None = None) -> None:
    """Refused or cancelled times (and ``day``) are off the table, and off the calendar if still ahead."""
    state.pending = [p for p in state.pending if not hit(p.start)]
    state.agreed = [a for a in state.agreed if not (a.start > sent and hit(a.start))]
    if day is not None:
        state.days = [(s, d) for s, d in state.days if d.astimezone(state.tz).date() != day]


def _hits(mention: slots.Mention, at: tuple[datetime, datetime | None] | None,
          tz: ZoneInfo) -> Callable[[datetime], bool]:
    """What a refusal or cancellation is about: that time, that day, or (named neither) everything."""
    if at is not None:
        return lambda start: abs(start - at[0]) < SAME
    if mention.day is not None:
        return lambda start: start.astimezone(tz).date() == mention.day
    return lambda start: True
