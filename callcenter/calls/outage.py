"""Calls Asterisk handled while Vuurtoren was away, from the records its dialplan leaves.

The generated dialplan writes one AstDB entry per call that Vuurtoren could not follow
(``callcenter/asterisk/config.py``):

- ``vuurtoren/failsafe/<linkedid>`` = ``v2,start,uniqueid,topic,counter,target,reason,caller``
  (a region's: ``v3,…,reason,site,caller``, the municipality dialled):
  routed by the fail-safe (``target`` a queue, or ``@last-resort``; ``reason`` ``open``,
  ``closed`` or ``no_agents`` as the counter's state in AstDB said), or hung up before it was
  routed while Vuurtoren was away (``@hangup``, no reason). The older form without ``v2`` and
  ``reason`` is still read;
- ``vuurtoren/visit/<linkedid>`` = ``queue,joined,left,uniqueid``: a caller who hung up in a
  queue before a member answered, while Vuurtoren was away (the queue's figures count the
  abandon);
- ``vuurtoren/callback/<linkedid>`` = ``epoch,counter,caller,queue``: a callback request
  (``queue`` empty: in the last resort; else the queue whose exit key was pressed). The
  dialplan keeps every request here before it sends its ``UserEvent``; the dialer deletes
  the entry once the request is stored, so what is left after a reconnect is a request whose
  event reached nobody (Vuurtoren away, or its AMI link cut). The older form without
  ``queue`` is still read.

"Away": the service's heartbeat (``vuurtoren/heartbeat``) is stale or gone.

After every (re)connect the service reads both trees (``DBGetTree``), records what it did not
see itself, and deletes the entries. This module turns entries into call records; it does no
I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from callcenter.dialplan.names import (
    CALLBACK_TREE,
    FAILSAFE_TREE,
    HANGUP_TARGET,
    LAST_RESORT_TARGET,
    RECORD_VERSION,
    RECORD_VERSION_SITE,
    VISIT_TREE,
)
from callcenter.store.records import CallRecord, Outcome, Visit, VisitOutcome
from routing.site import Site
from routing.types import Decision, Reason, Target

__all__ = [
    "OutageRecord",
    "apply_callback",
    "apply_visit",
    "parse_entry",
]


@dataclass(frozen=True, slots=True)
class OutageRecord:
    tree: str
    call_id: str
    at: datetime
    """When the call started (failsafe) or asked for a callback (callback)."""
    uniqueid: str | None = None
    topic: str | None = None
    counter: str | None = None
    target: str | None = None
    caller: str | None = None
    reason: str | None = None
    """Why the fail-safe sent it where it did: ``open``, ``closed`` or ``no_agents``."""
    left: datetime | None = None
    """A visit record's end (the caller hung up)."""
    site: str | None = None
    """A region's fail-safe record: the municipality whose number was dialled."""

    @property
    def key(self) -> str:
        return f"{self.tree}/{self.call_id}"

    def describe(self) -> str:
        if self.target == HANGUP_TARGET:
            return "hung up before it was routed, while Vuurtoren was away"
        where = "the last resort" if self.target == LAST_RESORT_TARGET else f"queue {self.target}"
        return f"routed by the dialplan's fail-safe to {where} while Vuurtoren was away"

    def decision(self, site: Site) -> Decision | None:
        """Where the fail-safe sent the call, as a decision the figures read (its counter,
        topic, target and reason); None for a call that was never routed."""
        if self.tree != FAILSAFE_TREE or self.target in (None, HANGUP_TARGET):
            return None
        topic = site.topic(self.topic or None)
        counter = self.counter or topic.counter
        try:
            known = site.counter(counter)
        except KeyError:
            return None
        if self.target == LAST_RESORT_TARGET:
            target, queue = Target.LAST_RESORT, None
        elif self.target == site.lighthouse.queue:
            target, queue = Target.LIGHTHOUSE, self.target
        else:
            target, queue = Target.COUNTER, self.target
        default = Reason.OPEN if target is Target.COUNTER else Reason.CLOSED
        try:
            reason = Reason(self.reason) if self.reason else default
        except ValueError:
            reason = default
        return Decision(target, queue, known.id, topic.id, reason, None, self.caller)

    def to_record(self) -> CallRecord:
        """A call Vuurtoren never saw: what the record says, and that its end was not seen."""
        call = CallRecord(self.call_id, self.at, uniqueid=self.uniqueid, caller=self.caller)
        call.digits = self.topic
        call.site = self.site
        if self.uniqueid:
            call.legs.add(self.uniqueid)
        if self.tree == CALLBACK_TREE:
            call.outcome = Outcome.LAST_RESORT if self.target is None else Outcome.CALLBACK
            apply_callback(call, self)
            call.ended = self.at
            call.outcome_reason = "asked for a callback while Vuurtoren was away"
        elif self.tree == VISIT_TREE:
            call.ended = self.left
            call.outcome = Outcome.ABANDONED
            call.outcome_reason = "hung up in a queue while Vuurtoren was away"
        elif self.target == HANGUP_TARGET:
            call.outcome = Outcome.ABANDONED
            call.outcome_reason = self.describe()
        else:
            call.failsafe = True
            call.last_resort = self.target == LAST_RESORT_TARGET
            call.outcome = Outcome.FAILSAFE
            call.outcome_reason = self.describe() + "; its end was not seen"
        return call


