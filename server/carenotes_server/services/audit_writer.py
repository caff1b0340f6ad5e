"""Group commit for audit rows written from the event loop.

A live reminder stream must audit every reminder it discloses before it sends it, and
one reminder may go to thousands of streams at once. One transaction per row would put
thousands of tiny commits on the database pool; instead each stream awaits `record`,
which queues the row, and one flusher commits every queued row in a single transaction
(one executemany) and then wakes all their callers. A caller proceeds only once its row
is durable, so nothing is disclosed unaudited; a failed commit fails every caller of
that batch.
"""

from __future__ import annotations

import asyncio

from carenotes_server.db.database import Database
from carenotes_server.services import audit

MAX_BATCH = 1000
# Rows queued within this much of each other share a commit; it bounds the added delay.
GATHER_SECONDS = 0.002


class AuditWriter:
    def __init__(self, db: Database, *, max_batch: int = MAX_BATCH) -> None:
        self._db = db
        self._max_batch = max_batch
        self._queue: list[tuple[list[dict[str, object]], asyncio.Future[None]]] = []
        self._flusher: asyncio.Task[None] | None = None

    async def record(self, row: dict[str, object]) -> None:
        """Returns once the row is committed."""
        await self.record_many([row])

    async def record_many(self, rows: list[dict[str, object]]) -> None:
        """Returns once every row is committed (all in the same transaction)."""
        if not rows:
            return
        loop = asyncio.get_running_loop()
        done: asyncio.Future[None] = loop.create_future()
        # A caller cancelled meanwhile (a stream closed) must not leave an unread error.
        done.add_done_callback(lambda f: f.cancelled() or f.exception())
        self._queue.append((rows, done))
        if self._flusher is None or self._flusher.done():
            self._flusher = loop.create_task(self._flush())
        await asyncio.shield(done)

    def _take_batch(self) -> list[tuple[list[dict[str, object]], asyncio.Future[None]]]:
        batch: list[tuple[list[dict[str, object]], asyncio.Future[None]]] = []
        size = 0
        while self._queue and (not batch or size + len(self._queue[0][0]) <= self._max_batch):
            rows, future = self._queue.pop(0)
            batch.append((rows, future))
            size += len(rows)
        return batch

    async def _flush(self) -> None:
        while self._queue:
            await asyncio.sleep(GATHER_SECONDS)
            batch = self._take_batch()
            try:
                await self._db.run(self._commit, [row for rows, _ in batch for row in rows])
            except Exception as exc:  # noqa: BLE001 - handed to every waiting caller
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for _, future in batch:
                if not future.done():
                    future.set_result(None)

    def _commit(self, rows: list[dict[str, object]]) -> None:
        with self._db.write() as session:
            audit.record_many(session, rows)
