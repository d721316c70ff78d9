"""The simulated Asterisk: channels, queues, AstDB, device states and the event stream.

One :class:`SimAsterisk` models one Asterisk for one site. AMI sessions (``server.py``)
register with it and receive every event their read classes allow. Calls are scripted in
``calls.py``; arrivals come from ``traffic.py``; faults from ``faults.py``.

Test hooks: :attr:`actions_received`, :attr:`truth` (what really happened to each call),
:attr:`queue_log_lines`, :meth:`reset_hooks`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from callcenter.ami.codec import Message, encode_message
from callcenter.dialplan.names import HEARTBEAT_FRESH_SECONDS, HEARTBEAT_KEY
from callcenter.simulator.channels import Channel, ChannelFactory
from callcenter.simulator.clock import SimClock
from callcenter.simulator.features import FeatureCall
from callcenter.simulator.prompts import PromptLengths
from callcenter.simulator.queues import Device, Member, SimQueue
from routing.site import Site

if TYPE_CHECKING:
    from callcenter.simulator.callbacks import Citizen
    from callcenter.simulator.calls import InboundCall

__all__ = ["AMI_VERSIONS", "CallTruth", "SimAsterisk", "SimSettings", "Visit"]

log = logging.getLogger(__name__)

AMI_VERSIONS = {"18": "7.0.3", "20": "9.0.0", "21": "10.0.0", "22": "11.0.0"}
Header = tuple[str, str]


class EventSink(Protocol):
    def deliver(self, klass: str, data: bytes) -> None: ...


@dataclass(frozen=True, slots=True)
class SimSettings:
    version: str = "22"
    """Asterisk release line whose AMI banner is sent (18, 20, 21 or 22)."""
    failsafe_seconds: float | None = None
    """Hold before the dialplan routes on its own; default: the site's [asterisk] value."""
    counter_queue_timeout: int = 180
    lighthouse_queue_timeout: int = 600
    ring_timeout: int = 15
    retry: int = 5
    wrapuptime: int = 10
    timestamps: bool = True
    """Add ``Timestamp`` to events (manager.conf ``timestampevents=yes``)."""
    hours_aware_agents: bool = True
    """Members are unavailable (status 5) outside their counter's opening hours."""
    prompts: bool = True
    """The ``vuurtoren/*`` prompts are installed. Without them the dialplan skips each step
    that plays one: no menu (the default topic), no callback offer in the last resort."""
    prompt_time: bool = True
    """Each prompt takes its playing time (``prompts.py``: the built file's length, else its
    text at espeak-ng's pace), as ``Playback`` does; off: the flat pauses of before."""
    music_on_hold: bool = True
    """The ``default`` music-on-hold class can play (a minimal install has no files)."""
    lighthouse_agents: int | None = None
    """Phones in the lighthouse queue at boot; default: the site's ``[lighthouse] agents``.
    0 when the duty rota fills the queue (the demo)."""
    pause_return_seconds: float | None = None
    """A member paused over AMI (for a missed call, say) resumes by itself after this long,
    as a person at the phone would; None: stays paused until told."""
    padding_events: int = 0
    """Extra VarSet events per call (half before the RouteRequest, half after the Redirect),
    to match the volume of a real Asterisk 22 with Local channels (about 160 a call)."""
    bare_complete_every: int = 9
    """Every n-th call the caller ends while talking, Asterisk 22 was seen to send
    ``AgentComplete`` after the caller's channel is gone and without any of its fields (no
    ``Channel``, ``Uniqueid``, ``Linkedid``; 1 in 9 answered calls in a live run): so does
    the simulator (0: never)."""


@dataclass(slots=True)
class Visit:
    queue: str
    joined: float
    left: float | None = None
    outcome: str | None = None  # answered, abandoned, timeout, redirected, gone, callback
    hold_seconds: int | None = None
    member: str | None = None
    talk_seconds: int | None = None
    ended_by: str | None = None


