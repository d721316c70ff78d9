"""Two AMI clients nobody here wrote talk to the simulated Asterisk and get correct answers:
panoramisk (asyncio) and asterisk-ami (threads). If the simulator drifted from real AMI,
these would notice first."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

from asterisk.ami import AMIClient as ThreadedAMIClient
from asterisk.ami import SimpleAction
from panoramisk import Manager

from callcenter.simulator import CallerProfile, Simulator
from tests.ami.conftest import SECRET, USER
from tests.ami.test_client import until


async def test_panoramisk_logs_in_gets_events_and_answers(sim: Simulator) -> None:
    events: list[Any] = []
    manager = Manager(
        host="127.0.0.1",
        port=sim.port,
        username=USER,
        secret=SECRET,
        ping_delay=60,
        loop=asyncio.get_running_loop(),
    )
    manager.register_event("*", lambda mgr, event: events.append(event))
    await manager.connect()
    try:
        await until(lambda: manager.authenticated)
        pong = await manager.send_action({"Action": "Ping"})
        assert pong.Ping == "Pong" and pong.Response == "Success"

        status = await manager.send_action({"Action": "QueueStatus", "Queue": "lighthouse"})
        assert status[0].Response == "Success" and status[0].EventList == "start"
        names = [m.Event for m in status[1:]]
        assert names[0] == "QueueParams" and names[-1] == "QueueStatusComplete"
        assert names.count("QueueMember") == 3

        put = await manager.send_action(
            {"Action": "DBPut", "Family": "vuurtoren", "Key": "counter/onthaal", "Val": "open"}
        )
        assert put.Message == "Updated database successfully"
        got = await manager.send_action(
            {"Action": "DBGet", "Family": "vuurtoren", "Key": "counter/onthaal"}
        )
        assert any(getattr(m, "Val", None) == "open" for m in got)

        sim.call(CallerProfile(number="+32470123123", digits="1"))
        await until(lambda: any(e.Event == "UserEvent" for e in events))
        route = next(e for e in events if e.Event == "UserEvent")
        assert route.UserEvent == "RouteRequest" and route.Topic == "1"
        assert route.CallerIDNum == "+32470123123"
        redirect = await manager.send_action(
            {
                "Action": "Redirect",
                "Channel": route.Channel,
                "Context": "queues",
                "Exten": "sociale-dienst",
                "Priority": "1",
            }
        )
        assert redirect.Message == "Redirect successful"
        await until(lambda: any(e.Event == "QueueCallerJoin" for e in events))
    finally:
        manager.close()


def _threaded_session(port: int, out: dict[str, Any]) -> None:
    client = ThreadedAMIClient(address="127.0.0.1", port=port, timeout=5)
    seen: list[str] = []
    got_event = threading.Event()

    def on_event(event: Any, source: Any, **_: Any) -> None:
        seen.append(event.name)
        if event.name == "Newchannel":
            got_event.set()

    client.add_event_listener(on_event)
    try:
        out["login"] = client.login(username=USER, secret=SECRET).response
        out["ping"] = client.send_action(SimpleAction("Ping")).response
        out["version"] = client.send_action(
            SimpleAction("Command", Command="core show version")
        ).response
        out["queue_add"] = client.send_action(
            SimpleAction(
                "QueueAdd", Queue="lighthouse", Interface="PJSIP/third-party", MemberName="Derde"
            )
        ).response
        out["waiting"] = got_event
        out["seen"] = seen
    finally:
        out["client"] = client


async def test_asterisk_ami_logs_in_and_gets_answers(sim: Simulator) -> None:
    out: dict[str, Any] = {}
    worker = threading.Thread(target=_threaded_session, args=(sim.port, out), daemon=True)
    worker.start()
    await asyncio.to_thread(worker.join, 10)  # bounded: a hung client fails, never blocks
    assert not worker.is_alive(), "asterisk-ami got no answer"
    try:
        assert out["login"].status == "Success"
        assert out["login"].keys["Message"] == "Authentication accepted"
        assert out["ping"].keys["Ping"] == "Pong"
        assert out["queue_add"].keys["Message"] == "Added interface to queue"
        assert "PJSIP/third-party" in sim.ast.queues["lighthouse"].members
        sim.call(CallerProfile(number="+32470555555", digits="21"))
        assert await asyncio.to_thread(out["waiting"].wait, 5)
        assert "FullyBooted" in out["seen"] and "Newchannel" in out["seen"]
    finally:
        await asyncio.to_thread(out["client"].disconnect)
