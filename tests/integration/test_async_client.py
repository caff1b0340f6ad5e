"""AsyncCareClient against a real server (SQLite and PostgreSQL, real gRPC channel):
the whole care flow, typed errors, token refresh, and the live reminder feed."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from carenotes.v1 import auth_pb2, care_pb2, steps_pb2
from carenotes_client import (
    AlreadyExists,
    Backoff,
    CareClient,
    InvalidArgument,
    MemorySessionStore,
    NotFound,
    PermissionDenied,
    Unauthenticated,
)
from carenotes_client.aio import AsyncCareClient
from carenotes_server.clock import FakeClock
from tests.harness import DEFAULT_PASSWORD, Harness, running_server

NOTE = "Take amoxicillin 500 mg twice daily for 3 days. Buy a thermometer."
# 10:00 in Paris: the course's first dose is at 21:00 today.
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
FAST = Backoff(initial=0.01, maximum=0.05, jitter=0.0)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
async def server(db_url: str, tmp_path: Path, clock: FakeClock) -> AsyncIterator[Harness]:
    env = {"CARENOTES_ACCESS_TOKEN_MINUTES": str(60 * 24 * 30)}
    async with running_server(db_url, tmp_path, clock=clock, env=env) as h:
        yield h


async def _pair(h: Harness) -> tuple[AsyncCareClient, AsyncCareClient]:
    doctor = AsyncCareClient(h.target, session_store=MemorySessionStore())
    patient = AsyncCareClient(h.target, session_store=MemorySessionStore())
    await doctor.sign_up(
        "Dr Ada Lovelace",
        "ada@clinic.example",
        DEFAULT_PASSWORD,
        "doctor",
        invitation_code=h.invite("ada@clinic.example"),
    )
    await patient.sign_up(
        "Sam Patient", "sam@example.org", DEFAULT_PASSWORD, "patient", "Europe/Paris"
    )
    await doctor.login("ada@clinic.example", DEFAULT_PASSWORD)
    await patient.login("sam@example.org", DEFAULT_PASSWORD)
    return doctor, patient


async def test_the_care_flow_through_the_async_client(server: Harness) -> None:
    doctor, patient = await _pair(server)
    async with doctor, patient:
        me = await patient.who_am_i()
        assert (me.email, me.role, me.timezone) == (
            "sam@example.org",
            auth_pb2.ROLE_PATIENT,
            "Europe/Paris",
        )
        found = [d async for d in patient.iter_doctors("ada", page_size=1)]
        assert [d.name for d in found] == ["Dr Ada Lovelace"]
        selected = await patient.select_doctor(found[0].id)
        assert selected.doctor.id == found[0].id
        assert (await patient.my_doctor()).name == "Dr Ada Lovelace"
        (listed,) = [p async for p in doctor.iter_patients()]
        assert listed.id == me.id

        submitted = await doctor.submit_note(me.id, NOTE, wait_for_steps=True, timeout=30)
        assert submitted.extraction_status == care_pb2.EXTRACTION_STATUS_DONE
        assert [n.id async for n in doctor.iter_notes(me.id)] == [submitted.note_id]
        assert (await doctor.get_note(submitted.note_id)).text == NOTE

        steps = await patient.get_steps()
        assert [c.text for c in steps.checklist] == ["Buy a thermometer"]
        done = await patient.complete_checklist_item(steps.checklist[0].id)
        assert done.done
        preview = await doctor.preview_steps("Metformin 500 mg BID, ongoing.")
        assert preview.plan[0].action.startswith("Take metformin 500 mg")

        reminders = [r async for r in patient.iter_reminders(page_size=2)]
        assert len(reminders) == 6
        scheduled = [
            r
            async for r in patient.iter_reminders(
                statuses=[steps_pb2.REMINDER_STATUS_SCHEDULED],
                due_from=START,
                due_before=START + timedelta(days=1),
            )
        ]
        assert len(scheduled) == 2  # 21:00 today and 09:00 tomorrow (Paris)
        adherence = await doctor.get_adherence(me.id)
        assert adherence.items[0].upcoming == 6
        calendar = await patient.export_calendar()
        assert calendar.ics.count("BEGIN:VEVENT") == 6

        await patient.logout()
        assert patient.session is None
        with pytest.raises(Unauthenticated):
            await patient.who_am_i()


async def test_errors_are_typed(server: Harness) -> None:
    doctor, patient = await _pair(server)
    async with doctor, patient:
        with pytest.raises(AlreadyExists):
            await patient.sign_up("Again", "sam@example.org", DEFAULT_PASSWORD, "patient")
        with pytest.raises(InvalidArgument) as invalid:
            await patient.sign_up("X", "not-an-email", DEFAULT_PASSWORD, "patient")
        assert "email" in {v.field for v in invalid.value.field_violations}
        with pytest.raises(PermissionDenied):
            await patient.list_patients()
        with pytest.raises(NotFound):
            await doctor.get_note("00000000-0000-0000-0000-000000000000")
        with pytest.raises(Unauthenticated):
            await patient.login("sam@example.org", "wrong password here")


async def test_refresh_rotates_and_keeps_the_session(server: Harness) -> None:
    doctor, patient = await _pair(server)
    async with doctor, patient:
        before = patient.session
        assert before is not None
        rotated = await patient.refresh()
        after = patient.session
        assert after is not None
        assert after.refresh_token == rotated.refresh_token != before.refresh_token
        assert (await patient.who_am_i()).email == "sam@example.org"

        # The sync and async clients share a session store and its refresh rules.
        # (on a thread: this event loop runs the server too)
        def sync_who_am_i() -> str:
            with CareClient(server.target, session_store=patient.session_store) as sync:
                return sync.who_am_i().email

        assert await asyncio.to_thread(sync_who_am_i) == "sam@example.org"


async def test_follow_reminders_delivers_live_reminders(server: Harness, clock: FakeClock) -> None:
    doctor, patient = await _pair(server)
    async with doctor, patient:
        me = await patient.who_am_i()
        await patient.select_doctor((await patient.list_doctors("ada")).doctors[0].id)
        await doctor.submit_note(me.id, NOTE, wait_for_steps=True, timeout=30)
        first = (await patient.list_reminders()).reminders[0]

        stop = asyncio.Event()
        received: list[steps_pb2.Reminder] = []

        async def follow() -> None:
            async for reminder in patient.follow_reminders(stop=stop, backoff=FAST):
                received.append(reminder)
                stop.set()

        task = asyncio.create_task(follow())
        await asyncio.sleep(0.3)  # subscribed
        clock.set(first.due_at.ToDatetime(tzinfo=UTC))
        await asyncio.to_thread(server.components.scheduler.tick)
        async with asyncio.timeout(15):
            await task
        assert [r.id for r in received] == [first.id]
        assert received[0].status == steps_pb2.REMINDER_STATUS_SENT

        # Stopping a feed that waits for reminders ends it at once.
        quiet = asyncio.Event()
        asyncio.get_running_loop().call_later(0.3, quiet.set)
        async with asyncio.timeout(5):
            assert [r async for r in patient.follow_reminders(first.id, stop=quiet)] == []
