"""Notes to steps through a real channel (embedded worker threads), SQLite and PostgreSQL:
encryption at rest, access rules and audit, supersession, idempotent extraction."""

from __future__ import annotations

import os
import uuid

import grpc
from sqlalchemy import MetaData, select, text

from carenotes.v1 import care_pb2, steps_pb2
from carenotes_server.db.models import AuditEvent, Reminder
from carenotes_server.domain.crypto import MasterKeyring
from carenotes_server.services.caller import Caller, Role
from carenotes_server.services.extraction_job import ExtractionJob, JobOutcome
from carenotes_server.services.keys import ClinicalCipher
from tests.harness import Harness
from tests.integration.rpc_errors import expect_code, field_violations

NOTE_V1 = (
    "Sinusitis. Amoxicillin 500 mg twice daily for 3 days. Buy a saline nasal spray today. "
    "Stop ibuprofen."
)
NOTE_V2 = "Doing better. Take cetirizine 10 mg every morning for 5 days. Follow up in 2 weeks."


async def submit(
    h: Harness, doctor_md: tuple[tuple[str, str]], patient_id: str, note: str
) -> care_pb2.SubmitNoteResponse:
    return await h.care.SubmitNote(
        care_pb2.SubmitNoteRequest(patient_id=patient_id, note=note, wait_for_steps=True),
        metadata=doctor_md,
        timeout=20,
    )


async def test_note_becomes_steps_and_a_second_note_replaces_them(harness: Harness) -> None:
    doctor, patient = await harness.assigned_pair(timezone="Europe/Paris")
    first = await submit(harness, doctor.metadata, patient.id, NOTE_V1)
    assert first.message == "Note submitted successfully; the plan in force is updated"
    assert first.extraction_status == care_pb2.EXTRACTION_STATUS_DONE
    plan = {p.action.lower(): p for p in first.actionable_steps.plan}
    amox = next(p for a, p in plan.items() if "amoxicillin" in a)
    assert (amox.schedule.times_per_day, amox.schedule.occurrences) == (2, 6)
    assert not any("ibuprofen" in a for a in plan)
    assert any("ibuprofen" in c.text.lower() for c in first.actionable_steps.checklist)

    mine = await harness.steps.GetActionableSteps(
        steps_pb2.GetActionableStepsRequest(), metadata=patient.metadata
    )
    assert mine.note_id == first.note_id
    assert mine.extractor == "rules"
    with harness.components.db.read() as session:
        reminders = session.scalars(
            select(Reminder).where(Reminder.patient_id == uuid.UUID(patient.id))
        ).all()
    assert len(reminders) == 6
    assert all(r.status == "SCHEDULED" for r in reminders)

    second = await submit(harness, doctor.metadata, patient.id, NOTE_V2)
    now_in_force = await harness.steps.GetActionableSteps(
        steps_pb2.GetActionableStepsRequest(patient_id=patient.id), metadata=doctor.metadata
    )
    assert now_in_force.note_id == second.note_id
    assert all("amoxicillin" not in p.action.lower() for p in now_in_force.plan)
    with harness.components.db.read() as session:
        statuses = {
            r.note_id: r.status
            for r in session.scalars(
                select(Reminder).where(Reminder.patient_id == uuid.UUID(patient.id))
            )
        }
    assert statuses[uuid.UUID(first.note_id)] == "CANCELLED"


async def test_only_the_current_doctor_may_write(harness: Harness) -> None:
    doctor, patient = await harness.assigned_pair()
    stranger = await harness.doctor()
    await expect_code(
        harness.care.SubmitNote(
            care_pb2.SubmitNoteRequest(patient_id=patient.id, note="x"), metadata=stranger.metadata
        ),
        grpc.StatusCode.PERMISSION_DENIED,
    )
    await expect_code(
        harness.care.SubmitNote(
            care_pb2.SubmitNoteRequest(patient_id=patient.id, note="x", doctor_id=stranger.id),
            metadata=doctor.metadata,
        ),
        grpc.StatusCode.PERMISSION_DENIED,
    )


