"""Figures of the past: a day, a week, a month or any period of days (the site's local days),
per queue, counter and topic, with the definitions of ``shared/DESIGN.md`` (as
``callcenter/stats.py`` and the wallboard count them).

Two queries per report, each reading only the columns it needs over the period's index range
(``ix_calls_started_at``, ``ix_queue_visits_joined``): the calls (arrivals, why they went
where they went) and the queue visits (what became of each caller in each queue). A visit
counts in the period and the quarter hour in which it entered its queue, a call in the one in
which it started. Visits still going on, or never seen to end (``lost``), count in no figure.
"""

from __future__ import annotations

import asyncio
from collections import Counter as Tallies
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Integer, and_, case, cast, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from callcenter.csvout import to_csv
from callcenter.store.db import epoch_bucket
from callcenter.store.models import CallRow, VisitRow
from routing.site import Site

__all__ = ["TABLES", "Period", "Report", "build_report", "period"]

CLOSED = ("closed", "holiday", "closure", "override")
REFUSED = ("overflow", "no_agents")
WEEKDAYS = ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag")
MAX_DAYS = 366
_QUEUE_FIELDS = (
    "queued",
    "answered",
    "abandoned",
    "abandoned_short",
    "timeout",
    "callback",
    "abandon_rate",
    "service_level",
    "answer_rate",
    "asa_seconds",
    "aht_seconds",
    "max_wait_seconds",
    "p90_wait_seconds",
)


@dataclass(frozen=True, slots=True)
class Period:
    start: date
    end: date
    """Inclusive."""
    kind: str
    """``day``, ``week``, ``month`` or ``period``."""

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def bounds(self, site: Site) -> tuple[datetime, datetime]:
        """The period as instants: local midnight to local midnight (DST included)."""
        zone = site.zone
        return (
            datetime.combine(self.start, time(0), zone),
            datetime.combine(self.end + timedelta(days=1), time(0), zone),
        )

    def label(self) -> str:
        if self.kind == "day":
            return f"{WEEKDAYS[self.start.weekday()]} {self.start:%d/%m/%Y}"
        return f"{self.start:%d/%m/%Y} – {self.end:%d/%m/%Y}"


def period(kind: str, day: date, end: date | None = None) -> Period:
    """The day, the week (Monday to Sunday) or the month holding ``day``; or the days
    ``day`` to ``end``. :class:`ValueError` names what is wrong."""
    if kind == "day":
        return Period(day, day, kind)
    if kind == "week":
        start = day - timedelta(days=day.weekday())
        return Period(start, start + timedelta(days=6), kind)
    if kind == "month":
        start = day.replace(day=1)
        nxt = (start + timedelta(days=32)).replace(day=1)
        return Period(start, nxt - timedelta(days=1), kind)
    if kind == "period":
        if end is None or end < day:
            raise ValueError("tot: a day on or after van")
        if (end - day).days + 1 > MAX_DAYS:
            raise ValueError(f"at most {MAX_DAYS} days")
        return Period(day, end, kind)
    raise ValueError("soort: day, week, month or period")


@dataclass(slots=True)
class _QueueFigures:
    """Sums of one queue's (or quarter hour's) visits, added a group at a time from SQL;
    waits as a histogram (whole seconds) for the longest and the 90th percentile."""

    queued: int = 0
    answered: int = 0
    abandoned: int = 0
    abandoned_short: int = 0
    timeout: int = 0
    callback: int = 0
    answered_in_sl: int = 0
    answer_wait: int = 0
    abandon_wait: int = 0
    talk: int = 0
    talks: int = 0
    waits: dict[int, int] = field(default_factory=dict)

    def add(
        self, outcome: str | None, n: int, wait: int, in_sl: int, talk: int, talks: int
    ) -> None:
        """``n`` visits that ended as ``outcome``, their summed wait and talk."""
        self.queued += n
        if outcome == "answered":
            self.answered += n
            self.answer_wait += wait
            self.answered_in_sl += in_sl
            self.talk += talk
            self.talks += talks
        elif outcome == "abandoned":
            self.abandoned += n
            self.abandon_wait += wait
        elif outcome == "abandoned_short":
            self.abandoned_short += n
        elif outcome == "timeout":
            self.timeout += n
        elif outcome == "callback":
            self.callback += n

    def as_json(self, *, waits: bool = True) -> dict[str, Any]:
        def ratio(a: int, b: int) -> float | None:
            return round(a / b, 4) if b else None

        out: dict[str, Any] = {
            "queued": self.queued,
            "answered": self.answered,
            "abandoned": self.abandoned,
            "abandoned_short": self.abandoned_short,
            "timeout": self.timeout,
            "callback": self.callback,
            "abandon_rate": ratio(
                self.abandoned, self.queued - self.abandoned_short - self.callback
            ),
            "service_level": ratio(
                self.answered_in_sl, self.answered + self.abandoned + self.timeout
            ),
            "answer_rate": ratio(self.answered, self.queued - self.abandoned_short),
            "asa_seconds": round(self.answer_wait / self.answered, 1) if self.answered else None,
            "aht_seconds": round(self.talk / self.talks, 1) if self.talks else None,
        }
        if waits:
            out["max_wait_seconds"] = max(self.waits, default=None)
            out["p90_wait_seconds"] = _rank(self.waits, 0.9)
        return out


