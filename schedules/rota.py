"""The duty rota (wachtrol) as values, and who holds the lighthouse duty at an instant.

The rota is a weekly pattern of shifts (weekday, local start and end) plus dated exceptions:
``absent`` (leave, a holiday: the agent's shifts that day, or the part given, do not count)
and ``extra`` (a shift on one date). Handovers (an agent took over the duty) replace the one
who gave it by the one who took it. Everything is judged in local wall-clock time in the
site's zone, so a shift 08:00-20:00 lasts 11 hours on the night clocks go forward and 13 on
the night they go back, as people expect. No I/O here; ``callcenter/agents/duty.py``
stores and runs it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from schedules.errors import RuleError
from schedules.hours import require_aware

__all__ = [
    "WEEKDAYS",
    "Handover",
    "Rota",
    "RotaError",
    "RotaException",
    "Shift",
    "format_hhmm",
    "on_duty",
    "parse_hhmm",
]

WEEKDAYS = ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag")
WEEKDAYS_EN = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_HHMM = re.compile(r"^([01][0-9]|2[0-3]):([0-5][0-9])$|^24:00$")
_MIDNIGHT = time(0)


class RotaError(RuleError):
    """A rota entry that cannot be: ``field`` names the input, the message says why."""


def parse_hhmm(text: str, field: str) -> time | None:
    """``HH:MM`` as a local time; ``24:00`` (midnight at the end of the day) is None."""
    value = (text or "").strip()
    if not _HHMM.match(value):
        raise RotaError(
            f"Geef een tijd als UU:MM (00:00 tot 24:00), niet {text!r}.",
            field,
            f"give a time as HH:MM (00:00 to 24:00), not {text!r}",
        )
    if value == "24:00":
        return None
    hour, minute = value.split(":")
    return time(int(hour), int(minute))


def format_hhmm(value: time | None) -> str:
    return "24:00" if value is None else value.strftime("%H:%M")


def _span(day: date, starts: time, ends: time | None, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """A local period on one day as instants in UTC. UTC, since Python compares and subtracts
    two datetimes of the same zone by their wall clocks."""
    end_day, end_time = (day + timedelta(days=1), _MIDNIGHT) if ends is None else (day, ends)
    return _instant(day, starts, zone), _instant(end_day, end_time, zone)


def _instant(day: date, at: time, zone: ZoneInfo) -> datetime:
    """A local wall-clock time as an instant (UTC). A time that does not exist (in the hour
    skipped when clocks go forward) is read as the end of that gap: a shift from 02:30 starts
    at 03:00 that night. A time that exists twice is its first occurrence."""
    wall = datetime.combine(day, at)
    for minutes in range(0, 24 * 60):
        candidate = wall + timedelta(minutes=minutes)
        instant = candidate.replace(tzinfo=zone).astimezone(UTC)
        if instant.astimezone(zone).replace(tzinfo=None) == candidate:
            return instant
    raise ValueError(f"no instant for {wall} in {zone.key}")  # pragma: no cover


def _check_period(starts: time, ends: time | None) -> None:
    if ends is not None and ends <= starts:
        raise RotaError(
            "Het einde moet na het begin liggen (24:00 voor middernacht).",
            "ends",
            "the end must come after the start (24:00 for midnight)",
        )


@dataclass(frozen=True, slots=True)
class Shift:
    weekday: int
    """0 = Monday ... 6 = Sunday."""
    starts: time
    ends: time | None
    """None: 24:00."""
    user_id: int
    id: int | None = None

    def __post_init__(self) -> None:
        if not 0 <= self.weekday <= 6:
            raise RotaError(
                "Kies een dag van maandag tot zondag.", "weekday", "a day from Monday to Sunday"
            )
        _check_period(self.starts, self.ends)

    def overlaps(self, other: Shift) -> bool:
        if self.weekday != other.weekday or self.user_id != other.user_id:
            return False
        end_a = self.ends or time.max
        end_b = other.ends or time.max
        return self.starts < end_b and other.starts < end_a

    def describe(self, *, english: bool = False) -> str:
        day = (WEEKDAYS_EN if english else WEEKDAYS)[self.weekday]
        return f"{day} {format_hhmm(self.starts)}-{format_hhmm(self.ends)}"


@dataclass(frozen=True, slots=True)
class RotaException:
    day: date
    kind: str
    """``absent`` or ``extra``."""
    user_id: int
    starts: time | None = None
    """None with ``ends`` None on an absence: the whole day."""
    ends: time | None = None
    note: str = ""
    id: int | None = None
    whole_day: bool = False

    def __post_init__(self) -> None:
        if self.kind not in ("absent", "extra"):
            raise RotaError(
                "Kies 'absent' (afwezig) of 'extra' (extra wacht).",
                "kind",
                "'absent' or 'extra' (an extra duty)",
            )
        if self.kind == "extra" and self.starts is None:
            raise RotaError(
                "Een extra wacht heeft een begin en een einde.",
                "starts",
                "an extra duty has a start and an end",
            )
        if self.starts is not None:
            _check_period(self.starts, self.ends)

    def span(self, zone: ZoneInfo) -> tuple[datetime, datetime]:
        if self.starts is None:
            return _span(self.day, _MIDNIGHT, None, zone)
        return _span(self.day, self.starts, self.ends, zone)


@dataclass(frozen=True, slots=True)
class Handover:
    """``taken_by`` holds the duty instead of ``given_by`` (None: beside those on duty) from
    ``started`` until ``ends`` (None: until handed back)."""

    taken_by: int
    given_by: int | None
    started: datetime
    ends: datetime | None = None
    id: int | None = None

    def active_at(self, at: datetime) -> bool:
        at = at.astimezone(UTC)
        return self.started <= at and (self.ends is None or at < self.ends)


class Rota:
    def __init__(
        self,
        zone: ZoneInfo,
        shifts: Sequence[Shift] = (),
        exceptions: Sequence[RotaException] = (),
    ) -> None:
        self.zone = zone
        self.shifts = tuple(shifts)
        self.exceptions = tuple(exceptions)
        for i, a in enumerate(self.shifts):
            for b in self.shifts[i + 1 :]:
                if a.overlaps(b):
                    raise RotaError(
                        f"Deze wacht overlapt met {a.describe()} van dezelfde medewerker.",
                        "starts",
                        f"this duty overlaps {a.describe(english=True)} of the same agent",
                    )

    def periods(self, day: date) -> list[tuple[int, datetime, datetime]]:
        """(user, start, end) of the duty scheduled on one local day, absences taken out."""
        raw = [
            (s.user_id, *_span(day, s.starts, s.ends, self.zone))
            for s in self.shifts
            if s.weekday == day.weekday()
        ]
        raw += [
            (e.user_id, *e.span(self.zone))
            for e in self.exceptions
            if e.day == day and e.kind == "extra"
        ]
        absences = [
            (e.user_id, *e.span(self.zone))
            for e in self.exceptions
            if e.day == day and e.kind == "absent"
        ]
        out: list[tuple[int, datetime, datetime]] = []
        for user, lo, hi in raw:
            pieces = [(lo, hi)]
            for who, a_lo, a_hi in absences:
                if who != user:
                    continue
                pieces = [
                    part
                    for p_lo, p_hi in pieces
                    for part in ((p_lo, min(p_hi, a_lo)), (max(p_lo, a_hi), p_hi))
                    if part[0] < part[1]
                ]
            out += [(user, p_lo, p_hi) for p_lo, p_hi in pieces]
        return sorted(out, key=lambda p: (p[1], p[0]))

    def _around(self, at: datetime) -> Iterable[tuple[int, datetime, datetime]]:
        local = at.astimezone(self.zone).date()
        for offset in (-1, 0):
            yield from self.periods(local + timedelta(days=offset))

    def scheduled(self, at: datetime) -> set[int]:
        """The users the rota puts on duty at ``at``."""
        require_aware(at, "duty time")
        at = at.astimezone(UTC)
        return {user for user, lo, hi in self._around(at) if lo <= at < hi}

    def shift_end(self, user: int, at: datetime) -> datetime | None:
        """When the user's period of duty that holds ``at`` ends (None: not on duty)."""
        at = at.astimezone(UTC)
        ends = [hi for who, lo, hi in self._around(at) if who == user and lo <= at < hi]
        return max(ends, default=None)

    def next_change(self, at: datetime, horizon_days: int = 8) -> datetime | None:
        """The first instant after ``at`` at which someone's duty starts or ends."""
        require_aware(at, "duty time")
        local = at.astimezone(self.zone).date()
        at = at.astimezone(UTC)
        edges = [
            t
            for offset in range(-1, horizon_days + 1)
            for _user, lo, hi in self.periods(local + timedelta(days=offset))
            for t in (lo, hi)
            if t > at
        ]
        return min(edges, default=None)


def on_duty(rota: Rota, handovers: Iterable[Handover], at: datetime) -> set[int]:
    """Who holds the duty at ``at``: the rota's, with every active handover applied (the
    giver steps out, the taker in)."""
    duty = rota.scheduled(at)
    for h in sorted(handovers, key=lambda h: h.started):
        if h.active_at(at):
            if h.given_by is not None:
                duty.discard(h.given_by)
            duty.add(h.taken_by)
    return duty
