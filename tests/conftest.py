"""Shared fixtures. Every storage test runs on SQLite and on the real PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from carenotes_server.db.database import Database
from tests.databases import database_url
from tests.harness import Harness, running_server

STORAGE_KINDS = ["sqlite", "postgres"]


@pytest.fixture(params=STORAGE_KINDS)
def storage_kind(request: pytest.FixtureRequest) -> str:
    kind: str = request.param
    return kind


@pytest.fixture
def db_url(storage_kind: str, tmp_path: Path) -> Iterator[str]:
    with database_url(storage_kind, tmp_path) as url:
        yield url


@pytest.fixture
def database(db_url: str) -> Iterator[Database]:
    db = Database(db_url, threads=4)
    try:
        yield db
    finally:
        db.dispose()


@pytest.fixture
async def harness(db_url: str, tmp_path: Path) -> AsyncIterator[Harness]:
    async with running_server(db_url, tmp_path) as h:
        yield h
