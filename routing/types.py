"""Value types of the routing decision. The reason vocabulary is small and stable: the call
log, the dashboard and the last-resort announcement all read it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

__all__ = ["Decision", "QueueState", "Reason", "Target"]


class Target(StrEnum):
    COUNTER = "counter"
    LIGHTHOUSE = "lighthouse"
    LAST_RESORT = "last_resort"
    OWN_WORKER = "own_worker"
    """The caller's own social worker's phone first (neighbourhood teams), then ``queue``:
    the team's."""


class Reason(StrEnum):
    OPEN = "open"
    """The counter is open and takes the call."""
    CLOSED = "closed"
    """Outside the counter's opening hours."""
    HOLIDAY = "holiday"
    """The counter is closed on a public holiday of the site's country."""
    OVERRIDE = "override"
    """A manager forced the counter closed (or open)."""
    CLOSURE = "closure"
    """A planned closure (a training day, a move, the days around New Year)."""
    OVERFLOW = "overflow"
    """Open, but too many callers wait or the expected wait is too long."""
    NO_AGENTS = "no_agents"
    """Open, but no agent is logged in on the counter's queue."""


@dataclass(frozen=True, slots=True)
class QueueState:
    """What is known of one queue now; None means unknown, so the rule that needs it is
    skipped."""

    waiting: int | None = None
    agents: int | None = None
    """Agents logged in on the queue (paused or not)."""
    expected_wait_seconds: float | None = None


@dataclass(frozen=True, slots=True)
class Decision:
    target: Target
    queue: str | None
    counter: str
    topic: str
    reason: Reason
    next_open: datetime | None
    """The counter's next opening time (site zone) when it is closed; None otherwise."""
    caller: str | None = None
    worker: str | None = None
    """``own_worker``: the phone (Asterisk interface) of the caller's own social worker."""

    def as_json(self) -> dict[str, Any]:
        return {
            "target": self.target.value,
            "queue": self.queue,
            "counter": self.counter,
            "topic": self.topic,
            "reason": self.reason.value,
            "next_open": None if self.next_open is None else self.next_open.isoformat(),
            "caller": self.caller,
            **({"worker": self.worker} if self.worker else {}),
        }
