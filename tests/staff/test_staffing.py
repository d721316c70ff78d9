"""Staffing advice: Erlang C per half hour from the store's history, beside the rota."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import example, given, settings
from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncEngine

from callcenter.figures.staffing import agents_needed, history, staffing_advice
from callcenter.store import CallStore, upgrade
from callcenter.store.records import CallRecord, Outcome, Visit, VisitOutcome
from routing.site import Site
from schedules.rota import Rota, Shift
from tests.store.conftest import database_url, engine

__all__ = ["database_url", "engine"]

BXL = ZoneInfo("Europe/Brussels")


def test_erlang_c_agrees_with_the_textbook_case() -> None:
    # 100 calls in half an hour, 3 minutes each, 80 % within 20 s: 14 agents (the figure
    # pyworkforce's own documentation gives for this case before shrinkage)
    assert agents_needed(100, 180, 20, 80) == 14
    assert agents_needed(0, 180, 20, 80) == 0


@settings(max_examples=60, deadline=None)
@example(calls=280.734375, aht=327, more=0.0)  # once unrounded here: 51.0001 > 51 erlang
@given(
    calls=st.floats(min_value=0.1, max_value=400),
    aht=st.integers(min_value=30, max_value=900),
    more=st.floats(min_value=0, max_value=100),
)
def test_more_calls_or_a_stricter_target_never_need_fewer_agents(
    calls: float, aht: int, more: float
) -> None:
    base = agents_needed(round(calls, 2), aht, 20, 80)
    assert base >= 1
    assert agents_needed(round(calls + more, 2), aht, 20, 80) >= base
    assert agents_needed(round(calls, 2), aht, 20, 90) >= base
    assert agents_needed(round(calls, 2), aht, 10, 80) >= base
    # the occupancy cap: never more work than 85 % of the agents' time (for the calls asked
    # about: rounded as above)
    assert round(calls, 2) * aht / 1800 <= base * 0.85 + 1e-9


async def test_the_advice_reads_eight_weeks_of_history_and_marks_short_slots(
    engine: AsyncEngine, example_site: Site
) -> None:
    """40 calls every Monday 10:00-10:30 (through the autumn DST change) of 4 minutes: the
    coming Monday at 10:00 needs 8 agents; the rota has 1 there: short. Other open slots
    need the one agent that keeps the lighthouse open, and have them."""
    await upgrade(engine)
    store = CallStore(engine)
    now = datetime(2026, 11, 22, 12, 0, tzinfo=BXL)  # a Sunday
    calls = []
    for week in range(1, 9):
        monday = (now - timedelta(weeks=week)).date() + timedelta(days=1)
        for i in range(40):
            joined = datetime.combine(monday, time(10, 0), BXL) + timedelta(seconds=40 * i)
            call = CallRecord(f"w{week}-{i}", joined, caller="+32470000000")
            call.visits.append(
                Visit(
                    "lighthouse",
                    joined,
                    1,
                    f"u{week}-{i}",
                    joined + timedelta(seconds=5),
                    VisitOutcome.ANSWERED,
                    5,
                    "PJSIP/an",
                    [],
                    240,
                )
            )
            call.outcome, call.ended = Outcome.ANSWERED, joined + timedelta(seconds=245)
            calls.append(call)
    await store.save_many(calls)
    past = await history(engine, example_site, "lighthouse", now, weeks=8)
    assert past.calls == {(0, 20): 320} and past.aht == 240
    rota = Rota(BXL, [Shift(0, time(8), time(19), 1)])
    advice = staffing_advice(example_site, past, rota, date(2026, 11, 23), days=7)
    monday = {s.starts.strftime("%H:%M"): s for s in advice.days[0][1]}
    ten = monday["10:00"]
    assert (ten.calls, ten.needed, ten.scheduled, ten.short) == (40, 8, 1, True)
    assert (monday["09:30"].needed, monday["09:30"].short) == (1, False)
    assert not monday["07:30"].open and monday["07:30"].needed == 0  # the lighthouse opens at 8
    # Monday 10:00; Tuesday to Friday 08:00-19:00 and Saturday 09:00-12:00 have nobody
    assert advice.short_slots == 1 + 4 * 22 + 6
    tuesday = advice.days[1][1]
    assert all(s.scheduled == 0 for s in tuesday)
    assert sum(1 for s in tuesday if s.short) == sum(1 for s in tuesday if s.open)
