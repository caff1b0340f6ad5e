"""One database read for many waiting streams.

At a morning peak thousands of reminders are announced within a second, and each
stream that receives one re-checks its session: one query per reminder would queue
thousands of round trips on the database pool. A `Gathered` lookup collects the keys
asked for within a couple of milliseconds and answers them all with one call of its
bulk loader; each caller gets its own key's answer (or the default when the loader
returned none). A failed load fails every caller of that batch.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable, Callable, Hashable, Iterable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

# Keys asked for within this much of each other share a read; it bounds the delay.
GATHER_SECONDS = 0.002
MAX_KEYS = 500


class Gathered(Generic[K, V]):
    def __init__(
        self,
        load_many: Callable[[list[K]], Awaitable[dict[K, V]]],
        default: V,
        *,
        max_keys: int = MAX_KEYS,
    ) -> None:
        self._load_many = load_many
        self._default = default
        self._max_keys = max_keys
        self._waiting: dict[K, asyncio.Future[V]] = {}
        self._flusher: asyncio.Task[None] | None = None

    async def get(self, key: K) -> V:
        future = self._waiting.get(key)
        if future is None:
            future = asyncio.get_running_loop().create_future()
            # A caller gone meanwhile (a stream closed) must not leave an unread error.
            future.add_done_callback(lambda f: f.cancelled() or f.exception())
            self._waiting[key] = future
            if self._flusher is None or self._flusher.done():
                self._flusher = asyncio.get_running_loop().create_task(self._flush())
        # Shielded: one stream going away must not cancel the read the others wait for.
        return await asyncio.shield(future)

    async def _flush(self) -> None:
        while self._waiting:
            await asyncio.sleep(GATHER_SECONDS)
            keys = list(itertools.islice(self._waiting, self._max_keys))
            futures = [self._waiting.pop(k) for k in keys]
            try:
                found = await self._load_many(keys)
            except Exception as exc:  # noqa: BLE001 - handed to every waiting caller
                _settle(futures, exc)
                continue
            for key, future in zip(keys, futures, strict=True):
                if not future.done():
                    future.set_result(found.get(key, self._default))


def _settle(futures: Iterable[asyncio.Future[V]], exc: Exception) -> None:
    for future in futures:
        if not future.done():
            future.set_exception(exc)
