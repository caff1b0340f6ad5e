"""iCalendar (RFC 5545) export of reminders, so patients can see them in any calendar app.

Each reminder is its own VEVENT (no RRULE): make-ups, skipped doses and cancellations
make a real course irregular, and one event per dose keeps the export exactly what the
server will send. Times are written in UTC, which every client reads the same way.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from icalendar import Alarm, Calendar, Event

PRODID = "-//Carenotes//Reminders 1.0//EN"
EVENT_DURATION = timedelta(minutes=15)
"""Length given to each dose event; short, since a dose is a moment, not a meeting."""


@dataclass(frozen=True)
class CalendarEntry:
    """One reminder as a calendar event. uid must be stable and unique (e.g. the
    reminder id plus a domain) so a re-imported calendar updates instead of duplicating."""

    uid: str
    summary: str
    due_at: datetime  # aware
    description: str = ""


def build_ics(entries: Sequence[CalendarEntry], *, calendar_name: str, now: datetime) -> str:
    """An iCalendar document with one VEVENT per entry, in the given order.

    Each VEVENT has UID, DTSTAMP (now), DTSTART (due_at, in UTC), DURATION, SUMMARY,
    DESCRIPTION when non-empty, and a DISPLAY alarm at the start. Raises ValueError for
    naive datetimes or duplicate UIDs.
    """
    _require_aware(now, "now")
    stamp = now.astimezone(UTC)
    seen: set[str] = set()
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    # NAME is the RFC 7986 property; X-WR-CALNAME is what Apple and Google clients read.
    calendar.add("name", calendar_name)
    calendar.add("x-wr-calname", calendar_name)
    for entry in entries:
        if not entry.uid:
            raise ValueError("calendar entries need a uid")
        if entry.uid in seen:
            raise ValueError(f"duplicate calendar entry uid {entry.uid!r}")
        seen.add(entry.uid)
        _require_aware(entry.due_at, "due_at")
        calendar.add_component(_event(entry, stamp))
    text: str = calendar.to_ical().decode("utf-8")
    return text


def _event(entry: CalendarEntry, stamp: datetime) -> Event:
    event = Event()
    event.add("uid", entry.uid)
    event.add("dtstamp", stamp)
    event.add("dtstart", entry.due_at.astimezone(UTC))
    event.add("duration", EVENT_DURATION)
    event.add("summary", entry.summary)
    if entry.description:
        event.add("description", entry.description)
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    # RFC 5545 requires a DESCRIPTION on a DISPLAY alarm: it is the text shown.
    alarm.add("description", entry.summary)
    alarm.add("trigger", timedelta(0))
    event.add_component(alarm)
    return event


def _require_aware(value: datetime, name: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")
