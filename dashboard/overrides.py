"""Overrides (a manager closes a counter now, or forces it open): page and JSON API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiohttp import web

from callcenter.staff.errors import StaffError
from dashboard.keys import ADDRESS, OPS, SERVICE, USER
from dashboard.render import render
from dashboard.web import json_body, record_id

__all__ = ["setup"]

MODES = {"closed": "gesloten", "open": "open (geforceerd)"}
KIND_LABELS = {
    "temporary": "tijdelijk (eindigt bij de volgende wijziging van de openingsuren)",
    "emergency": "noodsluiting (blijft tot ze opgeheven wordt)",
}


def _until(text: str | None, request: web.Request) -> datetime | None:
    """A local date-time from a form or the API (site time when no offset is given)."""
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise StaffError(
            "invalid-field", f"{text!r} is geen tijdstip (jjjj-mm-ddTuu:mm).", field="until"
        ) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=request.app[SERVICE].site.zone)
    return value


def _scopes(request: web.Request) -> list[tuple[str, str]]:
    site = request.app[SERVICE].site
    return [
        ("*", "Alle loketten"),
        *((c.id, c.name) for c in site.counters),
        ("lighthouse", site.lighthouse.name),
    ]


async def page(request: web.Request, status: int = 200, **extra: Any) -> web.Response:
    store = request.app[OPS].overrides
    return render(
        request,
        "overrides.html",
        status=status,
        overrides=store.current(),
        scopes=_scopes(request),
        names=dict(_scopes(request)),
        modes=MODES,
        kinds=KIND_LABELS,
        zone=request.app[SERVICE].site.zone,
        **extra,
    )


async def add(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    try:
        await request.app[OPS].overrides.set(
            str(form.get("scope", "")),
            str(form.get("mode", "")),
            kind=str(form.get("kind", "temporary")),
            until=_until(str(form.get("until", "")) or None, request),
            reason=str(form.get("reason", ""))[:400],
            actor=request[USER].login,
            address=request[ADDRESS],
        )
    except StaffError as exc:
        return await page(request, status=exc.status, error=exc.message, error_field=exc.field)
    raise web.HTTPSeeOther("/overrides")


async def lift(request: web.Request) -> web.StreamResponse:
    try:
        await request.app[OPS].overrides.lift(
            record_id(request.match_info["override_id"]),
            actor=request[USER].login,
            address=request[ADDRESS],
        )
    except (ValueError, StaffError):
        raise web.HTTPNotFound(text="Deze uitzondering bestaat niet (meer).") from None
    raise web.HTTPSeeOther("/overrides")


async def api_list(request: web.Request) -> web.Response:
    return web.json_response(
        {"overrides": [o.as_json() for o in request.app[OPS].overrides.current()]}
    )


async def api_add(request: web.Request) -> web.Response:
    data = await json_body(
        request,
        {"scope": str, "mode": str, "kind": str, "until": str, "reason": str},
        frozenset({"scope", "mode"}),
    )
    ov = await request.app[OPS].overrides.set(
        data["scope"],
        data["mode"],
        kind=data.get("kind", "temporary"),
        until=_until(data.get("until"), request),
        reason=data.get("reason", ""),
        actor=request[USER].login,
        address=request[ADDRESS],
    )
    return web.json_response(ov.as_json(), status=201)


async def api_lift(request: web.Request) -> web.Response:
    try:
        override_id = record_id(request.match_info["override_id"])
    except ValueError:
        raise StaffError("override-not-found", "No such override.", status=404) from None
    ov = await request.app[OPS].overrides.lift(
        override_id, actor=request[USER].login, address=request[ADDRESS]
    )
    return web.json_response(ov.as_json())


def setup(app: web.Application) -> None:
    r = app.router
    r.add_get("/overrides", page, name="overrides")
    r.add_post("/overrides", add, name="overrides-new")
    r.add_post("/overrides/{override_id}/lift", lift, name="overrides-lift")
    r.add_get("/api/overrides", api_list, name="api-overrides")
    r.add_post("/api/overrides", api_add, name="api-overrides-new")
    r.add_delete("/api/overrides/{override_id}", api_lift, name="api-overrides-lift")
