"""Calling citizens back through Asterisk: the agent's phone first, then the citizen.

Three ways a callback starts:

- **Queued** (terugbelverzoek): a caller waiting in a queue presses the callback key. The
  dialplan sends ``UserEvent(CallbackRequest)`` with the queue and the caller's place
  (``QUEUEPOSITION``), says so and hangs up; the visit ends as CB. The dialer at once
  originates ``Local/<queue>@vuurtoren-callback-queue/n``: a stand-in that joins the queue *at
  that place* (``Queue()``'s position argument) and waits as the caller would have. When a
  member answers it, Asterisk answers the originate and its other leg dials the citizen
  (``vuurtoren-callback,citizen``): the agent hears the citizen's phone ring.
- **At the next opening**: a callback request of the last resort (outside hours) waits for
  the counter's next opening, then goes in line at the end of the counter's queue.
- **One click** (:meth:`Dialer.call_back`): an agent on the callback list rings their own phone
  (the originated channel); when they pick up, the citizen is dialled.

The ``h`` extension reports ``UserEvent(CallbackResult)`` with ``DIALSTATUS``; each result is
registered as an attempt on the callback list (actor ``vuurtoren`` or the agent). A citizen
not reached is tried again after ``retry_minutes``, at the head of the line, at most
``attempts`` times; then the request stays on the callback list for a person to judge. Never
two open callbacks for the same number in the same queue: a second request joins the first.
Open callbacks are rows (``callback_dials``): a restart of the service finds them, and a
stand-in Asterisk lost meanwhile is put in line again at the head.
"""

from __future__ import annotations

import asyncio
import logging
import re
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from callcenter.ami.client import AMIClient
from callcenter.ami.codec import Message
from callcenter.ami.errors import ActionFailed, AMIError
from callcenter.calls.service import screen_pop
from callcenter.contacts.callbacks import CLOSING, CallbackList
from callcenter.contacts.trunk import FAULTS, Trunk
from callcenter.dialplan.names import (
    ASTDB_FAMILY,
    CALLBACK_PREFIX,
    CALLBACK_TREE,
    DIAL_CONTEXT,
    RESULT_TREE,
    WAIT_CONTEXT,
)
from callcenter.infra.bus import Bus
from callcenter.staff.audit import AuditLog
from callcenter.staff.errors import StaffError
from callcenter.staff.privacy import PSEUDONYM_PREFIX
from callcenter.staff.stores import SiteStore
from callcenter.staff.users import User
from callcenter.store.durable import DurableQueue
from callcenter.store.models import CallbackAttemptRow, CallRow, DialRow, StandInRow, VisitRow
from routing.site import Site

__all__ = ["ACTOR", "OPEN", "Dialer"]

log = logging.getLogger(__name__)

ACTOR = "vuurtoren"
"""The actor of the attempts Vuurtoren dialled by itself."""
OPEN = ("waiting", "in_line", "dialing")
STATUS_RESULT = {
    "ANSWER": "reached",
    "BUSY": "busy",
    "NOANSWER": "no_answer",
    "CANCEL": "no_answer",
    "CONGESTION": "no_answer",
    "CHANUNAVAIL": "no_answer",
}
"""``DIALSTATUS`` → the attempt's result on the callback list."""
STATUS_NOTE = {
    "CANCEL": "afgebroken voor de burger opnam",
    "CONGESTION": "buitenlijn bezet (congestie)",
    "CHANUNAVAIL": "nummer onbereikbaar",
}
GIVE_UP_AFTER = timedelta(days=3)
"""A request not reached within this long stays on the callback list for a person."""
BACK_OFF = timedelta(minutes=1)
"""After Asterisk could not be asked (the link is down): try again this much later."""
_NUMBER = re.compile(r"^\+?[0-9]{3,20}$")
_AGENT_REFUSED = {
    "0": "Uw toestel is niet bereikbaar (niet aangemeld?).",
    "1": "Uw toestel hing op.",
    "3": "Uw toestel nam niet op.",
    "5": "Uw toestel is in gesprek.",
    "8": "Uw toestel is niet bereikbaar (congestie).",
}


