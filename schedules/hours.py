"""Opening hours in the OpenStreetMap ``opening_hours`` syntax, judged in the site's zone.

A thin, typed layer over ``opening-hours-py`` (a Rust parser with the public-holiday
calendars built in). Everything here takes and returns *aware* datetimes; a naive datetime
is a programming error and is refused, because "09:00" without a zone is ambiguous twice a
year.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import opening_hours
from opening_hours import OpeningHours, State

# The library raises these but its type stub does not declare them.
ParserError: type[Exception] = opening_hours.ParserError  # type: ignore[attr-defined]
UnknownCountryError: type[Exception] = opening_hours.UnknownCountryError  # type: ignore[attr-defined]

__all__ = [
    "AnyHours",
    "HolidayCalendar",
    "Hours",
    "HoursSyntaxError",
    "Interval",
    "overridden_rules",
    "require_aware",
]

# How far ahead we look for a next opening before we call a schedule "never open again".
_HORIZON = timedelta(days=400)
_POSITION = re.compile(r"-->\s*(\d+):(\d+)")


class HoursSyntaxError(ValueError):
    """An opening-hours expression does not parse; ``column`` is 1-based."""

    def __init__(self, expression: str, column: int | None, detail: str) -> None:
        self.expression = expression
        self.column = column
        self.detail = detail
        where = f"at column {column}" if column is not None else "somewhere"
        super().__init__(f"does not parse {where}: {detail}")


def require_aware(at: datetime, what: str = "time") -> None:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"{what} must carry a time zone (got naive {at.isoformat()})")


def _parse(expression: str, zone: ZoneInfo, country: str) -> OpeningHours:
    try:
        return OpeningHours(
            expression,
            timezone=zone,
            country=country,
            auto_country=False,
            auto_timezone=False,
        )
    except ParserError as exc:
        text = str(exc)
        match = _POSITION.search(text)
        column = int(match.group(2)) if match else None
        expected = text.rsplit("= ", 1)[-1].strip() if "= " in text else text
        raise HoursSyntaxError(expression, column, expected) from None


@dataclass(frozen=True, slots=True)
class Interval:
    """A stretch of constant state; ``end`` is None when it never changes again."""

    start: datetime
    end: datetime | None
    open: bool
    comment: str = ""


class Hours:
    """One compiled opening-hours expression for one place.

    ``is_open`` is the hot path (a few microseconds); the rest is for people and scheduling.
    An expression that evaluates to the OSM "unknown" state counts as closed: a call is never
    sent to a counter that may not be staffed.
    """

    __slots__ = ("_oh", "country", "expression", "zone")

    def __init__(self, expression: str, zone: ZoneInfo, country: str) -> None:
        self.expression = expression
        self.zone = zone
        self.country = country
        self._oh = _parse(expression, zone, country)

    def __repr__(self) -> str:
        return f"Hours({self.expression!r}, zone={self.zone.key!r}, country={self.country!r})"

    def _local(self, at: datetime, what: str = "time") -> datetime:
        # The parser only accepts ZoneInfo-aware datetimes: convert any offset to the zone.
        require_aware(at, what)
        return at if at.tzinfo is self.zone else at.astimezone(self.zone)

    def is_open(self, at: datetime) -> bool:
        return bool(self._oh.is_open(self._local(at)))

    def next_change(self, at: datetime) -> datetime | None:
        change = self._oh.next_change(self._local(at))
        return None if change is None else change.astimezone(self.zone)

    def next_open(self, at: datetime) -> datetime | None:
        """The first instant at or after ``at`` when the place is open (None: not within
        about a year)."""
        cursor = self._local(at)
        limit = cursor + _HORIZON
        while cursor < limit:
            if self._oh.is_open(cursor):
                return cursor.astimezone(self.zone)
            change = self._oh.next_change(cursor)
            if change is None or change <= cursor:
                return None
            cursor = change.astimezone(self.zone)
        return None

    def intervals(self, start: datetime, end: datetime) -> list[Interval]:
        """Constant-state stretches covering [start, end), cut to that window."""
        start = self._local(start, "start")
        end = self._local(end, "end")
        out: list[Interval] = []
        for lo, hi, state, comment in self._oh.intervals(start, end):
            lo_z = max(lo, start).astimezone(self.zone)
            hi_z = None if hi is None else min(hi, end).astimezone(self.zone)
            if hi_z is not None and hi_z <= lo_z:
                continue
            out.append(Interval(lo_z, hi_z, state == State.OPEN, comment or ""))
        return out

    def open_periods_on(self, day: date) -> list[tuple[datetime, datetime]]:
        """The open periods that fall on one local calendar day."""
        start = datetime.combine(day, time(0), self.zone)
        end = datetime.combine(day + timedelta(days=1), time(0), self.zone)
        return [
            (iv.start, iv.end if iv.end is not None else end)
            for iv in self.intervals(start, end)
            if iv.open
        ]


class AnyHours(Hours):
    """A place that is open where any of its parts is: a mobile counter, open at one of its
    addresses at a time. Each part keeps its own expression; this answers for the whole
    (``expression`` joins the parts with `` || `` for people, it is never parsed)."""

    __slots__ = ("parts",)

    def __init__(self, parts: Sequence[Hours]) -> None:
        if not parts:
            raise ValueError("AnyHours needs at least one part")
        self.parts = tuple(parts)
        first = self.parts[0]
        self.zone = first.zone
        self.country = first.country
        self.expression = " || ".join(p.expression for p in self.parts)

    def __repr__(self) -> str:
        return f"AnyHours({list(self.parts)!r})"

    def is_open(self, at: datetime) -> bool:
        return any(p.is_open(at) for p in self.parts)

    def next_change(self, at: datetime) -> datetime | None:
        """The first instant after ``at`` when the whole changes state (one part closing as
        another opens is no change)."""
        at = self._local(at)
        now = self.is_open(at)
        cursor = at
        limit = at + _HORIZON
        while cursor < limit:
            changes = [c for p in self.parts if (c := p.next_change(cursor)) is not None]
            if not changes:
                return None
            cursor = min(changes)
            if self.is_open(cursor) != now:
                return cursor.astimezone(self.zone)
        return None

    def next_open(self, at: datetime) -> datetime | None:
        found = [o for p in self.parts if (o := p.next_open(at)) is not None]
        return min(found) if found else None

    def intervals(self, start: datetime, end: datetime) -> list[Interval]:
        start = self._local(start, "start")
        end = self._local(end, "end")
        cuts = {start}
        for p in self.parts:
            for iv in p.intervals(start, end):
                cuts.add(iv.start)
                if iv.end is not None:
                    cuts.add(iv.end)
        bounds = sorted(c for c in cuts if start <= c < end)
        out: list[Interval] = []
        for i, lo in enumerate(bounds):
            hi = bounds[i + 1] if i + 1 < len(bounds) else end
            state = self.is_open(lo)
            if out and out[-1].open == state:
                out[-1] = Interval(out[-1].start, hi, state)
            else:
                out.append(Interval(lo, hi, state))
        return out


# A week without public holidays in any country we serve is not guaranteed, so the check
# below looks at two weeks and only reports a day where a rule is wiped out in both.
_CHECK_WEEKS = (date(2026, 11, 16), date(2027, 2, 8))
_WEEKDAYS = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")


def overridden_rules(expression: str, zone: ZoneInfo, country: str) -> list[str]:
    """Rules whose opening times a later ``;`` rule wipes out on some weekday.

    In the opening_hours syntax ``;`` starts a rule that *replaces* earlier rules for the days
    it names (``Mo-Fr 09:00-12:00; We 13:00-16:00`` is closed on Wednesday morning); ``,``
    adds to them. Authors who mean "also" get it wrong often, so this names each such rule
    with the weekdays it loses. Rules that close on purpose (``off``, ``closed``) are skipped.
    """
    if '"' in expression:  # comments may contain ';': do not guess
        return []
    rules = [r.strip() for r in expression.split(";") if r.strip()]
    if len(rules) < 2:
        return []
    try:
        whole = Hours(expression, zone, country)
    except HoursSyntaxError:
        return []
    findings = []
    for rule in rules[:-1]:
        if any(word in rule.lower() for word in ("off", "closed", "ph", "sh")):
            continue
        try:
            alone = Hours(rule, zone, country)
        except HoursSyntaxError:
            continue
        lost = []
        for offset in range(7):
            if all(_lost_on(alone, whole, week + timedelta(days=offset)) for week in _CHECK_WEEKS):
                lost.append(_WEEKDAYS[(_CHECK_WEEKS[0] + timedelta(days=offset)).weekday()])
        if lost:
            findings.append(
                f"rule {rule!r} is replaced by a later ';' rule on "
                f"{','.join(lost)} (use ',' to add hours to a day)"
            )
    return findings


def _lost_on(alone: Hours, whole: Hours, day: date) -> bool:
    periods = alone.open_periods_on(day)
    return bool(periods) and not any(whole.is_open(lo) for lo, _ in periods)


class HolidayCalendar:
    """Public holidays of one country, as the opening-hours library knows them (``PH``)."""

    __slots__ = ("_ph", "country", "zone")

    def __init__(self, zone: ZoneInfo, country: str) -> None:
        self.zone = zone
        self.country = country
        self._ph = _parse("PH", zone, country)

    def is_holiday(self, day: date) -> bool:
        return _is_holiday_cached(self._ph, self.zone, day)

    def is_holiday_at(self, at: datetime) -> bool:
        require_aware(at)
        return self.is_holiday(at.astimezone(self.zone).date())


@functools.lru_cache(maxsize=4096)
def _is_holiday_cached(ph: OpeningHours, zone: ZoneInfo, day: date) -> bool:
    return bool(ph.is_open(datetime.combine(day, time(12), zone)))
