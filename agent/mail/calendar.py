"""Calendar invitations (text/calendar, .ics) to :class:`CalendarEvent` values.

An interview invitation is the strongest evidence the policy has that an
interview happened and when it ended, so the times must be right: every
start and end comes back as an aware UTC datetime, with the organiser's zone
kept in ``tzid`` for the business-time logic. Invitations arrive from many
generators and some are junk, so :func:`parse_calendar` never raises; a part
it cannot read simply yields no events.

Before icalendar sees the data we keep only the components and properties we
read (VCALENDAR, VEVENT, VTIMEZONE and its rules). That drops the bulky
DESCRIPTION / X-ALT-DESC / ATTACH values and alarms, which keeps parsing fast
on hostile input (icalendar needs tens of seconds for 10 MB of content lines)
and stops an alarm's DURATION or SUMMARY leaking into its event.

Real calendars are often slightly broken (a stray ``END:VCALENDARD``, a space
after ``DTEND:``, an empty ``TZID=``, one event with a bad DTSTART among
good ones), so each VEVENT is handed to icalendar on its own, with its
calendar's METHOD and VTIMEZONEs: a bad event or line costs only itself.
A TZID that names a zone (IANA, or Windows via CLDR: :mod:`agent.mail.zones`)
is read in that zone; any other TZID by the calendar's VTIMEZONE.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any

from agent.lazy_pattern import lazy
from agent.mail.zones import iana_name, zone
from agent.model import CalendarEvent

__all__ = ["MAX_EVENTS", "MAX_ICS_BYTES", "parse_calendar"]

#: At most this many events are returned from one calendar part.
MAX_EVENTS = 50
#: Bytes of calendar data looked at; anything after is ignored.
MAX_ICS_BYTES = 2 * 1024 * 1024
#: Content lines handed to icalendar after filtering.
MAX_ICS_LINES = 5000
_MAX_TEXT = 500

_KEEP_COMPONENTS = frozenset({"VCALENDAR", "VEVENT", "VTIMEZONE", "STANDARD", "DAYLIGHT"})
_KEEP_PROPS = frozenset(
    {
        "METHOD",
        "VERSION",
        "PRODID",
        "DTSTART",
        "DTEND",
        "DTSTAMP",
        "DURATION",
        "SUMMARY",
        "UID",
        "ORGANIZER",
        "ATTENDEE",
        "DESCRIPTION",
        "STATUS",
        "SEQUENCE",
        "TZID",
        "TZOFFSETFROM",
        "TZOFFSETTO",
        "TZNAME",
        "RRULE",
        "RDATE",
    }
)
_PROP_NAME = lazy(r"^([A-Za-z0-9-]+)[;:]")

#: properties whose value is a token or a date: a space after the colon is a generator's slip
_TRIM_VALUE = frozenset({"METHOD", "DTSTART", "DTEND", "DURATION", "STATUS", "SEQUENCE"})
#: a name for a VTIMEZONE written with an empty TZID (Exchange does), so events can refer to it
_UNNAMED_TZ = "unnamed-zone"


def parse_calendar(data: bytes, default_tz: str | None = None) -> tuple[CalendarEvent, ...]:
    """Return the VEVENTs in ``data`` (at most :data:`MAX_EVENTS`); never raises.

    ``default_tz`` is the zone for floating times and all-day dates: the
    organiser's when known, else the user's; UTC when None or unknown.
    """
    try:
        return _parse(data, default_tz)
    except Exception:  # icalendar on hostile input; a bad invitation is no event
        return ()


def _parse(data: bytes, default_tz: str | None) -> tuple[CalendarEvent, ...]:
    if not data:
        return ()
    fallback = zone(default_tz) or UTC
    events: list[CalendarEvent] = []
    for method, text in _event_calendars(_filter(data[:MAX_ICS_BYTES])):
        event = _read_one(text, method, fallback)
        if event is None or event in events:
            continue
        events.append(event)
        if len(events) >= MAX_EVENTS:
            break
    return tuple(events)


def _read_one(text: str, method: str | None, fallback: tzinfo) -> CalendarEvent | None:
    """The one VEVENT of ``text`` (a calendar built by :func:`_event_calendars`), or None."""
    import icalendar

    try:
        cal: Any = icalendar.Calendar.from_ical(text)
        vevent = next(iter(cal.walk("VEVENT")), None)
        return None if vevent is None else _event(vevent, method, fallback)
    except Exception:  # icalendar on one broken event: that event is lost, not its neighbours
        return None


def _event_calendars(lines: list[str]) -> list[tuple[str | None, str]]:
    """One small calendar per VEVENT: its calendar's METHOD and VTIMEZONEs, then the event."""
    out: list[tuple[str | None, str]] = []
    method: str | None = None
    zones: list[str] = []
    block: list[str] = []
    for line in lines:
        if line == "BEGIN:VCALENDAR":
            method, zones = None, []
        elif line.upper().startswith("METHOD:") and not block:
            method = line.partition(":")[2].strip().upper() or None
        elif line in ("BEGIN:VTIMEZONE", "BEGIN:VEVENT") or block:
            block.append(line)
            if line == "END:VTIMEZONE":
                zones.extend(block)
                block = []
            elif line == "END:VEVENT":
                out.append((method, _calendar_text([*zones, *block])))
                block = []
    return out