def _rank(histogram: dict[int, int], share: float) -> int | None:
    """The value at rank ``int(share * n)`` of the sorted values (as ``callcenter/stats.py``)."""
    n = sum(histogram.values())
    if not n:
        return None
    wanted = min(n - 1, int(share * n))
    seen = 0
    for value in sorted(histogram):
        seen += histogram[value]
        if seen > wanted:
            return value
    return None  # pragma: no cover - the loop always returns


@dataclass(slots=True)
class Report:
    period: Period
    data: dict[str, Any]

    def table(self, name: str) -> tuple[list[str], list[list[Any]]]:
        """One of :data:`TABLES` as a header and rows (for CSV)."""
        return TABLES[name](self.data)


def _queue_table(d: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    header = ["wachtrij", "naam", *_QUEUE_FIELDS]
    return header, [[q["queue"], q["name"], *(q[f] for f in _QUEUE_FIELDS)] for q in d["queues"]]


def _counter_table(d: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    header = [
        "loket",
        "naam",
        "binnen",
        "open",
        *CLOSED,
        *REFUSED,
        "naar vuurtoren",
        "laatste uitweg",
        "beantwoord",
    ]
    rows = [
        [
            c["id"],
            c["name"],
            c["arrived"],
            c["open"],
            *(c["closed"].get(r, 0) for r in CLOSED),
            *(c["refused"].get(r, 0) for r in REFUSED),
            c["to_lighthouse"],
            c["last_resort"],
            c["answered"],
        ]
        for c in d["counters"]
    ]
    return header, rows


def _topic_table(d: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    header = ["onderwerp", "label", "binnen", "beantwoord", "naar vuurtoren", "laatste uitweg"]
    rows = [
        [t["id"], t["label"], t["arrived"], t["answered"], t["to_lighthouse"], t["last_resort"]]
        for t in d["topics"]
    ]
    return header, rows


def _hour_table(d: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    return ["uur", "oproepen"], [[f"{h:02d}:00", n] for h, n in enumerate(d["by_hour"])]


def _weekday_table(d: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    return ["weekdag", "oproepen"], [[WEEKDAYS[i], n] for i, n in enumerate(d["by_weekday"])]


def _interval_table(d: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    header = [
        "kwartier",
        "in wachtrij",
        "beantwoord",
        "opgehangen",
        "kort opgehangen",
        "doorgeschakeld",
        "terugbellen",
        "servicelevel",
        "gem. wachttijd",
    ]
    rows = [
        [
            i["start"],
            i["queued"],
            i["answered"],
            i["abandoned"],
            i["abandoned_short"],
            i["timeout"],
            i["callback"],
            i["service_level"],
            i["asa_seconds"],
        ]
        for i in d["intervals"]
    ]
    return header, rows


def _lighthouse_table(d: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    total = d["totals"]["routed"]
    rows = [
        [r, n, round(n / total, 4) if total else None] for r, n in d["lighthouse_by_reason"].items()
    ]
    return ["reden", "oproepen", "aandeel van alle oproepen"], rows


TABLES = {
    "wachtrijen": _queue_table,
    "loketten": _counter_table,
    "onderwerpen": _topic_table,
    "uren": _hour_table,
    "weekdagen": _weekday_table,
    "kwartieren": _interval_table,
    "vuurtoren": _lighthouse_table,
}
"""Every table of a report, by the name its CSV export has."""


def report_csv(report: Report, table: str, *, excel: bool) -> str:
    header, rows = report.table(table)
    return to_csv(header, rows, excel=excel)


async def build_report(engine: AsyncEngine, site: Site, p: Period) -> Report:
    start, end = p.bounds(site)
    zone = site.zone
    lh = site.lighthouse
    dialect = engine.dialect.name
    sl = {c.queue: c.service_level_seconds for c in site.counters}
    sl[lh.queue] = lh.service_level_seconds
    names = {c.queue: c.name for c in site.counters}
    names[lh.queue] = lh.name

    # queue visits, added up in the database: per queue and outcome, per queue and wait (the
    # histogram), per UTC quarter hour and outcome
    wait = func.coalesce(VisitRow.wait_seconds, 0)
    threshold = case(*((VisitRow.queue == q, t) for q, t in sl.items()), else_=20)
    in_sl = func.sum(cast(and_(VisitRow.outcome == "answered", wait <= threshold), Integer))
    sums = (
        func.count(),
        func.sum(wait),
        in_sl,
        func.sum(func.coalesce(VisitRow.talk_seconds, 0)),
        func.count(VisitRow.talk_seconds),
    )
    ended = and_(
        VisitRow.joined_at >= start,
        VisitRow.joined_at < end,
        VisitRow.outcome.is_not(None),
        VisitRow.outcome != "lost",
    )
    quarter = epoch_bucket(dialect, VisitRow.joined_at, 900).label("quarter")
    by_queue = select(VisitRow.queue, VisitRow.outcome, *sums).where(ended)
    by_wait = select(VisitRow.queue, wait, func.count()).where(ended)
    by_quarter = select(quarter, VisitRow.outcome, *sums).where(ended)

    # calls: per what decided their way, and per UTC hour
    to_lh = case(
        (CallRow.target == "lighthouse", 1),
        (and_(CallRow.failsafe, CallRow.final_queue == lh.queue), 1),
        else_=0,
    ).label("to_lh")
    answered_lh = cast(
        and_(CallRow.outcome == "answered", CallRow.final_queue == lh.queue), Integer
    ).label("answered_lh")
    in_period = and_(CallRow.started_at >= start, CallRow.started_at < end)
    way = (
        CallRow.counter,
        CallRow.topic,
        CallRow.digits,
        CallRow.target,
        CallRow.reason,
        CallRow.outcome,
        CallRow.failsafe,
        to_lh,
        answered_lh,
    )
    by_way = select(*way, func.count()).where(in_period)
    hour = epoch_bucket(dialect, CallRow.started_at, 3600).label("hour")
    by_hour_q = select(hour, func.count()).where(in_period)
    # five independent questions, each on its own connection: they run side by side
    queue_rows, wait_rows, quarter_rows, way_rows, hour_rows = await asyncio.gather(
        _rows(engine, by_queue.group_by(VisitRow.queue, VisitRow.outcome)),
        _rows(engine, by_wait.group_by(VisitRow.queue, wait)),
        _rows(engine, by_quarter.group_by(quarter, VisitRow.outcome)),
        _rows(engine, by_way.group_by(*way)),
        _rows(engine, by_hour_q.group_by(hour)),
    )

    queues = {q: _QueueFigures() for q in [lh.queue, *(c.queue for c in site.counters)]}
    for queue, outcome, n, w, s_in, talk, talks in queue_rows:
        queues.setdefault(queue, _QueueFigures()).add(
            outcome, int(n), int(w or 0), int(s_in or 0), int(talk or 0), int(talks)
        )
    for queue, w, n in wait_rows:
        histogram = queues.setdefault(queue, _QueueFigures()).waits
        histogram[int(w)] = histogram.get(int(w), 0) + int(n)
    slots: dict[str, _QueueFigures] = {}
    multi_day = p.days > 1
    for q15, outcome, n, w, s_in, talk, talks in quarter_rows:
        local = datetime.fromtimestamp(int(q15) * 900, UTC).astimezone(zone)
        key = f"{local:%H:%M}" if multi_day else local.isoformat()
        slots.setdefault(key, _QueueFigures()).add(
            outcome, int(n), int(w or 0), int(s_in or 0), int(talk or 0), int(talks)
        )

    counters: dict[str, dict[str, Any]] = {
        c.id: {
            "id": c.id,
            "name": c.name,
            "arrived": 0,
            "open": 0,
            "closed": Tallies[str](),
            "refused": Tallies[str](),
            "to_lighthouse": 0,
            "last_resort": 0,
            "answered": 0,
        }
        for c in site.counters
    }
    topics: dict[str, dict[str, Any]] = {
        t.id: {
            "id": t.id,
            "label": t.label,
            "arrived": 0,
            "answered": 0,
            "to_lighthouse": 0,
            "last_resort": 0,
        }
        for t in site.topics
    }
    by_hour = [0] * 24
    by_weekday = [0] * 7
    for h, n in hour_rows:
        local = datetime.fromtimestamp(int(h) * 3600, UTC).astimezone(zone)
        by_hour[local.hour] += int(n)
        by_weekday[local.weekday()] += int(n)
    lighthouse_by_reason: Tallies[str] = Tallies()
    totals: Tallies[str] = Tallies()
    for counter, topic, digits, target, reason, outcome, failsafe, lh_, ans_lh, n in way_rows:
        n = int(n)
        totals["arrived"] += n
        if target is None and not failsafe:
            continue  # hung up in the menu: arrived, never routed
        totals["routed"] += n
        answered = n if outcome == "answered" else 0
        totals["answered"] += answered
        to_lighthouse = n if lh_ else 0
        if lh_:
            lighthouse_by_reason[reason or ("failsafe" if failsafe else "")] += n
        last = n if (target == "last_resort" or outcome == "last_resort") else 0
        totals["last_resort"] += last
        closed = reason in CLOSED and target != "counter"
        if closed:
            totals["closed"] += n
            totals["closed_covered"] += n if ans_lh else 0
        if reason in REFUSED:
            totals["refused"] += n
        c = counters.get(counter or "")
        if c is not None:
            c["arrived"] += n
            c["open"] += n if target == "counter" else 0
            if closed:
                c["closed"][reason] += n
            if reason in REFUSED:
                c["refused"][reason] += n
            c["to_lighthouse"] += to_lighthouse
            c["last_resort"] += last
            c["answered"] += answered
        t = topics.get(topic or "") or _topic_by_digits(site, digits, topics)
        if t is not None:
            t["arrived"] += n
            t["answered"] += answered
            t["to_lighthouse"] += to_lighthouse
            t["last_resort"] += last

    routed = totals["routed"]
    lighthouse_calls = sum(lighthouse_by_reason.values())
    data = {
        "period": {
            "kind": p.kind,
            "start": p.start.isoformat(),
            "end": p.end.isoformat(),
            "label": p.label(),
            "days": p.days,
        },
        "totals": {
            "arrived": totals["arrived"],
            "routed": routed,
            "answered": totals["answered"],
            "lighthouse": lighthouse_calls,
            "lighthouse_share": round(lighthouse_calls / routed, 4) if routed else None,
            "closed": totals["closed"],
            "closed_coverage": round(totals["closed_covered"] / totals["closed"], 4)
            if totals["closed"]
            else None,
            "refused": totals["refused"],
            "last_resort": totals["last_resort"],
        },
        "queues": [
            {
                "queue": q,
                "name": names.get(q, q),
                "kind": "lighthouse" if q == lh.queue else "counter",
                **f.as_json(),
            }
            for q, f in queues.items()
        ],
        "counters": [
            {**c, "closed": dict(c["closed"]), "refused": dict(c["refused"])}
            for c in counters.values()
        ],
        "topics": list(topics.values()),
        "lighthouse_by_reason": dict(lighthouse_by_reason.most_common()),
        "by_hour": by_hour,
        "by_weekday": by_weekday,
        "intervals": [{"start": k, **slots[k].as_json(waits=False)} for k in sorted(slots)],
    }
    return Report(p, data)


async def _rows(engine: AsyncEngine, stmt: Any) -> list[Any]:
    async with engine.connect() as conn:
        return list((await conn.execute(stmt)).all())


def _topic_by_digits(
    site: Site, digits: str | None, topics: dict[str, dict[str, Any]]
) -> dict[str, Any] | None:
    found = site.find_topic(digits) if digits else None
    return topics.get(found.id) if found else None
