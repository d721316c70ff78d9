"""Routing a region (issue 28): the decision for a region of 8 municipalities and 60 counters,
beside the example single site in the same run, and the whole path at 50 calls/s across the
region beside the single site at the same rate.

    python bench/region_routing.py [--n 100000] [--rate 50] [--seconds 20] [--callers 5000]

The region is generated (``region_text``: 8 municipalities with 5 counters of their own and
20 shared services, each municipality's menu with its own topics and the shared ones) into a
temporary folder. Part 1 times each decision alone as the service makes it for a region: the
municipality from the number dialled (``Site.find_site``, as the call tracker does), then the
decision in its menu; the callers are drawn from a pool of ``--callers`` numbers, every one of
them in the consent register of neighbourhood teams (each municipality has two teams on its
menu key 1; the register is stored in SQLite and read into memory as the service does), so a
call on key 1 includes the register lookup and the team's (or the own worker's) decision. The
peer is
the single example site's decision on the same kind of inputs, interleaved in the same loop
(the same machine state for both). Part 2 runs ``bench/route_latency.py`` (the simulated
Asterisk in another process, the service as ``vuurtoren serve`` runs it) on the region and on
the example site, one after the other, at ``--rate`` calls a second. Bounded: at most ``--n``
decisions each and ``--seconds`` per phase.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import platform
import random
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from callcenter.contacts.known import KnownCallers  # noqa: E402
from callcenter.staff.audit import AuditLog  # noqa: E402
from callcenter.store import open_engine, upgrade  # noqa: E402
from routing.config import load_site  # noqa: E402
from routing.decide import decide  # noqa: E402
from routing.site import Site  # noqa: E402
from routing.types import QueueState  # noqa: E402

SITES = 8
OWN = 5
SHARED = 20
_HOURS = (
    "Mo-Fr 09:00-12:00; PH off",
    "Mo-Fr 08:30-12:00; Tu,Th 08:30-12:00,13:30-16:30; PH off",
    "Mo,We,Fr 09:00-12:00; PH off",
    "Mo-Th 09:00-12:00,13:00-16:00; PH off",
)


def region_text(sites: int = SITES, own: int = OWN, shared: int = SHARED) -> str:
    """A region's site file: ``sites`` municipalities with ``own`` counters each and
    ``shared`` regional services (60 counters for the defaults)."""
    out = [
        '[site]\nname = "Benchregio"\ntimezone = "Europe/Brussels"\ncountry = "BE"\n',
        '[lighthouse]\nqueue = "lighthouse"\nhours = "Mo-Fr 08:00-18:00; Sa 09:00-12:00"\n',
        '[routing]\ndefault_topic = "algemeen-g0"\n',
        '[menu]\ngroups = { "5" = "regionale diensten", "6" = "meer", "7" = "nog meer" }\n',
    ]
    for g in range(sites):
        out.append(
            f'[[sites]]\nid = "g{g}"\nname = "Sociaal Huis {g}"\nnumber = "011 {g:02d} 00 00"\n'
            f'default_topic = "algemeen-g{g}"\n'
            # neighbourhood teams: topic 1 goes to the caller's own team (2 and 3), else
            # to its own counter, the intake
            f'  [sites.teams]\n  topic = "t1-g{g}"\n  counters = ["c2-g{g}", "c3-g{g}"]\n'
        )
        for k in range(own):
            digit = "9" if k == 0 else str(k)
            tid = f"algemeen-g{g}" if k == 0 else f"t{k}-g{g}"
            out.append(
                f'  [[sites.topics]]\n  id = "{tid}"\n  digit = "{digit}"\n'
                f'  label = "vraag {k}"\n  counter = "c{k}-g{g}"\n'
            )
    for g in range(sites):
        for k in range(own):
            out.append(
                f'[[counters]]\nid = "c{k}-g{g}"\nsite = "g{g}"\nname = "Loket {k} {g}"\n'
                f'organisation = "OCMW {g}"\naddress = "Markt {g}"\nqueue = "c{k}-g{g}"\n'
                f'hours = "{_HOURS[(g + k) % len(_HOURS)]}"\nmax_waiting = 6\n'
                + (f'postcodes = ["{3900 + g * 10 + k}"]\n' if k in (2, 3) else "")
            )
    for s in range(shared):
        out.append(
            f'[[counters]]\nid = "r{s}"\nname = "Regionale dienst {s}"\n'
            f'organisation = "Welzijnsregio"\naddress = "Kloosterstraat 2"\nqueue = "r{s}"\n'
            f'hours = "{_HOURS[s % len(_HOURS)]}"\nmax_waiting = 8\n'
        )
        out.append(
            f'[[topics]]\nid = "r{s}"\ndigit = "{5 + s // 9}{s % 9 + 1}"\n'
            f'label = "regionale dienst {s}"\ncounter = "r{s}"\n'
        )
    return "\n".join(out)


def percentile(sorted_ns: list[int], p: float) -> float:
    index = min(len(sorted_ns) - 1, round(p / 100 * (len(sorted_ns) - 1)))
    return sorted_ns[index] / 1000.0


def _inputs(site: Site, rng: random.Random, n: int, callers: int) -> list[tuple[Any, ...]]:
    locals_ = site.sites or (site,)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    states = [None, QueueState(0, 2), QueueState(8, 2), QueueState(0, 0), QueueState(2, 1, 120.0)]
    out = []
    for _ in range(n):
        local = rng.choice(locals_)
        key = rng.choice([None, "99", *(t.digit for t in local.topics)])
        counter = local.counter(local.topic(key).counter)
        at = start + timedelta(seconds=rng.randrange(2 * 365 * 86400))
        state = rng.choice(states)
        live = {} if state is None else {counter.queue: state}
        caller = f"+3247{rng.randrange(callers):07d}"
        out.append((local.number or "", key, caller, at, live))
    return out


async def _register(region: Site, callers: int, folder: Path) -> KnownCallers:
    """The consent register with ``callers`` registered numbers (the whole pool: every
    caller is known), each in a team of the municipality, one in two with a worker's phone,
    stored in SQLite and read back into memory as the service does at start."""
    engine = open_engine(f"sqlite+aiosqlite:///{folder / 'register.sqlite3'}")
    await upgrade(engine)
    now = datetime.now(UTC)
    known = KnownCallers(engine, AuditLog(engine), region, lambda: now)
    teams = list(known.teams)
    rows = [(f"+3247{n:07d}", teams[n % len(teams)], None, now) for n in range(callers)]
    await known.record_many(rows, actor="bench", source="bench")
    await known.load()
    await engine.dispose()
    return known


def decisions(
    region: Site, lone: Site, known: KnownCallers, n: int, callers: int, seed: int
) -> dict[str, Any]:
    rng = random.Random(seed)
    ins_region = _inputs(region, rng, n, callers)
    ins_lone = _inputs(lone, rng, n, callers)
    clock = time.perf_counter_ns

    def in_region(number: str, key: str | None, caller: str, at: datetime, live: Any) -> None:
        found = region.find_site(number)  # the number dialled, as the tracker reads it
        local = region.local(found.site_id if found else None)
        team = worker = None
        teams = local.teams
        if teams is not None and teams.serves(local.topic(key).id):
            entry = known.lookup(caller)  # the consent register, as the service asks it
            if entry is not None and entry.team in teams.counters:
                team = entry.team
                worker = "PJSIP/w" if int(caller[-1]) % 2 else None  # free half the time
        decide(local, key, caller, at, live, team=team, worker=worker)

    for i in range(2000):  # warm the holiday lookups of both
        in_region(*ins_region[i])
        _, key, caller, at, live = ins_lone[i]
        decide(lone, key, caller, at, live)
    r_ns: list[int] = []
    l_ns: list[int] = []
    team_ns: list[int] = []
    for (number, key, caller, at, live), (_, lkey, lcaller, lat, llive) in zip(
        ins_region, ins_lone, strict=True
    ):
        t0 = clock()
        in_region(number, key, caller, at, live)
        t1 = clock()
        decide(lone, lkey, lcaller, lat, llive)
        t2 = clock()
        r_ns.append(t1 - t0)
        l_ns.append(t2 - t1)
        if key == "1":
            team_ns.append(t1 - t0)
    r_ns.sort()
    team_ns.sort()
    l_ns.sort()
    return {
        "decisions": n,
        "register_lookups": len(team_ns),
        "team_calls_p50_us": round(percentile(team_ns, 50), 2),
        "team_calls_p99_us": round(percentile(team_ns, 99), 2),
        "region_p50_us": round(percentile(r_ns, 50), 2),
        "region_p99_us": round(percentile(r_ns, 99), 2),
        "single_p50_us": round(percentile(l_ns, 50), 2),
        "single_p99_us": round(percentile(l_ns, 99), 2),
        "p99_ratio": round(percentile(r_ns, 99) / percentile(l_ns, 99), 2),
    }


def whole_path(config: Path, rate: int, seconds: float) -> dict[str, Any]:
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "route_latency.py"),
            "--config",
            str(config),
            "--rates",
            str(rate),
            "--seconds",
            str(seconds),
            "--json",
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    phase = json.loads(done.stdout)["phases"][0]
    keys = ("calls", "routed", "p50_ms", "p99_ms", "max_ms", "to_redirect_p99_ms")
    return {k: phase.get(k) for k in (*keys, "service_cpu_percent")}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--callers", type=int, default=5000)
    parser.add_argument("--rate", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--skip-path", action="store_true", help="only the decisions")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="vuurtoren-region-"))
    config = folder / "regio8.toml"
    config.write_text(region_text(), encoding="utf-8")
    region = load_site(config)
    lone = load_site(ROOT / "examples" / "sociaal-huis.toml")
    result: dict[str, Any] = {
        "machine": f"{platform.machine()}, Python {platform.python_version()}",
        "region": {
            "sites": len(region.sites),
            "counters": len(region.counters),
            "registered_callers": args.callers,
        },
        "decide": decisions(
            region,
            lone,
            asyncio.run(_register(region, args.callers, folder)),
            args.n,
            args.callers,
            args.seed,
        ),
    }
    if not args.skip_path:
        result["path_region"] = whole_path(config, args.rate, args.seconds)
        lone_config = ROOT / "examples" / "sociaal-huis.toml"
        result["path_single"] = whole_path(lone_config, args.rate, args.seconds)
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
