"""Password hashing (argon2id via the passlib API) off the event loop, with bounded cost.

Each argon2id hash takes ~19 MiB and tens of milliseconds of CPU. Hashes run on a
small dedicated pool (argon2-cffi releases the GIL), and at most `queue_limit` more
wait for it: a login flood gets RESOURCE_EXHAUSTED instead of starving other RPCs or
growing memory without bound.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import threading
from concurrent.futures import ThreadPoolExecutor

from passlib.context import CryptContext

from carenotes_server.domain.errors import ResourceExhausted

# OWASP's minimum for argon2id: m=19456 KiB (19 MiB), t=2, p=1.
ARGON2_MEMORY_KIB = 19456
ARGON2_TIME_COST = 2
ARGON2_PARALLELISM = 1


def make_context() -> CryptContext:
    return CryptContext(
        schemes=["argon2"],
        argon2__type="ID",
        argon2__memory_cost=ARGON2_MEMORY_KIB,
        argon2__rounds=ARGON2_TIME_COST,
        argon2__parallelism=ARGON2_PARALLELISM,
    )


# Hashing threads run at a lower CPU priority (Linux nice, per thread): under a login
# flood the event loop and the database threads still get the CPU first, so other calls
# keep their latency; logins slow down instead (and are refused past the queue limit).
HASH_THREAD_NICENESS = 10


def _lower_thread_priority() -> None:
    # Not Linux, or not permitted: the thread simply runs at normal priority.
    with contextlib.suppress(AttributeError, OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), HASH_THREAD_NICENESS)


class PasswordHasher:
    def __init__(self, *, concurrency: int, queue_limit: int) -> None:
        self._context = make_context()
        self._executor = ThreadPoolExecutor(
            max_workers=concurrency,
            thread_name_prefix="argon2",
            initializer=_lower_thread_priority,
        )
        self._slots = concurrency + queue_limit
        self._in_use = 0
        # Verifying against this hash makes an unknown email cost as much as a wrong
        # password, so the answer time does not reveal which emails exist.
        self._dummy_hash = self._context.hash("carenotes-timing-equaliser-password")

    def ensure_capacity(self) -> None:
        """Raises RESOURCE_EXHAUSTED now if a hash could not even be queued: callers check
        before doing any other work, so a flood's surplus costs next to nothing."""
        if self._in_use >= self._slots:
            raise ResourceExhausted("the server is busy; retry shortly", retry_after_seconds=1.0)

    async def _run(self, fn: functools.partial[str] | functools.partial[bool]) -> object:
        self.ensure_capacity()
        self._in_use += 1
        try:
            return await asyncio.get_running_loop().run_in_executor(self._executor, fn)
        finally:
            self._in_use -= 1

    async def hash(self, password: str) -> str:
        result = await self._run(functools.partial(self._context.hash, password))
        assert isinstance(result, str)
        return result

    async def verify(self, password: str, password_hash: str | None) -> bool:
        """Constant-cost check; a missing hash (unknown user) verifies a dummy and fails."""
        target = password_hash or self._dummy_hash
        ok = await self._run(functools.partial(self._context.verify, password, target))
        return bool(ok) and password_hash is not None

    def shutdown(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
