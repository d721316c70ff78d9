"""An in-process event bus: live changes from the service to the dashboard.

Each subscriber gets a bounded queue; a subscriber that does not keep up loses its oldest
messages (a wallboard wants the newest state, not a backlog) and is told how many it missed.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

__all__ = ["Bus", "BusMessage"]


@dataclass(frozen=True, slots=True)
class BusMessage:
    kind: str
    payload: dict[str, Any]
    missed: int = 0


class Bus:
    def __init__(self, maxsize: int = 256) -> None:
        self.maxsize = maxsize
        self._subscribers: set[asyncio.Queue[BusMessage]] = set()
        self.published = 0

    def subscribe(self) -> asyncio.Queue[BusMessage]:
        q: asyncio.Queue[BusMessage] = asyncio.Queue(self.maxsize)
        self._subscribers.add(q)
        return q

    def unsubscribe(self, q: asyncio.Queue[BusMessage]) -> None:
        self._subscribers.discard(q)

    def publish(self, kind: str, payload: dict[str, Any]) -> None:
        self.published += 1
        for q in self._subscribers:
            missed = 0
            while q.full():
                q.get_nowait()
                missed += 1
            q.put_nowait(BusMessage(kind, payload, missed))

    @property
    def subscribers(self) -> int:
        return len(self._subscribers)
