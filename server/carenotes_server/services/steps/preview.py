"""Previewing a note: its steps, and, given the patient, what it would change in the plan
in force, with the reminders each change would cancel or create. Nothing is saved but
the audit row."""

from __future__ import annotations

import asyncio
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import datetime

from sqlalchemy.orm import Session

from carenotes_server.clock import Clock
from carenotes_server.db.database import Database
from carenotes_server.db.models import User
from carenotes_server.domain import validation
from carenotes_server.domain.errors import (
    FailedPrecondition,
    InvalidArgument,
    ResourceExhausted,
    Unavailable,
)
from carenotes_server.domain.plan_change import (
    ChangeKind,
    ItemInForce,
    normalised_action,
    plan_change,
)
from carenotes_server.domain.steps import ExtractedSteps, InvalidSteps, PlanStep
from carenotes_server.extraction.base import ExtractionError, Extractor, TransientExtractionError
from carenotes_server.extraction.fallback import last_attempt_reader
from carenotes_server.extraction.rules import canonical_drug
from carenotes_server.services import access, audit
from carenotes_server.services.caller import Caller
from carenotes_server.services.care_team import is_team_doctor
from carenotes_server.services.keys import ClinicalCipher
from carenotes_server.services.reminders.planning import ReminderPlanning
from carenotes_server.services.reminders.views import zone
from carenotes_server.services.steps.apply import end_reasons
from carenotes_server.services.steps.queries import doctor_names, open_checklist_items
from carenotes_server.services.steps.read import (
    CHECKLIST_KIND,
    StepTexts,
    items_in_force,
    plan_item_view,
)
from carenotes_server.services.views import (
    ChecklistItemView,
    ItemChangeView,
    PlanChangeView,
    PlanItemView,
    StepsView,
)

_MAX_PREVIEWS_IN_FLIGHT = 32


class StepsPreview:
    def __init__(
        self,
        db: Database,
        cipher: ClinicalCipher,
        clock: Clock,
        extractor: Extractor,
        planning: ReminderPlanning,
    ) -> None:
        self._db = db
        self._clock = clock
        self._extractor = extractor
        self._planning = planning
        self._texts = StepTexts(cipher)
        self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="preview")
        self._in_flight = 0

    async def preview(self, caller: Caller, note: str, patient_id: str = "") -> StepsView:
        violation = validation.note_text_violation(note)
        if violation:
            raise InvalidArgument(violation)
        patient = validation.parse_uuid(patient_id, "patient_id", required=False)
        steps = await self._extract(note)
        return await self._db.run(self._view, caller, steps, patient)

    async def _extract(self, note: str) -> ExtractedSteps:
        # Previews run the extractor (maybe an LLM call of seconds) on their own small
        # pool with a bounded queue, so they can neither starve the database pool nor
        # pile up without limit.
        if self._in_flight >= _MAX_PREVIEWS_IN_FLIGHT:
            raise ResourceExhausted("too many previews in progress; retry shortly", 1.0)
        self._in_flight += 1
        try:
            loop = asyncio.get_running_loop()
            # No retry follows a preview: an unreachable LLM gives way to the rules
            # extractor at once, as on a job's last attempt, and the steps say so.
            read = last_attempt_reader(self._extractor)
            return await loop.run_in_executor(self._pool, read, note)
        except InvalidSteps as exc:
            # The caller's own note: the detail may name its items.
            raise FailedPrecondition(
                f"these steps would be refused: {exc.detail()}", exc.violations
            ) from None
        except TransientExtractionError:
            # Only an extractor with no fallback behind it gets here.
            raise Unavailable("the extractor is unavailable; retry shortly") from None
        except ExtractionError as exc:
            raise FailedPrecondition(str(exc) or "the extractor's answer was invalid") from None
        finally:
            self._in_flight -= 1

    def _view(
        self, caller: Caller, steps: ExtractedSteps, patient_id: uuid.UUID | None
    ) -> StepsView:
        now = self._clock.now()
        base = StepsView(
            checklist=[ChecklistItemView(None, c.text) for c in steps.checklist],
            plan=[_step_view(p) for p in steps.plan],
            note_id=None,
            extractor=steps.produced_by or self._extractor.name,
            created_at=None,
            warnings=steps.warnings,
        )
        with self._db.write() as session:
            allowed = patient_id is None or is_team_doctor(session, caller.user_id, patient_id)
            if allowed:
                audit.record(
                    session,
                    at=now,
                    caller=caller,
                    action="steps.preview",
                    resource_type="note_text" if patient_id is None else "patient",
                    resource_id=patient_id,
                    patient_id=patient_id,
                )
                if patient_id is None:
                    return base
                return replace(
                    base, plan_change=self._change(session, steps, patient_id, caller.user_id, now)
                )
        access.deny(
            self._db,
            self._clock,
            caller,
            action="steps.preview",
            resource_type="patient",
            resource_id=patient_id,
            patient_id=patient_id,
            reason="not_current_doctor",
        )
        raise access.denied()

    def _change(
        self,
        session: Session,
        steps: ExtractedSteps,
        patient_id: uuid.UUID,
        author: uuid.UUID,
        now: datetime,
    ) -> PlanChangeView:
        patient = session.get(User, patient_id)
        assert patient is not None
        tz = zone(patient.timezone)
        in_force = items_in_force(self._texts, session, patient_id)
        rows = {item.id: item for item, _ in in_force}
        change = plan_change(
            [seen for _, seen in in_force if seen.doctor_id == author],
            steps,
            canonical=canonical_drug,
            others=[seen for _, seen in in_force if seen.doctor_id != author],
        )
        cancelled = self._planning.scheduled_counts(session, list(end_reasons(change)))
        names = doctor_names(session, {seen.doctor_id for _, seen in in_force if seen.doctor_id})

        def current_view(seen: ItemInForce) -> PlanItemView:
            return plan_item_view(
                rows[seen.id],
                seen.action,
                doctor_id=seen.doctor_id,
                doctor_name=names.get(seen.doctor_id, "") if seen.doctor_id else "",
            )

        items = []
        for c in change.items:
            current = current_view(c.current) if c.current is not None else None
            new = _step_view(c.step) if c.step is not None else None
            creates = c.kind in (ChangeKind.STARTED, ChangeKind.CHANGED) and c.step is not None
            items.append(
                ItemChangeView(
                    kind=c.kind,
                    current=current,
                    new=new,
                    stop_reason=c.stop_reason,
                    reminders_cancelled=cancelled.get(c.current.id, 0) if c.current else 0,
                    reminders_created=self._planning.planned_count(c.step.schedule, tz, now)
                    if creates and c.step is not None
                    else 0,
                    duplicates=tuple(current_view(d) for d in c.duplicates),
                )
            )
        open_items = [c for c in open_checklist_items(session, patient_id) if not c.done]
        open_texts = {
            normalised_action(t)
            for t in self._texts.open_all(
                session, ((CHECKLIST_KIND, c) for c in open_items)
            ).values()
        }
        added = len({normalised_action(c.text) for c in steps.checklist} - open_texts)
        return PlanChangeView(items, checklist_added=added)


def _step_view(step: PlanStep) -> PlanItemView:
    return PlanItemView(None, step.action, step.schedule, continues=step.continues)
