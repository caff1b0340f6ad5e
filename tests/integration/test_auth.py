"""AuthService through a real channel, on SQLite and PostgreSQL: sign-up rules, login,
throttling, refresh rotation, logout, and every forged-token attack."""

from __future__ import annotations

import base64
import json
import time
import uuid

import grpc
import jwt
import pytest
from google.rpc import error_details_pb2
from sqlalchemy import delete

from carenotes.v1 import auth_pb2, care_pb2
from carenotes_server.db.models import User
from tests.harness import DEFAULT_PASSWORD, Account, Harness
from tests.integration.rpc_errors import expect_code, field_violations, rich_status

UNAUTH = grpc.StatusCode.UNAUTHENTICATED


def signup(email: str, password: str = DEFAULT_PASSWORD, **kw: object) -> auth_pb2.SignUpRequest:
    fields: dict[str, object] = {
        "name": "Ada Patient",
        "email": email,
        "password": password,
        "role": auth_pb2.ROLE_PATIENT,
    }
    fields.update(kw)
    return auth_pb2.SignUpRequest(**fields)  # type: ignore[arg-type]


def unique_email() -> str:
    return f"u-{uuid.uuid4().hex[:10]}@Example.org"


async def test_signup_validates_every_field_with_details(harness: Harness) -> None:
    err = await expect_code(
        harness.auth.SignUp(
            auth_pb2.SignUpRequest(
                name="",
                email="not-an-email",
                password="short",
                role=auth_pb2.ROLE_UNSPECIFIED,
                timezone="Mars/Base",
            )
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
    )
    assert set(field_violations(err)) == {"name", "email", "password", "role", "timezone"}


async def test_email_is_unique_case_insensitively(harness: Harness) -> None:
    email = unique_email()
    await harness.auth.SignUp(signup(email))
    await expect_code(harness.auth.SignUp(signup(email.upper())), grpc.StatusCode.ALREADY_EXISTS)
    login = await harness.auth.Login(
        auth_pb2.LoginRequest(email=email.upper(), password=DEFAULT_PASSWORD)
    )
    assert login.user.email == email.lower()


async def test_common_passwords_are_refused(harness: Harness) -> None:
    err = await expect_code(
        harness.auth.SignUp(signup(unique_email(), password="Password123")),
        grpc.StatusCode.INVALID_ARGUMENT,
    )
    assert "password" in field_violations(err)


async def test_long_passwords_are_accepted_and_never_truncated(harness: Harness) -> None:
    email = unique_email()
    long_password = "x7!" + "long-passphrase-" * 10  # well over 64 characters
    await harness.auth.SignUp(signup(email, password=long_password))
    await harness.auth.Login(auth_pb2.LoginRequest(email=email, password=long_password))
    await expect_code(
        harness.auth.Login(auth_pb2.LoginRequest(email=email, password=long_password[:72])),
        UNAUTH,
    )


async def test_timezone_defaults_to_utc(harness: Harness) -> None:
    account = await harness.patient(timezone="")
    me = await harness.auth.WhoAmI(auth_pb2.WhoAmIRequest(), metadata=account.metadata)
    assert me.timezone == "UTC"


async def test_unknown_email_and_wrong_password_answer_identically(harness: Harness) -> None:
    account = await harness.patient()
    started = time.perf_counter()
    wrong = await expect_code(
        harness.auth.Login(auth_pb2.LoginRequest(email=account.email, password="wrong-password-1")),
        UNAUTH,
    )
    wrong_time = time.perf_counter() - started
    started = time.perf_counter()
    unknown = await expect_code(
        harness.auth.Login(
            auth_pb2.LoginRequest(email=unique_email(), password="wrong-password-1")
        ),
        UNAUTH,
    )
    unknown_time = time.perf_counter() - started
    assert wrong.details() == unknown.details()
    # Both verify one argon2id hash, so neither answers much faster than the other.
    assert unknown_time > wrong_time / 4
    assert wrong_time > unknown_time / 4


async def test_repeated_failures_are_throttled_with_a_retry_hint(harness: Harness) -> None:
    account = await harness.patient()
    request = auth_pb2.LoginRequest(email=account.email, password="wrong-password-1")
    for _ in range(5):
        await expect_code(harness.auth.Login(request), UNAUTH)
    err = await expect_code(harness.auth.Login(request), grpc.StatusCode.RESOURCE_EXHAUSTED)
    retry = error_details_pb2.RetryInfo()
    assert any(d.Unpack(retry) for d in rich_status(err).details)
    assert retry.retry_delay.seconds > 0
    # Even the right password waits out the lockout.
    await expect_code(
        harness.auth.Login(auth_pb2.LoginRequest(email=account.email, password=DEFAULT_PASSWORD)),
        grpc.StatusCode.RESOURCE_EXHAUSTED,
    )


async def test_refresh_rotates_and_reuse_revokes_the_family(harness: Harness) -> None:
    account = await harness.patient()
    first = await harness.auth.RefreshToken(
        auth_pb2.RefreshTokenRequest(refresh_token=account.refresh_token)
    )
    assert first.refresh_token != account.refresh_token
    # The old refresh token comes back: theft suspected, the whole family dies.
    await expect_code(
        harness.auth.RefreshToken(
            auth_pb2.RefreshTokenRequest(refresh_token=account.refresh_token)
        ),
        UNAUTH,
    )
    await expect_code(
        harness.auth.RefreshToken(auth_pb2.RefreshTokenRequest(refresh_token=first.refresh_token)),
        UNAUTH,
    )
    await expect_code(
        harness.auth.WhoAmI(
            auth_pb2.WhoAmIRequest(), metadata=(("authorization", f"Bearer {first.access_token}"),)
        ),
        UNAUTH,
    )


async def test_access_and_refresh_tokens_are_not_interchangeable(harness: Harness) -> None:
    account = await harness.patient()
    await expect_code(
        harness.auth.WhoAmI(
            auth_pb2.WhoAmIRequest(),
            metadata=(("authorization", f"Bearer {account.refresh_token}"),),
        ),
        UNAUTH,
    )
    await expect_code(
        harness.auth.RefreshToken(auth_pb2.RefreshTokenRequest(refresh_token=account.token)), UNAUTH
    )


async def test_logout_revokes_access_and_refresh(harness: Harness) -> None:
    account = await harness.patient()
    await harness.auth.Logout(auth_pb2.LogoutRequest(), metadata=account.metadata)
    await expect_code(
        harness.auth.WhoAmI(auth_pb2.WhoAmIRequest(), metadata=account.metadata), UNAUTH
    )
    await expect_code(
        harness.auth.RefreshToken(
            auth_pb2.RefreshTokenRequest(refresh_token=account.refresh_token)
        ),
        UNAUTH,
    )


async def test_password_change_revokes_existing_tokens(harness: Harness) -> None:
    account = await harness.patient()
    await harness.auth.ChangePassword(
        auth_pb2.ChangePasswordRequest(
            current_password=DEFAULT_PASSWORD, new_password="a-brand-new-passphrase"
        ),
        metadata=account.metadata,
    )
    await expect_code(
        harness.auth.WhoAmI(auth_pb2.WhoAmIRequest(), metadata=account.metadata), UNAUTH
    )
    await harness.auth.Login(
        auth_pb2.LoginRequest(email=account.email, password="a-brand-new-passphrase")
    )


def _claims(account: Account) -> dict[str, object]:
    payload = account.token.split(".")[1]
    return dict(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _forgeries(harness: Harness, account: Account) -> dict[str, str]:
    secret = harness.settings.jwt_secret
    claims = _claims(account)
    now = int(time.time())
    header_none = _b64(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    body = _b64(json.dumps(claims).encode())
    tampered_claims = {**claims, "sub": str(uuid.uuid4())}
    head, _, sig = account.token.split(".")
    no_exp = {k: v for k, v in claims.items() if k != "exp"}
    return {
        "alg_none": f"{header_none}.{body}.",
        "wrong_key": jwt.encode(claims, b"k" * 48, algorithm="HS256"),
        "wrong_aud": jwt.encode({**claims, "aud": "someone-else"}, secret, algorithm="HS256"),
        "wrong_iss": jwt.encode({**claims, "iss": "evil"}, secret, algorithm="HS256"),
        "wrong_typ": jwt.encode({**claims, "typ": "refresh"}, secret, algorithm="HS256"),
        "expired": jwt.encode(
            {**claims, "exp": now - 10, "iat": now - 100}, secret, algorithm="HS256"
        ),
        "missing_exp": jwt.encode(no_exp, secret, algorithm="HS256"),
        "tampered": f"{head}.{_b64(json.dumps(tampered_claims).encode())}.{sig}",
        "hs512": jwt.encode(claims, secret, algorithm="HS512"),
        "garbage": "not.a.token",
        "role_escalation": jwt.encode({**claims, "role": "DOCTOR"}, b"x" * 48, algorithm="HS256"),
    }


@pytest.mark.parametrize(
    "attack",
    [
        "alg_none",
        "wrong_key",
        "wrong_aud",
        "wrong_iss",
        "wrong_typ",
        "expired",
        "missing_exp",
        "tampered",
        "hs512",
        "garbage",
        "role_escalation",
    ],
)
async def test_forged_tokens_are_unauthenticated(harness: Harness, attack: str) -> None:
    account = await harness.patient()
    token = _forgeries(harness, account)[attack]
    await expect_code(
        harness.auth.WhoAmI(
            auth_pb2.WhoAmIRequest(), metadata=(("authorization", f"Bearer {token}"),)
        ),
        UNAUTH,
    )


async def test_missing_token_is_unauthenticated(harness: Harness) -> None:
    await expect_code(harness.auth.WhoAmI(auth_pb2.WhoAmIRequest()), UNAUTH)
    await expect_code(
        harness.auth.WhoAmI(auth_pb2.WhoAmIRequest(), metadata=(("authorization", "Basic abc"),)),
        UNAUTH,
    )


async def test_token_of_a_deleted_user_is_unauthenticated(harness: Harness) -> None:
    account = await harness.patient()
    with harness.components.db.write() as session:
        session.execute(delete(User).where(User.id == uuid.UUID(account.id)))
    await expect_code(
        harness.auth.WhoAmI(auth_pb2.WhoAmIRequest(), metadata=account.metadata), UNAUTH
    )


async def test_wrong_role_is_permission_denied(harness: Harness) -> None:
    doctor = await harness.doctor()
    patient = await harness.patient()
    await expect_code(
        harness.care.ListPatients(care_pb2.ListPatientsRequest(), metadata=patient.metadata),
        grpc.StatusCode.PERMISSION_DENIED,
    )
    await expect_code(
        harness.care.SelectDoctor(
            care_pb2.SelectDoctorRequest(doctor_id=doctor.id), metadata=doctor.metadata
        ),
        grpc.StatusCode.PERMISSION_DENIED,
    )
