"""Opening hours as a counter's staff and callers experience them: DST, holidays, breaks."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from schedules.hours import HolidayCalendar, Hours, HoursSyntaxError

BXL = ZoneInfo("Europe/Brussels")


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=BXL)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


OFFICE = Hours("Mo,Tu,Th,Fr 09:00-12:00; We 13:30-18:30; PH off", BXL, "BE")


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (local("2026-11-23 08:59"), False),  # Monday before opening
        (local("2026-11-23 09:00"), True),  # opening minute is open
        (local("2026-11-23 11:59"), True),
        (local("2026-11-23 12:00"), False),  # closing minute is closed
        (local("2026-11-25 10:00"), False),  # Wednesday morning: closed
        (local("2026-11-25 13:30"), True),  # Wednesday afternoon
        (local("2026-11-22 10:00"), False),  # Sunday
        # the same instant written in UTC: 08:30Z is 09:30 in Brussels (winter, +01:00)
        (utc("2026-11-23 08:30"), True),
        (utc("2026-11-23 07:30"), False),
        # summer: +02:00, so 07:30Z is 09:30 local
        (utc("2026-06-15 07:30"), True),
        (utc("2026-06-15 06:30"), False),
    ],
)
def test_open_or_closed(at: datetime, expected: bool) -> None:
    assert OFFICE.is_open(at) is expected


@pytest.mark.parametrize(
    "day",
    [
        "2026-01-01",  # Nieuwjaar
        "2026-04-06",  # Paasmaandag (moving)
        "2026-05-01",  # Dag van de Arbeid
        "2026-05-14",  # O.L.H. Hemelvaart (moving)
        "2026-05-25",  # Pinkstermaandag (moving)
        "2026-07-21",  # Nationale feestdag
        "2026-08-15",
        "2026-11-11",  # Wapenstilstand
        "2027-03-29",  # Paasmaandag 2027
        "2027-05-06",  # Hemelvaart 2027
        "2027-05-17",  # Pinkstermaandag 2027
    ],
)
def test_belgian_public_holidays_close_the_counter(day: str) -> None:
    d = date.fromisoformat(day)
    cal = HolidayCalendar(BXL, "BE")
    assert cal.is_holiday(d)
    # the counter is closed all day, whatever weekday it falls on
    everyday = Hours("Mo-Su 09:00-17:00; PH off", BXL, "BE")
    assert not everyday.is_open(local(f"{day} 10:00"))
    assert everyday.is_open(local(f"{day} 10:00") + timedelta(days=1)) or cal.is_holiday(
        d + timedelta(days=1)
    )


@pytest.mark.parametrize("day", ["2026-04-07", "2026-05-13", "2026-07-11", "2026-11-23"])
def test_ordinary_days_are_not_holidays(day: str) -> None:
    assert not HolidayCalendar(BXL, "BE").is_holiday(date.fromisoformat(day))


def test_fixed_closure_like_july_11() -> None:
    hours = Hours("Mo-Fr 09:00-12:00; Jul 11 off", BXL, "BE")
    assert not hours.is_open(local("2025-07-11 10:00"))  # a Friday
    assert hours.is_open(local("2025-07-10 10:00"))
    assert hours.next_open(local("2025-07-11 08:00")) == local("2025-07-14 09:00")


def test_lunch_break() -> None:
    hours = Hours("Mo-Fr 09:00-12:30,13:30-17:00", BXL, "BE")
    assert hours.is_open(local("2026-11-23 12:29"))
    assert not hours.is_open(local("2026-11-23 13:00"))
    assert hours.next_change(local("2026-11-23 12:45")) == local("2026-11-23 13:30")
    assert hours.next_open(local("2026-11-23 12:45")) == local("2026-11-23 13:30")
    assert [
        (a.strftime("%H:%M"), b.strftime("%H:%M"))
        for a, b in hours.open_periods_on(date(2026, 11, 23))
    ] == [("09:00", "12:30"), ("13:30", "17:00")]


def test_next_opening_across_a_weekend() -> None:
    assert OFFICE.next_open(local("2026-11-20 12:00")) == local("2026-11-23 09:00")


def test_next_opening_across_a_holiday_and_weekend() -> None:
    # Friday 2026-12-25 is Christmas; the next opening is Monday 28 December
    assert OFFICE.next_open(local("2026-12-24 12:00")) == local("2026-12-28 09:00")
    # Easter Monday 2026-04-06: from Friday evening the next opening is Tuesday
    assert OFFICE.next_open(local("2026-04-03 12:00")) == local("2026-04-07 09:00")


def test_next_open_when_open_is_now() -> None:
    at = local("2026-11-23 10:00")
    assert OFFICE.next_open(at) == at


def test_spring_forward_weekend() -> None:
    # 2026-03-29 02:00 CET jumps to 03:00 CEST. From Saturday, Monday 09:00 is +02:00.
    nxt = OFFICE.next_open(local("2026-03-28 12:00"))
    assert nxt == datetime(2026, 3, 30, 9, 0, tzinfo=BXL)
    assert nxt is not None and nxt.utcoffset() == timedelta(hours=2)
    assert nxt.astimezone(UTC) == utc("2026-03-30 07:00")
    # the hour that does not exist never opens
    night = Hours("Su 02:00-03:00", BXL, "BE")
    assert not night.is_open(utc("2026-03-29 00:30"))  # 01:30 CET
    assert not night.is_open(utc("2026-03-29 01:30"))  # 03:30 CEST


def test_fall_back_weekend_the_hour_that_happens_twice() -> None:
    # 2026-10-25 03:00 CEST falls back to 02:00 CET: 02:00-03:00 happens twice.
    night = Hours("Su 02:00-03:00", BXL, "BE")
    assert night.is_open(utc("2026-10-25 00:30"))  # first 02:30 (+02:00)
    assert night.is_open(utc("2026-10-25 01:30"))  # second 02:30 (+01:00)
    assert not night.is_open(utc("2026-10-25 02:30"))  # 03:30 CET
    nxt = OFFICE.next_open(local("2026-10-24 12:00"))
    assert nxt is not None and nxt.utcoffset() == timedelta(hours=1)
    assert nxt.astimezone(UTC) == utc("2026-10-26 08:00")


def test_naive_time_is_refused() -> None:
    with pytest.raises(ValueError, match="time zone"):
        OFFICE.is_open(datetime(2026, 11, 23, 10, 0))


def test_never_open_has_no_next_opening() -> None:
    assert Hours("off", BXL, "BE").next_open(local("2026-11-23 10:00")) is None


def test_syntax_error_names_the_column() -> None:
    with pytest.raises(HoursSyntaxError) as err:
        Hours("Mo-Fr 09:00-12:00 xx", BXL, "BE")
    assert err.value.column == 19
    assert "column 19" in str(err.value)
