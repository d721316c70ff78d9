"""A scripted morning through the simulated Asterisk (over TCP, its clock at 40x): known
arrivals, an answer, an abandon, a short abandon, a timeout onward to the lighthouse, a
planned closure, a counter with nobody logged in. Every wallboard and report figure is
checked against values worked out by hand here, and the counts against the simulated
Asterisk's own QueueStatus counters."""

from __future__ import annotations

from datetime import date

from callcenter.figures.reports import build_report, period
from callcenter.simulator import SimSettings
from dashboard.wallboard import BoardCache
from tests.ami.test_client import until
from tests.service.conftest import Stack, StackFactory, at
from tests.service.test_callbacks_live import one_agent

SETTINGS = SimSettings(failsafe_seconds=6, counter_queue_timeout=30)


def always_answer(s: Stack, queue: str) -> None:
    for member in s.sim.ast.queues[queue].members.values():
        member.device.answer_probability, member.device.answer_delay = 1.0, (1.0, 2.0)


async def test_a_scripted_morning_adds_up(stack: StackFactory) -> None:
    async with stack(at("2026-11-23 10:00"), settings=SETTINGS) as s:
        ast = s.sim.ast
        run = s.run
        await run.ops.closures.add(
            ["woonloket"], date(2026, 11, 23), reason="Opleiding", actor="mia"
        )
        await until(lambda: ast.db_get("vuurtoren", "counter/woonloket") == "closed", 10)
        one_agent(s, "sociale-dienst")
        always_answer(s, "lighthouse")
        onthaal = ast.queues["onthaal"]
        for iface in list(onthaal.members):
            onthaal.remove_member(iface)  # nobody at the onthaal: "no agents"
        await until(lambda: run.service.tracker.queues["onthaal"].state().agents == 0, 10)

        # A: answered at the counter at once; then talks long, so the counter is busy
        a = s.call(number="+32470910001", digits="1", talk_seconds=400, patience=600)
        await until(lambda: a.truth.outcome == "answered", 15)
        # B gives up after 20 s; C within the 5 s short-abandon threshold
        b = s.call(number="+32470910002", digits="1", patience=20)
        await s.record(b.truth.linkedid, timeout=20)
        c = s.call(number="+32470910003", digits="1", patience=2)
        await s.record(c.truth.linkedid, timeout=20)
        # E waits out the counter's 30 s and is answered by the lighthouse
        e = s.call(number="+32470910005", digits="1", patience=900, talk_seconds=20)
        # D: the woonloket is closed today (planned closure); F: nobody at the onthaal
        d = s.call(number="+32470910004", digits="21", talk_seconds=20)
        f = s.call(number="+32470910006", digits="0", talk_seconds=20)
        for call in (a, d, e, f):
            await s.record(call.truth.linkedid, timeout=60)

        # the wallboard
        board = BoardCache(run.app).get()[0] if run.app is not None else {}
        tiles = {t["queue"]: t for t in board["tiles"]}
        sd = tiles["sociale-dienst"]["today"]
        assert {k: sd[k] for k in ("queued", "answered", "abandoned", "abandoned_short")} == {
            "queued": 4,  # A, B, C, E
            "answered": 1,
            "abandoned": 1,
            "abandoned_short": 1,
        }
        assert sd["service_level"] == round(1 / 3, 4)  # A within 20 s / (An + Ab + TO)
        lh = tiles["lighthouse"]["today"]
        assert (lh["queued"], lh["answered"], lh["service_level"]) == (3, 3, 1.0)  # D, E, F
        assert tiles["lighthouse"]["by_reason"] == {"closure": 1, "no_agents": 1}
        assert tiles["woonloket"]["reason"] == "closure" and not tiles["woonloket"]["open"]
        summary = board["summary"]
        assert (summary["calls_today"], summary["lighthouse_calls"]) == (6, 2)
        assert summary["lighthouse_share"] == round(2 / 6, 4)
        assert (summary["closed_calls"], summary["closed_coverage"]) == (1, 1.0)
        # answered in the first queue: A, D (lighthouse first), F (lighthouse first) of the
        # six that reached a queue
        assert summary["first_queue_share"] == 0.5

        # the report of the day: the same figures, from the store
        report = (
            await build_report(
                run.store.engine, run.service.site, period("day", date(2026, 11, 23))
            )
        ).data
        rq = {q["queue"]: q for q in report["queues"]}
        r_sd = rq["sociale-dienst"]
        assert [
            r_sd[k] for k in ("queued", "answered", "abandoned", "abandoned_short", "timeout")
        ] == [
            4,
            1,
            1,
            1,
            1,
        ]
        assert r_sd["service_level"] == round(1 / 3, 4)
        assert r_sd["abandon_rate"] == round(1 / 3, 4)  # Ab / (Q - Ab_s - CB)
        assert r_sd["max_wait_seconds"] == 30  # E's timeout
        assert (rq["lighthouse"]["queued"], rq["lighthouse"]["answered"]) == (3, 3)
        assert report["totals"]["arrived"] == 6 and report["totals"]["refused"] == 1
        assert report["lighthouse_by_reason"] == {"closure": 1, "no_agents": 1}
        assert report["totals"]["closed"] == 1 and report["totals"]["closed_coverage"] == 1.0

        # Asterisk's own counters for the same calls: Completed = answered; Abandoned also
        # counts the timeout
        status = {q.queue: q.params for q in await run.ami.queue_status()}
        assert int(status["sociale-dienst"]["Completed"]) == 1
        assert int(status["sociale-dienst"]["Abandoned"]) == 3
        assert int(status["lighthouse"]["Completed"]) == 3
        assert int(status["lighthouse"]["Abandoned"]) == 0
