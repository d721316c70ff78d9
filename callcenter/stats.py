"""Queue statistics from call records, with the definitions of ``shared/DESIGN.md``.

A *visit* is one caller in one queue; it is counted in the interval in which it entered the
queue. Per queue: ``T_sl`` (service-level threshold) and ``T_short`` (short abandon).

| count | meaning |
| queued (Q) | entered the queue; ends as exactly one of An, Ab, Ab_s, TO, CB |
| service level | An with wait <= T_sl / (An + Ab + TO) |
| abandon rate | Ab / (Q - Ab_s - CB) |
| answer rate | An / (Q - Ab_s) |
| ASA | sum of waits of An / An |
| AHT | mean talk time of An |
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from callcenter.tracker import CallRecord, Visit, VisitOutcome
from routing.site import Site

__all__ = ["QueueStats", "queue_stats"]


@dataclass(slots=True)
class QueueStats:
    queue: str
    service_level_seconds: int = 20
    queued: int = 0
    answered: int = 0
    abandoned: int = 0
    abandoned_short: int = 0
    timeout: int = 0
    callback: int = 0
    answered_within_sl: int = 0
    _answer_waits: list[int] = field(default_factory=list)
    _abandon_waits: list[int] = field(default_factory=list)
    _talks: list[int] = field(default_factory=list)
    _all_waits: list[int] = field(default_factory=list)

    def add(self, visit: Visit) -> None:
        if visit.outcome is None or visit.outcome is VisitOutcome.LOST:
            return  # still waiting, or never seen to end: in no figure
        self.queued += 1
        wait = visit.wait_seconds or 0
        self._all_waits.append(wait)
        if visit.outcome is VisitOutcome.ANSWERED:
            self.answered += 1
            self._answer_waits.append(wait)
            if wait <= self.service_level_seconds:
                self.answered_within_sl += 1
            if visit.talk_seconds is not None:
                self._talks.append(visit.talk_seconds)
        elif visit.outcome is VisitOutcome.ABANDONED:
            self.abandoned += 1
            self._abandon_waits.append(wait)
        elif visit.outcome is VisitOutcome.ABANDONED_SHORT:
            self.abandoned_short += 1
        elif visit.outcome is VisitOutcome.TIMEOUT:
            self.timeout += 1
        elif visit.outcome is VisitOutcome.CALLBACK:
            self.callback += 1

    @property
    def service_level(self) -> float | None:
        base = self.answered + self.abandoned + self.timeout
        return self.answered_within_sl / base if base else None

    @property
    def abandon_rate(self) -> float | None:
        base = self.queued - self.abandoned_short - self.callback
        return self.abandoned / base if base else None

    @property
    def answer_rate(self) -> float | None:
        base = self.queued - self.abandoned_short
        return self.answered / base if base else None

    @property
    def asa_seconds(self) -> float | None:
        return sum(self._answer_waits) / self.answered if self.answered else None

    @property
    def aht_seconds(self) -> float | None:
        return sum(self._talks) / len(self._talks) if self._talks else None

    @property
    def average_abandon_seconds(self) -> float | None:
        return sum(self._abandon_waits) / self.abandoned if self.abandoned else None

    @property
    def max_wait_seconds(self) -> int | None:
        return max(self._all_waits, default=None)

    @property
    def p90_wait_seconds(self) -> int | None:
        if not self._all_waits:
            return None
        ordered = sorted(self._all_waits)
        return ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))]

    def as_json(self) -> dict[str, object]:
        def r(x: float | None) -> float | None:
            return None if x is None else round(x, 4)

        return {
            "queued": self.queued,
            "answered": self.answered,
            "abandoned": self.abandoned,
            "abandoned_short": self.abandoned_short,
            "timeout": self.timeout,
            "callback": self.callback,
            "abandon_rate": r(self.abandon_rate),
            "service_level": r(self.service_level),
            "answer_rate": r(self.answer_rate),
            "asa_seconds": r(self.asa_seconds),
            "aht_seconds": r(self.aht_seconds),
            "average_abandon_seconds": r(self.average_abandon_seconds),
            "max_wait_seconds": self.max_wait_seconds,
            "p90_wait_seconds": self.p90_wait_seconds,
        }


def queue_stats(calls: Iterable[CallRecord], site: Site | None = None) -> dict[str, QueueStats]:
    thresholds: dict[str, int] = {}
    if site is not None:
        thresholds = {c.queue: c.service_level_seconds for c in site.counters}
        thresholds[site.lighthouse.queue] = site.lighthouse.service_level_seconds
    out: dict[str, QueueStats] = {}
    for call in calls:
        for visit in call.visits:
            stats = out.get(visit.queue)
            if stats is None:
                stats = out[visit.queue] = QueueStats(visit.queue, thresholds.get(visit.queue, 20))
            stats.add(visit)
    return dict(sorted(out.items()))
