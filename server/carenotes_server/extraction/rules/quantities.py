"""Numbers, frequencies and durations as clinic notes write them.

A frequency is read from the first phrase that names one ("bid", "every 8 hours",
"3 times a week"); a duration from the first course length ("x 7 days", "for 2
weeks", "10/7"). Numbers are read as written and never rounded into plausibility.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable
from dataclasses import dataclass

_NUMBER_WORDS = {
    "a": 1,
    "an": 1,
    "one": 1,
    "once": 1,
    "two": 2,
    "twice": 2,
    "twise": 2,
    "three": 3,
    "thrice": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "fourteen": 14,
    "thirty": 30,
}
NUM = r"(?:\d+|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fourteen|thirty)"


def number(text: str) -> int:
    """A count written in digits or words ("3", "three", "twice")."""
    text = text.lower()
    return int(text) if text.isdigit() else _NUMBER_WORDS.get(text, 1)


# "max 3 g/day" caps a dose; it is neither a dose nor a frequency.
MAX_PHRASE = re.compile(
    r"\b(?:max(?:imum)?|not to exceed|no more than|up to)\b[^,;.]*?(?:/\s*day|per day|a day|"
    r"in 24 h\w*|daily)",
    re.I,
)

# ---------------------------------------------------------------------------------------
# Frequencies
# ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Frequency:
    """How often, as read from one phrase; `counted` is False for a plain "daily"."""

    times_per_day: int = 0
    every_hours: int = 0
    every_days: int = 1
    counted: bool = True
    days_of_week: tuple[str, ...] = ()


FrequencyReader = Callable[[re.Match[str]], Frequency]


def _hours(m: re.Match[str]) -> Frequency:
    hours = number(m.group(1))
    if hours >= 24 and hours % 24 == 0:
        return Frequency(times_per_day=1, every_days=hours // 24)
    return Frequency(every_hours=max(hours, 1))


def _fixed(times: int, every_days: int = 1, counted: bool = True) -> FrequencyReader:
    def build(_: re.Match[str]) -> Frequency:
        return Frequency(times_per_day=times, every_days=every_days, counted=counted)

    return build


def _every_n(m: re.Match[str]) -> Frequency:
    n = number(m.group(1))
    unit = m.group(2).lower()
    days = n * (7 if unit.startswith("w") else 30 if unit.startswith("m") else 1)
    return Frequency(times_per_day=1, every_days=max(days, 1))


def _n_ly(m: re.Match[str]) -> Frequency:
    """ "2-hourly", "6-monthly": every 2 hours, every 6 months."""
    n, unit = int(m.group(1)), m.group(2).lower()
    if unit == "hourly":
        return Frequency(every_hours=max(n, 1))
    return Frequency(times_per_day=1, every_days=n * (7 if unit == "weekly" else 30))


def _every_uk(m: re.Match[str]) -> Frequency:
    """ "every 4/52": UK shorthand, 4 weeks."""
    days = int(m.group(1)) * {"52": 7, "12": 30, "7": 1}[m.group(2)]
    return Frequency(times_per_day=1, every_days=max(days, 1))


# "N times a week" names N days, spread over the week as evenly as whole days allow,
# Monday first; 7 is daily and once a week stays weekly (every 7 days).
DAYS_FOR_TIMES_A_WEEK: dict[int, tuple[str, ...]] = {
    2: ("MO", "TH"),
    3: ("MO", "WE", "FR"),
    4: ("MO", "TU", "TH", "SA"),
    5: ("MO", "TU", "WE", "TH", "FR"),
    6: ("MO", "TU", "WE", "TH", "FR", "SA"),
}


def _per_week(m: re.Match[str]) -> Frequency:
    n = number((m.group(1) or m.group(2)).split()[0])
    if n >= 7:
        return Frequency(times_per_day=1)
    if n <= 1:
        return Frequency(times_per_day=1, every_days=7)
    return Frequency(times_per_day=1, days_of_week=DAYS_FOR_TIMES_A_WEEK[n])


FREQUENCIES: list[tuple[re.Pattern[str], FrequencyReader]] = [
    (re.compile(r"\bq\.?\s?(\d+)(?:\s*-\s*\d+)?\s?h(?:rs?|ours?)?\b", re.I), _hours),
    (
        re.compile(rf"\bevery\s+({NUM})(?:\s*(?:-|to|or)\s*\d+)?\s*(?:hours?|hrs?|h)\b", re.I),
        _hours,
    ),
    (re.compile(r"\bevery\s+hour\b", re.I), lambda m: Frequency(every_hours=1)),
    (
        # A bare number before "daily" counts doses only with "x" or "times": "72 daily"
        # in "HR 72 daily" is no frequency, and "2 daily" is more often two tablets.
        re.compile(
            rf"\b({NUM}|once|twice|twise|thrice)\s*(?:x\s*|times?\s*)?(?:a|per|each|/)\s*day\b"
            rf"|\b(once|twice|twise|thrice|{NUM}\s*(?:x|times))\s*(?:daily|dialy|daliy)\b",
            re.I,
        ),
        lambda m: Frequency(times_per_day=number((m.group(1) or m.group(2)).split()[0])),
    ),
    (re.compile(r"\b(?:bid|b\.i\.d\.?|bd|morning and (?:evening|night))(?!\w)", re.I), _fixed(2)),
    (re.compile(r"\b(?:tid|t\.i\.d\.?|tds)(?!\w)", re.I), _fixed(3)),
    (re.compile(r"\b(?:qid|q\.i\.d\.?|qds)(?!\w)", re.I), _fixed(4)),
    (
        re.compile(
            r"\b(?:every other (?:day|night)|qod|q\.o\.d\.?|alternate (?:days|nights)|"
            r"every (?:2nd|second) (?:day|night)|on alternate (?:days|nights))(?!\w)",
            re.I,
        ),
        _fixed(1, 2),
    ),
    (re.compile(rf"\bevery\s+({NUM})\s*(days?|weeks?|wks?|months?)\b", re.I), _every_n),
    (re.compile(r"\bevery\s+(\d{1,2})/(52|12|7)(?![\d/])", re.I), _every_uk),
    (re.compile(r"\b(\d{1,2})[- ](hourly|weekly|monthly)\b", re.I), _n_ly),
    (
        re.compile(
            rf"\b({NUM}|twice|thrice)\s*(?:days?|times?|x|sessions?|classes|visits|doses)?\s*"
            r"(?:a|per|/|every|each)\s*(?:week|wk)\b"
            rf"|\b(twice|thrice|{NUM}\s*(?:x|times))\s*weekly\b",
            re.I,
        ),
        _per_week,
    ),
    (
        re.compile(
            r"\b(?:once\s+)?(?:weekly|wkly)\b|\bonce (?:a|per|every) week\b|\bevery week\b|"
            r"\bq\s?(?:1\s?)?w(?:ee)?k\b|\bq7d\b",
            re.I,
        ),
        _fixed(1, 7),
    ),
    (
        re.compile(r"\b(?:once\s+)?monthly\b|\bonce (?:a|per|every) month\b|\bevery month\b", re.I),
        _fixed(1, 30),
    ),
    (
        # "atorvastatin 80 mg on": omni nocte, only where it ends a dose.
        re.compile(
            r"(?:(?<=mg)|(?<=mcg)|(?<=\bg)|(?<=units)|(?<=ml))\s+on(?=\s*(?:[,;.)]|$|\band\b))",
            re.I,
        ),
        _fixed(1, counted=False),
    ),
    (
        re.compile(
            r"\b(?:once daily|daily|dialy|daliy|qd|q\.d\.?|every day|everyday|evry day|each day|"
            r"a day|per day|nightly|om|o\.m\.|"
            r"every night|each night|at night|qhs|q\.h\.s\.?|hs|at bedtime|nocte|qam|"
            r"q\.a\.m\.?|qpm|q\.p\.m\.?|every morning|each morning|every evening|each evening|"
            r"mane|qday|q24h|od)(?!\w)",
            re.I,
        ),
        _fixed(1, counted=False),
    ),
    (
        # "with meals", "after meals": three times a day, when nothing else is said.
        re.compile(r"\b(?:with|after|before)\s+(?:each\s+|every\s+|main\s+)?meals\b", re.I),
        _fixed(3, counted=False),
    ),
]


_ALTERNATE = re.compile(
    r"\b(?:every other (?:day|night)|alternate (?:days|nights)|qod|every (?:2nd|second) day)\b",
    re.I,
)


@functools.lru_cache(maxsize=1024)
def find_frequency(text: str) -> Frequency | None:
    text = MAX_PHRASE.sub(" ", text)
    for pattern, build in FREQUENCIES:
        m = pattern.search(text)
        if m:
            freq = build(m)
            if freq.every_days == 1 and not freq.every_hours and _ALTERNATE.search(text):
                # "once a day on alternate days": the count per day, on every other day.
                return Frequency(freq.times_per_day or 1, every_days=2, counted=freq.counted)
            return freq
    return None


@functools.lru_cache(maxsize=1024)
def frequency_conflict(text: str) -> bool:
    """Whether the text gives two different counted frequencies ("500 mg bid tid"): then
    neither can be trusted. Times of day ("qhs", "every morning") only place doses."""
    text = MAX_PHRASE.sub(" ", text)
    seen: set[tuple[int, int]] = set()
    taken: list[tuple[int, int]] = []
    for pattern, build in FREQUENCIES:
        for m in pattern.finditer(text):
            if any(s < m.end() and m.start() < e for s, e in taken):
                continue
            taken.append((m.start(), m.end()))
            freq = build(m)
            if freq.counted:
                # q8h and tid are one frequency, written two ways.
                per_day = freq.times_per_day or (
                    24 // freq.every_hours
                    if 24 % max(freq.every_hours, 1) == 0
                    else -freq.every_hours
                )
                seen.add((per_day, freq.every_days))
    if _ALTERNATE.search(text):
        # "once a day on alternate days" is one frequency (find_frequency reads it so).
        seen = {(per_day, 2 if every_days == 1 else every_days) for per_day, every_days in seen}
    return len(seen) > 1


def frequency_words(text: str) -> str:
    """The words that gave the frequency, as written ("twice daily")."""
    for pattern, _ in FREQUENCIES:
        m = pattern.search(text)
        if m:
            return m.group(0)
    return ""


# ---------------------------------------------------------------------------------------
# Durations and follow-up times
# ---------------------------------------------------------------------------------------

_UNIT_DAYS = {"d": 1, "day": 1, "w": 7, "wk": 7, "week": 7, "mo": 30, "month": 30, "y": 365}
_UNIT_DAYS |= {"yr": 365, "year": 365, "h": 0, "hr": 0, "hour": 0, "night": 1}
_DURATION_UNIT = r"(days?|d|nights?|wks?|weeks?|w|months?|mos?|years?|yrs?|hours?|hrs?|h)"
DURATIONS = [
    re.compile(rf"\bx\s*({NUM})\s*{_DURATION_UNIT}\b", re.I),
    re.compile(
        rf"\bfor\s+(?:the\s+next\s+|another\s+|a total of\s+|the first\s+)?({NUM}|a|an)"
        rf"(?:\s*(?:-|to)\s*\d+)?(?:\s+more|\s+further)?\s*{_DURATION_UNIT}\b",
        re.I,
    ),
    re.compile(rf"\b({NUM})[- ]{_DURATION_UNIT}\s+course\b", re.I),
    re.compile(r"(?:(?<=\bx)|(?<![\w/.]))(\d{1,2})/(7|52|12)(?![\d/])", re.I),
]
_UK_DENOMINATOR_DAYS = {"7": 1, "52": 7, "12": 30}
TIME_PHRASE = re.compile(
    rf"\b{NUM}(?:\s*(?:-|to)\s*\d+)?\s*(?:working\s+|business\s+|clear\s+)?{_DURATION_UNIT}\b|"
    r"(?<![\w/.])\d{1,2}/(?:7|52|12)\b|\b(?:annual|annually|yearly|six-monthly)\b|"
    r"\bnext (?:week|month|visit|appointment)\b|\btom+or+ow\b|\bthis week\b|\bon day \d+\b|"
    r"\b(?:on|next|this|by)\s+(?:mon|tues|wednes|thurs|fri|satur|sun)day\b|"
    r"\b(?:in|by|from|before|during)\s+(?:jan|febr)uary\b|\b(?:in|by|from|before|during)\s+"
    r"(?:march|april|may|june|july|august|september|october|november|december)\b",
    re.I,
)


@functools.lru_cache(maxsize=1024)
def duration_days(text: str) -> int:
    """The course length the text gives, in days; 0 when it gives none."""
    for pattern in DURATIONS:
        m = pattern.search(text)
        if m and re.search(r"\bevery\s*$", text[: m.start()], re.I):
            m = pattern.search(text, m.end())  # "every 4/52" is a frequency
        if not m:
            continue
        if pattern is DURATIONS[-1]:
            return int(m.group(1)) * _UK_DENOMINATOR_DAYS[m.group(2)]
        count = number(m.group(1))
        unit = m.group(2).lower().rstrip("s")
        unit = {"wk": "w", "mo": "mo", "yr": "y", "year": "y", "hr": "h", "hour": "h"}.get(
            unit, unit
        )
        if unit == "h":
            return max(math.ceil(count / 24), 1)
        if unit in ("month", "mo"):
            return count * 30
        return count * _UNIT_DAYS.get(unit, 1)
    return 0


def has_time_phrase(text: str) -> bool:
    return bool(TIME_PHRASE.search(text))