@dataclass(slots=True)
class CallTruth:
    """What really happened to one call, for tests to compare with the service's record."""

    linkedid: str
    uniqueid: str
    channel: str
    caller: str | None
    started: float
    digits: str | None = None
    route_requested: float | None = None
    redirected_to: tuple[str, str] | None = None
    redirected_at: float | None = None
    failsafe: bool = False
    visits: list[Visit] = field(default_factory=list)
    last_resort: str | None = None  # callback, hangup
    place: str | None = None  # a mobile counter's address the caller asked about
    outcome: str | None = None  # answered, abandoned, last_resort, callback, lost
    ended: float | None = None
    hangup_stage: str | None = None
    heard: list[str] = field(default_factory=list)
    """The prompts played to the caller, in order, as paths under ``[prompts] dir``
    (``nl/welkom``, ``dyn/nl/<hash>``: a sentence Vuurtoren rendered)."""
    transfers: list[tuple[str, str]] = field(default_factory=list)
    """Blind transfers by an agent: (from queue, to extension)."""
    postcode: str | None = None
    """The postcode the caller keyed in when asked (neighbourhood teams)."""
    own_worker: str | None = None
    """The phone of the caller's own social worker that rang first (neighbourhood teams)."""
    own_worker_answered: bool = False

    @property
    def final_queue(self) -> str | None:
        return self.visits[-1].queue if self.visits else None


