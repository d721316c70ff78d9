"""Who may reach which route: every route of the app is declared here, in one place.

``ROUTES`` maps a route's name to the roles it needs: :data:`PUBLIC` (anyone, no personal
data), :data:`ANY_USER` (logged in, any role) or a set of roles (any one of them suffices).
A route missing from the table is refused for everyone (fail closed), and the route × role
test fails on it. The middleware identifies the user by session cookie (pages, the browser's
API calls) or by a personal token (``Authorization: Bearer vt_…``), checks the CSRF token on
every state-changing request made with a cookie, and answers 401/redirect to the login page,
or 403.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from urllib.parse import quote

from aiohttp import web
from aiohttp.typedefs import Handler
from aiohttp.web_urldispatcher import MatchInfoError

from callcenter.staff.users import User
from dashboard.keys import ADDRESS, CSRF, STAFF, USER
from dashboard.web import client_address, is_api, problem

__all__ = ["ANY_USER", "PUBLIC", "ROUTES", "Access", "access", "identify", "roles"]

log = logging.getLogger(__name__)

SESSION_COOKIE = "vt_session"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True, slots=True)
class Access:
    roles: frozenset[str] | None
    """None: public; empty: any logged-in user; else any one of these roles."""

    def allows(self, user: User) -> bool:
        return self.roles is not None and (not self.roles or user.has(*self.roles))


PUBLIC = Access(None)
ANY_USER = Access(frozenset())


def roles(*names: str) -> Access:
    return Access(frozenset(names))


STAFF_LIVE = roles("agent", "manager")
ADMIN = roles("admin")
MANAGER = roles("manager")
AGENTS = roles("agent", "counter")
DUTY = roles("agent")
CATALOG_READERS = roles("agent", "counter", "manager")
HISTORY_READERS = roles("agent", "manager")
"""A caller's history: those who take calls, and managers (audited at every reading)."""
"""The lighthouse duty is the callcenter agents'."""
KNOWN_KEEPERS = roles("counter", "manager", "admin")
"""The neighbourhood teams' consent register: the teams' staff, managers, admins."""

ROUTES: dict[str, Access] = {
    # public, and free of personal data
    "health": PUBLIC,
    "static": PUBLIC,
    "login": PUBLIC,
    "login-post": PUBLIC,
    "public-hours": PUBLIC,
    "api-public-hours": PUBLIC,
    "api-openapi": PUBLIC,
    # any logged-in user
    "logout": ANY_USER,
    "account": ANY_USER,
    "account-password": ANY_USER,
    "account-pin": ANY_USER,
    "account-token-new": ANY_USER,
    "account-token-revoke": ANY_USER,
    "api-me": ANY_USER,
    "api-tokens": ANY_USER,
    "api-token-new": ANY_USER,
    "api-token-revoke": ANY_USER,
    # the live queues
    "live": STAFF_LIVE,
    "api-queues": STAFF_LIVE,
    "api-stream": STAFF_LIVE,
    "api-wallboard": STAFF_LIVE,
    "api-wallboard-stream": STAFF_LIVE,
    "reports": MANAGER,
    "api-reports": MANAGER,
    "api-reports-export": MANAGER,
    "api-reports-xlsx": MANAGER,
    # agents in the queues and the duty
    "agent": AGENTS,
    "agent-login": AGENTS,
    "agent-logout": AGENTS,
    "agent-pause": AGENTS,
    "agent-resume": AGENTS,
    "agent-takeover": DUTY,
    "agent-handback": DUTY,
    "api-agent": AGENTS,
    "api-agent-stream": AGENTS,
    "api-agent-login": AGENTS,
    "api-agent-logout": AGENTS,
    "api-agent-pause": AGENTS,
    "api-agent-resume": AGENTS,
    "agent-aftercall-done": AGENTS,
    "agent-aftercall-extend": AGENTS,
    "agent-wrapup": AGENTS,
    "agent-transfer": AGENTS,
    "api-agent-transfer": AGENTS,
    "api-agent-aftercall-done": AGENTS,
    "api-agent-aftercall-extend": AGENTS,
    "api-agent-wrapup": AGENTS,
    # the managers' live list of agents (names and states: no caller's data)
    "agents": MANAGER,
    "api-agents": MANAGER,
    "api-agents-stream": MANAGER,
    "api-duty-takeover": DUTY,
    "api-duty-handback": DUTY,
    "api-duty": STAFF_LIVE,
    # the rota, planned closures
    "rota": MANAGER,
    "rota-shift-new": MANAGER,
    "rota-exception-new": MANAGER,
    "rota-shift-delete": MANAGER,
    "rota-exception-delete": MANAGER,
    "api-rota": MANAGER,
    "api-rota-advice": MANAGER,
    "api-rota-shift-new": MANAGER,
    "api-rota-exception-new": MANAGER,
    "api-rota-shift-delete": MANAGER,
    "api-rota-exception-delete": MANAGER,
    "closures": MANAGER,
    "closures-new": MANAGER,
    "closures-ics-upload": MANAGER,
    "closures-delete": MANAGER,
    "api-closures": MANAGER,
    "api-closures-new": MANAGER,
    "api-closures-ics-upload": MANAGER,
    "api-closures-delete": MANAGER,
    "public-closures-ics": PUBLIC,
    # the consent register of neighbourhood teams (a counter user: their own teams only)
    "known": KNOWN_KEEPERS,
    "known-new": KNOWN_KEEPERS,
    "known-delete": KNOWN_KEEPERS,
    "api-known": KNOWN_KEEPERS,
    "api-known-new": KNOWN_KEEPERS,
    "api-known-delete": KNOWN_KEEPERS,
    # the product catalog
    "catalog": CATALOG_READERS,
    "api-catalog": CATALOG_READERS,
    "api-catalog-product": CATALOG_READERS,
    "catalog-save": MANAGER,
    "catalog-delete": MANAGER,
    "api-catalog-save": MANAGER,
    "api-catalog-load": MANAGER,
    "api-catalog-delete": MANAGER,
    # the question log
    "referrals": CATALOG_READERS,
    "callbacks": HISTORY_READERS,
    "callback-attempt": HISTORY_READERS,
    "api-callbacks": HISTORY_READERS,
    "api-callback-attempt": HISTORY_READERS,
    "callback-dial": HISTORY_READERS,
    "callback-claim": HISTORY_READERS,
    "api-callback-claim": HISTORY_READERS,
    "api-callback-dial": HISTORY_READERS,
    "agent-register": AGENTS,
    "agent-history": HISTORY_READERS,
    "referral-report": roles("counter", "manager"),
    "api-contacts-new": AGENTS,
    "api-contacts-vocabulary": CATALOG_READERS,
    "api-contacts-export": MANAGER,
    "api-contact": CATALOG_READERS,
    "api-contact-edit": CATALOG_READERS,
    "api-contact-changes": CATALOG_READERS,
    "api-history": HISTORY_READERS,
    "api-referrals": CATALOG_READERS,
    "api-referral-report": roles("counter", "manager"),
    # the scheduler
    "admin-jobs": ADMIN,
    "api-jobs": ADMIN,
    # overrides of the opening hours
    "overrides": MANAGER,
    "overrides-new": MANAGER,
    "overrides-lift": MANAGER,
    "api-overrides": MANAGER,
    "api-overrides-new": MANAGER,
    "api-overrides-lift": MANAGER,
    # administration
    "admin-users": ADMIN,
    "admin-user-new": ADMIN,
    "admin-user": ADMIN,
    "admin-user-post": ADMIN,
    "admin-user-action": ADMIN,
    "admin-audit": ADMIN,
    "admin-audit-csv": ADMIN,
    "admin-privacy": ADMIN,
    "admin-privacy-export": ADMIN,
    "admin-privacy-erase": ADMIN,
    "api-users": ADMIN,
    "api-users-new": ADMIN,
    "api-user": ADMIN,
    "api-user-patch": ADMIN,
    "api-audit": ADMIN,
    "api-privacy-export": ADMIN,
    "api-privacy-erase": ADMIN,
}


