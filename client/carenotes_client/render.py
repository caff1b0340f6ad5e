"""Human-readable text for the CLI: concise lines and aligned tables.

Times are this machine's local time, except reminders, whose times are shown in the
patient's timezone (a 09:00 dose in Paris is 09:00 wherever the CLI runs), labelled.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, tzinfo
from zoneinfo import ZoneInfo

from google.protobuf.timestamp_pb2 import Timestamp

from carenotes.v1 import auth_pb2, care_pb2, steps_pb2
from carenotes_client.render_extraction import extraction_report, with_report


def when(stamp: Timestamp, zone: tzinfo | None = None) -> str:
    """A timestamp in `zone` (default: this machine's local time), minute precision;
    "-" when unset."""
    if stamp.seconds == 0 and stamp.nanos == 0:
        return "-"
    return stamp.ToDatetime(tzinfo=UTC).astimezone(zone).strftime("%Y-%m-%d %H:%M")


def zone_label(zone: ZoneInfo) -> str:
    return zone.key


def day(stamp: Timestamp, zone: tzinfo | None = None) -> str:
    """A timestamp's calendar day in `zone` (default: this machine's), e.g. "Wed 9 Dec";
    "-" when unset."""
    if stamp.seconds == 0 and stamp.nanos == 0:
        return "-"
    local = stamp.ToDatetime(tzinfo=UTC).astimezone(zone)
    return f"{local:%a} {local.day} {local:%b}"


def enum_label(name: str, prefix: str) -> str:
    """REMINDER_STATUS_SENT -> "sent"."""
    return name.removeprefix(prefix).lower()


def table(
    headers: Sequence[str], rows: Sequence[Sequence[str]], numeric: frozenset[int] = frozenset()
) -> str:
    """Columns padded to their widest cell; columns listed in `numeric` right-aligned."""
    widths = [len(h) for h in headers]
    for row in rows:
        for i, cell in enumerate(row):
            widths[i] = max(widths[i], len(cell))

    def line(cells: Sequence[str]) -> str:
        padded = [
            cell.rjust(widths[i]) if i in numeric else cell.ljust(widths[i])
            for i, cell in enumerate(cells)
        ]
        return "  ".join(padded).rstrip()

    return "\n".join([line(headers), *(line(row) for row in rows)])


def user(u: auth_pb2.User) -> str:
    role = enum_label(auth_pb2.Role.Name(u.role), "ROLE_")
    timezone = u.timezone or "UTC"
    return f"{u.name} <{u.email}>, {role} (id {u.id}), timezone {timezone}"


def doctors(items: Sequence[care_pb2.Doctor]) -> str:
    """With the email domain and registration number, which tell look-alikes apart."""
    if not items:
        return "No doctors found."
    rows = [[d.id, d.name, d.email_domain, d.registration or "-"] for d in items]
    return table(["ID", "NAME", "DOMAIN", "REGISTRATION"], rows)


def doctor_label(d: care_pb2.Doctor) -> str:
    """ "Dr Dana One (GMC 1234567, clinic.example)"."""
    tags = [t for t in (d.registration, d.email_domain) if t]
    return f"{d.name} ({', '.join(tags)})" if tags else d.name


def care_team(members: Sequence[care_pb2.CareTeamMember]) -> str:
    if not members:
        return "No doctor on your care team yet: carenotes doctors, then select-doctor ID."
    rows = [
        [
            m.doctor.id,
            m.doctor.name,
            m.doctor.email_domain,
            m.doctor.registration or "-",
            when(m.started_at),
            when(m.ended_at) if m.HasField("ended_at") else "",
        ]
        for m in members
    ]
    return table(["ID", "NAME", "DOMAIN", "REGISTRATION", "SINCE", "LEFT"], rows)


def patients(items: Sequence[care_pb2.Patient]) -> str:
    if not items:
        return "No patients yet."
    rows = [[p.id, p.name, p.email, p.timezone or "UTC", when(p.assigned_at)] for p in items]
    return table(["ID", "NAME", "EMAIL", "TIMEZONE", "SINCE"], rows)


def extraction(status: care_pb2.ExtractionStatus.ValueType) -> str:
    return enum_label(care_pb2.ExtractionStatus.Name(status), "EXTRACTION_STATUS_")


def notes(items: Sequence[care_pb2.Note]) -> str:
    if not items:
        return "No notes yet."
    rows = [
        [n.id, when(n.created_at), extraction(n.extraction_status), _first_line(n.text)]
        for n in items
    ]
    return table(["ID", "WRITTEN", "STEPS", "NOTE"], rows)


def note(n: care_pb2.Note) -> str:
    lines = [
        f"Note {n.id}",
        f"Patient: {n.patient_id}   Doctor: {n.doctor_id}",
        f"Written: {when(n.created_at)}   Steps: {extraction(n.extraction_status)}",
        *extraction_report(n.extractor, n.warnings),
    ]
    if n.failure_reason:
        lines.append(f"Extraction failed: {n.failure_reason}")
    lines += ["", n.text]
    return "\n".join(lines)


def submitted(response: care_pb2.SubmitNoteResponse) -> str:
    lines = [f"{response.message or 'Note submitted'} (note {response.note_id})."]
    status = extraction(response.extraction_status)
    if response.failure_reason:
        lines.append(f"Steps: {status}: {response.failure_reason}")
        lines.append("The plan in force is unchanged.")
    elif response.HasField("actionable_steps"):
        found = response.actionable_steps
        if found.checklist or found.plan:
            lines += ["", steps(found, extractor=False)]
        if found.HasField("plan_change"):
            lines += ["", plan_change(found.plan_change)]
        lines = with_report(lines, found.extractor, found.warnings)
    else:
        lines.append(f"Steps: {status}.")
    return "\n".join(lines)


_WEEKDAY_NAMES = {
    steps_pb2.DAY_OF_WEEK_MONDAY: "Mon",
    steps_pb2.DAY_OF_WEEK_TUESDAY: "Tue",
    steps_pb2.DAY_OF_WEEK_WEDNESDAY: "Wed",
    steps_pb2.DAY_OF_WEEK_THURSDAY: "Thu",
    steps_pb2.DAY_OF_WEEK_FRIDAY: "Fri",
    steps_pb2.DAY_OF_WEEK_SATURDAY: "Sat",
    steps_pb2.DAY_OF_WEEK_SUNDAY: "Sun",
}


def _by(doctor_name: str) -> str:
    return f"  [{doctor_name}]" if doctor_name else ""


def _doses(n: int) -> str:
    return f"{n} dose" + ("" if n == 1 else "s")


def _reminders(n: int) -> str:
    return f"{n} reminder" + ("" if n == 1 else "s")


def plan_change(change: steps_pb2.PlanChange) -> str:
    """What a note does to the plan in force, one line per item:
    "stops Take amoxicillin 500 mg: 4 doses left cancelled"."""
    if change.superseded:
        return "No change to the plan: a newer note had already changed it."
    lines: list[str] = []
    kept = []
    for c in change.items:
        kind = c.kind
        if kind == steps_pb2.PLAN_CHANGE_KIND_STOPPED:
            why = (
                " (stopped by this note)"
                if c.stop_reason == steps_pb2.STOP_REASON_EXPLICIT
                else " (not in the new plan)"
            )
            lines.append(
                f"  stops {c.in_force.action}: {_doses(c.reminders_cancelled)} left cancelled{why}"
            )
        elif kind == steps_pb2.PLAN_CHANGE_KIND_STARTED:
            lines.append(
                f"  starts {c.from_note.action} ({schedule(c.from_note.schedule)}): "
                f"{_reminders(c.reminders_created)}"
            )
        elif kind == steps_pb2.PLAN_CHANGE_KIND_CHANGED:
            lines.append(
                f"  changes {c.in_force.action} ({schedule(c.in_force.schedule)}) to "
                f"{c.from_note.action} ({schedule(c.from_note.schedule)}): "
                f"{_doses(c.reminders_cancelled)} left cancelled, "
                f"{_reminders(c.reminders_created)}"
            )
        elif kind == steps_pb2.PLAN_CHANGE_KIND_KEPT:
            kept.append(f"  keeps {c.in_force.action}: as it is, no restart")
        lines += [
            f"    also in force from {d.doctor_name or 'another doctor'}: {d.action}"
            f" ({schedule(d.schedule)}): check for a double dose"
            for d in c.duplicates
        ]
    if change.checklist_added:
        n = change.checklist_added
        lines.append(f"  adds {n} checklist item" + ("" if n == 1 else "s"))
    if not change.changes_plan:
        head = "No change to the plan: everything in force stays."
        return "\n".join([head, *kept, *lines]) if kept or lines else head
    return "\n".join(["Changes to the plan in force:", *lines, *kept])


def schedule(s: steps_pb2.Schedule) -> str:
    """Schedule(times_per_day=2, duration_days=7) -> "twice a day for 7 days"."""
    if s.as_needed:
        return "as needed"
    parts: list[str] = []
    if s.every_hours:
        parts.append(f"every {s.every_hours} hours")
    elif s.times_per_day:
        parts.append(
            {1: "once a day", 2: "twice a day"}.get(
                s.times_per_day, f"{s.times_per_day} times a day"
            )
        )
    if s.days_of_week:
        days = "/".join(_WEEKDAY_NAMES.get(d, "?") for d in s.days_of_week)
        weeks = s.every_days // 7 if s.every_days >= 14 else 1
        parts.append(f"on {days}" + (f" every {weeks} weeks" if weeks > 1 else ""))
    elif s.every_days == 7:
        parts.append("weekly")
    elif s.every_days > 1:
        parts.append(f"every {s.every_days} days")
    if s.times_of_day:
        parts.append("at " + ", ".join(s.times_of_day))
    if s.duration_days:
        parts.append(f"for {s.duration_days} day" + ("s" if s.duration_days != 1 else ""))
    if s.occurrences:
        parts.append(f"({s.occurrences} doses)")
    if s.start_in_days:
        parts.append(f"starting in {s.start_in_days} day" + ("s" if s.start_in_days != 1 else ""))
    return " ".join(parts) or "as scheduled"


def steps(a: steps_pb2.ActionableSteps, *, extractor: bool = True) -> str:
    """The checklist and plan; extractor=False leaves the extractor to extraction_report."""
    if not a.checklist and not a.plan:
        return "No steps yet."
    lines: list[str] = []
    if a.checklist:
        lines.append("Checklist:")
        for item in a.checklist:
            mark = "x" if item.done else " "
            suffix = f"  ({item.id})" if item.id else ""
            lines.append(f"  [{mark}] {item.text}{_by(item.doctor_name)}{suffix}")
    if a.plan:
        lines.append("Plan:")
        lines += [
            f"  - {p.action}: {schedule(p.schedule)}{_course_end(p)}{_by(p.doctor_name)}"
            for p in a.plan
        ]
    source = []
    if a.note_id:
        source.append(f"from note {a.note_id}")
    if a.extractor and extractor:
        source.append(f"by {a.extractor}")
    if a.HasField("created_at"):
        source.append(f"since {when(a.created_at)}")
    if source:
        lines.append("(" + ", ".join(source) + ")")
    return "\n".join(lines)


def preview(a: steps_pb2.ActionableSteps) -> str:
    """A preview: the note's steps and, given a patient, what they would change."""
    lines = (
        [steps(a, extractor=False)]
        if a.checklist or a.plan
        else ["Nothing actionable in this note."]
    )
    if a.HasField("plan_change"):
        lines += ["", plan_change(a.plan_change)]
    lines = with_report(lines, a.extractor, a.warnings)
    return "\n".join(lines)


