"""Who may reach what, and what an attacker can not do: every route with no session and with
every role; CSRF, session fixation, a disabled user's open session, escalation between roles,
ids in URLs, HTML in names, the lockout and its lifting, bad input."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from callcenter.staff.errors import StaffError
from callcenter.staff.services import StaffServices
from callcenter.staff.users import LOCK_AFTER, User
from dashboard.access import ROUTES, SESSION_COOKIE
from tests.dashboard.conftest import PASSWORD, Session

Browse = Callable[[], Awaitable[Session]]
ROLES = ("agent", "counter", "manager", "admin")


def concrete(path: str, people: dict[str, User]) -> str:
    return (
        path.replace("{user_id}", str(people["agent"].id))
        .replace("{token_id}", "999")
        .replace("{override_id}", "999")
        .replace("{item_id}", "999")
        .replace("{closure_id}", "999")
        .replace("{entry_id}", "999")
        .replace("{product_id}", "geen-product")
        .replace("{contact_id}", "999")
        .replace("{referral_id}", "999")
        .replace("{call_id}", "geen-oproep")
        .replace("{table}", "uren")
        .replace("{action}", "unlock")
        .replace("{filename}", "style.css")
    )


def routes_of(app: Any) -> list[tuple[str, str, str]]:
    out = []
    for resource in app.router.resources():
        info = resource.get_info()
        path = info.get("formatter") or info.get("path") or (info.get("prefix", "") + "/style.css")
        for route in resource:
            if route.method == "HEAD":
                continue
            out.append((route.name or resource.name or "", route.method, path))
    return out


def test_every_route_declares_who_may_reach_it(app: Any) -> None:
    names = {name for name, _, _ in routes_of(app)}
    assert names <= ROUTES.keys(), f"routes without an access declaration: {names - ROUTES.keys()}"
    assert ROUTES.keys() <= names, (
        f"declarations of routes that do not exist: {ROUTES.keys() - names}"
    )


async def test_route_by_role_matrix(
    app: Any, browse: Browse, people: dict[str, User], staff: StaffServices
) -> None:
    sessions: dict[str | None, Session] = {None: await browse()}
    for role in ROLES:
        sessions[role] = await browse()
        assert (await sessions[role].login(f"{role}1")).status == 303
    seen = 0
    for name, method, raw in routes_of(app):
        if name in ("logout", "api-stream", "api-agent-stream", "api-wallboard-stream"):
            continue  # logging out ends the session; the stream never ends (tested apart)
        path = concrete(raw, people)
        rule = ROUTES[name]
        for role, session in sessions.items():
            if method == "GET":
                resp = await session.client.get(path, allow_redirects=False)
            elif path.startswith("/api/"):
                resp = await session.api(method, path, json={})
            else:
                resp = await session.post(path)
            status = resp.status
            resp.release()
            where = f"{method} {path} as {role or 'nobody'}"
            seen += 1
            if rule.roles is None:  # (a login form without its token is a 403 of its own)
                assert status != 401 and (status != 403 or name == "login-post"), where
                assert not (status == 303 and "/login" in resp.headers.get("Location", "")), where
            elif role is None:
                if path.startswith("/api/") or method != "GET":
                    assert status == 401, where
                else:
                    assert status == 303 and resp.headers["Location"].startswith("/login"), where
            elif rule.roles and role not in rule.roles:
                assert status == 403, where
            else:
                assert status not in (401, 403, 500), where
    assert seen > 150
    # an agent reaching the users API is refused, and nothing was changed by the walk
    assert {u.login for u in await staff.users.list()} == {f"{r}1" for r in ROLES}


async def test_forms_without_the_csrf_token_are_refused(
    browse: Browse, people: dict[str, User], staff: StaffServices
) -> None:
    admin = await browse()
    await admin.login("admin1")
    agent = people["agent"]
    for csrf in ("", "forged-token", admin.csrf[:-2] + "xx"):
        resp = await admin.client.post(
            f"/admin/users/{agent.id}/disable", data={"csrf": csrf}, allow_redirects=False
        )
        assert resp.status == 403, csrf
        assert "verlopen" in await resp.text()
    resp = await admin.client.patch(f"/api/users/{agent.id}", json={"active": False})
    assert resp.status == 403 and (await resp.json())["error"]["id"] == "csrf-failed"
    assert (await staff.users.get(agent.id)).active  # nothing changed
    ok = await admin.post(f"/admin/users/{agent.id}/disable")
    assert ok.status == 303 and not (await staff.users.get(agent.id)).active


async def test_login_gives_a_fresh_session_id(browse: Browse, people: dict[str, User]) -> None:
    victim = await browse()
    planted = "attacker-chosen-session-id"
    victim.client.session.cookie_jar.update_cookies({SESSION_COOKIE: planted})
    await victim.login("agent1")
    cookie = victim.client.session.cookie_jar.filter_cookies(victim.client.make_url("/"))
    assert cookie[SESSION_COOKIE].value != planted
    first = cookie[SESSION_COOKIE].value
    await victim.login("agent1")
    again = victim.client.session.cookie_jar.filter_cookies(victim.client.make_url("/"))
    assert again[SESSION_COOKIE].value != first  # every login a new id


async def test_session_cookie_flags(browse: Browse, people: dict[str, User]) -> None:
    session = await browse()
    page = await (await session.client.get("/login")).text()
    token = re.search(r'name="csrf" value="([^"]+)"', page)
    assert token
    resp = await session.client.post(
        "/login",
        data={"login": "agent1", "password": PASSWORD, "csrf": token.group(1)},
        allow_redirects=False,
    )
    header = next(h for h in resp.headers.getall("Set-Cookie") if h.startswith(SESSION_COOKIE))
    assert "HttpOnly" in header and "SameSite=Lax" in header
    assert "Secure" not in header  # plain HTTP on loopback; behind TLS it is set


async def test_a_disabled_users_open_session_is_refused_at_once(
    browse: Browse, people: dict[str, User], staff: StaffServices
) -> None:
    agent = await browse()
    await agent.login("agent1")
    assert (await agent.client.get("/api/queues")).status == 200
    admin = await browse()
    await admin.login("admin1")
    assert (await admin.post(f"/admin/users/{people['agent'].id}/disable")).status == 303
    assert (await agent.client.get("/api/queues")).status == 401
    again = await browse()
    resp = await again.login("agent1")
    assert resp.status == 401 and "klopt niet" in await resp.text()


async def test_a_new_password_ends_every_session(
    browse: Browse, people: dict[str, User], staff: StaffServices
) -> None:
    phone, desk = await browse(), await browse()
    await phone.login("manager1")
    await desk.login("manager1")
    resp = await desk.post(
        "/account/password",
        {
            "current": PASSWORD,
            "new": "een-ander-goed-wachtwoord",
            "again": "een-ander-goed-wachtwoord",
        },
    )
    assert resp.status == 303
    assert (await phone.client.get("/api/me")).status == 401
    assert (await desk.client.get("/api/me")).status == 401
    fresh = await browse()
    assert (await fresh.login("manager1", "een-ander-goed-wachtwoord")).status == 303


async def test_no_escalation_between_roles(
    browse: Browse, people: dict[str, User], staff: StaffServices
) -> None:
    manager = await browse()
    await manager.login("manager1")
    me = people["manager"]
    resp = await manager.api("PATCH", f"/api/users/{me.id}", {"roles": ["admin", "manager"]})
    assert resp.status == 403
    resp = await manager.post(f"/admin/users/{me.id}", {"name": "x", "roles": "admin"})
    assert resp.status == 403
    counter = await browse()
    await counter.login("counter1")
    assert (await counter.client.get("/api/queues")).status == 403  # counter staff: no queues
    assert (await staff.users.get(me.id)).roles == frozenset({"manager"})


async def test_ids_in_urls_do_not_reach_other_peoples_things(
    browse: Browse, people: dict[str, User], staff: StaffServices
) -> None:
    agent, manager = await browse(), await browse()
    await agent.login("agent1")
    await manager.login("manager1")
    created = await agent.api("POST", "/api/tokens", {"name": "koppeling"})
    token_id = (await created.json())["id"]
    # another user cannot revoke it, by page or API: it does not exist for them
    assert (await manager.post(f"/account/tokens/{token_id}/revoke")).status == 404
    assert (await manager.api("DELETE", f"/api/tokens/{token_id}")).status == 404
    assert (await staff.tokens.list(people["agent"].id))[0].revoked_at is None
    admin = await browse()
    await admin.login("admin1")
    for path in ("/admin/users/999999", "/admin/users/abc", "/api/users/999999"):
        resp = await admin.client.get(path)
        assert resp.status == 404, path


async def test_api_tokens_work_once_and_can_be_revoked(
    browse: Browse, people: dict[str, User], aiohttp_client: Any, app: Any
) -> None:
    agent = await browse()
    await agent.login("agent1")
    made = await (await agent.api("POST", "/api/tokens", {"name": "wallboard"})).json()
    secret = made["token"]
    assert secret.startswith("vt_")
    listed = await (await agent.client.get("/api/tokens")).json()
    assert "token" not in listed["tokens"][0]  # shown once, never again
    robot = await aiohttp_client(app)
    auth = {"Authorization": f"Bearer {secret}"}
    assert (await robot.get("/api/queues", headers=auth)).status == 200
    assert (await robot.get("/api/users", headers=auth)).status == 403  # the user's rights
    listed = await (await agent.client.get("/api/tokens")).json()
    assert listed["tokens"][0]["last_used_at"] is not None
    assert (await agent.api("DELETE", f"/api/tokens/{made['id']}")).status == 200
    assert (await robot.get("/api/queues", headers=auth)).status == 401
    forged = {"Authorization": "Bearer vt_" + "x" * 43}
    assert (await robot.get("/api/queues", headers=forged)).status == 401


async def test_names_with_html_are_shown_as_text(
    browse: Browse, people: dict[str, User], staff: StaffServices
) -> None:
    evil = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    await staff.users.update(people["agent"].id, name=evil, roles=["agent"])
    admin = await browse()
    await admin.login("admin1")
    for path in ("/admin/users", f"/admin/users/{people['agent'].id}"):
        html = await (await admin.client.get(path)).text()
        assert "<script>alert" not in html and "<img src=x" not in html
        assert "&lt;script&gt;alert(" in html
    agent = await browse()
    await agent.login("agent1")
    assert "&lt;script&gt;" in await (await agent.client.get("/account")).text()


async def test_failures_slow_down_that_login_from_that_address_only(
    browse: Browse, people: dict[str, User], staff: StaffServices
) -> None:
    """Issue 24, point 14: five failures make that login wait from that address (the right
    password too, for a while); an unknown login gets the very same answers, so logins
    cannot be enumerated; the agent logs in from another address all the while, so nobody
    can lock an agent out; an admin can lift the wait."""
    users = staff.users
    answers: dict[str, list[tuple[int, str]]] = {}
    for login in ("agent1", "nobody"):
        answers[login] = []
        for _ in range(LOCK_AFTER + 1):
            with pytest.raises(StaffError) as err:
                await users.authenticate(login, "wrong-password-xx", "192.0.2.7")
            answers[login].append((err.value.status, err.value.message))
    assert answers["agent1"] == answers["nobody"]  # the same, word for word
    assert [status for status, _ in answers["agent1"]] == [401] * LOCK_AFTER + [429]
    assert "over 1 minuut" in answers["agent1"][-1][1]
    with pytest.raises(StaffError) as err:  # the right password waits too, from there
        await users.authenticate("agent1", PASSWORD, "192.0.2.7")
    assert err.value.status == 429
    assert (await users.authenticate("agent1", PASSWORD, "198.51.100.9")).login == "agent1"
    # the web answers the same; an admin's unlock lifts the wait for every address
    session = await browse()
    for _ in range(LOCK_AFTER):
        assert (await session.login("agent1", "wrong-password-xx")).status == 401
    assert (await session.login("agent1")).status == 429
    admin = await browse()
    await admin.login("admin1")
    assert (await admin.post(f"/admin/users/{people['agent'].id}/unlock")).status == 303
    assert (await session.login("agent1")).status == 303
    assert "user-unlocked" in [e.kind for e in await staff.audit.query(actor="admin1")]


async def test_an_address_that_keeps_failing_is_throttled(
    browse: Browse, people: dict[str, User], staff: StaffServices
) -> None:
    staff.users.throttle.limit = 3
    session = await browse()
    for name in ("nobody", "ghost", "agent1"):
        assert (await session.login(name, "wrong-password-xx")).status == 401
    resp = await session.login("manager1")  # a right password, from that address
    assert resp.status == 429 and "Te veel mislukte aanmeldingen" in await resp.text()


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/x",
        "/\\evil.example",
        "javascript:alert(1)",
        "http:/evil",
    ],
)
async def test_next_after_login_stays_inside_the_app(
    browse: Browse, people: dict[str, User], target: str
) -> None:
    session = await browse()
    resp = await session.login("agent1", next=target)
    assert resp.status == 303 and resp.headers["Location"] == "/"


async def test_next_after_login_goes_back_where_the_user_was(
    browse: Browse, people: dict[str, User]
) -> None:
    session = await browse()
    first = await session.client.get("/admin/audit?soort=login", allow_redirects=False)
    assert first.status == 303
    assert first.headers["Location"] == "/login?next=/admin/audit?soort=login"
    resp = await session.login("admin1", next="/admin/audit?soort=login")
    assert resp.headers["Location"] == "/admin/audit?soort=login"


async def test_bad_api_input_gets_a_clear_error_and_changes_nothing(
    browse: Browse, people: dict[str, User], staff: StaffServices
) -> None:
    admin = await browse()
    await admin.login("admin1")
    before = await staff.users.list()
    cases = [
        (
            {"login": "x1", "name": "X", "roles": ["agent"], "password": PASSWORD, "boss": 1},
            "unknown-field",
            "boss",
        ),
        (
            {"login": "x1", "name": 5, "roles": ["agent"], "password": PASSWORD},
            "invalid-field",
            "name",
        ),
        (
            {"login": "x1", "name": "X", "roles": "agent", "password": PASSWORD},
            "invalid-field",
            "roles",
        ),
        (
            {"login": "x1", "name": "X", "roles": ["king"], "password": PASSWORD},
            "invalid-field",
            "roles",
        ),
        (
            {"login": "x1", "name": "X", "roles": ["agent"], "password": "short"},
            "weak-password",
            "password",
        ),
        (
            {"login": "X Y", "name": "X", "roles": ["agent"], "password": PASSWORD},
            "invalid-field",
            "login",
        ),
        (
            {"login": "agent1", "name": "X", "roles": ["agent"], "password": PASSWORD},
            "login-taken",
            "login",
        ),
        ({"name": "X", "roles": ["agent"], "password": PASSWORD}, "missing-field", "login"),
        (
            {
                "login": "x1",
                "name": "X",
                "roles": ["counter"],
                "counters": ["atlantis"],
                "password": PASSWORD,
            },
            "invalid-field",
            "counters",
        ),
    ]
    for body, error_id, field in cases:
        resp = await admin.api("POST", "/api/users", body)
        answer = await resp.json()
        assert resp.status in (400, 409) and answer["error"]["id"] == error_id, (body, answer)
        assert answer["error"].get("field") == field, (body, answer)
    resp = await admin.client.post(
        "/api/users",
        data=b"{not json",
        headers={"X-CSRF-Token": admin.csrf, "Content-Type": "application/json"},
    )
    assert resp.status == 400 and (await resp.json())["error"]["id"] == "invalid-json"
    huge = await admin.api("POST", "/api/users", {"name": "x" * 200_000})
    assert huge.status == 413
    missing = await admin.api("PATCH", "/api/users/424242", {"active": False})
    assert missing.status == 404 and (await missing.json())["error"]["id"] == "user-not-found"
    page = await admin.post(
        "/admin/users", {"login": "x1", "name": "", "roles": "agent", "password": PASSWORD}
    )
    assert page.status == 400 and "Geef een naam" in await page.text()
    assert await staff.users.list() == before


async def test_the_last_admin_cannot_be_removed(
    browse: Browse, people: dict[str, User], staff: StaffServices
) -> None:
    admin = await browse()
    await admin.login("admin1")
    me = people["admin"]
    resp = await admin.api("PATCH", f"/api/users/{me.id}", {"roles": ["manager"]})
    assert resp.status == 400 and (await resp.json())["error"]["id"] == "last-admin"
    assert (await staff.users.get(me.id)).roles == frozenset({"admin"})


async def test_changes_are_audited_with_who_and_from_where(
    browse: Browse, people: dict[str, User], staff: StaffServices
) -> None:
    admin = await browse()
    await admin.login("admin1")
    await admin.api(
        "POST",
        "/api/users",
        {"login": "nieuw", "name": "Nieuw", "roles": ["agent"], "password": PASSWORD},
    )
    await admin.api("PATCH", f"/api/users/{people['agent'].id}", {"roles": ["agent", "manager"]})
    csv = await admin.client.get("/admin/audit.csv?excel=1")
    body = await csv.read()
    assert csv.headers["Content-Type"].startswith("text/csv") and body.startswith(b"\xef\xbb\xbf")
    entries = await staff.audit.query(actor="admin1")
    kinds = [e.kind for e in entries]
    assert {"login", "user-created", "user-changed", "export"} <= set(kinds)
    changed = next(e for e in entries if e.kind == "user-changed")
    assert changed.target == "agent1" and changed.address == "127.0.0.1"
    assert changed.detail["roles"] == [["agent"], ["agent", "manager"]]
    assert (await staff.audit.verify()).ok


async def test_sessions_expire_when_idle_and_after_a_day(
    browse: Browse, people: dict[str, User], staff: StaffServices
) -> None:
    from datetime import UTC, datetime

    from sqlalchemy import update

    from callcenter.staff.sessions import ABSOLUTE, IDLE
    from callcenter.store.models import SessionRow

    async def age(**ago: Any) -> None:
        now = datetime.now(UTC)
        async with staff.sessions.engine.begin() as conn:
            await conn.execute(update(SessionRow).values(**{k: now - v for k, v in ago.items()}))

    for ago in (
        {"seen_at": IDLE + timedelta(seconds=5)},
        {"created_at": ABSOLUTE + timedelta(seconds=5)},
    ):
        session = await browse()
        await session.login("agent1")
        assert (await session.client.get("/api/me")).status == 200
        await age(**ago)
        assert (await session.client.get("/api/me")).status == 401, ago
    await staff.sessions.purge()
    assert await staff.sessions.count(people["agent"].id) == 0


async def test_an_open_live_stream_ends_when_its_user_is_disabled(
    browse: Browse, people: dict[str, User], staff: StaffServices, monkeypatch: pytest.MonkeyPatch
) -> None:
    import asyncio

    from dashboard import sse

    monkeypatch.setattr(sse, "KEEPALIVE", 0.2)
    agent = await browse()
    await agent.login("agent1")
    resp = await agent.client.get("/api/live/stream")
    assert (await asyncio.wait_for(resp.content.readline(), 5)).startswith(b"event: snapshot")
    await staff.users.set_active(people["agent"].id, False)
    async with asyncio.timeout(5):
        while await resp.content.readline():
            pass  # the server ends the stream
    assert resp.content.at_eof()


async def _busy(service_bus: Any, stop: asyncio.Event) -> None:
    """Queue changes every 50 ms: a stream that is never quiet."""
    while not stop.is_set():
        service_bus.publish("queue", {"queue": "onthaal"})
        await asyncio.sleep(0.05)


async def _ends(resp: Any, seconds: float) -> float:
    """Read the stream until the server ends it; how long that took."""
    loop = asyncio.get_running_loop()
    began = loop.time()
    async with asyncio.timeout(seconds):
        while await resp.content.readline():
            pass
    return loop.time() - began


@pytest.mark.parametrize("path", ["/api/wallboard/stream", "/api/agent/stream"])
async def test_a_busy_stream_ends_at_logout_at_once(
    browse: Browse, people: dict[str, User], app: Any, path: str
) -> None:
    """Issue 24, point 3: a stream that always has data (never a keepalive) ends the moment
    its session is logged out; another session of the same user keeps its stream."""
    from dashboard.keys import SERVICE

    login = "manager1" if "wallboard" in path else "agent1"
    mine, other = await browse(), await browse()
    await mine.login(login)
    await other.login(login)
    resp = await mine.client.get(path)
    kept = await other.client.get(path)
    assert resp.status == 200 and kept.status == 200
    await resp.content.readline()
    stop = asyncio.Event()
    busy = asyncio.create_task(_busy(app[SERVICE].bus, stop))
    try:
        assert (await mine.post("/logout")).status == 303
        assert await _ends(resp, 3.0) < 3.0  # RECHECK is 5 s: this was the logout itself
        assert not kept.content.at_eof()
    finally:
        stop.set()
        await busy
        resp.close()
        kept.close()


async def test_a_busy_stream_ends_when_another_process_ends_the_session(
    browse: Browse,
    people: dict[str, User],
    app: Any,
    engine: AsyncEngine,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The command line disables a user in another process: the web app hears of it only
    from the store, so every stream checks on a clock (RECHECK), however busy."""
    from sqlalchemy import delete

    from callcenter.store.models import SessionRow
    from dashboard import sse
    from dashboard.keys import SERVICE

    monkeypatch.setattr(sse, "RECHECK", 0.3)
    manager = await browse()
    await manager.login("manager1")
    resp = await manager.client.get("/api/wallboard/stream")
    await resp.content.readline()
    stop = asyncio.Event()
    busy = asyncio.create_task(_busy(app[SERVICE].bus, stop))
    try:
        async with engine.begin() as conn:  # what `vuurtoren users disable` does
            await conn.execute(delete(SessionRow))
        assert await _ends(resp, 5.0) < 5.0
    finally:
        stop.set()
        await busy
        resp.close()


