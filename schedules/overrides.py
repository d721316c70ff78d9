"""Overrides: an admin forces a counter (or every counter, or the lighthouse) closed or open.

Here they are plain values; storing them and setting them from the web, the API or a desk
phone builds on these.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from schedules.hours import require_aware

__all__ = ["ALL_COUNTERS", "LIGHTHOUSE", "Override", "OverrideMode", "active_override"]

ALL_COUNTERS = "*"
"""Scope of an override that applies to every counter of the site."""
LIGHTHOUSE = "lighthouse"
"""Scope of an override that applies to the lighthouse (callcenter) itself."""


class OverrideMode(StrEnum):
    CLOSED = "closed"
    OPEN = "open"


@dataclass(frozen=True, slots=True)
class Override:
    """``scope`` is a counter id, ``ALL_COUNTERS`` or ``LIGHTHOUSE``.

    Active from ``starts`` (inclusive) to ``ends`` (exclusive); None means unbounded.
    """

    scope: str
    mode: OverrideMode
    starts: datetime | None = None
    ends: datetime | None = None
    note: str = ""
    """The reason callers hear (the manager's words)."""
    id: int | None = None
    """The stored override's id (None: not stored)."""
    kind: str = "emergency"
    """``temporary`` (ends at the next scheduled change) or ``emergency`` (until lifted)."""
    created_by: str = ""

    def __post_init__(self) -> None:
        if self.starts is not None:
            require_aware(self.starts, "override start")
        if self.ends is not None:
            require_aware(self.ends, "override end")
        if self.starts is not None and self.ends is not None and self.ends <= self.starts:
            raise ValueError(f"override for {self.scope!r} ends before it starts")

    def active_at(self, at: datetime) -> bool:
        return (self.starts is None or self.starts <= at) and (self.ends is None or at < self.ends)


def active_override(overrides: Iterable[Override], scope: str, at: datetime) -> Override | None:
    """The override in force for ``scope`` at ``at``.

    A counter's own override beats a site-wide one; among several of the same scope, the one
    that started last wins (the newest instruction of an admin).
    """
    own: Override | None = None
    site: Override | None = None
    for ov in overrides:
        if not ov.active_at(at):
            continue
        if ov.scope == scope:
            if own is None or _later(ov, own):
                own = ov
        elif (
            ov.scope == ALL_COUNTERS and scope != LIGHTHOUSE and (site is None or _later(ov, site))
        ):
            site = ov
    return own if own is not None else site


def _later(a: Override, b: Override) -> bool:
    if a.starts is None:
        return False
    return b.starts is None or a.starts > b.starts
