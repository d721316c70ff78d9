"""``vuurtoren simulate``: run the simulated Asterisk for a site, standalone."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import sys
import threading
from datetime import datetime
from typing import Any

from callcenter.asterisk.config import event_filters
from callcenter.cli.common import non_negative_int, parse_instant, site_or_exit
from callcenter.infra.stopper import Stopper
from callcenter.simulator import Account, SimSettings, Simulator

log = logging.getLogger("vuurtoren.simulate")

DEMO_SECRET = "demo-secret"
"""The simulator's default AMI secret: it only ever listens on loopback."""


def register(sub: Any) -> None:
    p = sub.add_parser(
        "simulate",
        help="run a simulated Asterisk (AMI on loopback) for a site, with traffic",
        description="Run a simulated Asterisk 22 for the site: its queues, topics and "
        "lighthouse, generated agents, and callers (unless --calls-per-hour 0). Type 'help' on "
        "standard input for the console (faults, calls, status).",
    )
    p.add_argument("--config", required=True, help="the site file (TOML)")
    p.add_argument("--host", default="127.0.0.1", help="listen address (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=5038, help="AMI port (default 5038; 0: any free)")
    p.add_argument("--user", default=None, help="AMI user (default: the site's [asterisk] user)")
    p.add_argument(
        "--secret",
        default=None,
        help=f"AMI secret (default: $VUURTOREN_AMI_SECRET, else {DEMO_SECRET!r})",
    )
    p.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    p.add_argument(
        "--speed", type=float, default=1.0, help="virtual seconds per real second (default 1)"
    )
    p.add_argument("--start", help="virtual start time, ISO 8601 (default: now)")
    p.add_argument(
        "--calls-per-hour",
        type=float,
        default=60.0,
        help="arrival rate at the weekday morning peak (default 60; 0: no traffic)",
    )
    p.add_argument("--max-calls", type=non_negative_int, help="stop generating after N calls")
    p.add_argument(
        "--asterisk-version",
        choices=["18", "20", "21", "22"],
        default="22",
        help="whose AMI banner to send (default 22)",
    )
    p.add_argument("--queue-log", help="append queue_log lines to this file")
    p.add_argument("--duration", type=float, help="stop after this many real seconds")
    p.add_argument(
        "--all-events",
        action="store_true",
        help="send the account every event; by default only those the service reads, as the "
        "generated manager.conf's eventfilter lines say",
    )
    p.set_defaults(handler=simulate)


def _loopback_only(host: str) -> None:
    if (
        host not in ("127.0.0.1", "::1", "localhost")
        and os.environ.get("VUURTOREN_SIMULATOR_ANY_HOST") != "1"
    ):
        raise SystemExit(
            f"error: --host {host}: the simulator listens on loopback only "
            "(set VUURTOREN_SIMULATOR_ANY_HOST=1 to override on a test network)"
        )


def simulate(args: argparse.Namespace) -> int:
    site = site_or_exit(args.config)
    _loopback_only(args.host)
    if args.speed <= 0:
        print("error: --speed must be positive", file=sys.stderr)
        return 2
    if args.calls_per_hour < 0:
        print("error: --calls-per-hour must not be negative", file=sys.stderr)
        return 2
    start: datetime | None = parse_instant(args.start, site, "--start") if args.start else None
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    user = args.user or site.asterisk.username
    secret = args.secret or os.environ.get(site.asterisk.secret_env) or DEMO_SECRET
    sim = Simulator(
        site,
        accounts=[Account(user, secret, eventfilter=() if args.all_events else event_filters())],
        host=args.host,
        port=args.port,
        seed=args.seed,
        speed=args.speed,
        start=start,
        calls_per_hour=args.calls_per_hour,
        max_calls=args.max_calls,
        settings=SimSettings(version=args.asterisk_version),
    )
    sim.ast.queue_log_file = args.queue_log
    return asyncio.run(_run(sim, args.duration))


async def _run(sim: Simulator, duration: float | None) -> int:
    stopper = Stopper()
    stop = stopper.requested
    loop = asyncio.get_running_loop()
    try:
        port = await sim.start()
    except asyncio.CancelledError:
        await sim.stop()
        print("stopped before the start was complete", flush=True)
        return 0
    print(
        f"Simulated Asterisk {sim.ast.settings.version} for {sim.site.name!r}: AMI on "
        f"{sim.server.host}:{port}, user {sim.accounts[0].username!r}; "
        f"speed x{sim.clock.speed:g}, {sim.traffic.calls_per_hour:g} calls/h at peak. "
        "Type 'help' for the console; Ctrl-C stops.",
        flush=True,
    )
    console = loop.create_task(_console(sim, stop))
    try:
        await stopper.wait(duration)
    finally:
        console.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await console
        await sim.stop()
    print(f"stopped: {len(sim.ast.truth)} calls, {sim.ast.events_emitted} events", flush=True)
    return 0


HELP = """commands:
  status                    calls, queues and sessions now
  call DIGITS [NUMBER]      start one call that keys DIGITS ('-' for nothing)
  fault drop                break every AMI connection
  fault stall SECONDS       hold all AMI output for SECONDS
  fault garbage             write malformed bytes to every session
  fault restart [DOWNTIME]  restart Asterisk (every call is lost)
  quit                      stop"""


def _stdin_lines(loop: asyncio.AbstractEventLoop) -> asyncio.Queue[str]:
    """Lines of standard input, read by a daemon thread so that a blocked read never holds
    up the exit (an executor thread would: asyncio.run joins it). EOF arrives as ''."""
    lines: asyncio.Queue[str] = asyncio.Queue()

    def read() -> None:
        for line in sys.stdin:
            loop.call_soon_threadsafe(lines.put_nowait, line)
        loop.call_soon_threadsafe(lines.put_nowait, "")

    threading.Thread(target=read, name="console", daemon=True).start()
    return lines


async def _console(sim: Simulator, stop: asyncio.Event) -> None:
    if sys.stdin is None or sys.stdin.closed or not sys.stdin.readable():
        return
    lines = _stdin_lines(asyncio.get_running_loop())
    while not stop.is_set():
        line = await lines.get()
        if not line:  # no console (EOF): keep running
            return
        words = line.split()
        if not words:
            continue
        cmd = words[0].lower()
        if cmd in ("quit", "exit"):
            stop.set()
        elif cmd == "help":
            print(HELP, flush=True)
        elif cmd == "status":
            ast = sim.ast
            print(
                f"calls up: {len(ast.calls)}, calls so far: {len(ast.truth)}, "
                f"sessions: {len(sim.server.sessions)}, virtual time "
                f"{ast.local_now():%a %d/%m %H:%M:%S}",
                flush=True,
            )
            for q in ast.queues.values():
                print(
                    f"  {q.name:20} waiting {len(q.entries):2}  logged in {q.logged_in()}  "
                    f"available {q.available()}  completed {q.completed}  abandoned "
                    f"{q.abandoned}",
                    flush=True,
                )
        else:
            print("\n".join(sim.server.run_command("vuurtoren " + line.strip())), flush=True)
