"""``capture`` and ``replay``: record a live AMI stream; compute statistics from one."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from callcenter.calls.capture import NotACapture, capture, replay_file
from callcenter.cli.common import EXIT_INVALID, EXIT_OK, read_secret, site_or_exit
from callcenter.figures.stats import queue_stats


def register(sub: Any) -> None:
    p = sub.add_parser("capture", help="record the raw AMI byte stream of a live Asterisk")
    p.add_argument(
        "--config",
        required=True,
        help="the site file ([asterisk] host, port; the capture account's secret from "
        "capture_secret_env, VUURTOREN_AMI_CAPTURE_SECRET by default)",
    )
    p.add_argument("--out", required=True, help="file to write the bytes to")
    p.add_argument("--seconds", type=float, default=60.0, help="how long (default 60)")
    p.set_defaults(handler=capture_command)

    p = sub.add_parser("replay", help="per-queue statistics from a recorded AMI byte stream")
    p.add_argument("file", help="raw AMI bytes as received (banner included)")
    p.add_argument("--config", help="the site file, for per-queue thresholds (T_sl, T_short)")
    p.add_argument("--json", action="store_true", help="print JSON (the default is a table)")
    p.set_defaults(handler=replay_command)


def capture_command(args: argparse.Namespace) -> int:
    site = site_or_exit(args.config)
    secret = read_secret(site, capture=True)  # its own account: never the service's
    a = site.asterisk
    try:
        written = asyncio.run(
            capture(a.host, a.port, a.capture_username, secret, Path(args.out), args.seconds)
        )
    except (OSError, PermissionError, TimeoutError) as exc:
        print(f"error: capture from {a.host}:{a.port} failed: {exc}", file=sys.stderr)
        return EXIT_INVALID
    print(f"{args.out}: {written} bytes in {args.seconds:g} s from {a.host}:{a.port}")
    return EXIT_OK


def replay_command(args: argparse.Namespace) -> int:
    site = site_or_exit(args.config) if args.config else None
    path = Path(args.file)
    if not path.is_file():
        print(f"error: {path}: no such file", file=sys.stderr)
        return EXIT_INVALID
    try:
        calls, _, errors = replay_file(path, site)
    except NotACapture as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_INVALID
    except OSError as exc:
        print(f"error: {path}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_INVALID
    stats = queue_stats(calls, site)
    report = {
        "queues": {name: s.as_json() for name, s in stats.items()},
        "calls": len(calls),
        "frame_errors": errors,
        "outcomes": _count(c.outcome.value if c.outcome else "open" for c in calls),
    }
    if args.json:
        print(json.dumps(report, ensure_ascii=False))
        return EXIT_OK
    print(f"{path}: {len(calls)} calls, {errors} frame errors skipped")
    print(
        f"{'queue':22}{'Q':>6}{'An':>6}{'Ab':>6}{'Ab_s':>6}{'TO':>6}{'SL':>8}{'ASA':>8}{'AHT':>8}"
    )
    for name, s in stats.items():
        sl = "-" if s.service_level is None else f"{s.service_level:.0%}"
        asa = "-" if s.asa_seconds is None else f"{s.asa_seconds:.0f}s"
        aht = "-" if s.aht_seconds is None else f"{s.aht_seconds:.0f}s"
        print(
            f"{name:22}{s.queued:>6}{s.answered:>6}{s.abandoned:>6}{s.abandoned_short:>6}"
            f"{s.timeout:>6}{sl:>8}{asa:>8}{aht:>8}"
        )
    return EXIT_OK


def _count(values: Any) -> dict[str, int]:
    out: dict[str, int] = {}
    for v in values:
        out[v] = out.get(v, 0) + 1
    return dict(sorted(out.items()))
