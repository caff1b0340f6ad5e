"""Health of a worker or scheduler process, served as GET /health on its metrics port.

The gRPC server has gRPC health; workers and the scheduler have no gRPC port, so they
answer on the HTTP endpoint they already open for Prometheus. The answer is JSON, 200
when healthy and 503 otherwise, so that a container healthcheck, a load balancer or a
person with curl can read it:

    {"healthy": true, "role": "worker", "broker": true,
     "pools": [{"queue": "reminders", "alive": true, ...}], "scheduler": null}

Healthy means: the broker answers a ping within a second, every worker pool has all of
its consumer and worker threads running, and the scheduler (where it runs) finished a
tick without error recently. A dead consumer is not something the process recovers
from by itself, so the watchdog ends the process (exit status 3) for its supervisor to
restart it; a broker or database outage is waited out (the process recovers when they
come back).
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import redis

from carenotes_server.workers import PoolHealth

log = logging.getLogger(__name__)

BROKER_PING_TIMEOUT_SECONDS = 1.0
BROKER_PING_CACHE_SECONDS = 1.0
# A tick normally ends every scheduler interval; this many intervals (at least
# SCHEDULER_STALE_MIN_SECONDS) without a good one means the scheduler is not working.
SCHEDULER_STALE_INTERVALS = 10
SCHEDULER_STALE_MIN_SECONDS = 10.0
WATCHDOG_SECONDS = 1.0
EXIT_DEAD_CONSUMER = 3


class BrokerPing:
    """Pings Redis at most once a second (health checks may come often)."""

    def __init__(self, url: str) -> None:
        self._client = redis.Redis.from_url(
            url,
            socket_timeout=BROKER_PING_TIMEOUT_SECONDS,
            socket_connect_timeout=BROKER_PING_TIMEOUT_SECONDS,
        )
        self._lock = threading.Lock()
        self._checked_at = -1e9
        self._up = False

    def __call__(self) -> bool:
        with self._lock:
            now = time.monotonic()
            if now - self._checked_at >= BROKER_PING_CACHE_SECONDS:
                try:
                    self._up = bool(self._client.ping())
                except redis.RedisError:
                    self._up = False
                self._checked_at = time.monotonic()
            return self._up


@dataclass
class SchedulerBeat:
    """When the scheduler last finished a tick without error (monotonic seconds)."""

    interval_seconds: float
    last_ok: float = field(default_factory=time.monotonic)

    def ok(self) -> None:
        self.last_ok = time.monotonic()

    def age(self) -> float:
        return time.monotonic() - self.last_ok

    def fresh(self) -> bool:
        stale_after = max(
            SCHEDULER_STALE_MIN_SECONDS, SCHEDULER_STALE_INTERVALS * self.interval_seconds
        )
        return self.age() < stale_after


@dataclass
class ProcessHealth:
    role: str
    broker_up: Callable[[], bool] | None = None
    pools: Callable[[], Iterable[PoolHealth]] | None = None
    scheduler: SchedulerBeat | None = None

    def report(self) -> dict[str, Any]:
        broker = self.broker_up() if self.broker_up is not None else None
        pools = list(self.pools()) if self.pools is not None else []
        scheduler = (
            None
            if self.scheduler is None
            else {
                "fresh": self.scheduler.fresh(),
                "last_tick_age_seconds": round(self.scheduler.age(), 3),
            }
        )
        healthy = (
            broker is not False
            and all(p.alive for p in pools)
            and (scheduler is None or bool(scheduler["fresh"]))
        )
        return {
            "healthy": healthy,
            "role": self.role,
            "broker": broker,
            "pools": [
                {
                    "queue": p.queue,
                    "alive": p.alive,
                    "consumers_alive": p.consumers_alive,
                    "threads_alive": p.threads_alive,
                    "threads_started": p.threads_started,
                }
                for p in pools
            ],
            "scheduler": scheduler,
        }

    def wsgi(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        report = self.report()
        body = json.dumps(report).encode()
        status = "200 OK" if report["healthy"] else "503 Service Unavailable"
        start_response(
            status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
        )
        return [body]


def watch_pools(
    pools: Callable[[], Iterable[PoolHealth]],
    stop: threading.Event,
    *,
    on_dead: Callable[[], None] | None = None,
) -> threading.Thread:
    """Ends the process when a worker pool lost a thread (see the module's docstring)."""

    def exit_process() -> None:
        os._exit(EXIT_DEAD_CONSUMER)  # a thread of Dramatiq's is gone: nothing to clean

    def watch() -> None:
        while not stop.wait(WATCHDOG_SECONDS):
            dead = [p.queue for p in pools() if not p.alive]
            if dead:
                log.critical(
                    "a worker pool lost a consumer or worker thread; exiting to be restarted",
                    extra={"queues": dead, "exit_status": EXIT_DEAD_CONSUMER},
                )
                (on_dead or exit_process)()
                return

    thread = threading.Thread(target=watch, name="worker-watchdog", daemon=True)
    thread.start()
    return thread
