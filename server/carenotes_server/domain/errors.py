"""Domain errors. The gRPC layer maps each to a status code; nothing here knows gRPC."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class FieldViolation:
    """One invalid request field, e.g. FieldViolation("email", "is not a valid address")."""

    field: str
    description: str


class DomainError(Exception):
    """Base of every error a caller may see. The message must never contain PHI."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidArgument(DomainError):
    """Bad input. Carries one violation per offending field."""

    def __init__(self, violations: list[FieldViolation] | FieldViolation) -> None:
        if isinstance(violations, FieldViolation):
            violations = [violations]
        self.violations = list(violations)
        summary = "; ".join(f"{v.field}: {v.description}" for v in self.violations)
        super().__init__(f"invalid request: {summary}")


class NotFound(DomainError):
    """The record does not exist, or the caller may not know that it does."""


class AlreadyExists(DomainError):
    """A unique record already exists."""


class PermissionDenied(DomainError):
    """Authenticated, but not allowed to do this."""


class Unauthenticated(DomainError):
    """Missing, invalid, expired or revoked credentials."""


class FailedPrecondition(DomainError):
    """The record is not in a state that allows the operation.

    violations name what failed (e.g. a schedule outside the clinical bounds, by the
    field path of the extracted step); they are sent as google.rpc.PreconditionFailure.
    """

    def __init__(self, message: str, violations: list[FieldViolation] | None = None) -> None:
        super().__init__(message)
        self.violations = list(violations or [])


class ResourceExhausted(DomainError):
    """Throttled; the caller may retry after retry_after_seconds."""

    def __init__(self, message: str, retry_after_seconds: float) -> None:
        super().__init__(message)
        self.retry_after_seconds = retry_after_seconds


class Unavailable(DomainError):
    """A dependency (database, broker) is down; the call may be retried."""
