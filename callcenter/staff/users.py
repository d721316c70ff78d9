"""Users and roles; logging in, with a back-off per login and address and throttling per
address (no lock an attacker can set off, no answer that tells a known login from another).

Roles (a user may hold several):

| role | may |
| --- | --- |
| ``agent`` | the console, own registrations, the callback list, the live queues |
| ``counter`` | the referrals of their own counters only |
| ``manager`` | wallboard, reports, overrides, rota, all registrations |
| ``admin`` | users, retention, the audit log |

No default password exists anywhere: the first admin is made on the command line
(``vuurtoren users add --admin``). Disabling a user or changing a password ends that user's
sessions at once (:class:`~callcenter.staff.sessions.Sessions`).
"""

from __future__ import annotations

import asyncio
import re
import time
import unicodedata
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, delete, select, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from callcenter.staff.audit import AuditLog
from callcenter.staff.errors import StaffError
from callcenter.staff.passwords import MIN_LENGTH, Passwords, weakness
from callcenter.store.db import StoreSessions, writing
from callcenter.store.models import SessionRow, TokenRow, UserRow

__all__ = [
    "LOCK_AFTER",
    "LOCK_FOR",
    "ROLES",
    "AddressThrottle",
    "LoginThrottle",
    "Staff",
    "User",
    "user_from_row",
]

ROLES = ("agent", "counter", "manager", "admin")
LOCK_AFTER = 5
"""Consecutive failed logins that lock an account ..."""
LOCK_FOR = timedelta(minutes=15)
"""... for this long, or until an admin lifts it."""

_LOGIN = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
_USERS = UserRow.__table__
_BY_LOGIN = select(_USERS).where(_USERS.c.login == bindparam("login"))
_INTERFACE = re.compile(
    r"^(PJSIP|SIP|IAX2|DAHDI)/[A-Za-z0-9@._+-]{1,60}$"
    r"|^Local/[A-Za-z0-9._+-]{1,40}@[A-Za-z0-9._-]{1,40}(/[nbjm]{1,4})?$"
)
"""A phone as Asterisk dials it: ``PJSIP/201``, or a Local channel with its options
(``Local/201@phones/n``: the form a queue member on another box or a test line takes)."""


@dataclass(frozen=True, slots=True)
class User:
    id: int
    login: str
    name: str
    roles: frozenset[str]
    counters: tuple[str, ...] = ()
    interfaces: tuple[str, ...] = ()
    active: bool = True
    locked_until: datetime | None = None
    failed_logins: int = 0
    must_change_password: bool = False
    """The password was set by an admin: the user must choose their own first."""
    organisation: str | None = None
    """The organisation the user works for (a joint counter's figures are split by it)."""
    sites: tuple[str, ...] = ()
    """A region's municipalities the user is limited to: their calls, callers, registrations
    and figures only (none: the whole region, or a lone site)."""

    def in_sites(self, site: str | None) -> bool:
        """Whether something of municipality ``site`` is within the user's reach: always
        for a user limited to none; never, for a limited user, for what belongs to none."""
        return not self.sites or site in self.sites

    def has(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))

    def as_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "login": self.login,
            "name": self.name,
            "roles": sorted(self.roles),
            "counters": list(self.counters),
            "interfaces": list(self.interfaces),
            "organisation": self.organisation,
            "sites": list(self.sites),
            "active": self.active,
            "locked_until": self.locked_until.isoformat() if self.locked_until else None,
        }


def _split(value: str) -> tuple[str, ...]:
    return tuple(v for v in value.split(",") if v)


def _chosen(values: Iterable[str], known: Iterable[str]) -> tuple[str, list[str]]:
    """The values given (trimmed, each once, sorted) as a user row stores them, and those
    of them that are not ``known``."""
    chosen = sorted({v.strip() for v in values if v.strip()})
    allowed = set(known)
    return ",".join(chosen), [v for v in chosen if v not in allowed]


