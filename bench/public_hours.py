"""The public opening hours JSON under load: requests/s and latency with many clients.

    python bench/public_hours.py [--clients 100] [--requests 20000] [--seconds 30]

The app (as ``serve`` builds it, on a fresh SQLite store, no Asterisk needed for this page)
runs in a second process; this process runs ``--clients`` concurrent keep-alive clients on
loopback until ``--requests`` answers or ``--seconds`` have passed (both bounded). Goal
(issue 10): at least 2,000 requests/s with 100 clients.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import secrets
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp
from benchlib import machine, percentile, report


def _server(config: str, results: Any) -> None:
    async def main() -> None:
        from aiohttp import web

        from callcenter.ami import AMIClient, ClientSettings
        from callcenter.calls.service import CallService
        from callcenter.services.operations import open_operations
        from callcenter.staff.services import open_staff
        from callcenter.store import open_engine, upgrade
        from dashboard.app import create_app
        from routing.config import load_site

        site = load_site(config)
        engine = open_engine(f"sqlite+aiosqlite:///{Path(tempfile.mkdtemp()) / 'b.sqlite3'}")
        await upgrade(engine)
        staff = open_staff(engine, site, secrets.token_bytes(32))
        service = CallService(site, AMIClient(ClientSettings(port=1)))
        app = create_app(service, staff, await open_operations(engine, service, staff))
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        tcp = web.TCPSite(runner, "127.0.0.1", 0, backlog=1024)
        await tcp.start()
        results.put(runner.addresses[0][1])
        await asyncio.sleep(3600)

    asyncio.run(main())


async def load(
    port: int, clients: int, requests: int, seconds: float, path: str = "/api/public/hours"
) -> dict[str, Any]:
    url = f"http://127.0.0.1:{port}{path}"
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds
    connector = aiohttp.TCPConnector(limit=clients)
    async with aiohttp.ClientSession(connector=connector) as http:
        async with http.get(url) as warm:  # the first answer computes the report
            assert warm.status in (200, 503)

        async def client() -> None:
            nonlocal errors
            while len(latencies) + errors < requests and time.perf_counter() < deadline:
                t0 = time.perf_counter()
                async with http.get(url) as resp:
                    await resp.read()
                    if resp.status not in (200, 503):  # /healthz: 503 without Asterisk
                        errors += 1
                        continue
                latencies.append((time.perf_counter() - t0) * 1000)

        start = time.perf_counter()
        await asyncio.gather(*(client() for _ in range(clients)))
        wall = time.perf_counter() - start
    return {
        "date": time.strftime("%Y-%m-%d"),
        "machine": machine(),
        "path": path,
        "clients": clients,
        "requests": len(latencies),
        "errors": errors,
        "seconds": round(wall, 2),
        "requests_per_second": round(len(latencies) / wall),
        "p50_ms": round(statistics.median(latencies), 2),
        "p99_ms": round(percentile(latencies, 99), 2),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--config", default="examples/sociaal-huis.toml")
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument(
        "--peer", default="/healthz", help="a trivial route measured the same way, after"
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    ctx = mp.get_context("spawn")
    results = ctx.Queue()
    server = ctx.Process(target=_server, args=(args.config, results), daemon=True)
    server.start()
    try:
        port = results.get(timeout=60)
        result = asyncio.run(load(port, args.clients, args.requests, args.seconds))
        result["peer"] = asyncio.run(
            load(port, args.clients, args.requests, args.seconds, args.peer)
        )
    finally:
        server.terminate()
        server.join(10)

    def table(r: dict[str, Any]) -> None:
        print(f"{r['machine']}: {r['clients']} clients")
        for x in (r, r["peer"]):
            print(
                f"  {x['path']:20} {x['requests']} answers in {x['seconds']} s: "
                f"{x['requests_per_second']} requests/s, p50 {x['p50_ms']} ms, "
                f"p99 {x['p99_ms']} ms, {x['errors']} errors"
            )

    return report(result, args.json, table)


if __name__ == "__main__":
    raise SystemExit(main())
