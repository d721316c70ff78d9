"""Queues as app_queue runs them: members, ring strategies, ring timeouts, wrap-up, pauses,
queue timeouts, abandons; with the exact event sequences of ``ami-reference.md`` §4 and the
observed facts of ``asterisk-behaviour.md``.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from callcenter.simulator.channels import Channel

if TYPE_CHECKING:
    from callcenter.simulator.core import SimAsterisk

__all__ = ["Device", "Entry", "Member", "SimQueue", "VisitResult"]

Header = tuple[str, str]
Outcome = Literal["answered", "abandoned", "timeout", "redirected", "gone", "key"]


@dataclass(slots=True)
class Device:
    """The phone behind one or more queue memberships; its state drives ``Status``."""

    interface: str
    status: int = 1  # 1 not in use, 2 in use, 5 unavailable, 6 ringing
    in_call: bool = False
    ringing: bool = False
    wrapup_until: float = 0.0
    answer_probability: float = 0.92
    answer_delay: tuple[float, float] = (2.0, 8.0)
    rng: random.Random = field(default_factory=random.Random)


@dataclass(slots=True)
class Member:
    queue: str
    interface: str
    name: str
    state_interface: str
    device: Device
    membership: str = "static"
    penalty: int = 0
    calls_taken: int = 0
    last_call: int = 0
    last_pause: int = 0
    login_time: int = 0
    paused: bool = False
    paused_reason: str = ""
    ringinuse: bool = False
    wrapuptime: int = 0

    def block(self) -> list[Header]:
        d = self.device
        return [
            ("Queue", self.queue),
            ("MemberName", self.name),
            ("Interface", self.interface),
            ("StateInterface", self.state_interface),
            ("Membership", self.membership),
            ("Penalty", str(self.penalty)),
            ("CallsTaken", str(self.calls_taken)),
            ("LastCall", str(self.last_call)),
            ("LastPause", str(self.last_pause)),
            ("LoginTime", str(self.login_time)),
            ("InCall", "1" if d.in_call else "0"),
            ("Status", str(d.status)),
            ("Paused", "1" if self.paused else "0"),
            ("PausedReason", self.paused_reason),
            ("Ringinuse", "1" if self.ringinuse else "0"),
            ("Wrapuptime", str(self.wrapuptime)),
        ]

    def status_block(self) -> list[Header]:
        """The member as a QueueStatus ``QueueMember`` item lists it: ``Name`` and
        ``Location`` where the member events say ``MemberName`` and ``Interface``, and no
        ``Ringinuse`` (ami-reference.md §7)."""
        renames = {"MemberName": "Name", "Interface": "Location"}
        return [(renames.get(k, k), v) for k, v in self.block() if k != "Ringinuse"]

    def available(self, now: float) -> bool:
        d = self.device
        return (
            not self.paused
            and not d.in_call
            and not d.ringing
            and d.status in (0, 1)
            and now >= d.wrapup_until
        )


@dataclass(frozen=True, slots=True)
class VisitResult:
    outcome: Outcome
    hold_seconds: int
    member: Member | None = None
    member_channel: Channel | None = None
    ring_seconds: int = 0
    position: int = 0
    """Where the caller was in line when they left (the exit key: ``QUEUEPOSITION``)."""
    at: float = 0.0
    """When the caller left the queue (the exit key), on the simulator's clock: what the
    dialplan after ``Queue()`` reads as ``${EPOCH}`` a few instructions later."""


@dataclass(slots=True)
class _Ring:
    member: Member
    channel: Channel
    started: float
    timer: asyncio.TimerHandle | None = None


@dataclass(slots=True)
class Entry:
    channel: Channel
    joined: float
    original_position: int
    future: asyncio.Future[VisitResult]
    rings: dict[str, _Ring] = field(default_factory=dict)
    retry_at: float = 0.0
    timeout_timer: asyncio.TimerHandle | None = None


class SimQueue:
    def __init__(
        self,
        ast: SimAsterisk,
        name: str,
        *,
        strategy: str = "rrmemory",
        timeout: int = 300,
        ring_timeout: int = 15,
        retry: int = 5,
        wrapuptime: int = 10,
        service_level: int = 20,
        weight: int = 0,
    ) -> None:
        self.ast = ast
        self.name = name
        self.strategy = strategy
        self.timeout = timeout
        self.ring_timeout = ring_timeout
        self.retry = retry
        self.wrapuptime = wrapuptime
        self.service_level = service_level
        self.weight = weight
        self.members: dict[str, Member] = {}
        self.entries: list[Entry] = []
        self._rr_next = 0
        self.reset_counters()

    def reset_counters(self) -> None:
        self.completed = 0
        self.abandoned = 0
        self.holdtime = 0
        self.talktime = 0
        self.completed_in_sl = 0
        self.abandoned_in_sl = 0

    # -- members --------------------------------------------------------------------
    def member_event(self, name: str, member: Member) -> None:
        self.ast.emit(name, "agent", member.block())

    def add_member(self, member: Member, *, announce: bool = True) -> None:
        self.members[member.interface] = member
        if announce:
            self.member_event("QueueMemberAdded", member)
            self.ast.queue_log("MANAGER", self.name, member.name, "ADDMEMBER", "")
        self.dispatch()

    def remove_member(self, interface: str) -> Member:
        member = self.members.pop(interface)
        self.member_event("QueueMemberRemoved", member)
        self.ast.queue_log("MANAGER", self.name, member.name, "REMOVEMEMBER", "")
        return member

    def pause(self, member: Member, paused: bool, reason: str) -> None:
        member.paused = paused
        member.paused_reason = reason if paused else ""
        if paused:
            member.last_pause = int(self.ast.clock.epoch())
        self.member_event("QueueMemberPause", member)
        self.ast.queue_log("NONE", self.name, member.name, "PAUSE" if paused else "UNPAUSE", reason)
        if not paused:
            self.dispatch()

    def logged_in(self) -> int:
        return sum(1 for m in self.members.values() if m.device.status not in (4, 5))

    def available(self) -> int:
        now = self.ast.clock.epoch()
        return sum(1 for m in self.members.values() if m.available(now))

    # -- callers ----------------------------------------------------------------------
    def join(
        self, channel: Channel, *, position: int | None = None, timeout: float | None = None
    ) -> Entry:
        """``position``: Queue()'s position argument (1 is the head; past the end or None:
        the end). ``timeout``: Queue()'s timeout argument, else the queue's."""
        now = self.ast.clock.epoch()
        future: asyncio.Future[VisitResult] = asyncio.get_running_loop().create_future()
        at = len(self.entries) if not position or position > len(self.entries) else position - 1
        entry = Entry(channel, now, at + 1, future)
        self.entries.insert(at, entry)
        channel.context, channel.exten, channel.priority = "queues", self.name, 1
        channel.application, channel.app_data = "Queue", self.name
        self.ast.emit(
            "QueueCallerJoin",
            "agent",
            [
                *channel.snapshot(),
                ("Queue", self.name),
                ("Position", str(entry.original_position)),
                ("Count", str(len(self.entries))),
            ],
        )
        self.ast.queue_log(
            channel.uniqueid,
            self.name,
            "NONE",
            "ENTERQUEUE",
            f"|{channel.caller_num or ''}|{entry.original_position}",
        )
        entry.timeout_timer = self.ast.clock.call_later(
            self.timeout if timeout is None else timeout, self._on_timeout, entry
        )
        self.dispatch()
        return entry

    def position(self, entry: Entry) -> int:
        return self.entries.index(entry) + 1

    def _leave(self, entry: Entry) -> int:
        position = self.position(entry)
        self.entries.remove(entry)
        if entry.timeout_timer is not None:
            entry.timeout_timer.cancel()
        for ring in list(entry.rings.values()):
            self._end_ring(entry, ring, "CANCEL")
        self.ast.emit(
            "QueueCallerLeave",
            "agent",
            [
                *entry.channel.snapshot(),
                ("Queue", self.name),
                ("Position", str(position)),
                ("Count", str(len(self.entries))),
            ],
        )
        return position

    def _abandon_events(self, entry: Entry, hold: int) -> int:
        position = self.position(entry)
        self.ast.emit(
            "QueueCallerAbandon",
            "agent",
            [
                *entry.channel.snapshot(),
                ("Queue", self.name),
                ("Position", str(position)),
                ("OriginalPosition", str(entry.original_position)),
                ("HoldTime", str(hold)),
            ],
        )
        self.ast.set_var(entry.channel, "ABANDONED", "TRUE")
        self.abandoned += 1
        if hold <= self.service_level:
            self.abandoned_in_sl += 1
        self._leave(entry)
        return position

    def abandon(self, entry: Entry) -> None:
        """The caller hung up while waiting (the caller's HangupRequest is already out)."""
        if entry.future.done():
            return
        hold = int(self.ast.clock.epoch() - entry.joined)
        position = self._abandon_events(entry, hold)
        self.ast.queue_log(
            entry.channel.uniqueid,
            self.name,
            "NONE",
            "ABANDON",
            f"{position}|{entry.original_position}|{hold}",
        )
        entry.future.set_result(VisitResult("abandoned", hold))
        self.dispatch()

    def _on_timeout(self, entry: Entry) -> None:
        if entry.future.done():
            return
        hold = int(self.ast.clock.epoch() - entry.joined)
        position = self._abandon_events(entry, hold)
        self.ast.set_var(entry.channel, "QUEUESTATUS", "TIMEOUT")
        self.ast.queue_log(
            entry.channel.uniqueid,
            self.name,
            "NONE",
            "EXITWITHTIMEOUT",
            f"{position}|{entry.original_position}|{hold}",
        )
        entry.future.set_result(VisitResult("timeout", hold))
        self.dispatch()

    def exit_with_key(self, entry: Entry, key: str) -> int:
        """The caller pressed a key of the queue's ``context``: only QueueCallerLeave (no
        abandon), ``QUEUEPOSITION`` set, queue_log ``EXITWITHKEY``. Returns the position."""
        if entry.future.done():
            return 0
        now = self.ast.clock.epoch()
        hold = int(now - entry.joined)
        position = self._leave(entry)
        self.ast.set_var(entry.channel, "QUEUEPOSITION", str(position))
        self.ast.queue_log(
            entry.channel.uniqueid,
            self.name,
            "NONE",
            "EXITWITHKEY",
            f"{key}|{position}|{entry.original_position}|{hold}",
        )
        entry.future.set_result(VisitResult("key", hold, position=position, at=now))
        self.dispatch()
        return position

    def withdraw(self, entry: Entry, outcome: Outcome = "redirected") -> None:
        """The channel left the queue application without an abandon (Redirect, restart)."""
        if entry.future.done():
            return
        hold = int(self.ast.clock.epoch() - entry.joined)
        self._leave(entry)
        entry.future.set_result(VisitResult(outcome, hold))
        self.dispatch()

    # -- ringing ------------------------------------------------------------------------
    def dispatch(self) -> None:
        """Ring free members for waiting callers, in line order (autofill)."""
        now = self.ast.clock.epoch()
        free = [m for m in self.members.values() if m.available(now)]
        if not free:
            return
        free.sort(key=lambda m: (m.penalty, m.interface))
        for entry in self.entries:
            if not free:
                break
            if entry.rings or now < entry.retry_at:
                continue
            if self.strategy == "ringall":
                chosen, free = free, []
            else:  # rrmemory / roundrobin: the next member after the last one rung
                ordered = sorted(self.members)
                start = self._rr_next % max(1, len(ordered))
                rotation = ordered[start:] + ordered[:start]
                pick = next(m for i in rotation for m in free if m.interface == i)
                self._rr_next = ordered.index(pick.interface) + 1
                chosen = [pick]
                free.remove(pick)
            for member in chosen:
                self._ring(entry, member)

    def _ring(self, entry: Entry, member: Member) -> None:
        ast = self.ast
        now = ast.clock.epoch()
        device = member.device
        device.ringing = True
        assert ast.factory is not None
        channel = ast.new_channel(
            f"{member.interface}-{ast.factory.suffix()}",
            linkedid=entry.channel.linkedid,
            state=0,
            context="from-queue",
            exten=self.name,
            caller_num=entry.channel.caller_num,
            caller_name=entry.channel.caller_name,
        )
        ring = _Ring(member, channel, now)
        entry.rings[member.interface] = ring
        ast.emit(
            "AgentCalled",
            "agent",
            [
                *entry.channel.snapshot(),
                *channel.snapshot("Dest"),
                ("Queue", self.name),
                ("Interface", member.interface),
                ("MemberName", member.name),
            ],
        )
        ast.emit(
            "DialBegin",
            "call",
            [
                *entry.channel.snapshot(),
                *channel.snapshot("Dest"),
                ("DialString", member.interface.split("/", 1)[-1]),
            ],
        )
        channel.state = 5
        ast.emit("Newstate", "call", channel.snapshot())
        self._set_status(member, 6)
        rng = device.rng
        if rng.random() < device.answer_probability:
            delay = rng.uniform(*device.answer_delay)
            if delay < self.ring_timeout:
                ring.timer = ast.clock.call_later(delay, self._answer, entry, ring)
                return
        ring.timer = ast.clock.call_later(self.ring_timeout, self._no_answer, entry, ring)

    def _set_status(self, member: Member, status: int) -> None:
        device = member.device
        if device.status == status:
            return
        device.status = status
        for queue in self.ast.queues.values():
            for m in queue.members.values():
                if m.device is device:
                    queue.member_event("QueueMemberStatus", m)

    def _end_ring(self, entry: Entry, ring: _Ring, status: str) -> None:
        ast = self.ast
        entry.rings.pop(ring.member.interface, None)
        if ring.timer is not None:
            ring.timer.cancel()
        ring.member.device.ringing = False
        ast.emit(
            "DialEnd",
            "call",
            [
                *entry.channel.snapshot(),
                *ring.channel.snapshot("Dest"),
                ("DialStatus", status),
            ],
        )
        ast.hangup_channel(ring.channel, 16 if status == "CANCEL" else 19)
        self._set_status(ring.member, 1)

    def _no_answer(self, entry: Entry, ring: _Ring) -> None:
        if entry.future.done() or ring.member.interface not in entry.rings:
            return
        ms = int((self.ast.clock.epoch() - ring.started) * 1000)
        self.ast.emit(
            "AgentRingNoAnswer",
            "agent",
            [
                *entry.channel.snapshot(),
                *ring.channel.snapshot("Dest"),
                ("Queue", self.name),
                ("Interface", ring.member.interface),
                ("MemberName", ring.member.name),
                ("RingTime", str(ms)),
            ],
        )
        self.ast.queue_log(
            entry.channel.uniqueid, self.name, ring.member.name, "RINGNOANSWER", str(ms)
        )
        self._end_ring(entry, ring, "NOANSWER")
        if not entry.rings:
            entry.retry_at = self.ast.clock.epoch() + self.retry
            self.ast.clock.call_later(self.retry, self.dispatch)
        self.dispatch()

    def _answer(self, entry: Entry, ring: _Ring) -> None:
        if entry.future.done() or ring.member.interface not in entry.rings:
            return
        ast = self.ast
        now = ast.clock.epoch()
        member = ring.member
        hold = int(now - entry.joined)
        ring_seconds = int(now - ring.started)
        entry.rings.pop(member.interface)
        if ring.timer is not None:
            ring.timer.cancel()
        member.device.ringing = False
        member.device.in_call = True
        self._leave(entry)  # QueueCallerLeave comes before AgentConnect; cancels other rings
        channel = ring.channel
        channel.state = 6
        channel.connected_num, channel.connected_name = (
            entry.channel.caller_num,
            entry.channel.caller_name,
        )
        entry.channel.connected_num, entry.channel.connected_name = member.interface, member.name
        ast.emit("Newstate", "call", channel.snapshot())
        ast.emit(
            "AgentConnect",
            "agent",
            [
                *entry.channel.snapshot(),
                *channel.snapshot("Dest"),
                ("Queue", self.name),
                ("Interface", member.interface),
                ("MemberName", member.name),
                ("HoldTime", str(hold)),
                ("RingTime", str(ring_seconds)),
            ],
        )
        ast.emit(
            "DialEnd",
            "call",
            [
                *entry.channel.snapshot(),
                *channel.snapshot("Dest"),
                ("DialStatus", "ANSWER"),
            ],
        )
        ast.queue_log(
            entry.channel.uniqueid,
            self.name,
            member.name,
            "CONNECT",
            f"{hold}|{channel.uniqueid}|{ring_seconds}",
        )
        self.holdtime = (3 * self.holdtime + hold) // 4
        self._set_status(member, 2)
        entry.future.set_result(VisitResult("answered", hold, member, channel, ring_seconds))
        # the members this caller's ring took are free again: the next caller rings them
        # (app_queue's waiting callers check their turn every second)
        self.dispatch()

    def complete(
        self,
        result: VisitResult,
        talk: int,
        reason: str,
        original_position: int,
        caller: Channel,
        *,
        bare: bool = False,
        to: tuple[str, str] | None = None,
    ) -> None:
        """A connected call ended (``reason``: caller, agent or transfer). ``bare``: the
        caller's channel is gone already, and the event carries none of its fields;
        ``to``: a blind transfer's context and extension."""
        ast = self.ast
        member = result.member
        assert member is not None and result.member_channel is not None
        ast.emit(
            "AgentComplete",
            "agent",
            [
                *([] if bare else caller.snapshot()),
                *result.member_channel.snapshot("Dest"),
                ("Queue", self.name),
                ("Interface", member.interface),
                ("MemberName", member.name),
                ("HoldTime", str(result.hold_seconds)),
                ("TalkTime", str(talk)),
                ("Reason", reason),
            ],
        )
        times = f"{result.hold_seconds}|{talk}|{original_position}"
        if to is not None:  # app_queue's handle_blind_transfer: extension|context|hold|talk|pos
            ast.queue_log(
                caller.uniqueid, self.name, member.name, "BLINDTRANSFER", f"{to[1]}|{to[0]}|{times}"
            )
        else:
            event = "COMPLETECALLER" if reason == "caller" else "COMPLETEAGENT"
            ast.queue_log(caller.uniqueid, self.name, member.name, event, times)
        self.completed += 1
        if result.hold_seconds <= self.service_level:
            self.completed_in_sl += 1
        self.talktime = (3 * self.talktime + talk) // 4
        member.calls_taken += 1
        member.last_call = int(ast.clock.epoch())
        device = member.device
        device.in_call = False
        wrapup = member.wrapuptime or self.wrapuptime
        device.wrapup_until = ast.clock.epoch() + wrapup
        self._set_status(member, 1 if device.status != 5 else 5)
        ast.clock.call_later(wrapup, self._after_wrapup)

    def _after_wrapup(self) -> None:
        for queue in self.ast.queues.values():
            queue.dispatch()

    # -- reports ----------------------------------------------------------------------
    def params(self) -> list[Header]:
        total = self.completed + self.abandoned
        perf = 100.0 * self.completed_in_sl / self.completed if self.completed else 0.0
        perf2 = (100.0 * (self.completed_in_sl + self.abandoned_in_sl) / total) if total else 0.0
        return [
            ("Queue", self.name),
            ("Max", "0"),
            ("Strategy", self.strategy),
            ("Calls", str(len(self.entries))),
            ("Holdtime", str(self.holdtime)),
            ("TalkTime", str(self.talktime)),
            ("Completed", str(self.completed)),
            ("Abandoned", str(self.abandoned)),
            ("ServiceLevel", str(self.service_level)),
            ("ServicelevelPerf", f"{perf:.1f}"),
            ("ServicelevelPerf2", f"{perf2:.1f}"),
            ("Weight", str(self.weight)),
        ]

    def longest_hold(self) -> int:
        if not self.entries:
            return 0
        return int(self.ast.clock.epoch() - self.entries[0].joined)
