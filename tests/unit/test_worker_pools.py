"""The worker pools with real Dramatiq workers over the in-memory broker: reminders are
never stuck behind extractions, a stopping worker hands its waiting batch back, and the
watchdog notices a pool that lost a thread."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import dramatiq
import pytest
from dramatiq.brokers.stub import StubBroker
from dramatiq.middleware import Middleware

from carenotes_server.clock import SystemClock
from carenotes_server.health import ProcessHealth, watch_pools
from carenotes_server.services.extraction_job import ExtractionJob, JobOutcome
from carenotes_server.services.reminders.delivery import FireOutcome, ReminderDelivery
from carenotes_server.services.reminders.views import Fired
from carenotes_server.streaming.hub import Announcement
from carenotes_server.tasks import REMINDER_QUEUE, TaskRuntime, Tasks, make_broker
from carenotes_server.workers import WorkerPools


class SlowExtractions:
    """Every extraction blocks until released."""

    def __init__(self) -> None:
        self.release = threading.Event()
        self.started = threading.Semaphore(0)

    def run(self, note_id: uuid.UUID, *, last_attempt: bool) -> JobOutcome:
        self.started.release()
        self.release.wait(30)
        return JobOutcome.DONE


class RecordingDelivery:
    def __init__(self) -> None:
        self.fired: list[tuple[float, list[uuid.UUID]]] = []
        self.released: list[uuid.UUID] = []
        self.done = threading.Event()

    def fire_many(self, ids: Sequence[uuid.UUID]) -> FireOutcome:
        self.fired.append((time.time(), list(ids)))
        self.done.set()
        return FireOutcome(fired=[Fired(i, uuid.uuid4(), 1) for i in ids])

    def release(self, ids: Sequence[uuid.UUID]) -> int:
        self.released.extend(ids)
        return len(ids)


class World:
    def __init__(self, threads: int = 2) -> None:
        self.broker = cast("StubBroker", make_broker(None))
        self.jobs = SlowExtractions()
        self.delivery = RecordingDelivery()
        self.announced: list[list[Announcement]] = []
        runtime = TaskRuntime(
            cast("ExtractionJob", self.jobs),
            cast("ReminderDelivery", self.delivery),
            self.announced.append,
            SystemClock(),
            max_wait=timedelta(seconds=5),
        )
        self.tasks = Tasks(self.broker, runtime)
        self.pools = WorkerPools(self.broker, threads=threads, in_memory_poll_ms=50)
        self.pools.start()

    def stop(self) -> None:
        self.jobs.release.set()
        self.pools.stop_taking_messages()
        self.tasks.stop_waiting()
        self.pools.stop(timeout_ms=5_000)
        self.broker.close()


@pytest.fixture
def world() -> Iterator[World]:
    w = World()
    yield w
    w.stop()


def wait_for(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_reminders_fire_while_every_extraction_thread_is_busy(world: World) -> None:
    for _ in range(4):  # more extractions than the extraction pool has threads
        world.tasks.enqueue_extraction(uuid.uuid4())
    assert world.jobs.started.acquire(timeout=5)
    assert world.jobs.started.acquire(timeout=5)

    reminder = uuid.uuid4()
    world.tasks.enqueue_fire([reminder])

    assert world.delivery.done.wait(5), "the reminder waited behind the extractions"
    assert world.delivery.fired[0][1] == [reminder]
    wait_for(lambda: len(world.announced) == 1)  # announced right after the fire


def test_a_batch_waits_in_its_worker_until_due(world: World) -> None:
    due = datetime.now(UTC) + timedelta(seconds=0.6)
    ids = [uuid.uuid4(), uuid.uuid4()]
    world.tasks.enqueue_fire(ids, due)

    assert world.delivery.done.wait(5)
    fired_at, fired = world.delivery.fired[0]
    assert fired == ids
    assert due.timestamp() - 0.01 <= fired_at <= due.timestamp() + 0.5


def test_a_batch_due_beyond_the_lead_is_given_back_not_held(world: World) -> None:
    ids = [uuid.uuid4()]
    world.tasks.enqueue_fire(ids, datetime.now(UTC) + timedelta(minutes=5))

    wait_for(lambda: world.delivery.released == ids)
    assert world.delivery.fired == []


class Enqueued(Middleware):
    def __init__(self) -> None:
        self.messages: list[dramatiq.Message[Any]] = []

    def after_enqueue(self, broker: dramatiq.Broker, message: Any, delay: int | None) -> None:
        self.messages.append(message)


def test_a_stopping_worker_hands_its_waiting_batch_back_to_the_queue() -> None:
    world = World()
    enqueued = Enqueued()
    world.broker.add_middleware(enqueued)
    ids = [uuid.uuid4()]
    world.tasks.enqueue_fire(ids, datetime.now(UTC) + timedelta(seconds=4))
    queue = world.broker.queues[REMINDER_QUEUE]
    wait_for(lambda: queue.qsize() == 0 and queue.unfinished_tasks == 1)  # being held

    started = time.monotonic()
    world.pools.stop_taking_messages()
    world.tasks.stop_waiting()
    world.pools.stop(timeout_ms=5_000)

    assert time.monotonic() - started < 2.0
    assert world.delivery.fired == []
    # The first message, then the same batch again for another worker, not delayed (a
    # thread of this pool that was idle may take and hand it back once more: harmless,
    # a fire is idempotent).
    assert len(enqueued.messages) >= 2
    assert {(m.actor_name, tuple(m.args[0])) for m in enqueued.messages} == {
        ("fire_reminders", (str(ids[0]),))
    }
    assert all("eta" not in m.options for m in enqueued.messages)
    world.broker.close()


def test_the_watchdog_notices_a_pool_that_lost_its_consumer(world: World) -> None:
    assert all(p.alive for p in world.pools.health())
    health = ProcessHealth("worker", pools=world.pools.health)
    assert health.report()["healthy"] is True
    noticed = threading.Event()
    stop = threading.Event()
    watch_pools(world.pools.health, stop, on_dead=noticed.set)

    pool: Any = world.pools._pools[REMINDER_QUEUE]
    consumer = next(iter(pool.consumers.values()))
    consumer.stop()  # the thread ends, as one that died on an error would
    consumer.join(5)

    assert noticed.wait(5)
    report = health.report()
    assert report["healthy"] is False
    assert [p["queue"] for p in report["pools"] if not p["alive"]] == [REMINDER_QUEUE]
    stop.set()
