"""The store on SQLite and on a real PostgreSQL: migrations, round trips, open calls."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import inspect
from sqlalchemy.ext.asyncio import AsyncEngine

from callcenter.store import CallStore, StoreWriter, upgrade
from callcenter.store.db import current_revision, head_revision
from callcenter.store.records import CallRecord, Outcome, Visit, VisitOutcome
from routing.types import Decision, Reason, Target

BXL = ZoneInfo("Europe/Brussels")
# Just before the spring DST jump in Brussels. Instants are UTC: Python adds timedeltas to
# zoned datetimes on the wall clock, which here would land in the hour that does not exist.
T0 = datetime(2026, 3, 29, 0, 59, 30, tzinfo=UTC)


def a_call(call_id: str = "1700000000.1", *, ended: bool = True) -> CallRecord:
    call = CallRecord(
        call_id,
        T0,
        uniqueid="1700000000.2",
        channel="Local/s@central-number-00000001;2",
        caller="+32470123456",
        digits="1",
        route_requested=T0 + timedelta(seconds=8),
        redirected=T0 + timedelta(seconds=8.01),
        legs={"1700000000.1", "1700000000.2"},
    )
    call.decision = Decision(
        Target.COUNTER,
        "sociale-dienst",
        "sociale-dienst",
        "financiele-hulp",
        Reason.OPEN,
        None,
        "+32470123456",
    )
    visit = Visit(
        "sociale-dienst",
        T0 + timedelta(seconds=9),
        1,
        "1700000000.2",
        left=T0 + timedelta(seconds=30),
        outcome=VisitOutcome.ANSWERED,
        wait_seconds=21,
        agent="Sociale dienst 1",
        agents_rung=["a", "b"],
        talk_seconds=300,
        ended_by="caller",
    )
    call.visits.append(visit)
    if ended:
        call.ended = T0 + timedelta(seconds=330)
        call.outcome = Outcome.ANSWERED
    return call


async def test_upgrade_creates_the_schema_and_is_idempotent(engine: AsyncEngine) -> None:
    assert await current_revision(engine) is None
    await upgrade(engine)
    await upgrade(engine)
    assert await current_revision(engine) == head_revision()

    async with engine.connect() as conn:
        names = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
        indexes = await conn.run_sync(
            lambda c: {i["name"] for i in inspect(c).get_indexes("calls")}
        )
    assert {"calls", "queue_visits", "alembic_version"} <= names
    # the dashboard's questions on calls: by day, by caller, open calls (by queue: visits)
    assert {"ix_calls_started_route", "ix_calls_caller_started", "ix_calls_open"} <= indexes


async def test_round_trip_keeps_everything_and_times_stay_aware(engine: AsyncEngine) -> None:
    await upgrade(engine)
    store = CallStore(engine)
    original = a_call()
    await store.save(original)
    loaded = await store.get(original.call_id)
    assert loaded is not None
    assert loaded.started == original.started and loaded.started.tzinfo is not None
    assert loaded.started.astimezone(BXL).utcoffset() == timedelta(hours=1)
    assert loaded.ended == original.ended  # across the DST jump, still exact
    assert loaded.ended is not None and loaded.ended.astimezone(BXL).hour == 3  # 03:05 CEST
    assert loaded.decision == original.decision
    assert loaded.outcome is Outcome.ANSWERED and loaded.legs == original.legs
    v = loaded.visits[0]
    assert (v.queue, v.outcome, v.wait_seconds, v.agent, v.talk_seconds, v.ended_by) == (
        "sociale-dienst",
        VisitOutcome.ANSWERED,
        21,
        "Sociale dienst 1",
        300,
        "caller",
    )


async def test_saving_again_updates_and_never_doubles(engine: AsyncEngine) -> None:
    await upgrade(engine)
    store = CallStore(engine)
    call = a_call(ended=False)
    call.visits[0].outcome = VisitOutcome.TIMEOUT
    await store.save(call)
    call.visits.append(
        Visit(
            "lighthouse",
            T0 + timedelta(seconds=200),
            1,
            "1700000000.2",
            outcome=VisitOutcome.ANSWERED,
            wait_seconds=4,
        )
    )
    call.ended, call.outcome = T0 + timedelta(seconds=400), Outcome.ANSWERED
    await store.save_many([call, call])
    assert await store.count() == 1
    loaded = await store.get(call.call_id)
    assert loaded is not None
    assert [v.queue for v in loaded.visits] == ["sociale-dienst", "lighthouse"]
    assert [v.outcome for v in loaded.visits] == [VisitOutcome.TIMEOUT, VisitOutcome.ANSWERED]


async def test_open_calls_are_the_ones_without_outcome(engine: AsyncEngine) -> None:
    await upgrade(engine)
    store = CallStore(engine)
    await store.save_many([a_call("1.1"), a_call("2.1", ended=False), a_call("3.1")])
    assert [c.call_id for c in await store.open_calls()] == ["2.1"]
    day = await store.calls_between(T0 - timedelta(hours=1), T0 + timedelta(hours=1))
    assert len(day) == 3


async def test_naive_times_are_refused(engine: AsyncEngine) -> None:
    await upgrade(engine)
    call = a_call()
    call.started = datetime(2026, 1, 1, 10, 0)
    with pytest.raises(Exception, match="naive datetime"):
        await CallStore(engine).save(call)


async def test_writer_coalesces_and_flushes(engine: AsyncEngine) -> None:
    await upgrade(engine)
    store = CallStore(engine)
    writer = StoreWriter(store)
    writer.start()
    calls = [a_call(f"{i}.1") for i in range(50)]
    for call in calls:
        writer.submit(call)
        writer.submit(call)  # the newest state of each call is written once
    await writer.flush()
    assert await store.count() == 50
    calls[0].outcome = Outcome.LOST_TRACK
    writer.submit(calls[0])
    await writer.close()
    loaded = await store.get("0.1")
    assert loaded is not None and loaded.outcome is Outcome.LOST_TRACK
    assert datetime.now(UTC) > loaded.started


async def test_the_migrations_build_exactly_the_models(engine: AsyncEngine) -> None:
    """No drift between the Alembic migrations and the tables the code declares."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from callcenter.store.models import Base

    await upgrade(engine)
    async with engine.connect() as conn:
        diff = await conn.run_sync(
            lambda c: compare_metadata(MigrationContext.configure(c), Base.metadata)
        )
    assert diff == []


