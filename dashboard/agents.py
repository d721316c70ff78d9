"""The managers' live list of agents (``/agenten``): state and time in it, queues, today's
calls, average handle time and pause time, live like the wallboard. Thin handlers: the list
is ``callcenter/agents/board.py``."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from aiohttp import web

from callcenter.agents.activity import STATES
from dashboard.feeds import Pick, SharedFeed, shared_stream
from dashboard.keys import OPS
from dashboard.render import render
from dashboard.sse import Encoded

__all__ = ["setup"]

GATHER = 0.2
"""Seconds a burst of changes is gathered before the screens get the list again (a busy site
changes agents' states many times a second)."""
FRESH = 0.1
"""Seconds a built list serves every screen that asks."""
KINDS = frozenset({"agent", "agents-today"})
"""Bus messages after which the list may have changed (an agent's phone, pause or queues;
today's figures read again)."""


class AgentList:
    """The list for every screen, versioned: built at most every :data:`FRESH` seconds, with
    the rows that changed since the version before. A screen that has that version gets
    only those rows (``delta``: 200 agents, 200 screens, several times a second); any other,
    the whole list (``agents``)."""

    def __init__(self, app: web.Application) -> None:
        self.app = app
        self.version = 0
        self._rows: dict[str, str] = {}
        self._built_at: float | None = None
        self._full = Encoded("{}")
        self._delta: Encoded | None = None
        self._names: str | None = None

    def _refresh(self) -> None:
        now = asyncio.get_running_loop().time()
        if self._built_at is not None and now - self._built_at < FRESH:
            return
        self._built_at = now
        rows = self.app[OPS].board.rows()
        encoded = {r["login"]: json.dumps(r, ensure_ascii=False) for r in rows}
        if encoded == self._rows and self.version:
            return
        changed = [text for login, text in encoded.items() if self._rows.get(login) != text]
        gone = [login for login in self._rows if login not in encoded]
        self.version += 1
        summary = json.dumps(_summary(rows))
        if self._names is None:  # the site's words: the same for the service's life
            self._names = json.dumps(_names(self.app), ensure_ascii=False)
        names = self._names
        now = self.app[OPS].board.now()
        self._full = Encoded(
            f'{{"version":{self.version},"now":{now},"agents":[{",".join(encoded.values())}],'
            f'"summary":{summary},"names":{names}}}'
        )
        self._delta = Encoded(
            f'{{"version":{self.version},"base":{self.version - 1},"now":{now},'
            f'"changed":[{",".join(changed)}],"gone":{json.dumps(gone)},"summary":{summary}}}'
        )
        self._rows = encoded

    def pick_for_a_screen(self) -> Pick:
        """What one screen is sent each time: the whole list first, then the changes."""
        have: int | None = None

        def pick() -> tuple[str, Encoded] | None:
            nonlocal have
            self._refresh()
            if have == self.version:
                return None
            delta = self._delta if have == self.version - 1 else None
            have = self.version
            return ("delta", delta) if delta is not None else ("agents", self._full)

        return pick


LIST: web.AppKey[AgentList] = web.AppKey("agents-list", AgentList)
FEED: web.AppKey[SharedFeed] = web.AppKey("agents-feed", SharedFeed)


def _names(app: web.Application) -> dict[str, Any]:
    """The words a screen shows for the codes and ids in the rows."""
    site = app[OPS].service.site
    return {"states": STATES, "queues": {q: site.queue_name(q) for q in site.queues}}


def _summary(rows: list[dict[str, Any]]) -> dict[str, int]:
    """How many agents are in each state."""
    counts = dict.fromkeys(STATES, 0)
    for row in rows:
        counts[row["state"]["code"]] += 1
    return counts


def _payload(app: web.Application, rows: list[dict[str, Any]]) -> dict[str, Any]:
    now = app[OPS].board.now()
    return {"now": now, "agents": rows, "summary": _summary(rows), "names": _names(app)}


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
        queue_names=_names(request.app)["queues"],
        now=board.now(),
        js=request.app.router["static"].url_for(filename="agents.js"),
    )


async def api_agents(request: web.Request) -> web.Response:
    board = request.app[OPS].board
    await board.refresh()
    return web.json_response(_payload(request.app, board.rows()))


async def agents_stream(request: web.Request) -> web.StreamResponse:
    """``agents``: the whole list, after a burst of changes of agents' states, memberships or
    today's figures (gathered for :data:`GATHER` seconds); one list built for every screen."""
    app = request.app
    board = app[OPS].board
    await board.refresh()
    board.watchers += 1
    try:
        pick = app[LIST].pick_for_a_screen()
        return await shared_stream(request, "api-agents-stream", app[FEED], pick)
    finally:
        board.watchers -= 1


def setup(app: web.Application) -> None:
    app[LIST] = AgentList(app)
    app[FEED] = SharedFeed(app, KINDS, GATHER, "agents")
    app.router.add_get("/agenten", agents_page, name="agents")
    app.router.add_get("/api/agents", api_agents, name="api-agents")
    app.router.add_get("/api/agents/stream", agents_stream, name="api-agents-stream")
