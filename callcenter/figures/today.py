"""The wallboard: what a manager's wall screen shows, live, for the site's day.

A tile per counter and for the lighthouse: open or closed and why (hours, holiday, planned
closure, a manager's override and by whom), the next change, who waits and since when (the
screen ticks the longest wait itself), the agents (logged in, available, on a call, paused),
and today's figures (queued, answered, abandoned with the short ones apart, service level,
ASA), with the definitions of ``docs/service.md``. The lighthouse tile adds who holds the
duty, today's lighthouse calls by reason and the callbacks Vuurtoren is dialling. A site
summary: calls now, calls today, lighthouse share, closed-hours coverage and the share of
calls answered in the first queue they reached.

Today's figures come from :class:`Today`: every call that ended today (local day of the
site, by the service's clock: the demo's is virtual) is added once; calls still up add the
visits that have ended. A visit counts on the day it entered its queue, a call on the day it
started. At start the day's ended calls are read back from the store.
"""

from __future__ import annotations

from collections import Counter as Tallies
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from callcenter.calls.tracker import LiveQueue
from callcenter.figures.stats import QueueFigures
from callcenter.store.records import CallRecord, VisitOutcome
from routing.decide import place_state
from routing.site import Site
from routing.types import Reason, Target
from schedules.hours import Hours
from schedules.overrides import ALL_COUNTERS, LIGHTHOUSE, Override

__all__ = ["CLOSED_REASONS", "Today", "attention", "build_board", "change_label"]

WAITING_SHOWN = 10
"""Join times a tile carries (the longest waiting first): the screen ticks the first; a
long queue does not make every board it sends grow."""
CLOSED_REASONS = frozenset({Reason.CLOSED, Reason.HOLIDAY, Reason.CLOSURE, Reason.OVERRIDE})
"""Why a call that found its counter closed went on (``override``: a manager closed it)."""
REASON_LABELS = {
    "open": "open volgens de openingsuren",
    "closed": "gesloten volgens de openingsuren",
    "holiday": "feestdag",
    "closure": "geplande sluiting",
    "override": "uitzondering van een beheerder",
    "overflow": "te druk aan het loket",
    "no_agents": "niemand aangemeld aan het loket",
    "failsafe": "doorgeschakeld zonder Vuurtoren",
}


@dataclass(slots=True)
class _Day:
    queues: dict[str, QueueFigures]
    calls: int = 0
    routed: int = 0
    lighthouse: Tallies[str] = field(default_factory=Tallies)
    """Calls routed to the lighthouse, by reason (``failsafe`` when the dialplan did it)."""
    closed: int = 0
    closed_covered: int = 0
    last_resort: int = 0
    queued_calls: int = 0
    first_queue_answered: int = 0

    def copy(self) -> _Day:
        return replace(
            self,
            queues={q: t.copy() for q, t in self.queues.items()},
            lighthouse=Tallies(self.lighthouse),
        )


