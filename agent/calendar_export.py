"""The interview calendar: the job search's interviews and due follow-ups as an iCalendar file.

Built from the pipeline records the last poll stored (agent/pipeline.py), so it
reads the state and never the mailbox, and holds subjects, names and dates only,
never a message body. A calendar app subscribed to the file must *update* its
events, not duplicate them, so:

* each event's UID comes from the conversation id and what the event is (its
  interview's place among the conversation's interviews; the follow-up's step
  and round), never from a time: a rescheduled interview or a moved due time
  keeps its UID;
* SEQUENCE goes up when an event's content changes and stays put when it does
  not. What the last export wrote is read back from the file itself (each event
  carries a hash of its content in ``X-FOLLOWUP-AGENT-HASH``). Why the file and
  not a table in the state: the file is exactly what subscribers saw; ``calendar
  --ics`` can run beside the service without the state lock (it reads the state
  read-only); and two files (say one synced, one for a test) each keep their own
  history. Deleting the file starts its SEQUENCEs at 0 again;
* an event that is no longer planned (an interview called off, a conversation
  closed, rejected or withdrawn, a follow-up no longer owed) stays in the file as
  STATUS:CANCELLED while it lies ahead, so subscribed apps remove it; past ones
  stay as they were (the history of the search) and drop out after
  :data:`KEEP_GONE`.

:func:`calendar_bytes` is pure (``now`` is passed in); :func:`export` reads the
previous file and writes the new one atomically (a temporary file renamed over
it), so a subscribed app never reads half a file, and only when a byte changed.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from icalendar import Calendar, Event

from agent.config import Config
from agent.pipeline import rows
from agent.rounds import FOLLOW_UP_1, FOLLOW_UP_2, THANK_YOU

__all__ = ["FOLLOW_UP_LENGTH", "KEEP_GONE", "PRODID", "Export", "Planned", "calendar_bytes", "export",
           "planned_events"]

PRODID = "-//followup-agent//Interview calendar//EN"
#: A follow-up is a reminder, not a meeting: a short slot at the due time.
FOLLOW_UP_LENGTH = timedelta(minutes=15)
#: How long an event no longer planned (cancelled, or past and gone from the records) stays in the file.
KEEP_GONE = timedelta(days=30)
_UID_HOST = "followup-agent"
_HASH = "X-FOLLOWUP-AGENT-HASH"
_STEP_LABEL = {THANK_YOU: "thank-you note", FOLLOW_UP_1: "first follow-up", FOLLOW_UP_2: "second follow-up"}
#: Stages after which an interview still ahead will not happen (an offer does not call one off).
_CALLED_OFF = frozenset({"rejected", "withdrew", "moved on", "closed"})


@dataclass(frozen=True)
class Planned:
    """One event the calendar should hold now (times aware, UTC)."""

    uid: str
    kind: str  # "interview" or "follow-up"
    conversation: str
    summary: str
    description: str
    start: datetime
    end: datetime
    cancelled: bool = False

    @property
    def fingerprint(self) -> str:
        """What a subscriber sees of the event: a change here is a new SEQUENCE."""
        text = "\0".join((self.summary, self.description, self.start.isoformat(), self.end.isoformat(),
                          "CANCELLED" if self.cancelled else "CONFIRMED"))
        return hashlib.sha256(text.encode()).hexdigest()[:32]


def _uid(*identity: str) -> str:
    """A UID from what the event is (never when): the same conversation and identity, the same UID."""
    return f"{identity[1]}-{hashlib.sha256(chr(0).join(identity).encode()).hexdigest()[:24]}@{_UID_HOST}"


def planned_events(records: Iterable[Mapping[str, Any]], now: datetime, config: Config) -> list[Planned]:
    """Every interview of the stored records and each conversation's due follow-up, at ``now``."""
    records = list(records)
    by_id = {r.conversation: r for r in rows(records, now, config)}
    out: list[Planned] = []
    for rec in records:
        row = by_id[rec["conversation"]]
        name = rec["company"] or rec["subject"]
        out += _interviews(rec, name, called_off=row.stage in _CALLED_OFF, now=now, config=config)
        if row.next_step is not None and row.next_due is not None:
            nxt = rec.get("next") or {}
            out.append(_follow_up(rec, name, row.next_step, str(nxt.get("round", "")), row.next_due))
    return sorted(out, key=lambda p: (p.start, p.uid))


def _interviews(rec: Mapping[str, Any], name: str, *, called_off: bool, now: datetime,
                config: Config) -> list[Planned]:
    """The conversation's interviews, numbered in time order: the number is their identity, so a
    rescheduled interview (the same place in the order, another time) keeps its UID. The end is
    the invitation's or the stated length's; without one (an end not after the start),
    ``policy.interview_default_minutes``, the length the policy assumes too."""
    default = config.policy.interview_default_length
    role = rec["role"]
    out = []
    for n, iv in enumerate(sorted(rec["interviews"], key=lambda i: i["start"]), 1):
        start = datetime.fromisoformat(iv["start"]).astimezone(UTC)
        end = datetime.fromisoformat(iv["end"]).astimezone(UTC)
        end = end if end > start else start + default
        lines = [f"Interview {n} of the conversation \u201c{rec['subject']}\u201d."]
        if iv.get("summary"):
            lines.append(f"Invitation: {iv['summary']}")
        lines.append(f"Conversation id: {rec['conversation']} (followup-agent explain {rec['conversation']})")
        out.append(Planned(
            uid=_uid(rec["conversation"], "interview", str(n)), kind="interview",
            conversation=rec["conversation"], summary=f"Interview: {name} \u2014 {role}" if role
            else f"Interview: {name}", description="\n".join(lines), start=start, end=end,
            cancelled=called_off and start > now))
    return out


