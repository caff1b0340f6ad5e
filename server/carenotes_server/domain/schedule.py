"""When the doses of one plan item fall due, as UTC instants.

Calendar recurrence (which days are dosing days) comes from python-dateutil's rrule, the
RFC 5545 engine; this module only adds the clinic's defaults and the wall-clock rules:

* Doses are at local times in the patient's IANA timezone, so a daily 09:00 stays
  09:00 local on both sides of a daylight-saving change.
* A local time that does not exist (inside a spring-forward gap) is read with the
  offset in force before the gap, so it moves forward by the gap's length (02:30 ->
  03:30), exactly as RFC 5545 section 3.3.5 tells calendar clients to read it. An
  ambiguous local time (fall-back) means its first occurrence.
* every_hours doses are spaced in absolute time (q8h is 8 real hours apart, even
  across a DST change), so they are computed in UTC.
* Dosing days are every every_days days from the first one, or the named days of the
  week (days_of_week, RFC 5545 BYDAY) in every week, or every other week when
  every_days is 14, and so on.

The series of one plan item is a pure function of (schedule, tz, anchor): expanding it in
one go or in several top-ups gives the same slots with the same sequence numbers.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from itertools import count, islice
from types import MappingProxyType
from zoneinfo import ZoneInfo

from dateutil.rrule import DAILY, HOURLY, WEEKLY, rrule, weekday

from carenotes_server.domain.clinical_bounds import MAX_DOSES_PER_DAY
from carenotes_server.domain.steps import WEEKDAYS, Schedule

_FIRST_SPREAD_MINUTE = 8 * 60  # more than four doses a day spread from 08:00 ...
_LAST_SPREAD_MINUTE = 22 * 60  # ... to 22:00, both included
_ROUND_FIRST_DOSE_TO = timedelta(minutes=5)
# A gap moves a local time forward by at most a day (Samoa skipped 2011-12-30 whole), so
# a top-up that restarts the day rule this many days before its resume point has seen
# every candidate that could land after it.
_RESUME_LOOKBACK = timedelta(days=2)


def _spread_evenly(doses: int) -> tuple[time, ...]:
    span = _LAST_SPREAD_MINUTE - _FIRST_SPREAD_MINUTE
    gaps = doses - 1
    # Integer round-half-up to the whole minute, so the table never depends on floats.
    minutes = [_FIRST_SPREAD_MINUTE + (2 * i * span + gaps) // (2 * gaps) for i in range(doses)]
    return tuple(time(m // 60, m % 60) for m in minutes)


DEFAULT_TIMES_OF_DAY: Mapping[int, tuple[time, ...]] = MappingProxyType(
    {
        1: (time(9, 0),),
        2: (time(9, 0), time(21, 0)),
        3: (time(8, 0), time(14, 0), time(20, 0)),
        4: (time(8, 0), time(12, 0), time(16, 0), time(20, 0)),
        **{n: _spread_evenly(n) for n in range(5, MAX_DOSES_PER_DAY + 1)},
    }
)
"""Local dose times by doses per day (1..MAX_DOSES_PER_DAY) when times_of_day is empty."""

_RRULE_DAYS = {code: weekday(index) for index, code in enumerate(WEEKDAYS)}


@dataclass(frozen=True)
class Slot:
    """One dose of a plan item: its 0-based index in the item's series and its due time."""

    sequence: int
    due_at: datetime  # aware, UTC


