"""The missed-dose rule: a missed dose of a bounded course is made up at its end."""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from carenotes_server.domain.missed_dose import MissedDosePolicy, makeup_slot
from carenotes_server.domain.schedule import Slot, continuation, expand
from carenotes_server.domain.steps import WEEKDAYS, Schedule

NEW_YORK = ZoneInfo("America/New_York")  # 2025: spring forward Mar 9, fall back Nov 2
BERLIN = ZoneInfo("Europe/Berlin")  # 2025: spring forward Mar 30, fall back Oct 26
DEFAULT = MissedDosePolicy()


def at(tz: ZoneInfo, y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=tz).astimezone(UTC)


def course(schedule: Schedule, tz: ZoneInfo, anchor: datetime) -> list[Slot]:
    return expand(schedule, tz=tz, anchor=anchor)


def test_a_missed_daily_dose_is_appended_after_the_last_one_not_doubled_up() -> None:
    # "Amoxicillin 500 mg once daily for 7 days", dose 3 (Wed) missed.
    anchor = at(BERLIN, 2025, 6, 2, 8)  # Monday 08:00
    daily_7 = Schedule(times_per_day=1, occurrences=7, duration_days=7)
    slots = course(daily_7, BERLIN, anchor)
    assert slots[-1].due_at == at(BERLIN, 2025, 6, 8, 9)
    made_up = makeup_slot(
        daily_7,
        tz=BERLIN,
        anchor=anchor,
        last=slots[-1],
        now=at(BERLIN, 2025, 6, 5, 0, 1),  # dose 3's window ended at midnight
        makeup_depth=0,
        policy=DEFAULT,
    )
    assert made_up == Slot(7, at(BERLIN, 2025, 6, 9, 9))  # day 8, same 09:00
    assert made_up.due_at not in {s.due_at for s in slots}


@pytest.mark.parametrize(
    ("schedule", "expected_local"),
    [
        (Schedule(times_per_day=2, occurrences=6), (2025, 6, 5, 9)),  # after 4th 21:00
        (Schedule(every_hours=8, occurrences=9), (2025, 6, 5, 8, 0)),  # 8 h after the last
        (Schedule(times_per_day=1, every_days=2, occurrences=3), (2025, 6, 8, 9)),
        (
            Schedule(times_per_day=1, days_of_week=("MO", "WE", "FR"), occurrences=3),
            (2025, 6, 9, 9),
        ),
    ],
)
def test_the_made_up_dose_keeps_the_course_pattern(
    schedule: Schedule, expected_local: tuple[int, ...]
) -> None:
    anchor = at(BERLIN, 2025, 6, 2, 8)
    slots = course(schedule, BERLIN, anchor)
    made_up = makeup_slot(
        schedule,
        tz=BERLIN,
        anchor=anchor,
        last=slots[-1],
        now=slots[0].due_at + timedelta(hours=1),
        makeup_depth=0,
        policy=DEFAULT,
    )
    assert made_up is not None
    assert made_up.due_at == at(BERLIN, *expected_local)
    assert made_up.sequence == schedule.occurrences


def test_the_made_up_dose_keeps_the_local_time_across_dst() -> None:
    anchor = at(NEW_YORK, 2025, 3, 6, 8)
    daily_3 = Schedule(times_per_day=1, occurrences=3)  # 6th, 7th, 8th at 09:00 EST
    slots = course(daily_3, NEW_YORK, anchor)
    made_up = makeup_slot(
        daily_3,
        tz=NEW_YORK,
        anchor=anchor,
        last=slots[-1],
        now=at(NEW_YORK, 2025, 3, 7, 0, 1),
        makeup_depth=0,
        policy=DEFAULT,
    )
    assert made_up is not None
    assert made_up.due_at.astimezone(NEW_YORK).replace(tzinfo=None) == datetime(2025, 3, 9, 9)
    assert made_up.due_at - slots[-1].due_at == timedelta(hours=23)  # spring forward


def test_a_slot_already_past_is_skipped_for_the_next_of_the_pattern() -> None:
    anchor = at(BERLIN, 2025, 6, 2, 8)
    daily_2 = Schedule(times_per_day=1, occurrences=2)
    slots = course(daily_2, BERLIN, anchor)
    late = makeup_slot(
        daily_2,
        tz=BERLIN,
        anchor=anchor,
        last=slots[-1],
        now=at(BERLIN, 2025, 6, 10, 12),  # the sweep ran a week late (an outage)
        makeup_depth=0,
        policy=DEFAULT,
    )
    assert late is not None
    assert late.due_at == at(BERLIN, 2025, 6, 11, 9)


@pytest.mark.parametrize(("cap", "depth", "made_up"), [(1, 0, True), (1, 1, False), (0, 0, False)])
def test_the_cap_bounds_make_ups_in_a_row(cap: int, depth: int, made_up: bool) -> None:
    anchor = at(BERLIN, 2025, 6, 2, 8)
    daily_2 = Schedule(times_per_day=1, occurrences=2)
    last = course(daily_2, BERLIN, anchor)[-1]
    slot = makeup_slot(
        daily_2,
        tz=BERLIN,
        anchor=anchor,
        last=last,
        now=anchor,
        makeup_depth=depth,
        policy=MissedDosePolicy(makeup_cap=cap),
    )
    assert (slot is not None) is made_up


