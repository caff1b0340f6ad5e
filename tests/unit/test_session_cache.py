"""The session cache never resurrects a revoked session."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from carenotes_server.clock import FakeClock
from carenotes_server.services.session_cache import LiveSession, Revocation, SessionCache

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def live(session_id: uuid.UUID, user_id: uuid.UUID) -> LiveSession:
    return LiveSession(session_id, user_id, "patient", NOW + timedelta(days=1), None)


def test_a_read_taken_before_a_revocation_is_not_cached_after_it() -> None:
    cache = SessionCache(FakeClock(NOW), ttl=timedelta(seconds=5))
    session_id, user_id = uuid.uuid4(), uuid.uuid4()
    ticket = cache.ticket()  # a reader starts its database read: the session is live
    cache.revoke(Revocation(session_id=session_id))  # a Logout lands meanwhile
    cache.put(live(session_id, user_id), ticket)  # the reader's put comes last
    assert cache.get(session_id) is None


def test_a_read_after_the_revocation_is_cached_and_a_revocation_clears_it() -> None:
    cache = SessionCache(FakeClock(NOW), ttl=timedelta(seconds=5))
    session_id, user_id = uuid.uuid4(), uuid.uuid4()
    cache.revoke(Revocation(user_id=uuid.uuid4()))  # someone else's
    cache.put(live(session_id, user_id), cache.ticket())
    assert cache.get(session_id) is not None
    cache.revoke(Revocation(user_id=user_id))
    assert cache.get(session_id) is None
