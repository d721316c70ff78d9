"""The lighthouse duty against the simulated Asterisk over TCP, with its clock running 40 times
faster: the rota's agents enter the lighthouse queue when their shift starts and leave it when
it ends (never during a call), takeovers and handbacks, the unstaffed alarm, a restart across
a shift boundary, and the desk-phone codes."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest

from callcenter.agents.desk import MISSED_CALL
from callcenter.calls.service import device_for
from callcenter.simulator import SimSettings
from callcenter.staff.users import User
from routing.site import Site
from tests.ami.test_client import until
from tests.service.conftest import Stack, StackFactory, at

PASSWORD = "een-goed-wachtwoord-agent"
NO_LIGHTHOUSE_PHONES = SimSettings(failsafe_seconds=6, lighthouse_agents=0)


async def agent(s: Stack, login: str, phone: str, counters: list[str] | None = None) -> User:
    return await s.run.staff.users.add(
        login, login.title(), ["agent"], PASSWORD, counters=counters or [], interfaces=[phone]
    )


def lighthouse_phones(s: Stack) -> set[str]:
    return set(s.sim.ast.queues["lighthouse"].members)


def minute_after(s: Stack, seconds: float) -> str:
    """The first whole minute at least ``seconds`` after the simulator's clock now, as HH:MM
    in the site's zone (a shift boundary that does not depend on how long the start took)."""
    local = (s.sim.clock.now() + timedelta(seconds=seconds)).astimezone(s.run.service.site.zone)
    return (local.replace(second=0, microsecond=0) + timedelta(minutes=1)).strftime("%H:%M")


def always_answers(s: Stack, phone: str) -> None:
    for q in s.sim.ast.queues.values():
        if phone in q.members:
            q.members[phone].device.answer_probability = 1.0


async def test_at_closing_time_calls_go_to_the_lighthouse_where_the_rota_put_its_agents(
    stack: StackFactory,
) -> None:
    async with stack(at("2026-11-23 11:58"), settings=NO_LIGHTHOUSE_PHONES) as s:
        an = await agent(s, "an", "PJSIP/an")
        # An's shift starts a minute or two from now (however long the start took)
        await s.run.ops.duty.add_shift(0, minute_after(s, 60), "17:00", "an", actor="mia")
        ast = s.sim.ast
        assert lighthouse_phones(s) == set()
        # 12:00 passes: sociale dienst closes; An's shift starts; the jobs do it, nobody polls
        await until(lambda: lighthouse_phones(s) == {"PJSIP/an"}, 10)
        await until(lambda: ast.db_get("vuurtoren", "counter/sociale-dienst") == "closed", 10)
        await until(lambda: ast.db_get("vuurtoren", "counter/lighthouse") == "open")
        call = s.call(number="+32470800011", digits="1", talk_seconds=5, patience=120)
        rec = await s.record(call.truth.linkedid, timeout=30)
        assert rec.decision is not None
        assert (rec.decision.target.value, rec.decision.reason.value) == ("lighthouse", "closed")
        assert call.truth.visits[0].queue == "lighthouse"
        shifts = await s.run.staff.audit.query(kind="duty-shift")
        assert any(e.detail.get("in") == [an.login] for e in shifts)


async def test_takeover_names_giver_and_taker_and_handback_restores_the_rota(
    stack: StackFactory,
) -> None:
    async with stack(at("2026-11-23 10:00"), settings=NO_LIGHTHOUSE_PHONES) as s:
        await agent(s, "an", "PJSIP/an")
        bert = await agent(s, "bert", "PJSIP/bert")
        duty = s.run.ops.duty
        await duty.add_shift(0, "08:00", "17:00", "an", actor="mia")
        await until(lambda: lighthouse_phones(s) == {"PJSIP/an"})
        handover = await duty.take_over(bert, actor="bert")
        await until(lambda: lighthouse_phones(s) == {"PJSIP/bert"})
        assert handover.ends == at("2026-11-23 17:00")  # An's shift end
        took = (await s.run.staff.audit.query(kind="duty-takeover"))[0]
        assert (took.actor, took.target, took.detail["from"]) == ("bert", "bert", "an")
        status = duty.status()
        assert [h["name"] for h in status["on_duty"]] == ["Bert"]
        assert status["on_duty"][0]["took_over_from"] == "An"
        await duty.hand_back(bert, actor="bert")
        await until(lambda: lighthouse_phones(s) == {"PJSIP/an"})
        back = (await s.run.staff.audit.query(kind="duty-handback"))[0]
        assert back.detail["to"] == ["an"]


