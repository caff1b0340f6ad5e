"""FallbackExtractor through the real SDKs against the local fake provider: while the
provider is busy the failure stays transient (the job queue retries); on the last
attempt an unreachable provider is replaced by the rules extractor, which says so; an
answer the provider gave but that breaks the rules is never replaced."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from carenotes_server.extraction.base import ExtractionError, Extractor, TransientExtractionError
from carenotes_server.extraction.fallback import FallbackExtractor, last_attempt_reader
from carenotes_server.extraction.gemini import GeminiExtractor
from carenotes_server.extraction.openai_compat import OpenAICompatExtractor
from carenotes_server.extraction.rules import RulesExtractor
from tests.extraction import EXPECTED_STEPS, SAMPLE_NOTE, valid_answer_json
from tests.fakes.fake_llm_server import Answer, FakeLlmServer, HttpError

Provider = Callable[[FakeLlmServer], Extractor]


def _gemini(server: FakeLlmServer) -> Extractor:
    return GeminiExtractor(
        "test-key",
        model="gemini-test",
        base_url=server.base_url,
        timeout_seconds=2.0,
        attempts=2,
        retry_initial_delay_seconds=0.01,
    )


def _openai(server: FakeLlmServer) -> Extractor:
    return OpenAICompatExtractor(
        base_url=server.openai_base_url,
        api_key="test-key",
        model="local-test-model",
        timeout_seconds=2.0,
        max_retries=1,
    )


@pytest.fixture(params=[_gemini, _openai], ids=["gemini", "openai"])
def provider(request: pytest.FixtureRequest) -> Provider:
    made: Provider = request.param
    return made


@pytest.fixture
def server() -> Iterator[FakeLlmServer]:
    with FakeLlmServer() as fake:
        yield fake


@pytest.fixture
def extractor(server: FakeLlmServer, provider: Provider) -> Iterator[FallbackExtractor]:
    primary = provider(server)
    yield FallbackExtractor(primary, RulesExtractor())
    close = getattr(primary, "close", None)
    if close is not None:
        close()


def test_it_answers_with_the_provider_name(
    server: FakeLlmServer, extractor: FallbackExtractor
) -> None:
    assert extractor.name in ("gemini", "openai")
    server.enqueue(Answer(valid_answer_json()))
    assert extractor.extract_or_fall_back(SAMPLE_NOTE) == EXPECTED_STEPS  # produced_by ""


def test_a_busy_provider_stays_transient_before_the_last_attempt(
    server: FakeLlmServer, extractor: FallbackExtractor
) -> None:
    server.enqueue(HttpError(503), HttpError(503))
    with pytest.raises(TransientExtractionError):
        extractor.extract(SAMPLE_NOTE)
    assert len(server.requests) == 2  # the SDK's own retries, then the queue's turn


def test_an_unreachable_provider_is_replaced_by_the_rules_extractor(
    server: FakeLlmServer, extractor: FallbackExtractor
) -> None:
    server.enqueue(HttpError(503), HttpError(503))
    steps = extractor.extract_or_fall_back(SAMPLE_NOTE)
    assert steps.produced_by == "rules"
    assert steps.warnings[0].startswith(f"The {extractor.name} extractor could not be reached")
    read_offline = RulesExtractor().extract(SAMPLE_NOTE)
    assert (steps.plan, steps.checklist) == (read_offline.plan, read_offline.checklist)
    assert any("amoxicillin" in p.action.lower() for p in steps.plan)
    assert not any("oxycodone" in p.action.lower() for p in steps.plan)


def test_an_invalid_answer_is_never_replaced(
    server: FakeLlmServer, extractor: FallbackExtractor
) -> None:
    server.enqueue(Answer("{not json"))
    with pytest.raises(ExtractionError) as caught:
        extractor.extract_or_fall_back(SAMPLE_NOTE)
    assert not isinstance(caught.value, TransientExtractionError)


def test_a_refusing_provider_is_never_replaced(
    server: FakeLlmServer, extractor: FallbackExtractor
) -> None:
    server.enqueue(HttpError(400))
    with pytest.raises(ExtractionError) as caught:
        extractor.extract_or_fall_back(SAMPLE_NOTE)
    assert not isinstance(caught.value, TransientExtractionError)


def test_with_no_retry_to_follow_only_an_extractor_with_a_fallback_falls_back(
    server: FakeLlmServer, provider: Provider
) -> None:
    rules = RulesExtractor()
    assert last_attempt_reader(rules) == rules.extract
    primary = provider(server)
    server.enqueue(HttpError(503), HttpError(503))
    with pytest.raises(TransientExtractionError):
        last_attempt_reader(primary)(SAMPLE_NOTE)
    server.enqueue(HttpError(503), HttpError(503))
    steps = last_attempt_reader(FallbackExtractor(primary, rules))(SAMPLE_NOTE)
    assert steps.produced_by == "rules"
