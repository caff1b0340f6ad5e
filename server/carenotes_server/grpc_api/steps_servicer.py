"""StepsService: steps, reminders and the live reminder feed (whose protocol is
streaming/follow.py: this servicer converts what it yields)."""

from __future__ import annotations

import contextlib
import functools
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any, Literal

import grpc

from carenotes.v1 import steps_pb2, steps_pb2_grpc
from carenotes_server.domain.errors import FieldViolation, InvalidArgument
from carenotes_server.grpc_api import convert
from carenotes_server.grpc_api.errors import stream_guard, unary_guard
from carenotes_server.grpc_api.interceptor import current_caller
from carenotes_server.services.reminders import Reminders
from carenotes_server.services.reminders.views import ReminderView
from carenotes_server.services.steps.wiring import Steps
from carenotes_server.streaming.follow import ReminderFollower

Context = grpc.aio.ServicerContext[Any, Any]


@functools.lru_cache(maxsize=4096)
def _render(view: ReminderView) -> steps_pb2.Reminder:
    """One protobuf message per fired reminder, however many streams it goes to (the hub
    hands the same view to all of them)."""
    return convert.reminder(view)


class StepsServicer(steps_pb2_grpc.StepsServiceServicer):
    def __init__(self, steps: Steps, reminders: Reminders, follower: ReminderFollower) -> None:
        self._steps = steps
        self._reminders = reminders
        self._follower = follower

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

    @stream_guard
    async def StreamReminders(
        self, request: steps_pb2.StreamRemindersRequest, context: Context
    ) -> AsyncIterator[steps_pb2.Reminder]:
        # Closed with this call, so that its subscription ends with it, not when collected.
        async with contextlib.aclosing(
            self._follower.follow(current_caller(), request.after_id)
        ) as views:
            async for view in views:
                yield _render(view)


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
