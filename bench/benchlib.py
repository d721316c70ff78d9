"""What the benchmark scripts share: the machine, percentiles, the output; a database filled
with calls; the simulated Asterisk in a process of its own with the service beside it."""

from __future__ import annotations

import asyncio
import contextlib
import json
import multiprocessing as mp
import os
import platform
import random
import secrets
import shutil
import statistics
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncEngine


def machine() -> str:
    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (p in 0–100) of a non-empty sample."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def report(result: dict[str, Any], as_json: bool, table: Callable[[dict[str, Any]], None]) -> int:
    """Print the result as JSON or as the script's table; the script's exit code."""
    if as_json:
        print(json.dumps(result, indent=2))
    else:
        table(result)
    return 0


@contextlib.asynccontextmanager
async def bench_database(url: str | None, name: str) -> AsyncIterator[AsyncEngine]:
    """A migrated, empty database for one run: a temporary SQLite file (``name``), or the
    empty PostgreSQL database at ``url``, whose tables are dropped at the end."""
    from sqlalchemy import text

    from callcenter.store import open_engine, upgrade
    from callcenter.store.models import Base

    tmp = None
    if url is None:
        tmp = Path(tempfile.mkdtemp()) / name
    engine = open_engine(url or f"sqlite+aiosqlite:///{tmp}")
    await upgrade(engine)
    try:
        yield engine
    finally:
        if url is not None:
            async with engine.begin() as conn:
                await conn.run_sync(Base.metadata.drop_all)
                await conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
        await engine.dispose()
        if tmp is not None:
            shutil.rmtree(tmp.parent, ignore_errors=True)


async def fill_calls(engine: AsyncEngine, chunks: Iterable[tuple[list[Any], list[Any]]]) -> None:
    """Insert generated (calls, visits) row chunks (``store_queries.generate``), then ANALYZE."""
    from sqlalchemy import insert, text

    from callcenter.store.models import CallRow, VisitRow

    for call_rows, visit_rows in chunks:
        async with engine.begin() as conn:
            await conn.execute(insert(CallRow.__table__), call_rows)
            await conn.execute(insert(VisitRow.__table__), visit_rows)
    async with engine.begin() as conn:
        await conn.execute(text("ANALYZE"))


# -- the simulated Asterisk in its own process, and the service under test beside it --------

SECRET = "bench-secret"
START = datetime(2026, 11, 23, 9, 30, tzinfo=ZoneInfo("Europe/Brussels"))
SPEED = 20.0
"""Virtual seconds per real second in the simulator: calls last a few seconds."""


def staffed(site: Any, agents: int) -> Any:
    """The site with ``agents`` phones in every counter's queue and in the lighthouse's: a
    latency benchmark's calls are answered, not overflowed to the last resort (where each
    would ask for a callback and put a stand-in in line: another workload)."""
    from dataclasses import replace

    return replace(
        site,
        counters=tuple(replace(c, agents=agents) for c in site.counters),
        lighthouse=replace(site.lighthouse, agents=agents),
    )


def bench_simulator(site: Any, seed: int, *, all_events: bool = False, padding: int = 0) -> Any:
    """The simulated Asterisk of a benchmark: the site's queues, every agent at work whatever
    the hours, the service's AMI account (with its event filter, unless ``all_events``)."""
    from callcenter.asterisk.config import event_filters
    from callcenter.simulator import Account, SimSettings, Simulator

    return Simulator(
        site,
        accounts=[Account("vuurtoren", SECRET, eventfilter=() if all_events else event_filters())],
        seed=seed,
        speed=SPEED,
        start=START,
        settings=SimSettings(padding_events=padding, hours_aware_agents=False, failsafe_seconds=60),
    )


async def paced_calls(
    sim: Any,
    rng: random.Random,
    rate: float,
    seconds: float,
    digits: Callable[[], str],
    talk: tuple[float, float],
) -> None:
    """``rate`` calls a second for ``seconds`` (bounded by count, paced by the wall clock),
    each choosing ``digits()``; then waits for them to end (at most two minutes more)."""
    from callcenter.simulator import CallerProfile

    started = []
    t0 = time.perf_counter()
    for i in range(int(rate * seconds)):
        delay = t0 + i / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        profile = CallerProfile(
            number=f"+3247{rng.randrange(10**7):07d}",
            digits=digits(),
            patience=600,
            talk_seconds=rng.uniform(*talk),
            menu_seconds=1.0,
        )
        started.append(sim.call(profile))
    # bounded: every call ends within talk + patience; give up after two minutes
    await asyncio.wait([c.task for c in started if c.task is not None], timeout=120)


