"""The product catalog (productencatalogus): the site's services (leefloon, huurpremie,
budgetbeheer ...), the counter that provides each, the words citizens use for it and what to
bring. Stored (``products``), edited by managers, loaded from a TOML file
(``examples/catalogus.toml``), and searched as the agent types: accent- and case-insensitive,
tolerant of typos (``rapidfuzz``), from memory (no query per keystroke).
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from rapidfuzz import fuzz, process
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncEngine

from callcenter.staff.audit import AuditLog
from callcenter.staff.errors import StaffError
from callcenter.staff.stores import SiteStore
from callcenter.store.models import ProductRow
from routing.site import Site

__all__ = ["Catalog", "CatalogError", "Hit", "Product", "normalise", "parse_catalog"]

_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
_FIELDS = {"id", "name", "counter", "keywords", "bring", "description"}
MIN_SCORE = 75.0
"""Below this similarity (0-100) a product is no hit."""


def normalise(text: str) -> str:
    """Lower case, accents off, one space: 'Crèche  ÉéN' -> 'creche een'."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(plain.casefold().split())


@dataclass(frozen=True, slots=True)
class Product:
    id: str
    name: str
    counter: str
    keywords: tuple[str, ...] = ()
    bring: str = ""
    description: str = ""

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "counter": self.counter,
            "keywords": list(self.keywords),
            "bring": self.bring,
            "description": self.description,
        }


@dataclass(frozen=True, slots=True)
class Hit:
    product: Product
    score: float


class CatalogError(Exception):
    """A catalog file or entry that cannot be: every problem with where it is."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        super().__init__(f"{source}: " + "; ".join(problems))


def _unstorable(value: object) -> bool:
    """Text no database stores as it is: NUL (PostgreSQL refuses it), a lone surrogate (not
    Unicode: SQLite's driver cannot encode it), other control characters but tab and
    newline."""
    texts = value if isinstance(value, list) else [value]
    return any(
        isinstance(t, str)
        and any(("\ud800" <= ch <= "\udfff") or (ord(ch) < 32 and ch not in "\t\n\r") for ch in t)
        for t in texts
    )


def _product(
    raw: Mapping[str, Any], where: str, counters: set[str]
) -> tuple[Product | None, list[str]]:
    problems = [f"{where}: unknown field {k!r}" for k in sorted(set(raw) - _FIELDS)]
    problems += [
        f"{where}.{key}: control characters or text that is not Unicode"
        for key in ("id", "name", "counter", "keywords", "bring", "description")
        if _unstorable(raw.get(key))
    ]
    pid, name, counter = raw.get("id"), raw.get("name"), raw.get("counter")
    if not isinstance(pid, str) or not _ID.match(pid):
        problems.append(f"{where}.id: lower-case letters, digits, - and _ (got {pid!r})")
    if not isinstance(name, str) or not name.strip() or len(name) > 200:
        problems.append(f"{where}.name: text of 1 to 200 characters")
    if not isinstance(counter, str) or counter not in counters:
        problems.append(f"{where}.counter: unknown counter {counter!r}")
    keywords = raw.get("keywords", [])
    if not isinstance(keywords, list) or not all(isinstance(k, str) for k in keywords):
        problems.append(f"{where}.keywords: a list of words")
        keywords = []
    texts = {}
    for key in ("bring", "description"):
        value = raw.get(key, "")
        if not isinstance(value, str) or len(value) > 2000:
            problems.append(f"{where}.{key}: text of at most 2000 characters")
            value = ""
        texts[key] = " ".join(value.split())
    if problems:
        return None, problems
    assert isinstance(pid, str) and isinstance(name, str) and isinstance(counter, str)
    words = tuple(dict.fromkeys(" ".join(k.split()) for k in keywords if k.strip()))
    return Product(pid, " ".join(name.split()), counter, words, **texts), []


def parse_catalog(text: str, source: str, site: Site) -> list[Product]:
    """Every ``[[products]]`` of a TOML file, checked against the site's counters; a
    :class:`CatalogError` lists every problem at once (nothing is half loaded)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CatalogError(source, [f"TOML: {exc}"]) from None
    items = data.get("products")
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items) or not items:
        raise CatalogError(source, ["no [[products]] tables"])
    counters = {c.id for c in site.counters}
    out: list[Product] = []
    problems: list[str] = []
    seen: set[str] = set()
    for i, raw in enumerate(items):
        where = f"products[{i}]" + (
            f" (id {raw['id']!r})" if isinstance(raw.get("id"), str) else ""
        )
        product, found = _product(raw, where, counters)
        problems += found
        if product is not None:
            if product.id in seen:
                problems.append(f"{where}.id: {product.id!r} appears twice")
            seen.add(product.id)
            out.append(product)
    if problems:
        raise CatalogError(source, problems)
    return out


