"""Staffing advice for the lighthouse duty: per half hour of the coming week, how many agents
the lighthouse needs to answer ``service_level_percent`` of its callers within
``service_level_seconds``, computed with Erlang C (``pyworkforce``), next to how many the rota
puts on duty. Managers plan the duty with it (``/rota``).

The forecast is the history: for each weekday and half hour, the mean number of calls that
joined the lighthouse queue in that slot over the last ``weeks`` weeks, and the mean talk time
of the answered ones (the slot's own when it has enough answered calls, else the queue's).
The store does the counting (one grouped query over ``ix_visits_queue_joined``), so a year of
a million calls costs what eight weeks of one queue cost.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Integer, cast, func, select
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.sql.elements import ColumnElement

from callcenter.store.db import epoch_bucket
from callcenter.store.models import VisitRow
from routing.site import Site
from schedules.rota import Rota

__all__ = ["SLOT", "Advice", "SlotAdvice", "agents_needed", "history", "staffing_advice"]

SLOT = timedelta(minutes=30)
_SLOT_SECONDS = int(SLOT.total_seconds())
MIN_ANSWERED_FOR_OWN_AHT = 10
MAX_OCCUPANCY = 0.85
"""No plan keeps agents busy more than 85 % of their time: people need to breathe."""


@dataclass(frozen=True, slots=True)
class SlotAdvice:
    starts: datetime
    open: bool
    calls: float
    """Forecast calls in the half hour."""
    aht_seconds: float
    needed: int
    scheduled: int

    @property
    def short(self) -> bool:
        return self.open and self.scheduled < self.needed

    def as_json(self, zone: Any) -> dict[str, Any]:
        return {
            "starts": self.starts.astimezone(zone).isoformat(),
            "open": self.open,
            "calls": round(self.calls, 1),
            "aht_seconds": round(self.aht_seconds),
            "needed": self.needed,
            "scheduled": self.scheduled,
            "short": self.short,
        }


@dataclass(frozen=True, slots=True)
class Advice:
    days: list[tuple[date, list[SlotAdvice]]]
    weeks: int
    target_percent: int
    target_seconds: int

    @property
    def short_slots(self) -> int:
        return sum(1 for _, slots in self.days for s in slots if s.short)


def _bucket(engine: AsyncEngine) -> ColumnElement[int]:
    """The UTC half hour a visit joined in, as a whole number (epoch // 1800)."""
    return epoch_bucket(engine.dialect.name, VisitRow.joined_at, _SLOT_SECONDS)


@dataclass(frozen=True, slots=True)
class History:
    """Per (weekday, local half-hour slot): calls, answered, talk seconds; over ``weeks``."""

    calls: Mapping[tuple[int, int], int]
    answered: Mapping[tuple[int, int], int]
    talk: Mapping[tuple[int, int], int]
    weeks: int

    @property
    def aht(self) -> float | None:
        n = sum(self.answered.values())
        return sum(self.talk.values()) / n if n else None


async def history(
    engine: AsyncEngine, site: Site, queue: str, until: datetime, weeks: int = 8
) -> History:
    """The queue's arrivals and handling over the ``weeks`` weeks before ``until``."""
    start = until - timedelta(weeks=weeks)
    bucket = _bucket(engine).label("bucket")
    answered = func.sum(cast(VisitRow.outcome == "answered", Integer))
    talk = func.sum(func.coalesce(VisitRow.talk_seconds, 0))
    stmt = (
        select(bucket, func.count(), answered, talk)
        .where(VisitRow.queue == queue, VisitRow.joined_at >= start, VisitRow.joined_at < until)
        .group_by(bucket)
    )
    calls: dict[tuple[int, int], int] = defaultdict(int)
    done: dict[tuple[int, int], int] = defaultdict(int)
    spoken: dict[tuple[int, int], int] = defaultdict(int)
    async with engine.connect() as conn:
        for b, n, a, t in await conn.execute(stmt):
            local = datetime.fromtimestamp(int(b) * _SLOT_SECONDS, UTC).astimezone(site.zone)
            key = (local.weekday(), (local.hour * 60 + local.minute) // 30)
            calls[key] += int(n)
            done[key] += int(a or 0)
            spoken[key] += int(t or 0)
    return History(calls, done, spoken, weeks)


@functools.lru_cache(maxsize=65536)
def agents_needed(
    calls: float, aht_seconds: float, target_seconds: int, target_percent: int
) -> int:
    """Agents needed for one half hour (Erlang C, ``pyworkforce``): at least this many
    answer ``target_percent`` of ``calls`` within ``target_seconds``, none busier than
    :data:`MAX_OCCUPANCY`."""
    if calls <= 0 or aht_seconds <= 0:
        return 0
    from pyworkforce.queuing import ErlangC  # ortools behind it: load it only when asked

    erlang = ErlangC(transactions=calls, aht=aht_seconds / 60, asa=target_seconds / 60, interval=30)
    result = erlang.required_positions(
        service_level=target_percent / 100, max_occupancy=MAX_OCCUPANCY
    )
    return int(result["positions"])


def staffing_advice(
    site: Site, past: History, rota: Rota, first_day: date, days: int = 7
) -> Advice:
    """Per half hour of ``days`` days from ``first_day``: forecast, agents needed (only
    while the lighthouse is open), agents the rota has."""
    lh = site.lighthouse
    overall = past.aht or 240.0
    out: list[tuple[date, list[SlotAdvice]]] = []
    for offset in range(days):
        day = first_day + timedelta(days=offset)
        slots: list[SlotAdvice] = []
        cursor = datetime.combine(day, time(0), site.zone).astimezone(UTC)
        end = datetime.combine(day + timedelta(days=1), time(0), site.zone).astimezone(UTC)
        while cursor < end:
            local = cursor.astimezone(site.zone)
            key = (local.weekday(), (local.hour * 60 + local.minute) // 30)
            is_open = lh.hours.is_open(cursor)
            calls = past.calls.get(key, 0) / max(1, past.weeks)
            answered = past.answered.get(key, 0)
            aht = (
                past.talk.get(key, 0) / answered
                if answered >= MIN_ANSWERED_FOR_OWN_AHT
                else overall
            )
            # open, even without a call expected, someone holds the duty (else: the alarm)
            needed = (
                max(
                    1,
                    agents_needed(
                        round(calls, 2),
                        round(aht),
                        lh.service_level_seconds,
                        lh.service_level_percent,
                    ),
                )
                if is_open
                else 0
            )
            scheduled = len(rota.scheduled(cursor + SLOT / 2))
            slots.append(SlotAdvice(local, is_open, calls, aht, needed, scheduled))
            cursor += SLOT
        out.append((day, slots))
    return Advice(out, past.weeks, lh.service_level_percent, lh.service_level_seconds)
