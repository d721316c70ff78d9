"""The rota, planned closures, the agent's own page and the jobs on the web and the API: what
managers, agents and admins can do there, and bad input refused with the field named and
nothing stored."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from callcenter.calls.service import CallService
from callcenter.staff.users import User
from tests.dashboard.conftest import Session
from tests.dashboard.test_public_hours import Fixed
from tests.service.conftest import at
from tests.staff.test_closures import RECURRING

Browse = Callable[[], Awaitable[Session]]


@pytest.fixture
def monday(service: CallService) -> Fixed:
    clock = Fixed(at("2026-11-23 10:00"))
    service.clock = clock
    return clock


async def manager(browse: Browse) -> Session:
    s = await browse()
    assert (await s.login("manager1")).status == 303
    return s


async def test_the_rota_api_adds_shifts_and_refuses_an_overlap_storing_nothing(
    browse: Browse, people: dict[str, User], monday: Fixed
) -> None:
    m = await manager(browse)
    made = await m.api(
        "POST",
        "/api/rota/shifts",
        {"weekday": 0, "starts": "08:00", "ends": "13:00", "user": "agent1"},
    )
    assert made.status == 201
    body = await made.json()
    assert [(s["day"], s["starts"], s["ends"], s["user"]) for s in body["weekly"]] == [
        ("maandag", "08:00", "13:00", "agent1")
    ]
    for payload, field in (
        ({"weekday": 0, "starts": "12:00", "ends": "14:00", "user": "agent1"}, "starts"),
        ({"weekday": 0, "starts": "14:00", "ends": "12:00", "user": "agent1"}, "ends"),
        ({"weekday": 7, "starts": "08:00", "ends": "09:00", "user": "agent1"}, "weekday"),
        ({"weekday": 1, "starts": "8u", "ends": "09:00", "user": "agent1"}, "starts"),
        ({"weekday": 1, "starts": "08:00", "ends": "09:00", "user": "manager1"}, "user"),
    ):
        resp = await m.api("POST", "/api/rota/shifts", payload)
        assert resp.status == 400, payload
        assert (await resp.json())["error"]["field"] == field, payload
    after = await (await m.api("GET", "/api/rota")).json()
    assert len(after["weekly"]) == 1
    leave = await m.api(
        "POST",
        "/api/rota/exceptions",
        {"day": "2026-11-30", "kind": "absent", "user": "agent1", "note": "verlof"},
    )
    assert leave.status == 201
    assert (await leave.json())["exceptions"][0]["note"] == "verlof"
    page = await (await m.client.get("/rota")).text()
    assert "maandag" in page and "Agent Eén" in page and "verlof" in page
    assert "Bezettingsadvies" in page
    advice = await (await m.api("GET", "/api/rota/advice")).json()
    assert (advice["target_percent"], advice["target_seconds"], advice["weeks"]) == (80, 20, 8)
    monday = advice["days"][0]
    assert monday["date"] == "2026-11-23" and len(monday["slots"]) == 48
    eight = next(x for x in monday["slots"] if x["starts"].endswith("08:00:00+01:00"))
    # no history: the open lighthouse needs its one agent on duty, and agent1 is there
    assert (eight["open"], eight["needed"], eight["scheduled"], eight["short"]) == (
        True,
        1,
        1,
        False,
    )
    seven = next(x for x in monday["slots"] if x["starts"].endswith("07:30:00+01:00"))
    assert (seven["open"], seven["needed"]) == (False, 0)
    bad = await m.api("GET", "/api/rota/advice?weeks=0")
    assert bad.status == 400 and (await bad.json())["error"]["field"] == "weeks"


async def test_the_rota_form_shows_the_error_at_the_field(
    browse: Browse, people: dict[str, User], monday: Fixed
) -> None:
    m = await manager(browse)
    resp = await m.post(
        "/rota/shifts", {"weekday": "0", "starts": "13:00", "ends": "08:00", "user": "agent1"}
    )
    assert resp.status == 400
    text = await resp.text()
    assert "na het begin" in text and 'id="ends" name="ends"' in text
    assert 'aria-invalid="true"' in text
    assert 'id="ends" name="ends" type="time"' in text  # as the start: a time field
    # midnight, which no time field holds, is a checkbox
    ok = await m.post(
        "/rota/shifts", {"weekday": "0", "starts": "20:00", "midnight": "1", "user": "agent1"}
    )
    assert ok.status == 303
    week = await (await m.api("GET", "/api/rota")).json()
    assert any(s["starts"] == "20:00" and s["ends"] == "24:00" for s in week["weekly"]), week


async def test_closures_by_api_and_ics_show_on_the_public_hours_and_feed(
    browse: Browse, people: dict[str, User], monday: Fixed
) -> None:
    m = await manager(browse)
    made = await m.api(
        "POST",
        "/api/closures",
        {"scopes": ["woonloket"], "first_day": "2026-11-25", "reason": "Opleiding"},
    )
    assert made.status == 201
    imported = await m.client.post(
        "/api/closures/import?scopes=sociale-dienst&name=personeel.ics",
        data=RECURRING,
        headers={"X-CSRF-Token": m.csrf, "Content-Type": "text/calendar"},
    )
    assert imported.status == 201 and (await imported.json())["added"] == 5
    bad = await m.client.post(
        "/api/closures/import",
        data=b"BEGIN:VCALENDAR\nnonsense",
        headers={"X-CSRF-Token": m.csrf, "Content-Type": "text/calendar"},
    )
    assert bad.status == 400 and (await bad.json())["error"]["field"] == "file"
    listed = (await (await m.api("GET", "/api/closures")).json())["closures"]
    assert len(listed) == 6 and listed[0]["reason"] == "Opleiding"
    anyone = await browse()
    hours = await (await anyone.client.get("/api/public/hours")).json()
    woon = next(p for p in hours["places"] if p["id"] == "woonloket")
    assert woon["closures"][0]["reason"] == "Opleiding"
    assert woon["closures"][0]["first_day"] == woon["closures"][0]["last_day"] == "2026-11-25"
    wednesday = next(d for d in woon["days"] if d["date"] == "2026-11-25")
    assert wednesday["closure"] == "Opleiding"
    public = await (await anyone.client.get("/openingsuren")).text()
    assert "sluiting: Opleiding" in public and "woensdag 25/11/2026: Opleiding" in public
    feed = await anyone.client.get("/openingsuren/sluitingen.ics")
    assert feed.status == 200 and feed.content_type == "text/calendar"
    text = await feed.text()
    assert text.count("BEGIN:VEVENT") == 6 and "manager1" not in text
    page = await (await m.client.get("/sluitingen")).text()
    assert "Opleiding" in page and "personeel.ics" in page


async def test_an_agent_sees_their_queues_and_is_told_what_is_missing(
    browse: Browse, people: dict[str, User], monday: Fixed
) -> None:
    a = await browse()
    assert (await a.login("agent1")).status == 303
    me = await (await a.api("GET", "/api/agent")).json()
    assert me["interface"] is None and me["on_duty"] is False
    assert [q["kind"] for q in me["queues"]] == ["lighthouse"]
    assert {r["id"] for r in me["pause_reasons"]} >= {"lunch", "admin"}
    login = await a.api("POST", "/api/agent/login", {})
    assert login.status == 409 and (await login.json())["error"]["id"] == "no-queues"
    pause = await a.api("POST", "/api/agent/pause", {"reason": "slapen"})
    assert pause.status == 400 and (await pause.json())["error"]["field"] == "reason"
    take = await a.api("POST", "/api/duty/takeover", {})
    assert take.status == 409 and (await take.json())["error"]["id"] == "no-phone"
    page = await (await a.client.get("/agent")).text()
    assert "U hebt nog geen toestel" in page and "Ik neem de wacht over" in page


async def test_the_admin_sees_the_jobs(
    browse: Browse, people: dict[str, User], monday: Fixed, ops: Any
) -> None:
    ops.plan_jobs()
    try:
        admin = await browse()
        assert (await admin.login("admin1")).status == 303
        jobs = (await (await admin.api("GET", "/api/jobs")).json())["jobs"]
        assert {j["id"] for j in jobs} >= {"states", "duty", "snapshots", "privacy-nightly"}
        states = next(j for j in jobs if j["id"] == "states")
        assert states["next_run"] == "2026-11-23T12:00:00+01:00"  # sociale dienst closes
        page = await (await admin.client.get("/admin/jobs")).text()
        assert "kwartiercijfers" in page
    finally:
        await ops.stop()


async def test_the_catalog_is_searched_by_agents_and_counter_staff_and_kept_by_managers(
    browse: Browse, people: dict[str, User], monday: Fixed, ops: Any
) -> None:
    from tests.staff.test_catalog import CATALOG

    m = await manager(browse)
    loaded = await m.client.put(
        "/api/catalog", data=CATALOG.read_bytes(), headers={"X-CSRF-Token": m.csrf}
    )
    assert loaded.status == 201 and (await loaded.json())["loaded"] >= 60
    bad = await m.client.put(
        "/api/catalog", data=b'[[products]]\nid="x"\n', headers={"X-CSRF-Token": m.csrf}
    )
    assert bad.status == 400 and (await bad.json())["error"]["field"] == "file"
    for role in ("agent1", "counter1"):
        s = await browse()
        assert (await s.login(role)).status == 303
        found = await (await s.api("GET", "/api/catalog?q=leeflon")).json()
        first = found["products"][0]
        assert first["id"] == "leefloon" and first["bring"]
        # Monday 10:00: the sociale dienst is open
        assert first["place"] == {
            "id": "sociale-dienst",
            "name": "Sociale dienst",
            "address": first["place"]["address"],
            "open": True,
            "next_open": None,
        }
        refused = await s.api(
            "POST", "/api/catalog", {"id": "x", "name": "X", "counter": "onthaal"}
        )
        assert refused.status == 403
    closed = await (await m.api("GET", "/api/catalog?q=schuldbemiddeling")).json()
    place = closed["products"][0]["place"]  # Monday: no debt counselling
    assert place["open"] is False and place["next_open"] == "2026-11-24T09:00:00+01:00"
    made = await m.api(
        "POST", "/api/catalog", {"id": "fietsbieb", "name": "Fietsbieb", "counter": "jobpunt"}
    )
    assert made.status == 201
    page = await (await m.client.get("/catalogus?q=fietsbieb")).text()
    assert "Fietsbieb" in page and "Jobpunt" in page
    limit = await m.api("GET", "/api/catalog?q=a&limit=0")
    assert limit.status == 400 and (await limit.json())["error"]["field"] == "limit"
