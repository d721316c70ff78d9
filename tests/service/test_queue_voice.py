"""A waiting caller hears their place and an honest expected wait: on joining, and whispered
again every ``queue_announce_seconds`` while they wait; the wait comes from the queue's own
pace of answers, not from Asterisk's rolling average."""

from __future__ import annotations

from datetime import timedelta

from callcenter.ami import AMIClient, ClientSettings
from callcenter.prompts.queue_voice import PER_TICK, QueueVoice
from callcenter.tracker import CallRecord, CallTracker, LiveQueue, Member
from routing.site import Site
from tests.ami.test_client import until
from tests.service.conftest import StackFactory, at

NOW = at("2026-11-23 10:00")


def voice(site: Site, agents: int = 2) -> QueueVoice:
    tracker = CallTracker(site, now=lambda: NOW)
    q = tracker.queues["sociale-dienst"] = LiveQueue("sociale-dienst")
    for i in range(agents):
        q.members[f"PJSIP/{i}"] = Member(f"PJSIP/{i}", f"Agent {i}")  # status 1: logged in
    return QueueVoice(site, AMIClient(ClientSettings(port=1)), tracker, lambda: NOW)


def test_the_wait_follows_the_queues_own_pace(example_site: Site) -> None:
    v = voice(example_site)
    # four answers in the last ten minutes: one every 150 s, counted up to now
    for minutes in (10, 7, 4, 1):
        v.answered("sociale-dienst", NOW - timedelta(minutes=minutes))
    assert v.expected_wait("sociale-dienst", 1, NOW) == 150
    assert v.expected_wait("sociale-dienst", 2, NOW) == 300
    names = [f.rsplit("/", 1)[1] for f in v.words("sociale-dienst", 2, "nl", NOW)]
    assert names == ["positie-2", "wachttijd-5", "terugbellen-in-rij"]
    # the line stalls: nobody answered for twenty minutes; the wait grows with it
    later = NOW + timedelta(minutes=20)
    assert v.expected_wait("sociale-dienst", 1, later) == (30 * 60) / 4


def test_without_a_pace_the_work_ahead_over_the_agents(example_site: Site) -> None:
    v = voice(example_site, agents=2)
    # two answers are too few to trust: 3 callers x 360 s (its handle time) / 2 agents
    v.answered("sociale-dienst", NOW - timedelta(minutes=2))
    v.answered("sociale-dienst", NOW - timedelta(minutes=1))
    assert v.expected_wait("sociale-dienst", 3, NOW) == 3 * 360 / 2
    # answers older than half an hour do not count; nobody logged in: no wait is said
    nobody = voice(example_site, agents=0)
    for minutes in (50, 45, 40, 35):
        nobody.answered("sociale-dienst", NOW - timedelta(minutes=minutes))
    assert nobody.expected_wait("sociale-dienst", 1, NOW) is None
    names = [f.rsplit("/", 1)[1] for f in nobody.words("sociale-dienst", 1, "fr", NOW)]
    assert names == ["positie-1", "terugbellen-in-rij"]
    assert nobody.words("sociale-dienst", 25, "fr", NOW)[0].endswith("/fr/positie-meer")


def test_very_long_lines_are_reminded_a_batch_at_a_time(example_site: Site) -> None:
    """Sixty callers due at once: fifty reminders now (the longest waiting first), the other
    ten at the next look; nobody twice, nobody forgotten."""
    v = voice(example_site)
    q = v.tracker.queues["sociale-dienst"]
    for i in range(60):  # in the order they joined, the first two minutes ago
        joined = NOW - timedelta(seconds=120 - i)
        uid = f"uid-{i}"
        q.waiting[uid] = joined
        v.tracker.adopt(CallRecord(f"call-{i}", joined, uniqueid=uid, channel=f"Local/s-{i};2"))
    first = v.due(NOW)
    assert len(first) == PER_TICK == 50
    assert first[0][1] == "Local/s-0;2"  # the longest waiting first
    assert first[0][2][0].endswith("/nl/positie-1") and first[-1][2][0].endswith("/positie-meer")
    assert first[1][2][0].endswith("/nl/positie-2")
    rest = v.due(NOW + timedelta(seconds=5))
    assert sorted(c for _, c, _ in rest) == sorted(f"Local/s-{i};2" for i in range(50, 60))
    assert v.due(NOW + timedelta(seconds=10)) == []


async def test_a_waiting_caller_is_reminded_by_a_whisper(stack: StackFactory) -> None:
    async with stack(at("2026-11-23 10:00")) as s:
        # both agents of the sociale dienst on a call: the next callers wait
        live = s.run.service.tracker.queues["sociale-dienst"]
        busy = [s.call(number=f"+3247093010{i}", digits="1", talk_seconds=3600) for i in (1, 2)]
        await until(lambda: sum(m.in_call for m in live.members.values()) == 2, 30)
        first = s.call(number="+32470930001", digits="1", patience=400)
        await until(lambda: first.waiting, 15)
        second = s.call(number="+32470930002", digits="1", patience=400)
        await until(lambda: second.waiting, 15)
        # within seconds of joining each hears their place (a wait: nobody is free), and
        # after a minute in line (queue_announce_seconds = 60) again
        await until(lambda: "nl/positie-1" in first.truth.heard, 10)
        await until(lambda: "nl/positie-2" in second.truth.heard, 10)
        joined = first.truth.visits[0].joined
        assert s.sim.ast.clock.epoch() - joined < 30  # long before the minute's reminder
        await until(lambda: first.truth.heard.count("nl/positie-1") == 2, 30)
        await until(lambda: second.truth.heard.count("nl/positie-2") == 2, 30)
        reminder = first.truth.heard[-3:]
        assert reminder[0] == "nl/positie-1" and reminder[1].startswith("nl/wachttijd-")
        assert reminder[2] == "nl/terugbellen-in-rij"
        assert s.run.service.voice.whispers >= 2
        # the whispers' own channels are no calls: the tracker knows only the two callers
        calls = s.run.service.tracker.calls
        assert {c.caller for c in calls.values()} == {
            "+32470930001",
            "+32470930002",
            "+32470930101",
            "+32470930102",
        }
        for c in (first, second, *busy):
            c.hangup_now()
