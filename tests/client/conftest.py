"""Fixtures of the client tests: a fake server, its token rules and a client."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from carenotes_client import CareClient, FileSessionStore
from tests.client.fake_server import FakeAuth, FakeServer


@pytest.fixture(autouse=True)
def config_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Keeps every session file of these tests out of the real home directory."""
    directory = tmp_path / "config"
    monkeypatch.setenv("CARENOTES_CONFIG_DIR", str(directory))
    monkeypatch.delenv("CARENOTES_SERVER", raising=False)
    return directory


@pytest.fixture
def fake() -> Iterator[FakeServer]:
    server = FakeServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def auth(fake: FakeServer) -> FakeAuth:
    rules = FakeAuth()
    rules.install(fake)
    return rules


@pytest.fixture
def store(config_dir: Path) -> FileSessionStore:
    return FileSessionStore(config_dir / "session.json")


@pytest.fixture
def client(fake: FakeServer, store: FileSessionStore) -> Iterator[CareClient]:
    with CareClient(fake.target, session_store=store, timeout=5.0) as c:
        yield c


@pytest.fixture
def signed_in(client: CareClient, auth: FakeAuth) -> CareClient:
    client.login("pat@example.org", auth.password)
    return client
