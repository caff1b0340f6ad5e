"""The missed-dose rule: a missed dose of a fixed course is made up at the end of it.

Patient leaflets say it plainly: never take a double dose to make up for a forgotten
one, and finish the course. So a dose of a bounded course that the patient did not
acknowledge in time is made up by one more dose appended after the last dose of the
course, in the course's own slot pattern: the next slot the schedule would have had if
it were one dose longer. The course ends one slot later ("course extended to Wed 9
Dec"), and no two pending doses of the item are ever closer than its own dosing
interval, because every dose, made up or not, sits on the item's regular grid.

Rejected: the next day at the same time (lands on the next regular dose of a daily
course, two reminders at once, and the course still ends on its first end date), and
moving the rest of the course back by one slot (re-plans doses already announced and
exported to calendars, which patients set alarms by).

What gets no make-up:
* taken doses are never re-planned, and skipped ones (the patient's choice) get none:
  only MISSED reminders reach this module;
* ongoing plans: the next regular dose comes anyway;
* steps of a taper (several items of one medicine on consecutive days): appending a
  dose to one step would overlap the next, lower one;
* a make-up missed makeup_cap times in a row: one missed dose extends the course by at
  most makeup_cap slots, so a patient who stopped answering is not reminded forever.
* doses appended would start after `now`: a slot already in the past is skipped for
  the next one of the pattern (after an outage, for instance).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from carenotes_server.domain.schedule import Slot, continuation, following_slot
from carenotes_server.domain.steps import Schedule


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


def may_make_up(schedule: Schedule, *, makeup_allowed: bool) -> bool:
    """Whether missed doses of an item with this schedule are made up at all.

    makeup_allowed is decided when the item comes into force (False for taper steps).
    """
    return schedule.is_bounded and makeup_allowed


def makeup_slot(
    schedule: Schedule,
    *,
    tz: ZoneInfo,
    anchor: datetime,
    last: Slot,
    now: datetime,
    makeup_depth: int,
    policy: MissedDosePolicy,
    makeup_allowed: bool = True,
) -> Slot | None:
    """The dose that makes up a missed one, or None when it gets none.

    last: the item's last dose so far (regular or make-up), whatever its status.
    makeup_depth: how many make-ups deep the missed reminder already is (0 for a regular
    dose). The returned slot follows `last` in the item's slot pattern, is due after
    `now`, and is makeup_depth + 1 deep.
    """
    for value, name in ((anchor, "anchor"), (last.due_at, "last.due_at"), (now, "now")):
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"{name} must be timezone-aware")
    if makeup_depth < 0:
        raise ValueError("makeup_depth must not be negative")
    if not may_make_up(schedule, makeup_allowed=makeup_allowed):
        return None
    if makeup_depth >= policy.makeup_cap:
        return None
    pattern = continuation(schedule)
    slot = following_slot(pattern, tz=tz, anchor=anchor, slot=last)
    while slot is not None and slot.due_at <= now:
        slot = following_slot(pattern, tz=tz, anchor=anchor, slot=slot)
    return slot
