"""Every page in a real browser (Debian's Chromium, driven by Playwright): no axe-core
violation of WCAG 2.1 A/AA, usable by keyboard, live updates arrive. CI installs Chromium and
axe-core (npm); without them these tests skip and say why."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from callcenter.contacts.catalog import parse_catalog
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
PAGES = [
    "/",
    "/login",
    "/account",
    "/admin/users",
    "/admin/users/1",
    "/admin/audit",
    "/admin/privacy",
    "/overrides",
    "/openingsuren",
    "/agent",
    "/rota",
    "/sluitingen",
    "/admin/jobs",
    "/catalogus",
    "/catalogus?q=leeflon",
    "/doorverwijzingen",
    "/terugbellen",
]
PASSWORD = "een-goed-wachtwoord-browser"

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
        roles = ["admin", "agent", "manager"]
        await s.run.staff.users.add(
            "eva",
            'Eva "<b>" Claes',
            roles,
            PASSWORD,
            counters=["woonloket"],
            interfaces=["PJSIP/eva"],
        )
        await s.run.ops.duty.add_shift(0, "08:00", "13:00", "eva", actor="test")
        catalog = ROOT / "examples" / "catalogus.toml"
        await s.run.ops.catalog.replace(
            parse_catalog(catalog.read_text(encoding="utf-8"), "example", s.run.service.site),
            source="catalogus.toml",
            actor="test",
        )
        await s.run.ops.closures.add(
            ["woonloket"], date(2026, 12, 24), reason="Kerstavond", actor="test"
        )
        s.sim.traffic.calls_per_hour = 600
        s.sim.ast.start_task(s.sim.traffic.run(), name="traffic")
        yield s.run.url.rstrip("/")


async def logged_in(browser: Any, base_url: str, **context: Any) -> Any:
    """A browser context logged in as Eva (admin, agent, manager), by keyboard: the login
    field has the focus, Tab reaches the password, Enter sends."""
    ctx = await browser.new_context(locale="nl-BE", **context)
    page = await ctx.new_page()
    await page.goto(base_url + "/login")
    await page.wait_for_function("document.activeElement && document.activeElement.id === 'login'")
    await page.keyboard.type("eva")
    await page.keyboard.press("Tab")
    assert await page.evaluate("document.activeElement.id") == "password"
    await page.keyboard.type(PASSWORD)
    async with page.expect_navigation():
        await page.keyboard.press("Enter")
    await page.wait_for_load_state()
    if page.url != base_url + "/":
        pytest.fail(await page.inner_text("main"))
    await page.close()
    return ctx


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
    if path in ("/login", "/openingsuren"):  # public pages: no login
        context = await browser.new_context(bypass_csp=True, locale="nl-BE")
    else:
        context = await logged_in(browser, base_url, bypass_csp=True)
    page = await context.new_page()
    response = await page.goto(base_url + path)
    assert response is not None and response.ok
    await page.screenshot(path=str(tmp_path / "page.png"), full_page=True)
    assert await axe_violations(page) == []
    await context.close()


async def test_keyboard_skip_link_and_focus(browser: Any, base_url: str) -> None:
    page = await (await logged_in(browser, base_url)).new_page()
    await page.goto(base_url + "/")
    await page.keyboard.press("Tab")
    focused = await page.evaluate("document.activeElement.textContent.trim()")
    assert focused == "Naar de inhoud"
    outline = await page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"  # the focus is visible
    await page.keyboard.press("Enter")
    assert await page.evaluate("document.activeElement.id") == "inhoud"


async def test_live_updates_arrive_without_reloading(browser: Any, base_url: str) -> None:
    page = await (await logged_in(browser, base_url)).new_page()
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


async def test_a_user_is_made_and_logs_in_in_the_browser(browser: Any, base_url: str) -> None:
    """An admin makes an agent by keyboard and mouse; the agent logs in, sees the queues,
    not the administration, and logs out."""
    admin = await (await logged_in(browser, base_url)).new_page()
    await admin.goto(base_url + "/admin/users")
    await admin.get_by_label("Gebruikersnaam").fill("jan")
    await admin.get_by_label("Naam", exact=True).fill("Jan Janssens")
    await admin.get_by_label("Medewerker callcenter").check()
    await admin.get_by_label("Eerste wachtwoord").fill("nog-een-goed-wachtwoord")
    await admin.get_by_role("button", name="Gebruiker maken").click()
    await admin.wait_for_url("**/admin/users/*?nieuw=1")
    assert "De gebruiker is gemaakt." in await admin.content()
    ctx = await browser.new_context(locale="nl-BE")
    agent = await ctx.new_page()
    await agent.goto(base_url + "/admin/users")  # straight to a page it may not see
    assert "/login?next=/admin/users" in agent.url
    await agent.get_by_label("Gebruikersnaam").fill("jan")
    await agent.get_by_label("Wachtwoord").fill("nog-een-goed-wachtwoord")
    async with agent.expect_navigation():
        await agent.get_by_role("button", name="Aanmelden").click()
    assert "U hebt geen toegang" in await agent.content()
    await agent.goto(base_url + "/")
    assert await agent.get_by_role("heading", name="Wachtrijen nu").is_visible()
    assert await agent.get_by_role("link", name="Gebruikers").count() == 0
    await agent.get_by_role("button", name="Afmelden").click()
    await agent.wait_for_url(base_url + "/login")
    await ctx.close()


async def test_an_agent_logs_in_on_a_queue_from_the_page(browser: Any, base_url: str) -> None:
    """The agent's page: "Aanmelden" for the woonloket puts the phone in Asterisk's queue;
    the page, reloaded, shows it as Asterisk reports it."""
    context = await logged_in(browser, base_url)
    page = await context.new_page()
    await page.goto(base_url + "/agent")
    row = page.locator("tr", has_text="Woonloket")
    assert await row.locator("td").first.inner_text() == "nee"
    async with page.expect_navigation():
        await row.get_by_role("button", name="Aanmelden").click()
    for _ in range(50):
        if await page.locator("tr", has_text="Woonloket").locator("td").first.inner_text() == "ja":
            break
        await page.wait_for_timeout(100)
        await page.reload()
    assert await page.locator("tr", has_text="Woonloket").locator("td").first.inner_text() == "ja"
    await context.close()


async def test_the_catalog_answers_as_you_type(browser: Any, base_url: str) -> None:
    """Typing (with a typo) shows the product, its counter and whether it is open, without a
    reload; the page was never left."""
    context = await logged_in(browser, base_url)
    page = await context.new_page()
    await page.goto(base_url + "/catalogus")
    await page.get_by_label("Zoeken in de catalogus").focus()
    await page.keyboard.type("leeflon", delay=30)
    hit = page.locator("#resultaten article", has_text="Leefloon").first
    await hit.wait_for(timeout=5000)
    assert "Sociale dienst" in await hit.inner_text()
    assert page.url == base_url + "/catalogus"
    await context.close()


async def test_the_console_pops_up_when_a_call_is_put_through(
    browser: Any, stack: StackFactory
) -> None:
    """In a real browser on Eva's console: a call put through to her phone shows the caller,
    the topic and why it came to the lighthouse, and fills the registration form in."""
    async with stack(at("2026-11-23 13:00"), speed=30) as s:
        await s.run.staff.users.add(
            "eva", "Eva Claes", ["agent"], PASSWORD, interfaces=["PJSIP/eva"]
        )
        await s.run.ops.duty.add_shift(0, "08:00", "17:00", "eva", actor="test")
        ast = s.sim.ast
        for _ in range(100):
            if "PJSIP/eva" in ast.queues["lighthouse"].members:
                break
            await asyncio.sleep(0.05)
        for phone, member in ast.queues["lighthouse"].members.items():
            member.device.answer_probability = 1.0 if phone == "PJSIP/eva" else 0.0
        context = await logged_in(browser, s.run.url.rstrip("/"))
        page = await context.new_page()
        await page.goto(s.run.url + "agent")
        await page.wait_for_timeout(300)  # the console's stream is open
        s.call(number="+32470800017", digits="1", talk_seconds=30, patience=120)
        panel = page.locator("#gesprek")
        await panel.get_by_text("+32470800017").wait_for(timeout=15000)
        text = await panel.inner_text()
        assert "Nu in gesprek" in text and "het loket is gesloten" in text
        assert await page.locator("#r-caller").input_value() == "+32470800017"
        assert await page.locator("#r-call").input_value() != ""
        await context.close()
