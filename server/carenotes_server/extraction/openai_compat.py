"""Extractor backed by any OpenAI-compatible chat completions endpoint, with json_schema output.

The openai SDK is an optional extra ("carenotes[openai]"), imported only when this
extractor is built, so the rest of the package works without it. Retries (408, 409,
429, 5xx, timeouts, connection errors, honouring Retry-After) are the SDK's; once they
are exhausted the failure is a TransientExtractionError. Other 4xx, refusals, truncated
or empty answers and answers that fail parse_llm_answer are ExtractionErrors. Neither
the note nor the answer is ever logged or put into an error message.
"""

from __future__ import annotations

import importlib
import logging
from typing import TYPE_CHECKING, Final

from carenotes_server.extraction.base import ExtractionError, TransientExtractionError
from carenotes_server.extraction.llm_base import LlmExtractor
from carenotes_server.extraction.llm_schema import ANSWER_JSON_SCHEMA
from carenotes_server.extraction.prompt import SYSTEM_INSTRUCTION, frame_note
from carenotes_server.extraction.sanitize import SplitNote

if TYPE_CHECKING:
    from types import ModuleType

    from openai import OpenAI
    from openai.types.chat import ChatCompletion
    from openai.types.shared_params import ResponseFormatJSONSchema

logger = logging.getLogger(__name__)

TRANSIENT_STATUS_CODES: Final = frozenset({408, 409, 429, 500, 502, 503, 504})


def _import_openai() -> ModuleType:
    try:
        return importlib.import_module("openai")
    except ImportError as error:
        raise ImportError(
            "OpenAICompatExtractor needs the openai package: install carenotes[openai]"
        ) from error


def _response_format() -> ResponseFormatJSONSchema:
    return {
        "type": "json_schema",
        "json_schema": {"name": "carenotes_steps", "strict": True, "schema": ANSWER_JSON_SCHEMA},
    }


class OpenAICompatExtractor(LlmExtractor):
    """Thread-safe: one openai.OpenAI client (one connection pool) shared by every call."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        model: str,
        timeout_seconds: float = 20.0,
        max_retries: int = 2,
    ) -> None:
        if timeout_seconds <= 0:
            raise ValueError("timeout_seconds must be positive")
        if max_retries < 0:
            raise ValueError("max_retries must not be negative")
        self._openai = _import_openai()
        self._model = model
        self._client: OpenAI = self._openai.OpenAI(
            base_url=base_url, api_key=api_key, timeout=timeout_seconds, max_retries=max_retries
        )

    @property
    def name(self) -> str:
        return "openai"

    def close(self) -> None:
        self._client.close()

    def _answer_text(self, split: SplitNote) -> str:
        sdk = self._openai
        # `from None` everywhere: SDK exception messages may embed response bodies, and
        # a chained cause would be printed with any logged traceback.
        try:
            completion: ChatCompletion = self._client.chat.completions.create(
                model=self._model,
                messages=[
                    {"role": "system", "content": SYSTEM_INSTRUCTION},
                    {"role": "user", "content": frame_note(split)},
                ],
                response_format=_response_format(),
                temperature=0,
                n=1,
            )
        except sdk.APIConnectionError as error:  # APITimeoutError is a subclass
            raise TransientExtractionError(
                f"openai endpoint could not be reached ({type(error).__name__}) after retries"
            ) from None
        except sdk.APIStatusError as error:
            code = error.status_code
            if code in TRANSIENT_STATUS_CODES:
                raise TransientExtractionError(
                    f"openai endpoint is unavailable (HTTP {code}) after retries"
                ) from None
            raise ExtractionError(f"openai endpoint rejected the request (HTTP {code})") from None
        except (sdk.APIResponseValidationError, ValueError):
            raise ExtractionError(
                "openai endpoint returned a response that could not be read"
            ) from None
        return _choice_text(completion)


def _choice_text(completion: object) -> str:
    # The SDK builds response objects without validating them (so that lenient
    # OpenAI-compatible servers still work), and returns a non-JSON body as a bare str:
    # every field is type-checked before use.
    if not hasattr(completion, "choices"):
        raise ExtractionError("openai endpoint returned a response that could not be read")
    choices: object = completion.choices
    if not isinstance(choices, list) or not choices:
        raise ExtractionError("openai endpoint returned no choice")
    choice: object = choices[0]
    message: object = getattr(choice, "message", None)
    if not hasattr(message, "content"):
        raise ExtractionError("openai endpoint returned a response that could not be read")
    if getattr(message, "refusal", None):
        raise ExtractionError("openai model refused to answer")
    finish_reason: object = getattr(choice, "finish_reason", None)
    if finish_reason != "stop":
        # Only echo reasons we know: a reason is shown to users.
        known = {"length", "content_filter", "tool_calls", "function_call"}
        shown = (
            finish_reason
            if isinstance(finish_reason, str) and finish_reason in known
            else "unknown"
        )
        raise ExtractionError(f"openai model did not finish its answer ({shown})")
    content: object = getattr(message, "content", None)
    if not isinstance(content, str) or not content.strip():
        raise ExtractionError("openai endpoint returned an empty answer")
    return content
