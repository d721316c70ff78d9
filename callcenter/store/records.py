"""The record of a call and of its queue visits, as the tracker builds them
(``callcenter/calls/tracker.py``), the store keeps them and the figures count them. No I/O.

A visit ends as exactly one of ``answered``, ``abandoned``, ``abandoned_short``, ``timeout``
or ``callback``, or ``lost`` when Vuurtoren could not see how it ended; a call ends with one
:class:`Outcome` (``docs/service.md``, metric definitions).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from routing.types import Decision

__all__ = ["CallRecord", "Outcome", "Visit", "VisitOutcome"]


class Outcome(StrEnum):
    ANSWERED = "answered"
    ABANDONED = "abandoned"
    CALLBACK = "callback"
    """Left a queue with the callback key (a queued callback: the citizen is called back)."""
    LAST_RESORT = "last_resort"
    FAILSAFE = "failsafe"
    LOST_TRACK = "lost_track"


class VisitOutcome(StrEnum):
    ANSWERED = "answered"
    ABANDONED = "abandoned"
    ABANDONED_SHORT = "abandoned_short"
    TIMEOUT = "timeout"
    CALLBACK = "callback"
    LOST = "lost"
    """Not seen to end (Asterisk shut down, the link was down): counted in no figure."""


@dataclass(slots=True)
class Visit:
    queue: str
    joined: datetime
    position: int
    uniqueid: str
    left: datetime | None = None
    outcome: VisitOutcome | None = None
    wait_seconds: int | None = None
    agent: str | None = None
    agents_rung: list[str] = field(default_factory=list)
    talk_seconds: int | None = None
    ended_by: str | None = None
    organisation: str | None = None
    """The organisation of the user whose phone answered, when it answered."""
    _abandon_hold: int | None = None

    @property
    def open(self) -> bool:
        return self.outcome is None


@dataclass(slots=True)
class CallRecord:
    call_id: str
    started: datetime
    uniqueid: str | None = None
    channel: str | None = None
    caller: str | None = None
    digits: str | None = None
    decision: Decision | None = None
    route_requested: datetime | None = None
    redirected: datetime | None = None
    failsafe: bool = False
    last_resort: bool = False
    callback_requested: datetime | None = None
    """When the caller asked, in the last resort, to be called back."""
    visits: list[Visit] = field(default_factory=list)
    ended: datetime | None = None
    outcome: Outcome | None = None
    outcome_reason: str | None = None
    legs: set[str] = field(default_factory=set)
    shutdown: bool = False
    """Asterisk is hanging the call up because it shuts down (SoftHangupRequest Cause 4)."""
    language: str | None = None
    """The caller's language when it asked its way (the channel's, in RouteRequest)."""
    site: str | None = None
    """A region's municipality whose number the caller dialled (None: a lone site)."""
    worker_answered: datetime | None = None
    """When the caller's own social worker answered (``own_worker``: no queue visit then)."""

    @property
    def answered_visit(self) -> Visit | None:
        return next((v for v in self.visits if v.outcome is VisitOutcome.ANSWERED), None)
