"""The records the dialplan leaves in AstDB while Vuurtoren is away, read back."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from callcenter.outage import parse_entry
from callcenter.tracker import Outcome


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
