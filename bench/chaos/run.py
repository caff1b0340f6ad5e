"""The sequence of a chaos run: one batch of reminders per fault, the fault landing
while the batch is being delivered, then the verdict."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import grpc

from bench.chaos.streams import Streams
from bench.chaos.topology import Topology, production
from bench.chaos.verdict import Batch, ChaosResult, judge
from bench.fixtures import Account, Api, BenchDb
from bench.scenarios import log

FAULTS: tuple[str, ...] = (
    "none",
    "worker-1 kill -9",
    "scheduler kill -9",
    "redis restart",
    "redis flushall",
    "redis connections dropped",
    "worker-2 kill -9",
    "none (after)",
)


@dataclass(frozen=True)
class ChaosConfig:
    patients: int = 20
    per_patient: int = 7  # reminders per patient per batch: 20 x 7 x 8 faults = 1,120
    spacing_s: float = 0.8  # between the due times of a batch (the whole batch: ~5 s)
    lead_in_s: float = 5.0  # from writing a batch's rows to its first due time
    fault_after_s: float = 0.5  # after the first due time: in the middle of delivery
    settle_s: float = 20.0  # after the last due time, what has not arrived is lost
    faults: tuple[str, ...] = FAULTS


def inject(topology: Topology, fault: str) -> None:
    if fault.startswith("worker-"):
        name = fault.split()[0]
        next(w for w in topology.workers if w.name == name).kill()
    elif fault.startswith("scheduler"):
        topology.scheduler.kill()
    elif fault == "redis restart":
        topology.redis.restart()
    elif fault == "redis flushall":
        topology.redis.client().flushall()
    elif fault == "redis connections dropped":
        client = topology.redis.client()
        for kind in ("normal", "pubsub"):
            client.client_kill_filter(_type=kind, skipme=True)
    elif not fault.startswith("none"):
        raise ValueError(f"unknown fault {fault!r}")


def _inviter(database_url: str) -> Callable[[str], str]:
    def invite(email: str) -> str:
        from carenotes_server.clock import SystemClock
        from carenotes_server.db.database import Database
        from carenotes_server.services.invitations import Invitations

        db = Database(database_url, threads=1)
        try:
            return Invitations(db, SystemClock()).issue(email=email).code
        finally:
            db.dispose()

    return invite


async def _sleep_until(at: datetime) -> None:
    await asyncio.sleep(max(0.0, (at - datetime.now(UTC)).total_seconds()))


async def run_chaos(workdir: Path, cfg: ChaosConfig = ChaosConfig()) -> ChaosResult:
    with production(workdir) as topology:
        channel = grpc.aio.insecure_channel(topology.targets[0])
        db = BenchDb(topology.database_url)
        streams = Streams()
        try:
            api = Api(channel, invite=_inviter(topology.database_url))
            _, patients = await api.care_team(cfg.patients)
            streams_of: dict[str, list[str]] = {}
            for patient in patients:
                db.cancel_scheduled(patient.id)  # only the batches' rows fire
                for index, target in enumerate(topology.targets):
                    name = f"{patient.id}@serve-{index + 1}"
                    streams.open(target, name, patient.id, patient.token)
                    streams_of.setdefault(patient.id, []).append(name)
            await asyncio.sleep(1.0)  # every stream subscribed
            batches = []
            for number, fault in enumerate(cfg.faults):
                batches.append(await _batch(cfg, topology, db, streams, patients, number, fault))
            await asyncio.sleep(1.0)  # a late duplicate would show now
            unhealthy = [
                p.name
                for p in [*topology.workers, topology.scheduler]
                if not (p.health() or {}).get("healthy")
            ]
            return judge(
                topology.database_url,
                batches,
                streams.receipts,
                streams_of,
                restarts=topology.restarts(),
                unhealthy_at_end=unhealthy,
            )
        finally:
            await streams.close()
            await channel.close()
            db.close()


async def _batch(
    cfg: ChaosConfig,
    topology: Topology,
    db: BenchDb,
    streams: Streams,
    patients: list[Account],
    number: int,
    fault: str,
) -> Batch:
    first_due = datetime.now(UTC) + timedelta(seconds=cfg.lead_in_s)
    dues = [first_due + timedelta(seconds=cfg.spacing_s * k) for k in range(cfg.per_patient)]
    ids = []
    for patient in patients:
        ids += db.insert_reminders(
            patient.id,
            dues,
            window=timedelta(hours=1),
            first_sequence=100_000 + number * cfg.per_patient,
        )
    await _sleep_until(first_due + timedelta(seconds=cfg.fault_after_s))
    log(f"chaos batch {number + 1}/{len(cfg.faults)}: {fault}")
    await asyncio.to_thread(inject, topology, fault)
    wanted = {str(i) for i in ids}
    expected = len(ids) * len(topology.targets)
    deadline = dues[-1] + timedelta(seconds=cfg.settle_s)
    while datetime.now(UTC) < deadline:
        if sum(1 for r in streams.receipts if r.reminder_id in wanted) >= expected:
            break
        await asyncio.sleep(0.1)
    return Batch(fault, tuple(ids))
