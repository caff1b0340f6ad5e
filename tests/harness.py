"""A real Carenotes server for tests: real gRPC channel, real database, real broker.

`running_server` builds the same components as `carenotes-server serve` (embedded
worker threads and in-memory broker unless a Redis URL is given) and listens on an
ephemeral 127.0.0.1 port.
"""

from __future__ import annotations

import base64
import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

import grpc

from carenotes.v1 import auth_pb2, auth_pb2_grpc, care_pb2, care_pb2_grpc, steps_pb2_grpc
from carenotes_server.app import CarenotesServer
from carenotes_server.clock import Clock
from carenotes_server.components import Components, build
from carenotes_server.config import Settings, load_settings
from carenotes_server.extraction.base import Extractor
from carenotes_server.services.invitations import Invitations
from carenotes_server.tracing import Tracing

DEFAULT_PASSWORD = "correct-horse-battery-staple"


def random_key() -> str:
    return base64.urlsafe_b64encode(os.urandom(32)).decode().rstrip("=")


def test_env(db_url: str, data_dir: Path, **extra: str) -> dict[str, str]:
    """Settings for a test server; an extra value of "" removes that variable."""
    env = {
        "CARENOTES_DATA_DIR": str(data_dir),
        "CARENOTES_DATABASE_URL": db_url,
        "CARENOTES_LISTEN": "127.0.0.1:0",
        "CARENOTES_JWT_SECRET": base64.urlsafe_b64encode(os.urandom(64)).decode().rstrip("="),
        "CARENOTES_MASTER_KEYS": f"test1:{random_key()}",
        "CARENOTES_MASTER_KEY_ID": "test1",
        "CARENOTES_HASH_CONCURRENCY": "2",
        "CARENOTES_DB_THREADS": "8",
        "CARENOTES_LOG_LEVEL": "WARNING",
        # Every test stops its server: short waits make that quick.
        "CARENOTES_EMBEDDED_POLL_MS": "50",
        # Tests sign up many accounts from one host; the limit has tests of its own.
        "CARENOTES_SIGNUP_LIMIT": "1000000",
    }
    env.update(extra)
    return {k: v for k, v in env.items() if v}


@dataclass
class Account:
    id: str
    email: str
    token: str
    refresh_token: str
    role: int

    @property
    def metadata(self) -> tuple[tuple[str, str]]:
        return (("authorization", f"Bearer {self.token}"),)


@dataclass
class Harness:
    components: Components
    server: CarenotesServer
    channel: grpc.aio.Channel
    port: int
    auth: auth_pb2_grpc.AuthServiceAsyncStub = field(init=False)
    care: care_pb2_grpc.CareServiceAsyncStub = field(init=False)
    steps: steps_pb2_grpc.StepsServiceAsyncStub = field(init=False)

    def __post_init__(self) -> None:
        self.auth = auth_pb2_grpc.AuthServiceStub(self.channel)
        self.care = care_pb2_grpc.CareServiceStub(self.channel)
        self.steps = steps_pb2_grpc.StepsServiceStub(self.channel)

    @property
    def settings(self) -> Settings:
        return self.components.settings

    @property
    def target(self) -> str:
        return f"127.0.0.1:{self.port}"

    def invite(
        self, email: str, *, name: str | None = None, registration: str | None = None
    ) -> str:
        """A clinic's invitation code for a doctor's email (as `invite-doctor` issues)."""
        invitations = Invitations(self.components.db, self.components.clock)
        return invitations.issue(email=email, name=name, registration=registration).code

    async def account(
        self, role: int = auth_pb2.ROLE_PATIENT, *, name: str = "", timezone: str = "UTC"
    ) -> Account:
        email = f"user-{uuid.uuid4().hex[:10]}@example.org"
        code = self.invite(email) if role == auth_pb2.ROLE_DOCTOR else ""
        signed = await self.auth.SignUp(
            auth_pb2.SignUpRequest(
                name=name or f"Test {uuid.uuid4().hex[:6]}",
                email=email,
                password=DEFAULT_PASSWORD,
                role=role,  # type: ignore[arg-type]
                timezone=timezone,
                invitation_code=code,
            )
        )
        login = await self.auth.Login(auth_pb2.LoginRequest(email=email, password=DEFAULT_PASSWORD))
        return Account(signed.user_id, email, login.access_token, login.refresh_token, role)

    async def doctor(self, **kw: str) -> Account:
        return await self.account(auth_pb2.ROLE_DOCTOR, **kw)

    async def patient(self, **kw: str) -> Account:
        return await self.account(auth_pb2.ROLE_PATIENT, **kw)

    async def assigned_pair(self, **patient_kw: str) -> tuple[Account, Account]:
        doctor = await self.doctor()
        patient = await self.patient(**patient_kw)
        await self.care.SelectDoctor(
            care_pb2.SelectDoctorRequest(doctor_id=doctor.id), metadata=patient.metadata
        )
        return doctor, patient


@asynccontextmanager
async def running_server(
    db_url: str,
    data_dir: Path,
    *,
    clock: Clock | None = None,
    extractor: Extractor | None = None,
    worker: bool = True,
    scheduler: bool = False,
    env: dict[str, str] | None = None,
    tracing: Tracing | None = None,
) -> AsyncIterator[Harness]:
    settings = load_settings(test_env(db_url, data_dir, **(env or {})))
    components = build(settings, clock=clock, extractor=extractor, migrate=False, tracing=tracing)
    components.start_background(worker=worker, scheduler=scheduler)
    server = CarenotesServer(components, listen="127.0.0.1:0")
    port = await server.start()
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{port}")
    try:
        yield Harness(components, server, channel, port)
    finally:
        await channel.close()
        await server.stop(grace=0.5)
        components.stop_background()
