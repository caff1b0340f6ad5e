"""Token verification: the verified-token cache never outlives a token's expiry, and
access and refresh tokens stay apart."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from carenotes_server.clock import FakeClock
from carenotes_server.domain.errors import Unauthenticated
from carenotes_server.domain.tokens import TokenService, TokenType


def _service(clock: FakeClock) -> TokenService:
    return TokenService(
        b"s" * 40,
        issuer="carenotes",
        audience="carenotes-api",
        access_ttl=timedelta(minutes=15),
        refresh_ttl=timedelta(days=1),
        clock=clock,
    )


def test_a_cached_token_still_expires() -> None:
    clock = FakeClock(datetime(2026, 1, 1, tzinfo=UTC))
    tokens = _service(clock)
    issued = tokens.issue(TokenType.ACCESS, uuid.uuid4(), "PATIENT", uuid.uuid4())
    assert tokens.verify(issued.token, TokenType.ACCESS) == issued.claims
    assert tokens.verify(issued.token, TokenType.ACCESS) == issued.claims  # from the cache
    clock.advance(timedelta(minutes=15, seconds=1))
    with pytest.raises(Unauthenticated, match="expired"):
        tokens.verify(issued.token, TokenType.ACCESS)


def test_a_cached_access_token_is_still_no_refresh_token() -> None:
    tokens = _service(FakeClock(datetime(2026, 1, 1, tzinfo=UTC)))
    issued = tokens.issue(TokenType.ACCESS, uuid.uuid4(), "PATIENT", uuid.uuid4())
    tokens.verify(issued.token, TokenType.ACCESS)
    with pytest.raises(Unauthenticated):
        tokens.verify(issued.token, TokenType.REFRESH)


def test_short_secrets_are_refused() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        TokenService(
            b"short",
            issuer="i",
            audience="a",
            access_ttl=timedelta(minutes=1),
            refresh_ttl=timedelta(days=1),
            clock=FakeClock(datetime(2026, 1, 1, tzinfo=UTC)),
        )
