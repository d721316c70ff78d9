"""The managers' live list of agents with 200 agents, watched by 200 screens while 200 more
watch the wallboard and the simulated Asterisk runs 50 calls a second: from an agent
answering (``AgentConnect``) to every list screen showing them "In gesprek" with that call.

    python bench/agents_list.py [--agents 200] [--screens 200] [--boards 200] [--rate 50]
        [--seconds 20] [--json]

Three processes on loopback: the simulated Asterisk (notes the wall-clock time at which it
writes each ``AgentConnect`` of a bench agent's phone, keyed by the call, and measures every
RouteRequest → Redirect), the service with its dashboard (this process, as ``vuurtoren
serve`` runs: ``--agents`` users with a phone each, logged in on every counter's queue), and
the screens (``--screens`` SSE clients on ``/api/agents/stream`` and ``--boards`` on
``/api/wallboard/stream``, with a manager's token; each list screen notes when a call first
shows on its list, from the whole list or a delta of the rows that changed). Bounded:
``--rate`` × ``--seconds`` calls. The peer, in the same run: the same load with 10 list
screens and no wallboard.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import random
import time
from pathlib import Path
from typing import Any

from benchlib import (
    bench_simulator,
    fanout_figures,
    machine,
    paced_calls,
    report,
    screens_phase,
    serve_phases,
    service_under_test,
    start_sim_process,
)

from routing.config import load_site

PASSWORD = "een-goed-wachtwoord-bench"
PHONE = "PJSIP/bench-"


def _sim_process(config: str, commands: Any, results: Any) -> None:
    async def main() -> None:
        site = load_site(config)
        sim = bench_simulator(site, seed=13)
        await sim.start()
        connects: dict[str, float] = {}

        def listen(event: Any) -> None:
            if event.name == "AgentConnect" and (event.get("Interface") or "").startswith(PHONE):
                connects.setdefault(event.get("Linkedid") or "", time.time())

        sim.ast.listen(listen)
        digits = [t.digit for t in site.topics]

        async def phase(rate: float, seconds: float) -> tuple[dict[str, float], list[float]]:
            for queue in sim.ast.queues.values():  # the bench agents answer, the others not
                for phone, member in queue.members.items():
                    member.device.answer_probability = 1.0 if phone.startswith(PHONE) else 0.0
                    member.device.answer_delay = (1.0, 3.0)
            connects.clear()
            sim.ast.route_latencies.clear()
            rng = random.Random(int(rate))
            await paced_calls(
                sim, rng, rate, seconds, functools.partial(rng.choice, digits), (20, 40)
            )
            return dict(connects), list(sim.ast.route_latencies)

        await serve_phases(sim, commands, results, phase)

    asyncio.run(main())


def _screens_process(
    url: str, token: str, lists: int, boards: int, seconds: float, results: Any
) -> None:
    """``lists`` list screens, each noting when a call first shows as talked; ``boards``
    wallboard screens that read what comes."""
    import aiohttp

    parsed: dict[str, list[str]] = {}  # the same list reaches every screen: parse it once

    def talking(data: str) -> list[str]:
        calls = parsed.get(data)
        if calls is None:
            if len(parsed) > 64:
                parsed.clear()
            body = json.loads(data)
            rows = body.get("agents") or body.get("changed") or []
            calls = parsed[data] = [
                r["state"]["call_id"] for r in rows if r["state"]["code"] == "talking"
            ]
        return calls

    async def list_screen(session: aiohttp.ClientSession, seen: dict[str, float]) -> None:
        async with session.get(url + "api/agents/stream") as resp:
            event = None
            async for raw in resp.content:
                line = raw.decode()
                if line.startswith("event: "):
                    event = line[7:].strip()
                elif line.startswith("data: ") and event in ("agents", "delta"):
                    now = time.time()
                    for call in talking(line[6:]):
                        seen.setdefault(call, now)

    async def board_screen(session: aiohttp.ClientSession) -> None:
        async with session.get(url + "api/wallboard/stream") as resp:
            async for _ in resp.content:
                pass

    async def main() -> None:
        headers = {"Authorization": f"Bearer {token}"}
        connector = aiohttp.TCPConnector(limit=lists + boards + 10)
        async with aiohttp.ClientSession(headers=headers, connector=connector) as session:
            seen: list[dict[str, float]] = [{} for _ in range(lists)]
            tasks = [asyncio.create_task(list_screen(session, s)) for s in seen]
            tasks += [asyncio.create_task(board_screen(session)) for _ in range(boards)]
            results.put(("ready", lists))
            await asyncio.sleep(seconds)
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            results.put(("seen", seen))

    asyncio.run(main())


async def _phase(
    url: str, token: str, commands: Any, results: Any, lists: int, boards: int, args: Any
) -> dict[str, Any]:
    (connects, routes), seen = await screens_phase(
        _screens_process,
        (url, token, lists, boards),
        args.seconds + 15,
        commands,
        results,
        args.rate,
        args.seconds,
    )
    figures = fanout_figures(connects, seen, routes)
    return {
        "list_screens": lists,
        "wallboard_screens": boards,
        "calls": int(args.rate * args.seconds),
        "answered_by_bench_agents": len(connects),
        **figures,
    }


async def run(args: argparse.Namespace) -> dict[str, Any]:
    site = load_site(args.config)
    proc, commands, results, port = await start_sim_process(_sim_process, args.config)
    phases = []
    async with service_under_test(site, port) as r:
        manager = await r.staff.users.add("wand", "Wandscherm", ["manager"], PASSWORD)
        _, token = await r.staff.tokens.create(manager, "bench")
        counters = [c.id for c in site.counters]
        for i in range(args.agents):
            agent = await r.staff.users.add(
                f"bench{i:03d}",
                f"Medewerker {i:03d}",
                ["agent"],
                PASSWORD,
                counters=counters,
                interfaces=[f"{PHONE}{i:03d}"],
            )
            await r.ops.desk.login(agent, actor="bench")
        await r.ops.desk.refresh()
        for lists, boards in (
            (10, 0),
            (args.screens, args.boards),
        ):
            phases.append(await _phase(r.url, token, commands, results, lists, boards, args))
    commands.put(("stop",))
    proc.join(30)
    return {
        "benchmark": "agents_list",
        "date": time.strftime("%Y-%m-%d"),
        "machine": machine(),
        "agents": args.agents,
        "rate": args.rate,
        "seconds": args.seconds,
        "phases": phases,
        "goal": "p95 < 500 ms from an answer to every list screen, 200 agents, 200 list and "
        "200 wallboard screens, 50 calls/s; routing p99 unchanged within noise",
    }


def _table(r: dict[str, Any]) -> None:
    print(f"agents' live list, {r['agents']} agents, {r['machine']}, {r['rate']} calls/s")
    print(
        f"{'lists':>6} {'boards':>7} {'answers':>8} {'p50':>8} {'p95':>8} {'every p95':>10} "
        f"{'route p99':>10}"
    )
    for p in r["phases"]:
        print(
            f"{p['list_screens']:>6} {p['wallboard_screens']:>7} "
            f"{p['answered_by_bench_agents']:>8} {p['p50_ms']!s:>8} {p['p95_ms']!s:>8} "
            f"{p['every_screen_p95_ms']!s:>10} {p['route_p99_ms']!s:>10}"
        )
    print(r["goal"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--config", default=str(Path(__file__).parents[1] / "examples" / "sociaal-huis.toml")
    )
    parser.add_argument("--agents", type=int, default=200)
    parser.add_argument("--screens", type=int, default=200)
    parser.add_argument("--boards", type=int, default=200, help="wallboard screens beside")
    parser.add_argument("--rate", type=float, default=50.0)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if not (
        1 <= args.agents <= 1000
        and 1 <= args.screens <= 1000
        and 0 < args.rate <= 500
        and 0 < args.seconds <= 120
    ):
        parser.error("--agents/--screens 1 to 1000, --rate up to 500, --seconds up to 120")
    return report(asyncio.run(run(args)), args.json, _table)


if __name__ == "__main__":
    raise SystemExit(main())