class Today:
    """The day's figures (site's local day, service's clock)."""

    def __init__(self, site: Site, now: Callable[[], datetime]) -> None:
        self.site = site
        self.now = now
        self.day: date = now().astimezone(site.zone).date()
        self._base = self._empty()

    def _empty(self) -> _Day:
        site = self.site
        queues = {site.lighthouse.queue: QueueFigures(site.lighthouse.service_level_seconds)}
        for c in site.counters:
            queues[c.queue] = QueueFigures(c.service_level_seconds)
        return _Day(queues)

    def _local_day(self, at: datetime) -> date:
        return at.astimezone(self.site.zone).date()

    def _roll(self) -> None:
        day = self._local_day(self.now())
        if day != self.day:
            self.day, self._base = day, self._empty()

    def add(self, call: CallRecord) -> None:
        """A call that ended (the tracker's ``on_end``)."""
        self._roll()
        self._count(call, self._base, ended=True)

    def load(self, calls: Iterable[CallRecord]) -> None:
        """The day's ended calls, read back at start."""
        self._roll()
        for call in calls:
            if call.outcome is not None:
                self._count(call, self._base, ended=True)

    def figures(self, up: Iterable[CallRecord] = ()) -> _Day:
        """The day so far: the ended calls, and what has ended of the calls still up."""
        self._roll()
        day = self._base.copy()
        for call in up:
            self._count(call, day, ended=False)
        return day

    def _count(self, call: CallRecord, day: _Day, *, ended: bool) -> None:
        for visit in call.visits:
            if visit.outcome is not None and self._local_day(visit.joined) == self.day:
                tally = day.queues.get(visit.queue)
                if tally is None:
                    tally = day.queues[visit.queue] = QueueFigures()
                tally.add(visit)
        if self._local_day(call.started) != self.day:
            return
        day.calls += 1
        lighthouse = self.site.lighthouse.queue
        d = call.decision
        if d is not None or call.failsafe:
            day.routed += 1
        if d is not None and d.target is Target.LIGHTHOUSE:
            day.lighthouse[d.reason.value] += 1
        elif d is None and call.failsafe and any(v.queue == lighthouse for v in call.visits):
            day.lighthouse["failsafe"] += 1
        if (
            d is not None
            and d.target not in (Target.COUNTER, Target.OWN_WORKER)
            and d.reason in CLOSED_REASONS
        ):
            day.closed += 1
            answered = call.answered_visit
            if answered is not None and answered.queue == lighthouse:
                day.closed_covered += 1
        if ended and (call.last_resort or (d is not None and d.target is Target.LAST_RESORT)):
            day.last_resort += 1
        if call.visits and call.visits[0].outcome is not None:
            day.queued_calls += 1
            day.first_queue_answered += call.visits[0].outcome is VisitOutcome.ANSWERED


def attention(longest_wait: int | None, service_level: float | None, site: Site) -> tuple[str, str]:
    """(level, Dutch reason): ``red``, ``amber`` or ``ok``, by ``[wallboard]``."""
    w = site.wallboard
    target = w.service_level_percent / 100
    far_below = (w.service_level_percent - 10) / 100
    if longest_wait is not None and longest_wait >= w.wait_red_seconds:
        return "red", "lange wachttijd"
    if service_level is not None and service_level < far_below:
        return "red", "servicelevel ver onder doel"
    if longest_wait is not None and longest_wait >= w.wait_amber_seconds:
        return "amber", "wachttijd loopt op"
    if service_level is not None and service_level < target:
        return "amber", "servicelevel onder doel"
    return "ok", ""


def _next_change(
    site: Site, scope: str, hours: Hours, at: datetime, overrides: Sequence[Override]
) -> datetime | None:
    """When the place's open/closed state next changes (hours and overrides)."""
    now_open = place_state(site, scope, hours, at, overrides).open
    cursor = at
    for _ in range(20):
        candidates = [hours.next_change(cursor)]
        for ov in overrides:
            if ov.scope in (scope, ALL_COUNTERS if scope != LIGHTHOUSE else scope):
                candidates += [t for t in (ov.starts, ov.ends) if t is not None and t > cursor]
        upcoming = [c for c in candidates if c is not None and c > cursor]
        if not upcoming:
            return None
        cursor = min(upcoming)
        if place_state(site, scope, hours, cursor, overrides).open != now_open:
            return cursor
    return None


_DAYS = ("ma", "di", "wo", "do", "vr", "za", "zo")


def change_label(nxt: datetime | None, at: datetime, is_open: bool, site: Site) -> str:
    """ "sluit om 12:00", "opent morgen om 08:30", "opent ma 30/11 om 09:00" (local time)."""
    if nxt is None:
        return "blijft open" if is_open else "geen opening gepland"
    verb = "sluit" if is_open else "opent"
    local = nxt.astimezone(site.zone)
    today = at.astimezone(site.zone).date()
    clock = f"{local:%H:%M}"
    if local.date() == today:
        return f"{verb} om {clock}"
    if (local.date() - today).days == 1:
        return f"{verb} morgen om {clock}"
    return f"{verb} {_DAYS[local.weekday()]} {local.day}/{local.month} om {clock}"


