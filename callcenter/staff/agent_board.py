"""The managers' live list of agents: every agent with their state and time in it, the
queues they are logged in on, and today's calls, average handle time and pause time.

The states are the desk's (live, from Asterisk's events); today's figures are the store's
(``agent_records.py``), read at most every :data:`TODAY_EVERY` seconds however many screens
watch. No caller's data: names, states and counts.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from callcenter.staff.agent_records import AgentDay, AgentRecords
from callcenter.staff.agents import AgentDesk
from callcenter.staff.users import User

__all__ = ["TODAY_EVERY", "AgentBoard"]

log = logging.getLogger(__name__)

TODAY_EVERY = 10.0
"""Seconds between readings of today's figures from the store."""


class AgentBoard:
    def __init__(self, desk: AgentDesk, records: AgentRecords) -> None:
        self.desk = desk
        self.records = records
        self._today: dict[str, AgentDay] = {}
        self._read_at: float | None = None
        self._users: list[User] = []
        self._lock = asyncio.Lock()
        self.watchers = 0
        """Screens showing the list now: today's figures are read only while there are."""
        self.on_refresh: list[Callable[[], None]] = []

    async def run(self) -> None:
        """Keep today's figures fresh while someone watches (a task of the service)."""
        while True:
            await asyncio.sleep(TODAY_EVERY)
            if self.watchers:
                try:
                    await self.refresh(force=True)
                except Exception:  # the store blinked: the next round reads again
                    log.warning("agents' list: today's figures not read", exc_info=True)
                    continue
                for listener in self.on_refresh:
                    listener()

    async def refresh(self, force: bool = False) -> None:
        """Read the agents and today's figures again, when they are older than
        :data:`TODAY_EVERY` seconds (or ``force``)."""
        loop = asyncio.get_running_loop()
        async with self._lock:
            if (
                not force
                and self._read_at is not None
                and loop.time() - self._read_at < TODAY_EVERY
            ):
                return
            users = await self.desk.users.list()
            self._users = [u for u in users if u.active and u.has("agent") and u.interfaces]
            site = self.desk.site
            today = self.desk.now().astimezone(site.zone).date()
            names = {u.login: u.name for u in self._users}
            self._today = await self.records.totals(today, today, site.zone, names)
            self._read_at = loop.time()

    def rows(self) -> list[dict[str, Any]]:
        """One row per agent, by name; the states as they are now."""
        out = []
        for user in sorted(self._users, key=lambda u: u.name.lower()):
            state = self.desk.state_json(user)
            iface = user.interfaces[0]
            queues = [
                self.desk.site.queue_name(q.name)
                for q in self.desk.tracker.queues.values()
                if (m := q.members.get(iface)) is not None and m.logged_in
            ]
            day = self._today.get(user.login) or AgentDay(user.name)
            paused = day.paused_total
            if state["code"] == "paused" and state.get("seconds"):
                paused += int(state["seconds"])  # the pause in progress counts too
            out.append(
                {
                    "login": user.login,
                    "name": user.name,
                    "state": state,
                    "queues": sorted(queues),
                    "calls": day.calls,
                    "handle_seconds": None
                    if day.handle_seconds is None
                    else round(day.handle_seconds),
                    "paused_seconds": paused,
                }
            )
        return out
