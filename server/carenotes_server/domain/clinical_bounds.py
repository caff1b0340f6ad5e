"""The clinical bounds a schedule must respect before anything is put in force.

A schedule outside them is refused, never clamped: "40 times daily" is a misreading or
a slip of the pen, and 12 reminders a day would be a third, silent, interpretation. The
note is then FAILED with a reason naming the item and the bound, and the plan in force
stays as it was. The bounds, and why:

* At most MAX_DOSES_PER_DAY doses a day (times_per_day, explicit times, or 24 h /
  every_hours). Twelve is every two hours around the clock; anything more frequent
  (hourly eye drops in an acute infection) is supervised care, not a reminder plan.
* At least MIN_HOURS_BETWEEN_DOSES hours between doses of an every_hours schedule, the
  same bound seen from the interval.
* At most MAX_HOURS_BETWEEN_DOSES for every_hours (weekly, written in hours) and
  MAX_DAYS_BETWEEN_DOSES between dosing days (a yearly infusion).
* A bounded course lasts at most MAX_COURSE_DAYS (ten years: bisphosphonates, endocrine
  therapy) and has at most MAX_COURSE_DOSES doses, which are all planned at once; a
  longer treatment is written as ongoing and reminded on a rolling window.
* The first dose is at most MAX_START_IN_DAYS days away.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from carenotes_server.domain.errors import FieldViolation

if TYPE_CHECKING:
    from carenotes_server.domain.steps import Schedule

MAX_DOSES_PER_DAY = 12
MIN_HOURS_BETWEEN_DOSES = 24 // MAX_DOSES_PER_DAY
MAX_HOURS_BETWEEN_DOSES = 168
MAX_DAYS_BETWEEN_DOSES = 366
MAX_COURSE_DAYS = 3660
MAX_COURSE_DOSES = 2000
MAX_START_IN_DAYS = 366


def doses_per_dosing_day(schedule: Schedule) -> int:
    """How many doses fall on one dosing day (every_hours: per 24 hours, at least 1)."""
    if schedule.every_hours:
        return max(24 // schedule.every_hours, 1)
    return schedule.times_per_day or len(schedule.times_of_day)


def course_days(schedule: Schedule) -> int:
    """Days from the first to the last dose of a bounded course, counted generously (whole
    dosing periods); 0 for an ongoing or as-needed item."""
    if not schedule.is_bounded:
        return 0
    if schedule.every_hours:
        return math.ceil(schedule.occurrences * schedule.every_hours / 24)
    per_day = max(doses_per_dosing_day(schedule), 1)
    dosing_days = math.ceil(schedule.occurrences / per_day)
    if schedule.days_of_week:
        weeks = math.ceil(dosing_days / len(schedule.days_of_week))
        return weeks * 7 * max(schedule.every_days // 7, 1)
    return dosing_days * max(schedule.every_days, 1)


def bound_violations(path: str, schedule: Schedule) -> list[FieldViolation]:
    """One violation per bound the schedule breaks; descriptions hold numbers only."""
    out: list[FieldViolation] = []

    def refuse(name: str, text: str) -> None:
        out.append(FieldViolation(f"{path}.{name}", text))

    if schedule.as_needed:
        return out
    doses = doses_per_dosing_day(schedule)
    if schedule.every_hours and schedule.every_hours < MIN_HOURS_BETWEEN_DOSES:
        refuse(
            "every_hours",
            f"a dose every {schedule.every_hours} h is more often than the clinical bound "
            f"of one every {MIN_HOURS_BETWEEN_DOSES} h",
        )
    elif doses > MAX_DOSES_PER_DAY:
        name = "times_per_day" if schedule.times_per_day else "times_of_day"
        refuse(
            name,
            f"{doses} doses a day is more than the clinical bound of {MAX_DOSES_PER_DAY} a day",
        )
    if schedule.every_hours > MAX_HOURS_BETWEEN_DOSES:
        refuse(
            "every_hours",
            f"{schedule.every_hours} h between doses is more than the clinical bound of "
            f"{MAX_HOURS_BETWEEN_DOSES} h",
        )
    if schedule.every_days > MAX_DAYS_BETWEEN_DOSES:
        refuse(
            "every_days",
            f"{schedule.every_days} days between doses is more than the clinical bound of "
            f"{MAX_DAYS_BETWEEN_DOSES} days",
        )
    if schedule.occurrences > MAX_COURSE_DOSES:
        refuse(
            "occurrences",
            f"a course of {schedule.occurrences} doses is more than the clinical bound of "
            f"{MAX_COURSE_DOSES}; write a longer treatment as ongoing",
        )
    span = max(schedule.duration_days, course_days(schedule))
    if span > MAX_COURSE_DAYS:
        refuse(
            "duration_days",
            f"a course of {span} days is longer than the clinical bound of {MAX_COURSE_DAYS} days",
        )
    if schedule.start_in_days > MAX_START_IN_DAYS:
        refuse(
            "start_in_days",
            f"a first dose {schedule.start_in_days} days away is later than the clinical "
            f"bound of {MAX_START_IN_DAYS} days",
        )
    return out
