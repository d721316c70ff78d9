"""A stop is never held up by the dashboard's open event streams (a wall screen or an
agent's page left open), and Ctrl-C during the start stops the service too."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import aiohttp
import pytest

from callcenter.cli import runner
from schedules.clock import CLOCK_FILE
from tests.ami.test_client import until
from tests.service.conftest import StackFactory, at

VUURTOREN = str(Path(sys.executable).with_name("vuurtoren"))
STREAMS = (
    "/api/live/stream",
    "/api/wallboard/stream",
    "/api/agent/stream",
    "/api/agents/stream",
)


async def test_open_streams_end_at_once_when_the_service_stops(
    stack: StackFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a long grace for requests in progress: a stop that waited for the streams would
    # take all of it
    monkeypatch.setattr(runner, "SHUTDOWN_SECONDS", 120.0)
    ended: list[str] = []
    async with aiohttp.ClientSession() as http:
        async with stack(at("2026-11-23 10:00")) as s:
            user = await s.run.staff.users.add(
                "anna",
                "Anna",
                ["agent", "manager"],
                "een-goed-wachtwoord-stop",
                counters=["onthaal"],
                interfaces=["PJSIP/201"],
            )
            _, token = await s.run.staff.tokens.create(user, "stop-test")
            auth = {"Authorization": f"Bearer {token}"}
            responses = [await http.get(s.run.url + path[1:], headers=auth) for path in STREAMS]
            assert [r.status for r in responses] == [200] * len(STREAMS)
            for r in responses:
                await r.content.readuntil(b"\n\n")  # the first event: the stream is live

            async def read_to_end(path: str, r: aiohttp.ClientResponse) -> None:
                while await r.content.read(65536):
                    pass
                ended.append(path)

            readers = [
                asyncio.create_task(read_to_end(p, r))
                for p, r in zip(STREAMS, responses, strict=True)
            ]
            loop = asyncio.get_running_loop()
            stop_began = loop.time()
        # the stop did not wait out the grace: the streams were ended
        assert loop.time() - stop_began < 60
        async with asyncio.timeout(5):
            await asyncio.gather(*readers, return_exceptions=True)
    assert sorted(ended) == sorted(STREAMS)


async def test_ctrl_c_during_the_start_stops_the_demo(tmp_path: Path, unused_tcp_port: int) -> None:
    """The demo spends seconds seeding weeks of past calls: a Ctrl-C then is not lost (it
    used to be swallowed, and the demo ran its whole --duration)."""
    proc = await asyncio.create_subprocess_exec(
        VUURTOREN,
        "demo",
        "--listen",
        f"127.0.0.1:{unused_tcp_port}",
        "--data-dir",
        str(tmp_path / "demo"),
        "--duration",
        "600",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
        env={**os.environ, "VUURTOREN_DATABASE_URL": "postgresql://must-not-be-used/x"},
    )
    assert proc.stdout is not None
    # Ctrl-C once the command runs (its handlers are set first of all): while it seeds the
    # past calls, before the banner. A fixed sleep fell into Python's imports on a busy
    # machine, where Python's own Ctrl-C ends the process.
    await until(lambda: (tmp_path / "demo" / CLOCK_FILE).exists(), 60)  # written after them
    proc.send_signal(signal.SIGINT)
    async with asyncio.timeout(60):  # far below the 600 s it would otherwise run
        out = (await proc.stdout.read()).decode()
        await proc.wait()
    assert proc.returncode == 0
    assert "stopped" in out
