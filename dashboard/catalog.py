"""The product catalog on the web: search as you type (agents, counter staff, managers), edit
and load (managers), and the JSON API. The work is in ``callcenter/contacts/catalog.py``."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from callcenter.contacts.catalog import CatalogError, parse_catalog
from callcenter.staff.errors import StaffError
from dashboard.keys import ADDRESS, OPS, SERVICE, USER
from dashboard.render import render
from dashboard.web import json_body

__all__ = ["setup"]

MAX_RESULTS = 10


def _hits(request: web.Request, query: str, limit: int = MAX_RESULTS) -> list[dict[str, Any]]:
    ops = request.app[OPS]
    return [
        {**h.product.as_json(), "score": h.score, "place": ops.place(h.product.counter)}
        for h in ops.catalog.search(query, limit)
    ]


def _limit(request: web.Request) -> int:
    text = request.query.get("limit", str(MAX_RESULTS))
    if not text.isdigit() or not 1 <= int(text) <= 50:
        raise StaffError("invalid-field", "limit: 1 to 50.", field="limit")
    return int(text)


async def page(request: web.Request, status: int = 200, **extra: Any) -> web.Response:
    query = request.query.get("q", "")[:100]
    ops = request.app[OPS]
    site = request.app[SERVICE].site
    return render(
        request,
        "catalog.html",
        status=status,
        query=query,
        hits=_hits(request, query) if query else [],
        products=sorted(ops.catalog.products.values(), key=lambda p: p.name.casefold()),
        counters=[(c.id, c.name) for c in site.counters],
        names={c.id: c.name for c in site.counters},
        manager=request[USER].has("manager"),
        js=request.app.router["static"].url_for(filename="catalog.js"),
        **extra,
    )


def _form_product(form: Any) -> dict[str, Any]:
    return {
        "id": str(form.get("id", "")).strip(),
        "name": str(form.get("name", "")),
        "counter": str(form.get("counter", "")),
        "keywords": [
            k for k in str(form.get("keywords", "")).replace("\n", ",").split(",") if k.strip()
        ],
        "bring": str(form.get("bring", "")),
        "description": str(form.get("description", "")),
    }


async def save(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    try:
        await request.app[OPS].catalog.save(
            _form_product(form), actor=request[USER].login, address=request[ADDRESS]
        )
    except StaffError as exc:
        return await page(request, status=exc.status, error=exc.message, error_field=exc.field)
    raise web.HTTPSeeOther("/catalogus")


async def delete(request: web.Request) -> web.StreamResponse:
    try:
        await request.app[OPS].catalog.delete(
            request.match_info["product_id"],
            actor=request[USER].login,
            address=request[ADDRESS],
        )
    except StaffError:
        raise web.HTTPNotFound(text="Dit product bestaat niet (meer).") from None
    raise web.HTTPSeeOther("/catalogus")


async def api_search(request: web.Request) -> web.Response:
    query = request.query.get("q", "")[:100]
    return web.json_response({"query": query, "products": _hits(request, query, _limit(request))})


async def api_product(request: web.Request) -> web.Response:
    ops = request.app[OPS]
    product = ops.catalog.products.get(request.match_info["product_id"])
    if product is None:
        raise StaffError("product-not-found", "No such product.", status=404)
    return web.json_response({**product.as_json(), "place": ops.place(product.counter)})


async def api_save(request: web.Request) -> web.Response:
    data = await json_body(
        request,
        {
            "id": str,
            "name": str,
            "counter": str,
            "keywords": list,
            "bring": str,
            "description": str,
        },
        frozenset({"id", "name", "counter"}),
    )
    product = await request.app[OPS].catalog.save(
        data, actor=request[USER].login, address=request[ADDRESS]
    )
    return web.json_response(product.as_json(), status=201)


async def api_delete(request: web.Request) -> web.Response:
    await request.app[OPS].catalog.delete(
        request.match_info["product_id"], actor=request[USER].login, address=request[ADDRESS]
    )
    return web.json_response({"deleted": request.match_info["product_id"]})


async def api_load(request: web.Request) -> web.Response:
    """Replace the catalog by a TOML file (the body); every problem named, nothing changed."""
    text = (await request.read()).decode("utf-8", errors="replace")
    try:
        products = parse_catalog(text, "body", request.app[SERVICE].site)
    except CatalogError as exc:
        raise StaffError("invalid-catalog", "; ".join(exc.problems[:20]), field="file") from None
    n = await request.app[OPS].catalog.replace(
        products, source="api", actor=request[USER].login, address=request[ADDRESS]
    )
    return web.json_response({"loaded": n}, status=201)


def setup(app: web.Application) -> None:
    r = app.router
    r.add_get("/catalogus", page, name="catalog")
    r.add_post("/catalogus", save, name="catalog-save")
    r.add_post("/catalogus/{product_id}/delete", delete, name="catalog-delete")
    r.add_get("/api/catalog", api_search, name="api-catalog")
    r.add_get("/api/catalog/{product_id}", api_product, name="api-catalog-product")
    r.add_post("/api/catalog", api_save, name="api-catalog-save")
    r.add_put("/api/catalog", api_load, name="api-catalog-load")
    r.add_delete("/api/catalog/{product_id}", api_delete, name="api-catalog-delete")
