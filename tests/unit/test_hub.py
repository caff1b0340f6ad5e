"""The hub (streaming/hub.py) on its own: what it pushes, to whom, and its signals."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import replace

from carenotes_server.domain.reminder_state import ReminderState
from carenotes_server.services.reminders.views import ReminderView
from carenotes_server.streaming.hub import Announcement, ReminderFeed, Signal
from carenotes_server.streaming.relay import handle_announcement
from tests.unit.stream_fakes import PATIENT, Store


def _hub(store: Store, loads: list[uuid.UUID]) -> ReminderFeed:
    async def load(reminder_id: uuid.UUID) -> ReminderView | None:
        loads.append(reminder_id)
        return await store.load(reminder_id)

    return ReminderFeed(load)


def test_an_announcement_survives_its_wire_form() -> None:
    announcement = Announcement(uuid.uuid4(), uuid.uuid4(), 42)
    assert Announcement.decode(announcement.encode().encode()) == announcement


async def test_one_load_for_every_stream_of_the_patient_and_none_without_streams() -> None:
    store, loads = Store(), list[uuid.UUID]()
    hub = _hub(store, loads)
    view = store.add(1)
    await hub.announce(Announcement(PATIENT, view.id, 1))
    assert loads == []  # nobody listening: replayed on the next connect instead
    async with hub.subscribe(PATIENT, uuid.uuid4()) as a, hub.subscribe(PATIENT, uuid.uuid4()) as b:
        await hub.announce(Announcement(PATIENT, view.id, 1))
        assert loads == [view.id]
        assert await a.next() is await b.next()
    assert hub.stream_count == 0


async def test_a_reminder_no_longer_sent_is_not_pushed() -> None:
    store, loads = Store(), list[uuid.UUID]()
    hub = _hub(store, loads)
    view = store.add(1)
    store.sent[1] = replace(view, status=ReminderState.CANCELLED)
    async with hub.subscribe(PATIENT, uuid.uuid4()) as sub:
        await hub.announce(Announcement(PATIENT, view.id, 1))
        assert sub.queue.empty()


async def test_revocation_reaches_one_session_or_every_session_of_a_user() -> None:
    hub = _hub(Store(), [])
    other = uuid.uuid4()
    async with (
        hub.subscribe(PATIENT, uuid.uuid4()) as first,
        hub.subscribe(PATIENT, uuid.uuid4()) as second,
        hub.subscribe(other, uuid.uuid4()) as stranger,
    ):
        hub.revoke(first.session_id, None)
        assert (first.queue.qsize(), second.queue.qsize()) == (1, 0)
        hub.revoke(None, PATIENT)
        assert await second.next() is Signal.REVOKED
        assert stranger.queue.empty()


async def test_a_stream_opened_after_shutdown_ends_at_once() -> None:
    hub = _hub(Store(), [])
    hub.close()
    async with hub.subscribe(PATIENT, uuid.uuid4()) as sub:
        assert await sub.next() is Signal.CLOSED


async def test_announcements_of_a_burst_are_loaded_in_one_call() -> None:
    store = Store()
    views = [store.add(n) for n in range(1, 6)]
    calls: list[list[uuid.UUID]] = []

    async def load_many(ids: list[uuid.UUID]) -> dict[uuid.UUID, ReminderView | None]:
        calls.append(ids)
        return {i: await store.load(i) for i in ids}

    hub = ReminderFeed(store.load, load_many=load_many)
    async with hub.subscribe(PATIENT, uuid.uuid4()) as sub:
        for view in views:
            hub.announce_soon(Announcement(PATIENT, view.id, view.delivery_seq or 0))
        got = [await asyncio.wait_for(sub.next(), 2) for _ in views]
    assert {v.id for v in got if isinstance(v, ReminderView)} == {v.id for v in views}
    assert [len(ids) for ids in calls] == [len(views)]


async def test_a_failed_load_makes_the_patients_streams_catch_up() -> None:
    async def broken(ids: list[uuid.UUID]) -> dict[uuid.UUID, ReminderView | None]:
        raise ConnectionError("database down")

    store = Store()
    hub = ReminderFeed(store.load, load_many=broken)
    view = store.add(1)
    async with hub.subscribe(PATIENT, uuid.uuid4()) as sub:
        hub.announce_soon(Announcement(PATIENT, view.id, 1))
        assert await asyncio.wait_for(sub.next(), 2) is Signal.RESYNC


async def test_one_relayed_message_carries_the_announcements_of_a_batch() -> None:
    store = Store()
    views = [store.add(n) for n in range(1, 4)]
    hub = ReminderFeed(store.load)
    message = "\n".join(Announcement(PATIENT, v.id, v.delivery_seq or 0).encode() for v in views)
    async with hub.subscribe(PATIENT, uuid.uuid4()) as sub:
        await handle_announcement(hub, message.encode())
        got = [await asyncio.wait_for(sub.next(), 2) for _ in views]
    assert sorted(getattr(v, "delivery_seq", 0) for v in got) == [1, 2, 3]
