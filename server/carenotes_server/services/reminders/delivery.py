"""Delivering reminders: claimed for enqueueing, fired once (many per transaction).

The database is the source of truth for every reminder; messages (fire_reminders) only
say "look at these rows now". Every state change is a conditional UPDATE whose allowed
source statuses come from the reminder lifecycle table (domain/reminder_state), so a
duplicated, late or lost message can neither deliver twice nor resurrect a cancelled
or acknowledged reminder.

Locking (PostgreSQL): a fire takes the patient rows (in id order, so two batches never
wait on each other in a cycle), then the reminders, as a plan change does; claim and
sweep never wait for a lock (SKIP LOCKED). So no deadlock cycle can form with a note's
steps coming into force.
"""

from __future__ import annotations

import builtins
import uuid
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from carenotes_server.clock import Clock
from carenotes_server.db.database import Database
from carenotes_server.db.models import PlanItem, Reminder, User
from carenotes_server.domain.missed_dose import MissedDosePolicy
from carenotes_server.domain.reminder_state import ReminderState, sources
from carenotes_server.services.reminders.missed import MissedDoses, cancel_scheduled
from carenotes_server.services.reminders.views import Fired, rowcount

FIRE_EARLY_TOLERANCE = timedelta(seconds=1)
"""A message may arrive this early and still deliver (broker delays are not that exact)."""

DEFAULT_STALE_CLAIM_AFTER = timedelta(seconds=15)
"""A claim is presumed lost (Redis flushed, worker killed) once both the claim and the
due time are this old and the reminder is still SCHEDULED."""

SAME_INSTANT = timedelta(milliseconds=10)
"""Reminders due this close together are fired by one message (one transaction)."""

MAX_BATCH = 100
"""At most this many reminders per message: a batch is one transaction, and a larger one
would hold its patients' rows locked for longer than a note's steps should wait."""

_SCHEDULED = ReminderState.SCHEDULED.value


@dataclass(frozen=True)
class DueBatch:
    """Reminders to fire together at `due_at` (the earliest due time among them)."""

    reminder_ids: tuple[uuid.UUID, ...]
    due_at: datetime


@dataclass
class FireOutcome:
    """What one fire_many call did: delivered now, and still too early to deliver."""

    fired: builtins.list[Fired] = field(default_factory=list)
    early: builtins.list[tuple[uuid.UUID, datetime]] = field(default_factory=list)


