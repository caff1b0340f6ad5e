"""The care team: a patient adds and removes doctors; doctors see their current patients.

A patient may have several current doctors (a GP and specialists). Being on the team is
what gives a doctor access to the patient's records: it is read from the database on
every access check, never cached, so a removed doctor loses access at once. The history
of the team (ended assignments) is kept.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from sqlalchemy import Connection, func, select
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
from carenotes_server.services import audit
from carenotes_server.services.caller import Caller, Role


@dataclass(frozen=True)
class DoctorView:
    """A doctor as patients see them: the name, and what tells look-alikes apart."""

    id: uuid.UUID
    name: str
    email_domain: str = ""
    registration: str = ""

    @classmethod
    def of(cls, user_id: uuid.UUID, name: str, email: str, registration: str | None) -> DoctorView:
        return cls(user_id, name, email.rsplit("@", 1)[-1], registration or "")


@dataclass(frozen=True)
class TeamMember:
    doctor: DoctorView
    started_at: datetime
    ended_at: datetime | None


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


def is_team_doctor(
    session: Session | Connection, doctor_id: uuid.UUID, patient_id: uuid.UUID
) -> bool:
    """Whether the doctor is on the patient's care team right now (read on every access
    check, never cached)."""
    return (
        session.scalar(
            select(CareAssignment.id).where(
                CareAssignment.patient_id == patient_id,
                CareAssignment.doctor_id == doctor_id,
                CareAssignment.ended_at.is_(None),
            )
        )
        is not None
    )


_DOCTOR_COLUMNS = (User.id, User.name, User.email, User.registration)


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
        stmt = select(*_DOCTOR_COLUMNS).where(User.role == Role.DOCTOR.value)
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
        items = [DoctorView.of(*r) for r in rows[:size]]
        token = encode_page_token(items[-1].name, str(items[-1].id)) if len(rows) > size else ""
        return Page(items, token)

    async def select_doctor(
        self, caller: Caller, *, doctor_id: str, patient_id: str
    ) -> tuple[DoctorView, datetime]:
        """Adds a doctor to the caller's care team (idempotent: a doctor already on it
        keeps the date they joined)."""
        doctor_uuid = validation.required_uuid(doctor_id, "doctor_id")
        self._require_self(caller, patient_id)
        return await self._db.run(self._select_doctor, caller, doctor_uuid)

    def _select_doctor(self, caller: Caller, doctor_id: uuid.UUID) -> tuple[DoctorView, datetime]:
        now = self._clock.now()
        patient_id = caller.user_id
        with self._db.write() as session:
            doctor = session.get(User, doctor_id)
            if doctor is None or doctor.role != Role.DOCTOR.value:
                raise NotFound("no doctor with this id")
            # Serialise concurrent changes to one patient's team on the patient's row.
            session.scalars(select(User.id).where(User.id == patient_id).with_for_update()).one()
            view = DoctorView.of(doctor.id, doctor.name, doctor.email, doctor.registration)
            current = self._current(session, patient_id, doctor_id)
            if current is not None:
                return view, current.started_at
            session.add(CareAssignment(patient_id=patient_id, doctor_id=doctor_id, started_at=now))
            # Joining the team grants access to the patient's records: audited.
            audit.record(
                session,
                at=now,
                caller=caller,
                action="care_team.add",
                resource_type="doctor",
                resource_id=doctor_id,
                patient_id=patient_id,
            )
            return view, now

    async def remove_doctor(self, caller: Caller, *, doctor_id: str) -> datetime:
        """Ends a doctor's membership of the caller's team; NotFound when not on it. The
        plan that doctor wrote stays in force (a change of GP does not stop medication)
        until it ends or a team doctor stops it."""
        doctor_uuid = validation.required_uuid(doctor_id, "doctor_id")
        return await self._db.run(self._remove_doctor, caller, doctor_uuid)

    def _remove_doctor(self, caller: Caller, doctor_id: uuid.UUID) -> datetime:
        now = self._clock.now()
        patient_id = caller.user_id
        with self._db.write() as session:
            session.scalars(select(User.id).where(User.id == patient_id).with_for_update()).one()
            current = self._current(session, patient_id, doctor_id)
            if current is None:
                raise NotFound("this doctor is not on your care team")
            current.ended_at = now
            audit.record(
                session,
                at=now,
                caller=caller,
                action="care_team.remove",
                resource_type="doctor",
                resource_id=doctor_id,
                patient_id=patient_id,
            )
            return now

    async def care_team(self, caller: Caller, *, include_former: bool) -> list[TeamMember]:
        """The caller's current doctors (and, with include_former, the history), newest
        first."""
        return await self._db.run(self._care_team, caller.user_id, include_former)

    def _care_team(self, patient_id: uuid.UUID, include_former: bool) -> list[TeamMember]:
        stmt = (
            select(*_DOCTOR_COLUMNS, CareAssignment.started_at, CareAssignment.ended_at)
            .join(CareAssignment, CareAssignment.doctor_id == User.id)
            .where(CareAssignment.patient_id == patient_id)
            .order_by(CareAssignment.started_at.desc(), CareAssignment.id)
        )
        if not include_former:
            stmt = stmt.where(CareAssignment.ended_at.is_(None))
        with self._db.read() as session:
            rows = session.execute(stmt).all()
        return [TeamMember(DoctorView.of(r[0], r[1], r[2], r[3]), r[4], r[5]) for r in rows]

    async def my_doctor(self, caller: Caller) -> DoctorView:
        """The doctor the caller added to their team last; NotFound with an empty team."""
        team = await self.care_team(caller, include_former=False)
        if not team:
            raise NotFound("no doctor selected yet")
        return team[0].doctor

    @staticmethod
    def _current(
        session: Session, patient_id: uuid.UUID, doctor_id: uuid.UUID
    ) -> CareAssignment | None:
        return session.scalars(
            select(CareAssignment).where(
                CareAssignment.patient_id == patient_id,
                CareAssignment.doctor_id == doctor_id,
                CareAssignment.ended_at.is_(None),
            )
        ).first()

    @staticmethod
    def _require_self(caller: Caller, patient_id: str) -> None:
        requested = validation.parse_uuid(patient_id, "patient_id", required=False)
        if requested is not None and requested != caller.user_id:
            raise PermissionDenied("patients may only change their own care team")

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
