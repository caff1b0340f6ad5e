"""RemindersService against real SQLite and real PostgreSQL (the `database` fixture).

Time is a FakeClock; the patient lives in Europe/Paris (UTC+1 in winter, UTC+2 from
2025-03-30), so "09:00 local" is 08:00 UTC before the change and 07:00 UTC after it.
"""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar
from sqlalchemy import select

from carenotes_server.db.database import Database
from carenotes_server.db.models import AuditEvent, PlanItem, User
from carenotes_server.domain.errors import (
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    PermissionDenied,
)
from carenotes_server.domain.missed_dose import MissedDosePolicy
from carenotes_server.domain.reminder_state import ReminderState
from carenotes_server.domain.schedule import expand
from carenotes_server.domain.steps import Schedule
from carenotes_server.services.caller import Role
from carenotes_server.services.reminders.views import Fired
from carenotes_server.services.steps.queries import schedule_of
from tests.integration.reminder_fixtures import ReminderWorld, caller_for, make_world

PARIS = ZoneInfo("Europe/Paris")
START = datetime(2025, 3, 10, 7, 0, tzinfo=UTC)  # Monday 08:00 in Paris
TWICE_DAILY_3_DAYS = Schedule(times_per_day=2, duration_days=3, occurrences=6)
DAILY_AT_NINE = Schedule(times_per_day=1, times_of_day=("09:00",))
S = ReminderState


def paris(day: int, hour: int, minute: int = 0, *, month: int = 3) -> datetime:
    """A Paris wall-clock time in 2025, as an aware UTC instant."""
    return datetime(2025, month, day, hour, minute, tzinfo=PARIS).astimezone(UTC)


def local_hhmm(instant: datetime) -> str:
    return instant.astimezone(PARIS).strftime("%H:%M")


@pytest.fixture
def world(database: Database) -> ReminderWorld:
    return make_world(database, START)


def patient_and_doctor(world: ReminderWorld) -> tuple[uuid.UUID, uuid.UUID]:
    patient = world.add_user(Role.PATIENT)
    doctor = world.add_user(Role.DOCTOR)
    world.assign(patient, doctor)
    return patient, doctor


def audit_rows(world: ReminderWorld, action: str) -> list[AuditEvent]:
    with world.db.read() as session:
        return list(
            session.scalars(
                select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
            )
        )


# --- planning -----------------------------------------------------------------------


def test_twice_daily_for_three_days_is_six_reminders_at_nine_and_nine_local(
    world: ReminderWorld,
) -> None:
    patient, doctor = patient_and_doctor(world)
    note_id, (item_id,) = world.put_in_force(patient, doctor, [("Take A", TWICE_DAILY_3_DAYS)])

    reminders = world.reminders(patient_id=patient)

    assert [r.due_at for r in reminders] == [
        paris(10, 9),
        paris(10, 21),
        paris(11, 9),
        paris(11, 21),
        paris(12, 9),
        paris(12, 21),
    ]
    assert [r.sequence for r in reminders] == list(range(6))
    assert {(r.status, r.note_id, r.plan_item_id) for r in reminders} == {
        (S.SCHEDULED.value, note_id, item_id)
    }
    # 09:00 closes at the 21:00 dose, 21:00 at local midnight.
    assert reminders[0].window_ends_at == paris(10, 21)
    assert reminders[1].window_ends_at == paris(11, 0)
    assert reminders[-1].window_ends_at == paris(13, 0)


def test_ongoing_plan_covers_the_window_and_as_needed_gets_nothing(
    database: Database,
) -> None:
    world = make_world(database, START, ongoing_window=timedelta(days=3))
    patient, doctor = patient_and_doctor(world)
    _, (daily, as_needed) = world.put_in_force(
        patient,
        doctor,
        [("Daily", DAILY_AT_NINE), ("If pain", Schedule(as_needed=True))],
    )

    assert [r.due_at for r in world.reminders(plan_item_id=daily)] == [
        paris(10, 9),
        paris(11, 9),
        paris(12, 9),
    ]
    assert world.reminders(plan_item_id=as_needed) == []


