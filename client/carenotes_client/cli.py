"""The `carenotes` command: the Carenotes API from a terminal.

Exit codes: 0 ok, 1 other failure, 2 invalid argument (or bad usage),
3 not signed in or not allowed, 4 not found. Tokens and passwords are never
printed; a password is read from a prompt or stdin unless --password is given.
"""

from __future__ import annotations

import argparse
import dataclasses
import getpass
import os
import sys
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import TextIO

import grpc  # type: ignore[import-untyped, unused-ignore]
from google.protobuf import json_format
from google.protobuf.message import Message

from carenotes.v1 import auth_pb2, care_pb2, steps_pb2
from carenotes_client import render
from carenotes_client.client import DEFAULT_TARGET, CareClient
from carenotes_client.devices import DEVICES_FILE_NAME, FileDeviceStore
from carenotes_client.errors import (
    CarenotesError,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    Unauthenticated,
)
from carenotes_client.session import FileSessionStore

SERVER_ENV = "CARENOTES_SERVER"
CLIENT_CERT_ENV = "CARENOTES_CLIENT_CERT"
CLIENT_KEY_ENV = "CARENOTES_CLIENT_KEY"
DEFAULT_TIMEOUT = 10.0
# Waiting for an extraction may take a language model a while.
DEFAULT_WAIT_TIMEOUT = 60.0

EXIT_OK, EXIT_OTHER, EXIT_INVALID, EXIT_AUTH, EXIT_NOT_FOUND = 0, 1, 2, 3, 4


class UsageError(Exception):
    """A command line that parses but makes no sense; exits 2 like argparse."""


@dataclasses.dataclass
class Context:
    """What every command needs: the client, the output mode and the streams."""

    client: CareClient
    store: FileSessionStore
    args: argparse.Namespace
    stdout: TextIO
    stdin: TextIO
    ca_file: str | None

    @property
    def json(self) -> bool:
        return bool(self.args.json)

    def show(self, message: Message, human: str | Callable[[], str]) -> None:
        """Prints the response as proto3 JSON with --json, else as friendly text."""
        if self.json:
            print(json_format.MessageToJson(message), file=self.stdout)
        else:
            print(human if isinstance(human, str) else human(), file=self.stdout)


# -- input helpers ----------------------------------------------------------------


def read_password(ctx: Context, prompt: str, *, confirm: bool = False) -> str:
    if ctx.args.password is not None:
        return str(ctx.args.password)
    if ctx.args.password_stdin:
        return ctx.stdin.readline().rstrip("\r\n")
    password = getpass.getpass(prompt)
    if confirm and getpass.getpass("Repeat it: ") != password:
        raise UsageError("the passwords do not match")
    return password


def read_text(ctx: Context) -> str:
    """Note text from --text, or --file PATH (`-` for stdin)."""
    if ctx.args.text is not None:
        return str(ctx.args.text)
    if ctx.args.file == "-":
        return ctx.stdin.read()
    if ctx.args.file:
        return Path(ctx.args.file).read_text(encoding="utf-8")
    raise UsageError("give the note with --text TEXT or --file FILE (- for stdin)")


def parse_moment(text: str) -> datetime:
    """ISO 8601 date or date-time; without an offset it is this machine's local time."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(f"not an ISO 8601 date or time: {text!r}") from None
    return moment if moment.tzinfo else moment.astimezone()


def parse_status(text: str) -> steps_pb2.ReminderStatus.ValueType:
    name = "REMINDER_STATUS_" + text.upper().removeprefix("REMINDER_STATUS_")
    try:
        return steps_pb2.ReminderStatus.Value(name)
    except ValueError:
        choices = ", ".join(
            render.reminder_status(v) for v in steps_pb2.ReminderStatus.values() if v
        )
        raise UsageError(f"unknown status {text!r}; one of: {choices}") from None


def local_timezone() -> str:
    """This machine's IANA timezone name, or "" (the server then uses UTC)."""
    configured = os.environ.get("TZ", "").lstrip(":")
    if "/" in configured:
        return configured
    target = os.path.realpath("/etc/localtime")
    return target.split("zoneinfo/", 1)[1] if "zoneinfo/" in target else ""


# -- commands -----------------------------------------------------------------------


