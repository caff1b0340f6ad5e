"""A patient with a GP and a specialist, through a real channel on SQLite and PostgreSQL:
each doctor's note replaces only the plan that doctor wrote, an explicit stop from any
team doctor ends the item whoever wrote it, the patient sees every plan labelled with its
doctor, and a doctor prescribing what another already has is told."""

from __future__ import annotations

from carenotes.v1 import care_pb2, steps_pb2
from tests.harness import Account, Harness

K = steps_pb2


async def submit(
    h: Harness, doctor: Account, patient: Account, note: str
) -> care_pb2.SubmitNoteResponse:
    answer = await h.care.SubmitNote(
        care_pb2.SubmitNoteRequest(patient_id=patient.id, note=note, wait_for_steps=True),
        metadata=doctor.metadata,
        timeout=20,
    )
    assert answer.extraction_status == care_pb2.EXTRACTION_STATUS_DONE, answer
    return answer


async def team(h: Harness) -> tuple[Account, Account, Account]:
    gp = await h.doctor(name="Dr Gail Practitioner")
    cardio = await h.doctor(name="Dr Carl Heart")
    patient = await h.patient(timezone="Europe/Paris")
    for doctor in (gp, cardio):
        await h.care.SelectDoctor(
            care_pb2.SelectDoctorRequest(doctor_id=doctor.id), metadata=patient.metadata
        )
    return gp, cardio, patient


async def plan_of(h: Harness, reader: Account, patient: Account) -> dict[str, str]:
    """Action -> prescribing doctor's name, as the reader sees the plan in force."""
    steps = await h.steps.GetActionableSteps(
        steps_pb2.GetActionableStepsRequest(patient_id=patient.id), metadata=reader.metadata
    )
    return {p.action: p.doctor_name for p in steps.plan}


async def test_each_doctor_replaces_only_their_own_plan(harness: Harness) -> None:
    gp, cardio, patient = await team(harness)
    await submit(harness, gp, patient, "Amoxicillin 500 mg twice daily for 7 days.")
    await submit(harness, cardio, patient, "Metformin 500 mg twice daily.")
    both = {
        "Take amoxicillin 500 mg": "Dr Gail Practitioner",
        "Take metformin 500 mg": "Dr Carl Heart",
    }
    for reader in (patient, gp, cardio):  # every team doctor sees every plan in force
        assert await plan_of(harness, reader, patient) == both

    # The cardiologist's new plan replaces the cardiologist's plan, not the GP's.
    changed = await submit(harness, cardio, patient, "Lisinopril 10 mg once daily.")
    kinds = {
        (c.in_force.action or c.from_note.action): c.kind
        for c in changed.actionable_steps.plan_change.items
    }
    assert kinds == {
        "Take metformin 500 mg": K.PLAN_CHANGE_KIND_STOPPED,
        "Take lisinopril 10 mg": K.PLAN_CHANGE_KIND_STARTED,
    }
    assert await plan_of(harness, patient, patient) == {
        "Take amoxicillin 500 mg": "Dr Gail Practitioner",
        "Take lisinopril 10 mg": "Dr Carl Heart",
    }

    # An explicit stop from any team doctor ends the item, whoever prescribed it.
    stopped = await submit(harness, cardio, patient, "Stop amoxicillin.")
    (line,) = [
        c
        for c in stopped.actionable_steps.plan_change.items
        if c.kind == K.PLAN_CHANGE_KIND_STOPPED
    ]
    assert (line.in_force.action, line.in_force.doctor_id, line.stop_reason) == (
        "Take amoxicillin 500 mg",
        gp.id,
        K.STOP_REASON_EXPLICIT,
    )
    assert line.reminders_cancelled == 14
    assert await plan_of(harness, patient, patient) == {"Take lisinopril 10 mg": "Dr Carl Heart"}


async def test_prescribing_what_another_doctor_has_in_force_is_flagged(harness: Harness) -> None:
    gp, cardio, patient = await team(harness)
    await submit(harness, gp, patient, "Aspirin 75 mg once daily.")
    preview = await harness.steps.PreviewActionableSteps(
        steps_pb2.PreviewActionableStepsRequest(
            note="Aspirin 75 mg once daily.", patient_id=patient.id
        ),
        metadata=cardio.metadata,
    )
    (line,) = preview.plan_change.items
    assert line.kind == K.PLAN_CHANGE_KIND_STARTED
    assert [(d.action, d.doctor_name) for d in line.duplicates] == [
        ("Take aspirin 75 mg", "Dr Gail Practitioner")
    ]
    written = await submit(harness, cardio, patient, "Aspirin 75 mg once daily.")
    (line,) = written.actionable_steps.plan_change.items
    assert [d.doctor_id for d in line.duplicates] == [gp.id]


async def test_reminders_and_adherence_are_labelled_with_their_doctor(harness: Harness) -> None:
    gp, cardio, patient = await team(harness)
    await submit(harness, gp, patient, "Amoxicillin 500 mg twice daily for 3 days.")
    await submit(harness, cardio, patient, "Metformin 500 mg twice daily.")
    listed = await harness.steps.ListReminders(
        steps_pb2.ListRemindersRequest(page_size=500), metadata=patient.metadata
    )
    by_doctor = {(r.text, r.doctor_name) for r in listed.reminders}
    assert by_doctor == {
        ("Take amoxicillin 500 mg", "Dr Gail Practitioner"),
        ("Take metformin 500 mg", "Dr Carl Heart"),
    }
    adherence = await harness.steps.GetAdherence(
        steps_pb2.GetAdherenceRequest(patient_id=patient.id), metadata=cardio.metadata
    )
    assert {(i.action, i.doctor_id) for i in adherence.items} == {
        ("Take amoxicillin 500 mg", gp.id),
        ("Take metformin 500 mg", cardio.id),
    }
    ics = await harness.steps.ExportCalendar(
        steps_pb2.ExportCalendarRequest(), metadata=patient.metadata
    )
    assert "Prescribed by Dr Carl Heart" in ics.ics


async def test_a_doctor_sees_only_the_notes_they_wrote(harness: Harness) -> None:
    gp, cardio, patient = await team(harness)
    mine = await submit(harness, gp, patient, "Amoxicillin 500 mg twice daily for 3 days.")
    await submit(harness, cardio, patient, "Metformin 500 mg twice daily.")
    listed = await harness.care.ListNotes(
        care_pb2.ListNotesRequest(patient_id=patient.id), metadata=gp.metadata
    )
    assert [n.id for n in listed.notes] == [mine.note_id]
    patients_view = await harness.care.ListNotes(
        care_pb2.ListNotesRequest(), metadata=patient.metadata
    )
    assert len(patients_view.notes) == 2
