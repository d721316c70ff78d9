"""A manager closes a counter from the dashboard's API while calls come in over TCP: the next
call goes to the lighthouse with reason ``override``, Asterisk's AstDB state and the desk
phone's lamp say closed; lifted, the counter takes calls again."""

from __future__ import annotations

import re

import aiohttp

from callcenter.calls.service import device_for
from tests.ami.test_client import until
from tests.service.conftest import StackFactory, at

PASSWORD = "een-goed-wachtwoord-manager"


async def manager_session(url: str) -> tuple[aiohttp.ClientSession, str]:
    http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
    form = await (await http.get(url + "login")).text()
    token = re.search(r'name="csrf" value="([^"]+)"', form)
    assert token
    await http.post(
        url + "login", data={"login": "mia", "password": PASSWORD, "csrf": token.group(1)}
    )
    page = await (await http.get(url + "overrides")).text()
    csrf = re.search(r'name="csrf" value="([^"]+)"', page)
    assert csrf, page[:300]
    return http, csrf.group(1)


async def test_an_emergency_closure_from_the_api_routes_the_next_call(stack: StackFactory) -> None:
    async with stack(at("2026-11-23 10:00")) as s:
        await s.run.staff.users.add("mia", "Mia Manager", ["manager"], PASSWORD)
        http, csrf = await manager_session(s.run.url)
        try:
            made = await http.post(
                s.run.url + "api/overrides",
                json={
                    "scope": "sociale-dienst",
                    "mode": "closed",
                    "kind": "emergency",
                    "reason": "waterschade",
                },
                headers={"X-CSRF-Token": csrf},
            )
            assert made.status == 201
            override = await made.json()
            ast = s.sim.ast
            await until(lambda: ast.db_get("vuurtoren", "counter/sociale-dienst") == "closed")
            assert ast.device_states[device_for("sociale-dienst")] == "INUSE"
            closed = s.call(number="+32470800001", digits="1", talk_seconds=5)
            rec = await s.record(closed.truth.linkedid)
            assert rec.decision is not None and rec.decision.reason.value == "override"
            assert closed.truth.visits[0].queue == "lighthouse"
            lifted = await http.delete(
                s.run.url + f"api/overrides/{override['id']}", headers={"X-CSRF-Token": csrf}
            )
            assert lifted.status == 200
            await until(lambda: ast.db_get("vuurtoren", "counter/sociale-dienst") == "open")
            reopened = s.call(number="+32470800002", digits="1", talk_seconds=5)
            rec2 = await s.record(reopened.truth.linkedid)
            assert rec2.decision is not None and rec2.decision.reason.value == "open"
        finally:
            await http.close()
        audit = await s.run.staff.audit.query(kind="override")
    assert [e.actor for e in audit] == ["mia", "mia"] and audit[-1].detail[
        "reason"
    ] == "waterschade"
