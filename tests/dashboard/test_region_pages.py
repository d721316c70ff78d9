"""A welfare region in the dashboard (issue 28, point 1): each municipality's public hours
page with its own number, its own counters and the shared ones; the reports per municipality
(``gemeente``), adding up to the region's, and a clear refusal of an unknown one."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from callcenter.staff.services import StaffServices
from callcenter.staff.users import User
from callcenter.store import CallStore
from callcenter.store.records import CallRecord, Outcome, Visit, VisitOutcome
from routing.config import load_site
from routing.decide import decide
from routing.site import Site
from tests.dashboard.conftest import PASSWORD, Session
from tests.dashboard.test_public_hours import Fixed, monday
from tests.service.conftest import at

__all__ = ["monday"]  # the fixture, shared with the public hours' tests

REGION = Path(__file__).resolve().parents[2] / "examples" / "regio.toml"
Browse = Callable[[], Awaitable[Session]]


@pytest.fixture
def example_site() -> Site:
    """This module's site: the region (the dashboard fixtures build on it)."""
    return load_site(REGION)


@pytest.fixture
async def people(staff: StaffServices) -> dict[str, User]:
    return {"manager": await staff.users.add("manager1", "Manager", ["manager"], PASSWORD)}


def a_call(region: Site, n: int, where: str, key: str) -> CallRecord:
    started = at(f"2026-11-23 09:{n:02d}")
    local = region.local(where)
    call = CallRecord(f"c{n}", started, caller=f"+3247012{n:04d}", digits=key, site=where)
    call.decision = decide(local, key, call.caller, started)
    assert call.decision.queue
    call.visits.append(
        Visit(
            call.decision.queue,
            started,
            1,
            call.call_id,
            left=started,
            outcome=VisitOutcome.ANSWERED,
            wait_seconds=10,
            agent="agent",
            talk_seconds=60,
        )
    )
    call.outcome, call.ended = Outcome.ANSWERED, started
    return call


async def test_each_municipality_has_its_public_hours_page_with_its_own_number(
    browse: Browse, monday: Fixed, app: Any
) -> None:
    anyone = await browse()
    region = await (await anyone.client.get("/api/public/hours")).json()
    assert len(region["places"]) == 12 and "number" not in region  # the lighthouse too
    assert [(s["id"], s["number"]) for s in region["sites"]] == [
        ("hamont-achel", "011 44 44 44"),
        ("pelt", "011 80 80 80"),
        ("peer", "011 61 61 61"),
    ]
    peer = await (await anyone.client.get("/api/public/hours?gemeente=peer")).json()
    assert peer["site"] == "Sociaal Huis Peer" and peer["number"] == "011 61 61 61"
    ids = {p["id"] for p in peer["places"]}
    shared = {"schuldbemiddeling", "gezinszorg", "juridisch", "jobcoaching", "svk"}
    assert ids == {"lighthouse", "onthaal-peer", "sd-peer", *shared}
    page = await (await anyone.client.get("/openingsuren")).text()
    assert '<a href="/openingsuren?gemeente=pelt">Sociaal Huis Pelt</a>' in page
    own = await (await anyone.client.get("/openingsuren?gemeente=pelt")).text()
    assert 'href="tel:011808080"' in own and "Sociale dienst Peer" not in own
    assert (await anyone.client.get("/openingsuren?gemeente=genk")).status == 404


