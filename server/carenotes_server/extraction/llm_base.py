"""What every LLM extractor does around its provider call, written once.

A subclass only says how to ask its provider for the answer text; the untrusted-note
split, the strict parsing, and PHI-free logging of the outcome are shared.
"""

from __future__ import annotations

import abc
import logging
import time

from carenotes_server.domain.steps import ExtractedSteps, InvalidSteps
from carenotes_server.extraction.base import ExtractionError, TransientExtractionError
from carenotes_server.extraction.llm_schema import parse_llm_answer
from carenotes_server.extraction.sanitize import SplitNote, split_untrusted

logger = logging.getLogger(__name__)


class LlmExtractor(abc.ABC):
    _model: str

    @property
    @abc.abstractmethod
    def name(self) -> str: ...

    @abc.abstractmethod
    def _answer_text(self, split: SplitNote) -> str:
        """The provider's raw answer for the note's clinical sentences; raises
        ExtractionError / TransientExtractionError on provider failures."""

    def extract(self, note: str) -> ExtractedSteps:
        split = split_untrusted(note)
        if not split.clinical:
            return ExtractedSteps()  # nothing clinical: no call, nothing to schedule
        started = time.monotonic()
        try:
            steps = parse_llm_answer(self._answer_text(split), split)
        except (ExtractionError, InvalidSteps) as error:
            logger.warning(
                "llm extraction failed",
                extra={
                    "provider": self.name,
                    "model": self._model,
                    "reason": str(error),
                    "transient": isinstance(error, TransientExtractionError),
                },
            )
            raise
        logger.info(
            "llm extraction done",
            extra={
                "provider": self.name,
                "model": self._model,
                "seconds": round(time.monotonic() - started, 3),
            },
        )
        return steps
