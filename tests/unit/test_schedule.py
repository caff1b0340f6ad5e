"""Schedule expansion: defaults, bounded courses, top-ups, daylight-saving changes, windows."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from carenotes_server.domain.clinical_bounds import MAX_DOSES_PER_DAY
from carenotes_server.domain.schedule import (
    DEFAULT_TIMES_OF_DAY,
    Slot,
    expand,
    following_slot,
    local_times,
    to_utc,
    window_end,
)
from carenotes_server.domain.steps import Schedule

NEW_YORK = ZoneInfo("America/New_York")  # 2025: spring forward Mar 9, fall back Nov 2
BERLIN = ZoneInfo("Europe/Berlin")  # 2025: spring forward Mar 30, fall back Oct 26
HOUR = timedelta(hours=1)


def at(tz: ZoneInfo, y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=tz)


def local(slots: list[Slot], tz: ZoneInfo) -> list[tuple[date, time]]:
    """(local date, local time) of each slot, the way the patient's phone shows it."""
    out = []
    for slot in slots:
        wall = slot.due_at.astimezone(tz)
        out.append((wall.date(), wall.time()))
    return out


def assert_well_formed(slots: list[Slot], first_sequence: int = 0) -> None:
    assert [s.sequence for s in slots] == list(range(first_sequence, first_sequence + len(slots)))
    assert all(s.due_at.utcoffset() == timedelta(0) for s in slots)
    assert all(a.due_at < b.due_at for a, b in pairwise(slots))


# --- default and overridden times of day ------------------------------------------------


@pytest.mark.parametrize(
    ("times_per_day", "expected"),
    [
        (1, ["09:00"]),
        (2, ["09:00", "21:00"]),
        (3, ["08:00", "14:00", "20:00"]),
        (4, ["08:00", "12:00", "16:00", "20:00"]),
        (5, ["08:00", "11:30", "15:00", "18:30", "22:00"]),
        (8, ["08:00", "10:00", "12:00", "14:00", "16:00", "18:00", "20:00", "22:00"]),
    ],
)
def test_default_times_of_day(times_per_day: int, expected: list[str]) -> None:
    times = local_times(Schedule(times_per_day=times_per_day, occurrences=10))
    assert [t.strftime("%H:%M") for t in times] == expected


@pytest.mark.parametrize("doses", range(5, MAX_DOSES_PER_DAY + 1))
def test_more_than_four_doses_spread_evenly_from_8_to_22(doses: int) -> None:
    times = DEFAULT_TIMES_OF_DAY[doses]
    minutes = [t.hour * 60 + t.minute for t in times]
    assert len(times) == doses
    assert (minutes[0], minutes[-1]) == (8 * 60, 22 * 60)
    gaps = {b - a for a, b in pairwise(minutes)}
    assert max(gaps) - min(gaps) <= 1  # even, up to rounding to the minute


@pytest.mark.parametrize(
    ("times_of_day", "expected"),
    [(("22:00",), time(22)), (("08:00",), time(8))],
    ids=["at bedtime", "every morning"],
)
def test_times_of_day_override_the_defaults(times_of_day: tuple[str, ...], expected: time) -> None:
    schedule = Schedule(times_per_day=1, occurrences=3, times_of_day=times_of_day)
    assert local_times(schedule) == [expected]
    slots = expand(schedule, tz=BERLIN, anchor=at(BERLIN, 2025, 6, 2, 7))
    assert [t for _, t in local(slots, BERLIN)] == [expected] * 3


def test_times_of_day_are_sorted_and_deduplicated() -> None:
    schedule = Schedule(times_per_day=3, times_of_day=("20:00", "07:30", "20:00"))
    assert local_times(schedule) == [time(7, 30), time(20)]


@pytest.mark.parametrize("bad", ["24:00", "9:00", "09:60", "0900", "ab:cd"])
def test_malformed_times_of_day_are_rejected(bad: str) -> None:
    with pytest.raises(ValueError, match=r"HH:MM|hour|minute"):
        local_times(Schedule(times_per_day=1, times_of_day=(bad,)))


def test_as_needed_produces_no_reminders() -> None:
    schedule = Schedule(times_per_day=2, occurrences=10, as_needed=True)
    assert local_times(schedule) == []
    assert expand(schedule, tz=NEW_YORK, anchor=at(NEW_YORK, 2025, 6, 2, 7)) == []


