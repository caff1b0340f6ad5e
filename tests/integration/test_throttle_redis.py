"""The shared login throttle against the real Redis: counts are shared by replicas."""

from __future__ import annotations

import uuid

import redis

from carenotes_server.services.throttle import RedisLoginThrottle
from tests.databases import REDIS_URL, require_service


def _throttle(prefix: str) -> RedisLoginThrottle:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        require_service("Redis", exc)
    return RedisLoginThrottle(REDIS_URL, max_failures=3, prefix=prefix)


def test_two_replicas_share_failures_and_lockout() -> None:
    prefix = f"carenotes-test:{uuid.uuid4().hex}"
    replica_a, replica_b = _throttle(prefix), _throttle(prefix)
    key = "account:ada@example.org"
    replica_a.failure(key)
    replica_b.failure(key)
    assert replica_a.retry_after(key) == 0
    replica_b.failure(key)  # third failure, on either replica, locks for 30 s
    assert 29 < replica_a.retry_after(key) <= 30
    replica_a.failure(key)  # and each further failure doubles the lockout
    assert 59 < replica_b.retry_after(key) <= 60
    replica_a.success(key)
    assert replica_b.retry_after(key) == 0
    keys = redis.Redis.from_url(REDIS_URL).keys(f"{prefix}:*")
    assert keys == []
