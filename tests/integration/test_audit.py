"""The audit trail: append-only in both databases, PHI-free, printed by the CLI."""

from __future__ import annotations

import asyncio
import json
import uuid
from pathlib import Path

import grpc
import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from carenotes.v1 import care_pb2, steps_pb2
from carenotes_server import cli
from carenotes_server.db.models import AuditEvent, StepSet
from tests.harness import Harness, running_server
from tests.security.world import deliver_next_reminder

NOTE = "Start lisinopril 10 mg daily. Buy a home blood pressure cuff."


async def test_audit_is_append_only_phi_free_and_printed(
    db_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    async with running_server(db_url, tmp_path) as h:
        doctor, patient = await h.assigned_pair()
        stranger = await h.doctor()
        sent = await h.care.SubmitNote(
            care_pb2.SubmitNoteRequest(patient_id=patient.id, note=NOTE, wait_for_steps=True),
            metadata=doctor.metadata,
            timeout=20,
        )
        await h.care.GetNote(
            care_pb2.GetNoteRequest(note_id=sent.note_id), metadata=patient.metadata
        )
        with pytest.raises(grpc.aio.AioRpcError):
            await h.care.GetNote(
                care_pb2.GetNoteRequest(note_id=sent.note_id), metadata=stranger.metadata
            )
        await h.steps.GetActionableSteps(
            steps_pb2.GetActionableStepsRequest(), metadata=patient.metadata
        )
        await h.steps.GetActionableSteps(
            steps_pb2.GetActionableStepsRequest(patient_id=patient.id), metadata=doctor.metadata
        )
        with h.components.db.read() as s:
            step_set_id = s.scalars(
                select(StepSet.id).where(StepSet.patient_id == uuid.UUID(patient.id))
            ).one()
        for statement in (
            "UPDATE audit_events SET outcome = 'allowed'",
            "DELETE FROM audit_events",
        ):
            with pytest.raises(DBAPIError, match="append-only"), h.components.db.write() as s:
                s.execute(text(statement))
        env = h.settings
    monkeypatch.setenv("CARENOTES_DATABASE_URL", env.database_url)
    monkeypatch.setenv("CARENOTES_DATA_DIR", str(tmp_path))
    assert cli.main(["audit", "--patient", patient.id, "--json"]) == 0
    events = json.loads(capsys.readouterr().out)
    actions = [(e["action"], e["outcome"]) for e in events]
    assert ("note.write", "allowed") in actions
    assert ("steps.write", "allowed") in actions
    assert ("note.read", "allowed") in actions
    assert ("note.read", "denied") in actions
    assert all(e["patient_id"] == patient.id for e in events)
    reads = [e for e in events if e["action"] == "steps.read"]
    assert [(e["actor_id"], e["resource_id"], e["outcome"]) for e in reads] == [
        (patient.id, str(step_set_id), "allowed"),
        (doctor.id, str(step_set_id), "allowed"),
    ]
    dumped = json.dumps(events).lower()
    assert "lisinopril" not in dumped
    assert "cuff" not in dumped
    assert cli.main(["audit", "--patient", patient.id]) == 0
    assert "note.read" in capsys.readouterr().out


async def _audit_rows(h: Harness, action: str) -> list[AuditEvent]:
    with h.components.db.read() as session:
        return list(
            session.scalars(
                select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
            )
        )


async def test_stream_deliveries_replays_and_refusals_are_audited(
    db_url: str, tmp_path: Path
) -> None:
    async with running_server(db_url, tmp_path) as h:
        doctor, patient = await h.assigned_pair()
        stranger = await h.patient()
        await h.care.SubmitNote(
            care_pb2.SubmitNoteRequest(patient_id=patient.id, note=NOTE, wait_for_steps=True),
            metadata=doctor.metadata,
            timeout=20,
        )
        first = await deliver_next_reminder(h, patient.id)
        # Opened after the first was sent: it is replayed; the second arrives live.
        stream = h.steps.StreamReminders(
            steps_pb2.StreamRemindersRequest(), metadata=patient.metadata
        )
        replayed = await asyncio.wait_for(stream.read(), 10)
        second = await deliver_next_reminder(h, patient.id)
        live = await asyncio.wait_for(stream.read(), 10)
        stream.cancel()
        assert isinstance(replayed, steps_pb2.Reminder)
        assert isinstance(live, steps_pb2.Reminder)
        assert [replayed.id, live.id] == [first, second]
        delivered = await _audit_rows(h, "reminder.delivered")
        assert [(e.resource_id, e.reason, e.actor_id) for e in delivered] == [
            (first, "replay", uuid.UUID(patient.id)),
            (second, "live", uuid.UUID(patient.id)),
        ]
        opened = await _audit_rows(h, "reminders.stream")
        assert [(e.outcome, e.actor_id) for e in opened] == [("allowed", uuid.UUID(patient.id))]

        # Another patient resuming after this patient's reminder: refused and audited.
        foreign = h.steps.StreamReminders(
            steps_pb2.StreamRemindersRequest(after_id=first), metadata=stranger.metadata
        )
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await asyncio.wait_for(foreign.read(), 10)
        assert refused.value.code() == grpc.StatusCode.NOT_FOUND
        opened = await _audit_rows(h, "reminders.stream")
        assert [(e.outcome, e.reason, e.actor_id) for e in opened][-1] == (
            "denied",
            "foreign_cursor",
            uuid.UUID(stranger.id),
        )

        # A doctor writing a note in another doctor's name: refused and audited.
        other = await h.doctor()
        with pytest.raises(grpc.aio.AioRpcError):
            await h.care.SubmitNote(
                care_pb2.SubmitNoteRequest(patient_id=patient.id, note=NOTE, doctor_id=other.id),
                metadata=doctor.metadata,
            )
        writes = await _audit_rows(h, "note.write")
        assert (writes[-1].outcome, writes[-1].reason, writes[-1].actor_id) == (
            "denied",
            "doctor_id_mismatch",
            uuid.UUID(doctor.id),
        )
