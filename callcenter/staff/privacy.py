"""Privacy: retention, right of access, right of erasure, for callers' welfare data.

- **Pseudonymisation.** After ``pseudonymise_after_days`` a call's caller number becomes
  ``p:<HMAC-SHA256(key, number)>`` (32 hex). The same number always gives the same
  pseudonym, so repeat callers still count as repeat callers; without the key (from the
  environment or a file, never the repository) the number cannot be recovered.
- **Deletion of text.** After ``delete_text_after_days`` question summaries and free text are
  deleted: every table's free text is listed in :data:`TEXT_COLUMNS` (the question log's
  summaries, referrals' requests and answers, the history of edits).
- The caller numbers of other tables than the calls (the question log) are listed in
  :data:`CALLER_COLUMNS`: retention pseudonymises them too, access shows them, erasure
  removes them.
- **Access and erasure** per caller number: every record about the number (in clear or as
  its pseudonym), as JSON, each table named: the calls with their queue visits, the rows
  that hold the number (:data:`CALLER_COLUMNS`) and the rows that hang off those
  (:data:`LINKED`: referrals, earlier versions of edited registrations, the agents' callback
  notes, queued-callback stand-ins). Erasure removes the number from every row and keeps
  the calls as anonymous counts; by default it also clears the free text of those rows
  (summaries, referral requests and answers, earlier versions, callback notes), which names
  a person as surely as a number; ``texts=False`` keeps them (a documented choice). On
  SQLite erased values are overwritten on disk (``secure_delete``, then a WAL checkpoint);
  PostgreSQL keeps the old row versions until VACUUM (docs/staff.md). Both are audited
  under the pseudonym, never the number.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import delete, func, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine

from callcenter.staff.audit import AuditLog
from callcenter.staff.errors import StaffError
from callcenter.store.db import StoreSessions
from callcenter.store.models import (
    CallbackAttemptRow,
    CallRow,
    ClaimRow,
    ContactChangeRow,
    ContactRow,
    DialRow,
    KnownCallerRow,
    ReferralRow,
    StandInRow,
    WrapupRow,
)
from callcenter.store.repository import call_values, to_record, visit_values
from routing.site import PrivacySettings

__all__ = [
    "CALLER_COLUMNS",
    "CALLER_TEXTS",
    "CONSENTED",
    "LINKED",
    "PSEUDONYM_PREFIX",
    "TEXT_COLUMNS",
    "CallerColumn",
    "Linked",
    "Privacy",
    "RetentionReport",
    "TextRetention",
    "load_key",
    "mask_number",
    "normalise_number",
]

log = logging.getLogger(__name__)

PSEUDONYM_PREFIX = "p:"


@dataclass(frozen=True, slots=True)
class TextRetention:
    """Free text of one table that retention clears: ``columns`` (nullable) of the rows whose
    ``time_column`` is older than ``delete_text_after_days``."""

    time_column: Any
    columns: tuple[Any, ...]


TEXT_COLUMNS: list[TextRetention] = [
    TextRetention(ContactRow.created_at, (ContactRow.summary,)),
    TextRetention(ReferralRow.created_at, (ReferralRow.request, ReferralRow.response)),
    TextRetention(ContactChangeRow.at, (ContactChangeRow.before,)),
    TextRetention(CallbackAttemptRow.at, (CallbackAttemptRow.note,)),
]
"""Every table's free text under the retention policy."""


@dataclass(frozen=True, slots=True)
class CallerColumn:
    """A table besides the calls that holds a caller's number (``caller``), dated by
    ``time``; ``label`` names its rows in an access export."""

    caller: Any
    time: Any
    label: str


CALLER_COLUMNS: list[CallerColumn] = [
    CallerColumn(ContactRow.caller, ContactRow.created_at, "contacts"),
    CallerColumn(DialRow.caller, DialRow.requested_at, "callback_dials"),
]


CONSENTED: list[CallerColumn] = [
    CallerColumn(KnownCallerRow.caller, KnownCallerRow.consent_at, "known_callers"),
]
"""Tables that hold a number by the citizen's consent, under a retention of their own (the
consent register expires its entries): exported and erased like the others, never
pseudonymised (a pseudonym could not be looked up when the citizen calls)."""


@dataclass(frozen=True, slots=True)
class Linked:
    """Rows about a caller without their number: ``column`` refers to ``parent``, a key of
    rows already found for the number; ``texts``: their free text, cleared by erasure."""

    column: Any
    parent: Any
    label: str
    texts: tuple[Any, ...] = ()


