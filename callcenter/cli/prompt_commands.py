"""``prompts``: build what the citizen hears, from the site file, into a folder for Asterisk."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from callcenter.cli.common import EXIT_INVALID, EXIT_OK, CommandError, out_folder, site_or_exit
from callcenter.prompts.build import ToolMissing, build, check_recordings


def register(sub: Any) -> None:
    p = sub.add_parser(
        "prompts",
        help="build every prompt (recorded or synthesised) as 8 kHz mono WAV for Asterisk",
    )
    p.add_argument("--config", required=True, help="the site file (TOML)")
    p.add_argument(
        "--out", required=True, help="the folder to fill (Asterisk reads it as [prompts] dir)"
    )
    p.add_argument("--jobs", type=int, help="tools run at a time (default: one per core)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(handler=build_prompts)


def build_prompts(args: argparse.Namespace) -> int:
    site = site_or_exit(args.config)
    base = Path(args.config).resolve().parent
    bad = check_recordings(site, base)
    if bad:
        for problem in bad:
            print(f"error: {problem}", file=sys.stderr)
        return EXIT_INVALID
    try:
        report = build(site, out_folder(args.out), base, jobs=args.jobs)
    except ToolMissing as exc:
        raise CommandError(str(exc)) from None
    if args.json:
        print(json.dumps(report.as_json(), ensure_ascii=False, indent=1))
    else:
        made = len(report.recorded) + len(report.synthesised)
        print(
            f"{report.out}: {made} made ({len(report.recorded)} recorded, "
            f"{len(report.synthesised)} synthesised), {len(report.unchanged)} unchanged, "
            f"{len(report.removed)} removed"
        )
        for kind, names in (
            ("recorded", report.recorded),
            ("synthesised", report.synthesised),
            ("removed", report.removed),
        ):
            for name in names:
                print(f"  {kind:12} {name}")
    for failure in report.failed:
        print(f"error: {failure}", file=sys.stderr)
    return EXIT_INVALID if report.failed else EXIT_OK
