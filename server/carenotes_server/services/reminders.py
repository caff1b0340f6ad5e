"""Reminders over the database: planned from a plan, fired, missed, made up, acknowledged.

The database is the source of truth for every reminder; messages (fire_reminder) only
say "look at this row now". Every state change is a conditional UPDATE on `status`, so
a duplicated, late or lost message can neither deliver twice nor resurrect a cancelled
or acknowledged reminder.

Locking (PostgreSQL; SQLite serialises write transactions instead): steps coming into
force lock the patient's `users` row first, then plan items, then reminders. Everything
here either takes locks in that same order (fire) or never waits for a lock at all
(claim, sweep and top-up use SKIP LOCKED, including a KEY SHARE lock on the patient row
that their INSERTs' foreign-key checks would otherwise wait for). So no deadlock cycle
can form with StepsService.apply_extraction.
"""

from __future__ import annotations

import builtins
import functools
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import CursorResult, and_, func, insert, or_, select, update
from sqlalchemy.orm import Session

from carenotes_server.clock import Clock
from carenotes_server.db.database import Database
from carenotes_server.db.models import PlanItem, Reminder, StepSet, User
from carenotes_server.domain import validation
from carenotes_server.domain.calendar import CalendarEntry, build_ics
from carenotes_server.domain.errors import (
    FailedPrecondition,
    FieldViolation,
    InvalidArgument,
    NotFound,
)
from carenotes_server.domain.missed_dose import MissedDosePolicy, makeup_due
from carenotes_server.domain.pagination import decode_page_token, encode_page_token
from carenotes_server.domain.reminder_state import PENDING_STATES, ReminderState
from carenotes_server.domain.schedule import Slot, expand, following_slot, window_end
from carenotes_server.domain.steps import Schedule
from carenotes_server.services import access, audit
from carenotes_server.services.caller import Caller
from carenotes_server.services.keys import ClinicalCipher
from carenotes_server.services.steps import PLAN_KIND, in_force_set, schedule_of

FIRE_EARLY_TOLERANCE = timedelta(seconds=1)
"""A message may arrive this early and still deliver (broker delays are not that exact)."""

DEFAULT_STALE_CLAIM_AFTER = timedelta(seconds=15)
"""A claim is presumed lost (Redis flushed, worker killed) once both the claim and the
due time are this old and the reminder is still SCHEDULED."""

CALENDAR_LIMIT = 2000
"""Most events one calendar export holds (a long bounded course is still far below)."""

CALENDAR_NAME = "Carenotes reminders"

_SCHEDULED = ReminderState.SCHEDULED.value
_PENDING = tuple(sorted(state.value for state in PENDING_STATES))


@dataclass(frozen=True)
class ReminderView:
    id: uuid.UUID
    plan_item_id: uuid.UUID
    patient_id: uuid.UUID
    note_id: uuid.UUID
    text: str
    due_at: datetime
    status: ReminderState
    makeup_of_id: uuid.UUID | None
    sent_at: datetime | None
    acknowledged_at: datetime | None
    window_ends_at: datetime
    delivery_seq: int | None


@dataclass(frozen=True)
class Fired:
    """A reminder that was just delivered: push it to the patient's live feed."""

    reminder_id: uuid.UUID
    patient_id: uuid.UUID
    delivery_seq: int
    # For the metrics only; two deliveries of the same reminder are the same Fired.
    lateness_seconds: float = field(default=0.0, compare=False)
    is_makeup: bool = field(default=False, compare=False)


@dataclass(frozen=True)
class ItemAdherence:
    plan_item_id: uuid.UUID
    action: str
    taken: int
    skipped: int
    missed: int
    upcoming: int
    prescribed: int  # occurrences of the course; 0 for an ongoing plan


@dataclass(frozen=True)
class AdherenceView:
    items: list[ItemAdherence]
    note_id: uuid.UUID | None


