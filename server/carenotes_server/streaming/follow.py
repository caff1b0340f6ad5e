"""Following one patient's reminders: the whole StreamReminders protocol as one async
generator of reminder views, which the servicer only iterates and converts.

1. Cursor: the client's `after_id` (the last reminder it received) becomes a delivery
   number. Another patient's reminder id is refused (NOT_FOUND) and audited as probing.
2. Replay: subscribe to the hub first, then read the SENT reminders after the cursor.
   A reminder that fires in between reaches the queue as well and is dropped there by
   its delivery number; reading first and subscribing second would lose it.
3. Live: each reminder the hub queues, in delivery order. A number already sent is
   dropped; a number that skips ahead (announcements of different workers overtake
   each other, or one was lost while Redis was away) and a RESYNC signal are caught
   up from the database first, so the stream stays complete and in order.
4. Before any reminder leaves, the session is checked again (one ended behind the
   API's back gets nothing more) and the reminder is audited as a disclosure. REVOKED
   ends the stream with UNAUTHENTICATED, an overflow with UNAVAILABLE, shutdown
   cleanly: in each case the client resumes from its cursor.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncGenerator
from datetime import datetime
from typing import Protocol

from carenotes_server.clock import Clock
from carenotes_server.db.database import Database
from carenotes_server.domain.errors import NotFound, Unauthenticated, Unavailable
from carenotes_server.services import audit
from carenotes_server.services.audit_writer import AuditWriter
from carenotes_server.services.caller import Caller
from carenotes_server.services.reminders.replay import ReminderReplay
from carenotes_server.services.reminders.views import ReminderView
from carenotes_server.streaming.hub import ReminderFeed, Signal, StreamOverflow
from carenotes_server.streaming.reads import SessionChecks, StreamReads

SESSION_ENDED = "session ended; log in again"


class FollowReads(Protocol):
    async def cursor_seq(self, patient_id: uuid.UUID, after_id: str) -> int: ...

    async def sent_after(
        self, patient_id: uuid.UUID, after_seq: int, upto_seq: int | None = None
    ) -> list[ReminderView]: ...

    async def session_is_live(self, caller: Caller) -> bool: ...


class AuditSink(Protocol):
    async def record(self, row: dict[str, object]) -> None: ...

    async def record_many(self, rows: list[dict[str, object]]) -> None: ...


class ReminderFollower:
    def __init__(
        self, feed: ReminderFeed, reads: FollowReads, audit_sink: AuditSink, clock: Clock
    ) -> None:
        self._feed = feed
        self._reads = reads
        self._audit = audit_sink
        self._clock = clock

    async def follow(self, caller: Caller, after_id: str) -> AsyncGenerator[ReminderView, None]:
        """The caller's reminders after after_id, then live ones, until the stream ends.

        Raises NotFound (foreign cursor), InvalidArgument (malformed cursor),
        Unauthenticated (session ended) and Unavailable (the stream fell behind).
        """
        patient_id = caller.user_id
        last = await self._cursor(caller, after_id)
        await self._audit.record(
            audit.row(
                at=self._clock.now(),
                caller=caller,
                action="reminders.stream",
                resource_type="stream",
                resource_id=after_id[:64] or None,
                patient_id=patient_id,
            )
        )
        async with self._feed.subscribe(patient_id, caller.session_id) as subscription:
            replay = await self._reads.sent_after(patient_id, last)
            await self._disclose(caller, replay, "replay")
            for view in replay:
                yield view
            if replay:
                last = _seq(replay[-1])
            while True:
                try:
                    item = await subscription.next()
                except StreamOverflow:
                    raise Unavailable("the stream fell behind; reconnect to resume") from None
                if item is Signal.CLOSED:
                    return  # server shutting down: the client resumes from its cursor
                if item is Signal.REVOKED:
                    raise Unauthenticated(SESSION_ENDED)
                live = None if item is Signal.RESYNC else item
                if live is not None and _seq(live) <= last:
                    continue
                if live is None or _seq(live) > last + 1:
                    upto = None if live is None else _seq(live) - 1
                    missed = await self._reads.sent_after(patient_id, last, upto)
                    await self._disclose(caller, missed, "replay")
                    for view in missed:
                        yield view
                    if missed:
                        last = _seq(missed[-1])
                if live is not None:
                    await self._disclose(caller, [live], "live")
                    yield live
                    last = _seq(live)

    async def _disclose(self, caller: Caller, views: list[ReminderView], how: str) -> None:
        """Clears a batch to leave: the session still stands, and every reminder of it is
        audited (one commit) before any is sent, since each one shown is a disclosure."""
        if not views:
            return
        if not await self._reads.session_is_live(caller):
            raise Unauthenticated(SESSION_ENDED)
        await self._audit.record_many(
            [_delivery_row(self._clock.now(), caller, v, how) for v in views]
        )

    async def _cursor(self, caller: Caller, after_id: str) -> int:
        try:
            return await self._reads.cursor_seq(caller.user_id, after_id)
        except NotFound:
            await self._audit.record(
                audit.row(
                    at=self._clock.now(),
                    caller=caller,
                    action="reminders.stream",
                    resource_type="reminder",
                    resource_id=after_id[:64],
                    patient_id=caller.user_id,
                    outcome=audit.Outcome.DENIED,
                    reason="foreign_cursor",
                )
            )
            raise


def build_follower(
    db: Database,
    replay: ReminderReplay,
    feed: ReminderFeed,
    sessions: SessionChecks | None,
    clock: Clock,
) -> ReminderFollower:
    """The follower of a server process, over its database pool and its hub."""
    return ReminderFollower(feed, StreamReads(db, replay, sessions), AuditWriter(db), clock)


def _delivery_row(at: datetime, caller: Caller, view: ReminderView, how: str) -> dict[str, object]:
    return audit.row(
        at=at,
        caller=caller,
        action="reminder.delivered",
        resource_type="reminder",
        resource_id=view.id,
        patient_id=view.patient_id,
        reason=how,
    )


def _seq(view: ReminderView) -> int:
    assert view.delivery_seq is not None
    return view.delivery_seq
