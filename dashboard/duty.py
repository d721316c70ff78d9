"""Agents and the lighthouse duty on the web: "Mijn wachtrijen" for agents and counter staff
(log in and out, pause with a reason, take over and hand back the duty), the rota for
managers, and their JSON API. Thin handlers: the work is in ``callcenter/agents/desk.py``
and ``callcenter/agents/duty.py``."""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from typing import Any

from aiohttp import web

from callcenter.contacts.register import CATEGORIES, OUTCOMES, REFERRAL_STATES
from callcenter.figures.staffing import Advice
from callcenter.infra.bus import BusMessage
from callcenter.staff.errors import StaffError
from dashboard.keys import ADDRESS, OPS, SERVICE, USER
from dashboard.render import render
from dashboard.sse import Event, serve_events
from dashboard.web import json_body, parse_day, record_id
from schedules.rota import WEEKDAYS

__all__ = ["setup"]


def _local(value: datetime | None, request: web.Request) -> str | None:
    if value is None:
        return None
    return value.astimezone(request.app[SERVICE].site.zone).isoformat()


def _duty_json(request: web.Request) -> dict[str, Any]:
    status = request.app[OPS].duty.status()
    for holder in status["on_duty"]:
        holder["until"] = _local(holder["until"], request)
    status["next_change"] = _local(status["next_change"], request)
    return status


def _agent_json(request: web.Request) -> dict[str, Any]:
    user = request[USER]
    ops = request.app[OPS]
    view = ops.desk.view(user)
    view["on_duty"] = user.id in ops.duty.on_duty()
    view["duty"] = _duty_json(request)
    return view


# -- "Mijn wachtrijen" --------------------------------------------------------------------------
async def agent_page(request: web.Request, status: int = 200, **extra: Any) -> web.Response:
    site = request.app[SERVICE].site
    user = request[USER]
    done = request.query.get("geregistreerd")
    if "registered" not in extra and done is not None:
        # the confirmation after post/redirect/get (a read of the registration: audited);
        # one that is not theirs, gone, or no id shows none
        with contextlib.suppress(StaffError, ValueError):
            extra["registered"] = await request.app[OPS].register.read(
                user, record_id(done), address=request[ADDRESS]
            )
    form = extra.get("form") or {}
    # a new key for every new form; a form sent back with an error keeps its own
    key = form.get("idempotency_key") or secrets.token_urlsafe(16)
    extra["form"] = {**form, "idempotency_key": key}
    context: dict[str, Any] = {
        "history": None,
        "zone": site.zone,
        "topics": {t.id: t.label for t in site.topics},
        "outcomes": OUTCOMES,
        "states": REFERRAL_STATES,
        "my_counters": [(c.id, c.name) for c in site.counters if c.id in user.counters],
        "overdue_mine": await request.app[OPS].register.overdue_count(user.login),
        "vocabulary": {
            "topics": [{"id": t.id, "label": t.label} for t in site.topics],
            "categories": list(CATEGORIES.items()),
            "outcomes": list(OUTCOMES.items()),
            "counters": [(c.id, c.name) for c in site.counters],
            "products": [(p.id, p.name) for p in request.app[OPS].catalog.products.values()],
        },
        **extra,
    }
    return render(
        request,
        "agent.html",
        status=status,
        me=_agent_json(request),
        codes={"login": site.agents.login_code},
        extend_seconds=site.agents.after_call_extend_seconds,
        js=request.app.router["static"].url_for(filename="agent.js"),
        **context,
    )


def _form_action(
    work: Callable[[web.Request, dict[str, str]], Awaitable[object]], page: str
) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """A form post: do the work, then back to the page (or the page with the error)."""

    async def handler(request: web.Request) -> web.StreamResponse:
        form = {k: str(v) for k, v in (await request.post()).items()}
        try:
            await work(request, form)
        except StaffError as exc:
            show = agent_page if page == "/agent" else rota_page
            return await show(request, status=exc.status, error=exc.message, error_field=exc.field)
        raise web.HTTPSeeOther(page)

    return handler


def _who(request: web.Request) -> dict[str, Any]:
    return {"actor": request[USER].login, "address": request[ADDRESS]}


