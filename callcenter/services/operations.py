"""The callcenter's running operations around the call path, built and wired in one place:
overrides and planned closures (what routing and Asterisk's states count), agents in the
queues, the lighthouse duty, desk-phone codes, interval snapshots and the scheduled jobs.

``serve``, ``demo`` and the tests build them with :func:`open_operations`; the dashboard's
handlers reach them through :class:`Operations`.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from apscheduler.triggers.cron import CronTrigger
from sqlalchemy.ext.asyncio import AsyncEngine

from callcenter.agents.board import AgentBoard
from callcenter.agents.desk import AgentDesk
from callcenter.agents.deskphone import DeskPhone
from callcenter.agents.duty import Duty
from callcenter.agents.records import AgentRecords
from callcenter.calls.service import CallService
from callcenter.contacts.callbacks import CallbackList
from callcenter.contacts.catalog import Catalog
from callcenter.contacts.dialer import Dialer
from callcenter.contacts.known import KnownCaller, KnownCallers
from callcenter.contacts.register import Contact, Register
from callcenter.contacts.scope import CallTrail
from callcenter.figures.intervals import IntervalStore, LiveStaffing
from callcenter.figures.staffing import Advice, history, staffing_advice
from callcenter.figures.today import Today
from callcenter.planning.closures import ClosureStore
from callcenter.planning.overrides import RELOAD_SECONDS, OverrideStore
from callcenter.staff.errors import StaffError
from callcenter.staff.services import StaffServices
from callcenter.staff.users import User
from callcenter.store.records import CallRecord
from routing.decide import next_open
from routing.site import Site
from schedules.jobs import CATCH_UP_AFTER, Jobs
from schedules.overrides import Override

__all__ = ["Operations", "open_operations"]

log = logging.getLogger(__name__)

AUDIT_CHECKPOINT_SECONDS = 300.0
"""How often the audit chain's head is anchored outside the database (and at stop)."""


