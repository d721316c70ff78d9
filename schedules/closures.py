"""Dated closures: a training day, a move, the days between Christmas and New Year; per counter
or for several, planned ahead, entered in the dashboard, the API or the command line, or
imported from an iCalendar file (recurring events expanded with ``recurring-ical-events``).

A closure always has its year: it is stored as two instants (local midnight to midnight for
whole days). For routing it is a closing override of kind ``closure`` per counter
(:meth:`ClosureStore.current`), which ranks below a manager's override and above the opening
hours (``schedules/overrides.py``). The public iCalendar feed (:func:`feed`) lists them.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from time import monotonic
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import recurring_ical_events
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from callcenter.staff.audit import AuditLog
from callcenter.staff.errors import StaffError
from callcenter.staff.stores import SiteStore
from callcenter.store.models import ClosureRow
from routing.site import Site
from schedules.overrides import ALL_COUNTERS, CLOSURE, Override, OverrideMode

__all__ = ["IMPORT_HORIZON", "Closure", "ClosureStore", "ImportReport", "feed"]

log = logging.getLogger(__name__)

IMPORT_HORIZON = timedelta(days=2 * 366)
"""Recurring events in an imported file are expanded this far ahead."""
MAX_IMPORT = 2000
MAX_ICS_BYTES = 1_000_000
MAX_DAYS = 366


@dataclass(frozen=True, slots=True)
class Closure:
    id: int
    scopes: tuple[str, ...]
    starts: datetime
    ends: datetime
    all_day: bool
    reason: str
    source: str
    created_by: str

    def overrides(self) -> list[Override]:
        return [
            Override(
                s,
                OverrideMode.CLOSED,
                self.starts,
                self.ends,
                self.reason,
                self.id,
                CLOSURE,
                self.created_by,
            )
            for s in self.scopes
        ]

    def as_json(self, zone: ZoneInfo) -> dict[str, Any]:
        last = (self.ends.astimezone(zone) - timedelta(seconds=1)).date()
        return {
            "id": self.id,
            "scopes": list(self.scopes),
            "starts": self.starts.astimezone(zone).isoformat(),
            "ends": self.ends.astimezone(zone).isoformat(),
            "all_day": self.all_day,
            "first_day": self.starts.astimezone(zone).date().isoformat(),
            "last_day": last.isoformat(),
            "reason": self.reason,
            "source": self.source,
            "created_by": self.created_by,
        }


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


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), zone)


def _local(day: date, at: time, zone: ZoneInfo, field: str) -> datetime:
    """``at`` on ``day`` in ``zone``: a time the clocks skip (the spring change) is refused
    with the field named; a time that happens twice (the autumn change) is its first."""
    value = datetime.combine(day, at, zone)
    if value.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != value.replace(tzinfo=None):
        raise StaffError(
            "invalid-field",
            f"{at:%H:%M} bestaat niet op {day:%d/%m/%Y}: de klok springt dan een uur vooruit "
            "(zomertijd). Kies een tijd buiten dat uur.",
            field=field,
            en=f"{at:%H:%M} does not exist on {day:%d/%m/%Y}: the clocks go forward an hour "
            "then (summer time); choose a time outside that hour",
        )
    return value


def _clean_reason(reason: str) -> str:
    reason = " ".join((reason or "").split())
    if len(reason) > 200 or any(not ch.isprintable() for ch in reason):
        raise StaffError(
            "invalid-field",
            "Geef een reden van ten hoogste 200 tekens.",
            field="reason",
            en="give a reason of at most 200 characters",
        )
    return reason


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

    def _period(
        self, first: date, last: date | None, starts: time | None, ends: time | None
    ) -> tuple[datetime, datetime, bool]:
        zone = self.site.zone
        last = last or first
        if last < first:
            raise StaffError(
                "invalid-field",
                "De laatste dag ligt vóór de eerste.",
                field="last_day",
                en="the last day comes before the first",
            )
        if (last - first).days >= MAX_DAYS:
            raise StaffError(
                "invalid-field",
                f"Een sluiting duurt ten hoogste {MAX_DAYS} dagen.",
                field="last_day",
                en=f"a closure lasts {MAX_DAYS} days at most",
            )
        if starts is None and ends is None:
            return _midnight(first, zone), _midnight(last + timedelta(days=1), zone), True
        lo = _local(first, starts or time(0), zone, "starts")
        hi = (
            _midnight(last + timedelta(days=1), zone)
            if ends is None
            else _local(last, ends, zone, "ends")
        )
        # compared as instants: two times of one zone compare by their wall clocks
        if hi.astimezone(UTC) <= lo.astimezone(UTC):
            raise StaffError(
                "invalid-field",
                "Het einde ligt vóór het begin.",
                field="ends",
                en="the end comes before the start",
            )
        return lo, hi, False

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
        lo, hi, all_day = self._period(first_day, last_day, starts, ends)
        now = self.now()
        if hi <= now:
            raise StaffError(
                "invalid-field",
                "Die sluiting ligt helemaal in het verleden.",
                field="last_day",
                en="that closure lies wholly in the past",
            )
        reason = _clean_reason(reason)
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
        wanted = await read_ics(data, self.site.zone, now, name)
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


def _when(value: Any, zone: ZoneInfo) -> tuple[datetime, bool]:
    if isinstance(value, datetime):
        if value.tzinfo is None:  # floating time: the site's
            value = value.replace(tzinfo=zone)
        return value.astimezone(zone), False
    if isinstance(value, date):
        return _midnight(value, zone), True
    raise ValueError(f"not a date: {value!r}")


SUB_DAILY = frozenset({"SECONDLY", "MINUTELY", "HOURLY"})
"""Recurrences no closure has (and that would expand to millions of occurrences)."""
READ_BUDGET_SECONDS = 20.0
"""The most time reading one calendar may take (in the worker); then the import stops."""

Wanted = list[tuple[str, datetime, datetime, bool, str]]


async def read_ics(data: bytes, zone: ZoneInfo, now: datetime, name: str) -> Wanted:
    """The closures an iCalendar file asks for, read in a worker process: the event loop
    that routes calls does no work of a size a file decides (docs/architecture.md). A
    :class:`StaffError` names what is wrong."""
    if len(data) > MAX_ICS_BYTES:
        raise _too_big()
    loop = asyncio.get_running_loop()
    try:
        async with asyncio.timeout(READ_BUDGET_SECONDS + 30):  # + a worker's start
            result = await loop.run_in_executor(_pool(), _read_in_worker, data, zone.key, now, name)
    except TimeoutError:
        raise _too_heavy() from None
    if isinstance(result, tuple):
        raise StaffError("invalid-field", result[0], field="file", en=result[1])
    return result


def _too_big() -> StaffError:
    return StaffError(
        "invalid-field",
        "Het bestand is te groot (ten hoogste 1 MB).",
        field="file",
        en="the file is too big (1 MB at most)",
    )


def _too_heavy() -> StaffError:
    return StaffError(
        "invalid-field",
        "Het bestand is te zwaar om in te lezen.",
        field="file",
        en="the file takes too much work to read",
    )


_POOL: ProcessPoolExecutor | None = None


def _pool() -> ProcessPoolExecutor:
    """One worker process, started at the first import (spawned: a fork would copy the
    service's loop and connections)."""
    global _POOL
    if _POOL is None:
        _POOL = ProcessPoolExecutor(
            max_workers=1,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_behind_the_calls,
        )
    return _POOL


def _behind_the_calls() -> None:
    """The worker yields the processor to the service that routes calls (a lower priority;
    on two cores the reading would otherwise take turns with the routing)."""
    os.nice(10)


def _read_in_worker(
    data: bytes, zone_key: str, now: datetime, name: str
) -> Wanted | tuple[str, str | None]:
    """In the worker: the closures, or the message (Dutch, English) that says what is wrong."""
    try:
        return _read_ics(data, ZoneInfo(zone_key), now, name)
    except StaffError as exc:
        return exc.message, exc.en


def _read_ics(
    data: bytes,
    zone: ZoneInfo,
    now: datetime,
    name: str,
    budget: float = READ_BUDGET_SECONDS,
) -> Wanted:
    """Parse, refuse sub-daily recurrences, then expand lazily: the occurrences come in
    order of start and the reading stops at the horizon, at :data:`MAX_IMPORT` + 1 (an
    error), or when ``budget`` seconds are spent (an error)."""
    deadline = monotonic() + budget
    if len(data) > MAX_ICS_BYTES:
        raise _too_big()
    try:
        calendar = icalendar.Calendar.from_ical(data)
    except Exception as exc:  # the parser raises ValueError and friends
        raise StaffError(
            "invalid-field",
            f"Geen geldig iCalendar-bestand: {exc}",
            field="file",
            en=f"not an iCalendar file: {exc}",
        ) from None
    if calendar.name != "VCALENDAR":
        raise StaffError(
            "invalid-field",
            "Geen VCALENDAR in het bestand.",
            field="file",
            en="no VCALENDAR in the file",
        )
    for i, event in enumerate(calendar.walk("VEVENT"), 1):
        title = event.get("SUMMARY", "zonder titel")
        if event.get("DTSTART") is None:
            raise StaffError(
                "invalid-field",
                f"Gebeurtenis {i} ({title}) heeft geen DTSTART.",
                field="file",
                en=f"event {i} ({title}) has no DTSTART",
            )
        rules = event.get("RRULE")
        for rule in rules if isinstance(rules, list) else [rules] if rules is not None else []:
            freq = {str(f).upper() for f in rule.get("FREQ", [])}
            if freq & SUB_DAILY:
                raise StaffError(
                    "invalid-field",
                    f"Gebeurtenis {i} ({title}) herhaalt zich {'/'.join(sorted(freq))}: een "
                    "sluiting herhaalt zich ten hoogste dagelijks.",
                    field="file",
                    en=f"event {i} ({title}) repeats {'/'.join(sorted(freq))}: a closure "
                    "repeats daily at most",
                )
    horizon = now + IMPORT_HORIZON
    out: Wanted = []
    try:
        for event in recurring_ical_events.of(calendar).after(now):
            lo, all_day = _when(event["DTSTART"].dt, zone)
            if lo >= horizon:
                break
            if monotonic() > deadline:
                raise _too_heavy()
            end = event.get("DTEND")
            if end is not None:
                hi, _ = _when(end.dt, zone)
            elif event.get("DURATION") is not None:
                hi = lo + event["DURATION"].dt
            else:
                hi = lo + (timedelta(days=1) if all_day else timedelta(0))
            if hi <= lo or hi <= now:
                continue
            reason = " ".join(str(event.get("SUMMARY", "")).split())[:200]
            uid = str(event.get("UID", "")) or reason
            out.append((f"ics:{name}:{uid}:{lo.isoformat()}", lo, hi, all_day, reason))
            if len(out) > MAX_IMPORT:
                raise StaffError(
                    "invalid-field",
                    f"Meer dan {MAX_IMPORT} sluitingen in het bestand.",
                    field="file",
                    en=f"more than {MAX_IMPORT} closures in the file",
                )
    except StaffError:
        raise
    except Exception as exc:  # the recurrence library and the event's values
        raise StaffError(
            "invalid-field",
            f"De herhalingen zijn niet te lezen: {exc}",
            field="file",
            en=f"the recurrences cannot be read: {exc}",
        ) from None
    return out


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
