"""The Prometheus endpoint of a running server, and dependency health in embedded mode."""

from __future__ import annotations

import asyncio
import re
import urllib.request
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from carenotes.v1 import auth_pb2, care_pb2
from carenotes_server.app import BROKER_HEALTH, DATABASE_HEALTH
from carenotes_server.metrics import parse_listen
from tests.databases import sqlite_database
from tests.harness import running_server

NOTE = "Take amoxicillin 500 mg three times a day for 5 days. Buy a thermometer."


def scrape(port: int) -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
        body: bytes = response.read()
    return body.decode()


def sample(text: str, name: str, **labels: str) -> float:
    """The value of one sample; labels must match exactly those given (in any order)."""
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        match = re.fullmatch(r"([a-zA-Z_:]+)(?:\{(.*)\})? (\S+)", line)
        if not match or match.group(1) != name:
            continue
        found = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', match.group(2) or ""))
        if found == labels:
            return float(match.group(3))
    raise AssertionError(f"no sample {name}{labels}")


async def test_metrics_endpoint_after_a_few_rpcs(tmp_path: Path) -> None:
    with sqlite_database(tmp_path) as url:
        env = {"CARENOTES_METRICS_LISTEN": "127.0.0.1:0"}
        async with running_server(url, tmp_path, env=env) as h:
            port = h.components.metrics_port
            assert port is not None
            before = scrape(port)
            doctor, patient = await h.assigned_pair()
            await h.auth.WhoAmI(auth_pb2.WhoAmIRequest(), metadata=patient.metadata)
            with pytest.raises(grpc.aio.AioRpcError) as denied:
                await h.auth.WhoAmI(auth_pb2.WhoAmIRequest())
            assert denied.value.code() is grpc.StatusCode.UNAUTHENTICATED
            submitted = await h.care.SubmitNote(
                care_pb2.SubmitNoteRequest(patient_id=patient.id, note=NOTE, wait_for_steps=True),
                metadata=doctor.metadata,
                timeout=30,
            )
            assert submitted.extraction_status == care_pb2.EXTRACTION_STATUS_DONE
            text = await asyncio.to_thread(scrape, port)

    who = "/carenotes.v1.AuthService/WhoAmI"
    assert sample(text, "carenotes_rpc_requests_total", method=who, code="OK") >= 1
    assert sample(text, "carenotes_rpc_requests_total", method=who, code="UNAUTHENTICATED") >= 1
    submit = "/carenotes.v1.CareService/SubmitNote"
    assert sample(text, "carenotes_rpc_requests_total", method=submit, code="OK") >= 1
    assert sample(text, "carenotes_rpc_duration_seconds_count", method=submit) >= 1
    assert sample(text, "carenotes_rpc_duration_seconds_bucket", method=submit, le="+Inf") >= 1
    done = sample(text, "carenotes_extractions_total", outcome="done")
    try:
        done_before = sample(before, "carenotes_extractions_total", outcome="done")
    except AssertionError:
        done_before = 0.0
    assert done >= done_before + 1
    assert sample(text, "carenotes_extraction_duration_seconds_count", outcome="done") >= 1
    assert sample(text, "carenotes_open_streams") >= 0
    assert sample(text, "carenotes_dependency_up", dependency="database") == 1
    assert sample(text, "carenotes_dependency_up", dependency="broker") == 1
    # Reminder metrics are declared even before the first reminder fires.
    assert "# TYPE carenotes_reminders_fired_total counter" in text
    assert "# TYPE carenotes_reminder_lateness_seconds histogram" in text
    assert "# TYPE carenotes_reminders_missed_total counter" in text
    # No ids or request content in labels.
    assert patient.id not in text
    assert doctor.id not in text


async def test_dependency_health_services_in_embedded_mode(tmp_path: Path) -> None:
    with sqlite_database(tmp_path) as url:
        async with running_server(url, tmp_path) as h:
            assert h.components.metrics_port is None  # disabled unless configured
            health = health_pb2_grpc.HealthStub(h.channel)
            for service in ("", "carenotes.v1.CareService", BROKER_HEALTH, DATABASE_HEALTH):
                answer = await health.Check(health_pb2.HealthCheckRequest(service=service))
                assert answer.status == health_pb2.HealthCheckResponse.SERVING, service


def test_parse_listen() -> None:
    assert parse_listen("127.0.0.1:9464") == ("127.0.0.1", 9464)
    assert parse_listen("[::1]:9464") == ("::1", 9464)
    with pytest.raises(ValueError, match="HOST:PORT"):
        parse_listen("9464x")
