"""AsyncCareClient: the CareClient surface for asyncio code, over grpc.aio.

Every method of CareClient exists here with the same name and arguments, as a
coroutine; the iter_* helpers and the reminder streams are async iterators, and
follow_reminders stops on an asyncio.Event instead of a threading.Event.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from datetime import datetime
from typing import TypeVar

import grpc  # type: ignore[import-untyped, unused-ignore]

from carenotes.v1 import auth_pb2, care_pb2, steps_pb2
from carenotes_client.aio.calls import AsyncCalls
from carenotes_client.backoff import Backoff
from carenotes_client.client import (
    _TRANSIENT_STREAM_CODES,
    _bearer,
    _not_signed_in,
    _timestamp,
    acknowledgement_value,
    role_value,
)
from carenotes_client.errors import (
    DeadlineExceeded,
    ResourceExhausted,
    Unauthenticated,
    Unavailable,
    from_rpc_error,
)
from carenotes_client.streaming import RecentIds

ItemT = TypeVar("ItemT")


async def _pages(
    fetch_page: Callable[[str], Awaitable[tuple[Sequence[ItemT], str]]],
) -> AsyncIterator[ItemT]:
    """Walks next_page_token until the server returns an empty one."""
    token = ""
    while True:
        items, token = await fetch_page(token)
        for item in items:
            yield item
        if not token:
            return


class AsyncCareClient(AsyncCalls):
    """Typed asyncio access to the Carenotes API (see CareClient for the arguments).

    Use it as `async with AsyncCareClient(target) as client:`; it must be created and
    used on one event loop.
    """

    # -- AuthService ---------------------------------------------------------------

    async def sign_up(
        self,
        name: str,
        email: str,
        password: str,
        role: auth_pb2.Role.ValueType | str,
        timezone: str = "",
        *,
        invitation_code: str = "",
    ) -> auth_pb2.SignUpResponse:
        """Creates an account; a doctor needs the clinic's invitation code."""
        request = auth_pb2.SignUpRequest(
            name=name,
            email=email,
            password=password,
            role=role_value(role),
            timezone=timezone,
            invitation_code=invitation_code,
        )
        return await self._public(self._auth.SignUp, request)

    async def login(self, email: str, password: str) -> auth_pb2.LoginResponse:
        """Signs in and stores the new session, presenting (and keeping) this client's
        device token for the user, as CareClient.login does."""
        request = auth_pb2.LoginRequest(
            email=email,
            password=password,
            device_token=self.device_store.get(self.target, email),
        )
        response = await self._public(self._auth.Login, request)
        if response.device_token:
            self.device_store.put(self.target, email, response.device_token)
        self._save_tokens(response)
        return response

    async def refresh(self) -> auth_pb2.LoginResponse:
        """Rotates the stored tokens now and returns the new pair."""
        session = self.session
        if session is None:
            raise _not_signed_in()
        async with self._refresh_lock():
            current = self.session or session
            request = auth_pb2.RefreshTokenRequest(refresh_token=current.refresh_token)
            response = await self._public(self._auth.RefreshToken, request)
            self._save_tokens(response, ca_file=current.ca_file)
            return response

    async def logout(self) -> auth_pb2.LogoutResponse:
        """Ends the session on the server and forgets it locally, even if the server
        already considered it over."""
        try:
            return await self._call(self._auth.Logout, auth_pb2.LogoutRequest())
        except Unauthenticated:
            return auth_pb2.LogoutResponse()
        finally:
            self.session_store.clear()

    async def who_am_i(self) -> auth_pb2.User:
        return await self._call(self._auth.WhoAmI, auth_pb2.WhoAmIRequest())

    async def change_password(
        self, current_password: str, new_password: str
    ) -> auth_pb2.ChangePasswordResponse:
        """Changes the password; every session (this one too) ends: log in again."""
        request = auth_pb2.ChangePasswordRequest(
            current_password=current_password, new_password=new_password
        )
        session = await self._fresh_session()
        # No refresh-and-retry: UNAUTHENTICATED here means a wrong current password.
        try:
            response: auth_pb2.ChangePasswordResponse = await self._auth.ChangePassword(
                request, timeout=self.timeout, metadata=_bearer(session)
            )
        except grpc.RpcError as e:
            raise from_rpc_error(e) from e
        self.session_store.clear()
        return response

    # -- CareService ---------------------------------------------------------------

    async def list_doctors(
        self, name_filter: str = "", *, page_size: int = 0, page_token: str = ""
    ) -> care_pb2.ListDoctorsResponse:
        request = care_pb2.ListDoctorsRequest(
            name_filter=name_filter, page_size=page_size, page_token=page_token
        )
        return await self._call(self._care.ListDoctors, request)

    def iter_doctors(
        self, name_filter: str = "", *, page_size: int = 0
    ) -> AsyncIterator[care_pb2.Doctor]:
        """Every doctor matching the filter, across all pages."""

        async def page(token: str) -> tuple[Sequence[care_pb2.Doctor], str]:
            r = await self.list_doctors(name_filter, page_size=page_size, page_token=token)
            return r.doctors, r.next_page_token

        return _pages(page)

    async def select_doctor(self, doctor_id: str) -> care_pb2.SelectDoctorResponse:
        request = care_pb2.SelectDoctorRequest(doctor_id=doctor_id)
        return await self._call(self._care.SelectDoctor, request)

    async def my_doctor(self) -> care_pb2.Doctor:
        """The doctor added to the care team last (care_team lists them all)."""
        return await self._call(self._care.GetMyDoctor, care_pb2.GetMyDoctorRequest())

    async def remove_doctor(self, doctor_id: str) -> care_pb2.RemoveDoctorResponse:
        """Removes a doctor from the caller's care team; their plan stays in force."""
        request = care_pb2.RemoveDoctorRequest(doctor_id=doctor_id)
        return await self._call(self._care.RemoveDoctor, request)

    async def care_team(self, *, include_former: bool = False) -> care_pb2.ListCareTeamResponse:
        request = care_pb2.ListCareTeamRequest(include_former=include_former)
        return await self._call(self._care.ListCareTeam, request)

    async def list_patients(
        self, *, page_size: int = 0, page_token: str = ""
    ) -> care_pb2.ListPatientsResponse:
        request = care_pb2.ListPatientsRequest(page_size=page_size, page_token=page_token)
        return await self._call(self._care.ListPatients, request)

    def iter_patients(self, *, page_size: int = 0) -> AsyncIterator[care_pb2.Patient]:
        """Every patient of the calling doctor, across all pages."""

        async def page(token: str) -> tuple[Sequence[care_pb2.Patient], str]:
            r = await self.list_patients(page_size=page_size, page_token=token)
            return r.patients, r.next_page_token

        return _pages(page)

    async def submit_note(
        self,
        patient_id: str,
        note: str,
        wait_for_steps: bool = False,
        *,
        timeout: float | None = None,  # noqa: ASYNC109 - the gRPC deadline, sent to the server
    ) -> care_pb2.SubmitNoteResponse:
        """Stores a note; with wait_for_steps the server waits for the extraction within
        the call's deadline (pass a longer `timeout` for slow extractors)."""
        request = care_pb2.SubmitNoteRequest(
            patient_id=patient_id, note=note, wait_for_steps=wait_for_steps
        )
        return await self._call(self._care.SubmitNote, request, timeout=timeout)

    async def list_notes(
        self, patient_id: str = "", *, page_size: int = 0, page_token: str = ""
    ) -> care_pb2.ListNotesResponse:
        request = care_pb2.ListNotesRequest(
            patient_id=patient_id, page_size=page_size, page_token=page_token
        )
        return await self._call(self._care.ListNotes, request)

    def iter_notes(
        self, patient_id: str = "", *, page_size: int = 0
    ) -> AsyncIterator[care_pb2.Note]:
        """Every note of the patient, newest first, across all pages."""

        async def page(token: str) -> tuple[Sequence[care_pb2.Note], str]:
            r = await self.list_notes(patient_id, page_size=page_size, page_token=token)
            return r.notes, r.next_page_token

        return _pages(page)

    async def get_note(self, note_id: str) -> care_pb2.Note:
        return await self._call(self._care.GetNote, care_pb2.GetNoteRequest(note_id=note_id))

    # -- StepsService --------------------------------------------------------------

    async def get_steps(self, patient_id: str = "") -> steps_pb2.ActionableSteps:
        request = steps_pb2.GetActionableStepsRequest(patient_id=patient_id)
        return await self._call(self._steps.GetActionableSteps, request)

    async def complete_checklist_item(self, item_id: str) -> steps_pb2.ChecklistItem:
        request = steps_pb2.CompleteChecklistItemRequest(item_id=item_id)
        return await self._call(self._steps.CompleteChecklistItem, request)

    async def preview_steps(
        self,
        note: str,
        *,
        patient_id: str = "",
        timeout: float | None = None,  # noqa: ASYNC109 - the gRPC deadline, sent to the server
    ) -> steps_pb2.ActionableSteps:
        """The steps a note would give; with patient_id, also what it would change."""
        request = steps_pb2.PreviewActionableStepsRequest(note=note, patient_id=patient_id)
        return await self._call(self._steps.PreviewActionableSteps, request, timeout=timeout)

    async def acknowledge_reminder(
        self, reminder_id: str, taken: bool | steps_pb2.Acknowledgement.ValueType
    ) -> steps_pb2.Reminder:
        """Records a dose as taken (True) or skipped (False)."""
        request = steps_pb2.AcknowledgeReminderRequest(
            reminder_id=reminder_id, acknowledgement=acknowledgement_value(taken)
        )
        return await self._call(self._steps.AcknowledgeReminder, request)

    async def get_adherence(self, patient_id: str = "") -> steps_pb2.Adherence:
        request = steps_pb2.GetAdherenceRequest(patient_id=patient_id)
        return await self._call(self._steps.GetAdherence, request)

    async def list_reminders(
        self,
        patient_id: str = "",
        *,
        due_from: datetime | None = None,
        due_before: datetime | None = None,
        statuses: Iterable[steps_pb2.ReminderStatus.ValueType] = (),
        page_size: int = 0,
        page_token: str = "",
    ) -> steps_pb2.ListRemindersResponse:
        """Reminder history by due time: due_from <= due_at < due_before."""
        request = steps_pb2.ListRemindersRequest(
            patient_id=patient_id, status=statuses, page_size=page_size, page_token=page_token
        )
        if due_from is not None:
            getattr(request, "from").CopyFrom(_timestamp(due_from))  # `from` is a keyword
        if due_before is not None:
            request.to.CopyFrom(_timestamp(due_before))
        return await self._call(self._steps.ListReminders, request)

    def iter_reminders(
        self,
        patient_id: str = "",
        *,
        due_from: datetime | None = None,
        due_before: datetime | None = None,
        statuses: Iterable[steps_pb2.ReminderStatus.ValueType] = (),
        page_size: int = 0,
    ) -> AsyncIterator[steps_pb2.Reminder]:
        """Every reminder matching the filters, across all pages."""
        wanted = tuple(statuses)

        async def page(token: str) -> tuple[Sequence[steps_pb2.Reminder], str]:
            r = await self.list_reminders(
                patient_id,
                due_from=due_from,
                due_before=due_before,
                statuses=wanted,
                page_size=page_size,
                page_token=token,
            )
            return r.reminders, r.next_page_token

        return _pages(page)

    async def export_calendar(self) -> steps_pb2.ExportCalendarResponse:
        return await self._call(self._steps.ExportCalendar, steps_pb2.ExportCalendarRequest())

    # -- the reminder feed ---------------------------------------------------------

    async def _open_reminder_stream(
        self, after_id: str
    ) -> grpc.aio.UnaryStreamCall[steps_pb2.StreamRemindersRequest, steps_pb2.Reminder]:
        session = await self._fresh_session()
        request = steps_pb2.StreamRemindersRequest(after_id=after_id)
        return self._steps.StreamReminders(request, metadata=_bearer(session))

    async def stream_reminders(self, after_id: str = "") -> AsyncIterator[steps_pb2.Reminder]:
        """The live reminder feed, once: ends when the server ends the stream. No
        deadline; closing the iterator (or cancelling its task) cancels the call."""
        call = await self._open_reminder_stream(after_id)
        try:
            async for reminder in call:
                yield reminder
        except grpc.RpcError as e:
            raise from_rpc_error(e) from e
        finally:
            call.cancel()

    async def follow_reminders(
        self,
        after_id: str = "",
        *,
        stop: asyncio.Event | None = None,
        backoff: Backoff | None = None,
    ) -> AsyncIterator[steps_pb2.Reminder]:
        """The live reminder feed, forever: reconnects after UNAVAILABLE or the end of
        the stream, resuming after the last reminder seen, with jittered backoff.

        Never yields the same reminder twice, even if the server replays it. Ends when
        `stop` is set (the open call is cancelled at once) or the iterator is closed;
        raises on errors a reconnect cannot cure.
        """
        stop = stop or asyncio.Event()
        backoff = backoff or Backoff()
        seen = RecentIds()
        if after_id:
            seen.add(after_id)
        cursor = after_id
        refreshed_since_last_message = False
        while not stop.is_set():
            delay = 0.0
            started = time.monotonic()
            try:
                call = await self._open_reminder_stream(cursor)
                watcher = asyncio.create_task(_cancel_when_set(stop, call))
                try:
                    async for reminder in call:
                        backoff.reset()
                        refreshed_since_last_message = False
                        if reminder.id in seen:
                            continue
                        seen.add(reminder.id)
                        cursor = reminder.id
                        yield reminder
                        if stop.is_set():
                            return
                finally:
                    watcher.cancel()
                    call.cancel()
                delay = backoff.next_delay()  # the server closed the stream cleanly
            except asyncio.CancelledError:
                if stop.is_set():
                    return  # our own watcher cancelled the call
                raise
            except grpc.RpcError as e:
                if stop.is_set():
                    return
                error = from_rpc_error(e)
                if isinstance(error, Unauthenticated) and not refreshed_since_last_message:
                    refreshed_since_last_message = True  # expired or revoked meanwhile
                    session = self.session
                    if session is None:
                        raise _not_signed_in() from e
                    await self._refresh_after(session)
                    continue
                if error.code not in _TRANSIENT_STREAM_CODES:
                    raise error from e
                delay = max(backoff.next_delay(), error.retry_after or 0.0)
            except (Unavailable, DeadlineExceeded, ResourceExhausted) as error:
                delay = max(backoff.next_delay(), error.retry_after or 0.0)
            if time.monotonic() - started > backoff.maximum:
                backoff.reset()  # a long-lived connection was healthy: back off afresh
                delay = backoff.next_delay()
            try:
                await asyncio.wait_for(stop.wait(), timeout=delay)
                return
            except TimeoutError:
                continue


async def _cancel_when_set(
    stop: asyncio.Event,
    call: grpc.aio.UnaryStreamCall[steps_pb2.StreamRemindersRequest, steps_pb2.Reminder],
) -> None:
    await stop.wait()
    call.cancel()
