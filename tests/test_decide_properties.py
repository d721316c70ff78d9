"""Properties of the decision over wide input: any instant, any offset, any live state."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from hypothesis import given, settings
from hypothesis import strategies as st

from routing.config import load_site
from routing.decide import decide
from routing.site import Site
from routing.types import QueueState, Reason, Target
from tests.conftest import EXAMPLE

SITE: Site = load_site(EXAMPLE)
TOPICS = [None, "", "unknown", *(t.digit for t in SITE.topics), *(t.id for t in SITE.topics)]

instants = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2028, 12, 31), timezones=st.just(UTC)
)
offsets = st.integers(min_value=-14 * 60, max_value=14 * 60).map(
    lambda m: timezone(timedelta(minutes=m))
)
states = st.one_of(
    st.none(),
    st.builds(
        QueueState,
        waiting=st.one_of(st.none(), st.integers(0, 30)),
        agents=st.one_of(st.none(), st.integers(0, 10)),
        expected_wait_seconds=st.one_of(st.none(), st.floats(0, 3600)),
    ),
)


@settings(max_examples=400, deadline=None)
@given(topic=st.sampled_from(TOPICS), at=instants, state=states)
def test_never_targets_a_closed_counter(
    topic: str | None, at: datetime, state: QueueState | None
) -> None:
    counter = SITE.counter(SITE.topic(topic).counter)
    live = {} if state is None else {counter.queue: state}
    d = decide(SITE, topic, None, at, live)
    if d.target is Target.COUNTER:
        assert counter.hours.is_open(at)
        assert d.queue == counter.queue and d.reason is Reason.OPEN
    if d.target is Target.LIGHTHOUSE:
        assert SITE.lighthouse.hours.is_open(at) and d.queue == SITE.lighthouse.queue
    if d.target is Target.LAST_RESORT:
        assert d.queue is None


@settings(max_examples=400, deadline=None)
@given(topic=st.sampled_from(TOPICS), at=instants)
def test_next_open_is_later_and_open(topic: str | None, at: datetime) -> None:
    d = decide(SITE, topic, None, at)
    counter = SITE.counter(d.counter)
    if d.reason in (Reason.CLOSED, Reason.HOLIDAY):
        assert d.next_open is not None
        assert d.next_open > at
        assert counter.hours.is_open(d.next_open)
        assert d.next_open.tzinfo == SITE.zone
        # and it is the first opening: one minute before, the counter was still closed
        assert not counter.hours.is_open(d.next_open - timedelta(minutes=1))
    else:
        assert d.next_open is None


@settings(max_examples=300, deadline=None)
@given(topic=st.sampled_from(TOPICS), at=instants, tz=offsets, state=states)
def test_same_instant_any_offset_same_decision(
    topic: str | None, at: datetime, tz: timezone, state: QueueState | None
) -> None:
    counter = SITE.counter(SITE.topic(topic).counter)
    live = {} if state is None else {counter.queue: state}
    assert decide(SITE, topic, "x", at.astimezone(tz), live) == decide(SITE, topic, "x", at, live)
    assert decide(SITE, topic, "x", at.astimezone(SITE.zone), live) == decide(
        SITE, topic, "x", at, live
    )


@settings(max_examples=200, deadline=None)
@given(at=instants)
def test_holiday_reason_only_on_public_holidays(at: datetime) -> None:
    d = decide(SITE, "1", None, at)
    is_holiday = SITE.holidays.is_holiday_at(at)
    if d.reason is Reason.HOLIDAY:
        assert is_holiday
    if d.reason is Reason.CLOSED:
        assert not is_holiday