def _course_end(p: steps_pb2.PlanItem) -> str:
    if not p.HasField("course_ends_at"):
        return ""
    if p.doses_made_up:
        return f"; course extended to {day(p.course_ends_at)} ({_doses(p.doses_made_up)} made up)"
    return f"; last dose {day(p.course_ends_at)}"


def course_extensions(a: steps_pb2.Adherence, zone: tzinfo | None = None) -> str:
    """One line per course that missed doses made longer; "" when none did."""
    return "\n".join(
        f"{i.action}: course extended to {day(i.course_ends_at, zone)} "
        f"({_doses(i.made_up)} missed, made up at the end)"
        for i in a.items
        if i.made_up and i.HasField("course_ends_at")
    )


def reminder_status(status: steps_pb2.ReminderStatus.ValueType) -> str:
    return enum_label(steps_pb2.ReminderStatus.Name(status), "REMINDER_STATUS_")


def reminders(items: Sequence[steps_pb2.Reminder], zone: ZoneInfo) -> str:
    """The history, due times in the patient's timezone, named in the header."""
    if not items:
        return "No reminders."
    rows = [
        [
            when(r.due_at, zone),
            reminder_status(r.status),
            r.text + (" (make-up)" if r.makeup_of_id else ""),
            r.doctor_name or "-",
            r.id,
        ]
        for r in items
    ]
    return table([f"DUE ({zone_label(zone)})", "STATUS", "ACTION", "DOCTOR", "ID"], rows)


