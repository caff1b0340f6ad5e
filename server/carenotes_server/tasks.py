"""Dramatiq actors: `extract_steps(note_id)` and `fire_reminder(reminder_id)`.

Messages carry ids only, never PHI. Delivery is at-least-once, so both actors are
idempotent (the database decides: a settled note or a non-SCHEDULED reminder is a
no-op). Actors are bound to an explicit broker per application instead of the global
one, so the embedded server, a worker process and tests each get their own.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

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
# How long an idle consumer waits before polling again: it bounds how late a delayed
# fire_reminder is picked up after its eta (and costs a few cheap Redis polls per second).
WORKER_TIMEOUT_MS = 50


class RetryExtraction(Exception):
    """Raised so that Dramatiq retries the job with exponential backoff."""


def make_broker(redis_url: str | None) -> dramatiq.Broker:
    broker: dramatiq.Broker = (
        RedisBroker(url=redis_url, heartbeat_timeout=15_000)  # type: ignore[no-untyped-call]
        if redis_url
        else StubBroker()
    )
    broker.add_middleware(CurrentMessage())
    return broker


@dataclass
class TaskRuntime:
    job: ExtractionJob
    delivery: ReminderDelivery
    announce: Callable[[Announcement], None]
    clock: Clock


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
        self.fire_reminder = dramatiq.Actor(
            self._fire_reminder,
            broker=broker,
            actor_name="fire_reminder",
            queue_name=REMINDER_QUEUE,
            priority=0,
            options={
                "max_retries": 20,
                "min_backoff": 200,
                "max_backoff": 5_000,
                "time_limit": 30_000,
            },
        )

    # --- producers -------------------------------------------------------------------

    def enqueue_extraction(self, note_id: uuid.UUID) -> None:
        self.extract_steps.send(str(note_id))

    def enqueue_fire(self, reminder_id: uuid.UUID, delay_ms: int) -> None:
        self.fire_reminder.send_with_options(args=(str(reminder_id),), delay=max(0, delay_ms))

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

    def _fire_reminder(self, reminder_id: str) -> None:
        result = self._runtime.delivery.fire(uuid.UUID(reminder_id))
        if isinstance(result, Fired):
            self._record_fired(result)
            self._runtime.announce(
                Announcement(result.patient_id, result.reminder_id, result.delivery_seq)
            )
        elif isinstance(result, datetime):  # arrived early (clock skew): wait until due
            delay = (result - self._runtime.clock.now()).total_seconds()
            self.enqueue_fire(uuid.UUID(reminder_id), int(delay * 1000))

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


def start_worker(broker: dramatiq.Broker, *, threads: int) -> dramatiq.Worker:
    worker = dramatiq.Worker(broker, worker_threads=threads, worker_timeout=WORKER_TIMEOUT_MS)
    worker.start()
    return worker
