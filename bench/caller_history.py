"""A caller's history at a million calls and 200,000 registrations: what every screen pop
asks.

    python bench/caller_history.py [--calls 1000000] [--contacts 200000] [--url URL]
                                   [--repeat 300] [--json]

Fills a new database (a temporary SQLite file; with ``--url`` an empty PostgreSQL database,
whose tables it drops at the end) with the seeded calls of ``bench/store_queries.py`` and
``--contacts`` registrations of the same callers (a few call often, most once or twice), a
third of them referred. Then asks ``Register.history`` (the last 20 contacts with their
referrals, and the audit entry every reading writes) for ``--repeat`` seeded callers.
The peer, in the same run: the same after dropping ``ix_contacts_caller_created``.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import time
from datetime import timedelta
from typing import Any

from benchlib import bench_database, fill_calls, machine, percentile, report
from sqlalchemy import insert, text
from store_queries import LAST_DAY, caller_number, generate

from callcenter.contacts.catalog import Catalog
from callcenter.contacts.register import Register
from callcenter.staff.services import open_staff
from callcenter.store.models import ContactRow, ReferralRow
from routing.config import load_site

CHUNK = 20_000


def contacts(n: int, topics: list[str], counters: list[str], seed: int = 11) -> Any:
    rng = random.Random(seed)
    rows: list[dict[str, Any]] = []
    refs: list[dict[str, Any]] = []
    for i in range(n):
        at = LAST_DAY - timedelta(days=730 * rng.random())
        referred = rng.random() < 0.33
        rows.append(
            {
                "id": i + 1,
                "call_id": None,
                "caller": caller_number(rng),
                "channel": "phone",
                "counter": None,
                "topic": rng.choice(topics),
                "category": "andere",
                "product": None,
                "summary": "Een vraag over de huurpremie en de wachtlijst.",
                "outcome": "referred" if referred else "answered",
                "author": "agent",
                "created_at": at,
                "updated_by": None,
                "updated_at": None,
            }
        )
        if referred:
            refs.append(
                {
                    "contact_id": i + 1,
                    "to_counter": rng.choice(counters),
                    "to_partner": None,
                    "request": "Terugbellen.",
                    "due": (at + timedelta(days=5)).date(),
                    "status": "handled",
                    "response": "Gebeld.",
                    "created_by": "agent",
                    "created_at": at,
                    "updated_by": None,
                    "updated_at": None,
                }
            )
        if len(rows) >= CHUNK:
            yield rows, refs
            rows, refs = [], []
    if rows:
        yield rows, refs


async def timed(register: Register, callers: list[str]) -> dict[str, float]:
    times, sizes = [], []
    for number in callers:
        t = time.perf_counter()
        found = await register.history(number, actor="bench")
        times.append((time.perf_counter() - t) * 1000)
        sizes.append(len(found))
    return {
        "p50_ms": round(statistics.median(times), 2),
        "p95_ms": round(percentile(times, 95), 2),
        "max_ms": round(max(times), 2),
        "mean_contacts": round(statistics.mean(sizes), 1),
    }


async def run(args: argparse.Namespace) -> dict[str, Any]:
    site = load_site(args.config)
    queues = [c.queue for c in site.counters]
    async with bench_database(args.url, "history.sqlite3") as engine:
        return await _run(args, site, queues, engine)


async def _run(
    args: argparse.Namespace, site: Any, queues: list[str], engine: Any
) -> dict[str, Any]:
    staff = open_staff(engine, site, b"a bench key that is long enough......")
    try:
        await fill_calls(engine, generate(args.calls, queues, site.lighthouse.queue))
        topics = [t.id for t in site.topics]
        counters = [c.id for c in site.counters]
        for rows, refs in contacts(args.contacts, topics, counters):
            async with engine.begin() as conn:
                await conn.execute(insert(ContactRow.__table__), rows)
                if refs:
                    await conn.execute(insert(ReferralRow.__table__), refs)
        async with engine.begin() as conn:
            await conn.execute(text("ANALYZE"))
        register = Register(
            engine, staff.audit, site, Catalog(engine, staff.audit, site), staff.privacy
        )
        rng = random.Random(3)
        callers = [caller_number(rng) for _ in range(args.repeat)]
        with_index = await timed(register, callers)
        async with engine.begin() as conn:
            await conn.execute(text("DROP INDEX ix_contacts_caller_created"))
            await conn.execute(text("ANALYZE"))
        without = await timed(register, callers[: max(10, args.repeat // 10)])
        result = {
            "date": time.strftime("%Y-%m-%d"),
            "machine": machine(),
            "database": engine.dialect.name,
            "calls": args.calls,
            "contacts": args.contacts,
            "with_index": with_index,
            "peer_without_index": without,
        }
    finally:
        staff.close()
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--config", default="examples/sociaal-huis.toml")
    parser.add_argument("--calls", type=int, default=1_000_000)
    parser.add_argument("--contacts", type=int, default=200_000)
    parser.add_argument("--url", help="an empty database (default: a temporary SQLite file)")
    parser.add_argument("--repeat", type=int, default=300)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    return report(asyncio.run(run(args)), args.json, _table)


def _table(r: dict[str, Any]) -> None:
    print(f"{r['machine']}, {r['database']}: {r['calls']:,} calls, {r['contacts']:,} contacts")
    for name in ("with_index", "peer_without_index"):
        x = r[name]
        print(
            f"{name:>20}: p50 {x['p50_ms']} ms, p95 {x['p95_ms']} ms, max {x['max_ms']} ms, "
            f"{x['mean_contacts']} contacts a caller"
        )


if __name__ == "__main__":
    raise SystemExit(main())
