"""Real Carenotes processes for end-to-end tests: servers, workers, schedulers, CLIs.

Every process is started from `.venv/bin` with an explicit environment (free port, temp
data dir, explicit secrets, the `rules` extractor, a fresh PostgreSQL database and a
Redis database of its own when the topology needs them), logs to a file, runs in its
own process group, and is killed at teardown with bounded waits: no test leaves an
orphan process behind. `Processes.report()` gives the logs, which the e2e conftest
attaches to the report of a failing test.
"""

from __future__ import annotations

import base64
import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, TypeVar

import grpc
import psycopg
import redis
from grpc_health.v1 import health_pb2, health_pb2_grpc

from carenotes.v1 import auth_pb2, auth_pb2_grpc, care_pb2, care_pb2_grpc, steps_pb2_grpc
from tests.databases import PG_ADMIN_URL, REDIS_URL, require_service

BIN = Path(sys.executable).parent
SERVER_BIN = str(BIN / "carenotes-server")
CLI_BIN = str(BIN / "carenotes")
GRPCURL_BIN = str(BIN / "grpcurl")

PASSWORD = "correct-horse-battery-staple"
STOP_TIMEOUT = 10.0
"""Longest wait for a process to exit after SIGTERM before it gets SIGKILL."""
START_TIMEOUT = 30.0
"""Longest wait for a server to report SERVING (or a worker to say it runs)."""

# Redis databases this suite may use for data; db LOCK_DB only holds the claims on them,
# so that two test runs on one machine never share (or flush) each other's database.
REDIS_DATA_DBS = range(8, 15)
REDIS_LOCK_DB = 15
REDIS_LOCK_SECONDS = 900

T = TypeVar("T")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _secret(n: int) -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(n)).decode().rstrip("=")


def base_env(**extra: str) -> dict[str, str]:
    """This process's environment without any Carenotes or LLM setting, plus `extra`."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("CARENOTES_") and k not in {"GEMINI_API_KEY", "CI"}
    }
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra)
    return env


def server_env(port: int, data_dir: Path, **extra: str) -> dict[str, str]:
    """Settings shared by every server-side process of one deployment."""
    return base_env(
        CARENOTES_LISTEN=f"127.0.0.1:{port}",
        CARENOTES_DATA_DIR=str(data_dir),
        CARENOTES_JWT_SECRET=_secret(48),
        CARENOTES_MASTER_KEYS=f"e2e1:{_secret(32)}",
        CARENOTES_MASTER_KEY_ID="e2e1",
        CARENOTES_EXTRACTOR="rules",
        CARENOTES_SCHEDULER_INTERVAL_SECONDS="0.2",
        CARENOTES_HASH_CONCURRENCY="2",
        CARENOTES_LOG_LEVEL="INFO",
        CARENOTES_SIGNUP_LIMIT="100000",
        **extra,
    )


def wait_until(
    probe: Callable[[], T | None], *, timeout: float, interval: float = 0.05, what: str = ""
) -> T:
    """Polls probe until it returns something other than None (or False)."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value is not None and value is not False:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:g} s waiting for {what or probe}")
        time.sleep(interval)


# -- processes ----------------------------------------------------------------------


@dataclass
class Proc:
    name: str
    args: list[str]
    popen: subprocess.Popen[bytes]
    log_path: Path
    stdout_path: Path | None
    started_at: float

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def stdout(self) -> str:
        path = self.stdout_path or self.log_path
        return path.read_text(errors="replace") if path.exists() else ""

    def wait_for_log(self, text: str, *, timeout: float = START_TIMEOUT) -> None:
        def seen() -> bool:
            if text in self.log():
                return True
            if not self.alive():
                raise RuntimeError(f"{self.name} exited ({self.popen.returncode}) before {text!r}")
            return False

        wait_until(seen, timeout=timeout, what=f"{text!r} in the log of {self.name}")


