"""When a course starts, when it is written as days of a regimen ("d2-5"), and how
many doses it counts.

A later start is read only where the note says so: "starting tomorrow", "start ...
after 3 days", "one week from today", "starting 48 hours after chemo", "on day 8".
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable

from carenotes_server.extraction.rules.quantities import MAX_PHRASE, NUM, number

_TOMORROW = r"tom+or+ow"
_START = r"(?:start\w*|begin\w*|commenc\w*|from|resum\w*|restart\w*)"
_FOLLOW_UP_WORD = r"(?:review|recheck|re-?check|follow|f/u|return|rtc|see|call|repeat)"
_UNIT = r"(days?|d|nights?|weeks?|wks?|w|months?|mos?)"


def _unit_days(unit: str) -> int:
    unit = unit.lower()
    if unit.startswith("w"):
        return 7
    if unit.startswith("m"):
        return 30
    return 1


def _in_units(m: re.Match[str]) -> int:
    return number(m.group(1)) * _unit_days(m.group(2))


def _in_hours(m: re.Match[str]) -> int:
    return math.ceil(number(m.group(1)) / 24)


_OFFSETS: list[tuple[re.Pattern[str], Callable[[re.Match[str]], int]]] = [
    (re.compile(rf"\b(?:starting\s+|from\s+|start\s+)?(?:{_TOMORROW})\b", re.I), lambda m: 1),
    (re.compile(rf"\b({NUM}|a|an)\s*{_UNIT}\s+from\s+(?:today|now)\b", re.I), _in_units),
    (
        # "Start X ... after 3 days", "starting in 2 weeks"; not "review in 2 weeks".
        re.compile(
            rf"\b{_START}\b(?:(?!\b{_FOLLOW_UP_WORD}\b)[^;])*?\b(?:in|after)\s+({NUM}|a|an)\s*"
            rf"{_UNIT}\b(?!\s+(?:of|after|before))",
            re.I,
        ),
        _in_units,
    ),
    (re.compile(rf"\b{_START}\s+({NUM})\s*(?:hours?|hrs?|h)\s+after\b", re.I), _in_hours),
    (
        re.compile(r"\b(?:on|from|starting(?: on)?)\s+day\s+(\d{1,3})\b", re.I),
        lambda m: int(m.group(1)) - 1,
    ),
]
_TODAY = re.compile(r"\b(?:today|tonight|now|this (?:morning|evening))\b", re.I)

# "d2-5", "days 2-5", "day 2 to 5": the course runs from the first day to the last, day 1
# being today.
_DAY_RANGE = re.compile(
    r"\b(?:d|days?\s*)(\d{1,3})\s*(?:-|\u2013|to)\s*(?:d|day\s*)?(\d{1,3})\b", re.I
)
_DAY_ONE = re.compile(r"\b(?:on\s+)?(?:d|day\s*)1\b(?!\s*(?:-|\u2013|to)\s*\d)", re.I)


@functools.lru_cache(maxsize=1024)
def start_offset(text: str) -> int | None:
    """Days from today to the first dose when the text says; None when it does not."""
    for pattern, read in _OFFSETS:
        m = pattern.search(text)
        if m:
            return max(read(m), 0)
    return 0 if _TODAY.search(text) else None


def day_range(text: str) -> tuple[int, int] | None:
    """(start_in_days, duration_days) of a course written as days of a regimen."""
    m = _DAY_RANGE.search(text)
    if m is None:
        return None
    first, last = int(m.group(1)), int(m.group(2))
    if not 1 <= first <= last:
        return None
    return first - 1, last - first + 1


def is_day_one(text: str) -> bool:
    """ "500 mg d1": a single dose on the first day of a regimen."""
    return bool(_DAY_ONE.search(text)) and day_range(text) is None


_OFFSET_WORDS = re.compile(
    rf"\b(?:starting\s+|from\s+|start\s+)?(?:{_TOMORROW})(?:\s+(?:morning|evening|night))?\b"
    rf"|\b(?:starting\s+)?(?:{NUM}|a|an)\s*{_UNIT}\s+from\s+(?:today|now)\b"
    rf"|\b(?:starting\s+)?(?:in|after)\s+(?:{NUM}|a|an)\s*{_UNIT}\b(?!\s+(?:of|after|before))"
    rf"|\bstarting\s+{NUM}\s*(?:hours?|hrs?|h)\s+after\s+[\w-]+"
    r"|\b(?:starting\s+)?(?:on|from)\s+day\s+\d{1,3}\b"
    r"|\bstarting\s+(?:tonight|today|now)\b",
    re.I,
)


def strip_offsets(text: str) -> str:
    """A step's text without the words that said when it starts ("starting tomorrow"):
    the schedule says it."""
    return _OFFSET_WORDS.sub(" ", text)


# A day around a procedure: what is done then is done once ("the evening before", "on the
# morning of surgery", "before leaving home that morning").
ONE_DAY = re.compile(
    r"\bthe (?:evening|night|morning|day|afternoon) before\b|\bon the day\b|"
    r"\b(?:the|that) (?:morning|evening|night|day) of\b|\bthat (?:morning|evening|day)\b|"
    r"\bbefore (?:leaving|you leave|the (?:procedure|surgery|operation|test|scan|flight))\b",
    re.I,
)


# "x 12 doses", "12 weekly doses", "3 patches for the trip": the number of doses itself.
# "max 2 doses in 24 h" is a cap, not a count.
DOSE_COUNT = re.compile(
    rf"\bx\s*({NUM})\s*doses\b"
    rf"|\b({NUM})\s+(?:more\s+|further\s+)?(?:weekly\s+|daily\s+|monthly\s+)?doses\b"
    r"(?!\s*(?:in|per|a|/|each)\b)"
    rf"|\b({NUM})\s+(?:more|further|remaining)\s+(?:doses|injections|tablets|tabs|capsules|"
    r"patches|applications)\b"
    rf"|\b({NUM})\s+(?:patch(?:es)?|tablets?|tabs|capsules?|caps|injections?|applications?)"
    r"\s+(?:in total|total|for the (?:trip|course|journey|holiday|flight))\b",
    re.I,
)


@functools.lru_cache(maxsize=1024)
def dose_count(text: str) -> int:
    """The number of doses a course is written as, or 0."""
    m = DOSE_COUNT.search(MAX_PHRASE.sub(" ", text))
    if m is None or re.search(
        r"\b(?:max(?:imum)?|up to|no more than)\s*$", text[: m.start()], re.I
    ):
        return 0
    return number(next(g for g in m.groups() if g))
