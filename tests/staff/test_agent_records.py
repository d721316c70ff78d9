"""The agent's day on both databases: pauses and after-call work as periods, wrap-up codes
(a second choice replaces the first), and the figures per agent and day the reports and
the live list read."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncEngine

from callcenter.agents.records import AFTER_CALL_KIND, PAUSE_KIND, AgentRecords
from callcenter.store import CallStore, upgrade
from callcenter.store.records import CallRecord, Outcome, Visit, VisitOutcome
from tests.store.conftest import database_url, engine

__all__ = ["database_url", "engine"]

ZONE = ZoneInfo("Europe/Brussels")
DAY = date(2026, 11, 23)


def at(hour: int, minute: int = 0, day: date = DAY) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=ZONE)


async def answered(store: CallStore, call_id: str, agent: str, when: datetime, talk: int) -> None:
    call = CallRecord(call_id, when, caller="+32470000001")
    call.visits.append(
        Visit("onthaal", when, 1, call_id, when + timedelta(seconds=10), VisitOutcome.ANSWERED, 10)
    )
    call.visits[0].agent, call.visits[0].talk_seconds = agent, talk
    call.outcome, call.ended = Outcome.ANSWERED, when + timedelta(seconds=talk + 10)
    await store.save(call)


async def test_an_agents_day_adds_up(engine: AsyncEngine) -> None:
    await upgrade(engine)
    records, store = AgentRecords(engine), CallStore(engine)
    await answered(store, "1.1", "An Peeters", at(9), 300)
    await answered(store, "1.2", "An Peeters", at(10), 100)
    await answered(store, "1.3", "PJSIP/999", at(10, 30), 60)  # a member that is no user
    await answered(store, "1.4", "An Peeters", at(9, day=DAY + timedelta(days=1)), 50)
    await records.add_period("an", AFTER_CALL_KIND, "onthaal", at(9, 6), at(9, 7))
    await records.add_period("an", PAUSE_KIND, "Middagpauze", at(12), at(12, 30))
    await records.add_period("an", PAUSE_KIND, "Middagpauze", at(15), at(15, 5))
    await records.choose_code("1.1", "onthaal", "an", "info", at(9, 7))
    await records.choose_code("1.1", "onthaal", "an", "doorverwezen", at(9, 8))  # replaces
    await records.choose_code("1.2", "onthaal", "an", "doorverwezen", at(10, 3))
    days = await records.days(DAY, DAY, ZONE, {"an": "An Peeters"})
    an = days[(DAY, "an")]
    assert (an.calls, an.talk_seconds, an.after_call_seconds) == (2, 400, 60)
    assert an.handle_seconds == 230.0
    assert an.pause_seconds == {"Middagpauze": 2100}
    assert days[(DAY, "PJSIP/999")].calls == 1
    assert (DAY + timedelta(days=1), "an") not in days
    total = (await records.totals(DAY, DAY + timedelta(days=1), ZONE, {"an": "An Peeters"}))["an"]
    assert total.calls == 3
    assert await records.code_of("1.1", "an") == "doorverwezen"
    assert await records.code_counts(DAY, DAY, ZONE) == {"onthaal": {"doorverwezen": 2}}
