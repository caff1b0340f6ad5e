"""The offline extractor: regular expressions over clinical shorthand, no model, no network.

How a note is read:

1. The note is cut into trusted clauses, each in its section (clauses.py): injected
   text is left out; history, findings and the assessment are context.
2. Context is not read, except for explicit instructions; history, findings, doses
   given in clinic and staff orders are recognised clause by clause too (context.py).
3. Each instruction is cut where it joins instructions of different kinds, and each
   part is tried, in order, as a stop or hold (stops.py), a warning ("avoid", "do
   not": never a step), a purchase, medicines (dosing.py), a follow-up, a scheduled
   activity, a test (activities.py), a timed single action or a task (tasks.py).
4. Medicines named in a stop never become plan items, whatever else the note says about
   them: the safety rule wins over recall.

What cannot be read safely is left out with a warning, never guessed; a clause that
breaks the reader is left out the same way, so one sentence never fails a note.
"""

from __future__ import annotations

import logging
import re
from dataclasses import replace

from carenotes_server.domain.steps import (
    MAX_CHECKLIST_ITEMS,
    MAX_PLAN_ITEMS,
    MAX_WARNINGS,
    ChecklistStep,
    ExtractedSteps,
    PlanStep,
    Schedule,
    validate_steps,
)
from carenotes_server.extraction.rules import context
from carenotes_server.extraction.rules.activities import (
    read_conditional_use,
    read_follow_up,
    read_routine,
    read_test,
)
from carenotes_server.extraction.rules.clauses import (
    Clause,
    Section,
    split_compound,
    trusted_clauses,
)
from carenotes_server.extraction.rules.dosing import read_medicines
from carenotes_server.extraction.rules.medicines import DOSE
from carenotes_server.extraction.rules.names import canonical_drug, name_mentions
from carenotes_server.extraction.rules.reading import Reading
from carenotes_server.extraction.rules.stops import read_stop
from carenotes_server.extraction.rules.tasks import read_purchase, read_task, read_timed_once
from carenotes_server.extraction.rules.text import expand, tidy

log = logging.getLogger(__name__)

_WARNING = re.compile(
    r"^(?:please\s+)?(?:avoid|do not|don't|dont|never|no|not|without|limit|minimi[sz]e|"
    r"max(?:imum)?|no more than|not more than)\b",
    re.I,
)
_CONTINUE = re.compile(r"\b(?:continue|continues|continuing|carry on with|keep taking)\b", re.I)
_CONTINUE_THE_REST = re.compile(
    r"^\W*(?:please\s+)?(?:continue|cont\b\.?|keep taking|carry on with)\s+(?:with\s+)?"
    r"(?:the\s+)?(?:rest|others|all (?:the )?(?:other|usual|regular|current)?\s*"
    r"(?:meds|medications|medicines|tablets)|(?:other|usual|regular|current|remaining)\s+"
    r"(?:meds|medications?|medicines|tablets|treatment|therapy|regimen|inhalers))\b",
    re.I,
)


def _read_part(text: str, sentence: int, reading: Reading) -> None:
    if read_stop(text, sentence, reading) or _WARNING.search(text):
        return
    if read_purchase(text, reading) or read_medicines(text, sentence, reading):
        return
    if read_follow_up(text, reading) or read_routine(text, reading) or read_test(text, reading):
        return
    if read_conditional_use(text, reading):
        return
    if not read_timed_once(text, reading):
        read_task(text, sentence, reading)


def _remember_history(text: str, sentence: int, reading: Reading) -> None:
    """Medicines the patient already takes: kept aside in case the note says to go on
    with them ("Continue the rest")."""
    aside = Reading()
    read_medicines(text, sentence, aside)
    reading.history.extend(aside.plan)


def _note_names(text: str, sentence: int, reading: Reading) -> None:
    names = name_mentions(text)
    if names:
        reading.named(names[-1].text, sentence)


