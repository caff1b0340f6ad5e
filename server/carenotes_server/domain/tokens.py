"""JWT access and refresh tokens (PyJWT), with every claim checked and the algorithm pinned."""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

import jwt

from carenotes_server.clock import Clock
from carenotes_server.domain.errors import Unauthenticated

ALGORITHM = "HS256"  # pinned: the header's "alg" is never trusted
MIN_SECRET_BYTES = 32
_REQUIRED_CLAIMS = ["sub", "role", "exp", "iat", "iss", "aud", "jti", "typ", "sid"]
_INVALID = "invalid or expired token"
_VERIFIED_CACHE_SIZE = 50_000


class TokenType(StrEnum):
    ACCESS = "access"
    REFRESH = "refresh"


@dataclass(frozen=True)
class TokenClaims:
    user_id: uuid.UUID
    role: str
    session_id: uuid.UUID
    token_id: uuid.UUID
    expires_at: datetime


@dataclass(frozen=True)
class IssuedToken:
    token: str
    claims: TokenClaims


class TokenService:
    """Issues and verifies tokens. Access and refresh tokens differ by `typ`, never mix."""

    def __init__(
        self,
        secret: bytes,
        *,
        issuer: str,
        audience: str,
        access_ttl: timedelta,
        refresh_ttl: timedelta,
        clock: Clock,
    ) -> None:
        if len(secret) < MIN_SECRET_BYTES:
            raise ValueError(f"the JWT secret must be at least {MIN_SECRET_BYTES} bytes")
        self._secret = secret
        self._issuer = issuer
        self._audience = audience
        self._ttl = {TokenType.ACCESS: access_ttl, TokenType.REFRESH: refresh_ttl}
        self._clock = clock
        self._verified: dict[tuple[str, TokenType], TokenClaims] = {}
        self._verified_lock = threading.Lock()

    def issue(
        self, token_type: TokenType, user_id: uuid.UUID, role: str, session_id: uuid.UUID
    ) -> IssuedToken:
        now = self._clock.now()
        expires = now + self._ttl[token_type]
        jti = uuid.uuid4()
        payload: dict[str, Any] = {
            "sub": str(user_id),
            "role": role,
            "sid": str(session_id),
            "jti": str(jti),
            "typ": token_type.value,
            "iss": self._issuer,
            "aud": self._audience,
            "iat": int(now.timestamp()),
            "exp": int(expires.timestamp()),
        }
        token = jwt.encode(payload, self._secret, algorithm=ALGORITHM)
        expires_at = datetime.fromtimestamp(payload["exp"], tz=now.tzinfo)
        return IssuedToken(token, TokenClaims(user_id, role, session_id, jti, expires_at))

    def verify(self, token: str, expected: TokenType) -> TokenClaims:
        """Returns the claims of a valid token of the expected type; Unauthenticated otherwise.

        A token whose signature and claims were verified once is remembered (bounded, the
        oldest dropped first; keyed by the whole token), so a client's later calls skip the
        decoding and the HMAC. The expiry is still checked on every call.
        """
        now = self._clock.now()
        cached = self._verified.get((token, expected))
        if cached is not None:
            if cached.expires_at.timestamp() <= now.timestamp():
                raise Unauthenticated("token expired")
            return cached
        claims = self._verify_uncached(token, expected, now)
        with self._verified_lock:
            self._verified[(token, expected)] = claims
            if len(self._verified) > _VERIFIED_CACHE_SIZE:
                self._verified.pop(next(iter(self._verified)))
        return claims

    def _verify_uncached(self, token: str, expected: TokenType, now: datetime) -> TokenClaims:
        try:
            payload = jwt.decode(
                token,
                self._secret,
                algorithms=[ALGORITHM],
                audience=self._audience,
                issuer=self._issuer,
                options={"require": _REQUIRED_CLAIMS, "verify_exp": False, "verify_iat": False},
            )
            # Expiry is checked against the injectable clock, not the wall clock, so
            # tests that move time see tokens expire.
            exp = int(payload["exp"])
            if exp <= now.timestamp():
                raise Unauthenticated("token expired")
            if payload.get("typ") != expected.value:
                raise Unauthenticated(_INVALID)
            return TokenClaims(
                user_id=uuid.UUID(str(payload["sub"])),
                role=str(payload["role"]),
                session_id=uuid.UUID(str(payload["sid"])),
                token_id=uuid.UUID(str(payload["jti"])),
                expires_at=datetime.fromtimestamp(exp, tz=now.tzinfo),
            )
        except Unauthenticated:
            raise
        except (jwt.PyJWTError, ValueError, TypeError, KeyError):
            raise Unauthenticated(_INVALID) from None
