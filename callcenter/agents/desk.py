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
(``callcenter/agents/duty.py``), which uses :meth:`AgentDesk.join` and :meth:`AgentDesk.leave`.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from callcenter.agents.activity import AFTER_CALL, STATES, PhoneActivity, Talk
from callcenter.agents.records import AFTER_CALL_KIND, PAUSE_KIND, AgentRecords
from callcenter.ami import AMIClient, AMIError, Message
from callcenter.ami.errors import ActionFailed
from callcenter.calls.tracker import CallTracker, Member
from callcenter.staff.audit import AuditLog
from callcenter.staff.errors import StaffError
from callcenter.staff.users import Staff, User
from callcenter.store.durable import DurableQueue
from routing.site import Site

__all__ = ["AFTER_CALL", "MISSED_CALL", "AfterCall", "AgentDesk", "QueueSeat"]

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


@dataclass(slots=True)
class AfterCall:
    """After-call work in progress on one phone: about which call, until when."""

    talk: Talk
    started: datetime
    until: datetime
    extended: bool = False
    token: object = None


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
        records: AgentRecords | None = None,
        sleep: Callable[[float], Awaitable[None]] | None = None,
    ) -> None:
        self.site = site
        self.ami = ami
        self.tracker = tracker
        self.users = users
        self.audit = audit
        self.now = now or (lambda: datetime.now(UTC))
        self.records = records
        self.sleep = sleep or asyncio.sleep
        """Sleeps in the service's time (virtual in the simulator)."""
        self.activity = PhoneActivity(self.now)
        self.after_call: dict[str, AfterCall] = {}
        """After-call work in progress, by phone."""
        self.recent: dict[str, deque[Talk]] = {}
        """The last calls each phone answered: the wrap-up code may be chosen for them."""
        self.paused_since: dict[str, tuple[str, datetime]] = {}
        """Phones paused now: with which reason, since when (written as a period at the end)."""
        self.writes = DurableQueue("agent periods")
        self._timers: set[asyncio.Task[None]] = set()
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
            "state": self.state_json(user),
        }

    def state_json(self, user: User) -> dict[str, Any]:
        """:meth:`state` for a page: times as ISO text, and the seconds in the state (and
        left of after-call work) by the service's clock, so that a screen counts on from
        them whatever its own clock says."""
        state = self.state(user)
        now = self.now()
        since, until = state.get("since"), state.get("until")
        out = {k: v for k, v in state.items() if k not in ("since", "until")}
        out["since"] = since.isoformat() if since else None
        out["seconds"] = max(0, round((now - since).total_seconds())) if since else None
        if until is not None:
            out["until"] = until.isoformat()
            out["remaining"] = max(0, round((until - now).total_seconds()))
        return out

    def state(
        self, user: User, memberships: list[Member] | None = None, *, brief: bool = False
    ) -> dict[str, Any]:
        """The agent's one state now (``activity.STATES``), since when, and what it is about:
        the queue and call of a ring or talk, the end of after-call work and its wrap-up
        codes, a pause's reason. ``memberships``: the phone's logged-in memberships, when
        the caller has them at hand (the live list, for 200 agents at once); ``brief``:
        without the label, the queue's name and the wrap-up codes."""
        iface = user.interfaces[0] if user.interfaces else ""
        if memberships is None:
            memberships = [
                m
                for q in self.tracker.queues.values()
                if (m := q.members.get(iface)) is not None and m.logged_in
            ]
        phone = self.activity.phones.get(iface)
        since = phone.changed if phone else None
        out: dict[str, Any] = {"code": "logged_out", "since": since}
        if phone is not None and phone.talking is not None:
            t = phone.talking
            out = {"code": "talking", "since": t.since, "queue": t.queue, "call_id": t.call_id}
        elif phone is not None and phone.ringing is not None:
            r = phone.ringing
            out = {"code": "ringing", "since": r.since, "queue": r.queue, "call_id": r.call_id}
        elif not memberships:
            pass
        elif (work := self.after_call.get(iface)) is not None and any(
            m.paused and m.paused_reason == AFTER_CALL for m in memberships
        ):
            out = {
                "code": "after_call",
                "since": work.started,
                "until": work.until,
                "queue": work.talk.queue,
                "call_id": work.talk.call_id,
                "can_extend": not work.extended and self.site.agents.after_call_extend_seconds > 0,
            }
        elif paused := next((m for m in memberships if m.paused), None):
            out = {"code": "paused", "since": paused.paused_at or since}
            out["reason"] = paused.paused_reason
        else:
            out = {"code": "available", "since": since}
        if brief:
            return out
        out["label"] = STATES[out["code"]]
        if "queue" in out:
            out["queue_name"] = self.site.queue_name(out["queue"])
            out["codes"] = [
                {"id": cid, "label": label} for cid, label in self.site.wrapup_codes(out["queue"])
            ]
        return out

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
    EVENTS = PhoneActivity.EVENTS
    """The events :meth:`on_event` follows."""

    def on_event(self, event: Message) -> None:
        """Follow the agents' phones (``activity.py``); after a queue call, after-call work;
        ``AgentRingNoAnswer``: the agent let a queue call ring out; pause them (every
        queue) with reason "gemiste oproep" so the next caller rings someone who is there."""
        ended = self.activity.on_event(event)
        if event.name == "QueueMemberPause":
            self._pause_seen(event)
        if ended is not None:
            self._call_ended(event.get("Interface") or "", ended)
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

    # -- pauses and after-call work ---------------------------------------------------------
    def _pause_seen(self, event: Message) -> None:
        """A pause begins or ends on a phone (one event per queue: the first counts); an
        ended one is written as a period of the agent's day."""
        iface = event.get("Interface") or ""
        if event.get("Paused") == "1":
            self.paused_since.setdefault(iface, (event.get("PausedReason") or "", self.now()))
            return
        began = self.paused_since.pop(iface, None)
        user = self.by_interface.get(iface)
        work = self.after_call.pop(iface, None)
        if work is not None and work.token is not None:
            self._changed()
        if began is None or user is None or self.records is None:
            return
        reason, started = began
        kind = AFTER_CALL_KIND if reason == AFTER_CALL else PAUSE_KIND
        label = work.talk.queue if work is not None and kind == AFTER_CALL_KIND else reason
        ended, records = self.now(), self.records
        self.writes.submit(
            f"{kind} of {user.login}",
            lambda: records.add_period(user.login, kind, label, started, ended),
        )

    def _call_ended(self, iface: str, talk: Talk) -> None:
        """A queue call on a user's phone ended: remember it for its wrap-up code, and pause
        the agent for the queue's after-call work (not over a pause they already took)."""
        user = self.by_interface.get(iface)
        if user is None:
            return  # not one of ours: Asterisk's own wrap-up applies
        self.recent.setdefault(iface, deque(maxlen=20)).append(talk)
        seconds = self.site.after_call_seconds(talk.queue)
        if seconds <= 0 or iface in self.paused_since:
            return
        started = self.now()
        work = AfterCall(talk, started, started + timedelta(seconds=seconds))
        self.after_call[iface] = work
        try:
            self.ami.send_nowait(
                Message.action("QueuePause", Interface=iface, Paused="true", Reason=AFTER_CALL)
            )
        except AMIError as exc:
            log.warning("after-call work of %s not started: %s", user.login, exc)
            self.after_call.pop(iface, None)
            return
        self._end_later(iface, work)
        self._changed()

    def _end_later(self, iface: str, work: AfterCall) -> None:
        token = work.token = object()

        async def end() -> None:
            while True:
                left = (work.until - self.now()).total_seconds()
                if left <= 0:
                    break
                await self.sleep(left)
                if work.token is not token:
                    return  # ended by "Klaar", or extended (a new timer runs)
            if self.after_call.get(iface) is work and work.token is token:
                await self._end_after_call(iface)

        task = asyncio.get_running_loop().create_task(end(), name=f"after-call {iface}")
        self._timers.add(task)
        task.add_done_callback(self._timers.discard)

    async def _end_after_call(self, iface: str) -> None:
        work = self.after_call.get(iface)
        if work is None:
            return
        work.token = None
        try:
            await _asked(self.ami.queue_pause(iface, False))
        except StaffError as exc:
            log.warning("after-call work on %s not ended: %s", iface, exc.message)
            return
        self._changed()

    def _work_of(self, user: User) -> tuple[str, AfterCall]:
        iface = self.phone(user)
        work = self.after_call.get(iface)
        if work is None:
            raise StaffError("no-after-call", "U bent niet in nawerk.", status=409)
        return iface, work

    async def finish_after_call(self, user: User) -> None:
        """ "Klaar": after-call work ends now; the queues ring the agent again."""
        iface, _work = self._work_of(user)
        await self._end_after_call(iface)

    async def extend_after_call(self, user: User) -> datetime:
        """ "Langer": once a call, the site's extension is added; the new end."""
        iface, work = self._work_of(user)
        more = self.site.agents.after_call_extend_seconds
        if more <= 0:
            raise StaffError("no-extension", "Nawerk verlengen kan hier niet.", status=409)
        if work.extended:
            raise StaffError("no-extension", "U hebt het nawerk al verlengd.", status=409)
        work.extended = True
        work.until += timedelta(seconds=more)
        self._end_later(iface, work)
        self._changed()
        return work.until

    async def choose_code(self, user: User, call_id: str, code: str) -> str:
        """The wrap-up code of a call this agent answered (one of their last calls, or the
        one in progress); the queue it is stored under."""
        iface = user.interfaces[0] if user.interfaces else ""
        phone = self.activity.phones.get(iface)
        talks = list(self.recent.get(iface, ()))
        if phone is not None and phone.talking is not None:
            talks.append(phone.talking)
        talk = next((t for t in reversed(talks) if t.call_id == call_id), None)
        if talk is None:
            raise StaffError(
                "not-your-call",
                "Die oproep hebt u niet aangenomen (of ze is te lang geleden).",
                field="call_id",
                status=409,
            )
        codes = dict(self.site.wrapup_codes(talk.queue))
        if code not in codes:
            raise StaffError(
                "invalid-field",
                f"Kies een afhandelcode uit de lijst ({', '.join(codes)}).",
                field="code",
            )
        if self.records is None:
            raise StaffError("no-store", "De afhandelcodes worden hier niet bewaard.", status=503)
        await self.records.choose_code(call_id, talk.queue, user.login, code, self.now())
        return talk.queue

    def current_talk(self, user: User) -> Talk:
        """The queue call the agent is in now; 409 when none."""
        iface = user.interfaces[0] if user.interfaces else ""
        phone = self.activity.phones.get(iface)
        if phone is None or phone.talking is None or not phone.talking.channel:
            raise StaffError("not-in-call", "U bent niet in gesprek met een beller.", status=409)
        return phone.talking

    async def transfer(self, talk: Talk, queue: str) -> None:
        """Pass the caller of ``talk`` on into ``queue`` (AMI ``BlindTransfer`` of the
        agent's leg into ``queues,<queue>``: the caller waits there as any caller does)."""
        await _asked(
            self.ami.action("BlindTransfer", Channel=talk.channel, Context="queues", Exten=queue)
        )

    async def close(self) -> None:
        """At stop: the timers end (Asterisk's pause stays: the next start finds it); the
        periods already ended reach the store."""
        for task in list(self._timers):
            task.cancel()
        await self.writes.close()
