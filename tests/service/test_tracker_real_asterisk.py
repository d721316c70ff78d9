"""The tracker fed the event sequences a real Asterisk 22 sent (``asterisk-behaviour.md``):
Local-channel callers, no ``Timestamp`` (``timestampevents`` left at its default), and
``core stop now``. Each sequence is replayed as fast as a replay reads a file: any wait or
talk time the tracker measured itself, instead of taking Asterisk's, would come out as 0."""

from __future__ import annotations

from datetime import UTC, datetime

from callcenter.ami.codec import Message
from callcenter.calls.capture import replay_bytes, replay_chunks
from callcenter.figures.stats import queue_stats
from callcenter.store.records import Outcome, VisitOutcome
from routing.site import Site

BANNER = b"Asterisk Call Manager/11.0.0\r\n"
L1, L2, AGENT = "1763900000.10", "1763900000.11", "1763900000.12"
CH1 = "Local/s@central-number-0000000a;1"
CH2 = "Local/s@central-number-0000000a;2"


def leg(uid: str, channel: str, context: str = "queues", **extra: str) -> list[tuple[str, str]]:
    return [
        ("Channel", channel),
        ("CallerIDNum", "+32470123456"),
        ("Context", context),
        ("Uniqueid", uid),
        ("Linkedid", L1),
        *extra.items(),
    ]


def ev(name: str, *headers: tuple[str, str]) -> bytes:
    return Message((("Event", name), ("Privilege", "call,all"), *headers)).encode()


def arrival(queue: str = "sociale-dienst") -> list[bytes]:
    return [
        ev("Newchannel", *leg(L1, CH1, context="")),
        ev("Newchannel", *leg(L2, CH2, context="central-number")),
        ev(
            "UserEvent",
            *leg(L2, CH2, context="central-number"),
            ("UserEvent", "RouteRequest"),
            ("Topic", "1"),
            ("Caller", "+32470123456"),
        ),
        ev("QueueCallerJoin", *leg(L2, CH2), ("Queue", queue), ("Position", "1"), ("Count", "1")),
    ]


def test_local_caller_abandon_keeps_asterisks_hold_time(example_site: Site) -> None:
    """The ;1 leg's Hangup comes before the ;2 leg's QueueCallerAbandon (HoldTime 9)."""
    stream = [
        BANNER,
        *arrival(),
        ev("SoftHangupRequest", *leg(L1, CH1, context=""), ("Cause", "16")),
        ev("HangupRequest", *leg(L2, CH2), ("Cause", "16")),
        ev("Hangup", *leg(L1, CH1, context=""), ("Cause", "16"), ("Cause-txt", "Normal")),
        ev(
            "QueueCallerAbandon",
            *leg(L2, CH2),
            ("Queue", "sociale-dienst"),
            ("Position", "1"),
            ("OriginalPosition", "1"),
            ("HoldTime", "9"),
        ),
        ev("QueueCallerLeave", *leg(L2, CH2), ("Queue", "sociale-dienst"), ("Count", "0")),
        ev("SoftHangupRequest", *leg(L2, CH2), ("Cause", "16")),
        ev("Hangup", *leg(L2, CH2), ("Cause", "16"), ("Cause-txt", "Normal")),
    ]
    [call], _, _ = replay_bytes(stream, example_site)
    assert call.outcome is Outcome.ABANDONED
    [visit] = call.visits
    assert (visit.outcome, visit.wait_seconds) == (VisitOutcome.ABANDONED, 9)  # not short, not 0
    stats = queue_stats([call], example_site)["sociale-dienst"]
    assert stats.abandon_rate == 1.0 and stats.abandoned_short == 0


def answered_then(*ending: bytes) -> list[bytes]:
    agent = [("DestUniqueid", AGENT), ("Interface", "PJSIP/201"), ("MemberName", "An")]
    return [
        BANNER,
        *arrival(),
        ev("QueueCallerLeave", *leg(L2, CH2), ("Queue", "sociale-dienst"), ("Count", "0")),
        ev("AgentConnect", *leg(L2, CH2), *agent, ("Queue", "sociale-dienst"), ("HoldTime", "4")),
        *ending,
    ]


