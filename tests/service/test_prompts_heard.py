"""What a caller hears, end to end: the simulated Asterisk notes every prompt played to each
call, the service routes it. In every kind of decision the caller hears why, and when the
counter is closed, when it opens again: the sentence matches the decision's ``next_open``
and the counter's address, in the caller's language."""

from __future__ import annotations

from datetime import date

from callcenter.dialplan.prompts import next_open_text
from callcenter.simulator import SimSettings
from tests.ami.test_client import until
from tests.service.conftest import Stack, StackFactory, at

SETTINGS = SimSettings(failsafe_seconds=20)


async def heard(s: Stack, call: object) -> tuple[list[str], list[str]]:
    """The prompts a call heard, and the changing sentences among them as their texts."""
    truth = call.truth  # type: ignore[attr-defined]
    rec = await s.record(truth.linkedid, timeout=60)
    texts = s.run.service.announcer.texts
    sentences = [texts[h] for h in truth.heard if h.startswith("dyn/")]
    assert all(h in texts for h in truth.heard if h.startswith("dyn/")), truth.heard
    assert rec.decision is not None
    return truth.heard, sentences


async def ready(s: Stack) -> None:
    """The changing sentences of the moment rendered (the service does it after writing the
    states; a test waits for it rather than race it)."""
    await s.run.service.announcer.prepare()


async def occupy(s: Stack, digits: str, queue: str, agents: int) -> list[object]:
    """Every agent of ``queue`` on a long call (``digits`` leads there): the next caller
    waits."""
    calls = [
        s.call(number=f"+3247099{digits:0>2}{i:02d}", digits=digits, talk_seconds=3600)
        for i in range(agents)
    ]
    live = s.run.service.tracker.queues[queue]
    await until(lambda: sum(m.in_call for m in live.members.values()) == agents, 60)
    return calls


async def test_the_lighthouse_says_why_in_one_sentence(stack: StackFactory) -> None:
    async with stack(at("2026-11-23 13:00"), settings=SETTINGS) as s:
        site = s.run.service.site
        await until(lambda: s.sim.ast.db_get("vuurtoren", "counter/woonloket") == "closed", 10)
        await ready(s)
        # Monday 13:00: the woonloket is closed, the lighthouse takes the call and says so, in
        # one sentence, then the caller is in its line at once; an idle agent answers, so
        # nothing else is said (no place, no wait)
        closed = s.call(number="+32470920001", digits="21", talk_seconds=5)
        names, sentences = await heard(s, closed)
        assert names == ["nl/welkom", "nl/menu", "nl/menu-2", "nl/vuurtoren-closed"]
        assert sentences == []
        played = s.sim.ast.prompt_lengths.seconds("nl/vuurtoren-closed")
        waited = closed.truth.visits[0].joined - closed.truth.route_requested
        assert played <= waited < played + 2
        rec = await s.record(closed.truth.linkedid)
        assert rec.decision is not None and rec.decision.next_open == at("2026-11-24 09:00")
        assert rec.visits[0].outcome is not None and rec.visits[0].outcome.value == "answered"

        # every lighthouse agent on a call: the next caller waits, and hears in a whisper
        # when the counter opens again, their place, the expected wait and the callback key
        busy = await occupy(s, "21", site.lighthouse.queue, site.lighthouse.agents)
        waiting = s.call(number="+32470920002", digits="21", patience=600)
        await until(lambda: "nl/positie-1" in waiting.truth.heard, 30)
        heard_now = waiting.truth.heard
        assert heard_now[:4] == ["nl/welkom", "nl/menu", "nl/menu-2", "nl/vuurtoren-closed"]
        texts = s.run.service.announcer.texts
        assert [texts.get(h) for h in heard_now[4:5]] == [
            next_open_text(
                site,
                site.counter("woonloket"),
                at("2026-11-24 09:00"),
                at("2026-11-23 13:00"),
                "nl",
            )
        ]
        assert heard_now[5] == "nl/positie-1" and heard_now[6].startswith("nl/wachttijd-")
        assert heard_now[7] == "nl/terugbellen-in-rij"
        # the whisper came within seconds of joining, not after the reminder's minute
        assert waiting.truth.visits[0].joined is not None
        for c in (*busy, waiting):
            c.hangup_now()  # type: ignore[attr-defined]


