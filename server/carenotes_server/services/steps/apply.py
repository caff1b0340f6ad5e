"""Putting a note's steps in force (called by the extraction job), or recording why not.

One transaction, under the patient's row lock, computes what the note changes
(domain/plan_change), ends the items it stops or replaces (their SCHEDULED reminders
cancelled, SENT ones left answerable), starts its new items with their reminders,
adds its checklist, and records the change. A failed extraction changes nothing, and an
older note that finishes after a newer one changed the plan is kept for the record only.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import exists, select, update
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
    User,
)
from carenotes_server.domain.plan_change import (
    ChangeKind,
    PlanChange,
    StopReason,
    normalised_action,
    plan_change,
    taper_steps,
)
from carenotes_server.domain.steps import ExtractedSteps, PlanStep
from carenotes_server.extraction.rules import canonical_drug
from carenotes_server.services import audit
from carenotes_server.services.keys import ClinicalCipher
from carenotes_server.services.note_warnings import seal_warnings
from carenotes_server.services.notes import NOTE_FAILURE_KIND
from carenotes_server.services.reminders.planning import ReminderPlanning
from carenotes_server.services.steps.queries import (
    CHANGED,
    SUPERSEDED,
    UNCHANGED,
    open_checklist_items,
)
from carenotes_server.services.steps.read import (
    CHECKLIST_KIND,
    PLAN_KIND,
    StepTexts,
    items_in_force,
)
from carenotes_server.services.views import ExtractionStatus

_END_REASONS = {
    StopReason.EXPLICIT: "STOPPED",
    StopReason.REPLACED: "REPLACED",
}


class StepsApplier:
    def __init__(
        self, db: Database, cipher: ClinicalCipher, clock: Clock, planning: ReminderPlanning
    ) -> None:
        self._db = db
        self._cipher = cipher
        self._clock = clock
        self._planning = planning
        self._texts = StepTexts(cipher)

    def apply_extraction(self, note_id: uuid.UUID, steps: ExtractedSteps, extractor: str) -> bool:
        """Applies the steps of a note; returns False if the note was already settled.

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
            key = session.get(PairKey, note.pair_key_id)
            assert key is not None
            step_set = StepSet(
                id=uuid.uuid4(),
                note_id=note.id,
                patient_id=patient.id,
                doctor_id=note.doctor_id,
                note_sequence=note.sequence,
                extractor=extractor,
                created_at=now,
                outcome=UNCHANGED,
                checklist_added=0,
            )
            session.add(step_set)
            session.flush()
            if self._newer_note_changed_plan(session, note):
                step_set.outcome = SUPERSEDED
                self._write_for_the_record(session, step_set, key, steps, now)
            else:
                self._apply(session, patient, note, step_set, key, steps, now)
            note.extraction_status = ExtractionStatus.DONE.value
            note.extractor = extractor
            note.warnings = seal_warnings(self._cipher, key, note.id, steps.warnings)
            note.extracted_at = now
            note.failure_reason = None
            note.failure_detail = None
            audit.record(
                session,
                at=now,
                caller=None,
                action="steps.write",
                resource_type="step_set",
                resource_id=step_set.id,
                patient_id=patient.id,
                reason={
                    SUPERSEDED: "superseded_on_arrival",
                    UNCHANGED: "no_change",
                }.get(step_set.outcome),
            )
            return True

    @staticmethod
    def _newer_note_changed_plan(session: Session, note: Note) -> bool:
        """Whether this note comes too late: a newer note of its author changed the plan,
        or a newer note of any team doctor explicitly stopped something. Applying it then
        would undo a newer decision (restart what was stopped since)."""
        newer = (
            StepSet.patient_id == note.patient_id,
            StepSet.note_sequence > note.sequence,
            StepSet.outcome == CHANGED,
        )
        same_author = select(exists().where(*newer, StepSet.doctor_id == note.doctor_id))
        explicit_stop = select(
            exists().where(
                *newer,
                PlanChangeRecord.step_set_id == StepSet.id,
                PlanChangeRecord.stop_reason == StopReason.EXPLICIT.value,
            )
        )
        return bool(session.scalar(same_author)) or bool(session.scalar(explicit_stop))

    def _apply(
        self,
        session: Session,
        patient: User,
        note: Note,
        step_set: StepSet,
        key: PairKey,
        steps: ExtractedSteps,
        now: datetime,
    ) -> None:
        in_force = items_in_force(self._texts, session, patient.id)
        rows = {item.id: item for item, _ in in_force}
        # The note replaces its author's plan; other team doctors' items end only by an
        # explicit stop.
        change = plan_change(
            [seen for _, seen in in_force if seen.doctor_id == note.doctor_id],
            steps,
            canonical=canonical_drug,
            others=[seen for _, seen in in_force if seen.doctor_id != note.doctor_id],
        )
        added = self._add_checklist(session, step_set, key, steps, now)
        if not change.changes_plan and not added:
            self._record(session, step_set, change, {}, {}, {})
            return
        step_set.outcome = CHANGED
        step_set.checklist_added = added
        self._retire_done_checklist(session, patient.id, note.doctor_id, step_set.id, now)
        ending = end_reasons(change)
        for item_id, reason in ending.items():
            item = rows[item_id]
            item.active = False
            item.ended_at = now
            item.end_reason = reason
            item.ended_by_note_id = note.id
        session.flush()
        cancelled = self._planning.cancel_items(session, list(ending))
        tapers = taper_steps(steps.plan, canonical_drug)
        new_items = {
            c.step_index: self._new_plan_item(
                session, step_set, key, c.step_index, c.step, now, c.step_index not in tapers
            )
            for c in change.items
            if c.kind in (ChangeKind.STARTED, ChangeKind.CHANGED)
            and c.step is not None
            and c.step_index is not None
        }
        session.flush()
        created = self._planning.plan(session, patient, list(new_items.values()), now)
        self._record(session, step_set, change, new_items, cancelled, created)

    def _new_plan_item(
        self,
        session: Session,
        step_set: StepSet,
        key: PairKey,
        position: int,
        step: PlanStep,
        now: datetime,
        makeup_allowed: bool,
        *,
        active: bool = True,
    ) -> PlanItem:
        item_id = uuid.uuid4()
        s = step.schedule
        row = PlanItem(
            id=item_id,
            step_set_id=step_set.id,
            patient_id=step_set.patient_id,
            position=position,
            pair_key_id=key.id,
            ciphertext=self._texts.seal(key, PLAN_KIND, item_id, step.action),
            times_per_day=s.times_per_day,
            every_hours=s.every_hours,
            every_days=s.every_days,
            duration_days=s.duration_days,
            occurrences=s.occurrences,
            start_in_days=s.start_in_days,
            as_needed=s.as_needed,
            times_of_day=",".join(s.times_of_day),
            days_of_week=",".join(s.days_of_week),
            anchor_at=now,
            active=active,
            ended_at=None if active else now,
            end_reason=None if active else SUPERSEDED,
            doses_made_up=0,
            makeup_allowed=makeup_allowed,
        )
        session.add(row)
        return row

    def _add_checklist(
        self,
        session: Session,
        step_set: StepSet,
        key: PairKey,
        steps: ExtractedSteps,
        now: datetime,
        *,
        retired: bool = False,
    ) -> int:
        """Adds the note's checklist items that are not already open; returns how many."""
        open_texts: set[str] = set()
        if not retired:
            items = [c for c in open_checklist_items(session, step_set.patient_id) if not c.done]
            opened = self._texts.open_all(session, ((CHECKLIST_KIND, c) for c in items))
            open_texts = {normalised_action(text) for text in opened.values()}
        added = 0
        for position, c in enumerate(steps.checklist):
            if normalised_action(c.text) in open_texts:
                continue
            open_texts.add(normalised_action(c.text))
            item_id = uuid.uuid4()
            session.add(
                ChecklistItem(
                    id=item_id,
                    step_set_id=step_set.id,
                    patient_id=step_set.patient_id,
                    position=position,
                    pair_key_id=key.id,
                    ciphertext=self._texts.seal(key, CHECKLIST_KIND, item_id, c.text),
                    done=False,
                    retired_at=now if retired else None,
                )
            )
            added += 1
        return added

    @staticmethod
    def _retire_done_checklist(
        session: Session,
        patient_id: uuid.UUID,
        doctor_id: uuid.UUID,
        keep_set: uuid.UUID,
        now: datetime,
    ) -> None:
        """Ticked tasks of the author's older notes leave the checklist once a newer
        note of theirs changes it."""
        authors_sets = select(StepSet.id).where(
            StepSet.patient_id == patient_id, StepSet.doctor_id == doctor_id
        )
        session.execute(
            update(ChecklistItem)
            .where(
                ChecklistItem.patient_id == patient_id,
                ChecklistItem.retired_at.is_(None),
                ChecklistItem.done.is_(True),
                ChecklistItem.step_set_id != keep_set,
                ChecklistItem.step_set_id.in_(authors_sets),
            )
            .values(retired_at=now)
            .execution_options(synchronize_session=False)
        )

    def _write_for_the_record(
        self,
        session: Session,
        step_set: StepSet,
        key: PairKey,
        steps: ExtractedSteps,
        now: datetime,
    ) -> None:
        self._add_checklist(session, step_set, key, steps, now, retired=True)
        for position, step in enumerate(steps.plan):
            self._new_plan_item(session, step_set, key, position, step, now, True, active=False)
        session.flush()

    @staticmethod
    def _record(
        session: Session,
        step_set: StepSet,
        change: PlanChange,
        new_items: dict[int, PlanItem],
        cancelled: dict[uuid.UUID, int],
        created: dict[uuid.UUID, int],
    ) -> None:
        for position, c in enumerate(change.items):
            current_id = c.current.id if c.current is not None else None
            new_item = new_items.get(c.step_index) if c.step_index is not None else None
            if new_item is not None:
                new_id: uuid.UUID | None = new_item.id
            elif c.kind is ChangeKind.KEPT and c.step is not None:
                new_id = current_id  # the note restates the kept item
            else:
                new_id = None
            session.add(
                PlanChangeRecord(
                    id=uuid.uuid4(),
                    step_set_id=step_set.id,
                    position=position,
                    kind=c.kind.value,
                    plan_item_id=current_id,
                    new_plan_item_id=new_id,
                    stop_reason=c.stop_reason.value if c.stop_reason else None,
                    reminders_cancelled=cancelled.get(current_id, 0) if current_id else 0,
                    reminders_created=created.get(new_item.id, 0) if new_item else 0,
                )
            )

    def mark_failed(self, note_id: uuid.UUID, reason: str, detail: str | None = None) -> None:
        """FAILED with a PHI-free reason (and, sealed with the pair key, a detail that may
        name the items); the steps in force stay as they were."""
        with self._db.write() as session:
            note = session.get(Note, note_id)
            if note is None or note.extraction_status != ExtractionStatus.PENDING.value:
                return
            note.extraction_status = ExtractionStatus.FAILED.value
            note.failure_reason = reason[:300]
            if detail:
                key = session.get(PairKey, note.pair_key_id)
                assert key is not None
                note.failure_detail = self._cipher.seal(key, NOTE_FAILURE_KIND, note.id, detail)
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


def end_reasons(change: PlanChange) -> dict[uuid.UUID, str]:
    """PlanItem.end_reason of each item in force the change ends, by item id."""
    out: dict[uuid.UUID, str] = {}
    for c in change.items:
        if c.current is None:
            continue
        if c.kind is ChangeKind.CHANGED:
            out[c.current.id] = "CHANGED"
        elif c.kind is ChangeKind.STOPPED and c.stop_reason is not None:
            out[c.current.id] = _END_REASONS[c.stop_reason]
    return out
