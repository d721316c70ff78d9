"""The service's clock. Production uses the wall clock; the demo shares the simulator's
virtual clock, so that routing, opening hours and the simulated agents agree.

A command pointed at a running demo (``VUURTOREN_DATA_DIR`` = the demo's folder) must live
on the same virtual clock, or an override it sets, and its audit entry, would carry today's
real time while the board shows the demo's day. The demo writes its clock to
:data:`CLOCK_FILE` in its folder (:class:`SpedClock`: an anchor and a speed, read from any
process) and removes it when it stops; the commands read it while the demo runs
(``callcenter/cli/common.py``).
"""

from __future__ import annotations

import asyncio
import json
import math
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

__all__ = ["CLOCK_FILE", "Clock", "SpedClock", "WallClock"]

CLOCK_FILE = "clock.json"
"""In a demo's data folder while it runs: the demo's virtual clock, for the commands."""


class Clock(Protocol):
    def now(self) -> datetime: ...

    async def sleep(self, virtual_seconds: float) -> None: ...


class WallClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    async def sleep(self, virtual_seconds: float) -> None:
        await asyncio.sleep(virtual_seconds)


class SpedClock:
    """Virtual time that was ``virtual`` (epoch seconds) at the wall clock's ``wall`` and
    runs ``speed`` times as fast: another process's reading of the demo's clock."""

    def __init__(self, virtual: float, wall: float, speed: float) -> None:
        if not all(math.isfinite(v) for v in (virtual, wall, speed)) or speed <= 0:
            raise ValueError("a clock needs finite times and a positive speed")
        self.virtual, self.wall, self.speed = virtual, wall, speed

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.virtual + (time.time() - self.wall) * self.speed, UTC)

    async def sleep(self, virtual_seconds: float) -> None:
        await asyncio.sleep(max(0.0, virtual_seconds / self.speed))

    @classmethod
    def of(cls, clock: Clock, speed: float) -> SpedClock:
        """``clock`` (running ``speed`` times the wall clock) as it reads now."""
        return cls(clock.now().timestamp(), time.time(), speed)

    def write(self, path: Path) -> None:
        body = {"virtual": self.virtual, "wall": self.wall, "speed": self.speed}
        path.write_text(json.dumps(body) + "\n", encoding="utf-8")

    @classmethod
    def read(cls, path: Path) -> SpedClock:
        """:class:`ValueError` that names the file when it is not a clock."""
        try:
            body = json.loads(path.read_text(encoding="utf-8"))
            return cls(float(body["virtual"]), float(body["wall"]), float(body["speed"]))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}: not a demo's clock ({exc})") from None
