"""Route latency: from the RouteRequest leaving the simulated Asterisk to the Redirect
arriving back, at a fixed rate of new calls, with the matching background event flow.

    python bench/route_latency.py [--rates 10,50,200] [--seconds 20] [--padding 120]

The simulated Asterisk runs in *another process* (this machine has two cores) and measures
both ends itself (one clock). The service runs here exactly as ``vuurtoren serve`` does: our
AMI client, the call tracker, the routing decision, the store writer on SQLite. Each phase
starts ``rate`` calls a second for ``--seconds`` seconds (bounded), each call emitting about
``40 + padding`` events (a real Asterisk 22 with Local channels emits about 160), of which the
service's account is sent only those its manager.conf ``eventfilter`` lines pass (all of them
with ``--all-events``), waits until
every call has ended, then checks that every call has exactly one stored record. The
service's CPU (process time / wall time) and memory (RSS) are read from /proc for this
process.

Where the time went, per call, on the machine's one monotonic clock (``perf_counter``): "there"
is from the RouteRequest leaving the simulator until the service has written its Redirect
(the socket, the service's loop getting to it, the decision); "back" is from then until the
simulator reads the Redirect (the socket, the *simulator's* loop getting to it). A "back"
tail is the measuring instrument's, not the service's.

The example site's own phones (two or three a counter) are overrun at these rates: most
calls overflow to the lighthouse and on to the last resort, where the simulated callers ask
for a callback and Vuurtoren puts a stand-in in line; the "last res" column counts them.
``--agents N`` gives every queue N phones instead (the lighthouse rings all of its phones at
once, so many phones there multiply the simulator's events).

``--logins-per-second N`` also logs a user in N times a second during each phase, through the
dashboard's login form over loopback (Argon2id off the event loop), and first times 100 logins
on their own: the peer of a run with logins is the same run without.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import gc
import os
import random
import resource
import statistics
import time
from dataclasses import replace
from datetime import timedelta
from typing import Any

from benchlib import (
    SPEED,
    START,
    bench_simulator,
    machine,
    paced_calls,
    percentile,
    report,
    serve_phases,
    service_under_test,
    staffed,
    start_sim_process,
)

from callcenter.ami.codec import Message
from callcenter.cli.runner import settle_heap
from routing.config import load_site


def _sim_process(
    config: str,
    padding: int,
    instrument_gc_off: bool,
    all_events: bool,
    agents: int,
    commands: Any,
    results: Any,
) -> None:
    """The simulated Asterisk: serves AMI, runs phases on command, reports measurements."""

    async def main() -> None:
        site = load_site(config) if not agents else staffed(load_site(config), agents)
        sim = bench_simulator(site, seed=5, all_events=all_events, padding=padding)
        for queue in sim.ast.queues.values():
            for member in queue.members.values():
                member.device.answer_delay = (0.5, 1.5)
        await sim.start()
        digits = [t.digit for t in site.topics]

        async def phase(rate: float, seconds: float) -> dict[str, Any]:
            sim.ast.route_latencies.clear()
            sim.ast.route_marks.clear()
            sim.ast.truth.clear()
            gc.collect()
            if instrument_gc_off:
                gc.disable()  # the simulator measures: keep its own GC pauses out of it
            cpu0, wall0 = time.process_time(), time.perf_counter()
            events_before = sim.ast.events_emitted
            sent_before = sim.server.events_sent
            rng = random.Random(rate)
            await paced_calls(
                sim, rng, rate, seconds, functools.partial(rng.choice, digits), (10, 30)
            )
            gc.enable()
            return {
                "sim_cpu_percent": round(
                    100 * (time.process_time() - cpu0) / (time.perf_counter() - wall0), 1
                ),
                "calls": int(rate * seconds),
                "ended": sum(1 for t in sim.ast.truth.values() if t.ended is not None),
                "failsafe": sum(1 for t in sim.ast.truth.values() if t.failsafe),
                "last_resort": sum(1 for t in sim.ast.truth.values() if t.outcome == "last_resort"),
                "latencies": list(sim.ast.route_latencies),
                "marks": list(sim.ast.route_marks),
                "events": sim.ast.events_emitted - events_before,
                "events_sent": sim.server.events_sent - sent_before,
                "call_ids": sorted(sim.ast.truth),
            }

        await serve_phases(sim, commands, results, phase)

    asyncio.run(main())


async def _check_records(store: Any, call_ids: list[str]) -> tuple[list[str], list[str]]:
    """The phase's calls without a stored record, and those stored without an outcome. (In
    a function of its own: the records it reads are garbage when it returns, not kept in
    the service's heap through the next phase, where every collection would scan them.)"""
    outcome = {c.call_id: c.outcome for c in await store.all_calls()}
    missing = [cid for cid in call_ids if cid not in outcome]
    unfinished = [cid for cid in call_ids if cid in outcome and outcome[cid] is None]
    return missing, unfinished