async def test_an_agent_on_a_call_at_shift_end_leaves_the_queue_after_the_call(
    stack: StackFactory,
) -> None:
    async with stack(at("2026-11-23 12:50:00"), settings=NO_LIGHTHOUSE_PHONES) as s:
        await agent(s, "an", "PJSIP/an")
        # the shift ends three to four minutes from now, however long the start took: the
        # caller hears the welcome and the announcement (some 30 s) and is put through first
        ends = minute_after(s, 180)
        await s.run.ops.duty.add_shift(0, "08:00", ends, "an", actor="mia")
        await until(lambda: lighthouse_phones(s) == {"PJSIP/an"})
        always_answers(s, "PJSIP/an")
        # sociale dienst is closed at 12:50 on Monday: the call goes to An in the lighthouse,
        # and lasts some 500 s (the lighthouse's calls take half the caller's talk time)
        call = s.call(number="+32470800012", digits="1", talk_seconds=1000, patience=300)
        member = s.sim.ast.queues["lighthouse"].members["PJSIP/an"]
        await until(lambda: member.device.in_call, 20)
        await until(lambda: s.run.ops.duty.waiting_for_call != set(), 20)  # the end passed
        assert "PJSIP/an" in lighthouse_phones(s)  # not cut off mid-call
        await until(lambda: call.truth.ended is not None, 30)
        await until(lambda: lighthouse_phones(s) == set(), 10)
        assert call.truth.outcome == "answered"


async def test_lighthouse_open_and_nobody_on_duty_sends_callers_to_the_last_resort(
    stack: StackFactory,
) -> None:
    async with stack(at("2026-11-23 13:00"), settings=NO_LIGHTHOUSE_PHONES) as s:
        ast = s.sim.ast
        await until(lambda: ast.db_get("vuurtoren", "counter/lighthouse") == "unstaffed")
        alerts = s.run.service.snapshot()["alerts"]
        assert [a["id"] for a in alerts] == ["lighthouse-unstaffed"]
        call = s.call(number="+32470800013", digits="1", talk_seconds=5)
        rec = await s.record(call.truth.linkedid)
        assert rec.decision is not None
        assert (rec.decision.target.value, rec.decision.reason.value) == ("last_resort", "closed")
        assert rec.decision.next_open == at("2026-11-24 09:00")
        assert call.truth.visits == []  # never put in an empty queue


async def test_a_restart_across_a_shift_boundary_ends_in_the_right_state(
    stack: StackFactory, example_site: Site
) -> None:
    from callcenter.simulator import Simulator
    from tests.service.conftest import service_account

    sim = Simulator(
        example_site,
        accounts=[service_account(example_site)],
        seed=5,
        speed=40,
        start=at("2026-11-23 11:58"),
        settings=NO_LIGHTHOUSE_PHONES,
    )
    await sim.start()
    try:
        async with stack(at("2026-11-23 11:58"), sim=sim, db_name="r.sqlite3") as s:
            await agent(s, "an", "PJSIP/an")
            await agent(s, "bert", "PJSIP/bert")
            change = minute_after(s, 180)  # however long the start took
            await s.run.ops.duty.add_shift(0, "08:00", change, "an", actor="mia")
            await s.run.ops.duty.add_shift(0, change, "17:00", "bert", actor="mia")
            await until(lambda: lighthouse_phones(s) == {"PJSIP/an"})
        # the service is down while the change passes; Asterisk keeps An in the queue
        after = at(f"2026-11-23 {change}") + timedelta(minutes=1)
        await until(lambda: sim.clock.now() > after, 15)
        assert lighthouse_phones(s) == {"PJSIP/an"}
        async with stack(after, sim=sim, db_name="r.sqlite3") as s2:
            await until(lambda: lighthouse_phones(s2) == {"PJSIP/bert"}, 10)
    finally:
        await sim.stop()


async def test_a_missed_call_pauses_the_agent_until_they_resume(stack: StackFactory) -> None:
    async with stack(at("2026-11-23 10:00"), settings=NO_LIGHTHOUSE_PHONES) as s:
        an = await agent(s, "an", "PJSIP/an")
        await s.run.ops.duty.add_shift(0, "08:00", "17:00", "an", actor="mia")
        await until(lambda: lighthouse_phones(s) == {"PJSIP/an"})
        for q in s.sim.ast.queues.values():
            if "PJSIP/an" in q.members:
                q.members["PJSIP/an"].device.answer_probability = 0.0
        # the woonloket has its own phones; the call times out to nobody: use an override
        await s.run.ops.overrides.set("sociale-dienst", "closed", kind="emergency", actor="mia")
        s.call(number="+32470800014", digits="1", talk_seconds=5, patience=60)
        member = s.sim.ast.queues["lighthouse"].members["PJSIP/an"]
        await until(lambda: member.paused, 20)
        assert member.paused_reason == MISSED_CALL
        # the service hears of the pause by its event, a moment after Asterisk made it
        await until(lambda: s.run.ops.desk.view(an)["paused_reason"] == MISSED_CALL, 10)
        view = s.run.ops.desk.view(an)
        assert view["missed_call"] is True and view["paused_reason"] == MISSED_CALL
        await s.run.ops.desk.unpause(an, actor="an")
        await until(lambda: not member.paused)
        assert s.run.ops.desk.view(an)["missed_call"] is False


