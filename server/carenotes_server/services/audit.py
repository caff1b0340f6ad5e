"""The audit trail: who touched which clinical record, when, and with what outcome.

Rows hold ids and short codes only (never note or step text). They are written in the
same transaction as the access they record; denials are written in a transaction of
their own so that the rollback of the denied operation cannot erase them.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Connection, insert, select
from sqlalchemy.orm import Session

from carenotes_server.db.models import AuditEvent
from carenotes_server.services.caller import Caller


class Outcome(StrEnum):
    ALLOWED = "allowed"
    DENIED = "denied"
    FAILED = "failed"


_INSERT = insert(AuditEvent)


def row(
    *,
    at: datetime,
    caller: Caller | None,
    action: str,
    resource_type: str,
    resource_id: uuid.UUID | str | None,
    patient_id: uuid.UUID | None,
    outcome: Outcome = Outcome.ALLOWED,
    reason: str | None = None,
) -> dict[str, object]:
    """The parameters of one audit row."""
    return {
        "at": at,
        "actor_id": caller.user_id if caller else None,
        "actor_role": caller.role.value if caller else None,
        "action": action,
        "resource_type": resource_type,
        "resource_id": str(resource_id) if resource_id is not None else None,
        "patient_id": patient_id,
        "outcome": outcome.value,
        "reason": reason,
    }


def record(
    session: Session,
    *,
    at: datetime,
    caller: Caller | None,
    action: str,
    resource_type: str,
    resource_id: uuid.UUID | str | None,
    patient_id: uuid.UUID | None,
    outcome: Outcome = Outcome.ALLOWED,
    reason: str | None = None,
) -> None:
    # One prebuilt Core INSERT with parameters: no statement construction and no
    # identity-map bookkeeping per call (audit rows are written on every clinical read).
    session.execute(
        _INSERT,
        row(
            at=at,
            caller=caller,
            action=action,
            resource_type=resource_type,
            resource_id=resource_id,
            patient_id=patient_id,
            outcome=outcome,
            reason=reason,
        ),
    )


def record_many(db: Session | Connection, rows: Sequence[dict[str, object]]) -> None:
    """Many rows in one executemany (one round trip on PostgreSQL)."""
    if rows:
        db.execute(_INSERT, list(rows))


def list_events(
    session: Session, *, patient_id: uuid.UUID | None = None, limit: int = 1000
) -> Sequence[AuditEvent]:
    stmt = select(AuditEvent).order_by(AuditEvent.id).limit(limit)
    if patient_id is not None:
        stmt = stmt.where(AuditEvent.patient_id == patient_id)
    return session.scalars(stmt).all()
