"""Follow-ups and tests (checklist items), and scheduled activities that are not
medicines: exercises, measurements, diaries, rinses (plan items)."""

from __future__ import annotations

import re

from carenotes_server.domain.steps import PlanStep, Schedule
from carenotes_server.extraction.rules import conditions, vocabulary
from carenotes_server.extraction.rules.courses import start_offset, strip_offsets
from carenotes_server.extraction.rules.names import name_mentions
from carenotes_server.extraction.rules.quantities import (
    TIME_PHRASE,
    duration_days,
    find_frequency,
    has_time_phrase,
)
from carenotes_server.extraction.rules.reading import Reading
from carenotes_server.extraction.rules.schedules import PRN, schedule_for, strip_schedule_words
from carenotes_server.extraction.rules.text import IMPERATIVE_START, expand, lower_first, tidy
from carenotes_server.extraction.rules.weekdays import weekdays

_FOLLOW_UP = re.compile(
    r"\b(?:follow[\s-]?up|f/u|recheck|re-check|return|rtc|review|r/v|come back|revisit|"
    r"see (?:him|her|them|you|me|patient|pt) (?:again|back)|back in|re-?assess\w*|repeat|"
    r"re-?evaluat\w*|re-?test)\b",
    re.I,
)
# "Next ANC at 31/40", "Next visit in 3 months": the next appointment, whatever its name.
_NEXT_VISIT = re.compile(r"^next\s+[A-Za-z&/]+(?:\s+[A-Za-z]+)?\s+(?:at|in|on)\s+\S", re.I)
# "RTC for microsuction": a return with a purpose needs no date to be a task.
_RETURN_FOR = re.compile(
    r"^(?:rtc|return(?: to (?:the )?clinic)?|come back)\s+(?:for|to have)\s+\w", re.I
)
NARRATIVE = re.compile(
    r"^(?:the\s+)?(?:patient|pt|he|she|they|his|her|their|i|we|history|hx|mother|father|"
    r"wife|husband|parent|discussed|reports?|denies|states|notes|noted|seen|saw)\b",
    re.I,
)
_TEST_WORDS = "|".join(
    re.escape(t) for t in sorted(vocabulary.entries("tests"), key=len, reverse=True)
)
TEST = re.compile(rf"\b(?:{_TEST_WORDS})\b", re.I)
_TEST_WHEN = re.compile(
    r"\btoday\b|\bthis week\b|\bbefore\b|\bprior to\b|\bnext visit\b|\bbeforehand\b|"
    r"\bat the end\b|\bafter (?:finishing|completing|the course)\b|"
    r"^(?:get|check|draw|repeat|obtain|order|do|send|recheck|confirm|fasting|pre-?op)\b",
    re.I,
)
STATUS = re.compile(
    r"\b(?:given|placed|provided|reviewed|discussed|done|completed|signed|answered|confirmed|"
    r"made|sent|faxed|booked|arranged|requested|fitted|applied|attached|"
    r"pending|normal|abnormal|unremarkable|negative|positive|stable|controlled|up to date|"
    r"elevated|low|high|is|was|were|are|has|have|had|showed|shows|revealed)\b",
    re.I,
)
_KEEP_DIARY = re.compile(r"\bkeep (?:a|an|your)\b.*\b(?:diary|log|journal)\b", re.I)
# "Frequency-volume chart for 3 days", "bladder diary for a week": kept daily for a while.
_DIARY_FOR = re.compile(r"\b(?:diary|log|chart|journal)\b", re.I)
# "Rest the shoulder for 48 hours, then start the exercises twice daily": the activity
# starts when the rest ends.
_AFTER_A_REST = re.compile(
    r"^(?P<first>.+?\bfor\s+\S+\s+\w+)\s*,?\s*(?:and\s+)?then\s+(?P<rest>.+)$", re.I
)
_NOT_AN_ACTION = re.compile(
    r"^(?:no|not|never|avoid|without|max(?:imum)?|up to|no more than|not more than)\b", re.I
)
_FILLER = frozenset(
    [
        "not",
        "no",
        "more",
        "than",
        "the",
        "and",
        "with",
        "for",
        "max",
        "maximum",
        "only",
        "then",
        "also",
        "each",
        "per",
        "day",
        "days",
        "week",
        "weeks",
        "month",
        "months",
        "once",
        "twice",
        "times",
    ]
)


