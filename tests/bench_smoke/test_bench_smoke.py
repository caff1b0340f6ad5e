"""Smoke test of the benchmark's load generator against the echo baseline (about 2 s)."""

from __future__ import annotations

import json

import grpc

from bench.echo import echo_callable
from bench.loadgen import closed_loop, open_loop
from bench.procs import echo_server
from bench.report import goals
from bench.stats import percentile

RECORD_KEYS = {
    "scenario",
    "backend",
    "name",
    "p50_ms",
    "p90_ms",
    "p99_ms",
    "max_ms",
    "samples",
    "mode",
    "concurrency",
    "rate",
    "duration_s",
    "ok",
    "errors",
    "dropped",
    "rps",
}


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == 50.0
    assert percentile(values, 99) == 99.0
    assert percentile(values, 100) == 100.0


async def test_load_generator_against_the_echo_server() -> None:
    with echo_server() as (target, _):
        async with grpc.aio.insecure_channel(target) as channel:
            call = echo_callable(channel)
            closed = await closed_loop(call, concurrency=8, duration_s=1.0)
            opened = await open_loop(call, rate=200, duration_s=0.5)
    rec = closed.to_record("1-rpc", "echo", "Echo closed (postgres)")
    assert set(rec) == RECORD_KEYS
    assert rec["mode"] == "closed"
    assert rec["errors"] == {}
    assert rec["ok"] > 50
    assert rec["rps"] > 50
    assert 0 < rec["p50_ms"] <= rec["p90_ms"] <= rec["p99_ms"] <= rec["max_ms"]
    json.dumps(rec)  # one JSON record per scenario
    open_rec = opened.to_record("1-rpc", "echo", "Echo open (postgres)")
    assert open_rec["mode"] == "open"
    assert open_rec["rate"] == 200
    assert open_rec["ok"] + open_rec["dropped"] + sum(open_rec["errors"].values()) == 100
    assert goals([rec, open_rec]) == []  # no Carenotes records: no goal can be computed
