"""Quarter-hour snapshots per queue: counts by when visits joined, live staffing kept from the
first write, late outcomes counted when the interval is written again."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncEngine

from callcenter.figures.intervals import IntervalStore, LiveStaffing
from callcenter.store import CallStore, upgrade
from callcenter.store.records import CallRecord, Outcome, Visit, VisitOutcome
from routing.site import Site
from tests.store.conftest import database_url, engine

__all__ = ["database_url", "engine"]

BXL = ZoneInfo("Europe/Brussels")


def call(
    cid: str, joined: datetime, outcome: VisitOutcome | None, wait: int, talk: int = 0
) -> CallRecord:
    c = CallRecord(cid, joined, caller="+32470000001")
    c.visits.append(
        Visit(
            "woonloket",
            joined,
            1,
            cid,
            None if outcome is None else joined,
            outcome,
            wait,
            None,
            [],
            talk or None,
        )
    )
    if outcome is not None:
        c.outcome, c.ended = Outcome.ANSWERED, joined + timedelta(minutes=3)
    return c


async def test_snapshots_count_by_quarter_and_keep_the_staffing_seen(
    engine: AsyncEngine, example_site: Site
) -> None:
    await upgrade(engine)
    store = CallStore(engine)
    t = datetime(2026, 11, 23, 10, 0, tzinfo=BXL)
    await store.save_many(
        [
            call("a", t + timedelta(minutes=1), VisitOutcome.ANSWERED, 10, 200),
            call("b", t + timedelta(minutes=2), VisitOutcome.ANSWERED, 45, 100),
            call("c", t + timedelta(minutes=3), VisitOutcome.ABANDONED, 30),
            call("d", t + timedelta(minutes=16), None, 0),  # still waiting at 10:30
        ]
    )
    intervals = IntervalStore(engine, example_site)
    live = {"woonloket": LiveStaffing(logged_in=3, available=1, waiting=1)}
    await intervals.snapshot(t + timedelta(minutes=30, seconds=2), live)
    rows = {
        (r.queue, r.starts_at.astimezone(BXL).strftime("%H:%M")): r
        for r in await intervals.between(t, t + timedelta(hours=1))
    }
    ten = rows[("woonloket", "10:00")]
    assert (ten.queued, ten.answered, ten.answered_within_sl, ten.abandoned) == (3, 2, 1, 1)
    assert (ten.wait_seconds, ten.talk_seconds) == (85, 300)
    quarter = rows[("woonloket", "10:15")]
    assert quarter.queued == 0  # d is still waiting: not counted yet
    assert (quarter.agents_logged_in, quarter.agents_available, quarter.waiting) == (3, 1, 1)
    assert rows[("lighthouse", "10:15")].queued == 0  # every queue has its row
    # d is answered later; the next run writes 10:15 again and counts it, keeping the live
    # figures it saw at 10:30
    await store.save(call("d", t + timedelta(minutes=16), VisitOutcome.ANSWERED, 40, 60))
    await intervals.snapshot(
        t + timedelta(minutes=45), {"woonloket": LiveStaffing(logged_in=5, available=5, waiting=0)}
    )
    again = {
        (r.queue, r.starts_at.astimezone(BXL).strftime("%H:%M")): r
        for r in await intervals.between(t, t + timedelta(hours=1))
    }
    q = again[("woonloket", "10:15")]
    assert (q.queued, q.answered, q.agents_logged_in) == (1, 1, 3)
    assert again[("woonloket", "10:30")].agents_logged_in == 5
