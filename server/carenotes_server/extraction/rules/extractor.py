"""The offline extractor: regular expressions over clinical shorthand, no model, no network.

How a note is read:

1. The note is cut into trusted clauses (clauses.py): injected text is left out.
2. Each clause is tried, in order, as a stop or hold instruction (stops.py), a warning
   ("avoid", "do not": never a step), medicines (dosing.py: a drug name and/or a dose
   with a frequency, duration, as-needed marker or single-dose marker), a follow-up, a
   non-drug scheduled action, a lab or test, a one-time task (tasks.py).
3. Medicines named in a stop instruction never become plan items, whatever else the
   note says about them: the safety rule wins over recall.
"""

from __future__ import annotations

import re

from carenotes_server.domain.steps import (
    MAX_CHECKLIST_ITEMS,
    MAX_PLAN_ITEMS,
    ChecklistStep,
    ExtractedSteps,
    PlanStep,
    validate_steps,
)
from carenotes_server.extraction.rules.clauses import trusted_clauses
from carenotes_server.extraction.rules.dosing import read_medicines
from carenotes_server.extraction.rules.medicines import canonical_drug, name_mentions
from carenotes_server.extraction.rules.reading import Reading
from carenotes_server.extraction.rules.stops import read_stop
from carenotes_server.extraction.rules.tasks import (
    read_follow_up,
    read_routine,
    read_task,
    read_test,
)

_WARNING = re.compile(
    r"^(?:please\s+)?(?:avoid|do not|don't|dont|never|no|not|without|limit|minimi[sz]e)\b", re.I
)


def read_clause(clause: str, reading: Reading) -> None:
    if read_stop(clause, reading) or _WARNING.search(clause):
        return
    if read_medicines(clause, reading):
        return
    for reader in (read_follow_up, read_routine, read_test, read_task):
        if reader(clause, reading):
            return


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
    """One plan item per action: a note often names a medicine in the history and again in
    the plan; the mention with a bounded course is the more specific one."""
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
            read_clause(clause, reading)
        # A stop instruction anywhere in the note beats a plan item anywhere else.
        plan = [p for p in reading.plan if not _mentions_stopped(p.action, reading.stopped)]
        unique_plan = _merge_repeated(plan)
        checklist = _dedupe(reading.checklist)
        return validate_steps(
            ExtractedSteps(
                checklist=tuple(ChecklistStep(t) for t in checklist[:MAX_CHECKLIST_ITEMS]),
                plan=tuple(unique_plan[:MAX_PLAN_ITEMS]),
                stops=tuple(dict.fromkeys(reading.stops)),
            )
        )
