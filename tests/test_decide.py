"""Every rule and every reason of the routing decision, as one readable table."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from routing.decide import decide, expected_wait_seconds
from routing.site import Site
from routing.types import QueueState, Reason, Target
from schedules.overrides import ALL_COUNTERS, LIGHTHOUSE, Override, OverrideMode

BXL = ZoneInfo("Europe/Brussels")
MON_10 = datetime(2026, 11, 23, 10, 0, tzinfo=BXL)  # sociale dienst open, lighthouse open
MON_17 = datetime(2026, 11, 23, 17, 0, tzinfo=BXL)  # counter closed, lighthouse open
MON_20 = datetime(2026, 11, 23, 20, 0, tzinfo=BXL)  # everything closed
XMAS_10 = datetime(2026, 12, 25, 10, 0, tzinfo=BXL)  # holiday, lighthouse closed (Dec 25 off)
WAPEN_10 = datetime(2026, 11, 11, 10, 0, tzinfo=BXL)  # holiday (Wed), lighthouse open


def q(waiting: int | None = None, agents: int | None = None, ew: float | None = None) -> QueueState:
    return QueueState(waiting=waiting, agents=agents, expected_wait_seconds=ew)


CASES = [
    # (name, topic, at, live, overrides, target, queue, reason, next_open)
    ("open", "1", MON_10, {}, [], Target.COUNTER, "sociale-dienst", Reason.OPEN, None),
    (
        "open by id",
        "financiele-hulp",
        MON_10,
        {},
        [],
        Target.COUNTER,
        "sociale-dienst",
        Reason.OPEN,
        None,
    ),
    (
        "open, state below limits",
        "1",
        MON_10,
        {"sociale-dienst": q(1, 2)},
        [],
        Target.COUNTER,
        "sociale-dienst",
        Reason.OPEN,
        None,
    ),
    (
        "no agents",
        "1",
        MON_10,
        {"sociale-dienst": q(0, 0)},
        [],
        Target.LIGHTHOUSE,
        "lighthouse",
        Reason.NO_AGENTS,
        None,
    ),
    (
        "overflow: waiting reaches max",
        "1",
        MON_10,
        {"sociale-dienst": q(4, 5)},
        [],
        Target.LIGHTHOUSE,
        "lighthouse",
        Reason.OVERFLOW,
        None,
    ),
    (
        "overflow: expected wait too long",
        "1",
        MON_10,
        {"sociale-dienst": q(3, 1)},
        [],
        Target.LIGHTHOUSE,
        "lighthouse",
        Reason.OVERFLOW,
        None,
    ),
    (
        "overflow: Asterisk's estimate",
        "1",
        MON_10,
        {"sociale-dienst": q(1, 3, 301.0)},
        [],
        Target.LIGHTHOUSE,
        "lighthouse",
        Reason.OVERFLOW,
        None,
    ),
    (
        "closed",
        "1",
        MON_17,
        {},
        [],
        Target.LIGHTHOUSE,
        "lighthouse",
        Reason.CLOSED,
        datetime(2026, 11, 24, 9, 0, tzinfo=BXL),
    ),
    (
        "closed, lighthouse closed",
        "1",
        MON_20,
        {},
        [],
        Target.LAST_RESORT,
        None,
        Reason.CLOSED,
        datetime(2026, 11, 24, 9, 0, tzinfo=BXL),
    ),
    (
        "holiday, lighthouse open",
        "1",
        WAPEN_10,
        {},
        [],
        Target.LIGHTHOUSE,
        "lighthouse",
        Reason.HOLIDAY,
        datetime(2026, 11, 12, 9, 0, tzinfo=BXL),
    ),
    (
        "holiday, lighthouse closed",
        "1",
        XMAS_10,
        {},
        [],
        Target.LAST_RESORT,
        None,
        Reason.HOLIDAY,
        datetime(2026, 12, 28, 9, 0, tzinfo=BXL),
    ),
    (
        "closed, lighthouse unstaffed",
        "1",
        MON_17,
        {"lighthouse": q(0, 0)},
        [],
        Target.LAST_RESORT,
        None,
        Reason.CLOSED,
        datetime(2026, 11, 24, 9, 0, tzinfo=BXL),
    ),
    (
        "overflow, lighthouse closed",
        "1",
        MON_10,
        {"sociale-dienst": q(9, 3)},
        [Override(LIGHTHOUSE, OverrideMode.CLOSED)],
        Target.LAST_RESORT,
        None,
        Reason.OVERFLOW,
        None,
    ),
    ("no topic → default", None, MON_10, {}, [], Target.COUNTER, "onthaal", Reason.OPEN, None),
    ("unknown topic → default", "9", MON_10, {}, [], Target.COUNTER, "onthaal", Reason.OPEN, None),
    (
        "override closed, open hours",
        "1",
        MON_10,
        {},
        [
            Override(
                "sociale-dienst",
                OverrideMode.CLOSED,
                ends=datetime(2026, 11, 23, 11, 0, tzinfo=BXL),
            )
        ],
        Target.LIGHTHOUSE,
        "lighthouse",
        Reason.OVERRIDE,
        datetime(2026, 11, 23, 11, 0, tzinfo=BXL),
    ),
    (
        "override closed without end",
        "1",
        MON_10,
        {},
        [Override("sociale-dienst", OverrideMode.CLOSED)],
        Target.LIGHTHOUSE,
        "lighthouse",
        Reason.OVERRIDE,
        None,
    ),
    (
        "site-wide closure",
        "0",
        MON_10,
        {},
        [Override(ALL_COUNTERS, OverrideMode.CLOSED)],
        Target.LIGHTHOUSE,
        "lighthouse",
        Reason.OVERRIDE,
        None,
    ),
    (
        "counter override beats site-wide",
        "1",
        MON_10,
        {},
        [
            Override(ALL_COUNTERS, OverrideMode.CLOSED),
            Override("sociale-dienst", OverrideMode.OPEN),
        ],
        Target.COUNTER,
        "sociale-dienst",
        Reason.OVERRIDE,
        None,
    ),
    (
        "override open outside hours",
        "1",
        MON_17,
        {},
        [Override("sociale-dienst", OverrideMode.OPEN)],
        Target.COUNTER,
        "sociale-dienst",
        Reason.OVERRIDE,
        None,
    ),
    (
        "forced open still overflows",
        "1",
        MON_17,
        {"sociale-dienst": q(0, 0)},
        [Override("sociale-dienst", OverrideMode.OPEN)],
        Target.LIGHTHOUSE,
        "lighthouse",
        Reason.NO_AGENTS,
        None,
    ),
    (
        "override not yet active",
        "1",
        MON_10,
        {},
        [Override("sociale-dienst", OverrideMode.CLOSED, starts=MON_10 + timedelta(minutes=1))],
        Target.COUNTER,
        "sociale-dienst",
        Reason.OPEN,
        None,
    ),
    (
        "override expired",
        "1",
        MON_10,
        {},
        [Override("sociale-dienst", OverrideMode.CLOSED, ends=MON_10)],
        Target.COUNTER,
        "sociale-dienst",
        Reason.OPEN,
        None,
    ),
    (
        "lighthouse forced open at night",
        "1",
        MON_20,
        {},
        [Override(LIGHTHOUSE, OverrideMode.OPEN)],
        Target.LIGHTHOUSE,
        "lighthouse",
        Reason.CLOSED,
        datetime(2026, 11, 24, 9, 0, tzinfo=BXL),
    ),
    (
        "other counter's state is ignored",
        "1",
        MON_10,
        {"onthaal": q(50, 0)},
        [],
        Target.COUNTER,
        "sociale-dienst",
        Reason.OPEN,
        None,
    ),
]


@pytest.mark.parametrize(
    ("topic", "at", "live", "overrides", "target", "queue", "reason", "next_open"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_decision_table(
    small_site: Site, topic, at, live, overrides, target, queue, reason, next_open
) -> None:
    d = decide(small_site, topic, "+32470123456", at, live, overrides)
    assert (d.target, d.queue, d.reason, d.next_open) == (target, queue, reason, next_open)
    assert d.caller == "+32470123456"


def test_decision_names_counter_and_topic(small_site: Site) -> None:
    d = decide(small_site, "1", None, MON_17)
    assert (d.counter, d.topic) == ("sociale-dienst", "financiele-hulp")
    assert d.as_json() == {
        "target": "lighthouse",
        "queue": "lighthouse",
        "counter": "sociale-dienst",
        "topic": "financiele-hulp",
        "reason": "closed",
        "next_open": "2026-11-24T09:00:00+01:00",
        "caller": None,
    }


def test_the_same_instant_in_utc_gives_the_same_decision(small_site: Site) -> None:
    assert decide(small_site, "1", None, MON_17.astimezone(UTC)) == decide(
        small_site, "1", None, MON_17
    )


def test_naive_time_is_refused(small_site: Site) -> None:
    with pytest.raises(ValueError, match="time zone"):
        decide(small_site, "1", None, datetime(2026, 11, 23, 10, 0))


def test_expected_wait_estimate() -> None:
    assert expected_wait_seconds(QueueState(waiting=3, agents=2), 200) == 300
    assert expected_wait_seconds(QueueState(waiting=3, agents=0), 200) is None
    assert expected_wait_seconds(QueueState(waiting=None, agents=2), 200) is None
    assert (
        expected_wait_seconds(QueueState(waiting=9, agents=1, expected_wait_seconds=12), 200) == 12
    )


def test_override_must_end_after_it_starts() -> None:
    with pytest.raises(ValueError, match="ends before it starts"):
        Override("x", OverrideMode.CLOSED, starts=MON_10, ends=MON_10)
