"""Interval snapshots: every 15 minutes, each queue's figures for the interval just ended,
stored for reports (``interval_snapshots``), with the staffing seen live at that moment
(agents logged in and available, callers waiting), which no later query could recover.

Visits count in the interval in which they joined the queue (``callcenter/figures/stats.py``). A
visit still waiting when its interval closes is counted when the next snapshot writes that
interval again: each run writes the interval just ended and the one before it, keeping the
live columns the first write saw.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from callcenter.figures.stats import QueueFigures, thresholds
from callcenter.store.db import writing
from callcenter.store.models import IntervalRow, VisitRow
from routing.site import Site

__all__ = ["INTERVAL", "IntervalStore", "LiveStaffing", "interval_start"]

INTERVAL = timedelta(minutes=15)


@dataclass(frozen=True, slots=True)
class LiveStaffing:
    logged_in: int
    available: int
    waiting: int


def interval_start(at: datetime) -> datetime:
    """The start of the 15-minute interval holding ``at`` (quarter hours hold in every zone
    Belgium's neighbours use: offsets are whole hours)."""
    return at.replace(minute=at.minute - at.minute % 15, second=0, microsecond=0)


class IntervalStore:
    def __init__(self, engine: AsyncEngine, site: Site) -> None:
        self.engine = engine
        self.sl = thresholds(site)
        self.queues = site.queues

    async def snapshot(self, end: datetime, live: Mapping[str, LiveStaffing] | None = None) -> int:
        """Write the intervals ending at ``end`` and ``end - 15 min``; returns rows written."""
        end = interval_start(end)
        start = end - 2 * INTERVAL
        figures = {
            (queue, lo): QueueFigures(self.sl.get(queue, 20))
            for lo in (start, start + INTERVAL)
            for queue in self.queues
        }
        async with writing(self.engine).begin() as conn:
            visits = await conn.execute(
                select(
                    VisitRow.queue,
                    VisitRow.joined_at,
                    VisitRow.outcome,
                    VisitRow.wait_seconds,
                    VisitRow.talk_seconds,
                ).where(VisitRow.joined_at >= start, VisitRow.joined_at < end)
            )
            for queue, joined, outcome, wait, talk in visits:
                f = figures.get((queue, interval_start(joined)))
                if f is not None and outcome not in (None, "lost"):
                    f.count(outcome, wait or 0, 1, talk or 0, talk is not None)
            rows = {
                (queue, lo): {
                    "queue": queue,
                    "starts_at": lo,
                    "queued": f.queued,
                    "answered": f.answered,
                    "answered_within_sl": f.answered_within_sl,
                    "abandoned": f.abandoned,
                    "abandoned_short": f.abandoned_short,
                    "timeout": f.timeout,
                    "callback": f.callback,
                    "wait_seconds": sum(w * n for w, n in f.waits.items()),
                    "talk_seconds": f.talk,
                    "agents_logged_in": None,
                    "agents_available": None,
                    "waiting": None,
                }
                for (queue, lo), f in figures.items()
            }
            before = await conn.execute(
                select(
                    IntervalRow.queue,
                    IntervalRow.starts_at,
                    IntervalRow.agents_logged_in,
                    IntervalRow.agents_available,
                    IntervalRow.waiting,
                ).where(IntervalRow.starts_at >= start, IntervalRow.starts_at < end)
            )
            for queue, lo, logged_in, available, waiting in before:
                row = rows.get((queue, lo))
                if row is not None:
                    row.update(
                        agents_logged_in=logged_in, agents_available=available, waiting=waiting
                    )
            for queue, staffing in (live or {}).items():
                row = rows.get((queue, end - INTERVAL))
                if row is not None and row["agents_logged_in"] is None:
                    row.update(
                        agents_logged_in=staffing.logged_in,
                        agents_available=staffing.available,
                        waiting=staffing.waiting,
                    )
            await conn.execute(
                delete(IntervalRow).where(
                    IntervalRow.starts_at >= start, IntervalRow.starts_at < end
                )
            )
            await conn.execute(insert(IntervalRow), list(rows.values()))
        return len(rows)

    async def between(self, start: datetime, end: datetime) -> list[IntervalRow]:
        async with self.engine.connect() as conn:
            result = await conn.execute(
                select(IntervalRow)
                .where(IntervalRow.starts_at >= start, IntervalRow.starts_at < end)
                .order_by(IntervalRow.starts_at, IntervalRow.queue)
            )
            return [IntervalRow(**r._mapping) for r in result]
