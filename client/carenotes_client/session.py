"""Where a signed-in user's tokens live between calls and between CLI runs.

The session file holds bearer credentials, so it is created with mode 0600 from
the first byte (os.open with an explicit mode, never chmod after the fact) and
replaced atomically, so a crash mid-write never leaves a torn or world-readable
file behind. Its content is never printed.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import json
import os
import secrets
import threading
from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from carenotes.v1 import auth_pb2

CONFIG_DIR_ENV = "CARENOTES_CONFIG_DIR"
SESSION_FILE_NAME = "session.json"


@dataclass(frozen=True)
class Session:
    """One signed-in user on one server. Times are timezone-aware UTC."""

    server: str
    access_token: str
    access_token_expires_at: datetime
    refresh_token: str
    refresh_token_expires_at: datetime
    user_id: str
    user_name: str = ""
    role: str = ""
    # Whether the tokens were obtained over TLS: such tokens are never sent over
    # a plaintext channel.
    tls: bool = False
    # The CA bundle the CLI logged in with, reused by its later runs.
    ca_file: str | None = None

    @classmethod
    def from_login(
        cls,
        server: str,
        response: auth_pb2.LoginResponse,
        *,
        tls: bool = False,
        ca_file: str | None = None,
    ) -> Session:
        """Builds a session from a Login or RefreshToken response."""
        return cls(
            server=server,
            access_token=response.access_token,
            access_token_expires_at=response.access_token_expires_at.ToDatetime(tzinfo=UTC),
            refresh_token=response.refresh_token,
            refresh_token_expires_at=response.refresh_token_expires_at.ToDatetime(tzinfo=UTC),
            user_id=response.user.id,
            user_name=response.user.name,
            role=auth_pb2.Role.Name(response.user.role).removeprefix("ROLE_").lower(),
            tls=tls,
            ca_file=ca_file,
        )

    def access_expires_within(self, margin: timedelta, now: datetime | None = None) -> bool:
        """Whether the access token is expired or will be within `margin`."""
        now = now or datetime.now(UTC)
        return self.access_token_expires_at - now <= margin

    def can_refresh(self, now: datetime | None = None) -> bool:
        """Whether the refresh token may still be presented."""
        now = now or datetime.now(UTC)
        return bool(self.refresh_token) and self.refresh_token_expires_at > now

    def to_json(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        for key in ("access_token_expires_at", "refresh_token_expires_at"):
            data[key] = getattr(self, key).isoformat()
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Session:
        fields = {f.name for f in dataclasses.fields(cls)}
        values = {k: v for k, v in data.items() if k in fields}
        for key in ("access_token_expires_at", "refresh_token_expires_at"):
            values[key] = datetime.fromisoformat(values[key])
        return cls(**values)

    def __repr__(self) -> str:
        # Keeps tokens out of tracebacks and logs.
        return f"Session(server={self.server!r}, user_id={self.user_id!r}, role={self.role!r})"


class SessionStore(Protocol):
    """Loads and saves the one current session."""

    def load(self) -> Session | None: ...

    def save(self, session: Session) -> None: ...

    def clear(self) -> None: ...

    def refresh_lock(self) -> AbstractContextManager[None]:
        """Held while a refresh token is presented, so it is presented only once."""
        ...


class MemorySessionStore:
    """Keeps the session in memory only: for library use and tests."""

    def __init__(self, session: Session | None = None) -> None:
        self._session = session
        self._lock = threading.Lock()

    def load(self) -> Session | None:
        return self._session

    def save(self, session: Session) -> None:
        self._session = session

    def clear(self) -> None:
        self._session = None

    @contextlib.contextmanager
    def refresh_lock(self) -> Iterator[None]:
        with self._lock:
            yield


def default_session_path() -> Path:
    """$CARENOTES_CONFIG_DIR/session.json, else ~/.config/carenotes/session.json."""
    configured = os.environ.get(CONFIG_DIR_ENV)
    base = Path(configured) if configured else Path.home() / ".config" / "carenotes"
    return base / SESSION_FILE_NAME


class FileSessionStore:
    """A JSON session file, private to the user (directory 0700, file 0600)."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or default_session_path()
        self._thread_lock = threading.Lock()

    def load(self) -> Session | None:
        try:
            with self.path.open(encoding="utf-8") as f:
                data = json.load(f)
            return Session.from_json(data)
        except FileNotFoundError:
            return None
        except (ValueError, KeyError, TypeError):
            # A corrupt or outdated file means "not signed in", not a crash.
            return None

    def save(self, session: Session) -> None:
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        payload = json.dumps(session.to_json(), indent=2).encode("utf-8")
        # A fresh, unpredictable temporary name in the same directory, created
        # 0600 and exclusively, then renamed over the old file in one step.
        tmp_path = self.path.with_name(f".{self.path.name}.{secrets.token_hex(8)}.tmp")
        fd = os.open(tmp_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(payload)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp_path, self.path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                tmp_path.unlink()
            raise

    def clear(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()

    @contextlib.contextmanager
    def refresh_lock(self) -> Iterator[None]:
        # Refresh tokens are single use and a reused one revokes the whole
        # session, so two CLI processes (say `reminders --follow` and `reminders
        # ack`) must not both present the same one: an advisory file lock
        # serialises them, a thread lock the threads of this process.
        with self._thread_lock:
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            lock_path = self.path.with_name(self.path.name + ".lock")
            fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                yield
            finally:
                os.close(fd)
