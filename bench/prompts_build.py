"""Building the prompts: every prompt of a site from nothing, again with nothing changed, and
again after one topic's label changed (which should touch that language's menu alone).

    python bench/prompts_build.py [--config examples/sociaal-huis.toml] [--repeat 3] [--json]

Each round builds into a new temporary folder (espeak-ng and sox, one job per core). The
peer in the same run: the build from nothing with one job at a time (``--jobs 1``).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from benchlib import machine, report

from callcenter.prompts.build import build
from routing.config import load_site, parse_site


def timed(site: Any, out: Path, base: Path, jobs: int | None = None) -> tuple[float, Any]:
    t = time.perf_counter()
    result = build(site, out, base, jobs=jobs)
    return time.perf_counter() - t, result


def run(args: argparse.Namespace) -> dict[str, Any]:
    config = Path(args.config)
    site = load_site(config)
    text = config.read_text("utf-8")
    label = site.topics[0].label
    changed = parse_site(text.replace(f'label = "{label}"', f'label = "{label} en meer"'))
    rounds: dict[str, list[float]] = {
        "full": [],
        "unchanged": [],
        "one_label": [],
        "full_1_job": [],
    }
    made: dict[str, int] = {}
    for _ in range(args.repeat):
        folder = Path(tempfile.mkdtemp())
        try:
            seconds, r = timed(site, folder / "a", config.parent)
            rounds["full"].append(seconds)
            made["full"] = len(r.synthesised) + len(r.recorded)
            seconds, r = timed(site, folder / "a", config.parent)
            rounds["unchanged"].append(seconds)
            made["unchanged"] = len(r.synthesised) + len(r.recorded)
            seconds, r = timed(changed, folder / "a", config.parent)
            rounds["one_label"].append(seconds)
            made["one_label"] = len(r.synthesised) + len(r.recorded)
            seconds, r = timed(site, folder / "b", config.parent, jobs=1)
            rounds["full_1_job"].append(seconds)
            made["full_1_job"] = len(r.synthesised) + len(r.recorded)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
    return {
        "date": time.strftime("%Y-%m-%d"),
        "machine": machine(),
        "prompts": made["full"],
        "languages": list(site.prompts.languages),
        "rounds": {
            name: {
                "made": made[name],
                "median_s": round(statistics.median(times), 3),
                "max_s": round(max(times), 3),
            }
            for name, times in rounds.items()
        },
    }


def _table(result: dict[str, Any]) -> None:
    print(f"{result['machine']}, {result['prompts']} prompts ({', '.join(result['languages'])})")
    for name, r in result["rounds"].items():
        print(
            f"  {name:12} made {r['made']:4}  median {r['median_s']:7.3f} s  max {r['max_s']:.3f} s"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", default="examples/sociaal-huis.toml")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    raise SystemExit(report(run(args), args.json, _table))