# --- bounded courses ---------------------------------------------------------------------


def test_twice_daily_for_3_days_submitted_at_15h_ends_a_day_later() -> None:
    schedule = Schedule(times_per_day=2, duration_days=3, occurrences=6)
    slots = expand(schedule, tz=NEW_YORK, anchor=at(NEW_YORK, 2025, 6, 2, 15))
    assert_well_formed(slots)
    d = date(2025, 6, 2)
    assert local(slots, NEW_YORK) == [
        (d, time(21)),
        (d + timedelta(1), time(9)),
        (d + timedelta(1), time(21)),
        (d + timedelta(2), time(9)),
        (d + timedelta(2), time(21)),
        (d + timedelta(3), time(9)),
    ]


def test_a_slot_exactly_at_the_anchor_counts() -> None:
    slots = expand(
        Schedule(times_per_day=2, occurrences=2), tz=BERLIN, anchor=at(BERLIN, 2025, 6, 2, 9)
    )
    assert local(slots, BERLIN) == [(date(2025, 6, 2), time(9)), (date(2025, 6, 2), time(21))]


def test_bid_for_10_days_is_20_reminders() -> None:
    schedule = Schedule(times_per_day=2, duration_days=10, occurrences=20)
    slots = expand(schedule, tz=BERLIN, anchor=at(BERLIN, 2025, 6, 2, 8))
    assert_well_formed(slots)
    assert len(slots) == 20
    assert [t for _, t in local(slots, BERLIN)] == [time(9), time(21)] * 10


def test_q8h_for_7_days_is_21_doses_8_real_hours_apart_across_dst() -> None:
    schedule = Schedule(every_hours=8, duration_days=7, occurrences=21)
    anchor = at(NEW_YORK, 2025, 3, 6, 15, 2)  # the clocks spring forward on Mar 9
    slots = expand(schedule, tz=NEW_YORK, anchor=anchor)
    assert_well_formed(slots)
    assert len(slots) == 21
    assert slots[0].due_at == at(NEW_YORK, 2025, 3, 6, 15, 5)  # rounded up to 5 minutes
    assert {b.due_at - a.due_at for a, b in pairwise(slots)} == {8 * HOUR}
    # Absolute spacing means the wall clock shifts by the hour the clocks jumped: three
    # days (9 doses) after Thursday 15:05 EST it is Sunday 16:05 EDT.
    assert local(slots, NEW_YORK)[0] == (date(2025, 3, 6), time(15, 5))
    assert local(slots, NEW_YORK)[9] == (date(2025, 3, 9), time(16, 5))


def test_every_hours_first_dose_on_a_five_minute_boundary_is_not_rounded() -> None:
    anchor = at(BERLIN, 2025, 6, 2, 10, 35)
    slots = expand(Schedule(every_hours=6, occurrences=2), tz=BERLIN, anchor=anchor)
    assert [s.due_at for s in slots] == [anchor, anchor + 6 * HOUR]


def test_weekly_for_4_weeks_is_on_the_weekday_of_the_first_dose() -> None:
    schedule = Schedule(times_per_day=1, every_days=7, duration_days=28, occurrences=4)
    anchor = at(BERLIN, 2025, 3, 12, 10)  # a Wednesday after 09:00: first dose Thursday
    slots = expand(schedule, tz=BERLIN, anchor=anchor)
    assert_well_formed(slots)
    days = [d for d, _ in local(slots, BERLIN)]
    assert days == [date(2025, 3, 13) + timedelta(weeks=i) for i in range(4)]
    assert {d.weekday() for d in days} == {3}
    assert {t for _, t in local(slots, BERLIN)} == {time(9)}  # across the Mar 30 change


def test_every_other_day() -> None:
    schedule = Schedule(times_per_day=1, every_days=2, occurrences=4)
    slots = expand(schedule, tz=NEW_YORK, anchor=at(NEW_YORK, 2025, 6, 2, 8))
    assert local(slots, NEW_YORK) == [(date(2025, 6, 2 + 2 * i), time(9)) for i in range(4)]


