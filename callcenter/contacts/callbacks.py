"""The callback list: every call that reached nobody, per queue, oldest first, so that no
citizen who gave up is forgotten.

On the list: calls of the last ``days`` days with a known number that were abandoned after
the short-abandon threshold (a visit ``abandoned``, not ``abandoned_short``), or that asked
for a callback in the last resort. Off the list, by themselves: a number that called again
later and got through, and a call whose callback reached the citizen (or found the number
wrong). Each attempt is registered (``callback_attempts``) and audited.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncEngine

from callcenter.staff.audit import AuditLog
from callcenter.staff.errors import StaffError
from callcenter.staff.privacy import PSEUDONYM_PREFIX
from callcenter.staff.stores import SiteStore
from callcenter.staff.users import User
from callcenter.store.models import (
    CallbackAttemptRow,
    CallRow,
    ClaimRow,
    ContactRow,
    DialRow,
    VisitRow,
)
from routing.site import Site

__all__ = ["ORDERS", "RESULTS", "STATES", "CallbackList", "LostCall", "View", "view"]

RESULTS = {
    "reached": "Bereikt",
    "no_answer": "Neemt niet op",
    "busy": "In gesprek",
    "wrong_number": "Verkeerd nummer",
}
CLOSING = frozenset({"reached", "wrong_number"})
DAYS = 14
LIMIT = 500


@dataclass(slots=True)
class LostCall:
    call_id: str
    caller: str
    started: datetime
    queue: str | None
    counter: str | None
    topic: str | None
    reason: str | None
    kind: str
    """``abandoned`` or ``callback_request``."""
    waited_seconds: int | None
    earlier_contacts: int = 0
    attempts: list[dict[str, Any]] = field(default_factory=list)
    dial: dict[str, Any] | None = None
    """Vuurtoren dials it by itself (``dialer.py``): state, attempts, next time, place."""
    claimed_by: str | None = None
    """The agent who took it ("ik neem dit")."""

    @property
    def state(self) -> str:
        """``auto`` (Vuurtoren dials it), ``tried`` (attempts, none closing), or ``new``."""
        if self.dial is not None and self.dial["state"] in ("waiting", "in_line", "dialing"):
            return "auto"
        return "tried" if self.attempts else "new"

    def as_json(self) -> dict[str, Any]:
        return {
            "call_id": self.call_id,
            "caller": self.caller,
            "started": self.started.isoformat(),
            "queue": self.queue,
            "counter": self.counter,
            "topic": self.topic,
            "reason": self.reason,
            "kind": self.kind,
            "waited_seconds": self.waited_seconds,
            "earlier_contacts": self.earlier_contacts,
            "attempts": self.attempts,
            "dial": self.dial,
            "claimed_by": self.claimed_by,
            "state": self.state,
        }


def _dial_json(row: DialRow | None, zone: ZoneInfo) -> dict[str, Any] | None:
    if row is None:
        return None
    return {
        "id": row.id,
        "kind": row.kind,
        "state": row.state,
        "attempts": row.attempts,
        "position": row.position,
        "next_at": row.next_at.astimezone(zone).isoformat() if row.next_at else None,
        "agent": row.agent,
    }


ORDERS = {"urgent": "Dringendste eerst", "newest": "Nieuwste eerst", "oldest": "Oudste eerst"}
STATES = {
    "": "Alle",
    "new": "Nog niet geprobeerd",
    "tried": "Al geprobeerd",
    "auto": "Vuurtoren belt terug",
}
PER_PAGE = 20
OVERDUE = timedelta(hours=24)
"""A citizen waiting longer than this for a callback is overdue."""


@dataclass(frozen=True, slots=True)
class View:
    """One page of the list, as the filters chose it."""

    items: list[LostCall]
    total: int
    page: int
    pages: int


def view(
    calls: list[LostCall],
    now: datetime,
    *,
    queue: str | None = None,
    mine: str | None = None,
    state: str = "",
    overdue: bool = False,
    order: str = "urgent",
    page: int = 1,
    per_page: int = PER_PAGE,
) -> View:
    """Filter (queue, taken by ``mine``, state, overdue), order and page the list. ``urgent``:
    a callback asked for before a hang-up, the overdue before the rest, then the longest
    waiting; ``newest`` and ``oldest`` by the call's time."""
    chosen = [
        c
        for c in calls
        if (queue is None or c.queue == queue)
        and (mine is None or c.claimed_by == mine)
        and (not state or c.state == state)
        and (not overdue or now - c.started > OVERDUE)
    ]
    if order == "newest":
        chosen.sort(key=lambda c: c.started, reverse=True)
    elif order == "oldest":
        chosen.sort(key=lambda c: c.started)
    else:
        chosen.sort(
            key=lambda c: (
                c.kind != "callback_request",
                not (now - c.started > OVERDUE),
                c.started,
            )
        )
    pages = max(1, -(-len(chosen) // per_page))
    page = min(max(1, page), pages)
    return View(chosen[(page - 1) * per_page : page * per_page], len(chosen), page, pages)


class CallbackList(SiteStore):
    def __init__(
        self,
        engine: AsyncEngine,
        audit: AuditLog,
        site: Site,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        super().__init__(engine, audit, site, clock)

    async def seen(self, actor: str, calls: list[LostCall], *, address: str | None) -> None:
        """The list was shown to ``actor`` (its numbers are personal data): audited, naming
        the calls (never a number)."""
        if calls:
            await self.audit.record(
                "callbacks-read",
                actor=actor,
                target=f"{len(calls)} oproepen",
                detail={"calls": [c.call_id for c in calls]},
                address=address,
            )

    async def lost(
        self, queue: str | None = None, days: int = DAYS, sites: Sequence[str] = ()
    ) -> list[LostCall]:
        """The list now (``queue``: one queue only; ``sites``: a limited user's
        municipalities only), oldest first."""
        since = self.now() - timedelta(days=days)
        abandoned = (
            select(VisitRow.call_id)
            .where(VisitRow.joined_at >= since, VisitRow.outcome == "abandoned")
            .scalar_subquery()
        )
        stmt = (
            select(CallRow)
            .where(
                CallRow.started_at >= since,
                CallRow.caller.is_not(None),
                CallRow.caller.not_like(PSEUDONYM_PREFIX + "%"),
                CallRow.outcome.is_not(None),
                or_(
                    CallRow.callback_requested_at.is_not(None),
                    (CallRow.outcome == "abandoned") & CallRow.call_id.in_(abandoned),
                ),
                *((CallRow.site.in_(list(sites)),) if sites else ()),
            )
            .order_by(CallRow.started_at)
            .limit(LIMIT)
        )
        async with self.sessions() as session:
            candidates = list(await session.scalars(stmt))
            if not candidates:
                return []
            callers = sorted({c.caller for c in candidates if c.caller})
            # got through later: the latest answered call per number
            answered = dict(
                (
                    await session.execute(
                        select(CallRow.caller, func.max(CallRow.started_at))
                        .where(
                            CallRow.caller.in_(callers),
                            CallRow.outcome == "answered",
                            CallRow.started_at >= since,
                        )
                        .group_by(CallRow.caller)
                    )
                ).all()
            )
            attempts: dict[str, list[CallbackAttemptRow]] = {}
            for a in await session.scalars(
                select(CallbackAttemptRow)
                .where(CallbackAttemptRow.call_id.in_([c.call_id for c in candidates]))
                .order_by(CallbackAttemptRow.id)
            ):
                attempts.setdefault(a.call_id, []).append(a)
            dials: dict[str, DialRow] = {
                d.call_id: d
                for d in await session.scalars(
                    select(DialRow)
                    .where(DialRow.call_id.in_([c.call_id for c in candidates]))
                    .order_by(DialRow.id)
                )
            }
            claims = dict(
                (
                    await session.execute(
                        select(ClaimRow.call_id, ClaimRow.claimed_by).where(
                            ClaimRow.call_id.in_([c.call_id for c in candidates])
                        )
                    )
                ).all()
            )
            contacts = dict(
                (
                    await session.execute(
                        select(ContactRow.caller, func.count())
                        .where(ContactRow.caller.in_(callers))
                        .group_by(ContactRow.caller)
                    )
                ).all()
            )
        out: list[LostCall] = []
        seen: set[str] = set()
        for c in candidates:
            assert c.caller is not None
            got_through = answered.get(c.caller)
            if got_through is not None and got_through > c.started_at:
                continue
            tried = attempts.get(c.call_id, [])
            if any(a.result in CLOSING for a in tried):
                continue
            where = c.final_queue or c.target_queue
            if queue is not None and where != queue:
                continue
            if c.caller in seen:
                continue  # one line per number: the oldest call that reached nobody
            seen.add(c.caller)
            out.append(
                LostCall(
                    c.call_id,
                    c.caller,
                    c.started_at,
                    where,
                    c.counter,
                    c.topic,
                    c.reason,
                    "callback_request" if c.callback_requested_at else "abandoned",
                    c.wait_seconds,
                    int(contacts.get(c.caller, 0)),
                    [
                        {
                            "at": a.at.isoformat(),
                            "actor": a.actor,
                            "result": a.result,
                            "note": a.note,
                        }
                        for a in tried
                    ],
                    _dial_json(dials.get(c.call_id), self.site.zone),
                    claims.get(c.call_id),
                )
            )
        return out

    async def claim(
        self, user: User, call_id: str, take: bool, *, address: str | None = None
    ) -> str | None:
        """ "Ik neem dit" (``take``) or give it back; taking one another agent holds is
        refused (409) so that no citizen is called twice. Audited. The holder now."""
        async with self.sessions.begin() as session:
            found = (
                await session.execute(
                    select(CallRow.id, CallRow.site).where(CallRow.call_id == call_id)
                )
            ).first()
            if found is None or not user.in_sites(found.site):  # another municipality's: none
                raise StaffError("call-not-found", f"Oproep {call_id!r} bestaat niet.", status=404)
            row = await session.get(ClaimRow, call_id)
            if take:
                if row is not None and row.claimed_by != user.login:
                    raise StaffError(
                        "claimed",
                        f"{row.claimed_by} belt deze burger al terug.",
                        status=409,
                    )
                if row is None:
                    session.add(
                        ClaimRow(call_id=call_id, claimed_by=user.login, claimed_at=self.now())
                    )
            elif row is not None:
                if row.claimed_by != user.login and not user.has("manager"):
                    raise StaffError(
                        "claimed",
                        f"Alleen {row.claimed_by} of een leidinggevende geeft dit vrij.",
                        status=409,
                    )
                await session.delete(row)
            await self.audit.record(
                "callback",
                actor=user.login,
                target=call_id,
                detail={"claimed": take},
                address=address,
                session=session,
            )
        return user.login if take else None

    async def attempt(
        self,
        user: User,
        call_id: str,
        result: str,
        note: str = "",
        *,
        address: str | None = None,
    ) -> None:
        """Register a callback attempt; ``reached`` or ``wrong_number`` takes the call off
        the list."""
        await self.record(call_id, user.login, result, note, address=address, sites=user.sites)

    async def record(
        self,
        call_id: str,
        actor: str,
        result: str,
        note: str = "",
        *,
        address: str | None = None,
        sites: Sequence[str] = (),
    ) -> None:
        """An attempt by ``actor`` (a user's login, or ``vuurtoren`` for one it dialled);
        ``sites``: a limited user's municipalities (another's call is none)."""
        if result not in RESULTS:
            raise StaffError("invalid-field", f"Kies uit: {', '.join(RESULTS)}.", field="result")
        note = " ".join((note or "").split())
        if len(note) > 500:
            raise StaffError("invalid-field", "Ten hoogste 500 tekens.", field="note")
        async with self.sessions.begin() as session:
            call = await session.scalar(select(CallRow).where(CallRow.call_id == call_id))
            if call is None or (sites and call.site not in sites):
                raise StaffError("call-not-found", f"Geen oproep {call_id!r}.", status=404)
            session.add(
                CallbackAttemptRow(
                    call_id=call_id,
                    at=self.now(),
                    actor=actor,
                    result=result,
                    note=note or None,
                )
            )
            await self.audit.record(
                "callback",
                actor=actor,
                target=call_id,
                detail={"result": result},
                address=address,
                session=session,
            )