def live_reminder(r: steps_pb2.Reminder, zone: ZoneInfo) -> str:
    """One line per reminder of the live feed, with the command that answers it."""
    makeup = " (make-up of a missed dose, at the end of the course)" if r.makeup_of_id else ""
    due = f"{when(r.due_at, zone)} {zone_label(zone)}"
    return f"[{due}] {r.text}{makeup}  -> carenotes reminders ack {r.id} taken|skipped"


def adherence(a: steps_pb2.Adherence) -> str:
    if not a.items:
        return "No scheduled doses yet."
    rows = [
        [
            i.action,
            str(i.prescribed) if i.prescribed else "ongoing",
            str(i.taken),
            str(i.skipped),
            str(i.missed),
            str(i.made_up),
            str(i.upcoming),
            day(i.course_ends_at),
        ]
        for i in a.items
    ]
    return table(
        ["ACTION", "PRESCRIBED", "TAKEN", "SKIPPED", "MISSED", "MADE UP", "UPCOMING", "ENDS"],
        rows,
        numeric=frozenset({1, 2, 3, 4, 5, 6}),
    )


def _first_line(text: str, width: int = 60) -> str:
    first = text.strip().splitlines()[0] if text.strip() else ""
    return first if len(first) <= width else first[: width - 1] + "…"
