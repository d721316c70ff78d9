"""What each agent's phone is doing now, from Asterisk's queue events (never the page's guess).

The console and the managers' live list show one state per agent:

======================  ==============  ====================================================
state                   Dutch label     from
======================  ==============  ====================================================
``logged_out``          Afgemeld        the phone is in no queue (``QueueMemberRemoved``)
``ringing``             Gaat over       ``AgentCalled``, until ``AgentConnect``,
                                        ``AgentRingNoAnswer``, ``AgentDump``, or the caller
                                        gave up (``QueueCallerAbandon``) or another agent
                                        answered (``AgentConnect`` for the same caller)
``talking``             In gesprek      ``AgentConnect`` until ``AgentComplete``
``after_call``          Nawerk          paused with :data:`AFTER_CALL` (the desk pauses the
                                        agent after ``AgentComplete``: ``agents.py``)
``paused``              Pauze           paused with any other reason
``available``           Beschikbaar     logged in, none of the above
======================  ==============  ====================================================

:class:`PhoneActivity` holds the ringing and talking of each phone and when its state last
changed; pauses and membership are the tracker's (``Member``), as Asterisk reports them.
This module does no I/O.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from callcenter.ami import Message
from callcenter.calls.tracker import AFTER_CALL

__all__ = ["AFTER_CALL", "STATES", "PhoneActivity", "Ring", "Talk"]

STATES = {
    "available": "Beschikbaar",
    "ringing": "Gaat over",
    "talking": "In gesprek",
    "after_call": "Nawerk",
    "paused": "Pauze",
    "logged_out": "Afgemeld",
}


@dataclass(frozen=True, slots=True)
class Ring:
    queue: str
    call_id: str
    """The caller's Linkedid (the call's id in the store)."""
    caller_uid: str
    since: datetime


@dataclass(frozen=True, slots=True)
class Talk:
    queue: str
    call_id: str
    caller_uid: str
    since: datetime
    channel: str = ""
    """The agent's own leg (``DestChannel``): a transfer is asked of it."""


@dataclass(slots=True)
class Phone:
    ringing: Ring | None = None
    talking: Talk | None = None
    changed: datetime | None = None


@dataclass
class PhoneActivity:
    now: Callable[[], datetime]
    phones: dict[str, Phone] = field(default_factory=dict)
    on_change: list[Callable[[str], None]] = field(default_factory=list)
    """Told the interface whose state changed."""

    EVENTS = frozenset(
        {
            "AgentCalled",
            "AgentConnect",
            "AgentRingNoAnswer",
            "AgentDump",
            "AgentComplete",
            "QueueCallerAbandon",
            "QueueMemberPause",
            "QueueMemberAdded",
            "QueueMemberRemoved",
        }
    )

    def phone(self, interface: str) -> Phone:
        found = self.phones.get(interface)
        if found is None:
            found = self.phones[interface] = Phone(changed=self.now())
        return found

    def _mark(self, interface: str, phone: Phone) -> None:
        phone.changed = self.now()
        for listener in self.on_change:
            listener(interface)

    def on_event(self, e: Message) -> Talk | None:
        """Follow one event; returns the talk that an ``AgentComplete`` ended."""
        name = e.name
        iface = e.get("Interface") or ""
        uid = e.get("Uniqueid") or ""
        if name == "QueueCallerAbandon":
            for other, p in self.phones.items():
                if p.ringing is not None and p.ringing.caller_uid == uid:
                    p.ringing = None
                    self._mark(other, p)
            return None
        if not iface:
            return None
        if name in ("QueueMemberPause", "QueueMemberAdded", "QueueMemberRemoved"):
            self._mark(iface, self.phone(iface))
            return None
        p = self.phone(iface)
        queue = e.get("Queue") or ""
        call_id = e.get("Linkedid") or uid
        if name == "AgentCalled":
            p.ringing = Ring(queue, call_id, uid, self.now())
        elif name == "AgentConnect":
            p.ringing = None
            p.talking = Talk(queue, call_id, uid, self.now(), e.get("DestChannel") or "")
            for other, q in self.phones.items():  # ringall: the others stop ringing
                if other != iface and q.ringing is not None and q.ringing.caller_uid == uid:
                    q.ringing = None
                    self._mark(other, q)
        elif name in ("AgentRingNoAnswer", "AgentDump"):
            if p.ringing is not None and (not uid or p.ringing.caller_uid == uid):
                p.ringing = None
        elif name == "AgentComplete":
            ended = p.talking
            if ended is None or (ended.queue and queue and ended.queue != queue):
                # the connect was missed (a reconnect): what the event itself says
                ended = Talk(queue, call_id, uid, self.now())
            p.talking = None
            self._mark(iface, p)
            return ended
        self._mark(iface, p)
        return None
