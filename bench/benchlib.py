"""What every benchmark script reports the same way: the machine, percentiles, its output."""

from __future__ import annotations

import contextlib
import json
import os
import platform
import shutil
import tempfile
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine


def machine() -> str:
    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (p in 0–100) of a non-empty sample."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def report(result: dict[str, Any], as_json: bool, table: Callable[[dict[str, Any]], None]) -> int:
    """Print the result as JSON or as the script's table; the script's exit code."""
    if as_json:
        print(json.dumps(result, indent=2))
    else:
        table(result)
    return 0


@contextlib.asynccontextmanager
async def bench_database(url: str | None, name: str) -> AsyncIterator[AsyncEngine]:
    """A migrated, empty database for one run: a temporary SQLite file (``name``), or the
    empty PostgreSQL database at ``url``, whose tables are dropped at the end."""
    from sqlalchemy import text

    from callcenter.store import open_engine, upgrade
    from callcenter.store.models import Base

    tmp = None
    if url is None:
        tmp = Path(tempfile.mkdtemp()) / name
    engine = open_engine(url or f"sqlite+aiosqlite:///{tmp}")
    await upgrade(engine)
    try:
        yield engine
    finally:
        if url is not None:
            async with engine.begin() as conn:
                await conn.run_sync(Base.metadata.drop_all)
                await conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
        await engine.dispose()
        if tmp is not None:
            shutil.rmtree(tmp.parent, ignore_errors=True)


async def fill_calls(engine: AsyncEngine, chunks: Iterable[tuple[list[Any], list[Any]]]) -> None:
    """Insert generated (calls, visits) row chunks (``store_queries.generate``), then ANALYZE."""
    from sqlalchemy import insert, text

    from callcenter.store.models import CallRow, VisitRow

    for call_rows, visit_rows in chunks:
        async with engine.begin() as conn:
            await conn.execute(insert(CallRow.__table__), call_rows)
            await conn.execute(insert(VisitRow.__table__), visit_rows)
    async with engine.begin() as conn:
        await conn.execute(text("ANALYZE"))
