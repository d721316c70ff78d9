"""What a caller hears, end to end: the simulated Asterisk notes every prompt played to each
call, the service routes it. In every kind of decision the caller hears why, and when the
counter is closed, when it opens again: the sentence matches the decision's ``next_open``
and the counter's address, in the caller's language."""

from __future__ import annotations

from datetime import date

from callcenter.prompts.catalog import next_open_text
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


async def test_closed_counter_then_the_last_resort(stack: StackFactory) -> None:
    async with stack(at("2026-11-23 13:00"), settings=SETTINGS) as s:
        site = s.run.service.site
        await until(lambda: s.sim.ast.db_get("vuurtoren", "counter/woonloket") == "closed", 10)
        await ready(s)
        # Monday 13:00: the woonloket is closed, the lighthouse takes the call and says so
        closed = s.call(number="+32470920001", digits="3", talk_seconds=5)
        names, sentences = await heard(s, closed)
        assert names[:4] == ["nl/welkom", "nl/menu", "nl/vuurtoren-closed", names[3]]
        # then their place in the lighthouse's line: first, about a minute (nobody answered
        # there yet: 180 s of work shared over its 3 agents), and the key for a callback
        assert names[4:] == ["nl/positie-1", "nl/wachttijd-1", "nl/terugbellen-in-rij"]
        # the caller is in line once the announcement has played, as after Playback
        played = s.sim.ast.prompt_lengths.total(names[2:])
        waited = closed.truth.visits[0].joined - closed.truth.route_requested
        assert played > 5 and played <= waited < played + 2
        rec = await s.record(closed.truth.linkedid)
        assert rec.decision is not None and rec.decision.next_open == at("2026-11-24 09:00")
        woonloket = site.counter("woonloket")
        assert sentences == [
            next_open_text(site, woonloket, rec.decision.next_open, at("2026-11-23 13:00"), "nl")
        ]
        assert sentences == [
            "Het woonloket is opnieuw open morgen om 9 uur, in de Stationsstraat 12."
        ]


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
        site = s.run.service.site
        ops = s.run.ops
        # an override with the manager's reason: the caller hears the reason and the reopening
        await ops.overrides.set(
            "woonloket", "closed", kind="emergency", reason="Personeelsvergadering", actor="mia"
        )
        await until(lambda: s.sim.ast.db_get("vuurtoren", "counter/woonloket") == "closed", 10)
        # a planned closure of the jobpunt today
        await ops.closures.add(["jobpunt"], date(2026, 11, 23), reason="Opleiding", actor="mia")
        await until(lambda: s.sim.ast.db_get("vuurtoren", "counter/jobpunt") == "closed", 10)
        # nobody at the onthaal; the svk's one agent busy, three waiting: overflow
        onthaal = s.sim.ast.queues["onthaal"]
        for iface in list(onthaal.members):
            onthaal.remove_member(iface)
        await until(lambda: s.run.service.tracker.queues["onthaal"].state().agents == 0, 10)
        svk = s.sim.ast.queues["svk"]
        for member in svk.members.values():
            svk.pause(member, True, "test")
        await ready(s)

        ogenblik = s.call(number="+32470920010", digits="1", talk_seconds=5)  # open, staffed
        names, sentences = await heard(s, ogenblik)
        assert names[:3] == ["nl/welkom", "nl/menu", "nl/ogenblik"] and sentences == []
        assert names[3] == "nl/positie-1"

        override = s.call(number="+32470920011", digits="3", talk_seconds=5)
        names, sentences = await heard(s, override)
        assert names[2] == "nl/vuurtoren-override"
        assert sentences == [
            "De reden: Personeelsvergadering.",
            "Het woonloket heeft voorlopig geen openingsuren.",  # closed until lifted
        ]

        closure = s.call(number="+32470920012", digits="6", talk_seconds=5)
        names, sentences = await heard(s, closure)
        assert names[2] == "nl/vuurtoren-closure"
        assert sentences == [
            "De reden: Opleiding.",
            "Het jobpunt is opnieuw open morgen om 9 uur, in de Nieuwstraat 20.",
        ]

        nobody = s.call(number="+32470920013", digits="0", talk_seconds=5)
        names, sentences = await heard(s, nobody)
        assert names[2:4] == ["nl/vuurtoren-no_agents", "nl/positie-1"] and sentences == []

        waiting = [s.call(number=f"+3247092002{i}", digits="91", patience=600) for i in range(3)]
        await until(lambda: s.run.service.tracker.queues["svk"].state().waiting == 3, 20)
        busy = s.call(number="+32470920030", digits="91", talk_seconds=5)
        names, sentences = await heard(s, busy)
        assert names[:4] == ["nl/welkom", "nl/menu", "nl/menu-9", "nl/vuurtoren-overflow"]
        assert sentences == []
        places = [c.truth.heard[c.truth.heard.index("nl/ogenblik") + 1] for c in waiting]
        assert places == ["nl/positie-1", "nl/positie-2", "nl/positie-3"]
        assert site.counter("jobpunt").address == "Nieuwstraat 20"


async def test_a_holiday(stack: StackFactory) -> None:
    # Wednesday 11 November 2026, Armistice: the counters are closed, the lighthouse is open
    async with stack(at("2026-11-11 10:00"), settings=SETTINGS) as s:
        await until(lambda: s.sim.ast.db_get("vuurtoren", "counter/lighthouse") == "open", 10)
        await ready(s)
        holiday = s.call(number="+32470920040", digits="1", talk_seconds=5)
        names, sentences = await heard(s, holiday)
        assert names[2] == "nl/vuurtoren-holiday"
        assert sentences == ["De sociale dienst is opnieuw open morgen om 9 uur, op de Markt 1."]
