"""A small in-process gRPC server on 127.0.0.1 that drives the client in tests.

Each test plugs in the behaviour of just the RPCs it needs; anything else
answers UNIMPLEMENTED. Message types come from the contract's descriptors, so a
behaviour is a plain function from request to response. FakeAuth plays the
server's token rules (expiring access tokens, single-use refresh tokens).
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Iterator
from concurrent import futures
from datetime import UTC, datetime, timedelta
from typing import Any, NoReturn

import grpc  # type: ignore[import-untyped, unused-ignore]
from google.protobuf import descriptor_pool, message_factory
from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp
from google.rpc import status_pb2
from grpc_status import rpc_status

from carenotes.v1 import auth_pb2

UnaryBehaviour = Callable[[Any, grpc.ServicerContext], Message]
StreamBehaviour = Callable[[Any, grpc.ServicerContext], Iterator[Message]]


class _Router(grpc.GenericRpcHandler):  # type: ignore[misc, unused-ignore]
    def __init__(self, handlers: dict[str, grpc.RpcMethodHandler[Any, Any]]) -> None:
        self._handlers = handlers

    def service(
        self, handler_call_details: grpc.HandlerCallDetails
    ) -> grpc.RpcMethodHandler[Any, Any] | None:
        return self._handlers.get(handler_call_details.method)


class FakeServer:
    """Register behaviours with on()/on_stream() by "Service/Method" name."""

    def __init__(self) -> None:
        self._handlers: dict[str, grpc.RpcMethodHandler[Any, Any]] = {}
        self.metadata: list[tuple[str, dict[str, str]]] = []
        self._server = grpc.server(futures.ThreadPoolExecutor(max_workers=16))
        self._server.add_generic_rpc_handlers((_Router(self._handlers),))
        port = self._server.add_insecure_port("127.0.0.1:0")
        self.target = f"127.0.0.1:{port}"

    def start(self) -> None:
        self._server.start()

    def stop(self) -> None:
        self._server.stop(grace=None).wait()

    def _types(self, name: str) -> tuple[type[Message], type[Message]]:
        service, method = name.split("/")
        found = descriptor_pool.Default().FindMethodByName(f"carenotes.v1.{service}.{method}")
        return (
            message_factory.GetMessageClass(found.input_type),
            message_factory.GetMessageClass(found.output_type),
        )

    def _record(self, name: str, context: grpc.ServicerContext) -> None:
        text_only = {k: v for k, v in context.invocation_metadata() if isinstance(v, str)}
        self.metadata.append((name, text_only))

    def on(self, name: str, behaviour: UnaryBehaviour) -> None:
        request_type, response_type = self._types(name)

        def handle(request: Any, context: grpc.ServicerContext) -> Message:
            self._record(name, context)
            return behaviour(request, context)

        self._handlers[f"/carenotes.v1.{name}"] = grpc.unary_unary_rpc_method_handler(
            handle,
            request_deserializer=request_type.FromString,
            response_serializer=response_type.SerializeToString,
        )

    def on_stream(self, name: str, behaviour: StreamBehaviour) -> None:
        request_type, response_type = self._types(name)

        def handle(request: Any, context: grpc.ServicerContext) -> Iterator[Message]:
            self._record(name, context)
            yield from behaviour(request, context)

        self._handlers[f"/carenotes.v1.{name}"] = grpc.unary_stream_rpc_method_handler(
            handle,
            request_deserializer=request_type.FromString,
            response_serializer=response_type.SerializeToString,
        )


def abort_rich(
    context: grpc.ServicerContext, code: grpc.StatusCode, message: str, *details: Message
) -> NoReturn:
    """Aborts the way the real server does: a google.rpc.Status with details."""
    status = status_pb2.Status(code=code.value[0], message=message)
    for detail in details:
        status.details.add().Pack(detail)
    context.abort_with_status(rpc_status.to_status(status))
    raise AssertionError("abort_with_status returned")


def abort(context: grpc.ServicerContext, code: grpc.StatusCode, message: str) -> NoReturn:
    """context.abort, typed as never returning."""
    context.abort(code, message)
    raise AssertionError("abort returned")


def timestamp(moment: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(moment)
    return stamp


USER = auth_pb2.User(
    id="u-pat", name="Pat Patient", email="pat@example.org", role=auth_pb2.ROLE_PATIENT
)


class FakeAuth:
    """Token rules of the real server: access tokens expire, refresh tokens are
    single use, and presenting a used one revokes every token of the family."""

    def __init__(self, access_lifetime: timedelta = timedelta(minutes=15)) -> None:
        self.access_lifetime = access_lifetime
        self.password = "correct horse battery staple"
        self.valid_access: set[str] = set()
        self.valid_refresh: set[str] = set()
        self.used_refresh: set[str] = set()
        self.refresh_calls = 0
        self._counter = itertools.count(1)
        self._lock = threading.Lock()

    def install(self, server: FakeServer) -> None:
        server.on("AuthService/Login", self.login)
        server.on("AuthService/RefreshToken", self.refresh)
        server.on("AuthService/WhoAmI", self.who_am_i)
        server.on("AuthService/Logout", self.logout)

    def issue(self) -> auth_pb2.LoginResponse:
        n = next(self._counter)
        now = datetime.now(UTC)
        access, refresh = f"access-{n}", f"refresh-{n}"
        self.valid_access.add(access)
        self.valid_refresh.add(refresh)
        return auth_pb2.LoginResponse(
            access_token=access,
            access_token_expires_at=timestamp(now + self.access_lifetime),
            refresh_token=refresh,
            refresh_token_expires_at=timestamp(now + timedelta(days=30)),
            user=USER,
        )

    def require(self, context: grpc.ServicerContext) -> str:
        """The caller's valid access token, or abort UNAUTHENTICATED."""
        header = str(dict(context.invocation_metadata()).get("authorization", ""))
        token = header.removeprefix("Bearer ")
        if token not in self.valid_access:
            context.abort(grpc.StatusCode.UNAUTHENTICATED, "invalid or expired token")
        return token

    def login(self, request: auth_pb2.LoginRequest, context: grpc.ServicerContext) -> Message:
        if request.password != self.password:
            context.abort(grpc.StatusCode.UNAUTHENTICATED, "wrong email or password")
        return self.issue()

    def refresh(
        self, request: auth_pb2.RefreshTokenRequest, context: grpc.ServicerContext
    ) -> Message:
        with self._lock:
            self.refresh_calls += 1
            token = request.refresh_token
            if token in self.used_refresh or token not in self.valid_refresh:
                # Reuse: revoke the whole family, as the real server does.
                self.valid_access.clear()
                self.valid_refresh.clear()
                context.abort(grpc.StatusCode.UNAUTHENTICATED, "refresh token reused")
            self.valid_refresh.discard(token)
            self.used_refresh.add(token)
            return self.issue()

    def who_am_i(self, request: auth_pb2.WhoAmIRequest, context: grpc.ServicerContext) -> Message:
        self.require(context)
        return USER

    def logout(self, request: auth_pb2.LogoutRequest, context: grpc.ServicerContext) -> Message:
        self.valid_access.discard(self.require(context))
        return auth_pb2.LogoutResponse()
