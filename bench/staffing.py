"""Staffing advice at a million calls: a week of half hours from eight weeks of history.

    python bench/staffing.py [--calls 1000000] [--url URL] [--repeat 30] [--json]

Fills a new database (a temporary SQLite file; with ``--url`` an empty PostgreSQL database,
whose tables it drops at the end) with the seeded calls of ``bench/store_queries.py`` (two
years of weekdays over the example site's queues, 15 % of calls visiting the lighthouse
too), then computes the lighthouse's staffing advice for the week after the last day, as the
rota page does (``callcenter/figures/staffing.py``: one grouped query, Erlang C per open half hour),
``--repeat`` times:

- ``cold``: Erlang C's cache emptied before each run (the first page view after a start);
- ``warm``: as the page is viewed again.

The peer, in the same run: the same advice from the visits' rows fetched and bucketed in
Python instead of grouped by the database. Bounded: ``--calls`` rows, ``--repeat`` runs.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections import defaultdict
from datetime import UTC, timedelta
from typing import Any

from benchlib import bench_database, fill_calls, machine, percentile, report
from sqlalchemy import select
from store_queries import LAST_DAY, generate

from callcenter.figures.staffing import History, agents_needed, history, staffing_advice
from callcenter.store.models import VisitRow
from routing.config import load_site
from schedules.rota import Rota


async def python_history(engine: Any, site: Any, queue: str, until: Any, weeks: int) -> History:
    """The peer: every visit's row, bucketed here."""
    calls: dict[tuple[int, int], int] = defaultdict(int)
    done: dict[tuple[int, int], int] = defaultdict(int)
    spoken: dict[tuple[int, int], int] = defaultdict(int)
    stmt = select(VisitRow.joined_at, VisitRow.outcome, VisitRow.talk_seconds).where(
        VisitRow.queue == queue,
        VisitRow.joined_at >= until - timedelta(weeks=weeks),
        VisitRow.joined_at < until,
    )
    async with engine.connect() as conn:
        for joined, outcome, talk in await conn.execute(stmt):
            local = joined.astimezone(site.zone)
            key = (local.weekday(), (local.hour * 60 + local.minute) // 30)
            calls[key] += 1
            if outcome == "answered":
                done[key] += 1
                spoken[key] += talk or 0
    return History(calls, done, spoken, weeks)


async def timed(work: Any, repeat: int, cold: bool) -> dict[str, float]:
    times = []
    for _ in range(repeat):
        if cold:
            agents_needed.cache_clear()
        t = time.perf_counter()
        await work()
        times.append((time.perf_counter() - t) * 1000)
    return {
        "p50_ms": round(statistics.median(times), 1),
        "p95_ms": round(percentile(times, 95), 1),
        "max_ms": round(max(times), 1),
    }


async def run(args: argparse.Namespace) -> dict[str, Any]:
    site = load_site(args.config)
    queues = [c.queue for c in site.counters]
    lighthouse = site.lighthouse.queue
    async with bench_database(args.url, "million.sqlite3") as engine:
        return await _run(args, site, queues, lighthouse, engine)


async def _run(
    args: argparse.Namespace, site: Any, queues: list[str], lighthouse: str, engine: Any
) -> dict[str, Any]:
    until = (LAST_DAY + timedelta(days=1)).astimezone(UTC)
    first_day = (LAST_DAY + timedelta(days=3)).date()  # the Monday after
    rota = Rota(site.zone)
    await fill_calls(engine, generate(args.calls, queues, lighthouse))

    async def advice() -> Any:
        past = await history(engine, site, lighthouse, until, 8)
        return staffing_advice(site, past, rota, first_day)

    async def peer() -> Any:
        past = await python_history(engine, site, lighthouse, until, 8)
        return staffing_advice(site, past, rota, first_day)

    ours = await advice()
    theirs = await peer()
    same = [(s.calls, s.needed) for _, d in ours.days for s in d] == [
        (s.calls, s.needed) for _, d in theirs.days for s in d
    ]
    past = await history(engine, site, lighthouse, until, 8)
    return {
        "date": time.strftime("%Y-%m-%d"),
        "machine": machine(),
        "database": engine.dialect.name,
        "calls": args.calls,
        "history_visits": sum(past.calls.values()),
        "open_half_hours": sum(1 for _, d in ours.days for s in d if s.open),
        "peak_needed": max(s.needed for _, d in ours.days for s in d),
        "same_advice_as_peer": same,
        "cold": await timed(advice, args.repeat, cold=True),
        "warm": await timed(advice, args.repeat, cold=False),
        "peer_cold": await timed(peer, args.repeat, cold=True),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--config", default="examples/sociaal-huis.toml")
    parser.add_argument("--calls", type=int, default=1_000_000)
    parser.add_argument("--url", help="an empty database (default: a temporary SQLite file)")
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    return report(asyncio.run(run(args)), args.json, _table)


def _table(r: dict[str, Any]) -> None:
    print(
        f"{r['machine']}, {r['database']}: {r['calls']:,} calls; 8 weeks of the lighthouse: "
        f"{r['history_visits']:,} visits; {r['open_half_hours']} open half hours, "
        f"peak {r['peak_needed']} agents; same advice as the peer: {r['same_advice_as_peer']}"
    )
    for name in ("cold", "warm", "peer_cold"):
        x = r[name]
        print(f"{name:>10}: p50 {x['p50_ms']} ms, p95 {x['p95_ms']} ms, max {x['max_ms']} ms")


if __name__ == "__main__":
    raise SystemExit(main())
