"""OpenAICompatExtractor through the real openai SDK against the local fake server."""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from carenotes_server.domain.steps import ExtractedSteps
from carenotes_server.extraction.base import ExtractionError, TransientExtractionError
from carenotes_server.extraction.llm_schema import ANSWER_JSON_SCHEMA
from carenotes_server.extraction.openai_compat import OpenAICompatExtractor
from carenotes_server.extraction.prompt import SYSTEM_INSTRUCTION
from tests.extraction import (
    CLINICAL_SENTENCES,
    EMPTY_ANSWER,
    EXPECTED_STEPS,
    INJECTED_SENTENCE,
    PHI_WORDS,
    SAMPLE_NOTE,
    injected_answer_json,
    valid_answer_json,
)
from tests.fakes.fake_llm_server import (
    Answer,
    Blocked,
    FakeLlmServer,
    Hang,
    HttpError,
    NoCandidates,
    RawBody,
    Reply,
)

TIMEOUT_SECONDS = 0.5
MAX_RETRIES = 2

MakeExtractor = Callable[..., OpenAICompatExtractor]


@pytest.fixture
def server() -> Iterator[FakeLlmServer]:
    with FakeLlmServer() as fake:
        yield fake


@pytest.fixture
def make_extractor(server: FakeLlmServer) -> Iterator[MakeExtractor]:
    made: list[OpenAICompatExtractor] = []

    def make(max_retries: int = MAX_RETRIES) -> OpenAICompatExtractor:
        extractor = OpenAICompatExtractor(
            base_url=server.openai_base_url,
            api_key="test-key",
            model="local-test-model",
            timeout_seconds=TIMEOUT_SECONDS,
            max_retries=max_retries,
        )
        made.append(extractor)
        return extractor

    yield make
    for extractor in made:
        extractor.close()


def failure(extractor: OpenAICompatExtractor, note: str = SAMPLE_NOTE) -> ExtractionError:
    with pytest.raises(ExtractionError) as caught:
        extractor.extract(note)
    reason = str(caught.value).lower()
    for word in PHI_WORDS:
        assert word not in reason
    return caught.value


def retry_counts(server: FakeLlmServer) -> list[str]:
    return [r.headers.get("x-stainless-retry-count", "?") for r in server.requests]


# --- Success and what was sent --------------------------------------------------------------


def test_a_valid_answer_becomes_steps(server: FakeLlmServer, make_extractor: MakeExtractor) -> None:
    server.enqueue(Answer(valid_answer_json()))
    extractor = make_extractor()
    assert extractor.name == "openai"
    assert extractor.extract(SAMPLE_NOTE) == EXPECTED_STEPS
    assert len(server.requests) == 1


def test_the_request_asks_for_strict_json_schema_at_temperature_zero(
    server: FakeLlmServer, make_extractor: MakeExtractor
) -> None:
    server.enqueue(Answer(EMPTY_ANSWER))
    make_extractor().extract(SAMPLE_NOTE)
    (request,) = server.requests
    assert request.path == "/v1/chat/completions"
    assert request.headers["authorization"] == "Bearer test-key"
    body = request.body
    assert body["model"] == "local-test-model"
    assert body["temperature"] == 0
    assert body["n"] == 1
    assert body["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "carenotes_steps", "strict": True, "schema": ANSWER_JSON_SCHEMA},
    }
    system, user = body["messages"]
    assert system == {"role": "system", "content": SYSTEM_INSTRUCTION}
    assert user["role"] == "user"


def test_the_prompt_carries_the_clinical_sentences_and_never_the_refused_ones(
    server: FakeLlmServer, make_extractor: MakeExtractor
) -> None:
    server.enqueue(Answer(EMPTY_ANSWER))
    make_extractor().extract(SAMPLE_NOTE)
    prompt = server.requests[0].prompt_text
    for sentence in CLINICAL_SENTENCES:
        assert sentence in prompt
    assert INJECTED_SENTENCE not in prompt
    assert "oxycodone" not in prompt


def test_a_note_with_nothing_clinical_costs_no_request(
    server: FakeLlmServer, make_extractor: MakeExtractor
) -> None:
    assert make_extractor().extract(INJECTED_SENTENCE) == ExtractedSteps()
    assert server.requests == []