def _calendar_text(lines: list[str]) -> str:
    return "\r\n".join(["BEGIN:VCALENDAR", "VERSION:2.0", *lines, "END:VCALENDAR", ""])


def _filter(data: bytes) -> list[str]:
    """Unfold content lines; keep only the components and properties we read, each block closed."""
    text = data.decode("utf-8", "replace").replace("\x00", "")
    text = re.sub(r"\r?\n[ \t]", "", text.replace("\r\n", "\n").replace("\r", "\n"))
    out: list[str] = []
    stack: list[str] = []
    skipping = 0  # depth inside a component we do not keep
    for line in text.split("\n"):
        match = _PROP_NAME.match(line)
        if not match:
            continue
        name = match.group(1).upper()
        if name in ("BEGIN", "END"):
            skipping = _component(line, name == "BEGIN", stack, skipping, out)
        elif not skipping and stack and name in _KEEP_PROPS:
            out.append(_tolerant(line[:2000], name))
        if len(out) >= MAX_ICS_LINES:
            break
    # a component never closed (a stray END:VCALENDARD, a cut-off part) is closed here
    out.extend(f"END:{comp}" for comp in reversed(stack))
    return out


def _component(line: str, begin: bool, stack: list[str], skipping: int, out: list[str]) -> int:
    """Track one BEGIN/END line; return the new skipping depth."""
    comp = line.partition(":")[2].strip().upper()
    if begin:
        if skipping or comp not in _KEEP_COMPONENTS:
            return skipping + 1
        while comp in ("VCALENDAR", "VEVENT", "VTIMEZONE") and comp in stack:  # reopened: close the old one
            out.append(f"END:{stack.pop()}")
        stack.append(comp)
        out.append(f"BEGIN:{comp}")
        return skipping
    if skipping:
        return skipping - 1
    if comp in stack:  # an END that skips inner ENDs closes those too
        while stack:
            top = stack.pop()
            out.append(f"END:{top}")
            if top == comp:
                break
    return skipping


def _tolerant(line: str, name: str) -> str:
    """Mend the slips real generators make: a space after the colon, an empty TZID."""
    head, sep, value = line.partition(":")
    if name == "TZID" and not value.strip() and ";" not in head:
        value = _UNNAMED_TZ
    head = re.sub(r";TZID=(?=;|$)", f";TZID={_UNNAMED_TZ}", head, flags=re.I)
    if name in _TRIM_VALUE:
        value = value.strip()
    return f"{head}{sep}{value}"


def _event(vevent: Any, method: str | None, fallback: tzinfo) -> CalendarEvent | None:
    """One VEVENT to a CalendarEvent, or None when it has no usable DTSTART."""
    start_prop = vevent.get("DTSTART")
    start_raw = getattr(start_prop, "dt", None)
    if not isinstance(start_raw, date):
        return _uid_cancellation(vevent, method, fallback)
    tzid_param = _param(start_prop, "TZID")
    all_day = not isinstance(start_raw, datetime)
    start, tzid = _to_utc(start_raw, tzid_param, fallback)
    if start is None:
        return None
    end: datetime | None = None
    end_prop = vevent.get("DTEND")
    end_raw = getattr(end_prop, "dt", None)
    duration = getattr(vevent.get("DURATION"), "dt", None)
    if isinstance(end_raw, date):
        end, _ = _to_utc(end_raw, _param(end_prop, "TZID") or tzid_param, fallback)
    elif isinstance(duration, timedelta):
        end = _add(start, duration)
    elif all_day:
        end = _add(start, timedelta(days=1))
    if end is not None and end < start:
        end = None
    return CalendarEvent(
        summary=_text(vevent.get("SUMMARY")),
        start=start,
        end=end,
        tzid=tzid,
        uid=_text(vevent.get("UID")) or None,
        organizer=_organizer(vevent.get("ORGANIZER")),
        organizer_name=_param(vevent.get("ORGANIZER"), "CN") or None,
        attendees=_attendees(vevent.get("ATTENDEE")),
        description=_text(vevent.get("DESCRIPTION")),
        method=method,
        status=_upper(vevent.get("STATUS")),
        sequence=_int(vevent.get("SEQUENCE")),
        all_day=all_day,
    )


