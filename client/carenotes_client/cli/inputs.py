"""Reading what the user gives: passwords, note texts, times, statuses, timezones."""

from __future__ import annotations

import getpass
import os
from datetime import datetime
from pathlib import Path

from carenotes.v1 import steps_pb2
from carenotes_client import render
from carenotes_client.cli.context import Context, UsageError


def _prompt(ctx: Context, prompt: str) -> str:
    # getpass would fall back to reading stdin with a warning, or die with EOFError
    # in a pipe or a CI job: without a terminal, say how to give the password instead.
    if not ctx.stdin.isatty():
        raise UsageError(
            "no terminal to ask for the password: pass --password-stdin and give it on "
            "standard input (first line)"
        )
    try:
        return getpass.getpass(prompt)
    except EOFError:
        raise UsageError("no password given (end of input)") from None


def read_password(ctx: Context, prompt: str, *, confirm: bool = False) -> str:
    if ctx.args.password is not None:
        return str(ctx.args.password)
    if ctx.args.password_stdin:
        return ctx.stdin.readline().rstrip("\r\n")
    password = _prompt(ctx, prompt)
    if confirm and _prompt(ctx, "Repeat it: ") != password:
        raise UsageError("the passwords do not match")
    return password


def read_new_password(ctx: Context) -> tuple[str, str]:
    """(current, new) for a password change: two stdin lines, or three prompts."""
    if ctx.args.password_stdin:
        return ctx.stdin.readline().rstrip("\r\n"), ctx.stdin.readline().rstrip("\r\n")
    current = _prompt(ctx, "Current password: ")
    new = _prompt(ctx, "New password: ")
    if _prompt(ctx, "Repeat it: ") != new:
        raise UsageError("the passwords do not match")
    return current, new


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