@functools.lru_cache(maxsize=512)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def _view_of(reminder: Reminder, text: str) -> ReminderView:
    return ReminderView(
        id=reminder.id,
        plan_item_id=reminder.plan_item_id,
        patient_id=reminder.patient_id,
        note_id=reminder.note_id,
        text=text,
        due_at=reminder.due_at,
        status=ReminderState(reminder.status),
        makeup_of_id=reminder.makeup_of_id,
        sent_at=reminder.sent_at,
        acknowledged_at=reminder.acknowledged_at,
        window_ends_at=reminder.window_ends_at,
        delivery_seq=reminder.delivery_seq,
    )


def _refusal(reminder: Reminder, now: datetime) -> str | None:
    """Why the patient may not acknowledge this reminder now, or None if they may."""
    status = ReminderState(reminder.status)
    if status is ReminderState.CANCELLED:
        return "this reminder was cancelled by newer steps"
    if status in (ReminderState.TAKEN, ReminderState.SKIPPED):
        return "this reminder was already acknowledged"
    if status is ReminderState.MISSED or reminder.window_ends_at <= now:
        return "the window of this reminder has closed; the dose counts as missed"
    if status is ReminderState.SCHEDULED and reminder.due_at > now:
        return "this reminder is not due yet"
    return None


def _rowcount(result: Any) -> int:
    return cast("CursorResult[Any]", result).rowcount