def apply_visit(call: CallRecord, record: OutageRecord, short_abandon_seconds: int) -> None:
    """A queue visit the caller ended by hanging up while Vuurtoren was away: an abandon
    (short within the queue's ``short_abandon_seconds``), with its wait."""
    if record.target is None or record.left is None:
        return
    wait = max(0, int((record.left - record.at).total_seconds()))
    outcome = (
        VisitOutcome.ABANDONED_SHORT if wait <= short_abandon_seconds else VisitOutcome.ABANDONED
    )
    known = next(
        (
            v
            for v in reversed(call.visits)
            if v.queue == record.target
            and (v.outcome in (None, VisitOutcome.LOST) or v.joined == record.at)
        ),
        None,
    )
    if known is not None:  # followed until Vuurtoren left (then lost): now its true end
        known.left, known.outcome, known.wait_seconds = record.left, outcome, wait
    else:
        call.visits.append(
            Visit(
                record.target,
                record.at,
                0,
                record.uniqueid or "",
                left=record.left,
                outcome=outcome,
                wait_seconds=wait,
            )
        )
    if call.ended is None or call.ended < record.left:
        call.ended = record.left


def apply_callback(call: CallRecord, record: OutageRecord) -> None:
    """A callback request whose event reached nobody: in the last resort (no ``target``),
    or with a queue's exit key (``target`` the queue): that visit ended as a callback, not
    an abandon, and so did the call."""
    if call.callback_requested is None:
        call.callback_requested = record.at
    if record.target is None:
        call.last_resort = True
        if call.outcome in (Outcome.ABANDONED, Outcome.LOST_TRACK):
            call.outcome = Outcome.LAST_RESORT
            call.outcome_reason = "asked for a callback in the last resort"
        return
    visit = next(
        (
            v
            for v in reversed(call.visits)
            if v.queue == record.target and v.outcome is not VisitOutcome.ANSWERED
        ),
        None,
    )
    if visit is not None:
        visit.outcome = VisitOutcome.CALLBACK
        visit.left = visit.left if visit.left and visit.left <= record.at else record.at
        visit.wait_seconds = max(0, int((visit.left - visit.joined).total_seconds()))
    if call.outcome in (None, Outcome.ABANDONED, Outcome.LOST_TRACK) and (
        call.answered_visit is None
    ):
        call.outcome = Outcome.CALLBACK
        call.outcome_reason = "pressed the callback key while Vuurtoren could not hear it"
    if call.outcome is Outcome.CALLBACK and (call.ended is None or call.ended > record.at):
        call.ended = record.at  # not when Vuurtoren noticed: when the key was pressed


def _epoch(text: str) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(text), UTC)
    except (ValueError, OverflowError, OSError):
        return None


def parse_entry(key: str, value: str) -> OutageRecord | None:
    """One AstDB entry below the family (``failsafe/<linkedid>``); None when it is not one
    of ours or cannot be read (the caller logs and deletes it)."""
    tree, _, call_id = key.partition("/")
    if not call_id:
        return None
    if tree == FAILSAFE_TREE:
        reason = site = None
        if value.startswith(RECORD_VERSION_SITE + ","):
            fields = value[len(RECORD_VERSION_SITE) + 1 :].split(",", 7)
            if len(fields) != 8:
                return None
            site = fields.pop(6) or None
            reason = fields.pop(5) or None
        elif value.startswith(RECORD_VERSION + ","):
            fields = value[len(RECORD_VERSION) + 1 :].split(",", 6)
            if len(fields) != 7:
                return None
            reason = fields.pop(5) or None
        else:  # the form before the reason was recorded
            fields = value.split(",", 5)
        if len(fields) != 6 or (at := _epoch(fields[0])) is None:
            return None
        uniqueid, topic, counter, target, caller = fields[1:]
        return OutageRecord(
            tree,
            call_id,
            at,
            uniqueid or None,
            topic or None,
            counter or None,
            target or None,
            caller or None,
            reason,
            site=site,
        )
    if tree == VISIT_TREE:
        fields = value.split(",", 3)
        if len(fields) != 4 or not fields[0]:
            return None
        joined, left = _epoch(fields[1]), _epoch(fields[2])
        if joined is None or left is None or left < joined or left - joined > timedelta(days=1):
            return None
        return OutageRecord(tree, call_id, joined, fields[3] or None, target=fields[0], left=left)
    if tree == CALLBACK_TREE:
        fields = value.split(",", 3)
        if len(fields) == 3:
            fields.append("")
        if len(fields) != 4 or (at := _epoch(fields[0])) is None:
            return None
        return OutageRecord(
            tree,
            call_id,
            at,
            counter=fields[1] or None,
            caller=fields[2] or None,
            target=fields[3] or None,
        )
    return None
