"""Bearer tokens: sent on every call, refreshed before expiry and once on rejection."""

from __future__ import annotations

import dataclasses
import threading
from datetime import UTC, datetime, timedelta

import grpc  # type: ignore[import-untyped, unused-ignore]
import pytest
from google.protobuf.message import Message

from carenotes.v1 import auth_pb2
from carenotes_client import CareClient, FileSessionStore, MemorySessionStore, Unauthenticated
from tests.client.fake_server import FakeAuth, FakeServer, abort


def authorization_headers(fake: FakeServer, method: str) -> list[str]:
    return [md.get("authorization", "") for name, md in fake.metadata if name == method]


def test_login_persists_the_session_and_calls_send_the_bearer_token(
    fake: FakeServer, auth: FakeAuth, client: CareClient, store: FileSessionStore
) -> None:
    response = client.login("pat@example.org", auth.password)

    saved = store.load()
    assert saved is not None
    assert saved.access_token == response.access_token
    assert saved.server == fake.target
    assert saved.role == "patient"

    assert client.who_am_i().id == "u-pat"
    assert authorization_headers(fake, "AuthService/WhoAmI") == [f"Bearer {response.access_token}"]
    # Public RPCs never carry a token.
    assert authorization_headers(fake, "AuthService/Login") == [""]


def test_token_about_to_expire_is_refreshed_before_the_call(
    fake: FakeServer, auth: FakeAuth, signed_in: CareClient, store: FileSessionStore
) -> None:
    session = store.load()
    assert session is not None
    almost_expired = datetime.now(UTC) + timedelta(seconds=5)
    store.save(dataclasses.replace(session, access_token_expires_at=almost_expired))

    signed_in.who_am_i()

    assert auth.refresh_calls == 1
    rotated = store.load()
    assert rotated is not None
    assert rotated.access_token != session.access_token
    assert rotated.refresh_token != session.refresh_token
    assert authorization_headers(fake, "AuthService/WhoAmI") == [f"Bearer {rotated.access_token}"]


def test_rejected_token_is_refreshed_once_and_the_call_retried(
    fake: FakeServer, auth: FakeAuth, signed_in: CareClient, store: FileSessionStore
) -> None:
    auth.valid_access.clear()  # e.g. revoked server-side, or the clocks disagree

    assert signed_in.who_am_i().id == "u-pat"

    assert auth.refresh_calls == 1
    headers = authorization_headers(fake, "AuthService/WhoAmI")
    assert len(headers) == 2
    assert headers[0] != headers[1]


def test_a_persistently_rejected_call_is_retried_only_once(
    fake: FakeServer, auth: FakeAuth, signed_in: CareClient
) -> None:
    def always_reject(request: auth_pb2.WhoAmIRequest, context: grpc.ServicerContext) -> Message:
        abort(context, grpc.StatusCode.UNAUTHENTICATED, "nope")

    fake.on("AuthService/WhoAmI", always_reject)

    with pytest.raises(Unauthenticated, match="nope"):
        signed_in.who_am_i()
    assert auth.refresh_calls == 1
    assert len(authorization_headers(fake, "AuthService/WhoAmI")) == 2


def test_a_revoked_refresh_token_ends_the_session(
    auth: FakeAuth, signed_in: CareClient, store: FileSessionStore
) -> None:
    auth.valid_access.clear()
    auth.valid_refresh.clear()

    with pytest.raises(Unauthenticated, match="log in again"):
        signed_in.who_am_i()
    assert store.load() is None


def test_concurrent_calls_present_the_refresh_token_only_once(
    auth: FakeAuth, signed_in: CareClient, store: FileSessionStore
) -> None:
    session = store.load()
    assert session is not None
    store.save(dataclasses.replace(session, access_token_expires_at=datetime.now(UTC)))
    errors: list[BaseException] = []

    def call() -> None:
        try:
            signed_in.who_am_i()
        except BaseException as e:  # noqa: BLE001 - collected for the assertion below
            errors.append(e)

    threads = [threading.Thread(target=call) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    # A second presentation of the same refresh token would revoke the session.
    assert errors == []
    assert auth.refresh_calls == 1


def test_calls_without_a_session_fail_locally(fake: FakeServer) -> None:
    with CareClient(fake.target) as client, pytest.raises(Unauthenticated, match="log in"):
        client.who_am_i()
    assert fake.metadata == []


def test_a_session_of_another_server_is_not_used(
    fake: FakeServer, auth: FakeAuth, signed_in: CareClient, store: FileSessionStore
) -> None:
    with (
        CareClient("127.0.0.1:1", session_store=store) as elsewhere,
        pytest.raises(Unauthenticated, match="log in"),
    ):
        elsewhere.who_am_i()


def test_logout_forgets_the_session_even_if_the_server_already_did(
    auth: FakeAuth, signed_in: CareClient, store: FileSessionStore
) -> None:
    auth.valid_access.clear()
    auth.valid_refresh.clear()
    signed_in.logout()
    assert store.load() is None


def test_tokens_obtained_over_tls_are_not_sent_in_plaintext(
    fake: FakeServer, auth: FakeAuth
) -> None:
    store = MemorySessionStore()
    with CareClient(fake.target, session_store=store) as client:
        client.login("pat@example.org", auth.password)
    session = store.load()
    assert session is not None
    store.save(dataclasses.replace(session, tls=True))
    with CareClient(fake.target, session_store=store) as plaintext:
        assert plaintext.session is None
        with pytest.raises(Unauthenticated):
            plaintext.who_am_i()
