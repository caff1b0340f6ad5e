"""Doctor accounts are vouched for by the clinic: one-time, expiring invitation codes.

`carenotes-server invite-doctor --email ...` issues a code for one email; a doctor
sign-up must present it. The code is 100 random bits, shown once; only its SHA-256 is
stored (a random code needs no slow hash: there is nothing to guess from it). Redeeming
locks the invitation row, so a code can be used once even by concurrent sign-ups.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from carenotes_server.clock import Clock
from carenotes_server.db.database import Database
from carenotes_server.db.models import DoctorInvitation
from carenotes_server.domain import validation
from carenotes_server.domain.errors import FieldViolation, InvalidArgument, PermissionDenied

DEFAULT_VALIDITY = timedelta(days=7)
MAX_REGISTRATION_LENGTH = 64
REFUSED = (
    "doctor accounts need an invitation from the clinic: this code is unknown, already "
    "used, expired or for another email (ask the clinic for a new one)"
)


def new_code() -> str:
    """20 base32 characters in groups of four: easy to read out and type."""
    raw = base64.b32encode(secrets.token_bytes(13)).decode()[:20]
    return "-".join(raw[i : i + 4] for i in range(0, 20, 4))


def code_hash(code: str) -> str:
    canonical = code.strip().upper().replace("-", "").replace(" ", "")
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedInvitation:
    email: str
    name: str | None
    registration: str | None
    expires_at: datetime
    code: str


class Invitations:
    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    def issue(
        self,
        *,
        email: str,
        name: str | None = None,
        registration: str | None = None,
        valid_for: timedelta = DEFAULT_VALIDITY,
    ) -> IssuedInvitation:
        email = validation.normalize_email(email)
        name = validation.normalize_name(name) if name else None
        registration = " ".join(registration.split()) if registration else None
        violations = [
            v
            for v in (
                validation.email_violation(email),
                validation.name_violation(name) if name is not None else None,
                _registration_violation(registration),
            )
            if v is not None
        ]
        if valid_for <= timedelta(0):
            violations.append(FieldViolation("valid_for", "must be positive"))
        if violations:
            raise InvalidArgument(violations)
        now = self._clock.now()
        code = new_code()
        with self._db.write() as session:
            session.add(
                DoctorInvitation(
                    id=uuid.uuid4(),
                    email=email,
                    name=name,
                    registration=registration,
                    code_hash=code_hash(code),
                    created_at=now,
                    expires_at=now + valid_for,
                )
            )
        return IssuedInvitation(email, name, registration, now + valid_for, code)

    def check(self, email: str, code: str) -> None:
        """Refuses early (before any password hashing) a code that cannot be redeemed."""
        with self._db.read() as session:
            if _usable(session, email, code, self._clock.now(), lock=False) is None:
                raise PermissionDenied(REFUSED)


def redeem(
    session: Session, *, email: str, code: str, user_id: uuid.UUID, now: datetime
) -> DoctorInvitation:
    """Marks the invitation used by user_id inside the caller's transaction (the one
    that creates the account), or raises PermissionDenied and changes nothing."""
    invitation = _usable(session, email, code, now, lock=True)
    if invitation is None:
        raise PermissionDenied(REFUSED)
    invitation.used_at = now
    invitation.used_by = user_id
    return invitation


def _usable(
    session: Session, email: str, code: str, now: datetime, *, lock: bool
) -> DoctorInvitation | None:
    if not code.strip() or len(code) > 64:
        return None
    stmt = select(DoctorInvitation).where(DoctorInvitation.code_hash == code_hash(code))
    if lock:
        stmt = stmt.with_for_update()
    invitation = session.scalars(stmt).first()
    if (
        invitation is None
        or invitation.email != email
        or invitation.used_at is not None
        or invitation.expires_at <= now
    ):
        return None
    return invitation


def _registration_violation(registration: str | None) -> FieldViolation | None:
    if registration is None:
        return None
    if len(registration) > MAX_REGISTRATION_LENGTH:
        return FieldViolation(
            "registration", f"must be at most {MAX_REGISTRATION_LENGTH} characters"
        )
    if validation.has_control_chars(registration) or validation.has_invisible_or_bidi_chars(
        registration
    ):
        return FieldViolation("registration", "must not contain control or invisible characters")
    return None
