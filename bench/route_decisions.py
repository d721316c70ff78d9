"""Routing decisions per second and per-decision latency on the example site.

    python bench/route_decisions.py [--config examples/sociaal-huis.toml] [--n 200000] [--seed 1]

Inputs are drawn once, up front (seeded): topics from the menu plus unknown ones, instants
spread over two years (UTC and other offsets), live queue states (unknown, calm, busy, empty),
and an override now and then. Each decision is timed alone with perf_counter_ns; the peer in
the same run is one bare ``opening-hours-py`` ``is_open`` call, the floor a decision builds on.
Bounded: at most --n decisions and --seconds of wall time.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import statistics
import time
from datetime import UTC, datetime, timedelta, timezone

from routing.config import load_site
from routing.decide import decide
from routing.types import QueueState
from schedules.overrides import Override, OverrideMode


def percentile(sorted_ns: list[int], p: float) -> float:
    index = min(len(sorted_ns) - 1, round(p / 100 * (len(sorted_ns) - 1)))
    return sorted_ns[index] / 1000.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--config", default="examples/sociaal-huis.toml")
    parser.add_argument("--n", type=int, default=200_000)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    site = load_site(args.config)
    rng = random.Random(args.seed)
    keys = [None, "", "99", *(t.digit for t in site.topics), *(t.id for t in site.topics)]
    start = datetime(2026, 1, 1, tzinfo=UTC)
    offsets = [UTC, site.zone, timezone(timedelta(hours=-5)), timezone(timedelta(hours=9))]
    states = [None, QueueState(0, 2), QueueState(8, 2), QueueState(0, 0), QueueState(2, 1, 120.0)]
    inputs = []
    for _ in range(args.n):
        key = rng.choice(keys)
        counter = site.counter(site.topic(key).counter)
        at = (start + timedelta(seconds=rng.randrange(2 * 365 * 86400))).astimezone(
            rng.choice(offsets)
        )
        state = rng.choice(states)
        live = {} if state is None else {counter.queue: state}
        overrides = (
            (Override(counter.id, OverrideMode.CLOSED, ends=at + timedelta(hours=2)),)
            if rng.random() < 0.05
            else ()
        )
        inputs.append((key, at, live, overrides))

    for key, at, live, overrides in inputs[:2000]:  # warm caches (holiday lookups)
        decide(site, key, None, at, live, overrides)

    clock = time.perf_counter_ns
    deadline = time.monotonic() + args.seconds
    samples: list[int] = []
    wall0 = clock()
    for key, at, live, overrides in inputs:
        t0 = clock()
        decide(site, key, "+3250000000", at, live, overrides)
        samples.append(clock() - t0)
        if len(samples) % 10_000 == 0 and time.monotonic() > deadline:
            break
    wall = (clock() - wall0) / 1e9

    hours = site.counters[0].hours
    peer: list[int] = []
    for _, at, _, _ in inputs[: len(samples)]:
        t0 = clock()
        hours.is_open(at)
        peer.append(clock() - t0)

    samples.sort()
    peer.sort()
    result = {
        "machine": f"{platform.machine()}, {platform.processor() or 'cpu'}, "
        f"Python {platform.python_version()}",
        "decisions": len(samples),
        "decisions_per_second": round(len(samples) / wall),
        "p50_us": round(percentile(samples, 50), 2),
        "p99_us": round(percentile(samples, 99), 2),
        "max_us": round(samples[-1] / 1000, 1),
        "mean_us": round(statistics.fmean(samples) / 1000, 2),
        "peer_is_open_p50_us": round(percentile(peer, 50), 2),
        "peer_is_open_p99_us": round(percentile(peer, 99), 2),
    }
    if args.json:
        print(json.dumps(result))
    else:
        for k, v in result.items():
            print(f"{k:24} {v}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
