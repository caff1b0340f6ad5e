"""Conditional orders: a medicine to take only if something happens is an as-needed
item with its condition kept in the text, never scheduled now.

A condition governs a medicine when it is written
- before it in the same clause: "If the ankles swell, take an extra spironolactone
  25 mg"; "Start the antibiotic only if the fever comes back: doxycycline ...";
- as the label of the clause, naming a symptom or a threshold: "Hypo (BG < 4): 4
  glucose tabs, ..."; "For pain: paracetamol 1 g ...";
- right after its dose and schedule: "7.5 mL q8h only if fever > 38.5", "Movicol 1
  sachet daily if no BM in 2 days".
A condition after another verb is that verb's ("ramipril 5 mg od, with sick-day rules:
pause it if vomiting" keeps ramipril scheduled), and "if tolerated" is a titration.
"""

from __future__ import annotations

import re

from carenotes_server.extraction.rules import vocabulary
from carenotes_server.extraction.rules.medicines import DOSE
from carenotes_server.extraction.rules.quantities import DURATIONS, FREQUENCIES

CONDITION = re.compile(
    r"\b(?:if|unless|in case of|should (?:you|it|there|symptoms|the|your))\b", re.I
)
_NOT_A_CONDITION = re.compile(
    r"^if\s+(?:(?:well|still)\s+)?tolerat\w*|^if\s+possible\b|^if\s+(?:needed|required)\b", re.I
)
SYMPTOM = re.compile(
    r"\b(?:"
    + "|".join(re.escape(s) for s in sorted(vocabulary.entries("symptoms"), key=len, reverse=True))
    + r")\w*",
    re.I,
)
_LABEL = re.compile(r"^\W*(?P<label>[^:]{1,90}):")
_THRESHOLD = re.compile(r"[<>\u2264\u2265]=?\s*\d")
# Verbs that take a condition of their own: "pause it if vomiting", "call if rash".
_OTHER_VERB = re.compile(
    r"\b(?:pause|hold|stop|skip|omit|call|ring|phone|seek|contact|go|attend|return|come|see|"
    r"restart|resume|remove|check|measure|recheck|repeat|avoid|tell|report|ask|book|consider|"
    r"discuss|review|reduce|increase|decrease|double|halve|switch|change|present|ed|a&e|er)\b",
    re.I,
)


def _conditions(text: str) -> list[re.Match[str]]:
    return [m for m in CONDITION.finditer(text) if not _NOT_A_CONDITION.match(text[m.start() :])]


def first(text: str) -> re.Match[str] | None:
    """The first condition the text states ("if possible" and "if tolerated" state none)."""
    found = _conditions(text)
    return found[0] if found else None


def before(prefix: str) -> bool:
    """Whether the text written before a clause's first medicine makes it conditional."""
    if _conditions(prefix):
        return True
    label = _LABEL.match(prefix)
    return label is not None and bool(
        SYMPTOM.search(label.group("label")) or _THRESHOLD.search(label.group("label"))
    )


def governing(text_before: str) -> str | None:
    """The condition a medicine is written under, when one stands before it and is
    its own ("Start the antibiotic only if the fever comes back: doxycycline ..."); None
    when the condition there belongs to another dose or verb ("X 10 mg daily (hold if
    BP < 100) and Y 5 mg daily"). Returns the words of the condition."""
    found = _conditions(text_before)
    if not found:
        label = _LABEL.match(text_before)
        if label and (
            SYMPTOM.search(label.group("label")) or _THRESHOLD.search(label.group("label"))
        ):
            return label.group(0)
        return None
    condition = found[-1]
    if DOSE.search(text_before[condition.end() :]):
        return None  # the condition had a medicine of its own
    head = text_before[: condition.start()]
    if _OTHER_VERB.search(head[_schedule_words_end(head) :]) and DOSE.search(head):
        return None  # "... (hold if BP < 100)": the hold's condition
    end = re.search(r"[,:;]", text_before[condition.end() :])
    stop = condition.end() + end.end() if end else len(text_before)
    return text_before[condition.start() : stop]


def _schedule_words_end(text: str) -> int:
    ends = [m.end() for m in DOSE.finditer(text)]
    for pattern, _ in FREQUENCIES:
        ends.extend(m.end() for m in pattern.finditer(text))
    for pattern in DURATIONS:
        ends.extend(m.end() for m in pattern.finditer(text))
    return max(ends, default=0)


def after(segment_text: str) -> bool:
    """Whether a condition follows a medicine's dose and schedule as their own."""
    for m in _conditions(segment_text):
        head = segment_text[: m.start()]
        if not DOSE.search(head):
            continue
        gap = head[_schedule_words_end(head) :]
        return not _OTHER_VERB.search(gap)
    return False