async def _loop_lag(out: list[float]) -> None:
    """How late the service's event loop wakes a 1 ms sleep: its stalls, in ms."""
    while True:
        t = time.perf_counter()
        await asyncio.sleep(0.001)
        out.append((time.perf_counter() - t - 0.001) * 1000)


class GcPauses:
    """The service's garbage-collector pauses (gc.callbacks), longest first."""

    def __init__(self) -> None:
        self.pauses: list[tuple[float, int]] = []
        self._t = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._t = time.perf_counter()
        else:
            self.pauses.append(((time.perf_counter() - self._t) * 1000, info["generation"]))

    def longest(self) -> float:
        return round(max((p for p, _ in self.pauses), default=0.0), 1)


def _rss_mb() -> float:
    with open("/proc/self/statm") as f:
        pages = int(f.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1e6


LARGEST_ICS = (
    b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//bench//bench//NL\r\nBEGIN:VEVENT\r\n"
    b"UID:bench@vuurtoren\r\nDTSTART;TZID=Europe/Brussels:20261124T070000\r\nDURATION:PT1M\r\n"
    b"RRULE:FREQ=DAILY;BYHOUR=7,20,21;COUNT=2000\r\nSUMMARY:Bench\r\nEND:VEVENT\r\n"
    b"END:VCALENDAR\r\n"
)
"""2000 one-minute closures outside every counter's hours (07:00, 20:00, 21:00): the most an
import may hold, and nothing routed differently."""


async def _heavy_work(r: Any, site: Any, seconds: float, done: list[str]) -> None:
    """Bounded: imports and year reports one after the other for ``seconds`` (at most 200)."""
    from callcenter.figures.reports import build_report, period

    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    scope = [site.counters[-1].id]
    while loop.time() < deadline and len(done) < 200:
        await r.ops.closures.import_ics(LARGEST_ICS, scope, name="bench.ics", actor="bench")
        done.append("import")
        year = period("period", START.date() - timedelta(days=365), START.date())
        await build_report(r.store.engine, site, year)
        done.append("report")


async def run(args: argparse.Namespace) -> dict[str, Any]:
    site = load_site(args.config)
    if args.agents:
        site = staffed(site, args.agents)
    # a waiting caller's reminders at the rate of real time (every --reminder-seconds of the
    # wall clock, as in production): the simulator's clock runs SPEED times faster
    every = int(args.reminder_seconds * SPEED)
    site = replace(site, prompts=replace(site.prompts, queue_announce_seconds=every))
    proc, commands, results, port = await start_sim_process(
        _sim_process, args.config, args.padding, args.sim_gc_off, args.all_events, args.agents
    )
    phases = []
    loop = asyncio.get_running_loop()
    async with service_under_test(site, port) as r:
        routed: dict[str, float] = {}

        def mark(event: Message) -> None:  # after the service's own interceptor: Redirect sent
            if event.get("UserEvent") == "RouteRequest":
                routed[event.get("Channel") or ""] = time.perf_counter()

        r.ami.intercept("UserEvent", mark)
        idle_logins: list[float] = []
        if args.logins_per_second:
            await r.staff.users.add("bench", "Bench", ["agent"], LOGIN_PASSWORD)
            await _logins(r.url, 0, 100, idle_logins)  # one after the other, nothing else on
        if not args.no_freeze:
            settle_heap()  # as serve does
        variants = (False, True) if args.ab_setvar else (False,)
        for rate, setvar in ((rate, v) for rate in args.rates for v in variants):
            r.service.setvar_for_counters = setvar  # B: the router of before (2 actions)
            login_times: list[float] = []
            login_task = (
                asyncio.create_task(
                    _logins(
                        r.url,
                        args.logins_per_second,
                        int(args.logins_per_second * args.seconds),
                        login_times,
                    )
                )
                if args.logins_per_second
                else None
            )
            heavy: list[str] = []
            heavy_task = (
                asyncio.create_task(_heavy_work(r, site, args.seconds, heavy))
                if args.heavy_work
                else None
            )
            routed.clear()
            lags: list[float] = []
            probe = asyncio.create_task(_loop_lag(lags))
            gc_pauses = GcPauses()
            gc.callbacks.append(gc_pauses)
            cpu0, wall0 = time.process_time(), time.perf_counter()
            commands.put(("phase", rate, args.seconds))
            _, phase = await loop.run_in_executor(
                None, lambda: results.get(timeout=args.seconds + 300)
            )
            cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
            probe.cancel()
            if login_task is not None:
                await login_task
            if heavy_task is not None:
                await heavy_task
            gc.callbacks.remove(gc_pauses)
            await r.writer.flush()
            t_gc = time.perf_counter()
            gc.collect()  # between phases: what one full collection costs the service now
            full_gc_ms = (time.perf_counter() - t_gc) * 1000
            missing, unfinished = await _check_records(r.store, phase["call_ids"])
            lat = [x * 1000 for x in phase["latencies"]]
            # where the time went: to the service and through it, then back to the simulator
            marks = [
                (routed[ch] - sent, back - routed[ch])
                for ch, sent, back in phase["marks"]
                if ch in routed
            ]
            there = [a * 1000 for a, _ in marks]
            back = [b * 1000 for _, b in marks]
            phases.append(
                {
                    "calls_per_second": rate,
                    "router": "setvar+redirect" if setvar else "redirect",
                    "calls": phase["calls"],
                    "events": phase["events"],
                    "events_per_call": round(phase["events"] / max(1, phase["calls"])),
                    "events_sent_per_call": round(phase["events_sent"] / max(1, phase["calls"])),
                    "routed": len(lat),
                    "failsafe": phase["failsafe"],
                    "last_resort": phase["last_resort"],
                    "p50_ms": round(statistics.median(lat), 2) if lat else None,
                    "p99_ms": round(percentile(lat, 99), 2) if lat else None,
                    "max_ms": round(max(lat), 2) if lat else None,
                    "to_redirect_p50_ms": round(statistics.median(there), 2) if there else None,
                    "to_redirect_p99_ms": round(percentile(there, 99), 2) if there else None,
                    "back_p50_ms": round(statistics.median(back), 2) if back else None,
                    "back_p99_ms": round(percentile(back, 99), 2) if back else None,
                    "service_cpu_percent": round(100 * cpu / wall, 1),
                    "service_loop_lag_p99_ms": round(percentile(lags, 99), 2) if lags else None,
                    "service_loop_lag_max_ms": round(max(lags), 1) if lags else None,
                    "service_gc_longest_ms": gc_pauses.longest(),
                    "service_gc_full": sum(1 for _, g in gc_pauses.pauses if g == 2),
                    "service_gc_over_5ms": sorted(
                        ((round(p, 1), g) for p, g in gc_pauses.pauses if p > 5), reverse=True
                    ),
                    "service_full_gc_ms": round(full_gc_ms, 1),
                    "sim_cpu_percent": phase["sim_cpu_percent"],
                    "service_rss_mb": round(_rss_mb(), 1),
                    "service_peak_rss_mb": round(
                        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1
                    ),
                    "calls_without_record": len(missing),
                    "records_without_outcome": len(unfinished),
                    "imports_and_reports": len(heavy),
                    "logins": len(login_times),
                    "login_p95_ms": round(percentile(login_times, 95), 1) if login_times else None,
                }
            )
    commands.put(("stop",))
    proc.join(30)
    return {
        "date": time.strftime("%Y-%m-%d"),
        "machine": machine(),
        "seconds_per_phase": args.seconds,
        "reminder_seconds": args.reminder_seconds,
        "logins_per_second": args.logins_per_second,
        "login_alone_p50_ms": round(statistics.median(idle_logins), 1) if idle_logins else None,
        "login_alone_p95_ms": round(percentile(idle_logins, 95), 1) if idle_logins else None,
        "phases": phases,
    }


LOGIN_PASSWORD = "bench-password-not-secret"


async def _logins(url: str, per_second: float, count: int, times: list[float]) -> None:
    """``count`` logins through the login form (bounded), ``per_second`` a second (0: one
    after the other); each one's wall time in ms goes to ``times``."""
    import re

    import aiohttp

    jar = aiohttp.CookieJar(unsafe=True)
    async with aiohttp.ClientSession(cookie_jar=jar) as http:
        form = await (await http.get(url + "login")).text()
        found = re.search(r'name="csrf" value="([^"]+)"', form)
        assert found, "the login form"
        token = found.group(1)
        start = time.perf_counter()
        for i in range(count):
            if per_second:
                delay = start + i / per_second - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
            t0 = time.perf_counter()
            async with http.post(
                url + "login",
                data={"login": "bench", "password": LOGIN_PASSWORD, "csrf": token},
                allow_redirects=False,
            ) as resp:
                assert resp.status == 303, resp.status
            times.append((time.perf_counter() - t0) * 1000)
            jar.update_cookies({"vt_login": token})  # the form's token for the next one


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--config", default="examples/sociaal-huis.toml")
    parser.add_argument(
        "--rates", default="10,50,200", type=lambda s: [float(x) for x in s.split(",")]
    )
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument(
        "--agents",
        type=int,
        default=0,
        help="phones in every queue, the lighthouse's too (default 0: the site's own)",
    )
    parser.add_argument(
        "--reminder-seconds",
        type=float,
        default=60.0,
        help="a waiting caller's reminders every this many real seconds (default 60, as the "
        "example site; 3 makes them as often as the simulator's virtual minute)",
    )
    parser.add_argument(
        "--padding",
        type=int,
        default=120,
        help="extra events per call the service never reads (channel variables, dialplan "
        "steps, connected-line and device states; default 120: ~160 a call)",
    )
    parser.add_argument(
        "--all-events",
        action="store_true",
        help="send the service every event; by default its account has the generated "
        "manager.conf's eventfilter lines, as in production",
    )
    parser.add_argument(
        "--sim-gc-off",
        action="store_true",
        help="pause the simulator's cyclic GC during a phase (the simulator is "
        "the measuring instrument; the service keeps its GC)",
    )
    parser.add_argument(
        "--no-freeze",
        action="store_true",
        help="leave startup's objects to the collector (serve freezes them: settle_heap)",
    )
    parser.add_argument(
        "--logins-per-second",
        type=float,
        default=0.0,
        help="log a user in this often during each phase (the routing peer: 0)",
    )
    parser.add_argument(
        "--ab-setvar",
        action="store_true",
        help="run every rate twice in the same run: the service as it is (an open counter's "
        "call routed by the Redirect alone) and, as the peer, the same service sending a "
        "Setvar before each Redirect as it did before",
    )
    parser.add_argument(
        "--heavy-work",
        action="store_true",
        help="during each phase, import the largest calendar allowed (2000 closures) and "
        "build a year's report, one after the other, as a manager could (the peer: a run "
        "without)",
    )
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    return report(asyncio.run(run(args)), args.json, lambda r: _table(r, args.seconds))


def _table(result: dict[str, Any], seconds: float) -> None:
    print(f"{result['machine']}, {seconds:g} s a phase")
    if result["logins_per_second"]:
        print(
            f"logins alone: p50 {result['login_alone_p50_ms']} ms, p95 "
            f"{result['login_alone_p95_ms']} ms; during phases: "
            f"{result['logins_per_second']:g}/s"
        )
    head = (
        "calls/s",
        "router",
        "calls",
        "ev/call",
        "sent/call",
        "p50 ms",
        "p99 ms",
        "max ms",
        "there p99",
        "back p99",
        "svc cpu%",
        "lag p99",
        "lag max",
        "gc max",
        "sim cpu%",
        "rss MB",
        "last res",
        "no rec",
        "logins",
        "login p95",
        "heavy",
    )
    keys = (
        "calls_per_second",
        "router",
        "calls",
        "events_per_call",
        "events_sent_per_call",
        "p50_ms",
        "p99_ms",
        "max_ms",
        "to_redirect_p99_ms",
        "back_p99_ms",
        "service_cpu_percent",
        "service_loop_lag_p99_ms",
        "service_loop_lag_max_ms",
        "service_gc_longest_ms",
        "sim_cpu_percent",
        "service_rss_mb",
        "last_resort",
        "calls_without_record",
        "logins",
        "login_p95_ms",
        "imports_and_reports",
    )
    print(" ".join(f"{h:>9}" for h in head))
    for p in result["phases"]:
        print(" ".join(f"{p[k]!s:>9}" for k in keys))


if __name__ == "__main__":
    raise SystemExit(main())
