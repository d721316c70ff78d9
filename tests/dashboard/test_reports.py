"""Reports against values worked out by hand: a day's calls and visits stored, then the
report's figures per queue, counter and topic, the lighthouse by reason, calls per hour and
weekday, the quarter hours; periods; the page; CSV and Excel exports (audited); refusals."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date

import pytest

from callcenter.figures.reports import period
from callcenter.staff.services import StaffServices
from callcenter.staff.users import User
from callcenter.store import CallStore
from callcenter.store.records import Outcome
from routing.types import Reason, Target
from tests.dashboard.conftest import Session
from tests.dashboard.test_wallboard import V, call, visit
from tests.service.conftest import at

Browse = Callable[[], Awaitable[Session]]


@pytest.fixture
async def day(staff: StaffServices) -> None:
    sd, lh = "sociale-dienst", "lighthouse"
    t9, t10, t14 = at("2026-11-23 09:05"), at("2026-11-23 10:20"), at("2026-11-23 14:50")
    calls = [
        call("1", t9, Target.COUNTER, Reason.OPEN, [visit(sd, t9, V.ANSWERED, 10)]),
        call("2", t9, Target.COUNTER, Reason.OPEN, [visit(sd, t9, V.ANSWERED, 40)]),
        call("3", t10, Target.COUNTER, Reason.OPEN, [visit(sd, t10, V.ABANDONED, 60)]),
        call("4", t10, Target.COUNTER, Reason.OPEN, [visit(sd, t10, V.ABANDONED_SHORT, 3)]),
        call(
            "5",
            t10,
            Target.COUNTER,
            Reason.OPEN,
            [visit(sd, t10, V.TIMEOUT, 180), visit(lh, t10, V.ANSWERED, 5)],
        ),
        call("6", t14, Target.LIGHTHOUSE, Reason.CLOSED, [visit(lh, t14, V.ANSWERED, 8)]),
        call("7", t14, Target.LIGHTHOUSE, Reason.OVERFLOW, [visit(lh, t14, V.CALLBACK, 12)]),
        call("8", t14, Target.LAST_RESORT, Reason.CLOSED, [], None),
        call(  # the next day: in no report of the 23rd
            "9",
            at("2026-11-24 09:00"),
            Target.COUNTER,
            Reason.OPEN,
            [visit(sd, at("2026-11-24 09:00"), V.ANSWERED, 1)],
        ),
    ]
    outcomes = ["answered", "answered", "abandoned", "abandoned", "answered", "answered"]
    outcomes += ["callback", "last_resort", "answered"]
    for c, o in zip(calls, outcomes, strict=True):
        c.outcome = Outcome(o)
        for v in c.visits:
            v.talk_seconds = 100 if v.outcome is V.ANSWERED else None
            v.agent = "Eva Claes" if v.outcome is V.ANSWERED else None  # an agent's day
    await CallStore(staff.audit.engine).save_many(calls)


async def as_manager(browse: Browse) -> Session:
    s = await browse()
    assert (await s.login("manager1")).status == 303
    return s


async def test_a_days_report_by_hand(
    browse: Browse, people: dict[str, User], staff: StaffServices, day: None
) -> None:
    m = await as_manager(browse)
    r = await (await m.api("GET", "/api/reports?soort=day&datum=2026-11-23")).json()
    assert r["period"] == {
        "kind": "day",
        "start": "2026-11-23",
        "end": "2026-11-23",
        "label": "maandag 23/11/2026",
        "days": 1,
    }
    q = {x["queue"]: x for x in r["queues"]}
    sd = q["sociale-dienst"]
    assert [sd[k] for k in ("queued", "answered", "abandoned", "abandoned_short", "timeout")] == [
        5,
        2,
        1,
        1,
        1,
    ]
    # SL 1/4; abandon rate 1/(5-1-0); answer rate 2/4; ASA 25; AHT 100; max 180; p90 of
    # [3, 10, 40, 60, 180] = 180
    assert (sd["service_level"], sd["abandon_rate"], sd["answer_rate"]) == (0.25, 0.25, 0.5)
    assert (sd["asa_seconds"], sd["aht_seconds"]) == (25.0, 100.0)
    assert (sd["max_wait_seconds"], sd["p90_wait_seconds"]) == (180, 180)
    lh = q["lighthouse"]
    assert (lh["queued"], lh["answered"], lh["callback"], lh["service_level"]) == (3, 2, 1, 1.0)
    assert r["totals"] == {
        "arrived": 8,
        "routed": 8,
        "answered": 4,
        "lighthouse": 2,
        "lighthouse_share": 0.25,
        "closed": 2,
        "closed_coverage": 0.5,
        "refused": 1,
        "last_resort": 1,
    }
    assert r["lighthouse_by_reason"] == {"closed": 1, "overflow": 1}
    counters = {c["id"]: c for c in r["counters"]}
    assert counters["sociale-dienst"]["arrived"] == 8  # every test call is the sociale dienst's
    assert counters["sociale-dienst"]["closed"] == {"closed": 2}
    assert counters["sociale-dienst"]["refused"] == {"overflow": 1}
    # the topic's visits, in both queues: waits 10, 40, 60, 3 (short), 180 (timeout) at the
    # sociale dienst (T_sl 20 s); 5, 8 and 12 (callback) at the lighthouse
    topic = {t["id"]: t for t in r["topics"]}["financiele-hulp"]
    assert (topic["arrived"], topic["answered"], topic["to_lighthouse"]) == (8, 4, 2)
    tv = topic["visits"]
    assert (tv["queued"], tv["answered"], tv["abandoned"], tv["timeout"]) == (8, 4, 1, 1)
    assert (tv["service_level"], tv["asa_seconds"]) == (0.5, 15.8)  # 3/6; 63/4
    assert (tv["max_wait_seconds"], tv["p90_wait_seconds"]) == (180, 180)
    assert r["by_hour"][9] == 2 and r["by_hour"][10] == 3 and r["by_hour"][14] == 3
    assert r["by_weekday"] == [8, 0, 0, 0, 0, 0, 0]
    quarters = {i["start"][11:16]: i for i in r["intervals"]}
    assert set(quarters) == {"09:00", "10:15", "14:45"}
    # 10:20: calls 3, 4 and 5 (its counter visit and its lighthouse visit)
    assert (quarters["10:15"]["queued"], quarters["10:15"]["answered"]) == (4, 1)


async def test_periods_exports_and_the_page(
    browse: Browse, people: dict[str, User], staff: StaffServices, day: None
) -> None:
    m = await as_manager(browse)
    week = await (await m.api("GET", "/api/reports?soort=week&datum=2026-11-25")).json()
    assert (week["period"]["start"], week["period"]["end"]) == ("2026-11-23", "2026-11-29")
    assert week["totals"]["arrived"] == 9
    assert [i["start"] for i in week["intervals"]][:1] == ["09:00"]  # by time of day
    month = period("month", date(2026, 2, 10))
    assert (month.start, month.end) == (date(2026, 2, 1), date(2026, 2, 28))
    csv = await m.client.get("/api/reports/wachtrijen.csv?soort=day&datum=2026-11-23")
    assert csv.status == 200 and csv.headers["Content-Type"].startswith("text/csv")
    text = await csv.text()
    lines = text.strip().splitlines()
    assert lines[0].startswith("wachtrij,naam,in wachtrij,beantwoord,opgehangen")
    assert any(line.startswith("sociale-dienst,Sociale dienst,5,2,1,1,1,0,") for line in lines)
    excel = await m.client.get("/api/reports/uren.csv?soort=day&datum=2026-11-23&excel=1")
    body = await excel.text()
    assert body.startswith("\ufeffuur;oproepen") and "09:00;2" in body
    exports = await staff.audit.query(kind="export")
    assert [e.target for e in exports] == ["report:uren", "report:wachtrijen"]
    # numbers as a Belgian Excel reads them: a decimal comma, no ".0"
    excel_q = await m.client.get("/api/reports/wachtrijen.csv?soort=day&datum=2026-11-23&excel=1")
    rows = (await excel_q.text()).splitlines()
    assert any(";0,25;" in r for r in rows) and not any(".0;" in r for r in rows[1:])
    page = await (await m.client.get("/rapporten?soort=day&datum=2026-11-23")).text()
    assert "Rapport: maandag 23/11/2026" in page and 'id="grafiek-uren"' in page
    assert "25,0 %" in page and "25.0 %" not in page  # a percentage, with a decimal comma
    # the summary leads with the four figures; a day has no weekday chart, no empty hours
    summary = page.index('id="totaal"')
    assert summary < page.index("Servicelevel</dt>") < page.index("Opgehangen</dt>")
    assert page.index("Langste wachttijd</dt>") < page.index("Oproepen</dt>")
    assert 'id="t-weekdagen"' not in page and '<th scope="row">03:00</th>' not in page
    assert '<th scope="row">09:00</th>' in page
    # the agents' day: in the page's table and in its chart data (a day as ISO text)
    assert '<th scope="row">ma 23/11/2026</th>' in page
    assert '"day": "2026-11-23"' in page
    printable = await (await m.client.get("/rapporten?soort=day&datum=2026-11-23&afdruk=1")).text()
    assert "chart.umd.min.js" not in printable and "Per kwartier" in printable
    assert "<canvas" not in printable and "<form" not in printable.split("<main", 1)[1]
    assert "Sociaal Huis Voorbeeld · opgemaakt op" in printable and "Per onderwerp" in printable
    exports = await staff.audit.query(kind="export")
    assert "report:afdruk" in [e.target for e in exports]  # a printed report leaves too
    bad = await m.api("GET", "/api/reports?soort=period&datum=2026-11-23&tot=2026-11-01")
    assert bad.status == 400 and (await bad.json())["error"]["field"] == "tot"
    bad = await m.api("GET", "/api/reports?soort=day&datum=23-11-2026")
    assert bad.status == 400 and (await bad.json())["error"]["field"] == "datum"
    assert (await m.api("GET", "/api/reports/geheim.csv?soort=day")).status == 404
    shown = await m.client.get("/rapporten?soort=period&datum=2026-11-23&tot=2026-11-01")
    assert shown.status == 400 and "tot" in await shown.text()
    agent = await browse()
    assert (await agent.login("agent1")).status == 303
    assert (await agent.api("GET", "/api/reports?soort=day")).status == 403


async def test_a_report_table_as_a_real_workbook(
    browse: Browse, people: dict[str, User], staff: StaffServices, day: None
) -> None:
    """Issue 25, point 9: the .xlsx export holds typed cells (numbers, percentages), which
    Excel reads in any locale; audited like the CSV."""
    import io
    import zipfile

    m = await as_manager(browse)
    answer = await m.client.get("/api/reports/wachtrijen.xlsx?soort=day&datum=2026-11-23")
    assert answer.status == 200
    assert answer.headers["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    book = zipfile.ZipFile(io.BytesIO(await answer.read()))
    sheet = book.read("xl/worksheets/sheet1.xml").decode()
    styles = book.read("xl/styles.xml").decode()
    assert 'formatCode="0.0%"' in styles  # ratios shown as percentages
    # the counts are numbers, not text (a text cell has t="s")
    cells = sheet.split("<c ")[1:]
    numbers = [c for c in cells if 't="s"' not in c.split(">")[0]]
    assert len(numbers) > 10
    exports = await staff.audit.query(kind="export")
    assert exports[0].target == "report:wachtrijen" and exports[0].detail["excel"] is True
