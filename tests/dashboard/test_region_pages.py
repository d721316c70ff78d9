"""A welfare region in the dashboard (issue 28, point 1): each municipality's public hours
page with its own number, its own counters and the shared ones; the reports per municipality
(``gemeente``), adding up to the region's, and a clear refusal of an unknown one."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from callcenter.calls.service import CallService
from callcenter.staff.services import StaffServices
from callcenter.staff.users import User
from callcenter.store import CallStore
from callcenter.store.records import CallRecord, Outcome, Visit, VisitOutcome
from routing.config import load_site
from routing.decide import decide
from routing.site import Site
from tests.dashboard.conftest import PASSWORD, Session
from tests.dashboard.test_public_hours import Fixed
from tests.service.conftest import at

REGION = Path(__file__).resolve().parents[2] / "examples" / "regio.toml"
Browse = Callable[[], Awaitable[Session]]


@pytest.fixture
def example_site() -> Site:
    """This module's site: the region (the dashboard fixtures build on it)."""
    return load_site(REGION)


@pytest.fixture
def monday(service: CallService) -> Fixed:
    clock = Fixed(at("2026-11-23 10:00"))
    service.clock = clock
    return clock


@pytest.fixture
async def people(staff: StaffServices) -> dict[str, User]:
    return {"manager": await staff.users.add("manager1", "Manager", ["manager"], PASSWORD)}


def a_call(region: Site, n: int, where: str, key: str) -> CallRecord:
    started = at(f"2026-11-23 09:{n:02d}")
    local = region.local(where)
    call = CallRecord(f"c{n}", started, caller=f"+3247012{n:04d}", digits=key, site=where)
    call.decision = decide(local, key, call.caller, started)
    assert call.decision.queue
    call.visits.append(
        Visit(
            call.decision.queue,
            started,
            1,
            call.call_id,
            left=started,
            outcome=VisitOutcome.ANSWERED,
            wait_seconds=10,
            agent="agent",
            talk_seconds=60,
        )
    )
    call.outcome, call.ended = Outcome.ANSWERED, started
    return call


async def test_each_municipality_has_its_public_hours_page_with_its_own_number(
    browse: Browse, monday: Fixed, app: Any
) -> None:
    anyone = await browse()
    region = await (await anyone.client.get("/api/public/hours")).json()
    assert len(region["places"]) == 12 and "number" not in region  # the lighthouse too
    assert [(s["id"], s["number"]) for s in region["sites"]] == [
        ("hamont-achel", "011 44 44 44"),
        ("pelt", "011 80 80 80"),
        ("peer", "011 61 61 61"),
    ]
    peer = await (await anyone.client.get("/api/public/hours?gemeente=peer")).json()
    assert peer["site"] == "Sociaal Huis Peer" and peer["number"] == "011 61 61 61"
    ids = {p["id"] for p in peer["places"]}
    shared = {"schuldbemiddeling", "gezinszorg", "juridisch", "jobcoaching", "svk"}
    assert ids == {"lighthouse", "onthaal-peer", "sd-peer", *shared}
    page = await (await anyone.client.get("/openingsuren")).text()
    assert '<a href="/openingsuren?gemeente=pelt">Sociaal Huis Pelt</a>' in page
    own = await (await anyone.client.get("/openingsuren?gemeente=pelt")).text()
    assert 'href="tel:011808080"' in own and "Sociale dienst Peer" not in own
    assert (await anyone.client.get("/openingsuren?gemeente=genk")).status == 404


async def test_the_report_per_municipality_adds_up_to_the_region(
    browse: Browse, people: dict[str, User], staff: StaffServices, example_site: Site
) -> None:
    calls = [
        a_call(example_site, 1, "pelt", "1"),
        a_call(example_site, 2, "pelt", "2"),
        a_call(example_site, 3, "peer", "2"),
        a_call(example_site, 4, "hamont-achel", "9"),
    ]
    await CallStore(staff.audit.engine).save_many(calls)
    manager = await browse()
    assert (await manager.login("manager1")).status == 303
    base = "/api/reports?soort=day&datum=2026-11-23"
    region = await (await manager.api("GET", base)).json()
    assert {s["id"]: s["arrived"] for s in region["sites"]} == {
        "hamont-achel": 1,
        "pelt": 2,
        "peer": 1,
    }
    pelt = await (await manager.api("GET", base + "&gemeente=pelt")).json()
    assert pelt["site"] == {"id": "pelt", "name": "Sociaal Huis Pelt"}
    assert pelt["totals"]["arrived"] == 2 and pelt["sites"] == []
    debt = {q["queue"]: q["answered"] for q in pelt["queues"]}
    assert debt["schuldbemiddeling"] == 1 and debt["sd-pelt"] == 1
    whole = {q["queue"]: q["answered"] for q in region["queues"]}
    assert whole["schuldbemiddeling"] == 2
    page = await (
        await manager.client.get("/rapporten?soort=day&datum=2026-11-23&gemeente=peer")
    ).text()
    assert "— Sociaal Huis Peer</h1>" in page
    assert '<option value="peer" selected>Sociaal Huis Peer</option>' in page
    csv = await (
        await manager.client.get("/api/reports/gemeenten.csv?soort=day&datum=2026-11-23")
    ).text()
    assert csv.splitlines()[0].startswith("gemeente,naam,binnen,gerouteerd,beantwoord")
    bad = await manager.api("GET", base + "&gemeente=genk")
    assert bad.status == 400
    error = (await bad.json())["error"]
    assert error["field"] == "gemeente" and "hamont-achel, pelt, peer" in error["message"]
