"""The simulated Asterisk behaves like the real one: event sequences, headers, surprises,
action answers and errors, as in shared/reference/."""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import AsyncIterator, Callable

import pytest

from callcenter.ami import ActionFailed, AMIClient, Decoder, Message
from callcenter.simulator import Account, CallerProfile, SimSettings, Simulator
from callcenter.simulator.traffic import draw_caller, rate_factor
from routing.site import Site
from tests.ami.conftest import MONDAY_10, SECRET, USER
from tests.ami.test_client import until


class Tap:
    """Every event the simulator emits, in order (an in-process view of the AMI stream)."""

    def __init__(self, sim: Simulator) -> None:
        self.events: list[Message] = []
        sim.ast.listen(self.events.append)

    def of(self, uniqueid: str) -> list[Message]:
        return [e for e in self.events if e.get("Uniqueid") == uniqueid]

    def names(self, uniqueid: str) -> list[str]:
        return [e.name for e in self.of(uniqueid)]


def first(names: list[str], name: str) -> int:
    return names.index(name)


async def router(client: AMIClient, target: Callable[[Message], tuple[str, str]]) -> None:
    async def on_route(e: Message) -> None:
        if e.get("UserEvent") == "RouteRequest":
            context, exten = target(e)
            await client.redirect(e["Channel"], context, exten)

    client.subscribe("UserEvent", on_route)


def pause_all(sim: Simulator, queue: str) -> None:
    q = sim.ast.queues[queue]
    for m in q.members.values():
        q.pause(m, True, "test")


async def finished(sim: Simulator, linkedid: str, timeout: float = 10) -> None:
    await until(lambda: sim.ast.truth[linkedid].ended is not None, timeout)


async def test_answered_call_sequence(client: AMIClient, sim: Simulator) -> None:
    tap = Tap(sim)
    await router(client, lambda e: ("queues", "sociale-dienst"))
    call = sim.call(CallerProfile(number="+32470000001", digits="1", talk_seconds=20))
    await finished(sim, call.truth.linkedid)
    leg1, leg2 = call.leg1.uniqueid, call.leg2.uniqueid

    route = next(e for e in tap.events if e.name == "UserEvent")
    assert route["UserEvent"] == "RouteRequest" and route["Topic"] == "1"
    assert route.get_all("Uniqueid") == [leg2, leg2]  # the duplicate, as Asterisk sends it
    assert route["Linkedid"] == leg1  # ;2's Linkedid is ;1's Uniqueid
    assert route["Channel"].endswith(";2") and route["Privilege"] == "user,all"

    names = tap.names(leg2)
    for earlier, later in [
        ("Newchannel", "UserEvent"),
        ("UserEvent", "QueueCallerJoin"),
        ("QueueCallerJoin", "AgentCalled"),
        ("AgentCalled", "QueueCallerLeave"),
        ("QueueCallerLeave", "AgentConnect"),
        ("AgentConnect", "BridgeEnter"),
        ("BridgeEnter", "AgentComplete"),
        ("AgentComplete", "Hangup"),
    ]:
        assert first(names, earlier) < first(names, later), (earlier, later, names)
    assert "QueueCallerAbandon" not in names

    connect = next(e for e in tap.of(leg2) if e.name == "AgentConnect")
    complete = next(e for e in tap.of(leg2) if e.name == "AgentComplete")
    assert connect["DestChannel"].startswith("PJSIP/sociale-dienst-")
    assert complete["Reason"] == "caller"
    assert abs(int(complete["TalkTime"]) - 20) <= 1
    assert complete["HoldTime"] == connect["HoldTime"]
    assert complete["DestExten"] == "sociale-dienst"  # the queue name, as observed
    dial_end = [e for e in tap.of(leg2) if e.name == "DialEnd"]
    assert dial_end[-1]["DialStatus"] == "ANSWER"

    log = [line.split("|")[4] for line in sim.ast.queue_log_lines if f"|{leg2}|" in line]
    assert log == ["ENTERQUEUE", "CONNECT", "COMPLETECALLER"]
    assert call.truth.outcome == "answered" and call.truth.redirected_to == (
        "queues",
        "sociale-dienst",
    )


