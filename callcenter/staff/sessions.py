"""Browser sessions (server-side, in the store) and personal API tokens.

A session is a random id in an ``HttpOnly``, ``SameSite=Lax`` cookie; the store keeps only its
SHA-256, the user, a CSRF token, and when it was made and last seen. It ends on logout, after
:data:`IDLE` without a request, after :data:`ABSOLUTE` in all, and at once when the user is
disabled or changes password. Login always makes a new id (no fixation).

API tokens (``vt_…``) are shown once, stored as SHA-256, revocable; their last use is kept.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import bindparam, delete, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from callcenter.staff.audit import AuditLog
from callcenter.staff.errors import StaffError
from callcenter.staff.users import User, user_from_row
from callcenter.store.db import StoreSessions, writing
from callcenter.store.models import SessionRow, TokenRow, UserRow

__all__ = ["ABSOLUTE", "IDLE", "ActiveSession", "ApiToken", "Sessions", "Tokens"]

IDLE = timedelta(minutes=60)
ABSOLUTE = timedelta(hours=12)
_TOUCH = timedelta(seconds=60)  # seen_at is written at most once a minute per session
_SESSIONS = SessionRow.__table__
_USERS = UserRow.__table__
_LOOKUP = (
    select(
        _USERS,
        _SESSIONS.c.csrf.label("session_csrf"),
        _SESSIONS.c.created_at.label("session_created"),
        _SESSIONS.c.seen_at.label("session_seen"),
    )
    .select_from(_SESSIONS.join(_USERS, _USERS.c.id == _SESSIONS.c.user_id))
    .where(_SESSIONS.c.id_hash == bindparam("key"))
)


def _aware(value: datetime) -> datetime:
    """Core rows of a UtcDateTime column come back aware already; stay safe on any driver."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _sha(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class ActiveSession:
    user: User
    csrf: str
    created_at: datetime


