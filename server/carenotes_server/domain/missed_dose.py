"""The missed-dose make-up rule.

A dose of a bounded course that the patient did not acknowledge in time is made up the
next local day at the same wall-clock time, so the course still ends with the prescribed
doses taken. A make-up that is missed again is made up the same way, up to a cap of
consecutive make-ups. Ongoing plans get no make-ups (the next regular dose comes anyway),
and neither do doses the patient chose to skip: that is the caller's to enforce, since
only MISSED reminders reach this module.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from carenotes_server.domain.schedule import to_utc


@dataclass(frozen=True)
class MissedDosePolicy:
    """How missed doses are handled.

    makeup_cap: how many make-ups in a row one missed dose may get (0 disables make-ups).
    max_window: optional longest time a reminder stays acknowledgeable; see
    schedule.window_end, which it is meant to be passed to.
    """

    makeup_cap: int = 3
    max_window: timedelta | None = None

    def __post_init__(self) -> None:
        if self.makeup_cap < 0:
            raise ValueError("makeup_cap must not be negative")
        if self.max_window is not None and self.max_window <= timedelta(0):
            raise ValueError("max_window must be positive")


def makeup_due(
    missed_due_at: datetime,
    tz: ZoneInfo,
    makeup_depth: int,
    policy: MissedDosePolicy,
    course_is_bounded: bool,
) -> datetime | None:
    """When the make-up of a missed reminder is due (UTC), or None when none is due.

    missed_due_at: due time of the reminder that became MISSED (aware).
    makeup_depth: how many make-ups deep that reminder already is (0 for a regular dose,
    1 for the make-up of a regular dose, ...). A make-up is due while makeup_depth <
    policy.makeup_cap; the new reminder is then makeup_depth + 1 deep.
    The make-up is the next local day at the same local wall-clock time: across a DST
    change it moves in absolute time so it stays at that time on the patient's clock
    (a time that falls into a spring-forward gap moves forward by the gap's length).
    """
    if missed_due_at.tzinfo is None or missed_due_at.utcoffset() is None:
        raise ValueError("missed_due_at must be timezone-aware")
    if makeup_depth < 0:
        raise ValueError("makeup_depth must not be negative")
    if not course_is_bounded or makeup_depth >= policy.makeup_cap:
        return None
    local = missed_due_at.astimezone(tz)
    # Day arithmetic on the naive wall clock (not on the instant) is what keeps the
    # local time: 09:00 the day before a DST change -> 09:00 the day of it.
    next_day_same_time = local.replace(tzinfo=None) + timedelta(days=1)
    return to_utc(next_day_same_time, tz).astimezone(UTC)
