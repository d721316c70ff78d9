"""Opt-in: neighbourhood teams on a real Asterisk 22 (issue 28, point 2), as
``test_asterisk22.py`` runs one (``VUURTOREN_TEST_ASTERISK``; skipped without it).

The neighbourhood-team city's generated configuration (``examples/buurtteams.toml``, team
Marke and the intake open day and night): a registered caller's own social worker's phone is
rung first by ``vuurtoren-own-worker`` (``Dial`` with ``U()``: the answering side sends
``UserEvent(OwnWorker)``) and the call is stored as answered by that worker, without a
queue; an unknown caller hears the postcode question, keys 8510 during it, and is routed to
team Marke by the second RouteRequest (``Postcode: 8510``)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from callcenter.ami import Message
from callcenter.store.records import CallRecord, Outcome
from routing.config import parse_site
from routing.site import Site
from routing.types import Target
from tests.real.test_asterisk22 import (
    RealAsterisk,
    agent,
    module_asterisk,
    place_call,
    pytestmark,
    serving,
    until,
)

__all__ = ["pytestmark"]

CITY = Path(__file__).resolve().parents[2] / "examples" / "buurtteams.toml"
WORKER = "Local/201@test-agents/n"
TEST_CONTEXTS = """
[test-known]
; a registered citizen: presses 1 two seconds into the welcome, then stays on the line
exten => s,1,Wait(2)
 same => n,SendDTMF(1)
 same => n,Wait(30)
 same => n,Hangup()

[test-postcode]
; a citizen the register does not know: 1 for social help, then their postcode when asked
exten => s,1,Wait(2)
 same => n,SendDTMF(1)
 same => n,Wait(3)
 same => n,SendDTMF(8510,250)
 same => n,Wait(30)
 same => n,Hangup()

[test-agents]
; a phone: answers at once, talks four seconds
exten => _X.,1,Answer()
 same => n,Wait(4)
 same => n,Hangup()
"""


def _site(port: int, prompts: Path) -> Site:
    text = CITY.read_text("utf-8")
    text = text.replace('dir = "/var/lib/vuurtoren/prompts"', f'dir = "{prompts}"')
    text = text.replace("port = 5038", f"port = {port}")
    for hours in (
        "Mo,Fr 09:00-12:00; We 09:00-12:00,13:00-16:00; PH off",  # team Marke
        "Mo-Fr 08:30-12:00,13:00-16:30; PH off",  # the intake
    ):
        text = text.replace(f'hours = "{hours}"', 'hours = "24/7"')
    return parse_site(text, "real-teams.toml")


@pytest.fixture(scope="module")
def asterisk(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RealAsterisk]:
    yield from module_asterisk(tmp_path_factory, _site, CITY.parent, TEST_CONTEXTS)


async def test_own_worker_first_and_the_postcode_on_a_real_asterisk(
    asterisk: RealAsterisk, tmp_path: Path
) -> None:
    events: list[tuple[float, Message]] = []
    async with serving(asterisk, tmp_path, events) as (ami, run):
        await run.staff.users.add(
            "anna",
            "Anna Maes",
            ["agent", "counter"],
            "een-goed-wachtwoord-buurtteam",
            counters=["team-marke"],
            interfaces=[WORKER],
        )
        await agent(ami, "201", "NOT_INUSE", "team-marke")  # Anna, logged in and free
        await agent(ami, "202", "NOT_INUSE", "team-marke")  # her colleague
        queue = run.service.tracker.queues["team-marke"]
        await until(lambda: WORKER in queue.members and queue.members[WORKER].available, 10)
        await until(lambda: WORKER in run.ops.desk.by_interface, 10)
        await until(lambda: run.service.written.get("team-marke") == "open", 10)
        await run.ops.known.record("0470 99 00 11", "team-marke", worker="anna", actor="test")

        known = await place_call(ami, events, "test-known", "+32470990011")
        stranger = await place_call(ami, events, "test-postcode", "+32470990012")

        async def stored(call_id: str) -> CallRecord:
            async with asyncio.timeout(60):
                while True:
                    await run.writer.flush()
                    rec = await run.store.get(call_id)
                    if rec is not None and rec.outcome is not None:
                        return rec
                    await asyncio.sleep(0.2)

        own = await stored(known)
        by_postcode = await stored(stranger)
    d = own.decision
    assert d is not None and d.target is Target.OWN_WORKER and d.worker == WORKER
    assert own.outcome is Outcome.ANSWERED
    assert own.worker_answered is not None and own.visits == []
    said = [m for _, m in events if m.name == "UserEvent" and m.get("UserEvent") == "OwnWorker"]
    assert said, "the worker's answering channel sent UserEvent(OwnWorker)"
    asks = [
        m
        for _, m in events
        if m.name == "UserEvent"
        and m.get("UserEvent") == "RouteRequest"
        and m.get("Postcode") is not None
    ]
    assert [m.get("Postcode") for m in asks] == ["8510"]
    p = by_postcode.decision
    assert p is not None and p.counter == "team-marke" and p.queue == "team-marke"
    assert [v.queue for v in by_postcode.visits] == ["team-marke"]
