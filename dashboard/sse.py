"""Server-sent event streams over the bus, one way for every page that listens live: the
first events, then what ``pick`` chooses from each burst of bus messages. A quiet stream
sends a keepalive every :data:`KEEPALIVE` seconds and then checks that its user may still
see it (logged out, disabled, expired: the stream ends). Streams end on shutdown."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Iterable

from aiohttp import web

from callcenter.bus import BusMessage
from dashboard.access import ROUTES, identify
from dashboard.keys import BUS, STREAMS

__all__ = ["KEEPALIVE", "Encoded", "Event", "serve_events", "sse_event", "still_allowed"]

KEEPALIVE = 15.0
"""Seconds between keepalives of a quiet stream (each one re-checks the user's session)."""

Event = tuple[str, object]


class Encoded(str):
    """A payload already in JSON (built once for every stream that sends it)."""


def sse_event(kind: str, payload: object) -> bytes:
    data = payload if isinstance(payload, Encoded) else json.dumps(payload, ensure_ascii=False)
    return f"event: {kind}\ndata: {data}\n\n".encode()


async def serve_events(
    request: web.Request,
    route: str,
    first: Iterable[Event],
    pick: Callable[[list[BusMessage]], Iterable[Event]],
    *,
    coalesce: float = 0.0,
    urgent: Callable[[BusMessage], bool] | None = None,
) -> web.StreamResponse:
    """Stream ``first``, then ``pick(burst)`` for every burst of bus messages (gathered for
    ``coalesce`` seconds after the first of them, until an ``urgent`` one comes)."""
    bus = request.app[BUS]
    response = web.StreamResponse(
        headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
    )
    await response.prepare(request)
    queue = bus.subscribe()
    task = asyncio.current_task()
    streams = request.app[STREAMS]
    if task is not None:
        streams.add(task)
    try:
        for kind, payload in first:
            await response.write(sse_event(kind, payload))
        while True:
            try:
                async with asyncio.timeout(KEEPALIVE):
                    burst = [await queue.get()]
            except TimeoutError:
                if not await still_allowed(request, route):
                    break  # logged out, disabled or expired meanwhile: the stream ends
                await response.write(b": keepalive\n\n")
                continue
            if coalesce and not (urgent is not None and urgent(burst[0])):
                await _gather(queue, burst, coalesce, urgent)
            while not queue.empty():
                burst.append(queue.get_nowait())
            for kind, payload in pick(burst):
                await response.write(sse_event(kind, payload))
    except (ConnectionResetError, asyncio.CancelledError):
        pass
    finally:
        bus.unsubscribe(queue)
        if task is not None:
            streams.discard(task)
    return response


async def _gather(
    queue: asyncio.Queue[BusMessage],
    burst: list[BusMessage],
    seconds: float,
    urgent: Callable[[BusMessage], bool] | None,
) -> None:
    """Add to ``burst`` what comes within ``seconds``; an urgent message ends the wait at
    once (a screen pop never waits behind the queue figures that came just before it)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while (left := deadline - loop.time()) > 0:
        try:
            async with asyncio.timeout(left):
                message = await queue.get()
        except TimeoutError:
            return
        burst.append(message)
        if urgent is not None and urgent(message):
            return


async def still_allowed(request: web.Request, route: str) -> bool:
    user = await identify(request)
    return user is not None and ROUTES[route].allows(user)
