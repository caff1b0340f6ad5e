"""Authentication and authorization of every call, driven by the contract's policy table.

Modelled on the gRPC project's Python interceptor examples: the interceptor wraps each
method handler; the wrapper verifies the bearer token, finds the caller's live session
(in the short-lived session cache, else in the database), checks the method's declared
access, and exposes the caller to the servicer
through a context variable. It also writes one structured access-log line per call
(method, status, duration, user id: no request content): failures at INFO, successes
at DEBUG (the metrics count every call).
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any, cast

import grpc
from google.protobuf.message import DecodeError

from carenotes_server import metrics
from carenotes_server.domain.errors import (
    DomainError,
    FieldViolation,
    InvalidArgument,
    PermissionDenied,
    Unauthenticated,
)
from carenotes_server.grpc_api.errors import abort, classify, to_status
from carenotes_server.grpc_api.policy import Access
from carenotes_server.services.caller import Caller, Role

log = logging.getLogger("carenotes.access")

_current_caller: contextvars.ContextVar[Caller | None] = contextvars.ContextVar(
    "carenotes_caller", default=None
)

Authenticate = Callable[[str], Awaitable[Caller]]
Context = grpc.aio.ServicerContext[Any, Any]
# grpc's stubs type handler behaviours as sync callables; under grpc.aio they are async.
UnaryBehavior = Callable[[Any, Context], Awaitable[Any]]
StreamBehavior = Callable[[Any, Context], AsyncIterator[Any]]


def current_caller() -> Caller:
    """The authenticated caller of the running RPC (set by the interceptor)."""
    caller = _current_caller.get()
    if caller is None:
        raise Unauthenticated("this call needs a signed-in user")
    return caller


def _bearer_token(context: Context) -> str:
    for key, value in context.invocation_metadata() or ():
        if key == "authorization":
            text = value.decode() if isinstance(value, bytes) else value
            scheme, _, token = text.partition(" ")
            if scheme.lower() == "bearer" and token.strip():
                return token.strip()
            break
    raise Unauthenticated("missing bearer token")


def _check_role(access: Access, caller: Caller) -> None:
    if access is Access.PATIENT and caller.role is not Role.PATIENT:
        raise PermissionDenied("only patients may call this")
    if access is Access.DOCTOR and caller.role is not Role.DOCTOR:
        raise PermissionDenied("only doctors may call this")


class AuthInterceptor(grpc.aio.ServerInterceptor):
    def __init__(self, policy: Mapping[str, Access], authenticate: Authenticate) -> None:
        self._policy = policy
        self._authenticate = authenticate
        self._wrapped: dict[str, grpc.RpcMethodHandler[Any, Any]] = {}

    async def _admit(self, method: str, context: Context, request: Any) -> Caller | None:
        access = self._policy[method]
        caller = None
        if access is not Access.PUBLIC:
            caller = await self._authenticate(_bearer_token(context))
            _check_role(access, caller)
        if request is MALFORMED:
            raise InvalidArgument(
                FieldViolation("request", "is not a well-formed message of this method")
            )
        return caller

    async def intercept_service(
        self,
        continuation: Callable[
            [grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler[Any, Any] | None]
        ],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler[Any, Any] | None:
        handler = await continuation(handler_call_details)
        method = handler_call_details.method
        if handler is None or method not in self._policy:
            return handler  # health, reflection: not part of the Carenotes contract
        # The servicers' handlers never change: wrap each once, not on every call.
        wrapped = self._wrapped.get(method)
        if wrapped is None:
            wrapped = self._wrapped[method] = self._wrap(method, handler)
        return wrapped

    def _wrap(
        self, method: str, handler: grpc.RpcMethodHandler[Any, Any]
    ) -> grpc.RpcMethodHandler[Any, Any]:
        if handler.unary_unary is not None:
            return grpc.unary_unary_rpc_method_handler(
                self._wrap_unary(method, cast("UnaryBehavior", handler.unary_unary)),
                request_deserializer=_tolerant(handler.request_deserializer),
                response_serializer=handler.response_serializer,
            )
        if handler.unary_stream is not None:
            return grpc.unary_stream_rpc_method_handler(
                self._wrap_stream(method, cast("StreamBehavior", handler.unary_stream)),
                request_deserializer=_tolerant(handler.request_deserializer),
                response_serializer=handler.response_serializer,
            )
        raise TypeError(f"{method}: only unary and server-streaming RPCs are supported")

    def _wrap_unary(
        self, method: str, behavior: Callable[[Any, Context], Awaitable[Any]]
    ) -> Callable[[Any, Context], Awaitable[Any]]:
        async def wrapper(request: Any, context: Context) -> Any:
            started = time.perf_counter()
            caller: Caller | None = None
            code = "OK"
            try:
                try:
                    caller = await self._admit(method, context, request)
                except Exception as exc:  # noqa: BLE001 - mapped to a status
                    error: DomainError = classify(exc)
                    code = _status_name(error)
                    await abort(context, error)
                token = _current_caller.set(caller)
                try:
                    return await behavior(request, context)
                finally:
                    _current_caller.reset(token)
            except grpc.aio.AbortError:
                code = code if code != "OK" else _code_name(context.code())
                raise
            except asyncio.CancelledError:
                code = "CANCELLED"
                raise
            except Exception:
                code = "UNKNOWN"  # grpc answers UNKNOWN for an exception escaping here
                raise
            finally:
                _log_call(method, code, started, caller)
                _record_call(method, code, started, unary=True)

        return wrapper

    def _wrap_stream(
        self, method: str, behavior: Callable[[Any, Context], AsyncIterator[Any]]
    ) -> Callable[[Any, Context], AsyncIterator[Any]]:
        async def wrapper(request: Any, context: Context) -> AsyncIterator[Any]:
            started = time.perf_counter()
            caller: Caller | None = None
            code = "OK"
            try:
                try:
                    caller = await self._admit(method, context, request)
                except Exception as exc:  # noqa: BLE001 - mapped to a status
                    await abort(context, classify(exc))
                token = _current_caller.set(caller)
                try:
                    async for response in behavior(request, context):
                        yield response
                finally:
                    _current_caller.reset(token)
            except grpc.aio.AbortError:
                code = _code_name(context.code())
                raise
            except (asyncio.CancelledError, GeneratorExit):
                code = "CANCELLED"
                raise
            except Exception:
                code = "UNKNOWN"
                raise
            finally:
                _log_call(method, code, started, caller)
                _record_call(method, code, started, unary=False)

        return wrapper


class _Malformed:
    """Stands for a request whose bytes do not parse (see _tolerant)."""


MALFORMED = _Malformed()


def _tolerant(deserialize: Callable[[bytes], Any] | None) -> Callable[[bytes], Any] | None:
    """grpc answers UNKNOWN (naming the parser's exception) when a request does not
    parse; hand the wrapper a marker instead, so it answers INVALID_ARGUMENT."""
    if deserialize is None:
        return None
    parse = deserialize

    def tolerant(data: bytes) -> Any:
        try:
            return parse(data)
        except DecodeError:
            return MALFORMED

    return tolerant


def _status_name(error: DomainError) -> str:
    return _code_name(to_status(error).code)


def _code_name(code: object) -> str:
    return code.name if isinstance(code, grpc.StatusCode) else "UNKNOWN"


def _log_call(method: str, code: str, started: float, caller: Caller | None) -> None:
    # Every call is counted and timed by the metrics; the log gets the failures at INFO
    # and the successes only at DEBUG (a JSON line per call was ~4% of a cheap call).
    # A stream cancelled by its client is the normal way a feed ends, not a failure.
    level = logging.DEBUG if code in ("OK", "CANCELLED") else logging.INFO
    if log.isEnabledFor(level):
        log.log(
            level,
            "rpc",
            extra={
                "method": method,
                "status": code,
                "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                "user_id": str(caller.user_id) if caller else None,
            },
        )


def _record_call(method: str, code: str, started: float, *, unary: bool) -> None:
    elapsed = time.perf_counter() - started

    def record() -> None:
        metrics.RPCS.labels(method, code).inc()
        if unary:
            metrics.RPC_DURATION.labels(method).observe(elapsed)

    metrics.safely(record)
