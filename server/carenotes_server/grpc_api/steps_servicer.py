"""StepsService: steps, reminders and the live reminder feed."""

from __future__ import annotations

import asyncio
import functools
import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any, Literal, Protocol

import grpc

from carenotes.v1 import steps_pb2, steps_pb2_grpc
from carenotes_server.clock import Clock, SystemClock
from carenotes_server.db.database import Database
from carenotes_server.domain.errors import (
    FieldViolation,
    InvalidArgument,
    NotFound,
    Unauthenticated,
    Unavailable,
)
from carenotes_server.feed import ReminderFeed, Signal, StreamOverflow
from carenotes_server.grpc_api import convert
from carenotes_server.grpc_api.errors import stream_guard, unary_guard
from carenotes_server.grpc_api.interceptor import current_caller
from carenotes_server.services import audit
from carenotes_server.services.audit_writer import AuditWriter
from carenotes_server.services.caller import Caller
from carenotes_server.services.reminders import Reminders
from carenotes_server.services.reminders.views import ReminderView
from carenotes_server.services.steps.wiring import Steps

Context = grpc.aio.ServicerContext[Any, Any]


class SessionChecks(Protocol):
    def cached_session_is_live(self, caller: Caller) -> bool | None: ...

    def session_is_live(self, caller: Caller) -> bool: ...


@functools.lru_cache(maxsize=4096)
def _render(view: ReminderView) -> steps_pb2.Reminder:
    """One protobuf message per fired reminder, however many streams it goes to (the hub
    hands the same view to all of them)."""
    return convert.reminder(view)


