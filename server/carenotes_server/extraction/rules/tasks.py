"""Everything a patient does that is not a medicine: follow-ups, tests, one-time tasks
(checklist items) and scheduled activities such as exercises or measurements (plan)."""

from __future__ import annotations

import re

from carenotes_server.domain.steps import PlanStep, Schedule
from carenotes_server.extraction.rules.quantities import (
    TIME_PHRASE,
    duration_days,
    find_frequency,
    has_time_phrase,
)
from carenotes_server.extraction.rules.reading import Reading
from carenotes_server.extraction.rules.schedules import (
    CONDITIONAL,
    PRN,
    schedule_for,
    strip_schedule_words,
)
from carenotes_server.extraction.rules.text import IMPERATIVE_START, expand, lower_first, tidy

_FOLLOW_UP = re.compile(
    r"\b(?:follow[\s-]?up|f/u|recheck|re-check|return|rtc|review|come back|revisit|"
    r"see (?:him|her|them|you|me|patient|pt) (?:again|back)|back in|reassess\w*|repeat|"
    r"re-?evaluat\w*)\b",
    re.I,
)
NARRATIVE = re.compile(
    r"^(?:the\s+)?(?:patient|pt|he|she|they|his|her|their|i|we|history|hx|mother|father|"
    r"wife|husband|parent|discussed|reports?|denies|states|notes|noted|seen|saw)\b",
    re.I,
)
_TEST_WORDS = (
    r"labs?|blood ?work|blood tests?|bmp|cmp|cbc|a1c|hba1c|tsh|t4|inr|pt/inr|lipids?|"
    r"lipid panel|lfts?|"
    r"ferritin|b12|vitamin d level|ck|psa|uric acid|urinalysis|ua|urine \w+|culture|"
    r"x-?ray|cxr|xr|ct|mri|ultrasound|us|echo\w*|ecg|ekg|dexa|mammogram|colonoscopy|"
    r"breath test|stress test|spirometry|pft|biopsy|screen(?:ing)?|panel|level|test|imaging|"
    r"iop|swab|titer|pregnancy test|holter|sleep study|audiogram|eye exam"
)
_TEST = re.compile(rf"\b(?:{_TEST_WORDS})\b", re.I)
_TEST_WHEN = re.compile(
    r"\btoday\b|\bthis week\b|\bbefore\b|\bprior to\b|\bnext visit\b|\bbeforehand\b|"
    r"^(?:get|check|draw|repeat|obtain|order|do|send|recheck|confirm|fasting|pre-?op)\b",
    re.I,
)
_STATUS = re.compile(
    r"\b(?:given|placed|provided|reviewed|discussed|done|completed|signed|answered|confirmed|"
    r"pending|normal|abnormal|unremarkable|negative|positive|stable|controlled|up to date|"
    r"elevated|low|high|is|was|were|are|has|have|had|showed|shows|revealed)\b",
    re.I,
)
_TASK_VERB = re.compile(
    r"(?:^|[-\u2013:;,]\s*(?:please\s+)?|\bplease\s+)"
    r"(buy|purchase|pick up|book|schedule|call|phone|"
    r"arrange|make an appointment|order|bring|replace|mark|outline|throw away|throw out|"
    r"discard|sign up|enroll|register|download|fill|obtain|get|complete|drop off|set up|"
    r"contact|email|send|see|visit|attend|wash\b(?=.*\btoday\b)|take\b(?=.*\btoday\b))\b",
    re.I,
)
_TASK_NOUN = re.compile(
    r"\b(?:referral|appointment|enrol(?:l)?ment|removal|counsel(?:l)?ing|consult(?:ation)?|"
    r"evaluation|intake|vaccin\w*|immuni[sz]ation|booster|flu shot|physical therapy|"
    r"rehab\w*|education|class)\b",
    re.I,
)
# Nouns that are a task on their own ("Podiatry referral."); the others need a time.
_STANDALONE_TASK_NOUN = re.compile(r"\b(?:referral|enrol(?:l)?ment|removal)\b", re.I)
_KEEP_DIARY = re.compile(r"\bkeep (?:a|an|your)\b.*\b(?:diary|log|journal)\b", re.I)


def read_follow_up(clause: str, reading: Reading) -> bool:
    if not _FOLLOW_UP.search(clause) or not has_time_phrase(clause):
        return False
    if CONDITIONAL.search(clause) or PRN.search(clause) or find_frequency(clause):
        return False
    text = expand(clause)
    test_part = re.search(
        rf"\s+(?:with|and)\s+((?:an?\s+|the\s+)?.*\b(?:{_TEST_WORDS})\b.*)$", text, re.I
    )
    if test_part and not _TEST.search(text[: test_part.start()]):
        reading.checklist.append(tidy(f"Get {test_part.group(1)}"))
        text = text[: test_part.start()]
    if NARRATIVE.search(text) or re.match(r"^(?:i|we)\b", text, re.I):
        when = TIME_PHRASE.search(text)
        text = f"Follow up in {when.group(0)}" if when else text
    reading.checklist.append(tidy(text))
    return True


def read_routine(clause: str, reading: Reading) -> bool:
    """A non-drug scheduled action: exercises, measurements, diaries, rinses."""
    if NARRATIVE.search(clause):
        return False
    schedule = schedule_for(clause, duration_days(clause), 0)
    if schedule is None and _KEEP_DIARY.search(clause):
        schedule = Schedule(times_per_day=1)
    if schedule is None:
        return False
    action = strip_schedule_words(clause)
    action = re.sub(r"\bprn\b|\bp\.r\.n\.?", "as needed", action, flags=re.I)
    action = re.sub(r"^(?:continue|cont|start|begin|please)\b\s*", "", action.strip(), flags=re.I)
    action = tidy(expand(action))
    if not action:
        return False
    reading.plan.append(PlanStep(action, schedule))
    return True


def read_test(clause: str, reading: Reading) -> bool:
    if not _TEST.search(clause) or CONDITIONAL.search(clause) or NARRATIVE.search(clause):
        return False
    if not (has_time_phrase(clause) or _TEST_WHEN.search(clause)) or _STATUS.search(clause):
        return False
    text = expand(clause)
    if not IMPERATIVE_START.search(text):
        text = f"Get {lower_first(text)}"
    reading.checklist.append(tidy(text))
    return True


def read_task(clause: str, reading: Reading) -> bool:
    if NARRATIVE.search(clause) or re.search(r"\bif\b(?! possible)", clause, re.I):
        return False
    verb = _TASK_VERB.search(clause)
    if verb:
        before = clause[: verb.start()].strip(" -\u2013:;,")
        after = clause[verb.start(1) :]
        if before and not IMPERATIVE_START.search(before):
            # "Compression stockings - buy a pair" -> "Buy compression stockings, a pair"
            rest = re.sub(rf"^{re.escape(verb.group(1))}\s*", "", after, flags=re.I)
            text = f"{verb.group(1)} {before}" + (f", {rest}" if rest else "")
        else:
            text = clause if not before else f"{before}; {after}"
        reading.checklist.append(tidy(expand(re.sub(r"\bplease\s+", "", text, flags=re.I))))
        return True
    timed = has_time_phrase(clause) or re.search(r"\btoday\b", clause, re.I)
    if (
        _TASK_NOUN.search(clause)
        and (timed or _STANDALONE_TASK_NOUN.search(clause))
        and not _STATUS.search(clause)
    ):
        reading.checklist.append(tidy(f"Schedule {lower_first(expand(clause))}"))
        return True
    return False
