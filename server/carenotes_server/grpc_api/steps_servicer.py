"""StepsService: steps, reminders and the live reminder feed."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import Any, Literal

import grpc

from carenotes.v1 import steps_pb2, steps_pb2_grpc
from carenotes_server.db.database import Database
from carenotes_server.domain.errors import (
    FieldViolation,
    InvalidArgument,
    Unauthenticated,
    Unavailable,
)
from carenotes_server.feed import ReminderFeed, StreamOverflow
from carenotes_server.grpc_api import convert
from carenotes_server.grpc_api.errors import stream_guard, unary_guard
from carenotes_server.grpc_api.interceptor import current_caller
from carenotes_server.services.caller import Caller
from carenotes_server.services.reminders import RemindersService, ReminderView
from carenotes_server.services.steps import StepsService

Context = grpc.aio.ServicerContext[Any, Any]


class StepsServicer(steps_pb2_grpc.StepsServiceServicer):
    def __init__(
        self,
        db: Database,
        steps: StepsService,
        reminders: RemindersService,
        feed: ReminderFeed,
        session_is_live: Callable[[Caller], bool] | None = None,
    ) -> None:
        self._db = db
        self._steps = steps
        self._reminders = reminders
        self._feed = feed
        self._session_is_live = session_is_live

    @unary_guard
    async def GetActionableSteps(
        self, request: steps_pb2.GetActionableStepsRequest, context: Context
    ) -> steps_pb2.ActionableSteps:
        return convert.steps(await self._steps.get(current_caller(), request.patient_id))

    @unary_guard
    async def CompleteChecklistItem(
        self, request: steps_pb2.CompleteChecklistItemRequest, context: Context
    ) -> steps_pb2.ChecklistItem:
        item = await self._steps.complete_item(current_caller(), request.item_id)
        return steps_pb2.ChecklistItem(
            id=str(item.id),
            text=item.text,
            done=item.done,
            completed_at=convert.ts(item.completed_at),
        )

    @unary_guard
    async def PreviewActionableSteps(
        self, request: steps_pb2.PreviewActionableStepsRequest, context: Context
    ) -> steps_pb2.ActionableSteps:
        return convert.steps(await self._steps.preview(current_caller(), request.note))

    @unary_guard
    async def AcknowledgeReminder(
        self, request: steps_pb2.AcknowledgeReminderRequest, context: Context
    ) -> steps_pb2.Reminder:
        if request.acknowledgement not in (
            steps_pb2.ACKNOWLEDGEMENT_TAKEN,
            steps_pb2.ACKNOWLEDGEMENT_SKIPPED,
        ):
            raise InvalidArgument(FieldViolation("acknowledgement", "must be TAKEN or SKIPPED"))
        view = await self._reminders.acknowledge(
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
            await self._reminders.adherence(current_caller(), request.patient_id)
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
        views, token = await self._reminders.list(
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
            ics=await self._reminders.calendar(current_caller())
        )

    @stream_guard
    async def StreamReminders(
        self, request: steps_pb2.StreamRemindersRequest, context: Context
    ) -> AsyncIterator[steps_pb2.Reminder]:
        caller = current_caller()
        patient_id = caller.user_id
        last = await self._db.run(self._reminders.cursor_seq, patient_id, request.after_id)

        async def admitted(view: ReminderView) -> steps_pb2.Reminder:
            # The session was checked when the stream opened; a logout or password
            # change since then must stop the feed before the next reminder leaves.
            if self._session_is_live is not None and not await self._db.run(
                self._session_is_live, caller
            ):
                raise Unauthenticated("session ended; log in again")
            return convert.reminder(view)

        # Subscribe before replaying: whatever fires in between arrives on the queue
        # and is dropped by its delivery number if the replay already had it.
        async with self._feed.subscribe(patient_id) as subscription:
            for view in await self._db.run(self._reminders.sent_after, patient_id, last):
                yield await admitted(view)
                last = _seq(view)
            while True:
                try:
                    live = await subscription.next()
                except StreamOverflow:
                    raise Unavailable("the stream fell behind; reconnect to resume") from None
                if live is None:
                    return  # server shutting down: the client resumes from its cursor
                seq = _seq(live)
                if seq <= last:
                    continue
                if seq > last + 1:
                    # Announcements from different workers can overtake each other; fill
                    # the gap from the database so order and completeness hold.
                    for view in await self._db.run(
                        self._reminders.sent_after, patient_id, last, seq - 1
                    ):
                        yield await admitted(view)
                        last = _seq(view)
                yield await admitted(live)
                last = seq


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


def _seq(view: ReminderView) -> int:
    assert view.delivery_seq is not None
    return view.delivery_seq