async def test_empty_and_oversized_notes_are_invalid(harness: Harness) -> None:
    doctor, patient = await harness.assigned_pair()
    for note in ("   ", "x" * 20_001):
        err = await expect_code(
            harness.care.SubmitNote(
                care_pb2.SubmitNoteRequest(patient_id=patient.id, note=note),
                metadata=doctor.metadata,
            ),
            grpc.StatusCode.INVALID_ARGUMENT,
        )
        assert "note" in field_violations(err)


async def test_notes_are_readable_only_by_patient_and_author(harness: Harness) -> None:
    doctor, patient = await harness.assigned_pair()
    other_patient = await harness.patient()
    other_doctor = await harness.doctor()
    sent = await submit(harness, doctor.metadata, patient.id, NOTE_V1)
    note = await harness.care.GetNote(
        care_pb2.GetNoteRequest(note_id=sent.note_id), metadata=patient.metadata
    )
    assert note.text == NOTE_V1
    listed = await harness.care.ListNotes(care_pb2.ListNotesRequest(), metadata=patient.metadata)
    assert [n.id for n in listed.notes] == [sent.note_id]
    for stranger in (other_patient, other_doctor):
        await expect_code(
            harness.care.GetNote(
                care_pb2.GetNoteRequest(note_id=sent.note_id), metadata=stranger.metadata
            ),
            grpc.StatusCode.NOT_FOUND,
        )
        await expect_code(
            harness.steps.GetActionableSteps(
                steps_pb2.GetActionableStepsRequest(patient_id=patient.id),
                metadata=stranger.metadata,
            ),
            grpc.StatusCode.PERMISSION_DENIED,
        )
    await expect_code(
        harness.care.ListNotes(
            care_pb2.ListNotesRequest(patient_id=patient.id), metadata=other_patient.metadata
        ),
        grpc.StatusCode.PERMISSION_DENIED,
    )
    with harness.components.db.read() as session:
        denied = session.scalars(
            select(AuditEvent).where(
                AuditEvent.outcome == "denied", AuditEvent.patient_id == uuid.UUID(patient.id)
            )
        ).all()
    assert len(denied) >= 5


async def test_a_removed_doctor_loses_access_at_once(harness: Harness) -> None:
    doctor, patient = await harness.assigned_pair()
    sent = await submit(harness, doctor.metadata, patient.id, NOTE_V1)
    other = await harness.doctor()
    await harness.care.SelectDoctor(
        care_pb2.SelectDoctorRequest(doctor_id=other.id), metadata=patient.metadata
    )
    await harness.care.RemoveDoctor(
        care_pb2.RemoveDoctorRequest(doctor_id=doctor.id), metadata=patient.metadata
    )
    await expect_code(
        harness.care.GetNote(
            care_pb2.GetNoteRequest(note_id=sent.note_id), metadata=doctor.metadata
        ),
        grpc.StatusCode.NOT_FOUND,
    )
    await expect_code(
        harness.steps.GetActionableSteps(
            steps_pb2.GetActionableStepsRequest(patient_id=patient.id), metadata=doctor.metadata
        ),
        grpc.StatusCode.PERMISSION_DENIED,
    )
    await expect_code(
        harness.care.SubmitNote(
            care_pb2.SubmitNoteRequest(patient_id=patient.id, note=NOTE_V2),
            metadata=doctor.metadata,
        ),
        grpc.StatusCode.PERMISSION_DENIED,
    )
    # The plan the removed doctor wrote stays in force (a change of GP does not stop a
    # patient's medication), still labelled with its prescriber.
    in_force = await harness.steps.GetActionableSteps(
        steps_pb2.GetActionableStepsRequest(patient_id=patient.id), metadata=other.metadata
    )
    assert [p.doctor_id for p in in_force.plan] == [doctor.id]


