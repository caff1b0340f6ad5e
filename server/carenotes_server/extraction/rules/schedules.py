"""The schedule one medicine step or activity describes, built from its quantities."""

from __future__ import annotations

import functools
import math
import re
from dataclasses import replace

from carenotes_server.domain.steps import Schedule
from carenotes_server.extraction.rules.courses import ONE_DAY
from carenotes_server.extraction.rules.quantities import (
    DURATIONS,
    FREQUENCIES,
    MAX_PHRASE,
    Frequency,
    find_frequency,
)
from carenotes_server.extraction.rules.weekdays import strip_weekdays, weekdays

PRN = re.compile(
    r"\b(?:prn|p\.r\.n\.?|as needed|as-needed|when needed|if needed|as required|"
    r"when required|at (?:the )?(?:first sign|onset)|at [a-z]+ onset|"
    r"(?:after|with) each(?!\s+(?:meal|main meal|breakfast|lunch|dinner|dose))|"
    r"(?:per|by)\s+(?:the\s+|a\s+)?(?:carb|carbohydrate)\s+(?:ratio|count\w*)|carb counting|"
    r"correction (?:dose|doses|scale)|"
    r"during (?:the |your |a |heavy )?(?:period|periods|menstruation|heavy days|flares?|attacks?)|"
    r"(?:before|after|with) (?:each |every )?feeds?|"
    # Insulin by a correction chart is dosed reading by reading, never on a fixed clock.
    r"(?:per|by|on|according to)\s+(?:a\s+|the\s+)?(?:sliding|correction)\s+(?:scale|chart)|"
    r"sliding scale|"
    r"(?:when|whenever)\s+(?:you\s+(?:feel|have|get|notice)\s+|there\s+is\s+|the\s+|a\s+|any\s+)?"
    r"(?:cravings?|urges?|pain|symptoms?|itch\w*|wheez\w*|breathless\w*|short of breath|"
    r"nause\w*|anxious|anxiety|panic\w*|headache|migraine|cough\w*|flares?|heartburn|"
    r"reflux|chest pain|angina))\b",
    re.I,
)
SINGLE_DOSE = re.compile(
    r"\b(?:single dose|one dose|once today|today|now|stat|x\s*1(?!\d)|one[- ]time|tonight)\b", re.I
)
CONDITIONAL = re.compile(r"\b(?:if|unless|should (?:symptoms|there|it|you))\b(?! possible)", re.I)

# Times of day, strongest words first; "in the morning" only counts next to a medicine.
_ANCHORS: list[tuple[re.Pattern[str], str]] = [
    (
        re.compile(
            r"\b(?:morning|qam|q\.a\.m|breakfast|mane|a\.m\.|on waking|on rising|when you wake)",
            re.I,
        ),
        "08:00",
    ),
    (re.compile(r"\b(?:noon|lunch|lunchtime|midday)\b", re.I), "12:00"),
    (re.compile(r"\b(?:evening|qpm|q\.p\.m|dinner|supper)\b", re.I), "20:00"),
    (
        re.compile(r"\b(?:bedtime|qhs|q\.h\.s|hs|nightly|at night|every night|nocte)\b", re.I),
        "22:00",
    ),
]
_STRONG_ANCHOR = re.compile(
    r"\b(?:every|each) (?:morning|evening|night)\b|\bnightly\b|\bat bedtime\b|\bqhs\b|\bqam\b|"
    r"\bon (?:waking|rising)\b|\bat (?:12 )?noon\b|\bat (?:midday|lunchtime)\b",
    re.I,
)


def has_time_of_day(text: str) -> bool:
    """Whether the text places a dose at a time of day ("at 4 pm", "in the evening")."""
    return bool(CLOCK.search(text)) or any(pattern.search(text) for pattern, _ in _ANCHORS)


# "at 10 pm", "at 21:00": a time of day as written; it places a daily dose.
CLOCK = re.compile(
    r"\bat\s+(\d{1,2})(?:[:.](\d{2}))?\s*(am|pm)\b|\bat\s+([01]?\d|2[0-3]):([0-5]\d)\b", re.I
)