@dataclass
class Operations:
    service: CallService
    staff: StaffServices
    overrides: OverrideStore
    closures: ClosureStore
    desk: AgentDesk
    duty: Duty
    deskphone: DeskPhone
    intervals: IntervalStore
    jobs: Jobs
    catalog: Catalog
    register: Register
    callbacks: CallbackList
    dialer: Dialer
    board: AgentBoard
    """The managers' live list of agents."""
    today: Today
    """The day's figures for the wallboard (``callcenter/figures/today.py``): every call
    the tracker ends is added."""
    known: KnownCallers
    """The consent register of neighbourhood teams (``callcenter/contacts/known.py``)."""
    _tasks: set[asyncio.Task[Any]] = field(default_factory=set)
    _known_calls: dict[str, KnownCaller] = field(default_factory=dict)
    """The register's entry of each call up that was routed by it (the screen pop's)."""

    async def load_today(self) -> None:
        """Read the day's ended calls back from the store (at start)."""
        writer = self.service.writer
        if writer is None:
            return
        now = self.service.clock.now()
        local = now.astimezone(self.service.site.zone)
        midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
        self.today.load(await writer.store.calls_between(midnight, now))

    async def advice(self, weeks: int = 8) -> Advice:
        """Staffing advice for the lighthouse over the coming week
        (``callcenter/figures/staffing.py``)."""
        site = self.service.site
        now = self.service.clock.now()
        past = await history(self.intervals.engine, site, site.lighthouse.queue, now, weeks)
        return staffing_advice(site, past, self.duty.rota, now.astimezone(site.zone).date())

    def place(self, counter_id: str) -> dict[str, Any]:
        """A counter as a search hit or a referral shows it: open now, its next opening."""
        site = self.service.site
        counter = site.counter(counter_id)
        now = self.service.clock.now()
        overrides = self.all_overrides()
        nxt = next_open(counter.hours, counter.id, now, overrides)
        is_open = nxt == now
        out = {
            "id": counter.id,
            "name": counter.name,
            "address": counter.address,
            "open": is_open,
            "next_open": None if is_open or nxt is None else nxt.astimezone(site.zone).isoformat(),
        }
        # a mobile counter: the address where it is open now, or opens next
        if (location := counter.location_at(nxt)) is not None:
            out |= {"address": location.address, "location": location.name}
        return out

    async def transfer(self, user: User, counter_id: str, *, address: str | None = None) -> Contact:
        """Pass the caller the agent is talking to on to an open counter, by phone (the
        caller waits in that counter's queue as any caller does), and record it on the call:
        a registration with a referral by phone to that counter (issue 25, point 5)."""
        site = self.service.site
        try:
            counter = site.counter(counter_id)
        except KeyError:
            raise StaffError(
                "invalid-field",
                f"Onbekend loket {counter_id!r}.",
                field="counter",
                en=f"unknown counter {counter_id!r}",
            ) from None
        talk = self.desk.current_talk(user)
        if counter.queue == talk.queue:
            raise StaffError(
                "same-queue",
                "De beller is al bij dat loket.",
                field="counter",
                status=409,
                en="the caller is at that counter already",
            )
        now = self.service.clock.now()
        if self.counter_opens(counter.id, now) != now:
            raise StaffError(
                "counter-closed",
                f"{counter.name} is nu gesloten: verwijs schriftelijk door.",
                field="counter",
                en=f"{counter.name} is closed now: refer in writing",
                status=409,
            )
        call = self.service.tracker.calls.get(talk.call_id)
        topic = site.topic(call.digits if call is not None else None).id
        await self.desk.transfer(talk, counter.queue)
        if self.service.writer is not None:
            await self.service.writer.flush()  # the call is in the store to register on
        return await self.register.register(
            user,
            {
                "call_id": talk.call_id,
                "topic": topic,
                "category": "andere",
                "summary": f"Telefonisch doorverbonden met {counter.name}.",
                "outcome": "referred",
                "referral": {
                    "to_counter": counter.id,
                    "request": "Telefonisch doorverbonden vanuit de vuurtoren of het onthaal.",
                },
            },
            address=address,
            by_phone=True,
        )

    def counter_opens(self, counter_id: str, at: datetime) -> datetime | None:
        """When a counter is open next from ``at`` (``at`` itself when open then)."""
        counter = self.service.site.counter(counter_id)
        return next_open(counter.hours, counter.id, at, self.all_overrides())

    def all_overrides(self) -> list[Override]:
        """Managers' overrides and planned closures: what routing and the states count."""
        return [*self.overrides.current(), *self.closures.current()]

    # -- scheduled work ------------------------------------------------------------------
    async def write_states(self) -> None:
        await self.closures.load()
        await self.overrides.load()
        if self.service.ami.state.value == "connected":
            await self.service.publish_states()

    async def follow_duty(self) -> None:
        await self.duty.load()
        await self.duty.reconcile("schedule")

    async def snapshot(self) -> None:
        now = self.service.clock.now()
        live = {
            name: LiveStaffing(
                sum(1 for m in q.members.values() if m.logged_in),
                sum(1 for m in q.members.values() if m.available),
                len(q.waiting),
            )
            for name, q in self.service.tracker.queues.items()
        }
        if self.service.writer is not None:
            await self.service.writer.flush()
        await self.intervals.snapshot(now, live)

    async def nightly(self) -> None:
        now = self.service.clock.now()
        report = await self.staff.privacy.retention(now, actor="nightly job")
        purged = await self.staff.sessions.purge()
        expired = await self.known.expire(actor="nightly job")
        log.info(
            "privacy job: %d call(s) pseudonymised, %d text(s) deleted, %d session(s) "
            "purged, %d register entr(ies) expired",
            report.pseudonymised,
            report.texts_deleted,
            purged,
            expired,
        )

    def own_team(
        self, site: Site, caller: str | None, call_id: str
    ) -> tuple[str | None, str | None]:
        """The call path's register lookup (audited): the caller's team, and the phone of
        their own social worker when that worker is logged in on the team's queue and free."""
        found = self.known.lookup(caller)
        self._spawn(self._audit_lookup(found, call_id))
        if found is not None:
            self._known_calls[call_id] = found
        if found is None or (site.teams is not None and found.team not in site.teams.counters):
            return None, None
        if not found.worker:
            return found.team, None
        queue = self.service.tracker.queues.get(site.counter(found.team).queue)
        members = queue.members.items() if queue is not None else ()
        free = next(  # the team's few members, not every user's phone
            (
                phone
                for phone, m in members
                if m.available
                and (user := self.desk.by_interface.get(phone)) is not None
                and user.login == found.worker
            ),
            None,
        )
        return found.team, free

    def forget_call(self, call: CallRecord) -> None:
        self._known_calls.pop(call.call_id, None)

    def pop_extra(self, call_id: str, interface: str) -> dict[str, Any]:
        """A known caller's screen pop: the file's team, and whether the agent is their own
        social worker ("uw eigen cliënt"). From the lookup made to route the call (audited
        then), never a new read."""
        found = self._known_calls.get(call_id)
        if found is None:
            return {}
        user = self.desk.by_interface.get(interface)
        site = self.service.site
        return {
            "own_client": bool(found.worker) and user is not None and user.login == found.worker,
            "team": found.team,
            "team_label": site.counter(found.team).name,
        }

    async def _audit_lookup(self, found: KnownCaller | None, call_id: str) -> None:
        try:
            await self.known.audit_lookup(found, call_id)
        except Exception:
            log.exception("call %s: the register lookup could not be audited", call_id)

    def _next_state_change(self, at: datetime) -> datetime | None:
        return self.service.next_change(at)

    def plan_jobs(self) -> None:
        """The service's jobs (``schedules/jobs.py``), in the service's time."""
        zone = self.service.site.zone
        j = self.jobs
        j.following(
            "states",
            "loketten openen en sluiten: toestanden naar Asterisk",
            self.service.next_change,
            self.write_states,
        )
        j.following(
            "duty", "wacht: begin en einde van diensten", self.duty.next_change, self.follow_duty
        )
        j.every(
            "snapshots",
            "kwartiercijfers per wachtrij",
            CronTrigger(minute="0,15,30,45", timezone=zone),
            self.snapshot,
        )
        j.every(
            "privacy-nightly",
            "privacy: bewaartermijnen en verlopen sessies (nachtelijk)",
            CronTrigger(hour=3, minute=15, timezone=zone),
            self.nightly,
        )
        j.once(
            "privacy-catch-up",
            "privacy: inhalen na de start",
            self.service.clock.now() + CATCH_UP_AFTER,
            self.nightly,
        )
        j.following(
            "callbacks",
            "terugbellen: verzoeken in de rij zetten",
            self.dialer.next_due,
            self.dialer.dial_due,
        )
        self.dialer.on_change.append(lambda: j.replan("callbacks"))
        self.overrides.on_change.append(lambda: j.replan("states"))
        self.closures.on_change.append(lambda: j.replan("states"))
        self.duty.on_change.append(lambda: j.replan("duty"))

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> None:
        self.plan_jobs()
        self.jobs.start()
        self._spawn(self._reload_forever())
        self._spawn(self._anchor_audit_forever())
        self._spawn(self.board.run())

    async def anchor_audit(self) -> None:
        """The audit chain's head, anchored outside the database (``staff/audit.py``)."""
        try:
            await self.staff.audit.checkpoint()
        except Exception:
            log.exception("writing the audit checkpoint failed; the next one will try again")

    async def _anchor_audit_forever(self) -> None:
        while True:
            await asyncio.sleep(AUDIT_CHECKPOINT_SECONDS)  # wall-clock time
            await self.anchor_audit()

    async def reload(self) -> None:
        """Read back what another process (the command line) may have changed: overrides,
        closures, the rota and handovers. A change re-plans the jobs it moves."""
        await self.overrides.load()
        await self.closures.load()
        before = self.duty.signature()
        await self.duty.load()
        if self.duty.signature() != before:
            await self.duty.reconcile("rota changed")
            self.jobs.replan("duty")

    async def _reload_forever(self) -> None:
        while True:
            await asyncio.sleep(RELOAD_SECONDS)  # wall-clock time: a person's patience
            try:
                await self.reload()
            except Exception:
                log.exception("reloading overrides, closures and the rota failed; kept the last")

    async def stop(self) -> None:
        await self.jobs.stopped()  # no job left writing when the database is closed
        await self.duty.stop()
        await self.dialer.stop()
        await self.desk.close()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=10)
        await self.anchor_audit()  # the head as the service leaves it

    def _spawn(self, work: Any) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _users_changed(self) -> None:
        try:
            await self.duty.load()
            await self.duty.reconcile("users changed")
        except Exception:
            log.exception("duty: following a change of users failed")

    async def _after_resync(self) -> None:
        """After every (re)connect, once the queues are read back: the duty as it is now."""
        await self.duty.load()
        await self.duty.reconcile("reconnect")
        await self.dialer.after_resync()


