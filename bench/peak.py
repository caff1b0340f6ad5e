"""Scenario 9, the morning peak: N patients (default 20,000) with open streams, one
reminder each due at the same instant, on PostgreSQL + Redis with the documented
deployment (one server, two workers, one scheduler).

Reported: every reminder delivered once (lost and duplicated receipts counted), the
lateness from the due time to receipt on the patient's stream (p50/p99/max), and the
drain rate: reminders fired per second (from the database's sent_at) and received per
second (from the streams), beside scenario 5's fan-out rate when it ran in the same
bench run.
"""

from __future__ import annotations

import asyncio
import json
import math
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import grpc
from sqlalchemy import func, select

from bench.chaos.run import _inviter
from bench.chaos.topology import production
from bench.fixtures import Api, BenchDb
from bench.peak_fixtures import PeakPatient, close_primers, create_patients, make_due
from bench.procs import rss_bytes
from bench.scenarios import log, show
from bench.stats import Record, percentile, record
from bench.stream_clients import StreamClients
from carenotes.v1 import auth_pb2
from carenotes_server.config import load_settings
from carenotes_server.db.models import Reminder

WORKERS = 2  # as docker-compose.yml deploys them
DUE_IN_S = 15.0  # beyond the claim lead: the peak is claimed as in production
DRAIN_TIMEOUT_S = 300.0
PROFILE_S = 20


async def run_peak(
    workdir: Path, *, patients: int, stream_procs: int, profile_dir: Path | None = None
) -> list[Record]:
    with production(workdir, servers=1, workers=WORKERS) as topology:
        channel = grpc.aio.insecure_channel(topology.targets[0])
        db = BenchDb(topology.database_url)
        clients = StreamClients()
        try:
            api = Api(channel, invite=_inviter(topology.database_url))
            doctor = await api.account(auth_pb2.ROLE_DOCTOR)
            settings = load_settings(topology.env)
            t0 = time.monotonic()
            people = await asyncio.to_thread(
                create_patients, settings, uuid.UUID(doctor.id), patients
            )
            log(f"{len(people)} patients written in {time.monotonic() - t0:.1f} s")
            t_open = time.monotonic()
            await _start_clients(clients, topology.targets[0], people, stream_procs, workdir)
            opened, errors, _ = await clients.ready(timeout_s=900.0)
            open_seconds = time.monotonic() - t_open
            log(f"{opened} streams open in {open_seconds:.1f} s (errors {errors})")
            await asyncio.to_thread(close_primers, settings, people)
            server_pid = topology.servers[0].proc.pid if topology.servers[0].proc else None
            rss = rss_bytes(server_pid) if server_pid else 0
            due = datetime.now(UTC) + timedelta(seconds=DUE_IN_S)
            ids = await asyncio.to_thread(make_due, settings, people, due)
            profiler = _profile(topology, profile_dir, due)
            received = await _drain(clients, ids, due, expected=opened)
            if profiler is not None:
                await profiler
            fired_last, sent = await asyncio.to_thread(_fired, db, ids)
            streams = {"open": opened, "errors": errors, "seconds": open_seconds, "rss": rss}
            return [_record(patients, streams, due, ids, received, sent, fired_last)]
        finally:
            await clients.stop()
            await channel.close()
            db.close()


async def _start_clients(
    clients: StreamClients, target: str, people: list[PeakPatient], procs: int, workdir: Path
) -> None:
    share = math.ceil(len(people) / procs)
    for index in range(procs):
        chunk = people[index * share : (index + 1) * share]
        if not chunk:
            continue
        path = workdir / f"accounts-{index}.json"
        path.write_text(json.dumps([{"token": p.token, "primer": str(p.primer)} for p in chunk]))
        clients.procs.append(
            await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bench.stream_client",
                "--target",
                target,
                "--accounts",
                str(path),
                "--channels",
                str(max(1, math.ceil(len(chunk) / 100))),
                "--open-timeout",
                "900",
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                limit=256 * 1024 * 1024,
            )
        )


