"""Closing reminders whose window ended unanswered as MISSED, and making them up.

A missed dose of a bounded course is made up by one dose appended after the last dose
of the course, in the same slot pattern (domain/missed_dose), so two pending doses of
one item are never closer than its dosing interval. Skipped doses never reach this
(they are not pending); an item no longer in force gets no make-up.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from carenotes_server.db.database import Database
from carenotes_server.db.models import PlanItem, Reminder
from carenotes_server.domain.missed_dose import MissedDosePolicy, makeup_slot
from carenotes_server.domain.reminder_state import PENDING_STATES, ReminderState, sources
from carenotes_server.domain.schedule import Slot, window_end
from carenotes_server.services.reminders.planning import reminder_row, share_lock_patients
from carenotes_server.services.reminders.views import zones_of
from carenotes_server.services.steps.queries import schedule_of

_SCHEDULED = ReminderState.SCHEDULED.value
_PENDING = tuple(sorted(state.value for state in PENDING_STATES))


class MissedDoses:
    def __init__(self, db: Database, *, policy: MissedDosePolicy) -> None:
        self._db = db
        self._policy = policy

    def sweep_missed(self, now: datetime, limit: int = 1000) -> int:
        """Marks SCHEDULED/SENT reminders whose window has ended MISSED; returns how many.

        A missed dose of a bounded course is made up by one dose appended at the end of
        the course (domain/missed_dose). Skipped doses never reach this (they are not
        pending).
        """
        overdue = (Reminder.status.in_(_PENDING), Reminder.window_ends_at <= now)
        with self._db.write() as session:
            candidates = session.scalars(
                select(Reminder.patient_id)
                .where(*overdue)
                .order_by(Reminder.window_ends_at)
                .limit(limit)
            ).all()
            patients = share_lock_patients(session, set(candidates))
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
            return self.close(session, [(reminder, item) for reminder, item in found], now)

    def close(
        self, session: Session, found: Sequence[tuple[Reminder, PlanItem]], now: datetime
    ) -> int:
        """MISSED for each overdue pending reminder given, plus make-ups; returns how many.

        A SCHEDULED reminder of an item no longer in force was never delivered: it is
        cancelled. A SENT one was delivered and not answered: it is MISSED, with no
        make-up (its item has ended). The rows must be locked by the caller (or the
        transaction serialised).
        """
        cancel_scheduled(
            session, [r.id for r, item in found if not item.active and r.status == _SCHEDULED]
        )
        overdue = {r.id for r, item in found if item.active or r.status != _SCHEDULED}
        if not overdue:
            return 0
        missed = set(
            session.scalars(
                update(Reminder)
                .where(
                    Reminder.id.in_(overdue),
                    Reminder.status.in_(sources(ReminderState.MISSED)),
                    Reminder.window_ends_at <= now,
                )
                .values(status=ReminderState.MISSED.value)
                .returning(Reminder.id)
                .execution_options(synchronize_session=False)
            ).all()
        )
        zones = zones_of(session, {r.patient_id for r, _ in found if r.id in missed})
        for reminder, item in sorted(found, key=lambda pair: pair[0].due_at):
            if reminder.id in missed and item.active:
                self._make_up(session, reminder, item, zones[reminder.patient_id], now)
        return len(missed)

    def _make_up(
        self, session: Session, reminder: Reminder, item: PlanItem, tz: ZoneInfo, now: datetime
    ) -> None:
        last = session.execute(
            select(Reminder.id, Reminder.sequence, Reminder.due_at, Reminder.status)
            .where(Reminder.plan_item_id == item.id)
            # The latest dose, whatever its sequence: appending after it can never
            # land between two doses already planned.
            .order_by(Reminder.due_at.desc(), Reminder.sequence.desc())
            .limit(1)
        ).one()
        slot = makeup_slot(
            schedule_of(item),
            tz=tz,
            anchor=item.anchor_at,
            last=Slot(last.sequence, last.due_at),
            now=now,
            makeup_depth=reminder.makeup_depth,
            policy=self._policy,
            makeup_allowed=item.makeup_allowed,
        )
        if slot is None:
            return
        session.execute(
            insert(Reminder),
            [
                reminder_row(
                    plan_item_id=item.id,
                    patient_id=reminder.patient_id,
                    note_id=reminder.note_id,
                    sequence=slot.sequence,
                    due_at=slot.due_at,
                    window_ends_at=window_end(slot.due_at, None, tz, self._policy.max_window),
                    now=now,
                    makeup_of_id=reminder.id,
                    makeup_depth=reminder.makeup_depth + 1,
                )
            ],
        )
        # The dose before it is no longer the last: its window now ends at this one.
        session.execute(
            update(Reminder)
            .where(
                Reminder.id == last.id,
                Reminder.status.in_(_PENDING),
                Reminder.window_ends_at > slot.due_at,
            )
            .values(window_ends_at=slot.due_at)
            .execution_options(synchronize_session=False)
        )
        item.course_ends_at = slot.due_at
        item.doses_made_up = item.doses_made_up + 1
        session.flush()


def cancel_scheduled(session: Session, ids: Sequence[uuid.UUID]) -> None:
    if ids:
        session.execute(
            update(Reminder)
            .where(
                Reminder.id.in_(ids),
                Reminder.status.in_(sources(ReminderState.CANCELLED)),
            )
            .values(status=ReminderState.CANCELLED.value)
            .execution_options(synchronize_session=False)
        )
