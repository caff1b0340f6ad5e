"""The extraction use case run by the `extract_steps(note_id)` job, free of Dramatiq.

The job message carries the note id only; the text is read and decrypted here, inside
the worker, and never travels through the broker.
"""

from __future__ import annotations

import logging
import uuid
from enum import StrEnum

from sqlalchemy import select

from carenotes_server.db.database import Database
from carenotes_server.db.models import Note, PairKey
from carenotes_server.domain.steps import InvalidSteps, validate_steps
from carenotes_server.extraction.base import ExtractionError, Extractor, TransientExtractionError
from carenotes_server.extraction.fallback import last_attempt_reader
from carenotes_server.services.keys import ClinicalCipher
from carenotes_server.services.notes import NOTE_KIND
from carenotes_server.services.steps.apply import StepsApplier
from carenotes_server.services.views import ExtractionStatus

log = logging.getLogger(__name__)


class JobOutcome(StrEnum):
    DONE = "done"
    ALREADY_SETTLED = "already_settled"
    FAILED = "failed"
    RETRY = "retry"


class ExtractionJob:
    def __init__(
        self, db: Database, cipher: ClinicalCipher, extractor: Extractor, steps: StepsApplier
    ) -> None:
        self._db = db
        self._cipher = cipher
        self._extractor = extractor
        self._steps = steps

    def run(self, note_id: uuid.UUID, *, last_attempt: bool) -> JobOutcome:
        """Extracts and applies a note's steps. RETRY means: raise so the broker retries."""
        text = self._pending_note_text(note_id)
        if text is None:
            return JobOutcome.ALREADY_SETTLED
        # On the last attempt the provider had its retries; the offline extractor reads
        # the note instead.
        extract = last_attempt_reader(self._extractor) if last_attempt else self._extractor.extract
        try:
            steps = validate_steps(extract(text))
        except TransientExtractionError as exc:
            if not last_attempt:
                log.info("extraction will be retried", extra={"note_id": str(note_id)})
                return JobOutcome.RETRY
            self._steps.mark_failed(note_id, f"extractor unavailable after retries: {exc}")
            return JobOutcome.FAILED
        except ExtractionError as exc:
            self._steps.mark_failed(note_id, str(exc) or "the extractor's answer was invalid")
            return JobOutcome.FAILED
        except InvalidSteps as exc:
            # The stored reason names positions and bounds only; the detail that names
            # the items by their text is sealed with the note's key.
            self._steps.mark_failed(
                note_id,
                f"extracted steps refused: {exc}"[:300],
                detail=f"extracted steps refused: {exc.detail()}",
            )
            return JobOutcome.FAILED
        producer = steps.produced_by or self._extractor.name
        applied = self._steps.apply_extraction(note_id, steps, producer)
        return JobOutcome.DONE if applied else JobOutcome.ALREADY_SETTLED

    def _pending_note_text(self, note_id: uuid.UUID) -> str | None:
        with self._db.write() as session:
            row = session.execute(
                select(Note, PairKey)
                .join(PairKey, PairKey.id == Note.pair_key_id)
                .where(Note.id == note_id)
            ).first()
            if row is None or row[0].extraction_status != ExtractionStatus.PENDING.value:
                return None
            note, key = row[0], row[1]
            note.extraction_attempts += 1
            return self._cipher.open(key, NOTE_KIND, note.id, note.ciphertext)
