"""Opening the database and migrating it.

The URL comes from ``VUURTOREN_DATABASE_URL`` (``postgresql+asyncpg://…``) or defaults to a
SQLite file in the data directory (``VUURTOREN_DATA_DIR``, default ``./data``).
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Integer, cast, event, func
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.elements import ColumnElement

__all__ = [
    "MIGRATIONS",
    "StoreSessions",
    "current_revision",
    "database_url",
    "epoch_bucket",
    "head_revision",
    "open_engine",
    "query_plan",
    "upgrade",
    "writing",
]

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def database_url(data_dir: str | Path | None = None) -> str:
    url = os.environ.get("VUURTOREN_DATABASE_URL")
    if url:
        return url
    directory = Path(data_dir or os.environ.get("VUURTOREN_DATA_DIR") or "data")
    directory.mkdir(parents=True, exist_ok=True)
    return f"sqlite+aiosqlite:///{directory / 'vuurtoren.sqlite3'}"


def open_engine(url: str) -> AsyncEngine:
    parsed = make_url(url)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+asyncpg")
    if parsed.drivername.startswith("sqlite"):
        engine = create_async_engine(parsed, connect_args={"timeout": 30})

        @event.listens_for(engine.sync_engine, "connect")
        def _pragmas(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            # SQLAlchemy, not the driver, says when a transaction begins (below)
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            # what is deleted or overwritten is zeroed on disk (erasure must be final)
            cur.execute("PRAGMA secure_delete=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA mmap_size=1073741824")  # reads straight from the OS cache
            cur.execute("PRAGMA cache_size=-32768")  # 32 MiB of pages per connection
            cur.close()

        @event.listens_for(engine.sync_engine, "begin")
        def _begin(conn):  # type: ignore[no-untyped-def]
            # a writing transaction takes the write lock at once: writers in other processes
            # (the command line beside serve) wait their turn (the busy timeout) instead of
            # failing when a transaction that read first wants to write
            options = conn.get_execution_options()
            if options.get("isolation_level") == "AUTOCOMMIT":
                return  # a statement that must run outside a transaction (a checkpoint)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if options.get(IMMEDIATE) else "BEGIN")

        return engine
    return create_async_engine(parsed, pool_size=5, max_overflow=5, pool_pre_ping=True)


IMMEDIATE = "vuurtoren_immediate"


def writing(engine: AsyncEngine) -> AsyncEngine:
    """``engine`` for a transaction that writes: on SQLite it begins ``IMMEDIATE`` (holding
    the write lock from its first statement), on PostgreSQL it is ``engine`` as it is."""
    return engine.execution_options(**{IMMEDIATE: True})


class StoreSessions:
    """StoreSessions over an engine: ``sessions()`` to read, ``sessions.begin()`` for a
    transaction that writes (see :func:`writing`)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self._read = async_sessionmaker(engine, expire_on_commit=False)
        self._write = async_sessionmaker(writing(engine), expire_on_commit=False)

    def __call__(self) -> AsyncSession:
        return self._read()

    def begin(self) -> Any:
        return self._write.begin()


def _config(connection: Connection) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str | None:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    return ScriptDirectory.from_config(cfg).get_current_head()


async def current_revision(engine: AsyncEngine) -> str | None:
    async with engine.connect() as conn:
        return await conn.run_sync(lambda c: MigrationContext.configure(c).get_current_revision())


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Bring the schema to ``revision`` (idempotent)."""
    async with engine.begin() as conn:
        await conn.run_sync(lambda c: command.upgrade(_config(c), revision))


async def query_plan(conn: AsyncConnection, stmt: ClauseElement) -> list[str]:
    """How the database will run ``stmt``: SQLite's ``EXPLAIN QUERY PLAN`` details or
    PostgreSQL's ``EXPLAIN`` lines (to check that a question uses its index)."""
    dialect = conn.dialect
    compiled = stmt.compile(dialect=dialect)
    values = compiled.construct_params() or {}
    names = getattr(compiled, "positiontup", None) or list(values)

    def bind(value: Any) -> Any:  # what UtcDateTime stores, for SQLite's naive column
        if isinstance(value, datetime) and dialect.name == "sqlite":
            return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ")
        return value

    params = tuple(bind(values[n]) for n in names)
    if dialect.name == "sqlite":
        rows = await conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}", params)
        return [str(r[-1]) for r in rows]
    rows = await conn.exec_driver_sql(f"EXPLAIN {compiled}", params)
    return [str(r[0]) for r in rows]


def epoch_bucket(dialect: str, column: Any, seconds: int) -> ColumnElement[int]:
    """The whole number ``epoch // seconds`` of a time column, in SQL (PostgreSQL or SQLite):
    to count by UTC interval in the database, each interval turned into local time after."""
    if dialect == "postgresql":
        return cast(func.floor(func.extract("epoch", column) / seconds), Integer)
    return cast(cast(func.strftime("%s", column), Integer) / seconds, Integer)
