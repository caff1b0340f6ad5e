"""Medicine clauses become plan items (scheduled or as needed), single doses, or, when
their schedule cannot be read safely, warnings.

Each medicine step of a clause (medicines.segments) gets its schedule from its own
words. A step with a dose and no schedule of its own shares the next step's when the
two are joined ("isoniazid 900 mg + rifapentine 900 mg weekly"); "5 mg daily except
7.5 mg on Tue and Thu" gives the first step the days the second leaves. Steps after
"then" start when the one before ends, also across sentences ("... for six weeks.
Then 14 mg for two weeks").
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, replace

from carenotes_server.domain.steps import PlanStep, Schedule
from carenotes_server.extraction.rules import conditions
from carenotes_server.extraction.rules.context import ADMINISTERED, OTHER_PRESCRIBER, PAPERWORK
from carenotes_server.extraction.rules.courses import (
    ONE_DAY,
    day_range,
    dose_count,
    is_day_one,
    start_offset,
)
from carenotes_server.extraction.rules.medicine_text import (
    conditional_action,
    medicine_action,
    single_dose_action,
)
from carenotes_server.extraction.rules.medicines import Segment, segments
from carenotes_server.extraction.rules.names import canonical_drug, name_mentions
from carenotes_server.extraction.rules.quantities import (
    MAX_PHRASE,
    NUM,
    duration_days,
    find_frequency,
    frequency_conflict,
    number,
)
from carenotes_server.extraction.rules.reading import Reading
from carenotes_server.extraction.rules.schedules import (
    PRN,
    SINGLE_DOSE,
    has_time_of_day,
    schedule_for,
)
from carenotes_server.extraction.rules.text import tidy
from carenotes_server.extraction.rules.weekdays import EXCEPT, OTHER_DAYS, weekdays, with_other_days

CONTINUES = re.compile(
    r"^\W*(?:please\s+)?(?:continue|cont\b\.?|remain on|stay on|keep taking|keep using|"
    r"carry on(?: with)?|go on with)\b",
    re.I,
)
_FOR_ALL_IF = re.compile(
    r"[-\u2013,;]\s*(?:start|take|use|give)?\s*(?:both|all|them|these|each)\b[^.;]*?"
    r"\b(?:only\s+)?(?:if|when|unless)\b.*$",
    re.I,
)
# "Taper: 10 mg od for 4 weeks, then ...", "Reduce to 5 mg": the medicine just named.
_DOSE_CHANGE = re.compile(
    r"^\W*(?:taper|reduce|increase|decrease|wean|titrate|go (?:down|up)|drop)\w*\b", re.I
)
# "Permethrin 5% cream - apply neck down, ..., repeat in 7 days": once, then once more.
_REPEAT_ONCE = re.compile(
    r"\brepeat (?:it |once )?(?:in|after) (?:\d+|one|a) (?:days?|weeks?|wks?)\b", re.I
)
_THEN_START = re.compile(r"^\W*(?:then|after that|afterwards|thereafter)\b", re.I)
_JOINED = re.compile(r"(?:\+|&|\band\b|\bplus\b)\s*$", re.I)
_EXCEPT_AT_END = re.compile(EXCEPT.pattern + r"$", re.I)
_AFTER = re.compile(rf"\b(?:in|after)\s+({NUM})\s*(days?|weeks?|wks?|months?)\b", re.I)
# Verbs of a medicine order: a dose without a schedule after one of these is an order
# the extractor could not read, not a mention.
_ORDER = re.compile(
    r"^\W*(?:please\s+)?(?:start|take|give|use|apply|inject|begin|continue|increase|"
    r"decrease|reduce|switch|change)\b",
    re.I,
)


@dataclass
class _Course:
    """Where the previous step of a taper starts and ends (None: ongoing)."""

    start: int = 0
    end: int | None = None


def _has_schedule(text: str) -> bool:
    return bool(
        find_frequency(text) or duration_days(text) or PRN.search(text) or has_time_of_day(text)
    )


# "..., increase by 100 mg every 4 weeks to target urate < 0.36": how to titrate, not
# when to take the dose.
_TITRATION = re.compile(
    r"[,;]?\s*(?:then\s+)?(?:increase|decrease|reduce|titrate|go up|go down|wean)\w*\s+"
    r"(?:the dose\s+)?(?:by|in steps of)\b.*$",
    re.I,
)
# "Add entacapone 200 mg with each dose of co-careldopa": that medicine's schedule.
_WITH_EACH_DOSE = re.compile(r"\bwith (?:each|every) dose of\s+(?P<other>.+)$", re.I)


def _schedule_of_companion(text: str, reading: Reading) -> Schedule | None:
    m = _WITH_EACH_DOSE.search(text)
    if m is None:
        return None
    other = m.group("other").split()[0].strip(".,;").lower()
    for step in reversed(reading.plan):
        if other and re.search(rf"\b{re.escape(other)}\b", step.action.lower()):
            return step.schedule
    return None


def _schedule_text(found: list[Segment], i: int, clause: str) -> str:
    text = _TITRATION.sub("", found[i].text(clause))
    if OTHER_DAYS.search(text):
        taken = {d for j, seg in enumerate(found) if j != i for d in weekdays(seg.text(clause))}
        return with_other_days(text, taken)
    following = found[i + 1] if i + 1 < len(found) else None
    nxt = following.text(clause) if following is not None else ""
    if nxt and _EXCEPT_AT_END.search(text.strip()):
        return text + " " + nxt  # "daily except" + "7.5 mg on Tue and Thu"
    shares = following is not None and not following.after_then and _JOINED.search(text.strip())
    if shares and found[i].doses and not _has_schedule(text):
        return nxt  # "isoniazid 900 mg +" shares "rifapentine 900 mg weekly"
    return text


def _combined_duration(found: list[Segment], i: int, clause: str) -> int:
    """ "Truvada 1 tab od + raltegravir 400 mg bd for 28 days": one regimen, one course.
    Only "+" joins a regimen; "and" may join an ongoing medicine to a course."""
    for seg in found[i:-1]:
        if not seg.text(clause).rstrip().endswith("+"):
            return 0
        following = found[found.index(seg) + 1]
        days = duration_days(following.text(clause))
        if days:
            return days
    return 0


def _with_count(schedule: Schedule, count: int) -> Schedule:
    """A course written as a number of doses ("x 12 doses")."""
    per_day = schedule.times_per_day or (24 // schedule.every_hours if schedule.every_hours else 1)
    dosing_days = math.ceil(count / max(per_day, 1))
    if schedule.days_of_week:
        days = math.ceil(dosing_days / len(schedule.days_of_week)) * 7
    else:
        days = dosing_days * max(schedule.every_days, 1)
    return replace(schedule, occurrences=count, duration_days=days)


def _start(seg: Segment, text: str, previous: _Course | None) -> int:
    if previous is not None and (seg.after_then or seg.name_inherited):
        if previous.end is not None:
            return previous.end
        after = _AFTER.search(text)  # "then increase to 50 mg after 2 weeks"
        if after:
            unit = after.group(2).lower()
            days = 7 if unit.startswith("w") else 30 if unit.startswith("m") else 1
            return previous.start + number(after.group(1)) * days
        return previous.start
    offset = start_offset(text)
    return offset or 0


def _condition_for(
    found: list[Segment], i: int, clause: str, before: str, for_all: re.Match[str] | None
) -> str | None:
    """The condition step `i` is taken under (its words, or "" when they are in the
    step's own text), or None when it is not conditional. `before`: the condition of
    the step before it."""
    seg = found[i]
    condition = conditions.governing(clause[: seg.start])
    if condition is not None:
        return condition
    joined = i > 0 and re.search(r"(?:\band|\bor|,|\+|\bplus)\s*$", found[i - 1].text(clause))
    if before and joined:
        return before  # "If pain, take paracetamol 1 g and ibuprofen 400 mg"
    if for_all is not None and seg.start < for_all.start():
        return for_all.group(0)
    if seg.doses and conditions.after(seg.text(clause)):
        return ""
    return None


def _as_needed_step(
    found: list[Segment], i: int, clause: str, condition: str, for_all: re.Match[str] | None
) -> PlanStep:
    seg = found[i]
    first = not any(f.doses for f in found[:i])
    if for_all is not None and condition == for_all.group(0):
        body = clause[: min(seg.end, for_all.start())]
        action = conditional_action(seg, body, "")
        action = tidy(f"{action.rstrip(' -,;')} ({condition.strip(' -,;')})")
    else:
        action = conditional_action(seg, clause, clause[: seg.start] if first else condition)
    start = start_offset(seg.text(clause)) or 0
    return PlanStep(action, Schedule(as_needed=True, start_in_days=start))


def read_medicines(clause: str, sentence: int, reading: Reading) -> bool:
    continuation = bool(_THEN_START.match(clause))
    carried = reading.medicine_for(
        sentence, next_sentence=continuation or bool(_DOSE_CHANGE.match(clause))
    )
    found = segments(clause, carried)
    if not found:
        return False
    prefix = clause[: found[0].start]
    continues = bool(CONTINUES.match(clause))
    short_prefix = ":" in prefix or len(prefix.split()) <= 6
    prefix_duration = duration_days(prefix) if short_prefix else 0
    previous = _Course(reading.course_start, reading.course_end) if continuation else None
    read_any = False
    # "... - start both only if sputum changes colour": one condition for every step.
    for_all = _FOR_ALL_IF.search(clause)
    under_condition = ""  # the condition the step before was taken under
    for i, seg in enumerate(found):
        text = seg.text(clause)
        if ADMINISTERED.search(text) or PAPERWORK.search(clause):
            continue  # given in clinic, or paperwork about it
        if OTHER_PRESCRIBER.search(text) and not continues:
            continue  # another prescriber's: not this note's to plan
        condition = _condition_for(found, i, clause, under_condition, for_all)
        under_condition = condition or ""
        if condition is not None:
            if seg.doses:
                reading.plan.append(_as_needed_step(found, i, clause, condition, for_all))
                read_any = True
            continue
        schedule_text = _schedule_text(found, i, clause)
        days = day_range(text)
        duration = days[1] if days else duration_days(text)
        if not duration and not seg.name_inherited:
            duration = prefix_duration or _combined_duration(found, i, clause)
        start = days[0] if days else _start(seg, (prefix if i == 0 else "") + text, previous)
        if frequency_conflict(schedule_text) and not PRN.search(schedule_text):
            reading.warn(text, "it gives two different frequencies")
            continue
        schedule = schedule_for(
            schedule_text, duration, start, once_daily_if_unsaid=bool(seg.doses)
        ) or _schedule_of_companion(text, reading)
        if schedule is None:
            single = _read_unscheduled(seg, clause, text, start, reading)
            if single:
                previous = _Course(start, start + 1)
            read_any |= single
            continue
        count = dose_count(schedule_text)
        if count and not schedule.as_needed and not schedule.occurrences:
            schedule = _with_count(schedule, count)
        if canonical_drug(seg.name) in reading.stopped:
            continue
        action = medicine_action(seg, clause, schedule.as_needed)
        reading.plan.append(PlanStep(action, schedule, continues=continues))
        end = start + schedule.duration_days if schedule.duration_days else None
        previous = _Course(start, end)
        reading.course_start, reading.course_end = start, end
        read_any = True
    reading.named(found[-1].name, sentence)
    return read_any or any(s.doses for s in found)


def _read_unscheduled(seg: Segment, clause: str, text: str, start: int, reading: Reading) -> bool:
    """A dose without a schedule: a single dose, an as-needed dose under a daily cap, or
    an order that cannot be read safely (a warning)."""
    if not seg.doses:
        return False
    if SINGLE_DOSE.search(text) or is_day_one(text) or _REPEAT_ONCE.search(text):
        reading.checklist.append(single_dose_action(seg, clause))
        return True
    if ONE_DAY.search(clause):
        # "Humulin I: take 16 units the evening before surgery": once, as written.
        reading.checklist.append(tidy(clause))
        return True
    if MAX_PHRASE.search(text):
        # "max 4 g/day" with no times: taken as needed up to the cap.
        action = medicine_action(seg, clause, as_needed=True)
        reading.plan.append(PlanStep(action, Schedule(as_needed=True, start_in_days=start)))
        return True
    # A known drug, or any name after an order verb; not "restriction 1.5 L/day".
    if _ORDER.match(clause) or name_mentions(seg.name):
        reading.warn(text, "it gives a dose but no frequency, course or as-needed use")
    return False
