"""What an agent's day is made of, kept for the managers' live list and the agent report:
their pauses and after-call work (``agent_periods``), and the wrap-up code chosen for each
call they answered (``wrapup_codes``). Calls and talk time are the calls' own records
(``queue_visits``, by the member's name).

Holds no caller's data: a wrap-up code points to a call by its id (and goes with it in a
privacy export or erasure: ``privacy.LINKED``).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncEngine

from callcenter.store.db import StoreSessions
from callcenter.store.models import AgentPeriodRow, VisitRow, WrapupRow

__all__ = ["AFTER_CALL_KIND", "PAUSE_KIND", "AgentDay", "AgentRecords"]

PAUSE_KIND = "pause"
AFTER_CALL_KIND = "after_call"


@dataclass(slots=True)
class AgentDay:
    """One agent's figures over one day (or a period)."""

    name: str
    calls: int = 0
    talk_seconds: int = 0
    after_call_seconds: int = 0
    pause_seconds: dict[str, int] = field(default_factory=dict)
    """By pause reason (its label)."""

    @property
    def handle_seconds(self) -> float | None:
        """Average handle time: talk and after-call work per call."""
        if not self.calls:
            return None
        return (self.talk_seconds + self.after_call_seconds) / self.calls

    @property
    def paused_total(self) -> int:
        return sum(self.pause_seconds.values())

    def as_json(self) -> dict[str, object]:
        aht = self.handle_seconds
        return {
            "name": self.name,
            "calls": self.calls,
            "talk_seconds": self.talk_seconds,
            "after_call_seconds": self.after_call_seconds,
            "handle_seconds": None if aht is None else round(aht),
            "pause_seconds": dict(self.pause_seconds),
            "paused_seconds": self.paused_total,
        }


def _span(first: date, last: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The days ``first`` to ``last`` as instants: local midnight to local midnight."""
    return (
        datetime.combine(first, time(0), zone),
        datetime.combine(last + timedelta(days=1), time(0), zone),
    )


class AgentRecords:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.sessions = StoreSessions(engine)

    async def add_period(
        self, login: str, kind: str, reason: str, started: datetime, ended: datetime
    ) -> None:
        seconds = max(0, round((ended - started).total_seconds()))
        async with self.sessions.begin() as session:
            session.add(
                AgentPeriodRow(
                    login=login,
                    kind=kind,
                    reason=reason[:80],
                    started_at=started,
                    ended_at=ended,
                    seconds=seconds,
                )
            )

    async def choose_code(
        self, call_id: str, queue: str, login: str, code: str, at: datetime
    ) -> None:
        """The agent's wrap-up code for that call (a second choice replaces the first)."""
        values = {"call_id": call_id, "queue": queue, "login": login, "code": code, "chosen_at": at}
        insert = pg_insert if self.engine.dialect.name == "postgresql" else sqlite_insert
        statement = insert(WrapupRow).values(**values)
        statement = statement.on_conflict_do_update(
            index_elements=["call_id", "queue", "login"],
            set_={"code": code, "chosen_at": at},
        )
        async with self.sessions.begin() as session:
            await session.execute(statement)

    async def code_of(self, call_id: str, login: str) -> str | None:
        async with self.sessions() as session:
            return await session.scalar(
                select(WrapupRow.code)
                .where(WrapupRow.call_id == call_id, WrapupRow.login == login)
                .order_by(WrapupRow.chosen_at.desc())
                .limit(1)
            )

    async def days(
        self,
        first: date,
        last: date,
        zone: ZoneInfo,
        names: dict[str, str],
    ) -> dict[tuple[date, str], AgentDay]:
        """Per (day, login): calls answered, talk, after-call work and pauses by reason.
        ``names``: login → the name the queues know them by (Asterisk's MemberName); a
        member that is no user is listed under that name."""
        start, end = _span(first, last, zone)
        by_name = {name: login for login, name in names.items()}
        out: dict[tuple[date, str], AgentDay] = {}

        def row(day: date, login: str) -> AgentDay:
            found = out.get((day, login))
            if found is None:
                found = out[(day, login)] = AgentDay(names.get(login, login))
            return found

        async with self.sessions() as session:
            visits = await session.execute(
                select(VisitRow.agent, VisitRow.joined_at, VisitRow.talk_seconds).where(
                    VisitRow.outcome == "answered",
                    VisitRow.joined_at >= start,
                    VisitRow.joined_at < end,
                    VisitRow.agent.is_not(None),
                )
            )
            for agent, joined, talk in visits:
                day = joined.astimezone(zone).date()
                member = str(agent)
                r = row(day, by_name.get(member, member))
                r.calls += 1
                r.talk_seconds += talk or 0
            periods = await session.execute(
                select(
                    AgentPeriodRow.login,
                    AgentPeriodRow.kind,
                    AgentPeriodRow.reason,
                    AgentPeriodRow.started_at,
                    AgentPeriodRow.seconds,
                ).where(AgentPeriodRow.started_at >= start, AgentPeriodRow.started_at < end)
            )
            for login, kind, reason, started, seconds in periods:
                r = row(started.astimezone(zone).date(), login)
                if kind == AFTER_CALL_KIND:
                    r.after_call_seconds += seconds
                else:
                    r.pause_seconds[reason] = r.pause_seconds.get(reason, 0) + seconds
        return out

    async def totals(
        self, first: date, last: date, zone: ZoneInfo, names: dict[str, str]
    ) -> dict[str, AgentDay]:
        """Per login over the days ``first`` to ``last``."""
        out: dict[str, AgentDay] = {}
        for (_day, login), d in (await self.days(first, last, zone, names)).items():
            t = out.setdefault(login, AgentDay(d.name))
            t.calls += d.calls
            t.talk_seconds += d.talk_seconds
            t.after_call_seconds += d.after_call_seconds
            for reason, seconds in d.pause_seconds.items():
                t.pause_seconds[reason] = t.pause_seconds.get(reason, 0) + seconds
        return out

    async def code_counts(
        self, first: date, last: date, zone: ZoneInfo
    ) -> dict[str, dict[str, int]]:
        """queue → code → how many calls got it, over the days ``first`` to ``last``."""
        start, end = _span(first, last, zone)
        out: dict[str, dict[str, int]] = defaultdict(dict)
        async with self.sessions() as session:
            rows = await session.execute(
                select(WrapupRow.queue, WrapupRow.code, func.count())
                .where(WrapupRow.chosen_at >= start, WrapupRow.chosen_at < end)
                .group_by(WrapupRow.queue, WrapupRow.code)
            )
            for queue, code, n in rows:
                out[queue][code] = int(n)
        return dict(out)
