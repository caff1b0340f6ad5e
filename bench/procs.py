"""Processes of a run: the echo server, Carenotes servers, workers; /proc sampling.

Every server runs in its own process so the load generator never shares a CPU core's
GIL with it. Databases are fresh: a new PostgreSQL database per run (dropped at the
end), a new SQLite file in a temporary directory.
"""

from __future__ import annotations

import base64
import contextlib
import importlib.metadata
import os
import platform
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
import psycopg
import redis
from grpc_health.v1 import health_pb2, health_pb2_grpc

PG_ADMIN_URL = os.environ.get("CARENOTES_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432")
REDIS_URL = os.environ.get("CARENOTES_BENCH_REDIS_URL", "redis://127.0.0.1:6379/11")
CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE = os.sysconf("SC_PAGE_SIZE")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def raise_nofile(wanted: int = 65_536) -> int:
    """Raises the soft open-files limit towards the hard limit; children inherit it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = min(wanted, hard) if hard != resource.RLIM_INFINITY else wanted
    if target > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return max(soft, target)


def rss_bytes(pid: int) -> int:
    with open(f"/proc/{pid}/statm") as f:
        return int(f.read().split()[1]) * PAGE


def cpu_seconds(pid: int) -> float:
    """utime + stime of the process (all its threads), in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def cpu_percent(pid: int, seconds: float) -> float:
    """CPU use of one process over a window, in % of one core."""
    c0, t0 = cpu_seconds(pid), time.monotonic()
    time.sleep(seconds)
    c1, t1 = cpu_seconds(pid), time.monotonic()
    return 100.0 * (c1 - c0) / (t1 - t0)


def secret() -> str:
    return base64.urlsafe_b64encode(os.urandom(48)).decode().rstrip("=")


def wait_healthy(target: str, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            with grpc.insecure_channel(target) as channel:
                answer = health_pb2_grpc.HealthStub(channel).Check(
                    health_pb2.HealthCheckRequest(service=""), timeout=2
                )
                if answer.status == health_pb2.HealthCheckResponse.SERVING:
                    return
        except grpc.RpcError as exc:
            last = exc
        time.sleep(0.2)
    raise TimeoutError(f"{target} did not become healthy: {last}")


@dataclass
class Proc:
    name: str
    popen: subprocess.Popen[bytes]
    log: Path

    @property
    def pid(self) -> int:
        return self.popen.pid

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(timeout=5)


def spawn(name: str, argv: list[str], env: dict[str, str], workdir: Path) -> Proc:
    log = workdir / f"{name}.log"
    with open(log, "wb") as out:
        popen = subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT)
    return Proc(name, popen, log)


@dataclass
class Stack:
    """One Carenotes deployment: server (+ worker + scheduler with Redis) and its DB."""

    backend: str  # "postgres" (with Redis and worker processes) or "sqlite" (embedded)
    workdir: Path
    database_url: str
    env: dict[str, str]
    target: str
    server: Proc
    helpers: list[Proc] = field(default_factory=list)
    pg_name: str | None = None

    def stop(self) -> None:
        for proc in [self.server, *self.helpers]:
            proc.stop()

    def invite(self, email: str) -> str:
        """A doctor invitation code for email, written straight into the stack's database
        (what `carenotes-server invite-doctor` does)."""
        from carenotes_server.clock import SystemClock
        from carenotes_server.db.database import Database
        from carenotes_server.services.invitations import Invitations

        db = Database(self.database_url, threads=1)
        try:
            return Invitations(db, SystemClock()).issue(email=email).code
        finally:
            db.dispose()


def _python() -> str:
    return sys.executable


def _server_argv(command: str) -> list[str]:
    return [_python(), "-m", "carenotes_server.cli", command]


def create_pg_database(prefix: str = "carenotes_bench") -> tuple[str, str]:
    """(name, SQLAlchemy URL) of a new, migrated database."""
    from carenotes_server.db.migrate import upgrade_to_head

    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(f"{PG_ADMIN_URL}/postgres", autocommit=True, connect_timeout=5) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = f"{PG_ADMIN_URL.replace('postgresql://', 'postgresql+psycopg://')}/{name}"
    upgrade_to_head(url)
    return name, url


