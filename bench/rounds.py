"""Scenario 1 in alternating rounds: echo, the services, echo, the services, ..., echo.

A ratio to the echo baseline is only honest if both were measured under the same load
of the (shared) machine. One echo run before the services and one after them is not
that: another engineer's test suite starting in between moves the ratio by 20-40%.
So echo and each service RPC alternate in short closed-loop rounds, every service round
is divided by the mean of the echo rounds just before and just after it, and the report
gives each ratio's median with its spread (min, max) over the rounds: a ratio that
moved with the machine shows a wide spread instead of one misleading figure.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bench.loadgen import Call, LoadResult, closed_loop, open_loop
from bench.procs import cpu_seconds
from bench.stats import Record

ROUNDS = 3
ECHO = "Echo"


def count(text: str) -> int:
    """--rounds: fewer than three rounds would state no spread worth the name."""
    if not text.isdigit() or int(text) < ROUNDS:
        raise argparse.ArgumentTypeError(f"must be a whole number >= {ROUNDS}")
    return int(text)


@dataclass(frozen=True)
class EchoServer:
    target: str
    pid: int


@dataclass
class Rounds:
    """Closed-loop results per round: results[name][i] is round i of that call, and
    the CPU seconds the serving process and the load generator spent in it."""

    results: dict[str, list[LoadResult]] = field(default_factory=dict)
    server_cpu_s: dict[str, list[float]] = field(default_factory=dict)
    client_cpu_s: dict[str, list[float]] = field(default_factory=dict)

    def add(self, name: str, result: LoadResult, server_cpu: float, client_cpu: float) -> None:
        self.results.setdefault(name, []).append(result)
        self.server_cpu_s.setdefault(name, []).append(server_cpu)
        self.client_cpu_s.setdefault(name, []).append(client_cpu)

    def cpu_ms_per_call(self, name: str) -> dict[str, float | None]:
        """Where a call's CPU goes: the server's and the load generator's (both share
        the machine's cores, so a ratio is bounded by the two together)."""
        calls = sum(r.ok for r in self.results.get(name, []))
        if not calls:
            return {"server_cpu_ms_per_call": None, "client_cpu_ms_per_call": None}
        return {
            "server_cpu_ms_per_call": round(1000 * sum(self.server_cpu_s[name]) / calls, 3),
            "client_cpu_ms_per_call": round(1000 * sum(self.client_cpu_s[name]) / calls, 3),
        }

    def rps(self, name: str) -> list[float]:
        return [r.rps for r in self.results.get(name, [])]

    def ratios(self, name: str) -> list[float]:
        """Each round of name over the mean of the echo rounds either side of it."""
        echo = self.rps(ECHO)
        return [
            rps / ((echo[i] + echo[i + 1]) / 2) if echo[i] + echo[i + 1] > 0 else 0.0
            for i, rps in enumerate(self.rps(name))
            if i + 1 < len(echo)
        ]


def merged(results: Sequence[LoadResult]) -> LoadResult:
    """All rounds of one call as one result (latencies pooled, RPS over their time)."""
    out = LoadResult("closed", concurrency=results[0].concurrency if results else None)
    for r in results:
        out.latencies_s += r.latencies_s
        out.errors.update(r.errors)
        out.elapsed_s += r.elapsed_s
    return out


def spread(ratios: Sequence[float]) -> dict[str, Any]:
    """The fields that state a ratio with its spread over the rounds."""
    if not ratios:
        return {"ratio": None, "ratio_rounds": []}
    return {
        "ratio": round(statistics.median(ratios), 3),
        "ratio_min": round(min(ratios), 3),
        "ratio_max": round(max(ratios), 3),
        "ratio_spread": round(max(ratios) - min(ratios), 3),
        "ratio_rounds": [round(r, 3) for r in ratios],
    }


async def alternate(
    echo: Call,
    calls: Mapping[str, Call],
    *,
    echo_pid: int,
    server_pid: int,
    concurrency: int,
    round_s: float,
    rounds: int = ROUNDS,
) -> Rounds:
    """echo, each call, echo, each call, ..., echo: rounds + 1 echo runs."""
    out = Rounds()

    async def run(name: str, call: Call, pid: int) -> None:
        server0, client0 = cpu_seconds(pid), time.process_time()
        result = await closed_loop(call, concurrency=concurrency, duration_s=round_s)
        out.add(name, result, cpu_seconds(pid) - server0, time.process_time() - client0)

    for call in (echo, *calls.values()):
        await closed_loop(call, concurrency=4, duration_s=0.5)  # warm-up
    for _ in range(rounds):
        await run(ECHO, echo, echo_pid)
        for name, call in calls.items():
            await run(name, call, server_pid)
    await run(ECHO, echo, echo_pid)
    return out


def closed_records(rounds: Rounds, backend: str) -> list[Record]:
    """One closed-loop record per call (rounds pooled), each service's with its ratio."""
    out: list[Record] = []
    for name, results in rounds.results.items():
        is_echo = name == ECHO
        fields: dict[str, Any] = {
            "rounds": len(results),
            "rounds_rps": [round(x, 1) for x in rounds.rps(name)],
            **rounds.cpu_ms_per_call(name),
        }
        if not is_echo:
            fields.update(spread(rounds.ratios(name)))
        label = f"Echo closed ({backend})" if is_echo else f"{name} closed"
        out.append(
            merged(results).to_record("1-rpc", "echo" if is_echo else backend, label, **fields)
        )
    return out


async def open_run(
    call: Call, *, closed_rps: float, fraction: float, duration_s: float
) -> LoadResult:
    return await open_loop(call, rate=max(1.0, closed_rps * fraction), duration_s=duration_s)
