"""Fault tests: PostgreSQL restarted under load, Redis down, a worker killed mid-extraction.

(a) PostgreSQL: calls made while the database is down answer UNAVAILABLE (never INTERNAL
    or UNKNOWN), the server recovers by itself once it is back, and every note whose
    SubmitNote answered OK is in the database.
(b) Redis down (production topology, in-process RedisBroker worker and scheduler): notes
    are still accepted (PENDING), `carenotes.broker` health goes NOT_SERVING while the API
    services stay SERVING, and the extraction runs once Redis is back (the scheduler
    re-enqueues notes left PENDING).
(c) A `carenotes-server worker` process is killed with SIGKILL while its extractor call
    hangs: a new worker extracts the note exactly once (one step set, DONE).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from sqlalchemy import func, select

from carenotes.v1 import auth_pb2, care_pb2, steps_pb2
from carenotes_server.app import BROKER_HEALTH, DATABASE_HEALTH
from carenotes_server.db.database import Database
from carenotes_server.db.models import Note, StepSet
from tests.databases import postgres_database
from tests.e2e.processes import SERVER_BIN, Processes, base_env, wait_until
from tests.extraction import CLINICAL_SENTENCES, valid_answer_json
from tests.fakes.fake_llm_server import Answer, FakeLlmServer, Hang
from tests.faults.outages import postgres_outage, private_redis
from tests.harness import DEFAULT_PASSWORD, Harness, running_server
from tests.harness import test_env as settings_env_for

pytestmark = pytest.mark.slow

NOTE = "Take amoxicillin 500 mg three times a day for 5 days. Buy a thermometer."
# The note the fake LLM's valid answer is grounded in.
LLM_NOTE = " ".join(CLINICAL_SENTENCES)
SERVING = health_pb2.HealthCheckResponse.SERVING
NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING


@pytest.fixture
def pg_url() -> Iterator[str]:
    with postgres_database() as url:
        yield url


async def health_of(h: Harness, service: str) -> int:
    answer = await health_pb2_grpc.HealthStub(h.channel).Check(
        health_pb2.HealthCheckRequest(service=service), timeout=2
    )
    status: int = answer.status
    return status


async def eventually(probe: Callable[[], Awaitable[bool]], *, within: float, what: str) -> None:
    """Awaits probe() until it returns True, for at most `within` seconds."""
    deadline = time.monotonic() + within
    while not await probe():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {within:g} s: {what}")
        await asyncio.sleep(0.1)


def note_rows(db_url: str, note_id: str) -> tuple[str, int, int]:
    """(extraction status, attempts, step sets) of one note, read directly."""
    db = Database(db_url, threads=2)
    try:
        with db.read() as session:
            note = session.get(Note, uuid.UUID(note_id))
            assert note is not None
            sets = session.scalar(
                select(func.count()).select_from(StepSet).where(StepSet.note_id == note.id)
            )
            return note.extraction_status, note.extraction_attempts, int(sets or 0)
    finally:
        db.dispose()


# --- (a) PostgreSQL restarted under load ---------------------------------------------------


@dataclass(frozen=True)
class Call:
    at: float
    rpc: str
    code: grpc.StatusCode
    note_id: str = ""


async def test_postgres_restart_under_load(pg_url: str, tmp_path: Path) -> None:
    async with running_server(pg_url, tmp_path) as h:
        doctor, patient = await h.assigned_pair()
        calls: list[Call] = []
        stop = asyncio.Event()

        async def whoami_loop() -> None:
            while not stop.is_set():
                code = grpc.StatusCode.OK
                try:
                    await h.auth.WhoAmI(
                        auth_pb2.WhoAmIRequest(), metadata=patient.metadata, timeout=5
                    )
                except grpc.aio.AioRpcError as exc:
                    code = exc.code()
                calls.append(Call(time.monotonic(), "WhoAmI", code))
                await asyncio.sleep(0.02)

        async def submit_loop(n: int) -> None:
            i = 0
            while not stop.is_set():
                i += 1
                code, note_id = grpc.StatusCode.OK, ""
                try:
                    answer = await h.care.SubmitNote(
                        care_pb2.SubmitNoteRequest(
                            patient_id=patient.id, note=f"{NOTE} (loop {n}, note {i})"
                        ),
                        metadata=doctor.metadata,
                        timeout=5,
                    )
                    note_id = answer.note_id
                except grpc.aio.AioRpcError as exc:
                    code = exc.code()
                calls.append(Call(time.monotonic(), "SubmitNote", code, note_id))
                await asyncio.sleep(0.02)

        loops = [asyncio.create_task(whoami_loop()) for _ in range(2)]
        loops += [asyncio.create_task(submit_loop(n)) for n in range(3)]
        try:
            await asyncio.sleep(1.0)
            async with postgres_outage():
                outage_started = time.monotonic()
                # Short (the server is shared with other suites), long enough for calls.
                await asyncio.sleep(2.0)
            restarted = time.monotonic()
            await asyncio.sleep(6.0)
        finally:
            stop.set()
            await asyncio.gather(*loops)

    during = [c for c in calls if outage_started <= c.at <= restarted]
    print(  # shown with -s / -rP: what the outage looked like
        f"calls {len(calls)}; during outage {len(during)}: "
        + ", ".join(
            f"{code.name}={sum(1 for c in during if c.code is code)}"
            for code in sorted({c.code for c in during}, key=lambda c: c.name)
        )
    )
    codes = {c.code for c in calls}
    assert codes <= {grpc.StatusCode.OK, grpc.StatusCode.UNAVAILABLE}, codes
    assert any(c.code is grpc.StatusCode.UNAVAILABLE for c in during), "the outage was not seen"
    # Recovery by itself, within a few seconds of the restart, for both RPCs.
    for rpc in ("WhoAmI", "SubmitNote"):
        first_ok = min(
            (c.at for c in calls if c.rpc == rpc and c.at > restarted and c.code.name == "OK"),
            default=None,
        )
        assert first_ok is not None, f"{rpc} never recovered"
        assert first_ok - restarted < 5.0, f"{rpc} took {first_ok - restarted:.1f} s"
        print(f"{rpc}: first OK {first_ok - restarted:.2f} s after PostgreSQL was back")
    tail = [c for c in calls if c.at > restarted + 4.0]
    assert tail, "no calls after recovery"
    assert all(c.code is grpc.StatusCode.OK for c in tail), {c.code for c in tail}
    # No committed note lost.
    acknowledged = {c.note_id for c in calls if c.rpc == "SubmitNote" and c.note_id}
    assert len(acknowledged) >= 10
    db = Database(pg_url, threads=2)
    try:
        with db.read() as session:
            stored = {str(i) for i in session.scalars(select(Note.id))}
    finally:
        db.dispose()
    assert acknowledged <= stored, f"{len(acknowledged - stored)} acknowledged notes lost"


# --- (b) Redis down --------------------------------------------------------------------------


async def test_redis_down_notes_accepted_and_extracted_when_it_returns(
    pg_url: str, tmp_path: Path, processes: Processes
) -> None:
    with private_redis(processes) as broker:
        env = {
            "CARENOTES_REDIS_URL": broker.url,
            "CARENOTES_NOTE_REQUEUE_SECONDS": "1",
            "CARENOTES_HEALTH_CHECK_SECONDS": "0.2",
            "CARENOTES_SCHEDULER_INTERVAL_SECONDS": "0.2",
        }
        async with running_server(pg_url, tmp_path, worker=True, scheduler=True, env=env) as h:
            doctor, patient = await h.assigned_pair()
            assert await health_of(h, BROKER_HEALTH) == SERVING

            await asyncio.to_thread(broker.kill)

            async def broker_down() -> bool:
                return bool(await health_of(h, BROKER_HEALTH) == NOT_SERVING)

            await eventually(broker_down, within=3, what="carenotes.broker NOT_SERVING")
            # Notes are still accepted: the API stays SERVING and the database decides.
            assert await health_of(h, "carenotes.v1.CareService") == SERVING
            assert await health_of(h, "") == SERVING
            assert await health_of(h, DATABASE_HEALTH) == SERVING
            # Logins go on (the throttle falls back to this replica's own), wrong
            # passwords are still refused as such, never INTERNAL.
            login = await h.auth.Login(
                auth_pb2.LoginRequest(email=patient.email, password=DEFAULT_PASSWORD), timeout=10
            )
            assert login.user.id == patient.id
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                await h.auth.Login(
                    auth_pb2.LoginRequest(email=patient.email, password="not-the-password-1"),
                    timeout=10,
                )
            assert refused.value.code() == grpc.StatusCode.UNAUTHENTICATED
            started = time.monotonic()
            submitted = await h.care.SubmitNote(
                care_pb2.SubmitNoteRequest(patient_id=patient.id, note=NOTE),
                metadata=doctor.metadata,
                timeout=5,
            )
            assert time.monotonic() - started < 3.0, "SubmitNote blocked on the broker"
            assert submitted.extraction_status == care_pb2.EXTRACTION_STATUS_PENDING
            await asyncio.sleep(1.5)  # past the requeue delay: the scheduler cannot enqueue
            status, _attempts, sets = await asyncio.to_thread(note_rows, pg_url, submitted.note_id)
            assert (status, sets) == ("PENDING", 0)

            await asyncio.to_thread(broker.start)  # Redis is back (empty: no persistence)

            async def extracted() -> bool:
                note = await h.care.GetNote(
                    care_pb2.GetNoteRequest(note_id=submitted.note_id),
                    metadata=doctor.metadata,
                    timeout=5,
                )
                return bool(note.extraction_status == care_pb2.EXTRACTION_STATUS_DONE)

            await eventually(extracted, within=20, what="the note extracted after Redis returned")

            async def broker_up() -> bool:
                return bool(await health_of(h, BROKER_HEALTH) == SERVING)

            await eventually(broker_up, within=3, what="carenotes.broker SERVING again")
            status, _attempts, sets = await asyncio.to_thread(note_rows, pg_url, submitted.note_id)
            assert (status, sets) == ("DONE", 1)


# --- (c) worker killed mid-extraction --------------------------------------------------------


async def test_worker_killed_mid_extraction_note_extracted_once(
    pg_url: str, tmp_path: Path, processes: Processes
) -> None:
    with private_redis(processes) as broker, FakeLlmServer() as llm:
        # The first extraction hangs (the worker is killed during it); the next answers.
        llm.enqueue(Hang(60.0), Answer(valid_answer_json()))
        settings_env = settings_env_for(
            pg_url,
            tmp_path / "data",
            CARENOTES_REDIS_URL=broker.url,
            CARENOTES_EXTRACTOR="gemini",
            GEMINI_API_KEY="fake-key",
            CARENOTES_GEMINI_BASE_URL=llm.base_url,
            CARENOTES_LLM_ATTEMPTS="1",
            CARENOTES_LLM_TIMEOUT_SECONDS="60",
            CARENOTES_WORKER_THREADS="1",
            CARENOTES_NOTE_REQUEUE_SECONDS="2",
            CARENOTES_SCHEDULER_INTERVAL_SECONDS="0.2",
            CARENOTES_LOG_LEVEL="INFO",
        )
        worker_env = base_env(**settings_env)
        first = processes.start("worker-1", [SERVER_BIN, "worker"], worker_env)
        async with running_server(
            pg_url, tmp_path, worker=False, scheduler=True, env=settings_env
        ) as h:
            doctor, patient = await h.assigned_pair()
            await asyncio.to_thread(first.wait_for_log, "worker running")
            submitted = await h.care.SubmitNote(
                care_pb2.SubmitNoteRequest(patient_id=patient.id, note=LLM_NOTE),
                metadata=doctor.metadata,
                timeout=5,
            )
            await asyncio.to_thread(
                wait_until,
                lambda: len(llm.requests) >= 1,
                timeout=20,
                what="the first worker calling the extractor",
            )
            processes.kill(first)  # SIGKILL while the extractor call hangs
            status, attempts, sets = await asyncio.to_thread(note_rows, pg_url, submitted.note_id)
            assert (status, attempts, sets) == ("PENDING", 1, 0)

            second = processes.start("worker-2", [SERVER_BIN, "worker"], worker_env)
            await asyncio.to_thread(second.wait_for_log, "worker running")

            async def extracted() -> bool:
                note = await h.care.GetNote(
                    care_pb2.GetNoteRequest(note_id=submitted.note_id),
                    metadata=doctor.metadata,
                    timeout=5,
                )
                return bool(note.extraction_status == care_pb2.EXTRACTION_STATUS_DONE)

            try:
                await eventually(extracted, within=30, what="extraction by the new worker")
            except AssertionError as exc:
                rows = await asyncio.to_thread(note_rows, pg_url, submitted.note_id)
                raise AssertionError(
                    f"{exc}; note {rows}; extractor calls {len(llm.requests)}\n"
                    + processes.report()
                ) from None
            await asyncio.sleep(1.0)  # a duplicate message, if any, has had time to run
            status, _attempts, sets = await asyncio.to_thread(note_rows, pg_url, submitted.note_id)
            assert (status, sets) == ("DONE", 1)
            assert len(llm.requests) == 2, "the note was sent to the extractor more than twice"
            steps = await h.steps.GetActionableSteps(
                steps_pb2.GetActionableStepsRequest(),
                metadata=patient.metadata,
                timeout=5,
            )
            assert steps.note_id == submitted.note_id
            assert steps.extractor == "gemini"
            processes.stop(second)
