"""What a new note does to the plan in force: the rules, as a pure function.

A note changes the plan only by what it says:

* A note with nothing actionable (no plan item, no checklist item, no stop) changes
  nothing: everything in force stays, and the doctor is told "no change to the plan".
* An explicit stop ("stop ibuprofen") ends the items it names, and only those.
* A note with plan items replaces the plan in force: for each of its items,
  - an item in force with the same action and dose pattern is KEPT as it is (same
    reminders, no restart, no duplicate) when the note asks to continue it, when both
    are ongoing, or when the note restates its course exactly (a copied-forward plan);
  - an item in force for the same medicine or activity, otherwise different (another
    dose, frequency or course length), is CHANGED: the old one ends, the new one starts;
  - anything else is STARTED;
  and every item in force the new plan does not list is STOPPED as replaced.
* A note with stops or checklist items but no plan items keeps every item it does not
  stop.

With a care team, the plan a note replaces is its author's own (`in_force`); the items
other doctors of the team prescribed (`others`) are ended only by an explicit stop, and
are reported as duplicates when the note prescribes the same medicine.

Items are matched by their *subject*, the action text without its verb and dose ("Take
amoxicillin 500 mg" -> "amoxicillin"), each word put through the caller's `canonical`
name function (brand -> generic: "Lasix" is furosemide), and compared by their
normalised action (verb dropped, dose kept).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from carenotes_server.domain.steps import ExtractedSteps, PlanStep, Schedule

_LEADING_VERBS = re.compile(
    r"^(?:(?:please|also|then|and|to|continue|cont\.?|keep taking|keep using|keep|"
    r"carry on(?: with)?|remain on|stay on|go on with|resume|restart|start|begin|take|"
    r"use|apply|inject|give|instil|instill|insert|inhale|spray|chew|dissolve|swallow|"
    r"the|a|an|your)\b[\s:,]*)+",
    re.IGNORECASE,
)
_CONTINUATION = re.compile(
    r"^(?:please\s+)?(?:continue|cont\b\.?|keep taking|keep using|carry on|remain on|"
    r"stay on|go on with)\b",
    re.IGNORECASE,
)
# A dose or strength ends the subject: "500", "500mg", "2.5", "1%", "1,000", "1/2".
_DOSE_TOKEN = re.compile(r"^\d[\d.,/]*(?:%|[a-zµ]+)?$", re.IGNORECASE)
_SUBJECT_ENDS = frozenset(
    [
        "once",
        "twice",
        "thrice",
        "daily",
        "nightly",
        "weekly",
        "monthly",
        "every",
        "each",
        "per",
        "at",
        "in",
        "on",
        "for",
        "with",
        "before",
        "after",
        "by",
        "from",
        "until",
        "x",
        "q",
        "bid",
        "tid",
        "qid",
        "prn",
        "as",
        "when",
        "if",
        "then",
        "and",
        "or",
    ]
)


class ChangeKind(StrEnum):
    STARTED = "STARTED"
    STOPPED = "STOPPED"
    CHANGED = "CHANGED"
    KEPT = "KEPT"


class StopReason(StrEnum):
    EXPLICIT = "EXPLICIT"  # the note says to stop it
    REPLACED = "REPLACED"  # the note's plan replaces the plan and does not list it


@dataclass(frozen=True)
class ItemInForce:
    """A plan item in force, as the rules need to see it."""

    id: uuid.UUID
    action: str
    schedule: Schedule
    doctor_id: uuid.UUID | None = None  # who prescribed it


@dataclass(frozen=True)
class ItemChange:
    """One line of the change. `current` is the item in force it keeps, stops or
    replaces (None for STARTED); `step` is the note's item it starts or that restates
    it (None for STOPPED, and for an item a plan-less note leaves alone)."""

    kind: ChangeKind
    current: ItemInForce | None = None
    step: PlanStep | None = None
    step_index: int | None = None
    stop_reason: StopReason | None = None
    # Items of other doctors in force for the same medicine: a possible double dose.
    duplicates: tuple[ItemInForce, ...] = ()


@dataclass(frozen=True)
class PlanChange:
    items: tuple[ItemChange, ...]
    replaces_plan: bool  # the note brought plan items
    note_is_empty: bool  # nothing actionable at all

    @property
    def changes_plan(self) -> bool:
        return any(c.kind is not ChangeKind.KEPT for c in self.items)

    def of_kind(self, kind: ChangeKind) -> list[ItemChange]:
        return [c for c in self.items if c.kind is kind]


def normalised_action(action: str) -> str:
    """Lower case, single spaces, no leading verb or trailing punctuation:
    "Continue Amoxicillin 500 mg." -> "amoxicillin 500 mg"."""
    text = " ".join(action.lower().replace("\u00a0", " ").split()).strip(" .;,:")
    return _LEADING_VERBS.sub("", text).strip(" .;,:")


def subject_of(action: str) -> str:
    """The medicine or activity an action is about: its words up to the first dose or
    schedule word. "Take amoxicillin 500 mg" -> "amoxicillin"; "Use Symbicort
    Turbuhaler 2 puffs" -> "symbicort turbuhaler"; "Walk 30 minutes" -> "walk"."""
    words: list[str] = []
    for word in normalised_action(action).split():
        bare = word.strip("(),;:")
        if _DOSE_TOKEN.match(bare) or bare in _SUBJECT_ENDS:
            break
        words.append(bare)
    return " ".join(words) or normalised_action(action)


