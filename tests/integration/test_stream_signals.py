"""Open reminder streams react to what happens around them: a logout ends them at once
(even idle ones), many streams of one session cost one session check, and after a gap
in announcements (Redis reconnected) they catch up from the database."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import grpc
import pytest
from sqlalchemy import select, update

from carenotes.v1 import auth_pb2, care_pb2, steps_pb2
from carenotes_server.clock import FakeClock
from carenotes_server.db.models import Reminder
from carenotes_server.services.reminders.views import Fired
from tests.harness import Account, Harness, running_server

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
NOTE = "Take amoxicillin 500 mg twice daily for 3 days."


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


async def _clocked(
    db_url: str, tmp_path: Path, clock: FakeClock, **env: str
) -> AsyncIterator[Harness]:
    base = {"CARENOTES_ACCESS_TOKEN_MINUTES": str(60 * 24 * 30)}
    async with running_server(db_url, tmp_path, clock=clock, env={**base, **env}) as h:
        yield h


@pytest.fixture
async def harness_clocked(db_url: str, tmp_path: Path, clock: FakeClock) -> AsyncIterator[Harness]:
    async for h in _clocked(db_url, tmp_path, clock):
        yield h


@pytest.fixture
async def harness_uncached(db_url: str, tmp_path: Path, clock: FakeClock) -> AsyncIterator[Harness]:
    async for h in _clocked(db_url, tmp_path, clock, CARENOTES_AUTH_CACHE_SECONDS="0"):
        yield h


async def _first_reminder(h: Harness, doctor: Account, patient: Account) -> Reminder:
    await h.care.SubmitNote(
        care_pb2.SubmitNoteRequest(patient_id=patient.id, note=NOTE, wait_for_steps=True),
        metadata=doctor.metadata,
        timeout=20,
    )
    with h.components.db.read() as session:
        return session.scalars(
            select(Reminder)
            .where(Reminder.patient_id == uuid.UUID(patient.id))
            .order_by(Reminder.due_at)
        ).first()  # type: ignore[return-value]


async def test_logout_ends_an_idle_stream_at_once(harness_clocked: Harness) -> None:
    h = harness_clocked
    patient = await h.patient()
    stream = h.steps.StreamReminders(steps_pb2.StreamRemindersRequest(), metadata=patient.metadata)
    await asyncio.sleep(0.2)  # subscribed
    await h.auth.Logout(auth_pb2.LogoutRequest(), metadata=patient.metadata)
    with pytest.raises(grpc.aio.AioRpcError) as info:
        async with asyncio.timeout(3):
            await stream.read()
    assert info.value.code() == grpc.StatusCode.UNAUTHENTICATED


async def test_many_streams_of_one_session_share_one_session_check(
    harness_uncached: Harness, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    h = harness_uncached
    doctor, patient = await h.assigned_pair()
    first = await _first_reminder(h, doctor, patient)
    streams = [
        h.steps.StreamReminders(steps_pb2.StreamRemindersRequest(), metadata=patient.metadata)
        for _ in range(40)
    ]
    await asyncio.sleep(0.5)
    checks = count_session_reads(h, monkeypatch)
    clock.set(first.due_at)
    await asyncio.to_thread(h.components.scheduler.tick)
    async with asyncio.timeout(10):
        received = [await s.read() for s in streams]
    assert {r.id for r in received if isinstance(r, steps_pb2.Reminder)} == {str(first.id)}
    assert 1 <= len(checks) <= 2  # not one per stream
    for s in streams:
        s.cancel()


def count_session_reads(h: Harness, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The number of sessions each database read of the streams' session checks asked
    about (one entry per read)."""
    reads: list[int] = []
    real = h.components.accounts.live_session_users

    def counting(session_ids: list[uuid.UUID]) -> dict[uuid.UUID, uuid.UUID]:
        reads.append(len(session_ids))
        return real(session_ids)

    monkeypatch.setattr(h.components.accounts, "live_session_users", counting)
    return reads


async def test_the_streams_of_many_patients_due_together_share_their_reads(
    harness_uncached: Harness, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A morning peak in small: every patient's reminder due at one instant. Their
    session checks and the hub's view loads are a few queries, not one per stream."""
    h = harness_uncached
    doctor = await h.doctor()
    patients = [await h.patient() for _ in range(12)]
    firsts = []
    for patient in patients:
        await h.care.SelectDoctor(
            care_pb2.SelectDoctorRequest(doctor_id=doctor.id), metadata=patient.metadata
        )
        firsts.append(await _first_reminder(h, doctor, patient))
    due = max(r.due_at for r in firsts)
    await asyncio.to_thread(_move_due, h, [r.id for r in firsts], due)
    streams = [
        h.steps.StreamReminders(steps_pb2.StreamRemindersRequest(), metadata=p.metadata)
        for p in patients
    ]
    await asyncio.sleep(0.5)
    checks = count_session_reads(h, monkeypatch)
    loads: list[int] = []
    real_loads = h.components.reminders.replay.load_views

    def counting_loads(ids: list[uuid.UUID]) -> dict[uuid.UUID, object]:
        loads.append(len(ids))
        return dict(real_loads(ids))

    monkeypatch.setattr(h.components.reminders.replay, "load_views", counting_loads)
    clock.set(due)
    await asyncio.to_thread(h.components.scheduler.tick)
    async with asyncio.timeout(10):
        received = [await s.read() for s in streams]
    assert [getattr(r, "id", None) for r in received] == [str(r.id) for r in firsts]
    assert sum(checks) == len(patients)
    assert len(checks) <= 3, checks
    assert sum(loads) == len(patients)
    assert len(loads) <= 3, loads
    for s in streams:
        s.cancel()


def _move_due(h: Harness, ids: list[uuid.UUID], due: datetime) -> None:
    with h.components.db.write() as session:
        session.execute(
            update(Reminder)
            .where(Reminder.id.in_(ids))
            .values(due_at=due, window_ends_at=due + timedelta(hours=1))
        )


async def test_streams_catch_up_after_a_gap_in_announcements(
    harness_clocked: Harness, clock: FakeClock
) -> None:
    h = harness_clocked
    doctor, patient = await h.assigned_pair()
    first = await _first_reminder(h, doctor, patient)
    stream = h.steps.StreamReminders(steps_pb2.StreamRemindersRequest(), metadata=patient.metadata)
    await asyncio.sleep(0.2)
    clock.set(first.due_at)
    # Delivered in the database, but its announcement is lost (Redis was away).
    fired = await asyncio.to_thread(h.components.reminders.delivery.fire, first.id)
    assert isinstance(fired, Fired)
    pending = asyncio.ensure_future(stream.read())
    await asyncio.sleep(0.5)
    assert not pending.done()  # nothing announced, nothing pushed
    h.components.feed.resync()  # what the relay does when it reconnects
    async with asyncio.timeout(5):
        message = await pending
    assert isinstance(message, steps_pb2.Reminder)
    assert message.id == str(first.id)
    stream.cancel()
