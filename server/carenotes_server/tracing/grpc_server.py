"""A span per gRPC call: SERVER kind, named by the full method, parented by the caller's
W3C `traceparent` metadata, with the status code it ended with."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, cast

import grpc
from opentelemetry import propagate, trace
from opentelemetry.trace import SpanKind, Status, StatusCode

# Server-side codes that mean the server failed (OpenTelemetry's gRPC conventions);
# the others (NOT_FOUND, UNAUTHENTICATED...) are the caller's problem, not an error here.
_SERVER_ERRORS = frozenset(
    {
        grpc.StatusCode.UNKNOWN,
        grpc.StatusCode.DEADLINE_EXCEEDED,
        grpc.StatusCode.UNIMPLEMENTED,
        grpc.StatusCode.INTERNAL,
        grpc.StatusCode.UNAVAILABLE,
        grpc.StatusCode.DATA_LOSS,
    }
)

Context = grpc.aio.ServicerContext[Any, Any]
UnaryBehavior = Callable[[Any, Context], Awaitable[Any]]
StreamBehavior = Callable[[Any, Context], AsyncIterator[Any]]


def _carrier(context: Context) -> dict[str, str]:
    return {
        key: value
        for key, value in (context.invocation_metadata() or ())
        if isinstance(value, str) and key in ("traceparent", "tracestate")
    }


def _attributes(method: str) -> dict[str, str]:
    service, _, name = method.lstrip("/").partition("/")
    return {"rpc.system": "grpc", "rpc.service": service, "rpc.method": name}


def _code_of(context: Context, failed: BaseException | None) -> grpc.StatusCode:
    # Set by abort() or set_code(); grpc.aio may hand back the bare number.
    raw: object = context.code()
    if isinstance(raw, grpc.StatusCode):
        return raw
    if isinstance(raw, int):
        return next((c for c in grpc.StatusCode if c.value[0] == raw), grpc.StatusCode.UNKNOWN)
    return grpc.StatusCode.UNKNOWN if failed is not None else grpc.StatusCode.OK


def _finish(span: trace.Span, context: Context, failed: BaseException | None) -> None:
    code = _code_of(context, failed)
    span.set_attribute("rpc.grpc.status_code", code.value[0])
    if code in _SERVER_ERRORS:
        span.set_status(Status(StatusCode.ERROR, code.name))


class TracingInterceptor(grpc.aio.ServerInterceptor):
    def __init__(self, tracer: trace.Tracer) -> None:
        self._tracer = tracer
        self._wrapped: dict[str, grpc.RpcMethodHandler[Any, Any]] = {}

    async def intercept_service(
        self,
        continuation: Callable[
            [grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler[Any, Any] | None]
        ],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler[Any, Any] | None:
        handler = await continuation(handler_call_details)
        method = handler_call_details.method
        if handler is None:
            return None
        wrapped = self._wrapped.get(method)
        if wrapped is None:
            wrapped = self._wrapped[method] = self._wrap(method, handler)
        return wrapped

    def _wrap(
        self, method: str, handler: grpc.RpcMethodHandler[Any, Any]
    ) -> grpc.RpcMethodHandler[Any, Any]:
        tracer = self._tracer
        attributes = _attributes(method)
        if handler.unary_unary is not None:
            inner = cast("UnaryBehavior", handler.unary_unary)

            async def unary(request: Any, context: Context) -> Any:
                parent = propagate.extract(_carrier(context))
                with tracer.start_as_current_span(
                    method,
                    context=parent,
                    kind=SpanKind.SERVER,
                    attributes=attributes,
                    record_exception=False,
                    set_status_on_exception=False,
                ) as span:
                    failed: BaseException | None = None
                    try:
                        return await inner(request, context)
                    except BaseException as exc:
                        failed = exc
                        raise
                    finally:
                        _finish(span, context, failed)

            return grpc.unary_unary_rpc_method_handler(
                unary,
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
        if handler.unary_stream is not None:
            inner_stream = cast("StreamBehavior", handler.unary_stream)

            async def stream(request: Any, context: Context) -> AsyncIterator[Any]:
                parent = propagate.extract(_carrier(context))
                with tracer.start_as_current_span(
                    method,
                    context=parent,
                    kind=SpanKind.SERVER,
                    attributes=attributes,
                    record_exception=False,
                    set_status_on_exception=False,
                ) as span:
                    failed: BaseException | None = None
                    try:
                        async for item in inner_stream(request, context):
                            yield item
                    except BaseException as exc:
                        failed = exc
                        raise
                    finally:
                        _finish(span, context, failed)

            return grpc.unary_stream_rpc_method_handler(
                stream,
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
        return handler  # stream-request methods (reflection): not traced
