"""Every page in a real browser (Debian's Chromium, driven by Playwright): no axe-core
violation of WCAG 2.1 A/AA, usable by keyboard, live updates arrive. CI installs Chromium and
axe-core (npm); without them these tests skip and say why."""

from __future__ import annotations

import asyncio
import re
import shutil
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from callcenter.contacts.catalog import parse_catalog
from tests.ami.test_client import until
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
    "/agenten",
    "/rota",
    "/sluitingen",
    "/admin/jobs",
    "/catalogus",
    "/catalogus?q=leeflon",
    "/doorverwijzingen",
    "/terugbellen",
    "/rapporten",
    "/rapporten?afdruk=1",
    "/?wand=1",
    "/bestaatniet",  # the error page (404), with the site's layout
]
ERROR_PAGES = {"/bestaatniet": 404}
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
    from playwright.async_api import async_playwright, expect

    # a busy machine (CI beside other work) is slower, not wrong: the page's promises get
    # the time the test's own waits give, not Playwright's default of 5 s
    expect.set_options(timeout=15_000)
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
    assert response is not None
    assert response.status == ERROR_PAGES.get(path, 200), path
    await page.screenshot(path=str(tmp_path / "page.png"), full_page=True)
    assert await axe_violations(page) == []
    await context.close()


async def test_no_page_scrolls_sideways_on_a_phone_and_the_wall_fits_its_screen(
    browser: Any, base_url: str
) -> None:
    """Issue 25, point 12: at 390×844 no page is wider than the screen (tables scroll inside
    their own region, not the page); the wall mode fits 1920×1080."""
    context = await logged_in(browser, base_url, viewport={"width": 390, "height": 844})
    page = await context.new_page()
    wide = {}
    for path in PAGES:
        await page.goto(base_url + path)
        width = await page.evaluate("document.documentElement.scrollWidth")
        if width > 390:
            wide[path] = width
    assert wide == {}
    await context.close()
    wall = await logged_in(browser, base_url, viewport={"width": 1920, "height": 1080})
    page = await wall.new_page()
    await page.goto(base_url + "/?wand=1")
    await page.wait_for_timeout(500)
    size = await page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.scrollHeight]"
    )
    assert size[0] <= 1920 and size[1] <= 1080, size
    await wall.close()


RAW = re.compile(
    r"(?<![/\w-])(?:Not Found|no_agents|last_resort|callback_request|not_for_us|lost_track|"
    r"sociale-dienst|huis-van-het-kind|lighthouse|overflow|holiday|override|referred|"
    r"contacted|answered|abandoned|null|undefined|NaN|true|false)(?![\w-])"
)
"""English words and raw ids that must not stand in a page's visible text (a phone's
interface name, ``PJSIP/sociale-dienst-01``, is the phone's own name and stays)."""
DECIMAL_POINT = re.compile(r"\b\d+\.\d+\s?(?:%|s\b)")
"""A figure written with a decimal point (12.7 %), where Flemish readers expect a comma."""


async def test_every_page_speaks_dutch_and_writes_numbers_as_in_flanders(
    browser: Any, base_url: str
) -> None:
    """Issue 25, point 9: no page shows raw ids or English words in its visible text, and no
    figure has a decimal point (a fixed list, so that they do not come back)."""
    context = await logged_in(browser, base_url)
    page = await context.new_page()
    found = {}
    for path in [p for p in PAGES if p not in ERROR_PAGES] + ["/rapporten?soort=week"]:
        await page.goto(base_url + path)
        text = await page.inner_text("main")
        bad = sorted(set(RAW.findall(text)) | set(DECIMAL_POINT.findall(text)))
        if bad:
            found[path] = bad
    assert found == {}
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
    await page.locator("#link[data-state=live]").wait_for(timeout=10_000)
    status = await page.text_content("#verbinding [data-field=connected]")
    assert status == "verbonden"
    assert not [m for m in messages if "Content Security Policy" in m]  # our JS is allowed