def _from_row(row: ProductRow) -> Product:
    return Product(
        row.id,
        row.name,
        row.counter,
        tuple(k for k in row.keywords.split("\n") if k),
        row.bring,
        row.description,
    )


def _row_values(p: Product, actor: str, at: datetime) -> dict[str, Any]:
    return {
        "id": p.id,
        "name": p.name,
        "counter": p.counter,
        "keywords": "\n".join(p.keywords),
        "bring": p.bring,
        "description": p.description,
        "updated_by": actor,
        "updated_at": at,
    }


class Catalog(SiteStore):
    def __init__(
        self,
        engine: AsyncEngine,
        audit: AuditLog,
        site: Site,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        super().__init__(engine, audit, site, clock)
        self.products: dict[str, Product] = {}
        self._names: list[str] = []
        self._words: list[str] = []
        self._ids: list[str] = []

    async def load(self) -> list[Product]:
        async with self.sessions() as session:
            rows = await session.scalars(select(ProductRow).order_by(ProductRow.name))
            self._index([_from_row(r) for r in rows])
        return list(self.products.values())

    def _index(self, products: Iterable[Product]) -> None:
        self.products = {p.id: p for p in products}
        self._ids = list(self.products)
        self._names = [normalise(p.name) for p in self.products.values()]
        self._words = [normalise(" ".join((p.name, *p.keywords))) for p in self.products.values()]

    # -- searching -----------------------------------------------------------------------------
    def search(self, query: str, limit: int = 10) -> list[Hit]:
        """Products for what was typed, best first. Each product scores the best of: its name
        (typos forgiven), a keyword or word of the name starting with or resembling the query."""
        q = normalise(query)[:100]
        if not q or not self._ids:
            return []
        scores: dict[int, float] = {}
        for choices, scorer in (
            (self._names, fuzz.WRatio),
            (self._words, fuzz.partial_ratio),
        ):
            for _, score, index in process.extract(
                q, choices, scorer=scorer, limit=limit * 3, score_cutoff=MIN_SCORE
            ):
                scores[index] = max(scores.get(index, 0.0), float(score))
        for index, name in enumerate(self._names):
            if name.startswith(q):
                scores[index] = max(scores.get(index, 0.0), 100.0)
        best = sorted(scores.items(), key=lambda kv: (-kv[1], self._names[kv[0]]))[:limit]
        return [Hit(self.products[self._ids[i]], round(s, 1)) for i, s in best]

    # -- changing ------------------------------------------------------------------------------
    def check(self, raw: Mapping[str, Any]) -> Product:
        product, problems = _product(raw, "product", {c.id for c in self.site.counters})
        if product is None:
            field = problems[0].split(":", 1)[0].rsplit(".", 1)[-1]
            why = "; ".join(p.split(": ", 1)[-1] for p in problems)  # English, as the file's
            raise StaffError("invalid-field", why, field=field, en=why)
        return product

    async def save(
        self, raw: Mapping[str, Any], *, actor: str, address: str | None = None
    ) -> Product:
        """Add a product or change it (by id). :class:`StaffError` names the bad field."""
        product = self.check(raw)
        async with self.sessions.begin() as session:
            row = await session.get(ProductRow, product.id)
            values = _row_values(product, actor, self.now())
            if row is None:
                session.add(ProductRow(**values))
            else:
                for key, value in values.items():
                    setattr(row, key, value)
            await self.audit.record(
                "catalog",
                actor=actor,
                target=product.id,
                detail={"saved": product.name, "counter": product.counter},
                address=address,
                session=session,
            )
        await self.load()
        return product

    async def delete(self, product_id: str, *, actor: str, address: str | None = None) -> None:
        async with self.sessions.begin() as session:
            row = await session.get(ProductRow, product_id)
            if row is None:
                raise StaffError(
                    "product-not-found",
                    f"Product {product_id!r} bestaat niet.",
                    status=404,
                    en=f"there is no product {product_id!r}",
                )
            await session.delete(row)
            await self.audit.record(
                "catalog",
                actor=actor,
                target=product_id,
                detail={"deleted": True},
                address=address,
                session=session,
            )
        await self.load()

    async def replace(
        self, products: list[Product], *, source: str, actor: str, address: str | None = None
    ) -> int:
        """Make the catalog exactly ``products`` (a file loaded): one transaction."""
        now = self.now()
        async with self.sessions.begin() as session:
            await session.execute(delete(ProductRow))
            session.add_all(ProductRow(**_row_values(p, actor, now)) for p in products)
            await self.audit.record(
                "catalog",
                actor=actor,
                target=source,
                detail={"loaded": len(products)},
                address=address,
                session=session,
            )
        await self.load()
        return len(products)
