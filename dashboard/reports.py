"""Reports (``/rapporten``, managers): the figures of a day, a week, a month or a period,
with charts (Chart.js, served by the app) and every table as CSV, and a printable version.
``/api/reports`` gives the same figures as JSON; every export is audited."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from aiohttp import web

from callcenter.figures.reports import TABLES, Period, Report, build_report, period, report_csv
from callcenter.infra.xlsxout import to_xlsx
from callcenter.staff.errors import StaffError
from dashboard.keys import ADDRESS, OPS, SERVICE, STAFF, USER
from dashboard.render import render
from dashboard.web import parse_day

__all__ = ["setup"]

KINDS = {"day": "Dag", "week": "Week", "month": "Maand", "period": "Periode"}
TABLE_TITLES = {
    "wachtrijen": "Per wachtrij",
    "loketten": "Per loket",
    "onderwerpen": "Per onderwerp",
    "vuurtoren": "Naar de vuurtoren, per reden",
    "uren": "Oproepen per uur",
    "weekdagen": "Oproepen per weekdag",
    "kwartieren": "Per kwartier",
    "medewerkers": "Per medewerker en dag",
    "afhandelcodes": "Afhandelcodes per wachtrij",
    "organisaties": "Gezamenlijk onthaal: beantwoord per organisatie",
    "gemeenten": "Per gemeente",
}


PERCENT_COLUMNS = frozenset(
    {
        "servicelevel",
        "opgehangen (aandeel)",
        "beantwoord (aandeel)",
        "aandeel van alle oproepen",
        "aandeel van de wachtrij",
        "aandeel van de beantwoorde",
    }
)
"""Columns holding ratios: shown as percentages on the page (the CSV keeps the ratio)."""


def _period(request: web.Request) -> Period:
    q = request.query
    kind = q.get("soort", "day")
    today = request.app[SERVICE].clock.now().astimezone(request.app[SERVICE].site.zone).date()
    day = parse_day(q["datum"], "datum") if q.get("datum") else today
    end = parse_day(q.get("tot", ""), "tot") if kind == "period" else None
    try:
        return period(kind, day, end)
    except ValueError as exc:
        field = "tot" if kind == "period" else "soort"
        raise StaffError("invalid-field", str(exc), field=field) from None


async def page(request: web.Request) -> web.Response:
    try:
        p = _period(request)
        site_id = _site_id(request)
    except StaffError as exc:
        if exc.status == 403:  # another municipality's figures: not even the form with them
            raise
        p = period("day", request.app[SERVICE].clock.now().astimezone(
            request.app[SERVICE].site.zone).date())  # fmt: skip
        return await _render(
            request, p, None, status=exc.status, error=exc.message, error_field=exc.field
        )
    return await _render(request, p, site_id)


async def _render(
    request: web.Request, p: Period, site_id: str | None, status: int = 200, **extra: Any
) -> web.Response:
    service = request.app[SERVICE]
    report = await _report(request, p, site_id)
    printable = request.query.get("afdruk") == "1" and status == 200
    if printable:  # a printed report leaves the system: an export like the CSV files
        await _audit_export(request, "report:afdruk", p, excel=False)
    static = request.app.router["static"]
    query = f"soort={p.kind}&datum={p.start.isoformat()}"
    if p.kind == "period":
        query += f"&tot={p.end.isoformat()}"
    if report.data.get("site"):
        query += f"&gemeente={report.data['site']['id']}"
    return render(
        request,
        "reports.html",
        status=status,
        report=report.data,
        tables={name: report.table(name) for name in TABLES},
        titles=TABLE_TITLES,
        percent_cols=PERCENT_COLUMNS,
        kinds=KINDS,
        chosen=p,
        query=query,
        printable=printable,
        made_at=service.clock.now().astimezone(service.site.zone),
        site_name=service.site.name,
        sites=[(s.site_id, s.name) for s in service.site.sites],
        js=static.url_for(filename="reports.js"),
        chart_js=static.url_for(filename="vendor/chart.umd.min.js"),
        **extra,
    )


async def api_report(request: web.Request) -> web.Response:
    p = _period(request)
    report = await _report(request, p, _site_id(request))
    return web.json_response(report.data, dumps=_dumps)


async def _table_report(request: web.Request) -> tuple[str, Period, Report]:
    """The table the URL names, the period the query asks for, and its report."""
    table = request.match_info["table"]
    if table not in TABLES:
        raise StaffError(
            "not-found", f"Geen tabel {table!r} (kies uit {', '.join(TABLES)}).", status=404
        )
    p = _period(request)
    return table, p, await _report(request, p, _site_id(request))


def _site_id(request: web.Request) -> str | None:
    """A region's municipality the report is for (``gemeente``), None for all of it. A user
    limited to some municipalities gets only theirs: without ``gemeente`` their one, and a
    403 for the whole region when they have several, or for another's."""
    site = request.app[SERVICE].site
    given = request.query.get("gemeente", "")
    mine = request[USER].sites
    if mine and not given:
        if len(mine) == 1:
            return mine[0]
        raise StaffError(
            "forbidden",
            f"U ziet de cijfers van uw gemeenten, elk apart: kies er een ({', '.join(mine)}).",
            field="gemeente",
            status=403,
        )
    if mine and given not in mine:
        raise StaffError(
            "forbidden",
            f"De cijfers van {given!r} zijn niet voor u: u ziet die van {', '.join(mine)}.",
            field="gemeente",
            status=403,
        )
    if not given:
        return None
    if site.municipality(given) is None:
        known = ", ".join(s.site_id for s in site.sites) or "geen: dit is één site"
        raise StaffError(
            "invalid-field", f"Onbekende gemeente {given!r} (kies uit {known}).", field="gemeente"
        )
    return given


