"""A waiting caller hears their place and an honest expected wait: on joining, and whispered
again every ``queue_announce_seconds`` while they wait; the wait comes from the queue's own
pace of answers, not from Asterisk's rolling average."""

from __future__ import annotations

import asyncio
import random
from datetime import timedelta

from callcenter.ami import AMIClient, ClientSettings
from callcenter.calls.queue_voice import PER_TICK, QueueVoice
from callcenter.calls.tracker import CallTracker, LiveQueue, Member
from callcenter.dialplan.names import COUNTER_QUEUE_TIMEOUT
from callcenter.store.records import CallRecord
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
    # four answers in the last ten minutes: one every 150 s, counted up to now; the head of
    # the line waits half of that (the agents are mid-call), each place behind a whole one
    for minutes in (10, 7, 4, 1):
        v.answered("sociale-dienst", NOW - timedelta(minutes=minutes))
    assert v.expected_wait("sociale-dienst", 1, NOW) == 75
    assert v.expected_wait("sociale-dienst", 2, NOW) == 225
    names = [f.rsplit("/", 1)[1] for f in v.words("sociale-dienst", 2, "nl", NOW)]
    assert names == ["positie-2", "wachttijd-4", "terugbellen-in-rij"]  # the nearest: 3.75
    # the line stalls: nobody answered for twenty minutes; the wait grows with it
    later = NOW + timedelta(minutes=20)
    assert v.expected_wait("sociale-dienst", 1, later) == 0.5 * (30 * 60) / 4


def test_without_a_pace_the_work_ahead_over_the_agents(example_site: Site) -> None:
    v = voice(example_site, agents=2)
    # two answers are too few to trust: 2.5 calls x 360 s (its handle time) / 2 agents
    v.answered("sociale-dienst", NOW - timedelta(minutes=2))
    v.answered("sociale-dienst", NOW - timedelta(minutes=1))
    assert v.expected_wait("sociale-dienst", 3, NOW) == 2.5 * 360 / 2
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


WAIT_BAND_SECONDS = 60
"""The wait told ("ongeveer N minuten") and the wait had until a person may differ by this
much, or by half the wait told when that is more (``docs/prompts.md``)."""


async def test_the_wait_told_is_the_wait_had(stack: StackFactory) -> None:
    """A morning at a counter with two agents, callers arriving about every 75 s for calls of
    about two minutes: for at least 80 % of the whispers that say a wait, the caller is put
    through to a person within the band of what they were told."""
    rng = random.Random(5)
    async with stack(at("2026-11-23 09:05"), speed=100) as s:
        told: list[tuple[str, list[str], float]] = []
        voice = s.run.service.voice
        whisper = voice.whisper

        line = s.sim.ast.queues["sociale-dienst"]
        places: list[tuple[str, int | None]] = []

        def noted(channel: str, files: list[str]) -> None:
            told.append((channel, files, s.sim.ast.clock.epoch()))
            said = next(f.rsplit("/positie-", 1)[1] for f in files if "/positie-" in f)
            asterisk = next(
                (i for i, e in enumerate(line.entries, 1) if e.channel.name == channel), None
            )
            places.append((said, asterisk))
            whisper(channel, files)

        voice.whisper = noted  # type: ignore[method-assign]
        calls = []
        for i in range(30):
            talk = max(30.0, rng.lognormvariate(4.8, 0.5))
            calls.append(
                s.call(number=f"+324701400{i:02d}", digits="1", patience=3000, talk_seconds=talk)
            )
            await s.sim.clock.sleep(rng.expovariate(1 / 75))
        await asyncio.wait([c.task for c in calls if c.task is not None], timeout=120)
    by_channel = {c.truth.channel: c for c in calls}
    pairs = []
    for channel, files, when in told:
        said = [f.rsplit("/", 1)[1] for f in files if "/wachttijd-" in f]
        call = by_channel.get(channel)
        answered = [v for v in call.truth.visits if v.outcome == "answered"] if call else []
        if not said or not answered or said[0] == "wachttijd-meer":
            continue
        minutes = int(said[0].removeprefix("wachttijd-"))
        had = answered[0].joined + (answered[0].hold_seconds or 0) - when
        pairs.append((minutes * 60, had))
    # the place said is the caller's place in Asterisk's own line; at most one behind it,
    # when the line moved in the few milliseconds between the event and the whisper
    seen = [(int(said), at) for said, at in places if at is not None and said.isdigit()]
    assert seen and all(0 <= said - at <= 1 for said, at in seen), [p for p in seen if p[0] != p[1]]
    assert sum(said == at for said, at in seen) >= 0.9 * len(seen), seen
    assert len(pairs) >= 15, pairs  # the line did build up: there was a wait to tell
    within = [t for t, h in pairs if abs(h - t) <= max(WAIT_BAND_SECONDS, t / 2)]
    assert len(within) >= 0.8 * len(pairs), pairs


def test_a_counters_wait_is_never_told_longer_than_its_way_to_the_lighthouse(
    example_site: Site,
) -> None:
    """A counter's caller waits there at most the queue's timeout, then goes to the lighthouse:
    with someone free there, the wait told is what is left of the timeout, not the counter's
    long line."""
    v = voice(example_site, agents=2)
    lh = v.tracker.queues["lighthouse"] = LiveQueue("lighthouse")
    lh.members["PJSIP/lh"] = Member("PJSIP/lh", "Vuurtoren")
    for minutes in (10, 7, 4, 1):  # one answer every 150 s at the counter
        v.answered("sociale-dienst", NOW - timedelta(minutes=minutes))
    far_back = v.words("sociale-dienst", 6, "nl", NOW)  # 5.5 x 150 s: nearest 15 minutes
    assert far_back[1].endswith("/wachttijd-15")
    joined = NOW - timedelta(seconds=COUNTER_QUEUE_TIMEOUT - 60)  # a minute before its timeout
    capped = v.words("sociale-dienst", 6, "nl", NOW, joined)
    assert capped[1].endswith("/wachttijd-1")
    # nobody can answer at the lighthouse: the counter's own line is all there is
    lh.members.clear()
    assert v.words("sociale-dienst", 6, "nl", NOW, joined)[1].endswith("/wachttijd-15")
