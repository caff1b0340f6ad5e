"""Login throttling: repeated failures per account and per peer slow the attacker down.

Failures are counted in a window; past the limit the key is locked out for a delay that
doubles with each further failure (capped). `RedisLoginThrottle` shares the counts
between every server replica (production); `LoginThrottle` keeps them in the process
(embedded mode, a single process).
"""

from __future__ import annotations

import logging
import math
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

import redis

from carenotes_server.clock import Clock

log = logging.getLogger(__name__)


class Throttle(Protocol):
    def retry_after(self, *keys: str) -> float:
        """Seconds the caller must wait before another attempt (0 if none)."""
        ...

    def failure(self, *keys: str) -> None: ...

    def success(self, *keys: str) -> None: ...


@dataclass(frozen=True)
class _Limits:
    """Failures allowed per account, and per peer address. A peer may be a proxy or a
    clinic's NAT shared by many people, so it gets far more room than one account."""

    account: int
    peer: int

    def of(self, key: str) -> int:
        return self.peer if key.startswith(PEER_PREFIX) else self.account


PEER_PREFIX = "peer:"


def lockout_seconds(failures: int, max_failures: int, base: float, cap: float) -> float:
    """0 below the limit; then base, 2 x base, 4 x base ... capped."""
    if failures < max_failures:
        return 0.0
    lockout: float = base * math.pow(2, failures - max_failures)
    return min(lockout, cap)


@dataclass
class _Record:
    failures: int
    first_failure: datetime
    locked_until: datetime | None


class LoginThrottle:
    def __init__(
        self,
        clock: Clock,
        *,
        max_failures: int = 5,
        peer_max_failures: int = 50,
        window: timedelta = timedelta(minutes=15),
        base_lockout: timedelta = timedelta(seconds=30),
        max_lockout: timedelta = timedelta(minutes=15),
        max_keys: int = 100_000,
    ) -> None:
        self._clock = clock
        self._limits = _Limits(max_failures, peer_max_failures)
        self._window = window
        self._base = base_lockout
        self._max = max_lockout
        self._max_keys = max_keys
        self._records: OrderedDict[str, _Record] = OrderedDict()
        self._lock = threading.Lock()

    def retry_after(self, *keys: str) -> float:
        """Seconds the caller must wait before another attempt (0 if none)."""
        now = self._clock.now()
        wait = 0.0
        with self._lock:
            for key in keys:
                rec = self._records.get(key)
                if rec and rec.locked_until and rec.locked_until > now:
                    wait = max(wait, (rec.locked_until - now).total_seconds())
        return wait

    def failure(self, *keys: str) -> None:
        now = self._clock.now()
        with self._lock:
            for key in keys:
                rec = self._records.get(key)
                if rec is None or now - rec.first_failure > self._window:
                    rec = _Record(0, now, None)
                rec.failures += 1
                lockout = lockout_seconds(
                    rec.failures,
                    self._limits.of(key),
                    self._base.total_seconds(),
                    self._max.total_seconds(),
                )
                if lockout > 0:
                    rec.locked_until = now + timedelta(seconds=lockout)
                self._records[key] = rec
                self._records.move_to_end(key)
            while len(self._records) > self._max_keys:  # bounded memory under a flood
                self._records.popitem(last=False)

    def success(self, *keys: str) -> None:
        with self._lock:
            for key in keys:
                self._records.pop(key, None)


class RedisLoginThrottle:
    """The same policy with the counts in Redis, shared by every replica.

    Keys hold an email or a peer address (no secret) under a prefix, and expire on
    their own, so Redis memory stays bounded under a flood.
    """

    def __init__(
        self,
        url: str,
        clock: Clock,
        *,
        max_failures: int = 5,
        peer_max_failures: int = 50,
        window: timedelta = timedelta(minutes=15),
        base_lockout: timedelta = timedelta(seconds=30),
        max_lockout: timedelta = timedelta(minutes=15),
        prefix: str = "carenotes:login",
    ) -> None:
        self._redis = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self._limits = _Limits(max_failures, peer_max_failures)
        # While Redis is unreachable, logins are throttled per process instead of
        # failing: the service stays usable and an attacker still meets a limit.
        self._fallback = LoginThrottle(
            clock,
            max_failures=max_failures,
            peer_max_failures=peer_max_failures,
            window=window,
            base_lockout=base_lockout,
            max_lockout=max_lockout,
        )
        self._window_ms = int(window.total_seconds() * 1000)
        self._base = base_lockout.total_seconds()
        self._cap = max_lockout.total_seconds()
        self._prefix = prefix

    def _failures_key(self, key: str) -> str:
        return f"{self._prefix}:failures:{key}"

    def _lock_key(self, key: str) -> str:
        return f"{self._prefix}:locked:{key}"

    def retry_after(self, *keys: str) -> float:
        try:
            return self._shared_retry_after(*keys)
        except (redis.RedisError, OSError):
            log.warning("login throttle: Redis unreachable; throttling in this process")
            return self._fallback.retry_after(*keys)

    def failure(self, *keys: str) -> None:
        self._fallback.failure(*keys)  # also counted locally, for when Redis goes away
        try:
            self._shared_failure(*keys)
        except (redis.RedisError, OSError):
            log.warning("login throttle: Redis unreachable; throttling in this process")

    def success(self, *keys: str) -> None:
        self._fallback.success(*keys)
        try:
            self._redis.delete(
                *(k for key in keys for k in (self._failures_key(key), self._lock_key(key)))
            )
        except (redis.RedisError, OSError):
            log.warning("login throttle: Redis unreachable; throttling in this process")

    def _shared_retry_after(self, *keys: str) -> float:
        pipe = self._redis.pipeline()
        for key in keys:
            pipe.pttl(self._lock_key(key))
        waits = [int(ms) for ms in pipe.execute()]
        return max([w / 1000 for w in waits if w > 0], default=0.0)

    def _shared_failure(self, *keys: str) -> None:
        pipe = self._redis.pipeline()
        for key in keys:
            pipe.incr(self._failures_key(key))
            pipe.pexpire(self._failures_key(key), self._window_ms, nx=True)
        counts = pipe.execute()[0::2]
        pipe = self._redis.pipeline()
        for key, count in zip(keys, counts, strict=True):
            lockout = lockout_seconds(int(count), self._limits.of(key), self._base, self._cap)
            if lockout > 0:
                pipe.set(self._lock_key(key), 1, px=int(lockout * 1000))
        pipe.execute()
