"""Login throttling: repeated failures per account and per peer slow the attacker down.

Failures are counted in a sliding window; past the limit the key is locked out for a
delay that doubles with each further failure (capped). Process-local: each replica
throttles on its own, which bounds an attacker to replicas x limit attempts per window.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta

from carenotes_server.clock import Clock


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
        window: timedelta = timedelta(minutes=15),
        base_lockout: timedelta = timedelta(seconds=30),
        max_lockout: timedelta = timedelta(minutes=15),
        max_keys: int = 100_000,
    ) -> None:
        self._clock = clock
        self._max_failures = max_failures
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
                if rec.failures >= self._max_failures:
                    over = rec.failures - self._max_failures
                    lockout = min(self._base * (2**over), self._max)
                    rec.locked_until = now + lockout
                self._records[key] = rec
                self._records.move_to_end(key)
            while len(self._records) > self._max_keys:  # bounded memory under a flood
                self._records.popitem(last=False)

    def success(self, *keys: str) -> None:
        with self._lock:
            for key in keys:
                self._records.pop(key, None)