async def test_the_report_per_municipality_adds_up_to_the_region(
    browse: Browse, people: dict[str, User], staff: StaffServices, example_site: Site
) -> None:
    calls = [
        a_call(example_site, 1, "pelt", "1"),
        a_call(example_site, 2, "pelt", "2"),
        a_call(example_site, 3, "peer", "2"),
        a_call(example_site, 4, "hamont-achel", "9"),
    ]
    await CallStore(staff.audit.engine).save_many(calls)
    manager = await browse()
    assert (await manager.login("manager1")).status == 303
    base = "/api/reports?soort=day&datum=2026-11-23"
    region = await (await manager.api("GET", base)).json()
    assert {s["id"]: s["arrived"] for s in region["sites"]} == {
        "hamont-achel": 1,
        "pelt": 2,
        "peer": 1,
    }
    pelt = await (await manager.api("GET", base + "&gemeente=pelt")).json()
    assert pelt["site"] == {"id": "pelt", "name": "Sociaal Huis Pelt"}
    assert pelt["totals"]["arrived"] == 2 and pelt["sites"] == []
    debt = {q["queue"]: q["answered"] for q in pelt["queues"]}
    assert debt["schuldbemiddeling"] == 1 and debt["sd-pelt"] == 1
    whole = {q["queue"]: q["answered"] for q in region["queues"]}
    assert whole["schuldbemiddeling"] == 2
    page = await (
        await manager.client.get("/rapporten?soort=day&datum=2026-11-23&gemeente=peer")
    ).text()
    assert "— Sociaal Huis Peer</h1>" in page
    assert '<option value="peer" selected>Sociaal Huis Peer</option>' in page
    csv = await (
        await manager.client.get("/api/reports/gemeenten.csv?soort=day&datum=2026-11-23")
    ).text()
    assert csv.splitlines()[0].startswith("gemeente,naam,binnen,gerouteerd,beantwoord")
    bad = await manager.api("GET", base + "&gemeente=genk")
    assert bad.status == 400
    error = (await bad.json())["error"]
    assert error["field"] == "gemeente" and "hamont-achel, pelt, peer" in error["message"]


async def as_user(browse: Browse, login: str) -> Session:
    s = await browse()
    assert (await s.login(login)).status == 303, login
    return s


async def test_a_user_limited_to_one_municipality_never_reaches_anothers_callers(
    browse: Browse, staff: StaffServices, example_site: Site, monday: Fixed, app: Any
) -> None:
    users = staff.users
    await users.add("admin1", "Beheerder", ["admin"], PASSWORD)
    # one agent of Pelt and one of the region, both members of the shared debt queue's
    # phones; a manager of Peer; a manager of the whole region
    await users.add(
        "pelt1", "Agent Pelt", ["agent"], PASSWORD, interfaces=["PJSIP/pelt1"], sites=["pelt"]
    )
    await users.add("regio1", "Agent Regio", ["agent"], PASSWORD, interfaces=["PJSIP/regio1"])
    await users.add("peer-manager", "Manager Peer", ["manager"], PASSWORD, sites=["peer"])
    await users.add("manager1", "Manager", ["manager"], PASSWORD)
    same = "+32470555555"  # one citizen, who called Pelt and Peer

    def answered(call_id: str, where: str, phone: str, minute: int) -> CallRecord:
        call = a_call(example_site, minute, where, "2")  # the shared debt mediation
        call.call_id, call.caller = call_id, same
        call.visits[0].agent = phone
        return call

    pelt_call = answered("pelt.1", "pelt", "PJSIP/pelt1", 40)
    peer_call = answered("peer.1", "peer", "PJSIP/pelt1", 41)  # the Pelt agent's phone rang
    lost_peer = a_call(example_site, 42, "peer", "9")
    lost_peer.call_id, lost_peer.outcome = "peer.2", Outcome.ABANDONED
    lost_peer.visits[0].outcome = VisitOutcome.ABANDONED
    lost_pelt = a_call(example_site, 43, "pelt", "9")
    lost_pelt.call_id, lost_pelt.outcome = "pelt.2", Outcome.ABANDONED
    lost_pelt.visits[0].outcome = VisitOutcome.ABANDONED
    await CallStore(staff.audit.engine).save_many([pelt_call, peer_call, lost_peer, lost_pelt])

    question = {
        "topic": "schulden",
        "category": "schulden",
        "summary": "Vraagt een afspraak bij de schuldbemiddeling.",
        "outcome": "answered",
    }
    pelt = await as_user(browse, "pelt1")
    refused = await pelt.api("POST", "/api/contacts", {**question, "call_id": "peer.1"})
    assert refused.status == 400  # another municipality's call is none the agent may see
    assert (await refused.json())["error"]["field"] == "call_id"
    made = await pelt.api("POST", "/api/contacts", {**question, "call_id": "pelt.1"})
    assert made.status == 201, await made.text()
    own = await made.json()
    regio = await as_user(browse, "regio1")
    peer_call.visits[0].agent = "PJSIP/regio1"
    await CallStore(staff.audit.engine).save(peer_call)
    other = await regio.api("POST", "/api/contacts", {**question, "call_id": "peer.1"})
    assert other.status == 201, await other.text()
    theirs = await other.json()

    # the citizen's history: the Pelt agent sees Pelt's registration only
    seen = await (await pelt.api("POST", "/api/history", {"caller": same})).json()
    assert [c["id"] for c in seen["contacts"]] == [own["id"]]
    everything = await (await regio.api("POST", "/api/history", {"caller": same})).json()
    assert {c["id"] for c in everything["contacts"]} == {own["id"], theirs["id"]}
    assert (await pelt.api("GET", f"/api/contacts/{theirs['id']}")).status in (403, 404)

    # Peer's manager: Peer's figures, lost calls, registrations; nothing of Pelt
    boss = await as_user(browse, "peer-manager")
    base = "/api/reports?soort=day&datum=2026-11-23"
    mine = await (await boss.api("GET", base)).json()
    assert mine["site"]["id"] == "peer" and mine["totals"]["arrived"] == 2
    assert (await boss.api("GET", base + "&gemeente=pelt")).status == 403
    page = await boss.client.get("/rapporten?soort=day&datum=2026-11-23&gemeente=pelt")
    assert page.status == 403 and "Sociale dienst Pelt" not in await page.text()
    lost = await (await boss.api("GET", "/api/callbacks")).json()
    assert [c["call_id"] for c in lost["calls"]] == ["peer.2"]
    claim = {"take": True}
    assert (await boss.api("POST", "/api/callbacks/pelt.2/claim", claim)).status == 404
    assert (await boss.api("POST", "/api/callbacks/peer.2/claim", claim)).status == 200
    assert (await boss.api("GET", f"/api/contacts/{own['id']}")).status in (403, 404)
    assert (await boss.api("GET", f"/api/contacts/{theirs['id']}")).status == 200
    export = await (
        await boss.client.get("/api/contacts/export.csv?from=2026-11-23&to=2026-11-23")
    ).text()
    assert len(export.strip().splitlines()) == 2  # the header and Peer's one registration
    whole = await as_user(browse, "manager1")
    lost_all = await (await whole.api("GET", "/api/callbacks")).json()
    assert {c["call_id"] for c in lost_all["calls"]} == {"peer.2", "pelt.2"}