def _follow_up(rec: Mapping[str, Any], name: str, step: str, rnd: str, due: datetime) -> Planned:
    """The step owed next, at its due time; its identity is the step and the round it belongs to,
    so a due time that moves keeps the UID."""
    label = _STEP_LABEL.get(step, step.replace("_", " "))
    start = due.astimezone(UTC)
    description = (f"The {label} in \u201c{rec['subject']}\u201d is due. followup-agent writes its draft into "
                   "your Drafts folder when it falls due (it never sends): read it there and send it "
                   f"yourself.\nConversation id: {rec['conversation']} "
                   f"(followup-agent explain {rec['conversation']})")
    return Planned(uid=_uid(rec["conversation"], "follow-up", step, rnd), kind="follow-up",
                   conversation=rec["conversation"], summary=f"Follow up: {name} ({label})",
                   description=description, start=start, end=start + FOLLOW_UP_LENGTH)


# --- the file -------------------------------------------------------------------------------


def calendar_bytes(planned: Sequence[Planned], previous: bytes | None, now: datetime,
                   name: str = "Job search") -> bytes:
    """The iCalendar file: ``planned`` with the SEQUENCE and DTSTAMP the previous file gives them,
    and the previous file's events no longer planned (cancelled while ahead, kept a while when past).
    The same input gives the same bytes, so an unchanged search rewrites nothing."""
    old = _previous_events(previous)
    cal = Calendar()
    for key, value in (("prodid", PRODID), ("version", "2.0"), ("calscale", "GREGORIAN"),
                       ("method", "PUBLISH"), ("x-wr-calname", name),
                       ("x-wr-caldesc", "Interviews and follow-ups found by followup-agent")):
        cal.add(key, value)
    cal.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", "PT1H")
    events = [_event(p, old.get(p.uid), now) for p in planned]
    seen = {p.uid for p in planned}
    events += [e for uid, ev in old.items() if uid not in seen and (e := _gone(ev, now)) is not None]
    for ev in sorted(events, key=lambda e: (e.decoded("dtstart"), str(e["uid"]))):
        cal.add_component(ev)
    return bytes(cal.to_ical())


def _previous_events(previous: bytes | None) -> dict[str, Event]:
    """The events an earlier export wrote (ours by their UID); nothing from a file that does not parse."""
    if not previous:
        return {}
    try:
        cal = Calendar.from_ical(previous)
    except ValueError:
        return {}
    return {str(e["uid"]): e for e in cal.walk("VEVENT")
            if isinstance(e, Event) and str(e.get("uid", "")).endswith(f"@{_UID_HOST}") and _HASH in e}


def _event(p: Planned, prev: Event | None, now: datetime) -> Event:
    same = prev is not None and str(prev[_HASH]) == p.fingerprint
    seq = 0 if prev is None else int(prev.get("sequence", 0)) + (0 if same else 1)
    stamp = prev.decoded("dtstamp") if same and prev is not None else now.astimezone(UTC)
    ev = Event()
    ev.add("uid", p.uid)
    ev.add("dtstamp", stamp)
    ev.add("last-modified", stamp)
    ev.add("dtstart", p.start)
    ev.add("dtend", p.end)
    ev.add("summary", p.summary)
    ev.add("description", p.description)
    ev.add("status", "CANCELLED" if p.cancelled else "CONFIRMED")
    ev.add("transp", "OPAQUE" if p.kind == "interview" else "TRANSPARENT")
    ev.add("categories", ["Interview" if p.kind == "interview" else "Follow-up"])
    ev.add("sequence", seq)
    ev.add(_HASH, p.fingerprint)
    return ev


def _gone(ev: Event, now: datetime) -> Event | None:
    """An event the last export wrote that is no longer planned: cancelled (SEQUENCE + 1) while it
    lies ahead, so a subscribed app removes it; left as it was when past; dropped after KEEP_GONE."""
    if ev.decoded("dtend") < now - KEEP_GONE:
        return None
    if str(ev.get("status", "")) == "CANCELLED" or ev.decoded("dtstart") <= now:
        return ev
    out = Event()
    for key in ("uid", "dtstart", "dtend", "summary", "description", "transp", "categories"):
        if key in ev:
            out[key] = ev[key]
    stamp = now.astimezone(UTC)
    out.add("dtstamp", stamp)
    out.add("last-modified", stamp)
    out.add("status", "CANCELLED")
    out.add("sequence", int(ev.get("sequence", 0)) + 1)
    out.add(_HASH, "cancelled")
    return out


# --- writing it -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Export:
    """What one export did."""

    path: Path
    interviews: int
    follow_ups: int
    cancelled: int
    written: bool  # False: the file already said exactly this


def export(records: Iterable[Mapping[str, Any]], path: Path, now: datetime, config: Config) -> Export:
    """Plan the events, merge them with what ``path`` holds, and replace it when anything changed."""
    planned = planned_events(records, now, config)
    try:
        previous: bytes | None = path.read_bytes()
    except FileNotFoundError:
        previous = None
    data = calendar_bytes(planned, previous, now, config.calendar.name)
    written = data != previous
    if written:
        write_atomically(path, data)
    cancelled = sum(1 for e in Calendar.from_ical(data).walk("VEVENT") if str(e.get("status")) == "CANCELLED")
    return Export(path=path, interviews=sum(p.kind == "interview" for p in planned),
                  follow_ups=sum(p.kind == "follow-up" for p in planned), cancelled=cancelled, written=written)


def write_atomically(path: Path, data: bytes) -> None:
    """Write beside ``path`` and rename over it: a reader sees the old file or the new one, never
    half of one. A new file is private to the user (0600); an existing file keeps its mode."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        mode = path.stat().st_mode & 0o777
    except FileNotFoundError:
        mode = 0o600
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
