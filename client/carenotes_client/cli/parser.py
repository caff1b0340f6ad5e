"""The command line of `carenotes`: global options, commands and their arguments."""

from __future__ import annotations

import argparse

from carenotes_client.cli import account, care, plan
from carenotes_client.cli.context import Handler
from carenotes_client.version import version

SERVER_ENV = "CARENOTES_SERVER"
CLIENT_CERT_ENV = "CARENOTES_CLIENT_CERT"
CLIENT_KEY_ENV = "CARENOTES_CLIENT_KEY"


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
    common.add_argument(
        "--json",
        action="store_true",
        default=s,
        help="print proto3 JSON (proto field names, zero values included)",
    )
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
    parser.add_argument("--version", action="version", version=f"%(prog)s {version()}")
    parser.set_defaults(
        server=None, ca_file=None, cert_file=None, key_file=None, json=False, timeout=None
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, handler: Handler, help_text: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(
            name, parents=[_global_options()], help=help_text, description=help_text
        )
        sub.set_defaults(handler=handler)
        return sub

    sub = command("signup", account.cmd_signup, "create an account and sign in")
    sub.add_argument("--name", required=True)
    sub.add_argument("--email", required=True)
    sub.add_argument("--role", required=True, choices=["patient", "doctor"])
    sub.add_argument("--timezone", help="IANA name, e.g. Europe/Paris (default: this machine's)")
    sub.add_argument(
        "--invitation-code", metavar="CODE", help="doctors: the clinic's invitation code"
    )
    _password_options(sub)

    sub = command("login", account.cmd_login, "sign in")
    sub.add_argument("--email", required=True)
    _password_options(sub)

    command("logout", account.cmd_logout, "sign out")
    command("whoami", account.cmd_whoami, "show the signed-in user and their timezone")
    sub = command("password", account.cmd_password, "change your password")
    sub.add_argument(
        "--password-stdin", action="store_true", help="read current then new password from stdin"
    )

    sub = command("doctors", care.cmd_doctors, "list doctors")
    sub.add_argument("--filter", default="", metavar="NAME", help="name contains NAME")
    sub.add_argument("--all", action="store_true", help="every page, not just the first")
    sub = command(
        "select-doctor", care.cmd_select_doctor, "add a doctor to your care team (patients)"
    )
    sub.add_argument("doctor_id", metavar="ID")
    sub = command(
        "remove-doctor", care.cmd_remove_doctor, "remove a doctor from your care team (patients)"
    )
    sub.add_argument("doctor_id", metavar="ID")
    sub = command("care-team", care.cmd_care_team, "your doctors (patients)")
    sub.add_argument("--all", action="store_true", help="also the doctors who left the team")
    command("my-doctor", care.cmd_my_doctor, "the doctor you added last (patients)")
    command("patients", care.cmd_patients, "list your patients (doctors)")

    notes = command("notes", care.cmd_missing_subcommand, "submit, list and read notes")
    note_commands = notes.add_subparsers(dest="notes_command", required=True, metavar="ACTION")
    sub = note_commands.add_parser(
        "submit", parents=[_global_options()], help="write a note (doctors)"
    )
    sub.set_defaults(handler=care.cmd_notes_submit)
    sub.add_argument("patient_id", metavar="PATIENT_ID")
    _text_options(sub)
    sub.add_argument("--wait", action="store_true", help="wait for the extracted steps")
    sub = note_commands.add_parser(
        "list", parents=[_global_options()], help="list a patient's notes"
    )
    sub.set_defaults(handler=care.cmd_notes_list)
    sub.add_argument("patient_id", nargs="?", metavar="PATIENT_ID")
    sub = note_commands.add_parser("show", parents=[_global_options()], help="read one note")
    sub.set_defaults(handler=care.cmd_notes_show)
    sub.add_argument("note_id", metavar="NOTE_ID")

    sub = command(
        "steps",
        plan.cmd_steps,
        "steps in force: `steps [PATIENT_ID]`, `steps done ITEM_ID`, `steps preview --text T`",
    )
    sub.add_argument("words", nargs="*", metavar="ARG")
    sub.add_argument(
        "--patient", metavar="ID", help="with preview: show what the note would change for them"
    )
    _text_options(sub)

    sub = command(
        "reminders",
        plan.cmd_reminders,
        "history (default), `--follow` live feed, `ack ID taken|skipped`, `ics` calendar; "
        "times in the patient's timezone",
    )
    sub.add_argument("words", nargs="*", metavar="ARG")
    sub.add_argument("--from", dest="due_from", metavar="ISO", help="due at or after")
    sub.add_argument("--to", dest="due_to", metavar="ISO", help="due before")
    sub.add_argument("--status", action="append", metavar="S", help="sent, taken, missed, ...")
    sub.add_argument("--patient", metavar="ID", help="a patient of yours (doctors)")
    sub.add_argument("--follow", action="store_true", help="live feed; Ctrl-C to stop")
    sub.add_argument("--after", metavar="ID", help="with --follow: resume after this reminder")

    sub = command("adherence", plan.cmd_adherence, "doses taken, skipped, missed, upcoming")
    sub.add_argument("patient_id", nargs="?", metavar="PATIENT_ID")
    return parser
