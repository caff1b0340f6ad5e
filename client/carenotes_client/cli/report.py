"""Failed calls on stderr: one headline, each field violation once, and a hint where
the fix is not obvious (log in, wait, or switch TLS on or off)."""

from __future__ import annotations

from typing import TextIO

import grpc  # type: ignore[import-untyped, unused-ignore]

from carenotes_client.cli.context import EXIT_AUTH, EXIT_INVALID, EXIT_NOT_FOUND, EXIT_OTHER
from carenotes_client.errors import (
    CarenotesError,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    Unauthenticated,
)

# What a plaintext channel sees when the server speaks TLS: the handshake bytes make it
# hang up before HTTP/2 starts.
_PLAINTEXT_TO_TLS = ("socket closed", "connection reset", "http1.x", "handshake")
# What a TLS channel sees when the server is plaintext or its certificate is not trusted.
_TLS_FAILURES = ("ssl", "tls", "handshake", "certificate", "wrong_version_number")


def exit_code(error: CarenotesError) -> int:
    if isinstance(error, InvalidArgument):
        return EXIT_INVALID
    if isinstance(error, Unauthenticated | PermissionDenied):
        return EXIT_AUTH
    if isinstance(error, NotFound):
        return EXIT_NOT_FOUND
    return EXIT_OTHER


def headline(error: CarenotesError) -> str:
    """The message without the violations it may already list ("invalid request:
    email: is not valid"): they are printed one per line below it."""
    text = error.message
    for violation in error.field_violations:
        text = text.replace(f"{violation.field}: {violation.description}", "")
    return text.strip().rstrip(":;, ").strip() or "invalid request"


def tls_hint(error: CarenotesError, *, secure: bool) -> str | None:
    if error.code != grpc.StatusCode.UNAVAILABLE:
        return None
    text = error.message.lower()
    if "connection refused" in text:
        return None
    if not secure and any(s in text for s in _PLAINTEXT_TO_TLS):
        return (
            "the server may require TLS: give --ca-file CA.pem (the CA that signed its certificate)"
        )
    if secure and any(s in text for s in _TLS_FAILURES):
        return (
            "TLS failed: the server may be plaintext (drop --ca-file), or its certificate "
            "is not signed by the CA of --ca-file"
        )
    return None


def report(
    error: CarenotesError, target: str, stderr: TextIO, *, hint_login: bool, secure: bool
) -> None:
    if error.code == grpc.StatusCode.UNAVAILABLE:
        print(f"error: cannot reach the server at {target}: {error.message}", file=stderr)
    elif error.field_violations:
        print(f"error: {headline(error)}", file=stderr)
    else:
        print(f"error: {error.message}", file=stderr)
    for violation in error.field_violations:
        print(f"  {violation.field}: {violation.description}", file=stderr)
    if error.retry_after is not None:
        print(f"  try again in {error.retry_after:g} s", file=stderr)
    hint = tls_hint(error, secure=secure)
    if hint is not None:
        print(f"  {hint}", file=stderr)
    if hint_login and error.code == grpc.StatusCode.UNAUTHENTICATED:
        print("  run: carenotes login --email EMAIL", file=stderr)
