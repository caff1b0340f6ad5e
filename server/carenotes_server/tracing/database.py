"""A span per database statement, from SQLAlchemy's cursor events: the system and the
operation (SELECT, INSERT...), never the statement's parameters."""

from __future__ import annotations

from typing import Any

from opentelemetry import trace
from opentelemetry.trace import SpanKind, Status, StatusCode
from sqlalchemy import Engine, event

_KEY = "carenotes_span"


def instrument_engine(engine: Engine, tracer: trace.Tracer) -> None:
    system = engine.dialect.name  # "postgresql" or "sqlite"

    @event.listens_for(engine, "before_cursor_execute")
    def _start(
        conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool
    ) -> None:
        operation = statement.lstrip().split(None, 1)[0].upper() if statement.strip() else ""
        span = tracer.start_span(
            f"{operation} {system}".strip(),
            kind=SpanKind.CLIENT,
            attributes={"db.system": system, "db.operation.name": operation},
        )
        conn.info.setdefault(_KEY, []).append(span)

    @event.listens_for(engine, "after_cursor_execute")
    def _end(
        conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, many: bool
    ) -> None:
        spans = conn.info.get(_KEY)
        if spans:
            spans.pop().end()

    @event.listens_for(engine, "handle_error")
    def _failed(exception_context: Any) -> None:
        conn = exception_context.connection
        spans = conn.info.get(_KEY) if conn is not None else None
        if spans:
            span = spans.pop()
            # The type only: a database error's message may quote values.
            span.set_status(
                Status(StatusCode.ERROR, type(exception_context.original_exception).__name__)
            )
            span.end()
