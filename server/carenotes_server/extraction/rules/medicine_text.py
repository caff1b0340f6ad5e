"""How a medicine step is worded: verb, name, dose and details, without the schedule
words the schedule already carries."""

from __future__ import annotations

import re

from carenotes_server.extraction.rules.courses import strip_offsets
from carenotes_server.extraction.rules.medicines import Segment
from carenotes_server.extraction.rules.quantities import frequency_words
from carenotes_server.extraction.rules.schedules import PRN, SINGLE_DOSE, strip_schedule_words
from carenotes_server.extraction.rules.text import IMPERATIVE_START, lower_first, tidy

_ROUTE_WORDS = re.compile(
    r"\b(?:po|p\.o\.|by mouth|orally|sl|subq|sq|sc|im|iv|ou|od|os|au|inhaled)(?!\w)\.?", re.I
)
_LEAD_VERBS = re.compile(
    r"^(?:(?:and|then|please|also|to|start|started|starting|continue|cont|resume|restart|"
    r"begin|take|use|apply|give|inject|increase(?:\s+\w+)?\s+to|decrease(?:\s+\w+)?\s+to|"
    r"increase|decrease|reduce|change to|switch to|add|taper)\b[\s:,]*)+",
    re.I,
)
_FORMER = re.compile(
    r"\((?:previously|was|formerly|up from|down from|increased from|reduced from|instead of)"
    r"[^)]*\)"
    r"|\b(?:instead of|rather than|in place of|up from|down from|(?:increased|reduced) from|"
    r"previously)\s+\d[\d.,]*\s*[a-z]*",
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


def verb_for(text: str) -> str:
    if _TOPICAL.search(text):
        return "Apply"
    if _INJECTED.search(text):
        return "Inject"
    if _USE.search(text):
        return "Use"
    return "Take"


def medicine_action(segment: Segment, clause: str, as_needed: bool) -> str:
    """The step text of one medicine: verb, name, dose and route-free details."""
    body = strip_offsets(segment.text(clause))
    body = strip_schedule_words(body)
    body = re.sub(r"\bprn\b|\bp\.r\.n\.?", "as needed", body, flags=re.I)
    if not as_needed:
        body = PRN.sub(" ", body)
    body = _ROUTE_WORDS.sub(" ", body)
    body = re.sub(r"\btaper\s*:", " ", body, flags=re.I)
    body = _FORMER.sub(" ", body)  # "(previously 4 mg)": the dose no longer to take
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
    verb = verb_for(segment.text(clause) + " " + segment.name)
    return tidy(f"{verb} {lower_first(body)}")


def conditional_action(segment: Segment, clause: str, prefix: str) -> str:
    """A conditional medicine in the note's words, condition and course included: the
    as-needed item carries no schedule, so its text must say it all. `clause` may end
    before the segment does."""
    text = clause[segment.start : segment.end].strip(" ,;-\u2013")
    text = re.sub(r"\s+(?:and|plus|or|then|with)$", "", text, flags=re.I)
    if segment.name and segment.name.lower() not in text.lower():
        text = f"{segment.name} {text}"  # "then 100 mg od" -> "doxycycline 100 mg od"
    if prefix.strip():
        return tidy(f"{prefix.strip()} {text}")
    if IMPERATIVE_START.search(text):
        return tidy(text)
    return tidy(f"{verb_for(text)} {lower_first(text)}")


def single_dose_action(segment: Segment, clause: str) -> str:
    action = medicine_action(segment, clause, as_needed=False)
    text = segment.text(clause)
    words = [m.group(0) for m in SINGLE_DOSE.finditer(text) if m.group(0).lower() != "now"]
    said = " ".join(w for w in words if w.lower() not in action.lower())
    return tidy(f"{action} {said}" if said or words else f"{action} once")
