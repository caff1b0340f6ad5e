"""Errors reach callers as typed exceptions decoded from the real rich status."""

from __future__ import annotations

import grpc  # type: ignore[import-untyped, unused-ignore]
import pytest
from google.protobuf.duration_pb2 import Duration
from google.protobuf.message import Message
from google.rpc import error_details_pb2, status_pb2

from carenotes.v1 import auth_pb2
from carenotes_client import (
    CareClient,
    CarenotesError,
    FieldViolation,
    InvalidArgument,
    NotFound,
    ResourceExhausted,
    Unavailable,
)
from carenotes_client.errors import STATUS_DETAILS_KEY, from_status_parts
from tests.client.fake_server import FakeServer, abort, abort_rich


def test_invalid_argument_carries_every_field_violation(
    fake: FakeServer, client: CareClient
) -> None:
    def sign_up(request: auth_pb2.SignUpRequest, context: grpc.ServicerContext) -> Message:
        bad = error_details_pb2.BadRequest()
        bad.field_violations.add(field="email", description="is not a valid address")
        bad.field_violations.add(field="password", description="is too common")
        abort_rich(context, grpc.StatusCode.INVALID_ARGUMENT, "invalid request", bad)

    fake.on("AuthService/SignUp", sign_up)

    with pytest.raises(InvalidArgument) as caught:
        client.sign_up("Pat", "not-an-email", "password", "patient")

    assert caught.value.code == grpc.StatusCode.INVALID_ARGUMENT
    assert caught.value.message == "invalid request"
    assert caught.value.field_violations == [
        FieldViolation("email", "is not a valid address"),
        FieldViolation("password", "is too common"),
    ]
    assert caught.value.retry_after is None


def test_resource_exhausted_carries_retry_delay(fake: FakeServer, client: CareClient) -> None:
    def login(request: auth_pb2.LoginRequest, context: grpc.ServicerContext) -> Message:
        retry = error_details_pb2.RetryInfo(retry_delay=Duration(seconds=3, nanos=500_000_000))
        abort_rich(context, grpc.StatusCode.RESOURCE_EXHAUSTED, "too many attempts", retry)

    fake.on("AuthService/Login", login)

    with pytest.raises(ResourceExhausted) as caught:
        client.login("pat@example.org", "guess")

    assert caught.value.retry_after == pytest.approx(3.5)
    assert caught.value.message == "too many attempts"


def test_plain_status_without_details_still_maps_to_its_class(
    fake: FakeServer, client: CareClient
) -> None:
    def sign_up(request: auth_pb2.SignUpRequest, context: grpc.ServicerContext) -> Message:
        abort(context, grpc.StatusCode.NOT_FOUND, "no such thing")

    fake.on("AuthService/SignUp", sign_up)

    with pytest.raises(NotFound, match="no such thing") as caught:
        client.sign_up("Pat", "pat@example.org", "password", "patient")
    assert caught.value.field_violations == []


def test_unreachable_server_is_unavailable() -> None:
    # Port 1 on loopback: nothing listens there, the connection is refused.
    with CareClient("127.0.0.1:1", timeout=2.0) as client, pytest.raises(Unavailable):
        client.login("pat@example.org", "secret")


def test_unimplemented_rpc_is_a_plain_carenotes_error(fake: FakeServer, client: CareClient) -> None:
    with pytest.raises(CarenotesError) as caught:
        client.sign_up("Pat", "pat@example.org", "password", "patient")
    assert type(caught.value) is CarenotesError
    assert caught.value.code == grpc.StatusCode.UNIMPLEMENTED


def test_garbled_details_do_not_hide_the_status() -> None:
    error = from_status_parts(
        grpc.StatusCode.INVALID_ARGUMENT, "bad", [(STATUS_DETAILS_KEY, b"\xff\xff not proto")]
    )
    assert isinstance(error, InvalidArgument)
    assert error.message == "bad"


def test_rich_status_message_wins_and_unknown_details_are_ignored() -> None:
    status = status_pb2.Status(code=3, message="from the rich status")
    status.details.add().Pack(error_details_pb2.ErrorInfo(reason="WHATEVER"))
    error = from_status_parts(
        grpc.StatusCode.INVALID_ARGUMENT, "", [(STATUS_DETAILS_KEY, status.SerializeToString())]
    )
    assert error.message == "from the rich status"
    assert error.field_violations == []
