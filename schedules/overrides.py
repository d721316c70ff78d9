"""Overrides: an admin forces a counter (or every counter, or the lighthouse) closed or open.

Here they are plain values; storing them and setting them from the web, the API or a desk
phone builds on these.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from schedules.hours import require_aware

__all__ = [
    "ALL_COUNTERS",
    "CLOSURE",
    "LIGHTHOUSE",
    "Override",
    "OverrideMode",
    "active_override",
]

ALL_COUNTERS = "*"
"""Scope of an override that applies to every counter of the site."""
LIGHTHOUSE = "lighthouse"
"""Scope of an override that applies to the lighthouse (callcenter) itself."""
CLOSURE = "closure"
"""The kind of a planned closure (``schedules/closures.py``): below every manager's override."""
_EARLIEST = datetime.min.replace(tzinfo=UTC)


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
    """``temporary`` (ends at the next scheduled change), ``emergency`` (until lifted) or
    ``closure`` (planned)."""
    created_by: str = ""

    def as_json(self) -> dict[str, Any]:
        """The override as the API and ``override list --json`` give it (stable field
        names: id, scope, mode, kind, starts, ends, reason, created_by)."""
        return {
            "id": self.id,
            "scope": self.scope,
            "mode": self.mode.value,
            "kind": self.kind,
            "starts": self.starts.isoformat() if self.starts else None,
            "ends": self.ends.isoformat() if self.ends else None,
            "reason": self.note,
            "created_by": self.created_by,
        }

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
    """The override in force for ``scope`` at ``at``. Precedence: a manager's override
    (temporary or emergency) before a planned closure; then a counter's own before a
    site-wide one; then the one that started last (the newest instruction)."""
    best: Override | None = None
    best_key: tuple[bool, bool, datetime] | None = None
    for ov in overrides:
        if not ov.active_at(at):
            continue
        if ov.scope == scope:
            own = True
        elif ov.scope == ALL_COUNTERS and scope != LIGHTHOUSE:
            own = False
        else:
            continue
        key = (ov.kind != CLOSURE, own, ov.starts or _EARLIEST)
        if best_key is None or key > best_key:
            best, best_key = ov, key
    return best
