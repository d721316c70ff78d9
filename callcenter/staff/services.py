"""The staff services together, opened once per process over the store's engine."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from callcenter.staff.audit import AuditLog
from callcenter.staff.passwords import Passwords
from callcenter.staff.privacy import Privacy
from callcenter.staff.sessions import Sessions, Tokens
from callcenter.staff.users import Staff
from routing.site import PrivacySettings, Site
from schedules.clock import Clock, WallClock

__all__ = ["StaffServices", "open_staff"]


@dataclass
class StaffServices:
    audit: AuditLog
    passwords: Passwords
    users: Staff
    sessions: Sessions
    tokens: Tokens
    privacy: Privacy
    clock: Clock
    """The installation's clock (a demo's is virtual): the audit's times, and the stores'
    that commands open over these services. Sign-in security (sessions, lock-outs, password
    changes) keeps the wall clock: a demo at ten times speed would log its users out."""

    def close(self) -> None:
        self.passwords.close()


def open_staff(
    engine: AsyncEngine,
    site: Site | None,
    privacy_key: bytes,
    *,
    audit_key: bytes | None = None,
    checkpoints: Path | None = None,
    clock: Clock | None = None,
) -> StaffServices:
    """The services; without a site (a command that needs none) no counter is known and the
    default privacy policy applies. ``audit_key`` and ``checkpoints``: the audit chain's key
    and the file its head is anchored in (``callcenter/staff/audit.py``); ``clock``: the
    installation's (default: the wall clock)."""
    clock = clock or WallClock()
    audit = AuditLog(engine, audit_key, checkpoints, now=clock.now)
    passwords = Passwords()
    counters = [c.id for c in site.counters] if site else []
    policy = site.privacy if site else PrivacySettings()
    return StaffServices(
        audit=audit,
        passwords=passwords,
        users=Staff(
            engine,
            audit,
            passwords,
            counters,
            site.organisations if site else (),
            [s.site_id for s in site.sites] if site else (),
        ),
        sessions=Sessions(engine),
        tokens=Tokens(engine, audit),
        privacy=Privacy(engine, audit, policy, privacy_key, site.country if site else "BE"),
        clock=clock,
    )
