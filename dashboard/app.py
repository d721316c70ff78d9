"""The web app factory: ``create_app(service, staff) -> web.Application``.

Pages are Dutch (nl-BE) first, served with their assets from this package (no CDN), and
accessible (WCAG 2.1 AA: landmarks, labels, contrast, keyboard). Every route declares who may
reach it in ``dashboard/access.py``; only ``/healthz``, the login page and static assets are
open, and they carry no personal data.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from aiohttp import web
from aiohttp.typedefs import Handler
from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from callcenter.operations import Operations
from callcenter.service import CallService
from callcenter.staff.errors import StaffError
from callcenter.staff.services import StaffServices
from dashboard import (
    admin,
    auth,
    catalog,
    closures,
    contacts,
    duty,
    live,
    openapi,
    overrides,
    public,
    reports,
    wallboard,
)
from dashboard.access import access
from dashboard.keys import BUS, OPS, SERVICE, STAFF, STREAMS, TEMPLATES, WEB
from dashboard.sse import end_streams
from dashboard.web import MAX_BODY, WebSettings, problem

__all__ = ["create_app"]

log = logging.getLogger(__name__)
HERE = Path(__file__).resolve().parent


@web.middleware
async def errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Errors as JSON with a stable id for the API; the page gets a plain Dutch message."""
    try:
        return await handler(request)
    except StaffError as exc:
        raise problem(request, exc.status, exc.id, exc.message, exc.field) from None
    except web.HTTPException as exc:
        if (
            request.path.startswith("/api/")
            and exc.status >= 400
            and exc.content_type != "application/json"
        ):
            return web.json_response(
                {"error": {"id": f"http-{exc.status}", "message": exc.reason}}, status=exc.status
            )
        raise
    except Exception:
        log.exception("request %s %s failed", request.method, request.path)
        if request.path.startswith("/api/"):
            return web.json_response(
                {"error": {"id": "internal-error", "message": "internal error"}}, status=500
            )
        return web.Response(
            text="Er liep iets mis. Probeer het later opnieuw.",
            status=500,
            content_type="text/plain",
            charset="utf-8",
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
    for task in tuple(streams):
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
    app[TEMPLATES] = env
    app[STREAMS] = {}
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
    closures.setup(app)
    catalog.setup(app)
    contacts.setup(app)
    openapi.setup(app)
    reports.setup(app)
    public.setup(app)
    return app
