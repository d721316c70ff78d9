"""A mobile counter over TCP (issue 28, point 3): the example of three villages and a main
office, in the simulated Asterisk. A call in a village's session goes to the counter's one
queue; the public page says where it is open now; the dialplan's fail-safe and the last
resort say when and where it opens next."""

from __future__ import annotations

from pathlib import Path

import aiohttp

from callcenter.simulator.core import SimSettings
from routing.config import load_site
from tests.ami.test_client import until
from tests.service.conftest import StackFactory, at

ZITDAGEN = Path(__file__).resolve().parents[2] / "examples" / "zitdagen.toml"


async def test_a_call_in_a_village_session_reaches_the_counter_and_the_page_says_where(
    stack: StackFactory,
) -> None:
    site = load_site(ZITDAGEN)
    async with stack(at("2026-11-24 11:52"), site=site) as s:  # Tuesday: Vichte's session
        call = s.call(number="+32470800051", digits="1", talk_seconds=20, patience=120)
        record = await s.record(call.truth.linkedid, timeout=30)
        assert record.decision is not None
        assert (record.decision.counter, record.decision.queue) == ("zitdag", "zitdag")
        assert [v.queue for v in call.truth.visits] == ["zitdag"]
        async with aiohttp.ClientSession() as http:
            page = await (await http.get(s.run.url + "openingsuren")).text()
            hours = await (await http.get(s.run.url + "api/public/hours")).json()
        assert "Nu open</span> in Dorpshuis Vichte" in page
        assert "Dit loket houdt zitdag op 4 adressen" in page
        assert "13:30–15:30 in Bibliotheek Tiegem" in page  # Friday's session
        zitdag = next(p for p in hours["places"] if p["id"] == "zitdag")
        assert zitdag["location"] == "vichte"
        # the fail-safe's words for the counter once it closes: when and where it opens
        announcer = s.run.service.announcer
        await until(lambda: s.sim.ast.clock.now() >= at("2026-11-24 12:00"), 60)
        texts = [t for _, t in announcer.wanted()]
        assert any(
            "opnieuw open op donderdag 26 november om 9 uur, in de parochiezaal van Ingooigem" in t
            for t in texts
        ), texts


async def test_a_last_resort_caller_asks_for_the_session_in_their_own_village(
    stack: StackFactory,
) -> None:
    site = load_site(ZITDAGEN)
    # Tuesday 18:00: the sessions and the lighthouse closed; the soonest session is Thursday's
    # in Ingooigem, the caller lives in Tiegem (key 4), whose session is on Friday
    async with stack(at("2026-11-24 18:00"), site=site, settings=SimSettings()) as s:
        ast = s.sim.ast
        await until(lambda: ast.db_get("vuurtoren", "counter/lighthouse") == "closed", 10)
        await until(lambda: bool(ast.db_get("vuurtoren", "announce/at/tiegem/nl")), 30)
        asks = s.call(number="+32470800052", digits="1", place_key="4", last_resort_choice="hangup")
        silent = s.call(number="+32470800053", digits="1", last_resort_choice="hangup")
        texts = s.run.service.announcer.texts
        for call in (asks, silent):
            rec = await s.record(call.truth.linkedid, timeout=60)
            assert rec.decision is not None and rec.decision.target.value == "last_resort"
        said = [(h if not h.startswith("dyn/") else texts[h]) for h in asks.truth.heard]
        assert said == [
            "nl/welkom",
            "nl/menu",
            "nl/gesloten",
            "De zitdag van de sociale dienst is opnieuw open overmorgen om 9 uur, in de "
            "parochiezaal van Ingooigem.",
            "nl/plaatsen-zitdag",
            "De zitdag van de sociale dienst is opnieuw open op vrijdag 27 november om 13 uur "
            "30, in de bibliotheek van Tiegem.",
            *said[6:],
        ]
        assert asks.truth.place == "tiegem"
        assert "nl/keuze-terugbellen" in said[6:]
        # a caller who presses no key goes on to the always-open lines and the callback offer
        heard = silent.truth.heard
        assert heard[4] == "nl/plaatsen-zitdag" and not heard[5].startswith("dyn/")
        assert silent.truth.place is None