def test_every_days_zero_means_daily() -> None:
    schedule = Schedule(times_per_day=1, every_days=0, occurrences=3)
    slots = expand(schedule, tz=NEW_YORK, anchor=at(NEW_YORK, 2025, 6, 2, 8))
    assert [d.day for d, _ in local(slots, NEW_YORK)] == [2, 3, 4]


def test_start_in_days_starts_a_taper_step_on_a_later_day() -> None:
    anchor = at(NEW_YORK, 2025, 6, 2, 15)
    week_two = Schedule(times_per_day=1, occurrences=3, start_in_days=7)
    slots = expand(week_two, tz=NEW_YORK, anchor=anchor)
    # On a later day the course starts with that day's first slot, even before 15:00.
    assert local(slots, NEW_YORK) == [(date(2025, 6, 9 + i), time(9)) for i in range(3)]


def test_start_in_days_with_every_hours_starts_at_a_default_time_of_day() -> None:
    anchor = at(NEW_YORK, 2025, 6, 2, 15, 1)
    q8h = expand(
        Schedule(every_hours=8, occurrences=3, start_in_days=2), tz=NEW_YORK, anchor=anchor
    )
    assert local(q8h, NEW_YORK) == [
        (date(2025, 6, 4), time(8)),
        (date(2025, 6, 4), time(16)),
        (date(2025, 6, 5), time(0)),
    ]
    q12h = expand(
        Schedule(every_hours=12, occurrences=1, start_in_days=1), tz=NEW_YORK, anchor=anchor
    )
    assert local(q12h, NEW_YORK) == [(date(2025, 6, 3), time(9))]


def test_a_bounded_course_ignores_the_horizon() -> None:
    anchor = at(BERLIN, 2025, 6, 2, 8)
    schedule = Schedule(times_per_day=1, occurrences=30)
    assert len(expand(schedule, tz=BERLIN, anchor=anchor, horizon_end=anchor + HOUR)) == 30


# --- daylight-saving changes -------------------------------------------------------------


@pytest.mark.parametrize(
    ("tz", "change_day", "length_of_change_night"),
    [
        (NEW_YORK, date(2025, 3, 9), 23 * HOUR),
        (NEW_YORK, date(2025, 11, 2), 25 * HOUR),
        (BERLIN, date(2025, 3, 30), 23 * HOUR),
        (BERLIN, date(2025, 10, 26), 25 * HOUR),
    ],
)
def test_daily_9am_stays_9am_local_across_dst(
    tz: ZoneInfo, change_day: date, length_of_change_night: timedelta
) -> None:
    anchor = datetime.combine(change_day - timedelta(days=3), time(6), tzinfo=tz)
    slots = expand(
        Schedule(times_per_day=1), tz=tz, anchor=anchor, horizon_end=anchor + timedelta(days=7)
    )
    assert len(slots) == 7
    assert {t for _, t in local(slots, tz)} == {time(9)}
    day_of = next(i for i, (d, _) in enumerate(local(slots, tz)) if d == change_day)
    # The 09:00 before and the 09:00 after the change are 23 or 25 real hours apart.
    assert slots[day_of].due_at - slots[day_of - 1].due_at == length_of_change_night


@pytest.mark.parametrize(
    ("tz", "change_day"), [(NEW_YORK, date(2025, 3, 9)), (BERLIN, date(2025, 3, 30))]
)
def test_a_0230_slot_on_spring_forward_day_moves_past_the_gap(
    tz: ZoneInfo, change_day: date
) -> None:
    anchor = datetime.combine(change_day - timedelta(days=1), time(0), tzinfo=tz)
    slots = expand(Schedule(times_of_day=("02:30",), occurrences=3), tz=tz, anchor=anchor)
    assert local(slots, tz) == [
        (change_day - timedelta(days=1), time(2, 30)),
        (change_day, time(3, 30)),  # 02:30 does not exist that night
        (change_day + timedelta(days=1), time(2, 30)),
    ]


def test_gap_does_not_reorder_or_double_doses_on_the_change_day() -> None:
    schedule = Schedule(times_of_day=("02:30", "03:00", "03:30"), occurrences=6)
    slots = expand(schedule, tz=NEW_YORK, anchor=at(NEW_YORK, 2025, 3, 9, 0))
    assert_well_formed(slots)
    # 02:30 lands on 03:30, so that night has two doses (03:00, 03:30) and the course
    # makes up for it by ending one slot later.
    assert local(slots, NEW_YORK) == [
        (date(2025, 3, 9), time(3)),
        (date(2025, 3, 9), time(3, 30)),
        (date(2025, 3, 10), time(2, 30)),
        (date(2025, 3, 10), time(3)),
        (date(2025, 3, 10), time(3, 30)),
        (date(2025, 3, 11), time(2, 30)),
    ]