async def _drain(
    clients: StreamClients, ids: list[uuid.UUID], due: datetime, *, expected: int
) -> dict[str, list[float]]:
    """Receipts of the peak's reminders, once every open stream has one (or timeout)."""
    wanted = {str(i) for i in ids}
    await asyncio.sleep(max(0.0, (due - datetime.now(UTC)).total_seconds()) + 2.0)
    deadline = time.monotonic() + DRAIN_TIMEOUT_S
    received: dict[str, list[float]] = {}
    while time.monotonic() < deadline:
        received = {k: v for k, v in (await clients.report()).items() if k in wanted}
        if len(received) >= expected:
            break
        await asyncio.sleep(2.0)
    await asyncio.sleep(2.0)  # a duplicate would arrive now
    return {k: v for k, v in (await clients.report()).items() if k in wanted}


def _fired(db: BenchDb, ids: list[uuid.UUID]) -> tuple[datetime | None, int]:
    with db.engine.connect() as conn:
        last, sent = conn.execute(
            select(func.max(Reminder.sent_at), func.count()).where(
                Reminder.id.in_(ids), Reminder.status == "SENT"
            )
        ).one()
    if isinstance(last, datetime) and last.tzinfo is None:
        last = last.replace(tzinfo=UTC)
    return last, int(sent)


def _profile(topology: Any, profile_dir: Path | None, due: datetime) -> asyncio.Task[None] | None:
    """py-spy on every process from just before the due time, for PROFILE_S seconds:
    raw stacks and a per-function summary per process in profile_dir."""
    if profile_dir is None:
        return None
    from bench.profiling import _py_spy, summarize

    spy = _py_spy()
    profile_dir.mkdir(parents=True, exist_ok=True)
    targets = {p.name: p.proc.pid for p in topology.processes if p.proc is not None}

    async def one(name: str, pid: int) -> None:
        raw = profile_dir / f"peak-{name}.raw.txt"
        proc = await asyncio.create_subprocess_exec(
            *[spy, "record", "-p", str(pid), "-d", str(PROFILE_S), "-r", "100"],
            *["--nonblocking", "-f", "raw", "-o", str(raw)],
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        await asyncio.wait_for(proc.wait(), PROFILE_S + 60)
        summary = await asyncio.to_thread(summarize, raw)
        await asyncio.to_thread((profile_dir / f"peak-{name}.summary.txt").write_text, summary)

    async def run() -> None:
        await asyncio.sleep(max(0.0, (due - datetime.now(UTC)).total_seconds() - 1.0))
        await asyncio.gather(*(one(name, pid) for name, pid in targets.items()))

    return asyncio.create_task(run())


def _record(
    patients: int,
    streams: dict[str, Any],
    due: datetime,
    ids: list[uuid.UUID],
    received: dict[str, list[float]],
    sent: int,
    fired_last: datetime | None,
) -> Record:
    firsts = [min(times) for times in received.values()]
    lateness = [t - due.timestamp() for t in firsts]
    duplicated = sum(len(times) - 1 for times in received.values())
    fire_span = (fired_last - due).total_seconds() if fired_last else math.nan
    receive_span = max(lateness) if lateness else math.nan
    return show(
        record(
            "9-peak",
            "postgres",
            f"Morning peak: {patients:,} reminders due at one instant",
            latencies_s=lateness,
            patients=patients,
            workers=WORKERS,
            streams_open=streams["open"],
            stream_errors=streams["errors"],
            open_seconds=round(streams["seconds"], 1),
            server_rss_mib=round(streams["rss"] / 2**20, 1),
            fired=sent,
            delivered=len(received),
            # Among the patients whose stream opened (one each): the others never listened.
            lost=max(0, int(streams["open"]) - len(received)),
            not_listening=len(ids) - int(streams["open"]),
            duplicated=duplicated,
            fired_per_s=round(sent / fire_span, 1) if fire_span and fire_span > 0 else None,
            drain_per_s=round(len(firsts) / receive_span, 1)
            if receive_span and receive_span > 0
            else None,
            p50_lateness_ms=round(percentile(lateness, 50) * 1000, 1) if lateness else None,
        )
    )
