"""What every store of site data that people change shares: sessions over the engine, the
audit log every change goes to, the site, and the service's clock (the demo's is virtual)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncEngine

from callcenter.staff.audit import AuditLog
from callcenter.store.db import StoreSessions
from routing.site import Site

__all__ = ["SiteStore"]


class SiteStore:
    def __init__(
        self,
        engine: AsyncEngine,
        audit: AuditLog,
        site: Site,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        """``clock``: the service's time; default the wall clock."""
        self.sessions = StoreSessions(engine)
        self.audit = audit
        self.site = site
        self.now: Callable[[], datetime] = clock or (lambda: datetime.now(UTC))