@pytest.mark.parametrize(
    ("tz", "wall", "expected_utc"),
    [
        (NEW_YORK, datetime(2025, 11, 2, 1, 30), datetime(2025, 11, 2, 5, 30, tzinfo=UTC)),
        (BERLIN, datetime(2025, 10, 26, 2, 30), datetime(2025, 10, 26, 0, 30, tzinfo=UTC)),
    ],
)
def test_an_ambiguous_fall_back_time_means_its_first_occurrence(
    tz: ZoneInfo, wall: datetime, expected_utc: datetime
) -> None:
    assert to_utc(wall, tz) == expected_utc
    anchor = datetime.combine(wall.date(), time(0), tzinfo=tz)
    schedule = Schedule(times_of_day=(wall.strftime("%H:%M"),), occurrences=1)
    assert expand(schedule, tz=tz, anchor=anchor)[0].due_at == expected_utc


# --- ongoing plans: rolling window and top-ups ------------------------------------------

ONGOING = {
    "daily": Schedule(times_per_day=1),
    "qid": Schedule(times_per_day=4),
    "every other day": Schedule(times_per_day=2, every_days=2),
    "weekly": Schedule(times_per_day=1, every_days=7),
    "q8h": Schedule(every_hours=8),
    "q36h": Schedule(every_hours=36),
    "gap times": Schedule(times_of_day=("02:30", "03:00")),
    "later start": Schedule(times_per_day=3, start_in_days=5),
}


def top_up_in_steps(
    schedule: Schedule,
    tz: ZoneInfo,
    anchor: datetime,
    step: timedelta,
    until: datetime,
    *,
    with_resume_time: bool,
) -> list[Slot]:
    """What the service does: expand a window, later expand the next one from the last slot."""
    slots: list[Slot] = []
    horizon = anchor + step
    while horizon <= until:
        last = slots[-1] if slots else None
        slots += expand(
            schedule,
            tz=tz,
            anchor=anchor,
            horizon_end=horizon,
            after_sequence=last.sequence if last else -1,
            resume_after=last.due_at if last and with_resume_time else None,
        )
        horizon += step
    return slots


@pytest.mark.parametrize("with_resume_time", [True, False], ids=["resume", "sequence only"])
@pytest.mark.parametrize("name", ONGOING)
def test_topping_up_an_ongoing_plan_equals_expanding_it_in_one_go(
    name: str, with_resume_time: bool
) -> None:
    schedule = ONGOING[name]
    anchor = at(NEW_YORK, 2025, 2, 20, 13, 17)  # the window spans the Mar 9 change
    until = anchor + timedelta(days=42)
    in_one_go = expand(schedule, tz=NEW_YORK, anchor=anchor, horizon_end=until)
    in_steps = top_up_in_steps(
        schedule,
        NEW_YORK,
        anchor,
        timedelta(days=3, hours=5),
        until,
        with_resume_time=with_resume_time,
    )
    assert in_one_go
    assert_well_formed(in_one_go)
    assert in_steps == in_one_go[: len(in_steps)]
    assert in_one_go[len(in_steps) :] == expand(
        schedule,
        tz=NEW_YORK,
        anchor=anchor,
        horizon_end=until,
        after_sequence=in_steps[-1].sequence,
        resume_after=in_steps[-1].due_at,
    )


def test_an_ongoing_plan_is_expanded_only_up_to_the_horizon() -> None:
    anchor = at(BERLIN, 2025, 6, 2, 10)
    slots = expand(
        Schedule(times_per_day=2), tz=BERLIN, anchor=anchor, horizon_end=anchor + timedelta(14)
    )
    assert len(slots) == 28  # 21:00 today ... 09:00 on day 14
    assert slots[-1].due_at < anchor + timedelta(days=14)


