"""The question log's JSON API: register a question, edit it, read a caller's history
(audited), referrals and the receiving counter's report back. The work is in
``callcenter/contacts/register.py``."""

from __future__ import annotations

from aiohttp import web

from callcenter.contacts.register import CATEGORIES, OUTCOMES, REFERRAL_STATES
from callcenter.staff.errors import StaffError
from dashboard.keys import ADDRESS, OPS, USER
from dashboard.web import json_body

__all__ = ["setup"]

_CONTACT_FIELDS: dict[str, type | tuple[type, ...]] = {
    "call_id": str,
    "caller": str,
    "counter": str,
    "topic": str,
    "category": str,
    "product": str,
    "summary": str,
    "outcome": str,
    "referral": dict,
}


def _id(request: web.Request, name: str) -> int:
    try:
        return int(request.match_info[name])
    except ValueError:
        raise StaffError("not-found", "No such record.", status=404) from None


async def api_register(request: web.Request) -> web.Response:
    data = await json_body(request, _CONTACT_FIELDS, frozenset({"topic", "category", "outcome"}))
    ops = request.app[OPS]
    contact = await ops.register.register(request[USER], data, address=request[ADDRESS])
    return web.json_response(contact.as_json(ops.register.today()), status=201)


async def api_contact(request: web.Request) -> web.Response:
    ops = request.app[OPS]
    user = request[USER]
    contact = await ops.register.get(_id(request, "contact_id"))
    if not (
        user.has("manager", "agent")
        or contact.author == user.login
        or any(r.to_counter in user.counters for r in contact.referrals)
    ):
        raise StaffError("not-your-counter", "Deze registratie is niet voor uw loket.", status=403)
    return web.json_response(contact.as_json(ops.register.today()))


async def api_edit(request: web.Request) -> web.Response:
    data = await json_body(
        request,
        {
            k: v
            for k, v in _CONTACT_FIELDS.items()
            if k in ("topic", "category", "product", "summary", "outcome")
        },
    )
    ops = request.app[OPS]
    contact = await ops.register.edit(
        request[USER], _id(request, "contact_id"), data, address=request[ADDRESS]
    )
    return web.json_response(contact.as_json(ops.register.today()))


async def api_changes(request: web.Request) -> web.Response:
    ops = request.app[OPS]
    contact_id = _id(request, "contact_id")
    contact = await ops.register.get(contact_id)
    user = request[USER]
    if contact.author != user.login and not user.has("manager"):
        raise StaffError(
            "not-yours", "Alleen de auteur en managers zien de wijzigingen.", status=403
        )
    return web.json_response({"changes": await ops.register.changes(contact_id)})


async def api_history(request: web.Request) -> web.Response:
    """POST, so that the number never stands in a URL (and in a proxy's log)."""
    data = await json_body(request, {"caller": str, "limit": int}, frozenset({"caller"}))
    limit = data.get("limit", 20)
    if not 1 <= limit <= 100:
        raise StaffError("invalid-field", "limit: 1 to 100.", field="limit")
    ops = request.app[OPS]
    contacts = await ops.register.history(
        data["caller"], actor=request[USER].login, address=request[ADDRESS], limit=limit
    )
    today = ops.register.today()
    return web.json_response({"contacts": [c.as_json(today) for c in contacts]})


async def api_referrals(request: web.Request) -> web.Response:
    ops = request.app[OPS]
    found = await ops.register.referrals(request[USER], status=request.query.get("status", "open"))
    today = ops.register.today()
    return web.json_response(
        {
            "referrals": [
                {
                    **r.as_json(today),
                    "contact": {k: v for k, v in c.as_json().items() if k != "referrals"},
                }
                for r, c in found
            ]
        }
    )


async def api_report(request: web.Request) -> web.Response:
    data = await json_body(
        request, {"status": str, "response": str, "refer_on": dict}, frozenset({"status"})
    )
    ops = request.app[OPS]
    referral = await ops.register.report_back(
        request[USER], _id(request, "referral_id"), data, address=request[ADDRESS]
    )
    return web.json_response(referral.as_json(ops.register.today()))


async def api_vocabulary(request: web.Request) -> web.Response:
    """The lists a client needs to fill a registration in."""
    site = request.app[OPS].service.site
    return web.json_response(
        {
            "topics": [{"id": t.id, "label": t.label, "counter": t.counter} for t in site.topics],
            "categories": [{"id": k, "label": v} for k, v in CATEGORIES.items()],
            "outcomes": [{"id": k, "label": v} for k, v in OUTCOMES.items()],
            "referral_states": [{"id": k, "label": v} for k, v in REFERRAL_STATES.items()],
            "counters": [{"id": c.id, "name": c.name} for c in site.counters],
        }
    )


def setup(app: web.Application) -> None:
    r = app.router
    r.add_post("/api/contacts", api_register, name="api-contacts-new")
    r.add_get("/api/contacts/vocabulary", api_vocabulary, name="api-contacts-vocabulary")
    r.add_get("/api/contacts/{contact_id}", api_contact, name="api-contact")
    r.add_patch("/api/contacts/{contact_id}", api_edit, name="api-contact-edit")
    r.add_get("/api/contacts/{contact_id}/changes", api_changes, name="api-contact-changes")
    r.add_post("/api/history", api_history, name="api-history")
    r.add_get("/api/referrals", api_referrals, name="api-referrals")
    r.add_post("/api/referrals/{referral_id}/report", api_report, name="api-referral-report")
