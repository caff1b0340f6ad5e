"""CareService: care team and notes, a thin adapter over the service layer."""

from __future__ import annotations

from typing import Any

import grpc

from carenotes.v1 import care_pb2, care_pb2_grpc
from carenotes_server.grpc_api import convert
from carenotes_server.grpc_api.errors import unary_guard
from carenotes_server.grpc_api.interceptor import current_caller
from carenotes_server.services.care_team import CareTeamService
from carenotes_server.services.notes import NotesService
from carenotes_server.services.steps.read import StepsReader
from carenotes_server.services.views import ExtractionStatus, StepsView

Context = grpc.aio.ServicerContext[Any, Any]

# Leave this much of the caller's deadline to send the answer after waiting for steps.
_DEADLINE_MARGIN_SECONDS = 0.25
_MAX_WAIT_SECONDS = 60.0

_MESSAGES = {
    ExtractionStatus.DONE: "Note submitted successfully",
    ExtractionStatus.PENDING: "Note submitted successfully; steps are being extracted",
    ExtractionStatus.FAILED: "Note submitted successfully, but step extraction failed",
}


def _done_message(view: StepsView | None) -> str:
    change = view.plan_change if view is not None else None
    if change is None:
        return _MESSAGES[ExtractionStatus.DONE]
    done = _MESSAGES[ExtractionStatus.DONE]
    if change.superseded:
        return f"{done}; a newer note changed the plan first: no change to the plan"
    if change.changes_plan:
        return f"{done}; the plan in force is updated"
    if change.checklist_added:
        return f"{done}; checklist items added, no change to the plan"
    return f"{done}; nothing actionable: no change to the plan"


class CareServicer(care_pb2_grpc.CareServiceServicer):
    def __init__(self, care_team: CareTeamService, notes: NotesService, steps: StepsReader) -> None:
        self._care_team = care_team
        self._notes = notes
        self._steps = steps

    @unary_guard
    async def ListDoctors(
        self, request: care_pb2.ListDoctorsRequest, context: Context
    ) -> care_pb2.ListDoctorsResponse:
        page = await self._care_team.list_doctors(
            page_size=request.page_size,
            page_token=request.page_token,
            name_filter=request.name_filter,
        )
        return care_pb2.ListDoctorsResponse(
            doctors=[convert.doctor(d) for d in page.items], next_page_token=page.next_page_token
        )

    @unary_guard
    async def SelectDoctor(
        self, request: care_pb2.SelectDoctorRequest, context: Context
    ) -> care_pb2.SelectDoctorResponse:
        chosen, since = await self._care_team.select_doctor(
            current_caller(), doctor_id=request.doctor_id, patient_id=request.patient_id
        )
        return care_pb2.SelectDoctorResponse(
            doctor=convert.doctor(chosen), assigned_at=convert.ts(since)
        )

    @unary_guard
    async def RemoveDoctor(
        self, request: care_pb2.RemoveDoctorRequest, context: Context
    ) -> care_pb2.RemoveDoctorResponse:
        ended = await self._care_team.remove_doctor(current_caller(), doctor_id=request.doctor_id)
        return care_pb2.RemoveDoctorResponse(ended_at=convert.ts(ended))

    @unary_guard
    async def ListCareTeam(
        self, request: care_pb2.ListCareTeamRequest, context: Context
    ) -> care_pb2.ListCareTeamResponse:
        team = await self._care_team.care_team(
            current_caller(), include_former=request.include_former
        )
        return care_pb2.ListCareTeamResponse(members=[convert.team_member(m) for m in team])

    @unary_guard
    async def GetMyDoctor(
        self, request: care_pb2.GetMyDoctorRequest, context: Context
    ) -> care_pb2.Doctor:
        return convert.doctor(await self._care_team.my_doctor(current_caller()))

    @unary_guard
    async def ListPatients(
        self, request: care_pb2.ListPatientsRequest, context: Context
    ) -> care_pb2.ListPatientsResponse:
        page = await self._care_team.list_patients(
            current_caller(), page_size=request.page_size, page_token=request.page_token
        )
        return care_pb2.ListPatientsResponse(
            patients=[convert.patient(p) for p in page.items], next_page_token=page.next_page_token
        )

    @unary_guard
    async def SubmitNote(
        self, request: care_pb2.SubmitNoteRequest, context: Context
    ) -> care_pb2.SubmitNoteResponse:
        remaining = context.time_remaining()
        wait = _MAX_WAIT_SECONDS if remaining is None else remaining - _DEADLINE_MARGIN_SECONDS
        submitted = await self._notes.submit(
            current_caller(),
            patient_id=request.patient_id,
            note=request.note,
            doctor_id=request.doctor_id,
            wait_for_steps=request.wait_for_steps,
            wait_seconds=max(0.0, min(wait, _MAX_WAIT_SECONDS)),
        )
        response = care_pb2.SubmitNoteResponse(
            note_id=str(submitted.note_id),
            extraction_status=convert.EXTRACTION_TO_PROTO[submitted.status],
            message=_MESSAGES[submitted.status],
            failure_reason=submitted.failure_reason,
        )
        if request.wait_for_steps and submitted.status is ExtractionStatus.DONE:
            view = await self._steps.note_steps(submitted.note_id)
            response.message = _done_message(view)
            if view is not None:
                response.actionable_steps.CopyFrom(convert.steps(view))
        return response

    @unary_guard
    async def ListNotes(
        self, request: care_pb2.ListNotesRequest, context: Context
    ) -> care_pb2.ListNotesResponse:
        page = await self._notes.list_notes(
            current_caller(),
            patient_id=request.patient_id,
            page_size=request.page_size,
            page_token=request.page_token,
        )
        return care_pb2.ListNotesResponse(
            notes=[convert.note(n) for n in page.items], next_page_token=page.next_page_token
        )

    @unary_guard
    async def GetNote(self, request: care_pb2.GetNoteRequest, context: Context) -> care_pb2.Note:
        return convert.note(await self._notes.get(current_caller(), request.note_id))
