"""End to end over TCP: every kind of decision reaches the right place and leaves one complete
record; abandons; the fail-safe; AMI cuts and service restarts in the middle of calls."""

from __future__ import annotations

import pytest

from callcenter.simulator import CallerProfile, Simulator
from callcenter.store.records import Outcome, VisitOutcome
from routing.site import Site
from schedules.overrides import Override, OverrideMode
from tests.ami.test_client import until
from tests.service.conftest import StackFactory, at, lone_sim
from tests.service.conftest import (
    both_timestamp_modes as both_timestamp_modes,  # all tests run in both modes
)
from tests.store.conftest import POSTGRES


async def test_open_counter_answered(stack: StackFactory) -> None:
    async with stack(at("2026-11-23 10:00")) as s:
        call = s.call(number="+32470100001", digits="1", talk_seconds=30)
        rec = await s.record(call.truth.linkedid)
    assert call.truth.visits[0].queue == "sociale-dienst" and not call.truth.failsafe
    assert rec.decision is not None
    assert (rec.decision.target.value, rec.decision.queue, rec.decision.reason.value) == (
        "counter",
        "sociale-dienst",
        "open",
    )
    assert rec.outcome is Outcome.ANSWERED and rec.caller == "+32470100001"
    assert rec.digits == "1" and rec.decision.topic == "financiele-hulp"
    visit = rec.visits[0]
    assert visit.outcome is VisitOutcome.ANSWERED
    assert visit.wait_seconds == call.truth.visits[0].hold_seconds
    assert visit.talk_seconds == call.truth.visits[0].talk_seconds
    assert visit.agent == call.truth.visits[0].member
    assert rec.ended is not None and rec.route_requested is not None


@pytest.mark.postgres
@pytest.mark.skipif(not POSTGRES, reason="no PostgreSQL configured; CI always configures one")
async def test_the_call_path_on_postgresql(stack: StackFactory) -> None:
    from sqlalchemy import text

    from callcenter.store import open_engine
    from callcenter.store.models import Base

    assert POSTGRES is not None
    engine = open_engine(POSTGRES)
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.drop_all)
        await conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    await engine.dispose()
    async with stack(at("2026-11-23 10:00"), db_url=POSTGRES) as s:
        answered = s.call(number="+32470100011", digits="1", talk_seconds=10)
        abandoned = s.call(number="+32470100012", digits="0", patience=1)
        rec = await s.record(answered.truth.linkedid)
        rec2 = await s.record(abandoned.truth.linkedid)
        total = await s.run.store.count()
    assert rec.outcome is Outcome.ANSWERED and rec2.outcome is Outcome.ABANDONED
    assert total == 2


async def test_closed_counter_goes_to_the_lighthouse(stack: StackFactory) -> None:
    async with stack(at("2026-11-23 17:00")) as s:
        call = s.call(number="+32470100002", digits="1", talk_seconds=20)
        rec = await s.record(call.truth.linkedid)
    assert call.truth.visits[0].queue == "lighthouse"
    assert rec.decision is not None and rec.decision.reason.value == "closed"
    assert rec.decision.next_open == at("2026-11-24 09:00")
    assert rec.outcome is Outcome.ANSWERED


async def test_holiday(stack: StackFactory) -> None:
    async with stack(at("2026-11-11 10:00")) as s:  # Wapenstilstand
        call = s.call(number="+32470100003", digits="21", talk_seconds=20)
        rec = await s.record(call.truth.linkedid)
    assert call.truth.visits[0].queue == "lighthouse"
    assert rec.decision is not None and rec.decision.reason.value == "holiday"


async def test_last_resort_announces_the_next_opening(stack: StackFactory) -> None:
    async with stack(at("2026-11-23 20:00")) as s:
        await s.run.service.announcer.prepare()  # as the service does when the states change
        call = s.call(number="+32470100004", digits="1", last_resort_choice="callback")
        rec = await s.record(call.truth.linkedid)
        stored = await s.run.store.get(call.truth.linkedid)
        texts = s.run.service.announcer.texts
        said = [texts[h] for h in call.truth.heard if h.startswith("dyn/")]
    assert call.truth.outcome == "last_resort" and call.truth.last_resort == "callback"
    assert said == ["De sociale dienst is opnieuw open morgen om 9 uur, op de Markt 1."]
    assert rec.outcome is Outcome.LAST_RESORT
    assert rec.decision is not None and rec.decision.target.value == "last_resort"
    assert rec.visits == []
    # the callback request is on the call, for the console's callback list
    assert stored is not None and stored.callback_requested is not None
    assert stored.callback_requested >= stored.started


