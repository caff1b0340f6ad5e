"""Lockouts that cannot be turned against the rightful user, and the other throttles, on
SQLite and PostgreSQL: device tokens exempt a client that logged in before from the
account lock others trigger; ChangePassword and SignUp are throttled too."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import pytest
from google.rpc import error_details_pb2

from carenotes.v1 import auth_pb2
from tests.harness import DEFAULT_PASSWORD, Harness, running_server
from tests.integration.rpc_errors import expect_code, rich_status

UNAUTH = grpc.StatusCode.UNAUTHENTICATED
EXHAUSTED = grpc.StatusCode.RESOURCE_EXHAUSTED


def login(email: str, password: str = DEFAULT_PASSWORD, device: str = "") -> auth_pb2.LoginRequest:
    return auth_pb2.LoginRequest(email=email, password=password, device_token=device)


async def test_a_victim_still_logs_in_from_a_known_device(harness: Harness) -> None:
    victim = await harness.patient()
    first = await harness.auth.Login(login(victim.email))
    assert first.device_token  # a client without one is given one
    # Someone else types ten wrong passwords for the victim's email.
    for _ in range(5):
        await expect_code(harness.auth.Login(login(victim.email, "wrong-guess-123")), UNAUTH)
    for _ in range(5):
        await expect_code(harness.auth.Login(login(victim.email, "wrong-guess-123")), EXHAUSTED)
    # A new client is locked out, even with the right password...
    await expect_code(harness.auth.Login(login(victim.email)), EXHAUSTED)
    # ... but the victim's own client, which logged in before, is not.
    again = await harness.auth.Login(login(victim.email, device=first.device_token))
    assert again.user.id == victim.id
    assert again.device_token == ""  # its token stays valid: no new one


async def test_a_device_token_is_bound_to_its_user_and_locks_alone(harness: Harness) -> None:
    alice = await harness.patient()
    bob = await harness.patient()
    alices_device = (await harness.auth.Login(login(alice.email))).device_token
    # Guessing Bob's password with Alice's device token: not exempt from Bob's lock.
    for _ in range(5):
        await expect_code(
            harness.auth.Login(login(bob.email, "wrong-guess-123", alices_device)), UNAUTH
        )
    await expect_code(harness.auth.Login(login(bob.email, device=alices_device)), EXHAUSTED)
    # Guessing with a stolen device token locks that token only.
    bobs_device_holder = await harness.patient()
    token = (await harness.auth.Login(login(bobs_device_holder.email))).device_token
    for _ in range(5):
        await expect_code(
            harness.auth.Login(login(bobs_device_holder.email, "wrong-guess-1", token)), UNAUTH
        )
    await expect_code(harness.auth.Login(login(bobs_device_holder.email, device=token)), EXHAUSTED)
    fresh = await harness.auth.Login(login(bobs_device_holder.email))  # the account is not
    assert fresh.user.id == bobs_device_holder.id


async def test_change_password_is_throttled_like_login(harness: Harness) -> None:
    account = await harness.patient()
    wrong = auth_pb2.ChangePasswordRequest(
        current_password="not-my-password-9", new_password="a-brand-new-passphrase-7"
    )
    for _ in range(5):
        await expect_code(harness.auth.ChangePassword(wrong, metadata=account.metadata), UNAUTH)
    err = await expect_code(
        harness.auth.ChangePassword(wrong, metadata=account.metadata), EXHAUSTED
    )
    retry = error_details_pb2.RetryInfo()
    assert any(d.Unpack(retry) for d in rich_status(err).details)
    # The right current password waits out the lock too: a stolen access token is no oracle.
    right = auth_pb2.ChangePasswordRequest(
        current_password=DEFAULT_PASSWORD, new_password="a-brand-new-passphrase-7"
    )
    await expect_code(harness.auth.ChangePassword(right, metadata=account.metadata), EXHAUSTED)


async def test_a_password_change_forgets_the_trusted_devices(harness: Harness) -> None:
    account = await harness.patient()
    device = (await harness.auth.Login(login(account.email))).device_token
    new_password = "another-long-passphrase-8"
    await harness.auth.ChangePassword(
        auth_pb2.ChangePasswordRequest(
            current_password=DEFAULT_PASSWORD, new_password=new_password
        ),
        metadata=account.metadata,
    )
    answer = await harness.auth.Login(login(account.email, new_password, device))
    assert answer.device_token  # the old one is no longer trusted: a new one is issued


@pytest.fixture
async def strict_signups(db_url: str, tmp_path: Path) -> AsyncIterator[Harness]:
    async with running_server(db_url, tmp_path, env={"CARENOTES_SIGNUP_LIMIT": "3"}) as h:
        yield h


async def test_sign_ups_are_throttled_per_client(strict_signups: Harness) -> None:
    h = strict_signups
    taken = f"taken-{uuid.uuid4().hex[:8]}@example.org"

    def probe(email: str) -> auth_pb2.SignUpRequest:
        return auth_pb2.SignUpRequest(
            name="Probe", email=email, password=DEFAULT_PASSWORD, role=auth_pb2.ROLE_PATIENT
        )

    await h.auth.SignUp(probe(taken))
    for _ in range(2):  # ALREADY_EXISTS answers a few probes ...
        await expect_code(h.auth.SignUp(probe(taken)), grpc.StatusCode.ALREADY_EXISTS)
    err = await expect_code(h.auth.SignUp(probe(taken)), EXHAUSTED)  # ... then no more
    retry = error_details_pb2.RetryInfo()
    assert any(d.Unpack(retry) for d in rich_status(err).details)
    await expect_code(h.auth.SignUp(probe(f"new-{uuid.uuid4().hex}@example.org")), EXHAUSTED)