async def test_an_admin_limits_a_user_to_municipalities_the_region_has(
    browse: Browse, staff: StaffServices, example_site: Site
) -> None:
    await staff.users.add("admin1", "Beheerder", ["admin"], PASSWORD)
    admin = await as_user(browse, "admin1")
    page = await (await admin.client.get("/admin/users")).text()
    assert '<input type="checkbox" id="site-pelt" name="sites" value="pelt">' in page
    made = await admin.api(
        "POST",
        "/api/users",
        {
            "login": "lies",
            "name": "Lies Maes",
            "roles": ["agent"],
            "password": "een-goed-wachtwoord-lies",
            "sites": ["pelt", "genk"],
        },
    )
    assert made.status == 400
    error = (await made.json())["error"]
    assert error["field"] == "sites" and "genk" in error["message"]
    made = await admin.api(
        "POST",
        "/api/users",
        {
            "login": "lies",
            "name": "Lies Maes",
            "roles": ["agent"],
            "password": "een-goed-wachtwoord-lies",
            "sites": ["pelt"],
        },
    )
    assert made.status == 201 and (await made.json())["sites"] == ["pelt"]
    lies = await staff.users.by_login("lies")
    kept = await admin.api("PATCH", f"/api/users/{lies.id}", {"name": "Lies Maes-Peeters"})
    assert (await kept.json())["sites"] == ["pelt"]  # a change of name keeps the limit
    (entry, *_) = await staff.audit.query(kind="user-created")
    assert entry.detail["sites"] == ["pelt"]


