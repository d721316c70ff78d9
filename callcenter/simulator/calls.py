"""One inbound call through the central number, as the generated dialplan runs it
(``callcenter/asterisk/config.py``).

``central-number``: answer, welcome, topic menu (one key at a time; a key that starts a longer
choice waits 3 s for the next; no menu prompt installed: no menu), ``UserEvent(RouteRequest)``,
then hold (music in the background, ``Wait(1)`` steps) until Vuurtoren's ``Redirect`` arrives,
or after ``failsafe_seconds`` route alone: the counter's queue when AstDB
``vuurtoren/counter/<id>`` says ``open``, else the lighthouse unless ``counter/lighthouse`` is
``closed`` or ``unstaffed``, else the last resort; each such call leaves a record in AstDB
(``failsafe/<linkedid>``), as does a call hung up before routing while no Vuurtoren session is
logged in (the ``h`` extension). ``queues,<queue>,1``: ``Queue(<queue>)``; a counter queue that
times out continues to the lighthouse (or the last resort when it is closed), the lighthouse
to the last resort. ``last-resort,<counter>,1``: the closed message, the always-open lines,
a callback request for a caller whose number is known. A missing prompt is skipped.

The call's legs are Local channels: ``;1`` (the caller side) and ``;2`` (runs the dialplan and
joins queues); ``;2``'s Linkedid is ``;1``'s Uniqueid, and when the caller hangs up the ``;1``
leg goes first, before the ``;2`` leg's abandon or AgentComplete, as a real Asterisk 22 does
(``asterisk-behaviour.md``). ``shutdown()`` is ``core stop now``: every channel is hung up with
``SoftHangupRequest`` ``Cause: 4``.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from callcenter.dialplan.names import (
    ASTDB_FAMILY,
    FAILSAFE_TREE,
    HANGUP_TARGET,
    HOLD_MUSIC_APP,
    HOLD_STEP_APP,
    LAST_RESORT_TARGET,
    OWN_WORKER_ANSWERED,
    OWN_WORKER_CONTEXT,
    OWN_WORKER_EVENT,
    PLACES_CONTEXT,
    POSTCODE_CONTEXT,
    QUEUE_EXIT_CONTEXT,
    RECORD_VERSION,
    RECORD_VERSION_SITE,
    VISIT_TREE,
    menu_prefixes,
)
from callcenter.dialplan.prompts import place_choices
from callcenter.simulator.core import CallTruth, Visit
from callcenter.simulator.queues import Entry, SimQueue, VisitResult
from routing.site import dialled_digits

if TYPE_CHECKING:
    from callcenter.simulator.core import SimAsterisk

__all__ = ["LIGHTHOUSE_TALK_FACTOR", "CallerProfile", "InboundCall"]

LIGHTHOUSE_TALK_FACTOR = 0.5
"""A call answered by the lighthouse lasts this share of the caller's time at the counter:
the lighthouse listens, registers the question and refers, the counter handles it."""


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
    """Seconds into the menu (after the welcome and the language offers) at which the caller
    presses their first key, unless ``react_seconds`` is set."""
    react_seconds: float | None = None
    """A caller who knows what they want: they press each key this long after the menu has
    said their choice (barge-in: the rest of the prompt is not heard)."""
    hangup_in_menu: bool = False
    site: str | None = None
    """A region's municipality whose number the caller dials (its id); None: a lone site's
    number, or a region's first municipality."""
    last_resort_choice: str = "callback"
    """In the last resort: ``callback`` (press 1 when offered) or ``hangup``."""
    place_key: str | None = None
    """In a mobile counter's last resort: the key of the caller's own address, pressed when
    the places are offered; None: none."""
    callback_after: float | None = None
    """Seconds into a queue visit after which the caller presses the callback key (when the
    site offers queued callbacks); None: never."""
    postcode: str | None = None
    """Neighbourhood teams: the postcode the caller keys in when asked; None: nothing."""


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


_SHUTDOWN = "4"  # SoftHangupRequest Cause of AST_SOFTHANGUP_SHUTDOWN
_CALLER_GONE = "16"