async def test_the_wallboard_updates_ticks_and_shows_a_lost_link(
    browser: Any, stack: StackFactory
) -> None:
    """A caller joins a queue: the tile shows it without a reload. The link to the server is
    cut: the page says so, and the longest wait keeps ticking on the screen's own clock;
    the link comes back and the page says that too."""
    from playwright.async_api import expect

    from dashboard.keys import STREAMS

    async with stack(at("2026-11-23 10:00"), speed=30) as s:
        base = s.run.url.rstrip("/")
        await s.run.staff.users.add("eva", "Eva Claes", ["manager"], PASSWORD)
        live = s.run.service.tracker.queues["sociale-dienst"]
        for i in (1, 2):  # both agents on a long call: the next caller waits
            s.call(number=f"+3247080010{i}", digits="1", talk_seconds=3600)
        await until(lambda: sum(m.in_call for m in live.members.values()) == 2, 30)
        ctx = await login_as(browser, base, "eva")
        page = await ctx.new_page()
        await page.goto(base + "/")
        await page.locator("#link[data-state=live]").wait_for(timeout=10_000)
        assert (await page.text_content("#klok") or "").startswith("10:")  # the service's time
        tile = page.locator("[data-tile=sociale-dienst]")
        assert await tile.locator("[data-field=waiting]").inner_text() == "0"
        s.call(number="+32470800020", digits="1", patience=900)
        await expect(tile.locator("[data-field=waiting]")).to_have_text("1", timeout=15_000)
        # the server's streams end and it cannot be reached
        await page.route("**/api/wallboard/stream", lambda route: route.abort())
        assert s.run.app is not None
        for task in list(s.run.app[STREAMS].open):
            task.cancel()
        await page.locator("#link[data-state=lost]").wait_for(timeout=10_000)
        assert "verbinding verbroken" in await page.inner_text("#link")
        longest = tile.locator("[data-field=longest]")
        first = await longest.inner_text()
        await page.wait_for_timeout(2500)  # no event can arrive now
        assert await longest.inner_text() != first  # ticking on the screen's own clock
        await page.unroute("**/api/wallboard/stream")
        await page.locator("#link[data-state=live]").wait_for(timeout=15_000)
        await ctx.close()


