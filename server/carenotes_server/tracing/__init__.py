"""Optional OpenTelemetry tracing: off unless CARENOTES_OTLP_ENDPOINT is set.

Spans: one per gRPC call (server side, parented by a caller's `traceparent`), one per
Dramatiq actor run (`extract_steps`, `fire_reminders`, parented by the context carried
in the message's options), one per database statement. Attributes are names, codes
and ids only: never request content, note or step text, or SQL parameters.

The OpenTelemetry packages (the `tracing` extra) are imported only when tracing is on.
Each process (or test) gets its own tracer provider rather than the global one, so
several servers in one test process never share or fight over it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SpanExporter
    from opentelemetry.trace import Tracer

INSTRUMENTATION = "carenotes"


@dataclass(frozen=True)
class Tracing:
    provider: TracerProvider
    tracer: Tracer

    def shutdown(self) -> None:
        """Flushes spans still queued for the exporter, then stops it."""
        self.provider.shutdown()


def make_tracing(
    endpoint: str | None, *, role: str, exporter: SpanExporter | None = None
) -> Tracing | None:
    """A tracer exporting to the OTLP/gRPC `endpoint` (or to `exporter`, in tests), or
    None when tracing is off."""
    if endpoint is None and exporter is None:
        return None
    from opentelemetry.sdk.resources import SERVICE_NAME, Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor

    from carenotes_server.version import version

    name = os.environ.get("OTEL_SERVICE_NAME") or f"carenotes-{role}"
    provider = TracerProvider(
        resource=Resource.create({SERVICE_NAME: name, "service.version": version()})
    )
    if exporter is not None:
        provider.add_span_processor(SimpleSpanProcessor(exporter))
    else:
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter

        # Batching keeps export off the request path; OTEL_EXPORTER_OTLP_* settings
        # (headers, certificates, timeout) are read by the exporter itself.
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint)))
    return Tracing(provider, provider.get_tracer(INSTRUMENTATION, version()))
