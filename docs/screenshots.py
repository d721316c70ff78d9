"""Screenshots for the README, from a running demo: the wallboard, a report, the agent's
console in a call and in after-call work, and the managers' live list of agents.

    .venv/bin/python docs/screenshots.py [--out docs/img]

Starts ``vuurtoren demo`` on a free loopback port (its own data directory, a virtual weekday
at 09:30, 30 times faster), logs in as the demo's manager in Debian's Chromium (Playwright),
lets the morning fill the queues, and saves ``wandbord.png`` (the wall-screen layout at
1920×1080), ``rapport.png`` (last week's report), ``agent-gesprek.png`` and
``agent-nawerk.png`` (the demo agent logs in on the onthaal and takes a call) and
``medewerkers.png`` (``/agenten``). Bounded: the demo stops after 180 s. Then the mobile
counters' example (``examples/zitdagen.toml``) on a Tuesday at 10:00, while the zitdag is
held in Vichte: ``openingsuren-zitdagen.png`` (the public ``/openingsuren``, at a phone's
width). ``--only hours`` takes that one alone. Then the region's example
(``examples/regio.toml``) at 10:00: ``wandbord-regio.png``, the region's wall screen with its
municipalities' counters and the shared services (``--only region``).
"""

from __future__ import annotations

import argparse
import asyncio
import re
import shutil
import socket
import subprocess
import sys
import tempfile
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_demo(
    start: date, data: Path, *, config: Path | None = None, clock: str = "09:30"
) -> tuple[subprocess.Popen[str], str, str]:
    """The demo on a free port: (process, base URL, the run's password)."""
    port = _free_port()
    demo = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "vuurtoren"),
            "demo",
            *(["--config", str(config)] if config else []),
            "--listen",
            f"127.0.0.1:{port}",
            "--data-dir",
            str(data),
            "--speed",
            "30",
            "--start",
            f"{start.isoformat()}T{clock}",
            "--duration",
            "180",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    password = None
    assert demo.stdout is not None
    for line in demo.stdout:
        found = re.search(r"password '([^']+)'", line)
        if found:
            password = found.group(1)
        if line.startswith("Ctrl-C"):
            break
    if password is None:
        demo.terminate()
        raise SystemExit("the demo did not start")
    return demo, f"http://127.0.0.1:{port}", password


async def _logged_in(browser: Any, base: str, password: str) -> Any:
    """A page at a wall screen's size, logged in as the demo's manager."""
    ctx = await browser.new_context(locale="nl-BE", viewport={"width": 1920, "height": 1080})
    page = await ctx.new_page()
    await page.goto(base + "/login")
    await page.fill("#login", "demo")
    await page.fill("#password", password)
    async with page.expect_navigation():
        await page.press("#password", "Enter")
    return page


async def shoot(base: str, password: str, start: date, out: Path) -> None:
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = await _logged_in(browser, base, password)
        await page.goto(base + "/?wand=1")
        await page.wait_for_timeout(25_000)  # the morning peak fills the queues
        await page.screenshot(path=str(out / "wandbord.png"))
        last_week = start - timedelta(days=7)
        await page.set_viewport_size({"width": 1400, "height": 1000})
        await page.goto(f"{base}/rapporten?soort=week&datum={last_week.isoformat()}")
        await page.wait_for_timeout(1500)  # the charts are drawn
        await page.screenshot(path=str(out / "rapport.png"))
        # the agent's console: log in on the onthaal, take a call, after-call work
        await page.set_viewport_size({"width": 1280, "height": 900})
        await page.goto(base + "/agent")
        await page.locator("form[action='/agent/login'] button").first.click()
        label = page.locator("#status [data-field=label]")
        await label.get_by_text("In gesprek").wait_for(timeout=60_000)
        await page.wait_for_timeout(1500)  # the pop and the caller's history
        await page.screenshot(path=str(out / "agent-gesprek.png"))
        await label.get_by_text("Nawerk").wait_for(timeout=60_000)
        await page.screenshot(path=str(out / "agent-nawerk.png"))
        await page.goto(base + "/agenten")
        await page.locator("#link[data-state=live]").wait_for(timeout=10_000)
        await page.screenshot(path=str(out / "medewerkers.png"), full_page=True)
        await browser.close()


async def shoot_hours(base: str, out: Path) -> None:
    """The public opening hours of a site with a mobile counter, as a citizen's phone shows
    them (no login)."""
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        ctx = await browser.new_context(locale="nl-BE", viewport={"width": 430, "height": 900})
        page = await ctx.new_page()
        await page.goto(base + "/openingsuren")
        await page.get_by_text("Dorpshuis Vichte").first.wait_for(timeout=10_000)
        await page.screenshot(path=str(out / "openingsuren-zitdagen.png"), full_page=True)
        await browser.close()


async def shoot_region(base: str, password: str, out: Path) -> None:
    """The region's wallboard on a wall screen, once its morning has filled the queues."""
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        page = await _logged_in(browser, base, password)
        await page.goto(base + "/?wand=1")
        await page.wait_for_timeout(20_000)  # the morning fills the queues
        await page.screenshot(path=str(out / "wandbord-regio.png"))
        await browser.close()


def _run(start: date, shots: Any, *, config: Path | None = None, clock: str = "09:30") -> None:
    """One demo for ``shots(base, password)``, stopped and cleared after."""
    data = Path(tempfile.mkdtemp(prefix="vuurtoren-shots-"))
    demo, base, password = start_demo(start, data, config=config, clock=clock)
    try:
        asyncio.run(shots(base, password))
    finally:
        demo.terminate()
        demo.wait(30)
        shutil.rmtree(data, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "docs" / "img"))
    parser.add_argument("--only", choices=["hours", "region"], help="take only these screenshots")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    start = datetime.now(ZoneInfo("Europe/Brussels")).date() + timedelta(days=1)
    while start.weekday() >= 5:
        start += timedelta(days=1)
    if args.only is None:
        _run(start, lambda base, password: shoot(base, password, start, out))
    tuesday = start + timedelta(days=(1 - start.weekday()) % 7)
    if args.only in (None, "hours"):
        _run(
            tuesday,
            lambda base, _password: shoot_hours(base, out),
            config=ROOT / "examples" / "zitdagen.toml",
            clock="10:00",
        )
    if args.only in (None, "region"):
        _run(
            tuesday,
            lambda base, password: shoot_region(base, password, out),
            config=ROOT / "examples" / "regio.toml",
            clock="10:00",
        )
    print(f"screenshots in {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