async def test_abandon_sequence(client: AMIClient, sim: Simulator) -> None:
    tap = Tap(sim)
    pause_all(sim, "sociale-dienst")
    await router(client, lambda e: ("queues", "sociale-dienst"))
    call = sim.call(CallerProfile(number="+32470000002", digits="1", patience=8))
    await finished(sim, call.truth.linkedid)
    leg2 = call.leg2.uniqueid
    names = [
        n
        for n in tap.names(leg2)
        if n in ("HangupRequest", "QueueCallerAbandon", "QueueCallerLeave", "Hangup")
    ]
    assert names == ["HangupRequest", "QueueCallerAbandon", "QueueCallerLeave", "Hangup"]
    abandon = next(e for e in tap.of(leg2) if e.name == "QueueCallerAbandon")
    assert abs(int(abandon["HoldTime"]) - 8) <= 1
    assert abandon["Position"] == "1" and abandon["OriginalPosition"] == "1"
    varsets = {(e["Variable"], e["Value"]) for e in tap.of(leg2) if e.name == "VarSet"}
    assert ("ABANDONED", "TRUE") in varsets
    assert not any(v == "QUEUESTATUS" for v, _ in varsets)  # a hang-up sets no QUEUESTATUS
    assert any("|ABANDON|" in line for line in sim.ast.queue_log_lines)
    assert call.truth.outcome == "abandoned"


@pytest.fixture
async def short_timeouts(example_site: Site) -> AsyncIterator[Simulator]:
    sim = Simulator(
        example_site,
        accounts=[Account(USER, SECRET)],
        seed=5,
        speed=40,
        start=MONDAY_10,
        settings=SimSettings(
            counter_queue_timeout=12, lighthouse_queue_timeout=12, failsafe_seconds=6
        ),
        auth_fail_delay=0.05,
    )
    await sim.start()
    yield sim
    await sim.stop()


async def test_timeout_also_emits_abandon_then_continues_with_the_same_uniqueid(
    short_timeouts: Simulator,
) -> None:
    sim = short_timeouts
    tap = Tap(sim)
    pause_all(sim, "sociale-dienst")
    pause_all(sim, "lighthouse")
    from tests.ami.conftest import settings_for

    async with AMIClient(settings_for(sim)) as client:
        await router(client, lambda e: ("queues", "sociale-dienst"))
        call = sim.call(
            CallerProfile(
                number="+32470000003", digits="1", patience=1000, last_resort_choice="hangup"
            )
        )
        await finished(sim, call.truth.linkedid)
        status = await client.queue_status("sociale-dienst")
    leg2 = call.leg2.uniqueid
    events = tap.of(leg2)
    joins = [e for e in events if e.name == "QueueCallerJoin"]
    assert [j["Queue"] for j in joins] == ["sociale-dienst", "lighthouse"]  # same Uniqueid
    abandons = [e for e in events if e.name == "QueueCallerAbandon"]
    assert [a["Queue"] for a in abandons] == ["sociale-dienst", "lighthouse"]
    assert all(abs(int(a["HoldTime"]) - 12) <= 1 for a in abandons)  # each visit from 0
    statuses = [e["Value"] for e in events if e.name == "VarSet" and e["Variable"] == "QUEUESTATUS"]
    assert statuses == ["TIMEOUT", "TIMEOUT"]
    assert status[0].params["Abandoned"] == "1"  # Asterisk counts the timeout as abandoned
    assert any("|EXITWITHTIMEOUT|" in line for line in sim.ast.queue_log_lines)
    assert [v.outcome for v in call.truth.visits] == ["timeout", "timeout"]
    assert call.truth.outcome == "last_resort"


async def test_failsafe_uses_the_astdb_states(client: AMIClient, sim: Simulator) -> None:
    await client.db_put("vuurtoren", "counter/sociale-dienst", "open")
    open_call = sim.call(CallerProfile(number="1", digits="1", talk_seconds=5))
    closed_call = sim.call(CallerProfile(number="2", digits="52", talk_seconds=5))  # schuldhulp
    await finished(sim, open_call.truth.linkedid)
    await finished(sim, closed_call.truth.linkedid)
    assert open_call.truth.failsafe and open_call.truth.visits[0].queue == "sociale-dienst"
    assert closed_call.truth.failsafe and closed_call.truth.visits[0].queue == "lighthouse"


