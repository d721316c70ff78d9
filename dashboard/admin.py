"""Administration: users and roles, the audit log (page and CSV), privacy requests."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from aiohttp import web
from multidict import MultiDictProxy

from callcenter.staff.audit import KINDS, to_csv
from callcenter.staff.errors import StaffError
from callcenter.staff.users import User
from dashboard.keys import ADDRESS, OPS, SERVICE, STAFF, USER
from dashboard.render import render
from dashboard.web import json_body, parse_day, record_id

__all__ = ["setup"]

ROLE_LABELS = {
    "agent": "Medewerker callcenter",
    "counter": "Medewerker loket",
    "manager": "Leidinggevende",
    "admin": "Beheerder",
}


def _user_id(request: web.Request) -> int:
    try:
        return record_id(request.match_info["user_id"])
    except ValueError:
        raise StaffError("user-not-found", "Deze gebruiker bestaat niet.", status=404) from None


def _fields(form: MultiDictProxy[Any]) -> dict[str, Any]:
    return {
        "name": str(form.get("name", "")),
        "roles": [str(v) for v in form.getall("roles", [])],
        "counters": [str(v) for v in form.getall("counters", [])],
        "interfaces": [i for i in str(form.get("interfaces", "")).replace(",", " ").split() if i],
        "organisation": str(form.get("organisation", "")),
        "sites": [str(v) for v in form.getall("sites", [])],
    }


def _counters(request: web.Request) -> list[tuple[str, str]]:
    return [(c.id, c.name) for c in request.app[SERVICE].site.counters]


async def users_page(request: web.Request, status: int = 200, **extra: Any) -> web.Response:
    users = await request.app[STAFF].users.list()
    return render(
        request,
        "admin_users.html",
        status=status,
        users=users,
        roles=ROLE_LABELS,
        counters=_counters(request),
        organisations=request.app[SERVICE].site.organisations,
        sites=[(s.site_id, s.name) for s in request.app[SERVICE].site.sites],
        now=datetime.now(UTC),
        **extra,
    )


async def users(request: web.Request) -> web.Response:
    return await users_page(request)


async def new_user(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    fields = _fields(form)
    try:
        user = await request.app[STAFF].users.add(
            str(form.get("login", "")),
            fields["name"],
            fields["roles"],
            str(form.get("password", "")),
            counters=fields["counters"],
            interfaces=fields["interfaces"],
            organisation=fields["organisation"],
            sites=fields["sites"],
            actor=request[USER].login,
            address=request[ADDRESS],
            temporary=True,  # the admin chose it: the user chooses their own at first login
        )
    except StaffError as exc:
        return await users_page(
            request, status=exc.status, error=exc.message, error_field=exc.field, draft=form
        )
    raise web.HTTPSeeOther(f"/admin/users/{user.id}?nieuw=1")


async def _user_page(
    request: web.Request, user: User, status: int = 200, **extra: Any
) -> web.Response:
    return render(
        request,
        "admin_user.html",
        status=status,
        subject=user,
        roles=ROLE_LABELS,
        counters=_counters(request),
        organisations=request.app[SERVICE].site.organisations,
        sites=[(s.site_id, s.name) for s in request.app[SERVICE].site.sites],
        now=datetime.now(UTC),
        created=request.query.get("nieuw") == "1",
        **extra,
    )


async def user_page(request: web.Request) -> web.Response:
    return await _user_page(request, await _subject(request))


async def update_user(request: web.Request) -> web.StreamResponse:
    staff = request.app[STAFF]
    form = await request.post()
    subject = await _subject(request)
    try:
        await staff.users.update(
            subject.id, actor=request[USER].login, address=request[ADDRESS], **_fields(form)
        )
    except StaffError as exc:
        return await _refused(request, subject, exc)
    raise web.HTTPSeeOther(f"/admin/users/{subject.id}?bewaard=1")


async def _subject(request: web.Request) -> User:
    """The user named in the URL; a Dutch 404 page when there is none."""
    try:
        return await request.app[STAFF].users.get(_user_id(request))
    except StaffError:
        raise web.HTTPNotFound(text="Deze gebruiker bestaat niet.") from None


async def _refused(request: web.Request, subject: User, exc: StaffError) -> web.Response:
    return await _user_page(
        request, subject, status=exc.status, error=exc.message, error_field=exc.field
    )


async def user_action(request: web.Request) -> web.StreamResponse:
    staff = request.app[STAFF]
    actor, address = request[USER].login, request[ADDRESS]
    action = request.match_info["action"]
    subject = await _subject(request)
    user_id = subject.id
    try:
        if action == "disable":
            await staff.users.set_active(user_id, False, actor=actor, address=address)
        elif action == "enable":
            await staff.users.set_active(user_id, True, actor=actor, address=address)
        elif action == "unlock":
            await staff.users.unlock(user_id, actor=actor, address=address)
        elif action == "password":
            form = await request.post()
            await staff.users.set_password(
                user_id,
                str(form.get("password", "")),
                actor=actor,
                address=address,
                temporary=subject.login != actor,  # the user chooses their own next
            )
        else:
            raise web.HTTPNotFound(text="Deze actie bestaat niet.")
    except StaffError as exc:
        return await _refused(request, subject, exc)
    raise web.HTTPSeeOther(f"/admin/users/{user_id}?bewaard=1")


# -- the audit log ------------------------------------------------------------------------------
def _day(text: str | None, field: str) -> date | None:
    return parse_day(text, field) if text else None


def _audit_filter(request: web.Request) -> dict[str, Any]:
    q = request.query
    zone = request.app[SERVICE].site.zone
    start, end = _day(q.get("van"), "van"), _day(q.get("tot"), "tot")
    kind = q.get("soort") or None
    if kind is not None and kind not in KINDS:
        raise StaffError("invalid-field", f"Onbekende soort {kind!r}.", field="soort")
    return {
        "actor": (q.get("gebruiker") or "").strip() or None,
        "kind": kind,
        "start": datetime.combine(start, time(), zone) if start else None,
        "end": datetime.combine(end + timedelta(days=1), time(), zone) if end else None,
    }


async def audit_page(request: web.Request) -> web.Response:
    try:
        filters = _audit_filter(request)
        entries = await request.app[STAFF].audit.query(**filters, limit=500)
        error = None
    except StaffError as exc:
        entries, error = [], exc.message
    return render(
        request,
        "admin_audit.html",
        status=400 if error else 200,
        entries=entries,
        kinds=KINDS,
        query=dict(request.query),
        error=error,
        zone=request.app[SERVICE].site.zone,
    )


async def audit_csv(request: web.Request) -> web.Response:
    staff = request.app[STAFF]
    try:
        filters = _audit_filter(request)
    except StaffError as exc:
        raise web.HTTPBadRequest(text=exc.message) from None
    entries = await staff.audit.query(**filters, limit=100_000)
    excel = request.query.get("excel") == "1"
    await staff.audit.record(
        "export",
        actor=request[USER].login,
        target="audit_log",
        detail={
            "rows": len(entries),
            "excel": excel,
            **{k: str(v) for k, v in filters.items() if v},
        },
        address=request[ADDRESS],
    )
    return web.Response(
        body=to_csv(entries, excel=excel).encode("utf-8"),
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": 'attachment; filename="auditlog.csv"'},
    )


# -- privacy -----------------------------------------------------------------------------------
async def privacy_page(request: web.Request, status: int = 200, **extra: Any) -> web.Response:
    staff = request.app[STAFF]
    preview = await staff.privacy.retention(staff.clock.now(), dry_run=True)
    return render(
        request,
        "admin_privacy.html",
        status=status,
        policy=staff.privacy.settings,
        preview=preview,
        **extra,
    )


async def privacy(request: web.Request) -> web.Response:
    return await privacy_page(request)


async def privacy_export(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    try:
        data = await request.app[STAFF].privacy.export(
            str(form.get("caller", ""))[:40], actor=request[USER].login, address=request[ADDRESS]
        )
    except StaffError as exc:
        return await privacy_page(
            request, status=exc.status, error=exc.message, error_field="caller"
        )
    return web.Response(
        body=json.dumps(data, ensure_ascii=False, indent=2).encode(),
        content_type="application/json",
        headers={"Content-Disposition": 'attachment; filename="inzage.json"'},
    )


async def privacy_erase(request: web.Request) -> web.Response:
    form = await request.post()
    if form.get("confirm") != "ja":
        return await privacy_page(
            request,
            status=400,
            error="Vink aan dat u het nummer definitief wilt wissen.",
            error_field="confirm",
        )
    try:
        erased = await request.app[STAFF].privacy.erase(
            str(form.get("caller", ""))[:40],
            texts=form.get("texts") == "ja",
            actor=request[USER].login,
            address=request[ADDRESS],
        )
    except StaffError as exc:
        return await privacy_page(
            request, status=exc.status, error=exc.message, error_field="caller"
        )
    return await privacy_page(request, erased=erased, texts_erased=form.get("texts") == "ja")


# -- the same over JSON ---------------------------------------------------------------------------
_USER_FIELDS: dict[str, type | tuple[type, ...]] = {
    "name": str,
    "roles": list,
    "counters": list,
    "interfaces": list,
    "organisation": (str, type(None)),
    "sites": list,
}


async def api_users(request: web.Request) -> web.Response:
    users = await request.app[STAFF].users.list()
    return web.json_response({"users": [u.as_json() for u in users]})


async def api_new_user(request: web.Request) -> web.Response:
    data = await json_body(
        request,
        {**_USER_FIELDS, "login": str, "password": str},
        frozenset({"login", "name", "roles", "password"}),
    )
    user = await request.app[STAFF].users.add(
        data["login"],
        data["name"],
        data["roles"],
        data["password"],
        counters=data.get("counters", []),
        interfaces=data.get("interfaces", []),
        organisation=data.get("organisation"),
        sites=data.get("sites", []),
        actor=request[USER].login,
        address=request[ADDRESS],
        temporary=True,
    )
    return web.json_response(user.as_json(), status=201)


async def api_user(request: web.Request) -> web.Response:
    return web.json_response((await request.app[STAFF].users.get(_user_id(request))).as_json())


async def api_patch_user(request: web.Request) -> web.Response:
    staff = request.app[STAFF]
    user_id = _user_id(request)
    data = await json_body(request, {**_USER_FIELDS, "active": bool})
    current = await staff.users.get(user_id)
    actor, address = request[USER].login, request[ADDRESS]
    if data.keys() & _USER_FIELDS.keys():
        current = await staff.users.update(
            user_id,
            name=data.get("name", current.name),
            roles=data.get("roles", sorted(current.roles)),
            counters=data.get("counters", list(current.counters)),
            interfaces=data.get("interfaces", list(current.interfaces)),
            organisation=data.get("organisation", current.organisation),
            sites=data.get("sites", list(current.sites)),
            actor=actor,
            address=address,
        )
    if "active" in data and data["active"] != current.active:
        current = await staff.users.set_active(
            user_id, data["active"], actor=actor, address=address
        )
    return web.json_response(current.as_json())


async def api_audit(request: web.Request) -> web.Response:
    entries = await request.app[STAFF].audit.query(**_audit_filter(request), limit=1000)
    return web.json_response(
        {
            "entries": [
                {
                    "id": e.id,
                    "at": e.at.isoformat(),
                    "actor": e.actor,
                    "kind": e.kind,
                    "target": e.target,
                    "detail": e.detail,
                    "address": e.address,
                }
                for e in entries
            ]
        }
    )


async def api_privacy_export(request: web.Request) -> web.Response:
    data = await json_body(request, {"caller": str}, frozenset({"caller"}))
    return web.json_response(
        await request.app[STAFF].privacy.export(
            data["caller"], actor=request[USER].login, address=request[ADDRESS]
        )
    )


async def api_privacy_erase(request: web.Request) -> web.Response:
    data = await json_body(request, {"caller": str}, frozenset({"caller"}))
    erased = await request.app[STAFF].privacy.erase(
        data["caller"], actor=request[USER].login, address=request[ADDRESS]
    )
    return web.json_response({"erased_calls": erased})


# -- the scheduler -------------------------------------------------------------------------------
def _jobs(request: web.Request) -> list[dict[str, Any]]:
    zone = request.app[SERVICE].site.zone

    def local(value: datetime | None) -> str | None:
        return None if value is None else value.astimezone(zone).isoformat(timespec="seconds")

    return [
        {
            "id": j.id,
            "name": j.name,
            "next_run": local(j.next_run),
            "runs": j.runs,
            "last_run": local(j.last_run),
            "last_error": j.last_error,
        }
        for j in request.app[OPS].jobs.jobs()
    ]


async def jobs_page(request: web.Request) -> web.Response:
    return render(
        request, "admin_jobs.html", jobs=_jobs(request), zone=request.app[SERVICE].site.zone.key
    )


async def api_jobs(request: web.Request) -> web.Response:
    return web.json_response({"jobs": _jobs(request)})


def setup(app: web.Application) -> None:
    r = app.router
    r.add_get("/admin/users", users, name="admin-users")
    r.add_post("/admin/users", new_user, name="admin-user-new")
    r.add_get("/admin/users/{user_id}", user_page, name="admin-user")
    r.add_post("/admin/users/{user_id}", update_user, name="admin-user-post")
    r.add_post("/admin/users/{user_id}/{action}", user_action, name="admin-user-action")
    r.add_get("/admin/audit", audit_page, name="admin-audit")
    r.add_get("/admin/audit.csv", audit_csv, name="admin-audit-csv")
    r.add_get("/admin/privacy", privacy, name="admin-privacy")
    r.add_post("/admin/privacy/export", privacy_export, name="admin-privacy-export")
    r.add_post("/admin/privacy/erase", privacy_erase, name="admin-privacy-erase")
    r.add_get("/admin/jobs", jobs_page, name="admin-jobs")
    r.add_get("/api/jobs", api_jobs, name="api-jobs")
    r.add_get("/api/users", api_users, name="api-users")
    r.add_post("/api/users", api_new_user, name="api-users-new")
    r.add_get("/api/users/{user_id}", api_user, name="api-user")
    r.add_patch("/api/users/{user_id}", api_patch_user, name="api-user-patch")
    r.add_get("/api/audit", api_audit, name="api-audit")
    r.add_post("/api/privacy/export", api_privacy_export, name="api-privacy-export")
    r.add_post("/api/privacy/erase", api_privacy_erase, name="api-privacy-erase")
