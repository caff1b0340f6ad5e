"""Trace context through Dramatiq: the producer's context rides in the message's
options (`trace_context`: the W3C traceparent, ids only, no PHI), and each actor run is
a CONSUMER span in that trace, current while the actor runs (its database spans and
log lines belong to it)."""

from __future__ import annotations

import threading
from typing import Any

import dramatiq
from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.trace import SpanKind, Status, StatusCode

OPTION = "trace_context"


class TracingMiddleware(dramatiq.Middleware):
    def __init__(self, tracer: trace.Tracer) -> None:
        self._tracer = tracer
        self._running: dict[str, tuple[trace.Span, object]] = {}
        self._lock = threading.Lock()

    def before_enqueue(self, broker: dramatiq.Broker, message: Any, delay: int) -> None:
        # A delayed message is enqueued again when due, by a worker with no context of
        # its own: keep the context of the first send.
        if OPTION in message.options:
            return
        carrier: dict[str, str] = {}
        propagate.inject(carrier)
        if carrier:
            message.options[OPTION] = carrier

    def before_process_message(self, broker: dramatiq.Broker, message: Any) -> None:
        parent = propagate.extract(message.options.get(OPTION) or {})
        span = self._tracer.start_span(
            message.actor_name,
            context=parent,
            kind=SpanKind.CONSUMER,
            attributes={
                "messaging.system": "dramatiq",
                "messaging.destination.name": message.queue_name,
                "messaging.message.id": message.message_id,
                "messaging.dramatiq.retries": int(message.options.get("retries", 0)),
            },
        )
        token = otel_context.attach(trace.set_span_in_context(span))
        with self._lock:
            self._running[message.message_id] = (span, token)

    def after_process_message(
        self,
        broker: dramatiq.Broker,
        message: Any,
        *,
        result: Any = None,
        exception: BaseException | None = None,
    ) -> None:
        with self._lock:
            running = self._running.pop(message.message_id, None)
        if running is None:
            return
        span, token = running
        if exception is not None:
            span.set_status(Status(StatusCode.ERROR, type(exception).__name__))
        span.end()
        otel_context.detach(token)  # type: ignore[arg-type]

    def after_skip_message(self, broker: dramatiq.Broker, message: Any) -> None:
        self.after_process_message(broker, message)
