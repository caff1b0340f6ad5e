"""Carenotes client library: a typed client over gRPC and the `carenotes` CLI."""

from carenotes_client.backoff import Backoff
from carenotes_client.client import DEFAULT_TARGET, CareClient
from carenotes_client.errors import (
    AlreadyExists,
    CarenotesError,
    DeadlineExceeded,
    FailedPrecondition,
    FieldViolation,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    ResourceExhausted,
    Unauthenticated,
    Unavailable,
    from_rpc_error,
)
from carenotes_client.session import (
    FileSessionStore,
    MemorySessionStore,
    Session,
    SessionStore,
    default_session_path,
)

__all__ = [
    "DEFAULT_TARGET",
    "AlreadyExists",
    "Backoff",
    "CareClient",
    "CarenotesError",
    "DeadlineExceeded",
    "FailedPrecondition",
    "FieldViolation",
    "FileSessionStore",
    "InvalidArgument",
    "MemorySessionStore",
    "NotFound",
    "PermissionDenied",
    "ResourceExhausted",
    "Session",
    "SessionStore",
    "Unauthenticated",
    "Unavailable",
    "default_session_path",
    "from_rpc_error",
]
