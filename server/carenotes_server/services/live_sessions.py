"""Whether login sessions still stand, read for one session or for many at once.

A reminder stream re-checks its session before each delivery; at a morning peak
thousands of streams ask within the same second, and their cache entries have long
expired. One query answers a whole batch, and fills the session cache as the single
read does (unless a revocation came meanwhile: the cache's ticket).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import Uuid, bindparam, select

from carenotes_server.clock import Clock
from carenotes_server.db.database import Database
from carenotes_server.db.models import AuthSession, User
from carenotes_server.services.caller import Role
from carenotes_server.services.session_cache import LiveSession, SessionCache
from carenotes_server.services.user_view import UserView

_COLUMNS = (
    User.id,
    User.name,
    User.email,
    User.role,
    User.timezone,
    User.created_at,
    AuthSession.expires_at,
)
# Built once: authentication runs on every call, statement construction need not.
LIVE_SESSION = (
    select(*_COLUMNS)
    .join(AuthSession, AuthSession.user_id == User.id)
    .where(
        AuthSession.id == bindparam("session_id", type_=Uuid()),
        AuthSession.revoked_at.is_(None),
    )
)
MAX_PER_QUERY = 500


class LiveSessions:
    def __init__(self, db: Database, cache: SessionCache, clock: Clock) -> None:
        self._db = db
        self._cache = cache
        self._clock = clock

    def users_of(self, session_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, uuid.UUID]:
        """session id -> user id, for those of the sessions that still stand."""
        out: dict[uuid.UUID, uuid.UUID] = {}
        missing = []
        for session_id in dict.fromkeys(session_ids):
            cached = self._cache.get(session_id)
            if cached is not None:
                out[session_id] = cached.user_id
            else:
                missing.append(session_id)
        for start in range(0, len(missing), MAX_PER_QUERY):
            out |= self._read(missing[start : start + MAX_PER_QUERY])
        return out

    def _read(self, session_ids: list[uuid.UUID]) -> dict[uuid.UUID, uuid.UUID]:
        ticket = self._cache.ticket()
        with self._db.query() as connection:
            rows = connection.execute(
                select(AuthSession.id.label("session_id"), *_COLUMNS)
                .join(User, AuthSession.user_id == User.id)
                .where(AuthSession.id.in_(session_ids), AuthSession.revoked_at.is_(None))
            ).all()
        now = self._clock.now()
        out: dict[uuid.UUID, uuid.UUID] = {}
        for row in rows:
            if row.expires_at <= now:
                continue
            profile = UserView(
                row.id, row.name, row.email, Role(row.role), row.timezone, row.created_at
            )
            live = LiveSession(row.session_id, row.id, row.role, row.expires_at, profile)
            self._cache.put(live, ticket)
            out[row.session_id] = row.id
        return out