def test_an_ongoing_plan_needs_a_horizon() -> None:
    with pytest.raises(ValueError, match="horizon_end"):
        expand(Schedule(times_per_day=1), tz=BERLIN, anchor=at(BERLIN, 2025, 6, 2))


def test_a_bounded_course_can_be_continued_too() -> None:
    schedule = Schedule(times_per_day=3, occurrences=10)
    anchor = at(BERLIN, 2025, 6, 2, 10)
    whole = expand(schedule, tz=BERLIN, anchor=anchor)
    rest = expand(
        schedule, tz=BERLIN, anchor=anchor, after_sequence=3, resume_after=whole[3].due_at
    )
    assert rest == whole[4:]
    assert expand(schedule, tz=BERLIN, anchor=anchor, after_sequence=9) == []


def test_following_slot() -> None:
    anchor = at(BERLIN, 2025, 6, 2, 10)
    bounded = Schedule(times_per_day=2, occurrences=4)
    slots = expand(bounded, tz=BERLIN, anchor=anchor)
    assert following_slot(bounded, tz=BERLIN, anchor=anchor, slot=slots[1]) == slots[2]
    assert following_slot(bounded, tz=BERLIN, anchor=anchor, slot=slots[-1]) is None
    ongoing = Schedule(every_hours=12)
    window = expand(ongoing, tz=BERLIN, anchor=anchor, horizon_end=anchor + timedelta(days=1))
    beyond = following_slot(ongoing, tz=BERLIN, anchor=anchor, slot=window[-1])
    assert beyond == Slot(window[-1].sequence + 1, window[-1].due_at + 12 * HOUR)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"anchor": datetime(2025, 6, 2, 10)},
        {"anchor": at(BERLIN, 2025, 6, 2), "resume_after": at(BERLIN, 2025, 6, 3)},
        {"anchor": at(BERLIN, 2025, 6, 2), "after_sequence": -2},
    ],
    ids=["naive anchor", "resume without sequence", "negative sequence"],
)
def test_bad_continuation_arguments_are_rejected(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError, match=r"aware|sequence"):
        expand(Schedule(times_per_day=1, occurrences=3), tz=BERLIN, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "schedule",
    [
        Schedule(times_per_day=2, every_hours=8, occurrences=3),
        Schedule(every_hours=8, every_days=2, occurrences=3),
        Schedule(occurrences=3),
    ],
)
def test_schedules_validation_rejects_are_refused(schedule: Schedule) -> None:
    with pytest.raises(ValueError, match=r"schedule|every_hours"):
        expand(schedule, tz=BERLIN, anchor=at(BERLIN, 2025, 6, 2))


# --- properties ------------------------------------------------------------------------

ZONES = [
    ZoneInfo(name)
    for name in (
        "UTC",
        "America/New_York",
        "Europe/Berlin",
        "Australia/Lord_Howe",  # half-hour DST shift
        "America/Santiago",  # DST changes at midnight
        "Asia/Kathmandu",  # +05:45
        "Pacific/Apia",  # skipped 2011-12-30 entirely
    )
]

times_of_day_lists = st.lists(
    st.builds("{:02d}:{:02d}".format, st.integers(0, 23), st.integers(0, 59)),
    min_size=1,
    max_size=MAX_DOSES_PER_DAY,
)
daily_schedules = st.builds(
    Schedule,
    times_per_day=st.integers(1, MAX_DOSES_PER_DAY),
    every_days=st.integers(0, 14),
    start_in_days=st.integers(0, 10),
)
custom_time_schedules = st.builds(
    Schedule,
    times_of_day=times_of_day_lists.map(tuple),
    every_days=st.integers(1, 9),
    start_in_days=st.integers(0, 3),
)
hourly_schedules = st.builds(
    Schedule, every_hours=st.integers(1, 168), start_in_days=st.integers(0, 10)
)
any_schedule = st.one_of(daily_schedules, custom_time_schedules, hourly_schedules)
anchors = st.datetimes(
    min_value=datetime(2011, 1, 1), max_value=datetime(2035, 12, 31), timezones=st.just(UTC)
)


def with_occurrences(schedule: Schedule, occurrences: int) -> Schedule:
    return Schedule(**{**schedule.__dict__, "occurrences": occurrences})


