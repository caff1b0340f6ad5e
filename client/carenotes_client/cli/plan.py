"""Commands of the patient's plan: steps, reminders (history, live feed, ack, ics),
adherence. Reminder times are shown in the patient's timezone, whatever the timezone
of the machine running the CLI, and labelled with it."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from carenotes.v1 import steps_pb2
from carenotes_client import render
from carenotes_client.cli.care import DEFAULT_WAIT_TIMEOUT
from carenotes_client.cli.context import EXIT_OK, Context, UsageError, to_json
from carenotes_client.cli.inputs import parse_moment, parse_status, read_text


def patient_zone(ctx: Context, patient_id: str = "") -> ZoneInfo:
    """The timezone of the patient whose reminders are shown: the caller's own, or, for
    a doctor, that of the patient named (one of theirs). UTC when it has none."""
    session = ctx.client.session
    name = ""
    if patient_id and session is not None and session.role == "doctor":
        name = next((p.timezone for p in ctx.client.iter_patients() if p.id == patient_id), "")
    else:
        name = ctx.client.who_am_i().timezone
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def cmd_steps(ctx: Context) -> int:
    words: list[str] = ctx.args.words
    if words[:1] == ["done"]:
        if len(words) != 2:
            raise UsageError("usage: carenotes steps done ITEM_ID")
        item = ctx.client.complete_checklist_item(words[1])
        ctx.show(item, f"Done: {item.text}")
        return EXIT_OK
    if words[:1] == ["preview"]:
        if len(words) != 1:
            raise UsageError(
                "usage: carenotes steps preview (--text TEXT | --file FILE) [--patient ID]"
            )
        timeout = ctx.args.timeout or DEFAULT_WAIT_TIMEOUT
        preview = ctx.client.preview_steps(
            read_text(ctx), patient_id=ctx.args.patient or "", timeout=timeout
        )
        ctx.show(preview, lambda: render.preview(preview))
        return EXIT_OK
    if len(words) > 1:
        raise UsageError("usage: carenotes steps [PATIENT_ID | done ITEM_ID | preview]")
    in_force = ctx.client.get_steps(words[0] if words else "")
    ctx.show(in_force, lambda: render.steps(in_force))
    return EXIT_OK


def cmd_reminders(ctx: Context) -> int:
    args = ctx.args
    words: list[str] = args.words
    if words[:1] == ["ack"]:
        if len(words) != 3 or words[2] not in ("taken", "skipped"):
            raise UsageError("usage: carenotes reminders ack REMINDER_ID taken|skipped")
        reminder = ctx.client.acknowledge_reminder(words[1], words[2] == "taken")
        ctx.show(reminder, f"Recorded as {words[2]}: {reminder.text}")
        return EXIT_OK
    if words == ["ics"]:
        calendar = ctx.client.export_calendar()
        if ctx.json:
            ctx.show(calendar, "")
        else:
            ctx.stdout.write(calendar.ics)
        return EXIT_OK
    if words:
        raise UsageError("usage: carenotes reminders [--follow | ack ID taken|skipped | ics]")
    if args.follow:
        return follow_reminders(ctx)
    found = steps_pb2.ListRemindersResponse(
        reminders=ctx.client.iter_reminders(
            args.patient or "",
            due_from=parse_moment(args.due_from) if args.due_from else None,
            due_before=parse_moment(args.due_to) if args.due_to else None,
            statuses=[parse_status(s) for s in args.status or ()],
        )
    )
    if ctx.json:  # UTC timestamps: only the text needs the patient's timezone
        ctx.show(found, "")
        return EXIT_OK
    zone = patient_zone(ctx, args.patient)
    # The courses that missed doses made longer, with their new end.
    extended = render.course_extensions(ctx.client.get_adherence(args.patient or ""), zone)
    text = render.reminders(found.reminders, zone) + (f"\n\n{extended}" if extended else "")
    ctx.show(found, text)
    return EXIT_OK


def follow_reminders(ctx: Context) -> int:
    zone = None if ctx.json else patient_zone(ctx)
    if zone is not None:
        print(
            f"Waiting for reminders (times in {zone.key}; Ctrl-C to stop)...",
            file=ctx.stdout,
            flush=True,
        )
    try:
        for reminder in ctx.client.follow_reminders(ctx.args.after or ""):
            if zone is None:
                # One JSON document per line, so a pipe can consume them as they come.
                line = to_json(reminder, indent=None)
            else:
                line = render.live_reminder(reminder, zone)
            print(line, file=ctx.stdout, flush=True)
    except KeyboardInterrupt:
        return EXIT_OK
    return EXIT_OK


def cmd_adherence(ctx: Context) -> int:
    adherence = ctx.client.get_adherence(ctx.args.patient_id or "")
    ctx.show(adherence, lambda: render.adherence(adherence))
    return EXIT_OK
