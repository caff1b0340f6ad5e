"""Reminders end to end inside one server (embedded broker and worker threads), with an
injected clock so days pass in milliseconds: scheduling, the live stream, acknowledging,
missed doses and their make-ups, cancellation by a newer note, resume by cursor."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import grpc
import pytest
from sqlalchemy import select

from carenotes.v1 import care_pb2, steps_pb2
from carenotes_server.clock import FakeClock
from carenotes_server.db.models import Reminder
from tests.harness import Account, Harness, running_server
from tests.integration.rpc_errors import expect_code

PARIS = ZoneInfo("Europe/Paris")
NOTE = "Take amoxicillin 500 mg twice daily for 3 days."
# 10:00 in Paris on an ordinary day: the course starts at 21:00 today.
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
async def clocked(db_url: str, tmp_path: Path, clock: FakeClock) -> AsyncIterator[Harness]:
    # Days pass on this clock; tokens must outlive them (expiry has its own tests).
    env = {"CARENOTES_ACCESS_TOKEN_MINUTES": str(60 * 24 * 30)}
    async with running_server(db_url, tmp_path, clock=clock, env=env) as h:
        yield h


async def _submit(h: Harness, doctor: Account, patient: Account, note: str) -> str:
    response = await h.care.SubmitNote(
        care_pb2.SubmitNoteRequest(patient_id=patient.id, note=note, wait_for_steps=True),
        metadata=doctor.metadata,
        timeout=20,
    )
    assert response.extraction_status == care_pb2.EXTRACTION_STATUS_DONE
    return response.note_id


def _reminders(h: Harness, patient: Account) -> list[Reminder]:
    with h.components.db.read() as session:
        return list(
            session.scalars(
                select(Reminder)
                .where(Reminder.patient_id == uuid.UUID(patient.id))
                .order_by(Reminder.due_at)
            )
        )


async def _tick(h: Harness) -> None:
    await asyncio.to_thread(h.components.scheduler.tick)


async def _until_sent(h: Harness, reminder_id: uuid.UUID) -> None:
    async with asyncio.timeout(10):
        while True:
            with h.components.db.read() as session:
                if session.get(Reminder, reminder_id).status == "SENT":  # type: ignore[union-attr]
                    return
            await asyncio.sleep(0.02)


async def _read(call: object) -> steps_pb2.Reminder:
    async with asyncio.timeout(10):
        message = await call.read()  # type: ignore[attr-defined]
    assert isinstance(message, steps_pb2.Reminder), message
    return message


async def test_course_streams_each_reminder_once_and_ack_counts(
    clocked: Harness, clock: FakeClock
) -> None:
    h = clocked
    doctor, patient = await h.assigned_pair(timezone="Europe/Paris")
    await _submit(h, doctor, patient, NOTE)
    rows = _reminders(h, patient)
    local = [(r.due_at.astimezone(PARIS).date().day, r.due_at.astimezone(PARIS).hour) for r in rows]
    assert local == [(2, 21), (3, 9), (3, 21), (4, 9), (4, 21), (5, 9)]

    stream = h.steps.StreamReminders(steps_pb2.StreamRemindersRequest(), metadata=patient.metadata)
    received: list[steps_pb2.Reminder] = []
    for row in rows:
        clock.set(row.due_at)
        await _tick(h)
        message = await _read(stream)
        received.append(message)
        assert message.id == str(row.id)
        assert "amoxicillin" in message.text.lower()
        assert message.due_at.ToDatetime(tzinfo=UTC) == row.due_at
        await h.steps.AcknowledgeReminder(
            steps_pb2.AcknowledgeReminderRequest(
                reminder_id=message.id, acknowledgement=steps_pb2.ACKNOWLEDGEMENT_TAKEN
            ),
            metadata=patient.metadata,
        )
    stream.cancel()
    assert len({m.id for m in received}) == 6
    adherence = await h.steps.GetAdherence(
        steps_pb2.GetAdherenceRequest(), metadata=patient.metadata
    )
    item = adherence.items[0]
    assert (item.taken, item.missed, item.upcoming, item.prescribed) == (6, 0, 0, 6)
    by_doctor = await h.steps.GetAdherence(
        steps_pb2.GetAdherenceRequest(patient_id=patient.id), metadata=doctor.metadata
    )
    assert by_doctor.items[0].taken == 6


async def test_missed_dose_is_made_up_after_the_last_dose_of_the_course(
    clocked: Harness, clock: FakeClock
) -> None:
    h = clocked
    doctor, patient = await h.assigned_pair(timezone="Europe/Paris")
    await _submit(h, doctor, patient, NOTE)
    first = _reminders(h, patient)[0]
    clock.set(first.due_at)
    await _tick(h)
    # Fired by a worker thread: moving the clock on before it has committed would race
    # the sweep below (which skips a patient whose row a fire holds).
    await _until_sent(h, first.id)
    clock.set(first.window_ends_at + timedelta(seconds=1))
    await _tick(h)  # window over: MISSED, make-up created
    rows = _reminders(h, patient)
    missed = next(r for r in rows if r.id == first.id)
    assert missed.status == "MISSED"
    makeup = next(r for r in rows if r.makeup_of_id == first.id)
    regular = [r for r in rows if r.makeup_depth == 0]
    last_regular = max(r.due_at for r in regular)
    # Twice daily: the slot after the course's last dose (09:00) is 21:00 that day.
    assert makeup.due_at.astimezone(PARIS).hour == 21
    assert makeup.due_at.astimezone(PARIS).date() == last_regular.astimezone(PARIS).date()
    assert makeup.due_at not in {r.due_at for r in regular}
    adherence = await h.steps.GetAdherence(
        steps_pb2.GetAdherenceRequest(), metadata=patient.metadata
    )
    item = adherence.items[0]
    assert (item.missed, item.made_up) == (1, 1)
    assert item.upcoming == 6  # 5 regular doses left + 1 made up
    assert item.course_ends_at.ToDatetime(tzinfo=UTC) == makeup.due_at


async def test_new_note_cancels_what_is_left_even_if_already_queued(
    clocked: Harness, clock: FakeClock
) -> None:
    h = clocked
    doctor, patient = await h.assigned_pair(timezone="Europe/Paris")
    await _submit(h, doctor, patient, NOTE)
    old = _reminders(h, patient)
    stream = h.steps.StreamReminders(steps_pb2.StreamRemindersRequest(), metadata=patient.metadata)
    await _submit(h, doctor, patient, "Take cetirizine 10 mg every morning for 2 days.")
    # A fire_reminder message for an old reminder still arrives (it was queued before).
    clock.set(old[0].due_at)
    h.components.tasks.enqueue_fire([old[0].id])
    new = [r for r in _reminders(h, patient) if r.status == "SCHEDULED"]
    clock.set(new[0].due_at)
    await _tick(h)
    message = await _read(stream)
    assert message.id == str(new[0].id)  # the cancelled one never reached the stream
    stream.cancel()
    statuses = {r.status for r in _reminders(h, patient) if r.id in {o.id for o in old}}
    assert statuses == {"CANCELLED"}


async def test_duplicate_fire_message_delivers_once(clocked: Harness, clock: FakeClock) -> None:
    h = clocked
    doctor, patient = await h.assigned_pair()
    await _submit(h, doctor, patient, NOTE)
    first = _reminders(h, patient)[0]
    clock.set(first.due_at)
    stream = h.steps.StreamReminders(steps_pb2.StreamRemindersRequest(), metadata=patient.metadata)
    h.components.tasks.enqueue_fire([first.id])
    h.components.tasks.enqueue_fire([first.id])
    assert (await _read(stream)).id == str(first.id)
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(stream.read(), 1.0)
    stream.cancel()


async def test_stream_replays_unacknowledged_after_the_cursor(
    clocked: Harness, clock: FakeClock
) -> None:
    h = clocked
    doctor, patient = await h.assigned_pair()
    await _submit(h, doctor, patient, NOTE)
    rows = _reminders(h, patient)
    clock.set(rows[0].due_at)
    await _tick(h)
    await _until_sent(h, rows[0].id)  # the worker thread delivers it; then queue the next
    # Just before the second dose: the first is still open (its window ends at the second).
    clock.set(rows[1].due_at - timedelta(milliseconds=500))
    h.components.tasks.enqueue_fire([rows[1].id])
    await asyncio.sleep(0.5)
    replay = h.steps.StreamReminders(steps_pb2.StreamRemindersRequest(), metadata=patient.metadata)
    ids = [(await _read(replay)).id for _ in range(2)]
    replay.cancel()
    assert ids == [str(r.id) for r in rows[:2]]
    resumed = h.steps.StreamReminders(
        steps_pb2.StreamRemindersRequest(after_id=ids[0]), metadata=patient.metadata
    )
    assert [(await _read(resumed)).id] == ids[1:]
    resumed.cancel()


async def test_acknowledging_others_or_future_reminders_is_refused(
    clocked: Harness, clock: FakeClock
) -> None:
    h = clocked
    doctor, patient = await h.assigned_pair(timezone="Europe/Paris")  # first dose 21:00
    stranger = await h.patient()
    await _submit(h, doctor, patient, NOTE)
    first = _reminders(h, patient)[0]
    take = steps_pb2.AcknowledgeReminderRequest(
        reminder_id=str(first.id), acknowledgement=steps_pb2.ACKNOWLEDGEMENT_TAKEN
    )
    await expect_code(
        h.steps.AcknowledgeReminder(take, metadata=patient.metadata),
        grpc.StatusCode.FAILED_PRECONDITION,
    )
    await expect_code(
        h.steps.AcknowledgeReminder(take, metadata=stranger.metadata), grpc.StatusCode.NOT_FOUND
    )
    await expect_code(
        h.steps.AcknowledgeReminder(
            steps_pb2.AcknowledgeReminderRequest(reminder_id=str(first.id)),
            metadata=patient.metadata,
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
    )


async def test_calendar_export_lists_upcoming_reminders(clocked: Harness) -> None:
    h = clocked
    doctor, patient = await h.assigned_pair()
    await _submit(h, doctor, patient, NOTE)
    ics = await h.steps.ExportCalendar(steps_pb2.ExportCalendarRequest(), metadata=patient.metadata)
    assert ics.ics.count("BEGIN:VEVENT") == 6
    assert "amoxicillin" in ics.ics.lower()
