"""A short-lived cache of live sessions, so per-call authentication is nearly free.

Every authenticated call must know that its session is live and its user still exists.
Reading that from the database on every call doubled the cost of the cheapest RPCs. The
cache keeps the answer for a few seconds (CARENOTES_AUTH_CACHE_SECONDS, 0 disables it)
and is invalidated at once, on every replica, whenever a session ends through the API:
logout, password change, refresh-token reuse. Only changes made behind the API's back
(an operator deleting a user row) wait for the entry to expire.

Access to records (is this doctor on the patient's care team?) is never cached.
"""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta

from carenotes_server.clock import Clock


@dataclass(frozen=True)
class LiveSession:
    session_id: uuid.UUID
    user_id: uuid.UUID
    role: str
    expires_at: datetime
    profile: object  # the user's UserView, for WhoAmI without another read


@dataclass(frozen=True)
class Revocation:
    """What ended: one session, or every session of a user."""

    session_id: uuid.UUID | None = None
    user_id: uuid.UUID | None = None

    def encode(self) -> str:
        if self.session_id is not None:
            return f"session {self.session_id}"
        return f"user {self.user_id}"

    @classmethod
    def decode(cls, raw: str | bytes) -> Revocation:
        text = raw.decode() if isinstance(raw, bytes) else raw
        kind, value = text.split()
        if kind == "session":
            return cls(session_id=uuid.UUID(value))
        if kind == "user":
            return cls(user_id=uuid.UUID(value))
        raise ValueError("unknown revocation kind")


class SessionCache:
    """Live sessions by id, for ttl at most.

    Revocation always wins: a reader takes a `ticket()` before it reads the session from
    the database and hands it to `put`, which stores nothing if any revocation happened
    in between. Without that, a Logout landing between a reader's database read (still
    live) and its put would be overwritten, and the token would work until the TTL.
    """

    def __init__(self, clock: Clock, *, ttl: timedelta, max_entries: int = 100_000) -> None:
        self._clock = clock
        self._ttl = ttl
        self._max = max_entries
        self._entries: OrderedDict[uuid.UUID, tuple[datetime, LiveSession]] = OrderedDict()
        self._lock = threading.Lock()
        self._revocations = 0  # how many revocations this cache has seen

    @property
    def enabled(self) -> bool:
        return self._ttl > timedelta(0)

    def get(self, session_id: uuid.UUID) -> LiveSession | None:
        if not self.enabled:
            return None
        now = self._clock.now()
        with self._lock:
            entry = self._entries.get(session_id)
            if entry is None:
                return None
            cached_at, live = entry
            if now - cached_at >= self._ttl or live.expires_at <= now:
                del self._entries[session_id]
                return None
            return live

    def ticket(self) -> int:
        """Take before reading a session from the database; give it to put."""
        with self._lock:
            return self._revocations

    def put(self, live: LiveSession, ticket: int) -> None:
        """Caches what the database said, unless a revocation came since the ticket (the
        read may predate it; the next call reads again)."""
        if not self.enabled:
            return
        with self._lock:
            if self._revocations != ticket:
                return
            self._entries[live.session_id] = (self._clock.now(), live)
            self._entries.move_to_end(live.session_id)
            while len(self._entries) > self._max:
                self._entries.popitem(last=False)

    def revoke(self, revocation: Revocation) -> None:
        with self._lock:
            self._revocations += 1
            if revocation.session_id is not None:
                self._entries.pop(revocation.session_id, None)
            if revocation.user_id is not None:
                for sid in [
                    s for s, (_, v) in self._entries.items() if v.user_id == revocation.user_id
                ]:
                    del self._entries[sid]


REVOCATIONS_CHANNEL = "carenotes:sessions:revoked"


class RedisRevocationAnnouncer:
    """Tells every replica's cache that a session ended."""

    def __init__(self, url: str) -> None:
        import redis

        self._client = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)

    def __call__(self, revocation: Revocation) -> None:
        self._client.publish(REVOCATIONS_CHANNEL, revocation.encode())
