"""agent.mail.calendar: VEVENTs to aware-UTC CalendarEvents; junk to nothing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from agent.mail.calendar import MAX_EVENTS, parse_calendar


def ics(*events: str, method: str | None = "REQUEST", extra: str = "") -> bytes:
    head = "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//test//EN\n"
    if method:
        head += f"METHOD:{method}\n"
    body = "".join(f"BEGIN:VEVENT\n{e.strip()}\nEND:VEVENT\n" for e in events)
    return (head + extra + body + "END:VCALENDAR\n").replace("\n", "\r\n").encode()


def test_tzid() -> None:
    (ev,) = parse_calendar(
        ics(
            "UID:u1\nSUMMARY:Interview\nDTSTART;TZID=Europe/Berlin:20240610T100000\n"
            "DTEND;TZID=Europe/Berlin:20240610T110000\nORGANIZER;CN=Jane:mailto:Jane@Acme.COM\n"
            "STATUS:CONFIRMED\nSEQUENCE:3"
        )
    )
    assert ev.start == datetime(2024, 6, 10, 8, 0, tzinfo=UTC)
    assert ev.end == datetime(2024, 6, 10, 9, 0, tzinfo=UTC)
    assert ev.start.tzinfo is UTC
    assert ev.tzid == "Europe/Berlin"
    assert ev.summary == "Interview" and ev.uid == "u1"
    assert ev.organizer == "jane@acme.com"
    assert ev.method == "REQUEST" and ev.status == "CONFIRMED" and ev.sequence == 3
    assert ev.all_day is False


def test_windows_tzid_without_vtimezone() -> None:
    (ev,) = parse_calendar(ics("SUMMARY:x\nDTSTART;TZID=Pacific Standard Time:20240110T100000"))
    assert ev.start == datetime(2024, 1, 10, 18, 0, tzinfo=UTC)
    assert ev.tzid == "America/Los_Angeles"


def test_unknown_tzid_falls_back_to_default_zone() -> None:
    (ev,) = parse_calendar(
        ics("SUMMARY:x\nDTSTART;TZID=Mars/Olympus:20240110T100000"), default_tz="America/New_York"
    )
    assert ev.start == datetime(2024, 1, 10, 15, 0, tzinfo=UTC)
    assert ev.tzid is None


def test_utc() -> None:
    (ev,) = parse_calendar(ics("SUMMARY:x\nDTSTART:20240610T100000Z\nDTEND:20240610T103000Z"))
    assert ev.start == datetime(2024, 6, 10, 10, 0, tzinfo=UTC)
    assert ev.end == datetime(2024, 6, 10, 10, 30, tzinfo=UTC)
    assert ev.tzid == "UTC"


def test_floating_uses_default_tz_else_utc() -> None:
    data = ics("SUMMARY:x\nDTSTART:20240610T100000")
    (ev,) = parse_calendar(data, default_tz="Europe/London")
    assert ev.start == datetime(2024, 6, 10, 9, 0, tzinfo=UTC)
    assert ev.tzid is None
    (ev_utc,) = parse_calendar(data)
    assert ev_utc.start == datetime(2024, 6, 10, 10, 0, tzinfo=UTC)
    (ev_bad,) = parse_calendar(data, default_tz="../../etc/passwd")
    assert ev_bad.start == ev_utc.start


def test_all_day() -> None:
    (ev,) = parse_calendar(
        ics("SUMMARY:Onsite\nDTSTART;VALUE=DATE:20240610"), default_tz="America/New_York"
    )
    assert ev.all_day is True
    assert ev.start == datetime(2024, 6, 10, 4, 0, tzinfo=UTC)
    assert ev.end == datetime(2024, 6, 11, 4, 0, tzinfo=UTC)
    (ev2,) = parse_calendar(
        ics("SUMMARY:Onsite\nDTSTART;VALUE=DATE:20240610\nDTEND;VALUE=DATE:20240612")
    )
    assert ev2.start == datetime(2024, 6, 10, tzinfo=UTC)
    assert ev2.end == datetime(2024, 6, 12, tzinfo=UTC)


def test_duration() -> None:
    (ev,) = parse_calendar(ics("SUMMARY:x\nDTSTART:20240610T100000Z\nDURATION:PT45M"))
    assert ev.end == datetime(2024, 6, 10, 10, 45, tzinfo=UTC)


def test_no_end_no_duration() -> None:
    (ev,) = parse_calendar(ics("SUMMARY:x\nDTSTART:20240610T100000Z"))
    assert ev.end is None


def test_alarm_does_not_leak_into_event() -> None:
    (ev,) = parse_calendar(
        ics(
            "SUMMARY:Interview\nDTSTART:20240610T100000Z\n"
            "BEGIN:VALARM\nACTION:EMAIL\nSUMMARY:Alarm\nDURATION:PT5M\nTRIGGER:-PT10M\nEND:VALARM"
        )
    )
    assert ev.summary == "Interview" and ev.end is None


def test_cancel() -> None:
    (ev,) = parse_calendar(
        ics(
            "UID:u1\nSUMMARY:Interview\nDTSTART:20240610T100000Z\nSTATUS:CANCELLED\nSEQUENCE:2",
            method="CANCEL",
        )
    )
    assert ev.method == "CANCEL" and ev.status == "CANCELLED" and ev.sequence == 2


def test_missing_method_and_broken_sequence() -> None:
    (ev,) = parse_calendar(ics("SUMMARY:x\nDTSTART:20240610T100000Z\nSEQUENCE:abc", method=None))
    assert ev.method is None and ev.sequence == 0


def test_folded_lines_and_lf_only() -> None:
    data = b"BEGIN:VCALENDAR\nBEGIN:VEVENT\nSUMMARY:Interview with\n  the team\nDTSTART:20240610T100000Z\nEND:VEVENT\nEND:VCALENDAR\n"
    (ev,) = parse_calendar(data)
    assert ev.summary == "Interview with the team"


def test_multiple_events_capped() -> None:
    events = [
        f"UID:{i}\nSUMMARY:e{i}\nDTSTART:20240610T1000{i % 60:02d}Z" for i in range(MAX_EVENTS + 20)
    ]
    assert len(parse_calendar(ics(*events))) == MAX_EVENTS


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"garbage",
        b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART:20240610T100000Z\r\nSUMMARY:x\r\n",  # unterminated
        ics("SUMMARY:x\nDTSTART:20241310T100000Z"),  # month 13
        ics("SUMMARY:x\nDTSTART:2024061"),
        ics("SUMMARY:no start"),
        ics("SUMMARY:x\nDTSTART;TZID=Europe/Berlin:nonsense"),
        ics("SUMMARY:x\nDTSTART:99991231T235959Z\nDURATION:P10000D"),
        b"BEGIN:VCALENDAR\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
        b"\x00\xff\xfe" * 1000,
        "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nSUMMARY:\u00e9\r\n".encode("utf-16"),
    ],
)
def test_garbage_gives_no_events_and_never_raises(data: bytes) -> None:
    result = parse_calendar(data)
    assert isinstance(result, tuple)
    for ev in result:  # a far-future date may survive; it must still be sane
        assert ev.start.tzinfo is UTC


def test_ten_megabytes_of_junk_yields_nothing() -> None:
    assert parse_calendar(b"BEGIN:VCALENDAR\r\n" + b"X-JUNK:aaaa\r\n" * 800_000) == ()
    assert parse_calendar(b"a" * 10_000_000) == ()
    big = ics("SUMMARY:x\nDTSTART:20240610T100000Z\nDESCRIPTION:" + "y" * 1_500_000)
    (ev,) = parse_calendar(big)
    assert ev.summary == "x"
