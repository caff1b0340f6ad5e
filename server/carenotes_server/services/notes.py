"""Clinical notes: encrypted storage, access rules, and the start of their extraction."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Callable, Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from carenotes_server.clock import Clock
from carenotes_server.db.database import Database
from carenotes_server.db.models import Note, User
from carenotes_server.domain import validation
from carenotes_server.domain.errors import (
    FieldViolation,
    InvalidArgument,
    NotFound,
    PermissionDenied,
)
from carenotes_server.domain.pagination import decode_page_token, encode_page_token
from carenotes_server.services import access, audit
from carenotes_server.services.caller import Caller
from carenotes_server.services.care_team import Page, is_team_doctor
from carenotes_server.services.keys import ClinicalCipher
from carenotes_server.services.note_warnings import open_warnings
from carenotes_server.services.views import ExtractionStatus, NoteView, SubmittedNote

log = logging.getLogger(__name__)

NOTE_KIND = "note"
NOTE_FAILURE_KIND = "note_failure"
# A note's extraction is enqueued after its row commits; if the broker is down the
# scheduler re-enqueues notes still PENDING after CARENOTES_NOTE_REQUEUE_SECONDS (the
# database is the source of truth, the message only a wake-up call).
Enqueue = Callable[[uuid.UUID], None]


class NotesService:
    def __init__(
        self,
        db: Database,
        cipher: ClinicalCipher,
        clock: Clock,
        enqueue_extraction: Enqueue,
    ) -> None:
        self._db = db
        self._cipher = cipher
        self._clock = clock
        self._enqueue = enqueue_extraction

    async def submit(
        self,
        caller: Caller,
        *,
        patient_id: str,
        note: str,
        doctor_id: str,
        wait_for_steps: bool,
        wait_seconds: float | None,
    ) -> SubmittedNote:
        patient = validation.required_uuid(patient_id, "patient_id")
        author = validation.parse_uuid(doctor_id, "doctor_id", required=False)
        violation = validation.note_text_violation(note)
        if violation:
            raise InvalidArgument(violation)
        if author is not None and author != caller.user_id:
            # Writing as someone else: refused, and audited as an attempt.
            await self._db.run(
                access.deny,
                self._db,
                self._clock,
                caller,
                action="note.write",
                resource_type="note",
                resource_id=None,
                patient_id=patient,
                reason="doctor_id_mismatch",
            )
            raise PermissionDenied("doctor_id must be your own id")
        note_id = await self._db.run(self._store, caller, patient, note)
        try:
            self._enqueue(note_id)
        except Exception:  # noqa: BLE001 - the broker is down: the note is safe, the scheduler retries
            log.warning(
                "extraction enqueue failed; will be retried", extra={"note_id": str(note_id)}
            )
        status, reason = ExtractionStatus.PENDING, ""
        if wait_for_steps:
            status, reason = await self._wait_for_extraction(note_id, wait_seconds)
        return SubmittedNote(note_id, status, reason, None)

    def _store(self, caller: Caller, patient_id: uuid.UUID, text: str) -> uuid.UUID:
        now = self._clock.now()
        with self._db.write() as session:
            # Lock the patient's row: notes of one patient get strictly increasing
            # sequence numbers, which decide whose steps win when extractions race.
            patient = session.scalars(
                select(User).where(User.id == patient_id).with_for_update()
            ).first()
            allowed = patient is not None and is_team_doctor(session, caller.user_id, patient_id)
            if allowed:
                key = self._cipher.pair_key(session, patient_id, caller.user_id, now)
                sequence = (
                    session.scalar(
                        select(func.max(Note.sequence)).where(Note.patient_id == patient_id)
                    )
                    or 0
                ) + 1
                note_id = uuid.uuid4()
                session.add(
                    Note(
                        id=note_id,
                        patient_id=patient_id,
                        doctor_id=caller.user_id,
                        pair_key_id=key.id,
                        ciphertext=self._cipher.seal(key, NOTE_KIND, note_id, text),
                        created_at=now,
                        sequence=sequence,
                        extraction_status=ExtractionStatus.PENDING.value,
                        extraction_attempts=0,
                    )
                )
                audit.record(
                    session,
                    at=now,
                    caller=caller,
                    action="note.write",
                    resource_type="note",
                    resource_id=note_id,
                    patient_id=patient_id,
                )
                return note_id
        access.deny(
            self._db,
            self._clock,
            caller,
            action="note.write",
            resource_type="note",
            resource_id=None,
            patient_id=patient_id,
            reason="not_current_doctor",
        )
        raise PermissionDenied("only a doctor on the patient's care team may write notes for them")

    async def _wait_for_extraction(
        self, note_id: uuid.UUID, wait_seconds: float | None
    ) -> tuple[ExtractionStatus, str]:
        """Polls the note's status (the DB decides) until it settles or time runs out."""
        deadline = time.monotonic() + (wait_seconds if wait_seconds is not None else 30.0)
        delay = 0.005
        while True:
            status, reason = await self._db.run(self._status_of, note_id)
            if status is not ExtractionStatus.PENDING or time.monotonic() + delay >= deadline:
                return status, reason
            await asyncio.sleep(delay)
            delay = min(delay * 1.5, 0.1)

    def _status_of(self, note_id: uuid.UUID) -> tuple[ExtractionStatus, str]:
        with self._db.read() as session:
            note = session.get(Note, note_id)
            assert note is not None
            status = ExtractionStatus(note.extraction_status)
            if status is ExtractionStatus.PENDING:
                return status, ""
            return status, self._failure_of(session, note)

    def _failure_of(self, session: Session, note: Note) -> str:
        """The reason the readers of a note see: the sealed detail that names the items
        when there is one, else the PHI-free reason."""
        if note.failure_detail is None:
            return note.failure_reason or ""
        key = self._cipher.keys(session, {note.pair_key_id})[note.pair_key_id]
        return self._cipher.open(key, NOTE_FAILURE_KIND, note.id, note.failure_detail)

    async def list_notes(
        self, caller: Caller, *, patient_id: str, page_size: int, page_token: str
    ) -> Page[NoteView]:
        patient = access.resolve_patient(
            caller, validation.parse_uuid(patient_id, "patient_id", required=caller.is_doctor)
        )
        assert patient is not None
        size = validation.page_size(page_size)
        after = decode_page_token(page_token, 1)
        if after is not None and not isinstance(after[0], int):
            raise InvalidArgument(
                FieldViolation("page_token", "is not a page token from a previous response")
            )
        return await self._db.run(self._list, caller, patient, size, after)

    def _list(
        self, caller: Caller, patient_id: uuid.UUID, size: int, after: list[str | int] | None
    ) -> Page[NoteView]:
        now = self._clock.now()
        with self._db.write() as session:
            if access.may_read_patient(session, caller, patient_id):
                stmt = select(Note).where(Note.patient_id == patient_id)
                if caller.is_doctor:  # a doctor reads only the notes they wrote
                    stmt = stmt.where(Note.doctor_id == caller.user_id)
                if after is not None:
                    stmt = stmt.where(Note.sequence < int(after[0]))
                rows = session.scalars(stmt.order_by(Note.sequence.desc()).limit(size + 1)).all()
                views = self._views(session, rows[:size], caller)
                for v in views:
                    audit.record(
                        session,
                        at=now,
                        caller=caller,
                        action="note.read",
                        resource_type="note",
                        resource_id=v.id,
                        patient_id=patient_id,
                    )
                token = encode_page_token(rows[size - 1].sequence) if len(rows) > size else ""
                return Page(views, token)
        access.deny(
            self._db,
            self._clock,
            caller,
            action="note.list",
            resource_type="patient",
            resource_id=patient_id,
            patient_id=patient_id,
            reason="not_allowed",
        )
        raise access.denied()

    async def get(self, caller: Caller, note_id: str) -> NoteView:
        note_uuid = validation.required_uuid(note_id, "note_id")
        return await self._db.run(self._get, caller, note_uuid)

    def _get(self, caller: Caller, note_id: uuid.UUID) -> NoteView:
        now = self._clock.now()
        with self._db.write() as session:
            note = session.get(Note, note_id)
            if note is not None and self._may_read_note(session, caller, note):
                view = self._views(session, [note], caller)[0]
                audit.record(
                    session,
                    at=now,
                    caller=caller,
                    action="note.read",
                    resource_type="note",
                    resource_id=note.id,
                    patient_id=note.patient_id,
                )
                return view
            patient_id = note.patient_id if note is not None else None
        access.deny(
            self._db,
            self._clock,
            caller,
            action="note.read",
            resource_type="note",
            resource_id=note_id,
            patient_id=patient_id,
            reason="not_allowed",
        )
        # NOT_FOUND, not PERMISSION_DENIED: a stranger must not learn that the id exists.
        raise NotFound("no such note")

    @staticmethod
    def _may_read_note(session: Session, caller: Caller, note: Note) -> bool:
        if caller.is_patient:
            return note.patient_id == caller.user_id
        return note.doctor_id == caller.user_id and is_team_doctor(
            session, caller.user_id, note.patient_id
        )

    def _views(self, session: Session, notes: Sequence[Note], caller: Caller) -> list[NoteView]:
        keys = self._cipher.keys(session, {n.pair_key_id for n in notes})

        def warnings(n: Note) -> tuple[str, ...]:
            # The author can rewrite what was left out; a patient reading their note
            # would take "Left out ..." for an instruction, so they never get them.
            if n.doctor_id != caller.user_id:
                return ()
            return open_warnings(self._cipher, keys[n.pair_key_id], n.id, n.warnings)

        return [
            NoteView(
                id=n.id,
                patient_id=n.patient_id,
                doctor_id=n.doctor_id,
                text=self._cipher.open(keys[n.pair_key_id], NOTE_KIND, n.id, n.ciphertext),
                created_at=n.created_at,
                extraction_status=ExtractionStatus(n.extraction_status),
                failure_reason=self._failure_of(session, n),
                extractor=n.extractor or "",
                warnings=warnings(n),
            )
            for n in notes
        ]
