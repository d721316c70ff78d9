"""Reading and writing call records.

:class:`CallStore` maps :class:`~callcenter.store.records.CallRecord` to rows.
:class:`StoreWriter` takes records from the live path without ever making it wait: it keeps
the newest state of each changed call and writes them in batches, one transaction a batch. A
write that fails is logged and retried; nothing already written is touched.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, case, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncEngine

from callcenter.store.db import StoreSessions, writing
from callcenter.store.models import CallRow, VisitRow
from callcenter.store.records import CallRecord, Outcome, Visit, VisitOutcome
from routing.types import Decision, Reason, Target

__all__ = ["CallStore", "StoreWriter"]

log = logging.getLogger(__name__)


def call_values(call: CallRecord) -> dict[str, Any]:
    """The ``calls`` row of a record, as plain values (for bulk upserts)."""
    d = call.decision
    answered = call.answered_visit
    last = call.visits[-1] if call.visits else None
    return {
        "call_id": call.call_id,
        "uniqueid": call.uniqueid,
        "channel": call.channel,
        "caller": call.caller,
        "started_at": call.started,
        "digits": call.digits,
        "topic": d.topic if d else None,
        "counter": d.counter if d else None,
        "target": d.target.value if d else None,
        "target_queue": d.queue if d else None,
        "reason": d.reason.value if d else None,
        "next_open": d.next_open if d else None,
        "route_requested_at": call.route_requested,
        "redirected_at": call.redirected,
        "failsafe": call.failsafe,
        "callback_requested_at": call.callback_requested,
        "final_queue": last.queue if last else None,
        "answered_by": answered.agent
        if answered
        else (d.worker if d and call.worker_answered else None),
        "wait_seconds": answered.wait_seconds
        if answered
        else (last.wait_seconds if last else None),
        "talk_seconds": answered.talk_seconds if answered else None,
        "ended_at": call.ended,
        "outcome": call.outcome.value if call.outcome else None,
        "outcome_reason": call.outcome_reason,
        "legs": " ".join(sorted(call.legs))[:400],
        "site": call.site,
        "worker": d.worker if d else None,
        "worker_answered_at": call.worker_answered,
    }


def visit_values(call: CallRecord) -> list[dict[str, Any]]:
    topic = call.decision.topic if call.decision else None
    return [
        {
            "call_id": call.call_id,
            "seq": seq,
            "queue": v.queue,
            "topic": topic,
            "uniqueid": v.uniqueid,
            "joined_at": v.joined,
            "position": v.position,
            "left_at": v.left,
            "outcome": v.outcome.value if v.outcome else None,
            "wait_seconds": v.wait_seconds,
            "agent": v.agent,
            "agents_rung": len(v.agents_rung),
            "talk_seconds": v.talk_seconds,
            "ended_by": v.ended_by,
            "organisation": v.organisation,
            "site": call.site,
        }
        for seq, v in enumerate(call.visits)
    ]


@functools.cache
def _upsert(dialect: str, table: Any, keys: tuple[str, ...]) -> Any:
    """``INSERT … ON CONFLICT (keys) DO UPDATE`` of every other column, built once per table
    and run with many parameter sets: compiled once, not once per batch (compiling a
    multi-row VALUES clause cost more than the database's own work)."""
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = insert(table)
    updated = {
        c.name: stmt.excluded[c.name]
        for c in table.columns
        if c.name not in keys and c.name != "id"
    }
    return stmt.on_conflict_do_update(index_elements=list(keys), set_=updated)


def to_record(row: CallRow) -> CallRecord:
    decision = None
    if row.target and row.counter and row.topic and row.reason:
        decision = Decision(
            Target(row.target),
            row.target_queue,
            row.counter,
            row.topic,
            Reason(row.reason),
            row.next_open,
            row.caller,
            row.worker,
        )
    call = CallRecord(
        call_id=row.call_id,
        started=row.started_at,
        uniqueid=row.uniqueid,
        channel=row.channel,
        caller=row.caller,
        digits=row.digits,
        decision=decision,
        route_requested=row.route_requested_at,
        redirected=row.redirected_at,
        failsafe=row.failsafe,
        last_resort=row.target == "last_resort"
        or (
            row.callback_requested_at is not None
            and not any(v.outcome == "callback" for v in row.visits)
        ),
        callback_requested=row.callback_requested_at,
        ended=row.ended_at,
        outcome=Outcome(row.outcome) if row.outcome else None,
        outcome_reason=row.outcome_reason,
        legs=set(row.legs.split()) if row.legs else set(),
        site=row.site,
        worker_answered=row.worker_answered_at,
    )
    for vr in sorted(row.visits, key=lambda v: v.seq):
        call.visits.append(
            Visit(
                queue=vr.queue,
                joined=vr.joined_at,
                position=vr.position,
                uniqueid=vr.uniqueid,
                left=vr.left_at,
                outcome=VisitOutcome(vr.outcome) if vr.outcome else None,
                wait_seconds=vr.wait_seconds,
                agent=vr.agent,
                talk_seconds=vr.talk_seconds,
                ended_by=vr.ended_by,
                organisation=vr.organisation,
            )
        )
    return call


# The store's questions, as statements (tests and bench/store_queries.py EXPLAIN them).
# Each has its index: ix_calls_open, ix_calls_started_route, ix_calls_caller_started,
# ix_visits_joined (all queues) and ix_visits_queue_joined (one queue).
def open_calls_query() -> Select[CallRow]:
    return select(CallRow).where(CallRow.outcome.is_(None))


def calls_between_query(start: datetime, end: datetime) -> Select[CallRow]:
    return (
        select(CallRow)
        .where(CallRow.started_at >= start, CallRow.started_at < end)
        .order_by(CallRow.started_at)
    )


def caller_history_query(caller: str, limit: int) -> Select[CallRow]:
    return (
        select(CallRow)
        .where(CallRow.caller == caller)
        .order_by(CallRow.started_at.desc())
        .limit(limit)
    )


def queue_counts_query(
    start: datetime, end: datetime, queue: str | None = None
) -> Select[str, str | None, int]:
    stmt = (
        select(VisitRow.queue, VisitRow.outcome, func.count())
        .where(VisitRow.joined_at >= start, VisitRow.joined_at < end)
        .group_by(VisitRow.queue, VisitRow.outcome)
    )
    return stmt if queue is None else stmt.where(VisitRow.queue == queue)


class CallStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.sessions = StoreSessions(engine)

    async def save_many(self, calls: Sequence[CallRecord]) -> None:
        """Insert or update calls and their visits: two bulk statements, one transaction."""
        if not calls:
            return
        latest = {c.call_id: c for c in calls}  # one row per call in a statement
        call_rows = [call_values(c) for c in latest.values()]
        visit_rows = [v for c in latest.values() for v in visit_values(c)]
        dialect = self.engine.dialect.name
        async with writing(self.engine).begin() as conn:
            await conn.execute(_upsert(dialect, CallRow.__table__, ("call_id",)), call_rows)
            if visit_rows:
                await conn.execute(
                    _upsert(dialect, VisitRow.__table__, ("call_id", "seq")), visit_rows
                )

    async def save(self, call: CallRecord) -> None:
        await self.save_many([call])

    async def get(self, call_id: str) -> CallRecord | None:
        async with self.sessions() as session:
            row = await session.scalar(select(CallRow).where(CallRow.call_id == call_id))
            return to_record(row) if row else None

    async def open_calls(self) -> list[CallRecord]:
        """Calls without an outcome: still up when the service stopped."""
        async with self.sessions() as session:
            rows = (await session.scalars(open_calls_query())).all()
            return [to_record(r) for r in rows]

    async def calls_between(self, start: datetime, end: datetime) -> list[CallRecord]:
        async with self.sessions() as session:
            rows = (await session.scalars(calls_between_query(start, end))).all()
            return [to_record(r) for r in rows]

    async def caller_history(self, caller: str, limit: int = 20) -> list[CallRecord]:
        """A caller's latest calls, newest first: so that a citizen tells the story once."""
        async with self.sessions() as session:
            rows = (await session.scalars(caller_history_query(caller, limit))).all()
            return [to_record(r) for r in rows]

    async def queue_counts(
        self, start: datetime, end: datetime, queue: str | None = None
    ) -> dict[str, dict[str, int]]:
        """Queue visits that began in ``[start, end)``, counted by queue and outcome (``open``
        for a visit still going on): the wallboard's day and the reports' periods."""
        out: dict[str, dict[str, int]] = {}
        async with self.engine.connect() as conn:
            for name, outcome, n in await conn.execute(queue_counts_query(start, end, queue)):
                out.setdefault(name, {})[outcome or "open"] = n
        return out

    async def all_calls(self) -> list[CallRecord]:
        async with self.sessions() as session:
            rows = (await session.scalars(select(CallRow).order_by(CallRow.id))).all()
            return [to_record(r) for r in rows]

    async def count(self) -> int:
        async with self.sessions() as session:
            return int(await session.scalar(select(func.count(CallRow.id))) or 0)

    async def run_counts(self, since: datetime) -> dict[str, int]:
        """The calls begun since ``since`` by what became of them, in one query (so they add
        up while calls go on): ``routed`` by Vuurtoren, ``failsafe`` (the dialplan routed
        alone), ``hung up before routing`` (in the menu), ``still in the menu`` (up, no route
        asked yet) or their outcome."""
        way = case(
            (CallRow.failsafe, "failsafe"),
            (CallRow.target.is_not(None), "routed"),
            (CallRow.ended_at.is_(None), "still in the menu"),
            (CallRow.outcome == "abandoned", "hung up before routing"),
            else_=func.coalesce(CallRow.outcome, "unknown"),
        )
        async with self.sessions() as session:
            rows = await session.execute(
                select(way, func.count()).where(CallRow.started_at >= since).group_by(way)
            )
            return {str(k): int(n) for k, n in rows}


class StoreWriter:
    """Coalescing background writer: ``submit`` never blocks."""

    def __init__(
        self, store: CallStore, *, retry_seconds: float = 1.0, chunk: int = 20, pause: float = 0.002
    ) -> None:
        self.store = store
        self.retry_seconds = retry_seconds
        self.chunk = chunk
        """Calls per transaction: the ORM's work runs on the event loop, so a small chunk
        keeps each stretch short and routing never waits long behind it."""
        self.pause = pause
        self._pending: dict[str, CallRecord] = {}
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._task: asyncio.Task[None] | None = None
        self.written = 0
        self.failures = 0

    def submit(self, call: CallRecord) -> None:
        self._pending[call.call_id] = call
        self._idle.clear()
        self._wake.set()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="store-writer")

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._pending:
                keys = list(self._pending)[: self.chunk]
                batch = [self._pending.pop(k) for k in keys]
                try:
                    await self.store.save_many(batch)
                    self.written += len(batch)
                    await asyncio.sleep(self.pause)  # let routing and events through
                except asyncio.CancelledError:
                    for call in batch:
                        self._pending.setdefault(call.call_id, call)
                    raise
                except Exception:
                    self.failures += 1
                    log.exception(
                        "store: writing %d call(s) failed; retrying in %.1f s",
                        len(batch),
                        self.retry_seconds,
                    )
                    for call in batch:
                        self._pending.setdefault(call.call_id, call)
                    await asyncio.sleep(self.retry_seconds)
            self._idle.set()

    async def flush(self) -> None:
        await self._idle.wait()

    async def close(self) -> None:
        """Write what is pending, then stop."""
        if self._task is not None:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(10):
                    await self.flush()
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._pending:
            await self.store.save_many(list(self._pending.values()))
            self._pending.clear()
