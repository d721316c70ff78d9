"""The live queues page, its JSON and its server-sent events stream."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from aiohttp import web

from dashboard.access import ROUTES, identify
from dashboard.keys import BUS, SERVICE, STREAMS
from dashboard.render import render


async def page(request: web.Request) -> web.Response:
    static = request.app.router["static"]
    return render(
        request,
        "live.html",
        snapshot=request.app[SERVICE].snapshot(),
        js=static.url_for(filename="live.js"),
    )


async def queues_json(request: web.Request) -> web.Response:
    return web.json_response(request.app[SERVICE].snapshot())


async def health(request: web.Request) -> web.Response:
    service = request.app[SERVICE]
    state = service.ami.state.value
    return web.json_response(
        {"ami": state, "calls_up": len(service.tracker.calls)},
        status=200 if state == "connected" else 503,
    )


KEEPALIVE = 15.0
"""Seconds between keepalives of a quiet stream (each one re-checks the user's session)."""


async def stream(request: web.Request) -> web.StreamResponse:
    """Server-sent events: a full snapshot first, then one event per queue change
    (coalesced to at most a few a second)."""
    service = request.app[SERVICE]
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
        await response.write(_sse("snapshot", service.snapshot()))
        while True:
            try:
                async with asyncio.timeout(KEEPALIVE):
                    first = await queue.get()
            except TimeoutError:
                if not await still_allowed(request):
                    break  # logged out, disabled or expired meanwhile: the stream ends
                await response.write(b": keepalive\n\n")
                continue
            changed: dict[object, Any] = {}
            alerts = None
            await asyncio.sleep(0.25)  # coalesce bursts
            for msg in (first, *_drain(queue)):
                if msg.kind == "queue":
                    changed[msg.payload.get("queue")] = msg
                elif msg.kind == "alerts":
                    alerts = msg
            for msg in changed.values():
                await response.write(_sse("queue", msg.payload))
            if alerts is not None:
                await response.write(_sse("alerts", alerts.payload))
    except (ConnectionResetError, asyncio.CancelledError):
        pass
    finally:
        bus.unsubscribe(queue)
        if task is not None:
            streams.discard(task)
    return response


async def still_allowed(request: web.Request) -> bool:
    """A long stream checks, now and then, that its user may still see it."""
    user = await identify(request)
    return user is not None and ROUTES["api-stream"].allows(user)


def _drain(queue: asyncio.Queue[Any]) -> list[Any]:
    out = []
    while not queue.empty():
        out.append(queue.get_nowait())
    return out


def _sse(kind: str, payload: object) -> bytes:
    return f"event: {kind}\ndata: {json.dumps(payload, ensure_ascii=False)}\n\n".encode()
