"""Typed exceptions for every failed Carenotes call, decoded from gRPC's rich status.

The server attaches a google.rpc.Status to its errors (in the trailing metadata
key "grpc-status-details-bin"): a BadRequest with field violations for
INVALID_ARGUMENT and a RetryInfo for RESOURCE_EXHAUSTED. Callers of the client
see these as plain attributes and never have to touch grpc.RpcError.
"""

# The subclasses are named after the gRPC status codes they stand for, as
# callers already know them (NotFound, not NotFoundError).

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import grpc  # type: ignore[import-untyped, unused-ignore]
from google.protobuf.message import DecodeError
from google.rpc import error_details_pb2, status_pb2

# The metadata key under which gRPC carries a serialized google.rpc.Status.
STATUS_DETAILS_KEY = "grpc-status-details-bin"


@dataclass(frozen=True)
class FieldViolation:
    """One invalid request field, e.g. FieldViolation("email", "is not a valid address")."""

    field: str
    description: str


class CarenotesError(Exception):
    """A Carenotes call failed. Subclasses name the gRPC status code."""

    def __init__(
        self,
        code: grpc.StatusCode,
        message: str,
        *,
        field_violations: Iterable[FieldViolation] = (),
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field_violations: list[FieldViolation] = list(field_violations)
        # Seconds the server asked us to wait before retrying, when it said so.
        self.retry_after = retry_after

    def __str__(self) -> str:
        return self.message


class InvalidArgument(CarenotesError):
    """The request was malformed; see field_violations."""


class NotFound(CarenotesError):
    """The record does not exist, or the caller may not know that it does."""


class AlreadyExists(CarenotesError):
    """A unique record (e.g. an account's email) already exists."""


class PermissionDenied(CarenotesError):
    """Signed in, but not allowed to do this."""


class Unauthenticated(CarenotesError):
    """Not signed in, or the session expired or was revoked."""


class FailedPrecondition(CarenotesError):
    """The record is not in a state that allows the operation."""


class ResourceExhausted(CarenotesError):
    """Throttled; retry_after says how long to wait."""


class Unavailable(CarenotesError):
    """The server could not be reached or is temporarily down."""


class DeadlineExceeded(CarenotesError):
    """The call did not finish before its deadline."""


_CLASS_BY_CODE: dict[grpc.StatusCode, type[CarenotesError]] = {
    grpc.StatusCode.INVALID_ARGUMENT: InvalidArgument,
    grpc.StatusCode.OUT_OF_RANGE: InvalidArgument,
    grpc.StatusCode.NOT_FOUND: NotFound,
    grpc.StatusCode.ALREADY_EXISTS: AlreadyExists,
    grpc.StatusCode.PERMISSION_DENIED: PermissionDenied,
    grpc.StatusCode.UNAUTHENTICATED: Unauthenticated,
    grpc.StatusCode.FAILED_PRECONDITION: FailedPrecondition,
    grpc.StatusCode.RESOURCE_EXHAUSTED: ResourceExhausted,
    grpc.StatusCode.UNAVAILABLE: Unavailable,
    grpc.StatusCode.DEADLINE_EXCEEDED: DeadlineExceeded,
}


def error_for(
    code: grpc.StatusCode,
    message: str,
    *,
    field_violations: Iterable[FieldViolation] = (),
    retry_after: float | None = None,
) -> CarenotesError:
    """Builds the exception class that matches a status code."""
    cls = _CLASS_BY_CODE.get(code, CarenotesError)
    return cls(code, message, field_violations=field_violations, retry_after=retry_after)


def from_status_parts(
    code: grpc.StatusCode,
    details: str | None,
    trailing_metadata: Iterable[tuple[str, Any]] | None,
) -> CarenotesError:
    """Decodes a status code, its message and trailing metadata into a typed error.

    Shared by the sync and the asyncio client: both expose these three parts,
    while grpc_status.rpc_status.from_call only accepts a sync grpc.Call.
    """
    rich = _rich_status(trailing_metadata)
    violations: list[FieldViolation] = []
    retry_after: float | None = None
    message = details or ""
    if rich is not None:
        message = rich.message or message
        for detail in rich.details:
            if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
                bad_request = error_details_pb2.BadRequest()
                detail.Unpack(bad_request)
                violations.extend(
                    FieldViolation(v.field, v.description) for v in bad_request.field_violations
                )
            elif detail.Is(error_details_pb2.RetryInfo.DESCRIPTOR):
                retry_info = error_details_pb2.RetryInfo()
                detail.Unpack(retry_info)
                retry_after = retry_info.retry_delay.ToTimedelta().total_seconds()
    if not message:
        message = _default_message(code)
    return error_for(code, message, field_violations=violations, retry_after=retry_after)


def from_rpc_error(error: grpc.RpcError) -> CarenotesError:
    """Converts any grpc.RpcError (sync or aio) into the matching CarenotesError."""
    # A bare grpc.RpcError (not a grpc.Call) has no code: treat it as UNKNOWN.
    code_of = getattr(error, "code", None)
    code = code_of() if callable(code_of) else grpc.StatusCode.UNKNOWN
    details_of = getattr(error, "details", None)
    details = details_of() if callable(details_of) else str(error)
    metadata_of = getattr(error, "trailing_metadata", None)
    metadata = metadata_of() if callable(metadata_of) else None
    return from_status_parts(code, details, metadata)


def _rich_status(
    trailing_metadata: Iterable[tuple[str, Any]] | None,
) -> status_pb2.Status | None:
    for key, value in trailing_metadata or ():
        if key == STATUS_DETAILS_KEY and isinstance(value, bytes):
            try:
                return status_pb2.Status.FromString(value)
            except DecodeError:
                # A garbled detail must not hide the status code and message.
                return None
    return None


def _default_message(code: grpc.StatusCode) -> str:
    name: str = code.name if hasattr(code, "name") else str(code)
    return name.lower().replace("_", " ")
