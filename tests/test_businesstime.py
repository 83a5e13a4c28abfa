"""The business calendar: days, hours, holidays, snapping and DST.

Every instant is passed in; nothing reads the clock. 2026 calendar used below:
Mon 2026-11-23 … Sun 2026-11-29 (Thanksgiving Thu 11-26), Christmas Fri
12-25, DST starts Sun 03-08 and ends Sun 11-01 in America/New_York.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from agent.businesstime import BusinessCalendar, wall_time
from agent.config import AccountConfig, Config, ScheduleConfig, StateConfig

NY = ZoneInfo("America/New_York")
LONDON = ZoneInfo("Europe/London")
TOKYO = ZoneInfo("Asia/Tokyo")


def us(**kw: object) -> BusinessCalendar:
    args: dict[str, object] = {
        "tz": NY,
        "business_days": (0, 1, 2, 3, 4),
        "start": time(9),
        "end": time(17),
        "country": "US",
    }
    args.update(kw)
    return BusinessCalendar(**args)  # type: ignore[arg-type]


def ny(y: int, mo: int, d: int, h: int = 0, mi: int = 0, s: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, s, tzinfo=NY)


# --- construction ------------------------------------------------------------------------


def test_from_config_uses_account_zone_and_schedule() -> None:
    config = Config(
        account=AccountConfig(name="A", addresses=("a@example.com",), timezone="Europe/London"),
        backend="maildir",
        state=StateConfig(path=Path("/nonexistent/state.db")),
        schedule=ScheduleConfig(
            holidays="GB",
            holidays_subdivision="SCT",
            business_days=(6, 0, 1, 2, 3),
            business_start=time(8, 30),
            business_end=time(16, 0),
        ),
    )
    cal = BusinessCalendar.from_config(config)
    assert cal.tz == LONDON
    assert cal.business_days == (0, 1, 2, 3, 6)
    assert (cal.start, cal.end) == (time(8, 30), time(16, 0))
    assert (cal.country, cal.subdivision) == ("GB", "SCT")
    assert cal.holiday_name(date(2026, 11, 30)) == "Saint Andrew's Day"  # Scotland only
    assert "Europe/London" in repr(cal)


@pytest.mark.parametrize(
    "kw",
    [
        {"business_days": ()},
        {"business_days": (7,)},
        {"business_days": (-1, 2)},
        {"start": time(17), "end": time(9)},
        {"start": time(9), "end": time(9)},
        {"start": time(9, tzinfo=UTC)},
    ],
)
def test_constructor_rejects_nonsense(kw: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        us(**kw)


# --- days ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("d", "expected"),
    [
        (date(2026, 11, 23), True),  # Monday
        (date(2026, 11, 25), True),  # Wednesday before Thanksgiving
        (date(2026, 11, 26), False),  # Thanksgiving
        (date(2026, 11, 27), True),  # Black Friday is not a federal holiday
        (date(2026, 11, 28), False),  # Saturday
        (date(2026, 11, 29), False),  # Sunday
        (date(2026, 12, 25), False),  # Christmas (Friday)
        (date(2026, 12, 24), True),
        (date(2026, 7, 3), False),  # Independence Day (observed): the 4th is a Saturday
        (date(2026, 7, 6), True),
        (date(2027, 12, 24), False),  # Christmas 2027 is a Saturday → observed Friday
        (date(2027, 12, 31), False),  # New Year 2028 is a Saturday → observed Fri Dec 31
        (date(2026, 1, 1), False),
        (date(2026, 1, 2), True),
    ],
)
def test_us_business_days(d: date, expected: bool) -> None:
    assert us().is_business_day(d) is expected


def test_holiday_names() -> None:
    cal = us()
    assert cal.holiday_name(date(2026, 11, 26)) == "Thanksgiving Day"
    assert cal.holiday_name(date(2026, 12, 25)) == "Christmas Day"
    assert cal.holiday_name(date(2026, 7, 3)) == "Independence Day (observed)"
    assert cal.holiday_name(date(2026, 11, 27)) is None
    assert cal.holiday_name(date(2026, 11, 28)) is None  # a weekend is not a holiday


def test_holiday_tables_are_cached_per_year() -> None:
    cal = us()
    cal.is_business_day(date(2026, 5, 1))
    cal.is_business_day(date(2026, 6, 1))
    cal.is_business_day(date(2027, 1, 4))
    assert sorted(cal._holiday_years) == [2026, 2027]


def test_no_country_means_no_holidays() -> None:
    cal = us(country=None)
    assert cal.is_business_day(date(2026, 11, 26))
    assert cal.holiday_name(date(2026, 12, 25)) is None
    assert not cal.is_business_day(date(2026, 11, 28))  # weekends still count


def test_great_britain_boxing_day_and_its_observed_day() -> None:
    cal = BusinessCalendar(LONDON, (0, 1, 2, 3, 4), time(9), time(17), "GB", "ENG")
    assert cal.holiday_name(date(2026, 12, 26)) == "Boxing Day"  # a Saturday
    assert cal.holiday_name(date(2026, 12, 28)) == "Boxing Day (observed)"
    assert not cal.is_business_day(date(2026, 12, 28))
    assert cal.is_business_day(date(2026, 11, 26))  # no Thanksgiving in England
    assert cal.holiday_name(date(2026, 8, 31)) == "Late Summer Bank Holiday"
    # Christmas Eve (Thu) → the next business day skips Fri 25, the weekend and Mon 28.
    assert cal.next_business_day(date(2026, 12, 24)) == date(2026, 12, 29)


def test_custom_business_days_sunday_to_thursday() -> None:
    cal = BusinessCalendar(ZoneInfo("Asia/Jerusalem"), (6, 0, 1, 2, 3), time(8), time(16), None)
    assert cal.is_business_day(date(2026, 11, 29))  # Sunday
    assert not cal.is_business_day(date(2026, 11, 27))  # Friday
    assert not cal.is_business_day(date(2026, 11, 28))  # Saturday
    assert cal.next_business_day(date(2026, 11, 26)) == date(2026, 11, 29)  # Thu → Sun


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        (date(2026, 11, 20), 1, date(2026, 11, 23)),  # Fri + 1 → Mon
        (date(2026, 11, 21), 1, date(2026, 11, 23)),  # Sat + 1 → Mon
        (date(2026, 11, 25), 1, date(2026, 11, 27)),  # Wed + 1 skips Thanksgiving
        (date(2026, 11, 23), 5, date(2026, 12, 1)),  # Mon + 5 across Thanksgiving
        (date(2026, 12, 24), 1, date(2026, 12, 28)),  # skips Christmas and the weekend
        (date(2026, 12, 31), 1, date(2027, 1, 4)),  # year rollover, New Year's Day
        (date(2026, 11, 28), 0, date(2026, 11, 28)),  # adding nothing moves nothing
        (date(2026, 11, 30), -1, date(2026, 11, 27)),  # Mon - 1 → Fri
        (date(2026, 11, 27), -1, date(2026, 11, 25)),  # Fri - 1 skips Thanksgiving
        (date(2026, 11, 23), 10, date(2026, 12, 8)),
    ],
)
def test_add_business_days(start: date, n: int, expected: date) -> None:
    assert us().add_business_days(start, n) == expected


def test_add_business_days_with_custom_week() -> None:
    cal = BusinessCalendar(NY, (6, 0, 1, 2, 3), time(9), time(17), None)
    assert cal.add_business_days(date(2026, 11, 26), 1) == date(2026, 11, 29)  # Thu → Sun
    assert cal.add_business_days(date(2026, 11, 29), -1) == date(2026, 11, 26)


# --- snapping ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected", "reason"),
    [
        # Inside hours on a business day: unchanged.
        (ny(2026, 11, 24, 10, 30), ny(2026, 11, 24, 10, 30), None),
        (ny(2026, 11, 24, 9, 0), ny(2026, 11, 24, 9, 0), None),  # the start is inside
        (ny(2026, 11, 24, 16, 59, 59), ny(2026, 11, 24, 16, 59, 59), None),
        # Before the start: same day at the start.
        (ny(2026, 11, 24, 7, 15), ny(2026, 11, 24, 9, 0), "before business hours"),
        (ny(2026, 11, 24, 0, 0), ny(2026, 11, 24, 9, 0), "before business hours"),
        # At or after the end: next business day.
        (ny(2026, 11, 24, 17, 0), ny(2026, 11, 25, 9, 0), "after business hours"),
        (ny(2026, 11, 24, 23, 59), ny(2026, 11, 25, 9, 0), "after business hours"),
        (ny(2026, 11, 20, 18, 0), ny(2026, 11, 23, 9, 0), "after business hours"),  # Fri evening
        (ny(2026, 11, 25, 17, 30), ny(2026, 11, 27, 9, 0), "after business hours"),  # eve of Thanksgiving
        # Weekends.
        (ny(2026, 11, 21, 12, 0), ny(2026, 11, 23, 9, 0), "Saturday → next business day"),
        (ny(2026, 11, 22, 8, 0), ny(2026, 11, 23, 9, 0), "Sunday → next business day"),
        # Holidays.
        (ny(2026, 11, 26, 11, 0), ny(2026, 11, 27, 9, 0), "Thanksgiving Day is a public holiday"),
        (ny(2026, 12, 25, 10, 0), ny(2026, 12, 28, 9, 0), "Christmas Day is a public holiday"),
        (
            ny(2026, 7, 3, 10, 0),
            ny(2026, 7, 6, 9, 0),
            "Independence Day (observed) is a public holiday",
        ),
        # A holiday on a weekend is reported as the weekend.
        (ny(2026, 7, 4, 10, 0), ny(2026, 7, 6, 9, 0), "Saturday → next business day"),
        # Year rollover: New Year's Eve evening → Mon Jan 4 (Jan 1 is a holiday).
        (ny(2026, 12, 31, 18, 0), ny(2027, 1, 4, 9, 0), "after business hours"),
    ],
)
def test_describe_snap(raw: datetime, expected: datetime, reason: str | None) -> None:
    got, why = us().describe_snap(raw)
    assert got == expected
    assert why == reason
    assert got.tzinfo == NY
    assert us().snap(raw) == expected


def test_snap_accepts_any_zone_and_returns_user_zone() -> None:
    cal = us()
    raw = datetime(2026, 11, 24, 15, 30, tzinfo=UTC)  # 10:30 EST
    got = cal.snap(raw)
    assert got == raw
    assert got.tzinfo == NY
    assert (got.hour, got.minute) == (10, 30)
    # Tuesday 23:00 in Tokyo is Tuesday 09:00 in New York: inside.
    assert cal.snap(datetime(2026, 11, 24, 23, 0, tzinfo=TOKYO)) == ny(2026, 11, 24, 9, 0)
    # Saturday morning in Tokyo is still Friday afternoon in New York.
    assert cal.snap(datetime(2026, 11, 21, 4, 0, tzinfo=TOKYO)) == ny(2026, 11, 20, 14, 0)
    # Monday 07:00 in Tokyo is Sunday evening in New York → Monday 09:00.
    assert cal.snap(datetime(2026, 11, 23, 7, 0, tzinfo=TOKYO)) == ny(2026, 11, 23, 9, 0)


def test_snap_rejects_naive() -> None:
    with pytest.raises(ValueError):
        us().snap(datetime(2026, 11, 24, 10, 0))


def test_snap_is_idempotent() -> None:
    cal = us()
    t = ny(2026, 11, 21, 3, 0)
    for _ in range(50):
        once = cal.snap(t)
        assert cal.snap(once) == once
        assert cal.is_business_moment(once)
        t += timedelta(hours=7, minutes=13)


def test_custom_hours_and_days() -> None:
    cal = BusinessCalendar(ZoneInfo("Asia/Dubai"), (6, 0, 1, 2, 3), time(8), time(15, 30), None)
    dubai = ZoneInfo("Asia/Dubai")
    assert cal.snap(datetime(2026, 11, 27, 10, 0, tzinfo=dubai)) == datetime(
        2026, 11, 29, 8, 0, tzinfo=dubai
    )  # Friday → Sunday
    assert cal.describe_snap(datetime(2026, 11, 27, 10, 0, tzinfo=dubai))[1] == (
        "Friday → next business day"
    )
    assert cal.snap(datetime(2026, 11, 29, 15, 29, tzinfo=dubai)).minute == 29
    assert cal.snap(datetime(2026, 11, 26, 15, 30, tzinfo=dubai)) == datetime(
        2026, 11, 29, 8, 0, tzinfo=dubai
    )  # Thursday at the end → Sunday


# --- DST -------------------------------------------------------------------------------------


def test_snap_across_spring_forward() -> None:
    cal = us()
    # Saturday 2026-03-07 20:00 EST → Monday 09:00 EDT (UTC-4).
    got = cal.snap(ny(2026, 3, 7, 20, 0))
    assert got == datetime(2026, 3, 9, 13, 0, tzinfo=UTC)
    assert got.utcoffset() == timedelta(hours=-4)
    # Friday 2026-03-06 17:00 EST + 48 h elapsed is Sunday 18:00 EDT.
    raw = ny(2026, 3, 6, 17, 0) + timedelta(hours=48)
    assert cal.snap(raw) == datetime(2026, 3, 9, 13, 0, tzinfo=UTC)


def test_snap_across_fall_back() -> None:
    cal = us()
    got = cal.snap(ny(2026, 10, 31, 12, 0))  # Saturday, EDT
    assert got == datetime(2026, 11, 2, 14, 0, tzinfo=UTC)  # Monday 09:00 EST
    assert got.utcoffset() == timedelta(hours=-5)
    # The repeated hour on Sunday 2026-11-01 snaps to Monday 09:00 from either fold.
    first = datetime(2026, 11, 1, 5, 30, tzinfo=UTC)  # 01:30 EDT
    second = datetime(2026, 11, 1, 6, 30, tzinfo=UTC)  # 01:30 EST
    assert cal.snap(first) == cal.snap(second) == datetime(2026, 11, 2, 14, 0, tzinfo=UTC)


def test_business_hours_in_the_dst_gap_and_overlap() -> None:
    # A calendar open 01:30–03:30, every day, to land its edges in the odd hours.
    cal = BusinessCalendar(NY, tuple(range(7)), time(1, 30), time(3, 30), None)
    # 2026-03-08: 02:00–03:00 does not exist. 01:00 EST is before the start.
    assert cal.snap(ny(2026, 3, 8, 1, 0)) == ny(2026, 3, 8, 1, 30)
    # 03:30 EDT is the end: the next day.
    assert cal.snap(datetime(2026, 3, 8, 7, 30, tzinfo=UTC)) == ny(2026, 3, 9, 1, 30)
    # 2026-11-01: 01:30 happens twice; the day's start is the first one (EDT).
    # (Compared in UTC: PEP 495 makes a time in the repeated hour unequal to
    # any other zone's datetime.)
    start = cal.business_day_start(date(2026, 11, 1))
    assert start.astimezone(UTC) == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)
    assert start.utcoffset() == timedelta(hours=-4)
    snapped = cal.snap(datetime(2026, 11, 1, 4, 0, tzinfo=UTC))  # 00:00 EDT
    assert snapped.astimezone(UTC) == start.astimezone(UTC)
    # The second 01:30 (EST) is inside hours, unchanged.
    second = datetime(2026, 11, 1, 6, 30, tzinfo=UTC)
    got, why = cal.describe_snap(second)
    assert why is None
    assert got.astimezone(UTC) == second
    assert got.fold == 1
    # 03:00 EST, past the second 01:30 but before the end (03:30): inside.
    assert cal.describe_snap(datetime(2026, 11, 1, 8, 0, tzinfo=UTC))[1] is None
    # 03:30 EST is the end.
    assert cal.describe_snap(datetime(2026, 11, 1, 8, 30, tzinfo=UTC))[1] == "after business hours"


@pytest.mark.parametrize(
    ("d", "t", "expected_utc"),
    [
        (date(2026, 3, 8), time(2, 30), datetime(2026, 3, 8, 7, 0, tzinfo=UTC)),  # gap → 03:00 EDT
        (date(2026, 3, 8), time(2, 0), datetime(2026, 3, 8, 7, 0, tzinfo=UTC)),
        (date(2026, 3, 8), time(3, 0), datetime(2026, 3, 8, 7, 0, tzinfo=UTC)),
        (date(2026, 3, 8), time(1, 59), datetime(2026, 3, 8, 6, 59, tzinfo=UTC)),
        (date(2026, 11, 1), time(1, 30), datetime(2026, 11, 1, 5, 30, tzinfo=UTC)),  # first 01:30
        (date(2026, 11, 1), time(9, 0), datetime(2026, 11, 1, 14, 0, tzinfo=UTC)),
        (date(2026, 3, 9), time(9, 0), datetime(2026, 3, 9, 13, 0, tzinfo=UTC)),
    ],
)
def test_wall_time(d: date, t: time, expected_utc: datetime) -> None:
    got = wall_time(d, t, NY)
    assert got.astimezone(UTC) == expected_utc
    assert got.tzinfo == NY
    assert got.utcoffset() == got.astimezone(NY).utcoffset()  # normalised


def test_wall_time_when_midnight_is_skipped() -> None:
    # Chile springs forward at 24:00 → 01:00: 2026-09-06 has no midnight.
    santiago = ZoneInfo("America/Santiago")
    got = wall_time(date(2026, 9, 6), time(0), santiago)
    assert got == datetime(2026, 9, 6, 4, 0, tzinfo=UTC)
    assert (got.hour, got.utcoffset()) == (1, timedelta(hours=-3))


# --- day boundaries --------------------------------------------------------------------------


def test_next_business_day_start() -> None:
    cal = us()
    assert cal.next_business_day_start(date(2026, 11, 25)) == ny(2026, 11, 27, 9, 0)
    assert cal.next_business_day_start(date(2026, 11, 20)) == ny(2026, 11, 23, 9, 0)
    assert cal.next_business_day_start(date(2026, 11, 23)) == ny(2026, 11, 24, 9, 0)  # strictly after
    # Across spring-forward: Friday 03-06 → Monday 03-09 09:00 EDT.
    assert cal.next_business_day_start(date(2026, 3, 6)) == datetime(2026, 3, 9, 13, 0, tzinfo=UTC)


def test_end_of_day() -> None:
    cal = us()
    eod = cal.end_of_day(date(2026, 12, 18))
    assert eod == ny(2026, 12, 19, 0, 0)
    assert eod.tzinfo == NY
    # In another zone.
    assert cal.end_of_day(date(2026, 12, 18), ZoneInfo("America/Los_Angeles")) == datetime(
        2026, 12, 19, 8, 0, tzinfo=UTC
    )
    # The day DST starts is 23 hours long, the day it ends 25.
    # (In UTC: same-zone subtraction would be wall-clock.)
    def eod_utc(d: date) -> datetime:
        return cal.end_of_day(d).astimezone(UTC)

    assert eod_utc(date(2026, 3, 8)) - eod_utc(date(2026, 3, 7)) == timedelta(hours=23)
    assert eod_utc(date(2026, 11, 1)) - eod_utc(date(2026, 10, 31)) == timedelta(hours=25)
    assert eod_utc(date(2026, 3, 7)) == datetime(2026, 3, 8, 5, 0, tzinfo=UTC)  # EST
    assert eod_utc(date(2026, 3, 8)) == datetime(2026, 3, 9, 4, 0, tzinfo=UTC)  # EDT
    # Year rollover.
    assert cal.end_of_day(date(2026, 12, 31)) == ny(2027, 1, 1, 0, 0)


def test_deadline_plus_grace_snaps_like_the_policy() -> None:
    # "by December 18" + 7 days: exceeded from Sat Dec 26 00:00 → Christmas was
    # Friday, so the first business moment is Monday Dec 28 09:00.
    cal = us()
    due, why = cal.describe_snap(cal.end_of_day(date(2026, 12, 18) + timedelta(days=7)))
    assert due == ny(2026, 12, 28, 9, 0)
    assert why == "Saturday → next business day"


def test_holiday_class_loads_one_country_and_matches_the_package() -> None:
    import holidays

    from agent.holiday_countries import holiday_class

    for code in ("US", "GB", "DE", "USA"):
        cls = holiday_class(code)
        ours = cls(subdiv=None, years=2026, observed=True)
        assert sorted(ours.items()) == sorted(holidays.country_holidays(code, years=2026).items())
    assert "CA" in holiday_class("US").subdivisions
    for bad in ("XX", "us", ""):
        with pytest.raises(KeyError):
            holiday_class(bad)