async def test_last_resort_callback_request(client: AMIClient, sim: Simulator) -> None:
    tap = Tap(sim)

    async def to_last_resort(e: Message) -> None:
        if e.get("UserEvent") == "RouteRequest":
            opens = "/var/lib/vuurtoren/prompts/dyn/nl/opent-morgen"
            await client.setvar("VT_ANNOUNCE", opens, channel=e["Channel"])
            await client.redirect(e["Channel"], "last-resort", "sociale-dienst")

    client.subscribe("UserEvent", to_last_resort)
    call = sim.call(CallerProfile(number="+32470000004", digits="1", last_resort_choice="callback"))
    await finished(sim, call.truth.linkedid)
    callback = [e for e in tap.events if e.get("UserEvent") == "CallbackRequest"]
    assert len(callback) == 1 and callback[0]["Counter"] == "sociale-dienst"
    assert callback[0]["Caller"] == "+32470000004"
    assert call.truth.outcome == "last_resort" and call.truth.last_resort == "callback"
    assert call.truth.heard == [
        "nl/welkom",
        "nl/menu",
        "nl/gesloten",
        "dyn/nl/opent-morgen",  # the counter's next opening, as Vuurtoren set it
        "nl/hulplijn-1",
        "nl/hulplijn-2",
        "nl/hulplijn-3",
        "nl/keuze-terugbellen",
        "nl/terugbellen-bevestigd",
    ]
    playback = [e for e in tap.of(call.leg2.uniqueid) if e.get("Application") == "Playback"]
    # the welcome is part of the menu's Read (barge-in): the first Playback is the last resort's
    assert playback[0]["AppData"] == "/var/lib/vuurtoren/prompts/nl/gesloten"
    read = [e for e in tap.of(call.leg2.uniqueid) if e.get("Application") == "Read"]
    assert read[0]["AppData"] == "/var/lib/vuurtoren/prompts/nl/welkom"


async def test_redirect_to_a_missing_extension_loses_the_call(
    client: AMIClient, sim: Simulator
) -> None:
    await router(client, lambda e: ("queues", "no-such-queue"))
    call = sim.call(CallerProfile(number="5", digits="1"))
    await finished(sim, call.truth.linkedid)
    assert call.truth.outcome == "lost" and "invalid target" in (call.truth.hangup_stage or "")


async def test_ringall_rings_everyone_rrmemory_one_at_a_time(
    client: AMIClient, sim: Simulator
) -> None:
    tap = Tap(sim)
    for m in sim.ast.queues["lighthouse"].members.values():
        m.device.answer_probability = 0.0
    for m in sim.ast.queues["sociale-dienst"].members.values():
        m.device.answer_probability = 0.0
    await router(
        client, lambda e: ("queues", "lighthouse" if e["Topic"] == "0" else "sociale-dienst")
    )
    lh = sim.call(CallerProfile(number="6", digits="0", patience=40))
    sd = sim.call(CallerProfile(number="7", digits="1", patience=40))
    await finished(sim, lh.truth.linkedid, 15)
    await finished(sim, sd.truth.linkedid, 15)
    lh_called = [e for e in tap.of(lh.leg2.uniqueid) if e.name == "AgentCalled"]
    assert len({e["Interface"] for e in lh_called[:3]}) == 3  # all three rung at once
    sd_events = [
        e for e in tap.of(sd.leg2.uniqueid) if e.name in ("AgentCalled", "AgentRingNoAnswer")
    ]
    kinds = [e.name for e in sd_events[:4]]
    assert kinds == ["AgentCalled", "AgentRingNoAnswer", "AgentCalled", "AgentRingNoAnswer"]
    assert sd_events[0]["Interface"] != sd_events[2]["Interface"]  # round robin
    ring_ms = int(sd_events[1]["RingTime"])
    assert 14_000 <= ring_ms <= 16_500  # milliseconds, not seconds


async def test_member_actions_and_their_events(client: AMIClient, sim: Simulator) -> None:
    seen: list[Message] = []
    client.subscribe(None, seen.append)
    added = await client.queue_add("lighthouse", "PJSIP/agent-7", member_name="Agent 7")
    assert added["Message"] == "Added interface to queue"
    with pytest.raises(ActionFailed, match="Already there"):
        await client.queue_add("lighthouse", "PJSIP/agent-7")
    paused = await client.queue_pause("PJSIP/agent-7", True, reason="lunch")
    assert paused["Message"] == "Interface paused successfully"
    removed = await client.queue_remove("lighthouse", "PJSIP/agent-7")
    assert removed["Message"] == "Removed interface from queue"
    with pytest.raises(ActionFailed, match="Not there"):
        await client.queue_remove("lighthouse", "PJSIP/agent-7")
    with pytest.raises(ActionFailed, match="Member not dynamic"):
        await client.queue_remove("sociale-dienst", "PJSIP/sociale-dienst-01")
    with pytest.raises(ActionFailed, match="Interface not found"):
        await client.queue_pause("PJSIP/nobody", True)
    await until(lambda: any(e.name == "QueueMemberRemoved" for e in seen))
    member_events = [e for e in seen if e.name.startswith("QueueMember")]
    assert [e.name for e in member_events] == [
        "QueueMemberAdded",
        "QueueMemberPause",
        "QueueMemberRemoved",
    ]
    assert all(e.get("ActionID") is None for e in member_events)  # side effects carry none
    pause = member_events[1]
    assert pause["Paused"] == "1" and pause["PausedReason"] == "lunch"
    assert pause["Membership"] == "dynamic" and pause["MemberName"] == "Agent 7"


