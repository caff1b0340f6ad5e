"""Days of the week a schedule names: "Mon/Wed/Fri", "Tue and Thu", "weekends", "Mon-Fri"."""

from __future__ import annotations

import functools
import re

_DAY_NAMES = {
    "mo": "MO", "tu": "TU", "we": "WE", "th": "TH", "fr": "FR", "sa": "SA", "su": "SU",
}  # fmt: skip
WEEK = tuple(_DAY_NAMES.values())
DAY = (
    r"(?:mon(?:day)?|tue(?:s(?:day)?)?|wed(?:s|nesday)?|thu(?:r(?:s(?:day)?)?)?|fri(?:day)?"
    r"|sat(?:urday)?|sun(?:day)?)s?\.?"
)
_FULL_DAY = r"(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)s?"
_DAY_JOIN = r"\s*(?:/|,|&|\+|\band\b|\bor\b|-|\u2013|\bto\b|\bthrough\b|\bthru\b)\s*"
# Two or more day names in a row ("Mon/Wed/Fri", "Tue and Thu", "Mon-Fri"), or one full
# name, or one short name after "on"/"every" ("on Tue"): a lone "sun" or "sat" in a
# sentence is no day.
DAY_LIST = re.compile(
    rf"(?<![\w/])(?:{DAY}(?:{_DAY_JOIN}{DAY})+|{_FULL_DAY}"
    rf"|(?:(?<=\bon )|(?<=\bevery )|(?<=\beach )|(?<=\()){DAY})(?![\w/])",
    re.I,
)
# One day named once is a date ("on Friday", "next Tuesday", "Monday's dose"); it
# recurs only when written so: "every Friday", "on Fridays", "Fridays", "weekly on Friday".
_RECURRING_ONE_DAY = re.compile(
    rf"\b(?:every|each)\s+{DAY}|(?<![\w/])(?:mon|tues?|wed(?:nes)?|thur?s?|fri|satur|sun)days\b",
    re.I,
)
_DAY_WORD = re.compile(rf"(?<![\w/]){DAY}(?![\w/'])", re.I)
# "3 mg on all other days": the days the clause's other doses leave.
OTHER_DAYS = re.compile(
    r"\b(?:on\s+)?(?:all\s+(?:the\s+)?other|the\s+other|other|the\s+remaining|remaining)\s+days\b"
    r"|\b(?:the\s+)?rest\s+of\s+the\s+week\b",
    re.I,
)
WEEKENDS = re.compile(r"\b(?:(?:on|at|over|every)\s+(?:the\s+)?weekends?|weekends)\b", re.I)
WEEKDAYS_ONLY = re.compile(
    r"\b(?:(?:on|every)\s+weekdays?|weekdays(?:\s+only)?|mon(?:day)?\s*(?:-|to)\s*fri(?:day)?)\b",
    re.I,
)
_RANGE_JOINS = ("-", "\u2013", "to", "through", "thru")
# "daily except Sundays", "every day but Sat and Sun": the other days of the week.
EXCEPT = re.compile(r"\b(?:except|but not|apart from|other than)\b(?:\s+on)?\s*", re.I)


@functools.lru_cache(maxsize=1024)
def weekdays(text: str, *, weekly: bool = False) -> tuple[str, ...]:
    """The days of the week a phrase names as a schedule, in week order (RFC 5545
    codes). `weekly`: the phrase also says "weekly", so one day named once recurs."""
    days = _schedule_days(text)
    if len(days) == 1 and not weekly and not _RECURRING_ONE_DAY.search(text):
        return ()
    return days


def _schedule_days(text: str) -> tuple[str, ...]:
    excepted = EXCEPT.search(text)
    if excepted:
        left_out = _named_days(text[excepted.end() :])
        if left_out and not _named_days(text[: excepted.start()]):
            return tuple(code for code in WEEK if code not in left_out)
    return _named_days(text)


def _named_days(text: str) -> tuple[str, ...]:
    days: set[str] = set()
    if WEEKENDS.search(text):
        days |= {"SA", "SU"}
    if WEEKDAYS_ONLY.search(text):
        days |= {"MO", "TU", "WE", "TH", "FR"}
    for m in DAY_LIST.finditer(text):
        parts = re.split(rf"({_DAY_JOIN})", m.group(0), flags=re.I)
        codes = [_DAY_NAMES[p.strip().lower()[:2]] for p in parts[::2] if p.strip()]
        joins = [j.strip().lower() for j in parts[1::2]]
        if len(codes) == 2 and joins and joins[0] in _RANGE_JOINS:
            first, last = WEEK.index(codes[0]), WEEK.index(codes[1])
            span = WEEK[first : last + 1] if first <= last else WEEK[first:] + WEEK[: last + 1]
            days |= set(span)
        else:
            days |= set(codes)
    return tuple(code for code in WEEK if code in days)


def strip_weekdays(text: str) -> str:
    text = WEEKENDS.sub(" ", WEEKDAYS_ONLY.sub(" ", text))
    text = re.sub(rf"\b(?:on|every|each)\s+(?={DAY})", " ", text, flags=re.I)
    return DAY_LIST.sub(" ", text)


_FULL_NAMES = {
    "MO": "Monday", "TU": "Tuesday", "WE": "Wednesday", "TH": "Thursday", "FR": "Friday",
    "SA": "Saturday", "SU": "Sunday",
}  # fmt: skip


def with_other_days(text: str, taken: set[str]) -> str:
    """ "3 mg on all other days", with the days the rest of the clause takes known:
    the same text naming the days left."""
    m = OTHER_DAYS.search(text)
    left = [code for code in WEEK if code not in taken]
    if m is None or not taken or not left:
        return text
    return text[: m.start()] + " on " + "/".join(_FULL_NAMES[c] for c in left) + text[m.end() :]