def _call_at(
    call_id: str, started: datetime, caller: str, *visits: tuple[str, VisitOutcome | None]
) -> CallRecord:
    call = CallRecord(call_id, started, caller=caller)
    for i, (queue, outcome) in enumerate(visits):
        call.visits.append(
            Visit(
                queue,
                started + timedelta(seconds=10 + 60 * i),
                1,
                f"{call_id}.{i}",
                outcome=outcome,
            )
        )
    return call


async def test_a_callers_history_is_theirs_newest_first(engine: AsyncEngine) -> None:
    await upgrade(engine)
    store = CallStore(engine)
    await store.save_many(
        [
            _call_at(f"{i}.1", T0 + timedelta(days=i), "+32470111111" if i % 2 else "+32470222222")
            for i in range(10)
        ]
    )
    history = await store.caller_history("+32470111111", limit=3)
    assert [c.call_id for c in history] == ["9.1", "7.1", "5.1"]
    assert await store.caller_history("+32499999999") == []


async def test_queue_counts_by_queue_and_outcome_in_a_half_open_period(engine: AsyncEngine) -> None:
    await upgrade(engine)
    store = CallStore(engine)
    a, t, o = VisitOutcome.ANSWERED, VisitOutcome.TIMEOUT, None
    await store.save_many(
        [
            _call_at("1.1", T0, "x", ("sociale-dienst", t), ("lighthouse", a)),
            _call_at("2.1", T0 + timedelta(minutes=5), "y", ("sociale-dienst", a)),
            _call_at("3.1", T0 + timedelta(minutes=9), "z", ("huisvesting", o)),
            _call_at("4.1", T0 + timedelta(hours=1), "z", ("sociale-dienst", a)),  # the end: out
        ]
    )
    end = T0 + timedelta(hours=1, seconds=10)  # visit 4.1.0 joins exactly here
    assert await store.queue_counts(T0, end) == {
        "sociale-dienst": {"timeout": 1, "answered": 1},
        "lighthouse": {"answered": 1},
        "huisvesting": {"open": 1},
    }
    assert await store.queue_counts(T0, end + timedelta(seconds=1), "sociale-dienst") == {
        "sociale-dienst": {"timeout": 1, "answered": 2}
    }


async def test_each_question_has_an_index_to_use(engine: AsyncEngine) -> None:
    """The dashboard's questions (by day, by caller, by queue, open calls) can each be
    answered from an index; bench/store_queries.py measures them at a million calls."""
    from sqlalchemy import text

    from callcenter.store.db import query_plan
    from callcenter.store.repository import (
        caller_history_query,
        calls_between_query,
        open_calls_query,
        queue_counts_query,
    )

    await upgrade(engine)
    end = T0 + timedelta(days=1)
    expected = {
        "ix_calls_open": open_calls_query(),
        "ix_calls_started_route": calls_between_query(T0, end),
        "ix_calls_caller_started": caller_history_query("+32470123456", 20),
        "ix_visits_joined": queue_counts_query(T0, end),
        "ix_visits_queue_joined": queue_counts_query(T0, end, "sociale-dienst"),
    }
    async with engine.connect() as conn:
        if engine.dialect.name == "postgresql":  # empty tables: make the planner show its hand
            await conn.execute(text("SET enable_seqscan = off"))
        for index, stmt in expected.items():
            plan = "\n".join(await query_plan(conn, stmt))
            if engine.dialect.name == "sqlite":
                assert index in plan, plan
            else:  # on empty tables PostgreSQL may pick either visits index: any, no scan
                assert "Index" in plan and "Seq Scan" not in plan, plan


async def test_the_last_migration_goes_down_and_up_again_keeping_the_calls(
    engine: AsyncEngine,
) -> None:
    from alembic import command

    from callcenter.store.db import _config

    await upgrade(engine)
    store = CallStore(engine)
    await store.save(a_call())
    async with engine.begin() as conn:
        await conn.run_sync(lambda c: command.downgrade(_config(c), "-1"))
    assert await current_revision(engine) != head_revision()
    await upgrade(engine)
    assert await current_revision(engine) == head_revision()
    assert [c.call_id for c in await store.all_calls()] == [a_call().call_id]