class InboundCall:
    def __init__(self, ast: SimAsterisk, profile: CallerProfile) -> None:
        self.ast = ast
        self.profile = profile
        assert ast.factory is not None
        suffix = ast.factory.suffix()
        self.local = ast.site.local(profile.site)
        """The site as this caller meets it (a region: the municipality dialled)."""
        self.own = f"{self.local.site_id}/" if self.local.site_id else ""
        """Where the municipality's own prompts are (``pelt/``), none for a lone site."""
        dialled = dialled_digits(self.local.number or "") if self.local.site_id else "s"
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
            exten=dialled,  # a region's number dialled: the extension the call comes in on
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
        self._talking: tuple[str, VisitResult, Entry, float] | None = None
        self._transfer: asyncio.Future[tuple[str, str]] | None = None
        self._waited = 0.0
        self._topic = ""
        self._counter = ""
        self._joined_first = 0.0
        self._key_pressed_at = 0.0
        self.language = ast.site.prompts.languages[0]
        self.leg2.language = self.language  # Set(CHANNEL(language)=${VT_LANGUAGE})
        self.task: asyncio.Task[object] | None = None

    @property
    def waiting(self) -> bool:
        """In a queue, not yet put through (a whisper reaches the caller now)."""
        return self._entry is not None and not self.leg2.hung_up

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

    def talking_with(self, channel: str) -> bool:
        """Whether the caller is bridged with the agent's leg ``channel`` now."""
        talking = self._talking
        return talking is not None and getattr(talking[1].member_channel, "name", None) == channel

    def transfer(self, context: str, exten: str) -> None:
        """A blind transfer by the agent: the talk ends, the caller goes on there."""
        if self._transfer is not None and not self._transfer.done():
            self._transfer.set_result((context, exten))

    def hangup_now(self, cause: int = 16) -> None:
        """A Hangup action (or Asterisk vanishing): end without any further events."""
        truth = self.truth
        if truth.ended is None:
            truth.outcome = truth.outcome or "lost"
            truth.hangup_stage = truth.hangup_stage or "asterisk-gone"
            truth.ended = self.ast.clock.epoch()
        if self.task is not None:
            self.task.cancel()

    def shutdown(self) -> None:
        """``core stop now``: Asterisk hangs the call up with a shutdown soft hangup on every
        leg; a waiting caller's queue reports an abandon, a talking one an AgentComplete."""
        ast = self.ast
        if self.task is not None:
            self.task.cancel()
        for ch in (self.leg1, self.leg2):
            if not ch.hung_up:
                ast.emit("SoftHangupRequest", "call", [*ch.snapshot(), ("Cause", _SHUTDOWN)])
        if self._entry is not None and self._entry_queue is not None:
            ast.queues[self._entry_queue].abandon(self._entry)
        elif self._talking is not None:
            queue_name, result, entry, started = self._talking
            self._end_talk(queue_name, result, entry, int(ast.clock.epoch() - started), "caller")
            assert result.member_channel is not None
            ast.hangup_channel(result.member_channel, 0)
        for ch in (self.leg2, self.leg1):
            ast.hangup_channel(ch, 0)
        truth = self.truth
        truth.outcome, truth.hangup_stage = "lost", "shutdown"
        truth.ended = ast.clock.epoch()

    # -- the script ----------------------------------------------------------------------------
    async def run(self) -> None:
        ast = self.ast
        p = self.profile
        truth = self.truth
        try:
            ast.newexten(self.leg2, "central-number", "s", 1, "Answer", "")
            ast.set_state(self.leg2, 6)
            ast.set_state(self.leg1, 6)
            if p.hangup_in_menu:
                half, intro = p.menu_seconds * 0.5, 0.0
                if ast.settings.prompts:
                    self._play(f"{self.own}welkom", app="Read")
                    intro = self._intro()
                await self._listen(intro + half, half)
                truth.hangup_stage = "menu"
                raise _HungUp
            digits = await self._menu()
            truth.digits = digits
            if ast.settings.prompts and not digits:
                await self._listen(self._play("geen-keuze"))
            elif ast.settings.prompts and self.local.find_topic(digits) is None:
                await self._listen(self._play("ongeldig"))
            self._topic = digits or ""
            self._pad(ast.settings.padding_events // 2)
            ast.set_var(self.leg2, "TOPIC", digits or "")
            ast.newexten(self.leg2, "central-number", "s", 4, "UserEvent", "RouteRequest")
            self._route_request()
            truth.route_requested = ast.clock.epoch()
            ast.newexten(self.leg2, "central-number", "s", 5, HOLD_MUSIC_APP, "default")
            target = await self._wait_for_redirect()
            ast.route_sent.pop(self.leg2.name, None)
            self._pad(ast.settings.padding_events - ast.settings.padding_events // 2)
            await self._follow(target)
        except _HungUp:
            truth.outcome = truth.outcome or "abandoned"
            self._caller_hangs_up()
            if not ast.vuurtoren_here():  # the `h` extension
                self._leave_record(HANGUP_TARGET)
            self._hangup_dialplan_leg()
        except asyncio.CancelledError:
            if truth.ended is None:
                truth.outcome = truth.outcome or "lost"
                truth.hangup_stage = truth.hangup_stage or "asterisk-gone"
                truth.ended = ast.clock.epoch()
            raise
        finally:
            ast.calls.pop(self.leg2.name, None)

    async def _menu(self) -> str | None:
        """The topic menu: the keys the caller presses, read one at a time. The welcome and
        the other languages' offers open the first menu's ``Read`` (a key acts at once, even
        during the welcome). Without the menu prompt there is no menu (nobody would know the
        keys): the default topic."""
        ast, p = self.ast, self.profile
        if not ast.settings.prompts:
            return None
        keys = p.digits or ""
        languages = {key: code for code, key in ast.site.prompts.keys.items()}
        prefixes = set(menu_prefixes(self.local))
        self._play(f"{self.own}welkom", app="Read")
        intro = self._intro()
        while True:
            self._play(f"{self.own}menu", app="Read")
            await self._listen(intro + self._keyed(keys[:1], ""), p.menu_seconds)
            intro = 0.0
            # after a key that starts a longer choice, Read waits up to 3 s for the next one
            read = keys[:1]
            while read in prefixes:
                sub = any(t.digit.startswith(read) for t in self.local.topics)
                if sub:
                    self._play(f"{self.own}menu-{read}", app="Read")  # its own prompt
                nxt = keys[len(read) : len(read) + 1]
                if not nxt:
                    await ast.clock.sleep(3.0)
                    break
                if sub and p.react_seconds is not None and ast.settings.prompt_time:
                    await ast.clock.sleep(self._keyed(nxt, read))
                read += nxt
            if read not in languages:
                return read or None
            self.language = languages[read]  # the menu again, in that language
            self.leg2.language = self.language  # Set(CHANNEL(language)=...): in its snapshots
            keys = keys[len(read) :]

    def _intro(self) -> float:
        """How long the welcome and the other languages' offers play before the menu."""
        lengths, site = self.ast.prompt_lengths, self.ast.site
        others = [f"{code}/taalkeuze" for code in site.prompts.languages if code != self.language]
        return lengths.seconds(f"{self.language}/{self.own}welkom") + lengths.total(others)

    def _keyed(self, key: str, prefix: str) -> float:
        """Seconds into the menu after ``prefix`` at which a caller who knows what they
        want presses ``key``; a caller who presses nothing hears the menu and Read's 5 s."""
        react = self.profile.react_seconds
        if react is None:
            return self.profile.menu_seconds
        lengths = self.ast.prompt_lengths
        name = f"{self.language}/{self.own}menu" + (f"-{prefix}" if prefix else "")
        heard = lengths.option_heard(self.language, prefix, key, self.local) if key else None
        if heard is None:  # not offered (another language's key, a wrong key), or no key
            return lengths.seconds(name) + (react if key else 5.0)
        return heard + react

    def _play(self, name: str, app: str = "Playback") -> float:
        """A prompt of the site in the caller's language (``vuurtoren-sound``); returns
        how long it plays (see :meth:`_listen`)."""
        path = f"{self.language}/{name}"
        full = f"{self.ast.site.prompts.dir.rstrip('/')}/{path}"
        self.ast.newexten(self.leg2, self.leg2.context, self.leg2.exten, 2, app, full)
        self.truth.heard.append(path)
        return self.ast.prompt_lengths.seconds(path)

    def _announce(self) -> float:
        """``vuurtoren-announce``: each file of ``VT_ANNOUNCE``, then the variable cleared;
        returns how long they play."""
        files = self.leg2.variables.pop("VT_ANNOUNCE", "")
        base = self.ast.site.prompts.dir.rstrip("/") + "/"
        seconds = 0.0
        for f in filter(None, files.split("&")):
            self.ast.newexten(self.leg2, self.leg2.context, self.leg2.exten, 3, "Playback", f)
            self.truth.heard.append(f.removeprefix(base))
            seconds += self.ast.prompt_lengths.seconds(f)
        return seconds

    async def _listen(self, seconds: float, fixed: float = 0.0) -> None:
        """The caller hears what plays for ``seconds`` (``Playback`` returns when the file
        has been heard); with ``SimSettings.prompt_time`` off, a flat ``fixed`` pause."""
        wait = seconds if self.ast.settings.prompt_time else fixed
        if wait > 0:
            await self.ast.clock.sleep(wait)

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
        if HOLD_STEP_APP == "MusicOnHold" and not ast.settings.music_on_hold:
            wait = 0.0  # MusicOnHold(class,1) returns at once when the class cannot play
        ast.newexten(self.leg2, "central-number", "hold", 7, HOLD_STEP_APP, "1")
        try:
            target = await asyncio.wait_for(asyncio.shield(self._redirect), ast.clock.real(wait))
        except TimeoutError:
            return self._failsafe()
        self.truth.redirected_to = target
        self.truth.redirected_at = ast.clock.epoch()
        return target

    def _leave_record(self, target: str, reason: str = "") -> None:
        """``Set(DB(vuurtoren/failsafe/<linkedid>)=v2,start,uniqueid,topic,counter,target,
        reason,caller)``; a region's ``v3,…,reason,site,caller``."""
        t = self.truth
        head = f"{int(t.started)},{t.uniqueid},{self._topic},{self._counter},{target},{reason}"
        site = self.local.site_id
        value = (
            f"{RECORD_VERSION_SITE},{head},{site},{self.profile.number or ''}"
            if self.ast.site.sites
            else f"{RECORD_VERSION},{head},{self.profile.number or ''}"
        )
        self.ast.db_put("vuurtoren", f"{FAILSAFE_TREE}/{t.linkedid}", value)

    def _failsafe(self) -> tuple[str, str]:
        ast = self.ast
        self.truth.failsafe = True
        site = self.local
        counter = site.counter(site.topic(self._topic or None).counter)
        self._counter = counter.id
        state = ast.db_get("vuurtoren", f"counter/{counter.id}")
        reason = "open" if state == "open" else "no_agents" if state == "unstaffed" else "closed"
        if state == "open":
            target = counter.queue
        else:
            target = LAST_RESORT_TARGET if self._lighthouse_closed() else site.lighthouse.queue
            if target == LAST_RESORT_TARGET:  # when the counter opens again
                said = ast.db_get("vuurtoren", f"announce/{counter.id}/{self.leg2.language}")
            else:  # why, in one sentence
                said = f"{site.prompts.dir.rstrip('/')}/{self.language}/vuurtoren-{reason}"
            ast.set_var(self.leg2, "VT_ANNOUNCE", said or "")
        self._leave_record(target, reason)
        ast.set_var(self.leg2, "FAILSAFE", "1")
        # a late Redirect may still move the caller; make it land on a fresh future
        self._redirect = asyncio.get_running_loop().create_future()
        if target == LAST_RESORT_TARGET:
            ast.newexten(self.leg2, "central-number", "failsafe", 11, "Goto", "last-resort")
            return ("last-resort", counter.id)
        ast.newexten(self.leg2, "central-number", "failsafe", 10, "Goto", f"queues,{target},1")
        return ("queues", target)

    def _lighthouse_closed(self) -> bool:
        return self.ast.db_get("vuurtoren", "counter/lighthouse") in ("closed", "unstaffed")

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
            elif context == POSTCODE_CONTEXT:
                target = await self._postcode()
            elif context == OWN_WORKER_CONTEXT and exten in ast.queues:
                nxt = await self._own_worker(exten)
                if nxt is None:
                    return
                target = nxt
            elif context == QUEUE_EXIT_CONTEXT:
                queue_name, position = exten.split(",")
                nxt = await self._callback_key(queue_name, int(position))
                if nxt is None:
                    return
                target = nxt
            else:  # an unknown place: Asterisk would hang up (no such extension)
                self.truth.outcome = "lost"
                self.truth.hangup_stage = f"invalid target {context},{exten}"
                self._hangup_dialplan_leg()
                self._hangup_caller_leg()
                return

    def _route_request(self, *more: tuple[str, str]) -> None:
        """``UserEvent(RouteRequest,…)`` as the dialplan sends it (the topic keyed, a
        region's ``Site``, the caller, and ``more``); its time kept for the route latency."""
        leg, site = self.leg2, self.local.site_id
        self.ast.emit(
            "UserEvent",
            "user",
            [
                *leg.snapshot(),
                ("UserEvent", "RouteRequest"),
                ("Uniqueid", leg.uniqueid),
                ("Topic", self._topic),
                *((("Site", site),) if site else ()),
                ("Caller", self.profile.number or ""),
                *more,
            ],
        )
        self.ast.route_sent[leg.name] = time.perf_counter()

    async def _postcode(self) -> tuple[str, str]:
        """``vuurtoren-postcode``: the question, 4 keys (8 s for nothing), a second
        RouteRequest with ``Postcode``, and the hold until Vuurtoren's Redirect (or the
        fail-safe)."""
        ast, p, leg = self.ast, self.profile, self.leg2
        ast.newexten(leg, POSTCODE_CONTEXT, "s", 1, "StopMusicOnHold", "")
        said = self._play("postcode-vraag", app="Read") if ast.settings.prompts else 0.0
        keyed = p.postcode or ""
        await self._listen(said + (len(keyed) * 0.6 if keyed else 8.0), 1.0)
        self.truth.postcode = keyed or None
        ast.set_var(leg, "POSTCODE", keyed)
        self._redirect = asyncio.get_running_loop().create_future()  # the answer to this one
        ast.newexten(leg, POSTCODE_CONTEXT, "s", 4, "UserEvent", "RouteRequest")
        self._route_request(("Postcode", keyed))
        target = await self._wait_for_redirect()
        ast.route_sent.pop(leg.name, None)
        return target

    async def _own_worker(self, queue_name: str) -> tuple[str, str] | None:
        """``vuurtoren-own-worker,<team queue>``: ``Dial(${VT_WORKER},${VT_RING},rU(…))``.
        The worker's phone answers as a queue member's would (its device's odds and delay);
        answered, the answering side sends ``UserEvent(OwnWorker)`` and they talk; busy,
        unreachable or not answered in time: on to the team's queue. None: the call ended."""
        ast, p, leg = self.ast, self.profile, self.leg2
        worker = leg.variables.get("VT_WORKER", "")
        try:
            ring_limit = float(leg.variables.get("VT_RING") or 20)
        except ValueError:
            ring_limit = 20.0
        ast.newexten(leg, OWN_WORKER_CONTEXT, queue_name, 3, "Dial", f"{worker},{ring_limit:g}")
        self.truth.own_worker = worker
        members = [
            m
            for q in ast.queues.values()
            for m in q.members.values()
            if worker and worker in (m.state_interface, m.interface)
        ]
        if not members:
            ast.set_var(leg, "DIALSTATUS", "CHANUNAVAIL")
            return ("queues", queue_name)
        member = members[0]
        device = member.device
        status_of = ast.queues[member.queue]._set_status
        if not member.available(ast.clock.epoch()):  # paused, talking, ringing: busy
            await ast.clock.sleep(0.5)
            ast.set_var(leg, "DIALSTATUS", "BUSY")
            return ("queues", queue_name)
        assert ast.factory is not None
        phone = ast.new_channel(
            f"{worker}-{ast.factory.suffix()}",
            linkedid=leg.linkedid,
            state=5,
            caller_num=p.number,
            caller_name=p.name,
        )
        ast.emit("DialBegin", "call", [*leg.snapshot(), *phone.snapshot("Dest")])
        device.ringing = True
        status_of(member, 6)
        rng = device.rng
        answers = rng.random() < device.answer_probability
        delay = rng.uniform(*device.answer_delay)
        try:
            await ast.clock.sleep(min(delay, ring_limit) if answers else ring_limit)
        finally:
            device.ringing = False
        if not answers or delay >= ring_limit:
            ast.emit(
                "DialEnd",
                "call",
                [*leg.snapshot(), *phone.snapshot("Dest"), ("DialStatus", "NOANSWER")],
            )
            ast.hangup_channel(phone, 19)
            status_of(member, 1)
            ast.set_var(leg, "DIALSTATUS", "NOANSWER")
            return ("queues", queue_name)
        device.in_call = True
        status_of(member, 2)
        ast.set_state(phone, 6)
        ast.newexten(phone, OWN_WORKER_ANSWERED, "s", 1, "UserEvent", OWN_WORKER_EVENT)
        ast.emit(
            "UserEvent",
            "user",
            [*phone.snapshot(), ("UserEvent", OWN_WORKER_EVENT), ("Status", "ANSWER")],
        )
        ast.emit(
            "DialEnd", "call", [*leg.snapshot(), *phone.snapshot("Dest"), ("DialStatus", "ANSWER")]
        )
        bridge = f"{ast.factory.uniqueid()}-bridge"
        for ch, n in ((leg, 1), (phone, 2)):
            ch.bridge_id = bridge
            ast.emit("BridgeEnter", "call", [*_bridge(bridge, n), *ch.snapshot()])
        self.truth.own_worker_answered = True
        self.truth.outcome = "answered"
        try:
            await ast.clock.sleep(p.talk_seconds)
        finally:
            for ch, n in ((leg, 1), (phone, 0)):
                ast.emit("BridgeLeave", "call", [*_bridge(bridge, n), *ch.snapshot()])
            self._caller_hangs_up()
            ast.hangup_channel(phone)
            self._hangup_dialplan_leg()
            device.in_call = False
            status_of(member, 1)
            for q in ast.queues.values():
                q.dispatch()
        return None

    async def _queue_visit(
        self, queue_name: str, position: int | None = None
    ) -> tuple[str, str] | None:
        ast = self.ast
        queue = ast.queues[queue_name]
        if position is None and ast.settings.prompts and queue_name == ast.site.lighthouse.queue:
            await self._listen(self._announce())  # why, in one sentence; then Queue()
        else:
            self.leg2.variables.pop("VT_ANNOUNCE", None)  # a counter's queue: Queue() at once
        visit = Visit(queue_name, ast.clock.epoch())
        self.truth.visits.append(visit)
        entry = queue.join(self.leg2, position=position)
        if position is None:  # Set(VT_JOINED=${EPOCH}); a return to the same place keeps it
            self._joined_first = entry.joined  # within the second Queue() starts
        self._entry, self._entry_queue = entry, queue_name
        patience_left = max(0.0, self.profile.patience - self._waited)
        redirect = self._redirect if not self._redirect.done() else None
        waiters: set[asyncio.Future[object]] = {entry.future}  # type: ignore[arg-type]
        if redirect is not None:
            waiters.add(redirect)  # type: ignore[arg-type]
        key = self._callback_key_timer(queue, entry)
        done, _ = await asyncio.wait(
            waiters, timeout=ast.clock.real(patience_left), return_when=asyncio.FIRST_COMPLETED
        )
        if key is not None:
            key.cancel()
        self._entry = self._entry_queue = None
        caller_left = False
        if not entry.future.done():
            if redirect is not None and redirect in done:
                queue.withdraw(entry, "redirected")
            else:  # patience ran out: the caller hangs up while waiting; ;1 goes first
                self._caller_hangs_up()
                queue.abandon(entry)
                caller_left = True
        result = entry.future.result()
        self._waited += result.hold_seconds
        visit.left = ast.clock.epoch()
        visit.outcome = result.outcome
        visit.hold_seconds = result.hold_seconds
        if result.outcome == "answered":
            return await self._talk(queue_name, result, entry)
        if caller_left:
            self.truth.outcome = "abandoned"
            self.truth.hangup_stage = "queue"
            if not ast.vuurtoren_here():  # [queues] h: the visit, for Vuurtoren's figures
                ast.db_put(
                    "vuurtoren",
                    f"{VISIT_TREE}/{self.truth.linkedid}",
                    f"{queue_name},{int(visit.joined)},{int(ast.clock.epoch())},"
                    f"{self.leg2.uniqueid}",
                )
            self._hangup_dialplan_leg()
            return None
        if result.outcome == "key":
            visit.outcome = "callback"
            self._key_pressed_at = result.at
            return (QUEUE_EXIT_CONTEXT, f"{queue_name},{result.position}")
        if result.outcome == "redirected":
            target = self._redirect.result()
            self._redirect = asyncio.get_running_loop().create_future()
            return target
        # timeout: the dialplan continues
        counter = self.local.topic(self._topic or None).counter
        if queue_name != ast.site.lighthouse.queue:
            if self._lighthouse_closed():
                ast.newexten(self.leg2, "queues", queue_name, 3, "GotoIf", "last-resort")
                return ("last-resort", counter)
            base = ast.site.prompts.dir.rstrip("/")
            self.leg2.variables["VT_ANNOUNCE"] = f"{base}/{self.language}/vuurtoren-overflow"
            ast.newexten(
                self.leg2, "queues", queue_name, 4, "Goto", f"queues,{ast.site.lighthouse.queue},1"
            )
            return ("queues", ast.site.lighthouse.queue)
        return ("last-resort", counter)

    def _callback_key_timer(self, queue: SimQueue, entry: Entry) -> asyncio.TimerHandle | None:
        """The caller presses the callback key after ``callback_after`` seconds in line (the
        queue's periodic announcement offers it when the site has queued callbacks on)."""
        ast, after = self.ast, self.profile.callback_after
        if after is None or not ast.site.callbacks.queued or not ast.settings.prompts:
            return None
        key = ast.site.callbacks.key
        return ast.clock.call_later(after, queue.exit_with_key, entry, key)

    async def _callback_key(self, queue_name: str, position: int) -> tuple[str, str] | None:
        """``vuurtoren-queue-exit``: with a known number, ``UserEvent(CallbackRequest)`` with
        the queue and the place, a confirmation, hang up; without one, back to that place."""
        ast, p = self.ast, self.profile
        key = ast.site.callbacks.key
        leg = self.leg2
        ast.newexten(leg, QUEUE_EXIT_CONTEXT, key, 1, "NoOp", f"callback from {queue_name}")
        if not p.number:
            ast.set_var(leg, "VT_POS", str(position))
            said = self._play("terugbellen-geen-nummer")
            await self._listen(said, 3.0)  # "your number is not shown; keep waiting"
            ast.newexten(leg, QUEUE_EXIT_CONTEXT, key, 9, "Goto", f"queues,{queue_name},wait")
            return await self._queue_visit(queue_name, position)
        counter = leg.variables.get("COUNTER") or self._counter_of(queue_name)
        ast.newexten(leg, QUEUE_EXIT_CONTEXT, key, 3, "UserEvent", "CallbackRequest")
        # kept in AstDB first, whether Vuurtoren is there or not (the dialplan's order)
        ast.db_put(
            "vuurtoren",
            f"callback/{self.truth.linkedid}",
            f"{int(ast.clock.epoch())},{counter},{p.number},{queue_name}",
        )
        ast.emit(
            "UserEvent",
            "user",
            [
                *leg.snapshot(),
                ("UserEvent", "CallbackRequest"),
                ("Uniqueid", leg.uniqueid),
                ("Queue", queue_name),
                ("Position", str(position)),
                # ${EPOCH} - ${VT_JOINED}: the dialplan runs this within the second the key
                # was pressed; the simulator's own wake-up lag (a busy machine) is no wait
                ("Waited", str(int(self._key_pressed_at - self._joined_first))),
                ("Counter", counter),
                ("Caller", p.number),
            ],
        )
        self.truth.outcome = "callback"
        self.truth.hangup_stage = "queue-callback"
        await self._listen(self._play("terugbellen-bevestigd"), 3.0)  # "we call you back"
        self._hangup_dialplan_leg()
        self._hangup_caller_leg()
        return None

    def _counter_of(self, queue_name: str) -> str:
        site = self.ast.site
        found = next((c.id for c in site.counters if c.queue == queue_name), None)
        return found or self.local.topic(self._topic or None).counter

    async def _talk(
        self, queue_name: str, result: VisitResult, entry: Entry
    ) -> tuple[str, str] | None:
        """The talk; where the caller goes on after a blind transfer (None: it ended)."""
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
        self._talking = (queue_name, result, entry, started)
        talk = p.talk_seconds
        if queue_name == ast.site.lighthouse.queue:
            talk *= LIGHTHOUSE_TALK_FACTOR  # the lighthouse triages, registers and refers
        self._transfer = asyncio.get_running_loop().create_future()
        transfer = self._transfer
        await asyncio.wait({transfer}, timeout=ast.clock.real(talk))
        self._talking = None
        self._transfer = None
        talk = int(ast.clock.epoch() - started)
        if transfer.done():  # the agent passed the caller on: BlindTransfer
            context, exten = transfer.result()
            self._end_talk(queue_name, result, entry, talk, "transfer", to=(context, exten))
            ast.hangup_channel(member_channel)
            self.truth.transfers.append((queue_name, exten))
            return context, exten
        if p.agent_hangs_up:
            ast.emit("HangupRequest", "call", [*member_channel.snapshot(), ("Cause", "16")])
            self._end_talk(queue_name, result, entry, talk, "agent")
            ast.hangup_channel(member_channel)
            self._hangup_dialplan_leg()  # Queue() without option c: the caller is hung up
            self._hangup_caller_leg()
        elif self._bare_complete():
            # seen on Asterisk 22: the caller's channels go first, then an AgentComplete
            # that names none of them (only the queue, the member and the times)
            self._caller_hangs_up()
            self._hangup_dialplan_leg()
            self._end_talk(queue_name, result, entry, talk, "caller", bare=True)
            ast.hangup_channel(member_channel)
        else:
            self._caller_hangs_up()  # ;1 goes before ;2's AgentComplete
            self._end_talk(queue_name, result, entry, talk, "caller")
            ast.hangup_channel(member_channel)
            self._hangup_dialplan_leg()
        return None

    def _bare_complete(self) -> bool:
        every = self.ast.settings.bare_complete_every
        if every <= 0:
            return False
        self.ast.caller_completes += 1
        return self.ast.caller_completes % every == 0

    def _end_talk(
        self,
        queue_name: str,
        result: VisitResult,
        entry: Entry,
        talk: int,
        reason: str,
        *,
        bare: bool = False,
        to: tuple[str, str] | None = None,
    ) -> None:
        ast = self.ast
        member_channel = result.member_channel
        assert member_channel is not None
        bridge = self.leg2.bridge_id
        first, second = (
            (member_channel, self.leg2) if reason == "agent" else (self.leg2, member_channel)
        )
        for ch, n in ((first, 1), (second, 0)):
            ast.emit("BridgeLeave", "call", [*_bridge(bridge, n), *ch.snapshot()])
        ast.queues[queue_name].complete(
            result, talk, reason, entry.original_position, self.leg2, bare=bare, to=to
        )
        visit = self.truth.visits[-1]
        visit.talk_seconds = talk
        visit.ended_by = reason

    async def _last_resort(self, counter_id: str) -> None:
        ast = self.ast
        p = self.profile
        prompts = ast.settings.prompts
        self.truth.outcome = "last_resort"
        self._counter = counter_id
        ast.newexten(self.leg2, "last-resort", "announce", 1, "StopMusicOnHold", "")
        said = 0.0
        if prompts:
            said += self._play("gesloten")
            said += self._announce()  # when the counter opens again
            said = await self._own_place(counter_id, said)
            for i, _ in enumerate(ast.site.helplines, 1):
                said += self._play(f"hulplijn-{i}")
        offered = prompts and bool(p.number)
        if offered:  # Read plays the choice, then the caller presses a key
            said += self._play("keuze-terugbellen", app="Read")
        await self._listen(said, 6.0 + 2.0 * len(ast.site.helplines))
        choice = p.last_resort_choice if offered else "hangup"
        self.truth.last_resort = choice
        self.truth.hangup_stage = "last-resort"
        if choice == "callback":
            ast.db_put(  # kept in AstDB first, as the dialplan does
                "vuurtoren",
                f"callback/{self.truth.linkedid}",
                f"{int(ast.clock.epoch())},{counter_id},{p.number or ''},",
            )
            ast.newexten(self.leg2, "last-resort", "announce", 30, "UserEvent", "CallbackRequest")
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
            await self._listen(self._play("terugbellen-bevestigd"), 4.0)
            self._hangup_dialplan_leg()  # the dialplan's Hangup() after the confirmation
            self._hangup_caller_leg()
        elif not offered:  # goodbye, and the dialplan hangs up
            if prompts:
                await self._listen(self._play("tot-ziens"))
            self._hangup_dialplan_leg()
            self._hangup_caller_leg()
        else:
            await ast.clock.sleep(3.0)
            self._caller_hangs_up()
            self._hangup_dialplan_leg()

    async def _own_place(self, counter_id: str, said: float) -> float:
        """``last-resort-places``: a mobile counter offers its addresses (``Read``); a caller
        who presses theirs hears the next session there, as Vuurtoren keeps it in AstDB.
        ``said``: what plays before, not heard yet; returns what is still to hear after."""
        ast = self.ast
        counter = ast.site.counter(counter_id)
        if not counter.locations:
            return said
        ast.newexten(self.leg2, PLACES_CONTEXT, counter_id, 1, "Set", "PLACE=")
        offer = self._play(f"plaatsen-{counter_id}", app="Read")
        key = self.profile.place_key
        chosen = next((loc for k, loc in place_choices(counter) if k == key), None)
        self.truth.place = chosen.id if chosen else None
        if chosen is None:
            return said + offer
        await self._listen(said + offer, 4.0)  # the caller presses their key at the end
        files = ast.db_get(ASTDB_FAMILY, f"announce/at/{chosen.id}/{self.leg2.language}")
        ast.set_var(self.leg2, "VT_ANNOUNCE", files or "")
        return self._announce()

    # -- hanging up ------------------------------------------------------------------------------
    def _caller_hangs_up(self) -> None:
        """The caller's side goes first, as with Local channels on a real Asterisk 22:
        ``SoftHangupRequest(;1)``, ``HangupRequest(;2)``, ``Hangup(;1)``; what the ``;2`` leg
        reports (abandon, AgentComplete) and its own ``Hangup`` follow."""
        ast = self.ast
        if self.leg1.hung_up:
            return
        ast.emit("SoftHangupRequest", "call", [*self.leg1.snapshot(), ("Cause", _CALLER_GONE)])
        ast.emit("HangupRequest", "call", [*self.leg2.snapshot(), ("Cause", _CALLER_GONE)])
        ast.hangup_channel(self.leg1)

    def _hangup_dialplan_leg(self) -> None:
        ast = self.ast
        if not self.leg2.hung_up:
            ast.emit("SoftHangupRequest", "call", [*self.leg2.snapshot(), ("Cause", _CALLER_GONE)])
            ast.hangup_channel(self.leg2)
        self.truth.ended = ast.clock.epoch()

    def _hangup_caller_leg(self) -> None:
        self.ast.hangup_channel(self.leg1)


def start_call(ast: SimAsterisk, profile: CallerProfile) -> InboundCall:
    call = InboundCall(ast, profile)
    call.task = ast.start_task(call.run(), name=f"call {call.leg2.uniqueid}")
    return call
