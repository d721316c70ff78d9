"""`vuurtoren demo`, the README's first command: it starts, serves the dashboard behind a
login (its users and one-run password in the banner), routes and records calls, logs no
caller number, and stops cleanly."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sqlite3
import sys
from pathlib import Path

import aiohttp

VUURTOREN = str(Path(sys.executable).with_name("vuurtoren"))
EXAMPLE = str(Path(__file__).parents[2] / "examples" / "sociaal-huis.toml")


async def test_demo_runs_end_to_end(tmp_path: Path, unused_tcp_port: int) -> None:
    env = {**os.environ, "VUURTOREN_DATABASE_URL": "postgresql://must-not-be-used/x"}
    proc = await asyncio.create_subprocess_exec(
        VUURTOREN,
        "demo",
        "--listen",
        f"127.0.0.1:{unused_tcp_port}",
        "--speed",
        "30",
        "--calls-per-hour",
        "900",
        "--data-dir",
        str(tmp_path / "demo"),
        "--duration",
        "60",
        "--start",
        "2026-11-23T09:00",  # a Monday, days before the real date (the clocks must differ)
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    assert proc.stdout is not None and proc.stderr is not None
    logs = asyncio.ensure_future(proc.stderr.read())  # drained all along: it never blocks
    try:
        banner = ""
        async with asyncio.timeout(30):
            while "Ctrl-C stops." not in banner:
                banner += (await proc.stdout.readline()).decode()
        url = re.search(r"dashboard:\s+(http://\S+)", banner)
        assert url and url.group(1) == f"http://127.0.0.1:{unused_tcp_port}/"
        assert "sqlite+aiosqlite" in banner  # never the configured production database
        # how to point the commands at this demo (issue 26, point 3)
        assert f"VUURTOREN_DATA_DIR={tmp_path / 'demo'} " in banner
        login = re.search(r"'demo' \(medewerker en leidinggevende\), password '([^']+)'", banner)
        assert login, banner
        jar = aiohttp.CookieJar(unsafe=True)  # cookies of 127.0.0.1 too
        async with aiohttp.ClientSession(cookie_jar=jar) as http:
            page = await http.get(url.group(1), allow_redirects=False)
            assert page.status == 303  # behind login
            form = await (await http.get(url.group(1) + "login")).text()
            token = re.search(r'name="csrf" value="([^"]+)"', form)
            assert token
            await http.post(
                url.group(1) + "login",
                data={"login": "demo", "password": login.group(1), "csrf": token.group(1)},
            )
            page = await http.get(url.group(1))
            assert page.status == 200 and "Wachtrijen nu" in await page.text()
            seen: dict[str, object] = {}

            async def poll() -> bool:
                seen.update(await (await http.get(url.group(1) + "api/queues")).json())
                return seen.get("connected") == "connected" and int(seen["routed"]) >= 3  # type: ignore[call-overload]

            for _ in range(100):
                if await poll():
                    break
                await asyncio.sleep(0.2)
            assert seen["connected"] == "connected" and int(seen["routed"]) >= 3  # type: ignore[call-overload]
        # a command pointed at the demo as its banner says lives on the demo's clock
        # (issue 26, point 12): the override, its audit entry and "now" fall on its day
        demo_dir = tmp_path / "demo"
        cli_env = {k: v for k, v in env.items() if k != "VUURTOREN_DATABASE_URL"}
        cli_env |= {
            "VUURTOREN_DATA_DIR": str(demo_dir),
            "VUURTOREN_AUDIT_KEY_FILE": str(demo_dir / "audit.key"),
        }
        for argv in (
            ["override", "close", "woonloket", "--reason", "Opleiding", "--config", EXAMPLE],
            ["route", "--topic", "1", "--config", EXAMPLE],
        ):
            cli = await asyncio.create_subprocess_exec(
                VUURTOREN, *argv, stdout=asyncio.subprocess.PIPE, env=cli_env
            )
            said, _ = await asyncio.wait_for(cli.communicate(), 30)
            assert cli.returncode == 0, argv
            assert "2026-11-23T09:" in said.decode() or "2026-11-23T10:" in said.decode(), said
    finally:
        proc.send_signal(signal.SIGINT)
        rest = (await asyncio.wait_for(proc.stdout.read(), 30)).decode()
        await proc.wait()
    assert proc.returncode == 0
    stopped = re.search(r"stopped: (\d+) calls recorded, (\d+) routed((?:, [a-z ]+ \d+)*) ", rest)
    assert stopped and int(stopped.group(1)) >= 3 and int(stopped.group(2)) >= 3
    # the calls not routed are named, and they add up (issue 26, point 11)
    others = [int(n) for n in re.findall(r", [a-z ]+ (\d+)", stopped.group(3))]
    assert int(stopped.group(2)) + sum(others) == int(stopped.group(1)), stopped.group(0)
    log_text = (await logs).decode()
    # no line per call unless --verbose: the banner stays in sight, and comes again at the end
    assert " → " not in log_text
    assert rest.count("log in as:") == 1 and login.group(1) in rest
    assert not re.search(r"\+3247\d{7}", log_text)  # no caller number in what is logged
    # the callers begin once the service routes: none met the dialplan's fail-safe
    with sqlite3.connect(tmp_path / "demo" / "vuurtoren.sqlite3") as db:
        live, failsafe = db.execute(
            "SELECT count(*), coalesce(sum(failsafe), 0) FROM calls WHERE call_id NOT LIKE 'hist-%'"
        ).fetchone()
    assert live >= 3 and failsafe == 0
    with sqlite3.connect(tmp_path / "demo" / "vuurtoren.sqlite3") as db:
        (starts,) = db.execute("SELECT starts_at FROM overrides").fetchone()
        days = {d for (d,) in db.execute("SELECT DISTINCT substr(at, 1, 10) FROM audit_log")}
    assert starts.startswith("2026-11-23 0") or starts.startswith("2026-11-23T0"), starts
    assert days == {"2026-11-23"}  # the audit too: one clock in the demo
    assert not (tmp_path / "demo" / "clock.json").exists()  # gone with the demo


async def serve_fails(env: dict[str, str], port: int) -> str:
    """Run `vuurtoren serve` on the example site; it must stop with exit 2: its stderr."""
    from tests.conftest import EXAMPLE

    proc = await asyncio.create_subprocess_exec(
        VUURTOREN,
        "serve",
        "--config",
        str(EXAMPLE),
        "--listen",
        f"127.0.0.1:{port}",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    _, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 2
    text = err.decode()
    assert "Traceback" not in text
    return text


async def test_startup_errors_are_one_clear_line(unused_tcp_port: int) -> None:
    env = {
        **os.environ,
        "VUURTOREN_AMI_SECRET": "x",
        "VUURTOREN_PRIVACY_KEY": "k" * 40,
        "VUURTOREN_DATABASE_URL": "postgresql+asyncpg://nobody:topsecret@127.0.0.1:1/none",
    }
    text = await serve_fails(env, unused_tcp_port)
    assert "error: database postgresql+asyncpg://nobody:***@127.0.0.1:1/none" in text
    assert "topsecret" not in text


async def test_serve_refuses_to_start_without_the_privacy_key(unused_tcp_port: int) -> None:
    env = {**os.environ, "VUURTOREN_AMI_SECRET": "x"}
    env.pop("VUURTOREN_PRIVACY_KEY", None)
    assert "VUURTOREN_PRIVACY_KEY" in await serve_fails(env, unused_tcp_port)
