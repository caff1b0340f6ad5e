"""Where a client keeps its device tokens, one per (server, email).

The server gives a client that logged in successfully a device token; presented with
later logins of the same user, it exempts this client from the lockout that wrong
passwords typed elsewhere put on the account. It outlives sessions (logout keeps it),
so it is kept apart from the session, in the same private directory.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
from pathlib import Path
from typing import Protocol

DEVICES_FILE_NAME = "devices.json"


def _key(server: str, email: str) -> str:
    return f"{server}|{email.strip().lower()}"


class DeviceStore(Protocol):
    def get(self, server: str, email: str) -> str: ...

    def put(self, server: str, email: str, token: str) -> None: ...


class MemoryDeviceStore:
    def __init__(self) -> None:
        self._tokens: dict[str, str] = {}

    def get(self, server: str, email: str) -> str:
        return self._tokens.get(_key(server, email), "")

    def put(self, server: str, email: str, token: str) -> None:
        self._tokens[_key(server, email)] = token


class FileDeviceStore:
    """A JSON file private to the user (directory 0700, file 0600)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def _load(self) -> dict[str, str]:
        try:
            with self.path.open(encoding="utf-8") as f:
                data = json.load(f)
        except (FileNotFoundError, ValueError):
            return {}
        return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}

    def get(self, server: str, email: str) -> str:
        return self._load().get(_key(server, email), "")

    def put(self, server: str, email: str, token: str) -> None:
        tokens = self._load()
        tokens[_key(server, email)] = token
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.{secrets.token_hex(8)}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(tokens, f, indent=2)
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
            raise
