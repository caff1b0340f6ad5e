"""Dramatiq actors: `extract_steps(note_id)` and `fire_reminders(reminder_ids, due_ms)`.

Messages carry ids only, never PHI. Delivery is at-least-once, so every actor is
idempotent (the database decides: a settled note or a non-SCHEDULED reminder is a
no-op). Actors are bound to an explicit broker per application instead of the global
one, so the embedded server, a worker process and tests each get their own.

No message is ever delayed by the broker: Dramatiq holds delayed messages in worker
memory, where a worker kill or a Redis restart loses them and a consumer thread that
dies on a connection error stops them for good. The scheduler enqueues a batch a few
seconds before it is due, and the actor waits in its worker thread until the due time
(see docs/design.md, "Background work").
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import dramatiq
from dramatiq.brokers.redis import RedisBroker
from dramatiq.brokers.stub import StubBroker
from dramatiq.middleware import CurrentMessage

from carenotes_server import metrics
from carenotes_server.clock import Clock
from carenotes_server.services.extraction_job import ExtractionJob, JobOutcome
from carenotes_server.services.reminders.delivery import ReminderDelivery
from carenotes_server.services.reminders.views import Fired
from carenotes_server.streaming.hub import Announcement

log = logging.getLogger(__name__)

EXTRACTION_QUEUE = "extraction"
REMINDER_QUEUE = "reminders"
EXTRACTION_MAX_RETRIES = 5
# How long an idle consumer waits before polling again: it bounds how late a message is
# picked up (and costs a few cheap Redis polls per second).
WORKER_TIMEOUT_MS = 50
# A worker whose heartbeat is this old is dead: the scheduler's broker maintenance hands
# its unacknowledged messages to the live workers. Every consumer of a live worker polls
# Redis every WORKER_TIMEOUT_MS, which refreshes the heartbeat of the whole process.
HEARTBEAT_TIMEOUT_MS = 1_000
# The scheduler forces broker maintenance (requeueing dead workers' messages) on its own
# commands; workers keep Dramatiq's default chance.
ALWAYS = 1_000_000


class RetryExtraction(Exception):
    """Raised so that Dramatiq retries the job with exponential backoff."""


def make_broker(redis_url: str | None, *, maintenance: bool = False) -> dramatiq.Broker:
    """The process's broker; `maintenance` for the scheduler's (see ALWAYS)."""
    options: dict[str, int] = {"maintenance_chance": ALWAYS} if maintenance else {}
    broker: dramatiq.Broker = (
        RedisBroker(  # type: ignore[no-untyped-call]
            url=redis_url, heartbeat_timeout=HEARTBEAT_TIMEOUT_MS, **options
        )
        if redis_url
        else StubBroker()
    )
    broker.add_middleware(CurrentMessage())
    return broker


@dataclass
class TaskRuntime:
    job: ExtractionJob
    delivery: ReminderDelivery
    # Every reminder a batch fired, announced together (one message on Redis).
    announce: Callable[[list[Announcement]], None]
    clock: Clock
    # The longest a fire_reminders message waits for its due time in a worker thread:
    # the scheduler's lead plus the tolerance. A message due later (a clock skew, a
    # hand-made message) is re-enqueued instead of holding a thread.
    max_wait: timedelta = timedelta(seconds=5)
    stopping: threading.Event = field(default_factory=threading.Event)


class Tasks:
    def __init__(self, broker: dramatiq.Broker, runtime: TaskRuntime) -> None:
        self.broker = broker
        self._runtime = runtime
        self.extract_steps = dramatiq.Actor(
            self._extract_steps,
            broker=broker,
            actor_name="extract_steps",
            queue_name=EXTRACTION_QUEUE,
            priority=10,
            options={
                "max_retries": EXTRACTION_MAX_RETRIES,
                "min_backoff": 500,
                "max_backoff": 30_000,
                "time_limit": 180_000,
            },
        )
        reminder_options = {
            "max_retries": 20,
            "min_backoff": 200,
            "max_backoff": 5_000,
            "time_limit": 30_000,
        }
        self.fire_reminders = dramatiq.Actor(
            self._fire_reminders,
            broker=broker,
            actor_name="fire_reminders",
            queue_name=REMINDER_QUEUE,
            priority=0,
            options=reminder_options,
        )
        # Messages of the single-reminder form may still sit in a queue at an upgrade.
        self.fire_reminder = dramatiq.Actor(
            self._fire_reminder,
            broker=broker,
            actor_name="fire_reminder",
            queue_name=REMINDER_QUEUE,
            priority=0,
            options=reminder_options,
        )

    # --- producers -------------------------------------------------------------------

    def enqueue_extraction(self, note_id: uuid.UUID) -> None:
        self.extract_steps.send(str(note_id))

    def enqueue_fire(
        self, reminder_ids: Sequence[uuid.UUID], due_at: datetime | None = None
    ) -> None:
        """One message firing these reminders at due_at (None: now)."""
        due_ms = int(due_at.timestamp() * 1000) if due_at is not None else 0
        self.fire_reminders.send([str(i) for i in reminder_ids], due_ms)

    def stop_waiting(self) -> None:
        """Messages waiting for their due time give their reminders back to the queue."""
        self._runtime.stopping.set()

    # --- consumers -------------------------------------------------------------------

    def _extract_steps(self, note_id: str) -> None:
        message = CurrentMessage.get_current_message()
        retries = int(message.options.get("retries", 0)) if message is not None else 0
        started = time.perf_counter()
        label = "error"  # an exception (database down...): Dramatiq retries the message
        try:
            outcome = self._runtime.job.run(
                uuid.UUID(note_id), last_attempt=retries >= EXTRACTION_MAX_RETRIES
            )
            label = outcome.value
        finally:
            _record_extraction(label, time.perf_counter() - started)
        if outcome is JobOutcome.RETRY:
            raise RetryExtraction("transient extractor failure")

    def _fire_reminders(self, reminder_ids: list[str], due_ms: int) -> None:
        runtime = self._runtime
        due_at = datetime.fromtimestamp(due_ms / 1000, UTC)
        wait = (due_at - runtime.clock.now()).total_seconds()
        ids = [uuid.UUID(i) for i in reminder_ids]
        if wait > runtime.max_wait.total_seconds():
            # Not the scheduler's (it enqueues a lead ahead): give the reminders back to
            # it rather than hold a thread, and it enqueues them again when they are due.
            runtime.delivery.release(ids)
            return
        if wait > 0 and runtime.stopping.wait(wait):
            # This worker is stopping: hand the batch to another one, as a new message on
            # the queue itself (a retry would go through the delay queue).
            self.fire_reminders.send(reminder_ids, due_ms)
            return
        outcome = runtime.delivery.fire_many(ids)
        for fired in outcome.fired:
            self._record_fired(fired)
        if outcome.fired:
            runtime.announce(
                [Announcement(f.patient_id, f.reminder_id, f.delivery_seq) for f in outcome.fired]
            )
        if outcome.early:  # this host's clock is behind the scheduler's: claimed again later
            log.warning(
                "reminders arrived before their due time", extra={"count": len(outcome.early)}
            )
            runtime.delivery.release([reminder_id for reminder_id, _ in outcome.early])

    def _fire_reminder(self, reminder_id: str) -> None:
        self._fire_reminders([reminder_id], 0)

    @staticmethod
    def _record_fired(fired: Fired) -> None:
        def record() -> None:
            metrics.REMINDERS_FIRED.labels("makeup" if fired.is_makeup else "regular").inc()
            metrics.REMINDER_LATENESS.observe(fired.lateness_seconds)

        metrics.safely(record)


def _record_extraction(outcome: str, seconds: float) -> None:
    def record() -> None:
        metrics.EXTRACTIONS.labels(outcome).inc()
        metrics.EXTRACTION_DURATION.labels(outcome).observe(seconds)

    metrics.safely(record)
