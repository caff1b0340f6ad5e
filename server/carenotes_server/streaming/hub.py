"""The hub: fan-out of fired reminders to the open reminder streams of this process.

A fired reminder is announced by ids only (patient, reminder, delivery number). The
hub loads it from the database ONCE, checks it is still SENT (a reminder cancelled
after it fired is never pushed), and hands the same view to every stream of that
patient. Streams are coroutines waiting on bounded queues: an idle stream costs no CPU,
and a stream that cannot keep up is closed (the client resumes from its cursor).
Besides reminders, a stream's queue carries signals: shutdown, revocation, resync.

Across replicas, workers publish the announcement on one Redis channel and every
server process relays it into its own hub (relay.py); embedded, the worker threads call
the hub directly.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from enum import Enum, auto

from carenotes_server.domain.reminder_state import ReminderState
from carenotes_server.services.reminders.views import ReminderView
from carenotes_server.streaming.batching import Gathered

log = logging.getLogger(__name__)


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


class Signal(Enum):
    """What a stream may receive besides a reminder."""

    CLOSED = auto()  # server shutting down: end cleanly, the client resumes
    RESYNC = auto()  # announcements may have been lost: catch up from the database
    REVOKED = auto()  # the stream's session ended (logout, password change)


class Subscription:
    def __init__(self, patient_id: uuid.UUID, session_id: uuid.UUID, queue_size: int) -> None:
        self.patient_id = patient_id
        self.session_id = session_id
        self.queue: asyncio.Queue[ReminderView | Signal] = asyncio.Queue(queue_size)
        self.overflowed = False

    async def next(self) -> ReminderView | Signal:
        item = await self.queue.get()
        if item is Signal.CLOSED and self.overflowed:
            raise StreamOverflow("stream fell behind")
        return item

    def signal(self, signal: Signal) -> None:
        """Queues a signal; a full queue is drained first (the signal matters more)."""
        try:
            self.queue.put_nowait(signal)
        except asyncio.QueueFull:
            while not self.queue.empty():
                self.queue.get_nowait()
            self.queue.put_nowait(signal)


LoadReminder = Callable[[uuid.UUID], Awaitable[ReminderView | None]]
LoadReminders = Callable[[list[uuid.UUID]], Awaitable[dict[uuid.UUID, ReminderView | None]]]


class ReminderFeed:
    """This process's hub: the subscriptions, the fan-out to them, their signals."""

    def __init__(
        self,
        load: LoadReminder,
        *,
        queue_size: int = 256,
        load_many: LoadReminders | None = None,
    ) -> None:
        # With a bulk loader, the reminders announced within a few milliseconds of each
        # other (a morning peak) are read in one query instead of one each.
        self._load = load
        if load_many is not None:
            views: Gathered[uuid.UUID, ReminderView | None] = Gathered(load_many, None)
            self._load = views.get
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

    def _all(self) -> list[Subscription]:
        return [sub for subs in self._subscribers.values() for sub in subs]

    @contextlib.asynccontextmanager
    async def subscribe(
        self, patient_id: uuid.UUID, session_id: uuid.UUID
    ) -> AsyncIterator[Subscription]:
        sub = Subscription(patient_id, session_id, self._queue_size)
        if self._closed:
            sub.signal(Signal.CLOSED)
        self._subscribers.setdefault(patient_id, set()).add(sub)
        try:
            yield sub
        finally:
            subs = self._subscribers.get(patient_id)
            if subs is not None:
                subs.discard(sub)
                if not subs:
                    del self._subscribers[patient_id]

    def _call_in_loop(self, fn: Callable[[], object]) -> None:
        loop = self._loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(fn)

    def announce_many_threadsafe(self, announcements: list[Announcement]) -> None:
        """Called from worker threads (embedded mode) after a batch's delivery committed."""

        def announce_all() -> None:
            for announcement in announcements:
                self.announce_soon(announcement)

        self._call_in_loop(announce_all)

    def announce_soon(self, announcement: Announcement) -> None:
        """Announces without waiting (on the loop): the relay keeps reading, and the
        announcements of a burst are loaded together (see load_many)."""
        task = asyncio.get_running_loop().create_task(self._announce_or_resync(announcement))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _announce_or_resync(self, announcement: Announcement) -> None:
        try:
            await self.announce(announcement)
        except Exception:  # noqa: BLE001 - the database decides: catch up from it later
            log.warning("could not load an announced reminder; its streams will catch up")
            for sub in list(self._subscribers.get(announcement.patient_id, ())):
                sub.signal(Signal.RESYNC)

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
                sub.signal(Signal.CLOSED)

    def revoke(self, session_id: uuid.UUID | None, user_id: uuid.UUID | None) -> None:
        """Ends, at once, the streams of an ended session or of every session of a user."""
        for sub in self._all():
            if sub.session_id == session_id or (user_id is not None and sub.patient_id == user_id):
                sub.signal(Signal.REVOKED)

    def revoke_threadsafe(self, session_id: uuid.UUID | None, user_id: uuid.UUID | None) -> None:
        self._call_in_loop(lambda: self.revoke(session_id, user_id))

    def resync(self) -> None:
        """After a gap in announcements (pub/sub reconnected), every stream catches up."""
        for sub in self._all():
            sub.signal(Signal.RESYNC)

    def close(self) -> None:
        """Ends every stream cleanly (server shutdown)."""
        self._closed = True
        for sub in self._all():
            sub.signal(Signal.CLOSED)
