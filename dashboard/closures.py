"""Planned closures (a training day, a move, the days around New Year): the managers' page,
the iCalendar import, the JSON API and the public iCalendar feed. The work is in
``callcenter/planning/closures.py``."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from aiohttp import web

from callcenter.planning.closures import ImportReport, feed
from callcenter.staff.errors import StaffError
from dashboard.keys import ADDRESS, OPS, SERVICE, USER
from dashboard.render import render
from dashboard.web import MAX_BODY, json_body, parse_day, record_id

__all__ = ["setup"]

MAX_ICS = MAX_BODY
"""An .ics upload fits in the app's request limit (64 KiB: hundreds of events)."""


def _date(text: str, field: str) -> date:
    return parse_day(text, field)


def _time(text: str, field: str) -> time | None:
    if not text.strip():
        return None
    try:
        return time.fromisoformat(text.strip())
    except ValueError:
        raise StaffError("invalid-field", f"{text!r} is geen tijd (uu:mm).", field=field) from None


def _json(request: web.Request) -> list[dict[str, Any]]:
    zone = request.app[SERVICE].site.zone
    return [c.as_json(zone) for c in request.app[OPS].closures.upcoming()]


async def page(request: web.Request, status: int = 200, **extra: Any) -> web.Response:
    site = request.app[SERVICE].site
    names = {"*": "Alle loketten", **{c.id: c.name for c in site.counters}}
    today = request.app[SERVICE].clock.now().astimezone(site.zone).date()
    return render(
        request,
        "closures.html",
        status=status,
        closures=_json(request),
        names=names,
        counters=[(c.id, c.name) for c in site.counters],
        today=today.isoformat(),
        **extra,
    )


async def _add(request: web.Request, data: dict[str, Any]) -> None:
    scopes = data.get("scopes") or []
    await request.app[OPS].closures.add(
        scopes if isinstance(scopes, list) else [scopes],
        _date(str(data.get("first_day", "")), "first_day"),
        _date(str(data["last_day"]), "last_day") if data.get("last_day") else None,
        starts=_time(str(data.get("starts", "")), "starts"),
        ends=_time(str(data.get("ends", "")), "ends"),
        reason=str(data.get("reason", "")),
        actor=request[USER].login,
        address=request[ADDRESS],
    )


async def add(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    data: dict[str, Any] = {k: str(v) for k, v in form.items() if k != "scopes"}
    data["scopes"] = [str(v) for v in form.getall("scopes", [])]
    try:
        await _add(request, data)
    except StaffError as exc:
        return await page(request, status=exc.status, error=exc.message, error_field=exc.field)
    raise web.HTTPSeeOther("/sluitingen")


async def _import(request: web.Request, data: bytes, scopes: list[str], name: str) -> ImportReport:
    name = "".join(ch for ch in name if ch.isalnum() or ch in "._-")[:80] or "agenda.ics"
    return await request.app[OPS].closures.import_ics(
        data, scopes or ["*"], name=name, actor=request[USER].login, address=request[ADDRESS]
    )


async def import_form(request: web.Request) -> web.StreamResponse:
    form = await request.post()  # already read (multipart) by the CSRF check
    upload = form.get("file")
    scopes = [str(v) for v in form.getall("scopes", [])]
    try:
        if not isinstance(upload, web.FileField):
            raise StaffError("invalid-field", "Kies een .ics-bestand.", field="file")
        data = upload.file.read(MAX_ICS + 1)
        report = await _import(request, data, scopes, upload.filename or "")
    except StaffError as exc:
        return await page(request, status=exc.status, error=exc.message, error_field=exc.field)
    return await page(request, imported=report)


async def delete(request: web.Request) -> web.StreamResponse:
    try:
        await request.app[OPS].closures.delete(
            record_id(request.match_info["closure_id"]),
            actor=request[USER].login,
            address=request[ADDRESS],
        )
    except (ValueError, StaffError):
        raise web.HTTPNotFound(text="Deze sluiting bestaat niet (meer).") from None
    raise web.HTTPSeeOther("/sluitingen")


async def api_list(request: web.Request) -> web.Response:
    return web.json_response({"closures": _json(request)})


async def api_add(request: web.Request) -> web.Response:
    data = await json_body(
        request,
        {
            "scopes": list,
            "first_day": str,
            "last_day": str,
            "starts": str,
            "ends": str,
            "reason": str,
        },
        frozenset({"scopes", "first_day"}),
    )
    await _add(request, data)
    return web.json_response({"closures": _json(request)}, status=201)


async def api_import(request: web.Request) -> web.Response:
    """The body is the .ics file (``text/calendar``); ``?scopes=a,b`` (default: all)."""
    if request.content_length is not None and request.content_length > MAX_ICS:
        raise StaffError("invalid-field", "Het bestand is te groot.", field="file", status=413)
    data = await request.read()
    scopes = [s for s in request.query.get("scopes", "*").split(",") if s.strip()]
    report = await _import(request, data, scopes, request.query.get("name", "api.ics"))
    return web.json_response(
        {"added": report.added, "already_there": report.already_there}, status=201
    )


async def api_delete(request: web.Request) -> web.Response:
    try:
        closure_id = record_id(request.match_info["closure_id"])
    except ValueError:
        raise StaffError("closure-not-found", "No such closure.", status=404) from None
    await request.app[OPS].closures.delete(
        closure_id, actor=request[USER].login, address=request[ADDRESS]
    )
    return web.json_response({"closures": _json(request)})


async def public_feed(request: web.Request) -> web.Response:
    """The planned closures as an iCalendar feed: public, no personal data."""
    site = request.app[SERVICE].site
    body = feed(site, request.app[OPS].closures.upcoming(), stamp=datetime.now().astimezone())
    return web.Response(
        body=body,
        content_type="text/calendar",
        charset="utf-8",
        headers={"Cache-Control": "public, max-age=300", "Access-Control-Allow-Origin": "*"},
    )


def setup(app: web.Application) -> None:
    r = app.router
    r.add_get("/sluitingen", page, name="closures")
    r.add_post("/sluitingen", add, name="closures-new")
    r.add_post("/sluitingen/import", import_form, name="closures-ics-upload")
    r.add_post("/sluitingen/{closure_id}/delete", delete, name="closures-delete")
    r.add_get("/api/closures", api_list, name="api-closures")
    r.add_post("/api/closures", api_add, name="api-closures-new")
    r.add_post("/api/closures/import", api_import, name="api-closures-ics-upload")
    r.add_delete("/api/closures/{closure_id}", api_delete, name="api-closures-delete")
    r.add_get("/openingsuren/sluitingen.ics", public_feed, name="public-closures-ics")