def read_clause(clause: Clause, reading: Reading) -> None:
    if clause.section is Section.STAFF:
        return
    if clause.header:
        _note_names(clause.text, clause.sentence, reading)
        return
    said = context.asked_to(context.without_remarks(clause.text))
    by_patient = context.by_patient(said)
    text = context.actor_task(said)
    if text is None:
        return  # an order to staff
    if clause.is_context and not context.INSTRUCTION.match(text):
        _remember_history(text, clause.sentence, reading)
        _note_names(text, clause.sentence, reading)
        return
    if context.NOT_NEEDED.search(text):
        return
    names = name_mentions(text)
    if context.is_history(text, names[0].start if names else None) or context.is_finding(text):
        _remember_history(text, clause.sentence, reading)
        _note_names(text, clause.sentence, reading)
        return
    if _CONTINUE_THE_REST.match(text):
        reading.plan.extend(_continued(p) for p in reading.history)
        return
    if _CONTINUE.search(text) and names and not DOSE.search(text):
        # "I suggest he continues bisoprolol, ramipril and atorvastatin unchanged": the
        # medicines the note listed as taken, named again without a dose.
        wanted = {canonical_drug(n.text) for n in names}
        kept = [p for p in reading.history if _subject(p) & wanted]
        if kept:
            reading.plan.extend(_continued(p) for p in kept)
            return
    found = len(reading.plan) + len(reading.checklist)
    for part in split_compound(text):
        _read_part(part, clause.sentence, reading)
        _note_names(part, clause.sentence, reading)
    if by_patient and len(reading.plan) + len(reading.checklist) == found:
        reading.checklist.append(tidy(expand(text)))  # "Son to fit grab rails": a task


def _subject(step: PlanStep) -> set[str]:
    return {canonical_drug(n.text) for n in name_mentions(step.action)}


def _continued(step: PlanStep) -> PlanStep:
    """A medicine the patient takes, continued as it runs: ongoing, from today."""
    schedule = replace(step.schedule, occurrences=0, duration_days=0, start_in_days=0)
    return PlanStep(
        step.action, schedule if not schedule.as_needed else Schedule(as_needed=True), True
    )


def _mentions_stopped(text: str, stopped: set[str]) -> bool:
    names = {canonical_drug(n.text) for n in name_mentions(text)}
    return bool(names & stopped)


def _dedupe(items: list[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for item in items:
        key = item.lower()
        if item and key not in seen:
            seen.add(key)
            out.append(item)
    return out


def _action_key(step: PlanStep) -> tuple[str, int, bool]:
    words = re.sub(r"\b(?:the|a|an|your|his|her)\b", " ", step.action.lower()).split()
    return " ".join(words), step.schedule.start_in_days, step.schedule.as_needed


def _merge_repeated(plan: list[PlanStep]) -> list[PlanStep]:
    """One plan item per action: a note may name a medicine twice; the mention with a
    bounded course is the more specific one."""
    kept: dict[tuple[str, int, bool], int] = {}
    out: list[PlanStep] = []
    for step in plan:
        key = _action_key(step)
        if key not in kept:
            kept[key] = len(out)
            out.append(step)
        elif step.schedule.occurrences and not out[kept[key]].schedule.occurrences:
            out[kept[key]] = step
    return out


class RulesExtractor:
    """Deterministic, offline extractor for doctors' notes."""

    name = "rules"

    def extract(self, note: str) -> ExtractedSteps:
        reading = Reading()
        for clause in trusted_clauses(note):
            try:
                read_clause(clause, reading)
            except Exception as error:  # noqa: BLE001 - one clause never fails a note
                log.warning(
                    "rules extractor left a clause out", extra={"error": type(error).__name__}
                )
                reading.warn(clause.text, "it could not be read")
        # A stop instruction anywhere in the note beats a plan item anywhere else.
        plan = [p for p in reading.plan if not _mentions_stopped(p.action, reading.stopped)]
        unique_plan = _merge_repeated(plan)
        checklist = _dedupe(reading.checklist)
        return validate_steps(
            ExtractedSteps(
                checklist=tuple(ChecklistStep(t) for t in checklist[:MAX_CHECKLIST_ITEMS]),
                plan=tuple(unique_plan[:MAX_PLAN_ITEMS]),
                stops=tuple(dict.fromkeys(reading.stops)),
                warnings=tuple(_dedupe(reading.warnings)[:MAX_WARNINGS]),
            )
        )
