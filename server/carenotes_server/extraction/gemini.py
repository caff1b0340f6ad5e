"""Extractor backed by Gemini through the google-genai SDK, with structured JSON output.

Retries of 408/429/5xx, timeouts and connection errors are left to the SDK (tenacity,
configured through HttpRetryOptions); once they are exhausted the failure is reported
as TransientExtractionError so the job queue can back off. Everything else (other 4xx,
blocked or empty candidates, answers that fail parse_llm_answer) is an ExtractionError.
Neither the note nor the answer is ever logged or put into an error message.
"""

from __future__ import annotations

import importlib
import logging
from typing import Final

from google import genai
from google.genai import errors as genai_errors
from google.genai import types

from carenotes_server.extraction.base import ExtractionError, TransientExtractionError
from carenotes_server.extraction.llm_base import LlmExtractor
from carenotes_server.extraction.llm_schema import ANSWER_JSON_SCHEMA
from carenotes_server.extraction.prompt import SYSTEM_INSTRUCTION, frame_note
from carenotes_server.extraction.sanitize import SplitNote

logger = logging.getLogger(__name__)

RETRYABLE_STATUS_CODES: Final = (408, 429, 500, 502, 503, 504)


def _transport_errors() -> tuple[type[BaseException], ...]:
    # The SDK sends through httpx2 or httpx, whichever is installed, and re-raises their
    # transport errors (timeouts, refused connections, dropped sockets) once its retries
    # are exhausted. Resolved at import so either backend is recognised.
    found: list[type[BaseException]] = []
    for module_name in ("httpx2", "httpx"):
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        found.append(module.TransportError)
    return tuple(found)


TRANSPORT_ERRORS: Final = _transport_errors()


class GeminiExtractor(LlmExtractor):
    """Thread-safe: one genai.Client (one connection pool) shared by every call."""

    def __init__(
        self,
        api_key: str,
        model: str = "gemini-2.5-flash",
        timeout_seconds: float = 20.0,
        attempts: int = 3,
        base_url: str | None = None,
        *,
        retry_initial_delay_seconds: float = 1.0,
    ) -> None:
        if not api_key:
            raise ValueError("GeminiExtractor needs an API key")
        if timeout_seconds <= 0:
            raise ValueError("timeout_seconds must be positive")
        if attempts < 1:
            raise ValueError("attempts must be at least 1")
        self._model = model
        retry = types.HttpRetryOptions(
            attempts=attempts,
            initial_delay=retry_initial_delay_seconds,
            max_delay=max(retry_initial_delay_seconds * 8, 1.0),
            exp_base=2.0,
            # The SDK's default jitter is a full second, which would dwarf short delays.
            jitter=retry_initial_delay_seconds / 2,
            http_status_codes=list(RETRYABLE_STATUS_CODES),
        )
        self._client = genai.Client(
            api_key=api_key,
            http_options=types.HttpOptions(
                base_url=base_url,
                # The SDK takes milliseconds, per attempt; a hang costs at most
                # attempts * timeout plus the backoff delays.
                timeout=max(1, round(timeout_seconds * 1000)),
                retry_options=retry,
            ),
        )
        self._config = types.GenerateContentConfig(
            system_instruction=SYSTEM_INSTRUCTION,
            response_mime_type="application/json",
            response_json_schema=ANSWER_JSON_SCHEMA,
            temperature=0.0,
            candidate_count=1,
            # No tools are offered; saying so skips the SDK's function-calling loop.
            automatic_function_calling=types.AutomaticFunctionCallingConfig(disable=True),
        )

    @property
    def name(self) -> str:
        return "gemini"

    def close(self) -> None:
        self._client.close()

    def _answer_text(self, split: SplitNote) -> str:
        # `from None` everywhere: SDK exception messages may embed response bodies, and
        # a chained cause would be printed with any logged traceback.
        try:
            response = self._client.models.generate_content(
                model=self._model, contents=frame_note(split), config=self._config
            )
        except genai_errors.APIError as error:
            if error.code in RETRYABLE_STATUS_CODES:
                raise TransientExtractionError(
                    f"gemini is unavailable (HTTP {error.code}) after retries"
                ) from None
            raise ExtractionError(f"gemini rejected the request (HTTP {error.code})") from None
        except TRANSPORT_ERRORS as error:
            raise TransientExtractionError(
                f"gemini could not be reached ({type(error).__name__}) after retries"
            ) from None
        except ValueError:
            # pydantic ValidationError / JSON errors while the SDK reads a malformed body.
            raise ExtractionError("gemini returned a response that could not be read") from None
        return _candidate_text(response)


def _enum_name(value: object) -> str:
    # Only echo values we know: a reason is shown to users.
    if (
        isinstance(value, types.FinishReason | types.BlockedReason)
        and value.name in type(value).__members__
    ):
        return value.name
    return "UNKNOWN"


def _candidate_text(response: types.GenerateContentResponse) -> str:
    feedback = response.prompt_feedback
    if feedback is not None and feedback.block_reason is not None:
        raise ExtractionError(f"gemini blocked the prompt ({_enum_name(feedback.block_reason)})")
    if not response.candidates:
        raise ExtractionError("gemini returned no candidate")
    candidate = response.candidates[0]
    if candidate.finish_reason != types.FinishReason.STOP:
        raise ExtractionError(
            f"gemini did not finish its answer ({_enum_name(candidate.finish_reason)})"
        )
    parts = candidate.content.parts if candidate.content and candidate.content.parts else []
    # Thought parts are the model's reasoning, not its answer.
    text = "".join(p.text for p in parts if p.text is not None and not p.thought)
    if not text.strip():
        raise ExtractionError("gemini returned an empty answer")
    return text