async def test_a_new_password_ends_the_api_tokens(
    browse: Browse, people: dict[str, User], staff: StaffServices, aiohttp_client: Any, app: Any
) -> None:
    """Point 4: whoever learnt the old password may have made a token; it ends with it."""
    agent = await browse()
    await agent.login("agent1")
    made = await (await agent.api("POST", "/api/tokens", {"name": "koppeling"})).json()
    robot = await aiohttp_client(app)
    auth = {"Authorization": f"Bearer {made['token']}"}
    assert (await robot.get("/api/queues", headers=auth)).status == 200
    await staff.users.set_password(people["agent"].id, "een heel ander wachtwoord 2026")
    assert (await robot.get("/api/queues", headers=auth)).status == 401
    entry = (await staff.audit.query(kind="password-changed"))[0]
    assert entry.detail == {"tokens_ended": 1}


async def test_dead_ends_carry_the_menu_and_the_way_on(
    browse: Browse, people: dict[str, User], app: Any
) -> None:
    """Issue 25, point 11: a forbidden page, an unknown address and a failure are pages of
    the site, with its menu, a Dutch explanation and the way on; a counter employee lands
    on their referrals."""
    from dashboard.keys import OPS

    counter = await browse()
    landing = await counter.login("counter1")
    assert landing.status == 303 and landing.headers["Location"] == "/doorverwijzingen"
    forbidden = await counter.client.get("/rapporten")
    page = await forbidden.text()
    assert forbidden.status == 403 and 'aria-label="Hoofdmenu"' in page
    assert "Geen toegang" in page and "loketmedewerker" in page
    assert 'href="/doorverwijzingen">Naar uw startpagina' in page
    missing = await counter.client.get("/bestaatniet")
    page = await missing.text()
    assert missing.status == 404 and 'aria-label="Hoofdmenu"' in page
    assert "Deze pagina bestaat niet" in page and "404: Not Found" not in page
    anonymous = await browse()
    page = await (await anonymous.client.get("/bestaatniet")).text()
    assert 'href="/login">Aanmelden' in page and 'aria-label="Hoofdmenu"' not in page

    async def broken(*args: Any, **kwargs: Any) -> int:
        raise RuntimeError("the database fell over")

    app[OPS].register.overdue_count = broken
    failed = await counter.client.get("/agent")
    page = await failed.text()
    assert failed.status == 500 and 'aria-label="Hoofdmenu"' in page
    assert "Er liep iets mis" in page and "database" not in page
    api = await counter.client.get("/api/nothing-here")
    assert api.status == 404 and (await api.json())["error"]["id"] == "http-404"


