"""The live queues as JSON and as a server-sent events stream (for API clients; the
wallboard page has its own: ``dashboard/wallboard.py``), and the health check."""

from __future__ import annotations

from aiohttp import web

from callcenter.infra.bus import BusMessage
from dashboard.keys import OPS, SERVICE
from dashboard.sse import Event, serve_events


async def queues_json(request: web.Request) -> web.Response:
    return web.json_response(request.app[SERVICE].snapshot())


async def health(request: web.Request) -> web.Response:
    service = request.app[SERVICE]
    state = service.ami.state.value
    ops = request.app.get(OPS)
    body: dict[str, object] = {"ami": state, "calls_up": len(service.tracker.calls)}
    if ops is not None:  # the callbacks' outside line: a fault is said, routing goes on
        body["callbacks_trunk"] = ops.dialer.trunk.health()
    return web.json_response(body, status=200 if state == "connected" else 503)


async def stream(request: web.Request) -> web.StreamResponse:
    """Server-sent events: a full snapshot first, then one event per changed queue and the
    alerts (coalesced to at most a few a second)."""

    def pick(burst: list[BusMessage]) -> list[Event]:
        changed: dict[object, Event] = {}
        alerts: list[Event] = []
        for msg in burst:
            if msg.kind == "queue":
                changed[msg.payload.get("queue")] = ("queue", msg.payload)
            elif msg.kind == "alerts":
                alerts = [("alerts", msg.payload)]
        return [*changed.values(), *alerts]

    first = [("snapshot", request.app[SERVICE].snapshot())]
    return await serve_events(request, "api-stream", first, pick, coalesce=0.25)
