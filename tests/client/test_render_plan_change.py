"""How the CLI tells a doctor what a note changes, and a patient how long a course runs."""

from __future__ import annotations

from datetime import UTC, datetime

from google.protobuf.timestamp_pb2 import Timestamp

from carenotes.v1 import steps_pb2
from carenotes_client import render

AMOX = steps_pb2.PlanItem(
    id="p1",
    action="Take amoxicillin 500 mg",
    schedule=steps_pb2.Schedule(times_per_day=2, duration_days=7, occurrences=14),
)
METFORMIN = steps_pb2.PlanItem(
    id="p2", action="Take metformin 500 mg", schedule=steps_pb2.Schedule(times_per_day=2)
)


def _stamp(value: datetime) -> Timestamp:
    out = Timestamp()
    out.FromDatetime(value)
    return out


def test_a_stop_says_how_many_doses_it_cancels_and_a_kept_item_says_it_stays() -> None:
    change = steps_pb2.PlanChange(
        changes_plan=True,
        items=[
            steps_pb2.PlanItemChange(
                kind=steps_pb2.PLAN_CHANGE_KIND_STOPPED,
                in_force=AMOX,
                stop_reason=steps_pb2.STOP_REASON_EXPLICIT,
                reminders_cancelled=4,
            ),
            steps_pb2.PlanItemChange(
                kind=steps_pb2.PLAN_CHANGE_KIND_KEPT, in_force=METFORMIN, from_note=METFORMIN
            ),
        ],
    )
    assert render.plan_change(change).splitlines() == [
        "Changes to the plan in force:",
        "  stops Take amoxicillin 500 mg: 4 doses left cancelled (stopped by this note)",
        "  keeps Take metformin 500 mg: as it is, no restart",
    ]


def test_started_and_changed_items_say_what_they_create() -> None:
    higher = steps_pb2.PlanItem(
        action="Take metformin 1000 mg", schedule=steps_pb2.Schedule(times_per_day=2)
    )
    change = steps_pb2.PlanChange(
        changes_plan=True,
        items=[
            steps_pb2.PlanItemChange(
                kind=steps_pb2.PLAN_CHANGE_KIND_CHANGED,
                in_force=METFORMIN,
                from_note=higher,
                reminders_cancelled=27,
                reminders_created=28,
            ),
            steps_pb2.PlanItemChange(
                kind=steps_pb2.PLAN_CHANGE_KIND_STARTED, from_note=AMOX, reminders_created=14
            ),
        ],
        checklist_added=1,
    )
    assert render.plan_change(change).splitlines() == [
        "Changes to the plan in force:",
        "  changes Take metformin 500 mg (twice a day) to Take metformin 1000 mg (twice a day): "
        "27 doses left cancelled, 28 reminders",
        "  starts Take amoxicillin 500 mg (twice a day for 7 days (14 doses)): 14 reminders",
        "  adds 1 checklist item",
    ]


def test_a_note_with_nothing_actionable_says_no_change() -> None:
    change = steps_pb2.PlanChange(
        items=[steps_pb2.PlanItemChange(kind=steps_pb2.PLAN_CHANGE_KIND_KEPT, in_force=AMOX)]
    )
    assert render.plan_change(change).splitlines() == [
        "No change to the plan: everything in force stays.",
        "  keeps Take amoxicillin 500 mg: as it is, no restart",
    ]


def test_an_extended_course_shows_its_new_end() -> None:
    ends = _stamp(datetime(2026, 12, 9, 12, tzinfo=UTC))
    adherence = steps_pb2.Adherence(
        items=[
            steps_pb2.PlanItemAdherence(
                action="Take amoxicillin 500 mg", made_up=1, course_ends_at=ends
            ),
            steps_pb2.PlanItemAdherence(action="Walk"),
        ]
    )
    assert render.course_extensions(adherence) == (
        f"Take amoxicillin 500 mg: course extended to {render.day(ends)} "
        "(1 dose missed, made up at the end)"
    )
    item = steps_pb2.PlanItem(
        action="Take amoxicillin 500 mg",
        schedule=AMOX.schedule,
        course_ends_at=ends,
        doses_made_up=1,
    )
    steps = render.steps(steps_pb2.ActionableSteps(plan=[item]))
    assert f"course extended to {render.day(ends)} (1 dose made up)" in steps
    assert render.day(ends).endswith("9 Dec")


def test_weekday_schedules_name_their_days() -> None:
    s = steps_pb2.Schedule(
        times_per_day=1,
        days_of_week=[
            steps_pb2.DAY_OF_WEEK_MONDAY,
            steps_pb2.DAY_OF_WEEK_WEDNESDAY,
            steps_pb2.DAY_OF_WEEK_FRIDAY,
        ],
    )
    assert render.schedule(s) == "once a day on Mon/Wed/Fri"
