"""Record-level access rules, read from the database on every call.

A patient reaches their own records. A doctor reaches a patient's records (every plan
in force, whoever wrote it, for safe prescribing) only while on that patient's care
team (a removed doctor loses access at once), and a note only if they also wrote it.
Every read is audited with it; every denial in a transaction of its own.
"""

from __future__ import annotations

import uuid

from sqlalchemy import Connection
from sqlalchemy.orm import Session

from carenotes_server.clock import Clock
from carenotes_server.db.database import Database
from carenotes_server.domain.errors import PermissionDenied
from carenotes_server.services import audit
from carenotes_server.services.caller import Caller
from carenotes_server.services.care_team import is_team_doctor


def resolve_patient(caller: Caller, patient_id: uuid.UUID | None) -> uuid.UUID | None:
    """A patient may omit their own id; a doctor must name the patient."""
    if patient_id is None and caller.is_patient:
        return caller.user_id
    return patient_id


def may_read_patient(session: Session | Connection, caller: Caller, patient_id: uuid.UUID) -> bool:
    if caller.is_patient:
        return caller.user_id == patient_id
    return is_team_doctor(session, caller.user_id, patient_id)


def deny(
    db: Database,
    clock: Clock,
    caller: Caller,
    *,
    action: str,
    resource_type: str,
    resource_id: uuid.UUID | str | None,
    patient_id: uuid.UUID | None,
    reason: str,
) -> None:
    """Writes the audit row of a denied access (committed even though the call fails)."""
    with db.write() as session:
        audit.record(
            session,
            at=clock.now(),
            caller=caller,
            action=action,
            resource_type=resource_type,
            resource_id=resource_id,
            patient_id=patient_id,
            outcome=audit.Outcome.DENIED,
            reason=reason,
        )


def denied(message: str = "you may not access this patient's records") -> PermissionDenied:
    return PermissionDenied(message)
