"""Dated closures, stored: entered in the dashboard, the API or the command line, or imported
from an iCalendar file; the rules are ``schedules/closures.py``. For routing they are closing
overrides (:meth:`ClosureStore.current`). The public iCalendar feed (:func:`feed`) lists them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

import icalendar
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from callcenter.staff.audit import AuditLog
from callcenter.staff.errors import StaffError
from callcenter.staff.stores import SiteStore
from callcenter.store.models import ClosureRow
from routing.site import Site
from schedules.closures import (
    Closure,
    ClosureError,
    closure_period,
    read_ics,
)
from schedules.errors import RuleError
from schedules.overrides import ALL_COUNTERS, Override
from schedules.text import clean_reason

__all__ = ["ClosureStore", "ImportReport", "feed"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ImportReport:
    added: int
    already_there: int
    skipped_past: int


def _closure(row: Any) -> Closure:
    return Closure(
        row.id,
        tuple(row.scopes.split(",")),
        row.starts_at,
        row.ends_at,
        row.all_day,
        row.reason,
        row.source,
        row.created_by,
    )


class ClosureStore(SiteStore):
    def __init__(
        self,
        engine: AsyncEngine,
        audit: AuditLog,
        site: Site,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        super().__init__(engine, audit, site, clock)
        self._closures: list[Closure] = []
        self._current: list[Override] = []
        self.on_change: list[Callable[[], None]] = []

    def current(self) -> list[Override]:
        """The closures in force or to come, as closing overrides (for routing: no I/O)."""
        return self._current

    def upcoming(self) -> list[Closure]:
        return list(self._closures)

    async def load(self, now: datetime | None = None) -> list[Closure]:
        now = now or self.now()
        c = ClosureRow.__table__.c
        async with self.sessions() as session:
            # Core rows, not ORM objects: an import may leave 2000 closures, read back at
            # every reload on the loop that routes calls
            rows = await session.execute(
                select(
                    c.id,
                    c.scopes,
                    c.starts_at,
                    c.ends_at,
                    c.all_day,
                    c.reason,
                    c.source,
                    c.created_by,
                )
                .where(c.deleted_at.is_(None), c.ends_at > now)
                .order_by(c.starts_at)
            )
            fresh = []
            for n, row in enumerate(rows):
                if row.ends_at <= row.starts_at:  # stored by an older version (a DST gap)
                    log.warning("closure %s ends when it starts: left out", row.id)
                    continue
                fresh.append(_closure(row))
                if n % 250 == 249:
                    await asyncio.sleep(0)  # a turn for the calls between the chunks
        if fresh != self._closures:
            self._closures = fresh
            self._current = [o for c in fresh for o in c.overrides()]
            for listener in self.on_change:
                listener()
        return fresh

    # -- checking ------------------------------------------------------------------------------
    def _scopes(self, scopes: Iterable[str]) -> tuple[str, ...]:
        chosen = tuple(dict.fromkeys(s.strip() for s in scopes if s.strip()))
        if not chosen:
            raise StaffError(
                "invalid-field",
                "Kies een of meer loketten.",
                field="scopes",
                en="choose one or more counters",
            )
        known = {c.id for c in self.site.counters}
        unknown = [s for s in chosen if s != ALL_COUNTERS and s not in known]
        if unknown:
            raise StaffError(
                "invalid-field",
                f"Onbekend loket: {', '.join(unknown)} (een loket-id, of '*' voor alle).",
                field="scopes",
                en=f"unknown counter: {', '.join(unknown)} (a counter id, or '*' for all)",
            )
        return (ALL_COUNTERS,) if ALL_COUNTERS in chosen else chosen

    # -- changing ------------------------------------------------------------------------------
    async def add(
        self,
        scopes: Iterable[str],
        first_day: date,
        last_day: date | None = None,
        *,
        reason: str,
        actor: str,
        starts: time | None = None,
        ends: time | None = None,
        address: str | None = None,
    ) -> Closure:
        """Plan a closure from ``first_day`` to ``last_day`` (inclusive); with ``starts`` /
        ``ends`` a part of those days. :class:`StaffError` names the field of a bad value;
        nothing is stored then."""
        chosen = self._scopes(scopes)
        try:
            lo, hi, all_day = closure_period(first_day, last_day, starts, ends, self.site.zone)
        except ClosureError as exc:
            raise StaffError.invalid(exc) from None
        now = self.now()
        if hi <= now:
            raise StaffError(
                "invalid-field",
                "Die sluiting ligt helemaal in het verleden.",
                field="last_day",
                en="that closure lies wholly in the past",
            )
        try:
            reason = clean_reason(reason)
        except RuleError as exc:
            raise StaffError.invalid(exc) from None
        row = ClosureRow(
            scopes=",".join(chosen),
            starts_at=lo,
            ends_at=hi,
            all_day=all_day,
            reason=reason,
            source="",
            created_by=actor,
            created_at=now,
        )
        async with self.sessions.begin() as session:
            session.add(row)
        closure = _closure(row)
        await self.audit.record(
            "closure",
            actor=actor,
            target=row.scopes,
            detail={"id": row.id, "from": lo.isoformat(), "to": hi.isoformat(), "reason": reason},
            address=address,
        )
        await self.load(now)
        return closure

    async def delete(self, closure_id: int, *, actor: str, address: str | None = None) -> None:
        now = self.now()
        async with self.sessions.begin() as session:
            row = await session.get(ClosureRow, closure_id)
            if row is None or row.deleted_at is not None:
                raise StaffError(
                    "closure-not-found",
                    f"Sluiting {closure_id} bestaat niet of is al geschrapt.",
                    status=404,
                    en=f"there is no closure {closure_id}, or it was deleted already",
                )
            row.deleted_at, row.deleted_by = now, actor
            await self.audit.record(
                "closure",
                actor=actor,
                target=row.scopes,
                detail={"id": closure_id, "deleted": True},
                address=address,
                session=session,
            )
        await self.load(now)

    async def import_ics(
        self,
        data: bytes,
        scopes: Iterable[str],
        *,
        name: str,
        actor: str,
        address: str | None = None,
    ) -> ImportReport:
        """Import the events of an iCalendar file as closures of ``scopes`` (recurring events
        up to :data:`IMPORT_HORIZON` ahead). All or nothing: a file that does not parse, or an
        event without a start, stores nothing and names what is wrong. Importing the same file
        again adds only what is new."""
        chosen = self._scopes(scopes)
        now = self.now()
        try:
            wanted = await read_ics(data, self.site.zone, now, name)
        except ClosureError as exc:
            raise StaffError.invalid(exc) from None
        async with self.sessions.begin() as session:
            known = set(
                await session.scalars(
                    select(ClosureRow.source).where(
                        ClosureRow.deleted_at.is_(None), ClosureRow.source.like(f"ics:{name}:%")
                    )
                )
            )
            new = []
            for source, lo, hi, all_day, reason in wanted:
                if source in known:
                    continue
                known.add(source)
                new.append(
                    {
                        "scopes": ",".join(chosen),
                        "starts_at": lo,
                        "ends_at": hi,
                        "all_day": all_day,
                        "reason": reason,
                        "source": source,
                        "created_by": actor,
                        "created_at": now,
                    }
                )
            for chunk in range(0, len(new), 250):  # Core, in chunks: the loop gets turns
                await session.execute(insert(ClosureRow), new[chunk : chunk + 250])
                await asyncio.sleep(0)
            added = len(new)
            report = ImportReport(added, len(wanted) - added, 0)
            await self.audit.record(
                "closure",
                actor=actor,
                target=",".join(chosen),
                detail={"imported": name, "added": added, "already_there": report.already_there},
                address=address,
                session=session,
            )
        await self.load(now)
        return report


def feed(site: Site, closures: Iterable[Closure], *, stamp: datetime) -> bytes:
    """The public iCalendar feed of the planned closures (no personal data)."""
    cal = icalendar.Calendar()
    cal.add("prodid", "-//Vuurtoren//sluitingen//NL")
    cal.add("version", "2.0")
    cal.add("x-wr-calname", f"{site.name}: sluitingen")
    names = {c.id: c.name for c in site.counters}
    for c in closures:
        event = icalendar.Event()
        event.add("uid", f"closure-{c.id}@vuurtoren")
        event.add("dtstamp", stamp.astimezone(UTC))
        if c.all_day:
            event.add("dtstart", c.starts.astimezone(site.zone).date())
            event.add("dtend", c.ends.astimezone(site.zone).date())
        else:
            event.add("dtstart", c.starts.astimezone(UTC))
            event.add("dtend", c.ends.astimezone(UTC))
        where = (
            "alle loketten"
            if ALL_COUNTERS in c.scopes
            else ", ".join(names.get(s, s) for s in c.scopes)
        )
        event.add("summary", f"Gesloten: {where}" + (f" ({c.reason})" if c.reason else ""))
        cal.add_component(event)
    return bytes(cal.to_ical())
