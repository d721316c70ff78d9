"""Neighbourhood teams in a real browser (issue 28, point 2): a social worker registers a
citizen on the "Gekende bellers" page by keyboard; when that citizen calls, the worker's own
phone rings first and their console says "Uw eigen cliënt" with the file's team. No axe-core
violation of WCAG 2.1 A/AA on either page."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from callcenter.simulator.core import SimSettings
from routing.config import load_site
from tests.browser.test_pages import PASSWORD, axe_violations, browser, logged_in, pytestmark
from tests.service.conftest import Stack, StackFactory, at

__all__ = ["browser", "pytestmark"]

CITY = Path(__file__).resolve().parents[2] / "examples" / "buurtteams.toml"
EVA = "PJSIP/team-marke-01"


@pytest.fixture
async def city(stack: StackFactory) -> AsyncIterator[Stack]:
    site = load_site(CITY)
    settings = SimSettings(failsafe_seconds=6)
    async with stack(at("2026-11-23 09:30"), site=site, speed=10, settings=settings) as s:
        await s.run.staff.users.add(
            "eva",
            "Eva Claes",
            ["admin", "agent", "manager", "counter"],
            PASSWORD,
            counters=["team-marke"],
            interfaces=[EVA],
        )
        for q in s.sim.ast.queues.values():
            for m in q.members.values():
                if m.interface == EVA:  # Eva answers her own phone, within seconds
                    m.device.answer_probability, m.device.answer_delay = 1.0, (3.0, 4.0)
        yield s


async def test_a_worker_registers_a_citizen_and_sees_their_own_client_call(
    browser: Any, city: Stack
) -> None:
    base_url = city.run.url.rstrip("/")
    context = await logged_in(browser, base_url, bypass_csp=True)
    page = await context.new_page()
    await page.goto(base_url + "/gekende-bellers")
    assert await axe_violations(page) == []
    await page.get_by_label("Telefoonnummer").focus()
    await page.keyboard.type("0470 55 50 01")
    await page.get_by_label("Buurtteam").select_option("team-marke")
    await page.get_by_label("Eigen maatschappelijk werker").select_option("eva")
    async with page.expect_navigation():
        await page.get_by_role("button", name="Inschrijven").press("Enter")
    assert "Inschrijving 1 bewaard" in await page.inner_text("main")
    row = page.locator("tbody tr", has_text="+32470555001")
    assert "Buurtteam Marke" in await row.inner_text()
    assert await axe_violations(page) == []

    await page.goto(base_url + "/agent")
    await page.wait_for_timeout(500)  # the console's event stream is open
    call = city.call(number="+32470555001", digits="1", talk_seconds=120)
    own = page.locator(".own-client")
    await own.wait_for(timeout=30_000)
    assert await own.inner_text() == "Uw eigen cliënt (Buurtteam Marke)"
    assert "Buurtteam (dossier)" in await page.inner_text("main")
    assert call.truth.own_worker == EVA
    assert await axe_violations(page) == []
    await context.close()
