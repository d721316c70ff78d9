"""The simulator's clock: virtual time that runs ``speed`` times faster than the wall clock.

Every time the simulator reports (AMI ``Timestamp`` headers, HoldTime/TalkTime, queue_log
epochs, the ground truth) is virtual, so a day of traffic can run in minutes and still carry
the right durations.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

__all__ = ["SimClock"]


class SimClock:
    def __init__(self, start: datetime | None = None, speed: float = 1.0) -> None:
        if speed <= 0:
            raise ValueError(f"speed must be positive, got {speed}")
        start = start or datetime.now(UTC)
        if start.tzinfo is None:
            raise ValueError("the simulator's start time must carry a time zone")
        self.speed = speed
        self._start_epoch = start.timestamp()
        self._loop_start: float | None = None

    def _loop_time(self) -> float:
        loop = asyncio.get_running_loop()
        if self._loop_start is None:
            self._loop_start = loop.time()
        return loop.time()

    def epoch(self) -> float:
        """Virtual seconds since 1970 (UTC)."""
        return self._start_epoch + (self._loop_time() - (self._loop_start or 0.0)) * self.speed

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.epoch(), UTC)

    def real(self, virtual_seconds: float) -> float:
        return max(0.0, virtual_seconds / self.speed)

    async def sleep(self, virtual_seconds: float) -> None:
        await asyncio.sleep(self.real(virtual_seconds))

    def call_later(
        self, virtual_seconds: float, callback: Callable[..., Any], *args: Any
    ) -> asyncio.TimerHandle:
        self._loop_time()
        return asyncio.get_running_loop().call_later(self.real(virtual_seconds), callback, *args)
