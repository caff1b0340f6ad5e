"""Chooses the extractor from settings (CARENOTES_EXTRACTOR)."""

from __future__ import annotations

from carenotes_server.extraction.base import Extractor


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
        from carenotes_server.extraction.rules import RulesExtractor

        return RulesExtractor()
    if provider == "gemini":
        from carenotes_server.extraction.gemini import GeminiExtractor

        if not gemini_api_key:
            raise ValueError("the gemini extractor needs GEMINI_API_KEY")
        return GeminiExtractor(
            api_key=gemini_api_key,
            model=gemini_model,
            timeout_seconds=timeout_seconds,
            attempts=attempts,
            base_url=gemini_base_url,
        )
    if provider == "openai":
        from carenotes_server.extraction.openai_compat import OpenAICompatExtractor

        if not openai_base_url:
            raise ValueError("the openai extractor needs CARENOTES_OPENAI_BASE_URL")
        return OpenAICompatExtractor(
            base_url=openai_base_url,
            api_key=openai_api_key or "unused",
            model=openai_model,
            timeout_seconds=timeout_seconds,
            max_retries=max(0, attempts - 1),
        )
    raise ValueError(f"unknown extractor {provider!r}: use rules, gemini or openai")