async def test_desk_phone_codes_login_toggle_and_override_with_pin(stack: StackFactory) -> None:
    # real time (speed 1): a person waits at most 10 s for the answer, which takes hashing
    async with stack(at("2026-11-23 10:00"), speed=1) as s:
        ast = s.sim.ast
        chris = await agent(s, "chris", "PJSIP/chris-desk", counters=["woonloket"])
        await s.run.staff.users.set_pin(chris.id, "4711", actor="admin")
        assert await ast.dial_feature("PJSIP/chris-desk", "*45") == "loggedin"
        await until(lambda: "PJSIP/chris-desk" in ast.queues["woonloket"].members)
        assert ast.queues["woonloket"].members["PJSIP/chris-desk"].state_interface == (
            "PJSIP/chris-desk"
        )
        assert await ast.dial_feature("PJSIP/chris-desk", "*45") == "loggedout"
        await until(lambda: "PJSIP/chris-desk" not in ast.queues["woonloket"].members)
        # override: keys 21 are the woonloket; a wrong PIN changes nothing
        wrong = await ast.dial_feature("PJSIP/chris-desk", "*46", Key="21", Pin="1234")
        assert wrong == "wrongpin"
        assert ast.db_get("vuurtoren", "counter/woonloket") != "closed"
        assert await ast.dial_feature("PJSIP/chris-desk", "*46", Key="21", Pin="4711") == "closed"
        await until(lambda: ast.db_get("vuurtoren", "counter/woonloket") == "closed")
        assert ast.device_states[device_for("woonloket")] == "INUSE"  # the BLF lamp
        current = s.run.ops.overrides.current()
        assert [(o.scope, o.kind, o.created_by) for o in current] == [
            ("woonloket", "temporary", "chris")
        ]
        assert current[0].ends == at("2026-11-23 12:00")  # the next scheduled change
        # not their counter (key 1: sociale dienst)
        other = await ast.dial_feature("PJSIP/chris-desk", "*46", Key="1", Pin="4711")
        assert other == "refused"
        assert await ast.dial_feature("PJSIP/chris-desk", "*46", Key="21", Pin="4711") == "opened"
        await until(lambda: ast.db_get("vuurtoren", "counter/woonloket") == "open")
        # a phone nobody owns
        assert await ast.dial_feature("PJSIP/unknown", "*45") == "unknown"
        # five wrong PINs block the phone, even for the right one
        tries = [
            await ast.dial_feature("PJSIP/chris-desk", "*46", Key="21", Pin="0000")
            for _ in range(5)
        ]
        assert tries == ["wrongpin"] * 4 + ["blocked"]
        blocked = await ast.dial_feature("PJSIP/chris-desk", "*46", Key="21", Pin="4711")
        assert blocked == "blocked"
        refused = await s.run.staff.audit.query(kind="deskphone-refused")
        assert len(refused) >= 6


async def test_members_added_on_the_pbx_are_shown_and_never_removed(stack: StackFactory) -> None:
    """The simulated PBX has three phones of its own in the lighthouse queue: An's shift
    comes and goes beside them."""
    # 6 s before 17:00 at 40x: a busy CI machine took longer than 1.5 s to add the shift
    async with stack(at("2026-11-23 16:56:00")) as s:
        own = {"PJSIP/vuurtoren-01", "PJSIP/vuurtoren-02", "PJSIP/vuurtoren-03"}
        await agent(s, "an", "PJSIP/an")
        await s.run.ops.duty.add_shift(0, "08:00", "17:00", "an", actor="mia")
        await until(lambda: lighthouse_phones(s) == own | {"PJSIP/an"})
        by_hand = s.run.ops.duty.status()["by_hand"]
        assert {m["interface"] for m in by_hand if m["queue"] == "lighthouse"} == own
        await until(lambda: lighthouse_phones(s) == own, 20)  # 17:00: An leaves, they stay