def user_from_row(row: Any) -> User:
    """From an ORM ``UserRow`` or a Core row of the ``users`` table."""
    return User(
        row.id,
        row.login,
        row.name,
        frozenset(_split(row.roles)),
        _split(row.counters),
        _split(row.interfaces),
        row.active,
        row.locked_until,
        row.failed_logins,
        bool(getattr(row, "must_change_password", False)),
        getattr(row, "organisation", None) or None,
        _split(getattr(row, "sites", "") or ""),
    )


class AddressThrottle:
    """Failed logins per address in a sliding window (in memory: a restart forgives)."""

    def __init__(self, limit: int = 20, window: float = 900.0) -> None:
        self.limit = limit
        self.window = window
        self._failures: dict[str, deque[float]] = {}

    def _recent(self, address: str, now: float) -> deque[float]:
        q = self._failures.setdefault(address, deque())
        while q and now - q[0] > self.window:
            q.popleft()
        return q

    def blocked_for(self, address: str) -> float:
        """Seconds until ``address`` may try again (0: now)."""
        now = time.monotonic()
        q = self._recent(address, now)
        return 0.0 if len(q) < self.limit else max(1.0, self.window - (now - q[0]))

    def failed(self, address: str) -> None:
        self._recent(address, time.monotonic()).append(time.monotonic())
        if len(self._failures) > 10_000:  # bounded: forget the quietest addresses
            for key in [k for k, q in self._failures.items() if not q][:5_000]:
                del self._failures[key]


