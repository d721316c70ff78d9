"""AMI ingest: events per second of our codec alone, our client, panoramisk and asterisk-ami,
on the same bytes from the same loopback server, in one run.

    python bench/ami_ingest.py [--events 200000] [--repeat 3] [--json]

The byte stream is real simulator output: calls of the example site run through the simulated
Asterisk (queue joins, agent rings, connects, bridges, hangups, VarSets, Newexten…), captured
as encoded AMI and repeated up to --events. A server in *another process* (this machine has
two cores) sends banner, answers Login, then writes the whole stream and a closing
``UserEvent: BenchEnd``. Each client counts the events its subscriber/callback receives until
BenchEnd; the figure is events / (BenchEnd received - login answered). The codec figure feeds
the same bytes to ``Decoder.feed`` in 64 KiB pieces and reads each event's name and Uniqueid.
Every loop is bounded by --events and --timeout.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import statistics
import threading
import time
from datetime import datetime
from zoneinfo import ZoneInfo

from benchlib import machine

from callcenter.ami import AMIClient, ClientSettings, Decoder, Message
from callcenter.ami.codec import encode_message
from callcenter.simulator import CallerProfile, SimSettings, Simulator
from routing.config import load_site

END = encode_message([("Event", "UserEvent"), ("Privilege", "user,all"), ("UserEvent", "BenchEnd")])


async def capture(config: str, calls: int) -> list[bytes]:
    """Encoded events of ``calls`` calls run through the simulator (in-process, fast clock)."""
    site = load_site(config)
    start = datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Europe/Brussels"))
    sim = Simulator(site, speed=2000, start=start, seed=7, settings=SimSettings(failsafe_seconds=1))
    events: list[bytes] = []
    sim.ast.listen(lambda m: events.append(m.encode()))
    await sim.start()
    digits = [t.digit for t in site.topics]
    calls_started = [
        sim.call(
            CallerProfile(
                number=f"+3247000{i:04d}",
                digits=digits[i % len(digits)],
                talk_seconds=60 + i,
                patience=120 + 7 * i,
            )
        )
        for i in range(calls)
    ]
    await asyncio.wait([c.task for c in calls_started if c.task is not None], timeout=30)
    await sim.stop()
    return events


def build_stream(events: list[bytes], total: int) -> bytes:
    out = bytearray()
    i = 0
    while i < total:
        out += events[i % len(events)]
        i += 1
    return bytes(out) + END


# -- the server process --------------------------------------------------------------------


def serve(stream: bytes, port_queue: mp.Queue[int], stop: threading.Event | None = None) -> None:
    async def main() -> None:
        async def session(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            writer.write(b"Asterisk Call Manager/11.0.0\r\n")
            try:
                while True:
                    block = await reader.readuntil(b"\r\n\r\n")
                    headers = dict(
                        line.split(b": ", 1) for line in block.split(b"\r\n") if b": " in line
                    )
                    action = headers.get(b"Action", b"").lower()
                    aid = headers.get(b"ActionID")
                    reply = b"Response: Success\r\n"
                    if aid is not None:
                        reply += b"ActionID: " + aid + b"\r\n"
                    if action == b"login":
                        writer.write(reply + b"Message: Authentication accepted\r\n\r\n")
                        for i in range(0, len(stream), 1 << 16):
                            writer.write(stream[i : i + (1 << 16)])
                            await writer.drain()
                    elif action == b"ping":
                        writer.write(reply + b"Ping: Pong\r\n\r\n")
                    elif action == b"logoff":
                        writer.write(b"Response: Goodbye\r\n\r\n")
                        await writer.drain()
                        break
                    else:
                        writer.write(reply + b"\r\n")
            except (asyncio.IncompleteReadError, ConnectionError):
                pass
            finally:
                writer.close()

        server = await asyncio.start_server(session, "127.0.0.1", 0)
        port_queue.put(server.sockets[0].getsockname()[1])
        async with server:
            await server.serve_forever()

    asyncio.run(main())


# -- the clients -----------------------------------------------------------------------------


def bench_codec(stream: bytes) -> float:
    decoder = Decoder()
    data = b"Asterisk Call Manager/11.0.0\r\n" + stream
    count = 0
    t0 = time.perf_counter()
    for i in range(0, len(data), 1 << 16):
        for m in decoder.feed(data[i : i + (1 << 16)]):
            if isinstance(m, Message):
                m.name  # noqa: B018 - what a dispatcher reads
                m.get("Uniqueid")
                count += 1
    return count / (time.perf_counter() - t0)


async def bench_ours(port: int, expected: int, timeout: float) -> float:
    done = asyncio.Event()
    count = 0
    t_login = 0.0

    def on_event(msg: Message) -> None:
        nonlocal count
        count += 1
        if msg.get("UserEvent") == "BenchEnd":
            done.set()

    client = AMIClient(ClientSettings(port=port, auth="plain", secret="x", ping_interval=600))
    client.subscribe(None, on_event)
    client.on_state(lambda s, d: None)
    await client.start()
    await client.wait_connected(10)
    t_login = time.perf_counter()
    async with asyncio.timeout(timeout):
        await done.wait()
    rate = count / (time.perf_counter() - t_login)
    await client.close()
    assert count == expected, (count, expected)
    return rate


async def bench_panoramisk(port: int, expected: int, timeout: float) -> float:
    from panoramisk import Manager

    done = asyncio.Event()
    count = 0
    logged_in = asyncio.Event()
    t_login = 0.0

    def on_event(manager: object, event: object) -> None:
        nonlocal count
        count += 1
        if getattr(event, "UserEvent", None) == "BenchEnd":
            done.set()

    def on_login(manager: object) -> None:
        nonlocal t_login
        t_login = time.perf_counter()
        logged_in.set()

    manager = Manager(
        host="127.0.0.1",
        port=port,
        username="bench",
        secret="x",
        ping_delay=600,
        loop=asyncio.get_running_loop(),
        on_login=on_login,
    )
    manager.register_event("*", on_event)
    await manager.connect()
    async with asyncio.timeout(timeout):
        await logged_in.wait()
        await done.wait()
    rate = count / (time.perf_counter() - t_login)
    manager.close()
    return rate


def bench_asterisk_ami(port: int, expected: int, timeout: float) -> float:
    from asterisk.ami import AMIClient as ThreadedClient

    done = threading.Event()
    count = 0

    def on_event(event: object, source: object, **_: object) -> None:
        nonlocal count
        count += 1
        if getattr(event, "keys", {}).get("UserEvent") == "BenchEnd":
            done.set()

    client = ThreadedClient(address="127.0.0.1", port=port, timeout=10, buffer_size=1 << 16)
    client.add_event_listener(on_event)
    future = client.login(username="bench", secret="x")
    future.response  # noqa: B018 - wait for the answer
    t_login = time.perf_counter()
    done.wait(timeout)
    rate = count / (time.perf_counter() - t_login)
    client.disconnect()
    return rate


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--config", default="examples/sociaal-huis.toml")
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--calls", type=int, default=40, help="calls to capture events from")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=120.0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    events = asyncio.run(capture(args.config, args.calls))
    stream = build_stream(events, args.events)
    expected = args.events + 1
    port_queue: mp.Queue[int] = mp.Queue()
    server = mp.Process(target=serve, args=(stream, port_queue), daemon=True)
    server.start()
    port = port_queue.get(timeout=30)
    try:
        results: dict[str, list[float]] = {
            "codec": [],
            "ours": [],
            "panoramisk": [],
            "asterisk-ami": [],
        }
        for _ in range(args.repeat):
            results["codec"].append(bench_codec(stream))
            results["ours"].append(asyncio.run(bench_ours(port, expected, args.timeout)))
            results["panoramisk"].append(
                asyncio.run(bench_panoramisk(port, expected, args.timeout))
            )
            results["asterisk-ami"].append(bench_asterisk_ami(port, expected, args.timeout))
    finally:
        server.terminate()
        server.join(5)

    median = {k: statistics.median(v) for k, v in results.items()}
    summary = {
        "date": time.strftime("%Y-%m-%d"),
        "machine": machine(),
        "events": args.events,
        "distinct_events_captured": len(events),
        "bytes": len(stream),
        "mean_event_bytes": round(len(stream) / expected),
        "events_per_second_median": {k: round(v) for k, v in median.items()},
        "ours_vs_panoramisk": round(median["ours"] / median["panoramisk"], 2),
        "runs": {k: [round(x) for x in v] for k, v in results.items()},
    }
    if args.json:
        print(json.dumps(summary, indent=2))
    else:
        print(
            f"{args.events} events ({len(stream) / 1e6:.1f} MB, {len(events)} distinct "
            f"captured from {args.calls} simulated calls), median of {args.repeat} runs"
        )
        for name, value in median.items():
            print(f"  {name:14} {value:>10,.0f} events/s")
        print(f"  ours / panoramisk: {summary['ours_vs_panoramisk']}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
