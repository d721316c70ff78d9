"""The consent register of neighbourhood teams: known callers' numbers, their team and
their own social worker (``[teams]`` in the site file, ``docs/staff.md``).

A citizen who agrees gives their number; the register then sends their calls on the teams'
topic to their own team, and first to their own social worker. It is welfare data like any
other: only the teams' staff (the ``counter`` role, limited to their teams), managers and
admins read it; every read (a list, one entry, and each lookup the call path makes) leaves
an audit entry that names the entry, never the number; an entry lives ``register_days``
after the consent it was given with, then retention erases it; the right of access exports
it and erasure removes it (``callcenter/staff/privacy.py``, ``CONSENTED``).

The call path reads a copy in memory (:meth:`KnownCallers.lookup`): one dictionary lookup,
no database on the way of a call; every change here updates that copy at once.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncEngine

from callcenter.staff.audit import AuditLog
from callcenter.staff.errors import StaffError
from callcenter.staff.privacy import mask_number, normalise_number
from callcenter.store.db import StoreSessions
from callcenter.store.models import KnownCallerRow, UserRow
from routing.site import Site

__all__ = ["KnownCaller", "KnownCallers", "consent_on"]

_NUMBER = re.compile(r"\+?[0-9 ./()-]{6,32}")


@dataclass(frozen=True, slots=True)
class KnownCaller:
    id: int
    caller: str
    team: str
    worker: str | None
    consent_at: datetime
    expires_at: datetime
    recorded_by: str
    site: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "caller": self.caller,
            "team": self.team,
            "worker": self.worker,
            "consent_at": self.consent_at.isoformat(),
            "expires_at": self.expires_at.isoformat(),
            "recorded_by": self.recorded_by,
            "site": self.site,
        }


def consent_on(day: date, site: Site) -> datetime:
    """A consent given on ``day`` (a form's or a file's date): noon, site time."""
    return datetime.combine(day, time(12), site.zone)


def _entry(row: KnownCallerRow) -> KnownCaller:
    return KnownCaller(
        row.id,
        row.caller,
        row.team,
        row.worker,
        row.consent_at,
        row.expires_at,
        row.recorded_by,
        row.site,
    )


def _invalid(field: str, nl: str, en: str) -> StaffError:
    return StaffError("invalid-field", nl, field=field, en=en)


class KnownCallers:
    """The register, stored and audited; ``lookup`` answers the call path from memory."""

    def __init__(
        self,
        engine: AsyncEngine,
        audit: AuditLog,
        site: Site,
        now: Callable[[], datetime],
    ) -> None:
        self.sessions = StoreSessions(engine)
        self.audit = audit
        self.site = site
        self.now = now
        self._by_number: dict[str, KnownCaller] = {}
        self.teams: dict[str, str | None] = {}
        """Every neighbourhood team of the site (a region: of its municipalities), by its
        counter id, with the municipality it is of (None: a lone site)."""
        self._days: dict[str, int] = {}
        """Each team's ``register_days``."""
        for local in site.sites or (site,):
            if local.teams is None:
                continue
            for cid in local.teams.counters:
                self.teams.setdefault(cid, local.site_id or None)
                self._days.setdefault(cid, local.teams.register_days)

    # -- the call path ---------------------------------------------------------------------
    async def load(self) -> int:
        """Read the register into memory (at start); expired entries are left out."""
        now = self.now()
        async with self.sessions() as session:
            rows = await session.scalars(
                select(KnownCallerRow).where(KnownCallerRow.expires_at > now)
            )
            self._by_number = {r.caller: _entry(r) for r in rows}
        return len(self._by_number)

    def lookup(self, number: str | None) -> KnownCaller | None:
        """The entry of a caller's number (any form), None when unknown, expired or none was
        shown. Not audited here: the call path audits each lookup with its call
        (:meth:`audit_lookup`)."""
        if not number or not _NUMBER.fullmatch(number):
            return None
        found = self._by_number.get(normalise_number(number, self.site.country))
        if found is None or found.expires_at <= self.now():
            return None
        return found

    async def find(self, number: str) -> KnownCaller | None:
        """The entry of a number read from the database (a command: no copy in memory);
        None when unknown or expired. Not audited here, as :meth:`lookup`."""
        if not _NUMBER.fullmatch(number or ""):
            return None
        caller = normalise_number(number, self.site.country)
        async with self.sessions() as session:
            row = await session.scalar(
                select(KnownCallerRow).where(
                    KnownCallerRow.caller == caller, KnownCallerRow.expires_at > self.now()
                )
            )
        return None if row is None else _entry(row)

    async def audit_lookup(self, found: KnownCaller | None, call_id: str) -> None:
        """A lookup on the way of a call, in the audit: which entry was read, for which
        call (a miss reads nothing, and names no one)."""
        await self.audit.record(
            "known-lookup",
            actor=None,
            target=f"known:{found.id}" if found else "",
            detail={"call_id": call_id, "found": found is not None}
            | ({"team": found.team, "worker": found.worker} if found else {}),
        )

    # -- staff -----------------------------------------------------------------------------
    def _check_team(self, team: str, teams: Iterable[str] | None) -> None:
        configured = list(self.teams)
        if team not in configured:
            raise _invalid(
                "team",
                f"Onbekend buurtteam {team!r}; kies uit: {', '.join(configured) or 'geen'}.",
                f"unknown team {team!r}; the site's teams: {', '.join(configured) or 'none'}",
            )
        if teams is not None and team not in set(teams):
            raise StaffError(
                "forbidden",
                "U werkt niet voor dat buurtteam.",
                field="team",
                status=403,
                en=f"you do not work for team {team!r}",
            )

    async def _workers(self) -> dict[str, tuple[bool, list[str]]]:
        """Every user: (active, counters), to check the workers named."""
        async with self.sessions() as session:
            rows = await session.execute(select(UserRow.login, UserRow.active, UserRow.counters))
        return {login: (active, counters.split(",")) for login, active, counters in rows}

    @staticmethod
    def _check_worker(
        worker: str | None, team: str, users: dict[str, tuple[bool, list[str]]]
    ) -> str | None:
        if not worker:
            return None
        active, counters = users.get(worker, (False, []))
        if not active:
            raise _invalid(
                "worker",
                f"Geen actieve gebruiker {worker!r}.",
                f"no active user {worker!r}",
            )
        if team not in counters:
            raise _invalid(
                "worker",
                f"{worker} werkt niet in het buurtteam {team!r}: voeg het team toe bij de "
                "gebruiker, of kies een andere maatschappelijk werker.",
                f"user {worker!r} does not work in team {team!r} (their counters: "
                f"{','.join(c for c in counters if c) or 'none'})",
            )
        return worker

    async def worker_phones(self, login: str) -> list[str]:
        """The phones (interfaces) of an active user; none for another."""
        async with self.sessions() as session:
            row = await session.scalar(select(UserRow).where(UserRow.login == login))
        if row is None or not row.active:
            return []
        return [i for i in row.interfaces.split(",") if i]

    def _number(self, number: str) -> str:
        number = (number or "").strip()
        if not _NUMBER.fullmatch(number):
            raise _invalid(
                "caller",
                "Geef een telefoonnummer (bijvoorbeeld 0470 12 34 56).",
                f"give a phone number (such as 0470 12 34 56), got {number!r}",
            )
        return normalise_number(number, self.site.country)

    def _checked(
        self,
        number: str,
        team: str,
        worker: str | None,
        consent_at: datetime | None,
        teams: Iterable[str] | None,
        users: dict[str, tuple[bool, list[str]]],
    ) -> tuple[str, str, str | None, datetime, datetime]:
        """One entry checked: (number in international form, team, worker, consent,
        expiry); a :class:`StaffError` naming the field otherwise."""
        if not self.teams:
            raise StaffError(
                "teams-off",
                "Deze site heeft geen buurtteams ([teams] in het sitebestand).",
                status=409,
                en="this site has no neighbourhood teams ([teams] in the site file)",
            )
        caller = self._number(number)
        self._check_team(team, teams)
        worker = self._check_worker(worker, team, users)
        now = self.now()
        given = consent_at or now
        if given > now + timedelta(minutes=5):
            raise _invalid(
                "consent_at",
                "De toestemming kan niet in de toekomst gegeven zijn.",
                "the consent cannot be given in the future",
            )
        days = self._days[team]
        expires = given + timedelta(days=days)
        if expires <= now:
            raise _invalid(
                "consent_at",
                f"Die toestemming is al verlopen (bewaartermijn {days} dagen).",
                f"that consent has already expired ({days} days)",
            )
        return caller, team, worker, given, expires

    async def _store(
        self, session: Any, checked: tuple[str, str, str | None, datetime, datetime], actor: str
    ) -> tuple[KnownCaller, bool]:
        caller, team, worker, given, expires = checked
        now = self.now()
        row = await session.scalar(select(KnownCallerRow).where(KnownCallerRow.caller == caller))
        new = row is None
        if row is None:
            row = KnownCallerRow(caller=caller, recorded_by=actor, created_at=now)
            session.add(row)
        else:
            row.updated_at, row.updated_by = now, actor
        row.team, row.worker, row.site = team, worker, self.teams[team]
        row.consent_at, row.expires_at = given, expires
        await session.flush()
        return _entry(row), new

    async def record(
        self,
        number: str,
        team: str,
        *,
        worker: str | None = None,
        consent_at: datetime | None = None,
        actor: str,
        teams: Iterable[str] | None = None,
        address: str | None = None,
    ) -> KnownCaller:
        """Register a number with its consent (or renew and change an entry: one per
        number). ``teams``: the teams the actor may record for (None: all)."""
        users = await self._workers() if worker else {}
        checked = self._checked(number, team, worker, consent_at, teams, users)
        async with self.sessions.begin() as session:
            entry, new = await self._store(session, checked, actor)
            await self.audit.record(
                "known-added" if new else "known-changed",
                actor=actor,
                target=f"known:{entry.id}",
                detail={
                    "team": entry.team,
                    "worker": entry.worker,
                    "expires_at": entry.expires_at.isoformat(),
                },
                address=address,
                session=session,
            )
        self._by_number[entry.caller] = entry
        return entry

    async def record_many(
        self,
        rows: Sequence[tuple[str, str, str | None, datetime | None]],
        *,
        actor: str,
        source: str,
    ) -> int:
        """Register many at once (a register brought over from another system, the demo):
        (number, team, worker, consent) each. Every row is checked first; one bad row
        stores none, and the error names every bad row (``row 3, team: …``, counted from
        1). One audit entry for the import."""
        users = await self._workers()
        checked = []
        problems = []
        for i, (number, team, worker, consent) in enumerate(rows):
            try:
                checked.append(self._checked(number, team, worker, consent, None, users))
            except StaffError as exc:
                problems.append(f"row {i + 1}, {exc.field or 'entry'}: {exc.en or exc.message}")
        seen = Counter(c[0] for c in checked)
        repeated = sorted(n for n, times in seen.items() if times > 1)
        problems += [f"number {mask_number(n)} is given twice" for n in repeated]
        if problems:
            more = f" (and {len(problems) - 10} more)" if len(problems) > 10 else ""
            raise StaffError(
                "invalid-rows",
                f"{len(problems)} fout(en): " + "; ".join(problems[:10]) + more,
                en=f"{len(problems)} problem(s): " + "; ".join(problems[:10]) + more,
            )
        stored = []
        async with self.sessions.begin() as session:
            for c in checked:
                stored.append((await self._store(session, c, actor))[0])
            await self.audit.record(
                "known-added",
                actor=actor,
                target=f"import:{source}"[:200],
                detail={"entries": len(stored)},
                session=session,
            )
        for entry in stored:
            self._by_number[entry.caller] = entry
        return len(stored)

    async def entries(
        self,
        *,
        actor: str,
        teams: Iterable[str] | None = None,
        address: str | None = None,
    ) -> list[KnownCaller]:
        """The register (the teams the reader works for; None: all), audited."""
        q = select(KnownCallerRow).order_by(KnownCallerRow.team, KnownCallerRow.id)
        if teams is not None:
            q = q.where(KnownCallerRow.team.in_(sorted(set(teams))))
        async with self.sessions() as session:
            found = [_entry(r) for r in await session.scalars(q)]
        await self.audit.record(
            "known-read",
            actor=actor,
            detail={"entries": len(found), "teams": sorted(set(teams)) if teams else "all"},
            address=address,
        )
        return found

    async def erase(
        self,
        entry_id: int,
        *,
        actor: str,
        teams: Iterable[str] | None = None,
        address: str | None = None,
    ) -> KnownCaller:
        """Remove one entry (the citizen withdrew their consent, or moved)."""
        async with self.sessions.begin() as session:
            row = await session.get(KnownCallerRow, entry_id)
            if row is None or (teams is not None and row.team not in set(teams)):
                raise StaffError(
                    "not-found",
                    "Die inschrijving bestaat niet.",
                    status=404,
                    en=f"no register entry {entry_id}",
                )
            entry = _entry(row)
            await session.delete(row)
            await self.audit.record(
                "known-erased",
                actor=actor,
                target=f"known:{entry.id}",
                detail={"team": entry.team},
                address=address,
                session=session,
            )
        self._by_number.pop(entry.caller, None)
        return entry

    async def expire(self, *, actor: str | None = None) -> int:
        """Retention: erase the entries whose consent has run out; audited as one entry."""
        now = self.now()
        async with self.sessions.begin() as session:
            gone = list(
                await session.scalars(
                    select(KnownCallerRow.caller).where(KnownCallerRow.expires_at <= now)
                )
            )
            if gone:
                await session.execute(
                    delete(KnownCallerRow).where(KnownCallerRow.expires_at <= now)
                )
                await self.audit.record(
                    "known-expired",
                    actor=actor,
                    detail={"erased": len(gone)},
                    session=session,
                )
        for caller in gone:
            self._by_number.pop(caller, None)
        return len(gone)

    def forget(self, forms: Iterable[str]) -> None:
        """An erasure elsewhere (the privacy service) removed these numbers: drop them."""
        for form in forms:
            self._by_number.pop(form, None)
