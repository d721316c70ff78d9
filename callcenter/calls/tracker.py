"""The call tracker: AMI events in, call records and live queue state out. No I/O.

One :class:`CallRecord` per call that entered the central number, keyed by Asterisk's
``Linkedid`` (all legs of a call share it). Each queue visit is a :class:`Visit` that ends as
exactly one of ``answered``, ``abandoned``, ``abandoned_short``, ``timeout`` or ``callback``
(``docs/service.md``, metric definitions), or ``lost`` when Vuurtoren could not see how it
ended (Asterisk shut down, the link was down): a lost visit counts in no figure. A call ends
with one outcome: ``answered``, ``abandoned``, ``callback`` (left a queue with the callback
key), ``last_resort``, ``failsafe`` or ``lost_track`` (with a reason). Callbacks Vuurtoren
originates (Linkedid starting ``vtcb-``) are no calls to the central number: they only count
as waiting in the live queue state.

The facts it relies on (``shared/reference``): a queue timeout also emits
``QueueCallerAbandon``; it is told apart by ``VarSet QUEUESTATUS=TIMEOUT`` or by the call going
on (another join) instead of hanging up. ``QueueCallerLeave`` comes before ``AgentConnect``.
With Local-channel callers the ``;1`` leg (whose Uniqueid is the Linkedid) hangs up *before*
the ``;2`` leg's ``QueueCallerAbandon``/``AgentComplete``: a call, and its visits, end only with
the leg that runs the dialplan. ``core stop now`` hangs up every channel with
``SoftHangupRequest`` ``Cause: 4`` (``AST_SOFTHANGUP_SHUTDOWN``) before ``Shutdown``: those
calls end as ``lost_track``, their queue abandons are not the callers'.
Event handling is idempotent: an event seen twice changes nothing the second time.

Times come from the event's ``Timestamp`` header when Asterisk sends one, else from the time
of receipt the caller passes in. Waits and talk times never depend on either: they are
Asterisk's own ``HoldTime`` and ``TalkTime`` (a stock Asterisk sends no ``Timestamp``).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

from callcenter.ami.codec import Message
from callcenter.dialplan.names import (
    CALLBACK_PREFIX,
    OWN_WORKER_CONTEXT,
    OWN_WORKER_EVENT,
    POSTCODE_CONTEXT,
)
from callcenter.store.records import CallRecord, Outcome, Visit, VisitOutcome
from routing.site import Site
from routing.types import Decision, QueueState

__all__ = ["AFTER_CALL", "CallTracker", "LiveQueue", "Member"]

CENTRAL = "central-number"
QUEUES = "queues"
LAST_RESORT = "last-resort"
SHUTDOWN_CAUSE = "4"
"""``SoftHangupRequest`` Cause of ``AST_SOFTHANGUP_SHUTDOWN`` (``core stop``/``restart``)."""
SHUTDOWN_REASON = "Asterisk shut down or restarted"
_GONE = (4, 5)  # member device states that count as not logged in
TALK_OWED = 500
"""Ended calls remembered for a late ``AgentComplete`` (one per agent's call at most)."""
PAUSE_GRACE = timedelta(seconds=30)
"""A member paused this short a time still counts as someone who can answer (a sip of water,
a pause pressed by mistake); paused longer, or unavailable, they do not: a queue whose every
member is so is not staffed, and the routing and the fail-safe pass it by."""
AFTER_CALL = "Nawerk"
"""The pause reason of after-call work (``callcenter/agents/desk.py``): such a member is
back within the site's after-call time, so they count as staffed, as one in a call does."""


@dataclass(slots=True)
class Member:
    interface: str
    name: str
    status: int = 1
    paused: bool = False
    paused_reason: str = ""
    in_call: bool = False
    paused_at: datetime | None = None
    """When the pause began (``LastPause`` when Asterisk says it, else when it was seen)."""
    membership: str = "dynamic"
    """``static`` (queues.conf), ``dynamic`` (QueueAdd, AddQueueMember) or ``realtime``."""
    state_interface: str = ""

    @property
    def logged_in(self) -> bool:
        return self.status not in _GONE

    @property
    def available(self) -> bool:
        return self.status in (0, 1) and not self.paused and not self.in_call

    def can_answer(self, now: datetime | None) -> bool:
        """Logged in and not paused, or paused less than :data:`PAUSE_GRACE` before ``now``
        (None: no grace, a paused member does not count)."""
        if self.status in _GONE:
            return False
        if not self.paused or self.paused_reason == AFTER_CALL:
            return True
        return now is not None and self.paused_at is not None and now - self.paused_at < PAUSE_GRACE

    def grace_ends(self) -> datetime | None:
        """When a pause in its grace stops counting as staffed."""
        if not self.paused or self.paused_at is None or self.status in _GONE:
            return None
        if self.paused_reason == AFTER_CALL:
            return None
        return self.paused_at + PAUSE_GRACE


@dataclass(slots=True)
class LiveQueue:
    name: str
    waiting: dict[str, datetime] = field(default_factory=dict)
    """Who waits (queue Uniqueid → joined), in Asterisk's order: the head first."""
    members: dict[str, Member] = field(default_factory=dict)

    def join(self, uid: str, at: datetime, position: int | None = None) -> None:
        """``uid`` joined at ``position`` (the event's ``Position``; 1 is the head). Mostly
        the end of the line; a queued callback's stand-in, or a caller put back, goes in
        at the place it kept, ahead of those who came later."""
        waiting = self.waiting
        waiting.pop(uid, None)
        if position is None or position > len(waiting):
            waiting[uid] = at
            return
        items = list(waiting.items())
        items.insert(max(0, position - 1), (uid, at))
        self.waiting = dict(items)

    def state(self, now: datetime | None = None) -> QueueState:
        """Callers waiting, and the members who can answer (``agents``): logged in and not
        paused beyond :data:`PAUSE_GRACE` of ``now``."""
        return QueueState(waiting=len(self.waiting), agents=self.staffing(now))

    def staffing(self, now: datetime | None = None) -> int:
        """Members who can answer now (:meth:`Member.can_answer`)."""
        return sum(1 for m in self.members.values() if m.can_answer(now))

    def snapshot(self, now: datetime) -> dict[str, object]:
        oldest = min(self.waiting.values(), default=None)
        return {
            "queue": self.name,
            "waiting": len(self.waiting),
            "oldest_wait_seconds": None
            if oldest is None
            else max(0, int((now - oldest).total_seconds())),
            "logged_in": sum(1 for m in self.members.values() if m.logged_in),
            "available": sum(1 for m in self.members.values() if m.available),
            "paused": sum(1 for m in self.members.values() if m.paused and m.logged_in),
            "busy": sum(1 for m in self.members.values() if m.in_call),
        }


Listener = Callable[[CallRecord], None]


class CallTracker:
    """Feed it every AMI event with :meth:`handle`; read :attr:`calls` and :attr:`queues`."""

    def __init__(self, site: Site | None = None, now: Callable[[], datetime] | None = None) -> None:
        """Without a site (replaying a file alone) queues are learnt from the events and
        the default thresholds apply."""
        self.site = site
        self.now = now or (lambda: datetime.now(UTC))
        """The time of receipt, for events without a ``Timestamp`` header."""
        self.calls: dict[str, CallRecord] = {}
        """Calls still up, by call id (Linkedid)."""
        self._by_uniqueid: dict[str, str] = {}
        self._by_channel: dict[str, str] = {}
        self.queues: dict[str, LiveQueue] = {q: LiveQueue(q) for q in site.queues} if site else {}
        self.on_start: list[Listener] = []
        self.on_change: list[Listener] = []
        self.on_end: list[Listener] = []
        self.on_queue_change: list[Callable[[LiveQueue], None]] = []
        self._short: dict[str, int] = {}
        if site is not None:
            self._short = {c.queue: c.short_abandon_seconds for c in site.counters}
            self._short[site.lighthouse.queue] = site.lighthouse.short_abandon_seconds
        self.ignored = 0
        self.organisation_of: Callable[[str], str | None] = lambda interface: None
        """The organisation of the user at a phone interface (the service sets it from the
        users): stored with each answered visit, so a joint counter's figures split by it."""
        self._talk_owed: deque[tuple[CallRecord, Visit]] = deque(maxlen=TALK_OWED)
        """Ended calls whose answered visit still waits for its AgentComplete (a bare one,
        without channel fields, comes after the caller's channel is gone)."""

    # -- entry point ---------------------------------------------------------------------
    def handle(self, event: Message, received: datetime | None = None) -> None:
        name = event.name
        handler = _HANDLERS.get(name)
        if handler is None or (
            # most of a real Asterisk's stream: variables and dialplan steps we never read
            (name == "VarSet" and event.get("Variable") not in _VARIABLES)
            or (name == "Newexten" and event.get("Context") not in _CONTEXTS)
        ):
            self.ignored += 1
            return
        handler(self, event, event_time(event, received, self.now))

    def call_for(self, event: Message) -> CallRecord | None:
        uid = event.get("Uniqueid")
        call_id = self._by_uniqueid.get(uid) if uid else None
        if call_id is None:
            call_id = event.get("Linkedid")
        return self.calls.get(call_id) if call_id else None

    def call_by_uniqueid(self, uniqueid: str) -> CallRecord | None:
        """The call still up that a channel (by its Uniqueid) belongs to."""
        call_id = self._by_uniqueid.get(uniqueid)
        return self.calls.get(call_id) if call_id else None

    def queues_of(self, phones: Iterable[str]) -> set[str]:
        """The queues any of ``phones`` is a member of now."""
        wanted = set(phones)
        return {q.name for q in self.queues.values() if wanted.intersection(q.members)}

    def live_state(self, now: datetime | None = None) -> dict[str, QueueState]:
        """Every queue's state at ``now`` (the time of receipt when not given)."""
        at = now or self.now()
        return {name: q.state(at) for name, q in self.queues.items()}

    # -- calls -----------------------------------------------------------------------------
    def _ensure_call(self, event: Message, at: datetime) -> CallRecord:
        call_id = event.get("Linkedid") or event.get("Uniqueid") or "?"
        call = self.calls.get(call_id)
        if call is None:
            call = CallRecord(call_id, at)
            self.calls[call_id] = call
            for listener in self.on_start:
                listener(call)
        uid = event.get("Uniqueid")
        if uid:
            call.legs.add(uid)
            self._by_uniqueid[uid] = call_id
        caller = event.get("CallerIDNum")
        if call.caller is None and caller and caller != "<unknown>":
            call.caller = caller
        return call

    def _changed(self, call: CallRecord) -> None:
        for listener in self.on_change:
            listener(call)

    def adopt(self, call: CallRecord) -> None:
        """Follow a call again (from the store after a restart of the service)."""
        self.calls[call.call_id] = call
        for uid in call.legs:
            self._by_uniqueid[uid] = call.call_id
        if call.uniqueid:
            self._by_uniqueid[call.uniqueid] = call.call_id
        if call.channel:
            self._by_channel[call.channel] = call.call_id

    def adopt_live(
        self, channels: list[Message], entries: list[Message], at: datetime
    ) -> list[CallRecord]:
        """Calls Asterisk has up that this tracker does not know (they began while Vuurtoren
        was away): follow them from now on. ``channels`` are CoreShowChannels items,
        ``entries`` QueueStatus QueueEntry items. A caller waiting in a queue gets an open
        visit that joined ``Wait`` seconds ago; one already talking gets its visit from the
        ``AgentComplete`` that ends it (which carries HoldTime and TalkTime)."""
        groups: dict[str, list[Message]] = {}
        for ch in channels:
            linkedid = ch.get("Linkedid") or ch.get("Uniqueid")
            if linkedid and linkedid not in self.calls:
                groups.setdefault(linkedid, []).append(ch)
        waiting = {e.get("Uniqueid"): e for e in entries}
        adopted = []
        touched: dict[str, LiveQueue] = {}
        for linkedid, legs in groups.items():
            ours = [c for c in legs if c.get("Context") in _OUR_CONTEXTS]
            if not ours:
                continue  # not a call of the central number
            dialplan_leg = ours[-1]
            age = max(_duration(c.get("Duration")) for c in legs)
            call = CallRecord(linkedid, at - timedelta(seconds=age))
            call.channel = dialplan_leg.get("Channel")
            call.uniqueid = dialplan_leg.get("Uniqueid")
            call.legs = {u for c in legs if (u := c.get("Uniqueid"))}
            caller = next(
                (c.get("CallerIDNum") for c in legs if c.get("Uniqueid") == linkedid), None
            ) or dialplan_leg.get("CallerIDNum")
            call.caller = caller if caller and caller != "<unknown>" else None
            for leg in legs:
                entry = waiting.get(leg.get("Uniqueid"))
                if entry is not None:
                    wait = int(entry.get("Wait") or 0)
                    queue = entry.get("Queue") or ""
                    uid = leg.get("Uniqueid") or ""
                    call.visits.append(
                        Visit(
                            queue, at - timedelta(seconds=wait), _int(entry, "Position") or 1, uid
                        )
                    )
                    q = self._queue(queue)
                    if q is not None:
                        q.waiting[uid] = at - timedelta(seconds=wait)
                        touched[q.name] = q
            self.adopt(call)
            for listener in self.on_start:
                listener(call)
            adopted.append(call)
        places = {e.get("Uniqueid"): _int(e, "Position") or 0 for e in entries}
        for q in touched.values():  # in Asterisk's order, those not in its list last
            q.waiting = dict(sorted(q.waiting.items(), key=lambda kv: places.get(kv[0], 1 << 30)))
        return adopted

    def record_decision(self, channel: str, decision: Decision, at: datetime) -> None:
        """The service decided and redirected this call."""
        call_id = self._by_channel.get(channel)
        call = self.calls.get(call_id) if call_id else None
        if call is None:
            return
        call.decision = decision
        call.redirected = at
        if decision.target.value == "last_resort":
            call.last_resort = True
        self._changed(call)

    def end(
        self,
        call: CallRecord,
        at: datetime,
        outcome: Outcome | None = None,
        reason: str | None = None,
    ) -> None:
        if call.ended is not None:
            return
        if call.shutdown and outcome is None:
            outcome, reason = Outcome.LOST_TRACK, SHUTDOWN_REASON
        for visit in call.visits:
            if not visit.open:
                continue
            if outcome is Outcome.LOST_TRACK and (call.shutdown or visit._abandon_hold is None):
                visit.left = visit.left or at
                visit.outcome = VisitOutcome.LOST
            else:
                self._close_visit_on_hangup(visit, at)
        call.ended = at
        call.outcome = outcome or self._outcome(call)
        call.outcome_reason = reason
        self.calls.pop(call.call_id, None)
        for uid in call.legs:
            self._by_uniqueid.pop(uid, None)
        if call.channel:
            self._by_channel.pop(call.channel, None)
        for q in self.queues.values():
            for uid in call.legs:
                q.waiting.pop(uid, None)
        for visit in call.visits:  # talking when it ended: its AgentComplete may follow
            if visit.outcome is VisitOutcome.ANSWERED and visit.talk_seconds is None:
                self._talk_owed.append((call, visit))
        for listener in self.on_end:
            listener(call)

    @staticmethod
    def _outcome(call: CallRecord) -> Outcome:
        if call.failsafe:
            return Outcome.FAILSAFE
        if call.answered_visit is not None or call.worker_answered is not None:
            return Outcome.ANSWERED
        if any(v.outcome is VisitOutcome.CALLBACK for v in call.visits):
            return Outcome.CALLBACK
        if call.last_resort:
            return Outcome.LAST_RESORT
        return Outcome.ABANDONED

    def lose_all(self, at: datetime, reason: str) -> list[CallRecord]:
        lost = list(self.calls.values())
        for call in lost:
            self.end(call, at, Outcome.LOST_TRACK, reason)
        for q in self.queues.values():
            q.waiting.clear()
        return lost

    def reconcile(self, live_uniqueids: set[str], at: datetime, reason: str) -> list[CallRecord]:
        """After a reconnect: calls none of whose legs are still up ended meanwhile."""
        gone = [c for c in self.calls.values() if not (c.legs & live_uniqueids)]
        for call in gone:
            self.end(call, at, Outcome.LOST_TRACK, reason)
        return gone

    # -- visits ------------------------------------------------------------------------------
    def _open_visit(self, call: CallRecord, uniqueid: str | None) -> Visit | None:
        for visit in reversed(call.visits):
            if visit.open and (uniqueid is None or visit.uniqueid == uniqueid):
                return visit
        return None

    def short_abandon(self, queue: str) -> int:
        """The queue's ``T_short``: an abandon within it is a short abandon."""
        return self._short.get(queue, 5)

    def _resolve_abandon(self, visit: Visit, timeout: bool) -> None:
        hold = visit._abandon_hold or 0
        visit.wait_seconds = hold
        if timeout:
            visit.outcome = VisitOutcome.TIMEOUT
        elif hold <= self.short_abandon(visit.queue):
            visit.outcome = VisitOutcome.ABANDONED_SHORT
        else:
            visit.outcome = VisitOutcome.ABANDONED

    def _close_visit_on_hangup(self, visit: Visit, at: datetime) -> None:
        visit.left = visit.left or at
        if visit._abandon_hold is not None:
            self._resolve_abandon(visit, timeout=False)
            return
        hold = int((visit.left - visit.joined).total_seconds())
        visit._abandon_hold = hold
        self._resolve_abandon(visit, timeout=False)

    def _queue_changed(self, queue: LiveQueue) -> None:
        for listener in self.on_queue_change:
            listener(queue)

    def _queue(self, name: str | None) -> LiveQueue | None:
        if not name:
            return None
        q = self.queues.get(name)
        if q is None:
            q = self.queues[name] = LiveQueue(name)
        return q


# -- event handlers ---------------------------------------------------------------------------


def event_time(
    event: Message, received: datetime | None = None, now: Callable[[], datetime] | None = None
) -> datetime:
    """The event's ``Timestamp``; else the time of receipt; else ``now()``."""
    stamp = event.get("Timestamp")
    if stamp:
        try:
            return datetime.fromtimestamp(float(stamp), UTC)
        except ValueError:
            pass
    if received is not None:
        return received
    return now() if now is not None else datetime.now(UTC)


def _duration(text: str | None) -> int:
    """CoreShowChannel ``Duration`` (``HH:MM:SS``) in seconds; 0 when unreadable."""
    try:
        h, m, sec = (int(x) for x in (text or "").split(":"))
    except ValueError:
        return 0
    return h * 3600 + m * 60 + sec


def _int(event: Message, name: str) -> int | None:
    value = event.get(name)
    try:
        return int(value) if value else None
    except ValueError:
        return None


def _on_channel(t: CallTracker, e: Message, at: datetime) -> None:
    if e.get("Context") == CENTRAL:
        call = t._ensure_call(e, at)
        if call.channel is None and e.get("Channel"):
            call.channel = e["Channel"]
            call.uniqueid = e.get("Uniqueid")
            t._by_channel[call.channel] = call.call_id
        if call.site is None and t.site is not None and t.site.sites:
            # a region: the number dialled (the extension the call came in on) says where
            dialled = t.site.find_site(e.get("Exten") or "")
            call.site = dialled.site_id if dialled else None
    elif e.get("Context") == LAST_RESORT:
        found = t.call_for(e)
        if found is not None and not found.last_resort:
            found.last_resort = True
            for visit in found.visits:  # it left its last queue by timeout, not by hanging up
                if visit.open and visit._abandon_hold is not None:
                    t._resolve_abandon(visit, timeout=True)
            t._changed(found)
    else:
        uid = e.get("Uniqueid")
        if t.call_for(e) is None and uid and e.get("Linkedid") in t.calls:
            t.calls[e["Linkedid"]].legs.add(uid)
            t._by_uniqueid[uid] = e["Linkedid"]


def _on_user_event(t: CallTracker, e: Message, at: datetime) -> None:
    kind = e.get("UserEvent")
    if kind == "RouteRequest":
        call = t._ensure_call(e, at)
        if call.route_requested is None:
            call.route_requested = at
            call.digits = e.get("Topic") or None
            call.channel = e.get("Channel") or call.channel
            call.uniqueid = e.get("Uniqueid") or call.uniqueid
            call.language = e.get("Language") or None
            if e.get("Site"):
                call.site = e["Site"]
            caller = e.get("Caller")
            if caller:
                call.caller = caller
            if call.channel:
                t._by_channel[call.channel] = call.call_id
            t._changed(call)
    elif kind == OWN_WORKER_EVENT:
        found = t.call_for(e)  # the worker's channel: the call's by its Linkedid
        if found is not None and found.worker_answered is None:
            found.worker_answered = at
            t._changed(found)
    elif kind == "CallbackRequest":
        found = t.call_for(e)
        if found is None or found.callback_requested is not None:
            return
        found.callback_requested = at
        queue = e.get("Queue")
        if not queue:  # asked in the last resort
            found.last_resort = True
        else:  # the callback key while waiting: the visit ends as CB
            for visit in reversed(found.visits):
                if visit.queue == queue and visit.open:
                    visit.left = visit.left or at
                    visit.outcome = VisitOutcome.CALLBACK
                    visit._abandon_hold = None
                    waited = _int(e, "Waited")  # Asterisk's own clock: whole seconds
                    visit.wait_seconds = (
                        waited
                        if waited is not None
                        else max(0, int((visit.left - visit.joined).total_seconds()))
                    )
                    break
        t._changed(found)


def _on_varset(t: CallTracker, e: Message, at: datetime) -> None:
    variable = e.get("Variable")
    if variable == "FAILSAFE" and e.get("Value") == "1":
        call = t.call_for(e)
        if call is not None and not call.failsafe:
            call.failsafe = True
            t._changed(call)
    elif variable == "QUEUESTATUS":
        call = t.call_for(e)
        if call is None:
            return
        for visit in reversed(call.visits):
            if visit.uniqueid == e.get("Uniqueid") and visit._abandon_hold is not None:
                if visit.outcome is None or visit.outcome is not VisitOutcome.TIMEOUT:
                    t._resolve_abandon(visit, timeout=True)
                    t._changed(call)
                break


def _on_join(t: CallTracker, e: Message, at: datetime) -> None:
    uid = e.get("Uniqueid") or ""
    queue = e.get("Queue") or ""
    if (e.get("Linkedid") or "").startswith(CALLBACK_PREFIX):
        q = t._queue(queue)  # a callback in line: a citizen waiting, not a new call
        if q is not None:
            q.join(uid, at, _int(e, "Position"))
            t._queue_changed(q)
        return
    call = t.call_for(e) or t._ensure_call(e, at)
    previous = t._open_visit(call, uid)
    if previous is not None:
        if previous.queue == queue and previous.joined == at:
            return  # the same event twice
        if previous._abandon_hold is not None:  # left by timeout and went on in the dialplan
            t._resolve_abandon(previous, timeout=True)
    if call.channel is None:
        call.channel = e.get("Channel")
        call.uniqueid = uid
    visit = Visit(queue, at, _int(e, "Position") or 1, uid)
    call.visits.append(visit)
    q = t._queue(queue)
    if q is not None:
        q.join(uid, at, _int(e, "Position"))
        t._queue_changed(q)
    t._changed(call)


def _on_agent_called(t: CallTracker, e: Message, at: datetime) -> None:
    call = t.call_for(e)
    visit = t._open_visit(call, e.get("Uniqueid")) if call else None
    member = e.get("MemberName") or e.get("Interface")
    if visit is not None and member and member not in visit.agents_rung:
        visit.agents_rung.append(member)


def _catch_up_visit(t: CallTracker, call: CallRecord, e: Message, at: datetime) -> Visit:
    """A visit whose join was missed (the link was down): rebuilt from the event's HoldTime."""
    hold = _int(e, "HoldTime") or 0
    visit = Visit(e.get("Queue") or "", at - timedelta(seconds=hold), 0, e.get("Uniqueid") or "")
    call.visits.append(visit)
    return visit


def _answer(t: CallTracker, call: CallRecord, visit: Visit, e: Message, at: datetime) -> None:
    visit.outcome = VisitOutcome.ANSWERED
    visit._abandon_hold = None
    visit.wait_seconds = _int(e, "HoldTime")
    if visit.wait_seconds is None:
        visit.wait_seconds = int((at - visit.joined).total_seconds())
    visit.agent = e.get("MemberName") or e.get("Interface")
    visit.organisation = t.organisation_of(e.get("Interface") or "")
    visit.left = visit.left or at
    dest = e.get("DestUniqueid")
    if dest:
        call.legs.add(dest)
        t._by_uniqueid[dest] = call.call_id
    q = t._queue(visit.queue)
    if q is not None and q.waiting.pop(visit.uniqueid, None) is not None:
        t._queue_changed(q)


def _on_connect(t: CallTracker, e: Message, at: datetime) -> None:
    call = t.call_for(e)
    if call is None:
        return
    visit = t._open_visit(call, e.get("Uniqueid"))
    if visit is None or visit.queue != e.get("Queue"):
        agent, hold = e.get("MemberName") or e.get("Interface"), _int(e, "HoldTime")
        if any(
            v.outcome is VisitOutcome.ANSWERED
            and v.queue == e.get("Queue")
            and v.agent == agent
            and v.wait_seconds == hold
            for v in call.visits
        ):
            return  # the same AgentConnect twice
        visit = _catch_up_visit(t, call, e, at)
    _answer(t, call, visit, e, at)
    t._changed(call)


def _on_leave(t: CallTracker, e: Message, at: datetime) -> None:
    q = t._queue(e.get("Queue"))
    uid = e.get("Uniqueid") or ""
    if q is not None and q.waiting.pop(uid, None) is not None:
        t._queue_changed(q)
    call = t.call_for(e)
    if call is None:
        return
    for visit in reversed(call.visits):
        if visit.uniqueid == uid and visit.queue == e.get("Queue"):
            visit.left = visit.left or at
            break


def _on_abandon(t: CallTracker, e: Message, at: datetime) -> None:
    call = t.call_for(e)
    visit = t._open_visit(call, e.get("Uniqueid")) if call else None
    if visit is None or visit._abandon_hold is not None or call is None or call.shutdown:
        return  # (in a shutdown Asterisk, not the caller, ended the wait)
    hold = _int(e, "HoldTime")
    visit._abandon_hold = hold if hold is not None else int((at - visit.joined).total_seconds())
    visit.left = at


def _on_complete(t: CallTracker, e: Message, at: datetime) -> None:
    call = t.call_for(e)
    if call is None:
        _on_bare_complete(t, e)
        return
    queue = e.get("Queue")
    visit = next(
        (
            v
            for v in reversed(call.visits)
            if v.outcome is VisitOutcome.ANSWERED and v.queue == queue and v.talk_seconds is None
        ),
        None,
    )
    if visit is None:
        talk, agent = _int(e, "TalkTime"), e.get("MemberName") or e.get("Interface")
        if any(
            v.queue == queue and v.talk_seconds == talk and v.agent == agent for v in call.visits
        ):
            return  # the same AgentComplete twice
        # The AgentConnect was missed (link down meanwhile): the caller was answered in this
        # queue all the same; AgentComplete carries the hold time and the agent.
        visit = t._open_visit(call, e.get("Uniqueid"))
        if visit is None or visit.queue != queue:
            visit = _catch_up_visit(t, call, e, at)
        _answer(t, call, visit, e, at)
    visit.talk_seconds = _int(e, "TalkTime")
    visit.ended_by = e.get("Reason")
    t._changed(call)


def _on_bare_complete(t: CallTracker, e: Message) -> None:
    """An ``AgentComplete`` for no call that is up: Asterisk 22 sends one without any of the
    caller's channel fields when the caller's channel is gone. The visit is the answered one
    in its queue, by that member, with that hold time, still without a talk time: among the
    calls up, else among those that just ended (the stored record is written again)."""
    queue, hold = e.get("Queue"), _int(e, "HoldTime")
    agents = {a for a in (e.get("MemberName"), e.get("Interface")) if a}
    uid = e.get("Uniqueid")

    def fits(call: CallRecord, v: Visit) -> bool:
        return (
            v.outcome is VisitOutcome.ANSWERED
            and v.talk_seconds is None
            and v.queue == queue
            and v.agent in agents
            and (hold is None or v.wait_seconds == hold)
            and (not uid or uid in call.legs)
        )

    found = next(((c, v) for c in t.calls.values() for v in c.visits if fits(c, v)), None)
    if found is None:
        found = next(((c, v) for c, v in t._talk_owed if fits(c, v)), None)
        if found is not None:
            t._talk_owed.remove(found)
    if found is None:
        return
    call, visit = found
    visit.talk_seconds = _int(e, "TalkTime")
    visit.ended_by = e.get("Reason")
    for listener in t.on_change:
        listener(call)


def _on_hangup(t: CallTracker, e: Message, at: datetime) -> None:
    uid = e.get("Uniqueid") or ""
    call = t.call_for(e)
    if call is None:
        return
    # The call is over when the leg that runs the dialplan (RouteRequest, queues) hangs up.
    # The caller's own leg (whose Uniqueid is the Linkedid) ends it only when it is that leg
    # too: a Local ;1 leg hangs up before its ;2 leg reports the abandon or AgentComplete
    # that carries the visit's HoldTime and TalkTime. Agent legs never end it.
    if uid == call.uniqueid or (uid == call.call_id and call.uniqueid is None):
        t.end(call, at)


def _on_soft_hangup(t: CallTracker, e: Message, at: datetime) -> None:
    if e.get("Cause") != SHUTDOWN_CAUSE:
        return
    call = t.call_for(e)
    if call is not None and not call.shutdown:
        call.shutdown = True
        for visit in call.visits:  # an abandon already reported belongs to the shutdown too
            if visit.open:
                visit._abandon_hold = None


def _on_member(t: CallTracker, e: Message, at: datetime) -> None:
    q = t._queue(e.get("Queue"))
    iface = e.get("Interface") or e.get("Location")
    if q is None or not iface:
        return
    if e.name == "QueueMemberRemoved":
        q.members.pop(iface, None)
    else:
        m = q.members.get(iface)
        if m is None:
            m = q.members[iface] = Member(iface, e.get("MemberName") or e.get("Name") or iface)
        status = _int(e, "Status")
        if status is not None:
            m.status = status
        was_paused, m.paused = m.paused, e.get("Paused") == "1"
        m.paused_reason = e.get("PausedReason") or ""
        if not m.paused:
            m.paused_at = None
        elif not was_paused or m.paused_at is None:
            last = _int(e, "LastPause")  # Asterisk's own, in QueueStatus and member events
            m.paused_at = datetime.fromtimestamp(last, UTC) if last else at
        m.in_call = e.get("InCall") == "1"
        m.membership = e.get("Membership") or m.membership
        m.state_interface = e.get("StateInterface") or m.state_interface or iface
    t._queue_changed(q)


def _on_shutdown(t: CallTracker, e: Message, at: datetime) -> None:
    t.lose_all(at, SHUTDOWN_REASON)


_VARIABLES = frozenset({"FAILSAFE", "QUEUESTATUS"})
_CONTEXTS = frozenset({CENTRAL, LAST_RESORT})
_OUR_CONTEXTS = frozenset({CENTRAL, QUEUES, LAST_RESORT, OWN_WORKER_CONTEXT, POSTCODE_CONTEXT})

_HANDLERS: dict[str, Callable[[CallTracker, Message, datetime], None]] = {
    "Newchannel": _on_channel,
    "Newexten": _on_channel,
    "UserEvent": _on_user_event,
    "VarSet": _on_varset,
    "QueueCallerJoin": _on_join,
    "AgentCalled": _on_agent_called,
    "AgentConnect": _on_connect,
    "QueueCallerLeave": _on_leave,
    "QueueCallerAbandon": _on_abandon,
    "AgentComplete": _on_complete,
    "Hangup": _on_hangup,
    "SoftHangupRequest": _on_soft_hangup,
    "QueueMemberStatus": _on_member,
    "QueueMemberAdded": _on_member,
    "QueueMemberRemoved": _on_member,
    "QueueMemberPause": _on_member,
    "QueueMember": _on_member,  # QueueStatus list items during resync
    "Shutdown": _on_shutdown,
}

HANDLED_EVENTS = frozenset(_HANDLERS)
"""Every event the tracker reads (the AMI account's event filter is built from these)."""


class PartRead(NamedTuple):
    """Which of an event's kind the tracker reads: those with ``header`` in ``values`` and,
    when ``priority`` is set, at that dialplan priority (the snapshot's ``Priority``, which
    follows its ``Context``)."""

    header: str
    values: frozenset[str]
    priority: int | None = None


READ_IN_PART: dict[str, PartRead] = {
    "VarSet": PartRead("Variable", _VARIABLES),
    "Newexten": PartRead("Context", frozenset({LAST_RESORT}), priority=1),
    "SoftHangupRequest": PartRead("Cause", frozenset({SHUTDOWN_CAUSE})),
}
"""Events the tracker needs only for some values of one header. A ``Newexten`` in the central
number tells nothing its ``Newchannel`` did not; in the last resort only the first step
counts (``_on_channel``), and every way in lands on an extension's priority 1, while each
later step (a prompt, the callback choice) would be one more event a call."""