async def test_no_route_shows_a_limited_user_anothers_caller_or_question(
    app: Any, browse: Browse, staff: StaffServices, example_site: Site, monday: Fixed
) -> None:
    """The route × role walk for sites: every page and API read, as one user with every role
    but admin limited to Peer, with the ids of Pelt's call, registration and referral in the
    URLs: neither Pelt's caller's number (in any form) nor Pelt's question comes back."""
    from tests.dashboard.test_access import routes_of

    users = staff.users
    await users.add(
        "pelt1", "Agent Pelt", ["agent", "counter"], PASSWORD, counters=["sd-pelt"],
        interfaces=["PJSIP/pelt1"], sites=["pelt"],
    )  # fmt: skip
    await users.add(
        "peer1", "Alles Peer", ["agent", "counter", "manager"], PASSWORD,
        counters=["sd-peer", "onthaal-peer"], interfaces=["PJSIP/peer1"], sites=["peer"],
    )  # fmt: skip
    secret_number, secret_text = "+32470777888", "GEHEIM-PELT schulden en huur"
    call = a_call(example_site, 30, "pelt", "1")
    call.call_id, call.caller = "pelt.9", secret_number
    call.visits[0].agent = "PJSIP/pelt1"
    lost = a_call(example_site, 31, "pelt", "9")
    lost.call_id, lost.caller, lost.outcome = "pelt.10", secret_number, Outcome.ABANDONED
    lost.visits[0].outcome = VisitOutcome.ABANDONED
    await CallStore(staff.audit.engine).save_many([call, lost])
    pelt = await as_user(browse, "pelt1")
    made = await pelt.api(
        "POST",
        "/api/contacts",
        {
            "call_id": "pelt.9",
            "topic": "financiele-hulp-pelt",
            "category": "schulden",
            "summary": secret_text,
            "outcome": "referred",
            "referral": {"to_counter": "sd-pelt", "request": secret_text},
        },
    )
    assert made.status == 201, await made.text()
    contact = await made.json()
    ids = {
        "{contact_id}": str(contact["id"]),
        "{referral_id}": str(contact["referrals"][0]["id"]),
        "{call_id}": "pelt.9",
        "{table}": "gemeenten",
    }
    forms = (secret_number, "0470777888", "470777888", "470 77 78 88")
    peer = await as_user(browse, "peer1")
    walked = 0
    for name, method, raw in routes_of(app):
        if method != "GET" or "stream" in name or name in ("logout", "static"):
            continue
        path = raw
        for key, value in ids.items():
            path = path.replace(key, value)
        if "{" in path:
            continue  # an id of something else (users, tokens, overrides, products)
        for query in ("", "?soort=day&datum=2026-11-23", "?from=2026-11-23&to=2026-11-23"):
            resp = await peer.client.get(path + query, allow_redirects=False)
            body = (await resp.read()).decode("utf-8", "replace")  # an .xlsx is a zip
            walked += 1
            assert resp.status < 500 or path == "/healthz", (path, resp.status)  # no AMI here
            where = f"GET {path}{query} ({resp.status})"
            assert not any(f in body for f in forms), where
            assert "GEHEIM-PELT" not in body, where
    assert walked > 60
    history = await peer.api("POST", "/api/history", {"caller": secret_number})
    assert (await history.json())["contacts"] == []
    for form in ("/agent/history",):
        page = await peer.post(form, {"caller": secret_number})
        assert "GEHEIM-PELT" not in await page.text()
    # and the same walk as Pelt's own agent finds them (the test can fail)
    own = await (await pelt.client.get(f"/api/contacts/{contact['id']}")).text()
    assert "GEHEIM-PELT" in own


async def test_each_municipality_has_its_wallboard_and_a_limited_manager_sees_theirs(
    browse: Browse, staff: StaffServices, monday: Fixed, app: Any
) -> None:
    await staff.users.add("manager1", "Manager", ["manager"], PASSWORD)
    await staff.users.add("peer-manager", "Manager Peer", ["manager"], PASSWORD, sites=["peer"])
    region = await as_user(browse, "manager1")
    whole = await (await region.api("GET", "/api/wallboard")).json()
    tiles = {t["id"]: t for t in whole["tiles"]}
    assert len(tiles) == 12 and tiles["sd-pelt"]["site"] == "pelt"
    assert tiles["schuldbemiddeling"]["site"] is None  # shared
    page = await (await region.client.get("/")).text()
    assert '<a href="/?gemeente=pelt">Sociaal Huis Pelt</a>' in page
    pelt = await (await region.api("GET", "/api/wallboard?gemeente=pelt")).json()
    assert {t["id"] for t in pelt["tiles"]} == {
        "lighthouse", "onthaal-pelt", "sd-pelt",
        "schuldbemiddeling", "gezinszorg", "juridisch", "jobcoaching", "svk",
    }  # fmt: skip
    boss = await as_user(browse, "peer-manager")
    own = await (await boss.client.get("/")).text()
    assert "Wachtrijen nu — Sociaal Huis Peer" in own and "Sociale dienst Pelt" not in own
    assert (await boss.client.get("/?gemeente=pelt")).status == 403
    assert (await boss.api("GET", "/api/wallboard?gemeente=pelt")).status == 403
    assert (await region.client.get("/?gemeente=genk")).status == 404
