"""Actionable steps as the domain sees them, and the checks every extractor's answer meets.

Extractors (rules, Gemini, OpenAI-compatible) all return `ExtractedSteps`. Whatever
produced them, `validate_steps` is applied before anything is stored or scheduled: an
answer that breaks the shape of a step or a clinical bound (`domain/clinical_bounds.py`)
is refused whole, never trimmed or clamped into something half-right.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from carenotes_server.domain.clinical_bounds import bound_violations
from carenotes_server.domain.errors import FieldViolation

MAX_CHECKLIST_ITEMS = 30
MAX_PLAN_ITEMS = 30
MAX_STOPS = 30
MAX_WARNINGS = 30
MAX_TEXT_LENGTH = 300
MAX_TIMES_OF_DAY = 24
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
"""RFC 5545 BYDAY codes, Monday first (the ISO week, and rrule's MO..SU = 0..6)."""

_TIME_OF_DAY = re.compile(r"^(?:[01]\d|2[0-3]):[0-5]\d$")
_EXTRACTOR_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,15}$")


@dataclass(frozen=True)
class Schedule:
    """When a plan item is due; field meanings as in steps.proto's Schedule.

    days_of_week names the dosing days of the week (RFC 5545 BYDAY codes, in week
    order); with them every_days is 1, or a multiple of 7 for "every other week".
    """

    times_per_day: int = 0
    every_hours: int = 0
    every_days: int = 1
    duration_days: int = 0
    occurrences: int = 0
    start_in_days: int = 0
    as_needed: bool = False
    times_of_day: tuple[str, ...] = ()
    days_of_week: tuple[str, ...] = ()

    @property
    def is_ongoing(self) -> bool:
        return self.occurrences == 0 and not self.as_needed

    @property
    def is_bounded(self) -> bool:
        return self.occurrences > 0 and not self.as_needed


@dataclass(frozen=True)
class PlanStep:
    """A scheduled action, e.g. PlanStep("Take amoxicillin 500 mg", Schedule(2, ...)).

    continues: the note asks to go on with something the patient already does
    ("Continue metformin"); an identical item in force then keeps its course.
    """

    action: str
    schedule: Schedule = field(default_factory=Schedule)
    continues: bool = False


@dataclass(frozen=True)
class ChecklistStep:
    """A one-time task."""

    text: str


@dataclass(frozen=True)
class ExtractedSteps:
    """What one extractor made of one note.

    stops: the medicines or actions the note explicitly ends ("Stop ibuprofen" ->
    "ibuprofen"); each ends the matching item in force, whoever prescribed it.

    warnings: what the extractor left out of the note, and why, one short text each
    ('Left out "Amlodipine 5 mg": it gives a dose but no frequency, course or as-needed
    use'). A warning may quote the note (PHI: stored encrypted, shown to the note's
    author only, never logged); it is never a step, and a note with warnings only
    changes nothing.

    produced_by: the name of the extractor that read the note when it is not the one
    that was asked ("rules" when the offline extractor stood in for an unreachable
    LLM); empty when the extractor asked answered itself.
    """

    checklist: tuple[ChecklistStep, ...] = ()
    plan: tuple[PlanStep, ...] = ()
    stops: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    produced_by: str = ""

    @property
    def is_empty(self) -> bool:
        """Nothing actionable: such a note changes nothing in force."""
        return not (self.checklist or self.plan or self.stops)


class InvalidSteps(ValueError):
    """An extractor's answer broke the shape of a step or a clinical bound; nothing may
    be scheduled.

    Each violation's field and description are free of PHI (positions, field names and
    numbers only), so `str(error)` may be stored in the clear and logged. `detail()`
    also names each offending plan item by its action text, which is PHI: it is only
    ever stored encrypted and shown to the note's readers.
    """

    def __init__(
        self, violations: list[FieldViolation], actions: dict[int, str] | None = None
    ) -> None:
        self.violations = violations
        self.actions = dict(actions or {})
        super().__init__("; ".join(f"{v.field}: {v.description}" for v in violations))

    def detail(self) -> str:
        parts = []
        for v in self.violations:
            index = _plan_index(v.field)
            action = self.actions.get(index) if index is not None else None
            where = f"plan item {index + 1} ({action})" if action and index is not None else v.field
            parts.append(f"{where}: {v.description}")
        return "; ".join(parts)


def _plan_index(field_path: str) -> int | None:
    m = re.match(r"^plan\[(\d+)\]", field_path)
    return int(m.group(1)) if m else None