async def test_no_clinical_word_is_stored_in_clear(harness: Harness) -> None:
    doctor, patient = await harness.assigned_pair()
    first = await submit(harness, doctor.metadata, patient.id, NOTE_V1)
    steps = first.actionable_steps
    words = {w.strip(".,").lower() for w in NOTE_V1.split() if len(w.strip(".,")) >= 6}
    words |= {w.lower() for item in steps.plan for w in item.action.split() if len(w) >= 6}
    words |= {w.lower() for item in steps.checklist for w in item.text.split() if len(w) >= 6}
    assert {"amoxicillin", "ibuprofen"} <= words
    engine = harness.components.db.read_engine
    metadata = MetaData()
    metadata.reflect(engine)
    dump: list[str] = []
    with engine.connect() as conn:
        for table in metadata.sorted_tables:
            for row in conn.execute(text(f'SELECT * FROM "{table.name}"')):
                for value in row:
                    if isinstance(value, bytes | memoryview):
                        dump.append(bytes(value).decode("latin-1").lower())
                    elif value is not None:
                        dump.append(str(value).lower())
    blob = "\n".join(dump)
    leaked = sorted(w for w in words if w in blob)
    assert leaked == []


async def test_ciphertext_moved_to_another_row_fails_to_decrypt(harness: Harness) -> None:
    doctor, patient = await harness.assigned_pair()
    a = await submit(harness, doctor.metadata, patient.id, NOTE_V1)
    b = await submit(harness, doctor.metadata, patient.id, NOTE_V2)
    with harness.components.db.write() as session:
        blob = session.execute(
            text("SELECT ciphertext FROM notes WHERE id = :i"), {"i": _db_id(harness, a.note_id)}
        ).scalar_one()
        session.execute(
            text("UPDATE notes SET ciphertext = :c WHERE id = :i"),
            {"c": blob, "i": _db_id(harness, b.note_id)},
        )
    await expect_code(
        harness.care.GetNote(care_pb2.GetNoteRequest(note_id=b.note_id), metadata=patient.metadata),
        grpc.StatusCode.UNAVAILABLE,
    )
    # The untouched note still reads.
    ok = await harness.care.GetNote(
        care_pb2.GetNoteRequest(note_id=a.note_id), metadata=patient.metadata
    )
    assert ok.text == NOTE_V1


def _db_id(harness: Harness, value: str) -> object:
    return value if not harness.components.db.is_sqlite else uuid.UUID(value).hex


async def test_extraction_is_idempotent_and_older_note_never_wins(harness: Harness) -> None:
    doctor, patient = await harness.assigned_pair()
    c = harness.components
    # Two notes stored without extraction (as if their messages were still queued).
    old_id = await c.db.run(c.notes._store, _caller(c, doctor.id), uuid.UUID(patient.id), NOTE_V1)
    new_id = await c.db.run(c.notes._store, _caller(c, doctor.id), uuid.UUID(patient.id), NOTE_V2)
    job = ExtractionJob(c.db, c.cipher, c.extractor, c.steps.applier)
    assert job.run(new_id, last_attempt=False) is JobOutcome.DONE
    assert job.run(new_id, last_attempt=False) is JobOutcome.ALREADY_SETTLED  # redelivered
    assert job.run(old_id, last_attempt=False) is JobOutcome.DONE  # finishes late
    steps = await harness.steps.GetActionableSteps(
        steps_pb2.GetActionableStepsRequest(), metadata=patient.metadata
    )
    assert steps.note_id == str(new_id)
    with c.db.read() as session:
        by_note = session.scalars(
            select(Reminder.note_id).where(Reminder.patient_id == uuid.UUID(patient.id))
        ).all()
    assert set(by_note) == {new_id}


async def test_wrong_master_key_fails_closed(harness: Harness) -> None:
    doctor, patient = await harness.assigned_pair()
    sent = await submit(harness, doctor.metadata, patient.id, NOTE_V1)
    wrong = ClinicalCipher(MasterKeyring({"test1": os.urandom(32)}, "test1"))
    harness.components.notes._cipher = wrong
    err = await expect_code(
        harness.care.GetNote(
            care_pb2.GetNoteRequest(note_id=sent.note_id), metadata=patient.metadata
        ),
        grpc.StatusCode.UNAVAILABLE,
    )
    assert "decrypt" in (err.details() or "")
    assert "Amoxicillin" not in (err.details() or "")


def _caller(c: object, user_id: str) -> Caller:
    return Caller(uuid.UUID(user_id), Role.DOCTOR, uuid.uuid4())
