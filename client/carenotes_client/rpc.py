"""The generated stubs, re-exposed with precise types.

Each attribute is annotated with the request and response type of its RPC, so
the client is type-checked end to end whether or not grpc's own type stubs are
installed (without them every stub method would silently be `Any`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol, TypeVar

import grpc  # type: ignore[import-untyped, unused-ignore]

from carenotes.v1 import (
    auth_pb2,
    auth_pb2_grpc,
    care_pb2,
    care_pb2_grpc,
    steps_pb2,
    steps_pb2_grpc,
)

RequestT = TypeVar("RequestT", contravariant=True)
ResponseT = TypeVar("ResponseT", covariant=True)

# gRPC metadata: (key, value) pairs; values of "-bin" keys are bytes.
Metadata = tuple[tuple[str, str | bytes], ...]


class UnaryMethod(Protocol[RequestT, ResponseT]):
    """A unary-unary stub method."""

    def __call__(
        self,
        request: RequestT,
        timeout: float | None = None,
        metadata: Metadata | None = None,
    ) -> ResponseT: ...


class StreamCall(Protocol[ResponseT]):
    """A running server-streaming call: iterate it for messages, cancel it to stop."""

    def __iter__(self) -> Iterator[ResponseT]: ...

    def __next__(self) -> ResponseT: ...

    def cancel(self) -> bool: ...


class StreamMethod(Protocol[RequestT, ResponseT]):
    """A unary-stream stub method."""

    def __call__(
        self,
        request: RequestT,
        timeout: float | None = None,
        metadata: Metadata | None = None,
    ) -> StreamCall[ResponseT]: ...


class Rpcs:
    """Every Carenotes RPC, bound to one channel."""

    def __init__(self, channel: grpc.Channel) -> None:
        auth = auth_pb2_grpc.AuthServiceStub(channel)
        self.sign_up: UnaryMethod[auth_pb2.SignUpRequest, auth_pb2.SignUpResponse] = auth.SignUp
        self.login: UnaryMethod[auth_pb2.LoginRequest, auth_pb2.LoginResponse] = auth.Login
        self.refresh_token: UnaryMethod[auth_pb2.RefreshTokenRequest, auth_pb2.LoginResponse] = (
            auth.RefreshToken
        )
        self.logout: UnaryMethod[auth_pb2.LogoutRequest, auth_pb2.LogoutResponse] = auth.Logout
        self.who_am_i: UnaryMethod[auth_pb2.WhoAmIRequest, auth_pb2.User] = auth.WhoAmI
        self.change_password: UnaryMethod[
            auth_pb2.ChangePasswordRequest, auth_pb2.ChangePasswordResponse
        ] = auth.ChangePassword

        care = care_pb2_grpc.CareServiceStub(channel)
        self.list_doctors: UnaryMethod[
            care_pb2.ListDoctorsRequest, care_pb2.ListDoctorsResponse
        ] = care.ListDoctors
        self.select_doctor: UnaryMethod[
            care_pb2.SelectDoctorRequest, care_pb2.SelectDoctorResponse
        ] = care.SelectDoctor
        self.get_my_doctor: UnaryMethod[care_pb2.GetMyDoctorRequest, care_pb2.Doctor] = (
            care.GetMyDoctor
        )
        self.remove_doctor: UnaryMethod[
            care_pb2.RemoveDoctorRequest, care_pb2.RemoveDoctorResponse
        ] = care.RemoveDoctor
        self.list_care_team: UnaryMethod[
            care_pb2.ListCareTeamRequest, care_pb2.ListCareTeamResponse
        ] = care.ListCareTeam
        self.list_patients: UnaryMethod[
            care_pb2.ListPatientsRequest, care_pb2.ListPatientsResponse
        ] = care.ListPatients
        self.submit_note: UnaryMethod[care_pb2.SubmitNoteRequest, care_pb2.SubmitNoteResponse] = (
            care.SubmitNote
        )
        self.list_notes: UnaryMethod[care_pb2.ListNotesRequest, care_pb2.ListNotesResponse] = (
            care.ListNotes
        )
        self.get_note: UnaryMethod[care_pb2.GetNoteRequest, care_pb2.Note] = care.GetNote

        steps = steps_pb2_grpc.StepsServiceStub(channel)
        self.get_actionable_steps: UnaryMethod[
            steps_pb2.GetActionableStepsRequest, steps_pb2.ActionableSteps
        ] = steps.GetActionableSteps
        self.complete_checklist_item: UnaryMethod[
            steps_pb2.CompleteChecklistItemRequest, steps_pb2.ChecklistItem
        ] = steps.CompleteChecklistItem
        self.preview_actionable_steps: UnaryMethod[
            steps_pb2.PreviewActionableStepsRequest, steps_pb2.ActionableSteps
        ] = steps.PreviewActionableSteps
        self.acknowledge_reminder: UnaryMethod[
            steps_pb2.AcknowledgeReminderRequest, steps_pb2.Reminder
        ] = steps.AcknowledgeReminder
        self.get_adherence: UnaryMethod[steps_pb2.GetAdherenceRequest, steps_pb2.Adherence] = (
            steps.GetAdherence
        )
        self.stream_reminders: StreamMethod[
            steps_pb2.StreamRemindersRequest, steps_pb2.Reminder
        ] = steps.StreamReminders
        self.list_reminders: UnaryMethod[
            steps_pb2.ListRemindersRequest, steps_pb2.ListRemindersResponse
        ] = steps.ListReminders
        self.export_calendar: UnaryMethod[
            steps_pb2.ExportCalendarRequest, steps_pb2.ExportCalendarResponse
        ] = steps.ExportCalendar
