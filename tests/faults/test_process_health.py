"""GET /health of real `worker` and `scheduler` processes, read as docker-compose does:
healthy with the broker up, unhealthy while their own Redis is down, healthy again
once it is back, without a restart."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.processes import (
    SERVER_BIN,
    Processes,
    empty_postgres_database,
    free_port,
    server_env,
    wait_until,
)
from tests.faults.outages import private_redis

pytestmark = pytest.mark.slow
COMPOSE = Path(__file__).resolve().parents[2] / "docker-compose.yml"
COMPOSE_METRICS_PORT = "9464"


def health(port: int) -> tuple[int, dict[str, Any]]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=3) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def service_block(name: str) -> str:
    """The text of one service in docker-compose.yml (read, not run: no Docker here)."""
    compose = COMPOSE.read_text()
    found = re.search(rf"^  {name}:\n(.*?)(?=^  \S|^\S)", compose, flags=re.M | re.S)
    assert found is not None, name
    return found.group(1)


def compose_healthcheck(port: int) -> list[str]:
    """The workers' and scheduler's healthcheck command (the `process-healthcheck`
    anchor of docker-compose.yml), pointed at a local port."""
    compose = COMPOSE.read_text()
    anchor = compose[compose.index("x-process-healthcheck:") :]
    lines = anchor.split("\n  interval:")[0].splitlines()
    args = [line.strip()[2:] for line in lines if line.strip().startswith("- ")]
    assert args[:2] == ["CMD", "python"]
    code = args[-1].strip('"')
    assert args[2] == "-c"
    return [sys.executable, "-c", code.replace(COMPOSE_METRICS_PORT, str(port))]


def wait_for_status(port: int, status: int, *, timeout: float, what: str) -> None:
    wait_until(lambda: health(port)[0] == status, timeout=timeout, what=what)


def compose_says_healthy(port: int) -> bool:
    done = subprocess.run(compose_healthcheck(port), capture_output=True, timeout=10)
    return done.returncode == 0


def test_compose_checks_the_health_of_workers_and_the_scheduler_where_they_serve_it() -> None:
    assert "/health" in " ".join(compose_healthcheck(1))
    for name in ("worker", "scheduler"):
        block = service_block(name)
        assert f"CARENOTES_METRICS_LISTEN: 0.0.0.0:{COMPOSE_METRICS_PORT}" in block, name
        assert "healthcheck: *process-healthcheck" in block, name


def test_worker_and_scheduler_health_follows_their_broker(
    processes: Processes, tmp_path: Path
) -> None:
    with private_redis(processes) as broker, empty_postgres_database() as pg_url:
        ports = {"worker": free_port(), "scheduler": free_port()}
        env = server_env(
            free_port(),
            tmp_path / "data",
            CARENOTES_ENV="production",
            CARENOTES_DATABASE_URL=pg_url,
            CARENOTES_REDIS_URL=broker.url,
        )
        processes.run("migrate", [SERVER_BIN, "migrate"], env)
        procs = {
            role: processes.start(
                role,
                [SERVER_BIN, role],
                {**env, "CARENOTES_METRICS_LISTEN": f"127.0.0.1:{ports[role]}"},
            )
            for role in ports
        }
        for role, proc in procs.items():
            proc.wait_for_log(f"{role} running")

        for role, port in ports.items():
            wait_for_status(port, 200, timeout=10, what=f"{role} healthy")
            assert compose_says_healthy(port), role
        _, worker = health(ports["worker"])
        assert worker["broker"] is True
        assert {p["queue"]: p["alive"] for p in worker["pools"]} == {
            "reminders": True,
            "extraction": True,
        }
        _, scheduler = health(ports["scheduler"])
        assert scheduler["scheduler"]["fresh"] is True

        broker.kill()
        for role, port in ports.items():
            wait_for_status(port, 503, timeout=5, what=f"{role} unhealthy")
            _, report = health(port)
            assert report["broker"] is False, role
            assert not compose_says_healthy(port), role

        broker.start()  # same port, empty
        for role, port in ports.items():
            wait_for_status(port, 200, timeout=15, what=f"{role} healthy again")
        for role, proc in procs.items():
            assert proc.alive(), f"{role} exited: {proc.log()[-2000:]}"
