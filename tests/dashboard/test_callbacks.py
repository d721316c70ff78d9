"""The callback list: who reached nobody, per queue, oldest first; off the list when they
got through later or were reached; attempts registered; refusals."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

import pytest

from callcenter.calls.service import CallService
from callcenter.staff.services import StaffServices
from callcenter.staff.users import User
from callcenter.store import CallStore
from callcenter.store.records import CallRecord, Outcome, Visit, VisitOutcome
from tests.dashboard.conftest import PASSWORD, Session
from tests.dashboard.test_public_hours import Fixed
from tests.service.conftest import at

Browse = Callable[[], Awaitable[Session]]


@pytest.fixture
def monday(service: CallService) -> Fixed:
    clock = Fixed(at("2026-11-23 12:00"))
    service.clock = clock
    return clock


def call(
    cid: str,
    caller: str,
    started: datetime,
    outcome: Outcome,
    visit: VisitOutcome | None,
    wait: int = 40,
    callback: bool = False,
) -> CallRecord:
    c = CallRecord(cid, started, caller=caller)
    if visit is not None:
        c.visits.append(
            Visit("woonloket", started, 1, cid, started + timedelta(seconds=wait), visit, wait)
        )
    c.outcome, c.ended = outcome, started + timedelta(minutes=2)
    if callback:
        c.callback_requested = started + timedelta(minutes=1)
    return c


async def test_the_list_shows_who_reached_nobody_until_they_are_reached(
    browse: Browse, people: dict[str, User], staff: StaffServices, monday: Fixed
) -> None:
    await CallStore(staff.audit.engine).save_many(
        [
            call(
                "1.1",
                "+32470000001",
                at("2026-11-23 09:00"),
                Outcome.ABANDONED,
                VisitOutcome.ABANDONED,
            ),
            call(
                "1.2",
                "+32470000002",
                at("2026-11-23 09:01"),
                Outcome.ABANDONED,
                VisitOutcome.ABANDONED_SHORT,
                wait=2,
            ),
            call(
                "1.3",
                "+32470000003",
                at("2026-11-23 09:02"),
                Outcome.LAST_RESORT,
                None,
                callback=True,
            ),
            call(
                "1.4",
                "+32470000004",
                at("2026-11-23 09:03"),
                Outcome.ABANDONED,
                VisitOutcome.ABANDONED,
            ),
            call(
                "1.5",
                "+32470000004",
                at("2026-11-23 09:30"),
                Outcome.ANSWERED,
                VisitOutcome.ANSWERED,
            ),  # called again and got through
        ]
    )
    agent = await browse()
    assert (await agent.login("agent1")).status == 303
    listed = (await (await agent.api("GET", "/api/callbacks")).json())["calls"]
    assert [(c["caller"], c["kind"]) for c in listed] == [
        ("+32470000001", "abandoned"),
        ("+32470000003", "callback_request"),
    ]
    tried = await agent.api("POST", "/api/callbacks/1.3/attempts", {"result": "no_answer"})
    assert tried.status == 201
    listed = (await (await agent.api("GET", "/api/callbacks")).json())["calls"]
    assert listed[1]["attempts"][0]["result"] == "no_answer"
    page = await (await agent.client.get("/terugbellen")).text()
    assert "+32470000001" in page and "Neemt niet op" in page
    done = await agent.post("/terugbellen/1.3", {"result": "reached", "note": "Geholpen."})
    assert done.status == 200 and "De poging is geregistreerd." in await done.text()
    listed = (await (await agent.api("GET", "/api/callbacks")).json())["calls"]
    assert [c["caller"] for c in listed] == ["+32470000001"]
    bad = await agent.api("POST", "/api/callbacks/1.1/attempts", {"result": "misschien"})
    assert bad.status == 400 and (await bad.json())["error"]["field"] == "result"
    missing = await agent.api("POST", "/api/callbacks/9.9/attempts", {"result": "reached"})
    assert missing.status == 404
    counter = await browse()
    assert (await counter.login("counter1")).status == 303
    assert (await counter.api("GET", "/api/callbacks")).status == 403
    assert [e.detail["result"] for e in await staff.audit.query(kind="callback")] == [
        "reached",
        "no_answer",
    ]


async def test_one_click_callback_refusals(
    browse: Browse, people: dict[str, User], staff: StaffServices, monday: Fixed
) -> None:
    """The dial button and its API refuse clearly: no phone on the account, another role,
    an unknown call, Asterisk out of reach (these tests run without one). The call itself is
    tested against the simulated Asterisk (``tests/service/test_callbacks_live.py``)."""
    await CallStore(staff.audit.engine).save_many(
        [
            call(
                "2.1",
                "+32470000011",
                at("2026-11-23 09:00"),
                Outcome.ABANDONED,
                VisitOutcome.ABANDONED,
            )
        ]
    )
    await staff.users.add(
        "telefoon", "Met Toestel", ["agent"], "een-goed-wachtwoord-x", interfaces=["PJSIP/201"]
    )
    agent = await browse()
    assert (await agent.login("agent1")).status == 303
    page = await (await agent.client.get("/terugbellen")).text()
    assert "Bel terug" not in page  # no phone, no button
    refused = await agent.api("POST", "/api/callbacks/2.1/dial")
    assert refused.status == 409 and (await refused.json())["error"]["id"] == "no-phone"
    with_phone = await browse()
    assert (await with_phone.login("telefoon", "een-goed-wachtwoord-x")).status == 303
    page = await (await with_phone.client.get("/terugbellen")).text()
    assert "Bel terug" in page
    missing = await with_phone.api("POST", "/api/callbacks/9.9/dial")
    assert missing.status == 404
    away = await with_phone.api("POST", "/api/callbacks/2.1/dial")
    assert away.status == 503, await away.text()
    assert (await away.json())["error"]["id"] == "asterisk-unreachable"
    form = await with_phone.post("/terugbellen/2.1/bellen")
    assert form.status == 503 and "Asterisk is niet bereikbaar" in await form.text()
    counter = await browse()
    assert (await counter.login("counter1")).status == 303
    assert (await counter.api("POST", "/api/callbacks/2.1/dial")).status == 403


async def test_the_list_pages_filters_orders_and_is_taken_by_one_agent(
    browse: Browse, people: dict[str, User], staff: StaffServices, monday: Fixed
) -> None:
    """Issue 25, point 6: 45 citizens on the list: 20 a page, the most urgent first (a
    callback asked for, then the overdue), filters by state, overdue and "mine"; "Ik neem
    dit" shows who calls back and another agent cannot take it too; no result is chosen
    before the agent chooses one."""
    lost = [
        call(
            f"3.{i}",
            f"+3247010{i:04d}",
            at("2026-11-21 09:00") + timedelta(hours=i),
            Outcome.ABANDONED,
            VisitOutcome.ABANDONED,
        )
        for i in range(44)
    ]
    lost.append(
        call(
            "3.99", "+32470109999", at("2026-11-23 11:00"), Outcome.LAST_RESORT, None, callback=True
        )
    )
    await CallStore(staff.audit.engine).save_many(lost)
    await staff.users.add("agent2", "Agent Twee", ["agent"], PASSWORD)
    agent = await browse()
    await agent.login("agent1")
    page = await (await agent.client.get("/terugbellen")).text()
    assert "45 burgers op de lijst, pagina 1 van 3" in page
    assert page.count("Poging registreren<") == 20
    first = page.index("+32470109999")  # asked for a callback: at the top
    assert first < page.index("+32470100000") < page.index("+32470100018")  # then the oldest
    assert "+32470100019" not in page  # on page 2
    assert '<option value="" selected disabled>Kies het resultaat</option>' in page
    assert 'href="/terugbellen?pagina=2"' in page
    third = await (await agent.client.get("/terugbellen?pagina=3&volgorde=newest")).text()
    assert third.count("Poging registreren<") == 5 and "+32470100000" in third
    late = await (await agent.client.get("/terugbellen?te-laat=1")).text()
    assert "+32470109999" not in late  # an hour old: not overdue
    # take one; the other agent sees who has it and cannot take it too
    took = await agent.post("/terugbellen/3.5/nemen", {"neem": "1", "terug": "?van=mij"})
    assert took.status == 303 and took.headers["Location"] == "/terugbellen?van=mij"
    mine = await (await agent.client.get("/terugbellen?van=mij")).text()
    assert "1 burger op de lijst" in mine and "U belt deze burger terug." in mine
    other = await browse()
    await other.login("agent2")
    assert "agent1 belt deze burger terug." in await (await other.client.get("/terugbellen")).text()
    refused = await other.api("POST", "/api/callbacks/3.5/claim", {"take": True})
    assert refused.status == 409 and (await refused.json())["error"]["id"] == "claimed"
    api = await (await agent.api("GET", "/api/callbacks?mine=1")).json()
    assert [(c["call_id"], c["claimed_by"]) for c in api["calls"]] == [("3.5", "agent1")]
    freed = await agent.api("POST", "/api/callbacks/3.5/claim", {"take": False})
    assert (await freed.json())["claimed_by"] is None
    entries = await staff.audit.query(kind="callback")
    assert [e.detail for e in entries[:2]] == [{"claimed": False}, {"claimed": True}]