class RemindersService:
    """Reminder use cases; also the steps service's ReminderPlanner."""

    def __init__(
        self,
        db: Database,
        cipher: ClinicalCipher,
        clock: Clock,
        *,
        policy: MissedDosePolicy,
        ongoing_window: timedelta = timedelta(days=14),
        stale_claim_after: timedelta = DEFAULT_STALE_CLAIM_AFTER,
    ) -> None:
        if ongoing_window <= timedelta(0):
            raise ValueError("ongoing_window must be positive")
        self._db = db
        self._cipher = cipher
        self._clock = clock
        self._policy = policy
        self._ongoing_window = ongoing_window
        self._stale_claim_after = stale_claim_after

    # --- planner: inside the transaction that puts new steps in force ----------------

    def cancel_pending(self, session: Session, patient_id: uuid.UUID, now: datetime) -> int:
        """Cancels every SCHEDULED or SENT reminder of the patient; returns how many."""
        result = session.execute(
            update(Reminder)
            .where(Reminder.patient_id == patient_id, Reminder.status.in_(_PENDING))
            .values(status=ReminderState.CANCELLED.value)
            .execution_options(synchronize_session=False)
        )
        return _rowcount(result)

    def plan(self, session: Session, patient: User, items: list[PlanItem], now: datetime) -> int:
        """Writes the reminders of newly in-force plan items; returns how many.

        Bounded courses get every dose at once; ongoing plans get the doses due before
        now + ongoing_window and are continued later by top_up. As-needed items get none.
        """
        tz = _zone(patient.timezone)
        note_ids = self._note_ids(session, {item.step_set_id for item in items})
        rows: list[dict[str, Any]] = []
        for item in items:
            if item.as_needed:
                continue
            schedule = schedule_of(item)
            horizon = None if schedule.occurrences else now + self._ongoing_window
            slots = expand(schedule, tz=tz, anchor=item.anchor_at, horizon_end=horizon)
            rows.extend(self._slot_rows(item, note_ids[item.step_set_id], schedule, tz, slots, now))
            if horizon is not None:
                item.expanded_until = horizon
        if rows:
            session.execute(insert(Reminder), rows)
        return len(rows)

    # --- scheduler side: each call is its own transaction ---------------------------

    def claim_due(
        self, now: datetime, horizon: timedelta, limit: int = 500
    ) -> builtins.list[tuple[uuid.UUID, datetime]]:
        """Claims SCHEDULED reminders due before now + horizon for enqueueing.

        Returns (reminder id, due_at) pairs, earliest first; the caller enqueues
        fire_reminder for each (with a delay until due_at). A row is claimable when no
        one has claimed it, or when its claim is stale: both claim and due time are older
        than stale_claim_after and it is still SCHEDULED, i.e. the message was lost.
        Concurrent schedulers never claim the same row (SKIP LOCKED on PostgreSQL; on
        SQLite write transactions are serialised).
        """
        stale_before = now - self._stale_claim_after
        claimable = (
            select(Reminder.id)
            .where(
                Reminder.status == _SCHEDULED,
                Reminder.due_at < now + horizon,
                or_(
                    Reminder.enqueued_at.is_(None),
                    and_(Reminder.enqueued_at <= stale_before, Reminder.due_at <= stale_before),
                ),
            )
            .order_by(Reminder.due_at)
            .limit(limit)
            .with_for_update(key_share=True, skip_locked=True)
        )
        with self._db.write() as session:
            claimed = session.execute(
                update(Reminder)
                .where(Reminder.id.in_(claimable.scalar_subquery()))
                .values(enqueued_at=now)
                .returning(Reminder.id, Reminder.due_at)
                .execution_options(synchronize_session=False)
            ).all()
        return sorted(((row[0], row[1]) for row in claimed), key=lambda pair: pair[1])

    def release_claims(self) -> int:
        """Forgets the claims of every SCHEDULED reminder; returns how many.

        For the embedded server at start-up: its in-memory broker starts empty, so the
        messages a previous run enqueued are gone and their reminders must be claimed
        again now, not only once the claims go stale (stale_claim_after late).
        """
        with self._db.write() as session:
            result = session.execute(
                update(Reminder)
                .where(Reminder.status == _SCHEDULED, Reminder.enqueued_at.is_not(None))
                .values(enqueued_at=None)
                .execution_options(synchronize_session=False)
            )
        return _rowcount(result)

    def fire(self, reminder_id: uuid.UUID) -> Fired | datetime | None:
        """Delivers one reminder if it is still SCHEDULED and due.

        Returns Fired when this call delivered it; its due_at when it is more than
        FIRE_EARLY_TOLERANCE ahead (the caller re-enqueues with a delay); None when there
        is nothing to deliver: unknown, already delivered or answered, cancelled, or
        past its window (then it is marked MISSED here, with its make-up per policy).
        """
        now = self._clock.now()
        with self._db.write() as session:
            found = session.execute(
                select(Reminder, PlanItem)
                .join(PlanItem, PlanItem.id == Reminder.plan_item_id)
                .where(Reminder.id == reminder_id)
            ).first()
            if found is None:
                return None
            reminder, item = found
            if reminder.status != _SCHEDULED:
                return None
            if reminder.due_at > now + FIRE_EARLY_TOLERANCE:
                return reminder.due_at
            # The patient row first, as when steps come into force (no deadlock), and
            # held to commit so delivery numbers commit in order.
            session.execute(
                select(User.id)
                .where(User.id == reminder.patient_id)
                .with_for_update(key_share=True)
            )
            if not item.active:
                # Written by a top-up or sweep that raced newer steps: never delivered.
                self._cancel_rows(session, [reminder.id])
                return None
            if reminder.window_ends_at <= now:
                self._close_missed(session, [(reminder, item)], now)
                return None
            sent = session.execute(
                update(Reminder)
                .where(Reminder.id == reminder.id, Reminder.status == _SCHEDULED)
                .values(status=ReminderState.SENT.value, sent_at=now)
                .execution_options(synchronize_session=False)
            )
            if _rowcount(sent) != 1:  # a duplicate message won the row meanwhile
                return None
            # Only after the conditional update succeeded: delivery numbers are gapless.
            delivery_seq = session.execute(
                update(User)
                .where(User.id == reminder.patient_id)
                .values(reminder_seq=User.reminder_seq + 1)
                .returning(User.reminder_seq)
                .execution_options(synchronize_session=False)
            ).scalar_one()
            session.execute(
                update(Reminder)
                .where(Reminder.id == reminder.id)
                .values(delivery_seq=delivery_seq)
                .execution_options(synchronize_session=False)
            )
            return Fired(
                reminder.id,
                reminder.patient_id,
                delivery_seq,
                lateness_seconds=max(0.0, (now - reminder.due_at).total_seconds()),
                is_makeup=reminder.makeup_of_id is not None,
            )

    def sweep_missed(self, now: datetime, limit: int = 1000) -> int:
        """Marks SCHEDULED/SENT reminders whose window has ended MISSED; returns how many.

        A missed dose of a bounded course gets a make-up the next local day at the same
        local time, up to policy.makeup_cap in a row. Ongoing plans get no make-up, and
        skipped doses never reach this (they are not pending).
        """
        overdue = (Reminder.status.in_(_PENDING), Reminder.window_ends_at <= now)
        with self._db.write() as session:
            candidates = session.scalars(
                select(Reminder.patient_id)
                .where(*overdue)
                .order_by(Reminder.window_ends_at)
                .limit(limit)
            ).all()
            patients = self._share_lock_patients(session, set(candidates))
            if not patients:
                return 0
            found = session.execute(
                select(Reminder, PlanItem)
                .join(PlanItem, PlanItem.id == Reminder.plan_item_id)
                .where(*overdue, Reminder.patient_id.in_(patients))
                .order_by(Reminder.window_ends_at, Reminder.id)
                .limit(limit)
                .with_for_update(of=[Reminder, PlanItem], key_share=True, skip_locked=True)
            ).all()
            return self._close_missed(session, [(reminder, item) for reminder, item in found], now)

    def top_up(self, now: datetime, limit: int = 500) -> int:
        """Extends ongoing plans to now + ongoing_window; returns the reminders written.

        Continues each series from its last reminder exactly as one long expansion
        would have: consecutive sequences, no dose doubled or skipped.
        """
        horizon = now + self._ongoing_window
        needs_top_up = (
            PlanItem.active.is_(True),
            PlanItem.occurrences == 0,
            PlanItem.as_needed.is_(False),
            PlanItem.expanded_until < horizon,
        )
        with self._db.write() as session:
            candidates = session.execute(
                select(PlanItem.id, PlanItem.patient_id)
                .where(*needs_top_up)
                .order_by(PlanItem.expanded_until)
                .limit(limit)
            ).all()
            patients = self._share_lock_patients(session, {row[1] for row in candidates})
            ids = [row[0] for row in candidates if row[1] in patients]
            if not ids:
                return 0
            # Re-checked under the lock: a concurrent top-up may have just done these.
            items = session.scalars(
                select(PlanItem)
                .where(PlanItem.id.in_(ids), *needs_top_up)
                .with_for_update(key_share=True, skip_locked=True)
            ).all()
            zones = self._zones(session, {item.patient_id for item in items})
            note_ids = self._note_ids(session, {item.step_set_id for item in items})
            rows: list[dict[str, Any]] = []
            for item in items:
                schedule = schedule_of(item)
                tz = zones[item.patient_id]
                last = session.execute(
                    select(Reminder.sequence, Reminder.due_at)
                    .where(Reminder.plan_item_id == item.id, Reminder.makeup_depth == 0)
                    .order_by(Reminder.sequence.desc())
                    .limit(1)
                ).first()
                if last is None:  # nothing fell inside the first window (e.g. monthly)
                    slots = expand(schedule, tz=tz, anchor=item.anchor_at, horizon_end=horizon)
                else:
                    slots = expand(
                        schedule,
                        tz=tz,
                        anchor=item.anchor_at,
                        horizon_end=horizon,
                        after_sequence=last[0],
                        resume_after=last[1],
                    )
                rows.extend(
                    self._slot_rows(item, note_ids[item.step_set_id], schedule, tz, slots, now)
                )
                item.expanded_until = horizon
            if rows:
                session.execute(insert(Reminder), rows)
            return len(rows)

    # --- patient and doctor facing ---------------------------------------------------

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
                        Reminder.status.in_(_PENDING),
                        Reminder.window_ends_at > now,
                    )
                    .values(status=status.value, acknowledged_at=now)
                    .execution_options(synchronize_session=False)
                )
                if _rowcount(changed) != 1:
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
                texts = self._action_texts(session, {reminder.plan_item_id})
                view = _view_of(reminder, texts[reminder.plan_item_id])
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
        """Dose counts per scheduled plan item of the steps in force.

        For the patient (patient_id may be empty) or their current doctor; anyone else
        gets PermissionDenied (audited).
        """
        patient = self._patient_of(caller, patient_id)
        return await self._db.run(self._adherence, caller, patient)

    def _adherence(self, caller: Caller, patient_id: uuid.UUID) -> AdherenceView:
        now = self._clock.now()
        with self._db.write() as session:
            if access.may_read_patient(session, caller, patient_id):
                step_set = in_force_set(session, patient_id)
                audit.record(
                    session,
                    at=now,
                    caller=caller,
                    action="reminders.read",
                    resource_type="adherence",
                    resource_id=step_set.id if step_set else None,
                    patient_id=patient_id,
                )
                if step_set is None:
                    return AdherenceView([], None)
                return AdherenceView(self._item_counts(session, step_set), step_set.note_id)
        self._deny_read(caller, patient_id)
        raise access.denied()

    def _item_counts(self, session: Session, step_set: StepSet) -> list[ItemAdherence]:
        items = session.scalars(
            select(PlanItem)
            .where(PlanItem.step_set_id == step_set.id, PlanItem.as_needed.is_(False))
            .order_by(PlanItem.position)
        ).all()
        counts: dict[tuple[uuid.UUID, str], int] = {
            (row[0], row[1]): row[2]
            for row in session.execute(
                select(Reminder.plan_item_id, Reminder.status, func.count())
                .where(Reminder.plan_item_id.in_([item.id for item in items]))
                .group_by(Reminder.plan_item_id, Reminder.status)
            )
        }
        texts = self._texts_of(session, items)

        def count(item: PlanItem, *states: ReminderState) -> int:
            return sum(counts.get((item.id, state.value), 0) for state in states)

        return [
            ItemAdherence(
                plan_item_id=item.id,
                action=texts[item.id],
                taken=count(item, ReminderState.TAKEN),
                skipped=count(item, ReminderState.SKIPPED),
                missed=count(item, ReminderState.MISSED),
                upcoming=count(item, *PENDING_STATES),
                prescribed=item.occurrences,
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
            texts = self._action_texts(session, {r.plan_item_id for r in reminders})
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
                summary=texts[r.plan_item_id],
                due_at=r.due_at,
                description="Make-up of a missed dose" if r.makeup_of_id else "",
            )
            for r in reminders
        ]
        return build_ics(entries, calendar_name=CALENDAR_NAME, now=now)

    # --- stream support (sync; the streaming RPC calls these through Database.run) ----

    def cursor_seq(self, patient_id: uuid.UUID, after_id: str) -> int:
        """The delivery number of the patient's reminder after_id (0 when empty).

        InvalidArgument for a malformed id, NotFound for an unknown or foreign one.
        A reminder never delivered has no number; replaying from 0 is then the safe side.
        """
        reminder_uuid = validation.parse_uuid(after_id, "after_id", required=False)
        if reminder_uuid is None:
            return 0
        with self._db.read() as session:
            row = session.execute(
                select(Reminder.patient_id, Reminder.delivery_seq).where(
                    Reminder.id == reminder_uuid
                )
            ).first()
        if row is None or row[0] != patient_id:
            raise NotFound("no such reminder")
        return row[1] or 0

    def sent_after(
        self, patient_id: uuid.UUID, after_seq: int, upto_seq: int | None = None
    ) -> builtins.list[ReminderView]:
        """The patient's SENT reminders with after_seq < delivery_seq <= upto_seq, in
        delivery order (the stream's replay)."""
        stmt = select(Reminder).where(
            Reminder.patient_id == patient_id,
            Reminder.status == ReminderState.SENT.value,
            Reminder.delivery_seq > after_seq,
        )
        if upto_seq is not None:
            stmt = stmt.where(Reminder.delivery_seq <= upto_seq)
        with self._db.read() as session:
            reminders = session.scalars(stmt.order_by(Reminder.delivery_seq)).all()
            texts = self._action_texts(session, {r.plan_item_id for r in reminders})
        return [_view_of(r, texts[r.plan_item_id]) for r in reminders]

    def load_view(self, reminder_id: uuid.UUID) -> ReminderView | None:
        """One reminder with its text, or None when it does not exist."""
        with self._db.read() as session:
            reminder = session.get(Reminder, reminder_id)
            if reminder is None:
                return None
            texts = self._action_texts(session, {reminder.plan_item_id})
        return _view_of(reminder, texts[reminder.plan_item_id])

    # --- reminder history (last: the method name shadows the builtin in this class) ---

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

        For the patient (patient_id may be empty) or their current doctor. statuses
        filters (empty: all). Returns the page and the next page token ("" at the end).
        """
        patient = self._patient_of(caller, patient_id)
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
                texts = self._action_texts(session, {r.plan_item_id for r in page})
                audit.record(
                    session,
                    at=now,
                    caller=caller,
                    action="reminders.read",
                    resource_type="reminders",
                    resource_id=None,
                    patient_id=patient_id,
                )
                views = [_view_of(r, texts[r.plan_item_id]) for r in page]
                token = ""
                if len(rows) > size:
                    token = encode_page_token(views[-1].due_at.isoformat(), str(views[-1].id))
                return views, token
        self._deny_read(caller, patient_id)
        raise access.denied()

    # --- helpers -----------------------------------------------------------------------

    def _patient_of(self, caller: Caller, patient_id: str) -> uuid.UUID:
        parsed = validation.parse_uuid(patient_id, "patient_id", required=caller.is_doctor)
        patient = access.resolve_patient(caller, parsed)
        assert patient is not None  # required for doctors, defaulted for patients
        return patient

    def _deny_read(self, caller: Caller, patient_id: uuid.UUID) -> None:
        access.deny(
            self._db,
            self._clock,
            caller,
            action="reminders.read",
            resource_type="patient",
            resource_id=patient_id,
            patient_id=patient_id,
            reason="not_allowed",
        )

    def _slot_rows(
        self,
        item: PlanItem,
        note_id: uuid.UUID,
        schedule: Schedule,
        tz: ZoneInfo,
        slots: Sequence[Slot],
        now: datetime,
    ) -> builtins.list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        for index, slot in enumerate(slots):
            if index + 1 < len(slots):
                next_due: datetime | None = slots[index + 1].due_at
            else:
                # The last slot's window ends at the next dose even if that one is
                # beyond this expansion (a later top-up writes it).
                following = following_slot(schedule, tz=tz, anchor=item.anchor_at, slot=slot)
                next_due = following.due_at if following is not None else None
            rows.append(
                self._row(
                    plan_item_id=item.id,
                    patient_id=item.patient_id,
                    note_id=note_id,
                    sequence=slot.sequence,
                    due_at=slot.due_at,
                    window_ends_at=window_end(slot.due_at, next_due, tz, self._policy.max_window),
                    now=now,
                )
            )
        return rows

    @staticmethod
    def _row(
        *,
        plan_item_id: uuid.UUID,
        patient_id: uuid.UUID,
        note_id: uuid.UUID,
        sequence: int,
        due_at: datetime,
        window_ends_at: datetime,
        now: datetime,
        makeup_of_id: uuid.UUID | None = None,
        makeup_depth: int = 0,
    ) -> dict[str, Any]:
        # Every column given explicitly: one executemany shape for the whole batch.
        return {
            "id": uuid.uuid4(),
            "plan_item_id": plan_item_id,
            "patient_id": patient_id,
            "note_id": note_id,
            "sequence": sequence,
            "due_at": due_at,
            "window_ends_at": window_ends_at,
            "status": _SCHEDULED,
            "makeup_of_id": makeup_of_id,
            "makeup_depth": makeup_depth,
            "enqueued_at": None,
            "sent_at": None,
            "delivery_seq": None,
            "acknowledged_at": None,
            "created_at": now,
        }

    def _close_missed(
        self, session: Session, found: Sequence[tuple[Reminder, PlanItem]], now: datetime
    ) -> int:
        """MISSED for each overdue pending reminder given, plus make-ups; returns how many.

        The rows must be locked by the caller (or the transaction serialised).
        """
        self._cancel_rows(session, [r.id for r, item in found if not item.active])
        overdue = {r.id for r, item in found if item.active}
        if not overdue:
            return 0
        missed = set(
            session.scalars(
                update(Reminder)
                .where(
                    Reminder.id.in_(overdue),
                    Reminder.status.in_(_PENDING),
                    Reminder.window_ends_at <= now,
                )
                .values(status=ReminderState.MISSED.value)
                .returning(Reminder.id)
                .execution_options(synchronize_session=False)
            ).all()
        )
        zones = self._zones(session, {r.patient_id for r, _ in found if r.id in missed})
        for reminder, item in found:
            if reminder.id not in missed:
                continue
            tz = zones[reminder.patient_id]
            due = makeup_due(
                reminder.due_at,
                tz,
                reminder.makeup_depth,
                self._policy,
                course_is_bounded=item.occurrences > 0,
            )
            if due is None:
                continue
            next_due = session.scalar(
                select(Reminder.due_at)
                .where(
                    Reminder.plan_item_id == item.id,
                    Reminder.status == _SCHEDULED,
                    Reminder.due_at > due,
                )
                .order_by(Reminder.due_at)
                .limit(1)
            )
            # One insert per make-up: the next make-up of the same item in this batch
            # then sees it as "the next SCHEDULED reminder" for its own window.
            session.execute(
                insert(Reminder),
                [
                    self._row(
                        plan_item_id=item.id,
                        patient_id=reminder.patient_id,
                        note_id=reminder.note_id,
                        sequence=reminder.sequence,
                        due_at=due,
                        window_ends_at=window_end(due, next_due, tz, self._policy.max_window),
                        now=now,
                        makeup_of_id=reminder.id,
                        makeup_depth=reminder.makeup_depth + 1,
                    )
                ],
            )
        return len(missed)

    def _cancel_rows(self, session: Session, ids: Sequence[uuid.UUID]) -> None:
        if ids:
            session.execute(
                update(Reminder)
                .where(Reminder.id.in_(ids), Reminder.status.in_(_PENDING))
                .values(status=ReminderState.CANCELLED.value)
                .execution_options(synchronize_session=False)
            )

    def _share_lock_patients(self, session: Session, patient_ids: set[uuid.UUID]) -> set[uuid.UUID]:
        """The patients whose row could be KEY SHARE locked without waiting.

        A patient whose steps are changing right now (row locked FOR UPDATE) is left for
        the next run: waiting for it while holding reminder locks could deadlock.
        """
        if not patient_ids:
            return set()
        return set(
            session.scalars(
                select(User.id)
                .where(User.id.in_(patient_ids))
                .with_for_update(read=True, key_share=True, skip_locked=True)
            ).all()
        )

    @staticmethod
    def _zones(session: Session, patient_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, ZoneInfo]:
        ids = set(patient_ids)
        if not ids:
            return {}
        rows = session.execute(select(User.id, User.timezone).where(User.id.in_(ids))).all()
        return {row[0]: _zone(row[1]) for row in rows}

    @staticmethod
    def _note_ids(session: Session, step_set_ids: set[uuid.UUID]) -> dict[uuid.UUID, uuid.UUID]:
        if not step_set_ids:
            return {}
        rows = session.execute(
            select(StepSet.id, StepSet.note_id).where(StepSet.id.in_(step_set_ids))
        ).all()
        return {row[0]: row[1] for row in rows}

    def _action_texts(
        self, session: Session, plan_item_ids: set[uuid.UUID]
    ) -> dict[uuid.UUID, str]:
        """Decrypted action text by plan item id: each plan item decrypted once."""
        if not plan_item_ids:
            return {}
        items = session.scalars(select(PlanItem).where(PlanItem.id.in_(plan_item_ids))).all()
        return self._texts_of(session, items)

    def _texts_of(self, session: Session, items: Sequence[PlanItem]) -> dict[uuid.UUID, str]:
        keys = self._cipher.keys(session, {item.pair_key_id for item in items})
        return {
            item.id: self._cipher.open(keys[item.pair_key_id], PLAN_KIND, item.id, item.ciphertext)
            for item in items
        }


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
