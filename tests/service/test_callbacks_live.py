"""Calling citizens back, against the simulated Asterisk over TCP with its clock at 40x: the
queued callback that keeps its place in line, the last resort's request called back at the
next opening, one click from the callback list (the agent's phone first), retries, and never
two callbacks for one number in one queue."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import re
from collections.abc import AsyncIterator
from datetime import date, timedelta
from typing import Any

import aiohttp
import pytest
from sqlalchemy import select

from callcenter.contacts.dialer import ACTOR
from callcenter.figures.reports import build_report, period
from callcenter.figures.stats import queue_stats
from callcenter.simulator import SimSettings
from callcenter.simulator.callbacks import Citizen
from callcenter.simulator.queues import Device
from callcenter.staff.errors import StaffError
from callcenter.store.models import CallbackAttemptRow, DialRow
from routing.site import Site
from tests.ami.test_client import until
from tests.service.conftest import Stack, StackFactory, at, lone_sim

PASSWORD = "een-goed-wachtwoord-agent"
POSTGRES = os.environ.get("VUURTOREN_TEST_POSTGRES_URL")


def roomy(site: Site, **callbacks: Any) -> Site:
    """The example site where a long line never overflows to the lighthouse (so a callback
    can wait in line), with other callback settings if given."""
    counters = tuple(
        dataclasses.replace(c, max_waiting=20, max_wait_seconds=7200) for c in site.counters
    )
    return dataclasses.replace(
        site,
        counters=counters,
        callbacks=dataclasses.replace(site.callbacks, **callbacks),
    )


def one_agent(s: Stack, queue: str) -> Device:
    """Leave one phone in ``queue`` (the others leave it), answering every call at once."""
    q = s.sim.ast.queues[queue]
    first, *others = sorted(q.members)
    for iface in others:
        q.remove_member(iface)
    device = q.members[first].device
    device.answer_probability, device.answer_delay = 1.0, (1.0, 1.0)
    return device


async def dials(s: Stack) -> list[DialRow]:
    async with s.run.ops.dialer.sessions() as session:
        return list(await session.scalars(select(DialRow).order_by(DialRow.id)))


async def attempts(s: Stack, call_id: str) -> list[tuple[str, str]]:
    async with s.run.ops.dialer.sessions() as session:
        rows = await session.scalars(
            select(CallbackAttemptRow)
            .where(CallbackAttemptRow.call_id == call_id)
            .order_by(CallbackAttemptRow.id)
        )
        return [(a.actor, a.result) for a in rows]


@contextlib.asynccontextmanager
async def logged_in(s: Stack, login: str) -> AsyncIterator[tuple[aiohttp.ClientSession, str]]:
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        form = await (await http.get(s.run.url + "login")).text()
        token = re.search(r'name="csrf" value="([^"]+)"', form)
        assert token
        await http.post(
            s.run.url + "login",
            data={"login": login, "password": PASSWORD, "csrf": token.group(1)},
        )
        page = await (await http.get(s.run.url + "terugbellen")).text()
        csrf = re.search(r'name="csrf" value="([^"]+)"', page)
        assert csrf
        yield http, csrf.group(1)


async def until_async(check: Any, timeout: float = 20) -> None:
    async with asyncio.timeout(timeout):
        while not await check():
            await asyncio.sleep(0.05)


async def test_a_queued_callback_keeps_its_place_and_is_called_when_an_agent_frees_up(
    stack: StackFactory, example_site: Site
) -> None:
    async with stack(at("2026-11-23 10:00"), site=roomy(example_site)) as s:
        ast = s.sim.ast
        one_agent(s, "sociale-dienst")
        bus = s.run.service.bus.subscribe()
        pops: list[dict[str, Any]] = []

        async def collect() -> None:
            while True:
                m = await bus.get()
                if m.kind == "connect" and m.payload.get("callback"):
                    pops.append(m.payload)

        collector = asyncio.create_task(collect())
        connects: list[str] = []
        ast.listen(
            lambda e: connects.append(e.get("Linkedid") or "") if e.name == "AgentConnect" else None
        )
        busy = s.call(number="+32470900001", digits="1", talk_seconds=90, patience=600)
        await until(lambda: busy.truth.outcome == "answered", 10)
        bea = "+32470900002"
        ast.citizens[bea] = Citizen("answer", delay=3, talk=20)
        # she presses the key half a minute in line: the next caller (whose welcome and
        # announcement take some 20 s) is behind her by then
        b = s.call(number=bea, digits="1", patience=900, callback_after=30)
        await until(lambda: len(ast.queues["sociale-dienst"].entries) == 1, 10)
        c = s.call(number="+32470900003", digits="1", patience=900, talk_seconds=5)
        await until(lambda: len(ast.queues["sociale-dienst"].entries) == 2, 10)
        # Bea presses the key at the head of the line and hangs up; her stand-in takes her place
        rec = await s.record(b.truth.linkedid, timeout=30)
        assert rec.outcome is not None and rec.outcome.value == "callback"
        assert [v.outcome.value for v in rec.visits if v.outcome] == ["callback"]
        await until(lambda: len(ast.queues["sociale-dienst"].entries) == 2, 10)
        first = ast.queues["sociale-dienst"].entries[0].channel
        assert first.linkedid.startswith("vtcb-")  # in Bea's place, ahead of the third caller
        # Vuurtoren sees the line in the same order: the third caller is told "second"
        live = s.run.service.tracker.queues["sociale-dienst"]
        await until(lambda: next(iter(live.waiting), None) == first.uniqueid, 10)
        later = ast.clock.now() + timedelta(minutes=10)
        [(uid, _, files)] = s.run.service.voice.due(later)
        assert uid == ast.queues["sociale-dienst"].entries[1].channel.uniqueid
        assert files[0].endswith("/nl/positie-2")
        # the agent frees up: the stand-in is answered before the third caller
        await until(lambda: c.truth.outcome == "answered", 90)
        callback_connect = next(i for i, x in enumerate(connects) if x.startswith("vtcb-"))
        assert callback_connect < connects.index(c.truth.linkedid)
        await until_async(lambda: _has(s, b.truth.linkedid, [(ACTOR, "reached")]), 60)
        [row] = await dials(s)
        assert (row.state, row.kind, row.attempts, row.position) == ("reached", "queued", 1, 1)
        assert row.agent  # the member who took it
        collector.cancel()
        [pop] = pops  # the agent's screen pop names the callback and the citizen
        assert (pop["call_id"], pop["caller"], pop["reason"]) == (b.truth.linkedid, bea, "callback")
        assert pop["topic"] == "financiele-hulp"
        assert all(item.call_id != b.truth.linkedid for item in await s.run.ops.callbacks.lost())
        # in the figures: Bea's visit counts as CB, her stand-in not at all
        await s.record(c.truth.linkedid, timeout=30)
        await s.record(busy.truth.linkedid, timeout=30)
        figures = queue_stats(await s.run.store.all_calls(), s.run.service.site)["sociale-dienst"]
        assert (figures.queued, figures.callback) == (3, 1)
        # ...and the day's report has the stand-in on a line of its own: Asterisk's
        # queue_log counts it as a visit, a supervisor can reconcile the two
        report = await build_report(
            s.run.store.engine, s.run.service.site, period("day", date(2026, 11, 23))
        )
        [line] = [q for q in report.data["queues"] if q["queue"] == "sociale-dienst"]
        assert (line["queued"], line["stand_ins"], line["stand_ins_answered"]) == (3, 1, 1)
        header, rows = report.table("wachtrijen")
        assert header[-2:] == ["terugbelplaatsen", "terugbelplaatsen opgenomen"]
        assert [r[-2:] for r in rows if r[0] == "sociale-dienst"] == [[1, 1]]


async def _has(s: Stack, call_id: str, expected: list[tuple[str, str]]) -> bool:
    return await attempts(s, call_id) == expected


async def test_a_last_resort_request_is_called_back_at_the_counters_next_opening(
    stack: StackFactory,
) -> None:
    # 13:24 on a Monday: the onthaal is closed until 13:30; the lighthouse is open but has
    # nobody on duty, so the caller reaches the last resort and asks for a callback
    settings = SimSettings(failsafe_seconds=6, lighthouse_agents=0)
    async with stack(at("2026-11-23 13:24"), settings=settings) as s:
        ast = s.sim.ast
        number = "+32470900010"
        ast.citizens[number] = Citizen("answer", delay=2, talk=10)
        call = s.call(number=number, digits="0", last_resort_choice="callback")
        rec = await s.record(call.truth.linkedid, timeout=30)
        assert rec.outcome is not None and rec.outcome.value == "last_resort"
        await until_async(lambda: _dial_state(s, "waiting"), 10)
        [row] = await dials(s)
        assert row.kind == "opening" and row.queue == "onthaal"
        assert row.next_at == at("2026-11-23 13:30")
        assert any(j.id == "callbacks" and j.next_run == row.next_at for j in s.run.ops.jobs.jobs())
        # nothing happens before 13:30; then the onthaal's agents take it and Vuurtoren dials
        assert ast.clock.now() < at("2026-11-23 13:30")
        await until_async(lambda: _has(s, call.truth.linkedid, [(ACTOR, "reached")]), 60)
        [row] = await dials(s)
        assert row.state == "reached"
        assert ast.clock.now() >= at("2026-11-23 13:30")


async def _dial_state(s: Stack, state: str) -> bool:
    rows = await dials(s)
    return bool(rows) and rows[-1].state == state


async def test_a_citizen_not_reached_is_tried_again_then_left_on_the_list(
    stack: StackFactory, example_site: Site
) -> None:
    site = roomy(example_site, attempts=2, retry_minutes=2)
    async with stack(at("2026-11-23 10:00"), site=site) as s:
        ast = s.sim.ast
        one_agent(s, "sociale-dienst")
        number = "+32470900020"
        ast.citizens[number] = Citizen("no_answer")
        # the agent is busy until the citizen (welcome and announcement: some 20 s) has
        # joined the line and pressed the key
        busy = s.call(number="+32470900021", digits="1", talk_seconds=60, patience=600)
        await until(lambda: busy.truth.outcome == "answered", 10)
        call = s.call(number=number, digits="1", patience=900, callback_after=3)
        expected = [(ACTOR, "no_answer"), (ACTOR, "no_answer")]
        await until_async(lambda: _has(s, call.truth.linkedid, expected), 120)
        await until_async(lambda: _dial_state(s, "given_up"), 10)
        [row] = await dials(s)
        assert row.attempts == 2
        [lost] = [c for c in await s.run.ops.callbacks.lost() if c.call_id == call.truth.linkedid]
        assert lost.dial is not None and lost.dial["state"] == "given_up"
        assert [a["result"] for a in lost.attempts] == ["no_answer", "no_answer"]
        assert all("poging" in (a["note"] or "") for a in lost.attempts)


async def test_never_two_callbacks_for_one_number_in_one_queue(
    stack: StackFactory, example_site: Site
) -> None:
    async with stack(at("2026-11-23 10:00"), site=roomy(example_site)) as s:
        ast = s.sim.ast
        q = ast.queues["sociale-dienst"]
        one_agent(s, "sociale-dienst")  # on a long call: the callback stays in line
        busy = s.call(number="+32470900031", digits="1", talk_seconds=3600, patience=600)
        await until(lambda: busy.truth.outcome == "answered", 20)
        number = "+32470900030"
        first = s.call(number=number, digits="1", patience=900, callback_after=2)
        await s.record(first.truth.linkedid, timeout=20)
        await until_async(lambda: _dial_state(s, "in_line"), 10)
        second = s.call(number=number, digits="1", patience=900, callback_after=2)
        rec = await s.record(second.truth.linkedid, timeout=20)
        assert rec.outcome is not None and rec.outcome.value == "callback"
        rows = await dials(s)
        assert len(rows) == 1 and rows[0].call_id == first.truth.linkedid
        # one stand-in in line for that number
        stand_ins = [e for e in q.entries if e.channel.linkedid.startswith("vtcb-")]
        assert len(stand_ins) == 1
        busy.hangup_now()


async def test_one_click_rings_the_agents_phone_first_then_the_citizen(
    stack: StackFactory, example_site: Site
) -> None:
    async with stack(at("2026-11-23 10:00"), site=roomy(example_site)) as s:
        ast = s.sim.ast
        q = ast.queues["sociale-dienst"]
        for member in list(q.members.values()):
            q.pause(member, True, "test")
        number = "+32470900040"
        lost = s.call(number=number, digits="1", patience=30)
        rec = await s.record(lost.truth.linkedid, timeout=30)
        assert rec.outcome is not None and rec.outcome.value == "abandoned"
        users = s.run.staff.users
        an = await users.add("an", "An", ["agent"], PASSWORD, interfaces=["PJSIP/an"])
        nobody = await users.add("zonder", "Zonder Toestel", ["agent"], PASSWORD)
        dialer = s.run.ops.dialer
        with pytest.raises(StaffError) as no_phone:
            await dialer.call_back(nobody, lost.truth.linkedid)
        assert no_phone.value.id == "no-phone"
        with pytest.raises(StaffError) as unknown:
            await dialer.call_back(an, "no-such-call")
        assert unknown.value.status == 404
        # An's phone does not pick up: nothing is dialled, An is told
        ast.devices["PJSIP/an"] = Device("PJSIP/an", answer_probability=0.0)
        with pytest.raises(StaffError) as missed:
            await dialer.call_back(an, lost.truth.linkedid)
        assert missed.value.message == "Uw toestel nam niet op."
        assert await attempts(s, lost.truth.linkedid) == []
        # now An answers; the citizen's phone rings after An's, and the result is An's attempt
        ast.devices["PJSIP/an"] = Device("PJSIP/an", answer_probability=1.0, answer_delay=(1, 1))
        ast.citizens[number] = Citizen("answer", delay=2, talk=5)
        dials_seen: list[str] = []
        ast.listen(
            lambda e: (
                dials_seen.append(e.get("DestCallerIDNum") or "") if e.name == "DialBegin" else None
            )
        )
        # the click, through the dashboard's API as the callback list's button does it
        async with logged_in(s, "an") as (http, csrf):
            clicked = await http.post(
                f"{s.run.url}api/callbacks/{lost.truth.linkedid}/dial",
                headers={"X-CSRF-Token": csrf},
            )
            assert clicked.status == 200
            done = await clicked.json()
        assert done == {"state": "dialing", "number": number, "phone": "PJSIP/an"}
        await until_async(lambda: _has(s, lost.truth.linkedid, [("an", "reached")]), 30)
        assert dials_seen == [number]
        assert all(c.call_id != lost.truth.linkedid for c in await s.run.ops.callbacks.lost())
        audit = await s.run.staff.audit.query(kind="callback-dial")
        assert [(e.actor, e.target) for e in audit] == [("an", lost.truth.linkedid)] * 2


async def test_a_faulty_outside_line_is_our_fault_not_the_citizens(
    stack: StackFactory, example_site: Site
) -> None:
    """CONGESTION on the callback's citizen leg: no attempt of the citizen is used up, the
    alert is raised, nobody else is put in line while the line is faulty; the line back, the
    test dial reaches the citizen and the alert goes."""
    async with stack(at("2026-11-23 10:00"), site=roomy(example_site)) as s:
        ast, dialer = s.sim.ast, s.run.ops.dialer
        one_agent(s, "sociale-dienst")
        busy = s.call(number="+32470900041", digits="1", talk_seconds=40, patience=600)
        await until(lambda: busy.truth.outcome == "answered", 20)
        ast.trunk_congested = True
        number = "+32470900040"
        ast.citizens[number] = Citizen("answer", delay=2, talk=10)
        call = s.call(number=number, digits="1", patience=900, callback_after=2)
        await s.record(call.truth.linkedid, timeout=30)
        await until(lambda: not dialer.trunk.up, 90)
        [row] = await dials(s)
        assert (row.state, row.attempts) == ("waiting", 0)  # not an attempt of the citizen's
        assert await attempts(s, call.truth.linkedid) == []
        assert "CONGESTION" in (dialer.trunk.fault or "")
        assert any(a["id"] == "callbacks-trunk" for a in s.run.service.alerts())
        async with aiohttp.ClientSession() as http:
            health = await (await http.get(s.run.url + "healthz")).json()
        assert health["callbacks_trunk"]["ok"] is False
        # while faulty, the due request waits: no stand-in, no agent rung for nothing
        stand_ins = lambda: [  # noqa: E731
            e
            for e in ast.queues["sociale-dienst"].entries
            if e.channel.linkedid.startswith("vtcb-")
        ]
        await dialer.dial_due()
        assert stand_ins() == []
        # the line works again: at its next check one callback goes as the test dial
        ast.trunk_congested = False
        await until_async(lambda: _dial_state(s, "reached"), 60)
        assert dialer.trunk.up and s.run.service.alerts() == []
        assert await attempts(s, call.truth.linkedid) == [(ACTOR, "reached")]


async def test_a_technology_not_loaded_is_said_at_start(
    example_site: Site, stack: StackFactory
) -> None:
    """The dial string's technology not loaded in Asterisk (no res_pjsip): ``ModuleCheck``
    at connect says so, in the log, on the wallboard and in ``/healthz``."""
    sim = await lone_sim(example_site, seed=41)
    sim.ast.unloaded.add("chan_pjsip.so")
    try:
        async with stack(at("2026-11-23 10:00"), sim=sim) as s:
            trunk = s.run.ops.dialer.trunk
            await until(lambda: not trunk.up, 10)
            assert "chan_pjsip.so" in (trunk.fault or "") and "niet geladen" in (trunk.fault or "")
            async with aiohttp.ClientSession() as http:
                health = await (await http.get(s.run.url + "healthz")).json()
            assert health["callbacks_trunk"] == {
                "ok": False,
                "fault": trunk.fault,
                "module": "chan_pjsip.so",
            }
    finally:
        await sim.stop()


@pytest.mark.postgres
@pytest.mark.skipif(not POSTGRES, reason="no PostgreSQL configured (VUURTOREN_TEST_POSTGRES_URL)")
async def test_callback_requests_made_while_postgresql_is_down_are_all_stored(
    stack: StackFactory, example_site: Site
) -> None:
    """Issue 24, point 9: callers press the callback key while PostgreSQL is cut away;
    when it is back every request is stored (and put in line), none lost, none twice."""
    from sqlalchemy.engine import make_url

    from callcenter.store import open_engine
    from tests.store.conftest import _drop_everything
    from tests.store.proxy import CuttableProxy

    assert POSTGRES
    clean = open_engine(POSTGRES)
    await _drop_everything(clean)
    await clean.dispose()
    target = make_url(POSTGRES)
    proxy = CuttableProxy(target.host or "127.0.0.1", target.port or 5432)
    url = target.set(port=await proxy.start()).render_as_string(hide_password=False)
    requests: list[str] = []
    try:
        async with stack(at("2026-11-23 10:00"), site=roomy(example_site), db_url=url) as s:
            ast = s.sim.ast
            q = ast.queues["sociale-dienst"]
            for member in list(q.members.values()):
                q.pause(member, True, "test")  # nobody answers: the callers wait in line
            ast.listen(
                lambda e: (
                    requests.append(e.get("Linkedid") or "")
                    if e.name == "UserEvent" and e.get("UserEvent") == "CallbackRequest"
                    else None
                )
            )
            callers = [
                s.call(
                    number=f"+3247090010{i}", digits="1", patience=900, callback_after=40 + 10 * i
                )
                for i in range(4)
            ]
            await until(lambda: len(q.entries) == 4, 20)
            proxy.cut()
            await until(lambda: len(requests) == 4, 30)  # all pressed while it was down
            await asyncio.sleep(2)
            assert await dials_or_none(s) is None  # still down
            proxy.restore()

            async def all_stored() -> bool:
                rows = await dials_or_none(s)
                return rows is not None and len(rows) >= 4

            await until_async(all_stored, 60)
            rows = await dials(s)
            assert sorted(r.call_id for r in rows) == sorted(requests)
            assert sorted(r.call_id for r in rows) == sorted(c.truth.linkedid for c in callers)
            assert s.run.ops.dialer.durable.retries > 0
    finally:
        await proxy.close()


async def dials_or_none(s: Stack) -> list[DialRow] | None:
    """The stored callbacks, or None while the database cannot be reached."""
    from callcenter.store.durable import is_outage

    try:
        return await dials(s)
    except Exception as exc:
        if is_outage(exc):
            return None
        raise


def cut_at(s: Stack, kind: str) -> list[int]:
    """Cut the AMI link the moment Asterisk sends ``UserEvent(kind)`` (the first time):
    that event reaches nobody. The service reconnects at once."""
    cuts: list[int] = []

    def on(event: Any) -> None:
        if event.name == "UserEvent" and event.get("UserEvent") == kind and not cuts:
            cuts.append(s.sim.faults.drop())

    s.sim.ast.listen(on)
    return cuts


def kept(s: Stack, tree: str) -> list[str]:
    return sorted(k for (f, k) in s.sim.ast.astdb if f == "vuurtoren" and k.startswith(tree))


async def test_a_callback_pressed_while_the_ami_link_is_cut_is_a_callback(
    stack: StackFactory, example_site: Site
) -> None:
    """Issue 24, point 10: the request's event is lost in the cut; the dialplan kept it in
    AstDB, so after the reconnect the call is a callback (not an abandon in the figures)
    and the request is in line."""
    async with stack(at("2026-11-23 10:00"), site=roomy(example_site)) as s:
        q = s.sim.ast.queues["sociale-dienst"]
        for member in list(q.members.values()):
            q.pause(member, True, "test")
        cuts = cut_at(s, "CallbackRequest")
        caller = s.call(number="+32470900300", digits="1", patience=900, callback_after=5)
        rec = await s.record(caller.truth.linkedid, 30)
        assert cuts and s.run.ami.connects >= 2  # it was cut, and came back
        assert rec.outcome is not None and rec.outcome.value == "callback"
        assert [v.outcome.value for v in rec.visits if v.outcome] == ["callback"]
        assert rec.callback_requested is not None

        async def in_line() -> bool:
            rows = await dials(s)
            return [(r.call_id, r.kind) for r in rows] == [(caller.truth.linkedid, "queued")]

        await until_async(in_line, 20)
        assert kept(s, "callback/") == []  # taken up, and the copy gone


async def test_a_callbacks_result_sent_while_the_link_is_cut_is_registered(
    stack: StackFactory, example_site: Site
) -> None:
    """The stand-in is answered and the citizen reached while the AMI link is cut: the
    result the dialplan kept is registered after the reconnect, and the callback is not put
    in line again (the citizen would be called twice)."""
    async with stack(at("2026-11-23 10:00"), site=roomy(example_site)) as s:
        ast = s.sim.ast
        one_agent(s, "sociale-dienst")
        busy = s.call(number="+32470900310", digits="1", talk_seconds=40, patience=600)
        await until(lambda: busy.truth.outcome == "answered", 10)
        number = "+32470900311"
        ast.citizens[number] = Citizen("answer", delay=2, talk=10)
        cuts = cut_at(s, "CallbackResult")
        caller = s.call(number=number, digits="1", patience=900, callback_after=3)
        await until_async(lambda: _has(s, caller.truth.linkedid, [(ACTOR, "reached")]), 120)
        assert cuts and s.run.ami.connects >= 2
        await until_async(lambda: _dial_state(s, "reached"), 10)
        [row] = await dials(s)
        assert (row.state, row.attempts) == ("reached", 1)
        await asyncio.sleep(1)
        assert [
            e
            for e in ast.queues["sociale-dienst"].entries
            if e.channel.linkedid.startswith("vtcb-")
        ] == []  # not in line again
        assert kept(s, "cbresult/") == []
