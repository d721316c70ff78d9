"""A welfare region over TCP (issue 28, point 1): three municipalities in one installation,
each with its own number, menu and welcome, a shared debt-mediation service in one queue and
a regional lighthouse. The number dialled picks the municipality: its menu, its counters and
the shared ones; every call is stored with it; the figures per municipality add up to the
region's."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from callcenter.figures.reports import build_report, period
from callcenter.simulator import CallerProfile
from callcenter.simulator.core import SimSettings
from routing.config import load_site
from tests.ami.test_client import until
from tests.service.conftest import StackFactory, at, lone_sim

REGION = Path(__file__).resolve().parents[2] / "examples" / "regio.toml"


async def test_the_number_dialled_picks_the_municipality_and_shared_services_keep_one_queue(
    stack: StackFactory,
) -> None:
    site = load_site(REGION)
    settings = SimSettings(failsafe_seconds=6)
    # Tuesday 10:00: the municipalities' social services and the debt mediation are open
    async with stack(at("2026-11-24 10:00"), site=site, settings=settings) as s:
        calls = {
            (where, key): s.call(
                number=f"+3247080{n:04d}", digits=key, site=where, talk_seconds=20, patience=300
            )
            for n, (where, key) in enumerate(
                (w, k) for w in ("hamont-achel", "pelt", "peer") for k in ("1", "2", "9")
            )
        }
        records = {k: await s.record(c.truth.linkedid, timeout=90) for k, c in calls.items()}
        for (where, key), record in records.items():
            assert record.site == where
            d = record.decision
            assert d is not None, (where, key)
            expected = {"1": f"sd-{where}", "2": "schuldbemiddeling", "9": f"onthaal-{where}"}
            assert (d.counter, d.queue) == (expected[key], expected[key]), (where, key, d)
            truth = calls[where, key].truth
            assert truth.visits[0].queue == expected[key]
            # each municipality's own welcome and menu
            assert truth.heard[:2] == [f"nl/{where}/welkom", f"nl/{where}/menu"]
        # the shared service: every municipality's callers in its one queue
        shared = {r.site for (w, k), r in records.items() if k == "2"}
        assert shared == {"hamont-achel", "pelt", "peer"}
        assert {v.queue for (w, k), r in records.items() if k == "2" for v in r.visits} == {
            "schuldbemiddeling"
        }

        # the dialplan routes alone while Vuurtoren is away: by the municipality's menu
        await s.run.ami.close()
        away = s.call(number="+32470809999", digits="1", site="peer", patience=300)
        await until(lambda: away.truth.failsafe and bool(away.truth.visits), 60)
        assert away.truth.visits[0].queue == "sd-peer"

        report = await build_report(s.run.store.engine, site, period("day", date(2026, 11, 24)))
        parts = {
            sid: await build_report(
                s.run.store.engine, site, period("day", date(2026, 11, 24)), site_id=sid
            )
            for sid in ("hamont-achel", "pelt", "peer")
        }
    rows = {r["id"]: r for r in report.data["sites"]}
    assert {k: r["arrived"] for k, r in rows.items()} == {
        "hamont-achel": 3,
        "pelt": 3,
        "peer": 3,
    }
    for key, total in (
        ("arrived", "arrived"),
        ("routed", "routed"),
        ("answered", "answered"),
        ("to_lighthouse", "lighthouse"),
        ("last_resort", "last_resort"),
    ):
        whole = report.data["totals"][total]
        assert sum(r[key] for r in rows.values()) == whole, key
        assert sum(p.data["totals"][total] for p in parts.values()) == whole, key

    # the shared queue's visits split per municipality and add up to the region's
    def answered(data: dict[str, object], queue: str) -> int:
        return next(q["answered"] for q in data["queues"] if q["queue"] == queue)  # type: ignore[index, attr-defined]

    assert answered(report.data, "schuldbemiddeling") == 3
    assert [answered(p.data, "schuldbemiddeling") for p in parts.values()] == [1, 1, 1]
    pelt = parts["pelt"].data
    assert pelt["site"] == {"id": "pelt", "name": "Sociaal Huis Pelt"}
    assert {c["id"] for c in pelt["counters"]} == {
        "onthaal-pelt",
        "sd-pelt",
        "schuldbemiddeling",
        "gezinszorg",
        "juridisch",
        "jobcoaching",
        "svk",
    }


async def test_calls_that_end_while_vuurtoren_is_away_keep_their_municipality(
    stack: StackFactory,
) -> None:
    """The fail-safe's record in AstDB says where the call came in (``v3``, ``VT_SITE``): a
    call routed by the dialplan alone, or hung up in the menu, while the service was away and
    over before it came back is stored with its municipality, so its figures and a user
    limited to it count it."""
    site = load_site(REGION)
    sim = await lone_sim(site, seed=31, start="2026-11-24 10:00")
    try:
        async with stack(at("2026-11-24 10:00"), site=site, sim=sim):
            pass  # the service wrote the counter states, then stops
        routed = sim.call(CallerProfile(number="+32470700001", digits="9", site="peer",
                                        talk_seconds=5))  # fmt: skip
        menu = sim.call(CallerProfile(number="+32470700002", hangup_in_menu=True, site="pelt"))
        await until(lambda: routed.truth.ended is not None and menu.truth.ended is not None, 60)
        left = {k: v for (f, k), v in sim.ast.astdb.items() if k.startswith("failsafe/")}
        assert all(v.startswith("v3,") for v in left.values()) and len(left) == 2
        async with stack(at("2026-11-24 10:00"), site=site, sim=sim) as s:
            stored = {
                c.truth.linkedid: await s.record(c.truth.linkedid, 60) for c in (routed, menu)
            }
    finally:
        await sim.stop()
    assert stored[routed.truth.linkedid].site == "peer"
    assert stored[routed.truth.linkedid].failsafe
    assert stored[menu.truth.linkedid].site == "pelt"
