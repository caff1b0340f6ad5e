"""Medicine clauses become plan items (scheduled or as needed) or single doses."""

from __future__ import annotations

import re

from carenotes_server.domain.steps import PlanStep
from carenotes_server.extraction.rules.medicines import Segment, canonical_drug, segments
from carenotes_server.extraction.rules.quantities import duration_days, frequency_words
from carenotes_server.extraction.rules.reading import Reading
from carenotes_server.extraction.rules.schedules import (
    PRN,
    SINGLE_DOSE,
    schedule_for,
    strip_schedule_words,
)
from carenotes_server.extraction.rules.text import IMPERATIVE_START, lower_first, tidy

CONTINUES = re.compile(
    r"^\W*(?:please\s+)?(?:continue|cont\b\.?|remain on|stay on|keep taking|keep using|"
    r"carry on(?: with)?|go on with)\b",
    re.I,
)
_ROUTE_WORDS = re.compile(
    r"\b(?:po|p\.o\.|by mouth|orally|sl|subq|sq|sc|im|iv|ou|od|os|au|inhaled)(?!\w)\.?", re.I
)
_LEAD_VERBS = re.compile(
    r"^(?:(?:and|then|please|also|to|start|started|starting|continue|cont|resume|restart|"
    r"begin|take|use|apply|give|inject|increase(?:\s+\w+)?\s+to|decrease(?:\s+\w+)?\s+to|"
    r"increase|decrease|reduce|change to|switch to|add|taper)\b[\s:,]*)+",
    re.I,
)
_TOPICAL = re.compile(r"\b(?:cream|ointment|lotion|gel|patch|topical|paste|shampoo)\b", re.I)
_USE = re.compile(
    r"\b(?:drops?|gtts?|spray|sprays|puffs?|inhaler|inhaled|nebuli[sz]\w*|rinse|nasal|"
    r"mouthwash|eye|ear|hfa|neb)\b",
    re.I,
)
_INJECTED = re.compile(
    r"\b(?:injection|inject|subcutaneous\w*|subq|sq|sc|im|intramuscular\w*|pen)\b|"
    r"\binsulin\b|\bunits? (?:subq|sc|sq)\b",
    re.I,
)


def _verb_for(text: str) -> str:
    if _TOPICAL.search(text):
        return "Apply"
    if _INJECTED.search(text):
        return "Inject"
    if _USE.search(text):
        return "Use"
    return "Take"


def medicine_action(segment: Segment, clause: str, as_needed: bool) -> str:
    """The step text of one medicine: verb, name, dose and route-free details."""
    body = segment.text(clause)
    body = strip_schedule_words(body)
    body = re.sub(r"\bprn\b|\bp\.r\.n\.?", "as needed", body, flags=re.I)
    if not as_needed:
        body = PRN.sub(" ", body)
    body = _ROUTE_WORDS.sub(" ", body)
    body = re.sub(r"\btaper\s*:", " ", body, flags=re.I)
    body = re.sub(r"\b(?:which|because|due to|since)\b.*$", "", body, flags=re.I)
    body = re.sub(r"([,:]\s*)(?:give|take|use|apply|inject)\b\s*", r"\1", body, flags=re.I)
    body = _LEAD_VERBS.sub("", body.strip(" ,:"))
    if segment.inherited_dose and not segment.doses:
        # Same medicine and dose on a new schedule: say the schedule, or the two read alike.
        body = f"{segment.inherited_dose} {frequency_words(segment.text(clause))}"
    if segment.name and segment.name.lower() not in body.lower():
        body = f"{segment.name.lower()} {body}"
    body = re.sub(r"^(\S+(?:\s\S+)?) to (?=\d)", r"\1 ", body)
    body = re.sub(r"\bas needed\s+(?!for\b|to\b|with\b)(?=[a-z])", "as needed for ", body.strip())
    if IMPERATIVE_START.search(body):
        return tidy(body)  # "then wash ... and apply bacitracin" already says what to do
    verb = _verb_for(segment.text(clause) + " " + segment.name)
    return tidy(f"{verb} {lower_first(body)}")


def _single_dose_words(text: str) -> str:
    words = [m.group(0) for m in SINGLE_DOSE.finditer(text)]
    return " ".join(w for w in words if w.lower() not in ("now",)) or "once"


def read_medicines(clause: str, reading: Reading) -> bool:
    found_segments = segments(clause)
    if not found_segments:
        return False
    continues = bool(CONTINUES.match(clause))
    prefix = clause[: found_segments[0].start]
    prefix_duration = duration_days(prefix)
    found = False
    previous_end_day: int | None = None
    previous_start = 0
    for seg in found_segments:
        text = seg.text(clause)
        duration = duration_days(text) or (prefix_duration if not seg.name_inherited else 0)
        sequential = seg.after_then or seg.name_inherited
        start = previous_end_day if sequential and previous_end_day is not None else 0
        if sequential and previous_end_day is None:
            start = previous_start
        schedule = schedule_for(text, duration, start, once_daily_if_unsaid=bool(seg.doses))
        if schedule is None:
            if seg.doses and SINGLE_DOSE.search(text):
                action = medicine_action(seg, clause, as_needed=False)
                reading.checklist.append(tidy(f"{action} {_single_dose_words(text)}"))
                previous_end_day, previous_start, found = start + 1, start, True
            continue
        if canonical_drug(seg.name) in reading.stopped:
            continue
        action = medicine_action(seg, clause, schedule.as_needed)
        reading.plan.append(PlanStep(action, schedule, continues=continues))
        previous_start = start
        previous_end_day = start + duration if duration else None
        found = True
    return found or any(s.doses for s in found_segments)