LINKED: list[Linked] = [
    Linked(
        ReferralRow.contact_id,
        ContactRow.id,
        "referrals",
        (ReferralRow.request, ReferralRow.response),
    ),
    Linked(
        ContactChangeRow.contact_id, ContactRow.id, "contact_changes", (ContactChangeRow.before,)
    ),
    Linked(
        CallbackAttemptRow.call_id, CallRow.call_id, "callback_attempts", (CallbackAttemptRow.note,)
    ),
    Linked(StandInRow.request_id, DialRow.id, "callback_stand_ins"),
    Linked(ClaimRow.call_id, CallRow.call_id, "callback_claims"),
    Linked(WrapupRow.call_id, CallRow.call_id, "wrapup_codes"),
]
"""Every table whose rows belong to a caller through another table (a test checks that no
table with a caller, call or contact reference is left out)."""
CALLER_TEXTS = {"contacts": (ContactRow.summary,)}
"""Free text in the tables of :data:`CALLER_COLUMNS`, cleared by erasure."""

_COUNTRY_CODES = {"BE": "32", "NL": "31", "FR": "33", "DE": "49", "LU": "352"}
_SEPARATORS = re.compile(r"[\s./()-]")
_BATCH = 500


def _key(column: Any) -> tuple[str, str]:
    """A column, ORM attribute or Core, as (table, name): to match a link to its parent."""
    return column.table.name, column.key


def _row(r: Any) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in r._mapping.items()}


def load_key(settings: PrivacySettings) -> bytes:
    """The pseudonymisation key: the file named by ``key_file``, else the environment
    variable ``key_env``; at least 32 characters. :class:`StaffError` names what is missing."""
    if settings.key_file:
        try:
            key = Path(settings.key_file).read_text(encoding="utf-8").strip()
        except OSError as exc:
            why = f"[privacy].key_file {settings.key_file}: {exc.strerror}"
            raise StaffError("privacy-key", why, en=why) from None
    else:
        key = os.environ.get(settings.key_env, "")
    if len(key) < 32:
        where = settings.key_file or f"the environment variable {settings.key_env}"
        why = (
            f"no pseudonymisation key of at least 32 characters in {where} "
            "(generate one with: python -c 'import secrets; print(secrets.token_urlsafe(48))')"
        )
        raise StaffError("privacy-key", why, en=why)
    return key.encode()


def normalise_number(number: str, country: str = "BE") -> str:
    """One form per number: separators dropped, ``00`` → ``+``, a national ``0…`` number
    in international form (``0470 12 34 56`` → ``+32470123456``)."""
    n = _SEPARATORS.sub("", number or "")
    if n.startswith("00"):
        return "+" + n[2:]
    code = _COUNTRY_CODES.get(country)
    if code and n.startswith("0") and len(n) > 1:
        return f"+{code}{n[1:]}"
    return n


def mask_number(number: str) -> str:
    """For logs and screens that need no number: ``+32470****56``."""
    if len(number) <= 6:
        return "*" * len(number)
    return number[:6] + "*" * (len(number) - 8) + number[-2:]


def _plain(values: dict[str, Any]) -> dict[str, Any]:
    """A stored row as JSON-ready values (times in ISO 8601)."""
    return {
        k: (v.isoformat() if isinstance(v, datetime) else v)
        for k, v in values.items()
        if k != "call_id" or "started_at" in values
    }


@dataclass(frozen=True, slots=True)
class RetentionReport:
    pseudonymised: int
    texts_deleted: int
    pseudonymise_before: datetime
    delete_text_before: datetime
    dry_run: bool

    def as_json(self) -> dict[str, object]:
        return {
            "pseudonymised": self.pseudonymised,
            "texts_deleted": self.texts_deleted,
            "pseudonymise_before": self.pseudonymise_before.isoformat(),
            "delete_text_before": self.delete_text_before.isoformat(),
            "dry_run": self.dry_run,
        }


