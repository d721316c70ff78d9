"""The ``eventfilter`` lines of the generated manager.conf keep every event the service reads
and drop the bulk it never reads: the calls recorded from the filtered stream are the calls
recorded from the whole stream."""

from __future__ import annotations

from collections import Counter

import pytest

from callcenter.ami.codec import encode_message
from callcenter.asterisk.config import event_filters
from callcenter.calls.capture import replay_bytes
from callcenter.calls.service import EVENTS_READ
from callcenter.calls.tracker import READ_IN_PART
from callcenter.simulator import SimSettings
from callcenter.simulator.filters import EventFilter
from callcenter.store.records import CallRecord
from callcenter.store.repository import call_values, visit_values
from tests.ami.test_client import until
from tests.service.conftest import StackFactory, at

BANNER = b"Asterisk Call Manager/11.0.0\r\n"
SNAPSHOT = [
    ("Channel", "Local/s@central-number-00000001;2"),
    ("ChannelState", "6"),
    ("Context", "central-number"),
    ("Exten", "s"),
    ("Uniqueid", "1763900000.2"),
    ("Linkedid", "1763900000.1"),
]


def event(name: str, *headers: tuple[str, str], klass: str = "call") -> bytes:
    return encode_message([("Event", name), ("Privilege", f"{klass},all"), *headers])


class Tap:
    """A sink on the simulated Asterisk that sees every event, unfiltered, as sent."""

    def __init__(self) -> None:
        self.events: list[bytes] = []

    def deliver(self, klass: str, data: bytes) -> None:
        self.events.append(data)


def stored(calls: list[CallRecord]) -> dict[str, object]:
    return {c.call_id: (call_values(c), visit_values(c)) for c in calls}


@pytest.mark.parametrize("name", sorted(EVENTS_READ - READ_IN_PART.keys()))
def test_every_event_the_service_reads_whole_passes(name: str) -> None:
    assert EventFilter(event_filters()).allows(event(name, *SNAPSHOT))


@pytest.mark.parametrize(
    ("headers", "passes"),
    [
        ((("Variable", "FAILSAFE"), ("Value", "1")), True),
        ((("Variable", "QUEUESTATUS"), ("Value", "TIMEOUT")), True),
        ((("Variable", "__PAD3"), ("Value", "x")), False),
        ((("Variable", "FAILSAFE_X"), ("Value", "1")), False),
        ((("Variable", "TOPIC"), ("Value", "FAILSAFE")), False),
    ],
)
def test_varset_passes_only_for_the_variables_the_tracker_reads(
    headers: tuple[tuple[str, str], ...], passes: bool
) -> None:
    data = event("VarSet", *SNAPSHOT, *headers, klass="dialplan")
    assert EventFilter(event_filters()).allows(data) is passes


def at_step(context: str, priority: str) -> list[tuple[str, str]]:
    """The snapshot as Asterisk orders it: ``Priority`` follows ``Context`` and ``Exten``."""
    where = {"Context": context, "Priority": priority}
    headers = [(k, where.get(k, v)) for k, v in SNAPSHOT]
    return [*headers[:4], ("Priority", priority), *headers[4:]]


def test_newexten_passes_only_for_the_first_step_in_the_last_resort() -> None:
    f = EventFilter(event_filters())
    step = [("Extension", "s"), ("Application", "Playback"), ("AppData", "x")]
    assert f.allows(event("Newexten", *at_step("last-resort", "1"), *step, klass="dialplan"))
    for priority in ("2", "10", "11", "21"):  # each prompt and choice after the way in
        later = event("Newexten", *at_step("last-resort", priority), *step, klass="dialplan")
        assert not f.allows(later), priority
    assert not f.allows(event("Newexten", *at_step("central-number", "1"), *step))
    for noise in ("NewConnectedLine", "Newstate", "HangupRequest", "DeviceStateChange"):
        assert not f.allows(event(noise, *SNAPSHOT)), noise


@pytest.mark.parametrize(("cause", "passes"), [("4", True), ("16", False), ("40", False)])
def test_soft_hangups_pass_only_for_a_shutdown(cause: str, passes: bool) -> None:
    """A shutdown's hangups (AST_SOFTHANGUP_SHUTDOWN) are read; a caller's are noise."""
    data = event("SoftHangupRequest", *SNAPSHOT, ("Cause", cause))
    assert EventFilter(event_filters()).allows(data) is passes


async def test_the_filtered_stream_records_the_same_calls(stack: StackFactory) -> None:
    tap = Tap()
    settings = SimSettings(
        failsafe_seconds=6,
        counter_queue_timeout=60,
        lighthouse_queue_timeout=120,
        padding_events=60,
    )
    async with stack(at("2026-11-23 11:30"), speed=150, settings=settings) as s:
        s.sim.ast.sinks.add(tap)
        s.sim.traffic.calls_per_hour = 1500
        s.sim.traffic.max_calls = 80
        s.sim.ast.start_task(s.sim.traffic.run(), name="traffic")
        await until(lambda: s.sim.traffic.started >= 80, 60)
        await until(lambda: all(t.ended is not None for t in s.sim.ast.truth.values()), 60)

    keep = EventFilter(event_filters())
    kept = [e for e in tap.events if keep.allows(e)]
    whole, _, errors_whole = replay_bytes([BANNER, *tap.events])
    filtered, _, errors_filtered = replay_bytes([BANNER, *kept])

    assert errors_whole == errors_filtered == 0
    assert len(whole) == 80
    assert stored(filtered) == stored(whole)
    outcomes = Counter(c.outcome.value for c in whole if c.outcome)
    assert {"answered", "abandoned", "last_resort"} <= set(outcomes), outcomes
    visits = Counter(v.outcome.value for c in whole for v in c.visits if v.outcome)
    assert {"answered", "abandoned", "timeout"} <= set(visits), visits
    assert len(kept) < len(tap.events) / 3  # what the filters are for
