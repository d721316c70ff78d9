"""The wallboard (``/``): tiles per counter and for the lighthouse, the site's day, pushed
live. The board is built once per moment for every screen that watches
(:class:`BoardCache`), and streamed as one ``board`` event per burst of changes."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from aiohttp import web

from callcenter.bus import BusMessage
from callcenter.wallboard import build_board
from dashboard.keys import OPS, SERVICE, USER
from dashboard.render import render
from dashboard.sse import Encoded, Event, serve_events

__all__ = ["BOARD", "BoardCache", "setup"]

FRESH = 0.2
"""Seconds a built board serves every screen that asks (200 screens: one build)."""
KINDS = frozenset({"queue", "states", "alerts", "call_ended", "connect"})
"""Bus messages after which the board may have changed."""


class BoardCache:
    def __init__(self, app: web.Application) -> None:
        self.app = app
        self._built: tuple[float, dict[str, Any], Encoded] | None = None

    def get(self) -> tuple[dict[str, Any], Encoded]:
        now = asyncio.get_running_loop().time()
        if self._built is None or now - self._built[0] > FRESH:
            board = self._build()
            self._built = (now, board, Encoded(json.dumps(board, ensure_ascii=False)))
        return self._built[1], self._built[2]

    def _build(self) -> dict[str, Any]:
        service = self.app[SERVICE]
        ops = self.app[OPS]
        tracker = service.tracker
        status = ops.duty.status()
        return build_board(
            service.site,
            service.clock.now(),
            tracker.queues,
            ops.all_overrides(),
            service.today.figures(list(tracker.calls.values())),
            calls_now=len(tracker.calls),
            connected=service.ami.state.value,
            speed=float(getattr(service.clock, "speed", 1.0)),
            on_duty=[h["name"] for h in status.get("on_duty", [])],
            callbacks_waiting=ops.dialer.waiting(),
            alerts=service.alerts(),
        )


BOARD: web.AppKey[BoardCache] = web.AppKey("board", BoardCache)


async def page(request: web.Request) -> web.Response:
    static = request.app.router["static"]
    board, _ = request.app[BOARD].get()
    user = request[USER]
    overdue = await request.app[OPS].register.overdue_count() if user.has("manager") else 0
    return render(
        request,
        "wallboard.html",
        board=board,
        snapshot=request.app[SERVICE].snapshot(),
        js=static.url_for(filename="wallboard.js"),
        overdue=overdue,
        wall=request.query.get("wand") == "1",
    )


async def board_json(request: web.Request) -> web.Response:
    board, _ = request.app[BOARD].get()
    return web.json_response(board)


async def stream(request: web.Request) -> web.StreamResponse:
    """``board`` first, then a fresh ``board`` after every burst of changes (at most a few
    a second); a quiet board still gets one every :data:`sse.KEEPALIVE` seconds."""
    cache = request.app[BOARD]

    def pick(burst: list[BusMessage]) -> list[Event]:
        if any(m.kind in KINDS for m in burst):
            return [("board", cache.get()[1])]
        return []

    return await serve_events(
        request,
        "api-wallboard-stream",
        [("board", cache.get()[1])],
        pick,
        coalesce=0.5,
        quiet=lambda: [("board", cache.get()[1])],
    )


def setup(app: web.Application) -> None:
    app[BOARD] = BoardCache(app)
    app.router.add_get("/", page, name="live")
    app.router.add_get("/api/wallboard", board_json, name="api-wallboard")
    app.router.add_get("/api/wallboard/stream", stream, name="api-wallboard-stream")