async def test_agents_follow_opening_hours(client: AMIClient, sim: Simulator) -> None:
    summary = {s.queue: s for s in await client.queue_summary()}
    assert summary["sociale-dienst"].logged_in == 2  # Monday 10:00: open
    assert summary["schuldhulp"].logged_in == 0  # Tuesday and Thursday only
    assert summary["lighthouse"].available == 3


class RawSession:
    """A bare TCP peer for checking the wire itself, message by message."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.decoder = Decoder()
        self.pending: list[Message] = []

    @classmethod
    async def open(cls, port: int) -> RawSession:
        return cls(*await asyncio.open_connection("127.0.0.1", port))

    async def read(self) -> Message:
        while not self.pending:
            data = await asyncio.wait_for(self.reader.read(4096), 5)
            if not data:
                raise ConnectionError("closed")
            self.pending.extend(m for m in self.decoder.feed(data) if isinstance(m, Message))
        return self.pending.pop(0)

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(ConnectionError):
            await self.writer.wait_closed()


async def test_session_rules_over_a_raw_socket(sim: Simulator) -> None:
    raw = await RawSession.open(sim.port)
    raw.writer.write(b"Action: Ping\r\nActionID: 1\r\n\r\n")
    m = await raw.read()
    assert raw.decoder.banner == "Asterisk Call Manager/11.0.0"
    assert (m.name, m["Message"], m["ActionID"]) == ("Error", "Permission denied", "1")
    raw.writer.write(b"Foo: bar\r\n\r\n")  # no Action header
    raw.writer.write(b"Action: Login\r\nUsername: vuurtoren\r\nSecret: wrong\r\n\r\n")
    msgs = [await raw.read(), await raw.read()]
    assert [x["Message"] for x in msgs] == ["Missing action in request", "Authentication failed"]
    assert await raw.reader.read() == b""  # and the server hung up
    await raw.close()


async def test_login_then_fully_booted_and_logoff(sim: Simulator) -> None:
    raw = await RawSession.open(sim.port)
    raw.writer.write(f"Action: Login\r\nUsername: {USER}\r\nSecret: {SECRET}\r\n\r\n".encode())
    ok = await raw.read()
    booted = await raw.read()
    assert ok["Message"] == "Authentication accepted"
    assert booted.name == "FullyBooted" and booted["Status"] == "Fully Booted"
    raw.writer.write(b"Action: Logoff\r\n\r\n")
    bye = await raw.read()
    assert (bye.name, bye["Message"]) == ("Goodbye", "Thanks for all the fish.")
    await raw.close()


@pytest.mark.parametrize(("version", "banner"), [("18", "7.0.3"), ("20", "9.0.0")])
async def test_banner_of_older_releases(example_site: Site, version: str, banner: str) -> None:
    async with Simulator(example_site, settings=SimSettings(version=version)) as sim:
        raw = await RawSession.open(sim.port)
        line = await asyncio.wait_for(raw.reader.readline(), 5)
        await raw.close()
    assert line == f"Asterisk Call Manager/{banner}\r\n".encode()


async def test_account_read_classes_filter_events(sim: Simulator) -> None:
    from callcenter.ami import ClientSettings

    async with AMIClient(
        ClientSettings(port=sim.port, username="events-only", secret="x", auth="plain")
    ) as ami:
        seen: list[str] = []
        ami.subscribe(None, lambda m: seen.append(m.name))
        sim.call(CallerProfile(number="8", digits="1"))
        await until(lambda: "Newexten" in seen or len(seen) >= 3)
        await asyncio.sleep(0.2)
        assert "Newchannel" in seen
        assert not {"UserEvent", "Newexten", "VarSet", "FullyBooted"} & set(seen)


def test_traffic_is_deterministic_by_seed_and_realistic(example_site: Site) -> None:
    a = [draw_caller(example_site, random.Random(i)) for i in range(2000)]
    b = [draw_caller(example_site, random.Random(i)) for i in range(2000)]
    assert a == b
    digits = [p.digits for p in a]
    assert digits.count(None) > 50  # some press nothing
    assert digits.count("999") > 20  # some press a key that is not in the menu
    assert digits.count("0") > digits.count("5")  # general questions beat childcare search
    short = sum(1 for p in a if p.patience < 5)
    assert 50 < short < 250  # a few percent give up within seconds
    from datetime import datetime
    from zoneinfo import ZoneInfo

    bxl = ZoneInfo("Europe/Brussels")
    assert rate_factor(datetime(2026, 11, 23, 9, 30, tzinfo=bxl)) == 1.0
    assert rate_factor(datetime(2026, 11, 23, 3, 0, tzinfo=bxl)) < 0.05
    assert rate_factor(datetime(2026, 11, 22, 9, 30, tzinfo=bxl)) < 0.1  # Sunday


def call_sequence(tap: Tap, call: object) -> list[tuple[str, str]]:
    """(event, leg) for the call's two legs, in order; leg is ';1' or ';2'."""
    legs = {call.leg1.uniqueid: ";1", call.leg2.uniqueid: ";2"}  # type: ignore[attr-defined]
    return [(e.name, legs[e["Uniqueid"]]) for e in tap.events if e.get("Uniqueid") in legs]


