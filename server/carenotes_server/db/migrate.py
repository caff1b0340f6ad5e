"""Applies Alembic migrations programmatically (no alembic.ini to ship or find), and
tells whether a database's schema is the one this code was written for."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from importlib import resources

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, pool

RUN_MIGRATE = "run `carenotes-server migrate` with this release"


class SchemaError(Exception):
    """The database's schema does not match the code: the message says what to do."""


class SchemaState(enum.Enum):
    CURRENT = "current"
    UNMIGRATED = "unmigrated"  # no migration applied at all (a new, empty database)
    BEHIND = "behind"  # older than the code: `migrate` brings it up to date
    NEWER = "newer"  # migrated by a newer release than this code


@dataclass(frozen=True)
class Schema:
    state: SchemaState
    current: tuple[str, ...]
    head: tuple[str, ...]

    @property
    def described(self) -> str:
        return ", ".join(self.current) or "none"


@dataclass(frozen=True)
class MigrationReport:
    before: Schema
    after: Schema

    @property
    def applied(self) -> bool:
        return self.before.current != self.after.current

    def summary(self) -> str:
        head = ", ".join(self.after.head)
        if not self.applied:
            return f"database schema already at the latest revision ({head}); nothing applied"
        return (
            f"migrated the database schema from revision {self.before.described} "
            f"to {self.after.described} (the latest)"
        )


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option(
        "script_location", str(resources.files("carenotes_server.db").joinpath("migrations"))
    )
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def inspect_schema(url: str) -> Schema:
    """Where the database stands relative to this code's migrations (one short query)."""
    script = ScriptDirectory.from_config(alembic_config(url))
    head = tuple(sorted(script.get_heads()))
    engine = create_engine(url, poolclass=pool.NullPool)
    try:
        with engine.connect() as connection:
            current = tuple(sorted(MigrationContext.configure(connection).get_current_heads()))
    finally:
        engine.dispose()
    known = {rev.revision for rev in script.walk_revisions()}
    if not current:
        state = SchemaState.UNMIGRATED
    elif any(rev not in known for rev in current):
        state = SchemaState.NEWER
    elif current == head:
        state = SchemaState.CURRENT
    else:
        state = SchemaState.BEHIND
    return Schema(state, current, head)


def require_current_schema(url: str) -> None:
    """Refuses (SchemaError) a database that this code cannot use as it is."""
    schema = inspect_schema(url)
    if schema.state is SchemaState.CURRENT:
        return
    raise SchemaError(_mismatch(schema))


def upgrade_to_head(url: str) -> MigrationReport:
    """Applies every pending migration. A database migrated by a newer release is
    refused: downgrading is never done implicitly."""
    before = inspect_schema(url)
    if before.state is SchemaState.NEWER:
        raise SchemaError(_mismatch(before))
    if before.state is not SchemaState.CURRENT:
        command.upgrade(alembic_config(url), "head")
    return MigrationReport(before, inspect_schema(url))


def _mismatch(schema: Schema) -> str:
    head = ", ".join(schema.head)
    if schema.state is SchemaState.UNMIGRATED:
        return f"the database has no schema yet: {RUN_MIGRATE} first (it creates revision {head})"
    if schema.state is SchemaState.BEHIND:
        return (
            f"the database schema is at revision {schema.described}, this release needs "
            f"{head}: {RUN_MIGRATE} first"
        )
    return (
        f"the database schema is at revision {schema.described}, which this release does "
        f"not know (it needs {head}): the database was migrated by a newer release. Run "
        "that release, or restore a backup taken before its `carenotes-server migrate`"
    )
