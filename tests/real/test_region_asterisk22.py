"""Opt-in: a welfare region on a real Asterisk 22 (issue 28, point 1), as
``test_asterisk22.py`` runs one (``VUURTOREN_TEST_ASTERISK``; skipped without it).

The region's one generated dialplan (``examples/regio.toml``, every counter open day and
night): the number dialled picks the municipality (``VT_SITE``), whose own welcome and menu
the caller hears; key 1 reaches that municipality's own social service, key 2 the one shared
debt-mediation queue; every call is stored with its municipality. With the service away, a
caller who hangs up in the welcome leaves a fail-safe record that names the municipality
(``v3``)."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from callcenter.ami import Message
from callcenter.ami.errors import ActionFailed
from callcenter.store.records import CallRecord
from routing.config import parse_site
from routing.site import Site, dialled_digits
from tests.real.test_asterisk22 import (
    RealAsterisk,
    admin,
    agent,
    module_asterisk,
    place_call,
    pytestmark,
    serving,
    until,
)

__all__ = ["pytestmark"]

REGION = Path(__file__).resolve().parents[2] / "examples" / "regio.toml"
TEST_CONTEXTS = """
[test-key1]
; the citizen: presses 1 two seconds into the welcome, then stays on the line
exten => s,1,Wait(2)
 same => n,SendDTMF(1)
 same => n,Wait(30)
 same => n,Hangup()

[test-key2]
exten => s,1,Wait(2)
 same => n,SendDTMF(2)
 same => n,Wait(30)
 same => n,Hangup()

[test-hangup]
exten => s,1,Wait(1)
 same => n,Hangup()

[test-agents]
exten => _X.,1,Answer()
 same => n,Wait(4)
 same => n,Hangup()
"""


def _site(port: int, prompts: Path) -> Site:
    text = REGION.read_text("utf-8")
    text = text.replace('dir = "/var/lib/vuurtoren/prompts"', f'dir = "{prompts}"')
    text = text.replace("port = 5038", f"port = {port}")
    lighthouse = 'hours = "Mo-Fr 08:00-18:00; Sa 09:00-12:00"'
    text = re.sub(r'^hours = "(?!Mo-Fr 08:00-18:00; Sa)[^"]*"', 'hours = "24/7"', text, flags=re.M)
    assert lighthouse in text
    return parse_site(text, "real-region.toml")


@pytest.fixture(scope="module")
def asterisk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealAsterisk]:
    yield from module_asterisk(tmp_path_factory, _site, REGION.parent, TEST_CONTEXTS)


async def test_the_number_dialled_picks_the_municipality_on_a_real_asterisk(
    asterisk: RealAsterisk, tmp_path: Path
) -> None:
    region = asterisk.site
    pelt, peer = region.municipality("pelt"), region.municipality("peer")
    assert pelt is not None and peer is not None
    events: list[tuple[float, Message]] = []
    async with serving(asterisk, tmp_path, events) as (ami, run):
        for number, queue in (("301", "sd-pelt"), ("302", "sd-peer"), ("303", "schuldbemiddeling")):
            await agent(ami, number, "NOT_INUSE", queue)
        for counter in ("sd-pelt", "sd-peer", "schuldbemiddeling"):  # each its own queue
            await until(lambda c=counter: run.service.written.get(c) == "open", 10)

        async def call(where: Site, context: str, caller: str) -> CallRecord:
            digits = dialled_digits(where.number or "")
            call_id = await place_call(ami, events, context, caller, digits)
            async with asyncio.timeout(60):
                while True:
                    await run.writer.flush()
                    rec = await run.store.get(call_id)
                    if rec is not None and rec.outcome is not None:
                        return rec
                    await asyncio.sleep(0.2)

        in_pelt = await call(pelt, "test-key1", "+32470990101")
        in_peer = await call(peer, "test-key1", "+32470990102")
        shared = await call(peer, "test-key2", "+32470990103")
    assert (in_pelt.site, in_peer.site, shared.site) == ("pelt", "peer", "peer")
    assert in_pelt.decision is not None and in_pelt.decision.queue == "sd-pelt"
    assert in_peer.decision is not None and in_peer.decision.queue == "sd-peer"
    assert shared.decision is not None and shared.decision.queue == "schuldbemiddeling"
    assert [v.queue for v in shared.visits] == ["schuldbemiddeling"]
    # each caller heard their own municipality's welcome and menu (one Read)
    reads = [
        m.get("AppData") or ""
        for _, m in events
        if m.name == "Newexten"
        and m.get("Application") == "Read"
        and "welkom" in (m.get("AppData") or "")
    ]
    assert any("/nl/pelt/welkom" in r and "/nl/pelt/menu" in r for r in reads), reads
    assert any("/nl/peer/welkom" in r for r in reads), reads
    asks = [
        m.get("Site")
        for _, m in events
        if m.name == "UserEvent" and m.get("UserEvent") == "RouteRequest"
    ]
    assert asks == ["pelt", "peer", "peer"]


async def test_a_fail_safe_record_names_the_municipality(asterisk: RealAsterisk) -> None:
    events: list[tuple[float, Message]] = []
    peer = asterisk.site.municipality("peer")
    assert peer is not None
    async with admin(asterisk, events) as ami:
        with contextlib.suppress(ActionFailed):
            await ami.db_del("vuurtoren", "heartbeat")
        digits = dialled_digits(peer.number or "")
        linkedid = await place_call(ami, events, "test-hangup", "+32470990104", digits)
        async with asyncio.timeout(15):
            while (record := await ami.db_get("vuurtoren", f"failsafe/{linkedid}")) is None:
                await asyncio.sleep(0.2)
        await ami.db_del("vuurtoren", f"failsafe/{linkedid}")
    fields = record.split(",")
    assert fields[0] == "v3" and fields[5] == "@hangup"
    assert fields[7] == "peer" and fields[-1] == "+32470990104"
