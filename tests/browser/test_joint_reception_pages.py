"""A joint reception's screens in a real browser (issue 28, point 4): the report's table per
organisation and the user form's organisation, with no axe-core violation of WCAG 2.1 A/AA,
on the example of an OCMW and a CAW with one reception and three weeks of past calls."""

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

JOINT = Path(__file__).resolve().parents[2] / "examples" / "gezamenlijk-onthaal.toml"


@pytest.fixture
async def base_url(stack: StackFactory) -> AsyncIterator[str]:
    site = load_site(JOINT)
    async with stack(at("2026-11-23 10:00"), site=site, speed=30) as s:
        await s.run.staff.users.add(
            "eva",
            "Eva Claes",
            ["admin", "agent", "manager"],
            PASSWORD,
            counters=["onthaal"],
            interfaces=["PJSIP/eva"],
            organisation="CAW Midden",
        )
        start = datetime(2026, 11, 23, 0, 0, tzinfo=site.zone)
        await CallStore(s.run.store.engine).save_many(list(past_calls(site, start, 7, 40, 3)))
        yield s.run.url.rstrip("/")


async def test_the_report_per_organisation_and_the_user_form_pass_axe(
    browser: Any, base_url: str
) -> None:
    context = await logged_in(browser, base_url, bypass_csp=True)
    page = await context.new_page()
    await page.goto(base_url + "/rapporten?soort=week&datum=2026-11-16")
    table = page.locator('table[data-table="organisaties"]')
    await table.wait_for()
    rows = await table.locator("tbody tr").all_inner_texts()
    assert any(r.startswith("Onthaal Welzijnshuis\tOCMW Voorbeeld\t") for r in rows), rows
    assert any(r.startswith("Onthaal Welzijnshuis\tCAW Midden\t") for r in rows), rows
    assert await axe_violations(page) == []
    await page.goto(base_url + "/admin/users")
    chosen = page.get_by_label("Organisatie")
    await chosen.select_option("OCMW Voorbeeld")
    assert await chosen.input_value() == "OCMW Voorbeeld"
    assert await axe_violations(page) == []
    await context.close()
