"""Time to a person: from the answer of a call to the first agent's phone ringing, with the
prompts' real lengths, the shipped menu against a flat one (the peer, same run).

    python bench/time_to_person.py [--calls 80] [--gap 15] [--json]

The simulated Asterisk plays every prompt for its length (the built file's, else its text at
espeak-ng's pace, ``callcenter/simulator/prompts.py``) and its callers press their key as soon
as the menu has said their choice (0.5 to 2 s later, barge-in), or nothing (the default topic
after Read's 5 s); topics are drawn with the traffic generator's weights. The service routes
as ``vuurtoren serve`` does. Calls come every ``--gap`` virtual seconds on a Monday morning,
so most counters have a free agent: what is measured is the path, not a queue. Bounded: the
number of calls, and a wait of at most two minutes for them to end.

Per call routed to an open counter, from the simulator's clock (virtual seconds):

- answer → ringing: the call answered to the first ``AgentCalled`` for it;
- choice → ringing: the RouteRequest (sent the moment the last key is read) to that ring;
- said before ``Queue()``: the Redirect to joining the queue (nothing for a counter; one
  sentence for the lighthouse).

The peer is the same example site with the menu it had before: ten choices on one level and
two behind key 9, and the long welcome (``flat_menu``).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import random
import statistics
import time
from typing import Any

from benchlib import START, bench_simulator, machine, percentile, report, service_under_test

FLAT_DIGITS = {
    "financiele-hulp": "1",
    "schulden": "2",
    "wonen": "3",
    "kinderen": "4",
    "kinderopvang": "5",
    "werk": "6",
    "zorg": "7",
    "welzijn": "8",
    "huurwaarborg": "91",
    "senioren": "92",
    "algemeen": "0",
}
FLAT_WELCOME = (
    "Welkom bij het Sociaal Huis. Eén nummer voor al uw vragen over welzijn, wonen, werk en zorg."
)


def flat_menu(site: Any) -> Any:
    """The example site as it was: every topic on the first level (two behind 9), the long
    welcome, the languages offered in the default words."""
    topics = tuple(dataclasses.replace(t, digit=FLAT_DIGITS[t.id]) for t in site.topics)
    texts = {
        lang: {k: v for k, v in own.items() if k != "taalkeuze" and not k.startswith("groep-")}
        for lang, own in site.prompts.texts.items()
    }
    texts["nl"]["welkom"] = FLAT_WELCOME
    prompts = dataclasses.replace(site.prompts, texts=texts)
    return dataclasses.replace(site, topics=topics, prompts=prompts, menu_groups={})


async def one_run(site: Any, calls: int, gap: float, seed: int) -> dict[str, Any]:
    from callcenter.simulator import CallerProfile
    from callcenter.simulator.traffic import draw_caller

    sim = bench_simulator(site, seed)
    await sim.start()
    rings: dict[str, float] = {}

    def ringing(event: Any) -> None:
        if event.name == "AgentCalled":
            rings.setdefault(event.get("Uniqueid") or "", sim.ast.clock.epoch())

    sim.ast.listen(ringing)
    rng = random.Random(seed)
    started = []
    try:
        async with service_under_test(site, sim.port) as r:
            for i in range(calls):
                drawn = draw_caller(site, rng)
                profile = CallerProfile(
                    number=f"+32470{seed:02d}{i:04d}",
                    digits=drawn.digits,
                    patience=600,
                    talk_seconds=rng.uniform(20, 60),
                    menu_seconds=drawn.menu_seconds,
                    react_seconds=drawn.react_seconds,
                    last_resort_choice="hangup",
                )
                started.append(sim.call(profile))
                await sim.clock.sleep(gap)
            await asyncio.wait([c.task for c in started if c.task is not None], timeout=120)
            await r.writer.flush()
            records = {c.truth.linkedid: await r.store.get(c.truth.linkedid) for c in started}
    finally:
        await sim.stop()
    to_ring, after_choice, before_queue, lighthouse_said = [], [], [], []
    for c in started:
        t, rec = c.truth, records.get(c.truth.linkedid)
        if rec is None or rec.decision is None or not t.visits:
            continue
        said = t.visits[0].joined - (t.redirected_at or t.visits[0].joined)
        if rec.decision.target.value == "counter":
            before_queue.append(said)
            ring = rings.get(t.uniqueid)
            if ring is not None and t.route_requested is not None:
                to_ring.append(ring - t.started)
                after_choice.append(ring - t.route_requested)
        elif rec.decision.target.value == "lighthouse":
            lighthouse_said.append(said)

    def summary(values: list[float]) -> dict[str, float | int | None]:
        if not values:
            return {"n": 0, "p50": None, "p90": None, "max": None}
        return {
            "n": len(values),
            "p50": round(statistics.median(values), 1),
            "p90": round(percentile(values, 90), 1),
            "max": round(max(values), 1),
        }

    return {
        "answer_to_ringing_s": summary(to_ring),
        "choice_to_ringing_s": summary(after_choice),
        "said_before_queue_counter_s": summary(before_queue),
        "said_before_queue_lighthouse_s": summary(lighthouse_said),
    }


async def run(args: argparse.Namespace) -> dict[str, Any]:
    from routing.config import load_site

    site = load_site(args.config)
    variants = {"this menu": site, "flat menu (peer)": flat_menu(site)}
    out = {}
    for name, variant in variants.items():
        out[name] = await one_run(variant, args.calls, args.gap, args.seed)
    return {
        "date": time.strftime("%Y-%m-%d"),
        "machine": machine(),
        "start": START.isoformat(),
        "calls": args.calls,
        "gap_seconds": args.gap,
        "variants": out,
    }


def _table(result: dict[str, Any]) -> None:
    print(f"{result['machine']}, {result['calls']} calls, one every {result['gap_seconds']} s")
    rows = (
        ("answer → ringing", "answer_to_ringing_s"),
        ("choice → ringing", "choice_to_ringing_s"),
        ("said before Queue(), counter", "said_before_queue_counter_s"),
        ("said before Queue(), lighthouse", "said_before_queue_lighthouse_s"),
    )
    print(f"{'':34}{'variant':>20}{'n':>6}{'p50 s':>8}{'p90 s':>8}{'max s':>8}")
    for label, key in rows:
        for name, v in result["variants"].items():
            s = v[key]
            print(f"{label:34}{name:>20}{s['n']:>6}{s['p50']!s:>8}{s['p90']!s:>8}{s['max']!s:>8}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--config", default="examples/sociaal-huis.toml")
    parser.add_argument("--calls", type=int, default=80)
    parser.add_argument("--gap", type=float, default=15.0, help="virtual seconds between calls")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    return report(asyncio.run(run(args)), args.json, _table)


if __name__ == "__main__":
    raise SystemExit(main())
