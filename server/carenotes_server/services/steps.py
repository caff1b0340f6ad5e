"""Steps in force: reading them, completing checklist items, and putting new ones in force.

New steps come into force in ONE transaction that supersedes the old set, cancels the
patient's pending reminders and writes the new items and reminders: a failed or slow
extraction never leaves a patient without a plan, and an older note that finishes after
a newer one never replaces the newer one's steps.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import (
    Boolean,
    ColumnElement,
    CompoundSelect,
    Connection,
    LargeBinary,
    Row,
    String,
    Uuid,
    bindparam,
    cast,
    insert,
    literal,
    null,
    select,
    union_all,
    update,
)
from sqlalchemy.orm import Session
from sqlalchemy.types import TypeEngine

from carenotes_server.clock import Clock
from carenotes_server.db.database import Database
from carenotes_server.db.models import (
    AuditEvent,
    ChecklistItem,
    Note,
    PairKey,
    PlanItem,
    StepSet,
    User,
    UtcDateTime,
)
from carenotes_server.domain import validation
from carenotes_server.domain.errors import (
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    ResourceExhausted,
)
from carenotes_server.domain.steps import ExtractedSteps, Schedule
from carenotes_server.extraction.base import Extractor
from carenotes_server.services import access, audit
from carenotes_server.services.caller import Caller
from carenotes_server.services.keys import ClinicalCipher
from carenotes_server.services.views import (
    EMPTY_STEPS,
    ChecklistItemView,
    ExtractionStatus,
    PlanItemView,
    StepsView,
)

_MAX_PREVIEWS_IN_FLIGHT = 32
CHECKLIST_KIND = "checklist_item"
PLAN_KIND = "plan_item"


class ReminderPlanner(Protocol):
    """What the reminders module does when steps change (kept behind a seam)."""

    def cancel_pending(self, session: Session, patient_id: uuid.UUID, now: datetime) -> int: ...

    def plan(
        self, session: Session, patient: User, items: list[PlanItem], now: datetime
    ) -> int: ...


SCHEDULE_COLUMNS = (
    PlanItem.times_per_day,
    PlanItem.every_hours,
    PlanItem.every_days,
    PlanItem.duration_days,
    PlanItem.occurrences,
    PlanItem.start_in_days,
    PlanItem.as_needed,
    PlanItem.times_of_day,
)


def _null(type_: TypeEngine[Any], name: str) -> ColumnElement[Any]:
    # Typed NULLs: PostgreSQL must be able to unify each column across the branches.
    return cast(null(), type_).label(name)


def _steps_in_force_statement() -> CompoundSelect[Any]:
    """The steps in force of one patient in ONE round trip: the step set row (kind "s"),
    its checklist items ("c") and plan items ("p"), as one UNION ALL. Built once; the
    hottest read of the API then costs no statement construction per call."""
    patient = bindparam("patient_id", type_=Uuid())
    in_force = (StepSet.patient_id == patient) & StepSet.superseded_at.is_(None)
    schedule_nulls = [_null(c.type, c.key) for c in SCHEDULE_COLUMNS]
    set_branch = select(
        literal("s").label("kind"),
        StepSet.id.label("id"),
        _null(Uuid(), "pair_key_id"),
        _null(LargeBinary(), "ciphertext"),
        _null(Boolean(), "done"),
        _null(UtcDateTime(), "completed_at"),
        *schedule_nulls,
        literal(0).label("position"),
        StepSet.note_id.label("note_id"),
        StepSet.extractor.label("extractor"),
        StepSet.created_at.label("created_at"),
    ).where(in_force)
    checklist_branch = (
        select(
            literal("c"),
            ChecklistItem.id,
            ChecklistItem.pair_key_id,
            ChecklistItem.ciphertext,
            ChecklistItem.done,
            ChecklistItem.completed_at,
            *schedule_nulls,
            ChecklistItem.position,
            _null(Uuid(), "note_id"),
            _null(String(), "extractor"),
            _null(UtcDateTime(), "created_at"),
        )
        .join(StepSet, StepSet.id == ChecklistItem.step_set_id)
        .where(in_force)
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
            PlanItem.position,
            _null(Uuid(), "note_id"),
            _null(String(), "extractor"),
            _null(UtcDateTime(), "created_at"),
        )
        .join(StepSet, StepSet.id == PlanItem.step_set_id)
        .where(in_force)
    )
    return union_all(set_branch, checklist_branch, plan_branch)


STEPS_IN_FORCE = _steps_in_force_statement()


def _audited_steps_read_statement() -> CompoundSelect[Any]:
    """PostgreSQL: the same read with its audit row written by the same statement (a
    data-modifying CTE). One autocommit round trip instead of BEGIN, SELECT, INSERT and
    COMMIT; the read and its audit row still commit together or not at all."""
    patient = bindparam("patient_id", type_=Uuid())
    set_in_force = (
        select(StepSet.id)
        .where(StepSet.patient_id == patient, StepSet.superseded_at.is_(None))
        .scalar_subquery()
    )
    audit_row = insert(AuditEvent).from_select(
        [
            "at",
            "actor_id",
            "actor_role",
            "action",
            "resource_type",
            "resource_id",
            "patient_id",
            "outcome",
            "reason",
        ],
        select(
            bindparam("at", type_=UtcDateTime()),
            bindparam("actor_id", type_=Uuid()),
            bindparam("actor_role", type_=String()),
            literal("steps.read"),
            literal("step_set"),
            cast(set_in_force, String()),
            patient,
            literal(audit.Outcome.ALLOWED.value),
            cast(null(), String()),
        ),
    )
    return _steps_in_force_statement().add_cte(audit_row.cte("steps_read_audit"))


STEPS_IN_FORCE_AUDITED = _audited_steps_read_statement()


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
    )


def in_force_set(session: Session, patient_id: uuid.UUID) -> StepSet | None:
    return session.scalars(
        select(StepSet).where(StepSet.patient_id == patient_id, StepSet.superseded_at.is_(None))
    ).first()


class StepsService:
    def __init__(
        self,
        db: Database,
        cipher: ClinicalCipher,
        clock: Clock,
        planner: ReminderPlanner,
        extractor: Extractor,
    ) -> None:
        self._db = db
        self._cipher = cipher
        self._clock = clock
        self._planner = planner
        self._extractor = extractor
        self._preview_pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="preview")
        self._previews_in_flight = 0

    # --- reading -------------------------------------------------------------------

    async def get(self, caller: Caller, patient_id: str) -> StepsView:
        patient = access.resolve_patient(
            caller, validation.parse_uuid(patient_id, "patient_id", required=caller.is_doctor)
        )
        assert patient is not None
        return await self._db.run(self._get, caller, patient)

    def _get(self, caller: Caller, patient_id: uuid.UUID) -> StepsView:
        now = self._clock.now()
        if not self._db.is_sqlite:
            with self._db.query() as connection:
                if access.may_read_patient(connection, caller, patient_id):
                    rows = connection.execute(
                        STEPS_IN_FORCE_AUDITED,
                        {
                            "patient_id": patient_id,
                            "at": now,
                            "actor_id": caller.user_id,
                            "actor_role": caller.role.value,
                        },
                    ).all()
                    return self._view_from_rows(connection, rows)
        else:
            with self._db.write() as session:
                if access.may_read_patient(session, caller, patient_id):
                    view = self._in_force_view(session, patient_id)
                    audit.record(
                        session,
                        at=now,
                        caller=caller,
                        action="steps.read",
                        resource_type="step_set",
                        resource_id=view.step_set_id,
                        patient_id=patient_id,
                    )
                    return view
        access.deny(
            self._db,
            self._clock,
            caller,
            action="steps.read",
            resource_type="patient",
            resource_id=patient_id,
            patient_id=patient_id,
            reason="not_allowed",
        )
        raise access.denied()

    def _in_force_view(self, session: Session, patient_id: uuid.UUID) -> StepsView:
        rows = session.execute(STEPS_IN_FORCE, {"patient_id": patient_id}).all()
        return self._view_from_rows(session, rows)

    def _view_from_rows(
        self, db: Session | Connection, rows: Sequence[Row[Any, *tuple[Any, ...]]]
    ) -> StepsView:
        head = next((r for r in rows if r.kind == "s"), None)
        if head is None:
            return EMPTY_STEPS
        items = sorted((r for r in rows if r.kind != "s"), key=lambda r: (r.kind, r.position))
        keys = self._cipher.keys(db, {r.pair_key_id for r in items})
        return StepsView(
            checklist=[
                ChecklistItemView(
                    r.id,
                    self._cipher.open(keys[r.pair_key_id], CHECKLIST_KIND, r.id, r.ciphertext),
                    bool(r.done),
                    r.completed_at,
                )
                for r in items
                if r.kind == "c"
            ],
            plan=[
                PlanItemView(
                    r.id,
                    self._cipher.open(keys[r.pair_key_id], PLAN_KIND, r.id, r.ciphertext),
                    schedule_of(r),
                )
                for r in items
                if r.kind == "p"
            ],
            note_id=head.note_id,
            extractor=head.extractor,
            created_at=head.created_at,
            step_set_id=head.id,
        )

    def view_of(self, session: Session, step_set: StepSet) -> StepsView:
        # Core selects of just the needed columns: this is the hottest read of the API.
        checklist = session.execute(
            select(
                ChecklistItem.id,
                ChecklistItem.pair_key_id,
                ChecklistItem.ciphertext,
                ChecklistItem.done,
                ChecklistItem.completed_at,
            )
            .where(ChecklistItem.step_set_id == step_set.id)
            .order_by(ChecklistItem.position)
        ).all()
        plan = session.execute(
            select(
                PlanItem.id,
                PlanItem.pair_key_id,
                PlanItem.ciphertext,
                *SCHEDULE_COLUMNS,
            )
            .where(PlanItem.step_set_id == step_set.id)
            .order_by(PlanItem.position)
        ).all()
        keys = self._cipher.keys(
            session, {c.pair_key_id for c in checklist} | {p.pair_key_id for p in plan}
        )
        return StepsView(
            checklist=[
                ChecklistItemView(
                    c.id,
                    self._cipher.open(keys[c.pair_key_id], CHECKLIST_KIND, c.id, c.ciphertext),
                    c.done,
                    c.completed_at,
                )
                for c in checklist
            ],
            plan=[
                PlanItemView(
                    p.id,
                    self._cipher.open(keys[p.pair_key_id], PLAN_KIND, p.id, p.ciphertext),
                    schedule_of(p),
                )
                for p in plan
            ],
            note_id=step_set.note_id,
            extractor=step_set.extractor,
            created_at=step_set.created_at,
            step_set_id=step_set.id,
        )

    async def complete_item(self, caller: Caller, item_id: str) -> ChecklistItemView:
        item_uuid = validation.required_uuid(item_id, "item_id")
        return await self._db.run(self._complete, caller, item_uuid)

    def _complete(self, caller: Caller, item_id: uuid.UUID) -> ChecklistItemView:
        now = self._clock.now()
        with self._db.write() as session:
            item = session.get(ChecklistItem, item_id)
            if item is not None and item.patient_id == caller.user_id:
                step_set = session.get(StepSet, item.step_set_id)
                if step_set is None or step_set.superseded_at is not None:
                    raise FailedPrecondition(
                        "this item belongs to steps that are no longer in force"
                    )
                if not item.done:
                    item.done, item.completed_at = True, now
                key = session.get(PairKey, item.pair_key_id)
                assert key is not None
                audit.record(
                    session,
                    at=now,
                    caller=caller,
                    action="checklist.complete",
                    resource_type="checklist_item",
                    resource_id=item.id,
                    patient_id=item.patient_id,
                )
                text = self._cipher.open(key, CHECKLIST_KIND, item.id, item.ciphertext)
                return ChecklistItemView(item.id, text, item.done, item.completed_at)
            patient_id = item.patient_id if item is not None else None
        access.deny(
            self._db,
            self._clock,
            caller,
            action="checklist.complete",
            resource_type="checklist_item",
            resource_id=item_id,
            patient_id=patient_id,
            reason="not_owner",
        )
        raise NotFound("no such checklist item")

    async def preview(self, caller: Caller, note: str) -> StepsView:
        violation = validation.note_text_violation(note)
        if violation:
            raise InvalidArgument(violation)
        # Previews run the extractor (maybe an LLM call of seconds) on their own small
        # pool with a bounded queue, so they can neither starve the database pool nor
        # pile up without limit.
        if self._previews_in_flight >= _MAX_PREVIEWS_IN_FLIGHT:
            raise ResourceExhausted("too many previews in progress; retry shortly", 1.0)
        self._previews_in_flight += 1
        try:
            loop = asyncio.get_running_loop()
            steps = await loop.run_in_executor(self._preview_pool, self._extractor.extract, note)
        finally:
            self._previews_in_flight -= 1
        await self._db.run(self._audit_preview, caller)
        return StepsView(
            checklist=[ChecklistItemView(None, c.text) for c in steps.checklist],
            plan=[PlanItemView(None, p.action, p.schedule) for p in steps.plan],
            note_id=None,
            extractor=self._extractor.name,
            created_at=None,
        )

    def _audit_preview(self, caller: Caller) -> None:
        with self._db.write() as session:
            audit.record(
                session,
                at=self._clock.now(),
                caller=caller,
                action="steps.preview",
                resource_type="note_text",
                resource_id=None,
                patient_id=None,
            )

    # --- putting steps in force (called by the extraction job) ----------------------

    def apply_extraction(self, note_id: uuid.UUID, steps: ExtractedSteps, extractor: str) -> bool:
        """Stores the steps of a note; returns False if the note was already extracted.

        Idempotent: a redelivered job finds the note DONE and changes nothing.
        """
        now = self._clock.now()
        with self._db.write() as session:
            note = session.get(Note, note_id)
            if note is None or note.extraction_status != ExtractionStatus.PENDING.value:
                return False
            patient = session.scalars(
                select(User).where(User.id == note.patient_id).with_for_update()
            ).one()
            # Re-read under the patient lock: a concurrent delivery may have finished.
            session.refresh(note)
            if note.extraction_status != ExtractionStatus.PENDING.value:
                return False
            current = in_force_set(session, patient.id)
            newer_in_force = current is not None and current.note_sequence > note.sequence
            if current is not None and not newer_in_force:
                current.superseded_at = now
                session.execute(
                    update(PlanItem).where(PlanItem.step_set_id == current.id).values(active=False)
                )
                session.flush()
            if not newer_in_force:
                self._planner.cancel_pending(session, patient.id, now)
            step_set = StepSet(
                id=uuid.uuid4(),
                note_id=note.id,
                patient_id=patient.id,
                doctor_id=note.doctor_id,
                note_sequence=note.sequence,
                extractor=extractor,
                created_at=now,
                # An older note finishing late is kept for the record, never in force.
                superseded_at=now if newer_in_force else None,
            )
            session.add(step_set)
            session.flush()
            key = session.get(PairKey, note.pair_key_id)
            assert key is not None
            plan_rows = self._write_items(
                session, step_set, key, steps, active=not newer_in_force, now=now
            )
            if not newer_in_force:
                self._planner.plan(session, patient, plan_rows, now)
            note.extraction_status = ExtractionStatus.DONE.value
            note.extractor = extractor
            note.extracted_at = now
            note.failure_reason = None
            audit.record(
                session,
                at=now,
                caller=None,
                action="steps.write",
                resource_type="step_set",
                resource_id=step_set.id,
                patient_id=patient.id,
                reason="superseded_on_arrival" if newer_in_force else None,
            )
            return True

    def _write_items(
        self,
        session: Session,
        step_set: StepSet,
        key: PairKey,
        steps: ExtractedSteps,
        *,
        active: bool,
        now: datetime,
    ) -> list[PlanItem]:
        for position, c in enumerate(steps.checklist):
            item_id = uuid.uuid4()
            session.add(
                ChecklistItem(
                    id=item_id,
                    step_set_id=step_set.id,
                    patient_id=step_set.patient_id,
                    position=position,
                    pair_key_id=key.id,
                    ciphertext=self._cipher.seal(key, CHECKLIST_KIND, item_id, c.text),
                    done=False,
                )
            )
        rows: list[PlanItem] = []
        for position, p in enumerate(steps.plan):
            item_id = uuid.uuid4()
            s = p.schedule
            row = PlanItem(
                id=item_id,
                step_set_id=step_set.id,
                patient_id=step_set.patient_id,
                position=position,
                pair_key_id=key.id,
                ciphertext=self._cipher.seal(key, PLAN_KIND, item_id, p.action),
                times_per_day=s.times_per_day,
                every_hours=s.every_hours,
                every_days=s.every_days,
                duration_days=s.duration_days,
                occurrences=s.occurrences,
                start_in_days=s.start_in_days,
                as_needed=s.as_needed,
                times_of_day=",".join(s.times_of_day),
                anchor_at=now,
                active=active,
            )
            session.add(row)
            rows.append(row)
        session.flush()
        return rows

    def mark_failed(self, note_id: uuid.UUID, reason: str) -> None:
        """FAILED with a PHI-free reason; the steps in force stay as they were."""
        with self._db.write() as session:
            note = session.get(Note, note_id)
            if note is None or note.extraction_status != ExtractionStatus.PENDING.value:
                return
            note.extraction_status = ExtractionStatus.FAILED.value
            note.failure_reason = reason[:300]
            audit.record(
                session,
                at=self._clock.now(),
                caller=None,
                action="steps.extract",
                resource_type="note",
                resource_id=note.id,
                patient_id=note.patient_id,
                outcome=audit.Outcome.FAILED,
                reason="extraction_failed",
            )

    def steps_of_note(self, note_id: uuid.UUID) -> StepsView | None:
        """The steps extracted from one note (used by SubmitNote's wait_for_steps)."""
        with self._db.read() as session:
            step_set = session.scalars(select(StepSet).where(StepSet.note_id == note_id)).first()
            return self.view_of(session, step_set) if step_set else None
