"""Logging in and out, and the user's own account: password and API tokens."""

from __future__ import annotations

import secrets

from aiohttp import web

from callcenter.staff.errors import StaffError
from dashboard.access import SESSION_COOKIE, home_for
from dashboard.keys import ADDRESS, SERVICE, STAFF, USER
from dashboard.render import render
from dashboard.sse import end_streams
from dashboard.web import client_address, is_secure, json_body, record_id, safe_next, see_other

__all__ = ["setup"]

LOGIN_COOKIE = "vt_login"
"""Double-submit CSRF token of the login form (there is no session yet to hold one)."""


def _cookie(request: web.Request, response: web.StreamResponse, name: str, value: str) -> None:
    response.set_cookie(
        name, value, httponly=True, samesite="Lax", secure=is_secure(request), path="/"
    )


async def login_page(request: web.Request) -> web.Response:
    token = request.cookies.get(LOGIN_COOKIE) or secrets.token_urlsafe(24)
    response = render(
        request, "login.html", login_csrf=token, next=safe_next(request.query.get("next"), "")
    )
    _cookie(request, response, LOGIN_COOKIE, token)
    return response


async def login(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    login_name = str(form.get("login", ""))[:64]
    password = str(form.get("password", ""))[:1024]
    target = safe_next(str(form.get("next", "")) or None, "")
    sent, expected = str(form.get("csrf", "")), request.cookies.get(LOGIN_COOKIE, "")
    if not expected or not secrets.compare_digest(sent, expected):
        return render(
            request,
            "login.html",
            status=403,
            login_csrf=expected or secrets.token_urlsafe(24),
            next=target,
            login=login_name,
            error="Het aanmeldformulier is verlopen. Probeer het opnieuw.",
        )
    staff = request.app[STAFF]
    address = client_address(request)
    try:
        user = await staff.users.authenticate(login_name, password, address)
    except StaffError as exc:
        return render(
            request,
            "login.html",
            status=exc.status,
            login_csrf=expected,
            next=target,
            login=login_name,
            error=exc.message,
        )
    old = request.cookies.get(SESSION_COOKIE)
    if old:
        await staff.sessions.end(old)  # never carry a session id across a login (fixation)
    token, _ = await staff.sessions.create(user, address)
    await staff.audit.record("login", actor=user.login, target=user.login, address=address)
    response = see_other(target or home_for(user))
    _cookie(request, response, SESSION_COOKIE, token)
    response.del_cookie(LOGIN_COOKIE, path="/")
    return response


async def logout(request: web.Request) -> web.StreamResponse:
    staff = request.app[STAFF]
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        await staff.sessions.end(token)
        end_streams(request.app, login=request[USER].login, credential=token)
    await staff.audit.record(
        "logout", actor=request[USER].login, target=request[USER].login, address=request[ADDRESS]
    )
    response = see_other("/login")
    response.del_cookie(SESSION_COOKIE, path="/")
    return response


# -- the own account -------------------------------------------------------------------------
async def _account(request: web.Request, status: int = 200, **extra: object) -> web.Response:
    tokens = await request.app[STAFF].tokens.list(request[USER].id)
    code = request.app[SERVICE].site.agents.override_code
    return render(
        request, "account.html", status=status, tokens=tokens, override_code=code, **extra
    )


async def account(request: web.Request) -> web.Response:
    return await _account(request)


async def change_password(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    staff = request.app[STAFF]
    user = request[USER]
    current, new, again = (str(form.get(k, "")) for k in ("current", "new", "again"))
    try:
        if not await staff.users.password_matches(user.id, current):
            raise StaffError(
                "wrong-password", "Het huidige wachtwoord klopt niet.", field="current"
            )
        if new != again:
            raise StaffError(
                "invalid-field", "De twee nieuwe wachtwoorden verschillen.", field="again"
            )
        await staff.users.set_password(user.id, new, actor=user.login, address=request[ADDRESS])
    except StaffError as exc:
        return await _account(request, status=exc.status, error=exc.message, error_field=exc.field)
    # every session ended, this one too: log in again with the new password
    response = see_other("/login?next=/account")
    response.del_cookie(SESSION_COOKIE, path="/")
    return response


async def change_pin(request: web.Request) -> web.Response:
    """The desk-phone PIN, after the password (a PIN closes counters: it is a secret)."""
    form = await request.post()
    staff = request.app[STAFF]
    user = request[USER]
    try:
        if not await staff.users.password_matches(user.id, str(form.get("password", ""))[:1024]):
            raise StaffError("wrong-password", "Het wachtwoord klopt niet.", field="password")
        await staff.users.set_pin(
            user.id, str(form.get("pin", ""))[:16], actor=user.login, address=request[ADDRESS]
        )
    except StaffError as exc:
        return await _account(request, status=exc.status, error=exc.message, error_field=exc.field)
    return await _account(request, pin_saved=True)


async def new_token(request: web.Request) -> web.Response:
    form = await request.post()
    try:
        token, plain = await request.app[STAFF].tokens.create(
            request[USER], str(form.get("name", "")), address=request[ADDRESS]
        )
    except StaffError as exc:
        return await _account(request, status=exc.status, error=exc.message, error_field=exc.field)
    return await _account(request, status=201, new_token=plain, new_token_name=token.name)


async def revoke_token(request: web.Request) -> web.StreamResponse:
    try:
        token_id = record_id(request.match_info["token_id"])
        await request.app[STAFF].tokens.revoke(request[USER], token_id, address=request[ADDRESS])
    except (ValueError, StaffError):
        raise web.HTTPNotFound(text="Dit token bestaat niet.") from None
    raise web.HTTPSeeOther("/account")


# -- the same over JSON ------------------------------------------------------------------------
async def api_me(request: web.Request) -> web.Response:
    return web.json_response(request[USER].as_json())


async def api_tokens(request: web.Request) -> web.Response:
    tokens = await request.app[STAFF].tokens.list(request[USER].id)
    return web.json_response({"tokens": [t.as_json() for t in tokens]})


async def api_new_token(request: web.Request) -> web.Response:
    data = await json_body(request, {"name": str}, frozenset({"name"}))
    token, plain = await request.app[STAFF].tokens.create(
        request[USER], data["name"], address=request[ADDRESS]
    )
    return web.json_response({**token.as_json(), "token": plain}, status=201)


async def api_revoke_token(request: web.Request) -> web.Response:
    try:
        token_id = record_id(request.match_info["token_id"])
    except ValueError:
        raise StaffError("token-not-found", "No such token.", status=404) from None
    token = await request.app[STAFF].tokens.revoke(
        request[USER], token_id, address=request[ADDRESS]
    )
    return web.json_response(token.as_json())


def setup(app: web.Application) -> None:
    r = app.router
    r.add_get("/login", login_page, name="login")
    r.add_post("/login", login, name="login-post")
    r.add_post("/logout", logout, name="logout")
    r.add_get("/account", account, name="account")
    r.add_post("/account/password", change_password, name="account-password")
    r.add_post("/account/pin", change_pin, name="account-pin")
    r.add_post("/account/tokens", new_token, name="account-token-new")
    r.add_post("/account/tokens/{token_id}/revoke", revoke_token, name="account-token-revoke")
    r.add_get("/api/me", api_me, name="api-me")
    r.add_get("/api/tokens", api_tokens, name="api-tokens")
    r.add_post("/api/tokens", api_new_token, name="api-token-new")
    r.add_delete("/api/tokens/{token_id}", api_revoke_token, name="api-token-revoke")
