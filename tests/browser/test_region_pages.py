"""A region's screens in a real browser (issue 28, point 1): the region's and a
municipality's wallboard, reports and public hours, and the user form with municipalities,
with no axe-core violation of WCAG 2.1 A/AA, on the example of three municipalities."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from callcenter.simulator.history import past_calls
from callcenter.store import CallStore
from routing.config import load_site
from tests.browser.test_pages import PASSWORD, axe_violations, browser, logged_in, pytestmark
from tests.service.conftest import StackFactory, at

__all__ = ["browser", "pytestmark"]

REGION = Path(__file__).resolve().parents[2] / "examples" / "regio.toml"
PAGES = [
    "/",
    "/?gemeente=pelt",
    "/rapporten?soort=week&datum=2026-11-16",
    "/rapporten?soort=week&datum=2026-11-16&gemeente=pelt",
    "/openingsuren",
    "/openingsuren?gemeente=peer",
    "/admin/users",
]


@pytest.fixture
async def base_url(stack: StackFactory) -> AsyncIterator[str]:
    site = load_site(REGION)
    async with stack(at("2026-11-23 10:00"), site=site, speed=30) as s:
        await s.run.staff.users.add(
            "eva", "Eva Claes", ["admin", "agent", "manager"], PASSWORD, interfaces=["PJSIP/eva"]
        )
        start = datetime(2026, 11, 23, 0, 0, tzinfo=site.zone)
        await CallStore(s.run.store.engine).save_many(list(past_calls(site, start, 7, 40, 5)))
        s.sim.traffic.calls_per_hour = 300
        s.sim.ast.start_task(s.sim.traffic.run(), name="traffic")
        yield s.run.url.rstrip("/")


async def test_the_regions_pages_pass_axe_and_show_each_municipality(
    browser: Any, base_url: str
) -> None:
    context = await logged_in(browser, base_url, bypass_csp=True)
    page = await context.new_page()
    for path in PAGES:
        response = await page.goto(base_url + path)
        assert response is not None and response.status == 200, path
        assert await axe_violations(page) == [], path
        if path.startswith("/rapporten") and "gemeente" not in path:
            rows = await page.locator('table[data-table="gemeenten"] tbody tr').all_inner_texts()
            assert [r.split("\t")[0] for r in rows] == [
                "Sociaal Huis Hamont-Achel",
                "Sociaal Huis Pelt",
                "Sociaal Huis Peer",
            ]
        if path == "/?gemeente=pelt":
            heading = await page.locator("h1").inner_text()
            assert heading == "Wachtrijen nu — Sociaal Huis Pelt"
            assert await page.locator('[data-tile="sd-peer"]').count() == 0
            assert await page.locator('[data-tile="schuldbemiddeling"]').count() == 1
    # the municipality chosen by keyboard on the report's form
    await page.goto(base_url + "/rapporten?soort=week&datum=2026-11-16")
    await page.locator("select#gemeente").select_option("peer")
    async with page.expect_navigation():
        await page.get_by_role("button", name="Tonen").click()
    assert "gemeente=peer" in page.url
    assert (await page.locator("h1").inner_text()).endswith("— Sociaal Huis Peer")
    await context.close()
