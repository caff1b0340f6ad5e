"""What the reminder use cases return, and the small helpers they share."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import CursorResult, select
from sqlalchemy.orm import Session

from carenotes_server.db.models import PlanItem, Reminder, User
from carenotes_server.domain.reminder_state import ReminderState
from carenotes_server.services.keys import ClinicalCipher

PLAN_KIND = "plan_item"
"""Associated-data kind of a sealed plan item action."""


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
    """Dose counts of one plan item in force.

    For a bounded course, upcoming = prescribed + made_up - taken - skipped - missed:
    every missed dose within the make-up cap added one dose at the end of the course.
    """

    plan_item_id: uuid.UUID
    action: str
    taken: int
    skipped: int
    missed: int
    upcoming: int
    prescribed: int  # occurrences of the course; 0 for an ongoing plan
    made_up: int = 0
    course_ends_at: datetime | None = None


@dataclass(frozen=True)
class AdherenceView:
    items: list[ItemAdherence]
    note_id: uuid.UUID | None


@functools.lru_cache(maxsize=512)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def view_of(reminder: Reminder, text: str) -> ReminderView:
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


def rowcount(result: Any) -> int:
    return cast("CursorResult[Any]", result).rowcount


def zones_of(session: Session, patient_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, ZoneInfo]:
    ids = set(patient_ids)
    if not ids:
        return {}
    rows = session.execute(select(User.id, User.timezone).where(User.id.in_(ids))).all()
    return {row[0]: zone(row[1]) for row in rows}


class ActionTexts:
    """Decrypts plan item actions, each item once per call."""

    def __init__(self, cipher: ClinicalCipher) -> None:
        self._cipher = cipher

    def by_id(self, session: Session, plan_item_ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
        if not plan_item_ids:
            return {}
        items = session.scalars(select(PlanItem).where(PlanItem.id.in_(plan_item_ids))).all()
        return self.of(session, items)

    def of(self, session: Session, items: Sequence[PlanItem]) -> dict[uuid.UUID, str]:
        keys = self._cipher.keys(session, {item.pair_key_id for item in items})
        return {
            item.id: self._cipher.open(keys[item.pair_key_id], PLAN_KIND, item.id, item.ciphertext)
            for item in items
        }