_STOP_TEXT = re.compile(
    r"^(?:please\s+)?(?:stop|discontinue|cease)\s+(?:taking\s+|using\s+|the\s+)*"
    r"(?P<name>.+?)(?=\s+(?:while|because|due|until|for|since|as|if|when|after|before|"
    r"and start|then|now|today|immediately)\b|\s*[,;(.\u2013-]|$)",
    re.IGNORECASE,
)


def stops_named_in(texts: Iterable[str]) -> tuple[str, ...]:
    """The names a list of checklist texts stops: "Stop lisinopril because of the cough"
    -> "lisinopril". For extractors that write stops as checklist items only."""
    out: list[str] = []
    for text in texts:
        m = _STOP_TEXT.match(text.strip())
        if m and m.group("name").strip():
            out.append(m.group("name").strip())
    return tuple(out)


def asks_to_continue(step: PlanStep) -> bool:
    return step.continues or bool(_CONTINUATION.match(step.action.strip()))


Canonical = Callable[[str], str]


def _same(name: str) -> str:
    return name


def subject_key(action: str, canonical: Canonical = _same) -> tuple[str, ...]:
    """The subject's words, each under its canonical name."""
    return tuple(canonical(word) for word in subject_of(action).split())


def stop_matches(stop: str, action: str, canonical: Canonical = _same) -> bool:
    """Whether "stop <stop>" names the item with this action: the stop's words appear,
    in order and as whole words, in the item's subject."""
    wanted = subject_key(stop, canonical)
    have = subject_key(action, canonical)
    if not wanted:
        return False
    return any(have[i : i + len(wanted)] == wanted for i in range(len(have) - len(wanted) + 1))


def same_pattern(a: Schedule, b: Schedule) -> bool:
    """The same doses on the same days at the same times, whatever the course length."""
    return (
        a.as_needed == b.as_needed
        and a.times_per_day == b.times_per_day
        and a.every_hours == b.every_hours
        and max(a.every_days, 1) == max(b.every_days, 1)
        and sorted(a.days_of_week) == sorted(b.days_of_week)
        and sorted(a.times_of_day) == sorted(b.times_of_day)
    )


def same_course(a: Schedule, b: Schedule) -> bool:
    return (a.occurrences, a.duration_days, a.start_in_days) == (
        b.occurrences,
        b.duration_days,
        b.start_in_days,
    )


def keeps(current: ItemInForce, step: PlanStep) -> bool:
    """Whether the note's step restates the item in force rather than changing it."""
    if normalised_action(current.action) != normalised_action(step.action):
        return False
    if not same_pattern(current.schedule, step.schedule):
        return False
    if current.schedule.as_needed or asks_to_continue(step):
        return True
    if current.schedule.is_ongoing and step.schedule.is_ongoing:
        return True
    return same_course(current.schedule, step.schedule)


def plan_change(
    in_force: Sequence[ItemInForce],
    steps: ExtractedSteps,
    *,
    canonical: Canonical = _same,
    others: Sequence[ItemInForce] = (),
) -> PlanChange:
    """The change the extracted steps make to the author's items in force (and, by
    explicit stops only, to the others'); see the module doc."""

    def stopped_by_note(action: str) -> bool:
        return any(stop_matches(s, action, canonical) for s in steps.stops)

    changes: list[ItemChange] = [
        ItemChange(ChangeKind.STOPPED, current=item, stop_reason=StopReason.EXPLICIT)
        for item in (*in_force, *others)
        if stopped_by_note(item.action)
    ]
    stopped = {c.current.id for c in changes if c.current is not None}
    open_items = [item for item in in_force if item.id not in stopped]
    other_items = [item for item in others if item.id not in stopped]

    def duplicates(step: PlanStep) -> tuple[ItemInForce, ...]:
        key = subject_key(step.action, canonical)
        return tuple(i for i in other_items if subject_key(i.action, canonical) == key)

    for index, step in enumerate(steps.plan):
        if stopped_by_note(step.action):
            continue  # a stop anywhere in the note wins over a plan item for the same thing
        key = subject_key(step.action, canonical)
        same_subject = [i for i in open_items if subject_key(i.action, canonical) == key]
        kept = next((i for i in same_subject if keeps(i, step)), None)
        also = duplicates(step)
        if kept is not None:
            open_items.remove(kept)
            changes.append(
                ItemChange(ChangeKind.KEPT, kept, step, step_index=index, duplicates=also)
            )
        elif same_subject:
            replaced = same_subject[0]
            open_items.remove(replaced)
            changes.append(
                ItemChange(ChangeKind.CHANGED, replaced, step, step_index=index, duplicates=also)
            )
        else:
            changes.append(
                ItemChange(ChangeKind.STARTED, step=step, step_index=index, duplicates=also)
            )
    for item in open_items:
        if steps.plan:
            changes.append(
                ItemChange(ChangeKind.STOPPED, current=item, stop_reason=StopReason.REPLACED)
            )
        else:
            changes.append(ItemChange(ChangeKind.KEPT, current=item))
    return PlanChange(tuple(changes), replaces_plan=bool(steps.plan), note_is_empty=steps.is_empty)


def taper_steps(plan: Sequence[PlanStep], canonical: Canonical = _same) -> set[int]:
    """Indexes of the plan items that are steps of a taper or titration: several items
    of one subject that start on different days. Their missed doses are not made up."""
    by_subject: dict[tuple[str, ...], list[int]] = {}
    for index, step in enumerate(plan):
        by_subject.setdefault(subject_key(step.action, canonical), []).append(index)
    out: set[int] = set()
    for indexes in by_subject.values():
        starts = {plan[i].schedule.start_in_days for i in indexes}
        if len(indexes) > 1 and len(starts) > 1:
            out.update(indexes)
    return out
