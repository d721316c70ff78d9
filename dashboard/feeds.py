"""Live pages that many screens watch at once (the wallboard, the managers' list of agents):
what they show is built once per moment for every screen (:class:`Snapshot`), and one task
reads the bus for all of them (:class:`SharedFeed`), however many screens watch. A screen
that reads slowly skips a version and slows nobody else; 200 screens never hold a
RouteRequest back (``docs/benchmarks.md``, wallboard fan-out)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable
from typing import Any

from aiohttp import web

from dashboard.keys import BUS
from dashboard.sse import KEEPALIVE, RECHECK, Encoded, Recheck, open_stream, sse_event

__all__ = ["SHARDS", "SHARD_GAP", "Pick", "SharedFeed", "Snapshot", "shared_stream"]

SHARDS = 16
SHARD_GAP = 0.002
"""The screens are woken in :data:`SHARDS` groups, this many seconds apart."""


class Snapshot:
    """What every screen shows, built at most once every ``fresh`` seconds, with its JSON."""

    def __init__(self, build: Callable[[], dict[str, Any]], fresh: float) -> None:
        self.build = build
        self.fresh = fresh
        self._built: tuple[float, dict[str, Any], Encoded] | None = None

    def get(self) -> tuple[dict[str, Any], Encoded]:
        now = asyncio.get_running_loop().time()
        if self._built is None or now - self._built[0] > self.fresh:
            data = self.build()
            self._built = (now, data, Encoded(json.dumps(data, ensure_ascii=False)))
        return self._built[1], self._built[2]


class SharedFeed:
    """One task reads the bus for every screen of a page: after a burst of the ``kinds`` of
    message that change it (gathered for ``gather`` seconds) it wakes the screens' streams,
    a shard at a time, and each sends the latest :class:`Snapshot`. Made with the app
    (before it starts); it stops when the app shuts down."""

    def __init__(
        self, app: web.Application, kinds: frozenset[str], gather: float, name: str
    ) -> None:
        self.app = app
        self.kinds = kinds
        self.gather = gather
        self.name = name
        self._wakes = [asyncio.Event() for _ in range(SHARDS)]
        self._streams = 0
        self._task: asyncio.Task[None] | None = None

        async def stop_at_shutdown(_app: web.Application) -> None:
            await self.stop()

        app.on_shutdown.append(stop_at_shutdown)

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name=self.name)

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
        """Wait for the next version (True), or ``timeout`` seconds (False)."""
        wake = self._wakes[shard]
        try:
            async with asyncio.timeout(timeout):
                await wake.wait()
        except TimeoutError:
            return False
        return True

    def _publish(self) -> None:
        """Wake the streams a shard at a time, a few milliseconds apart: between the shards
        the event loop reads Asterisk."""
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
                    self._publish()  # quiet: a fresh version now and then all the same
                    continue
                if msg.kind not in self.kinds:
                    continue
                await asyncio.sleep(self.gather)
                while not queue.empty():
                    queue.get_nowait()
                self._publish()
        finally:
            self.app[BUS].unsubscribe(queue)


Pick = Callable[[], "tuple[str, Encoded] | None"]
"""What a stream sends now: an event and its data, or nothing (it has the latest)."""


async def shared_stream(
    request: web.Request, route: str, feed: SharedFeed, pick: Pick
) -> web.StreamResponse:
    """``pick()`` first, then again after every burst of changes and every
    :data:`sse.KEEPALIVE` seconds when quiet (a keepalive when it has nothing). The stream
    ends when its user may no longer see it (checked at least every :data:`sse.RECHECK`
    seconds), and at shutdown."""
    feed.start()
    shard = feed.shard()
    async with open_stream(request) as response:
        recheck = Recheck(request, route)
        first = pick()
        if first is not None:
            await response.write(sse_event(*first))
        quiet = 0.0
        while True:
            woken = await feed.next(RECHECK, shard)
            if not await recheck.allowed():
                break  # logged out, disabled or expired meanwhile: the stream ends
            quiet = 0.0 if woken else quiet + RECHECK
            if woken or quiet >= KEEPALIVE:
                now = pick()
                await response.write(sse_event(*now) if now is not None else b": keepalive\n\n")
                quiet = 0.0
    return response
