"""``explain THREAD``: the evidence and the rules behind one conversation, in plain words."""

from __future__ import annotations

from typing import Any

from agent.config import Config
from agent.errors import AgentError
from agent.model import (
    AutoReply,
    Bounce,
    Conversation,
    DeadlineStated,
    Fact,
    HumanReply,
    Said,
    Scheduled,
    UserWrote,
)
from agent.policy import Decision
from agent.signals.company import company_name
from agent.signals.tracking import SETTLE, Tracking


def find_conversation(query: str, result: Any) -> str:
    """Resolve an id, an id prefix, or a unique fragment of a subject or company."""
    convs: dict[str, Conversation] = result.conversations
    if query in convs:
        return query
    companies = {d.conversation: (d.company or "") for d in result.decisions}
    q = query.lower()
    hits = [cid for cid in convs if cid.startswith(query)]
    if not hits:
        hits = [cid for cid, c in convs.items()
                if q in c.subject.lower() or q in companies.get(cid, "").lower()]
    tracked = {d.conversation for d in result.decisions}
    if len(hits) > 1 and len([h for h in hits if h in tracked]) == 1:
        hits = [h for h in hits if h in tracked]
    if len(hits) == 1:
        return hits[0]
    if not hits:
        raise AgentError(f"No conversation matches {query!r}. `followup-agent status` lists them.")
    listing = "; ".join(f"{h} ({convs[h].subject[:50]})" for h in hits[:10])
    raise AgentError(f"{query!r} matches {len(hits)} conversations: {listing}. Use the id.")


def _company(conv: Conversation, dec: Decision, config: Config) -> str:
    """The company's name with where it was read, when the name shown is the one read from the mail."""
    found = company_name(conv, config)
    if found is not None and found.name == dec.company:
        return found.describe()
    return dec.company or "unknown"


def explain(query: str, result: Any, config: Config) -> str:
    cid = find_conversation(query, result)
    conv: Conversation = result.conversations[cid]
    tz = config.account.tz
    dec: Decision | None = next((d for d in result.decisions if d.conversation == cid), None)
    lines = [f"Conversation {cid}: {conv.subject!r}"]
    tracking: Tracking | None = getattr(result, "tracking", {}).get(cid) or next(
        (t for c, t in result.untracked if c.id == cid), None)
    if dec is None and tracking is not None and tracking.possible:
        lines.append(f"Possible, not tracked: {tracking.reason}. Nothing is drafted until you settle it:")
        lines.extend(f"  {cmd.format(thread=cid)}" for cmd in SETTLE)
    elif dec is None:
        lines.append(f"Not tracked: {tracking.reason if tracking else 'not a recruiting conversation'}.")
        lines.append(f"  (wrong? {SETTLE[0].format(thread=cid)})")
    else:
        lines.append(f"Company: {_company(conv, dec, config)}")
        lines.append(f"Tracked because: {dec.tracked_because}.")
        lines.append(f"State: {dec.state}. {dec.reason}")
    if tracking is not None and tracking.cues:
        lines.append("")
        lines.append("Evidence weighed (your own job search or something else):")
        for c in sorted(tracking.cues, key=lambda c: (c.kind, -c.weight)):
            lines.append(f"  {c.kind:<14} +{c.weight}  {c.name}: \u201c{c.quote[:110]}\u201d")
    lines.append("")
    lines.append("Messages:")
    for m in conv.messages:
        when = m.date.astimezone(tz).strftime("%Y-%m-%d %H:%M") if m.date else "(no date)"
        who = m.from_.email if m.from_ else "(no sender)"
        lines.append(f"  {when}  {who:<36} {m.subject[:60]}")
    if dec is not None:
        lines.append("")
        lines.append("Events (with evidence):")
        for f in dec.facts:
            when = f.at.astimezone(tz).strftime("%Y-%m-%d %H:%M") if f.at else "(undated)"
            extra = _data(_details(f), config)
            lines.append(f"  {when}  {f.kind:<20} \u201c{f.evidence.quote}\u201d{extra}")
        if not dec.facts:
            lines.append("  (none)")
        lines.append("")
        lines.append("Rules applied:")
        for r in dec.rules:
            lines.append(f"  - {r}")
        if dec.next is not None:
            n = dec.next
            lines.append("")
            lines.append(f"Next: {n.kind} due {n.due.astimezone(tz):%a %Y-%m-%d %H:%M %Z} to {n.to or '(nobody)'}")
            for a in n.arithmetic:
                lines.append(f"  {a}")
            if dec.no_recipient:
                lines.append(f"  No draft can be written: {dec.no_recipient}.")
        if dec.unusable:
            lines.append(f"Unusable addresses (bounced): {', '.join(dec.unusable)}")
    plan = [a for a in result.plan if a.conversation == cid]
    if plan:
        lines.append("")
        lines.append("This poll would:")
        for a in plan:
            lines.append(f"  {a.kind} {a.step or ''}: {a.reason}")
    history = result.history.get(cid, [])
    if history:
        lines.append("")
        lines.append("Drafts so far:")
        for h in history:
            when = h.updated_at.astimezone(tz).strftime("%Y-%m-%d %H:%M")
            lines.append(f"  {h.step:<12} {h.status:<13} {when}  {h.reason or h.message_id}")
    return "\n".join(lines) + "\n"


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
        case Bounce():
            return [("addresses", list(f.addresses))]
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
