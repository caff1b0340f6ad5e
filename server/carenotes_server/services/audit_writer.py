"""Group commit for audit rows written from the event loop.

Every audited read must have its row durable before the answer leaves, and one
reminder may go to thousands of streams at once. One transaction per row would put a
commit (an fsync on SQLite, a WAL flush on PostgreSQL) on every call and, on SQLite,
make every read queue for the single write connection. Instead each caller awaits
`record`, which queues the row, and one flusher commits every queued row in a single
transaction (one executemany) and then wakes all their callers. A caller proceeds only
once its row is durable, so nothing is disclosed unaudited; a failed commit fails every
caller of that batch.

Batches form by themselves: while one commit runs, the rows of the calls arriving
meanwhile queue for the next, so there is no added delay when the server is idle and
many rows per commit when it is busy. All writers of one Database share one queue (and
its commits), however many services hold an AuditWriter.
"""

from __future__ import annotations

import asyncio
import functools
import weakref
from collections import deque

from carenotes_server import metrics
from carenotes_server.db.database import Database
from carenotes_server.services import audit

MAX_BATCH = 1000

_Pending = tuple[list[dict[str, object]], asyncio.Future[None]]


class GroupCommit:
    """The queue and flusher of one Database's audit rows."""

    def __init__(self, db: Database, *, max_batch: int = MAX_BATCH) -> None:
        self._db = db
        self._max_batch = max_batch
        self._queue: deque[_Pending] = deque()
        self._flusher: asyncio.Task[None] | None = None

    async def submit(self, rows: list[dict[str, object]]) -> None:
        if not rows:
            return
        loop = asyncio.get_running_loop()
        done: asyncio.Future[None] = loop.create_future()
        # A caller cancelled meanwhile (a stream closed) must not leave an unread error.
        done.add_done_callback(lambda f: f.cancelled() or f.exception())
        self._queue.append((rows, done))
        if self._flusher is None or self._flusher.done():
            self._flusher = loop.create_task(self._flush())
        # No shield needed: cancelling the caller cancels only `done`; its row stays in
        # the queue and is committed with its batch (what was read is audited anyway).
        await done

    def _take_batch(self) -> list[_Pending]:
        batch: list[_Pending] = []
        size = 0
        while self._queue and (not batch or size + len(self._queue[0][0]) <= self._max_batch):
            pending = self._queue.popleft()
            batch.append(pending)
            size += len(pending[0])
        return batch

    async def _flush(self) -> None:
        # One turn of the loop first: the other calls made ready by the same event (one
        # fan-out, a burst of requests) queue their rows into the first commit too.
        await asyncio.sleep(0)
        while self._queue:
            batch = self._take_batch()
            rows = [row for rows, _ in batch for row in rows]
            try:
                await self._db.run_commit(self._commit, rows)
            except Exception as exc:  # noqa: BLE001 - handed to every waiting caller
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            metrics.safely(functools.partial(metrics.AUDIT_BATCH_ROWS.observe, len(rows)))
            for _, future in batch:
                if not future.done():
                    future.set_result(None)

    def _commit(self, rows: list[dict[str, object]]) -> None:
        # Synced: the batch's callers are answered as soon as it returns, so their rows
        # must survive power loss; one fsync per batch, not per row.
        with self._db.write_connection(synced=True) as connection:
            audit.record_many(connection, rows)


_shared: weakref.WeakKeyDictionary[Database, GroupCommit] = weakref.WeakKeyDictionary()


def group_commit(db: Database) -> GroupCommit:
    """The one GroupCommit of db."""
    found = _shared.get(db)
    if found is None:
        found = _shared[db] = GroupCommit(db)
    return found


class AuditWriter:
    """Durable audit rows from async code, sharing commits with every other caller."""

    def __init__(self, db: Database) -> None:
        self._group = group_commit(db)

    async def record(self, row: dict[str, object]) -> None:
        """Returns once the row is committed."""
        await self._group.submit([row])

    async def record_many(self, rows: list[dict[str, object]]) -> None:
        """Returns once every row is committed (all in the same transaction)."""
        await self._group.submit(rows)
