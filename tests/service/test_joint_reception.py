"""A joint reception of two organisations over TCP (issue 28, point 4): an OCMW and a CAW run
one reception queue with agents of both. The caller hears one service; each answered call is
counted for the organisation of the agent who answered, as the users said at that moment; the
rows per organisation add up to the reception as a whole."""

from __future__ import annotations

from collections import Counter as Tally
from datetime import date
from pathlib import Path

from callcenter.figures.reports import NO_ORGANISATION, build_report, period
from callcenter.simulator.core import SimSettings
from routing.config import load_site
from tests.ami.test_client import until
from tests.service.conftest import StackFactory, at

JOINT = Path(__file__).resolve().parents[2] / "examples" / "gezamenlijk-onthaal.toml"
PASSWORD = "een-goed-wachtwoord-onthaal"
OCMW, CAW = "OCMW Voorbeeld", "CAW Midden"
WHO = {1: OCMW, 2: CAW, 3: OCMW}
"""The reception's simulated agents (``PJSIP/onthaal-0N``) with a user and an organisation;
the fourth phone is no user's."""


async def test_the_reception_counts_each_answered_call_for_the_answering_agents_organisation(
    stack: StackFactory,
) -> None:
    site = load_site(JOINT)
    settings = SimSettings(failsafe_seconds=6, lighthouse_agents=0)
    async with stack(at("2026-11-23 09:30"), site=site, settings=settings) as s:
        users = s.run.staff.users
        await users.add("beheer", "Beheerder", ["admin"], PASSWORD)
        for n, org in WHO.items():
            await users.add(
                f"onthaal-{n:02d}",
                f"Onthaal {n}",
                ["agent"],
                PASSWORD,
                counters=["onthaal"],
                interfaces=[f"PJSIP/onthaal-{n:02d}"],
                organisation=org,
            )
        desk = s.run.ops.desk
        await until(lambda: len(desk.by_interface) == len(WHO), 10)
        calls = [
            s.call(number=f"+3247080070{i}", digits="9", talk_seconds=25, patience=300)
            for i in range(8)
        ]
        records = [await s.record(c.truth.linkedid, timeout=90) for c in calls]
        expected: Tally[str | None] = Tally()
        for call, record in zip(calls, records, strict=True):
            assert record.decision is not None and record.decision.queue == "onthaal"
            truth = call.truth.visits[-1]
            assert truth.outcome == "answered" and truth.member
            n = int(truth.member.rsplit(" ", 1)[1])  # "Onthaal Welzijnshuis 3"
            (visit,) = record.visits
            assert visit.organisation == WHO.get(n), (truth.member, visit.organisation)
            expected[WHO.get(n)] += 1
        assert len(expected) >= 2, expected  # rrmemory spreads 8 calls over the phones

        # an agent moves to the other organisation: what they answered before stays counted
        # for the organisation they worked for then
        one = await users.by_login("onthaal-01")
        await users.update(
            one.id,
            name=one.name,
            roles=one.roles,
            counters=one.counters,
            interfaces=one.interfaces,
            organisation=CAW,
        )
        report = await build_report(s.run.store.engine, site, period("day", date(2026, 11, 23)))
    rows = [o for o in report.data["organisations"] if o["queue"] == "onthaal"]
    got = {o["organisation"]: o["answered"] for o in rows}
    assert got == {OCMW: expected[OCMW], CAW: expected[CAW]} | (
        {None: expected[None]} if expected[None] else {}
    )
    reception = next(q for q in report.data["queues"] if q["queue"] == "onthaal")
    assert sum(got.values()) == reception["answered"] == 8
    assert abs(sum(o["share"] for o in rows) - 1) < 1e-3
    header, table = report.table("organisaties")
    assert header[2:4] == ["organisatie", "beantwoord"]
    assert {r[2] for r in table} >= {OCMW, CAW}
    if expected[None]:
        assert NO_ORGANISATION in {r[2] for r in table}
