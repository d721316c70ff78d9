"""The question log's JSON API: register a question, edit it, read a caller's history
(audited), referrals and the receiving counter's report back. The work is in
``callcenter/contacts/register.py``."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from aiohttp import web

from callcenter.contacts.callbacks import ORDERS as CALLBACK_ORDERS
from callcenter.contacts.callbacks import PER_PAGE as CALLBACK_PER_PAGE
from callcenter.contacts.callbacks import RESULTS as CALLBACK_RESULTS
from callcenter.contacts.callbacks import STATES as CALLBACK_STATES
from callcenter.contacts.callbacks import view as callback_view
from callcenter.contacts.register import CATEGORIES, OUTCOMES, REFERRAL_STATES
from callcenter.staff.errors import StaffError
from dashboard.duty import agent_page
from dashboard.keys import ADDRESS, OPS, SERVICE, USER
from dashboard.render import render
from dashboard.web import json_body, parse_day, record_id

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
    "idempotency_key": str,
}


def _id(request: web.Request, name: str) -> int:
    try:
        return record_id(request.match_info[name])
    except ValueError:
        raise StaffError("not-found", "No such record.", status=404) from None


async def api_register(request: web.Request) -> web.Response:
    """201 with the registration; with an ``Idempotency-Key`` header (or body field) sent
    before by the same user, 200 with the registration made then (nothing new)."""
    data = await json_body(request, _CONTACT_FIELDS, frozenset({"topic", "category", "outcome"}))
    header = request.headers.get("Idempotency-Key")
    if header is not None:
        data = {**data, "idempotency_key": header.strip().strip('"')}
    ops = request.app[OPS]
    contact = await ops.register.register(request[USER], data, address=request[ADDRESS])
    return web.json_response(
        contact.as_json(ops.register.today()), status=200 if contact.replayed else 201
    )


async def api_contact(request: web.Request) -> web.Response:
    ops = request.app[OPS]
    contact = await ops.register.read(
        request[USER], _id(request, "contact_id"), address=request[ADDRESS]
    )
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
    changes = await ops.register.changes(
        request[USER], _id(request, "contact_id"), address=request[ADDRESS]
    )
    return web.json_response({"changes": changes})


async def api_history(request: web.Request) -> web.Response:
    """POST, so that the number never stands in a URL (and in a proxy's log)."""
    data = await json_body(request, {"caller": str, "limit": int}, frozenset({"caller"}))
    limit = data.get("limit", 20)
    if not 1 <= limit <= 100:
        raise StaffError("invalid-field", "limit: 1 to 100.", field="limit")
    ops = request.app[OPS]
    contacts = await ops.register.history(
        data["caller"],
        actor=request[USER].login,
        address=request[ADDRESS],
        limit=limit,
        sites=request[USER].sites,
    )
    today = ops.register.today()
    return web.json_response({"contacts": [c.as_json(today) for c in contacts]})


async def api_referrals(request: web.Request) -> web.Response:
    ops = request.app[OPS]
    found = await ops.register.referrals(
        request[USER], status=request.query.get("status", "open"), address=request[ADDRESS]
    )
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


async def api_export(request: web.Request) -> web.Response:
    """``?from=YYYY-MM-DD&to=YYYY-MM-DD`` (inclusive days, site time); ``excel=1`` for a
    Belgian Excel (semicolons, BOM)."""
    site = request.app[SERVICE].site
    days = [parse_day(request.query.get(name, ""), name) for name in ("from", "to")]
    if days[1] < days[0] or (days[1] - days[0]).days > 366:
        raise StaffError("invalid-field", "to: after from, at most a year later.", field="to")
    start = datetime.combine(days[0], time(0), site.zone)
    end = datetime.combine(days[1] + timedelta(days=1), time(0), site.zone)
    excel = request.query.get("excel") == "1"
    body = await request.app[OPS].register.export_csv(
        start,
        end,
        actor=request[USER].login,
        excel=excel,
        address=request[ADDRESS],
        sites=request[USER].sites,
    )
    name = f"vragen-{days[0].isoformat()}-{days[1].isoformat()}.csv"
    return web.Response(
        text=body,
        content_type="text/csv",
        charset="utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )


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


async def register_form(request: web.Request) -> web.StreamResponse:
    """The console's registration form (without JavaScript too)."""
    form = await request.post()
    data: dict[str, Any] = {
        k: str(form.get(k, "")).strip()
        for k in (
            "caller",
            "call_id",
            "counter",
            "topic",
            "category",
            "product",
            "summary",
            "outcome",
            "idempotency_key",
        )
    }
    data = {k: v for k, v in data.items() if v}
    if data.get("outcome") == "referred":
        data["referral"] = {
            k: str(form.get(k, "")).strip()
            for k in ("to_counter", "to_partner", "request", "due")
            if str(form.get(k, "")).strip()
        }
    ops = request.app[OPS]
    try:
        contact = await ops.register.register(request[USER], data, address=request[ADDRESS])
    except StaffError as exc:
        return await agent_page(
            request, exc.status, error=exc.message, error_field=exc.field, form=data
        )
    # post/redirect/get: reloading the confirmation shows it again, registers nothing
    raise web.HTTPSeeOther(f"/agent?geregistreerd={contact.id}#registreren")


async def history_form(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    number = str(form.get("caller", "")).strip()
    try:
        found = await request.app[OPS].register.history(
            number, actor=request[USER].login, address=request[ADDRESS], sites=request[USER].sites
        )
    except StaffError as exc:
        return await agent_page(request, exc.status, error=exc.message, error_field=exc.field)
    return await agent_page(request, history=found, looked_up=number)


def _page_number(text: str | None) -> int:
    """A page number from the query (ASCII digits); anything else: the first page."""
    try:
        return record_id(text or "")
    except ValueError:
        return 1


def _list_filters(request: web.Request) -> dict[str, Any]:
    """The callback list's filters from the query (unknown values: the defaults)."""
    q = request.query
    site = request.app[SERVICE].site
    queues = {c.queue for c in site.counters} | {site.lighthouse.queue}
    page = q.get("pagina", "1")
    return {
        "queue": q.get("wachtrij") if q.get("wachtrij") in queues else None,
        "mine": request[USER].login if q.get("van") == "mij" else None,
        "state": q.get("stand") if q.get("stand") in CALLBACK_STATES else "",
        "overdue": q.get("te-laat") == "1",
        "order": q.get("volgorde") if q.get("volgorde") in CALLBACK_ORDERS else "urgent",
        "page": _page_number(page),
    }


async def callbacks_page(request: web.Request, status: int = 200, **extra: Any) -> web.Response:
    """The list, filtered, ordered and a page at a time (20); only the page shown is read
    out (audited)."""
    ops = request.app[OPS]
    site = request.app[SERVICE].site
    filters = _list_filters(request)
    shown = callback_view(
        await ops.callbacks.lost(sites=request[USER].sites), ops.callbacks.now(), **filters
    )
    await ops.callbacks.seen(request[USER].login, shown.items, address=request[ADDRESS])
    names = {c.queue: c.name for c in site.counters}
    names[site.lighthouse.queue] = site.lighthouse.name
    query = {k: v for k, v in request.query.items() if k != "pagina"}
    return render(
        request,
        "callbacks.html",
        status=status,
        shown=shown,
        filters=filters,
        query=query,
        orders=CALLBACK_ORDERS,
        list_states=CALLBACK_STATES,
        queue_names=names,
        topics={t.id: t.label for t in site.topics},
        results=CALLBACK_RESULTS,
        dial_states=DIAL_STATES,
        has_phone=bool(request[USER].interfaces),
        zone=site.zone,
        **extra,
    )


async def callback_form(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    try:
        await request.app[OPS].callbacks.attempt(
            request[USER],
            request.match_info["call_id"],
            str(form.get("result", "")),
            str(form.get("note", "")),
            address=request[ADDRESS],
        )
    except StaffError as exc:
        if exc.status == 404:
            raise web.HTTPNotFound(text=exc.message) from None
        return await callbacks_page(request, exc.status, error=exc.message, error_field=exc.field)
    return await callbacks_page(request, saved=True)


async def callback_dial_form(request: web.Request) -> web.StreamResponse:
    """One click: the user's phone rings; when they pick up, the citizen is dialled."""
    try:
        done = await request.app[OPS].dialer.call_back(
            request[USER], request.match_info["call_id"], address=request[ADDRESS]
        )
    except StaffError as exc:
        if exc.status == 404:
            raise web.HTTPNotFound(text=exc.message) from None
        return await callbacks_page(request, exc.status, error=exc.message)
    return await callbacks_page(request, dialing=done["number"])


async def api_callback_dial(request: web.Request) -> web.Response:
    done = await request.app[OPS].dialer.call_back(
        request[USER], request.match_info["call_id"], address=request[ADDRESS]
    )
    return web.json_response(done)


async def api_callbacks(request: web.Request) -> web.Response:
    """``?queue=&mine=1&state=new|tried|auto&overdue=1&order=urgent|newest|oldest&page=N``;
    without ``page`` every call on the list, and without ``order`` the oldest first (as
    before)."""
    callbacks = request.app[OPS].callbacks
    q = request.query
    page = q.get("page")
    shown = callback_view(
        await callbacks.lost(q.get("queue") or None, sites=request[USER].sites),
        callbacks.now(),
        mine=request[USER].login if q.get("mine") == "1" else None,
        state=q.get("state", "") if q.get("state") in CALLBACK_STATES else "",
        overdue=q.get("overdue") == "1",
        order=q.get("order", "oldest") if q.get("order") in CALLBACK_ORDERS else "oldest",
        page=_page_number(page),
        per_page=CALLBACK_PER_PAGE if page else 10**6,
    )
    await callbacks.seen(request[USER].login, shown.items, address=request[ADDRESS])
    return web.json_response(
        {
            "calls": [c.as_json() for c in shown.items],
            "total": shown.total,
            "page": shown.page,
            "pages": shown.pages,
        }
    )


async def claim_form(request: web.Request) -> web.StreamResponse:
    """ "Ik neem dit" / "Vrijgeven" on the list; back to the same view."""
    form = await request.post()
    try:
        await request.app[OPS].callbacks.claim(
            request[USER],
            request.match_info["call_id"],
            form.get("neem") == "1",
            address=request[ADDRESS],
        )
    except StaffError as exc:
        if exc.status == 404:
            raise web.HTTPNotFound(text=exc.message) from None
        return await callbacks_page(request, exc.status, error=exc.message)
    back = str(form.get("terug", ""))
    raise web.HTTPSeeOther("/terugbellen" + (back if back.startswith("?") else ""))


async def api_callback_claim(request: web.Request) -> web.Response:
    data = await json_body(request, {"take": bool}, frozenset({"take"}))
    holder = await request.app[OPS].callbacks.claim(
        request[USER], request.match_info["call_id"], data["take"], address=request[ADDRESS]
    )
    return web.json_response({"call_id": request.match_info["call_id"], "claimed_by": holder})


async def api_callback_attempt(request: web.Request) -> web.Response:
    data = await json_body(request, {"result": str, "note": str}, frozenset({"result"}))
    await request.app[OPS].callbacks.attempt(
        request[USER],
        request.match_info["call_id"],
        data["result"],
        data.get("note", ""),
        address=request[ADDRESS],
    )
    return web.json_response({"registered": True}, status=201)


DIAL_STATES = {
    "waiting": "Vuurtoren belt terug",
    "in_line": "Staat in de rij om teruggebeld te worden",
    "dialing": "Wordt nu teruggebeld",
    "reached": "Teruggebeld",
    "given_up": "Vuurtoren bereikte de burger niet",
    "cancelled": "Niet meer nodig",
}

FILTERS = (("open", "Open"), ("overdue", "Te laat"), ("all", "Alle"))


async def referrals_page(
    request: web.Request, status_code: int = 200, **extra: Any
) -> web.Response:
    ops = request.app[OPS]
    site = request.app[SERVICE].site
    status = request.query.get("status", "open")
    if status not in dict(FILTERS):
        status = "open"
    return render(
        request,
        "referrals.html",
        status=status_code,
        referrals=await ops.register.referrals(
            request[USER], status=status, address=request[ADDRESS]
        ),
        filters=FILTERS,
        today=ops.register.today(),
        zone=site.zone,
        states=REFERRAL_STATES,
        topics={t.id: t.label for t in site.topics},
        names={c.id: c.name for c in site.counters},
        counters=[(c.id, c.name) for c in site.counters],
        chosen=status,
        **extra,
    )


async def report_form(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    data: dict[str, Any] = {
        "status": str(form.get("status", "")),
        "response": str(form.get("response", "")),
    }
    onward = str(form.get("refer_on", ""))
    if onward:
        data["refer_on"] = {"to_counter": onward}
    try:
        await request.app[OPS].register.report_back(
            request[USER], _id(request, "referral_id"), data, address=request[ADDRESS]
        )
    except StaffError as exc:
        if exc.status == 404:
            raise web.HTTPNotFound(text=exc.message) from None
        return await referrals_page(request, exc.status, error=exc.message, error_field=exc.field)
    return await referrals_page(request, saved=True)


def setup(app: web.Application) -> None:
    r = app.router
    r.add_post("/agent/register", register_form, name="agent-register")
    r.add_post("/agent/history", history_form, name="agent-history")
    r.add_get("/doorverwijzingen", referrals_page, name="referrals")
    r.add_get("/terugbellen", callbacks_page, name="callbacks")
    r.add_post("/terugbellen/{call_id}", callback_form, name="callback-attempt")
    r.add_post("/terugbellen/{call_id}/bellen", callback_dial_form, name="callback-dial")
    r.add_post("/terugbellen/{call_id}/nemen", claim_form, name="callback-claim")
    r.add_post("/api/callbacks/{call_id}/claim", api_callback_claim, name="api-callback-claim")
    r.add_get("/api/callbacks", api_callbacks, name="api-callbacks")
    r.add_post(
        "/api/callbacks/{call_id}/attempts", api_callback_attempt, name="api-callback-attempt"
    )
    r.add_post("/api/callbacks/{call_id}/dial", api_callback_dial, name="api-callback-dial")
    r.add_post("/doorverwijzingen/{referral_id}/report", report_form, name="referral-report")
    r.add_post("/api/contacts", api_register, name="api-contacts-new")
    r.add_get("/api/contacts/vocabulary", api_vocabulary, name="api-contacts-vocabulary")
    r.add_get("/api/contacts/export.csv", api_export, name="api-contacts-export")
    r.add_get("/api/contacts/{contact_id}", api_contact, name="api-contact")
    r.add_patch("/api/contacts/{contact_id}", api_edit, name="api-contact-edit")
    r.add_get("/api/contacts/{contact_id}/changes", api_changes, name="api-contact-changes")
    r.add_post("/api/history", api_history, name="api-history")
    r.add_get("/api/referrals", api_referrals, name="api-referrals")
    r.add_post("/api/referrals/{referral_id}/report", api_report, name="api-referral-report")
