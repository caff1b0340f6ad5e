"""Doctor accounts are vouched for by the clinic, on SQLite and PostgreSQL: invitation
codes are one-time, expiring and bound to an email; only their hash is stored; names
that could pass for another doctor's are refused; and `carenotes-server invite-doctor`
issues a code as its last line."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import grpc
import pytest
from sqlalchemy import func, select

from carenotes.v1 import auth_pb2, care_pb2
from carenotes_server.clock import FakeClock
from carenotes_server.db.models import AuditEvent, DoctorInvitation, User
from carenotes_server.services.invitations import Invitations
from tests.harness import DEFAULT_PASSWORD, Harness, running_server
from tests.harness import test_env as server_env
from tests.integration.rpc_errors import expect_code, field_violations

DENIED = grpc.StatusCode.PERMISSION_DENIED
START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def doctor_sign_up(email: str, code: str, name: str = "Dr Dana One") -> auth_pb2.SignUpRequest:
    return auth_pb2.SignUpRequest(
        name=name,
        email=email,
        password=DEFAULT_PASSWORD,
        role=auth_pb2.ROLE_DOCTOR,
        invitation_code=code,
    )


def users_named(h: Harness, email: str) -> int:
    with h.components.db.read() as session:
        return int(session.scalar(select(func.count()).where(User.email == email)) or 0)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
async def clocked(db_url: str, tmp_path: Path, clock: FakeClock) -> AsyncIterator[Harness]:
    async with running_server(db_url, tmp_path, clock=clock) as h:
        yield h


async def test_an_invitation_works_once_for_its_email_until_it_expires(
    clocked: Harness, clock: FakeClock
) -> None:
    h = clocked
    email = f"dana-{uuid.uuid4().hex[:8]}@clinic.example"
    invitations = Invitations(h.components.db, clock)
    issued = invitations.issue(email=email.upper(), valid_for=timedelta(days=2))
    # Another email, a mistyped code, no code: refused, nothing written.
    other = f"mallory-{uuid.uuid4().hex[:8]}@clinic.example"
    for request in (
        doctor_sign_up(other, issued.code),
        doctor_sign_up(email, issued.code[:-1] + ("A" if issued.code[-1] != "A" else "B")),
        doctor_sign_up(email, ""),
    ):
        err = await expect_code(h.auth.SignUp(request), DENIED)
        assert "invitation" in (err.details() or "")
    assert users_named(h, email) == 0 == users_named(h, other)
    # Codes are read leniently (case, dashes) and work once.
    typed = issued.code.lower().replace("-", " ")
    await h.auth.SignUp(doctor_sign_up(email, typed))
    await expect_code(h.auth.SignUp(doctor_sign_up(f"x{email}", issued.code)), DENIED)
    # An expired one never works.
    late = f"late-{uuid.uuid4().hex[:8]}@clinic.example"
    expired = invitations.issue(email=late, valid_for=timedelta(days=2))
    clock.advance(timedelta(days=2, seconds=1))
    await expect_code(h.auth.SignUp(doctor_sign_up(late, expired.code)), DENIED)
    with h.components.db.read() as session:
        stored = session.scalars(
            select(DoctorInvitation).where(DoctorInvitation.email == email)
        ).one()
        refusals = session.scalar(
            select(func.count()).where(
                AuditEvent.action == "account.signup", AuditEvent.outcome == "denied"
            )
        )
    # Only a hash of the code is stored, never the code.
    assert issued.code not in (stored.code_hash or "")
    assert stored.code_hash == hashlib.sha256(issued.code.replace("-", "").encode()).hexdigest()
    assert stored.used_at is not None
    assert refusals == 5


async def test_the_clinic_names_the_doctor_and_patients_can_tell_them_apart(
    harness: Harness,
) -> None:
    email = f"dana-{uuid.uuid4().hex[:8]}@north.example"
    code = harness.invite(email, name="Dr Dana One", registration="GMC 1234567")
    signed = await harness.auth.SignUp(doctor_sign_up(email, code, name="Dana"))
    patient = await harness.patient()
    found = await harness.care.ListDoctors(
        care_pb2.ListDoctorsRequest(name_filter="dana one"), metadata=patient.metadata
    )
    (doctor,) = [d for d in found.doctors if d.id == signed.user_id]
    assert (doctor.name, doctor.registration, doctor.email_domain) == (
        "Dr Dana One",
        "GMC 1234567",
        "north.example",
    )


@pytest.mark.parametrize(
    "name",
    [
        "Dr Dana\u200b One",  # zero-width space
        "Dr \u202eenO anaD",  # right-to-left override
        "Dr Dana\u2066 One",  # left-to-right isolate
        "Dr Dana\ufeffOne",  # byte order mark
        "Dr Dana\u0007One",  # bell
    ],
)
async def test_names_that_hide_or_reverse_characters_are_refused(
    harness: Harness, name: str
) -> None:
    email = f"v-{uuid.uuid4().hex[:8]}@example.org"
    for role in (auth_pb2.ROLE_PATIENT, auth_pb2.ROLE_DOCTOR):
        err = await expect_code(
            harness.auth.SignUp(
                auth_pb2.SignUpRequest(
                    name=name,
                    email=email,
                    password=DEFAULT_PASSWORD,
                    role=role,
                    invitation_code=harness.invite(email) if role == auth_pb2.ROLE_DOCTOR else "",
                )
            ),
            grpc.StatusCode.INVALID_ARGUMENT,
        )
        assert "name" in field_violations(err)
    assert users_named(harness, email) == 0


def test_invite_doctor_prints_the_code_last_and_it_signs_up(db_url: str, tmp_path: Path) -> None:
    env = {**os.environ, **server_env(db_url, tmp_path)}
    email = f"cli-{uuid.uuid4().hex[:8]}@clinic.example"
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "carenotes_server.cli",
            "invite-doctor",
            "--email",
            email,
            "--name",
            "Dr Cli Invited",
            "--registration",
            "RN 42",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    lines = done.stdout.strip().splitlines()
    assert email in lines[0]
    assert "Dr Cli Invited (RN 42)" in lines[0]
    code = lines[-1]
    assert len(code.replace("-", "")) == 20
    db_env = server_env(db_url, tmp_path)
    from carenotes_server.config import load_settings
    from carenotes_server.db.database import Database

    db = Database(load_settings(db_env).database_url, threads=1)
    try:
        with db.read() as session:
            invitation = session.scalars(
                select(DoctorInvitation).where(DoctorInvitation.email == email)
            ).one()
            assert invitation.name == "Dr Cli Invited"
            assert code not in invitation.code_hash
    finally:
        db.dispose()
