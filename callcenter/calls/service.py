"""The live call path: route every call, track it to its end, record it.

:class:`CallService` subscribes to the AMI client, feeds every event to the call tracker,
answers each ``UserEvent(RouteRequest)`` with a routing decision and a ``Redirect``, hands call
records to the store writer, keeps the counters' open/closed states in Asterisk (AstDB
``vuurtoren/counter/<id>`` and custom device states ``Custom:vuurtoren-<id>``) and publishes
live queue state on the bus. After every (re)connect it resynchronises from Asterisk
(QueueStatus, CoreShowChannels), adopts calls that began while it was away, and records the
calls the dialplan handled meanwhile from the records it left in AstDB (``outage.py``); at
start it takes back the calls the store still has open.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from callcenter.ami import AMIClient, AMIError, Message
from callcenter.calls.outage import apply_callback, apply_visit, parse_entry
from callcenter.calls.queue_voice import QueueVoice
from callcenter.calls.tracker import HANDLED_EVENTS, CallTracker, LiveQueue
from callcenter.dialplan.names import (
    ASTDB_FAMILY,
    CALLBACK_TREE,
    FAILSAFE_TREE,
    HANGUP_TARGET,
    HEARTBEAT_KEY,
    OWN_WORKER_CONTEXT,
    OWN_WORKER_EVENT,
    POSTCODE_CONTEXT,
    VISIT_TREE,
)
from callcenter.infra.bus import Bus
from callcenter.prompts.announcer import Announcer
from callcenter.store.records import CallRecord
from callcenter.store.repository import StoreWriter
from routing.decide import decide
from routing.site import Site
from routing.types import Decision, Target
from schedules.clock import Clock, WallClock
from schedules.overrides import LIGHTHOUSE, Override, OverrideMode, active_override

__all__ = [
    "EVENTS_READ",
    "HEARTBEAT_EVERY",
    "CallService",
    "device_for",
    "screen_pop",
]

log = logging.getLogger(__name__)
call_log = logging.getLogger(__name__ + ".calls")
"""One line per call routed: INFO for an operator's log (``serve``); the demo keeps it at
DEBUG (``--verbose`` shows it), so that its banner stays in sight."""

EVENTS_READ = HANDLED_EVENTS | {
    "FullyBooted",
    "AgentRingNoAnswer",
    "AgentDump",
    "OriginateResponse",
}
"""Every event the service reads: the tracker's, the boot that starts a resync, the agents'
phones (a call left ringing pauses the agent, a ring given up: ``callcenter/agents/desk.py``)
and how an Originate went (callbacks: ``callcenter/contacts/dialer.py``)."""
HEARTBEAT_EVERY = 5.0
"""Seconds between heartbeats."""
PUBLISH_INTERVAL = 0.05
"""Queue snapshots go on the bus at most this often (seconds) per queue: at 200 calls a
second a queue changes thousands of times a second, and no screen needs more than 20 frames."""


_OUTAGE_TREES = frozenset({FAILSAFE_TREE, VISIT_TREE, CALLBACK_TREE})
_READ_ORDER = {FAILSAFE_TREE: 0, VISIT_TREE: 1, CALLBACK_TREE: 2}
"""The calls first (where they were sent), then what happened in a queue, then callbacks."""


def screen_pop(
    site: Site,
    event: Message,
    call_id: str,
    caller: str | None,
    topic: str | None,
    counter: str | None,
    reason: str | None,
    next_open: datetime | None,
    at: datetime,
    **extra: Any,
) -> dict[str, Any]:
    """The ``connect`` bus message for an ``AgentConnect``: what the agent's console shows."""
    found = site.find_topic(topic)
    return {
        "interface": event.get("Interface") or "",
        "queue": event.get("Queue") or "",
        "call_id": call_id,
        "caller": caller,
        "topic": found.id if found else None,
        "topic_label": found.label if found else None,
        "counter": counter,
        "reason": reason,
        "next_open": next_open.isoformat() if next_open else None,
        "waited_seconds": int(event.get("HoldTime") or 0),
        **extra,
        "at": at.isoformat(),
    }


def device_for(counter_id: str) -> str:
    """The custom device state of a counter; a desk phone's lamp (BLF) lights when closed."""
    return f"Custom:vuurtoren-{counter_id}"


