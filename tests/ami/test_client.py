"""Our AMI client against the simulated Asterisk over TCP: login, actions, lists,
subscriptions, keepalive, reconnect and resync."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

import pytest

from callcenter.ami import (
    ActionFailed,
    ActionTimeout,
    AMIClient,
    ConnectionState,
    Disconnected,
    Message,
    NotConnected,
)
from callcenter.simulator import CallerProfile, Simulator
from tests.ami.conftest import settings_for


async def until(predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.01)


async def test_md5_login_banner_and_ping(client: AMIClient, sim: Simulator) -> None:
    assert client.banner == "Asterisk Call Manager/11.0.0"
    pong = await client.ping()
    assert pong["Ping"] == "Pong"
    login = next(a for a in sim.ast.actions_received if a.name == "Login")
    assert login["AuthType"] == "MD5" and "Secret" not in login  # the secret never crossed


async def test_plain_login(make_client: Callable[..., AMIClient], sim: Simulator) -> None:
    async with make_client(auth="plain") as ami:
        assert (await ami.ping())["Ping"] == "Pong"


async def test_refused_login_keeps_retrying_and_reports_state(
    make_client: Callable[..., AMIClient], sim: Simulator
) -> None:
    ami = make_client(secret="wrong")
    states: list[tuple[ConnectionState, str]] = []
    ami.on_state(lambda s, d: states.append((s, d)))
    await ami.start()
    await until(lambda: sum(1 for a in sim.ast.actions_received if a.name == "Login") >= 2)
    assert any("login refused: Authentication failed" in d for _, d in states)
    with pytest.raises(NotConnected):
        await ami.ping()
    await ami.close()
    assert ami.state is ConnectionState.CLOSED


async def test_action_failed_carries_asterisks_message(client: AMIClient) -> None:
    with pytest.raises(ActionFailed, match="No such queue"):
        await client.queue_add("no-such-queue", "PJSIP/999")
    with pytest.raises(ActionFailed, match="Invalid/unknown command: Bogus"):
        await client.action("Bogus")


async def test_list_actions_resolve_to_all_their_items(client: AMIClient, sim: Simulator) -> None:
    status = await client.queue_status()
    assert [s.queue for s in status] == list(sim.ast.queues)
    sd = next(s for s in status if s.queue == "sociale-dienst")
    assert len(sd.members) == 2 and sd.params["Strategy"] == "rrmemory"
    summary = await client.queue_summary("lighthouse")
    assert [(s.queue, s.logged_in, s.available) for s in summary] == [("lighthouse", 3, 3)]
    channels = await client.core_show_channels()
    assert channels == []


async def test_events_between_list_items_are_delivered_normally(
    client: AMIClient, sim: Simulator
) -> None:
    seen: list[Message] = []
    client.subscribe(None, seen.append)
    sim.call(CallerProfile(number="+32470000001", digits="1", menu_seconds=0.5))
    results = await asyncio.gather(*(client.queue_status() for _ in range(5)))
    assert all(len(r) == len(sim.ast.queues) for r in results)
    await until(lambda: any(m.name == "Newchannel" for m in seen))
    assert not any(m.name in ("QueueParams", "QueueMember") for m in seen)


async def test_astdb_round_trip_and_missing_key(client: AMIClient) -> None:
    assert await client.db_get("vuurtoren", "counter/onthaal") is None
    await client.db_put("vuurtoren", "counter/onthaal", "open")
    assert await client.db_get("vuurtoren", "counter/onthaal") == "open"
    await client.db_del("vuurtoren", "counter/onthaal")
    assert await client.db_get("vuurtoren", "counter/onthaal") is None


async def test_custom_device_state(client: AMIClient, sim: Simulator) -> None:
    await client.set_device_state("Custom:onthaal", "INUSE")
    assert await client.getvar("DEVICE_STATE(Custom:onthaal)") == "INUSE"
    assert sim.ast.device_states["Custom:onthaal"] == "INUSE"


async def test_a_failing_subscriber_harms_nobody(client: AMIClient, sim: Simulator) -> None:
    good: list[str] = []

    def bad(msg: Message) -> None:
        raise RuntimeError("subscriber bug")

    bad_sub = client.subscribe("Newchannel", bad)
    client.subscribe("Newchannel", lambda m: good.append(m["Channel"]))
    sim.call(CallerProfile(number="1", digits="1"))
    sim.call(CallerProfile(number="2", digits="1"))
    await until(lambda: len(good) >= 4)
    assert bad_sub.failures >= 4
    assert (await client.ping())["Ping"] == "Pong"  # the connection is fine


async def test_a_slow_subscriber_does_not_block_the_reader(
    client: AMIClient, sim: Simulator
) -> None:
    release = asyncio.Event()
    fast: list[str] = []

    async def slow(msg: Message) -> None:
        await release.wait()

    slow_sub = client.subscribe("Newchannel", slow)
    client.subscribe("Newchannel", lambda m: fast.append(m["Channel"]))
    for i in range(3):
        sim.call(CallerProfile(number=str(i), digits="1"))
    await until(lambda: len(fast) >= 6)
    assert (await client.ping())["Ping"] == "Pong"
    assert len(slow_sub.backlog) >= 5  # it is behind, and it only holds up itself
    release.set()
    await slow_sub.drain()
    assert slow_sub.delivered >= 6


async def test_originate_waits_for_originate_response(client: AMIClient, sim: Simulator) -> None:
    response, event = await client.originate(
        Channel="Local/s@central-number",
        Context="central-number",
        Exten="s",
        Priority=1,
        CallerID="Test <+32470999999>",
        Variable="DIGITS=1",
    )
    assert response["Message"] == "Originate successfully queued"
    assert event.name == "OriginateResponse" and event["Response"] == "Success"
    assert event["Uniqueid"] in sim.ast.truth


async def test_action_timeout_when_asterisk_stalls(client: AMIClient, sim: Simulator) -> None:
    sim.faults.stall(0.5)
    with pytest.raises(ActionTimeout, match="Ping"):
        await client.action("Ping", timeout=0.2)


async def test_missing_pong_marks_the_link_dead_and_reconnects(
    make_client: Callable[..., AMIClient], sim: Simulator
) -> None:
    ami = make_client(ping_interval=0.1, ping_timeout=0.2)
    async with ami:
        assert ami.connects == 1
        sim.faults.stall(2.0)
        await until(lambda: ami.connects >= 2, timeout=5)
        assert (await ami.ping())["Ping"] == "Pong"


async def test_drop_fails_pending_actions_and_reconnects_with_resync(
    client: AMIClient, sim: Simulator
) -> None:
    resyncs: list[int] = []

    async def resync(ami: AMIClient) -> None:
        resyncs.append(len(await ami.queue_status()))

    client.add_resync_hook(resync)
    sim.faults.stall(5.0)  # the Ping below gets no answer before the cut
    pending = asyncio.ensure_future(client.ping())
    await asyncio.sleep(0.05)
    sim.faults.drop()
    with pytest.raises(Disconnected, match="Ping"):
        await pending
    sim.server.hold_output(False)
    await until(lambda: client.connects >= 2)
    await until(lambda: resyncs == [len(sim.ast.queues)])


async def test_garbage_on_the_wire_is_skipped(client: AMIClient, sim: Simulator) -> None:
    sim.faults.garbage()
    assert (await client.ping())["Ping"] == "Pong"
    assert client.connects == 1


async def test_asterisk_restart(client: AMIClient, sim: Simulator) -> None:
    booted: list[Message] = []
    client.subscribe("FullyBooted", booted.append)
    shutdown: list[Message] = []
    client.subscribe("Shutdown", shutdown.append)
    sim.call(CallerProfile(number="+32470000042", digits="1"))
    await until(lambda: len(sim.ast.channels) >= 2)
    await sim.faults.restart(downtime=0.2)
    await until(lambda: client.connects >= 2)
    await until(lambda: len(booted) >= 1)
    assert shutdown and shutdown[0]["Restart"] == "True"
    assert await client.core_show_channels() == []
    truth = next(iter(sim.ast.truth.values()))
    assert truth.outcome == "lost"


async def test_events_mask(make_client: Callable[..., AMIClient], sim: Simulator) -> None:
    async with make_client(events="agent") as ami:
        seen: list[str] = []
        ami.subscribe(None, lambda m: seen.append(m.name))
        await ami.action("Events", EventMask="off")
        sim.call(CallerProfile(number="1", digits="1"))
        await asyncio.sleep(0.3)
        assert seen == []
        answer = await ami.action("Events", EventMask="call")
        assert answer["Events"] == "On"
        sim.call(CallerProfile(number="2", digits="1"))
        await until(lambda: "Newchannel" in seen)
        assert "QueueCallerJoin" not in seen and "UserEvent" not in seen


@pytest.mark.parametrize(
    ("why", "logged"),
    [
        ("refused", "connection refused"),
        ("login", "login refused: Authentication failed"),
        ("cut", "connection closed by Asterisk"),
    ],
)
async def test_reconnecting_says_why(
    sim: Simulator,
    unused_tcp_port: int,
    caplog: pytest.LogCaptureFixture,
    why: str,
    logged: str,
) -> None:
    caplog.set_level(logging.INFO, logger="callcenter.ami.client")
    overrides: dict[str, object] = {
        "refused": {"port": unused_tcp_port},
        "login": {"secret": "wrong"},
        "cut": {},
    }[why]
    ami = AMIClient(settings_for(sim, **overrides))
    await ami.start()
    try:
        if why == "cut":
            await ami.wait_connected(5)
            sim.faults.drop()
        await until(lambda: any("AMI reconnecting" in r.message for r in caplog.records), 10)
    finally:
        await ami.close()
    line = next(r.message for r in caplog.records if "AMI reconnecting" in r.message)
    assert line.endswith(logged) or logged in line, line


async def test_closing_just_as_the_link_drops_ends_the_client(
    client: AMIClient, sim: Simulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The link drops, and while the session is still stopping its keep-alive the client is
    closed: close() returns, the client does not take it for a lost link and reconnect
    forever (seen as a test run that never ended)."""
    stopping = asyncio.Event()

    async def slow_to_stop(protocol: object) -> None:  # a keep-alive that takes a while to end
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            stopping.set()
            await asyncio.sleep(0.3)
            raise

    monkeypatch.setattr(client, "_keepalive", slow_to_stop)
    sim.faults.drop()  # the session in place ends: its keep-alive was the old one
    await until(lambda: client.connects >= 2)
    stopping.clear()
    sim.faults.drop()  # this session's keep-alive is the slow one
    await asyncio.wait_for(stopping.wait(), 5)
    began = time.monotonic()
    await client.close()  # the session is cancelled while it waits for its keep-alive
    assert time.monotonic() - began < 2  # not stuck reconnecting until something gives up
    connects = client.connects
    await asyncio.sleep(0.5)
    assert client.connects == connects and client.state.value == "closed"
