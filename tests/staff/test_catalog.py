"""The product catalog: the example file loads, search forgives accents, case and typos and
knows the citizens' words, edits are checked and audited, a bad file changes nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncEngine

from callcenter.contacts.catalog import Catalog, CatalogError, normalise, parse_catalog
from callcenter.staff.errors import StaffError
from callcenter.staff.services import StaffServices, open_staff
from callcenter.store import upgrade
from routing.site import Site
from tests.conftest import EXAMPLE
from tests.staff.test_staff_store import KEY
from tests.store.conftest import database_url, engine

__all__ = ["database_url", "engine"]

CATALOG = EXAMPLE.with_name("catalogus.toml")


@pytest.fixture
async def staff(engine: AsyncEngine, example_site: Site) -> AsyncIterator[StaffServices]:
    await upgrade(engine)
    services = open_staff(engine, example_site, KEY)
    yield services
    services.close()


@pytest.fixture
async def catalog(staff: StaffServices, example_site: Site) -> Catalog:
    c = Catalog(staff.audit.engine, staff.audit, example_site)
    products = parse_catalog(CATALOG.read_text(encoding="utf-8"), "example", example_site)
    await c.replace(products, source="catalogus.toml", actor="mia")
    return c


def test_the_example_catalog_is_a_real_sociaal_huis(example_site: Site) -> None:
    products = parse_catalog(CATALOG.read_text(encoding="utf-8"), "example", example_site)
    assert len(products) >= 60
    served = {p.counter for p in products}
    assert served == {c.id for c in example_site.counters}  # every counter has products


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("huurpremie", "huurpremie"),  # the name
        ("HUURPREMIE", "huurpremie"),  # case
        ("leeflon", "leefloon"),  # a typo
        ("crèche", "kinderopvang-plaats"),  # a citizen's word, accents
        ("creche", "kinderopvang-plaats"),
        ("kinderbijslag", "groeipakket"),  # the old name
        ("mazout", "stookoliepremie"),
        ("deurwaarder", "schuldbemiddeling"),
        ("rusthuis", "woonzorgcentrum"),
    ],
)
async def test_search_finds_what_callers_say(catalog: Catalog, typed: str, expected: str) -> None:
    hits = catalog.search(typed, 5)
    assert expected in [h.product.id for h in hits[:3]], [h.product.id for h in hits]


async def test_nothing_for_nonsense(catalog: Catalog) -> None:
    assert catalog.search("xqzwv") == [] and catalog.search("   ") == []


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=200))
def test_normalise_never_fails_and_is_idempotent(text: str) -> None:
    once = normalise(text)
    assert normalise(once) == once and once == once.strip()


async def test_edits_are_checked_and_audited(catalog: Catalog, staff: StaffServices) -> None:
    saved = await catalog.save(
        {
            "id": "fietsbib",
            "name": "Fietsbieb",
            "counter": "jobpunt",
            "keywords": ["fiets", "lenen"],
        },
        actor="mia",
    )
    assert catalog.search("fiets")[0].product == saved
    for raw, field in (
        ({"id": "Fout", "name": "x", "counter": "jobpunt"}, "id"),
        ({"id": "x", "name": "", "counter": "jobpunt"}, "name"),
        ({"id": "x", "name": "x", "counter": "nergens"}, "counter"),
    ):
        with pytest.raises(StaffError) as err:
            await catalog.save(raw, actor="mia")
        assert err.value.field == field
    await catalog.delete("fietsbib", actor="mia")
    assert "fietsbib" not in catalog.products
    with pytest.raises(StaffError):
        await catalog.delete("fietsbib", actor="mia")
    kinds = [e.detail for e in await staff.audit.query(kind="catalog")]
    assert {"deleted": True} in kinds and any(k.get("loaded") for k in kinds)


async def test_a_bad_file_names_every_problem_and_changes_nothing(
    catalog: Catalog, example_site: Site
) -> None:
    bad = '[[products]]\nid = "a"\nname = "A"\ncounter = "nergens"\n[[products]]\nid = "a"\n'
    with pytest.raises(CatalogError) as err:
        parse_catalog(bad, "bad.toml", example_site)
    text = "\n".join(err.value.problems)
    assert "products[0] (id 'a').counter: unknown counter 'nergens'" in text
    assert "products[1] (id 'a').name" in text
    assert len(await catalog.load()) >= 60
