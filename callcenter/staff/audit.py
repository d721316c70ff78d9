"""The audit log: who, when, what, from where. Append-only and tamper-evident.

Each entry's ``hash`` is an HMAC-SHA-256, under a key the database does not hold
(:func:`load_key`), over its own content and the previous entry's hash: an edited, inserted
or deleted row breaks the chain at that place, and whoever can write the database but lacks
the key cannot recompute it. :meth:`AuditLog.verify` names the first entry that does not fit.
The newest entries could still be cut off the end unseen, so the head is anchored outside the
database: :meth:`AuditLog.checkpoint` appends the head's number, hash and a MAC to a
checkpoint file (and the log) every few minutes and at shutdown, and ``verify`` checks the
chain reaches every checkpoint. The database refuses UPDATE and DELETE on the table
(triggers, migration 0004). An entry is written in the transaction of the action it records
when the action passes its session (:meth:`AuditLog.record`): both are stored, or neither.
Concurrent writers (two web requests, the command line beside ``serve``) queue for the next
number: PostgreSQL by an advisory lock held to the commit, SQLite by ``BEGIN IMMEDIATE``.

Entries never hold a caller's number in clear: callers are named by their keyed pseudonym.
Entries written before the chain was keyed (plain SHA-256) are accepted at the start of the
chain only; ``verify`` counts them.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from callcenter.infra.csvout import safe_cell
from callcenter.infra.csvout import to_csv as write_csv
from callcenter.store.db import StoreSessions, writing
from callcenter.store.models import AuditRow

__all__ = [
    "GENESIS",
    "KEY_ENV",
    "KEY_FILE_ENV",
    "KINDS",
    "AuditEntry",
    "AuditLog",
    "ChainReport",
    "checkpoint_path",
    "load_key",
    "safe_cell",
    "to_csv",
]

log = logging.getLogger(__name__)

KEY_ENV = "VUURTOREN_AUDIT_KEY"
KEY_FILE_ENV = "VUURTOREN_AUDIT_KEY_FILE"
CHECKPOINTS_ENV = "VUURTOREN_AUDIT_CHECKPOINTS"
CHECKPOINT_FILE = "audit-checkpoints.jsonl"
MIN_KEY = 32

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
    "contact-read",
    "callbacks-read",
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
    "known-added",
    "known-changed",
    "known-read",
    "known-lookup",
    "known-erased",
    "known-expired",
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
    unkeyed: int = 0
    """Entries at the start of the chain written before it was keyed."""
    keyed: bool = True
    """False: verified without a key (proves the order, not who wrote it)."""
    checkpoints: int = 0
    """Checkpoints the chain was compared with."""

    @property
    def ok(self) -> bool:
        return self.first_bad is None


def load_key() -> bytes | None:
    """The chain's key: the file named by ``VUURTOREN_AUDIT_KEY_FILE``, else the variable
    ``VUURTOREN_AUDIT_KEY``; None when neither is set. Too short a key is an error."""
    path = os.environ.get(KEY_FILE_ENV)
    if path:
        try:
            key = Path(path).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ValueError(f"{KEY_FILE_ENV} {path}: {exc.strerror}") from None
        where = f"the file {path} ({KEY_FILE_ENV})"
    else:
        key = os.environ.get(KEY_ENV, "")
        if not key:
            return None
        where = KEY_ENV
    if len(key) < MIN_KEY:
        raise ValueError(
            f"the audit key in {where} has {len(key)} characters; at least {MIN_KEY} "
            "(generate one with: python -c 'import secrets; print(secrets.token_urlsafe(48))')"
        )
    return key.encode()


def checkpoint_path(database_url: str) -> Path | None:
    """Where the head of the chain is anchored: ``VUURTOREN_AUDIT_CHECKPOINTS``, else beside
    a SQLite database, else in ``VUURTOREN_DATA_DIR``; None when none of these is known."""
    explicit = os.environ.get(CHECKPOINTS_ENV)
    if explicit:
        return Path(explicit)
    url = make_url(database_url)
    if url.drivername.startswith("sqlite") and url.database:
        return Path(url.database).parent / CHECKPOINT_FILE
    data_dir = os.environ.get("VUURTOREN_DATA_DIR")
    return Path(data_dir) / CHECKPOINT_FILE if data_dir else None


def _digest(
    key: bytes | None,
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
    ).encode()
    if key is None:
        return hashlib.sha256(body).hexdigest()
    return hmac.new(key, body, hashlib.sha256).hexdigest()


def _checkpoint_mac(key: bytes, entry: int, digest: str, at: str) -> str:
    return hmac.new(key, f"{entry}|{digest}|{at}".encode(), hashlib.sha256).hexdigest()


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
    def __init__(
        self,
        engine: AsyncEngine,
        key: bytes | None = None,
        checkpoints: Path | None = None,
        *,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        """``key``: the chain's HMAC key (None: plain SHA-256, which proves the order but
        not who wrote it); ``checkpoints``: the file the head is anchored in; ``now``: the
        installation's clock (a demo's is virtual; default: the wall clock)."""
        self.now = now or (lambda: datetime.now(UTC))
        self.engine = engine
        self.key = key
        self.checkpoints = checkpoints
        self.sessions = StoreSessions(engine)

    async def record(
        self,
        kind: str,
        *,
        actor: str | None,
        target: str = "",
        detail: dict[str, Any] | None = None,
        address: str | None = None,
        at: datetime | None = None,
        session: AsyncSession | None = None,
    ) -> AuditEntry:
        """Append one entry. With ``session`` (a writing transaction, begun with
        ``StoreSessions.begin()``) the entry commits with the action, or neither does;
        without, in a transaction of its own."""
        if kind not in KINDS:
            raise ValueError(f"unknown audit kind {kind!r}")
        when = (at or self.now()).astimezone(UTC)
        body = json.dumps(detail or {}, ensure_ascii=False, sort_keys=True)
        target = target[:200]
        if session is not None:
            conn = await session.connection()
            return await self._append(conn, kind, actor, target, body, address, when)
        async with writing(self.engine).begin() as own:  # Core: small work on the loop
            return await self._append(own, kind, actor, target, body, address, when)

    async def _append(
        self,
        conn: AsyncConnection,
        kind: str,
        actor: str | None,
        target: str,
        body: str,
        address: str | None,
        when: datetime,
    ) -> AuditEntry:
        if conn.dialect.name == "postgresql":  # held to the commit: writers queue here
            await conn.execute(text("SELECT pg_advisory_xact_lock(482133)"))
        last = (await conn.execute(_LAST)).first()
        new_id, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
        digest = _digest(self.key, new_id, when, actor, kind, target, body, address, prev)
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
        return AuditEntry(
            new_id, when, actor, kind, target, json.loads(body), address, prev, digest
        )

    async def verify(self) -> ChainReport:
        """Walk the chain from the first entry; the first that does not fit is named. Then
        compare with the checkpoints: an entry anchored there that is gone (the end of the
        log cut off) or different is named too."""
        prev, expected_id, count, unkeyed, keyed_seen = GENESIS, 1, 0, 0, False
        hashes: dict[int, str] = {}
        anchors = self._read_checkpoints()
        wanted = {a[0] for a in anchors}
        async with self.sessions() as session:
            rows = await session.stream_scalars(select(AuditRow).order_by(AuditRow.id))
            async for row in rows:
                count += 1
                if row.id != expected_id:
                    return self._report(count, row.id, f"entry {expected_id} is missing")
                if row.prev_hash != prev:
                    return self._report(count, row.id, "does not follow the entry before it")
                fields = (row.id, row.at, row.actor, row.kind, row.target, row.detail)
                content = (*fields, row.address, row.prev_hash)
                if self.key is not None and row.hash == _digest(self.key, *content):
                    keyed_seen = True
                elif not keyed_seen and row.hash == _digest(None, *content):
                    unkeyed += 1  # before the chain was keyed (or no key to check with)
                else:
                    why = (
                        "its content was changed, or the chain is keyed and no key was given "
                        f"({KEY_ENV} or {KEY_FILE_ENV})"
                        if self.key is None
                        else "its content was changed, or it was not written with the key"
                    )
                    return self._report(count, row.id, why, unkeyed)
                if row.id in wanted:
                    hashes[row.id] = row.hash
                prev, expected_id = row.hash, expected_id + 1
        for entry, digest in anchors:
            if entry not in hashes:
                return self._report(
                    count,
                    entry,
                    f"entry {entry} is anchored in a checkpoint but the log ends at "
                    f"{expected_id - 1}: entries were cut off the end",
                    unkeyed,
                )
            if hashes[entry] != digest:
                return self._report(
                    count, entry, "differs from the checkpoint that anchors it", unkeyed
                )
        return self._report(count, None, "", unkeyed, len(anchors))

    def _report(
        self, count: int, bad: int | None, reason: str, unkeyed: int = 0, anchors: int = 0
    ) -> ChainReport:
        keyed = self.key is not None
        return ChainReport(count, bad, reason, unkeyed if keyed else 0, keyed, anchors)

    def _read_checkpoints(self) -> list[tuple[int, str]]:
        """The checkpoints in the file whose MAC holds under the key (a line that does not
        is an error: someone wrote the file without the key)."""
        if self.checkpoints is None or not self.checkpoints.exists():
            return []
        found = []
        for number, line in enumerate(self.checkpoints.read_text("utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                point = json.loads(line)
                entry, digest, at, mac = (
                    int(point["entry"]),
                    str(point["hash"]),
                    str(point["at"]),
                    str(point["mac"]),
                )
            except (ValueError, KeyError, TypeError):
                raise ValueError(f"{self.checkpoints}:{number}: not a checkpoint") from None
            if self.key is not None and not hmac.compare_digest(
                mac, _checkpoint_mac(self.key, entry, digest, at)
            ):
                raise ValueError(
                    f"{self.checkpoints}:{number}: its MAC does not hold under the audit key"
                )
            found.append((entry, digest))
        return found

    async def checkpoint(self) -> tuple[int, str] | None:
        """Anchor the head of the chain outside the database: one line in the checkpoint
        file (appended, flushed to disk) and one in the log. None: no entries yet, or no key
        (an unkeyed checkpoint proves nothing) or no file."""
        async with self.sessions() as session:
            last = (await session.execute(_LAST)).first()
        if last is None or self.key is None:
            return None
        entry, digest = int(last[0]), str(last[1])
        at = self.now().astimezone(UTC).isoformat(timespec="seconds")
        mac = _checkpoint_mac(self.key, entry, digest, at)
        log.info("audit checkpoint: entry %d hash %s at %s mac %s", entry, digest, at, mac)
        if self.checkpoints is None:
            return entry, digest
        line = json.dumps({"entry": entry, "hash": digest, "at": at, "mac": mac}) + "\n"

        def append() -> None:
            assert self.checkpoints is not None
            self.checkpoints.parent.mkdir(parents=True, exist_ok=True)
            with self.checkpoints.open("a", encoding="utf-8") as f:
                f.write(line)
                f.flush()
                os.fsync(f.fileno())

        await asyncio.to_thread(append)
        return entry, digest

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
