"""A local HTTP server that speaks just enough Gemini and OpenAI for the real SDKs.

Tests script what the "provider" answers, one reply per request, in order:

    with FakeLlmServer() as server:
        server.enqueue(HttpError(429), HttpError(503), Answer('{"checklist": [], "plan": []}'))
        extractor = GeminiExtractor("key", base_url=server.base_url, ...)
        ...
        assert len(server.requests) == 3

Replies are protocol-neutral: an `Answer` becomes a Gemini `candidates[0].content.parts[0]
.text` on POST /{version}/models/{model}:generateContent and an OpenAI
`choices[0].message.content` on POST /v1/chat/completions, so one script can run against
both extractors. Every request is recorded (path, headers, JSON body) before it is
answered, so tests can assert what the SDK sent, including requests that hung.
An unscripted request gets HTTP 418, which neither SDK retries, so it fails loudly.
"""

from __future__ import annotations

import json
import re
import threading
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Final

_GEMINI_PATH: Final = re.compile(r"^/(?P<version>v1\w*)/models/(?P<model>[^/:]+):generateContent$")
_OPENAI_PATH: Final = "/v1/chat/completions"


# --- Scripted replies ----------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    """A successful completion whose text is `text` (what the model "said")."""

    text: str
    # None renders the protocol's normal "done" reason (Gemini STOP, OpenAI stop).
    finish_reason: str | None = None


@dataclass(frozen=True)
class Blocked:
    """Gemini: prompt blocked, no candidates. OpenAI: a refusal with no content."""


@dataclass(frozen=True)
class NoCandidates:
    """A 200 with no candidates (Gemini) or no choices (OpenAI)."""


@dataclass(frozen=True)
class HttpError:
    """An error status with a body in the shape both APIs use."""

    status: int
    # The OpenAI SDK honours retry-after-ms, which keeps its retry tests fast.
    retry_after_ms: int | None = 10


@dataclass(frozen=True)
class Hang:
    """Waits `seconds` (or until the server stops) before answering with `then`."""

    seconds: float
    then: Answer = field(default_factory=lambda: Answer('{"checklist": [], "plan": []}'))


@dataclass(frozen=True)
class RawBody:
    """A 200 with exactly these bytes, for malformed provider responses."""

    body: bytes
    content_type: str = "application/json"


Reply = Answer | Blocked | NoCandidates | HttpError | Hang | RawBody


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]  # lower-cased names
    body: Any  # parsed JSON, or None when the body was not JSON

    @property
    def protocol(self) -> str:
        return "openai" if self.path == _OPENAI_PATH else "gemini"

    @property
    def model(self) -> str | None:
        match = _GEMINI_PATH.match(self.path)
        if match:
            return match.group("model")
        model = self.body.get("model") if isinstance(self.body, dict) else None
        return model if isinstance(model, str) else None

    @property
    def prompt_text(self) -> str:
        """Every text the client sent to the model (system and user), joined."""
        return "\n".join(_texts(self.body))


def _texts(node: Any) -> list[str]:
    # Walks the whole body: Gemini puts text in contents[].parts[].text and
    # systemInstruction.parts[].text, OpenAI in messages[].content.
    if isinstance(node, dict):
        out: list[str] = []
        for key, value in node.items():
            if key in {"text", "content"} and isinstance(value, str):
                out.append(value)
            else:
                out.extend(_texts(value))
        return out
    if isinstance(node, list):
        return [t for item in node for t in _texts(item)]
    return []


# --- Rendering replies per protocol --------------------------------------------------------


def _gemini_body(reply: Answer | Blocked | NoCandidates, model: str) -> dict[str, Any]:
    if isinstance(reply, Blocked):
        return {"promptFeedback": {"blockReason": "SAFETY"}, "modelVersion": model}
    if isinstance(reply, NoCandidates):
        return {"candidates": [], "modelVersion": model}
    return {
        "candidates": [
            {
                "content": {"role": "model", "parts": [{"text": reply.text}]},
                "finishReason": reply.finish_reason or "STOP",
                "index": 0,
            }
        ],
        "usageMetadata": {"promptTokenCount": 1, "candidatesTokenCount": 1, "totalTokenCount": 2},
        "modelVersion": model,
    }


