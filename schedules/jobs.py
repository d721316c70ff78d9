"""The service's scheduled jobs, on APScheduler 3 (``AsyncIOScheduler``) inside ``serve``.

Now: the nightly privacy job (retention: pseudonymise and delete by age, per the site's
``[privacy]`` policy; expired web sessions purged), at 03:15 in the site's time zone, and
once shortly after start so a night the service was down is caught up. The duty rota and the
opening and closing of counters join this scheduler when they come.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger

from callcenter.staff.services import StaffServices
from routing.site import Site

__all__ = ["CATCH_UP_AFTER", "Jobs", "ScheduledJob"]

log = logging.getLogger(__name__)

CATCH_UP_AFTER = timedelta(minutes=2)
"""After start, the nightly job runs once (a night the service was down is caught up)."""


@dataclass(frozen=True, slots=True)
class ScheduledJob:
    id: str
    name: str
    next_run: datetime | None


class Jobs:
    def __init__(self, site: Site, staff: StaffServices) -> None:
        self.site = site
        self.staff = staff
        self.scheduler = AsyncIOScheduler(timezone=site.zone)
        self.runs = 0

    def start(self) -> None:
        self.scheduler.add_job(
            self.nightly,
            CronTrigger(hour=3, minute=15, timezone=self.site.zone),
            id="privacy-nightly",
            name="privacy: retention and expired sessions (nightly)",
            coalesce=True,
            max_instances=1,
            misfire_grace_time=6 * 3600,
        )
        self.scheduler.add_job(
            self.nightly,
            DateTrigger(datetime.now(UTC) + CATCH_UP_AFTER),
            id="privacy-catch-up",
            name="privacy: catch up after start",
        )
        self.scheduler.start()

    async def nightly(self) -> None:
        try:
            report = await self.staff.privacy.retention(datetime.now(UTC), actor="nightly job")
            purged = await self.staff.sessions.purge()
        except Exception:
            log.exception("the nightly privacy job failed; it runs again tomorrow")
            return
        self.runs += 1
        log.info(
            "privacy job: %d call(s) pseudonymised, %d text(s) deleted, %d session(s) purged",
            report.pseudonymised,
            report.texts_deleted,
            purged,
        )

    def jobs(self) -> list[ScheduledJob]:
        return [
            ScheduledJob(j.id, j.name, getattr(j, "next_run_time", None))
            for j in self.scheduler.get_jobs()
        ]

    def stop(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
