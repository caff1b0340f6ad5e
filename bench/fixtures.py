"""Accounts and data for the scenarios: created through the API, plus direct reminder rows.

Reminder rows for the stream and lateness scenarios are inserted straight into the
database (as a plan would write them), with chosen due times; the real scheduler and
worker then claim, fire and announce them.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import grpc
from sqlalchemy import Engine, create_engine, func, insert, select, update

from carenotes.v1 import auth_pb2, auth_pb2_grpc, care_pb2, care_pb2_grpc, steps_pb2_grpc
from carenotes_server.db.models import PlanItem, Reminder, StepSet

PASSWORD = "bench-horse-battery-staple-42"  # noqa: S105 - a throwaway bench account
NOTE = (
    "Take ibuprofen 400 mg twice a day for 5 days. Drink plenty of water. "
    "Book a follow-up appointment in two weeks."
)


@dataclass
class Account:
    id: str
    email: str
    token: str

    @property
    def metadata(self) -> tuple[tuple[str, str], ...]:
        return (("authorization", f"Bearer {self.token}"),)


class Api:
    def __init__(
        self, channel: grpc.aio.Channel, *, invite: Callable[[str], str] | None = None
    ) -> None:
        self._invite = invite
        self.channel = channel
        self.auth = auth_pb2_grpc.AuthServiceStub(channel)
        self.care = care_pb2_grpc.CareServiceStub(channel)
        self.steps = steps_pb2_grpc.StepsServiceStub(channel)

    async def account(self, role: int) -> Account:
        email = f"bench-{uuid.uuid4().hex[:12]}@example.org"
        code = ""
        if role == auth_pb2.ROLE_DOCTOR:
            assert self._invite is not None, "doctors need an invitation: Api(ch, invite=...)"
            code = await asyncio.to_thread(self._invite, email)
        signed = await self.auth.SignUp(
            auth_pb2.SignUpRequest(
                name=f"Bench {uuid.uuid4().hex[:6]}",
                email=email,
                password=PASSWORD,
                role=role,  # type: ignore[arg-type]
                timezone="UTC",
                invitation_code=code,
            ),
            timeout=30,
        )
        login = await self.auth.Login(
            auth_pb2.LoginRequest(email=email, password=PASSWORD), timeout=30
        )
        return Account(signed.user_id, email, login.access_token)

    async def care_team(self, patients: int) -> tuple[Account, list[Account]]:
        """One doctor and `patients` patients who chose them, each with steps in force."""
        doctor = await self.account(auth_pb2.ROLE_DOCTOR)
        members = [await self.account(auth_pb2.ROLE_PATIENT) for _ in range(patients)]
        for patient in members:
            await self.care.SelectDoctor(
                care_pb2.SelectDoctorRequest(doctor_id=doctor.id),
                metadata=patient.metadata,
                timeout=30,
            )
            await self.submit_note(doctor, patient, wait=True)
        return doctor, members

    async def submit_note(
        self, doctor: Account, patient: Account, *, wait: bool = False
    ) -> care_pb2.SubmitNoteResponse:
        response: care_pb2.SubmitNoteResponse = await self.care.SubmitNote(
            care_pb2.SubmitNoteRequest(patient_id=patient.id, note=NOTE, wait_for_steps=wait),
            metadata=doctor.metadata,
            timeout=60,
        )
        return response


class BenchDb:
    """Direct access to the run's database (SQLAlchemy Core over the server's models)."""

    def __init__(self, url: str) -> None:
        args: dict[str, Any] = {"timeout": 30} if url.startswith("sqlite") else {}
        self.engine: Engine = create_engine(url, connect_args=args)

    def close(self) -> None:
        self.engine.dispose()

    def plan_item_of(self, patient_id: str) -> tuple[uuid.UUID, uuid.UUID]:
        """(plan item id, note id) of an item of the patient's plan in force."""
        pid = uuid.UUID(patient_id)
        with self.engine.connect() as conn:
            row = conn.execute(
                select(PlanItem.id, StepSet.note_id)
                .join(StepSet, StepSet.id == PlanItem.step_set_id)
                .where(PlanItem.patient_id == pid, PlanItem.active.is_(True))
                .limit(1)
            ).one()
        return row[0], row[1]

    def cancel_scheduled(self, patient_id: str) -> None:
        """Cancels the patient's planned doses, so only the bench's own rows fire."""
        with self.engine.begin() as conn:
            conn.execute(
                update(Reminder)
                .where(Reminder.patient_id == uuid.UUID(patient_id), Reminder.status == "SCHEDULED")
                .values(status="CANCELLED")
            )

    def insert_reminders(
        self,
        patient_id: str,
        due_times: Sequence[datetime],
        *,
        window: timedelta,
        first_sequence: int = 100_000,
    ) -> list[uuid.UUID]:
        plan_item_id, note_id = self.plan_item_of(patient_id)
        now = datetime.now(UTC)
        ids = [uuid.uuid4() for _ in due_times]
        rows = [
            {
                "id": rid,
                "plan_item_id": plan_item_id,
                "patient_id": uuid.UUID(patient_id),
                "note_id": note_id,
                "sequence": first_sequence + i,
                "due_at": due,
                "window_ends_at": due + window,
                "status": "SCHEDULED",
                "makeup_of_id": None,
                "makeup_depth": 0,
                "enqueued_at": None,
                "sent_at": None,
                "delivery_seq": None,
                "acknowledged_at": None,
                "created_at": now,
            }
            for i, (rid, due) in enumerate(zip(ids, due_times, strict=True))
        ]
        with self.engine.begin() as conn:
            for start in range(0, len(rows), 500):
                conn.execute(insert(Reminder), rows[start : start + 500])
        return ids

    def count_sent(self, ids: Sequence[uuid.UUID]) -> int:
        with self.engine.connect() as conn:
            return int(
                conn.execute(
                    select(func.count())
                    .select_from(Reminder)
                    .where(Reminder.id.in_(list(ids)), Reminder.status == "SENT")
                ).scalar_one()
            )

    async def wait_sent(self, ids: Sequence[uuid.UUID], timeout_s: float) -> bool:
        deadline = asyncio.get_running_loop().time() + timeout_s
        while asyncio.get_running_loop().time() < deadline:
            if await asyncio.to_thread(self.count_sent, ids) == len(ids):
                return True
            await asyncio.sleep(0.2)
        return False
