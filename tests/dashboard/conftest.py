"""The web app with its staff services on a fresh SQLite store, people of every role, and a
client that logs in as a browser does (login form, session cookie, CSRF token)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy.ext.asyncio import AsyncEngine

from callcenter.ami import AMIClient, ClientSettings, Message
from callcenter.calls.service import CallService
from callcenter.services.operations import Operations, open_operations
from callcenter.staff.services import StaffServices, open_staff
from callcenter.staff.users import User
from callcenter.store import upgrade
from dashboard.app import create_app
from dashboard.keys import WebSettings
from routing.site import Site
from tests.store.conftest import database_url, engine

__all__ = ["database_url", "engine"]

PASSWORD = "een-goed-wachtwoord-voor-tests"
KEY = b"a test pseudonymisation key, not a real one (>=32)"
Client = Callable[..., Awaitable[TestClient]]  # type: ignore[type-arg]
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@pytest.fixture
def service(example_site: Site) -> CallService:
    svc = CallService(example_site, AMIClient(ClientSettings(port=1)))
    svc.states = {c.id: c.id != "schuldbemiddeling" for c in example_site.counters}
    svc.states["lighthouse"] = True
    svc.tracker.handle(
        Message.event(
            "QueueMemberStatus",
            Queue="sociale-dienst",
            MemberName="Sociale dienst 1",
            Interface="PJSIP/201",
            Status="1",
            Paused="0",
            InCall="0",
        )
    )
    return svc


@pytest.fixture
async def staff(engine: AsyncEngine, example_site: Site) -> AsyncIterator[StaffServices]:
    """On SQLite and on PostgreSQL (the store's ``engine`` fixture: a clean database)."""
    await upgrade(engine)
    services = open_staff(engine, example_site, KEY)
    yield services
    services.close()


@pytest.fixture
async def people(staff: StaffServices) -> dict[str, User]:
    """One user per role (and the counter user at the woonloket)."""
    out = {}
    for role in ("agent", "counter", "manager", "admin"):
        out[role] = await staff.users.add(
            f"{role}1",
            f"{role.title()} Eén",
            [role],
            PASSWORD,
            counters=["woonloket"] if role == "counter" else [],
        )
    return out


@pytest.fixture
async def ops(service: CallService, staff: StaffServices) -> Operations:
    """Overrides, closures, agents, duty: built as the service builds them (no AMI link)."""
    return await open_operations(staff.audit.engine, service, staff)


@pytest.fixture
def app(service: CallService, staff: StaffServices, ops: Operations) -> Any:
    return create_app(service, staff, ops, WebSettings())


class Session:
    """A test client that keeps its cookies and knows its CSRF token after login."""

    def __init__(self, client: TestClient) -> None:  # type: ignore[type-arg]
        self.client = client
        self.csrf = ""

    async def login(self, login: str, password: str = PASSWORD, next: str = "") -> Any:
        page = await (await self.client.get("/login")).text()
        token = _CSRF.search(page)
        assert token, "the login form has a CSRF token"
        resp = await self.client.post(
            "/login",
            data={"login": login, "password": password, "csrf": token.group(1), "next": next},
            allow_redirects=False,
        )
        if resp.status == 303:
            account = await (await self.client.get("/account")).text()
            found = _CSRF.search(account)
            self.csrf = found.group(1) if found else ""
        return resp

    async def post(self, path: str, data: dict[str, Any] | None = None, **kw: Any) -> Any:
        return await self.client.post(
            path, data={"csrf": self.csrf, **(data or {})}, allow_redirects=False, **kw
        )

    async def api(self, method: str, path: str, json: Any = None) -> Any:
        return await self.client.request(
            method, path, json=json, headers={"X-CSRF-Token": self.csrf}, allow_redirects=False
        )


@pytest.fixture
async def browse(aiohttp_client: Client, app: Any) -> Callable[[], Awaitable[Session]]:
    async def make() -> Session:
        return Session(await aiohttp_client(app))

    return make
