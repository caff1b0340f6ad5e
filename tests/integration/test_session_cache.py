"""The session cache never outlives a revocation made through the API, on any replica."""

from __future__ import annotations

import asyncio
from pathlib import Path

import grpc
import pytest
import redis

from carenotes.v1 import auth_pb2
from tests.databases import REDIS_URL, postgres_database, require_service
from tests.harness import DEFAULT_PASSWORD, running_server
from tests.integration.rpc_errors import expect_code

pytestmark = pytest.mark.redis


async def test_logout_on_one_replica_is_refused_at_once_by_the_other(tmp_path: Path) -> None:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        require_service("Redis", exc)
    with postgres_database() as url:
        shared = {
            "CARENOTES_REDIS_URL": REDIS_URL,
            "CARENOTES_AUTH_CACHE_SECONDS": "300",  # only invalidation can end it in time
            "CARENOTES_EMBEDDED_SCHEDULER": "0",
        }
        async with running_server(url, tmp_path / "a", worker=False, env=shared) as a:
            secrets = {
                "CARENOTES_JWT_SECRET": _b64(a.settings.jwt_secret),
                "CARENOTES_MASTER_KEYS": f"test1:{_b64(a.settings.keyring.keys['test1'])}",
            }
            async with running_server(
                url, tmp_path / "b", worker=False, env={**shared, **secrets}
            ) as b:
                await asyncio.sleep(0.3)  # both relays subscribed
                account = await a.patient()
                who = auth_pb2.WhoAmIRequest()
                await b.auth.WhoAmI(who, metadata=account.metadata)  # cached on b
                await a.auth.Logout(auth_pb2.LogoutRequest(), metadata=account.metadata)
                await asyncio.sleep(0.2)
                await expect_code(
                    b.auth.WhoAmI(who, metadata=account.metadata), grpc.StatusCode.UNAUTHENTICATED
                )
                # Password change revokes every session of the user, on every replica.
                login = await a.auth.Login(
                    auth_pb2.LoginRequest(email=account.email, password=DEFAULT_PASSWORD)
                )
                md = (("authorization", f"Bearer {login.access_token}"),)
                await b.auth.WhoAmI(who, metadata=md)
                await a.auth.ChangePassword(
                    auth_pb2.ChangePasswordRequest(
                        current_password=DEFAULT_PASSWORD, new_password="another-long-passphrase"
                    ),
                    metadata=md,
                )
                await asyncio.sleep(0.2)
                await expect_code(b.auth.WhoAmI(who, metadata=md), grpc.StatusCode.UNAUTHENTICATED)


def _b64(raw: bytes) -> str:
    import base64

    return base64.urlsafe_b64encode(raw).decode().rstrip("=")