CHANGE_FIRST = frozenset({"account", "account-password", "logout"})
"""What a user whose password an admin set may reach before choosing their own."""


def home_for(user: User) -> str:
    """Where a user lands after logging in."""
    if user.has("agent", "manager"):
        return "/"
    if user.has("counter"):
        return "/doorverwijzingen"  # their counters' incoming referrals
    if user.has("admin"):
        return "/admin/users"
    return "/account"


async def identify(request: web.Request) -> User | None:
    """The user of the request's token or session cookie, checked now (None: nobody)."""
    return (await _identify(request))[0]


async def identify_with_csrf(request: web.Request) -> tuple[User | None, str | None]:
    """The user of the request and the session's CSRF token (None for a token login)."""
    return await _identify(request)


async def _identify(request: web.Request) -> tuple[User | None, str | None]:
    """(user, the session's CSRF token or None for a token login)."""
    staff = request.app[STAFF]
    auth = request.headers.get("Authorization", "")
    if auth.startswith("Bearer "):
        return await staff.tokens.lookup(auth[7:].strip()), None
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        found = await staff.sessions.lookup(cookie)
        if found is not None:
            return found.user, found.csrf
    return None, None


async def _csrf_ok(request: web.Request, expected: str) -> bool:
    sent = request.headers.get("X-CSRF-Token")
    if sent is None and request.content_type in (
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ):
        form = await request.post()
        value = form.get("csrf")
        sent = value if isinstance(value, str) else None
    return sent is not None and secrets.compare_digest(sent, expected)


@web.middleware
async def access(request: web.Request, handler: Handler) -> web.StreamResponse:
    if isinstance(request.match_info, MatchInfoError):
        return await handler(request)  # 404 / 405 as they are
    name = request.match_info.route.name
    rule = ROUTES.get(name or "")
    if rule is None:
        log.error("route %s (%s) has no access declaration: refused", name, request.path)
        raise problem(request, 403, "route-undeclared", "Deze pagina is niet vrijgegeven.")
    if rule.roles is None:
        return await handler(request)
    user, csrf = await _identify(request)
    if user is None:
        if is_api(request) or request.method not in SAFE_METHODS:
            raise problem(request, 401, "login-required", "Meld u eerst aan.")
        raise web.HTTPSeeOther(f"/login?next={quote(request.path_qs, safe='/?=&')}")
    if user.must_change_password and csrf is not None and name not in CHANGE_FIRST:
        # an admin set this password: nothing else until the user has chosen their own
        if is_api(request) or request.method not in SAFE_METHODS:
            raise problem(
                request,
                403,
                "password-change-required",
                "Kies eerst een eigen wachtwoord (Mijn account).",
            )
        raise web.HTTPSeeOther("/account?wachtwoord=kiezen")
    if not rule.allows(user):
        raise problem(request, 403, "forbidden", "U hebt geen toegang tot deze pagina.")
    if (
        request.method not in SAFE_METHODS
        and csrf is not None
        and not await _csrf_ok(request, csrf)
    ):
        raise problem(
            request,
            403,
            "csrf-failed",
            "Dit formulier is verlopen of komt niet van Vuurtoren. Laad de pagina opnieuw.",
        )
    request[USER] = user
    request[CSRF] = csrf or ""
    request[ADDRESS] = client_address(request)
    return await handler(request)
