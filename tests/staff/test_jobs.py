"""The scheduler (APScheduler 3 behind an adapter for the service's clock) and its jobs."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy.ext.asyncio import AsyncEngine

from callcenter.ami import AMIClient, ClientSettings
from callcenter.calls.service import CallService
from callcenter.services.operations import open_operations
from callcenter.simulator.clock import SimClock
from callcenter.staff.services import open_staff
from callcenter.store import CallStore, upgrade
from callcenter.store.records import CallRecord, Outcome
from routing.site import Site
from schedules.jobs import Jobs
from tests.staff.test_staff_store import KEY
from tests.store.conftest import database_url, engine

__all__ = ["database_url", "engine"]

BRUSSELS = ZoneInfo("Europe/Brussels")


async def test_a_job_at_a_computed_instant_fires_then_at_the_next() -> None:
    """On a virtual clock at 600x: instants one and two virtual minutes ahead fire in order,
    at (not before) their time in service time, and the job plans the next itself."""
    clock = SimClock(datetime(2026, 11, 23, 8, 0, tzinfo=UTC), speed=600)
    jobs = Jobs(clock)
    fired: list[datetime] = []
    marks = [clock.now() + timedelta(minutes=1), clock.now() + timedelta(minutes=2)]

    def after(at: datetime) -> datetime | None:
        return next((m for m in marks if m > at), None)

    async def work() -> None:
        fired.append(clock.now())

    jobs.following("marks", "test", after, work)
    jobs.start()
    try:
        async with asyncio.timeout(5):
            while len(fired) < 2:
                await asyncio.sleep(0.01)
    finally:
        jobs.stop()
    assert [f >= m for f, m in zip(fired, marks, strict=True)] == [True, True]
    assert all(f - m < timedelta(seconds=30) for f, m in zip(fired, marks, strict=True))
    listed = {j.id: j for j in jobs.jobs()}
    assert listed["marks"].runs == 2 and listed["marks"].next_run is None


async def test_stopping_waits_for_the_job_that_is_running() -> None:
    """A job still at work when the service stops is cancelled and has ended (its database
    connection given back) before stopping returns: none outlives the service."""
    clock = SimClock(datetime(2026, 11, 23, 8, 0, tzinfo=UTC), speed=600)
    jobs = Jobs(clock)
    started, ended = asyncio.Event(), asyncio.Event()

    async def slow() -> None:
        started.set()
        try:
            await asyncio.sleep(3600)
        finally:
            await asyncio.sleep(0.05)  # tidying up takes a moment, as a rollback does
            ended.set()

    jobs.following("slow", "test", lambda at: clock.now() + timedelta(minutes=1), slow)
    jobs.start()
    async with asyncio.timeout(5):
        await started.wait()
    await jobs.stopped()
    assert ended.is_set()


async def test_a_short_job_running_at_stop_finishes_its_work() -> None:
    """A job a moment from done when the service stops is not cut off mid-query: it ends
    by itself, and a job due after the stop does not begin."""
    clock = SimClock(datetime(2026, 11, 23, 8, 0, tzinfo=UTC), speed=600)
    jobs = Jobs(clock)
    started = asyncio.Event()
    done: list[str] = []

    async def short() -> None:
        started.set()
        try:
            await asyncio.sleep(0.2)  # a query on its way
            done.append("finished")
        except asyncio.CancelledError:
            done.append("cancelled")
            raise

    jobs.following("short", "test", lambda at: clock.now() + timedelta(minutes=1), short)
    jobs.start()
    async with asyncio.timeout(5):
        await started.wait()
    await jobs.stopped()
    assert done == ["finished"]
    await asyncio.sleep(0.3)  # its next time (0.1 s later at this speed) has passed
    assert done == ["finished"]


async def test_changes_while_a_job_runs_are_taken_up_after_it(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The callbacks job under load: requests keep arriving while it puts the due ones in
    line. Each asks for the job again; none is lost (the run's end plans the next from
    what is due then) and none makes APScheduler skip a run ("maximum number of running
    instances"). Stopping twice (``stopped()`` asks twice) logs no scheduler error."""
    clock = SimClock(datetime(2026, 11, 23, 8, 0, tzinfo=UTC), speed=1)
    jobs = Jobs(clock)
    due: list[int] = []
    handled: list[int] = []
    busy = asyncio.Event()

    async def work() -> None:
        taken = list(due)
        due.clear()
        busy.set()
        await asyncio.sleep(0.05)  # originating, one after another
        handled.extend(taken)

    def next_due(at: datetime) -> datetime | None:
        return clock.now() if due else None

    jobs.following("callbacks", "test", next_due, work)
    jobs.start()
    caplog.set_level(logging.DEBUG, logger="apscheduler")
    try:
        due.append(0)
        jobs.replan("callbacks")
        async with asyncio.timeout(5):
            await busy.wait()
            for n in range(1, 201):  # arriving while it runs
                due.append(n)
                jobs.replan("callbacks")
                await asyncio.sleep(0)
            while len(handled) < 201:
                await asyncio.sleep(0.01)
    finally:
        await jobs.stopped()
        await asyncio.sleep(0.01)
    assert sorted(handled) == list(range(201))
    assert 2 <= jobs.jobs()[0].runs <= 4
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING], caplog.text


async def test_a_recurring_job_follows_local_time_across_both_dst_nights() -> None:
    """A job at 03:15 Brussels time: 02:15 UTC in winter, 01:15 UTC in summer; the nights the
    clocks change it still runs once, at 03:15 local."""
    for start, expected in (
        # the night of 29 March 2026: 02:00 becomes 03:00
        (datetime(2026, 3, 28, 12, 0, tzinfo=UTC), datetime(2026, 3, 29, 3, 15, tzinfo=BRUSSELS)),
        # the night of 25 October 2026: 03:00 becomes 02:00
        (datetime(2026, 10, 24, 12, 0, tzinfo=UTC), datetime(2026, 10, 25, 3, 15, tzinfo=BRUSSELS)),
    ):
        clock = SimClock(start, speed=1)
        jobs = Jobs(clock)

        async def nothing() -> None:
            return None

        jobs.every("night", "test", CronTrigger(hour=3, minute=15, timezone=BRUSSELS), nothing)
        nxt = jobs.jobs()[0].next_run
        assert nxt == expected, (start, nxt)
        assert nxt is not None and nxt.utcoffset() == expected.utcoffset()
        jobs.stop()


async def test_the_nightly_job_is_planned_and_applies_retention(
    engine: AsyncEngine, example_site: Site
) -> None:
    await upgrade(engine)
    staff = open_staff(engine, example_site, KEY)
    store = CallStore(engine)
    old = CallRecord("old", datetime.now(UTC) - timedelta(days=400), caller="+32470999999")
    old.outcome, old.ended = Outcome.ABANDONED, old.started
    await store.save(old)
    service = CallService(example_site, AMIClient(ClientSettings(port=1)))
    ops = await open_operations(engine, service, staff)
    ops.plan_jobs()
    try:
        listed = {j.id: j for j in ops.jobs.jobs()}
        nightly = listed["privacy-nightly"].next_run
        assert nightly is not None
        local = nightly.astimezone(example_site.zone)
        assert (local.hour, local.minute) == (3, 15)
        assert {"privacy-catch-up", "states", "duty", "snapshots"} <= set(listed)
        assert listed["snapshots"].next_run is not None
        assert listed["snapshots"].next_run.minute % 15 == 0
        await ops.nightly()  # what the scheduler runs
    finally:
        await ops.stop()
        staff.close()
    stored = await store.get("old")
    assert stored is not None and stored.caller is not None and stored.caller.startswith("p:")
