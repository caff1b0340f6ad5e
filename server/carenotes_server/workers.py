"""The worker pools of a process: one for reminders, one for extraction.

Two pools, not one: Dramatiq's worker threads take messages from every queue they
consume, so a burst of slow extractions (an LLM call can take a minute) would otherwise
hold every thread while reminders come due. Each pool consumes its own queue only.

A pool is alive while every consumer thread and worker thread it started is running.
Dramatiq restarts a consumer after a connection error, but a consumer thread can still
die (an error raised again while it closes), and then its queue is never read again by
this process: the process reports itself unhealthy and exits so that its supervisor
starts a new one (see health.py).
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass

import dramatiq
import dramatiq.worker
from dramatiq.brokers.stub import StubBroker

from carenotes_server.tasks import EXTRACTION_QUEUE, REMINDER_QUEUE, WORKER_TIMEOUT_MS

log = logging.getLogger(__name__)

# Dramatiq waits this long before restarting a consumer after a connection error; its
# default (3 s) is most of the lateness allowed after a Redis restart.
CONSUMER_RESTART_SECONDS = 0.5
if "dramatiq_restart_delay" not in os.environ:
    dramatiq.worker.CONSUMER_RESTART_DELAY_SECS = CONSUMER_RESTART_SECONDS


@dataclass(frozen=True)
class PoolHealth:
    queue: str
    consumers_alive: bool
    threads_alive: int
    threads_started: int

    @property
    def alive(self) -> bool:
        return self.consumers_alive and self.threads_alive == self.threads_started


class WorkerPools:
    def __init__(
        self, broker: dramatiq.Broker, *, threads: int, in_memory_poll_ms: int = 1_000
    ) -> None:
        self._broker = broker
        self._threads = threads
        # Redis must be polled; the in-memory broker hands a message to a waiting thread
        # at once, so its threads may sleep long (see Settings.embedded_poll_ms).
        self._poll_ms = in_memory_poll_ms if isinstance(broker, StubBroker) else WORKER_TIMEOUT_MS
        self._pools: dict[str, dramatiq.Worker] = {}

    def start(self) -> None:
        # Each pool adds Dramatiq's per-worker middleware to the shared broker, and the
        # broker warns about the second one; that is expected here.
        broker_log = logging.getLogger(f"dramatiq.broker.{type(self._broker).__name__}")
        level = broker_log.level
        broker_log.setLevel(logging.ERROR)
        try:
            for queue in (REMINDER_QUEUE, EXTRACTION_QUEUE):
                pool = dramatiq.Worker(
                    self._broker,
                    queues={queue},
                    worker_threads=self._threads,
                    worker_timeout=self._poll_ms,
                )
                pool.start()
                self._pools[queue] = pool
        finally:
            broker_log.setLevel(level)

    def health(self) -> list[PoolHealth]:
        return [
            PoolHealth(
                queue,
                consumers_alive=bool(pool.consumers)
                and all(c.is_alive() for c in pool.consumers.values()),
                threads_alive=sum(1 for t in pool.workers if t.is_alive()),
                threads_started=len(pool.workers),
            )
            for queue, pool in self._pools.items()
        ]

    def stop_taking_messages(self) -> None:
        """Worker threads take no new message (each finishes the one it has). Before
        waiting messages are handed back, so that no thread of this process takes the
        handed-back message again."""
        for pool in self._pools.values():
            for thread in pool.workers:
                thread.stop()

    def stop(self, timeout_ms: int = 5_000) -> None:
        """Stops every pool at once (each waits for its running messages)."""
        stoppers = [
            threading.Thread(target=pool.stop, kwargs={"timeout": timeout_ms}, daemon=True)
            for pool in self._pools.values()
        ]
        for t in stoppers:
            t.start()
        for t in stoppers:
            t.join(timeout=timeout_ms / 1000 + 1)
        self._pools.clear()
