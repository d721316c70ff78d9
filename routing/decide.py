"""The routing decision: where does this call go now?

A pure function of (site, topic, caller, time, live queue state, overrides). No I/O, no clock:
the caller of :func:`decide` passes the time. The rules, in order:

1. The topic is matched by digit or id; none or unknown gives the site's default topic.
2. An active override of the counter (or of all counters) forces it closed or open.
3. Counter open: its queue, unless no agent is logged in (``no_agents``), callers waiting
   reach ``max_waiting`` or the expected wait exceeds ``max_wait_seconds`` (``overflow``).
   A counter forced open by an override still overflows: an empty queue helps nobody.
4. Counter closed: the lighthouse when it is open (its hours, no closing override, and not
   known to be unstaffed); reason ``holiday`` on a public holiday, ``closed`` otherwise
   (``override`` when a manager's override closed it, ``closure`` for a planned closure).
   Precedence: override, then closure or holiday, then the hours.
5. Lighthouse closed too (or overflowing away from an open counter with the lighthouse
   closed): ``last_resort``, with the same reason.

Neighbourhood teams (``site.teams``): on the teams' topic, ``team`` (the caller's own team,
found by the service in the consent register or from the postcode keyed in) takes the place
of the topic's counter in the rules above. ``worker``: the phone of the caller's own social
worker, given by the service only when that worker is logged in and free; while the team is
open (rule 2 or its hours) the call goes there first (``own_worker``), then to the team's
queue. The decision stays pure: who is registered, logged in or free is the caller's to say.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from routing.site import Counter, Location, Site
from routing.types import Decision, QueueState, Reason, Target
from schedules.hours import Hours, require_aware
from schedules.overrides import CLOSURE, LIGHTHOUSE, Override, OverrideMode, active_override

__all__ = [
    "PlaceState",
    "decide",
    "expected_wait_seconds",
    "next_open",
    "next_session",
    "place_state",
]

_UNKNOWN = QueueState()


def expected_wait_seconds(state: QueueState, average_handle_seconds: float) -> float | None:
    """A new caller's expected wait: the work ahead of them shared over the agents.

    Asterisk's own estimate (``Holdtime``) wins when the live state carries it; otherwise the
    callers ahead times the counter's average handle time, divided over the agents logged in.
    None when nothing is known.
    """
    if state.expected_wait_seconds is not None:
        return state.expected_wait_seconds
    if state.waiting is None or state.agents is None or state.agents <= 0:
        return None
    return state.waiting * average_handle_seconds / state.agents


@dataclass(frozen=True, slots=True)
class PlaceState:
    """Whether a counter (or the lighthouse) is open at an instant, and why: ``reason`` is
    ``open`` or ``override`` when open; ``closed``, ``holiday``, ``closure`` or ``override``
    when closed (the override, or the planned closure, in ``override``)."""

    open: bool
    reason: Reason
    override: Override | None = None


def place_state(
    site: Site, scope: str, hours: Hours, at: datetime, overrides: Sequence[Override] = ()
) -> PlaceState:
    """The state of a place (a counter's id, or ``LIGHTHOUSE``) with the precedence of the
    rules above: a manager's override, then a planned closure or a holiday, then the hours."""
    override = active_override(overrides, scope, at) if overrides else None
    if override is not None:
        if override.mode is OverrideMode.OPEN:
            return PlaceState(True, Reason.OVERRIDE, override)
        kind = Reason.CLOSURE if override.kind == CLOSURE else Reason.OVERRIDE
        return PlaceState(False, kind, override)
    if hours.is_open(at):
        return PlaceState(True, Reason.OPEN)
    if scope != LIGHTHOUSE and site.holidays.is_holiday_at(at):
        return PlaceState(False, Reason.HOLIDAY)
    return PlaceState(False, Reason.CLOSED)


def decide(
    site: Site,
    topic: str | None,
    caller: str | None,
    at: datetime,
    live: Mapping[str, QueueState] | None = None,
    overrides: Sequence[Override] = (),
    *,
    team: str | None = None,
    worker: str | None = None,
) -> Decision:
    """Decide where a call goes. ``live`` maps queue names to their state now; ``team`` and
    ``worker``: the caller's own neighbourhood team and social worker's phone (see above)."""
    require_aware(at, "call time")
    chosen = site.topic(topic)
    counter = site.counter(chosen.counter)
    live = live or {}
    teams = site.teams
    own_team = teams is not None and teams.serves(chosen.id) and team in teams.counters
    if own_team and team is not None:
        counter = site.counter(team)

    place = place_state(site, counter.id, counter.hours, at, overrides)
    if place.open and own_team and worker and teams is not None and teams.own_worker:
        return Decision(
            Target.OWN_WORKER,
            counter.queue,
            counter.id,
            chosen.id,
            place.reason,
            None,
            caller,
            worker,
        )
    if place.open:
        state = live.get(counter.queue, _UNKNOWN)
        leave = _overflow_reason(counter, state)
        if leave is None:
            return _decision(
                Target.COUNTER, counter.queue, counter, chosen.id, place.reason, None, caller
            )
        return _to_lighthouse(site, counter, chosen.id, leave, None, caller, at, live, overrides)

    next_open = _next_open(counter.hours, counter.id, place.override, at, overrides)
    return _to_lighthouse(
        site, counter, chosen.id, place.reason, next_open, caller, at, live, overrides
    )


def _overflow_reason(counter: Counter, state: QueueState) -> Reason | None:
    if state.agents is not None and state.agents <= 0:
        return Reason.NO_AGENTS
    if (
        counter.max_waiting is not None
        and state.waiting is not None
        and state.waiting >= counter.max_waiting
    ):
        return Reason.OVERFLOW
    if counter.max_wait_seconds is not None:
        expected = expected_wait_seconds(state, counter.average_handle_seconds)
        if expected is not None and expected > counter.max_wait_seconds:
            return Reason.OVERFLOW
    return None


def _lighthouse_open(
    site: Site, at: datetime, live: Mapping[str, QueueState], overrides: Sequence[Override]
) -> bool:
    lighthouse = site.lighthouse
    override = active_override(overrides, LIGHTHOUSE, at) if overrides else None
    if override is not None:
        if override.mode is OverrideMode.CLOSED:
            return False
    elif not lighthouse.hours.is_open(at):
        return False
    state = live.get(lighthouse.queue)
    return state is None or state.agents is None or state.agents > 0


def _to_lighthouse(
    site: Site,
    counter: Counter,
    topic: str,
    reason: Reason,
    next_open: datetime | None,
    caller: str | None,
    at: datetime,
    live: Mapping[str, QueueState],
    overrides: Sequence[Override],
) -> Decision:
    if _lighthouse_open(site, at, live, overrides):
        return _decision(
            Target.LIGHTHOUSE, site.lighthouse.queue, counter, topic, reason, next_open, caller
        )
    return _decision(Target.LAST_RESORT, None, counter, topic, reason, next_open, caller)


def next_open(
    hours: Hours, scope: str, at: datetime, overrides: Sequence[Override] = ()
) -> datetime | None:
    """When a place (a counter's id, or the lighthouse) opens next (``at`` itself when open
    now): its hours, past every override and planned closure in the way."""
    override = active_override(overrides, scope, at) if overrides else None
    if override is None and hours.is_open(at):
        return at
    return _next_open(hours, scope, override, at, overrides)


def next_session(
    counter: Counter, location: Location, at: datetime, overrides: Sequence[Override] = ()
) -> datetime | None:
    """When a mobile counter is next at ``location`` (``at`` when it is there now): that
    address's hours, past the counter's overrides and planned closures in the way (a
    manager's "open" override opens the counter, not an address: it is not a session)."""
    closing = [o for o in overrides if o.mode is not OverrideMode.OPEN]
    return next_open(location.hours, counter.id, at, closing)


def _next_open(
    hours: Hours,
    scope: str,
    override: Override | None,
    at: datetime,
    overrides: Sequence[Override],
) -> datetime | None:
    cursor = at
    for _ in range(_MAX_HOPS):
        if override is not None:
            if override.mode is OverrideMode.OPEN:
                return cursor
            if override.ends is None:
                return None  # closed until a manager reopens it: no time to announce
            cursor = max(cursor, override.ends)
        opening = hours.next_open(cursor)
        if opening is None or not overrides:
            return opening
        override = active_override(overrides, scope, opening)
        if override is None:
            return opening
        cursor = opening
    return None


_MAX_HOPS = 50


def _decision(
    target: Target,
    queue: str | None,
    counter: Counter,
    topic: str,
    reason: Reason,
    next_open: datetime | None,
    caller: str | None,
) -> Decision:
    return Decision(target, queue, counter.id, topic, reason, next_open, caller)
