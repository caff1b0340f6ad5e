"""What the live reminder stream reads from the database: the cursor, the replay of
reminders sent after it, and one reminder's view (sync; the stream calls these through
Database.run)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select

from carenotes_server.db.database import Database
from carenotes_server.db.models import Reminder
from carenotes_server.domain import validation
from carenotes_server.domain.errors import NotFound
from carenotes_server.domain.reminder_state import ReminderState
from carenotes_server.services.keys import ClinicalCipher
from carenotes_server.services.reminders.views import (
    VIEW_COLUMNS,
    ActionTexts,
    ReminderView,
    view_of,
)


class ReminderReplay:
    def __init__(self, db: Database, cipher: ClinicalCipher) -> None:
        self._db = db
        self._texts = ActionTexts(cipher)

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
    ) -> list[ReminderView]:
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
            texts = self._texts.by_id(session, {r.plan_item_id for r in reminders})
        return [view_of(r, texts[r.plan_item_id]) for r in reminders]

    def load_view(self, reminder_id: uuid.UUID) -> ReminderView | None:
        """One reminder with its text, or None when it does not exist."""
        return self.load_views([reminder_id]).get(reminder_id)

    def load_views(self, reminder_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, ReminderView]:
        """Many reminders with their texts, in two queries (those that exist)."""
        if not reminder_ids:
            return {}
        with self._db.read() as session:
            rows = session.execute(
                select(*VIEW_COLUMNS).where(Reminder.id.in_(set(reminder_ids)))
            ).all()
            texts = self._texts.by_id(session, {r.plan_item_id for r in rows})
        return {r.id: view_of(r, texts[r.plan_item_id]) for r in rows}
