"""Desk-phone feature codes, answered by the service (the dialplan's ``vuurtoren-features``
sends ``UserEvent(FeatureRequest)`` and waits for a ``Redirect`` to the result's prompt):

- the login code (``*45``) toggles: an agent with counters logs in on all of them or out of
  all of them; a lighthouse agent without counters joins the duty beside those on it, or
  hands back what they took over;
- the override code (``*46``), then a counter's menu key, then the user's PIN, closes that
  counter now (a temporary override: it ends at the counter's next scheduled change) or
  lifts the override that closed it. The counter's custom device state then lights the BLF
  lamp reception watches. Managers may do it for every counter; counter staff and agents for
  their own. Five wrong PINs from one phone block it for 15 minutes; every refusal is
  audited.

The phone is known by its device (the channel without its ``-xxxxxxxx`` suffix), which must
be a user's phone interface.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from typing import Any

from callcenter.agents.desk import AgentDesk
from callcenter.agents.duty import Duty
from callcenter.ami import AMIClient, AMIError, Message
from callcenter.dialplan.names import RESULT_CONTEXT
from callcenter.planning.overrides import OverrideStore
from callcenter.staff.audit import AuditLog
from callcenter.staff.errors import StaffError
from callcenter.staff.users import Staff, User
from routing.site import Site
from schedules.overrides import CLOSURE, OverrideMode

__all__ = ["DeskPhone"]

log = logging.getLogger(__name__)

PIN_TRIES = 5
PIN_BLOCK_SECONDS = 900.0
DESK_PHONE_REASON = "Gesloten via het toestel aan de balie"


class DeskPhone:
    def __init__(
        self,
        site: Site,
        ami: AMIClient,
        desk: AgentDesk,
        duty: Duty,
        overrides: OverrideStore,
        users: Staff,
        audit: AuditLog,
    ) -> None:
        self.site = site
        self.ami = ami
        self.desk = desk
        self.duty = duty
        self.overrides = overrides
        self.users = users
        self.audit = audit
        self._wrong: dict[str, deque[float]] = {}
        self._tasks: set[asyncio.Task[Any]] = set()

    def on_event(self, event: Message) -> None:
        if event.name != "UserEvent" or event.get("UserEvent") != "FeatureRequest":
            return
        task = asyncio.get_running_loop().create_task(self.handle(event))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def handle(self, event: Message) -> str:
        channel = event.get("Channel") or ""
        device = event.get("Device") or ""
        feature = event.get("Feature") or ""
        try:
            word = await self._answer(feature, device, event)
        except StaffError as exc:
            log.info("desk phone %s, %s: %s", device, feature, exc.message)
            word = "refused"
        except Exception:
            log.exception("desk phone %s, %s failed", device, feature)
            word = "failed"
        if channel:
            try:
                await self.ami.redirect(channel, RESULT_CONTEXT, word)
            except AMIError as exc:
                log.warning("desk phone %s: the answer did not reach it (%s)", device, exc)
        return word

    async def _user(self, device: str) -> User | None:
        user = self.desk.by_interface.get(device)
        if user is None:
            await self.desk.refresh()
            user = self.desk.by_interface.get(device)
        return user

    async def _answer(self, feature: str, device: str, event: Message) -> str:
        user = await self._user(device)
        if user is None:
            await self.audit.record(
                "deskphone-refused", actor=None, target=device, detail={"why": "unknown phone"}
            )
            return "unknown"
        if feature == "agent-toggle":
            return await self._toggle(user)
        if feature == "override":
            return await self._override(
                user, device, event.get("Key") or "", event.get("Pin") or ""
            )
        return "failed"

    async def _toggle(self, user: User) -> str:
        actor = user.login
        if self.desk.counter_queues(user):
            queues = [q for q, _c, _n in self.desk.counter_queues(user)]
            if self.desk.logged_in_anywhere(user, queues):
                await self.desk.logout(user, actor=actor, via="phone")
                return "loggedout"
            await self.desk.login(user, actor=actor, via="phone")
            return "loggedin"
        if not user.has("agent"):
            return "refused"
        if user.id in self.duty.on_duty():
            await self.duty.hand_back(user, actor=actor)
            return "loggedout"
        await self.duty.take_over(user, beside=True, actor=actor)
        return "loggedin"

    def _blocked(self, device: str) -> bool:
        now = time.monotonic()
        tries = self._wrong.setdefault(device, deque())
        while tries and now - tries[0] > PIN_BLOCK_SECONDS:
            tries.popleft()
        return len(tries) >= PIN_TRIES

    async def _override(self, user: User, device: str, key: str, pin: str) -> str:
        if self._blocked(device):
            return "blocked"
        if not await self.users.pin_matches(user.id, pin):
            self._wrong[device].append(time.monotonic())
            await self.audit.record(
                "deskphone-refused", actor=user.login, target=device, detail={"why": "wrong PIN"}
            )
            return "blocked" if self._blocked(device) else "wrongpin"
        self._wrong.pop(device, None)
        topic = self.site.find_topic(key)
        if topic is None:
            return "refused"
        counter = topic.counter
        if not (user.has("manager") or (user.has("counter", "agent") and counter in user.counters)):
            await self.audit.record(
                "deskphone-refused",
                actor=user.login,
                target=counter,
                detail={"why": "not their counter"},
            )
            return "refused"
        now = self.overrides.now()
        mine = [
            o
            for o in self.overrides.current()
            if o.scope == counter
            and o.kind != CLOSURE
            and o.mode is OverrideMode.CLOSED
            and o.active_at(now)
            and o.id is not None
        ]
        if mine:
            for o in mine:
                assert o.id is not None
                await self.overrides.lift(o.id, actor=user.login, address=device)
            return "opened"
        await self.overrides.set(
            counter,
            "closed",
            kind="temporary",
            reason=DESK_PHONE_REASON,
            actor=user.login,
            address=device,
        )
        return "closed"