async def serve_phases(
    sim: Any, commands: Any, results: Any, phase: Callable[..., Awaitable[Any]]
) -> None:
    """The simulator process's side of a benchmark: report the started simulator's AMI
    port, then answer each ``("phase", *args)`` command with ``("phase", await
    phase(*args))`` until ``("stop",)``; the simulator stops in the end."""
    results.put(("port", sim.port))
    loop = asyncio.get_running_loop()
    try:
        while True:
            cmd = await loop.run_in_executor(None, commands.get)
            if cmd[0] == "stop":
                break
            results.put(("phase", await phase(*cmd[1:])))
    finally:
        await sim.stop()


async def start_sim_process(target: Callable[..., None], *args: Any) -> tuple[Any, Any, Any, int]:
    """``target(*args, commands, results)`` in a process of its own (spawned: nothing of
    this one's event loop or heap); returns the process, its queues and the AMI port it
    reported."""
    ctx = mp.get_context("spawn")
    commands, results = ctx.Queue(), ctx.Queue()
    proc = ctx.Process(target=target, args=(*args, commands, results), daemon=True)
    proc.start()
    loop = asyncio.get_running_loop()
    kind, port = await loop.run_in_executor(None, lambda: results.get(timeout=60))
    assert kind == "port"
    return proc, commands, results, int(port)


@contextlib.asynccontextmanager
async def service_under_test(site: Any, port: int) -> AsyncIterator[Any]:
    """The service with its dashboard on a free loopback port, a new SQLite store, and the
    simulator's clock, connected to the simulated Asterisk on ``port``."""
    from callcenter.ami import ClientSettings
    from callcenter.cli.runner import running
    from callcenter.simulator.clock import SimClock

    db = Path(tempfile.mkdtemp()) / "bench.sqlite3"
    client = ClientSettings(port=port, secret=SECRET, ping_interval=30, ping_timeout=10)
    try:
        async with running(
            site,
            client,
            f"sqlite+aiosqlite:///{db}",
            port=0,
            clock=SimClock(START, SPEED),  # the service judges time as the simulator does
            privacy_key=secrets.token_bytes(32),
        ) as r:
            await r.ami.wait_connected(20)
            yield r
    finally:
        shutil.rmtree(db.parent, ignore_errors=True)


def fanout_figures(
    sent: dict[Any, float], seen: list[dict[Any, float]], routes: list[float]
) -> dict[str, Any]:
    """Screens' latencies: ``sent`` (key → wall time it happened), what each screen ``seen``
    (key → wall time it first showed), and the routing latencies of the same run (seconds).
    Per screen p50 and p95, the p95 to the last of all screens, routing p99 (milliseconds)."""
    per_screen = [s[k] - t for k, t in sent.items() for s in seen if k in s]
    every = []  # a key's latency to the last screen that showed it
    for k, t in sent.items():
        times = [s[k] for s in seen if k in s]
        if seen and len(times) == len(seen):
            every.append(max(times) - t)
    ms = [x * 1000 for x in per_screen]
    all_ms = [x * 1000 for x in every]
    route_ms = [x * 1000 for x in routes]
    return {
        "on_every_screen": len(every),
        "p50_ms": round(statistics.median(ms), 1) if ms else None,
        "p95_ms": round(percentile(ms, 95), 1) if ms else None,
        "every_screen_p95_ms": round(percentile(all_ms, 95), 1) if all_ms else None,
        "route_p99_ms": round(percentile(route_ms, 99), 2) if route_ms else None,
        "routed": len(route_ms),
    }


async def screens_phase(
    screens_target: Callable[..., None],
    screens_args: tuple[Any, ...],
    listen: float,
    commands: Any,
    results: Any,
    rate: float,
    seconds: float,
) -> tuple[Any, list[dict[Any, float]]]:
    """One phase of a fan-out benchmark: ``screens_target(*screens_args, listen, out)`` in a
    process of its own (it puts ``("ready", n)``, then after ``listen`` seconds ``("seen",
    [per screen: key → wall time]``); once its streams are open, the simulator process runs
    ``rate`` calls a second for ``seconds``. Returns what the simulator's phase answered and
    what the screens saw."""
    ctx = mp.get_context("spawn")
    out = ctx.Queue()
    screens = ctx.Process(target=screens_target, args=(*screens_args, listen, out), daemon=True)
    screens.start()
    loop = asyncio.get_running_loop()
    assert (await loop.run_in_executor(None, lambda: out.get(timeout=60)))[0] == "ready"
    await asyncio.sleep(2.0)  # every stream is open
    commands.put(("phase", rate, seconds))
    kind, answer = await loop.run_in_executor(None, lambda: results.get(timeout=300))
    assert kind == "phase"
    kind, seen = await loop.run_in_executor(None, lambda: out.get(timeout=listen + 60))
    screens.join(10)
    return answer, seen
