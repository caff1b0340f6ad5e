"""What patients and their doctors do with reminders: acknowledge a dose, read the
history and adherence, export the calendar."""

from __future__ import annotations

import builtins
import uuid
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from carenotes_server.clock import Clock
from carenotes_server.db.database import Database
from carenotes_server.db.models import PlanItem, Reminder
from carenotes_server.domain import validation
from carenotes_server.domain.calendar import CalendarEntry, build_ics
from carenotes_server.domain.errors import (
    FailedPrecondition,
    FieldViolation,
    InvalidArgument,
    NotFound,
)
from carenotes_server.domain.pagination import decode_page_token, encode_page_token
from carenotes_server.domain.reminder_state import PENDING_STATES, ReminderState, sources
from carenotes_server.services import access, audit
from carenotes_server.services.caller import Caller
from carenotes_server.services.keys import ClinicalCipher
from carenotes_server.services.reminders.views import (
    ActionTexts,
    AdherenceView,
    ItemAdherence,
    ItemLabel,
    ReminderView,
    rowcount,
    view_of,
)
from carenotes_server.services.steps.queries import head_note_id

CALENDAR_LIMIT = 2000
"""Most events one calendar export holds (a long bounded course is still far below)."""

CALENDAR_NAME = "Carenotes reminders"

_SCHEDULED = ReminderState.SCHEDULED.value


def _refusal(reminder: Reminder, now: datetime) -> str | None:
    """Why the patient may not acknowledge this reminder now, or None if they may."""
    status = ReminderState(reminder.status)
    if status is ReminderState.CANCELLED:
        return "this reminder was cancelled: its plan item was stopped"
    if status in (ReminderState.TAKEN, ReminderState.SKIPPED):
        return "this reminder was already acknowledged"
    if status is ReminderState.MISSED or reminder.window_ends_at <= now:
        return "the window of this reminder has closed; the dose counts as missed"
    if status is ReminderState.SCHEDULED and reminder.due_at > now:
        return "this reminder is not due yet"
    return None


