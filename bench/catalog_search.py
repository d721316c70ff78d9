"""Catalog search as you type, over 2,000 products: server time per keystroke.

    python bench/catalog_search.py [--products 2000] [--json]

Builds a catalog of ``--products`` products: the example site's 73 real ones, plus seeded
variants (other names and keywords from the same words, as a larger municipality or a region
would have). Then types 40 queries citizens' words and typos, letter by letter, and for
each keystroke times what ``GET /api/catalog?q=`` does on the server: the fuzzy search
(``Catalog.search``, ``rapidfuzz``) and each hit's counter with its next opening. The peer, in
the same run: a plain substring match on the same normalised texts (no typo tolerance), so
the figure sits next to what the fuzziness costs. Bounded: one pass over the queries.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from benchlib import machine, percentile, report

from callcenter.ami import AMIClient, ClientSettings
from callcenter.calls.service import CallService
from callcenter.contacts.catalog import Catalog, Product, normalise, parse_catalog
from callcenter.services.operations import open_operations
from callcenter.staff.services import open_staff
from callcenter.store import open_engine, upgrade
from routing.config import load_site

ROOT = Path(__file__).resolve().parents[1]
QUERIES = [
    "leefloon",
    "leeflon",
    "huurpremie",
    "huur premie",
    "kinderbijslag",
    "creche",
    "crèche",
    "studiebeurs",
    "schulden",
    "deurwaarder",
    "mazout",
    "stookolie",
    "rusthuis",
    "itsme",
    "dokter",
    "budgetmeter",
    "waterfactuur",
    "vdab",
    "taalles",
    "poetshulp",
    "warme maaltijd",
    "personenalarm",
    "mantelzorg",
    "pensioen",
    "klacht",
    "afspraak",
    "sociaal tarief",
    "referentieadres",
    "dakloos",
    "partnergeweld",
    "advocaat",
    "vaccinatie",
    "babytheek",
    "naschoolse opvang",
    "artikel 60",
    "computer",
    "renovatie",
    "isolatie",
    "huurwaarborg",
    "voedselpakket",
]


def variants(real: list[Product], n: int, seed: int = 5) -> list[Product]:
    rng = random.Random(seed)
    words = sorted({w for p in real for w in normalise(" ".join((p.name, *p.keywords))).split()})
    out = list(real)
    i = 0
    while len(out) < n:
        base = real[i % len(real)]
        extra = rng.sample(words, 3)
        out.append(
            replace(
                base,
                id=f"{base.id}-{i}",
                name=f"{base.name} {extra[0]}",
                keywords=(*base.keywords[:2], *extra[1:]),
            )
        )
        i += 1
    return out


def substring_search(texts: list[str], query: str, limit: int = 10) -> list[int]:
    q = normalise(query)
    return [i for i, t in enumerate(texts) if q in t][:limit]


async def run(args: argparse.Namespace) -> dict[str, Any]:
    site = load_site(ROOT / "examples" / "sociaal-huis.toml")
    real = parse_catalog(
        (ROOT / "examples" / "catalogus.toml").read_text(encoding="utf-8"), "example", site
    )
    products = variants(real, args.products)
    engine = open_engine("sqlite+aiosqlite:///:memory:")
    await upgrade(engine)
    staff = open_staff(engine, site, b"a bench key that is long enough......")
    service = CallService(site, AMIClient(ClientSettings(port=1)))
    ops = await open_operations(engine, service, staff, live=False)
    catalog: Catalog = ops.catalog
    await catalog.replace(products, source="bench", actor="bench")
    texts = [normalise(" ".join((p.name, *p.keywords))) for p in products]
    fuzzy, plain = [], []
    for query in QUERIES:
        for end in range(1, len(query) + 1):
            typed = query[:end]
            t = time.perf_counter()
            hits = catalog.search(typed, 10)
            for h in hits:
                ops.place(h.product.counter)
            fuzzy.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            substring_search(texts, typed)
            plain.append((time.perf_counter() - t) * 1000)
    found = sum(1 for q in QUERIES if catalog.search(q, 3))
    await ops.stop()
    staff.close()
    await engine.dispose()

    def stats(xs: list[float]) -> dict[str, float]:
        return {
            "p50_ms": round(statistics.median(xs), 2),
            "p95_ms": round(percentile(xs, 95), 2),
            "max_ms": round(max(xs), 2),
        }

    return {
        "date": time.strftime("%Y-%m-%d"),
        "machine": machine(),
        "products": len(products),
        "keystrokes": len(fuzzy),
        "queries_with_hits": f"{found}/{len(QUERIES)}",
        "fuzzy": stats(fuzzy),
        "peer_substring": stats(plain),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--products", type=int, default=2000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    return report(asyncio.run(run(args)), args.json, _table)


def _table(r: dict[str, Any]) -> None:
    print(
        f"{r['machine']}: {r['products']} products, {r['keystrokes']} keystrokes, "
        f"queries with hits {r['queries_with_hits']}"
    )
    for name in ("fuzzy", "peer_substring"):
        x = r[name]
        print(f"{name:>15}: p50 {x['p50_ms']} ms, p95 {x['p95_ms']} ms, max {x['max_ms']} ms")


if __name__ == "__main__":
    raise SystemExit(main())