@settings(max_examples=300, deadline=None)
@given(
    schedule=any_schedule,
    occurrences=st.integers(1, 80),
    tz=st.sampled_from(ZONES),
    anchor=anchors,
)
def test_a_bounded_course_has_exactly_its_occurrences_in_order_after_the_anchor(
    schedule: Schedule, occurrences: int, tz: ZoneInfo, anchor: datetime
) -> None:
    slots = expand(with_occurrences(schedule, occurrences), tz=tz, anchor=anchor)
    assert len(slots) == occurrences
    assert_well_formed(slots)
    assert slots[0].due_at >= anchor
    first_local_day = anchor.astimezone(tz).date() + timedelta(days=schedule.start_in_days)
    assert slots[0].due_at.astimezone(tz).date() >= first_local_day


@settings(max_examples=150, deadline=None)
@given(
    schedule=any_schedule,
    tz=st.sampled_from(ZONES),
    anchor=anchors,
    cuts=st.lists(st.integers(1, 40 * 24), min_size=1, max_size=5),
)
def test_top_ups_at_arbitrary_horizons_equal_one_expansion(
    schedule: Schedule, tz: ZoneInfo, anchor: datetime, cuts: list[int]
) -> None:
    until = anchor + timedelta(days=45)
    in_one_go = expand(schedule, tz=tz, anchor=anchor, horizon_end=until)
    pieces: list[Slot] = []
    for hours in [*sorted(cuts), 45 * 24]:
        last = pieces[-1] if pieces else None
        pieces += expand(
            schedule,
            tz=tz,
            anchor=anchor,
            horizon_end=anchor + timedelta(hours=hours),
            after_sequence=last.sequence if last else -1,
            resume_after=last.due_at if last else None,
        )
    assert pieces == in_one_go


# --- reminder windows -------------------------------------------------------------------


def test_window_ends_at_the_next_dose_when_it_comes_before_midnight() -> None:
    due = at(BERLIN, 2025, 6, 2, 8)
    assert window_end(due, at(BERLIN, 2025, 6, 2, 12), BERLIN) == at(BERLIN, 2025, 6, 2, 12)


def test_window_ends_at_local_midnight_when_the_next_dose_is_tomorrow() -> None:
    due = at(NEW_YORK, 2025, 6, 2, 21)
    end = window_end(due, at(NEW_YORK, 2025, 6, 3, 9), NEW_YORK)
    assert end == at(NEW_YORK, 2025, 6, 3, 0)
    assert end.utcoffset() == timedelta(0)
    assert window_end(due, None, NEW_YORK) == at(NEW_YORK, 2025, 6, 3, 0)


def test_max_window_shortens_the_window() -> None:
    due = at(BERLIN, 2025, 6, 2, 9)
    nxt = at(BERLIN, 2025, 6, 2, 21)
    assert window_end(due, nxt, BERLIN, max_window=2 * HOUR) == due + 2 * HOUR
    assert window_end(due, nxt, BERLIN, max_window=20 * HOUR) == nxt


def test_end_of_day_on_a_dst_change_is_local_midnight() -> None:
    due = at(NEW_YORK, 2025, 3, 9, 21)  # EDT since 03:00 that day
    assert window_end(due, None, NEW_YORK) == datetime(2025, 3, 10, 4, 0, tzinfo=UTC)
    due = at(NEW_YORK, 2025, 11, 2, 21)  # EST since 02:00 that day
    assert window_end(due, None, NEW_YORK) == datetime(2025, 11, 3, 5, 0, tzinfo=UTC)


def test_end_of_day_when_midnight_itself_is_skipped() -> None:
    santiago = ZoneInfo("America/Santiago")  # 2024-09-08 00:00 -> 01:00
    due = at(santiago, 2024, 9, 7, 20)
    end = window_end(due, None, santiago)
    assert end.astimezone(santiago) == at(santiago, 2024, 9, 8, 1)
    assert end - due == 4 * HOUR


@pytest.mark.parametrize(
    ("next_due_at", "max_window"),
    [(at(BERLIN, 2025, 6, 2, 9), None), (None, timedelta(0))],
)
def test_window_rejects_nonsense(
    next_due_at: datetime | None, max_window: timedelta | None
) -> None:
    with pytest.raises(ValueError, match=r"after|positive"):
        window_end(at(BERLIN, 2025, 6, 2, 9), next_due_at, BERLIN, max_window)
