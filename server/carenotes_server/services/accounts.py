"""Accounts and sessions: login, refresh-token rotation, logout, password change, and
per-call authentication. Sign-up is services/signup.py."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import timedelta
from enum import Enum, auto

from sqlalchemy import select, update

from carenotes_server.clock import Clock
from carenotes_server.db.database import Database
from carenotes_server.db.models import AuthSession, User
from carenotes_server.domain import validation
from carenotes_server.domain.errors import (
    InvalidArgument,
    ResourceExhausted,
    Unauthenticated,
)
from carenotes_server.domain.tokens import IssuedToken, TokenService, TokenType
from carenotes_server.services.caller import Caller, Role
from carenotes_server.services.devices import DEVICE_PREFIX, DeviceTokens
from carenotes_server.services.hashing import PasswordHasher
from carenotes_server.services.live_sessions import LIVE_SESSION as _LIVE_SESSION
from carenotes_server.services.live_sessions import LiveSessions
from carenotes_server.services.session_cache import LiveSession, Revocation, SessionCache
from carenotes_server.services.throttle import PEER_PREFIX, Throttle
from carenotes_server.services.user_view import UserView

log = logging.getLogger(__name__)

# One message for unknown email and wrong password: the answer must not reveal which.
BAD_CREDENTIALS = "invalid email or password"
SESSION_ENDED = "session ended; log in again"
MAX_REFUSAL_HOLD_SECONDS = 1.0


@dataclass(frozen=True)
class TokenPair:
    access: IssuedToken
    refresh: IssuedToken
    user: UserView
    device_token: str = ""  # set by a login from a client without a valid one


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
        *,
        sessions: SessionCache | None = None,
        announce_revocation: Callable[[Revocation], None] | None = None,
        on_revoked: Callable[[Revocation], None] | None = None,
    ) -> None:
        self._db = db
        self._devices = DeviceTokens(db, clock)
        self._hasher = hasher
        self._tokens = tokens
        self._throttle = throttle
        self._clock = clock
        self._sessions = sessions or SessionCache(clock, ttl=timedelta(0))
        # Tells every replica (Redis) that a session ended; the local cache is always
        # cleared directly, so a single process needs no broker.
        self._announce_revocation = announce_revocation
        self._on_revoked = on_revoked
        self._live = LiveSessions(db, self._sessions, clock)

    def revoke(self, revocation: Revocation) -> None:
        """A session (or every session of a user) ended: forget it here, end its open
        streams, and tell the other replicas."""
        self._sessions.revoke(revocation)
        if self._on_revoked is not None:
            self._on_revoked(revocation)
        if self._announce_revocation is not None:
            try:
                self._announce_revocation(revocation)
            except Exception:  # noqa: BLE001 - the cache TTL bounds a lost announcement
                log.warning("could not announce a session revocation")

    # --- login and tokens ----------------------------------------------------------

    async def login(
        self, *, email: str, password: str, peer: str, device_token: str = ""
    ) -> TokenPair:
        try:
            return await self._login(
                email=email, password=password, peer=peer, device_token=device_token
            )
        except ResourceExhausted as refused:
            # Answer a refused login only after its retry delay (at most a second): a
            # sleeping call costs the server nothing, and a client that ignores the hint
            # can no longer keep the event loop busy refusing it.
            await asyncio.sleep(min(refused.retry_after_seconds, MAX_REFUSAL_HOLD_SECONDS))
            raise

    async def _login(self, *, email: str, password: str, peer: str, device_token: str) -> TokenPair:
        self._hasher.ensure_capacity()
        email = validation.normalize_email(email)
        # No stored email holds NUL (PostgreSQL text cannot): skip the lookup, same answer.
        found = None if "\x00" in email else await self._db.run(self._find_credentials, email)
        device = (
            await self._db.run(self._devices.device_of, device_token, found[0])
            if found is not None and device_token
            else None
        )
        # A client that logged in before is throttled on its own; everyone else on the
        # account and the peer. So a flood of wrong guesses for a victim's email (or
        # from the victim's NAT) never locks the victim's own devices out.
        keys = (
            (f"{DEVICE_PREFIX}{device}",)
            if device is not None
            else (f"account:{email}", f"{PEER_PREFIX}{peer}")
        )
        # Through the pool: the Redis throttle does network I/O.
        wait = await self._db.run(self._throttle.retry_after, *keys)
        if wait > 0:
            raise ResourceExhausted("too many failed logins; retry later", wait)
        password_hash = found[1] if found else None
        ok = await self._hasher.verify(password[: validation.MAX_PASSWORD_LENGTH], password_hash)
        if not ok or found is None or len(password) > validation.MAX_PASSWORD_LENGTH:
            await self._db.run(self._throttle.failure, *keys)
            raise Unauthenticated(BAD_CREDENTIALS)
        await self._db.run(self._throttle.success, keys[0])
        pair = await self._db.run(self._open_session, found[0])
        if device is not None:
            await self._db.run(self._devices.touch, device)
            return pair
        issued = await self._db.run(self._devices.issue, found[0])
        return replace(pair, device_token=issued)

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
            await self._db.run(self.revoke, Revocation(session_id=claims.session_id))
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
        await self._db.run(self.revoke, Revocation(session_id=caller.session_id))

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
        try:
            await self._change_password(caller, current=current, new=new)
        except ResourceExhausted as refused:
            await asyncio.sleep(min(refused.retry_after_seconds, MAX_REFUSAL_HOLD_SECONDS))
            raise

    async def _change_password(self, caller: Caller, *, current: str, new: str) -> None:
        # Throttled like Login: a stolen access token must not become a password oracle.
        key = f"password:{caller.user_id}"
        wait = await self._db.run(self._throttle.retry_after, key)
        if wait > 0:
            raise ResourceExhausted("too many wrong current passwords; retry later", wait)
        self._hasher.ensure_capacity()
        user = await self._db.run(self._get_user, caller.user_id)
        # Bounded like login: the hasher refuses oversized secrets with an exception.
        ok = await self._hasher.verify(
            current[: validation.MAX_PASSWORD_LENGTH], user.password_hash
        )
        if not ok or len(current) > validation.MAX_PASSWORD_LENGTH:
            await self._db.run(self._throttle.failure, key)
            raise Unauthenticated("the current password is wrong")
        await self._db.run(self._throttle.success, key)
        violation = validation.password_violation(
            new, field="new_password", context=(user.name, user.email.split("@")[0])
        )
        if violation:
            raise InvalidArgument(violation)
        new_hash = await self._hasher.hash(new)
        await self._db.run(self._store_password, caller.user_id, new_hash)
        await self._db.run(self._devices.forget_all, caller.user_id)
        await self._db.run(self.revoke, Revocation(user_id=caller.user_id))

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
        """Verifies the token, then checks that its session is live and its user still
        exists with that role: from the session cache, or with one autocommit query."""
        claims = self._tokens.verify(access_token, TokenType.ACCESS)
        live = self._live_session(claims.session_id)
        if live is None or live.user_id != claims.user_id or live.role != claims.role:
            raise Unauthenticated(SESSION_ENDED)
        return Caller(claims.user_id, Role(live.role), claims.session_id, live.profile)

    def authenticate_cached(self, access_token: str) -> Caller | None:
        """Non-blocking: the caller when the token is valid and its session is in the
        cache; None when the database must be asked (then call authenticate)."""
        claims = self._tokens.verify(access_token, TokenType.ACCESS)
        live = self._sessions.get(claims.session_id)
        if live is None:
            return None
        if live.user_id != claims.user_id or live.role != claims.role:
            raise Unauthenticated(SESSION_ENDED)
        return Caller(claims.user_id, Role(live.role), claims.session_id, live.profile)

    def cached_session_is_live(self, caller: Caller) -> bool | None:
        """Non-blocking: True/False when the cache knows, None when a read is needed."""
        live = self._sessions.get(caller.session_id)
        if live is None:
            return None
        return live.user_id == caller.user_id

    def live_session_users(self, session_ids: list[uuid.UUID]) -> dict[uuid.UUID, uuid.UUID]:
        """Blocking: session id -> user id for those of the sessions that still stand
        (one query for all of them; the streams of a morning peak ask together)."""
        return self._live.users_of(session_ids)

    def _live_session(self, session_id: uuid.UUID) -> LiveSession | None:
        cached = self._sessions.get(session_id)
        if cached is not None:
            return cached
        ticket = self._sessions.ticket()
        with self._db.query() as connection:
            row = connection.execute(_LIVE_SESSION, {"session_id": session_id}).first()
        if row is None or row.expires_at <= self._clock.now():
            return None
        profile = UserView(
            row.id, row.name, row.email, Role(row.role), row.timezone, row.created_at
        )
        live = LiveSession(session_id, row.id, row.role, row.expires_at, profile)
        self._sessions.put(live, ticket)
        return live

    async def who_am_i(self, caller: Caller) -> UserView:
        if isinstance(caller.profile, UserView):
            return caller.profile  # read by authenticate for this very call
        return UserView.of(await self._db.run(self._get_user, caller.user_id))

    def _get_user(self, user_id: uuid.UUID) -> User:
        with self._db.read() as session:
            user = session.get(User, user_id)
            if user is None:
                raise Unauthenticated(SESSION_ENDED)
            session.expunge(user)
            return user
