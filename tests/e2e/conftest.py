"""Fixtures of the process-level tests, and their logs in the report when one fails."""

from __future__ import annotations

from collections.abc import Generator, Iterator
from pathlib import Path

import pytest

from tests.e2e.processes import (
    Deployment,
    Processes,
    embedded_deployment,
    production_deployment,
)

PROCESSES_KEY = pytest.StashKey[Processes]()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, None]:
    outcome = yield
    report = outcome.get_result()
    procs = item.stash.get(PROCESSES_KEY, None)
    if report.failed and procs is not None and report.when in ("setup", "call"):
        report.sections.append(("process logs", procs.report()))


@pytest.fixture
def processes(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Processes]:
    procs = Processes(tmp_path / "logs")
    request.node.stash[PROCESSES_KEY] = procs
    try:
        yield procs
    finally:
        procs.close()


@pytest.fixture
def production(processes: Processes, tmp_path: Path) -> Iterator[Deployment]:
    """migrate, then serve + worker + scheduler over PostgreSQL and Redis."""
    with production_deployment(processes, tmp_path / "data") as deployment:
        yield deployment


@pytest.fixture
def embedded(processes: Processes, tmp_path: Path) -> Iterator[Deployment]:
    """serve alone: SQLite in its data dir, in-process broker and scheduler, no Redis."""
    with embedded_deployment(processes, tmp_path / "data") as deployment:
        yield deployment
