"""The shared login throttle against the real Redis: counts are shared by replicas."""

from __future__ import annotations

import uuid

import redis

from carenotes_server.clock import SystemClock
from carenotes_server.services.throttle import RedisLoginThrottle
from tests.databases import REDIS_URL, require_service


def _throttle(prefix: str) -> RedisLoginThrottle:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        require_service("Redis", exc)
    return RedisLoginThrottle(REDIS_URL, SystemClock(), max_failures=3, prefix=prefix)


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


def test_redis_down_falls_back_to_a_local_throttle() -> None:
    # Nothing listens on port 1: every Redis call fails at once.
    throttle = RedisLoginThrottle("redis://127.0.0.1:1/0", SystemClock(), max_failures=2)
    key = "account:ada@example.org"
    assert throttle.retry_after(key) == 0
    throttle.failure(key)
    throttle.failure(key)
    assert throttle.retry_after(key) > 0  # still throttled, by this process
    throttle.success(key)
    assert throttle.retry_after(key) == 0


def test_a_shared_peer_gets_far_more_room_than_an_account() -> None:
    prefix = f"carenotes-test:{uuid.uuid4().hex}"
    throttle = _throttle(prefix)
    peer = "peer:ipv4:10.0.0.1"
    for _ in range(10):
        throttle.failure(peer)
    assert throttle.retry_after(peer) == 0  # a proxy's many users are not locked out
    account = "account:bob@example.org"
    for _ in range(3):
        throttle.failure(account)
    assert throttle.retry_after(account) > 0
    throttle.success(peer, account)
