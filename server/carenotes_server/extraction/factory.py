"""Chooses the extractor from settings (CARENOTES_EXTRACTOR).

An LLM extractor comes with the offline rules extractor behind it (fallback.py), for
when its provider stays unreachable.
"""

from __future__ import annotations

from carenotes_server.extraction.base import Extractor
from carenotes_server.extraction.fallback import FallbackExtractor


def make_extractor(
    provider: str,
    *,
    gemini_api_key: str | None = None,
    gemini_model: str = "gemini-2.5-flash",
    gemini_base_url: str | None = None,
    openai_base_url: str | None = None,
    openai_api_key: str | None = None,
    openai_model: str = "gpt-4o-mini",
    timeout_seconds: float = 20.0,
    attempts: int = 3,
) -> Extractor:
    if provider == "rules":
        return _rules()
    if provider == "gemini":
        from carenotes_server.extraction.gemini import GeminiExtractor

        if not gemini_api_key:
            raise ValueError("the gemini extractor needs GEMINI_API_KEY")
        gemini = GeminiExtractor(
            api_key=gemini_api_key,
            model=gemini_model,
            timeout_seconds=timeout_seconds,
            attempts=attempts,
            base_url=gemini_base_url,
        )
        return FallbackExtractor(gemini, _rules())
    if provider == "openai":
        from carenotes_server.extraction.openai_compat import OpenAICompatExtractor

        if not openai_base_url:
            raise ValueError("the openai extractor needs CARENOTES_OPENAI_BASE_URL")
        openai = OpenAICompatExtractor(
            base_url=openai_base_url,
            api_key=openai_api_key or "unused",
            model=openai_model,
            timeout_seconds=timeout_seconds,
            max_retries=max(0, attempts - 1),
        )
        return FallbackExtractor(openai, _rules())
    raise ValueError(f"unknown extractor {provider!r}: use rules, gemini or openai")


def _rules() -> Extractor:
    from carenotes_server.extraction.rules import RulesExtractor

    return RulesExtractor()
