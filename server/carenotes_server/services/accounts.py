"""Accounts and sessions: sign-up, login, refresh-token rotation, logout, authentication."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import Enum, auto

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from carenotes_server.clock import Clock
from carenotes_server.db.database import Database
from carenotes_server.db.models import AuthSession, User
from carenotes_server.domain import validation
from carenotes_server.domain.errors import (
    AlreadyExists,
    FieldViolation,
    InvalidArgument,
    ResourceExhausted,
    Unauthenticated,
)
from carenotes_server.domain.tokens import IssuedToken, TokenService, TokenType
from carenotes_server.services.caller import Caller, Role
from carenotes_server.services.hashing import PasswordHasher
from carenotes_server.services.throttle import Throttle

# One message for unknown email and wrong password: the answer must not reveal which.
BAD_CREDENTIALS = "invalid email or password"
SESSION_ENDED = "session ended; log in again"


@dataclass(frozen=True)
class UserView:
    id: uuid.UUID
    name: str
    email: str
    role: Role
    timezone: str
    created_at: datetime

    @classmethod
    def of(cls, user: User) -> UserView:
        return cls(user.id, user.name, user.email, Role(user.role), user.timezone, user.created_at)


@dataclass(frozen=True)
class TokenPair:
    access: IssuedToken
    refresh: IssuedToken
    user: UserView


class _RefreshOutcome(Enum):
    ROTATED = auto()
    REUSED = auto()
    INVALID = auto()


class AccountsService:
    def __init__(
        self,
        db: Database,
        hasher: PasswordHasher,
        tokens: TokenService,
        throttle: Throttle,
        clock: Clock,
    ) -> None:
        self._db = db
        self._hasher = hasher
        self._tokens = tokens
        self._throttle = throttle
        self._clock = clock

    # --- sign-up -----------------------------------------------------------------

    async def sign_up(
        self, *, name: str, email: str, password: str, role: str, timezone: str
    ) -> uuid.UUID:
        email = validation.normalize_email(email)
        name = name.strip()
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
        password_hash = await self._hasher.hash(password)
        return await self._db.run(
            self._insert_user, name, email, Role(role), timezone, password_hash
        )

    def _insert_user(
        self, name: str, email: str, role: Role, timezone: str, password_hash: str
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
        except IntegrityError:  # lost a race with a concurrent sign-up of the same email
            raise AlreadyExists("an account with this email already exists") from None
        return user.id

    # --- login and tokens ----------------------------------------------------------

    async def login(self, *, email: str, password: str, peer: str) -> TokenPair:
        email = validation.normalize_email(email)
        keys = (f"account:{email}", f"peer:{peer}")
        # Through the pool: the Redis throttle does network I/O.
        wait = await self._db.run(self._throttle.retry_after, *keys)
        if wait > 0:
            raise ResourceExhausted("too many failed logins; retry later", wait)
        # No stored email holds NUL (PostgreSQL text cannot): skip the lookup, same answer.
        found = None if "\x00" in email else await self._db.run(self._find_credentials, email)
        password_hash = found[1] if found else None
        ok = await self._hasher.verify(password[: validation.MAX_PASSWORD_LENGTH], password_hash)
        if not ok or found is None or len(password) > validation.MAX_PASSWORD_LENGTH:
            await self._db.run(self._throttle.failure, *keys)
            raise Unauthenticated(BAD_CREDENTIALS)
        await self._db.run(self._throttle.success, keys[0])
        return await self._db.run(self._open_session, found[0])

    def _find_credentials(self, email: str) -> tuple[uuid.UUID, str] | None:
        with self._db.read() as session:
            row = session.execute(
                select(User.id, User.password_hash).where(User.email == email)
            ).first()
            return (row[0], row[1]) if row else None

    def _issue_pair(self, user: User, session_id: uuid.UUID) -> tuple[IssuedToken, IssuedToken]:
        access = self._tokens.issue(TokenType.ACCESS, user.id, user.role, session_id)
        refresh = self._tokens.issue(TokenType.REFRESH, user.id, user.role, session_id)
        return access, refresh

    def _open_session(self, user_id: uuid.UUID) -> TokenPair:
        with self._db.write() as session:
            user = session.get(User, user_id)
            if user is None:
                raise Unauthenticated(BAD_CREDENTIALS)
            session_id = uuid.uuid4()
            access, refresh = self._issue_pair(user, session_id)
            session.add(
                AuthSession(
                    id=session_id,
                    user_id=user.id,
                    created_at=self._clock.now(),
                    expires_at=refresh.claims.expires_at,
                    current_refresh_jti=refresh.claims.token_id,
                )
            )
            return TokenPair(access, refresh, UserView.of(user))

    async def refresh(self, refresh_token: str) -> TokenPair:
        claims = self._tokens.verify(refresh_token, TokenType.REFRESH)
        outcome, pair = await self._db.run(self._rotate, claims.session_id, claims.token_id)
        if outcome is _RefreshOutcome.REUSED:
            raise Unauthenticated("refresh token reuse detected; every session token revoked")
        if pair is None:
            raise Unauthenticated(SESSION_ENDED)
        return pair

    def _rotate(
        self, session_id: uuid.UUID, token_id: uuid.UUID
    ) -> tuple[_RefreshOutcome, TokenPair | None]:
        now = self._clock.now()
        with self._db.write() as session:
            auth = session.scalars(
                select(AuthSession).where(AuthSession.id == session_id).with_for_update()
            ).first()
            if auth is None or auth.revoked_at is not None or auth.expires_at <= now:
                return _RefreshOutcome.INVALID, None
            if auth.current_refresh_jti != token_id:
                # An old refresh token came back: it was stolen or replayed. Revoke the
                # whole family so that neither holder can continue.
                auth.revoked_at = now
                auth.revoked_reason = "refresh_reuse"
                return _RefreshOutcome.REUSED, None
            user = session.get(User, auth.user_id)
            if user is None:
                return _RefreshOutcome.INVALID, None
            access, refresh = self._issue_pair(user, auth.id)
            auth.current_refresh_jti = refresh.claims.token_id
            return _RefreshOutcome.ROTATED, TokenPair(access, refresh, UserView.of(user))

    async def logout(self, caller: Caller) -> None:
        await self._db.run(self._revoke_sessions, caller.user_id, caller.session_id, "logout")

    def _revoke_sessions(
        self, user_id: uuid.UUID, session_id: uuid.UUID | None, reason: str
    ) -> None:
        stmt = update(AuthSession).where(
            AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None)
        )
        if session_id is not None:
            stmt = stmt.where(AuthSession.id == session_id)
        with self._db.write() as session:
            session.execute(stmt.values(revoked_at=self._clock.now(), revoked_reason=reason))

    async def change_password(self, caller: Caller, *, current: str, new: str) -> None:
        user = await self._db.run(self._get_user, caller.user_id)
        # Bounded like login: the hasher refuses oversized secrets with an exception.
        ok = await self._hasher.verify(
            current[: validation.MAX_PASSWORD_LENGTH], user.password_hash
        )
        if not ok or len(current) > validation.MAX_PASSWORD_LENGTH:
            raise Unauthenticated("the current password is wrong")
        violation = validation.password_violation(
            new, field="new_password", context=(user.name, user.email.split("@")[0])
        )
        if violation:
            raise InvalidArgument(violation)
        new_hash = await self._hasher.hash(new)
        await self._db.run(self._store_password, caller.user_id, new_hash)

    def _store_password(self, user_id: uuid.UUID, password_hash: str) -> None:
        now = self._clock.now()
        with self._db.write() as session:
            session.execute(
                update(User)
                .where(User.id == user_id)
                .values(password_hash=password_hash, password_changed_at=now)
            )
            session.execute(
                update(AuthSession)
                .where(AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None))
                .values(revoked_at=now, revoked_reason="password_changed")
            )

    # --- per-call authentication ----------------------------------------------------

    def authenticate(self, access_token: str) -> Caller:
        """Blocking: verifies the token, then reads the database (the user must still
        exist with that role, and the session must be live) on every call."""
        claims = self._tokens.verify(access_token, TokenType.ACCESS)
        with self._db.read() as session:
            row = session.execute(
                select(User.role, AuthSession.revoked_at, AuthSession.expires_at)
                .join(AuthSession, AuthSession.user_id == User.id)
                .where(AuthSession.id == claims.session_id, User.id == claims.user_id)
            ).first()
        if row is None or row[1] is not None or row[2] <= self._clock.now():
            raise Unauthenticated(SESSION_ENDED)
        if row[0] != claims.role:
            raise Unauthenticated(SESSION_ENDED)
        return Caller(claims.user_id, Role(row[0]), claims.session_id)

    def session_is_live(self, caller: Caller) -> bool:
        """Blocking: whether the caller's session still stands (not logged out, password
        unchanged, user not deleted). Long-lived streams ask before each message."""
        with self._db.read() as session:
            revoked = session.execute(
                select(AuthSession.revoked_at).where(
                    AuthSession.id == caller.session_id, AuthSession.user_id == caller.user_id
                )
            ).first()
        return revoked is not None and revoked[0] is None

    async def who_am_i(self, caller: Caller) -> UserView:
        return UserView.of(await self._db.run(self._get_user, caller.user_id))

    def _get_user(self, user_id: uuid.UUID) -> User:
        with self._db.read() as session:
            user = session.get(User, user_id)
            if user is None:
                raise Unauthenticated(SESSION_ENDED)
            session.expunge(user)
            return user