async def test_paused_too_long_is_no_agents(stack: StackFactory) -> None:
    """A paused member is still a member for Asterisk, but answers nobody: past the grace, a
    counter whose every member is paused sends its callers to the lighthouse (no_agents)."""
    async with stack(at("2026-11-23 10:00")) as s:
        queue = s.sim.ast.queues["sociale-dienst"]
        for m in queue.members.values():
            queue.pause(m, True, "overleg")
        live = s.run.service.tracker.queues["sociale-dienst"]
        await until(lambda: live.state(s.run.service.clock.now()).agents == 0, 20)
        assert len(live.members) == 2  # still there, logged in
        call = s.call(number="+32470100015", digits="1", talk_seconds=10)
        rec = await s.record(call.truth.linkedid)
    assert call.truth.visits[0].queue == "lighthouse"
    assert rec.decision is not None and rec.decision.reason.value == "no_agents"


async def test_no_agents(stack: StackFactory) -> None:
    async with stack(at("2026-11-23 10:00")) as s:
        queue = s.sim.ast.queues["sociale-dienst"]
        for m in queue.members.values():
            m.device.status = 5  # phones unregistered
            queue.member_event("QueueMemberStatus", m)
        await until(lambda: s.run.service.tracker.queues["sociale-dienst"].state().agents == 0)
        call = s.call(number="+32470100005", digits="1", talk_seconds=10)
        rec = await s.record(call.truth.linkedid)
    assert call.truth.visits[0].queue == "lighthouse"
    assert rec.decision is not None and rec.decision.reason.value == "no_agents"


async def test_overflow(stack: StackFactory) -> None:
    async with stack(at("2026-11-23 10:00")) as s:
        queue = s.sim.ast.queues["sociale-dienst"]
        live = s.run.service.tracker.queues["sociale-dienst"]
        # both agents on a long call (paused ones would not count as staff: no_agents)
        busy = [s.call(number=f"+3247020010{i}", digits="1", talk_seconds=3600) for i in (1, 2)]
        await until(lambda: sum(m.in_call for m in live.members.values()) == 2, 30)
        waiting = [s.call(number=f"+3247020000{i}", digits="1", patience=600) for i in range(4)]
        await until(lambda: len(queue.entries) == 4, 10)
        overflowing = s.call(number="+32470100006", digits="1", talk_seconds=10)
        rec = await s.record(overflowing.truth.linkedid)
        for c in (*waiting, *busy):
            c.hangup_now()
    assert overflowing.truth.visits[0].queue == "lighthouse"
    assert rec.decision is not None and rec.decision.reason.value == "overflow"


async def test_override_closes_a_counter(stack: StackFactory) -> None:
    closing = [Override("sociale-dienst", OverrideMode.CLOSED, note="storing")]
    async with stack(at("2026-11-23 10:00"), overrides=closing) as s:
        call = s.call(number="+32470100007", digits="1", talk_seconds=10)
        rec = await s.record(call.truth.linkedid)
        astdb = s.sim.ast.db_get("vuurtoren", "counter/sociale-dienst")
        lamp = s.sim.ast.device_states.get("Custom:vuurtoren-sociale-dienst")
    assert call.truth.visits[0].queue == "lighthouse"
    assert rec.decision is not None and rec.decision.reason.value == "override"
    assert (astdb, lamp) == ("closed", "INUSE")  # the fail-safe and desk phones know it


