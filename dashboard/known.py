"""The consent register of neighbourhood teams ("Gekende bellers"): the teams' page and the
JSON API. A team's staff (the ``counter`` role) see and keep their own teams' entries;
managers and admins all of them. Every read and change is audited by
``callcenter/contacts/known.py``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiohttp import web

from callcenter.contacts.known import KnownCaller, consent_on
from callcenter.staff.errors import StaffError
from callcenter.staff.users import User
from dashboard.keys import ADDRESS, OPS, SERVICE, STAFF, USER
from dashboard.render import render
from dashboard.web import json_body, parse_day, record_id

__all__ = ["setup", "teams_of"]


def teams_of(user: User, teams: dict[str, str | None]) -> list[str] | None:
    """The teams a user keeps the register of: all for managers and admins (None), else
    the teams among their counters (and their municipalities, in a region)."""
    if user.has("manager", "admin"):
        return None
    return [t for t, site in teams.items() if t in user.counters and user.in_sites(site)]


def _consent(request: web.Request, text: str) -> datetime | None:
    if not text.strip():
        return None
    day = parse_day(text, "consent_at")
    return consent_on(day, request.app[SERVICE].site)


async def _record(request: web.Request, data: dict[str, Any]) -> KnownCaller:
    known = request.app[OPS].known
    user = request[USER]
    return await known.record(
        str(data.get("caller", "")),
        str(data.get("team", "")),
        worker=str(data.get("worker") or "").strip() or None,
        consent_at=_consent(request, str(data.get("consent_at") or "")),
        actor=user.login,
        teams=teams_of(user, known.teams),
        address=request[ADDRESS],
    )


async def _entries(request: web.Request) -> list[KnownCaller]:
    known = request.app[OPS].known
    user = request[USER]
    return await known.entries(
        actor=user.login, teams=teams_of(user, known.teams), address=request[ADDRESS]
    )


async def page(request: web.Request, status: int = 200, **extra: Any) -> web.Response:
    known = request.app[OPS].known
    if not known.teams:
        raise web.HTTPNotFound(text="Deze site heeft geen buurtteams.")
    site = request.app[SERVICE].site
    user = request[USER]
    mine = teams_of(user, known.teams)
    teams = [(t, site.counter(t).name) for t in known.teams if mine is None or t in mine]
    workers = [
        (u.login, u.name, ", ".join(site.counter(t).name for t in known.teams if t in u.counters))
        for u in await request.app[STAFF].users.list()
        if u.active and set(u.counters) & set(known.teams)
    ]
    today = request.app[SERVICE].clock.now().astimezone(site.zone).date()
    entries = await _entries(request)
    return render(
        request,
        "known.html",
        status=status,
        entries=[e.as_json() | {"until": e.expires_at.astimezone(site.zone)} for e in entries],
        teams=teams,
        workers=workers,
        worker_names={login: name for login, name, _ in workers},
        today=today.isoformat(),
        **extra,
    )


async def add(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    data = {k: str(v) for k, v in form.items()}
    try:
        entry = await _record(request, data)
    except StaffError as exc:
        return await page(
            request, status=exc.status, error=exc.message, error_field=exc.field, form=data
        )
    return await page(request, saved=entry.id)


async def delete(request: web.Request) -> web.StreamResponse:
    known = request.app[OPS].known
    user = request[USER]
    try:
        await known.erase(
            record_id(request.match_info["entry_id"]),
            actor=user.login,
            teams=teams_of(user, known.teams),
            address=request[ADDRESS],
        )
    except (ValueError, StaffError):
        raise web.HTTPNotFound(text="Deze inschrijving bestaat niet (meer).") from None
    raise web.HTTPSeeOther("/gekende-bellers")


async def api_list(request: web.Request) -> web.Response:
    return web.json_response({"known": [e.as_json() for e in await _entries(request)]})


async def api_add(request: web.Request) -> web.Response:
    data = await json_body(
        request,
        {"caller": str, "team": str, "worker": str, "consent_at": str},
        frozenset({"caller", "team"}),
    )
    entry = await _record(request, data)
    return web.json_response(entry.as_json(), status=201)


async def api_delete(request: web.Request) -> web.Response:
    known = request.app[OPS].known
    user = request[USER]
    try:
        entry_id = record_id(request.match_info["entry_id"])
    except ValueError:
        raise StaffError("not-found", "No such register entry.", status=404) from None
    entry = await known.erase(
        entry_id, actor=user.login, teams=teams_of(user, known.teams), address=request[ADDRESS]
    )
    return web.json_response({"erased": entry.id})


def setup(app: web.Application) -> None:
    r = app.router
    r.add_get("/gekende-bellers", page, name="known")
    r.add_post("/gekende-bellers", add, name="known-new")
    r.add_post("/gekende-bellers/{entry_id}/delete", delete, name="known-delete")
    r.add_get("/api/known", api_list, name="api-known")
    r.add_post("/api/known", api_add, name="api-known-new")
    r.add_delete("/api/known/{entry_id}", api_delete, name="api-known-delete")