def cmd_signup(ctx: Context) -> int:
    args = ctx.args
    password = read_password(ctx, "Choose a password: ", confirm=True)
    timezone = args.timezone if args.timezone is not None else local_timezone()
    response = ctx.client.sign_up(
        args.name,
        args.email,
        password,
        args.role,
        timezone,
        invitation_code=args.invitation_code or "",
    )
    ctx.show(
        response,
        f"Account created (id {response.user_id}). Next: carenotes login --email {args.email}",
    )
    return EXIT_OK


def cmd_login(ctx: Context) -> int:
    password = read_password(ctx, "Password: ")
    response = ctx.client.login(ctx.args.email, password)
    session = ctx.client.session
    if session is not None and ctx.ca_file:
        ctx.store.save(dataclasses.replace(session, ca_file=ctx.ca_file))
    shown = auth_pb2.LoginResponse()
    shown.CopyFrom(response)
    shown.ClearField("access_token")
    shown.ClearField("refresh_token")
    ctx.show(shown, lambda: f"Signed in as {render.user(response.user)}.")
    return EXIT_OK


def cmd_logout(ctx: Context) -> int:
    if ctx.client.session is None:
        ctx.store.clear()
        ctx.show(auth_pb2.LogoutResponse(), "Not signed in.")
        return EXIT_OK
    ctx.show(ctx.client.logout(), "Signed out.")
    return EXIT_OK


def cmd_whoami(ctx: Context) -> int:
    u = ctx.client.who_am_i()
    ctx.show(u, lambda: render.user(u))
    return EXIT_OK


def cmd_password(ctx: Context) -> int:
    if ctx.args.password_stdin:
        current = ctx.stdin.readline().rstrip("\r\n")
        new = ctx.stdin.readline().rstrip("\r\n")
    else:
        current = getpass.getpass("Current password: ")
        new = getpass.getpass("New password: ")
        if getpass.getpass("Repeat it: ") != new:
            raise UsageError("the passwords do not match")
    response = ctx.client.change_password(current, new)
    ctx.show(response, "Password changed. Every session was signed out: log in again.")
    return EXIT_OK


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
    if ctx.json:
        ctx.show(found, "")
        return EXIT_OK
    # The courses that missed doses made longer, with their new end.
    extended = render.course_extensions(ctx.client.get_adherence(args.patient or ""))
    ctx.show(found, render.reminders(found.reminders) + (f"\n\n{extended}" if extended else ""))
    return EXIT_OK


def follow_reminders(ctx: Context) -> int:
    if not ctx.json:
        print("Waiting for reminders (Ctrl-C to stop)...", file=ctx.stdout, flush=True)
    try:
        for reminder in ctx.client.follow_reminders(ctx.args.after or ""):
            if ctx.json:
                # One JSON document per line, so a pipe can consume them as they come.
                line = json_format.MessageToJson(reminder, indent=None)
            else:
                line = render.live_reminder(reminder)
            print(line, file=ctx.stdout, flush=True)
    except KeyboardInterrupt:
        return EXIT_OK
    return EXIT_OK


def cmd_adherence(ctx: Context) -> int:
    adherence = ctx.client.get_adherence(ctx.args.patient_id or "")
    ctx.show(adherence, lambda: render.adherence(adherence))
    return EXIT_OK


# -- parser -------------------------------------------------------------------------


def _global_options() -> argparse.ArgumentParser:
    """Options accepted before or after the command (`carenotes whoami --json`).

    Their defaults are SUPPRESS so a subcommand does not overwrite a value given
    before it; the real defaults are set once on the top-level parser. Each parser
    gets its own copy: parents share action objects, and set_defaults on one
    parser would otherwise change the defaults of all.
    """
    common = argparse.ArgumentParser(add_help=False)
    s = argparse.SUPPRESS
    common.add_argument("--server", default=s, help=f"host:port (env {SERVER_ENV})")
    common.add_argument("--ca-file", default=s, help="PEM CA bundle: use TLS")
    common.add_argument(
        "--cert-file",
        default=s,
        help=f"PEM client certificate for mutual TLS (env {CLIENT_CERT_ENV}; needs --key-file)",
    )
    common.add_argument(
        "--key-file",
        default=s,
        help=f"PEM private key of --cert-file (env {CLIENT_KEY_ENV})",
    )
    common.add_argument("--json", action="store_true", default=s, help="print proto3 JSON")
    common.add_argument("--timeout", type=float, default=s, help="deadline of each call, s")
    return common


