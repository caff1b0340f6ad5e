"""Plain read models the service layer returns (the gRPC layer maps them to messages)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from carenotes_server.domain.plan_change import ChangeKind, StopReason
from carenotes_server.domain.steps import Schedule


class ExtractionStatus(StrEnum):
    PENDING = "PENDING"
    DONE = "DONE"
    FAILED = "FAILED"


@dataclass(frozen=True)
class NoteView:
    id: uuid.UUID
    patient_id: uuid.UUID
    doctor_id: uuid.UUID
    text: str
    created_at: datetime
    extraction_status: ExtractionStatus
    failure_reason: str
    # The extractor that read the note ("rules" when it stood in for an LLM).
    extractor: str
    # What the extractor left out, and why: for the note's author only, never the patient.
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class ChecklistItemView:
    id: uuid.UUID | None
    text: str
    done: bool = False
    completed_at: datetime | None = None
    note_id: uuid.UUID | None = None
    doctor_id: uuid.UUID | None = None
    doctor_name: str = ""


@dataclass(frozen=True)
class PlanItemView:
    id: uuid.UUID | None
    action: str
    schedule: Schedule
    note_id: uuid.UUID | None = None
    doctor_id: uuid.UUID | None = None
    doctor_name: str = ""
    started_at: datetime | None = None
    course_ends_at: datetime | None = None
    doses_made_up: int = 0
    continues: bool = False


@dataclass(frozen=True)
class ItemChangeView:
    """One line of a plan change: `current` is the item in force it keeps, stops or
    replaces; `new` the item it starts (or the note's restatement of a kept one)."""

    kind: ChangeKind
    current: PlanItemView | None
    new: PlanItemView | None
    stop_reason: StopReason | None = None
    reminders_cancelled: int = 0
    reminders_created: int = 0
    duplicates: tuple[PlanItemView, ...] = ()


@dataclass(frozen=True)
class PlanChangeView:
    items: list[ItemChangeView]
    checklist_added: int = 0
    # An older note that finished after a newer one had changed the plan: not applied.
    superseded: bool = False

    @property
    def changes_plan(self) -> bool:
        return any(c.kind is not ChangeKind.KEPT for c in self.items)


@dataclass(frozen=True)
class StepsView:
    checklist: list[ChecklistItemView]
    plan: list[PlanItemView]
    note_id: uuid.UUID | None
    extractor: str
    created_at: datetime | None
    plan_change: PlanChangeView | None = None
    # One note's extraction (SubmitNote's answer, a preview) for its author: what was
    # left out. Never set on the steps in force, which the patient reads.
    warnings: tuple[str, ...] = ()


EMPTY_STEPS = StepsView([], [], None, "", None)


@dataclass(frozen=True)
class SubmittedNote:
    note_id: uuid.UUID
    status: ExtractionStatus
    failure_reason: str
    steps: StepsView | None
