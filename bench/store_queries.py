"""The store at a million calls: the dashboard's questions, with their indexes and without.

    python bench/store_queries.py [--calls 1000000] [--url URL] [--repeat 30] [--json]

Fills a new database (a temporary SQLite file; with ``--url`` an empty PostgreSQL database,
whose tables it drops at the end) with ``--calls`` seeded calls over two years of weekdays:
office hours, the example site's queues, 15 % of calls visiting a second queue (a timeout to
the lighthouse), callers who call again (a few often, most once or twice), the usual outcome
mix and a few calls still open. Then asks the store's own questions (``CallStore``), each
``--repeat`` times with seeded parameters:

- ``open``: calls without outcome (``open_calls``, at every service start);
- ``day``: one day's calls with their visits (``calls_between``);
- ``caller``: a caller's latest 20 calls (``caller_history``);
- ``queues_day``: one day's visits by queue and outcome (``queue_counts``);
- ``queue_month``: 30 days of one queue (``queue_counts(queue=…)``).

The peer, in the same run: the same questions after dropping the indexes (``ANALYZE`` again),
so each figure sits next to what its index buys. The query plans are printed as well.
Bounded: ``--calls`` rows, ``--repeat`` questions each.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from benchlib import machine, percentile, report
from sqlalchemy import insert, text

from callcenter.store import CallStore, open_engine, upgrade
from callcenter.store.db import query_plan
from callcenter.store.models import Base, CallRow, VisitRow
from callcenter.store.repository import (
    caller_history_query,
    calls_between_query,
    open_calls_query,
    queue_counts_query,
)
from routing.config import load_site

BXL = ZoneInfo("Europe/Brussels")
LAST_DAY = datetime(2026, 11, 20, tzinfo=BXL)
DAYS = 730
CHUNK = 20_000
INDEXES = {
    "calls": ["ix_calls_open", "ix_calls_started_route", "ix_calls_caller_started"],
    "queue_visits": ["ix_visits_joined", "ix_visits_queue_joined"],
}
OUTCOMES = [("answered", 0.80), ("abandoned", 0.11), ("last_resort", 0.06), ("failsafe", 0.02)]


def weekdays() -> list[datetime]:
    days = [LAST_DAY - timedelta(days=i) for i in range(DAYS)]
    return sorted(d for d in days if d.weekday() < 5)


def caller_number(rng: random.Random) -> str:
    # a skewed population: index ** 3 makes a few numbers call very often
    return f"+3247{int(150_000 * rng.random() ** 3):07d}"


def generate(
    n: int,
    queues: list[str],
    lighthouse: str,
    seed: int = 7,
    topics: dict[str, list[str]] | None = None,
) -> Any:
    """Rows of calls and visits in chunks, deterministic by seed. ``topics``: each queue's
    topics (the site's), taken in turn (not drawn: the other columns stay as seeded)."""
    topics = topics or {}
    rng = random.Random(seed)
    days = weekdays()
    per_day = n / len(days)
    call_rows: list[dict[str, Any]] = []
    visit_rows: list[dict[str, Any]] = []
    names = [o for o, _ in OUTCOMES]
    weights = [w for _, w in OUTCOMES]
    for i in range(n):
        day = days[min(len(days) - 1, int(i / per_day))]
        start = (day + timedelta(hours=8.5 + 8.5 * rng.random())).astimezone(UTC)
        queue = rng.choice(queues)
        outcome: str | None = rng.choices(names, weights)[0]
        if i >= n - 5:
            outcome = None  # still up
        call_id = f"{int(start.timestamp())}.{i}"
        wait = int(rng.expovariate(1 / 40))
        talk = int(rng.lognormvariate(5.3, 0.6)) if outcome == "answered" else None
        second = rng.random() < 0.15
        choices = topics.get(queue) or [f"topic-{queue}"]
        topic = choices[i % len(choices)]
        call_rows.append(
            {
                "call_id": call_id,
                "uniqueid": f"{call_id}2",
                "channel": f"Local/s@central-number-{i:08x};2",
                "caller": caller_number(rng),
                "started_at": start,
                "digits": "1",
                "topic": topic,
                "counter": queue,
                "target": "counter",
                "target_queue": queue,
                "reason": "open",
                "next_open": None,
                "route_requested_at": start + timedelta(seconds=8),
                "redirected_at": start + timedelta(seconds=8),
                "failsafe": outcome == "failsafe",
                "final_queue": lighthouse if second else queue,
                "answered_by": "Agent 1" if talk else None,
                "wait_seconds": wait,
                "talk_seconds": talk,
                "ended_at": None if outcome is None else start + timedelta(seconds=300),
                "outcome": outcome,
                "outcome_reason": None,
                "legs": call_id,
            }
        )
        visits = [queue, lighthouse] if second else [queue]
        for seq, q in enumerate(visits):
            last = seq == len(visits) - 1
            visit_outcome = ("timeout" if not last else outcome) if outcome else None
            if visit_outcome in ("failsafe", "last_resort"):
                visit_outcome = "timeout"
            visit_rows.append(
                {
                    "call_id": call_id,
                    "seq": seq,
                    "queue": q,
                    "topic": topic,
                    "uniqueid": f"{call_id}2",
                    "joined_at": start + timedelta(seconds=10 + 120 * seq),
                    "position": 1,
                    "left_at": start + timedelta(seconds=10 + 120 * seq + wait),
                    "outcome": visit_outcome,
                    "wait_seconds": wait,
                    "agent": "Agent 1" if talk and last else None,
                    "agents_rung": 1,
                    "talk_seconds": talk if last else None,
                    "ended_by": "caller" if talk and last else None,
                }
            )
        if len(call_rows) >= CHUNK:
            yield call_rows, visit_rows
            call_rows, visit_rows = [], []
    if call_rows:
        yield call_rows, visit_rows


async def timed(fn: Callable[[], Awaitable[Any]], repeat: int) -> dict[str, Any]:
    times, sizes = [], []
    for _ in range(repeat):
        t = time.perf_counter()
        result = await fn()
        times.append((time.perf_counter() - t) * 1000)
        sizes.append(len(result))
    return {
        "p50_ms": round(statistics.median(times), 2),
        "p99_ms": round(percentile(times, 99), 2),
        "rows": round(statistics.mean(sizes), 1),
    }


async def questions(
    store: CallStore, repeat: int, queues: list[str], callers: list[str], seed: int
) -> dict[str, dict[str, Any]]:
    rng = random.Random(seed)
    days = weekdays()[-250:]  # the last year, as a manager looks back

    def a_day() -> datetime:
        return rng.choice(days).astimezone(UTC)

    async def day() -> Any:
        d = a_day()
        return await store.calls_between(d, d + timedelta(days=1))

    async def caller() -> Any:
        return await store.caller_history(rng.choice(callers), 20)

    async def queues_day() -> Any:
        d = a_day()
        return await store.queue_counts(d, d + timedelta(days=1))

    async def queue_month() -> Any:
        d = a_day()
        return await store.queue_counts(d - timedelta(days=30), d, rng.choice(queues))

    return {
        "open": await timed(store.open_calls, repeat),
        "day": await timed(day, repeat),
        "caller": await timed(caller, repeat),
        "queues_day": await timed(queues_day, repeat),
        "queue_month": await timed(queue_month, repeat),
    }


async def plans(store: CallStore, queue: str, caller: str) -> dict[str, str]:
    d = weekdays()[-10].astimezone(UTC)
    stmts = {
        "open": open_calls_query(),
        "day": calls_between_query(d, d + timedelta(days=1)),
        "caller": caller_history_query(caller, 20),
        "queues_day": queue_counts_query(d, d + timedelta(days=1)),
        "queue_month": queue_counts_query(d - timedelta(days=30), d, queue),
    }
    out = {}
    async with store.engine.connect() as conn:
        for name, stmt in stmts.items():
            out[name] = " | ".join(line.strip() for line in await query_plan(conn, stmt))
    return out


async def run(args: argparse.Namespace) -> dict[str, Any]:
    site = load_site(args.config)
    queues = [c.queue for c in site.counters]
    lighthouse = site.lighthouse.queue
    tmp = None
    url = args.url
    if url is None:
        tmp = Path(tempfile.mkdtemp()) / "million.sqlite3"
        url = f"sqlite+aiosqlite:///{tmp}"
    engine = open_engine(url)
    dialect = engine.dialect.name
    await upgrade(engine)
    store = CallStore(engine)
    if await store.count():
        raise SystemExit(f"error: {dialect} database is not empty; give an empty one")
    try:
        t0 = time.perf_counter()
        for call_rows, visit_rows in generate(args.calls, queues, lighthouse):
            async with engine.begin() as conn:
                await conn.execute(insert(CallRow.__table__), call_rows)
                await conn.execute(insert(VisitRow.__table__), visit_rows)
        fill = time.perf_counter() - t0
        async with engine.begin() as conn:
            await conn.execute(text("ANALYZE"))
            visits = (await conn.execute(text("SELECT count(*) FROM queue_visits"))).scalar()
        rng = random.Random(3)
        callers = [caller_number(rng) for _ in range(200)]
        with_plans = await plans(store, queues[0], callers[0])
        with_indexes = await questions(store, args.repeat, queues, callers, seed=1)
        async with engine.begin() as conn:
            for names in INDEXES.values():
                for name in names:
                    await conn.execute(text(f"DROP INDEX {name}"))
            await conn.execute(text("ANALYZE"))
        without_plans = await plans(store, queues[0], callers[0])
        without = await questions(store, args.repeat, queues, callers, seed=1)
    finally:
        if args.url is not None:
            async with engine.begin() as conn:
                await conn.run_sync(Base.metadata.drop_all)
                await conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
        await engine.dispose()
        if tmp is not None:
            size_mb = tmp.stat().st_size / 1e6 if tmp.exists() else 0.0
            for f in tmp.parent.iterdir():
                f.unlink()
            tmp.parent.rmdir()
    return {
        "date": time.strftime("%Y-%m-%d"),
        "machine": machine(),
        "database": dialect,
        "calls": args.calls,
        "visits": visits,
        "fill_seconds": round(fill, 1),
        "fill_calls_per_second": round(args.calls / fill),
        "sqlite_file_mb": round(size_mb, 1) if tmp is not None else None,
        "with_indexes": with_indexes,
        "without_indexes": without,
        "plans": with_plans,
        "plans_without_indexes": without_plans,
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


def _table(result: dict[str, Any]) -> None:
    print(
        f"{result['machine']}, {result['database']}: {result['calls']:,} calls, "
        f"{result['visits']:,} visits, filled in {result['fill_seconds']} s"
    )
    print(f"{'question':>12} {'rows':>7} {'p50 ms':>9} {'p99 ms':>9} {'no index p50':>13}")
    for name, r in result["with_indexes"].items():
        peer = result["without_indexes"][name]
        print(f"{name:>12} {r['rows']:>7} {r['p50_ms']:>9} {r['p99_ms']:>9} {peer['p50_ms']:>13}")
    for name, plan in result["plans"].items():
        print(f"plan {name}: {plan}")


if __name__ == "__main__":
    raise SystemExit(main())
