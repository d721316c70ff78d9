"""The audit log: who, when, what, from where. Append-only and tamper-evident.

Each entry's ``hash`` is SHA-256 over its own content and the previous entry's hash, so an
edited or deleted row breaks the chain at that place; :meth:`AuditLog.verify` names the first
entry that does not fit. The database refuses UPDATE and DELETE on the table (triggers,
migration 0004). Entries never hold a caller's number in clear: :func:`caller_ref` gives the
keyed pseudonym the privacy module uses.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from callcenter.csvout import safe_cell
from callcenter.csvout import to_csv as write_csv
from callcenter.store.models import AuditRow

__all__ = ["GENESIS", "KINDS", "AuditEntry", "AuditLog", "ChainReport", "safe_cell", "to_csv"]

GENESIS = "0" * 64
"""The ``prev_hash`` of the first entry."""
_AUDIT = AuditRow.__table__
_LAST = select(_AUDIT.c.id, _AUDIT.c.hash).order_by(_AUDIT.c.id.desc()).limit(1)

KINDS = (
    "login",
    "login-failed",
    "logout",
    "user-created",
    "user-changed",
    "user-disabled",
    "user-enabled",
    "user-unlocked",
    "password-changed",
    "token-created",
    "token-revoked",
    "history-read",
    "registration",
    "referral",
    "override",
    "closure",
    "catalog",
    "callback",
    "callback-dial",
    "rota",
    "duty-shift",
    "duty-takeover",
    "duty-handback",
    "agent-login",
    "agent-logout",
    "agent-pause",
    "agent-unpause",
    "pin-changed",
    "deskphone-refused",
    "export",
    "privacy-export",
    "privacy-erase",
    "retention",
)
"""What is audited (more kinds come with the features that need them)."""


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: int
    at: datetime
    actor: str | None
    kind: str
    target: str
    detail: dict[str, Any]
    address: str | None
    prev_hash: str
    hash: str


@dataclass(frozen=True, slots=True)
class ChainReport:
    entries: int
    first_bad: int | None
    """Id of the first entry that does not fit the chain (None: the chain is whole)."""
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.first_bad is None


def _digest(
    id: int,
    at: datetime,
    actor: str | None,
    kind: str,
    target: str,
    detail: str,
    address: str | None,
    prev_hash: str,
) -> str:
    body = json.dumps(
        [id, at.astimezone(UTC).isoformat(), actor, kind, target, detail, address, prev_hash],
        ensure_ascii=False,
        separators=(",", ":"),
    )
    return hashlib.sha256(body.encode()).hexdigest()


def _entry(row: AuditRow) -> AuditEntry:
    return AuditEntry(
        row.id,
        row.at,
        row.actor,
        row.kind,
        row.target,
        json.loads(row.detail or "{}"),
        row.address,
        row.prev_hash,
        row.hash,
    )


class AuditLog:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.sessions = async_sessionmaker(engine, expire_on_commit=False)
        self._lock = asyncio.Lock()

    async def record(
        self,
        kind: str,
        *,
        actor: str | None,
        target: str = "",
        detail: dict[str, Any] | None = None,
        address: str | None = None,
        at: datetime | None = None,
    ) -> AuditEntry:
        """Append one entry (serialised in this process by a lock, across processes on
        PostgreSQL by an advisory lock, on SQLite by its single writer)."""
        if kind not in KINDS:
            raise ValueError(f"unknown audit kind {kind!r}")
        when = (at or datetime.now(UTC)).astimezone(UTC)
        body = json.dumps(detail or {}, ensure_ascii=False, sort_keys=True)
        target = target[:200]
        async with self._lock, self.engine.begin() as conn:  # Core: small work on the loop
            if self.engine.dialect.name == "postgresql":
                await conn.execute(text("SELECT pg_advisory_xact_lock(482133)"))
            last = (await conn.execute(_LAST)).first()
            new_id, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
            digest = _digest(new_id, when, actor, kind, target, body, address, prev)
            await conn.execute(
                insert(AuditRow),
                {
                    "id": new_id,
                    "at": when,
                    "actor": actor,
                    "kind": kind,
                    "target": target,
                    "detail": body,
                    "address": address,
                    "prev_hash": prev,
                    "hash": digest,
                },
            )
        return AuditEntry(new_id, when, actor, kind, target, detail or {}, address, prev, digest)

    async def verify(self) -> ChainReport:
        """Walk the chain from the first entry; the first that does not fit is named."""
        prev, expected_id, count = GENESIS, 1, 0
        async with self.sessions() as session:
            rows = await session.stream_scalars(select(AuditRow).order_by(AuditRow.id))
            async for row in rows:
                count += 1
                if row.id != expected_id:
                    return ChainReport(count, row.id, f"entry {expected_id} is missing")
                if row.prev_hash != prev:
                    return ChainReport(count, row.id, "does not follow the entry before it")
                digest = _digest(
                    row.id,
                    row.at,
                    row.actor,
                    row.kind,
                    row.target,
                    row.detail,
                    row.address,
                    row.prev_hash,
                )
                if digest != row.hash:
                    return ChainReport(count, row.id, "its content was changed")
                prev, expected_id = row.hash, expected_id + 1
        return ChainReport(count, None)

    async def query(
        self,
        *,
        actor: str | None = None,
        kind: str | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        limit: int = 500,
    ) -> list[AuditEntry]:
        """Newest first, filtered by user, kind and period ``[start, end)``."""
        stmt = select(AuditRow).order_by(AuditRow.id.desc()).limit(limit)
        if actor:
            stmt = stmt.where(AuditRow.actor == actor)
        if kind:
            stmt = stmt.where(AuditRow.kind == kind)
        if start is not None:
            stmt = stmt.where(AuditRow.at >= start)
        if end is not None:
            stmt = stmt.where(AuditRow.at < end)
        async with self.sessions() as session:
            return [_entry(r) for r in await session.scalars(stmt)]

    async def count(self) -> int:
        async with self.sessions() as session:
            return int(await session.scalar(select(func.count()).select_from(AuditRow)) or 0)


def to_csv(entries: Sequence[AuditEntry], *, excel: bool = False) -> str:
    """CSV of entries; ``excel``: semicolons and a UTF-8 BOM, as a Belgian Excel opens it."""
    return write_csv(
        ["id", "tijdstip", "gebruiker", "soort", "onderwerp", "details", "adres"],
        (
            [
                e.id,
                e.at.isoformat(),
                e.actor or "",
                e.kind,
                e.target,
                json.dumps(e.detail, ensure_ascii=False, sort_keys=True),
                e.address or "",
            ]
            for e in entries
        ),
        excel=excel,
    )
