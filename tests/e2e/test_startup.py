"""What the server processes say and refuse at start-up, as real processes.

A second server on a port in use stops instead of sharing it; `serve`, `worker` and
`scheduler` refuse a database that is not at this code's schema (and never report
SERVING); `migrate` says what it did; every line of the long-running processes is
JSON, and the first one says what the process is, without credentials.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import psycopg
import pytest
from grpc_health.v1 import health_pb2

from tests.e2e.processes import (
    SERVER_BIN,
    Deployment,
    Processes,
    empty_postgres_database,
    free_port,
    health_status,
    redis_database,
    server_env,
    wait_until,
)

pytestmark = pytest.mark.slow


def json_lines(text: str) -> list[dict[str, Any]]:
    """Every non-empty line as JSON; fails on the first line that is not."""
    lines = []
    for line in text.splitlines():
        if not line.strip():
            continue
        # gRPC's C core writes its own E... lines to stderr for a failed bind.
        if line.startswith(("E", "W", "I")) and ".cc:" in line[:60]:
            continue
        try:
            lines.append(json.loads(line))
        except json.JSONDecodeError:
            pytest.fail(f"not a JSON log line: {line!r}")
    return lines


def test_a_second_server_on_a_used_port_refuses_to_start(
    embedded: Deployment, processes: Processes, tmp_path: Path
) -> None:
    env = server_env(embedded.port, tmp_path / "other-data")
    done = processes.run("serve-2", [SERVER_BIN, "serve"], env, timeout=60, check=False)

    assert done.returncode == 1
    (refusal,) = [entry for entry in json_lines(done.stderr) if entry["level"] == "CRITICAL"]
    assert f"cannot listen on 127.0.0.1:{embedded.port}" in refusal["msg"]
    assert "in use" in refusal["msg"]
    assert "serving" not in [entry["msg"] for entry in json_lines(done.stderr)]
    # The first server still has the port to itself.
    assert health_status(embedded.target) == health_pb2.HealthCheckResponse.SERVING


@pytest.mark.parametrize("role", ["serve", "worker", "scheduler"])
def test_an_unmigrated_database_is_refused(role: str, processes: Processes, tmp_path: Path) -> None:
    with empty_postgres_database() as pg_url, redis_database() as rdb:
        port = free_port()
        env = server_env(
            port,
            tmp_path / "data",
            CARENOTES_ENV="production",
            CARENOTES_DATABASE_URL=pg_url,
            CARENOTES_REDIS_URL=rdb.url,
        )
        proc = processes.start(role, [SERVER_BIN, role], env)
        # It must exit by itself, without ever answering SERVING in the meantime.
        statuses: list[int | None] = []

        def exited() -> bool:
            statuses.append(health_status(f"127.0.0.1:{port}", timeout=0.2))
            return not proc.alive()

        wait_until(exited, timeout=30, interval=0.1, what=f"{role} to refuse")
        assert proc.popen.returncode == 1
        assert health_pb2.HealthCheckResponse.SERVING not in statuses
        entries = json_lines(proc.log())
        (refusal,) = [e for e in entries if e["level"] == "CRITICAL"]
        assert "no schema yet" in refusal["msg"]
        assert "carenotes-server migrate" in refusal["msg"]


def test_a_database_migrated_by_a_newer_release_is_refused(
    processes: Processes, tmp_path: Path
) -> None:
    with empty_postgres_database() as pg_url:
        env = server_env(
            free_port(),
            tmp_path / "data",
            CARENOTES_ENV="production",
            CARENOTES_DATABASE_URL=pg_url,
        )
        processes.run("migrate", [SERVER_BIN, "migrate"], env)
        with psycopg.connect(pg_url, autocommit=True) as conn:
            conn.execute("UPDATE alembic_version SET version_num = '9999_from_the_future'")

        done = processes.run("serve", [SERVER_BIN, "serve"], env, timeout=60, check=False)
        assert done.returncode == 1
        (refusal,) = [e for e in json_lines(done.stderr) if e["level"] == "CRITICAL"]
        assert "9999_from_the_future" in refusal["msg"]
        assert "newer release" in refusal["msg"]
        assert "carenotes-server migrate" in refusal["msg"]

        # migrate never downgrades implicitly either.
        again = processes.run("migrate-2", [SERVER_BIN, "migrate"], env, check=False)
        assert again.returncode == 1
        assert "newer release" in again.stderr


def test_migrate_says_what_it_did(processes: Processes, tmp_path: Path) -> None:
    with empty_postgres_database() as pg_url:
        # A password in the URL (ignored by the trust-auth test server) must never be logged.
        with_password = pg_url.replace("postgres@", "postgres:hunter2-secret@", 1)
        env = server_env(
            free_port(),
            tmp_path / "data",
            CARENOTES_ENV="production",
            CARENOTES_DATABASE_URL=with_password,
        )
        first = processes.run("migrate-1", [SERVER_BIN, "migrate"], env)
        second = processes.run("migrate-2", [SERVER_BIN, "migrate"], env)

    (applied,) = json_lines(first.stderr)
    assert applied["msg"].startswith("migrated the database schema from revision none to ")
    assert applied["applied"] is True
    assert applied["from_revision"] == "none"
    (nothing,) = json_lines(second.stderr)
    assert "already at the latest revision" in nothing["msg"]
    assert "nothing applied" in nothing["msg"]
    assert nothing["applied"] is False
    assert nothing["to_revision"] == applied["to_revision"]
    for done in (first, second):
        assert "hunter2-secret" not in done.stdout + done.stderr
        assert "postgres:" not in done.stderr  # no user name either


def test_every_process_says_what_it_is_in_json(production: Deployment) -> None:
    assert production.server is not None
    assert production.worker is not None
    assert production.scheduler is not None
    db_name = production.database_url.rsplit("/", 1)[1]
    redis_db = production.env["CARENOTES_REDIS_URL"].rsplit("/", 1)[1]
    for proc, role, first_words in (
        (production.server, "serve", "serving"),
        (production.worker, "worker", "worker running"),
        (production.scheduler, "scheduler", "scheduler running"),
    ):
        (line,) = [e for e in json_lines(proc.log()) if e["msg"].startswith(first_words)]
        assert line["role"] == role
        assert line["mode"] == "production"
        assert line["database"] == f"postgresql://127.0.0.1:5432/{db_name}"
        assert line["broker"] == f"redis://127.0.0.1:6379/{redis_db}"
        assert line["extractor"] == "rules"
        assert line["data_dir"] == production.env["CARENOTES_DATA_DIR"]
        assert line["tracing"] == "off"
    serving = next(e for e in json_lines(production.server.log()) if e["msg"] == "serving")
    assert serving["listen"] == production.env["CARENOTES_LISTEN"]
    assert (serving["workers"], serving["scheduler"], serving["tls"]) == (
        "separate",
        "separate",
        "off",
    )
