"""Test data for the reminders service, written straight through the models.

A `ReminderWorld` holds a database, a fake clock, a cipher with a throwaway master key
and the service under test; `add_user` and `put_in_force` build patients, doctors and
plans in force the way a note replacing the plan would, without an extractor.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update

from carenotes_server.clock import FakeClock
from carenotes_server.db.database import Database
from carenotes_server.db.models import CareAssignment, Note, PlanItem, Reminder, StepSet, User
from carenotes_server.domain.crypto import MasterKeyring
from carenotes_server.domain.missed_dose import MissedDosePolicy
from carenotes_server.domain.reminder_state import ReminderState
from carenotes_server.domain.steps import Schedule
from carenotes_server.scheduler import Scheduler
from carenotes_server.services.caller import Caller, Role
from carenotes_server.services.keys import ClinicalCipher
from carenotes_server.services.reminders import Reminders, build_reminders
from carenotes_server.services.reminders.views import PLAN_KIND

ONE_DAY = timedelta(days=1)


def new_cipher() -> ClinicalCipher:
    return ClinicalCipher(MasterKeyring({"k1": os.urandom(32)}, "k1"))


@dataclass
class ReminderWorld:
    db: Database
    clock: FakeClock
    cipher: ClinicalCipher
    services: Reminders

    def add_user(self, role: Role, *, timezone: str = "Europe/Paris") -> uuid.UUID:
        user_id = uuid.uuid4()
        now = self.clock.now()
        with self.db.write() as session:
            session.add(
                User(
                    id=user_id,
                    email=f"{user_id.hex}@example.test",
                    name=f"{role.value.title()} {user_id.hex[:6]}",
                    role=role.value,
                    timezone=timezone,
                    password_hash="not-a-real-hash",
                    created_at=now,
                    password_changed_at=now,
                    reminder_seq=0,
                )
            )
        return user_id

    def assign(self, patient_id: uuid.UUID, doctor_id: uuid.UUID) -> None:
        with self.db.write() as session:
            session.add(
                CareAssignment(
                    patient_id=patient_id, doctor_id=doctor_id, started_at=self.clock.now()
                )
            )

    def put_in_force(
        self,
        patient_id: uuid.UUID,
        doctor_id: uuid.UUID,
        plan: list[tuple[str, Schedule]],
    ) -> tuple[uuid.UUID, list[uuid.UUID]]:
        """A new note whose plan replaces the patient's plan in force now, planning its
        reminders as a plan change does: the old items end (their SCHEDULED reminders
        cancelled) and the new ones start. Returns (note id, plan item ids in order)."""
        now = self.clock.now()
        with self.db.write() as session:
            patient = session.scalars(
                select(User).where(User.id == patient_id).with_for_update()
            ).one()
            key = self.cipher.pair_key(session, patient_id, doctor_id, now)
            sequence = (
                session.scalar(
                    select(Note.sequence)
                    .where(Note.patient_id == patient_id)
                    .order_by(Note.sequence.desc())
                    .limit(1)
                )
                or 0
            ) + 1
            note = Note(
                id=uuid.uuid4(),
                patient_id=patient_id,
                doctor_id=doctor_id,
                pair_key_id=key.id,
                ciphertext=b"sealed elsewhere",
                created_at=now,
                sequence=sequence,
                extraction_status="DONE",
            )
            session.add(note)
            old = session.scalars(
                select(PlanItem).where(PlanItem.patient_id == patient_id, PlanItem.active)
            ).all()
            for item in old:
                item.active, item.ended_at, item.end_reason = False, now, "REPLACED"
            session.flush()
            self.services.planning.cancel_items(session, [item.id for item in old])
            step_set = StepSet(
                id=uuid.uuid4(),
                note_id=note.id,
                patient_id=patient_id,
                doctor_id=doctor_id,
                note_sequence=sequence,
                extractor="rules",
                created_at=now,
                outcome="CHANGED",
                checklist_added=0,
            )
            session.add(step_set)
            session.flush()
            items: list[PlanItem] = []
            for position, (action, schedule) in enumerate(plan):
                item_id = uuid.uuid4()
                items.append(
                    PlanItem(
                        id=item_id,
                        step_set_id=step_set.id,
                        patient_id=patient_id,
                        position=position,
                        pair_key_id=key.id,
                        ciphertext=self.cipher.seal(key, PLAN_KIND, item_id, action),
                        times_per_day=schedule.times_per_day,
                        every_hours=schedule.every_hours,
                        every_days=schedule.every_days,
                        duration_days=schedule.duration_days,
                        occurrences=schedule.occurrences,
                        start_in_days=schedule.start_in_days,
                        as_needed=schedule.as_needed,
                        times_of_day=",".join(schedule.times_of_day),
                        days_of_week=",".join(schedule.days_of_week),
                        anchor_at=now,
                        active=True,
                        doses_made_up=0,
                        makeup_allowed=True,
                    )
                )
            session.add_all(items)
            session.flush()
            self.services.planning.plan(session, patient, items, now)
            return note.id, [item.id for item in items]

    def reminders(
        self, *, patient_id: uuid.UUID | None = None, plan_item_id: uuid.UUID | None = None
    ) -> list[Reminder]:
        """Reminders ordered by (due_at, makeup_depth), detached from any session."""
        stmt = select(Reminder).order_by(Reminder.due_at, Reminder.makeup_depth, Reminder.id)
        if patient_id is not None:
            stmt = stmt.where(Reminder.patient_id == patient_id)
        if plan_item_id is not None:
            stmt = stmt.where(Reminder.plan_item_id == plan_item_id)
        with self.db.read() as session:
            return list(session.scalars(stmt).all())

    def extend_windows(self, patient_id: uuid.UUID, until: datetime) -> None:
        """Every reminder of the patient stays answerable until `until`."""
        with self.db.write() as session:
            session.execute(
                update(Reminder)
                .where(Reminder.patient_id == patient_id)
                .values(window_ends_at=until)
            )

    def scheduler(self, enqueue_fire: Callable[[Sequence[uuid.UUID], datetime], None]) -> Scheduler:
        """A scheduler over this world, with the given producer of fire messages."""
        return Scheduler(
            self.db,
            self.services,
            self.clock,
            enqueue_fire=enqueue_fire,
            enqueue_extraction=lambda _: None,
            horizon=timedelta(seconds=3),
        )

    def set_status(self, reminder_id: uuid.UUID, status: ReminderState) -> None:
        with self.db.write() as session:
            reminder = session.get(Reminder, reminder_id)
            assert reminder is not None
            reminder.status = status.value


def make_world(
    db: Database,
    start: datetime,
    *,
    policy: MissedDosePolicy | None = None,
    ongoing_window: timedelta = timedelta(days=14),
) -> ReminderWorld:
    clock = FakeClock(start)
    cipher = new_cipher()
    services = build_reminders(
        db,
        cipher,
        clock,
        policy=policy or MissedDosePolicy(makeup_cap=3),
        ongoing_window=ongoing_window,
    )
    return ReminderWorld(db, clock, cipher, services)


def caller_for(user_id: uuid.UUID, role: Role) -> Caller:
    return Caller(user_id=user_id, role=role, session_id=uuid.uuid4())