class Dialer(SiteStore):
    def __init__(
        self,
        engine: AsyncEngine,
        audit: AuditLog,
        site: Site,
        ami: AMIClient,
        bus: Bus,
        callbacks: CallbackList,
        next_open: Callable[[str, datetime], datetime | None],
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        """``next_open(counter_id, at)``: when a counter is open next (``at`` when it is
        open), counting overrides and closures."""
        super().__init__(engine, audit, site, clock)
        self.ami = ami
        self.bus = bus
        self.callbacks = callbacks
        self.next_open = next_open
        self.settings = site.callbacks
        self.on_change: list[Callable[[], None]] = []
        self._due: dict[int, datetime] = {}
        """Waiting rows by id: when each is due (the job plans on the earliest)."""
        self._channels: dict[str, int] = {}
        """Stand-ins and one-click calls up now: channel id → row id (0 for one click)."""
        self._lined: dict[str, datetime] = {}
        """Stand-ins put in line: channel id → when (their own line in the reports)."""
        self._manual: dict[str, tuple[str, str]] = {}
        """One-click calls up now: channel id → (user login, call id)."""
        self._tasks: set[asyncio.Task[Any]] = set()
        self._lock = asyncio.Lock()
        self.durable = DurableQueue("callbacks")
        """Asterisk's requests and results, stored in order and kept through an outage of
        the database (``store/durable.py``)."""
        self.trunk = Trunk(site, ami, self.now)
        """The outside line: faulty, the dialer waits for it (``trunk.py``)."""
        self.trunk.on_change.append(self._changed)

    # -- planning -----------------------------------------------------------------------------
    async def load(self) -> None:
        """Read the open callbacks (at start)."""
        async with self.sessions() as session:
            rows = list(await session.scalars(select(DialRow).where(DialRow.state.in_(OPEN))))
        self._due = {r.id: r.next_at for r in rows if r.state == "waiting" and r.next_at}
        self._channels = {r.channel_id: r.id for r in rows if r.channel_id and r.state != "waiting"}
        self._lined = {  # put in line by the process before this one (updated_at: when)
            r.channel_id: r.updated_at for r in rows if r.channel_id and r.state == "in_line"
        }

    def next_due(self, at: datetime) -> datetime | None:
        """When the earliest waiting callback is due (the scheduler's ``following`` job);
        with the outside line faulty, not before its next test."""
        first = min(self._due.values(), default=None)
        if first is None or self.trunk.up or self.trunk.next_check is None:
            return first
        return max(first, self.trunk.next_check)

    def waiting(self) -> int:
        """Callbacks not yet done: waiting for their time, in line, or dialling."""
        return len(self._due) + sum(1 for rid in self._channels.values() if rid)

    def _changed(self) -> None:
        for listener in self.on_change:
            listener()

    async def dial_due(self) -> None:
        """Put every callback that is due in line (the scheduled job). With the outside
        line faulty, none, but the earliest as the test dial when its time has come."""
        now = self.now()
        due = sorted(rid for rid, at in self._due.items() if at <= now)
        if not self.trunk.up:
            if not due or not await self.trunk.may_test():
                self._changed()  # plan the next look
                return
            due = due[:1]
        for rid in due:
            await self._put_in_line(rid)

    async def after_resync(self) -> None:
        """After a (re)connect: requests kept in AstDB while Vuurtoren was away are taken
        up; a stand-in Asterisk no longer has (it restarted, or the callback ended while
        Vuurtoren was away) goes in line again, at the head."""
        await self._adopt_recorded()
        await self._results_kept()
        await self.trunk.at_start()
        try:
            listed = await self.ami.list_action("CoreShowChannels")
        except AMIError as exc:
            log.warning("callbacks: could not list Asterisk's channels: %s", exc)
            return
        live = {e.get("Uniqueid") for e in listed.items}
        lost = [cid for cid, rid in self._channels.items() if rid and cid not in live]
        now = self.now()
        for cid in lost:
            rid = self._channels.pop(cid)
            if cid in self._lined:  # still in line when Vuurtoren lost sight of it
                async with self.sessions() as session:
                    row = await session.get(DialRow, rid)
                await self._stand_in_ended(cid, rid, row.queue if row else "", "lost")
            await self._update(rid, state="waiting", next_at=now, position=1, channel_id=None)
            self._due[rid] = now
            log.info("callbacks: request %d was no longer in line; in line again", rid)
        if lost:
            self._changed()

    # -- events (read in the AMI loop: quick, the work goes to tasks) ---------------------------
    def on_event(self, event: Message) -> None:
        """Requests, connects and results go to the store one after the other, in the order
        Asterisk sent them, each retried until stored."""
        name = event.name
        call = event.get("Linkedid") or event.get("Uniqueid") or "?"
        if name == "UserEvent":
            kind = event.get("UserEvent")
            if kind == "CallbackRequest":
                asked = self.now()  # when the citizen pressed, however late it is stored
                self.durable.submit(f"request {call}", lambda: self._requested(event, asked))
            elif kind == "CallbackResult":
                self.durable.submit(f"result {call}", lambda: self._result(event))
        elif name == "AgentConnect" and (event.get("Linkedid") or "").startswith(CALLBACK_PREFIX):
            self.durable.submit(f"connect {call}", lambda: self._connected(event))

    async def _requested(self, event: Message, asked: datetime | None = None) -> None:
        """A ``CallbackRequest``: with ``Queue`` (the callback key while waiting) in line at
        once at the caller's place; without (the last resort) at the counter's next opening.
        Once stored, the copy the dialplan kept in AstDB goes."""
        call_id = event.get("Linkedid") or event.get("Uniqueid") or ""
        await self._request(
            call_id,
            (event.get("Caller") or "").strip(),
            event.get("Queue") or "",
            event.get("Counter") or "",
            _int(event.get("Position")),
            asked,
        )
        await self._forget_kept(f"{CALLBACK_TREE}/{call_id}")

    async def _forget_kept(self, key: str) -> None:
        """Delete what the dialplan kept in AstDB for a request or result now stored (a cut
        link leaves it for the next reconnect, which finds it stored already)."""
        try:
            await self.ami.db_del(ASTDB_FAMILY, key)
        except AMIError as exc:
            log.info(
                "callbacks: AstDB %s/%s stays for the next reconnect (%s)", ASTDB_FAMILY, key, exc
            )

    async def _request(
        self,
        call_id: str,
        caller: str,
        queue: str,
        counter_id: str,
        position: int | None,
        asked: datetime | None = None,
    ) -> None:
        if not _NUMBER.match(caller) or not call_id:
            log.warning("callbacks: request without a number that can be called (%s)", call_id)
            return
        now = asked or self.now()
        at: datetime | None = now
        if queue:
            kind = "queued"
        else:
            counter = next(
                (c for c in self.site.counters if c.id == counter_id),
                self.site.counter(self.site.topic(None).counter),
            )
            queue, kind, position = counter.queue, "opening", None
            at = self.next_open(counter.id, now)
        async with self._lock, self.sessions.begin() as session:
            existing = await session.scalar(
                select(DialRow).where(
                    DialRow.caller == caller, DialRow.queue == queue, DialRow.state.in_(OPEN)
                )
            )
            if existing is not None and existing.call_id == call_id:
                # this very request, stored before an outage cut the rest short: go on
                # with it (a retry must not leave it out of line)
                rid, at = existing.id, existing.next_at
                if existing.state != "waiting" or at is None:
                    return
            elif existing is not None:
                log.info("callbacks: %s already has callback %d in %s", call_id, existing.id, queue)
                return
            else:
                row = DialRow(
                    call_id=call_id,
                    caller=caller,
                    queue=queue,
                    kind=kind,
                    requested_at=now,
                    position=position,
                    state="waiting" if at is not None else "given_up",
                    attempts=0,
                    next_at=at,
                    updated_at=now,
                )
                session.add(row)
                await session.flush()
                rid = row.id
        if at is None:
            log.warning("callbacks: %s never opens again; the request stays on the list", queue)
            return
        self._due[rid] = at
        if at <= now:
            await self._put_in_line(rid)
        self._changed()

    async def _results_kept(self) -> None:
        """Results the dialplan kept in AstDB whose event reached nobody (Vuurtoren away or
        its link cut): registered now, in the order they came, so that a callback that
        reached the citizen meanwhile is not put in line again."""
        try:
            entries = await self.ami.db_get_tree(ASTDB_FAMILY)
        except AMIError as exc:
            log.warning("callbacks: reading the kept results failed (%s)", exc)
            return
        kept = []
        for key, value in entries.items():
            tree, _, channel_id = key.partition("/")
            fields = value.split(",")
            if tree != RESULT_TREE or len(fields) != 5 or not channel_id:
                continue
            kept.append((fields[0], channel_id, fields))
        for _, channel_id, (_, request, status, call, talk) in sorted(kept):
            event = Message.event(
                "UserEvent",
                UserEvent="CallbackResult",
                Linkedid=channel_id,
                Request=request,
                Status=status,
                Call=call,
                Talk=talk,
            )
            log.info(
                "callbacks: %s ended while Vuurtoren could not hear it: %s", channel_id, status
            )
            await self._result(event)

    async def _adopt_recorded(self) -> None:
        """Callback requests the dialplan kept in AstDB whose event reached nobody (the
        service stored them with their calls at this resync): a queue's exit key back in
        that queue's line (at its end: the place is gone), the last resort's at the
        counter's next opening."""
        since = self.now() - GIVE_UP_AFTER
        async with self.sessions() as session:
            rows = (
                await session.execute(
                    select(CallRow.call_id, CallRow.caller, CallRow.counter, CallRow.digits).where(
                        CallRow.callback_requested_at >= since,
                        CallRow.caller.is_not(None),
                        ~select(DialRow.id).where(DialRow.call_id == CallRow.call_id).exists(),
                        ~select(CallbackAttemptRow.id)
                        .where(
                            CallbackAttemptRow.call_id == CallRow.call_id,
                            CallbackAttemptRow.result.in_(sorted(CLOSING)),
                        )
                        .exists(),
                    )
                )
            ).all()
            # a queue's exit key (its visit ended as a callback): back in that line, at its end
            queued = (
                dict(
                    (
                        await session.execute(
                            select(VisitRow.call_id, VisitRow.queue).where(
                                VisitRow.call_id.in_([r[0] for r in rows]),
                                VisitRow.outcome == "callback",
                            )
                        )
                    ).all()
                )
                if rows
                else {}
            )
        for call_id, caller, counter, digits in rows:
            if not counter:  # a call the dialplan routed alone: its menu choice says which
                topic = self.site.find_topic(digits)
                counter = topic.counter if topic else ""
            await self._request(call_id, caller or "", queued.get(call_id, ""), counter or "", None)

    async def _put_in_line(self, rid: int) -> None:
        """Originate the stand-in that waits in the queue in the citizen's place."""
        self._due.pop(rid, None)
        async with self.sessions() as session:
            row = await session.get(DialRow, rid)
        if row is None or row.state != "waiting":
            return
        if not row.caller or row.caller.startswith(PSEUDONYM_PREFIX):
            await self._update(rid, state="cancelled", next_at=None)
            return
        async with self.sessions() as session:
            got_through = await session.scalar(
                select(CallRow.call_id)
                .where(
                    CallRow.caller == row.caller,
                    CallRow.outcome == "answered",
                    CallRow.started_at > row.requested_at,
                )
                .limit(1)
            )
        if got_through is not None:  # called again and spoke to someone: nothing to do
            await self._update(rid, state="cancelled", next_at=None)
            self._changed()
            return
        s = self.settings
        channel_id = f"{CALLBACK_PREFIX}{rid}-{row.attempts + 1}-{secrets.token_hex(3)}"
        variables = {
            "CB_NUMBER": row.caller,
            "CB_CALL": row.call_id,
            "CB_REQUEST": str(rid),
            "CB_RING": str(s.citizen_ring_seconds),
            "CB_WAIT": str(s.wait_minutes * 60),
            "VT_POS": str(row.position or ""),
        }
        await self._update(rid, state="in_line", channel_id=channel_id, next_at=None)
        self._channels[channel_id] = rid
        self._lined[channel_id] = self.now()
        self._changed()
        self._spawn(
            self._originate(
                rid,
                channel_id,
                Channel=f"Local/{row.queue}@{WAIT_CONTEXT}/n",
                Timeout=s.wait_minutes * 60 * 1000,
                variables=variables,
                caller=row.caller,
            )
        )

    async def _originate(
        self,
        rid: int,
        channel_id: str,
        *,
        Channel: str,
        Timeout: int,
        variables: dict[str, str],
        caller: str,
    ) -> None:
        try:
            _, response = await self.ami.originate(
                *(("Variable", f"{k}={v}") for k, v in variables.items()),
                Channel=Channel,
                Context=DIAL_CONTEXT,
                Exten="citizen",
                Priority=1,
                Timeout=Timeout,
                CallerID=f'"Terugbellen" <{caller}>',
                ChannelId=channel_id,
                OtherChannelId=channel_id + "b",
            )
        except AMIError as exc:
            if self._channels.pop(channel_id, None) is None:
                return  # its result came meanwhile
            log.warning("callbacks: request %d could not be put in line: %s", rid, exc)
            at = self.now() + BACK_OFF
            await self._update(rid, state="waiting", next_at=at, channel_id=None)
            self._due[rid] = at
            self._changed()
            return
        if response.get("Response") == "Success":
            log.info("callbacks: request %d taken by an agent", rid)

    async def _connected(self, event: Message) -> None:
        """A member answered a stand-in: the screen pop names the callback, and the row the
        agent, while the citizen's phone rings."""
        channel_id = event.get("Linkedid") or ""
        rid = self._channels.get(channel_id)
        if not rid:
            return
        agent = event.get("MemberName") or event.get("Interface") or ""
        await self._update(rid, state="dialing", agent=agent)
        hold = _int(event.get("HoldTime"))
        await self._stand_in_ended(channel_id, rid, event.get("Queue") or "", "answered", wait=hold)
        async with self.sessions() as session:
            row = await session.get(DialRow, rid)
            call = (
                await session.scalar(select(CallRow).where(CallRow.call_id == row.call_id))
                if row
                else None
            )
        if row is None:
            return
        self.bus.publish(
            "connect",
            screen_pop(
                self.site,
                event,
                row.call_id,
                row.caller,
                call.topic if call else None,
                call.counter if call else None,
                "callback",
                None,
                self.now(),
                callback={"id": rid, "attempt": row.attempts + 1, "kind": row.kind},
            ),
        )

    async def _result(self, event: Message) -> None:
        """``CallbackResult``: register the attempt; plan the next one or close. Then the
        copy the dialplan kept in AstDB goes."""
        await self._register_result(event)
        await self._forget_kept(f"{RESULT_TREE}/{event.get('Linkedid') or ''}")

    async def _register_result(self, event: Message) -> None:
        channel_id = event.get("Linkedid") or ""
        status = (event.get("Status") or "").upper()
        manual = self._manual.pop(channel_id, None)
        if manual is not None:
            self._channels.pop(channel_id, None)
            login, call_id = manual
            if status in FAULTS:  # an agent's own try tells of the line too
                self.trunk.failed(status)
            elif status in ("ANSWER", "BUSY", "NOANSWER"):
                self.trunk.worked()
            result = STATUS_RESULT.get(status, "no_answer")
            await self.callbacks.record(call_id, login, result, STATUS_NOTE.get(status, ""))
            if result == "reached":
                await self._close_for(call_id)
            self._changed()
            return
        rid = _int(event.get("Request")) or self._channels.get(channel_id)
        self._channels.pop(channel_id, None)
        if not rid:
            return
        async with self.sessions() as session:
            row = await session.get(DialRow, rid)
        if row is None or row.state not in OPEN:
            return
        now = self.now()
        if status.startswith("QUEUE-"):  # nobody took it in time: later, not an attempt
            outcome = "timeout" if status == "QUEUE-TIMEOUT" else "left"
            await self._stand_in_ended(channel_id, rid, row.queue, outcome)
            at = self._later(row, now)
            await self._update(
                rid, state="waiting" if at else "given_up", next_at=at, channel_id=None
            )
            if at:
                self._due[rid] = at
            self._changed()
            return
        if status in FAULTS:  # the line failed, not the citizen: not an attempt of theirs
            await self._update(rid, state="waiting", next_at=now, position=1, channel_id=None)
            self._due[rid] = now
            self.trunk.failed(status)  # once the request waits again: the alert tells true
            log.warning(
                "callbacks: request %d not dialled (%s): it waits for the line", rid, status
            )
            self._changed()
            return
        self.trunk.worked()
        result = STATUS_RESULT.get(status, "no_answer")
        note = STATUS_NOTE.get(status, "")
        attempts = row.attempts + 1
        await self.callbacks.record(
            row.call_id,
            ACTOR,
            result,
            f"poging {attempts} van {self.settings.attempts}" + (f", {note}" if note else ""),
        )
        if result == "reached":
            await self._update(rid, state="reached", attempts=attempts, channel_id=None)
        elif attempts >= self.settings.attempts or now - row.requested_at > GIVE_UP_AFTER:
            await self._update(rid, state="given_up", attempts=attempts, channel_id=None)
        else:
            at = now + timedelta(minutes=self.settings.retry_minutes)
            await self._update(
                rid, state="waiting", attempts=attempts, next_at=at, position=1, channel_id=None
            )
            self._due[rid] = at
        self._changed()

    def _later(self, row: DialRow, now: datetime) -> datetime | None:
        if now - row.requested_at > GIVE_UP_AFTER:
            return None
        retry = now + timedelta(minutes=self.settings.retry_minutes)
        counter = next((c for c in self.site.counters if c.queue == row.queue), None)
        if counter is None:
            return retry
        return self.next_open(counter.id, retry)

    # -- one click -------------------------------------------------------------------------------
    async def call_back(
        self, user: User, call_id: str, *, address: str | None = None
    ) -> dict[str, Any]:
        """Ring the user's phone; when they pick up, the citizen of ``call_id`` is dialled.
        Returns when the user's phone answered; the citizen's answer is registered later."""
        if not user.interfaces:
            raise StaffError(
                "no-phone", "Aan uw account is geen toestel gekoppeld (zie Gebruikers).", status=409
            )
        async with self.sessions() as session:
            call = await session.scalar(select(CallRow).where(CallRow.call_id == call_id))
        if call is None or not user.in_sites(call.site):  # another municipality's: none
            raise StaffError("call-not-found", f"Geen oproep {call_id!r}.", status=404)
        number = call.caller or ""
        if not _NUMBER.match(number):
            raise StaffError("no-number", "Van deze oproep is geen nummer bekend.", status=409)
        if call_id in {c for _, c in self._manual.values()}:
            raise StaffError("busy", "Dit nummer wordt al teruggebeld.", status=409)
        async with self.sessions() as session:
            busy = await session.scalar(
                select(DialRow).where(
                    DialRow.caller == number, DialRow.state.in_(("in_line", "dialing"))
                )
            )
        if busy is not None:
            raise StaffError(
                "busy", "Vuurtoren belt dit nummer al terug (het staat in de rij).", status=409
            )
        interface = user.interfaces[0]
        s = self.settings
        channel_id = f"{CALLBACK_PREFIX}m-{secrets.token_hex(5)}"
        self._manual[channel_id] = (user.login, call_id)
        self._channels[channel_id] = 0
        await self.audit.record(
            "callback-dial",
            actor=user.login,
            target=call_id,
            detail={"phone": interface},
            address=address,
        )
        try:
            _, response = await self.ami.originate(
                ("Variable", f"CB_NUMBER={number}"),
                ("Variable", f"CB_CALL={call_id}"),
                ("Variable", "CB_REQUEST="),
                ("Variable", f"CB_RING={s.citizen_ring_seconds}"),
                Channel=interface,
                Context=DIAL_CONTEXT,
                Exten="citizen",
                Priority=1,
                Timeout=s.agent_ring_seconds * 1000,
                CallerID=f'"Terugbellen" <{number}>',
                ChannelId=channel_id,
            )
        except ActionFailed as exc:
            self._forget(channel_id)
            raise StaffError("asterisk-refused", f"Asterisk weigert: {exc}", status=502) from None
        except AMIError as exc:
            self._forget(channel_id)
            raise StaffError(
                "asterisk-unreachable", f"Asterisk is niet bereikbaar ({exc}).", status=503
            ) from None
        if response.get("Response") != "Success":
            self._forget(channel_id)
            reason = response.get("Reason") or "0"
            raise StaffError(
                "phone-not-answered",
                _AGENT_REFUSED.get(reason, f"Uw toestel werd niet bereikt (reden {reason})."),
                status=409,
            )
        return {"state": "dialing", "number": number, "phone": interface}

    def _forget(self, channel_id: str) -> None:
        self._manual.pop(channel_id, None)
        self._channels.pop(channel_id, None)

    async def _close_for(self, call_id: str) -> None:
        """A person reached the citizen: Vuurtoren's own callback for that call is done."""
        async with self.sessions() as session:
            rows = list(
                await session.scalars(
                    select(DialRow).where(DialRow.call_id == call_id, DialRow.state == "waiting")
                )
            )
        for row in rows:
            self._due.pop(row.id, None)
            await self._update(row.id, state="cancelled", next_at=None)

    # -- helpers ---------------------------------------------------------------------------------
    async def _stand_in_ended(
        self, channel_id: str, rid: int, queue: str, outcome: str, *, wait: int | None = None
    ) -> None:
        """A stand-in's visit to its queue is over: a row for the reports' own line."""
        if channel_id not in self._lined:
            return  # counted already
        lined = self._lined.pop(channel_id)
        now = self.now()
        if wait is None:
            wait = max(0, int((now - lined).total_seconds()))
        joined = now - timedelta(seconds=wait)
        if not queue:
            return
        async with self.sessions.begin() as session:
            session.add(
                StandInRow(
                    request_id=rid,
                    queue=queue,
                    joined_at=joined,
                    outcome=outcome,
                    wait_seconds=wait,
                )
            )

    async def _update(self, rid: int, **values: Any) -> None:
        async with self.sessions.begin() as session:
            row = await session.get(DialRow, rid)
            if row is None:
                return
            for key, value in values.items():
                setattr(row, key, value)
            row.updated_at = self.now()

    def _spawn(self, work: Any) -> None:
        task = asyncio.get_running_loop().create_task(self._guarded(work))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    @staticmethod
    async def _guarded(work: Any) -> None:
        try:
            await work
        except Exception:
            log.exception("callbacks: handling an event failed")

    async def stop(self) -> None:
        await self.durable.close()
        for task in list(self._tasks):
            task.cancel()


def _int(text: str | None) -> int | None:
    try:
        return int(text) if text else None
    except ValueError:
        return None
