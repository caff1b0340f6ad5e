"""OpenTelemetry tracing, exported to memory: a span per RPC, the extraction and fire
actors in the trace of the call that caused them (context carried in the message
options), database spans under them, trace ids in the JSON logs, and no PHI anywhere."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import grpc
import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from carenotes.v1 import care_pb2, steps_pb2
from carenotes_server.clock import FakeClock
from carenotes_server.config import load_settings
from carenotes_server.logging_setup import JsonFormatter
from carenotes_server.startup import summary
from carenotes_server.tracing import Tracing, make_tracing
from carenotes_server.tracing.actors import OPTION
from tests.harness import Harness, running_server
from tests.harness import test_env as settings_env

NOTE = "Take amoxicillin 500 mg twice daily for 3 days. Buy a thermometer."
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def exporter() -> InMemorySpanExporter:
    return InMemorySpanExporter()


@pytest.fixture
def tracing(exporter: InMemorySpanExporter) -> Iterator[Tracing]:
    made = make_tracing(None, role="serve", exporter=exporter)
    assert made is not None
    yield made
    made.shutdown()


@pytest.fixture
async def traced(
    db_url: str, tmp_path: Path, tracing: Tracing
) -> AsyncIterator[tuple[Harness, FakeClock]]:
    clock = FakeClock(START)
    env = {"CARENOTES_ACCESS_TOKEN_MINUTES": str(60 * 24 * 30)}
    async with running_server(db_url, tmp_path, clock=clock, env=env, tracing=tracing) as h:
        yield h, clock


def named(spans: tuple[ReadableSpan, ...], name: str) -> list[ReadableSpan]:
    return [s for s in spans if s.name == name]


async def eventually_span(
    exporter: InMemorySpanExporter, name: str, *, within: float = 15
) -> ReadableSpan:
    async with asyncio.timeout(within):
        while True:
            found = named(exporter.get_finished_spans(), name)
            if found:
                return found[0]
            await asyncio.sleep(0.05)


async def test_a_note_is_one_trace_from_the_call_to_its_extraction(
    traced: tuple[Harness, FakeClock], exporter: InMemorySpanExporter
) -> None:
    h, _ = traced
    doctor, patient = await h.assigned_pair()
    submitted = await h.care.SubmitNote(
        care_pb2.SubmitNoteRequest(patient_id=patient.id, note=NOTE, wait_for_steps=True),
        metadata=doctor.metadata,
        timeout=30,
    )
    assert submitted.extraction_status == care_pb2.EXTRACTION_STATUS_DONE
    call = await eventually_span(exporter, "/carenotes.v1.CareService/SubmitNote")
    job = await eventually_span(exporter, "extract_steps")
    spans = exporter.get_finished_spans()

    assert call.kind is SpanKind.SERVER
    assert call.attributes is not None
    assert call.attributes["rpc.grpc.status_code"] == 0
    assert call.attributes["rpc.service"] == "carenotes.v1.CareService"
    assert job.kind is SpanKind.CONSUMER
    assert job.context.trace_id == call.context.trace_id
    assert job.parent is not None
    assert job.parent.span_id == call.context.span_id
    # Database statements are spans under the call (service threads) and the job.
    db_parents = {s.parent.span_id for s in spans if s.kind is SpanKind.CLIENT and s.parent}
    assert call.context.span_id in db_parents
    assert job.context.span_id in db_parents
    assert {"SELECT", "INSERT"} <= {
        str((s.attributes or {}).get("db.operation.name")) for s in spans
    }
    # Names, codes and ids only: the note's words appear nowhere.
    for span in spans:
        text = json.dumps({k: str(v) for k, v in (span.attributes or {}).items()}) + span.name
        assert "amoxicillin" not in text.lower()
        assert "thermometer" not in text.lower()


async def test_a_fired_reminder_is_traced(
    traced: tuple[Harness, FakeClock], exporter: InMemorySpanExporter
) -> None:
    h, clock = traced
    doctor, patient = await h.assigned_pair()
    await h.care.SubmitNote(
        care_pb2.SubmitNoteRequest(patient_id=patient.id, note=NOTE, wait_for_steps=True),
        metadata=doctor.metadata,
        timeout=30,
    )
    listed = await h.steps.ListReminders(
        steps_pb2.ListRemindersRequest(), metadata=patient.metadata, timeout=10
    )
    clock.set(listed.reminders[0].due_at.ToDatetime(tzinfo=UTC))
    await asyncio.to_thread(h.components.scheduler.tick)
    fired = await eventually_span(exporter, "fire_reminders")
    assert fired.kind is SpanKind.CONSUMER
    assert fired.status.status_code is not StatusCode.ERROR
    assert (fired.attributes or {})["messaging.destination.name"] == "reminders"


async def test_failed_calls_carry_their_status(
    traced: tuple[Harness, FakeClock], exporter: InMemorySpanExporter
) -> None:
    h, _ = traced
    with pytest.raises(grpc.aio.AioRpcError):
        await h.care.ListPatients(care_pb2.ListPatientsRequest(), timeout=10)
    span = await eventually_span(exporter, "/carenotes.v1.CareService/ListPatients")
    assert (span.attributes or {})["rpc.grpc.status_code"] == grpc.StatusCode.UNAUTHENTICATED.value[
        0
    ]
    # The caller's mistake, not a server error.
    assert span.status.status_code is not StatusCode.ERROR


async def test_a_callers_traceparent_is_the_parent(
    traced: tuple[Harness, FakeClock], exporter: InMemorySpanExporter
) -> None:
    h, _ = traced
    trace_id = "4bf92f3577b34da6a3ce929d0e0e4736"
    doctor = await h.doctor()
    await h.care.ListPatients(
        care_pb2.ListPatientsRequest(),
        metadata=(*doctor.metadata, ("traceparent", f"00-{trace_id}-00f067aa0ba902b7-01")),
        timeout=10,
    )
    span = await eventually_span(exporter, "/carenotes.v1.CareService/ListPatients")
    assert f"{span.context.trace_id:032x}" == trace_id
    assert span.parent is not None
    assert f"{span.parent.span_id:016x}" == "00f067aa0ba902b7"


def test_the_message_options_carry_only_the_trace_context(tracing: Tracing, tmp_path: Path) -> None:
    from carenotes_server.components import build
    from tests.databases import sqlite_database

    with sqlite_database(tmp_path) as url:
        settings = load_settings(settings_env(url, tmp_path))
        components = build(settings, migrate=False, tracing=tracing)
        try:
            with tracing.tracer.start_as_current_span("caller"):
                message = components.tasks.extract_steps.message(
                    "6f1f7c4e-0000-0000-0000-000000000000"
                )
                components.broker.enqueue(message)
            (queued,) = components.broker.queues["extraction"].queue
        finally:
            components.stop_background()
    decoded = json.loads(queued)
    carried = decoded["options"][OPTION]
    assert set(carried) == {"traceparent"}
    assert carried["traceparent"].startswith("00-")


def test_log_lines_inside_a_span_carry_its_ids(tracing: Tracing) -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("carenotes.test_tracing")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        logger.info("outside")
        with tracing.tracer.start_as_current_span("work") as span:
            logger.info("inside")
    finally:
        logger.removeHandler(handler)
    outside, inside = (json.loads(line) for line in stream.getvalue().splitlines())
    assert "trace_id" not in outside
    context = span.get_span_context()
    assert inside["trace_id"] == f"{context.trace_id:032x}"
    assert inside["span_id"] == f"{context.span_id:016x}"


def test_tracing_is_off_by_default(tmp_path: Path) -> None:
    settings = load_settings({"CARENOTES_DATA_DIR": str(tmp_path)})
    assert settings.otlp_endpoint is None
    assert make_tracing(settings.otlp_endpoint, role="serve") is None
    assert summary(settings, role="serve")["tracing"] == "off"
    on = load_settings(
        {"CARENOTES_DATA_DIR": str(tmp_path), "CARENOTES_OTLP_ENDPOINT": "http://127.0.0.1:4317"}
    )
    made = make_tracing(on.otlp_endpoint, role="worker")
    assert made is not None
    made.shutdown()
    assert summary(on, role="worker")["tracing"] == "http://127.0.0.1:4317"
