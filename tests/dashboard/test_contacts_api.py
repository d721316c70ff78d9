"""The question log over the API: an agent registers a question on a call and refers it, the
caller's history shows it (audited, never with the number in the log), the receiving
counter reports back and the loop closes; overdue referrals surface; refusals for the wrong
role, another counter's referral, bad input and unknown ids; privacy covers the register."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta

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
NUMBER = "+32470123456"


@pytest.fixture
def monday(service: CallService) -> Fixed:
    clock = Fixed(at("2026-11-23 10:00"))
    service.clock = clock
    return clock


async def as_user(browse: Browse, login: str) -> Session:
    s = await browse()
    assert (await s.login(login)).status == 303, login
    return s


async def a_call(
    staff: StaffServices,
    call_id: str = "1795424100.7",
    queue: str = "onthaal",
    phone: str = "PJSIP/205",
    caller: str = NUMBER,
) -> str:
    """A call answered in ``queue`` by ``phone`` (agent1's)."""
    call = CallRecord(call_id, at("2026-11-23 09:58"), caller=caller)
    call.visits.append(
        Visit(
            queue,
            at("2026-11-23 09:58"),
            1,
            call_id,
            outcome=VisitOutcome.ANSWERED,
            wait_seconds=20,
            agent=phone,
        )
    )
    call.outcome, call.ended = Outcome.ANSWERED, at("2026-11-23 10:02")
    await CallStore(staff.audit.engine).save(call)
    return call.call_id


QUESTION = {
    "topic": "wonen",
    "category": "wonen",
    "product": None,
    "summary": "Vraagt naar de huurpremie; wacht 4 jaar op een sociale woning.",
    "outcome": "referred",
    "referral": {"to_counter": "woonloket", "request": "Huurpremie nakijken en terugbellen."},
}


@pytest.fixture
async def phones(people: dict[str, User], staff: StaffServices) -> dict[str, User]:
    """agent1 takes calls on PJSIP/205 (a member of no queue)."""
    a = people["agent"]
    people["agent"] = await staff.users.update(
        a.id, name=a.name, roles=a.roles, interfaces=["PJSIP/205"]
    )
    return people


async def test_the_loop_from_question_to_report_back(
    browse: Browse, phones: dict[str, User], staff: StaffServices, monday: Fixed
) -> None:
    call_id = await a_call(staff)
    agent = await as_user(browse, "agent1")
    made = await agent.api(
        "POST",
        "/api/contacts",
        {**{k: v for k, v in QUESTION.items() if v is not None}, "call_id": call_id},
    )
    assert made.status == 201, await made.text()
    contact = await made.json()
    assert contact["caller"] == NUMBER and contact["channel"] == "phone"
    (referral,) = contact["referrals"]
    assert (referral["status"], referral["due"], referral["overdue"]) == (
        "open",
        "2026-11-28",
        False,
    )

    history = await (await agent.api("POST", "/api/history", {"caller": "0470 12 34 56"})).json()
    assert [c["id"] for c in history["contacts"]] == [contact["id"]]
    read = (await staff.audit.query(kind="history-read"))[0]
    assert read.actor == "agent1" and read.target.startswith("p:") and "470" not in read.target

    counter = await as_user(browse, "counter1")  # the woonloket
    incoming = (await (await counter.api("GET", "/api/referrals")).json())["referrals"]
    assert [r["id"] for r in incoming] == [referral["id"]]
    assert incoming[0]["contact"]["summary"].startswith("Vraagt naar de huurpremie")
    refused = await agent.api(
        "POST", f"/api/referrals/{referral['id']}/report", {"status": "handled"}
    )
    assert refused.status == 403  # agents do not answer referrals
    await staff.users.add(
        "sd1", "Sociale Dienst", ["counter"], PASSWORD, counters=["sociale-dienst"]
    )
    other = await as_user(browse, "sd1")
    wrong = await other.api(
        "POST", f"/api/referrals/{referral['id']}/report", {"status": "handled"}
    )
    assert wrong.status == 403 and (await wrong.json())["error"]["id"] == "not-your-counter"
    done = await counter.api(
        "POST",
        f"/api/referrals/{referral['id']}/report",
        {"status": "handled", "response": "Premie aangevraagd, burger verwittigd."},
    )
    assert done.status == 200 and (await done.json())["status"] == "handled"
    again = await counter.api(
        "POST", f"/api/referrals/{referral['id']}/report", {"status": "contacted"}
    )
    assert again.status == 409
    assert (await (await counter.api("GET", "/api/referrals")).json())["referrals"] == []
    closed = await (await agent.api("GET", f"/api/contacts/{contact['id']}")).json()
    assert closed["referrals"][0]["response"] == "Premie aangevraagd, burger verwittigd."


async def test_not_for_us_refers_on_and_overdue_referrals_surface(
    browse: Browse, phones: dict[str, User], staff: StaffServices, monday: Fixed
) -> None:
    agent = await as_user(browse, "agent1")
    walk_in = dict(QUESTION, referral={"to_counter": "woonloket", "due": "2026-11-25"})
    walk_in.pop("product")
    refused = await agent.api("POST", "/api/contacts", walk_in)  # no call, no counter
    assert refused.status == 400 and (await refused.json())["error"]["field"] == "counter"
    counter = await as_user(browse, "counter1")
    made = await counter.api("POST", "/api/contacts", {**walk_in, "counter": "woonloket"})
    assert made.status == 201 and (await made.json())["channel"] == "walk-in"
    ref = (await made.json())["referrals"][0]
    onward = await counter.api(
        "POST",
        f"/api/referrals/{ref['id']}/report",
        {"status": "not_for_us", "refer_on": {"to_partner": "OCMW Buurgemeente"}},
    )
    assert onward.status == 200
    manager = await as_user(browse, "manager1")
    open_now = (await (await manager.api("GET", "/api/referrals")).json())["referrals"]
    assert [r["to_partner"] for r in open_now] == ["OCMW Buurgemeente"]
    monday.value += timedelta(days=10)  # its due date (5 days) passes
    overdue = await (await manager.api("GET", "/api/referrals?status=overdue")).json()
    assert [r["overdue"] for r in overdue["referrals"]] == [True]
    # flagged on the manager's page and to the one who referred (on)
    assert "1 doorverwijzing over de termijn" in await (await manager.client.get("/")).text()
    mine = await (await counter.client.get("/agent")).text()
    assert "1 van uw doorverwijzingen is over de termijn" in mine
    assert "over de termijn" not in await (await agent.client.get("/agent")).text()
    bad = await manager.api("GET", "/api/referrals?status=soon")
    assert bad.status == 400 and (await bad.json())["error"]["field"] == "status"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"topic": "nergens"}, "topic"),
        ({"category": "x"}, "category"),
        ({"outcome": "maybe"}, "outcome"),
        ({"product": "geen-product"}, "product"),
        ({"summary": "x" * 1001}, "summary"),
        ({"referral": None}, "referral"),
        ({"referral": {"to_counter": "woonloket", "due": "2020-01-01"}}, "due"),
        ({"referral": {"to_counter": "nergens"}}, "to_counter"),
        ({"referral": {}}, "to_counter"),
        ({"call_id": "999.9"}, "call_id"),
        ({"caller": "bel me"}, "caller"),
        ({"unknown": 1}, "unknown"),
    ],
)
async def test_bad_registrations_name_the_field_and_store_nothing(
    browse: Browse,
    phones: dict[str, User],
    staff: StaffServices,
    monday: Fixed,
    change: dict[str, object],
    field: str,
) -> None:
    call_id = await a_call(staff)
    agent = await as_user(browse, "agent1")
    body = {**{k: v for k, v in QUESTION.items() if v is not None}, "call_id": call_id, **change}
    body = {k: v for k, v in body.items() if v is not None}
    resp = await agent.api("POST", "/api/contacts", body)
    assert resp.status == 400, await resp.text()
    assert (await resp.json())["error"]["field"] == field
    history = await (await agent.api("POST", "/api/history", {"caller": NUMBER})).json()
    assert history["contacts"] == []


