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

from callcenter.agents.desk import AgentDesk
from callcenter.agents.records import AgentDay, AgentRecords
from callcenter.calls.tracker import Member
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

    def now(self) -> int:
        """The service's clock, in the rows' epoch seconds."""
        return int(self.desk.now().timestamp())

    def rows(self) -> list[dict[str, Any]]:
        """One row per agent, by name; the states as they are now. Short, for hundreds of
        screens several times a second: the state's code, since (and until, for after-call
        work) in epoch seconds of the service's clock, the queue (id) and call of a ring or
        talk, a pause's reason; the queues logged in on as ids (names: ``site.queue_name``);
        today's pause time of the pauses that ended (a screen adds the one in progress)."""
        out = []
        by_phone: dict[str, list[tuple[str, Member]]] = {}
        for q in self.desk.tracker.queues.values():  # one pass, not one per agent
            for iface, m in q.members.items():
                if m.logged_in:
                    by_phone.setdefault(iface, []).append((q.name, m))
        for user in sorted(self._users, key=lambda u: u.name.lower()):
            mine = by_phone.get(user.interfaces[0], [])
            full = self.desk.state(user, [m for _, m in mine], brief=True)
            # times as epoch seconds of the service's clock, not seconds that tick: a row
            # changes only when the agent's state does (the screens count on themselves)
            state: dict[str, Any] = {"code": full["code"]}
            for key in ("since", "until"):
                if full.get(key) is not None:
                    state[key] = int(full[key].timestamp())
            for key in ("queue", "call_id", "reason"):
                if full.get(key) is not None:
                    state[key] = full[key]
            day = self._today.get(user.login) or AgentDay(user.name)
            aht = day.handle_seconds
            out.append(
                {
                    "login": user.login,
                    "name": user.name,
                    "state": state,
                    "queues": sorted(name for name, _ in mine),
                    "calls": day.calls,
                    "handle_seconds": None if aht is None else round(aht),
                    "paused_seconds": day.paused_total,
                }
            )
        return out
