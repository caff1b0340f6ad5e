"""The statements that read the steps in force, built once.

The steps in force of a patient are the open (or recently completed) checklist items
and the active plan items, whichever notes they came from, plus the newest note that
changed them (the "head", whose id, extractor and time the API reports).
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import (
    Boolean,
    ColumnElement,
    CompoundSelect,
    Connection,
    Integer,
    LargeBinary,
    Row,
    String,
    Uuid,
    bindparam,
    cast,
    literal,
    null,
    select,
    union_all,
)
from sqlalchemy.orm import Session
from sqlalchemy.types import TypeEngine

from carenotes_server.db.models import (
    ChecklistItem,
    PlanItem,
    StepSet,
    User,
    UtcDateTime,
)
from carenotes_server.domain.steps import Schedule

CHANGED = "CHANGED"
UNCHANGED = "UNCHANGED"
SUPERSEDED = "SUPERSEDED"
"""StepSet.outcome values."""

SCHEDULE_COLUMNS = (
    PlanItem.times_per_day,
    PlanItem.every_hours,
    PlanItem.every_days,
    PlanItem.duration_days,
    PlanItem.occurrences,
    PlanItem.start_in_days,
    PlanItem.as_needed,
    PlanItem.times_of_day,
    PlanItem.days_of_week,
)


def schedule_of(item: PlanItem | Row[Any, *tuple[Any, ...]]) -> Schedule:
    """The schedule of a plan item (an ORM object or a row with SCHEDULE_COLUMNS)."""
    return Schedule(
        times_per_day=item.times_per_day,
        every_hours=item.every_hours,
        every_days=item.every_days,
        duration_days=item.duration_days,
        occurrences=item.occurrences,
        start_in_days=item.start_in_days,
        as_needed=item.as_needed,
        times_of_day=tuple(t for t in item.times_of_day.split(",") if t),
        days_of_week=tuple(d for d in item.days_of_week.split(",") if d),
    )


def _null(type_: TypeEngine[Any], name: str) -> ColumnElement[Any]:
    # Typed NULLs: PostgreSQL must be able to unify each column across the branches.
    return cast(null(), type_).label(name)


def _head_id(patient: ColumnElement[Any]) -> Any:
    return (
        select(StepSet.id)
        .where(StepSet.patient_id == patient, StepSet.outcome == CHANGED)
        .order_by(StepSet.note_sequence.desc())
        .limit(1)
        .scalar_subquery()
    )


def head_note_id(db: Session | Connection, patient_id: uuid.UUID) -> uuid.UUID | None:
    """The newest note that changed the patient's steps, or None."""
    stmt = select(StepSet.note_id).where(StepSet.id == _head_id(literal(patient_id, Uuid())))
    note_id: uuid.UUID | None = db.execute(stmt).scalar()
    return note_id


def _steps_in_force_statement() -> CompoundSelect[Any]:
    """The steps in force of one patient in ONE round trip: the head step set (kind
    "s"), the checklist items ("c") and the plan items ("p"), as one UNION ALL. Built
    once; the hottest read of the API then costs no statement construction per call."""
    patient = bindparam("patient_id", type_=Uuid())
    schedule_nulls = [_null(c.type, c.key) for c in SCHEDULE_COLUMNS]
    item_nulls = [
        _null(UtcDateTime(), "anchor_at"),
        _null(UtcDateTime(), "course_ends_at"),
        _null(Integer(), "doses_made_up"),
    ]
    set_branch = select(
        literal("s").label("kind"),
        StepSet.id.label("id"),
        _null(Uuid(), "pair_key_id"),
        _null(LargeBinary(), "ciphertext"),
        _null(Boolean(), "done"),
        _null(UtcDateTime(), "completed_at"),
        *schedule_nulls,
        *item_nulls,
        literal(0).label("position"),
        StepSet.note_sequence.label("note_sequence"),
        StepSet.note_id.label("note_id"),
        StepSet.doctor_id.label("doctor_id"),
        _null(String(), "doctor_name"),
        StepSet.extractor.label("extractor"),
        StepSet.created_at.label("created_at"),
    ).where(StepSet.id == _head_id(patient))
    checklist_branch = (
        select(
            literal("c"),
            ChecklistItem.id,
            ChecklistItem.pair_key_id,
            ChecklistItem.ciphertext,
            ChecklistItem.done,
            ChecklistItem.completed_at,
            *schedule_nulls,
            *item_nulls,
            ChecklistItem.position,
            StepSet.note_sequence,
            StepSet.note_id,
            StepSet.doctor_id,
            User.name,
            _null(String(), "extractor"),
            _null(UtcDateTime(), "created_at"),
        )
        .join(StepSet, StepSet.id == ChecklistItem.step_set_id)
        .join(User, User.id == StepSet.doctor_id)
        .where(ChecklistItem.patient_id == patient, ChecklistItem.retired_at.is_(None))
    )
    plan_branch = (
        select(
            literal("p"),
            PlanItem.id,
            PlanItem.pair_key_id,
            PlanItem.ciphertext,
            _null(Boolean(), "done"),
            _null(UtcDateTime(), "completed_at"),
            *SCHEDULE_COLUMNS,
            PlanItem.anchor_at,
            PlanItem.course_ends_at,
            PlanItem.doses_made_up,
            PlanItem.position,
            StepSet.note_sequence,
            StepSet.note_id,
            StepSet.doctor_id,
            User.name,
            _null(String(), "extractor"),
            _null(UtcDateTime(), "created_at"),
        )
        .join(StepSet, StepSet.id == PlanItem.step_set_id)
        .join(User, User.id == StepSet.doctor_id)
        .where(PlanItem.patient_id == patient, PlanItem.active.is_(True))
    )
    return union_all(set_branch, checklist_branch, plan_branch)


STEPS_IN_FORCE = _steps_in_force_statement()


def plan_items_in_force(
    session: Session, patient_id: uuid.UUID
) -> list[tuple[PlanItem, uuid.UUID]]:
    """The patient's active plan items with the doctor who prescribed each, oldest first
    (locked by the caller's lock on the patient row when changing them)."""
    rows = session.execute(
        select(PlanItem, StepSet.doctor_id)
        .join(StepSet, StepSet.id == PlanItem.step_set_id)
        .where(PlanItem.patient_id == patient_id, PlanItem.active.is_(True))
        .order_by(PlanItem.anchor_at, PlanItem.position)
    ).all()
    return [(row[0], row[1]) for row in rows]


def doctor_names(db: Session | Connection, ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    if not ids:
        return {}
    rows = db.execute(select(User.id, User.name).where(User.id.in_(ids))).all()
    return {row[0]: row[1] for row in rows}


def open_checklist_items(session: Session, patient_id: uuid.UUID) -> list[ChecklistItem]:
    return list(
        session.scalars(
            select(ChecklistItem).where(
                ChecklistItem.patient_id == patient_id, ChecklistItem.retired_at.is_(None)
            )
        )
    )
