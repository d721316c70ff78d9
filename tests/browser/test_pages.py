"""Every page in a real browser (Debian's Chromium, driven by Playwright): no axe-core
violation of WCAG 2.1 A/AA, usable by keyboard, live updates arrive. CI installs Chromium and
axe-core (npm); without them these tests skip and say why."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.service.conftest import StackFactory, at

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]
PAGES = ["/"]

pytestmark = [
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(),
        reason="Chromium is not installed (apt-get install chromium; .ci/run does)",
    ),
    pytest.mark.skipif(not AXE.exists(), reason="axe-core is not installed (npm ci; .ci/run does)"),
]


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        b = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        await b.close()


@pytest.fixture
async def base_url(stack: StackFactory) -> AsyncIterator[str]:
    async with stack(at("2026-11-23 10:00"), speed=30) as s:
        s.sim.traffic.calls_per_hour = 600
        s.sim.ast.start_task(s.sim.traffic.run(), name="traffic")
        yield s.run.url.rstrip("/")


async def axe_violations(page: Any) -> list[dict[str, Any]]:
    await page.add_script_tag(path=str(AXE))
    result = await page.evaluate("""async () => {
        const r = await axe.run(document, {runOnly: {type: 'tag',
            values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}});
        return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
            nodes: v.nodes.map(n => n.target.join(' '))}));
    }""")
    assert isinstance(result, list)
    return result


@pytest.mark.parametrize("path", PAGES)
async def test_no_accessibility_violations(
    browser: Any, base_url: str, path: str, tmp_path: Path
) -> None:
    # axe is injected as a script: let it past the page's Content-Security-Policy
    context = await browser.new_context(bypass_csp=True, locale="nl-BE")
    page = await context.new_page()
    response = await page.goto(base_url + path)
    assert response is not None and response.ok
    await page.screenshot(path=str(tmp_path / "page.png"), full_page=True)
    assert await axe_violations(page) == []
    await context.close()


async def test_keyboard_skip_link_and_focus(browser: Any, base_url: str) -> None:
    page = await browser.new_page()
    await page.goto(base_url + "/")
    await page.keyboard.press("Tab")
    focused = await page.evaluate("document.activeElement.textContent.trim()")
    assert focused == "Naar de inhoud"
    outline = await page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"  # the focus is visible
    await page.keyboard.press("Enter")
    assert await page.evaluate("document.activeElement.id") == "inhoud"


async def test_live_updates_arrive_without_reloading(browser: Any, base_url: str) -> None:
    page = await browser.new_page()
    messages: list[str] = []
    page.on("console", lambda m: messages.append(m.text))
    await page.goto(base_url + "/")
    first = await page.text_content("#bijgewerkt")
    await page.wait_for_function(
        "(t) => document.querySelector('#bijgewerkt').textContent !== t", arg=first, timeout=10_000
    )
    status = await page.text_content("#verbinding [data-field=connected]")
    assert status == "verbonden"
    assert not [m for m in messages if "Content Security Policy" in m]  # our JS is allowed
