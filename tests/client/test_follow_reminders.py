"""The live reminder feed survives dropped streams: no reminder lost, none twice."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import grpc  # type: ignore[import-untyped, unused-ignore]
import pytest
from google.protobuf.message import Message

from carenotes.v1 import steps_pb2
from carenotes_client import Backoff, CareClient, PermissionDenied
from tests.client.fake_server import FakeAuth, FakeServer, abort

FAST = Backoff(initial=0.01, maximum=0.05, jitter=0.0)


def reminder(n: int) -> steps_pb2.Reminder:
    return steps_pb2.Reminder(id=f"r{n}", text=f"Dose {n}", status=steps_pb2.REMINDER_STATUS_SENT)


class DroppingFeed:
    """Replays from the cursor like the real server, but misbehaves on purpose:
    drops the first connection with UNAVAILABLE, replays an already delivered
    reminder on the second and then ends the stream, stays open on the third."""

    def __init__(self, auth: FakeAuth) -> None:
        self.auth = auth
        self.reminders = [reminder(n) for n in range(1, 6)]
        self.cursors: list[str] = []

    def __call__(
        self, request: steps_pb2.StreamRemindersRequest, context: grpc.ServicerContext
    ) -> Iterator[Message]:
        self.auth.require(context)
        self.cursors.append(request.after_id)
        ids = [r.id for r in self.reminders]
        start = ids.index(request.after_id) + 1 if request.after_id else 0
        connection = len(self.cursors)
        if connection == 1:
            yield from self.reminders[start : start + 2]
            abort(context, grpc.StatusCode.UNAVAILABLE, "server going away")
        elif connection == 2:
            yield from self.reminders[start - 1 : start + 2]  # one duplicate first
        else:
            yield from self.reminders[start:]
            closed = threading.Event()
            context.add_callback(closed.set)
            closed.wait(10)


def test_reconnects_with_the_last_seen_id_without_duplicates_or_loss(
    fake: FakeServer, auth: FakeAuth, signed_in: CareClient
) -> None:
    feed = DroppingFeed(auth)
    fake.on_stream("StepsService/StreamReminders", feed)
    stop = threading.Event()

    received = []
    for item in signed_in.follow_reminders(stop=stop, backoff=FAST):
        received.append(item.id)
        if len(received) == 5:
            stop.set()

    assert received == ["r1", "r2", "r3", "r4", "r5"]
    assert feed.cursors == ["", "r2", "r4"]


def test_resumes_after_the_given_cursor(
    fake: FakeServer, auth: FakeAuth, signed_in: CareClient
) -> None:
    feed = DroppingFeed(auth)
    feed.cursors = ["", ""]  # skip the misbehaving connections: the next one stays open
    fake.on_stream("StepsService/StreamReminders", feed)
    stop = threading.Event()

    received = []
    for item in signed_in.follow_reminders("r3", stop=stop, backoff=FAST):
        received.append(item.id)
        if item.id == "r5":
            stop.set()

    assert received == ["r4", "r5"]
    assert feed.cursors[2:] == ["r3"]


def test_setting_stop_ends_a_feed_that_waits_for_reminders(
    fake: FakeServer, auth: FakeAuth, signed_in: CareClient
) -> None:
    def silent(
        request: steps_pb2.StreamRemindersRequest, context: grpc.ServicerContext
    ) -> Iterator[Message]:
        closed = threading.Event()
        context.add_callback(closed.set)
        closed.wait(10)
        yield from ()

    fake.on_stream("StepsService/StreamReminders", silent)
    stop = threading.Event()
    threading.Timer(0.3, stop.set).start()

    started = time.monotonic()
    assert list(signed_in.follow_reminders(stop=stop, backoff=FAST)) == []
    assert time.monotonic() - started < 3


def test_errors_a_reconnect_cannot_cure_are_raised(
    fake: FakeServer, auth: FakeAuth, signed_in: CareClient
) -> None:
    def refuse(
        request: steps_pb2.StreamRemindersRequest, context: grpc.ServicerContext
    ) -> Iterator[Message]:
        # Not a generator: the abort happens as the server starts the stream.
        abort(context, grpc.StatusCode.PERMISSION_DENIED, "patients only")

    fake.on_stream("StepsService/StreamReminders", refuse)

    with pytest.raises(PermissionDenied, match="patients only"):
        next(signed_in.follow_reminders(backoff=FAST))


def test_stream_reminders_maps_errors_and_ends_with_the_stream(
    fake: FakeServer, auth: FakeAuth, signed_in: CareClient
) -> None:
    def two(
        request: steps_pb2.StreamRemindersRequest, context: grpc.ServicerContext
    ) -> Iterator[Message]:
        auth.require(context)
        yield reminder(1)
        yield reminder(2)

    fake.on_stream("StepsService/StreamReminders", two)
    assert [r.id for r in signed_in.stream_reminders()] == ["r1", "r2"]
