"""Rendering pages: every page gets the user, the CSRF token and the navigation."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from dashboard.keys import CSRF, SERVICE, TEMPLATES, USER
from routing.site import Site

__all__ = ["NAV", "render", "shown"]

NAV = (
    ("/", "Wachtrijen", ("agent", "manager")),
    ("/agent", "Mijn wachtrijen", ("agent", "counter")),
    ("/catalogus", "Catalogus", ("agent", "counter", "manager")),
    ("/doorverwijzingen", "Doorverwijzingen", ("agent", "counter", "manager")),
    ("/terugbellen", "Terugbellen", ("agent", "manager")),
    ("/agenten", "Medewerkers", ("manager",)),
    ("/rapporten", "Rapporten", ("manager",)),
    ("/rota", "Wachtrol", ("manager",)),
    ("/overrides", "Uitzonderingen", ("manager",)),
    ("/sluitingen", "Sluitingen", ("manager",)),
    ("/gekende-bellers", "Gekende bellers", ("counter", "manager", "admin")),
    ("/admin/users", "Gebruikers", ("admin",)),
    ("/admin/audit", "Auditlog", ("admin",)),
    ("/admin/privacy", "Privacy", ("admin",)),
    ("/admin/jobs", "Taken", ("admin",)),
    ("/account", "Mijn account", ()),
)
"""(path, label, roles that see it; empty: everyone logged in)."""


def shown(site: Site, path: str) -> bool:
    """Whether a page of the navigation exists for this site: the register of known
    callers only where there are neighbourhood teams."""
    if path == "/gekende-bellers":
        return site.teams is not None or any(s.teams for s in site.sites)
    return True


def render(
    request: web.Request, template: str, *, status: int = 200, **context: Any
) -> web.Response:
    user = request.get(USER)
    static = request.app.router["static"]
    site = request.app[SERVICE].site
    nav = [
        (path, label, path == request.path)
        for path, label, wanted in NAV
        if user is not None and (not wanted or user.has(*wanted)) and shown(site, path)
    ]
    # names for the ids the code uses (counters, the lighthouse, queues): pages show names
    names = {c.id: c.name for c in site.counters}
    names.update({"lighthouse": site.lighthouse.name, "*": "alle loketten"})
    queues = {c.queue: c.name for c in site.counters}
    queues[site.lighthouse.queue] = site.lighthouse.name
    values: dict[str, Any] = {
        "user": user,
        "csrf": request.get(CSRF, ""),
        "nav": nav,
        "site": site.name,
        "css": static.url_for(filename="style.css"),
        "confirm_js": static.url_for(filename="confirm.js"),
        "place_names": names,
        "queue_names": queues,
        **context,
    }
    html = request.app[TEMPLATES].get_template(template).render(**values)
    response = web.Response(text=html, status=status, content_type="text/html", charset="utf-8")
    response.headers["Cache-Control"] = "no-store"
    return response
