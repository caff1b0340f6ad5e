"""The whole care flow against real processes, through the generated stubs.

Production topology: `carenotes-server migrate`, then `serve`, `worker` and `scheduler`
as separate processes over PostgreSQL and Redis. Embedded: `serve` alone (SQLite,
in-process broker and scheduler). Reminder times are moved a few seconds ahead in the
database instead of waiting for 09:00 (see tests/e2e/reminder_tools.py).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, timedelta
from zoneinfo import ZoneInfo

import grpc
import pytest

from carenotes.v1 import auth_pb2, care_pb2, steps_pb2
from tests.e2e.processes import Api, Deployment, User, utcnow
from tests.e2e.reminder_tools import Rows, StreamRecorder, afternoon_timezone, lateness

NOTE = "Take amoxicillin 500 mg twice daily for 3 days. Buy a thermometer."
SECOND_NOTE = "Take cetirizine 10 mg every morning for 2 days."

pytestmark = pytest.mark.slow


def expect_code(
    code: grpc.StatusCode | set[grpc.StatusCode], call: Callable[..., object], *args: object
) -> None:
    wanted = code if isinstance(code, set) else {code}
    with pytest.raises(grpc.RpcError) as raised:
        call(*args)
    got = raised.value.code()
    assert got in wanted, f"expected {wanted}, got {got}: {raised.value}"


def ack(api: Api, patient: User, reminder_id: str, taken: bool = True) -> steps_pb2.Reminder:
    response: steps_pb2.Reminder = api.steps.AcknowledgeReminder(
        steps_pb2.AcknowledgeReminderRequest(
            reminder_id=reminder_id,
            acknowledgement=steps_pb2.ACKNOWLEDGEMENT_TAKEN
            if taken
            else steps_pb2.ACKNOWLEDGEMENT_SKIPPED,
        ),
        metadata=patient.metadata,
        timeout=10,
    )
    return response


@pytest.mark.parametrize("topology", ["production", "embedded"])
def test_care_flow_with_live_reminders(topology: str, request: pytest.FixtureRequest) -> None:
    deployment: Deployment = request.getfixturevalue(topology)
    api = deployment.api()
    rows = Rows(deployment.database_url)
    request.addfinalizer(rows.close)
    request.addfinalizer(api.close)
    zone = afternoon_timezone()
    tz = ZoneInfo(zone)

    # Sign-up, log-in, care team.
    doctor = api.sign_up_and_log_in(auth_pb2.ROLE_DOCTOR, "Dr Grace Hopper")
    patient = api.sign_up_and_log_in(auth_pb2.ROLE_PATIENT, "Sam Patient", timezone=zone)
    me = api.auth.WhoAmI(auth_pb2.WhoAmIRequest(), metadata=patient.metadata, timeout=10)
    assert (me.id, me.role, me.timezone) == (patient.id, auth_pb2.ROLE_PATIENT, zone)
    doctors = api.care.ListDoctors(
        care_pb2.ListDoctorsRequest(name_filter="hopper"), metadata=patient.metadata, timeout=10
    )
    assert [d.id for d in doctors.doctors] == [doctor.id]
    selected = api.care.SelectDoctor(
        care_pb2.SelectDoctorRequest(doctor_id=doctor.id), metadata=patient.metadata, timeout=10
    )
    assert selected.doctor.id == doctor.id
    mine = api.care.GetMyDoctor(care_pb2.GetMyDoctorRequest(), metadata=patient.metadata)
    assert mine.id == doctor.id
    patients = api.care.ListPatients(care_pb2.ListPatientsRequest(), metadata=doctor.metadata)
    assert [(p.id, p.name) for p in patients.patients] == [(patient.id, "Sam Patient")]

    # The note becomes a checklist, a plan and six reminder rows.
    submitted = api.submit(doctor, patient, NOTE)
    assert submitted.message == "Note submitted successfully; the plan in force is updated"
    checklist = [c.text for c in submitted.actionable_steps.checklist]
    assert any("thermometer" in text.lower() for text in checklist), checklist
    (plan_item,) = submitted.actionable_steps.plan
    assert "amoxicillin" in plan_item.action.lower()
    assert (plan_item.schedule.times_per_day, plan_item.schedule.occurrences) == (2, 6)
    original = rows.reminders(patient.id)
    assert len(original) == 6
    assert {r.status for r in original} == {"SCHEDULED"}
    assert [r.due_at.astimezone(tz).hour for r in original] == [21, 9, 21, 9, 21, 9]
    assert original[0].due_at.astimezone(tz).date() == utcnow().astimezone(tz).date()

    for reader, patient_id in ((patient, ""), (doctor, patient.id)):
        steps = api.steps.GetActionableSteps(
            steps_pb2.GetActionableStepsRequest(patient_id=patient_id),
            metadata=reader.metadata,
            timeout=10,
        )
        assert [c.text for c in steps.checklist] == checklist
        assert [p.action for p in steps.plan] == [plan_item.action]
        assert steps.note_id == submitted.note_id

    # The patient is connected; the six doses come due one second apart.
    recorder = StreamRecorder.of_call(
        api.steps.StreamReminders(steps_pb2.StreamRemindersRequest(), metadata=patient.metadata)
    )
    request.addfinalizer(recorder.stop)
    ids = [r.id for r in original]
    dues = rows.move_many(ids, utcnow() + timedelta(seconds=1), timedelta(seconds=1))
    due_by_id = {str(i): d for i, d in zip(ids, dues, strict=True)}
    got = recorder.wait_count(6, timeout=15)
    late = lateness(got, due_by_id)
    print(f"{topology}: lateness of the six reminders (s):", [f"{s:.3f}" for s in late])
    assert [m.reminder.id for m in got] == [str(i) for i in ids], "in order"
    for message in got:
        assert message.reminder.status == steps_pb2.REMINDER_STATUS_SENT
        assert "amoxicillin" in message.reminder.text.lower()
        assert message.reminder.note_id == submitted.note_id
        due = message.reminder.due_at.ToDatetime(tzinfo=UTC)
        assert abs((due - due_by_id[message.reminder.id]).total_seconds()) < 0.001
    assert all(-0.1 <= s <= 1.0 for s in late), f"each on time (within 1 s): {late}"

    # Acknowledging.
    taken = ack(api, patient, got[0].reminder.id, taken=True)
    assert taken.status == steps_pb2.REMINDER_STATUS_TAKEN
    skipped = ack(api, patient, got[1].reminder.id, taken=False)
    assert skipped.status == steps_pb2.REMINDER_STATUS_SKIPPED
    expect_code(grpc.StatusCode.FAILED_PRECONDITION, ack, api, patient, got[0].reminder.id, False)

    # A missed dose: the third (originally 21:00 tomorrow, local) happened two days
    # earlier and its window closed a second ago. The scheduler's sweep marks it
    # MISSED and makes it up after the course's last dose, in its pattern.
    missed = original[2]
    missed_due = (missed.due_at.astimezone(tz) - timedelta(days=2)).astimezone(UTC)
    rows.move(missed.id, due_at=missed_due, window_ends_at=utcnow() - timedelta(seconds=1))
    after_sweep = rows.wait_for(
        lambda rs: any(r.makeup_of_id == missed.id for r in rs), patient.id, timeout=10
    )
    assert next(r for r in after_sweep if r.id == missed.id).status == "MISSED"
    makeup = next(r for r in after_sweep if r.makeup_of_id == missed.id)
    assert makeup.status == "SCHEDULED"
    # After every other dose of the item (the test moved the delivered ones to now), on
    # the course's own 09:00/21:00 grid: never on top of another dose.
    others = [r.due_at for r in after_sweep if r.id != makeup.id]
    assert makeup.due_at > max(others)
    assert makeup.due_at.astimezone(tz).hour in (9, 21)
    adherence = api.steps.GetAdherence(steps_pb2.GetAdherenceRequest(), metadata=patient.metadata)
    (item,) = adherence.items
    assert (item.taken, item.skipped, item.missed, item.made_up, item.upcoming) == (1, 1, 1, 1, 4)
    by_doctor = api.steps.GetAdherence(
        steps_pb2.GetAdherenceRequest(patient_id=patient.id), metadata=doctor.metadata
    )
    assert by_doctor.items[0].missed == 1

    # A second note replaces the plan: what was not delivered yet is cancelled, make-up
    # included; what was already sent stays answerable until its window ends.
    second = api.submit(doctor, patient, SECOND_NOTE)
    after = {r.id: r for r in rows.reminders(patient.id)}
    assert [after[i].status for i in ids] == ["TAKEN", "SKIPPED", "MISSED", "SENT", "SENT", "SENT"]
    assert after[makeup.id].status == "CANCELLED"
    new = [r for r in after.values() if r.note_id == uuid.UUID(second.note_id)]
    assert [(r.status, r.due_at.astimezone(tz).hour) for r in new] == [("SCHEDULED", 8)] * 2
    steps = api.steps.GetActionableSteps(
        steps_pb2.GetActionableStepsRequest(), metadata=patient.metadata, timeout=10
    )
    assert ["cetirizine" in p.action.lower() for p in steps.plan] == [True]
    assert steps.note_id == second.note_id
    answered = ack(api, patient, got[4].reminder.id)
    assert answered.status == steps_pb2.REMINDER_STATUS_TAKEN
    assert len(recorder.messages()) == 6, "nothing more was streamed"

    # Strangers are refused.
    other_doctor = api.sign_up_and_log_in(auth_pb2.ROLE_DOCTOR, "Dr Other Stranger")
    other_patient = api.sign_up_and_log_in(auth_pb2.ROLE_PATIENT, "Pat Stranger")
    refused = {grpc.StatusCode.PERMISSION_DENIED, grpc.StatusCode.NOT_FOUND}
    expect_code(
        refused,
        lambda: api.steps.GetActionableSteps(
            steps_pb2.GetActionableStepsRequest(patient_id=patient.id),
            metadata=other_doctor.metadata,
        ),
    )
    expect_code(
        refused,
        lambda: api.care.SubmitNote(
            care_pb2.SubmitNoteRequest(patient_id=patient.id, note=NOTE),
            metadata=other_doctor.metadata,
        ),
    )
    expect_code(
        refused,
        lambda: api.care.GetNote(
            care_pb2.GetNoteRequest(note_id=submitted.note_id), metadata=other_patient.metadata
        ),
    )
    expect_code(
        refused,
        lambda: api.steps.GetAdherence(
            steps_pb2.GetAdherenceRequest(patient_id=patient.id), metadata=other_doctor.metadata
        ),
    )
    expect_code(grpc.StatusCode.NOT_FOUND, ack, api, other_patient, got[3].reminder.id)
    expect_code(
        grpc.StatusCode.PERMISSION_DENIED,
        lambda: api.care.SubmitNote(
            care_pb2.SubmitNoteRequest(patient_id=patient.id, note=NOTE),
            metadata=patient.metadata,
        ),
    )
    expect_code(
        grpc.StatusCode.UNAUTHENTICATED,
        lambda: api.steps.GetActionableSteps(steps_pb2.GetActionableStepsRequest()),
    )
    notes = api.care.ListNotes(
        care_pb2.ListNotesRequest(patient_id=patient.id), metadata=doctor.metadata
    )
    assert {n.id for n in notes.notes} == {submitted.note_id, second.note_id}
