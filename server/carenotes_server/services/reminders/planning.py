"""Reminders planned from plan items: written when an item comes into force, cancelled
when it ends, and topped up on a rolling window for ongoing items.

Locking (PostgreSQL; SQLite serialises write transactions instead): a note's steps
coming into force lock the patient's `users` row first, then plan items, then
reminders. The top-up never waits for a lock (SKIP LOCKED, including a KEY SHARE lock on
the patient row that its INSERTs' foreign-key checks would otherwise wait for).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from carenotes_server.db.database import Database
from carenotes_server.db.models import PlanItem, Reminder, StepSet, User
from carenotes_server.domain.missed_dose import MissedDosePolicy
from carenotes_server.domain.reminder_state import ReminderState, sources
from carenotes_server.domain.schedule import Slot, expand, following_slot, window_end
from carenotes_server.domain.steps import Schedule
from carenotes_server.services.reminders.views import zone, zones_of
from carenotes_server.services.steps.queries import schedule_of

_SCHEDULED = ReminderState.SCHEDULED.value


class ReminderPlanning:
    def __init__(
        self,
        db: Database,
        *,
        policy: MissedDosePolicy,
        ongoing_window: timedelta = timedelta(days=14),
    ) -> None:
        if ongoing_window <= timedelta(0):
            raise ValueError("ongoing_window must be positive")
        self._db = db
        self._policy = policy
        self.ongoing_window = ongoing_window

    # --- inside the transaction that changes a plan -----------------------------------

    def plan(
        self, session: Session, patient: User, items: Sequence[PlanItem], now: datetime
    ) -> dict[uuid.UUID, int]:
        """Writes the reminders of plan items that just came into force; returns how many
        each got.

        A bounded course gets every dose at once (and its course_ends_at); an ongoing
        item gets the doses due before now + ongoing_window and is continued later by
        top_up. As-needed items get none.
        """
        tz = zone(patient.timezone)
        note_ids = _note_ids(session, {item.step_set_id for item in items})
        rows: list[dict[str, Any]] = []
        created: dict[uuid.UUID, int] = {}
        for item in items:
            created[item.id] = 0
            if item.as_needed:
                continue
            schedule = schedule_of(item)
            horizon = None if schedule.occurrences else now + self.ongoing_window
            slots = expand(schedule, tz=tz, anchor=item.anchor_at, horizon_end=horizon)
            item_rows = self._slot_rows(item, note_ids[item.step_set_id], schedule, tz, slots, now)
            rows.extend(item_rows)
            created[item.id] = len(item_rows)
            if horizon is not None:
                item.expanded_until = horizon
            elif slots:
                item.course_ends_at = slots[-1].due_at
        if rows:
            session.execute(insert(Reminder), rows)
        return created

    def cancel_items(self, session: Session, item_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, int]:
        """Cancels the SCHEDULED reminders of plan items that leave the plan; returns how
        many each lost. SENT reminders are left alone: the patient was told to take that
        dose, and may still answer it until its window ends."""
        if not item_ids:
            return {}
        counts = self.scheduled_counts(session, item_ids)
        session.execute(
            update(Reminder)
            .where(
                Reminder.plan_item_id.in_(item_ids),
                Reminder.status.in_(sources(ReminderState.CANCELLED)),
            )
            .values(status=ReminderState.CANCELLED.value)
            .execution_options(synchronize_session=False)
        )
        return counts

    @staticmethod
    def scheduled_counts(session: Session, item_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, int]:
        """How many SCHEDULED reminders each plan item has (what stopping it cancels)."""
        counts = dict.fromkeys(item_ids, 0)
        if item_ids:
            for item_id, n in session.execute(
                select(Reminder.plan_item_id, func.count())
                .where(Reminder.plan_item_id.in_(item_ids), Reminder.status == _SCHEDULED)
                .group_by(Reminder.plan_item_id)
            ):
                counts[item_id] = n
        return counts

    def planned_count(self, schedule: Schedule, tz: ZoneInfo, now: datetime) -> int:
        """How many reminders a new item with this schedule would get now (previews)."""
        if schedule.as_needed:
            return 0
        horizon = None if schedule.occurrences else now + self.ongoing_window
        return len(expand(schedule, tz=tz, anchor=now, horizon_end=horizon))

    # --- the scheduler's rolling window -------------------------------------------------

    def top_up(self, now: datetime, limit: int = 500) -> int:
        """Extends ongoing plans to now + ongoing_window; returns the reminders written.

        Continues each series from its last reminder exactly as one long expansion
        would have: consecutive sequences, no dose doubled or skipped.
        """
        horizon = now + self.ongoing_window
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
            patients = share_lock_patients(session, {row[1] for row in candidates})
            ids = [row[0] for row in candidates if row[1] in patients]
            if not ids:
                return 0
            # Re-checked under the lock: a concurrent top-up may have just done these.
            items = session.scalars(
                select(PlanItem)
                .where(PlanItem.id.in_(ids), *needs_top_up)
                .with_for_update(key_share=True, skip_locked=True)
            ).all()
            zones = zones_of(session, {item.patient_id for item in items})
            note_ids = _note_ids(session, {item.step_set_id for item in items})
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

    # --- rows ---------------------------------------------------------------------------

    def _slot_rows(
        self,
        item: PlanItem,
        note_id: uuid.UUID,
        schedule: Schedule,
        tz: ZoneInfo,
        slots: Sequence[Slot],
        now: datetime,
    ) -> list[dict[str, Any]]:
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
                reminder_row(
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


def reminder_row(
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


def share_lock_patients(session: Session, patient_ids: set[uuid.UUID]) -> set[uuid.UUID]:
    """The patients whose row could be KEY SHARE locked without waiting.

    A patient whose steps are changing right now (row locked FOR UPDATE) is left for the
    next run: waiting for it while holding reminder locks could deadlock.
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


def _note_ids(session: Session, step_set_ids: set[uuid.UUID]) -> dict[uuid.UUID, uuid.UUID]:
    if not step_set_ids:
        return {}
    rows = session.execute(
        select(StepSet.id, StepSet.note_id).where(StepSet.id.in_(step_set_ids))
    ).all()
    return {row[0]: row[1] for row in rows}
