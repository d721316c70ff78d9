"""End to end over TCP, behaviours a real Asterisk 22 showed that the service must hold to
(``shared/reference/asterisk-behaviour.md``), each taught to the simulated Asterisk first:

- ``AgentComplete`` without any of the caller's channel fields, after the caller's channel is
  gone: the talk time is kept all the same;
- a paused member is still a member: a queue whose members are all paused (beyond a short
  grace) or unavailable is not staffed, for the decision and for the fail-safe's AstDB state;
- ``AMI_CLIENT(<user>,sessions)`` counts any program logged in with the account: "is
  Vuurtoren there?" is the service's own heartbeat in AstDB.
"""

from __future__ import annotations

from callcenter.ami import AMIClient, ClientSettings, Message
from callcenter.calls.tracker import PAUSE_GRACE
from callcenter.simulator import CallerProfile, SimSettings
from callcenter.store.records import Outcome, VisitOutcome
from routing.site import Site
from tests.ami.test_client import until
from tests.service.conftest import SECRET, StackFactory, at, lone_sim


async def test_a_bare_agent_complete_keeps_the_talk_time(stack: StackFactory) -> None:
    """Every talk the caller ends is completed by an AgentComplete that names no channel,
    sent after the caller's channels hung up: each stored visit still has its talk time."""
    settings = SimSettings(failsafe_seconds=6, bare_complete_every=1)
    async with stack(at("2026-11-23 10:00"), settings=settings) as s:
        bare: list[Message] = []
        s.sim.ast.listen(
            lambda m: (
                bare.append(m) if m.name == "AgentComplete" and not m.get("Uniqueid") else None
            )
        )
        calls = [
            s.call(number=f"+3247011000{i}", digits=d, talk_seconds=12 + i)
            for i, d in enumerate(("1", "0", "4"))
        ]
        recs = [await s.record(c.truth.linkedid, 40) for c in calls]
        assert len(bare) == 3  # the simulator did send the bare shape, once a call
        tracker = s.run.service.tracker
        await until(lambda: not tracker._talk_owed, 10)  # every late AgentComplete matched
        await s.run.writer.flush()
        for call, rec in zip(calls, recs, strict=True):
            truth = call.truth.visits[0]
            assert rec.outcome is Outcome.ANSWERED
            # the stored record was written again once the late AgentComplete was read
            stored = await s.run.store.get(call.truth.linkedid)
            assert stored is not None and stored.visits[0].talk_seconds == truth.talk_seconds
            assert stored.visits[0].ended_by == "caller"


async def test_paused_members_do_not_staff_a_queue(stack: StackFactory) -> None:
    async with stack(at("2026-11-23 10:00")) as s:
        service, sim = s.run.service, s.sim
        lh = sim.ast.queues["lighthouse"]
        await until(lambda: sim.ast.db_get("vuurtoren", "counter/lighthouse") == "open", 10)
        for m in lh.members.values():
            lh.pause(m, True, "lunch")
        # a pause of seconds (a sip of water) changes nothing yet...
        live = service.tracker.queues["lighthouse"]
        await until(lambda: all(m.paused for m in live.members.values()), 10)
        assert live.state(service.clock.now()).agents == len(live.members)
        assert sim.ast.db_get("vuurtoren", "counter/lighthouse") == "open"
        # ...past the grace, nobody can answer: the fail-safe and the decision pass it by
        await until(lambda: sim.ast.db_get("vuurtoren", "counter/lighthouse") == "unstaffed", 20)
        assert (
            service.clock.now() - min(m.paused_at for m in live.members.values() if m.paused_at)
            >= PAUSE_GRACE
        )
        # Monday 10:00: the woonloket is open; the svk (one agent) paused too: no_agents, and
        # the lighthouse cannot answer either: the last resort, not a 600 s wait
        svk = sim.ast.queues["svk"]
        for m in svk.members.values():
            svk.pause(m, True, "admin")
        await until(
            lambda: sim.ast.db_get("vuurtoren", "counter/sociaal-verhuurkantoor") == "unstaffed", 20
        )
        call = s.call(number="+32470120001", digits="22", last_resort_choice="hangup")
        rec = await s.record(call.truth.linkedid, 40)
        assert rec.decision is not None
        assert (rec.decision.target.value, rec.decision.reason.value) == (
            "last_resort",
            "no_agents",
        )
        assert call.truth.visits == []
        # one agent back: staffed again at once
        lh.pause(next(iter(lh.members.values())), False, "")
        await until(lambda: sim.ast.db_get("vuurtoren", "counter/lighthouse") == "open", 10)


