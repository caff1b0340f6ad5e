"""Extraction warnings quote the note: only its author reads them. A patient's reads
never carry one (they get the steps, and their note's text, but no "Left out ..."),
nor do the steps in force any doctor of the team reads, and no log line holds one,
whichever extractor wrote it (the rules extractor, an LLM, the fallback)."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from google.protobuf.message import Message

from carenotes.v1 import care_pb2, steps_pb2
from carenotes_server.logging_setup import JsonFormatter
from carenotes_server.services.caller import Caller, Role
from carenotes_server.services.extraction_job import ExtractionJob, JobOutcome
from tests.extraction import SAMPLE_NOTE, valid_answer
from tests.fakes.fake_llm_server import Answer, FakeLlmServer, HttpError
from tests.harness import Harness, running_server

# The rules extractor leaves out "Amlodipine 5 mg" (a dose, no frequency).
NOTE = "Take amoxicillin 500 mg twice daily for 7 days. Amlodipine 5 mg. Buy a pill box."
LLM_WARNING = 'Left out "Ibuprofen 400 mg PRN pain": the most a day is not given'


def warnings_in(message: Message) -> list[str]:
    """Every `warnings` value anywhere in a message, however deeply nested, so that a
    field added later cannot carry them past this check."""
    found: list[str] = []
    for field, value in message.ListFields():
        if field.name == "warnings":
            found += list(value)
        elif field.message_type is not None:
            items = value if field.is_repeated else [value]
            for item in items:
                if isinstance(item, Message):
                    found += warnings_in(item)
    return found


async def test_a_patients_reads_never_carry_warnings(harness: Harness) -> None:
    h = harness
    doctor, patient = await h.assigned_pair()
    team_doctor = await h.doctor()
    await h.care.SelectDoctor(
        care_pb2.SelectDoctorRequest(doctor_id=team_doctor.id), metadata=patient.metadata
    )
    sent = await h.care.SubmitNote(
        care_pb2.SubmitNoteRequest(patient_id=patient.id, note=NOTE, wait_for_steps=True),
        metadata=doctor.metadata,
        timeout=20,
    )
    assert warnings_in(sent), "the author is told what was left out"
    author_note = await h.care.GetNote(
        care_pb2.GetNoteRequest(note_id=sent.note_id), metadata=doctor.metadata
    )
    assert warnings_in(author_note)

    own = patient.metadata
    reads: list[Message] = [
        await h.care.GetNote(care_pb2.GetNoteRequest(note_id=sent.note_id), metadata=own),
        await h.care.ListNotes(care_pb2.ListNotesRequest(), metadata=own),
        await h.steps.GetActionableSteps(steps_pb2.GetActionableStepsRequest(), metadata=own),
        await h.steps.GetAdherence(steps_pb2.GetAdherenceRequest(), metadata=own),
        await h.steps.ListReminders(steps_pb2.ListRemindersRequest(), metadata=own),
    ]
    # The steps in force are the patient's record: no doctor reads warnings there either.
    for reader in (doctor, team_doctor):
        reads.append(
            await h.steps.GetActionableSteps(
                steps_pb2.GetActionableStepsRequest(patient_id=patient.id),
                metadata=reader.metadata,
            )
        )
    assert "Amlodipine 5 mg" in reads[0].text  # type: ignore[attr-defined]
    for read in reads:
        assert warnings_in(read) == [], type(read).__name__
        assert "left out" not in str(read).lower(), type(read).__name__


@pytest.fixture
def fake_gemini() -> Iterator[FakeLlmServer]:
    with FakeLlmServer() as server:
        yield server


@pytest.fixture
async def gemini_harness(
    db_url: str, tmp_path: Path, fake_gemini: FakeLlmServer
) -> AsyncIterator[Harness]:
    env = {
        "CARENOTES_EXTRACTOR": "gemini",
        "GEMINI_API_KEY": "test-key",
        "CARENOTES_GEMINI_BASE_URL": fake_gemini.base_url,
        "CARENOTES_LLM_TIMEOUT_SECONDS": "2",
        "CARENOTES_LLM_ATTEMPTS": "1",
    }
    async with running_server(db_url, tmp_path, env=env) as h:
        yield h


async def test_warnings_never_reach_the_logs(
    gemini_harness: Harness, fake_gemini: FakeLlmServer, caplog: pytest.LogCaptureFixture
) -> None:
    h = gemini_harness
    c = h.components
    caplog.set_level(logging.DEBUG)
    doctor, patient = await h.assigned_pair()
    md = doctor.metadata

    # An LLM's own warning, through the job queue.
    answer = valid_answer()
    answer["warnings"] = [LLM_WARNING]
    fake_gemini.enqueue(Answer(json.dumps(answer)))
    sent = await h.care.SubmitNote(
        care_pb2.SubmitNoteRequest(patient_id=patient.id, note=SAMPLE_NOTE, wait_for_steps=True),
        metadata=md,
        timeout=20,
    )
    assert list(sent.actionable_steps.warnings) == [LLM_WARNING]

    # The fallback's, in a job's last attempt and in a preview.
    caller = Caller(uuid.UUID(doctor.id), Role.DOCTOR, uuid.uuid4())
    note_id = await c.db.run(c.notes._store, caller, uuid.UUID(patient.id), NOTE)
    fake_gemini.enqueue(HttpError(503), HttpError(503))
    job = ExtractionJob(c.db, c.cipher, c.extractor, c.steps.applier)
    assert job.run(note_id, last_attempt=True) is JobOutcome.DONE
    preview = await h.steps.PreviewActionableSteps(
        steps_pb2.PreviewActionableStepsRequest(note=NOTE, patient_id=patient.id), metadata=md
    )
    note = await h.care.GetNote(care_pb2.GetNoteRequest(note_id=str(note_id)), metadata=md)
    await h.care.ListNotes(care_pb2.ListNotesRequest(patient_id=patient.id), metadata=md)
    shown = [*sent.actionable_steps.warnings, *preview.warnings, *note.warnings]
    assert any("Amlodipine 5 mg" in w for w in preview.warnings)

    formatter = JsonFormatter()
    lines = [formatter.format(record) for record in caplog.records]
    # The capture is live: the fallback says it happened, with ids and names only.
    assert any("falling back" in line for line in lines)
    quoted = {"amlodipine", "ibuprofen 400 mg prn", "left out", "could not be reached"}
    for line in lines:
        assert not any(q in line.lower() for q in quoted), line
        assert not any(w.lower() in line.lower() for w in shown), line
