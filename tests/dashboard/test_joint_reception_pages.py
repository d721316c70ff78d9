"""A joint reception in the dashboard (issue 28, point 4), on the example of an OCMW and a CAW
with one reception: an admin sets each user's organisation (only one the site file knows);
the reports split the reception's answered calls per organisation and add up to the whole;
a question taken at the joint reception is referred to the other organisation's counter as
between any counters, and only that counter's staff read and answer it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from callcenter.staff.services import StaffServices
from callcenter.staff.users import User
from callcenter.store import CallStore
from callcenter.store.records import CallRecord, Outcome, Visit, VisitOutcome
from routing.config import load_site
from routing.site import Site
from tests.dashboard.conftest import PASSWORD, Session
from tests.dashboard.test_public_hours import Fixed, monday
from tests.service.conftest import at

__all__ = ["monday"]  # the fixture, shared with the public hours' tests

JOINT = Path(__file__).resolve().parents[2] / "examples" / "gezamenlijk-onthaal.toml"
OCMW, CAW = "OCMW Voorbeeld", "CAW Midden"
Browse = Callable[[], Awaitable[Session]]


@pytest.fixture
def example_site() -> Site:
    """This module's site: the joint reception (the dashboard fixtures build on it)."""
    return load_site(JOINT)


@pytest.fixture
async def people(staff: StaffServices) -> dict[str, User]:
    """An admin, a manager, an OCMW agent at the reception, a counter user at each
    organisation's own counter."""
    users = staff.users
    return {
        "admin": await users.add("admin1", "Beheerder", ["admin"], PASSWORD),
        "manager": await users.add("manager1", "Manager", ["manager"], PASSWORD),
        "agent": await users.add(
            "agent1",
            "Agent OCMW",
            ["agent"],
            PASSWORD,
            counters=["onthaal"],
            interfaces=["PJSIP/onthaal-01"],
            organisation=OCMW,
        ),
        "caw": await users.add(
            "caw1", "Hulpverlener CAW", ["counter"], PASSWORD, counters=["caw-hulp"]
        ),
        "ocmw": await users.add(
            "sd1", "Maatschappelijk werker", ["counter"], PASSWORD, counters=["sociale-dienst"]
        ),
    }


async def as_user(browse: Browse, login: str) -> Session:
    s = await browse()
    assert (await s.login(login)).status == 303, login
    return s


def answered(call_id: str, minute: int, queue: str, org: str | None) -> CallRecord:
    joined = at(f"2026-11-23 09:{minute:02d}")
    call = CallRecord(call_id, joined, caller=f"+3247012{minute:04d}")
    call.visits.append(
        Visit(
            queue,
            joined,
            1,
            call_id,
            left=joined,
            outcome=VisitOutcome.ANSWERED,
            wait_seconds=10 + minute,
            agent="agent",
            talk_seconds=60,
            organisation=org,
        )
    )
    call.outcome, call.ended = (
        Outcome.ANSWERED,
        at(f"2026-11-23 09:{minute:02d}") + (at("2026-11-23 09:01") - at("2026-11-23 09:00")),
    )
    return call


async def test_an_admin_sets_a_users_organisation_and_only_a_known_one(
    browse: Browse, people: dict[str, User], staff: StaffServices
) -> None:
    admin = await as_user(browse, "admin1")
    page = await (await admin.client.get("/admin/users")).text()
    assert '<label for="organisation">Organisatie' in page
    assert f'<option value="{CAW}">{CAW}</option>' in page
    assert '<option value="Welzijnshuis Voorbeeld">' in page  # the reception's own face
    made = await admin.post(
        "/admin/users",
        {
            "login": "fien",
            "name": "Fien Desmet",
            "roles": "agent",
            "counters": "onthaal",
            "interfaces": "PJSIP/onthaal-02",
            "organisation": CAW,
            "password": "een-goed-wachtwoord-fien",
        },
    )
    assert made.status == 303, await made.text()
    fien = await staff.users.by_login("fien")
    assert fien.organisation == CAW
    listing = await (await admin.client.get("/admin/users")).text()
    assert f"<td>{CAW}</td>" in listing

    unknown = await admin.api("PATCH", f"/api/users/{fien.id}", {"organisation": "CAW Elders"})
    assert unknown.status == 400
    error = (await unknown.json())["error"]
    assert error["field"] == "organisation" and "CAW Elders" in error["message"]
    assert (await staff.users.by_login("fien")).organisation == CAW  # nothing changed
    moved = await admin.api("PATCH", f"/api/users/{fien.id}", {"organisation": OCMW})
    assert moved.status == 200 and (await moved.json())["organisation"] == OCMW
    kept = await admin.api("PATCH", f"/api/users/{fien.id}", {"name": "Fien De Smet"})
    assert (await kept.json())["organisation"] == OCMW  # a change of name keeps it
    moves = [e.detail["organisation"] for e in await staff.audit.query(kind="user-changed")]
    assert [CAW, OCMW] in moves and [OCMW, OCMW] in moves


