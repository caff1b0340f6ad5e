"""Delivering reminders: claimed for enqueueing, fired once, closed as missed, made up.

The database is the source of truth for every reminder; messages (fire_reminder) only
say "look at this row now". Every state change is a conditional UPDATE whose allowed
source statuses come from the reminder lifecycle table (domain/reminder_state), so a
duplicated, late or lost message can neither deliver twice nor resurrect a cancelled
or acknowledged reminder.

Locking (PostgreSQL): fire takes the patient row, then the reminder, as a plan change
does; claim and sweep never wait for a lock (SKIP LOCKED). So no deadlock cycle can
form with a note's steps coming into force.
"""

from __future__ import annotations

import builtins
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, insert, or_, select, update
from sqlalchemy.orm import Session

from carenotes_server.clock import Clock
from carenotes_server.db.database import Database
from carenotes_server.db.models import PlanItem, Reminder, User
from carenotes_server.domain.missed_dose import MissedDosePolicy, makeup_slot
from carenotes_server.domain.reminder_state import PENDING_STATES, ReminderState, sources
from carenotes_server.domain.schedule import Slot, window_end
from carenotes_server.services.reminders.planning import reminder_row, share_lock_patients
from carenotes_server.services.reminders.views import Fired, rowcount, zones_of
from carenotes_server.services.steps.queries import schedule_of

FIRE_EARLY_TOLERANCE = timedelta(seconds=1)
"""A message may arrive this early and still deliver (broker delays are not that exact)."""

DEFAULT_STALE_CLAIM_AFTER = timedelta(seconds=15)
"""A claim is presumed lost (Redis flushed, worker killed) once both the claim and the
due time are this old and the reminder is still SCHEDULED."""

_SCHEDULED = ReminderState.SCHEDULED.value
_PENDING = tuple(sorted(state.value for state in PENDING_STATES))


class ReminderDelivery:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        *,
        policy: MissedDosePolicy,
        stale_claim_after: timedelta = DEFAULT_STALE_CLAIM_AFTER,
    ) -> None:
        self._db = db
        self._clock = clock
        self._policy = policy
        self._stale_claim_after = stale_claim_after

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
        return rowcount(result)

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
                # Written by a top-up or sweep that raced a plan change: never delivered.
                _cancel_scheduled(session, [reminder.id])
                return None
            if reminder.window_ends_at <= now:
                self._close_missed(session, [(reminder, item)], now)
                return None
            sent = session.execute(
                update(Reminder)
                .where(
                    Reminder.id == reminder.id,
                    Reminder.status.in_(sources(ReminderState.SENT)),
                )
                .values(status=ReminderState.SENT.value, sent_at=now)
                .execution_options(synchronize_session=False)
            )
            if rowcount(sent) != 1:  # a duplicate message won the row meanwhile
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
            return self._close_missed(session, [(reminder, item) for reminder, item in found], now)

    def _close_missed(
        self, session: Session, found: Sequence[tuple[Reminder, PlanItem]], now: datetime
    ) -> int:
        """MISSED for each overdue pending reminder given, plus make-ups; returns how many.

        A SCHEDULED reminder of an item no longer in force was never delivered: it is
        cancelled. A SENT one was delivered and not answered: it is MISSED, with no
        make-up (its item has ended). The rows must be locked by the caller (or the
        transaction serialised).
        """
        _cancel_scheduled(
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


def _cancel_scheduled(session: Session, ids: Sequence[uuid.UUID]) -> None:
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