def test_dst_daily_nine_stays_nine_local_across_the_change(database: Database) -> None:
    world = make_world(database, paris(27, 8))
    patient, doctor = patient_and_doctor(world)
    world.put_in_force(patient, doctor, [("Daily", Schedule(times_per_day=1, occurrences=6))])

    reminders = world.reminders(patient_id=patient)

    assert [local_hhmm(r.due_at) for r in reminders] == ["09:00"] * 6
    utc_hours = [r.due_at.hour for r in reminders]
    assert utc_hours == [8, 8, 8, 7, 7, 7]  # 27, 28, 29 in CET; 30, 31, 1 in CEST

    # A dose missed before the change is made up after the course's last dose, at
    # 09:00 local on the far side of the change.
    on_the_29th = reminders[2]
    world.clock.set(paris(30, 0, 30))
    assert world.services.delivery.sweep_missed(world.clock.now()) == 3
    makeups = [r for r in world.reminders(patient_id=patient) if r.makeup_depth]
    assert [m.due_at for m in makeups] == [
        paris(2, 9, month=4),
        paris(3, 9, month=4),
        paris(4, 9, month=4),
    ]
    assert on_the_29th.id in {m.makeup_of_id for m in makeups}
    assert {local_hhmm(m.due_at) for m in makeups} == {"09:00"}


def test_cancel_items_cancels_only_scheduled_reminders_of_those_items(
    world: ReminderWorld,
) -> None:
    patient, doctor = patient_and_doctor(world)
    other = world.add_user(Role.PATIENT)
    _, (item, kept) = world.put_in_force(
        patient, doctor, [("Take A", TWICE_DAILY_3_DAYS), ("Take K", TWICE_DAILY_3_DAYS)]
    )
    world.put_in_force(other, doctor, [("Take B", TWICE_DAILY_3_DAYS)])
    first, second, third, *_ = world.reminders(plan_item_id=item)
    world.set_status(first.id, S.TAKEN)
    world.set_status(second.id, S.SENT)
    world.set_status(third.id, S.MISSED)

    with world.db.write() as session:
        cancelled = world.services.planning.cancel_items(session, [item])

    assert cancelled == {item: 3}  # the 3 still SCHEDULED; the SENT one stays answerable
    statuses = [r.status for r in world.reminders(plan_item_id=item)]
    assert statuses == ["TAKEN", "SENT", "MISSED", "CANCELLED", "CANCELLED", "CANCELLED"]
    assert {r.status for r in world.reminders(plan_item_id=kept)} == {"SCHEDULED"}
    assert {r.status for r in world.reminders(patient_id=other)} == {"SCHEDULED"}


def test_new_steps_cancel_the_old_reminders(world: ReminderWorld) -> None:
    patient, doctor = patient_and_doctor(world)
    _, (old_item,) = world.put_in_force(patient, doctor, [("Old", TWICE_DAILY_3_DAYS)])
    _, (new_item,) = world.put_in_force(patient, doctor, [("New", DAILY_AT_NINE)])

    assert {r.status for r in world.reminders(plan_item_id=old_item)} == {"CANCELLED"}
    assert {r.status for r in world.reminders(plan_item_id=new_item)} == {"SCHEDULED"}


# --- claiming -----------------------------------------------------------------------


def test_concurrent_claimers_never_claim_a_row_twice(world: ReminderWorld) -> None:
    patient, doctor = patient_and_doctor(world)
    hourly = Schedule(every_hours=1, occurrences=240)
    world.put_in_force(patient, doctor, [("Hourly", hourly), ("Also hourly", hourly)])
    expected = {r.id for r in world.reminders(patient_id=patient)}
    now = world.clock.now()
    claimed: list[uuid.UUID] = []
    lock = threading.Lock()
    start = threading.Barrier(4)
    errors: list[BaseException] = []

    def claimer() -> None:
        try:
            start.wait()
            while batch := world.services.delivery.claim_due(now, timedelta(days=30), limit=25):
                with lock:
                    claimed.extend(reminder_id for reminder_id, _ in batch)
        except Exception as exc:  # noqa: BLE001 - surfaced by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=claimer) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert errors == []
    duplicates = [rid for rid, n in Counter(claimed).items() if n > 1]
    assert duplicates == []
    assert set(claimed) == expected


