"""Password hashing: argon2id at OWASP's parameters, off the event loop, bounded."""

from __future__ import annotations

import asyncio
import os
import threading

from carenotes_server.domain.errors import ResourceExhausted
from carenotes_server.services.hashing import HASH_THREAD_NICENESS, PasswordHasher


async def test_hashes_are_argon2id_with_owasp_parameters() -> None:
    hasher = PasswordHasher(concurrency=1, queue_limit=4)
    hashed = await hasher.hash("a long enough passphrase")
    assert hashed.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert await hasher.verify("a long enough passphrase", hashed)
    assert not await hasher.verify("a long enough passphrasE", hashed)
    assert not await hasher.verify("anything", None)  # unknown user: dummy hash, False
    hasher.shutdown()


async def test_hashing_runs_on_low_priority_threads() -> None:
    hasher = PasswordHasher(concurrency=1, queue_limit=4)
    seen: list[int] = []

    def probe() -> str:
        seen.append(os.getpriority(os.PRIO_PROCESS, threading.get_native_id()))
        return "x"

    await asyncio.get_running_loop().run_in_executor(hasher._executor, probe)
    assert seen == [HASH_THREAD_NICENESS]
    hasher.shutdown()


async def test_a_flood_beyond_the_queue_is_refused_not_queued() -> None:
    hasher = PasswordHasher(concurrency=1, queue_limit=2)
    calls = [asyncio.ensure_future(hasher.hash("passphrase number one")) for _ in range(10)]
    results = await asyncio.gather(*calls, return_exceptions=True)
    refused = [r for r in results if isinstance(r, ResourceExhausted)]
    assert len(refused) == 7  # 1 running + 2 waiting; the rest answered at once
    assert all(r.retry_after_seconds > 0 for r in refused)
    hasher.shutdown()