def local_times(schedule: Schedule) -> list[time]:
    """The local wall-clock times of a dosing day, sorted, without duplicates.

    times_of_day overrides the defaults. For an every_hours schedule the list holds the
    one time its first dose takes when the course starts on a later day (start_in_days >
    0): the first of times_of_day, else the first default time for the number of doses
    the interval gives per day (q12h -> 09:00 like twice daily, q8h -> 08:00). As-needed
    items have no times. Raises ValueError for a schedule that says nothing about when.
    """
    if schedule.as_needed:
        return []
    if schedule.times_of_day:
        times = sorted({_parse_hhmm(text) for text in schedule.times_of_day})
        return times[:1] if schedule.every_hours else times
    if schedule.every_hours:
        doses_per_day = min(max(24 // schedule.every_hours, 1), 4)
        return [DEFAULT_TIMES_OF_DAY[doses_per_day][0]]
    if schedule.times_per_day in DEFAULT_TIMES_OF_DAY:
        return list(DEFAULT_TIMES_OF_DAY[schedule.times_per_day])
    raise ValueError(f"schedule has no usable dose times: {schedule!r}")


def expand(
    schedule: Schedule,
    *,
    tz: ZoneInfo,
    anchor: datetime,
    horizon_end: datetime | None = None,
    after_sequence: int = -1,
    resume_after: datetime | None = None,
) -> list[Slot]:
    """The dose slots of one plan item, in order, sequences consecutive.

    anchor: when the steps came into force (aware). "Today" is anchor's local date in tz;
    the course starts at the first slot at or after anchor on today + start_in_days.
    Always pass the same anchor for a plan item: the whole series derives from it.

    Bounded course (occurrences > 0): every remaining slot up to sequence occurrences - 1,
    whatever horizon_end says (occurrences, not duration_days, sets its length).
    Ongoing plan: the slots with due_at < horizon_end, which is then required.
    As-needed items: no slots.

    Top-ups: pass the last slot already generated as after_sequence=slot.sequence and
    resume_after=slot.due_at; the result continues with sequence slot.sequence + 1 and
    is identical to what a single longer expansion would have produced. after_sequence
    alone also works (the series is recomputed from the anchor and the first
    after_sequence + 1 slots dropped); resume_after alone is an error.
    """
    _require_aware(anchor, "anchor")
    if horizon_end is not None:
        _require_aware(horizon_end, "horizon_end")
    if schedule.as_needed:
        return []
    bounded = schedule.occurrences > 0
    if not bounded and horizon_end is None:
        raise ValueError("an ongoing schedule needs horizon_end")
    slots: list[Slot] = []
    for slot in _iter_slots(schedule, tz, anchor, after_sequence, resume_after):
        if not bounded and horizon_end is not None and slot.due_at >= horizon_end:
            break
        slots.append(slot)
    return slots


def following_slot(
    schedule: Schedule, *, tz: ZoneInfo, anchor: datetime, slot: Slot
) -> Slot | None:
    """The slot right after `slot` in the same series, or None when the course has ended.

    Useful for the window of the last slot of an ongoing plan's expansion, whose next
    slot lies beyond the horizon.
    """
    _require_aware(anchor, "anchor")
    if schedule.as_needed:
        return None
    return next(_iter_slots(schedule, tz, anchor, slot.sequence, slot.due_at), None)


def continuation(schedule: Schedule) -> Schedule:
    """The same dose pattern with no end: where a bounded course would go on if it were
    longer. Its slots up to occurrences - 1 are the course's own."""
    return replace(schedule, occurrences=0, duration_days=0)


def window_end(
    due_at: datetime,
    next_due_at: datetime | None,
    tz: ZoneInfo,
    max_window: timedelta | None = None,
) -> datetime:
    """When a reminder due at due_at stops being acknowledgeable and becomes MISSED (UTC).

    The earliest of: the next reminder of the same plan item (next_due_at, None when
    there is none), the end of the patient's local day of due_at (the next local
    midnight), and due_at + max_window when given.
    """
    _require_aware(due_at, "due_at")
    ends = [_local_midnight_after(due_at, tz)]
    if next_due_at is not None:
        _require_aware(next_due_at, "next_due_at")
        if next_due_at <= due_at:
            raise ValueError("next_due_at must be after due_at")
        ends.append(next_due_at.astimezone(UTC))
    if max_window is not None:
        if max_window <= timedelta(0):
            raise ValueError("max_window must be positive")
        ends.append(due_at.astimezone(UTC) + max_window)
    return min(ends)


def to_utc(local_wall_time: datetime, tz: ZoneInfo) -> datetime:
    """The UTC instant of a naive local wall-clock time in tz.

    fold=0 gives both product rules at once (PEP 495): a nonexistent time is read with
    the offset before the gap, so it moves forward by the gap's length, and an
    ambiguous time means its first occurrence.
    """
    if local_wall_time.tzinfo is not None:
        raise ValueError("to_utc takes a naive local wall-clock time")
    return local_wall_time.replace(tzinfo=tz, fold=0).astimezone(UTC)


def _iter_slots(
    schedule: Schedule,
    tz: ZoneInfo,
    anchor: datetime,
    after_sequence: int,
    resume_after: datetime | None,
) -> Iterator[Slot]:
    if after_sequence < -1:
        raise ValueError("after_sequence must be -1 (from the start) or a slot's sequence")
    if resume_after is not None:
        _require_aware(resume_after, "resume_after")
        if after_sequence < 0:
            raise ValueError("resume_after needs the sequence of the slot it comes from")
    instants = _dose_instants(schedule, tz, anchor, resume_after)
    if resume_after is None:
        # No resume point: recompute the series and drop what the caller already has.
        instants = islice(instants, after_sequence + 1, None)
    for sequence, due_at in zip(count(after_sequence + 1), instants, strict=False):
        if schedule.occurrences and sequence >= schedule.occurrences:
            return
        yield Slot(sequence, due_at)


def _dose_instants(
    schedule: Schedule, tz: ZoneInfo, anchor: datetime, resume_after: datetime | None
) -> Iterator[datetime]:
    """Every due time of the series, strictly increasing, at or after anchor, and after
    resume_after when given; unbounded (the caller stops)."""
    _check_expandable(schedule)
    start_day = anchor.astimezone(tz).date() + timedelta(days=schedule.start_in_days)
    if schedule.every_hours:
        return _every_hours_instants(schedule, tz, anchor, start_day, resume_after)
    return _dosing_day_instants(schedule, tz, anchor, start_day, resume_after)


def _every_hours_instants(
    schedule: Schedule,
    tz: ZoneInfo,
    anchor: datetime,
    start_day: date,
    resume_after: datetime | None,
) -> Iterator[datetime]:
    step = timedelta(hours=schedule.every_hours)
    if schedule.start_in_days:
        first = to_utc(datetime.combine(start_day, local_times(schedule)[0]), tz)
    else:
        first = _round_up(anchor.astimezone(UTC), _ROUND_FIRST_DOSE_TO)
    restart = first
    if resume_after is not None and resume_after > first:
        # Restart on the series' own grid so a top-up never drifts off it.
        restart = first + ((resume_after - first) // step) * step
    rule = rrule(HOURLY, interval=schedule.every_hours, dtstart=restart)
    for instant in rule:
        if resume_after is None or instant > resume_after:
            yield instant


def _dosing_day_instants(
    schedule: Schedule,
    tz: ZoneInfo,
    anchor: datetime,
    start_day: date,
    resume_after: datetime | None,
) -> Iterator[datetime]:
    times = local_times(schedule)
    # The first dosing day is the first day (a named weekday, if any are named) on or
    # after start_day with a slot at or after the anchor; later dosing days follow it by
    # the day rule (every every_days days, or the named weekdays of every period).
    candidates = _day_rule(schedule, start_day, period_days=1)
    first_day, _ = next(_instants_by_day(candidates, times, tz, floor=anchor))
    period = _period_days(schedule)
    restart_day = first_day
    if resume_after is not None:
        target = (resume_after - _RESUME_LOOKBACK).astimezone(tz).date()
        if target > first_day:
            periods = (target - first_day).days // period
            restart_day = first_day + timedelta(days=periods * period)
    days = _day_rule(schedule, restart_day, period_days=period)
    for _, instant in _instants_by_day(days, times, tz, floor=anchor, after=resume_after):
        yield instant


def _period_days(schedule: Schedule) -> int:
    """Length of the repeating pattern of dosing days: every_days, or whole weeks."""
    every_days = max(schedule.every_days, 1)  # proto3 leaves an unset every_days at 0
    if schedule.days_of_week:
        return 7 * max(every_days // 7, 1)
    return every_days


def _day_rule(schedule: Schedule, first_day: date, *, period_days: int) -> Iterator[date]:
    start = datetime.combine(first_day, time())
    if schedule.days_of_week:
        byweekday = [_RRULE_DAYS[code] for code in schedule.days_of_week]
        weeks = max(period_days // 7, 1)
        rule = rrule(WEEKLY, interval=weeks, byweekday=byweekday, dtstart=start)
    else:
        rule = rrule(DAILY, interval=period_days, dtstart=start)
    return (midnight.date() for midnight in rule)


def _instants_by_day(
    days: Iterable[date],
    times: list[time],
    tz: ZoneInfo,
    *,
    floor: datetime,
    after: datetime | None = None,
) -> Iterator[tuple[date, datetime]]:
    """(dosing day, due time) of every dose at or after floor and after `after`, strictly
    increasing. Starting with `after` as the last slot seen is what makes a top-up
    continue exactly as one long expansion would.

    Within a day the instants are sorted: a time pushed forward out of a gap may pass a
    later time of the same day (02:30 -> 03:30 passes 03:00). A candidate that would not
    move the series forward (it lands on or before an earlier slot) is dropped, so a
    bounded course just ends one slot later instead of doubling a dose.
    """
    last = after
    for day in days:
        for instant in sorted({to_utc(datetime.combine(day, t), tz) for t in times}):
            if instant >= floor and (last is None or instant > last):
                last = instant
                yield day, instant


def _check_expandable(schedule: Schedule) -> None:
    # validate_steps rejects these already; refuse rather than guess if one slips through.
    counts = (
        schedule.times_per_day,
        schedule.every_hours,
        schedule.every_days,
        schedule.occurrences,
        schedule.start_in_days,
    )
    if min(counts) < 0:
        raise ValueError("schedule fields must not be negative")
    if schedule.every_hours and schedule.times_per_day:
        raise ValueError("set times_per_day or every_hours, not both")
    if schedule.every_hours and schedule.every_days > 1:
        raise ValueError("every_hours cannot be combined with every_days > 1")
    if schedule.every_hours and schedule.days_of_week:
        raise ValueError("every_hours cannot be combined with days_of_week")
    if any(day not in _RRULE_DAYS for day in schedule.days_of_week):
        raise ValueError("days_of_week must be RFC 5545 day codes MO..SU")


def _local_midnight_after(instant: datetime, tz: ZoneInfo) -> datetime:
    next_day = instant.astimezone(tz).date() + timedelta(days=1)
    # Where midnight itself falls in a gap (e.g. America/Havana), to_utc gives the
    # first instant of the new day.
    return to_utc(datetime.combine(next_day, time()), tz)


def _round_up(instant: datetime, unit: timedelta) -> datetime:
    # Rounded in UTC: every zone in use today is offset by a multiple of 15 minutes, so a
    # whole 5 minutes in UTC is a whole 5 minutes on the patient's clock as well.
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    remainder = (instant - epoch) % unit
    return instant if not remainder else instant + (unit - remainder)


def _parse_hhmm(text: str) -> time:
    hours, sep, minutes = text.partition(":")
    if not (sep and len(hours) == 2 and len(minutes) == 2 and (hours + minutes).isdigit()):
        raise ValueError(f"time of day must be HH:MM, got {text!r}")
    return time(int(hours), int(minutes))  # time() rejects 24:00, 12:60, ...


def _require_aware(value: datetime, name: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")
