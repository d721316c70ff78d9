"""What every benchmark script reports the same way: the machine, percentiles, its output."""

from __future__ import annotations

import json
import os
import platform
from collections.abc import Callable, Sequence
from typing import Any


def machine() -> str:
    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (p in 0–100) of a non-empty sample."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def report(result: dict[str, Any], as_json: bool, table: Callable[[dict[str, Any]], None]) -> int:
    """Print the result as JSON or as the script's table; the script's exit code."""
    if as_json:
        print(json.dumps(result, indent=2))
    else:
        table(result)
    return 0
