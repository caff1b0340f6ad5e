"""The stream's protocol phase by phase (streaming/follow.py), over a real hub and an
in-memory stand-in for the database: replay, live, catch-up, and how a stream ends."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncGenerator

import pytest

from carenotes_server.clock import FakeClock
from carenotes_server.domain.errors import NotFound, Unauthenticated, Unavailable
from carenotes_server.services.reminders.views import ReminderView
from carenotes_server.streaming.follow import ReminderFollower
from carenotes_server.streaming.hub import Announcement, ReminderFeed
from tests.unit.stream_fakes import CALLER, NOW, PATIENT, Audit, Store

WAIT = 1.0


class World:
    def __init__(self, queue_size: int = 256) -> None:
        self.store = Store()
        self.audit = Audit()
        self.feed = ReminderFeed(self.store.load, queue_size=queue_size)
        self.follower = ReminderFollower(self.feed, self.store, self.audit, FakeClock(NOW))

    async def fire(self, seq: int, *, announced: bool = True) -> ReminderView:
        view = self.store.add(seq)
        if announced:
            await self.feed.announce(Announcement(PATIENT, view.id, seq))
        return view


@pytest.fixture
def world() -> World:
    return World()


async def _next(stream: AsyncGenerator[ReminderView, None]) -> ReminderView:
    return await asyncio.wait_for(anext(stream), WAIT)


async def _subscribed(
    world: World, stream: AsyncGenerator[ReminderView, None]
) -> asyncio.Task[ReminderView]:
    """The stream's next item, pending once the stream waits on its subscription."""
    pending = asyncio.ensure_future(_next(stream))
    for _ in range(100):
        if world.feed.stream_count:
            break
        await asyncio.sleep(0)
    else:
        raise AssertionError("the stream never subscribed")
    await asyncio.sleep(0)
    return pending


def _seqs(views: list[ReminderView]) -> list[int | None]:
    return [v.delivery_seq for v in views]


async def test_replay_comes_first_then_live_reminders_audited_before_they_leave(
    world: World,
) -> None:
    replayed = [world.store.add(1), world.store.add(2)]
    stream = world.follower.follow(CALLER, "")
    assert _seqs([await _next(stream), await _next(stream)]) == [1, 2]
    pending = await _subscribed(world, stream)
    live = await world.fire(3)
    assert (await pending).delivery_seq == 3
    assert world.audit.rows[0]["action"] == "reminders.stream"
    assert world.audit.delivered() == [
        (str(replayed[0].id), "replay"),
        (str(replayed[1].id), "replay"),
        (str(live.id), "live"),
    ]
    await stream.aclose()
    assert world.feed.stream_count == 0


async def test_a_reminder_fired_just_after_the_replay_read_is_not_lost(world: World) -> None:
    world.store.add(1)
    # Committed and announced after the replay's snapshot: only the queue has it, so
    # the stream must already be subscribed when it reads the replay.
    world.store.during_read = lambda: _fire(world, 2)
    stream = world.follower.follow(CALLER, "")
    assert _seqs([await _next(stream), await _next(stream)]) == [1, 2]
    await stream.aclose()


async def test_a_reminder_fired_before_the_replay_read_is_not_sent_twice(world: World) -> None:
    world.store.add(1)
    # Committed before the replay's snapshot and announced too: both have it.
    world.store.snapshot_first = False
    world.store.during_read = lambda: _fire(world, 2)
    stream = world.follower.follow(CALLER, "")
    assert _seqs([await _next(stream), await _next(stream)]) == [1, 2]
    pending = await _subscribed(world, stream)
    await world.fire(3)
    assert (await pending).delivery_seq == 3  # not 2 again
    assert [how for _, how in world.audit.delivered()] == ["replay", "replay", "live"]
    await stream.aclose()


async def _fire(world: World, seq: int) -> None:
    await world.fire(seq)


async def test_a_number_that_skips_ahead_is_caught_up_from_the_database_first(
    world: World,
) -> None:
    stream = world.follower.follow(CALLER, "")
    pending = await _subscribed(world, stream)
    lost = await world.fire(1, announced=False)  # its announcement never came
    overtaking = await world.fire(2)
    assert (await pending).delivery_seq == 1
    assert (await _next(stream)).delivery_seq == 2
    assert world.audit.delivered() == [(str(lost.id), "replay"), (str(overtaking.id), "live")]
    # The overtaken announcement arrives at last: already sent, so dropped.
    pending = asyncio.ensure_future(_next(stream))
    await world.feed.announce(Announcement(PATIENT, lost.id, 1))
    await world.fire(3)
    assert (await pending).delivery_seq == 3
    await stream.aclose()


async def test_resync_catches_up_what_was_never_announced(world: World) -> None:
    stream = world.follower.follow(CALLER, "")
    pending = await _subscribed(world, stream)
    await world.fire(1, announced=False)
    await world.fire(2, announced=False)
    await asyncio.sleep(0.05)
    assert not pending.done()
    world.feed.resync()
    assert (await pending).delivery_seq == 1
    assert (await _next(stream)).delivery_seq == 2
    await stream.aclose()


async def test_a_cursor_resumes_after_the_last_reminder_received(world: World) -> None:
    received = world.store.add(1)
    world.store.add(2)
    world.store.add(3)
    stream = world.follower.follow(CALLER, str(received.id))
    assert _seqs([await _next(stream), await _next(stream)]) == [2, 3]
    await stream.aclose()


async def test_another_patients_cursor_is_refused_and_audited(world: World) -> None:
    theirs = world.store.add(1, patient_id=uuid.uuid4())
    stream = world.follower.follow(CALLER, str(theirs.id))
    with pytest.raises(NotFound):
        await _next(stream)
    (row,) = world.audit.rows
    assert (row["reason"], row["outcome"]) == ("foreign_cursor", "denied")
    assert world.feed.stream_count == 0


async def test_revocation_ends_even_an_idle_stream(world: World) -> None:
    stream = world.follower.follow(CALLER, "")
    pending = await _subscribed(world, stream)
    world.feed.revoke(CALLER.session_id, None)
    with pytest.raises(Unauthenticated):
        await pending
    assert world.feed.stream_count == 0


async def test_a_session_ended_unannounced_gets_no_further_reminder(world: World) -> None:
    stream = world.follower.follow(CALLER, "")
    pending = await _subscribed(world, stream)
    world.store.session_live = False  # a user row deleted behind the API's back
    await world.fire(1)
    with pytest.raises(Unauthenticated):
        await pending
    assert world.audit.delivered() == []


async def test_a_stream_that_falls_behind_ends_unavailable() -> None:
    world = World(queue_size=2)
    stream = world.follower.follow(CALLER, "")
    pending = await _subscribed(world, stream)
    for seq in (1, 2, 3):  # queued with no chance for the stream to read in between
        await world.fire(seq)
    with pytest.raises(Unavailable):
        await pending
    assert world.audit.delivered() == []


async def test_shutdown_ends_the_stream_cleanly(world: World) -> None:
    stream = world.follower.follow(CALLER, "")
    pending = await _subscribed(world, stream)
    world.feed.close()
    with pytest.raises(StopAsyncIteration):
        await pending
    assert world.feed.stream_count == 0
