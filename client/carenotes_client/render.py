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


def when(stamp: Timestamp, zone: tzinfo | None = None) -> str:
    """A timestamp in `zone` (default: this machine's local time), minute precision;
    "-" when unset."""
    if stamp.seconds == 0 and stamp.nanos == 0:
        return "-"
    return stamp.ToDatetime(tzinfo=UTC).astimezone(zone).strftime("%Y-%m-%d %H:%M")


def zone_label(zone: ZoneInfo) -> str:
    return zone.key


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
    if not items:
        return "No doctors found."
    return table(["ID", "NAME"], [[d.id, d.name] for d in items])


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
        f"Written: {when(n.created_at)}   Steps: {extraction(n.extraction_status)}"
        + (f" ({n.extractor})" if n.extractor else ""),
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
    elif response.HasField("actionable_steps"):
        lines += ["", steps(response.actionable_steps)]
    else:
        lines.append(f"Steps: {status}.")
    return "\n".join(lines)


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
    if s.every_days == 7:
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


def steps(a: steps_pb2.ActionableSteps) -> str:
    if not a.checklist and not a.plan:
        return "No steps yet."
    lines: list[str] = []
    if a.checklist:
        lines.append("Checklist:")
        for item in a.checklist:
            mark = "x" if item.done else " "
            suffix = f"  ({item.id})" if item.id else ""
            lines.append(f"  [{mark}] {item.text}{suffix}")
    if a.plan:
        lines.append("Plan:")
        lines += [f"  - {p.action}: {schedule(p.schedule)}" for p in a.plan]
    source = []
    if a.note_id:
        source.append(f"from note {a.note_id}")
    if a.extractor:
        source.append(f"by {a.extractor}")
    if a.HasField("created_at"):
        source.append(f"since {when(a.created_at)}")
    if source:
        lines.append("(" + ", ".join(source) + ")")
    return "\n".join(lines)


def reminder_status(status: steps_pb2.ReminderStatus.ValueType) -> str:
    return enum_label(steps_pb2.ReminderStatus.Name(status), "REMINDER_STATUS_")


def reminders(items: Sequence[steps_pb2.Reminder], zone: ZoneInfo) -> str:
    """The history, due times in the patient's timezone, named in the header."""
    if not items:
        return "No reminders."
    rows = [[when(r.due_at, zone), reminder_status(r.status), r.text, r.id] for r in items]
    return table([f"DUE ({zone_label(zone)})", "STATUS", "ACTION", "ID"], rows)


def live_reminder(r: steps_pb2.Reminder, zone: ZoneInfo) -> str:
    """One line per reminder of the live feed, with the command that answers it."""
    makeup = " (make-up dose)" if r.makeup_of_id else ""
    due = f"{when(r.due_at, zone)} {zone_label(zone)}"
    return f"[{due}] {r.text}{makeup}  -> carenotes reminders ack {r.id} taken|skipped"


def adherence(a: steps_pb2.Adherence) -> str:
    if not a.items:
        return "No scheduled doses yet."
    rows = [
        [i.action, str(i.taken), str(i.skipped), str(i.missed), str(i.upcoming)] for i in a.items
    ]
    return table(
        ["ACTION", "TAKEN", "SKIPPED", "MISSED", "UPCOMING"], rows, numeric=frozenset({1, 2, 3, 4})
    )


def _first_line(text: str, width: int = 60) -> str:
    first = text.strip().splitlines()[0] if text.strip() else ""
    return first if len(first) <= width else first[: width - 1] + "…"
