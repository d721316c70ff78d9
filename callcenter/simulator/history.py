"""Weeks of past calls for the demo's store, made in a few seconds: the report pages and the
staffing advice have something to show on first run.

The same callers as the live traffic (``traffic.draw_caller``: topic mix, numbers, patience,
talk times) arrive by the same day profile; each is routed by the real decision
(``routing.decide``) on the site's hours and holidays. What then happens in the queue is
drawn, not simulated call by call: a wait that grows with the hour's load, an abandon when the
wait outlasts the caller's patience, a timeout onward to the lighthouse now and then; the
lighthouse triages in half the counter's time. Seeded: the same seed, the same history.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import datetime, timedelta

from callcenter.simulator.calls import LIGHTHOUSE_TALK_FACTOR
from callcenter.simulator.traffic import draw_caller, rate_factor
from callcenter.store.records import CallRecord, Outcome, Visit, VisitOutcome
from routing.decide import decide
from routing.site import Site
from routing.types import Target

__all__ = ["past_calls"]

MEAN_WAIT = 8.0
"""Seconds a caller waits on average (before the ring) at an hour of peak load."""
BUSY = 0.15
"""At peak load, the share of callers who meet a busy moment (everyone on a call): their
wait is fifteen times as long, and the impatient among them hang up."""


def past_calls(
    site: Site, until: datetime, days: int, calls_per_hour: float, seed: int = 1
) -> Iterator[CallRecord]:
    """The calls of the ``days`` days before ``until`` (local midnight of ``until``'s day)."""
    zone = site.zone
    end = until.astimezone(zone).replace(hour=0, minute=0, second=0, microsecond=0)
    start = end - timedelta(days=days)
    rng = random.Random(seed)
    peak = calls_per_hour / 3600.0
    at = start
    n = 0
    while True:
        at += timedelta(seconds=rng.expovariate(peak))
        if at >= end:
            return
        local = at.astimezone(zone)
        load = rate_factor(local)
        if site.holidays.is_holiday(local.date()):
            load *= 0.1
        if rng.random() >= load:
            continue
        n += 1
        yield _one(site, f"hist-{seed}-{n}", at, load, random.Random(seed * 7_919 + n))


def _one(site: Site, call_id: str, at: datetime, load: float, rng: random.Random) -> CallRecord:
    caller = draw_caller(site, rng)
    call = CallRecord(call_id, at, caller=caller.number, digits=caller.digits, site=caller.site)
    menu = at + timedelta(seconds=caller.menu_seconds)
    call.route_requested = call.redirected = menu
    if caller.hangup_in_menu:
        call.ended, call.outcome = menu, Outcome.ABANDONED
        return call
    d = decide(site.local(caller.site), caller.digits, caller.number, menu)
    call.decision = d
    if d.target is Target.LAST_RESORT or d.queue is None:
        call.last_resort = True
        call.ended, call.outcome = menu + timedelta(seconds=20), Outcome.LAST_RESORT
        return call
    joined = menu
    queue = d.queue
    patience = caller.patience
    talk = caller.talk_seconds
    for hop in range(2):
        lighthouse = queue == site.lighthouse.queue
        mean = MEAN_WAIT * (1.4 if lighthouse else 1.0) * (0.3 + load)
        if rng.random() < BUSY * load:
            mean *= 15
        wait = int(rng.expovariate(1 / mean)) + rng.randint(2, 6)  # + the ring
        timeout = not lighthouse and hop == 0 and rng.random() < 0.02
        if timeout:
            wait = 180
        left = joined + timedelta(seconds=min(wait, patience))
        visit = Visit(queue, joined, 1, f"{call_id}.{hop}", left)
        call.visits.append(visit)
        if timeout and patience > wait:
            visit.outcome, visit.wait_seconds = VisitOutcome.TIMEOUT, wait
            joined, queue = left, site.lighthouse.queue
            patience -= wait
            continue
        if patience <= wait:
            held = int(patience)
            short = held <= (site.lighthouse.short_abandon_seconds if lighthouse else 5)
            visit.outcome = VisitOutcome.ABANDONED_SHORT if short else VisitOutcome.ABANDONED
            visit.wait_seconds = held
            call.ended, call.outcome = left, Outcome.ABANDONED
            return call
        spoken = int(talk * (LIGHTHOUSE_TALK_FACTOR if lighthouse else 1.0))
        visit.outcome, visit.wait_seconds = VisitOutcome.ANSWERED, wait
        agent = rng.randint(1, 3)
        visit.agent, visit.talk_seconds = f"Agent {agent}", spoken
        partners = _partners(site, queue)
        if partners:  # a joint counter: its agents work for its partners in turn
            visit.organisation = partners[(agent - 1) % len(partners)]
        visit.ended_by = "agent" if caller.agent_hangs_up else "caller"
        call.ended, call.outcome = left + timedelta(seconds=spoken), Outcome.ANSWERED
        return call
    return call  # pragma: no cover - two hops always end above


def _partners(site: Site, queue: str) -> tuple[str, ...]:
    return next((c.partners for c in site.counters if c.queue == queue), ())