class SimAsterisk:
    def __init__(
        self,
        site: Site,
        *,
        clock: SimClock | None = None,
        seed: int = 0,
        settings: SimSettings | None = None,
    ) -> None:
        self.site = site
        self.clock = clock or SimClock()
        self.settings = settings or SimSettings()
        self.prompt_lengths = PromptLengths(site)
        """How long each prompt plays (``prompts.py``)."""
        if self.settings.version not in AMI_VERSIONS:
            raise ValueError(f"unknown Asterisk version {self.settings.version!r}")
        self.seed = seed
        self.rng = random.Random(seed)
        self.sinks: set[EventSink] = set()
        self.channels: dict[str, Channel] = {}
        self.calls: dict[str, InboundCall] = {}
        self.feature_calls: dict[str, FeatureCall] = {}
        self.devices: dict[str, Device] = {}
        """Phones in no queue (an agent called back from their own phone)."""
        self.citizens: dict[str, Citizen] = {}
        """How a citizen's phone behaves when called back, by number (``callbacks.py``)."""
        self.unloaded: set[str] = set()
        """Modules not loaded (``ModuleCheck`` says so; a ``Dial`` over their technology
        fails at once with ``CHANUNAVAIL``, as on Asterisk 22)."""
        self.trunk_congested = False
        """The outside line is full or down: every dial over it ends ``CONGESTION``."""
        self.queues: dict[str, SimQueue] = {}
        self.astdb: dict[tuple[str, str], str] = {}
        self.device_states: dict[str, str] = {}
        self.globals: dict[str, str] = {}
        self.truth: dict[str, CallTruth] = {}
        self.actions_received: list[Message] = []
        self.queue_log_lines: list[str] = []
        self.queue_log_file: str | None = None
        self.factory: ChannelFactory | None = None
        self.booted_at = 0.0
        self.reloaded_at = 0.0
        self.fully_booted = False
        self._tasks: set[asyncio.Task[object]] = set()
        self._listeners: list[Callable[[Message], None]] = []
        self.events_emitted = 0
        self.route_sent: dict[str, float] = {}
        """perf_counter() when each RouteRequest left, by channel (latency measurement)."""
        self.caller_completes = 0
        """Talks the caller ended (``SimSettings.bare_complete_every`` counts them)."""
        self.route_latencies: list[float] = []
        """Seconds from a RouteRequest leaving to its Redirect arriving."""
        self.route_marks: list[tuple[str, float, float]] = []
        """(channel, perf_counter() when its RouteRequest left, when its Redirect was read):
        with the other process's own marks (one monotonic clock per machine), where the
        time went."""

    # -- lifecycle ---------------------------------------------------------------------
    @property
    def ami_version(self) -> str:
        return AMI_VERSIONS[self.settings.version]

    def boot(self) -> None:
        """(Re)build queues and members from the site and announce FullyBooted."""
        now = self.clock.epoch()
        self.factory = ChannelFactory(now)
        self.booted_at = self.reloaded_at = now
        s = self.settings
        self.queues = {}
        zone_rng = random.Random(self.seed * 7919 + 1)

        def queue(
            name: str, strategy: str, timeout: int, service_level: int, weight: int = 0
        ) -> SimQueue:
            q = SimQueue(
                self,
                name,
                strategy=strategy,
                timeout=timeout,
                ring_timeout=s.ring_timeout,
                retry=s.retry,
                wrapuptime=s.wrapuptime,
                service_level=service_level,
                weight=weight,
            )
            self.queues[name] = q
            return q

        for counter in self.site.counters:
            q = queue(
                counter.queue, "rrmemory", s.counter_queue_timeout, counter.service_level_seconds
            )
            for i in range(1, counter.agents + 1):
                iface = f"PJSIP/{counter.id}-{i:02d}"
                self._add_static(q, iface, f"{counter.name} {i}", zone_rng)
        lh = self.site.lighthouse
        q = queue(
            lh.queue, "ringall", s.lighthouse_queue_timeout, lh.service_level_seconds, weight=10
        )
        lh_agents = lh.agents if s.lighthouse_agents is None else s.lighthouse_agents
        for i in range(1, lh_agents + 1):
            iface = f"PJSIP/vuurtoren-{i:02d}"
            member = self._add_static(q, iface, f"Vuurtoren {i}", zone_rng)
            member.membership = "dynamic"
        self.update_availability(announce=False)
        self.fully_booted = True
        self.emit("FullyBooted", "system", self.fully_booted_headers())

    def resume_member(self, interface: str) -> None:
        """The person at ``interface`` ends their pause (PauseQueueMember from the phone)."""
        for queue in self.queues.values():
            member = queue.members.get(interface)
            if member is not None and member.paused:
                queue.pause(member, False, "")

    async def dial_feature(self, device: str, code: str, **headers: str) -> str:
        """A desk phone dials a feature code (``*45``; ``*46`` with ``Key`` and ``Pin``);
        returns the result word Vuurtoren redirected the phone to (``failed``: no answer)."""
        return await FeatureCall(self, device, code, headers).run()

    def _add_static(self, q: SimQueue, iface: str, name: str, rng: random.Random) -> Member:
        device = Device(iface, rng=random.Random(rng.randrange(1 << 30)))
        member = Member(q.name, iface, name, iface, device, login_time=int(self.booted_at))
        q.add_member(member, announce=False)
        return member

    def fully_booted_headers(self) -> list[Header]:
        now = self.clock.epoch()
        return [
            ("Uptime", str(int(now - self.booted_at))),
            ("LastReload", str(int(now - self.reloaded_at))),
            ("Status", "Fully Booted"),
        ]

    def start_task(self, coro: object, name: str) -> asyncio.Task[object]:
        task: asyncio.Task[object] = asyncio.get_running_loop().create_task(coro, name=name)  # type: ignore[arg-type]
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[object]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("simulator task %s failed", task.get_name(), exc_info=task.exception())

    async def stop(self) -> None:
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def reset_hooks(self) -> None:
        """Forget received actions, ground truth and queue_log (a test starts clean)."""
        self.actions_received.clear()
        self.truth.clear()
        self.queue_log_lines.clear()

    # -- events --------------------------------------------------------------------------
    def emit(self, name: str, klass: str, headers: Iterable[Header]) -> None:
        head: list[Header] = [("Event", name), ("Privilege", f"{klass},all")]
        if self.settings.timestamps:
            head.append(("Timestamp", f"{self.clock.epoch():.6f}"))
        all_headers = (*head, *headers)
        self.events_emitted += 1
        if self._listeners:
            msg = Message(all_headers)
            for listener in self._listeners:
                listener(msg)
        if not self.sinks:
            return
        data = encode_message(all_headers)
        for sink in tuple(self.sinks):
            sink.deliver(klass, data)

    def ami_sessions(self, username: str) -> int:
        """``AMI_CLIENT(username,sessions)``: sessions logged in as that user (any program:
        it does not tell whether the routing service is there)."""
        return sum(
            1
            for sink in self.sinks
            if getattr(getattr(sink, "account", None), "username", None) == username
        )

    def vuurtoren_here(self) -> bool:
        """The generated dialplan's test: the routing service's heartbeat in AstDB
        (``vuurtoren/heartbeat``, an epoch second) is younger than the freshness window."""
        try:
            beat = int(self.db_get("vuurtoren", HEARTBEAT_KEY) or 0)
        except ValueError:
            return False
        return self.clock.epoch() - beat < HEARTBEAT_FRESH_SECONDS

    def listen(self, listener: Callable[[Message], None]) -> None:
        """In-process tap on every event (tests, the benchmark's ground truth)."""
        self._listeners.append(listener)

    def queue_log(self, callid: str, queue: str, agent: str, event: str, data: str) -> None:
        line = f"{int(self.clock.epoch())}|{callid}|{queue}|{agent}|{event}|{data}"
        self.queue_log_lines.append(line)
        if self.queue_log_file:
            with open(self.queue_log_file, "a", encoding="utf-8") as f:
                f.write(line + "\n")

    # -- channels ------------------------------------------------------------------------
    def new_channel(
        self,
        name: str,
        *,
        linkedid: str | None = None,
        state: int = 4,
        context: str = "",
        exten: str = "s",
        caller_num: str | None = None,
        caller_name: str | None = None,
        uniqueid: str | None = None,
    ) -> Channel:
        """``uniqueid``: the one an Originate asked for (``ChannelId``), else a new one."""
        assert self.factory is not None, "boot() first"
        uniqueid = uniqueid or self.factory.uniqueid()
        channel = Channel(
            name,
            uniqueid,
            linkedid or uniqueid,
            self.clock.epoch(),
            state,
            caller_num,
            caller_name,
            context=context,
            exten=exten,
        )
        self.channels[name] = channel
        self.emit("Newchannel", "call", channel.snapshot())
        return channel

    def set_state(self, channel: Channel, state: int) -> None:
        channel.state = state
        self.emit("Newstate", "call", channel.snapshot())

    def set_var(self, channel: Channel | None, variable: str, value: str) -> None:
        if channel is None:
            self.globals[variable] = value
            self.emit("VarSet", "dialplan", [("Variable", variable), ("Value", value)])
            return
        channel.variables[variable] = value
        self.emit(
            "VarSet", "dialplan", [*channel.snapshot(), ("Variable", variable), ("Value", value)]
        )

    def newexten(
        self, channel: Channel, context: str, exten: str, priority: int, app: str, data: str
    ) -> None:
        channel.context, channel.exten, channel.priority = context, exten, priority
        channel.application, channel.app_data = app, data
        self.emit(
            "Newexten",
            "dialplan",
            [*channel.snapshot(), ("Extension", exten), ("Application", app), ("AppData", data)],
        )

    def hangup_channel(self, channel: Channel, cause: int = 16, *, request: bool = False) -> None:
        if channel.hung_up:
            return
        channel.hung_up = True
        text = {
            16: "Normal Clearing",
            19: "No answer",
            17: "User busy",
            0: "Unknown",
            1: "Unallocated (unassigned) number",
        }.get(cause, "Normal Clearing")
        if request:
            self.emit("HangupRequest", "call", [*channel.snapshot(), ("Cause", str(cause))])
        self.channels.pop(channel.name, None)
        channel.state = channel.state if channel.state else 0
        self.emit(
            "Hangup", "call", [*channel.snapshot(), ("Cause", str(cause)), ("Cause-txt", text)]
        )

    # -- AstDB and device states ------------------------------------------------------------
    def db_put(self, family: str, key: str, value: str) -> None:
        self.astdb[(family, key)] = value

    def db_get(self, family: str, key: str) -> str | None:
        return self.astdb.get((family, key))

    def db_del(self, family: str, key: str) -> bool:
        return self.astdb.pop((family, key), None) is not None

    def set_device_state(self, device: str, state: str) -> None:
        self.device_states[device] = state
        self.emit("DeviceStateChange", "call", [("Device", device), ("State", state)])

    # -- agents follow opening hours -----------------------------------------------------------
    def update_availability(self, *, announce: bool = True) -> None:
        if not self.settings.hours_aware_agents:
            return
        at = self.clock.now().astimezone(self.site.zone)
        open_by_queue = {c.queue: c.hours.is_open(at) for c in self.site.counters}
        open_by_queue[self.site.lighthouse.queue] = self.site.lighthouse.hours.is_open(at)
        for queue in self.queues.values():
            is_open = open_by_queue.get(queue.name, True)
            for member in queue.members.values():
                device = member.device
                wanted = (1 if not device.in_call else 2) if is_open else 5
                if device.in_call or device.ringing or device.status == wanted:
                    continue
                device.status = wanted
                if announce:
                    queue.member_event("QueueMemberStatus", member)
            if is_open:
                queue.dispatch()

    async def run_availability(self, every: float = 60.0) -> None:
        while True:
            await self.clock.sleep(every)
            self.update_availability()

    # -- clock helpers -------------------------------------------------------------------------
    def local_now(self) -> datetime:
        return self.clock.now().astimezone(self.site.zone)