class _ServiceClock:
    """The service's clock, looked up at each use (a test may swap it)."""

    def __init__(self, service: CallService) -> None:
        self.service = service

    def now(self) -> datetime:
        return self.service.clock.now()

    async def sleep(self, virtual_seconds: float) -> None:
        await self.service.clock.sleep(virtual_seconds)

    @property
    def speed(self) -> float:
        return float(getattr(self.service.clock, "speed", 1.0))


def live_trail(service: CallService, call_id: str) -> CallTrail | None:
    """Where a call still up has been: its queues, the phones that rang or answered."""
    call = service.tracker.calls.get(call_id)
    if call is None:
        return None
    queues = {v.queue for v in call.visits}
    phones = {p for v in call.visits for p in (v.agent, *v.agents_rung) if p}
    decision = call.decision
    counter = decision.counter if decision is not None else None
    return CallTrail(frozenset(queues), frozenset(phones), counter, call.site)


async def open_operations(
    engine: AsyncEngine, service: CallService, staff: StaffServices, *, live: bool = True
) -> Operations:
    """Build, load (overrides, closures, rota) and wire everything; call before the AMI
    client connects, after :meth:`CallService.start`, so its first resync counts them.
    ``live`` False: for a command that reads or edits, with no Asterisk to drive."""
    site, ami = service.site, service.ami

    def now() -> datetime:  # late-bound: a test may swap the service's clock
        return service.clock.now()

    overrides = OverrideStore(engine, staff.audit, site, now)
    closures = ClosureStore(engine, staff.audit, site, now)
    await overrides.load()
    await closures.load()
    records = AgentRecords(engine)
    desk = AgentDesk(
        site,
        ami,
        service.tracker,
        staff.users,
        staff.audit,
        now,
        records=records,
        sleep=lambda seconds: service.clock.sleep(seconds),
    )
    duty = Duty(engine, staff.audit, desk, site, now, live=live)
    await duty.load()
    deskphone = DeskPhone(site, ami, desk, duty, overrides, staff.users, staff.audit)
    catalog = Catalog(engine, staff.audit, site, now)
    callbacks = CallbackList(engine, staff.audit, site, now)
    ops: Operations
    dialer = Dialer(
        engine,
        staff.audit,
        site,
        ami,
        service.bus,
        callbacks,
        lambda counter_id, at: ops.counter_opens(counter_id, at),
        now,
    )
    ops = Operations(
        service,
        staff,
        overrides,
        closures,
        desk,
        duty,
        deskphone,
        IntervalStore(engine, site),
        Jobs(_ServiceClock(service)),
        catalog,
        Register(
            engine,
            staff.audit,
            site,
            catalog,
            staff.privacy,
            now,
            live=lambda call_id: live_trail(service, call_id),
            member_of=service.tracker.queues_of,
        ),
        callbacks,
        dialer,
        AgentBoard(desk, records),
        Today(site, now),
        KnownCallers(engine, staff.audit, site, now),
    )
    await ops.known.load()
    service.own_team = ops.own_team
    service.pop_extra = ops.pop_extra
    service.tracker.on_end.append(ops.forget_call)
    staff.privacy.on_erase.append(ops.known.forget)
    service.tracker.on_end.append(ops.today.add)
    service.tracker.organisation_of = lambda interface: (
        user.organisation if (user := desk.by_interface.get(interface)) else None
    )
    await ops.catalog.load()
    await dialer.load()
    service.overrides = ops.all_overrides
    overrides.on_change.append(service.poke_states)
    closures.on_change.append(service.poke_states)
    staff.users.on_change.append(lambda: ops._spawn(ops._users_changed()))
    for name in desk.EVENTS:  # the agents' states, after-call work, the missed-call pause
        ami.intercept(name, desk.on_event)
    # an agent's state changed: their console and the managers' live list hear it
    desk.activity.on_change.append(
        lambda interface: service.bus.publish("agent", {"interface": interface})
    )
    desk.on_change.append(lambda: service.bus.publish("agent", {"interface": ""}))
    ops.board.on_refresh.append(lambda: service.bus.publish("agents-today", {}))
    ami.intercept("UserEvent", deskphone.on_event)
    ami.intercept("UserEvent", dialer.on_event)
    ami.intercept("AgentConnect", dialer.on_event)
    service.after_resync.append(ops._after_resync)
    service.more_alerts.append(dialer.trunk.alerts)
    dialer.trunk.on_change.append(service.publish_alerts)
    return ops
