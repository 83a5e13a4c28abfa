"""The user's business calendar: which days and hours a draft may appear in.

POLICY.md ("When a draft is due") computes every due time in the user's zone
and then *snaps* it forward to the next business moment: a business day
(Mon–Fri by default, minus the configured country's public holidays, observed
days included) within business hours (09:00–17:00 by default). This module is
that calendar and nothing else.

It is pure: it never reads the clock and does no I/O. The only state is a
per-instance cache of the holiday table for each year asked about, which is a
pure function of the constructor's arguments (the ``holidays`` package builds
a year's table in about a millisecond, but ``snap`` may be called for every
conversation on every poll).

Time-zone correctness: business hours are wall-clock times in the user's zone,
so every "day D at HH:MM" is built as a local wall time and only then turned
into an instant (:func:`wall_time`). Around a daylight-saving change a wall
time can be missing (spring forward) or occur twice (fall back); both are
resolved to *the first instant at which the local clock reads that time or
later*, which is what "the first business moment at or after" needs.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from agent.holiday_countries import holiday_class

if TYPE_CHECKING:
    from agent.config import Config

#: one year's public holidays: day -> name ("; "-joined when two fall on one day)
HolidayTable = Mapping[date, str]

_WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

# A business day always exists within this many days: business_days is never
# empty and no country has a year of public holidays. The bound only turns a
# bug into an error instead of an endless loop.
_MAX_SCAN_DAYS = 3 * 366


def wall_time(d: date, t: time, tz: ZoneInfo) -> datetime:
    """The first instant at which the clock in ``tz`` reads ``d`` ``t`` or later.

    Why not just ``datetime.combine(d, t, tzinfo=tz)``: that object names a
    wall time, not necessarily an instant that happened. In the spring-forward
    gap (02:30 on 2026-03-08 in New York) the wall time never occurs, and
    zoneinfo would silently pick an offset; here the answer is the moment the
    clock jumps (03:00 EDT), the first moment that is "at or after" 02:30. In
    the fall-back overlap (01:30 on 2026-11-01 occurs twice) the answer is the
    first occurrence (``fold=0``, EDT). The result is normalised, so its
    ``utcoffset()`` is the one really in force at that instant.

    Caveat for callers, true of every zoneinfo datetime: two datetimes sharing
    a tzinfo compare and subtract by wall clock, and one inside the fall-back
    hour never compares equal to another zone's (PEP 495). Compare
    ``.astimezone(UTC)`` values when that hour can be involved.
    """
    naive = datetime.combine(d, t)
    first = naive.replace(tzinfo=tz, fold=0).astimezone(UTC)
    second = naive.replace(tzinfo=tz, fold=1).astimezone(UTC)
    if second >= first:
        # Normal (equal) or ambiguous (second occurrence later): take the first.
        return first.astimezone(tz)
    # Nonexistent wall time: ``second`` (read with the post-jump offset) lies
    # before the jump and ``first`` (pre-jump offset) after it. Bisect, to the
    # second, for the earliest instant whose local reading is >= ``naive``.
    lo, hi = second, first  # local(lo) < naive <= local(hi)
    while hi - lo > timedelta(seconds=1):
        mid = lo + (hi - lo) / 2
        mid = mid.replace(microsecond=0)
        if mid <= lo:
            mid = lo + timedelta(seconds=1)
        if mid.astimezone(tz).replace(tzinfo=None) >= naive:
            hi = mid
        else:
            lo = mid
    return hi.astimezone(tz)


class BusinessCalendar:
    """Business days and hours in one time zone, with a country's public holidays.

    ``business_days`` uses Python's weekday numbers (Monday = 0 … Sunday = 6);
    ``start`` and ``end`` are naive wall-clock times in ``tz`` with
    ``start < end``. ``country`` is an ISO 3166 code the ``holidays`` package
    knows (``None`` for no public holidays); ``subdivision`` narrows it (a US
    state, "ENG"/"SCT" for Great Britain, ...). The config loader validates
    these for users; the constructor re-checks the cheap invariants so that a
    programming error fails loudly instead of looping.
    """

    def __init__(
        self,
        tz: ZoneInfo,
        business_days: tuple[int, ...],
        start: time,
        end: time,
        country: str | None,
        subdivision: str | None = None,
        known: Mapping[int, HolidayTable] | None = None,
    ) -> None:
        days = tuple(sorted(set(business_days)))
        if not days or any(not 0 <= d <= 6 for d in days):
            raise ValueError(f"business_days must be weekday numbers 0..6, not {business_days!r}")
        if start.tzinfo is not None or end.tzinfo is not None:
            raise ValueError("business hours are wall-clock times: pass naive datetime.time values")
        if end <= start:
            raise ValueError(f"business hours end {end} is not after start {start}")
        self.tz = tz
        self.business_days = days
        self.start = start
        self.end = end
        self.country = country or None
        self.subdivision = subdivision if self.country else None
        # ``known``: years' tables computed before (agent/holiday_cache.py keeps them between
        # processes, since importing the ``holidays`` package costs more than a poll's decisions)
        self._holiday_years: dict[int, HolidayTable] = dict(known or {}) if self.country else {}

    @classmethod
    def from_config(cls, config: Config, known: Mapping[int, HolidayTable] | None = None) -> BusinessCalendar:
        """The calendar described by ``config.account`` and ``config.schedule`` (``known``: tables
        of some years for this country and subdivision, computed before)."""
        s = config.schedule
        return cls(
            config.account.tz,
            s.business_days,
            s.business_start,
            s.business_end,
            s.holidays,
            s.holidays_subdivision,
            known,
        )

    def holiday_tables(self) -> dict[int, HolidayTable]:
        """Every year's table this calendar holds, given or computed (what a cache keeps)."""
        return dict(self._holiday_years)

    def __repr__(self) -> str:
        days = ",".join(_WEEKDAY_NAMES[d][:3] for d in self.business_days)
        return (
            f"BusinessCalendar(tz={self.tz.key!r}, days={days}, "
            f"hours={self.start:%H:%M}-{self.end:%H:%M}, country={self.country!r}, "
            f"subdivision={self.subdivision!r})"
        )

    # --- days ----------------------------------------------------------------------

    def _holidays_for(self, year: int) -> HolidayTable | None:
        # Lazily, one year at a time: a calendar typically only ever sees this
        # year and the next. ``observed=True`` (the default, spelled out) adds
        # the weekday a weekend holiday is moved to ("Christmas Day (observed)"),
        # and the package files an observed day under the year it falls in
        # (New Year's Day 2022, a Saturday, is observed on Fri 2021-12-31).
        if self.country is None:
            return None
        if year not in self._holiday_years:
            # a plain dict of the year's entries: the same answer for a day of that year as
            # the package's table (which only grows when asked about another year)
            table = holiday_class(self.country)(subdiv=self.subdivision, years=year, observed=True)
            self._holiday_years[year] = {d: str(name) for d, name in table.items()}
        return self._holiday_years[year]

    def holiday_name(self, d: date) -> str | None:
        """The public holiday on ``d`` (observed days included), or ``None``."""
        table = self._holidays_for(d.year)
        if table is None:
            return None
        name = table.get(d)
        return str(name) if name else None

    def is_business_day(self, d: date) -> bool:
        """True when ``d`` is one of the business weekdays and not a public holiday."""
        return d.weekday() in self.business_days and self.holiday_name(d) is None

    def next_business_day(self, d: date) -> date:
        """The first business day strictly after ``d``."""
        for i in range(1, _MAX_SCAN_DAYS):
            candidate = d + timedelta(days=i)
            if self.is_business_day(candidate):
                return candidate
        raise ValueError(f"no business day within {_MAX_SCAN_DAYS} days after {d}")  # pragma: no cover

    def previous_business_day(self, d: date) -> date:
        """The last business day strictly before ``d``."""
        for i in range(1, _MAX_SCAN_DAYS):
            candidate = d - timedelta(days=i)
            if self.is_business_day(candidate):
                return candidate
        raise ValueError(f"no business day within {_MAX_SCAN_DAYS} days before {d}")  # pragma: no cover

    def add_business_days(self, d: date, n: int) -> date:
        """``d`` moved by ``n`` business days (backwards when ``n`` is negative).

        Counting starts from ``d`` whether or not ``d`` is itself a business
        day, so Friday + 1 and Saturday + 1 are both the following Monday
        (absent holidays). ``n == 0`` returns ``d`` unchanged, even on a
        weekend: adding nothing moves nothing; use :meth:`snap` to land on
        business time.
        """
        step = self.next_business_day if n > 0 else self.previous_business_day
        for _ in range(abs(n)):
            d = step(d)
        return d

    # --- instants ------------------------------------------------------------------

    def business_day_start(self, d: date) -> datetime:
        """The start of business hours on day ``d`` (whether or not ``d`` is a business day)."""
        return wall_time(d, self.start, self.tz)

    def business_day_end(self, d: date) -> datetime:
        """The end of business hours on day ``d``: the first instant that is no longer inside."""
        return wall_time(d, self.end, self.tz)

    def next_business_day_start(self, d: date) -> datetime:
        """The start of business hours on the first business day strictly after ``d``.

        The policy uses it for "the next business day after an out-of-office
        return date".
        """
        return self.business_day_start(self.next_business_day(d))

    def end_of_day(self, d: date, tz: ZoneInfo | None = None) -> datetime:
        """The first instant after day ``d`` in ``tz`` (the user's zone by default).

        A deadline's "last day" lasts until midnight; the policy's "exceeded by
        more than a week" starts here. Where a zone skips midnight (some zones
        change clocks at 00:00), this is the moment the new day begins.
        """
        return wall_time(d + timedelta(days=1), time(0, 0), tz or self.tz)

    def snap(self, dt: datetime) -> datetime:
        """The first business moment at or after ``dt``, in the user's zone.

        Inside business hours on a business day ``dt`` is returned unchanged
        (as the same instant, expressed in the user's zone; see the caveat in
        :func:`wall_time` about comparing it); before the start
        it moves to that day's start; at or after the end, or on a weekend or
        holiday, to the start of the next business day.
        """
        return self.describe_snap(dt)[0]

    def describe_snap(self, dt: datetime) -> tuple[datetime, str | None]:
        """:meth:`snap` plus a short reason when the time moved, for ``explain``.

        The reason names the first obstacle met: a non-business weekday
        ("Saturday → next business day"), a holiday ("Thanksgiving Day is a
        public holiday"), or the hours ("before business hours", "after
        business hours"). A weekday that is not a business day is named even
        when it is also a holiday, because it would not be a business day
        anyway. ``None`` when ``dt`` was already a business moment.
        """
        if dt.tzinfo is None or dt.utcoffset() is None:
            raise ValueError(f"snap needs an aware datetime, not {dt!r}")
        local = dt.astimezone(self.tz)
        day = local.date()
        if day.weekday() not in self.business_days:
            return self.next_business_day_start(day), f"{_WEEKDAY_NAMES[day.weekday()]} → next business day"
        holiday = self.holiday_name(day)
        if holiday is not None:
            return self.next_business_day_start(day), f"{holiday} is a public holiday"
        # Compare instants in UTC: Python compares two datetimes that share a
        # tzinfo by wall clock, ignoring ``fold``, which is wrong in the
        # fall-back hour.
        instant = dt.astimezone(UTC)
        start = self.business_day_start(day)
        if instant < start.astimezone(UTC):
            return start, "before business hours"
        if instant >= self.business_day_end(day).astimezone(UTC):
            return self.next_business_day_start(day), "after business hours"
        return local, None

    def is_business_moment(self, dt: datetime) -> bool:
        """True when ``dt`` is inside business hours on a business day."""
        return self.describe_snap(dt)[1] is None
