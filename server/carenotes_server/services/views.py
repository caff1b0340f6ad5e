"""Plain read models the service layer returns (the gRPC layer maps them to messages)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

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
    extractor: str


@dataclass(frozen=True)
class ChecklistItemView:
    id: uuid.UUID | None
    text: str
    done: bool = False
    completed_at: datetime | None = None


@dataclass(frozen=True)
class PlanItemView:
    id: uuid.UUID | None
    action: str
    schedule: Schedule


@dataclass(frozen=True)
class StepsView:
    checklist: list[ChecklistItemView]
    plan: list[PlanItemView]
    note_id: uuid.UUID | None
    extractor: str
    created_at: datetime | None
    step_set_id: uuid.UUID | None = None


EMPTY_STEPS = StepsView([], [], None, "", None)


@dataclass(frozen=True)
class SubmittedNote:
    note_id: uuid.UUID
    status: ExtractionStatus
    failure_reason: str
    steps: StepsView | None
