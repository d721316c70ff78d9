"""The web app factory: ``create_app(service, staff) -> web.Application``.

Pages are Dutch (nl-BE) first, served with their assets from this package (no CDN), and
accessible (WCAG 2.1 AA: landmarks, labels, contrast, keyboard). Every route declares who may
reach it in ``dashboard/access.py``; only ``/healthz``, the login page and static assets are
open, and they carry no personal data.
"""

from __future__ import annotations

import contextlib
import json
import logging
from datetime import UTC, datetime
from pathlib import Path

from aiohttp import web
from aiohttp.typedefs import Handler
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from callcenter.calls.service import CallService
from callcenter.services.operations import Operations
from callcenter.staff.errors import StaffError
from callcenter.staff.services import StaffServices
from dashboard import (
    admin,
    agents,
    auth,
    catalog,
    closures,
    contacts,
    duty,
    known,
    live,
    openapi,
    overrides,
    public,
    reports,
    wallboard,
)
from dashboard.access import access, home_for, identify_with_csrf
from dashboard.keys import (
    BUS,
    CSRF,
    OPS,
    SERVICE,
    STAFF,
    STREAMS,
    TEMPLATES,
    USER,
    WEB,
    Streams,
    WebSettings,
)
from dashboard.numbers import duration, number, percent
from dashboard.render import NAV, render, shown
from dashboard.sse import end_streams
from dashboard.web import MAX_BODY, problem
from dashboard.words import audit_detail, audit_kind, day_cell, moment, role_name

__all__ = ["create_app"]

log = logging.getLogger(__name__)
HERE = Path(__file__).resolve().parent


@web.middleware
async def errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Errors as JSON with a stable id for the API; a page gets the site's layout with its
    menu, a short Dutch explanation and the way on (:func:`error_page`)."""
    try:
        try:
            return await handler(request)
        except StaffError as exc:
            raise problem(request, exc.status, exc.id, exc.message, exc.field) from None
    except web.HTTPException as exc:
        if request.path.startswith("/api/"):
            if exc.status >= 400 and exc.content_type != "application/json":
                return web.json_response(
                    {"error": {"id": f"http-{exc.status}", "message": exc.reason}},
                    status=exc.status,
                )
            raise
        if exc.status >= 400 and exc.content_type == "text/plain":
            return await error_page(request, exc.status, exc.text or "")
        raise
    except Exception:
        log.exception("request %s %s failed", request.method, request.path)
        if request.path.startswith("/api/"):
            return web.json_response(
                {"error": {"id": "internal-error", "message": "internal error"}}, status=500
            )
        return await error_page(request, 500, "")


_ERRORS = {
    400: ("Dit kan zo niet", "Het verzoek klopt niet."),
    403: ("Geen toegang", "Deze pagina is niet voor uw rol."),
    404: ("Deze pagina bestaat niet", "Controleer het adres, of kies hieronder hoe u verder kunt."),
    405: ("Dit kan zo niet", "Deze pagina werkt niet op deze manier."),
    409: ("Dat kon niet", "Iemand anders veranderde dit intussen."),
    413: ("Te groot", "Wat u stuurde is te groot."),
    423: ("Geblokkeerd", "Dit is even geblokkeerd."),
    429: ("Even wachten", "Te veel pogingen na elkaar."),
    500: (
        "Er liep iets mis",
        "Er liep iets mis aan onze kant; wat al bewaard was, is niet verloren. "
        "Probeer het opnieuw.",
    ),
}
_ROLE_NAMES = {
    "agent": "medewerker",
    "counter": "loketmedewerker",
    "manager": "leidinggevende",
    "admin": "beheerder",
}


def _listing(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " en " + words[-1]


async def error_page(request: web.Request, status: int, detail: str) -> web.Response:
    """An error as a page of the site: its menu (for whoever is logged in), what happened in
    Dutch, and the way on (the user's start page, what it leads to)."""
    heading, explanation = _ERRORS.get(status, _ERRORS[400])
    user = request.get(USER)
    if user is None:
        with contextlib.suppress(Exception):  # a page about an error must not fail itself
            user, csrf = await identify_with_csrf(request)
            if user is not None:
                request[USER], request[CSRF] = user, csrf or ""
    generic = {"Not Found", "Method Not Allowed", f"{status}: Not Found"}
    detail = "" if detail.strip() in generic or detail.startswith(f"{status}:") else detail
    reachable = ""
    if user is not None:
        site = request.app[SERVICE].site
        visible = [
            label
            for path, label, wanted in NAV
            if (not wanted or user.has(*wanted)) and shown(site, path)
        ]
        reachable = _listing([label.lower() for label in visible])
        if status == 403:
            roles = ", ".join(_ROLE_NAMES.get(r, r) for r in sorted(user.roles))
            detail = f"{detail} U bent aangemeld als {user.name} ({roles}).".strip()
    return render(
        request,
        "error.html",
        status=status,
        heading=heading,
        explanation=explanation,
        detail=detail,
        home=home_for(user) if user is not None else "/login",
        reachable=reachable,
        at=datetime.now(UTC)
        .astimezone(request.app[SERVICE].site.zone)
        .isoformat(timespec="seconds"),
    )


@web.middleware
async def security_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    response = await handler(request)
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    )
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    return response


async def _end_streams(app: web.Application) -> None:
    streams = app[STREAMS]
    streams.closing = True
    for task in tuple(streams.open):
        task.cancel()


def _script_json(value: object) -> Markup:
    """JSON for a ``<script type="application/json">`` block: nothing in it can end the
    block or start markup (``<``, ``>`` and ``&`` as JSON escapes)."""
    text = json.dumps(value, ensure_ascii=False)
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


def create_app(
    service: CallService,
    staff: StaffServices,
    ops: Operations,
    settings: WebSettings | None = None,
) -> web.Application:
    app = web.Application(middlewares=[errors, security_headers, access], client_max_size=MAX_BODY)
    app[SERVICE] = service
    app[STAFF] = staff
    app[WEB] = settings or WebSettings.from_env()
    app[OPS] = ops
    app[BUS] = service.bus
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(["html"]),
        auto_reload=False,
    )
    env.filters["tojson"] = lambda v: json.dumps(v, ensure_ascii=False)
    env.filters["script_json"] = _script_json
    env.filters["num"] = number  # nl-BE: 1.234,5
    env.filters["pct"] = percent  # nl-BE: 12,7 %
    env.filters["duration"] = duration  # 1:05
    env.filters["role_name"] = role_name
    env.filters["audit_kind"] = audit_kind
    env.filters["audit_detail"] = audit_detail
    env.filters["moment"] = moment
    env.filters["day_cell"] = day_cell
    app[TEMPLATES] = env
    app[STREAMS] = Streams()
    # a user disabled or given a new password (here or in another request): their open
    # streams end now, not at the next check
    staff.users.on_sessions_ended.append(lambda login: end_streams(app, login=login))
    app.on_shutdown.append(_end_streams)
    wallboard.setup(app)
    app.router.add_get("/api/queues", live.queues_json, name="api-queues")
    app.router.add_get("/api/live/stream", live.stream, name="api-stream")
    app.router.add_get("/healthz", live.health, name="health")
    app.router.add_static("/static/", HERE / "static", name="static", append_version=True)
    auth.setup(app)
    admin.setup(app)
    overrides.setup(app)
    duty.setup(app)
    agents.setup(app)
    closures.setup(app)
    known.setup(app)
    catalog.setup(app)
    contacts.setup(app)
    openapi.setup(app)
    reports.setup(app)
    public.setup(app)
    return app
