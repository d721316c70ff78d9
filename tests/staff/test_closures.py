"""Planned closures: stored, imported from iCalendar (recurring events too), ranked below a
manager's override, routed with reason ``closure``, listed in the public feed."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from callcenter.planning.closures import ClosureStore, feed
from callcenter.planning.overrides import OverrideStore
from callcenter.staff.errors import StaffError
from callcenter.staff.services import StaffServices, open_staff
from callcenter.store import upgrade
from routing.decide import decide
from routing.site import Site
from tests.staff.test_staff_store import KEY
from tests.store.conftest import database_url, engine

__all__ = ["database_url", "engine"]

BXL = ZoneInfo("Europe/Brussels")


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=BXL)


NOW = local("2026-11-23 10:00")

RECURRING = b"""BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//Gemeente//Personeelsdienst//NL
BEGIN:VEVENT
UID:teamdag@gemeente.example
DTSTART;VALUE=DATE:20261204
DTEND;VALUE=DATE:20261205
RRULE:FREQ=MONTHLY;BYDAY=1FR;COUNT=3
SUMMARY:Teamdag
END:VEVENT
BEGIN:VEVENT
UID:kerst@gemeente.example
DTSTART;VALUE=DATE:20261228
DTEND;VALUE=DATE:20261231
SUMMARY:Sluiting tussen Kerst en Nieuwjaar
END:VEVENT
BEGIN:VEVENT
UID:vorming@gemeente.example
DTSTART;TZID=Europe/Brussels:20261209T130000
DTEND;TZID=Europe/Brussels:20261209T170000
SUMMARY:Vorming
END:VEVENT
END:VCALENDAR
"""


@pytest.fixture
async def staff(engine: AsyncEngine, example_site: Site) -> AsyncIterator[StaffServices]:
    await upgrade(engine)
    services = open_staff(engine, example_site, KEY)
    yield services
    services.close()


def store(staff: StaffServices, site: Site) -> ClosureStore:
    return ClosureStore(staff.audit.engine, staff.audit, site, lambda: NOW)


async def test_an_ics_with_a_recurring_closure_is_imported_once(
    staff: StaffServices, example_site: Site
) -> None:
    closures = store(staff, example_site)
    report = await closures.import_ics(RECURRING, ["*"], name="personeel.ics", actor="mia")
    assert (report.added, report.already_there) == (5, 0)  # 3 Fridays, Christmas, training
    again = await closures.import_ics(RECURRING, ["*"], name="personeel.ics", actor="mia")
    assert (again.added, again.already_there) == (0, 5)
    days = [(c.starts.astimezone(BXL).date(), c.all_day) for c in closures.upcoming()]
    assert days == [
        (date(2026, 12, 4), True),
        (date(2026, 12, 9), False),
        (date(2026, 12, 28), True),
        (date(2027, 1, 1), True),
        (date(2027, 2, 5), True),
    ]
    xmas = closures.upcoming()[2]
    assert xmas.ends == local("2026-12-31 00:00") and xmas.reason.startswith("Sluiting")
    entries = await staff.audit.query(kind="closure")
    assert entries[0].detail["added"] == 0 and entries[1].detail["added"] == 5


async def test_a_closure_routes_with_its_reason_and_an_override_outranks_it(
    staff: StaffServices, example_site: Site
) -> None:
    closures = store(staff, example_site)
    await closures.add(
        ["sociale-dienst", "woonloket"],
        date(2026, 11, 24),
        date(2026, 11, 25),
        reason="Verhuis",
        actor="mia",
    )
    tuesday = local("2026-11-24 10:00")
    d = decide(example_site, "1", None, tuesday, overrides=closures.current())
    assert (d.target.value, d.reason.value) == ("lighthouse", "closure")
    # two days closed: the next opening is Thursday morning (Wednesday's hours are skipped)
    assert d.next_open == local("2026-11-26 09:00")
    overrides = OverrideStore(staff.audit.engine, staff.audit, example_site, lambda: tuesday)
    await overrides.set("sociale-dienst", "open", kind="emergency", actor="mia", now=tuesday)
    both = [*overrides.current(), *closures.current()]
    d = decide(example_site, "1", None, tuesday, overrides=both)
    assert (d.target.value, d.reason.value) == ("counter", "override")


async def test_bad_closures_name_the_field_and_store_nothing(
    staff: StaffServices, example_site: Site
) -> None:
    closures = store(staff, example_site)
    cases = [
        ({"scopes": ["nergens"], "first_day": date(2026, 12, 1)}, "scopes"),
        (
            {"scopes": ["*"], "first_day": date(2026, 12, 2), "last_day": date(2026, 12, 1)},
            "last_day",
        ),
        (
            {"scopes": ["*"], "first_day": date(2026, 11, 1), "last_day": date(2026, 11, 2)},
            "last_day",
        ),
        ({"scopes": ["*"], "first_day": date(2026, 12, 1), "reason": "x" * 201}, "reason"),
    ]
    for kwargs, field in cases:
        with pytest.raises(StaffError) as err:
            await closures.add(**{"reason": "", **kwargs}, actor="mia")  # type: ignore[arg-type]
        assert err.value.field == field, kwargs
    for data, words in (
        (b"this is no calendar", "Geen geldig iCalendar"),
        (
            b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nSUMMARY:x\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
            "DTSTART",
        ),
    ):
        with pytest.raises(StaffError) as err:
            await closures.import_ics(data, ["*"], name="slecht.ics", actor="mia")
        assert err.value.field == "file" and words in err.value.message
    assert await closures.load() == []


async def test_a_closure_on_the_clock_change_nights_is_refused_or_read_as_documented(
    staff: StaffServices, example_site: Site, engine: AsyncEngine
) -> None:
    """Issue 26, point 8: 02:00-03:00 on 28/03/2027 does not exist in Brussels (the clocks
    skip it): refused, naming the field, nothing stored (it was saved as 03:00-03:00 and
    crashed every reading after). 02:30 on 31/10/2027 happens twice: the first one. A row an
    older version stored that way is left out, not a crash."""
    from sqlalchemy import insert

    from callcenter.store.models import ClosureRow

    closures = store(staff, example_site)
    spring = date(2027, 3, 28)
    with pytest.raises(StaffError) as err:
        await closures.add(
            ["woonloket"], spring, starts=time(2, 0), ends=time(3, 0), reason="", actor="mia"
        )
    assert err.value.field == "starts" and "zomertijd" in err.value.message
    with pytest.raises(StaffError) as err:
        await closures.add(
            ["woonloket"], spring, starts=time(1, 0), ends=time(2, 30), reason="", actor="mia"
        )
    assert err.value.field == "ends"
    assert await closures.load() == []
    autumn = await closures.add(
        ["woonloket"],
        date(2027, 10, 31),
        starts=time(2, 30),
        ends=time(4, 0),
        reason="",
        actor="mia",
    )
    assert autumn.starts.utcoffset() == timedelta(hours=2)  # the first 02:30 (summer time)
    # a row as an older version stored it: starts and ends the same instant
    same = datetime(2027, 3, 28, 1, 0, tzinfo=UTC)
    async with engine.begin() as conn:
        await conn.execute(
            insert(ClosureRow).values(
                scopes="woonloket", starts_at=same, ends_at=same, all_day=False, reason="",
                source="", created_by="old", created_at=same,
            )
        )  # fmt: skip
    assert [c.id for c in await closures.load()] == [autumn.id]


async def test_the_public_feed_lists_the_closures_without_people(
    staff: StaffServices, example_site: Site
) -> None:
    closures = store(staff, example_site)
    await closures.add(["woonloket"], date(2026, 12, 24), reason="Kerstavond", actor="mia")
    body = feed(example_site, closures.upcoming(), stamp=NOW)
    cal = icalendar.Calendar.from_ical(body)
    (event,) = cal.walk("VEVENT")
    assert event["DTSTART"].dt == date(2026, 12, 24) and event["DTEND"].dt == date(2026, 12, 25)
    assert str(event["SUMMARY"]) == "Gesloten: Woonloket (Kerstavond)"
    assert b"mia" not in body


def _calendar(rule: str, start: str = "20261124T090000") -> bytes:
    return (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//NL\r\nBEGIN:VEVENT\r\n"
        f"UID:x@t\r\nDTSTART;TZID=Europe/Brussels:{start}\r\nDURATION:PT1M\r\n{rule}"
        "SUMMARY:Herhaling\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    ).encode()


@pytest.mark.parametrize("freq", ["SECONDLY", "MINUTELY", "HOURLY"])
async def test_a_sub_daily_recurrence_is_refused_at_once_and_routing_goes_on(
    staff: StaffServices, example_site: Site, freq: str
) -> None:
    """Issue 24, point 11: a 300-byte calendar with ``FREQ=MINUTELY`` once blocked the loop
    that routes calls for 75-87 s. Now it is refused with what is wrong, before any
    expansion, and the loop keeps turning meanwhile."""
    import asyncio

    closures = store(staff, example_site)
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.01)

    beat = asyncio.create_task(ticker())
    try:
        async with asyncio.timeout(60):
            with pytest.raises(StaffError) as err:
                await closures.import_ics(
                    _calendar(f"RRULE:FREQ={freq}\r\n"), ["*"], name="x.ics", actor="mia"
                )
    finally:
        beat.cancel()
    assert err.value.field == "file" and freq in err.value.message
    assert "ten hoogste dagelijks" in err.value.message
    assert ticks > 0 and await closures.load() == []


async def test_a_long_daily_recurrence_stops_at_the_limit_without_expanding_it_all(
    staff: StaffServices, example_site: Site
) -> None:
    """An endless daily rule: read lazily up to the limit (2000), then refused; the loop
    turns all the while (the reading is in a worker process)."""
    import asyncio

    from schedules import closures as module

    closures = store(staff, example_site)
    thrice_a_day = _calendar("RRULE:FREQ=DAILY;BYHOUR=9,11,14\r\n")
    loop = asyncio.get_running_loop()
    gaps: list[float] = []

    async def ticker() -> None:
        last = loop.time()
        while True:
            await asyncio.sleep(0.01)
            gaps.append(loop.time() - last)
            last = loop.time()

    beat = asyncio.create_task(ticker())
    try:
        with pytest.raises(StaffError) as err:
            await closures.import_ics(thrice_a_day, ["*"], name="x.ics", actor="mia")
    finally:
        beat.cancel()
    assert f"Meer dan {module.MAX_IMPORT}" in err.value.message
    # the reading itself took a while; the loop never stood still for a second of it
    assert gaps and max(gaps) < 1.0
    # once a day for the two years ahead fits: 733 closures, every one stored
    daily = _calendar("RRULE:FREQ=DAILY\r\n")
    report = await closures.import_ics(daily, ["*"], name="y.ics", actor="mia")
    assert 700 < report.added <= 733


def test_the_reading_stops_when_its_time_is_spent() -> None:
    from schedules.closures import IMPORT_HORIZON, ClosureError, _read_ics

    with pytest.raises(ClosureError) as err:
        _read_ics(_calendar("RRULE:FREQ=DAILY\r\n"), BXL, NOW, "z.ics", budget=0.0)
    assert "te zwaar" in err.value.message
    assert IMPORT_HORIZON.days == 732