def test_one_client_serves_concurrent_threads(
    server: FakeLlmServer, make_extractor: MakeExtractor
) -> None:
    server.enqueue(*[Answer(valid_answer_json()) for _ in range(8)])
    extractor = make_extractor()
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(extractor.extract, [SAMPLE_NOTE] * 8))
    assert results == [EXPECTED_STEPS] * 8


# --- Invalid answers: permanent, never retried --------------------------------------------


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        pytest.param(Answer("{not json"), "answer is not valid JSON", id="invalid-json"),
        pytest.param(
            Answer('{"checklist": [], "plan": [], "extra": 1}'),
            "answer violates the schema",
            id="extra-field",
        ),
        pytest.param(
            Answer(valid_answer_json().replace('"as_needed": false', '"as_needed": "no"')),
            "answer violates the schema: plan[0].schedule.as_needed",
            id="wrong-type",
        ),
        pytest.param(
            Answer(valid_answer_json().replace('"times_per_day": 2', '"times_per_day": 4800000')),
            "answer violates the schema: plan[0].schedule.times_per_day",
            id="out-of-range",
        ),
        pytest.param(
            Answer('{"checklist": [], "plan": [' + ", ".join(['{"action": "x"}'] * 31) + "]}"),
            "answer violates the schema: plan (too_long)",
            id="too-many-items",
        ),
        pytest.param(
            Answer(f"```json\n{valid_answer_json()}\n```\nAnything else?"),
            "answer is not valid JSON",
            id="prose-after-fence",
        ),
        pytest.param(Answer(""), "openai endpoint returned an empty answer", id="empty"),
        pytest.param(Blocked(), "openai model refused to answer", id="refusal"),
        pytest.param(NoCandidates(), "openai endpoint returned no choice", id="no-choices"),
        pytest.param(
            Answer(EMPTY_ANSWER[:10], finish_reason="length"),
            "openai model did not finish its answer (length)",
            id="truncated",
        ),
        pytest.param(
            Answer(EMPTY_ANSWER, finish_reason="content_filter"),
            "openai model did not finish its answer (content_filter)",
            id="filtered",
        ),
        pytest.param(
            RawBody(b'{"choices": [{"message": 42}]}'),
            "openai endpoint returned a response that could not be read",
            id="body-wrong-shape",
        ),
        pytest.param(
            RawBody(b'{"choices": "nope"}'),
            "openai endpoint returned no choice",
            id="choices-not-a-list",
        ),
        pytest.param(
            RawBody(b'{"choices": [{"message": {"content": 7}, "finish_reason": "stop"}]}'),
            "openai endpoint returned an empty answer",
            id="content-not-text",
        ),
        pytest.param(
            RawBody(b"<html>oops</html>", "text/html"),
            "openai endpoint returned",
            id="body-not-json",
        ),
    ],
)
def test_invalid_answers_fail_for_good_without_retry(
    server: FakeLlmServer, make_extractor: MakeExtractor, reply: Reply, reason: str
) -> None:
    server.enqueue(reply)
    error = failure(make_extractor())
    assert not isinstance(error, TransientExtractionError)
    assert str(error).startswith(reason)
    assert len(server.requests) == 1


def test_a_fenced_answer_from_a_lenient_endpoint_is_accepted(
    server: FakeLlmServer, make_extractor: MakeExtractor
) -> None:
    # Some OpenAI-compatible servers ignore response_format and answer in markdown.
    server.enqueue(Answer(f"```json\n{valid_answer_json()}\n```"))
    assert make_extractor().extract(SAMPLE_NOTE) == EXPECTED_STEPS


def test_injected_instructions_never_become_steps(
    server: FakeLlmServer, make_extractor: MakeExtractor
) -> None:
    server.enqueue(Answer(injected_answer_json()))
    error = failure(make_extractor())
    assert not isinstance(error, TransientExtractionError)
    assert "not grounded in the note" in str(error)


# --- HTTP errors, retries, timeouts --------------------------------------------------------