async def _login(request: web.Request, data: dict[str, str]) -> object:
    return await request.app[OPS].desk.login(
        request[USER], data.get("queue") or None, **_who(request)
    )


async def _logout(request: web.Request, data: dict[str, str]) -> object:
    return await request.app[OPS].desk.logout(
        request[USER], data.get("queue") or None, **_who(request)
    )


async def _pause(request: web.Request, data: dict[str, str]) -> None:
    await request.app[OPS].desk.pause(request[USER], data.get("reason", ""), **_who(request))


async def _resume(request: web.Request, data: dict[str, str]) -> None:
    await request.app[OPS].desk.unpause(request[USER], **_who(request))


async def _after_call_done(request: web.Request, data: dict[str, str]) -> None:
    await request.app[OPS].desk.finish_after_call(request[USER])


async def _after_call_extend(request: web.Request, data: dict[str, str]) -> None:
    await request.app[OPS].desk.extend_after_call(request[USER])


async def _wrapup(request: web.Request, data: dict[str, str]) -> None:
    call_id = str(data.get("call_id", "")).strip()
    if not call_id or len(call_id) > 64:
        raise StaffError("invalid-field", "Welke oproep?", field="call_id")
    await request.app[OPS].desk.choose_code(request[USER], call_id, str(data.get("code", "")))


async def _transfer(request: web.Request, data: dict[str, str]) -> None:
    await request.app[OPS].transfer(
        request[USER], str(data.get("counter", "")), address=request[ADDRESS]
    )


async def _take_over(request: web.Request, data: dict[str, str]) -> object:
    giver = data.get("from") or None
    return await request.app[OPS].duty.take_over(
        request[USER], None if giver == "-" else giver, beside=giver == "-", **_who(request)
    )


async def _hand_back(request: web.Request, data: dict[str, str]) -> object:
    return await request.app[OPS].duty.hand_back(request[USER], **_who(request))


def _api_action(
    work: Callable[[web.Request, dict[str, str]], Awaitable[object]],
    fields: dict[str, type | tuple[type, ...]] | None = None,
) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def handler(request: web.Request) -> web.Response:
        data: dict[str, Any] = {}
        if request.can_read_body:
            data = await json_body(request, fields or {})
        await work(request, data)
        return web.json_response(_agent_json(request))

    return handler


async def api_agent(request: web.Request) -> web.Response:
    return web.json_response(_agent_json(request))


async def agent_stream(request: web.Request) -> web.StreamResponse:
    """The agent's console, live: ``call`` when a caller is put through to one of their
    phones (the screen pop, at once), ``me`` when their queues or pauses changed (looked at
    at most every :data:`ME_EVERY` seconds, sent only when different: a busy site changes
    its queues hundreds of times a second)."""
    user = request[USER]
    phones = set(user.interfaces)
    mine = {seat.queue for seat in request.app[OPS].desk.seats(user)}
    last = _agent_json(request)

    def is_mine(m: BusMessage) -> bool:
        return m.kind == "connect" and m.payload.get("interface") in phones

    def my_phone(m: BusMessage) -> bool:
        """The agent's own state changed (a ring, a call, after-call work): at once."""
        return m.kind == "agent" and m.payload.get("interface") in phones | {""}

    def pick(burst: list[BusMessage]) -> list[Event]:
        nonlocal last
        out: list[Event] = [("call", m.payload) for m in burst if is_mine(m)]
        if any(
            (m.kind == "queue" and m.payload.get("queue") in mine) or my_phone(m) for m in burst
        ):
            now = _agent_json(request)
            if now != last:
                last = now
                out.append(("me", now))
        return out

    return await serve_events(
        request,
        "api-agent-stream",
        [("me", last)],
        pick,
        coalesce=ME_EVERY,
        urgent=lambda m: is_mine(m) or my_phone(m),
    )


ME_EVERY = 0.2


async def api_duty(request: web.Request) -> web.Response:
    return web.json_response(_duty_json(request))


# -- the rota (managers) --------------------------------------------------------------------------
async def _agents(request: web.Request) -> list[tuple[str, str]]:
    users = await request.app[OPS].desk.users.list()
    return [(u.login, u.name) for u in users if u.active and u.has("agent")]


