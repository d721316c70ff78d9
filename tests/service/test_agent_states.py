"""Issue 25, points 3 and 4 on the simulated Asterisk: an agent's state follows the call
through ring, talk and after-call work from Asterisk's events; after-call work pauses the
agent for the queue's time (the lighthouse stays staffed), "Klaar" ends it and "Langer"
extends it once; the wrap-up code and the periods are stored for the reports."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from callcenter.agents.activity import AFTER_CALL
from callcenter.figures.reports import build_report, period
from callcenter.simulator import SimSettings
from callcenter.staff.errors import StaffError
from callcenter.store.models import AgentPeriodRow
from tests.ami.test_client import until
from tests.service.conftest import Stack, StackFactory, at

PASSWORD = "een-goed-wachtwoord-agent"
TODAY = date(2026, 11, 23)
NO_LIGHTHOUSE_PHONES = SimSettings(failsafe_seconds=6, lighthouse_agents=0)


async def on_duty(s: Stack, login: str, phone: str) -> Any:
    user = await s.run.staff.users.add(
        login, login.title(), ["agent"], PASSWORD, counters=[], interfaces=[phone]
    )
    await s.run.ops.duty.add_shift(0, "08:00", "17:00", login, actor="mia")
    # as the duty job does (the user and the shift were made a moment ago, side by side
    # with the service's own reload after a user change)
    await s.run.ops.follow_duty()
    await until(lambda: phone in s.sim.ast.queues["lighthouse"].members, 10)
    s.sim.ast.queues["lighthouse"].members[phone].device.answer_probability = 1.0
    # sociale dienst closed: key 1 goes to the lighthouse
    await s.run.ops.overrides.set("sociale-dienst", "closed", kind="emergency", actor="mia")
    return user


async def test_the_state_follows_a_call_through_ring_talk_after_call_and_klaar(
    stack: StackFactory,
) -> None:
    async with stack(at("2026-11-23 10:00"), settings=NO_LIGHTHOUSE_PHONES) as s:
        an = await on_duty(s, "an", "PJSIP/an")
        desk = s.run.ops.desk
        await until(lambda: desk.state(an)["code"] == "available", 10)
        seen: list[str] = []
        desk.activity.on_change.append(lambda iface: seen.append(desk.state(an)["code"]))
        call = s.call(number="+32470800021", digits="1", talk_seconds=20, patience=120)
        await until(lambda: desk.state(an)["code"] == "talking", 20)
        talking = desk.state(an)
        assert talking["queue"] == "lighthouse" and talking["call_id"] == call.truth.linkedid
        assert talking["queue_name"] == "Vuurtoren (onthaal callcenter)"
        assert "ringing" in seen  # the phone rang before it was answered
        await until(lambda: desk.state(an)["code"] == "after_call", 20)
        work = desk.state(an)
        assert work["until"] - work["since"] == timedelta(seconds=60)  # the lighthouse's own
        assert work["can_extend"] is True
        assert [c["id"] for c in work["codes"]][:4] == [
            "info",
            "doorverwezen",
            "terugbellen",
            "crisis",
        ]
        member = s.sim.ast.queues["lighthouse"].members["PJSIP/an"]
        assert member.paused and member.paused_reason == AFTER_CALL
        # an agent in after-call work is back soon: the lighthouse stays open for routing
        assert s.sim.ast.db_get("vuurtoren", "counter/lighthouse") == "open"
        with pytest.raises(StaffError) as wrong:
            await desk.choose_code(an, call.truth.linkedid, "afspraak")  # not a lighthouse code
        assert wrong.value.field == "code"
        with pytest.raises(StaffError):
            await desk.choose_code(an, "1796371200.99999", "info")  # not their call
        assert await desk.choose_code(an, call.truth.linkedid, "crisis") == "lighthouse"
        await desk.finish_after_call(an)  # "Klaar"
        await until(lambda: not member.paused, 10)
        await until(lambda: desk.state(an)["code"] == "available", 10)
        await desk.writes.drain()
        assert await desk.records.code_of(call.truth.linkedid, "an") == "crisis"
        async with s.run.ops.intervals.engine.connect() as conn:
            rows = (await conn.execute(select(AgentPeriodRow.kind, AgentPeriodRow.reason))).all()
        assert [tuple(r) for r in rows] == [("after_call", "lighthouse")]
        # the reports count them: the agent's day and the wrap-up codes of the lighthouse
        await s.run.writer.flush()
        report = await build_report(
            s.run.ops.intervals.engine, s.run.service.site, period("day", TODAY), {"an": "An"}
        )
        [day] = report.data["agents"]
        assert (day["name"], day["calls"]) == ("An", 1)
        assert day["talk_seconds"] > 0 and day["after_call_seconds"] >= 0
        assert day["handle_seconds"] == day["talk_seconds"] + day["after_call_seconds"]
        assert [
            (c["queue"], c["label"], c["calls"], c["share"]) for c in report.data["wrapup_codes"]
        ] == [("lighthouse", "Dringende hulp geregeld", 1, 1.0)]
        _header, rows = report.table("medewerkers")
        assert rows[0][:3] == [TODAY, "An", 1]
        # the managers' live list: An, available, one call today
        await s.run.ops.board.refresh(force=True)
        [row] = s.run.ops.board.rows()
        assert (row["name"], row["state"]["code"], row["calls"]) == ("An", "available", 1)
        assert row["queues"] == ["lighthouse"]


async def test_after_call_work_ends_by_itself_and_extends_once(stack: StackFactory) -> None:
    async with stack(at("2026-11-23 10:00"), settings=NO_LIGHTHOUSE_PHONES) as s:
        an = await on_duty(s, "an", "PJSIP/an")
        desk = s.run.ops.desk
        s.call(number="+32470800022", digits="1", talk_seconds=10, patience=120)
        await until(lambda: desk.state(an)["code"] == "after_call", 30)
        first = desk.state(an)["until"]
        assert await desk.extend_after_call(an) == first + timedelta(seconds=60)
        assert desk.state(an)["can_extend"] is False
        with pytest.raises(StaffError, match="al verlengd"):
            await desk.extend_after_call(an)
        member = s.sim.ast.queues["lighthouse"].members["PJSIP/an"]
        assert member.paused
        # 120 virtual seconds later the queues ring An again, without a click
        await until(lambda: not member.paused, 30)
        assert s.sim.clock.now() >= first + timedelta(seconds=60)
        await until(lambda: desk.state(an)["code"] == "available", 10)


async def test_a_call_is_passed_on_by_phone_to_an_open_counter(stack: StackFactory) -> None:
    """Point 5: the lighthouse agent passes the caller on to the woonloket (open): the
    caller waits in its queue and is answered there; the call holds a registration with a
    referral by phone; a closed counter is refused."""
    # speed 10: the 60 s of after-call work last 6 s, longer than the transfer's own work
    async with stack(at("2026-11-23 10:00"), speed=10, settings=NO_LIGHTHOUSE_PHONES) as s:
        an = await on_duty(s, "an", "PJSIP/an")
        ops = s.run.ops
        call = s.call(number="+32470800023", digits="1", talk_seconds=40, patience=300)
        await until(lambda: ops.desk.state(an)["code"] == "talking", 20)
        with pytest.raises(StaffError) as closed:
            await ops.transfer(an, "sociale-dienst")  # closed by the override
        assert closed.value.id == "counter-closed"
        contact = await ops.transfer(an, "woonloket")
        assert contact.call_id == call.truth.linkedid and contact.caller == "+32470800023"
        [referral] = contact.referrals
        assert (referral.to_counter, referral.by_phone) == ("woonloket", True)
        # the talk ended with the transfer: after-call work, to register the question
        await until(lambda: ops.desk.state(an)["code"] == "after_call", 10)
        rec = await s.record(call.truth.linkedid, timeout=60)
        assert [v.queue for v in rec.visits] == ["lighthouse", "woonloket"]
        assert rec.visits[0].ended_by == "transfer"
        assert call.truth.transfers == [("lighthouse", "woonloket")]


async def test_the_live_list_sends_the_whole_list_then_only_the_rows_that_changed(
    stack: StackFactory,
) -> None:
    """Point 7 and its benchmark: a screen gets ``agents`` (every agent) once, then ``delta``
    events with the rows that changed; a pause shows as An's row alone."""
    import json

    import aiohttp

    async with stack(at("2026-11-23 10:00"), settings=NO_LIGHTHOUSE_PHONES) as s:
        an = await on_duty(s, "an", "PJSIP/an")
        await s.run.staff.users.add(
            "bo", "Bo", ["agent"], PASSWORD, counters=["woonloket"], interfaces=["PJSIP/bo"]
        )
        boss = await s.run.staff.users.add("mia", "Mia", ["manager"], PASSWORD)
        _, token = await s.run.staff.tokens.create(boss, "test")
        await s.run.ops.board.refresh(force=True)

        async def next_event(resp: aiohttp.ClientResponse) -> tuple[str, dict[str, object]]:
            kind = None
            while True:
                line = (await resp.content.readline()).decode().strip()
                if line.startswith("event: "):
                    kind = line[7:]
                elif line.startswith("data: ") and kind:
                    return kind, json.loads(line[6:])

        async with (
            aiohttp.ClientSession(headers={"Authorization": f"Bearer {token}"}) as http,
            http.get(s.run.url + "api/agents/stream") as resp,
        ):
            kind, first = await next_event(resp)
            assert kind == "agents"
            assert [a["login"] for a in first["agents"]] == ["an", "bo"]  # type: ignore[index]
            assert first["names"]["queues"]["lighthouse"] == "Vuurtoren (onthaal callcenter)"  # type: ignore[index]
            await s.run.ops.desk.pause(an, "lunch", actor="an")
            while True:
                kind, data = await next_event(resp)
                assert kind == "delta" and data["base"] == data["version"] - 1  # type: ignore[operator]
                changed = {a["login"]: a for a in data["changed"]}  # type: ignore[attr-defined]
                if "an" in changed and changed["an"]["state"]["code"] == "paused":
                    break
            assert set(changed) == {"an"}
            assert changed["an"]["state"]["reason"] == "Middagpauze"
