"""The call tracker on its own: idempotent, and one record per call whatever happens."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from callcenter.ami import Message
from callcenter.calls.capture import replay_bytes
from callcenter.calls.tracker import LiveQueue
from callcenter.figures.stats import queue_stats
from callcenter.simulator import CallerProfile, SimSettings, Simulator
from routing.site import Site
from tests.ami.test_client import until
from tests.service.conftest import at


async def scenario_events(site: Site) -> list[Message]:
    """Events of a mix of calls routed by a tiny router (no service): answered, abandoned,
    timed out to the lighthouse, last resort, fail-safe."""
    sim = Simulator(
        site,
        speed=60,
        start=at("2026-11-23 10:00"),
        seed=9,
        settings=SimSettings(failsafe_seconds=6, counter_queue_timeout=20),
    )
    events: list[Message] = []
    sim.ast.listen(events.append)
    await sim.start()
    routes = {
        "1": ("queues", "sociale-dienst"),
        "0": ("queues", "onthaal"),
        "52": ("last-resort", "schuldbemiddeling"),
    }

    def route(m: Message) -> None:
        if m.get("UserEvent") == "RouteRequest" and m["Topic"] in routes:
            call = sim.ast.calls.get(m["Channel"])
            if call is not None:
                call.redirect(*routes[m["Topic"]])

    sim.ast.listen(route)
    q = sim.ast.queues["onthaal"]
    for m in q.members.values():
        q.pause(m, True, "x")
    calls = [
        sim.call(CallerProfile(number="1", digits="1", talk_seconds=20)),
        sim.call(CallerProfile(number="2", digits="0", patience=10)),  # abandons
        sim.call(CallerProfile(number="3", digits="0", patience=100, talk_seconds=5)),  # times out
        sim.call(CallerProfile(number="4", digits="52", last_resort_choice="hangup")),
        sim.call(CallerProfile(number="5", digits="41", talk_seconds=5)),  # no route: fail-safe
        sim.call(CallerProfile(number="6", digits="1", hangup_in_menu=True)),
    ]
    await until(lambda: all(c.truth.ended is not None for c in calls), 20)
    await sim.stop()
    return events


async def test_each_event_twice_changes_nothing(example_site: Site) -> None:
    events = await scenario_events(example_site)
    once, _, _ = replay_bytes([e.encode() for e in events], example_site)
    twice, _, _ = replay_bytes([e.encode() for e in events for _ in range(2)], example_site)
    assert len(once) == len(twice) == 6
    summary = [
        (c.call_id, c.outcome, [(v.queue, v.outcome, v.wait_seconds) for v in c.visits])
        for c in once
    ]
    assert summary == [
        (c.call_id, c.outcome, [(v.queue, v.outcome, v.wait_seconds) for v in c.visits])
        for c in twice
    ]
    outcomes = sorted(str(c.outcome) for c in once)
    assert outcomes == ["abandoned", "abandoned", "answered", "answered", "failsafe", "last_resort"]
    stats = queue_stats(once, example_site)
    assert stats["onthaal"].timeout == 1 and stats["onthaal"].abandoned == 1
    assert stats["lighthouse"].answered == 2  # the timed-out caller and the fail-safe one


async def test_a_connect_missed_while_disconnected_is_caught_up(example_site: Site) -> None:
    """The link was down when the agent answered: AgentComplete alone still tells the truth."""
    events = await scenario_events(example_site)
    answered_ids = {e["Linkedid"] for e in events if e.name == "AgentConnect"}
    without_connects = [e for e in events if e.name not in ("AgentConnect",)]
    calls, _, _ = replay_bytes([e.encode() for e in without_connects], example_site)
    by_id = {c.call_id: c for c in calls}
    for call_id in answered_ids:
        call = by_id[call_id]
        visit = call.answered_visit
        assert visit is not None and visit.agent and visit.talk_seconds is not None
        assert call.outcome.value in ("answered", "failsafe")


@given(st.lists(st.integers(min_value=0, max_value=12), max_size=30))
def test_the_live_line_keeps_asterisks_order(positions: list[int]) -> None:
    """Each join carries Asterisk's ``Position`` (0: none given, the end of the line); a
    queued callback's stand-in goes in at the place it kept. The tracker's line is in the
    order Asterisk's is, whatever the mix."""
    line: list[str] = []
    live = LiveQueue("q")
    when = at("2026-11-23 10:00")
    for i, wanted in enumerate(positions):
        uid = f"u{i}"
        place = len(line) if not wanted or wanted > len(line) else wanted - 1
        line.insert(place, uid)  # as app_queue inserts at Queue()'s position argument
        live.join(uid, when, place + 1)
    assert list(live.waiting) == line
