"""The live queues page and its API, through aiohttp's test client."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from callcenter.ami import Message
from callcenter.calls.service import CallService
from callcenter.staff.users import User
from tests.dashboard.conftest import Client, Session


@pytest.fixture
async def client(browse: Callable[[], Awaitable[Session]], people: dict[str, User]) -> TestClient:  # type: ignore[type-arg]
    session = await browse()
    assert (await session.login("agent1")).status == 303
    return session.client


async def test_page_is_dutch_and_shows_every_queue(
    client: TestClient, service: CallService
) -> None:  # type: ignore[type-arg]
    resp = await client.get("/")
    assert resp.status == 200
    html = await resp.text()
    assert '<html lang="nl-BE">' in html and "<h1>Wachtrijen nu</h1>" in html
    for counter in service.site.counters:
        assert counter.name in html
    assert html.count("<tr data-queue=") == len(service.site.queues)
    assert "gesloten" in html and "niet verbonden" in html
    assert "https://" not in html and "http://" not in html  # no remote assets
    csp = resp.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp


async def test_static_assets_are_served_locally(client: TestClient) -> None:  # type: ignore[type-arg]
    html = await (await client.get("/")).text()
    for path in (html.split('href="')[1].split('"')[0], html.split('src="')[1].split('"')[0]):
        resp = await client.get(path)
        assert resp.status == 200, path


async def test_api_queues(client: TestClient) -> None:  # type: ignore[type-arg]
    data = await (await client.get("/api/queues")).json()
    assert data["site"] == "Sociaal Huis Voorbeeld" and data["connected"] == "disconnected"
    by_queue = {q["queue"]: q for q in data["queues"]}
    assert data["queues"][0]["kind"] == "lighthouse"
    assert by_queue["sociale-dienst"]["logged_in"] == 1
    assert by_queue["schuldhulp"]["open"] is False


async def test_api_errors_are_json_with_a_stable_id(client: TestClient) -> None:  # type: ignore[type-arg]
    resp = await client.get("/api/nothing-here")
    assert resp.status == 404
    assert (await resp.json())["error"]["id"] == "http-404"


async def test_health_reports_the_ami_link(aiohttp_client: Client, app: Any) -> None:
    client = await aiohttp_client(app)  # no login: /healthz is public
    resp = await client.get("/healthz")
    assert resp.status == 503 and (await resp.json())["ami"] == "disconnected"


async def test_live_stream_sends_a_snapshot_then_changes(
    client: TestClient,  # type: ignore[type-arg]
    service: CallService,
) -> None:
    resp = await client.get("/api/live/stream")
    assert resp.headers["Content-Type"] == "text/event-stream"

    async def next_event() -> tuple[str, Any]:
        kind = ""
        while True:
            line = (await asyncio.wait_for(resp.content.readline(), 5)).decode().strip()
            if line.startswith("event: "):
                kind = line[7:]
            elif line.startswith("data: "):
                return kind, json.loads(line[6:])

    kind, snap = await next_event()
    assert kind == "snapshot" and len(snap["queues"]) == len(service.site.queues)
    join = Message.event(
        "QueueCallerJoin",
        Queue="onthaal",
        Uniqueid="9.2",
        Linkedid="9.1",
        Channel="Local/s@central-number-1;2",
        Position="1",
        Count="1",
    )
    service.tracker.handle(join)
    kind, change = await next_event()
    assert kind == "queue" and change["queue"] == "onthaal" and change["waiting"] == 1
    resp.close()


async def test_a_burst_of_queue_changes_reaches_the_bus_as_its_latest_state(
    service: CallService,
) -> None:
    """At 200 calls/s a queue changes thousands of times a second: the bus carries at most
    one snapshot per queue per PUBLISH_INTERVAL, and that snapshot is the newest state."""
    from callcenter.calls.service import PUBLISH_INTERVAL

    inbox = service.bus.subscribe()
    for i in range(500):
        service.tracker.handle(
            Message.event(
                "QueueCallerJoin",
                Queue="sociale-dienst",
                Channel=f"Local/s@central-number-{i:08x};2",
                Uniqueid=f"1763900000.{2 * i}",
                Linkedid=f"1763900000.{2 * i + 1}",
                Position=str(i + 1),
            )
        )
    assert inbox.empty()  # nothing yet: coalescing
    await asyncio.sleep(PUBLISH_INTERVAL * 3)
    messages = [inbox.get_nowait() for _ in range(inbox.qsize())]
    queues = [m.payload["queue"] for m in messages if m.kind == "queue"]
    assert queues == ["sociale-dienst"]
    (snapshot,) = (m.payload for m in messages if m.kind == "queue")
    assert snapshot["waiting"] == 500
