"""In-memory stand-ins for what a reminder stream reads and audits (tests of streaming/)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from carenotes_server.domain.errors import NotFound
from carenotes_server.domain.reminder_state import ReminderState
from carenotes_server.services.caller import Caller, Role
from carenotes_server.services.reminders.views import ReminderView

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
PATIENT = uuid.uuid4()
CALLER = Caller(PATIENT, Role.PATIENT, uuid.uuid4())


class Store:
    """The database side: the patient's SENT reminders by delivery number."""

    def __init__(self) -> None:
        self.sent: dict[int, ReminderView] = {}
        self.session_live = True
        # Runs once inside the next replay read, before or after its snapshot is taken.
        self.during_read: Callable[[], Awaitable[None]] | None = None
        self.snapshot_first = True

    def add(self, seq: int, patient_id: uuid.UUID = PATIENT) -> ReminderView:
        view = ReminderView(
            id=uuid.uuid4(),
            plan_item_id=uuid.uuid4(),
            patient_id=patient_id,
            note_id=uuid.uuid4(),
            text=f"dose {seq}",
            due_at=NOW + timedelta(hours=seq),
            status=ReminderState.SENT,
            makeup_of_id=None,
            sent_at=NOW + timedelta(hours=seq),
            acknowledged_at=None,
            window_ends_at=NOW + timedelta(hours=seq + 1),
            delivery_seq=seq,
        )
        self.sent[seq] = view
        return view

    async def cursor_seq(self, patient_id: uuid.UUID, after_id: str) -> int:
        if not after_id:
            return 0
        for seq, view in self.sent.items():
            if str(view.id) == after_id and view.patient_id == patient_id:
                return seq
        raise NotFound("no such reminder")

    async def sent_after(
        self, patient_id: uuid.UUID, after_seq: int, upto_seq: int | None = None
    ) -> list[ReminderView]:
        hook, self.during_read = self.during_read, None
        if hook is not None and not self.snapshot_first:
            await hook()
        snapshot = [
            v
            for s, v in sorted(self.sent.items())
            if v.patient_id == patient_id and s > after_seq and (upto_seq is None or s <= upto_seq)
        ]
        if hook is not None and self.snapshot_first:
            await hook()
        return snapshot

    async def session_is_live(self, caller: Caller) -> bool:
        return self.session_live

    async def load(self, reminder_id: uuid.UUID) -> ReminderView | None:
        return next((v for v in self.sent.values() if v.id == reminder_id), None)


class Audit:
    def __init__(self) -> None:
        self.rows: list[dict[str, object]] = []

    async def record(self, row: dict[str, object]) -> None:
        self.rows.append(row)

    async def record_many(self, rows: list[dict[str, object]]) -> None:
        self.rows.extend(rows)

    def delivered(self) -> list[tuple[str, object]]:
        """(reminder id, replay or live) of each reminder the stream disclosed."""
        return [
            (str(r["resource_id"]), r["reason"])
            for r in self.rows
            if r["action"] == "reminder.delivered"
        ]
