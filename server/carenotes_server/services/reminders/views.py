"""What the reminder use cases return, and the small helpers they share."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, cast
from zoneinfo import ZoneInfo

from sqlalchemy import CursorResult, select
from sqlalchemy.orm import Session

from carenotes_server.db.models import PlanItem, Reminder, StepSet, User
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
    doctor_id: uuid.UUID | None = None
    doctor_name: str = ""


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
    doctor_id: uuid.UUID | None = None
    doctor_name: str = ""


@dataclass(frozen=True)
class AdherenceView:
    items: list[ItemAdherence]
    note_id: uuid.UUID | None


@functools.lru_cache(maxsize=512)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


@dataclass(frozen=True)
class ItemLabel:
    """What a reminder says of its plan item: the action, and who prescribed it."""

    text: str
    doctor_id: uuid.UUID | None = None
    doctor_name: str = ""


class ReminderFields(Protocol):
    """What a view is made of: a Reminder, or a row of VIEW_COLUMNS (no ORM object to
    build, which matters when thousands are loaded at once)."""

    @property
    def id(self) -> uuid.UUID: ...
    @property
    def plan_item_id(self) -> uuid.UUID: ...
    @property
    def patient_id(self) -> uuid.UUID: ...
    @property
    def note_id(self) -> uuid.UUID: ...
    @property
    def due_at(self) -> datetime: ...
    @property
    def status(self) -> str: ...
    @property
    def makeup_of_id(self) -> uuid.UUID | None: ...
    @property
    def sent_at(self) -> datetime | None: ...
    @property
    def acknowledged_at(self) -> datetime | None: ...
    @property
    def window_ends_at(self) -> datetime: ...
    @property
    def delivery_seq(self) -> int | None: ...


VIEW_COLUMNS = (
    Reminder.id,
    Reminder.plan_item_id,
    Reminder.patient_id,
    Reminder.note_id,
    Reminder.due_at,
    Reminder.status,
    Reminder.makeup_of_id,
    Reminder.sent_at,
    Reminder.acknowledged_at,
    Reminder.window_ends_at,
    Reminder.delivery_seq,
)


class SealedItem(Protocol):
    @property
    def id(self) -> uuid.UUID: ...
    @property
    def pair_key_id(self) -> uuid.UUID: ...
    @property
    def ciphertext(self) -> bytes: ...


def view_of(reminder: ReminderFields, label: ItemLabel) -> ReminderView:
    return ReminderView(
        id=reminder.id,
        plan_item_id=reminder.plan_item_id,
        patient_id=reminder.patient_id,
        note_id=reminder.note_id,
        text=label.text,
        doctor_id=label.doctor_id,
        doctor_name=label.doctor_name,
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
    """Decrypts plan item actions, each item once per call, with their doctor."""

    def __init__(self, cipher: ClinicalCipher) -> None:
        self._cipher = cipher

    def by_id(self, session: Session, plan_item_ids: set[uuid.UUID]) -> dict[uuid.UUID, ItemLabel]:
        if not plan_item_ids:
            return {}
        rows = session.execute(
            select(
                PlanItem.id,
                PlanItem.pair_key_id,
                PlanItem.ciphertext,
                StepSet.doctor_id,
                User.name.label("doctor_name"),
            )
            .join(StepSet, StepSet.id == PlanItem.step_set_id)
            .join(User, User.id == StepSet.doctor_id)
            .where(PlanItem.id.in_(plan_item_ids))
        ).all()
        texts = self.of(session, rows)
        return {row.id: ItemLabel(texts[row.id], row.doctor_id, row.doctor_name) for row in rows}

    def of(self, session: Session, items: Sequence[SealedItem]) -> dict[uuid.UUID, str]:
        keys = self._cipher.keys(session, {item.pair_key_id for item in items})
        return {
            item.id: self._cipher.open(keys[item.pair_key_id], PLAN_KIND, item.id, item.ciphertext)
            for item in items
        }
