"""Screen pop: from ``AgentConnect`` leaving the simulated Asterisk to the agent's console
showing the caller, in a real browser (Debian's Chromium, headless, through Playwright).

    python bench/screen_pop.py [--rate 50] [--seconds 20] [--agents 8] [--json]

The simulated Asterisk runs in *another process* and starts ``--rate`` calls a second for
``--seconds`` seconds (bounded): ``--pop-rate`` of them to the onthaal, whose queue holds only
``--agents`` agents who are real users of the service, logged in to their console (``/agent``)
in Chromium; the rest to the other counters (their simulated agents, overflow, the lighthouse),
the load around them. The simulator notes the wall-clock time at which it writes each
onthaal ``AgentConnect``; each console page notes when its panel shows that call (a
``MutationObserver``, then the next animation frame: on screen). Same machine, same clock.

The peer, in the same run: the same agents and pages at ``--peer-rate`` calls a second.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import random
import re
import shutil
import statistics
import time
from pathlib import Path
from typing import Any

from benchlib import (
    SPEED,
    bench_simulator,
    machine,
    paced_calls,
    percentile,
    report,
    serve_phases,
    service_under_test,
    start_sim_process,
)

from routing.config import load_site

QUEUE, DIGIT = "onthaal", "0"
PASSWORD = "een-goed-wachtwoord-bench"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
WATCH = """() => {
  window.__pops = [];
  const panel = document.getElementById("gesprek");
  new MutationObserver(() => {
    const call = (document.getElementById("r-call") || {}).value;
    const dom = performance.timeOrigin + performance.now();
    requestAnimationFrame(() => window.__pops.push(
      [call, dom, performance.timeOrigin + performance.now()]));
  }).observe(panel, {childList: true});
}"""


def _sim_process(config: str, commands: Any, results: Any) -> None:
    async def main() -> None:
        site = load_site(config)
        sim = bench_simulator(site, seed=7)
        await sim.start()
        for iface in list(sim.ast.queues[QUEUE].members):
            sim.ast.queues[QUEUE].remove_member(iface)  # only the bench's users answer here
        for queue in sim.ast.queues.values():
            for member in queue.members.values():
                member.device.answer_delay = (0.5, 1.5)
        connects: dict[str, float] = {}

        def listen(event: Any) -> None:
            if event.name == "AgentConnect" and event.get("Queue") == QUEUE:
                connects[event.get("Linkedid")] = time.time()
            elif event.name == "QueueMemberAdded" and event.get("Queue") == QUEUE:
                member = sim.ast.queues[QUEUE].members.get(event.get("Interface"))
                if member is not None:  # a person at the phone: picks up in 1 to 2 s
                    member.device.answer_probability = 1.0
                    member.device.answer_delay = (1.0, 2.0)

        sim.ast.listen(listen)
        others = [t.digit for t in site.topics if t.digit != DIGIT]

        async def phase(rate: float, pop_rate: float, seconds: float) -> dict[str, float]:
            connects.clear()
            rng = random.Random(int(rate))
            await paced_calls(
                sim,
                rng,
                rate,
                seconds,
                functools.partial(_digits, rng, pop_rate / rate, others),
                (20, 40),
            )
            return dict(connects)

        await serve_phases(sim, commands, results, phase)

    asyncio.run(main())


def _digits(rng: random.Random, share: float, others: list[str]) -> str:
    """The keys of the topic whose counter the consoles answer, for ``share`` of the calls."""
    return DIGIT if rng.random() < share else rng.choice(others)


async def _console(browser: Any, url: str, login: str) -> Any:
    ctx = await browser.new_context(locale="nl-BE")
    page = await ctx.new_page()
    form = await (await ctx.request.get(url + "login")).text()
    token = re.search(r'name="csrf" value="([^"]+)"', form)
    assert token
    await ctx.request.post(
        url + "login", form={"login": login, "password": PASSWORD, "csrf": token.group(1)}
    )
    await page.goto(url + "agent")
    await page.evaluate(WATCH)
    return page


async def _phase(
    commands: Any, results: Any, pages: list[Any], rate: float, pop_rate: float, seconds: float
) -> dict[str, Any]:
    for page in pages:
        await page.evaluate("window.__pops = []")
    commands.put(("phase", rate, pop_rate, seconds))
    loop = asyncio.get_running_loop()
    kind, connects = await loop.run_in_executor(None, lambda: results.get(timeout=300))
    assert kind == "phase"
    await asyncio.sleep(1.0)  # the last pops reach their pages
    seen: dict[str, tuple[float, float]] = {}
    for page in pages:
        for call, dom, frame in await page.evaluate("window.__pops"):
            seen.setdefault(call, (dom, frame))
    dom_ms = [seen[c][0] - t * 1000 for c, t in connects.items() if c in seen]
    frame_ms = [seen[c][1] - t * 1000 for c, t in connects.items() if c in seen]
    return {
        "rate": rate,
        "pop_rate": pop_rate,
        "seconds": seconds,
        "connects": len(connects),
        "popped": len(frame_ms),
        "missed": len(connects) - len(frame_ms),
        "dom_p50_ms": round(statistics.median(dom_ms), 1) if dom_ms else None,
        "dom_p95_ms": round(percentile(dom_ms, 95), 1) if dom_ms else None,
        "p50_ms": round(statistics.median(frame_ms), 1) if frame_ms else None,
        "p95_ms": round(percentile(frame_ms, 95), 1) if frame_ms else None,
        "max_ms": round(max(frame_ms), 1) if frame_ms else None,
    }


async def run(args: argparse.Namespace) -> dict[str, Any]:
    from playwright.async_api import async_playwright

    site = load_site(args.config)
    proc, commands, results, port = await start_sim_process(_sim_process, args.config)
    phases = []
    async with service_under_test(site, port) as r:
        logins = []
        for i in range(args.agents):
            login = f"agent{i:02d}"
            user = await r.staff.users.add(
                login,
                f"Agent {i}",
                ["agent"],
                PASSWORD,
                counters=[QUEUE],
                interfaces=[f"PJSIP/bench{i:02d}"],
            )
            await r.ops.desk.login(user, QUEUE, actor=login)
            logins.append(login)
        async with async_playwright() as p:
            browser = await p.chromium.launch(
                executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
            )
            pages = [await _console(browser, r.url, login) for login in logins]
            await asyncio.sleep(1.0)  # every console's stream is open
            phases.append(
                await _phase(commands, results, pages, args.peer_rate, args.pop_rate, args.seconds)
            )
            phases.append(
                await _phase(commands, results, pages, args.rate, args.pop_rate, args.seconds)
            )
            await browser.close()
    commands.put(("stop",))
    proc.join(30)
    return {
        "benchmark": "screen_pop",
        "machine": machine(),
        "browser": "Chromium (Debian), headless, Playwright",
        "agents": args.agents,
        "speed": SPEED,
        "phases": phases,
        "goal": "p95 < 300 ms at 50 calls/s",
    }


def _table(result: dict[str, Any]) -> None:
    print(f"screen pop, {result['machine']}, {result['agents']} consoles in Chromium")
    print(
        f"{'calls/s':>8} {'pops':>5} {'missed':>6} {'DOM p95':>8} {'p50':>7} {'p95':>7} {'max':>7}"
    )
    for ph in result["phases"]:
        print(
            f"{ph['rate']:>8} {ph['popped']:>5} {ph['missed']:>6} {ph['dom_p95_ms']!s:>8} "
            f"{ph['p50_ms']!s:>7} {ph['p95_ms']!s:>7} {ph['max_ms']!s:>7}"
        )
    print(result["goal"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--config", default=str(Path(__file__).parents[1] / "examples" / "sociaal-huis.toml")
    )
    parser.add_argument("--rate", type=float, default=50.0)
    parser.add_argument("--peer-rate", type=float, default=5.0)
    parser.add_argument(
        "--pop-rate", type=float, default=2.5, help="calls a second to the consoles' queue"
    )
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--agents", type=int, default=8)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if not 0 < args.pop_rate <= min(args.rate, args.peer_rate):
        parser.error("--pop-rate must be above 0 and at most --rate and --peer-rate")
    if not 1 <= args.agents <= 50 or not 0 < args.seconds <= 120:
        parser.error("--agents 1 to 50, --seconds up to 120 (every load loop is bounded)")
    return report(asyncio.run(run(args)), args.json, _table)


if __name__ == "__main__":
    raise SystemExit(main())