async def test_edits_keep_history_and_only_the_author_or_a_manager_edits(
    browse: Browse, phones: dict[str, User], staff: StaffServices, monday: Fixed
) -> None:
    call_id = await a_call(staff)
    agent = await as_user(browse, "agent1")
    q = {
        "topic": "wonen",
        "category": "wonen",
        "outcome": "answered",
        "call_id": call_id,
        "summary": "Eerste versie.",
    }
    contact = await (await agent.api("POST", "/api/contacts", q)).json()
    await staff.users.add("agent2", "Agent Twee", ["agent"], PASSWORD)
    other = await as_user(browse, "agent2")
    assert (
        await other.api("PATCH", f"/api/contacts/{contact['id']}", {"summary": "x"})
    ).status == 403
    edited = await agent.api(
        "PATCH", f"/api/contacts/{contact['id']}", {"summary": "Tweede versie."}
    )
    assert (await edited.json())["summary"] == "Tweede versie."
    changes = await (await agent.api("GET", f"/api/contacts/{contact['id']}/changes")).json()
    assert changes["changes"][0]["before"]["summary"] == "Eerste versie."
    assert (await agent.api("GET", "/api/contacts/99999")).status == 404
    assert (await agent.api("GET", "/api/contacts/abc")).status == 404


async def test_privacy_covers_the_question_log(
    browse: Browse, phones: dict[str, User], staff: StaffServices, monday: Fixed
) -> None:
    call_id = await a_call(staff)
    agent = await as_user(browse, "agent1")
    q = {
        "topic": "wonen",
        "category": "wonen",
        "outcome": "answered",
        "call_id": call_id,
        "summary": "Persoonlijk verhaal.",
    }
    assert (await agent.api("POST", "/api/contacts", q)).status == 201
    export = await staff.privacy.export(NUMBER, actor="admin1")
    assert [c["summary"] for c in export["contacts"]] == ["Persoonlijk verhaal."]
    later = at("2027-12-31 10:00")  # past both the 90-day and the 365-day terms
    report = await staff.privacy.retention(later, actor="test")
    assert report.pseudonymised == 2 and report.texts_deleted >= 1  # the call and the contact
    history = await (await agent.api("POST", "/api/history", {"caller": NUMBER})).json()
    (kept,) = history["contacts"]  # found by its pseudonym, the text gone
    assert kept["caller"].startswith("p:") and kept["summary"] is None
    await staff.privacy.erase(NUMBER, actor="admin1")
    gone = await (await agent.api("POST", "/api/history", {"caller": NUMBER})).json()
    assert gone["contacts"] == []


