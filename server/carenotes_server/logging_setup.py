"""Structured (JSON lines) logs. Callers pass ids and codes in `extra`, never PHI."""

from __future__ import annotations

import json
import logging
import os
import sys
import traceback
from datetime import UTC, datetime
from types import ModuleType
from typing import Any

otel_trace: ModuleType | None
try:  # the `tracing` extra; without it no line has trace ids
    from opentelemetry import trace as otel_trace
except ImportError:  # pragma: no cover - the dev and runtime locks include it
    otel_trace = None

_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime"}


def _trace_ids() -> dict[str, str]:
    """The current span's ids, so a log line can be found from its trace and back."""
    if otel_trace is None:
        return {}
    context = otel_trace.get_current_span().get_span_context()
    if not context.is_valid:
        return {}
    return {"trace_id": f"{context.trace_id:032x}", "span_id": f"{context.span_id:016x}"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        entry.update(_trace_ids())
        entry.update({k: v for k, v in record.__dict__.items() if k not in _STANDARD})
        if record.exc_info and record.exc_info[0] is not None:
            # Type and stack frames only: an exception's message may quote data (PHI).
            entry["exc_type"] = record.exc_info[0].__name__
            entry["traceback"] = "".join(traceback.format_tb(record.exc_info[2]))
        return json.dumps(entry, default=str)


def configure_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # Third-party loggers at INFO can echo request bodies or URLs with keys.
    # Alembic narrates every connection; `migrate` logs one line with what it did.
    for noisy in (
        "httpx",
        "httpcore",
        "google_genai",
        "openai",
        "dramatiq",
        "sqlalchemy",
        "alembic",
    ):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def configure_logging_from_env() -> None:
    """JSON logs before the settings are known, so that even a refusal to start (bad
    settings) is a JSON line. An unusable level falls back to INFO."""
    level = (os.environ.get("CARENOTES_LOG_LEVEL") or "INFO").upper()
    configure_logging(level if level in logging.getLevelNamesMapping() else "INFO")
