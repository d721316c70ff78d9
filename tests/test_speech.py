"""Dates and times in words, as a caller hears the next opening: a table of cases, and every
minute of the day spoken so that it can be heard back as the same time."""

from __future__ import annotations

import re
from datetime import date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from callcenter.dialplan.speech import spoken_clock, spoken_day, spoken_moment, spoken_number

MONDAY = date(2026, 11, 23)


@pytest.mark.parametrize(
    ("hour", "minute", "words"),
    [
        (0, 0, "middernacht"),
        (9, 0, "9 uur"),
        (9, 30, "half tien"),
        (11, 30, "half twaalf"),
        (8, 15, "kwart over acht"),
        (8, 45, "kwart voor negen"),
        (0, 30, "half een"),
        (12, 0, "12 uur"),
        (13, 30, "13 uur 30"),  # the afternoon as written: never "half twee"
        (16, 45, "16 uur 45"),
        (9, 10, "9 uur 10"),
        (23, 59, "23 uur 59"),
    ],
)
def test_times_of_day(hour: int, minute: int, words: str) -> None:
    assert spoken_clock(hour, minute) == words


@pytest.mark.parametrize(
    ("day", "words"),
    [
        (MONDAY, "vandaag"),
        (date(2026, 11, 24), "morgen"),
        (date(2026, 11, 25), "overmorgen"),
        (date(2026, 11, 26), "op donderdag 26 november"),
        (date(2026, 11, 30), "op maandag 30 november"),  # next week
        (date(2026, 12, 1), "op dinsdag 1 december"),
        (date(2027, 1, 4), "op maandag 4 januari 2027"),  # across New Year: the year too
    ],
)
def test_days_seen_from_a_monday(day: date, words: str) -> None:
    assert spoken_day(day, MONDAY) == words


def test_across_new_year_from_new_years_eve() -> None:
    eve = date(2026, 12, 31)
    assert spoken_day(date(2027, 1, 1), eve) == "morgen"
    assert spoken_day(date(2027, 1, 2), eve) == "overmorgen"
    assert spoken_day(date(2027, 1, 4), eve) == "op maandag 4 januari 2027"


def test_words_heard_on_another_day_say_the_date() -> None:
    """The fail-safe's sentence may be heard days after it was made: never "morgen"."""
    tomorrow = date(2026, 11, 24)
    assert spoken_day(tomorrow, MONDAY, relative=False) == "op dinsdag 24 november"
    assert spoken_day(MONDAY, MONDAY, "fr", relative=False) == "le lundi 23 novembre"
    at = datetime(2027, 1, 1, 9, 30)
    assert spoken_moment(at, datetime(2026, 12, 31, 20, 0), "en", relative=False) == (
        "on Friday 1 January 2027 at 9:30"
    )


def test_moments_in_three_languages() -> None:
    now = datetime(2026, 11, 23, 17, 0)
    at = datetime(2026, 11, 24, 9, 30)
    assert spoken_moment(at, now) == "morgen om half tien"
    assert spoken_moment(at, now, "fr") == "demain à 9 heures 30"
    assert spoken_moment(at, now, "en") == "tomorrow at 9:30"
    far = datetime(2026, 12, 1, 9, 0)
    assert spoken_moment(far, now) == "op dinsdag 1 december om 9 uur"
    assert spoken_moment(far, now, "fr") == "le mardi 1er décembre à 9 heures"


def test_phone_numbers_digit_by_digit() -> None:
    assert spoken_number("1813") == "1 8 1 3"
    assert spoken_number("078 15 10 20") == "0 7 8, 1 5, 1 0, 2 0"


_WORDS = ["twaalf", "een", "twee", "drie", "vier", "vijf", "zes", "zeven", "acht", "negen"]
_WORDS += ["tien", "elf"]


def _heard(words: str) -> tuple[int, int]:
    """What a caller understands: the inverse of the rules (a quarter or half hour in words
    is always the morning's)."""
    if words == "middernacht":
        return 0, 0
    if m := re.fullmatch(r"(\d+) uur(?: (\d+))?", words):
        return int(m[1]), int(m[2] or 0)
    kind, word = words.rsplit(" ", 1)
    hour = _WORDS.index(word)
    return {
        "kwart over": (hour, 15),
        "half": ((hour - 1) % 12, 30),
        "kwart voor": ((hour - 1) % 12, 45),
    }[kind]


@given(st.integers(0, 23), st.integers(0, 59))
def test_every_minute_is_heard_as_itself(hour: int, minute: int) -> None:
    words = spoken_clock(hour, minute)
    assert _heard(words) == (hour, minute)
    assert not re.search(r"\b(AM|PM|am|pm)\b", words)