class Privacy:
    def __init__(
        self,
        engine: AsyncEngine,
        audit: AuditLog,
        settings: PrivacySettings,
        key: bytes,
        country: str = "BE",
    ) -> None:
        self.engine = engine
        self.sessions = StoreSessions(engine)
        self.audit = audit
        self.settings = settings
        self._key = key
        self.country = country
        self.on_erase: list[Callable[[list[str]], None]] = []
        """Told every form of a number erased (the call path's copy of the register)."""

    def pseudonym(self, number: str) -> str:
        """The keyed pseudonym of a number (already a pseudonym: itself)."""
        if number.startswith(PSEUDONYM_PREFIX):
            return number
        digest = hmac.new(
            self._key, normalise_number(number, self.country).encode(), hashlib.sha256
        )
        return PSEUDONYM_PREFIX + digest.hexdigest()[:32]

    def forms(self, number: str) -> list[str]:
        """Every stored form of a number (clear forms and its pseudonym); a bad number is a
        :class:`StaffError` on field ``caller``."""
        return self._forms(number)

    def _forms(self, number: str) -> list[str]:
        number = (number or "").strip()
        if not re.fullmatch(r"\+?[0-9 ./()-]{3,32}", number):
            raise StaffError(
                "invalid-field",
                "Geef een telefoonnummer (bijvoorbeeld +32 470 12 34 56).",
                field="caller",
                en="give a phone number (such as +32 470 12 34 56)",
            )
        clear = {number, _SEPARATORS.sub("", number), normalise_number(number, self.country)}
        national = normalise_number(number, self.country)
        code = _COUNTRY_CODES.get(self.country)
        if code and national.startswith(f"+{code}"):
            clear.add("0" + national[len(code) + 1 :])
        return [*sorted(clear), self.pseudonym(number)]

    # -- retention ---------------------------------------------------------------------------
    async def retention(
        self, now: datetime, *, dry_run: bool = False, actor: str | None = None
    ) -> RetentionReport:
        s = self.settings
        pseudo_before = now - timedelta(days=s.pseudonymise_after_days)
        text_before = now - timedelta(days=s.delete_text_after_days)
        due = select(CallRow.id, CallRow.caller).where(
            CallRow.started_at < pseudo_before,
            CallRow.caller.is_not(None),
            CallRow.caller.not_like(PSEUDONYM_PREFIX + "%"),
        )
        pseudonymised = 0
        async with self.sessions.begin() as session:
            rows = list((await session.execute(due)).all())
            pseudonymised = len(rows)
            if not dry_run:
                for start in range(0, len(rows), _BATCH):
                    chunk = rows[start : start + _BATCH]
                    await session.execute(
                        update(CallRow),
                        [
                            {"id": rid, "caller": self.pseudonym(caller or "")}
                            for rid, caller in chunk
                        ],
                    )
            for col in CALLER_COLUMNS:
                key = col.caller.table.c.id
                rows = list(
                    (
                        await session.execute(
                            select(key, col.caller).where(
                                col.time < pseudo_before,
                                col.caller.is_not(None),
                                col.caller.not_like(PSEUDONYM_PREFIX + "%"),
                            )
                        )
                    ).all()
                )
                pseudonymised += len(rows)
                if not dry_run:
                    for rid, caller in rows:
                        await session.execute(
                            update(col.caller.table)
                            .where(key == rid)
                            .values({col.caller.key: self.pseudonym(caller or "")})
                        )
            texts = 0
            for text in TEXT_COLUMNS:
                table = text.time_column.table
                due_text = (text.time_column < text_before) & or_(
                    *(c.is_not(None) for c in text.columns)
                )
                if dry_run:
                    q = select(func.count()).select_from(table).where(due_text)
                    texts += int(await session.scalar(q) or 0)
                else:
                    result = await session.execute(
                        update(table).where(due_text).values({c.key: None for c in text.columns})
                    )
                    texts += int(getattr(result, "rowcount", 0) or 0)
        report = RetentionReport(pseudonymised, texts, pseudo_before, text_before, dry_run)
        if not dry_run:
            await self.audit.record("retention", actor=actor, detail=report.as_json())
        return report

    # -- access and erasure ------------------------------------------------------------------
    async def _calls_of(self, number: str) -> list[CallRow]:
        async with self.sessions() as session:
            rows = await session.scalars(
                select(CallRow)
                .where(CallRow.caller.in_(self._forms(number)))
                .order_by(CallRow.started_at)
            )
            return list(rows)

    async def export(
        self, number: str, *, actor: str | None = None, address: str | None = None
    ) -> dict[str, Any]:
        """Everything stored about the number, as JSON-ready data (right of access)."""
        rows = await self._calls_of(number)
        calls = []
        for row in rows:
            record = to_record(row)
            call = _plain(call_values(record))
            call["visits"] = [_plain(v) for v in visit_values(record)]
            calls.append(call)
        pseudonym = self.pseudonym(number)
        others: dict[str, list[dict[str, Any]]] = {}
        keys: dict[tuple[str, str], set[Any]] = {_key(CallRow.call_id): {r.call_id for r in rows}}
        async with self.sessions() as session:
            for col in CALLER_COLUMNS:
                table = col.caller.table
                found = list(
                    await session.execute(
                        select(table).where(col.caller.in_(self._forms(number))).order_by(col.time)
                    )
                )
                others[col.label] = [_row(r) for r in found]
                for key in table.primary_key.columns:
                    keys.setdefault(_key(key), set()).update(r._mapping[key.name] for r in found)
            for col in CONSENTED:
                found = list(
                    await session.execute(
                        select(col.caller.table)
                        .where(col.caller.in_(self._forms(number)))
                        .order_by(col.time)
                    )
                )
                others[col.label] = [_row(r) for r in found]
            for link in LINKED:
                table = link.column.table
                wanted = sorted(keys.get(_key(link.parent), set()), key=str)
                found = (
                    list(
                        await session.execute(
                            select(table)
                            .where(link.column.in_(wanted))
                            .order_by(*table.primary_key.columns)
                        )
                    )
                    if wanted
                    else []
                )
                others[link.label] = [_row(r) for r in found]
        await self.audit.record(
            "privacy-export",
            actor=actor,
            target=pseudonym,
            detail={"calls": len(calls), **{k: len(v) for k, v in others.items()}},
            address=address,
        )
        return {"caller": number, "pseudonym": pseudonym, "calls": calls, **others}

    async def erase(
        self,
        number: str,
        *,
        texts: bool = True,
        actor: str | None = None,
        address: str | None = None,
    ) -> int:
        """Remove the number (and its pseudonym) from every row; the calls stay as
        anonymous counts. ``texts``: also clear the free text of the caller's rows (the
        default). Returns how many calls held the number."""
        forms = self._forms(number)
        cleared = 0
        async with self.sessions.begin() as session:
            keys: dict[tuple[str, str], set[Any]] = {
                _key(CallRow.call_id): set(
                    await session.scalars(select(CallRow.call_id).where(CallRow.caller.in_(forms)))
                )
            }
            for col in CALLER_COLUMNS:
                table = col.caller.table
                for key in table.primary_key.columns:
                    keys.setdefault(_key(key), set()).update(
                        await session.scalars(select(key).where(col.caller.in_(forms)))
                    )
                if texts and col.label in CALLER_TEXTS:
                    result = await session.execute(
                        update(table)
                        .where(col.caller.in_(forms))
                        .values({c.key: None for c in CALLER_TEXTS[col.label]})
                    )
                    cleared += int(getattr(result, "rowcount", 0) or 0)
            if texts:
                for link in LINKED:
                    wanted = sorted(keys.get(_key(link.parent), set()), key=str)
                    if link.texts and wanted:
                        result = await session.execute(
                            update(link.column.table)
                            .where(link.column.in_(wanted))
                            .values({c.key: None for c in link.texts})
                        )
                        cleared += int(getattr(result, "rowcount", 0) or 0)
            result = await session.execute(
                update(CallRow).where(CallRow.caller.in_(forms)).values(caller=None)
            )
            erased = int(getattr(result, "rowcount", 0) or 0)
            for col in CALLER_COLUMNS:
                await session.execute(
                    update(col.caller.table)
                    .where(col.caller.in_(forms))
                    .values({col.caller.key: None})
                )
            consented = 0
            for col in CONSENTED:
                result = await session.execute(
                    delete(col.caller.table).where(col.caller.in_(forms))
                )
                consented += int(getattr(result, "rowcount", 0) or 0)
            await self.audit.record(
                "privacy-erase",
                actor=actor,
                target=self.pseudonym(number),
                detail={
                    "calls": erased,
                    "texts": texts,
                    "rows_with_text_cleared": cleared,
                    "consented_rows_deleted": consented,
                },
                address=address,
                session=session,
            )
        for listener in self.on_erase:
            listener(forms)
        await self._overwrite_on_disk()
        return erased

    async def _overwrite_on_disk(self) -> None:
        """SQLite overwrites what was erased (``secure_delete``, set on every connection);
        the old pages still in the write-ahead log go with a checkpoint."""
        if self.engine.dialect.name != "sqlite":
            return
        async with self.engine.connect() as conn:
            plain = await conn.execution_options(isolation_level="AUTOCOMMIT")
            busy, _, _ = (await plain.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))).one()
            if busy:
                log.warning(
                    "erasure: the write-ahead log could not be checkpointed now "
                    "(a reader holds it); SQLite checkpoints it on its own soon"
                )
