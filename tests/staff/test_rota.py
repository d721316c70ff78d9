"""The rota as values: weekly pattern, absences, extra shifts, handovers, both DST nights."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from schedules.rota import (
    Handover,
    Rota,
    RotaError,
    RotaException,
    Shift,
    on_duty,
    parse_hhmm,
)

BXL = ZoneInfo("Europe/Brussels")
AN, BERT, CHRIS = 1, 2, 3


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=BXL)


WEEK = [
    Shift(0, time(8), time(13), AN),
    Shift(0, time(13), time(19), BERT),
    Shift(6, time(0), None, CHRIS),  # Sunday, all day (24:00)
]


def test_the_weekly_pattern_says_who_is_on_duty() -> None:
    rota = Rota(BXL, WEEK)
    assert rota.scheduled(local("2026-11-23 07:59")) == set()
    assert rota.scheduled(local("2026-11-23 08:00")) == {AN}
    assert rota.scheduled(local("2026-11-23 13:00")) == {BERT}  # the end is exclusive
    assert rota.scheduled(local("2026-11-29 23:59")) == {CHRIS}
    assert rota.next_change(local("2026-11-23 09:00")) == local("2026-11-23 13:00")
    assert rota.shift_end(AN, local("2026-11-23 09:00")) == local("2026-11-23 13:00")


def test_an_absence_takes_out_a_part_and_an_extra_shift_adds_one() -> None:
    rota = Rota(
        BXL,
        WEEK,
        [
            RotaException(date(2026, 11, 23), "absent", AN, time(10), time(11)),
            RotaException(date(2026, 11, 24), "extra", CHRIS, time(9), time(12)),
            RotaException(date(2026, 11, 30), "absent", BERT),  # the whole day
        ],
    )
    assert rota.scheduled(local("2026-11-23 09:59")) == {AN}
    assert rota.scheduled(local("2026-11-23 10:30")) == set()
    assert rota.scheduled(local("2026-11-23 11:00")) == {AN}
    assert rota.scheduled(local("2026-11-24 09:00")) == {CHRIS}
    assert rota.scheduled(local("2026-11-30 14:00")) == set()
    assert rota.scheduled(local("2026-12-07 14:00")) == {BERT}  # only that Monday


def test_a_handover_replaces_the_giver_until_it_ends() -> None:
    rota = Rota(BXL, WEEK)
    took = Handover(CHRIS, AN, local("2026-11-23 09:00"), local("2026-11-23 13:00"))
    beside = Handover(BERT, None, local("2026-11-23 10:00"))
    assert on_duty(rota, [took], local("2026-11-23 08:59")) == {AN}
    assert on_duty(rota, [took], local("2026-11-23 09:00")) == {CHRIS}
    assert on_duty(rota, [took, beside], local("2026-11-23 10:00")) == {CHRIS, BERT}
    assert on_duty(rota, [took], local("2026-11-23 13:00")) == {BERT}


def test_overlapping_shifts_of_one_agent_are_refused_with_the_field() -> None:
    with pytest.raises(RotaError) as err:
        Rota(BXL, [Shift(0, time(8), time(13), AN), Shift(0, time(12), time(14), AN)])
    assert err.value.field == "starts" and "overlapt" in err.value.message
    Rota(BXL, [Shift(0, time(8), time(13), AN), Shift(0, time(12), time(14), BERT)])  # others
    with pytest.raises(RotaError) as bad:
        Shift(0, time(13), time(8), AN)
    assert bad.value.field == "ends"
    with pytest.raises(RotaError):
        parse_hhmm("25:00", "starts")
    assert parse_hhmm("24:00", "ends") is None


@pytest.mark.parametrize(
    ("sunday", "hours"),
    [("2026-03-29", 23), ("2026-10-25", 25)],
    ids=["clocks-forward", "clocks-back"],
)
def test_a_day_shift_on_the_dst_nights_lasts_the_local_day(sunday: str, hours: int) -> None:
    rota = Rota(BXL, [Shift(6, time(0), None, CHRIS), Shift(6, time(2, 30), time(3, 30), AN)])
    ((_, lo, hi), *_rest) = rota.periods(date.fromisoformat(sunday))
    assert (hi - lo) == timedelta(hours=hours)
    # 02:30 does not exist on the spring night: An's shift starts at 03:00 local
    an = next(p for p in rota.periods(date.fromisoformat(sunday)) if p[0] == AN)
    if hours == 23:
        assert an[1] == local(f"{sunday} 03:00") and an[1] == an[2] - timedelta(minutes=30)
    assert rota.scheduled(local(f"{sunday} 23:59")) == {CHRIS}


@settings(max_examples=200, deadline=None)
@given(
    st.datetimes(
        min_value=datetime(2026, 1, 1), max_value=datetime(2028, 12, 31), timezones=st.just(UTC)
    )
)
def test_on_duty_is_the_local_weekday_and_time(at: datetime) -> None:
    """For any instant (DST nights included): on duty exactly when the local weekday and
    wall-clock time fall in the shift."""
    rota = Rota(BXL, WEEK)
    lt = at.astimezone(BXL)
    expected = set()
    if lt.weekday() == 0 and time(8) <= lt.time() < time(13):
        expected.add(AN)
    if lt.weekday() == 0 and time(13) <= lt.time() < time(19):
        expected.add(BERT)
    if lt.weekday() == 6:
        expected.add(CHRIS)
    assert rota.scheduled(at) == expected
    nxt = rota.next_change(at)
    assert nxt is not None and nxt > at and nxt - at <= timedelta(days=7)
