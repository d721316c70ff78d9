"""Neighbourhood teams over TCP (issue 28, point 2), with the example city
(``examples/buurtteams.toml``): a caller in the consent register goes to their own social
worker first, then to their team; an unknown caller keys in their postcode and reaches the
team that serves it; no postcode: the intake. Every lookup the call path makes is in the
audit, naming the entry, never the number."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from callcenter.figures.reports import build_report, period
from callcenter.simulator.core import SimSettings
from callcenter.store.records import Outcome
from routing.config import load_site
from routing.types import Target
from tests.ami.test_client import until
from tests.service.conftest import Stack, StackFactory, at

CITY = Path(__file__).resolve().parents[2] / "examples" / "buurtteams.toml"
PASSWORD = "een-goed-wachtwoord-buurtteam"
ANNA = "PJSIP/team-marke-01"
"""The simulated phone of Anna, social worker in team Marke."""
KNOWN = "+32470555001"
MONDAY = "2026-11-23 09:30"  # every team is open


async def _anna(s: Stack, *, answers: bool = True) -> None:
    users = s.run.staff.users
    await users.add(
        "anna",
        "Anna Maes",
        ["agent", "counter"],
        PASSWORD,
        counters=["team-marke"],
        interfaces=[ANNA],
    )
    await until(lambda: ANNA in s.run.ops.desk.by_interface, 10)
    for q in s.sim.ast.queues.values():
        for m in q.members.values():
            if m.interface == ANNA:
                m.device.answer_probability = 1.0 if answers else 0.0
                m.device.answer_delay = (2.0, 4.0)


def collect_pops(s: Stack) -> tuple[list[dict[str, Any]], asyncio.Task[None]]:
    """The screen pops (``connect``) the consoles are sent."""
    bus = s.run.service.bus.subscribe()
    pops: list[dict[str, Any]] = []

    async def collect() -> None:
        while True:
            m = await bus.get()
            if m.kind == "connect":
                pops.append(m.payload)

    return pops, asyncio.create_task(collect())


async def test_a_known_caller_reaches_their_own_social_worker_first(stack: StackFactory) -> None:
    site = load_site(CITY)
    async with stack(at(MONDAY), site=site, settings=SimSettings(failsafe_seconds=6)) as s:
        await _anna(s)
        pops, collector = collect_pops(s)
        entry = await s.run.ops.known.record(
            "0470 55 50 01", "team-marke", worker="anna", actor="anna"
        )
        call = s.call(number=KNOWN, digits="1", talk_seconds=30)
        record = await s.record(call.truth.linkedid, timeout=60)
        audit = await s.run.staff.audit.query(kind="known-lookup")
        collector.cancel()
        report = await build_report(s.run.store.engine, site, period("day", date(2026, 11, 23)))
    assert call.truth.own_worker == ANNA and call.truth.own_worker_answered
    # Anna's console: "your own client", and the file's team
    (pop,) = [p for p in pops if p["call_id"] == call.truth.linkedid]
    assert pop["interface"] == ANNA and pop["caller"] == KNOWN
    assert pop["own_client"] is True and pop["team_label"] == "Buurtteam Marke"
    assert call.truth.visits == []  # never queued: Anna took it
    d = record.decision
    assert d is not None and d.target is Target.OWN_WORKER and d.worker == ANNA
    assert d.counter == "team-marke" and d.queue == "team-marke"
    assert record.outcome is Outcome.ANSWERED and record.worker_answered is not None
    assert record.visits == []
    (lookup,) = audit
    assert lookup.target == f"known:{entry.id}" and KNOWN not in str(lookup.detail)
    # the team's figures: the call came in while it was open, offered to the own worker,
    # answered; the counters' table has the column where teams exist
    marke = next(c for c in report.data["counters"] if c["id"] == "team-marke")
    assert (marke["arrived"], marke["open"], marke["own_worker"], marke["answered"]) == (1, 1, 1, 1)
    header, rows = report.table("loketten")
    assert header[4] == "naar eigen werker"
    assert next(r for r in rows if r[0] == "team-marke")[4] == 1


async def test_a_worker_who_does_not_answer_hands_the_call_to_the_team(
    stack: StackFactory,
) -> None:
    site = load_site(CITY)
    async with stack(at(MONDAY), site=site, settings=SimSettings(failsafe_seconds=6)) as s:
        await _anna(s, answers=False)
        pops, collector = collect_pops(s)
        await s.run.ops.known.record(KNOWN, "team-marke", worker="anna", actor="anna")
        call = s.call(number=KNOWN, digits="1", talk_seconds=30, patience=300)
        record = await s.record(call.truth.linkedid, timeout=90)
        collector.cancel()
    # her colleague's console: the file's team, not their own client
    (pop,) = [p for p in pops if p["call_id"] == call.truth.linkedid]
    assert pop["interface"] != ANNA and pop["own_client"] is False
    assert pop["team_label"] == "Buurtteam Marke"
    assert call.truth.own_worker == ANNA and not call.truth.own_worker_answered
    assert [v.queue for v in call.truth.visits] == ["team-marke"]
    assert record.decision is not None and record.decision.target is Target.OWN_WORKER
    assert [v.queue for v in record.visits] == ["team-marke"]
    assert record.outcome is Outcome.ANSWERED and record.worker_answered is None
    assert record.visits[0].agent != ANNA  # her colleague in the team took it


async def test_a_worker_on_pause_is_not_rung_the_team_takes_the_call(
    stack: StackFactory,
) -> None:
    site = load_site(CITY)
    async with stack(at(MONDAY), site=site, settings=SimSettings(failsafe_seconds=6)) as s:
        await _anna(s)
        await s.run.ops.known.record(KNOWN, "team-marke", worker="anna", actor="anna")
        anna = await s.run.staff.users.by_login("anna")
        await s.run.ops.desk.pause(anna, "admin", actor="anna")
        queue = s.run.service.tracker.queues["team-marke"]
        await until(lambda: queue.members[ANNA].paused, 10)
        call = s.call(number=KNOWN, digits="1", talk_seconds=20, patience=300)
        record = await s.record(call.truth.linkedid, timeout=90)
    assert call.truth.own_worker is None  # her phone never rang
    d = record.decision
    assert d is not None and d.target is Target.COUNTER and d.queue == "team-marke"


async def test_an_unknown_caller_keys_in_a_postcode_and_reaches_that_team(
    stack: StackFactory,
) -> None:
    site = load_site(CITY)
    async with stack(at(MONDAY), site=site, settings=SimSettings(failsafe_seconds=6)) as s:
        heule = s.call(number="+32470555002", digits="1", postcode="8501", talk_seconds=20)
        nothing = s.call(number="+32470555003", digits="1", talk_seconds=20)
        general = s.call(number="+32470555004", digits="9", postcode="8501", talk_seconds=20)
        records = [await s.record(c.truth.linkedid, timeout=90) for c in (heule, nothing, general)]
        audit = await s.run.staff.audit.query(kind="known-lookup")
    assert heule.truth.postcode == "8501" and "nl/postcode-vraag" in heule.truth.heard
    assert [r.decision.counter for r in records if r.decision] == [
        "team-heule",
        "onthaal-sociaal",  # keyed nothing: the intake
        "onthaal",  # another topic: never asked
    ]
    assert "nl/postcode-vraag" not in general.truth.heard
    assert [v.queue for v in heule.truth.visits] == ["team-heule"]
    # the two callers on the teams' topic were looked up, and found in no entry
    assert len(audit) == 2 and all(e.target == "" and not e.detail["found"] for e in audit)


async def test_an_expired_consent_no_longer_routes_and_retention_erases_it(
    stack: StackFactory,
) -> None:
    site = load_site(CITY)
    async with stack(at(MONDAY), site=site, settings=SimSettings(failsafe_seconds=6)) as s:
        known = s.run.ops.known
        now = s.run.service.clock.now()
        entry = await known.record(
            KNOWN,
            "team-centrum",
            consent_at=now - timedelta(days=729, hours=23, minutes=59),
            actor="x",
        )
        assert known.lookup("0470 55 50 01") == entry
        await until(lambda: known.lookup(KNOWN) is None, 30)  # a minute of virtual time
        call = s.call(number=KNOWN, digits="1", postcode="8510", talk_seconds=10)
        record = await s.record(call.truth.linkedid, timeout=90)
        assert record.decision is not None and record.decision.counter == "team-marke"
        assert await known.expire(actor="test") == 1
        assert await known.entries(actor="test") == []
