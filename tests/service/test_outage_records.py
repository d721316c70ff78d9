"""The records the dialplan leaves in AstDB while Vuurtoren is away, read back."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from callcenter.calls.outage import apply_visit, parse_entry
from callcenter.store.records import CallRecord, Outcome, VisitOutcome
from routing.site import Site


def test_a_failsafe_record_becomes_a_failsafe_call() -> None:
    rec = parse_entry(
        "failsafe/1763900000.7",
        "1763900400,1763900000.8,1,sociale-dienst,@last-resort,+32 470, 12",
    )
    assert rec is not None
    call = rec.to_record()
    assert call.call_id == "1763900000.7" and call.uniqueid == "1763900000.8"
    assert call.started == datetime.fromtimestamp(1763900400, UTC)
    assert call.caller == "+32 470, 12"  # the last field keeps any comma
    assert call.outcome is Outcome.FAILSAFE and call.failsafe and call.last_resort
    assert "last resort" in (call.outcome_reason or "")


def test_a_menu_hangup_and_a_callback() -> None:
    gone = parse_entry("failsafe/1.1", "1763900400,1.2,,,@hangup,")
    assert gone is not None and gone.to_record().outcome is Outcome.ABANDONED
    assert gone.to_record().caller is None
    cb = parse_entry("callback/1.1", "1763900500,woonloket,+32470000001")
    assert cb is not None
    call = cb.to_record()
    assert call.outcome is Outcome.LAST_RESORT
    assert call.callback_requested == datetime.fromtimestamp(1763900500, UTC)


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("failsafe/1.1", "not,enough"),
        ("failsafe/1.1", "yesterday,1.2,1,c,q,+32"),
        ("failsafe/", "1763900400,1.2,1,c,q,+32"),
        ("callback/1.1", "1763900500"),
        ("counter/onthaal", "open"),
        ("failsafe/1.1", "99999999999999999999,1.2,1,c,q,+32"),
    ],
)
def test_what_cannot_be_read_is_none(key: str, value: str) -> None:
    assert parse_entry(key, value) is None


def test_a_v2_record_says_where_and_why(example_site: Site) -> None:
    rec = parse_entry(
        "failsafe/1.1", "v2,1763900400,1.2,52,schuldbemiddeling,lighthouse,no_agents,+32 47, 1"
    )
    assert rec is not None and rec.caller == "+32 47, 1" and rec.reason == "no_agents"
    d = rec.decision(example_site)
    assert d is not None
    assert (d.target.value, d.queue, d.counter, d.topic, d.reason.value) == (
        "lighthouse",
        "lighthouse",
        "schuldbemiddeling",
        "schulden",
        "no_agents",
    )
    # the older form, without a reason: a counter's queue was open, elsewhere it was closed
    old = parse_entry("failsafe/1.1", "1763900400,1.2,21,woonloket,@last-resort,+32")
    assert old is not None and old.reason is None
    d = old.decision(example_site)
    assert d is not None and (d.target.value, d.reason.value) == ("last_resort", "closed")
    gone = parse_entry("failsafe/1.1", "v2,1763900400,1.2,,,@hangup,,")
    assert gone is not None and gone.decision(example_site) is None


def test_a_visit_record_is_an_abandon_with_its_wait() -> None:
    rec = parse_entry("visit/1.1", "lighthouse,1763900400,1763900430,1.2")
    assert rec is not None and rec.target == "lighthouse"
    call = CallRecord("1.1", datetime.fromtimestamp(1763900390, UTC))
    apply_visit(call, rec, short_abandon_seconds=5)
    apply_visit(call, rec, short_abandon_seconds=5)  # read twice: one visit
    [visit] = call.visits
    assert (visit.queue, visit.outcome, visit.wait_seconds) == (
        "lighthouse",
        VisitOutcome.ABANDONED,
        30,
    )
    short = parse_entry("visit/1.3", "onthaal,1763900400,1763900403,1.4")
    assert short is not None
    apply_visit(call := CallRecord("1.3", short.at), short, short_abandon_seconds=5)
    assert call.visits[0].outcome is VisitOutcome.ABANDONED_SHORT
    for bad in ("lighthouse,1763900430,1763900400,1.2", ",1,2,3", "lighthouse,x,1,1.2"):
        assert parse_entry("visit/1.1", bad) is None
