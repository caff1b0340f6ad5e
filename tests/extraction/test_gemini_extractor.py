"""GeminiExtractor through the real google-genai SDK against the local fake server."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from carenotes_server.domain.steps import ExtractedSteps
from carenotes_server.extraction.base import ExtractionError, TransientExtractionError
from carenotes_server.extraction.gemini import GeminiExtractor
from carenotes_server.extraction.llm_schema import ANSWER_JSON_SCHEMA
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
ATTEMPTS = 3

MakeExtractor = Callable[..., GeminiExtractor]


@pytest.fixture
def server() -> Iterator[FakeLlmServer]:
    with FakeLlmServer() as fake:
        yield fake


@pytest.fixture
def make_extractor(server: FakeLlmServer) -> Iterator[MakeExtractor]:
    made: list[GeminiExtractor] = []

    def make(**overrides: float) -> GeminiExtractor:
        options: dict[str, float] = {
            "timeout_seconds": TIMEOUT_SECONDS,
            "attempts": ATTEMPTS,
            "retry_initial_delay_seconds": 0.01,
        }
        options.update(overrides)
        extractor = GeminiExtractor(
            "test-key",
            model="gemini-test",
            base_url=server.base_url,
            timeout_seconds=options["timeout_seconds"],
            attempts=int(options["attempts"]),
            retry_initial_delay_seconds=options["retry_initial_delay_seconds"],
        )
        made.append(extractor)
        return extractor

    yield make
    for extractor in made:
        extractor.close()


def failure(extractor: GeminiExtractor, note: str = SAMPLE_NOTE) -> ExtractionError:
    with pytest.raises(ExtractionError) as caught:
        extractor.extract(note)
    reason = str(caught.value).lower()
    for word in PHI_WORDS:
        assert word not in reason
    return caught.value


# --- Success and what was sent --------------------------------------------------------------


def test_a_valid_answer_becomes_steps(server: FakeLlmServer, make_extractor: MakeExtractor) -> None:
    server.enqueue(Answer(valid_answer_json()))
    extractor = make_extractor()
    assert extractor.name == "gemini"
    assert extractor.extract(SAMPLE_NOTE) == EXPECTED_STEPS
    assert len(server.requests) == 1


def test_the_request_asks_for_schema_bound_json_at_temperature_zero(
    server: FakeLlmServer, make_extractor: MakeExtractor
) -> None:
    server.enqueue(Answer(EMPTY_ANSWER))
    make_extractor().extract(SAMPLE_NOTE)
    (request,) = server.requests
    assert request.path.endswith("/models/gemini-test:generateContent")
    assert request.model == "gemini-test"
    assert request.headers["x-goog-api-key"] == "test-key"
    config = request.body["generationConfig"]
    assert config["responseMimeType"] == "application/json"
    assert config["responseJsonSchema"] == ANSWER_JSON_SCHEMA
    assert config["temperature"] == 0
    assert config["candidateCount"] == 1
    system = request.body["systemInstruction"]["parts"][0]["text"]
    assert system == SYSTEM_INSTRUCTION


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
    assert len(server.requests) == 8


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
            Answer(valid_answer_json().replace('"times_per_day": 2', '"times_per_day": "2"')),
            "answer violates the schema: plan[0].schedule.times_per_day",
            id="wrong-type",
        ),
        pytest.param(
            Answer(valid_answer_json().replace('"occurrences": 20', '"occurrences": 9999999')),
            "answer violates the schema: plan[0].schedule.occurrences",
            id="out-of-range",
        ),
        pytest.param(
            Answer(
                '{"checklist": [' + ", ".join(['{"text": "Follow up"}'] * 31) + '], "plan": []}'
            ),
            "answer violates the schema: checklist (too_long)",
            id="too-many-items",
        ),
        pytest.param(Answer(""), "gemini returned an empty answer", id="empty-text"),
        pytest.param(Blocked(), "gemini blocked the prompt (SAFETY)", id="blocked-prompt"),
        pytest.param(NoCandidates(), "gemini returned no candidate", id="no-candidates"),
        pytest.param(
            Answer(EMPTY_ANSWER, finish_reason="SAFETY"),
            "gemini did not finish its answer (SAFETY)",
            id="safety-stop",
        ),
        pytest.param(
            Answer(EMPTY_ANSWER[:10], finish_reason="MAX_TOKENS"),
            "gemini did not finish its answer (MAX_TOKENS)",
            id="truncated",
        ),
        pytest.param(
            RawBody(b"<html>oops</html>", "text/html"),
            "gemini returned a response that could not be read",
            id="body-not-json",
        ),
        pytest.param(
            RawBody(
                b'{"candidates": [{"content": {"parts": [{"text": 5}]}, "finishReason": "STOP"}]}'
            ),
            "gemini returned a response that could not be read",
            id="body-wrong-shape",
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


def test_injected_instructions_never_become_steps(
    server: FakeLlmServer, make_extractor: MakeExtractor
) -> None:
    # Even if the model were tricked into obeying the refused sentence, the answer is void.
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
    assert len(server.requests) == ATTEMPTS


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
def test_exhausted_retries_are_transient(
    server: FakeLlmServer, make_extractor: MakeExtractor, status: int
) -> None:
    server.enqueue(*[HttpError(status)] * ATTEMPTS)
    error = failure(make_extractor())
    assert isinstance(error, TransientExtractionError)
    assert str(error) == f"gemini is unavailable (HTTP {status}) after retries"
    assert len(server.requests) == ATTEMPTS


@pytest.mark.parametrize("status", [400, 401, 403, 404])
def test_client_errors_are_permanent_and_not_retried(
    server: FakeLlmServer, make_extractor: MakeExtractor, status: int
) -> None:
    server.enqueue(HttpError(status))
    error = failure(make_extractor())
    assert not isinstance(error, TransientExtractionError)
    assert str(error) == f"gemini rejected the request (HTTP {status})"
    assert len(server.requests) == 1


def test_a_hang_times_out_quickly_and_is_transient(
    server: FakeLlmServer, make_extractor: MakeExtractor
) -> None:
    server.enqueue(Hang(10), Hang(10))
    started = time.monotonic()
    error = failure(make_extractor(attempts=2))
    elapsed = time.monotonic() - started
    assert isinstance(error, TransientExtractionError)
    assert "could not be reached" in str(error)
    assert len(server.requests) == 2  # the timeout was retried once
    assert elapsed < 2 * TIMEOUT_SECONDS + 1.5


def test_a_hang_then_an_answer_succeeds(
    server: FakeLlmServer, make_extractor: MakeExtractor
) -> None:
    server.enqueue(Hang(10), Answer(valid_answer_json()))
    assert make_extractor().extract(SAMPLE_NOTE) == EXPECTED_STEPS
    assert len(server.requests) == 2


def test_an_unreachable_endpoint_is_transient(make_extractor: MakeExtractor) -> None:
    with FakeLlmServer() as gone:
        base_url = gone.base_url
    extractor = GeminiExtractor(
        "test-key", base_url=base_url, attempts=1, timeout_seconds=TIMEOUT_SECONDS
    )
    try:
        error = failure(extractor)
    finally:
        extractor.close()
    assert isinstance(error, TransientExtractionError)


# --- Hygiene --------------------------------------------------------------------------------


def test_logs_never_contain_the_note_or_the_answer(
    server: FakeLlmServer, make_extractor: MakeExtractor, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    server.enqueue(HttpError(503), Answer(valid_answer_json()), Answer(injected_answer_json()))
    extractor = make_extractor()
    extractor.extract(SAMPLE_NOTE)
    failure(extractor)
    assert caplog.records  # the extractor does log outcomes
    logged = "\n".join(
        f"{r.getMessage()} {r.__dict__}" for r in caplog.records if r.name.startswith("carenotes")
    ).lower()
    for word in PHI_WORDS:
        assert word not in logged


@pytest.mark.parametrize(
    "options",
    [{"timeout_seconds": 0.0}, {"attempts": 0}, {"api_key": ""}],
)
def test_bad_configuration_is_refused_up_front(options: dict[str, float | str]) -> None:
    args: dict[str, float | str] = {"api_key": "k", **options}
    with pytest.raises(ValueError, match=r"\w"):
        GeminiExtractor(**args)  # type: ignore[arg-type]