def batches_of(
    claimed: Sequence[tuple[uuid.UUID, datetime]],
    *,
    same_instant: timedelta = SAME_INSTANT,
    max_batch: int = MAX_BATCH,
) -> builtins.list[DueBatch]:
    """Groups (id, due_at) pairs, earliest first, into batches of one instant each."""
    batches: builtins.list[DueBatch] = []
    ids: builtins.list[uuid.UUID] = []
    first: datetime | None = None
    for reminder_id, due_at in sorted(claimed, key=lambda pair: pair[1]):
        if first is not None and (due_at - first > same_instant or len(ids) >= max_batch):
            batches.append(DueBatch(tuple(ids), first))
            ids, first = [], None
        if first is None:
            first = due_at
        ids.append(reminder_id)
    if first is not None:
        batches.append(DueBatch(tuple(ids), first))
    return batches


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
        self._missed = MissedDoses(db, policy=policy)
        self._stale_claim_after = stale_claim_after

    def claim_due(
        self, now: datetime, horizon: timedelta, limit: int = 500
    ) -> builtins.list[tuple[uuid.UUID, datetime]]:
        """Claims SCHEDULED reminders due before now + horizon for enqueueing.

        Returns (reminder id, due_at) pairs, earliest first; the caller enqueues
        fire_reminders for them (see batches_of), to be fired at their due time. A row
        is claimable when no one has claimed it, or when its claim is stale: both claim
        and due time are older than stale_claim_after and it is still SCHEDULED, i.e.
        the message was lost.
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

    def release(self, reminder_ids: Sequence[uuid.UUID]) -> int:
        """Forgets the claims on these reminders (their message could not be enqueued),
        so that the next tick claims them again instead of waiting for the claim to go
        stale. Returns how many were released."""
        if not reminder_ids:
            return 0
        with self._db.write() as session:
            result = session.execute(
                update(Reminder)
                .where(Reminder.id.in_(reminder_ids), Reminder.status == _SCHEDULED)
                .values(enqueued_at=None)
                .execution_options(synchronize_session=False)
            )
        return rowcount(result)

    def release_claims(self) -> int:
        """Forgets the claims of every SCHEDULED reminder; returns how many.

        For when the broker is known to have lost its messages: the embedded server's
        in-memory broker at start-up, or Redis restarted empty or flushed. Their
        reminders must be claimed again now, not only once the claims go stale
        (stale_claim_after late). A message that did survive only duplicates a fire,
        which the conditional updates make harmless.
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
        """Delivers one reminder if it is still SCHEDULED and due (see fire_many).

        Returns Fired when this call delivered it; its due_at when it is more than
        FIRE_EARLY_TOLERANCE ahead; None when there is nothing to deliver.
        """
        outcome = self.fire_many([reminder_id])
        if outcome.fired:
            return outcome.fired[0]
        return outcome.early[0][1] if outcome.early else None

    def fire_many(self, reminder_ids: Sequence[uuid.UUID]) -> FireOutcome:
        """Delivers, in one transaction, those of the reminders still SCHEDULED and due.

        Nothing is delivered for a reminder unknown, already delivered or answered,
        cancelled, or past its window (then it is marked MISSED here, with its make-up
        per policy); one more than FIRE_EARLY_TOLERANCE ahead is returned as early.
        Each patient's delivery numbers are gapless and follow due order.
        """
        now = self._clock.now()
        with self._db.write() as session:
            found = session.execute(
                select(Reminder, PlanItem)
                .join(PlanItem, PlanItem.id == Reminder.plan_item_id)
                .where(Reminder.id.in_(set(reminder_ids)), Reminder.status == _SCHEDULED)
            ).all()
            outcome = FireOutcome(
                early=[(r.id, r.due_at) for r, _ in found if r.due_at > now + FIRE_EARLY_TOLERANCE]
            )
            due = [(r, item) for r, item in found if r.due_at <= now + FIRE_EARLY_TOLERANCE]
            if not due:
                return outcome
            # The patient rows first, as when steps come into force (no deadlock), and
            # held to commit so delivery numbers commit in order.
            session.execute(
                select(User.id)
                .where(User.id.in_({r.patient_id for r, _ in due}))
                .order_by(User.id)
                .with_for_update(key_share=True)
            )
            # Written by a top-up or sweep that raced a plan change: never delivered.
            cancel_scheduled(session, [r.id for r, item in due if not item.active])
            self._missed.close(
                session,
                [(r, item) for r, item in due if item.active and r.window_ends_at <= now],
                now,
            )
            live = [r for r, item in due if item.active and r.window_ends_at > now]
            if not live:
                return outcome
            sent = set(
                session.scalars(
                    update(Reminder)
                    .where(
                        Reminder.id.in_([r.id for r in live]),
                        Reminder.status.in_(sources(ReminderState.SENT)),
                    )
                    .values(status=ReminderState.SENT.value, sent_at=now)
                    .returning(Reminder.id)
                    .execution_options(synchronize_session=False)
                ).all()
            )
            # Only rows this call moved to SENT (a duplicate message may have won some):
            # delivery numbers stay gapless.
            delivered = sorted(
                (r for r in live if r.id in sent),
                key=lambda r: (r.patient_id, r.due_at, r.sequence),
            )
            if not delivered:
                return outcome
            next_seq = _reserve_delivery_numbers(session, Counter(r.patient_id for r in delivered))
            numbers: builtins.list[dict[str, object]] = []
            for reminder in delivered:
                seq = next_seq[reminder.patient_id]
                next_seq[reminder.patient_id] = seq + 1
                numbers.append({"id": reminder.id, "delivery_seq": seq})
                outcome.fired.append(
                    Fired(
                        reminder.id,
                        reminder.patient_id,
                        seq,
                        lateness_seconds=max(0.0, (now - reminder.due_at).total_seconds()),
                        is_makeup=reminder.makeup_of_id is not None,
                    )
                )
            session.execute(update(Reminder), numbers)  # by primary key, one executemany
            return outcome

    def sweep_missed(self, now: datetime, limit: int = 1000) -> int:
        """Marks SCHEDULED/SENT reminders whose window has ended MISSED, with make-ups."""
        return self._missed.sweep_missed(now, limit)


def _reserve_delivery_numbers(session: Session, counts: Counter[uuid.UUID]) -> dict[uuid.UUID, int]:
    """Advances each patient's delivery counter by its count; returns the first number
    each may use. One UPDATE per distinct count (at a morning peak: one in all)."""
    by_count: defaultdict[int, builtins.list[uuid.UUID]] = defaultdict(list)
    for patient_id, count in counts.items():
        by_count[count].append(patient_id)
    first: dict[uuid.UUID, int] = {}
    for count, patients in by_count.items():
        rows = session.execute(
            update(User)
            .where(User.id.in_(patients))
            .values(reminder_seq=User.reminder_seq + count)
            .returning(User.id, User.reminder_seq)
            .execution_options(synchronize_session=False)
        ).all()
        for patient_id, last in rows:
            first[patient_id] = last - count + 1
    return first
