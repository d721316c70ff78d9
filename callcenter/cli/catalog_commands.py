"""``catalog``: load the product catalog from a TOML file, list it, search it."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from callcenter.cli.common import EXIT_OK, CommandError, site_or_exit
from callcenter.cli.duty_commands import with_ops
from callcenter.cli.staff_commands import actor
from callcenter.contacts.catalog import CatalogError, parse_catalog
from callcenter.services.operations import Operations

__all__ = ["register"]


def register(sub: Any) -> None:
    p = sub.add_parser("catalog", help="the product catalog: load (TOML), list, search")
    cat = p.add_subparsers(dest="catalog_command", required=True, metavar="ACTION")
    load = cat.add_parser("load", help="replace the catalog by a TOML file ([[products]])")
    load.add_argument("file")
    ls = cat.add_parser("list", help="every product with its counter")
    ls.add_argument("--json", action="store_true")
    find = cat.add_parser("search", help="what an agent's search box finds")
    find.add_argument("query")
    find.add_argument("--json", action="store_true")
    for q, handler in ((load, catalog_load), (ls, catalog_list), (find, catalog_search)):
        q.add_argument("--config", required=True)
        q.add_argument("--data-dir", help="SQLite directory (default ./data)")
        q.set_defaults(handler=handler)


def catalog_load(args: argparse.Namespace) -> int:
    site = site_or_exit(args.config)
    path = Path(args.file)
    try:
        products = parse_catalog(path.read_text(encoding="utf-8"), str(path), site)
    except OSError as exc:
        raise CommandError(f"file: {path}: {exc.strerror or exc}") from None
    except CatalogError as exc:
        raise CommandError(
            f"{path}: {len(exc.problems)} problem(s)\n" + "\n".join(f"  {p}" for p in exc.problems)
        ) from None

    async def work(ops: Operations) -> int:
        return await ops.catalog.replace(products, source=path.name, actor=actor())

    print(f"{path.name}: {with_ops(args, work)} products loaded")
    return EXIT_OK


def catalog_list(args: argparse.Namespace) -> int:
    async def work(ops: Operations) -> list[dict[str, Any]]:
        return [p.as_json() for p in ops.catalog.products.values()]

    products = with_ops(args, work)
    if args.json:
        print(json.dumps(products, ensure_ascii=False))
    else:
        for p in products:
            print(f"{p['id']:28} {p['counter']:24} {p['name']}")
    return EXIT_OK


def catalog_search(args: argparse.Namespace) -> int:
    async def work(ops: Operations) -> list[dict[str, Any]]:
        return [
            {**h.product.as_json(), "score": h.score, "place": ops.place(h.product.counter)}
            for h in ops.catalog.search(args.query)
        ]

    hits = with_ops(args, work)
    if args.json:
        print(json.dumps(hits, ensure_ascii=False))
        return EXIT_OK
    for h in hits:
        state = "open" if h["place"]["open"] else f"closed, opens {h['place']['next_open']}"
        print(f"{h['score']:5.1f}  {h['name']}  ({h['place']['name']}: {state})")
    if not hits:
        print("nothing found")
    return EXIT_OK
