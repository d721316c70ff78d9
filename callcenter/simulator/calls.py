"""One inbound call through the central number, as the generated dialplan runs it.

``central-number``: answer, welcome, topic menu, ``UserEvent(RouteRequest)``, then hold (music)
until Vuurtoren's ``Redirect`` arrives, or after ``failsafe_seconds`` route alone: the
counter's queue when AstDB ``vuurtoren/counter/<id>`` says ``open``, else the lighthouse.
``queues,<queue>,1``: ``Queue(<queue>)``; a counter queue that times out continues to the
lighthouse, the lighthouse to the last resort. ``last-resort,<counter>,1``: announce the next
opening (``NEXT_OPEN``), then voicemail or a callback request.

The call's legs are Local-style: ``;1`` (the caller side) and ``;2`` (runs the dialplan and
joins queues); ``;2``'s Linkedid is ``;1``'s Uniqueid, as a real Asterisk 22 reports it.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from callcenter.simulator.core import CallTruth, Visit
from callcenter.simulator.queues import Entry, VisitResult

if TYPE_CHECKING:
    from callcenter.simulator.core import SimAsterisk

__all__ = ["CallerProfile", "InboundCall"]


@dataclass(frozen=True, slots=True)
class CallerProfile:
    """How one caller behaves; drawn by the traffic generator (or set by a test)."""

    number: str | None
    name: str | None = None
    digits: str | None = "0"
    """What the caller keys in the menu; None: nothing (menu timeout)."""
    patience: float = 300.0
    """Seconds the caller waits in queues (all visits together) before hanging up."""
    talk_seconds: float = 120.0
    agent_hangs_up: bool = False
    menu_seconds: float = 6.0
    hangup_in_menu: bool = False
    last_resort_choice: str = "voicemail"  # voicemail, callback, hangup
    message_seconds: float = 25.0


def _bridge(bridge: str, channels: int) -> list[tuple[str, str]]:
    """The bridge snapshot block (ami-reference.md §3) of a basic two-party bridge."""
    return [
        ("BridgeUniqueid", bridge),
        ("BridgeType", "basic"),
        ("BridgeTechnology", "simple_bridge"),
        ("BridgeCreator", "<unknown>"),
        ("BridgeName", "<unknown>"),
        ("BridgeNumChannels", str(channels)),
        ("BridgeVideoSourceMode", "none"),
    ]


class _HungUp(Exception):
    pass


class InboundCall:
    def __init__(self, ast: SimAsterisk, profile: CallerProfile) -> None:
        self.ast = ast
        self.profile = profile
        assert ast.factory is not None
        suffix = ast.factory.suffix()
        self.leg1 = ast.new_channel(
            f"Local/s@central-number-{suffix};1",
            state=4,
            caller_num=profile.number,
            caller_name=profile.name,
        )
        self.leg2 = ast.new_channel(
            f"Local/s@central-number-{suffix};2",
            linkedid=self.leg1.uniqueid,
            state=4,
            context="central-number",
            caller_num=profile.number,
            caller_name=profile.name,
        )
        self.truth = CallTruth(
            self.leg1.uniqueid,
            self.leg2.uniqueid,
            self.leg2.name,
            profile.number,
            ast.clock.epoch(),
        )
        ast.truth[self.truth.linkedid] = self.truth
        ast.calls[self.leg2.name] = self
        self._redirect: asyncio.Future[tuple[str, str]] = asyncio.get_running_loop().create_future()
        self._entry: Entry | None = None
        self._entry_queue: str | None = None
        self._waited = 0.0
        self.task: asyncio.Task[object] | None = None

    # -- called by the AMI server ----------------------------------------------------------
    def redirect(self, context: str, exten: str) -> None:
        if not self._redirect.done():
            self._redirect.set_result((context, exten))
            return
        # Redirect while queued or announcing: leave what it is doing and go there.
        self._redirect = asyncio.get_running_loop().create_future()
        self._redirect.set_result((context, exten))
        if self._entry is not None and self._entry_queue is not None:
            self.ast.queues[self._entry_queue].withdraw(self._entry, "redirected")

    def hangup_now(self, cause: int = 16) -> None:
        """Asterisk went away (restart) or a Hangup action: end without any further events."""
        truth = self.truth
        if truth.ended is None:
            truth.outcome = truth.outcome or "lost"
            truth.hangup_stage = truth.hangup_stage or "asterisk-gone"
            truth.ended = self.ast.clock.epoch()
        if self.task is not None:
            self.task.cancel()

    # -- the script ----------------------------------------------------------------------------
    async def run(self) -> None:
        ast = self.ast
        p = self.profile
        truth = self.truth
        try:
            ast.newexten(self.leg2, "central-number", "s", 1, "Answer", "")
            ast.set_state(self.leg2, 6)
            ast.set_state(self.leg1, 6)
            ast.newexten(self.leg2, "central-number", "s", 2, "Playback", "vuurtoren/welkom")
            ast.newexten(self.leg2, "central-number", "s", 3, "Read", "TOPIC,vuurtoren/menu,3,,1,5")
            if p.hangup_in_menu:
                await ast.clock.sleep(p.menu_seconds * 0.5)
                truth.hangup_stage = "menu"
                raise _HungUp
            await ast.clock.sleep(p.menu_seconds)
            truth.digits = p.digits
            self._pad(ast.settings.padding_events // 2)
            ast.set_var(self.leg2, "TOPIC", p.digits or "")
            ast.newexten(self.leg2, "central-number", "s", 4, "UserEvent", "RouteRequest")
            ast.emit(
                "UserEvent",
                "user",
                [
                    *self.leg2.snapshot(),
                    ("UserEvent", "RouteRequest"),
                    ("Uniqueid", self.leg2.uniqueid),
                    ("Topic", p.digits or ""),
                    ("Caller", p.number or ""),
                ],
            )
            truth.route_requested = ast.clock.epoch()
            ast.route_sent[self.leg2.name] = time.perf_counter()
            ast.newexten(self.leg2, "central-number", "s", 5, "MusicOnHold", ",1")
            target = await self._wait_for_redirect()
            ast.route_sent.pop(self.leg2.name, None)
            self._pad(ast.settings.padding_events - ast.settings.padding_events // 2)
            await self._follow(target)
        except _HungUp:
            truth.outcome = truth.outcome or "abandoned"
            self._hangup(caller=True)
        except asyncio.CancelledError:
            if truth.ended is None:
                truth.outcome = truth.outcome or "lost"
                truth.hangup_stage = truth.hangup_stage or "asterisk-gone"
                truth.ended = ast.clock.epoch()
            raise
        finally:
            ast.calls.pop(self.leg2.name, None)

    def _pad(self, count: int) -> None:
        """The rest of what a real Asterisk 22 emits for a call with Local channels and music
        on hold: channel variables, dialplan steps, connected-line and device-state updates.
        Nothing Vuurtoren reads, but all of it crosses the AMI socket unless filtered."""
        ast, leg = self.ast, self.leg2
        for i in range(count):
            kind = i % 4
            if kind == 0:
                ast.set_var(leg, f"__PAD{i % 16}", "x" * 24)
            elif kind == 1:  # a Set() step of a macro: the channel stays where it is
                ast.emit(
                    "Newexten",
                    "dialplan",
                    [
                        *leg.snapshot(),
                        ("Extension", leg.exten),
                        ("Application", "Set"),
                        ("AppData", f"__PAD{i % 16}=x"),
                    ],
                )
            elif kind == 2:
                ast.emit("NewConnectedLine", "call", leg.snapshot())
            else:
                ast.emit(
                    "DeviceStateChange",
                    "call",
                    [("Device", f"Local/pad{i % 16}"), ("State", "INUSE")],
                )

    async def _wait_for_redirect(self) -> tuple[str, str]:
        ast = self.ast
        wait = ast.settings.failsafe_seconds
        if wait is None:
            wait = float(ast.site.asterisk.failsafe_seconds)
        try:
            target = await asyncio.wait_for(asyncio.shield(self._redirect), ast.clock.real(wait))
        except TimeoutError:
            return self._failsafe()
        self.truth.redirected_to = target
        self.truth.redirected_at = ast.clock.epoch()
        return target

    def _failsafe(self) -> tuple[str, str]:
        ast = self.ast
        self.truth.failsafe = True
        site = ast.site
        counter = site.counter(site.topic(self.profile.digits).counter)
        state = ast.db_get("vuurtoren", f"counter/{counter.id}")
        queue = counter.queue if state == "open" else site.lighthouse.queue
        ast.set_var(self.leg2, "FAILSAFE", "1")
        ast.newexten(self.leg2, "central-number", "failsafe", 1, "Goto", f"queues,{queue},1")
        # a late Redirect may still move the caller; make it land on a fresh future
        self._redirect = asyncio.get_running_loop().create_future()
        return ("queues", queue)

    async def _follow(self, target: tuple[str, str]) -> None:
        ast = self.ast
        while True:
            context, exten = target
            if context == "queues" and exten in ast.queues:
                nxt = await self._queue_visit(exten)
                if nxt is None:
                    return
                target = nxt
            elif context == "last-resort":
                await self._last_resort(exten)
                return
            else:  # an unknown place: Asterisk would hang up (no such extension)
                self.truth.outcome = "lost"
                self.truth.hangup_stage = f"invalid target {context},{exten}"
                self._hangup(caller=False)
                return

    async def _queue_visit(self, queue_name: str) -> tuple[str, str] | None:
        ast = self.ast
        queue = ast.queues[queue_name]
        visit = Visit(queue_name, ast.clock.epoch())
        self.truth.visits.append(visit)
        entry = queue.join(self.leg2)
        self._entry, self._entry_queue = entry, queue_name
        patience_left = max(0.0, self.profile.patience - self._waited)
        redirect = self._redirect if not self._redirect.done() else None
        waiters: set[asyncio.Future[object]] = {entry.future}  # type: ignore[arg-type]
        if redirect is not None:
            waiters.add(redirect)  # type: ignore[arg-type]
        done, _ = await asyncio.wait(
            waiters, timeout=ast.clock.real(patience_left), return_when=asyncio.FIRST_COMPLETED
        )
        self._entry = self._entry_queue = None
        if not entry.future.done():
            if redirect is not None and redirect in done:
                queue.withdraw(entry, "redirected")
            else:  # patience ran out: the caller hangs up while waiting
                ast.emit("HangupRequest", "call", [*self.leg2.snapshot(), ("Cause", "16")])
                queue.abandon(entry)
        result = entry.future.result()
        self._waited += result.hold_seconds
        visit.left = ast.clock.epoch()
        visit.outcome = result.outcome
        visit.hold_seconds = result.hold_seconds
        if result.outcome == "answered":
            await self._talk(queue_name, result, entry)
            return None
        if result.outcome == "abandoned":
            self.truth.outcome = "abandoned"
            self.truth.hangup_stage = "queue"
            self._hangup(caller=True)  # its HangupRequest went out before the abandon
            return None
        if result.outcome == "redirected":
            target = self._redirect.result()
            self._redirect = asyncio.get_running_loop().create_future()
            return target
        # timeout: the dialplan continues
        if queue_name != ast.site.lighthouse.queue:
            ast.newexten(
                self.leg2, "queues", queue_name, 2, "Goto", f"queues,{ast.site.lighthouse.queue},1"
            )
            return ("queues", ast.site.lighthouse.queue)
        counter = ast.site.topic(self.profile.digits).counter
        return ("last-resort", counter)

    async def _talk(self, queue_name: str, result: VisitResult, entry: Entry) -> None:
        ast = self.ast
        p = self.profile
        member_channel = result.member_channel
        assert member_channel is not None and result.member is not None
        bridge = f"{ast.factory.uniqueid() if ast.factory else 'b'}-bridge"
        for ch, n in ((self.leg2, 1), (member_channel, 2)):
            ch.bridge_id = bridge
            ast.emit("BridgeEnter", "call", [*_bridge(bridge, n), *ch.snapshot()])
        self.truth.visits[-1].member = result.member.name
        self.truth.outcome = "answered"
        started = ast.clock.epoch()
        await ast.clock.sleep(p.talk_seconds)
        talk = int(ast.clock.epoch() - started)
        reason = "agent" if p.agent_hangs_up else "caller"
        first, second = (
            (member_channel, self.leg2) if p.agent_hangs_up else (self.leg2, member_channel)
        )
        ast.emit("HangupRequest", "call", [*first.snapshot(), ("Cause", "16")])
        for ch, n in ((first, 1), (second, 0)):
            ast.emit("BridgeLeave", "call", [*_bridge(bridge, n), *ch.snapshot()])
        ast.queues[queue_name].complete(result, talk, reason, entry.original_position, self.leg2)
        visit = self.truth.visits[-1]
        visit.talk_seconds = talk
        visit.ended_by = reason
        ast.hangup_channel(member_channel)
        self._hangup(caller=not p.agent_hangs_up)

    async def _last_resort(self, counter_id: str) -> None:
        ast = self.ast
        p = self.profile
        self.truth.outcome = "last_resort"
        next_open = self.leg2.variables.get("NEXT_OPEN", "")
        ast.newexten(
            self.leg2, "last-resort", counter_id, 1, "Playback", f"vuurtoren/gesloten,{next_open}"
        )
        await ast.clock.sleep(8.0)
        choice = p.last_resort_choice
        self.truth.last_resort = choice
        if choice == "voicemail":
            ast.newexten(
                self.leg2, "last-resort", counter_id, 3, "VoiceMail", f"{counter_id}@vuurtoren"
            )
            await ast.clock.sleep(p.message_seconds)
        elif choice == "callback":
            ast.newexten(self.leg2, "last-resort", counter_id, 5, "UserEvent", "CallbackRequest")
            ast.emit(
                "UserEvent",
                "user",
                [
                    *self.leg2.snapshot(),
                    ("UserEvent", "CallbackRequest"),
                    ("Uniqueid", self.leg2.uniqueid),
                    ("Counter", counter_id),
                    ("Caller", p.number or ""),
                ],
            )
            await ast.clock.sleep(4.0)
        self.truth.hangup_stage = "last-resort"
        self._hangup(caller=True, requested=True)

    def _hangup(self, *, caller: bool, requested: bool = False) -> None:
        ast = self.ast
        if requested and caller:
            ast.emit("HangupRequest", "call", [*self.leg2.snapshot(), ("Cause", "16")])
        for ch in (self.leg2, self.leg1):
            with contextlib.suppress(KeyError):
                ast.hangup_channel(ch)
        self.truth.ended = ast.clock.epoch()


def start_call(ast: SimAsterisk, profile: CallerProfile) -> InboundCall:
    call = InboundCall(ast, profile)
    call.task = ast.start_task(call.run(), name=f"call {call.leg2.uniqueid}")
    return call