async def test_another_session_on_the_account_is_not_vuurtoren(
    stack: StackFactory, example_site: Site
) -> None:
    """A capture or a monitoring script logged in with the service's account while the
    service is away: a caller who hangs up before being routed is still recorded."""
    sim = await lone_sim(example_site, seed=31)
    other = AMIClient(
        ClientSettings(port=sim.port, username=example_site.asterisk.username, secret=SECRET)
    )
    try:
        async with stack(at("2026-11-23 10:00"), sim=sim):
            await until(lambda: bool(sim.ast.db_get("vuurtoren", "heartbeat")), 10)
        # the service stopped: its heartbeat is gone at once
        assert not sim.ast.vuurtoren_here()
        await other.start()
        await other.wait_connected(10)
        assert sim.ast.ami_sessions(example_site.asterisk.username) == 1
        gone = sim.call(CallerProfile(number="+32470130001", hangup_in_menu=True))
        await until(lambda: gone.truth.ended is not None, 20)
        assert any(k == f"failsafe/{gone.truth.linkedid}" for _, k in sim.ast.astdb)
        async with stack(at("2026-11-23 10:00"), sim=sim) as s:
            rec = await s.record(gone.truth.linkedid, 20)
            assert rec.outcome is Outcome.ABANDONED
            assert "before it was routed" in (rec.outcome_reason or "")
            # with the service back, a hang-up in the menu is seen, not left in AstDB
            seen = s.call(number="+32470130002", hangup_in_menu=True)
            rec2 = await s.record(seen.truth.linkedid, 20)
            assert rec2.outcome is Outcome.ABANDONED
            assert not any(k == f"failsafe/{seen.truth.linkedid}" for _, k in sim.ast.astdb)
    finally:
        await other.close()
        await sim.stop()


async def test_outage_calls_keep_their_counter_and_their_abandons(
    stack: StackFactory, example_site: Site
) -> None:
    """While Vuurtoren is away the dialplan records where each call went and why (the
    counter's state in AstDB) and, for a caller who hangs up in a queue before a member
    answers, the visit: once back, the counter's and the lighthouse's figures count them."""
    sim = await lone_sim(example_site, seed=32)
    try:
        async with stack(at("2026-11-23 10:00"), sim=sim):
            pass  # the states are written (woonloket open, schuldbemiddeling closed on Monday)
        for queue in ("woonloket", "lighthouse"):
            q = sim.ast.queues[queue]
            for m in q.members.values():
                q.pause(m, True, "test")  # nobody answers: the callers give up
        to_counter = sim.call(CallerProfile(number="+32470140001", digits="21", patience=8))
        to_lighthouse = sim.call(CallerProfile(number="+32470140002", digits="52", patience=30))
        await until(lambda: to_counter.truth.ended and to_lighthouse.truth.ended, 30)
        visits = sorted(k for f, k in sim.ast.astdb if f == "vuurtoren" and k.startswith("visit/"))
        assert len(visits) == 2
        async with stack(at("2026-11-23 10:00"), sim=sim) as s:
            first = await s.record(to_counter.truth.linkedid)
            second = await s.record(to_lighthouse.truth.linkedid)
    finally:
        await sim.stop()
    assert first.failsafe and first.decision is not None
    assert (first.decision.target.value, first.decision.counter, first.decision.reason.value) == (
        "counter",
        "woonloket",
        "open",
    )
    assert first.decision.topic == "wonen"
    [visit] = first.visits
    assert (visit.queue, visit.outcome) == ("woonloket", VisitOutcome.ABANDONED)
    assert visit.wait_seconds is not None and abs(visit.wait_seconds - 8) <= 1
    assert second.decision is not None
    assert (second.decision.target.value, second.decision.counter) == (
        "lighthouse",
        "schuldbemiddeling",
    )
    assert second.decision.reason.value == "closed"
    [visit] = second.visits
    assert (visit.queue, visit.outcome) == ("lighthouse", VisitOutcome.ABANDONED)
    assert visit.wait_seconds is not None and abs(visit.wait_seconds - 30) <= 1
