"""The lifecycle of one reminder, as data.

    SCHEDULED --deliver--> SENT
    SCHEDULED | SENT --patient--> TAKEN | SKIPPED
    SCHEDULED | SENT --window passed--> MISSED
    SCHEDULED --its item stopped--> CANCELLED

A SCHEDULED reminder may be acknowledged or missed without having been delivered: the
patient can answer a due reminder before the sender gets to it, and one that was never
delivered (an outage) still misses its window. A SENT reminder is never cancelled: the
patient was told to take that dose, so it stays answerable until its window ends,
whatever a newer note does to its item. Whether a reminder is due yet is a time check
for the caller; this module only knows which moves exist.

The table governs the database: every status UPDATE takes its allowed source statuses
from `sources(target)`, so a move the table does not list cannot happen in SQL either.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType


class ReminderState(StrEnum):
    """Reminder status; each value is the proto's ReminderStatus name minus its prefix
    (REMINDER_STATUS_<value>)."""

    SCHEDULED = "SCHEDULED"
    SENT = "SENT"
    TAKEN = "TAKEN"
    SKIPPED = "SKIPPED"
    MISSED = "MISSED"
    CANCELLED = "CANCELLED"


class InvalidTransitionError(ValueError):
    """A status change the reminder lifecycle does not allow."""

    def __init__(self, src: ReminderState, dst: ReminderState) -> None:
        super().__init__(f"reminder cannot go from {src} to {dst}")
        self.src = src
        self.dst = dst


_S = ReminderState

ALLOWED_TRANSITIONS: Mapping[ReminderState, frozenset[ReminderState]] = MappingProxyType(
    {
        _S.SCHEDULED: frozenset({_S.SENT, _S.TAKEN, _S.SKIPPED, _S.MISSED, _S.CANCELLED}),
        _S.SENT: frozenset({_S.TAKEN, _S.SKIPPED, _S.MISSED}),
        _S.TAKEN: frozenset(),
        _S.SKIPPED: frozenset(),
        _S.MISSED: frozenset(),
        _S.CANCELLED: frozenset(),
    }
)
"""Every allowed status change, by source status; staying in the same status is not one."""

PENDING_STATES: frozenset[ReminderState] = frozenset({_S.SCHEDULED, _S.SENT})
"""Not yet answered or closed."""

OPEN_STATES: frozenset[ReminderState] = PENDING_STATES
"""Still awaiting the patient (counted as upcoming, acknowledgeable once due). The same
set as PENDING_STATES today; two names because the two questions are different."""

ACKNOWLEDGED_STATES: frozenset[ReminderState] = frozenset({_S.TAKEN, _S.SKIPPED})
"""The patient answered."""

FINAL_STATES: frozenset[ReminderState] = frozenset(
    state for state, targets in ALLOWED_TRANSITIONS.items() if not targets
)
"""No way out: TAKEN, SKIPPED, MISSED, CANCELLED."""


def can_transition(src: ReminderState, dst: ReminderState) -> bool:
    """Whether a reminder in status src may move to status dst."""
    return dst in ALLOWED_TRANSITIONS[src]


def transition(src: ReminderState, dst: ReminderState) -> ReminderState:
    """Returns dst if src -> dst is allowed; raises InvalidTransitionError otherwise."""
    if not can_transition(src, dst):
        raise InvalidTransitionError(src, dst)
    return dst


def is_final(state: ReminderState) -> bool:
    """Whether no further status change is possible."""
    return state in FINAL_STATES


def is_pending(state: ReminderState) -> bool:
    """Whether the reminder still awaits the patient or its window (SCHEDULED or SENT)."""
    return state in PENDING_STATES


def sources(dst: ReminderState) -> tuple[str, ...]:
    """The statuses a reminder may move to dst from, as stored values (sorted), for the
    WHERE clause of the conditional UPDATE that makes the move."""
    return tuple(
        sorted(src.value for src, targets in ALLOWED_TRANSITIONS.items() if dst in targets)
    )
