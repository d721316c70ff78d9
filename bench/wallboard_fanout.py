"""Wallboard fan-out: 200 screens watching ``/api/wallboard/stream`` while the simulated
Asterisk runs 50 calls a second; from a caller joining a queue to every screen showing it.

    python bench/wallboard_fanout.py [--clients 200] [--rate 50] [--seconds 20] [--json]

Three processes on loopback: the simulated Asterisk (notes the wall-clock time at which it
writes each ``QueueCallerJoin``, and measures every RouteRequest → Redirect), the service
with its dashboard (this process, as ``vuurtoren serve`` runs), and the screens (``--clients``
SSE clients with a manager's token, each noting when a waiting caller first appears on its
board, matched by the join time the board carries; a tile carries the ten longest-waiting
callers, so the callers timed are those who join within the first ten places). One more
client opens the stream and never reads: it must slow neither the others nor the routing.
Bounded: ``--rate`` × ``--seconds`` calls. The peer, in the same run: the same load with 10 screens.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import random
import time
from datetime import datetime
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

from callcenter.figures.today import WAITING_SHOWN
from routing.config import load_site

PASSWORD = "een-goed-wachtwoord-bench"


def _key(epoch: float) -> int:
    return round(epoch * 1_000_000)


def _sim_process(config: str, commands: Any, results: Any) -> None:
    async def main() -> None:
        site = load_site(config)
        sim = bench_simulator(site, seed=9)
        await sim.start()
        for queue in sim.ast.queues.values():  # callers wait a moment: the boards show them
            for member in queue.members.values():
                member.device.answer_probability = 1.0
                member.device.answer_delay = (6.0, 12.0)
        joins: dict[int, float] = {}

        def listen(event: Any) -> None:
            # a tile carries the longest-waiting callers (WAITING_SHOWN): a caller who joins
            # further back shows only when those ahead have gone; time the ones it shows now
            if event.name == "QueueCallerJoin" and int(event.get("Position")) <= WAITING_SHOWN:
                joins[_key(float(event.get("Timestamp")))] = time.time()

        sim.ast.listen(listen)
        digits = [t.digit for t in site.topics]

        async def phase(rate: float, seconds: float) -> tuple[dict[int, float], list[float]]:
            joins.clear()
            sim.ast.route_latencies.clear()
            rng = random.Random(int(rate))
            await paced_calls(
                sim, rng, rate, seconds, functools.partial(rng.choice, digits), (4, 10)
            )
            return dict(joins), list(sim.ast.route_latencies)

        await serve_phases(sim, commands, results, phase)

    asyncio.run(main())


def _screens_process(url: str, token: str, clients: int, seconds: float, results: Any) -> None:
    """``clients`` screens and one that never reads; each notes when a join time first shows."""
    import aiohttp

    parsed: dict[str, list[int]] = {}  # the same board reaches every screen: parse it once

    def join_keys(data: str) -> list[int]:
        keys = parsed.get(data)
        if keys is None:
            if len(parsed) > 64:
                parsed.clear()
            board = json.loads(data)
            keys = parsed[data] = [
                _key(datetime.fromisoformat(since).timestamp())
                for tile in board["tiles"]
                for since in tile["waiting_since"]
            ]
        return keys

    async def screen(session: aiohttp.ClientSession, seen: dict[int, float]) -> None:
        async with session.get(url + "api/wallboard/stream") as resp:
            event = None
            async for raw in resp.content:
                line = raw.decode()
                if line.startswith("event: "):
                    event = line[7:].strip()
                elif line.startswith("data: ") and event == "board":
                    now = time.time()
                    for k in join_keys(line[6:]):
                        if k not in seen:
                            seen[k] = now

    async def stalled(session: aiohttp.ClientSession) -> None:
        async with session.get(url + "api/wallboard/stream") as resp:
            await resp.content.readline()
            await asyncio.sleep(seconds + 60)  # holds the stream open, reads nothing more

    async def main() -> None:
        headers = {"Authorization": f"Bearer {token}"}
        connector = aiohttp.TCPConnector(limit=clients + 10)
        async with aiohttp.ClientSession(headers=headers, connector=connector) as session:
            seen: list[dict[int, float]] = [{} for _ in range(clients)]
            tasks = [asyncio.create_task(screen(session, s)) for s in seen]
            tasks.append(asyncio.create_task(stalled(session)))
            results.put(("ready", clients))
            await asyncio.sleep(seconds)
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            results.put(("seen", seen))

    asyncio.run(main())


async def _phase(
    url: str, token: str, commands: Any, results: Any, clients: int, args: Any
) -> dict[str, Any]:
    (joins, routes), seen = await screens_phase(
        _screens_process,
        (url, token, clients),
        args.seconds + 25,
        commands,
        results,
        args.rate,
        args.seconds,
    )
    figures = fanout_figures(joins, seen, routes)
    return {
        "screens": clients,
        "calls": int(args.rate * args.seconds),
        "joins": len(joins),
        **figures,
    }


async def run(args: argparse.Namespace) -> dict[str, Any]:

    site = load_site(args.config)
    proc, commands, results, port = await start_sim_process(_sim_process, args.config)
    phases = []
    async with service_under_test(site, port) as r:
        manager = await r.staff.users.add("wand", "Wandscherm", ["manager"], PASSWORD)
        _, token = await r.staff.tokens.create(manager, "bench")
        for clients in (10, args.clients):
            phases.append(await _phase(r.url, token, commands, results, clients, args))
    commands.put(("stop",))
    proc.join(30)
    return {
        "benchmark": "wallboard_fanout",
        "date": time.strftime("%Y-%m-%d"),
        "machine": machine(),
        "rate": args.rate,
        "seconds": args.seconds,
        "phases": phases,
        "goal": "p95 < 500 ms to every screen at 200 screens and 50 calls/s; routing p99 < 5 ms",
    }


def _table(r: dict[str, Any]) -> None:
    print(f"wallboard fan-out, {r['machine']}, {r['rate']} calls/s for {r['seconds']} s")
    print(f"{'screens':>8} {'joins':>6} {'p50':>8} {'p95':>8} {'every p95':>10} {'route p99':>10}")
    for p in r["phases"]:
        print(
            f"{p['screens']:>8} {p['joins']:>6} {p['p50_ms']!s:>8} {p['p95_ms']!s:>8} "
            f"{p['every_screen_p95_ms']!s:>10} {p['route_p99_ms']!s:>10}"
        )
    print(r["goal"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--config", default=str(Path(__file__).parents[1] / "examples" / "sociaal-huis.toml")
    )
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--rate", type=float, default=50.0)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if not 1 <= args.clients <= 1000 or not 0 < args.rate <= 500 or not 0 < args.seconds <= 120:
        parser.error("--clients 1 to 1000, --rate up to 500, --seconds up to 120 (bounded)")
    return report(asyncio.run(run(args)), args.json, _table)


if __name__ == "__main__":
    raise SystemExit(main())
