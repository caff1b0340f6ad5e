"""The production topology as supervised local processes, with a Redis of its own."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import redis

from bench.procs import (
    Proc,
    _server_argv,
    create_pg_database,
    drop_pg_database,
    free_port,
    secret,
    spawn,
    wait_healthy,
)

# As a container runtime does after a crash (Docker starts at 100 ms and doubles).
RESTART_DELAY_S = 0.5


class PrivateRedis:
    """A redis-server of this run only, keeping nothing on disk (as in compose's
    default here): a restart or FLUSHALL empties it."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self._workdir = workdir
        self._proc: subprocess.Popen[bytes] | None = None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        argv = ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port)]
        with open(self._workdir / "redis.log", "ab") as log:
            self._proc = subprocess.Popen(
                [*argv, "--save", "", "--appendonly", "no"], stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + 10
        while not self.ping():
            if time.monotonic() > deadline:
                raise TimeoutError("redis-server did not start")
            time.sleep(0.02)

    def ping(self) -> bool:
        try:
            return bool(redis.Redis(port=self.port, socket_timeout=0.3).ping())
        except (redis.RedisError, OSError):
            return False

    def kill(self) -> None:
        if self._proc is not None:
            self._proc.kill()
            self._proc.wait(timeout=5)
            self._proc = None

    def restart(self) -> None:
        """kill -9, then a new empty server on the same port after RESTART_DELAY_S."""
        self.kill()
        time.sleep(RESTART_DELAY_S)
        self.start()

    def client(self) -> redis.Redis:
        return redis.Redis(port=self.port, socket_timeout=2)


@dataclass
class Supervised:
    """A process restarted whenever it exits, until the topology stops."""

    name: str
    argv: list[str]
    env: dict[str, str]
    workdir: Path
    metrics_port: int | None = None
    proc: Proc | None = None
    exits: list[int] = field(default_factory=list)

    def start(self) -> None:
        self.proc = spawn(f"{self.name}.{len(self.exits)}", self.argv, self.env, self.workdir)

    def kill(self) -> None:
        if self.proc is not None and self.proc.popen.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)

    def health(self) -> dict[str, Any] | None:
        """GET /health of a worker or scheduler; None when it does not answer."""
        if self.metrics_port is None:
            return None
        url = f"http://127.0.0.1:{self.metrics_port}/health"
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                report: dict[str, Any] = json.loads(answer.read())
        except urllib.error.HTTPError as error:
            report = json.loads(error.read())
        except OSError:
            return None
        return report


@dataclass
class Topology:
    workdir: Path
    env: dict[str, str]
    database_url: str
    redis: PrivateRedis
    servers: list[Supervised]
    workers: list[Supervised]
    scheduler: Supervised
    _stop: threading.Event = field(default_factory=threading.Event)

    @property
    def processes(self) -> list[Supervised]:
        return [*self.servers, *self.workers, self.scheduler]

    @property
    def targets(self) -> list[str]:
        return [s.env["CARENOTES_LISTEN"] for s in self.servers]

    def restarts(self) -> dict[str, int]:
        return {p.name: len(p.exits) for p in self.processes}

    def supervise(self) -> threading.Thread:
        def loop() -> None:
            while not self._stop.wait(0.05):
                for p in self.processes:
                    if p.proc is not None and p.proc.popen.poll() is not None:
                        p.exits.append(p.proc.popen.returncode)
                        p.proc = None
                        time.sleep(RESTART_DELAY_S)
                        if not self._stop.is_set():
                            p.start()

        thread = threading.Thread(target=loop, name="supervisor", daemon=True)
        thread.start()
        return thread

    def wait_all_healthy(self, timeout_s: float = 60.0) -> None:
        for target in self.targets:
            wait_healthy(target, timeout_s)
        deadline = time.monotonic() + timeout_s
        for p in [*self.workers, self.scheduler]:
            while not ((report := p.health()) and report.get("healthy")):
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{p.name} is not healthy: {report}")
                time.sleep(0.1)

    def stop(self) -> None:
        self._stop.set()
        for p in self.processes:
            if p.proc is not None:
                p.proc.stop()


def _env(workdir: Path, database_url: str, redis_url: str) -> dict[str, str]:
    key = base64.urlsafe_b64encode(os.urandom(32)).decode().rstrip("=")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CARENOTES_")}
    env.update(
        {
            "CARENOTES_ENV": "production",
            "CARENOTES_DATA_DIR": str(workdir / "data"),
            "CARENOTES_DATABASE_URL": database_url,
            "CARENOTES_REDIS_URL": redis_url,
            "CARENOTES_JWT_SECRET": secret(),
            "CARENOTES_MASTER_KEYS": f"chaos1:{key}",
            "CARENOTES_MASTER_KEY_ID": "chaos1",
            "CARENOTES_LOG_LEVEL": "WARNING",
            "CARENOTES_SIGNUP_LIMIT": "10000000",
            "CARENOTES_EXTRACTOR": "rules",
            "PYTHONUNBUFFERED": "1",
        }
    )
    return env


@contextlib.contextmanager
def production(
    workdir: Path, *, servers: int = 2, workers: int = 2, extra_env: dict[str, str] | None = None
) -> Iterator[Topology]:
    """serve x servers, worker x workers and one scheduler over a fresh PostgreSQL
    database and a private Redis, every process supervised, all healthy."""
    redis_server = PrivateRedis(workdir)
    redis_server.start()
    pg_name, database_url = create_pg_database("carenotes_chaos")
    env = {**_env(workdir, database_url, redis_server.url), **(extra_env or {})}

    def process(name: str, command: str, **extra: str) -> Supervised:
        port = free_port() if command != "serve" else None
        own = {**env, **extra}
        if port is not None:
            own["CARENOTES_METRICS_LISTEN"] = f"127.0.0.1:{port}"
        return Supervised(name, _server_argv(command), own, workdir, port)

    topology = Topology(
        workdir,
        env,
        database_url,
        redis_server,
        [
            process(f"serve-{i + 1}", "serve", CARENOTES_LISTEN=f"127.0.0.1:{free_port()}")
            for i in range(servers)
        ],
        [process(f"worker-{i + 1}", "worker") for i in range(workers)],
        process("scheduler", "scheduler"),
    )
    try:
        for p in topology.processes:
            p.start()
        topology.supervise()
        topology.wait_all_healthy()
        yield topology
    finally:
        topology.stop()
        redis_server.kill()
        drop_pg_database(pg_name)