def _override_label(ov: Override | None) -> str:
    if ov is None:
        return ""
    what = "geplande sluiting" if ov.kind == "closure" else "uitzondering"
    by = f" door {ov.created_by}" if ov.created_by else ""
    note = f": {ov.note}" if ov.note else ""
    return f"{what}{by}{note}"


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def build_board(
    site: Site,
    at: datetime,
    queues: dict[str, LiveQueue],
    overrides: Sequence[Override],
    today: _Day,
    *,
    calls_now: int,
    connected: str,
    speed: float,
    on_duty: Sequence[str] = (),
    callbacks_waiting: int = 0,
    alerts: Sequence[dict[str, str]] = (),
) -> dict[str, Any]:
    """The wallboard's JSON: everything a tile shows, the site summary, the thresholds."""
    zone = site.zone

    def tile(
        kind: str, pid: str, scope: str, name: str, queue: str, hours: Hours
    ) -> dict[str, Any]:
        state = place_state(site, scope, hours, at, overrides)
        live = queues.get(queue) or LiveQueue(queue)
        snap = live.snapshot(at)
        tally = today.queues.get(queue) or QueueFigures()
        since = sorted(live.waiting.values())
        nxt = _next_change(site, scope, hours, at, overrides)
        ov = state.override
        longest = snap["oldest_wait_seconds"]
        level, why = attention(
            longest if isinstance(longest, int) else None, tally.service_level, site
        )
        can_answer = live.staffing(at)
        if state.open and not can_answer:  # paused or away members answer nobody
            level, why = "red", "open, maar niemand kan opnemen"
        return {
            "id": pid,
            "kind": kind,
            "name": name,
            "queue": queue,
            "open": state.open,
            "reason": state.reason.value,
            "reason_label": REASON_LABELS.get(state.reason.value, state.reason.value),
            "override": None
            if ov is None
            else {
                "by": ov.created_by,
                "note": ov.note,
                "kind": ov.kind,
                "until": ov.ends.astimezone(zone).isoformat() if ov.ends else None,
            },
            "next_change": nxt.astimezone(zone).isoformat() if nxt else None,
            "next_change_label": change_label(nxt, at, state.open, site),
            "override_label": _override_label(ov),
            "waiting": snap["waiting"],
            "waiting_since": [t.astimezone(zone).isoformat() for t in since[:WAITING_SHOWN]],
            "longest_wait_seconds": snap["oldest_wait_seconds"],
            "logged_in": snap["logged_in"],
            "available": snap["available"],
            "busy": snap["busy"],
            "paused": snap["paused"],
            "can_answer": can_answer,
            "today": tally.as_json(),
            "attention": level,
            "attention_label": why,
        }

    lh = site.lighthouse
    lighthouse = tile("lighthouse", "lighthouse", LIGHTHOUSE, lh.name, lh.queue, lh.hours)
    lighthouse.update(
        on_duty=list(on_duty),
        by_reason=dict(sorted(today.lighthouse.items())),
        callbacks_waiting=callbacks_waiting,
    )
    tiles = [lighthouse]
    for c in site.counters:
        t = tile("counter", c.id, c.id, c.name, c.queue, c.hours)
        t["organisation"] = c.organisation
        if site.sites:  # a region: whose counter it is (None: a shared service)
            t["site"] = site.site_of_counter(c.id)
        tiles.append(t)
    lighthouse_calls = sum(today.lighthouse.values())
    return {
        "site": site.name,
        "zone": zone.key,
        "at": at.astimezone(zone).isoformat(),
        "speed": speed,
        "connected": connected,
        "thresholds": {
            "wait_amber_seconds": site.wallboard.wait_amber_seconds,
            "wait_red_seconds": site.wallboard.wait_red_seconds,
            "service_level_percent": site.wallboard.service_level_percent,
        },
        "summary": {
            "calls_now": calls_now,
            "calls_today": today.calls,
            "routed_today": today.routed,
            "lighthouse_calls": lighthouse_calls,
            "lighthouse_share": _ratio(lighthouse_calls, today.routed),
            "closed_calls": today.closed,
            "closed_coverage": _ratio(today.closed_covered, today.closed),
            "first_queue_share": _ratio(today.first_queue_answered, today.queued_calls),
            "last_resort": today.last_resort,
        },
        "tiles": tiles,
        "alerts": list(alerts),
        "reasons": REASON_LABELS,
    }
