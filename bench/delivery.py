"""Scenarios 8 and 9 as bench records (the runs themselves: bench/chaos, bench/peak)."""

from __future__ import annotations

import dataclasses
import tempfile
from pathlib import Path

from bench.chaos.run import ChaosConfig, run_chaos
from bench.scenarios import show
from bench.stats import Record, record

QUICK_CHAOS = ChaosConfig(patients=5)


async def chaos_record(quick: bool) -> Record:
    cfg = QUICK_CHAOS if quick else ChaosConfig()
    with tempfile.TemporaryDirectory(prefix="carenotes-chaos-") as tmp:
        result = await run_chaos(Path(tmp), cfg)
    summary = result.summary()
    return show(
        record(
            "8-faults",
            "postgres",
            "Faults during due delivery",
            latencies_s=result.lateness_s,
            **{k: v for k, v in summary.items() if k not in ("p99_ms", "max_ms")},
            faults=list(cfg.faults),
            config=dataclasses.asdict(cfg),
            problems=result.problems(),
        )
    )


async def peak_records(patients: int, stream_procs: int, profile: Path | None) -> list[Record]:
    from bench.peak import run_peak

    with tempfile.TemporaryDirectory(prefix="carenotes-peak-") as tmp:
        return await run_peak(
            Path(tmp), patients=patients, stream_procs=stream_procs, profile_dir=profile
        )
