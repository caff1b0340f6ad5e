"""Real databases for tests: a migrated SQLite file, or a fresh PostgreSQL database.

PostgreSQL is the machine's real server (CARENOTES_TEST_PG_URL, default
postgresql://postgres@127.0.0.1:5432). Under CI (CI=true) an unreachable server fails
the run loudly instead of skipping the PostgreSQL half of the suite.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest

from carenotes_server.db.migrate import upgrade_to_head

PG_ADMIN_URL = os.environ.get("CARENOTES_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432")
REDIS_URL = os.environ.get("CARENOTES_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def require_service(name: str, error: Exception) -> None:
    message = f"{name} is unreachable: {error}"
    if in_ci():
        pytest.fail(message + " (CI must run every integration test)", pytrace=False)
    pytest.skip(message)


@contextmanager
def postgres_database() -> Iterator[str]:
    """A new, migrated database on the real server, dropped afterwards."""
    name = f"carenotes_test_{uuid.uuid4().hex[:12]}"
    try:
        admin = psycopg.connect(f"{PG_ADMIN_URL}/postgres", autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        require_service("PostgreSQL", exc)
        raise
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = f"{PG_ADMIN_URL.replace('postgresql://', 'postgresql+psycopg://')}/{name}"
    try:
        upgrade_to_head(url)
        yield url
    finally:
        with psycopg.connect(f"{PG_ADMIN_URL}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def sqlite_database(directory: Path) -> Iterator[str]:
    url = f"sqlite:///{directory / 'carenotes.db'}"
    upgrade_to_head(url)
    yield url


@contextmanager
def database_url(kind: str, directory: Path) -> Iterator[str]:
    if kind == "postgres":
        with postgres_database() as url:
            yield url
    else:
        with sqlite_database(directory) as url:
            yield url