def drop_pg_database(name: str) -> None:
    with psycopg.connect(f"{PG_ADMIN_URL}/postgres", autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.contextmanager
def carenotes_stack(
    backend: str, *, log_level: str = "INFO", redis_url: str | None = REDIS_URL
) -> Iterator[Stack]:
    """backend "postgres": PostgreSQL, and with redis_url a worker and a scheduler process
    (without it the server runs its own worker threads and no scheduler); "sqlite": the
    embedded default (worker threads and scheduler in the server process)."""
    with tempfile.TemporaryDirectory(prefix=f"carenotes-bench-{backend}-") as tmp:
        workdir = Path(tmp)
        key = base64.urlsafe_b64encode(os.urandom(32)).decode().rstrip("=")
        port = free_port()
        env = dict(os.environ)
        env.update(
            {
                "CARENOTES_DATA_DIR": str(workdir / "data"),
                "CARENOTES_LISTEN": f"127.0.0.1:{port}",
                "CARENOTES_JWT_SECRET": secret(),
                "CARENOTES_MASTER_KEYS": f"bench1:{key}",
                "CARENOTES_MASTER_KEY_ID": "bench1",
                "CARENOTES_LOG_LEVEL": log_level,
                # The bench signs up thousands of patients from one host.
                "CARENOTES_SIGNUP_LIMIT": "10000000",
                "CARENOTES_EXTRACTOR": "rules",
            }
        )
        pg_name: str | None = None
        helpers: list[Proc] = []
        if backend == "postgres":
            pg_name, url = create_pg_database()
            env["CARENOTES_DATABASE_URL"] = url
            if redis_url:
                redis.Redis.from_url(redis_url).flushdb()
                env["CARENOTES_REDIS_URL"] = redis_url
            else:
                env["CARENOTES_EMBEDDED_SCHEDULER"] = "0"
        else:
            url = f"sqlite:///{workdir / 'data' / 'carenotes.db'}"
            (workdir / "data").mkdir(mode=0o700)
            env["CARENOTES_DATABASE_URL"] = url
        server = spawn(f"{backend}-server", _server_argv("serve"), env, workdir)
        stack = Stack(backend, workdir, url, env, f"127.0.0.1:{port}", server, helpers, pg_name)
        try:
            if backend == "postgres" and redis_url:
                helpers.append(spawn("worker", _server_argv("worker"), env, workdir))
                helpers.append(spawn("scheduler", _server_argv("scheduler"), env, workdir))
            wait_healthy(stack.target)
            yield stack
        finally:
            stack.stop()
            if pg_name is not None:
                drop_pg_database(pg_name)
            if pg_name is not None and redis_url:
                redis.Redis.from_url(redis_url).flushdb()


@contextlib.contextmanager
def echo_server() -> Iterator[tuple[str, Proc]]:
    with tempfile.TemporaryDirectory(prefix="carenotes-bench-echo-") as tmp:
        port = free_port()
        proc = spawn(
            "echo",
            [_python(), "-m", "bench.echo", "--port", str(port)],
            dict(os.environ),
            Path(tmp),
        )
        target = f"127.0.0.1:{port}"
        try:
            _wait_port(target)
            yield target, proc
        finally:
            proc.stop()


def _wait_port(target: str, timeout_s: float = 30.0) -> None:
    host, port = target.rsplit(":", 1)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection((host, int(port)), timeout=1):
            return
        time.sleep(0.1)
    raise TimeoutError(f"nothing listens on {target}")


def machine() -> dict[str, Any]:
    cpu_model = ""
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    mem_kib = 0
    with contextlib.suppress(OSError), open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                mem_kib = int(line.split()[1])
    versions: dict[str, str] = {}
    for dist in ("grpcio", "protobuf", "SQLAlchemy", "psycopg", "redis", "dramatiq", "PyJWT"):
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            versions[dist] = importlib.metadata.version(dist)
    info: dict[str, Any] = {
        "nproc": len(os.sched_getaffinity(0)),
        "cpu_model": cpu_model,
        "memory_gib": round(mem_kib / 1024 / 1024, 1),
        "kernel": platform.release(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
        "libraries": versions,
    }
    with (
        contextlib.suppress(Exception),
        psycopg.connect(f"{PG_ADMIN_URL}/postgres", connect_timeout=3) as conn,
    ):
        row = conn.execute("SHOW server_version").fetchone()
        info["postgresql"] = row[0] if row else ""
    with contextlib.suppress(Exception):
        info["redis"] = str(redis.Redis.from_url(REDIS_URL).info("server")["redis_version"])
    return info
