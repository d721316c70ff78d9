"""Dated closures, the rules: a training day, a move, the days between Christmas and New
Year; per counter or for several, planned ahead. No I/O but the reading of an iCalendar file
(in a worker process; recurring events expanded with ``recurring-ical-events``); they are
stored by ``callcenter/planning/closures.py``.

A closure always has its year: two instants (local midnight to midnight for whole days). For
routing it is a closing override of kind ``closure`` per counter (:meth:`Closure.overrides`),
which ranks below a manager's override and above the opening hours
(``schedules/overrides.py``).
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from time import monotonic
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import recurring_ical_events

from schedules.errors import RuleError
from schedules.overrides import CLOSURE, Override, OverrideMode

__all__ = [
    "IMPORT_HORIZON",
    "MAX_DAYS",
    "Closure",
    "ClosureError",
    "closure_period",
    "local_time",
    "read_ics",
]

IMPORT_HORIZON = timedelta(days=2 * 366)
"""Recurring events in an imported file are expanded this far ahead."""
MAX_IMPORT = 2000
MAX_ICS_BYTES = 1_000_000
MAX_DAYS = 366


class ClosureError(RuleError):
    """A closure that cannot be: ``field`` names the input, the message says why."""


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


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(0), zone)


def local_time(day: date, at: time, zone: ZoneInfo, field: str) -> datetime:
    """``at`` on ``day`` in ``zone``: a time the clocks skip (the spring change) is refused
    with the field named; a time that happens twice (the autumn change) is its first."""
    value = datetime.combine(day, at, zone)
    if value.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != value.replace(tzinfo=None):
        raise ClosureError(
            f"{at:%H:%M} bestaat niet op {day:%d/%m/%Y}: de klok springt dan een uur vooruit "
            "(zomertijd). Kies een tijd buiten dat uur.",
            field,
            f"{at:%H:%M} does not exist on {day:%d/%m/%Y}: the clocks go forward an hour "
            "then (summer time); choose a time outside that hour",
        )
    return value


def closure_period(
    first: date, last: date | None, starts: time | None, ends: time | None, zone: ZoneInfo
) -> tuple[datetime, datetime, bool]:
    """The instants a closure from ``first`` to ``last`` (inclusive) covers, in ``zone``;
    with ``starts``/``ends`` a part of those days. :class:`ClosureError` names a bad field."""
    last = last or first
    if last < first:
        raise ClosureError(
            "De laatste dag ligt vóór de eerste.",
            "last_day",
            "the last day comes before the first",
        )
    if (last - first).days >= MAX_DAYS:
        raise ClosureError(
            f"Een sluiting duurt ten hoogste {MAX_DAYS} dagen.",
            "last_day",
            f"a closure lasts {MAX_DAYS} days at most",
        )
    if starts is None and ends is None:
        return _midnight(first, zone), _midnight(last + timedelta(days=1), zone), True
    lo = local_time(first, starts or time(0), zone, "starts")
    hi = (
        _midnight(last + timedelta(days=1), zone)
        if ends is None
        else local_time(last, ends, zone, "ends")
    )
    # compared as instants: two times of one zone compare by their wall clocks
    if hi.astimezone(UTC) <= lo.astimezone(UTC):
        raise ClosureError(
            "Het einde ligt vóór het begin.",
            "ends",
            "the end comes before the start",
        )
    return lo, hi, False


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
    :class:`ClosureError` names what is wrong."""
    if len(data) > MAX_ICS_BYTES:
        raise _too_big()
    loop = asyncio.get_running_loop()
    try:
        async with asyncio.timeout(READ_BUDGET_SECONDS + 30):  # + a worker's start
            result = await loop.run_in_executor(_pool(), _read_in_worker, data, zone.key, now, name)
    except TimeoutError:
        raise _too_heavy() from None
    if isinstance(result, tuple):
        raise ClosureError(*result)
    return result


def _too_big() -> ClosureError:
    return ClosureError(
        "Het bestand is te groot (ten hoogste 1 MB).",
        "file",
        "the file is too big (1 MB at most)",
    )


def _too_heavy() -> ClosureError:
    return ClosureError(
        "Het bestand is te zwaar om in te lezen.",
        "file",
        "the file takes too much work to read",
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
) -> Wanted | tuple[str, str, str]:
    """In the worker: the closures, or what is wrong (message, field, English) as plain
    values that cross the process boundary."""
    try:
        return _read_ics(data, ZoneInfo(zone_key), now, name)
    except ClosureError as exc:
        return exc.message, exc.field, exc.en


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
        raise ClosureError(
            f"Geen geldig iCalendar-bestand: {exc}",
            "file",
            f"not an iCalendar file: {exc}",
        ) from None
    if calendar.name != "VCALENDAR":
        raise ClosureError(
            "Geen VCALENDAR in het bestand.",
            "file",
            "no VCALENDAR in the file",
        )
    for i, event in enumerate(calendar.walk("VEVENT"), 1):
        title = event.get("SUMMARY", "zonder titel")
        if event.get("DTSTART") is None:
            raise ClosureError(
                f"Gebeurtenis {i} ({title}) heeft geen DTSTART.",
                "file",
                f"event {i} ({title}) has no DTSTART",
            )
        rules = event.get("RRULE")
        for rule in rules if isinstance(rules, list) else [rules] if rules is not None else []:
            freq = {str(f).upper() for f in rule.get("FREQ", [])}
            if freq & SUB_DAILY:
                raise ClosureError(
                    f"Gebeurtenis {i} ({title}) herhaalt zich {'/'.join(sorted(freq))}: een "
                    "sluiting herhaalt zich ten hoogste dagelijks.",
                    "file",
                    f"event {i} ({title}) repeats {'/'.join(sorted(freq))}: a closure "
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
                raise ClosureError(
                    f"Meer dan {MAX_IMPORT} sluitingen in het bestand.",
                    "file",
                    f"more than {MAX_IMPORT} closures in the file",
                )
    except ClosureError:
        raise
    except Exception as exc:  # the recurrence library and the event's values
        raise ClosureError(
            f"De herhalingen zijn niet te lezen: {exc}",
            "file",
            f"the recurrences cannot be read: {exc}",
        ) from None
    return out
