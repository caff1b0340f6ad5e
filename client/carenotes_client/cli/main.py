"""The `carenotes` entry point: options to a connected client, a command, an exit code.

Exit codes: 0 ok, 1 other failure, 2 invalid argument (or bad usage), 3 not signed in
or not allowed, 4 not found. Tokens and passwords are never printed.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from carenotes_client.cli import account
from carenotes_client.cli.context import (
    EXIT_INTERRUPTED,
    EXIT_INVALID,
    EXIT_OK,
    EXIT_OTHER,
    Context,
    UsageError,
)
from carenotes_client.cli.parser import (
    CLIENT_CERT_ENV,
    CLIENT_KEY_ENV,
    SERVER_ENV,
    build_parser,
)
from carenotes_client.cli.report import exit_code, report
from carenotes_client.client import DEFAULT_TARGET, CareClient
from carenotes_client.devices import DEVICES_FILE_NAME, FileDeviceStore
from carenotes_client.errors import CarenotesError
from carenotes_client.session import FileSessionStore

DEFAULT_TIMEOUT = 10.0


class SetupError(Exception):
    """The options cannot make a connection; carries its exit code."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class Connection:
    target: str
    ca_file: str | None
    root_certificates: bytes | None
    certificate_chain: bytes | None
    private_key: bytes | None


def _read(label: str, path: str) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as e:
        raise SetupError(f"cannot read the {label} file: {e.strerror} ({path})", EXIT_OTHER) from e


def connection(args: object, store: FileSessionStore) -> Connection:
    """Where to connect and with which credentials. The saved session remembers its
    server (and the CA it was opened with)."""
    saved = store.load()
    server = getattr(args, "server", None)
    target = server or os.environ.get(SERVER_ENV) or (saved.server if saved else DEFAULT_TARGET)
    ca_file = getattr(args, "ca_file", None) or (
        saved.ca_file if saved and saved.server == target else None
    )
    root = _read("CA", ca_file) if ca_file else None
    cert_file = getattr(args, "cert_file", None) or os.environ.get(CLIENT_CERT_ENV) or None
    key_file = getattr(args, "key_file", None) or os.environ.get(CLIENT_KEY_ENV) or None
    if (cert_file is None) != (key_file is None):
        raise SetupError("give both --cert-file and --key-file, or neither", EXIT_INVALID)
    if cert_file is not None and root is None:
        raise SetupError("a client certificate needs TLS: give --ca-file too", EXIT_INVALID)
    chain = _read("client certificate", cert_file) if cert_file else None
    key = _read("client key", key_file) if key_file else None
    return Connection(target, ca_file, root, chain, key)


def _quiet_stdout(stdout: TextIO) -> None:
    """After a closed pipe (`carenotes reminders | head`), point stdout at /dev/null so
    that the interpreter's final flush does not complain either."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, stdout.fileno())


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
    try:
        return _run(argv, stdin, stdout, stderr)
    except BrokenPipeError:
        # Whoever read our output stopped reading: nothing is wrong, nothing to say.
        _quiet_stdout(stdout)
        return EXIT_OK
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED


def _run(argv: Sequence[str] | None, stdin: TextIO, stdout: TextIO, stderr: TextIO) -> int:
    parser = build_parser()
    try:
        with contextlib.redirect_stdout(stdout):  # --help and --version go to stdout
            args = parser.parse_args(argv)
    except SystemExit as e:  # --help, or a usage error already printed by argparse
        return e.code if isinstance(e.code, int) else EXIT_INVALID

    store = FileSessionStore()
    try:
        conn = connection(args, store)
    except SetupError as e:
        print(f"error: {e}", file=stderr)
        return e.code
    client = CareClient(
        conn.target,
        session_store=store,
        device_store=FileDeviceStore(store.path.with_name(DEVICES_FILE_NAME)),
        timeout=args.timeout or DEFAULT_TIMEOUT,
        root_certificates=conn.root_certificates,
        certificate_chain=conn.certificate_chain,
        private_key=conn.private_key,
    )
    ctx = Context(client, store, args, stdout, stdin, conn.ca_file)
    try:
        with client:
            code: int = args.handler(ctx)
            return code
    except UsageError as e:
        print(f"error: {e}", file=stderr)
        return EXIT_INVALID
    except CarenotesError as e:
        # A refused login or password change needs no advice to log in.
        hint_login = args.handler not in (account.cmd_login, account.cmd_password)
        report(
            e, conn.target, stderr, hint_login=hint_login, secure=conn.root_certificates is not None
        )
        return exit_code(e)
    except BrokenPipeError:
        raise
    except OSError as e:  # e.g. --file that cannot be read
        print(f"error: {e.strerror}: {e.filename}", file=stderr)
        return EXIT_OTHER
