"""The public "when are we open" page and its JSON: no login, no personal data.

Per counter and address (and the callcenter): open now or not, today's hours, the next
opening, the week ahead; overrides (closed now, and the reason given) included, so the
website, the phone and the routing never disagree. The JSON may be embedded by the
municipality's website (``Access-Control-Allow-Origin: *``). Both are computed at most once a
minute, or when an override or closure changes, and served from memory; browsers and proxies
revalidate every time (``no-cache`` with an ``ETag``: a 304 while nothing changed), so an
emergency closure shows at the next look, not a minute later. The page gives the central
number (``[site] number``).
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import date, datetime
from typing import Any

from aiohttp import web

from dashboard.keys import OPS, SERVICE
from dashboard.render import render
from routing.openings import hours_report
from routing.site import Site

__all__ = ["setup"]

DAYS = ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag")
DAYS_AHEAD = 7
_CACHE = web.AppKey("public-hours-cache", dict)


def _local(request: web.Request) -> Site:
    """The site whose hours are asked for: a region's municipality (``gemeente``: its own
    counters and the shared ones, its own number), or the whole region, or the lone site."""
    site: Site = request.app[SERVICE].site
    given = request.query.get("gemeente", "")
    if not given:
        return site
    local = site.municipality(given)
    if local is None:
        raise web.HTTPNotFound(text=f"Geen gemeente {given!r} in {site.name}.")
    return local


def _report(request: web.Request) -> tuple[dict[str, Any], bytes, str]:
    service = request.app[SERVICE]
    ops = request.app[OPS]
    site = _local(request)
    now = service.clock.now().astimezone(site.zone)
    # the stores replace their lists on every change: their identities key the cache
    key = (
        now.replace(second=0, microsecond=0),
        id(ops.overrides.current()),
        id(ops.closures.current()),
    )
    overrides = ops.all_overrides()
    cache: dict[str, Any] = request.app[_CACHE].setdefault(site.site_id, {})
    if cache.get("key") != key:
        report = hours_report(site, key[0], DAYS_AHEAD, overrides)
        for place in report["places"]:
            place.pop("queue", None)  # Asterisk's names are nobody's business
        if site.number:
            report["number"] = site.number
            report["number_dial"] = re.sub(r"[^0-9+]", "", site.number)
        if site.sites:  # a region: each municipality's own page and number
            report["sites"] = [
                {
                    "id": s.site_id,
                    "name": s.name,
                    "number": s.number,
                    "number_dial": re.sub(r"[^0-9+]", "", s.number or ""),
                }
                for s in site.sites
            ]
        body = json.dumps(report, ensure_ascii=False).encode()
        etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        cache.update(key=key, report=report, body=body, etag=etag)
    return cache["report"], cache["body"], cache["etag"]


REVALIDATE = "public, no-cache"
"""Keep a copy, but ask each time: an override must show at once (the ETag makes it cheap)."""


def _unchanged(request: web.Request, etag: str) -> bool:
    return etag in [t.strip() for t in request.headers.get("If-None-Match", "").split(",")]


def _when(iso: str | None, today: date) -> str:
    if not iso:
        return ""
    value = datetime.fromisoformat(iso)
    if value.date() == today:
        return f"vandaag om {value:%H:%M}"
    if (value.date() - today).days == 1:
        return f"morgen om {value:%H:%M}"
    return f"{DAYS[value.weekday()]} {value:%d/%m} om {value:%H:%M}"


async def page(request: web.Request) -> web.Response:
    report, _, etag = _report(request)
    if _unchanged(request, etag):
        return web.Response(status=304, headers={"ETag": etag, "Cache-Control": REVALIDATE})
    now = datetime.fromisoformat(report["at"])
    response = render(
        request,
        "public_hours.html",
        report=report,
        today=now.date(),
        when=_when,
        days=DAYS,
        day_of=date.fromisoformat,
    )
    response.headers["Cache-Control"] = REVALIDATE
    response.headers["ETag"] = etag
    return response


async def hours_json(request: web.Request) -> web.Response:
    _, body, etag = _report(request)
    headers = {"Access-Control-Allow-Origin": "*", "Cache-Control": REVALIDATE, "ETag": etag}
    if _unchanged(request, etag):
        return web.Response(status=304, headers=headers)
    return web.Response(body=body, content_type="application/json", headers=headers)


def setup(app: web.Application) -> None:
    app[_CACHE] = {}
    app.router.add_get("/openingsuren", page, name="public-hours")
    app.router.add_get("/api/public/hours", hours_json, name="api-public-hours")