async def test_a_local_caller_hangs_up_its_first_leg_first(
    client: AMIClient, sim: Simulator
) -> None:
    """Waiting, and while talking: the ;1 leg's Hangup comes before what the ;2 leg
    reports (asterisk-behaviour.md, Local channels)."""
    tap = Tap(sim)
    await router(client, lambda e: ("queues", "sociale-dienst" if e["Topic"] == "1" else "caw"))
    pause_all(sim, "sociale-dienst")
    waiting = sim.call(CallerProfile(number="+32470000051", digits="1", patience=8))
    talking = sim.call(CallerProfile(number="+32470000052", digits="43", talk_seconds=10))
    await finished(sim, waiting.truth.linkedid, 20)
    await finished(sim, talking.truth.linkedid, 20)
    end = call_sequence(tap, waiting)
    end = end[next(i for i, e in enumerate(end) if e == ("SoftHangupRequest", ";1")) :]
    assert [e for e in end if e[0] != "VarSet"] == [
        ("SoftHangupRequest", ";1"),
        ("HangupRequest", ";2"),
        ("Hangup", ";1"),
        ("QueueCallerAbandon", ";2"),
        ("QueueCallerLeave", ";2"),
        ("SoftHangupRequest", ";2"),
        ("Hangup", ";2"),
    ]
    names = [n for n, _ in call_sequence(tap, talking)]
    assert names.index("Hangup") < names.index("AgentComplete")  # Hangup(;1) first
    assert call_sequence(tap, talking)[-1] == ("Hangup", ";2")


async def test_without_timestampevents_no_event_has_a_timestamp(example_site: Site) -> None:
    sim = Simulator(
        example_site,
        accounts=[Account(USER, SECRET)],
        speed=40,
        start=MONDAY_10,
        settings=SimSettings(failsafe_seconds=1, timestamps=False),
    )
    tap = Tap(sim)
    async with sim:
        call = sim.call(CallerProfile(number="1", digits="1", talk_seconds=2))
        await finished(sim, call.truth.linkedid, 20)
    assert len(tap.events) > 20 and not any(e.get("Timestamp") for e in tap.events)


async def test_db_get_tree_lists_and_db_del_tree_deletes(client: AMIClient) -> None:
    await client.db_put("vuurtoren", "failsafe/1763900000.1", "a,b")
    await client.db_put("vuurtoren", "failsafe/1763900000.5", "c,d")
    await client.db_put("vuurtoren", "counter/onthaal", "open")
    assert await client.db_get_tree("vuurtoren", "failsafe") == {
        "failsafe/1763900000.1": "a,b",
        "failsafe/1763900000.5": "c,d",
    }
    assert len(await client.db_get_tree("vuurtoren")) == 3
    assert await client.db_get_tree("nothing-here") == {}
    await client.action("DBDelTree", Family="vuurtoren", Key="failsafe")
    assert await client.db_get_tree("vuurtoren") == {"counter/onthaal": "open"}
