"""No caller number in a log line at INFO or above."""

from __future__ import annotations

import logging

import pytest

from callcenter.infra.logmask import MaskNumbers, mask


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("caller +32470123456 hung up", "caller +32470****56 hung up"),
        ("call from 0470 12 34 56", "call from 0470 1*****56"),
        ("0032470123456", "003247*****56"),
        ("call 1763900000.12: sociale-dienst", "call 1763900000.12: sociale-dienst"),
        ("PJSIP/201 on port 5038", "PJSIP/201 on port 5038"),
        ("at 2026-11-23T10:00:00+01:00", "at 2026-11-23T10:00:00+01:00"),
    ],
)
def test_numbers_are_masked_and_the_rest_stays(text: str, shown: str) -> None:
    assert mask(text) == shown


def test_the_filter_masks_info_but_not_debug() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "caller %s", ("+32470123456",), None)
    MaskNumbers().filter(record)
    assert record.getMessage() == "caller +32470****56"
    debug = logging.LogRecord("x", logging.DEBUG, __file__, 1, "caller %s", ("+32470123456",), None)
    MaskNumbers().filter(debug)
    assert debug.getMessage() == "caller +32470123456"