async def test_abandon_is_recorded_with_its_wait(stack: StackFactory) -> None:
    async with stack(at("2026-11-23 10:00")) as s:
        queue = s.sim.ast.queues["sociale-dienst"]
        for m in queue.members.values():
            queue.pause(m, True, "test")
        long = s.call(number="+32470100008", digits="1", patience=30)
        short = s.call(number="+32470100009", digits="1", patience=3)
        rec_long = await s.record(long.truth.linkedid)
        rec_short = await s.record(short.truth.linkedid)
    assert rec_long.outcome is Outcome.ABANDONED
    assert rec_long.visits[0].outcome is VisitOutcome.ABANDONED
    assert rec_long.visits[0].wait_seconds == long.truth.visits[0].hold_seconds
    assert rec_short.visits[0].outcome is VisitOutcome.ABANDONED_SHORT


async def monday_sim(site: Site, seed: int, timestamps: bool = True) -> Simulator:
    """A simulator of its own (outliving one service run), Monday 10:00."""
    return await lone_sim(site, seed, timestamps=timestamps)


async def test_failsafe_when_the_service_is_away(
    stack: StackFactory, example_site: Site, timestamps: bool
) -> None:
    sim = await monday_sim(example_site, seed=2, timestamps=timestamps)
    try:
        async with stack(at("2026-11-23 10:00"), sim=sim):
            pass  # the service ran once: it wrote the counter states into AstDB
        assert sim.ast.db_get("vuurtoren", "counter/sociale-dienst") == "open"
        assert sim.ast.db_get("vuurtoren", "counter/schuldbemiddeling") == "closed"
        to_open = sim.call(CallerProfile(number="1", digits="1", talk_seconds=5))
        to_closed = sim.call(CallerProfile(number="2", digits="52", talk_seconds=5))
        await until(
            lambda: to_open.truth.ended is not None and to_closed.truth.ended is not None, 15
        )
    finally:
        await sim.stop()
    assert to_open.truth.failsafe and to_open.truth.visits[0].queue == "sociale-dienst"
    assert to_closed.truth.failsafe and to_closed.truth.visits[0].queue == "lighthouse"
    assert to_open.truth.outcome == "answered"


async def test_ami_cut_in_the_middle_of_calls(stack: StackFactory) -> None:
    async with stack(at("2026-11-23 10:00")) as s:
        calls = [
            s.call(number=f"+3247030000{i}", digits=str(1 + i % 3), talk_seconds=40, patience=400)
            for i in range(6)
        ]
        await until(lambda: all(c.truth.redirected_to for c in calls), 10)
        s.sim.faults.drop()
        await until(lambda: s.run.ami.connects >= 2, 10)
        records = [await s.record(c.truth.linkedid, 30) for c in calls]
        total = await s.run.store.count()
    assert total == len(calls)  # none missing, none doubled
    for call, rec in zip(calls, records, strict=True):
        assert rec.outcome is not None
        if rec.outcome is not Outcome.LOST_TRACK:
            assert rec.outcome.value == call.truth.outcome


async def test_service_restart_in_the_middle_of_calls(
    stack: StackFactory, example_site: Site, timestamps: bool
) -> None:
    sim = await monday_sim(example_site, seed=3, timestamps=timestamps)
    try:
        async with stack(at("2026-11-23 10:00"), sim=sim) as first:
            long_calls = [
                sim.call(CallerProfile(number=f"+3247040000{i}", digits="1", talk_seconds=120))
                for i in range(2)
            ]
            short_call = sim.call(CallerProfile(number="+32470400009", digits="0", talk_seconds=5))
            await until(
                lambda: all(
                    c.truth.visits and c.truth.visits[0].outcome == "answered"
                    for c in [*long_calls, short_call]
                ),
                15,
            )
            await first.run.writer.flush()
        # the service is down: the short call ends meanwhile
        await until(lambda: short_call.truth.ended is not None, 15)
        async with stack(at("2026-11-23 10:00"), sim=sim) as second:
            records = [await second.record(c.truth.linkedid, 30) for c in long_calls]
            short = await second.record(short_call.truth.linkedid)
            total = await second.run.store.count()
    finally:
        await sim.stop()
    assert total == 3
    assert all(r.outcome is Outcome.ANSWERED for r in records)  # followed on after restart
    assert all(r.visits[0].talk_seconds is not None for r in records)
    assert short.outcome is Outcome.LOST_TRACK
    assert short.outcome_reason == "ended while Vuurtoren was not connected"
