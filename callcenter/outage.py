"""Calls Asterisk handled while Vuurtoren was away, from the records its dialplan leaves.

The generated dialplan writes one AstDB entry per call that Vuurtoren could not follow
(``callcenter/asterisk_config.py``):

- ``vuurtoren/failsafe/<linkedid>`` = ``start,uniqueid,topic,counter,target,caller``: routed by
  the fail-safe (``target`` a queue, or ``@last-resort``), or hung up before it was routed while
  no Vuurtoren session was logged in (``@hangup``);
- ``vuurtoren/callback/<linkedid>`` = ``epoch,counter,caller``: a callback request made in the
  last resort while no Vuurtoren session was logged in (its ``UserEvent`` reached nobody).

After every (re)connect the service reads both trees (``DBGetTree``), records what it did not
see itself, and deletes the entries. This module turns entries into call records; it does no
I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from callcenter.tracker import CallRecord, Outcome

__all__ = [
    "CALLBACK_TREE",
    "FAILSAFE_TREE",
    "HANGUP_TARGET",
    "LAST_RESORT_TARGET",
    "OutageRecord",
    "apply_callback",
    "parse_entry",
]

FAILSAFE_TREE = "failsafe"
CALLBACK_TREE = "callback"
LAST_RESORT_TARGET = "@last-resort"
"""A fail-safe record's target when the call went to the last resort (no queue is named so:
queue names have no '@')."""
HANGUP_TARGET = "@hangup"
"""The target of a call that hung up before it was routed while Vuurtoren was away."""


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

    @property
    def key(self) -> str:
        return f"{self.tree}/{self.call_id}"

    def describe(self) -> str:
        if self.target == HANGUP_TARGET:
            return "hung up before it was routed, while Vuurtoren was away"
        where = "the last resort" if self.target == LAST_RESORT_TARGET else f"queue {self.target}"
        return f"routed by the dialplan's fail-safe to {where} while Vuurtoren was away"

    def to_record(self) -> CallRecord:
        """A call Vuurtoren never saw: what the record says, and that its end was not seen."""
        call = CallRecord(self.call_id, self.at, uniqueid=self.uniqueid, caller=self.caller)
        call.digits = self.topic
        if self.uniqueid:
            call.legs.add(self.uniqueid)
        if self.tree == CALLBACK_TREE:
            call.outcome = Outcome.LAST_RESORT
            apply_callback(call, self)
            call.outcome_reason = "asked for a callback while Vuurtoren was away"
        elif self.target == HANGUP_TARGET:
            call.outcome = Outcome.ABANDONED
            call.outcome_reason = self.describe()
        else:
            call.failsafe = True
            call.last_resort = self.target == LAST_RESORT_TARGET
            call.outcome = Outcome.FAILSAFE
            call.outcome_reason = self.describe() + "; its end was not seen"
        return call


def apply_callback(call: CallRecord, record: OutageRecord) -> None:
    call.last_resort = True
    if call.callback_requested is None:
        call.callback_requested = record.at


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
        )
    if tree == CALLBACK_TREE:
        fields = value.split(",", 2)
        if len(fields) != 3 or (at := _epoch(fields[0])) is None:
            return None
        return OutageRecord(tree, call_id, at, counter=fields[1] or None, caller=fields[2] or None)
    return None
