"""Care-team and note commands: doctors, select-doctor, remove-doctor, care-team,
my-doctor, patients, notes."""

from __future__ import annotations

from carenotes.v1 import care_pb2
from carenotes_client import render
from carenotes_client.cli.context import EXIT_OK, Context, UsageError
from carenotes_client.cli.inputs import read_text

# Waiting for an extraction may take a language model a while.
DEFAULT_WAIT_TIMEOUT = 60.0


def cmd_doctors(ctx: Context) -> int:
    args = ctx.args
    if args.all:
        found = care_pb2.ListDoctorsResponse(doctors=ctx.client.iter_doctors(args.filter))
    else:
        found = ctx.client.list_doctors(args.filter)

    def human() -> str:
        text = render.doctors(found.doctors)
        if found.next_page_token:
            text += "\n(more: add --all)"
        return text

    ctx.show(found, human)
    return EXIT_OK


def cmd_select_doctor(ctx: Context) -> int:
    response = ctx.client.select_doctor(ctx.args.doctor_id)
    ctx.show(response, f"{render.doctor_label(response.doctor)} is on your care team.")
    return EXIT_OK


def cmd_remove_doctor(ctx: Context) -> int:
    doctor_id = ctx.args.doctor_id
    team = {m.doctor.id: m.doctor for m in ctx.client.care_team().members}
    response = ctx.client.remove_doctor(doctor_id)
    who = render.doctor_label(team[doctor_id]) if doctor_id in team else doctor_id
    ctx.show(
        response,
        f"{who} is no longer on your care team: they no longer see your records. "
        "The plan they wrote stays in force until it ends or another doctor stops it.",
    )
    return EXIT_OK


def cmd_care_team(ctx: Context) -> int:
    team = ctx.client.care_team(include_former=ctx.args.all)
    ctx.show(team, lambda: render.care_team(team.members))
    return EXIT_OK


def cmd_my_doctor(ctx: Context) -> int:
    doctor = ctx.client.my_doctor()
    ctx.show(doctor, f"The doctor you added last: {doctor.name} (id {doctor.id})")
    return EXIT_OK


def cmd_patients(ctx: Context) -> int:
    found = care_pb2.ListPatientsResponse(patients=ctx.client.iter_patients())
    ctx.show(found, lambda: render.patients(found.patients))
    return EXIT_OK


def cmd_notes_submit(ctx: Context) -> int:
    args = ctx.args
    text = read_text(ctx)
    timeout = args.timeout or (DEFAULT_WAIT_TIMEOUT if args.wait else None)
    response = ctx.client.submit_note(args.patient_id, text, args.wait, timeout=timeout)
    ctx.show(response, lambda: render.submitted(response))
    return EXIT_OK


def cmd_notes_list(ctx: Context) -> int:
    found = care_pb2.ListNotesResponse(notes=ctx.client.iter_notes(ctx.args.patient_id or ""))
    ctx.show(found, lambda: render.notes(found.notes))
    return EXIT_OK


def cmd_notes_show(ctx: Context) -> int:
    note = ctx.client.get_note(ctx.args.note_id)
    ctx.show(note, lambda: render.note(note))
    return EXIT_OK


def cmd_missing_subcommand(ctx: Context) -> int:  # pragma: no cover - argparse requires one
    raise UsageError("a subcommand is required")
