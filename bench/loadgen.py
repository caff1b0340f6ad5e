"""The grpc.aio load generator: closed loop (N calls in flight) and open loop (fixed rate).

Closed loop measures throughput: each of N workers sends its next call as soon as the
previous one answers. Open loop measures latency under a given offered load: calls
start on a fixed schedule whether or not earlier ones finished, and each latency is
counted from the call's *scheduled* start, so queueing in the server shows (no
coordinated omission). Both loops are bounded in calls and in time.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import grpc

from bench.stats import Record, record

Call = Callable[[], Awaitable[Any]]


@dataclass
class LoadResult:
    mode: str
    latencies_s: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    elapsed_s: float = 0.0
    concurrency: int | None = None
    rate: float | None = None
    dropped: int = 0

    @property
    def ok(self) -> int:
        return len(self.latencies_s)

    @property
    def rps(self) -> float:
        return self.ok / self.elapsed_s if self.elapsed_s > 0 else 0.0

    def to_record(self, scenario: str, backend: str, name: str, **extra: Any) -> Record:
        return record(
            scenario,
            backend,
            name,
            latencies_s=self.latencies_s,
            mode=self.mode,
            concurrency=self.concurrency,
            rate=self.rate,
            duration_s=round(self.elapsed_s, 3),
            ok=self.ok,
            errors=dict(self.errors),
            dropped=self.dropped,
            rps=round(self.rps, 1),
            **extra,
        )


def _code(exc: BaseException) -> str:
    if isinstance(exc, grpc.aio.AioRpcError):
        return exc.code().name
    return type(exc).__name__


async def closed_loop(
    call: Call, *, concurrency: int, duration_s: float, max_calls: int = 2_000_000
) -> LoadResult:
    """N workers, each calling back to back until duration_s or max_calls."""
    result = LoadResult("closed", concurrency=concurrency)
    started = time.perf_counter()
    deadline = started + duration_s
    budget = [max_calls]

    async def worker() -> None:
        while budget[0] > 0 and time.perf_counter() < deadline:
            budget[0] -= 1
            t0 = time.perf_counter()
            try:
                await call()
            except Exception as exc:  # noqa: BLE001 - every failure is counted by code
                result.errors[_code(exc)] += 1
            else:
                result.latencies_s.append(time.perf_counter() - t0)

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    result.elapsed_s = time.perf_counter() - started
    return result


async def open_loop(
    call: Call, *, rate: float, duration_s: float, max_in_flight: int = 2_000
) -> LoadResult:
    """Starts rate calls per second for duration_s; latency counts from the schedule.

    A call that would exceed max_in_flight is not sent and counted as dropped (the
    server is hopelessly behind; the loop stays bounded in memory).
    """
    result = LoadResult("open", rate=rate)
    interval = 1.0 / rate
    total = max(1, int(rate * duration_s))
    in_flight: set[asyncio.Task[None]] = set()
    started = time.perf_counter()

    async def one(scheduled: float) -> None:
        try:
            await call()
        except Exception as exc:  # noqa: BLE001
            result.errors[_code(exc)] += 1
        else:
            result.latencies_s.append(time.perf_counter() - scheduled)

    for i in range(total):
        scheduled = started + i * interval
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        if len(in_flight) >= max_in_flight:
            result.dropped += 1
            continue
        task = asyncio.create_task(one(scheduled))
        in_flight.add(task)
        task.add_done_callback(in_flight.discard)
    if in_flight:
        await asyncio.wait(in_flight, timeout=30.0)
        for task in list(in_flight):
            task.cancel()
    result.elapsed_s = time.perf_counter() - started
    return result