def _openai_body(reply: Answer | Blocked | NoCandidates, model: str) -> dict[str, Any]:
    choices: list[dict[str, Any]] = []
    if isinstance(reply, Blocked):
        message = {"role": "assistant", "content": None, "refusal": "I can't help with that."}
        choices = [{"index": 0, "message": message, "finish_reason": "stop", "logprobs": None}]
    elif isinstance(reply, Answer):
        message = {"role": "assistant", "content": reply.text, "refusal": None}
        finish = reply.finish_reason or "stop"
        choices = [{"index": 0, "message": message, "finish_reason": finish, "logprobs": None}]
    return {
        "id": "chatcmpl-fake",
        "object": "chat.completion",
        "created": 0,
        "model": model,
        "choices": choices,
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }


_STATUS_NAMES: Final = {
    400: "INVALID_ARGUMENT",
    401: "UNAUTHENTICATED",
    403: "PERMISSION_DENIED",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}


def _error_body(status: int) -> dict[str, Any]:
    # Gemini reads error.code/status/message; OpenAI reads error.message/type/code.
    name = _STATUS_NAMES.get(status, "UNKNOWN")
    return {"error": {"code": status, "status": name, "message": f"fake {name}", "type": name}}


# --- The server ------------------------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the SDKs' connection pools expect
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass  # silence per-request stderr lines

    def do_POST(self) -> None:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            body: Any = json.loads(raw) if raw else None
        except ValueError:
            body = None
        request = RecordedRequest(
            method="POST",
            path=self.path,
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
        )
        fake = self.server.fake
        fake.record(request)
        if request.path != _OPENAI_PATH and not _GEMINI_PATH.match(request.path):
            self._send_json(404, _error_body(404))
            return
        reply = fake.next_reply()
        if reply is None:
            self._send_json(418, {"error": {"code": 418, "message": "no scripted reply"}})
            return
        if isinstance(reply, Hang):
            fake.stopping.wait(reply.seconds)
            reply = reply.then
        self._send_reply(reply, request)

    def _send_reply(self, reply: Reply, request: RecordedRequest) -> None:
        model = request.model or "unknown"
        if isinstance(reply, HttpError):
            headers = {}
            if reply.retry_after_ms is not None:
                headers["retry-after-ms"] = str(reply.retry_after_ms)
            self._send_json(reply.status, _error_body(reply.status), headers)
        elif isinstance(reply, RawBody):
            self._send(200, reply.body, reply.content_type, {})
        elif isinstance(reply, Hang):
            raise AssertionError("a Hang cannot follow a Hang")
        elif request.protocol == "openai":
            self._send_json(200, _openai_body(reply, model))
        else:
            self._send_json(200, _gemini_body(reply, model))

    def _send_json(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        self._send(status, json.dumps(body).encode(), "application/json", headers or {})

    def _send(self, status: int, body: bytes, content_type: str, headers: dict[str, str]) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)
        except OSError:
            pass  # the client gave up (timeout) and closed the socket: expected after a Hang


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, fake: FakeLlmServer) -> None:
        self.fake = fake
        super().__init__(("127.0.0.1", 0), _Handler)


class FakeLlmServer:
    """Threaded fake provider on 127.0.0.1, on a free port; use as a context manager."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._replies: deque[Reply] = deque()
        self._requests: list[RecordedRequest] = []
        self.stopping = threading.Event()
        self._server = _Server(self)
        self._thread = threading.Thread(
            # A short poll interval keeps stop() (and so each test's teardown) fast.
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.02},
            name="fake-llm-server",
            daemon=True,
        )

    @property
    def base_url(self) -> str:
        """Gemini base_url (the SDK appends /{version}/models/...)."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def openai_base_url(self) -> str:
        """OpenAI base_url (the SDK appends /chat/completions)."""
        return f"{self.base_url}/v1"

    def enqueue(self, *replies: Reply) -> None:
        with self._lock:
            self._replies.extend(replies)

    def next_reply(self) -> Reply | None:
        with self._lock:
            return self._replies.popleft() if self._replies else None

    def record(self, request: RecordedRequest) -> None:
        with self._lock:
            self._requests.append(request)

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    @property
    def pending_replies(self) -> int:
        with self._lock:
            return len(self._replies)

    def start(self) -> FakeLlmServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()  # releases handlers stuck in a Hang
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> FakeLlmServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