class ReminderHistory:
    def __init__(self, db: Database, cipher: ClinicalCipher, clock: Clock) -> None:
        self._db = db
        self._clock = clock
        self._texts = ActionTexts(cipher)

    async def acknowledge(self, caller: Caller, reminder_id: str, taken: bool) -> ReminderView:
        """Records TAKEN or SKIPPED for one of the caller's due, still-open reminders.

        NotFound (audited) for a reminder that is not the caller's; FailedPrecondition
        when it is not due yet, its window has closed, it was already acknowledged, or
        it was cancelled.
        """
        reminder_uuid = validation.required_uuid(reminder_id, "reminder_id")
        return await self._db.run(self._acknowledge, caller, reminder_uuid, taken)

    def _acknowledge(self, caller: Caller, reminder_id: uuid.UUID, taken: bool) -> ReminderView:
        now = self._clock.now()
        status = ReminderState.TAKEN if taken else ReminderState.SKIPPED
        with self._db.write() as session:
            reminder = session.get(Reminder, reminder_id)
            if reminder is not None and reminder.patient_id == caller.user_id:
                refusal = _refusal(reminder, now)
                if refusal is not None:
                    raise FailedPrecondition(refusal)
                changed = session.execute(
                    update(Reminder)
                    .where(
                        Reminder.id == reminder.id,
                        Reminder.status.in_(sources(status)),
                        Reminder.window_ends_at > now,
                    )
                    .values(status=status.value, acknowledged_at=now)
                    .execution_options(synchronize_session=False)
                )
                if rowcount(changed) != 1:
                    # Cancelled, missed or acknowledged concurrently: say which.
                    session.refresh(reminder)
                    raise FailedPrecondition(
                        _refusal(reminder, now) or "this reminder changed meanwhile; try again"
                    )
                audit.record(
                    session,
                    at=now,
                    caller=caller,
                    action="reminder.ack",
                    resource_type="reminder",
                    resource_id=reminder.id,
                    patient_id=reminder.patient_id,
                )
                texts = self._texts.by_id(session, {reminder.plan_item_id})
                view = view_of(reminder, texts[reminder.plan_item_id])
                return replace(view, status=status, acknowledged_at=now)
            owner = reminder.patient_id if reminder is not None else None
        access.deny(
            self._db,
            self._clock,
            caller,
            action="reminder.ack",
            resource_type="reminder",
            resource_id=reminder_id,
            patient_id=owner,
            reason="not_owner",
        )
        raise NotFound("no such reminder")

    async def adherence(self, caller: Caller, patient_id: str) -> AdherenceView:
        """Dose counts per scheduled plan item in force.

        For the patient (patient_id may be empty) or a doctor on their care team; anyone else
        gets PermissionDenied (audited).
        """
        patient = _patient_of(caller, patient_id)
        return await self._db.run(self._adherence, caller, patient)

    def _adherence(self, caller: Caller, patient_id: uuid.UUID) -> AdherenceView:
        now = self._clock.now()
        with self._db.write() as session:
            if access.may_read_patient(session, caller, patient_id):
                note_id = head_note_id(session, patient_id)
                audit.record(
                    session,
                    at=now,
                    caller=caller,
                    action="reminders.read",
                    resource_type="adherence",
                    resource_id=note_id,
                    patient_id=patient_id,
                )
                return AdherenceView(self._item_counts(session, patient_id), note_id)
        _deny_read(self._db, self._clock, caller, patient_id)
        raise access.denied()

    def _item_counts(self, session: Session, patient_id: uuid.UUID) -> list[ItemAdherence]:
        items = session.scalars(
            select(PlanItem)
            .where(
                PlanItem.patient_id == patient_id,
                PlanItem.active.is_(True),
                PlanItem.as_needed.is_(False),
            )
            .order_by(PlanItem.anchor_at, PlanItem.position)
        ).all()
        counts: dict[tuple[uuid.UUID, str], int] = {
            (row[0], row[1]): row[2]
            for row in session.execute(
                select(Reminder.plan_item_id, Reminder.status, func.count())
                .where(Reminder.plan_item_id.in_([item.id for item in items]))
                .group_by(Reminder.plan_item_id, Reminder.status)
            )
        }
        labels = self._texts.by_id(session, {item.id for item in items})

        def count(item: PlanItem, *states: ReminderState) -> int:
            return sum(counts.get((item.id, state.value), 0) for state in states)

        return [
            ItemAdherence(
                plan_item_id=item.id,
                action=labels[item.id].text,
                taken=count(item, ReminderState.TAKEN),
                skipped=count(item, ReminderState.SKIPPED),
                missed=count(item, ReminderState.MISSED),
                upcoming=count(item, *PENDING_STATES),
                prescribed=item.occurrences,
                made_up=item.doses_made_up,
                course_ends_at=item.course_ends_at,
                doctor_id=labels[item.id].doctor_id,
                doctor_name=labels[item.id].doctor_name,
            )
            for item in items
        ]

    async def calendar(self, caller: Caller) -> str:
        """The caller's upcoming SCHEDULED reminders as an iCalendar document."""
        return await self._db.run(self._calendar, caller)

    def _calendar(self, caller: Caller) -> str:
        now = self._clock.now()
        with self._db.write() as session:
            reminders = session.scalars(
                select(Reminder)
                .where(
                    Reminder.patient_id == caller.user_id,
                    Reminder.status == _SCHEDULED,
                    Reminder.window_ends_at > now,
                )
                .order_by(Reminder.due_at, Reminder.id)
                .limit(CALENDAR_LIMIT)
            ).all()
            texts = self._texts.by_id(session, {r.plan_item_id for r in reminders})
            audit.record(
                session,
                at=now,
                caller=caller,
                action="reminders.read",
                resource_type="calendar",
                resource_id=None,
                patient_id=caller.user_id,
            )
        entries = [
            CalendarEntry(
                uid=f"{r.id}@carenotes",
                summary=texts[r.plan_item_id].text,
                due_at=r.due_at,
                description=_event_description(r.makeup_of_id is not None, texts[r.plan_item_id]),
            )
            for r in reminders
        ]
        return build_ics(entries, calendar_name=CALENDAR_NAME, now=now)

    async def list(
        self,
        caller: Caller,
        *,
        patient_id: str,
        start: datetime | None,
        end: datetime | None,
        statuses: Sequence[ReminderState],
        page_size: int,
        page_token: str,
    ) -> tuple[builtins.list[ReminderView], str]:
        """A page of the patient's reminders due in [start, end), ordered by (due_at, id).

        For the patient (patient_id may be empty) or a doctor on their care team. statuses
        filters (empty: all). Returns the page and the next page token ("" at the end).
        """
        patient = _patient_of(caller, patient_id)
        size = validation.page_size(page_size)
        after = _decode_position(page_token)
        for name, value in (("from", start), ("to", end)):
            if value is not None and value.tzinfo is None:
                raise InvalidArgument(FieldViolation(name, "must be timezone-aware"))
        if start is not None and end is not None and end <= start:
            raise InvalidArgument(FieldViolation("to", "must be after from"))
        return await self._db.run(
            self._list, caller, patient, start, end, tuple(statuses), size, after
        )

    def _list(
        self,
        caller: Caller,
        patient_id: uuid.UUID,
        start: datetime | None,
        end: datetime | None,
        statuses: tuple[ReminderState, ...],
        size: int,
        after: tuple[datetime, uuid.UUID] | None,
    ) -> tuple[builtins.list[ReminderView], str]:
        stmt = select(Reminder).where(Reminder.patient_id == patient_id)
        if start is not None:
            stmt = stmt.where(Reminder.due_at >= start)
        if end is not None:
            stmt = stmt.where(Reminder.due_at < end)
        if statuses:
            stmt = stmt.where(Reminder.status.in_([s.value for s in statuses]))
        if after is not None:
            after_due, after_id = after
            stmt = stmt.where(
                or_(
                    Reminder.due_at > after_due,
                    and_(Reminder.due_at == after_due, Reminder.id > after_id),
                )
            )
        stmt = stmt.order_by(Reminder.due_at, Reminder.id).limit(size + 1)
        now = self._clock.now()
        with self._db.write() as session:
            if access.may_read_patient(session, caller, patient_id):
                rows = session.scalars(stmt).all()
                page = rows[:size]
                texts = self._texts.by_id(session, {r.plan_item_id for r in page})
                audit.record(
                    session,
                    at=now,
                    caller=caller,
                    action="reminders.read",
                    resource_type="reminders",
                    resource_id=None,
                    patient_id=patient_id,
                )
                views = [view_of(r, texts[r.plan_item_id]) for r in page]
                token = ""
                if len(rows) > size:
                    token = encode_page_token(views[-1].due_at.isoformat(), str(views[-1].id))
                return views, token
        _deny_read(self._db, self._clock, caller, patient_id)
        raise access.denied()


