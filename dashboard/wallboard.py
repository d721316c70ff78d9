"""The wallboard (``/``): tiles per counter and for the lighthouse, the site's day, pushed
live. The board is built once per moment for every screen that watches
(:class:`BoardCache`), and streamed as one ``board`` event per burst of changes."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from callcenter.figures.today import build_board
from dashboard.feeds import SharedFeed, Snapshot, shared_stream
from dashboard.keys import OPS, SERVICE, USER
from dashboard.render import render
from routing.site import Site

__all__ = ["BOARD", "FEED", "BoardCache", "setup"]

FRESH = 0.2
"""Seconds a built board serves every screen that asks (200 screens: one build)."""
KINDS = frozenset({"queue", "states", "alerts", "call_ended", "connect"})
"""Bus messages after which the board may have changed."""


def _build(app: web.Application) -> dict[str, Any]:
    service = app[SERVICE]
    ops = app[OPS]
    tracker = service.tracker
    status = ops.duty.status()
    return build_board(
        service.site,
        service.clock.now(),
        tracker.queues,
        ops.all_overrides(),
        ops.today.figures(list(tracker.calls.values())),
        calls_now=len(tracker.calls),
        connected=service.ami.state.value,
        speed=float(getattr(service.clock, "speed", 1.0)),
        on_duty=[h["name"] for h in status.get("on_duty", [])],
        callbacks_waiting=ops.dialer.waiting(),
        alerts=service.alerts(),
    )


class BoardCache(Snapshot):
    """The board, built once per moment for every screen that watches."""

    def __init__(self, app: web.Application) -> None:
        super().__init__(lambda: _build(app), FRESH)


BOARD: web.AppKey[BoardCache] = web.AppKey("board", BoardCache)


def _local(request: web.Request) -> Site | None:
    """A region's municipality whose wallboard this is (``gemeente``; a user limited to one
    sees theirs; another's, or the whole region for a user limited to some, is 403)."""
    site: Site = request.app[SERVICE].site
    given = request.query.get("gemeente", "")
    mine = request[USER].sites
    if mine and not given:
        given = mine[0]
    if not given:
        return None
    local = site.municipality(given)
    if local is None:
        raise web.HTTPNotFound(text=f"Geen gemeente {given!r} in {site.name}.")
    if mine and given not in mine:
        raise web.HTTPForbidden(text="Het wandbord van deze gemeente is niet voor u.")
    return local


def _tiles_of(board: dict[str, Any], local: Site | None) -> dict[str, Any]:
    """The board with a municipality's tiles only: the lighthouse, its own counters and the
    shared ones (the day's summary stays the region's)."""
    if local is None:
        return board
    tiles = [t for t in board["tiles"] if t.get("site") in (None, local.site_id)]
    return {**board, "tiles": tiles, "local": {"id": local.site_id, "name": local.name}}


async def page(request: web.Request) -> web.Response:
    static = request.app.router["static"]
    local = _local(request)
    board, _ = request.app[BOARD].get()
    board = _tiles_of(board, local)
    user = request[USER]
    overdue = await request.app[OPS].register.overdue_count() if user.has("manager") else 0
    region = request.app[SERVICE].site
    return render(
        request,
        "wallboard.html",
        board=board,
        sites=[(s.site_id, s.name) for s in region.sites] if not user.sites else [],
        snapshot=request.app[SERVICE].snapshot(),
        js=static.url_for(filename="wallboard.js"),
        overdue=overdue,
        wall=request.query.get("wand") == "1",
    )


async def board_json(request: web.Request) -> web.Response:
    local = _local(request)
    board, _ = request.app[BOARD].get()
    return web.json_response(_tiles_of(board, local))


GATHER = 0.5
"""Seconds a burst of changes is gathered before the screens get a fresh board."""
FEED: web.AppKey[SharedFeed] = web.AppKey("board-feed", SharedFeed)


async def stream(request: web.Request) -> web.StreamResponse:
    """``board`` first, then the latest ``board`` after every burst of changes (at most two a
    second) and every :data:`sse.KEEPALIVE` seconds when quiet."""
    cache = request.app[BOARD]
    return await shared_stream(
        request, "api-wallboard-stream", request.app[FEED], lambda: ("board", cache.get()[1])
    )


def setup(app: web.Application) -> None:
    app[BOARD] = BoardCache(app)
    app[FEED] = SharedFeed(app, KINDS, GATHER, "wallboard")
    app.router.add_get("/", page, name="live")
    app.router.add_get("/api/wallboard", board_json, name="api-wallboard")
    app.router.add_get("/api/wallboard/stream", stream, name="api-wallboard-stream")
