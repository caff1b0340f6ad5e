"""Reading steps: the steps in force of a patient, what one note's steps were and did,
and ticking a checklist item. One view builder serves every read."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any

from sqlalchemy import Connection, Row, select
from sqlalchemy.orm import Session

from carenotes_server.clock import Clock
from carenotes_server.db.database import Database
from carenotes_server.db.models import (
    ChecklistItem,
    Note,
    PairKey,
    PlanChangeRecord,
    PlanItem,
    StepSet,
)
from carenotes_server.domain import validation
from carenotes_server.domain.errors import FailedPrecondition, NotFound
from carenotes_server.domain.plan_change import ChangeKind, ItemInForce, StopReason, subject_key
from carenotes_server.extraction.rules import canonical_drug
from carenotes_server.services import access, audit
from carenotes_server.services.audit_writer import AuditWriter
from carenotes_server.services.caller import Caller
from carenotes_server.services.keys import ClinicalCipher
from carenotes_server.services.note_warnings import open_warnings
from carenotes_server.services.steps.queries import (
    STEPS_IN_FORCE,
    SUPERSEDED,
    doctor_names,
    plan_items_in_force,
    schedule_of,
)
from carenotes_server.services.views import (
    EMPTY_STEPS,
    ChecklistItemView,
    ItemChangeView,
    PlanChangeView,
    PlanItemView,
    StepsView,
)

CHECKLIST_KIND = "checklist_item"
PLAN_KIND = "plan_item"
"""Associated-data kinds of sealed step texts (bound into each ciphertext)."""

Rows = Sequence[Row[Any, *tuple[Any, ...]]]


class StepTexts:
    """Opens sealed step texts, fetching each pair key once per call."""

    def __init__(self, cipher: ClinicalCipher) -> None:
        self._cipher = cipher

    def open_all(
        self, db: Session | Connection, items: Iterable[tuple[str, Any]]
    ) -> dict[uuid.UUID, str]:
        """Text by item id for (kind, row) pairs; each row has id, pair_key_id, ciphertext."""
        pairs = list(items)
        keys = self._cipher.keys(db, {row.pair_key_id for _, row in pairs})
        return {
            row.id: self._cipher.open(keys[row.pair_key_id], kind, row.id, row.ciphertext)
            for kind, row in pairs
        }

    def seal(self, key: PairKey, kind: str, item_id: uuid.UUID, text: str) -> bytes:
        return self._cipher.seal(key, kind, item_id, text)


def plan_item_view(
    item: Any, text: str, *, note_id: Any = None, doctor_id: Any = None, doctor_name: str = ""
) -> PlanItemView:
    """The view of a plan item: an ORM PlanItem or a row of STEPS_IN_FORCE."""
    return PlanItemView(
        id=item.id,
        action=text,
        schedule=schedule_of(item),
        note_id=note_id,
        doctor_id=doctor_id,
        doctor_name=doctor_name,
        started_at=item.anchor_at,
        course_ends_at=item.course_ends_at,
        doses_made_up=item.doses_made_up or 0,
    )


def steps_view_from_rows(texts: StepTexts, db: Session | Connection, rows: Rows) -> StepsView:
    """The steps in force from the rows of STEPS_IN_FORCE."""
    items = sorted(
        (r for r in rows if r.kind != "s"), key=lambda r: (r.kind, r.note_sequence, r.position)
    )
    if not items:
        return EMPTY_STEPS
    head = next((r for r in rows if r.kind == "s"), None)
    opened = texts.open_all(
        db, ((CHECKLIST_KIND if r.kind == "c" else PLAN_KIND, r) for r in items)
    )
    return StepsView(
        checklist=[
            ChecklistItemView(
                r.id,
                opened[r.id],
                bool(r.done),
                r.completed_at,
                r.note_id,
                r.doctor_id,
                r.doctor_name or "",
            )
            for r in items
            if r.kind == "c"
        ],
        plan=[
            plan_item_view(
                r,
                opened[r.id],
                note_id=r.note_id,
                doctor_id=r.doctor_id,
                doctor_name=r.doctor_name or "",
            )
            for r in items
            if r.kind == "p"
        ],
        note_id=head.note_id if head is not None else None,
        extractor=head.extractor if head is not None else "",
        created_at=head.created_at if head is not None else None,
    )


def items_in_force(
    texts: StepTexts, session: Session, patient_id: uuid.UUID
) -> list[tuple[PlanItem, ItemInForce]]:
    """The patient's plan in force, every doctor's: each active item with what the plan
    rules see."""
    items = plan_items_in_force(session, patient_id)
    opened = texts.open_all(session, ((PLAN_KIND, item) for item, _ in items))
    return [
        (item, ItemInForce(item.id, opened[item.id], schedule_of(item), doctor_id))
        for item, doctor_id in items
    ]


class StepsReader:
    def __init__(self, db: Database, cipher: ClinicalCipher, clock: Clock) -> None:
        self._db = db
        self._clock = clock
        self._cipher = cipher
        self._texts = StepTexts(cipher)
        self._audit = AuditWriter(db)

    async def get(self, caller: Caller, patient_id: str) -> StepsView:
        patient = access.resolve_patient(
            caller, validation.parse_uuid(patient_id, "patient_id", required=caller.is_doctor)
        )
        assert patient is not None
        if self._db.reads_inline:
            found = self._read(caller, patient)
        else:
            found = await self._db.run(self._read, caller, patient)
        if found is None:
            await self._db.run(self._deny, caller, patient)
            raise access.denied()
        view, audit_row = found
        # Answered only once its audit row is durable: a failed commit fails this call, so
        # no steps leave unaudited. The row shares its commit with concurrent calls'.
        await self._audit.record(audit_row)
        return view

    def _read(
        self, caller: Caller, patient_id: uuid.UUID
    ) -> tuple[StepsView, dict[str, object]] | None:
        """The steps and their audit row, or None when the caller may not read them."""
        now = self._clock.now()
        # A read connection (autocommit on PostgreSQL, a WAL reader on SQLite): the read
        # never waits for a writer, nor holds the write lock while it decrypts.
        with self._db.query() as connection:
            if not access.may_read_patient(connection, caller, patient_id):
                return None
            rows = connection.execute(STEPS_IN_FORCE, {"patient_id": patient_id}).all()
            head = next((r.id for r in rows if r.kind == "s"), None)
            view = steps_view_from_rows(self._texts, connection, rows)
        return view, audit.row(
            at=now,
            caller=caller,
            action="steps.read",
            resource_type="step_set",
            resource_id=head,
            patient_id=patient_id,
        )

    def _deny(self, caller: Caller, patient_id: uuid.UUID) -> None:
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

    async def complete_item(self, caller: Caller, item_id: str) -> ChecklistItemView:
        item_uuid = validation.required_uuid(item_id, "item_id")
        return await self._db.run(self._complete, caller, item_uuid)

    def _complete(self, caller: Caller, item_id: uuid.UUID) -> ChecklistItemView:
        now = self._clock.now()
        with self._db.write() as session:
            item = session.get(ChecklistItem, item_id)
            if item is not None and item.patient_id == caller.user_id:
                if item.retired_at is not None:
                    raise FailedPrecondition("this item is no longer on your checklist")
                if not item.done:
                    item.done, item.completed_at = True, now
                audit.record(
                    session,
                    at=now,
                    caller=caller,
                    action="checklist.complete",
                    resource_type="checklist_item",
                    resource_id=item.id,
                    patient_id=item.patient_id,
                )
                text = self._texts.open_all(session, [(CHECKLIST_KIND, item)])[item.id]
                step_set = session.get(StepSet, item.step_set_id)
                assert step_set is not None
                return ChecklistItemView(
                    item.id,
                    text,
                    item.done,
                    item.completed_at,
                    step_set.note_id,
                    step_set.doctor_id,
                )
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

    async def note_steps(self, note_id: uuid.UUID) -> StepsView | None:
        """steps_of_note on the database pool."""
        return await self._db.run(self.steps_of_note, note_id)

    def steps_of_note(self, note_id: uuid.UUID) -> StepsView | None:
        """What one note's steps were and what they did to the plan in force (SubmitNote
        with wait_for_steps): its checklist, the plan items it names (the kept ones as
        they are in force), its stops, and the change."""
        with self._db.read() as session:
            step_set = session.scalars(select(StepSet).where(StepSet.note_id == note_id)).first()
            note = session.get(Note, note_id)
            if step_set is None or note is None:
                return None
            # Only ever shown to the note's author (SubmitNote's caller).
            key = self._cipher.keys(session, {note.pair_key_id})[note.pair_key_id]
            warnings = open_warnings(self._cipher, key, note.id, note.warnings)
            return replace(self._note_view(session, step_set), warnings=warnings)

    def _note_view(self, session: Session, step_set: StepSet) -> StepsView:
        records = session.scalars(
            select(PlanChangeRecord)
            .where(PlanChangeRecord.step_set_id == step_set.id)
            .order_by(PlanChangeRecord.position)
        ).all()
        referenced = {r.plan_item_id for r in records} | {r.new_plan_item_id for r in records}
        own = session.scalars(select(PlanItem).where(PlanItem.step_set_id == step_set.id)).all()
        items = {i.id: i for i in own}
        missing = {i for i in referenced if i is not None and i not in items}
        if missing:
            items.update(
                (i.id, i) for i in session.scalars(select(PlanItem).where(PlanItem.id.in_(missing)))
            )
        sets = {
            s.id: s
            for s in session.scalars(
                select(StepSet).where(StepSet.id.in_({i.step_set_id for i in items.values()}))
            )
        }
        checklist = session.scalars(
            select(ChecklistItem)
            .where(ChecklistItem.step_set_id == step_set.id)
            .order_by(ChecklistItem.position)
        ).all()
        opened = self._texts.open_all(
            session,
            [*((PLAN_KIND, i) for i in items.values()), *((CHECKLIST_KIND, c) for c in checklist)],
        )
        others = [
            (row, seen)
            for row, seen in items_in_force(self._texts, session, step_set.patient_id)
            if seen.doctor_id != step_set.doctor_id
        ]
        names = doctor_names(
            session,
            {s.doctor_id for s in sets.values()}
            | {step_set.doctor_id}
            | {seen.doctor_id for _, seen in others if seen.doctor_id},
        )

        def view(item_id: uuid.UUID | None) -> PlanItemView | None:
            if item_id is None:
                return None
            item = items[item_id]
            origin = sets[item.step_set_id]
            return plan_item_view(
                item,
                opened[item.id],
                note_id=origin.note_id,
                doctor_id=origin.doctor_id,
                doctor_name=names.get(origin.doctor_id, ""),
            )

        def duplicates(new: PlanItemView | None) -> tuple[PlanItemView, ...]:
            if new is None:
                return ()
            key = subject_key(new.action, canonical_drug)
            return tuple(
                plan_item_view(
                    row,
                    seen.action,
                    doctor_id=seen.doctor_id,
                    doctor_name=names.get(seen.doctor_id, "") if seen.doctor_id else "",
                )
                for row, seen in others
                if subject_key(seen.action, canonical_drug) == key
            )

        changes = []
        for r in records:
            new = view(r.new_plan_item_id)
            changes.append(
                ItemChangeView(
                    kind=ChangeKind(r.kind),
                    current=view(r.plan_item_id),
                    new=new,
                    stop_reason=StopReason(r.stop_reason) if r.stop_reason else None,
                    reminders_cancelled=r.reminders_cancelled,
                    reminders_created=r.reminders_created,
                    duplicates=duplicates(new) if r.kind != ChangeKind.STOPPED else (),
                )
            )
        if step_set.outcome == SUPERSEDED:
            plan = [v for v in (view(i.id) for i in sorted(own, key=lambda i: i.position)) if v]
        else:
            plan = [c.new for c in changes if c.new is not None]
        return StepsView(
            checklist=[
                ChecklistItemView(
                    c.id,
                    opened[c.id],
                    c.done,
                    c.completed_at,
                    step_set.note_id,
                    step_set.doctor_id,
                    names.get(step_set.doctor_id, ""),
                )
                for c in checklist
            ],
            plan=plan,
            note_id=step_set.note_id,
            extractor=step_set.extractor,
            created_at=step_set.created_at,
            plan_change=PlanChangeView(
                changes,
                checklist_added=step_set.checklist_added,
                superseded=step_set.outcome == SUPERSEDED,
            ),
        )
