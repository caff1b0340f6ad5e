"""Care-team and note commands: doctors, select-doctor, my-doctor, patients, notes."""

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
    ctx.show(response, f"Your doctor is now {response.doctor.name}.")
    return EXIT_OK


def cmd_my_doctor(ctx: Context) -> int:
    doctor = ctx.client.my_doctor()
    ctx.show(doctor, f"Your doctor: {doctor.name} (id {doctor.id})")
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