def _conditional_follow_up(text: str) -> str | None:
    """The follow-up a clause asks for whatever happens ("Review 3/12, sooner if PV
    bleeding" -> "Review 3/12"); None when the follow-up itself is conditional."""
    condition = conditions.first(text)
    if condition is None:
        return text
    when = TIME_PHRASE.search(text)
    if when is None or condition.start() < when.start():
        return None
    cut = max(text.rfind(sep, when.end(), condition.start()) for sep in (",", ";", " - "))
    return text[:cut] if cut > 0 else None


def read_follow_up(clause: str, reading: Reading) -> bool:
    if _NEXT_VISIT.match(clause) or (_RETURN_FOR.match(clause) and not conditions.first(clause)):
        reading.checklist.append(tidy(expand(clause)))
        return True
    if not _FOLLOW_UP.search(clause) or not has_time_phrase(clause):
        return False
    if re.search(r"\b(?:letter|note|summary|report)\s*$", clause, re.I):
        return False  # "Annual review letter": what the note is
    if PRN.search(clause) or find_frequency(clause):
        return False
    unconditional = _conditional_follow_up(clause)
    if unconditional is None:
        return False
    text = expand(unconditional)
    test_part = re.search(
        rf"\s+(?:with|and)\s+((?:an?\s+|the\s+)?.*\b(?:{_TEST_WORDS})\b.*)$", text, re.I
    )
    if test_part and not TEST.search(text[: test_part.start()]):
        reading.checklist.append(tidy(f"Get {test_part.group(1)}"))
        text = text[: test_part.start()]
    if NARRATIVE.search(text) or re.match(r"^(?:i|we)\b", text, re.I):
        when = TIME_PHRASE.search(text)
        text = f"Follow up in {when.group(0)}" if when else text
    reading.checklist.append(tidy(text))
    return True


def _names_an_action(action: str) -> bool:
    words = re.findall(r"[a-z]{3,}", action.lower())
    if _NOT_AN_ACTION.match(action) or re.match(r"^(?:it|them|this|that|these)\b", action, re.I):
        return False  # "it in the L eye": what "it" is was said elsewhere
    return any(w not in _FILLER for w in words)


_A_DOSE = re.compile(r"\b\d+\s*(?:tabs?|tablets?|puffs?|sachets?|mg|ml|units?)\b", re.I)
# "If BG < 4: take 5 jelly babies": something to take only when it happens.
_TAKE_WHEN = re.compile(
    r"\b(?:take|use|give|eat|drink|chew|suck|inhale|apply|double|treble|triple)\s+\S", re.I
)


def read_conditional_use(clause: str, reading: Reading) -> bool:
    condition = conditions.first(clause)
    if condition is None:
        return False
    if not (_TAKE_WHEN.search(clause) or (condition.start() == 0 and _A_DOSE.search(clause))):
        return False
    reading.plan.append(PlanStep(tidy(expand(clause)), Schedule(as_needed=True)))
    return True


_THEN_STEP = re.compile(r",?\s+then\s+", re.I)


