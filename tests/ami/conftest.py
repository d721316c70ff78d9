from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from callcenter.ami import AMIClient, ClientSettings
from callcenter.simulator import Account, SimSettings, Simulator
from routing.site import Site

MONDAY_10 = datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Europe/Brussels"))
USER, SECRET = "vuurtoren", "s3cret-for-tests"
SPEED = 40.0


@pytest.fixture
async def sim(example_site: Site) -> AsyncIterator[Simulator]:
    simulator = Simulator(
        example_site,
        accounts=[Account(USER, SECRET), Account("events-only", "x", read=frozenset({"call"}))],
        seed=3,
        speed=SPEED,
        start=MONDAY_10,
        settings=SimSettings(failsafe_seconds=6),
        auth_fail_delay=0.05,
    )
    await simulator.start()
    yield simulator
    await simulator.stop()


def settings_for(sim: Simulator, **overrides: object) -> ClientSettings:
    base: dict[str, object] = {
        "port": sim.port,
        "username": USER,
        "secret": SECRET,
        "reconnect_initial": 0.05,
        "reconnect_max": 0.2,
        "ping_interval": 5.0,
        "ping_timeout": 1.0,
        "action_timeout": 5.0,
    }
    base.update(overrides)
    return ClientSettings(**base)  # type: ignore[arg-type]


@pytest.fixture
async def client(sim: Simulator) -> AsyncIterator[AMIClient]:
    ami = AMIClient(settings_for(sim))
    await ami.start()
    await ami.wait_connected(5)
    yield ami
    await ami.close()


@pytest.fixture
def make_client(sim: Simulator) -> Callable[..., AMIClient]:
    return lambda **kw: AMIClient(settings_for(sim, **kw))
