"""Fan-out of fired reminders to the open StreamReminders calls of this process.

A fired reminder is announced by ids only (patient, reminder, delivery number). The
hub loads it from the database ONCE, checks it is still SENT (a reminder cancelled
after it fired is never pushed), and hands the same view to every stream of that
patient. Streams are coroutines waiting on bounded queues: an idle stream costs no CPU,
and a stream that cannot keep up is closed (the client resumes from its cursor).

Across replicas, workers publish the announcement on one Redis channel and every
server process relays it into its own hub; embedded, the worker threads call the hub.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import redis

from carenotes_server.domain.reminder_state import ReminderState
from carenotes_server.services.reminders import ReminderView

log = logging.getLogger(__name__)

CHANNEL = "carenotes:reminders:fired"
_CLOSED = None


@dataclass(frozen=True)
class Announcement:
    patient_id: uuid.UUID
    reminder_id: uuid.UUID
    delivery_seq: int

    def encode(self) -> str:
        return f"{self.patient_id} {self.reminder_id} {self.delivery_seq}"

    @classmethod
    def decode(cls, raw: str | bytes) -> Announcement:
        text = raw.decode() if isinstance(raw, bytes) else raw
        patient, reminder, seq = text.split()
        return cls(uuid.UUID(patient), uuid.UUID(reminder), int(seq))


class StreamOverflow(Exception):
    """The stream's queue filled up; the client should reconnect with its cursor."""


class Subscription:
    def __init__(self, queue_size: int) -> None:
        self.queue: asyncio.Queue[ReminderView | None] = asyncio.Queue(queue_size)
        self.overflowed = False

    async def next(self) -> ReminderView | None:
        """The next reminder, or None when the feed closes (server shutdown)."""
        item = await self.queue.get()
        if item is None and self.overflowed:
            raise StreamOverflow("stream fell behind")
        return item


LoadReminder = Callable[[uuid.UUID], Awaitable[ReminderView | None]]


class ReminderFeed:
    def __init__(self, load: LoadReminder, *, queue_size: int = 256) -> None:
        self._load = load
        self._queue_size = queue_size
        self._subscribers: dict[uuid.UUID, set[Subscription]] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._closed = False

    def attach(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop

    @property
    def stream_count(self) -> int:
        return sum(len(s) for s in self._subscribers.values())

    @contextlib.asynccontextmanager
    async def subscribe(self, patient_id: uuid.UUID) -> AsyncIterator[Subscription]:
        sub = Subscription(self._queue_size)
        if self._closed:
            sub.queue.put_nowait(_CLOSED)
        self._subscribers.setdefault(patient_id, set()).add(sub)
        try:
            yield sub
        finally:
            subs = self._subscribers.get(patient_id)
            if subs is not None:
                subs.discard(sub)
                if not subs:
                    del self._subscribers[patient_id]

    def announce_threadsafe(self, announcement: Announcement) -> None:
        """Called from worker threads (embedded mode) after the delivery committed."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        loop.call_soon_threadsafe(self._spawn, announcement)

    def _spawn(self, announcement: Announcement) -> None:
        task = asyncio.get_running_loop().create_task(self.announce(announcement))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def announce(self, announcement: Announcement) -> None:
        if announcement.patient_id not in self._subscribers:
            return  # nobody listening here: the reminder is replayed on their next connect
        view = await self._load(announcement.reminder_id)
        if view is None or view.status is not ReminderState.SENT:
            return
        for sub in list(self._subscribers.get(announcement.patient_id, ())):
            try:
                sub.queue.put_nowait(view)
            except asyncio.QueueFull:
                sub.overflowed = True
                _drain_and_close(sub)

    def close(self) -> None:
        """Ends every stream cleanly (server shutdown)."""
        self._closed = True
        for subs in self._subscribers.values():
            for sub in subs:
                _drain_and_close(sub, overflowed=False)


def _drain_and_close(sub: Subscription, *, overflowed: bool = True) -> None:
    if not overflowed:
        with contextlib.suppress(asyncio.QueueFull):
            sub.queue.put_nowait(_CLOSED)
            return
    while not sub.queue.empty():
        sub.queue.get_nowait()
    sub.queue.put_nowait(_CLOSED)


class RedisAnnouncer:
    """Worker side: publishes announcements for every server replica to relay."""

    def __init__(self, url: str) -> None:
        self._client = redis.Redis.from_url(url)

    def __call__(self, announcement: Announcement) -> None:
        self._client.publish(CHANNEL, announcement.encode())


async def handle_announcement(feed: ReminderFeed, raw: bytes) -> None:
    """Redis relay handler: one fired-reminder announcement into this process's hub."""
    await feed.announce(Announcement.decode(raw))