async def test_a_password_an_admin_set_is_changed_at_the_first_login(
    browse: Browse, people: dict[str, User], staff: StaffServices
) -> None:
    """Issue 25, point 13: the admin makes Lien with a password of theirs; Lien can reach
    nothing but her account until she has chosen her own."""
    admin = await browse()
    await admin.login("admin1")
    made = await admin.post(
        "/admin/users",
        {"login": "lien", "name": "Lien Peeters", "roles": "agent", "password": PASSWORD},
    )
    assert made.status == 303, await made.text()
    lien = await browse()
    landing = await lien.login("lien")
    assert landing.status == 303
    page = await lien.client.get("/", allow_redirects=False)
    assert page.status == 303 and page.headers["Location"] == "/account?wachtwoord=kiezen"
    account = await (await lien.client.get("/account")).text()
    assert "Kies hieronder een eigen wachtwoord" in account
    api = await lien.api("GET", "/api/queues")
    assert api.status == 403 and (await api.json())["error"]["id"] == "password-change-required"
    changed = await lien.post(
        "/account/password",
        {
            "current": PASSWORD,
            "new": "kast ballon fiets regenjas",
            "again": "kast ballon fiets regenjas",
        },
    )
    assert changed.status == 303
    again = await browse()
    assert (await again.login("lien", "kast ballon fiets regenjas")).status == 303
    assert (await again.client.get("/", allow_redirects=False)).status == 200
