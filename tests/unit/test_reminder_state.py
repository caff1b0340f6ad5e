"""The reminder lifecycle."""

from __future__ import annotations

from itertools import product

import pytest

from carenotes.v1 import steps_pb2
from carenotes_server.domain.reminder_state import (
    ACKNOWLEDGED_STATES,
    ALLOWED_TRANSITIONS,
    FINAL_STATES,
    OPEN_STATES,
    PENDING_STATES,
    InvalidTransitionError,
    ReminderState,
    can_transition,
    is_final,
    is_pending,
    sources,
    transition,
)

S = ReminderState
EXPECTED_MOVES = {
    (S.SCHEDULED, S.SENT),
    (S.SCHEDULED, S.TAKEN),  # answered while due but before the sender got to it
    (S.SCHEDULED, S.SKIPPED),
    (S.SCHEDULED, S.MISSED),  # never delivered (outage) and its window passed
    (S.SCHEDULED, S.CANCELLED),
    (S.SENT, S.TAKEN),
    (S.SENT, S.SKIPPED),
    (S.SENT, S.MISSED),
    # Not SENT -> CANCELLED: a dose the patient was told to take stays answerable.
}


@pytest.mark.parametrize(("src", "dst"), list(product(S, S)))
def test_exactly_the_expected_moves_are_allowed(src: S, dst: S) -> None:
    assert can_transition(src, dst) is ((src, dst) in EXPECTED_MOVES)


def test_every_state_has_an_entry_in_the_table() -> None:
    assert set(ALLOWED_TRANSITIONS) == set(S)


def test_state_groups() -> None:
    assert {S.SCHEDULED, S.SENT} == PENDING_STATES
    assert OPEN_STATES == PENDING_STATES
    assert {S.TAKEN, S.SKIPPED} == ACKNOWLEDGED_STATES
    assert {S.TAKEN, S.SKIPPED, S.MISSED, S.CANCELLED} == FINAL_STATES
    assert set(S) == PENDING_STATES | FINAL_STATES
    assert not PENDING_STATES & FINAL_STATES
    assert all(is_final(s) != is_pending(s) for s in S)


def test_nothing_leaves_a_final_state() -> None:
    for src, dst in product(FINAL_STATES, S):
        assert not can_transition(src, dst)


def test_transition_returns_the_target_or_raises() -> None:
    assert transition(S.SENT, S.TAKEN) is S.TAKEN
    with pytest.raises(InvalidTransitionError, match="MISSED to TAKEN") as caught:
        transition(S.MISSED, S.TAKEN)
    assert (caught.value.src, caught.value.dst) == (S.MISSED, S.TAKEN)


def test_states_match_the_proto_enum() -> None:
    proto_names = {
        name for name, _ in steps_pb2.ReminderStatus.items() if not name.endswith("UNSPECIFIED")
    }
    assert {f"REMINDER_STATUS_{s.value}" for s in S} == proto_names
    assert S("SENT") is S.SENT  # values round-trip through storage as plain strings


@pytest.mark.parametrize("dst", list(S))
def test_sources_are_the_table_read_backwards(dst: S) -> None:
    assert set(sources(dst)) == {src.value for src in S if can_transition(src, dst)}
    assert list(sources(dst)) == sorted(sources(dst))


def test_only_scheduled_reminders_can_be_cancelled() -> None:
    assert sources(S.CANCELLED) == ("SCHEDULED",)
