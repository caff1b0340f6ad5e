"""Device tokens: OWASP's "device cookies" against lockout used as a weapon.

Five wrong passwords for an email lock that account's logins for a while. Anyone can
type five wrong passwords for someone else's email, so a lockout alone lets an attacker
keep the rightful user out. A client that logged in successfully before holds a device
token (issued by Login, kept by the CLI in its config directory): its logins are exempt
from the account and peer lockouts, and are throttled by their own counter instead, so
guessing with a stolen device token locks only that token. Only a SHA-256 of each token
is stored; a token is bound to the user it was issued to.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import timedelta

from sqlalchemy import delete, select, update

from carenotes_server.clock import Clock
from carenotes_server.db.database import Database
from carenotes_server.db.models import DeviceToken

DEVICE_TOKEN_LIFETIME = timedelta(days=180)
MAX_DEVICES_PER_USER = 20
MAX_TOKEN_LENGTH = 128
DEVICE_PREFIX = "device:"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class DeviceTokens:
    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    def device_of(self, token: str, user_id: uuid.UUID) -> uuid.UUID | None:
        """The id of the user's unexpired device that holds this token, or None."""
        if not token or len(token) > MAX_TOKEN_LENGTH:
            return None
        with self._db.read() as session:
            row = session.execute(
                select(DeviceToken.id, DeviceToken.user_id, DeviceToken.expires_at).where(
                    DeviceToken.token_hash == _hash(token)
                )
            ).first()
        if row is None or row.user_id != user_id or row.expires_at <= self._clock.now():
            return None
        return uuid.UUID(str(row.id))

    def issue(self, user_id: uuid.UUID) -> str:
        """A new device token for the user (the oldest of too many is forgotten)."""
        token = secrets.token_urlsafe(32)
        now = self._clock.now()
        with self._db.write() as session:
            session.add(
                DeviceToken(
                    id=uuid.uuid4(),
                    user_id=user_id,
                    token_hash=_hash(token),
                    created_at=now,
                    expires_at=now + DEVICE_TOKEN_LIFETIME,
                    last_used_at=now,
                )
            )
            session.flush()
            keep = (
                select(DeviceToken.id)
                .where(DeviceToken.user_id == user_id)
                .order_by(DeviceToken.created_at.desc())
                .limit(MAX_DEVICES_PER_USER)
            )
            session.execute(
                delete(DeviceToken)
                .where(DeviceToken.user_id == user_id, DeviceToken.id.not_in(keep))
                .execution_options(synchronize_session=False)
            )
        return token

    def touch(self, device_id: uuid.UUID) -> None:
        with self._db.write() as session:
            session.execute(
                update(DeviceToken)
                .where(DeviceToken.id == device_id)
                .values(last_used_at=self._clock.now())
            )

    def forget_all(self, user_id: uuid.UUID) -> None:
        """A password change: devices trusted under the old password are trusted no more."""
        with self._db.write() as session:
            session.execute(delete(DeviceToken).where(DeviceToken.user_id == user_id))
