"""Many patients for the morning peak, written straight into the stack's database.

Signing up and logging in 20,000 patients through the API would take most of an hour
(every password is hashed with bcrypt, as it should be). The rows written here are the
ones the API would write, with the stack's own keys: each patient has a care team, a
pair key wrapped by the stack's master key, a note, one sealed plan item (so that the
stream decrypts a real text), a live login session and an access token signed with the
stack's secret, and one reminder already SENT (the primer whose replay tells a stream
client that its stream is open).
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, update

from carenotes_server.clock import SystemClock
from carenotes_server.config import Settings
from carenotes_server.db.database import Database
from carenotes_server.db.models import (
    AuthSession,
    CareAssignment,
    Note,
    PlanItem,
    Reminder,
    StepSet,
    User,
)
from carenotes_server.domain.tokens import TokenService, TokenType
from carenotes_server.services.hashing import make_context
from carenotes_server.services.keys import ClinicalCipher
from carenotes_server.services.reminders.views import PLAN_KIND

CHUNK = 500
ITEM_TEXT = "Take amoxicillin 500 mg"


@dataclass(frozen=True)
class PeakPatient:
    id: uuid.UUID
    token: str
    primer: uuid.UUID
    plan_item_id: uuid.UUID
    note_id: uuid.UUID


def create_patients(settings: Settings, doctor_id: uuid.UUID, count: int) -> list[PeakPatient]:
    db = Database(settings.database_url, threads=1)
    cipher = ClinicalCipher(settings.keyring)
    tokens = TokenService(
        settings.jwt_secret,
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        access_ttl=timedelta(hours=3),  # the run is long; the API's are short
        refresh_ttl=settings.refresh_token_ttl,
        clock=SystemClock(),
    )
    # One real hash of a password nobody knows: these patients never log in.
    password_hash = make_context().hash(secrets.token_urlsafe(16))
    out: list[PeakPatient] = []
    try:
        for start in range(0, count, CHUNK):
            out += _chunk(db, cipher, tokens, doctor_id, password_hash, min(CHUNK, count - start))
    finally:
        db.dispose()
    return out


def _chunk(
    db: Database,
    cipher: ClinicalCipher,
    tokens: TokenService,
    doctor_id: uuid.UUID,
    password_hash: str,
    count: int,
) -> list[PeakPatient]:
    now = datetime.now(UTC)
    patients = [uuid.uuid4() for _ in range(count)]
    out: list[PeakPatient] = []
    with db.write() as session:
        session.execute(
            insert(User),
            [
                {
                    "id": pid,
                    "email": f"peak-{pid.hex}@example.org",
                    "name": f"Peak {pid.hex[:8]}",
                    "role": "PATIENT",
                    "timezone": "UTC",
                    "password_hash": password_hash,
                    "created_at": now,
                    "password_changed_at": now,
                    "reminder_seq": 1,
                }
                for pid in patients
            ],
        )
        session.execute(
            insert(CareAssignment),
            [{"patient_id": pid, "doctor_id": doctor_id, "started_at": now} for pid in patients],
        )
        notes, step_sets, items, primers, sessions = [], [], [], [], []
        for pid in patients:
            key = cipher.pair_key(session, pid, doctor_id, now)
            note_id, set_id, item_id, primer = (uuid.uuid4() for _ in range(4))
            notes.append(
                {
                    "id": note_id,
                    "patient_id": pid,
                    "doctor_id": doctor_id,
                    "pair_key_id": key.id,
                    "ciphertext": b"not read by the peak",
                    "created_at": now,
                    "sequence": 1,
                    "extraction_status": "DONE",
                }
            )
            step_sets.append(
                {
                    "id": set_id,
                    "note_id": note_id,
                    "patient_id": pid,
                    "doctor_id": doctor_id,
                    "note_sequence": 1,
                    "extractor": "rules",
                    "created_at": now,
                    "outcome": "CHANGED",
                    "checklist_added": 0,
                }
            )
            items.append(
                {
                    "id": item_id,
                    "step_set_id": set_id,
                    "patient_id": pid,
                    "position": 0,
                    "pair_key_id": key.id,
                    "ciphertext": cipher.seal(key, PLAN_KIND, item_id, ITEM_TEXT),
                    "times_per_day": 1,
                    "every_hours": 0,
                    "every_days": 1,
                    "duration_days": 30,
                    "occurrences": 30,
                    "start_in_days": 0,
                    "as_needed": False,
                    "times_of_day": "",
                    "days_of_week": "",
                    "anchor_at": now,
                    "expanded_until": now + timedelta(days=30),
                    "active": True,
                    "doses_made_up": 0,
                    "makeup_allowed": True,
                }
            )
            primers.append(
                _reminder(primer, item_id, pid, note_id, 0, now - timedelta(seconds=1), now)
                | {"status": "SENT", "sent_at": now, "delivery_seq": 1}
            )
            session_id = uuid.uuid4()
            refresh = tokens.issue(TokenType.REFRESH, pid, "PATIENT", session_id)
            access = tokens.issue(TokenType.ACCESS, pid, "PATIENT", session_id)
            sessions.append(
                {
                    "id": session_id,
                    "user_id": pid,
                    "created_at": now,
                    "expires_at": refresh.claims.expires_at,
                    "current_refresh_jti": refresh.claims.token_id,
                }
            )
            out.append(PeakPatient(pid, access.token, primer, item_id, note_id))
        for model, rows in (
            (Note, notes),
            (StepSet, step_sets),
            (PlanItem, items),
            (Reminder, primers),
            (AuthSession, sessions),
        ):
            session.execute(insert(model), rows)
    return out


def _reminder(
    rid: uuid.UUID,
    item_id: uuid.UUID,
    patient_id: uuid.UUID,
    note_id: uuid.UUID,
    sequence: int,
    due: datetime,
    now: datetime,
) -> dict[str, object]:
    return {
        "id": rid,
        "plan_item_id": item_id,
        "patient_id": patient_id,
        "note_id": note_id,
        "sequence": sequence,
        "due_at": due,
        "window_ends_at": due + timedelta(hours=12),
        "status": "SCHEDULED",
        "makeup_depth": 0,
        "created_at": now,
    }


def make_due(settings: Settings, patients: list[PeakPatient], due: datetime) -> list[uuid.UUID]:
    """One reminder per patient, all due at the same instant; their ids."""
    db = Database(settings.database_url, threads=1)
    now = datetime.now(UTC)
    ids = [uuid.uuid4() for _ in patients]
    try:
        for start in range(0, len(patients), CHUNK):
            chunk = list(
                zip(ids[start : start + CHUNK], patients[start : start + CHUNK], strict=True)
            )
            with db.write() as session:
                session.execute(
                    insert(Reminder),
                    [
                        _reminder(rid, p.plan_item_id, p.id, p.note_id, 1, due, now)
                        for rid, p in chunk
                    ],
                )
    finally:
        db.dispose()
    return ids


def close_primers(settings: Settings, patients: list[PeakPatient]) -> None:
    """The primers have done their job: TAKEN, so no later replay carries them."""
    db = Database(settings.database_url, threads=1)
    try:
        with db.write() as session:
            session.execute(
                update(Reminder)
                .where(Reminder.id.in_([p.primer for p in patients]))
                .values(status="TAKEN", acknowledged_at=datetime.now(UTC))
            )
    finally:
        db.dispose()
