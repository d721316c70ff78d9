"""Dates and times as a Flemish caller expects to hear them, in the words a prompt is made of.

"opnieuw open op dinsdag 24 november om 9 uur", "morgen om half tien", "vandaag om 13 uur 30":
the 24-hour clock, no AM/PM; the quarter and half hours of the morning as people say them
("kwart over negen", "half tien", "kwart voor tien"); in the afternoon the clock as written
("13 uur 30"), which is never ambiguous. Numbers stay digits in the text: the synthesiser
speaks them (``espeak-ng -v nl`` says "24" as "vierentwintig"), and a recorded prompt's
script reads the same.

French and English follow the same rules in their own words, for sites that offer them.
"""

from __future__ import annotations

from datetime import date, datetime

__all__ = ["LANGUAGES", "spoken_clock", "spoken_day", "spoken_moment", "spoken_number"]

LANGUAGES = ("nl", "fr", "en")

_HOURS_NL = (  # the hour's word on a twelve-hour dial (0: twaalf)
    "twaalf",
    "een",
    "twee",
    "drie",
    "vier",
    "vijf",
    "zes",
    "zeven",
    "acht",
    "negen",
    "tien",
    "elf",
)
_WEEKDAYS = {
    "nl": ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag"),
    "fr": ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}
_MONTHS = {
    "nl": (
        "januari",
        "februari",
        "maart",
        "april",
        "mei",
        "juni",
        "juli",
        "augustus",
        "september",
        "oktober",
        "november",
        "december",
    ),
    "fr": (
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ),
    "en": (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),
}
_NEAR = {
    "nl": ("vandaag", "morgen", "overmorgen"),
    "fr": ("aujourd'hui", "demain", "après-demain"),
    "en": ("today", "tomorrow", "the day after tomorrow"),
}


def spoken_clock(hour: int, minute: int, lang: str = "nl") -> str:
    """A time of day: ``9 uur``, ``half tien``, ``kwart over negen``, ``13 uur 30``,
    ``middernacht``."""
    if lang == "fr":
        if (hour, minute) == (0, 0):
            return "minuit"
        if (hour, minute) == (12, 0):
            return "midi"
        return f"{hour} heures" + (f" {minute}" if minute else "")
    if lang == "en":
        if (hour, minute) == (0, 0):
            return "midnight"
        if (hour, minute) == (12, 0):
            return "noon"
        return f"{hour}:{minute:02d}" if minute else f"{hour} o'clock"
    if (hour, minute) == (0, 0):
        return "middernacht"
    if minute == 0:
        return f"{hour} uur"
    if hour < 12 and minute in (15, 30, 45):  # the morning: as people say it
        if minute == 15:
            return f"kwart over {_HOURS_NL[hour % 12]}"
        nxt = _HOURS_NL[(hour + 1) % 12]
        return f"half {nxt}" if minute == 30 else f"kwart voor {nxt}"
    return f"{hour} uur {minute}"


def spoken_day(day: date, today: date, lang: str = "nl", relative: bool = True) -> str:
    """A day seen from ``today``: ``vandaag``, ``morgen``, ``overmorgen``, else ``op dinsdag
    24 november`` (with the year when it is not this year's). Not ``relative``: always the
    date, for words that may be heard on another day than they were made."""
    ahead = (day - today).days
    if relative and 0 <= ahead < 3:
        return _NEAR[lang][ahead]
    weekday = _WEEKDAYS[lang][day.weekday()]
    month = _MONTHS[lang][day.month - 1]
    year = f" {day.year}" if day.year != today.year else ""
    if lang == "fr":
        number = "1er" if day.day == 1 else str(day.day)
        return f"le {weekday} {number} {month}{year}"
    if lang == "en":
        return f"on {weekday} {day.day} {month}{year}"
    return f"op {weekday} {day.day} {month}{year}"


def spoken_moment(at: datetime, now: datetime, lang: str = "nl", relative: bool = True) -> str:
    """A moment seen from ``now`` (both in the site's zone): ``morgen om half tien``,
    ``op dinsdag 24 november om 9 uur``."""
    day = spoken_day(at.date(), now.date(), lang, relative)
    clock = spoken_clock(at.hour, at.minute, lang)
    word = {"nl": "om", "fr": "à", "en": "at"}[lang]
    return f"{day} {word} {clock}"


def spoken_number(number: str) -> str:
    """A phone number to be read out digit by digit, in the groups it is written in
    ("1813", "106", "078 15 10 20"): the groups stay, each digit apart."""
    groups = [g for g in "".join(c if c.isdigit() else " " for c in number).split() if g]
    return ", ".join(" ".join(g) for g in groups)