async def _report(request: web.Request, p: Period, site_id: str | None) -> Report:
    """The period's report (a region's municipality's: ``site_id``), its agents under their
    names."""
    users = await request.app[STAFF].users.list()
    names = {u.login: u.name for u in users}
    return await build_report(
        request.app[OPS].intervals.engine,
        request.app[SERVICE].site,
        p,
        names,
        site_id=site_id,
    )


def _dumps(value: object) -> str:
    return json.dumps(value, default=lambda v: v.isoformat(), ensure_ascii=False)


def _download(body: bytes, name: str, content_type: str) -> web.Response:
    return web.Response(
        body=body,
        content_type=content_type,
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )


async def api_export(request: web.Request) -> web.Response:
    """One table as CSV; ``excel=1``: semicolons and a BOM, as a Belgian Excel opens it."""
    table, p, report = await _table_report(request)
    excel = request.query.get("excel") == "1"
    body = report_csv(report, table, excel=excel)
    await _audit_export(request, f"report:{table}", p, excel=excel)
    response = _download(
        body.encode(), f"{table}-{p.start.isoformat()}-{p.end.isoformat()}.csv", "text/csv"
    )
    response.charset = "utf-8"
    return response


async def api_export_xlsx(request: web.Request) -> web.Response:
    """One table as an ``.xlsx`` workbook: typed numbers, ratios as percentages."""
    table, p, report = await _table_report(request)
    header, rows = report.table(table)
    body = await asyncio.to_thread(
        to_xlsx, table, header, rows, percent_columns=PERCENT_COLUMNS
    )  # a workbook is built off the loop that routes calls
    await _audit_export(request, f"report:{table}", p, excel=True)
    return _download(
        body,
        f"{table}-{p.start.isoformat()}-{p.end.isoformat()}.xlsx",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


async def _audit_export(request: web.Request, target: str, p: Period, *, excel: bool) -> None:
    await request.app[STAFF].audit.record(
        "export",
        actor=request[USER].login,
        target=target,
        detail={"from": p.start.isoformat(), "to": p.end.isoformat(), "excel": excel},
        address=request[ADDRESS],
    )


def setup(app: web.Application) -> None:
    r = app.router
    r.add_get("/rapporten", page, name="reports")
    r.add_get("/api/reports", api_report, name="api-reports")
    r.add_get("/api/reports/{table}.csv", api_export, name="api-reports-export")
    r.add_get("/api/reports/{table}.xlsx", api_export_xlsx, name="api-reports-xlsx")