def _clock_times(text: str) -> set[str]:
    times: set[str] = set()
    for m in CLOCK.finditer(text):
        if m.group(3):
            hour = int(m.group(1)) % 12 + (12 if m.group(3).lower() == "pm" else 0)
            if hour < 24:
                times.add(f"{hour:02d}:{m.group(2) or '00'}")
        else:
            times.add(f"{int(m.group(4)):02d}:{m.group(5)}")
    return times


def _anchors(text: str) -> tuple[str, ...]:
    clock = _clock_times(text)
    if clock:
        return tuple(sorted(clock))
    times = {time for pattern, time in _ANCHORS if pattern.search(text)}
    return tuple(sorted(times))


def _occurrences(freq: Frequency, duration_days: int) -> int:
    if duration_days <= 0:
        return 0
    if freq.days_of_week:
        weekly = max(round(duration_days * len(freq.days_of_week) / 7), 1)
        return max(freq.times_per_day, 1) * weekly
    if freq.every_hours:
        return max(duration_days * 24 // freq.every_hours, 1)
    dosing_days = math.ceil(duration_days / max(freq.every_days, 1))
    return max(freq.times_per_day, 1) * dosing_days


@functools.lru_cache(maxsize=1024)
def schedule_for(
    text: str, duration_days: int, start: int, once_daily_if_unsaid: bool = False
) -> Schedule | None:
    """The schedule a clause or segment describes, or None when it gives no frequency.

    `once_daily_if_unsaid`: a dose with a course length but no frequency ("40 mg for 3
    days, then 20 mg for 3 days") is taken once a day, as tapers are written.
    """
    if PRN.search(text):
        return Schedule(times_per_day=0, every_days=1, as_needed=True, start_in_days=start)
    freq = find_frequency(text)
    if freq is None and ONE_DAY.search(text):
        return None  # "at 6 am on the day": once, around a procedure
    anchors = _anchors(text)
    days = weekdays(text, weekly=freq is not None and freq.every_days == 7)
    if days:
        # Named days: one dose on each unless the text says how many; "weekly on Fridays"
        # stays weekly (every 7 days), a list of days recurs every week.
        base = freq or Frequency(times_per_day=1, counted=False)
        weekly_one_day = base.every_days == 7 and len(days) == 1
        freq = replace(
            base,
            every_hours=0,
            times_per_day=base.times_per_day or 1,
            every_days=7 if weekly_one_day else 1,
            days_of_week=days,
        )
    if freq is None and once_daily_if_unsaid and duration_days and len(anchors) <= 1:
        freq = Frequency(times_per_day=1, counted=False)
    if freq is None:
        strong = _STRONG_ANCHOR.search(text) or CLOCK.search(text)
        if not anchors or (not strong and len(anchors) < 2):
            return None
        freq = Frequency(times_per_day=len(anchors), counted=False)
    if not freq.counted and len(anchors) > 1:
        freq = replace(freq, times_per_day=len(anchors))
    times: tuple[str, ...] = ()
    if freq.times_per_day and len(anchors) == freq.times_per_day:
        times = anchors
    # Read as written, never clamped: an implausible count is the clinical bounds' to
    # refuse (the note then fails, naming the item), not the reader's to round.
    tpd = freq.times_per_day
    return Schedule(
        times_per_day=tpd,
        every_hours=freq.every_hours if not tpd else 0,
        every_days=freq.every_days if not freq.every_hours else 1,
        duration_days=duration_days,
        occurrences=_occurrences(freq, duration_days),
        start_in_days=start,
        times_of_day=times,
        days_of_week=freq.days_of_week,
    )


@functools.lru_cache(maxsize=1024)
def strip_schedule_words(text: str) -> str:
    """The text without its frequency, duration, cap and day words: what is left names
    the action."""
    for pattern, _ in FREQUENCIES:
        text = pattern.sub(" ", text)
    for pattern in DURATIONS:
        text = pattern.sub(" ", text)
    text = MAX_PHRASE.sub(" ", text)
    return strip_weekdays(text)