@pytest.mark.parametrize(
    ("schedule", "allowed"),
    [
        (Schedule(times_per_day=1), True),  # ongoing: the next regular dose comes anyway
        (Schedule(as_needed=True), True),
        (Schedule(times_per_day=1, occurrences=5), False),  # a taper step
    ],
)
def test_ongoing_as_needed_and_taper_steps_get_no_makeup(schedule: Schedule, allowed: bool) -> None:
    anchor = at(BERLIN, 2025, 6, 2, 8)
    last = Slot(0, at(BERLIN, 2025, 6, 2, 9))
    slot = makeup_slot(
        schedule,
        tz=BERLIN,
        anchor=anchor,
        last=last,
        now=anchor,
        makeup_depth=0,
        policy=DEFAULT,
        makeup_allowed=allowed,
    )
    assert slot is None


def test_naive_or_negative_inputs_are_rejected() -> None:
    schedule = Schedule(times_per_day=1, occurrences=2)
    last = Slot(1, at(BERLIN, 2025, 6, 3, 9))
    with pytest.raises(ValueError, match="aware"):
        makeup_slot(
            schedule,
            tz=BERLIN,
            anchor=datetime(2025, 6, 2, 9),
            last=last,
            now=last.due_at,
            makeup_depth=0,
            policy=DEFAULT,
        )
    with pytest.raises(ValueError, match="negative"):
        makeup_slot(
            schedule,
            tz=BERLIN,
            anchor=last.due_at,
            last=last,
            now=last.due_at,
            makeup_depth=-1,
            policy=DEFAULT,
        )


@pytest.mark.parametrize(
    "kwargs", [{"makeup_cap": -1}, {"max_window": timedelta(0)}, {"max_window": -timedelta(1)}]
)
def test_policy_rejects_nonsense(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError, match=r"negative|positive"):
        MissedDosePolicy(**kwargs)  # type: ignore[arg-type]


# --- the property: whatever is missed, no double dose and a coherent count -------------

ZONES = [
    ZoneInfo(name)
    for name in (
        "UTC",
        "America/New_York",
        "Europe/Berlin",
        "Australia/Lord_Howe",  # half-hour DST shift
        "America/Santiago",  # DST changes at midnight
        "Asia/Kathmandu",  # +05:45
    )
]

bounded_schedules = st.one_of(
    st.builds(
        Schedule,
        times_per_day=st.integers(1, 6),
        every_days=st.integers(1, 3),
        occurrences=st.integers(1, 20),
    ),
    st.builds(
        Schedule, every_hours=st.sampled_from([4, 6, 8, 12, 24, 36]), occurrences=st.integers(1, 20)
    ),
    st.builds(
        Schedule,
        times_per_day=st.integers(1, 3),
        days_of_week=st.sets(st.sampled_from(WEEKDAYS), min_size=1, max_size=6).map(
            lambda days: tuple(d for d in WEEKDAYS if d in days)
        ),
        occurrences=st.integers(1, 15),
    ),
)


@dataclass
class Dose:
    slot: Slot
    depth: int
    outcome: str = "pending"


def simulate(
    schedule: Schedule, tz: ZoneInfo, anchor: datetime, cap: int, rng: random.Random
) -> list[Dose]:
    """Each dose, in due order, is taken, skipped or missed at random; each miss is made
    up per the rule, the sweep running when the dose's window closes (an hour later)."""
    doses = [Dose(slot, 0) for slot in expand(schedule, tz=tz, anchor=anchor)]
    policy = MissedDosePolicy(makeup_cap=cap)
    i = 0
    while i < len(doses):
        dose = doses[i]
        dose.outcome = rng.choice(["taken", "skipped", "missed", "missed"])
        if dose.outcome == "missed":
            made_up = makeup_slot(
                schedule,
                tz=tz,
                anchor=anchor,
                last=doses[-1].slot,
                now=dose.slot.due_at + timedelta(hours=1),
                makeup_depth=dose.depth,
                policy=policy,
            )
            if made_up is not None:
                doses.append(Dose(made_up, dose.depth + 1))
        i += 1
        # Stop part-way sometimes: the rest are still to come.
        if rng.random() < 0.05:
            break
    return doses


@settings(max_examples=300, deadline=None)
@given(
    schedule=bounded_schedules,
    tz=st.sampled_from(ZONES),
    anchor=st.datetimes(
        min_value=datetime(2015, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(UTC)
    ),
    cap=st.integers(0, 4),
    seed=st.integers(0, 2**32 - 1),
)
def test_missed_doses_never_double_up_and_the_counts_add_up(
    schedule: Schedule, tz: ZoneInfo, anchor: datetime, cap: int, seed: int
) -> None:
    doses = simulate(schedule, tz, anchor, cap, random.Random(seed))
    due = [d.slot.due_at for d in doses]
    # Every dose, made up or not, sits on the item's own grid, once: so no two pending
    # doses are ever closer than the pattern's own interval.
    assert due == sorted(due)
    assert len(set(due)) == len(due)
    grid = expand(
        continuation(schedule), tz=tz, anchor=anchor, horizon_end=due[-1] + timedelta(seconds=1)
    )
    assert set(due) <= {slot.due_at for slot in grid}
    pattern_gaps = [b.due_at - a.due_at for a, b in itertools.pairwise(grid)]
    if pattern_gaps:
        shortest = min(pattern_gaps)
        assert all(b - a >= shortest for a, b in itertools.pairwise(due))
    if schedule.every_hours:
        assert all(
            b - a >= timedelta(hours=schedule.every_hours) for a, b in itertools.pairwise(due)
        )
    # Doses still to come = prescribed - taken - skipped - misses beyond the cap.
    count = {
        o: sum(1 for d in doses if d.outcome == o)
        for o in ("taken", "skipped", "missed", "pending")
    }
    beyond_cap = sum(1 for d in doses if d.outcome == "missed" and d.depth >= cap)
    assert count["pending"] == schedule.occurrences - count["taken"] - count["skipped"] - beyond_cap
    made_up = len(doses) - schedule.occurrences
    assert made_up == count["missed"] - beyond_cap