class CallService:
    def __init__(
        self,
        site: Site,
        ami: AMIClient,
        *,
        writer: StoreWriter | None = None,
        bus: Bus | None = None,
        clock: Clock | None = None,
        overrides: Callable[[], Sequence[Override]] = lambda: (),
        prompts_dir: Path | None = None,
    ) -> None:
        self.site = site
        self.ami = ami
        self.writer = writer
        self.bus = bus or Bus()
        self.clock = clock or WallClock()
        self.overrides = overrides
        self.tracker = CallTracker(site, now=self.clock.now)
        self.announcer = Announcer(site, prompts_dir, self.clock.now, lambda: self.overrides())
        """What a routed call hears first (``VT_ANNOUNCE``), its changing sentences rendered
        ahead into ``prompts_dir`` (None: not rendered, only named)."""
        self.voice = QueueVoice(
            site, ami, self.tracker, self.clock.now, self.announcer.closed_words
        )
        """A waiting caller's place and expected wait, whispered when there is a wait."""
        self._voice_task: asyncio.Task[None] | None = None
        self._heartbeat: asyncio.Task[None] | None = None
        self.states: dict[str, bool] = {}
        """Open (hours and overrides) per counter id and ``lighthouse``."""
        self.written: dict[str, str] = {}
        """The words last written to AstDB: open, closed or unstaffed."""
        self._staffed: dict[str, bool] = {}
        self._grace_checks: set[str] = set()
        self._chores: set[asyncio.Task[Any]] = set()
        self.routed = 0
        self.route_failures = 0
        self.setvar_for_counters = False
        """The router of before, as the peer of a benchmark (``bench/route_latency.py
        --ab-setvar``): a Setvar before every Redirect, an open counter's too."""
        self._publisher: asyncio.Task[None] | None = None
        self._state_changed = asyncio.Event()
        self._decisions: dict[str, tuple[Decision, datetime]] = {}
        self._dirty_queues: dict[str, LiveQueue] = {}
        self._resyncing = False
        self.own_team: Callable[[Site, str | None, str], tuple[str | None, str | None]] = (
            lambda site, caller, call_id: (None, None)
        )
        """Neighbourhood teams: a caller's own team and, when free, their own social
        worker's phone, from the consent register (the wiring sets it; it audits each
        lookup). Called on the way of a call: from memory, never the database."""
        self.pop_extra: Callable[[str, str], dict[str, Any]] = lambda call_id, interface: {}
        """More for a screen pop (the wiring sets it): "your own client" and the file's team
        of a caller the register knows."""
        self.after_resync: list[Callable[[], Awaitable[None]]] = []
        """Steps after every resync, before the states are written (the duty's reconcile)."""
        self.more_alerts: list[Callable[[], list[dict[str, str]]]] = []
        """Alerts of other parts (the callbacks' outside line)."""
        self._alert_since: dict[str, datetime] = {}
        """Each alert showing now: when it was first seen."""
        self._publish_handle: asyncio.TimerHandle | None = None
        t = self.tracker
        if writer is not None:
            t.on_start.append(writer.submit)
            t.on_change.append(writer.submit)
            t.on_end.append(writer.submit)
        t.on_end.append(self._on_end)
        t.on_queue_change.append(self._on_queue_change)

    # -- lifecycle -----------------------------------------------------------------------
    async def start(self, open_calls: Sequence[CallRecord] = ()) -> None:
        """Take back open calls (from the store), subscribe, and start publishing states.
        Call before the AMI client connects, so the first resync sees everything."""
        for call in open_calls:
            self.tracker.adopt(call)
        if open_calls:
            log.info("following %d call(s) that were up when the service stopped", len(open_calls))
        # Both inline in the reader: routing first, then the tracker's bookkeeping (fast and
        # pure). Slow consumers (the dashboard) read the bus, never the AMI stream.
        self.ami.intercept("UserEvent", self._route_now)
        self.ami.intercept(None, self._on_event)
        self.ami.add_resync_hook(self._resync)
        self._publisher = asyncio.get_running_loop().create_task(
            self._publish_states_forever(), name="counter-states"
        )
        self._voice_task = asyncio.get_running_loop().create_task(
            self.voice.run(self.clock.sleep), name="queue-announcements"
        )
        self._heartbeat = asyncio.get_running_loop().create_task(
            self._beat_forever(), name="heartbeat"
        )

    async def stop(self) -> None:
        for task in list(self._chores):
            task.cancel()
        if self._publish_handle is not None:
            self._publish_handle.cancel()
            self._publish_handle = None
        for running in (self._publisher, self._voice_task, self._heartbeat):
            if running is not None:
                running.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await running
        await self.announcer.close()

    async def leave(self) -> None:
        """Before the AMI link closes: take the heartbeat away, so that the dialplan knows
        at once, not a freshness window later, that nobody routes (and records)."""
        if self._heartbeat is not None:
            self._heartbeat.cancel()
        if self.ami.state.value == "connected":
            with contextlib.suppress(AMIError, TimeoutError):
                await asyncio.wait_for(self.ami.db_del(ASTDB_FAMILY, HEARTBEAT_KEY), 1.0)

    async def beat(self) -> None:
        """Tell the dialplan the routing service is here (AstDB ``vuurtoren/heartbeat``)."""
        now = int(self.clock.now().timestamp())
        await self.ami.db_put(ASTDB_FAMILY, HEARTBEAT_KEY, str(now))

    async def _beat_forever(self) -> None:
        while True:
            if self.ami.state.value == "connected" and not self._resyncing:
                try:
                    await self.beat()
                except AMIError as exc:
                    log.debug("heartbeat not written: %s", exc)
            await self.clock.sleep(HEARTBEAT_EVERY)

    def poke_states(self) -> None:
        """Something that decides the counters' states changed (an override): write them."""
        self._state_changed.set()

    # -- events ----------------------------------------------------------------------------
    def _on_event(self, event: Message) -> None:
        self.tracker.handle(event)
        if event.name == "AgentConnect":
            self._announce_connect(event)
            self.voice.answered(event.get("Queue") or "", self.clock.now())
        elif event.name == "UserEvent" and event.get("UserEvent") == OWN_WORKER_EVENT:
            self._announce_connect(event)
        if event.name == "UserEvent" and event.get("UserEvent") == "RouteRequest":
            routed = self._decisions.pop(event.get("Channel") or "", None)
            if routed is not None:  # the tracker has the call now: attach its decision
                self.tracker.record_decision(event["Channel"], *routed)
        elif event.name == "FullyBooted":
            self._state_changed.set()  # Asterisk (re)started: write the states again
        elif event.name == "VarSet" and event.get("Variable") == "FAILSAFE":
            # seen live: the record the fail-safe left in AstDB is not needed
            call_id = event.get("Linkedid")
            if call_id:
                self._chore(self.ami.db_del(ASTDB_FAMILY, f"{FAILSAFE_TREE}/{call_id}"))

    def _announce_connect(self, event: Message) -> None:
        """A caller is put through to an agent's phone: the agent's console shows who it is
        (the screen pop), through the bus, within the same loop iteration. The caller's own
        social worker's phone answering (``OwnWorker``, no queue) pops up the same way."""
        call = self.tracker.call_for(event)
        if call is None:
            return
        d = call.decision
        if event.name == "UserEvent":  # OwnWorker: the phone Vuurtoren had rung
            if d is None or not d.worker:
                return
            event = Message.event("AgentConnect", Interface=d.worker, Queue="", HoldTime="0")
        interface = event.get("Interface") or ""
        self.bus.publish(
            "connect",
            screen_pop(
                self.site,
                event,
                call.call_id,
                call.caller,
                d.topic if d else call.digits,
                d.counter if d else None,
                d.reason.value if d else ("failsafe" if call.failsafe else None),
                d.next_open if d else None,
                self.clock.now(),
                **self.pop_extra(call.call_id, interface),
            ),
        )

    async def _prepare_announcements(self) -> None:
        """The sentences the counters' states call for now (the next openings, the managers'
        reasons), rendered before a caller needs them, and written to AstDB for the
        dialplan's fail-safe."""
        try:
            made = await self.announcer.prepare()
        except Exception:  # a broken tool must not stop the states being written again
            log.exception("preparing the announcements failed")
            return
        if made:
            log.info("announcements ready: %d new", made)
        for key, files in self.announcer.failsafe().items():
            await self.ami.db_put(ASTDB_FAMILY, f"announce/{key}", files)

    def _chore(self, work: Any) -> None:
        """Fire and forget a small AMI action; a failure is logged, never raised."""

        async def run() -> None:
            try:
                await work
            except AMIError as exc:
                log.debug("AMI chore failed: %s", exc)

        task = asyncio.get_running_loop().create_task(run())
        self._chores.add(task)
        task.add_done_callback(self._chores.discard)

    def _route_now(self, event: Message) -> None:
        """Answer a RouteRequest in the same loop iteration it was read: decide, write the
        Redirect. The record of the decision follows when the tracker sees the event."""
        if event.get("UserEvent") != "RouteRequest":
            return
        channel = event.get("Channel")
        if not channel:
            log.error("call %s: RouteRequest without Channel", event.get("Linkedid") or "?")
            return
        call_id = event.get("Linkedid") or "?"
        now = self.clock.now()
        try:
            local = self.site.local(event.get("Site") or self._site_of(event))
            topic = event.get("Topic") or None
            caller = event.get("Caller") or event.get("CallerIDNum")
            team = worker = None
            if local.teams is not None and local.teams.serves(local.topic(topic).id):
                postcode = event.get("Postcode")
                if postcode is None:  # the first time: the register, else ask the postcode
                    team, worker = self.own_team(local, caller, call_id)
                    if team is None and local.teams.ask_postcode:
                        self._ask_postcode(channel, call_id)
                        return
                found = local.team_for_postcode(postcode)
                team = team or (found.id if found else None)
            decision = decide(
                local,
                topic,
                caller,
                now,
                self.tracker.live_state(now),
                self.overrides(),
                team=team,
                worker=worker,
            )
        except Exception:
            log.exception(
                "call %s: routing failed; the dialplan's fail-safe will route it", call_id
            )
            return
        self._decisions[channel] = (decision, now)
        if decision.target is Target.LAST_RESORT:
            context, exten = "last-resort", decision.counter
        elif decision.target is Target.OWN_WORKER:
            context, exten = OWN_WORKER_CONTEXT, decision.queue or ""
            ring = str(local.teams.worker_ring_seconds if local.teams else 20)
            for variable, value in (("VT_WORKER", decision.worker or ""), ("VT_RING", ring)):
                try:
                    self.ami.send_nowait(
                        Message.action("Setvar", Channel=channel, Variable=variable, Value=value)
                    )
                except AMIError as exc:
                    self._route_failed(call_id, decision, exc)
                    return
        else:
            context, exten = "queues", decision.queue or ""
        try:  # pipelined: Asterisk keeps the order
            if (
                decision.target not in (Target.COUNTER, Target.OWN_WORKER)
                or self.setvar_for_counters
            ):
                # why, in one sentence, before the lighthouse; when the counter opens again
                # before the last resort. A counter's caller joins its queue at once.
                files = self.announcer.announcement(decision, now, event.get("Language"))
                self.ami.send_nowait(
                    Message.action(
                        "Setvar", Channel=channel, Variable="VT_ANNOUNCE", Value="&".join(files)
                    )
                )
            answer = self.ami.send_nowait(
                Message.action(
                    "Redirect", Channel=channel, Context=context, Exten=exten, Priority=1
                )
            )
        except AMIError as exc:
            self._route_failed(call_id, decision, exc)
            return
        answer.add_done_callback(lambda f: self._routed(f, call_id, decision))

    def _ask_postcode(self, channel: str, call_id: str) -> None:
        """A caller the register does not know, on the teams' topic: to the postcode
        question; its answer comes back as a second RouteRequest with ``Postcode``."""
        try:
            self.ami.send_nowait(
                Message.action(
                    "Redirect", Channel=channel, Context=POSTCODE_CONTEXT, Exten="s", Priority=1
                )
            )
        except AMIError as exc:
            log.warning("call %s: the postcode question failed (%s); fail-safe", call_id, exc)

    def _site_of(self, event: Message) -> str | None:
        """A region's municipality of the call a RouteRequest asks about, as the tracker
        learnt it from the number dialled (None: a lone site, or a call not seen come in)."""
        call = self.tracker.call_for(event) if self.site.sites else None
        return call.site if call else None

    def _routed(self, future: asyncio.Future[Any], call_id: str, decision: Decision) -> None:
        exc = future.exception()
        if exc is not None:
            self._route_failed(call_id, decision, exc)
            return
        self.routed += 1
        call_log.info(
            "call %s: %s → %s %s (%s)",
            call_id,
            decision.topic,
            decision.target,
            decision.queue or decision.counter,
            decision.reason,
        )

    def _route_failed(self, call_id: str, decision: Decision, exc: BaseException) -> None:
        self.route_failures += 1
        log.warning(
            "call %s: Redirect to %s failed (%s); the dialplan's fail-safe takes over",
            call_id,
            decision.queue or "last-resort",
            exc,
        )

    def _on_end(self, call: CallRecord) -> None:
        self.bus.publish(
            "call_ended",
            {
                "call_id": call.call_id,
                "outcome": call.outcome.value if call.outcome else None,
                "queue": call.visits[-1].queue if call.visits else None,
            },
        )

    def _on_queue_change(self, queue: LiveQueue) -> None:
        now = self.clock.now()
        staffed = queue.staffing(now) > 0
        if self._staffed.get(queue.name) != staffed:
            self._staffed[queue.name] = staffed
            self._state_changed.set()  # the fail-safe must know a queue nobody can answer
        if staffed:  # a pause in its grace: look again when the grace ends
            ends = [e for m in queue.members.values() if (e := m.grace_ends()) is not None]
            if ends and queue.name not in self._grace_checks:
                try:
                    loop = asyncio.get_running_loop()
                except RuntimeError:  # fed outside a loop (a script, a test): no clock to wait on
                    return
                self._grace_checks.add(queue.name)
                after = (min(ends) - now).total_seconds()
                task = loop.create_task(self._look_again(queue, after))
                self._chores.add(task)
                task.add_done_callback(self._chores.discard)
        self._dirty_queues[queue.name] = queue
        if self._publish_handle is None:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:  # fed outside a loop (a script, a test): nothing to wait for
                self._publish_queues()
                return
            self._publish_handle = loop.call_later(PUBLISH_INTERVAL, self._publish_queues)

    async def _look_again(self, queue: LiveQueue, after: float) -> None:
        try:
            await self.clock.sleep(max(0.0, after) + 0.001)
        finally:
            self._grace_checks.discard(queue.name)
        self._on_queue_change(queue)

    def _publish_queues(self) -> None:
        self._publish_handle = None
        dirty, self._dirty_queues = self._dirty_queues, {}
        for queue in dirty.values():
            self.bus.publish("queue", self.queue_snapshot(queue))

    # -- live view -------------------------------------------------------------------------
    def queue_snapshot(self, queue: LiveQueue) -> dict[str, Any]:
        snap = queue.snapshot(self.clock.now())
        counter = next((c for c in self.site.counters if c.queue == queue.name), None)
        if counter is not None:
            snap.update(
                kind="counter",
                id=counter.id,
                name=counter.name,
                organisation=counter.organisation,
                open=self.states.get(counter.id),
            )
        elif queue.name == self.site.lighthouse.queue:
            snap.update(
                kind="lighthouse",
                id="lighthouse",
                name=self.site.lighthouse.name,
                organisation="",
                open=self.states.get(LIGHTHOUSE),
            )
        return snap

    def snapshot(self) -> dict[str, Any]:
        order = [self.site.lighthouse.queue, *(c.queue for c in self.site.counters)]
        queues = [
            self.queue_snapshot(self.tracker.queues[q]) for q in order if q in self.tracker.queues
        ]
        return {
            "site": self.site.name,
            "at": self.clock.now().astimezone(self.site.zone).isoformat(),
            "connected": self.ami.state.value,
            "calls_up": len(self.tracker.calls),
            "routed": self.routed,
            "queues": queues,
            "alerts": self.alerts(),
        }

    def alerts(self) -> list[dict[str, str]]:
        """What needs a manager's eyes now (the wallboard shows it), each with ``since``:
        when it was first seen (service time, ISO)."""
        out = []
        if self.written.get(LIGHTHOUSE) == "unstaffed":
            out.append(
                {
                    "id": "lighthouse-unstaffed",
                    "message": "De vuurtoren is open, maar niemand heeft de wacht: bellers "
                    "gaan naar de laatste uitweg.",
                }
            )
        for more in self.more_alerts:
            out += more()
        now = self.clock.now()
        ids = {a["id"] for a in out}
        for gone in set(self._alert_since) - ids:
            del self._alert_since[gone]
        for a in out:
            since = self._alert_since.setdefault(a["id"], now)
            a["since"] = since.astimezone(self.site.zone).isoformat(timespec="seconds")
        return out

    def publish_alerts(self) -> None:
        """Something an alert reads changed: the screens show it now."""
        self.bus.publish("alerts", {"alerts": self.alerts()})

    # -- resync ----------------------------------------------------------------------------
    async def _resync(self, ami: AMIClient) -> None:
        self._resyncing = True
        try:
            await self._resync_now(ami)
        finally:
            self._resyncing = False

    async def _resync_now(self, ami: AMIClient) -> None:
        now = self.clock.now()
        # what was known before asking: a member or caller the events bring while Asterisk
        # answers (a QueueAdd at connect time) is newer than its answer, and stays
        members_before = {n: set(q.members) for n, q in self.tracker.queues.items()}
        waiting_before = {n: set(q.waiting) for n, q in self.tracker.queues.items()}
        status = await ami.queue_status()
        channels = await ami.core_show_channels()
        adopted = self.tracker.adopt_live(channels, [e for q in status for e in q.entries], now)
        if adopted:
            log.info("resync: following %d call(s) that began while away", len(adopted))
        for q in status:
            live = self.tracker._queue(q.queue)
            if live is None:
                continue
            listed = {m.get("Location") or m.get("Interface") for m in q.members}
            for left in members_before.get(q.queue, set()) - listed:
                live.members.pop(left, None)  # left while Vuurtoren was away
            for m in q.members:
                self.tracker.handle(m, now)
            joined_since = {
                uid: at
                for uid, at in live.waiting.items()
                if uid not in waiting_before.get(q.queue, set())
            }
            live.waiting = {
                e.get("Uniqueid") or "": now - timedelta(seconds=int(e.get("Wait") or 0))
                for e in q.entries
            }
            for uid, at in joined_since.items():
                live.waiting.setdefault(uid, at)
            self._on_queue_change(live)
        up = {c.get("Uniqueid") or "" for c in channels}
        gone = self.tracker.reconcile(up, now, "ended while Vuurtoren was not connected")
        if gone:
            log.warning(
                "resync: %d call(s) ended while disconnected; recorded as lost_track", len(gone)
            )
        await self._collect_outage_records(ami)
        await self.beat()  # routing again: from now on a hang-up is seen, not recorded
        for step in self.after_resync:  # the duty: the queues as they should be, first
            try:
                await step()
            except AMIError:
                raise
            except Exception:
                log.exception("resync step %s failed", getattr(step, "__qualname__", step))
        await self.publish_states()

    async def _collect_outage_records(self, ami: AMIClient) -> None:
        """Record the calls the dialplan handled while Vuurtoren was away (``outage.py``),
        then delete their AstDB entries. A call already followed or stored keeps its record
        (it only learns that the fail-safe routed it, or of its callback request)."""
        try:
            entries = await ami.db_get_tree(ASTDB_FAMILY)
        except AMIError as exc:
            log.warning("resync: reading the fail-safe's records failed (%s)", exc)
            return
        mine = {k: v for k, v in entries.items() if k.split("/", 1)[0] in _OUTAGE_TREES}
        if not mine:
            return
        if self.writer is not None:
            await self.writer.flush()  # so that "already stored" is known
        records = [(key, parse_entry(key, value)) for key, value in mine.items()]
        changed: dict[str, CallRecord] = {}
        order = sorted(records, key=lambda kr: _READ_ORDER.get(kr[0].split("/", 1)[0], 9))
        for key, rec in order:
            if rec is None:
                log.warning("resync: unreadable AstDB entry %s/%s dropped", ASTDB_FAMILY, key)
                continue
            call = changed.get(rec.call_id) or self.tracker.calls.get(rec.call_id)
            if call is None and self.writer is not None:
                call = await self.writer.store.get(rec.call_id)
            if call is None:
                call = rec.to_record()
            elif rec.tree == CALLBACK_TREE:
                apply_callback(call, rec)
            elif rec.tree == FAILSAFE_TREE and rec.target not in (None, HANGUP_TARGET):
                call.failsafe = True
                if rec.at < call.started:  # the dialplan's own start (adopted calls)
                    call.started = rec.at
            if rec.site and call.site is None:  # a region's record: where it came in
                call.site = rec.site
            if rec.tree == FAILSAFE_TREE and call.decision is None:
                call.decision = rec.decision(self.site.local(call.site))  # counter, topic count
            elif rec.tree == VISIT_TREE and rec.target is not None:
                apply_visit(call, rec, self.tracker.short_abandon(rec.target))
            changed[rec.call_id] = call
        for call in changed.values():
            if call.call_id in self.tracker.calls:
                self.tracker._changed(call)
            elif self.writer is not None:
                self.writer.submit(call)
        if self.writer is not None:
            await self.writer.flush()
        for key in mine:
            await ami.db_del(ASTDB_FAMILY, key)
        log.info("resync: %d call(s) handled by the dialplan while away recorded", len(changed))

    # -- counter states in Asterisk -----------------------------------------------------------
    def current_states(self, at: datetime) -> dict[str, bool]:
        overrides = self.overrides()
        states: dict[str, bool] = {}
        for c in self.site.counters:
            ov = active_override(overrides, c.id, at)
            states[c.id] = (ov.mode is OverrideMode.OPEN) if ov else c.hours.is_open(at)
        ov = active_override(overrides, LIGHTHOUSE, at)
        states[LIGHTHOUSE] = (
            (ov.mode is OverrideMode.OPEN) if ov else (self.site.lighthouse.hours.is_open(at))
        )
        return states

    def _queue_of(self, key: str) -> str:
        return self.site.lighthouse.queue if key == LIGHTHOUSE else self.site.counter(key).queue

    async def publish_states(self) -> None:
        """Write every counter's and the lighthouse's state to AstDB (``open``, ``closed``,
        or ``unstaffed`` when open with nobody logged in: the fail-safe then passes it by)
        and the desk-phone lamps (hours and overrides); then, once rendered, what the
        fail-safe says of a closed counter (:meth:`_prepare_announcements`)."""
        now = self.clock.now()
        states = self.current_states(now)
        words: dict[str, str] = {}
        for key, is_open in states.items():
            queue = self.tracker.queues.get(self._queue_of(key))
            staffed = queue is not None and queue.staffing(now) > 0
            words[key] = "closed" if not is_open else ("open" if staffed else "unstaffed")
            if key == LIGHTHOUSE and words[key] == "unstaffed" != self.written.get(key):
                log.warning(
                    "ALERT: the lighthouse is open and nobody is on duty: callers go to the "
                    "last resort"
                )
            await self.ami.db_put(ASTDB_FAMILY, f"counter/{key}", words[key])
            await self.ami.set_device_state(device_for(key), "NOT_INUSE" if is_open else "INUSE")
        changed = [k for k, w in words.items() if self.written.get(k) != w]
        self.states, self.written = states, words
        self._chore(self._prepare_announcements())
        if changed:
            self.bus.publish("states", {"changed": changed})
            log.info(
                "counter states written to Asterisk: %s",
                ", ".join(f"{k}={words[k]}" for k in changed),
            )
            for q in self.tracker.queues.values():
                self._on_queue_change(q)
            self.publish_alerts()

    def next_change(self, at: datetime) -> datetime | None:
        """The next instant after ``at`` at which a counter or the lighthouse opens or closes
        (hours, overrides, closures): the scheduler writes the states then."""
        changes = [c.hours.next_change(at) for c in self.site.counters]
        changes.append(self.site.lighthouse.hours.next_change(at))
        for ov in self.overrides():
            changes += [t for t in (ov.starts, ov.ends) if t is not None and t > at]
        return min((c for c in changes if c is not None and c > at), default=None)

    async def _publish_states_forever(self) -> None:
        """Write the states whenever something that decides them changes (an override, a
        queue losing its last agent, an Asterisk boot). The openings and closings in time
        are the scheduler's (``schedules/jobs.py``), which calls :meth:`publish_states`."""
        while True:
            await self._state_changed.wait()
            self._state_changed.clear()
            if self.ami.state.value != "connected" or self._resyncing:
                continue  # the resync (after the next connect) writes them at its end
            try:
                await self.publish_states()
            except AMIError as exc:
                log.warning("writing counter states failed (%s); again after reconnect", exc)
