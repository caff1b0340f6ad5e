"""Engines, transactions and the bridge from asyncio to the (synchronous) unit of work.

The service layer is written once, synchronously, against a Session; the gRPC server
runs it on a bounded thread pool and Dramatiq workers call it directly. One URL serves
both. SQLite (embedded) gets WAL, so reads run on their own connections and never wait
behind a writer, and ONE write connection per process: writers queue for it in the
pool, first come first served, instead of polling SQLite's file lock (its busy handler
sleeps and retries with back-off, which let unlucky writers stall for seconds under
load). Write transactions start with BEGIN IMMEDIATE so that a writer from another
process (a CLI tool) queues on the lock instead of failing when one upgrades from
reading. Commits are synchronous=NORMAL (they survive a crash of the process) except
the group commits of audit rows, which are FULL (they survive power loss too, and
sync every commit before them): their fsync is paid once per batch of rows.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, ParamSpec, TypeVar

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from carenotes_server.domain.errors import Unavailable

P = ParamSpec("P")
PG_SESSION_OPTIONS = "-c max_parallel_workers_per_gather=0"
T = TypeVar("T")
SINGLE_STATEMENT = "carenotes_single_statement"
SYNCED = "carenotes_synced"


def _sqlite_engine(url: str, *, writer: bool, readers: int) -> Engine:
    # As many read connections as threads that may use them: an overflow connection
    # would be opened (with its PRAGMAs) and closed again on every burst.
    engine = create_engine(
        url,
        connect_args={"check_same_thread": False, "timeout": 30},
        pool_size=1 if writer else readers,
        max_overflow=0,
        pool_timeout=30,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event issue BEGIN itself (pysqlite's own is deferred).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        options = conn.get_execution_options()
        # A one-statement read needs no transaction of its own: SQLite's implicit one
        # per statement is the same snapshot, without the BEGIN and ROLLBACK calls.
        if options.get(SINGLE_STATEMENT):
            return
        if writer:
            # FULL syncs the WAL at this commit, and with it every commit before it.
            level = "FULL" if options.get(SYNCED) else "NORMAL"
            if conn.info.get("synchronous") != level:
                conn.exec_driver_sql(f"PRAGMA synchronous={level}")
                conn.info["synchronous"] = level
        conn.exec_driver_sql("BEGIN IMMEDIATE" if writer else "BEGIN")

    return engine


def make_engines(url: str, *, pool_size: int = 16) -> tuple[Engine, Engine]:
    """(read engine, write engine). Identical for PostgreSQL."""
    if url.startswith("sqlite"):
        return (
            _sqlite_engine(url, writer=False, readers=pool_size),
            _sqlite_engine(url, writer=True, readers=pool_size),
        )
    # No pre-ping: it costs a round trip on every checkout (a quarter of a short call's
    # time in the profile). A connection that died with the server fails its next use
    # instead; SQLAlchemy then invalidates the whole pool, that one call answers
    # UNAVAILABLE (retryable), and the next ones get fresh connections.
    engine = create_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_recycle=1800,
        # Every statement of this service is an indexed lookup of a few rows. Parallel
        # plans only appear when the planner misestimates (e.g. "pending AND overdue":
        # columns it wrongly treats as independent) and then cost milliseconds of worker
        # start-up to return nothing. Serial plans keep the scheduler's tick flat.
        connect_args={"options": PG_SESSION_OPTIONS},
    )
    return engine, engine


class Database:
    """Transactions for the service layer, and an executor to reach them from asyncio."""

    def __init__(self, url: str, *, threads: int = 16) -> None:
        self.url = url
        self.read_engine, self.write_engine = make_engines(url, pool_size=threads)
        self._read_sessions = sessionmaker(self.read_engine, expire_on_commit=False)
        self._write_sessions = sessionmaker(self.write_engine, expire_on_commit=False)
        self._query_engine = (
            self.read_engine.execution_options(**{SINGLE_STATEMENT: True})
            if url.startswith("sqlite")
            else self.read_engine.execution_options(isolation_level="AUTOCOMMIT")
        )
        self._synced_engine = (
            self.write_engine.execution_options(**{SYNCED: True})
            if url.startswith("sqlite")
            else self.write_engine
        )
        self._executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="db")
        # Group commits run here, not on the pool above: a commit that many waiting calls
        # depend on must not queue behind the reads that fill the pool under load.
        self._committer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="db-commit")

    @property
    def is_sqlite(self) -> bool:
        return self.url.startswith("sqlite")

    @property
    def reads_inline(self) -> bool:
        """Whether a short read may run on the event loop itself, without the hop to the
        pool. SQLite in WAL mode: a reader never waits for a writer or a lock (in WAL a
        checkpoint never blocks readers), so it costs only its own CPU, less than the
        hop's. PostgreSQL: never, a read there waits for a round trip."""
        return self.is_sqlite

    @contextlib.contextmanager
    def write(self) -> Iterator[Session]:
        """One unit of work: commits on success, rolls back on any exception."""
        with _unavailable_on_disconnect(), self._write_sessions.begin() as session:
            yield session

    @contextlib.contextmanager
    def write_connection(self, *, synced: bool = False) -> Iterator[Connection]:
        """A Core transaction (commits on success): for statements that need no ORM
        unit of work, such as a batch of audit rows, without the Session's overhead.
        synced: on SQLite the commit is also synced to disk (survives power loss, not
        only a crash of the process); PostgreSQL always syncs its commits."""
        engine = self._synced_engine if synced else self.write_engine
        with _unavailable_on_disconnect(), engine.begin() as connection:
            yield connection

    @contextlib.contextmanager
    def read(self) -> Iterator[Session]:
        with _unavailable_on_disconnect(), self._read_sessions.begin() as session:
            yield session

    @contextlib.contextmanager
    def query(self) -> Iterator[Connection]:
        """A connection for one read-only statement, without BEGIN/COMMIT round trips on
        PostgreSQL (autocommit). Only for reads that need no multi-statement snapshot."""
        with _unavailable_on_disconnect(), self._query_engine.connect() as connection:
            yield connection

    async def run(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Runs blocking database work on the bounded pool, never on the event loop."""
        loop = asyncio.get_running_loop()
        # The caller's context (its trace span, for one) goes along to the thread.
        context = contextvars.copy_context()
        call = functools.partial(context.run, fn, *args, **kwargs)
        return await loop.run_in_executor(self._executor, call)

    async def run_commit(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Like run, on the one thread that runs group commits (one at a time)."""
        loop = asyncio.get_running_loop()
        context = contextvars.copy_context()
        call = functools.partial(context.run, fn, *args, **kwargs)
        return await loop.run_in_executor(self._committer, call)

    def dispose(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)
        self._committer.shutdown(wait=True, cancel_futures=True)
        self.read_engine.dispose()
        if self.write_engine is not self.read_engine:
            self.write_engine.dispose()


@contextlib.contextmanager
def _unavailable_on_disconnect() -> Iterator[None]:
    """A lost database connection is UNAVAILABLE to callers (retryable), not INTERNAL."""
    try:
        yield
    except OperationalError as exc:
        if exc.connection_invalidated or _is_connection_error(exc):
            raise Unavailable("the database is unavailable; retry shortly") from exc
        raise
    except DBAPIError as exc:
        if exc.connection_invalidated:
            raise Unavailable("the database is unavailable; retry shortly") from exc
        raise


def _is_connection_error(exc: OperationalError) -> bool:
    text = str(exc.orig).lower() if exc.orig is not None else ""
    return any(
        s in text
        for s in ("connection", "server closed", "terminating", "could not connect", "shutdown")
    )