async def test_the_console_forms_register_look_up_and_report_back(
    browse: Browse, phones: dict[str, User], staff: StaffServices, monday: Fixed
) -> None:
    """The same loop without JavaScript: the forms of /agent and /doorverwijzingen."""
    call_id = await a_call(staff)
    agent = await as_user(browse, "agent1")
    bad = await agent.post(
        "/agent/register",
        {"call_id": call_id, "topic": "wonen", "category": "wonen", "outcome": "referred"},
    )
    assert bad.status == 400
    page = await bad.text()
    assert "Verwijs naar een loket of naar een partner" in page and 'aria-invalid="true"' in page
    ok = await agent.post(
        "/agent/register",
        {
            "call_id": call_id,
            "topic": "wonen",
            "category": "wonen",
            "outcome": "referred",
            "summary": "Huurpremie.",
            "to_counter": "woonloket",
            "request": "Terugbellen.",
        },
    )
    assert ok.status == 303  # post/redirect/get
    confirmation = await agent.client.get(ok.headers["Location"].split("#")[0])
    assert "is geregistreerd, met een doorverwijzing naar woonloket" in await confirmation.text()
    looked = await agent.post("/agent/history", {"caller": NUMBER})
    assert "Huurpremie." in await looked.text()
    counter = await as_user(browse, "counter1")
    listing = await (await counter.client.get("/doorverwijzingen")).text()
    assert "Terugbellen." in listing and "Terugkoppeling bewaren" in listing
    ref = (await (await counter.api("GET", "/api/referrals")).json())["referrals"][0]
    done = await counter.post(
        f"/doorverwijzingen/{ref['id']}/report", {"status": "contacted", "response": "Gebeld."}
    )
    assert done.status == 200 and "De terugkoppeling is bewaard." in await done.text()
    assert (await counter.post("/doorverwijzingen/999/report", {"status": "handled"})).status == 404


