"""Scenarios 1-6 against one running stack (scenario 7, scale, is in bench/scale.py).

Each scenario returns JSON records (bench.stats.record). Names are stable: the report
and the goals look them up by (scenario, backend, name).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import math
import sys
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import grpc

from bench import rounds
from bench.echo import echo_callable
from bench.fixtures import PASSWORD, Account, Api, BenchDb
from bench.loadgen import closed_loop, open_loop
from bench.procs import Stack, cpu_percent, rss_bytes
from bench.rounds import ECHO, ROUNDS
from bench.stats import Record, ms, percentile, record
from bench.stream_clients import StreamClients
from carenotes.v1 import auth_pb2, steps_pb2
from carenotes_server.db.models import Reminder


@dataclass(frozen=True)
class Config:
    duration_s: float = 10.0
    concurrency: int = 32
    open_fraction: float = 0.5  # open-loop rate as a fraction of the closed-loop RPS
    flood_concurrency: int = 128
    flood_probe_rate: float = 100.0
    note_samples: int = 100
    streams: int = 10_000
    stream_procs: int = 4
    streams_per_channel: int = 100
    lateness_count: int = 1_000
    lateness_window_s: float = 60.0
    scale_rows: int = 1_000_000
    rounds: int = ROUNDS  # scenario 1: alternating echo/service rounds
    round_s: float = 5.0  # seconds per closed-loop round of scenario 1
    peak_patients: int = 20_000
    peak_stream_procs: int = 6
    quick_chaos: bool = False  # fewer patients per batch (--quick)
    scenarios: frozenset[str] = frozenset({"1", "2", "3", "4", "5", "6", "7", "8", "9"})


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def show(rec: Record) -> Record:
    """Prints the record: a human line on stderr, the JSON record on stdout."""
    parts = [f"{rec['scenario']:<14} {rec['backend']:<8} {rec['name']:<34}"]
    if rec.get("rps") is not None:
        parts.append(f"rps={rec['rps']:>8}")
    if rec.get("p50_ms") is not None:
        parts.append(f"p50={rec['p50_ms']}ms p90={rec['p90_ms']}ms p99={rec['p99_ms']}ms")
    print(" ".join(parts), file=sys.stderr, flush=True)
    print(json.dumps(rec), flush=True)
    return rec


def channel(target: str) -> grpc.aio.Channel:
    return grpc.aio.insecure_channel(target, options=[("grpc.use_local_subchannel_pool", 1)])


# --- the scenarios of one stack ---------------------------------------------------------


@dataclass
class People:
    doctor: Account
    patients: list[Account]

    @property
    def reader(self) -> Account:
        return self.patients[0]


async def prepare(api: Api, patients: int = 8) -> People:
    doctor, members = await api.care_team(patients)
    return People(doctor, members)


async def rpc_throughput(
    cfg: Config, stack: Stack, api: Api, people: People, echo_server: rounds.EchoServer
) -> list[Record]:
    """Scenario 1: WhoAmI (token + session check) and GetActionableSteps (read + decrypt
    + durable audit row), in rounds alternating with the echo baseline (bench.rounds)."""
    reader = people.reader
    whoami = auth_pb2.WhoAmIRequest()
    get_steps = steps_pb2.GetActionableStepsRequest()

    def call_whoami() -> Any:
        return api.auth.WhoAmI(whoami, metadata=reader.metadata, timeout=30)

    def call_steps() -> Any:
        return api.steps.GetActionableSteps(get_steps, metadata=reader.metadata, timeout=30)

    calls = {"WhoAmI": call_whoami, "GetActionableSteps": call_steps}
    async with channel(echo_server.target) as echo_ch:
        echo = echo_callable(echo_ch, (("authorization", "Bearer " + "x" * 300),))
        measured = await rounds.alternate(
            echo,
            calls,
            echo_pid=echo_server.pid,
            server_pid=stack.server.pid,
            concurrency=cfg.concurrency,
            round_s=cfg.round_s,
            rounds=cfg.rounds,
        )
        out = [show(r) for r in rounds.closed_records(measured, stack.backend)]
        kind = {ECHO: ("echo", f"Echo open ({stack.backend})")}
        for name, call in {ECHO: echo, **calls}.items():
            closed = rounds.merged(measured.results[name])
            opened = await rounds.open_run(
                call, closed_rps=closed.rps, fraction=cfg.open_fraction, duration_s=cfg.duration_s
            )
            backend, label = kind.get(name, (stack.backend, f"{name} open"))
            out.append(show(opened.to_record("1-rpc", backend, label)))
    return out


async def submit_notes(cfg: Config, stack: Stack, api: Api, people: People) -> list[Record]:
    """Scenario 2: SubmitNote (write + encrypt + enqueue), round robin over patients."""
    counter = [0]

    def call() -> Any:
        counter[0] += 1
        patient = people.patients[counter[0] % len(people.patients)]
        return api.submit_note(people.doctor, patient)

    closed = await closed_loop(
        call, concurrency=max(1, cfg.concurrency // 2), duration_s=cfg.duration_s
    )
    return [show(closed.to_record("2-submit", stack.backend, "SubmitNote closed"))]


@contextlib.asynccontextmanager
async def rss_sampler(pid: int, every_s: float = 0.25) -> AsyncIterator[list[int]]:
    samples: list[int] = []

    async def sample() -> None:
        while True:
            with contextlib.suppress(OSError):
                samples.append(rss_bytes(pid))
            await asyncio.sleep(every_s)

    task = asyncio.create_task(sample())
    try:
        yield samples
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def login_flood(cfg: Config, stack: Stack, api: Api, people: People) -> list[Record]:
    """Scenario 3: logins at full rate while WhoAmI runs at a fixed rate (open loop)."""
    reader = people.reader
    flooder = people.patients[-1]
    whoami = auth_pb2.WhoAmIRequest()
    login = auth_pb2.LoginRequest(email=flooder.email, password=PASSWORD)

    def probe() -> Any:
        return api.auth.WhoAmI(whoami, metadata=reader.metadata, timeout=30)

    def flood() -> Any:
        return api.auth.Login(login, timeout=30)

    rate = cfg.flood_probe_rate
    idle_rss = rss_bytes(stack.server.pid)
    idle = await open_loop(probe, rate=rate, duration_s=cfg.duration_s)
    out = [show(idle.to_record("3-flood", stack.backend, "WhoAmI idle", rss_mib=_mib(idle_rss)))]
    async with rss_sampler(stack.server.pid) as rss:
        flood_task = asyncio.create_task(
            closed_loop(flood, concurrency=cfg.flood_concurrency, duration_s=cfg.duration_s + 2.0)
        )
        await asyncio.sleep(1.0)
        during = await open_loop(probe, rate=rate, duration_s=cfg.duration_s)
        flooded = await flood_task
    half = rss[len(rss) // 2 :] or [idle_rss]
    memory = {
        "rss_idle_mib": _mib(idle_rss),
        "rss_peak_mib": _mib(max(rss, default=idle_rss)),
        "rss_end_mib": _mib(rss[-1] if rss else idle_rss),
        "rss_growth_second_half_mib": _mib(max(half) - half[0]),
    }
    out.append(show(during.to_record("3-flood", stack.backend, "WhoAmI during flood", **memory)))
    out.append(show(flooded.to_record("3-flood", stack.backend, "Login flood", **memory)))
    return out


def _mib(n: int) -> float:
    return round(n / 1024 / 1024, 1)


async def note_to_steps(cfg: Config, stack: Stack, api: Api, people: People) -> list[Record]:
    """Scenario 4: SubmitNote, then the steps are readable (polled every 2 ms)."""
    patient = people.patients[1]
    request = steps_pb2.GetActionableStepsRequest(patient_id=patient.id)
    latencies: list[float] = []
    timeouts = 0
    for _ in range(cfg.note_samples):
        t0 = time.perf_counter()
        submitted = await api.submit_note(people.doctor, patient)
        deadline = t0 + 10.0
        while True:
            steps = await api.steps.GetActionableSteps(
                request, metadata=people.doctor.metadata, timeout=10
            )
            if steps.note_id == submitted.note_id:
                latencies.append(time.perf_counter() - t0)
                break
            if time.perf_counter() > deadline:
                timeouts += 1
                break
            await asyncio.sleep(0.002)
    return [
        show(
            record(
                "4-note-steps",
                stack.backend,
                "SubmitNote to steps readable",
                latencies_s=latencies,
                timeouts=timeouts,
                extractor="rules",
            )
        )
    ]


# --- streams ---------------------------------------------------------------------------


async def _primer(db: BenchDb, patient: Account) -> uuid.UUID:
    """A reminder fired before the streams open: its replay proves a stream is live."""
    await asyncio.to_thread(db.cancel_scheduled, patient.id)
    now = datetime.now(UTC)
    (primer,) = await asyncio.to_thread(
        db.insert_reminders, patient.id, [now - timedelta(seconds=1)], window=timedelta(days=1)
    )
    if not await db.wait_sent([primer], 60.0):
        raise RuntimeError("the primer reminder was not fired within 60 s")
    return primer


def _sent_at(db: BenchDb, rid: uuid.UUID) -> datetime | None:
    from sqlalchemy import select

    with db.engine.connect() as conn:
        value = conn.execute(select(Reminder.sent_at).where(Reminder.id == rid)).scalar_one()
    if value is None:
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


async def streams(cfg: Config, stack: Stack, api: Api, people: People) -> list[Record]:
    """Scenario 5: as many StreamReminders subscribers as one process holds, one fan-out."""
    patient = people.patients[2]
    db = BenchDb(stack.database_url)
    clients = StreamClients()
    try:
        primer = await _primer(db, patient)
        await asyncio.sleep(1.0)
        rss0 = rss_bytes(stack.server.pid)
        t_open = time.monotonic()
        await clients.start(
            stack.target,
            patient.token,
            primer,
            cfg.streams,
            cfg.stream_procs,
            cfg.streams_per_channel,
        )
        opened, errors, _ = await clients.ready(timeout_s=300.0)
        open_seconds = time.monotonic() - t_open
        log(f"{opened} streams open in {open_seconds:.1f} s (errors {errors})")
        await asyncio.sleep(2.0)
        rss1 = rss_bytes(stack.server.pid)
        idle_cpu = await asyncio.to_thread(cpu_percent, stack.server.pid, 5.0)
        due = datetime.now(UTC) + timedelta(seconds=2)
        (rid,) = await asyncio.to_thread(
            db.insert_reminders, patient.id, [due], window=timedelta(days=1)
        )
        await db.wait_sent([rid], 60.0)
        received: list[float] = []
        deadline = time.monotonic() + 60.0
        while time.monotonic() < deadline:
            await asyncio.sleep(1.0)
            received = (await clients.report()).get(str(rid), [])
            if len(received) >= opened:
                break
        sent_at = await asyncio.to_thread(_sent_at, db, rid)
        t0 = sent_at.timestamp() if sent_at else due.timestamp()
        fanout = [t - t0 for t in received]
        per_stream = (rss1 - rss0) / opened if opened else math.nan
        return [
            show(
                record(
                    "5-streams",
                    stack.backend,
                    "One reminder to every stream",
                    latencies_s=fanout,
                    streams_target=cfg.streams,
                    streams_open=opened,
                    stream_errors=errors,
                    open_seconds=round(open_seconds, 1),
                    delivered=len(received),
                    rss_before_mib=_mib(rss0),
                    rss_with_streams_mib=_mib(rss1),
                    kib_per_stream=round(per_stream / 1024, 2),
                    idle_cpu_percent=round(idle_cpu, 2),
                    from_due_p99_ms=ms(percentile([t - due.timestamp() for t in received], 99)),
                    spread_ms=ms(max(received) - min(received)) if received else None,
                )
            )
        ]
    finally:
        await clients.stop()
        db.close()


async def lateness(cfg: Config, stack: Stack, api: Api, people: People) -> list[Record]:
    """Scenario 6: reminders due over a window, due time to receipt on the stream."""
    patient = people.patients[3]
    db = BenchDb(stack.database_url)
    clients = StreamClients()
    try:
        primer = await _primer(db, patient)
        await clients.start(stack.target, patient.token, primer, 1, 1, 1)
        opened, _, _ = await clients.ready(timeout_s=60.0)
        start = datetime.now(UTC) + timedelta(seconds=5)
        step = cfg.lateness_window_s / cfg.lateness_count
        dues = [start + timedelta(seconds=i * step) for i in range(cfg.lateness_count)]
        ids = await asyncio.to_thread(
            db.insert_reminders, patient.id, dues, window=timedelta(days=1)
        )
        due_of = {str(rid): due.timestamp() for rid, due in zip(ids, dues, strict=True)}
        wait = (dues[-1] - datetime.now(UTC)).total_seconds() + 5.0
        await asyncio.sleep(max(0.0, wait))
        received = await clients.report()
        late = [min(received[r]) - due_of[r] for r in due_of if r in received]
        return [
            show(
                record(
                    "6-lateness",
                    stack.backend,
                    "Reminder due to receipt",
                    latencies_s=late,
                    reminders=cfg.lateness_count,
                    window_s=cfg.lateness_window_s,
                    received=len(late),
                    missing=cfg.lateness_count - len(late),
                    stream_open=opened,
                    min_ms=ms(min(late)) if late else None,
                )
            )
        ]
    finally:
        await clients.stop()
        db.close()


async def run_stack(cfg: Config, stack: Stack, echo_server: rounds.EchoServer) -> list[Record]:
    out: list[Record] = []
    async with channel(stack.target) as ch:
        api = Api(ch, invite=stack.invite)
        people = await prepare(api)
        steps: list[tuple[str, Any]] = [
            ("1", functools.partial(rpc_throughput, echo_server=echo_server)),
            ("3", login_flood),
            ("4", note_to_steps),
            ("5", streams),
            ("6", lateness),
            ("2", submit_notes),  # last: it leaves an extraction backlog behind
        ]
        for key, scenario in steps:
            if key not in cfg.scenarios:
                continue
            name = getattr(scenario, "__name__", None) or scenario.func.__name__
            log(f"{stack.backend}: scenario {key} ({name})")
            try:
                out.extend(await scenario(cfg, stack, api, people))
            except Exception as exc:  # noqa: BLE001 - one failed scenario must not lose the run
                log(f"{stack.backend}: scenario {key} failed: {exc!r}")
                out.append(show(record(f"{key}-failed", stack.backend, name, error=repr(exc))))
    return out