def test_local_caller_hanging_up_while_talking_keeps_the_talk_time(example_site: Site) -> None:
    """Hangup(;1) comes before AgentComplete(;2, TalkTime 23, Reason caller)."""
    agent = [("DestUniqueid", AGENT), ("Interface", "PJSIP/201"), ("MemberName", "An")]
    stream = answered_then(
        ev("SoftHangupRequest", *leg(L1, CH1, context=""), ("Cause", "16")),
        ev("HangupRequest", *leg(L2, CH2), ("Cause", "16")),
        ev("Hangup", *leg(L1, CH1, context=""), ("Cause", "16")),
        ev(
            "AgentComplete",
            *leg(L2, CH2),
            *agent,
            ("Queue", "sociale-dienst"),
            ("HoldTime", "4"),
            ("TalkTime", "23"),
            ("Reason", "caller"),
        ),
        ev("Hangup", *leg(AGENT, "PJSIP/201-00000001"), ("Cause", "16")),
        ev("Hangup", *leg(L2, CH2), ("Cause", "16")),
    )
    [call], _, _ = replay_bytes(stream, example_site)
    assert call.outcome is Outcome.ANSWERED
    [visit] = call.visits
    assert (visit.wait_seconds, visit.talk_seconds, visit.ended_by) == (4, 23, "caller")


def test_shutdown_hangups_are_lost_track_not_abandons(example_site: Site) -> None:
    """``core stop now``: SoftHangupRequest Cause 4 on every leg, the queue reports an
    abandon, then the hangups; Shutdown follows a second later."""
    stream = [
        BANNER,
        *arrival("lighthouse"),
        ev("SoftHangupRequest", *leg(L1, CH1, context=""), ("Cause", "4")),
        ev("SoftHangupRequest", *leg(L2, CH2), ("Cause", "4")),
        ev(
            "QueueCallerAbandon",
            *leg(L2, CH2),
            ("Queue", "lighthouse"),
            ("Position", "1"),
            ("OriginalPosition", "1"),
            ("HoldTime", "10"),
        ),
        ev("QueueCallerLeave", *leg(L2, CH2), ("Queue", "lighthouse"), ("Count", "0")),
        ev("Hangup", *leg(L2, CH2), ("Cause", "0")),
        ev("Hangup", *leg(L1, CH1, context=""), ("Cause", "0")),
        ev("Shutdown", ("Shutdown", "Cleanly"), ("Restart", "False")),
    ]
    [call], _, _ = replay_bytes(stream, example_site)
    assert call.outcome is Outcome.LOST_TRACK
    assert call.outcome_reason == "Asterisk shut down or restarted"
    assert [v.outcome for v in call.visits] == [VisitOutcome.LOST]
    stats = queue_stats([call], example_site).get("lighthouse")
    assert stats is None or (stats.queued, stats.abandoned) == (0, 0)


def test_callback_request_is_recorded_on_the_call(example_site: Site) -> None:
    lr = leg(L2, CH2, context="last-resort")
    stream = [
        BANNER,
        *arrival()[:3],
        ev("Newexten", *lr, ("Extension", "announce"), ("Application", "Playback")),
        ev("UserEvent", *lr, ("UserEvent", "CallbackRequest"), ("Counter", "sociale-dienst")),
        ev("Hangup", *lr, ("Cause", "16")),
        ev("Hangup", *leg(L1, CH1, context=""), ("Cause", "16")),
    ]
    received = datetime(2026, 11, 23, 20, 15, tzinfo=UTC)
    [call], _, _ = replay_chunks([(b"".join(stream), received)], example_site)
    assert call.outcome is Outcome.LAST_RESORT
    assert call.callback_requested == received


def test_receive_times_place_events_without_timestamp(example_site: Site) -> None:
    """A capture's receive times date a stream that has no Timestamp headers."""
    first = datetime(2026, 11, 23, 9, 0, 0, tzinfo=UTC)
    later = datetime(2026, 11, 23, 9, 0, 12, tzinfo=UTC)
    chunks = [
        (BANNER + b"".join(arrival()), first),
        (ev("Hangup", *leg(L2, CH2), ("Cause", "16")), later),
    ]
    [call], _, _ = replay_chunks(chunks, example_site)
    assert call.started == first and call.visits[0].joined == first
    assert call.ended == later