def _password_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "--password-stdin", action="store_true", help="read the password from stdin's first line"
    )
    group.add_argument("--password", help="the password (visible to other users in ps!)")


def _text_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--text", help="the note text")
    group.add_argument("--file", help="read the note from FILE (- for stdin)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="carenotes",
        description="Carenotes: notes, steps and reminders.",
        parents=[_global_options()],
    )
    parser.set_defaults(
        server=None, ca_file=None, cert_file=None, key_file=None, json=False, timeout=None
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(
        name: str, handler: Callable[[Context], int], help_text: str
    ) -> argparse.ArgumentParser:
        sub = commands.add_parser(
            name, parents=[_global_options()], help=help_text, description=help_text
        )
        sub.set_defaults(handler=handler)
        return sub

    sub = command("signup", cmd_signup, "create an account")
    sub.add_argument("--name", required=True)
    sub.add_argument("--email", required=True)
    sub.add_argument("--role", required=True, choices=["patient", "doctor"])
    sub.add_argument("--timezone", help="IANA name, e.g. Europe/Paris (default: this machine's)")
    sub.add_argument(
        "--invitation-code", metavar="CODE", help="doctors: the clinic's invitation code"
    )
    _password_options(sub)

    sub = command("login", cmd_login, "sign in")
    sub.add_argument("--email", required=True)
    _password_options(sub)

    command("logout", cmd_logout, "sign out")
    command("whoami", cmd_whoami, "show the signed-in user")
    sub = command("password", cmd_password, "change your password")
    sub.add_argument(
        "--password-stdin", action="store_true", help="read current then new password from stdin"
    )

    sub = command("doctors", cmd_doctors, "list doctors")
    sub.add_argument("--filter", default="", metavar="NAME", help="name contains NAME")
    sub.add_argument("--all", action="store_true", help="every page, not just the first")
    sub = command("select-doctor", cmd_select_doctor, "add a doctor to your care team (patients)")
    sub.add_argument("doctor_id", metavar="ID")
    sub = command(
        "remove-doctor", cmd_remove_doctor, "remove a doctor from your care team (patients)"
    )
    sub.add_argument("doctor_id", metavar="ID")
    sub = command("care-team", cmd_care_team, "your doctors (patients)")
    sub.add_argument("--all", action="store_true", help="also the doctors who left the team")
    command("my-doctor", cmd_my_doctor, "the doctor you added last (patients)")
    command("patients", cmd_patients, "list your patients (doctors)")

    notes = command("notes", _missing_subcommand, "submit, list and read notes")
    note_commands = notes.add_subparsers(dest="notes_command", required=True, metavar="ACTION")
    sub = note_commands.add_parser(
        "submit", parents=[_global_options()], help="write a note (doctors)"
    )
    sub.set_defaults(handler=cmd_notes_submit)
    sub.add_argument("patient_id", metavar="PATIENT_ID")
    _text_options(sub)
    sub.add_argument("--wait", action="store_true", help="wait for the extracted steps")
    sub = note_commands.add_parser(
        "list", parents=[_global_options()], help="list a patient's notes"
    )
    sub.set_defaults(handler=cmd_notes_list)
    sub.add_argument("patient_id", nargs="?", metavar="PATIENT_ID")
    sub = note_commands.add_parser("show", parents=[_global_options()], help="read one note")
    sub.set_defaults(handler=cmd_notes_show)
    sub.add_argument("note_id", metavar="NOTE_ID")

    sub = command(
        "steps",
        cmd_steps,
        "steps in force: `steps [PATIENT_ID]`, `steps done ITEM_ID`, `steps preview --text T`",
    )
    sub.add_argument("words", nargs="*", metavar="ARG")
    sub.add_argument(
        "--patient", metavar="ID", help="with preview: show what the note would change for them"
    )
    _text_options(sub)

    sub = command(
        "reminders",
        cmd_reminders,
        "history (default), `--follow` live feed, `ack ID taken|skipped`, `ics` calendar",
    )
    sub.add_argument("words", nargs="*", metavar="ARG")
    sub.add_argument("--from", dest="due_from", metavar="ISO", help="due at or after")
    sub.add_argument("--to", dest="due_to", metavar="ISO", help="due before")
    sub.add_argument("--status", action="append", metavar="S", help="sent, taken, missed, ...")
    sub.add_argument("--patient", metavar="ID", help="a patient of yours (doctors)")
    sub.add_argument("--follow", action="store_true", help="live feed; Ctrl-C to stop")
    sub.add_argument("--after", metavar="ID", help="with --follow: resume after this reminder")

    sub = command("adherence", cmd_adherence, "doses taken, skipped, missed, upcoming")
    sub.add_argument("patient_id", nargs="?", metavar="PATIENT_ID")
    return parser


def _missing_subcommand(ctx: Context) -> int:  # pragma: no cover - argparse requires one
    raise UsageError("a subcommand is required")


# -- entry point --------------------------------------------------------------------


def exit_code(error: CarenotesError) -> int:
    if isinstance(error, InvalidArgument):
        return EXIT_INVALID
    if isinstance(error, Unauthenticated | PermissionDenied):
        return EXIT_AUTH
    if isinstance(error, NotFound):
        return EXIT_NOT_FOUND
    return EXIT_OTHER


def report(error: CarenotesError, target: str, stderr: TextIO, *, hint_login: bool) -> None:
    if error.code == grpc.StatusCode.UNAVAILABLE:
        print(f"error: cannot reach the server at {target}: {error.message}", file=stderr)
    else:
        print(f"error: {error.message}", file=stderr)
    for violation in error.field_violations:
        print(f"  {violation.field}: {violation.description}", file=stderr)
    if error.retry_after is not None:
        print(f"  try again in {error.retry_after:g} s", file=stderr)
    if hint_login and error.code == grpc.StatusCode.UNAUTHENTICATED:
        print("  run: carenotes login --email EMAIL", file=stderr)


def main(
    argv: Sequence[str] | None = None,
    *,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    stderr = stderr or sys.stderr
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # --help, or a usage error already printed by argparse
        return e.code if isinstance(e.code, int) else EXIT_INVALID

    store = FileSessionStore()
    devices = FileDeviceStore(store.path.with_name(DEVICES_FILE_NAME))
    saved = store.load()
    # The session remembers which server (and CA) it was opened with.
    target = (
        args.server or os.environ.get(SERVER_ENV) or (saved.server if saved else DEFAULT_TARGET)
    )
    ca_file = args.ca_file or (saved.ca_file if saved and saved.server == target else None)
    try:
        root_certificates = Path(ca_file).read_bytes() if ca_file else None
    except OSError as e:
        print(f"error: cannot read the CA file: {e.strerror} ({ca_file})", file=stderr)
        return EXIT_OTHER
    cert_file = args.cert_file or os.environ.get(CLIENT_CERT_ENV) or None
    key_file = args.key_file or os.environ.get(CLIENT_KEY_ENV) or None
    if (cert_file is None) != (key_file is None):
        print("error: give both --cert-file and --key-file, or neither", file=stderr)
        return EXIT_INVALID
    if cert_file is not None and root_certificates is None:
        print("error: a client certificate needs TLS: give --ca-file too", file=stderr)
        return EXIT_INVALID
    certificate_chain: bytes | None = None
    private_key: bytes | None = None
    if cert_file is not None and key_file is not None:
        for label, path in (("client certificate", cert_file), ("client key", key_file)):
            try:
                data = Path(path).read_bytes()
            except OSError as e:
                print(f"error: cannot read the {label} file: {e.strerror} ({path})", file=stderr)
                return EXIT_OTHER
            if label == "client certificate":
                certificate_chain = data
            else:
                private_key = data

    client = CareClient(
        target,
        session_store=store,
        device_store=devices,
        timeout=args.timeout or DEFAULT_TIMEOUT,
        root_certificates=root_certificates,
        certificate_chain=certificate_chain,
        private_key=private_key,
    )
    ctx = Context(client, store, args, stdout, stdin, ca_file)
    try:
        with client:
            code: int = args.handler(ctx)
            return code
    except UsageError as e:
        print(f"error: {e}", file=stderr)
        return EXIT_INVALID
    except CarenotesError as e:
        # A refused login or password change needs no advice to log in.
        hint_login = args.handler not in (cmd_login, cmd_password)
        report(e, target, stderr, hint_login=hint_login)
        return exit_code(e)
    except OSError as e:  # e.g. --file that cannot be read
        print(f"error: {e.strerror}: {e.filename}", file=stderr)
        return EXIT_OTHER
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
