"""Account commands: signup (which also signs in), login, logout, whoami, password."""

from __future__ import annotations

import dataclasses

from carenotes.v1 import auth_pb2
from carenotes_client import render
from carenotes_client.cli.context import EXIT_OK, Context
from carenotes_client.cli.inputs import local_timezone, read_new_password, read_password


def _remember_ca_file(ctx: Context) -> None:
    """A session opened with --ca-file keeps it, so later commands need no --ca-file."""
    session = ctx.client.session
    if session is not None and ctx.ca_file:
        ctx.store.save(dataclasses.replace(session, ca_file=ctx.ca_file))


def _without_tokens(response: auth_pb2.LoginResponse) -> auth_pb2.LoginResponse:
    shown = auth_pb2.LoginResponse()
    shown.CopyFrom(response)
    shown.ClearField("access_token")
    shown.ClearField("refresh_token")
    return shown


def cmd_signup(ctx: Context) -> int:
    args = ctx.args
    password = read_password(ctx, "Choose a password: ", confirm=True)
    timezone = args.timezone if args.timezone is not None else local_timezone()
    created = ctx.client.sign_up(
        args.name,
        args.email,
        password,
        args.role,
        timezone,
        invitation_code=args.invitation_code or "",
    )
    # Signed in at once with the password just chosen: nobody should type it twice.
    login = ctx.client.login(args.email, password)
    _remember_ca_file(ctx)
    ctx.show(
        created,
        lambda: f"Account created (id {created.user_id}). Signed in as {render.user(login.user)}.",
    )
    return EXIT_OK


def cmd_login(ctx: Context) -> int:
    password = read_password(ctx, "Password: ")
    response = ctx.client.login(ctx.args.email, password)
    _remember_ca_file(ctx)
    ctx.show(_without_tokens(response), lambda: f"Signed in as {render.user(response.user)}.")
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
    current, new = read_new_password(ctx)
    response = ctx.client.change_password(current, new)
    ctx.show(response, "Password changed. Every session was signed out: log in again.")
    return EXIT_OK
