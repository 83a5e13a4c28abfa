"""``explain THREAD``: the evidence and the rules behind one conversation, in plain words.

The text is built section by section (the verdict, the evidence weighed, the
messages, the decision, the plan, the drafts so far); each section is a list
of lines, empty when it has nothing to say, and starts with its own blank
separator line.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from agent.config import Config
from agent.errors import AgentError
from agent.facts import (
    AutoReply,
    Bounce,
    DeadlineStated,
    Fact,
    HumanReply,
    Said,
    Scheduled,
    UserWrote,
)
from agent.lang import DEFAULT, message_language
from agent.model import Conversation
from agent.policy import Decision
from agent.signals.company import company_name
from agent.signals.verdict import SETTLE, Tracking

if TYPE_CHECKING:
    from agent.poll_result import PollResult


def find_conversation(query: str, conversations: Mapping[str, Conversation],
                      decisions: Iterable[Decision] = ()) -> str:
    """Resolve an id, an id prefix, or a unique fragment of a subject or company.

    Among several matches, the one conversation that is tracked (has a
    decision) wins; otherwise the refusal lists them.
    """
    if query in conversations:
        return query
    companies = {d.conversation: (d.company or "") for d in decisions}
    hits = _matches(query, conversations, companies)
    tracked = [h for h in hits if h in companies]
    if len(hits) > 1 and len(tracked) == 1:
        hits = tracked
    if len(hits) == 1:
        return hits[0]
    if not hits:
        raise AgentError(f"No conversation matches {query!r}. `followup-agent status` lists them.")
    listing = "; ".join(f"{h} ({conversations[h].subject[:50]})" for h in hits[:10])
    raise AgentError(f"{query!r} matches {len(hits)} conversations: {listing}. Use the id.")


def _matches(query: str, conversations: Mapping[str, Conversation], companies: Mapping[str, str]) -> list[str]:
    """The ids that start with ``query``; failing that, those whose subject or company holds it."""
    hits = [cid for cid in conversations if cid.startswith(query)]
    if hits:
        return hits
    q = query.lower()
    return [cid for cid, c in conversations.items()
            if q in c.subject.lower() or q in companies.get(cid, "").lower()]


def explain(query: str, result: PollResult, config: Config) -> str:
    """Everything ``explain`` prints about the conversation ``query`` names, as one text."""
    cid = find_conversation(query, result.conversations, result.decisions)
    conv = result.conversations[cid]
    tz = config.account.tz
    dec = next((d for d in result.decisions if d.conversation == cid), None)
    tracking = result.tracking.get(cid) or next((t for c, t in result.untracked if c.id == cid), None)
    lines = [f"Conversation {cid}: {conv.subject!r}"]
    lines += _verdict(cid, conv, dec, tracking, config)
    lines += _evidence(tracking)
    lines += _messages(conv, tz)
    if dec is not None:
        lines += _decision(dec, config, conv)
    lines += _plan(result, cid)
    lines += _history(result, cid, tz)
    return "\n".join(lines) + "\n"


def _verdict(cid: str, conv: Conversation, dec: Decision | None, tracking: Tracking | None,
             config: Config) -> list[str]:
    """Tracked or not, and why; for a possible one, the commands that settle it."""
    if dec is not None:
        return [f"Company: {_company(conv, dec, config)}",
                f"Tracked because: {dec.tracked_because}.",
                f"State: {dec.state}. {dec.reason}"]
    if tracking is not None and tracking.possible:
        return [f"Possible, not tracked: {tracking.reason}. Nothing is drafted until you settle it:",
                *(f"  {cmd.format(thread=cid)}" for cmd in SETTLE)]
    return [f"Not tracked: {tracking.reason if tracking else 'not a recruiting conversation'}.",
            f"  (wrong? {SETTLE[0].format(thread=cid)})"]


def _company(conv: Conversation, dec: Decision, config: Config) -> str:
    """The company's name with where it was read, when the name shown is the one read from the mail."""
    found = company_name(conv, config)
    if found is not None and found.name == dec.company:
        return found.describe()
    return dec.company or "unknown"


def _evidence(tracking: Tracking | None) -> list[str]:
    """The cues the tracking verdict weighed, by kind, the heaviest first."""
    if tracking is None or not tracking.cues:
        return []
    return ["", "Evidence weighed (your own job search or something else):",
            *(f"  {c.kind:<14} +{c.weight}  {c.name}: \u201c{c.quote[:110]}\u201d"
              for c in sorted(tracking.cues, key=lambda c: (c.kind, -c.weight)))]


def _messages(conv: Conversation, tz: ZoneInfo) -> list[str]:
    lines = ["", "Messages:"]
    for m in conv.messages:
        when = m.date.astimezone(tz).strftime("%Y-%m-%d %H:%M") if m.date else "(no date)"
        who = m.from_.email if m.from_ else "(no sender)"
        lines.append(f"  {when}  {who:<36} {m.subject[:60]}")
    return lines