def test_claim_returns_due_times_and_reclaims_only_stale_claims(world: ReminderWorld) -> None:
    patient, doctor = patient_and_doctor(world)
    world.put_in_force(patient, doctor, [("Take A", TWICE_DAILY_3_DAYS)])
    first, second, *_ = world.reminders(patient_id=patient)
    now = world.clock.now()  # 08:00 local, first dose at 09:00

    assert world.services.delivery.claim_due(now, timedelta(hours=2)) == [(first.id, first.due_at)]
    assert world.services.delivery.claim_due(now, timedelta(hours=2)) == []
    # Due but claimed a moment ago: the message may just be on its way.
    world.clock.set(first.due_at + timedelta(seconds=5))
    assert world.services.delivery.claim_due(world.clock.now(), timedelta(minutes=1)) == []
    # The message was lost (Redis flushed): once the claim is stale it is claimed again.
    world.clock.set(first.due_at + timedelta(minutes=1))
    assert world.services.delivery.claim_due(world.clock.now(), timedelta(minutes=1)) == [
        (first.id, first.due_at)
    ]
    # A delivered reminder is never claimed again.
    assert isinstance(world.services.delivery.fire(first.id), Fired)
    world.clock.set(second.due_at - timedelta(minutes=30))
    later = world.clock.now()
    assert world.services.delivery.claim_due(later, timedelta(hours=1)) == [
        (second.id, second.due_at)
    ]


# --- firing -------------------------------------------------------------------------


def test_fire_twice_delivers_once(world: ReminderWorld) -> None:
    patient, doctor = patient_and_doctor(world)
    world.put_in_force(patient, doctor, [("Take A", TWICE_DAILY_3_DAYS)])
    first, second, *_ = world.reminders(patient_id=patient)
    world.clock.set(first.due_at)

    fired = world.services.delivery.fire(first.id)

    assert fired == Fired(first.id, patient, 1)
    assert world.services.delivery.fire(first.id) is None
    world.clock.set(second.due_at + timedelta(seconds=30))
    assert world.services.delivery.fire(second.id) == Fired(second.id, patient, 2)
    delivered = world.reminders(patient_id=patient)[:2]
    assert [(r.status, r.delivery_seq) for r in delivered] == [("SENT", 1), ("SENT", 2)]
    assert delivered[1].sent_at == world.clock.now()


def test_concurrent_fires_with_duplicates_number_deliveries_gaplessly(
    world: ReminderWorld,
) -> None:
    patient, doctor = patient_and_doctor(world)
    world.put_in_force(patient, doctor, [(f"Dose {n}", DAILY_AT_NINE) for n in range(8)])
    due = [r for r in world.reminders(patient_id=patient) if r.due_at == paris(10, 9)]
    assert len(due) == 8
    world.clock.set(paris(10, 9, 1))
    results: list[object] = []
    lock = threading.Lock()
    start = threading.Barrier(16)

    def fire(reminder_id: uuid.UUID) -> None:
        start.wait()
        outcome = world.services.delivery.fire(reminder_id)
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=fire, args=(r.id,)) for r in due for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    fired = [r for r in results if isinstance(r, Fired)]
    assert len(fired) == 8
    assert results.count(None) == 8
    assert sorted(f.delivery_seq for f in fired) == list(range(1, 9))
    assert {f.reminder_id for f in fired} == {r.id for r in due}
    with world.db.read() as session:
        assert session.get(User, patient).reminder_seq == 8  # type: ignore[union-attr]


def test_fire_cancelled_or_unknown_is_none(world: ReminderWorld) -> None:
    patient, doctor = patient_and_doctor(world)
    world.put_in_force(patient, doctor, [("Take A", TWICE_DAILY_3_DAYS)])
    first = world.reminders(patient_id=patient)[0]
    world.put_in_force(patient, doctor, [("Replaced", DAILY_AT_NINE)])  # cancels `first`
    world.clock.set(first.due_at)

    assert world.services.delivery.fire(first.id) is None
    assert world.services.delivery.fire(uuid.uuid4()) is None
    (after,) = [r for r in world.reminders(patient_id=patient) if r.id == first.id]
    assert after.status == "CANCELLED"
    with world.db.read() as session:
        assert session.get(User, patient).reminder_seq == 0  # type: ignore[union-attr]


