"""The holiday tables kept between processes give the calendar the same answers, without the package.

agent/holiday_cache.py: a poll decides every conversation again and needs this
year's holidays; importing ``holidays`` for them cost ~15 ms of each poll
process (issue 15). These tests hold that a cached table answers exactly as
the package does, that a second process does not import the package, and that
a stale or broken cache is ignored rather than believed.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest

from agent import holiday_cache
from agent.businesstime import BusinessCalendar
from agent.holiday_cache import HolidayCache
from tests.helpers import make_config


def _days(year: int) -> list[date]:
    start = date(year, 1, 1)
    return [start + timedelta(days=i) for i in range(366) if (start + timedelta(days=i)).year == year]


@pytest.mark.parametrize(("country", "subdivision"), [("US", None), ("US", "CA"), ("DE", "BY"), ("GB", "SCT")])
def test_a_cached_table_answers_as_the_package_does(tmp_path: Path, country: str, subdivision: str | None) -> None:
    env = {"XDG_CACHE_HOME": str(tmp_path)}
    config = make_config(schedule={"holidays": country, **({"holidays_subdivision": subdivision} if subdivision else {})})
    first = HolidayCache(env)
    computed = first.calendar(config)
    expected = {d: computed.holiday_name(d) for y in (2026, 2027) for d in _days(y)}
    first.keep(computed, config)
    cached = HolidayCache(env).calendar(config)
    assert sorted(cached.holiday_tables()) == [2026, 2027]  # given, not computed again
    assert {d: cached.holiday_name(d) for y in (2026, 2027) for d in _days(y)} == expected
    assert sum(1 for v in expected.values() if v) >= 16  # the comparison is not over empty tables
    plain = BusinessCalendar.from_config(config)
    assert all(plain.holiday_name(d) == name for d, name in expected.items())


def test_a_second_process_does_not_import_the_package(tmp_path: Path) -> None:
    code = (
        "import json, sys\nfrom agent.holiday_cache import HolidayCache\nfrom tests.helpers import make_config\n"
        "config = make_config(schedule={'holidays': 'US'})\n"
        "cache = HolidayCache({'XDG_CACHE_HOME': sys.argv[1]})\ncal = cache.calendar(config)\n"
        "from datetime import date\nprint(json.dumps([cal.holiday_name(date(2026, 11, 26)), 'holidays' in sys.modules]))\n"
        "cache.keep(cal, config)\n"
    )
    runs = [subprocess.run([sys.executable, "-c", code, str(tmp_path)], capture_output=True, text=True,
                           check=True, timeout=60) for _ in range(2)]
    assert [json.loads(r.stdout) for r in runs] == [["Thanksgiving Day", True], ["Thanksgiving Day", False]]


def test_a_table_of_another_country_or_subdivision_is_not_used(tmp_path: Path) -> None:
    env = {"XDG_CACHE_HOME": str(tmp_path)}
    us = make_config(schedule={"holidays": "US"})
    cache = HolidayCache(env)
    cal = cache.calendar(us)
    cal.holiday_name(date(2026, 7, 3))
    cache.keep(cal, us)
    de = HolidayCache(env).calendar(make_config(schedule={"holidays": "DE"}))
    assert de.holiday_tables() == {}
    assert de.holiday_name(date(2026, 10, 3)) == "German Unity Day"
    ca = HolidayCache(env).calendar(make_config(schedule={"holidays": "US", "holidays_subdivision": "CA"}))
    assert ca.holiday_tables() == {}


def test_another_package_release_or_a_broken_file_is_ignored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                                             ) -> None:
    env = {"XDG_CACHE_HOME": str(tmp_path)}
    config = make_config(schedule={"holidays": "US"})
    cache = HolidayCache(env)
    cal = cache.calendar(config)
    cal.holiday_name(date(2026, 1, 1))
    cache.keep(cal, config)
    doc = json.loads(cache.path.read_text())
    doc["tables"]["US//2026"]["2026-03-03"] = "A made-up holiday"  # what a stale table might say
    cache.path.write_text(json.dumps(doc))
    assert HolidayCache(env).calendar(config).holiday_name(date(2026, 3, 3)) == "A made-up holiday"  # read
    monkeypatch.setattr(holiday_cache, "package_fingerprint", lambda: "another release")
    assert HolidayCache(env).calendar(config).holiday_name(date(2026, 3, 3)) is None
    monkeypatch.undo()
    cache.path.write_text("{not json")
    fresh = HolidayCache(env)
    assert fresh.calendar(config).holiday_name(date(2026, 12, 25)) == "Christmas Day"


def test_no_country_writes_nothing(tmp_path: Path) -> None:
    env = {"XDG_CACHE_HOME": str(tmp_path)}
    config = make_config(schedule={"holidays": ""})
    cache = HolidayCache(env)
    cal = cache.calendar(config)
    assert cal.is_business_day(date(2026, 12, 25))
    cache.keep(cal, config)
    assert not cache.path.exists()


def test_an_unwritable_cache_only_costs_time(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    env = {"XDG_CACHE_HOME": str(blocker)}  # a file where the folder should be
    config = make_config(schedule={"holidays": "US"})
    cache = HolidayCache(env)
    cal = cache.calendar(config)
    assert cal.holiday_name(date(2026, 12, 25)) == "Christmas Day"
    cache.keep(cal, config)  # no error