def _read_steps(clause: str, reading: Reading) -> bool:
    """ "Dovobet gel od x 4 weeks, then twice a week (Sat + Wed)": one item per step,
    each starting when the one before ends."""
    parts = _THEN_STEP.split(clause)
    if len(parts) < 2 or not all(find_frequency(p) or weekdays(p) for p in parts[1:]):
        return False
    if not name_mentions(parts[0]) or TEST.search(parts[0]):
        return False  # a medicine written without a dose; tests repeat as one item
    first = parts[0]
    duration = duration_days(first)
    schedule = schedule_for(strip_offsets(first), duration, start_offset(first) or 0)
    subject = tidy(expand(strip_schedule_words(strip_offsets(first))))
    if schedule is None or not duration or not _names_an_action(subject):
        return False
    reading.plan.append(PlanStep(subject, schedule))
    start = schedule.start_in_days + duration
    for part in parts[1:]:
        length = duration_days(part)
        step = schedule_for(part, length, start)
        if step is None:
            return True
        said = tidy(strip_schedule_words(part))
        reading.plan.append(PlanStep(tidy(f"{subject} {_lower(said)}"), step))
        if not length:
            break
        start += length
    return True


def _lower(text: str) -> str:
    return text[:1].lower() + text[1:]


def read_routine(clause: str, reading: Reading) -> bool:
    """A non-drug scheduled action: exercises, measurements, diaries, rinses. One with
    a condition ("If vivid dreams, take the patch off at bedtime") is as needed."""
    if NARRATIVE.search(clause):
        return False
    if _read_steps(clause, reading):
        return True
    start = start_offset(clause) or 0
    rest = _AFTER_A_REST.match(clause)
    if rest and find_frequency(rest.group("first")) is None and find_frequency(rest.group("rest")):
        start, clause = duration_days(rest.group("first")), rest.group("rest")
    duration = duration_days(clause)
    schedule = schedule_for(strip_offsets(clause), duration, start)
    if schedule is None and (
        _KEEP_DIARY.search(clause) or (duration and _DIARY_FOR.search(clause))
    ):
        schedule = Schedule(times_per_day=1, duration_days=duration, occurrences=duration)
    if schedule is None:
        return False
    condition = conditions.first(clause)
    if condition and (condition.start() == 0 or not IMPERATIVE_START.match(clause)):
        if _names_an_action(clause):
            reading.plan.append(PlanStep(tidy(expand(clause)), Schedule(as_needed=True)))
            return True
        return False
    action = strip_schedule_words(strip_offsets(clause))
    action = re.sub(r"\bprn\b|\bp\.r\.n\.?", "as needed", action, flags=re.I)
    action = re.sub(r"^(?:continue|cont|start|begin|please)\b\s*", "", action.strip(), flags=re.I)
    action = tidy(expand(action))
    if not action or not _names_an_action(action):
        return False
    reading.plan.append(PlanStep(action, schedule))
    return True


# A test written with a number after it is a result ("INR 2.4 today"), not an order.
_RESULT = re.compile(
    rf"\b(?:{_TEST_WORDS})\s*(?:is|was|of|=|:)?\s*[<>]?\s*\d+(?:\.\d+)?"
    r"(?![\d/.]|\s*(?:-\s*\d+\s*)?(?:days?|d\b|weeks?|wks?|w\b|months?|mo\b|years?|yrs?|h\b|"
    r"hrs?|hours?))",
    re.I,
)
_REQUESTED = re.compile(
    r"\s*\b(?:requested|ordered|booked|arranged)\b(?=\s*(?:for\b[^.;]*)?$)", re.I
)
# "have a urate level checked": the patient's errand, not a status.
_HAVE = re.compile(r"^(?:to\s+)?(?:have|get)\s+", re.I)


def read_test(clause: str, reading: Reading) -> bool:
    if not TEST.search(clause) or conditions.first(clause) or NARRATIVE.search(clause):
        return False
    if _RESULT.search(clause):
        return False
    clause = _HAVE.sub("", clause)
    requested = _REQUESTED.search(clause)
    if requested:
        # "Echo requested": the patient will be called for it.
        clause = (clause[: requested.start()] + clause[requested.end() :]).strip()
        if STATUS.search(clause) or not clause:
            return False
    elif not (has_time_phrase(clause) or _TEST_WHEN.search(clause)) or STATUS.search(clause):
        return False
    text = expand(clause)
    if not IMPERATIVE_START.search(text):
        text = f"Get {lower_first(text)}"
    reading.checklist.append(tidy(text))
    return True
