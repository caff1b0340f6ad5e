"""Sign-up: patients register themselves; doctors only with the clinic's invitation.

A doctor sign-up must carry an unused, unexpired invitation code issued for that very
email (`carenotes-server invite-doctor`); otherwise it is refused with PERMISSION_DENIED
and nothing is written. When the invitation names the doctor or gives a registration
number, the account takes them: the clinic vouches for who the doctor is, and patients
see the registration number beside the name.

Sign-ups are throttled per client host: ALREADY_EXISTS tells whether an email has an
account (a patient must be able to learn why their sign-up failed), so without a limit
sign-up is an enumeration oracle. The remaining enumeration is a few probes per host
per window; see docs/design.md.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from carenotes_server.clock import Clock
from carenotes_server.db.database import Database
from carenotes_server.db.models import User
from carenotes_server.domain import validation
from carenotes_server.domain.errors import (
    AlreadyExists,
    FieldViolation,
    InvalidArgument,
    ResourceExhausted,
)
from carenotes_server.services import audit
from carenotes_server.services.caller import Role
from carenotes_server.services.hashing import PasswordHasher
from carenotes_server.services.invitations import Invitations, redeem
from carenotes_server.services.throttle import Throttle

SIGNUP_PREFIX = "signup:"


class SignUps:
    def __init__(
        self,
        db: Database,
        hasher: PasswordHasher,
        clock: Clock,
        *,
        throttle: Throttle,
        invitations: Invitations,
    ) -> None:
        self._db = db
        self._hasher = hasher
        self._clock = clock
        self._throttle = throttle
        self._invitations = invitations

    async def sign_up(
        self,
        *,
        name: str,
        email: str,
        password: str,
        role: str,
        timezone: str,
        peer: str,
        invitation_code: str = "",
    ) -> uuid.UUID:
        key = f"{SIGNUP_PREFIX}{peer}"
        wait = await self._db.run(self._throttle.retry_after, key)
        if wait > 0:
            raise ResourceExhausted("too many sign-ups from this client; retry later", wait)
        # Every attempt counts, successful or not: the limit is on probing, not failing.
        await self._db.run(self._throttle.failure, key)
        email = validation.normalize_email(email)
        name = validation.normalize_name(name)
        timezone = timezone.strip() or "UTC"
        violations = [
            v
            for v in (
                validation.name_violation(name),
                validation.email_violation(email),
                validation.password_violation(password, context=(name, email.split("@")[0])),
                validation.timezone_violation(timezone),
            )
            if v is not None
        ]
        if role not in {r.value for r in Role}:
            violations.append(FieldViolation("role", "must be PATIENT or DOCTOR"))
        if violations:
            raise InvalidArgument(violations)
        doctor = Role(role) is Role.DOCTOR
        if doctor:
            # Before the (costly) password hash; redeemed for good in the insert below.
            await self._db.run(self._refuse_bad_invitation, email, invitation_code)
        password_hash = await self._hasher.hash(password)
        return await self._db.run(
            self._insert_user,
            name,
            email,
            Role(role),
            timezone,
            password_hash,
            invitation_code if doctor else None,
        )

    def _refuse_bad_invitation(self, email: str, code: str) -> None:
        try:
            self._invitations.check(email, code)
        except Exception:
            self._audit_refusal(email)
            raise

    def _audit_refusal(self, email: str) -> None:
        with self._db.write() as session:
            audit.record(
                session,
                at=self._clock.now(),
                caller=None,
                action="account.signup",
                resource_type="doctor_invitation",
                resource_id=None,
                patient_id=None,
                outcome=audit.Outcome.DENIED,
                reason="invitation_refused",
            )

    def _insert_user(
        self,
        name: str,
        email: str,
        role: Role,
        timezone: str,
        password_hash: str,
        invitation_code: str | None,
    ) -> uuid.UUID:
        now = self._clock.now()
        user = User(
            id=uuid.uuid4(),
            name=name,
            email=email,
            role=role.value,
            timezone=timezone,
            password_hash=password_hash,
            created_at=now,
            password_changed_at=now,
            reminder_seq=0,
        )
        try:
            with self._db.write() as session:
                if session.scalar(select(User.id).where(User.email == email)) is not None:
                    raise AlreadyExists("an account with this email already exists")
                session.add(user)
                session.flush()
                if invitation_code is not None:
                    # Refused here, the whole transaction rolls back: no account is left.
                    invitation = redeem(
                        session, email=email, code=invitation_code, user_id=user.id, now=now
                    )
                    user.name = invitation.name or name
                    user.registration = invitation.registration
                audit.record(
                    session,
                    at=now,
                    caller=None,
                    action="account.signup",
                    resource_type="user",
                    resource_id=user.id,
                    patient_id=user.id if role is Role.PATIENT else None,
                )
        except IntegrityError:  # lost a race with a concurrent sign-up of the same email
            raise AlreadyExists("an account with this email already exists") from None
        return user.id
