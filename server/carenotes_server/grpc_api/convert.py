"""Domain read models -> protobuf messages (one direction only; requests are read inline)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from google.protobuf.timestamp_pb2 import Timestamp

from carenotes.v1 import auth_pb2, care_pb2, steps_pb2
from carenotes_server.domain.plan_change import ChangeKind, StopReason
from carenotes_server.domain.reminder_state import ReminderState
from carenotes_server.domain.steps import WEEKDAYS, ExtractedSteps, Schedule
from carenotes_server.services.accounts import TokenPair
from carenotes_server.services.caller import Role
from carenotes_server.services.care_team import DoctorView, PatientView, TeamMember
from carenotes_server.services.reminders.views import AdherenceView, ReminderView
from carenotes_server.services.user_view import UserView
from carenotes_server.services.views import (
    ChecklistItemView,
    ExtractionStatus,
    NoteView,
    PlanChangeView,
    PlanItemView,
    StepsView,
)

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
        device_token=pair.device_token,
    )


def doctor(view: DoctorView) -> care_pb2.Doctor:
    return care_pb2.Doctor(
        id=str(view.id),
        name=view.name,
        email_domain=view.email_domain,
        registration=view.registration,
    )


def team_member(member: TeamMember) -> care_pb2.CareTeamMember:
    return care_pb2.CareTeamMember(
        doctor=doctor(member.doctor),
        started_at=ts(member.started_at),
        ended_at=ts(member.ended_at),
    )


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
        warnings=list(view.warnings),
    )


DAY_TO_PROTO = {
    code: steps_pb2.DayOfWeek.Value(f"DAY_OF_WEEK_{name}")
    for code, name in zip(
        WEEKDAYS,
        ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY"),
        strict=True,
    )
}
CHANGE_KIND_TO_PROTO = {
    ChangeKind.STARTED: steps_pb2.PLAN_CHANGE_KIND_STARTED,
    ChangeKind.STOPPED: steps_pb2.PLAN_CHANGE_KIND_STOPPED,
    ChangeKind.CHANGED: steps_pb2.PLAN_CHANGE_KIND_CHANGED,
    ChangeKind.KEPT: steps_pb2.PLAN_CHANGE_KIND_KEPT,
}
STOP_REASON_TO_PROTO = {
    StopReason.EXPLICIT: steps_pb2.STOP_REASON_EXPLICIT,
    StopReason.REPLACED: steps_pb2.STOP_REASON_REPLACED,
}


def _id(value: uuid.UUID | None) -> str:
    return str(value) if value else ""


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
        days_of_week=[DAY_TO_PROTO[d] for d in s.days_of_week],
    )


def checklist_item(c: ChecklistItemView) -> steps_pb2.ChecklistItem:
    return steps_pb2.ChecklistItem(
        id=_id(c.id),
        text=c.text,
        done=c.done,
        completed_at=ts(c.completed_at),
        note_id=_id(c.note_id),
        doctor_id=_id(c.doctor_id),
        doctor_name=c.doctor_name,
    )


def plan_item(p: PlanItemView) -> steps_pb2.PlanItem:
    return steps_pb2.PlanItem(
        id=_id(p.id),
        action=p.action,
        schedule=schedule(p.schedule),
        note_id=_id(p.note_id),
        doctor_id=_id(p.doctor_id),
        started_at=ts(p.started_at),
        course_ends_at=ts(p.course_ends_at),
        doses_made_up=p.doses_made_up,
        continues=p.continues,
        doctor_name=p.doctor_name,
    )


def plan_change(view: PlanChangeView) -> steps_pb2.PlanChange:
    return steps_pb2.PlanChange(
        changes_plan=view.changes_plan,
        items=[
            steps_pb2.PlanItemChange(
                kind=CHANGE_KIND_TO_PROTO[c.kind],
                in_force=plan_item(c.current) if c.current is not None else None,
                from_note=plan_item(c.new) if c.new is not None else None,
                stop_reason=STOP_REASON_TO_PROTO[c.stop_reason]
                if c.stop_reason
                else steps_pb2.STOP_REASON_UNSPECIFIED,
                reminders_cancelled=c.reminders_cancelled,
                reminders_created=c.reminders_created,
                duplicates=[plan_item(d) for d in c.duplicates],
            )
            for c in view.items
        ],
        checklist_added=view.checklist_added,
        superseded=view.superseded,
    )


def steps(view: StepsView) -> steps_pb2.ActionableSteps:
    return steps_pb2.ActionableSteps(
        checklist=[checklist_item(c) for c in view.checklist],
        plan=[plan_item(p) for p in view.plan],
        note_id=_id(view.note_id),
        extractor=view.extractor,
        created_at=ts(view.created_at),
        plan_change=plan_change(view.plan_change) if view.plan_change is not None else None,
        warnings=list(view.warnings),
    )


def extracted(value: ExtractedSteps, extractor: str) -> steps_pb2.ActionableSteps:
    """Offline extraction output (carenotes-server extract)."""
    return steps_pb2.ActionableSteps(
        checklist=[steps_pb2.ChecklistItem(text=c.text) for c in value.checklist],
        plan=[
            steps_pb2.PlanItem(
                action=p.action, schedule=schedule(p.schedule), continues=p.continues
            )
            for p in value.plan
        ],
        extractor=value.produced_by or extractor,
        warnings=list(value.warnings),
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
        doctor_id=_id(view.doctor_id),
        doctor_name=view.doctor_name,
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
                made_up=i.made_up,
                course_ends_at=ts(i.course_ends_at),
                doctor_id=_id(i.doctor_id),
                doctor_name=i.doctor_name,
            )
            for i in view.items
        ],
        note_id=str(view.note_id) if view.note_id else "",
    )