async def test_the_report_splits_the_reception_per_organisation_and_adds_up(
    browse: Browse, people: dict[str, User], staff: StaffServices
) -> None:
    calls = [
        answered("c1", 1, "onthaal", OCMW),
        answered("c2", 2, "onthaal", OCMW),
        answered("c3", 3, "onthaal", CAW),
        answered("c4", 4, "onthaal", None),  # a phone of no user with an organisation
        answered("c5", 5, "caw-hulp", CAW),  # not the joint counter: not in the table
    ]
    await CallStore(staff.audit.engine).save_many(calls)
    manager = await as_user(browse, "manager1")
    data = await (await manager.api("GET", "/api/reports?soort=day&datum=2026-11-23")).json()
    rows = {r["organisation"]: r for r in data["organisations"]}
    assert {k: r["answered"] for k, r in rows.items()} == {OCMW: 2, CAW: 1, None: 1}
    assert {r["queue"] for r in data["organisations"]} == {"onthaal"}
    assert rows[OCMW]["share"] == 0.5 and rows[OCMW]["asa_seconds"] == 11.5
    reception = next(q for q in data["queues"] if q["queue"] == "onthaal")
    assert reception["answered"] == sum(r["answered"] for r in rows.values()) == 4
    page = await (await manager.client.get("/rapporten?soort=day&datum=2026-11-23")).text()
    assert "Gezamenlijk onthaal: beantwoord per organisatie" in page
    assert "(zonder organisatie)" in page
    csv = await (
        await manager.client.get("/api/reports/organisaties.csv?soort=day&datum=2026-11-23")
    ).text()
    lines = csv.splitlines()
    assert lines[0].startswith("wachtrij,naam,organisatie,beantwoord")
    assert any(line.startswith(f"onthaal,Onthaal Welzijnshuis,{OCMW},2,") for line in lines)


async def test_a_question_at_the_joint_reception_is_referred_to_the_other_organisation(
    browse: Browse, people: dict[str, User], staff: StaffServices, monday: Fixed
) -> None:
    call = answered("1795424100.7", 58, "onthaal", OCMW)
    call.visits[0].agent = "PJSIP/onthaal-01"
    await CallStore(staff.audit.engine).save(call)
    agent = await as_user(browse, "agent1")  # an OCMW agent at the joint reception
    made = await agent.api(
        "POST",
        "/api/contacts",
        {
            "call_id": call.call_id,
            "topic": "relaties",
            "category": "welzijn",
            "summary": "Relatieproblemen; wil met iemand van het CAW praten.",
            "outcome": "referred",
            "referral": {"to_counter": "caw-hulp", "request": "Eerste gesprek plannen."},
        },
    )
    assert made.status == 201, await made.text()
    (referral,) = (await made.json())["referrals"]
    caw = await as_user(browse, "caw1")
    incoming = (await (await caw.api("GET", "/api/referrals")).json())["referrals"]
    assert [r["id"] for r in incoming] == [referral["id"]]
    ocmw = await as_user(browse, "sd1")  # the OCMW's own counter does not read the CAW's
    assert (await (await ocmw.api("GET", "/api/referrals")).json())["referrals"] == []
    wrong = await ocmw.api("POST", f"/api/referrals/{referral['id']}/report", {"status": "handled"})
    assert wrong.status == 403
    done = await caw.api(
        "POST",
        f"/api/referrals/{referral['id']}/report",
        {"status": "handled", "response": "Gesprek gepland op donderdag."},
    )
    assert done.status == 200
