"""Who is open, when: one computation for the `hours` command, the public page and its JSON.

Per place (the lighthouse and every counter): open now or not (opening hours, public
holidays and the managers' overrides), the next change, the next opening when closed, and
the coming days' hours. No personal data.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from typing import Any

from routing.site import Site
from schedules.hours import Hours
from schedules.overrides import LIGHTHOUSE, Override, OverrideMode, active_override

__all__ = ["hours_report"]


def _end_label(end: datetime, day: date) -> str:
    return "24:00" if end.date() > day and end.time() == time(0) else end.strftime("%H:%M")


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _place(
    hours: Hours, scope: str, site: Site, at: datetime, days: int, overrides: Sequence[Override]
) -> dict[str, Any]:
    override = active_override(overrides, scope, at)
    open_now = (override.mode is OverrideMode.OPEN) if override else hours.is_open(at)
    change = hours.next_change(at)
    if override is not None and override.ends is not None:
        change = override.ends if change is None else min(change, override.ends)
    schedule = []
    for offset in range(days):
        day = at.date() + timedelta(days=offset)
        schedule.append(
            {
                "date": day.isoformat(),
                "holiday": site.holidays.is_holiday(day),
                "open": [
                    [lo.strftime("%H:%M"), _end_label(hi, day)]
                    for lo, hi in hours.open_periods_on(day)
                ],
            }
        )
    next_open = None
    if not open_now:
        next_open = hours.next_open(override.ends if override and override.ends else at)
        if override is not None and override.ends is None:
            next_open = None  # closed until a manager lifts it: no time to promise
    out: dict[str, Any] = {
        "hours": hours.expression,
        "open_now": open_now,
        "next_change": _iso(change),
        "next_open": _iso(next_open),
        "days": schedule,
    }
    if override is not None:
        out["override"] = {
            "mode": override.mode.value,
            "until": _iso(override.ends),
            "reason": override.note,
        }
    return out


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
        places.append(
            {
                "id": c.id,
                "name": c.name,
                "organisation": c.organisation,
                "address": c.address,
                "queue": c.queue,
                **_place(c.hours, c.id, site, at, days, overrides),
            }
        )
    return {"site": site.name, "timezone": site.zone.key, "at": at.isoformat(), "places": places}
