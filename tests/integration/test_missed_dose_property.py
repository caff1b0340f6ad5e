"""The missed-dose rule as the database runs it (sweeps, make-ups, window clipping), on
random bounded courses, timezones with DST and miss patterns, SQLite and PostgreSQL:

* never two pending doses of one item closer than the item's own dosing interval;
* doses still to come = prescribed - taken - skipped - misses beyond the cap;
* the adherence counts agree with the rows.
"""

from __future__ import annotations

import itertools
import random
import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from carenotes_server.db.database import Database
from carenotes_server.domain.missed_dose import MissedDosePolicy
from carenotes_server.domain.schedule import continuation, expand
from carenotes_server.domain.steps import WEEKDAYS, Schedule
from carenotes_server.services.caller import Role
from tests.integration.reminder_fixtures import ReminderWorld, caller_for, make_world

ZONES = ["Europe/Paris", "America/New_York", "Australia/Lord_Howe", "UTC"]
CAP = 2

courses = st.one_of(
    st.builds(Schedule, times_per_day=st.integers(1, 4), occurrences=st.integers(2, 10)),
    st.builds(Schedule, every_hours=st.sampled_from([6, 8, 12]), occurrences=st.integers(2, 10)),
    st.builds(
        Schedule,
        times_per_day=st.just(1),
        days_of_week=st.sets(st.sampled_from(WEEKDAYS), min_size=2, max_size=4).map(
            lambda days: tuple(d for d in WEEKDAYS if d in days)
        ),
        occurrences=st.integers(2, 8),
    ),
)
# Around the spring and autumn changes of both hemispheres.
starts = st.sampled_from(
    [
        datetime(2026, 3, 26, 6, tzinfo=UTC),
        datetime(2026, 10, 22, 6, tzinfo=UTC),
        datetime(2026, 4, 2, 6, tzinfo=UTC),
        datetime(2026, 6, 10, 6, tzinfo=UTC),
    ]
)


async def run_course(
    world: ReminderWorld, schedule: Schedule, zone: str, rng: random.Random
) -> tuple[uuid.UUID, uuid.UUID]:
    patient = world.add_user(Role.PATIENT, timezone=zone)
    doctor = world.add_user(Role.DOCTOR)
    world.assign(patient, doctor)
    _, (item_id,) = world.put_in_force(patient, doctor, [("Take X", schedule)])
    me = caller_for(patient, Role.PATIENT)
    answered: set[uuid.UUID] = set()
    for _ in range(60):
        pending = [
            r
            for r in world.reminders(plan_item_id=item_id)
            if r.status in ("SCHEDULED", "SENT") and r.id not in answered
        ]
        if not pending or rng.random() < 0.05:
            break
        dose = pending[0]
        choice = rng.choice(["taken", "skipped", "missed", "missed"])
        if choice == "missed":
            world.clock.set(dose.window_ends_at + timedelta(seconds=1))
            world.services.delivery.sweep_missed(world.clock.now())
        else:
            world.clock.set(dose.due_at + timedelta(seconds=1))
            await world.services.history.acknowledge(me, str(dose.id), taken=choice == "taken")
            answered.add(dose.id)
    return patient, item_id


def check(world: ReminderWorld, schedule: Schedule, zone: str, item_id: uuid.UUID) -> None:
    rows = world.reminders(plan_item_id=item_id)
    tz = ZoneInfo(zone)
    with world.db.read() as session:
        from carenotes_server.db.models import PlanItem

        item = session.get(PlanItem, item_id)
        assert item is not None
        anchor = item.anchor_at
    last = max(r.due_at for r in rows)
    grid = expand(
        continuation(schedule), tz=tz, anchor=anchor, horizon_end=last + timedelta(seconds=1)
    )
    shortest = min(
        (b.due_at - a.due_at for a, b in itertools.pairwise(grid)),
        default=timedelta(days=1),
    )
    pending = sorted(r.due_at for r in rows if r.status in ("SCHEDULED", "SENT"))
    assert all(b - a >= shortest for a, b in itertools.pairwise(pending))
    assert {r.due_at for r in rows} <= {slot.due_at for slot in grid}
    assert len({r.due_at for r in rows}) == len(rows)
    count = {s: sum(1 for r in rows if r.status == s) for s in ("TAKEN", "SKIPPED", "MISSED")}
    beyond_cap = sum(1 for r in rows if r.status == "MISSED" and r.makeup_depth >= CAP)
    assert len(pending) == schedule.occurrences - count["TAKEN"] - count["SKIPPED"] - beyond_cap
    assert item.doses_made_up == len(rows) - schedule.occurrences == count["MISSED"] - beyond_cap
    assert item.course_ends_at == last
    # Each pending dose's window closes by the next one: never two answerable at once.
    open_rows = sorted(
        (r for r in rows if r.status in ("SCHEDULED", "SENT")), key=lambda r: r.due_at
    )
    for a, b in itertools.pairwise(open_rows):
        assert a.window_ends_at <= b.due_at


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(schedule=courses, zone=st.sampled_from(ZONES), start=starts, seed=st.integers(0, 2**31))
async def test_made_up_doses_never_double_up_and_the_counts_add_up(
    database: Database, schedule: Schedule, zone: str, start: datetime, seed: int
) -> None:
    world = make_world(database, start, policy=MissedDosePolicy(makeup_cap=CAP))
    _, item_id = await run_course(world, schedule, zone, random.Random(seed))
    check(world, schedule, zone, item_id)
