"""End to end over TCP, what a real Asterisk 22 did with the service and its generated
configuration: calls during a service outage, the fail-safe with the lighthouse closed or
unstaffed, ``core restart now``, music on hold that cannot play, no prompts installed."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

import callcenter.simulator.calls as sim_calls
from callcenter.dialplan.prompts import next_open_text
from callcenter.figures.stats import queue_stats
from callcenter.simulator import CallerProfile, SimSettings, Simulator
from callcenter.store.models import DialRow
from callcenter.store.records import Outcome, VisitOutcome
from routing.site import Site
from tests.ami.test_client import until
from tests.service.conftest import Stack, StackFactory, at, lone_sim
from tests.service.conftest import (
    both_timestamp_modes as both_timestamp_modes,  # all tests run in both modes
)


def pause_all(sim: Simulator, queue: str, paused: bool = True) -> None:
    q = sim.ast.queues[queue]
    for m in q.members.values():
        q.pause(m, paused, "test")


def records_left(sim: Simulator) -> list[str]:
    return sorted(
        k
        for (f, k) in sim.ast.astdb
        if f == "vuurtoren" and "/" in k and k.startswith(("failsafe/", "callback/"))
    )


async def test_calls_during_an_outage_all_reach_the_store(
    stack: StackFactory, example_site: Site, timestamps: bool
) -> None:
    sim = await lone_sim(example_site, seed=21, timestamps=timestamps)
    try:
        async with stack(at("2026-11-23 10:00"), sim=sim):
            pass  # the service wrote the counter states, then stops
        pause_all(sim, "sociale-dienst")
        answered = sim.call(CallerProfile(number="+32470500001", digits="0", talk_seconds=5))
        menu_hangup = sim.call(CallerProfile(number="+32470500002", hangup_in_menu=True))
        # a talk of 20 min (30 s real): still going when the service is back, however long
        # it takes to start on a busy machine (400 s, 10 s real, ended first beside a hog)
        talking = sim.call(CallerProfile(number="+32470500003", digits="52", talk_seconds=1200))
        waiting = sim.call(CallerProfile(number="+32470500004", digits="1", patience=900))
        await until(lambda: answered.truth.ended and menu_hangup.truth.ended, 20)
        await until(lambda: bool(talking.truth.visits) and talking.truth.outcome == "answered")
        await until(lambda: bool(sim.ast.queues["sociale-dienst"].entries))
        assert len(records_left(sim)) == 4  # three fail-safe routings and one menu hang-up
        async with stack(at("2026-11-23 10:00"), sim=sim) as s:
            pause_all(sim, "sociale-dienst", False)  # the waiting caller is answered now
            recs = {
                c.truth.linkedid: await s.record(c.truth.linkedid, 90)
                for c in (answered, menu_hangup, talking, waiting)
            }
            total = await s.run.store.count()
            left = records_left(sim)
    finally:
        await sim.stop()
    assert total == 4 and left == []  # every call stored once; AstDB cleaned up
    done = recs[answered.truth.linkedid]
    assert done.outcome is Outcome.FAILSAFE and done.failsafe
    assert done.caller == "+32470500001" and done.digits == "0"
    assert "fail-safe to queue onthaal" in (done.outcome_reason or "")
    gone = recs[menu_hangup.truth.linkedid]
    assert gone.outcome is Outcome.ABANDONED
    assert "before it was routed" in (gone.outcome_reason or "")
    # the two still up when the service came back were adopted and followed to their end
    talk = recs[talking.truth.linkedid]
    assert talk.failsafe and talk.outcome is Outcome.FAILSAFE
    assert [(v.queue, v.outcome) for v in talk.visits] == [("lighthouse", VisitOutcome.ANSWERED)]
    assert talk.visits[0].talk_seconds == talking.truth.visits[0].talk_seconds
    assert talk.visits[0].wait_seconds == talking.truth.visits[0].hold_seconds
    wait = recs[waiting.truth.linkedid]
    assert wait.failsafe and [v.queue for v in wait.visits] == ["sociale-dienst"]
    assert wait.visits[0].outcome is VisitOutcome.ANSWERED
    assert wait.visits[0].wait_seconds == waiting.truth.visits[0].hold_seconds


@pytest.mark.parametrize("why", ["closed", "unstaffed"])
async def test_failsafe_skips_a_lighthouse_that_cannot_answer(
    stack: StackFactory, example_site: Site, why: str, timestamps: bool
) -> None:
    """At night (lighthouse closed), or by day with nobody logged in on it, a fail-safe
    call goes to the last resort at once, with the counter's next opening, instead of
    waiting 600 s in an empty lighthouse queue; a callback request made there reaches the
    store once the service is back."""
    start = "2026-11-23 21:00" if why == "closed" else "2026-11-23 10:00"
    counter, opens = example_site.counter("schuldbemiddeling"), at("2026-11-24 09:00")
    sim = await lone_sim(example_site, seed=22, start=start, timestamps=timestamps)
    try:
        async with stack(at(start), sim=sim) as s:
            if why == "unstaffed":
                lh = sim.ast.queues["lighthouse"]
                for m in lh.members.values():
                    m.device.status = 5  # every lighthouse phone unregistered
                    lh.member_event("QueueMemberStatus", m)
            await until(lambda: sim.ast.db_get("vuurtoren", "counter/lighthouse") == why)
            key = "announce/schuldbemiddeling/nl"
            await until(lambda: bool(sim.ast.db_get("vuurtoren", key)))
            texts = dict(s.run.service.announcer.texts)
        call = sim.call(
            CallerProfile(number="+32470600001", digits="52", last_resort_choice="callback")
        )
        await until(lambda: call.truth.ended is not None, 20)
        assert call.truth.failsafe and call.truth.visits == []  # no queue at all
        assert call.truth.outcome == "last_resort" and call.truth.last_resort == "callback"
        # with the service gone, the caller still hears when the counter opens again
        said = [texts[h] for h in call.truth.heard if h.startswith("dyn/")]
        expected = next_open_text(example_site, counter, opens, at(start), "nl", relative=False)
        assert said == [expected]  # it may be heard days later: the date, not "morgen"
        assert "op dinsdag 24 november om 9 uur, op de Markt 1" in said[0]
        async with stack(at(start), sim=sim) as s:
            rec = await s.record(call.truth.linkedid)
            # ...and Vuurtoren calls back at the counter's next opening, as if it had been there
            async with asyncio.timeout(10):
                while not (dials := await _dials(s)):
                    await asyncio.sleep(0.05)
    finally:
        await sim.stop()
    assert rec.failsafe and rec.last_resort and rec.callback_requested is not None
    [dial] = dials
    assert (dial.call_id, dial.kind, dial.state) == (call.truth.linkedid, "opening", "waiting")
    assert dial.next_at == at("2026-11-24 09:00")


async def _dials(s: Stack) -> list[DialRow]:
    async with s.run.ops.dialer.sessions() as session:
        return list(await session.scalars(select(DialRow)))


async def test_asterisk_shutdown_is_no_abandon(stack: StackFactory, example_site: Site) -> None:
    async with stack(at("2026-11-23 10:00")) as s:
        pause_all(s.sim, "sociale-dienst")
        waiting = s.call(number="+32470700001", digits="1", patience=900)
        talking = s.call(number="+32470700002", digits="0", talk_seconds=600)
        await until(lambda: bool(s.sim.ast.queues["sociale-dienst"].entries), 15)
        await until(lambda: talking.truth.outcome == "answered", 15)
        await s.sim.faults.restart(downtime=0.3)
        recs = [await s.record(c.truth.linkedid, 20) for c in (waiting, talking)]
    for rec in recs:
        assert rec.outcome is Outcome.LOST_TRACK
        assert rec.outcome_reason == "Asterisk shut down or restarted"
    assert [v.outcome for v in recs[0].visits] == [VisitOutcome.LOST]
    assert [v.outcome for v in recs[1].visits] == [VisitOutcome.ANSWERED]
    stats = queue_stats(recs, example_site)
    assert "sociale-dienst" not in stats or stats["sociale-dienst"].queued == 0
    assert stats["onthaal"].abandoned == stats["onthaal"].abandoned_short == 0


@pytest.mark.parametrize("step", ["Wait", "MusicOnHold"])
async def test_the_hold_lasts_when_music_cannot_play(
    stack: StackFactory, monkeypatch: pytest.MonkeyPatch, step: str
) -> None:
    """The generated hold loop (music in the background, ``Wait(1)`` steps) lasts the whole
    fail-safe time with no music; the old ``MusicOnHold(default,1)`` loop ran out at once and
    the fail-safe raced the Redirect (callers entered queues twice)."""
    monkeypatch.setattr(sim_calls, "HOLD_STEP_APP", step)
    settings = SimSettings(failsafe_seconds=6, music_on_hold=False)
    async with stack(at("2026-11-23 10:00"), settings=settings) as s:
        calls = [s.call(number=f"+3247080000{i}", digits="0", talk_seconds=5) for i in range(4)]
        await until(lambda: all(c.truth.ended is not None for c in calls), 30)
    if step == "MusicOnHold":  # the simulator knows the old loop's fault
        assert all(c.truth.failsafe for c in calls)
        return
    for c in calls:
        assert not c.truth.failsafe and c.truth.redirected_to == ("queues", "onthaal")
        assert [v.queue for v in c.truth.visits] == ["onthaal"]


async def test_no_prompts_installed_no_caller_is_dropped(stack: StackFactory) -> None:
    """A stock Asterisk without Vuurtoren's prompts: no menu (the default topic), and the
    last resort runs to its end (helplines, goodbye) instead of hanging up on the caller."""
    settings = SimSettings(failsafe_seconds=6, prompts=False)
    async with stack(at("2026-11-23 10:00"), settings=settings) as s:
        day = s.call(number="+32470900001", digits="1", talk_seconds=5)
        rec = await s.record(day.truth.linkedid)
    assert rec.decision is not None and rec.decision.topic == "algemeen"  # menu skipped
    async with stack(at("2026-11-23 21:00"), settings=settings) as s:
        night = s.call(number="+32470900002", digits="1", last_resort_choice="callback")
        rec = await s.record(night.truth.linkedid)
        steps = [
            a
            for a in s.sim.ast.actions_received
            if a.name == "Redirect" and a.get("Context") == "last-resort"
        ]
    assert steps and night.truth.outcome == "last_resort"
    assert night.truth.hangup_stage == "last-resort" and night.truth.last_resort == "hangup"
    assert rec.outcome is Outcome.LAST_RESORT and rec.callback_requested is None
