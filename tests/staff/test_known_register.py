"""The consent register of neighbourhood teams as personal data (issue 28, point 2): the
right of access exports its entry, erasure removes it (and the call path's copy at once),
the call retention never pseudonymises it, and its own retention erases it when the consent
runs out. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from callcenter.contacts.known import KnownCallers
from callcenter.staff.services import StaffServices, open_staff
from callcenter.store import upgrade
from routing.config import load_site
from routing.site import Site
from tests.store.conftest import database_url, engine

__all__ = ["database_url", "engine"]

CITY = Path(__file__).resolve().parents[2] / "examples" / "buurtteams.toml"
KEY = b"a test pseudonymisation key, not a real one (>=32)"


@pytest.fixture
def city() -> Site:
    return load_site(CITY)


@pytest.fixture
async def staff(engine: AsyncEngine, city: Site, tmp_path: Path) -> StaffServices:
    await upgrade(engine)
    services = open_staff(engine, city, KEY, checkpoints=tmp_path / "cp.jsonl")
    yield services  # type: ignore[misc]
    services.close()


class Clock:
    def __init__(self) -> None:
        self.at = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.at


async def test_access_erasure_and_retention_of_a_register_entry(
    staff: StaffServices, engine: AsyncEngine, city: Site
) -> None:
    clock = Clock()
    known = KnownCallers(engine, staff.audit, city, clock.now)
    staff.privacy.on_erase.append(known.forget)
    await known.record("0470 55 50 01", "team-marke", actor="anna")
    await known.record("0470 55 50 02", "team-heule", actor="anna")

    data = await staff.privacy.export("+32 470 55 50 01")
    (row,) = data["known_callers"]
    assert row["caller"] == "+32470555001" and row["team"] == "team-marke"

    # the calls' retention (90 days) pseudonymises call records, never a consent entry
    await staff.privacy.retention(clock.at + timedelta(days=400))
    assert known.lookup("0470555001") is not None
    async with engine.connect() as conn:
        callers = {r[0] for r in await conn.execute(text("SELECT caller FROM known_callers"))}
    assert callers == {"+32470555001", "+32470555002"}

    await staff.privacy.erase("0470 55 50 01", actor="dpo")
    assert known.lookup("+32470555001") is None  # the call path forgot it at once
    assert (await staff.privacy.export("0470555001"))["known_callers"] == []
    erase = (await staff.audit.query(kind="privacy-erase"))[0]
    assert erase.detail["consented_rows_deleted"] == 1

    # the consent runs out after register_days (730): the lookup stops, retention erases
    clock.at += timedelta(days=731)
    assert known.lookup("0470555002") is None
    assert await known.expire(actor="nightly job") == 1
    assert await known.entries(actor="dpo") == []
    (expired,) = await staff.audit.query(kind="known-expired")
    assert expired.detail == {"erased": 1}
