"""The missed-dose make-up rule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from carenotes_server.domain.missed_dose import MissedDosePolicy, makeup_due

NEW_YORK = ZoneInfo("America/New_York")  # 2025: spring forward Mar 9, fall back Nov 2
BERLIN = ZoneInfo("Europe/Berlin")  # 2025: spring forward Mar 30, fall back Oct 26
DEFAULT = MissedDosePolicy()


def at(tz: ZoneInfo, y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=tz)


def test_makeup_is_the_next_local_day_at_the_same_time() -> None:
    due = makeup_due(at(BERLIN, 2025, 6, 2, 21), BERLIN, 0, DEFAULT, course_is_bounded=True)
    assert due == at(BERLIN, 2025, 6, 3, 21)
    assert due is not None
    assert due.tzinfo == UTC


@pytest.mark.parametrize(
    ("tz", "missed", "expected", "real_time_between"),
    [
        (NEW_YORK, at(NEW_YORK, 2025, 3, 8, 9), at(NEW_YORK, 2025, 3, 9, 9), timedelta(hours=23)),
        (NEW_YORK, at(NEW_YORK, 2025, 11, 1, 9), at(NEW_YORK, 2025, 11, 2, 9), timedelta(hours=25)),
        (BERLIN, at(BERLIN, 2025, 3, 29, 9), at(BERLIN, 2025, 3, 30, 9), timedelta(hours=23)),
        (BERLIN, at(BERLIN, 2025, 10, 25, 9), at(BERLIN, 2025, 10, 26, 9), timedelta(hours=25)),
    ],
)
def test_makeup_keeps_the_local_time_across_dst(
    tz: ZoneInfo, missed: datetime, expected: datetime, real_time_between: timedelta
) -> None:
    due = makeup_due(missed, tz, 0, DEFAULT, course_is_bounded=True)
    assert due == expected
    assert due is not None
    assert due.astimezone(tz).time() == missed.time()
    assert due - missed == real_time_between


def test_makeup_landing_in_the_spring_forward_gap_moves_past_it() -> None:
    due = makeup_due(at(NEW_YORK, 2025, 3, 8, 2, 30), NEW_YORK, 0, DEFAULT, course_is_bounded=True)
    assert due is not None
    assert due.astimezone(NEW_YORK) == at(NEW_YORK, 2025, 3, 9, 3, 30)


def test_missed_time_given_in_utc_is_read_on_the_patients_clock() -> None:
    missed = datetime(2025, 3, 8, 14, 0, tzinfo=UTC)  # 09:00 EST
    due = makeup_due(missed, NEW_YORK, 0, DEFAULT, course_is_bounded=True)
    assert due == datetime(2025, 3, 9, 13, 0, tzinfo=UTC)  # 09:00 EDT


def test_a_missed_makeup_is_made_up_again_until_the_cap() -> None:
    missed = at(BERLIN, 2025, 6, 2, 9)
    chain = []
    depth = 0
    while (due := makeup_due(missed, BERLIN, depth, DEFAULT, course_is_bounded=True)) is not None:
        chain.append(due)
        missed, depth = due, depth + 1
    assert chain == [at(BERLIN, 2025, 6, d, 9) for d in (3, 4, 5)]  # default cap: 3


@pytest.mark.parametrize(("cap", "depth", "made_up"), [(1, 0, True), (1, 1, False), (0, 0, False)])
def test_the_cap_is_configurable(cap: int, depth: int, made_up: bool) -> None:
    policy = MissedDosePolicy(makeup_cap=cap)
    due = makeup_due(at(BERLIN, 2025, 6, 2, 9), BERLIN, depth, policy, course_is_bounded=True)
    assert (due is not None) is made_up


def test_ongoing_plans_get_no_makeup() -> None:
    assert (
        makeup_due(at(BERLIN, 2025, 6, 2, 9), BERLIN, 0, DEFAULT, course_is_bounded=False) is None
    )


def test_naive_or_negative_inputs_are_rejected() -> None:
    with pytest.raises(ValueError, match="aware"):
        makeup_due(datetime(2025, 6, 2, 9), BERLIN, 0, DEFAULT, course_is_bounded=True)
    with pytest.raises(ValueError, match="negative"):
        makeup_due(at(BERLIN, 2025, 6, 2, 9), BERLIN, -1, DEFAULT, course_is_bounded=True)


@pytest.mark.parametrize(
    "kwargs", [{"makeup_cap": -1}, {"max_window": timedelta(0)}, {"max_window": -timedelta(1)}]
)
def test_policy_rejects_nonsense(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError, match=r"negative|positive"):
        MissedDosePolicy(**kwargs)  # type: ignore[arg-type]