def test_fire_too_early_returns_due_at_and_sends_nothing(world: ReminderWorld) -> None:
    patient, doctor = patient_and_doctor(world)
    world.put_in_force(patient, doctor, [("Take A", TWICE_DAILY_3_DAYS)])
    first = world.reminders(patient_id=patient)[0]

    world.clock.set(first.due_at - timedelta(minutes=10))
    assert world.services.delivery.fire(first.id) == first.due_at
    assert world.reminders(patient_id=patient)[0].status == "SCHEDULED"
    # Within the tolerance of a broker's delay: delivered.
    world.clock.set(first.due_at - timedelta(milliseconds=500))
    assert isinstance(world.services.delivery.fire(first.id), Fired)


def test_fire_after_the_window_marks_missed_with_a_makeup(world: ReminderWorld) -> None:
    patient, doctor = patient_and_doctor(world)
    world.put_in_force(patient, doctor, [("Take A", TWICE_DAILY_3_DAYS)])
    first = world.reminders(patient_id=patient)[0]
    world.clock.set(first.window_ends_at + timedelta(seconds=1))

    assert world.services.delivery.fire(first.id) is None

    reminders = {r.id: r for r in world.reminders(patient_id=patient)}
    assert reminders[first.id].status == "MISSED"
    (makeup,) = [r for r in reminders.values() if r.makeup_of_id == first.id]
    # Appended after the course's last dose (12th 21:00), in its pattern: 13th 09:00.
    assert makeup.due_at == paris(13, 9)
    assert makeup.status == "SCHEDULED"


# --- missed doses and make-ups -------------------------------------------------------


async def test_missed_dose_extends_the_course_one_slot_until_the_cap(
    database: Database,
) -> None:
    world = make_world(database, START, policy=MissedDosePolicy(makeup_cap=2))
    patient, doctor = patient_and_doctor(world)
    daily_3 = Schedule(times_per_day=1, occurrences=3)
    _, (item_id,) = world.put_in_force(patient, doctor, [("Take A", daily_3)])
    me = caller_for(patient, Role.PATIENT)
    dose0, dose1, dose2 = world.reminders(patient_id=patient)

    # Dose 1 missed: one dose appended after the last (day 3), on day 4 at 09:00. The
    # next regular dose is not doubled up.
    world.clock.set(paris(11, 0, 5))
    assert world.services.delivery.sweep_missed(world.clock.now()) == 1
    (makeup1,) = [r for r in world.reminders(patient_id=patient) if r.makeup_of_id == dose0.id]
    assert (makeup1.due_at, makeup1.sequence, makeup1.makeup_depth) == (paris(13, 9), 3, 1)
    assert makeup1.window_ends_at == paris(14, 0)
    due_times = sorted(
        r.due_at for r in world.reminders(patient_id=patient) if r.status == "SCHEDULED"
    )
    assert due_times == [paris(11, 9), paris(12, 9), paris(13, 9)]
    with world.db.read() as session:
        item = session.get(PlanItem, item_id)
        assert item is not None
        assert (item.course_ends_at, item.doses_made_up) == (paris(13, 9), 1)

    world.clock.set(paris(11, 9, 5))
    await world.services.history.acknowledge(me, str(dose1.id), taken=True)
    world.clock.set(paris(12, 9, 5))
    await world.services.history.acknowledge(me, str(dose2.id), taken=True)
    # The make-up is missed too: made up once more, after it.
    world.clock.set(paris(14, 0, 5))
    assert world.services.delivery.sweep_missed(world.clock.now()) == 1
    (makeup2,) = [r for r in world.reminders(patient_id=patient) if r.makeup_of_id == makeup1.id]
    assert (makeup2.due_at, makeup2.sequence, makeup2.makeup_depth) == (paris(14, 9), 4, 2)

    world.clock.set(paris(15, 0, 5))
    assert world.services.delivery.sweep_missed(world.clock.now()) == 1
    # The cap (2 make-ups in a row) is reached: nothing more.
    assert [r for r in world.reminders(patient_id=patient) if r.makeup_of_id == makeup2.id] == []
    assert Counter(r.status for r in world.reminders(patient_id=patient)) == {
        "MISSED": 3,
        "TAKEN": 2,
    }
    assert world.services.delivery.sweep_missed(world.clock.now()) == 0


