"""Queue statistics from call records, with the definitions of ``docs/service.md``.

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
from dataclasses import dataclass, field, replace
from typing import Any

from callcenter.store.records import CallRecord, Visit, VisitOutcome
from routing.site import Site

__all__ = ["QueueFigures", "queue_stats", "thresholds"]


@dataclass(slots=True)
class QueueFigures:
    """One queue's figures (or a quarter hour's, a topic's, a day's): sums, and the waits as a
    histogram of whole seconds for the longest and the 90th percentile. Cheap to add to, one
    visit at a time (the tracker's records: the wallboard, capture reports) or a group at a
    time (the database's sums: reports); the rates are computed here only."""

    service_level_seconds: int = 20
    queued: int = 0
    answered: int = 0
    abandoned: int = 0
    abandoned_short: int = 0
    timeout: int = 0
    callback: int = 0
    answered_within_sl: int = 0
    answer_wait: int = 0
    abandon_wait: int = 0
    talk: int = 0
    talks: int = 0
    waits: dict[int, int] = field(default_factory=dict)

    def add(self, visit: Visit) -> None:
        if visit.outcome is None or visit.outcome is VisitOutcome.LOST:
            return  # still waiting, or never seen to end: in no figure
        talk = visit.talk_seconds
        self.count(visit.outcome.value, visit.wait_seconds or 0, 1, talk or 0, talk is not None)

    def count(
        self,
        outcome: str,
        wait: int,
        n: int = 1,
        talk: int = 0,
        talks: int = 1,
        threshold: int | None = None,
    ) -> None:
        """``n`` visits that ended as ``outcome`` after waiting ``wait`` seconds each; ``talk``
        is their summed talk time over ``talks`` of them. ``threshold``: the service-level
        threshold of the queue they waited in, when not this figure's own (a topic's visits
        wait in several queues)."""
        if threshold is None:
            threshold = self.service_level_seconds
        within = n if outcome == "answered" and wait <= threshold else 0
        self.add_sums(outcome, n, wait * n, within, talk, talks)
        self.waits[wait] = self.waits.get(wait, 0) + n

    def add_sums(
        self, outcome: str | None, n: int, wait: int, within_sl: int, talk: int, talks: int
    ) -> None:
        """``n`` visits that ended as ``outcome``, by their sums (the waits' histogram is not
        kept: the longest and the 90th percentile stay unknown)."""
        self.queued += n
        if outcome == "answered":
            self.answered += n
            self.answer_wait += wait
            self.answered_within_sl += within_sl
            self.talk += talk
            self.talks += talks
        elif outcome == "abandoned":
            self.abandoned += n
            self.abandon_wait += wait
        elif outcome == "abandoned_short":
            self.abandoned_short += n
        elif outcome == "timeout":
            self.timeout += n
        elif outcome == "callback":
            self.callback += n

    def copy(self) -> QueueFigures:
        return replace(self, waits=dict(self.waits))

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
        return self.answer_wait / self.answered if self.answered else None

    @property
    def aht_seconds(self) -> float | None:
        return self.talk / self.talks if self.talks else None

    @property
    def average_abandon_seconds(self) -> float | None:
        return self.abandon_wait / self.abandoned if self.abandoned else None

    @property
    def max_wait_seconds(self) -> int | None:
        return max(self.waits, default=None)

    @property
    def p90_wait_seconds(self) -> int | None:
        """The value at rank ``int(0.9 * n)`` of the sorted waits."""
        n = sum(self.waits.values())
        if not n:
            return None
        wanted = min(n - 1, int(0.9 * n))
        seen = 0
        for value in sorted(self.waits):
            seen += self.waits[value]
            if seen > wanted:
                return value
        return None  # pragma: no cover - the loop always returns

    def as_json(self, *, waits: bool = True) -> dict[str, Any]:
        """Counts, rates (four decimals) and times (seconds, one decimal); with ``waits``, the
        longest and the 90th-percentile wait."""

        def rate(x: float | None) -> float | None:
            return None if x is None else round(x, 4)

        def secs(x: float | None) -> float | None:
            return None if x is None else round(x, 1)

        out: dict[str, Any] = {
            "queued": self.queued,
            "answered": self.answered,
            "abandoned": self.abandoned,
            "abandoned_short": self.abandoned_short,
            "timeout": self.timeout,
            "callback": self.callback,
            "abandon_rate": rate(self.abandon_rate),
            "service_level": rate(self.service_level),
            "answer_rate": rate(self.answer_rate),
            "asa_seconds": secs(self.asa_seconds),
            "aht_seconds": secs(self.aht_seconds),
            "average_abandon_seconds": secs(self.average_abandon_seconds),
        }
        if waits:
            out["max_wait_seconds"] = self.max_wait_seconds
            out["p90_wait_seconds"] = self.p90_wait_seconds
        return out


def thresholds(site: Site) -> dict[str, int]:
    """Each queue's service-level threshold (``T_sl``), in seconds."""
    out = {c.queue: c.service_level_seconds for c in site.counters}
    out[site.lighthouse.queue] = site.lighthouse.service_level_seconds
    return out


def queue_stats(calls: Iterable[CallRecord], site: Site | None = None) -> dict[str, QueueFigures]:
    sl = thresholds(site) if site is not None else {}
    out: dict[str, QueueFigures] = {}
    for call in calls:
        for visit in call.visits:
            figures = out.get(visit.queue)
            if figures is None:
                figures = out[visit.queue] = QueueFigures(sl.get(visit.queue, 20))
            figures.add(visit)
    return dict(sorted(out.items()))