def _minutes(seconds: float) -> str:
    minutes = int(seconds // 60) + 1
    return "1 minuut" if minutes == 1 else f"{minutes} minuten"


class LoginThrottle:
    """Failed logins per (login, address): after :data:`LOCK_AFTER` failures each next try
    waits twice as long as the one before (30 s, 1, 2, 4, 8 minutes, at most 15); a success
    forgets them. Unknown logins count the same way, so no answer tells a known login from
    an unknown one, and nobody can lock an agent out from another address (in memory: a
    restart forgives)."""

    def __init__(self, window: float = 900.0) -> None:
        self.window = window
        self._failures: dict[tuple[str, str], list[float]] = {}

    def blocked_for(self, login: str, address: str) -> float:
        now = time.monotonic()
        tries = [t for t in self._failures.get((login, address), ()) if now - t < self.window]
        if len(tries) < LOCK_AFTER:
            return 0.0
        wait = min(LOCK_FOR.total_seconds(), 30.0 * 2 ** (len(tries) - LOCK_AFTER))
        return float(max(0.0, tries[-1] + wait - now))

    def failed(self, login: str, address: str) -> None:
        now = time.monotonic()
        key = (login, address)
        recent = [t for t in self._failures.get(key, ()) if now - t < self.window]
        self._failures[key] = [*recent[-20:], now]
        if len(self._failures) > 10_000:  # bounded: forget the oldest
            for old in sorted(self._failures, key=lambda k: self._failures[k][-1])[:5_000]:
                del self._failures[old]

    def forget(self, login: str, address: str | None = None) -> None:
        """After a success (that address), or an admin's unlock (every address)."""
        for key in [k for k in self._failures if k[0] == login]:
            if address is None or key[1] == address:
                del self._failures[key]


def _no_user(user_id: int) -> StaffError:
    return StaffError(
        "user-not-found",
        f"Gebruiker {user_id} bestaat niet.",
        status=404,
        en=f"there is no user {user_id}",
    )


def _clean_name(name: str, field: str = "name") -> str:
    name = unicodedata.normalize("NFC", (name or "").strip())
    if not 1 <= len(name) <= 128:
        raise StaffError(
            "invalid-field",
            "Geef een naam van 1 tot 128 tekens.",
            field=field,
            en="give a name of 1 to 128 characters",
        )
    if any(unicodedata.category(ch).startswith("C") for ch in name):
        raise StaffError(
            "invalid-field",
            "De naam bevat onzichtbare tekens.",
            field=field,
            en="the name holds invisible characters",
        )
    return name


class Staff:
    """Users, roles, logins. ``counters``: the site's counter ids (a user may only belong to
    these); ``organisations``: the site's organisations (a user works for one of these, or
    none is said)."""

    def __init__(
        self,
        engine: AsyncEngine,
        audit: AuditLog,
        passwords: Passwords,
        counters: Iterable[str] = (),
        organisations: Iterable[str] = (),
        sites: Iterable[str] = (),
    ) -> None:
        self.engine = engine
        self.sessions = StoreSessions(engine)
        self.audit = audit
        self.passwords = passwords
        self.counters = frozenset(counters)
        self.organisations = tuple(organisations)
        self.sites = tuple(sites)
        self.throttle = AddressThrottle()
        self.tries = LoginThrottle()
        self.on_change: list[Callable[[], None]] = []
        """Called after a user was added, changed, enabled or disabled (phones moved)."""
        self.on_sessions_ended: list[Callable[[str], object]] = []
        """Called with a login whose sessions and tokens were all ended (disabled, new
        password): the web app ends that user's open streams at once."""

    def _changed(self) -> None:
        for listener in self.on_change:
            listener()

    # -- validation ------------------------------------------------------------------------
    def _roles(self, roles: Iterable[str]) -> str:
        chosen = sorted({r.strip() for r in roles if r.strip()})
        unknown = [r for r in chosen if r not in ROLES]
        if unknown or not chosen:
            raise StaffError(
                "invalid-field",
                f"Kies een of meer rollen uit {', '.join(ROLES)}"
                + (f" (onbekend: {', '.join(unknown)})." if unknown else "."),
                field="roles",
                en=f"choose one or more roles of {', '.join(ROLES)}"
                + (f" (unknown: {', '.join(unknown)})" if unknown else ""),
            )
        return ",".join(chosen)

    def _counters(self, counters: Iterable[str]) -> str:
        stored, unknown = _chosen(counters, self.counters)
        if unknown:
            raise StaffError(
                "invalid-field",
                f"Onbekend loket: {', '.join(unknown)}.",
                field="counters",
                en=f"unknown counter: {', '.join(unknown)}",
            )
        return stored

    def _sites(self, sites: Iterable[str]) -> str:
        stored, unknown = _chosen(sites, self.sites)
        if unknown:
            known = ", ".join(self.sites) or "geen: dit is geen regio"
            raise StaffError(
                "invalid-field",
                f"Onbekende gemeente: {', '.join(unknown)}. De regio kent: {known}.",
                field="sites",
                en=f"unknown municipality {', '.join(unknown)}; the region has: {known}",
            )
        return stored

    def _organisation(self, organisation: str | None) -> str | None:
        chosen = (organisation or "").strip()
        if not chosen:
            return None
        if chosen not in self.organisations:
            known = ", ".join(self.organisations) or "geen"
            raise StaffError(
                "invalid-field",
                f"Onbekende organisatie: {chosen}. De site kent: {known}.",
                field="organisation",
                en=f"unknown organisation {chosen!r}; the site has: {known}",
            )
        return chosen

    @staticmethod
    def _interfaces(interfaces: Iterable[str]) -> str:
        chosen = [i.strip() for i in interfaces if i.strip()]
        for i in chosen:
            if not _INTERFACE.match(i):
                raise StaffError(
                    "invalid-field",
                    f"{i!r} is geen toestel (bijvoorbeeld PJSIP/201).",
                    field="interfaces",
                    en=f"{i!r} is not a phone (such as PJSIP/201)",
                )
        return ",".join(dict.fromkeys(chosen))

    @staticmethod
    def check_password(password: str) -> None:
        if len(password) < MIN_LENGTH:
            raise StaffError(
                "weak-password",
                f"Het wachtwoord moet minstens {MIN_LENGTH} tekens lang zijn.",
                field="password",
                en=f"the password must be at least {MIN_LENGTH} characters long",
            )
        if len(password) > 256:
            raise StaffError(
                "invalid-field",
                "Het wachtwoord is te lang (ten hoogste 256).",
                field="password",
                en="the password is too long (at most 256 characters)",
            )

    async def check_strength(self, password: str, hints: Iterable[str]) -> None:
        """Length, then how easy it is to guess (zxcvbn, in a thread: up to some 25 ms of
        work), leaning on the user's login and name or on common words refused."""
        self.check_password(password)
        words = [w for h in hints for w in re.split(r"[\s._-]+", h.lower()) if len(w) > 1]
        why = await asyncio.to_thread(weakness, password, words)
        if why:
            raise StaffError("weak-password", why[0], field="password", en=why[1])

    # -- reading ---------------------------------------------------------------------------
    async def list(self) -> list[User]:
        async with self.sessions() as session:
            rows = await session.scalars(select(UserRow).order_by(UserRow.login))
            return [user_from_row(r) for r in rows]

    async def get(self, user_id: int) -> User:
        async with self.sessions() as session:
            row = await session.get(UserRow, user_id)
        if row is None:
            raise _no_user(user_id)
        return user_from_row(row)

    async def by_login(self, login: str) -> User:
        async with self.sessions() as session:
            row = await session.scalar(select(UserRow).where(UserRow.login == login))
        if row is None:
            raise StaffError(
                "user-not-found",
                f"Gebruiker {login!r} bestaat niet.",
                status=404,
                en=f"there is no user {login!r}",
            )
        return user_from_row(row)

    # -- changing ----------------------------------------------------------------------------
    async def add(
        self,
        login: str,
        name: str,
        roles: Iterable[str],
        password: str,
        *,
        counters: Iterable[str] = (),
        interfaces: Iterable[str] = (),
        organisation: str | None = None,
        sites: Iterable[str] = (),
        actor: str | None = None,
        address: str | None = None,
        temporary: bool = False,
    ) -> User:
        """``temporary``: the password is an admin's choice; the user must choose their own
        at the first login."""
        login = (login or "").strip().lower()
        if not _LOGIN.match(login):
            raise StaffError(
                "invalid-field",
                "Een gebruikersnaam heeft 2 tot 64 tekens: kleine letters, cijfers, . _ -",
                field="login",
                en="a login has 2 to 64 characters: lower-case letters, digits, . _ -",
            )
        row = UserRow(
            login=login,
            name=_clean_name(name),
            roles=self._roles(roles),
            counters=self._counters(counters),
            interfaces=self._interfaces(interfaces),
            organisation=self._organisation(organisation),
            sites=self._sites(sites),
            active=True,
            failed_logins=0,
            created_at=datetime.now(UTC),
            must_change_password=temporary,
        )
        await self.check_strength(password, (login, row.name))
        row.password_hash = await self.passwords.hash(password)
        row.password_changed_at = row.created_at
        async with self.sessions.begin() as session:
            if await session.scalar(select(UserRow.id).where(UserRow.login == login)):
                raise StaffError(
                    "login-taken",
                    f"De gebruikersnaam {login!r} bestaat al.",
                    field="login",
                    en=f"the login {login!r} is taken",
                )
            session.add(row)
        user = user_from_row(row)
        await self.audit.record(
            "user-created",
            actor=actor,
            target=login,
            detail={
                "roles": sorted(user.roles),
                "counters": list(user.counters),
                "organisation": user.organisation,
                "sites": list(user.sites),
            },
            address=address,
        )
        self._changed()
        return user

    async def update(
        self,
        user_id: int,
        *,
        name: str,
        roles: Iterable[str],
        counters: Iterable[str] = (),
        interfaces: Iterable[str] = (),
        organisation: str | None = None,
        sites: Iterable[str] = (),
        actor: str | None = None,
        address: str | None = None,
    ) -> User:
        values = {
            "name": _clean_name(name),
            "roles": self._roles(roles),
            "counters": self._counters(counters),
            "interfaces": self._interfaces(interfaces),
            "organisation": self._organisation(organisation),
            "sites": self._sites(sites),
        }
        async with self.sessions.begin() as session:
            row = await session.get(UserRow, user_id)
            if row is None:
                raise _no_user(user_id)
            before = user_from_row(row)
            for key, value in values.items():
                setattr(row, key, value)
            await self._keep_an_admin(session, row)
        user = user_from_row(row)
        await self.audit.record(
            "user-changed",
            actor=actor,
            target=user.login,
            detail={
                "roles": [sorted(before.roles), sorted(user.roles)],
                "counters": [list(before.counters), list(user.counters)],
                "organisation": [before.organisation, user.organisation],
                "sites": [list(before.sites), list(user.sites)],
            },
            address=address,
        )
        self._changed()
        return user

    async def _keep_an_admin(self, session: AsyncSession, changed: UserRow) -> None:
        """Refuse a change that would leave no active admin (nobody could fix it)."""
        await session.flush()
        rows = await session.scalars(select(UserRow).where(UserRow.active.is_(True)))
        if not any("admin" in _split(r.roles) for r in rows):
            raise StaffError(
                "last-admin",
                "Dit zou de laatste actieve beheerder weghalen; maak eerst een andere beheerder.",
                en="this would remove the last active administrator; make another one first",
            )

    async def set_active(
        self, user_id: int, active: bool, *, actor: str | None = None, address: str | None = None
    ) -> User:
        async with self.sessions.begin() as session:
            row = await session.get(UserRow, user_id)
            if row is None:
                raise _no_user(user_id)
            row.active = active
            if not active:
                await self._keep_an_admin(session, row)
                await session.execute(delete(SessionRow).where(SessionRow.user_id == user_id))
            user = user_from_row(row)
            await self.audit.record(
                "user-enabled" if active else "user-disabled",
                actor=actor,
                target=user.login,
                address=address,
                session=session,
            )
        self._changed()
        if not active:
            self._sessions_ended(user.login)
        return user

    def _sessions_ended(self, login: str) -> None:
        for listener in self.on_sessions_ended:
            listener(login)

    async def set_password(
        self,
        user_id: int,
        password: str,
        *,
        actor: str | None = None,
        address: str | None = None,
        temporary: bool = False,
    ) -> User:
        """``temporary``: set by an admin for the user, who must choose their own at the
        next login; a password the user chose clears that."""
        self.check_password(password)
        current = await self.get(user_id)
        await self.check_strength(password, (current.login, current.name))
        hashed = await self.passwords.hash(password)
        async with self.sessions.begin() as session:
            row = await session.get(UserRow, user_id)
            if row is None:
                raise _no_user(user_id)
            row.password_hash = hashed
            row.password_changed_at = datetime.now(UTC)
            row.must_change_password = temporary
            row.failed_logins, row.locked_until = 0, None
            await session.execute(delete(SessionRow).where(SessionRow.user_id == user_id))
            # the API tokens end too: whoever learnt the old password may have made one
            ended = await session.execute(
                update(TokenRow)
                .where(TokenRow.user_id == user_id, TokenRow.revoked_at.is_(None))
                .values(revoked_at=datetime.now(UTC))
            )
            user = user_from_row(row)
            await self.audit.record(
                "password-changed",
                actor=actor,
                target=user.login,
                detail={"tokens_ended": ended.rowcount},
                address=address,
                session=session,
            )
        self._sessions_ended(user.login)
        return user

    async def unlock(
        self, user_id: int, *, actor: str | None = None, address: str | None = None
    ) -> User:
        async with self.sessions.begin() as session:
            row = await session.get(UserRow, user_id)
            if row is None:
                raise _no_user(user_id)
            row.failed_logins, row.locked_until = 0, None
        user = user_from_row(row)
        self.tries.forget(user.login)
        await self.audit.record("user-unlocked", actor=actor, target=user.login, address=address)
        return user

    async def set_pin(
        self, user_id: int, pin: str, *, actor: str | None = None, address: str | None = None
    ) -> None:
        """The desk-phone PIN (4 to 8 digits; empty removes it), kept as an Argon2id hash."""
        pin = pin.strip()
        if pin and (not pin.isdigit() or not 4 <= len(pin) <= 8 or len(set(pin)) == 1):
            raise StaffError(
                "invalid-field",
                "Een PIN is 4 tot 8 cijfers, niet allemaal dezelfde.",
                field="pin",
                en="a PIN is 4 to 8 digits, not all the same",
            )
        hashed = await self.passwords.hash(pin) if pin else None
        async with self.sessions.begin() as session:
            row = await session.get(UserRow, user_id)
            if row is None:
                raise _no_user(user_id)
            row.pin_hash = hashed
            await self.audit.record(
                "pin-changed",
                actor=actor,
                target=row.login,
                detail={"removed": not pin},
                address=address,
                session=session,
            )

    async def pin_matches(self, user_id: int, pin: str) -> bool:
        async with self.sessions() as session:
            row = await session.get(UserRow, user_id)
        return (
            row is not None
            and row.pin_hash is not None
            and await self.passwords.verify(row.pin_hash, pin)
        )

    async def password_matches(self, user_id: int, password: str) -> bool:
        async with self.sessions() as session:
            row = await session.get(UserRow, user_id)
        return row is not None and await self.passwords.verify(row.password_hash, password)

    # -- logging in ----------------------------------------------------------------------------
    async def authenticate(self, login: str, password: str, address: str) -> User:
        """The user, or :class:`StaffError` (``login-throttled`` 429, ``account-locked``
        423, ``login-failed`` 401). Every attempt is audited."""
        wait = self.throttle.blocked_for(address)
        if wait:
            raise StaffError(
                "login-throttled",
                "Te veel mislukte aanmeldingen vanaf dit adres. Probeer het over "
                f"{int(wait // 60) + 1} minuten opnieuw.",
                status=429,
                en=f"too many failed logins from this address; try again in "
                f"{int(wait // 60) + 1} minutes",
            )
        login = (login or "").strip().lower()[:64]
        wait = self.tries.blocked_for(login, address)
        if wait:
            await self.audit.record(
                "login-failed", actor=None, target=login, detail={"why": "waiting"}, address=address
            )
            raise StaffError(
                "login-throttled",
                "Te veel mislukte aanmeldingen met deze gebruikersnaam. Probeer het over "
                f"{_minutes(wait)} opnieuw.",
                status=429,
                en=f"too many failed logins with this login; try again in "
                f"{int(wait // 60) + 1} minutes",
            )
        # Core, not the ORM: a login's work on the event loop stays small (routing shares it)
        async with self.engine.connect() as conn:
            row = (await conn.execute(_BY_LOGIN, {"login": login})).first()
        ok = await self.passwords.verify(row.password_hash if row else None, password)
        if row is None or not ok or not row.active:
            self.throttle.failed(address)
            self.tries.failed(login, address)
            why = "unknown" if row is None else ("disabled" if ok else "password")
            await self.audit.record(
                "login-failed",
                actor=login if row is not None else None,
                target=login,
                detail={"why": why},
                address=address,
            )
            raise StaffError(
                "login-failed",
                "Aanmelden mislukt: de gebruikersnaam of het wachtwoord klopt niet.",
                status=401,
                en="login failed: the login or the password is wrong",
            )
        self.tries.forget(login, address)
        user = user_from_row(row)
        rehash = bool(row.password_hash) and self.passwords.needs_rehash(row.password_hash or "")
        if row.failed_logins or row.locked_until is not None or rehash:  # else: no write
            values: dict[str, Any] = {"failed_logins": 0, "locked_until": None}
            if rehash:
                values["password_hash"] = await self.passwords.hash(password)
            async with writing(self.engine).begin() as conn:
                await conn.execute(update(UserRow).where(UserRow.id == row.id).values(values))
            user = await self.get(row.id)
        return user
