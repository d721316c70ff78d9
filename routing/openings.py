"""Who is open, when: one computation for the `hours` command, the public page and its JSON.

Per place (the lighthouse and every counter): open now or not (opening hours, public
holidays, planned closures and the managers' overrides), the next change, the next opening
when closed, the coming days' hours and the planned closures ahead. No personal data.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from typing import Any

from routing.decide import next_open as next_opening
from routing.site import Site
from schedules.hours import Hours
from schedules.overrides import (
    ALL_COUNTERS,
    CLOSURE,
    LIGHTHOUSE,
    Override,
    OverrideMode,
    active_override,
)

__all__ = ["CLOSURES_AHEAD", "hours_report"]

CLOSURES_AHEAD = timedelta(days=90)
"""Planned closures this far ahead are listed per place."""


def _end_label(end: datetime, day: date) -> str:
    return "24:00" if end.date() > day and end.time() == time(0) else end.strftime("%H:%M")


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _when(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def _place(
    hours: Hours, scope: str, site: Site, at: datetime, days: int, overrides: Sequence[Override]
) -> dict[str, Any]:
    override = active_override(overrides, scope, at)
    open_now = (override.mode is OverrideMode.OPEN) if override else hours.is_open(at)
    change = hours.next_change(at)
    if override is not None and override.ends is not None:
        change = override.ends if change is None else min(change, override.ends)
    closures = [
        o
        for o in overrides
        if o.kind == CLOSURE
        and (o.scope == scope or (o.scope == ALL_COUNTERS and scope != LIGHTHOUSE))
        and o.ends is not None
        and o.ends > at
        and o.starts is not None
        and o.starts < at + CLOSURES_AHEAD
    ]
    closures.sort(key=lambda o: (o.starts, o.ends))
    schedule = []
    for offset in range(days):
        day = at.date() + timedelta(days=offset)
        lo = datetime.combine(day, time(0), site.zone)
        hi = datetime.combine(day + timedelta(days=1), time(0), site.zone)
        closed_by = next(
            (o for o in closures if o.starts and o.ends and o.starts < hi and o.ends > lo), None
        )
        schedule.append(
            {
                "date": day.isoformat(),
                "holiday": site.holidays.is_holiday(day),
                "closure": None if closed_by is None else (closed_by.note or "gesloten"),
                "open": [
                    [lo.strftime("%H:%M"), _end_label(hi, day)]
                    for lo, hi in hours.open_periods_on(day)
                ],
            }
        )
    # closed until a manager lifts it: no time to promise (next_opening gives None)
    next_open = None if open_now else next_opening(hours, scope, at, overrides)
    out: dict[str, Any] = {
        "hours": hours.expression,
        "open_now": open_now,
        "next_change": _iso(change),
        "next_open": _iso(next_open),
        "days": schedule,
        "closures": [_closure(o, site) for o in closures],
    }
    if override is not None:
        out["override"] = {
            "mode": override.mode.value,
            "kind": "closure" if override.kind == CLOSURE else "override",
            "until": _iso(override.ends),
            "reason": override.note,
        }
    return out


def _closure(o: Override, site: Site) -> dict[str, Any]:
    assert o.starts is not None and o.ends is not None
    lo, hi = o.starts.astimezone(site.zone), o.ends.astimezone(site.zone)
    all_day = lo.time() == time(0) and hi.time() == time(0)
    return {
        "from": lo.isoformat(),
        "to": hi.isoformat(),
        "all_day": all_day,
        "first_day": lo.date().isoformat(),
        "last_day": (hi - timedelta(seconds=1)).date().isoformat(),
        "reason": o.note,
    }


def hours_report(
    site: Site, at: datetime, days: int, overrides: Sequence[Override] = ()
) -> dict[str, Any]:
    places = [
        {
            "id": "lighthouse",
            "name": site.lighthouse.name,
            "queue": site.lighthouse.queue,
            **_place(site.lighthouse.hours, LIGHTHOUSE, site, at, days, overrides),
        }
    ]
    for c in site.counters:
        place = {
            "id": c.id,
            "name": c.name,
            "organisation": c.organisation,
            "address": c.address,
            "queue": c.queue,
            **_place(c.hours, c.id, site, at, days, overrides),
        }
        if c.locations:  # a mobile counter: each address with its own hours, and where next
            here = c.location_at(at if place["open_now"] else _when(place["next_open"]))
            place["location"] = here.id if here else None
            place["locations"] = [
                {
                    "id": loc.id,
                    "name": loc.name,
                    "address": loc.address,
                    "postcodes": list(loc.postcodes),
                    **_place(loc.hours, c.id, site, at, days, overrides),
                }
                for loc in c.locations
            ]
        places.append(place)
    return {"site": site.name, "timezone": site.zone.key, "at": at.isoformat(), "places": places}