@pytest.mark.parametrize("busy", [429, 503])
def test_busy_answers_are_retried_then_succeed(
    server: FakeLlmServer, make_extractor: MakeExtractor, busy: int
) -> None:
    server.enqueue(HttpError(busy), HttpError(busy), Answer(valid_answer_json()))
    assert make_extractor().extract(SAMPLE_NOTE) == EXPECTED_STEPS
    assert retry_counts(server) == ["0", "1", "2"]


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
def test_exhausted_retries_are_transient(
    server: FakeLlmServer, make_extractor: MakeExtractor, status: int
) -> None:
    server.enqueue(*[HttpError(status)] * (MAX_RETRIES + 1))
    error = failure(make_extractor())
    assert isinstance(error, TransientExtractionError)
    assert str(error) == f"openai endpoint is unavailable (HTTP {status}) after retries"
    assert len(server.requests) == MAX_RETRIES + 1


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
def test_client_errors_are_permanent_and_not_retried(
    server: FakeLlmServer, make_extractor: MakeExtractor, status: int
) -> None:
    server.enqueue(HttpError(status))
    error = failure(make_extractor())
    assert not isinstance(error, TransientExtractionError)
    assert str(error) == f"openai endpoint rejected the request (HTTP {status})"
    assert len(server.requests) == 1


def test_a_hang_times_out_quickly_and_is_transient(
    server: FakeLlmServer, make_extractor: MakeExtractor
) -> None:
    server.enqueue(Hang(10), Hang(10))
    started = time.monotonic()
    error = failure(make_extractor(max_retries=1))
    elapsed = time.monotonic() - started
    assert isinstance(error, TransientExtractionError)
    assert str(error) == "openai endpoint could not be reached (APITimeoutError) after retries"
    assert retry_counts(server) == ["0", "1"]  # the timeout was retried once
    # Two timeouts plus the SDK's backoff (at most 0.5 s before the first retry).
    assert elapsed < 2 * TIMEOUT_SECONDS + 1.5


def test_a_hang_then_an_answer_succeeds(
    server: FakeLlmServer, make_extractor: MakeExtractor
) -> None:
    server.enqueue(Hang(10), Answer(valid_answer_json()))
    assert make_extractor().extract(SAMPLE_NOTE) == EXPECTED_STEPS
    assert len(server.requests) == 2


def test_an_unreachable_endpoint_is_transient() -> None:
    with FakeLlmServer() as gone:
        base_url = gone.openai_base_url
    extractor = OpenAICompatExtractor(
        base_url=base_url, api_key="k", model="m", timeout_seconds=TIMEOUT_SECONDS, max_retries=0
    )
    try:
        error = failure(extractor)
    finally:
        extractor.close()
    assert isinstance(error, TransientExtractionError)
    assert "could not be reached (APIConnectionError)" in str(error)


# --- Hygiene --------------------------------------------------------------------------------


def test_logs_never_contain_the_note_or_the_answer(
    server: FakeLlmServer, make_extractor: MakeExtractor, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    server.enqueue(HttpError(503), Answer(valid_answer_json()), Answer(injected_answer_json()))
    extractor = make_extractor()
    extractor.extract(SAMPLE_NOTE)
    failure(extractor)
    assert caplog.records
    logged = "\n".join(
        f"{r.getMessage()} {r.__dict__}" for r in caplog.records if r.name.startswith("carenotes")
    ).lower()
    for word in PHI_WORDS:
        assert word not in logged


@pytest.mark.parametrize("options", [{"timeout_seconds": 0.0}, {"max_retries": -1}])
def test_bad_configuration_is_refused_up_front(options: dict[str, float]) -> None:
    with pytest.raises(ValueError, match=r"\w"):
        OpenAICompatExtractor(base_url="http://127.0.0.1:9", api_key="k", model="m", **options)  # type: ignore[arg-type]


def test_a_missing_openai_package_is_a_clear_import_error(monkeypatch: pytest.MonkeyPatch) -> None:
    # None in sys.modules makes `import openai` fail as if the extra were not installed.
    monkeypatch.setitem(sys.modules, "openai", None)
    with pytest.raises(ImportError, match=r"carenotes\[openai\]"):
        OpenAICompatExtractor(base_url="http://127.0.0.1:9", api_key="k", model="m")
