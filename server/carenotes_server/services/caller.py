"""Who is calling: established from a verified token and a database read, per call."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from enum import StrEnum


class Role(StrEnum):
    PATIENT = "PATIENT"
    DOCTOR = "DOCTOR"


@dataclass(frozen=True)
class Caller:
    user_id: uuid.UUID
    role: Role
    session_id: uuid.UUID
    # The user's profile when authentication already read it (saves WhoAmI a query).
    profile: object = field(default=None, compare=False, repr=False)

    @property
    def is_patient(self) -> bool:
        return self.role is Role.PATIENT

    @property
    def is_doctor(self) -> bool:
        return self.role is Role.DOCTOR
