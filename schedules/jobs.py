"""The service's scheduled jobs, on APScheduler 3 (``AsyncIOScheduler``) inside ``serve``.

Every job is planned in the *service's* time, which is the wall clock in production and the
simulator's virtual clock in the demo (running many times faster). :class:`Jobs` is the
adapter between the two: it works out each job's next instant in service time (from an
APScheduler trigger, or an instant computed from opening hours, overrides, closures and the
rota), and hands APScheduler a one-shot ``DateTrigger`` at the matching wall-clock instant.
After a run it plans the next. So the same code runs the demo's shifts at ten times speed and
production's in real time, DST-correct (triggers and hours are zone-aware), and nothing polls
the clock.

The service's jobs (:func:`plan_service_jobs`):

- ``states``: at every opening and closing of a counter or the lighthouse (hours, closures,
  overrides), write the states to Asterisk; re-planned when an override or closure changes;
- ``duty``: at every start and end of a shift or a handover, the lighthouse queue follows;
- ``snapshots``: every 15 minutes, each queue's figures for the interval just ended;
- ``privacy-nightly``: at 03:15, retention and expired sessions; once after start too, so a
  night the service was down is caught up (the states and the duty are caught up by the first
  resync after start: the state after start is what the hours say now).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.date import DateTrigger

from schedules.clock import Clock, WallClock

__all__ = ["CATCH_UP_AFTER", "Jobs", "ScheduledJob"]

log = logging.getLogger(__name__)

CATCH_UP_AFTER = timedelta(minutes=2)
"""After start, the nightly job runs once (a night the service was down is caught up)."""

Work = Callable[[], Awaitable[object]]


@dataclass(frozen=True, slots=True)
class ScheduledJob:
    id: str
    name: str
    next_run: datetime | None
    """In service time (the demo's is virtual)."""
    runs: int
    last_run: datetime | None
    last_error: str | None


@dataclass(slots=True)
class _Plan:
    name: str
    work: Work
    trigger: BaseTrigger | None
    """Recurring jobs: the trigger, read in service time. One-shot jobs: None."""
    next_run: datetime | None = None
    runs: int = 0
    last_run: datetime | None = None
    last_error: str | None = None
    replan: Callable[[datetime], datetime | None] | None = None
    """Jobs at computed instants: the next one after a time."""
    running: bool = False


class Jobs:
    def __init__(self, clock: Clock | None = None) -> None:
        self.clock = clock or WallClock()
        self.scheduler = AsyncIOScheduler(timezone=UTC)
        self._plans: dict[str, _Plan] = {}
        self._running: set[asyncio.Task[object]] = set()
        self._stopping = False
        self._shut = False

    @property
    def speed(self) -> float:
        return float(getattr(self.clock, "speed", 1.0))

    def _wall(self, at: datetime) -> datetime:
        """The wall-clock instant at which the service's clock shows ``at``."""
        ahead = (at - self.clock.now()).total_seconds() / self.speed
        return datetime.now(UTC) + timedelta(seconds=max(0.0, ahead))

    # -- planning ------------------------------------------------------------------------------
    def every(self, job_id: str, name: str, trigger: BaseTrigger, work: Work) -> None:
        """A recurring job; the trigger is evaluated in service time."""
        self._plans[job_id] = _Plan(name, work, trigger)
        self._arm(job_id, trigger.get_next_fire_time(None, self.clock.now()))

    def following(
        self, job_id: str, name: str, next_after: Callable[[datetime], datetime | None], work: Work
    ) -> None:
        """A job at computed instants (``next_after(now)``), planned again after each run
        and on :meth:`replan` (when what it is computed from changed)."""
        self._plans[job_id] = _Plan(name, work, None, replan=next_after)
        self.replan(job_id)

    def once(self, job_id: str, name: str, at: datetime, work: Work) -> None:
        self._plans[job_id] = _Plan(name, work, None)
        self._arm(job_id, at)

    def replan(self, job_id: str) -> None:
        """Plan a ``following`` job again (what it is computed from changed). While it runs,
        nothing: the run's end plans the next from what is true then. (Under load the
        callbacks job is asked hundreds of times a second; each re-arming is work for
        APScheduler, and one armed while it runs would only be skipped.)"""
        plan = self._plans.get(job_id)
        if plan is not None and plan.replan is not None and not plan.running:
            self._arm(job_id, plan.replan(self.clock.now()))

    def _arm(self, job_id: str, at: datetime | None) -> None:
        plan = self._plans[job_id]
        if at is not None and at == plan.next_run and self.scheduler.get_job(job_id):
            return  # armed for that instant already
        plan.next_run = at
        if self.scheduler.get_job(job_id) is not None:
            self.scheduler.remove_job(job_id)
        if at is None:
            return
        self.scheduler.add_job(
            self._fire,
            DateTrigger(self._wall(at)),
            args=[job_id, at],
            id=job_id,
            name=plan.name,
            misfire_grace_time=None,  # late (a busy loop, a suspended VM) is better than never
            # a run plans the next before it returns, and APScheduler counts it as running
            # until just after: a next instant already due would be skipped, and dropped
            max_instances=2,
        )

    async def _fire(self, job_id: str, planned: datetime) -> None:
        plan = self._plans.get(job_id)
        if plan is None or self._stopping:  # fired as the service stops: not begun at all
            return
        if (ahead := (planned - self.clock.now()).total_seconds()) > 0:
            # the wall clock and the service's drifted apart (a virtual clock): not yet
            self._arm(job_id, planned)
            log.debug("job %s %.3f s early in service time: planned again", job_id, ahead)
            return
        plan.runs += 1
        plan.last_run = self.clock.now()
        plan.running = True
        me = asyncio.current_task()
        if me is not None:
            self._running.add(me)
        try:
            await plan.work()
            plan.last_error = None
        except Exception as exc:
            plan.last_error = f"{type(exc).__name__}: {exc}"
            log.exception("job %s failed; it runs again at its next time", job_id)
        finally:
            plan.running = False
            if me is not None:
                self._running.discard(me)
        if self._stopping:
            return
        after = max(planned, self.clock.now())
        if plan.trigger is not None:
            self._arm(job_id, plan.trigger.get_next_fire_time(None, after + _TICK))
        elif plan.replan is not None:
            self._arm(job_id, plan.replan(after))
        else:
            plan.next_run = None

    # -- running -------------------------------------------------------------------------------
    def start(self) -> None:
        if not self.scheduler.running:
            self.scheduler.start()

    def stop(self) -> None:
        """Stop planning; a job running now is cancelled (see :meth:`stopped`)."""
        self._stopping = True
        if self.scheduler.running and not self._shut:  # it shuts down soon after, not now
            self._shut = True
            self.scheduler.shutdown(wait=False)

    async def stopped(self, timeout: float = 10.0, grace: float = 2.0) -> None:
        """Stop planning; let a job that is running finish (at most ``grace`` s), then
        cancel what is left and wait (at most ``timeout`` s) until it has ended: none is
        left holding a database connection when the service closes it, and a short job is
        not cut off in the middle of a query (its cancelled connection's clean-up raced the
        engine's disposal and once hung a test run's loop)."""
        self._stopping = True
        for wait in (grace, timeout):
            running = [t for t in self._running if t is not asyncio.current_task()]
            if running:
                await asyncio.wait(running, timeout=wait)
            self.stop()  # the second time round: cancels what did not finish in time

    def jobs(self) -> list[ScheduledJob]:
        return sorted(
            (
                ScheduledJob(i, p.name, p.next_run, p.runs, p.last_run, p.last_error)
                for i, p in self._plans.items()
            ),
            key=lambda j: (j.next_run is None, j.next_run or datetime.max.replace(tzinfo=UTC)),
        )


_TICK = timedelta(microseconds=1)
"""A recurring trigger's next time is strictly after the run just done."""
