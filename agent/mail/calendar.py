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
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

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
_PROP_NAME = re.compile(r"^([A-Za-z0-9-]+)[;:]")

# Windows zone names that Outlook/Exchange write as TZID, usually with a
# VTIMEZONE (which icalendar resolves) but sometimes without one.
_WINDOWS_ZONES = {
    "pacific standard time": "America/Los_Angeles",
    "mountain standard time": "America/Denver",
    "us mountain standard time": "America/Phoenix",
    "central standard time": "America/Chicago",
    "eastern standard time": "America/New_York",
    "atlantic standard time": "America/Halifax",
    "alaskan standard time": "America/Anchorage",
    "hawaiian standard time": "Pacific/Honolulu",
    "gmt standard time": "Europe/London",
    "greenwich standard time": "Atlantic/Reykjavik",
    "w. europe standard time": "Europe/Berlin",
    "central europe standard time": "Europe/Budapest",
    "central european standard time": "Europe/Warsaw",
    "romance standard time": "Europe/Paris",
    "e. europe standard time": "Europe/Chisinau",
    "fle standard time": "Europe/Kiev",
    "gtb standard time": "Europe/Bucharest",
    "russian standard time": "Europe/Moscow",
    "israel standard time": "Asia/Jerusalem",
    "india standard time": "Asia/Kolkata",
    "china standard time": "Asia/Shanghai",
    "singapore standard time": "Asia/Singapore",
    "tokyo standard time": "Asia/Tokyo",
    "korea standard time": "Asia/Seoul",
    "aus eastern standard time": "Australia/Sydney",
    "new zealand standard time": "Pacific/Auckland",
    "utc": "UTC",
    "coordinated universal time": "UTC",
}


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
    text = _filter(data[:MAX_ICS_BYTES])
    if not text:
        return ()
    import icalendar

    try:
        calendars: Any = icalendar.Calendar.from_ical(text, multiple=True)
    except Exception:
        return ()
    fallback = _zone(default_tz) or UTC
    events: list[CalendarEvent] = []
    seen: set[CalendarEvent] = set()
    for cal in calendars or ():
        method = _upper(cal.get("METHOD"))
        for vevent in cal.walk("VEVENT"):
            event = _event(vevent, method, fallback)
            if event is None or event in seen:
                continue
            seen.add(event)
            events.append(event)
            if len(events) >= MAX_EVENTS:
                return tuple(events)
    return tuple(events)


def _filter(data: bytes) -> str:
    """Unfold content lines and keep only the components and properties we read."""
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
            comp = line.partition(":")[2].strip().upper()
            if name == "BEGIN":
                if skipping or comp not in _KEEP_COMPONENTS:
                    skipping += 1
                    continue
                stack.append(comp)
                out.append(f"BEGIN:{comp}")
            else:
                if skipping:
                    skipping -= 1
                    continue
                if stack and stack[-1] == comp:
                    stack.pop()
                    out.append(f"END:{comp}")
        elif not skipping and stack and name in _KEEP_PROPS:
            out.append(line[:2000])
        if len(out) >= MAX_ICS_LINES:
            break
    if not out:
        return ""
    return "\r\n".join(out) + "\r\n"


def _event(vevent: Any, method: str | None, fallback: tzinfo) -> CalendarEvent | None:
    """One VEVENT to a CalendarEvent, or None when it has no usable DTSTART."""
    start_prop = vevent.get("DTSTART")
    start_raw = getattr(start_prop, "dt", None)
    if not isinstance(start_raw, date):
        return None
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


def _to_utc(value: date, tzid: str | None, fallback: tzinfo) -> tuple[datetime | None, str | None]:
    """Convert a DTSTART/DTEND value to aware UTC; also say which zone it was in."""
    try:
        if not isinstance(value, datetime):
            return datetime.combine(value, time(0, 0), tzinfo=fallback).astimezone(UTC), None
        if value.tzinfo is not None and value.utcoffset() is not None:
            key = getattr(value.tzinfo, "key", None)
            if tzid:
                name = _iana_name(tzid)
            elif isinstance(key, str):
                name = key
            else:
                name = "UTC" if value.utcoffset() == timedelta(0) else None
            return value.astimezone(UTC), name
        # naive: a TZID icalendar could not resolve, or a floating time
        if tzid:
            iana = _iana_name(tzid)
            zone = _zone(iana) if iana else None
            if zone is not None:
                return value.replace(tzinfo=zone).astimezone(UTC), iana
        return value.replace(tzinfo=fallback).astimezone(UTC), None
    except (OverflowError, ValueError):
        return None, None


def _iana_name(tzid: str) -> str | None:
    """An IANA name for a TZID: itself when zoneinfo knows it, else the Windows table."""
    cleaned = tzid.strip().strip('"')
    if _zone(cleaned) is not None:
        return cleaned
    return _WINDOWS_ZONES.get(cleaned.lower())


def _zone(name: str | None) -> tzinfo | None:
    """ZoneInfo for ``name`` or None (unknown names, path-like junk)."""
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except Exception:
        return None


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