async def test_the_last_resort_says_when_and_names_the_helplines(stack: StackFactory) -> None:
    # Monday 19:30: every counter and the lighthouse closed
    async with stack(at("2026-11-23 19:30"), settings=SETTINGS) as s:
        site = s.run.service.site
        await until(lambda: s.sim.ast.db_get("vuurtoren", "counter/lighthouse") == "closed", 10)
        await ready(s)
        call = s.call(number="+32470920002", digits="1", last_resort_choice="callback")
        names, sentences = await heard(s, call)
        assert names == [
            "nl/welkom",
            "nl/menu",
            "nl/gesloten",
            names[3],
            "nl/hulplijn-1",
            "nl/hulplijn-2",
            "nl/hulplijn-3",
            "nl/keuze-terugbellen",
            "nl/terugbellen-bevestigd",
        ]
        assert sentences == ["De sociale dienst is opnieuw open morgen om 9 uur, op de Markt 1."]
        rec = await s.record(call.truth.linkedid)
        assert rec.decision is not None and rec.decision.next_open == at("2026-11-24 09:00")
        # in French: *1 chooses French, the menu again in French, then 1
        french = s.call(number="+32470920003", digits="*11", last_resort_choice="hangup")
        names, sentences = await heard(s, french)
        assert names[:4] == ["nl/welkom", "nl/menu", "fr/menu", "fr/gesloten"]
        assert names[5:8] == ["fr/hulplijn-1", "fr/hulplijn-2", "fr/hulplijn-3"]
        sd = site.counter("sociale-dienst")
        assert sentences == [
            next_open_text(site, sd, at("2026-11-24 09:00"), at("2026-11-23 19:30"), "fr")
        ]
        assert sentences[0].endswith("demain à 9 heures, Markt 1.")


async def test_the_lighthouse_says_why_in_each_case(stack: StackFactory) -> None:
    async with stack(at("2026-11-23 10:00"), settings=SETTINGS) as s:
        ops = s.run.ops
        # an override with the manager's reason
        await ops.overrides.set(
            "woonloket", "closed", kind="emergency", reason="Personeelsvergadering", actor="mia"
        )
        await until(lambda: s.sim.ast.db_get("vuurtoren", "counter/woonloket") == "closed", 10)
        # a planned closure of the jobpunt today
        await ops.closures.add(["jobpunt"], date(2026, 11, 23), reason="Opleiding", actor="mia")
        await until(lambda: s.sim.ast.db_get("vuurtoren", "counter/jobpunt") == "closed", 10)
        # nobody at the onthaal
        onthaal = s.sim.ast.queues["onthaal"]
        for iface in list(onthaal.members):
            onthaal.remove_member(iface)
        await until(lambda: s.run.service.tracker.queues["onthaal"].state().agents == 0, 10)
        await ready(s)

        # open and staffed: straight into the queue, nothing said before an agent rings
        direct = s.call(number="+32470920010", digits="1", talk_seconds=5)
        names, sentences = await heard(s, direct)
        assert names == ["nl/welkom", "nl/menu"] and sentences == []
        assert direct.truth.visits[0].joined - direct.truth.route_requested < 1.0

        for digits, why in (("21", "override"), ("51", "closure"), ("0", "no_agents")):
            call = s.call(number=f"+324709200{digits}1", digits=digits, talk_seconds=5)
            names, sentences = await heard(s, call)
            sub = [f"nl/menu-{digits[0]}"] if len(digits) > 1 else []
            assert names == ["nl/welkom", "nl/menu", *sub, f"nl/vuurtoren-{why}"], why

        # the svk's one agent on a call, three waiting: each hears their true place at once;
        # the next caller overflows to the lighthouse
        busy = await occupy(s, "22", "svk", 1)
        waiting = [s.call(number=f"+3247092002{i}", digits="22", patience=600) for i in range(3)]
        await until(lambda: s.run.service.tracker.queues["svk"].state().waiting == 3, 20)
        over = s.call(number="+32470920030", digits="22", talk_seconds=5)
        names, sentences = await heard(s, over)
        assert names == ["nl/welkom", "nl/menu", "nl/menu-2", "nl/vuurtoren-overflow"]
        await until(
            lambda: all(any(h.startswith("nl/positie") for h in c.truth.heard) for c in waiting), 20
        )
        places = [next(h for h in c.truth.heard if h.startswith("nl/positie")) for c in waiting]
        assert places == ["nl/positie-1", "nl/positie-2", "nl/positie-3"]
        for c in (*busy, *waiting):
            c.hangup_now()  # type: ignore[attr-defined]


async def test_a_holiday(stack: StackFactory) -> None:
    # Wednesday 11 November 2026, Armistice: the counters are closed, the lighthouse is open
    async with stack(at("2026-11-11 10:00"), settings=SETTINGS) as s:
        await until(lambda: s.sim.ast.db_get("vuurtoren", "counter/lighthouse") == "open", 10)
        await ready(s)
        holiday = s.call(number="+32470920040", digits="1", talk_seconds=5)
        names, sentences = await heard(s, holiday)
        assert names == ["nl/welkom", "nl/menu", "nl/vuurtoren-holiday"] and sentences == []
