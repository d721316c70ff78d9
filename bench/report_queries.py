"""Reports at a million calls: a month's report (every figure of ``/rapporten``, the quarter
hours included) and a day's, as the page and ``/api/reports`` build them.

    python bench/report_queries.py [--calls 1000000] [--url URL] [--repeat 20] [--json]

Fills a new database (a temporary SQLite file; with ``--url`` an empty PostgreSQL database,
whose tables it drops at the end) with the seeded calls of ``bench/store_queries.py`` (two
years of weekdays, about 1,900 calls a day, 15 % with a second visit), then builds
``--repeat`` month reports and ``--repeat`` day reports for seeded months and days.
The peer, in the same run: the month report after dropping the indexes on
``calls.started_at`` (with the route columns) and ``queue_visits.joined_at`` (a few repeats).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from benchlib import bench_database, fill_calls, machine, percentile, report
from sqlalchemy import text
from store_queries import LAST_DAY, generate

from callcenter.figures.reports import build_report, period
from routing.config import load_site


async def timed(engine: Any, site: Any, periods: list[Any]) -> dict[str, Any]:
    times, sizes = [], []
    for p in periods:
        t = time.perf_counter()
        r = await build_report(engine, site, p)
        times.append((time.perf_counter() - t) * 1000)
        sizes.append(sum(q["queued"] for q in r.data["queues"]))
    return {
        "n": len(times),
        "p50_ms": round(statistics.median(times), 1),
        "p95_ms": round(percentile(times, 95), 1),
        "max_ms": round(max(times), 1),
        "visits_per_report": round(statistics.mean(sizes)),
    }


def topics_by_queue(site: Any) -> dict[str, list[str]]:
    """Each counter's queue and the topics that lead there, as the site's menu has them."""
    queue_of = {c.id: c.queue for c in site.counters}
    out: dict[str, list[str]] = {}
    for t in site.topics:
        out.setdefault(queue_of[t.counter], []).append(t.id)
    return out


async def run(args: argparse.Namespace) -> dict[str, Any]:
    site = load_site(args.config)
    queues = [c.queue for c in site.counters]
    async with bench_database(args.url, "reports.sqlite3") as engine:
        t0 = time.perf_counter()
        await fill_calls(
            engine,
            generate(args.calls, queues, site.lighthouse.queue, topics=topics_by_queue(site)),
        )
        fill = time.perf_counter() - t0
        rng = random.Random(5)
        last = LAST_DAY.date()
        months = [
            period("month", last - timedelta(days=rng.randrange(30, 700)))
            for _ in range(args.repeat)
        ]
        days = [
            period("day", _weekday(last - timedelta(days=rng.randrange(1, 700))))
            for _ in range(args.repeat)
        ]
        month = await timed(engine, site, months)
        day = await timed(engine, site, days)
        async with engine.begin() as conn:
            await conn.execute(text("DROP INDEX ix_calls_started_route"))
            await conn.execute(text("DROP INDEX ix_visits_joined"))
            await conn.execute(text("DROP INDEX ix_visits_queue_joined"))
            await conn.execute(text("ANALYZE"))
        without = await timed(engine, site, months[:3])
        return {
            "date": time.strftime("%Y-%m-%d"),
            "machine": machine(),
            "database": engine.dialect.name,
            "calls": args.calls,
            "fill_seconds": round(fill, 1),
            "month": month,
            "day": day,
            "peer_month_without_indexes": without,
        }


def _weekday(d: date) -> date:
    while d.weekday() >= 5:
        d -= timedelta(days=1)
    return d


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--config", default=str(Path(__file__).parents[1] / "examples" / "sociaal-huis.toml")
    )
    parser.add_argument("--calls", type=int, default=1_000_000)
    parser.add_argument("--url", help="an empty PostgreSQL database (default: SQLite)")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if not 1 <= args.calls <= 5_000_000 or not 1 <= args.repeat <= 200:
        parser.error("--calls 1 to 5,000,000 and --repeat 1 to 200 (every loop is bounded)")
    return report(asyncio.run(run(args)), args.json, _table)


def _table(r: dict[str, Any]) -> None:
    print(f"reports at {r['calls']:,} calls, {r['database']}, {r['machine']}")
    print(f"{'report':28} {'n':>3} {'p50':>8} {'p95':>8} {'max':>8} {'visits':>8}")
    for name in ("month", "day", "peer_month_without_indexes"):
        x = r[name]
        print(
            f"{name:28} {x['n']:>3} {x['p50_ms']:>7}ms {x['p95_ms']:>7}ms {x['max_ms']:>7}ms "
            f"{x['visits_per_report']:>8}"
        )


if __name__ == "__main__":
    raise SystemExit(main())
