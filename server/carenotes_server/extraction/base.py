"""The one interface every extractor implements."""

from __future__ import annotations

from typing import Protocol

from carenotes_server.domain.steps import ExtractedSteps


class ExtractionError(Exception):
    """Extraction failed for good (invalid answer): mark the note FAILED, schedule nothing.

    The message is stored as the failure reason and shown to users: it must not quote
    the note or the model's answer (PHI).
    """


class TransientExtractionError(ExtractionError):
    """The provider is busy or unreachable; the job may be retried with backoff."""


class Extractor(Protocol):
    """Turns one note into steps. Implementations are thread-safe and side-effect free."""

    @property
    def name(self) -> str:
        """Stable name stored with the steps: "rules", "gemini" or "openai"."""
        ...

    def extract(self, note: str) -> ExtractedSteps:
        """Returns validated steps, or raises ExtractionError / TransientExtractionError."""
        ...
