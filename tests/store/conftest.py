from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from callcenter.store import open_engine
from callcenter.store.models import Base

POSTGRES = os.environ.get("VUURTOREN_TEST_POSTGRES_URL")


def _params() -> list[object]:
    return [
        "sqlite",
        pytest.param(
            "postgresql",
            marks=[
                pytest.mark.postgres,
                pytest.mark.skipif(
                    not POSTGRES,
                    reason="no PostgreSQL configured (VUURTOREN_TEST_POSTGRES_URL); "
                    "CI always configures one",
                ),
            ],
        ),
    ]


@pytest.fixture(params=_params())
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'store.sqlite3'}"
    assert POSTGRES
    return POSTGRES


async def _drop_everything(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.drop_all)
        await conn.execute(text("DROP TABLE IF EXISTS alembic_version"))


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    eng = open_engine(database_url)
    await _drop_everything(eng)  # a clean database for every test
    yield eng
    await _drop_everything(eng)
    await eng.dispose()