def _advice_json(request: web.Request, advice: Advice) -> dict[str, Any]:
    zone = request.app[SERVICE].site.zone
    return {
        "weeks": advice.weeks,
        "target_percent": advice.target_percent,
        "target_seconds": advice.target_seconds,
        "short_slots": advice.short_slots,
        "days": [
            {"date": day.isoformat(), "slots": [s.as_json(zone) for s in slots]}
            for day, slots in advice.days
        ],
    }


def _advice_table(advice: Advice) -> dict[str, Any]:
    """Rows: the half hours in which the lighthouse is open on some day; columns: days."""
    days = [day for day, _ in advice.days]
    by_time: dict[str, list[Any]] = {}
    for column, (_, slots) in enumerate(advice.days):
        for slot in slots:
            label = slot.starts.strftime("%H:%M")
            by_time.setdefault(label, [None] * len(days))[column] = slot
    rows = [
        (label, cells)
        for label, cells in sorted(by_time.items())
        if any(c is not None and c.open for c in cells)
    ]
    return {"days": days, "rows": rows}


async def rota_page(request: web.Request, status: int = 200, **extra: Any) -> web.Response:
    ops = request.app[OPS]
    await ops.duty.load()
    advice = await ops.advice()
    return render(
        request,
        "rota.html",
        status=status,
        rota=ops.duty.table(),
        duty=_duty_json(request),
        agents=await _agents(request),
        weekdays=list(enumerate(WEEKDAYS)),
        today=ops.service.clock.now().astimezone(ops.service.site.zone).date().isoformat(),
        advice=advice,
        table=_advice_table(advice),
        day_names=WEEKDAYS,
        **extra,
    )


