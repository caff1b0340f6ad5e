"""The group-committing audit writer: shared commits, durable before answered, and a
failed commit failing every call that waited on it."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import grpc
import pytest
from sqlalchemy import Engine, create_engine, event, select, text

from carenotes.v1 import steps_pb2
from carenotes_server.db.database import Database
from carenotes_server.db.models import AuditEvent
from carenotes_server.services import audit
from carenotes_server.services.audit_writer import AuditWriter, GroupCommit
from tests.harness import running_server


def _row(marker: str, *, action: str | None = "steps.read") -> dict[str, object]:
    return {
        "at": datetime.now(UTC),
        "actor_id": None,
        "actor_role": None,
        "action": action,
        "resource_type": "step_set",
        "resource_id": marker,
        "patient_id": None,
        "outcome": audit.Outcome.ALLOWED.value,
        "reason": None,
    }


@pytest.fixture
def outsider(db_url: str) -> Iterator[Engine]:
    """An engine of its own: it sees only what was committed, never an open transaction."""
    engine = create_engine(db_url)
    try:
        yield engine
    finally:
        engine.dispose()


def _stored(engine: Engine, markers: set[str]) -> set[str]:
    with engine.connect() as conn:
        found = conn.execute(
            select(AuditEvent.resource_id).where(AuditEvent.resource_id.in_(markers))
        ).scalars()
        return {m for m in found if m is not None}


def _count_commits(db: Database) -> list[int]:
    commits = [0]

    @event.listens_for(db.write_engine, "commit")
    def _on_commit(_conn: Any) -> None:
        commits[0] += 1

    return commits


async def test_concurrent_rows_share_commits_and_each_is_durable_when_answered(
    database: Database, outsider: Engine
) -> None:
    writer = AuditWriter(database)
    commits = _count_commits(database)
    markers = [uuid.uuid4().hex for _ in range(200)]
    not_durable: list[str] = []

    async def one(marker: str) -> None:
        await writer.record(_row(marker))
        # Checked the moment this call is answered, by a connection of another engine.
        if _stored(outsider, {marker}) != {marker}:
            not_durable.append(marker)

    await asyncio.gather(*(one(m) for m in markers))
    assert not_durable == []
    assert _stored(outsider, set(markers)) == set(markers)
    assert 1 <= commits[0] <= len(markers) // 10, f"{commits[0]} commits for 200 rows"


async def test_every_audit_writer_of_one_database_shares_the_commits(
    database: Database, outsider: Engine
) -> None:
    commits = _count_commits(database)
    writers = [AuditWriter(database) for _ in range(4)]
    markers = [uuid.uuid4().hex for _ in range(40)]
    await asyncio.gather(*(writers[i % 4].record(_row(m)) for i, m in enumerate(markers)))
    assert _stored(outsider, set(markers)) == set(markers)
    assert commits[0] <= 4


async def test_a_failed_commit_fails_every_call_waiting_on_it(
    database: Database, outsider: Engine
) -> None:
    writer = AuditWriter(database)
    good = [uuid.uuid4().hex for _ in range(20)]
    bad = uuid.uuid4().hex  # a row the database refuses (action is NOT NULL)
    calls = [writer.record(_row(m)) for m in good[:10]]
    calls.append(writer.record(_row(bad, action=None)))
    calls += [writer.record(_row(m)) for m in good[10:]]
    outcomes = await asyncio.gather(*calls, return_exceptions=True)
    answered = {
        m for m, o in zip([*good[:10], bad, *good[10:]], outcomes, strict=True) if o is None
    }
    assert bad not in answered
    assert isinstance(outcomes[10], Exception)
    stored = _stored(outsider, {*good, bad})
    # None answered as if durable: what was answered is stored, what failed is not.
    assert answered == stored
    assert len(answered) < len(good), "the bad row's batch-mates must fail with it"
    # The writer recovers: the next row commits.
    after = uuid.uuid4().hex
    await writer.record(_row(after))
    assert _stored(outsider, {after}) == {after}


def test_sqlite_group_commits_are_synced_and_there_is_one_writer(database: Database) -> None:
    if not database.is_sqlite:
        pytest.skip("SQLite only")
    with database.write_connection(synced=True) as conn:
        assert conn.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    with database.write() as session:
        assert session.execute(text("PRAGMA synchronous")).scalar() == 1  # NORMAL
    with database.write_connection(synced=True) as conn:
        assert conn.execute(text("PRAGMA synchronous")).scalar() == 2
    assert database.write_engine.pool.size() == 1  # type: ignore[attr-defined]


async def test_get_actionable_steps_is_answered_only_with_its_audit_row_committed(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, outsider: Engine
) -> None:
    async with running_server(db_url, tmp_path) as h:
        _doctor, patient = await h.assigned_pair()
        request = steps_pb2.GetActionableStepsRequest()

        def reads() -> int:
            with outsider.connect() as conn:
                return len(
                    conn.execute(
                        select(AuditEvent.id).where(
                            AuditEvent.action == "steps.read",
                            AuditEvent.actor_id == uuid.UUID(patient.id),
                        )
                    ).all()
                )

        await asyncio.gather(
            *(h.steps.GetActionableSteps(request, metadata=patient.metadata) for _ in range(8))
        )
        assert reads() == 8

        def failing_commit(self: GroupCommit, rows: list[dict[str, object]]) -> None:
            raise OSError("disk I/O error")

        monkeypatch.setattr(GroupCommit, "_commit", failing_commit)
        outcomes = await asyncio.gather(
            *(h.steps.GetActionableSteps(request, metadata=patient.metadata) for _ in range(4)),
            return_exceptions=True,
        )
        assert all(isinstance(o, grpc.aio.AioRpcError) for o in outcomes), outcomes
        assert reads() == 8