def _check_text(path: str, text: str, out: list[FieldViolation]) -> None:
    if not text.strip():
        out.append(FieldViolation(path, "must not be empty"))
    elif len(text) > MAX_TEXT_LENGTH:
        out.append(FieldViolation(path, f"must be at most {MAX_TEXT_LENGTH} characters"))
    elif any(ord(c) < 32 and c not in "\t" for c in text):
        out.append(FieldViolation(path, "must not contain control characters"))


def _shape_violations(path: str, s: Schedule) -> list[FieldViolation]:
    """What makes a schedule meaningless, whatever the clinical bounds."""
    out: list[FieldViolation] = []
    for name in ("times_per_day", "every_hours", "every_days", "duration_days"):
        if getattr(s, name) < 0:
            out.append(FieldViolation(f"{path}.{name}", "must not be negative"))
    for name in ("occurrences", "start_in_days"):
        if getattr(s, name) < 0:
            out.append(FieldViolation(f"{path}.{name}", "must not be negative"))
    if len(s.times_of_day) > MAX_TIMES_OF_DAY:
        out.append(FieldViolation(f"{path}.times_of_day", "too many times of day"))
    for i, t in enumerate(s.times_of_day):
        if not _TIME_OF_DAY.match(t):
            out.append(FieldViolation(f"{path}.times_of_day[{i}]", "must be HH:MM (24-hour)"))
    for i, day in enumerate(s.days_of_week):
        if day not in WEEKDAYS:
            out.append(FieldViolation(f"{path}.days_of_week[{i}]", "must be one of MO..SU"))
    if len(set(s.days_of_week)) != len(s.days_of_week):
        out.append(FieldViolation(f"{path}.days_of_week", "must not repeat a day"))
    if s.as_needed:
        return out
    if s.times_per_day and s.every_hours:
        out.append(FieldViolation(path, "set times_per_day or every_hours, not both"))
    if not s.times_per_day and not s.every_hours and not s.times_of_day:
        out.append(FieldViolation(path, "a scheduled item needs times_per_day or every_hours"))
    if s.every_hours and s.every_days > 1:
        out.append(FieldViolation(path, "every_hours cannot be combined with every_days > 1"))
    if s.every_hours and s.days_of_week:
        out.append(FieldViolation(path, "every_hours cannot be combined with days_of_week"))
    if s.days_of_week and s.every_days > 1 and s.every_days % 7:
        out.append(
            FieldViolation(f"{path}.every_days", "with days_of_week must be 1 or whole weeks")
        )
    if s.times_of_day and s.times_per_day and len(s.times_of_day) != s.times_per_day:
        out.append(FieldViolation(path, "times_of_day must list times_per_day times"))
    return out


def validate_steps(steps: ExtractedSteps) -> ExtractedSteps:
    """Returns the steps unchanged if every step is well formed and within the clinical
    bounds; raises InvalidSteps naming each broken rule otherwise."""
    out: list[FieldViolation] = []
    if len(steps.checklist) > MAX_CHECKLIST_ITEMS:
        out.append(FieldViolation("checklist", f"at most {MAX_CHECKLIST_ITEMS} items"))
    if len(steps.plan) > MAX_PLAN_ITEMS:
        out.append(FieldViolation("plan", f"at most {MAX_PLAN_ITEMS} items"))
    if len(steps.stops) > MAX_STOPS:
        out.append(FieldViolation("stops", f"at most {MAX_STOPS} items"))
    if len(steps.warnings) > MAX_WARNINGS:
        out.append(FieldViolation("warnings", f"at most {MAX_WARNINGS} items"))
    if steps.produced_by and not _EXTRACTOR_NAME.match(steps.produced_by):
        out.append(FieldViolation("produced_by", "must be an extractor name"))
    for i, c in enumerate(steps.checklist):
        _check_text(f"checklist[{i}].text", c.text, out)
    for i, name in enumerate(steps.stops):
        _check_text(f"stops[{i}]", name, out)
    for i, warning in enumerate(steps.warnings):
        _check_text(f"warnings[{i}]", warning, out)
    for i, p in enumerate(steps.plan):
        _check_text(f"plan[{i}].action", p.action, out)
        shape = _shape_violations(f"plan[{i}].schedule", p.schedule)
        out.extend(shape)
        if not shape:
            out.extend(bound_violations(f"plan[{i}].schedule", p.schedule))
    if out:
        raise InvalidSteps(out, {i: p.action for i, p in enumerate(steps.plan)})
    return steps
