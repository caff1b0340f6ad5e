"""Noticing that Redis lost its messages, and handing dead workers' messages on.

Redis here keeps nothing on disk: a restart or a FLUSHALL silently drops every queued
message. The scheduler keeps an epoch key in Redis: when the key it wrote is gone, the
messages went with it, and the reminders they carried are claimed again at once instead
of after the stale-claim delay.

A worker killed mid-message leaves its messages in its acknowledgement set. Dramatiq
moves them back to the queue during "maintenance", which it runs on a random fraction
of commands; the scheduler's broker runs it on every command, and the scheduler issues
one per queue every DEAD_WORKER_CHECK_SECONDS, so a dead worker's batch is handed on
about a heartbeat timeout after the kill.
"""

from __future__ import annotations

import logging
import secrets
import time
from typing import Protocol

import redis

log = logging.getLogger(__name__)

EPOCH_KEY = "carenotes:broker-epoch"
DEAD_WORKER_CHECK_SECONDS = 0.25


class _MaintainedBroker(Protocol):
    def do_qsize(self, queue_name: str) -> int: ...


class BrokerWatch:
    def __init__(self, url: str, broker: _MaintainedBroker, queues: tuple[str, ...]) -> None:
        self._client = redis.Redis.from_url(url, socket_timeout=2.0, socket_connect_timeout=2.0)
        self._broker = broker
        self._queues = queues
        self._epoch: bytes | None = None
        self._maintained_at = 0.0

    def data_lost(self) -> bool:
        """True when Redis has lost its data since this scheduler last looked.

        No epoch at all (also at start-up: Redis may have restarted while no scheduler
        ran) or one this scheduler did not see before, while running: lost. Giving
        claims back when nothing was lost is harmless (a duplicated message fires
        nothing twice). Raises redis errors while Redis is unreachable: the caller
        retries on its next tick.
        """
        current = self._read()
        if current is None:
            self._client.set(EPOCH_KEY, secrets.token_hex(8), nx=True)
            self._epoch = self._read()
            return True
        if current == self._epoch:
            return False
        starting = self._epoch is None
        self._epoch = current
        return not starting

    def _read(self) -> bytes | None:
        value = self._client.get(EPOCH_KEY)
        return value if isinstance(value, bytes) or value is None else str(value).encode()

    def requeue_from_dead_workers(self) -> None:
        """Runs Dramatiq's maintenance (at most every DEAD_WORKER_CHECK_SECONDS)."""
        now = time.monotonic()
        if now - self._maintained_at < DEAD_WORKER_CHECK_SECONDS:
            return
        self._maintained_at = now
        for queue in self._queues:
            self._broker.do_qsize(queue)