class StepsServicer(steps_pb2_grpc.StepsServiceServicer):
    def __init__(
        self,
        db: Database,
        steps: Steps,
        reminders: Reminders,
        feed: ReminderFeed,
        sessions: SessionChecks | None = None,
        audit_writer: AuditWriter | None = None,
        clock: Clock | None = None,
    ) -> None:
        self._db = db
        self._clock = clock or SystemClock()
        self._audit = audit_writer or AuditWriter(db)
        self._steps = steps
        self._reminders = reminders
        self._feed = feed
        self._sessions = sessions
        # One database check per session at a time, however many streams are waiting.
        self._checks: dict[uuid.UUID, asyncio.Future[bool]] = {}

    @unary_guard
    async def GetActionableSteps(
        self, request: steps_pb2.GetActionableStepsRequest, context: Context
    ) -> steps_pb2.ActionableSteps:
        return convert.steps(await self._steps.reader.get(current_caller(), request.patient_id))

    @unary_guard
    async def CompleteChecklistItem(
        self, request: steps_pb2.CompleteChecklistItemRequest, context: Context
    ) -> steps_pb2.ChecklistItem:
        item = await self._steps.reader.complete_item(current_caller(), request.item_id)
        return convert.checklist_item(item)

    @unary_guard
    async def PreviewActionableSteps(
        self, request: steps_pb2.PreviewActionableStepsRequest, context: Context
    ) -> steps_pb2.ActionableSteps:
        return convert.steps(
            await self._steps.preview.preview(current_caller(), request.note, request.patient_id)
        )

    @unary_guard
    async def AcknowledgeReminder(
        self, request: steps_pb2.AcknowledgeReminderRequest, context: Context
    ) -> steps_pb2.Reminder:
        if request.acknowledgement not in (
            steps_pb2.ACKNOWLEDGEMENT_TAKEN,
            steps_pb2.ACKNOWLEDGEMENT_SKIPPED,
        ):
            raise InvalidArgument(FieldViolation("acknowledgement", "must be TAKEN or SKIPPED"))
        view = await self._reminders.history.acknowledge(
            current_caller(),
            request.reminder_id,
            taken=request.acknowledgement == steps_pb2.ACKNOWLEDGEMENT_TAKEN,
        )
        return convert.reminder(view)

    @unary_guard
    async def GetAdherence(
        self, request: steps_pb2.GetAdherenceRequest, context: Context
    ) -> steps_pb2.Adherence:
        return convert.adherence(
            await self._reminders.history.adherence(current_caller(), request.patient_id)
        )

    @unary_guard
    async def ListReminders(
        self, request: steps_pb2.ListRemindersRequest, context: Context
    ) -> steps_pb2.ListRemindersResponse:
        statuses = []
        for i, s in enumerate(request.status):
            if s not in convert.REMINDER_STATUS_FROM_PROTO:
                raise InvalidArgument(FieldViolation(f"status[{i}]", "is not a reminder status"))
            statuses.append(convert.REMINDER_STATUS_FROM_PROTO[s])
        views, token = await self._reminders.history.list(
            current_caller(),
            patient_id=request.patient_id,
            start=_instant(request, "from"),
            end=_instant(request, "to"),
            statuses=statuses,
            page_size=request.page_size,
            page_token=request.page_token,
        )
        return steps_pb2.ListRemindersResponse(
            reminders=[convert.reminder(v) for v in views], next_page_token=token
        )

    @unary_guard
    async def ExportCalendar(
        self, request: steps_pb2.ExportCalendarRequest, context: Context
    ) -> steps_pb2.ExportCalendarResponse:
        return steps_pb2.ExportCalendarResponse(
            ics=await self._reminders.history.calendar(current_caller())
        )

    async def _session_is_live(self, caller: Caller) -> bool:
        if self._sessions is None:
            return True
        cached = self._sessions.cached_session_is_live(caller)
        if cached is not None:
            return cached
        pending = self._checks.get(caller.session_id)
        if pending is None:
            pending = asyncio.ensure_future(self._db.run(self._sessions.session_is_live, caller))
            self._checks[caller.session_id] = pending
            pending.add_done_callback(lambda _: self._checks.pop(caller.session_id, None))
        return await asyncio.shield(pending)

    async def _admitted(self, caller: Caller, view: ReminderView) -> steps_pb2.Reminder:
        # The session was checked when the stream opened; one that ended since (and was
        # not announced, e.g. a user deleted behind the API) must not get another reminder.
        if not await self._session_is_live(caller):
            raise Unauthenticated("session ended; log in again")
        # Each reminder shown to a device is a disclosure: audited before it leaves.
        await self._audit.record(_delivery_row(self._clock.now(), caller, view, "live"))
        return _render(view)

    async def _replayed(
        self, caller: Caller, views: list[ReminderView]
    ) -> list[steps_pb2.Reminder]:
        """A replay batch, audited in one commit before any of it is sent."""
        if not views:
            return []
        if not await self._session_is_live(caller):
            raise Unauthenticated("session ended; log in again")
        await self._audit.record_many(
            [_delivery_row(self._clock.now(), caller, v, "replay") for v in views]
        )
        return [_render(v) for v in views]

    async def _cursor(self, caller: Caller, after_id: str) -> int:
        try:
            return await self._db.run(self._reminders.replay.cursor_seq, caller.user_id, after_id)
        except NotFound:
            # A cursor of another patient's reminder: refused, and audited as probing.
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

    @stream_guard
    async def StreamReminders(
        self, request: steps_pb2.StreamRemindersRequest, context: Context
    ) -> AsyncIterator[steps_pb2.Reminder]:
        caller = current_caller()
        patient_id = caller.user_id
        last = await self._cursor(caller, request.after_id)
        await self._audit.record(
            audit.row(
                at=self._clock.now(),
                caller=caller,
                action="reminders.stream",
                resource_type="stream",
                resource_id=request.after_id[:64] or None,
                patient_id=patient_id,
            )
        )
        # Subscribe before replaying: whatever fires in between arrives on the queue
        # and is dropped by its delivery number if the replay already had it.
        async with self._feed.subscribe(patient_id, caller.session_id) as subscription:
            replay = await self._db.run(self._reminders.replay.sent_after, patient_id, last)
            for message in await self._replayed(caller, replay):
                yield message
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
                    raise Unauthenticated("session ended; log in again")
                live = None if item is Signal.RESYNC else item
                if live is not None and _seq(live) <= last:
                    continue
                if live is None or _seq(live) > last + 1:
                    # Catch up from the database: announcements from different workers
                    # can overtake each other, and some may be lost while Redis is away.
                    upto = None if live is None else _seq(live) - 1
                    missed = await self._db.run(
                        self._reminders.replay.sent_after, patient_id, last, upto
                    )
                    for message in await self._replayed(caller, missed):
                        yield message
                    if missed:
                        last = _seq(missed[-1])
                if live is not None:
                    yield await self._admitted(caller, live)
                    last = _seq(live)


def _instant(
    request: steps_pb2.ListRemindersRequest, name: Literal["from", "to"]
) -> datetime | None:
    """A Timestamp field as a datetime; INVALID_ARGUMENT when out of Timestamp's range
    (years 1 to 9999, nanos 0 to 999,999,999) instead of an internal error."""
    if not request.HasField(name):
        return None
    try:
        return convert.from_ts(getattr(request, name))
    except (ValueError, OverflowError):
        raise InvalidArgument(FieldViolation(name, "is not a valid timestamp")) from None


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
