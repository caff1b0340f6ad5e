"""The synchronous Carenotes client: one method per RPC over one gRPC channel.

Every unary call gets a deadline and the bearer token of the stored session. The
access token is refreshed shortly before it expires, and once more if the server
still answers UNAUTHENTICATED (revoked token, skewed clock), after which the call
is retried once. Failures surface as carenotes_client.errors exceptions.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Self, TypeVar

import grpc  # type: ignore[import-untyped, unused-ignore]
from google.protobuf.timestamp_pb2 import Timestamp

from carenotes.v1 import auth_pb2, care_pb2, steps_pb2
from carenotes_client.backoff import Backoff
from carenotes_client.devices import DeviceStore, MemoryDeviceStore
from carenotes_client.errors import (
    DeadlineExceeded,
    ResourceExhausted,
    Unauthenticated,
    Unavailable,
    from_rpc_error,
)
from carenotes_client.rpc import Metadata, Rpcs, StreamCall, UnaryMethod
from carenotes_client.session import MemorySessionStore, Session, SessionStore
from carenotes_client.streaming import RecentIds, cancelled_on

DEFAULT_TARGET = "127.0.0.1:50051"

RequestT = TypeVar("RequestT")
ResponseT = TypeVar("ResponseT")
ItemT = TypeVar("ItemT")

# Stream failures that a reconnect may cure. CANCELLED counts when we did not
# cancel: a server shutting down cancels its open streams.
_TRANSIENT_STREAM_CODES = frozenset(
    {
        grpc.StatusCode.UNAVAILABLE,
        grpc.StatusCode.DEADLINE_EXCEEDED,
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        grpc.StatusCode.ABORTED,
        grpc.StatusCode.CANCELLED,
    }
)


def role_value(role: auth_pb2.Role.ValueType | str) -> auth_pb2.Role.ValueType:
    """Accepts Role.ROLE_PATIENT, "patient" or "ROLE_PATIENT"."""
    if isinstance(role, str):
        name = role.upper()
        return auth_pb2.Role.Value(name if name.startswith("ROLE_") else f"ROLE_{name}")
    return role


def acknowledgement_value(
    taken: bool | steps_pb2.Acknowledgement.ValueType,
) -> steps_pb2.Acknowledgement.ValueType:
    """True means TAKEN, False SKIPPED; an Acknowledgement passes through."""
    if isinstance(taken, bool):
        return steps_pb2.ACKNOWLEDGEMENT_TAKEN if taken else steps_pb2.ACKNOWLEDGEMENT_SKIPPED
    return taken


def _timestamp(moment: datetime) -> Timestamp:
    if moment.tzinfo is None:
        raise ValueError("datetime must be timezone-aware")
    stamp = Timestamp()
    stamp.FromDatetime(moment.astimezone(UTC))
    return stamp


def _bearer(session: Session) -> Metadata:
    return (("authorization", f"Bearer {session.access_token}"),)


def _not_signed_in(message: str = "not signed in: log in first") -> Unauthenticated:
    return Unauthenticated(grpc.StatusCode.UNAUTHENTICATED, message)


def _pages(fetch_page: Callable[[str], tuple[Sequence[ItemT], str]]) -> Iterator[ItemT]:
    """Walks next_page_token until the server returns an empty one."""
    token = ""
    while True:
        items, token = fetch_page(token)
        yield from items
        if not token:
            return


class CareClient:
    """Typed access to the Carenotes API.

    `session_store` keeps the tokens (default: in memory only; the CLI uses a
    FileSessionStore), `device_store` the device tokens logins earn (the CLI keeps
    them in devices.json beside the session). Without `root_certificates` the channel is plaintext,
    which suits only a server on this machine. For a server that requires mutual
    TLS, also pass the client's `certificate_chain` and `private_key` (PEM).
    """

    def __init__(
        self,
        target: str = DEFAULT_TARGET,
        *,
        session_store: SessionStore | None = None,
        device_store: DeviceStore | None = None,
        timeout: float = 10.0,
        root_certificates: bytes | None = None,
        certificate_chain: bytes | None = None,
        private_key: bytes | None = None,
        refresh_margin: timedelta = timedelta(seconds=60),
    ) -> None:
        if (certificate_chain is None) != (private_key is None):
            raise ValueError("give both certificate_chain and private_key, or neither")
        if certificate_chain is not None and root_certificates is None:
            raise ValueError("a client certificate needs TLS: give root_certificates too")
        self.target = target
        self.timeout = timeout
        self.session_store: SessionStore = session_store or MemorySessionStore()
        self.device_store: DeviceStore = device_store or MemoryDeviceStore()
        self._secure = root_certificates is not None
        self._refresh_margin = refresh_margin
        if root_certificates is not None:
            credentials = grpc.ssl_channel_credentials(
                root_certificates=root_certificates,
                private_key=private_key,
                certificate_chain=certificate_chain,
            )
            self._channel = grpc.secure_channel(target, credentials)
        else:
            self._channel = grpc.insecure_channel(target)
        self._rpc = Rpcs(self._channel)

    # -- lifecycle -----------------------------------------------------------------

    def close(self) -> None:
        self._channel.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # -- session and tokens --------------------------------------------------------

    @property
    def session(self) -> Session | None:
        """The stored session, if it belongs to this server and this kind of channel."""
        session = self.session_store.load()
        if session is None or session.server != self.target:
            return None
        if session.tls and not self._secure:
            # Never downgrade: a token obtained over TLS stays off plaintext.
            return None
        return session

    def _fresh_session(self) -> Session:
        session = self.session
        if session is None:
            raise _not_signed_in()
        if session.access_expires_within(self._refresh_margin) and session.can_refresh():
            session = self._refresh_after(session)
        return session

    def _refresh_after(self, stale: Session) -> Session:
        """Rotates the tokens of `stale`, unless another caller already did."""
        with self.session_store.refresh_lock():
            current = self.session
            if current is not None and current.access_token != stale.access_token:
                return current
            if current is None or not current.can_refresh():
                raise _not_signed_in("session expired: log in again")
            request = auth_pb2.RefreshTokenRequest(refresh_token=current.refresh_token)
            try:
                response = self._rpc.refresh_token(request, timeout=self.timeout)
            except grpc.RpcError as e:
                error = from_rpc_error(e)
                if isinstance(error, Unauthenticated):
                    # Reused or revoked refresh token: the session is dead for good.
                    self.session_store.clear()
                    raise _not_signed_in("session expired: log in again") from e
                raise error from e
            return self._save_tokens(response, ca_file=current.ca_file)

    def _save_tokens(
        self, response: auth_pb2.LoginResponse, *, ca_file: str | None = None
    ) -> Session:
        session = Session.from_login(self.target, response, tls=self._secure, ca_file=ca_file)
        self.session_store.save(session)
        return session

    # -- call helpers --------------------------------------------------------------

    def _public(self, method: UnaryMethod[RequestT, ResponseT], request: RequestT) -> ResponseT:
        try:
            return method(request, timeout=self.timeout)
        except grpc.RpcError as e:
            raise from_rpc_error(e) from e

    def _call(
        self,
        method: UnaryMethod[RequestT, ResponseT],
        request: RequestT,
        *,
        timeout: float | None = None,
    ) -> ResponseT:
        deadline = timeout if timeout is not None else self.timeout
        session = self._fresh_session()
        try:
            return method(request, timeout=deadline, metadata=_bearer(session))
        except grpc.RpcError as e:
            error = from_rpc_error(e)
            if not isinstance(error, Unauthenticated) or not session.can_refresh():
                raise error from e
        # The access token was refused although it looked valid (revoked, or the
        # clocks disagree): refresh once and retry once.
        session = self._refresh_after(session)
        try:
            return method(request, timeout=deadline, metadata=_bearer(session))
        except grpc.RpcError as e:
            raise from_rpc_error(e) from e

    # -- AuthService ---------------------------------------------------------------

    def sign_up(
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
        return self._public(self._rpc.sign_up, request)

    def login(self, email: str, password: str) -> auth_pb2.LoginResponse:
        """Signs in and stores the new session. Presents this client's device token for
        the user, if it has one, and keeps the one the server gives otherwise: then
        wrong passwords typed elsewhere for this email never lock this client out."""
        request = auth_pb2.LoginRequest(
            email=email,
            password=password,
            device_token=self.device_store.get(self.target, email),
        )
        response = self._public(self._rpc.login, request)
        if response.device_token:
            self.device_store.put(self.target, email, response.device_token)
        self._save_tokens(response)
        return response

    def refresh(self) -> auth_pb2.LoginResponse:
        """Rotates the stored tokens now and returns the new pair."""
        session = self.session
        if session is None:
            raise _not_signed_in()
        with self.session_store.refresh_lock():
            current = self.session or session
            request = auth_pb2.RefreshTokenRequest(refresh_token=current.refresh_token)
            response = self._public(self._rpc.refresh_token, request)
            self._save_tokens(response, ca_file=current.ca_file)
            return response

    def logout(self) -> auth_pb2.LogoutResponse:
        """Ends the session on the server and forgets it locally, even if the server
        already considered it over."""
        try:
            return self._call(self._rpc.logout, auth_pb2.LogoutRequest())
        except Unauthenticated:
            return auth_pb2.LogoutResponse()
        finally:
            self.session_store.clear()

    def who_am_i(self) -> auth_pb2.User:
        return self._call(self._rpc.who_am_i, auth_pb2.WhoAmIRequest())

    def change_password(
        self, current_password: str, new_password: str
    ) -> auth_pb2.ChangePasswordResponse:
        """Changes the password. The server revokes every session, this one included,
        so the stored session is forgotten: log in again with the new password."""
        request = auth_pb2.ChangePasswordRequest(
            current_password=current_password, new_password=new_password
        )
        session = self._fresh_session()
        # No refresh-and-retry here: UNAUTHENTICATED means a wrong current password.
        try:
            response = self._rpc.change_password(
                request, timeout=self.timeout, metadata=_bearer(session)
            )
        except grpc.RpcError as e:
            raise from_rpc_error(e) from e
        self.session_store.clear()
        return response

    # -- CareService ---------------------------------------------------------------

    def list_doctors(
        self, name_filter: str = "", *, page_size: int = 0, page_token: str = ""
    ) -> care_pb2.ListDoctorsResponse:
        request = care_pb2.ListDoctorsRequest(
            name_filter=name_filter, page_size=page_size, page_token=page_token
        )
        return self._call(self._rpc.list_doctors, request)

    def iter_doctors(
        self, name_filter: str = "", *, page_size: int = 0
    ) -> Iterator[care_pb2.Doctor]:
        """Every doctor matching the filter, across all pages."""

        def page(token: str) -> tuple[Sequence[care_pb2.Doctor], str]:
            response = self.list_doctors(name_filter, page_size=page_size, page_token=token)
            return response.doctors, response.next_page_token

        return _pages(page)

    def select_doctor(self, doctor_id: str) -> care_pb2.SelectDoctorResponse:
        return self._call(
            self._rpc.select_doctor, care_pb2.SelectDoctorRequest(doctor_id=doctor_id)
        )

    def my_doctor(self) -> care_pb2.Doctor:
        """The doctor added to the care team last (care_team lists them all)."""
        return self._call(self._rpc.get_my_doctor, care_pb2.GetMyDoctorRequest())

    def remove_doctor(self, doctor_id: str) -> care_pb2.RemoveDoctorResponse:
        """Removes a doctor from the caller's care team; their plan stays in force."""
        return self._call(
            self._rpc.remove_doctor, care_pb2.RemoveDoctorRequest(doctor_id=doctor_id)
        )

    def care_team(self, *, include_former: bool = False) -> care_pb2.ListCareTeamResponse:
        return self._call(
            self._rpc.list_care_team,
            care_pb2.ListCareTeamRequest(include_former=include_former),
        )

    def list_patients(
        self, *, page_size: int = 0, page_token: str = ""
    ) -> care_pb2.ListPatientsResponse:
        request = care_pb2.ListPatientsRequest(page_size=page_size, page_token=page_token)
        return self._call(self._rpc.list_patients, request)

    def iter_patients(self, *, page_size: int = 0) -> Iterator[care_pb2.Patient]:
        """Every patient of the calling doctor, across all pages."""

        def page(token: str) -> tuple[Sequence[care_pb2.Patient], str]:
            response = self.list_patients(page_size=page_size, page_token=token)
            return response.patients, response.next_page_token

        return _pages(page)

    def submit_note(
        self,
        patient_id: str,
        note: str,
        wait_for_steps: bool = False,
        *,
        timeout: float | None = None,
    ) -> care_pb2.SubmitNoteResponse:
        """Stores a note. With wait_for_steps the server waits for the extraction
        within the call's deadline: pass a longer `timeout` for slow extractors."""
        request = care_pb2.SubmitNoteRequest(
            patient_id=patient_id, note=note, wait_for_steps=wait_for_steps
        )
        return self._call(self._rpc.submit_note, request, timeout=timeout)

    def list_notes(
        self, patient_id: str = "", *, page_size: int = 0, page_token: str = ""
    ) -> care_pb2.ListNotesResponse:
        request = care_pb2.ListNotesRequest(
            patient_id=patient_id, page_size=page_size, page_token=page_token
        )
        return self._call(self._rpc.list_notes, request)

    def iter_notes(self, patient_id: str = "", *, page_size: int = 0) -> Iterator[care_pb2.Note]:
        """Every note of the patient, newest first, across all pages."""

        def page(token: str) -> tuple[Sequence[care_pb2.Note], str]:
            response = self.list_notes(patient_id, page_size=page_size, page_token=token)
            return response.notes, response.next_page_token

        return _pages(page)

    def get_note(self, note_id: str) -> care_pb2.Note:
        return self._call(self._rpc.get_note, care_pb2.GetNoteRequest(note_id=note_id))

    # -- StepsService --------------------------------------------------------------

    def get_steps(self, patient_id: str = "") -> steps_pb2.ActionableSteps:
        request = steps_pb2.GetActionableStepsRequest(patient_id=patient_id)
        return self._call(self._rpc.get_actionable_steps, request)

    def complete_checklist_item(self, item_id: str) -> steps_pb2.ChecklistItem:
        request = steps_pb2.CompleteChecklistItemRequest(item_id=item_id)
        return self._call(self._rpc.complete_checklist_item, request)

    def preview_steps(
        self, note: str, *, patient_id: str = "", timeout: float | None = None
    ) -> steps_pb2.ActionableSteps:
        """The steps a note would give, without saving it; with patient_id (one of your
        patients), also what it would change in their plan in force (plan_change)."""
        request = steps_pb2.PreviewActionableStepsRequest(note=note, patient_id=patient_id)
        return self._call(self._rpc.preview_actionable_steps, request, timeout=timeout)

    def acknowledge_reminder(
        self, reminder_id: str, taken: bool | steps_pb2.Acknowledgement.ValueType
    ) -> steps_pb2.Reminder:
        """Records a dose as taken (True) or skipped (False)."""
        request = steps_pb2.AcknowledgeReminderRequest(
            reminder_id=reminder_id, acknowledgement=acknowledgement_value(taken)
        )
        return self._call(self._rpc.acknowledge_reminder, request)

    def get_adherence(self, patient_id: str = "") -> steps_pb2.Adherence:
        request = steps_pb2.GetAdherenceRequest(patient_id=patient_id)
        return self._call(self._rpc.get_adherence, request)

    def list_reminders(
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
            # `from` is a Python keyword, so the field is reached through getattr.
            getattr(request, "from").CopyFrom(_timestamp(due_from))
        if due_before is not None:
            request.to.CopyFrom(_timestamp(due_before))
        return self._call(self._rpc.list_reminders, request)

    def iter_reminders(
        self,
        patient_id: str = "",
        *,
        due_from: datetime | None = None,
        due_before: datetime | None = None,
        statuses: Iterable[steps_pb2.ReminderStatus.ValueType] = (),
        page_size: int = 0,
    ) -> Iterator[steps_pb2.Reminder]:
        """Every reminder matching the filters, across all pages."""
        wanted = tuple(statuses)

        def page(token: str) -> tuple[Sequence[steps_pb2.Reminder], str]:
            response = self.list_reminders(
                patient_id,
                due_from=due_from,
                due_before=due_before,
                statuses=wanted,
                page_size=page_size,
                page_token=token,
            )
            return response.reminders, response.next_page_token

        return _pages(page)

    def export_calendar(self) -> steps_pb2.ExportCalendarResponse:
        return self._call(self._rpc.export_calendar, steps_pb2.ExportCalendarRequest())

    def stream_reminders(self, after_id: str = "") -> Iterator[steps_pb2.Reminder]:
        """The live reminder feed, once: ends when the server ends the stream.

        Has no deadline, since the feed is meant to stay open. Closing the iterator
        cancels the call. See follow_reminders for a feed that survives reconnects.
        """
        call = self._open_reminder_stream(after_id)
        with cancelled_on(None, call):
            try:
                yield from call
            except grpc.RpcError as e:
                raise from_rpc_error(e) from e

    def _open_reminder_stream(self, after_id: str) -> StreamCall[steps_pb2.Reminder]:
        session = self._fresh_session()
        request = steps_pb2.StreamRemindersRequest(after_id=after_id)
        return self._rpc.stream_reminders(request, metadata=_bearer(session))

    def follow_reminders(
        self,
        after_id: str = "",
        *,
        stop: threading.Event | None = None,
        backoff: Backoff | None = None,
    ) -> Iterator[steps_pb2.Reminder]:
        """The live reminder feed, forever: reconnects after UNAVAILABLE or the end of
        the stream, resuming after the last reminder seen, with jittered backoff.

        Never yields the same reminder twice, even if the server replays it. Ends
        when `stop` is set (the open call is cancelled at once) or when the
        iterator is closed; raises on errors a reconnect cannot cure.
        """
        stop = stop or threading.Event()
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
                call = self._open_reminder_stream(cursor)
                with cancelled_on(stop, call):
                    for reminder in call:
                        backoff.reset()
                        refreshed_since_last_message = False
                        if reminder.id in seen:
                            continue
                        seen.add(reminder.id)
                        cursor = reminder.id
                        yield reminder
                        if stop.is_set():
                            return
                # The server closed the stream cleanly (restart, load shedding).
                delay = backoff.next_delay()
            except grpc.RpcError as e:
                if stop.is_set():
                    return
                error = from_rpc_error(e)
                if isinstance(error, Unauthenticated) and not refreshed_since_last_message:
                    # The token expired or was revoked while we were connected.
                    refreshed_since_last_message = True
                    session = self.session
                    if session is None:
                        raise _not_signed_in() from e
                    self._refresh_after(session)
                    continue
                if error.code not in _TRANSIENT_STREAM_CODES:
                    raise error from e
                delay = max(backoff.next_delay(), error.retry_after or 0.0)
            except (Unavailable, DeadlineExceeded, ResourceExhausted) as error:
                # Refreshing the token before connecting failed transiently.
                delay = max(backoff.next_delay(), error.retry_after or 0.0)
            if time.monotonic() - started > backoff.maximum:
                # A connection that lived long was healthy: start backing off afresh.
                backoff.reset()
                delay = backoff.next_delay()
            if stop.wait(delay):
                return