def _event_description(makeup: bool, label: ItemLabel) -> str:
    parts = [f"Prescribed by {label.doctor_name}"] if label.doctor_name else []
    if makeup:
        parts.append("Make-up of a missed dose, at the end of the course")
    return ". ".join(parts)


def _patient_of(caller: Caller, patient_id: str) -> uuid.UUID:
    parsed = validation.parse_uuid(patient_id, "patient_id", required=caller.is_doctor)
    patient = access.resolve_patient(caller, parsed)
    assert patient is not None  # required for doctors, defaulted for patients
    return patient


def _deny_read(db: Database, clock: Clock, caller: Caller, patient_id: uuid.UUID) -> None:
    access.deny(
        db,
        clock,
        caller,
        action="reminders.read",
        resource_type="patient",
        resource_id=patient_id,
        patient_id=patient_id,
        reason="not_allowed",
    )


def _decode_position(page_token: str) -> tuple[datetime, uuid.UUID] | None:
    """The (due_at, id) keyset position of a page token, or None for the first page."""
    position = decode_page_token(page_token, 2)
    if position is None:
        return None
    bad = InvalidArgument(
        FieldViolation("page_token", "is not a page token from a previous response")
    )
    try:
        due_at = datetime.fromisoformat(str(position[0]))
        reminder_id = uuid.UUID(str(position[1]))
    except ValueError:
        raise bad from None
    if due_at.tzinfo is None:
        raise bad
    return due_at, reminder_id