def _weekday(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = -1
    if not 0 <= value <= 6:
        raise StaffError("invalid-field", "Kies een dag van de week.", field="weekday")
    return value


def _day(text: str) -> date:
    return parse_day(text, "day")


def _ends(data: dict[str, Any]) -> str:
    """The form's end time: a time field, or "tot middernacht" (24:00, which no time field
    can hold); the JSON API sends the text as it is."""
    return "24:00" if data.get("midnight") == "1" else str(data.get("ends", ""))


async def _add_shift(request: web.Request, data: dict[str, Any]) -> object:
    return await request.app[OPS].duty.add_shift(
        _weekday(str(data.get("weekday", ""))),
        str(data.get("starts", "")),
        _ends(data),
        str(data.get("user", "")),
        **_who(request),
    )


async def _add_exception(request: web.Request, data: dict[str, Any]) -> object:
    return await request.app[OPS].duty.add_exception(
        _day(str(data.get("day", ""))),
        str(data.get("kind", "")),
        str(data.get("user", "")),
        str(data.get("starts", "")),
        _ends(data),
        str(data.get("note", "")),
        **_who(request),
    )


def _delete(what: str) -> Callable[[web.Request, dict[str, str]], Awaitable[object]]:
    async def work(request: web.Request, data: dict[str, str]) -> object:
        try:
            item = record_id(request.match_info["item_id"])
        except ValueError:
            raise StaffError("not-found", "Die regel bestaat niet.", status=404) from None
        await request.app[OPS].duty.delete(what, item, **_who(request))
        return None

    return work


async def api_advice(request: web.Request) -> web.Response:
    weeks = request.query.get("weeks", "8")
    if not weeks.isdigit() or not 1 <= int(weeks) <= 52:
        raise StaffError("invalid-field", "weeks: 1 to 52.", field="weeks")
    advice = await request.app[OPS].advice(int(weeks))
    return web.json_response(_advice_json(request, advice))


async def api_rota(request: web.Request) -> web.Response:
    ops = request.app[OPS]
    await ops.duty.load()
    return web.json_response({**ops.duty.table(), "duty": _duty_json(request)})


def _api_rota_add(
    work: Callable[[web.Request, dict[str, Any]], Awaitable[object]],
    fields: dict[str, type | tuple[type, ...]],
    required: frozenset[str],
) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def handler(request: web.Request) -> web.Response:
        data = await json_body(request, fields, required)
        await work(request, data)
        return await _rota_created(request)

    return handler


async def _rota_created(request: web.Request) -> web.Response:
    response = await api_rota(request)
    response.set_status(201)
    return response


async def api_rota_delete_shift(request: web.Request) -> web.Response:
    await _delete("shift")(request, {})
    return await api_rota(request)


async def api_rota_delete_exception(request: web.Request) -> web.Response:
    await _delete("exception")(request, {})
    return await api_rota(request)


def setup(app: web.Application) -> None:
    r = app.router
    r.add_get("/agent", agent_page, name="agent")
    for action, work in (
        ("login", _login),
        ("logout", _logout),
        ("pause", _pause),
        ("resume", _resume),
        ("takeover", _take_over),
        ("handback", _hand_back),
        ("aftercall/done", _after_call_done),
        ("aftercall/extend", _after_call_extend),
        ("wrapup", _wrapup),
        ("transfer", _transfer),
    ):
        name = "agent-" + action.replace("/", "-")
        r.add_post(f"/agent/{action}", _form_action(work, "/agent"), name=name)
    r.add_get("/api/agent", api_agent, name="api-agent")
    r.add_get("/api/agent/stream", agent_stream, name="api-agent-stream")
    r.add_post("/api/agent/login", _api_action(_login, {"queue": str}), name="api-agent-login")
    r.add_post("/api/agent/logout", _api_action(_logout, {"queue": str}), name="api-agent-logout")
    r.add_post("/api/agent/pause", _api_action(_pause, {"reason": str}), name="api-agent-pause")
    r.add_post("/api/agent/resume", _api_action(_resume), name="api-agent-resume")
    r.add_post(
        "/api/agent/aftercall/done", _api_action(_after_call_done), name="api-agent-aftercall-done"
    )
    r.add_post(
        "/api/agent/aftercall/extend",
        _api_action(_after_call_extend),
        name="api-agent-aftercall-extend",
    )
    r.add_post(
        "/api/agent/transfer",
        _api_action(_transfer, {"counter": str}),
        name="api-agent-transfer",
    )
    r.add_post(
        "/api/agent/wrapup",
        _api_action(_wrapup, {"call_id": str, "code": str}),
        name="api-agent-wrapup",
    )
    r.add_post(
        "/api/duty/takeover", _api_action(_take_over, {"from": str}), name="api-duty-takeover"
    )
    r.add_post("/api/duty/handback", _api_action(_hand_back), name="api-duty-handback")
    r.add_get("/api/duty", api_duty, name="api-duty")

    r.add_get("/rota", rota_page, name="rota")
    r.add_post("/rota/shifts", _form_action(_add_shift, "/rota"), name="rota-shift-new")
    r.add_post("/rota/exceptions", _form_action(_add_exception, "/rota"), name="rota-exception-new")
    r.add_post(
        "/rota/shifts/{item_id}/delete",
        _form_action(_delete("shift"), "/rota"),
        name="rota-shift-delete",
    )
    r.add_post(
        "/rota/exceptions/{item_id}/delete",
        _form_action(_delete("exception"), "/rota"),
        name="rota-exception-delete",
    )
    r.add_get("/api/rota", api_rota, name="api-rota")
    r.add_get("/api/rota/advice", api_advice, name="api-rota-advice")
    r.add_post(
        "/api/rota/shifts",
        _api_rota_add(
            _add_shift,
            {"weekday": int, "starts": str, "ends": str, "user": str},
            frozenset({"weekday", "starts", "ends", "user"}),
        ),
        name="api-rota-shift-new",
    )
    r.add_post(
        "/api/rota/exceptions",
        _api_rota_add(
            _add_exception,
            {"day": str, "kind": str, "user": str, "starts": str, "ends": str, "note": str},
            frozenset({"day", "kind", "user"}),
        ),
        name="api-rota-exception-new",
    )
    r.add_delete("/api/rota/shifts/{item_id}", api_rota_delete_shift, name="api-rota-shift-delete")
    r.add_delete(
        "/api/rota/exceptions/{item_id}",
        api_rota_delete_exception,
        name="api-rota-exception-delete",
    )
