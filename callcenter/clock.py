"""The service's clock. Production uses the wall clock; the demo shares the simulator's
virtual clock, so that routing, opening hours and the simulated agents agree."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Protocol

__all__ = ["Clock", "WallClock"]


class Clock(Protocol):
    def now(self) -> datetime: ...

    async def sleep(self, virtual_seconds: float) -> None: ...


class WallClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    async def sleep(self, virtual_seconds: float) -> None:
        await asyncio.sleep(virtual_seconds)
