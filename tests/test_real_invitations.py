"""Real invitations from other projects' test suites (tests/corpus/invitations): every event read right.

Per event: start and end in UTC, cancelled or not, an invitation or an
attendee's answer, or nothing read from an unreadable event
(tests/real_invitations.py says how each is judged). Per file: in a
conversation (the user's message, then the real invitation) the agent finds
the interview at the right time, cancelled where it was cancelled, and none
from an answer. Then the malformed shapes the issue names, on the real
calendars they came from.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from agent.facts import Interview, InterviewCancelled
from agent.mail.calendar import parse_calendar
from agent.model import Conversation
from agent.signals.events import extract_facts
from tests import real_invitations as R

#: events the agent does not read yet, each with why it is left
LEFT: dict[str, str] = {}


def _params() -> list[object]:
    out: list[object] = []
    for e in R.expectations():
        marks = [pytest.mark.xfail(reason=LEFT[e.key], strict=True)] if e.key in LEFT else []
        out.append(pytest.param(e, id=e.key, marks=marks))
    return out


@pytest.mark.parametrize("exp", _params())
def test_each_event_is_read_right(exp: R.Expected) -> None:
    assert R.judge(exp) is None


def test_every_corpus_file_has_expectations_and_sources() -> None:
    files = set(R.corpus_files())
    assert files == {e.file for e in R.expectations()}
    sources = (R.CORPUS / "SOURCES.md").read_text(encoding="utf-8")
    assert all(f"`{f}`" in sources for f in files)


def test_share_read_right_meets_the_target_and_misses_are_the_listed_ones() -> None:
    m = R.measure()
    assert m.total >= 50
    assert m.share >= 0.95, m.misses
    assert {miss.key for miss in m.misses} == set(LEFT)


def _scheduled(name: str) -> set[tuple[object, bool]]:
    return {(e.start, e.cancelled) for e in R.expectations()
            if e.file == name and e.readable and e.invitation and e.start is not None}


@pytest.mark.parametrize("name", R.corpus_files())
def test_in_a_conversation_the_interview_is_found_at_the_right_time(name: str) -> None:
    found = {(f.start, isinstance(f, InterviewCancelled)) for f in R.facts(name)
             if isinstance(f, Interview | InterviewCancelled) and f.source == "calendar"}
    expected = _scheduled(name)
    uids = [e.uid for e in R.expectations() if e.file == name and e.invitation and e.start is not None]
    if len(set(uids)) == len(uids):  # one event per meeting: exactly these
        assert found == expected
    else:  # one meeting updated within the file: the latest wins, never an answer's time
        assert found and found <= expected


def _read(name: str) -> bytes:
    return (R.CORPUS / name).read_bytes()


def test_a_stray_end_vcalendard_hides_nothing() -> None:
    data = _read("icalendar-timezone_same_start_and_offset.ics")
    assert b"END:VCALENDARD" in data
    (ev,) = parse_calendar(data)
    assert (ev.start.isoformat(), ev.tzid) == ("2017-02-24T03:00:00+00:00", "Asia/Tokyo")


def test_one_bad_dtstart_among_four_events_costs_only_itself() -> None:
    bad = _read("icalendar-broken_dtstart.ics")
    lotus = [_read(f"ical4j-calconnect{n}.ics") for n in ("", "3", "5")]
    events = parse_calendar(lotus[0] + bad + lotus[1] + lotus[2])
    assert [e.start.isoformat() for e in events] == [
        "2005-04-11T13:00:00+00:00", "2005-04-18T13:00:00+00:00", "2005-04-25T13:00:00+00:00"]


def test_a_space_after_the_colon_is_read() -> None:
    (ev,) = parse_calendar(_read("vobject-0050.ics"))
    assert (ev.method, ev.end is not None and ev.end.isoformat()) == ("REQUEST", "2024-08-12T22:30:00+00:00")


@pytest.mark.parametrize(("tzid", "iana"), [
    ("Romance Standard Time", "Europe/Paris"), ("FLE", "Europe/Kiev"), ("Eastern", "America/New_York"),
    ("New Zealand Standard Time", "Pacific/Auckland"), ('"Pacific Standard Time"', "America/Los_Angeles"),
])
def test_windows_and_lotus_zone_names_map_through_cldr(tzid: str, iana: str) -> None:
    from agent.mail.zones import iana_name

    assert iana_name(tzid) == iana


def test_display_name_zones_are_read_by_their_vtimezone() -> None:
    (ev,) = parse_calendar(_read("ical4j-tmeher.ics"))  # "Pacific Time (US & Canada), Tijuana", PDT
    assert ev.start.isoformat() == "2004-10-12T05:30:00+00:00"
    (ev,) = parse_calendar(_read("icalendar-issue_165_missing_event.ics"))  # "GMT +0100 (Standard) / …"
    assert ev.start.isoformat() == "2015-07-03T08:00:00+00:00"


def test_a_series_cancelled_by_uid_alone_calls_off_the_meeting_its_invitation_gave() -> None:
    """Thunderbird's series invitation, then its CANCEL naming only UID and SEQUENCE (no DTSTART):
    the interview is cancelled at the time the invitation gave; the CANCEL alone gives nothing."""
    invite, cancel = R.message("tb-repeat-event.eml"), R.message("tb-cancel-repeat-event.eml")
    (ev,) = cancel.calendar
    assert ev.method == "CANCEL" and not ev.start_given and ev.uid == "02e79b96"
    user = R.conversation("tb-repeat-event.eml").messages[0]
    later = dataclasses.replace(cancel, date=R.ARRIVED + timedelta(days=1))
    conv = Conversation("c-series", (user, dataclasses.replace(invite, date=R.ARRIVED), later))
    found = [f for f in extract_facts(conv, R.CONFIG) if isinstance(f, Interview | InterviewCancelled)]
    assert [(type(f), f.start) for f in found] == [(InterviewCancelled, datetime(2022, 3, 16, 11, 0, tzinfo=UTC))]
    assert not [f for f in R.facts("tb-cancel-repeat-event.eml") if isinstance(f, Interview | InterviewCancelled)]
