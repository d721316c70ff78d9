"""Agents in the queues: logging in and out, pausing, and the automatic pause after a call left
ringing, all through Asterisk (AMI ``QueueAdd``/``QueueRemove``/``QueuePause``).

An agent is a user with a phone interface (``PJSIP/201``); the first one is the phone their
queue calls ring. Every membership is added with that phone as its ``StateInterface``, so
Asterisk knows when the phone is busy (also with a call that did not come from a queue) and
rings it no second call.

What Asterisk says wins: membership and pauses are never kept here, they are read from the
tracker's live queues, which follow the member events and are rebuilt from ``QueueStatus``
after every (re)connect. A member added by hand on the PBX is shown and left alone.

The counters' queues are logged into here; the lighthouse queue follows the duty
(``schedules/duty.py``), which uses :meth:`AgentDesk.join` and :meth:`AgentDesk.leave`.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from callcenter.ami import AMIClient, AMIError, Message
from callcenter.ami.errors import ActionFailed
from callcenter.staff.audit import AuditLog
from callcenter.staff.errors import StaffError
from callcenter.staff.users import Staff, User
from callcenter.tracker import CallTracker, Member
from routing.site import Site

__all__ = ["MISSED_CALL", "AgentDesk", "QueueSeat"]

log = logging.getLogger(__name__)

MISSED_CALL = "gemiste oproep"
"""The pause reason of an agent who let a queue call ring out (Dutch: the agent reads it)."""


@dataclass(frozen=True, slots=True)
class QueueSeat:
    """One queue as one agent sees it: may they serve it, and their membership now."""

    queue: str
    kind: str
    """``counter`` or ``lighthouse``."""
    id: str
    name: str
    member: Member | None

    def as_json(self) -> dict[str, Any]:
        m = self.member
        return {
            "queue": self.queue,
            "kind": self.kind,
            "id": self.id,
            "name": self.name,
            "logged_in": m is not None and m.logged_in,
            "paused": bool(m and m.paused),
            "paused_reason": m.paused_reason if m and m.paused else "",
            "in_call": bool(m and m.in_call),
            "status": m.status if m else None,
        }


async def _asked(action: Awaitable[Message], done_already: str = "") -> bool:
    """Send one queue action: True when it did something, False when Asterisk says it was
    done already (``done_already`` in its message); any other refusal or a lost link is a
    :class:`StaffError` that says so in Dutch."""
    try:
        await action
    except ActionFailed as exc:
        if done_already and done_already in str(exc).lower():
            return False
        raise StaffError("asterisk-refused", f"Asterisk weigert: {exc}", status=502) from None
    except AMIError as exc:
        raise StaffError(
            "asterisk-unreachable", f"Asterisk is niet bereikbaar ({exc}).", status=503
        ) from None
    return True


class AgentDesk:
    def __init__(
        self,
        site: Site,
        ami: AMIClient,
        tracker: CallTracker,
        users: Staff,
        audit: AuditLog,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        self.site = site
        self.ami = ami
        self.tracker = tracker
        self.users = users
        self.audit = audit
        self.now = now or (lambda: datetime.now(UTC))
        self.by_interface: dict[str, User] = {}
        """Active users by phone interface (refreshed by :meth:`refresh`)."""
        self.missed: dict[str, datetime] = {}
        """Interfaces paused for a missed call, and when: the console shows it."""
        self.on_change: list[Callable[[], None]] = []

    # -- who is who ------------------------------------------------------------------------
    async def refresh(self, users: list[User] | None = None) -> None:
        """Reload the users (after a user changed): which phone is whose. ``users``: a list
        just read (saves reading it again)."""
        if users is None:
            users = await self.users.list()
        self.by_interface = {i: u for u in users if u.active for i in u.interfaces}

    @staticmethod
    def phone(user: User) -> str:
        if not user.interfaces:
            raise StaffError(
                "no-phone",
                f"{user.name} heeft geen toestel: een beheerder geeft er een (bijvoorbeeld "
                "PJSIP/201) op de gebruikerspagina.",
                field="interfaces",
                status=409,
            )
        return user.interfaces[0]

    def counter_queues(self, user: User) -> list[tuple[str, str, str]]:
        """(queue, counter id, name) of the counters the user serves."""
        if not user.has("agent", "counter"):
            return []
        out = []
        for cid in user.counters:
            try:
                c = self.site.counter(cid)
            except KeyError:
                continue  # a counter the site file no longer has
            out.append((c.queue, c.id, c.name))
        return out

    def member(self, queue: str, interface: str) -> Member | None:
        live = self.tracker.queues.get(queue)
        return None if live is None else live.members.get(interface)

    def seats(self, user: User) -> list[QueueSeat]:
        """The queues the user may serve (the lighthouse for agents) with their state now."""
        iface = user.interfaces[0] if user.interfaces else ""
        out = [
            QueueSeat(q, "counter", cid, name, self.member(q, iface))
            for q, cid, name in self.counter_queues(user)
        ]
        if user.has("agent"):
            lh = self.site.lighthouse
            out.insert(
                0,
                QueueSeat(
                    lh.queue, "lighthouse", "lighthouse", lh.name, self.member(lh.queue, iface)
                ),
            )
        return out

    def members_by_hand(self) -> list[tuple[str, Member]]:
        """Members that are no Vuurtoren user's phone: added on the PBX, shown, not touched."""
        return [
            (q.name, m)
            for q in self.tracker.queues.values()
            for m in q.members.values()
            if m.interface not in self.by_interface
        ]

    def view(self, user: User) -> dict[str, Any]:
        iface = user.interfaces[0] if user.interfaces else None
        seats = self.seats(user)
        paused = next((s.member for s in seats if s.member and s.member.paused), None)
        return {
            "interface": iface,
            "queues": [s.as_json() for s in seats],
            "paused": paused is not None,
            "paused_reason": paused.paused_reason if paused else "",
            "missed_call": iface is not None and iface in self.missed,
            "pause_reasons": [
                {"id": rid, "label": label} for rid, label in self.site.agents.pause_reasons
            ],
        }

    # -- actions -----------------------------------------------------------------------------
    def _changed(self) -> None:
        for listener in self.on_change:
            listener()

    def _counter_queue(self, user: User, queue: str) -> str:
        for q, _cid, _name in self.counter_queues(user):
            if q == queue:
                return q
        if queue == self.site.lighthouse.queue:
            raise StaffError(
                "duty-queue",
                "De vuurtorenwachtrij volgt de wacht: neem de wacht over of geef ze terug.",
                field="queue",
                status=409,
            )
        raise StaffError(
            "not-your-queue", f"U bedient wachtrij {queue!r} niet.", field="queue", status=403
        )

    async def join(self, user: User, queue: str) -> bool:
        """Add the user's phone to a queue (True: added; False: already a member)."""
        iface = self.phone(user)
        return await _asked(
            self.ami.queue_add(
                queue, iface, member_name=user.name, state_interface=iface, paused=False
            ),
            done_already="already there",
        )

    async def leave(self, user: User, queue: str) -> bool:
        """Take the user's phone out of a queue (a call in progress goes on)."""
        return await _asked(self.ami.queue_remove(queue, self.phone(user)), "not there")

    def _queues(self, user: User, queue: str | None) -> list[str]:
        if queue:
            return [self._counter_queue(user, queue)]
        queues = [q for q, _c, _n in self.counter_queues(user)]
        if not queues:
            raise StaffError(
                "no-queues",
                "U bedient geen loket. Voor de vuurtoren: neem de wacht over.",
                status=409,
            )
        return queues

    async def login(
        self,
        user: User,
        queue: str | None = None,
        *,
        actor: str,
        address: str | None = None,
        via: str = "web",
    ) -> list[str]:
        """Log in on one counter queue, or on all of them; returns the queues joined."""
        return await self._move(user, queue, True, actor, address, via)

    async def logout(
        self,
        user: User,
        queue: str | None = None,
        *,
        actor: str,
        address: str | None = None,
        via: str = "web",
    ) -> list[str]:
        return await self._move(user, queue, False, actor, address, via)

    async def _move(
        self,
        user: User,
        queue: str | None,
        into: bool,
        actor: str,
        address: str | None,
        via: str,
    ) -> list[str]:
        step = self.join if into else self.leave
        moved = [q for q in self._queues(user, queue) if await step(user, q)]
        if moved:
            await self.audit.record(
                "agent-login" if into else "agent-logout",
                actor=actor,
                target=user.login,
                detail={"queues": moved, "via": via},
                address=address,
            )
        self._changed()
        return moved

    def logged_in_anywhere(self, user: User, queues: Iterable[str]) -> bool:
        iface = user.interfaces[0] if user.interfaces else ""
        return any((m := self.member(q, iface)) is not None and m.logged_in for q in queues)

    async def pause(
        self, user: User, reason: str, *, actor: str, address: str | None = None
    ) -> None:
        """Pause in every queue (Asterisk's QueuePause without a queue), with a reason from
        the site's list."""
        if reason not in dict(self.site.agents.pause_reasons):
            known = ", ".join(rid for rid, _ in self.site.agents.pause_reasons)
            raise StaffError(
                "invalid-field", f"Kies een reden uit de lijst ({known}).", field="reason"
            )
        await self._pause(user, True, self.site.agents.pause_label(reason))
        await self.audit.record(
            "agent-pause",
            actor=actor,
            target=user.login,
            detail={"reason": reason},
            address=address,
        )

    async def unpause(self, user: User, *, actor: str, address: str | None = None) -> None:
        await self._pause(user, False, "")
        self.missed.pop(self.phone(user), None)
        await self.audit.record("agent-unpause", actor=actor, target=user.login, address=address)

    async def _pause(self, user: User, paused: bool, reason: str) -> None:
        try:
            await _asked(self.ami.queue_pause(self.phone(user), paused, reason=reason or None))
        except StaffError as exc:
            if "interface not found" in exc.message.lower():
                raise StaffError(
                    "not-logged-in", "U bent in geen enkele wachtrij aangemeld.", status=409
                ) from None
            raise
        self._changed()

    # -- events --------------------------------------------------------------------------------
    def on_event(self, event: Message) -> None:
        """``AgentRingNoAnswer``: the agent let a queue call ring out; pause them (every
        queue) with reason "gemiste oproep" so the next caller rings someone who is there."""
        if event.name == "QueueMemberPause" and event.get("Paused") == "0":
            if self.missed.pop(event.get("Interface") or "", None) is not None:
                self._changed()
            return
        if event.name != "AgentRingNoAnswer" or not self.site.agents.auto_pause:
            return
        iface = event.get("Interface") or ""
        user = self.by_interface.get(iface)
        if user is None:
            return  # not one of ours: Asterisk's own autopause setting applies
        live = self.tracker.queues.get(event.get("Queue") or "")
        member = live.members.get(iface) if live else None
        if member is not None and member.paused:
            return
        self.missed[iface] = self.now()
        try:
            self.ami.send_nowait(
                Message.action("QueuePause", Interface=iface, Paused="true", Reason=MISSED_CALL)
            )
        except AMIError as exc:
            log.warning("auto-pause of %s failed: %s", user.login, exc)
            return
        log.info("agent %s let a call ring out: paused (%s)", user.login, MISSED_CALL)
        self._changed()