def _decision(dec: Decision, config: Config, conv: Conversation | None = None) -> list[str]:
    """The events read, the rules applied, the next step with its arithmetic, the bounced addresses."""
    lines = _events(dec, config, conv)
    lines += ["", "Rules applied:", *(f"  - {r}" for r in dec.rules)]
    lines += _next_step(dec, config.account.tz)
    if dec.unusable:
        lines.append(f"Unusable addresses (bounced): {', '.join(dec.unusable)}")
    return lines


def _events(dec: Decision, config: Config, conv: Conversation | None = None) -> list[str]:
    lines = ["", "Events (with evidence):"]
    languages = _languages(conv)
    for f in dec.facts:
        when = f.at.astimezone(config.account.tz).strftime("%Y-%m-%d %H:%M") if f.at else "(undated)"
        lines.append(f"  {when}  {f.kind:<20} \u201c{f.evidence.quote}\u201d{_data(_details(f), config)}")
        lang = languages.get(f.evidence.message_id)
        if lang is not None:
            lines.append(f"    ({_language_name(lang)}) \u201c{f.evidence.quote}\u201d \u2192 {_reading(f, config)}")
    if not dec.facts:
        lines.append("  (none)")
    return lines


def _languages(conv: Conversation | None) -> dict[str, str]:
    """Each message's language, for the messages not in English (so their evidence gets a reading)."""
    found = {}
    for m in conv.messages if conv is not None else ():
        lang = message_language(m)
        if lang is not None and lang != DEFAULT:
            found[m.message_id] = lang
    return found


def _language_name(lang: str) -> str:
    """The language's name in English ("German"), from babel's locale data."""
    from babel import Locale

    return str(Locale.parse(lang).get_display_name("en"))


def _reading(f: Fact, config: Config) -> str:
    """What the agent read in a non-English quote, in English words (kept small)."""
    tz = config.account.tz
    match f:
        case DeadlineStated():
            return f"by {f.deadline.last_day:%a %b %-d}"
        case Scheduled():
            return f"{f.kind} {f.start.astimezone(tz):%a %b %-d %H:%M}" if f.start else f.kind
        case AutoReply():
            return f"away until {f.return_date:%a %b %-d}" if f.return_date else "an automatic reply"
    return f.kind.replace("_", " ")


def _details(f: Fact) -> list[tuple[str, Any]]:
    """What an event's line shows besides its quote (the quote already holds a timeline's words)."""
    match f:
        case Scheduled():
            return [("start", f.start), ("end", f.end), ("arranged", f.arranged)]
        case DeadlineStated():
            return [("last_day", f.deadline.last_day), ("tz", f.deadline.tz)]
        case HumanReply():
            return [("from", f.sender)]
        case AutoReply():
            return [("return_date", f.return_date), ("from", f.sender)]
        case Bounce():  # a delayed report names no failed address, only the delayed ones
            return [("addresses", list(f.addresses))] + ([("delayed", list(f.delayed))] if f.delayed else [])
        case UserWrote():
            return [("to", list(f.to))]
        case Said():
            return [("rule", f.rule)]
    return []


def _data(data: list[tuple[str, Any]], config: Config) -> str:
    shown = []
    for k, v in data:
        if v in (None, [], ""):
            continue
        if hasattr(v, "astimezone"):
            v = v.astimezone(config.account.tz).strftime("%Y-%m-%d %H:%M")
        shown.append(f"{k}={v}")
    return f"  ({', '.join(shown)})" if shown else ""


def _next_step(dec: Decision, tz: ZoneInfo) -> list[str]:
    """What is owed next, when, to whom, and how the due time was reckoned."""
    n = dec.next
    if n is None:
        return []
    lines = ["", f"Next: {n.kind} due {n.due.astimezone(tz):%a %Y-%m-%d %H:%M %Z} to {n.to or '(nobody)'}",
             *(f"  {a}" for a in n.arithmetic)]
    if dec.no_recipient:
        lines.append(f"  No draft can be written: {dec.no_recipient}.")
    return lines


def _plan(result: PollResult, cid: str) -> list[str]:
    plan = [a for a in result.plan if a.conversation == cid]
    if not plan:
        return []
    return ["", "This poll would:", *(f"  {a.kind} {a.step or ''}: {a.reason}" for a in plan)]


def _history(result: PollResult, cid: str, tz: ZoneInfo) -> list[str]:
    """The drafts the agent made for this conversation, and what became of each."""
    history = result.history.get(cid, [])
    if not history:
        return []
    return ["", "Drafts so far:",
            *(f"  {h.step:<12} {h.status:<13} {h.updated_at.astimezone(tz):%Y-%m-%d %H:%M}  "
              f"{h.reason or h.message_id}" for h in history)]