async def test_skipped_dose_gets_no_makeup(world: ReminderWorld) -> None:
    patient, doctor = patient_and_doctor(world)
    world.put_in_force(patient, doctor, [("Take A", TWICE_DAILY_3_DAYS)])
    first = world.reminders(patient_id=patient)[0]
    world.clock.set(first.due_at + timedelta(minutes=5))

    view = await world.services.history.acknowledge(
        caller_for(patient, Role.PATIENT), str(first.id), False
    )
    assert view.status is S.SKIPPED

    world.clock.set(first.window_ends_at + timedelta(minutes=1))
    assert world.services.delivery.sweep_missed(world.clock.now()) == 0
    assert [r for r in world.reminders(patient_id=patient) if r.makeup_depth] == []


def test_ongoing_plan_gets_no_makeup_and_top_up_continues_the_series(
    database: Database,
) -> None:
    world = make_world(database, START, ongoing_window=timedelta(days=3))
    patient, doctor = patient_and_doctor(world)
    twice_daily = Schedule(times_per_day=2)
    _, (item_id,) = world.put_in_force(patient, doctor, [("Ongoing", twice_daily)])
    assert len(world.reminders(plan_item_id=item_id)) == 6
    assert world.services.planning.top_up(world.clock.now()) == 0  # already expanded that far

    world.clock.set(paris(11, 23, 30))
    assert world.services.delivery.sweep_missed(world.clock.now()) == 3  # 10th 09/21, 11th 09
    assert [r for r in world.reminders(plan_item_id=item_id) if r.makeup_depth] == []

    added = world.services.planning.top_up(world.clock.now())
    assert added == 4  # until 14th 23:30 local: 12th 21:00 was the last, +13th, +14th
    assert world.services.planning.top_up(world.clock.now()) == 0
    world.clock.set(paris(16, 8))
    assert world.services.planning.top_up(world.clock.now()) == 8  # 15th to 18th, twice a day

    reminders = world.reminders(plan_item_id=item_id)
    with world.db.read() as session:
        item = session.get(PlanItem, item_id)
        assert item is not None
        assert item.expanded_until == world.clock.now() + timedelta(days=3)
        one_expansion = expand(
            schedule_of(item), tz=PARIS, anchor=item.anchor_at, horizon_end=item.expanded_until
        )
    assert [(r.sequence, r.due_at) for r in reminders] == [
        (slot.sequence, slot.due_at) for slot in one_expansion
    ]
    # Each window still ends at the next dose or local midnight, across top-up seams.
    for reminder in reminders:
        assert reminder.window_ends_at == (
            reminder.due_at + timedelta(hours=12)
            if local_hhmm(reminder.due_at) == "09:00"
            else reminder.due_at + timedelta(hours=3)
        )


# --- acknowledging --------------------------------------------------------------------


async def test_acknowledge_own_foreign_and_not_yet_due(world: ReminderWorld) -> None:
    patient, doctor = patient_and_doctor(world)
    stranger = world.add_user(Role.PATIENT)
    world.put_in_force(patient, doctor, [("Take A", TWICE_DAILY_3_DAYS)])
    first, second, *_ = world.reminders(patient_id=patient)
    me = caller_for(patient, Role.PATIENT)

    with pytest.raises(FailedPrecondition, match="not due yet"):
        await world.services.history.acknowledge(me, str(first.id), taken=True)

    world.clock.set(first.due_at + timedelta(minutes=3))
    with pytest.raises(NotFound):
        await world.services.history.acknowledge(
            caller_for(stranger, Role.PATIENT), str(first.id), taken=True
        )
    with pytest.raises(NotFound):
        await world.services.history.acknowledge(
            caller_for(doctor, Role.DOCTOR), str(first.id), True
        )
    with pytest.raises(InvalidArgument):
        await world.services.history.acknowledge(me, "not-an-id", taken=True)

    view = await world.services.history.acknowledge(me, str(first.id), taken=True)
    assert (view.id, view.status, view.text) == (first.id, S.TAKEN, "Take A")
    assert view.acknowledged_at == world.clock.now()
    with pytest.raises(FailedPrecondition, match="already acknowledged"):
        await world.services.history.acknowledge(me, str(first.id), taken=False)

    # A SENT reminder is acknowledgeable; a closed window is not.
    world.clock.set(second.due_at)
    assert isinstance(world.services.delivery.fire(second.id), Fired)
    world.clock.set(second.window_ends_at)
    with pytest.raises(FailedPrecondition, match="window"):
        await world.services.history.acknowledge(me, str(second.id), taken=True)

    denials = audit_rows(world, "reminder.ack")
    assert [(e.outcome, e.actor_id) for e in denials] == [
        ("denied", stranger),
        ("denied", doctor),
        ("allowed", patient),
    ]
    assert denials[0].patient_id == patient
    assert denials[0].resource_id == str(first.id)


