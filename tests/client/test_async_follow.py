"""AsyncCareClient's live feed survives dropped streams like CareClient's: no reminder
lost, none twice, resumed from the last id, stopped at once by its event."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator

import grpc  # type: ignore[import-untyped, unused-ignore]
import pytest
from google.protobuf.message import Message

from carenotes.v1 import steps_pb2
from carenotes_client import CareClient, FileSessionStore, PermissionDenied
from carenotes_client.aio import AsyncCareClient
from tests.client.fake_server import FakeAuth, FakeServer, abort
from tests.client.test_follow_reminders import FAST, DroppingFeed, reminder


@pytest.fixture
async def client(
    fake: FakeServer, store: FileSessionStore, signed_in: CareClient
) -> AsyncIterator[AsyncCareClient]:
    async with AsyncCareClient(fake.target, session_store=store, timeout=5.0) as c:
        yield c


async def test_reconnects_with_the_last_seen_id_without_duplicates_or_loss(
    fake: FakeServer, auth: FakeAuth, client: AsyncCareClient
) -> None:
    feed = DroppingFeed(auth)
    fake.on_stream("StepsService/StreamReminders", feed)
    stop = asyncio.Event()
    received = []
    async with asyncio.timeout(10):
        async for item in client.follow_reminders(stop=stop, backoff=FAST):
            received.append(item.id)
            if len(received) == 5:
                stop.set()
    assert received == ["r1", "r2", "r3", "r4", "r5"]
    assert feed.cursors == ["", "r2", "r4"]


async def test_resumes_after_the_given_cursor(
    fake: FakeServer, auth: FakeAuth, client: AsyncCareClient
) -> None:
    feed = DroppingFeed(auth)
    feed.cursors = ["", ""]  # the next connection is the well-behaved one
    fake.on_stream("StepsService/StreamReminders", feed)
    stop = asyncio.Event()
    received = []
    async with asyncio.timeout(10):
        async for item in client.follow_reminders("r3", stop=stop, backoff=FAST):
            received.append(item.id)
            if item.id == "r5":
                stop.set()
    assert received == ["r4", "r5"]
    assert feed.cursors[2:] == ["r3"]


async def test_setting_stop_ends_a_feed_that_waits(
    fake: FakeServer, auth: FakeAuth, client: AsyncCareClient
) -> None:
    feed = DroppingFeed(auth)
    feed.reminders = []
    feed.cursors = ["", ""]
    fake.on_stream("StepsService/StreamReminders", feed)
    stop = asyncio.Event()
    asyncio.get_running_loop().call_later(0.3, stop.set)
    started = time.monotonic()
    async with asyncio.timeout(5):
        assert [r async for r in client.follow_reminders(stop=stop, backoff=FAST)] == []
    assert time.monotonic() - started < 3


async def test_errors_a_reconnect_cannot_cure_are_raised(
    fake: FakeServer, client: AsyncCareClient
) -> None:
    def refuse(
        request: steps_pb2.StreamRemindersRequest, context: grpc.ServicerContext
    ) -> Iterator[Message]:
        abort(context, grpc.StatusCode.PERMISSION_DENIED, "patients only")

    fake.on_stream("StepsService/StreamReminders", refuse)
    feed = client.follow_reminders(backoff=FAST)
    with pytest.raises(PermissionDenied, match="patients only"):
        await asyncio.wait_for(anext(feed), timeout=5)


async def test_stream_reminders_ends_with_the_stream(
    fake: FakeServer, auth: FakeAuth, client: AsyncCareClient
) -> None:
    def two(
        request: steps_pb2.StreamRemindersRequest, context: grpc.ServicerContext
    ) -> Iterator[Message]:
        auth.require(context)
        yield reminder(1)
        yield reminder(2)

    fake.on_stream("StepsService/StreamReminders", two)
    assert [r.id async for r in client.stream_reminders()] == ["r1", "r2"]
