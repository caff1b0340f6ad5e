"""Dependency outages for fault tests: the machine's PostgreSQL, and a private Redis.

PostgreSQL is the machine's shared server: `postgres_outage` stops it for a few seconds
and ALWAYS starts it again (finally), so other suites running at the same time see a
short blip only. Redis is a private `redis-server` on a free port, started and killed
per test, so a Redis outage here never disturbs anyone else.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
import redis

from tests.databases import PG_ADMIN_URL, require_service
from tests.e2e.processes import Proc, Processes, free_port, wait_until

PG_VERSION_DIR = Path("/etc/postgresql")


def _pg_ctlcluster(action: str) -> None:
    versions = sorted(p.name for p in PG_VERSION_DIR.iterdir()) if PG_VERSION_DIR.exists() else []
    if not versions or shutil.which("pg_ctlcluster") is None:
        pytest.skip("pg_ctlcluster is not available: cannot restart PostgreSQL here")
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", versions[-1], "main", action],
        check=True,
        capture_output=True,
        timeout=60,
    )


def postgres_accepts() -> bool:
    try:
        with psycopg.connect(f"{PG_ADMIN_URL}/postgres", connect_timeout=1) as conn:
            conn.execute("SELECT 1")
    except psycopg.OperationalError:
        return False
    return True


def stop_postgres() -> None:
    """Stops the PostgreSQL cluster (fast mode: open sessions are terminated)."""
    if os.geteuid() != 0:
        pytest.skip("restarting PostgreSQL needs root")
    _pg_ctlcluster("stop")


def start_postgres() -> None:
    _pg_ctlcluster("start")
    wait_until(postgres_accepts, timeout=30, interval=0.1, what="PostgreSQL back up")


@asynccontextmanager
async def postgres_outage() -> AsyncIterator[None]:
    """PostgreSQL down inside the block; started again on exit, whatever happens.

    The blocking pg_ctlcluster calls run on a thread so that the server under test
    (on the same event loop) keeps answering while the cluster stops and starts.
    """
    await asyncio.to_thread(stop_postgres)
    try:
        yield
    finally:
        await asyncio.shield(asyncio.to_thread(start_postgres))


@dataclass
class PrivateRedis:
    """A redis-server of this test only (no persistence), which it may stop and restart."""

    procs: Processes
    port: int
    proc: Proc | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def ping(self) -> bool:
        client = redis.Redis(host="127.0.0.1", port=self.port, socket_timeout=0.5)
        try:
            return bool(client.ping())
        except (redis.RedisError, OSError):
            return False
        finally:
            client.close()

    def start(self) -> None:
        self.proc = self.procs.start(
            "redis",
            [
                "redis-server",
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            dict(os.environ),
        )
        wait_until(self.ping, timeout=10, interval=0.05, what="private redis-server")

    def kill(self) -> None:
        if self.proc is not None and self.proc.alive():
            self.procs.kill(self.proc)
        self.proc = None
        wait_until(lambda: not self.ping(), timeout=5, what="private redis-server down")


@contextmanager
def private_redis(procs: Processes) -> Iterator[PrivateRedis]:
    if shutil.which("redis-server") is None:
        require_service("redis-server", FileNotFoundError("redis-server is not installed"))
    server = PrivateRedis(procs, free_port())
    server.start()
    try:
        yield server
    finally:
        server.kill()
