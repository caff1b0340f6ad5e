"""Firing many reminders per transaction and per message, on SQLite and PostgreSQL:
the same exactly-once and in-order guarantees as one at a time."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from carenotes_server.db.database import Database
from carenotes_server.domain.reminder_state import ReminderState
from carenotes_server.domain.steps import Schedule
from carenotes_server.scheduler import CLAIM_LIMIT
from carenotes_server.services.caller import Role
from carenotes_server.services.reminders.delivery import MAX_BATCH, batches_of
from tests.integration.reminder_fixtures import ReminderWorld, make_world

START = datetime(2025, 3, 10, 7, 0, tzinfo=UTC)
DAILY_AT_NINE = Schedule(times_per_day=1, times_of_day=("09:00",), duration_days=3)
TWICE_DAILY = Schedule(times_per_day=2, duration_days=2, occurrences=4)


@pytest.fixture
def world(database: Database) -> ReminderWorld:
    return make_world(database, START)


def patients_with_a_course(world: ReminderWorld, count: int, schedule: Schedule) -> list[uuid.UUID]:
    doctor = world.add_user(Role.DOCTOR)
    patients = []
    for _ in range(count):
        patient = world.add_user(Role.PATIENT)
        world.assign(patient, doctor)
        world.put_in_force(patient, doctor, [("Take A", schedule)])
        patients.append(patient)
    return patients


def test_one_call_fires_every_patient_due_at_the_same_instant(world: ReminderWorld) -> None:
    patients = patients_with_a_course(world, 5, DAILY_AT_NINE)
    firsts = [world.reminders(patient_id=p)[0] for p in patients]
    assert len({r.due_at for r in firsts}) == 1
    world.clock.set(firsts[0].due_at)

    outcome = world.services.delivery.fire_many([r.id for r in firsts])

    assert sorted(f.reminder_id for f in outcome.fired) == sorted(r.id for r in firsts)
    assert {f.delivery_seq for f in outcome.fired} == {1}
    assert outcome.early == []
    assert world.services.delivery.fire_many([r.id for r in firsts]).fired == []
    for patient in patients:
        first = world.reminders(patient_id=patient)[0]
        assert (first.status, first.delivery_seq) == ("SENT", 1)


def test_a_patients_doses_in_one_batch_are_numbered_in_due_order(world: ReminderWorld) -> None:
    (patient,) = patients_with_a_course(world, 1, TWICE_DAILY)
    world.extend_windows(patient, START + timedelta(days=10))
    rows = world.reminders(patient_id=patient)
    world.clock.set(rows[2].due_at)

    # Given out of order, and with a duplicate id: numbered by due time, once each.
    outcome = world.services.delivery.fire_many([rows[2].id, rows[0].id, rows[1].id, rows[0].id])

    assert [(f.reminder_id, f.delivery_seq) for f in outcome.fired] == [
        (rows[0].id, 1),
        (rows[1].id, 2),
        (rows[2].id, 3),
    ]
    assert [r.delivery_seq for r in world.reminders(patient_id=patient)[:3]] == [1, 2, 3]


def test_early_and_gone_reminders_in_a_batch_do_not_hold_back_the_rest(
    world: ReminderWorld,
) -> None:
    patients = patients_with_a_course(world, 3, DAILY_AT_NINE)
    due, later, acknowledged = (world.reminders(patient_id=p) for p in patients)
    world.clock.set(due[0].due_at)
    world.set_status(acknowledged[0].id, ReminderState.CANCELLED)

    outcome = world.services.delivery.fire_many(
        [due[0].id, later[1].id, acknowledged[0].id, uuid.uuid4()]
    )

    assert [f.reminder_id for f in outcome.fired] == [due[0].id]
    assert outcome.early == [(later[1].id, later[1].due_at)]
    assert world.reminders(patient_id=patients[2])[0].status == "CANCELLED"


def test_concurrent_overlapping_batches_deliver_each_reminder_once(world: ReminderWorld) -> None:
    patients = patients_with_a_course(world, 6, TWICE_DAILY)
    ids = [r.id for p in patients for r in world.reminders(patient_id=p)]
    world.clock.set(START + timedelta(days=3))  # every dose due, windows still open
    for p in patients:  # windows open for the whole test
        world.extend_windows(p, START + timedelta(days=10))
    fired: list[uuid.UUID] = []
    lock = threading.Lock()
    errors: list[BaseException] = []

    def fire(batch: list[uuid.UUID]) -> None:
        try:
            outcome = world.services.delivery.fire_many(batch)
            with lock:
                fired.extend(f.reminder_id for f in outcome.fired)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    # Three overlapping batches in reverse orders: row locks in a cycle would deadlock.
    batches = [ids, list(reversed(ids)), ids[len(ids) // 2 :] + ids[: len(ids) // 2]]
    threads = [threading.Thread(target=fire, args=(b,)) for b in batches]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert errors == []
    assert sorted(fired) == sorted(ids)
    for p in patients:
        assert [r.delivery_seq for r in world.reminders(patient_id=p)] == [1, 2, 3, 4]


def test_batches_group_one_instant_and_cap_their_size() -> None:
    at = START
    claimed = [(uuid.uuid4(), at + timedelta(milliseconds=ms)) for ms in (0, 5, 9, 11, 500)]
    claimed += [(uuid.uuid4(), at + timedelta(hours=1)) for _ in range(MAX_BATCH + 1)]

    batches = batches_of(list(reversed(claimed)))

    assert [len(b.reminder_ids) for b in batches] == [3, 1, 1, MAX_BATCH, 1]
    assert [b.due_at for b in batches[:3]] == [at, claimed[3][1], claimed[4][1]]
    assert sorted(i for b in batches for i in b.reminder_ids) == sorted(i for i, _ in claimed)
    assert batches_of([]) == []


def test_a_tick_enqueues_a_peak_larger_than_one_claim(world: ReminderWorld) -> None:
    count = CLAIM_LIMIT + 20
    patients = patients_with_a_course(world, count, DAILY_AT_NINE)
    due_at = world.reminders(patient_id=patients[0])[0].due_at
    sent: list[tuple[tuple[uuid.UUID, ...], datetime]] = []
    scheduler = world.scheduler(lambda ids, at: sent.append((tuple(ids), at)))
    world.clock.set(due_at - timedelta(seconds=2))

    report = scheduler.tick()

    assert report.enqueued == count
    assert {at for _, at in sent} == {due_at}
    assert all(len(ids) <= MAX_BATCH for ids, _ in sent)
    assert len({i for ids, _ in sent for i in ids}) == count


def test_a_failed_enqueue_gives_the_claims_back(world: ReminderWorld) -> None:
    patients = patients_with_a_course(world, 3, DAILY_AT_NINE)
    due_at = world.reminders(patient_id=patients[0])[0].due_at
    world.clock.set(due_at - timedelta(seconds=1))

    def broker_down(ids: object, at: object) -> None:
        raise ConnectionError("redis is down")

    report = world.scheduler(broker_down).tick()

    assert report.broker_failed
    assert report.enqueued == 0
    assert all(world.reminders(patient_id=p)[0].enqueued_at is None for p in patients)
    sent: list[object] = []
    assert world.scheduler(lambda ids, at: sent.append(ids)).tick().enqueued == 3


def test_a_broker_outage_is_logged_once_and_its_end_once(
    world: ReminderWorld, caplog: pytest.LogCaptureFixture
) -> None:
    patients = patients_with_a_course(world, 1, DAILY_AT_NINE)
    world.clock.set(world.reminders(patient_id=patients[0])[0].due_at - timedelta(seconds=1))
    up = [False]
    sent: list[object] = []

    def enqueue(ids: object, at: object) -> None:
        if not up[0]:
            raise ConnectionError("redis is down")
        sent.append(ids)

    scheduler = world.scheduler(enqueue)
    with caplog.at_level("INFO", logger="carenotes_server.scheduler"):
        for _ in range(5):  # retried every 0.1 s while Redis is away
            assert scheduler.tick().broker_failed
        up[0] = True
        assert not scheduler.tick().broker_failed
    said = [r.getMessage() for r in caplog.records if r.name == "carenotes_server.scheduler"]
    assert said == [
        "the broker is unreachable; reminders are enqueued when it is back",
        "the broker is reachable again",
    ]
    assert len(sent) == 1