async def test_managers_export_the_question_log_without_numbers(
    browse: Browse, phones: dict[str, User], staff: StaffServices, monday: Fixed
) -> None:
    call_id = await a_call(staff)
    agent = await as_user(browse, "agent1")
    q = {
        "topic": "wonen",
        "category": "wonen",
        "outcome": "answered",
        "call_id": call_id,
        "summary": '=HYPERLINK("x") probeert een formule.',
    }
    assert (await agent.api("POST", "/api/contacts", q)).status == 201
    assert (
        await agent.client.get("/api/contacts/export.csv?from=2026-11-23&to=2026-11-23")
    ).status == 403
    manager = await as_user(browse, "manager1")
    resp = await manager.client.get("/api/contacts/export.csv?from=2026-11-23&to=2026-11-23")
    assert resp.status == 200 and resp.content_type == "text/csv"
    text = await resp.text()
    lines = text.strip().split("\r\n")
    assert len(lines) == 2 and lines[0].startswith("id,tijdstip,kanaal")
    assert "'=HYPERLINK" in lines[1]  # a spreadsheet shows it, never runs it
    assert NUMBER not in text and ",p:" in lines[1]
    excel = await (
        await manager.client.get("/api/contacts/export.csv?from=2026-11-23&to=2026-11-23&excel=1")
    ).text()
    assert excel.startswith("\ufeffid;tijdstip")
    bad = await manager.client.get("/api/contacts/export.csv?from=2026-11-30&to=2026-11-23")
    assert bad.status == 400 and (await bad.json())["error"]["field"] == "to"
    exports = await staff.audit.query(kind="export")
    assert exports[0].target == "contacts" and exports[0].detail["rows"] == 1


async def test_registering_on_a_call_needs_the_right_to_see_it(
    browse: Browse, phones: dict[str, User], staff: StaffServices, monday: Fixed
) -> None:
    """Issue 24, point 1: call ids are sequential; a user who registers on a call they may
    not see learns neither the number nor that the call exists. Who may: the agent whose
    phone answered, counter staff of the counter whose queue it went through."""
    woon = await a_call(staff, "1795424100.1", queue="woonloket", phone="PJSIP/301", caller=NUMBER)
    sd = await a_call(
        staff, "1795424100.2", queue="sociale-dienst", phone="PJSIP/302", caller="+32470999888"
    )
    mine = await a_call(
        staff, "1795424100.3", queue="onthaal", phone="PJSIP/205", caller="+32470555444"
    )
    counter = await as_user(browse, "counter1")  # the woonloket only
    agent = await as_user(browse, "agent1")  # PJSIP/205
    await staff.users.add("agent2", "Agent Twee", ["agent"], PASSWORD, interfaces=["PJSIP/201"])
    agent2 = await as_user(browse, "agent2")
    body = {**{k: v for k, v in QUESTION.items() if v is not None}}
    outcomes = {}
    for who, session in (("counter1", counter), ("agent1", agent), ("agent2", agent2)):
        for call_id in (woon, sd, mine, "1795424100.4"):  # .4: a guess, no such call
            answer = await session.api("POST", "/api/contacts", {**body, "call_id": call_id})
            text = await answer.text()
            outcomes[who, call_id] = answer.status
            if answer.status != 201:
                assert (await answer.json())["error"].get("field") == "call_id", text
                assert "+3247" not in text and "470" not in text  # nothing of the number
    assert outcomes == {
        ("counter1", woon): 201,
        ("counter1", sd): 400,  # another counter's call
        ("counter1", mine): 400,
        ("counter1", "1795424100.4"): 400,  # the same answer as for a call it may not see
        ("agent1", woon): 400,  # not theirs, not a queue they are in
        ("agent1", sd): 400,
        ("agent2", woon): 400,
        ("agent2", sd): 201,  # a member of the sociale-dienst queue now (the fixture's)
        ("agent2", mine): 400,
        ("agent2", "1795424100.4"): 400,
        ("agent1", mine): 201,
        ("agent1", "1795424100.4"): 400,
    }


async def test_a_registration_on_a_call_takes_the_calls_caller(
    browse: Browse, phones: dict[str, User], staff: StaffServices, monday: Fixed
) -> None:
    """A form that names another number than the call's is about another citizen: refused."""
    call_id = await a_call(staff)
    agent = await as_user(browse, "agent1")
    body = {**{k: v for k, v in QUESTION.items() if v is not None}, "call_id": call_id}
    wrong = await agent.api("POST", "/api/contacts", {**body, "caller": "+32470999999"})
    assert wrong.status == 400 and (await wrong.json())["error"]["field"] == "caller"
    same = await agent.api("POST", "/api/contacts", {**body, "caller": "0470 12 34 56"})
    assert same.status == 201 and (await same.json())["caller"] == NUMBER