async def test_the_wallboard_and_a_report_on_a_phone(browser: Any, base_url: str) -> None:
    """On a phone (390 px wide, touch) the tiles stack in one column, nothing needs sideways
    scrolling but the tables in their own scroll boxes, and the menu wraps."""
    context = await logged_in(
        browser, base_url, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    page = await context.new_page()
    for path in ("/", "/rapporten"):
        await page.goto(base_url + path)
        await page.wait_for_load_state("networkidle")
        wide = await page.evaluate("document.documentElement.scrollWidth")
        assert wide <= 390, (path, wide)  # no sideways scrolling of the page
    await page.goto(base_url + "/")
    await page.locator("#link[data-state=live]").wait_for(timeout=10_000)
    boxes = [await t.bounding_box() for t in await page.locator(".tiles > li").all()]
    assert len(boxes) > 5
    lefts = {round(b["x"]) for b in boxes if b is not None}
    assert len(lefts) == 1  # one column
    assert all(b is not None and b["x"] + b["width"] <= 390 for b in boxes)
    tops = [b["y"] for b in boxes if b is not None]
    assert tops == sorted(tops)  # stacked, in the order of the page
    await context.close()


async def test_a_report_draws_its_charts_and_exports_its_rows(
    browser: Any, base_url: str, tmp_path: Path
) -> None:
    context = await logged_in(browser, base_url, accept_downloads=True)
    page = await context.new_page()
    await page.goto(base_url + "/rapporten")
    for _ in range(50):  # Chart.js drew each chart
        drawn = await page.evaluate(
            "() => ['uren', 'wachtrijen'].every("  # a day: no weekday chart
            "n => window.Chart && Chart.getChart(document.getElementById('grafiek-' + n)))"
        )
        if drawn:
            break
        await page.wait_for_timeout(100)
    assert drawn
    rows = await page.locator("table[data-table=uren] tbody tr").count()
    assert 1 <= rows < 24  # only the hours with calls on the page (all 24 in the CSV)
    link = page.locator("table[data-table=uren] caption a", has_text="Excel (CSV)")
    async with page.expect_download() as info:
        await link.click()
    download = await info.value
    target = tmp_path / download.suggested_filename
    await download.save_as(target)
    text = target.read_text(encoding="utf-8")
    assert text.startswith("\ufeffuur;oproepen")
    assert len(text.strip().splitlines()) == 1 + 24
    await context.close()


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
    # the admin chose the password: first his own (issue 25, point 13)
    assert "/account?wachtwoord=kiezen" in agent.url
    await agent.get_by_label("Huidig wachtwoord").fill("nog-een-goed-wachtwoord")
    await agent.get_by_label("Nieuw wachtwoord", exact=True).fill("kast ballon fiets regenjas")
    await agent.get_by_label("Nieuw wachtwoord, nog eens").fill("kast ballon fiets regenjas")
    async with agent.expect_navigation():
        await agent.get_by_role("button", name="Wachtwoord wijzigen").click()
    await agent.get_by_label("Gebruikersnaam").fill("jan")
    await agent.get_by_label("Wachtwoord").fill("kast ballon fiets regenjas")
    async with agent.expect_navigation():
        await agent.get_by_role("button", name="Aanmelden").click()
    await agent.goto(base_url + "/admin/users")
    assert "Geen toegang" in await agent.content()  # not for an agent, and it says so
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


async def test_a_closure_is_deleted_only_when_confirmed(browser: Any, base_url: str) -> None:
    """Issue 25, point 13: "Schrappen" asks first; cancelling deletes nothing, confirming
    deletes it."""
    context = await logged_in(browser, base_url)
    page = await context.new_page()
    await page.goto(base_url + "/sluitingen")
    row = page.locator("tr", has_text="Kerstavond")
    asked: list[str] = []

    async def answer(dialog: Any, accept: bool) -> None:
        asked.append(dialog.message)
        await (dialog.accept() if accept else dialog.dismiss())

    page.once("dialog", lambda d: asyncio.ensure_future(answer(d, False)))
    await row.get_by_role("button", name="Schrappen").click()
    await until(lambda: bool(asked), timeout=15)
    assert asked and "sluiting schrappen" in asked[0]
    assert await page.locator("tr", has_text="Kerstavond").count() == 1  # still there
    page.once("dialog", lambda d: asyncio.ensure_future(answer(d, True)))
    async with page.expect_navigation():
        await row.get_by_role("button", name="Schrappen").click()
    assert await page.locator("tr", has_text="Kerstavond").count() == 0
    await context.close()


async def console_live(page: Any) -> None:
    """The console says it is live: its stream is open, so a call put through shows."""
    await page.locator("#link[data-state=live]").wait_for(timeout=20_000)
    assert "Live verbonden" in await page.locator("#link").inner_text()


async def eva_alone_on_duty(s: Any) -> None:
    """Eva holds the lighthouse duty all day; only her phone answers there."""
    await s.run.ops.duty.add_shift(0, "08:00", "17:00", "eva", actor="test")
    ast = s.sim.ast
    for _ in range(100):
        if "PJSIP/eva" in ast.queues["lighthouse"].members:
            break
        await asyncio.sleep(0.05)
    for phone, member in ast.queues["lighthouse"].members.items():
        member.device.answer_probability = 1.0 if phone == "PJSIP/eva" else 0.0


async def test_the_console_pops_up_when_a_call_is_put_through(
    browser: Any, stack: StackFactory
) -> None:
    """In a real browser on Eva's console: a call put through to her phone shows the caller,
    the topic and why it came to the lighthouse, and fills the registration form in."""
    async with stack(at("2026-11-23 13:00"), speed=30) as s:
        await s.run.staff.users.add(
            "eva", "Eva Claes", ["agent"], PASSWORD, interfaces=["PJSIP/eva"]
        )
        await eva_alone_on_duty(s)
        context = await logged_in(browser, s.run.url.rstrip("/"))
        page = await context.new_page()
        await page.goto(s.run.url + "agent")
        await console_live(page)
        s.call(number="+32470800017", digits="1", talk_seconds=30, patience=120)
        panel = page.locator("#gesprek")
        await panel.get_by_text("+32470800017").wait_for(timeout=15000)
        text = await panel.inner_text()
        assert "Nu in gesprek" in text and "het loket is gesloten" in text
        assert await page.locator("#r-caller").input_value() == "+32470800017"
        assert await page.locator("#r-call").input_value() != ""
        await context.close()


async def test_a_call_arriving_while_a_form_is_half_filled_keeps_the_form(
    browser: Any, stack: StackFactory
) -> None:
    """Issue 25, points 1 and 2: Eva types the summary of call A when call B is put through.
    The form keeps A (B is shown and announced beside it), the question is filed under A's
    number, then B fills the fresh form; reloading the confirmation registers nothing new."""
    async with stack(at("2026-11-23 13:00"), speed=30) as s:
        eva = await s.run.staff.users.add(
            "eva", "Eva Claes", ["agent"], PASSWORD, interfaces=["PJSIP/eva"]
        )
        await eva_alone_on_duty(s)
        context = await logged_in(browser, s.run.url.rstrip("/"))
        page = await context.new_page()
        await page.goto(s.run.url + "agent")
        await console_live(page)
        a, b = "+32470800021", "+32470800022"
        first = s.call(number=a, digits="1", talk_seconds=20, patience=300)
        panel = page.locator("#gesprek")
        await panel.get_by_text(a).wait_for(timeout=15000)
        assert await page.locator("#r-caller").input_value() == a
        await page.fill("#r-summary", "Vraagt naar het leefloon; komt morgen langs.")
        s.call(number=b, digits="1", talk_seconds=60, patience=300)
        await panel.get_by_text(b).wait_for(timeout=20000)  # B is put through after A
        assert "Registreer of wis het eerst" in await panel.inner_text()
        assert await page.locator("#r-caller").input_value() == a  # the form kept A
        assert await page.locator("#r-call").input_value() == first.truth.linkedid
        async with page.expect_navigation():
            await page.click("button:has-text('Registreren')")
        assert "is geregistreerd" in await page.inner_text("main")
        [filed] = await s.run.ops.register.history(a, actor="test")
        assert (filed.caller, filed.call_id) == (a, first.truth.linkedid)
        assert await s.run.ops.register.history(b, actor="test") == []
        # the fresh form is B's now (the call waited across the page load)
        await page.wait_for_function(
            f"document.getElementById('r-caller').value === '{b}'", timeout=5000
        )
        await page.reload()  # F5 on the confirmation
        assert "is geregistreerd" in await page.inner_text("main")
        assert len(await s.run.ops.register.history(a, actor="test")) == 1
        assert eva.login == "eva"
        await context.close()


async def test_the_agents_state_and_timers_follow_a_call_to_klaar(
    browser: Any, stack: StackFactory
) -> None:
    """Issue 25, points 3, 4 and 7: on Eva's console the state follows the call (In
    gesprek with its queue and a running timer, then Nawerk counting down), she chooses a
    wrap-up code and presses Klaar; the managers' live list follows her pause."""
    async with stack(at("2026-11-23 13:00"), speed=3) as s:
        await s.run.staff.users.add(
            "eva", "Eva Claes", ["agent", "manager"], PASSWORD, interfaces=["PJSIP/eva"]
        )
        await eva_alone_on_duty(s)
        context = await logged_in(browser, s.run.url.rstrip("/"))
        page = await context.new_page()
        await page.goto(s.run.url + "agent")
        from playwright.async_api import expect

        status = page.locator("#status")
        label = status.locator("[data-field=label]")
        await expect(label).to_have_text("Beschikbaar", timeout=10000)
        await console_live(page)
        call = s.call(number="+32470800031", digits="1", talk_seconds=15, patience=120)
        await expect(label).to_have_text("In gesprek", timeout=20000)
        assert await status.locator("[data-field=detail]").inner_text() == (
            "Vuurtoren (onthaal callcenter)"
        )
        first = await status.locator("[data-field=timer]").inner_text()
        await page.wait_for_timeout(2100)
        later = await status.locator("[data-field=timer]").inner_text()
        assert first.startswith("sinds 0:") and later != first  # the call timer runs
        await expect(label).to_have_text("Nawerk", timeout=20000)
        assert re.fullmatch(
            r"nog [01]:\d\d", await status.locator("[data-field=timer]").inner_text()
        )
        assert await page.locator("#gesprek").is_hidden()  # the pop cleared with the call
        await page.select_option("#w-code", label="Dringende hulp geregeld")
        await page.click("#afhandeling button")
        await status.get_by_text("Bewaard: Dringende hulp geregeld.").wait_for()
        assert await s.run.ops.desk.records.code_of(call.truth.linkedid, "eva") == "crisis"
        await page.click("#klaar button")
        await expect(label).to_have_text("Beschikbaar", timeout=10000)
        assert await label.inner_text() == "Beschikbaar"
        # the managers' live list follows a pause
        board = await context.new_page()
        await board.goto(s.run.url + "agenten")
        await board.locator("#link[data-state=live]").wait_for(timeout=10000)
        row = board.locator("tr[data-login=eva]")
        assert "Beschikbaar" in await row.inner_text()
        eva = await s.run.staff.users.by_login("eva")
        await s.run.ops.desk.pause(eva, "lunch", actor="eva")
        await row.get_by_text("Pauze").wait_for(timeout=10000)
        assert "Middagpauze" in await row.inner_text()
        await context.close()


async def test_a_caller_is_passed_on_to_an_open_counter_from_the_console(
    browser: Any, stack: StackFactory
) -> None:
    """Issue 25, point 5: in a call, Eva passes the caller on to the woonloket; the caller
    goes into its queue (the simulated Asterisk's BlindTransfer) and the referral by phone
    is on the call."""
    from playwright.async_api import expect

    async with stack(at("2026-11-23 10:00"), speed=3) as s:
        await s.run.staff.users.add(
            "eva", "Eva Claes", ["agent"], PASSWORD, interfaces=["PJSIP/eva"]
        )
        await eva_alone_on_duty(s)
        await s.run.ops.overrides.set("sociale-dienst", "closed", kind="emergency", actor="t")
        context = await logged_in(browser, s.run.url.rstrip("/"))
        page = await context.new_page()
        await page.goto(s.run.url + "agent")
        label = page.locator("#status [data-field=label]")
        await expect(label).to_have_text("Beschikbaar", timeout=10000)
        await console_live(page)
        call = s.call(number="+32470800041", digits="1", talk_seconds=60, patience=300)
        await expect(label).to_have_text("In gesprek", timeout=20000)
        await page.select_option("#t-counter", label="Woonloket")
        await page.click("#doorverbinden button")
        result = page.locator("#status [data-field=transfer-result]")
        await expect(result).to_contain_text("Doorverbonden met Woonloket", timeout=10000)
        await expect(label).to_have_text("Nawerk", timeout=10000)
        assert call.truth.transfers == [("lighthouse", "woonloket")]
        [contact] = await s.run.ops.register.history("+32470800041", actor="test")
        assert [(r.to_counter, r.by_phone) for r in contact.referrals] == [("woonloket", True)]
        await context.close()


async def login_as(browser: Any, base_url: str, login: str) -> Any:
    ctx = await browser.new_context(locale="nl-BE")
    page = await ctx.new_page()
    await page.goto(base_url + "/login")
    await page.fill("#login", login)
    await page.fill("#password", PASSWORD)
    async with page.expect_navigation():
        await page.press("#password", "Enter")
    assert "/login" not in page.url, await page.inner_text("main")  # each role its home page
    await page.close()
    return ctx


async def test_the_whole_loop_from_call_to_closed_referral(
    browser: Any, stack: StackFactory
) -> None:
    """A call is put through to Eva; her console pops with the caller's earlier contact; she
    registers the question with a referral to the woonloket; Wout at the woonloket reports
    back; the referral is closed and Eva sees it so."""
    async with stack(at("2026-11-23 13:00"), speed=30) as s:
        base = s.run.url.rstrip("/")
        users = s.run.staff.users
        eva = await users.add(
            "eva", "Eva Claes", ["agent"], PASSWORD, counters=["onthaal"], interfaces=["PJSIP/eva"]
        )
        await users.add("wout", "Wout Peeters", ["counter"], PASSWORD, counters=["woonloket"])
        number = "+32470800018"
        await s.run.ops.register.register(
            eva,
            {
                "caller": number,
                "counter": "onthaal",  # a walk-in, last week
                "topic": "financiele-hulp",
                "category": "inkomen",
                "outcome": "answered",
                "summary": "Vroeg naar het leefloon.",
            },
        )
        await eva_alone_on_duty(s)
        agent_ctx = await login_as(browser, base, "eva")
        page = await agent_ctx.new_page()
        await page.goto(base + "/agent")
        await console_live(page)
        s.call(number=number, digits="21", talk_seconds=60, patience=120)
        panel = page.locator("#gesprek")
        await panel.get_by_text("Vroeg naar het leefloon.").wait_for(timeout=15000)
        assert number in await panel.inner_text()
        assert await page.locator("#r-topic").input_value() == "wonen"
        await page.select_option("#r-category", "wonen")
        await page.fill("#r-summary", "Huurachterstel, vraagt naar de huurpremie.")
        await page.check("#o-referred")
        await page.select_option("#r-to", "woonloket")
        await page.fill("#r-request", "Bel mevrouw terug over de huurpremie.")
        await page.fill("#r-due", "2026-11-27")
        async with page.expect_navigation():
            await page.click("button:has-text('Registreren')")
        assert "geregistreerd" in (await page.inner_text("main")).lower()
        counter_ctx = await login_as(browser, base, "wout")
        desk = await counter_ctx.new_page()
        await desk.goto(base + "/doorverwijzingen")
        card = desk.locator("section.referral", has_text="Bel mevrouw terug over de huurpremie.")
        await card.wait_for(timeout=5000)
        await card.get_by_label("Afgehandeld").check()
        await card.get_by_label("Toelichting").fill("Huurpremie aangevraagd.")
        async with desk.expect_navigation():
            await card.get_by_role("button", name="Terugkoppeling bewaren").click()
        assert "Bel mevrouw terug" not in await desk.inner_text("main")  # off the open list
        await page.goto(base + "/doorverwijzingen?status=all")
        closed = page.locator("section.referral", has_text="Bel mevrouw terug over de huurpremie.")
        text = await closed.inner_text()
        assert "Afgehandeld" in text and "Huurpremie aangevraagd." in text
        [(referral, contact)] = [
            (r, c)
            for r, c in await s.run.ops.register.referrals(eva, status="all")
            if r.request == "Bel mevrouw terug over de huurpremie."
        ]
        assert (referral.status, referral.updated_by, contact.caller) == (
            "handled",
            "wout",
            number,
        )
        await agent_ctx.close()
        await counter_ctx.close()


async def test_a_last_resort_request_on_the_callback_list_until_called_back(
    browser: Any, stack: StackFactory
) -> None:
    """13:26, onthaal closed until 13:30, nobody on the lighthouse: the caller asks for a
    callback. The callback list shows it waiting for 13:30; after the opening Vuurtoren has
    called back and the line is gone."""
    from callcenter.simulator import SimSettings
    from callcenter.simulator.callbacks import Citizen

    settings = SimSettings(failsafe_seconds=6, lighthouse_agents=0)
    # a slow clock (4 minutes in 24 s): the page is seen before 13:30 on a busy machine too
    async with stack(at("2026-11-23 13:26"), settings=settings, speed=10) as s:
        base = s.run.url.rstrip("/")
        await s.run.staff.users.add("eva", "Eva Claes", ["agent"], PASSWORD)
        number = "+32470800019"
        s.sim.ast.citizens[number] = Citizen("answer", delay=2, talk=10)
        call = s.call(number=number, digits="0", last_resort_choice="callback")
        await s.record(call.truth.linkedid, timeout=30)
        ctx = await login_as(browser, base, "eva")
        page = await ctx.new_page()
        for _ in range(50):
            await page.goto(base + "/terugbellen")
            if number in await page.inner_text("main"):
                break
            await page.wait_for_timeout(100)
        line = page.locator("article", has_text=number)
        text = await line.inner_text()
        assert "Vroeg om teruggebeld te worden" in text
        assert "Vuurtoren belt terug, vanaf 23/11 om 13:30" in text
        for _ in range(600):
            await page.goto(base + "/terugbellen")
            if number not in await page.inner_text("main"):
                break
            await page.wait_for_timeout(200)
        assert number not in await page.inner_text("main")
        assert s.sim.ast.clock.now() >= at("2026-11-23 13:30")
        await ctx.close()
