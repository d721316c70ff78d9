"""Issue 24, point 12: input that once answered 500 answers 400, naming what is wrong, on
SQLite and PostgreSQL: JSON nested tens of thousands deep on every JSON route, days at the
ends of the calendar in the audit filter and the contacts export, NUL and lone surrogates
in text fields. Nothing is stored from a refused request."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from callcenter.staff.services import StaffServices
from callcenter.staff.users import User
from dashboard.access import ROUTES
from tests.dashboard.conftest import PASSWORD, Session

Browse = Callable[[], Awaitable[Session]]
DEEP = "[" * 60_000 + "]" * 60_000


async def everyone(browse: Browse, staff: StaffServices) -> Session:
    """A user with every role, so that no route refuses before it reads the body."""
    await staff.users.add(
        "alles",
        "Alle Rollen",
        ["agent", "counter", "manager", "admin"],
        PASSWORD,
        counters=["woonloket"],
        interfaces=["PJSIP/209"],
    )
    s = await browse()
    assert (await s.login("alles")).status == 303
    return s


def json_routes(app: Any) -> list[tuple[str, str]]:
    """Every API route that takes a JSON body (the catalog's PUT takes a TOML file)."""
    out = []
    for route in app.router.routes():
        name = route.name or ""
        info = route.resource.get_info() if route.resource else {}
        path = info.get("path") or info.get("formatter") or ""
        if (
            route.method in ("POST", "PATCH", "PUT")
            and path.startswith("/api/")
            and name in ROUTES
            and name != "api-catalog-load"
        ):
            out.append((route.method, path.replace("{", "").replace("}", "") or path))
    return out


async def test_json_nested_too_deep_is_a_400_on_every_json_route(
    browse: Browse, people: dict[str, User], staff: StaffServices, app: Any
) -> None:
    s = await everyone(browse, staff)
    routes = json_routes(app)
    assert len(routes) >= 17
    for method, path in routes:
        concrete = "/".join("1" if part.endswith("_id") else part for part in path.split("/"))
        answer = await s.client.request(
            method,
            concrete,
            data=DEEP,
            headers={"X-CSRF-Token": s.csrf, "Content-Type": "application/json"},
        )
        assert answer.status in (400, 404, 413), (method, concrete, answer.status)
        if answer.status == 400:
            assert (await answer.json())["error"]["id"] in ("invalid-json", "invalid-field")


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/api/audit?van=0001-01-01", "van"),
        ("/api/audit?tot=9999-12-31", "tot"),
        ("/api/contacts/export.csv?from=0001-01-01&to=0001-01-02", "from"),
        ("/api/contacts/export.csv?from=9999-12-30&to=9999-12-31", "from"),
        ("/api/reports?soort=period&datum=2026-11-01&tot=9999-12-31", "tot"),
    ],
)
async def test_days_at_the_ends_of_the_calendar_are_a_400_naming_the_field(
    browse: Browse, people: dict[str, User], staff: StaffServices, path: str, field: str
) -> None:
    s = await everyone(browse, staff)
    answer = await s.client.get(path)
    assert answer.status == 400, (path, await answer.text())
    assert (await answer.json())["error"]["field"] == field
    page = await s.client.get("/admin/audit?van=0001-01-01&tot=9999-12-31")
    assert page.status == 400 and "tussen 1970 en 2999" in await page.text()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": "Huurpremie \ud800"}, "name"),  # a lone surrogate
        ({"description": "Breng mee:\x00 identiteitskaart"}, "description"),
        ({"keywords": ["huur", "pre\x00mie"]}, "keywords"),
    ],
)
async def test_text_no_database_can_store_is_a_400_naming_the_field(
    browse: Browse,
    people: dict[str, User],
    staff: StaffServices,
    change: dict[str, object],
    field: str,
) -> None:
    s = await everyone(browse, staff)
    product = {"id": "huurpremie", "name": "Huurpremie", "counter": "woonloket", **change}
    answer = await s.api("POST", "/api/catalog", product)
    assert answer.status == 400, await answer.text()
    assert (await answer.json())["error"]["field"] == field
    assert (await s.client.get("/api/catalog/huurpremie")).status == 404  # nothing stored