async def test_a_temporary_closure_ends_at_the_next_boundary_by_itself(
    stack: StackFactory,
) -> None:
    async with stack(at("2026-11-23 11:55")) as s:
        ops, ast = s.run.ops, s.sim.ast
        await ops.overrides.set("woonloket", "closed", kind="temporary", actor="mia")
        (closing,) = ops.overrides.current()
        assert closing.ends == at("2026-11-23 12:00")
        await until(lambda: ast.db_get("vuurtoren", "counter/woonloket") == "closed")
        # 12:00: the states job reloads; the override is over, the hours say closed now
        await until(lambda: ops.overrides.current() == [], 20)

        def states_next() -> datetime | None:
            return next(j for j in ops.jobs.jobs() if j.id == "states").next_run

        # the states job has planned its next instant, past this boundary
        await until(lambda: (states_next() or at("2026-11-23 12:00")) > at("2026-11-23 12:00"))
        call = s.call(number="+32470800015", digits="21", talk_seconds=5)
        rec = await s.record(call.truth.linkedid)
        assert rec.decision is not None and rec.decision.reason.value == "closed"


async def test_the_agents_console_pops_up_with_the_caller_when_the_call_is_put_through(
    stack: StackFactory,
) -> None:
    """AgentConnect on An's phone: An's console stream says who calls, about what, why the
    call came to the lighthouse and when the counter opens; nobody else's stream does."""
    import json
    import re

    import aiohttp

    async with stack(at("2026-11-23 13:00"), settings=NO_LIGHTHOUSE_PHONES) as s:
        await agent(s, "an", "PJSIP/an")
        await agent(s, "bert", "PJSIP/bert")
        await s.run.ops.duty.add_shift(0, "08:00", "17:00", "an", actor="mia")
        await until(lambda: lighthouse_phones(s) == {"PJSIP/an"})
        always_answers(s, "PJSIP/an")
        sessions = {}
        for login in ("an", "bert"):
            http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
            form = await (await http.get(s.run.url + "login")).text()
            token = re.search(r'name="csrf" value="([^"]+)"', form)
            assert token
            await http.post(
                s.run.url + "login",
                data={"login": login, "password": PASSWORD, "csrf": token.group(1)},
            )
            sessions[login] = http
        streams: dict[str, aiohttp.ClientResponse] = {}
        try:
            for login, http in sessions.items():
                streams[login] = await http.get(s.run.url + "api/agent/stream")
            for resp in streams.values():
                assert (await resp.content.readline()).startswith(b"event: me")
            call = s.call(number="+32470800016", digits="1", talk_seconds=20, patience=120)

            async def next_call(resp: aiohttp.ClientResponse) -> dict[str, object]:
                while True:
                    line = await resp.content.readline()
                    if line.startswith(b"event: call"):
                        data = await resp.content.readline()
                        return dict(json.loads(data.split(b":", 1)[1]))

            popped = await asyncio.wait_for(next_call(streams["an"]), 20)
            assert popped["call_id"] == call.truth.linkedid
            assert (popped["caller"], popped["topic"], popped["reason"]) == (
                "+32470800016",
                "financiele-hulp",
                "closed",
            )
            assert popped["next_open"] == "2026-11-24T09:00:00+01:00"
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(next_call(streams["bert"]), 1)
        finally:
            for resp in streams.values():
                resp.close()  # an endless stream: let go of its connection
            for http in sessions.values():
                await http.close()


@pytest.mark.parametrize(
    ("night", "start"),
    # ten virtual minutes before the change (15 s real): the shifts are set and Chris is on
    # duty well before it, however busy the machine (a minute was too little beside a hog)
    [("spring", "2026-03-29 03:20:00"), ("autumn", "2026-10-25 03:20:00")],
)
async def test_shifts_change_at_local_time_on_both_dst_nights(
    stack: StackFactory, night: str, start: str
) -> None:
    """The nights the clocks change, a shift change at 03:30 local happens at 03:30 local
    (01:30 UTC in spring, 02:30 UTC in autumn), through the scheduler, against Asterisk."""
    async with stack(at(start), settings=NO_LIGHTHOUSE_PHONES) as s:
        await agent(s, "chris", "PJSIP/chris")
        await agent(s, "bert", "PJSIP/bert")
        await s.run.ops.duty.add_shift(6, "00:00", "03:30", "chris", actor="mia")
        await s.run.ops.duty.add_shift(6, "03:30", "24:00", "bert", actor="mia")
        await until(lambda: lighthouse_phones(s) == {"PJSIP/chris"}, 10)
        assert s.sim.clock.now() < at(start.replace("03:20:00", "03:30:00"))
        duty_job = next(j for j in s.run.ops.jobs.jobs() if j.id == "duty")
        assert duty_job.next_run == at(start.replace("03:20:00", "03:30:00")), night
        await until(lambda: lighthouse_phones(s) == {"PJSIP/bert"}, 40)
        assert s.sim.clock.now() >= at(start.replace("03:20:00", "03:30:00"))