async def test_acknowledge_cancelled_is_refused(world: ReminderWorld) -> None:
    patient, doctor = patient_and_doctor(world)
    world.put_in_force(patient, doctor, [("Take A", TWICE_DAILY_3_DAYS)])
    first = world.reminders(patient_id=patient)[0]
    world.put_in_force(patient, doctor, [("Replaced", DAILY_AT_NINE)])
    world.clock.set(first.due_at)

    with pytest.raises(FailedPrecondition, match="cancelled"):
        await world.services.history.acknowledge(
            caller_for(patient, Role.PATIENT), str(first.id), True
        )


# --- reading -------------------------------------------------------------------------


async def test_adherence_counts_for_patient_and_current_doctor_only(
    world: ReminderWorld,
) -> None:
    patient, doctor = patient_and_doctor(world)
    other_doctor = world.add_user(Role.DOCTOR)
    stranger = world.add_user(Role.PATIENT)
    note_id, (course, ongoing, _) = world.put_in_force(
        patient,
        doctor,
        [
            ("Take A", TWICE_DAILY_3_DAYS),
            ("Walk", DAILY_AT_NINE),
            ("If pain", Schedule(as_needed=True)),
        ],
    )
    me = caller_for(patient, Role.PATIENT)
    dose0, dose1, *_ = world.reminders(plan_item_id=course)
    world.clock.set(dose0.due_at + timedelta(minutes=1))
    await world.services.history.acknowledge(me, str(dose0.id), taken=True)
    world.clock.set(dose1.due_at + timedelta(minutes=1))
    await world.services.history.acknowledge(me, str(dose1.id), taken=False)
    world.clock.set(paris(12, 0, 30))
    world.services.delivery.sweep_missed(world.clock.now())

    mine = await world.services.history.adherence(me, "")
    as_doctor = await world.services.history.adherence(
        caller_for(doctor, Role.DOCTOR), str(patient)
    )

    assert mine == as_doctor
    assert mine.note_id == note_id
    course_counts, walk_counts = mine.items
    assert (course_counts.plan_item_id, course_counts.action) == (course, "Take A")
    assert (
        course_counts.taken,
        course_counts.skipped,
        course_counts.missed,
        course_counts.upcoming,
        course_counts.prescribed,
        course_counts.made_up,
    ) == (1, 1, 2, 4, 6, 2)  # upcoming: two doses on the 12th and two appended on the 13th
    assert course_counts.course_ends_at == paris(13, 21)
    assert course_counts.upcoming == (
        course_counts.prescribed
        + course_counts.made_up
        - course_counts.taken
        - course_counts.skipped
        - course_counts.missed
    )
    assert walk_counts.plan_item_id == ongoing
    assert (walk_counts.missed, walk_counts.prescribed) == (2, 0)

    with pytest.raises(PermissionDenied):
        await world.services.history.adherence(caller_for(other_doctor, Role.DOCTOR), str(patient))
    with pytest.raises(PermissionDenied):
        await world.services.history.adherence(caller_for(stranger, Role.PATIENT), str(patient))
    with pytest.raises(InvalidArgument):
        await world.services.history.adherence(caller_for(doctor, Role.DOCTOR), "")
    outcomes = [(e.outcome, e.actor_id) for e in audit_rows(world, "reminders.read")]
    assert outcomes == [
        ("allowed", patient),
        ("allowed", doctor),
        ("denied", other_doctor),
        ("denied", stranger),
    ]


async def test_adherence_without_steps_is_empty(world: ReminderWorld) -> None:
    patient = world.add_user(Role.PATIENT)
    view = await world.services.history.adherence(caller_for(patient, Role.PATIENT), "")
    assert (view.items, view.note_id) == ([], None)


