"""What the extractor leaves out, through a real channel on SQLite and PostgreSQL: a
sentence it cannot read safely is reported as a warning in SubmitNote's answer, in
GetNote and ListNotes for the author, and in a preview, while the rest of the note is
extracted; the warnings are stored sealed, never in clear."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from carenotes.v1 import care_pb2, steps_pb2
from carenotes_server.db.models import Note
from tests.harness import Harness

# "Amlodipine 5 mg" gives a dose but no frequency: left out, the rest is read.
NOTE = (
    "Take amoxicillin 500 mg twice daily for 7 days. Amlodipine 5 mg. Book a blood test next week."
)
LEFT_OUT = "Amlodipine 5 mg"


def _only_left_out(warnings: Sequence[str]) -> None:
    assert len(warnings) == 1
    assert LEFT_OUT in warnings[0]
    assert warnings[0].startswith("Left out")


async def test_a_left_out_sentence_is_a_warning_and_the_rest_is_extracted(
    harness: Harness,
) -> None:
    doctor, patient = await harness.assigned_pair()
    sent = await harness.care.SubmitNote(
        care_pb2.SubmitNoteRequest(patient_id=patient.id, note=NOTE, wait_for_steps=True),
        metadata=doctor.metadata,
        timeout=20,
    )
    assert sent.extraction_status == care_pb2.EXTRACTION_STATUS_DONE
    found = sent.actionable_steps
    assert [p.action for p in found.plan] == ["Take amoxicillin 500 mg"]
    assert any("blood test" in c.text.lower() for c in found.checklist)
    assert not any("amlodipine" in p.action.lower() for p in found.plan)
    assert found.extractor == "rules"
    _only_left_out(found.warnings)

    note = await harness.care.GetNote(
        care_pb2.GetNoteRequest(note_id=sent.note_id), metadata=doctor.metadata
    )
    assert note.extractor == "rules"
    _only_left_out(note.warnings)
    listed = await harness.care.ListNotes(
        care_pb2.ListNotesRequest(patient_id=patient.id), metadata=doctor.metadata
    )
    _only_left_out(listed.notes[0].warnings)

    with harness.components.db.read() as session:
        row = session.get(Note, uuid.UUID(sent.note_id))
        assert row is not None
        assert row.warnings is not None
        assert b"amlodipine" not in row.warnings.lower()


async def test_a_preview_reports_what_it_would_leave_out(harness: Harness) -> None:
    doctor, patient = await harness.assigned_pair()
    for patient_id in ("", patient.id):
        preview = await harness.steps.PreviewActionableSteps(
            steps_pb2.PreviewActionableStepsRequest(note=NOTE, patient_id=patient_id),
            metadata=doctor.metadata,
            timeout=20,
        )
        assert [p.action for p in preview.plan] == ["Take amoxicillin 500 mg"]
        assert preview.extractor == "rules"
        _only_left_out(preview.warnings)


async def test_a_note_read_whole_has_no_warnings(harness: Harness) -> None:
    doctor, patient = await harness.assigned_pair()
    sent = await harness.care.SubmitNote(
        care_pb2.SubmitNoteRequest(
            patient_id=patient.id,
            note="Take amoxicillin 500 mg twice daily for 7 days.",
            wait_for_steps=True,
        ),
        metadata=doctor.metadata,
        timeout=20,
    )
    assert sent.extraction_status == care_pb2.EXTRACTION_STATUS_DONE
    assert list(sent.actionable_steps.warnings) == []
    note = await harness.care.GetNote(
        care_pb2.GetNoteRequest(note_id=sent.note_id), metadata=doctor.metadata
    )
    assert list(note.warnings) == []
    with harness.components.db.read() as session:
        row = session.get(Note, uuid.UUID(sent.note_id))
        assert row is not None
        assert row.warnings is None
