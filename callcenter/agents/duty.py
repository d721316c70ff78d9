"""The lighthouse duty, run: the rota stored and edited, handovers, and the lighthouse queue
kept in line with who is on duty.

:meth:`Duty.reconcile` compares who should be on duty now (``schedules/rota.py``) with the
lighthouse queue's members as Asterisk reports them, adds the phones that are missing and
removes the ones whose duty ended, but never during a call: a member on a call is removed as
soon as the tracker sees the call end. Members that are no user's phone (added by hand on the
PBX) are left alone. The scheduler (``schedules/jobs.py``) calls it at every start and end of
a shift; a takeover or a handback calls it at once. Every change is audited.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from callcenter.agents.desk import AgentDesk
from callcenter.calls.tracker import LiveQueue
from callcenter.staff.audit import AuditLog
from callcenter.staff.errors import StaffError
from callcenter.staff.users import User
from callcenter.store.db import StoreSessions
from callcenter.store.models import HandoverRow, RotaExceptionRow, RotaShiftRow
from routing.site import Site
from schedules.rota import (
    WEEKDAYS,
    Handover,
    Rota,
    RotaError,
    RotaException,
    Shift,
    format_hhmm,
    on_duty,
    parse_hhmm,
)

__all__ = ["Duty"]

log = logging.getLogger(__name__)

SYSTEM = "wachtrol"
"""The audit actor of changes the schedule makes."""


def _error(exc: RotaError) -> StaffError:
    return StaffError.invalid(exc)


def _shift(row: RotaShiftRow) -> Shift:
    return Shift(
        row.weekday,
        parse_hhmm(row.starts, "starts") or datetime.min.time(),
        parse_hhmm(row.ends, "ends"),
        row.user_id,
        row.id,
    )


def _exception(row: RotaExceptionRow) -> RotaException:
    return RotaException(
        row.day,
        row.kind,
        row.user_id,
        parse_hhmm(row.starts, "starts") if row.starts else None,
        parse_hhmm(row.ends, "ends") if row.ends else None,
        row.note,
        row.id,
    )


def _handover(row: HandoverRow) -> Handover:
    return Handover(row.taken_by, row.given_by, row.started_at, row.ends_at, row.id)


def _exception_order(e: RotaException) -> tuple[date, str]:
    return (e.day, format_hhmm(e.starts) if e.starts else "")


class Duty:
    def __init__(
        self,
        engine: AsyncEngine,
        audit: AuditLog,
        desk: AgentDesk,
        site: Site,
        now: Callable[[], datetime] | None = None,
        *,
        live: bool = True,
    ) -> None:
        """``live``: this process runs the queue (``serve``); a command that only edits the
        rota passes False, and the running service follows within its reload time."""
        self.sessions = StoreSessions(engine)
        self.audit = audit
        self.live = live
        self.desk = desk
        self.site = site
        self.now = now or (lambda: datetime.now(UTC))
        self.rota = Rota(site.zone)
        self.handovers: list[Handover] = []
        self.users: dict[int, User] = {}
        self.waiting_for_call: set[int] = set()
        """Users whose duty ended while on a call: removed when the call ends."""
        self.problems: list[str] = []
        """Why someone on duty is not in the queue (no phone, disabled)."""
        self.on_change: list[Callable[[], None]] = []
        """Called when the rota or a handover changed (the scheduler re-plans)."""
        self._lock = asyncio.Lock()
        self._loading = asyncio.Lock()
        """One load at a time: a load that began before a change was stored cannot end after
        the one that read it, and leave the older rota in place."""
        self._chore: asyncio.Task[None] | None = None
        desk.tracker.on_queue_change.append(self._queue_changed)

    # -- loading ---------------------------------------------------------------------------
    def signature(self) -> tuple[object, ...]:
        """What the duty is computed from (to tell whether a reload changed anything)."""
        return (self.rota.shifts, self.rota.exceptions, tuple(self.handovers))

    async def load(self) -> None:
        async with self._loading:
            await self._load()

    async def _load(self) -> None:
        now = self.now()
        async with self.sessions() as session:
            shifts = [_shift(r) for r in await session.scalars(select(RotaShiftRow))]
            exceptions = [_exception(r) for r in await session.scalars(select(RotaExceptionRow))]
            handovers = [
                _handover(r)
                for r in await session.scalars(
                    select(HandoverRow).where(HandoverRow.ended_at.is_(None))
                )
            ]
        self.rota = Rota(self.site.zone, shifts, exceptions)
        self.handovers = [h for h in handovers if h.ends is None or h.ends > now]
        users = await self.desk.users.list()
        self.users = {u.id: u for u in users}
        await self.desk.refresh(users)

    def _changed(self) -> None:
        for listener in self.on_change:
            listener()

    def name(self, user_id: int | None) -> str:
        if user_id is None:
            return "niemand"
        user = self.users.get(user_id)
        return user.name if user else f"gebruiker {user_id}"

    # -- who is on duty ------------------------------------------------------------------------
    def on_duty(self, at: datetime | None = None) -> set[int]:
        return on_duty(self.rota, self.handovers, at or self.now())

    def next_change(self, at: datetime) -> datetime | None:
        edges = [self.rota.next_change(at)]
        edges += [h.ends for h in self.handovers if h.ends is not None and h.ends > at]
        return min((e for e in edges if e is not None), default=None)

    def status(self, at: datetime | None = None) -> dict[str, Any]:
        at = at or self.now()
        lh = self.desk.tracker.queues.get(self.site.lighthouse.queue)
        members = lh.members if lh else {}
        holders = []
        for uid in sorted(self.on_duty(at), key=self.name):
            user = self.users.get(uid)
            phone = user.interfaces[0] if user and user.interfaces else None
            m = members.get(phone) if phone else None
            handover = next(
                (h for h in self.handovers if h.taken_by == uid and h.active_at(at)), None
            )
            holders.append(
                {
                    "user": user.login if user else str(uid),
                    "name": self.name(uid),
                    "in_queue": m is not None and m.logged_in,
                    "paused": bool(m and m.paused),
                    "took_over_from": None
                    if handover is None
                    else (self.name(handover.given_by) if handover.given_by else ""),
                    "until": (handover.ends if handover else self.rota.shift_end(uid, at)),
                }
            )
        nxt = self.next_change(at)
        return {
            "on_duty": holders,
            "by_hand": [
                {"queue": queue, "interface": m.interface, "name": m.name}
                for queue, m in self.desk.members_by_hand()
            ],
            "waiting_for_call": sorted(self.name(u) for u in self.waiting_for_call),
            "problems": list(self.problems),
            "next_change": nxt,
        }

    # -- the queue follows the duty ----------------------------------------------------------
    def _queue_changed(self, queue: LiveQueue) -> None:
        if queue.name != self.site.lighthouse.queue or not self.waiting_for_call:
            return
        if any(
            not m.in_call
            for m in queue.members.values()
            if (u := self.desk.by_interface.get(m.interface)) and u.id in self.waiting_for_call
        ) and (self._chore is None or self._chore.done()):
            self._chore = asyncio.get_running_loop().create_task(self._reconcile_quietly())

    async def _reconcile_quietly(self) -> None:
        try:
            await self.reconcile("call ended")
        except Exception:
            log.exception("duty: removing an agent after their call failed")

    def _set_problems(self, problems: list[str]) -> None:
        for problem in problems:
            if problem not in self.problems:  # said once, not at every reconcile
                log.warning("duty: %s", problem)
        self.problems = problems

    async def reconcile(self, why: str = "schedule") -> tuple[list[str], list[str]]:
        """Make the lighthouse queue hold exactly the phones of those on duty (those on a
        call stay until it ends). Returns the logins added and removed."""
        if not self.live:
            return [], []
        async with self._lock:
            return await self._reconcile(why)

    async def _reconcile(self, why: str) -> tuple[list[str], list[str]]:
        if self.desk.ami.state.value != "connected":
            # the queue follows at the resync after the next connect (nothing to log)
            self.problems = ["Asterisk is niet verbonden: de wachtrij volgt bij het verbinden."]
            return [], []
        queue = self.site.lighthouse.queue
        live = self.desk.tracker.queues.get(queue)
        members = dict(live.members) if live else {}
        wanted = self.on_duty()
        added: list[str] = []
        removed: list[str] = []
        problems: list[str] = []
        for uid in sorted(wanted):
            user = self.users.get(uid)
            if user is None or not user.active:
                problems.append(f"{self.name(uid)} staat van wacht maar is geen actieve gebruiker.")
                continue
            if not user.interfaces:
                problems.append(f"{user.name} staat van wacht maar heeft geen toestel.")
                continue
            if user.interfaces[0] in members:
                continue
            try:
                if await self.desk.join(user, queue):
                    added.append(user.login)
            except StaffError as exc:  # Asterisk away: the resync after reconnect does it
                problems.append(f"{user.name} kon niet in de wachtrij: {exc.message}")
        waiting: set[int] = set()
        for iface, member in members.items():
            user = self.desk.by_interface.get(iface)
            if user is None or user.id in wanted:
                continue  # not ours (the PBX's), or on duty
            if member.in_call:
                waiting.add(user.id)
                continue
            try:
                if await self.desk.leave(user, queue):
                    removed.append(user.login)
            except StaffError as exc:
                problems.append(f"{user.name} kon niet uit de wachtrij: {exc.message}")
        self.waiting_for_call = waiting
        self._set_problems(problems)
        if added or removed:
            log.info("duty (%s): in %s, out %s", why, added or "-", removed or "-")
            await self.audit.record(
                "duty-shift",
                actor=SYSTEM,
                target=queue,
                detail={"why": why, "in": added, "out": removed},
            )
        if waiting:
            log.info("duty: %s on a call; out after it", sorted(self.name(u) for u in waiting))
        return added, removed

    # -- takeover and handback ---------------------------------------------------------------
    async def take_over(
        self,
        taker: User,
        giver_login: str | None = None,
        *,
        beside: bool = False,
        actor: str,
        address: str | None = None,
    ) -> Handover:
        """ "Ik neem de wacht over": the taker holds the duty instead of ``giver_login``
        (default: the one agent on duty now, if there is exactly one) until that duty's end
        or a handback; with ``beside``, next to those on duty, until handed back."""
        now = self.now()
        if not taker.has("agent"):
            raise StaffError(
                "not-an-agent",
                "Alleen agenten nemen de wacht.",
                status=403,
                en="only agents take the duty",
            )
        self.desk.phone(taker)
        duty = self.on_duty(now)
        if taker.id in duty:
            raise StaffError(
                "already-on-duty", "U hebt de wacht al.", status=409, en="already on duty"
            )
        giver: int | None = None
        if giver_login:
            found = next((u for u in self.users.values() if u.login == giver_login), None)
            if found is None or found.id not in duty:
                raise StaffError(
                    "invalid-field",
                    f"{giver_login!r} heeft nu geen wacht.",
                    field="from",
                    en=f"{giver_login!r} is not on duty now",
                )
            giver = found.id
        elif len(duty) == 1 and not beside:
            giver = next(iter(duty))
        ends = self.rota.shift_end(giver, now) if giver is not None else None
        if giver is not None:
            taken = next(
                (h for h in self.handovers if h.taken_by == giver and h.active_at(now)), None
            )
            if taken is not None:
                ends = taken.ends
        row = HandoverRow(taken_by=taker.id, given_by=giver, started_at=now, ends_at=ends)
        async with self.sessions.begin() as session:
            session.add(row)
        handover = _handover(row)
        await self.load()  # not an edit in memory: a load running now would undo it
        await self.audit.record(
            "duty-takeover",
            actor=actor,
            target=taker.login,
            detail={
                "from": self.users[giver].login if giver in self.users else None,
                "until": ends.isoformat() if ends else None,
            },
            address=address,
        )
        await self.reconcile("takeover")
        self._changed()
        return handover

    async def hand_back(
        self, taker: User, *, actor: str, address: str | None = None
    ) -> list[Handover]:
        """End the taker's handovers: the duty goes back to whom the rota gives it."""
        now = self.now()
        mine = [h for h in self.handovers if h.taken_by == taker.id and h.active_at(now)]
        if not mine:
            raise StaffError(
                "no-handover",
                "U hebt geen overgenomen wacht om terug te geven (een wacht van de wachtrol "
                "neemt een collega over).",
                status=409,
                en="no duty taken over to hand back (a colleague takes over a rota's duty)",
            )
        ids = [h.id for h in mine]
        async with self.sessions.begin() as session:
            for row in await session.scalars(select(HandoverRow).where(HandoverRow.id.in_(ids))):
                row.ended_at, row.ended_by = now, actor
        await self.load()
        await self.audit.record(
            "duty-handback",
            actor=actor,
            target=taker.login,
            detail={"to": [self.users[h.given_by].login for h in mine if h.given_by in self.users]},
            address=address,
        )
        await self.reconcile("handback")
        self._changed()
        return mine

    # -- editing the rota ----------------------------------------------------------------------
    def _agent(self, login: str) -> User:
        user = next((u for u in self.users.values() if u.login == login), None)
        if user is None or not user.has("agent"):
            raise StaffError(
                "invalid-field",
                f"{login!r} is geen agent.",
                field="user",
                en=f"{login!r} is not an agent",
            )
        return user

    async def add_shift(
        self,
        weekday: int,
        starts: str,
        ends: str,
        login: str,
        *,
        actor: str,
        address: str | None = None,
    ) -> Shift:
        self.users = {u.id: u for u in await self.desk.users.list()}
        user = self._agent(login)
        try:
            begin = parse_hhmm(starts, "starts")
            if begin is None:
                raise RotaError(
                    "Een wacht begint ten laatste om 23:59.",
                    "starts",
                    "a duty starts at 23:59 at the latest",
                )
            shift = Shift(weekday, begin, parse_hhmm(ends, "ends"), user.id)
            Rota(self.site.zone, (*self.rota.shifts, shift))
        except RotaError as exc:
            raise _error(exc) from None
        row = RotaShiftRow(
            weekday=weekday,
            starts=format_hhmm(shift.starts),
            ends=format_hhmm(shift.ends),
            user_id=user.id,
            created_by=actor,
            created_at=self.now(),
        )
        await self._store_rota(
            row,
            login,
            lambda: {"added": "shift", "id": row.id, "when": shift.describe()},
            actor,
            address,
        )
        return _shift(row)

    async def add_exception(
        self,
        day: date,
        kind: str,
        login: str,
        starts: str = "",
        ends: str = "",
        note: str = "",
        *,
        actor: str,
        address: str | None = None,
    ) -> RotaException:
        self.users = {u.id: u for u in await self.desk.users.list()}
        user = self._agent(login)
        note = " ".join(note.split())
        if len(note) > 200:
            raise StaffError(
                "invalid-field",
                "Ten hoogste 200 tekens.",
                field="note",
                en="at most 200 characters",
            )
        try:
            begin = parse_hhmm(starts, "starts") if starts or ends else None
            end = parse_hhmm(ends, "ends") if starts or ends else None
            exc = RotaException(day, kind, user.id, begin, end, note)
        except RotaError as error:
            raise _error(error) from None
        row = RotaExceptionRow(
            day=day,
            kind=kind,
            user_id=user.id,
            starts=format_hhmm(begin) if begin else None,
            ends=format_hhmm(end) if starts or ends else None,
            note=note,
            created_by=actor,
            created_at=self.now(),
        )
        await self._store_rota(
            row,
            login,
            lambda: {
                "added": kind,
                "id": row.id,
                "day": day.isoformat(),
                "from": row.starts,
                "to": row.ends,
                "note": note,
            },
            actor,
            address,
        )
        return RotaException(exc.day, exc.kind, exc.user_id, exc.starts, exc.ends, note, row.id)

    async def delete(
        self, what: str, item_id: int, *, actor: str, address: str | None = None
    ) -> None:
        model: type[RotaShiftRow] | type[RotaExceptionRow] = (
            RotaShiftRow if what == "shift" else RotaExceptionRow
        )
        async with self.sessions.begin() as session:
            row = await session.get(model, item_id)
            if row is None:
                raise StaffError(
                    "not-found",
                    f"Regel {item_id} van de wachtrol bestaat niet.",
                    status=404,
                    en=f"the rota has no entry {item_id}",
                )
            await session.delete(row)
            await self.audit.record(
                "rota",
                actor=actor,
                target=str(item_id),
                detail={"deleted": what},
                address=address,
                session=session,
            )
        await self._after_edit()

    async def _store_rota(
        self,
        row: RotaShiftRow | RotaExceptionRow,
        login: str,
        detail: Callable[[], dict[str, Any]],
        actor: str,
        address: str | None,
    ) -> None:
        """Store a new rota line, audit it (``detail`` once the row has its id), follow it."""
        async with self.sessions.begin() as session:
            session.add(row)
            await self.audit.record(
                "rota", actor=actor, target=login, detail=detail(), address=address, session=session
            )
        await self._after_edit()

    async def _after_edit(self) -> None:
        await self.load()
        await self.reconcile("rota changed")
        self._changed()

    def table(self) -> dict[str, Any]:
        """The rota for people: the weekly pattern by day, the exceptions by date."""
        return {
            "weekly": [
                {
                    "id": s.id,
                    "weekday": s.weekday,
                    "day": WEEKDAYS[s.weekday],
                    "starts": format_hhmm(s.starts),
                    "ends": format_hhmm(s.ends),
                    "user": self.users[s.user_id].login if s.user_id in self.users else "",
                    "name": self.name(s.user_id),
                }
                for s in sorted(self.rota.shifts, key=lambda s: (s.weekday, s.starts))
            ],
            "exceptions": [
                {
                    "id": e.id,
                    "day": e.day.isoformat(),
                    "kind": e.kind,
                    "starts": format_hhmm(e.starts) if e.starts else None,
                    "ends": format_hhmm(e.ends) if e.starts else None,
                    "user": self.users[e.user_id].login if e.user_id in self.users else "",
                    "name": self.name(e.user_id),
                    "note": e.note,
                }
                for e in sorted(
                    self.rota.exceptions,
                    key=lambda e: (e.day, format_hhmm(e.starts) if e.starts else ""),
                )
            ],
        }

    async def stop(self) -> None:
        if self._chore is not None:
            self._chore.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._chore