async def test_list_pages_by_due_time_and_filters(world: ReminderWorld) -> None:
    patient, doctor = patient_and_doctor(world)
    world.put_in_force(patient, doctor, [("Take A", TWICE_DAILY_3_DAYS), ("B", DAILY_AT_NINE)])
    me = caller_for(patient, Role.PATIENT)
    everything = world.reminders(patient_id=patient)
    world.clock.set(everything[0].due_at)
    await world.services.history.acknowledge(me, str(everything[0].id), taken=True)

    seen: list[uuid.UUID] = []
    token = ""
    pages = 0
    while True:
        page, token = await world.services.history.list(
            me, patient_id="", start=None, end=None, statuses=[], page_size=4, page_token=token
        )
        seen.extend(view.id for view in page)
        pages += 1
        if not token:
            break
    assert len(everything) == 20  # 6 course doses and 14 days of the daily one
    assert pages == 5
    # Keyset order is (due_at, id); both databases order ids as their hex text does.
    assert seen == [r.id for r in sorted(everything, key=lambda r: (r.due_at, str(r.id)))]

    taken, token = await world.services.history.list(
        caller_for(doctor, Role.DOCTOR),
        patient_id=str(patient),
        start=None,
        end=None,
        statuses=[S.TAKEN],
        page_size=0,
        page_token="",
    )
    assert ([v.id for v in taken], token) == ([everything[0].id], "")
    assert taken[0].text in {"Take A", "B"}

    day_two, _ = await world.services.history.list(
        me,
        patient_id=str(patient),
        start=paris(11, 0),
        end=paris(12, 0),
        statuses=[S.SCHEDULED],
        page_size=50,
        page_token="",
    )
    assert sorted(local_hhmm(v.due_at) for v in day_two) == ["09:00", "09:00", "21:00"]

    with pytest.raises(InvalidArgument):
        await world.services.history.list(
            me, patient_id="", start=None, end=None, statuses=[], page_size=5, page_token="junk"
        )
    with pytest.raises(InvalidArgument):
        await world.services.history.list(
            me,
            patient_id="",
            start=paris(12, 0),
            end=paris(11, 0),
            statuses=[],
            page_size=5,
            page_token="",
        )
    with pytest.raises(PermissionDenied):
        await world.services.history.list(
            caller_for(world.add_user(Role.DOCTOR), Role.DOCTOR),
            patient_id=str(patient),
            start=None,
            end=None,
            statuses=[],
            page_size=5,
            page_token="",
        )


async def test_calendar_lists_upcoming_scheduled_reminders(world: ReminderWorld) -> None:
    patient, doctor = patient_and_doctor(world)
    world.put_in_force(patient, doctor, [("Take A", TWICE_DAILY_3_DAYS)])
    first = world.reminders(patient_id=patient)[0]
    world.clock.set(first.due_at)
    world.services.delivery.fire(first.id)  # SENT: no longer in the calendar

    ics = await world.services.history.calendar(caller_for(patient, Role.PATIENT))

    events = Calendar.from_ical(ics).walk("VEVENT")
    assert len(events) == 5
    assert {str(e.get("summary")) for e in events} == {"Take A"}
    starts = [e.decoded("dtstart") for e in events]
    assert starts == [r.due_at for r in world.reminders(patient_id=patient)[1:]]
    assert all(str(e.get("uid")).endswith("@carenotes") for e in events)


def test_sent_after_and_cursor_follow_delivery_order(world: ReminderWorld) -> None:
    patient, doctor = patient_and_doctor(world)
    stranger = world.add_user(Role.PATIENT)
    world.put_in_force(patient, doctor, [(f"Dose {n}", DAILY_AT_NINE) for n in range(5)])
    due = [r for r in world.reminders(patient_id=patient) if r.due_at == paris(10, 9)]
    world.clock.set(paris(10, 9))
    # Fired in reverse id order: delivery order, not id or due order, is what counts.
    order = sorted(due, key=lambda r: str(r.id), reverse=True)
    for reminder in order:
        assert isinstance(world.services.delivery.fire(reminder.id), Fired)

    replay = world.services.replay.sent_after(patient, 0)
    assert [v.id for v in replay] == [r.id for r in order]
    assert [v.delivery_seq for v in replay] == [1, 2, 3, 4, 5]
    assert [v.delivery_seq for v in world.services.replay.sent_after(patient, 2, 4)] == [3, 4]
    assert world.services.replay.sent_after(stranger, 0) == []

    assert world.services.replay.cursor_seq(patient, "") == 0
    assert world.services.replay.cursor_seq(patient, str(order[2].id)) == 3
    with pytest.raises(NotFound):
        world.services.replay.cursor_seq(stranger, str(order[2].id))
    with pytest.raises(InvalidArgument):
        world.services.replay.cursor_seq(patient, "nope")

    view = world.services.replay.load_view(order[0].id)
    assert view is not None
    assert (view.status, view.delivery_seq, view.sent_at) == (S.SENT, 1, paris(10, 9))
    assert world.services.replay.load_view(uuid.uuid4()) is None


