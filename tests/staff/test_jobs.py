"""The nightly privacy job runs on the service's scheduler (APScheduler 3)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from callcenter.staff.services import open_staff
from callcenter.store import CallStore, upgrade
from callcenter.tracker import CallRecord, Outcome
from routing.site import Site
from schedules.jobs import Jobs
from tests.staff.test_staff_store import KEY
from tests.store.conftest import database_url, engine

__all__ = ["database_url", "engine"]


async def test_the_nightly_job_is_scheduled_and_applies_retention(
    engine: AsyncEngine, example_site: Site
) -> None:
    await upgrade(engine)
    staff = open_staff(engine, example_site, KEY)
    store = CallStore(engine)
    old = CallRecord("old", datetime.now(UTC) - timedelta(days=400), caller="+32470999999")
    old.outcome, old.ended = Outcome.ABANDONED, old.started
    await store.save(old)
    jobs = Jobs(example_site, staff)
    jobs.start()
    try:
        listed = {j.id: j for j in jobs.jobs()}
        nightly = listed["privacy-nightly"].next_run
        assert nightly is not None and (nightly.hour, nightly.minute) == (3, 15)
        assert str(nightly.tzinfo) == "Europe/Brussels"
        assert "privacy-catch-up" in listed
        await jobs.nightly()  # what the scheduler runs
    finally:
        jobs.stop()
        staff.close()
    stored = await store.get("old")
    assert stored is not None and stored.caller is not None and stored.caller.startswith("p:")
    assert jobs.runs == 1
