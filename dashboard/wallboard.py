"""The wallboard (``/``): tiles per counter and for the lighthouse, the site's day, pushed
live. The board is built once per moment for every screen that watches
(:class:`BoardCache`), and streamed as one ``board`` event per burst of changes."""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

from aiohttp import web

from callcenter.wallboard import build_board
from dashboard.keys import BUS, OPS, SERVICE, USER
from dashboard.render import render
from dashboard.sse import KEEPALIVE, RECHECK, Encoded, Recheck, open_stream, sse_event

__all__ = ["BOARD", "FEED", "BoardCache", "BoardFeed", "setup"]

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


class BoardFeed:
    """One task reads the bus for every wallboard screen: after a burst of changes (gathered
    for :data:`GATHER` seconds) it builds the board once and wakes the screens' streams, which
    each send the latest board. Bus messages cost one subscriber, however many screens
    watch; a screen that reads slowly skips boards, and slows nobody else."""

    def __init__(self, app: web.Application) -> None:
        self.app = app
        self._wakes = [asyncio.Event() for _ in range(SHARDS)]
        self._streams = 0
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="wallboard")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def shard(self) -> int:
        """A new stream's share of the wake-ups."""
        self._streams += 1
        return self._streams % SHARDS

    async def next(self, timeout: float, shard: int = 0) -> bool:
        """Wait for the next board (True), or ``timeout`` seconds (False)."""
        wake = self._wakes[shard]
        try:
            async with asyncio.timeout(timeout):
                await wake.wait()
        except TimeoutError:
            return False
        return True

    def _publish(self) -> None:
        """Wake the streams a shard at a time, a few milliseconds apart: between the shards
        the event loop reads Asterisk, so 200 screens never hold a RouteRequest back."""
        old, self._wakes = self._wakes, [asyncio.Event() for _ in range(SHARDS)]
        loop = asyncio.get_running_loop()
        for i, wake in enumerate(old):
            loop.call_later(i * SHARD_GAP, wake.set)

    async def _run(self) -> None:
        queue = self.app[BUS].subscribe()
        try:
            while True:
                try:
                    async with asyncio.timeout(KEEPALIVE):
                        msg = await queue.get()
                except TimeoutError:
                    self._publish()  # quiet: a fresh board now and then all the same
                    continue
                if msg.kind not in KINDS:
                    continue
                await asyncio.sleep(GATHER)
                while not queue.empty():
                    queue.get_nowait()
                self._publish()
        finally:
            self.app[BUS].unsubscribe(queue)


GATHER = 0.5
"""Seconds a burst of changes is gathered before the screens get a fresh board."""
SHARDS = 16
SHARD_GAP = 0.002
"""The screens are woken in :data:`SHARDS` groups, this many seconds apart."""
FEED: web.AppKey[BoardFeed] = web.AppKey("board-feed", BoardFeed)


async def stream(request: web.Request) -> web.StreamResponse:
    """``board`` first, then the latest ``board`` after every burst of changes (at most two a
    second) and every :data:`sse.KEEPALIVE` seconds when quiet. The stream ends when its user
    may no longer see it (checked when quiet), and at shutdown."""
    app = request.app
    cache, feed = app[BOARD], app[FEED]
    feed.start()
    shard = feed.shard()
    async with open_stream(request) as response:
        recheck = Recheck(request, "api-wallboard-stream")
        await response.write(sse_event("board", cache.get()[1]))
        quiet = 0.0
        while True:
            woken = await feed.next(RECHECK, shard)
            if not await recheck.allowed():
                break  # logged out, disabled or expired meanwhile: the stream ends
            quiet = 0.0 if woken else quiet + RECHECK
            if woken or quiet >= KEEPALIVE:
                await response.write(sse_event("board", cache.get()[1]))
                quiet = 0.0
    return response


async def _stop_feed(app: web.Application) -> None:
    await app[FEED].stop()


def setup(app: web.Application) -> None:
    app[BOARD] = BoardCache(app)
    app[FEED] = BoardFeed(app)
    app.on_shutdown.append(_stop_feed)
    app.router.add_get("/", page, name="live")
    app.router.add_get("/api/wallboard", board_json, name="api-wallboard")
    app.router.add_get("/api/wallboard/stream", stream, name="api-wallboard-stream")
