"""The managers' live list of agents (``/agenten``): state and time in it, queues, today's
calls, average handle time and pause time, live like the wallboard. Thin handlers: the list
is ``callcenter/staff/agent_board.py``."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from callcenter.bus import BusMessage
from callcenter.staff.activity import STATES
from dashboard.keys import OPS
from dashboard.render import render
from dashboard.sse import Event, serve_events

__all__ = ["setup"]

EVERY = 1.0
"""A busy site changes agents' states many times a second: the list is sent at most this
often."""


def _summary(rows: list[dict[str, Any]]) -> dict[str, int]:
    """How many agents are in each state."""
    counts = dict.fromkeys(STATES, 0)
    for row in rows:
        counts[row["state"]["code"]] += 1
    return counts


def _payload(rows: list[dict[str, Any]]) -> dict[str, Any]:
    return {"agents": rows, "summary": _summary(rows)}


async def agents_page(request: web.Request) -> web.Response:
    board = request.app[OPS].board
    await board.refresh()
    rows = board.rows()
    return render(
        request,
        "agents.html",
        rows=rows,
        summary=_summary(rows),
        state_names=STATES,
        js=request.app.router["static"].url_for(filename="agents.js"),
    )


async def api_agents(request: web.Request) -> web.Response:
    board = request.app[OPS].board
    await board.refresh()
    return web.json_response(_payload(board.rows()))


async def agents_stream(request: web.Request) -> web.StreamResponse:
    """``agents``: the whole list, when an agent's state, membership or today's figures
    changed (at most every :data:`EVERY` seconds)."""
    board = request.app[OPS].board
    await board.refresh()

    def pick(burst: list[BusMessage]) -> list[Event]:
        if any(m.kind in ("agent", "agents-today", "queue") for m in burst):
            return [("agents", _payload(board.rows()))]
        return []

    board.watchers += 1
    try:
        return await serve_events(
            request, "api-agents-stream", [("agents", _payload(board.rows()))], pick, coalesce=EVERY
        )
    finally:
        board.watchers -= 1


def setup(app: web.Application) -> None:
    app.router.add_get("/agenten", agents_page, name="agents")
    app.router.add_get("/api/agents", api_agents, name="api-agents")
    app.router.add_get("/api/agents/stream", agents_stream, name="api-agents-stream")
