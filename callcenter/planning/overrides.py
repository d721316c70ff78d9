"""Overrides kept in the store: a manager closes a counter (or every counter, or the
lighthouse) now, or forces it open, until a time or until lifted, with a reason callers
hear. Set from the dashboard, the JSON API or ``vuurtoren override``; every change audited.

Two kinds, as callcenter managers know them:

- ``temporary``: ends by itself at the counter's next scheduled change (its opening hours),
  or at the time given;
- ``emergency``: stays until lifted (or until the time given).

Routing reads :meth:`OverrideStore.current` (a list in memory, never the database); the
store reloads it after its own changes, and the service
(``callcenter/services/operations.py``) every
:data:`RELOAD_SECONDS`, so a change made by the command line beside a running service takes
effect within that time.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncEngine

from callcenter.staff.audit import AuditLog
from callcenter.staff.errors import StaffError
from callcenter.staff.stores import SiteStore
from callcenter.store.models import OverrideRow
from routing.site import Site
from schedules.errors import RuleError
from schedules.overrides import ALL_COUNTERS, LIGHTHOUSE, Override, OverrideMode
from schedules.text import clean_reason

__all__ = ["KINDS", "RELOAD_SECONDS", "OverrideStore"]

log = logging.getLogger(__name__)

KINDS = ("temporary", "emergency")
RELOAD_SECONDS = 15.0


def _override(row: OverrideRow) -> Override:
    return Override(
        row.scope,
        OverrideMode(row.mode),
        row.starts_at,
        row.ends_at,
        row.reason,
        row.id,
        row.kind,
        row.created_by,
    )


class OverrideStore(SiteStore):
    def __init__(
        self,
        engine: AsyncEngine,
        audit: AuditLog,
        site: Site,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        super().__init__(engine, audit, site, clock)
        self._current: list[Override] = []
        self.on_change: list[Callable[[], None]] = []

    def current(self) -> list[Override]:
        """The overrides in force or to come (for routing: no I/O)."""
        return self._current

    async def load(self, now: datetime | None = None) -> list[Override]:
        now = now or self.now()
        async with self.sessions() as session:
            rows = await session.scalars(
                select(OverrideRow)
                .where(OverrideRow.lifted_at.is_(None))
                .where(or_(OverrideRow.ends_at.is_(None), OverrideRow.ends_at > now))
                .order_by(OverrideRow.starts_at)
            )
            fresh = [_override(r) for r in rows]
        if fresh != self._current:
            self._current = fresh
            for listener in self.on_change:
                listener()
        return fresh

    # -- changing ----------------------------------------------------------------------------
    def _check_scope(self, scope: str) -> None:
        known = {c.id for c in self.site.counters} | {ALL_COUNTERS, LIGHTHOUSE}
        if scope not in known:
            raise StaffError(
                "invalid-field",
                f"Onbekend loket {scope!r} (een loket-id, '*' voor alle loketten, of "
                "'lighthouse').",
                field="scope",
                en=f"unknown counter {scope!r} (a counter id, '*' for every counter, or "
                "'lighthouse')",
            )

    def _next_change(self, scope: str, now: datetime) -> datetime | None:
        if scope == LIGHTHOUSE:
            return self.site.lighthouse.hours.next_change(now)
        if scope == ALL_COUNTERS:
            changes = [c.hours.next_change(now) for c in self.site.counters]
            return min((c for c in changes if c is not None), default=None)
        return self.site.counter(scope).hours.next_change(now)

    async def set(
        self,
        scope: str,
        mode: str,
        *,
        kind: str = "temporary",
        until: datetime | None = None,
        reason: str = "",
        actor: str,
        address: str | None = None,
        now: datetime | None = None,
    ) -> Override:
        """Close (``mode`` closed) or force open a scope from now. :class:`StaffError`
        names the field of a bad value; nothing is stored then."""
        now = now or self.now()
        self._check_scope(scope)
        if mode not in ("closed", "open"):
            raise StaffError(
                "invalid-field", "Kies 'closed' of 'open'.", field="mode", en="'closed' or 'open'"
            )
        if kind not in KINDS:
            raise StaffError(
                "invalid-field",
                "Kies 'temporary' of 'emergency'.",
                field="kind",
                en="'temporary' or 'emergency'",
            )
        if until is not None:
            if until.tzinfo is None:
                raise StaffError(
                    "invalid-field",
                    "Geef de eindtijd met tijdzone.",
                    field="until",
                    en="give the end with its time zone",
                )
            if until <= now:
                raise StaffError(
                    "invalid-field",
                    "De eindtijd ligt in het verleden.",
                    field="until",
                    en="the end is in the past",
                )
        try:
            reason = clean_reason(reason)
        except RuleError as exc:
            raise StaffError.invalid(exc) from None
        ends = until
        if kind == "temporary" and ends is None:
            ends = self._next_change(scope, now)
        row = OverrideRow(
            scope=scope,
            mode=mode,
            kind=kind,
            starts_at=now,
            ends_at=ends,
            reason=reason,
            created_by=actor,
            created_at=now,
        )
        async with self.sessions.begin() as session:
            session.add(row)
            await self.audit.record(
                "override",
                actor=actor,
                target=scope,
                detail={
                    "id": row.id,
                    "mode": mode,
                    "kind": kind,
                    "until": ends.isoformat() if ends else None,
                    "reason": reason,
                },
                address=address,
                session=session,
            )
        await self.load(now)
        return _override(row)

    async def lift(self, override_id: int, *, actor: str, address: str | None = None) -> Override:
        now = self.now()
        async with self.sessions.begin() as session:
            row = await session.get(OverrideRow, override_id)
            if row is None or row.lifted_at is not None:
                raise StaffError(
                    "override-not-found",
                    f"Uitzondering {override_id} bestaat niet of is al opgeheven.",
                    status=404,
                    en=f"there is no override {override_id}, or it was lifted already",
                )
            row.lifted_at, row.lifted_by = now, actor
            await self.audit.record(
                "override",
                actor=actor,
                target=row.scope,
                detail={"id": override_id, "lifted": True},
                address=address,
                session=session,
            )
        await self.load(now)
        return _override(row)
