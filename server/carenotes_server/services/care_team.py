"""The care team: patients choose a doctor; doctors see their current patients."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from sqlalchemy import Connection, func, select, update
from sqlalchemy.orm import Session

from carenotes_server.clock import Clock
from carenotes_server.db.database import Database
from carenotes_server.db.models import CareAssignment, User
from carenotes_server.domain import validation
from carenotes_server.domain.errors import (
    FieldViolation,
    InvalidArgument,
    NotFound,
    PermissionDenied,
)
from carenotes_server.domain.pagination import decode_page_token, encode_page_token
from carenotes_server.services.caller import Caller, Role


@dataclass(frozen=True)
class DoctorView:
    id: uuid.UUID
    name: str


@dataclass(frozen=True)
class PatientView:
    id: uuid.UUID
    name: str
    email: str
    timezone: str
    assigned_at: datetime


T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    next_page_token: str


def current_doctor_id(session: Session | Connection, patient_id: uuid.UUID) -> uuid.UUID | None:
    """The patient's doctor right now: read on every access check, never cached."""
    return session.scalar(
        select(CareAssignment.doctor_id).where(
            CareAssignment.patient_id == patient_id, CareAssignment.ended_at.is_(None)
        )
    )


def is_current_doctor(
    session: Session | Connection, doctor_id: uuid.UUID, patient_id: uuid.UUID
) -> bool:
    return current_doctor_id(session, patient_id) == doctor_id


class CareTeamService:
    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    async def list_doctors(
        self, *, page_size: int, page_token: str, name_filter: str
    ) -> Page[DoctorView]:
        size = validation.page_size(page_size)
        after = decode_page_token(page_token, 2)
        if len(name_filter) > validation.MAX_NAME_LENGTH:
            raise InvalidArgument(FieldViolation("name_filter", "is too long"))
        if validation.has_control_chars(name_filter):
            # Names never hold them, and PostgreSQL text cannot hold NUL at all.
            raise InvalidArgument(
                FieldViolation("name_filter", "must not contain control characters")
            )
        return await self._db.run(self._list_doctors, size, after, name_filter.strip())

    def _list_doctors(
        self, size: int, after: list[str | int] | None, name_filter: str
    ) -> Page[DoctorView]:
        stmt = select(User.id, User.name).where(User.role == Role.DOCTOR.value)
        if name_filter:
            escaped = (
                name_filter.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            )
            stmt = stmt.where(func.lower(User.name).like(f"%{escaped}%", escape="\\"))
        if after is not None:
            stmt = stmt.where(
                (User.name > str(after[0]))
                | ((User.name == str(after[0])) & (User.id > _uuid_or_bad(after[1])))
            )
        stmt = stmt.order_by(User.name, User.id).limit(size + 1)
        with self._db.read() as session:
            rows = session.execute(stmt).all()
        items = [DoctorView(r[0], r[1]) for r in rows[:size]]
        token = encode_page_token(items[-1].name, str(items[-1].id)) if len(rows) > size else ""
        return Page(items, token)

    async def select_doctor(
        self, caller: Caller, *, doctor_id: str, patient_id: str
    ) -> tuple[DoctorView, datetime]:
        doctor_uuid = validation.required_uuid(doctor_id, "doctor_id")
        requested_patient = validation.parse_uuid(patient_id, "patient_id", required=False)
        if requested_patient is not None and requested_patient != caller.user_id:
            raise PermissionDenied("patients may only choose a doctor for themselves")
        return await self._db.run(self._select_doctor, caller.user_id, doctor_uuid)

    def _select_doctor(
        self, patient_id: uuid.UUID, doctor_id: uuid.UUID
    ) -> tuple[DoctorView, datetime]:
        now = self._clock.now()
        with self._db.write() as session:
            doctor = session.get(User, doctor_id)
            if doctor is None or doctor.role != Role.DOCTOR.value:
                raise NotFound("no doctor with this id")
            # Serialise concurrent selections by the same patient on the patient's row.
            session.scalars(select(User.id).where(User.id == patient_id).with_for_update()).one()
            current = session.scalars(
                select(CareAssignment).where(
                    CareAssignment.patient_id == patient_id, CareAssignment.ended_at.is_(None)
                )
            ).first()
            if current is not None and current.doctor_id == doctor_id:
                return DoctorView(doctor.id, doctor.name), current.started_at
            session.execute(
                update(CareAssignment)
                .where(CareAssignment.patient_id == patient_id, CareAssignment.ended_at.is_(None))
                .values(ended_at=now)
            )
            session.flush()
            session.add(CareAssignment(patient_id=patient_id, doctor_id=doctor_id, started_at=now))
            return DoctorView(doctor.id, doctor.name), now

    async def my_doctor(self, caller: Caller) -> DoctorView:
        return await self._db.run(self._my_doctor, caller.user_id)

    def _my_doctor(self, patient_id: uuid.UUID) -> DoctorView:
        with self._db.read() as session:
            row = session.execute(
                select(User.id, User.name)
                .join(CareAssignment, CareAssignment.doctor_id == User.id)
                .where(CareAssignment.patient_id == patient_id, CareAssignment.ended_at.is_(None))
            ).first()
        if row is None:
            raise NotFound("no doctor selected yet")
        return DoctorView(row[0], row[1])

    async def list_patients(
        self, caller: Caller, *, page_size: int, page_token: str
    ) -> Page[PatientView]:
        size = validation.page_size(page_size)
        after = decode_page_token(page_token, 2)
        return await self._db.run(self._list_patients, caller.user_id, size, after)

    def _list_patients(
        self, doctor_id: uuid.UUID, size: int, after: list[str | int] | None
    ) -> Page[PatientView]:
        stmt = (
            select(User.id, User.name, User.email, User.timezone, CareAssignment.started_at)
            .join(CareAssignment, CareAssignment.patient_id == User.id)
            .where(CareAssignment.doctor_id == doctor_id, CareAssignment.ended_at.is_(None))
        )
        if after is not None:
            stmt = stmt.where(
                (User.name > str(after[0]))
                | ((User.name == str(after[0])) & (User.id > _uuid_or_bad(after[1])))
            )
        stmt = stmt.order_by(User.name, User.id).limit(size + 1)
        with self._db.read() as session:
            rows = session.execute(stmt).all()
        items = [PatientView(r[0], r[1], r[2], r[3], r[4]) for r in rows[:size]]
        token = encode_page_token(items[-1].name, str(items[-1].id)) if len(rows) > size else ""
        return Page(items, token)


def _uuid_or_bad(value: str | int) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise InvalidArgument(
            FieldViolation("page_token", "is not a page token from a previous response")
        ) from None