class Sessions:
    """Core statements, not the ORM: every request of a logged-in user passes here, on the
    event loop that also routes calls."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.sessions = StoreSessions(engine)

    async def create(self, user: User, address: str | None) -> tuple[str, str]:
        """A new session: (cookie value, CSRF token)."""
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        now = datetime.now(UTC)
        async with writing(self.engine).begin() as conn:
            await conn.execute(
                insert(SessionRow),
                {
                    "id_hash": _sha(token),
                    "user_id": user.id,
                    "csrf": csrf,
                    "created_at": now,
                    "seen_at": now,
                    "address": (address or "")[:64] or None,
                },
            )
        return token, csrf

    async def lookup(self, token: str) -> ActiveSession | None:
        """The live session of ``token``; None when unknown, expired, or its user disabled."""
        if not token or len(token) > 128:
            return None
        now = datetime.now(UTC)
        key = _sha(token)
        async with self.engine.connect() as conn:
            found = (await conn.execute(_LOOKUP, {"key": key})).first()
        if found is None:
            return None
        seen, created = _aware(found.session_seen), _aware(found.session_created)
        if not found.active or now - seen > IDLE or now - created > ABSOLUTE:
            await self.end(token)
            return None
        if now - seen > _TOUCH:
            async with writing(self.engine).begin() as conn:
                await conn.execute(
                    update(SessionRow).where(SessionRow.id_hash == key).values(seen_at=now)
                )
        return ActiveSession(user_from_row(found), found.session_csrf, created)

    async def end(self, token: str) -> None:
        async with self.sessions.begin() as session:
            await session.execute(delete(SessionRow).where(SessionRow.id_hash == _sha(token)))

    async def end_all(self, user_id: int) -> None:
        async with self.sessions.begin() as session:
            await session.execute(delete(SessionRow).where(SessionRow.user_id == user_id))

    async def count(self, user_id: int) -> int:
        async with self.sessions() as session:
            rows = await session.scalars(
                select(SessionRow.id_hash).where(SessionRow.user_id == user_id)
            )
            return len(list(rows))

    async def purge(self) -> int:
        """Delete expired sessions (the nightly job)."""
        now = datetime.now(UTC)
        async with self.sessions.begin() as session:
            result = await session.execute(
                delete(SessionRow).where(
                    or_(SessionRow.seen_at < now - IDLE, SessionRow.created_at < now - ABSOLUTE)
                )
            )
        return int(getattr(result, "rowcount", 0) or 0)


@dataclass(frozen=True, slots=True)
class ApiToken:
    id: int
    user_id: int
    name: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    def as_json(self) -> dict[str, object]:
        def iso(t: datetime | None) -> str | None:
            return t.isoformat() if t else None

        return {
            "id": self.id,
            "name": self.name,
            "created_at": iso(self.created_at),
            "last_used_at": iso(self.last_used_at),
            "revoked_at": iso(self.revoked_at),
        }


def _token(row: TokenRow) -> ApiToken:
    return ApiToken(row.id, row.user_id, row.name, row.created_at, row.last_used_at, row.revoked_at)


class Tokens:
    PREFIX = "vt_"

    def __init__(self, engine: AsyncEngine, audit: AuditLog) -> None:
        self.sessions = StoreSessions(engine)
        self.audit = audit

    async def create(
        self, user: User, name: str, *, address: str | None = None
    ) -> tuple[ApiToken, str]:
        """A new token for ``user``: (its record, the secret, shown this once)."""
        name = (name or "").strip()
        if not 1 <= len(name) <= 64 or any(not ch.isprintable() for ch in name):
            raise StaffError(
                "invalid-field",
                "Geef het token een naam van 1 tot 64 tekens.",
                field="name",
                en="give the token a name of 1 to 64 characters",
            )
        plain = self.PREFIX + secrets.token_urlsafe(32)
        row = TokenRow(
            user_id=user.id, name=name, token_hash=_sha(plain), created_at=datetime.now(UTC)
        )
        async with self.sessions.begin() as session:
            session.add(row)
            await self.audit.record(
                "token-created",
                actor=user.login,
                target=name,
                detail={"token": row.id},
                address=address,
                session=session,
            )
        return _token(row), plain

    async def list(self, user_id: int) -> list[ApiToken]:
        async with self.sessions() as session:
            rows = await session.scalars(
                select(TokenRow).where(TokenRow.user_id == user_id).order_by(TokenRow.id)
            )
            return [_token(r) for r in rows]

    async def revoke(self, user: User, token_id: int, *, address: str | None = None) -> ApiToken:
        """Revoke one of ``user``'s own tokens (another's is "not found": no peeking)."""
        async with self.sessions.begin() as session:
            row = await session.get(TokenRow, token_id)
            if row is None or row.user_id != user.id:
                raise StaffError(
                    "token-not-found",
                    f"Token {token_id} bestaat niet.",
                    status=404,
                    en=f"there is no token {token_id}",
                )
            row.revoked_at = row.revoked_at or datetime.now(UTC)
            await self.audit.record(
                "token-revoked",
                actor=user.login,
                target=row.name,
                detail={"token": token_id},
                address=address,
                session=session,
            )
        return _token(row)

    async def lookup(self, plain: str) -> User | None:
        """The active user of a live token (its last use recorded), else None."""
        if not plain.startswith(self.PREFIX) or len(plain) > 128:
            return None
        now = datetime.now(UTC)
        async with self.sessions.begin() as session:
            found = (
                await session.execute(
                    select(TokenRow, UserRow)
                    .join(UserRow, UserRow.id == TokenRow.user_id)
                    .where(TokenRow.token_hash == _sha(plain))
                )
            ).first()
            if found is None:
                return None
            row, user_row = found
            if row.revoked_at is not None or not user_row.active:
                return None
            if row.last_used_at is None or now - row.last_used_at > _TOUCH:
                row.last_used_at = now
            return user_from_row(user_row)