def _uid_cancellation(vevent: Any, method: str | None, fallback: tzinfo) -> CalendarEvent | None:
    """A CANCEL that names its meeting only by UID and SEQUENCE, as RFC 5546 lets an organiser call
    off a whole meeting (Thunderbird does for a series): read, with its DTSTAMP standing in for the
    start it does not give (``start_given`` False), so that the invitation it cancels is found by UID."""
    uid = _text(vevent.get("UID")) or None
    stamp = getattr(vevent.get("DTSTAMP"), "dt", None)
    if method != "CANCEL" or uid is None or not isinstance(stamp, datetime):
        return None
    start, _ = _to_utc(stamp, None, fallback)
    if start is None:
        return None
    return CalendarEvent(summary=_text(vevent.get("SUMMARY")), start=start, uid=uid, method=method,
                         organizer=_organizer(vevent.get("ORGANIZER")), status=_upper(vevent.get("STATUS")),
                         sequence=_int(vevent.get("SEQUENCE")), start_given=False)


def _to_utc(value: date, tzid: str | None, fallback: tzinfo) -> tuple[datetime | None, str | None]:
    """Convert a DTSTART/DTEND value to aware UTC; also say which zone it was in.

    A TZID that names a zone wins over the VTIMEZONE icalendar built for it:
    the name is what the organiser chose, and some generators write rules that
    do not match it (a "New Zealand Standard Time" holding CET's).
    """
    try:
        if not isinstance(value, datetime):
            return datetime.combine(value, time(0, 0), tzinfo=fallback).astimezone(UTC), None
        iana = iana_name(tzid) if tzid else None
        known = zone(iana)
        if known is not None:
            return value.replace(tzinfo=known).astimezone(UTC), iana
        if value.tzinfo is not None and value.utcoffset() is not None:
            return value.astimezone(UTC), _zone_name(value)
        return value.replace(tzinfo=fallback).astimezone(UTC), None  # floating, or a zone nobody defined
    except (OverflowError, ValueError):
        return None, None


def _zone_name(value: datetime) -> str | None:
    """The IANA name of an aware value's zone, when it has one (a VTIMEZONE's custom zone has none)."""
    key = getattr(value.tzinfo, "key", None)
    if isinstance(key, str):
        return key
    return "UTC" if value.utcoffset() == timedelta(0) else None


def _add(start: datetime, delta: timedelta) -> datetime | None:
    try:
        return start + delta
    except OverflowError:
        return None


def _param(prop: Any, name: str) -> str | None:
    params = getattr(prop, "params", None)
    if params is None:
        return None
    try:
        value = params.get(name)
    except Exception:
        return None
    return str(value) if value else None


def _text(value: Any) -> str:
    if isinstance(value, list):  # a property written twice (a generator's slip): the first one counts
        value = value[0] if value else None
    if value is None:
        return ""
    try:
        return " ".join(str(value).split())[:_MAX_TEXT]
    except Exception:
        return ""


def _upper(value: Any) -> str | None:
    text = _text(value).upper()
    return text or None


def _int(value: Any) -> int:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return 0


#: attendees kept per event: enough to see who is on an interview panel, bounded for hostile input
MAX_ATTENDEES = 50


def _attendees(value: Any) -> tuple[str, ...]:
    """The attendees' addresses, lower-case (icalendar gives one value or a list)."""
    values = value if isinstance(value, list) else [] if value is None else [value]
    out = (_organizer(v) for v in values[:MAX_ATTENDEES])
    return tuple(dict.fromkeys(a for a in out if a))


def _organizer(value: Any) -> str | None:
    text = _text(value)
    if text.lower().startswith("mailto:"):
        text = text[7:]
    text = text.strip().lower()
    return text if "@" in text else None