@dataclass
class Processes:
    """The processes of one test, with their logs; `close()` ends them all."""

    log_dir: Path
    procs: list[Proc] = field(default_factory=list)
    _counter: int = 0

    def _paths(self, name: str) -> tuple[Path, Path]:
        self._counter += 1
        stem = f"{self._counter:02d}-{name}"
        return self.log_dir / f"{stem}.log", self.log_dir / f"{stem}.out"

    def start(
        self,
        name: str,
        args: Sequence[str],
        env: dict[str, str],
        *,
        separate_stdout: bool = False,
        stdin: int | IO[bytes] | None = subprocess.DEVNULL,
    ) -> Proc:
        """Starts a process in its own session; stderr (and stdout unless separate)
        go to a log file."""
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log_path, out_path = self._paths(name)
        log = log_path.open("wb")
        out = out_path.open("wb") if separate_stdout else log
        try:
            popen = subprocess.Popen(
                list(args),
                env=env,
                stdin=stdin,
                stdout=out,
                stderr=log,
                start_new_session=True,
            )
        finally:
            log.close()
            if out is not log:
                out.close()
        proc = Proc(
            name,
            list(args),
            popen,
            log_path,
            out_path if separate_stdout else None,
            time.monotonic(),
        )
        self.procs.append(proc)
        return proc

    def run(
        self,
        name: str,
        args: Sequence[str],
        env: dict[str, str],
        *,
        input_text: str | None = None,
        timeout: float = 60.0,
        check: bool = True,
    ) -> subprocess.CompletedProcess[str]:
        """Runs a command to completion (bounded), keeping its output in the logs."""
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log_path, _ = self._paths(name)
        try:
            done = subprocess.run(
                list(args),
                env=env,
                input=input_text,
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            log_path.write_text(f"$ {' '.join(args)}\nTIMED OUT after {timeout:g} s\n{exc}\n")
            raise
        log_path.write_text(
            f"$ {' '.join(args)}\nexit {done.returncode}\n"
            f"--- stdout\n{done.stdout}--- stderr\n{done.stderr}"
        )
        if check and done.returncode != 0:
            raise AssertionError(
                f"{name} exited {done.returncode}\nstdout:\n{done.stdout}\nstderr:\n{done.stderr}"
            )
        return done

    @staticmethod
    def _signal_group(proc: Proc, sig: signal.Signals) -> None:
        # The process leads its own group (start_new_session), so its id is the group id.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, sig)

    def kill(self, proc: Proc) -> None:
        """kill -9 (the whole process group), then reap it."""
        self._signal_group(proc, signal.SIGKILL)
        proc.popen.wait(timeout=STOP_TIMEOUT)

    def stop(self, proc: Proc, *, timeout: float = STOP_TIMEOUT) -> int:
        """SIGTERM, then SIGKILL if it has not exited within timeout; its exit code."""
        if proc.alive():
            proc.popen.send_signal(signal.SIGTERM)
            try:
                proc.popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill(proc)
        self._signal_group(proc, signal.SIGKILL)  # any child it left behind
        return proc.popen.returncode

    def close(self) -> None:
        """Ends every process still running: SIGTERM, a short grace, then SIGKILL."""
        running = [p for p in self.procs if p.alive()]
        for proc in running:
            proc.popen.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 5.0
        for proc in running:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.popen.wait(timeout=max(0.1, deadline - time.monotonic()))
        for proc in self.procs:
            self._signal_group(proc, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.popen.wait(timeout=5.0)

    def report(self, tail: int = 60) -> str:
        """The last lines of every process's output, for a failing test's report."""
        parts = []
        for proc in self.procs:
            code = "running" if proc.alive() else f"exit {proc.popen.returncode}"
            lines = proc.log().splitlines()[-tail:]
            parts.append(f"===== {proc.name} (pid {proc.pid}, {code}): {proc.log_path}")
            parts.extend(lines)
            if proc.stdout_path is not None:
                parts.append(f"----- stdout of {proc.name}")
                parts.extend(proc.stdout().splitlines()[-tail:])
        for path in sorted(self.log_dir.glob("*.log")):
            if all(p.log_path != path for p in self.procs):
                parts.append(f"===== {path.name}")
                parts.extend(path.read_text(errors="replace").splitlines()[-tail:])
        return "\n".join(parts)


# -- services: a fresh PostgreSQL database, a Redis database of our own ----------------


@contextlib.contextmanager
def empty_postgres_database() -> Iterator[str]:
    """A new, EMPTY database on the real server (`carenotes-server migrate` fills it);
    dropped afterwards. Yields a plain postgresql:// URL, as an operator would set it."""
    name = f"carenotes_e2e_{uuid.uuid4().hex[:12]}"
    try:
        admin = psycopg.connect(f"{PG_ADMIN_URL}/postgres", autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        require_service("PostgreSQL", exc)
        raise
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{PG_ADMIN_URL}/{name}"
    finally:
        with psycopg.connect(f"{PG_ADMIN_URL}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def sqlalchemy_url(url: str) -> str:
    """The URL the server's config would derive (psycopg 3 driver for PostgreSQL)."""
    if url.startswith(("postgres://", "postgresql://")):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


@dataclass(frozen=True)
class RedisDb:
    url: str
    client: redis.Redis

    def flush(self) -> None:
        self.client.flushdb()


@contextlib.contextmanager
def redis_database() -> Iterator[RedisDb]:
    """A Redis database number claimed for this test alone, flushed before and after."""
    base = REDIS_URL.rsplit("/", 1)[0] if REDIS_URL.count("/") > 2 else REDIS_URL.rstrip("/")
    lock_client = redis.Redis.from_url(f"{base}/{REDIS_LOCK_DB}", socket_connect_timeout=3)
    try:
        lock_client.ping()
    except (redis.RedisError, OSError) as exc:
        lock_client.close()
        require_service("Redis", exc)
        raise
    token = uuid.uuid4().hex
    number = None
    for candidate in REDIS_DATA_DBS:
        if lock_client.set(f"carenotes-e2e:db:{candidate}", token, nx=True, ex=REDIS_LOCK_SECONDS):
            number = candidate
            break
    if number is None:
        lock_client.close()
        raise RuntimeError(f"every Redis database in {REDIS_DATA_DBS} is claimed by other tests")
    url = f"{base}/{number}"
    client = redis.Redis.from_url(url)
    db = RedisDb(url, client)
    db.flush()
    try:
        yield db
    finally:
        db.flush()
        client.close()
        if lock_client.get(f"carenotes-e2e:db:{number}") == token.encode():
            lock_client.delete(f"carenotes-e2e:db:{number}")
        lock_client.close()


# -- health ---------------------------------------------------------------------------


def health_status(target: str, *, service: str = "", timeout: float = 1.0) -> int | None:
    """The health status reported by the server, or None if it does not answer."""
    with grpc.insecure_channel(target) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        try:
            response = stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=timeout)
        except grpc.RpcError:
            return None
        status: int = response.status
        return status


def wait_serving(target: str, proc: Proc, *, timeout: float = START_TIMEOUT) -> None:
    def serving() -> bool:
        if not proc.alive():
            raise RuntimeError(f"{proc.name} exited ({proc.popen.returncode}) before SERVING")
        return bool(health_status(target) == health_pb2.HealthCheckResponse.SERVING)

    wait_until(serving, timeout=timeout, interval=0.1, what=f"{proc.name} SERVING on {target}")


# -- deployments ------------------------------------------------------------------------


@dataclass
class Deployment:
    """One Carenotes deployment made of real processes.

    production: `migrate`, then `serve`, `worker` and `scheduler` as separate processes
    over PostgreSQL and Redis. embedded: `serve` alone, SQLite in the data dir, no Redis.
    """

    procs: Processes
    env: dict[str, str]
    port: int
    database_url: str  # SQLAlchemy URL, for the test's own reads and "time passing" writes
    redis: RedisDb | None
    server: Proc | None = None
    worker: Proc | None = None
    scheduler: Proc | None = None

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def production(self) -> bool:
        return self.redis is not None

    def start_server(self) -> Proc:
        self.server = self.procs.start("serve", [SERVER_BIN, "serve"], self.env)
        return self.server

    def invite(self, email: str, *extra: str) -> str:
        """A doctor invitation code, issued as the clinic would: `carenotes-server
        invite-doctor`, whose last line of stdout is the code."""
        done = self.procs.run(
            "invite-doctor", [SERVER_BIN, "invite-doctor", "--email", email, *extra], self.env
        )
        return done.stdout.strip().splitlines()[-1]

    def api(self) -> Api:
        return Api(self.target, invite=self.invite)

    def wait_server(self) -> None:
        assert self.server is not None
        wait_serving(self.target, self.server)

    def start_worker(self) -> Proc:
        self.worker = self.procs.start("worker", [SERVER_BIN, "worker"], self.env)
        return self.worker

    def start_scheduler(self) -> Proc:
        self.scheduler = self.procs.start("scheduler", [SERVER_BIN, "scheduler"], self.env)
        return self.scheduler

    def start(self) -> None:
        if self.production:
            self.procs.run("migrate", [SERVER_BIN, "migrate"], self.env)
            self.start_server()
            self.start_worker()
            self.start_scheduler()
            assert self.worker is not None
            assert self.scheduler is not None
            self.wait_server()
            self.worker.wait_for_log("worker running")
            self.scheduler.wait_for_log("scheduler running")
        else:
            self.start_server()
            self.wait_server()


@contextlib.contextmanager
def production_deployment(procs: Processes, data_dir: Path) -> Iterator[Deployment]:
    with empty_postgres_database() as pg_url, redis_database() as rdb:
        env = server_env(
            free_port(),
            data_dir,
            CARENOTES_ENV="production",
            CARENOTES_DATABASE_URL=pg_url,
            CARENOTES_REDIS_URL=rdb.url,
        )
        port = int(env["CARENOTES_LISTEN"].rsplit(":", 1)[1])
        deployment = Deployment(procs, env, port, sqlalchemy_url(pg_url), rdb)
        try:
            deployment.start()
            yield deployment
        finally:
            procs.close()  # before the database is dropped and Redis flushed


@contextlib.contextmanager
def embedded_deployment(procs: Processes, data_dir: Path) -> Iterator[Deployment]:
    env = server_env(free_port(), data_dir)
    port = int(env["CARENOTES_LISTEN"].rsplit(":", 1)[1])
    deployment = Deployment(procs, env, port, f"sqlite:///{data_dir / 'carenotes.db'}", None)
    try:
        deployment.start()
        yield deployment
    finally:
        procs.close()


# -- the API through the generated stubs ----------------------------------------------------


@dataclass(frozen=True)
class User:
    id: str
    email: str
    token: str

    @property
    def metadata(self) -> tuple[tuple[str, str]]:
        return (("authorization", f"Bearer {self.token}"),)


class Api:
    """Synchronous generated stubs over one channel to a live server."""

    def __init__(self, target: str, *, invite: Callable[[str], str] | None = None) -> None:
        self._invite = invite
        self.channel = grpc.insecure_channel(target)
        self.auth = auth_pb2_grpc.AuthServiceStub(self.channel)
        self.care = care_pb2_grpc.CareServiceStub(self.channel)
        self.steps = steps_pb2_grpc.StepsServiceStub(self.channel)

    def close(self) -> None:
        self.channel.close()

    def sign_up_and_log_in(
        self, role: auth_pb2.Role.ValueType, name: str, *, timezone: str = "UTC"
    ) -> User:
        email = f"{name.split()[-1].lower()}-{uuid.uuid4().hex[:8]}@example.org"
        code = ""
        if role == auth_pb2.ROLE_DOCTOR:
            assert self._invite is not None, "doctors need an invitation: use Deployment.api()"
            code = self._invite(email)
        signed = self.auth.SignUp(
            auth_pb2.SignUpRequest(
                name=name,
                email=email,
                password=PASSWORD,
                role=role,
                timezone=timezone,
                invitation_code=code,
            ),
            timeout=15,
        )
        login = self.auth.Login(auth_pb2.LoginRequest(email=email, password=PASSWORD), timeout=15)
        assert login.user.id == signed.user_id
        return User(signed.user_id, email, login.access_token)

    def assigned_pair(self, *, timezone: str = "UTC") -> tuple[User, User]:
        doctor = self.sign_up_and_log_in(auth_pb2.ROLE_DOCTOR, "Dr Ada Lovelace")
        patient = self.sign_up_and_log_in(auth_pb2.ROLE_PATIENT, "Sam Patient", timezone=timezone)
        self.care.SelectDoctor(
            care_pb2.SelectDoctorRequest(doctor_id=doctor.id), metadata=patient.metadata, timeout=10
        )
        return doctor, patient

    def submit(self, doctor: User, patient: User, note: str) -> care_pb2.SubmitNoteResponse:
        response: care_pb2.SubmitNoteResponse = self.care.SubmitNote(
            care_pb2.SubmitNoteRequest(patient_id=patient.id, note=note, wait_for_steps=True),
            metadata=doctor.metadata,
            timeout=30,
        )
        assert response.extraction_status == care_pb2.EXTRACTION_STATUS_DONE, response
        return response


def utcnow() -> datetime:
    return datetime.now(UTC)


def seconds_between(a: datetime, b: datetime) -> float:
    return (b - a) / timedelta(seconds=1)
