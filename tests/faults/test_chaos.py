"""The chaos run as a test: the production topology as real processes (2 servers, 2
workers, 1 scheduler, PostgreSQL, a Redis of its own), 20 patients with a stream on
each server, 1,120 reminders in 8 batches, and during each batch's delivery one fault:
a worker or the scheduler killed with SIGKILL, Redis restarted empty, flushed, or its
connections dropped. Nothing may be lost, duplicated or reordered, and the p99 of
lateness (due time to receipt on the stream) stays within 3 s. `python -m bench
--scenarios 8` runs the same and reports it."""

from __future__ import annotations

import shutil
from pathlib import Path

import psycopg
import pytest

from bench.chaos.run import FAULTS, ChaosConfig, run_chaos
from bench.procs import PG_ADMIN_URL
from tests.databases import require_service

pytestmark = pytest.mark.slow


def require_chaos_services() -> None:
    if shutil.which("redis-server") is None:
        require_service("redis-server", FileNotFoundError("redis-server is not installed"))
    try:
        psycopg.connect(f"{PG_ADMIN_URL}/postgres", connect_timeout=3).close()
    except psycopg.OperationalError as error:
        require_service("PostgreSQL", error)


async def test_faults_during_due_delivery_lose_duplicate_and_reorder_nothing(
    tmp_path: Path,
) -> None:
    require_chaos_services()
    cfg = ChaosConfig()
    assert cfg.faults == FAULTS

    result = await run_chaos(tmp_path, cfg)

    print(result.summary())
    assert result.reminders == cfg.patients * cfg.per_patient * len(FAULTS) == 1_120
    assert result.streams == 2 * cfg.patients
    assert result.problems() == []
    # Every fault was felt: each killed process was restarted once, and nothing else
    # crashed on its own.
    assert result.restarts == {
        "serve-1": 0,
        "serve-2": 0,
        "worker-1": 1,
        "worker-2": 1,
        "scheduler": 1,
    }
    assert set(result.by_fault) == set(FAULTS)
