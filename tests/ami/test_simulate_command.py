"""`vuurtoren simulate` as an operator runs it: a process on loopback with traffic."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
from pathlib import Path

from callcenter.ami import AMIClient, ClientSettings, Message
from tests.ami.test_client import until
from tests.conftest import EXAMPLE

VUURTOREN = str(Path(sys.executable).with_name("vuurtoren"))


async def test_simulate_runs_traffic_and_answers_a_third_party_login() -> None:
    env = {**os.environ, "VUURTOREN_AMI_SECRET": "from-the-environment"}
    proc = await asyncio.create_subprocess_exec(
        VUURTOREN,
        "simulate",
        "--config",
        str(EXAMPLE),
        "--port",
        "0",
        "--speed",
        "60",
        "--calls-per-hour",
        "3000",
        "--start",
        "2026-11-23T09:30:00+01:00",
        "--seed",
        "4",
        "--duration",
        "60",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
        env=env,
    )
    assert proc.stdout is not None and proc.stdin is not None
    try:
        line = (await asyncio.wait_for(proc.stdout.readline(), 20)).decode()
        match = re.search(r"AMI on 127\.0\.0\.1:(\d+), user 'vuurtoren'", line)
        assert match, line
        port = int(match.group(1))
        seen: list[Message] = []
        async with AMIClient(ClientSettings(port=port, secret="from-the-environment")) as ami:
            ami.subscribe(None, seen.append)
            await until(lambda: any(m.get("UserEvent") == "RouteRequest" for m in seen), 20)
            proc.stdin.write(b"fault garbage\n")
            await proc.stdin.drain()
            async with asyncio.timeout(30):  # the command is read and said (a busy machine)
                while b"sending malformed bytes" not in (said := await proc.stdout.readline()):
                    assert said, "the simulator ended before it took the fault command"
            assert (await ami.ping())["Ping"] == "Pong"
            summary = await ami.queue_summary("lighthouse")
            assert summary[0].logged_in == 3
    finally:
        proc.send_signal(signal.SIGINT)
        out = (await asyncio.wait_for(proc.stdout.read(), 20)).decode()
        await proc.wait()
    assert proc.returncode == 0
    assert re.search(r"stopped: \d+ calls, \d+ events", out)


async def test_simulate_refuses_a_non_loopback_host() -> None:
    proc = await asyncio.create_subprocess_exec(
        VUURTOREN,
        "simulate",
        "--config",
        str(EXAMPLE),
        "--host",
        "0.0.0.0",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, err = await proc.communicate()
    assert proc.returncode != 0 and b"loopback only" in err
