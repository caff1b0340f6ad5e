"""The Gemini extractor inside the running service (real google-genai SDK, local fake
Gemini over HTTP): steps come into force only when extraction succeeds; an invalid or
injected answer schedules nothing, marks the note FAILED and leaves the old plan alone;
transient provider errors are retried by the job queue, and on the last attempt (or in
a preview, which has no later attempt) an unreachable provider is replaced by the rules
extractor, which the steps record and the doctor is told in a first warning."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from carenotes.v1 import care_pb2, steps_pb2
from carenotes_server.db.models import Reminder, StepSet
from carenotes_server.services.caller import Caller, Role
from carenotes_server.services.extraction_job import ExtractionJob, JobOutcome
from tests.extraction import SAMPLE_NOTE, injected_answer_json, valid_answer_json
from tests.fakes.fake_llm_server import Answer, FakeLlmServer, HttpError
from tests.harness import Account, Harness, running_server

FALLBACK_WARNING = (
    "The gemini extractor could not be reached; the offline rules extractor read this note."
)
# The rules extractor leaves out "Amlodipine 5 mg" (a dose, no frequency).
LEFT_OUT_NOTE = "Take amoxicillin 500 mg twice daily for 7 days. Amlodipine 5 mg."


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


async def _submit(h: Harness, doctor: Account, patient: Account) -> care_pb2.SubmitNoteResponse:
    return await h.care.SubmitNote(
        care_pb2.SubmitNoteRequest(patient_id=patient.id, note=SAMPLE_NOTE, wait_for_steps=True),
        metadata=doctor.metadata,
        timeout=30,
    )


def _counts(h: Harness, patient: Account) -> tuple[int, int]:
    pid = uuid.UUID(patient.id)
    with h.components.db.read() as session:
        sets = session.scalar(select(func.count()).where(StepSet.patient_id == pid))
        scheduled = session.scalar(
            select(func.count()).where(Reminder.patient_id == pid, Reminder.status == "SCHEDULED")
        )
    return int(sets or 0), int(scheduled or 0)


async def test_valid_answer_comes_into_force(
    gemini_harness: Harness, fake_gemini: FakeLlmServer
) -> None:
    h = gemini_harness
    doctor, patient = await h.assigned_pair()
    fake_gemini.enqueue(Answer(valid_answer_json()))
    sent = await _submit(h, doctor, patient)
    assert sent.extraction_status == care_pb2.EXTRACTION_STATUS_DONE
    assert sent.actionable_steps.extractor == "gemini"
    assert sent.actionable_steps.plan[0].action == "Take amoxicillin 500 mg"
    assert _counts(h, patient) == (1, 20)
    # The model never saw the injected sentence.
    assert "oxycodone" not in fake_gemini.requests[0].prompt_text.lower()


@pytest.mark.parametrize(
    "bad_answer",
    ["{not json", '{"checklist": [], "plan": [], "extra": 1}', "injected"],
)
async def test_invalid_answer_schedules_nothing_and_keeps_the_old_plan(
    gemini_harness: Harness, fake_gemini: FakeLlmServer, bad_answer: str
) -> None:
    h = gemini_harness
    doctor, patient = await h.assigned_pair()
    fake_gemini.enqueue(Answer(valid_answer_json()))
    first = await _submit(h, doctor, patient)
    assert _counts(h, patient) == (1, 20)
    fake_gemini.enqueue(Answer(injected_answer_json() if bad_answer == "injected" else bad_answer))
    second = await _submit(h, doctor, patient)
    assert second.extraction_status == care_pb2.EXTRACTION_STATUS_FAILED
    assert second.failure_reason
    assert "oxycodone" not in second.failure_reason.lower()
    assert _counts(h, patient) == (1, 20)  # old steps and reminders untouched
    steps = await h.steps.GetActionableSteps(
        steps_pb2.GetActionableStepsRequest(), metadata=patient.metadata
    )
    assert steps.note_id == first.note_id
    note = await h.care.GetNote(
        care_pb2.GetNoteRequest(note_id=second.note_id), metadata=doctor.metadata
    )
    assert note.extraction_status == care_pb2.EXTRACTION_STATUS_FAILED


async def test_transient_errors_are_retried_by_the_queue(
    gemini_harness: Harness, fake_gemini: FakeLlmServer
) -> None:
    h = gemini_harness
    doctor, patient = await h.assigned_pair()
    fake_gemini.enqueue(HttpError(503), HttpError(429), Answer(valid_answer_json()))
    sent = await h.care.SubmitNote(
        care_pb2.SubmitNoteRequest(patient_id=patient.id, note=SAMPLE_NOTE),
        metadata=doctor.metadata,
    )
    assert sent.extraction_status == care_pb2.EXTRACTION_STATUS_PENDING
    async with asyncio.timeout(30):
        while True:
            note = await h.care.GetNote(
                care_pb2.GetNoteRequest(note_id=sent.note_id), metadata=doctor.metadata
            )
            if note.extraction_status != care_pb2.EXTRACTION_STATUS_PENDING:
                break
            await asyncio.sleep(0.1)
    assert note.extraction_status == care_pb2.EXTRACTION_STATUS_DONE
    assert len(fake_gemini.requests) == 3
    assert _counts(h, patient) == (1, 20)


async def test_an_unreachable_provider_falls_back_to_the_rules_extractor_on_the_last_attempt(
    gemini_harness: Harness, fake_gemini: FakeLlmServer
) -> None:
    h = gemini_harness
    c = h.components
    doctor, patient = await h.assigned_pair()
    caller = Caller(uuid.UUID(doctor.id), Role.DOCTOR, uuid.uuid4())
    note_id = await c.db.run(c.notes._store, caller, uuid.UUID(patient.id), SAMPLE_NOTE)
    job = ExtractionJob(c.db, c.cipher, c.extractor, c.steps.applier)
    fake_gemini.enqueue(HttpError(503), HttpError(503))
    assert job.run(note_id, last_attempt=False) is JobOutcome.RETRY
    assert _counts(h, patient) == (0, 0)
    assert job.run(note_id, last_attempt=True) is JobOutcome.DONE
    assert len(fake_gemini.requests) == 2
    steps = await h.steps.GetActionableSteps(
        steps_pb2.GetActionableStepsRequest(), metadata=patient.metadata
    )
    assert steps.extractor == "rules"
    assert any("amoxicillin" in p.action.lower() for p in steps.plan)
    assert not any("oxycodone" in p.action.lower() for p in steps.plan)
    note = await h.care.GetNote(
        care_pb2.GetNoteRequest(note_id=str(note_id)), metadata=doctor.metadata
    )
    assert note.extraction_status == care_pb2.EXTRACTION_STATUS_DONE
    # The doctor is told which extractor read the note, and why.
    assert note.extractor == "rules"
    assert note.warnings[0] == FALLBACK_WARNING
    assert _counts(h, patient) == (1, 20)


async def test_a_fallen_back_note_keeps_the_rules_extractors_own_warnings(
    gemini_harness: Harness, fake_gemini: FakeLlmServer
) -> None:
    h = gemini_harness
    c = h.components
    doctor, patient = await h.assigned_pair()
    caller = Caller(uuid.UUID(doctor.id), Role.DOCTOR, uuid.uuid4())
    note_id = await c.db.run(c.notes._store, caller, uuid.UUID(patient.id), LEFT_OUT_NOTE)
    job = ExtractionJob(c.db, c.cipher, c.extractor, c.steps.applier)
    fake_gemini.enqueue(HttpError(503))
    assert job.run(note_id, last_attempt=True) is JobOutcome.DONE
    note = await h.care.GetNote(
        care_pb2.GetNoteRequest(note_id=str(note_id)), metadata=doctor.metadata
    )
    assert note.extractor == "rules"
    assert note.warnings[0] == FALLBACK_WARNING
    assert len(note.warnings) == 2
    assert "Amlodipine 5 mg" in note.warnings[1]
    view = await c.steps.reader.note_steps(note_id)
    assert view is not None
    assert view.extractor == "rules"
    assert view.warnings == tuple(note.warnings)


async def test_a_preview_falls_back_to_the_rules_extractor_when_the_provider_is_unreachable(
    gemini_harness: Harness, fake_gemini: FakeLlmServer
) -> None:
    h = gemini_harness
    doctor, patient = await h.assigned_pair()
    fake_gemini.enqueue(HttpError(503))
    preview = await h.steps.PreviewActionableSteps(
        steps_pb2.PreviewActionableStepsRequest(note=LEFT_OUT_NOTE, patient_id=patient.id),
        metadata=doctor.metadata,
        timeout=20,
    )
    assert len(fake_gemini.requests) == 1
    assert preview.extractor == "rules"
    assert [p.action for p in preview.plan] == ["Take amoxicillin 500 mg"]
    assert preview.warnings[0] == FALLBACK_WARNING
    assert "Amlodipine 5 mg" in preview.warnings[1]
    assert preview.HasField("plan_change")


async def test_a_preview_the_provider_answers_is_marked_with_the_provider(
    gemini_harness: Harness, fake_gemini: FakeLlmServer
) -> None:
    h = gemini_harness
    doctor, _ = await h.assigned_pair()
    fake_gemini.enqueue(Answer(valid_answer_json()))
    preview = await h.steps.PreviewActionableSteps(
        steps_pb2.PreviewActionableStepsRequest(note=SAMPLE_NOTE),
        metadata=doctor.metadata,
        timeout=20,
    )
    assert preview.extractor == "gemini"
    assert list(preview.warnings) == []
