"""Figures of the past: a day, a week, a month or any period of days (the site's local days),
per queue, counter and topic, with the definitions of ``docs/service.md`` (as
``callcenter/figures/stats.py`` and the wallboard count them).

Four grouped questions per report, side by side on their own connections, each reading
only the columns it needs over the period's index range: the queue visits per queue, topic,
outcome and whole-second wait (``ix_visits_joined``; the sums and the wait histograms in one
reading), the visits per UTC quarter hour, the calls per route and per UTC hour
(``ix_calls_started_route``, which holds the route's columns: the calls' wide rows are not
read). A visit counts in the period and the quarter hour in which it entered its queue, a call
in the one in which it started. Visits still going on, or never seen to end (``lost``), count
in no figure.
"""

from __future__ import annotations

import asyncio
from collections import Counter as Tallies
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Integer, and_, case, cast, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from callcenter.agents.records import AgentRecords
from callcenter.figures.stats import QueueFigures, thresholds
from callcenter.infra.csvout import to_csv
from callcenter.store.db import epoch_bucket
from callcenter.store.models import CallRow, StandInRow, VisitRow
from routing.site import Counter, Site

__all__ = ["TABLES", "Period", "Report", "build_report", "period"]

CLOSED = ("closed", "holiday", "closure", "override")
REFUSED = ("overflow", "no_agents")
REASON_HEADS = {
    "closed": "gesloten (uren)",
    "holiday": "feestdag",
    "closure": "geplande sluiting",
    "override": "uitzondering",
    "overflow": "te druk",
    "no_agents": "niemand aangemeld",
    "failsafe": "zonder Vuurtoren",
    "open": "open",
    "": "onbekend",
}
"""The routing reasons in the tables' words (pages and exports)."""
_SITE_FIELDS = ("arrived", "routed", "answered", "to_lighthouse", "last_resort")
NO_SITE = "(nummer onbekend)"
"""A region's calls that came in on no municipality's number (or before it was kept)."""
NO_ORGANISATION = "(zonder organisatie)"
"""A joint counter's calls answered at a phone of no user with an organisation."""
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
    "stand_ins",
    "stand_ins_answered",
)
FIELD_LABELS = {
    "queued": "in wachtrij",
    "answered": "beantwoord",
    "abandoned": "opgehangen",
    "abandoned_short": "kort opgehangen",
    "timeout": "doorgeschakeld",
    "callback": "terugbelverzoek",
    "abandon_rate": "opgehangen (aandeel)",
    "service_level": "servicelevel",
    "answer_rate": "beantwoord (aandeel)",
    "asa_seconds": "gem. wachttijd (s)",
    "aht_seconds": "gespreksduur (s)",
    "max_wait_seconds": "langste wachttijd (s)",
    "p90_wait_seconds": "90e percentiel wachttijd (s)",
    "stand_ins": "terugbelplaatsen",
    "stand_ins_answered": "terugbelplaatsen opgenomen",
}
"""Column headers of the queue figures (pages and CSV), in Dutch."""
_INTERVAL_FIELDS = (*_QUEUE_FIELDS[:6], "service_level", "asa_seconds")
_TOPIC_VISIT_FIELDS = (
    "queued",
    "abandoned",
    "service_level",
    "asa_seconds",
    "p90_wait_seconds",
    "max_wait_seconds",
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
class Report:
    period: Period
    data: dict[str, Any]

    def table(self, name: str) -> tuple[list[str], list[list[Any]]]:
        """One of :data:`TABLES` as a header and rows (for CSV)."""
        return TABLES[name](self.data)


def _queue_table(d: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    header = ["wachtrij", "naam", *(FIELD_LABELS[f] for f in _QUEUE_FIELDS)]
    return header, [[q["queue"], q["name"], *(q[f] for f in _QUEUE_FIELDS)] for q in d["queues"]]


def _counter_table(d: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    teams = bool(d["counters"]) and "own_worker" in d["counters"][0]
    header = [
        "loket",
        "naam",
        "binnen",
        "open",
        *(["naar eigen werker"] if teams else []),
        *(REASON_HEADS[r] for r in CLOSED),
        *(REASON_HEADS[r] for r in REFUSED),
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
            *([c["own_worker"]] if teams else []),
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
    header = [
        "onderwerp",
        "naam",
        "binnen",
        "beantwoord",
        "naar vuurtoren",
        "laatste uitweg",
        *(FIELD_LABELS[f] for f in _TOPIC_VISIT_FIELDS),
    ]
    rows = [
        [
            t["id"],
            t["label"],
            t["arrived"],
            t["answered"],
            t["to_lighthouse"],
            t["last_resort"],
            *(t["visits"][f] for f in _TOPIC_VISIT_FIELDS),
        ]
        for t in d["topics"]
    ]
    return header, rows


def _hour_table(d: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    return ["uur", "oproepen"], [[f"{h:02d}:00", n] for h, n in enumerate(d["by_hour"])]


def _weekday_table(d: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    return ["weekdag", "oproepen"], [[WEEKDAYS[i], n] for i, n in enumerate(d["by_weekday"])]


def _interval_table(d: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    header = ["kwartier", *(FIELD_LABELS[f] for f in _INTERVAL_FIELDS)]
    rows = [[i["start"], *(i[f] for f in _INTERVAL_FIELDS)] for i in d["intervals"]]
    return header, rows


def _lighthouse_table(d: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    total = d["totals"]["routed"]
    rows = [
        [REASON_HEADS.get(r, r), n, round(n / total, 4) if total else None]
        for r, n in d["lighthouse_by_reason"].items()
    ]
    return ["reden", "oproepen", "aandeel van alle oproepen"], rows


def _agent_table(d: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    reasons = sorted({r for a in d["agents"] for r in a["pause_seconds"]})
    header = [
        "dag",
        "medewerker",
        "oproepen",
        "gesprekstijd (s)",
        "nawerk (s)",
        "gem. afhandeltijd (s)",
        "pauze (s)",
        *(f"pauze: {r} (s)" for r in reasons),
    ]
    rows = [
        [
            date.fromisoformat(a["day"]),  # a day for the table (a date cell in Excel)
            a["name"],
            a["calls"],
            a["talk_seconds"],
            a["after_call_seconds"],
            a["handle_seconds"],
            a["paused_seconds"],
            *(a["pause_seconds"].get(r, 0) for r in reasons),
        ]
        for a in d["agents"]
    ]
    return header, rows


def _code_table(d: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    header = ["wachtrij", "naam", "afhandelcode", "oproepen", "aandeel van de wachtrij"]
    return header, [
        [c["queue"], c["name"], c["label"], c["calls"], c["share"]] for c in d["wrapup_codes"]
    ]


def _site_table(d: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    header = [
        "gemeente",
        "naam",
        "binnen",
        "gerouteerd",
        "beantwoord",
        "naar vuurtoren",
        "laatste uitweg",
    ]
    rows = [
        [
            s["id"] or "",
            s["name"],
            s["arrived"],
            s["routed"],
            s["answered"],
            s["to_lighthouse"],
            s["last_resort"],
        ]
        for s in d["sites"]
    ]
    return header, rows


def _organisation_table(d: dict[str, Any]) -> tuple[list[str], list[list[Any]]]:
    header = [
        "wachtrij",
        "naam",
        "organisatie",
        "beantwoord",
        "aandeel van de beantwoorde",
        FIELD_LABELS["asa_seconds"],
        FIELD_LABELS["aht_seconds"],
    ]
    rows = [
        [
            o["queue"],
            o["name"],
            o["organisation"] or NO_ORGANISATION,
            o["answered"],
            o["share"],
            o["asa_seconds"],
            o["aht_seconds"],
        ]
        for o in d["organisations"]
    ]
    return header, rows


TABLES = {
    "wachtrijen": _queue_table,
    "loketten": _counter_table,
    "onderwerpen": _topic_table,
    "uren": _hour_table,
    "weekdagen": _weekday_table,
    "kwartieren": _interval_table,
    "vuurtoren": _lighthouse_table,
    "medewerkers": _agent_table,
    "afhandelcodes": _code_table,
    "organisaties": _organisation_table,
    "gemeenten": _site_table,
}
"""Every table of a report, by the name its CSV export has."""


def report_csv(report: Report, table: str, *, excel: bool) -> str:
    header, rows = report.table(table)
    return to_csv(header, rows, excel=excel)


async def build_report(
    engine: AsyncEngine,
    region: Site,
    p: Period,
    agent_names: dict[str, str] | None = None,
    site_id: str | None = None,
) -> Report:
    """The period's figures. ``agent_names``: login → name of the agents (the agent table
    lists each under it; a queue member that is no user under the name Asterisk knows).
    ``site_id``: a region's municipality: only its calls (and their queue visits, in its
    own queues and the shared ones); the agents' days, wrap-up codes and callback stand-ins
    are the region's, and are left out. A region's report has a table per municipality."""
    chosen = region.municipality(site_id) if site_id else None
    one = chosen is not None
    site = chosen or region
    start, end = p.bounds(site)
    zone = site.zone
    lh = site.lighthouse
    dialect = engine.dialect.name
    sl = thresholds(site)
    names = {c.queue: c.name for c in site.counters}
    names[lh.queue] = lh.name

    # queue visits, added up in the database: per queue, outcome and wait (whole seconds: the
    # sums and the wait histogram in one reading), per UTC quarter hour and outcome
    wait = func.coalesce(VisitRow.wait_seconds, 0)
    talk = (func.sum(func.coalesce(VisitRow.talk_seconds, 0)), func.count(VisitRow.talk_seconds))
    ended = and_(
        VisitRow.joined_at >= start,
        VisitRow.joined_at < end,
        VisitRow.outcome.is_not(None),
        VisitRow.outcome != "lost",
        *((VisitRow.site == site.site_id,) if one else ()),
    )
    threshold = case(*((VisitRow.queue == q, t) for q, t in sl.items()), else_=20)
    in_sl = func.sum(cast(and_(VisitRow.outcome == "answered", wait <= threshold), Integer))
    quarter = epoch_bucket(dialect, VisitRow.joined_at, 900).label("quarter")
    # each visit carries its call's topic (migration 0011): the same reading gives the topics'
    by_wait = select(VisitRow.queue, VisitRow.topic, VisitRow.outcome, wait, func.count())
    by_wait = by_wait.add_columns(*talk).where(ended)
    by_quarter = select(quarter, VisitRow.outcome, func.count(), func.sum(wait), in_sl, *talk)
    by_quarter = by_quarter.where(ended)

    # calls: per what decided their way, and per UTC hour
    to_lh = case(
        (CallRow.target == "lighthouse", 1),
        (and_(CallRow.failsafe, CallRow.final_queue == lh.queue), 1),
        else_=0,
    ).label("to_lh")
    answered_lh = cast(
        and_(CallRow.outcome == "answered", CallRow.final_queue == lh.queue), Integer
    ).label("answered_lh")
    in_period = and_(
        CallRow.started_at >= start,
        CallRow.started_at < end,
        *((CallRow.site == site.site_id,) if one else ()),
    )
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
        *((CallRow.site,) if region.sites and not one else ()),
    )
    by_way = select(*way, func.count()).where(in_period)
    hour = epoch_bucket(dialect, CallRow.started_at, 3600).label("hour")
    by_hour_q = select(hour, func.count()).where(in_period)
    # queued callbacks' stand-ins: visits for Asterisk, no calls here; their own line
    stand_in = and_(StandInRow.joined_at >= start, StandInRow.joined_at < end)
    by_stand_in = select(StandInRow.queue, StandInRow.outcome, func.count()).where(stand_in)
    # a joint counter's answered visits per organisation of the agent who answered
    joint = {c.queue: c for c in site.counters if c.partners}
    by_org = (
        select(
            VisitRow.queue,
            VisitRow.organisation,
            func.count(),
            func.sum(wait),
            *talk,
        )
        .where(ended, VisitRow.outcome == "answered", VisitRow.queue.in_(list(joint)))
        .group_by(VisitRow.queue, VisitRow.organisation)
    )
    # independent questions, each on its own connection: they run side by side
    wait_rows, quarter_rows, way_rows, hour_rows, stand_in_rows, org_rows = await asyncio.gather(
        _rows(
            engine,
            by_wait.group_by(VisitRow.queue, VisitRow.topic, VisitRow.outcome, wait),
        ),
        _rows(engine, by_quarter.group_by(quarter, VisitRow.outcome)),
        _rows(engine, by_way.group_by(*way)),
        _rows(engine, by_hour_q.group_by(hour)),
        # the stand-ins are the region's: none in a municipality's report
        _nothing()
        if one
        else _rows(engine, by_stand_in.group_by(StandInRow.queue, StandInRow.outcome)),
        _rows(engine, by_org) if joint else _nothing(),
    )
    stand_ins: dict[str, Tallies[str]] = {}
    for queue, outcome, n in stand_in_rows:
        stand_ins.setdefault(queue, Tallies())[outcome] += int(n)

    queues = {q: QueueFigures(sl[q]) for q in [lh.queue, *(c.queue for c in site.counters)]}
    topic_figures = {t.id: QueueFigures() for t in site.topics}
    overall = QueueFigures()
    """Every queue visit of the period: the summary's service level, abandon rate, ASA and
    longest wait (each visit judged by its own queue's service-level threshold)."""
    for queue, topic, outcome, w, n, talked, talks in wait_rows:
        counted = (outcome, int(w), int(n), int(talked or 0), int(talks))
        figures = queues.get(queue) or queues.setdefault(queue, QueueFigures())
        figures.count(*counted)
        overall.count(*counted, threshold=figures.service_level_seconds)
        if topic in topic_figures:
            topic_figures[topic].count(*counted, threshold=figures.service_level_seconds)
    slots: dict[str, QueueFigures] = {}
    multi_day = p.days > 1
    for q15, outcome, n, w, s_in, talked, talks in quarter_rows:
        local = datetime.fromtimestamp(int(q15) * 900, UTC).astimezone(zone)
        key = f"{local:%H:%M}" if multi_day else local.isoformat()
        slots.setdefault(key, QueueFigures()).add_sums(
            outcome, int(n), int(w or 0), int(s_in or 0), int(talked or 0), int(talks)
        )

    has_teams = any(local.teams for local in (site, *site.sites))
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
            # neighbourhood teams: the calls first offered to the caller's own worker
            **({"own_worker": 0} if has_teams else {}),
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
    per_site: dict[str | None, Tallies[str]] = {
        s.site_id: Tallies() for s in (() if one else region.sites)
    }
    for row in way_rows:
        counter, topic, digits, target, reason, outcome, failsafe, lh_, ans_lh = row[:9]
        n = int(row[-1])
        mine = per_site.setdefault(row[9], Tallies()) if len(row) == 11 else Tallies()
        totals["arrived"] += n
        mine["arrived"] += n
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
        mine.update(routed=n, answered=answered, to_lighthouse=to_lighthouse, last_resort=last)
        closed = reason in CLOSED and target not in ("counter", "own_worker")
        if closed:
            totals["closed"] += n
            totals["closed_covered"] += n if ans_lh else 0
        if reason in REFUSED:
            totals["refused"] += n
        c = counters.get(counter or "")
        if c is not None:
            c["arrived"] += n
            c["open"] += n if target in ("counter", "own_worker") else 0
            if target == "own_worker" and "own_worker" in c:
                c["own_worker"] += n
            if closed:
                c["closed"][reason] += n
            if reason in REFUSED:
                c["refused"][reason] += n
            c["to_lighthouse"] += to_lighthouse
            c["last_resort"] += last
            c["answered"] += answered
        t = topics.get(topic or "") or topics.get(_topic_id(site, digits) or "")
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
        "overall": overall.as_json(),
        "queues": [
            {
                "queue": q,
                "name": names.get(q, q),
                "kind": "lighthouse" if q == lh.queue else "counter",
                **f.as_json(),
                "stand_ins": sum(stand_ins.get(q, Tallies()).values()),
                "stand_ins_answered": stand_ins.get(q, Tallies())["answered"],
            }
            for q, f in queues.items()
        ],
        "counters": [
            {**c, "closed": dict(c["closed"]), "refused": dict(c["refused"])}
            for c in counters.values()
        ],
        "topics": [{**t, "visits": topic_figures[t["id"]].as_json()} for t in topics.values()],
        "lighthouse_by_reason": dict(lighthouse_by_reason.most_common()),
        "by_hour": by_hour,
        "by_weekday": by_weekday,
        "intervals": [{"start": k, **slots[k].as_json(waits=False)} for k in sorted(slots)],
        "organisations": _organisations(joint, org_rows),
        "site": {"id": site.site_id, "name": site.name} if one else None,
        "sites": [
            {
                "id": sid,
                "name": region.local(sid).name if sid else NO_SITE,
                **{k: t[k] for k in _SITE_FIELDS},
            }
            for sid, t in per_site.items()
            if sid or t["arrived"]
        ],
        **(
            {"agents": [], "wrapup_codes": []}
            if one
            else await _agent_figures(engine, site, p, agent_names or {}, names)
        ),
    }
    return Report(p, data)


async def _agent_figures(
    engine: AsyncEngine, site: Site, p: Period, agent_names: dict[str, str], names: dict[str, str]
) -> dict[str, Any]:
    """Per agent and day: calls, talk, after-call work, handle time, pauses by reason; per
    queue: the wrap-up codes chosen (``callcenter/agents/records.py``)."""
    records = AgentRecords(engine)
    days = await records.days(p.start, p.end, site.zone, agent_names)
    codes = await records.code_counts(p.start, p.end, site.zone)
    agents = [
        {"day": day.isoformat(), "login": login, **figures.as_json()}
        for (day, login), figures in sorted(days.items(), key=lambda kv: (kv[0][0], kv[1].name))
    ]
    wrapups = []
    for queue in sorted(codes, key=lambda q: names.get(q, q)):
        labels = dict(site.wrapup_codes(queue))
        total = sum(codes[queue].values())
        for code, n in sorted(codes[queue].items(), key=lambda kv: -kv[1]):
            wrapups.append(
                {
                    "queue": queue,
                    "name": names.get(queue, queue),
                    "code": code,
                    "label": labels.get(code, code),
                    "calls": n,
                    "share": round(n / total, 4) if total else None,
                }
            )
    return {"agents": agents, "wrapup_codes": wrapups}


def _organisations(joint: dict[str, Counter], rows: list[Any]) -> list[dict[str, Any]]:
    """Per joint counter, its answered calls per partner organisation (every partner listed,
    then the calls answered at a phone of no organisation, when there are): the rows add up
    to the counter's answered visits."""
    got: dict[tuple[str, str | None], Tallies[str]] = {}
    for queue, org, n, waited, talked, talks in rows:
        key = (queue, org if org in joint[queue].partners else None)
        got.setdefault(key, Tallies()).update(
            n=int(n), waited=int(waited or 0), talked=int(talked or 0), talks=int(talks)
        )
    out = []
    for queue, counter in joint.items():
        total = sum(v["n"] for (q, _), v in got.items() if q == queue)
        orgs: list[str | None] = [*counter.partners]
        if (queue, None) in got:
            orgs.append(None)
        for org in orgs:
            t = got.get((queue, org), Tallies())
            n = t["n"]
            out.append(
                {
                    "queue": queue,
                    "name": counter.name,
                    "organisation": org,
                    "answered": n,
                    "share": round(n / total, 4) if total else None,
                    "asa_seconds": round(t["waited"] / n, 1) if n else None,
                    "aht_seconds": round(t["talked"] / t["talks"], 1) if t["talks"] else None,
                }
            )
    return out


async def _nothing() -> list[Any]:
    return []


async def _rows(engine: AsyncEngine, stmt: Any) -> list[Any]:
    async with engine.connect() as conn:
        return list((await conn.execute(stmt)).all())


def _topic_id(site: Site, digits: str | None) -> str | None:
    """The topic a call chose by its keys (calls stored before topics were kept by id)."""
    found = site.find_topic(digits) if digits else None
    return found.id if found else None