async def test_audit_rows_of_reminder_reads_hold_ids_only(world: ReminderWorld) -> None:
    patient, doctor = patient_and_doctor(world)
    world.put_in_force(patient, doctor, [("Take secret-drug", TWICE_DAILY_3_DAYS)])
    me = caller_for(patient, Role.PATIENT)
    first = world.reminders(patient_id=patient)[0]
    world.clock.set(first.due_at)
    await world.services.history.acknowledge(me, str(first.id), taken=True)
    await world.services.history.adherence(me, "")
    await world.services.history.list(
        me, patient_id="", start=None, end=None, statuses=[], page_size=0, page_token=""
    )
    await world.services.history.calendar(me)

    with world.db.read() as session:
        events = list(session.scalars(select(AuditEvent)))
    assert Counter(e.action for e in events) == {"reminder.ack": 1, "reminders.read": 3}
    for event in events:
        assert event.patient_id == patient
        assert "secret" not in f"{event.resource_type}{event.resource_id}{event.reason}"


def test_reminders_of_an_item_no_longer_in_force_are_never_delivered(
    world: ReminderWorld,
) -> None:
    """A top-up or make-up that raced newer steps may leave a SCHEDULED row behind an
    inactive plan item: fire and the sweep cancel it instead of delivering or missing it."""
    patient, doctor = patient_and_doctor(world)
    _, (item_id,) = world.put_in_force(patient, doctor, [("Take A", TWICE_DAILY_3_DAYS)])
    first, second, *_ = world.reminders(patient_id=patient)
    with world.db.write() as session:
        item = session.get(PlanItem, item_id)
        assert item is not None
        item.active = False

    world.clock.set(first.due_at)
    assert world.services.delivery.fire(first.id) is None
    world.clock.set(second.window_ends_at)
    assert world.services.delivery.sweep_missed(world.clock.now()) == 0

    statuses = {r.id: r.status for r in world.reminders(patient_id=patient)}
    assert (statuses[first.id], statuses[second.id]) == ("CANCELLED", "CANCELLED")
    assert len(statuses) == 6  # no make-up


def test_sweep_and_top_up_skip_a_patient_whose_steps_are_changing(
    database: Database, storage_kind: str
) -> None:
    """PostgreSQL: while another transaction holds the patient row (new steps coming
    into force), the sweep and the top-up leave that patient for the next run instead
    of waiting (which could deadlock with the cancellation of the old reminders)."""
    if storage_kind != "postgres":
        pytest.skip("row locks are PostgreSQL's; SQLite serialises write transactions")
    world = make_world(database, START, ongoing_window=timedelta(days=1))
    patient, doctor = patient_and_doctor(world)
    world.put_in_force(patient, doctor, [("Daily", DAILY_AT_NINE)])
    world.clock.set(paris(12, 8))
    holding = threading.Event()
    release = threading.Event()

    def steps_coming_into_force() -> None:
        with world.db.write() as session:
            session.execute(select(User.id).where(User.id == patient).with_for_update())
            holding.set()
            release.wait(timeout=30)

    holder = threading.Thread(target=steps_coming_into_force)
    holder.start()
    try:
        assert holding.wait(timeout=10)
        assert world.services.delivery.sweep_missed(world.clock.now()) == 0
        assert world.services.planning.top_up(world.clock.now()) == 0
    finally:
        release.set()
        holder.join(timeout=30)
    assert world.services.delivery.sweep_missed(world.clock.now()) == 1  # the 10th's dose
    assert world.services.planning.top_up(world.clock.now()) == 2  # the 11th and the 12th
