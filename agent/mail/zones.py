"""Calendar TZIDs to IANA zone names: IANA names, Windows names, Lotus Notes' short forms.

Outlook and Exchange write Windows zone names ("Romance Standard Time") as
TZID; Lotus Notes writes their first word ("FLE"). The Windows→IANA table is
CLDR's windowsZones mapping as the icalendar library ships it (regenerated
there from CLDR with each release), so no hand table goes stale here. A TZID
none of these name (a display name such as "(UTC-05:00) Eastern Time (US &
Canada)", a legacy "(GMT+01.00) Sarajevo/Warsaw/Zagreb") is left to the
calendar's own VTIMEZONE, which icalendar resolves.
"""

from __future__ import annotations

from functools import cache
from zoneinfo import ZoneInfo

__all__ = ["iana_name", "zone"]


@cache
def _windows() -> dict[str, str]:
    from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON

    table = {name.lower(): iana for name, iana in WINDOWS_TO_OLSON.items()}
    table.setdefault("coordinated universal time", "UTC")
    return table


def iana_name(tzid: str) -> str | None:
    """An IANA name for ``tzid``: itself when zoneinfo knows it, else CLDR's Windows mapping."""
    cleaned = tzid.strip().strip('"').strip()
    if zone(cleaned) is not None:
        return cleaned
    table = _windows()
    key = cleaned.lower()
    return table.get(key) or table.get(f"{key} standard time")


def zone(name: str | None) -> ZoneInfo | None:
    """ZoneInfo for ``name`` or None (unknown names, path-like junk)."""
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except Exception:
        return None
