"""Actionable steps as the domain sees them, and the bounds every extractor must respect.

Extractors (rules, Gemini, OpenAI-compatible) all return `ExtractedSteps`. Whatever
produced them, `validate_steps` is applied before anything is stored or scheduled:
an out-of-bounds answer is rejected whole, never trimmed into something half-right.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from carenotes_server.domain.errors import FieldViolation

MAX_CHECKLIST_ITEMS = 30
MAX_PLAN_ITEMS = 30
MAX_TEXT_LENGTH = 300
MAX_TIMES_PER_DAY = 12
MAX_EVERY_HOURS = 168
MAX_EVERY_DAYS = 366
MAX_DURATION_DAYS = 3660
MAX_OCCURRENCES = 2000
MAX_START_IN_DAYS = 366
_TIME_OF_DAY = re.compile(r"^(?:[01]\d|2[0-3]):[0-5]\d$")


@dataclass(frozen=True)
class Schedule:
    """When a plan item is due; field meanings as in steps.proto's Schedule."""

    times_per_day: int = 0
    every_hours: int = 0
    every_days: int = 1
    duration_days: int = 0
    occurrences: int = 0
    start_in_days: int = 0
    as_needed: bool = False
    times_of_day: tuple[str, ...] = ()

    @property
    def is_ongoing(self) -> bool:
        return self.occurrences == 0 and not self.as_needed


@dataclass(frozen=True)
class PlanStep:
    """A scheduled action, e.g. PlanStep("Take amoxicillin 500 mg", Schedule(2, ...))."""

    action: str
    schedule: Schedule = field(default_factory=Schedule)


@dataclass(frozen=True)
class ChecklistStep:
    """A one-time task."""

    text: str


@dataclass(frozen=True)
class ExtractedSteps:
    """What one extractor made of one note."""

    checklist: tuple[ChecklistStep, ...] = ()
    plan: tuple[PlanStep, ...] = ()


class InvalidSteps(ValueError):
    """An extractor's answer broke the schema or its bounds; nothing may be scheduled."""

    def __init__(self, violations: list[FieldViolation]) -> None:
        self.violations = violations
        super().__init__("; ".join(f"{v.field}: {v.description}" for v in violations))


def _check_text(path: str, text: str, out: list[FieldViolation]) -> None:
    if not text.strip():
        out.append(FieldViolation(path, "must not be empty"))
    elif len(text) > MAX_TEXT_LENGTH:
        out.append(FieldViolation(path, f"must be at most {MAX_TEXT_LENGTH} characters"))
    elif any(ord(c) < 32 and c not in "\t" for c in text):
        out.append(FieldViolation(path, "must not contain control characters"))


def _check_range(path: str, value: int, low: int, high: int, out: list[FieldViolation]) -> None:
    if not low <= value <= high:
        out.append(FieldViolation(path, f"must be between {low} and {high}"))


def _schedule_violations(path: str, s: Schedule) -> list[FieldViolation]:
    out: list[FieldViolation] = []
    _check_range(f"{path}.times_per_day", s.times_per_day, 0, MAX_TIMES_PER_DAY, out)
    _check_range(f"{path}.every_hours", s.every_hours, 0, MAX_EVERY_HOURS, out)
    _check_range(f"{path}.every_days", s.every_days, 0, MAX_EVERY_DAYS, out)
    _check_range(f"{path}.duration_days", s.duration_days, 0, MAX_DURATION_DAYS, out)
    _check_range(f"{path}.occurrences", s.occurrences, 0, MAX_OCCURRENCES, out)
    _check_range(f"{path}.start_in_days", s.start_in_days, 0, MAX_START_IN_DAYS, out)
    if len(s.times_of_day) > MAX_TIMES_PER_DAY:
        out.append(FieldViolation(f"{path}.times_of_day", "too many times of day"))
    for i, t in enumerate(s.times_of_day):
        if not _TIME_OF_DAY.match(t):
            out.append(FieldViolation(f"{path}.times_of_day[{i}]", "must be HH:MM (24-hour)"))
    if s.as_needed:
        return out
    if s.times_per_day and s.every_hours:
        out.append(FieldViolation(path, "set times_per_day or every_hours, not both"))
    if not s.times_per_day and not s.every_hours and not s.times_of_day:
        out.append(FieldViolation(path, "a scheduled item needs times_per_day or every_hours"))
    if s.every_hours and s.every_days > 1:
        out.append(FieldViolation(path, "every_hours cannot be combined with every_days > 1"))
    if s.times_of_day and s.times_per_day and len(s.times_of_day) != s.times_per_day:
        out.append(FieldViolation(path, "times_of_day must list times_per_day times"))
    return out


def validate_steps(steps: ExtractedSteps) -> ExtractedSteps:
    """Returns the steps unchanged if they are within bounds; raises InvalidSteps otherwise."""
    out: list[FieldViolation] = []
    if len(steps.checklist) > MAX_CHECKLIST_ITEMS:
        out.append(FieldViolation("checklist", f"at most {MAX_CHECKLIST_ITEMS} items"))
    if len(steps.plan) > MAX_PLAN_ITEMS:
        out.append(FieldViolation("plan", f"at most {MAX_PLAN_ITEMS} items"))
    for i, c in enumerate(steps.checklist):
        _check_text(f"checklist[{i}].text", c.text, out)
    for i, p in enumerate(steps.plan):
        _check_text(f"plan[{i}].action", p.action, out)
        out.extend(_schedule_violations(f"plan[{i}].schedule", p.schedule))
    if out:
        raise InvalidSteps(out)
    return steps
