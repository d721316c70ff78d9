"""The consent register of neighbourhood teams in the dashboard (issue 28, point 2): a team's
social worker registers a citizen of their own team (never another team's), with their own
worker; a manager sees every team; the API refuses bad bodies with the field; each read and
change is in the audit, which names entries, never numbers; a site without teams has no such
page."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from callcenter.services.operations import Operations
from callcenter.staff.services import StaffServices
from callcenter.staff.users import User
from routing.config import load_site
from routing.site import Site
from tests.dashboard.conftest import PASSWORD, Session

CITY = Path(__file__).resolve().parents[2] / "examples" / "buurtteams.toml"
Browse = Callable[[], Awaitable[Session]]


@pytest.fixture
def example_site() -> Site:
    """This module's site: the neighbourhood-team city."""
    return load_site(CITY)


@pytest.fixture
async def people(staff: StaffServices) -> dict[str, User]:
    users = staff.users
    return {
        "anna": await users.add(
            "anna",
            "Anna Maes",
            ["counter"],
            PASSWORD,
            counters=["team-marke"],
            interfaces=["PJSIP/team-marke-01"],
        ),
        "ben": await users.add(
            "ben", "Ben Claes", ["counter"], PASSWORD, counters=["team-centrum"]
        ),
        "manager": await users.add("manager1", "Manager", ["manager"], PASSWORD),
        "agent": await users.add("agent1", "Agent", ["agent"], PASSWORD, counters=["onthaal"]),
    }


async def as_user(browse: Browse, login: str) -> Session:
    s = await browse()
    assert (await s.login(login)).status == 303, login
    return s


async def test_a_social_worker_registers_a_citizen_of_their_own_team(
    browse: Browse, people: dict[str, User], ops: Operations, staff: StaffServices
) -> None:
    anna = await as_user(browse, "anna")
    page = await (await anna.client.get("/gekende-bellers")).text()
    assert 'href="/gekende-bellers"' in page  # in the navigation
    assert '<option value="team-marke">Buurtteam Marke</option>' in page
    assert "team-centrum" not in page.split('id="kn-team"')[1].split("</select>")[0]
    saved = await anna.post(
        "/gekende-bellers", {"caller": "0470 55 50 01", "team": "team-marke", "worker": "anna"}
    )
    assert saved.status == 200 and "Inschrijving 1 bewaard" in await saved.text()
    assert ops.known.lookup("+32470555001") is not None  # the call path knows at once

    other = await anna.post("/gekende-bellers", {"caller": "0470 55 50 02", "team": "team-centrum"})
    assert other.status == 403 and "U werkt niet voor dat buurtteam" in await other.text()
    bad = await anna.post("/gekende-bellers", {"caller": "bel me", "team": "team-marke"})
    text = await bad.text()
    assert bad.status == 400 and 'id="kn-caller"' in text and 'aria-invalid="true"' in text
    assert ops.known.lookup("0470555002") is None  # nothing of the refused ones was kept

    # Ben (team Centrum) neither sees Anna's citizen nor can erase the entry
    ben = await as_user(browse, "ben")
    assert "+32470555001" not in await (await ben.client.get("/gekende-bellers")).text()
    assert (await ben.api("DELETE", "/api/known/1")).status == 404
    assert (await (await ben.api("GET", "/api/known")).json()) == {"known": []}
    # the manager sees every team's entries
    manager = await as_user(browse, "manager1")
    (entry,) = (await (await manager.api("GET", "/api/known")).json())["known"]
    assert entry["caller"] == "+32470555001" and entry["worker"] == "anna"

    kinds = [e.kind for e in await staff.audit.query()]
    assert kinds.count("known-read") >= 4 and "known-added" in kinds
    assert all("+32470555001" not in str(e.detail) + e.target for e in await staff.audit.query())

    erased = await anna.post(f"/gekende-bellers/{entry['id']}/delete")
    assert erased.status == 303
    assert ops.known.lookup("+32470555001") is None


async def test_the_api_names_the_field_of_a_bad_body(
    browse: Browse, people: dict[str, User]
) -> None:
    manager = await as_user(browse, "manager1")
    cases = [
        ({"caller": "0470 55 50 01"}, "team"),
        ({"caller": "0470 55 50 01", "team": "nope"}, "team"),
        ({"caller": "0470 55 50 01", "team": "team-marke", "worker": "ben"}, "worker"),
        ({"caller": "0470 55 50 01", "team": "team-marke", "consent_at": "gisteren"}, "consent_at"),
        ({"caller": "0470 55 50 01", "team": "team-marke", "colour": "red"}, "colour"),
        ({"caller": 470, "team": "team-marke"}, "caller"),
    ]
    for body, field in cases:
        resp = await manager.api("POST", "/api/known", body)
        assert resp.status == 400, body
        assert (await resp.json())["error"]["field"] == field, body
    ok = await manager.api("POST", "/api/known", {"caller": "0470 55 50 01", "team": "team-marke"})
    assert ok.status == 201 and (await ok.json())["team"] == "team-marke"
    assert (await manager.api("GET", "/api/known")).status == 200


async def test_an_agent_without_a_team_role_may_not_read_the_register(
    browse: Browse, people: dict[str, User]
) -> None:
    agent = await as_user(browse, "agent1")
    assert (await agent.client.get("/gekende-bellers", allow_redirects=False)).status == 403
    assert (await agent.api("GET", "/api/known")).status == 403
    page = await (await agent.client.get("/account")).text()
    assert 'href="/gekende-bellers"' not in page
