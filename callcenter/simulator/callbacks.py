"""Callbacks as the generated dialplan runs them (``_callbacks`` in
``callcenter/asterisk/config.py``), started by Vuurtoren's ``Originate``:

- **in line** (a queued callback, or one planned for a counter's opening):
  ``Local/<queue>@vuurtoren-callback-queue/n``. Its ``;2`` leg joins the queue at ``VT_POS``
  and waits up to ``CB_WAIT`` seconds like a caller; when a member answers, the ``;1`` leg
  (Asterisk answers the originate) goes on to ``vuurtoren-callback,citizen``: ``Dial`` to the
  citizen over the outside line, the agent hearing it ring. Not answered in time: the ``;2``
  leg sends ``UserEvent(CallbackResult)`` with ``Status: QUEUE-TIMEOUT``.
- **direct** (one click on the callback list): the agent's own phone is the originated
  channel; when it answers it goes on to ``vuurtoren-callback,citizen``.

The ``h`` extension of the leg that dialled sends ``UserEvent(CallbackResult)`` with
``DIALSTATUS``. Each originate ends with its ``OriginateResponse`` (``Success`` and Reason 4
once the first leg answered; ``Failure`` with the reason otherwise). How the citizen's phone
behaves is :class:`Citizen`, per number in :attr:`SimAsterisk.citizens` (a test sets it) or
drawn from the simulator's random source.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from callcenter.ami.codec import encode_message
from callcenter.dialplan.names import DIAL_CONTEXT, RESULT_TREE, WAIT_CONTEXT
from callcenter.simulator.channels import Channel
from callcenter.simulator.queues import Device, Member

if TYPE_CHECKING:
    from callcenter.ami.codec import Message
    from callcenter.simulator.core import SimAsterisk

__all__ = ["Citizen", "start_callback"]

Header = tuple[str, str]


@dataclass(frozen=True, slots=True)
class Citizen:
    """A citizen's phone when called back: ``answer`` (after ``delay`` s, then talks
    ``talk`` s and hangs up), ``no_answer``, ``busy`` or ``unavailable`` (no such line)."""

    behaviour: str = "answer"
    delay: float = 4.0
    talk: float = 60.0


def citizen_for(ast: SimAsterisk, number: str) -> Citizen:
    found = ast.citizens.get(number)
    if found is not None:
        return found
    rng = ast.rng
    behaviour = rng.choices(["answer", "no_answer", "busy"], [0.8, 0.15, 0.05])[0]
    return Citizen(behaviour, rng.uniform(3.0, 10.0), rng.uniform(45.0, 180.0))


def originate_response(
    ast: SimAsterisk, action: Message, ok: bool, reason: int, channel: str, uniqueid: str
) -> None:
    """The ``OriginateResponse`` of an asynchronous Originate (class ``call``)."""
    headers: list[Header] = [("Event", "OriginateResponse"), ("Privilege", "call,all")]
    if (action_id := action.get("ActionID")) is not None:
        headers.append(("ActionID", action_id))
    cid = action.get("CallerID") or ""
    number = cid.split("<")[-1].rstrip(">").strip() if "<" in cid else cid.strip()
    headers += [
        ("Response", "Success" if ok else "Failure"),
        ("Channel", channel),
        ("Context", action.get("Context") or ""),
        ("Exten", action.get("Exten") or ""),
        ("Reason", str(reason)),
        ("Uniqueid", uniqueid),
        ("CallerIDNum", number or "<unknown>"),
        ("CallerIDName", "<unknown>"),
    ]
    data = encode_message(headers)
    for sink in list(ast.sinks):
        sink.deliver("call", data)


def originate_variables(action: Message) -> dict[str, str]:
    return dict(v.split("=", 1) for v in action.get_all("Variable") if "=" in v)


def _seconds(text: str | None, default: float) -> float:
    try:
        return float(text) if text else default
    except ValueError:
        return default


def is_callback(action: Message) -> bool:
    return action.get("Context") == DIAL_CONTEXT


def start_callback(ast: SimAsterisk, action: Message) -> str | None:
    """Run an Originate into ``vuurtoren-callback``; None when it is fine, else the error
    message Asterisk would answer with."""
    channel = action.get("Channel") or ""
    if action.get("Exten") != "citizen":
        return "Extension does not exist."
    script = _Callback(ast, action)
    if channel.startswith("Local/"):
        where = channel.split("/", 1)[1].split("/")[0]
        queue, _, context = where.partition("@")
        if context != WAIT_CONTEXT or queue not in ast.queues:
            return "Extension does not exist."
        ast.start_task(script.in_line(queue), name=f"callback {channel}")
    else:
        ast.start_task(script.direct(channel), name=f"callback {channel}")
    return None


class _Callback:
    def __init__(self, ast: SimAsterisk, action: Message) -> None:
        self.ast = ast
        self.action = action
        self.vars = originate_variables(action)
        cid = action.get("CallerID") or ""
        self.shown = cid.split("<")[-1].rstrip(">").strip() if "<" in cid else cid.strip()
        self.ring_ms = _seconds(action.get("Timeout"), 30000.0)

    # -- in line --------------------------------------------------------------------------
    async def in_line(self, queue_name: str) -> None:
        ast, v = self.ast, self.vars
        assert ast.factory is not None
        suffix = ast.factory.suffix()
        name = f"Local/{queue_name}@{WAIT_CONTEXT}-{suffix}"
        leg1 = ast.new_channel(
            f"{name};1",
            state=0,
            caller_num=self.shown or None,
            uniqueid=self.action.get("ChannelId") or None,
        )
        leg2 = ast.new_channel(
            f"{name};2",
            linkedid=leg1.uniqueid,
            state=0,
            context=WAIT_CONTEXT,
            exten=queue_name,
            caller_num=self.shown or None,
            uniqueid=self.action.get("OtherChannelId") or None,
        )
        leg2.variables.update(v)
        queue = ast.queues[queue_name]
        position = int(v.get("VT_POS") or 0) or None
        wait = _seconds(v.get("CB_WAIT"), 3600.0)
        ast.newexten(leg2, WAIT_CONTEXT, queue_name, 1, "Queue", queue_name)
        entry = queue.join(leg2, position=position, timeout=wait)
        try:
            result = await entry.future
        except asyncio.CancelledError:
            queue.withdraw(entry, "gone")
            raise
        if result.outcome != "answered":
            status = "TIMEOUT" if result.outcome == "timeout" else "UNKNOWN"
            self._result(leg2, f"QUEUE-{status}", "", WAIT_CONTEXT, queue_name)
            originate_response(ast, self.action, False, 1, leg1.name, leg1.uniqueid)
            ast.hangup_channel(leg2)
            ast.hangup_channel(leg1)
            return
        member_channel = result.member_channel
        assert member_channel is not None and result.member is not None
        started = ast.clock.epoch()
        ast.set_state(leg2, 6)
        ast.set_state(leg1, 6)
        originate_response(ast, self.action, True, 4, leg1.name, leg1.uniqueid)
        leg1.variables.update(v)
        await self._dial_citizen(leg1)
        talk = int(ast.clock.epoch() - started)
        ast.hangup_channel(leg1)
        queue.complete(result, talk, "caller", entry.original_position, leg2)
        ast.hangup_channel(member_channel)
        ast.hangup_channel(leg2)

    # -- the agent's own phone ----------------------------------------------------------
    async def direct(self, interface: str) -> None:
        ast = self.ast
        devices = [
            m
            for q in ast.queues.values()
            for m in q.members.values()
            if interface in (m.state_interface, m.interface)
        ]
        device = (
            devices[0].device if devices else ast.devices.setdefault(interface, Device(interface))
        )
        uid = self.action.get("ChannelId") or None
        assert ast.factory is not None
        if device.in_call or device.ringing or device.status in (2, 4, 5):
            reason = 5 if device.in_call or device.ringing or device.status == 2 else 0
            originate_response(ast, self.action, False, reason, interface, uid or "")
            return
        channel = ast.new_channel(
            f"{interface}-{ast.factory.suffix()}",
            state=5,
            caller_num=self.shown or None,
            uniqueid=uid,
        )
        self._device_status(devices, device, 6)
        device.ringing = True
        rng = device.rng
        answers = rng.random() < device.answer_probability
        delay = rng.uniform(*device.answer_delay)
        limit = self.ring_ms / 1000.0
        try:
            await ast.clock.sleep(min(delay, limit) if answers else limit)
        finally:
            device.ringing = False
        if not answers or delay >= limit:
            self._device_status(devices, device, 1)
            originate_response(ast, self.action, False, 3, interface, channel.uniqueid)
            ast.hangup_channel(channel, 19)
            return
        device.in_call = True
        self._device_status(devices, device, 2)
        ast.set_state(channel, 6)
        originate_response(ast, self.action, True, 4, interface, channel.uniqueid)
        channel.variables.update(self.vars)
        try:
            await self._dial_citizen(channel)
        finally:
            ast.hangup_channel(channel)
            device.in_call = False
            self._device_status(devices, device, 1)
            for q in ast.queues.values():
                q.dispatch()

    def _device_status(self, members: list[Member], device: Device, status: int) -> None:
        if members:
            self.ast.queues[members[0].queue]._set_status(members[0], status)
        else:
            device.status = status

    # -- the citizen -----------------------------------------------------------------------
    async def _dial_citizen(self, leg: Channel) -> None:
        """``vuurtoren-callback,citizen``: Dial over the outside line, then the ``h``
        extension's ``CallbackResult``."""
        ast, v = self.ast, self.vars
        number = v.get("CB_NUMBER", "")
        ring = _seconds(v.get("CB_RING"), 30.0)
        dial = ast.site.callbacks.dial.replace("{number}", number)
        ast.newexten(leg, DIAL_CONTEXT, "citizen", 1, "Dial", f"{dial},{int(ring)}")
        citizen = citizen_for(ast, number)
        assert ast.factory is not None
        tech = dial.split("/", 1)[0]
        if f"chan_{tech.lower()}.so" in ast.unloaded:
            # WARNING channel.c: No channel type registered for 'PJSIP': at once, no channel
            ast.set_var(leg, "DIALSTATUS", "CHANUNAVAIL")
            self._result(leg, "CHANUNAVAIL", "")
            return
        trunk = dial.split("@")[-1] if "@" in dial else "trunk"
        outside = ast.new_channel(
            f"PJSIP/{trunk}-{ast.factory.suffix()}",
            linkedid=leg.linkedid,
            state=0,
            caller_num=number,
        )
        ast.emit("DialBegin", "call", [*leg.snapshot(), *outside.snapshot("Dest")])
        talk = 0
        status = "CANCEL"
        try:
            if ast.trunk_congested:
                await ast.clock.sleep(0.5)
                status = "CONGESTION"
            elif citizen.behaviour == "unavailable":
                status = "CHANUNAVAIL"
            elif citizen.behaviour == "busy":
                await ast.clock.sleep(1.0)
                status = "BUSY"
            elif citizen.behaviour == "answer" and citizen.delay < ring:
                ast.set_state(outside, 5)
                await ast.clock.sleep(citizen.delay)
                ast.set_state(outside, 6)
                status = "ANSWER"
            else:
                ast.set_state(outside, 5)
                await ast.clock.sleep(ring)
                status = "NOANSWER"
            ast.emit(
                "DialEnd",
                "call",
                [*leg.snapshot(), *outside.snapshot("Dest"), ("DialStatus", status)],
            )
            if status == "ANSWER":
                started = ast.clock.epoch()
                await ast.clock.sleep(citizen.talk)
                talk = int(ast.clock.epoch() - started)
        finally:
            with contextlib.suppress(Exception):
                ast.hangup_channel(outside, 16 if status == "ANSWER" else 19)
                ast.set_var(leg, "DIALSTATUS", status)
                self._result(leg, status, str(talk) if status == "ANSWER" else "")

    def _result(
        self, leg: Channel, status: str, talk: str, context: str = DIAL_CONTEXT, exten: str = "h"
    ) -> None:
        ast, v = self.ast, self.vars
        # kept in AstDB first, as the dialplan does (dialplan/names.py RESULT_TREE)
        ast.db_put(
            "vuurtoren",
            f"{RESULT_TREE}/{leg.linkedid}",
            f"{int(ast.clock.epoch())},{v.get('CB_REQUEST', '')},{status},"
            f"{v.get('CB_CALL', '')},{talk}",
        )
        ast.newexten(leg, context, exten, 1, "UserEvent", "CallbackResult")
        ast.emit(
            "UserEvent",
            "user",
            [
                *leg.snapshot(),
                ("UserEvent", "CallbackResult"),
                ("Request", v.get("CB_REQUEST", "")),
                ("Call", v.get("CB_CALL", "")),
                ("Status", status),
                ("Talk", talk),
            ],
        )
