"""iCalendar export, checked by parsing it back with icalendar."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from carenotes_server.domain.calendar import PRODID, CalendarEntry, build_ics

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
BERLIN = ZoneInfo("Europe/Berlin")
ENTRIES = [
    CalendarEntry(
        uid="r-1@carenotes",
        summary="Take amoxicillin 500 mg; with food, twice\na day",
        due_at=datetime(2025, 3, 30, 9, 0, tzinfo=BERLIN),  # Berlin's DST change day
        description="From Dr. Rossi's note",
    ),
    CalendarEntry(
        uid="r-2@carenotes", summary="Take amoxicillin 500 mg", due_at=NOW + timedelta(days=1)
    ),
]


def parse(ics: str) -> Calendar:
    return Calendar.from_ical(ics)


def test_round_trip() -> None:
    ics = build_ics(ENTRIES, calendar_name="My medication", now=NOW)
    calendar = parse(ics)
    assert str(calendar["PRODID"]) == PRODID
    assert str(calendar["VERSION"]) == "2.0"
    assert str(calendar["X-WR-CALNAME"]) == "My medication"
    events = calendar.walk("VEVENT")
    assert len(events) == len(ENTRIES)
    for event, entry in zip(events, ENTRIES, strict=True):
        assert str(event["UID"]) == entry.uid
        assert str(event["SUMMARY"]) == entry.summary  # ; , and newlines survive escaping
        assert event.decoded("DTSTAMP") == NOW
        assert event.decoded("DTSTART") == entry.due_at
        assert event.decoded("DTSTART").tzinfo is not None
        assert event.decoded("DURATION") == timedelta(minutes=15)
        alarms = event.walk("VALARM")
        assert len(alarms) == 1
        assert str(alarms[0]["ACTION"]) == "DISPLAY"
        assert alarms[0].decoded("TRIGGER") == timedelta(0)
        assert str(alarms[0]["DESCRIPTION"]) == entry.summary
    assert str(events[0]["DESCRIPTION"]) == "From Dr. Rossi's note"
    assert "DESCRIPTION" not in events[1]


def test_times_are_written_in_utc() -> None:
    ics = build_ics(ENTRIES[:1], calendar_name="x", now=NOW)
    assert "DTSTART:20250330T070000Z" in ics  # 09:00 CEST
    assert "DTSTAMP:20250301T120000Z" in ics


def test_output_uses_crlf_line_endings() -> None:
    ics = build_ics(ENTRIES, calendar_name="x", now=NOW)
    assert ics.startswith("BEGIN:VCALENDAR\r\n")
    assert "\n" not in ics.replace("\r\n", "")


def test_no_entries_is_an_empty_calendar() -> None:
    calendar = parse(build_ics([], calendar_name="x", now=NOW))
    assert calendar.walk("VEVENT") == []


@pytest.mark.parametrize(
    ("entries", "now"),
    [
        ([ENTRIES[0], ENTRIES[0]], NOW),
        ([CalendarEntry("u", "s", datetime(2025, 3, 2, 9))], NOW),
        (ENTRIES, datetime(2025, 3, 1)),
        ([CalendarEntry("", "s", NOW)], NOW),
    ],
    ids=["duplicate uid", "naive due_at", "naive now", "empty uid"],
)
def test_bad_entries_are_rejected(entries: list[CalendarEntry], now: datetime) -> None:
    with pytest.raises(ValueError, match=r"uid|aware"):
        build_ics(entries, calendar_name="x", now=now)
