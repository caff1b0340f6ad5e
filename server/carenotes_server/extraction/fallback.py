"""An LLM extractor with the offline rules extractor behind it.

When the provider stays unreachable (TransientExtractionError once its own retries and
the job queue's are spent), the note is read by the rules extractor instead of being
FAILED: the doctor gets steps at once, marked with the extractor that produced them
(`ExtractedSteps.produced_by`) and a warning saying so. Answers the provider did give
but that break the rules (ExtractionError, InvalidSteps) are never replaced: a model
that misreads a note must not be papered over.

A preview has no later attempt to wait for: it falls back at once, so the doctor sees
what the note would give now, marked the same way.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace

from carenotes_server.domain.steps import MAX_WARNINGS, ExtractedSteps
from carenotes_server.extraction.base import Extractor, TransientExtractionError

logger = logging.getLogger(__name__)


class FallbackExtractor:
    """`extract` asks the primary extractor only, so that a busy provider is retried
    by the job queue as before; `extract_or_fall_back` is for the last attempt."""

    def __init__(self, primary: Extractor, fallback: Extractor) -> None:
        self._primary = primary
        self._fallback = fallback

    @property
    def name(self) -> str:
        return self._primary.name

    def extract(self, note: str) -> ExtractedSteps:
        return self._primary.extract(note)

    def extract_or_fall_back(self, note: str) -> ExtractedSteps:
        try:
            return self._primary.extract(note)
        except TransientExtractionError as error:
            logger.warning(
                "extractor unreachable; falling back",
                extra={
                    "provider": self._primary.name,
                    "fallback": self._fallback.name,
                    "reason": str(error),
                },
            )
        steps = self._fallback.extract(note)
        said = (
            f"The {self._primary.name} extractor could not be reached; the offline "
            f"{self._fallback.name} extractor read this note."
        )
        return replace(
            steps,
            produced_by=self._fallback.name,
            warnings=(said, *steps.warnings)[:MAX_WARNINGS],
        )


def last_attempt_reader(extractor: Extractor) -> Callable[[str], ExtractedSteps]:
    """How to read a note when no retry will follow (a job's last attempt, a preview):
    with the fallback behind an unreachable LLM, when the extractor has one."""
    if isinstance(extractor, FallbackExtractor):
        return extractor.extract_or_fall_back
    return extractor.extract