async def test_a_registration_is_read_by_those_it_concerns_and_every_read_is_audited(
    browse: Browse, phones: dict[str, User], staff: StaffServices, monday: Fixed
) -> None:
    """Point 2: by id, as every role and counter: its author, counter staff of the counter
    it was referred to, managers; another agent or counter gets 404 (as for no such id);
    every read leaves an entry naming the caller's pseudonym, never the number."""
    call_id = await a_call(staff)
    author = await as_user(browse, "agent1")
    made = await author.api(
        "POST", "/api/contacts", {**{k: v for k, v in QUESTION.items() if v}, "call_id": call_id}
    )
    contact_id = (await made.json())["id"]
    await staff.users.add("agent2", "Agent Twee", ["agent"], PASSWORD)
    await staff.users.add(
        "sd1", "Sociale Dienst", ["counter"], PASSWORD, counters=["sociale-dienst"]
    )
    statuses = {}
    for login in ("agent1", "agent2", "counter1", "sd1", "manager1", "admin1"):
        s = await as_user(browse, login)
        before = len(await staff.audit.query(kind="contact-read"))
        for path in (f"/api/contacts/{contact_id}", f"/api/contacts/{contact_id}/changes"):
            answer = await s.api("GET", path)
            statuses[login, path.rsplit("/", 1)[-1]] = answer.status
            if answer.status != 200:
                assert NUMBER not in await answer.text()
        reads = await staff.audit.query(kind="contact-read")
        allowed = statuses[login, str(contact_id)] == 200
        assert len(reads) - before == (1 + (statuses[login, "changes"] == 200) if allowed else 0)
        if allowed:
            assert reads[0].actor == login and reads[0].target.startswith("p:")
            assert "470" not in reads[0].target + str(reads[0].detail)
    assert statuses == {
        ("agent1", str(contact_id)): 200,
        ("agent1", "changes"): 200,
        ("agent2", str(contact_id)): 404,
        ("agent2", "changes"): 404,
        ("counter1", str(contact_id)): 200,  # referred to the woonloket
        ("counter1", "changes"): 403,  # the earlier versions: author and managers
        ("sd1", str(contact_id)): 404,
        ("sd1", "changes"): 404,
        ("manager1", str(contact_id)): 200,
        ("manager1", "changes"): 200,
        ("admin1", str(contact_id)): 403,  # not a role that reads registrations
        ("admin1", "changes"): 403,
    }
    # ids are ASCII digits: DEVANAGARI ONE, a sign, an underscore do not name contact 1
    for odd in ("%E0%A5%A7", "+1", "1_0", "%201"):
        assert (await author.api("GET", f"/api/contacts/{odd}")).status == 404


async def test_a_repeated_submission_is_one_registration(
    browse: Browse, phones: dict[str, User], staff: StaffServices, monday: Fixed
) -> None:
    """Issue 25, point 2: the same API request with its ``Idempotency-Key`` twice, and the
    console's form sent twice (F5 on the confirmation, a double click), register once;
    the form's answer is a redirect (post/redirect/get), the confirmation reads it back."""
    call_id = await a_call(staff)
    agent = await as_user(browse, "agent1")
    body = {**{k: v for k, v in QUESTION.items() if v is not None}, "call_id": call_id}
    headers = {"X-CSRF-Token": agent.csrf, "Idempotency-Key": "api-key-0001"}
    first = await agent.client.post("/api/contacts", json=body, headers=headers)
    again = await agent.client.post("/api/contacts", json=body, headers=headers)
    assert (first.status, again.status) == (201, 200)
    assert (await first.json())["id"] == (await again.json())["id"]
    form = {
        "call_id": call_id,
        "topic": "wonen",
        "category": "wonen",
        "outcome": "answered",
        "summary": "Vraagt naar de huurpremie.",
        "idempotency_key": "form-key-0001",
    }
    answers = [await agent.post("/agent/register", form) for _ in range(2)]
    assert [a.status for a in answers] == [303, 303]
    location = answers[0].headers["Location"]
    assert (
        location.startswith("/agent?geregistreerd=") and answers[1].headers["Location"] == location
    )
    page = await (await agent.client.get(location.split("#")[0])).text()
    assert "is geregistreerd" in page
    history = await (await agent.api("POST", "/api/history", {"caller": NUMBER})).json()
    assert len(history["contacts"]) == 2  # one by the API, one by the form
    bad = await agent.client.post(
        "/api/contacts", json=body, headers={**headers, "Idempotency-Key": "kort"}
    )
    assert bad.status == 400 and (await bad.json())["error"]["field"] == "idempotency_key"
