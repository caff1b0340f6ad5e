"""Domain read models -> protobuf messages (one direction only; requests are read inline)."""

from __future__ import annotations

from datetime import UTC, datetime

from google.protobuf.timestamp_pb2 import Timestamp

from carenotes.v1 import auth_pb2, care_pb2, steps_pb2
from carenotes_server.domain.reminder_state import ReminderState
from carenotes_server.domain.steps import ExtractedSteps, Schedule
from carenotes_server.services.accounts import TokenPair, UserView
from carenotes_server.services.caller import Role
from carenotes_server.services.care_team import DoctorView, PatientView
from carenotes_server.services.reminders import AdherenceView, ReminderView
from carenotes_server.services.views import ExtractionStatus, NoteView, StepsView

ROLE_TO_PROTO = {Role.PATIENT: auth_pb2.ROLE_PATIENT, Role.DOCTOR: auth_pb2.ROLE_DOCTOR}
ROLE_FROM_PROTO = {v: k.value for k, v in ROLE_TO_PROTO.items()}
EXTRACTION_TO_PROTO = {
    ExtractionStatus.PENDING: care_pb2.EXTRACTION_STATUS_PENDING,
    ExtractionStatus.DONE: care_pb2.EXTRACTION_STATUS_DONE,
    ExtractionStatus.FAILED: care_pb2.EXTRACTION_STATUS_FAILED,
}
REMINDER_STATUS_TO_PROTO = {
    ReminderState.SCHEDULED: steps_pb2.REMINDER_STATUS_SCHEDULED,
    ReminderState.SENT: steps_pb2.REMINDER_STATUS_SENT,
    ReminderState.TAKEN: steps_pb2.REMINDER_STATUS_TAKEN,
    ReminderState.SKIPPED: steps_pb2.REMINDER_STATUS_SKIPPED,
    ReminderState.MISSED: steps_pb2.REMINDER_STATUS_MISSED,
    ReminderState.CANCELLED: steps_pb2.REMINDER_STATUS_CANCELLED,
}
REMINDER_STATUS_FROM_PROTO = {v: k for k, v in REMINDER_STATUS_TO_PROTO.items()}


def ts(value: datetime | None) -> Timestamp | None:
    if value is None:
        return None
    out = Timestamp()
    out.FromDatetime(value.astimezone(UTC))
    return out


def from_ts(value: Timestamp) -> datetime:
    return value.ToDatetime(tzinfo=UTC)


def user(view: UserView) -> auth_pb2.User:
    return auth_pb2.User(
        id=str(view.id),
        name=view.name,
        email=view.email,
        role=ROLE_TO_PROTO[view.role],
        timezone=view.timezone,
        created_at=ts(view.created_at),
    )


def token_pair(pair: TokenPair) -> auth_pb2.LoginResponse:
    return auth_pb2.LoginResponse(
        access_token=pair.access.token,
        access_token_expires_at=ts(pair.access.claims.expires_at),
        refresh_token=pair.refresh.token,
        refresh_token_expires_at=ts(pair.refresh.claims.expires_at),
        user=user(pair.user),
    )


def doctor(view: DoctorView) -> care_pb2.Doctor:
    return care_pb2.Doctor(id=str(view.id), name=view.name)


def patient(view: PatientView) -> care_pb2.Patient:
    return care_pb2.Patient(
        id=str(view.id),
        name=view.name,
        email=view.email,
        timezone=view.timezone,
        assigned_at=ts(view.assigned_at),
    )


def note(view: NoteView) -> care_pb2.Note:
    return care_pb2.Note(
        id=str(view.id),
        patient_id=str(view.patient_id),
        doctor_id=str(view.doctor_id),
        text=view.text,
        created_at=ts(view.created_at),
        extraction_status=EXTRACTION_TO_PROTO[view.extraction_status],
        failure_reason=view.failure_reason,
        extractor=view.extractor,
    )


def schedule(s: Schedule) -> steps_pb2.Schedule:
    return steps_pb2.Schedule(
        times_per_day=s.times_per_day,
        every_hours=s.every_hours,
        every_days=s.every_days,
        duration_days=s.duration_days,
        occurrences=s.occurrences,
        start_in_days=s.start_in_days,
        as_needed=s.as_needed,
        times_of_day=list(s.times_of_day),
    )


def steps(view: StepsView) -> steps_pb2.ActionableSteps:
    return steps_pb2.ActionableSteps(
        checklist=[
            steps_pb2.ChecklistItem(
                id=str(c.id) if c.id else "",
                text=c.text,
                done=c.done,
                completed_at=ts(c.completed_at),
            )
            for c in view.checklist
        ],
        plan=[
            steps_pb2.PlanItem(
                id=str(p.id) if p.id else "", action=p.action, schedule=schedule(p.schedule)
            )
            for p in view.plan
        ],
        note_id=str(view.note_id) if view.note_id else "",
        extractor=view.extractor,
        created_at=ts(view.created_at),
    )


def extracted(value: ExtractedSteps, extractor: str) -> steps_pb2.ActionableSteps:
    """Offline extraction output (carenotes-server extract)."""
    return steps_pb2.ActionableSteps(
        checklist=[steps_pb2.ChecklistItem(text=c.text) for c in value.checklist],
        plan=[
            steps_pb2.PlanItem(action=p.action, schedule=schedule(p.schedule)) for p in value.plan
        ],
        extractor=extractor,
    )


def reminder(view: ReminderView) -> steps_pb2.Reminder:
    return steps_pb2.Reminder(
        id=str(view.id),
        plan_item_id=str(view.plan_item_id),
        text=view.text,
        due_at=ts(view.due_at),
        status=REMINDER_STATUS_TO_PROTO[view.status],
        note_id=str(view.note_id),
        patient_id=str(view.patient_id),
        makeup_of_id=str(view.makeup_of_id) if view.makeup_of_id else "",
        sent_at=ts(view.sent_at),
        acknowledged_at=ts(view.acknowledged_at),
        window_ends_at=ts(view.window_ends_at),
    )


def adherence(view: AdherenceView) -> steps_pb2.Adherence:
    return steps_pb2.Adherence(
        items=[
            steps_pb2.PlanItemAdherence(
                plan_item_id=str(i.plan_item_id),
                action=i.action,
                taken=i.taken,
                skipped=i.skipped,
                missed=i.missed,
                upcoming=i.upcoming,
                prescribed=i.prescribed,
            )
            for i in view.items
        ],
        note_id=str(view.note_id) if view.note_id else "",
    )
