"""Server-sent event streams over the bus, one way for every page that listens live: the
first events, then what ``pick`` chooses from each burst of bus messages. A quiet stream
sends a keepalive every :data:`KEEPALIVE` seconds.

A stream carries personal data (the agent console's carries callers' numbers), so it lives
no longer than the right to see it: every :data:`RECHECK` seconds, however busy it is, it
checks its user's session or token again (expired, or ended by another process such as the
command line: the stream ends), and the service ends a user's streams at once when it ends
their sessions (logout ends the streams of that session; disabling the user or changing
their password, all of theirs): :func:`end_streams`. Streams end on shutdown."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable, Iterable

from aiohttp import web

from callcenter.infra.bus import BusMessage
from dashboard.access import ROUTES, SESSION_COOKIE, identify
from dashboard.keys import BUS, STREAMS, USER, StreamOwner

__all__ = [
    "KEEPALIVE",
    "RECHECK",
    "Encoded",
    "Event",
    "Recheck",
    "end_streams",
    "open_stream",
    "serve_events",
    "sse_event",
    "still_allowed",
]

KEEPALIVE = 15.0
"""Seconds between keepalives of a quiet stream."""
RECHECK = 5.0
"""Seconds between checks that a stream's user may still see it, busy or quiet."""

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
    queue = bus.subscribe()
    try:
        async with open_stream(request) as response:
            recheck = Recheck(request, route)
            for kind, payload in first:
                await response.write(sse_event(kind, payload))
            quiet = 0.0
            while True:
                try:
                    async with asyncio.timeout(RECHECK):
                        burst = [await queue.get()]
                except TimeoutError:
                    if not await recheck.allowed():
                        break
                    quiet += RECHECK
                    if quiet >= KEEPALIVE:
                        await response.write(b": keepalive\n\n")
                        quiet = 0.0
                    continue
                quiet = 0.0
                if coalesce and not (urgent is not None and urgent(burst[0])):
                    await _gather(queue, burst, coalesce, urgent)
                while not queue.empty():
                    burst.append(queue.get_nowait())
                if not await recheck.allowed():
                    break  # logged out, disabled or expired meanwhile: the stream ends
                for kind, payload in pick(burst):
                    await response.write(sse_event(kind, payload))
    finally:
        bus.unsubscribe(queue)
    return response


@contextlib.asynccontextmanager
async def open_stream(request: web.Request) -> AsyncIterator[web.StreamResponse]:
    """An event stream's response, registered under its owner for :func:`end_streams`
    while it runs; a dropped connection or an ended stream leaves quietly."""
    streams = request.app[STREAMS]
    if streams.closing:  # the service is stopping: the page retries on the next one
        raise web.HTTPServiceUnavailable(headers={"Retry-After": "5"})
    task = asyncio.current_task()
    if task is not None:  # before the first await: a stop that begins now ends it too
        streams.open[task] = StreamOwner(request[USER].login, _credential(request))
    response = web.StreamResponse(
        headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
    )
    try:
        await response.prepare(request)
    except BaseException:
        if task is not None:
            streams.open.pop(task, None)
        raise
    try:
        yield response
    except (ConnectionResetError, asyncio.CancelledError):
        pass
    finally:
        if task is not None:
            streams.open.pop(task, None)


def _credential(request: web.Request) -> str:
    auth = request.headers.get("Authorization", "")
    return (
        auth[7:].strip() if auth.startswith("Bearer ") else request.cookies.get(SESSION_COOKIE, "")
    )


def end_streams(app: web.Application, *, login: str, credential: str | None = None) -> int:
    """End at once the streams of ``login`` (only those opened with ``credential``, a
    session cookie or token, when given). How many were ended."""
    ended = 0
    for task, owner in tuple(app[STREAMS].open.items()):
        if owner.login == login and (credential is None or owner.credential == credential):
            task.cancel()
            ended += 1
    return ended


class Recheck:
    """Whether a stream's user may still see it, asked of the store at most every
    :data:`RECHECK` seconds."""

    def __init__(self, request: web.Request, route: str) -> None:
        self.request, self.route = request, route
        self.loop = asyncio.get_running_loop()
        self.due = self.loop.time() + RECHECK

    async def allowed(self) -> bool:
        if self.loop.time() < self.due:
            return True
        self.due = self.loop.time() + RECHECK
        return await still_allowed(self.request, self.route)


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
