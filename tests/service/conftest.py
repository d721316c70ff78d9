from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from callcenter.ami import ClientSettings
from callcenter.asterisk.config import generate
from callcenter.cli.runner import Running, running
from callcenter.simulator import Account, CallerProfile, SimSettings, Simulator
from callcenter.store.records import CallRecord
from routing.site import Site
from schedules.overrides import Override
from tests.ami.test_client import until
from tests.asterisk_conf import parse

BXL = ZoneInfo("Europe/Brussels")
SECRET = "e2e-secret"
PRIVACY_KEY = b"a test pseudonymisation key, not a real one (>=32)"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=BXL)


class Stack:
    """A simulated Asterisk with the whole service in front of it, on loopback."""

    def __init__(self, sim: Simulator, run: Running, db_url: str) -> None:
        self.sim = sim
        self.run = run
        self.db_url = db_url

    def call(self, **profile: Any) -> Any:
        return self.sim.call(CallerProfile(**profile))

    async def record(self, linkedid: str, timeout: float = 15) -> CallRecord:
        """The stored record of a call, once the call has ended and it was written."""
        await until(lambda: self.sim.ast.truth[linkedid].ended is not None, timeout)
        async with asyncio.timeout(timeout):
            while True:
                await self.run.writer.flush()
                rec = await self.run.store.get(linkedid)
                if rec is not None and rec.outcome is not None:
                    return rec
                await asyncio.sleep(0.05)


def service_account(site: Site) -> Account:
    """The service's AMI account as the generated manager.conf defines it: its read and write
    classes and its event filters, so that every end-to-end test also proves the generated
    account lets the service see and do all it needs."""
    conf = parse(generate(site, SECRET).manager, "manager.conf")[site.asterisk.username]
    return Account(
        site.asterisk.username,
        SECRET,
        read=frozenset((conf.get("read") or "").split(",")),
        write=frozenset((conf.get("write") or "").split(",")),
        eventfilter=tuple(conf.all("eventfilter")),
    )


StackFactory = Callable[..., contextlib.AbstractAsyncContextManager[Stack]]


async def lone_sim(
    site: Site,
    seed: int,
    start: str = "2026-11-23 10:00",
    timestamps: bool = True,
) -> Simulator:
    """A started simulator of its own, to outlive one service run (outages, restarts)."""
    sim = Simulator(
        site,
        accounts=[service_account(site)],
        seed=seed,
        speed=40,
        start=at(start),
        settings=SimSettings(failsafe_seconds=6, timestamps=timestamps),
    )
    await sim.start()
    return sim


@pytest.fixture
def timestamps() -> bool:
    """Whether the simulated Asterisk stamps its events (``timestampevents``). A module
    overrides this fixture with both values to run its tests in both modes."""
    return True


@pytest.fixture(params=[True, False], ids=["timestamps", "no-timestamps"], name="timestamps")
def both_timestamp_modes(request: pytest.FixtureRequest) -> bool:
    """Import into a test module to run its tests with and without ``Timestamp`` (a stock
    Asterisk sends none): it overrides :func:`timestamps` there."""
    return bool(request.param)


@pytest.fixture
def stack(example_site: Site, tmp_path: Path, timestamps: bool) -> StackFactory:
    @contextlib.asynccontextmanager
    async def make(
        start: datetime,
        *,
        speed: float = 40.0,
        overrides: Sequence[Override] = (),
        settings: SimSettings | None = None,
        db_name: str = "v.sqlite3",
        sim: Simulator | None = None,
        db_url: str | None = None,
        site: Site | None = None,
    ) -> AsyncIterator[Stack]:
        """``site``: a variant of the example site (both Asterisk and the service use it)."""
        site = site or example_site
        own = sim is None
        if sim is None:
            sim = Simulator(
                site,
                accounts=[service_account(site)],
                seed=11,
                speed=speed,
                start=start,
                settings=dataclasses.replace(
                    settings or SimSettings(failsafe_seconds=6),
                    timestamps=timestamps and (settings is None or settings.timestamps),
                ),
            )
            await sim.start()
        url = db_url or f"sqlite+aiosqlite:///{tmp_path / db_name}"
        client = ClientSettings(
            port=sim.port,
            secret=SECRET,
            reconnect_initial=0.05,
            reconnect_max=0.3,
            ping_interval=5,
            ping_timeout=2,
        )
        try:
            async with running(
                site, client, url, port=0, clock=sim.clock, privacy_key=PRIVACY_KEY
            ) as run:
                if overrides:  # fixed overrides for this test, instead of the stored ones
                    run.service.overrides = lambda: overrides
                    run.service.poke_states()
                await run.ami.wait_connected(10)
                await until(lambda: bool(run.service.states), 10)
                yield Stack(sim, run, url)
        finally:
            if own:
                await sim.stop()

    return make
